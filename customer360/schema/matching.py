"""The record-linkage answer: a customer who may be the person described, with per-field
evidence. Used by ``matchCustomer`` (``search.py``) and ``Person.possibleDuplicates``
(``types.py``); it imports neither, so both can import it."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from customer360.resolvers.search import MatchData
from customer360.schema.enums import (
    AGREEMENTS,
    SEARCH_FIELDS,
    MatchAgreement,
    SearchField,
)


@strawberry.type(description="One field compared, the way record-linkage tools explain a link.")
class MatchEvidence:
    field: SearchField = strawberry.field(description="The field compared.")
    input: str | None = strawberry.field(description="The value given (or the other customer's).")
    candidate: str | None = strawberry.field(description=(
        "This customer's value, as the caller's role and purpose allow (masked, or null when denied)."
    ))
    similarity: float = strawberry.field(description="0 to 1.")
    agreement: MatchAgreement = strawberry.field(description="Whether the two values agree.")
    level: str = strawberry.field(description=(
        "The comparison level: exact, nickname, typo, phonetic, transposed, similar, prefix, swapped, "
        "different or missing."
    ))
    weight: float = strawberry.field(description=(
        "log2(m/u) of that level: how much it speaks for (positive) or against (negative) a match."
    ))


@strawberry.type(description="A customer who may be the person described, with the evidence.")
class CustomerMatch:
    score: float = strawberry.field(description="Probability of being the same person, 0 to 1.")
    evidence: list[MatchEvidence] = strawberry.field(description="One comparison per field.")
    person: Annotated["Person", strawberry.lazy("customer360.schema.types")] = strawberry.field(  # noqa: F821
        description="The customer."
    )

    @classmethod
    def of(cls, data: MatchData, person: Any) -> "CustomerMatch":
        """``person`` is the ``Person`` object the caller built (this module cannot import it)."""
        return cls(
            score=data.result.score, person=person,
            evidence=[
                MatchEvidence(field=SEARCH_FIELDS.to_public(e.field), input=e.input_value, candidate=e.candidate_value,
                              similarity=e.similarity, agreement=AGREEMENTS.to_public(e.agreement), level=e.level,
                              weight=e.weight)
                for e in data.result.evidence
            ],
        )

"""GraphQL types and root fields for search and matching: ``searchCustomers``,
``matchCustomer`` and the ``Person.possibleDuplicates`` resolver.

The Query root inherits :class:`SearchQuery`; ``Person.possibleDuplicates`` is the
:func:`possible_duplicates` resolver. The work is in :mod:`customer360.resolvers.search`;
``Person`` and ``PageInfo`` are referred to lazily so ``types.py`` can import this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from customer360.resolvers import search as resolve
from customer360.search import protocol

if TYPE_CHECKING:
    from customer360.schema.types import PageInfo, Person

_TYPES = "customer360.schema.types"
LazyPerson = Annotated["Person", strawberry.lazy(_TYPES)]
LazyPageInfo = Annotated["PageInfo", strawberry.lazy(_TYPES)]

MatchKind = strawberry.enum(protocol.MatchKind, name="MatchKind", description=(
    "How part of the search text met a field: EXACT, NICKNAME (Bob / Robert), FUZZY (a typo or two, "
    "or a transposed date), PHONETIC (sounds alike), PREFIX (search-as-you-type)."
))
SearchField = strawberry.enum(protocol.SearchField, name="SearchField", description="A searchable field of a customer.")
MatchAgreement = strawberry.enum(protocol.Agreement, name="MatchAgreement", description=(
    "AGREE, PARTIAL (a nickname, a typo, a transposed date, the same ZIP area), DISAGREE, or MISSING "
    "(not given, or the customer has none: no evidence either way)."
))


def _person(record: Any) -> Any:
    from customer360.schema.types import Person  # lazily: types.py imports this module

    return Person.of(record)


@strawberry.type(description="One part of the search text that matched one field of the customer.")
class SearchMatch:
    field: SearchField
    kind: MatchKind
    query: str = strawberry.field(description="The part of the text (normalised: a word, a phone as digits, an ISO date).")
    value: str = strawberry.field(description="The customer's value it matched, as the Person type shows it.")
    similarity: float = strawberry.field(description="0 to 1.")


@strawberry.type
class CustomerSearchEdge:
    cursor: str
    score: float = strawberry.field(description="0 to 1: how well the customer matches the whole text.")
    matched: list[SearchMatch]
    record: strawberry.Private[Any]

    @strawberry.field(description="The customer.")
    def node(self) -> LazyPerson:
        return _person(self.record)


@strawberry.type(description="Customers matching a free-text search, best first.")
class CustomerSearchConnection:
    edges: list[CustomerSearchEdge]
    page_info: LazyPageInfo

    @classmethod
    def of(cls, data: resolve.SearchConnectionData) -> "CustomerSearchConnection":
        from customer360.schema.types import PageInfo  # lazily: types.py imports this module

        return cls(
            edges=[
                CustomerSearchEdge(
                    cursor=e.cursor, score=e.hit.score, record=e.record,
                    matched=[SearchMatch(field=m.field, kind=m.kind, query=m.query, value=m.value,
                                         similarity=m.similarity) for m in e.hit.matched],
                )
                for e in data.edges
            ],
            page_info=PageInfo(has_next_page=data.has_next, end_cursor=data.end_cursor),
        )


@strawberry.input(description="What an integration service knows about a person; any subset.")
class CustomerMatchInput:
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = strawberry.field(default=None, description="YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD.")
    phone: str | None = strawberry.field(default=None, description="Any spelling: (212) 555-0100, +1 212 555 0100...")
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


@strawberry.type(description="One field compared, the way record-linkage tools explain a link.")
class MatchEvidence:
    field: SearchField
    input: str | None = strawberry.field(description="The value given (or the other customer's).")
    candidate: str | None = strawberry.field(description="This customer's value.")
    similarity: float = strawberry.field(description="0 to 1.")
    agreement: MatchAgreement
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
    evidence: list[MatchEvidence]
    record: strawberry.Private[Any]

    @strawberry.field
    def person(self) -> LazyPerson:
        return _person(self.record)

    @classmethod
    def of(cls, data: resolve.MatchData) -> "CustomerMatch":
        return cls(
            score=data.result.score, record=data.record,
            evidence=[
                MatchEvidence(field=e.field, input=e.input_value, candidate=e.candidate_value, similarity=e.similarity,
                              agreement=e.agreement, level=e.level, weight=e.weight)
                for e in data.result.evidence
            ],
        )


async def possible_duplicates(
    root: Any, info: Info,
    first: Annotated[int, strawberry.argument(description=f"How many (0 to {resolve.MAX_DUPLICATES_FIRST}).")] = 5,
) -> list[CustomerMatch]:
    """``Person.possibleDuplicates``: other customers probably the same person, best first."""
    return [CustomerMatch.of(m) for m in await resolve.possible_duplicates(info.context, root.record.person_id, first)]


@strawberry.type
class SearchQuery:
    @strawberry.field(description=(
        "Free-text search over names, addresses, phone numbers and dates of birth, tolerant of typos, "
        "nicknames, phonetic spellings, reordered names, phone formats and street abbreviations; "
        "prefixes from 2 characters (search-as-you-type). Best first."
    ))
    async def search_customers(
        self, info: Info, text: str,
        first: Annotated[int, strawberry.argument(description=f"Page size (0 to {resolve.MAX_SEARCH_FIRST}).")] = 10,
        after: str | None = None,
    ) -> CustomerSearchConnection:
        return CustomerSearchConnection.of(await resolve.search_customers(info.context, text, first, after))

    @strawberry.field(description=(
        "Customers most likely to be the person described (for onboarding and KYC), each with a "
        "probability and per-field evidence."
    ))
    async def match_customer(
        self, info: Info, input: CustomerMatchInput,
        first: Annotated[int, strawberry.argument(description=f"How many (0 to {resolve.MAX_MATCH_FIRST}).")] = 5,
    ) -> list[CustomerMatch]:
        given = resolve.MatchInput(
            first_name=input.first_name, last_name=input.last_name, date_of_birth=input.date_of_birth,
            phone=input.phone, street=input.street, city=input.city, state=input.state, zip_code=input.zip_code,
        )
        return [CustomerMatch.of(m) for m in await resolve.match_customer(info.context, given, first)]

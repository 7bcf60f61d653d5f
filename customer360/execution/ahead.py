"""Registered (trusted) documents compiled ahead, so their first request costs what the rest do.

A front-end's operations are known before it sends them: ``c360 operations register`` puts
them in the operation store. At start the service parses each one (into the parse cache),
works out which path will answer each of its operations (``uncovered``: the compiled path,
or the general one and why) and adds what the audit needs to it (the rewritten document is
cached too). The same work otherwise happens on the first request of each document. The
registering command prints the same plan, so a front-end team learns at build time which of
its operations fall back to the general path, and because of which field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType

from customer360.auth.document_limits import parse_within_limits
from customer360.config import Limits
from customer360.execution.extension import COMPILED, GENERAL, uncovered
from customer360.schema.audit_reads import audited_document


@dataclass(frozen=True, slots=True)
class AheadPlan:
    """Which path will answer one operation of a registered document, and why not the compiled one."""

    document_id: str
    operation: str  # its name, or "(anonymous)"
    reason: str | None  # None: the compiled path

    @property
    def path(self) -> str:
        return COMPILED if self.reason is None else GENERAL

    def describe(self) -> str:
        return self.path if self.reason is None else f"{self.path} ({self.reason})"


def compile_ahead(schema: GraphQLSchema, limits: Limits, documents: Iterable[tuple[str, str]]) -> list[AheadPlan]:
    """Plan every operation of each ``(document id, text)``, filling the caches requests use."""
    plans: list[AheadPlan] = []
    for document_id, text in documents:
        try:
            document = parse_within_limits(text, limits)
        except GraphQLError as error:  # a refusal by the limits is one too
            plans.append(AheadPlan(document_id, "(document)", f"does not parse: {error.message}"))
            continue
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if any(operation.operation is OperationType.QUERY for operation in operations):
            audited_document(schema, document)
        for operation in operations:
            name = operation.name.value if operation.name else None
            plans.append(AheadPlan(document_id, name or "(anonymous)",
                                   uncovered(schema, text, name, document, operation)))
        if len(operations) == 1 and operations[0].name is not None:
            uncovered(schema, text, None, document, operations[0])  # a client may leave operationName out
    return plans

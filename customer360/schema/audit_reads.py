"""Every read of customer data goes on the audit record before the response leaves (issue 9).

One Strawberry extension around execution, on both executors: before, it adds to the
document what the audit needs (customer ids, the owners of an entry point;
:func:`~customer360.audit.reads.with_audit_keys`); after, it reads from the response which
customers' fields went out, masked or in clear, takes the added keys out again, and appends
the response's record (one event per customer, sealed as one link) to the durable spool
(:class:`~customer360.audit.pipeline.AuditPipeline`) in one commit. Only then does the response leave. If the spool cannot take the events, the
personal data is not returned: the client gets ``AUDIT_UNAVAILABLE`` instead.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_variable_values,
)
from graphql.execution.values import VariableValues
from strawberry.extensions import SchemaExtension

from customer360.audit.events import AuditRecord, Outcome, document_hash
from customer360.audit.protocol import AuditUnavailable
from customer360.audit.reads import (
    LevelMemo,
    customers_read,
    directive_variables,
    with_audit_keys,
)
from customer360.auth.policy import Access
from customer360.field_collection import find_operation
from customer360.per_document import PerDocument
from customer360.resolvers.context import RequestContext
from customer360.resolvers.search import POLICY_FIELDS

log = logging.getLogger("customer360.audit")

AUDIT_UNAVAILABLE = "AUDIT_UNAVAILABLE"
VALUE_FIELDS = {field.name: policy for field, policy in POLICY_FIELDS.items()}
"""The policy field of each search field, by the public enum's name (FIRST_NAME -> Person.firstName)."""

_REWRITTEN: PerDocument[DocumentNode] = PerDocument()
_DIRECTIVE_VARIABLES: PerDocument[tuple[str, ...]] = PerDocument()
_LEVELS: PerDocument[LevelMemo] = PerDocument()


def _level_memo(audited: DocumentNode, operation: OperationDefinitionNode, masking: tuple,
                variables: VariableValues) -> LevelMemo:
    """The walk of a document the audit has walked before, for the same operation, masking
    and ``@skip``/``@include`` values, finds every level's fields worked out (the profile
    query has dozens)."""
    names = _DIRECTIVE_VARIABLES.get(audited)
    if names is None:
        names = directive_variables(audited)
        _DIRECTIVE_VARIABLES.put(audited, names)
    key = (id(operation), masking, tuple(variables.coerced.get(name) for name in names))  # the node is held with the document
    memo = _LEVELS.get(audited, key)
    if memo is None:
        memo = LevelMemo([operation.selection_set])
        _LEVELS.put(audited, memo, key)
    return memo


def audited_document(schema, document: DocumentNode) -> DocumentNode:
    """The document with the audit's keys, rewritten once per parsed document."""
    rewritten = _REWRITTEN.get(document)
    if rewritten is None:
        rewritten = with_audit_keys(schema, document)
        _REWRITTEN.put(document, rewritten)
    return rewritten


def audit_unavailable() -> GraphQLError:
    return GraphQLError(
        "the audit record cannot be written right now, so no customer data is returned; retry later",
        extensions={"code": AUDIT_UNAVAILABLE, "retryable": True},
    )


class AuditReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        ctx = ec.context
        audit = getattr(ctx, "audit", None)
        document = ec.graphql_document
        operation = find_operation(document, ec.operation_name) if document is not None else None
        if audit is None or operation is None or operation.operation is not OperationType.QUERY or ec.result:
            yield
            return
        schema = ec.schema._schema
        audited = audited_document(schema, document)
        ec.graphql_document = audited
        try:
            yield
        finally:
            ec.graphql_document = document
        result = ec.result
        if result is None or not result.data:
            return
        variables = get_variable_values(schema, operation.variable_definitions or (), ec.variables or {})
        if isinstance(variables, list):  # did not coerce: nothing ran
            return
        await record_reads(ctx, schema, audited, find_operation(audited, ec.operation_name), ec.query or "",
                           ec.operation_name or (operation.name.value if operation.name else None), variables, result)


async def record_reads(ctx: RequestContext, schema: GraphQLSchema, audited: DocumentNode,
                       operation: OperationDefinitionNode | None, query: str, operation_name: str | None,
                       variables: VariableValues, result: ExecutionResult) -> None:
    """Record which customers' data ``result`` holds, and take the audit's keys out of it.

    ``audited`` is the rewritten document that produced ``result`` (``operation`` its
    operation); ``variables`` are coerced. Both executors' answers come through here, so the
    record cannot depend on which one ran. When the spool cannot take the events, the data
    is withheld: ``result`` then holds ``AUDIT_UNAVAILABLE`` instead."""
    if operation is None or not result.data:
        return
    grants = ctx.access.grants
    reads = customers_read(
        schema, audited, operation, variables, result.data,
        lambda policy_field: grants.access(policy_field) is Access.MASKED, VALUE_FIELDS,
        _level_memo(audited, operation, grants.masking, variables),
    )
    if not reads:
        return
    record = _record(ctx, reads, query, Outcome.PARTIAL if result.errors else Outcome.COMPLETE, operation_name)
    try:
        await ctx.audit.record_reads(record)
    except AuditUnavailable as error:
        log.error("audit spool unavailable, %d customers' data withheld: %s", len(record.entries), error)
        result.data = None
        result.errors = [audit_unavailable()]


def _record(ctx: RequestContext, reads, query: str, outcome: Outcome, operation_name: str | None) -> AuditRecord:
    principal = ctx.access.principal
    return AuditRecord.reads(
        ((read.customer_id, read.clear, read.masked) for read in reads),
        principal=principal.name, roles=principal.roles, purpose=ctx.access.purpose,
        operation_name=operation_name, document_hash=document_hash(query),
        outcome=outcome, request_id=ctx.request_id, client_address=ctx.client_address,
    )

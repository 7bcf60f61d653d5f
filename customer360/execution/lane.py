"""The lane: a repeated operation answered on the compiled path without Strawberry's per-request pipeline.

Strawberry runs every request through its extension machinery: an execution context, and a
context manager per extension and hook. For the one-customer query that costs more than the
query. Once the compiled path has answered a document (:mod:`customer360.execution.prepared`),
its next requests come here. Each repeats the checks that depend on the request, with the
same functions the extensions call:

1. the purpose of access its roles allow (``PurposeOfAccess``);
2. the limits on its arguments and its estimated cost against its principal's budget
   (:func:`~customer360.auth.document_limits.refusal`, as ``DocumentLimits``);
3. its variables, coerced as graphql-core coerces them;
4. the compiled executor, under the request's time limit (as ``RequestTimeout``);
5. the audit record of what the response holds (:func:`~customer360.schema.audit_reads.record_reads`,
   as ``AuditReads``).

What the document alone decides (its parsing, size, depth, aliases, validity, coverage and the
audit's rewrite) was decided on its first request and holds for every request of the same text.
Whenever one of these checks fails, or the compiled run meets any error, or the request asks for
explain, the lane answers nothing and Strawberry's pipeline answers the whole request, so
refusals and errors are always that pipeline's own.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, GraphQLError, GraphQLSchema, get_variable_values

from customer360.auth.document_limits import Budget, parse_within_limits, refusal
from customer360.auth.request_timeout import RequestTimedOut, time_limit
from customer360.config import Limits
from customer360.execution.executor import Execution
from customer360.execution.extension import COMPILED
from customer360.execution.paths import count_path
from customer360.execution.prepared import PreparedOperations
from customer360.field_collection import find_operation
from customer360.resolvers.context import RequestContext
from customer360.schema.audit_reads import record_reads

LANE = "lane"
"""Key in :data:`~customer360.execution.paths.PATHS` of the compiled answers given here
(``c360_lane_operations_total`` in /metrics): how many requests skipped Strawberry's pipeline."""


class CompiledLane:
    """Answers repeats of prepared operations; ``answer`` returns None to hand a request to Strawberry."""

    def __init__(self, schema: GraphQLSchema, prepared: PreparedOperations, *, limits: Limits,
                 max_depth: int, max_page_size: int, budget_for: Budget) -> None:
        self.schema = schema
        self.prepared = prepared
        self.limits = limits
        self.max_depth = max_depth
        self.max_page_size = max_page_size
        self.budget_for = budget_for

    async def answer(self, query: str, operation_name: str | None, raw_variables: dict[str, Any] | None,
                     ctx: RequestContext) -> ExecutionResult | None:
        if ctx.explain or ctx.access.refusal is not None:
            return None
        schema = self.schema
        try:
            document = parse_within_limits(query, self.limits)  # the parse cache's own document
        except GraphQLError:
            return None
        named = find_operation(document, operation_name)
        if named is None:
            return None
        # Strawberry names the operation from the document when the client does not.
        name = operation_name if operation_name is not None else (named.name.value if named.name else None)
        prepared = self.prepared.get(query, name)
        if prepared is None or prepared.audited != (ctx.audit is not None):
            return None
        if refusal(schema, document, operation_name, raw_variables, self.limits, self.max_depth,
                   self.max_page_size, self.budget_for(ctx)) is not None:
            return None
        operation = prepared.operation
        variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
        if isinstance(variables, list):
            return None
        try:
            async with time_limit(self.limits.request_timeout_s, ctx):
                try:
                    data = await Execution(schema, prepared.document, operation, variables, ctx).run()
                except Exception:  # noqa: BLE001 - NotCompiled, or an error the general path reports
                    return None
                result = ExecutionResult(data=data)
                if ctx.audit is not None:
                    await record_reads(ctx, schema, prepared.document, operation, query, name, variables, result)
        except RequestTimedOut as timed_out:
            result = ExecutionResult(data=None, errors=[timed_out])
        ctx.execution_path = COMPILED
        count_path(COMPILED)
        count_path(LANE)
        return result

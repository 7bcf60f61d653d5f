"""Runs covered operations on the compiled path, inside Strawberry's own pipeline.

Strawberry still parses and validates the document, serves introspection and runs every
other extension (limits, purpose of access, explain, audit, the error boundary) around
execution. This extension's ``on_execute`` runs last: when the whole operation is covered
(:func:`~customer360.execution.executor.coverage`, cached per document), it answers it on
the compiled path and hands Strawberry the result, so graphql-core's executor never starts;
otherwise, or when the compiled run meets any error, the general executor answers, and the
compiled attempt's backend calls are taken out of the explain log. ``extensions.explain``
says which path ran; ``/metrics`` counts both.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLSchema,
    OperationDefinitionNode,
)
from strawberry.extensions import SchemaExtension

from customer360.backend_calls import current_log
from customer360.execution.executor import (
    NotCompiled,
    coverage,
    execute,
)
from customer360.execution.paths import PATHS, count_path
from customer360.execution.prepared import PreparedOperation, PreparedOperations
from customer360.field_collection import find_operation

log_fallback = logging.getLogger("customer360.execution")

COMPILED = "compiled"
GENERAL = "general"

_coverage: OrderedDict[tuple[str, str | None], str | None] = OrderedDict()
_coverage_lock = threading.Lock()
COVERAGE_CACHE = 1000


class CompiledExecution(SchemaExtension):
    """``prepared``: where an operation this path answered is kept for the lane
    (:mod:`customer360.execution.lane`) to answer its next requests."""

    def __init__(self, *, enabled: bool = True, prepared: PreparedOperations | None = None) -> None:
        self.enabled = enabled
        self.prepared = prepared

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        context = ec.context
        path = GENERAL
        if self.enabled and not ec.result and ec.graphql_document is not None and ec.query is not None:
            operation = find_operation(ec.graphql_document, ec.operation_name)
            if operation is not None and self._covered(ec.query, ec.operation_name, ec.graphql_document, operation):
                log = current_log()
                mark = len(log.calls) if log is not None else 0
                try:
                    data = await execute(ec.schema._schema, ec.graphql_document, operation, ec.variables, context)
                except Exception as error:  # noqa: BLE001 - NotCompiled, or an error the general path reports
                    log_fallback.debug("compiled path declined %s: %r", ec.operation_name or "an operation", error)
                    if log is not None:
                        del log.calls[mark:]
                else:
                    ec.result = ExecutionResult(data=data)
                    path = COMPILED
                    if self.prepared is not None:
                        self.prepared.remember(ec.query, ec.operation_name, PreparedOperation(
                            ec.graphql_document, operation, audited=getattr(context, "audit", None) is not None))
        context.execution_path = path
        count_path(path)
        yield

    def _covered(self, query: str, name: str | None, document, operation) -> bool:
        return uncovered(self.execution_context.schema._schema, query, name, document, operation) is None


def uncovered(schema: GraphQLSchema, query: str, name: str | None, document: DocumentNode,
              operation: OperationDefinitionNode) -> str | None:
    """Why the general path must answer this operation (None: the compiled path will), worked
    out once per document text and operation name."""
    key = (query, name)
    with _coverage_lock:
        if key in _coverage:
            _coverage.move_to_end(key)
            return _coverage[key]
    reason = coverage(schema, document, operation)
    with _coverage_lock:
        _coverage[key] = reason
        if len(_coverage) > COVERAGE_CACHE:
            _coverage.popitem(last=False)
    return reason


__all__ = ["COMPILED", "GENERAL", "PATHS", "CompiledExecution", "NotCompiled", "count_path", "uncovered"]

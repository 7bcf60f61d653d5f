"""Operations the compiled path has answered once, kept ready for the next request of the same text.

A front-end sends the same few documents again and again, with other variables. The first
request of a document goes the whole way through Strawberry: parsed within the limits,
validated with the app's own rules, checked for coverage, rewritten for the audit. When the
compiled path then answers it, :class:`~customer360.execution.extension.CompiledExecution`
keeps here what it executed. The lane (:mod:`customer360.execution.lane`) answers the next
request of that text and operation name from this entry, and works out again only what
depends on the request itself.

Nothing is kept for a document that failed anywhere on the way: the lane can only repeat a
decision Strawberry made, never make one of its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, OperationDefinitionNode

CAPACITY = 1000
"""Documents kept ready, least recently used first out (the parse cache keeps as many)."""


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """One operation as the compiled path executed it."""

    document: DocumentNode  # as executed: with the audit's keys when the audit record is on
    operation: OperationDefinitionNode  # the operation of ``document`` that ran
    audited: bool  # whether ``document`` carries the audit's keys


class PreparedOperations:
    """A bounded map of (document text, operation name) to :class:`PreparedOperation`."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str | None], PreparedOperation] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, query: str, operation_name: str | None, prepared: PreparedOperation) -> None:
        key = (query, operation_name)
        with self._lock:
            self._entries[key] = prepared
            self._entries.move_to_end(key)
            if len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def get(self, query: str, operation_name: str | None) -> PreparedOperation | None:
        key = (query, operation_name)
        with self._lock:
            prepared = self._entries.get(key)
            if prepared is not None:
                self._entries.move_to_end(key)
            return prepared

    def __len__(self) -> int:
        return len(self._entries)

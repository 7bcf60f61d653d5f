"""What was worked out about a parsed document, kept for the next request that brings it.

The parse cache (``auth/document_limits.parse_within_limits``) hands out the same document
object for the same text, so work that depends on the document alone (the audit's rewrite,
the document's shape, its cost estimates) is done once per document and found again by the
document's identity. An entry holds its document, so that identity cannot pass to another
document while the entry lives; the least recently used entry goes first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

Value = TypeVar("Value")

CAPACITY = 1000
"""Entries kept (the parse cache keeps as many documents)."""


class PerDocument(Generic[Value]):
    """A bounded map of (a parsed document, a key of the caller's) to a value."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[int, Hashable], tuple[Any, Value]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, document: Any, key: Hashable = None) -> Value | None:
        entry_key = (id(document), key)
        with self._lock:
            entry = self._entries.get(entry_key)
            if entry is None or entry[0] is not document:
                return None
            self._entries.move_to_end(entry_key)
            return entry[1]

    def put(self, document: Any, value: Value, key: Hashable = None) -> None:
        entry_key = (id(document), key)
        with self._lock:
            self._entries[entry_key] = (document, value)
            self._entries.move_to_end(entry_key)
            if len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

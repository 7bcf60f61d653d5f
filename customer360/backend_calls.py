"""The one choke point every backend call goes through (graph store, audit sink, search
index), so it can be counted and timed.

Tests prove the batching rule (calls depend on the query's shape, not on its rows) by
reading this log, the benchmarks count with it, and the GraphQL ``explain`` extension shows
it to analysts. A request opens a :class:`CallLog` in a context variable; stores append to
whichever log is current, so concurrent requests never see each other's calls.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """What a backend is actually sent: the query text and, apart from it, its parameters."""

    operation: str
    text: str
    params: tuple[Any, ...] | dict[str, Any] = ()


@dataclass(slots=True)
class CallRecord:
    operation: str
    backend: str
    query: str
    params: Any  # as sent; made printable only when shown (a sink batch holds thousands of values)
    rows: int = 0
    ms: float = 0.0
    moved: bool = False  # begun on the event loop, finished in a worker thread (SQLite's budget)

    def explained(self) -> dict[str, Any]:
        """The record as ``extensions.explain`` shows it: JSON-friendly parameters."""
        return {"operation": self.operation, "backend": self.backend, "query": self.query,
                "params": _printable(self.params), "rows": self.rows, "ms": self.ms}


@dataclass(slots=True)
class CallLog:
    calls: list[CallRecord] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.calls)


_current: contextvars.ContextVar[CallLog | None] = contextvars.ContextVar("c360_call_log", default=None)


def current_log() -> CallLog | None:
    """The call log of the request being served (None outside one)."""
    return _current.get()


@contextlib.contextmanager
def capture_calls() -> Iterator[CallLog]:
    """Record every backend call made inside the block (and tasks started from it)."""
    log = CallLog()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


@dataclass(slots=True)
class CallTotals:
    """Process-wide counts per (backend, operation), for ``/metrics``."""

    calls: int = 0
    errors: int = 0
    rows: int = 0
    seconds: float = 0.0
    moved: int = 0


TOTALS: dict[tuple[str, str], CallTotals] = {}
_totals_lock = threading.Lock()


@contextlib.contextmanager
def recorded_call(backend: str, query: CompiledQuery) -> Iterator[CallRecord]:
    """Time one backend call; the caller sets ``record.rows`` before leaving the block."""
    record = CallRecord(query.operation, backend, query.text, query.params)
    started = time.perf_counter()
    failed = True
    try:
        yield record
        failed = False
    finally:
        elapsed = time.perf_counter() - started
        record.ms = round(elapsed * 1000, 3)
        log = _current.get()
        if log is not None:
            log.calls.append(record)
        operation = query.operation.split("(", 1)[0]
        with _totals_lock:
            totals = TOTALS.setdefault((backend, operation), CallTotals())
            totals.calls += 1
            totals.errors += failed
            totals.rows += record.rows
            totals.seconds += elapsed
            totals.moved += record.moved


def _printable(params: Any) -> Any:
    """Parameters as JSON-friendly values (long key lists stay whole: they are the batch)."""
    if isinstance(params, dict):
        return {str(k): _printable(v) for k, v in params.items()}
    if isinstance(params, (list, tuple, set, frozenset)):
        return [_printable(v) for v in params]
    if isinstance(params, (str, int, float, bool)) or params is None:
        return params
    return str(params)

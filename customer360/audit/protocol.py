"""What every audit sink does (SQLite embedded, Cassandra/HCD in production), and the one
error that means "the record cannot be written or read right now".

The request path never talks to a sink: it appends to the spool, and the drainer writes
batches of links here (a link: one response's events, sealed together). Sinks store one row
per event, whatever the link, and must make writes idempotent (the same sealed event written
twice leaves one row), because the drainer retries a batch whose outcome it did not learn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from customer360.audit.events import AuditEvent, Checkpoint, SealedEvent, SealedLink
from customer360.audit.paging import AuditPage, PageRequest


class AuditUnavailable(Exception):
    """The audit record cannot be written (spool or sink) or read (sink) right now.

    Raised by the spool when an event cannot be made durable: the caller must then not
    return the personal data (the GraphQL layer answers ``AUDIT_UNAVAILABLE``). Raised by a
    sink when its server does not answer: the drainer keeps the events and retries.
    """

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"audit {backend} unavailable: {reason}")
        self.backend = backend
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EventCopy:
    """A copy of an event kept outside the chain table (for the by-customer and
    by-principal questions); verify checks each copy against the chain."""

    table: str
    event: SealedEvent


@dataclass(frozen=True, slots=True)
class BrokenRow:
    """A stored row that no longer decodes into an event (a value was edited into
    something no writer writes); verify reports it as altered."""

    table: str
    writer_id: str
    seq: int
    reason: str
    event_id: str | None = None


@runtime_checkable
class AuditSink(Protocol):
    backend: str
    #: The table holding the hash chain, as verify names it.
    chain_table: str

    def copy_tables_for(self, event: AuditEvent) -> tuple[str, ...]:
        """The tables besides the chain that must hold a copy of ``event``."""

    async def write(self, links: Sequence[SealedLink], checkpoints: Sequence[Checkpoint] = ()) -> None:
        """Store every event of ``links``, and the checkpoints, idempotently; raise
        :class:`AuditUnavailable` if not all were stored."""

    async def audit_trail(self, customer_id: str, page: PageRequest) -> AuditPage:
        """Events about one customer in ``page``'s window, newest first."""

    async def access_log(self, principal: str, page: PageRequest) -> AuditPage:
        """Events by one principal (reads and loads) in ``page``'s window, newest first."""

    async def writers(self) -> list[str]:
        """Every writer id with events or checkpoints in the sink."""

    def chain(self, writer_id: str) -> AsyncIterator[SealedEvent | BrokenRow]:
        """One writer's events in sequence order, as stored (for verify)."""

    async def checkpoints(self, writer_id: str) -> list[Checkpoint | BrokenRow]:
        """One writer's checkpoints, by first sequence number."""

    def copies(self) -> AsyncIterator[EventCopy | BrokenRow]:
        """Every stored copy of an event outside the chain table (none for a single-table sink)."""

    async def ping(self) -> None:
        """Return when the sink answers; raise :class:`AuditUnavailable` otherwise (for /readyz)."""

    async def close(self) -> None:
        """Release connections; the sink is not used afterwards."""

"""Events, checkpoints and read requests as SQL text with bound parameters (never pasted in).

Writes are ``ON CONFLICT DO NOTHING``: the same sealed event written twice (the drainer
retrying a batch whose commit it did not hear about) leaves one row.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from customer360.audit.events import Checkpoint, SealedEvent, epoch_millis
from customer360.audit.paging import PageRequest
from customer360.audit.sqlite.multirow import MultiRowInsert
from customer360.audit.sqlite.schema import CHECKPOINT_COLUMNS, EVENT_COLUMNS
from customer360.backend_calls import CompiledQuery

#: Beyond any real time in milliseconds, for open-ended windows.
_FAR = 1 << 62
_COLUMNS = ", ".join(EVENT_COLUMNS)

EVENT_INSERT = MultiRowInsert(f"INSERT INTO audit_event ({_COLUMNS})", len(EVENT_COLUMNS), "ON CONFLICT DO NOTHING")
CHECKPOINT_INSERT = MultiRowInsert(
    f"INSERT INTO audit_checkpoint ({', '.join(CHECKPOINT_COLUMNS)})", len(CHECKPOINT_COLUMNS), "ON CONFLICT DO NOTHING"
)


def _json(values: Sequence) -> str:
    return orjson.dumps(list(values)).decode()


def event_row(sealed: SealedEvent, shared: dict | None = None) -> tuple:
    """The row of one event. ``shared`` memoises what the events of one batch have in common
    (one response's events share their time, roles and, mostly, their field lists)."""
    e = sealed.event
    if shared is None:
        shared = {}
    occurred_ms = shared.get(e.occurred_at)
    if occurred_ms is None:
        occurred_ms = shared[e.occurred_at] = epoch_millis(e.occurred_at)
    lists = []
    for values in (e.roles, e.fields_clear, e.fields_masked):  # most of a response's customers share theirs
        spelled = shared.get(values)
        if spelled is None:
            spelled = shared[values] = _json(values)
        lists.append(spelled)
    roles, fields_clear, fields_masked = lists
    return (
        sealed.writer_id, sealed.seq, str(e.event_id), e.kind.value, occurred_ms, e.principal,
        roles, e.purpose, e.customer_id, fields_clear, fields_masked, e.operation_name,
        e.document_hash, e.request_id, e.client_address, e.outcome.value,
        _json([[f.name, f.sha256, f.rows] for f in e.files]) if e.files else "[]", e.rows, sealed.prev_hash,
        sealed.hash,
    )


def checkpoint_row(c: Checkpoint) -> tuple:
    return (c.writer_id, c.first_seq, c.last_seq, c.merkle_root, c.head_hash, epoch_millis(c.first_at),
            epoch_millis(c.last_at), epoch_millis(c.created_at))


def insert_events(events: Sequence[SealedEvent]) -> CompiledQuery:
    shared: dict = {}
    return CompiledQuery("audit_write_events", EVENT_INSERT.one_row_text, tuple(event_row(e, shared) for e in events))


def insert_checkpoints(checkpoints: Sequence[Checkpoint]) -> CompiledQuery:
    return CompiledQuery("audit_write_checkpoints", CHECKPOINT_INSERT.one_row_text,
                         tuple(checkpoint_row(c) for c in checkpoints))


def _window(column: str, key: str, page: PageRequest, operation: str) -> CompiledQuery:
    after_ms, after_id = (_FAR, "") if page.after is None else (epoch_millis(page.after.occurred_at), str(page.after.event_id))
    text = (
        f"SELECT {_COLUMNS} FROM audit_event WHERE {column} = ? AND occurred_ms >= ? AND occurred_ms < ? "
        "AND (occurred_ms, event_id) < (?, ?) ORDER BY occurred_ms DESC, event_id DESC LIMIT ?"
    )
    since = -_FAR if page.since is None else epoch_millis(page.since)
    until = _FAR if page.until is None else epoch_millis(page.until)
    return CompiledQuery(operation, text, (key, since, until, after_ms, after_id, page.first + 1))


def audit_trail(customer_id: str, page: PageRequest) -> CompiledQuery:
    return _window("customer_id", customer_id, page, "audit_trail")


def access_log(principal: str, page: PageRequest) -> CompiledQuery:
    return _window("principal", principal, page, "audit_access_log")


def chain_page(writer_id: str, after_seq: int, limit: int) -> CompiledQuery:
    return CompiledQuery(
        "audit_chain",
        f"SELECT {_COLUMNS} FROM audit_event WHERE writer_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (writer_id, after_seq, limit),
    )


def checkpoints_of(writer_id: str) -> CompiledQuery:
    return CompiledQuery(
        "audit_checkpoints",
        f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM audit_checkpoint WHERE writer_id = ? ORDER BY first_seq",
        (writer_id,),
    )


WRITERS = CompiledQuery(
    "audit_writers",
    "SELECT writer_id FROM audit_event GROUP BY writer_id UNION SELECT writer_id FROM audit_checkpoint",
)
PING = CompiledQuery("audit_ping", "SELECT 1")

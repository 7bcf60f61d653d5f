"""Events, checkpoints and read requests as SQL text with bound parameters (never pasted in).

Writes are ``ON CONFLICT DO NOTHING``: the same sealed event written twice (the drainer
retrying a batch whose commit it did not hear about) leaves one row.

A record (one response's events, one link of the chain) is written by ONE statement that
expands its entries into rows in SQL (``json_each``): what the events share is bound once,
and a response about hundreds of customers costs the drainer no Python per customer.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from customer360.audit.events import (
    CANONICAL_VERSION,
    Checkpoint,
    LoadedFile,
    SealedEvent,
    SealedLink,
    epoch_millis,
)
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


RECORD_INSERT = (
    f"INSERT INTO audit_event ({_COLUMNS}) "
    "SELECT ?1, ?2 + entry.key, json_extract(entry.value, '$[0]'), ?3, ?4, ?5, ?6, ?7, "
    "json_extract(entry.value, '$[1]'), json_extract(entry.value, '$[2]'), json_extract(entry.value, '$[3]'), "
    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?2, ?17 "
    "FROM json_each(?18) AS entry WHERE true ON CONFLICT DO NOTHING"
)
"""One row per entry of a record; the columns in EVENT_COLUMNS' order. (``WHERE true``: an
upsert after a SELECT needs a WHERE, or SQLite reads its ON as a join's.)"""


def _json(values: Sequence) -> str:
    return orjson.dumps(list(values)).decode()


def _files_json(files: Sequence[LoadedFile]) -> str:
    return _json([[f.name, f.sha256, f.rows] for f in files]) if files else "[]"


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
        _files_json(e.files), e.rows, sealed.prev_hash,
        sealed.hash, sealed.link_first, sealed.link_last,
    )


def record_params(link: SealedLink) -> tuple:
    """:data:`RECORD_INSERT`'s parameters for a version-2 link."""
    r = link.record
    return (
        link.writer_id, link.seq, r.kind.value, epoch_millis(r.occurred_at), r.principal, _json(r.roles), r.purpose,
        r.operation_name, r.document_hash, r.request_id, r.client_address, r.outcome.value,
        _files_json(r.files), r.rows, link.prev_hash, link.hash,
        link.last_seq, orjson.dumps(r.entries).decode(),
    )


def insert_links(links: Sequence[SealedLink]) -> tuple[CompiledQuery, CompiledQuery]:
    """The rows of every event of ``links``: version-2 links as :data:`RECORD_INSERT` (one
    statement each), version-1 links (spooled by earlier versions) as :data:`EVENT_INSERT`
    rows of their one event."""
    shared: dict = {}
    single = tuple(event_row(sealed, shared) for link in links if link.version == CANONICAL_VERSION
                   for sealed in link.sealed_events())
    records = tuple(record_params(link) for link in links if link.version != CANONICAL_VERSION)
    return (CompiledQuery("audit_write_records", RECORD_INSERT, records),
            CompiledQuery("audit_write_events", EVENT_INSERT.one_row_text, single))


def checkpoint_row(c: Checkpoint) -> tuple:
    return (c.writer_id, c.first_seq, c.last_seq, c.merkle_root, c.head_hash, epoch_millis(c.first_at),
            epoch_millis(c.last_at), epoch_millis(c.created_at))


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

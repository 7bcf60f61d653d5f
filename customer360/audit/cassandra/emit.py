"""Events, checkpoints and read requests as CQL text plus bound values.

Every write carries ``USING TIMESTAMP`` derived from the event (its time, in microseconds),
so writing the same event again writes identical cells with identical timestamps: a replay
after a crash or a retried batch leaves the table exactly as one write did. ``TTL`` is bound
too (0: the row never expires). Absent values are left unset rather than written as null,
so an event leaves no tombstones behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cassandra.query import UNSET_VALUE

from customer360.audit.cassandra.schema import (
    BUCKET_SIZE,
    CHECKPOINT_COLUMNS,
    EVENT_COLUMNS,
    keyspace_name,
)
from customer360.audit.events import Checkpoint, SealedEvent, epoch_millis
from customer360.audit.paging import PageRequest

#: Cassandra refuses a TTL above 20 years.
MAX_TTL_S = 630_720_000
_MIN_UUID = uuid.UUID(int=0)
_MAX_UUID = uuid.UUID(int=(1 << 128) - 1)
#: The first and last instants a window may name when open-ended (CQL timestamps are 64-bit ms).
_EARLIEST_MS = 0
_LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


@dataclass(frozen=True, slots=True)
class Statements:
    """The CQL text of every statement the sink prepares, for one keyspace."""

    insert_by_writer: str
    insert_by_customer: str
    insert_by_principal: str
    insert_customer_day: str
    insert_principal_day: str
    insert_checkpoint: str
    customer_days: str
    principal_days: str
    customer_window: str
    principal_window: str
    chain_bucket: str
    checkpoints_of: str
    writer_buckets: str
    checkpoint_writers: str
    copies_by_customer: str
    copies_by_principal: str
    ping: str

    @classmethod
    def for_keyspace(cls, keyspace: str) -> "Statements":
        ks = keyspace_name(keyspace)
        columns = ", ".join(EVENT_COLUMNS)

        def insert(table: str, names: tuple[str, ...]) -> str:
            return (f"INSERT INTO {ks}.{table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
                    "USING TTL ? AND TIMESTAMP ?")

        def window(table: str, key: str) -> str:
            return (f"SELECT {columns} FROM {ks}.{table} WHERE {key} = ? AND day = ? "
                    "AND (occurred_at, event_id) >= (?, ?) AND (occurred_at, event_id) < (?, ?) LIMIT ?")

        return cls(
            insert_by_writer=insert("events_by_writer", ("bucket", *EVENT_COLUMNS)),
            insert_by_customer=insert("events_by_customer", ("day", *EVENT_COLUMNS)),
            insert_by_principal=insert("events_by_principal", ("day", *EVENT_COLUMNS)),
            insert_customer_day=insert("customer_days", ("customer_id", "day")),
            insert_principal_day=insert("principal_days", ("principal", "day")),
            insert_checkpoint=(f"INSERT INTO {ks}.checkpoints ({', '.join(CHECKPOINT_COLUMNS)}) "
                               f"VALUES ({', '.join('?' for _ in CHECKPOINT_COLUMNS)}) USING TIMESTAMP ?"),
            customer_days=f"SELECT day FROM {ks}.customer_days WHERE customer_id = ? AND day >= ? AND day <= ?",
            principal_days=f"SELECT day FROM {ks}.principal_days WHERE principal = ? AND day >= ? AND day <= ?",
            customer_window=window("events_by_customer", "customer_id"),
            principal_window=window("events_by_principal", "principal"),
            chain_bucket=f"SELECT {columns} FROM {ks}.events_by_writer WHERE writer_id = ? AND bucket = ?",
            checkpoints_of=f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM {ks}.checkpoints WHERE writer_id = ?",
            writer_buckets=f"SELECT DISTINCT writer_id, bucket FROM {ks}.events_by_writer",
            checkpoint_writers=f"SELECT DISTINCT writer_id FROM {ks}.checkpoints",
            copies_by_customer=f"SELECT {columns} FROM {ks}.events_by_customer",
            copies_by_principal=f"SELECT {columns} FROM {ks}.events_by_principal",
            ping="SELECT release_version FROM system.local",
        )


def bucket_of(seq: int) -> int:
    return seq // BUCKET_SIZE


def day_of(moment: datetime) -> date:
    return moment.date()  # events are UTC


def _set(value: Any) -> Any:
    """Bind absent values as unset: no null cell, no tombstone."""
    return UNSET_VALUE if value is None or value == () else value


def event_values(sealed: SealedEvent) -> tuple:
    e = sealed.event
    return (
        sealed.writer_id, sealed.seq, e.event_id, e.kind.value, epoch_millis(e.occurred_at), e.principal,
        _set(list(e.roles) or None), _set(e.purpose), _set(e.customer_id), _set(list(e.fields_clear) or None),
        _set(list(e.fields_masked) or None), _set(e.operation_name), _set(e.document_hash), _set(e.request_id),
        _set(e.client_address), e.outcome.value, _set([(f.name, f.sha256, f.rows) for f in e.files] or None),
        _set(e.rows), sealed.prev_hash, sealed.hash, _set(sealed.link_first), _set(sealed.link_last),
    )


def write_timestamp(sealed: SealedEvent) -> int:
    """Microseconds: fixed by the event, so a rewrite is a no-op rather than a newer version."""
    return epoch_millis(sealed.event.occurred_at) * 1000


def day_ttl(ttl_s: int) -> int:
    """A day row must outlive every event of its day, or those events drop out of the index early."""
    return 0 if ttl_s == 0 else min(ttl_s + 86_400, MAX_TTL_S)


@dataclass(frozen=True, slots=True)
class Write:
    """One row to write: rows of the same statement and partition may share one batch."""

    statement: str
    partition: tuple
    values: tuple


#: Statements that write a (key, day) index row: many events share one, so they are deduplicated.
DAY_STATEMENTS = frozenset({"insert_customer_day", "insert_principal_day"})


def event_writes(sealed: SealedEvent, ttl_s: int) -> Iterator[Write]:
    """Every row one event is written to."""
    e = sealed.event
    values = event_values(sealed)
    stamp = write_timestamp(sealed)
    day = day_of(e.occurred_at)
    yield Write("insert_by_writer", (sealed.writer_id, bucket_of(sealed.seq)),
                (bucket_of(sealed.seq), *values, ttl_s, stamp))
    yield Write("insert_by_principal", (e.principal, day), (day, *values, ttl_s, stamp))
    yield Write("insert_principal_day", (e.principal,), (e.principal, day, day_ttl(ttl_s), stamp))
    if e.customer_id:
        yield Write("insert_by_customer", (e.customer_id, day), (day, *values, ttl_s, stamp))
        yield Write("insert_customer_day", (e.customer_id,), (e.customer_id, day, day_ttl(ttl_s), stamp))


def checkpoint_write(c: Checkpoint) -> Write:
    return Write("insert_checkpoint", (c.writer_id,), (
        c.writer_id, c.first_seq, c.last_seq, c.merkle_root, c.head_hash, epoch_millis(c.first_at),
        epoch_millis(c.last_at), epoch_millis(c.created_at), epoch_millis(c.created_at) * 1000,
    ))


@dataclass(frozen=True, slots=True)
class Window:
    """A page request in CQL terms: the day range, and the (time, id) bounds within a day."""

    first_day: date
    last_day: date
    lower: tuple[int, uuid.UUID]  # inclusive
    upper: tuple[int, uuid.UUID]  # exclusive

    @classmethod
    def of(cls, page: PageRequest) -> "Window":
        lower_ms = _EARLIEST_MS if page.since is None else max(_EARLIEST_MS, epoch_millis(page.since))
        upper: tuple[int, uuid.UUID] = (_LATEST_MS, _MAX_UUID)
        if page.until is not None:
            upper = min(upper, (epoch_millis(page.until), _MIN_UUID))
        if page.after is not None:
            upper = min(upper, (epoch_millis(page.after.occurred_at), page.after.event_id))
        first_day = date(1970, 1, 1) + timedelta(milliseconds=lower_ms)
        last_day = date(1970, 1, 1) + timedelta(milliseconds=max(upper[0], lower_ms))
        return cls(first_day, last_day, (lower_ms, _MIN_UUID), upper)

    @property
    def empty(self) -> bool:
        return self.upper <= self.lower

    def day_query(self, key: str) -> tuple:
        return (key, self.first_day, self.last_day)

    def rows_query(self, key: str, day: date, limit: int) -> tuple:
        return (key, day, *self.lower, *self.upper, limit)

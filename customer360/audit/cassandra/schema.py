"""The CQL tables, one per question asked of the record (Cassandra 5 and DataStax HCD 1.x).

Cassandra answers a question fast only from a table keyed for it, so each event is written
to several tables, each a complete copy:

* ``events_by_customer``: all access to one customer's data, partitioned by (customer, UTC
  day) so a partition stays bounded, clustered newest first by (time, event id).
* ``events_by_principal``: everything one principal did, partitioned by (principal, day).
* ``customer_days`` / ``principal_days``: which days have events, so reading a window visits
  only the partitions that hold something.
* ``events_by_writer``: the hash chain, partitioned by (writer, bucket of
  :data:`BUCKET_SIZE` sequence numbers), clustered by sequence number, for verify.
* ``checkpoints``: Merkle roots over runs of a writer's chain, with the range they cover.

An event sealed with the rest of its response's record names the record's first and last
sequence numbers (``link_first``, ``link_last``, added to the tables of earlier versions with
``ALTER TABLE ... ADD IF NOT EXISTS``; null for an event sealed alone).

Plain tables only: no materialized views, secondary indexes or lightweight transactions, so
the same DDL runs on HCD. Lists are frozen (one cell, no collection tombstones). Identifiers
cannot be bound in CQL, so the keyspace name and replication map are validated
(:mod:`customer360.config`) before they are written into DDL; every value elsewhere is bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Sequence numbers per ``events_by_writer`` partition (about 10 MB at 1 KB an event).
BUCKET_SIZE = 10_000

_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")
_DC = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

#: The columns every copy of an event has, in bind order.
EVENT_COLUMNS = (
    "writer_id", "seq", "event_id", "kind", "occurred_at", "principal", "roles", "purpose", "customer_id",
    "fields_clear", "fields_masked", "operation_name", "document_hash", "request_id", "client_address",
    "outcome", "files", "row_count", "prev_hash", "hash", "link_first", "link_last",
)

_EVENT_COLUMN_TYPES = """
    writer_id text,
    seq bigint,
    event_id uuid,
    kind text,
    occurred_at timestamp,
    principal text,
    roles frozen<list<text>>,
    purpose text,
    customer_id text,
    fields_clear frozen<list<text>>,
    fields_masked frozen<list<text>>,
    operation_name text,
    document_hash text,
    request_id text,
    client_address text,
    outcome text,
    files frozen<list<frozen<tuple<text, text, bigint>>>>,
    row_count bigint,
    prev_hash text,
    hash text,
    link_first bigint,
    link_last bigint,"""

CHECKPOINT_COLUMNS = (
    "writer_id", "first_seq", "last_seq", "merkle_root", "head_hash", "first_at", "last_at", "created_at",
)

EVENT_TABLES = ("events_by_writer", "events_by_customer", "events_by_principal")
#: The columns version 2 added to every event table.
LINK_COLUMNS = ("link_first", "link_last")
#: Tables holding copies of events besides the chain (verify checks each against it).
COPY_TABLES = ("events_by_customer", "events_by_principal")


def keyspace_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"audit keyspace {name!r}: lower-case letters, digits and _ only, at most 48")
    return name


def replication_literal(replication: Mapping[str, str | int]) -> str:
    """A validated CQL replication map, e.g. ``{'class': 'NetworkTopologyStrategy', 'dc1': 3}``."""
    strategy = replication.get("class")
    if strategy not in {"SimpleStrategy", "NetworkTopologyStrategy"}:
        raise ValueError(f"audit replication: unsupported class {strategy!r}")
    parts = [f"'class': '{strategy}'"]
    for key, value in replication.items():
        if key == "class":
            continue
        if not (_DC.fullmatch(key) and isinstance(value, int) and value >= 1):
            raise ValueError(f"audit replication: {key!r}: {value!r} is not a data centre and a number of copies")
        parts.append(f"'{key}': {value}")
    return "{" + ", ".join(parts) + "}"


def drop_keyspace_ddl(keyspace: str) -> str:
    """``DROP KEYSPACE IF EXISTS`` for a validated name: tests and benchmarks start from an
    empty record with it (the service itself never drops anything)."""
    return f"DROP KEYSPACE IF EXISTS {keyspace_name(keyspace)}"


def ddl(keyspace: str, replication: Mapping[str, str | int]) -> list[str]:
    """CREATE statements (all IF NOT EXISTS, so running them again changes nothing)."""
    ks = keyspace_name(keyspace)
    return [
        f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {replication_literal(replication)}"
        " AND durable_writes = true",
        f"""CREATE TABLE IF NOT EXISTS {ks}.events_by_writer (
    bucket int,{_EVENT_COLUMN_TYPES}
    PRIMARY KEY ((writer_id, bucket), seq)
) WITH CLUSTERING ORDER BY (seq ASC)""",
        f"""CREATE TABLE IF NOT EXISTS {ks}.events_by_customer (
    day date,{_EVENT_COLUMN_TYPES}
    PRIMARY KEY ((customer_id, day), occurred_at, event_id)
) WITH CLUSTERING ORDER BY (occurred_at DESC, event_id DESC)""",
        f"""CREATE TABLE IF NOT EXISTS {ks}.events_by_principal (
    day date,{_EVENT_COLUMN_TYPES}
    PRIMARY KEY ((principal, day), occurred_at, event_id)
) WITH CLUSTERING ORDER BY (occurred_at DESC, event_id DESC)""",
        f"""CREATE TABLE IF NOT EXISTS {ks}.customer_days (
    customer_id text,
    day date,
    PRIMARY KEY ((customer_id), day)
) WITH CLUSTERING ORDER BY (day DESC)""",
        f"""CREATE TABLE IF NOT EXISTS {ks}.principal_days (
    principal text,
    day date,
    PRIMARY KEY ((principal), day)
) WITH CLUSTERING ORDER BY (day DESC)""",
        *(f"ALTER TABLE {ks}.{table} ADD IF NOT EXISTS ({', '.join(f'{name} bigint' for name in LINK_COLUMNS)})"
          for table in EVENT_TABLES),
        f"""CREATE TABLE IF NOT EXISTS {ks}.checkpoints (
    writer_id text,
    first_seq bigint,
    last_seq bigint,
    merkle_root text,
    head_hash text,
    first_at timestamp,
    last_at timestamp,
    created_at timestamp,
    PRIMARY KEY ((writer_id), first_seq)
) WITH CLUSTERING ORDER BY (first_seq ASC)""",
    ]

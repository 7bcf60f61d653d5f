"""The audit sinks tests run against, and chains of events to write into them.

SQLite runs everywhere. Cassandra runs when it answers at ``C360_TEST_AUDIT_CASSANDRA``
(default ``cassandra://127.0.0.1:9042/<keyspace>``); otherwise :func:`service_missing` skips
the test, or fails it under ``C360_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from customer360.audit.cassandra.schema import drop_keyspace_ddl
from customer360.audit.chain import GENESIS, seal, seal_record
from customer360.audit.events import (
    AuditEvent,
    AuditRecord,
    Checkpoint,
    SealedEvent,
    SealedLink,
)
from customer360.audit.merkle import merkle_root
from customer360.audit.protocol import AuditUnavailable
from customer360.config import AuditUrl
from tests.conftest import service_missing

CASSANDRA = os.environ.get("C360_TEST_AUDIT_CASSANDRA", "cassandra://127.0.0.1:9042")


def cassandra_url(keyspace: str) -> AuditUrl:
    return AuditUrl.parse(f"{CASSANDRA.rstrip('/')}/{keyspace}")


def cassandra_sink_or_skip(keyspace: str, **options):
    """A connected Cassandra sink on ``keyspace`` (created if missing), or skip/fail."""
    from customer360.audit.cassandra import CassandraAuditSink

    url = cassandra_url(keyspace)
    sink = CassandraAuditSink(list(url.hosts), url.port, url.keyspace, timeout_s=20, **options)
    try:
        asyncio.run(sink.ping())
    except AuditUnavailable as error:
        asyncio.run(sink.close())
        service_missing(f"Cassandra at {','.join(url.hosts)}:{url.port}", error.reason)
    return sink


def raw_cluster(url: AuditUrl):
    """A plain driver connection, outside the audit API (as an insider with CQL access has)."""
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import RoundRobinPolicy

    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy())
    return Cluster(list(url.hosts), port=url.port, protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile})


def drop_keyspace(keyspace: str) -> None:
    """Start a test from an empty record."""
    url = cassandra_url(keyspace)
    cluster = raw_cluster(url)
    try:
        cluster.connect().execute(drop_keyspace_ddl(url.keyspace), timeout=120)
    finally:
        cluster.shutdown()


def new_writer() -> str:
    return f"test-{uuid.uuid4()}"


def chain_of(events: Sequence[AuditEvent], writer_id: str | None = None, *, seq: int = 1,
             head: str = GENESIS) -> list[SealedEvent]:
    """Seal events into one writer's chain one by one, as spools of earlier versions did
    (version 1: a link per event); write them with :func:`links_of`."""
    writer_id = writer_id or new_writer()
    sealed = []
    for place, event in enumerate(events, start=seq):
        link = seal(event, writer_id, place, head)
        sealed.append(link)
        head = link.hash
    return sealed


def links_of(chain: Sequence[SealedEvent]) -> list[SealedLink]:
    """Events sealed one by one (:func:`chain_of`) as the links a drainer hands a sink."""
    return [SealedLink.of_event(sealed) for sealed in chain]


def records_chain_of(records: Sequence[AuditRecord], writer_id: str | None = None, *, seq: int = 1,
                     head: str = GENESIS) -> list[SealedLink]:
    """Seal records into one writer's chain, a link per record, as the spool does."""
    writer_id = writer_id or new_writer()
    links = []
    for record in records:
        link, _ = seal_record(record, writer_id, seq, head)
        links.append(link)
        seq, head = link.last_seq + 1, link.hash
    return links


def events_of(links: Sequence[SealedLink]) -> list[SealedEvent]:
    return [sealed for link in links for sealed in link.sealed_events()]


def checkpoints_of(chain: Sequence[SealedEvent], every: int) -> list[Checkpoint]:
    """Checkpoints over runs of ``every`` events sealed one by one."""
    return link_checkpoints_of(links_of(chain), every)


def link_checkpoints_of(links: Sequence[SealedLink], every: int) -> list[Checkpoint]:
    """Checkpoints over runs of ``every`` links (one Merkle leaf per link), as the spool makes them."""
    made = []
    for start in range(0, len(links) - len(links) % every, every):
        run = links[start:start + every]
        made.append(Checkpoint(run[0].writer_id, run[0].seq, run[-1].last_seq, merkle_root([link.hash for link in run]),
                               run[-1].hash, min(link.record.occurred_at for link in run),
                               max(link.record.occurred_at for link in run), datetime.now(timezone.utc)))
    return made


def reads(customer_id: str, count: int, *, start: datetime, step: timedelta, principal: str = "alice",
          **fields) -> list[AuditEvent]:
    return [AuditEvent.read(customer_id=customer_id, principal=principal, at=start + i * step, **fields)
            for i in range(count)]

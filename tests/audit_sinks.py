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
from customer360.audit.chain import GENESIS, seal
from customer360.audit.events import AuditEvent, Checkpoint, SealedEvent
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


def chain_of(events: Sequence[AuditEvent], writer_id: str | None = None) -> list[SealedEvent]:
    """Seal events into one writer's chain, as a spool would."""
    writer_id = writer_id or new_writer()
    sealed, head = [], GENESIS
    for seq, event in enumerate(events, start=1):
        link = seal(event, writer_id, seq, head)
        sealed.append(link)
        head = link.hash
    return sealed


def checkpoints_of(chain: Sequence[SealedEvent], every: int) -> list[Checkpoint]:
    made = []
    for start in range(0, len(chain) - len(chain) % every, every):
        run = chain[start:start + every]
        made.append(Checkpoint(run[0].writer_id, run[0].seq, run[-1].seq, merkle_root([e.hash for e in run]),
                               run[-1].hash, min(e.event.occurred_at for e in run),
                               max(e.event.occurred_at for e in run), datetime.now(timezone.utc)))
    return made


def reads(customer_id: str, count: int, *, start: datetime, step: timedelta, principal: str = "alice",
          **fields) -> list[AuditEvent]:
    return [AuditEvent.read(customer_id=customer_id, principal=principal, at=start + i * step, **fields)
            for i in range(count)]

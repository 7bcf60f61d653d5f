"""What the Cassandra sink does to the real server that the contract suite cannot see:
the keyspace's replication, TTLs, fixed write timestamps, and its calls in /metrics."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from customer360.audit.events import epoch_millis
from customer360.backend_calls import TOTALS
from tests.audit_sinks import (
    cassandra_sink_or_skip,
    cassandra_url,
    chain_of,
    drop_keyspace,
    links_of,
    raw_cluster,
    reads,
)

KEYSPACE = "c360_audit_options_test"


def test_replication_ttl_and_write_timestamps_are_what_was_configured():
    asyncio.run(cassandra_sink_or_skip(KEYSPACE).close())
    drop_keyspace(KEYSPACE)
    sink = cassandra_sink_or_skip(KEYSPACE, ttl_s=3600,
                                  replication={"class": "NetworkTopologyStrategy", "datacenter1": 1})
    recent = datetime.now(timezone.utc) - timedelta(minutes=5)
    chain = chain_of(reads("P-ttl", 3, start=recent, step=timedelta(seconds=1)))
    calls_before = TOTALS.get(("audit-cassandra", "insert_by_writer"))
    before = calls_before.calls if calls_before else 0
    asyncio.run(sink.write(links_of(chain)))
    asyncio.run(sink.close())

    cluster = raw_cluster(cassandra_url(KEYSPACE))
    try:
        session = cluster.connect(KEYSPACE)
        replication = session.execute(
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s", (KEYSPACE,)).one().replication
        rows = list(session.execute("SELECT seq, TTL(hash) AS ttl, WRITETIME(hash) AS written FROM events_by_writer "
                                    "WHERE writer_id = %s AND bucket = 0", (chain[0].writer_id,)))
        copy = session.execute("SELECT TTL(hash) AS ttl FROM events_by_customer WHERE customer_id = %s AND day = %s "
                               "LIMIT 1", ("P-ttl", recent.date())).one()
    finally:
        cluster.shutdown()
    assert replication["class"].endswith("NetworkTopologyStrategy") and replication["datacenter1"] == "1"
    assert [r.seq for r in rows] == [1, 2, 3]
    assert all(3000 < r.ttl <= 3600 for r in rows) and 3000 < copy.ttl <= 3600
    assert [r.written for r in rows] == [epoch_millis(e.event.occurred_at) * 1000 for e in chain]
    assert TOTALS[("audit-cassandra", "insert_by_writer")].calls > before  # shows in /metrics

"""One link of the audit chain per response (a record, version 2): one spool row and one hash
for all of a response's customers, one stored event per customer in the embedded sink, and
verify finding any change to any of them. Files left by earlier versions (a link per event)
keep draining, reading and verifying. Real SQLite files throughout."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from customer360.audit.chain import GENESIS, seal, seal_record
from customer360.audit.drainer import Drainer
from customer360.audit.events import (
    AuditEvent,
    AuditRecord,
    canonical_bytes,
    epoch_millis,
)
from customer360.audit.paging import PageRequest
from customer360.audit.pipeline import AuditPipeline
from customer360.audit.spool import AuditSpool
from customer360.audit.sqlite import SqliteAuditSink
from customer360.audit.verify import verify
from tests.audit_sinks import (
    chain_of,
    events_of,
    link_checkpoints_of,
    reads,
    records_chain_of,
)

DAY = datetime(2025, 4, 7, tzinfo=timezone.utc)


def a_response(customers: int, *, at: datetime = DAY, first: int = 0, principal: str = "svc-frontend") -> AuditRecord:
    return AuditRecord.reads([(f"P{first + n:07d}", ["name", "accounts.balance"], ["ssn"] if n % 3 == 0 else [])
                              for n in range(customers)], principal=principal, roles=["analyst"], purpose="service",
                             operation_name="Nested", request_id="r-1", at=at)


def rows(path: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchall()


async def test_a_responses_record_is_one_spool_row_and_one_link(tmp_path: Path):
    spool = AuditSpool(tmp_path / "spool.db", checkpoint_every=1000)
    try:
        [link] = await spool.append_records([a_response(100)])
        assert (link.seq, link.last_seq) == (1, 100)
        assert spool.depth == 100
        assert rows(spool.path, "SELECT seq, size FROM events") == [(1, 100)]
        assert rows(spool.path, "SELECT seq, hash, last_seq FROM leaves") == [(1, link.hash, 100)]
        [second] = await spool.append_records([a_response(3, first=500)])
        assert second.seq == 101 and second.prev_hash == link.hash
        batch = await spool.peek(50)  # a record is never split: the first link, however large
        assert batch.links == [link] and batch.event_count == 100
        await spool.remove(batch)
        assert spool.depth == 3
        assert (await spool.peek(50)).links == [second]
    finally:
        spool.close()


async def test_a_checkpoint_covers_whole_records(tmp_path: Path):
    spool = AuditSpool(tmp_path / "spool.db", checkpoint_every=10)
    try:
        links = [link for n in range(4) for link in await spool.append_records([a_response(4, first=10 * n)])]
        await spool.seal_checkpoint()
        checkpoints = (await spool.peek(100)).checkpoints
    finally:
        spool.close()
    # 10 events reached inside the third record: it is covered whole, one Merkle leaf per record.
    assert [(c.first_seq, c.last_seq) for c in checkpoints] == [(1, 12), (13, 16)]
    assert checkpoints[0].head_hash == links[2].hash


OLD_SPOOL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, spooled_at REAL NOT NULL);
CREATE TABLE leaves (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, occurred_ms INTEGER NOT NULL, spooled_at REAL NOT NULL);
CREATE TABLE checkpoints (first_seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""
"""The spool's tables as the version before records created them."""


def a_spool_of_the_earlier_version(path: Path, events: list[AuditEvent]) -> list:
    """What a spool of the earlier version left on disk: each event sealed alone, its body the
    link's canonical bytes with the hash in front, one leaf per event."""
    writer = str(uuid.uuid4())
    sealed = chain_of(events, writer)
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SPOOL)
        for event in sealed:
            body = b'{"hash":"%s",%s' % (event.hash.encode(), canonical_bytes(writer, event.seq, event.prev_hash,
                                                                              event.event)[1:])
            db.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (event.seq, str(event.event.event_id), body.decode(), 1.0))
            db.execute("INSERT INTO leaves VALUES (?, ?, ?, ?)",
                       (event.seq, event.hash, epoch_millis(event.event.occurred_at), 1.0))
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("writer_id", writer), ("head_seq", str(len(sealed))),
                                                          ("head_hash", sealed[-1].hash), ("depth", str(len(sealed)))])
    return sealed


async def test_a_spool_left_by_an_earlier_version_ships_and_its_chain_goes_on_in_records(tmp_path: Path):
    earlier = a_spool_of_the_earlier_version(tmp_path / "spool.db", reads("P0000007", 3, start=DAY,
                                                                        step=timedelta(seconds=1)))
    spool = AuditSpool(tmp_path / "spool.db", checkpoint_every=1000)
    sink = SqliteAuditSink(tmp_path / "audit.db")
    pipeline = AuditPipeline(spool, sink, Drainer(spool, sink, batch_size=4))
    assert spool.writer_id == earlier[0].writer_id and spool.depth == 3
    link = await pipeline.record_reads(a_response(5, at=DAY + timedelta(minutes=1), first=7))
    assert (link.seq, link.prev_hash) == (4, earlier[-1].hash)
    assert await pipeline.flush()
    await pipeline.aclose()
    sink = SqliteAuditSink(tmp_path / "audit.db")
    try:
        stored = [e async for e in sink.chain(earlier[0].writer_id)]
        report = await verify(sink)
        trail = (await sink.audit_trail("P0000007", PageRequest(first=10))).events
    finally:
        await sink.close()
    assert stored[:3] == earlier and [e.link_first for e in stored] == [None] * 3 + [4] * 5
    assert report.ok, [str(f) for f in report.findings]
    assert report.events == 8 and report.checkpoints == 1 and report.unchecked_tail == 0
    assert [e.seq for e in trail] == [4, 3, 2, 1]


OLD_SINK = """
CREATE TABLE audit_event (
    writer_id TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL,
    occurred_ms INTEGER NOT NULL, principal TEXT NOT NULL, roles TEXT NOT NULL, purpose TEXT, customer_id TEXT,
    fields_clear TEXT NOT NULL, fields_masked TEXT NOT NULL, operation_name TEXT, document_hash TEXT,
    request_id TEXT, client_address TEXT, outcome TEXT NOT NULL, files TEXT NOT NULL, row_count INTEGER,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (writer_id, seq)
);
"""
"""The embedded sink's event table as the version before records created it."""


async def test_a_sink_file_of_an_earlier_version_gains_the_link_columns_and_keeps_its_events(tmp_path: Path):
    path = tmp_path / "audit.db"
    earlier = chain_of(reads("P0000001", 2, start=DAY, step=timedelta(seconds=1)))
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SINK)
        for sealed in earlier:
            e = sealed.event
            db.execute("INSERT INTO audit_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                sealed.writer_id, sealed.seq, str(e.event_id), e.kind.value, epoch_millis(e.occurred_at), e.principal,
                '[]', e.purpose, e.customer_id, '[]', '[]', None, None, None, None, e.outcome.value, '[]', None,
                sealed.prev_hash, sealed.hash))
    later = records_chain_of([a_response(2, at=DAY + timedelta(minutes=1), first=1)], earlier[0].writer_id, seq=3,
                             head=earlier[-1].hash)
    sink = SqliteAuditSink(path)
    try:
        await sink.write(later)
        trail = (await sink.audit_trail("P0000001", PageRequest(first=10))).events
        report = await verify(sink)
    finally:
        await sink.close()
    assert trail == [events_of(later)[0], *reversed(earlier)]
    assert report.ok, [str(f) for f in report.findings]


@pytest.fixture
async def stored(tmp_path: Path):
    """A writer's chain of four responses (4, 3, 5 and 2 customers: seq 1..4, 5..7, 8..12 and
    13..14) with a checkpoint over the first two records, written to the embedded sink."""
    links = records_chain_of([a_response(size, at=DAY + timedelta(minutes=n), first=10 * n)
                              for n, size in enumerate((4, 3, 5, 2))])
    sink = SqliteAuditSink(tmp_path / "audit.db")
    await sink.write(links, link_checkpoints_of(links[:2], 2))
    yield sink, links
    await sink.close()


def edit(sink: SqliteAuditSink, sql: str, *params) -> None:
    with sqlite3.connect(sink.path) as db:
        db.execute(sql, params)


async def test_an_intact_chain_of_records_passes(stored):
    sink, links = stored
    report = await verify(sink)
    assert report.ok, [str(f) for f in report.findings]
    assert (report.events, report.checkpoints, report.unchecked_tail) == (14, 1, 7)


@pytest.mark.parametrize("column, value", [("fields_clear", '["name"]'), ("fields_masked", '["dob"]'),
                                           ("customer_id", "P-someone-else"), ("purpose", "marketing"),
                                           ("principal", "mallory"), ("occurred_ms", 0)])
async def test_a_change_to_one_event_of_a_record_is_named_with_the_record(stored, column: str, value):
    sink, links = stored
    edit(sink, f"UPDATE audit_event SET {column} = ? WHERE seq = 9", value)  # the third record: seq 8..12
    report = await verify(sink)
    [finding] = report.findings
    assert (finding.problem, finding.seq, finding.last_seq) == ("altered", 8, 12), str(finding)
    assert "record" in finding.detail


async def test_an_event_taken_out_of_a_record_is_named_as_removed(stored):
    sink, _ = stored
    edit(sink, "DELETE FROM audit_event WHERE seq = 6")  # inside the second record (5..7), under the checkpoint
    [finding] = (await verify(sink)).findings
    assert (finding.problem, finding.seq) == ("removed", 6)


async def test_the_last_events_of_the_last_record_gone_past_every_checkpoint_are_named(stored):
    """No checkpoint covers the last record, yet its first event says where it ends."""
    sink, _ = stored
    edit(sink, "DELETE FROM audit_event WHERE seq = 14")
    [finding] = (await verify(sink)).findings
    assert (finding.problem, finding.seq) == ("removed", 14)


async def test_an_event_moved_into_another_record_is_named(stored):
    sink, links = stored
    edit(sink, "UPDATE audit_event SET link_first = 5, link_last = 12, hash = ?, prev_hash = ? WHERE seq = 8",
         links[1].hash, links[1].prev_hash)
    report = await verify(sink)
    assert not report.ok
    assert {f.seq for f in report.findings} & {5, 8}, [str(f) for f in report.findings]


async def test_a_record_rewritten_with_a_recomputed_hash_is_named_by_the_next_ones_link(stored):
    sink, links = stored
    third = links[2]
    forged_record = a_response(5, at=third.record.occurred_at, first=20, principal="mallory")
    forged, _ = seal_record(forged_record, third.writer_id, third.seq, third.prev_hash)
    for sealed, original in zip(forged.sealed_events(), third.sealed_events()):
        edit(sink, "UPDATE audit_event SET principal = ?, event_id = ?, hash = ? WHERE seq = ?", sealed.event.principal,
             str(sealed.event.event_id), sealed.hash, original.seq)
    report = await verify(sink)
    [finding] = report.findings
    assert (finding.problem, finding.seq) == ("altered", 12) and "recomputed" in finding.detail


async def test_a_record_stands_in_for_an_event_sealed_alone_only_with_its_own_hash(tmp_path: Path):
    """A record's events cannot pass as events sealed alone (or the reverse): the link columns
    are part of what verify reads, so clearing them breaks the record's check."""
    sink = SqliteAuditSink(tmp_path / "audit.db")
    links = records_chain_of([a_response(2)])
    await sink.write(links)
    edit(sink, "UPDATE audit_event SET link_first = NULL, link_last = NULL")
    report = await verify(sink)
    await sink.close()
    assert {(f.problem, f.seq) for f in report.findings} >= {("altered", 1), ("altered", 2)}


def test_a_record_sealed_alone_by_the_old_rule_does_not_match_the_new_one():
    record = a_response(1)
    [event] = record.events()
    assert seal(event, "w", 1, GENESIS).hash != seal_record(record, "w", 1, GENESIS)[0].hash

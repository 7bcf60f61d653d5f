"""verify's judgement on the embedded SQLite sink, tampered with directly in the file:
what it accepts (rows gone through their TTL), and what it names."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from customer360.audit.sqlite import SqliteAuditSink
from customer360.audit.verify import verify
from tests.audit_sinks import chain_of, checkpoints_of, links_of, reads

DAY = datetime(2025, 1, 6, tzinfo=timezone.utc)


@pytest.fixture
async def record(tmp_path: Path):
    sink = SqliteAuditSink(tmp_path / "audit.db")
    chain = chain_of(reads("P1", 12, start=DAY, step=timedelta(hours=1)))
    other = chain_of(reads("P2", 4, start=DAY, step=timedelta(hours=1)))
    await sink.write(links_of(chain + other), checkpoints_of(chain, 4) + checkpoints_of(other, 4))
    yield sink, chain, other
    await sink.close()


def edit(sink: SqliteAuditSink, sql: str, *params) -> None:
    with sqlite3.connect(sink.path) as db:
        db.execute(sql, params)


async def test_an_intact_record_passes(record):
    sink, chain, other = record
    report = await verify(sink)
    assert report.ok and report.events == 16 and report.checkpoints == 4 and report.writers == 2


async def test_a_chain_start_gone_through_its_ttl_is_accepted_but_not_before(record):
    sink, chain, _ = record
    edit(sink, "DELETE FROM audit_event WHERE writer_id = ? AND seq <= 4", chain[0].writer_id)
    ttl = 30 * 86_400
    later = await verify(sink, ttl_s=ttl, now=DAY + timedelta(seconds=ttl, hours=1))
    assert later.ok, [str(f) for f in later.findings]
    assert later.expired == 4
    early = await verify(sink, ttl_s=ttl, now=DAY + timedelta(days=1))
    (finding,) = early.findings
    assert (finding.problem, finding.seq, finding.last_seq) == ("removed", 1, 4)


async def test_a_deleted_tail_and_a_deleted_checkpoint_are_named(record):
    sink, chain, _ = record
    writer = chain[0].writer_id
    edit(sink, "DELETE FROM audit_event WHERE writer_id = ? AND seq >= 11", writer)
    edit(sink, "DELETE FROM audit_checkpoint WHERE writer_id = ? AND first_seq = 5", writer)
    report = await verify(sink)
    found = {(f.problem, f.table, f.seq, f.last_seq) for f in report.findings}
    assert ("removed", "audit_event", 11, 12) in found
    assert ("removed", "checkpoints", 5, 8) in found
    assert list(report.by_writer()) == [writer]  # the other writer's chain is intact


async def test_a_value_no_writer_writes_is_named_as_altered(record):
    sink, chain, _ = record
    edit(sink, "UPDATE audit_event SET kind = 'bogus' WHERE writer_id = ? AND seq = 7", chain[0].writer_id)
    report = await verify(sink)
    assert report.first.seq == 7 and report.first.problem == "altered" and "no longer reads" in report.first.detail


async def test_an_inserted_first_event_is_named(record):
    sink, chain, _ = record
    edit(sink, "UPDATE audit_event SET prev_hash = ? WHERE writer_id = ? AND seq = 1", "1" * 64, chain[0].writer_id)
    report = await verify(sink)
    assert report.first.seq == 1 and report.first.problem == "altered"

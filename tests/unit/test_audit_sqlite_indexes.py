"""The embedded sink's question indexes: narrow (customer or principal, time), used by both
questions, and swapped in for the wide ones of files made by earlier versions."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from customer360.audit.paging import PageRequest
from customer360.audit.sqlite import SqliteAuditSink, emit
from tests.audit_sinks import chain_of, links_of, reads

DAY = datetime(2025, 3, 10, tzinfo=timezone.utc)
WIDE = {
    "audit_event_by_customer": "CREATE INDEX audit_event_by_customer ON audit_event (customer_id, occurred_ms, event_id) "
                               "WHERE customer_id IS NOT NULL",
    "audit_event_by_principal": "CREATE INDEX audit_event_by_principal ON audit_event (principal, occurred_ms, event_id)",
}


def indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def plan(path: Path, query) -> str:
    with sqlite3.connect(path) as db:
        return " / ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {query.text}", query.params))


def test_both_questions_are_answered_from_the_narrow_indexes(tmp_path: Path):
    path = tmp_path / "audit.db"
    asyncio.run(SqliteAuditSink(path).close())
    trail = plan(path, emit.audit_trail("P1", PageRequest(first=10)))
    log = plan(path, emit.access_log("alice", PageRequest(first=10)))
    assert "audit_event_by_customer_time" in trail and "SCAN audit_event" not in trail, trail
    assert "audit_event_by_principal_time" in log and "SCAN audit_event" not in log, log


def test_a_file_of_an_earlier_version_swaps_its_wide_indexes_and_keeps_every_event(tmp_path: Path):
    path = tmp_path / "audit.db"
    chain = chain_of(reads("P7", 12, start=DAY, step=timedelta(milliseconds=0)) +
                     reads("P7", 3, start=DAY + timedelta(minutes=1), step=timedelta(seconds=1)))

    async def written_by_the_earlier_version() -> None:
        sink = SqliteAuditSink(path)
        await sink.write(links_of(chain))
        await sink.close()
        with sqlite3.connect(path) as db:
            db.execute("DROP INDEX audit_event_by_customer_time")
            db.execute("DROP INDEX audit_event_by_principal_time")
            for ddl in WIDE.values():
                db.execute(ddl)

    async def pages_of_the_trail() -> list:
        sink = SqliteAuditSink(path)
        found, after = [], None
        while True:
            page = await sink.audit_trail("P7", PageRequest.build(4, after=after))
            found += page.events
            if not page.has_next:
                break
            after = page.next_cursor
        await sink.close()
        return found

    asyncio.run(written_by_the_earlier_version())
    assert set(WIDE) <= indexes(path)
    found = asyncio.run(pages_of_the_trail())
    assert not set(WIDE) & indexes(path)
    assert {"audit_event_by_customer_time", "audit_event_by_principal_time"} <= indexes(path)
    # twelve events in one millisecond: ties are still broken by event id, newest first, across pages
    assert found == sorted(chain, key=lambda e: (e.event.occurred_at, e.event.event_id), reverse=True)

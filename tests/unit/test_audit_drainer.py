"""The drainer against the embedded SQLite sink: everything spooled reaches the sink once,
a sink that refuses writes costs the request path nothing and loses nothing.

The outage is real: another connection holds the sink file's write lock, so the sink's
writes fail as they would with a stuck or full disk.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from customer360.audit.drainer import Drainer
from customer360.audit.events import AuditEvent, AuditRecord
from customer360.audit.paging import PageRequest
from customer360.audit.pipeline import AuditPipeline, render_metric_samples
from customer360.audit.spool import AuditSpool
from customer360.audit.sqlite import SqliteAuditSink
from customer360.audit.verify import verify


def a_read(i: int) -> AuditEvent:
    return AuditEvent.read(customer_id="P0000001", principal=f"user{i % 3}", purpose="service",
                           fields_clear=["name"])


@pytest.fixture
def pipeline(tmp_path: Path):
    spool = AuditSpool(tmp_path / "spool.db", checkpoint_every=10)
    sink = SqliteAuditSink(tmp_path / "audit.db", lock_timeout_s=0.1)
    drainer = Drainer(spool, sink, batch_size=7, backoff_initial_s=0.01, backoff_max_s=0.05, idle_poll_s=0.05)
    return AuditPipeline(spool, sink, drainer)


async def wait_until(condition, what: str, attempts: int = 400) -> None:
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"gave up waiting until {what}")


async def all_events(sink: SqliteAuditSink) -> list:
    page = await sink.audit_trail("P0000001", PageRequest(first=1000))
    return page.events


def _lingering(folder: Path, linger_s: float) -> tuple[AuditPipeline, list[int]]:
    """A pipeline whose drainer lingers, and the events of each sink write that carries any."""
    spool = AuditSpool(folder / "spool.db")
    sink = SqliteAuditSink(folder / "audit.db")
    writes: list[int] = []
    real_write = sink.write

    async def counted_write(links, checkpoints=()):
        if links:
            writes.append(sum(link.size for link in links))
        await real_write(links, checkpoints)

    sink.write = counted_write
    return AuditPipeline(spool, sink, Drainer(spool, sink, linger_s=linger_s, idle_poll_s=5)), writes


async def test_the_drainer_ships_every_event_once_and_empties_the_spool(pipeline: AuditPipeline):
    await pipeline.start()
    try:
        appended = await asyncio.gather(*(pipeline.record(a_read(i)) for i in range(40)))
        await wait_until(lambda: pipeline.spool_depth == 0, "the spool is empty")
    finally:
        await pipeline.aclose()
    sink = SqliteAuditSink(pipeline.sink.path)
    try:
        stored = await all_events(sink)
        report = await verify(sink)
    finally:
        await sink.close()
    assert sorted(e.seq for e in stored) == list(range(1, 41))
    assert {e.event.event_id for e in stored} == {e.event.event_id for e in appended}
    assert report.ok, [str(f) for f in report.findings]
    assert report.checkpoints == 4  # three full runs of 10, and the tail sealed at shutdown


async def test_responses_arriving_together_share_one_sink_write(tmp_path: Path):
    """With a linger, the drainer waits a moment after the first response's events arrive, so
    the next responses' events go out in the same sink write (one transaction, one fsync)
    instead of a write per response."""
    pipeline, writes = _lingering(tmp_path, linger_s=0.5)
    await pipeline.start()
    try:
        await asyncio.sleep(0.2)  # the drainer's first look at the (empty) spool is over: it is idle
        for i in range(5):  # five responses, 20 ms apart
            await pipeline.record_reads(AuditRecord.reads([(f"P{i * 10 + n}", ["name"], []) for n in range(3)],
                                                          principal=f"user{i}", purpose="service"))
            await asyncio.sleep(0.02)
        await wait_until(lambda: pipeline.spool_depth == 0, "the spool is empty")
    finally:
        await pipeline.aclose()
    assert writes == [15]


async def test_under_a_steady_stream_the_drainer_gathers_between_writes(tmp_path: Path):
    """Responses that keep coming (one every millisecond or so) are not shipped a few at a
    time: after a write that emptied the spool, the drainer lingers again before the next one,
    rather than draining at once what came during the write, and again, and again."""
    pipeline, writes = _lingering(tmp_path, linger_s=0.2)
    await pipeline.start()
    try:
        for i in range(400):
            await pipeline.record_reads(AuditRecord.reads([(f"P{i}", ["name"], [])], principal="user", purpose="s"))
            await asyncio.sleep(0.001)
        await wait_until(lambda: pipeline.spool_depth == 0, "the spool is empty")
    finally:
        await pipeline.aclose()
    assert sum(writes) == 400
    assert min(writes[:-1]) >= 10, writes  # a write per linger, none for what one write let in


async def test_a_sink_outage_keeps_events_spooled_until_it_is_back(pipeline: AuditPipeline):
    await pipeline.start()
    blocker = sqlite3.connect(pipeline.sink.path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        during = [await pipeline.record(a_read(i)) for i in range(15)]  # appends still succeed
        await wait_until(lambda: pipeline.sink_ok is False, "the drainer notices the outage")
        assert pipeline.spool_depth == 15
        assert "locked" in pipeline.drainer.last_error
        metrics = render_metric_samples(pipeline.metric_samples())
        assert "c360_audit_spool_depth 15" in metrics and "c360_audit_sink_up 0" in metrics
        blocker.rollback()
        after = [await pipeline.record(a_read(i)) for i in range(15, 20)]
        await wait_until(lambda: pipeline.spool_depth == 0, "the spool drains after the outage")
        assert pipeline.sink_ok is True
        stored = await all_events(pipeline.sink)
    finally:
        blocker.close()
        await pipeline.aclose()
    assert sorted(e.event.event_id for e in stored) == sorted(e.event.event_id for e in during + after)


async def test_readiness_names_a_sink_that_does_not_answer(pipeline: AuditPipeline):
    assert (await pipeline.readiness())["ok"] is True
    await pipeline.sink.close()  # a sink that is gone
    state = await pipeline.readiness()
    assert state["ok"] is False and state["backend"] == "audit-sqlite" and state["reason"]
    pipeline.spool.close()


async def test_what_is_left_at_shutdown_is_shipped_by_the_next_run(tmp_path: Path, pipeline: AuditPipeline):
    blocker = sqlite3.connect(pipeline.sink.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    await pipeline.start()
    sealed = [await pipeline.record(a_read(i)) for i in range(5)]
    await pipeline.aclose(flush_timeout_s=0.2)  # the sink is still locked: they stay on disk
    blocker.rollback()
    blocker.close()
    spool = AuditSpool(tmp_path / "spool.db")
    sink = SqliteAuditSink(tmp_path / "audit.db")
    restarted = Drainer(spool, sink)
    try:
        assert spool.depth == 5
        assert await restarted.drain_until_empty(timeout_s=30)
        stored = await all_events(sink)
    finally:
        await sink.close()
        spool.close()
    assert sorted(e.seq for e in stored) == [e.seq for e in sealed]

"""The local spool: what it promises the request path (durable before the response, a
gapless chain, an exception when it cannot write) and the drainer (events leave only when
removed). Real SQLite files throughout."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import stat
from pathlib import Path

import pytest

from customer360.audit.chain import GENESIS, record_matches
from customer360.audit.events import AuditEvent
from customer360.audit.merkle import merkle_root
from customer360.audit.protocol import AuditUnavailable
from customer360.audit.spool import AuditSpool


def a_read(i: int) -> AuditEvent:
    return AuditEvent.read(customer_id=f"P{i:07d}", principal="alice", roles=["analyst"], purpose="kyc",
                           fields_clear=["name"], fields_masked=["ssn"])


@pytest.fixture
def spool(tmp_path: Path):
    opened = AuditSpool(tmp_path / "spool.db", checkpoint_every=4, lock_timeout_s=0.2)
    yield opened
    opened.close()


def assert_chain(events) -> None:
    """Events 1, 2, 3... whose links (one per record) each match their hash and link to the one before."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    links: dict[int, list] = {}
    for event in events:
        links.setdefault(event.link_first, []).append(event)
    for before, after in zip(links.values(), list(links.values())[1:]):
        assert after[0].prev_hash == before[-1].hash
    assert all(record_matches(link) for link in links.values())


async def test_the_spool_file_is_private(spool: AuditSpool):
    await spool.append(a_read(1))
    for path in (spool.path, spool.path.with_name(spool.path.name + "-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


async def test_concurrent_appends_form_one_gapless_chain(spool: AuditSpool):
    sealed = await asyncio.gather(*(spool.append(a_read(i)) for i in range(60)))
    assert_chain(sorted(sealed, key=lambda e: e.seq))
    assert {e.writer_id for e in sealed} == {spool.writer_id}
    assert spool.depth == 60


async def test_responses_finishing_a_few_turns_apart_share_one_commit(spool: AuditSpool, monkeypatch):
    """Under load, responses reach the spool one event-loop turn after another, not at once:
    the committer lets the loop turn before taking a group, so they share one transaction and
    one fsync instead of paying one each."""
    commits = []
    write_group = AuditSpool._write_group

    def counted(self, db, record_lists):
        commits.append(len(record_lists))
        return write_group(self, db, record_lists)

    monkeypatch.setattr(AuditSpool, "_write_group", counted)

    async def response(turns: int, i: int):
        for _ in range(turns):  # the rest of building this response
            await asyncio.sleep(0)
        return await spool.append(a_read(i))

    sealed = await asyncio.gather(*(response(i, i) for i in range(6)))
    assert commits == [6]
    assert_chain(sorted(sealed, key=lambda e: e.seq))


async def test_the_events_of_one_response_are_committed_together_in_order(spool: AuditSpool):
    events = [a_read(i) for i in range(100)]
    first, many = await asyncio.gather(spool.append(a_read(999)), spool.append_many(events))
    assert [e.event for e in many] == events
    seqs = [e.seq for e in many]
    assert seqs == list(range(seqs[0], seqs[0] + 100))
    assert_chain(sorted([first, *many], key=lambda e: e.seq))


async def test_appended_events_survive_closing_and_the_chain_continues(tmp_path: Path):
    first = AuditSpool(tmp_path / "spool.db")
    before = [await first.append(a_read(i)) for i in range(3)]
    first.close()  # as if the process had stopped
    second = AuditSpool(tmp_path / "spool.db")
    try:
        assert second.writer_id == first.writer_id
        after = await second.append(a_read(9))
        batch = await second.peek(100)
    finally:
        second.close()
    assert batch.events == before + [after]
    assert_chain(batch.events)


async def test_the_same_event_appended_twice_is_one_link(spool: AuditSpool):
    event = a_read(1)
    once, twice = await asyncio.gather(spool.append(event), spool.append(event))
    assert once == twice and spool.depth == 1


async def test_events_leave_only_when_removed(spool: AuditSpool):
    sealed = [await spool.append(a_read(i)) for i in range(6)]
    batch = await spool.peek(4)
    assert batch.events == sealed[:4]
    assert (await spool.peek(4)).events == sealed[:4]  # peeking takes nothing away
    await spool.remove(batch)
    assert (await spool.peek(10)).events == sealed[4:]
    assert spool.depth == 2
    assert spool.oldest_age_s >= 0


async def test_writers_sharing_a_file_each_ship_all_and_forget_what_the_other_shipped(tmp_path: Path):
    """Worker processes share one spool file. The drainer takes this process's own appends
    from memory, not parsed back from the file; what another process shipped must leave that
    memory too, or it grows for as long as the service runs."""
    first, second = AuditSpool(tmp_path / "spool.db"), AuditSpool(tmp_path / "spool.db")
    try:
        mine = [await first.append(a_read(i)) for i in range(3)]
        theirs = [await second.append(a_read(10 + i)) for i in range(2)]
        shipped = await second.peek(100)
        assert shipped.events == mine + theirs  # the other writer's events, read back from the file
        await second.remove(shipped)
        later = await first.append(a_read(99))
        assert (await first.peek(100)).events == [later]
        assert list(first._handoff) == [later.seq]  # the three shipped by the other are forgotten
    finally:
        first.close()
        second.close()


async def test_writers_taking_turns_on_one_file_keep_one_chain_depth_and_checkpoints(tmp_path: Path):
    """Two writers sharing one file take turns, with a drain by one of them in between: one
    gapless chain, the right depth, and a checkpoint for every run of four."""
    first = AuditSpool(tmp_path / "spool.db", checkpoint_every=4)
    second = AuditSpool(tmp_path / "spool.db", checkpoint_every=4)
    try:
        sealed = []
        for turn in range(7):
            writer = first if turn % 3 else second
            sealed += await writer.append_many([a_read(10 * turn + i) for i in range(turn % 2 + 1)])
            if turn == 3:  # the other writer ships what is there, then the first appends again
                batch = await second.peek(100)
                await second.remove(batch)
        assert_chain(sealed)
        await first.refresh()
        assert first.depth == (await first.peek(100)).events.__len__() == len(sealed) - len(batch.events)
        checkpoints = batch.checkpoints + (await first.peek(100)).checkpoints
        # A checkpoint covers whole links (a response's events are one), the first ones
        # starting within four events of its start: one Merkle leaf per link.
        second_end = max(e.link_last for e in sealed if 5 <= e.link_first < 9)
        assert [(c.first_seq, c.last_seq) for c in checkpoints] == [(1, 4), (5, second_end)]
        assert checkpoints[1].merkle_root == merkle_root([e.hash for e in sealed
                                                          if 5 <= e.seq <= second_end and e.seq == e.link_first])
    finally:
        first.close()
        second.close()


async def test_a_writers_own_drain_and_checkpoint_count_for_its_next_appends(spool: AuditSpool):
    for i in range(3):
        await spool.append(a_read(i))
    await spool.seal_checkpoint()  # leaves 1..3, on the spool's own connection
    await spool.remove(await spool.peek(100))
    for i in range(4):
        await spool.append(a_read(10 + i))
    assert spool.depth == 4
    assert [(c.first_seq, c.last_seq) for c in (await spool.peek(100)).checkpoints] == [(4, 7)]


async def test_every_run_of_events_gets_a_checkpoint(spool: AuditSpool):
    sealed = [await spool.append(a_read(i)) for i in range(10)]  # checkpoint_every=4
    pending = (await spool.peek(100)).checkpoints
    assert [(c.first_seq, c.last_seq) for c in pending] == [(1, 4), (5, 8)]
    assert pending[1].merkle_root == merkle_root([e.hash for e in sealed[4:8]])
    assert pending[1].head_hash == sealed[7].hash
    tail = await spool.seal_checkpoint()  # the last two, which a quiet service would never fill up
    assert (tail.first_seq, tail.last_seq) == (9, 10)
    assert await spool.seal_checkpoint() is None
    assert await spool.seal_checkpoint(older_than_s=3600) is None


async def test_a_spool_that_cannot_write_raises_and_loses_no_place_in_the_chain(spool: AuditSpool):
    await spool.append(a_read(1))
    blocker = sqlite3.connect(spool.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the file
    try:
        with pytest.raises(AuditUnavailable, match="locked"):
            await spool.append(a_read(2))
    finally:
        blocker.rollback()
        blocker.close()
    later = await spool.append(a_read(3))
    assert later.seq == 2
    assert_chain((await spool.peek(10)).events)


def test_a_spool_that_cannot_be_created_says_where(tmp_path: Path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(AuditUnavailable, match="spool"):
        AuditSpool(tmp_path / "file" / "spool.db")


async def test_a_closed_spool_refuses_appends(tmp_path: Path):
    closed = AuditSpool(tmp_path / "spool.db")
    closed.close()
    with pytest.raises(AuditUnavailable, match="closed"):
        await closed.append(a_read(1))


async def test_a_request_that_gives_up_waiting_leaves_the_spool_serving_the_next(spool: AuditSpool):
    """A client that hangs up (or a request over its time limit) cancels its append while the
    spool's thread is committing it; the thread must carry on for everyone after."""
    for _ in range(20):
        waiting = asyncio.ensure_future(spool.append_many([a_read(n) for n in range(50)]))
        await asyncio.sleep(0)  # submitted to the spool's thread
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    after = await asyncio.wait_for(spool.append(a_read(999)), timeout=10)
    assert after.seq == 20 * 50 + 1  # every cancelled job was committed before it, in order


async def test_while_another_process_holds_the_file_the_event_loop_keeps_serving(tmp_path: Path):
    """Requests write their events on the event loop's thread; waiting for another process's
    write lock must not happen there. Here the lock is let go by a step of the same loop: had
    the append waited on the loop, that step could not run before the lock timeout, and the
    append would fail."""
    spool = AuditSpool(tmp_path / "spool.db", lock_timeout_s=5.0)
    try:
        await spool.append(a_read(1))
        blocker = sqlite3.connect(spool.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # `c360 audit drain` removing a batch, say
        appending = asyncio.ensure_future(spool.append(a_read(2)))
        for _ in range(5):
            await asyncio.sleep(0.01)
        assert not appending.done()
        blocker.rollback()
        blocker.close()
        sealed = await asyncio.wait_for(appending, timeout=10)
        assert sealed.seq == 2
        assert_chain((await spool.peek(10)).events)
    finally:
        spool.close()


async def test_appends_and_the_drainers_reads_and_deletes_take_turns_on_the_file(spool: AuditSpool):
    """Appends are written on the event loop, the drainer's peeks and removes on the spool's
    worker thread: every event is shipped once, in one gapless chain."""
    total = 400
    shipped: list = []

    async def respond(start: int) -> None:
        for i in range(start, total, 8):
            await spool.append_many([a_read(i)])

    async def drain() -> None:
        while len(shipped) < total:
            batch = await spool.peek(37)
            shipped.extend(batch.events)
            await spool.remove(batch)
            await asyncio.sleep(0)

    await asyncio.wait_for(asyncio.gather(drain(), *(respond(start) for start in range(8))), timeout=60)
    assert_chain(shipped)
    assert sorted(e.event.customer_id for e in shipped) == [a_read(i).customer_id for i in range(total)]
    assert spool.depth == 0


async def test_the_blocking_append_is_refused_on_an_event_loop(spool: AuditSpool):
    """On the loop's thread it would wait for the spool while the loop (which may hold the
    file for a group it is committing) cannot go on: a deadlock, refused instead."""
    with pytest.raises(RuntimeError, match="await append"):
        spool.append_sync(a_read(1))
    assert (await spool.append(a_read(2))).seq == 1


def test_the_blocking_append_serves_code_without_an_event_loop(tmp_path: Path):
    spool = AuditSpool(tmp_path / "spool.db")
    try:
        assert [spool.append_sync(a_read(i)).seq for i in range(3)] == [1, 2, 3]
    finally:
        spool.close()

"""Where the SQLite store runs a read asked from the event loop: a short one on the loop
itself, one that outruns the budget of VM steps in a worker thread, with the same rows and
one call on the record either way (``graphstore/sqlite/store.py``)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from customer360.backend_calls import TOTALS, CompiledQuery, capture_calls
from customer360.graphstore.compiled import Compiled
from customer360.graphstore.sqlite import SqliteStore
from customer360.graphstore.sqlite.store import INLINE_STEPS, READER_THREADS


class ThreadReportingStore(SqliteStore):
    """The real store, whose readers can say which thread runs them (``ran_on()``)."""

    def _open_reader(self) -> sqlite3.Connection:
        connection = super()._open_reader()
        connection.create_function("ran_on", 0, threading.get_ident)
        return connection


def counting_to(n: int) -> Compiled[CompiledQuery, list[tuple[int, int]]]:
    """Counts to ``n`` (about ``19 n`` VM steps), then says how far and on which thread."""
    text = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) "
            "SELECT max(x), ran_on() FROM c")
    return Compiled(CompiledQuery("count_to", text, {"n": n}), lambda rows: [tuple(row) for row in rows])


async def test_a_short_read_runs_on_the_event_loop_and_a_long_one_in_a_worker_thread(tmp_path: Path) -> None:
    store = ThreadReportingStore(tmp_path / "g.db")
    loop_thread = threading.get_ident()
    moved_before = TOTALS[("sqlite", "count_to")].moved if ("sqlite", "count_to") in TOTALS else 0
    try:
        with capture_calls() as log:
            [(short_count, short_thread)] = await store._answer(counting_to(10))
            [(long_count, long_thread)] = await store._answer(counting_to(INLINE_STEPS))
    finally:
        store.close()
    assert (short_count, short_thread) == (10, loop_thread)
    assert long_count == INLINE_STEPS  # stopped on the loop, read again in full elsewhere
    assert long_thread != loop_thread
    assert [(call.operation, call.rows, call.moved) for call in log.calls] == [
        ("count_to", 1, False), ("count_to", 1, True)]
    assert TOTALS[("sqlite", "count_to")].moved == moved_before + 1  # /metrics: c360_backend_calls_moved_total


async def test_a_read_under_the_budget_stays_on_the_loop_however_often_it_runs(tmp_path: Path) -> None:
    """SQLite counts a prepared statement's steps over its whole life: a budget checked against
    that count would move a short statement to a thread every few runs (the profile query's
    related customers moved a third of the time)."""
    store = ThreadReportingStore(tmp_path / "g.db")
    loop_thread = threading.get_ident()
    under_budget = INLINE_STEPS // 40  # about half the budget's steps
    try:
        with capture_calls() as log:
            answers = [await store._answer(counting_to(under_budget)) for _ in range(20)]
            [(long_count, long_thread)] = await store._answer(counting_to(INLINE_STEPS))
    finally:
        store.close()
    assert answers == [[(under_budget, loop_thread)]] * 20
    assert [call.moved for call in log.calls] == [False] * 20 + [True]
    assert (long_count, long_thread != loop_thread) == (INLINE_STEPS, True)


def test_synchronous_reads_on_the_loop_thread_have_no_budget(tmp_path: Path) -> None:
    """Start-up and the CLI read on the main thread without a loop: a long statement there
    runs to the end (there is no other request to hold up)."""
    store = ThreadReportingStore(tmp_path / "g.db")
    try:
        [(count, thread)] = store._ask(counting_to(INLINE_STEPS))
    finally:
        store.close()
    assert (count, thread) == (INLINE_STEPS, threading.get_ident())


async def test_a_text_that_ran_long_starts_in_the_thread_until_a_run_there_proves_short(tmp_path: Path) -> None:
    """The nested query's response tree is long on every run: only its first run should pay
    for the steps wasted on the loop. The text is the same whatever ``n`` (it is bound)."""
    store = ThreadReportingStore(tmp_path / "g.db")
    loop_thread = threading.get_ident()
    try:
        with capture_calls() as log:
            runs = [await store._answer(counting_to(n)) for n in (INLINE_STEPS, INLINE_STEPS, 10, 10)]
    finally:
        store.close()
    threads = [thread for [(_, thread)] in runs]
    assert [count for [(count, _)] in runs] == [INLINE_STEPS, INLINE_STEPS, 10, 10]
    assert [thread == loop_thread for thread in threads] == [False, False, False, True]
    assert [call.moved for call in log.calls] == [True, True, True, False]


async def test_long_reads_take_turns_on_one_thread_per_core(tmp_path: Path) -> None:
    """Many long statements at once run on at most :data:`READER_THREADS` threads (one per
    core): more would preempt the event loop's core. Each still gets its own rows."""
    store = ThreadReportingStore(tmp_path / "g.db")
    try:
        answers = await asyncio.gather(*(store._answer(counting_to(INLINE_STEPS + n)) for n in range(4 * READER_THREADS)))
        store.close()
        [(_, after_close)] = await store._answer(counting_to(INLINE_STEPS))  # threads again after close
    finally:
        store.close()
    assert [count for [(count, _)] in answers] == [INLINE_STEPS + n for n in range(4 * READER_THREADS)]
    assert len({thread for [(_, thread)] in answers}) <= READER_THREADS
    assert after_close != threading.get_ident()

"""The embedded default store: one SQLite file (stdlib ``sqlite3``), WAL, durable.

It needs no setup, so a fresh clone serves a realistic bank at once. A read from the event
loop first runs right there, within a budget of SQLite VM steps (:data:`INLINE_STEPS`): most
of a request's statements are index lookups that take tens of microseconds, less than handing
them to a thread and back costs. A statement that outruns the budget is stopped and runs
again in a worker thread (one connection per thread; WAL lets them read while a load
writes), so a long scan never holds up the loop's other requests. Its text is remembered
(:class:`_LongStatements`): the next run of the same text starts in the thread, without the
wasted steps on the loop, until a run there proves short again. Every statement, read or
write, synchronous or not, goes through :func:`~customer360.backend_calls.recorded_call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.encryption import FieldCipher, create_private_file
from customer360.graphstore.compiled import Compiled, StepsByEmitters
from customer360.graphstore.insight_cache import (
    bump_data_version,
    ensure_insights_current,
    refresh_insights,
)
from customer360.graphstore.plan import (
    BankTotals,
    MetricsRow,
    VertexLabel,
)
from customer360.graphstore.protocol import StoreUnavailable
from customer360.graphstore.sqlite import emit, network, response_tree, schema
from customer360.graphstore.sqlite.bulk import SqliteBulkWriter, execute_many
from customer360.insights import DEFAULT_RULES, Rules

Result = TypeVar("Result")

#: SQLite VM steps a read may take on the event loop before it moves to a worker thread: a
#: millisecond or so. One customer's accounts take a few hundred steps, the nested query's
#: hundred customers' payments sixteen thousand, a scan of the whole bank millions. A count
#: of steps, unlike a timer, stops the same statement at the same place on every run.
INLINE_STEPS = 20_000
#: The progress handler's period, in VM steps: the budget is counted in these ticks.
STEP_TICK = 1_000
#: Worker threads for the statements that outrun the loop's budget, at most: one per core.
#: Those statements are CPU-bound, so more threads (Python's default is six on two cores)
#: only take turns on the same cores and preempt the event loop, which every request needs.
#: A statement waits its turn instead; a cancelled request's statement is dropped from the
#: queue or interrupted.
READER_THREADS = os.cpu_count() or 2
#: Statement texts remembered as long (:class:`_LongStatements`); the oldest is forgotten first.
LONG_STATEMENTS = 256
LOOKUP_BATCH = 5000  # keys per existing_keys statement
KEY_FILE = "customer360.key"  # the data key's default place: beside the database file


class SqliteStore(StepsByEmitters[CompiledQuery]):
    """GraphStore on a single SQLite file."""

    backend = "sqlite"
    steps = emit
    network_steps = network
    tree_steps = response_tree

    def __init__(self, path: Path, rules: Rules = DEFAULT_RULES, cipher: FieldCipher | None = None) -> None:
        self.path = Path(path)
        self.rules = rules
        # Without a configured key, the quick start gets one generated next to the file (0600).
        self.cipher = cipher or FieldCipher.from_key_file(self.path.with_name(KEY_FILE), create=True)
        create_private_file(self.path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._long = _LongStatements()
        self._readers: ThreadPoolExecutor | None = None
        self.init_schema()
        ensure_insights_current(self, rules)

    def init_schema(self) -> None:
        """Tables and indexes (idempotent; also upgrades files of earlier versions)."""
        with self._write_connection() as connection:
            schema.create(connection, self.cipher)

    # ------------------------------------------------------------ connections

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._open_reader()
        return connection

    def _open_reader(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=10000")
        with self._lock:
            self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def _write_connection(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA busy_timeout=10000")
            yield connection
        finally:
            connection.close()

    def close(self) -> None:
        with self._lock:
            readers, self._readers = self._readers, None
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        if readers is not None:
            readers.shutdown(wait=False, cancel_futures=True)
        self._local = threading.local()

    def _reader_threads(self) -> ThreadPoolExecutor:
        """The worker threads (:data:`READER_THREADS`), started with the first long statement
        and again after :meth:`close`."""
        with self._lock:
            if self._readers is None:
                self._readers = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="c360-sqlite-reader")
            return self._readers

    # ------------------------------------------------------------ asking

    def _inline_connection(self) -> sqlite3.Connection:
        """The event loop's reader: its statements stop after :data:`INLINE_STEPS` (a progress
        handler that answers nonzero interrupts them). Synchronous reads on the same thread
        (start-up, the CLI) keep a connection of their own, without the budget."""
        connection = getattr(self._local, "inline", None)
        if connection is None:
            connection = self._open_reader()
            self._local.budget = budget = _StepBudget()
            connection.set_progress_handler(budget, STEP_TICK)
            self._local.inline = connection
        self._local.budget.ticks = 0
        return connection

    def _read(self, query: CompiledQuery) -> list[sqlite3.Row]:
        with recorded_call(self.backend, query) as record:
            rows = _fetch(self._connection(), query)
            record.rows = len(rows)
        return rows

    def _ask(self, compiled: Compiled[CompiledQuery, Result]) -> Result:
        """Send a compiled step and decode its rows (synchronous: loads, the insight cache)."""
        if compiled.query is None:
            return compiled.answer_without_asking()
        return compiled.decode(self._read(compiled.query))

    async def _answer(self, compiled: Compiled[CompiledQuery, Result]) -> Result:
        """The same from the event loop: inline within the budget, else in a worker thread.
        One call on the record either way, timed from the first attempt."""
        query = compiled.query
        if query is None:
            return compiled.answer_without_asking()
        with recorded_call(self.backend, query) as record:
            if query.text in self._long:
                record.moved = True
                rows, ran_long = await self._fetch_in_thread(query)
                if not ran_long:
                    self._long.forget(query.text)
            else:
                try:
                    rows = _fetch(self._inline_connection(), query, budgeted=True)
                except _OverBudget:
                    record.moved = True
                    self._long.remember(query.text)
                    rows, _ = await self._fetch_in_thread(query)
            record.rows = len(rows)
        return compiled.decode(rows)

    async def _fetch_in_thread(self, query: CompiledQuery) -> tuple[list[sqlite3.Row], bool]:
        """The rows, read in a worker thread, and whether that took more than :data:`INLINE_STEPS`
        VM steps. If the request is cancelled (time limit, client gone), its statement is
        interrupted, not left running."""
        lock = threading.Lock()
        running: list[sqlite3.Connection] = []  # the worker's connection while it runs this

        def fetch() -> tuple[list[sqlite3.Row], bool]:
            connection = self._connection()
            passed = _Passed()
            connection.set_progress_handler(passed, INLINE_STEPS)
            with lock:
                running.append(connection)
            try:
                return _fetch(connection, query), passed.ticks > 0
            finally:
                connection.set_progress_handler(None, INLINE_STEPS)
                with lock:
                    running.clear()

        try:
            return await asyncio.get_running_loop().run_in_executor(self._reader_threads(), fetch)
        except asyncio.CancelledError:
            with lock:  # never once the worker has moved on to another request's statement
                for connection in running:
                    connection.interrupt()
            raise

    # ------------------------------------------------------------ writing

    def existing_keys(self, label: VertexLabel, keys: Collection[str]) -> set[str]:
        batch = list(keys)
        found: set[str] = set()
        for start in range(0, len(batch), LOOKUP_BATCH):
            found |= self._ask(emit.existing_keys(label, batch[start : start + LOOKUP_BATCH]))
        return found

    @contextlib.contextmanager
    def bulk_writer(self) -> Iterator[SqliteBulkWriter]:
        """One transaction for the whole load: a failure anywhere leaves the file unchanged."""
        with self._write_connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteBulkWriter(connection, self.cipher)
                with recorded_call(self.backend, CompiledQuery("refresh_person_summary", schema.REFRESH_SUMMARY)):
                    connection.execute(schema.REFRESH_SUMMARY)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        bump_data_version(self)
        refresh_insights(self, self.rules)

    # ------------------------------------------------------------ insight cache

    def iter_person_metrics(self, batch_size: int) -> Iterator[list[MetricsRow]]:
        after = ""
        while rows := self._ask(emit.person_metrics_page(after, batch_size)):
            yield rows
            after = rows[-1].person_id

    def write_person_insights(self, rows: list[tuple[str, str, str]]) -> None:
        with self._write_connection() as connection:
            execute_many(
                connection, "write_person_insights",
                "UPDATE person_summary SET segment_tier = ?, risk_level = ? WHERE person_id = ?",
                [(tier, level, person_id) for person_id, tier, level in rows],
            )

    def bank_totals(self) -> BankTotals:
        return self._ask(emit.bank_totals())

    def read_state(self, key: str) -> str | None:
        return self._ask(emit.read_state(key))

    def write_state(self, key: str, value: str) -> None:
        with self._write_connection() as connection:
            execute_many(
                connection, "write_state",
                "INSERT INTO c360_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(key, value)],
            )


class _OverBudget(Exception):
    """An inline statement ran out of :data:`INLINE_STEPS` and was stopped."""


class _Passed:
    """A worker thread's progress handler for one statement, called every :data:`INLINE_STEPS`
    VM steps: whether the statement passed that many, never stopping it. Called so rarely that
    the thread does not wait for the GIL in between (a handler every :data:`STEP_TICK` steps
    made the nested query's thread wait for the busy loop forty times a run). SQLite counts a
    prepared statement's steps across its runs, so a short statement now and then passes the
    mark too; that keeps it remembered as long for one more run, no more."""

    def __init__(self) -> None:
        self.ticks = 0

    def __call__(self) -> int:
        self.ticks += 1
        return 0


class _LongStatements:
    """The texts of statements that outran :data:`INLINE_STEPS` on the loop, at most
    :data:`LONG_STATEMENTS` of them. A statement's text holds its shape, not its values (they
    are bound): the nested query's response tree is long on every run, a lookup by key short
    on every run. A text that is short with some values and long with others moves between
    the two ways, at the cost of one wasted budget or one thread hand-off each time."""

    def __init__(self) -> None:
        self._texts: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, text: str) -> bool:
        return text in self._texts

    def remember(self, text: str) -> None:
        with self._lock:
            self._texts[text] = None
            self._texts.move_to_end(text)
            if len(self._texts) > LONG_STATEMENTS:
                self._texts.popitem(last=False)

    def forget(self, text: str) -> None:
        with self._lock:
            self._texts.pop(text, None)


class _StepBudget:
    """The inline reader's progress handler: SQLite calls it every :data:`STEP_TICK` VM steps
    and stops the statement when it answers nonzero.

    SQLite counts those steps over a prepared statement's whole life, not per run, and the
    ``sqlite3`` module keeps statements prepared between runs: a handler that stopped at the
    first call would stop a short statement on its tenth run. So it counts its calls itself,
    from zero at each run (:meth:`SqliteStore._inline_connection`): a run of at most
    :data:`INLINE_STEPS` steps always finishes, one of a tick more is always stopped."""

    def __init__(self) -> None:
        self.ticks = 0

    def __call__(self) -> int:
        self.ticks += 1
        return 1 if self.ticks > INLINE_STEPS // STEP_TICK else 0


def _fetch(connection: sqlite3.Connection, query: CompiledQuery, budgeted: bool = False) -> list[sqlite3.Row]:
    """All rows of one read; ``budgeted``: on the inline reader, where an interruption means
    the budget ran out (nothing else interrupts that connection)."""
    try:
        return connection.execute(query.text, query.params).fetchall()
    except sqlite3.OperationalError as error:
        if budgeted and str(error) == "interrupted":
            raise _OverBudget from None
        raise StoreUnavailable(SqliteStore.backend, str(error)) from error

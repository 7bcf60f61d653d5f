"""GraphStore on a Gremlin server (JanusGraph 1.1 in production and CI).

One pooled ``DriverRemoteConnection`` carries every traversal; each plan step is one
traversal from :mod:`.emit` or :mod:`.network`. Every call, read or write, synchronous or
not, goes through :func:`~customer360.backend_calls.recorded_call`.

gremlinpython drives an asyncio loop of its own inside each call, which cannot run in a
thread whose loop is already running. So traversals never run on the caller's event loop:
async reads run on the store's own worker threads, and a synchronous call made from a thread
that runs a loop (an ASGI app factory, a benchmark's async main) is handed to those workers
too. A store therefore works the same with or without a running loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from gremlin_python.driver.client import Client
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversalSource
from gremlin_python.process.translator import Translator
from gremlin_python.process.traversal import TraversalStrategies
from gremlin_python.structure.graph import Graph

from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.encryption import FieldCipher
from customer360.graphstore.compiled import Compiled, StepsByEmitters
from customer360.graphstore.gremlin import emit, network
from customer360.graphstore.gremlin.bulk import GremlinBulkWriter
from customer360.graphstore.gremlin.emit import GremlinQuery, Params
from customer360.graphstore.gremlin.schema import (
    EDGE_INDEXES,
    EDGES_TIME_ORDERED,
    PERSONS_LISTED,
    SCHEMA_SCRIPT,
    schema_bindings,
)
from customer360.graphstore.gremlin.wire_format import GraphSON3
from customer360.graphstore.insight_cache import (
    bump_data_version,
    refresh_insights,
)
from customer360.graphstore.plan import (
    BankTotals,
    FindPersons,
    MetricsRow,
    Page,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.protocol import StoreUnavailable
from customer360.insights import DEFAULT_RULES, Rules

Result = TypeVar("Result")

log = logging.getLogger(__name__)

DISPLAY_SOURCE = GraphTraversalSource(Graph(), TraversalStrategies())
"""A traversal source with no server behind it: builds the bytecode explain shows."""

RESULT_BATCH = 4096
"""Results per response message. The server's default (``resultIterationBatchSize``, 64) cuts
a level's answer into many messages, each serialized, framed and decoded on its own: one
lookup of 330 accounts took 6-9 ms in six messages and 6-7 ms in one, and a third less
client CPU. Every read here is bounded by its page sizes or its keys."""

LOOKUP_BATCH = 1000  # keys per existing_keys traversal
SCHEMA_TIMEOUT_S = 600  # the schema script reindexes the edges of an older graph once
RECHECK_S = 30.0  # how often a store not yet reading through its vertex-centric indexes asks again
NOTHING_YET = "no accounts or persons yet"  # nothing to page, nothing to check: asked again later
UPGRADES = (
    (EDGES_TIME_ORDERED, GremlinBulkWriter.time_order_edges, "transactions' edges given their time order"),
    (PERSONS_LISTED, GremlinBulkWriter.list_all_persons, "persons listed on the directory"),
)
"""What ``init_schema`` gives a graph loaded by an earlier version, once: its state key, the
writer's method that does it, and how the log names it."""
DEFAULT_KEY_FILE = Path("data") / "customer360.key"  # without a configured key: generated here (0600)


def reachable(host: str, port: int, timeout_s: float = 2.0) -> str | None:
    """None when something listens at host:port, else why not (for skips and /readyz)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as error:
        return str(error) or type(error).__name__


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class GremlinStore(StepsByEmitters[GremlinQuery]):
    """GraphStore on a Gremlin server (JanusGraph 1.1 in production and CI)."""

    backend = "janusgraph"
    steps = emit
    network_steps = network

    def __init__(self, host: str = "127.0.0.1", port: int = 8182, traversal_source: str = "g",
                 *, timeout_s: float = 10.0, pool_size: int = 8, rules: Rules = DEFAULT_RULES,
                 cipher: FieldCipher | None = None) -> None:
        self.rules = rules
        self.cipher = cipher or FieldCipher.from_key_file(DEFAULT_KEY_FILE, create=True)
        self.url = f"ws://{host}:{port}/gremlin"
        self.host, self.port = host, port
        self.traversal_source = traversal_source
        self.timeout_s = timeout_s
        self.pool_size = pool_size
        self._connection: DriverRemoteConnection | None = None
        self._lock = threading.Lock()
        self._translator = Translator(traversal_source)
        self._workers = ThreadPoolExecutor(pool_size, thread_name_prefix="c360-gremlin")
        self._indexes_ready_since: float | None = None
        self._index_checked_at = -RECHECK_S
        self._index_trouble: str | None = None

    # ------------------------------------------------------------ connection

    def _g(self) -> GraphTraversalSource:
        with self._lock:
            if self._connection is None:
                self._connection = DriverRemoteConnection(
                    self.url, self.traversal_source, pool_size=self.pool_size,
                    message_serializer=GraphSON3(),
                )
            return traversal().with_remote(self._connection).with_("batchSize", RESULT_BATCH)

    def _drop_connection(self) -> None:
        """Forget a broken connection; the next call opens a fresh one (self-healing)."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def _off_loop(self, work: Callable[[], Result]) -> Result:
        """Run ``work`` here, or on a worker thread when this thread runs an event loop."""
        if not _loop_running():
            return work()
        return self._workers.submit(contextvars.copy_context().run, work).result()

    def close(self) -> None:
        self._off_loop(self._drop_connection)

    # ------------------------------------------------------------ sending

    def _recorded(self, query: GremlinQuery) -> contextlib.AbstractContextManager[Any]:
        if query.display is not None:
            return recorded_call(self.backend, CompiledQuery(query.operation, query.display))
        shown = Params(display=True)
        text = self._translator.translate(query.build(DISPLAY_SOURCE, shown).bytecode)
        return recorded_call(self.backend, CompiledQuery(query.operation, text, shown.values))

    def _execute(self, query: GremlinQuery) -> list:
        """Run on the pooled connection; after a transport failure, once more on a fresh one
        (a server that restarted leaves dead sockets in the pool). Outages become
        :class:`StoreUnavailable`; an answer from the server (a traversal bug) is raised as is."""
        problem = reachable(self.host, self.port, timeout_s=min(2.0, self.timeout_s))
        if problem:
            self._drop_connection()
            raise StoreUnavailable(self.backend, problem)
        for attempt in (1, 2):
            try:
                return query.build(self._g(), Params(display=False)).to_list()
            except GremlinServerError as error:
                if error.status_code == 598:  # the server's own evaluation timeout
                    raise StoreUnavailable(self.backend, f"timed out on the server: {error}") from error
                raise
            except Exception as error:  # transport: refused, reset, closed websocket...
                self._drop_connection()
                if attempt == 2:
                    raise StoreUnavailable(self.backend, f"{type(error).__name__}: {error}") from error
        raise AssertionError("unreachable")

    def send(self, query: GremlinQuery) -> list:
        """One traversal, synchronously (loads, the insight cache), recorded."""
        with self._recorded(query) as record:
            result = self._off_loop(lambda: self._execute(query))
            record.rows = query.rows_of(result)
        return result

    async def _send_async(self, query: GremlinQuery) -> list:
        with self._recorded(query) as record:
            future = asyncio.get_running_loop().run_in_executor(self._workers, self._execute, query)
            try:
                result = await asyncio.wait_for(future, self.timeout_s)
            except asyncio.TimeoutError:
                raise StoreUnavailable(self.backend, f"no answer within {self.timeout_s:g}s") from None
            record.rows = query.rows_of(result)
        return result

    def _ask(self, compiled: Compiled[GremlinQuery, Result]) -> Result:
        if compiled.query is None:
            return compiled.answer_without_asking()
        return compiled.decode(self.send(compiled.query))

    async def _answer(self, compiled: Compiled[GremlinQuery, Result]) -> Result:
        if compiled.query is None:
            return compiled.answer_without_asking()
        return compiled.decode(await self._send_async(compiled.query))

    # ------------------------------------------------------------ insight cache

    def iter_person_metrics(self, batch_size: int) -> Iterator[list[MetricsRow]]:
        after = ""
        while rows := self._ask(emit.person_metrics_page(after, batch_size)):
            yield rows
            after = rows[-1].person_id

    def _writer(self) -> GremlinBulkWriter:
        return GremlinBulkWriter(self.send, self.cipher, workers=self.pool_size)

    def write_person_insights(self, rows: list[tuple[str, str, str]]) -> None:
        writer = self._writer()
        try:
            writer.write_person_insights(rows)
        finally:
            writer.close()

    def bank_totals(self) -> BankTotals:
        return self._ask(emit.bank_totals())

    def read_state(self, key: str) -> str | None:
        return self._ask(emit.read_state(key))

    def write_state(self, key: str, value: str) -> None:
        writer = self._writer()
        try:
            writer.write_state(key, value)
        finally:
            writer.close()

    # ------------------------------------------------------------ schema and writing

    def init_schema(self) -> None:
        """Create labels, property keys and indexes, and bring a graph loaded by an earlier
        version up to date (idempotent)."""

        def run_script() -> None:
            client = Client(self.url, self.traversal_source, message_serializer=GraphSON3())
            try:
                client.submit(SCHEMA_SCRIPT, schema_bindings()).all().result(timeout=SCHEMA_TIMEOUT_S)
            finally:
                client.close()

        with recorded_call(self.backend, CompiledQuery("init_schema", SCHEMA_SCRIPT, schema_bindings())):
            self._off_loop(run_script)
        self._upgrade_graph()

    def _upgrade_graph(self) -> None:
        """Once per graph, what a graph loaded by an earlier version lacks (:data:`UPGRADES`).
        Instant on a new graph; on an older one, a rewrite of its transactions and persons,
        with progress in the log."""
        for state, upgrade, what in UPGRADES:
            if self.read_state(state) == "1":
                continue
            writer = self._writer()
            try:
                done = upgrade(writer, partial(_log_progress, what))
            finally:
                writer.close()
            if done:
                log.info("JanusGraph: %d %s", done, what)
            self.write_state(state, "1")
        self._index_checked_at = -RECHECK_S
        problem = self._index_problem()
        if problem is not None and problem != NOTHING_YET:
            log.warning("JanusGraph: %s", problem)

    def _index_problem(self) -> str | None:
        """Why pages may not yet be read from the vertex-centric indexes (schema.EDGE_INDEXES:
        payments in time order, customers in name and balance order), or None.

        Checked, not assumed: JanusGraph Server caches the schema, and an index added to a
        label that already had edges (an upgraded graph) stays invisible to the server's
        planner until it restarts. Asked to fold an order it cannot serve from an index, the
        planner then still cuts the page at the backend, before sorting: a wrong page. So the
        store asks the planner itself (a profile) before it relies on the indexes."""
        if self._indexes_ready_since is not None:
            return None
        now = time.monotonic()
        if now - self._index_checked_at < RECHECK_S:
            return self._index_trouble
        self._index_checked_at = now
        self._index_trouble = self._find_index_problem()
        if self._index_trouble is None:
            self._indexes_ready_since = now
        return self._index_trouble

    def _find_index_problem(self) -> str | None:
        for state, _, _ in UPGRADES:
            if self.read_state(state) != "1":
                return f"the graph predates its vertex-centric indexes ({state}): run `c360 graph init` once"
        for index in EDGE_INDEXES:
            [profile] = self.send(emit.index_plan(index))
            if not profile.get("metrics") or profile["metrics"][0].get("counts", {}).get("elementCount", 0) == 0:
                return NOTHING_YET
            if not emit.uses_index(profile, index.name):
                return (f"the server does not read {index.edge} edges through the index {index.name!r} yet "
                        "(its schema cache predates it): restart JanusGraph Server")
        return None

    async def _indexes_ready(self) -> bool:
        """Whether this request may read pages from the vertex-centric indexes; until then
        they come from the vertices (the same answers, slower)."""
        if self._indexes_ready_since is not None:
            return True
        if time.monotonic() - self._index_checked_at < RECHECK_S:
            return False
        problem = await asyncio.get_running_loop().run_in_executor(self._workers, self._index_problem)
        if problem is not None and problem != NOTHING_YET:
            log.warning("JanusGraph: pages are read from the vertices, not the indexes: %s", problem)
        return problem is None

    async def traverse(self, step: Traverse) -> dict[str, Page]:
        ordered = emit.traverse_time_ordered(step) if await self._indexes_ready() else None
        return await self._answer(ordered or emit.traverse(step))

    async def find_persons(self, step: FindPersons) -> Page:
        listed = emit.find_persons_listed(step) if await self._indexes_ready() else None
        return await self._answer(listed or emit.find_persons(step))

    def drop_all_data(self) -> None:
        """Tests only: empty the graph (keeps the schema; ``init_schema`` writes its state again)."""
        writer = GremlinBulkWriter(self.send, self.cipher, workers=min(4, self.pool_size))
        try:
            writer.drop_all()
        finally:
            writer.close()
        self._indexes_ready_since = None
        self._index_checked_at = -RECHECK_S

    def existing_keys(self, label: VertexLabel, keys: Collection[str]) -> set[str]:
        batch = list(keys)
        found: set[str] = set()
        for start in range(0, len(batch), LOOKUP_BATCH):
            found |= self._ask(emit.existing_keys(label, batch[start : start + LOOKUP_BATCH]))
        return found

    @contextlib.contextmanager
    def bulk_writer(self) -> Iterator[GremlinBulkWriter]:
        """Gremlin over a remote connection has no multi-batch transaction, so the loader's
        all-or-nothing rests on its full validation before the first write; writes are
        idempotent upserts, so re-running a load after a failure completes it without
        duplicates. Aggregates on person vertices are refreshed at the end."""
        writer = self._writer()
        try:
            yield writer
            writer.refresh_person_aggregates()
        finally:
            writer.close()
            self._index_checked_at = -RECHECK_S  # a graph that had nothing to check may have data now
        bump_data_version(self)
        refresh_insights(self, self.rules)


def _log_progress(what: str, done: int, total: int) -> None:
    if done == total or done % 10_000 < 250:
        log.info("JanusGraph: %d of %d %s", done, total, what)

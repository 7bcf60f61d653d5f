"""The production audit sink: Cassandra 5 / DataStax HCD through ``cassandra-driver``.

Every call is a prepared statement with bound values, sent with ``execute_async`` and awaited
through :mod:`.futures`, and timed by :func:`~customer360.backend_calls.recorded_call` (one
record per statement or page), so ``/metrics`` shows the audit traffic next to the graph's.

The sink connects lazily: a service starts while Cassandra is down, the spool keeps its
events, and the first drain after Cassandra answers connects, creates the schema if it is
missing (all ``IF NOT EXISTS``) and prepares the statements. After a restart of the server
the driver reconnects by itself (exponential reconnection, 0.5 s up to 10 s, forever) and
re-prepares statements the server forgot.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from cassandra import ConsistencyLevel
from cassandra.cluster import (
    EXEC_PROFILE_DEFAULT,
    Cluster,
    ExecutionProfile,
    ResultSet,
    Session,
)
from cassandra.policies import (
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    TokenAwarePolicy,
)
from cassandra.query import BatchStatement, BatchType, PreparedStatement, Statement

from customer360.audit.cassandra import decode
from customer360.audit.cassandra.emit import (
    DAY_STATEMENTS,
    Statements,
    Window,
    checkpoint_write,
    event_writes,
)
from customer360.audit.cassandra.futures import result_of
from customer360.audit.cassandra.schema import COPY_TABLES, ddl
from customer360.audit.events import AuditEvent, Checkpoint, SealedEvent, SealedLink
from customer360.audit.paging import AuditPage, PageRequest, page_of
from customer360.audit.protocol import AuditUnavailable, BrokenRow, EventCopy
from customer360.backend_calls import CompiledQuery, recorded_call

log = logging.getLogger("customer360.audit")

#: Native protocol v5: Cassandra 4.0+ and DataStax HCD 1.x speak it (pinned, so the driver
#: does not probe newer beta versions and log a downgrade on every connect).
PROTOCOL_VERSION = 5
#: Rows of one partition per unlogged batch (about 100 KB at 1 KB a row).
MAX_BATCH_ROWS = 100
#: (key, day) index rows this process knows it wrote; a later event of the same day skips them.
DAYS_REMEMBERED = 100_000
#: Rows per page when scanning (verify).
SCAN_PAGE = 2000
_DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError)


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if type(error).__name__ not in text else text


class CassandraAuditSink:
    backend = "audit-cassandra"
    chain_table = "events_by_writer"

    def __init__(
        self,
        hosts: Sequence[str],
        port: int,
        keyspace: str,
        *,
        replication: Mapping[str, str | int] | None = None,
        ttl_s: int = 0,
        timeout_s: float = 10.0,
        consistency: str = "LOCAL_QUORUM",
        local_dc: str | None = None,
        create_schema: bool = True,
        max_in_flight: int = 128,
    ) -> None:
        self.hosts = list(hosts)
        self.port = port
        self.keyspace = keyspace
        self.replication = dict(replication or {"class": "SimpleStrategy", "replication_factor": 1})
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self.consistency = getattr(ConsistencyLevel, consistency)
        self.local_dc = local_dc
        self.create_schema = create_schema
        self.max_in_flight = max_in_flight
        self.statements = Statements.for_keyspace(keyspace)
        self._texts: dict[str, str] = {name: getattr(self.statements, name) for name in Statements.__slots__}
        self._cluster: Cluster | None = None
        self._session: Session | None = None
        self._prepared: dict[str, PreparedStatement] = {}
        self._connecting = threading.Lock()  # a thread lock: the sink may outlive one event loop
        self._days_written: OrderedDict[tuple, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"CassandraAuditSink({','.join(self.hosts)}:{self.port}/{self.keyspace})"

    # -------------------------------------------------------------- connection

    async def _ready(self) -> Session:
        session = self._session
        if session is None:
            session = await asyncio.to_thread(self._connect_once)
        return session

    def _connect_once(self) -> Session:
        with self._connecting:
            if self._session is None:
                self._connect()
            assert self._session is not None
            return self._session

    def _connect(self) -> None:
        """Connect, create the schema, prepare every statement (blocking: runs in a thread)."""
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=self.local_dc)),
            consistency_level=self.consistency, request_timeout=self.timeout_s,
        )
        cluster = Cluster(
            self.hosts, port=self.port, protocol_version=PROTOCOL_VERSION,
            execution_profiles={EXEC_PROFILE_DEFAULT: profile},
            reconnection_policy=ExponentialReconnectionPolicy(0.5, 10.0, max_attempts=None),
            connect_timeout=min(5.0, self.timeout_s), control_connection_timeout=min(5.0, self.timeout_s),
        )
        try:
            with recorded_call(self.backend, CompiledQuery("audit_connect", "CONNECT", tuple(self.hosts))):
                session = cluster.connect()
            if self.create_schema:
                for statement in ddl(self.keyspace, self.replication):
                    with recorded_call(self.backend, CompiledQuery("audit_schema", statement)):
                        session.execute(statement, timeout=max(self.timeout_s, 30.0))
            prepared = {}
            for name, text in self._texts.items():
                with recorded_call(self.backend, CompiledQuery("audit_prepare", text)):
                    prepared[name] = session.prepare(text)
        except Exception as error:
            cluster.shutdown()
            raise AuditUnavailable(self.backend, f"{self!r}: {_reason(error)}") from error
        self._cluster, self._session, self._prepared = cluster, session, prepared

    async def close(self) -> None:
        cluster, self._cluster, self._session = self._cluster, None, None
        if cluster is not None:
            await asyncio.to_thread(cluster.shutdown)

    # -------------------------------------------------------------- one statement

    async def _execute(self, name: str, params: tuple, *, fetch_size: int | None = None,
                       paging_state: bytes | None = None) -> ResultSet:
        session = await self._ready()
        with recorded_call(self.backend, CompiledQuery(name, self._texts[name], params)) as record:
            try:
                statement = self._prepared[name].bind(params)
                if fetch_size is not None:
                    statement.fetch_size = fetch_size
                result = await result_of(
                    session.execute_async(statement, timeout=self.timeout_s, paging_state=paging_state)
                )
            except Exception as error:
                raise AuditUnavailable(self.backend, f"{name}: {_reason(error)}") from error
            record.rows = len(result.current_rows)
        return result

    async def _pages(self, name: str, params: tuple) -> AsyncIterator[list[Any]]:
        paging_state = None
        while True:
            result = await self._execute(name, params, fetch_size=SCAN_PAGE, paging_state=paging_state)
            yield result.current_rows
            paging_state = result.paging_state
            if not paging_state:
                return

    # -------------------------------------------------------------- writing

    async def _write(self, name: str, rows: list[tuple]) -> None:
        """Rows of one statement and ONE partition: a single statement, or an unlogged batch
        (applied as one mutation; single-partition batches are exempt from the batch size limits)."""
        session = await self._ready()
        with recorded_call(self.backend, CompiledQuery(name, self._texts[name], tuple(rows))) as record:
            try:
                if len(rows) == 1:
                    statement: Statement = self._prepared[name].bind(rows[0])
                else:
                    statement = BatchStatement(batch_type=BatchType.UNLOGGED)
                    for values in rows:
                        statement.add(self._prepared[name], values)
                await result_of(session.execute_async(statement, timeout=self.timeout_s))
            except Exception as error:
                raise AuditUnavailable(self.backend, f"{name}: {_reason(error)}") from error
            record.rows = len(rows)

    async def write(self, links: Sequence[SealedLink], checkpoints: Sequence[Checkpoint] = ()) -> None:
        """Every row of every event of ``links``: rows sharing a partition go in one request,
        day index rows once per batch (and once per process), at most ``max_in_flight``
        requests at a time.

        Raises :class:`AuditUnavailable` if any request failed; the caller writes the whole
        batch again later, which rewrites the rows that did land with no effect.
        """
        groups: dict[tuple[str, tuple], list[tuple]] = {}
        events = [sealed for link in links for sealed in link.sealed_events()]
        for write in [w for sealed in events for w in event_writes(sealed, self.ttl_s)] + \
                [checkpoint_write(c) for c in checkpoints]:
            if write.statement in DAY_STATEMENTS:
                if (write.statement, write.values[:2]) in self._days_written:
                    continue
                key = (write.statement, write.values[:2])
                if key in groups:
                    continue
                groups[key] = [write.values]
                continue
            groups.setdefault((write.statement, write.partition), []).append(write.values)
        if not groups:
            return
        await self._ready()
        gate = asyncio.Semaphore(self.max_in_flight)

        async def one(name: str, rows: list[tuple]) -> None:
            async with gate:
                await self._write(name, rows)
            if name in DAY_STATEMENTS:
                self._remember_day((name, rows[0][:2]))

        requests = [(name, rows[i:i + MAX_BATCH_ROWS]) for (name, _), rows in groups.items()
                    for i in range(0, len(rows), MAX_BATCH_ROWS)]
        outcomes = await asyncio.gather(*(one(name, rows) for name, rows in requests), return_exceptions=True)
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed:
            first = failed[0]
            reason = first.reason if isinstance(first, AuditUnavailable) else _reason(first)
            raise AuditUnavailable(self.backend, f"{len(failed)} of {len(requests)} writes failed, e.g. {reason}")

    def _remember_day(self, key: tuple) -> None:
        self._days_written[key] = None
        if len(self._days_written) > DAYS_REMEMBERED:
            self._days_written.popitem(last=False)

    # -------------------------------------------------------------- reading the trail

    async def _window(self, which: str, key: str, page: PageRequest) -> AuditPage:
        window = Window.of(page)
        if window.empty:
            return AuditPage([])
        days = [row.day async for rows in self._pages(f"{which}_days", window.day_query(key)) for row in rows]
        found: list[SealedEvent] = []
        for day in days:  # newest first (clustering order)
            result = await self._execute(f"{which}_window", window.rows_query(key, day, page.first + 1 - len(found)))
            for row in result.current_rows:
                try:
                    found.append(decode.event(row))
                except _DECODE_ERRORS as error:  # tampered; verify names it, readers get the rest
                    log.error("audit record %r: a %s row does not decode: %s", self, which, error)
            if len(found) > page.first:
                break
        return page_of(found, page)

    async def audit_trail(self, customer_id: str, page: PageRequest) -> AuditPage:
        return await self._window("customer", customer_id, page)

    async def access_log(self, principal: str, page: PageRequest) -> AuditPage:
        return await self._window("principal", principal, page)

    # -------------------------------------------------------------- reading for verify

    async def _bucket_map(self) -> dict[str, list[int]]:
        buckets: dict[str, list[int]] = {}
        async for rows in self._pages("writer_buckets", ()):
            for row in rows:
                buckets.setdefault(row.writer_id, []).append(row.bucket)
        return {writer: sorted(found) for writer, found in buckets.items()}

    async def writers(self) -> list[str]:
        with_checkpoints = {row.writer_id async for rows in self._pages("checkpoint_writers", ()) for row in rows}
        return sorted(set(await self._bucket_map()) | with_checkpoints)

    async def chain(self, writer_id: str) -> AsyncIterator[SealedEvent | BrokenRow]:
        # The partitions that exist, not 0..n: a deleted partition must not end the walk early.
        # (One scan of partition keys per writer; fine for an offline verify.)
        for bucket in (await self._bucket_map()).get(writer_id, []):
            async for rows in self._pages("chain_bucket", (writer_id, bucket)):
                for row in rows:
                    try:
                        yield decode.event(row)
                    except _DECODE_ERRORS as error:
                        yield BrokenRow("events_by_writer", row.writer_id, row.seq, _reason(error),
                                        str(row.event_id) if row.event_id else None)

    async def checkpoints(self, writer_id: str) -> list[Checkpoint | BrokenRow]:
        found: list[Checkpoint | BrokenRow] = []
        async for rows in self._pages("checkpoints_of", (writer_id,)):
            for row in rows:
                try:
                    found.append(decode.checkpoint(row))
                except _DECODE_ERRORS as error:
                    found.append(BrokenRow("checkpoints", row.writer_id, row.first_seq, _reason(error)))
        return found

    def copy_tables_for(self, event: AuditEvent) -> tuple[str, ...]:
        return COPY_TABLES if event.customer_id else ("events_by_principal",)

    async def copies(self) -> AsyncIterator[EventCopy | BrokenRow]:
        for table in COPY_TABLES:
            statement = "copies_by_customer" if table == "events_by_customer" else "copies_by_principal"
            async for rows in self._pages(statement, ()):
                for row in rows:
                    try:
                        yield EventCopy(table, decode.event(row))
                    except _DECODE_ERRORS as error:
                        yield BrokenRow(table, row.writer_id, row.seq, _reason(error),
                                        str(row.event_id) if row.event_id else None)

    async def ping(self) -> None:
        await self._execute("ping", ())

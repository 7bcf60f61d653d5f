"""The local durable spool: every event is on disk here before the response leaves.

A request awaits :meth:`AuditSpool.append_records` with its response's record; it returns
once the record is committed to an SQLite file in WAL mode with ``synchronous=FULL`` (the
commit is fsynced), so neither a killed process nor a power cut loses it. If the commit
fails, :class:`AuditUnavailable` tells the caller not to return the personal data.

The spool is also where the hash chain is made: the append transaction reads the chain
head, seals each record after it as one link (its events take the next sequence numbers)
and moves the head, so the chain is gapless and in commit order even when several
processes share one spool file. One row per record: a response about hundreds of customers
is one hash and one insert here, not hundreds. Every ``checkpoint_every`` events (and,
through :meth:`seal_checkpoint`, at least once per interval) it records a checkpoint over
the links since the last one. The drainer later reads links and checkpoints with
:meth:`peek` and deletes them with :meth:`remove` once the sink has them.

Appends that arrive while a commit is in progress are committed together in the next
transaction (group commit): one fsync for many concurrent requests, which is what keeps the
spool off the latency budget. A request's append is written on the event loop's own thread
and only the blocking steps (the fsync of ``COMMIT``, and waiting for a write lock another
process holds) go to the spool's commit thread. Writing on a second thread cost more than
the writing itself: every SQLite call there gives up the GIL and must win it back from the
busy event loop, a dozen times per commit (one customer's query, one worker, 8 clients,
interleaved runs: 2,034 → 2,263 req/s on average).
Everything else (the drainer's reads and deletes, the CLI's appends, checkpoints) runs on the
spool's worker thread. ``_use`` keeps the two from using the connection at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from customer360.audit.chain import GENESIS, seal_record
from customer360.audit.durable_file import open_durable
from customer360.audit.events import (
    AuditEvent,
    AuditRecord,
    Checkpoint,
    SealedEvent,
    SealedLink,
    epoch_millis,
    from_epoch_millis,
    utc_now,
)
from customer360.audit.merkle import merkle_root
from customer360.audit.protocol import AuditUnavailable
from customer360.audit.sqlite.multirow import MultiRowInsert

log = logging.getLogger("customer360.audit")

BACKEND = "spool"
#: Events committed together at most (bounds one transaction's size and latency; one
#: response's record is never split, however many customers it names).
GROUP_COMMIT_MAX = 512
#: Events of the links this process appended that it still holds in memory, at most: the
#: drainer takes these as they are instead of parsing their bodies back from the file. Older
#: ones (a sink down for long, another process's appends, a restart) are read from the file.
HANDOFF_MAX = 50_000
#: Turns of the event loop the committer lets pass before it takes a group. The responses
#: being built meanwhile reach their append and commit with this group: one transaction, one
#: thread hop and one fsync for all of them instead of one each. Under load that is most of
#: the spool's cost on the loop; with nothing else to run, a turn is a few microseconds.
GATHER_TURNS = 8

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Sealed links not yet in the sink, in chain order: seq is the link's first event's, size
-- its number of events, event_id its first event's id (a retried append finds it by that).
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    spooled_at REAL NOT NULL,
    size INTEGER NOT NULL DEFAULT 1
);
-- Link hashes since the last checkpoint: the leaves of the next Merkle root.
CREATE TABLE IF NOT EXISTS leaves (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    occurred_ms INTEGER NOT NULL,
    spooled_at REAL NOT NULL,
    last_seq INTEGER
);
-- Checkpoints not yet in the sink.
CREATE TABLE IF NOT EXISTS checkpoints (first_seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""

_ADDED_COLUMNS = (("events", "size", "INTEGER NOT NULL DEFAULT 1"), ("leaves", "last_seq", "INTEGER"))
"""Columns a spool file made by an earlier version (one link per event) lacks; their defaults
describe its rows exactly (a link of one event)."""


_STATE = (
    "SELECT (SELECT value FROM meta WHERE key = 'head_seq'), (SELECT value FROM meta WHERE key = 'head_hash'), "
    "(SELECT value FROM meta WHERE key = 'depth'), (SELECT min(seq) FROM leaves), "
    "(SELECT spooled_at FROM events ORDER BY seq LIMIT 1)"
)
"""The chain's head, the depth, the first leaf since the last checkpoint, the oldest event's age."""

_EVENT_INSERT = MultiRowInsert("INSERT INTO events (seq, event_id, body, spooled_at, size)", 5)
_LEAF_INSERT = MultiRowInsert("INSERT INTO leaves (seq, hash, occurred_ms, spooled_at, last_seq)", 5)

_SEALED_BY = {
    "seq": "SELECT seq, body FROM events WHERE seq IN ({})",
    "event_id": "SELECT event_id, body FROM events WHERE event_id IN ({})",
}
"""Spooled links by key; ``{}`` takes one ``?`` per key (:meth:`AuditSpool._sealed`)."""

_PEEK = "SELECT seq FROM events WHERE seq < (SELECT min(seq) FROM events) + ? ORDER BY seq"
"""The oldest links holding at most ``?`` events (or the oldest link, however large)."""

_OLDEST_LEAVES = (
    "SELECT seq, hash, occurred_ms, coalesce(last_seq, seq) FROM leaves "
    "WHERE seq < (SELECT min(seq) FROM leaves) + ? ORDER BY seq"
)
"""The oldest leaves covering at most ``?`` events (or the oldest one): the next checkpoint's."""


@dataclass(frozen=True, slots=True)
class SpoolBatch:
    """What the drainer ships in one sink write."""

    links: list[SealedLink] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.links or self.checkpoints)

    @property
    def event_count(self) -> int:
        return sum(link.size for link in self.links)

    @property
    def events(self) -> list[SealedEvent]:
        """Every event of the batch's links, in chain order."""
        return [sealed for link in self.links for sealed in link.sealed_events()]


@dataclass(frozen=True, slots=True)
class _Written:
    """What one group's transaction wrote: sealed links per append, the checkpoints made,
    and the spool's depth and oldest event (``spooled_at``) once it commits."""

    sealed: list[list[SealedLink]]
    checkpoints: list[Checkpoint]
    depth: int
    oldest_spooled_at: float | None


@dataclass(slots=True)
class _Job:
    """Work for the spool's thread: SQL to ``run``, or ``records`` to append (appends are
    committed in groups); the outcome goes to ``future``."""

    future: concurrent.futures.Future
    run: Callable[[sqlite3.Connection], Any] | None = None
    records: list[AuditRecord] | None = None


def _size(records: list[AuditRecord]) -> int:
    return sum(len(record.entries) for record in records)


class AuditSpool:
    """A durable queue of sealed events, owned by one writer id (kept in the file)."""

    def __init__(self, path: Path | str, *, checkpoint_every: int = 1000, lock_timeout_s: float = 10.0) -> None:
        """``lock_timeout_s``: how long an append waits for another process holding the file
        before it fails (and the response is refused rather than held indefinitely)."""
        self.path = Path(path)
        self.checkpoint_every = checkpoint_every
        try:
            self._db = open_durable(self.path, lock_timeout_s, SCHEMA, _ADDED_COLUMNS)
            self.writer_id = self._init_meta()
        except (sqlite3.Error, OSError) as error:
            raise AuditUnavailable(BACKEND, f"{self.path}: {error}") from error
        self._depth = 0
        self._oldest_spooled_at: float | None = None
        self._lock_timeout_ms = int(lock_timeout_s * 1000)
        # A PRAGMA takes no bound parameters: the wait is an int, spelled once with :d.
        self._wait_for_lock = f"PRAGMA busy_timeout = {self._lock_timeout_ms:d}"
        self._handoff: dict[int, SealedLink] = {}  # seq -> link, touched by whoever holds _use
        self._handoff_events = 0
        self._refresh_stats(self._db)
        self._use = threading.Lock()  # held by whoever uses the connection (either thread, or the loop)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._closing = threading.Lock()  # no job may slip in behind the stop marker
        self._thread = threading.Thread(target=self._serve, name=f"c360-audit-spool-{self.path.name}", daemon=True)
        self._thread.start()
        self._commits = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"c360-audit-commit-{self.path.name}")
        self._pending: list[tuple[list[AuditRecord], asyncio.Future]] = []
        self._committer: asyncio.Task | None = None

    # -------------------------------------------------------------- public API

    async def append_records(self, records: list[AuditRecord]) -> list[SealedLink]:
        """Make ``records`` durable (a response's: one record) and return them sealed into
        the chain: committed together, in order, and awaited once.

        Raises :class:`AuditUnavailable` when they could not be committed.
        """
        if not records:
            return []
        if self._closed:
            raise AuditUnavailable(BACKEND, f"{self.path}: the spool is closed")
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._pending.append((list(records), waiter))
        if self._committer is None:
            self._committer = loop.create_task(self._commit_pending(loop))
        return await waiter

    async def append(self, event: AuditEvent) -> SealedEvent:
        """Make one event durable (a record of its own) and return it sealed into the chain."""
        return (await self.append_many([event]))[0]

    async def append_many(self, events: list[AuditEvent]) -> list[SealedEvent]:
        """:meth:`append_records` for events: consecutive events sharing their context (one
        response's) become one record."""
        links = await self.append_records(AuditRecord.grouped(events))
        return [sealed for link in links for sealed in link.sealed_events()]

    def append_sync(self, event: AuditEvent, timeout_s: float = 60.0) -> SealedEvent:
        """:meth:`append` for code without an event loop (the CLI). Refused on a running loop's
        thread: it would block the loop, and with it a group the loop holds the file for."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("AuditSpool.append_sync blocks; on an event loop, await append() instead")
        job = _Job(concurrent.futures.Future(), records=AuditRecord.grouped([event]))
        return self._submit(job).result(timeout_s)[0].sealed_events()[0]

    async def peek(self, limit: int) -> SpoolBatch:
        """The oldest links holding at most ``limit`` events (at least one link, however
        large) and the pending checkpoints, left in place."""
        return await self._call(lambda db: self._peek(db, limit))

    async def remove(self, batch: SpoolBatch) -> None:
        """Forget what the sink now holds."""
        await self._call(lambda db: self._remove(db, batch))

    async def seal_checkpoint(self, older_than_s: float = 0.0) -> Checkpoint | None:
        """Checkpoint the events since the last checkpoint, if the oldest of them was spooled
        at least ``older_than_s`` ago (so a quiet service still checkpoints its tail)."""
        return await self._call(lambda db: self._checkpoint_if_due(db, older_than_s))

    def seal_checkpoint_sync(self) -> Checkpoint | None:
        return self._submit(_Job(concurrent.futures.Future(), run=lambda db: self._checkpoint_if_due(db, 0.0))).result(60)

    @property
    def depth(self) -> int:
        """Events waiting for the sink (as of the spool's last transaction), for /metrics."""
        return self._depth

    @property
    def oldest_age_s(self) -> float:
        """Seconds the oldest waiting event has waited (0 when none), for /metrics."""
        oldest = self._oldest_spooled_at
        return 0.0 if oldest is None else max(0.0, time.time() - oldest)

    async def refresh(self) -> None:
        """Re-read depth and age (another process may share the file)."""
        await self._call(self._refresh_stats)

    def close(self) -> None:
        """Finish queued work, then close the file. Idempotent.

        Appends still waiting for the event loop's next group (the loop is gone, or the caller
        did not wait for them) are refused: their callers hear :class:`AuditUnavailable`."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(None)
        self._commits.shutdown(wait=True)
        self._thread.join()
        # Called off the event loop (the pipeline closes it in a thread), this waits for a
        # group the loop is writing; called on the loop, it cannot, and does not wait forever.
        held = self._use.acquire(timeout=max(1.0, self._lock_timeout_ms / 1000))
        try:
            self._db.close()
        finally:
            if held:
                self._use.release()
        pending, self._pending = self._pending, []
        for _, waiter in pending:
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.get_loop().call_soon_threadsafe(_refuse, waiter, AuditUnavailable(BACKEND, f"{self.path}: the spool is closed"))

    # -------------------------------------------------------------- appends, on the event loop

    async def _commit_pending(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit what requests appended, a group at a time, until nothing waits."""
        try:
            while self._pending:
                for _ in range(GATHER_TURNS):
                    await asyncio.sleep(0)
                group: list[tuple[list[AuditRecord], asyncio.Future]] = []
                size = 0
                while self._pending and (not group or size + _size(self._pending[0][0]) <= GROUP_COMMIT_MAX):
                    group.append(self._pending.pop(0))
                    size += _size(group[-1][0])
                try:
                    written = await self._commit_on_loop(loop, [records for records, _ in group])
                except BaseException as error:  # noqa: BLE001 - every waiting request must hear of it
                    failure = AuditUnavailable(BACKEND, f"{self.path}: {error}") if isinstance(error, Exception) else error
                    for _, waiter in group:
                        _refuse(waiter, failure)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for checkpoint in written.checkpoints:
                    _log_checkpoint(checkpoint)
                for (_, waiter), links in zip(group, written.sealed):
                    if not waiter.done():  # a request cancelled meanwhile: its events are on record all the same
                        waiter.set_result(links)
        finally:
            self._committer = None

    async def _commit_on_loop(self, loop: asyncio.AbstractEventLoop, record_lists: list[list[AuditRecord]]) -> _Written:
        """One group in one transaction: written here, fsynced on the commit thread."""
        if self._closed:
            raise AuditUnavailable(BACKEND, f"{self.path}: the spool is closed")
        if not self._use.acquire(blocking=False):  # the worker thread is busy with the drainer's work
            try:
                await self._off_loop(self._use.acquire)
            except asyncio.CancelledError:
                self._use.release()  # taken on the commit thread all the same
                raise
        db = self._db
        try:
            if not self._begin_at_once(db):
                await self._off_loop(self._begin_waiting, db)
            try:
                written = self._write_group(db, record_lists)
                await self._off_loop(db.execute, "COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.rollback()
                self._refresh_stats_quietly()
                raise
            self._committed(written)
        finally:
            self._use.release()
        return written

    async def _off_loop(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call(*args)`` on the commit thread. If the waiting task is cancelled (the loop
        shutting down) the call still finishes before the cancellation goes on, so nobody
        rolls back or releases the connection while the call is using it."""
        running = self._commits.submit(call, *args)
        try:
            return await asyncio.wrap_future(running)
        except asyncio.CancelledError:
            concurrent.futures.wait([running])
            raise

    def _begin_at_once(self, db: sqlite3.Connection) -> bool:
        """Start a write transaction if no other process holds the file's write lock; never
        waits (this runs on the event loop)."""
        db.execute("PRAGMA busy_timeout = 0")
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                raise
            return False
        finally:
            db.execute(self._wait_for_lock)
        return True

    @staticmethod
    def _begin_waiting(db: sqlite3.Connection) -> None:
        """Wait (up to the lock timeout) for another process to let go of the write lock."""
        db.execute("BEGIN IMMEDIATE")

    # -------------------------------------------------------------- the spool's thread

    def _submit(self, job: _Job) -> concurrent.futures.Future:
        with self._closing:
            if self._closed:
                raise AuditUnavailable(BACKEND, f"{self.path}: the spool is closed")
            self._jobs.put(job)
        return job.future

    async def _call(self, run: Callable[[sqlite3.Connection], Any]) -> Any:
        return await asyncio.wrap_future(self._submit(_Job(concurrent.futures.Future(), run=run)))

    def _serve(self) -> None:
        carried: _Job | None = None
        while True:
            job = carried if carried is not None else self._jobs.get()
            carried = None
            if job is None:
                return
            if job.records is None:
                self._run_one(job)
                continue
            group = [job]
            while sum(_size(j.records or []) for j in group) < GROUP_COMMIT_MAX:
                try:
                    follower = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if follower is None or follower.records is None:
                    carried = follower
                    break
                group.append(follower)
            self._append_group(group)

    def _run_one(self, job: _Job) -> None:
        assert job.run is not None
        try:
            with self._use:
                result = job.run(self._db)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting caller
            if self._db.in_transaction:
                self._db.rollback()
            if isinstance(error, sqlite3.Error):
                error = AuditUnavailable(BACKEND, f"{self.path}: {error}")
            _settle(job.future, error=error)
        else:
            _settle(job.future, result)
        with self._use:
            self._refresh_stats_quietly()

    def _append_group(self, group: list[_Job]) -> None:
        """Seal and commit a group of records in ONE transaction (one fsync), on this thread
        (appends from code without an event loop)."""
        db = self._db
        with self._use:
            try:
                db.execute("BEGIN IMMEDIATE")
                written = self._write_group(db, [job.records or [] for job in group])
                db.execute("COMMIT")
            except BaseException as error:  # noqa: BLE001 - every waiting request must hear of it
                if db.in_transaction:
                    db.rollback()
                failure = AuditUnavailable(BACKEND, f"{self.path}: {error}") if isinstance(error, Exception) else error
                for job in group:
                    _settle(job.future, error=failure)
                self._refresh_stats_quietly()
                return
            self._committed(written)
        for checkpoint in written.checkpoints:
            _log_checkpoint(checkpoint)
        for job, links in zip(group, written.sealed):
            _settle(job.future, links)

    def _committed(self, written: _Written) -> None:
        """Keep what was just committed for the drainer, and the spool's new depth and age
        for /metrics (with ``_use`` held)."""
        self._depth, self._oldest_spooled_at = written.depth, written.oldest_spooled_at
        handoff = self._handoff
        for links in written.sealed:
            for link in links:
                size = link.size
                if self._handoff_events + size <= HANDOFF_MAX and link.seq not in handoff:
                    handoff[link.seq] = link
                    self._handoff_events += size

    def _forget(self, seq: int) -> None:
        link = self._handoff.pop(seq, None)
        if link is not None:
            self._handoff_events -= link.size

    def _write_group(self, db: sqlite3.Connection, record_lists: list[list[AuditRecord]]) -> _Written:
        """Seal and insert a group's records inside the caller's transaction, one row each, and
        make the checkpoints that became due. The spool's state is read in one statement: a
        request's append runs on the event loop, where every statement counts."""
        head_seq, head_hash, depth, first_leaf, oldest = db.execute(_STATE).fetchone()
        seq, head = int(head_seq or 0), head_hash or GENESIS
        results: list[list[SealedLink]] = []
        added = 0
        now = time.time()
        # A record appended before (a retry) keeps its one link: found with one statement.
        seen = self._sealed(db, "event_id", [record.entries[0][0] for records in record_lists for record in records])
        link_rows: list[tuple] = []
        leaf_rows: list[tuple] = []
        for records in record_lists:
            links: list[SealedLink] = []
            for record in records:
                key = record.entries[0][0]  # the first event's id
                earlier = seen.get(key)
                if earlier is not None:
                    links.append(earlier)
                    continue
                link, body = seal_record(record, self.writer_id, seq + 1, head)
                seq, head = link.last_seq, link.hash
                seen[key] = link
                size = len(record.entries)
                # The body is the link's canonical bytes with the hash put in front: what
                # SealedLink.from_dict reads, without writing the record a second time.
                link_rows.append((link.seq, key, (b'{"hash":"%s",%s' % (link.hash.encode(), body[1:])).decode(), now, size))
                leaf_rows.append((link.seq, link.hash, epoch_millis(record.occurred_at), now, link.last_seq))
                links.append(link)
                added += size
            results.append(links)
        _EVENT_INSERT.run(db, link_rows)
        _LEAF_INSERT.run(db, leaf_rows)
        depth = int(depth or 0) + added
        self._set_meta(db, head_seq=str(seq), head_hash=head, depth=str(depth))
        if added and oldest is None:
            oldest = now
        # The leaves since the last checkpoint cover every event up to the head, without gaps.
        leaves = seq - first_leaf + 1 if first_leaf is not None else added
        checkpoints = []
        while leaves >= self.checkpoint_every:
            checkpoints.append(self._checkpoint(db, self.checkpoint_every))
            leaves -= checkpoints[-1].count
        return _Written(results, checkpoints, depth, oldest)

    # -------------------------------------------------------------- SQL (with _use held)

    def _init_meta(self) -> str:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            writer = self._meta(db, "writer_id")
            if writer is None:
                writer = str(uuid.uuid4())
                self._set_meta(db, writer_id=writer, head_seq="0", head_hash=GENESIS, depth="0")
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
        return writer

    @staticmethod
    def _sealed(db: sqlite3.Connection, by: str, keys: list) -> dict[Any, SealedLink]:
        """Spooled links parsed back from their bodies, by ``seq`` or (first) ``event_id``;
        keys not in the spool are left out."""
        found: dict[Any, SealedLink] = {}
        for start in range(0, len(keys), 500):  # bound the statement's parameters
            chunk = keys[start:start + 500]
            rows = db.execute(_SEALED_BY[by].format(", ".join("?" for _ in chunk)), chunk)
            found.update((key, SealedLink.from_dict(orjson.loads(body))) for key, body in rows)
        return found

    @staticmethod
    def _meta(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _set_meta(db: sqlite3.Connection, **values: str) -> None:
        db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def _checkpoint(self, db: sqlite3.Connection, limit: int) -> Checkpoint:
        """A checkpoint over the oldest whole links covering at most ``limit`` events (at least one link)."""
        leaves = db.execute(_OLDEST_LEAVES, (limit,)).fetchall()
        checkpoint = Checkpoint(
            writer_id=self.writer_id,
            first_seq=leaves[0][0],
            last_seq=leaves[-1][3],
            merkle_root=merkle_root([h for _, h, _, _ in leaves]),
            head_hash=leaves[-1][1],
            first_at=from_epoch_millis(min(ms for _, _, ms, _ in leaves)),
            last_at=from_epoch_millis(max(ms for _, _, ms, _ in leaves)),
            created_at=utc_now(),
        )
        if any(later[0] != earlier[3] + 1 for earlier, later in zip(leaves, leaves[1:])):
            raise AssertionError(f"spool {self.path}: leaves {checkpoint.first_seq}..{checkpoint.last_seq} have gaps")
        db.execute("INSERT INTO checkpoints (first_seq, body) VALUES (?, ?)",
                   (checkpoint.first_seq, orjson.dumps(checkpoint.to_dict()).decode()))
        db.execute("DELETE FROM leaves WHERE seq <= ?", (checkpoint.last_seq,))
        return checkpoint

    def _checkpoint_if_due(self, db: sqlite3.Connection, older_than_s: float) -> Checkpoint | None:
        db.execute("BEGIN IMMEDIATE")
        try:
            oldest = db.execute("SELECT min(spooled_at) FROM leaves").fetchone()[0]
            if oldest is None or time.time() - oldest < older_than_s:
                db.execute("COMMIT")
                return None
            checkpoint = self._checkpoint(db, self.checkpoint_every)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
        _log_checkpoint(checkpoint)
        return checkpoint

    def _peek(self, db: sqlite3.Connection, limit: int) -> SpoolBatch:
        handoff = self._handoff
        seqs = [seq for (seq,) in db.execute(_PEEK, (limit,))]
        # Another process sharing the file may have shipped some of ours: forget those (the
        # handoff is in seq order, so they are at its front).
        while handoff and (not seqs or next(iter(handoff)) < seqs[0]):
            self._forget(next(iter(handoff)))
        read_back = self._sealed(db, "seq", [seq for seq in seqs if seq not in handoff])
        links = [handoff[seq] if seq in handoff else read_back[seq] for seq in seqs]
        checkpoints = [Checkpoint.from_dict(orjson.loads(body))
                       for (body,) in db.execute("SELECT body FROM checkpoints ORDER BY first_seq")]
        return SpoolBatch(links, checkpoints)

    def _remove(self, db: sqlite3.Connection, batch: SpoolBatch) -> None:
        # Forgetting shipped links need not reach the disk before the next append may go on:
        # if a power cut undoes it, those links are shipped again, and the sinks take a
        # replay as a no-op. So this commit is not fsynced (WAL, synchronous=NORMAL), and
        # appends, whose commits are, do not queue behind an fsync of the drainer's.
        db.execute("PRAGMA synchronous=NORMAL")
        try:
            self._forget_shipped(db, batch)
        finally:
            db.execute("PRAGMA synchronous=FULL")

    def _forget_shipped(self, db: sqlite3.Connection, batch: SpoolBatch) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            removed = 0
            if batch.links:  # a peek takes the oldest links, so the batch is every seq in its range
                removed = sum(size for (size,) in db.execute("DELETE FROM events WHERE seq BETWEEN ? AND ? RETURNING size",
                                                             (batch.links[0].seq, batch.links[-1].seq)).fetchall())
            db.executemany("DELETE FROM checkpoints WHERE first_seq = ?", [(c.first_seq,) for c in batch.checkpoints])
            depth = max(0, int(self._meta(db, "depth")) - removed)
            self._set_meta(db, depth=str(depth))
            db.execute("COMMIT")
            self._depth = depth  # before the caller resumes (its age is refreshed after)
            for link in batch.links:
                self._forget(link.seq)
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise

    def _refresh_stats(self, db: sqlite3.Connection) -> None:
        self._depth = int(self._meta(db, "depth") or 0)
        row = db.execute("SELECT spooled_at FROM events ORDER BY seq LIMIT 1").fetchone()
        self._oldest_spooled_at = None if row is None else row[0]

    def _refresh_stats_quietly(self) -> None:
        try:
            self._refresh_stats(self._db)
        except sqlite3.Error as error:  # stats are best effort; the next transaction retries
            log.warning("audit spool %s: could not read its depth: %s", self.path, error)


def _settle(future: concurrent.futures.Future, result: Any = None, error: BaseException | None = None) -> None:
    """Hand a job's outcome to its caller, unless the caller has gone: a request cancelled
    (client hung up, time limit) cancels its future, and setting it then would raise on the
    spool's thread and stop it for every later request. Its events are committed all the same:
    the record may hold a read whose response never arrived, never the other way round."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except concurrent.futures.InvalidStateError:  # cancelled by its caller meanwhile
        pass


def _refuse(waiter: asyncio.Future, error: BaseException) -> None:
    if not waiter.done():
        waiter.set_exception(error)


def _log_checkpoint(checkpoint: Checkpoint) -> None:
    """Each root also goes to the log, a second place a rewrite of the sink cannot reach."""
    log.info(
        "audit checkpoint writer=%s seq=%d..%d root=%s head=%s",
        checkpoint.writer_id, checkpoint.first_seq, checkpoint.last_seq, checkpoint.merkle_root, checkpoint.head_hash,
    )


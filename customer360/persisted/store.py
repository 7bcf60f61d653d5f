"""The persisted-operation store: an SQLite file beside the graph (``operations.db``).

Two kinds of document live in one table:

- **registered** ones (``c360 operations register``): trusted, kept until removed by hand;
- **learnt** ones (automatic persisted queries): any client may add them, so their total
  size is bounded (``C360_APQ_MAX_BYTES``); the least recently used go first.

The file is created lazily (a service that never sees a persisted operation writes nothing)
with mode 0600, like every file of the service's own. Statements are constants with bound
parameters. Lookups are primary-key reads, a few microseconds, so they run on the caller's
thread like the API-key lookups; ``used_at`` is written at most once an hour per document.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.encryption import create_private_file
from customer360.persisted.documents import Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS operation (
    id TEXT PRIMARY KEY,                 -- what clients send: sha256Hash, documentId
    body TEXT NOT NULL,                  -- the document text, as registered or learnt
    canonical_sha256 TEXT NOT NULL,      -- SHA-256 of the printed document: recognises full texts
    name TEXT NOT NULL DEFAULT '',
    operation_type TEXT NOT NULL DEFAULT '',
    registered INTEGER NOT NULL,         -- 1: registered ahead of time (trusted); 0: learnt by APQ
    source TEXT NOT NULL DEFAULT '',
    bytes INTEGER NOT NULL,
    created_at REAL NOT NULL,            -- seconds since the epoch
    used_at REAL NOT NULL                -- least recently used learnt documents go first
);
CREATE INDEX IF NOT EXISTS operation_by_canonical ON operation (canonical_sha256, registered);
CREATE INDEX IF NOT EXISTS operation_learnt_by_use ON operation (registered, used_at);
"""

GET = (
    "SELECT id, body, canonical_sha256, name, operation_type, registered, source, bytes, created_at, used_at"
    " FROM operation WHERE id = ?"
)
REGISTERED_BY_CANONICAL = (
    "SELECT id, body, canonical_sha256, name, operation_type, registered, source, bytes, created_at, used_at"
    " FROM operation WHERE canonical_sha256 = ? AND registered = 1 LIMIT 1"
)
TOUCH = "UPDATE operation SET used_at = ? WHERE id = ? AND used_at < ?"
LEARN = (
    "INSERT OR IGNORE INTO operation (id, body, canonical_sha256, name, operation_type, registered, source, bytes,"
    " created_at, used_at) VALUES (?, ?, ?, ?, ?, 0, 'apq', ?, ?, ?)"
)
LEARNT_BYTES = "SELECT COALESCE(SUM(bytes), 0) FROM operation WHERE registered = 0"
LEARNT_OLDEST_FIRST = "SELECT id, bytes FROM operation WHERE registered = 0 ORDER BY used_at, created_at, id"
DELETE = "DELETE FROM operation WHERE id = ? AND registered = 0"
REGISTER = (
    "INSERT INTO operation (id, body, canonical_sha256, name, operation_type, registered, source, bytes, created_at,"
    " used_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)"
)
PROMOTE = "UPDATE operation SET registered = 1, name = ?, operation_type = ?, source = ? WHERE id = ?"
LIST = (
    "SELECT id, body, canonical_sha256, name, operation_type, registered, source, bytes, created_at, used_at"
    " FROM operation ORDER BY registered DESC, name, id"
)

TOUCH_EVERY_S = 3600


@dataclass(frozen=True, slots=True)
class StoredOperation:
    id: str
    body: str
    canonical_sha256: str
    name: str
    operation_type: str
    registered: bool
    source: str
    bytes: int
    created_at: float
    used_at: float


@dataclass(frozen=True, slots=True)
class RegisterReport:
    added: list[str]
    promoted: list[str]  # learnt by APQ before, now registered
    unchanged: list[str]


class OperationConflict(ValueError):
    """An id that is already registered with another text: ids must name one document."""


class OperationStore:
    def __init__(self, path: Path, *, max_learnt_bytes: int) -> None:
        self.path = Path(path)
        self.max_learnt_bytes = max_learnt_bytes
        self._local = threading.local()

    def _connection(self, *, create: bool) -> sqlite3.Connection | None:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if not self.path.exists():
                if not create:
                    return None
                create_private_file(self.path)
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=5000")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            self._local.connection = connection
        return connection

    def _read(self, operation: str, text: str, params: tuple) -> tuple | None:
        connection = self._connection(create=False)
        if connection is None:
            return None
        with recorded_call("sqlite", CompiledQuery(operation, text, params)) as record:
            row = connection.execute(text, params).fetchone()
            record.rows = int(row is not None)
        return row

    def get(self, document_id: str) -> StoredOperation | None:
        """The document with this id (and notes that it was used)."""
        row = self._read("persisted_operation", GET, (document_id,))
        if row is None:
            return None
        found = StoredOperation(*row[:5], bool(row[5]), *row[6:])
        now = time.time()
        if found.used_at < now - TOUCH_EVERY_S:
            self._write(TOUCH, (now, document_id, now - TOUCH_EVERY_S))
        return found

    def registered_by_canonical(self, canonical_sha256: str) -> StoredOperation | None:
        """A registered document whose printed text has this hash."""
        row = self._read("persisted_operation", REGISTERED_BY_CANONICAL, (canonical_sha256,))
        return None if row is None else StoredOperation(*row[:5], bool(row[5]), *row[6:])

    def _write(self, text: str, params: tuple) -> None:
        connection = self._connection(create=True)
        assert connection is not None
        connection.execute(text, params)

    def learn(self, document_id: str, body: str, canonical_sha256: str, name: str, operation_type: str) -> bool:
        """Keep an APQ document (unless it is larger than the whole budget), then drop the
        least recently used learnt ones until the learnt total fits. True if it was kept."""
        size = len(body.encode("utf-8"))
        if size > self.max_learnt_bytes:
            return False
        connection = self._connection(create=True)
        assert connection is not None
        now = time.time()
        with recorded_call("sqlite", CompiledQuery("persisted_operation_learn", LEARN, (document_id,))):
            connection.execute("BEGIN IMMEDIATE")
            try:
                inserted = connection.execute(
                    LEARN, (document_id, body, canonical_sha256, name, operation_type, size, now, now)
                ).rowcount == 1
                if inserted:
                    self._evict(connection, keep=document_id)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return inserted

    def _evict(self, connection: sqlite3.Connection, keep: str) -> None:
        total = connection.execute(LEARNT_BYTES).fetchone()[0]
        if total <= self.max_learnt_bytes:
            return
        for document_id, size in connection.execute(LEARNT_OLDEST_FIRST).fetchall():
            if total <= self.max_learnt_bytes:
                break
            if document_id == keep:
                continue
            connection.execute(DELETE, (document_id,))
            total -= size

    def register(self, documents: list[Document], canonical: dict[str, str]) -> RegisterReport:
        """Register documents (``canonical``: id -> canonical hash) in one transaction: all
        of them, or none when an id is already registered with another text."""
        connection = self._connection(create=True)
        assert connection is not None
        now = time.time()
        report = RegisterReport([], [], [])
        connection.execute("BEGIN IMMEDIATE")
        try:
            for document in documents:
                row = connection.execute(GET, (document.id,)).fetchone()
                if row is None:
                    connection.execute(REGISTER, (
                        document.id, document.body, canonical[document.id], document.name, document.operation_type,
                        document.source, len(document.body.encode("utf-8")), now, now,
                    ))
                    report.added.append(document.id)
                elif row[1] != document.body and bool(row[5]):
                    raise OperationConflict(
                        f"{document.source}: id {document.id} is already registered (from {row[6]}) with another text"
                    )
                elif not row[5]:
                    if row[1] != document.body:  # a learnt text under this id cannot be the client's: replace it
                        connection.execute(DELETE, (document.id,))
                        connection.execute(REGISTER, (
                            document.id, document.body, canonical[document.id], document.name,
                            document.operation_type, document.source, len(document.body.encode("utf-8")), now, now,
                        ))
                    else:
                        connection.execute(PROMOTE, (document.name, document.operation_type, document.source,
                                                     document.id))
                    report.promoted.append(document.id)
                else:
                    report.unchanged.append(document.id)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return report

    def list(self) -> list[StoredOperation]:
        connection = self._connection(create=False)
        if connection is None:
            return []
        return [StoredOperation(*row[:5], bool(row[5]), *row[6:]) for row in connection.execute(LIST).fetchall()]

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

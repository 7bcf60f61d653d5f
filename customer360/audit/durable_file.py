"""SQLite files that keep what they acknowledged, readable by their owner only.

Both the spool and the embedded SQLite sink hold personal-data access records; a commit
they acknowledge must survive a crash or power cut, and the file must not be readable by
other local users.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def create_private_file(path: Path) -> None:
    """Create ``path`` (and its folder) with mode 0600, before SQLite opens it.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so they are
    private too. An existing file keeps its mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)


def open_durable(path: Path, timeout_s: float = 30.0) -> sqlite3.Connection:
    """An autocommit connection (explicit BEGIN) in WAL mode whose every commit is fsynced.

    Raises :class:`sqlite3.Error` (callers turn it into their own unavailable error).
    """
    create_private_file(path)
    connection = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    try:
        mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"{path}: could not switch to WAL mode (journal_mode is {mode})")
        connection.execute("PRAGMA synchronous=FULL")
    except BaseException:
        connection.close()
        raise
    return connection

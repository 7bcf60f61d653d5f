"""SQLite files that keep what they acknowledged, readable by their owner only.

Both the spool and the embedded SQLite sink hold personal-data access records; a commit
they acknowledge must survive a crash or power cut, and the file must not be readable by
other local users.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from customer360.encryption import create_private_file


def open_durable(path: Path, timeout_s: float = 30.0, schema: str = "",
                 added_columns: Sequence[tuple[str, str, str]] = ()) -> sqlite3.Connection:
    """An autocommit connection (explicit BEGIN) in WAL mode whose every commit is fsynced,
    with ``schema`` created and ``added_columns`` ``(table, column, declaration)`` added where
    a file made by an earlier version lacks them.

    Raises :class:`sqlite3.Error` (callers turn it into their own unavailable error).
    """
    connection = _open(path, timeout_s)
    try:
        connection.executescript(schema)
        for table, column, declaration in added_columns:
            # PRAGMA and ALTER take no bound parameters; the names are the caller's constants.
            if column not in {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    except BaseException:
        connection.close()
        raise
    return connection


def _open(path: Path, timeout_s: float) -> sqlite3.Connection:
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

"""API keys for integration services: created with a role, stored hashed, listed without
secrets, revocable.

A key reads ``c360_<id>_<secret>``. Only the SHA-256 of the secret is stored (the secret is
32 random bytes, so a plain hash is as strong as a slow one and costs microseconds per
request), beside the id, a name, the role, and when it was created and revoked. The file
is created readable by its owner only. A key is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from customer360.auth.principal import Principal
from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.encryption import create_private_file

PREFIX = "c360"

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_key (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
"""


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """A key as listed: everything but the secret."""

    key_id: str
    name: str
    role: str
    created_at: int
    revoked_at: int | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        create_private_file(self.path)
        self._local = threading.local()
        with self._connection() as connection:
            connection.executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=5000")
            self._local.connection = connection
        return connection

    def create(self, name: str, role: str) -> tuple[ApiKeyInfo, str]:
        """A new key; the second value is the key itself, which is never shown again."""
        if not name.strip():
            raise ValueError("an API key needs a name (who or what uses it)")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        created = int(time.time())
        self._connection().execute(
            "INSERT INTO api_key (key_id, name, role, secret_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
            (key_id, name.strip(), role, _digest(secret), created),
        )
        return ApiKeyInfo(key_id, name.strip(), role, created, None), f"{PREFIX}_{key_id}_{secret}"

    def list(self) -> list[ApiKeyInfo]:
        rows = self._connection().execute(
            "SELECT key_id, name, role, created_at, revoked_at FROM api_key ORDER BY created_at, key_id"
        ).fetchall()
        return [ApiKeyInfo(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """True if a key that was active is now revoked."""
        cursor = self._connection().execute(
            "UPDATE api_key SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (int(time.time()), key_id)
        )
        return cursor.rowcount == 1

    def principal_for(self, presented: str) -> Principal | None:
        """The key's principal, or None for anything that is not an active key of ours."""
        parts = presented.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        _, key_id, secret = parts
        query = CompiledQuery(
            "api_key", "SELECT name, role, secret_sha256 FROM api_key WHERE key_id = ? AND revoked_at IS NULL",
            (key_id,),
        )
        with recorded_call("sqlite", query) as record:
            row = self._connection().execute(query.text, query.params).fetchone()
            record.rows = int(row is not None)
        if row is None or not hmac.compare_digest(row[2], _digest(secret)):
            return None
        return Principal(f"api-key:{row[0]}", "api_key", (row[1],))

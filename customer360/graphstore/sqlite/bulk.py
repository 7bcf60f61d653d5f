"""Writing to the SQLite file: upserts by business key, inside the load's one transaction.

``INSERT ... ON CONFLICT DO UPDATE`` makes every write an upsert, so loading the same rows
twice leaves one copy of each. Every statement is recorded through
:func:`customer360.backend_calls.recorded_call`, so loads show in ``/metrics`` like reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.encryption import FieldCipher
from customer360.graphstore.mapping import stored_of, stored_person
from customer360.graphstore.plan import VertexLabel
from customer360.graphstore.sqlite.schema import VERTEX_TABLES
from customer360.model import (
    Account,
    Address,
    Phone,
    PhoneLink,
    Residence,
    SeedPerson,
    Transaction,
)

BACKEND = "sqlite"


def execute_many(connection: sqlite3.Connection, operation: str, text: str, rows: list[tuple[Any, ...]]) -> None:
    """One ``executemany`` through the call choke point (the row count is what was sent)."""
    with recorded_call(BACKEND, CompiledQuery(operation, text, (f"{len(rows)} rows",))) as record:
        connection.executemany(text, rows)
        record.rows = len(rows)


def upsert_text(table: str, columns: Sequence[str], conflict: Sequence[str]) -> str:
    updates = [c for c in columns if c not in conflict]
    action = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updates) if updates else "DO NOTHING"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(conflict)}) {action}"
    )


class SqliteBulkWriter:
    """Upserts by business key on the load's connection (its transaction is the caller's)."""

    def __init__(self, connection: sqlite3.Connection, cipher: FieldCipher) -> None:
        self._connection = connection
        self._cipher = cipher

    def _vertices(self, label: VertexLabel, stored: list[dict[str, Any]]) -> None:
        if not stored:
            return
        columns = tuple(stored[0])
        text = upsert_text(VERTEX_TABLES[label], columns, (label.key,))
        execute_many(self._connection, f"upsert({VERTEX_TABLES[label]})", text, [tuple(row.values()) for row in stored])

    def _links(self, table: str, columns: tuple[str, str], rows: list[tuple[str, str]]) -> None:
        execute_many(self._connection, f"upsert({table})", upsert_text(table, columns, columns), rows)

    def put_persons(self, rows: Sequence[SeedPerson]) -> None:
        self._vertices(VertexLabel.PERSON, [stored_person(row, self._cipher) for row in rows])

    def put_accounts(self, rows: Sequence[Account]) -> None:
        self._vertices(VertexLabel.ACCOUNT, [stored_of(row) for row in rows])

    def put_addresses(self, rows: Sequence[Address]) -> None:
        self._vertices(VertexLabel.ADDRESS, [stored_of(row) for row in rows])

    def put_phones(self, rows: Sequence[Phone]) -> None:
        self._vertices(VertexLabel.PHONE, [stored_of(row) for row in rows])

    def put_residences(self, rows: Sequence[Residence]) -> None:
        self._links("lives_at", ("person_id", "address_id"), [(r.person_id, r.address_id) for r in rows])

    def put_phone_links(self, rows: Sequence[PhoneLink]) -> None:
        self._links("has_phone", ("person_id", "phone_id"), [(r.person_id, r.phone_id) for r in rows])

    def put_transactions(self, rows: Sequence[Transaction]) -> None:
        self._vertices(VertexLabel.TRANSACTION, [stored_of(row) for row in rows])

"""The SQLite file's tables: DDL, upgrades of older files, and where each vertex and edge lives.

Property (column) names are the neutral ones of :mod:`customer360.graphstore.mapping`; only
table names are SQLite's own (a transaction lives in ``txn``, an OWNS edge is an account's
``owner_person_id`` column). Every identifier the emitters put into SQL text comes from the
fixed tables below, never from a request.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from customer360.encryption import FieldCipher
from customer360.graphstore.plan import EdgeLabel, VertexLabel
from customer360.model import ssn_last_four


@dataclass(frozen=True, slots=True)
class EdgeTable:
    """Where an edge lives: a link table, or the foreign-key column of a vertex table."""

    name: str
    out_column: str
    in_column: str


VERTEX_TABLES: dict[VertexLabel, str] = {
    VertexLabel.PERSON: "person",
    VertexLabel.ACCOUNT: "account",
    VertexLabel.ADDRESS: "address",
    VertexLabel.PHONE: "phone",
    VertexLabel.TRANSACTION: "txn",
}

EDGE_TABLES: dict[EdgeLabel, EdgeTable] = {
    EdgeLabel.OWNS: EdgeTable("account", "owner_person_id", "account_id"),
    EdgeLabel.LIVES_AT: EdgeTable("lives_at", "person_id", "address_id"),
    EdgeLabel.HAS_PHONE: EdgeTable("has_phone", "person_id", "phone_id"),
    EdgeLabel.SENT: EdgeTable("txn", "from_account_id", "transaction_id"),
    EdgeLabel.RECEIVED_BY: EdgeTable("txn", "transaction_id", "to_account_id"),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS person (
    person_id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    ssn_last4 TEXT NOT NULL,
    ssn_encrypted TEXT NOT NULL -- AES-GCM, see customer360/encryption.py; never selected but by PersonSecrets
);
CREATE INDEX IF NOT EXISTS person_by_name ON person (last_name, first_name, person_id);
CREATE TABLE IF NOT EXISTS account (
    account_id TEXT PRIMARY KEY,
    owner_person_id TEXT NOT NULL REFERENCES person (person_id),
    account_type TEXT NOT NULL,
    balance_cents INTEGER NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS account_by_owner ON account (owner_person_id, account_id);
CREATE TABLE IF NOT EXISTS address (
    address_id TEXT PRIMARY KEY,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip_code TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS address_by_state ON address (state);
CREATE TABLE IF NOT EXISTS lives_at (
    person_id TEXT NOT NULL REFERENCES person (person_id),
    address_id TEXT NOT NULL REFERENCES address (address_id),
    PRIMARY KEY (person_id, address_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lives_at_by_address ON lives_at (address_id, person_id);
CREATE TABLE IF NOT EXISTS phone (
    phone_id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    phone_type TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS has_phone (
    person_id TEXT NOT NULL REFERENCES person (person_id),
    phone_id TEXT NOT NULL REFERENCES phone (phone_id),
    PRIMARY KEY (person_id, phone_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS has_phone_by_phone ON has_phone (phone_id, person_id);
CREATE TABLE IF NOT EXISTS txn (
    transaction_id TEXT PRIMARY KEY,
    from_account_id TEXT NOT NULL REFERENCES account (account_id),
    to_account_id TEXT NOT NULL REFERENCES account (account_id),
    amount_cents INTEGER NOT NULL,
    timestamp INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS txn_sent ON txn (from_account_id, timestamp, transaction_id);
CREATE INDEX IF NOT EXISTS txn_received ON txn (to_account_id, timestamp, transaction_id);
-- Per-person aggregates kept in step with every load, so that filtering and ordering
-- customers by balance (and the dashboard) never scan every account and transaction.
CREATE TABLE IF NOT EXISTS person_summary (
    person_id TEXT PRIMARY KEY REFERENCES person (person_id),
    num_accounts INTEGER NOT NULL,
    total_balance_cents INTEGER NOT NULL,
    num_transactions INTEGER NOT NULL,
    total_volume_cents INTEGER NOT NULL,
    segment_tier TEXT,
    risk_level TEXT
);
CREATE INDEX IF NOT EXISTS person_summary_by_balance ON person_summary (total_balance_cents, person_id);
CREATE INDEX IF NOT EXISTS person_summary_by_tier ON person_summary (segment_tier);
CREATE INDEX IF NOT EXISTS person_summary_by_risk ON person_summary (risk_level);
CREATE TABLE IF NOT EXISTS c360_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

REFRESH_SUMMARY = """
INSERT OR REPLACE INTO person_summary
SELECT p.person_id,
       COALESCE(a.num_accounts, 0), COALESCE(a.total_balance_cents, 0),
       COALESCE(t.num_transactions, 0), COALESCE(t.total_volume_cents, 0),
       NULL, NULL
FROM person AS p
LEFT JOIN (SELECT owner_person_id, COUNT(*) AS num_accounts, SUM(balance_cents) AS total_balance_cents
           FROM account GROUP BY owner_person_id) AS a ON a.owner_person_id = p.person_id
LEFT JOIN (SELECT ac.owner_person_id, COUNT(*) AS num_transactions, SUM(x.amount_cents) AS total_volume_cents
           FROM txn AS x JOIN account AS ac ON ac.account_id = x.from_account_id
           GROUP BY ac.owner_person_id) AS t ON t.owner_person_id = p.person_id
"""


def create(connection: sqlite3.Connection, cipher: FieldCipher) -> None:
    """Create what is missing and upgrade what an earlier version wrote (idempotent)."""
    upgrade(connection, cipher)
    connection.executescript(SCHEMA)


def upgrade(connection: sqlite3.Connection, cipher: FieldCipher) -> None:
    """Bring files written by earlier versions up to SCHEMA: columns added since, and SSNs
    that earlier versions kept in clear encrypted (then the file is vacuumed, so the clear
    values do not linger in free pages)."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(person_summary)")}
    if columns and "segment_tier" not in columns:
        connection.execute("ALTER TABLE person_summary ADD COLUMN segment_tier TEXT")
        connection.execute("ALTER TABLE person_summary ADD COLUMN risk_level TEXT")
    person = {row[1] for row in connection.execute("PRAGMA table_info(person)")}
    if "ssn" in person:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ALTER TABLE person ADD COLUMN ssn_last4 TEXT NOT NULL DEFAULT ''")
        connection.execute("ALTER TABLE person ADD COLUMN ssn_encrypted TEXT NOT NULL DEFAULT ''")
        rows = connection.execute("SELECT person_id, ssn FROM person").fetchall()
        connection.executemany(
            "UPDATE person SET ssn_last4 = ?, ssn_encrypted = ? WHERE person_id = ?",
            [(ssn_last_four(ssn), cipher.encrypt(ssn, person_id), person_id) for person_id, ssn in rows],
        )
        connection.execute("ALTER TABLE person DROP COLUMN ssn")
        connection.execute("COMMIT")
        connection.execute("VACUUM")

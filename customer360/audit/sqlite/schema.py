"""The embedded sink's tables: one row per event (the chain and both questions), checkpoints apart.

An event sealed with the rest of its response's record (version 2) names the record's first
and last sequence numbers (``link_first``, ``link_last``); its ``prev_hash`` and ``hash`` are
the record's. Files made by earlier versions get the two columns when opened (null: an event
sealed alone, version 1).

One table is enough here: SQLite answers "reads of customer X" and "reads by principal P"
from two indexes over it, newest first, without the per-question copies Cassandra needs.
List-valued fields are JSON text; times are integer milliseconds since the epoch (UTC).
A rowid table: each of the three indexes then carries an 8-byte rowid rather than the
(writer id, seq) key, which makes a write a quarter cheaper (files made by earlier versions,
keyed by (writer id, seq) without a rowid, work the same).

The two question indexes stop at the time: the event id that breaks a tie within one
millisecond is read from the row, so each entry is 40 bytes narrower. A wide response puts
hundreds of customers on record at once, each an insert at a random place in the by-customer
index, and that index was most of a write's cost: about a third less with the narrow entries
(measured at 60,000 events, 375 per batch). Files made by earlier versions swap their wide
indexes for these when opened; the events themselves are not touched.
"""

from __future__ import annotations

EVENT_COLUMNS = (
    "writer_id", "seq", "event_id", "kind", "occurred_ms", "principal", "roles", "purpose", "customer_id",
    "fields_clear", "fields_masked", "operation_name", "document_hash", "request_id", "client_address",
    "outcome", "files", "row_count", "prev_hash", "hash", "link_first", "link_last",
)

CHECKPOINT_COLUMNS = (
    "writer_id", "first_seq", "last_seq", "merkle_root", "head_hash", "first_ms", "last_ms", "created_ms",
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_event (
    writer_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_ms INTEGER NOT NULL,
    principal TEXT NOT NULL,
    roles TEXT NOT NULL,
    purpose TEXT,
    customer_id TEXT,
    fields_clear TEXT NOT NULL,
    fields_masked TEXT NOT NULL,
    operation_name TEXT,
    document_hash TEXT,
    request_id TEXT,
    client_address TEXT,
    outcome TEXT NOT NULL,
    files TEXT NOT NULL,
    row_count INTEGER,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    link_first INTEGER,
    link_last INTEGER,
    UNIQUE (writer_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS audit_event_id ON audit_event (event_id);
CREATE INDEX IF NOT EXISTS audit_event_by_customer_time
    ON audit_event (customer_id, occurred_ms) WHERE customer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_event_by_principal_time ON audit_event (principal, occurred_ms);
DROP INDEX IF EXISTS audit_event_by_customer;
DROP INDEX IF EXISTS audit_event_by_principal;
CREATE TABLE IF NOT EXISTS audit_checkpoint (
    writer_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    merkle_root TEXT NOT NULL,
    head_hash TEXT NOT NULL,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (writer_id, first_seq)
) WITHOUT ROWID;
"""

ADDED_COLUMNS = (("audit_event", "link_first", "INTEGER"), ("audit_event", "link_last", "INTEGER"))
"""Columns a file made by an earlier version lacks (its events were all sealed alone)."""

"""The embedded default store: one SQLite file (stdlib ``sqlite3``), WAL, durable.

It needs no setup, so a fresh clone serves a realistic bank at once. Reads run in worker
threads (one connection per thread; WAL lets them read while a load writes) so the event
loop never blocks on disk. Every read is one statement from the SQL emitter and goes through
:func:`~customer360.backend_calls.recorded_call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from customer360.graphstore import sql
from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.graphstore.insight_cache import (
    PORTFOLIO as PORTFOLIO_KEY,
    bump_data_version,
    ensure_insights_current,
    refresh_insights,
)
from customer360.graphstore.plan import (
    BankTotals,
    MetricsRow,
    PersonMetrics,
    Counterparties,
    CounterpartyRow,
    FindPersons,
    GetVertices,
    Keyset,
    Page,
    PersonOrder,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.network import NetworkStep
from customer360.graphstore.protocol import StoreUnavailable
from customer360.insights import DEFAULT_RULES, Rules
from customer360.model import (
    Account,
    AccountStatus,
    AccountType,
    Address,
    Person,
    Phone,
    PhoneLink,
    PhoneType,
    Residence,
    Transaction,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS person (
    person_id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    ssn TEXT NOT NULL
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


def _upgrade(connection: sqlite3.Connection) -> None:
    """Bring files written by earlier versions up to SCHEMA (columns added since)."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(person_summary)")}
    if columns and "segment_tier" not in columns:
        connection.execute("ALTER TABLE person_summary ADD COLUMN segment_tier TEXT")
        connection.execute("ALTER TABLE person_summary ADD COLUMN risk_level TEXT")


def cents(value: Decimal) -> int:
    """Exact integer cents; the loader has already refused more than two decimals."""
    return int((value * 100).to_integral_exact())


def from_cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _person(row: Sequence[Any]) -> Person:
    return Person(row[0], row[1], row[2], row[3], row[4])


def _account(row: Sequence[Any]) -> Account:
    return Account(row[0], row[1], AccountType(row[2]), from_cents(row[3]), AccountStatus(row[4]))


def _address(row: Sequence[Any]) -> Address:
    return Address(row[0], row[1], row[2], row[3], row[4])


def _phone(row: Sequence[Any]) -> Phone:
    return Phone(row[0], row[1], PhoneType(row[2]))


def _transaction(row: Sequence[Any]) -> Transaction:
    return Transaction(row[0], row[1], row[2], from_cents(row[3]), row[4])


def _metrics(row: Sequence[Any]) -> MetricsRow:
    types = tuple(sorted(row[5].split(","))) if row[5] else ()
    return MetricsRow(row[0], row[1], row[2], row[3], row[4], types)


DECODERS = {
    VertexLabel.PERSON: _person,
    VertexLabel.ACCOUNT: _account,
    VertexLabel.ADDRESS: _address,
    VertexLabel.PHONE: _phone,
    VertexLabel.TRANSACTION: _transaction,
}


class SqliteStore:
    """GraphStore on a single SQLite file."""

    backend = "sqlite"

    def __init__(self, path: Path, rules: Rules = DEFAULT_RULES) -> None:
        self.path = Path(path)
        self.rules = rules
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._write_connection() as connection:
            _upgrade(connection)
            connection.executescript(SCHEMA)
        ensure_insights_current(self, rules)

    # ------------------------------------------------------------ connections

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA busy_timeout=10000")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def _write_connection(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA busy_timeout=10000")
            yield connection
        finally:
            connection.close()

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    # ------------------------------------------------------------ reading

    def _run(self, query: CompiledQuery) -> list[tuple]:
        with recorded_call(self.backend, query) as record:
            try:
                rows = self._connection().execute(query.text, query.params).fetchall()
            except sqlite3.OperationalError as error:
                raise StoreUnavailable(self.backend, str(error)) from error
            record.rows = len(rows)
        return rows

    async def _run_async(self, query: CompiledQuery) -> list[tuple]:
        return await asyncio.to_thread(self._run, query)

    async def get_vertices(self, step: GetVertices) -> dict[str, Any]:
        if not step.keys:
            return {}
        decode = DECODERS[step.label]
        rows = await self._run_async(sql.compile_get_vertices(step))
        return {row[0]: decode(row) for row in rows}

    async def traverse(self, step: Traverse) -> dict[str, Page]:
        pages = {key: Page(rows=[], total=0 if step.with_total else None) for key in step.source_keys}
        if not step.source_keys:
            return pages
        decode = DECODERS[step.target]
        table = sql.VERTEX_TABLES[step.target]
        width = len(table.columns)
        order_index = sql.order_column_index(step.target, step.order)
        for row in await self._run_async(sql.compile_traverse(step)):
            source, record, total, after_ok, rank = row[0], row[1 : 1 + width], row[1 + width], row[2 + width], row[3 + width]
            page = pages[source]
            if step.with_total:
                page.total = total
            if not after_ok:
                continue
            if step.first is not None and rank > step.first:
                page.has_next = True
            else:
                page.rows.append(decode(record))
                page.keysets.append(Keyset(record[order_index], record[0]))
        return pages

    async def find_persons(self, step: FindPersons) -> Page:
        rows = await self._run_async(sql.compile_find_persons(step))
        page = Page(rows=[], total=rows[0][-1] if rows and step.with_total else None)
        for row in rows:
            if row[0] is None:  # the sentinel row of an empty page still carries the total
                continue
            if len(page.rows) == step.first:
                page.has_next = True
                break
            page.rows.append(_person(row))
            value = [row[2], row[1]] if step.order is PersonOrder.NAME else row[5]
            page.keysets.append(Keyset(value, row[0]))
        return page

    async def counterparties(self, step: Counterparties) -> dict[str, list[CounterpartyRow]]:
        result: dict[str, list[CounterpartyRow]] = {key: [] for key in step.source_keys}
        if not step.source_keys:
            return result
        for source, account_id, count, volume in await self._run_async(sql.compile_counterparties(step)):
            result[source].append(CounterpartyRow(account_id, count, volume))
        return result

    async def person_metrics(self, step: PersonMetrics) -> dict[str, MetricsRow]:
        if not step.keys:
            return {}
        rows = await self._run_async(sql.compile_person_metrics(step))
        return {row[0]: _metrics(row) for row in rows}

    async def portfolio(self) -> dict | None:
        rows = await self._run_async(sql.compile_read_state(PORTFOLIO_KEY))
        return json.loads(rows[0][0]) if rows else None

    async def network(self, step: NetworkStep) -> Any:
        """Steps of :mod:`.network` (neighbourhoods, paths, related customers...): one call each."""
        from customer360.graphstore import sql_network

        return await sql_network.run(self, step)

    async def ping(self) -> None:
        await self._run_async(CompiledQuery("ping", "SELECT COUNT(*) FROM person LIMIT 1"))

    # ------------------------------------------------------------ writing

    def existing_keys(self, label: VertexLabel, keys: Collection[str]) -> set[str]:
        table = sql.VERTEX_TABLES[label]
        found: set[str] = set()
        batch = list(keys)
        for start in range(0, len(batch), 5000):
            rows = self._connection().execute(
                f"SELECT {table.key} FROM {table.name} WHERE {table.key} IN (SELECT value FROM json_each(?))",
                (sql.keys_param(batch[start : start + 5000]),),
            )
            found.update(row[0] for row in rows)
        return found

    @contextlib.contextmanager
    def bulk_writer(self) -> Iterator["SqliteBulkWriter"]:
        """One transaction for the whole load: a failure anywhere leaves the file unchanged."""
        with self._write_connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteBulkWriter(connection)
                connection.execute(REFRESH_SUMMARY)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        bump_data_version(self)
        refresh_insights(self, self.rules)

    # ------------------------------------------------------------ insight cache

    def iter_person_metrics(self, batch_size: int) -> Iterator[list[MetricsRow]]:
        after = ""
        while True:
            rows = self._connection().execute(sql.PERSON_METRICS_PAGE, {"after": after, "limit": batch_size}).fetchall()
            if not rows:
                return
            yield [_metrics(row) for row in rows]
            after = rows[-1][0]

    def write_person_insights(self, rows: list[tuple[str, str, str]]) -> None:
        with self._write_connection() as connection:
            connection.executemany(
                "UPDATE person_summary SET segment_tier = ?, risk_level = ? WHERE person_id = ?",
                [(tier, level, person_id) for person_id, tier, level in rows],
            )

    def bank_totals(self) -> BankTotals:
        return BankTotals(*self._connection().execute(sql.BANK_TOTALS).fetchone())

    def read_state(self, key: str) -> str | None:
        row = self._connection().execute("SELECT value FROM c360_state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def write_state(self, key: str, value: str) -> None:
        with self._write_connection() as connection:
            connection.execute(
                "INSERT INTO c360_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


class SqliteBulkWriter:
    """Upserts by business key (``ON CONFLICT DO UPDATE``), so reloading duplicates nothing."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def _upsert(self, table: str, columns: tuple[str, ...], conflict: tuple[str, ...], rows: list[tuple]) -> None:
        updates = [c for c in columns if c not in conflict]
        action = (
            "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updates) if updates else "DO NOTHING"
        )
        text = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({', '.join(conflict)}) {action}"
        )
        self._connection.executemany(text, rows)

    def put_persons(self, rows: Sequence[Person]) -> None:
        self._upsert(
            "person", ("person_id", "first_name", "last_name", "date_of_birth", "ssn"), ("person_id",),
            [(p.person_id, p.first_name, p.last_name, p.date_of_birth, p.ssn) for p in rows],
        )

    def put_accounts(self, rows: Sequence[Account]) -> None:
        self._upsert(
            "account", ("account_id", "owner_person_id", "account_type", "balance_cents", "status"), ("account_id",),
            [(a.account_id, a.owner_person_id, a.account_type.value, cents(a.balance), a.status.value) for a in rows],
        )

    def put_addresses(self, rows: Sequence[Address]) -> None:
        self._upsert(
            "address", ("address_id", "street", "city", "state", "zip_code"), ("address_id",),
            [(a.address_id, a.street, a.city, a.state, a.zip_code) for a in rows],
        )

    def put_phones(self, rows: Sequence[Phone]) -> None:
        self._upsert(
            "phone", ("phone_id", "number", "phone_type"), ("phone_id",),
            [(p.phone_id, p.number, p.phone_type.value) for p in rows],
        )

    def put_residences(self, rows: Sequence[Residence]) -> None:
        self._upsert(
            "lives_at", ("person_id", "address_id"), ("person_id", "address_id"),
            [(r.person_id, r.address_id) for r in rows],
        )

    def put_phone_links(self, rows: Sequence[PhoneLink]) -> None:
        self._upsert(
            "has_phone", ("person_id", "phone_id"), ("person_id", "phone_id"),
            [(r.person_id, r.phone_id) for r in rows],
        )

    def put_transactions(self, rows: Sequence[Transaction]) -> None:
        self._upsert(
            "txn", ("transaction_id", "from_account_id", "to_account_id", "amount_cents", "timestamp"),
            ("transaction_id",),
            [(t.transaction_id, t.from_account_id, t.to_account_id, cents(t.amount), t.timestamp) for t in rows],
        )

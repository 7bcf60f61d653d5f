"""Loading seed CSV files into the real embedded SQLite store: all or nothing, never doubled.

Everything is checked through the store's own reading API (``get_vertices``, ``traverse``,
``existing_keys``), against ids read from the CSV files with plain ``csv``; "exactly as
before" is additionally checked on the database file's full SQL dump.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import shutil
import sqlite3
import threading
from collections.abc import Collection, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from customer360.generator import generate_bank
from customer360.graphstore.plan import (
    Direction,
    EdgeLabel,
    GetVertices,
    Hop,
    PersonSecrets,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import (
    STORE_LOOKUP_BATCH,
    LoadRejected,
    LoadReport,
    load_bank,
)
from customer360.model import AccountType, Transaction

PERSONS_FILE = "aml_data_persons.csv"
ACCOUNTS_FILE = "aml_data_accounts.csv"
ADDRESSES_FILE = "aml_data_addresses.csv"
PHONES_FILE = "aml_data_phones.csv"
TRANSACTIONS_FILE = "aml_data_transactions.csv"
FILES = (PERSONS_FILE, ACCOUNTS_FILE, ADDRESSES_FILE, PHONES_FILE, TRANSACTIONS_FILE)


def read_rows(directory: Path, name: str) -> list[dict[str, str]]:
    with open(directory / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def ids_in(directory: Path) -> dict[VertexLabel, tuple[str, ...]]:
    """Every business key in a bank directory, read independently of the loader."""
    def column(name: str, key: str) -> tuple[str, ...]:
        if not (directory / name).exists():
            return ()
        return tuple(dict.fromkeys(row[key] for row in read_rows(directory, name)))

    return {
        VertexLabel.PERSON: column(PERSONS_FILE, "person_id"),
        VertexLabel.ACCOUNT: column(ACCOUNTS_FILE, "account_id"),
        VertexLabel.ADDRESS: column(ADDRESSES_FILE, "address_id"),
        VertexLabel.PHONE: column(PHONES_FILE, "phone_id"),
        VertexLabel.TRANSACTION: column(TRANSACTIONS_FILE, "transaction_id"),
    }


def append_row(path: Path, line: str) -> int:
    """Append a raw CSV line; returns its row number as an editor shows it."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    text += line + "\n"
    path.write_text(text, encoding="utf-8")
    return text.count("\n")


def spoil(path: Path, row_number: int, column: str, value: str) -> None:
    """Replace one cell of a data row (row number as an editor shows it)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rows[row_number - 1][header.index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


async def snapshot(store: SqliteStore, ids: dict[VertexLabel, tuple[str, ...]]) -> dict[Any, Any]:
    """What the store answers about these ids: every vertex and every edge from them."""
    seen: dict[Any, Any] = {}
    for label, keys in ids.items():
        seen[label] = await store.get_vertices(GetVertices(label, keys))
    edges = (
        (VertexLabel.PERSON, EdgeLabel.OWNS, Direction.OUT),
        (VertexLabel.PERSON, EdgeLabel.LIVES_AT, Direction.OUT),
        (VertexLabel.PERSON, EdgeLabel.HAS_PHONE, Direction.OUT),
        (VertexLabel.ACCOUNT, EdgeLabel.SENT, Direction.OUT),
        (VertexLabel.ACCOUNT, EdgeLabel.RECEIVED_BY, Direction.IN),
    )
    for source, edge, direction in edges:
        if ids[source]:
            pages = await store.traverse(Traverse(source, ids[source], (Hop(edge, direction),)))
            seen[edge, direction] = {key: sorted(map(repr, page.rows)) for key, page in pages.items()}
    return seen


def dump(path: Path) -> list[str]:
    """Every row of the file, less the bookkeeping (c360_state counts loads by design)."""
    connection = sqlite3.connect(path)
    try:
        return [line for line in connection.iterdump() if '"c360_state"' not in line]
    finally:
        connection.close()


def count_stored(store: SqliteStore, ids: dict[VertexLabel, tuple[str, ...]]) -> dict[VertexLabel, int]:
    return {label: len(store.existing_keys(label, keys)) for label, keys in ids.items()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    generate_bank(folder, 120, 5, progress=False)
    return folder


@pytest.fixture
def bank(generated: Path, tmp_path: Path) -> Path:
    """A private copy of the generated bank, free to spoil."""
    folder = tmp_path / "bank"
    shutil.copytree(generated, folder)
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "g.db"


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(db_path)
    yield store
    store.close()


def expected_counts(directory: Path) -> dict[str, int]:
    addresses = read_rows(directory, ADDRESSES_FILE)
    phones = read_rows(directory, PHONES_FILE)
    return {
        "persons": len(read_rows(directory, PERSONS_FILE)),
        "accounts": len(read_rows(directory, ACCOUNTS_FILE)),
        "addresses": len({row["address_id"] for row in addresses}),
        "residences": len(addresses),
        "phones": len({row["phone_id"] for row in phones}),
        "phone_links": len(phones),
        "transactions": len(read_rows(directory, TRANSACTIONS_FILE)),
    }


def report_counts(report: LoadReport) -> dict[str, int]:
    return {
        kind: getattr(report, kind)
        for kind in ("persons", "accounts", "addresses", "residences", "phones", "phone_links", "transactions")
    }


# ---------------------------------------------------------------- good loads


async def test_good_load_loads_every_row(bank: Path, sqlite_store: SqliteStore) -> None:
    report = load_bank(bank, sqlite_store, progress=False)

    assert report.skipped == ()
    assert report_counts(report) == expected_counts(bank)
    ids = ids_in(bank)
    assert count_stored(sqlite_store, ids) == {label: len(keys) for label, keys in ids.items()}

    # one person, their accounts, homes and phones, as the CSV files say
    person_row = read_rows(bank, PERSONS_FILE)[0]
    person_id = person_row["person_id"]
    person = (await sqlite_store.get_vertices(GetVertices(VertexLabel.PERSON, (person_id,))))[person_id]
    assert (person.first_name, person.last_name, person.date_of_birth, person.ssn_last4) == (
        person_row["first_name"], person_row["last_name"], person_row["date_of_birth"], person_row["ssn"][-4:],
    )
    # the whole SSN is only read apart, encrypted, and decrypts to the file's value
    [(_, stored)] = (await sqlite_store.person_secrets(PersonSecrets((person_id,)))).items()
    assert person_row["ssn"] not in stored
    assert sqlite_store.cipher.decrypt(stored, person_id) == person_row["ssn"]
    owned = await sqlite_store.traverse(
        Traverse(VertexLabel.PERSON, (person_id,), (Hop(EdgeLabel.OWNS, Direction.OUT),))
    )
    account_rows = {r["account_id"]: r for r in read_rows(bank, ACCOUNTS_FILE) if r["owner_person_id"] == person_id}
    assert {a.account_id for a in owned[person_id].rows} == set(account_rows)
    for account in owned[person_id].rows:
        row = account_rows[account.account_id]
        assert account.balance == Decimal(row["balance"])
        assert account.account_type is AccountType(row["account_type"].lower())
    homes = await sqlite_store.traverse(
        Traverse(VertexLabel.PERSON, (person_id,), (Hop(EdgeLabel.LIVES_AT, Direction.OUT),))
    )
    address_rows = {r["address_id"]: r for r in read_rows(bank, ADDRESSES_FILE) if r["person_id"] == person_id}
    assert {(a.address_id, a.zip_code) for a in homes[person_id].rows} == {
        (key, row["zip_code"]) for key, row in address_rows.items()
    }

    # the last transaction, with its money and both ends
    last = read_rows(bank, TRANSACTIONS_FILE)[-1]
    stored = await sqlite_store.get_vertices(GetVertices(VertexLabel.TRANSACTION, (last["transaction_id"],)))
    assert stored[last["transaction_id"]] == Transaction(
        last["transaction_id"], last["from_account_id"], last["to_account_id"],
        Decimal(last["amount"]), int(last["timestamp"]),
    )


async def test_loading_twice_duplicates_nothing(bank: Path, sqlite_store: SqliteStore, db_path: Path) -> None:
    first = load_bank(bank, sqlite_store, progress=False)
    ids = ids_in(bank)
    before = await snapshot(sqlite_store, ids)
    counts_before = count_stored(sqlite_store, ids)
    dumped_before = dump(db_path)

    second = load_bank(bank, sqlite_store, progress=False)

    assert report_counts(second) == report_counts(first)
    assert count_stored(sqlite_store, ids) == counts_before
    assert await snapshot(sqlite_store, ids) == before
    assert dump(db_path) == dumped_before


# ---------------------------------------------------------------- refused loads


async def test_bad_last_row_changes_nothing(bank: Path, sqlite_store: SqliteStore, db_path: Path, tmp_path: Path) -> None:
    # The store already holds an earlier, different bank.
    earlier = tmp_path / "earlier"
    generate_bank(earlier, 15, 99, progress=False)
    load_bank(earlier, sqlite_store, progress=False)
    ids = {label: tuple(dict.fromkeys(ids_in(bank)[label] + ids_in(earlier)[label])) for label in VertexLabel}
    before = await snapshot(sqlite_store, ids)
    dumped_before = dump(db_path)

    transactions = read_rows(bank, TRANSACTIONS_FILE)
    last_row = len(transactions) + 1
    spoil(bank / TRANSACTIONS_FILE, last_row, "amount", "12,50x")

    with pytest.raises(LoadRejected) as refused:
        load_bank(bank, sqlite_store, progress=False)

    assert [str(e) for e in refused.value.errors] == [
        f"aml_data_transactions.csv, row {last_row}, column amount: is not a decimal amount"
    ]
    assert "nothing was written" in str(refused.value)
    assert dump(db_path) == dumped_before
    assert await snapshot(sqlite_store, ids) == before


class FailingWriter:
    """Delegates to the real SQLite writer, then fails on transactions like a full disk would.

    A real full disk cannot be arranged in a test; the failure is injected at the writer
    boundary, and the real SQLite transaction must undo what the real writer already did.
    """

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)

    def put_transactions(self, rows: Any) -> None:
        self._writer.put_transactions(rows)
        raise sqlite3.OperationalError("database or disk is full")


class StoreWithFailingWriter:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextlib.contextmanager
    def bulk_writer(self) -> Iterator[FailingWriter]:
        with self._store.bulk_writer() as writer:
            yield FailingWriter(writer)


async def test_backend_failure_midway_leaves_the_store_unchanged(
    bank: Path, sqlite_store: SqliteStore, db_path: Path
) -> None:
    dumped_before = dump(db_path)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        load_bank(bank, StoreWithFailingWriter(sqlite_store), progress=False)  # type: ignore[arg-type]
    assert dump(db_path) == dumped_before
    ids = ids_in(bank)
    assert count_stored(sqlite_store, ids) == {label: 0 for label in ids}


async def test_skip_invalid_loads_the_rest_and_reports_every_bad_row(bank: Path, sqlite_store: SqliteStore) -> None:
    persons = read_rows(bank, PERSONS_FILE)
    accounts = read_rows(bank, ACCOUNTS_FILE)
    transactions = read_rows(bank, TRANSACTIONS_FILE)
    # a person with a bad date: their accounts, homes, phones and transactions go too
    bad_person = persons[4]["person_id"]
    spoil(bank / PERSONS_FILE, 6, "date_of_birth", "1980-02-30")
    # three unrelated bad transactions, one of them the very last row
    bad_accounts = {a["account_id"] for a in accounts if a["owner_person_id"] == bad_person}
    clean = [
        n for n, t in enumerate(transactions, start=2)
        if t["from_account_id"] not in bad_accounts and t["to_account_id"] not in bad_accounts
    ]
    spoiled_transactions = {clean[0]: "-3.00", clean[len(clean) // 2]: "abc", clean[-1]: "0.001"}
    for row, amount in spoiled_transactions.items():
        spoil(bank / TRANSACTIONS_FILE, row, "amount", amount)

    with pytest.raises(LoadRejected) as refused:
        load_bank(bank, sqlite_store, progress=False)
    assert count_stored(sqlite_store, ids_in(bank))[VertexLabel.PERSON] == 0

    report = load_bank(bank, sqlite_store, skip_invalid=True, progress=False)

    assert report.skipped == tuple(refused.value.errors)
    skipped_rows = {(e.file, e.row) for e in report.skipped}
    expected_rows = {(PERSONS_FILE, 6)}
    expected_rows |= {(ACCOUNTS_FILE, n) for n, a in enumerate(accounts, start=2) if a["owner_person_id"] == bad_person}
    expected_rows |= {
        (ADDRESSES_FILE, n) for n, a in enumerate(read_rows(bank, ADDRESSES_FILE), start=2) if a["person_id"] == bad_person
    }
    expected_rows |= {
        (PHONES_FILE, n) for n, p in enumerate(read_rows(bank, PHONES_FILE), start=2) if p["person_id"] == bad_person
    }
    expected_rows |= {
        (TRANSACTIONS_FILE, n)
        for n, t in enumerate(transactions, start=2)
        if t["from_account_id"] in bad_accounts or t["to_account_id"] in bad_accounts
    }
    expected_rows |= {(TRANSACTIONS_FILE, n) for n in spoiled_transactions}
    assert skipped_rows == expected_rows
    assert len(expected_rows) > 6  # the bad person really had dependants
    for row, amount in spoiled_transactions.items():
        [error] = [e for e in report.skipped if e.file == TRANSACTIONS_FILE and e.row == row]
        assert error.column == "amount" and amount not in error.message

    ids = ids_in(bank)
    stored = {label: sqlite_store.existing_keys(label, keys) for label, keys in ids.items()}
    assert stored[VertexLabel.PERSON] == set(ids[VertexLabel.PERSON]) - {bad_person}
    assert stored[VertexLabel.ACCOUNT] == set(ids[VertexLabel.ACCOUNT]) - bad_accounts
    skipped_transactions = {transactions[row - 2]["transaction_id"] for f, row in skipped_rows if f == TRANSACTIONS_FILE}
    assert stored[VertexLabel.TRANSACTION] == set(ids[VertexLabel.TRANSACTION]) - skipped_transactions
    assert report.persons == len(persons) - 1
    assert report.transactions == len(transactions) - len(skipped_transactions)
    lives = await sqlite_store.traverse(
        Traverse(VertexLabel.PERSON, (bad_person,), (Hop(EdgeLabel.LIVES_AT, Direction.OUT),))
    )
    assert lives[bad_person].rows == []


# ---------------------------------------------------------------- later loads


def transactions_only(directory: Path, rows: list[str]) -> Path:
    directory.mkdir()
    (directory / TRANSACTIONS_FILE).write_text(
        "transaction_id,from_account_id,to_account_id,amount,timestamp\n" + "".join(r + "\n" for r in rows),
        encoding="utf-8",
    )
    return directory


async def test_transactions_only_load_links_to_accounts_loaded_earlier(
    bank: Path, sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    load_bank(bank, sqlite_store, progress=False)
    first, second = (a["account_id"] for a in read_rows(bank, ACCOUNTS_FILE)[:2])
    later = transactions_only(
        tmp_path / "later",
        [f"LATER-1,{first},{second},75.25,1767225600", f"LATER-2,{second},{first},10,2026-01-01T12:00:00Z"],
    )

    report = load_bank(later, sqlite_store, progress=False)

    assert report.transactions == 2 and report.persons == 0 and report.skipped == ()
    sent = await sqlite_store.traverse(
        Traverse(VertexLabel.ACCOUNT, (first,), (Hop(EdgeLabel.SENT, Direction.OUT),))
    )
    assert Transaction("LATER-1", first, second, Decimal("75.25"), 1767225600) in sent[first].rows
    received = await sqlite_store.get_vertices(GetVertices(VertexLabel.TRANSACTION, ("LATER-2",)))
    assert received["LATER-2"].timestamp == 1767268800


async def test_transactions_only_load_to_an_unknown_account_is_refused(
    bank: Path, sqlite_store: SqliteStore, db_path: Path, tmp_path: Path
) -> None:
    load_bank(bank, sqlite_store, progress=False)
    dumped_before = dump(db_path)
    known = read_rows(bank, ACCOUNTS_FILE)[0]["account_id"]
    later = transactions_only(
        tmp_path / "later",
        [f"LATER-1,{known},{known}X,75.25,1767225600", f"LATER-2,NO-SUCH,{known},1.00,1767225601"],
    )

    with pytest.raises(LoadRejected) as refused:
        load_bank(later, sqlite_store, progress=False)

    assert [str(e) for e in refused.value.errors] == [
        "aml_data_transactions.csv, row 2, column to_account_id: unknown account_id: "
        "not in aml_data_accounts.csv and not in the store",
        "aml_data_transactions.csv, row 3, column from_account_id: unknown account_id: "
        "not in aml_data_accounts.csv and not in the store",
    ]
    assert dump(db_path) == dumped_before


class CountingStore:
    """The real store, with its ``existing_keys`` calls recorded."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.lookups: list[tuple[VertexLabel, int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def existing_keys(self, label: VertexLabel, keys: Collection[str]) -> set[str]:
        self.lookups.append((label, len(keys)))
        return self._store.existing_keys(label, keys)


async def test_store_is_asked_in_batches_never_per_row(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    accounts = 12_000
    first = tmp_path / "first"
    first.mkdir()
    with open(first / PERSONS_FILE, "w", encoding="utf-8") as persons_file:
        persons_file.write("person_id,first_name,last_name,date_of_birth,ssn\n")
        persons_file.writelines(f"P{n},First,Last,1980-01-01,{n:09d}\n" for n in range(accounts))
    with open(first / ACCOUNTS_FILE, "w", encoding="utf-8") as accounts_file:
        accounts_file.write("account_id,owner_person_id,account_type,balance,account_status\n")
        accounts_file.writelines(f"A{n},P{n},checking,10.00,active\n" for n in range(accounts))
    assert load_bank(first, sqlite_store, progress=False).accounts == accounts

    # 24,000 transactions touching 12,000 stored accounts: three lookups, not 48,000
    later = transactions_only(
        tmp_path / "later",
        [f"T{n}-{k},A{n},A{(n + 1 + k) % accounts},1.00,1767225600" for n in range(accounts) for k in range(2)],
    )
    counting = CountingStore(sqlite_store)
    report = load_bank(later, counting, progress=False)  # type: ignore[arg-type]

    assert report.transactions == 2 * accounts
    assert [label for label, _ in counting.lookups] == [VertexLabel.ACCOUNT] * 3
    assert all(size <= STORE_LOOKUP_BATCH for _, size in counting.lookups)
    assert sum(size for _, size in counting.lookups) == accounts


async def test_progress_bars_go_to_stderr(bank: Path, sqlite_store: SqliteStore, capsys: pytest.CaptureFixture[str]) -> None:
    load_bank(bank, sqlite_store, progress=True, batch_size=50)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "loading transactions" in captured.err
    load_bank(bank, sqlite_store, progress=False)
    assert capsys.readouterr().err == ""


def test_a_load_needs_no_event_loop_and_works_inside_one(bank: Path, sqlite_store: SqliteStore) -> None:
    """The CLI loads with no event loop; the quick start loads the demo bank next to a server.

    Run in a fresh thread (where ``asyncio.get_event_loop()`` raises) and inside a running
    loop (where ``asyncio.run()`` raises): a load that leaned on either would fail here."""
    persons = len(read_rows(bank, PERSONS_FILE))
    reports: list[int] = []
    failures: list[BaseException] = []

    def load_in_a_bare_thread() -> None:
        try:
            reports.append(load_bank(bank, sqlite_store, progress=False).persons)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            failures.append(error)

    thread = threading.Thread(target=load_in_a_bare_thread)
    thread.start()
    thread.join()

    async def load_inside_a_loop() -> int:
        return load_bank(bank, sqlite_store, progress=False).persons

    reports.append(asyncio.run(load_inside_a_loop()))
    assert failures == [] and reports == [persons, persons]

"""Loads whose rows link to ids in no file: the store is asked, on the real embedded SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import LoadRejected, load_bank
from customer360.ingest.seed_files import (
    ACCOUNTS_FILE,
    ADDRESSES_FILE,
    PHONES_FILE,
    TRANSACTIONS_FILE,
)
from tests.tiny_bank import GOOD, replaced, write_bank


@pytest.fixture
def store(tmp_path: Path):
    store = SqliteStore(tmp_path / "g.db")
    yield store
    store.close()


def test_unknown_owner_refuses_the_load(tmp_path: Path, store: SqliteStore) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "A2,P2", "A2,P9"))
    with pytest.raises(LoadRejected) as refused:
        load_bank(bank, store, progress=False)
    text = str(refused.value)
    assert "aml_data_accounts.csv, row 3, column owner_person_id: unknown person_id" in text
    # the transactions of the refused account are refused with it
    assert "aml_data_transactions.csv, row 2, column to_account_id: the account it links to is itself rejected" in text
    assert "aml_data_transactions.csv, row 3, column from_account_id: the account it links to is itself rejected" in text
    assert "P9" not in text  # the file, row and column find the value; it is not echoed


@pytest.mark.parametrize(
    ("file", "old", "new", "row", "column"),
    [
        (ADDRESSES_FILE, "AD2,P3", "AD2,P7", 4, "person_id"),
        (PHONES_FILE, "PH2,P3", "PH2,P7", 4, "person_id"),
        (TRANSACTIONS_FILE, "T3,A3", "T3,A7", 4, "from_account_id"),
        (TRANSACTIONS_FILE, "T3,A3,A1", "T3,A3,A7", 4, "to_account_id"),
    ],
)
def test_unknown_links(tmp_path: Path, store: SqliteStore, file: str, old: str, new: str, row: int, column: str) -> None:
    key = {"person_id": "person_id", "from_account_id": "account_id", "to_account_id": "account_id"}[column]
    changes = {file.removeprefix("aml_data_").removesuffix(".csv"): replaced(file, old, new)}
    bank = write_bank(tmp_path / "bank", **changes)
    with pytest.raises(LoadRejected) as refused:
        load_bank(bank, store, progress=False)
    [error] = refused.value.errors
    assert (error.file, error.row, error.column) == (file, row, column)
    assert f"unknown {key}: not in " in error.message
    assert new.split(",")[-1] not in error.message


def test_load_rejected_lists_the_first_1000_and_the_total(tmp_path: Path, store: SqliteStore) -> None:
    rows = "".join(f"T{n},A1,A2,oops,1700000000\n" for n in range(10, 1040))
    bank = write_bank(tmp_path / "bank", transactions=GOOD[TRANSACTIONS_FILE] + rows)
    with pytest.raises(LoadRejected) as refused:
        load_bank(bank, store, progress=False)
    assert len(refused.value.errors) == 1000  # kept in memory: the first 1,000 only
    assert refused.value.total == 1030
    text = str(refused.value)
    assert "1,030 problems" in text and "and 30 more" in text
    assert "aml_data_transactions.csv, row 5, column amount: is not a decimal amount" in text
    assert "row 1004," in text and "row 1005," not in text

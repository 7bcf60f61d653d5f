"""Fixtures of the contract suite's compiled-path tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


@pytest.fixture
def variables(bank_dir: Path) -> dict:
    """Variables for the compiled-path queries: ids of the bank's first person, account and transaction."""
    with (bank_dir / "aml_data_persons.csv").open(newline="") as handle:
        person = next(csv.DictReader(handle))["person_id"]
    with (bank_dir / "aml_data_accounts.csv").open(newline="") as handle:
        account = next(csv.DictReader(handle))["account_id"]
    with (bank_dir / "aml_data_transactions.csv").open(newline="") as handle:
        transaction = next(csv.DictReader(handle))["transaction_id"]
    return {"id": person, "ids": [account, transaction, "NOPE", person], "withRisk": True, "skipNames": True}

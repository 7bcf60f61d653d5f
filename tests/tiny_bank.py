"""The hand-made three-person bank of ``fixtures/tiny_bank``, and ways to spoil it cell by cell."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import load_bank
from customer360.ingest.seed_files import (
    ACCOUNTS_FILE,
    ADDRESSES_FILE,
    PERSONS_FILE,
    PHONES_FILE,
    TRANSACTIONS_FILE,
)

TINY_BANK = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_bank"
"""Three persons, P1 and P2 sharing address AD1 and phone PH1, one transfer cycle A1→A2→A3→A1.
Every data row is on the same line number in each file (2, 3, 4), which the row-number
assertions below rely on; ``fixtures/README.md`` describes it."""

GOOD = {
    name: (TINY_BANK / name).read_text(encoding="utf-8")
    for name in (PERSONS_FILE, ACCOUNTS_FILE, ADDRESSES_FILE, PHONES_FILE, TRANSACTIONS_FILE)
}


def write_bank(directory: Path, **changes: str) -> Path:
    """The good bank, with whole files replaced: ``write_bank(tmp_path, accounts="...")``."""
    names = {
        "persons": PERSONS_FILE,
        "accounts": ACCOUNTS_FILE,
        "addresses": ADDRESSES_FILE,
        "phones": PHONES_FILE,
        "transactions": TRANSACTIONS_FILE,
    }
    directory.mkdir(parents=True, exist_ok=True)
    files = dict(GOOD)
    for key, text in changes.items():
        files[names[key]] = text
    for name, text in files.items():
        if text is not None:
            (directory / name).write_text(text, encoding="utf-8", newline="")
    return directory


def replaced(name: str, old: str, new: str) -> str:
    text = GOOD[name]
    assert old in text, old
    return text.replace(old, new, 1)


@contextmanager
def tiny_sqlite_store(folder: Path) -> Iterator[SqliteStore]:
    """The tiny bank loaded into an embedded store in ``folder``, closed afterwards."""
    store = SqliteStore(folder / "graph.db")
    load_bank(TINY_BANK, store, progress=False)
    try:
        yield store
    finally:
        store.close()

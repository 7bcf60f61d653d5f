"""Generated benchmark banks, loaded once into SQLite and reused across runs (benchmarks/.data)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from customer360.config import GraphUrl, Settings
from customer360.generator import generate_bank
from customer360.graphstore.backends import open_store
from customer360.graphstore.plan import FindPersons
from customer360.ingest.load import load_bank

DATA = Path(__file__).resolve().parent / ".data"


def bank_folder(persons: int, seed: int) -> Path:
    folder = DATA / f"bank-{persons}-{seed}"
    if not (folder / "aml_data_transactions.csv").exists():
        print(f"generating {persons:,} persons ...", file=sys.stderr)
        generate_bank(folder, persons, seed, progress=True)
    return folder


def prepared_sqlite(persons: int, seed: int) -> Settings:
    """Settings for an SQLite store holding the bank (generated and loaded on first use)."""
    folder = bank_folder(persons, seed)
    url = GraphUrl.parse(f"sqlite:///{DATA / f'bank-{persons}-{seed}.db'}")
    store = open_store(url)
    try:
        if not asyncio.run(store.find_persons(FindPersons(first=1))).rows:
            started = time.perf_counter()
            report = load_bank(folder, store, progress=True)
            print(f"{report} ({time.perf_counter() - started:.1f}s)", file=sys.stderr)
    finally:
        store.close()
    return Settings(graph=url)


@contextlib.contextmanager
def service_state() -> Iterator[Path]:
    """A fresh temporary folder for what the benchmarked service writes beside its data (the
    audit spool and sink, persisted operations, API keys), removed afterwards.

    By default those go to ``./data`` in whatever folder the command runs from: ``make bench``
    left a growing audit record in ``benchmarks/data``, and each run started with the last
    run's record. Variables the caller set are left as they are; the others are restored."""
    with tempfile.TemporaryDirectory(prefix="c360-bench-state-") as folder:
        wanted = {
            "C360_AUDIT": f"sqlite:///{folder}/audit.db",
            "C360_AUDIT_SPOOL": f"{folder}/audit-spool.db",
            "C360_OPERATIONS": f"{folder}/operations.db",
            "C360_API_KEYS": f"{folder}/api-keys.db",
        }
        set_here = [name for name in wanted if name not in os.environ]
        os.environ.update({name: wanted[name] for name in set_here})
        try:
            yield Path(folder)
        finally:
            for name in set_here:
                os.environ.pop(name, None)

"""The five CSV files of a generated bank: their names, exact headers, and how they are written.

Each file is written to ``<name>.partial`` and renamed into place only when the whole run
succeeded, so a run that fails or is interrupted never leaves a truncated file that looks like a
complete one (and a loader cannot half-apply it). Rows use ``\\n`` line endings and UTF-8, and a
1 MiB buffer: the writers are the hot path of a million-person run.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

PERSONS_FILE = "aml_data_persons.csv"
ACCOUNTS_FILE = "aml_data_accounts.csv"
ADDRESSES_FILE = "aml_data_addresses.csv"
PHONES_FILE = "aml_data_phones.csv"
TRANSACTIONS_FILE = "aml_data_transactions.csv"
DUPLICATES_FILE = "duplicates.csv"  # labels of injected duplicates (see duplicates.py); loaders ignore it

HEADERS: dict[str, tuple[str, ...]] = {
    PERSONS_FILE: ("person_id", "first_name", "last_name", "date_of_birth", "ssn", "email"),
    ACCOUNTS_FILE: (
        "account_id",
        "owner_person_id",
        "account_type",
        "balance",
        "account_status",
        "opened_date",
    ),
    ADDRESSES_FILE: ("address_id", "person_id", "street", "city", "state", "zip_code"),
    PHONES_FILE: ("phone_id", "person_id", "phone_number", "phone_type"),
    TRANSACTIONS_FILE: ("transaction_id", "from_account_id", "to_account_id", "amount", "timestamp"),
    DUPLICATES_FILE: ("person_id", "duplicate_of", "kinds"),
}

_BUFFER_BYTES = 1 << 20
_PARTIAL_SUFFIX = ".partial"


@contextmanager
def csv_writers(out_dir: Path, names: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Open one csv.writer per file name, header already written; publish all files on success.

    On any exception the partial files are removed and nothing already in ``out_dir`` under the
    final names is touched.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    partials = {name: out_dir / (name + _PARTIAL_SUFFIX) for name in names}
    writers = {}
    try:
        with ExitStack() as stack:
            for name, path in partials.items():
                handle = stack.enter_context(
                    open(path, "w", encoding="utf-8", newline="", buffering=_BUFFER_BYTES)
                )
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(HEADERS[name])
                writers[name] = writer
            yield writers
    except BaseException:
        for path in partials.values():
            path.unlink(missing_ok=True)
        raise
    for name, path in partials.items():
        os.replace(path, out_dir / name)

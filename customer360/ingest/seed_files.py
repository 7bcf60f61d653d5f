"""The five seed CSV files the reference notebook read: their names, the columns each needs, the
vertices each holds, and how a problem in one of them is reported (file, row, column, reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from customer360.graphstore.plan import VertexLabel

PERSONS_FILE = "aml_data_persons.csv"
ACCOUNTS_FILE = "aml_data_accounts.csv"
ADDRESSES_FILE = "aml_data_addresses.csv"
PHONES_FILE = "aml_data_phones.csv"
TRANSACTIONS_FILE = "aml_data_transactions.csv"


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in the input, precise enough to fix it in an editor.

    ``row`` is the line number an editor shows (the header is row 1, the first data row is
    row 2; a quoted value spanning lines counts all its lines); ``row`` and ``column`` are
    ``None`` for problems with a whole file or directory.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class SeedFile:
    """One of the five input files: its name, the columns it needs, the vertices it holds."""

    name: str
    label: VertexLabel
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


PERSONS = SeedFile(
    PERSONS_FILE, VertexLabel.PERSON, ("person_id", "first_name", "last_name", "date_of_birth", "ssn")
)
ACCOUNTS = SeedFile(
    ACCOUNTS_FILE,
    VertexLabel.ACCOUNT,
    ("account_id", "owner_person_id", "account_type", "balance", "account_status"),
)
ADDRESSES = SeedFile(
    ADDRESSES_FILE, VertexLabel.ADDRESS, ("address_id", "person_id", "street", "city", "state", "zip_code")
)
PHONES = SeedFile(PHONES_FILE, VertexLabel.PHONE, ("phone_id", "person_id", "phone_number"), ("phone_type",))
TRANSACTIONS = SeedFile(
    TRANSACTIONS_FILE,
    VertexLabel.TRANSACTION,
    ("transaction_id", "from_account_id", "to_account_id", "amount", "timestamp"),
)

#: The seed files in dependency order: every link points to a file earlier in this tuple.
SEED_FILES: tuple[SeedFile, ...] = (PERSONS, ACCOUNTS, ADDRESSES, PHONES, TRANSACTIONS)

# (column, message): a problem with one row, before the file and row are attached.
Problem = tuple[str | None, str]


class SeedFileUnreadable(Exception):
    """A whole file cannot be read as a seed file (missing, wrong header, broken CSV)."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error

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

MAX_LISTED_PROBLEMS = 1000
"""Row problems a load lists; the others are counted. A 690,000-row file of bad rows has
millions of problems, and listing them all would take more memory than the file."""


class LineSet:
    """A set of line numbers in one bit each: a load remembers every rejected row of a
    file in a few hundred kilobytes, however many there are."""

    __slots__ = ("_bits", "_count")

    def __init__(self) -> None:
        self._bits = bytearray()
        self._count = 0

    def add(self, line: int) -> None:
        byte, bit = divmod(line, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        if not self._bits[byte] >> bit & 1:
            self._bits[byte] |= 1 << bit
            self._count += 1

    def __contains__(self, line: object) -> bool:
        if not isinstance(line, int) or line < 0:
            return False
        byte, bit = divmod(line, 8)
        return byte < len(self._bits) and bool(self._bits[byte] >> bit & 1)

    def __len__(self) -> int:
        return self._count


class SeedFileUnreadable(Exception):
    """A whole file cannot be read as a seed file (missing, wrong header, broken CSV)."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error

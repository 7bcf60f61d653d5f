"""Reading and validating the five seed CSV files into model records.

The seed files are the ones the reference notebook read (``aml_data_persons.csv`` and so on,
see :data:`SEED_FILES`). Everything here streams: a file is never held in memory, only the
business keys needed to check duplicates and links between files.

Two things live here:

* :func:`validate_bank` (pass 1 of a load): reads every file once, parses every row, and
  collects every problem as a :class:`RowError` that names the file, the line number as an
  editor shows it (header = row 1), the column and the reason. Links to ids that are in none
  of the files are collected in ``unresolved`` so the loader can ask the store about them in a
  few batched calls; it then validates again with the ids the store lacks (``missing``) if
  there are any, so that rows depending on them are rejected too.
* :class:`SeedReader` (pass 2): streams the records of the rows pass 1 accepted.

Nothing here writes anywhere; :mod:`customer360.graphstore.bulk_load` orchestrates a load.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tqdm import tqdm

from customer360.graphstore.plan import VertexLabel
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
    parse_enum,
)

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


# ---------------------------------------------------------------- reading rows

_SURROGATE = re.compile("[\udc80-\udcff]")


def _normalise_header(name: str | None) -> str:
    return (name or "").strip().lower()


class CsvRows:
    """A seed file opened for streaming: ``for line, values, problems in rows``.

    ``line`` is where the row starts, as an editor numbers lines. ``values`` maps each column
    of the :class:`SeedFile` that the header has to its stripped text. ``problems`` holds what
    is wrong with the row's shape (too many or too few values, bytes that are not UTF-8).
    Blank rows (also ``,,,,`` as spreadsheets export them) are skipped. ``position`` is how
    many bytes have been read, for progress. Opening raises :class:`SeedFileUnreadable` for a
    missing file or missing columns.

    This uses ``csv.reader`` and maps columns itself (what ``csv.DictReader`` does) because
    it needs the raw number of values and the line a row starts on.
    """

    def __init__(self, path: Path, spec: SeedFile) -> None:
        self.path = path
        self.spec = spec
        try:
            self._binary = open(path, "rb")  # noqa: SIM115 (closed by close())
        except FileNotFoundError:
            raise SeedFileUnreadable(RowError(spec.name, None, None, f"file not found in {path.parent}")) from None
        except OSError as exc:
            raise SeedFileUnreadable(RowError(spec.name, None, None, f"cannot be read: {exc.strerror}")) from None
        # surrogateescape: a bad byte becomes a marker reported on its exact row and column,
        # instead of a decode error somewhere in an 8 KiB chunk.
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
        self._reader = csv.reader(self._text)
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

    def _next(self) -> tuple[int, list[str]] | None:
        """The next non-blank row and the line it starts on; None at the end of the file."""
        reader = self._reader
        while True:
            before = reader.line_num
            try:
                row = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise SeedFileUnreadable(RowError(self.spec.name, before + 1, None, f"not valid CSV: {exc}")) from None
            if row and (row[0].strip() or any(value.strip() for value in row)):
                return before + 1, row

    def _read_header(self) -> None:
        name = self.spec.name
        first = self._next()
        if first is None:
            raise SeedFileUnreadable(
                RowError(name, 1, None, f"the file is empty: expected a header with {', '.join(self.spec.required)}")
            )
        line, raw_header = first
        header = [_normalise_header(h) for h in raw_header]
        for column in self.spec.columns:
            if header.count(column) > 1:
                raise SeedFileUnreadable(RowError(name, line, column, "column appears more than once in the header"))
        absent = [c for c in self.spec.required if c not in header]
        if absent:
            found = ", ".join(h for h in header if h) or "none"
            plural = "s" if len(absent) > 1 else ""
            raise SeedFileUnreadable(
                RowError(name, line, None, f"missing required column{plural} {', '.join(absent)} (found: {found})")
            )
        self.header = tuple(header)
        self.width = len(header)
        self._index = tuple((c, header.index(c)) for c in self.spec.columns if c in header)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the spec that this file has."""
        return tuple(c for c, _ in self._index)

    @property
    def position(self) -> int:
        """Bytes read so far (ahead of the current row by at most one read buffer)."""
        return self._binary.tell()

    def __iter__(self) -> Iterator[tuple[int, dict[str, str], list[Problem]]]:
        width = self.width
        index = self._index
        while (item := self._next()) is not None:
            line, row = item
            problems: list[Problem] = []
            count = len(row)
            if count != width:
                if count > width:
                    hint = " (an unquoted comma in a value?)"
                elif any("\n" in value or "\r" in value for value in row):
                    hint = " (a quote left open takes in the lines after it)"
                else:
                    hint = ""
                problems.append((None, f"{count} values but the header has {width} columns{hint}"))
            if count >= width:
                values = {column: row[position].strip() for column, position in index}
            else:
                values = {column: row[position].strip() if position < count else "" for column, position in index}
            if _SURROGATE.search("".join(values.values())):
                for column, value in values.items():
                    if _SURROGATE.search(value):
                        problems.append((column, "is not valid UTF-8 text"))
                        values[column] = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            yield line, values, problems

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> CsvRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- parsing cells

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SSN_DASHED = re.compile(r"\d{3}-\d{2}-\d{4}")
_SSN_DIGITS = re.compile(r"\d{9}")
_INTEGER = re.compile(r"[+-]?\d+")
_CENT = Decimal("0.01")
_MAX_AMOUNT_DIGITS = 15  # integer digits: cents still fit a signed 64-bit integer
_MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


def _required(values: Mapping[str, str], column: str, problems: list[Problem]) -> str:
    value = values.get(column, "")
    if not value:
        problems.append((column, "required value is empty"))
    return value


def _decimal(values: Mapping[str, str], column: str, problems: list[Problem], *, positive: bool) -> Decimal | None:
    raw = _required(values, column, problems)
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        problems.append((column, f"{raw!r} is not a decimal amount"))
        return None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.append((column, f"{raw!r} has more than 2 decimal places"))
        return None
    if amount.adjusted() >= _MAX_AMOUNT_DIGITS:
        problems.append((column, f"{raw!r} is too large (at most {_MAX_AMOUNT_DIGITS} digits before the point)"))
        return None
    if positive and amount <= 0:
        problems.append((column, f"{raw!r} must be greater than 0"))
        return None
    return amount.quantize(_CENT)


def _enum(values: Mapping[str, str], column: str, enum_type: Any, problems: list[Problem]) -> Any:
    raw = _required(values, column, problems)
    if not raw:
        return None
    try:
        return parse_enum(enum_type, raw)
    except ValueError as exc:
        problems.append((column, str(exc)))
        return None


def _date_of_birth(values: Mapping[str, str], problems: list[Problem]) -> str | None:
    column = "date_of_birth"
    raw = _required(values, column, problems)
    if not raw:
        return None
    if not _DATE.fullmatch(raw):
        problems.append((column, f"{raw!r} is not a date (expected YYYY-MM-DD)"))
        return None
    try:
        born = date.fromisoformat(raw)
    except ValueError:
        problems.append((column, f"{raw!r} is not a real date"))
        return None
    if born > date.today():
        problems.append((column, f"{raw!r} is in the future"))
        return None
    return raw


def _ssn(values: Mapping[str, str], problems: list[Problem]) -> str | None:
    raw = _required(values, "ssn", problems)
    if not raw:
        return None
    if _SSN_DASHED.fullmatch(raw):
        return raw
    if _SSN_DIGITS.fullmatch(raw):
        return f"{raw[:3]}-{raw[3:5]}-{raw[5:]}"
    # The value is personal data: say what is expected, never echo it into logs.
    problems.append(("ssn", "is not an SSN: expected NNN-NN-NNNN or 9 digits (value not shown)"))
    return None


def _timestamp(values: Mapping[str, str], problems: list[Problem]) -> int | None:
    column = "timestamp"
    raw = _required(values, column, problems)
    if not raw:
        return None
    if _INTEGER.fullmatch(raw):
        seconds = int(raw)
    else:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            problems.append(
                (column, f"{raw!r} is not a timestamp (expected epoch seconds or an ISO-8601 date-time with a timezone)")
            )
            return None
        if moment.tzinfo is None:
            problems.append((column, f"{raw!r} has no timezone (add Z or an offset such as +00:00)"))
            return None
        seconds = int(moment.timestamp() // 1)
    if seconds < 0:
        problems.append((column, f"{raw!r} is before 1970-01-01"))
        return None
    if seconds > _MAX_EPOCH:
        problems.append((column, f"{raw!r} is after the year 9999"))
        return None
    return seconds


def parse_person(values: Mapping[str, str]) -> tuple[Person | None, list[Problem]]:
    problems: list[Problem] = []
    person_id = _required(values, "person_id", problems)
    first_name = _required(values, "first_name", problems)
    last_name = _required(values, "last_name", problems)
    born = _date_of_birth(values, problems)
    ssn = _ssn(values, problems)
    if problems:
        return None, problems
    return Person(person_id, first_name, last_name, born, ssn), problems  # type: ignore[arg-type]


def parse_account(values: Mapping[str, str]) -> tuple[Account | None, list[Problem]]:
    problems: list[Problem] = []
    account_id = _required(values, "account_id", problems)
    owner = _required(values, "owner_person_id", problems)
    kind = _enum(values, "account_type", AccountType, problems)
    balance = _decimal(values, "balance", problems, positive=False)
    status = _enum(values, "account_status", AccountStatus, problems)
    if problems:
        return None, problems
    return Account(account_id, owner, kind, balance, status), problems  # type: ignore[arg-type]


def parse_residence(values: Mapping[str, str]) -> tuple[tuple[Address, Residence] | None, list[Problem]]:
    problems: list[Problem] = []
    address_id = _required(values, "address_id", problems)
    person_id = _required(values, "person_id", problems)
    street = _required(values, "street", problems)
    city = _required(values, "city", problems)
    state = _required(values, "state", problems)
    zip_code = _required(values, "zip_code", problems)  # text: leading zeros are kept
    if problems:
        return None, problems
    return (Address(address_id, street, city, state, zip_code), Residence(person_id, address_id)), problems


def parse_phone_link(values: Mapping[str, str]) -> tuple[tuple[Phone, PhoneLink] | None, list[Problem]]:
    problems: list[Problem] = []
    phone_id = _required(values, "phone_id", problems)
    person_id = _required(values, "person_id", problems)
    number = _required(values, "phone_number", problems)
    phone_type = _enum(values, "phone_type", PhoneType, problems) if "phone_type" in values else PhoneType.MOBILE
    if problems:
        return None, problems
    return (Phone(phone_id, number, phone_type), PhoneLink(person_id, phone_id)), problems


def parse_transaction(values: Mapping[str, str]) -> tuple[Transaction | None, list[Problem]]:
    problems: list[Problem] = []
    transaction_id = _required(values, "transaction_id", problems)
    source = _required(values, "from_account_id", problems)
    target = _required(values, "to_account_id", problems)
    amount = _decimal(values, "amount", problems, positive=True)
    timestamp = _timestamp(values, problems)
    if source and source == target:
        problems.append(("to_account_id", f"{target!r} is the same account as from_account_id"))
    if problems:
        return None, problems
    return Transaction(transaction_id, source, target, amount, timestamp), problems  # type: ignore[arg-type]


PARSERS: dict[str, Callable[[Mapping[str, str]], tuple[Any, list[Problem]]]] = {
    PERSONS_FILE: parse_person,
    ACCOUNTS_FILE: parse_account,
    ADDRESSES_FILE: parse_residence,
    PHONES_FILE: parse_phone_link,
    TRANSACTIONS_FILE: parse_transaction,
}


# ---------------------------------------------------------------- pass 1: validation


def _stamp(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


@dataclass
class BankCheck:
    """What pass 1 found in a directory of seed files."""

    data_dir: Path
    present: tuple[SeedFile, ...] = ()
    #: problems with whole files or the directory: nothing can be loaded
    fatal: list[RowError] = field(default_factory=list)
    #: problems with single rows, in file order then row order
    errors: list[RowError] = field(default_factory=list)
    #: per file name, the line numbers of the rows that must not be loaded
    rejected: dict[str, set[int]] = field(default_factory=dict)
    #: ids linked to from some row but found in no file: the store must have them
    unresolved: dict[VertexLabel, set[str]] = field(default_factory=dict)
    #: per file name, data rows read
    rows: dict[str, int] = field(default_factory=dict)
    #: per file name, (size, mtime) when it was checked, to notice a file changing under a load
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def all_errors(self) -> list[RowError]:
        return self.fatal + self.errors


class _Keys:
    """The business keys of one file: where each was first seen, and which were rejected.

    A key whose first row was rejected is rejected; a later row with the same key is a
    duplicate (rejected itself) and does not change that.
    """

    __slots__ = ("first", "rejected", "file", "label")

    def __init__(self, file: str, label: VertexLabel) -> None:
        self.file = file
        self.label = label
        self.first: dict[str, int] = {}
        self.rejected: set[str] = set()


class _Checker:
    def __init__(
        self,
        data_dir: Path,
        missing: Mapping[VertexLabel, AbstractSet[str]] | None,
        progress: bool,
        batch_size: int,
    ) -> None:
        self.check = BankCheck(data_dir)
        self.missing = missing
        self.progress = progress
        self.batch_size = max(1, batch_size)
        self.keys = {spec.label: _Keys(spec.name, spec.label) for spec in SEED_FILES}
        # per shared label (address, phone): id -> (first row with a full description, it)
        self.described: dict[VertexLabel, dict[str, tuple[int, tuple[str, ...]]]] = {}
        # per shared label: (shared id, person id) -> first row linking them
        self.pairs: dict[VertexLabel, dict[tuple[str, str], int]] = {}

    # -- links -------------------------------------------------------------------------

    def _link(self, column: str, value: str, target: VertexLabel, problems: list[Problem]) -> None:
        """Check that ``value`` names a row that is loaded now or already stored."""
        if not value:
            return
        keys = self.keys[target]
        line = keys.first.get(value)
        if line is not None:
            if value in keys.rejected:
                problems.append(
                    (column, f"{target.value} {value!r} is itself rejected ({keys.file}, row {line}), so this row is too")
                )
            return
        if self.missing is not None and value in self.missing.get(target, ()):
            problems.append((column, f"unknown {target.key} {value!r}: not in {keys.file} and not in the store"))
            return
        self.check.unresolved.setdefault(target, set()).add(value)

    def _key(self, keys: _Keys, value: str, line: int, problems: list[Problem]) -> bool:
        """Record a business key; a repeat is a problem. True if this is its first row."""
        if not value:
            return False
        first = keys.first.get(value)
        if first is not None:
            problems.append((keys.label.key, f"duplicate {keys.label.key} {value!r} (first seen on row {first})"))
            return False
        keys.first[value] = line
        return True

    # -- files -------------------------------------------------------------------------

    def run(self) -> BankCheck:
        check = self.check
        data_dir = check.data_dir
        if not data_dir.exists():
            check.fatal.append(RowError(str(data_dir), None, None, "directory not found"))
            return check
        if not data_dir.is_dir():
            check.fatal.append(RowError(str(data_dir), None, None, "is not a directory"))
            return check
        present = tuple(spec for spec in SEED_FILES if (data_dir / spec.name).is_file())
        absent = [spec for spec in SEED_FILES if spec not in present]
        known = {spec.name for spec in SEED_FILES}
        strangers = sorted(p.name for p in data_dir.glob("*.csv") if p.name not in known)
        if not present or (absent and strangers):
            # Files may be left out on purpose (a transactions-only load links to earlier
            # loads), but not when nothing is there or a CSV looks like a misnamed seed file.
            note = f" (the directory has {', '.join(strangers)}, which this loader does not read)" if strangers else ""
            check.fatal.extend(RowError(spec.name, None, None, f"file not found in {data_dir}{note}") for spec in absent)
            return check
        check.present = present
        for spec in present:
            self._file(spec)
        return check

    def _file(self, spec: SeedFile) -> None:
        check = self.check
        path = check.data_dir / spec.name
        check.stamps[spec.name] = _stamp(path)
        rejected = check.rejected.setdefault(spec.name, set())
        row_check = getattr(self, f"_row_{spec.label.value}")
        parse = PARSERS[spec.name]
        rows = 0
        try:
            with CsvRows(path, spec) as reader, progress_bar(path, f"checking {spec.name}", self.progress) as bar:
                done = 0
                for line, values, problems in reader:
                    record, cell_problems = parse(values)
                    problems.extend(cell_problems)
                    row_check(line, values, record, problems)
                    if problems:
                        rejected.add(line)
                        check.errors.extend(RowError(spec.name, line, col, msg) for col, msg in problems)
                    rows += 1
                    if rows % self.batch_size == 0:
                        done = advance_bar(bar, reader.position, done)
                advance_bar(bar, reader.position, done)
        except SeedFileUnreadable as exc:
            check.fatal.append(exc.error)
        check.rows[spec.name] = rows

    def _reject_key(self, keys: _Keys, value: str, first: bool, problems: list[Problem]) -> None:
        if first and problems:
            keys.rejected.add(value)

    def _row_person(self, line: int, values: Mapping[str, str], record: Any, problems: list[Problem]) -> None:
        keys = self.keys[VertexLabel.PERSON]
        person_id = values.get("person_id", "")
        first = self._key(keys, person_id, line, problems)
        self._reject_key(keys, person_id, first, problems)

    def _row_account(self, line: int, values: Mapping[str, str], record: Any, problems: list[Problem]) -> None:
        keys = self.keys[VertexLabel.ACCOUNT]
        account_id = values.get("account_id", "")
        first = self._key(keys, account_id, line, problems)
        self._link("owner_person_id", values.get("owner_person_id", ""), VertexLabel.PERSON, problems)
        self._reject_key(keys, account_id, first, problems)

    def _row_transaction(self, line: int, values: Mapping[str, str], record: Any, problems: list[Problem]) -> None:
        keys = self.keys[VertexLabel.TRANSACTION]
        self._key(keys, values.get("transaction_id", ""), line, problems)
        source = values.get("from_account_id", "")
        target = values.get("to_account_id", "")
        self._link("from_account_id", source, VertexLabel.ACCOUNT, problems)
        if target != source:
            self._link("to_account_id", target, VertexLabel.ACCOUNT, problems)

    def _row_address(self, line: int, values: Mapping[str, str], record: Any, problems: list[Problem]) -> None:
        self._shared_row(line, values, record, problems, "address_id", ("street", "city", "state", "zip_code"))

    def _row_phone(self, line: int, values: Mapping[str, str], record: Any, problems: list[Problem]) -> None:
        fields = ("phone_number", "phone_type") if "phone_type" in values else ("phone_number",)
        self._shared_row(line, values, record, problems, "phone_id", fields)

    def _shared_row(
        self,
        line: int,
        values: Mapping[str, str],
        record: Any,
        problems: list[Problem],
        id_column: str,
        fields: tuple[str, ...],
    ) -> None:
        """A row of a link file: the shared vertex (address, phone) plus one person's link to it.

        The same id on several rows must describe the same vertex; one person is linked to
        it once. The first row with a complete description is the reference for the others.
        """
        label = VertexLabel.ADDRESS if id_column == "address_id" else VertexLabel.PHONE
        keys = self.keys[label]
        shared_id = values.get(id_column, "")
        person_id = values.get("person_id", "")
        self._link("person_id", person_id, VertexLabel.PERSON, problems)
        if not shared_id:
            return
        described = tuple(self._compare_form(f, values.get(f, "")) for f in fields)
        if all(described):
            state = self.described.setdefault(label, {})
            seen = state.get(shared_id)
            if seen is None:
                state[shared_id] = (line, described)
            else:
                first_line, first_described = seen
                for column, mine, theirs, raw_mine in zip(
                    fields, described, first_described, (values.get(f, "") for f in fields)
                ):
                    if mine != theirs:
                        problems.append(
                            (
                                column,
                                f"{id_column} {shared_id!r} has {column} {raw_mine!r} here but {theirs!r}"
                                f" on row {first_line}",
                            )
                        )
        if person_id:
            pairs = self.pairs.setdefault(label, {})
            pair = (shared_id, person_id)
            first = pairs.get(pair)
            if first is not None:
                problems.append(
                    (id_column, f"duplicate link of person_id {person_id!r} to {id_column} {shared_id!r}"
                     f" (first seen on row {first})")
                )
            else:
                pairs[pair] = line
        keys.first.setdefault(shared_id, line)

    @staticmethod
    def _compare_form(column: str, value: str) -> str:
        if column == "phone_type" and value:
            try:
                return parse_enum(PhoneType, value).value
            except ValueError:
                return ""
        return value


def validate_bank(
    data_dir: Path,
    *,
    missing: Mapping[VertexLabel, AbstractSet[str]] | None = None,
    progress: bool = False,
    batch_size: int = 5000,
) -> BankCheck:
    """Pass 1: read every seed file in ``data_dir`` once and report every problem.

    Links to ids in none of the files are accepted provisionally and collected in
    ``unresolved``; pass ``missing`` (per label, those of them the store does not have) to
    validate again with them rejected, along with every row that depends on a rejected row.
    """
    return _Checker(Path(data_dir), missing, progress, batch_size).run()


# ---------------------------------------------------------------- pass 2: records


class FileChanged(Exception):
    """A seed file changed between validating and loading it."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


class SeedReader:
    """Pass 2: the records of one seed file's accepted rows, streamed.

    Yields ``(line, record)``; for the addresses and phones files the record is the pair
    (shared vertex, link). ``position`` is the bytes read so far, for progress bars.
    """

    def __init__(self, check: BankCheck, spec: SeedFile) -> None:
        self.spec = spec
        self.path = check.data_dir / spec.name
        self._stamp = check.stamps.get(spec.name)
        self._skip = check.rejected.get(spec.name, set())
        self._changed_check()
        try:
            self._rows = CsvRows(self.path, spec)
        except SeedFileUnreadable:
            raise FileChanged(RowError(spec.name, None, None, "the file changed while it was being loaded")) from None

    def _changed_check(self) -> None:
        try:
            now = _stamp(self.path)
        except OSError:
            now = None
        if now != self._stamp:
            raise FileChanged(RowError(self.spec.name, None, None, "the file changed while it was being loaded"))

    @property
    def position(self) -> int:
        return self._rows.position

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        parse = PARSERS[self.spec.name]
        skip = self._skip
        for line, values, problems in self._rows:
            if line in skip:
                continue
            record, cell_problems = parse(values)
            if problems or cell_problems or record is None:
                raise FileChanged(
                    RowError(self.spec.name, line, None, "the file changed while it was being loaded")
                )
            yield line, record
        self._changed_check()

    def close(self) -> None:
        self._rows.close()

    def __enter__(self) -> SeedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- progress


def progress_bar(path: Path, description: str, enabled: bool) -> tqdm:
    try:
        total = path.stat().st_size
    except OSError:
        total = None
    return tqdm(
        total=total,
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not enabled,
        leave=False,
    )


def advance_bar(bar: tqdm, position: int, done: int) -> int:
    if position > done:
        bar.update(position - done)
        return position
    return done

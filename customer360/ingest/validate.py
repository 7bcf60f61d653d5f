"""Pass 1 of a load: read every seed file once, parse every row, and collect every problem.

Each problem is a :class:`~customer360.ingest.seed_files.RowError` naming the file, the line
as an editor shows it (header = row 1), the column and the reason. Links to ids that are in
none of the files are collected in ``unresolved`` so the loader can ask the store about them
in a few batched calls; it then validates again with the ids the store lacks (``missing``) so
that rows depending on them are rejected too. Only business keys are kept in memory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customer360.graphstore.plan import VertexLabel
from customer360.ingest.cells import PARSERS
from customer360.ingest.csv_rows import CsvRows, file_stamp
from customer360.ingest.progress import advance_bar, progress_bar
from customer360.ingest.seed_files import (
    MAX_LISTED_PROBLEMS,
    SEED_FILES,
    LineSet,
    Problem,
    RowError,
    SeedFile,
    SeedFileUnreadable,
)
from customer360.model import PhoneType, parse_enum


@dataclass
class BankCheck:
    """What pass 1 found in a directory of seed files."""

    data_dir: Path
    present: tuple[SeedFile, ...] = ()
    #: problems with whole files or the directory: nothing can be loaded
    fatal: list[RowError] = field(default_factory=list)
    #: problems with single rows, in file order then row order: the first
    #: MAX_LISTED_PROBLEMS only, so that a file of bad rows cannot fill the memory
    errors: list[RowError] = field(default_factory=list)
    #: every problem with single rows, listed or not
    problem_count: int = 0
    #: per file name, the line numbers of the rows that must not be loaded
    rejected: dict[str, LineSet] = field(default_factory=dict)
    #: ids linked to from some row but found in no file: the store must have them
    unresolved: dict[VertexLabel, set[str]] = field(default_factory=dict)
    #: per file name, data rows read
    rows: dict[str, int] = field(default_factory=dict)
    #: per file name, (size, mtime) when it was checked, to notice a file changing under a load
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def all_errors(self) -> list[RowError]:
        """Whole-file problems, then the listed row problems."""
        return self.fatal + self.errors

    @property
    def total_problems(self) -> int:
        return len(self.fatal) + self.problem_count

    @property
    def rejected_rows(self) -> int:
        return sum(len(lines) for lines in self.rejected.values())

    def add_problems(self, file: str, line: int, problems: list[Problem]) -> None:
        """Count every problem of a row; list them while fewer than the cap are listed."""
        self.rejected.setdefault(file, LineSet()).add(line)
        self.problem_count += len(problems)
        room = MAX_LISTED_PROBLEMS - len(self.errors)
        if room > 0:
            self.errors.extend(RowError(file, line, column, message) for column, message in problems[:room])


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
                    (column, f"the {target.value} it links to is itself rejected ({keys.file}, row {line}), "
                     "so this row is too")
                )
            return
        if self.missing is not None and value in self.missing.get(target, ()):
            problems.append((column, f"unknown {target.key}: not in {keys.file} and not in the store"))
            return
        self.check.unresolved.setdefault(target, set()).add(value)

    def _key(self, keys: _Keys, value: str, line: int, problems: list[Problem]) -> bool:
        """Record a business key; a repeat is a problem. True if this is its first row."""
        if not value:
            return False
        first = keys.first.get(value)
        if first is not None:
            problems.append((keys.label.key, f"duplicate {keys.label.key} (first seen on row {first})"))
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
        # Anything under a seed file's name is that file (a symbolic link, a device, a folder):
        # opening it says what is wrong with it, rather than it passing for a missing file.
        present = tuple(spec for spec in SEED_FILES if os.path.lexists(data_dir / spec.name))
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
        check.stamps[spec.name] = file_stamp(path)
        check.rejected.setdefault(spec.name, LineSet())
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
                        check.add_problems(spec.name, line, problems)
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
                for column, mine, theirs in zip(fields, described, first_described):
                    if mine != theirs:
                        problems.append(
                            (column, f"the same {id_column} has a different {column} on row {first_line}")
                        )
        if person_id:
            pairs = self.pairs.setdefault(label, {})
            pair = (shared_id, person_id)
            first = pairs.get(pair)
            if first is not None:
                problems.append(
                    (id_column, f"duplicate link of the same person_id to the same {id_column}"
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

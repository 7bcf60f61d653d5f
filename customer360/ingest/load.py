"""Loading a directory of seed CSV files into any :class:`GraphStore`: all or nothing.

A load runs in two streaming passes over the files (:mod:`.validate`, then :mod:`.accepted_rows`):

1. Validate every file, collecting every problem and the ids that rows link to but no file
   holds. Ask the store about those ids, once per label in batches of at most
   :data:`STORE_LOOKUP_BATCH` keys. If the store lacks some, validate again so that the rows
   linking to them, and every row depending on those rows, are rejected too.
2. Inside ONE ``store.bulk_writer()`` block, stream the accepted rows to the writer in
   batches, in dependency order: persons, accounts, addresses, phones, residences, phone
   links, transactions. The writer keeps its work only if the block ends without an
   exception, so a failure midway (disk full, backend down) leaves the store as it was.

By default a load with any problem is refused whole (:class:`LoadRejected`) and nothing is
written. With ``skip_invalid=True`` the valid rows are loaded and every problem is reported
in :attr:`LoadReport.skipped`. Problems with a whole file or the directory (not found,
missing columns, broken CSV) refuse the load in both modes: there are no rows to skip.

Loading the same files twice changes nothing: the writer upserts by business key and the
loader never makes up ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from customer360.graphstore.plan import VertexLabel
from customer360.graphstore.protocol import BulkWriter, GraphStore
from customer360.ingest.accepted_rows import FileChanged, SeedReader
from customer360.ingest.progress import advance_bar, progress_bar
from customer360.ingest.seed_files import (
    ACCOUNTS,
    ADDRESSES,
    MAX_LISTED_PROBLEMS,
    PERSONS,
    PHONES,
    SEED_FILES,
    TRANSACTIONS,
    RowError,
    SeedFile,
)
from customer360.ingest.validate import BankCheck, validate_bank

__all__ = ["LoadRejected", "LoadReport", "RowError", "STORE_LOOKUP_BATCH", "load_bank"]

log = logging.getLogger(__name__)

#: At most this many keys per ``store.existing_keys`` call.
STORE_LOOKUP_BATCH = 5000
#: How many problems a load lists; the rest are counted (``validate`` keeps no more).
SHOWN_ERRORS = MAX_LISTED_PROBLEMS


class LoadRejected(Exception):
    """The load was refused and nothing was written; ``errors`` lists the first problems
    found (at most :data:`SHOWN_ERRORS`), ``total`` counts them all."""

    def __init__(self, errors: Sequence[RowError], total: int | None = None) -> None:
        self.errors = list(errors)
        self.total = max(total if total is not None else 0, len(self.errors))
        super().__init__(self._render())

    def _render(self) -> str:
        total = self.total
        noun = "problem" if total == 1 else "problems"
        lines = [f"load refused, nothing was written: {total:,} {noun} in the input"]
        lines.extend(f"  {error}" for error in self.errors[:SHOWN_ERRORS])
        if total > min(len(self.errors), SHOWN_ERRORS):
            lines.append(f"  ... and {total - min(len(self.errors), SHOWN_ERRORS):,} more ({total:,} in all)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What a load wrote (records per kind, upserts included), what it skipped, how long it took."""

    persons: int = 0
    accounts: int = 0
    addresses: int = 0
    residences: int = 0
    phones: int = 0
    phone_links: int = 0
    transactions: int = 0
    skipped: tuple[RowError, ...] = ()  # the first problems of the skipped rows (a capped list)
    seconds: float = 0.0
    skipped_rows: int = 0  # every row skipped
    skipped_problems: int = 0  # every problem of those rows, listed in ``skipped`` or not

    @property
    def written(self) -> int:
        return (
            self.persons
            + self.accounts
            + self.addresses
            + self.residences
            + self.phones
            + self.phone_links
            + self.transactions
        )

    def __str__(self) -> str:
        counts = ", ".join(
            f"{n:,} {kind}"
            for kind, n in (
                ("persons", self.persons),
                ("accounts", self.accounts),
                ("addresses", self.addresses),
                ("residences", self.residences),
                ("phones", self.phones),
                ("phone links", self.phone_links),
                ("transactions", self.transactions),
            )
        )
        text = f"loaded {counts} in {self.seconds:.1f}s"
        if self.skipped or self.skipped_rows:
            rows = max(self.skipped_rows, len({(e.file, e.row) for e in self.skipped}))
            problems = max(self.skipped_problems, len(self.skipped))
            text += f"; skipped {rows:,} invalid rows ({problems:,} problems)"
        return text

    @property
    def unlisted_problems(self) -> int:
        """Problems of skipped rows that ``skipped`` does not list."""
        return max(0, self.skipped_problems - len(self.skipped))


def _missing_in_store(store: GraphStore, unresolved: dict[VertexLabel, set[str]]) -> dict[VertexLabel, set[str]]:
    """Of the ids no file holds, those the store lacks too: batched calls, never one per row."""
    missing: dict[VertexLabel, set[str]] = {}
    for label, ids in unresolved.items():
        ordered = sorted(ids)
        found: set[str] = set()
        for start in range(0, len(ordered), STORE_LOOKUP_BATCH):
            found |= store.existing_keys(label, ordered[start : start + STORE_LOOKUP_BATCH])
        absent = ids - found
        if absent:
            missing[label] = absent
    return missing


def _validate(data_dir: Path, store: GraphStore, progress: bool, batch_size: int) -> BankCheck:
    check = validate_bank(data_dir, progress=progress, batch_size=batch_size)
    if check.fatal:
        return check
    missing = _missing_in_store(store, check.unresolved)
    if missing:
        # Some links point nowhere: validate again with those ids known to be missing, so
        # the rows using them and every row depending on those rows are rejected in order.
        check = validate_bank(data_dir, missing=missing, progress=progress, batch_size=batch_size)
    return check


# One stream of pass 2: (kind counted in the report, file, record -> what to write or None,
# writer method name).
_Stream = tuple[str, SeedFile, Callable[[Any], Any], str]


def _streams() -> tuple[_Stream, ...]:
    """The seven writer calls in dependency order; a shared address or phone is written once."""

    def once(seen: set[str], key: Callable[[Any], str]) -> Callable[[Any], Any]:
        def pick(record: Any) -> Any:
            shared = record[0]
            if key(shared) in seen:
                return None
            seen.add(key(shared))
            return shared

        return pick

    return (
        ("persons", PERSONS, lambda r: r, "put_persons"),
        ("accounts", ACCOUNTS, lambda r: r, "put_accounts"),
        ("addresses", ADDRESSES, once(set(), lambda a: a.address_id), "put_addresses"),
        ("phones", PHONES, once(set(), lambda p: p.phone_id), "put_phones"),
        ("residences", ADDRESSES, lambda r: r[1], "put_residences"),
        ("phone_links", PHONES, lambda r: r[1], "put_phone_links"),
        ("transactions", TRANSACTIONS, lambda r: r, "put_transactions"),
    )


def _write_stream(
    writer: BulkWriter, check: BankCheck, stream: _Stream, batch_size: int, progress: bool
) -> int:
    kind, spec, pick, method = stream
    put: Callable[[Sequence[Any]], None] = getattr(writer, method)
    written = 0
    batch: list[Any] = []
    with SeedReader(check, spec) as reader, progress_bar(reader.path, f"loading {kind}", progress) as bar:
        done = 0
        for _line, record in reader:
            item = pick(record)
            if item is None:
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                put(batch)
                written += len(batch)
                batch = []
                done = advance_bar(bar, reader.position, done)
        if batch:
            put(batch)
            written += len(batch)
        advance_bar(bar, reader.position, done)
    return written


def _write(store: GraphStore, check: BankCheck, batch_size: int, progress: bool) -> dict[str, int]:
    counts = {kind: 0 for kind, *_ in _streams()}
    present = set(check.present)
    try:
        with store.bulk_writer() as writer:
            for stream in _streams():
                if stream[1] in present:
                    counts[stream[0]] = _write_stream(writer, check, stream, batch_size, progress)
    except FileChanged as exc:
        # The block ended with this exception, so the writer kept nothing.
        raise LoadRejected([exc.error]) from None
    return counts


def load_bank(
    data_dir: Path,
    store: GraphStore,
    *,
    skip_invalid: bool = False,
    progress: bool = True,
    batch_size: int = 5000,
) -> LoadReport:
    """Load the seed CSV files in ``data_dir`` into ``store``.

    Any of the five files may be left out (a transactions-only load may link to accounts
    loaded earlier); links must resolve to rows in the files or already in the store.
    Raises :class:`LoadRejected` (nothing written) if the input has any problem, or, with
    ``skip_invalid``, only if a whole file is unusable; otherwise returns a :class:`LoadReport`
    listing every skipped problem. Any other exception from the store also leaves the
    store unchanged.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    data_dir = Path(data_dir)
    check = _validate(data_dir, store, progress, batch_size)
    if check.fatal or (check.problem_count and not skip_invalid):
        raise LoadRejected(check.all_errors, check.total_problems)
    absent = [spec.name for spec in SEED_FILES if spec not in check.present]
    if absent:
        log.info("loading %s without %s", data_dir, ", ".join(absent))
    counts = _write(store, check, batch_size, progress)
    report = LoadReport(
        **counts, skipped=tuple(check.errors), seconds=time.perf_counter() - started,
        skipped_rows=check.rejected_rows, skipped_problems=check.problem_count,
    )
    log.info("%s", report)
    return report


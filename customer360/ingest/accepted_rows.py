"""Pass 2 of a load: the records of the rows pass 1 accepted, streamed, file by file.

A file that changed since pass 1 (size, time, or a row that no longer parses) stops the load
with :class:`FileChanged` rather than writing rows nobody validated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from customer360.ingest.cells import PARSERS
from customer360.ingest.csv_rows import CsvRows, file_stamp
from customer360.ingest.seed_files import RowError, SeedFile, SeedFileUnreadable
from customer360.ingest.validate import BankCheck


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
            now = file_stamp(self.path)
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

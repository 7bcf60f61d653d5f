"""Reading a seed file as rows of named, stripped values, with the line each row starts on.

Everything here streams: a file is never held in memory.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

from customer360.ingest.seed_files import (
    Problem,
    RowError,
    SeedFile,
    SeedFileUnreadable,
)

_SURROGATE = re.compile("[\udc80-\udcff]")



def file_stamp(path: Path) -> tuple[int, int]:
    """(size, mtime): how a load notices a file changing between its two passes."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


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

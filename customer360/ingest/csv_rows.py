"""Reading a seed file as rows of named, stripped values, with the line each row starts on.

Everything here streams: a file is never held in memory. Only regular files are read, and
no message quotes what a file holds (see :func:`open_regular_file` and the header check).
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from customer360.ingest.seed_files import (
    Problem,
    RowError,
    SeedFile,
    SeedFileUnreadable,
)

_SURROGATE = re.compile("[\udc80-\udcff]")



def file_stamp(path: Path) -> tuple[int, int]:
    """(size, mtime) of the entry itself, a link not followed: how a load notices a file
    changing between its two passes."""
    st = os.lstat(path)
    return st.st_size, st.st_mtime_ns


_KINDS = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
)


def open_regular_file(path: Path, name: str) -> BinaryIO:
    """``path`` opened for reading if it is a regular file, else :class:`SeedFileUnreadable`.

    A seed file must be a regular file in the directory: a symbolic link is refused without
    following it (it could lead to any file the loader may read), and so are devices and
    pipes (``/dev/zero`` never ends, a pipe blocks). The check is made on the opened file
    (``O_NOFOLLOW``, then ``fstat``), so the file cannot be swapped between check and read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise SeedFileUnreadable(RowError(name, None, None, f"file not found in {path.parent}")) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "is a symbolic link; seed files must be regular files (copy the file into the folder)"
        else:
            reason = f"cannot be read: {exc.strerror}"
        raise SeedFileUnreadable(RowError(name, None, None, reason)) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind = next((label for test, label in _KINDS if test(mode)), "not a regular file")
        raise SeedFileUnreadable(RowError(name, None, None, f"is {kind}; seed files must be regular files"))
    if flags & getattr(os, "O_NONBLOCK", 0):
        os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


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
        self._binary = open_regular_file(path, spec.name)
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
            # What the header does hold is not repeated: the file may be no seed file at all.
            required = ", ".join(self.spec.required)
            if len(absent) == len(self.spec.required):
                reason = f"the first row is not a header naming the required columns {required}"
            else:
                plural = "s" if len(absent) > 1 else ""
                reason = f"missing required column{plural} {', '.join(absent)} (the header row must name {required})"
            raise SeedFileUnreadable(RowError(name, line, None, reason))
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

"""Many rows in a few INSERT statements, every value a bound parameter.

``executemany`` gives up Python's GIL once per row, and a thread that gives it up has to win
it back from the event loop's thread, which is busy serving requests: a drained batch of 500
audit events cost 500 such hand-overs, and the event loop felt each one. One INSERT of many
rows (``VALUES (?, ...), (?, ...)``) gives it up once. Statements come in a few fixed sizes
(powers of four), so only a handful of distinct texts reach SQLite's statement cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

#: Rows per statement, largest first: a batch of n rows takes at most 3 statements per size.
#: 256 rows of 20 columns are 5,120 parameters, well under SQLite's 32,766.
STATEMENT_ROWS = (256, 64, 16, 4, 1)


@dataclass(frozen=True, slots=True)
class MultiRowInsert:
    """``{head} VALUES (?, ...) {tail}`` for rows of ``width`` values."""

    head: str
    width: int
    tail: str = ""

    @property
    def one_row_text(self) -> str:
        """The statement for one row: what explain and /metrics show for the write."""
        return _text(self, 1)

    def run(self, db: sqlite3.Connection, rows: Sequence[tuple]) -> int:
        """Insert ``rows`` inside the caller's transaction; the number of rows changed."""
        before = db.total_changes
        done = 0
        for size in STATEMENT_ROWS:
            while len(rows) - done >= size:
                db.execute(_text(self, size), list(chain.from_iterable(rows[done:done + size])))
                done += size
        return db.total_changes - before


@lru_cache(maxsize=64)
def _text(insert: MultiRowInsert, rows: int) -> str:
    one = "(" + ", ".join("?" for _ in range(insert.width)) + ")"
    return f"{insert.head} VALUES {', '.join(one for _ in range(rows))} {insert.tail}".rstrip()

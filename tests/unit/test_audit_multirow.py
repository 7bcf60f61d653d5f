"""Rows written a few statements at a time (audit spool and embedded sink) land exactly as
one INSERT per row would put them: every row once, in order, duplicates ignored where the
statement says so."""

from __future__ import annotations

import sqlite3

import pytest

from customer360.audit.sqlite.multirow import MultiRowInsert

TABLE = "CREATE TABLE t (k INTEGER PRIMARY KEY, label TEXT, amount REAL, note TEXT)"
INSERT = MultiRowInsert("INSERT INTO t (k, label, amount, note)", 4, "ON CONFLICT DO NOTHING")


def rows(count: int, start: int = 0) -> list[tuple]:
    return [(k, f"row {k}", k / 3, None if k % 7 else "it's \"quoted\"; DROP TABLE t") for k in range(start, start + count)]


@pytest.mark.parametrize("count", [0, 1, 3, 4, 21, 255, 256, 257, 599, 1000])
def test_every_row_lands_once_as_one_insert_per_row_would_put_it(count: int):
    batched, one_by_one = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    for db in (batched, one_by_one):
        db.execute(TABLE)
    assert INSERT.run(batched, rows(count)) == count
    one_by_one.executemany(INSERT.one_row_text, rows(count))
    assert batched.execute("SELECT * FROM t ORDER BY k").fetchall() == one_by_one.execute("SELECT * FROM t ORDER BY k").fetchall()


def test_rows_already_there_are_left_alone_and_not_counted():
    db = sqlite3.connect(":memory:")
    db.execute(TABLE)
    INSERT.run(db, rows(100))
    assert INSERT.run(db, rows(300, start=50)) == 250  # 50..99 were there
    assert db.execute("SELECT count(*), min(k), max(k) FROM t").fetchone() == (350, 0, 349)


def test_a_batch_that_fails_part_way_is_undone_with_its_transaction():
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, label TEXT NOT NULL, amount REAL, note TEXT)")
    strict = MultiRowInsert("INSERT INTO t (k, label, amount, note)", 4)
    bad = rows(300)
    bad[280] = (280, None, 0.0, None)  # in the last statements of the batch
    db.execute("BEGIN")
    with pytest.raises(sqlite3.IntegrityError):
        strict.run(db, bad)
    db.rollback()
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)

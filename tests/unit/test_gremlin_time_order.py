"""The time-order key on JanusGraph's transaction edges (``gremlin/schema.py``): string order is
(time, transaction id) order, and every time predicate is the matching range of keys."""

from __future__ import annotations

import random

import pytest
from gremlin_python.process.traversal import P

from customer360.graphstore.gremlin.emit import _TIME_BOUNDS
from customer360.graphstore.gremlin.schema import (
    TIME_ORDER_OFFSET,
    time_bound,
    time_order_key,
)
from customer360.graphstore.plan import Op

SECONDS = [-TIME_ORDER_OFFSET, -86_400, -1, 0, 1, 9, 10, 1_700_000_000, 1_700_000_001, 9 * TIME_ORDER_OFFSET - 1]
IDS = ["T1", "T10", "T2", "TX0000000001", "TX0000000002", "a", "é"]


def test_keys_sort_as_time_then_id_like_sqlite_order_by() -> None:
    rows = [(t, i) for t in SECONDS for i in IDS]
    random.Random(7).shuffle(rows)
    assert sorted(rows, key=lambda row: time_order_key(*row)) == sorted(rows)


@pytest.mark.parametrize("op", [Op.GTE, Op.GT, Op.LTE, Op.LT, Op.EQ])
def test_each_time_predicate_is_the_matching_range_of_keys(op: Op) -> None:
    holds = {Op.GTE: lambda t, x: t >= x, Op.GT: lambda t, x: t > x, Op.LTE: lambda t, x: t <= x,
             Op.LT: lambda t, x: t < x, Op.EQ: lambda t, x: t == x}[op]
    tested = 0
    for x in [*SECONDS, -10 * TIME_ORDER_OFFSET, 20 * TIME_ORDER_OFFSET]:  # bounds beyond the keys' range too
        for t in SECONDS:
            for transaction_id in ("T1", "TX9"):
                key = time_order_key(t, transaction_id)
                in_range = all(_holds(predicate(bound), key) for predicate, bound in _TIME_BOUNDS[op](x))
                assert in_range is holds(t, x), (op, t, x)
                tested += 1
    assert tested > 200


def _holds(predicate: P, key: str) -> bool:
    """What the server does with a ``P`` on a string property."""
    compare = {"gte": key.__ge__, "gt": key.__gt__, "lte": key.__le__, "lt": key.__lt__}[predicate.operator]
    return compare(predicate.value)


def test_a_time_beyond_the_keys_range_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'T7': timestamp"):
        time_order_key(9 * TIME_ORDER_OFFSET, "T7")
    assert time_bound(-50 * TIME_ORDER_OFFSET) <= time_order_key(-TIME_ORDER_OFFSET, "")

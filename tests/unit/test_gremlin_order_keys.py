"""The one-string sort keys of JanusGraph's vertex-centric indexes (``gremlin/schema.py``):
the payment edges' time order is (time, transaction id) order and every time predicate is the
matching range of keys; the directory's name order is (last name, first name, person id)
order; and the planner check tells an index read from a wrong one."""

from __future__ import annotations

import random

import pytest
from gremlin_python.process.traversal import P

from customer360.graphstore.gremlin.emit import _TIME_BOUNDS, uses_index
from customer360.graphstore.gremlin.schema import (
    TIME_ORDER_OFFSET,
    balance_order_key,
    name_order_key,
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


def test_name_keys_sort_as_last_then_first_name_then_id() -> None:
    """Names that share a prefix, differ by a space or case, or are not ASCII (anything but a
    control character, which the loader refuses)."""
    lasts = ["Smith", "Smithson", "Smith ", "smith", "Ångström", "Zoë", "李", "O'Neil", "Smith-Jones"]
    firsts = ["Jo", "John", "John ", "Al"]
    rows = [(last, first, f"P{n}") for n, (last, first) in enumerate((a, b) for a in lasts for b in firsts)]
    rows += [("Smith", "John", "P10"), ("Smith", "John", "P9")]
    random.Random(3).shuffle(rows)
    assert sorted(rows, key=lambda row: name_order_key(*row)) == sorted(rows)


def test_balance_keys_sort_as_balance_then_id() -> None:
    """Signed 64-bit cents, the range of JanusGraph's Long."""
    balances = [-(2**63), -10**17, -1, 0, 1, 99, 100, 10**17, 2**63 - 1]
    rows = [(cents, person_id) for cents in balances for person_id in ("P1", "P10", "P2")]
    random.Random(5).shuffle(rows)
    assert sorted(rows, key=lambda row: balance_order_key(*row)) == sorted(rows)


def _holds(predicate: P, key: str) -> bool:
    """What the server does with a ``P`` on a string property."""
    compare = {"gte": key.__ge__, "gt": key.__gt__, "lte": key.__le__, "lt": key.__lt__}[predicate.operator]
    return compare(predicate.value)


def test_a_time_beyond_the_keys_range_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'T7': timestamp"):
        time_order_key(9 * TIME_ORDER_OFFSET, "T7")
    assert time_bound(-50 * TIME_ORDER_OFFSET) <= time_order_key(-TIME_ORDER_OFFSET, "")


def _profile(vertex_step: dict) -> dict:
    """A profile as JanusGraph Server returns it (GraphSON, trimmed): the account lookup, then
    ``local()`` holding the vertex step."""
    return {"dur": 1.0, "metrics": [
        {"name": "JanusGraphStep([],[kind.eq(account)])", "counts": {"elementCount": 1}, "annotations": {}},
        {"name": "LocalStep([JanusGraphVertexStep(OUT,[SENT],edge)])", "counts": {"elementCount": 4},
         "metrics": [vertex_step]},
    ]}


def test_the_planner_check_tells_an_index_read_from_a_cut_before_sorting() -> None:
    """The two answers a server gave for the same page: through the index (after a restart),
    and from the plain adjacency list cut at 4 before any sort (its schema cache predating the
    index), which would be a wrong page."""
    through_index = {"name": "JanusGraphVertexStep(OUT,[SENT],edge)", "counts": {"elementCount": 4}, "annotations": {
        "orders": "[DESC(time_order)]", "limit": 4, "isFitted": "true", "isOrdered": "true",
        "query": "10261:sent_by_time:SliceQuery[0xB026A0,0xB026A1)@4"}}
    cut_unsorted = {"name": "JanusGraphVertexStep(OUT,[SENT],edge)", "counts": {"elementCount": 3}, "annotations": {
        "orders": "[DESC(time_order)]", "limit": 4, "isFitted": "true", "isOrdered": "false",
        "query": "SENT:SliceQuery[0x72C0,0x72C1)@4"}}
    assert uses_index(_profile(through_index), "sent_by_time")
    assert not uses_index(_profile(through_index), "received_by_time")
    assert not uses_index(_profile(cut_unsorted), "sent_by_time")

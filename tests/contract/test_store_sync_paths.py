"""A store's synchronous paths (loads, the insight cache) answer the same whether or not the
calling thread runs an event loop: an ASGI app factory or an async benchmark calls them from
inside one. (gremlinpython drives a loop of its own, which cannot run inside a running one.)"""

from __future__ import annotations

import asyncio

from customer360.graphstore.insight_cache import DATA_VERSION
from customer360.graphstore.plan import VertexLabel


def _sync_answers(store) -> tuple:
    persons = next(store.iter_person_metrics(5))
    known = persons[0].person_id
    return (
        store.read_state(DATA_VERSION),
        store.bank_totals(),
        store.existing_keys(VertexLabel.PERSON, [known, "NOPE"]),
        persons,
    )


def test_sync_paths_answer_the_same_inside_a_running_loop(store) -> None:
    outside = _sync_answers(store)

    async def inside() -> tuple:
        asyncio.get_running_loop()  # this coroutine's thread runs a loop
        return _sync_answers(store)

    assert asyncio.run(inside()) == outside
    assert outside[0] is not None and outside[1].transactions > 0 and len(outside[2]) == 1

"""Per-request batching: every load of one shape in one tick becomes ONE plan step.

A resolver asks for "this source's page of that traversal"; requests for the same traversal
shape (same path, filters, order and page size) from every parent row are collected by a
DataLoader and sent as a single :class:`~customer360.graphstore.plan.Traverse` with all the
source keys. That is how the number of backend calls follows the query's shape, not its rows.

A DataLoader sends each batch from a task of its own, which cancelling the request does not
reach; the loaders keep those tasks so that a request that times out or whose client has
gone can cancel its backend work too (:meth:`RequestLoaders.cancel_pending`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from strawberry.dataloader import DataLoader

from customer360.graphstore.network_plan import Locate
from customer360.graphstore.plan import (
    Counterparties,
    CounterpartyRow,
    GetVertices,
    MetricsRow,
    Page,
    PersonMetrics,
    PersonSecrets,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.protocol import GraphStore


class RequestLoaders:
    """Lazily created DataLoaders, one per step shape, living for one request."""

    def __init__(self, store: GraphStore, *, batching: bool = True) -> None:
        self._store = store
        # batching=False is the naive one-call-per-row baseline the benchmarks compare with
        self._max_batch_size = None if batching else 1
        self._loaders: dict[Any, DataLoader] = {}
        self._in_flight: set[asyncio.Task[Any]] = set()

    def _loader(self, shape: Any, batch: Callable[[list[str]], Awaitable[list[Any]]]) -> DataLoader:
        loader = self._loaders.get(shape)
        if loader is None:
            loader = DataLoader(load_fn=self._tracked(batch), max_batch_size=self._max_batch_size)
            self._loaders[shape] = loader
        return loader

    def _tracked(self, batch: Callable[[list[str]], Awaitable[list[Any]]]) -> Callable[[list[str]], Awaitable[list[Any]]]:
        """``batch``, remembering the task that runs it while it runs."""

        async def run(keys: list[str]) -> list[Any]:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            try:
                return await batch(keys)
            finally:
                if task is not None:
                    self._in_flight.discard(task)

        return run

    def cancel_pending(self) -> int:
        """Cancel every batch still being fetched (the request is over); how many there were."""
        pending = [task for task in self._in_flight if not task.done()]
        for task in pending:
            task.cancel()
        return len(pending)

    async def load(self, shape: Any, batch, key: str) -> Any:
        """For steps defined elsewhere (e.g. the network steps): ``batch(keys)`` is called
        once per tick with every key asked for under the same ``shape``."""
        return await self._loader(shape, batch).load(key)

    async def vertex(self, label: VertexLabel, key: str) -> Any | None:
        async def batch(keys: list[str]) -> list[Any | None]:
            found = await self._store.get_vertices(GetVertices(label, tuple(keys)))
            return [found.get(k) for k in keys]

        return await self._loader(("vertex", label), batch).load(key)

    async def traverse(self, shape: Traverse, key: str) -> Page:
        """``shape`` is the traversal with no ``source_keys``: every load of the same shape in
        one tick becomes that traversal from all the keys asked for."""

        async def batch(keys: list[str]) -> list[Page]:
            pages = await self._store.traverse(replace(shape, source_keys=tuple(keys)))
            return [pages[k] for k in keys]

        return await self._loader(shape, batch).load(key)

    async def person_metrics(self, key: str) -> MetricsRow | None:
        async def batch(keys: list[str]) -> list[MetricsRow | None]:
            found = await self._store.person_metrics(PersonMetrics(tuple(keys)))
            return [found.get(k) for k in keys]

        return await self._loader("person_metrics", batch).load(key)

    async def locate(self, key: str) -> tuple[VertexLabel, Any] | None:
        """Any vertex by business key, whatever its label: one call for every key of the level."""

        async def batch(keys: list[str]) -> list[tuple[VertexLabel, Any] | None]:
            found = await self._store.locate(Locate(tuple(dict.fromkeys(keys))))
            return [(found[k][0][0].label, found[k][0][1]) if k in found else None for k in keys]

        return await self._loader("locate", batch).load(key)

    async def person_secret(self, key: str) -> str | None:
        """The SSN as stored (encrypted), for the persons whose SSN this level shows in clear."""

        async def batch(keys: list[str]) -> list[str | None]:
            found = await self._store.person_secrets(PersonSecrets(tuple(keys)))
            return [found.get(k) for k in keys]

        return await self._loader("person_secrets", batch).load(key)

    async def counterparties(self, first: int | None, key: str) -> list[CounterpartyRow]:
        async def batch(keys: list[str]) -> list[list[CounterpartyRow]]:
            rows = await self._store.counterparties(Counterparties(tuple(keys), first))
            return [rows[k] for k in keys]

        return await self._loader(("counterparties", first), batch).load(key)

"""A plan step compiled for one backend: what to send, and how to read what comes back.

Each backend's emitter returns a :class:`Compiled` per step, with the decoder for that very
query beside it, so the result's shape travels with the query that produced it. A store is
then its emitters plus one way of sending (:meth:`StepsByEmitters._answer`): every read
method of the protocol is the same "compile with this backend's emitter, send, decode",
written once here for every backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from customer360.graphstore.insight_cache import PORTFOLIO
from customer360.graphstore.network_plan import (
    ExpandEach,
    Expansion,
    Locate,
    ReceiverRow,
    RelatedPersons,
    RelationRow,
    SharedVertices,
    TopReceivers,
    VertexRef,
)
from customer360.graphstore.plan import (
    Counterparties,
    CounterpartyRow,
    FindPersons,
    GetVertices,
    MetricsRow,
    Page,
    PersonMetrics,
    PersonSecrets,
    Traverse,
)
from customer360.graphstore.response_tree import ResponseTree

Query = TypeVar("Query")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class Compiled(Generic[Query, Result]):
    """``query`` is ``None`` when there is nothing to ask (no keys): ``decode([])`` answers."""

    query: Query | None
    decode: Callable[[list[Any]], Result]

    def answer_without_asking(self) -> Result:
        return self.decode([])


class StepEmitter(Protocol[Query]):
    """What a backend's ``emit`` module offers for the plan's steps."""

    def get_vertices(self, step: GetVertices) -> Compiled[Query, dict[str, Any]]: ...
    def traverse(self, step: Traverse) -> Compiled[Query, dict[str, Page]]: ...
    def find_persons(self, step: FindPersons) -> Compiled[Query, Page]: ...
    def counterparties(self, step: Counterparties) -> Compiled[Query, dict[str, list[CounterpartyRow]]]: ...
    def person_metrics(self, step: PersonMetrics) -> Compiled[Query, dict[str, MetricsRow]]: ...
    def person_secrets(self, step: PersonSecrets) -> Compiled[Query, dict[str, str]]: ...
    def snapshot(self, key: str) -> Compiled[Query, dict | None]: ...
    def ping(self) -> Compiled[Query, None]: ...


class NetworkEmitter(Protocol[Query]):
    """What a backend's ``network`` module offers for the network steps."""

    def locate(self, step: Locate) -> Compiled[Query, dict[str, list[tuple[VertexRef, Any]]]]: ...
    def expand(self, step: ExpandEach) -> Compiled[Query, list[Expansion]]: ...
    def related_persons(self, step: RelatedPersons) -> Compiled[Query, dict[str, list[RelationRow]]]: ...
    def shared_vertices(self, step: SharedVertices) -> Compiled[Query, Page]: ...
    def top_receivers(self, step: TopReceivers) -> Compiled[Query, list[ReceiverRow]]: ...


class TreeEmitter(Protocol[Query]):
    """A backend that builds a whole response in one query (:mod:`customer360.graphstore.response_tree`)."""

    def response_tree(self, step: ResponseTree) -> Compiled[Query, dict[str, Any]]: ...


class StepsByEmitters(Generic[Query]):
    """The protocol's read methods for a store made of emitters and one way of sending.
    ``tree_steps`` is None for a backend that cannot build a response in one query."""

    steps: StepEmitter[Query]
    network_steps: NetworkEmitter[Query]
    tree_steps: TreeEmitter[Query] | None = None

    async def _answer(self, compiled: Compiled[Query, Result]) -> Result:
        """Send ``compiled.query`` (unless there is nothing to ask) and decode the answer."""
        raise NotImplementedError

    async def get_vertices(self, step: GetVertices) -> dict[str, Any]:
        return await self._answer(self.steps.get_vertices(step))

    async def traverse(self, step: Traverse) -> dict[str, Page]:
        return await self._answer(self.steps.traverse(step))

    async def find_persons(self, step: FindPersons) -> Page:
        return await self._answer(self.steps.find_persons(step))

    async def counterparties(self, step: Counterparties) -> dict[str, list[CounterpartyRow]]:
        return await self._answer(self.steps.counterparties(step))

    async def person_metrics(self, step: PersonMetrics) -> dict[str, MetricsRow]:
        return await self._answer(self.steps.person_metrics(step))

    async def person_secrets(self, step: PersonSecrets) -> dict[str, str]:
        return await self._answer(self.steps.person_secrets(step))

    async def portfolio(self) -> dict | None:
        return await self._answer(self.steps.snapshot(PORTFOLIO))

    async def locate(self, step: Locate) -> dict[str, list[tuple[VertexRef, Any]]]:
        return await self._answer(self.network_steps.locate(step))

    async def expand(self, step: ExpandEach) -> list[Expansion]:
        return await self._answer(self.network_steps.expand(step))

    async def related_persons(self, step: RelatedPersons) -> dict[str, list[RelationRow]]:
        return await self._answer(self.network_steps.related_persons(step))

    async def shared_vertices(self, step: SharedVertices) -> Page:
        return await self._answer(self.network_steps.shared_vertices(step))

    async def top_receivers(self, step: TopReceivers) -> list[ReceiverRow]:
        return await self._answer(self.network_steps.top_receivers(step))

    @property
    def builds_response_trees(self) -> bool:
        return self.tree_steps is not None

    async def response_tree(self, step: ResponseTree) -> dict[str, Any] | None:
        """The whole response's ``data`` in one query, or None when this backend cannot build it."""
        if self.tree_steps is None:
            return None
        return await self._answer(self.tree_steps.response_tree(step))

    async def ping(self) -> None:
        await self._answer(self.steps.ping())

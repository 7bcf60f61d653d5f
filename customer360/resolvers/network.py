"""Resolver logic for the network fields: neighbourhood, path, related customers, shared
addresses and phones, top counterparties.

Nothing here knows a backend or a Strawberry type. Arguments are checked here (errors name
the field and the argument); each hop or level is ONE plan step from
:mod:`customer360.graphstore.network_plan`, sent through the store's method for that step.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from customer360.graphstore.network_plan import (
    ALL_EDGE_LABELS,
    EVIDENCE_CAP,
    MAX_COUNTERPARTY_SENDERS,
    Expand,
    ExpandEach,
    Expansion,
    Locate,
    NetworkEdge,
    ReceiverRow,
    RelatedPersons,
    Relation,
    RelationRow,
    SharedKind,
    SharedVertices,
    TopReceivers,
    VertexRef,
    vertex_order,
)
from customer360.graphstore.plan import Direction, EdgeLabel, VertexLabel
from customer360.model import from_cents
from customer360.resolvers.context import RequestContext
from customer360.resolvers.errors import NotFound, UserError
from customer360.resolvers.paging import (
    ConnectionData,
    PageArgs,
    connection_data,
    page_request,
)

MAX_NEIGHBORHOOD_DEPTH = 4
MAX_NEIGHBORHOOD_LIMIT = 1000
MAX_PATH_DEPTH = 8
MAX_PATH_FRONTIER = 5000
"""A path search stops (``truncated: true``) when one hop from either end reaches more than
this many new vertices, as happens through hub accounts."""
MAX_PATHS = 10
"""At most this many shortest paths are listed; ``pathCount`` tells how many there are."""


def _between(field: str, argument: str, value: int, low: int, high: int) -> None:
    if value < low or value > high:
        raise UserError(f"{field}: argument '{argument}' must be between {low} and {high}, got {value}")


# ------------------------------------------------------------------ neighbourhood


@dataclass(frozen=True, slots=True)
class NeighborNode:
    ref: VertexRef
    level: int  # hops from the start
    record: Any


@dataclass(frozen=True, slots=True)
class NeighborhoodData:
    nodes: list[NeighborNode]  # by level, then label, then key
    edges: list[NetworkEdge]  # every edge between two of the nodes
    truncated: bool  # the limit cut nodes that were within depth


def _edge_labels(field: str, labels: list[EdgeLabel] | None) -> tuple[EdgeLabel, ...]:
    if labels is None:
        return ALL_EDGE_LABELS
    if not labels:
        raise UserError(f"{field}: argument 'edgeLabels' must name at least one edge label (or be left out for all)")
    return tuple(dict.fromkeys(labels))


async def neighborhood(
    ctx: RequestContext, key: str, depth: int, edge_labels: list[EdgeLabel] | None, limit: int
) -> NeighborhoodData:
    """Breadth-first from ``key`` in both directions, ONE :class:`Expand` call per hop (plus
    one call to find the start): at most ``depth + 1`` calls, whatever the rows."""
    field = "neighborhood"
    _between(field, "depth", depth, 0, MAX_NEIGHBORHOOD_DEPTH)
    _between(field, "limit", limit, 1, MAX_NEIGHBORHOOD_LIMIT)
    labels = _edge_labels(field, edge_labels)
    found = await ctx.store.locate(Locate((key,)))
    if key not in found:
        raise NotFound(f"{field}: argument 'id': no vertex has id {key!r}")
    start, record = found[key][0]
    nodes = [NeighborNode(start, 0, record)]
    edges: list[NetworkEdge] = []
    previous: tuple[VertexRef, ...] = ()
    frontier: tuple[VertexRef, ...] = (start,)
    truncated = False
    for level in range(1, depth + 1):
        if not frontier:
            break
        remaining = limit - len(nodes)
        # BFS on this graph only ever finds new vertices one level out, or the previous
        # level again (every edge joins {person, transaction} to {account, address, phone}),
        # so excluding the previous level (the frontier is always excluded) is enough.
        [expansion] = await ctx.store.expand(ExpandEach((Expand(frontier, labels, remaining, previous),)))
        nodes += [NeighborNode(ref, level, expansion.records[ref]) for ref in expansion.new]
        edges += expansion.edges
        if expansion.cut:
            truncated = True
            break
        previous, frontier = frontier, tuple(expansion.new)
    return NeighborhoodData(nodes, edges, truncated)


# ------------------------------------------------------------------ path


@dataclass(frozen=True, slots=True)
class PathStepData:
    ref: VertexRef
    edge: EdgeLabel | None = None  # the edge that led here (None for the first vertex)
    direction: Direction | None = None  # OUT: followed as stored (previous -edge-> this)


@dataclass(frozen=True, slots=True)
class PathData:
    found: bool
    length: int | None  # edges on each shortest path
    paths: list[list[PathStepData]]  # at most MAX_PATHS, in a stable order
    path_count: int  # how many shortest paths there are
    truncated: bool  # the search stopped at a hub: a path may exist that was not seen


@dataclass
class _Side:
    """One end of the bidirectional search."""

    start: VertexRef
    depth: int = 0
    dist: dict[VertexRef, int] = field(default_factory=dict)
    parents: dict[VertexRef, list[tuple[VertexRef, NetworkEdge]]] = field(default_factory=dict)
    previous: tuple[VertexRef, ...] = ()
    frontier: tuple[VertexRef, ...] = ()
    counts: dict[VertexRef, int] = field(default_factory=dict)  # shortest paths from start

    def __post_init__(self) -> None:
        self.dist[self.start] = 0
        self.counts[self.start] = 1
        self.frontier = (self.start,)

    def absorb(self, expansion: Expansion) -> None:
        self.depth += 1
        new = set(expansion.new)
        for edge in expansion.edges:
            near, far = (edge.target, edge.source) if edge.target in new else (edge.source, edge.target)
            self.parents.setdefault(near, []).append((far, edge))
        for ref in expansion.new:
            self.dist[ref] = self.depth
            self.parents[ref].sort(key=lambda pe: (vertex_order(pe[0]), pe[1].label.value))
            self.counts[ref] = sum(self.counts[parent] for parent, _ in self.parents[ref])
        self.previous, self.frontier = self.frontier, tuple(expansion.new)

    def walks_to(self, ref: VertexRef) -> Iterator[list[tuple[VertexRef, NetworkEdge | None]]]:
        """Every shortest walk start -> ref, as (vertex, edge that led to it) pairs."""
        if ref == self.start:
            yield [(ref, None)]
            return
        for parent, edge in self.parents[ref]:
            for walk in self.walks_to(parent):
                yield walk + [(ref, edge)]


def _step(ref: VertexRef, edge: NetworkEdge | None, came_from: VertexRef | None) -> PathStepData:
    if edge is None or came_from is None:
        return PathStepData(ref)
    direction = Direction.OUT if edge.source == came_from and edge.target == ref else Direction.IN
    return PathStepData(ref, edge.label, direction)


def _paths(forward: _Side, backward: _Side, meeting: list[VertexRef]) -> Iterator[list[PathStepData]]:
    for middle in meeting:
        for head in forward.walks_to(middle):
            for tail in backward.walks_to(middle):
                # head: from -> middle; tail: to -> middle, walked back from middle to to
                steps = [_step(ref, edge, head[i - 1][0] if i else None) for i, (ref, edge) in enumerate(head)]
                for i in range(len(tail) - 1, 0, -1):
                    here, edge = tail[i]
                    there = tail[i - 1][0]
                    steps.append(_step(there, edge, here))
                yield steps


async def path(ctx: RequestContext, from_key: str, to_key: str, max_depth: int) -> PathData:
    """Shortest paths between two persons over every edge label, searched from both ends.

    Each round is ONE :class:`ExpandEach` call that expands both ends by one hop (only the
    smaller end when a single hop of depth is left), so the search costs at most
    ``1 + ceil(maxDepth / 2)`` calls (the first one fetches both persons).
    """
    field = "path"
    _between(field, "maxDepth", max_depth, 1, MAX_PATH_DEPTH)
    persons = await _call_persons(ctx, (from_key, to_key))
    for argument, key in (("from", from_key), ("to", to_key)):
        if key not in persons:
            raise NotFound(f"{field}: argument '{argument}': no person has id {key!r}")
    forward = _Side(VertexRef(VertexLabel.PERSON, from_key))
    backward = _Side(VertexRef(VertexLabel.PERSON, to_key))
    if from_key == to_key:
        return PathData(True, 0, [[PathStepData(forward.start)]], 1, False)
    truncated = False
    while forward.depth + backward.depth < max_depth:
        sides = [side for side in (forward, backward) if side.frontier]
        if len(sides) < 2:
            break  # one end has nothing left to reach: no path at any depth
        if max_depth - forward.depth - backward.depth == 1:
            sides = [min(sides, key=lambda side: len(side.frontier))]
        step = ExpandEach(tuple(
            Expand(side.frontier, ALL_EDGE_LABELS, MAX_PATH_FRONTIER, side.previous, with_records=False)
            for side in sides
        ))
        for side, expansion in zip(sides, await ctx.store.expand(step)):
            side.absorb(expansion)
            truncated = truncated or expansion.cut
        meeting = [ref for ref in forward.dist if ref in backward.dist]
        if meeting:
            length = min(forward.dist[ref] + backward.dist[ref] for ref in meeting)
            middle = sorted(
                (ref for ref in meeting if forward.dist[ref] + backward.dist[ref] == length), key=vertex_order
            )
            count = sum(forward.counts[ref] * backward.counts[ref] for ref in middle)
            paths = list(itertools.islice(_paths(forward, backward, middle), MAX_PATHS))
            return PathData(True, length, paths, count, truncated)
        if truncated:
            break
    return PathData(False, None, [], 0, truncated)


async def _call_persons(ctx: RequestContext, keys: tuple[str, ...]) -> dict[str, Any]:
    """Both persons through the request's batching loader: one call for the pair."""
    records = await asyncio.gather(*(ctx.loaders.vertex(VertexLabel.PERSON, key) for key in keys))
    return {key: record for key, record in zip(keys, records) if record is not None}


# ------------------------------------------------------------------ related customers


@dataclass(frozen=True, slots=True)
class RelationEvidence:
    relation: Relation
    total: int  # shared addresses / phones / counterparties, or transfers, in all
    items: list[str]  # ids (at most EVIDENCE_CAP); for TRANSFERS one sentence per direction


_WORDS = {  # relation -> (one item, several items)
    Relation.SHARED_ADDRESS: ("shared address", "shared addresses"),
    Relation.SHARED_PHONE: ("shared phone", "shared phones"),
    Relation.SHARED_COUNTERPARTY: ("shared counterparty", "shared counterparties"),
}


@dataclass(frozen=True, slots=True)
class RelatedData:
    person_id: str
    relations: list[RelationEvidence]  # in Relation order

    @property
    def via(self) -> list[Relation]:
        return [evidence.relation for evidence in self.relations]

    @property
    def evidence_count(self) -> int:
        return sum(evidence.total for evidence in self.relations)

    @property
    def evidence(self) -> list[str]:
        """Readable lines: ``shared address ADR1``, ``2 transfers sent to them, 10.00 in total``,
        ``shared counterparty ACC9``, and ``7 more shared counterparties (12 in total)``."""
        lines: list[str] = []
        for evidence in self.relations:
            if evidence.relation is Relation.TRANSFERS:
                lines += evidence.items
                continue
            one, several = _WORDS[evidence.relation]
            lines += [f"{one} {item}" for item in evidence.items]
            if evidence.total > len(evidence.items):
                more = evidence.total - len(evidence.items)
                lines.append(f"{more} more {one if more == 1 else several} ({evidence.total} in total)")
        return lines


def _evidence(relation: Relation, rows: list[RelationRow]) -> RelationEvidence:
    if relation is Relation.TRANSFERS:
        items = []
        for row in sorted(rows, key=lambda r: r.item != "sent"):  # sent first, then received
            direction = "sent to them" if row.item == "sent" else "received from them"
            noun = "transfer" if row.count == 1 else "transfers"
            items.append(f"{row.count} {noun} {direction}, {from_cents(row.volume_cents):.2f} in total")
        return RelationEvidence(relation, _strength(relation, rows), items)
    ids = sorted({row.item for row in rows})
    return RelationEvidence(relation, _strength(relation, rows), ids[:EVIDENCE_CAP])


def _strength(relation: Relation, rows: list[RelationRow]) -> int:
    """A relation's total: transfers count each payment, the other relations each distinct
    item. The rank needs it before any evidence line is written."""
    if relation is Relation.TRANSFERS:
        return sum(row.count for row in rows)
    return len({row.item for row in rows})


def rank_related(rows: list[RelationRow], first: int) -> list[RelatedData]:
    """The ``first`` other persons of one person's evidence rows: most relation kinds first,
    then most evidence, then id. Only those kept get their evidence written (a customer with
    a busy counterparty has hundreds of others, and a page shows ten)."""
    by_other: dict[str, dict[Relation, list[RelationRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_other[row.other_id][row.relation].append(row)
    ranked = heapq.nsmallest(first, (
        (-len(kinds), -sum(_strength(relation, kind_rows) for relation, kind_rows in kinds.items()), other)
        for other, kinds in by_other.items()
    ))
    return [
        RelatedData(other, [_evidence(relation, by_other[other][relation]) for relation in Relation
                            if relation in by_other[other]])
        for _, _, other in ranked
    ]


async def related_customers(ctx: RequestContext, person_key: str, first: int) -> list[RelatedData]:
    """ONE :class:`RelatedPersons` call for every parent person at this level."""
    _between("Person.relatedCustomers", "first", first, 0, ctx.settings.max_page_size)

    async def batch(keys: list[str]) -> list[list[RelationRow]]:
        found = await ctx.store.related_persons(RelatedPersons(tuple(keys), MAX_COUNTERPARTY_SENDERS))
        return [found.get(key, []) for key in keys]

    found = await ctx.loaders.load(("network.related", MAX_COUNTERPARTY_SENDERS), batch, person_key)
    return rank_related(found, first)


# ------------------------------------------------------------------ shared addresses / phones


async def shared_groups(
    ctx: RequestContext, field: str, argument: str, kind: SharedKind, min_persons: int, args: PageArgs,
    want_total: bool,
) -> ConnectionData:
    """A page of addresses (phones) shared by at least ``min_persons`` persons: ONE call."""
    ordering = f"shared_{kind.value}:persons_desc"
    request = page_request(field, ordering, args, ctx.settings.max_page_size, ctx.settings.default_page_size)
    if min_persons < 1:
        raise UserError(f"{field}: argument '{argument}' must be at least 1, got {min_persons}")
    if request.keyset is not None and (
        not isinstance(request.keyset.value, int) or isinstance(request.keyset.value, bool)
    ):
        raise UserError(f"{field}: argument '{'before' if request.backward else 'after'}' is not a cursor "
                        "returned by this field")
    step = SharedVertices(kind, min_persons, request.limit, request.keyset, want_total, reverse=request.backward)
    return connection_data(ordering, await ctx.store.shared_vertices(step), request)


# ------------------------------------------------------------------ top counterparties


async def top_counterparties(ctx: RequestContext, first: int) -> list[ReceiverRow]:
    _between("topCounterparties", "first", first, 0, ctx.settings.max_page_size)
    return await ctx.store.top_receivers(TopReceivers(first))

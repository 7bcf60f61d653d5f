"""GraphQL types and root fields for the customer network: neighbourhoods, paths, related
customers, shared addresses and phones, top counterparties.

The Query root inherits :class:`NetworkQuery`; ``Person.relatedCustomers`` is the
:func:`related_customers` resolver. The existing object types (``Person``, ``Account``...)
are referred to lazily, so ``types.py`` can import this module without a cycle. The work is
in :mod:`customer360.resolvers.network`; records come through the per-request loaders, so
every list here costs one call per selection level, not one per row.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from customer360.graphstore import network as net
from customer360.graphstore import plan
from customer360.resolvers import network as resolve
from customer360.resolvers.graph import ConnectionData
from customer360.resolvers.selection import selects

if TYPE_CHECKING:
    from customer360.schema.types import Account, Address, Node, PageInfo, Person, Phone

_TYPES = "customer360.schema.types"
LazyPerson = Annotated["Person", strawberry.lazy(_TYPES)]
LazyAccount = Annotated["Account", strawberry.lazy(_TYPES)]
LazyAddress = Annotated["Address", strawberry.lazy(_TYPES)]
LazyPhone = Annotated["Phone", strawberry.lazy(_TYPES)]
LazyNode = Annotated["Node", strawberry.lazy(_TYPES)]
LazyPageInfo = Annotated["PageInfo", strawberry.lazy(_TYPES)]

EdgeLabel = strawberry.enum(plan.EdgeLabel, name="EdgeLabel", description=(
    "A kind of edge: person OWNS account, person LIVES_AT address, person HAS_PHONE phone, "
    "account SENT transaction, transaction RECEIVED_BY account."
))
VertexLabel = strawberry.enum(plan.VertexLabel, name="VertexLabel", description="A kind of vertex.")
EdgeDirection = strawberry.enum(plan.Direction, name="EdgeDirection", description=(
    "OUT: the edge was followed as stored (previous -edge-> this vertex); IN: against it."
))
Relation = strawberry.enum(net.Relation, name="Relation", description=(
    "Why two customers are related: they share an address or a phone, moved money between "
    "their accounts, or paid the same account (hub accounts with more than "
    f"{net.MAX_COUNTERPARTY_SENDERS} distinct senders do not count)."
))


async def _vertex(info: Info, label: plan.VertexLabel, key: str) -> Any:
    """A record through the request's batching loader (one call per label per level)."""
    return await info.context.loaders.vertex(label, key)


def _wrap(label: plan.VertexLabel, record: Any) -> Any:
    from customer360.schema import types

    wrappers = {
        plan.VertexLabel.PERSON: types.Person, plan.VertexLabel.ACCOUNT: types.Account,
        plan.VertexLabel.ADDRESS: types.Address, plan.VertexLabel.PHONE: types.Phone,
        plan.VertexLabel.TRANSACTION: types.Transaction,
    }
    return wrappers[label].of(record)


def _page_info(data: ConnectionData) -> Any:
    from customer360.schema.types import PageInfo  # lazily: types.py imports this module

    return PageInfo.of(data)


# ------------------------------------------------------------------ neighbourhood


@strawberry.type(description="A vertex of a neighbourhood.")
class NetworkNode:
    id: strawberry.ID = strawberry.field(description="Its business key.")
    label: VertexLabel
    level: int = strawberry.field(description="Hops from the start vertex (0 for the start).")
    properties: JSON = strawberry.field(description=(
        "Its properties, named as the GraphQL fields are: SSN masked to the last four digits, "
        "money as decimal strings, timestamps in ISO-8601 UTC."
    ))
    record: strawberry.Private[Any]

    @strawberry.field(description="The vertex as its own GraphQL type (no extra backend call).")
    def vertex(self) -> LazyNode:
        return _wrap(self.label, self.record)


@strawberry.type(description="An edge, in its stored direction: source -label-> target.")
class NetworkEdge:
    source: strawberry.ID
    target: strawberry.ID
    label: EdgeLabel


@strawberry.type(description="Vertices and edges within some hops of a vertex.")
class Neighborhood:
    nodes: list[NetworkNode] = strawberry.field(description="By distance from the start, then label, then id.")
    edges: list[NetworkEdge] = strawberry.field(description="Every edge between two of the nodes.")
    truncated: bool = strawberry.field(description="True when 'limit' left out vertices within 'depth'.")

    @classmethod
    def of(cls, data: resolve.NeighborhoodData) -> "Neighborhood":
        return cls(
            nodes=[
                NetworkNode(id=strawberry.ID(n.ref.key), label=n.ref.label, level=n.level,
                            properties=resolve.vertex_properties(n.record), record=n.record)
                for n in data.nodes
            ],
            edges=[
                NetworkEdge(source=strawberry.ID(e.source.key), target=strawberry.ID(e.target.key), label=e.label)
                for e in data.edges
            ],
            truncated=data.truncated,
        )


# ------------------------------------------------------------------ path


@strawberry.type(description="One vertex on a path, with the edge that led to it.")
class PathStep:
    id: strawberry.ID
    label: VertexLabel
    edge: EdgeLabel | None = strawberry.field(description="The edge from the previous step (null on the first).")
    direction: EdgeDirection | None = strawberry.field(
        description="OUT when previous -edge-> this, IN when this -edge-> previous (null on the first)."
    )

    @strawberry.field(description="The vertex as its own GraphQL type (batched per level).")
    async def vertex(self, info: Info) -> LazyNode:
        return _wrap(self.label, await _vertex(info, self.label, self.id))


@strawberry.type(description="Shortest paths between two customers over every kind of edge.")
class PathResult:
    found: bool
    length: int | None = strawberry.field(description="Edges on each shortest path (null when not found).")
    paths: list[list[PathStep]] = strawberry.field(
        description=f"Shortest paths, from 'from' to 'to' (at most {resolve.MAX_PATHS})."
    )
    path_count: int = strawberry.field(description="How many shortest paths there are (some may not be listed).")
    truncated: bool = strawberry.field(description=(
        f"True when a hop reached more than {resolve.MAX_PATH_FRONTIER} new vertices (a hub) and the "
        "search stopped there: 'found: false' then means 'not found before the hub'."
    ))

    @classmethod
    def of(cls, data: resolve.PathData) -> "PathResult":
        return cls(
            found=data.found, length=data.length, path_count=data.path_count, truncated=data.truncated,
            paths=[
                [PathStep(id=strawberry.ID(s.ref.key), label=s.ref.label, edge=s.edge, direction=s.direction)
                 for s in steps]
                for steps in data.paths
            ],
        )


# ------------------------------------------------------------------ related customers


@strawberry.type(description="The evidence for one kind of relation.")
class RelationEvidence:
    relation: Relation
    total: int = strawberry.field(description=(
        "Shared addresses / phones / counterparties, or transfers (both ways), in all."
    ))
    items: list[str] = strawberry.field(description=(
        f"Ids of the shared vertices (at most {net.EVIDENCE_CAP}); for TRANSFERS one line per direction."
    ))


@strawberry.type(description="Another customer related to this one, and why.")
class RelatedCustomer:
    person_id: strawberry.Private[str]
    via: list[Relation]
    evidence: list[str] = strawberry.field(description=(
        f"Readable evidence, at most {net.EVIDENCE_CAP} items per relation plus how many more."
    ))
    evidence_count: int = strawberry.field(description="All evidence items (the 'total' of every relation).")
    relations: list[RelationEvidence]

    @strawberry.field
    async def person(self, info: Info) -> LazyPerson:
        return _wrap(plan.VertexLabel.PERSON, await _vertex(info, plan.VertexLabel.PERSON, self.person_id))


async def related_customers(
    root: Any, info: Info, first: Annotated[int, strawberry.argument(description="How many to return.")] = 20
) -> list[RelatedCustomer]:
    """``Person.relatedCustomers``: most relation kinds first, then most evidence, then id."""
    rows = await resolve.related_customers(info.context, root.record.person_id, first)
    return [
        RelatedCustomer(
            person_id=r.person_id, via=r.via, evidence=r.evidence, evidence_count=r.evidence_count,
            relations=[RelationEvidence(relation=e.relation, total=e.total, items=e.items) for e in r.relations],
        )
        for r in rows
    ]


# ------------------------------------------------------------------ shared addresses and phones


@strawberry.type(description="An address where several customers live.")
class SharedAddress:
    resident_ids: strawberry.Private[tuple[str, ...]]
    address_id: strawberry.Private[str]
    resident_count: int

    @strawberry.field
    async def address(self, info: Info) -> LazyAddress:
        return _wrap(plan.VertexLabel.ADDRESS, await _vertex(info, plan.VertexLabel.ADDRESS, self.address_id))

    @strawberry.field(description="By id.")
    async def residents(self, info: Info) -> list[LazyPerson]:
        records = await asyncio.gather(*(_vertex(info, plan.VertexLabel.PERSON, k) for k in self.resident_ids))
        return [_wrap(plan.VertexLabel.PERSON, r) for r in records if r is not None]


@strawberry.type(description="A phone linked to several customers.")
class SharedPhone:
    owner_ids: strawberry.Private[tuple[str, ...]]
    phone_id: strawberry.Private[str]
    owner_count: int

    @strawberry.field
    async def phone(self, info: Info) -> LazyPhone:
        return _wrap(plan.VertexLabel.PHONE, await _vertex(info, plan.VertexLabel.PHONE, self.phone_id))

    @strawberry.field(description="By id.")
    async def owners(self, info: Info) -> list[LazyPerson]:
        records = await asyncio.gather(*(_vertex(info, plan.VertexLabel.PERSON, k) for k in self.owner_ids))
        return [_wrap(plan.VertexLabel.PERSON, r) for r in records if r is not None]


@strawberry.type
class SharedAddressEdge:
    cursor: str
    node: SharedAddress


@strawberry.type
class SharedAddressConnection:
    edges: list[SharedAddressEdge]
    page_info: LazyPageInfo
    total_count: int | None = strawberry.field(description="All addresses with enough residents, ignoring the page.")

    @classmethod
    def of(cls, data: ConnectionData) -> "SharedAddressConnection":
        return cls(
            edges=[
                SharedAddressEdge(cursor=c, node=SharedAddress(resident_ids=r.person_ids, address_id=r.key,
                                                               resident_count=r.count))
                for c, r in data.edges
            ],
            page_info=_page_info(data), total_count=data.total,
        )


@strawberry.type
class SharedPhoneEdge:
    cursor: str
    node: SharedPhone


@strawberry.type
class SharedPhoneConnection:
    edges: list[SharedPhoneEdge]
    page_info: LazyPageInfo
    total_count: int | None = strawberry.field(description="All phones with enough owners, ignoring the page.")

    @classmethod
    def of(cls, data: ConnectionData) -> "SharedPhoneConnection":
        return cls(
            edges=[
                SharedPhoneEdge(cursor=c, node=SharedPhone(owner_ids=r.person_ids, phone_id=r.key, owner_count=r.count))
                for c, r in data.edges
            ],
            page_info=_page_info(data), total_count=data.total,
        )


# ------------------------------------------------------------------ top counterparties


@strawberry.type(description="An account by the payments it received.")
class TopCounterparty:
    account_id: strawberry.Private[str]
    transaction_count: int = strawberry.field(description="Transactions received.")
    volume: Decimal = strawberry.field(description="Exact total received.")
    distinct_senders: int = strawberry.field(description="Distinct accounts that paid it.")

    @strawberry.field
    async def account(self, info: Info) -> LazyAccount:
        return _wrap(plan.VertexLabel.ACCOUNT, await _vertex(info, plan.VertexLabel.ACCOUNT, self.account_id))


# ------------------------------------------------------------------ Query root fields


@strawberry.type
class NetworkQuery:
    @strawberry.field(description=(
        "Vertices and edges within 'depth' hops (both directions) of any vertex, by business key. "
        "One backend call per hop."
    ))
    async def neighborhood(
        self,
        info: Info,
        id: strawberry.ID,
        depth: Annotated[int, strawberry.argument(
            description=f"Hops, 0 to {resolve.MAX_NEIGHBORHOOD_DEPTH}.")] = 2,
        edge_labels: Annotated[list[EdgeLabel] | None, strawberry.argument(
            description="Edges to follow (default: all).")] = None,
        limit: Annotated[int, strawberry.argument(
            description=f"Most vertices returned, start included (1 to {resolve.MAX_NEIGHBORHOOD_LIMIT}).")] = 200,
    ) -> Neighborhood:
        data = await resolve.neighborhood(info.context, id, depth, edge_labels, limit)
        return Neighborhood.of(data)

    @strawberry.field(description=(
        "Shortest paths between two customers over every kind of edge (transactions count as "
        "vertices), searched from both ends."
    ))
    async def path(
        self,
        info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from", description="A person id.")],
        to: Annotated[strawberry.ID, strawberry.argument(description="A person id.")],
        max_depth: Annotated[int, strawberry.argument(
            description=f"Longest path searched, in edges (1 to {resolve.MAX_PATH_DEPTH}).")] = 4,
    ) -> PathResult:
        return PathResult.of(await resolve.path(info.context, from_, to, max_depth))

    @strawberry.field(description="Addresses where at least 'minResidents' customers live: most residents first.")
    async def shared_addresses(
        self, info: Info, min_residents: int = 2, first: int = 20, after: str | None = None
    ) -> SharedAddressConnection:
        data = await resolve.shared_groups(
            info.context, "sharedAddresses", "minResidents", net.SharedKind.ADDRESS, min_residents,
            first, after, selects(info, "totalCount"),
        )
        return SharedAddressConnection.of(data)

    @strawberry.field(description="Phones linked to at least 'minOwners' customers: most owners first.")
    async def shared_phones(
        self, info: Info, min_owners: int = 2, first: int = 20, after: str | None = None
    ) -> SharedPhoneConnection:
        data = await resolve.shared_groups(
            info.context, "sharedPhones", "minOwners", net.SharedKind.PHONE, min_owners,
            first, after, selects(info, "totalCount"),
        )
        return SharedPhoneConnection.of(data)

    @strawberry.field(description="Accounts that received the most transactions (then most volume, then id).")
    async def top_counterparties(self, info: Info, first: int = 10) -> list[TopCounterparty]:
        rows = await resolve.top_counterparties(info.context, first)
        return [
            TopCounterparty(account_id=r.account_id, transaction_count=r.transaction_count,
                            volume=resolve.cents_to_decimal(r.volume_cents), distinct_senders=r.distinct_senders)
            for r in rows
        ]

"""GraphQL types and root fields for the customer network: neighbourhoods, paths, shared
addresses and phones, top counterparties. (``Person.relatedCustomers`` is in ``types.py``.)

The Query root inherits :class:`NetworkQuery`. The work is in
:mod:`customer360.resolvers.network`; records come through the per-request loaders, so every
list here costs one call per selection level, not one per row.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from customer360 import model
from customer360.auth.access import RequestAccess
from customer360.graphstore import network_plan as net
from customer360.graphstore.plan import VertexLabel as Label
from customer360.model import from_cents
from customer360.resolvers import graph
from customer360.resolvers import network as resolve
from customer360.resolvers.selection import selects
from customer360.schema.enums import (
    ACCOUNT_STATUSES,
    ACCOUNT_TYPES,
    EDGE_DIRECTIONS,
    EDGE_LABELS,
    PHONE_TYPES,
    VERTEX_LABELS,
    EdgeDirection,
    EdgeLabel,
    VertexLabel,
)
from customer360.schema.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    connection_of,
    page_args,
)
from customer360.schema.types import Account, Address, Person, Phone, vertex_type


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def vertex_properties(record: Any, access: RequestAccess) -> dict[str, Any]:
    """A vertex's properties for clients, named as the GraphQL fields are: money as decimal
    strings, timestamps as ISO-8601 UTC, enums as their GraphQL names. Personal data is shown
    as the caller's access allows (masked, or left out when denied); the SSN never is (ask
    ``vertex { ... on Person { ssn } }``, which the policy governs like any field)."""
    if isinstance(record, model.Person):
        name = f"{record.first_name} {record.last_name}"
        shown = {
            "firstName": access.visible("Person.firstName", record.first_name),
            "lastName": access.visible("Person.lastName", record.last_name),
            "name": access.visible("Person.name", name),
            "dateOfBirth": access.visible("Person.dateOfBirth", record.date_of_birth),
        }
        return {key: value for key, value in shown.items() if value is not None}
    if isinstance(record, model.Account):
        return {
            "type": ACCOUNT_TYPES.to_public(record.account_type).name, "balance": _money(record.balance),
            "status": ACCOUNT_STATUSES.to_public(record.status).name, "ownerId": record.owner_person_id,
        }
    if isinstance(record, model.Address):
        shown = {
            "street": access.visible("Address.street", record.street),
            "city": access.visible("Address.city", record.city),
            "state": access.visible("Address.state", record.state),
            "zipCode": access.visible("Address.zipCode", record.zip_code),
        }
        return {key: value for key, value in shown.items() if value is not None}
    if isinstance(record, model.Phone):
        shown = {"number": access.visible("Phone.number", record.number),
                 "type": PHONE_TYPES.to_public(record.phone_type).name}
        return {key: value for key, value in shown.items() if value is not None}
    if isinstance(record, model.Transaction):
        return {
            "amount": _money(record.amount),
            "timestamp": datetime.fromtimestamp(record.timestamp, tz=timezone.utc).isoformat(),
            "fromAccountId": record.from_account_id, "toAccountId": record.to_account_id,
        }
    raise TypeError(f"not a vertex record: {record!r}")


# ------------------------------------------------------------------ neighbourhood


@strawberry.type(description="A vertex of a neighbourhood.")
class NetworkNode:
    id: strawberry.ID = strawberry.field(description="Its business key.")
    label: VertexLabel = strawberry.field(description="What kind of vertex it is.")
    level: int = strawberry.field(description="Hops from the start vertex (0 for the start).")
    properties: JSON = strawberry.field(description=(
        "Its properties, named as the GraphQL fields are: money as decimal strings, timestamps in "
        "ISO-8601 UTC; personal data as the caller's role and purpose allow (masked, or left out "
        "when denied); never the SSN."
    ))
    record: strawberry.Private[Any]

    @strawberry.field(description="The vertex as its own GraphQL type (no extra backend call).")
    def vertex(self) -> Node:
        return vertex_type(VERTEX_LABELS.to_inner(self.label), self.record)


@strawberry.type(description="An edge, in its stored direction: source -label-> target.")
class NetworkEdge:
    source: strawberry.ID = strawberry.field(description="The business key of the vertex the edge leaves.")
    target: strawberry.ID = strawberry.field(description="The business key of the vertex it reaches.")
    label: EdgeLabel = strawberry.field(description="What kind of edge it is.")


@strawberry.type(description="Vertices and edges within some hops of a vertex.")
class Neighborhood:
    nodes: list[NetworkNode] = strawberry.field(description="By distance from the start, then label, then id.")
    edges: list[NetworkEdge] = strawberry.field(description="Every edge between two of the nodes.")
    truncated: bool = strawberry.field(description="True when 'limit' left out vertices within 'depth'.")

    @classmethod
    def of(cls, data: resolve.NeighborhoodData, access: RequestAccess) -> "Neighborhood":
        return cls(
            nodes=[
                NetworkNode(id=strawberry.ID(n.ref.key), label=VERTEX_LABELS.to_public(n.ref.label), level=n.level,
                            properties=vertex_properties(n.record, access), record=n.record)
                for n in data.nodes
            ],
            edges=[
                NetworkEdge(source=strawberry.ID(e.source.key), target=strawberry.ID(e.target.key),
                            label=EDGE_LABELS.to_public(e.label))
                for e in data.edges
            ],
            truncated=data.truncated,
        )


# ------------------------------------------------------------------ path


@strawberry.type(description="One vertex on a path, with the edge that led to it.")
class PathStep:
    id: strawberry.ID = strawberry.field(description="The vertex's business key.")
    label: VertexLabel = strawberry.field(description="What kind of vertex it is.")
    edge: EdgeLabel | None = strawberry.field(description="The edge from the previous step (null on the first).")
    direction: EdgeDirection | None = strawberry.field(
        description="OUT when previous -edge-> this, IN when this -edge-> previous (null on the first)."
    )

    @strawberry.field(description="The vertex as its own GraphQL type (batched per level).")
    async def vertex(self, info: Info) -> Node:
        label = VERTEX_LABELS.to_inner(self.label)
        return vertex_type(label, await graph.vertex(info.context, label, self.id))


@strawberry.type(description="Shortest paths between two customers over every kind of edge.")
class PathResult:
    found: bool = strawberry.field(description="Whether a path of at most maxDepth edges joins the two customers.")
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
                [
                    PathStep(
                        id=strawberry.ID(s.ref.key), label=VERTEX_LABELS.to_public(s.ref.label),
                        edge=EDGE_LABELS.to_public(s.edge) if s.edge else None,
                        direction=EDGE_DIRECTIONS.to_public(s.direction) if s.direction else None,
                    )
                    for s in steps
                ]
                for steps in data.paths
            ],
        )


# ------------------------------------------------------------------ shared addresses and phones


@strawberry.type(description="An address where several customers live.")
class SharedAddress:
    resident_ids: strawberry.Private[tuple[str, ...]]
    address_id: strawberry.Private[str]
    resident_count: int = strawberry.field(description="How many customers live there.")

    @classmethod
    def of(cls, row: net.SharedRow) -> "SharedAddress":
        return cls(resident_ids=row.person_ids, address_id=row.key, resident_count=row.count)

    @strawberry.field(description="The address.")
    async def address(self, info: Info) -> Address:
        return Address.of(await graph.vertex(info.context, Label.ADDRESS, self.address_id))

    @strawberry.field(description="By id.")
    async def residents(self, info: Info) -> list[Person]:
        records = await asyncio.gather(*(graph.vertex(info.context, Label.PERSON, k) for k in self.resident_ids))
        return [Person.of(r) for r in records if r is not None]


@strawberry.type(description="A phone linked to several customers.")
class SharedPhone:
    owner_ids: strawberry.Private[tuple[str, ...]]
    phone_id: strawberry.Private[str]
    owner_count: int = strawberry.field(description="How many customers are linked to it.")

    @classmethod
    def of(cls, row: net.SharedRow) -> "SharedPhone":
        return cls(owner_ids=row.person_ids, phone_id=row.key, owner_count=row.count)

    @strawberry.field(description="The phone.")
    async def phone(self, info: Info) -> Phone:
        return Phone.of(await graph.vertex(info.context, Label.PHONE, self.phone_id))

    @strawberry.field(description="By id.")
    async def owners(self, info: Info) -> list[Person]:
        records = await asyncio.gather(*(graph.vertex(info.context, Label.PERSON, k) for k in self.owner_ids))
        return [Person.of(r) for r in records if r is not None]


# ------------------------------------------------------------------ top counterparties


@strawberry.type(description="An account by the payments it received.")
class TopCounterparty:
    account_id: strawberry.Private[str]
    transaction_count: int = strawberry.field(description="Transactions received.")
    volume: Decimal = strawberry.field(description="Exact total received.")
    distinct_senders: int = strawberry.field(description="Distinct accounts that paid it.")

    @strawberry.field(description="The account.")
    async def account(self, info: Info) -> Account:
        return Account.of(await graph.vertex(info.context, Label.ACCOUNT, self.account_id))


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
        id: Annotated[strawberry.ID, strawberry.argument(description="Any business key: a person, account, address, phone or transaction.")],
        depth: Annotated[int, strawberry.argument(
            description=f"Hops, 0 to {resolve.MAX_NEIGHBORHOOD_DEPTH}.")] = 2,
        edge_labels: Annotated[list[EdgeLabel] | None, strawberry.argument(
            description="Edges to follow (default: all).")] = None,
        limit: Annotated[int, strawberry.argument(
            description=f"Most vertices returned, start included (1 to {resolve.MAX_NEIGHBORHOOD_LIMIT}).")] = 200,
    ) -> Neighborhood:
        labels = None if edge_labels is None else [EDGE_LABELS.to_inner(label) for label in edge_labels]
        data = await resolve.neighborhood(info.context, id, depth, labels, limit)
        return Neighborhood.of(data, info.context.access)

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
        self, info: Info,
        min_residents: Annotated[int, strawberry.argument(description="Only addresses with at least this many residents (1 or more).")] = 2, first: First = None, after: After = None, last: Last = None,
        before: Before = None,
    ) -> Connection[SharedAddress]:
        data = await resolve.shared_groups(
            info.context, "sharedAddresses", "minResidents", net.SharedKind.ADDRESS, min_residents,
            page_args(first, after, last, before), selects(info, "totalCount"),
        )
        return connection_of(data, SharedAddress.of)

    @strawberry.field(description="Phones linked to at least 'minOwners' customers: most owners first.")
    async def shared_phones(
        self, info: Info,
        min_owners: Annotated[int, strawberry.argument(description="Only phones with at least this many owners (1 or more).")] = 2, first: First = None, after: After = None, last: Last = None,
        before: Before = None,
    ) -> Connection[SharedPhone]:
        data = await resolve.shared_groups(
            info.context, "sharedPhones", "minOwners", net.SharedKind.PHONE, min_owners,
            page_args(first, after, last, before), selects(info, "totalCount"),
        )
        return connection_of(data, SharedPhone.of)

    @strawberry.field(description="Accounts that received the most transactions (then most volume, then id).")
    async def top_counterparties(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many (0 to the maximum page size).")] = 10,
    ) -> list[TopCounterparty]:
        rows = await resolve.top_counterparties(info.context, first)
        return [
            TopCounterparty(account_id=r.account_id, transaction_count=r.transaction_count,
                            volume=from_cents(r.volume_cents), distinct_senders=r.distinct_senders)
            for r in rows
        ]

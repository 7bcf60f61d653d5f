"""The Query root: entry points into the graph."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from customer360.graphstore.plan import PersonOrder, VertexLabel
from customer360.resolvers import graph
from customer360.resolvers import insights as insight_resolvers
from customer360.resolvers.errors import NotFound
from customer360.resolvers.selection import selects
from customer360.schema.audit import AuditQuery
from customer360.schema.enums import (
    ACCOUNT_TYPES,
    RISK_LEVELS,
    SEGMENT_TIERS,
    CustomerOrderField,
    SortDirection,
)
from customer360.schema.inputs import CustomerFilter, CustomerOrder
from customer360.schema.insights import Portfolio
from customer360.schema.network import NetworkQuery
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
from customer360.schema.search import SearchQuery
from customer360.schema.types import (
    Account,
    Address,
    Person,
    Phone,
    Transaction,
    vertex_type,
)


async def _one(info: Info, label: VertexLabel, key: str, field: str):
    record = await graph.vertex(info.context, label, key)
    if record is None:
        raise NotFound(f"{field}: no {label.value} with id {key!r}")
    return vertex_type(label, record)


MAX_NODES = graph.MAX_NODES


@strawberry.type(description=(
    "Entry points into the bank's graph: customers, accounts, payments, the dashboard, the network "
    "and search. Personal data needs an X-Purpose-Of-Access header; money is a decimal string; times "
    "are UTC; pages are Relay connections of at most 500 items."
))
class Query(NetworkQuery, SearchQuery, AuditQuery):
    @strawberry.field(description="One customer by id (e.g. P0000001).")
    async def customer(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A person id, e.g. P0000001.")]) -> Person:
        return await _one(info, VertexLabel.PERSON, id, "customer")

    @strawberry.field(description="Customers, filtered and ordered, as a Relay connection.")
    async def customers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[CustomerFilter | None, strawberry.argument(description="Keep only customers matching every filter given.")] = None,
        order_by: Annotated[CustomerOrder | None, strawberry.argument(description="Sort order (default: by name, ascending).")] = None,
    ) -> Connection[Person]:
        flt = filter or CustomerFilter()
        order = order_by or CustomerOrder()
        query = graph.CustomerQuery(
            name_contains=flt.name_contains,
            state=flt.state,
            has_account_type=ACCOUNT_TYPES.to_inner(flt.has_account_type).value if flt.has_account_type else None,
            min_total_balance=flt.min_total_balance,
            max_total_balance=flt.max_total_balance,
            segment_tier=SEGMENT_TIERS.to_inner(flt.segment).value if flt.segment else None,
            risk_level=RISK_LEVELS.to_inner(flt.risk_level).value if flt.risk_level else None,
            order=PersonOrder.NAME if order.field is CustomerOrderField.NAME else PersonOrder.TOTAL_BALANCE,
            descending=order.direction is SortDirection.DESC,
        )
        data = await graph.customers(info.context, query, page_args(first, after, last, before), selects(info, "totalCount"))
        return connection_of(data, Person.of)

    @strawberry.field(description="One account by id (e.g. ACC00000001).")
    async def account(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="An account id, e.g. ACC00000001.")]) -> Account:
        return await _one(info, VertexLabel.ACCOUNT, id, "account")

    @strawberry.field(description="One transaction by id.")
    async def transaction(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A transaction id, e.g. TX0000000001.")]) -> Transaction:
        return await _one(info, VertexLabel.TRANSACTION, id, "transaction")

    @strawberry.field(description="One address by id.")
    async def address(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="An address id.")]) -> Address:
        return await _one(info, VertexLabel.ADDRESS, id, "address")

    @strawberry.field(description="One phone by id.")
    async def phone(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A phone id.")]) -> Phone:
        return await _one(info, VertexLabel.PHONE, id, "phone")

    @strawberry.field(description="The bank at a glance: totals, segments, risk levels, relationships.")
    async def portfolio(self, info: Info) -> Portfolio:
        return Portfolio.of(await insight_resolvers.portfolio(info.context))

    @strawberry.field(description=(
        "Any vertex by its business key, whatever its type (Relay's refetch entry point); null when "
        "nothing has that id."
    ))
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=(
        "A business key: P0000001, ACC00000001, TX0000000001, an address or phone id."
    ))]) -> Node | None:
        found = await graph.any_vertex(info.context, id)
        return None if found is None else vertex_type(*found)

    @strawberry.field(description=(
        f"Several vertices by business key in one call, in the order asked; null for an id nothing has "
        f"(at most {MAX_NODES} ids)."
    ))
    async def nodes(self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(description=(
        "Business keys, as for node(id:)."
    ))]) -> list[Node | None]:
        found = await graph.any_vertices(info.context, ids)
        return [None if item is None else vertex_type(*item) for item in found]

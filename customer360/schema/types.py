"""The graph's GraphQL object types. Each wraps a domain record; relationship fields
delegate to :mod:`customer360.resolvers.graph`, which batches them per selection level."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from customer360 import model
from customer360.model import mask_ssn
from customer360.graphstore.plan import VertexLabel
from customer360.resolvers import graph
from customer360.resolvers import insights as insight_resolvers
from customer360.schema import insights as insight_types
from customer360.resolvers.graph import ConnectionData, TransactionFilterArgs
from customer360.resolvers.selection import selects
from customer360.schema.enums import AccountStatus, AccountType, PhoneType
from customer360.schema.inputs import TransactionFilter
from customer360.schema.network import RelatedCustomer, related_customers
from customer360.schema.search import CustomerMatch, possible_duplicates

PAGE_SIZE_HELP = "Page size (at most the server's maximum page size, 500 by default)."


def _filter_args(flt: TransactionFilter | None) -> TransactionFilterArgs | None:
    if flt is None:
        return None
    return TransactionFilterArgs(flt.since, flt.until, flt.min_amount, flt.max_amount)


@strawberry.interface(description="Anything that can be fetched by its business key with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="The business key, e.g. P0000001 or ACC00000001.")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, data: ConnectionData) -> "PageInfo":
        return cls(has_next_page=data.has_next, end_cursor=data.end_cursor)


@strawberry.type
class Transaction(Node):
    amount: Decimal = strawberry.field(description="Exact amount (a decimal string, never a float).")
    timestamp: datetime = strawberry.field(description="When it happened, in UTC.")
    record: strawberry.Private[model.Transaction]

    @classmethod
    def of(cls, record: model.Transaction) -> "Transaction":
        return cls(
            id=strawberry.ID(record.transaction_id), amount=record.amount,
            timestamp=datetime.fromtimestamp(record.timestamp, tz=timezone.utc), record=record,
        )

    @strawberry.field(name="from", description="The account the money left.")
    async def from_(self, info: Info) -> Annotated["Account", strawberry.lazy("customer360.schema.types")]:
        return Account.of(await graph.vertex(info.context, VertexLabel.ACCOUNT, self.record.from_account_id))

    @strawberry.field(description="The account the money went to.")
    async def to(self, info: Info) -> Annotated["Account", strawberry.lazy("customer360.schema.types")]:
        return Account.of(await graph.vertex(info.context, VertexLabel.ACCOUNT, self.record.to_account_id))


@strawberry.type
class TransactionEdge:
    cursor: str
    node: Transaction


@strawberry.type
class TransactionConnection:
    edges: list[TransactionEdge]
    page_info: PageInfo
    total_count: int | None = strawberry.field(description="All matching transactions, ignoring the page.")

    @classmethod
    def of(cls, data: ConnectionData) -> "TransactionConnection":
        return cls(
            edges=[TransactionEdge(cursor=c, node=Transaction.of(r)) for c, r in data.edges],
            page_info=PageInfo.of(data),
            total_count=data.total,
        )


@strawberry.type(description="An account on the other side of this account's payments.")
class Counterparty:
    account_id: strawberry.Private[str]
    transaction_count: int
    volume: Decimal

    @strawberry.field
    async def account(self, info: Info) -> Annotated["Account", strawberry.lazy("customer360.schema.types")]:
        return Account.of(await graph.vertex(info.context, VertexLabel.ACCOUNT, self.account_id))


@strawberry.type
class Account(Node):
    type: AccountType
    balance: Decimal = strawberry.field(description="Exact balance; negative for loans and cards (amount owed).")
    status: AccountStatus
    record: strawberry.Private[model.Account]

    @classmethod
    def of(cls, record: model.Account) -> "Account":
        return cls(
            id=strawberry.ID(record.account_id), type=record.account_type, balance=record.balance,
            status=record.status, record=record,
        )

    @strawberry.field
    async def owner(self, info: Info) -> Annotated["Person", strawberry.lazy("customer360.schema.types")]:
        return Person.of(await graph.vertex(info.context, VertexLabel.PERSON, self.record.owner_person_id))

    @strawberry.field(description="Payments this account sent, newest first.")
    async def sent(
        self, info: Info, first: Annotated[int, strawberry.argument(description=PAGE_SIZE_HELP)] = 20,
        after: str | None = None, filter: TransactionFilter | None = None,
    ) -> TransactionConnection:
        data = await graph.transactions(
            info.context, "Account.sent", VertexLabel.ACCOUNT, self.record.account_id, graph.ACCOUNT_SENT,
            first, after, _filter_args(filter), selects(info, "totalCount"),
        )
        return TransactionConnection.of(data)

    @strawberry.field(description="Payments this account received, newest first.")
    async def received(
        self, info: Info, first: Annotated[int, strawberry.argument(description=PAGE_SIZE_HELP)] = 20,
        after: str | None = None, filter: TransactionFilter | None = None,
    ) -> TransactionConnection:
        data = await graph.transactions(
            info.context, "Account.received", VertexLabel.ACCOUNT, self.record.account_id, graph.ACCOUNT_RECEIVED,
            first, after, _filter_args(filter), selects(info, "totalCount"),
        )
        return TransactionConnection.of(data)

    @strawberry.field(description="Accounts this account paid, most transactions first.")
    async def counterparties(self, info: Info, first: int = 10) -> list[Counterparty]:
        rows = await graph.counterparties(info.context, "Account.counterparties", self.record.account_id, first)
        return [
            Counterparty(account_id=r.account_id, transaction_count=r.transaction_count,
                         volume=Decimal(r.volume_cents).scaleb(-2))
            for r in rows
        ]


@strawberry.type
class Address(Node):
    street: str
    city: str
    state: str
    zip_code: str
    record: strawberry.Private[model.Address]

    @classmethod
    def of(cls, record: model.Address) -> "Address":
        return cls(
            id=strawberry.ID(record.address_id), street=record.street, city=record.city, state=record.state,
            zip_code=record.zip_code, record=record,
        )

    @strawberry.field(description="Everyone who lives here.")
    async def residents(self, info: Info) -> list[Annotated["Person", strawberry.lazy("customer360.schema.types")]]:
        rows = await graph.neighbours(info.context, VertexLabel.ADDRESS, self.record.address_id, graph.ADDRESS_RESIDENTS)
        return [Person.of(r) for r in rows]


@strawberry.type
class Phone(Node):
    number: str = strawberry.field(description="As recorded (formats vary).")
    type: PhoneType
    record: strawberry.Private[model.Phone]

    @classmethod
    def of(cls, record: model.Phone) -> "Phone":
        return cls(id=strawberry.ID(record.phone_id), number=record.number, type=record.phone_type, record=record)

    @strawberry.field(description="Everyone linked to this number.")
    async def owners(self, info: Info) -> list[Annotated["Person", strawberry.lazy("customer360.schema.types")]]:
        rows = await graph.neighbours(info.context, VertexLabel.PHONE, self.record.phone_id, graph.PHONE_OWNERS)
        return [Person.of(r) for r in rows]


@strawberry.type
class Person(Node):
    first_name: str
    last_name: str
    name: str = strawberry.field(description="First and last name.")
    date_of_birth: date
    ssn: str = strawberry.field(description="Masked to its last four digits: ***-**-1234.")
    record: strawberry.Private[model.Person]

    @classmethod
    def of(cls, record: model.Person) -> "Person":
        """Scalar fields are filled here (plain attributes resolve far faster than methods)."""
        return cls(
            id=strawberry.ID(record.person_id), first_name=record.first_name, last_name=record.last_name,
            name=f"{record.first_name} {record.last_name}", date_of_birth=date.fromisoformat(record.date_of_birth),
            ssn=mask_ssn(record.ssn), record=record,
        )

    @strawberry.field
    async def accounts(self, info: Info) -> list[Account]:
        rows = await graph.neighbours(info.context, VertexLabel.PERSON, self.record.person_id, graph.PERSON_ACCOUNTS)
        return [Account.of(r) for r in rows]

    @strawberry.field
    async def addresses(self, info: Info) -> list[Address]:
        rows = await graph.neighbours(info.context, VertexLabel.PERSON, self.record.person_id, graph.PERSON_ADDRESSES)
        return [Address.of(r) for r in rows]

    @strawberry.field
    async def phones(self, info: Info) -> list[Phone]:
        rows = await graph.neighbours(info.context, VertexLabel.PERSON, self.record.person_id, graph.PERSON_PHONES)
        return [Phone.of(r) for r in rows]

    @strawberry.field(description="Accounts, balance and sent transactions, aggregated.")
    async def metrics(self, info: Info) -> insight_types.CustomerMetrics:
        return insight_types.metrics_of(await insight_resolvers.customer_insights(info.context, self.record.person_id))

    @strawberry.field(description="Value tier (PREMIUM, GOLD, SILVER, BRONZE) with the rule that placed it.")
    async def segment(self, info: Info) -> insight_types.Segment:
        return insight_types.segment_of(await insight_resolvers.customer_insights(info.context, self.record.person_id))

    @strawberry.field(description="Risk score and level with every rule that added points.")
    async def risk(self, info: Info) -> insight_types.Risk:
        return insight_types.risk_of(await insight_resolvers.customer_insights(info.context, self.record.person_id))

    @strawberry.field(description="Products to offer, each with the rule that suggests it.")
    async def recommendations(self, info: Info) -> list[insight_types.Recommendation]:
        result = await insight_resolvers.customer_insights(info.context, self.record.person_id)
        return insight_types.recommendations_of(result)

    @strawberry.field(description="Payments sent from any of this person's accounts, newest first.")
    async def transactions(
        self, info: Info, first: Annotated[int, strawberry.argument(description=PAGE_SIZE_HELP)] = 20,
        after: str | None = None, filter: TransactionFilter | None = None,
    ) -> TransactionConnection:
        data = await graph.transactions(
            info.context, "Person.transactions", VertexLabel.PERSON, self.record.person_id, graph.PERSON_TRANSACTIONS,
            first, after, _filter_args(filter), selects(info, "totalCount"),
        )
        return TransactionConnection.of(data)

    related_customers: list[RelatedCustomer] = strawberry.field(
        resolver=related_customers,
        description="Customers related to this one (shared address or phone, transfers, shared counterparties), with evidence.",
    )
    possible_duplicates: list[CustomerMatch] = strawberry.field(
        resolver=possible_duplicates,
        description="Other customers that are probably this same person entered again, with score and evidence.",
    )


@strawberry.type
class PersonEdge:
    cursor: str
    node: Person


@strawberry.type
class PersonConnection:
    edges: list[PersonEdge]
    page_info: PageInfo
    total_count: int | None = strawberry.field(description="All matching customers, ignoring the page.")

    @classmethod
    def of(cls, data: ConnectionData) -> "PersonConnection":
        return cls(
            edges=[PersonEdge(cursor=c, node=Person.of(r)) for c, r in data.edges],
            page_info=PageInfo.of(data),
            total_count=data.total,
        )

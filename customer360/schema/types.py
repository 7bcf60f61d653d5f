"""The graph's GraphQL object types. Each wraps a domain record; relationship fields delegate to
:mod:`customer360.resolvers`, which batches them per selection level.

Types that only a person leads to (related customers and their evidence) live here too, so
this module depends on nothing else in ``schema/`` that depends on it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from customer360 import model
from customer360.graphstore.network_plan import EVIDENCE_CAP
from customer360.graphstore.plan import VertexLabel as Label
from customer360.model import from_cents
from customer360.resolvers import graph
from customer360.resolvers import insights as insight_resolvers
from customer360.resolvers import network as network_resolvers
from customer360.resolvers import search as search_resolvers
from customer360.resolvers.graph import TransactionFilterArgs
from customer360.resolvers.selection import selects
from customer360.schema import insights as insight_types
from customer360.schema.enums import (
    ACCOUNT_STATUSES,
    ACCOUNT_TYPES,
    PHONE_TYPES,
    RELATIONS,
    AccountStatus,
    AccountType,
    PhoneType,
    Relation,
)
from customer360.schema.inputs import TransactionFilter
from customer360.schema.matching import CustomerMatch
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

DEFAULT_MAX_PAGE = 500
PERSONAL = (
    "Personal data: needs an X-Purpose-Of-Access header; clear, masked or denied (FORBIDDEN) by the "
    "caller's role and purpose."
)


def _filter_args(flt: TransactionFilter | None) -> TransactionFilterArgs | None:
    if flt is None:
        return None
    return TransactionFilterArgs(flt.since, flt.until, flt.min_amount, flt.max_amount)


@strawberry.type(description="Money moved from one account to another.")
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
        return Account.of(await graph.vertex(info.context, Label.ACCOUNT, self.record.from_account_id))

    @strawberry.field(description="The account the money went to.")
    async def to(self, info: Info) -> Annotated["Account", strawberry.lazy("customer360.schema.types")]:
        return Account.of(await graph.vertex(info.context, Label.ACCOUNT, self.record.to_account_id))


@strawberry.type(description="An account on the other side of this account's payments.")
class Counterparty:
    account_id: strawberry.Private[str]
    transaction_count: int = strawberry.field(description="Payments this account sent to it.")
    volume: Decimal = strawberry.field(description="Their amounts added up, a decimal string.")

    @strawberry.field(description="The account paid.")
    async def account(self, info: Info) -> Annotated["Account", strawberry.lazy("customer360.schema.types")]:
        return Account.of(await graph.vertex(info.context, Label.ACCOUNT, self.account_id))


@strawberry.type(description="A bank account owned by one customer.")
class Account(Node):
    type: AccountType = strawberry.field(description="The product.")
    balance: Decimal = strawberry.field(description="Exact balance; negative for loans and cards (amount owed).")
    status: AccountStatus = strawberry.field(description="Whether it can be used.")
    record: strawberry.Private[model.Account]

    @classmethod
    def of(cls, record: model.Account) -> "Account":
        return cls(
            id=strawberry.ID(record.account_id), type=ACCOUNT_TYPES.to_public(record.account_type),
            balance=record.balance, status=ACCOUNT_STATUSES.to_public(record.status), record=record,
        )

    @strawberry.field(description="The customer who owns it.")
    async def owner(self, info: Info) -> Annotated["Person", strawberry.lazy("customer360.schema.types")]:
        return Person.of(await graph.vertex(info.context, Label.PERSON, self.record.owner_person_id))

    @strawberry.field(description="Payments this account sent, newest first.")
    async def sent(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
        filter: Annotated[TransactionFilter | None, strawberry.argument(description="Keep only payments in a time and/or amount range.")] = None,
    ) -> Connection[Transaction]:
        data = await graph.transactions(
            info.context, "Account.sent", Label.ACCOUNT, self.record.account_id, graph.ACCOUNT_SENT,
            page_args(first, after, last, before), _filter_args(filter), selects(info, "totalCount"),
        )
        return connection_of(data, Transaction.of)

    @strawberry.field(description="Payments this account received, newest first.")
    async def received(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
        filter: Annotated[TransactionFilter | None, strawberry.argument(description="Keep only payments in a time and/or amount range.")] = None,
    ) -> Connection[Transaction]:
        data = await graph.transactions(
            info.context, "Account.received", Label.ACCOUNT, self.record.account_id, graph.ACCOUNT_RECEIVED,
            page_args(first, after, last, before), _filter_args(filter), selects(info, "totalCount"),
        )
        return connection_of(data, Transaction.of)

    @strawberry.field(description="Accounts this account paid, most transactions first.")
    async def counterparties(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many (0 to the maximum page size).")] = 10,
    ) -> list[Counterparty]:
        rows = await graph.counterparties(info.context, "Account.counterparties", self.record.account_id, first)
        return [
            Counterparty(account_id=r.account_id, transaction_count=r.transaction_count, volume=from_cents(r.volume_cents))
            for r in rows
        ]


@strawberry.type(description="A postal address; several customers may live at one.")
class Address(Node):
    record: strawberry.Private[model.Address]

    @classmethod
    def of(cls, record: model.Address) -> "Address":
        return cls(id=strawberry.ID(record.address_id), record=record)

    @strawberry.field(description=f"Street and number. {PERSONAL} Masked as '(masked)'.")
    def street(self, info: Info) -> str | None:
        return info.context.access.present("Address.street", self.record.street)

    @strawberry.field(description=f"City. {PERSONAL}")
    def city(self, info: Info) -> str | None:
        return info.context.access.present("Address.city", self.record.city)

    @strawberry.field(description=f"Two-letter US state. {PERSONAL}")
    def state(self, info: Info) -> str | None:
        return info.context.access.present("Address.state", self.record.state)

    @strawberry.field(description=f"ZIP code. {PERSONAL} Masked to its first three digits ('100**').")
    def zip_code(self, info: Info) -> str | None:
        return info.context.access.present("Address.zipCode", self.record.zip_code)

    @strawberry.field(description="Everyone who lives here.")
    async def residents(self, info: Info) -> list[Annotated["Person", strawberry.lazy("customer360.schema.types")]]:
        rows = await graph.neighbours(info.context, Label.ADDRESS, self.record.address_id, graph.ADDRESS_RESIDENTS)
        return [Person.of(r) for r in rows]


@strawberry.type(description="A phone number; several customers may share one.")
class Phone(Node):
    type: PhoneType = strawberry.field(description="Mobile, home or work.")
    record: strawberry.Private[model.Phone]

    @classmethod
    def of(cls, record: model.Phone) -> "Phone":
        return cls(id=strawberry.ID(record.phone_id), type=PHONE_TYPES.to_public(record.phone_type), record=record)

    @strawberry.field(description=f"As recorded (formats vary). {PERSONAL} Masked to its last four digits ('***-***-0100').")
    def number(self, info: Info) -> str | None:
        return info.context.access.present("Phone.number", self.record.number)

    @strawberry.field(description="Everyone linked to this number.")
    async def owners(self, info: Info) -> list[Annotated["Person", strawberry.lazy("customer360.schema.types")]]:
        rows = await graph.neighbours(info.context, Label.PHONE, self.record.phone_id, graph.PHONE_OWNERS)
        return [Person.of(r) for r in rows]


@strawberry.type(description="The evidence for one kind of relation.")
class RelationEvidence:
    relation: Relation = strawberry.field(description="The kind of relation.")
    total: int = strawberry.field(description=(
        "Shared addresses / phones / counterparties, or transfers (both ways), in all."
    ))
    items: list[str] = strawberry.field(description=(
        f"Ids of the shared vertices (at most {EVIDENCE_CAP}); for TRANSFERS one line per direction."
    ))


@strawberry.type(description="Another customer related to this one, and why.")
class RelatedCustomer:
    person_id: strawberry.Private[str]
    via: list[Relation] = strawberry.field(description="The kinds of relation found, in a fixed order.")
    evidence: list[str] = strawberry.field(description=(
        f"Readable evidence, at most {EVIDENCE_CAP} items per relation plus how many more."
    ))
    evidence_count: int = strawberry.field(description="All evidence items (the 'total' of every relation).")
    relations: list[RelationEvidence] = strawberry.field(description="The evidence, one entry per kind of relation.")

    @classmethod
    def of(cls, data: network_resolvers.RelatedData) -> "RelatedCustomer":
        return cls(
            person_id=data.person_id, via=[RELATIONS.to_public(r) for r in data.via], evidence=data.evidence,
            evidence_count=data.evidence_count,
            relations=[
                RelationEvidence(relation=RELATIONS.to_public(e.relation), total=e.total, items=e.items)
                for e in data.relations
            ],
        )

    @strawberry.field(description="The other customer.")
    async def person(self, info: Info) -> Annotated["Person", strawberry.lazy("customer360.schema.types")]:
        return Person.of(await graph.vertex(info.context, Label.PERSON, self.person_id))


@strawberry.type(description="A customer: a person with accounts, addresses and phones.")
class Person(Node):
    record: strawberry.Private[model.Person]

    @classmethod
    def of(cls, record: model.Person) -> "Person":
        return cls(id=strawberry.ID(record.person_id), record=record)

    @strawberry.field(description=f"Given name. {PERSONAL}")
    def first_name(self, info: Info) -> str | None:
        return info.context.access.present("Person.firstName", self.record.first_name)

    @strawberry.field(description=f"Family name. {PERSONAL}")
    def last_name(self, info: Info) -> str | None:
        return info.context.access.present("Person.lastName", self.record.last_name)

    @strawberry.field(description=f"First and last name. {PERSONAL}")
    def name(self, info: Info) -> str | None:
        return info.context.access.present("Person.name", f"{self.record.first_name} {self.record.last_name}")

    @strawberry.field(description=(
        f"Date of birth, ISO 8601 (YYYY-MM-DD). {PERSONAL} Masked to the year ('1972-**-**')."
    ))
    def date_of_birth(self, info: Info) -> str | None:
        return info.context.access.present("Person.dateOfBirth", self.record.date_of_birth)

    @strawberry.field(description=(
        f"Social Security number. {PERSONAL} Stored encrypted; in clear only for roles and purposes the "
        "policy allows (integration with purpose kyc by default), else masked to its last four digits "
        "('***-**-1234') or denied."
    ))
    async def ssn(self, info: Info) -> str | None:
        return await graph.ssn(info.context, self.record)

    @strawberry.field(description=f"Their accounts (at most the maximum page size, {DEFAULT_MAX_PAGE} by default).")
    async def accounts(self, info: Info) -> list[Account]:
        rows = await graph.neighbours(info.context, Label.PERSON, self.record.person_id, graph.PERSON_ACCOUNTS)
        return [Account.of(r) for r in rows]

    @strawberry.field(description="Where they live (usually one or two addresses).")
    async def addresses(self, info: Info) -> list[Address]:
        rows = await graph.neighbours(info.context, Label.PERSON, self.record.person_id, graph.PERSON_ADDRESSES)
        return [Address.of(r) for r in rows]

    @strawberry.field(description="Their phone numbers.")
    async def phones(self, info: Info) -> list[Phone]:
        rows = await graph.neighbours(info.context, Label.PERSON, self.record.person_id, graph.PERSON_PHONES)
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
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
        filter: Annotated[TransactionFilter | None, strawberry.argument(description="Keep only payments in a time and/or amount range.")] = None,
    ) -> Connection[Transaction]:
        data = await graph.transactions(
            info.context, "Person.transactions", Label.PERSON, self.record.person_id, graph.PERSON_TRANSACTIONS,
            page_args(first, after, last, before), _filter_args(filter), selects(info, "totalCount"),
        )
        return connection_of(data, Transaction.of)

    @strawberry.field(description=(
        "Customers related to this one (shared address or phone, transfers, shared counterparties), with "
        "evidence: most relation kinds first, then most evidence, then id."
    ))
    async def related_customers(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many to return.")] = 20
    ) -> list[RelatedCustomer]:
        rows = await network_resolvers.related_customers(info.context, self.record.person_id, first)
        return [RelatedCustomer.of(row) for row in rows]

    @strawberry.field(description=(
        "Other customers that are probably this same person entered again (typos, a nickname, a "
        "transposed date, another phone format), best first, with score and per-field evidence."
    ))
    async def possible_duplicates(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many to return (1 to 50).")] = 5
    ) -> list[CustomerMatch]:
        matches = await search_resolvers.possible_duplicates(info.context, self.record.person_id, first)
        return [CustomerMatch.of(match, Person.of(match.record)) for match in matches]


VERTEX_TYPES: dict[Label, Any] = {
    Label.PERSON: Person, Label.ACCOUNT: Account, Label.ADDRESS: Address, Label.PHONE: Phone,
    Label.TRANSACTION: Transaction,
}


def vertex_type(label: Label, record: Any) -> Node:
    """A record as the GraphQL type of its label (``node(id:)``, network nodes and paths)."""
    return VERTEX_TYPES[label].of(record)

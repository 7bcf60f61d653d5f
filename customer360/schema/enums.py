"""The API's enums, defined here and mapped to the domain's and the plan's.

A GraphQL enum is a public contract: renaming a plan or model member must not rename an API
value. So every public enum is its own Python enum, and :class:`EnumMap` translates both ways
with an explicit table; a test checks that each table covers both enums completely.
"""

from __future__ import annotations

import enum
from typing import Generic, TypeVar

import strawberry

from customer360 import insights, model
from customer360.graphstore import network_plan, plan
from customer360.search import protocol as search

Inner = TypeVar("Inner", bound=enum.Enum)
Public = TypeVar("Public", bound=enum.Enum)


class EnumMap(Generic[Inner, Public]):
    """An explicit one-to-one table between an internal enum and its public GraphQL enum."""

    def __init__(self, inner: type[Inner], public: type[Public], pairs: dict[Inner, Public]) -> None:
        self.inner, self.public = inner, public
        self._to_public = pairs
        self._to_inner = {value: key for key, value in pairs.items()}

    def to_public(self, member: Inner) -> Public:
        return self._to_public[member]

    def to_inner(self, member: Public) -> Inner:
        return self._to_inner[member]

    def is_complete(self) -> bool:
        return set(self._to_public) == set(self.inner) and set(self._to_inner) == set(self.public)


@strawberry.enum(description="An account product.")
class AccountType(enum.Enum):
    CHECKING = "checking"
    SAVINGS = "savings"
    INVESTMENT = "investment"
    CREDIT_CARD = "credit_card"
    LOAN = "loan"


@strawberry.enum(description="Whether an account can be used.")
class AccountStatus(enum.Enum):
    ACTIVE = "active"
    DORMANT = "dormant"
    FROZEN = "frozen"
    CLOSED = "closed"


@strawberry.enum(description="What kind of line a phone number is.")
class PhoneType(enum.Enum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"


@strawberry.enum(description="Customer value tier.")
class SegmentTier(enum.Enum):
    PREMIUM = "premium"
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"


@strawberry.enum(description="Risk level from the risk score.")
class RiskLevel(enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@strawberry.enum(description="A product to offer.")
class Product(enum.Enum):
    INVESTMENT_ACCOUNT = "investment_account"
    CREDIT_CARD = "credit_card"
    SAVINGS_ACCOUNT = "savings_account"


@strawberry.enum(description="A kind of vertex.")
class VertexLabel(enum.Enum):
    PERSON = "person"
    ACCOUNT = "account"
    ADDRESS = "address"
    PHONE = "phone"
    TRANSACTION = "transaction"


@strawberry.enum(description=(
    "A kind of edge: person OWNS account, person LIVES_AT address, person HAS_PHONE phone, "
    "account SENT transaction, transaction RECEIVED_BY account."
))
class EdgeLabel(enum.Enum):
    OWNS = "OWNS"
    LIVES_AT = "LIVES_AT"
    HAS_PHONE = "HAS_PHONE"
    SENT = "SENT"
    RECEIVED_BY = "RECEIVED_BY"


@strawberry.enum(description="OUT: the edge was followed as stored (previous -edge-> this vertex); IN: against it.")
class EdgeDirection(enum.Enum):
    OUT = "out"
    IN = "in"


@strawberry.enum(description=(
    "Why two customers are related: they share an address or a phone, moved money between "
    "their accounts, or paid the same account (hub accounts with more than "
    f"{network_plan.MAX_COUNTERPARTY_SENDERS} distinct senders do not count)."
))
class Relation(enum.Enum):
    SHARED_ADDRESS = "SHARED_ADDRESS"
    SHARED_PHONE = "SHARED_PHONE"
    TRANSFERS = "TRANSFERS"
    SHARED_COUNTERPARTY = "SHARED_COUNTERPARTY"


@strawberry.enum(description="What to sort customers by.")
class CustomerOrderField(enum.Enum):
    NAME = "name"
    TOTAL_BALANCE = "total_balance"


@strawberry.enum(description="Ascending or descending.")
class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum(description=(
    "How part of the search text met a field: EXACT, NICKNAME (Bob / Robert), FUZZY (a typo or two, "
    "or a transposed date), PHONETIC (sounds alike), PREFIX (search-as-you-type)."
))
class MatchKind(enum.Enum):
    EXACT = "exact"
    NICKNAME = "nickname"
    FUZZY = "fuzzy"
    PHONETIC = "phonetic"
    PREFIX = "prefix"


@strawberry.enum(description="A searchable field of a customer.")
class SearchField(enum.Enum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    DATE_OF_BIRTH = "date_of_birth"
    PHONE = "phone"
    STREET = "street"
    CITY = "city"
    STATE = "state"
    ZIP_CODE = "zip_code"


@strawberry.enum(description=(
    "AGREE, PARTIAL (a nickname, a typo, a transposed date, the same ZIP area), DISAGREE, or MISSING "
    "(not given, or the customer has none: no evidence either way)."
))
class MatchAgreement(enum.Enum):
    AGREE = "agree"
    PARTIAL = "partial"
    DISAGREE = "disagree"
    MISSING = "missing"


ACCOUNT_TYPES = EnumMap(model.AccountType, AccountType, {
    model.AccountType.CHECKING: AccountType.CHECKING, model.AccountType.SAVINGS: AccountType.SAVINGS,
    model.AccountType.INVESTMENT: AccountType.INVESTMENT, model.AccountType.CREDIT_CARD: AccountType.CREDIT_CARD,
    model.AccountType.LOAN: AccountType.LOAN,
})
ACCOUNT_STATUSES = EnumMap(model.AccountStatus, AccountStatus, {
    model.AccountStatus.ACTIVE: AccountStatus.ACTIVE, model.AccountStatus.DORMANT: AccountStatus.DORMANT,
    model.AccountStatus.FROZEN: AccountStatus.FROZEN, model.AccountStatus.CLOSED: AccountStatus.CLOSED,
})
PHONE_TYPES = EnumMap(model.PhoneType, PhoneType, {
    model.PhoneType.MOBILE: PhoneType.MOBILE, model.PhoneType.HOME: PhoneType.HOME,
    model.PhoneType.WORK: PhoneType.WORK,
})
SEGMENT_TIERS = EnumMap(insights.Tier, SegmentTier, {
    insights.Tier.PREMIUM: SegmentTier.PREMIUM, insights.Tier.GOLD: SegmentTier.GOLD,
    insights.Tier.SILVER: SegmentTier.SILVER, insights.Tier.BRONZE: SegmentTier.BRONZE,
})
RISK_LEVELS = EnumMap(insights.RiskLevel, RiskLevel, {
    insights.RiskLevel.HIGH: RiskLevel.HIGH, insights.RiskLevel.MEDIUM: RiskLevel.MEDIUM,
    insights.RiskLevel.LOW: RiskLevel.LOW,
})
PRODUCTS = EnumMap(insights.Product, Product, {
    insights.Product.INVESTMENT_ACCOUNT: Product.INVESTMENT_ACCOUNT,
    insights.Product.CREDIT_CARD: Product.CREDIT_CARD,
    insights.Product.SAVINGS_ACCOUNT: Product.SAVINGS_ACCOUNT,
})
VERTEX_LABELS = EnumMap(plan.VertexLabel, VertexLabel, {
    plan.VertexLabel.PERSON: VertexLabel.PERSON, plan.VertexLabel.ACCOUNT: VertexLabel.ACCOUNT,
    plan.VertexLabel.ADDRESS: VertexLabel.ADDRESS, plan.VertexLabel.PHONE: VertexLabel.PHONE,
    plan.VertexLabel.TRANSACTION: VertexLabel.TRANSACTION,
})
EDGE_LABELS = EnumMap(plan.EdgeLabel, EdgeLabel, {
    plan.EdgeLabel.OWNS: EdgeLabel.OWNS, plan.EdgeLabel.LIVES_AT: EdgeLabel.LIVES_AT,
    plan.EdgeLabel.HAS_PHONE: EdgeLabel.HAS_PHONE, plan.EdgeLabel.SENT: EdgeLabel.SENT,
    plan.EdgeLabel.RECEIVED_BY: EdgeLabel.RECEIVED_BY,
})
EDGE_DIRECTIONS = EnumMap(plan.Direction, EdgeDirection, {
    plan.Direction.OUT: EdgeDirection.OUT, plan.Direction.IN: EdgeDirection.IN,
})
RELATIONS = EnumMap(network_plan.Relation, Relation, {
    network_plan.Relation.SHARED_ADDRESS: Relation.SHARED_ADDRESS,
    network_plan.Relation.SHARED_PHONE: Relation.SHARED_PHONE,
    network_plan.Relation.TRANSFERS: Relation.TRANSFERS,
    network_plan.Relation.SHARED_COUNTERPARTY: Relation.SHARED_COUNTERPARTY,
})

MATCH_KINDS = EnumMap(search.MatchKind, MatchKind, {
    search.MatchKind.EXACT: MatchKind.EXACT, search.MatchKind.NICKNAME: MatchKind.NICKNAME,
    search.MatchKind.FUZZY: MatchKind.FUZZY, search.MatchKind.PHONETIC: MatchKind.PHONETIC,
    search.MatchKind.PREFIX: MatchKind.PREFIX,
})
SEARCH_FIELDS = EnumMap(search.SearchField, SearchField, {
    search.SearchField.FIRST_NAME: SearchField.FIRST_NAME, search.SearchField.LAST_NAME: SearchField.LAST_NAME,
    search.SearchField.DATE_OF_BIRTH: SearchField.DATE_OF_BIRTH, search.SearchField.PHONE: SearchField.PHONE,
    search.SearchField.STREET: SearchField.STREET, search.SearchField.CITY: SearchField.CITY,
    search.SearchField.STATE: SearchField.STATE, search.SearchField.ZIP_CODE: SearchField.ZIP_CODE,
})
AGREEMENTS = EnumMap(search.Agreement, MatchAgreement, {
    search.Agreement.AGREE: MatchAgreement.AGREE, search.Agreement.PARTIAL: MatchAgreement.PARTIAL,
    search.Agreement.DISAGREE: MatchAgreement.DISAGREE, search.Agreement.MISSING: MatchAgreement.MISSING,
})

ALL_MAPS: tuple[EnumMap, ...] = (
    ACCOUNT_TYPES, ACCOUNT_STATUSES, PHONE_TYPES, SEGMENT_TIERS, RISK_LEVELS, PRODUCTS,
    VERTEX_LABELS, EDGE_LABELS, EDGE_DIRECTIONS, RELATIONS, MATCH_KINDS, SEARCH_FIELDS, AGREEMENTS,
)

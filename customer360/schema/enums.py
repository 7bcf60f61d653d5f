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
    CHECKING = strawberry.enum_value("checking", description='A current account for everyday payments.')
    SAVINGS = strawberry.enum_value("savings", description='A savings account.')
    INVESTMENT = strawberry.enum_value("investment", description='An investment (brokerage) account.')
    CREDIT_CARD = strawberry.enum_value("credit_card", description='A credit card; its balance is negative when money is owed.')
    LOAN = strawberry.enum_value("loan", description='A loan; its balance is negative: the amount owed.')


@strawberry.enum(description="Whether an account can be used.")
class AccountStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("active", description='In use.')
    DORMANT = strawberry.enum_value("dormant", description='No activity for a long time; still open.')
    FROZEN = strawberry.enum_value("frozen", description='Blocked: no payments in or out.')
    CLOSED = strawberry.enum_value("closed", description='Closed; kept for history.')


@strawberry.enum(description="What kind of line a phone number is.")
class PhoneType(enum.Enum):
    MOBILE = strawberry.enum_value("mobile", description='A mobile number.')
    HOME = strawberry.enum_value("home", description='A landline at home.')
    WORK = strawberry.enum_value("work", description='A work number.')


@strawberry.enum(description="Customer value tier.")
class SegmentTier(enum.Enum):
    PREMIUM = strawberry.enum_value("premium", description='Balance > 100,000 and more than 50 sent transactions (default rules).')
    GOLD = strawberry.enum_value("gold", description='Not premium; balance > 50,000 or more than 30 sent transactions (default rules).')
    SILVER = strawberry.enum_value("silver", description='Not gold; balance > 10,000 or more than 10 sent transactions (default rules).')
    BRONZE = strawberry.enum_value("bronze", description='Everyone else.')


@strawberry.enum(description="Risk level from the risk score.")
class RiskLevel(enum.Enum):
    HIGH = strawberry.enum_value("high", description='Risk score of 40 or more (default rules).')
    MEDIUM = strawberry.enum_value("medium", description='Risk score of 20 to 39 (default rules).')
    LOW = strawberry.enum_value("low", description='Risk score under 20 (default rules).')


@strawberry.enum(description="A product to offer.")
class Product(enum.Enum):
    INVESTMENT_ACCOUNT = strawberry.enum_value("investment_account", description='Offered when the balance is over 50,000 and there is no investment account (default rules).')
    CREDIT_CARD = strawberry.enum_value("credit_card", description='Offered after more than 30 sent transactions without a credit card (default rules).')
    SAVINGS_ACCOUNT = strawberry.enum_value("savings_account", description='Offered when every account is a checking account.')


@strawberry.enum(description="A kind of vertex.")
class VertexLabel(enum.Enum):
    PERSON = strawberry.enum_value("person", description='A customer.')
    ACCOUNT = strawberry.enum_value("account", description='A bank account.')
    ADDRESS = strawberry.enum_value("address", description='A postal address.')
    PHONE = strawberry.enum_value("phone", description='A phone number.')
    TRANSACTION = strawberry.enum_value("transaction", description='A payment from one account to another.')


@strawberry.enum(description=(
    "A kind of edge: person OWNS account, person LIVES_AT address, person HAS_PHONE phone, "
    "account SENT transaction, transaction RECEIVED_BY account."
))
class EdgeLabel(enum.Enum):
    OWNS = strawberry.enum_value("OWNS", description='person -> account: the person owns the account.')
    LIVES_AT = strawberry.enum_value("LIVES_AT", description='person -> address: the person lives there.')
    HAS_PHONE = strawberry.enum_value("HAS_PHONE", description='person -> phone: the person uses the number.')
    SENT = strawberry.enum_value("SENT", description='account -> transaction: the account paid.')
    RECEIVED_BY = strawberry.enum_value("RECEIVED_BY", description='transaction -> account: the account was paid.')


@strawberry.enum(description="OUT: the edge was followed as stored (previous -edge-> this vertex); IN: against it.")
class EdgeDirection(enum.Enum):
    OUT = strawberry.enum_value("out", description='Followed as stored: previous -edge-> this vertex.')
    IN = strawberry.enum_value("in", description='Followed against the stored direction: this -edge-> previous.')


@strawberry.enum(description=(
    "Why two customers are related: they share an address or a phone, moved money between "
    "their accounts, or paid the same account (hub accounts with more than "
    f"{network_plan.MAX_COUNTERPARTY_SENDERS} distinct senders do not count)."
))
class Relation(enum.Enum):
    SHARED_ADDRESS = strawberry.enum_value("SHARED_ADDRESS", description='They live at the same address.')
    SHARED_PHONE = strawberry.enum_value("SHARED_PHONE", description='They are linked to the same phone number.')
    TRANSFERS = strawberry.enum_value("TRANSFERS", description='Money moved between their accounts (either way).')
    SHARED_COUNTERPARTY = strawberry.enum_value("SHARED_COUNTERPARTY", description='Both paid the same account, owned by neither of them (hub accounts excluded).')


@strawberry.enum(description="What to sort customers by.")
class CustomerOrderField(enum.Enum):
    NAME = strawberry.enum_value("name", description='Last name, then first name, then id.')
    TOTAL_BALANCE = strawberry.enum_value("total_balance", description='Total balance over all accounts, then id.')


@strawberry.enum(description="Ascending or descending.")
class SortDirection(enum.Enum):
    ASC = strawberry.enum_value("asc", description='Smallest (or A) first.')
    DESC = strawberry.enum_value("desc", description='Largest (or Z) first.')


@strawberry.enum(description=(
    "How part of the search text met a field: EXACT, NICKNAME (Bob / Robert), FUZZY (a typo or two, "
    "or a transposed date), PHONETIC (sounds alike), PREFIX (search-as-you-type)."
))
class MatchKind(enum.Enum):
    EXACT = strawberry.enum_value("exact", description='The same value (after normalising case, accents, phone and date formats).')
    NICKNAME = strawberry.enum_value("nickname", description='A nickname of the name, or the name of a nickname (Bob / Robert).')
    FUZZY = strawberry.enum_value("fuzzy", description='A typo or two, or a transposed date.')
    PHONETIC = strawberry.enum_value("phonetic", description='Sounds alike (Metaphone).')
    PREFIX = strawberry.enum_value("prefix", description='The start of the value (search-as-you-type, from 2 characters).')


@strawberry.enum(description="A searchable field of a customer.")
class SearchField(enum.Enum):
    FIRST_NAME = strawberry.enum_value("first_name", description='Given name.')
    LAST_NAME = strawberry.enum_value("last_name", description='Family name.')
    DATE_OF_BIRTH = strawberry.enum_value("date_of_birth", description='Date of birth.')
    PHONE = strawberry.enum_value("phone", description='A phone number, compared as digits.')
    STREET = strawberry.enum_value("street", description='Street and number (abbreviations expanded).')
    CITY = strawberry.enum_value("city", description='City.')
    STATE = strawberry.enum_value("state", description='Two-letter US state.')
    ZIP_CODE = strawberry.enum_value("zip_code", description='ZIP code.')


@strawberry.enum(description=(
    "AGREE, PARTIAL (a nickname, a typo, a transposed date, the same ZIP area), DISAGREE, or MISSING "
    "(not given, or the customer has none: no evidence either way)."
))
class MatchAgreement(enum.Enum):
    AGREE = strawberry.enum_value("agree", description='The values are the same.')
    PARTIAL = strawberry.enum_value("partial", description='Close: a nickname, a typo, a transposed date, the same ZIP area.')
    DISAGREE = strawberry.enum_value("disagree", description='The values differ.')
    MISSING = strawberry.enum_value("missing", description='Not given, or the customer has none: no evidence either way.')


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

"""GraphQL types of the computed insights; every value carries the reasons that produced it."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from customer360 import insights
from customer360.insights.profile import CustomerInsights
from customer360.schema.enums import (
    PRODUCTS,
    RISK_LEVELS,
    SEGMENT_TIERS,
    Product,
    RiskLevel,
    SegmentTier,
)


@strawberry.type(description="A rule that fired and the values that fired it.")
class Reason:
    rule: str = strawberry.field(description="Stable rule id, e.g. segment.premium or risk.high_volume.")
    detail: str = strawberry.field(description="The values compared, e.g. 'total balance 150,000.00 > 100,000.00'.")

    @classmethod
    def of(cls, reason: insights.Reason) -> "Reason":
        return cls(rule=reason.rule, detail=reason.detail)


@strawberry.type(description="Sent transactions are those sent from the customer's accounts.")
class CustomerMetrics:
    num_accounts: int = strawberry.field(description="Accounts the customer owns.")
    total_balance: Decimal = strawberry.field(description=(
        "Sum of the balances of all their accounts (negative balances of loans and cards count), a decimal string."
    ))
    num_transactions: int = strawberry.field(description="Transactions sent from any of their accounts.")
    total_volume: Decimal = strawberry.field(description="Sum of the amounts of those transactions, a decimal string.")
    avg_transaction: Decimal = strawberry.field(description=(
        "total volume / number of transactions, rounded to the cent (half to even); 0.00 when none."
    ))


@strawberry.type(description="The customer's value tier and the rule lines that placed them there.")
class Segment:
    tier: SegmentTier = strawberry.field(description="The tier (thresholds from the rules file, C360_RULES).")
    reasons: list[Reason] = strawberry.field(description="The rule that decided the tier, with the figures compared.")


@strawberry.type(description="The customer's risk score and level, and every rule that added points.")
class Risk:
    score: int = strawberry.field(description="The points of every rule that fired, added up (0 to 55 with the default rules).")
    level: RiskLevel = strawberry.field(description="HIGH, MEDIUM or LOW from the score.")
    reasons: list[Reason] = strawberry.field(description=(
        "One line per rule that added points, then the line that set the level."
    ))


@strawberry.type(description="A product worth offering this customer, and why.")
class Recommendation:
    product: Product = strawberry.field(description="The product.")
    reason: Reason = strawberry.field(description="The cross-sell rule that suggests it, with the figures.")


def metrics_of(result: CustomerInsights) -> CustomerMetrics:
    m = result.metrics
    return CustomerMetrics(
        num_accounts=m.num_accounts, total_balance=m.total_balance, num_transactions=m.num_transactions,
        total_volume=m.total_volume, avg_transaction=m.avg_transaction,
    )


def segment_of(result: CustomerInsights) -> Segment:
    return Segment(tier=SEGMENT_TIERS.to_public(result.segment.tier), reasons=[Reason.of(r) for r in result.segment.reasons])


def risk_of(result: CustomerInsights) -> Risk:
    return Risk(score=result.risk.score, level=RISK_LEVELS.to_public(result.risk.level), reasons=[Reason.of(r) for r in result.risk.reasons])


def recommendations_of(result: CustomerInsights) -> list[Recommendation]:
    return [
        Recommendation(product=PRODUCTS.to_public(r.product), reason=Reason.of(r.reason)) for r in result.recommendations
    ]


@strawberry.type(description="One tier of the bank's customers.")
class SegmentSummary:
    tier: SegmentTier = strawberry.field(description="The tier.")
    customers: int = strawberry.field(description="Customers in the tier.")
    total_balance: Decimal = strawberry.field(description="Their balances added up, a decimal string.")


@strawberry.type(description="One risk level of the bank's customers.")
class RiskLevelSummary:
    level: RiskLevel = strawberry.field(description="The level.")
    customers: int = strawberry.field(description="Customers at that level.")


@strawberry.type(description="The bank at a glance; maintained at load time, never computed per request.")
class Portfolio:
    customers: int = strawberry.field(description="Customers (persons) in the graph.")
    accounts: int = strawberry.field(description="Accounts in the graph.")
    total_balance: Decimal = strawberry.field(description="All balances added up, a decimal string.")
    avg_balance_per_customer: Decimal = strawberry.field(description="total balance / customers, to the cent.")
    transactions: int = strawberry.field(description="Transactions in the graph.")
    total_volume: Decimal = strawberry.field(description="All transaction amounts added up, a decimal string.")
    avg_transaction: Decimal = strawberry.field(description="total volume / transactions, to the cent.")
    segments: list[SegmentSummary] = strawberry.field(description="Customers and balance per value tier.")
    risk_levels: list[RiskLevelSummary] = strawberry.field(description="Customers per risk level.")
    cross_sell_opportunities: int = strawberry.field(description="Customers with at least one recommendation.")
    shared_addresses: int = strawberry.field(description="Addresses with more than one resident.")
    shared_phones: int = strawberry.field(description="Phones linked to more than one person.")
    shared_counterparties: int = strawberry.field(description="Accounts receiving from more than one sender.")

    @classmethod
    def of(cls, snapshot: dict) -> "Portfolio":
        return cls(
            customers=snapshot["customers"],
            accounts=snapshot["accounts"],
            total_balance=Decimal(snapshot["totalBalance"]),
            avg_balance_per_customer=Decimal(snapshot["avgBalancePerCustomer"]),
            transactions=snapshot["transactions"],
            total_volume=Decimal(snapshot["totalVolume"]),
            avg_transaction=Decimal(snapshot["avgTransaction"]),
            segments=[
                SegmentSummary(tier=SEGMENT_TIERS.to_public(insights.Tier[s["tier"]]), customers=s["customers"],
                               total_balance=Decimal(s["totalBalance"]))
                for s in snapshot["segments"]
            ],
            risk_levels=[
                RiskLevelSummary(level=RISK_LEVELS.to_public(insights.RiskLevel[r["level"]]), customers=r["customers"])
                for r in snapshot["riskLevels"]
            ],
            cross_sell_opportunities=snapshot["crossSellOpportunities"],
            shared_addresses=snapshot["sharedAddresses"],
            shared_phones=snapshot["sharedPhones"],
            shared_counterparties=snapshot["sharedCounterparties"],
        )

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
    num_accounts: int
    total_balance: Decimal
    num_transactions: int
    total_volume: Decimal
    avg_transaction: Decimal


@strawberry.type
class Segment:
    tier: SegmentTier
    reasons: list[Reason]


@strawberry.type
class Risk:
    score: int
    level: RiskLevel
    reasons: list[Reason]


@strawberry.type
class Recommendation:
    product: Product
    reason: Reason


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


@strawberry.type
class SegmentSummary:
    tier: SegmentTier
    customers: int
    total_balance: Decimal


@strawberry.type
class RiskLevelSummary:
    level: RiskLevel
    customers: int


@strawberry.type(description="The bank at a glance; maintained at load time, never computed per request.")
class Portfolio:
    customers: int
    accounts: int
    total_balance: Decimal
    avg_balance_per_customer: Decimal
    transactions: int
    total_volume: Decimal
    avg_transaction: Decimal
    segments: list[SegmentSummary]
    risk_levels: list[RiskLevelSummary]
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

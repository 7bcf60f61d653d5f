"""The dashboard: bank-wide totals plus per-segment and per-risk-level counts.

Built in one pass over every customer's insights (at load time, not per request), so the
dashboard never scans transactions while someone waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from customer360.insights.profile import CustomerInsights
from customer360.insights.risk import RiskLevel
from customer360.insights.segment import Tier

_CENT = Decimal("0.01")


@dataclass
class PortfolioBuilder:
    customers: int = 0
    total_balance: Decimal = Decimal("0.00")
    cross_sell_opportunities: int = 0
    segment_customers: dict[Tier, int] = field(default_factory=lambda: {t: 0 for t in Tier})
    segment_balance: dict[Tier, Decimal] = field(default_factory=lambda: {t: Decimal("0.00") for t in Tier})
    risk_customers: dict[RiskLevel, int] = field(default_factory=lambda: {r: 0 for r in RiskLevel})

    def add(self, insights: CustomerInsights) -> None:
        tier = insights.segment.tier
        self.customers += 1
        self.total_balance += insights.metrics.total_balance
        self.segment_customers[tier] += 1
        self.segment_balance[tier] += insights.metrics.total_balance
        self.risk_customers[insights.risk.level] += 1
        if insights.recommendations:
            self.cross_sell_opportunities += 1

    def to_json(
        self, *, accounts: int, transactions: int, total_volume: Decimal,
        shared_addresses: int, shared_phones: int, shared_counterparties: int,
    ) -> dict:
        """A JSON-ready snapshot; money as decimal strings, averages rounded to the cent."""
        def average(total: Decimal, count: int) -> str:
            return str((total / count).quantize(_CENT, rounding=ROUND_HALF_EVEN)) if count else "0.00"

        return {
            "customers": self.customers,
            "accounts": accounts,
            "totalBalance": str(self.total_balance),
            "avgBalancePerCustomer": average(self.total_balance, self.customers),
            "transactions": transactions,
            "totalVolume": str(total_volume),
            "avgTransaction": average(total_volume, transactions),
            "segments": [
                {"tier": t.name, "customers": self.segment_customers[t], "totalBalance": str(self.segment_balance[t])}
                for t in Tier
            ],
            "riskLevels": [{"level": r.name, "customers": self.risk_customers[r]} for r in RiskLevel],
            "crossSellOpportunities": self.cross_sell_opportunities,
            "sharedAddresses": shared_addresses,
            "sharedPhones": shared_phones,
            "sharedCounterparties": shared_counterparties,
        }

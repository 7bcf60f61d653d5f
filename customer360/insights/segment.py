"""Customer segment (Premium, Gold, Silver, Bronze) with the rule line that decided it."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from customer360.insights.metrics import CustomerMetrics
from customer360.insights.reasons import Reason, count, money
from customer360.insights.rules import SegmentRules


class Tier(enum.Enum):
    PREMIUM = "premium"
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"


@dataclass(frozen=True, slots=True)
class Segment:
    tier: Tier
    reasons: tuple[Reason, ...]


def classify_segment(m: CustomerMetrics, rules: SegmentRules) -> Segment:
    """Premium if balance AND transactions exceed the premium thresholds; else Gold if balance
    OR transactions exceed the gold ones; else Silver likewise; else Bronze.

    The reason names the values that fired the rule, e.g. ``segment.premium``: "total balance
    150,000.00 > 100,000.00 and 62 transactions > 50"; for Gold and Silver only the
    condition(s) that actually fired are listed. Bronze says no higher rule fired, with the
    customer's values and the bounds they stayed at or below.
    """
    balance, txns = m.total_balance, m.num_transactions

    if balance > rules.premium_min_balance and txns > rules.premium_min_transactions:
        detail = (
            f"{_balance_vs(m, rules.premium_min_balance, '>')} and "
            f"{_txns_vs(m, rules.premium_min_transactions, '>')}"
        )
        return Segment(Tier.PREMIUM, (Reason("segment.premium", detail),))

    for tier, min_balance, min_txns in (
        (Tier.GOLD, rules.gold_min_balance, rules.gold_min_transactions),
        (Tier.SILVER, rules.silver_min_balance, rules.silver_min_transactions),
    ):
        fired = []
        if balance > min_balance:
            fired.append(_balance_vs(m, min_balance, ">"))
        if txns > min_txns:
            fired.append(_txns_vs(m, min_txns, ">"))
        if fired:
            return Segment(tier, (Reason(f"segment.{tier.value}", " and ".join(fired)),))

    # Neither Gold nor Silver fired, so the balance is at or below both balance thresholds
    # and the count at or below both count thresholds. Premium failing follows from that
    # whenever its thresholds are not the lowest; otherwise say which half of it failed.
    balance_bound = min(rules.gold_min_balance, rules.silver_min_balance)
    txns_bound = min(rules.gold_min_transactions, rules.silver_min_transactions)
    detail = f"no higher rule fired: {_balance_vs(m, balance_bound, '<=')} and {_txns_vs(m, txns_bound, '<=')}"
    if rules.premium_min_balance < balance_bound and rules.premium_min_transactions < txns_bound:
        if balance <= rules.premium_min_balance:
            detail += f" (premium: {_balance_vs(m, rules.premium_min_balance, '<=')})"
        else:
            detail += f" (premium: {_txns_vs(m, rules.premium_min_transactions, '<=')})"
    return Segment(Tier.BRONZE, (Reason("segment.bronze", detail),))


def _balance_vs(m: CustomerMetrics, threshold, op: str) -> str:
    return f"total balance {money(m.total_balance, beside=threshold)} {op} {money(threshold)}"


def _txns_vs(m: CustomerMetrics, threshold: int, op: str) -> str:
    return f"{count(m.num_transactions, 'transaction')} {op} {threshold:,}"

"""Risk score and level, with one reason per rule that added points and one for the level."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from customer360.insights.metrics import CustomerMetrics
from customer360.insights.reasons import Reason, count, money
from customer360.insights.rules import RiskRules


class RiskLevel(enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Risk:
    score: int
    level: RiskLevel
    reasons: tuple[Reason, ...]


def assess_risk(m: CustomerMetrics, rules: RiskRules) -> Risk:
    """Sum the points of every rule whose threshold the customer strictly exceeds, then place
    the score: High at ``>= high_level_min_score``, Medium at ``>= medium_level_min_score``,
    else Low.

    Reasons, in rule order: ``risk.high_volume`` "total volume 150,000.00 > 100,000.00: +20",
    ``risk.frequent_transactions`` "62 transactions > 50: +15", ``risk.large_average``
    "average transaction 6,000.00 > 5,000.00: +10", ``risk.many_accounts`` "4 accounts > 3: +10"
    (only those that fired), then ``risk.level.high`` "score 45 >= 40" /
    ``risk.level.medium`` "score 25 >= 20 and < 40" / ``risk.level.low`` "score 10 < 20".
    """
    checks = (
        (
            "risk.high_volume",
            m.total_volume > rules.high_volume,
            rules.high_volume_points,
            lambda: f"total volume {money(m.total_volume, beside=rules.high_volume)} > {money(rules.high_volume)}",
        ),
        (
            "risk.frequent_transactions",
            m.num_transactions > rules.frequent_transactions,
            rules.frequent_transactions_points,
            lambda: f"{count(m.num_transactions, 'transaction')} > {rules.frequent_transactions:,}",
        ),
        (
            "risk.large_average",
            m.avg_transaction > rules.large_average,
            rules.large_average_points,
            lambda: (
                f"average transaction {money(m.avg_transaction, beside=rules.large_average)} "
                f"> {money(rules.large_average)}"
            ),
        ),
        (
            "risk.many_accounts",
            m.num_accounts > rules.many_accounts,
            rules.many_accounts_points,
            lambda: f"{count(m.num_accounts, 'account')} > {rules.many_accounts:,}",
        ),
    )
    score = 0
    reasons: list[Reason] = []
    for rule, fired, points, describe in checks:
        if fired:
            score += points
            reasons.append(Reason(rule, f"{describe()}: +{points}"))

    high, medium = rules.high_level_min_score, rules.medium_level_min_score
    if score >= high:
        level, detail = RiskLevel.HIGH, f"score {score} >= {high}"
    elif score >= medium:
        level, detail = RiskLevel.MEDIUM, f"score {score} >= {medium} and < {high}"
    else:
        level, detail = RiskLevel.LOW, f"score {score} < {medium}"
    reasons.append(Reason(f"risk.level.{level.value}", detail))
    return Risk(score, level, tuple(reasons))

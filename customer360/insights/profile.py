"""Everything computed for one customer from their metrics, under one set of rules.

The GraphQL fields, the stored tier/level used by the ``customers`` filters and the
dashboard all call :func:`evaluate`, so a filter can never disagree with the field it filters.
"""

from __future__ import annotations

from dataclasses import dataclass

from customer360.insights.metrics import CustomerMetrics
from customer360.insights.recommendations import Recommendation, recommend_products
from customer360.insights.risk import Risk, assess_risk
from customer360.insights.rules import Rules
from customer360.insights.segment import Segment, classify_segment


@dataclass(frozen=True, slots=True)
class CustomerInsights:
    metrics: CustomerMetrics
    segment: Segment
    risk: Risk
    recommendations: tuple[Recommendation, ...]


def evaluate(metrics: CustomerMetrics, rules: Rules) -> CustomerInsights:
    return CustomerInsights(
        metrics=metrics,
        segment=classify_segment(metrics, rules.segment),
        risk=assess_risk(metrics, rules.risk),
        recommendations=recommend_products(metrics, rules.cross_sell),
    )

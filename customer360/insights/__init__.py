"""Pure business rules over one customer's figures: segment, risk, cross-sell.

Nothing here imports Strawberry or a graph store: resolvers aggregate a customer's
accounts and sent transactions into ``CustomerMetrics`` and call these functions with the
configured ``Rules`` (``load_rules()``; defaults from the reference notebook). Every result
carries ``Reason``s naming the rule lines that fired and the values that fired them.
"""

from customer360.insights.metrics import CustomerMetrics
from customer360.insights.reasons import Reason
from customer360.insights.recommendations import (
    Product,
    Recommendation,
    recommend_products,
)
from customer360.insights.risk import Risk, RiskLevel, assess_risk
from customer360.insights.rules import (
    DEFAULT_RULES,
    CrossSellRules,
    RiskRules,
    Rules,
    SegmentRules,
    load_rules,
)
from customer360.insights.segment import Segment, Tier, classify_segment

__all__ = [
    "DEFAULT_RULES",
    "CrossSellRules",
    "CustomerMetrics",
    "Product",
    "Reason",
    "Recommendation",
    "Risk",
    "RiskLevel",
    "RiskRules",
    "Rules",
    "Segment",
    "SegmentRules",
    "Tier",
    "assess_risk",
    "classify_segment",
    "load_rules",
    "recommend_products",
]

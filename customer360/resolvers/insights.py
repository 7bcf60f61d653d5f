"""Resolver logic for the computed fields: metrics, segment, risk, recommendations, dashboard.

Metrics for every person at a selection level come from one batched store call; the rules
are the store's configured ones, the same the stored tiers (used by filters) came from.
"""

from __future__ import annotations

from customer360.graphstore.insight_cache import metrics_of
from customer360.insights.profile import CustomerInsights, evaluate
from customer360.resolvers.context import RequestContext
from customer360.resolvers.errors import NotFound


async def customer_insights(ctx: RequestContext, person_id: str) -> CustomerInsights:
    row = await ctx.loaders.person_metrics(person_id)
    if row is None:
        raise NotFound(f"metrics: no person with id {person_id!r}")
    return evaluate(metrics_of(row), ctx.store.rules)


async def portfolio(ctx: RequestContext) -> dict:
    snapshot = await ctx.store.portfolio()
    if snapshot is None:
        raise NotFound("portfolio: the graph is empty; load a bank first (c360 load DIR)")
    return snapshot

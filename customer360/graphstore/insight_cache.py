"""Keeps each person's stored segment tier and risk level, and the dashboard, in step.

Filtering customers by tier or risk, and the dashboard, must not evaluate every customer
(or scan every transaction) per request. So after every load, and whenever the configured
rules differ from the ones the stored values were computed with, this module evaluates every
customer once with the same :func:`customer360.insights.profile.evaluate` the GraphQL fields
use, writes tier and level back to the store, and caches the dashboard snapshot.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

from customer360.graphstore.plan import BankTotals, MetricsRow
from customer360.insights import CustomerMetrics, Rules
from customer360.insights.portfolio import PortfolioBuilder
from customer360.insights.profile import evaluate
from customer360.model import from_cents

FINGERPRINT = "insights_fingerprint"
DATA_VERSION = "data_version"
PORTFOLIO = "portfolio"


class InsightTarget(Protocol):
    def iter_person_metrics(self, batch_size: int): ...
    def write_person_insights(self, rows: list[tuple[str, str, str]]) -> None: ...
    def bank_totals(self) -> BankTotals: ...
    def read_state(self, key: str) -> str | None: ...
    def write_state(self, key: str, value: str) -> None: ...


def metrics_of(row: MetricsRow) -> CustomerMetrics:
    return CustomerMetrics.from_totals(
        num_accounts=row.num_accounts,
        total_balance=from_cents(row.total_balance_cents),
        num_transactions=row.num_transactions,
        total_volume=from_cents(row.total_volume_cents),
        account_types=row.account_types,
    )


def fingerprint(rules: Rules, data_version: str | None) -> str:
    digest = hashlib.sha256(repr(rules).encode()).hexdigest()[:16]
    return f"{digest}:{data_version or 0}"


def refresh_insights(store: InsightTarget, rules: Rules, batch_size: int = 2000) -> dict:
    """Evaluate every customer, store tier and level, cache the dashboard; returns it."""
    builder = PortfolioBuilder()
    for batch in store.iter_person_metrics(batch_size):
        rows: list[tuple[str, str, str]] = []
        for row in batch:
            insights = evaluate(metrics_of(row), rules)
            builder.add(insights)
            rows.append((row.person_id, insights.segment.tier.value, insights.risk.level.value))
        store.write_person_insights(rows)
    totals = store.bank_totals()
    snapshot = builder.to_json(
        accounts=totals.accounts,
        transactions=totals.transactions,
        total_volume=from_cents(totals.total_volume_cents),
        shared_addresses=totals.shared_addresses,
        shared_phones=totals.shared_phones,
        shared_counterparties=totals.shared_counterparties,
    )
    store.write_state(PORTFOLIO, json.dumps(snapshot))
    store.write_state(FINGERPRINT, fingerprint(rules, store.read_state(DATA_VERSION)))
    return snapshot


def ensure_insights_current(store: InsightTarget, rules: Rules) -> bool:
    """Refresh when the stored values came from other rules or older data; True if it did."""
    if store.read_state(FINGERPRINT) == fingerprint(rules, store.read_state(DATA_VERSION)):
        return False
    refresh_insights(store, rules)
    return True


def bump_data_version(store: InsightTarget) -> None:
    store.write_state(DATA_VERSION, str(int(store.read_state(DATA_VERSION) or 0) + 1))

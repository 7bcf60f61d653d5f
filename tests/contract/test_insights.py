"""Computed fields and the dashboard, compared value by value with the plain-pandas reference.

The reference (tests/reference/pandas_bank.py) is the notebook's logic written
independently, with the account-type case bug fixed. It runs on every store through the
``store`` fixture's bank (further seeds and edited rules: ``tests/integration/test_insights_sqlite.py``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import run_query
from tests.reference import pandas_bank
from tests.reference.profiles import all_profiles, assert_matches_reference, cents

PORTFOLIO = """
{ portfolio { customers accounts totalBalance avgBalancePerCustomer transactions totalVolume avgTransaction
  segments { tier customers totalBalance } riskLevels { level customers }
  crossSellOpportunities sharedAddresses sharedPhones sharedCounterparties } }
"""


async def test_every_customer_matches_the_pandas_reference(client, bank_dir: Path):
    reference = pandas_bank.customer_table(bank_dir)
    profiles = await all_profiles(client)
    assert_matches_reference(profiles, reference)
    # the bank exercises the rules: more than one tier, level and product appear
    assert reference.segment.nunique() >= 3 and reference.risk_level.nunique() >= 2
    assert {p for recs in reference.recommendations for p in recs} >= {"INVESTMENT_ACCOUNT", "SAVINGS_ACCOUNT"}


async def test_reasons_name_the_rule_and_its_values(client, bank_dir: Path):
    reference = pandas_bank.customer_table(bank_dir)
    profiles = await all_profiles(client)
    premium_or_gold = reference[reference.segment.isin(["PREMIUM", "GOLD"])].index[0]
    reasons = profiles[premium_or_gold]["segment"]["reasons"]
    tier = profiles[premium_or_gold]["segment"]["tier"].lower()
    assert reasons and all(r["rule"].startswith(f"segment.{tier}") for r in reasons)
    figures = f"{cents(reference.loc[premium_or_gold].total_balance):,}"
    count = str(reference.loc[premium_or_gold].num_transactions)
    assert any(figures in r["detail"] or count in r["detail"] for r in reasons)
    for profile in profiles.values():
        risk_rules = [r["rule"] for r in profile["risk"]["reasons"]]
        assert risk_rules[-1].startswith("risk.level."), risk_rules  # the level always says why
        for recommendation in profile["recommendations"]:
            assert recommendation["reason"]["rule"] == f"cross_sell.{recommendation['product'].lower()}"


async def test_insights_cost_one_call_for_all_customers_of_a_page(client):
    body = await run_query(
        client, "{ customers(first: 200) { edges { node { segment { tier } risk { level } recommendations { product } metrics { numAccounts } } } } }",
        explain=True,
    )
    assert "errors" not in body, body
    operations = [c["operation"] for c in body["extensions"]["explain"]["calls"]]
    assert operations == ["find_persons", "person_metrics"]


async def test_portfolio_matches_the_reference(client, bank_dir: Path):
    expected = pandas_bank.portfolio(bank_dir)
    body = await run_query(client, PORTFOLIO, explain=True)
    assert "errors" not in body, body
    got = body["data"]["portfolio"]
    assert got["customers"] == expected["customers"]
    assert got["accounts"] == expected["accounts"]
    assert Decimal(got["totalBalance"]) == cents(expected["total_balance"])
    assert Decimal(got["avgBalancePerCustomer"]) == cents(expected["avg_balance_per_customer"])
    assert got["transactions"] == expected["transactions"]
    assert Decimal(got["totalVolume"]) == cents(expected["total_volume"])
    assert Decimal(got["avgTransaction"]) == cents(expected["avg_transaction"])
    assert {s["tier"]: (s["customers"], Decimal(s["totalBalance"])) for s in got["segments"]} == {
        tier: (n, cents(balance)) for tier, (n, balance) in expected["segments"].items()
    }
    assert {r["level"]: r["customers"] for r in got["riskLevels"]} == expected["risk_levels"]
    assert got["crossSellOpportunities"] == expected["cross_sell_opportunities"]
    assert got["sharedAddresses"] == expected["shared_addresses"]
    assert got["sharedPhones"] == expected["shared_phones"]
    assert got["sharedCounterparties"] == expected["shared_counterparties"]
    # served from the cache maintained at load time: one small read, no scan of transactions
    calls = body["extensions"]["explain"]["calls"]
    assert [c["operation"] for c in calls] == ["read_state"] and calls[0]["rows"] == 1


@pytest.mark.parametrize("tier", ["PREMIUM", "GOLD", "SILVER", "BRONZE"])
async def test_customers_filter_by_segment(client, bank_dir: Path, tier: str):
    reference = pandas_bank.customer_table(bank_dir)
    body = await run_query(
        client, "query($t: SegmentTier!) { customers(first: 500, filter: {segment: $t}) { totalCount edges { node { id segment { tier } } } } }",
        {"t": tier},
    )
    got = body["data"]["customers"]
    assert {e["node"]["id"] for e in got["edges"]} == set(reference[reference.segment == tier].index)
    assert all(e["node"]["segment"]["tier"] == tier for e in got["edges"])


@pytest.mark.parametrize("level", ["HIGH", "MEDIUM", "LOW"])
async def test_customers_filter_by_risk_level(client, bank_dir: Path, level: str):
    reference = pandas_bank.customer_table(bank_dir)
    body = await run_query(
        client, "query($l: RiskLevel!) { customers(first: 500, filter: {riskLevel: $l}) { totalCount edges { node { id } } } }",
        {"l": level},
    )
    assert {e["node"]["id"] for e in body["data"]["customers"]["edges"]} == set(reference[reference.risk_level == level].index)

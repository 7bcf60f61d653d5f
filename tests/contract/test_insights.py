"""Computed fields and the dashboard, compared value by value with the plain-pandas reference.

The reference (tests/reference/pandas_bank.py) is the notebook's logic written
independently, with the account-type case bug fixed. It runs on every store through the
``store`` fixture's bank, and on SQLite over banks of further seeds.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from customer360.config import GraphUrl, Settings
from customer360.generator import generate_bank
from customer360.graphstore.backends import open_store
from customer360.ingest.load import load_bank
from customer360.insights import load_rules
from tests.conftest import run_query
from tests.reference import pandas_bank

PROFILE = """
query($after: String) { customers(first: 500, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { id
    metrics { numAccounts totalBalance numTransactions totalVolume avgTransaction }
    segment { tier reasons { rule detail } }
    risk { score level reasons { rule detail } }
    recommendations { product reason { rule detail } }
  } } } }
"""

PORTFOLIO = """
{ portfolio { customers accounts totalBalance avgBalancePerCustomer transactions totalVolume avgTransaction
  segments { tier customers totalBalance } riskLevels { level customers }
  crossSellOpportunities sharedAddresses sharedPhones sharedCounterparties } }
"""


def cents(value: float | str | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def all_profiles(client) -> dict[str, dict]:
    profiles: dict[str, dict] = {}
    after = None
    while True:
        body = await run_query(client, PROFILE, {"after": after})
        assert "errors" not in body, body["errors"]
        page = body["data"]["customers"]
        profiles.update({e["node"]["id"]: e["node"] for e in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            return profiles
        after = page["pageInfo"]["endCursor"]


def assert_matches_reference(profiles: dict[str, dict], reference: pd.DataFrame) -> None:
    assert set(profiles) == set(reference.index)
    for person_id, expected in reference.iterrows():
        got = profiles[person_id]
        m = got["metrics"]
        assert m["numAccounts"] == expected.num_accounts, person_id
        assert Decimal(m["totalBalance"]) == cents(expected.total_balance), person_id
        assert m["numTransactions"] == expected.num_transactions, person_id
        assert Decimal(m["totalVolume"]) == cents(expected.total_volume), person_id
        assert Decimal(m["avgTransaction"]) == cents(round(expected.avg_transaction, 2)), person_id
        assert got["segment"]["tier"] == expected.segment, person_id
        assert got["risk"]["score"] == expected.risk_score, person_id
        assert got["risk"]["level"] == expected.risk_level, person_id
        assert tuple(r["product"] for r in got["recommendations"]) == tuple(expected.recommendations), person_id


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


# ------------------------------------------------------------------ more seeds, and rules as configuration


@pytest.fixture(scope="module", params=[3, 29])
def seeded_sqlite(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"seed{request.param}")
    generate_bank(folder / "csv", 400, request.param, progress=False)
    store = open_store(GraphUrl.parse(f"sqlite:///{folder / 'g.db'}"))
    load_bank(folder / "csv", store, progress=False)
    yield folder / "csv", store
    store.close()


async def test_other_seeds_match_the_reference_on_sqlite(seeded_sqlite):
    import httpx

    from customer360.app import create_app

    bank, store = seeded_sqlite
    app = create_app(Settings(), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert_matches_reference(await all_profiles(client), pandas_bank.customer_table(bank))


async def test_changed_thresholds_move_fields_filters_and_dashboard_together(bank_dir: Path, tmp_path: Path):
    """A bank edits the rules file; the service follows without code changes or a reload."""
    import httpx

    from customer360.app import create_app

    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[segment]\ngold_min_balance = 1000000\ngold_min_transactions = 1000\n")
    db = tmp_path / "g.db"
    store = open_store(GraphUrl.parse(f"sqlite:///{db}"))
    load_bank(bank_dir, store, progress=False)
    store.close()

    settings = Settings(graph=GraphUrl.parse(f"sqlite:///{db}"), rules_file=rules_file)
    store = open_store(settings.graph, settings)  # rules differ from the stored ones: refreshed on open
    assert store.rules == load_rules(rules_file)
    reference = pandas_bank.customer_table(bank_dir)
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        profiles = await all_profiles(client)
        gold = await run_query(client, "{ customers(first: 500, filter: {segment: GOLD}) { edges { node { id } } } }")
        dashboard = await run_query(client, "{ portfolio { segments { tier customers } } }")
    store.close()
    was_gold = set(reference[reference.segment == "GOLD"].index)
    assert was_gold and all(profiles[p]["segment"]["tier"] != "GOLD" for p in was_gold)
    assert gold["data"]["customers"]["edges"] == []
    assert {s["tier"]: s["customers"] for s in dashboard["data"]["portfolio"]["segments"]}["GOLD"] == 0

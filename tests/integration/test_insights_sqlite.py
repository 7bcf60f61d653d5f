"""Insights on the embedded SQLite store beyond the contract bank: other seeds match the pandas
reference, and an edited rules file moves fields, filters and the dashboard together."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.config import GraphUrl, Settings
from customer360.generator import generate_bank
from customer360.graphstore.backends import open_store
from customer360.ingest.load import load_bank
from customer360.insights import load_rules
from tests.conftest import run_query
from tests.reference import pandas_bank
from tests.reference.profiles import all_profiles, assert_matches_reference


@pytest.fixture(scope="module", params=[3, 29])
def seeded_sqlite(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"seed{request.param}")
    generate_bank(folder / "csv", 400, request.param, progress=False)
    store = open_store(GraphUrl.parse(f"sqlite:///{folder / 'g.db'}"))
    load_bank(folder / "csv", store, progress=False)
    yield folder / "csv", store
    store.close()


async def test_other_seeds_match_the_reference_on_sqlite(seeded_sqlite):
    bank, store = seeded_sqlite
    app = create_app(Settings(), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert_matches_reference(await all_profiles(client), pandas_bank.customer_table(bank))


async def test_changed_thresholds_move_fields_filters_and_dashboard_together(bank_dir: Path, tmp_path: Path):
    """A bank edits the rules file; the service follows without code changes or a reload."""
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

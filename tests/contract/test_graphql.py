"""The GraphQL API, run against every store, checked against the CSV files with pandas.

Expected values are computed independently from the generated CSVs, never copied from a
previous run, so a store or resolver that drops, duplicates or misorders rows fails here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_query

NESTED = """
query Nested($first: Int!) {
  customers(first: $first) {
    edges { node { id accounts { id sent(first: 5) { edges { node { id to { id owner { id name } } } } } } } }
  }
}
"""


def frames(bank_dir: Path) -> dict[str, pd.DataFrame]:
    read = lambda name: pd.read_csv(bank_dir / f"aml_data_{name}.csv", dtype=str)  # noqa: E731
    tx = read("transactions")
    tx["amount_d"] = tx["amount"].map(Decimal)
    tx["ts"] = tx["timestamp"].astype(int)
    accounts = read("accounts")
    accounts["balance_d"] = accounts["balance"].map(Decimal)
    return {
        "persons": read("persons"),
        "accounts": accounts,
        "addresses": read("addresses"),
        "phones": read("phones"),
        "transactions": tx,
    }


@pytest.fixture(scope="module")
def bank(bank_dir: Path) -> dict[str, pd.DataFrame]:
    return frames(bank_dir)


def busiest_person(bank: dict[str, pd.DataFrame]) -> str:
    tx = bank["transactions"].merge(bank["accounts"], left_on="from_account_id", right_on="account_id")
    return tx.groupby("owner_person_id").size().sort_values(ascending=False).index[0]

"""One call per selection level, or one call in all where the store builds response trees
(``tests/contract/test_response_tree.py``)."""

NESTED_BY_LEVEL = NESTED.replace("node { id accounts", "node { id segment { tier } accounts")
"""Level by level on every store: a computed insight is not in a response tree."""

# ------------------------------------------------------------------ batching


async def test_nested_query_costs_one_call_per_selection_level(client):
    """customers -> accounts -> sent -> to -> owner: 5 levels, so at most 5 backend calls."""
    body = await run_query(client, NESTED, {"first": 100}, explain=True)
    assert "errors" not in body, body
    customers = body["data"]["customers"]["edges"]
    accounts = [a for c in customers for a in c["node"]["accounts"]]
    sent = [t for a in accounts for t in a["sent"]["edges"]]
    assert len(customers) == 100 and len(accounts) > 100 and len(sent) > 100  # many rows per level
    explain = body["extensions"]["explain"]
    assert explain["totalCalls"] <= 5
    assert explain["totalCalls"] == len(explain["calls"])


async def test_calls_do_not_grow_with_rows(client):
    small = await run_query(client, NESTED, {"first": 5}, explain=True)
    large = await run_query(client, NESTED, {"first": 200}, explain=True)
    assert small["extensions"]["explain"]["totalCalls"] == large["extensions"]["explain"]["totalCalls"]


async def test_explain_shows_query_text_parameters_rows_and_time(client):
    body = await run_query(client, NESTED_BY_LEVEL, {"first": 3}, explain=True)
    calls = body["extensions"]["explain"]["calls"]
    for call in calls:
        assert set(call) >= {"operation", "backend", "query", "params", "rows", "ms"}
        assert call["ms"] >= 0
    assert calls[0]["rows"] >= 3
    # the batch of parent keys travels as a parameter, shown apart, never pasted into the text
    person_ids = [e["node"]["id"] for e in body["data"]["customers"]["edges"]]
    accounts_call = calls[1]
    assert all(pid in str(accounts_call["params"]) for pid in person_ids)
    assert not any(pid in accounts_call["query"] for pid in person_ids)


async def test_explain_is_absent_unless_asked(client):
    body = await run_query(client, NESTED, {"first": 3})
    assert "explain" not in (body.get("extensions") or {})


# ------------------------------------------------------------------ one customer


async def test_customer_profile_matches_the_csv_files(client, bank):
    person_id = busiest_person(bank)
    body = await run_query(
        client,
        """query($id: ID!) { customer(id: $id) {
             id firstName lastName name dateOfBirth ssn
             accounts { id type balance status owner { id } }
             addresses { id street city state zipCode residents { id } }
             phones { id number type owners { id } }
           } }""",
        {"id": person_id},
    )
    assert "errors" not in body, body
    got = body["data"]["customer"]
    person = bank["persons"].set_index("person_id").loc[person_id]
    assert got["name"] == f"{person.first_name} {person.last_name}"
    assert got["dateOfBirth"] == person.date_of_birth
    assert got["ssn"] == "***-**-" + person.ssn[-4:]
    assert person.ssn not in str(body)

    accounts = bank["accounts"][bank["accounts"].owner_person_id == person_id]
    assert sorted(a["id"] for a in got["accounts"]) == sorted(accounts.account_id)
    for account in got["accounts"]:
        row = accounts.set_index("account_id").loc[account["id"]]
        assert Decimal(account["balance"]) == row.balance_d
        assert account["type"] == row.account_type.upper()
        assert account["owner"]["id"] == person_id

    links = bank["addresses"]
    mine = links[links.person_id == person_id]
    assert sorted(a["id"] for a in got["addresses"]) == sorted(mine.address_id)
    for address in got["addresses"]:
        residents = links[links.address_id == address["id"]].person_id
        assert sorted(r["id"] for r in address["residents"]) == sorted(residents)
        assert address["zipCode"] == mine.set_index("address_id").loc[address["id"]].zip_code

    phones = bank["phones"]
    assert sorted(p["id"] for p in got["phones"]) == sorted(phones[phones.person_id == person_id].phone_id)


async def test_transactions_page_through_newest_first_without_gaps(client, bank):
    person_id = busiest_person(bank)
    accounts = set(bank["accounts"][bank["accounts"].owner_person_id == person_id].account_id)
    expected = bank["transactions"][bank["transactions"].from_account_id.isin(accounts)]
    expected = expected.sort_values(["ts", "transaction_id"], ascending=False)

    query = """query($id: ID!, $after: String) { customer(id: $id) {
        transactions(first: 25, after: $after) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { id amount timestamp from { id } } }
        } } }"""
    seen: list[str] = []
    after = None
    for _ in range(10_000):
        body = await run_query(client, query, {"id": person_id, "after": after})
        assert "errors" not in body, body
        page = body["data"]["customer"]["transactions"]
        assert page["totalCount"] == len(expected)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(expected.transaction_id)
    assert len(expected) > 25  # the loop really paged


async def test_transaction_filters_by_time_and_amount(client, bank):
    tx = bank["transactions"]
    account_id = tx.from_account_id.value_counts().index[0]
    mine = tx[tx.from_account_id == account_id]
    since = int(mine.ts.quantile(0.25))
    until = int(mine.ts.quantile(0.9))
    min_amount = Decimal("50.00")
    expected = mine[(mine.ts >= since) & (mine.ts < until) & (mine.amount_d >= min_amount)]
    body = await run_query(
        client,
        """query($id: ID!, $f: TransactionFilter) { account(id: $id) {
             sent(first: 500, filter: $f) { totalCount edges { node { id amount timestamp } } } } }""",
        {
            "id": account_id,
            "f": {
                "since": datetime.fromtimestamp(since, timezone.utc).isoformat(),
                "until": datetime.fromtimestamp(until, timezone.utc).isoformat(),
                "minAmount": str(min_amount),
            },
        },
    )
    assert "errors" not in body, body
    sent = body["data"]["account"]["sent"]
    assert sorted(e["node"]["id"] for e in sent["edges"]) == sorted(expected.transaction_id)
    assert sent["totalCount"] == len(expected)


async def test_received_and_counterparties_of_a_hub(client, bank):
    tx = bank["transactions"]
    hub = tx.to_account_id.value_counts().index[0]
    body = await run_query(
        client,
        """query($id: ID!) { account(id: $id) {
             received(first: 1) { totalCount }
             counterparties(first: 3) { account { id } transactionCount volume } } }""",
        {"id": hub},
    )
    assert "errors" not in body, body
    account = body["data"]["account"]
    assert account["received"]["totalCount"] == int((tx.to_account_id == hub).sum())
    sent = tx[tx.from_account_id == hub]
    grouped = sent.groupby("to_account_id").agg(n=("transaction_id", "size"), volume=("amount_d", "sum"))
    grouped = grouped.reset_index().sort_values(["n", "volume", "to_account_id"], ascending=[False, False, True])
    expected = [(r.to_account_id, r.n, r.volume) for r in grouped.head(3).itertuples()]
    got = [(c["account"]["id"], c["transactionCount"], Decimal(c["volume"])) for c in account["counterparties"]]
    assert got == expected


# ------------------------------------------------------------------ customers connection


def _balances(bank) -> pd.Series:
    totals = bank["accounts"].groupby("owner_person_id").balance_d.sum()
    return totals.reindex(bank["persons"].person_id, fill_value=Decimal(0))


async def test_customers_order_by_total_balance_pages_through_everyone(client, bank):
    balances = _balances(bank)
    expected = sorted(balances.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
    query = """query($after: String) { customers(first: 50, after: $after,
                 orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
                 totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
    seen: list[str] = []
    after = None
    while True:
        body = await run_query(client, query, {"after": after})
        page = body["data"]["customers"]
        assert page["totalCount"] == len(expected)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [person_id for person_id, _ in expected]


async def test_customers_order_by_name(client, bank):
    persons = bank["persons"].sort_values(["last_name", "first_name", "person_id"])
    body = await run_query(client, "{ customers(first: 30) { edges { node { id } } } }")
    assert [e["node"]["id"] for e in body["data"]["customers"]["edges"]] == list(persons.person_id[:30])


async def test_customers_filters_combine(client, bank):
    balances = _balances(bank)
    addresses = bank["addresses"]
    state = addresses.state.value_counts().index[0]
    in_state = set(addresses[addresses.state == state].person_id)
    has_savings = set(bank["accounts"][bank["accounts"].account_type == "savings"].owner_person_id)
    rich = set(balances[balances >= Decimal(20000)].index)
    expected = in_state & has_savings & rich
    body = await run_query(
        client,
        """query($state: String!) { customers(first: 500, filter: {state: $state, hasAccountType: SAVINGS,
             minTotalBalance: "20000"}) { totalCount edges { node { id } } } }""",
        {"state": state},
    )
    assert "errors" not in body, body
    got = body["data"]["customers"]
    assert {e["node"]["id"] for e in got["edges"]} == expected
    assert got["totalCount"] == len(expected) > 0


async def test_customers_name_contains_is_case_insensitive(client, bank):
    persons = bank["persons"]
    last = persons.last_name.value_counts().index[0]
    needle = last[1:4].lower()
    names = persons.first_name + " " + persons.last_name
    expected = set(persons[names.str.lower().str.contains(needle, regex=False)].person_id)
    body = await run_query(
        client, "query($n: String!) { customers(first: 500, filter: {nameContains: $n}) { edges { node { id } } } }",
        {"n": needle.upper()},
    )
    assert {e["node"]["id"] for e in body["data"]["customers"]["edges"]} == expected


# ------------------------------------------------------------------ lookups


async def test_every_type_is_reachable_by_id_and_by_node(client, bank, store):
    ids = {
        "Person": bank["persons"].person_id[0],
        "Account": bank["accounts"].account_id[0],
        "Address": bank["addresses"].address_id[0],
        "Phone": bank["phones"].phone_id[0],
        "Transaction": bank["transactions"].transaction_id[0],
    }
    for typename, key in ids.items():
        body = await run_query(client, "query($id: ID!) { node(id: $id) { __typename id } }", {"id": key})
        assert body["data"]["node"] == {"__typename": typename, "id": key}
    body = await run_query(
        client, "query($id: ID!) { transaction(id: $id) { amount from { id } to { id } } }",
        {"id": ids["Transaction"]},
    )
    row = bank["transactions"].iloc[0]
    assert body["data"]["transaction"] == {
        "amount": f"{row.amount_d:.2f}", "from": {"id": row.from_account_id}, "to": {"id": row.to_account_id},
    }
    # nodes(ids:): every type at once, unknown ids as null, in the order asked, in one backend call;
    # the audit then finds whose they are: one call per kind of link (an account's owner, an
    # address's residents, a phone's owners, a payment's sender and its owner), never per row;
    # where the store builds response trees, a payment's sender and its owner are one subtree
    asked = [*ids.values(), "NOPE"]
    body = await run_query(client, "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": asked},
                           explain=True)
    assert "errors" not in body
    assert body["data"]["nodes"] == [{"__typename": t, "id": k} for t, k in ids.items()] + [None]
    calls = body["extensions"]["explain"]["calls"]
    assert len(calls) == 1 + (4 if store.tree_steps is not None else 5)
    assert calls[0]["rows"] == len(ids)  # the lookup of every id at once comes first


async def test_an_unknown_node_id_is_null_not_an_error(client):
    """Relay refetches by node(id:); one id gone must not null a whole screen's response."""
    body = await run_query(client, '{ node(id: "NOPE") { id } customers(first: 1) { totalCount } }')
    assert "errors" not in body
    assert body["data"]["node"] is None and body["data"]["customers"]["totalCount"] > 0


# ------------------------------------------------------------------ operations endpoints


async def test_health_readiness_metrics_and_graphiql(client, store):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["graph"] == {"backend": store.backend, "ok": True}
    await run_query(client, NESTED, {"first": 2})
    metrics = (await client.get("/metrics")).text
    operation = "response_tree" if store.tree_steps is not None else "find_persons"
    assert f'c360_backend_calls_total{{backend="{store.backend}",operation="{operation}"}}' in metrics
    assert f'c360_backend_calls_moved_total{{backend="{store.backend}",operation="{operation}"}}' in metrics
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "query CustomerScreen" in page.text and "X-C360-Explain" in page.text

"""Every customer's computed fields through GraphQL, checked value by value against the pandas
reference: shared by the contract suite (every store) and the SQLite runs on further seeds."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from tests.conftest import run_query

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

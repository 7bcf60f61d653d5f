"""The compiled path and the general path can never drift: every query here is answered by both,
on every store, and the JSON must be byte-identical (errors included). Queries the compiler
covers must really take the compiled path; the rest must fall back to the general one, and
explain must say which path ran."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"

COMPILED_QUERIES = {
    "nested": """{ customers(first: 100) { edges { node { id name accounts { id type balance
        sent(first: 5) { edges { node { id amount timestamp to { id owner { id name } } } } } } } } } }""",
    "one customer with balances": """query($id: ID!) { customer(id: $id) { id name accounts { id balance } } }""",
    "profile": """query($id: ID!) { customer(id: $id) { id name
        metrics { numAccounts totalBalance numTransactions totalVolume avgTransaction }
        segment { tier reasons { rule detail } } risk { score level reasons { rule detail } }
        recommendations { product reason { rule detail } }
        relatedCustomers(first: 5) { person { id name } via evidence evidenceCount relations { relation total items } } } }""",
    "screen": """query($id: ID!) { customer(id: $id) { __typename id firstName lastName ssn dateOfBirth
        addresses { id street city state zipCode residents { id name } }
        phones { id number type owners { name } }
        accounts { id type balance status owner { id } counterparties(first: 3) { account { id } transactionCount volume }
          received(first: 2) { totalCount edges { cursor node { id from { id } } } } } } }""",
    "connection both ways": """{ a: customers(first: 7, orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
        totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { id } } }
      b: customers(last: 4, filter: {minTotalBalance: "1000"}) { pageInfo { hasPreviousPage hasNextPage
        startCursor endCursor } edges { node { id name } } } }""",
    "aliases fragments directives": """query($withRisk: Boolean!, $skipNames: Boolean!) {
        customers(first: 12) { edges { node { ...Who ... on Person { risk @include(if: $withRisk) { level } }
          id name @skip(if: $skipNames) also: name } } } }
      fragment Who on Person { id segment { tier } accounts { ... on Account { id kind: type } } }""",
    "payments filtered": """query($id: ID!) { customer(id: $id) { transactions(first: 20,
        filter: {since: "2025-01-01T00:00:00Z", minAmount: "100"}) { totalCount edges { node { id amount timestamp } } } } }""",
    "dashboard": """{ portfolio { customers accounts totalBalance avgBalancePerCustomer transactions totalVolume
        avgTransaction segments { tier customers totalBalance } riskLevels { level customers }
        crossSellOpportunities sharedAddresses sharedPhones sharedCounterparties } }""",
    "node lookups": """query($id: ID!, $ids: [ID!]!) { node(id: $id) { __typename id ... on Person { name } }
        nodes(ids: $ids) { __typename id ... on Account { balance } ... on Transaction { amount } } }""",
}

GENERAL_QUERIES = {
    "network": """query($id: ID!) { neighborhood(id: $id, depth: 1) { truncated nodes { id label } } }""",
    "unknown customer": """{ customer(id: "NOPE") { id } }""",
    "bad argument": """{ customers(first: 501) { totalCount } }""",
    "bad cursor": """{ customers(after: "garbage") { totalCount } }""",
}


async def _answers(store, query: str, variables: dict) -> dict[str, tuple[str, str]]:
    """JSON text (explain left out) and the path taken, per execution setting."""
    found = {}
    for execution in ("general", "compiled"):
        app = create_app(replace(Settings(), execution=execution), store=store)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
            response = await client.post("/graphql", json={"query": query, "variables": variables},
                                         headers={"X-C360-Explain": "1"})
        body = response.json()
        path = body.get("extensions", {}).pop("explain", {}).get("path")
        if not body.get("extensions"):
            body.pop("extensions", None)
        found[execution] = (json.dumps(body), path)
    return found


@pytest.mark.parametrize("name", list(COMPILED_QUERIES))
async def test_covered_queries_take_the_compiled_path_and_answer_byte_identically(store, variables, name):
    answers = await _answers(store, COMPILED_QUERIES[name], variables)
    general, compiled = answers["general"], answers["compiled"]
    assert '"errors"' not in general[0], general[0][:500]
    assert (general[1], compiled[1]) == ("general", "compiled")
    assert compiled[0] == general[0]


@pytest.mark.parametrize("name", list(GENERAL_QUERIES))
async def test_uncovered_queries_and_errors_fall_back_to_the_general_path(store, variables, name):
    answers = await _answers(store, GENERAL_QUERIES[name], variables)
    assert answers["compiled"] == answers["general"]
    assert answers["compiled"][1] == "general"


def _readme_queries() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("index", range(len(_readme_queries())))
async def test_every_readme_query_answers_the_same_on_both_paths(store, variables, index):
    """The README's ids are the demo bank's; here some are missing, and when two root fields
    fail at once graphql-core keeps whichever failed first: then both paths must fail and the
    compiled one must have handed the request to the general one."""
    query = _readme_queries()[index]
    answers = await _answers(store, query, {})
    general, compiled = json.loads(answers["general"][0]), json.loads(answers["compiled"][0])
    if "errors" in general and general.get("data") is None:
        assert "errors" in compiled and compiled.get("data") is None and answers["compiled"][1] == "general"
    else:
        assert answers["compiled"][0] == answers["general"][0]

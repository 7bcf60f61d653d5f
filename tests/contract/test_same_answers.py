"""The same GraphQL queries give byte-identical JSON from SQLite and from JanusGraph."""

from __future__ import annotations

import json

import httpx
import pytest

from customer360.app import create_app
from customer360.config import Settings
from tests.conftest import run_query

QUERIES = {
    "customer screen": """{ customers(first: 10, orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id name ssn dateOfBirth
          addresses { id street city state zipCode residents { id } }
          phones { id number type owners { id } }
          accounts { id type balance status
            sent(first: 3) { totalCount edges { cursor node { id amount timestamp to { id owner { id name } } } } }
            received(first: 2) { totalCount edges { node { id from { id } } } }
            counterparties(first: 2) { account { id } transactionCount volume } } } } } }""",
    "filters": """{ customers(first: 50, filter: {nameContains: "an", minTotalBalance: "1000"}) {
        totalCount edges { node { id name } } } }""",
    "insights": """{ customers(first: 40, filter: {segment: GOLD}) { totalCount edges { node { id
        metrics { numAccounts totalBalance numTransactions totalVolume avgTransaction }
        segment { tier reasons { rule detail } } risk { score level reasons { rule detail } }
        recommendations { product reason { rule detail } } } } } }""",
    "dashboard": """{ portfolio { customers accounts totalBalance avgBalancePerCustomer transactions totalVolume
        avgTransaction segments { tier customers totalBalance } riskLevels { level customers }
        crossSellOpportunities sharedAddresses sharedPhones sharedCounterparties } }""",
    "errors": """{ customers(first: 2, after: "not-a-cursor") { totalCount } }""",
}

EXPECTED_ERRORS = {"errors": ["BAD_USER_INPUT"]}
"""Queries meant to fail, with the error codes each must give; every other query must not fail.
Two stores failing the same way must not pass as "identical answers"."""


async def _answer(graph_store, name: str) -> str:
    app = create_app(Settings(), store=graph_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        body = await run_query(client, QUERIES[name])
    codes = [error["extensions"]["code"] for error in body.get("errors", [])]
    assert codes == EXPECTED_ERRORS.get(name, []), f"{graph_store.backend}: {body.get('errors')}"
    if name not in EXPECTED_ERRORS:
        assert all(value is not None for value in body["data"].values()), body
    return json.dumps(body, sort_keys=True)


@pytest.mark.parametrize("name", list(QUERIES))
async def test_sqlite_and_janusgraph_answer_identically(name, sqlite_contract_store, janusgraph_store):
    assert await _answer(sqlite_contract_store, name) == await _answer(janusgraph_store, name)

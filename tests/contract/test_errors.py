"""Bad GraphQL input gets a clear error naming the field or argument and the reason:
HTTP 200 with `errors`, never a 500, never a stack trace."""

from __future__ import annotations

import pytest

from tests.conftest import run_query


def only_error(body: dict) -> dict:
    assert body.get("data") in (None, {}) or all(v is None for v in (body.get("data") or {}).values()), body
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert "Traceback" not in str(body) and "internal server error" not in error["message"]
    return error


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ('{ customer(id: "NOPE") { id } }', {}, "customer: no person with id 'NOPE'"),
        ('{ account(id: "NOPE") { id } }', {}, "account: no account with id 'NOPE'"),
        ("{ customers(first: 501) { totalCount } }", {}, "customers: argument 'first' must be between 0 and 500, got 501"),
        ("{ customers(first: -1) { totalCount } }", {}, "customers: argument 'first' must be between 0 and 500"),
        ('{ customers(after: "garbage") { totalCount } }', {}, "customers: argument 'after' is not a cursor returned by this field"),
        ('{ customers(filter: {minTotalBalance: "abc"}) { totalCount } }', {}, "'abc' is not a decimal amount"),
        ('query($m: Decimal) { customers(filter: {minTotalBalance: $m}) { totalCount } }', {"m": "12,5"},
         "Variable '$m' has invalid value"),
        ('{ customers(filter: {minTotalBalance: "10.001"}) { totalCount } }', {},
         "customers: argument 'filter.minTotalBalance' has more than two decimal places"),
        ('{ customers(filter: {state: "New York"}) { totalCount } }', {},
         "customers: argument 'filter.state' must be a two-letter US state code"),
        ("{ customers(filter: {hasAccountType: GOLDBAR}) { totalCount } }", {}, "'GOLDBAR' does not exist in 'AccountType'"),
        ("{ customers { edges { node { nope } } } }", {}, "Cannot query field 'nope' on type 'Person'"),
        ("{ customers(", {}, "Syntax Error"),
    ],
)
async def test_bad_input_is_refused_with_a_clear_error(client, query, variables, expected):
    error = only_error(await run_query(client, query, variables))
    assert expected in error["message"]


async def test_bad_transaction_filters_name_the_argument(client, bank_dir):
    person = "P0000001"
    since_after_until = await run_query(
        client,
        'query($id: ID!) { customer(id: $id) { transactions(filter: {since: "2025-06-01T00:00:00Z", until: "2025-01-01T00:00:00Z"}) { totalCount } } }',
        {"id": person},
    )
    assert "Person.transactions: argument 'filter.since' must be before 'filter.until'" in only_error(since_after_until)["message"]
    bad_time = await run_query(
        client, 'query($id: ID!) { customer(id: $id) { transactions(filter: {since: "yesterday"}) { totalCount } } }',
        {"id": person},
    )
    assert "'yesterday' is not an ISO-8601 date-time" in only_error(bad_time)["message"]


async def test_a_cursor_from_another_ordering_is_refused(client):
    body = await run_query(client, "{ customers(first: 1) { pageInfo { endCursor } } }")
    cursor = body["data"]["customers"]["pageInfo"]["endCursor"]
    other = await run_query(
        client, "query($c: String) { customers(after: $c, orderBy: {field: TOTAL_BALANCE}) { totalCount } }", {"c": cursor}
    )
    assert "cursor from a different field or ordering" in only_error(other)["message"]


async def test_queries_deeper_than_the_limit_are_refused(client):
    deep = "{ customers { edges { node { " + "accounts { owner { " * 6 + "id" + " } }" * 6 + " } } } }"
    error = only_error(await run_query(client, deep))
    assert "exceeds maximum operation depth of 12" in error["message"]

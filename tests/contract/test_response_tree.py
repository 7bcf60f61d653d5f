"""A response tree (one statement for the whole response) answers exactly as the general path.

On a store that builds trees (SQLite), the queries the tree covers must take exactly one
backend call; on one that does not (JanusGraph), the compiled path goes level by level. On
every store, and for every caller, the JSON must be byte-identical to the general path's,
errors included. What the tree does not cover (cursors, totals, filters, masked fields,
insights) must be answered by levels, again identically."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from customer360.app import create_app
from customer360.config import Settings

TREE_QUERIES = {
    "nested": """{ customers(first: 100) { edges { node { id name accounts { id type balance
        sent(first: 5) { edges { node { id amount timestamp to { id owner { id name } } } } } } } } } }""",
    "one customer": """query($id: ID!) { customer(id: $id) { id accounts { id type balance } } }""",
    "screen in clear": """query($id: ID!) { customer(id: $id) { __typename id firstName lastName name dateOfBirth
        addresses { __typename id street city state zipCode residents { id name } }
        phones { id number type owners { id lastName } }
        accounts { id type balance status owner { id } received(first: 2) { edges { node { id from { id status } } } } }
        transactions(first: 7) { __typename edges { __typename node { id amount timestamp from { id } to { id } } } } } }""",
    "aliases fragments directives": """query($withDob: Boolean!, $skipNames: Boolean!, $id: ID!) {
        first: customers(first: 12, orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
          edges { node { ...Who ... on Person { dateOfBirth @include(if: $withDob) } id name @skip(if: $skipNames) also: name } } }
        again: customer(id: $id) { ...Who }
        __typename }
      fragment Who on Person { id accounts { ... on Account { id kind: type balance } } }""",
    "entry points": """query($account: ID!, $transaction: ID!) {
        account(id: $account) { id type status balance owner { name phones { type } } sent(first: 0) { edges { node { id } } } }
        transaction(id: $transaction) { id amount timestamp from { id owner { id } } to { id } } }""",
    "a page of no customers": """{ customers(first: 0) { totalCount pageInfo { hasNextPage hasPreviousPage
        startCursor endCursor } edges { cursor node { id } } } }""",
    "filters": """query($id: ID!) {
        ny: customers(first: 5, filter: {state: "ny", hasAccountType: SAVINGS}) { totalCount edges { node { id } } }
        rich: customers(first: 5, orderBy: {field: TOTAL_BALANCE}, filter: {minTotalBalance: "1000.5", maxTotalBalance: "90000",
          nameContains: "a"}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } }
        odd: customers(first: 2, filter: {nameContains: "%_\\\\"}) { totalCount edges { node { id } } }
        customer(id: $id) { transactions(first: 3, filter: {since: "2024-01-01T00:00:00Z", minAmount: "10"}) {
          totalCount pageInfo { hasNextPage } edges { cursor node { id amount } } }
          accounts { received(first: 2, filter: {until: "2030-01-01T00:00:00Z", maxAmount: "5000"}) { totalCount edges { node { id } } } } } }""",
    "after a cursor": """{ customers(first: 3, after: "7B226F223A226E616D653A617363222C2276223A5B2241222C2241225D2C226B223A225030227D")
        { totalCount pageInfo { hasPreviousPage hasNextPage startCursor } edges { node { id } } } }""",
    "relay connections": """query($id: ID!) {
        rich: customers(first: 3, orderBy: {field: TOTAL_BALANCE, direction: DESC}) { __typename totalCount
          pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
          edges { __typename cursor node { id } } }
        byName: customers(first: 4) { pageInfo { endCursor hasNextPage } edges { cursor node { id name
          transactions(first: 2) { totalCount pageInfo { startCursor endCursor hasNextPage } edges { cursor node { id } } } } } }
        customer(id: $id) { accounts { sent(first: 500) { totalCount pageInfo { hasNextPage endCursor } }
          received(first: 3) { edges { cursor } } } } }""",
}

LEVEL_QUERIES = {
    "backward": """{ customers(last: 3) { edges { node { id } } } }""",
    "insights": """query($id: ID!) { customer(id: $id) { id segment { tier } } }""",
}

ERROR_QUERIES = {
    "a filter out of shape": """{ customers(first: 2, filter: {state: "New York"}) { edges { node { id } } } }""",
    "a filter the wrong way round": """query($id: ID!) { customer(id: $id) { transactions(first: 2,
        filter: {since: "2025-01-01T00:00:00Z", until: "2024-01-01T00:00:00Z"}) { edges { node { id } } } } }""",
    "unknown customer": """{ customer(id: "NOPE") { id accounts { id } } }""",
    "page too large": """query($id: ID!) { customer(id: $id) { transactions(first: 501) { edges { node { id } } } } }""",
    "negative page": """{ customers(first: -1) { edges { node { id } } } }""",
}


def _variables(variables: dict) -> dict:
    account, transaction = variables["ids"][0], variables["ids"][1]
    return {"id": variables["id"], "account": account, "transaction": transaction, "withDob": True, "skipNames": False}


async def _answer(app, query: str, variables: dict, headers: dict[str, str]) -> tuple[str, list[str]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables},
                                     headers={"X-C360-Explain": "1", **headers})
    body = response.json()
    explain = body.get("extensions", {}).pop("explain", {})
    if not body.get("extensions"):
        body.pop("extensions", None)
    return json.dumps(body), [call["operation"] for call in explain.get("calls", [])]


async def _both(store, query: str, variables: dict, settings: Settings | None = None,
                headers: dict[str, str] | None = None) -> tuple[tuple[str, list[str]], tuple[str, list[str]]]:
    base = settings or Settings()
    general = await _answer(create_app(replace(base, execution="general"), store=store), query, variables, headers or {})
    compiled = await _answer(create_app(replace(base, execution="compiled"), store=store), query, variables, headers or {})
    return general, compiled


@pytest.mark.parametrize("name", list(TREE_QUERIES))
async def test_a_tree_is_one_statement_where_the_store_builds_trees_and_answers_as_the_general_path(
        store, variables, name) -> None:
    general, compiled = await _both(store, TREE_QUERIES[name], _variables(variables))
    assert '"errors"' not in general[0], general[0][:500]
    assert compiled[0] == general[0]
    if store.tree_steps is not None:
        assert compiled[1] == ["response_tree"]
    else:
        assert "response_tree" not in compiled[1] and len(compiled[1]) >= 1


async def test_metrics_count_the_answers_built_by_one_query(store) -> None:
    app = create_app(Settings(), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        async def trees() -> int:
            metrics = (await client.get("/metrics")).text
            return int(metrics.split("\nc360_tree_operations_total ")[1].split()[0])

        before = await trees()
        await client.post("/graphql", json={"query": TREE_QUERIES["a page of no customers"]})
        await client.post("/graphql", json={"query": LEVEL_QUERIES["backward"]})
        assert await trees() - before == (1 if store.tree_steps is not None else 0)


SUBTREE_QUERIES = {
    "profile": """query($id: ID!) { customer(id: $id) { id name ssn dateOfBirth
        addresses { street city state zipCode } phones { number type } accounts { id type balance status }
        transactions(first: 20) { totalCount edges { node { id amount timestamp to { id } } } }
        metrics { numAccounts totalBalance } segment { tier reasons { rule detail } }
        relatedCustomers(first: 10) { person { id } via evidence } } }""",
    "a list with insights": """{ customers(first: 5, filter: {minTotalBalance: "0"}) { edges { node { id segment { tier }
        accounts { id owner { name } sent(first: 2) { pageInfo { endCursor } edges { node { id to { id } } } } } } } } }""",
}


@pytest.mark.parametrize("name", list(SUBTREE_QUERIES))
async def test_a_level_gets_its_whole_subtrees_in_one_statement(store, variables, name) -> None:
    """Level by level (insights, filters), the object fields under a level that are whole
    trees are still one statement for all its parents."""
    general, compiled = await _both(store, SUBTREE_QUERIES[name], _variables(variables))
    assert '"errors"' not in general[0], general[0][:500]
    assert compiled[0] == general[0]
    if store.tree_steps is not None:
        assert compiled[1].count("response_tree") == 1
        assert not {"traverse(out(LIVES_AT))", "traverse(out(OWNS))", "get_vertices(account)"} & set(compiled[1])
    else:
        assert "response_tree" not in compiled[1]


@pytest.mark.parametrize("name", list(LEVEL_QUERIES))
async def test_what_the_tree_does_not_hold_goes_level_by_level(store, variables, name) -> None:
    general, compiled = await _both(store, LEVEL_QUERIES[name], _variables(variables))
    assert '"errors"' not in general[0], general[0][:500]
    assert compiled[0] == general[0]
    assert "response_tree" not in compiled[1] and compiled[1]


@pytest.mark.parametrize("name", list(ERROR_QUERIES))
async def test_errors_are_the_general_paths_own(store, variables, name) -> None:
    general, compiled = await _both(store, ERROR_QUERIES[name], _variables(variables))
    assert '"errors"' in general[0]
    assert compiled[0] == general[0]


@pytest.mark.parametrize("role, purpose, query, in_tree", [
    ("analyst", "analytics", """query($id: ID!) { customer(id: $id) { id name dateOfBirth
        addresses { street city zipCode residents { dateOfBirth } } } }""", True),
    ("customer_service", "customer_support", """query($id: ID!) { customer(id: $id) { id ssn name } }""", True),
    ("analyst", "analytics", """query($id: ID!) { customer(id: $id) { id phones { number } } }""", False),
    ("integration", "kyc", """query($id: ID!) { customer(id: $id) { id ssn } }""", False),
])
async def test_a_caller_sees_each_field_as_the_policy_says_whichever_way_the_answer_is_built(
        store, variables, api_keys, role, purpose, query, in_tree) -> None:
    """Masks the tree writes itself (date of birth, street, ZIP, SSN from its last four); a
    masked phone number and an SSN in clear (decrypted in Python) go level by level."""
    settings = replace(Settings(), auth_required=True, api_keys_file=api_keys[0])
    headers = {"X-API-Key": api_keys[1][role], "X-Purpose-Of-Access": purpose}
    general, compiled = await _both(store, query, _variables(variables), settings, headers)
    assert '"errors"' not in general[0], general[0][:500]
    assert compiled[0] == general[0]
    if role != "analyst":
        return  # only analysts (and admins) may ask for explain
    if store.tree_steps is not None and in_tree:
        assert compiled[1] == ["response_tree"]
    else:
        assert "response_tree" not in compiled[1]


async def test_a_field_the_caller_may_not_see_is_refused_as_on_the_general_path(store, variables, api_keys) -> None:
    settings = replace(Settings(), auth_required=True, api_keys_file=api_keys[0])
    headers = {"X-API-Key": api_keys[1]["auditor"], "X-Purpose-Of-Access": "audit"}
    general, compiled = await _both(store, """query($id: ID!) { customer(id: $id) { id name } }""",
                                    _variables(variables), settings, headers)
    assert "Person.name is not available" in general[0]
    assert compiled[0] == general[0]


async def test_the_trees_statement_holds_no_value_of_the_request(store, variables) -> None:
    """Response keys, ids, page sizes and constants are bound parameters, shown apart by explain."""
    if store.tree_steps is None:
        pytest.skip(f"{store.backend} builds no response trees")
    query = """query($id: ID!) { zzWho: customer(id: $id) { zzKind: __typename accounts { id } } }"""
    app = create_app(Settings(), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        body = (await client.post("/graphql", json={"query": query, "variables": {"id": variables["id"]}},
                                  headers={"X-C360-Explain": "1"})).json()
    [call] = body["extensions"]["explain"]["calls"]
    assert call["operation"] == "response_tree" and call["rows"] == 1
    for value in ("zzWho", "zzKind", "Person", variables["id"]):
        assert value not in call["query"] and value in str(call["params"])


async def test_a_document_with_a_field_no_tree_holds_is_planned_once(store, variables, monkeypatch) -> None:
    """The insights are never in a tree: the document's next requests skip the planning
    (a tenth of a millisecond of the profile's two and a half)."""
    from customer360.execution import tree

    planned = []
    original = tree.TreePlanner.plan
    monkeypatch.setattr(tree.TreePlanner, "plan", lambda self, grouped: planned.append(1) or original(self, grouped))
    query = f"""# on {store.backend} (the skip is kept per parsed document, process-wide)
        query($id: ID!, $withSegment: Boolean!) {{ customer(id: $id) {{ id segment @include(if: $withSegment) {{ tier }} }} }}"""
    app = create_app(Settings(), store=store)
    bodies = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        for with_segment in (True, True, True, False):
            response = await client.post("/graphql", json={"query": query, "variables": {
                "id": variables["id"], "withSegment": with_segment}})
            bodies.append(response.json())
    assert all("errors" not in body for body in bodies)
    assert bodies[0] == bodies[1] == bodies[2] and "segment" not in bodies[3]["data"]["customer"]
    # planned on the first request only (the skip is per document, whatever the variables);
    # a store that builds no trees has none planned at all
    assert len(planned) == (1 if store.tree_steps is not None else 0)


@pytest.mark.parametrize("connection, ordering", [
    ("customers(first: $first, after: $after, orderBy: {field: TOTAL_BALANCE, direction: DESC})", "richest first"),
    ("customers(first: $first, after: $after, filter: {nameContains: \"e\"})", "by name, filtered"),
])
async def test_load_more_pages_through_the_list_and_answers_as_the_general_path(store, connection, ordering) -> None:
    """Relay's "load more": each next page is asked with the last page's endCursor."""
    query = f"""query($first: Int!, $after: String) {{ {connection} {{ totalCount
        pageInfo {{ hasPreviousPage hasNextPage endCursor }} edges {{ cursor node {{ id }} }} }} }}"""
    whole = json.loads((await _both(store, query, {"first": 12, "after": None}))[1][0])["data"]["customers"]
    seen, after = [], None
    for _ in range(3):
        general, compiled = await _both(store, query, {"first": 4, "after": after})
        assert compiled[0] == general[0] and '"errors"' not in general[0]
        if store.tree_steps is not None:
            assert compiled[1] == ["response_tree"]
        page = json.loads(compiled[0])["data"]["customers"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["totalCount"] == whole["totalCount"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert seen == [edge["node"]["id"] for edge in whole["edges"]]

"""Relay pagination both ways on every connection, on every store: paging backward with
last/before visits exactly the items paging forward does, in the same order, with the same
per-parent batching, and PageInfo says where each page sits."""

from __future__ import annotations

import pytest

from tests.conftest import run_query

CUSTOMERS = """query($first: Int, $after: String, $last: Int, $before: String, $order: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { id } } } }"""

ORDERS = [
    {"field": "NAME", "direction": "ASC"},
    {"field": "NAME", "direction": "DESC"},
    {"field": "TOTAL_BALANCE", "direction": "DESC"},
]


async def _walk(client, query: str, connection, variables: dict, backward: bool, size: int) -> list[list[str]]:
    """Every page's ids, walking forward (first/after) or backward (last/before) to the end."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        paging = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        body = await run_query(client, query, {**variables, **paging})
        assert "errors" not in body, body["errors"]
        page = connection(body["data"])
        ids = [edge["node"]["id"] for edge in page["edges"]]
        info = page["pageInfo"]
        if ids:
            assert info["startCursor"] == page["edges"][0]["cursor"] and info["endCursor"] == page["edges"][-1]["cursor"]
        assert info["hasPreviousPage" if not backward else "hasNextPage"] is (cursor is not None)
        pages.append(ids)
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return pages
        cursor = info["startCursor"] if backward else info["endCursor"]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"{o['field']}-{o['direction']}")
async def test_customers_backward_visit_the_same_customers_in_the_same_order(client, order):
    forward = await _walk(client, CUSTOMERS, lambda d: d["customers"], {"order": order}, backward=False, size=70)
    backward = await _walk(client, CUSTOMERS, lambda d: d["customers"], {"order": order}, backward=True, size=70)
    everyone = [i for page in forward for i in page]
    assert len(everyone) == len(set(everyone)) > 70 * 2
    assert [i for page in reversed(backward) for i in page] == everyone
    assert backward[0] == everyone[-len(backward[0]):]  # 'last' alone: the end of the list


SENT = """query($first: Int, $after: String, $last: Int, $before: String) {
  customers(first: 6, orderBy: {field: TOTAL_BALANCE, direction: DESC}) { edges { node { accounts {
    id sent(first: $first, after: $after, last: $last, before: $before) {
      totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { id } } } } } } } }"""


async def test_account_payments_backward_are_batched_per_level_and_mirror_forward(client, store):
    everything = await run_query(client, SENT, {"first": 100}, explain=True)
    newest = await run_query(client, SENT, {"first": 3}, explain=True)
    oldest = await run_query(client, SENT, {"last": 3}, explain=True)
    for body in (everything, newest, oldest):
        assert "errors" not in body, body.get("errors")
    # backward: the same three calls per request (persons, accounts, payments) however many
    # accounts; forward, one response tree where the store builds them
    assert oldest["extensions"]["explain"]["totalCalls"] == 3
    assert everything["extensions"]["explain"]["totalCalls"] == (1 if store.tree_steps is not None else 3)

    def by_account(body):
        return {a["id"]: a["sent"] for e in body["data"]["customers"]["edges"] for a in e["node"]["accounts"]}

    full, first3, last3 = by_account(everything), by_account(newest), by_account(oldest)
    checked = 0
    for account, sent in full.items():
        ids = [e["node"]["id"] for e in sent["edges"]]
        if sent["totalCount"] > len(ids):  # a busy account: more than one page even at 100
            continue
        assert [e["node"]["id"] for e in first3[account]["edges"]] == ids[:3]
        assert [e["node"]["id"] for e in last3[account]["edges"]] == ids[-3:]
        assert last3[account]["pageInfo"]["hasPreviousPage"] is (len(ids) > 3)
        assert last3[account]["totalCount"] == sent["totalCount"] == len(ids)
        checked += len(ids) > 3
    assert checked > 3


async def test_the_page_before_a_cursor_ends_just_before_it(client):
    body = await run_query(client, CUSTOMERS, {"first": 40})
    edges = body["data"]["customers"]["edges"]
    before = await run_query(client, CUSTOMERS, {"last": 10, "before": edges[25]["cursor"]})
    page = before["data"]["customers"]
    assert [e["node"]["id"] for e in page["edges"]] == [e["node"]["id"] for e in edges[15:25]]
    assert page["pageInfo"]["hasPreviousPage"] is True and page["pageInfo"]["hasNextPage"] is True


SHARED = """query($first: Int, $after: String, $last: Int, $before: String) {
  sharedAddresses(minResidents: 2, first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { address { id } } } } }"""


async def test_shared_addresses_backward_mirror_forward(client):
    def connection(data):
        page = data["sharedAddresses"]
        return {**page, "edges": [{"cursor": e["cursor"], "node": {"id": e["node"]["address"]["id"]}} for e in page["edges"]]}

    forward = await _walk(client, SHARED, connection, {}, backward=False, size=7)
    backward = await _walk(client, SHARED, connection, {}, backward=True, size=7)
    everything = [i for page in forward for i in page]
    assert len(everything) > 7
    assert [i for page in reversed(backward) for i in page] == everything


@pytest.mark.parametrize(("arguments", "message"), [
    ("first: 2, last: 2", "not both"),
    ("last: 501", "argument 'last' must be between 0 and 500"),
    ('last: 2, before: "garbage"', "argument 'before' is not a cursor"),
])
async def test_conflicting_paging_arguments_are_refused(client, arguments, message):
    body = await run_query(client, f"{{ customers({arguments}) {{ totalCount }} }}")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"]


async def test_after_goes_with_first_and_before_with_last(client):
    cursor = (await run_query(client, CUSTOMERS, {"first": 1}))["data"]["customers"]["pageInfo"]["endCursor"]
    body = await run_query(client, CUSTOMERS, {"last": 2, "after": cursor})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "'after' goes with 'first'" in error["message"]

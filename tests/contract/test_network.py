"""The network features, run against every store, checked against the CSV files.

Expected values come from the generated CSVs (pandas, and a plain breadth-first search over
the edges the CSVs describe), never from a previous run. The first group of tests calls the
store's network steps directly (one backend call each, proven by the call log); the rest go
through GraphQL as a client would.
"""

from __future__ import annotations

from collections import defaultdict, deque
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from customer360.backend_calls import capture_calls
from customer360.graphstore.network_plan import (
    Expand,
    ExpandEach,
    Locate,
    RelatedPersons,
    Relation,
    SharedKind,
    SharedVertices,
    TopReceivers,
    VertexRef,
    vertex_order,
)
from customer360.graphstore.plan import VertexLabel
from customer360.model import from_cents
from tests.conftest import run_query
from tests.reference import pandas_bank

PERSON, ACCOUNT, ADDRESS, PHONE, TRANSACTION = (
    VertexLabel.PERSON, VertexLabel.ACCOUNT, VertexLabel.ADDRESS, VertexLabel.PHONE, VertexLabel.TRANSACTION,
)


# ------------------------------------------------------------------ the bank, from the CSVs


class Bank:
    """The CSV files as frames, and the graph they describe as (label, key) adjacency."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        read = lambda name: pd.read_csv(folder / f"aml_data_{name}.csv", dtype=str)  # noqa: E731
        self.persons = read("persons")
        self.accounts = read("accounts")
        self.addresses = read("addresses")
        self.phones = read("phones")
        self.transactions = read("transactions")
        self.adjacent: dict[VertexRef, set[tuple[VertexRef, str]]] = defaultdict(set)
        self.edges: set[tuple[str, VertexRef, VertexRef]] = set()

        def link(label: str, source: VertexRef, target: VertexRef) -> None:
            self.edges.add((label, source, target))
            self.adjacent[source].add((target, label))
            self.adjacent[target].add((source, label))

        for r in self.accounts.itertuples():
            link("OWNS", VertexRef(PERSON, r.owner_person_id), VertexRef(ACCOUNT, r.account_id))
        for r in self.addresses.itertuples():
            link("LIVES_AT", VertexRef(PERSON, r.person_id), VertexRef(ADDRESS, r.address_id))
        for r in self.phones.itertuples():
            link("HAS_PHONE", VertexRef(PERSON, r.person_id), VertexRef(PHONE, r.phone_id))
        for r in self.transactions.itertuples():
            tx = VertexRef(TRANSACTION, r.transaction_id)
            link("SENT", VertexRef(ACCOUNT, r.from_account_id), tx)
            link("RECEIVED_BY", tx, VertexRef(ACCOUNT, r.to_account_id))

    def levels(self, start: VertexRef, depth: int, labels: set[str] | None = None) -> dict[VertexRef, int]:
        """Plain BFS: every vertex within ``depth`` hops, with its distance."""
        dist = {start: 0}
        queue = deque([start])
        while queue:
            here = queue.popleft()
            if dist[here] == depth:
                continue
            for there, label in self.adjacent[here]:
                if (labels is None or label in labels) and there not in dist:
                    dist[there] = dist[here] + 1
                    queue.append(there)
        return dist

    def shortest(self, source: VertexRef, target: VertexRef) -> tuple[int | None, int]:
        """(length, number of shortest paths) by BFS from one end."""
        dist, count = {source: 0}, {source: 1}
        queue = deque([source])
        while queue:
            here = queue.popleft()
            for there, _ in self.adjacent[here]:
                if there not in dist:
                    dist[there], count[there] = dist[here] + 1, count[here]
                    queue.append(there)
                elif dist[there] == dist[here] + 1:
                    count[there] += count[here]
        return dist.get(target), count.get(target, 0)

    def households(self) -> dict[str, list[str]]:
        return pandas_bank.shared_addresses(self.folder, 2)

    def hub_owners(self) -> set[str]:
        """Owners of accounts paid by more than 50 distinct accounts (their neighbourhoods are huge)."""
        senders = self.transactions.groupby("to_account_id").from_account_id.nunique()
        hubs = set(senders[senders > 50].index)
        return set(self.accounts[self.accounts.account_id.isin(hubs)].owner_person_id)

    def co_resident_pair(self) -> tuple[str, str, set[str]]:
        """Two persons sharing an address, neither owning a hub account, sharing as much as
        any such pair (an address and a landline if possible): (a, b, shared ids)."""
        hubs = self.hub_owners()
        pairs = [
            (a, b) for persons in self.households().values()
            for i, a in enumerate(persons) for b in persons[i + 1:] if a not in hubs and b not in hubs
        ]
        assert pairs, "the fixture bank has no household"
        a, b = min(pairs, key=lambda pair: (-len(self.shared_between(*pair)), pair))
        return a, b, self.shared_between(a, b)

    def shared_between(self, a: str, b: str) -> set[str]:
        """Ids of the addresses and phones both persons are linked to."""
        shared = set()
        for frame, column in ((self.addresses, "address_id"), (self.phones, "phone_id")):
            shared |= set(frame[frame.person_id == a][column]) & set(frame[frame.person_id == b][column])
        return shared


@pytest.fixture(scope="module")
def bank(bank_dir: Path) -> Bank:
    return Bank(bank_dir)


def shared_reference(frame: pd.DataFrame, key: str, minimum: int) -> list[tuple[str, list[str]]]:
    groups = pandas_bank._shared(frame, key, minimum)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _ok(body: dict) -> dict:
    assert "errors" not in body, body
    return body["data"]


# ------------------------------------------------------------------ steps, straight on the store


async def test_locate_finds_any_label_in_one_call(store, bank):
    keys = (bank.persons.person_id[0], bank.accounts.account_id[0], bank.transactions.transaction_id[0], "NOPE")
    with capture_calls() as log:
        found = await store.locate(Locate(keys))
    assert log.total == 1
    assert set(found) == set(keys[:3])
    assert [ref for ref, _ in found[keys[1]]] == [VertexRef(ACCOUNT, keys[1])]


async def test_expand_one_hop_matches_the_csv_edges_in_one_call(store, bank):
    person = VertexRef(PERSON, bank.co_resident_pair()[0])
    level_one = [ref for ref, d in bank.levels(person, 1).items() if d == 1]
    with capture_calls() as log:
        [hop] = await store.expand(ExpandEach((Expand((person,)),)))
    assert log.total == 1
    assert hop.new == sorted(level_one, key=vertex_order)
    assert hop.total_new == len(level_one) and not hop.cut
    assert {(e.label.value, e.source, e.target) for e in hop.edges} == {
        edge for edge in bank.edges if person in edge[1:]
    }
    assert set(hop.records) == set(level_one)


async def test_expand_two_frontiers_at_once_with_limit_and_exclusions(store, bank):
    a, b, _ = bank.co_resident_pair()
    hub = bank.transactions.to_account_id.value_counts().index[0]
    hub_ref = VertexRef(ACCOUNT, hub)
    around_hub = sorted((r for r, d in bank.levels(hub_ref, 1).items() if d == 1), key=vertex_order)
    first_a = [r for r, d in bank.levels(VertexRef(PERSON, a), 1).items() if d == 1]
    with capture_calls() as log:
        [hop_a, hop_hub] = await store.expand(ExpandEach((
            Expand((VertexRef(PERSON, a),), exclude=tuple(first_a[:1]), with_records=False),
            Expand((hub_ref,), limit=7),
        )))
    assert log.total == 1
    assert set(hop_a.new) == set(first_a[1:]) and hop_a.records == {}
    assert hop_hub.new == around_hub[:7] and hop_hub.total_new == len(around_hub) and hop_hub.cut
    assert all(hub_ref in (e.source, e.target) for e in hop_hub.edges)
    assert {e.source if e.target == hub_ref else e.target for e in hop_hub.edges} == set(around_hub[:7])


async def test_shared_vertices_and_top_receivers_steps_match_pandas(store, bank, bank_dir):
    expected = shared_reference(bank.addresses, "address_id", 2)
    page = await store.shared_vertices(SharedVertices(SharedKind.ADDRESS, 2, 1000, with_total=True))
    assert [(row.key, list(row.person_ids)) for row in page.rows] == expected
    assert page.total == len(expected) and not page.has_next
    top = await store.top_receivers(TopReceivers(10))
    reference = pandas_bank.top_counterparties(bank_dir, 10)
    assert [(r.account_id, r.transaction_count, r.distinct_senders) for r in top] == [
        (account, n, senders) for account, n, _, senders in reference
    ]
    assert [from_cents(r.volume_cents) for r in top] == [Decimal(f"{v:.2f}") for _, _, v, _ in reference]


async def test_related_persons_step_finds_co_residents_and_transfers(store, bank):
    a, b, shared = bank.co_resident_pair()
    found = await store.related_persons(RelatedPersons((a,)))
    rows = [r for r in found[a] if r.other_id == b]
    assert {r.item for r in rows if r.relation in (Relation.SHARED_ADDRESS, Relation.SHARED_PHONE)} == shared
    tx = bank.transactions.merge(bank.accounts, left_on="from_account_id", right_on="account_id")
    tx = tx.merge(bank.accounts, left_on="to_account_id", right_on="account_id", suffixes=("_from", "_to"))
    sent = tx[(tx.owner_person_id_from == a) & (tx.owner_person_id_to != a)]
    expected = sent.groupby("owner_person_id_to").size().to_dict()
    got = {r.other_id: r.count for r in found[a] if r.relation is Relation.TRANSFERS and r.item == "sent"}
    assert got == expected


# ------------------------------------------------------------------ sharedAddresses / sharedPhones

SHARED_ADDRESSES = """query($min: Int!, $after: String) {
  sharedAddresses(minResidents: $min, first: 7, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { residentCount address { id city } residents { id name } } }
  } }"""

SHARED_PHONES = """query($min: Int!, $after: String) {
  sharedPhones(minOwners: $min, first: 7, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { ownerCount phone { id number } owners { id } } }
  } }"""


async def _all_pages(client, query: str, field: str, minimum: int) -> tuple[list[dict], int, int]:
    nodes, after, pages = [], None, 0
    while True:
        data = _ok(await run_query(client, query, {"min": minimum, "after": after}))[field]
        nodes += [edge["node"] for edge in data["edges"]]
        pages += 1
        if not data["pageInfo"]["hasNextPage"]:
            return nodes, data["totalCount"], pages
        after = data["pageInfo"]["endCursor"]


@pytest.mark.parametrize("minimum", [2, 3])
async def test_shared_addresses_page_through_the_reference(client, bank, minimum):
    expected = shared_reference(bank.addresses, "address_id", minimum)
    nodes, total, pages = await _all_pages(client, SHARED_ADDRESSES, "sharedAddresses", minimum)
    assert [(n["address"]["id"], [r["id"] for r in n["residents"]]) for n in nodes] == expected
    assert [n["residentCount"] for n in nodes] == [len(persons) for _, persons in expected]
    assert total == len(expected) and pages > 1
    names = dict(zip(bank.persons.person_id, bank.persons.first_name + " " + bank.persons.last_name))
    assert all(r["name"] == names[r["id"]] for n in nodes for r in n["residents"])


async def test_shared_phones_page_through_the_reference(client, bank):
    expected = shared_reference(bank.phones, "phone_id", 2)
    nodes, total, _ = await _all_pages(client, SHARED_PHONES, "sharedPhones", 2)
    assert [(n["phone"]["id"], [o["id"] for o in n["owners"]]) for n in nodes] == expected
    assert total == len(expected)


async def test_shared_addresses_cost_one_call_per_level(client):
    body = await run_query(client, SHARED_ADDRESSES, {"min": 2}, explain=True)
    _ok(body)
    # the groups, then the addresses and the residents (each one batched call)
    assert body["extensions"]["explain"]["totalCalls"] == 3


# ------------------------------------------------------------------ topCounterparties


async def test_top_counterparties_match_the_reference(client, bank_dir):
    body = await run_query(
        client, "{ topCounterparties(first: 10) { account { id owner { id } } transactionCount volume distinctSenders } }",
        explain=True,
    )
    got = _ok(body)["topCounterparties"]
    expected = pandas_bank.top_counterparties(bank_dir, 10)
    assert [(c["account"]["id"], c["transactionCount"], Decimal(c["volume"]), c["distinctSenders"]) for c in got] == [
        (account, n, Decimal(f"{volume:.2f}"), senders) for account, n, volume, senders in expected
    ]
    assert body["extensions"]["explain"]["totalCalls"] == 3  # ranking, accounts, owners


# ------------------------------------------------------------------ neighborhood

NEIGHBORHOOD = """query($id: ID!, $depth: Int, $limit: Int, $labels: [EdgeLabel!]) {
  neighborhood(id: $id, depth: $depth, limit: $limit, edgeLabels: $labels) {
    truncated
    nodes { id label level properties }
    edges { source target label }
  } }"""


def _node_refs(data: dict) -> list[tuple[VertexRef, int]]:
    return [(VertexRef(VertexLabel[n["label"]], n["id"]), n["level"]) for n in data["nodes"]]


def _ordered(levels: dict[VertexRef, int]) -> list[tuple[VertexRef, int]]:
    return sorted(levels.items(), key=lambda item: (item[1], *vertex_order(item[0])))


def _edges_among(bank: Bank, refs: set[VertexRef], labels: set[str] | None = None) -> set[tuple[str, str, str]]:
    return {
        (source.key, target.key, label) for label, source, target in bank.edges
        if source in refs and target in refs and (labels is None or label in labels)
    }


async def test_neighborhood_depth_one_is_the_persons_accounts_addresses_and_phones(client, bank):
    person_id = bank.co_resident_pair()[0]
    body = await run_query(client, NEIGHBORHOOD, {"id": person_id, "depth": 1}, explain=True)
    data = _ok(body)["neighborhood"]
    accounts = set(bank.accounts[bank.accounts.owner_person_id == person_id].account_id)
    addresses = set(bank.addresses[bank.addresses.person_id == person_id].address_id)
    phones = set(bank.phones[bank.phones.person_id == person_id].phone_id)
    nodes = _node_refs(data)
    assert nodes[0] == (VertexRef(PERSON, person_id), 0)
    assert {ref.key for ref, level in nodes if level == 1} == accounts | addresses | phones
    assert len(nodes) == 1 + len(accounts) + len(addresses) + len(phones)
    expected_edges = (
        {(person_id, a, "OWNS") for a in accounts} | {(person_id, a, "LIVES_AT") for a in addresses}
        | {(person_id, p, "HAS_PHONE") for p in phones}
    )
    assert {(e["source"], e["target"], e["label"]) for e in data["edges"]} == expected_edges
    assert len(data["edges"]) == len(expected_edges) and data["truncated"] is False
    assert body["extensions"]["explain"]["totalCalls"] == 2  # find the start, one hop


async def test_neighborhood_properties_hide_the_ssn_and_keep_money_exact(client, bank):
    person_id = bank.co_resident_pair()[0]
    body = await run_query(client, NEIGHBORHOOD, {"id": person_id, "depth": 1})
    nodes = {n["id"]: n for n in _ok(body)["neighborhood"]["nodes"]}
    person = bank.persons.set_index("person_id").loc[person_id]
    assert "ssn" not in nodes[person_id]["properties"]  # never in properties: ask Person.ssn
    assert nodes[person_id]["properties"]["name"] == f"{person.first_name} {person.last_name}"
    assert person.ssn not in str(body) and person.ssn[-4:] not in str(nodes[person_id]["properties"])
    for account in bank.accounts[bank.accounts.owner_person_id == person_id].itertuples():
        assert Decimal(nodes[account.account_id]["properties"]["balance"]) == Decimal(account.balance)
        assert nodes[account.account_id]["properties"]["balance"] == f"{Decimal(account.balance):.2f}"


async def test_neighborhood_depth_two_reaches_co_residents_in_bfs_order(client, bank):
    person_id, co_resident, _ = bank.co_resident_pair()
    start = VertexRef(PERSON, person_id)
    expected = bank.levels(start, 2)
    assert len(expected) <= 1000
    body = await run_query(client, NEIGHBORHOOD, {"id": person_id, "depth": 2, "limit": 1000}, explain=True)
    data = _ok(body)["neighborhood"]
    assert (VertexRef(PERSON, co_resident), 2) in _node_refs(data)
    assert _node_refs(data) == _ordered(expected)
    got_edges = [(e["source"], e["target"], e["label"]) for e in data["edges"]]
    assert len(got_edges) == len(set(got_edges))
    assert set(got_edges) == _edges_among(bank, set(expected))
    assert data["truncated"] is False
    assert body["extensions"]["explain"]["totalCalls"] == 1 + 2  # start + one call per hop


async def test_neighborhood_limit_cuts_in_bfs_order_and_says_so(client, bank):
    person_id = bank.co_resident_pair()[0]
    full = _ok(await run_query(client, NEIGHBORHOOD, {"id": person_id, "depth": 2, "limit": 1000}))["neighborhood"]
    body = await run_query(client, NEIGHBORHOOD, {"id": person_id, "depth": 2, "limit": 5}, explain=True)
    cut = _ok(body)["neighborhood"]
    assert cut["truncated"] is True and len(cut["nodes"]) == 5
    assert cut["nodes"] == full["nodes"][:5]
    kept = {n["id"] for n in cut["nodes"]}
    assert all(e["source"] in kept and e["target"] in kept for e in cut["edges"])
    assert body["extensions"]["explain"]["totalCalls"] <= 1 + 2


async def test_neighborhood_limit_filled_exactly_is_truncated_only_if_more_lie_within_depth(client, bank):
    person_id = bank.co_resident_pair()[0]
    within_one = bank.levels(VertexRef(PERSON, person_id), 1)
    variables = {"id": person_id, "limit": len(within_one)}
    one = _ok(await run_query(client, NEIGHBORHOOD, {**variables, "depth": 1}))["neighborhood"]
    two = _ok(await run_query(client, NEIGHBORHOOD, {**variables, "depth": 2}))["neighborhood"]
    assert one["truncated"] is False and two["truncated"] is True
    assert _node_refs(one) == _node_refs(two) == _ordered(within_one)


async def test_neighborhood_follows_only_the_edge_labels_asked_for(client, bank):
    person_id, co_resident, _ = bank.co_resident_pair()
    start = VertexRef(PERSON, person_id)
    expected = bank.levels(start, 2, {"LIVES_AT"})
    data = _ok(await run_query(client, NEIGHBORHOOD, {"id": person_id, "depth": 2, "labels": ["LIVES_AT"]}))
    assert _node_refs(data["neighborhood"]) == _ordered(expected)
    assert {e["label"] for e in data["neighborhood"]["edges"]} == {"LIVES_AT"}
    assert (VertexRef(PERSON, co_resident), 2) in _node_refs(data["neighborhood"])


async def test_neighborhood_of_a_transaction_is_its_two_accounts(client, bank):
    row = bank.transactions.iloc[3]
    data = _ok(await run_query(
        client, """query($id: ID!) { neighborhood(id: $id, depth: 1) {
          nodes { id label properties vertex { __typename id } } edges { source target label } } }""",
        {"id": row.transaction_id},
    ))["neighborhood"]
    assert data["nodes"][0]["label"] == "TRANSACTION"
    assert data["nodes"][0]["properties"]["amount"] == f"{Decimal(row.amount):.2f}"
    assert data["nodes"][0]["vertex"] == {"__typename": "Transaction", "id": row.transaction_id}
    assert {n["id"] for n in data["nodes"][1:]} == {row.from_account_id, row.to_account_id}
    assert {(e["source"], e["target"], e["label"]) for e in data["edges"]} == {
        (row.from_account_id, row.transaction_id, "SENT"), (row.transaction_id, row.to_account_id, "RECEIVED_BY"),
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"depth": 9}, "neighborhood: argument 'depth' must be between 0 and 4, got 9"),
        ({"limit": 0}, "neighborhood: argument 'limit' must be between 1 and 1000, got 0"),
        ({"limit": 5000}, "neighborhood: argument 'limit' must be between 1 and 1000, got 5000"),
        ({"labels": []}, "neighborhood: argument 'edgeLabels' must name at least one edge label"),
        ({"id": "NOPE-1"}, "neighborhood: argument 'id': no vertex has id 'NOPE-1'"),
    ],
)
async def test_neighborhood_bad_arguments_name_the_argument(client, bank, arguments, message):
    variables = {"id": bank.persons.person_id[0], **arguments}
    body = await run_query(client, NEIGHBORHOOD, variables)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"].startswith(message)
    assert error["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND"}


# ------------------------------------------------------------------ path

PATH = """query($from: ID!, $to: ID!, $max: Int) {
  path(from: $from, to: $to, maxDepth: $max) {
    found length pathCount truncated
    paths { id label edge direction }
  } }"""


async def test_path_between_co_residents_is_two_hops_through_what_they_share(client, bank):
    a, b, shared = bank.co_resident_pair()
    body = await run_query(client, PATH, {"from": a, "to": b}, explain=True)
    result = _ok(body)["path"]
    assert result["found"] is True and result["length"] == 2 and result["truncated"] is False
    assert result["pathCount"] == len(shared) == len(result["paths"])
    assert {p[1]["id"] for p in result["paths"]} == shared
    for steps in result["paths"]:
        assert [s["id"] for s in steps] == [a, steps[1]["id"], b]
        assert steps[0]["edge"] is None and steps[0]["direction"] is None
        assert steps[1]["edge"] == steps[2]["edge"] and steps[1]["edge"] in {"LIVES_AT", "HAS_PHONE"}
        assert (steps[1]["direction"], steps[2]["direction"]) == ("OUT", "IN")
    assert any(steps[1]["edge"] == "LIVES_AT" for steps in result["paths"])
    # persons first, then ONE call expanding both ends: a 2-hop path is found in the first round
    assert body["extensions"]["explain"]["totalCalls"] == 2


async def test_path_matches_a_plain_breadth_first_search(client, bank):
    """A pair joined by a transfer and nothing shorter: the lengths and counts agree with BFS."""
    tx = bank.transactions.merge(bank.accounts, left_on="from_account_id", right_on="account_id")
    tx = tx.merge(bank.accounts, left_on="to_account_id", right_on="account_id", suffixes=("_from", "_to"))
    tx = tx[tx.owner_person_id_from != tx.owner_person_id_to]
    hubs = bank.hub_owners()
    checked = 0
    for row in tx.itertuples():
        a, b = row.owner_person_id_from, row.owner_person_id_to
        if a in hubs or b in hubs:
            continue
        length, count = bank.shortest(VertexRef(PERSON, a), VertexRef(PERSON, b))
        body = await run_query(client, PATH, {"from": a, "to": b, "max": 4}, explain=True)
        result = _ok(body)["path"]
        assert (result["found"], result["length"], result["pathCount"]) == (True, length, count)
        assert len(result["paths"]) == min(count, 10)
        assert all(len(steps) == length + 1 for steps in result["paths"])
        assert body["extensions"]["explain"]["totalCalls"] <= 1 + 2
        if length == 4:
            labels = {tuple(s["edge"] for s in steps[1:]) for steps in result["paths"]}
            assert ("OWNS", "SENT", "RECEIVED_BY", "OWNS") in labels or ("OWNS", "RECEIVED_BY", "SENT", "OWNS") in labels
        checked += 1
        if checked == 3:
            break
    assert checked == 3


async def test_path_beyond_max_depth_is_not_found(client, bank):
    a, b, _ = bank.co_resident_pair()
    result = _ok(await run_query(client, PATH, {"from": a, "to": b, "max": 1}))["path"]
    assert result == {"found": False, "length": None, "pathCount": 0, "truncated": False, "paths": []}
    # two persons of different households with nothing in common within 2 hops
    near = {ref.key for ref in bank.levels(VertexRef(PERSON, a), 2)}
    far = next(p for p in bank.persons.person_id if p not in near)
    result = _ok(await run_query(client, PATH, {"from": a, "to": far, "max": 2}))["path"]
    assert result["found"] is False and result["paths"] == []


async def test_path_vertices_resolve_to_their_types(client, bank):
    a, b, _ = bank.co_resident_pair()
    body = await run_query(
        client, """query($from: ID!, $to: ID!) { path(from: $from, to: $to) {
          paths { vertex { __typename id ... on Person { name } } } } }""",
        {"from": a, "to": b}, explain=True,
    )
    paths = _ok(body)["path"]["paths"]
    assert paths[0][0]["vertex"]["__typename"] == "Person" and paths[0][0]["vertex"]["id"] == a
    assert {p[1]["vertex"]["__typename"] for p in paths} <= {"Address", "Phone"}
    # persons, the search, then the vertices: one call per label met
    assert body["extensions"]["explain"]["totalCalls"] <= 2 + 3


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"max": 0}, "path: argument 'maxDepth' must be between 1 and 8, got 0"),
        ({"max": 99}, "path: argument 'maxDepth' must be between 1 and 8, got 99"),
        ({"from": "P9999999"}, "path: argument 'from': no person has id 'P9999999'"),
        ({"to": "ACC00000001"}, "path: argument 'to': no person has id 'ACC00000001'"),
    ],
)
async def test_path_bad_arguments_name_the_argument(client, bank, variables, message):
    a, b, _ = bank.co_resident_pair()
    body = await run_query(client, PATH, {"from": a, "to": b, **variables})
    assert body["data"] is None
    assert body["errors"][0]["message"] == message


# ------------------------------------------------------------------ relatedCustomers

RELATED = """query($id: ID!, $first: Int) { customer(id: $id) {
  relatedCustomers(first: $first) {
    person { id name } via evidence evidenceCount relations { relation total items }
  } } }"""


async def test_related_customers_of_a_household_member_include_co_residents(client, bank):
    a, b, shared = bank.co_resident_pair()
    related = _ok(await run_query(client, RELATED, {"id": a, "first": 500}))["customer"]["relatedCustomers"]
    by_id = {r["person"]["id"]: r for r in related}
    assert b in by_id
    mate = by_id[b]
    assert "SHARED_ADDRESS" in mate["via"]
    addresses = set(bank.addresses[bank.addresses.person_id == a].address_id) & set(
        bank.addresses[bank.addresses.person_id == b].address_id
    )
    assert any(address in line for address in addresses for line in mate["evidence"])
    relation = next(r for r in mate["relations"] if r["relation"] == "SHARED_ADDRESS")
    assert set(relation["items"]) == addresses and relation["total"] == len(addresses)
    # every co-resident is there, and nobody is related to themself
    residents = set(bank.addresses[bank.addresses.address_id.isin(addresses)].person_id) - {a}
    assert residents <= set(by_id) and a not in by_id


async def test_related_customers_are_ranked_and_capped(client, bank):
    a, _, _ = bank.co_resident_pair()
    related = _ok(await run_query(client, RELATED, {"id": a, "first": 500}))["customer"]["relatedCustomers"]
    keys = [(-len(r["via"]), -r["evidenceCount"], r["person"]["id"]) for r in related]
    assert keys == sorted(keys)
    assert all(len(rel["items"]) <= 5 for r in related for rel in r["relations"])
    assert all(r["evidenceCount"] == sum(rel["total"] for rel in r["relations"]) for r in related)
    first_three = _ok(await run_query(client, RELATED, {"id": a, "first": 3}))["customer"]["relatedCustomers"]
    assert first_three == related[:3]


async def test_related_customers_transfers_count_and_volume_match_the_csv(client, bank):
    tx = bank.transactions.merge(bank.accounts, left_on="from_account_id", right_on="account_id")
    tx = tx.merge(bank.accounts, left_on="to_account_id", right_on="account_id", suffixes=("_from", "_to"))
    tx = tx[tx.owner_person_id_from != tx.owner_person_id_to]
    row = tx.iloc[0]
    a, b = row.owner_person_id_from, row.owner_person_id_to
    between = tx[((tx.owner_person_id_from == a) & (tx.owner_person_id_to == b))
                 | ((tx.owner_person_id_from == b) & (tx.owner_person_id_to == a))]
    related = _ok(await run_query(client, RELATED, {"id": a, "first": 500}))["customer"]["relatedCustomers"]
    mate = next(r for r in related if r["person"]["id"] == b)
    transfers = next(r for r in mate["relations"] if r["relation"] == "TRANSFERS")
    assert transfers["total"] == len(between)
    sent = between[between.owner_person_id_from == a]
    volume = sum((Decimal(v) for v in sent.amount), Decimal(0))
    word = "transfer" if len(sent) == 1 else "transfers"
    assert f"{len(sent)} {word} sent to them, {volume:.2f} in total" in mate["evidence"]


async def test_related_customers_cost_one_call_for_every_parent(client):
    body = await run_query(
        client, "{ customers(first: 40) { edges { node { id relatedCustomers(first: 3) { person { id } via } } } } }",
        explain=True,
    )
    customers = _ok(body)["customers"]["edges"]
    assert sum(len(c["node"]["relatedCustomers"]) for c in customers) > 40
    operations = [call["operation"] for call in body["extensions"]["explain"]["calls"]]
    assert operations.count("related_persons") == 1
    assert body["extensions"]["explain"]["totalCalls"] == 3  # customers, relations, persons


async def test_related_customers_first_must_be_in_range(client, bank):
    body = await run_query(client, RELATED, {"id": bank.persons.person_id[0], "first": -1})
    assert body["errors"][0]["message"] == "Person.relatedCustomers: argument 'first' must be between 0 and 500, got -1"


async def test_shared_and_top_bad_arguments_name_the_argument(client):
    cases = {
        "{ sharedAddresses(minResidents: 0) { totalCount } }":
            "sharedAddresses: argument 'minResidents' must be at least 1, got 0",
        "{ sharedPhones(first: 501) { totalCount } }": "sharedPhones: argument 'first' must be between 0 and 500, got 501",
        '{ sharedPhones(after: "bogus") { totalCount } }': "sharedPhones: argument 'after' is not a cursor",
        "{ topCounterparties(first: -2) { volume } }": "topCounterparties: argument 'first' must be between 0 and 500, got -2",
    }
    for query, message in cases.items():
        body = await run_query(client, query)
        assert body["errors"][0]["message"].startswith(message), body

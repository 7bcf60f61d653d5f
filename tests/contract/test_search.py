"""The search contract: the same tests on every index implementation.

The embedded SQLite index always runs; OpenSearch runs when it answers at
``C360_TEST_OPENSEARCH`` (default http://127.0.0.1:9200) and is skipped with the reason
otherwise, or fails with ``C360_REQUIRE_SERVICES=1`` (CI). Each OpenSearch run uses its own
``c360-test-search-*`` index and deletes it afterwards.

Two data sets: a few hand-made customers (exact cases: a nickname, a phonetic spelling, a
household member who is NOT a duplicate), indexed alone; and a generated bank with labelled
duplicates, loaded into an SQLite graph and indexed from it, for the GraphQL fields. Quality
is judged by who comes first, never by equal scores across implementations.
"""

from __future__ import annotations

import asyncio
import csv
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.backend_calls import capture_calls
from customer360.config import GraphUrl, SearchUrl, Settings
from customer360.generator import DUPLICATES_FILE, generate_bank
from customer360.graphstore.backends import open_store
from customer360.graphstore.protocol import GraphStore
from customer360.ingest.load import load_bank
from customer360.search import open_search_index
from customer360.search.documents import AddressDoc, PersonDocument, PhoneDoc
from customer360.search.indexing import index_after_load, persons_in
from customer360.search.normalise import fold, phone_key
from customer360.search.protocol import (
    AddressQuery,
    Agreement,
    MatchKind,
    MatchQuery,
    SearchField,
    SearchIndex,
    SearchRequest,
    SearchUnavailable,
)
from tests.conftest import service_missing

OPENSEARCH = os.environ.get("C360_TEST_OPENSEARCH", "http://127.0.0.1:9200")
IMPLEMENTATIONS = ["embedded", "opensearch"]


def _doc(person_id: str, first: str, last: str, dob: str, phone: str, street: str,
         city: str = "Springfield", state: str = "IL", zip_code: str = "62701") -> PersonDocument:
    return PersonDocument(person_id, first, last, dob, (AddressDoc(street, city, state, zip_code),),
                          (PhoneDoc(phone, phone_key(phone)),))


HAND_MADE = [
    _doc("H001", "Robert", "Fitzgerald", "1961-04-12", "(212) 555-0100", "12 Main Street"),
    _doc("H002", "Mary", "Fitzgerald", "1963-09-30", "(212) 555-0100", "12 Main Street"),  # his wife
    _doc("H003", "Bob", "Fitzgerlad", "1961-12-04", "212.555.0100", "12 Main St"),  # him, again
    _doc("H004", "Phil", "Knight", "1975-02-17", "+1-415-555-0199", "400 Oak Avenue Apt. 5", "Portland", "OR", "97201"),
    _doc("H005", "Katherine", "Oduya", "1990-07-01", "646-555-0142", "77 Elm Road", "Albany", "NY", "12207"),
    _doc("H006", "Roberta", "Castillo", "1988-11-23", "305 555 0123", "9 Bay Drive", "Miami", "FL", "33101"),
    _doc("H007", "Jonathan", "Reyes", "1979-05-05", "(702) 555-0155", "1200 Desert Lane", "Las Vegas", "NV", "89101"),
]


def _new_index(kind: str, folder: Path) -> SearchIndex:
    if kind == "embedded":
        return open_search_index(SearchUrl.parse(f"sqlite:///{folder / f'search-{uuid.uuid4().hex[:8]}.db'}"))
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    host, port = OPENSEARCH.split("://", 1)[-1].split(":")
    try:
        OpenSearch(hosts=[{"host": host, "port": int(port)}], timeout=5).cluster.health()
    except OpenSearchConnectionError as error:
        service_missing(f"OpenSearch at {OPENSEARCH}", str(error))
    return open_search_index(SearchUrl.parse(f"opensearch://{host}:{port}/c360-test-search-{uuid.uuid4().hex[:12]}"))


async def _drop(index: SearchIndex) -> None:
    if hasattr(index, "drop"):
        await index.drop()
    await index.close()


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def hand_made_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    index = _new_index(request.param, tmp_path_factory.mktemp("hand-made"))

    async def fill() -> None:
        await index.upsert(HAND_MADE)
        await index.close()

    asyncio.run(fill())
    yield index
    asyncio.run(_drop(index))


@pytest.fixture
async def hand(hand_made_index: SearchIndex) -> AsyncIterator[SearchIndex]:
    """The module's index, with this test's event loop's client closed afterwards."""
    yield hand_made_index
    await hand_made_index.close()


async def top(index: SearchIndex, text: str, first: int = 5) -> list[str]:
    page = await index.search(SearchRequest.parse(text, 100), first)
    return [hit.person_id for hit in page.hits]


async def hit_for(index: SearchIndex, text: str, person_id: str):
    page = await index.search(SearchRequest.parse(text, 100), 10)
    return next(hit for hit in page.hits if hit.person_id == person_id)


def kinds(hit) -> dict[SearchField, MatchKind]:
    return {m.field: m.kind for m in hit.matched}


# ------------------------------------------------------------------ searchCustomers, index level


async def test_a_misspelt_name_finds_the_customer_first(hand: SearchIndex) -> None:
    assert (await top(hand, "Jonahtan Reyes"))[0] == "H007"
    hit = await hit_for(hand, "Jonahtan Reyes", "H007")
    assert kinds(hit) == {SearchField.FIRST_NAME: MatchKind.FUZZY, SearchField.LAST_NAME: MatchKind.EXACT}


async def test_a_nickname_finds_the_formal_name(hand: SearchIndex) -> None:
    found = await top(hand, "Bob Fitzgerald")
    assert found[0] in {"H001", "H003"}
    hit = await hit_for(hand, "Bob Fitzgerald", "H001")
    assert kinds(hit)[SearchField.FIRST_NAME] is MatchKind.NICKNAME
    assert "H006" not in found[:2]  # Roberta is not Bob


async def test_a_phonetic_spelling_finds_the_customer(hand: SearchIndex) -> None:
    assert (await top(hand, "Fil Knight"))[0] == "H004"
    hit = await hit_for(hand, "Fil Knight", "H004")
    assert kinds(hit)[SearchField.FIRST_NAME] is MatchKind.PHONETIC


async def test_reordered_names_find_the_same_customer(hand: SearchIndex) -> None:
    assert (await top(hand, "Reyes Jonathan"))[0] == "H007"
    assert (await top(hand, "Oduya, Katherine"))[0] == "H005"


@pytest.mark.parametrize("spelling", ["(415) 555-0199", "+1 415 555 0199", "4155550199", "415.555.0199"])
async def test_any_phone_spelling_finds_the_owner(hand: SearchIndex, spelling: str) -> None:
    assert await top(hand, spelling) == ["H004"]
    hit = await hit_for(hand, spelling, "H004")
    assert hit.matched[0].field is SearchField.PHONE and hit.matched[0].kind is MatchKind.EXACT
    assert hit.matched[0].value == "+1-415-555-0199"  # the number as the customer's record has it


async def test_street_abbreviations_match_both_ways(hand: SearchIndex) -> None:
    assert (await top(hand, "400 Oak Ave"))[0] == "H004"
    assert (await top(hand, "1200 Desert Ln"))[0] == "H007"
    hit = await hit_for(hand, "77 Elm Rd Albany", "H005")
    assert kinds(hit)[SearchField.STREET] is MatchKind.EXACT
    assert kinds(hit)[SearchField.CITY] is MatchKind.EXACT


async def test_dates_of_birth_in_any_spelling_and_transposed(hand: SearchIndex) -> None:
    assert (await top(hand, "07/01/1990"))[0] == "H005"
    assert (await top(hand, "Reyes 1979-05-05"))[0] == "H007"
    hit = await hit_for(hand, "Robert 1961-12-04", "H001")  # day and month swapped
    assert kinds(hit)[SearchField.DATE_OF_BIRTH] is MatchKind.FUZZY


async def test_search_as_you_type_from_two_characters(hand: SearchIndex) -> None:
    assert (await top(hand, "Jo Re"))[0] == "H007"
    hit = await hit_for(hand, "Kat Odu", "H005")
    assert set(kinds(hit).values()) == {MatchKind.PREFIX}
    assert "H004" in await top(hand, "Kn", 10)


async def test_scores_run_from_zero_to_one_best_first(hand: SearchIndex) -> None:
    page = await hand.search(SearchRequest.parse("Robert Fitzgerald", 100), 10)
    scores = [hit.score for hit in page.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores) and scores[0] == 1.0
    assert page.hits[0].person_id == "H001"


async def test_paging_gives_each_hit_once(hand: SearchIndex) -> None:
    request = SearchRequest.parse("Fitzgerald", 100)
    first = await hand.search(request, 2, 0)
    rest = await hand.search(request, 10, 2)
    assert first.has_next and not rest.has_next
    ids = [h.person_id for h in first.hits + rest.hits]
    assert sorted(ids) == ["H001", "H002", "H003"]


async def test_text_that_matches_nobody_finds_nothing(hand: SearchIndex) -> None:
    assert await top(hand, "Zzyzx Qwerty") == []


# ------------------------------------------------------------------ matchCustomer and duplicates, index level


async def test_match_explains_each_field_like_record_linkage(hand: SearchIndex) -> None:
    query = MatchQuery(
        first_name="Bob", last_name="Fitzgerald", date_of_birth="1961-12-04", phones=(phone_key("+1 212 555 0100"),),
        addresses=(AddressQuery("12 Main St", "Springfield", "IL", "62701"),),
    )
    results = await hand.match(query, 3)
    best = results[0]
    assert best.person_id in {"H001", "H003"} and best.score > 0.95
    robert = next(r for r in results if r.person_id == "H001")
    evidence = {e.field: e for e in robert.evidence}
    assert (evidence[SearchField.FIRST_NAME].level, evidence[SearchField.FIRST_NAME].agreement) == ("nickname", Agreement.PARTIAL)
    assert evidence[SearchField.FIRST_NAME].candidate_value == "Robert"
    assert evidence[SearchField.DATE_OF_BIRTH].level == "transposed"
    assert evidence[SearchField.PHONE].agreement is Agreement.AGREE
    assert evidence[SearchField.STREET].agreement is Agreement.AGREE
    assert evidence[SearchField.LAST_NAME].agreement is Agreement.AGREE and evidence[SearchField.LAST_NAME].weight > 0
    mary = next((r for r in results if r.person_id == "H002"), None)
    assert mary is None or mary.score < 0.5  # his wife shares the address and phone, not the person


async def test_match_with_only_some_fields_says_what_is_missing(hand: SearchIndex) -> None:
    results = await hand.match(MatchQuery(last_name="Oduya", date_of_birth="1990-07-01"), 2)
    assert results[0].person_id == "H005"
    missing = {e.field for e in results[0].evidence if e.agreement is Agreement.MISSING}
    assert {SearchField.FIRST_NAME, SearchField.PHONE, SearchField.STREET} <= missing
    assert 0.0 <= results[0].score <= 1.0


async def test_possible_duplicates_find_the_same_person_not_the_household(hand: SearchIndex) -> None:
    found = await hand.possible_duplicates(["H001", "H002", "H003", "H404"], 5, 0.9)
    assert [r.person_id for r in found["H001"]] == ["H003"]
    assert [r.person_id for r in found["H003"]] == ["H001"]
    assert found["H002"] == []  # the wife: same address and phone, another person
    assert found["H404"] == []  # not indexed


async def test_possible_duplicates_cost_the_same_calls_for_one_or_many(hand: SearchIndex) -> None:
    with capture_calls() as one:
        await hand.possible_duplicates(["H001"], 5, 0.9)
    with capture_calls() as many:
        await hand.possible_duplicates([d.person_id for d in HAND_MADE], 5, 0.9)
    assert one.total == many.total <= 2
    assert all(call.backend == hand.backend for call in many.calls)


# ------------------------------------------------------------------ keeping in step


@pytest.fixture(params=IMPLEMENTATIONS)
async def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchIndex]:
    index = _new_index(request.param, tmp_path)
    yield index
    await _drop(index)


async def _batches(*batches: list[PersonDocument]):
    for batch in batches:
        yield batch


async def test_rebuild_replaces_the_whole_index_at_once(scratch: SearchIndex) -> None:
    assert await scratch.rebuild(_batches(HAND_MADE[:3], HAND_MADE[3:5])) == 5
    assert await scratch.count() == 5
    assert (await top(scratch, "Phil Knight"))[0] == "H004"
    assert await scratch.rebuild(_batches(HAND_MADE[5:])) == 2
    assert await scratch.count() == 2
    assert await top(scratch, "Phil Knight") == []
    assert (await top(scratch, "Jonathan Reyes"))[0] == "H007"


async def test_upsert_replaces_a_changed_customer_and_delete_removes_one(scratch: SearchIndex) -> None:
    await scratch.upsert(HAND_MADE)
    await scratch.upsert(HAND_MADE)  # twice: nothing doubles
    assert await scratch.count() == len(HAND_MADE)
    moved = PersonDocument("H005", "Katherine", "Mbeki", "1990-07-01", (), (PhoneDoc("646-555-0142", phone_key("646-555-0142")),))
    await scratch.upsert([moved])
    assert "H005" not in await top(scratch, "Katherine Oduya", 10) or (await hit_for(scratch, "Katherine Oduya", "H005")).score < 0.6
    assert (await top(scratch, "Katherine Mbeki"))[0] == "H005"
    assert (await scratch.documents(["H005"]))["H005"] == moved
    await scratch.delete(["H005"])
    assert "H005" not in await top(scratch, "Katherine Mbeki", 10)
    assert await scratch.count() == len(HAND_MADE) - 1


async def test_an_unreachable_backend_says_so(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for index in (
        open_search_index(SearchUrl.parse(f"sqlite:///{blocker / 'search.db'}")),
        open_search_index(SearchUrl.parse("opensearch://127.0.0.1:1/c360-test-search-nowhere"), timeout_s=2),
    ):
        with pytest.raises(SearchUnavailable) as raised:
            await index.ping()
        assert raised.value.backend == index.backend
        with pytest.raises(SearchUnavailable):
            await index.search(SearchRequest.parse("Robert", 10), 5)
        await index.close()


# ------------------------------------------------------------------ GraphQL, on a generated bank


@pytest.fixture(scope="module")
def labelled_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, GraphStore, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("labelled")
    generate_bank(folder / "bank", 400, 5, progress=False, duplicates=0.05)
    store = open_store(GraphUrl.parse(f"sqlite:///{folder / 'graph.db'}"))
    load_bank(folder / "bank", store, progress=False)
    with open(folder / "bank" / DUPLICATES_FILE, newline="") as handle:
        labels = {row["person_id"]: row["duplicate_of"] for row in csv.DictReader(handle)}
    yield folder / "bank", store, labels
    store.close()


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def bank_index(request: pytest.FixtureRequest, labelled_bank, tmp_path_factory) -> Iterator[SearchIndex]:
    bank_dir, store, _ = labelled_bank
    index = _new_index(request.param, tmp_path_factory.mktemp("bank-index"))

    async def fill() -> None:
        assert await index_after_load(store, index, bank_dir) == 420  # an empty index is built whole
        assert await index.count() == 420
        await index.close()

    asyncio.run(fill())
    yield index
    asyncio.run(_drop(index))


@pytest.fixture
async def api(labelled_bank, bank_index: SearchIndex) -> AsyncIterator[httpx.AsyncClient]:
    _, store, _ = labelled_bank
    app = create_app(Settings(), store=store, search=bank_index)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as http:
        yield http
    await bank_index.close()


async def gql(client: httpx.AsyncClient, query: str, variables: dict | None = None) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


def _unique_person(bank_dir: Path, labels: dict[str, str]) -> dict[str, str]:
    with open(bank_dir / "aml_data_persons.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (fold(row["first_name"]), fold(row["last_name"]))
        names[key] = names.get(key, 0) + 1
    involved = set(labels) | set(labels.values())
    return next(
        row for row in rows
        if names[(fold(row["first_name"]), fold(row["last_name"]))] == 1 and row["person_id"] not in involved
        and len(row["last_name"]) >= 5
    )


SEARCH = """query ($text: String!, $first: Int, $after: String) {
  searchCustomers(text: $text, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor score matched { field kind query value similarity } node { id name ssn } }
  } }"""


async def test_graphql_search_finds_a_misspelt_customer_with_a_masked_ssn(api, labelled_bank) -> None:
    bank_dir, _, labels = labelled_bank
    person = _unique_person(bank_dir, labels)
    last = person["last_name"]
    misspelt = last[:2] + last[3] + last[2] + last[4:]  # two letters swapped
    answer = await gql(api, SEARCH, {"text": f"{person['first_name']} {misspelt}", "first": 3})
    assert "errors" not in answer, answer
    edge = answer["data"]["searchCustomers"]["edges"][0]
    assert edge["node"]["id"] == person["person_id"]
    assert edge["node"]["ssn"] == "***-**-" + person["ssn"][-4:]
    assert {m["field"] for m in edge["matched"]} == {"FIRST_NAME", "LAST_NAME"}
    assert all(person["ssn"] not in str(m) and person["ssn"][-4:] != m["value"] for m in edge["matched"])


async def test_graphql_search_pages_with_cursors(api, labelled_bank) -> None:
    bank_dir, _, labels = labelled_bank
    person = _unique_person(bank_dir, labels)
    text = person["last_name"][:2]
    first = (await gql(api, SEARCH, {"text": text, "first": 3}))["data"]["searchCustomers"]
    assert first["pageInfo"]["hasNextPage"]
    second = (await gql(api, SEARCH, {"text": text, "first": 3, "after": first["pageInfo"]["endCursor"]}))["data"]["searchCustomers"]
    ids = [e["node"]["id"] for e in first["edges"] + second["edges"]]
    assert len(ids) == len(set(ids)) == 6
    other = await gql(api, SEARCH, {"text": "somebody else", "first": 3, "after": first["pageInfo"]["endCursor"]})
    assert other["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "different field or ordering" in other["errors"][0]["message"]
    # backward from the second page's first hit: the first page again, in the same order
    back = await gql(api, BACKWARD, {"text": text, "last": 3, "before": second["edges"][0]["cursor"]})
    page = back["data"]["searchCustomers"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[:3]
    assert page["pageInfo"] == {"hasPreviousPage": False, "hasNextPage": True}


BACKWARD = """query ($text: String!, $last: Int, $before: String) {
  searchCustomers(text: $text, last: $last, before: $before) {
    pageInfo { hasPreviousPage hasNextPage } edges { node { id } } } }"""


@pytest.mark.parametrize(("variables", "message"), [
    ({"text": " - ", "first": 5}, "argument 'text' must contain"),
    ({"text": "Smith", "first": 101}, "argument 'first' must be between 0 and 100"),
    ({"text": "Smith", "first": 5, "after": "garbage"}, "argument 'after' (variable $after) is not a cursor"),
])
async def test_graphql_search_refuses_bad_arguments_by_name(api, variables: dict, message: str) -> None:
    answer = await gql(api, SEARCH, variables)
    assert answer["data"] is None
    assert message in answer["errors"][0]["message"] and answer["errors"][0]["message"].startswith("searchCustomers:")


MATCH = """query ($input: CustomerMatchInput!) { matchCustomer(input: $input, first: 3) {
  score person { id name } evidence { field input candidate similarity agreement level weight } } }"""


async def test_graphql_match_finds_the_original_of_a_labelled_duplicate(api, labelled_bank) -> None:
    bank_dir, _, labels = labelled_bank
    documents = {}
    with open(bank_dir / "aml_data_persons.csv", newline="") as handle:
        documents = {row["person_id"]: row for row in csv.DictReader(handle)}
    with open(bank_dir / DUPLICATES_FILE, newline="") as handle:
        # a pair whose duplicate has another spelling of the name, so the original is the one match
        duplicate, original = next(
            (r["person_id"], r["duplicate_of"]) for r in csv.DictReader(handle) if "typo" in r["kinds"]
        )
    row = documents[original]
    answer = await gql(api, MATCH, {"input": {
        "firstName": row["first_name"], "lastName": row["last_name"], "dateOfBirth": row["date_of_birth"],
    }})
    assert "errors" not in answer, answer
    matches = answer["data"]["matchCustomer"]
    assert matches[0]["person"]["id"] == original and matches[0]["score"] > 0.5
    assert {e["field"] for e in matches[0]["evidence"]} >= {"FIRST_NAME", "LAST_NAME", "DATE_OF_BIRTH", "PHONE"}
    phone = next(e for e in matches[0]["evidence"] if e["field"] == "PHONE")
    assert phone["agreement"] == "MISSING" and phone["weight"] == 0


async def test_graphql_match_refuses_an_unreadable_date_or_an_empty_input(api) -> None:
    bad_date = await gql(api, MATCH, {"input": {"lastName": "Smith", "dateOfBirth": "31/31/1990"}})
    assert "matchCustomer: input.dateOfBirth '31/31/1990' is not a date" in bad_date["errors"][0]["message"]
    empty = await gql(api, MATCH, {"input": {"firstName": "  "}})
    assert "matchCustomer: input needs at least one of" in empty["errors"][0]["message"]


async def test_graphql_possible_duplicates_pair_the_labelled_records(api, labelled_bank) -> None:
    _, _, labels = labelled_bank
    pairs = sorted(labels.items())[:5]
    fields = " ".join(
        f'd{n}: customer(id: "{duplicate}") {{ id possibleDuplicates(first: 3) {{ score person {{ id }} '
        f"evidence {{ field agreement level }} }} }}"
        for n, (duplicate, _) in enumerate(pairs)
    )
    with capture_calls() as log:
        answer = await gql(api, "{ " + fields + " }")
    assert "errors" not in answer, answer
    for n, (duplicate, original) in enumerate(pairs):
        found = answer["data"][f"d{n}"]["possibleDuplicates"]
        assert original in [m["person"]["id"] for m in found], (duplicate, original, found)
        assert all(m["score"] >= 0.9 for m in found)
    search_calls = [c for c in log.calls if c.operation.startswith("search.")]
    assert len(search_calls) <= 2  # one batch for all five customers


async def test_a_search_backend_outage_fails_search_only(labelled_bank) -> None:
    _, store, _ = labelled_bank
    down = open_search_index(SearchUrl.parse("opensearch://127.0.0.1:1/c360-test-search-down"), timeout_s=2)
    app = create_app(Settings(), store=store, search=down)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as http:
        answer = await gql(http, '{ searchCustomers(text: "Smith") { edges { score } } customer(id: "P0000001") { id } }')
        ready = await http.get("/readyz")
    await down.close()
    # /readyz names the search backend that is down, yet says the service keeps serving (200):
    # a load balancer must not take an instance out because search is down.
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded" and ready.json()["graph"]["ok"] is True
    assert ready.json()["search"]["ok"] is False and ready.json()["search"]["backend"] == "opensearch"
    assert answer["data"] == {"searchCustomers": None, "customer": {"id": "P0000001"}} or answer["data"] is None
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BACKEND_UNAVAILABLE" and "opensearch backend is unavailable" in error["message"]
    assert error["extensions"]["backend"] == "opensearch"


def test_a_load_lists_the_persons_it_touched(labelled_bank) -> None:
    bank_dir, _, labels = labelled_bank
    touched = persons_in(bank_dir)
    assert len(touched) == 420 and set(labels) <= set(touched)

"""GraphQL over HTTP, rule by rule, on the real app and the real embedded store: which media
type answers, with which status, and what a refused request is told.

``application/graphql-response+json`` (asked for by name) gets 4xx and no ``data`` for a
request that never executed; ``application/json`` (older clients) keeps 200 with errors and
``"data": null``; a request that is not a GraphQL-over-HTTP request at all gets a 4xx and a
JSON body naming the problem, whatever it accepts. The ``graphql-http`` audit checks the
same against a live server (``tests/end_to_end/test_js_tools_harness.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.auth.api_keys import ApiKeyStore
from customer360.config import GraphUrl, OperationSettings, Settings
from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import load_bank

NEW = {"accept": "application/graphql-response+json"}
OLD = {"accept": "application/json"}
GRAPHQL_RESPONSE = "application/graphql-response+json"
CUSTOMER = "query Customer($id: ID!) { customer(id: $id) { id name } }"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    folder = tmp_path_factory.mktemp("http")
    graph = SqliteStore(folder / "customer360.db")
    load_bank(Path(__file__).resolve().parents[2] / "fixtures" / "tiny_bank", graph, progress=False)
    yield graph
    graph.close()


def _settings(store: SqliteStore, **changes: object) -> Settings:
    return replace(Settings(graph=GraphUrl.parse(f"sqlite:///{store.path}")), **changes)


@pytest.fixture
async def api(store: SqliteStore, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(_settings(store), store=store, operations=OperationSettings(path=tmp_path / "operations.db"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        yield client


def _media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


async def test_the_new_media_type_when_asked_for_by_name(api) -> None:
    response = await api.post("/graphql", json={"query": "{ __typename }"}, headers=NEW)
    assert response.status_code == 200 and _media(response) == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"__typename": "Query"}}
    apollo4 = await api.post("/graphql", json={"query": "{ __typename }"},
                             headers={"accept": "application/graphql-response+json,application/json;q=0.9"})
    assert _media(apollo4) == GRAPHQL_RESPONSE


@pytest.mark.parametrize("accept", [
    None, "*/*", "application/json", "application/json, application/graphql-response+json;q=0.1",
])
async def test_older_clients_keep_application_json(api, accept: str | None) -> None:
    headers = {"accept": accept} if accept is not None else {}
    response = await api.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200 and _media(response) == "application/json"


async def test_nothing_acceptable_is_406(api) -> None:
    response = await api.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/xml"})
    assert response.status_code == 406
    assert "application/graphql-response+json" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("body", "says"), [
    ({"query": "{"}, "Syntax Error"),  # parse
    ({"query": "{ customer(id: \"P1\") { nickname } }"}, "Cannot query field 'nickname'"),  # validation
    ({"query": CUSTOMER, "variables": {"id": None}}, "Variable '$id' has invalid value"),  # variable coercion
    ({"query": CUSTOMER, "variables": {}}, "to be provided"),
    ({"query": "query A { __typename } query B { __typename }", "operationName": "C"}, 'Unknown operation named "C"'),
])
async def test_a_request_that_never_ran_is_400_without_data_or_200_with_null_data(api, body: dict, says: str) -> None:
    new = await api.post("/graphql", json=body, headers=NEW)
    assert new.status_code == 400 and _media(new) == GRAPHQL_RESPONSE
    assert "data" not in new.json() and says in new.json()["errors"][0]["message"]
    old = await api.post("/graphql", json=body, headers=OLD)
    assert old.status_code == 200 and _media(old) == "application/json"
    assert old.json()["data"] is None and says in old.json()["errors"][0]["message"]


async def test_a_field_error_is_a_partial_response_with_200(api) -> None:
    """It ran: the error belongs to a field (it has a path), so the status stays 200."""
    response = await api.post("/graphql", json={"query": CUSTOMER, "variables": {"id": "P9"}}, headers=NEW)
    assert response.status_code == 200 and "data" in response.json()
    [error] = response.json()["errors"]
    assert error["path"] == ["customer"] and error["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(("kwargs", "status", "says"), [
    ({"content": b'{ "not a JSON', "headers": {"content-type": "application/json"}}, 400, "not JSON"),
    ({"content": b"", "headers": {"content-type": "application/json"}}, 400, "the request body is empty"),
    ({"json": [{"query": "{ __typename }"}]}, 400, "batched requests"),
    ({"json": "{ __typename }"}, 400, "must be a JSON object"),
    ({"json": {"notquery": "{ __typename }"}}, 400, "no GraphQL document in the request"),
    ({"json": {"query": ["array"]}}, 400, "`query` must be a string"),
    ({"json": {"query": "{ __typename }", "variables": "string"}}, 400, "`variables` must be an object"),
    ({"json": {"query": "{ __typename }", "operationName": {"obj": "ect"}}}, 400, "`operationName` must be a string"),
    ({"json": {"query": "{ __typename }", "extensions": ["array"]}}, 400, "`extensions` must be an object"),
    ({"content": b'{"query": "{ __typename }"}', "headers": {"content-type": "text/plain"}}, 415,
     "Content-Type: application/json"),
    ({"content": b"query=%7B__typename%7D", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415,
     "Content-Type: application/json"),
])
@pytest.mark.parametrize("accept", [NEW, OLD])
async def test_a_bad_body_gets_a_clear_4xx_whatever_is_accepted(api, kwargs: dict, status: int, says: str,
                                                                accept: dict) -> None:
    kwargs = dict(kwargs)
    headers = {**accept, **kwargs.pop("headers", {})}
    response = await api.post("/graphql", headers=headers, **kwargs)
    assert response.status_code == status
    [error] = response.json()["errors"]
    assert says in error["message"] and error["extensions"]["code"] in ("BAD_REQUEST", "UNSUPPORTED_MEDIA_TYPE")
    assert "data" not in response.json()


async def test_get_runs_queries_and_refuses_mutations_with_405_and_allow(api) -> None:
    query = await api.get("/graphql", params={"query": CUSTOMER, "variables": '{"id": "P1"}'}, headers=NEW)
    assert query.status_code == 200 and query.json()["data"]["customer"]["id"] == "P1"
    for accept in (NEW, OLD):
        mutation = await api.get("/graphql", params={"query": "mutation { __typename }"}, headers=accept)
        assert mutation.status_code == 405 and mutation.headers["allow"] == "POST"
        assert "send this operation with POST" in mutation.json()["errors"][0]["message"]
    bad = await api.get("/graphql", params={"query": CUSTOMER, "variables": "{id"}, headers=NEW)
    assert bad.status_code == 400 and "URL-encoded JSON" in bad.json()["errors"][0]["message"]


async def test_other_methods_are_405(api) -> None:
    response = await api.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405 and "POST" in response.headers["allow"]


async def test_graphiql_is_for_browsers_and_a_bare_get_is_a_missing_query(api) -> None:
    page = await api.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL" in page.text
    bare = await api.get("/graphql", headers={"accept": "*/*"})
    assert bare.status_code == 400 and "no GraphQL document" in bare.json()["errors"][0]["message"]


async def test_the_explain_header_works_with_the_new_media_type(api) -> None:
    response = await api.post("/graphql", json={"query": "{ customers(first: 2) { edges { node { id } } } }"},
                              headers={**NEW, "X-C360-Explain": "1"})
    assert response.status_code == 200 and response.json()["extensions"]["explain"]["totalCalls"] >= 1


async def test_a_refused_purpose_is_403_without_data(store, tmp_path) -> None:
    keys = ApiKeyStore(tmp_path / "keys.db")
    _, secret = keys.create("screens", "analyst")
    settings = _settings(store, auth_required=True, api_keys_file=tmp_path / "keys.db")
    app = create_app(settings, store=store, operations=OperationSettings(path=tmp_path / "operations.db"))
    headers = {"X-API-Key": secret, "X-Purpose-Of-Access": "kyc"}  # not one of the analyst's purposes
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        new = await client.post("/graphql", json={"query": "{ customers(first: 1) { totalCount } }"},
                                headers={**headers, **NEW})
        old = await client.post("/graphql", json={"query": "{ customers(first: 1) { totalCount } }"},
                                headers={**headers, **OLD})
    assert new.status_code == 403 and "data" not in new.json()
    assert new.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert old.status_code == 200 and old.json()["data"] is None


async def test_production_without_get_answers_405_to_a_get_query(store, tmp_path) -> None:
    keys = ApiKeyStore(tmp_path / "keys.db")
    _, secret = keys.create("ops", "admin")
    settings = _settings(store, profile="production", auth_required=True, api_keys_file=tmp_path / "keys.db")
    app = create_app(settings, store=store, operations=OperationSettings(path=tmp_path / "operations.db"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        response = await client.get("/graphql", params={"query": "{ __typename }"}, headers={"X-API-Key": secret})
    assert response.status_code == 405 and response.headers["allow"] == "POST"

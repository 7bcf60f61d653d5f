"""Persisted operations in detail, in process, on the real embedded store: Apollo's automatic
persisted queries from a real client (``gql`` with Apollo's APQ protocol, ``tests/apq_client.py``),
documents named by id, and trusted-documents mode.

The same client against a live ``c360 serve`` is in ``tests/end_to_end/test_persisted_operations_live.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from graphql import parse, print_ast

from customer360.app import create_app
from customer360.auth.api_keys import ApiKeyStore
from customer360.config import GraphUrl, OperationSettings, Settings
from customer360.graphiql.examples import EXAMPLE_TABS
from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import load_bank
from customer360.persisted.register import register_documents
from customer360.persisted.store import OperationStore
from customer360.schema import build_schema
from tests.apq_client import PersistedQueryTransport

SCREEN = "query Screen($id: ID!) { customer(id: $id) { id name accounts { id balance } } }"
NEW = {"accept": "application/graphql-response+json"}
BASE = "http://c360.test"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    folder = tmp_path_factory.mktemp("persisted")
    graph = SqliteStore(folder / "customer360.db")
    load_bank(Path(__file__).resolve().parents[2] / "fixtures" / "tiny_bank", graph, progress=False)
    yield graph
    graph.close()


def _app(store: SqliteStore, operations: OperationSettings, **settings: object):
    base = Settings(graph=GraphUrl.parse(f"sqlite:///{store.path}"))
    return create_app(replace(base, **settings), store=store, operations=operations)


def _client(app, **kwargs: object) -> Client:
    transport = PersistedQueryTransport(f"{BASE}/graphql", transport=httpx.ASGITransport(app=app), **kwargs)
    return Client(transport=transport, fetch_schema_from_transport=False)


def _http(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


def _request(text: str, **variables: object) -> GraphQLRequest:
    return GraphQLRequest(text, variable_values=variables or None)


def _apq(text: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(text.encode()).hexdigest()}}


@pytest.fixture
def operations(tmp_path: Path) -> OperationSettings:
    return OperationSettings(path=tmp_path / "operations.db")


# ------------------------------------------------------------------ automatic persisted queries


@pytest.mark.parametrize("accept", [None, "application/graphql-response+json,application/json;q=0.9"])
async def test_apq_from_gql_hash_first_then_the_query_then_the_hash_alone(store, operations, accept) -> None:
    client = _client(_app(store, operations), headers={"accept": accept} if accept else None)
    async with client as session:
        first = await session.execute(_request(SCREEN, id="P1"))
        second = await session.execute(_request(SCREEN, id="P2"))
    sent = client.transport.sent
    assert first["customer"]["id"] == "P1" and second["customer"]["id"] == "P2"
    assert ["query" in s.payload for s in sent] == [False, True, False]  # not found, stored, then the hash alone
    assert sent[0].status == (404 if accept else 200)  # graphql-response+json: 404; application/json: 200
    assert client.transport.supports_persisted_queries  # a 404 does not make Apollo's link give up


async def test_apq_by_get_once_the_query_is_known(store, operations) -> None:
    client = _client(_app(store, operations), use_get_for_hashed_queries=True)
    async with client as session:
        await session.execute(_request(SCREEN, id="P1"))
        again = await session.execute(_request(SCREEN, id="P3"))
    assert again["customer"]["id"] == "P3"
    assert [(s.method, "query" in s.payload, s.status) for s in client.transport.sent] == [
        ("GET", False, 200), ("POST", True, 200), ("GET", False, 200)]


async def test_the_unknown_hash_answer_is_the_one_apollo_expects(store, operations) -> None:
    async with _http(_app(store, operations)) as http:
        old = await http.post("/graphql", json={"extensions": _apq(SCREEN), "variables": {"id": "P1"}})
        new = await http.post("/graphql", json={"extensions": _apq(SCREEN), "variables": {"id": "P1"}}, headers=NEW)
    assert old.status_code == 200
    assert old.json()["errors"] == [{"message": "PersistedQueryNotFound",
                                     "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    assert new.status_code == 404 and "data" not in new.json()


async def test_a_hash_that_is_not_the_querys_is_refused(store, operations) -> None:
    async with _http(_app(store, operations)) as http:
        wrong = await http.post("/graphql", json={"query": SCREEN, "variables": {"id": "P1"},
                                                  "extensions": _apq("{ __typename }")})
        version = await http.post("/graphql", json={"query": SCREEN, "extensions": {
            "persistedQuery": {"version": 2, "sha256Hash": "ab"}}})
    assert wrong.status_code == 400 and "provided sha does not match query" in wrong.json()["errors"][0]["message"]
    assert version.status_code == 400 and "version 2" in version.json()["errors"][0]["message"]
    assert OperationStore(operations.path, max_learnt_bytes=1).list() == []


async def test_only_a_document_that_ran_is_learnt(store, operations) -> None:
    bad = "query Bad { customer(id: \"P1\") { nickname } }"
    async with _http(_app(store, operations)) as http:
        refused = await http.post("/graphql", json={"query": bad, "extensions": _apq(bad)})
        later = await http.post("/graphql", json={"extensions": _apq(bad)})
    assert "nickname" in refused.json()["errors"][0]["message"]
    assert later.json()["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_explain_and_purpose_headers_work_with_the_hash_alone(store, tmp_path, operations) -> None:
    keys = ApiKeyStore(tmp_path / "keys.db")
    _, secret = keys.create("screens", "customer_service")
    app = _app(store, operations, auth_required=True, api_keys_file=tmp_path / "keys.db")
    query = "query Ssn($id: ID!) { customer(id: $id) { ssn } }"
    client = _client(app, headers={"X-API-Key": secret, "X-Purpose-Of-Access": "customer_support"})
    async with client as session:
        await session.execute(_request(query, id="P1"))
        masked = await session.execute(_request(query, id="P1"))
    assert masked["customer"]["ssn"] == "***-**-6789"  # masked for the role, from the hash alone
    assert "query" not in client.transport.sent[-1].payload
    async with _http(app) as http:  # gql sent the printed document: its hash is what the store knows
        printed = print_ast(parse(query))
        no_purpose = (await http.post("/graphql", json={"extensions": _apq(printed), "variables": {"id": "P1"}},
                                      headers={"X-API-Key": secret})).json()
    assert no_purpose["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"

    explain_app = _app(store, operations)  # the local identity may ask for the plan
    explained = _client(explain_app, headers={"X-C360-Explain": "1"})
    async with explained as session:
        await session.execute(_request(SCREEN, id="P1"))
        result = await session.execute(_request(SCREEN, id="P1"), get_execution_result=True)
    assert "query" not in explained.transport.sent[-1].payload
    explain = result.extensions["explain"]
    assert explain["path"] == "compiled" and explain["calls"] and explain["totalCalls"] == len(explain["calls"])


async def test_operation_name_picks_the_operation_of_a_persisted_document(store, operations) -> None:
    document = "query A { customer(id: \"P1\") { id } } query B { customer(id: \"P2\") { id } }"
    async with _http(_app(store, operations)) as http:
        await http.post("/graphql", json={"query": document, "operationName": "A", "extensions": _apq(document)})
        b = await http.post("/graphql", json={"operationName": "B", "extensions": _apq(document)})
    assert b.json() == {"data": {"customer": {"id": "P2"}}}


# ------------------------------------------------------------------ documents named by id


def _register(operations: OperationSettings, tmp_path: Path, files: dict[str, str], *, graphiql: bool = False) -> list:
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    store = OperationStore(operations.path, max_learnt_bytes=operations.apq_max_bytes)
    documents, _ = register_documents(store, paths, graphiql_examples=graphiql, schema=build_schema(Settings())._schema)
    store.close()
    return documents


async def test_document_id_runs_a_registered_document(store, operations, tmp_path) -> None:
    [document] = _register(operations, tmp_path, {"screen.graphql": SCREEN})
    relay = {"relay-md5-0001": "query Relay { customer(id: \"P2\") { id } }"}
    _register(operations, tmp_path, {"persisted-queries.json": json.dumps(relay)})
    async with _http(_app(store, operations)) as http:
        by_id = await http.post("/graphql", json={"documentId": f"sha256:{document.id}", "variables": {"id": "P1"}})
        by_doc_id = await http.post("/graphql", json={"doc_id": "relay-md5-0001"})
        unknown = await http.post("/graphql", json={"documentId": "sha256:0000"}, headers=NEW)
    assert by_id.json()["data"]["customer"]["id"] == "P1"
    assert by_doc_id.json() == {"data": {"customer": {"id": "P2"}}}
    assert unknown.status_code == 404 and "c360 operations register" in unknown.json()["errors"][0]["message"]


async def test_registered_documents_are_planned_at_start_and_their_first_request_is_compiled(
    store, operations, tmp_path, caplog
) -> None:
    """The service compiles the registered documents as it starts: the log says which path
    will answer each operation (and why not the compiled one); the first request by id then
    finds its document parsed and planned, and runs on the compiled path."""
    from customer360.auth.document_limits import _parse_cached
    from customer360.execution.extension import _coverage

    hood = 'query Hood { neighborhood(id: "P1") { truncated } }'
    [screen, neighbourhood] = _register(operations, tmp_path, {"a.graphql": SCREEN, "b.graphql": hood})
    with caplog.at_level("INFO", logger="customer360"):
        app = _app(store, operations)
    assert "registered operations compiled ahead: 1 of 2 on the compiled path; Hood: general (Query.neighborhood)" \
        in caplog.text
    assert (screen.body, None) in _coverage and (neighbourhood.body, "Hood") in _coverage
    misses = _parse_cached.cache_info().misses
    async with _http(app) as http:
        first = await http.post("/graphql", json={"documentId": f"sha256:{screen.id}", "variables": {"id": "P1"}},
                                headers={"X-C360-Explain": "1"})
    assert first.json()["extensions"]["explain"]["path"] == "compiled"
    assert _parse_cached.cache_info().misses == misses  # parsed at start, not by the request


# ------------------------------------------------------------------ trusted documents


@pytest.fixture
def trusted(tmp_path: Path) -> OperationSettings:
    return OperationSettings(path=tmp_path / "operations.db", trusted_documents=True)


@pytest.fixture
async def secured(store, trusted, tmp_path) -> AsyncIterator[tuple]:
    keys = ApiKeyStore(tmp_path / "keys.db")
    _, secret = keys.create("screens", "admin")
    app = _app(store, trusted, auth_required=True, api_keys_file=tmp_path / "keys.db")
    yield app, {"X-API-Key": secret, "X-Purpose-Of-Access": "operations"}


async def test_trusted_mode_refuses_what_was_not_registered_naming_the_setting(secured, trusted) -> None:
    app, headers = secured
    async with _http(app) as http:
        old = await http.post("/graphql", json={"query": SCREEN, "variables": {"id": "P1"}}, headers=headers)
        new = await http.post("/graphql", json={"query": SCREEN, "variables": {"id": "P1"}}, headers={**headers, **NEW})
        learn = await http.post("/graphql", headers=headers,
                                json={"query": SCREEN, "variables": {"id": "P1"}, "extensions": _apq(SCREEN)})
    [error] = old.json()["errors"]
    assert old.status_code == 200 and old.json()["data"] is None
    assert error["extensions"]["code"] == "OPERATION_NOT_TRUSTED" and "C360_TRUSTED_DOCUMENTS=on" in error["message"]
    assert "c360 operations register" in error["message"]
    assert new.status_code == 403 and "data" not in new.json()
    assert learn.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    assert OperationStore(trusted.path, max_learnt_bytes=1).list() == []  # nothing learnt either


async def test_trusted_mode_from_gql_an_unregistered_hash_is_refused_without_a_retry(secured) -> None:
    app, headers = secured
    client = _client(app, headers=headers)
    async with client as session:
        with pytest.raises(TransportQueryError) as refused:
            await session.execute(_request(SCREEN, id="P1"))
    assert refused.value.errors[0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    assert len(client.transport.sent) == 1  # not PersistedQueryNotFound: the client does not send the text


async def test_trusted_mode_runs_registered_operations_by_hash_and_by_text(secured, trusted, tmp_path) -> None:
    app, headers = secured
    _register(trusted, tmp_path, {"screens.graphql": SCREEN + "\nquery Other { portfolio { customers } }"})
    client = _client(app, headers=headers)
    async with client as session:
        result = await session.execute(_request(SCREEN, id="P1"))
    assert result["customer"]["id"] == "P1" and len(client.transport.sent) == 1  # the hash alone, first time
    relaid = "# the same operation, laid out differently\nquery Screen($id: ID!) {\n customer(id: $id) { id name\n" \
             " accounts { id balance } } }"
    async with _http(app) as http:
        text = await http.post("/graphql", json={"query": relaid, "variables": {"id": "P2"}}, headers=headers)
        other = await http.post("/graphql", json={"query": "query Other { portfolio { customers } }"}, headers=headers)
    assert text.json()["data"]["customer"]["id"] == "P2"
    assert other.json()["data"]["portfolio"]["customers"] >= 1


async def test_graphiql_examples_registered_in_one_command_run_in_trusted_mode(secured, trusted, tmp_path) -> None:
    app, headers = secured
    _register(trusted, tmp_path, {}, graphiql=True)
    async with _http(app) as http:
        for tab in EXAMPLE_TABS:
            operation = parse(tab.query).definitions[0].name.value
            response = await http.post("/graphql", headers=headers, json={
                "query": tab.query, "operationName": operation, "variables": tab.variables})  # as GraphiQL sends it
            codes = [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]
            assert "OPERATION_NOT_TRUSTED" not in codes, (operation, response.json())


async def test_the_local_development_identity_is_exempt_so_graphiql_keeps_working(store, trusted) -> None:
    async with _http(_app(store, trusted)) as http:
        response = await http.post("/graphql", json={"query": SCREEN, "variables": {"id": "P1"}})
    assert response.json()["data"]["customer"]["id"] == "P1"


async def test_gql_prints_documents_as_the_registry_does(tmp_path, trusted) -> None:
    """The id of a registered .graphql operation is what gql (and graphql-js clients) hash."""
    [document] = _register(trusted, tmp_path, {"screen.graphql": "# comment\n" + SCREEN})
    assert document.id == hashlib.sha256(_request(SCREEN).payload["query"].encode()).hexdigest()


async def test_graphiql_loads_the_schema_in_trusted_mode_while_introspection_is_on(store, trusted, tmp_path) -> None:
    """GraphiQL's introspection query is not registered, but it only shows the schema, which
    introspection already does; with introspection off (production) it is refused like any other."""
    keys = ApiKeyStore(tmp_path / "keys.db")
    _, secret = keys.create("analyst", "analyst")
    introspection = {"query": "query IntrospectionQuery { __schema { queryType { name } } }"}
    statuses = {}
    for enabled in (True, False):
        app = _app(store, trusted, auth_required=True, api_keys_file=tmp_path / "keys.db",
                   introspection_enabled=enabled)
        async with _http(app) as http:
            statuses[enabled] = await http.post("/graphql", json=introspection, headers={"X-API-Key": secret, **NEW})
    assert statuses[True].json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert statuses[False].status_code == 403
    assert statuses[False].json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"


async def test_an_anonymous_browser_may_load_graphiql_but_not_run_a_persisted_query(store, operations, tmp_path) -> None:
    """Without credentials a browser gets the GraphiQL page (it holds no data); a GET that
    names a persisted query is an operation, and needs credentials like any other."""
    app = _app(store, operations, auth_required=True, api_keys_file=tmp_path / "keys.db")
    browser = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    async with _http(app) as http:
        page = await http.get("/graphql", headers=browser)
        persisted = await http.get("/graphql", params={"extensions": json.dumps(_apq("{ __typename }"))},
                                   headers=browser)
    assert page.status_code == 200 and "GraphiQL" in page.text
    assert persisted.status_code == 401 and "data" not in persisted.json()

"""Persisted operations against a real ``c360 serve`` process, from a real client: ``gql``
speaking Apollo's automatic persisted queries (``tests/apq_client.py``).

- the quick-start service (development, no trusted documents): the first request sends the
  hash and is told ``PersistedQueryNotFound``, the client sends the query, and from then on
  the hash alone runs it, by POST or GET;
- a service with ``C360_TRUSTED_DOCUMENTS=on`` and API keys: operations registered with
  ``c360 operations register`` (a ``.graphql`` file and GraphiQL's examples) run from their
  hash alone; anything else is refused naming the setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from graphql import parse

from customer360.graphiql.examples import EXAMPLE_TABS
from tests.apq_client import PersistedQueryTransport
from tests.end_to_end.live_service import running_service

SCREEN = "query Screen($id: ID!) { customer(id: $id) { id name accounts { id balance } } }"
PAYMENTS = "query Payments($id: ID!) { customer(id: $id) { transactions(first: 3) { totalCount } } }"
TRUSTED_PERSONS = 50


def _client(base: str, **kwargs: object) -> Client:
    return Client(transport=PersistedQueryTransport(f"{base}/graphql", **kwargs), fetch_schema_from_transport=False)


async def test_apq_from_gql_against_the_live_service(small_service: str) -> None:
    client = _client(small_service)
    async with client as session:
        first = await session.execute(GraphQLRequest(SCREEN, variable_values={"id": "P0000001"}))
        second = await session.execute(GraphQLRequest(SCREEN, variable_values={"id": "P0000002"}))
    assert first["customer"]["id"] == "P0000001" and second["customer"]["id"] == "P0000002"
    assert ["query" in sent.payload for sent in client.transport.sent] == [False, True, False]

    by_get = _client(small_service, use_get_for_hashed_queries=True, headers={"X-C360-Explain": "1"})
    async with by_get as session:
        await session.execute(GraphQLRequest(PAYMENTS, variable_values={"id": "P0000003"}))
        result = await session.execute(GraphQLRequest(PAYMENTS, variable_values={"id": "P0000003"}),
                                       get_execution_result=True)
    assert [(s.method, "query" in s.payload) for s in by_get.transport.sent] == [
        ("GET", False), ("POST", True), ("GET", False)]
    assert result.data["customer"]["transactions"]["totalCount"] >= 0
    assert result.extensions["explain"]["totalCalls"] >= 1  # the explain header works from the hash alone


def _c360(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "C360_GRAPH": f"sqlite:///{folder / 'customer360.db'}"}
    done = subprocess.run([sys.executable, "-m", "customer360.cli", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def trusted_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``c360 serve`` with trusted documents and API keys; yields its URL and an admin key."""
    folder = tmp_path_factory.mktemp("trusted-service")
    (folder / "screens.graphql").write_text(SCREEN, encoding="utf-8")
    _c360(folder, "operations", "register", "screens.graphql", "--graphiql-examples")
    secret = _c360(folder, "keys", "create", "--name", "screens", "--role", "admin").stdout.strip().splitlines()[-1]
    env = {"C360_TRUSTED_DOCUMENTS": "on", "C360_AUTH": "required"}
    with running_service(folder, TRUSTED_PERSONS, env=env) as base:
        yield base, secret


async def test_trusted_documents_from_gql_against_the_live_service(trusted_service: tuple[str, str]) -> None:
    base, secret = trusted_service
    headers = {"X-API-Key": secret, "X-Purpose-Of-Access": "operations", "X-C360-Explain": "1"}
    client = _client(base, headers=headers)
    async with client as session:
        result = await session.execute(GraphQLRequest(SCREEN, variable_values={"id": "P0000001"}),
                                       get_execution_result=True)
        with pytest.raises(TransportQueryError) as refused:
            await session.execute(GraphQLRequest(PAYMENTS, variable_values={"id": "P0000001"}))
    assert result.data["customer"]["id"] == "P0000001" and result.extensions["explain"]["totalCalls"] >= 1
    assert "query" not in client.transport.sent[0].payload and len(client.transport.sent) == 2  # hash alone, both
    [error] = refused.value.errors
    assert error["extensions"]["code"] == "OPERATION_NOT_TRUSTED" and "C360_TRUSTED_DOCUMENTS=on" in error["message"]


async def test_graphiql_examples_run_in_trusted_mode_and_other_text_does_not(trusted_service: tuple[str, str]) -> None:
    base, secret = trusted_service
    headers = {"X-API-Key": secret, "X-Purpose-Of-Access": "operations",
               "accept": "application/graphql-response+json"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        tab = EXAMPLE_TABS[0]
        operation = parse(tab.query).definitions[0].name.value
        example = await http.post("/graphql", json={"query": tab.query, "operationName": operation})
        edited = await http.post("/graphql", json={"query": tab.query.replace("first: 5", "first: 6"),
                                                   "operationName": operation})
        anonymous = await http.post("/graphql", json={"query": tab.query}, headers={"X-API-Key": ""})
    assert example.status_code == 200 and example.json()["data"]["customers"]["totalCount"] > 0
    assert edited.status_code == 403 and "data" not in edited.json()
    assert edited.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    assert anonymous.status_code == 401

"""Authentication at the HTTP boundary, the production profile's switches, and the files that
hold personal data or secrets, on the real embedded store."""

from __future__ import annotations

import http.server
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.auth.api_keys import ApiKeyStore
from customer360.config import Settings
from customer360.graphstore.plan import PersonSecrets
from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import load_bank
from tests.identities import StandInIdentityProvider

QUERY = {"query": "{ customers(first: 1) { edges { node { id name } } } }"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    folder = tmp_path_factory.mktemp("auth")
    graph = SqliteStore(folder / "data" / "customer360.db")
    load_bank(Path(__file__).resolve().parents[2] / "fixtures" / "tiny_bank", graph, progress=False)
    yield graph
    graph.close()


@pytest.fixture
def idp(tmp_path: Path) -> StandInIdentityProvider:
    return StandInIdentityProvider(tmp_path)


async def _client(settings: Settings, store: SqliteStore):
    app = create_app(settings, store=store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test")


async def test_without_credentials_a_secured_service_answers_401_before_any_graphql(store, tmp_path) -> None:
    settings = replace(Settings(), auth_required=True, api_keys_file=tmp_path / "k.db")
    async with await _client(settings, store) as client:
        response = await client.post("/graphql", json=QUERY)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await client.get("/healthz")).status_code == 200  # probes stay open


async def test_a_revoked_api_key_stops_working_at_once(store, tmp_path) -> None:
    keys = ApiKeyStore(tmp_path / "k.db")
    info, secret = keys.create("onboarding", "integration")
    settings = replace(Settings(), auth_required=True, api_keys_file=tmp_path / "k.db")
    headers = {"X-API-Key": secret, "X-Purpose-Of-Access": "kyc"}
    async with await _client(settings, store) as client:
        assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 200
        keys.revoke(info.key_id)
        refused = await client.post("/graphql", json=QUERY, headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["errors"][0]["message"]


async def test_tokens_are_checked_against_the_providers_jwks_url(store, idp, tmp_path) -> None:
    body = json.dumps(idp.jwks).encode()

    class Jwks(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        settings = replace(Settings(), auth_required=True, jwt=idp.settings(jwks_url=url), api_keys_file=tmp_path / "k.db")
        async with await _client(settings, store) as client:
            headers = {"Authorization": f"Bearer {idp.token('ana@bank.test', ['analyst'])}",
                       "X-Purpose-Of-Access": "analytics"}
            response = await client.post("/graphql", json=QUERY, headers=headers)
    finally:
        server.shutdown()
    assert response.status_code == 200 and "errors" not in response.json()


async def test_each_role_has_the_cost_budget_its_policy_gives(store, idp, tmp_path) -> None:
    """A query estimated at 1 + 500 x (1 + 1 + 1 + (1 + 10 x 4)) = 22,001 (a person's accounts
    are costed as 10) fits the analyst's budget of 100,000 and not customer service's 20,000."""
    query = {"query": "{ customers(first: 500) { edges { node { id accounts { id type balance status } } } } }"}
    settings = replace(Settings(), auth_required=True, jwt=idp.settings(), api_keys_file=tmp_path / "k.db")
    answers = {}
    async with await _client(settings, store) as client:
        for role, purpose in (("analyst", "analytics"), ("customer_service", "customer_support")):
            headers = {"Authorization": f"Bearer {idp.token(f'{role}@bank.test', [role])}",
                       "X-Purpose-Of-Access": purpose}
            answers[role] = (await client.post("/graphql", json=query, headers=headers)).json()
    assert "errors" not in answers["analyst"]
    refused = answers["customer_service"]["errors"][0]
    assert refused["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert refused["extensions"]["budget"] == 20_000 and refused["extensions"]["cost"] == 22_001
    assert "budget is 20,000" in refused["message"]


async def test_the_production_profile_turns_off_explain_introspection_graphiql_and_get(store, tmp_path) -> None:
    keys = ApiKeyStore(tmp_path / "k.db")
    _, secret = keys.create("ops", "admin")
    settings = replace(Settings(), profile="production", auth_required=True, api_keys_file=tmp_path / "k.db")
    headers = {"X-API-Key": secret, "X-Purpose-Of-Access": "operations", "X-C360-Explain": "1"}
    async with await _client(settings, store) as client:
        plain = (await client.post("/graphql", json=QUERY, headers=headers)).json()
        introspection = (await client.post("/graphql", json={"query": "{ __schema { types { name } } }"},
                                           headers=headers)).json()
        page = await client.get("/graphql", headers={**headers, "accept": "text/html"})
        via_get = await client.get("/graphql", params={"query": QUERY["query"]}, headers=headers)
    assert "errors" not in plain and "explain" not in (plain.get("extensions") or {})
    assert "introspection" in introspection["errors"][0]["message"].lower()
    assert "GraphiQL" not in page.text
    assert via_get.status_code >= 400


async def test_the_local_identity_says_so_in_graphiql(store, tmp_path) -> None:
    settings = replace(Settings(), api_keys_file=tmp_path / "k.db")
    async with await _client(settings, store) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
    assert "local development identity" in page.text


def test_serve_refuses_a_non_loopback_address_without_authentication(tmp_path: Path) -> None:
    c360 = Path(sys.executable).with_name("c360")
    result = subprocess.run(
        [str(c360), "serve", "--host", "0.0.0.0", "--graph", f"sqlite:///{tmp_path / 'g.db'}", "--no-demo"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "C360_AUTH": "", "C360_PROFILE": ""},
    )
    assert result.returncode == 2 and "refusing to listen on 0.0.0.0" in result.stderr
    assert not (tmp_path / "g.db").exists()  # refused before opening anything


def test_the_database_and_the_data_key_are_readable_by_their_owner_only(store) -> None:
    folder = store.path.parent
    for name in ("customer360.db", "customer360.db-wal", "customer360.key"):
        path = folder / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert b"123-45-6789" not in store.path.read_bytes()  # the tiny bank's first SSN, never in clear


async def test_a_file_of_an_earlier_version_gets_its_ssns_encrypted_and_vacuumed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE person (person_id TEXT PRIMARY KEY, first_name TEXT NOT NULL, "
                    "last_name TEXT NOT NULL, date_of_birth TEXT NOT NULL, ssn TEXT NOT NULL)")
        old.execute("INSERT INTO person VALUES ('P1', 'Ada', 'Lovelace', '1815-12-10', '987-65-4321')")
    store = SqliteStore(path)
    try:
        assert b"987-65-4321" not in path.read_bytes()
        stored = await store.person_secrets(PersonSecrets(("P1",)))
        assert store.cipher.decrypt(stored["P1"], "P1") == "987-65-4321"
    finally:
        store.close()

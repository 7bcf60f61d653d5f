"""Shared fixtures: a generated bank, and the same bank loaded into every available store.

Contract tests take the ``store`` fixture and so run once per backend: SQLite always,
JanusGraph when it answers at ``C360_TEST_GREMLIN`` (default gremlin://127.0.0.1:8182/g).
Without the server those runs skip with the reason; with ``C360_REQUIRE_SERVICES=1`` (CI)
an unreachable server is a failure instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.auth.api_keys import ApiKeyStore
from customer360.auth.policy import load_policy
from customer360.config import GraphUrl, Settings
from customer360.generator import generate_bank
from customer360.graphstore.backends import open_store
from customer360.graphstore.protocol import GraphStore
from customer360.ingest.load import load_bank

BANK_PERSONS = 300
BANK_SEED = 11
REQUIRE_SERVICES = os.environ.get("C360_REQUIRE_SERVICES") == "1"
GREMLIN_URL = os.environ.get("C360_TEST_GREMLIN", "gremlin://127.0.0.1:8182/g")


def service_missing(what: str, reason: str) -> None:
    """Skip (developer machine) or fail (CI) when a real server is not there."""
    message = f"{what} is not reachable ({reason}); start it with services/up"
    if REQUIRE_SERVICES:
        pytest.fail(message + " -- C360_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def audit_record_in_a_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`c360 load` (and later the app) put accesses on the audit record; in tests that record
    and its spool go to a temporary folder (inherited by subprocesses), never ./data."""
    folder = tmp_path_factory.mktemp("audit-record")
    patch = pytest.MonkeyPatch()
    if not os.environ.get("C360_AUDIT"):
        patch.setenv("C360_AUDIT", f"sqlite:///{folder / 'audit.db'}")
    if not os.environ.get("C360_AUDIT_SPOOL"):
        patch.setenv("C360_AUDIT_SPOOL", str(folder / "audit-spool.db"))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def bank_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bank")
    generate_bank(folder, BANK_PERSONS, BANK_SEED, progress=False)
    return folder


def _sqlite_store(bank_dir: Path, folder: Path) -> GraphStore:
    store = open_store(GraphUrl.parse(f"sqlite:///{folder / 'contract.db'}"))
    load_bank(bank_dir, store, progress=False)
    return store


def _gremlin_store(bank_dir: Path) -> GraphStore:
    from customer360.graphstore.gremlin import GremlinStore, reachable

    url = GraphUrl.parse(GREMLIN_URL)
    problem = reachable(url.host, url.port)
    if problem:
        service_missing(f"JanusGraph at {GREMLIN_URL}", problem)
    store = open_store(url)
    assert isinstance(store, GremlinStore)
    store.drop_all_data()
    store.init_schema()
    load_bank(bank_dir, store, progress=False)
    return store


@pytest.fixture(scope="session")
def sqlite_contract_store(bank_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    graph_store = _sqlite_store(bank_dir, tmp_path_factory.mktemp("sqlite"))
    yield graph_store
    graph_store.close()


@pytest.fixture(scope="session")
def janusgraph_store(bank_dir: Path) -> Iterator[GraphStore]:
    """The fixture bank in the real JanusGraph (loaded once per session)."""
    graph_store = _gremlin_store(bank_dir)
    yield graph_store
    graph_store.close()


@pytest.fixture(scope="session", params=["sqlite", "janusgraph"])
def store(request: pytest.FixtureRequest) -> GraphStore:
    """Every store in turn, holding the same bank: the contract suite's subject."""
    return request.getfixturevalue(f"{request.param}_store" if request.param == "janusgraph" else "sqlite_contract_store")


@pytest.fixture(scope="session")
def api_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An API-key file holding one key per role of the shipped policy (named ``<role>-service``),
    and the secret of each by role."""
    path = tmp_path_factory.mktemp("keys") / "api-keys.db"
    keys = ApiKeyStore(path)
    return path, {role: keys.create(f"{role}-service", role)[1] for role in load_policy().roles}


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
async def client(store: GraphStore, settings: Settings) -> Iterator[httpx.AsyncClient]:
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as http:
        yield http
    await app.state.audit.aclose(flush_timeout_s=0)  # the ASGI transport runs no lifespan to close it


async def run_query(
    client: httpx.AsyncClient, query: str, variables: dict | None = None, *, explain: bool = False
) -> dict:
    """POST a GraphQL query; the HTTP layer must answer 200 with JSON whatever the query."""
    headers = {"X-C360-Explain": "1"} if explain else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()

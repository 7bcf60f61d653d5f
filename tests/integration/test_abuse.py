"""The abuse corpus against the real app: every case refused with a clear error before any
resolver runs, and ``/healthz`` answering throughout.

Most of it runs in-process (httpx's ASGI transport) on the real SQLite store; one module-level
run starts ``c360 serve`` as a real process, on a free port of 127.0.0.1, for what only a real
server shows: a client that hangs up, a request over the time limit, and health probes
answered while the corpus runs. Processes started here are stopped by their own pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.auth.api_keys import ApiKeyStore
from customer360.backend_calls import TOTALS, CompiledQuery
from customer360.config import Limits, Settings
from customer360.graphstore.compiled import Compiled
from customer360.graphstore.protocol import GraphStore
from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import load_bank
from tests.abuse_corpus import CORPUS, AbuseCase, Request, graphql
from tests.end_to_end.live_service import running_process

PROBE_TIMEOUT_S = 5.0  # what a load balancer's health check would allow


def backend_calls() -> int:
    return sum(totals.calls for totals in TOTALS.values())


async def send(client: httpx.AsyncClient, request: Request) -> httpx.Response:
    content = request.body() if callable(request.body) else request.body
    return await client.request(request.method, request.path, content=content, headers=request.headers)


def assert_refused(case: AbuseCase, response: httpx.Response) -> None:
    assert response.status_code == case.status, response.text[:500]
    if case.code is None:
        assert case.says in response.text
        return
    body = response.json()
    assert body.get("data") is None  # null, or absent where the request never started (400s)
    [error] = body["errors"]
    assert error["extensions"]["code"] == case.code, error
    assert case.says in error["message"], error["message"]


@contextlib.asynccontextmanager
async def app_client(store: GraphStore, settings: Settings, app_wrapper=None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store=store)
    transport = httpx.ASGITransport(app=app_wrapper(app) if app_wrapper else app)
    async with httpx.AsyncClient(transport=transport, base_url="http://c360.test", timeout=60) as client:
        yield client


# ------------------------------------------------------------------ in-process


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
async def test_each_case_is_refused_before_anything_runs(sqlite_contract_store: GraphStore, case: AbuseCase) -> None:
    async with app_client(sqlite_contract_store, Settings()) as client:
        before = backend_calls()
        response = await send(client, case.build())
        assert_refused(case, response)
        assert backend_calls() == before  # no resolver reached the store


async def test_healthz_answers_while_the_corpus_runs(sqlite_contract_store: GraphStore) -> None:
    async with app_client(sqlite_contract_store, Settings(limits=Limits(rate_per_second=0))) as client:
        abuse_done = asyncio.Event()
        probes: list[tuple[int, bool]] = []  # (status, while the corpus was still running)

        async def probe() -> None:
            while not abuse_done.is_set():
                response = await client.get("/healthz", timeout=PROBE_TIMEOUT_S)
                probes.append((response.status_code, not abuse_done.is_set()))
                await asyncio.sleep(0)

        async def abuse() -> None:
            for _round in range(3):
                responses = await asyncio.gather(*(send(client, case.build()) for case in CORPUS))
                for case, response in zip(CORPUS, responses):
                    assert_refused(case, response)
            abuse_done.set()

        await asyncio.gather(probe(), abuse())
    assert probes and all(status == 200 for status, _ in probes)
    assert sum(during for _, during in probes) >= 1


async def test_the_examples_and_an_honest_heavy_query_still_run(sqlite_contract_store: GraphStore) -> None:
    """The limits refuse abuse, not work: a front-end's nested page of 100 customers runs."""
    query = """{ customers(first: 100) { edges { node { name accounts { balance sent(first: 5) {
        edges { node { amount to { owner { name } } } } } } } } } }"""
    async with app_client(sqlite_contract_store, Settings()) as client:
        body = (await send(client, graphql(query))).json()
    assert "errors" not in body and len(body["data"]["customers"]["edges"]) == 100


async def test_a_principal_over_its_rate_gets_429_with_retry_after(sqlite_contract_store: GraphStore, tmp_path: Path) -> None:
    """Two integration services with API keys: one over its rate, the other untouched."""
    keys = ApiKeyStore(tmp_path / "keys.db")
    _, alice = keys.create("alice-service", "integration")
    _, bob = keys.create("bob-service", "integration")
    settings = Settings(limits=Limits(rate_per_second=0.5, rate_burst=3), auth_required=True,
                        api_keys_file=tmp_path / "keys.db")
    query = {"query": "{ portfolio { customers } }"}
    async with app_client(sqlite_contract_store, settings) as client:
        as_alice = {"x-api-key": alice}
        statuses = [(await client.post("/graphql", json=query, headers=as_alice)).status_code for _ in range(4)]
        refused = await client.post("/graphql", json=query, headers=as_alice)
        other = await client.post("/graphql", json=query, headers={"x-api-key": bob})
        health = [(await client.get("/healthz")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED" and "retry after" in error["message"]
    assert other.status_code == 200  # one principal's bucket is not another's
    assert health == [200] * 5  # health checks are never rate limited


async def test_without_authentication_each_client_address_has_its_own_bucket(sqlite_contract_store: GraphStore) -> None:
    """Every loopback client is the local development identity: one of them flooding must not
    lock the others out, so their requests count against their own address."""
    settings = Settings(limits=Limits(rate_per_second=0.5, rate_burst=2))
    query = {"query": "{ portfolio { customers } }"}
    app = create_app(settings, store=sqlite_contract_store)

    async def statuses(address: str, count: int) -> list[int]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://c360.test") as client:
            return [(await client.post("/graphql", json=query)).status_code for _ in range(count)]

    assert await statuses("127.0.0.2", 3) == [200, 200, 429]
    assert await statuses("127.0.0.3", 1) == [200]


async def test_a_response_over_the_cap_is_replaced_by_an_error(sqlite_contract_store: GraphStore) -> None:
    settings = Settings(limits=Limits(max_response_bytes=4_000))
    async with app_client(sqlite_contract_store, settings) as client:
        big = await client.post("/graphql", json={"query": "{ customers(first: 200) { edges { node { id name } } } }"})
        small = await client.post("/graphql", json={"query": "{ customers(first: 2) { edges { node { id } } } }"})
    assert big.status_code == 200
    assert big.json()["errors"][0]["extensions"]["code"] == "RESPONSE_TOO_LARGE"
    assert int(big.headers["content-length"]) < 4_000
    assert len(small.json()["data"]["customers"]["edges"]) == 2


SPIN = CompiledQuery("spin", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")


class NeverEndingReads(SqliteStore):
    """The real SQLite store, whose vertex lookups run a statement that never ends: the
    slowest query there can be, to show the time limit stopping it. (A real slow query would
    make the test as slow as the limit is long.)"""

    async def get_vertices(self, step):  # type: ignore[override]
        return await self._answer(Compiled(SPIN, lambda rows: {}))


async def test_the_time_limit_interrupts_the_sqlite_statement(tmp_path: Path) -> None:
    store = NeverEndingReads(tmp_path / "g.db")
    settings = Settings(limits=Limits(request_timeout_s=0.5))
    try:
        async with app_client(store, settings) as client:
            interrupted_before = TOTALS.get(("sqlite", "spin"))
            request = asyncio.ensure_future(client.post("/graphql", json={"query": '{ customer(id: "P1") { name } }'}))
            health = []
            while not request.done():
                health.append((await client.get("/healthz", timeout=PROBE_TIMEOUT_S)).status_code)
                await asyncio.sleep(0.01)
            body = (await request).json()
            after = await client.post("/graphql", json={"query": "{ portfolio { customers } }"})
    finally:
        store.close()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "REQUEST_TIMEOUT" and "C360_REQUEST_TIMEOUT" in error["message"]
    assert health and set(health) == {200}
    assert after.json()["data"]["portfolio"]["customers"] == 0  # the store still answers
    # The statement ends as interrupted (it never would on its own); its worker thread records
    # it on the way out, which may be a moment after the response.
    expected = (interrupted_before.errors if interrupted_before else 0) + 1
    for _ in range(500):
        if TOTALS.get(("sqlite", "spin")) and TOTALS[("sqlite", "spin")].errors == expected:
            break
        await asyncio.sleep(0.01)
    assert TOTALS[("sqlite", "spin")].errors == expected


# ------------------------------------------------------------------ a real `c360 serve`


@contextlib.contextmanager
def serving(graph: Path, log_path: Path, **env: str) -> Iterator[str]:
    """``c360 serve --no-demo`` on ``graph`` with extra settings, logging at info level to
    ``log_path`` (which must be ``serve.log`` in a folder of its own); yields its base URL.
    One worker process: what these tests show (a request cancelled, the next one served) is
    about one process, and a second, cold worker would take the next request."""
    with running_process(log_path.parent, None, "--no-demo", "--workers", "1", "--log-level", "info",
                         env={"C360_GRAPH": f"sqlite:///{graph}", **env}) as (base, _process):
        yield base


@pytest.fixture(scope="module")
def served_bank(bank_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    graph = tmp_path_factory.mktemp("served") / "bank.db"
    store = SqliteStore(graph)
    load_bank(bank_dir, store, progress=False)
    store.close()
    return graph


HEAVY = "{" + " ".join(
    f"a{n}: customers(first: 300) {{ edges {{ node {{ id name ssn dateOfBirth segment {{ tier }} accounts {{ id balance }} }} }} }}"
    for n in range(10)
) + "}"  # within the default cost budget, and far more than 50 ms of work: the segment keeps it
# level by level (without it, one response-tree statement answers all ten lists in a few ms)


def hang_up_mid_request(base: str, query: str) -> None:
    """Send a whole request, then close the connection before the answer comes."""
    body = httpx.Request("POST", f"{base}/graphql", json={"query": query}).read()
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: c360\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )


def test_a_real_server_refuses_the_corpus_and_stays_healthy(served_bank: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with serving(served_bank, log, C360_RATE_LIMIT="0") as base:

        async def run() -> list[int]:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                done = asyncio.Event()
                probes: list[int] = []

                async def probe() -> None:
                    async with httpx.AsyncClient(base_url=base) as prober:
                        while not done.is_set():
                            probes.append((await prober.get("/healthz", timeout=PROBE_TIMEOUT_S)).status_code)
                            await asyncio.sleep(0.02)

                async def abuse() -> None:
                    limit = asyncio.Semaphore(4)

                    async def one(case: AbuseCase) -> None:
                        async with limit:
                            assert_refused(case, await send(client, case.build()))

                    await asyncio.gather(*(one(case) for case in CORPUS * 2))
                    done.set()

                await asyncio.gather(probe(), abuse())
                return probes

        probes = asyncio.run(run())
        assert probes and set(probes) == {200}

        # A client that hangs up: its request is cancelled, not worked on to the end.
        hang_up_mid_request(base, HEAVY)
        deadline = time.monotonic() + 30
        while "its request was cancelled" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "client disconnected from /graphql; its request was cancelled" in log.read_text()
        assert httpx.get(f"{base}/healthz", timeout=PROBE_TIMEOUT_S).status_code == 200


def test_a_real_server_stops_a_request_at_its_time_limit(served_bank: Path, tmp_path: Path) -> None:
    with serving(served_bank, tmp_path / "serve.log", C360_REQUEST_TIMEOUT="0.05") as base:
        slow = httpx.post(f"{base}/graphql", json={"query": HEAVY}, timeout=60)
        quick = httpx.post(f"{base}/graphql", json={"query": "{ portfolio { customers } }"}, timeout=60)
        health = httpx.get(f"{base}/healthz", timeout=PROBE_TIMEOUT_S)
    [error] = slow.json()["errors"]
    assert slow.status_code == 200 and error["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert re.search(r"longer than 0\.05 seconds", error["message"])
    assert quick.json()["data"]["portfolio"]["customers"] > 0
    assert health.status_code == 200

"""Nothing on the audit record is lost: not when Cassandra goes down mid-run, not when the
service process is killed.

The outage test stops and restarts the REAL Cassandra through the services scripts
(``$C360_SERVICES_SCRIPTS``, default the repository's ``services/``), and only runs when
those scripts started the running Cassandra (else it skips, or fails under
``C360_REQUIRE_SERVICES=1``). JanusGraph stores its graph in the same Cassandra: after the
restart the test waits until ``services/status janusgraph`` answers again, and fails with a
clear message if it does not, so later tests in the run are not hit by a half-up graph.
"""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.audit import open_audit_sink
from customer360.audit.events import SealedEvent
from customer360.audit.pipeline import AuditPipeline
from customer360.audit.spool_slots import slot_files
from customer360.audit.verify import verify
from customer360.config import AuditSettings, AuditUrl, Limits, Settings
from tests.audit_sinks import cassandra_sink_or_skip, cassandra_url, drop_keyspace
from tests.conftest import service_missing
from tests.end_to_end.live_service import running_process

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 8
JANUSGRAPH_RECOVERY_S = 300


def services_scripts() -> Path:
    """Where up/down/status live: the checkout's own, unless C360_SERVICES_SCRIPTS says otherwise
    (e.g. another worktree's, whose pid files record the running servers)."""
    return Path(os.environ.get("C360_SERVICES_SCRIPTS") or REPO / "services")


def services(action: str, name: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(services_scripts() / action), name], capture_output=True, text=True, timeout=600)


def require_our_cassandra() -> None:
    status = services("status", "cassandra")
    words = status.stdout.split()
    if status.returncode != 0 or words[1:3] != ["running", "answering"]:
        service_missing(f"Cassandra started by {services_scripts()}/up",
                        f"status says: {status.stdout.strip() or status.stderr.strip()}; "
                        "set C360_SERVICES_SCRIPTS to the scripts that started it")


def wait_for_janusgraph() -> None:
    deadline = time.monotonic() + JANUSGRAPH_RECOVERY_S
    while True:
        status = services("status", "janusgraph")
        if status.returncode == 0:
            return
        if "stopped" in status.stdout or time.monotonic() > deadline:
            pytest.fail(
                f"JanusGraph did not answer again within {JANUSGRAPH_RECOVERY_S} s after this test restarted "
                f"Cassandra ({status.stdout.strip()}); later tests need it: run services/down janusgraph && "
                "services/up janusgraph", pytrace=False,
            )
        time.sleep(3)


CUSTOMER = "query($id: ID!) { customer(id: $id) { name ssn accounts { balance } } }"


def person_ids(bank_dir: Path) -> list[str]:
    with (bank_dir / "aml_data_persons.csv").open(newline="", encoding="utf-8") as handle:
        return [row["person_id"] for row in csv.DictReader(handle)]


async def wait_until(condition, what: str, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {limit_s:g} s waiting until {what}")
        await asyncio.sleep(0.1)


async def assert_exactly_once(url: AuditUrl, acknowledged: set[str],
                              key: Callable[[SealedEvent], str | None] = lambda e: str(e.event.event_id),
                              writers: int = 1) -> None:
    """Every acknowledged event (by ``key``: its id, or its request's id) is in the sink, no
    event is there twice, each chain (one per spool file, at most ``writers``; a worker may
    have been sent no request) is whole."""
    sink = open_audit_sink(url, AuditSettings(url=url))
    try:
        found = await sink.writers()
        assert 1 <= len(found) <= writers, found
        chain = []
        for writer in found:
            own = [e async for e in sink.chain(writer)]
            assert [e.seq for e in own] == list(range(1, len(own) + 1))
            chain += own
        ids = [str(e.event.event_id) for e in chain]
        assert len(ids) == len(set(ids)), "an event is in the chain twice"
        keys = [key(e) for e in chain]
        assert acknowledged <= set(keys), f"{len(acknowledged - set(keys))} acknowledged events are missing"
        assert len({k for k in keys if k in acknowledged}) == len([k for k in keys if k in acknowledged])
        report = await verify(sink)
        assert report.ok, [str(f) for f in report.findings[:10]]
        assert report.events == len(chain)
    finally:
        await sink.close()


@pytest.mark.services
async def test_a_cassandra_outage_mid_run_slows_no_request_and_loses_no_event(
    tmp_path: Path, sqlite_contract_store, bank_dir: Path
):
    """Eight clients send audited GraphQL requests (one customer each, every request with its
    own X-Request-Id) to the app while Cassandra is stopped and started again: every response
    that went out has its event in Cassandra afterwards, once."""
    require_our_cassandra()
    keyspace = "c360_audit_fault_test"
    await asyncio.to_thread(lambda: asyncio.run(cassandra_sink_or_skip(keyspace).close()))
    await asyncio.to_thread(drop_keyspace, keyspace)
    url = cassandra_url(keyspace)
    settings = AuditSettings(url=url, spool_path=tmp_path / "spool.db", drain_batch=50, checkpoint_every=100,
                             backoff_initial_s=0.2, backoff_max_s=2.0, timeout_s=5)
    pipeline = AuditPipeline.open(settings)
    await pipeline.start()
    # eight clients from one address, as fast as the app answers: no abuse, so no rate limit
    app = create_app(Settings(limits=Limits(rate_per_second=0)), store=sqlite_contract_store, audit=pipeline)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test", timeout=60)
    persons = person_ids(bank_dir)
    delivered: set[str] = set()
    refused: list[object] = []
    stop = asyncio.Event()

    async def client(n: int) -> None:
        for i in range(600):  # bounded: at most 4,800 requests in all
            if stop.is_set():
                return
            request_id = f"fault-{n}-{i}"
            response = await http.post("/graphql", headers={"X-Request-Id": request_id}, json={
                "query": CUSTOMER, "variables": {"id": persons[(n * 600 + i) % len(persons)]}})
            body = response.json()
            if response.status_code == 200 and body.get("data") and "errors" not in body:
                delivered.add(request_id)
            else:
                refused.append(body)
            await asyncio.sleep(0.05)

    clients = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
    stopped = False
    try:
        await wait_until(lambda: len(delivered) >= 200 and pipeline.spool_depth < 100, "some events are drained")
        down = await asyncio.to_thread(services, "down", "cassandra")
        stopped = True
        assert down.returncode == 0, down.stderr
        at_outage = len(delivered)
        await wait_until(lambda: pipeline.sink_ok is False, "the drainer sees the outage")
        await wait_until(lambda: len(delivered) >= at_outage + 200, "requests keep being served")
        assert pipeline.spool_depth >= 200, "events should wait in the spool while Cassandra is down"
        up = await asyncio.to_thread(services, "up", "cassandra")
        assert up.returncode == 0, up.stdout + up.stderr
        stopped = False
    finally:
        stop.set()
        await asyncio.gather(*clients)
        await http.aclose()
        if stopped:  # never leave the shared Cassandra down
            await asyncio.to_thread(services, "up", "cassandra")
        try:
            drained = await pipeline.flush(timeout_s=240)
            await pipeline.aclose()
        finally:
            await asyncio.to_thread(wait_for_janusgraph)
    assert refused == []
    assert drained, pipeline.drainer.last_error
    await assert_exactly_once(url, delivered, key=lambda e: e.event.request_id)


async def empty_sink(sink_kind: str, tmp_path: Path, keyspace: str) -> AuditUrl:
    """A sink with nothing in it: a fresh keyspace of the real Cassandra, or an SQLite file."""
    if sink_kind == "cassandra":
        await asyncio.to_thread(lambda: asyncio.run(cassandra_sink_or_skip(keyspace).close()))
        await asyncio.to_thread(drop_keyspace, keyspace)
        return cassandra_url(keyspace)
    return AuditUrl.parse(f"sqlite:///{tmp_path / 'audit.db'}")


@pytest.mark.parametrize("sink_kind", ["sqlite", pytest.param("cassandra", marks=pytest.mark.services)])
async def test_a_killed_process_loses_no_acknowledged_event(tmp_path: Path, sink_kind: str):
    url = await empty_sink(sink_kind, tmp_path, "c360_audit_kill_test")
    spool = tmp_path / "spool.db"
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.audit_worker", str(url), str(spool), "4000"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    acknowledged: set[str] = set()
    try:
        for line in worker.stdout:  # ends at EOF if the worker dies by itself
            acknowledged.add(line.strip())
            if len(acknowledged) >= 600:
                break
    finally:
        worker.send_signal(signal.SIGKILL)
    rest, errors = worker.communicate(timeout=60)
    acknowledged |= {line for line in rest.split() if line}
    assert worker.returncode == -signal.SIGKILL, errors
    assert "DONE" not in acknowledged, "the worker finished before it was killed; the test proved nothing"

    # A new process over the same spool ships what the killed one had not.
    pipeline = AuditPipeline.open(AuditSettings(url=url, spool_path=spool))
    try:
        assert await pipeline.flush(timeout_s=120), pipeline.drainer.last_error
    finally:
        await pipeline.aclose()
    await assert_exactly_once(url, acknowledged)


@pytest.mark.parametrize(("sink_kind", "workers"), [
    ("sqlite", 1), ("sqlite", 2), pytest.param("cassandra", 1, marks=pytest.mark.services),
])
async def test_a_killed_service_loses_no_event_of_a_response_it_delivered(
    tmp_path: Path, sink_kind: str, workers: int, sqlite_contract_store, bank_dir: Path
):
    """``c360 serve`` as a real process, audited GraphQL requests from 8 clients, then SIGKILL
    mid-run (to every process of it): ``c360 audit drain`` ships what the dead processes had
    spooled, each worker in a spool file of its own, and every response that reached a
    client has its event in the sink, once."""
    url = await empty_sink(sink_kind, tmp_path, "c360_audit_serve_kill_test")
    spool = tmp_path / "spool.db"
    env = {"C360_GRAPH": f"sqlite:///{sqlite_contract_store.path}", "C360_AUDIT": str(url),
           "C360_AUDIT_SPOOL": str(spool), "C360_RATE_LIMIT": "0"}
    persons = person_ids(bank_dir)
    delivered: set[str] = set()
    with running_process(tmp_path, None, "--no-demo", "--workers", str(workers), env=env) as (base, server):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            killed = asyncio.Event()

            async def client(n: int) -> None:
                for i in range(400):  # bounded; the kill comes long before
                    if killed.is_set():
                        return
                    request_id = f"kill-{n}-{i}"
                    try:
                        response = await http.post("/graphql", headers={"X-Request-Id": request_id}, json={
                            "query": CUSTOMER, "variables": {"id": persons[(n * 400 + i) % len(persons)]}})
                    except httpx.TransportError:
                        return  # the server is gone: this response never arrived
                    if response.status_code == 200 and "errors" not in response.json():
                        delivered.add(request_id)
                        if len(delivered) >= 300 and not killed.is_set():
                            killed.set()
                            os.killpg(server.pid, signal.SIGKILL)

            await asyncio.gather(*(client(n) for n in range(CLIENTS)))
        assert server.wait(timeout=30) == -signal.SIGKILL
    spools = slot_files(spool)
    assert len(spools) == workers, f"one spool file per worker process, found {spools}"
    drained = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "customer360.cli", "audit", "drain", "--audit", str(url), "--spool", str(spool),
        "--timeout", "120"], capture_output=True, text=True, timeout=180)
    assert drained.returncode == 0, drained.stderr
    await assert_exactly_once(url, delivered, key=lambda e: e.event.request_id, writers=workers)

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
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from customer360.audit import open_audit_sink
from customer360.audit.events import AuditEvent, SealedEvent
from customer360.audit.pipeline import AuditPipeline
from customer360.audit.verify import verify
from customer360.config import AuditSettings, AuditUrl
from tests.audit_sinks import cassandra_sink_or_skip, cassandra_url, drop_keyspace
from tests.conftest import service_missing

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


def read_event(client: int, i: int) -> AuditEvent:
    return AuditEvent.read(customer_id=f"P{client:03d}{i % 7}", principal=f"fault-client-{client}",
                           roles=["customer_service"], purpose="fault test", fields_clear=["name", "accounts.balance"],
                           fields_masked=["ssn"])


async def wait_until(condition, what: str, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {limit_s:g} s waiting until {what}")
        await asyncio.sleep(0.1)


async def assert_exactly_once(url: AuditUrl, acknowledged: set[str]) -> None:
    """Every acknowledged event is in the sink, no event is there twice, the chain is whole."""
    sink = open_audit_sink(url, AuditSettings(url=url))
    try:
        writers = await sink.writers()
        assert len(writers) == 1, writers
        chain = [e async for e in sink.chain(writers[0])]
        ids = [str(e.event.event_id) for e in chain]
        assert len(ids) == len(set(ids)), "an event is in the chain twice"
        assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
        assert acknowledged <= set(ids), f"{len(acknowledged - set(ids))} acknowledged events are missing"
        report = await verify(sink)
        assert report.ok, [str(f) for f in report.findings[:10]]
        assert report.events == len(chain)
    finally:
        await sink.close()


@pytest.mark.services
async def test_a_cassandra_outage_mid_run_slows_no_request_and_loses_no_event(tmp_path: Path):
    require_our_cassandra()
    keyspace = "c360_audit_fault_test"
    await asyncio.to_thread(lambda: asyncio.run(cassandra_sink_or_skip(keyspace).close()))
    await asyncio.to_thread(drop_keyspace, keyspace)
    url = cassandra_url(keyspace)
    settings = AuditSettings(url=url, spool_path=tmp_path / "spool.db", drain_batch=50, checkpoint_every=100,
                             backoff_initial_s=0.2, backoff_max_s=2.0, timeout_s=5)
    pipeline = AuditPipeline.open(settings)
    await pipeline.start()
    acknowledged: list[SealedEvent] = []
    refused: list[Exception] = []
    stop = asyncio.Event()

    async def client(n: int) -> None:
        for i in range(600):  # bounded: at most 4,800 events in all
            if stop.is_set():
                return
            try:
                acknowledged.append(await pipeline.record(read_event(n, i)))
            except Exception as error:  # noqa: BLE001 - counted: the assertion says there were none
                refused.append(error)
            await asyncio.sleep(0.05)

    clients = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
    stopped = False
    try:
        await wait_until(lambda: len(acknowledged) >= 200 and pipeline.spool_depth < 100, "some events are drained")
        down = await asyncio.to_thread(services, "down", "cassandra")
        stopped = True
        assert down.returncode == 0, down.stderr
        at_outage = len(acknowledged)
        await wait_until(lambda: pipeline.sink_ok is False, "the drainer sees the outage")
        await wait_until(lambda: len(acknowledged) >= at_outage + 200, "requests keep being served")
        assert pipeline.spool_depth >= 200, "events should wait in the spool while Cassandra is down"
        up = await asyncio.to_thread(services, "up", "cassandra")
        assert up.returncode == 0, up.stdout + up.stderr
        stopped = False
    finally:
        stop.set()
        await asyncio.gather(*clients)
        if stopped:  # never leave the shared Cassandra down
            await asyncio.to_thread(services, "up", "cassandra")
        try:
            drained = await pipeline.flush(timeout_s=240)
            await pipeline.aclose()
        finally:
            await asyncio.to_thread(wait_for_janusgraph)
    assert refused == []
    assert drained, pipeline.drainer.last_error
    await assert_exactly_once(url, {str(e.event.event_id) for e in acknowledged})


@pytest.mark.parametrize("sink_kind", ["sqlite", pytest.param("cassandra", marks=pytest.mark.services)])
async def test_a_killed_process_loses_no_acknowledged_event(tmp_path: Path, sink_kind: str):
    if sink_kind == "cassandra":
        keyspace = "c360_audit_kill_test"
        await asyncio.to_thread(lambda: asyncio.run(cassandra_sink_or_skip(keyspace).close()))
        await asyncio.to_thread(drop_keyspace, keyspace)
        url = cassandra_url(keyspace)
    else:
        url = AuditUrl.parse(f"sqlite:///{tmp_path / 'audit.db'}")
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

"""Tampering with the stored record, directly in the sink as an insider with database access
would, and ``c360 audit verify`` naming what was touched (exit 1), on SQLite and on the real
Cassandra. The record is written the way the service writes it: spool, then drainer."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from customer360.audit.chain import seal_record
from customer360.audit.events import AuditEvent, AuditRecord, SealedEvent
from customer360.audit.pipeline import AuditPipeline
from customer360.config import AuditSettings, AuditUrl
from tests.audit_sinks import (
    cassandra_sink_or_skip,
    cassandra_url,
    drop_keyspace,
    raw_cluster,
)

EVENTS = 20
WIDE = 4  # customers in the one wide response after them: seq 21..24, one record


def c360_verify(url: AuditUrl) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_AUDIT")}
    return subprocess.run([sys.executable, "-m", "customer360.cli", "audit", "verify", "--audit", str(url)],
                          capture_output=True, text=True, timeout=300, env=env)


def write_record(url: AuditUrl, spool: Path) -> list[SealedEvent]:
    """Twenty reads of four customers by two people, then one response about four customers (one
    record, one link), through the spool and the drainer."""
    settings = AuditSettings(url=url, spool_path=spool, checkpoint_every=5)

    async def run() -> list[SealedEvent]:
        pipeline = AuditPipeline.open(settings)
        await pipeline.start()
        try:
            sealed = [await pipeline.record(AuditEvent.read(
                customer_id=f"P000000{i % 4}", principal=("alice", "bob")[i % 2], roles=["customer_service"],
                purpose="complaint", fields_clear=["name", "accounts.balance"], fields_masked=["ssn"]))
                for i in range(EVENTS)]
            link = await pipeline.record_reads(AuditRecord.reads(
                [(f"P000000{i}", ["name", "accounts.balance"], ["ssn"]) for i in range(WIDE)], principal="carol",
                roles=["analyst"], purpose="review"))
            sealed += link.sealed_events()
            assert await pipeline.flush(timeout_s=120), pipeline.drainer.last_error
        finally:
            await pipeline.aclose()
        return sealed

    return asyncio.run(run())


@pytest.fixture(params=["sqlite", "cassandra"])
def record(request: pytest.FixtureRequest, tmp_path: Path):
    """(url, the events written, run(cql_or_sql, params) straight on the sink's storage)."""
    if request.param == "sqlite":
        url = AuditUrl.parse(f"sqlite:///{tmp_path / 'audit.db'}")
        sealed = write_record(url, tmp_path / "spool.db")

        def run_sql(text: str, params: tuple) -> None:
            with sqlite3.connect(url.path) as db:
                db.execute(text.replace("{chain}", "audit_event"), params)

        yield url, sealed, run_sql
        return
    keyspace = "c360_audit_tamper_test"
    asyncio.run(cassandra_sink_or_skip(keyspace).close())
    drop_keyspace(keyspace)
    url = cassandra_url(keyspace)
    sealed = write_record(url, tmp_path / "spool.db")
    cluster = raw_cluster(url)
    session = cluster.connect(keyspace)

    def run_cql(text: str, params: tuple) -> None:
        cql = text.replace("{chain}", "events_by_writer").replace("?", "%s")
        if "events_by_writer" in cql:
            cql = cql.replace("WHERE writer_id", "WHERE bucket = 0 AND writer_id")
        session.execute(cql, params)

    yield url, sealed, run_cql
    cluster.shutdown()


def test_verify_names_an_altered_row_and_a_deleted_row(record: tuple[AuditUrl, list[SealedEvent], Callable]):
    url, sealed, run = record
    intact = c360_verify(url)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert f"{EVENTS + WIDE} events from 1 writers" in intact.stdout and "intact" in intact.stdout

    altered, deleted = sealed[5], sealed[12]  # seq 6 and seq 13
    run("UPDATE {chain} SET purpose = ? WHERE writer_id = ? AND seq = ?", ("marketing", altered.writer_id, 6))
    run("DELETE FROM {chain} WHERE writer_id = ? AND seq = ?", (deleted.writer_id, 13))

    tampered = c360_verify(url)
    out = tampered.stdout
    assert tampered.returncode == 1, out + tampered.stderr
    assert "TAMPERED" in out
    first = next(line for line in out.splitlines() if line.startswith("first bad event:"))
    assert f"seq 6 (event {altered.event.event_id}" in first and "altered" in first
    removed = next(line for line in out.splitlines() if "seq 13" in line)
    assert "removed" in removed
    if url.scheme == "cassandra":  # its other tables still hold a copy, which names the event
        assert str(deleted.event.event_id) in removed


def test_verify_names_a_row_whose_hash_was_recomputed_after_the_change(
        record: tuple[AuditUrl, list[SealedEvent], Callable]):
    url, sealed, run = record
    target = sealed[3]  # seq 4
    forged_event = dataclasses.replace(target.event, fields_masked=(), fields_clear=("name", "ssn"))
    forged_hash = seal_record(AuditRecord.grouped([forged_event])[0], target.writer_id, target.seq,
                              target.prev_hash)[0].hash
    run("UPDATE {chain} SET fields_masked = ?, fields_clear = ?, hash = ? WHERE writer_id = ? AND seq = ?",
        (_list(url, []), _list(url, ["name", "ssn"]), forged_hash, target.writer_id, 4))

    result = c360_verify(url)
    assert result.returncode == 1, result.stdout + result.stderr
    first = next(line for line in result.stdout.splitlines() if line.startswith("first bad event:"))
    assert f"seq 4 (event {target.event.event_id}" in first and "altered" in first


def test_verify_names_a_changed_event_of_a_responses_record(record: tuple[AuditUrl, list[SealedEvent], Callable]):
    """One link seals the whole response: changing what one of its customers' events says is
    found, and named with the range of the record."""
    url, sealed, run = record
    target = sealed[EVENTS + 1]  # the wide response's second customer, seq 22
    assert (target.link_first, target.link_last) == (EVENTS + 1, EVENTS + WIDE)
    run("UPDATE {chain} SET fields_masked = ?, fields_clear = ? WHERE writer_id = ? AND seq = ?",
        (_list(url, []), _list(url, ["name", "ssn"]), target.writer_id, target.seq))

    result = c360_verify(url)
    assert result.returncode == 1, result.stdout + result.stderr
    first = next(line for line in result.stdout.splitlines() if line.startswith("first bad event:"))
    assert f"seq {EVENTS + 1}..{EVENTS + WIDE}" in first and "altered" in first and "record" in first


def _list(url: AuditUrl, values: list[str]):
    """A list column as each sink stores it: JSON text in SQLite, a CQL list in Cassandra."""
    if url.scheme == "sqlite":
        return "[" + ",".join(f'"{v}"' for v in values) + "]"
    return values or None


def test_verify_names_an_altered_copy_in_cassandras_customer_table(tmp_path: Path):
    keyspace = "c360_audit_tamper_test"
    asyncio.run(cassandra_sink_or_skip(keyspace).close())
    drop_keyspace(keyspace)
    url = cassandra_url(keyspace)
    sealed = write_record(url, tmp_path / "spool.db")
    target = sealed[8]
    cluster = raw_cluster(url)
    try:
        cluster.connect(keyspace).execute(
            "UPDATE events_by_customer SET principal = %s WHERE customer_id = %s AND day = %s "
            "AND occurred_at = %s AND event_id = %s",
            ("nobody", target.event.customer_id, target.event.occurred_at.date(), target.event.occurred_at,
             target.event.event_id),
        )
    finally:
        cluster.shutdown()
    result = c360_verify(url)
    assert result.returncode == 1, result.stdout + result.stderr
    first = next(line for line in result.stdout.splitlines() if line.startswith("first bad event:"))
    assert f"seq 9 (event {target.event.event_id}" in first and "events_by_customer" in first

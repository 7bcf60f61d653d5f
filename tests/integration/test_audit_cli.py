"""`c360 load` on the audit record, and `c360 audit export | verify | drain` as a user runs them."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from customer360.audit.events import AuditEvent
from customer360.audit.paging import PageRequest
from customer360.audit.pipeline import AuditPipeline
from customer360.audit.sqlite import SqliteAuditSink
from customer360.config import AuditSettings, AuditUrl

DAY = datetime(2025, 4, 1, tzinfo=timezone.utc)


def c360(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "customer360.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def audit_env(folder: Path) -> dict:
    return {"C360_AUDIT": f"sqlite:///{folder / 'audit.db'}", "C360_AUDIT_SPOOL": str(folder / "spool.db")}


def principal_log(folder: Path, principal: str) -> list:
    async def read() -> list:
        sink = SqliteAuditSink(folder / "audit.db")
        try:
            return (await sink.access_log(principal, PageRequest(first=100))).events
        finally:
            await sink.close()

    return asyncio.run(read())


def test_a_load_is_on_the_record_with_who_which_files_and_how_many_rows(tmp_path: Path):
    bank = tmp_path / "bank"
    assert c360("generate", "--persons", "20", "--seed", "5", "--out", str(bank), "--quiet").returncode == 0
    env = {**audit_env(tmp_path), "C360_AUDIT_PRINCIPAL": "ops:nightly-load"}
    loaded = c360("load", str(bank), "--graph", f"sqlite:///{tmp_path / 'g.db'}", "--quiet", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "audit event" in loaded.stderr and "audit.db" in loaded.stderr

    (event,) = [e.event for e in principal_log(tmp_path, "ops:nightly-load")]
    assert event.kind.value == "load" and event.outcome.value == "complete"
    files = {f.name: f for f in event.files}
    assert set(files) == {p.name for p in bank.glob("*.csv")}
    persons = bank / "aml_data_persons.csv"
    assert files[persons.name].sha256 == hashlib.sha256(persons.read_bytes()).hexdigest()
    assert files[persons.name].rows == 20
    counts = loaded.stdout.split("loaded ", 1)[1].split(" in ", 1)[0]  # "20 persons, 31 accounts, ..."
    assert event.rows == sum(int(part.split()[0].replace(",", "")) for part in counts.split(", "))


def test_a_refused_load_is_on_the_record_as_refused(tmp_path: Path):
    bank = tmp_path / "bank"
    assert c360("generate", "--persons", "10", "--seed", "6", "--out", str(bank), "--quiet").returncode == 0
    accounts = bank / "aml_data_accounts.csv"
    accounts.write_text(accounts.read_text().replace("\n", "\nnot,a,valid,row\n", 1))
    refused = c360("load", str(bank), "--graph", f"sqlite:///{tmp_path / 'g.db'}", "--quiet",
                   env={**audit_env(tmp_path), "C360_AUDIT_PRINCIPAL": "ops:bad"})
    assert refused.returncode == 1
    (event,) = [e.event for e in principal_log(tmp_path, "ops:bad")]
    assert event.outcome.value == "refused" and event.rows == 0
    assert {f.name for f in event.files} == {p.name for p in bank.glob("*.csv")}


def spool_reads(folder: Path, customer: str, count: int) -> list:
    settings = AuditSettings(url=AuditUrl.parse(f"sqlite:///{folder / 'audit.db'}"), spool_path=folder / "spool.db")

    async def run() -> list:
        pipeline = AuditPipeline.open(settings)
        try:
            sealed = [await pipeline.record(AuditEvent.read(
                customer_id=customer, principal=f"agent{i % 2}", roles=["customer_service"], purpose="complaint",
                fields_clear=["name", "phones.number"], fields_masked=["ssn"], at=DAY + timedelta(hours=i)))
                for i in range(count)]
            await pipeline.record(AuditEvent.read(customer_id="P-someone-else", principal="agent0", at=DAY))
            assert await pipeline.flush()
        finally:
            await pipeline.aclose()
        return sealed

    return asyncio.run(run())


def test_export_writes_a_customers_whole_trail_as_jsonl_or_csv(tmp_path: Path):
    sealed = spool_reads(tmp_path, "P0000042", 7)
    out = tmp_path / "dsar.jsonl"
    exported = c360("audit", "export", "--customer", "P0000042", "--format", "jsonl", "--out", str(out),
                    env=audit_env(tmp_path))
    assert exported.returncode == 0, exported.stderr
    assert "7 events about P0000042" in exported.stderr and "exporting P0000042" in exported.stderr  # progress bar
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["event_id"] for line in lines] == [str(e.event.event_id) for e in reversed(sealed)]
    assert lines[0]["fields_masked"] == ["ssn"] and lines[0]["purpose"] == "complaint"
    assert lines[0]["hash"] == sealed[-1].hash and lines[0]["seq"] == sealed[-1].seq

    window = c360("audit", "export", "--customer", "P0000042", "--format", "csv", "--since", "2025-04-01T02:00:00Z",
                  "--until", "2025-04-01T05:00:00", "--quiet", env=audit_env(tmp_path))
    assert window.returncode == 0, window.stderr
    rows = list(csv.DictReader(window.stdout.splitlines()))
    assert [row["occurred_at"] for row in rows] == ["2025-04-01T04:00:00.000Z", "2025-04-01T03:00:00.000Z",
                                                     "2025-04-01T02:00:00.000Z"]
    assert rows[0]["fields_clear"] == "name;phones.number" and rows[0]["roles"] == "customer_service"


def test_drain_ships_a_spool_left_behind(tmp_path: Path):
    settings = AuditSettings(url=AuditUrl.parse(f"sqlite:///{tmp_path / 'audit.db'}"), spool_path=tmp_path / "spool.db")
    pipeline = AuditPipeline.open(settings)
    sealed = [pipeline.record_sync(AuditEvent.read(customer_id="P7", principal="crashed-service")) for _ in range(3)]
    asyncio.run(pipeline.aclose(flush_timeout_s=0))  # never drained, like a process that died
    drained = c360("audit", "drain", env=audit_env(tmp_path))
    assert drained.returncode == 0, drained.stderr
    assert "is empty" in drained.stdout
    assert [e.seq for e in principal_log(tmp_path, "crashed-service")] == [e.seq for e in reversed(sealed)]
    assert c360("audit", "verify", env=audit_env(tmp_path)).returncode == 0


def test_a_record_that_cannot_be_reached_or_named_is_explained(tmp_path: Path):
    unreachable = c360("audit", "verify", "--audit", "cassandra://127.0.0.1:1/nowhere")
    assert unreachable.returncode == 2
    assert "could not read the record" in unreachable.stderr
    bad = c360("audit", "export", "--customer", "P1", env={"C360_AUDIT": "postgres://db"})
    assert bad.returncode == 2
    assert "expected sqlite:///path/to/audit.db or cassandra://host:9042/keyspace" in bad.stderr
    graph = tmp_path / "never.db"
    no_load = c360("load", str(tmp_path), "--graph", f"sqlite:///{graph}", env={"C360_AUDIT": "postgres://db"})
    assert no_load.returncode == 2 and "C360_AUDIT='postgres://db'" in no_load.stderr
    assert not graph.exists()  # refused before anything was loaded
    bad_date = c360("audit", "export", "--customer", "P1", "--since", "last tuesday")
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr

"""Benchmark: the audit record's write path, spool and drainer, into the real Cassandra.

Measured in one run, with the embedded SQLite sink as the baseline:

  * spool appends: p50 / p95 latency of one request's append (the only audit cost on the
    request path: its response's record, one event per customer, one spool row) with 1, 8
    and 64 concurrent requests (group commit: one fsync for all appends waiting at that
    moment), and events per second;
  * drain rate: a spool pre-filled with N events (records of one customer, as the profile
    query makes, and of 100 customers, as a page of the nested query makes) shipped by the
    drainer (batch sizes as given) into Cassandra and into SQLite: events per second;
  * a burst: B events appended by 64 concurrent requests as fast as the spool takes them
    while the drainer ships to Cassandra: how deep the spool grows and how long it takes to
    empty after the burst.

The table is written into docs/audit.md between the audit-bench markers (never by hand).

    services/up cassandra
    python benchmarks/audit_drain.py --events 20000 --burst 20000
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from doc_tables import write_block

from customer360.audit import open_audit_sink
from customer360.audit.cassandra.schema import drop_keyspace_ddl
from customer360.audit.drainer import Drainer
from customer360.audit.events import AuditEvent, AuditRecord
from customer360.audit.spool import AuditSpool
from customer360.config import AuditSettings, AuditUrl

ROOT = Path(__file__).resolve().parents[1]

KEYSPACE = "c360_audit_bench"


FIELDS_CLEAR = ["name", "dateOfBirth", "addresses.street", "addresses.city", "phones.number", "accounts.id",
                "accounts.balance", "accounts.type", "transactions.amount", "transactions.timestamp"]
"""A typical profile read: a dozen field paths, one masked."""


def an_event(i: int) -> AuditEvent:
    """One customer read by a typical profile query."""
    return AuditEvent.read(
        customer_id=f"P{i % 5000:07d}", principal=f"svc-frontend-{i % 20}", roles=["customer_service"],
        purpose="customer call", operation_name="CustomerProfile", document_hash="d" * 64, request_id=f"req-{i}",
        client_address="10.1.2.3", fields_masked=["ssn"], fields_clear=FIELDS_CLEAR,
    )


def a_response(i: int, customers: int) -> AuditRecord:
    """The record of a response about ``customers`` customers, each read as :func:`an_event` reads one."""
    return AuditRecord.reads(
        [(f"P{(i + k) % 5000:07d}", FIELDS_CLEAR, ["ssn"]) for k in range(customers)],
        principal=f"svc-frontend-{i % 20}", roles=["customer_service"], purpose="customer call",
        operation_name="CustomerProfile", document_hash="d" * 64, request_id=f"req-{i}", client_address="10.1.2.3",
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure_appends(folder: Path, concurrency: int, count: int, per_response: int = 1) -> dict:
    """``concurrency`` requests, each appending the record of its response (one event per customer)."""
    spool = AuditSpool(folder / f"append-{concurrency}-{per_response}.db")
    latencies: list[float] = []

    async def one_client(offset: int) -> None:
        for i in range(offset * per_response, count, concurrency * per_response):
            record = a_response(i, per_response)
            started = time.perf_counter()
            await spool.append_records([record])
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    spool.close()
    return {"concurrency": concurrency, "per_response": per_response, "events": count,
            "p50_ms": statistics.median(latencies),
            "p95_ms": pct(latencies, 0.95), "per_s": count / elapsed}


async def fill(spool: AuditSpool, count: int, per_record: int) -> None:
    for start in range(0, count, 2000):
        await asyncio.gather(*(spool.append_records([a_response(i, per_record)])
                               for i in range(start, min(count, start + 2000), per_record)))


async def measure_drain(folder: Path, url: AuditUrl, batch: int, count: int, label: str, per_record: int = 1) -> dict:
    spool = AuditSpool(folder / f"drain-{label}-{batch}-{per_record}.db")
    await fill(spool, count, per_record)
    sink = open_audit_sink(url, AuditSettings(url=url))
    await sink.ping()  # connect and create the schema outside the measurement
    drainer = Drainer(spool, sink, batch_size=batch)
    started = time.perf_counter()
    emptied = await drainer.drain_until_empty(timeout_s=1800)
    elapsed = time.perf_counter() - started
    await sink.close()
    spool.close()
    assert emptied, drainer.last_error
    return {"sink": label, "batch": batch, "per_record": per_record, "events": count, "seconds": elapsed,
            "per_s": count / elapsed}


async def measure_burst(folder: Path, url: AuditUrl, count: int, batch: int) -> dict:
    spool = AuditSpool(folder / "burst.db")
    sink = open_audit_sink(url, AuditSettings(url=url))
    await sink.ping()
    drainer = Drainer(spool, sink, batch_size=batch, idle_poll_s=0.05)
    drainer.start()
    peak = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, spool.depth)
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    queue = iter(range(count))

    async def client() -> None:
        for i in queue:
            await spool.append(an_event(i))
            drainer.wake()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(64)))
    burst_s = time.perf_counter() - started
    depth_at_end = spool.depth
    while spool.depth > 0:
        await asyncio.sleep(0.05)
    emptied_s = time.perf_counter() - started - burst_s
    done.set()
    await watcher
    await drainer.stop()
    await sink.close()
    spool.close()
    return {"events": count, "burst_s": burst_s, "append_per_s": count / burst_s, "peak_depth": max(peak, depth_at_end),
            "depth_at_end": depth_at_end, "empty_after_s": emptied_s}


def raw_cluster(url: AuditUrl):
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import RoundRobinPolicy

    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy())
    return Cluster(list(url.hosts), port=url.port, protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile})


def drop_keyspace(url: AuditUrl) -> None:
    cluster = raw_cluster(url)
    try:
        cluster.connect().execute(drop_keyspace_ddl(url.keyspace), timeout=120)
    finally:
        cluster.shutdown()


def versions(url: AuditUrl) -> str:
    cluster = raw_cluster(url)
    try:
        release = cluster.connect().execute("SELECT release_version FROM system.local").one().release_version
    finally:
        cluster.shutdown()
    return (f"Cassandra {release} (services/up, 1 GiB heap, RF 1), SQLite {sqlite3.sqlite_version}, "
            f"Python {platform.python_version()}")


def render(args: argparse.Namespace, appends: list[dict], drains: list[dict], burst: dict, about: str) -> str:
    lines = [
        f"Measured {date.today().isoformat()} on the 2-core development machine: {about}.",
        f"Command: `python benchmarks/audit_drain.py --events {args.events} --burst {args.burst} "
        f"--batch {' '.join(map(str, args.batch))}`.",
        "",
        "Spool appends, the audit cost on the request path (WAL, fsync on every commit; latency per request,",
        "which appends its response's record: one event per customer, sealed as one link, one spool row):",
        "",
        "| concurrent requests | events per request | events | p50 ms | p95 ms | events/s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {a['concurrency']} | {a['per_response']} | {a['events']:,} | {a['p50_ms']:.2f} | {a['p95_ms']:.2f} "
              f"| {a['per_s']:,.0f} |" for a in appends]
    lines += ["", "Drain rate (a pre-filled spool shipped by the drainer; SQLite is the embedded baseline):", "",
              "| sink | batch (events) | events per record | events | seconds | events/s |",
              "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {d['sink']} | {d['batch']} | {d['per_record']} | {d['events']:,} | {d['seconds']:.1f} "
              f"| {d['per_s']:,.0f} |" for d in drains]
    lines += ["", f"Burst into Cassandra (64 concurrent requests appending as fast as the spool takes them, "
              f"drainer batch {args.batch[-1]}):", "",
              "| events | burst s | appends/s | peak spool depth | depth at burst end | empty after s |",
              "|---:|---:|---:|---:|---:|---:|",
              f"| {burst['events']:,} | {burst['burst_s']:.1f} | {burst['append_per_s']:,.0f} | "
              f"{burst['peak_depth']:,} | {burst['depth_at_end']:,} | {burst['empty_after_s']:.1f} |"]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    url = AuditUrl.parse(f"cassandra://{args.host}:{args.port}/{KEYSPACE}")
    drop_keyspace(url)
    with tempfile.TemporaryDirectory(prefix="c360-audit-bench-") as tmp:
        folder = Path(tmp)
        appends = [await measure_appends(folder, c, args.appends) for c in (1, 8, 64)]
        appends.append(await measure_appends(folder, 8, args.appends * 10, per_response=100))
        print(appends, file=sys.stderr, flush=True)
        drains = []
        sqlite_url = AuditUrl.parse(f"sqlite:///{folder / 'audit.db'}")
        runs = [(url, batch, "Cassandra", 1) for batch in args.batch] + [
            (url, args.batch[-1], "Cassandra", 100), (sqlite_url, args.batch[-1], "SQLite", 1),
            (sqlite_url, args.batch[-1], "SQLite", 100)]
        for sink_url, batch, label, per_record in runs:
            drains.append(await measure_drain(folder, sink_url, batch, args.events, label, per_record))
            print(drains[-1], file=sys.stderr, flush=True)
        burst = await measure_burst(folder, url, args.burst, args.batch[-1])
        print(burst, file=sys.stderr, flush=True)
    table = render(args, appends, drains, burst, versions(url))
    print(table)
    if not args.no_write:
        write_block("audit.md", "audit-bench", table)
    drop_keyspace(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000, help="events per drain measurement")
    parser.add_argument("--burst", type=int, default=20000, help="events in the burst")
    parser.add_argument("--appends", type=int, default=3000, help="appends per latency measurement")
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 500], help="drainer batch sizes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    asyncio.run(main(parser.parse_args()))

"""Benchmark: what the audit record costs a request, audit on against audit off, same run.

Two queries through the real app in-process (ASGI), on one SQLite bank:
  * profile — one customer's full profile (as benchmarks/insights.py), a random customer each time;
  * nested  — the front-end's 100 customers -> accounts -> 5 payments -> counterparty -> owner,
    which puts some 300 customers on the record per request.
"On" is the service as shipped: the extension adds what the audit needs to the document, reads
the response, and commits one event per customer to the durable spool (WAL, fsync) before the
response leaves; a drainer ships the spool to the embedded SQLite sink in the background.
"Off" is the same app with no audit record in the request context (the extension steps
aside). Requests alternate between the two, so other work on the machine falls on both alike.
The table is written into docs/audit.md between the audit-overhead markers.

    python benchmarks/audit_overhead.py --persons 10000 --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
from banks import prepared_sqlite
from doc_tables import write_block
from queries import NESTED, PROFILE

from customer360.app import create_app
from customer360.audit.pipeline import AuditPipeline
from customer360.config import AuditSettings, AuditUrl, Settings
from customer360.graphstore.backends import open_store
from customer360.serving import settle_heap


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(client: httpx.AsyncClient, query: str, variables: dict) -> float:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise SystemExit(f"the query failed: {response.text[:500]}")
    return elapsed


async def run(args: argparse.Namespace, settings: Settings) -> str:
    store = open_store(settings.graph)
    folder = Path(tempfile.mkdtemp(prefix="c360-audit-bench-"))
    pipeline = AuditPipeline.open(AuditSettings(url=AuditUrl.parse(f"sqlite:///{folder / 'audit.db'}"),
                                                spool_path=folder / "spool.db"))
    await pipeline.start()
    app = create_app(settings, store=store, audit=pipeline)
    settle_heap()  # as a served process does (customer360/serving.py)
    view = app.state.graphql
    ids = [f"P{n:07d}" for n in range(1, args.persons + 1)]  # the generator's person ids
    rng = random.Random(7)
    samples: dict[tuple[str, str], list[float]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for name, query, requests in (("profile", PROFILE, args.requests), ("nested", NESTED, args.nested_requests)):
            for _warm in range(5):
                await timed(client, query, {"id": rng.choice(ids)})
            for n in range(requests):
                customer = rng.choice(ids)
                order = ("on", "off") if n % 2 == 0 else ("off", "on")
                for mode in order:
                    view.audit = pipeline if mode == "on" else None
                    samples.setdefault((name, mode), []).append(await timed(client, query, {"id": customer}))
    view.audit = pipeline
    drained = await pipeline.flush(120)
    await pipeline.aclose()
    store.close()
    load = os.getloadavg()[0]
    lines = [
        f"`python benchmarks/audit_overhead.py --persons {args.persons} --requests {args.requests} "
        f"--nested-requests {args.nested_requests}` on {date.today().isoformat()}: one SQLite bank of "
        f"{args.persons:,} persons, in-process ASGI, requests alternating audit on / off; load average "
        f"{load:.2f} at the end; spool drained afterwards: {'yes' if drained else 'NO'}.",
        "",
        "| query | audit | requests | p50 ms | p95 ms | p50 overhead |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name in ("profile", "nested"):
        off, on = samples[(name, "off")], samples[(name, "on")]
        for mode, values in (("off", off), ("on", on)):
            overhead = "" if mode == "off" else f"{(statistics.median(on) / statistics.median(off) - 1) * 100:+.1f}%"
            lines.append(f"| {name} | {mode} | {len(values)} | {statistics.median(values):.1f} | "
                         f"{percentile(values, 0.95):.1f} | {overhead} |")
    goals = []
    for name in ("profile", "nested"):
        ratio = statistics.median(samples[(name, "on")]) / statistics.median(samples[(name, "off")])
        goals.append(f"{name}: {'met' if ratio <= 1.10 else 'not met'} ({(ratio - 1) * 100:+.1f}% at p50)")
    lines += ["", "Goal: audit on within 10% of audit off at p50. " + "; ".join(goals) + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=200, help="profile requests per mode")
    parser.add_argument("--nested-requests", type=int, default=60, help="nested-query requests per mode")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    settings = prepared_sqlite(args.persons, args.seed)
    # one client sending as fast as it can is no abuse here: the rate limit would cap the run
    settings = replace(settings, limits=replace(settings.limits, rate_per_second=0))
    text = asyncio.run(run(args, settings))
    print(text)
    if not args.no_write:
        write_block("audit.md", "audit-overhead", text)


if __name__ == "__main__":
    sys.exit(main())

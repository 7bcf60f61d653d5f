"""Benchmark: the front-end's nested query, batched vs a naive one-call-per-row baseline.

    customers(first: 100) -> accounts -> sent(first: 5) -> to -> owner

Both runs go through the same schema and resolvers in the same process on the same store;
the baseline only turns batching off (DataLoader ``max_batch_size=1``), which is what a
resolver that calls the backend once per parent row does. For each we report backend calls
(from the explain log) and latency p50/p95 over repeated requests.

    python benchmarks/nested_query.py --persons 10000 100000
    python benchmarks/nested_query.py --graph gremlin://127.0.0.1:8182/g --persons 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import replace
from datetime import date

import httpx
from banks import prepared_sqlite, service_state
from doc_tables import write_block
from queries import NESTED

from customer360.app import create_app
from customer360.config import GraphUrl, Settings
from customer360.graphstore.backends import open_store
from customer360.serving import settle_heap


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def measure(store, settings: Settings, repeats: int) -> dict:
    app = create_app(settings, store=store)
    settle_heap()  # as a served process does (customer360/serving.py)
    latencies: list[float] = []
    calls = 0
    rows = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for attempt in range(repeats + 1):  # the first request warms caches and is not counted
            started = time.perf_counter()
            response = await client.post("/graphql", json={"query": NESTED}, headers={"X-C360-Explain": "1"})
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json()
            if "errors" in body:
                raise SystemExit(f"query failed: {body['errors']}")
            if attempt:
                latencies.append(elapsed)
            calls = body["extensions"]["explain"]["totalCalls"]
            rows = sum(c["rows"] for c in body["extensions"]["explain"]["calls"])
    return {
        "calls": calls,
        "rows": rows,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "repeats": repeats,
    }


def run(settings: Settings, repeats: int, naive_repeats: int) -> dict:
    store = open_store(settings.graph, settings)
    try:
        return {
            "compiled": asyncio.run(measure(store, replace(settings, execution="compiled"), repeats)),
            "general, batched": asyncio.run(measure(store, replace(settings, execution="general"), repeats)),
            # the compiled path has no per-row resolvers to un-batch: the naive baseline is the general one
            "general, naive": asyncio.run(
                measure(store, replace(settings, execution="general", batching=False), naive_repeats)),
        }
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--graph", help="benchmark an already loaded store instead (e.g. gremlin://127.0.0.1:8182/g)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--naive-repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()

    results = []
    targets = [(None, Settings(graph=GraphUrl.parse(args.graph)))] if args.graph else [
        (persons, prepared_sqlite(persons, args.seed)) for persons in args.persons
    ]
    for persons, settings in targets:
        with service_state():
            result = run(settings, args.repeats, args.naive_repeats)
        result.update({"persons": persons, "graph": str(settings.graph).split("://")[0]})
        results.append(result)
        print(json.dumps(result), flush=True)

    command = " ".join(["python benchmarks/nested_query.py", *(["--graph", args.graph] if args.graph else
                        ["--persons", *map(str, args.persons)]), "--repeats", str(args.repeats),
                        "--naive-repeats", str(args.naive_repeats)])
    lines = [
        f"`{command}` on {date.today().isoformat()} (in-process ASGI, default settings, audit on; the "
        f"compiled path is the default; load average {os.getloadavg()[0]:.2f} at the end):",
        "",
        "| store | persons | path | backend calls | rows | p50 ms | p95 ms |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for mode in ("compiled", "general, batched", "general, naive"):
            m = r[mode]
            lines.append(f"| {r['graph']} | {r['persons'] or '(loaded)'} | {mode} | {m['calls']} | {m['rows']} | "
                         f"{m['p50_ms']} | {m['p95_ms']} |")
    print("\n".join(lines))
    if not args.no_write:
        write_block("benchmarks.md", "nested-query-janusgraph" if args.graph else "nested-query", "\n".join(lines))

if __name__ == "__main__":
    main()

"""Benchmark: loading a bank into JanusGraph, one chunk transaction at a time vs several at once.

The baseline is ``--connections 1``: the loader's chunks (250 rows per traversal) written one
after another, which is what the loader did before it ran them concurrently. Each run
empties the graph first and loads the same generated bank through ``load_bank``, exactly
as ``c360 load`` does; we report seconds, CSV rows written per second, and the
seconds the graph took to empty.

    services/up cassandra janusgraph
    python benchmarks/janusgraph_load.py --persons 1000 --connections 1 4 8
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date

from banks import bank_folder
from doc_tables import write_block

from customer360.graphstore.gremlin import GremlinStore
from customer360.ingest.load import load_bank


def measure(persons: int, seed: int, connections: int, host: str, port: int) -> dict:
    folder = bank_folder(persons, seed)
    store = GremlinStore(host, port, "g", pool_size=connections, timeout_s=60)
    try:
        started = time.perf_counter()
        store.drop_all_data()
        dropped_s = time.perf_counter() - started
        store.init_schema()
        started = time.perf_counter()
        report = load_bank(folder, store, progress=False)
        load_s = time.perf_counter() - started
    finally:
        store.close()
    return {
        "persons": persons,
        "connections": connections,
        "rows": report.written,
        "load_s": round(load_s, 1),
        "rows_per_s": round(report.written / load_s),
        "empty_graph_s": round(dropped_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8182)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    results = []
    for connections in args.connections:
        results.append(measure(args.persons, args.seed, connections, args.host, args.port))
        print(json.dumps(results[-1]), flush=True)
    baseline = results[0]["load_s"]
    lines = [
        f"`python benchmarks/janusgraph_load.py --persons {args.persons} --connections "
        f"{' '.join(map(str, args.connections))}` on {date.today().isoformat()}: {results[0]['rows']:,} CSV rows "
        f"each run; Cassandra, JanusGraph and the loader on the same machine (load average "
        f"{os.getloadavg()[0]:.2f} at the end).",
        "",
        "| connections (chunks in flight) | load s | CSV rows / s | speed-up | emptying the graph first s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(f"| {result['connections']} | {result['load_s']} | {result['rows_per_s']:,} | "
                     f"{baseline / result['load_s']:.1f}x | {result['empty_graph_s']} |")
    print("\n".join(lines))
    if not args.no_write:
        write_block("benchmarks.md", "janusgraph-load", "\n".join(lines))


if __name__ == "__main__":
    main()

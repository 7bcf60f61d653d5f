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
import time

from banks import bank_folder

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
    args = parser.parse_args()
    for connections in args.connections:
        print(json.dumps(measure(args.persons, args.seed, connections, args.host, args.port)), flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: search and matching quality and latency, on BOTH index implementations.

A bank is generated with labelled duplicates (``c360 generate --duplicates``), loaded into an
SQLite graph (persons, accounts, addresses and phones: transactions play no part in search)
and indexed into the embedded index and into OpenSearch. Then, on each:

* recall@10 of one-typo name searches: a customer's "first last" with one keyboard slip in
  one of the two names. The relevant customers are everyone with that exact name (popular
  names repeat); recall@10 = |relevant in the top 10| / min(10, |relevant|), averaged;
* top-1 accuracy of matchCustomer: each labelled duplicate's record (name, birth date, one
  phone, one address) as the input, the duplicate itself excluded: is the top match the
  original?
* possibleDuplicates against the labels: recall over every labelled pair (is the original
  among the duplicate's possible duplicates?), precision over every pair proposed for a
  uniform random sample of customers (is the proposed pair labelled?);
* latency of ``searchCustomers`` through the whole GraphQL service in-process (HTTP layer,
  Strawberry, index, and the graph read of the persons), p50 and p95, one query at a time,
  over a mix of typo'd names, name prefixes (search-as-you-type), phones in another
  spelling and street addresses; and the index's own share of it.

The table is written into docs/search.md between the marker comments (never typed by hand):

    python benchmarks/search_quality.py --persons 100000
    python benchmarks/search_quality.py --persons 5000 --no-opensearch   # quick look
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import platform
import random
import shutil
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from banks import service_state  # noqa: E402
from doc_tables import write_block  # noqa: E402

from customer360.app import create_app  # noqa: E402
from customer360.config import (  # noqa: E402
    GraphUrl,
    Limits,
    SearchUrl,
    Settings,
)
from customer360.generator import DUPLICATES_FILE, generate_bank  # noqa: E402
from customer360.generator.duplicates import one_typo  # noqa: E402
from customer360.graphstore.backends import open_store  # noqa: E402
from customer360.graphstore.plan import FindPersons  # noqa: E402
from customer360.ingest.load import load_bank  # noqa: E402
from customer360.resolvers.search import MIN_SEARCH_WINDOW  # noqa: E402
from customer360.search import open_search_index  # noqa: E402
from customer360.search.documents import PersonDocument  # noqa: E402
from customer360.search.indexing import rebuild_from_store  # noqa: E402
from customer360.search.normalise import fold  # noqa: E402
from customer360.search.protocol import (  # noqa: E402
    AddressQuery,
    MatchQuery,
    SearchIndex,
    SearchRequest,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / ".data"
SEARCH_FILES = ("aml_data_persons.csv", "aml_data_accounts.csv", "aml_data_addresses.csv", "aml_data_phones.csv")

SEARCH_QUERY = """query ($text: String!) { searchCustomers(text: $text, first: 10) {
  edges { score matched { field kind } node { id name dateOfBirth } } } }"""


@dataclass
class Bank:
    persons: int
    folder: Path
    graph: GraphUrl
    labels: dict[str, str]  # duplicate -> original
    docs: dict[str, PersonDocument] = field(default_factory=dict)


def prepare(persons: int, seed: int, ratio: float) -> Bank:
    folder = DATA / f"search-{persons}-{seed}-{ratio}"
    if not (folder / DUPLICATES_FILE).exists():
        print(f"generating {persons:,} persons with {ratio:.0%} duplicates ...", file=sys.stderr)
        generate_bank(folder, persons, seed, progress=True, duplicates=ratio)
    load_dir = folder / "search-load"
    load_dir.mkdir(exist_ok=True)
    for name in SEARCH_FILES:
        if not (load_dir / name).exists():
            shutil.copyfile(folder / name, load_dir / name)
    url = GraphUrl.parse(f"sqlite:///{DATA / f'search-{persons}-{seed}-{ratio}.db'}")
    store = open_store(url)
    try:
        if not asyncio.run(store.find_persons(FindPersons(first=1))).rows:
            report = load_bank(load_dir, store, progress=True)
            print(report, file=sys.stderr)
    finally:
        store.close()
    with open(folder / DUPLICATES_FILE, newline="") as handle:
        labels = {row["person_id"]: row["duplicate_of"] for row in csv.DictReader(handle)}
    return Bank(persons, folder, url, labels)


async def build(index: SearchIndex, bank: Bank, rebuild: bool) -> float | None:
    store = open_store(bank.graph)
    try:
        if not rebuild and await index.count() > 0:
            return None
        started = time.perf_counter()
        await rebuild_from_store(store, index)
        return time.perf_counter() - started
    finally:
        store.close()


async def all_documents(index: SearchIndex, person_ids: list[str]) -> dict[str, PersonDocument]:
    found: dict[str, PersonDocument] = {}
    for start in range(0, len(person_ids), 500):
        found.update(await index.documents(person_ids[start:start + 500]))
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(name: str, index: SearchIndex, bank: Bank, rng_seed: int, samples: dict) -> dict[str, str]:
    docs = bank.docs
    by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    for doc in docs.values():
        by_name[(fold(doc.first_name), fold(doc.last_name))].add(doc.person_id)

    # recall@10, one typo
    recalls = []
    for person_id, text in samples["typos"]:
        doc = docs[person_id]
        relevant = by_name[(fold(doc.first_name), fold(doc.last_name))]
        page = await index.search(SearchRequest.parse(text, MIN_SEARCH_WINDOW), 10)
        top = {hit.person_id for hit in page.hits}
        recalls.append(len(relevant & top) / min(10, len(relevant)))

    # matchCustomer top-1
    correct = 0
    for duplicate, original in samples["pairs"]:
        doc = docs[duplicate]
        address = doc.addresses[0]
        query = MatchQuery(
            doc.first_name, doc.last_name, doc.date_of_birth, tuple(p.key for p in doc.phones[:1] if p.key),
            (AddressQuery(address.street, address.city, address.state, address.zip_code),), exclude_person_id=duplicate,
        )
        results = await index.match(query, 1)
        correct += bool(results) and results[0].person_id == original
    top1 = correct / len(samples["pairs"])

    # possibleDuplicates
    threshold = Settings().min_duplicate_score
    found_pairs = 0
    duplicates = [d for d, _ in samples["pairs"]]
    for start in range(0, len(duplicates), 50):
        chunk = duplicates[start:start + 50]
        result = await index.possible_duplicates(chunk, 5, threshold)
        found_pairs += sum(bank.labels[d] in {r.person_id for r in result[d]} for d in chunk)
    recall_dup = found_pairs / len(duplicates)
    proposed = right = 0
    labelled = {frozenset(pair) for pair in bank.labels.items()}
    sample = samples["uniform"]
    for start in range(0, len(sample), 50):
        chunk = sample[start:start + 50]
        result = await index.possible_duplicates(chunk, 5, threshold)
        for person_id in chunk:
            for r in result[person_id]:
                proposed += 1
                right += frozenset((person_id, r.person_id)) in labelled
    precision_dup = right / proposed if proposed else 1.0

    # latency through GraphQL, and the index alone
    store = open_store(bank.graph)
    # one client, one query at a time, as fast as it goes: no abuse, so no rate limit
    app = create_app(Settings(graph=bank.graph, limits=Limits(rate_per_second=0)), store=store, search=index)
    graphql_ms, index_ms = [], []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for number, text in enumerate(samples["latency"]):
                started = time.perf_counter()
                response = await client.post("/graphql", json={"query": SEARCH_QUERY, "variables": {"text": text}})
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200 and "errors" not in response.json(), response.text
                started = time.perf_counter()
                await index.search(SearchRequest.parse(text, MIN_SEARCH_WINDOW), 10)
                alone = (time.perf_counter() - started) * 1000
                if number >= samples["warmup"]:
                    graphql_ms.append(elapsed)
                    index_ms.append(alone)
    finally:
        store.close()
    print(f"{name}: recall@10 {statistics.mean(recalls):.4f}, match top-1 {top1:.4f}, duplicates P {precision_dup:.4f} "
          f"(of {proposed}) R {recall_dup:.4f}, p50 {percentile(graphql_ms, .5):.1f} ms p95 {percentile(graphql_ms, .95):.1f} ms",
          file=sys.stderr)
    return {
        "recall": f"{statistics.mean(recalls):.3f}",
        "top1": f"{top1:.3f}",
        "precision": f"{precision_dup:.3f} ({right}/{proposed})",
        "dup_recall": f"{recall_dup:.3f} ({found_pairs}/{len(duplicates)})",
        "p50": f"{percentile(graphql_ms, .5):.1f} ms",
        "p95": f"{percentile(graphql_ms, .95):.1f} ms",
        "index_p50": f"{percentile(index_ms, .5):.1f} ms",
        "index_p95": f"{percentile(index_ms, .95):.1f} ms",
    }


def make_samples(bank: Bank, seed: int, typos: int, pairs: int, uniform: int, latency: int) -> dict:
    rng = random.Random(seed)
    involved = set(bank.labels) | set(bank.labels.values())
    plain = sorted(p for p in bank.docs if p not in involved)
    typo_queries = []
    for person_id in rng.sample(plain, min(typos, len(plain))):
        doc = bank.docs[person_id]
        first, last = doc.first_name, doc.last_name
        if rng.random() < 0.5:
            first = one_typo(rng, first)
        else:
            last = one_typo(rng, last)
        typo_queries.append((person_id, f"{first} {last}"))
    labelled = sorted(bank.labels.items())
    chosen_pairs = rng.sample(labelled, min(pairs, len(labelled)))
    everyone = sorted(bank.docs)
    latency_texts = []
    for number in range(latency):
        doc = bank.docs[rng.choice(everyone)]
        kind = number % 4
        if kind == 0:
            latency_texts.append(f"{doc.first_name} {one_typo(rng, doc.last_name)}")
        elif kind == 1:
            latency_texts.append(f"{doc.first_name[:rng.randint(2, 4)]} {doc.last_name[:rng.randint(2, 4)]}")
        elif kind == 2 and doc.phones:
            digits = "".join(c for c in doc.phones[0].number.split("x")[0] if c.isdigit())[-10:]
            latency_texts.append(f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")
        else:
            latency_texts.append(f"{doc.addresses[0].street} {doc.addresses[0].zip_code}")
    return {
        "typos": typo_queries, "pairs": chosen_pairs, "uniform": rng.sample(everyone, min(uniform, len(everyone))),
        "latency": latency_texts, "warmup": min(50, latency // 5),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--duplicates", type=float, default=0.01)
    parser.add_argument("--typos", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--uniform", type=int, default=3000)
    parser.add_argument("--latency", type=int, default=600)
    parser.add_argument("--opensearch", default="opensearch://127.0.0.1:9200/c360-bench-search")
    parser.add_argument("--no-opensearch", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the indexes even if they exist")
    parser.add_argument("--keep", action="store_true", help="keep the OpenSearch benchmark index afterwards")
    parser.add_argument("--no-write", action="store_true", help="print the table, do not touch docs/search.md")
    args = parser.parse_args()

    bank = prepare(args.persons, args.seed, args.duplicates)
    embedded = open_search_index(SearchUrl.parse(f"sqlite:///{DATA / f'search-{args.persons}-{args.seed}-{args.duplicates}.search.db'}"))
    indexes: list[tuple[str, SearchIndex]] = [("embedded (SQLite FTS5 + rapidfuzz)", embedded)]
    if not args.no_opensearch:
        indexes.append(("OpenSearch 2.19", open_search_index(SearchUrl.parse(args.opensearch))))

    async def run() -> list[tuple[str, dict[str, str], float | None]]:
        rows = []
        build_times = [await build(index, bank, args.rebuild) for _, index in indexes]
        bank.docs = await all_documents(embedded, sorted(await _person_ids(bank)))
        samples = make_samples(bank, args.seed, args.typos, args.pairs, args.uniform, args.latency)
        for (name, index), built in zip(indexes, build_times):
            rows.append((name, await measure(name, index, bank, args.seed, samples), built))
        for name, index in indexes:
            if not args.keep and hasattr(index, "drop"):
                await index.drop()
            await index.close()
        return rows

    with service_state():
        results = asyncio.run(run())
    names = [name for name, _, _ in results]
    lines = [
        f"Bank: {bank.persons:,} customers plus {len(bank.labels):,} labelled duplicates "
        f"(`c360 generate --persons {bank.persons} --seed {args.seed} --duplicates {args.duplicates}`); "
        f"{args.typos:,} typo searches, {args.pairs:,} labelled pairs, {args.uniform:,} customers sampled for "
        f"precision, {args.latency:,} timed searches (after a warm-up of 50). Machine: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, shared with other work. Written by `benchmarks/search_quality.py`.",
        "",
        "| measure | goal | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
        "| recall@10, one-typo name searches | >= 0.98 | " + " | ".join(r["recall"] for _, r, _ in results) + " |",
        "| matchCustomer top-1 accuracy (labelled duplicates) | | " + " | ".join(r["top1"] for _, r, _ in results) + " |",
        "| possibleDuplicates precision (uniform sample) | >= 0.95 | " + " | ".join(r["precision"] for _, r, _ in results) + " |",
        "| possibleDuplicates recall (labelled pairs) | >= 0.95 | " + " | ".join(r["dup_recall"] for _, r, _ in results) + " |",
        "| searchCustomers p50, through GraphQL | | " + " | ".join(r["p50"] for _, r, _ in results) + " |",
        "| searchCustomers p95, through GraphQL | < 20 ms | " + " | ".join(r["p95"] for _, r, _ in results) + " |",
        "| the index's share: p50 / p95 | | " + " | ".join(f"{r['index_p50']} / {r['index_p95']}" for _, r, _ in results) + " |",
        "| full index build from the graph | | " + " | ".join(f"{b:.0f} s" if b is not None else "(reused)" for _, _, b in results) + " |",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_block("search.md", "search-quality", table)
    return 0


async def _person_ids(bank: Bank) -> list[str]:
    store = open_store(bank.graph)
    try:
        ids: list[str] = []
        after = None
        while True:
            page = await store.find_persons(FindPersons(first=5000, after=after))
            ids.extend(p.person_id for p in page.rows)
            if not page.has_next:
                return ids
            after = page.keysets[-1]
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())

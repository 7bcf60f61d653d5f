"""Benchmark: ordinary traffic from 20 clients, alone and beside the abuse corpus, same run.

One real ``c360 serve`` process (default settings, SQLite, a generated bank) on a free port of
127.0.0.1. Twenty clients send the README tour's queries (a customer's card, a filtered page
of customers, payments, counterparties, insights, the dashboard, related customers), each
from its own loopback address, with a pause between requests as a screen's user makes. A
prober asks ``/healthz`` every 100 ms. Three phases of the same length, run as interleaved
slices (alone, abuse, abuse, alone, ...) so that other load on the machine falls on each:

1. **alone**: the ordinary clients only;
2. **abuse at N/s, fresh addresses**: beside them, another process sends every case of
   ``tests/abuse_corpus.py`` in a loop at ``--abuse-rate`` requests a second (by default
   about as many as the ordinary clients send), rotating over 256 loopback addresses so
   that the per-principal rate limit never slows it (an attacker with many identities):
   what the document limits and HTTP guards cost on their own;
3. **abuse at M/s, one address**: the corpus at ``--flood-rate`` (by default 200 a second,
   four times the rate limit), all from one address, as one principal: the rate limit
   answers most of it with 429.

The abuse process runs at a lower CPU priority (nice 10): on this 2-core machine the load
generator shares the cores with the server, as an attacker's own machine would not.

For each phase: the ordinary requests' p50 / p95 latency, their 5xx and errors; the abuse
requests sent and how they were answered (the refusal the corpus expects, 429, anything
else); health probes' p95 and worst; the server process's CPU. Goal (issue 8): no 5xx, and
the ordinary p95 with abuse within 2x of the p95 alone. The table is written into
``docs/security.md`` between the ``abuse-load`` markers; nothing there is typed by hand.

    python benchmarks/abuse_load.py                      # 2,000 persons, 24 s a phase in 8 slices
    python benchmarks/abuse_load.py --seconds 6 --rounds 2 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import multiprocessing
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from banks import bank_folder, prepared_sqlite, service_state
from doc_tables import write_block

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.abuse_corpus import CORPUS, AbuseCase  # noqa: E402

ORDINARY = {
    "customer card": """query Card($id: ID!) { customer(id: $id) {
        name ssn dateOfBirth
        addresses { street city state zipCode residents { id name } }
        phones { number type owners { name } }
        accounts { id type balance status } } }""",
    "customers page": """query Page($state: String!, $min: Decimal!) {
        customers(first: 10, filter: {state: $state, minTotalBalance: $min}, orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
          totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } } }""",
    "payments": """query Payments($id: ID!, $since: DateTime!) { customer(id: $id) {
        transactions(first: 20, filter: {since: $since}) {
          totalCount edges { node { id amount timestamp from { id } to { id owner { name } } } } } } }""",
    "counterparties": """query Counterparties($account: ID!) { account(id: $account) {
        counterparties(first: 5) { account { id owner { name } } transactionCount volume }
        received(first: 5) { totalCount edges { node { amount from { owner { name } } } } } } }""",
    "insights": """query Insights($id: ID!) { customer(id: $id) {
        name metrics { numAccounts totalBalance numTransactions totalVolume avgTransaction }
        segment { tier reasons { rule detail } } risk { score level reasons { rule detail } }
        recommendations { product reason { rule detail } } } }""",
    "dashboard": """{ portfolio { customers accounts totalBalance avgBalancePerCustomer transactions totalVolume
        avgTransaction segments { tier customers totalBalance } riskLevels { level customers } } }""",
    "related": """query Related($id: ID!) { customer(id: $id) { relatedCustomers(first: 5) { person { id name } via evidence } } }""",
}
STATES = ["NY", "CA", "TX", "FL", "IL", "MA", "WA", "PA"]


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client_address(n: int) -> str:
    return f"127.0.1.{n + 1}"


# ------------------------------------------------------------------ ordinary traffic


@dataclass
class Samples:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    graphql_errors: int = 0


def variables_for(name: str, rng: random.Random, persons: list[str], accounts: list[str]) -> dict:
    return {
        "customer card": lambda: {"id": rng.choice(persons)},
        "customers page": lambda: {"state": rng.choice(STATES), "min": "10000"},
        "payments": lambda: {"id": rng.choice(persons), "since": "2024-01-01T00:00:00Z"},
        "counterparties": lambda: {"account": rng.choice(accounts)},
        "insights": lambda: {"id": rng.choice(persons)},
        "dashboard": lambda: {},
        "related": lambda: {"id": rng.choice(persons)},
    }[name]()


async def ordinary_client(
    base: str, n: int, until: float, think_s: float, persons: list[str], accounts: list[str], samples: Samples
) -> None:
    rng = random.Random(n)
    names = list(ORDINARY)
    transport = httpx.AsyncHTTPTransport(local_address=client_address(n))
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as client:
        await asyncio.sleep(rng.random() * think_s)  # clients do not start in step
        while time.monotonic() < until:
            name = rng.choice(names)
            started = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": ORDINARY[name], "variables": variables_for(name, rng, persons, accounts)}
            )
            samples.latencies_ms.append((time.perf_counter() - started) * 1000)
            samples.statuses[response.status_code] += 1
            if response.status_code == 200 and "errors" in response.json():
                samples.graphql_errors += 1
            await asyncio.sleep(think_s * (0.5 + rng.random()))


async def health_prober(base: str, until: float, probes_ms: list[float], failures: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                status = (await client.get("/healthz")).status_code
            except httpx.HTTPError:
                status = 0
            probes_ms.append((time.perf_counter() - started) * 1000)
            if status != 200:
                failures.append(status)
            await asyncio.sleep(0.1)


@dataclass
class PhaseSamples:
    """What one phase measured, over all its slices."""

    ordinary: Samples = field(default_factory=Samples)
    probes_ms: list[float] = field(default_factory=list)
    probe_failures: list[int] = field(default_factory=list)
    abuse: Counter = field(default_factory=Counter)
    server_cpu_s: float = 0.0
    seconds: float = 0.0

    def summary(self) -> dict:
        latencies = self.ordinary.latencies_ms
        statuses = self.ordinary.statuses
        return {
            "requests": len(latencies),
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "5xx": sum(n for status, n in statuses.items() if status >= 500),
            "non_200": sum(n for status, n in statuses.items() if status != 200),
            "graphql_errors": self.ordinary.graphql_errors,
            "health_p95": percentile(self.probes_ms, 0.95),
            "health_max": max(self.probes_ms, default=float("nan")),
            "health_failures": len(self.probe_failures),
            "abuse": dict(self.abuse),
            "server_cpu": self.server_cpu_s / self.seconds if self.seconds else float("nan"),
        }


async def ordinary_slice(base: str, args, persons, accounts, into: PhaseSamples) -> None:
    until = time.monotonic() + args.slice
    await asyncio.gather(
        *(ordinary_client(base, n, until, args.think, persons, accounts, into.ordinary) for n in range(args.clients)),
        health_prober(base, until, into.probes_ms, into.probe_failures),
    )


# ------------------------------------------------------------------ abuse (in its own process)


def answered_as_expected(case: AbuseCase, response: httpx.Response) -> bool:
    if response.status_code != case.status:
        return False
    if case.code is None:
        return case.says in response.text
    errors = response.json().get("errors") or [{}]
    return errors[0].get("extensions", {}).get("code") == case.code


ADDRESS_POOL = 256
"""Loopback addresses the "fresh addresses" abuse rotates through: each sees a small share of
it, far under the per-principal rate, so the rate limit never slows it."""
ONE_ADDRESS = "127.0.2.1"
ABUSE_NICENESS = 10


async def abuse_loop(base: str, connections: int, until: float, per_second: float, fresh: bool, counts: Counter) -> None:
    """The corpus in a loop from ``connections`` concurrent senders, at ``per_second`` in all
    (0: as fast as they go), from rotating addresses or from one."""
    tls = ssl.create_default_context()  # one, shared: building one per client costs more than a request
    addresses = [f"127.0.{3 + k // 250}.{k % 250 + 1}" for k in range(ADDRESS_POOL)] if fresh else [ONE_ADDRESS]
    clients = [
        httpx.AsyncClient(base_url=base, timeout=60, verify=tls,
                          transport=httpx.AsyncHTTPTransport(local_address=address, verify=tls))
        for address in addresses
    ]
    built = [(case, case.build()) for case in CORPUS]  # payloads once: the abuse costs the server, not us
    random.Random(7).shuffle(built)
    started = time.monotonic()
    sent = 0

    async def sender() -> None:
        nonlocal sent
        while True:
            number = sent
            sent += 1
            if per_second:
                await asyncio.sleep(max(0.0, started + number / per_second - time.monotonic()))
            if time.monotonic() >= until:
                return
            case, request = built[number % len(built)]
            client = clients[number % len(clients)]
            content = request.body() if callable(request.body) else request.body
            response = await client.request(request.method, request.path, content=content, headers=request.headers)
            if response.status_code >= 500:
                counts["5xx"] += 1
            elif response.status_code == 429:
                counts["429"] += 1
            elif answered_as_expected(case, response):
                counts["refused as expected"] += 1
            else:
                counts[f"unexpected {response.status_code} ({case.name})"] += 1
            counts["sent"] += 1

    try:
        await asyncio.gather(*(sender() for _ in range(connections)))
    finally:
        for client in clients:
            await client.aclose()


def abuse_process(
    base: str, connections: int, seconds: float, per_second: float, fresh: bool, results: multiprocessing.Queue
) -> None:
    async def run() -> Counter:
        counts: Counter = Counter()
        await abuse_loop(base, connections, time.monotonic() + seconds, per_second, fresh, counts)
        return counts

    # An attacker's requests cost the server, not the attacker's machine's cores: here both
    # share two cores, so the load generator yields them to the server first.
    os.nice(ABUSE_NICENESS)

    results.put(dict(asyncio.run(run())))


# ------------------------------------------------------------------ the run


def ids(folder: Path, file: str, column: str, limit: int = 5000) -> list[str]:
    with (folder / file).open(newline="") as handle:
        return [row[column] for _, row in zip(range(limit), csv.DictReader(handle))]


def serve(graph_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "C360_GRAPH": graph_url}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "customer360.cli", "serve", "--port", str(port), "--no-demo", "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"c360 serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("c360 serve did not become ready")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (its worker processes;
    Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_slice(base: str, args, persons, accounts, abuse: tuple[float, bool] | None, server_pid: int,
              into: PhaseSamples) -> None:
    """One slice of a phase; ``abuse`` is (requests per second, 0 for flat out; from fresh
    addresses?), or None for ordinary traffic alone."""
    cpu_before = cpu_seconds(server_pid)
    results: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    worker = None
    if abuse is not None:
        per_second, fresh = abuse
        worker = multiprocessing.get_context("spawn").Process(
            target=abuse_process, args=(base, args.abusers, args.slice, per_second, fresh, results)
        )
        worker.start()
        time.sleep(1.0)  # let the abuse process start before measuring beside it
    asyncio.run(ordinary_slice(base, args, persons, accounts, into))
    if worker is not None:
        into.abuse.update(results.get(timeout=args.slice + 120))
        worker.join(timeout=30)
    into.server_cpu_s += cpu_seconds(server_pid) - cpu_before
    into.seconds += args.slice


def fmt_ms(value: float) -> str:
    return f"{value:,.0f}"


def load_average() -> str:
    """The machine's 1-minute load average (Linux), to read the figures by."""
    return Path("/proc/loadavg").read_text().split()[0]


def table(phases: dict[str, dict], args, started: str, load: tuple[str, str]) -> str:
    alone = phases["alone"]["p95"]
    lines = [
        f"`python benchmarks/abuse_load.py --persons {args.persons} --clients {args.clients} "
        f"--abusers {args.abusers} --abuse-rate {args.abuse_rate:g} --flood-rate {args.flood_rate:g} "
        f"--seconds {args.seconds:g} --rounds {args.rounds}` "
        f"on {started}: one `c360 serve` (default settings: a worker process per core, "
        f"SQLite, {args.persons:,} persons), {args.clients} ordinary clients (README tour queries, "
        f"{args.think * 1000:.0f} ms average pause), the {len(CORPUS)} cases of `tests/abuse_corpus.py` "
        f"in a loop from another process ({args.abusers} connections, CPU priority nice {ABUSE_NICENESS}); "
        f"{args.seconds:g} s a phase, run as "
        f"{args.rounds} interleaved slices of {args.seconds / args.rounds:g} s.",
        "",
        "| phase | ordinary requests | p50 ms | p95 ms | p95 vs alone | ordinary 5xx | other non-200 | GraphQL errors "
        "| abuse sent | refused as expected | 429 | abuse 5xx | other answers | /healthz p95 ms | /healthz worst ms "
        "| server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, phase in phases.items():
        abuse = phase.get("abuse", {})
        other = sum(n for key, n in abuse.items() if key.startswith("unexpected"))
        lines.append(
            f"| {name} | {phase['requests']:,} | {fmt_ms(phase['p50'])} | {fmt_ms(phase['p95'])} | "
            f"{phase['p95'] / alone:.2f}x | {phase['5xx']} | {phase['non_200'] - phase['5xx']} | {phase['graphql_errors']} | "
            f"{abuse.get('sent', 0):,} | {abuse.get('refused as expected', 0):,} | {abuse.get('429', 0):,} | "
            f"{abuse.get('5xx', 0)} | {other} | {fmt_ms(phase['health_p95'])} | {fmt_ms(phase['health_max'])} | "
            f"{phase['server_cpu']:.0%} |"
        )
    worst = max(phase["p95"] / alone for phase in phases.values())
    no_5xx = all(phase["5xx"] == 0 and phase.get("abuse", {}).get("5xx", 0) == 0 for phase in phases.values())
    lines += [
        "",
        "Server CPU: the CPU time of `c360 serve` and its worker processes over the phase's wall "
        "time (100% is one core; each worker serves from one event loop, SQLite reads in worker "
        "threads). The machine's two "
        f"cores also run the clients, the abusers and other work: its load average was {load[0]} "
        f"when the run began and {load[1]} when it ended.",
        "",
        f"Goal: no 5xx ({'met' if no_5xx else 'NOT met'}); ordinary p95 with abuse within 2x of alone "
        f"({'met' if worst <= 2 else 'NOT met'}: at most {worst:.2f}x).",
    ]
    unexpected = sorted({key for phase in phases.values() for key in phase.get("abuse", {}) if key.startswith("unexpected")})
    if unexpected:
        lines.append("Answers the corpus did not expect: " + "; ".join(unexpected) + ".")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--abusers", type=int, default=4, help="abuse requests in flight at once")
    parser.add_argument("--abuse-rate", type=float, default=40.0, help="abuse requests per second in phase 2")
    parser.add_argument("--flood-rate", type=float, default=200.0,
                        help="abuse requests per second in phase 3, from one principal (0: as fast as it goes)")
    parser.add_argument("--seconds", type=float, default=24.0, help="length of each phase, over all rounds")
    parser.add_argument("--rounds", type=int, default=8, help="the phases run interleaved, this many times each")
    parser.add_argument("--think", type=float, default=0.5, help="average pause between a client's requests (s)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave docs/security.md alone")
    args = parser.parse_args()

    settings = prepared_sqlite(args.persons, args.seed)
    folder = bank_folder(args.persons, args.seed)
    persons = ids(folder, "aml_data_persons.csv", "person_id")
    accounts = ids(folder, "aml_data_accounts.csv", "account_id")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(__file__).resolve().parent / ".data" / "abuse_load_serve.log"
    with service_state():  # the audit record and other files of the server: a temporary folder
        server = serve(str(settings.graph), port, log)
        started = date.today().isoformat()
        load_at_start = load_average()
        plan: dict[str, tuple[float, bool] | None] = {
            "alone": None,
            f"abuse at {args.abuse_rate:g}/s, fresh addresses": (args.abuse_rate, True),
            f"abuse at {args.flood_rate:g}/s, one address": (args.flood_rate, False),
        }
        args.slice = args.seconds / args.rounds
        samples = {name: PhaseSamples() for name in plan}
        try:
            run_slice(base, argparse.Namespace(**{**vars(args), "slice": 3.0}), persons, accounts, None, server.pid,
                      PhaseSamples())  # warm up
            for _round in range(args.rounds):  # interleaved, so that other load on the machine falls on every phase
                for name, abuse in plan.items():
                    run_slice(base, args, persons, accounts, abuse, server.pid, samples[name])
            phases = {name: phase.summary() for name, phase in samples.items()}
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    text = table(phases, args, started, (load_at_start, load_average()))
    print(text)
    if not args.no_write:
        write_block("security.md", "abuse-load", text)


if __name__ == "__main__":
    main()

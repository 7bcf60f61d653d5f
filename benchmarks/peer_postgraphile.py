"""Benchmark against the peer (issue 11): this service vs PostGraphile 4 on PostgreSQL 15.

The tool a bank would otherwise pick is PostGraphile over PostgreSQL, so that is the yardstick.
One command sets everything up on the same generated bank, checks that both systems return the
same rows, measures, and writes the table into docs/benchmarks.md (between the
``peer-benchmark`` markers; figures are never typed by hand):

    .venv/bin/python benchmarks/peer_postgraphile.py --persons 10000

1. the bank (``c360 generate``'s code, cached in benchmarks/.data) is loaded with ``c360 load``
   into a fresh SQLite store in a temporary folder;
2. a private PostgreSQL 15 cluster (Debian package; installed with apt-get if missing) runs as
   the ``postgres`` user in another temporary folder, on 127.0.0.1 and a free port; the same
   CSV files go in through ``COPY ... FROM STDIN`` (psql reads the file; no data value is ever
   pasted into SQL text);
3. PostGraphile 4 (pinned in benchmarks/peer/package-lock.json, ``npm ci``) serves it, one Node
   process;
4. this service runs as ``c360 serve`` on the general path (one process) and on the compiled
   path (``--workers 1`` and ``--workers 2``), rate limit off; beside them, the code issue 11
   was filed against (``--baseline-commit``, default :data:`FILED_AGAINST`; ``git archive``,
   its own ``c360 load`` of the same bank), whose figures are the issue's "today's";
5. all of them run side by side; per query, each system is measured right after the others
   (sequential p50/p95 over keep-alive HTTP with httpx, then requests per second at 8 clients
   with ``wrk -t2 -c8``), in rounds of alternating order, so that the load of whatever else
   runs on the machine falls on every system alike.

``--janusgraph gremlin://127.0.0.1:8182/g`` adds the service's general vs compiled path on
JanusGraph, after emptying it and loading the generated 1,000-person bank (``--janus-persons``;
0 measures the graph as it is).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from banks import bank_folder
from doc_tables import write_block
from queries import PROFILE as PROFILE_QUERY

from customer360.audit.spool_slots import slot_files

ROOT = Path(__file__).resolve().parents[1]
FILED_AGAINST = "9cc4a24"
"""The commit issue 11 was filed against (the parent of its first commit): its goals' "today's"."""
PEER = ROOT / "benchmarks" / "peer"
WRK_SCRIPT = PEER / "post.lua"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
C360 = ROOT / ".venv" / "bin" / "c360"
POSTGRAPHILE = PEER / "node_modules" / ".bin" / "postgraphile"

# ------------------------------------------------------------------------------- queries

SERVICE_NESTED = """query Nested { customers(first: 100) { edges { node { id name accounts { id balance
  sent(first: 5) { edges { node { id amount to { id owner { id name } } } } } } } } } }"""

# customers(first:) is ordered by last name, first name, id; accounts by id; sent newest first
# (timestamp, then id, both descending): the same order, spelled in PostGraphile's enums.
PEER_NESTED = """query Nested { allPeople(first: 100, orderBy: [LAST_NAME_ASC, FIRST_NAME_ASC, PERSON_ID_ASC]) {
  edges { node { personId name accountsByOwnerPersonIdList(orderBy: ACCOUNT_ID_ASC) { accountId balance
    transactionsByFromAccountId(first: 5, orderBy: [TIMESTAMP_DESC, TRANSACTION_ID_DESC]) { edges { node {
      transactionId amount accountByToAccountId { accountId personByOwnerPersonId { personId name } } } } } } } } } }"""

SERVICE_ONE = """query OneCustomer($id: ID!) { customer(id: $id) { id accounts { id type balance } } }"""

PEER_ONE = """query OneCustomer($id: String!) { personByPersonId(personId: $id) {
  personId accountsByOwnerPersonIdList(orderBy: ACCOUNT_ID_ASC) { accountId accountType balance } } }"""


NESTED, ONE, PROFILE = "nested", "one customer + balances", "customer profile (service only)"

# ------------------------------------------------------------------------ PostgreSQL DDL
# Constants only: the tables mirror the SQLite store's (same keys, foreign keys, and the same
# indexes: name order, an owner's accounts, an account's payments by time).

DDL = """
CREATE TABLE person (person_id text PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
  date_of_birth date NOT NULL, ssn text NOT NULL, email text);
CREATE INDEX person_by_name ON person (last_name, first_name, person_id);
CREATE TABLE account (account_id text PRIMARY KEY, owner_person_id text NOT NULL REFERENCES person,
  account_type text NOT NULL, balance numeric(17,2) NOT NULL, account_status text NOT NULL, opened_date date);
CREATE INDEX account_by_owner ON account (owner_person_id, account_id);
CREATE TABLE address (address_id text PRIMARY KEY, street text NOT NULL, city text NOT NULL,
  state text NOT NULL, zip_code text NOT NULL);
CREATE TABLE person_address (person_id text NOT NULL REFERENCES person, address_id text NOT NULL REFERENCES address,
  PRIMARY KEY (person_id, address_id));
CREATE INDEX person_address_by_address ON person_address (address_id, person_id);
CREATE TABLE phone (phone_id text PRIMARY KEY, phone_number text NOT NULL, phone_type text);
CREATE TABLE person_phone (person_id text NOT NULL REFERENCES person, phone_id text NOT NULL REFERENCES phone,
  PRIMARY KEY (person_id, phone_id));
CREATE INDEX person_phone_by_phone ON person_phone (phone_id, person_id);
CREATE TABLE transaction (transaction_id text PRIMARY KEY, from_account_id text NOT NULL REFERENCES account,
  to_account_id text NOT NULL REFERENCES account, amount numeric(17,2) NOT NULL, "timestamp" timestamptz NOT NULL);
CREATE INDEX transaction_sent ON transaction (from_account_id, "timestamp", transaction_id);
CREATE INDEX transaction_received ON transaction (to_account_id, "timestamp", transaction_id);
-- Person.name as the service spells it; PostGraphile exposes it as the computed field `name`.
CREATE FUNCTION person_name(p person) RETURNS text LANGUAGE sql STABLE AS $$ SELECT p.first_name || ' ' || p.last_name $$;
"""


@dataclass(frozen=True)
class CsvTable:
    """One CSV file: its staging table (columns = the file's header, checked by COPY's HEADER
    MATCH) and the statement that moves the staged rows into the real tables."""

    file: str
    columns: tuple[str, ...]
    move: str


CSV_TABLES = (
    CsvTable("aml_data_persons.csv", ("person_id", "first_name", "last_name", "date_of_birth", "ssn", "email"),
             "INSERT INTO person SELECT person_id, first_name, last_name, date_of_birth::date, ssn, email FROM stage;"),
    CsvTable("aml_data_accounts.csv",
             ("account_id", "owner_person_id", "account_type", "balance", "account_status", "opened_date"),
             "INSERT INTO account SELECT account_id, owner_person_id, account_type, balance::numeric(17,2), "
             "account_status, opened_date::date FROM stage;"),
    CsvTable("aml_data_addresses.csv", ("address_id", "person_id", "street", "city", "state", "zip_code"),
             "INSERT INTO address SELECT DISTINCT ON (address_id) address_id, street, city, state, zip_code "
             "FROM stage ORDER BY address_id; "
             "INSERT INTO person_address SELECT DISTINCT person_id, address_id FROM stage;"),
    CsvTable("aml_data_phones.csv", ("phone_id", "person_id", "phone_number", "phone_type"),
             "INSERT INTO phone SELECT DISTINCT ON (phone_id) phone_id, phone_number, phone_type "
             "FROM stage ORDER BY phone_id; "
             "INSERT INTO person_phone SELECT DISTINCT person_id, phone_id FROM stage;"),
    CsvTable("aml_data_transactions.csv", ("transaction_id", "from_account_id", "to_account_id", "amount", "timestamp"),
             "INSERT INTO transaction SELECT transaction_id, from_account_id, to_account_id, amount::numeric(17,2), "
             "to_timestamp(\"timestamp\"::bigint) FROM stage;"),
)

# ------------------------------------------------------------------------ small helpers


def log(message: str) -> None:
    """Progress on stderr, so a 15-minute run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A port nobody listens on right now (127.0.0.1 only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess:
    """A bounded subprocess that fails loudly with its output."""
    result = subprocess.run(command, timeout=timeout, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


@dataclass
class Process:
    """A server this script started: stopped by its own pid (and its process group, which
    ``start_new_session`` made it lead), never by name."""

    name: str
    popen: subprocess.Popen
    log_file: Path

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGINT)  # uvicorn and Node both shut down cleanly on SIGINT
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def tail(self) -> str:
        return self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""


@contextmanager
def started(name: str, command: list[str], log_file: Path, ready: Callable[[], bool],
            env: dict[str, str] | None = None, cwd: Path | None = None, timeout_s: float = 300) -> Iterator[Process]:
    """Start a server, wait (bounded) until ``ready()`` says it answers, stop it on the way out."""
    with open(log_file, "wb") as handle:
        popen = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                 start_new_session=True)
    process = Process(name, popen, log_file)
    log(f"started {name} (pid {popen.pid})")
    try:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if popen.poll() is not None:
                raise SystemExit(f"{name} exited with {popen.returncode}:\n{process.tail()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} not ready after {timeout_s:.0f}s:\n{process.tail()}")
            time.sleep(0.5)
        yield process
    finally:
        process.stop()
        log(f"stopped {name} (pid {popen.pid})")


def answers(url: str, body: dict | None = None, method: str = "POST") -> bool:
    """True when ``url`` answers 200 (a readiness probe; any connection error is "not yet")."""
    try:
        if method == "GET":
            return httpx.get(url, timeout=5).status_code == 200
        return httpx.post(url, json=body, timeout=5, headers={"Accept": "application/json"}).status_code == 200
    except httpx.HTTPError:
        return False


# --------------------------------------------------------------------- this service's store


@dataclass(frozen=True)
class ServiceCode:
    """Which code of this service runs: the working tree, or a commit's ``customer360/`` taken
    with ``git archive`` into the temporary folder (put first on PYTHONPATH), for measuring
    committed code while the working tree is being edited."""

    source: Path | None = None
    described: str = ""
    workers_flag: bool = True  # ``c360 serve --workers`` came with issue 11; older code serves one process

    @classmethod
    def working_tree(cls) -> ServiceCode:
        head = git("rev-parse", "--short", "HEAD")
        changed = [line for line in git("status", "--porcelain", "--", "customer360").splitlines() if line.strip()]
        suffix = f" plus uncommitted changes to {len(changed)} file(s) under customer360/" if changed else ""
        return cls(None, f"the working tree (commit {head}{suffix})")

    @classmethod
    def at_commit(cls, revision: str, folder: Path, name: str = "service-source") -> ServiceCode:
        commit = git("rev-parse", "--short", revision)
        source = folder / name
        source.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "customer360"], capture_output=True,
                                 timeout=120, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive, timeout=120, check=True)
        workers_flag = '"--workers"' in (source / "customer360" / "cli.py").read_text()
        return cls(source, f"commit {commit} (`git archive`; the working tree's uncommitted changes not included)",
                   workers_flag)

    def environment(self, env: dict[str, str]) -> dict[str, str]:
        if self.source is not None:
            env["PYTHONPATH"] = str(self.source)
        return env


def git(*arguments: str) -> str:
    return run(["git", "-C", str(ROOT), *arguments], timeout=60).stdout.strip()


def source_fingerprint() -> str:
    """The working tree's customer360/*.py as one digest: a run that sees it change mixed versions."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "customer360").rglob("*.py")):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def service_environment(folder: Path, code: ServiceCode, tag: str, execution: str = "compiled") -> dict[str, str]:
    """The service's settings for the benchmark: every file in ``folder``, the per-principal rate
    limit off (it would cap one client at 50 req/s), the audit record on (its default), with a
    sink and spool of its own per configuration (``tag``), so that configurations side by side
    do not share one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_") and k != "PYTHONPATH"}
    env.update({
        "C360_RATE_LIMIT": "0",
        "C360_EXECUTION": execution,
        "C360_AUDIT": f"sqlite:///{folder / f'audit-{tag}.db'}",
        "C360_AUDIT_SPOOL": str(folder / f"spool-{tag}.db"),
        "C360_SEARCH": f"sqlite:///{folder / 'search.db'}",
        "C360_OPERATIONS": str(folder / "operations.db"),
        "C360_API_KEYS": str(folder / "api-keys.db"),
    })
    return code.environment(env)


def check_code(folder: Path, code: ServiceCode) -> None:
    """The processes started with this environment import the intended customer360."""
    found = run([str(ROOT / ".venv" / "bin" / "python"), "-c", "import customer360; print(customer360.__file__)"],
                timeout=60, env=service_environment(folder, code, "check"), cwd=folder).stdout.strip()
    expected = (code.source or ROOT) / "customer360" / "__init__.py"
    if Path(found) != expected:
        raise SystemExit(f"the service would import {found}, not {expected}")


def load_service_store(bank: Path, folder: Path, code: ServiceCode) -> str:
    """``c360 load`` the bank into a fresh SQLite file (which also builds its search index and
    puts the load on the audit record); returns the graph URL."""
    url = f"sqlite:///{folder / 'c360.db'}"
    started_at = time.perf_counter()
    result = run([str(C360), "load", str(bank), "--graph", url, "--quiet"], timeout=900,
                 env=service_environment(folder, code, "load"), cwd=folder)
    log(f"c360 load: {result.stdout.strip()} ({time.perf_counter() - started_at:.1f}s)")
    return url


def audit_events(folder: Path) -> int:
    """Events on the audit records in ``folder``: in the sinks plus still in the spools (the
    drainer deletes from a spool what reached its sink, so nothing is counted twice)."""
    total = sum(spool_events(file) for file in folder.glob("spool-*.db"))
    for file in folder.glob("audit-*.db"):
        with contextlib.closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as db:
            try:
                total += db.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    return total


def spool_events(file: Path) -> int:
    """Events in one spool file: a row is a record of ``size`` events (one, in spools of versions
    before records, which have no such column)."""
    with contextlib.closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as db:
        for counted in ("SELECT SUM(size) FROM events", "SELECT COUNT(*) FROM events"):
            try:
                return db.execute(counted).fetchone()[0] or 0
            except sqlite3.OperationalError:
                continue
    return 0


@contextmanager
def service(graph: str, folder: Path, code: ServiceCode, execution: str, workers: int,
            tag: str | None = None) -> Iterator[str]:
    """``c360 serve`` as a real process on a free port; yields its /graphql URL."""
    port = free_port()
    if not code.workers_flag and workers != 1:
        raise SystemExit(f"{code.described} serves one process only; asked for {workers} workers")
    command = [str(C360), "serve", "--no-demo", "--host", "127.0.0.1", "--port", str(port), "--graph", graph,
               *(["--workers", str(workers)] if code.workers_flag else []), "--log-level", "warning"]
    base = f"http://127.0.0.1:{port}"
    tag = tag or f"{execution}-{workers}"
    with started(f"c360 serve ({tag}: {execution}, {workers} worker{'s' * (workers > 1)})", command,
                 folder / f"serve-{tag}.log", lambda: answers(f"{base}/readyz", method="GET"),
                 env=service_environment(folder, code, tag, execution), cwd=folder):
        yield f"{base}/graphql"


def operations_by_path(graphql_url: str) -> dict[str, int]:
    """``c360_operations_total`` from /metrics (per process: one worker's when there are two)."""
    text = httpx.get(graphql_url.replace("/graphql", "/metrics"), timeout=10).text
    return {m.group(1): int(float(m.group(2))) for m in re.finditer(r'c360_operations_total\{path="(\w+)"\} (\S+)', text)}


# ------------------------------------------------------------------------------ PostgreSQL


def apt_install(package: str) -> None:
    """A Debian package the benchmark needs, installed once (the machine runs Debian bookworm)."""
    log(f"installing {package} (apt-get)")
    run(["apt-get", "install", "-y", package], timeout=900, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def ensure_tools() -> None:
    """PostgreSQL 15 and wrk from Debian if missing; Node and npm must be there already."""
    if not (PG_BIN / "initdb").exists():
        apt_install("postgresql")
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"PostgreSQL 15 is not under {PG_BIN} after apt-get install postgresql")
    if not shutil.which("wrk"):
        apt_install("wrk")
    for tool in ("wrk", "node", "npm", "runuser"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing")


@dataclass
class Cluster:
    """A private PostgreSQL cluster in a temporary folder, owned by the ``postgres`` user
    (PostgreSQL refuses to run as root), on 127.0.0.1 only."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/bank"

    def psql(self, sql: str, stdin: Path | None = None, database: str = "bank", timeout: float = 600) -> str:
        """One psql command (a DDL constant, or COPY ... FROM STDIN with ``stdin`` the CSV file)."""
        command = [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                   "-p", str(self.port), "-U", "postgres", "-d", database, "-At", "-c", sql]
        if stdin is None:
            return run(command, timeout=timeout).stdout
        with open(stdin, "rb") as handle:
            result = subprocess.run(command, stdin=handle, capture_output=True, timeout=timeout, check=False)
        if result.returncode:
            raise SystemExit(f"psql COPY from {stdin} failed:\n{result.stderr.decode(errors='replace')}")
        return result.stdout.decode()


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    """initdb (C collation: text sorts by bytes, as SQLite's does), pg_ctl start, pg_ctl stop."""
    folder = Path(tempfile.mkdtemp(prefix="c360-peer-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    as_postgres = ["runuser", "-u", "postgres", "--"]
    run(as_postgres + [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                       "--locale=C", "--encoding=UTF8"], timeout=300)
    port = free_port()
    run(as_postgres + [str(PG_BIN / "pg_ctl"), "start", "-w", "-t", "120", "-D", str(data),
                       "-l", str(folder / "postgres.log"), "-o", f"-h 127.0.0.1 -p {port} -k {folder}"], timeout=180)
    pid = int((data / "postmaster.pid").read_text().split()[0])
    log(f"PostgreSQL started (pid {pid}, port {port}, {folder})")
    try:
        cluster = Cluster(folder, port)
        cluster.psql("CREATE DATABASE bank", database="postgres")
        yield cluster
    finally:
        stopped = subprocess.run(as_postgres + [str(PG_BIN / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(data)],
                                 capture_output=True, timeout=120, check=False)
        if stopped.returncode:
            os.kill(pid, signal.SIGTERM)
        log(f"PostgreSQL stopped (pid {pid})")
        shutil.rmtree(folder, ignore_errors=True)


def check_header(csv_file: Path, expected: tuple[str, ...]) -> None:
    """The generator's header must be the columns this script stages (COPY checks again)."""
    with open(csv_file, encoding="utf-8") as handle:
        header = tuple(handle.readline().strip().split(","))
    if header != expected:
        raise SystemExit(f"{csv_file.name}: header {header} is not the expected {expected}")


def load_postgres(cluster: Cluster, bank: Path) -> dict[str, int]:
    """Tables, keys and indexes, then each CSV through a text staging table (epoch seconds
    become timestamptz, amounts numeric(17,2)); returns the row counts."""
    cluster.psql(DDL)
    for table in CSV_TABLES:
        path = bank / table.file
        check_header(path, table.columns)
        columns = ", ".join(f'"{c}" text' for c in table.columns)
        cluster.psql(f"DROP TABLE IF EXISTS stage; CREATE UNLOGGED TABLE stage ({columns})")
        cluster.psql("COPY stage FROM STDIN WITH (FORMAT csv, HEADER MATCH)", stdin=path)
        cluster.psql(table.move)
    cluster.psql("DROP TABLE stage")
    cluster.psql("VACUUM ANALYZE")
    counts = {}
    for name in ("person", "account", "address", "person_address", "phone", "person_phone", "transaction"):
        counts[name] = int(cluster.psql(f"SELECT COUNT(*) FROM {name}").strip())  # fixed names only
    return counts


@contextmanager
def postgraphile(cluster: Cluster, folder: Path) -> Iterator[str]:
    """PostGraphile 4, one Node process, no GraphiQL, no query log, no watch; yields its URL."""
    run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600, cwd=PEER)
    port = free_port()
    command = [str(POSTGRAPHILE), "-c", cluster.url, "-s", "public", "--host", "127.0.0.1", "--port", str(port),
               "--disable-graphiql", "--disable-query-log", "--simple-collections", "both",
               "--disable-default-mutations"]
    url = f"http://127.0.0.1:{port}/graphql"
    env = {**os.environ, "NODE_ENV": "production"}
    with started("PostGraphile", command, folder / "postgraphile.log",
                 lambda: answers(url, {"query": "{ __typename }"}), env=env, timeout_s=120):
        yield url


# ------------------------------------------------------------------- same rows from both


def service_nested_rows(body: dict) -> list[dict]:
    """The nested answer in neutral names: persons, accounts, sent payments, receivers."""
    return [{"person": n["id"], "name": n["name"], "accounts": [
        {"account": a["id"], "balance": a["balance"], "sent": [
            {"transaction": t["id"], "amount": t["amount"], "to": t["to"]["id"],
             "owner": t["to"]["owner"]["id"], "owner_name": t["to"]["owner"]["name"]}
            for t in (e["node"] for e in a["sent"]["edges"])]}
        for a in n["accounts"]]}
        for n in (e["node"] for e in body["data"]["customers"]["edges"])]


def peer_nested_rows(body: dict) -> list[dict]:
    return [{"person": n["personId"], "name": n["name"], "accounts": [
        {"account": a["accountId"], "balance": a["balance"], "sent": [
            {"transaction": t["transactionId"], "amount": t["amount"], "to": t["accountByToAccountId"]["accountId"],
             "owner": t["accountByToAccountId"]["personByOwnerPersonId"]["personId"],
             "owner_name": t["accountByToAccountId"]["personByOwnerPersonId"]["name"]}
            for t in (e["node"] for e in a["transactionsByFromAccountId"]["edges"])]}
        for a in n["accountsByOwnerPersonIdList"]]}
        for n in (e["node"] for e in body["data"]["allPeople"]["edges"])]


def service_one_rows(body: dict) -> dict:
    """One customer's accounts; the service's enum names (CREDIT_CARD) are the stored values upper-cased."""
    person = body["data"]["customer"]
    return {"person": person["id"], "accounts": [
        {"account": a["id"], "type": a["type"].lower(), "balance": a["balance"]} for a in person["accounts"]]}


def peer_one_rows(body: dict) -> dict:
    person = body["data"]["personByPersonId"]
    return {"person": person["personId"], "accounts": [
        {"account": a["accountId"], "type": a["accountType"], "balance": a["balance"]}
        for a in person["accountsByOwnerPersonIdList"]]}


def first_difference(left: Any, right: Any, where: str = "$") -> str | None:
    """Where two answers first differ, to fail with something a person can act on."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            found = first_difference(left.get(key), right.get(key), f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        for index, (a, b) in enumerate(zip(left, right)):
            found = first_difference(a, b, f"{where}[{index}]")
            if found:
                return found
        return None if len(left) == len(right) else f"{where}: {len(left)} items vs {len(right)}"
    return None if left == right else f"{where}: {left!r} vs {right!r}"


def count_rows(rows: list[dict]) -> str:
    accounts = [a for p in rows for a in p["accounts"]]
    payments = sum(len(a["sent"]) for a in accounts)
    return f"{len(rows)} customers, {len(accounts)} accounts, {payments} payments with receiver and owner"


# ------------------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Request:
    """One benchmark request: the JSON body, sent byte-for-byte by httpx and by wrk."""

    body: bytes

    @classmethod
    def of(cls, query: str, variables: dict | None = None) -> Request:
        return cls(json.dumps({"query": query, "variables": variables or {}}).encode())


HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def fetch(url: str, request: Request, extra: dict[str, str] | None = None) -> tuple[dict, bytes]:
    """One request whose answer must be a 200 without errors."""
    response = httpx.post(url, content=request.body, headers={**HEADERS, **(extra or {})}, timeout=60)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:2000]}")
    return body, response.content


@dataclass
class Measured:
    p50_ms: float
    p95_ms: float
    requests: int
    rps: float
    wrk_requests: int


def sequential(url: str, request: Request, warmup: int, count: int, budget_s: float) -> list[float]:
    """Latency of one keep-alive client, request after request; bounded by count and time.
    Every answer is checked (status and no ``errors``) outside the timed span."""
    samples: list[float] = []
    deadline = time.monotonic() + budget_s
    with httpx.Client(timeout=60, headers=HEADERS) as client:
        for index in range(warmup + count):
            started_at = time.perf_counter()
            response = client.post(url, content=request.body)
            elapsed = (time.perf_counter() - started_at) * 1000
            if response.status_code != 200 or b'"errors"' in response.content:
                raise SystemExit(f"{url} answered {response.status_code}: {response.text[:2000]}")
            if index >= warmup:
                samples.append(elapsed)
            if time.monotonic() > deadline and len(samples) >= 20:
                break
    return samples


def throughput(url: str, request: Request, folder: Path, args: argparse.Namespace) -> tuple[float, int]:
    """Requests per second at ``--clients`` connections (wrk, keep-alive); any non-2xx reply,
    socket error or timeout fails the run instead of counting as served."""
    body_file = folder / f"body-{abs(hash(request.body))}.json"
    body_file.write_bytes(request.body)
    command = ["wrk", f"-t{args.threads}", f"-c{args.clients}", f"-d{args.duration}s", "--timeout", "10s",
               "-s", str(WRK_SCRIPT), url, "--", str(body_file)]
    output = run(command, timeout=args.duration + 60).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not rate or not total:
        raise SystemExit(f"wrk output not understood:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if bad or errors:
        raise SystemExit(f"wrk against {url}: {bad.group(0) if bad else ''} {errors.group(0) if errors else ''}\n{output}")
    return float(rate.group(1)), int(total.group(1))


@dataclass
class Target:
    """One running system under test: its URL and its spelling of each query it can answer."""

    system: str
    workers: int
    url: str
    requests: dict[str, Request]
    execution: str | None = None  # this service's path; None for PostGraphile
    baseline: bool = False  # the code the issue was filed against: no path counters, no explain path
    audit_tag: str | None = None  # this service's audit spool files: spool-{tag}.db and its other slots

    @property
    def label(self) -> str:
        return f"{self.system}, {self.workers} worker{'s' * (self.workers > 1)}" if self.execution else self.system


@dataclass
class Row:
    query: str
    system: str
    workers: int
    measured: Measured


@dataclass
class Run:
    """Everything the doc reports, gathered as the run goes."""

    rows: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    janus: list[Row] = field(default_factory=list)
    #: Seconds each of this service's configurations took, after a throughput series, to ship
    #: the audit events it had spooled but not yet written to its sink.
    catch_up: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def find(self, query: str, system: str, workers: int) -> Measured | None:
        return next((r.measured for r in self.rows if (r.query, r.system, r.workers) == (query, system, workers)), None)


PEER_NAME = "PostGraphile 4 + PostgreSQL 15"
CONFIGS = (("general", 1), ("compiled", 1), ("compiled", 2))


def peer_target(url: str, customer: str) -> Target:
    return Target(PEER_NAME, 1, url, {NESTED: Request.of(PEER_NESTED), ONE: Request.of(PEER_ONE, {"id": customer})})


def service_target(url: str, execution: str, workers: int, customer: str, system: str | None = None,
                   tag: str | None = None) -> Target:
    one = {"id": customer}
    return Target(system or f"this service, {execution} path", workers, url,
                  {NESTED: Request.of(SERVICE_NESTED), ONE: Request.of(SERVICE_ONE, one),
                   PROFILE: Request.of(PROFILE_QUERY, one)}, execution, baseline=system is not None,
                  audit_tag=tag or f"{execution}-{workers}")


def spooled_events(folder: Path, tag: str) -> int:
    """Events this configuration's processes have spooled and not yet shipped to its sink."""
    return sum(spool_events(file) for file in slot_files(folder / f"spool-{tag}.db"))


def catch_up(folder: Path, tag: str, limit_s: float = 600.0) -> float:
    """Wait until the configuration has shipped its audit backlog; the seconds it took. The next
    system is measured only then, so that this one's background work does not fall on it."""
    started_at = time.perf_counter()
    while spooled_events(folder, tag) and time.perf_counter() - started_at < limit_s:
        time.sleep(0.2)
    return time.perf_counter() - started_at


def baseline_system(code: ServiceCode) -> str:
    return f"this service when issue 11 was filed ({code.described.split(' (')[0]})"


def explain_path(url: str, request: Request) -> str:
    """Which executor answered, as the explain extension says (``?`` if it does not say)."""
    body, _ = fetch(url, request, {"X-C360-Explain": "1"})
    explain = (body.get("extensions") or {}).get("explain") or {}
    for key in ("path", "executionPath", "executor"):
        if key in explain:
            return str(explain[key])
    return "?"


def check_answers(targets: list[Target], customer: str, run_: Run) -> None:
    """Before any timing: every service configuration returns PostGraphile's rows (names
    normalised), and the compiled path's profile is the general path's. Fails loudly."""
    peer, services = targets[0], targets[1:]
    nested = peer_nested_rows(fetch(peer.url, peer.requests[NESTED])[0])
    single = peer_one_rows(fetch(peer.url, peer.requests[ONE])[0])
    if len(nested) != 100 or not single["accounts"]:
        raise SystemExit(f"the bank is too small for the benchmark: {count_rows(nested)}, {customer}: {single}")
    profiles: dict[str, bytes] = {}
    for target in services:
        for query, ours, theirs, summary in (
            (NESTED, service_nested_rows, nested, count_rows(nested)),
            (ONE, service_one_rows, single, f"{customer}, {len(single['accounts'])} accounts"),
        ):
            difference = first_difference(ours(fetch(target.url, target.requests[query])[0]), theirs)
            if difference:
                raise SystemExit(f"{query}: {target.label} and PostGraphile disagree at {difference}")
            run_.checks.append(f"{query} — {target.label}: identical to PostGraphile ({summary})")
        profiles[target.label] = fetch(target.url, target.requests[PROFILE])[1]
    reference_label, reference = next(iter(profiles.items()))  # the general path
    reference_label = reference_label.removeprefix("this service, ")
    for label, body in list(profiles.items())[1:]:
        if body == reference:
            verdict = "byte-identical"
        elif json.loads(body) == json.loads(reference):
            verdict = "the same values in different bytes"
        else:
            verdict = f"DIFFERENT at {first_difference(json.loads(body), json.loads(reference))}"
        run_.checks.append(f"{PROFILE.split(' (')[0]} — {label}: {verdict} to the {reference_label}'s answer")


def measure_all(targets: list[Target], folder: Path, args: argparse.Namespace, run_: Run) -> None:
    """All systems run side by side (idle while another is measured); per query, each is measured
    right after the others, in rounds of alternating order, so that the machine's other load
    (it is shared) falls on all of them alike. Latency samples are pooled over the rounds,
    throughput is the median of the rounds."""
    latencies: dict[tuple[str, int], list[float]] = {}
    rates: dict[tuple[str, int], list[float]] = {}
    for round_ in range(args.rounds):
        for query in (NESTED, ONE, PROFILE):
            order = [i for i, t in enumerate(targets) if query in t.requests]
            for index in (reversed(order) if round_ % 2 else order):
                target = targets[index]
                samples = sequential(target.url, target.requests[query], args.warmup, args.requests, args.budget)
                rate, _ = throughput(target.url, target.requests[query], folder, args)
                latencies.setdefault((query, index), []).extend(samples)
                rates.setdefault((query, index), []).append(rate)
                waited = ""
                if target.audit_tag is not None:
                    seconds = catch_up(folder, target.audit_tag)
                    run_.catch_up.setdefault((query, target.label), []).append(seconds)
                    waited = f"; its audit backlog shipped {seconds:.1f} s after the series"
                log(f"round {round_ + 1}/{args.rounds} {query} / {target.label}: p50 {statistics.median(samples):.1f} ms, "
                    f"p95 {percentile(samples, 0.95):.1f} ms ({len(samples)}), {rate:.1f} req/s{waited}")
    for query in (NESTED, ONE, PROFILE):
        for index, target in enumerate(targets):
            if (query, index) in latencies:
                pooled = latencies[(query, index)]
                run_.rows.append(Row(query, target.system, target.workers, Measured(
                    statistics.median(pooled), percentile(pooled, 0.95), len(pooled),
                    statistics.median(rates[(query, index)]), 0)))


def which_paths(targets: list[Target], before: dict[str, dict[str, int]], run_: Run) -> None:
    """What explain says answered each query, and what /metrics counted over the run."""
    for target in targets:
        if target.execution is None or target.baseline:
            continue
        told = "; ".join(f"{query} → {explain_path(target.url, request)}" for query, request in target.requests.items())
        after = operations_by_path(target.url)
        counted = ", ".join(f"{p}: {after.get(p, 0) - before[target.label].get(p, 0):,}" for p in sorted(after))
        run_.paths.append(f"{target.label}: explain says {told}; /metrics counted {counted}"
                          + (" (one worker's counters)" if target.workers > 1 else ""))


def load_janusgraph(url_text: str, persons: int, seed: int) -> str:
    """Empty the graph at ``url_text`` and load the generated ``persons`` bank into it (the
    issue measures the JanusGraph path on a 1,000-customer graph, whatever the tests left there)."""
    from customer360.config import GraphUrl
    from customer360.graphstore.backends import open_store
    from customer360.ingest.load import load_bank

    folder = bank_folder(persons, seed)
    store = open_store(GraphUrl.parse(url_text))
    started = time.perf_counter()
    try:
        store.drop_all_data()
        store.init_schema()
        report = load_bank(folder, store, progress=False)
    finally:
        store.close()
    return (f"loaded by this run: `c360 generate --persons {persons} --seed {seed}`, {report.written:,} rows "
            f"in {time.perf_counter() - started:.0f} s")


def benchmark_janusgraph(url_text: str, folder: Path, code: ServiceCode, args: argparse.Namespace, run_: Run,
                         baseline: tuple[ServiceCode, Path] | None = None) -> None:
    """The nested query on JanusGraph: general vs compiled path, one process, sequential only
    (JanusGraph shares the two cores). With ``--janus-persons`` the graph is emptied and that
    bank loaded first; otherwise it is measured as the test suite left it."""
    request = Request.of(SERVICE_NESTED)
    answers_by_path: dict[str, bytes] = {}
    origin = "what the test suite loaded; not reloaded"
    if args.janus_persons:
        log(f"loading {args.janus_persons:,} persons into JanusGraph ...")
        origin = load_janusgraph(url_text, args.janus_persons, args.seed)
    systems = [("general", "this service, general path", code, folder),
               ("compiled", "this service, compiled path", code, folder)]
    if baseline is not None:
        base_code, base_folder = baseline
        systems.append(("general", baseline_system(base_code), base_code, base_folder))
    samples: dict[str, list[float]] = {}
    try:
        with ExitStack() as running:
            urls = {}
            for execution, system, system_code, system_folder in systems:
                tag = f"janusgraph-{execution}" if system_code is code else "janusgraph-baseline"
                urls[system] = url = running.enter_context(service(url_text, system_folder, system_code, execution, 1,
                                                                   tag=tag))
                _, answers_by_path[system] = fetch(url, request)
            counted, _ = fetch(urls[systems[0][1]], Request.of("{ portfolio { customers accounts transactions } }"))
            totals = counted["data"]["portfolio"]
            run_.notes.append(f"JanusGraph at {url_text} holds {totals['customers']:,} persons, "
                              f"{totals['accounts']:,} accounts, {totals['transactions']:,} transactions ({origin})")
            per_round = max(1, args.janus_requests // 2)
            for round_ in range(2):  # alternating order, samples pooled, as for the SQLite figures
                for _, system, _, _ in (reversed(systems) if round_ else systems):
                    samples.setdefault(system, []).extend(
                        sequential(urls[system], request, max(3, args.warmup // 4), per_round, args.budget))
        for _, system, _, _ in systems:
            pooled = samples[system]
            measured = Measured(statistics.median(pooled), percentile(pooled, 0.95), len(pooled), 0.0, 0)
            log(f"JanusGraph {system}: p50 {measured.p50_ms:.1f} ms, p95 {measured.p95_ms:.1f} ms")
            run_.janus.append(Row(NESTED, system, 1, measured))
    except SystemExit as error:  # the graph is shared: report what went wrong, keep the SQLite figures
        run_.notes.append(f"JanusGraph measurement stopped: {str(error)[:300]}")
        return
    general, compiled = answers_by_path["this service, general path"], answers_by_path["this service, compiled path"]
    same = "byte-identical" if general == compiled else (
        "the same values, different bytes" if json.loads(general) == json.loads(compiled) else
        f"DIFFERENT at {first_difference(json.loads(compiled), json.loads(general))}")
    run_.notes.append(f"the compiled path's answer is {same} to the general path's "
                      f"({count_rows(service_nested_rows(json.loads(general)))})")
    for system, answer in answers_by_path.items():
        if system.startswith("this service when issue"):
            difference = first_difference(service_nested_rows(json.loads(answer)), service_nested_rows(json.loads(general)))
            run_.notes.append(f"{system} returns the general path's rows" if difference is None else
                              f"{system} returns DIFFERENT rows, at {difference}")


# ------------------------------------------------------------------------------ the report


def number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def ratios(measured: Measured, peer: Measured | None, is_peer: bool) -> str:
    if is_peer:
        return "1 (reference)"
    if peer is None:
        return "—"
    return f"p50 {measured.p50_ms / peer.p50_ms:.2f}× · req/s {measured.rps / peer.rps:.2f}×"


def table(run_: Run) -> list[str]:
    lines = [("| query | system / path | workers | p50 ms | p95 ms | req/s at 8 clients "
              "| ratio vs PostGraphile (p50: ours / theirs · req/s: ours / theirs) |"),
             "|---|---|---:|---:|---:|---:|---|"]
    for row in run_.rows:
        peer = run_.find(row.query, PEER_NAME, 1)
        m = row.measured
        lines.append(f"| {row.query} | {row.system} | {row.workers} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | "
                     f"{number(m.rps)} | {ratios(m, peer, row.system == PEER_NAME)} |")
    return lines


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def goals(run_: Run) -> list[str]:
    """Issue 11's goals, judged from this run's figures."""
    peer_nested, peer_one = run_.find(NESTED, PEER_NAME, 1), run_.find(ONE, PEER_NAME, 1)
    c1, c2 = run_.find(NESTED, "this service, compiled path", 1), run_.find(NESTED, "this service, compiled path", 2)
    one1, one2 = run_.find(ONE, "this service, compiled path", 1), run_.find(ONE, "this service, compiled path", 2)
    g_profile, c_profile = run_.find(PROFILE, "this service, general path", 1), run_.find(PROFILE, "this service, compiled path", 1)
    filed = next((r for r in run_.rows if r.query == PROFILE and r.system.startswith("this service when issue")), None)
    lines = []
    if peer_nested and c1 and c2:
        same = c1.p50_ms <= peer_nested.p50_ms and c1.rps >= peer_nested.rps
        ahead = c2.p50_ms < peer_nested.p50_ms and c2.rps > peer_nested.rps
        lines.append(
            f"- Nested query, p50 and throughput at 8 clients no worse than PostGraphile's, one process each: "
            f"{verdict(same)} (compiled, 1 worker: {c1.p50_ms:.1f} ms vs {peer_nested.p50_ms:.1f} ms, "
            f"{number(c1.rps)} vs {number(peer_nested.rps)} req/s). Then ahead with `--workers 2`: {verdict(ahead)} "
            f"({c2.p50_ms:.1f} ms, {number(c2.rps)} req/s).")
    if peer_one and one1 and one2:
        lines.append(
            f"- One customer with balances, at least half of PostGraphile's throughput: {verdict(one1.rps >= peer_one.rps / 2)} "
            f"with one process ({number(one1.rps)} vs {number(peer_one.rps)} req/s, {one1.rps / peer_one.rps:.2f}×); "
            f"{verdict(one2.rps >= peer_one.rps / 2)} with `--workers 2` ({number(one2.rps)} req/s, {one2.rps / peer_one.rps:.2f}×).")
    if c_profile and filed:
        then = filed.measured
        lines.append(
            f"- Customer profile, p50 at most a third of today's (today's = the code the issue was filed against, "
            f"served beside the others in this run): {verdict(c_profile.p50_ms <= then.p50_ms / 3)} "
            f"({c_profile.p50_ms:.1f} ms vs {then.p50_ms:.1f} ms, {c_profile.p50_ms / then.p50_ms:.2f}×).")
    if g_profile and c_profile:
        lines.append(
            f"- Customer profile, compiled vs this run's general path (which shares every other change): "
            f"{c_profile.p50_ms:.1f} ms vs {g_profile.p50_ms:.1f} ms, {c_profile.p50_ms / g_profile.p50_ms:.2f}×.")
    janus = {row.system: row.measured for row in run_.janus}
    compiled = janus.get("this service, compiled path")
    then = next((m for system, m in janus.items() if system.startswith("this service when issue")), None)
    general = janus.get("this service, general path")
    if compiled and then:
        lines.append(
            f"- JanusGraph nested query, p50 at most half of today's one-traversal-per-level figure (today's = the "
            f"code the issue was filed against, in this run): {verdict(compiled.p50_ms <= then.p50_ms / 2)} "
            f"({compiled.p50_ms:.1f} ms vs {then.p50_ms:.1f} ms, {compiled.p50_ms / then.p50_ms:.2f}×).")
    if compiled and general:
        lines.append(
            f"- JanusGraph nested query, compiled vs this run's general path (one traversal per level too, and "
            f"sharing every other change): {verdict(compiled.p50_ms <= general.p50_ms / 2)} against half of it "
            f"({compiled.p50_ms:.1f} ms vs {general.p50_ms:.1f} ms, {compiled.p50_ms / general.p50_ms:.2f}×).")
    return lines


def versions() -> str:
    postgres = run([str(PG_BIN / "postgres"), "--version"], timeout=30).stdout.strip()
    node = run(["node", "--version"], timeout=30).stdout.strip()
    pg_version = json.loads((PEER / "node_modules" / "postgraphile" / "package.json").read_text())["version"]
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=30, check=False).stdout.split(" [")[0]
    return (f"{postgres}; PostGraphile {pg_version} on Node {node} (`NODE_ENV=production`); "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {wrk.strip()}")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def catch_up_summary(run_: Run) -> str:
    return "; ".join(f"{query} / {label.removeprefix('this service, ')} {statistics.median(seconds):.1f}"
                     for (query, label), seconds in run_.catch_up.items()) or "none measured"


def report(run_: Run, args: argparse.Namespace, meta: dict[str, str]) -> str:
    header = (
        f"`{meta['command']}` — {meta['date']}; bank: {meta['bank']}; machine: {os.cpu_count()} cores "
        f"(nproc), {cpu_model()}; load average (1/5/15 min) {meta['load_start']} at start, "
        f"{meta['load_end']} at the end."
    )
    method = (
        f"{meta['versions']}. All systems run side by side, idle while another is measured; per query each "
        f"is measured right after the others, in {args.rounds} rounds of alternating order. Sequential: "
        f"{args.warmup} warm-up then up to {args.requests} requests per round, one keep-alive client (httpx), "
        f"each answer checked; p50/p95 over the rounds' samples pooled. Throughput: `wrk -t{args.threads} "
        f"-c{args.clients} -d{args.duration}s` per round, median of the rounds; no non-2xx replies or socket "
        "errors allowed. Client, servers and database share the machine. After each throughput series of this "
        "service, the next system waits until the series' audit events have all been shipped from the spool to "
        f"the sink (median seconds after the series ended: {catch_up_summary(run_)}): the drainer works in the "
        "background, and its work must fall neither on the next system nor outside the figures unseen."
    )
    setup = (
        f"Service code: {meta['code']}. {meta['baseline']}"
        "Set-up: this service is `c360 serve --no-demo --workers N --log-level warning` on the SQLite store "
        "`c360 load` wrote, with `C360_RATE_LIMIT=0` (the per-principal rate limit, 50 req/s by default, would "
        "otherwise cap a single client) and `C360_EXECUTION=general` or `compiled`; the audit record stays on "
        f"(its default; an SQLite sink and spool beside the store, one per configuration): {meta['audit']}. PostGraphile 4 is one Node process "
        "(`--simple-collections both --disable-query-log --disable-graphiql --disable-default-mutations`) over "
        "a private PostgreSQL 15 cluster (C collation, default settings) holding the same CSV files, with the "
        "same keys and indexes as the SQLite store (name order, an owner's accounts, an account's payments by "
        "time) and `name` as a computed column."
    )
    lines = [
        header,
        "",
        method,
        "",
        setup,
        "",
        "Same rows, checked before timing (names normalised; amounts compared as the decimal strings returned):",
        "",
        *[f"- {check}" for check in run_.checks],
        "",
        *table(run_),
        "",
        "Goals of issue 11, from these figures:",
        "",
        *goals(run_),
        "",
        "Which path answered:",
        "",
        *[f"- {line}" for line in run_.paths],
    ]
    if run_.janus or run_.notes:
        lines += ["", "JanusGraph (`--janusgraph`), nested query, sequential only, one process:", "",
                  *[f"- {note}" for note in run_.notes], "",
                  "| system / path | p50 ms | p95 ms | requests |", "|---|---:|---:|---:|",
                  *[f"| {r.system} | {r.measured.p50_ms:.1f} | {r.measured.p95_ms:.1f} | {r.measured.requests} |"
                    for r in run_.janus]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--customer", default="P0000993", help="the customer of the single-customer queries")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100, help="sequential requests per series and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all systems, in alternating order")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds a sequential series may take at most")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per series")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--janusgraph", help="also measure the nested query on this loaded graph (gremlin://...)")
    parser.add_argument("--janus-requests", type=int, default=30)
    parser.add_argument("--janus-persons", type=int, default=1000,
                        help="empty JanusGraph and load this many generated persons first (0: measure it as it is)")
    parser.add_argument("--service-commit", metavar="REV",
                        help="run this commit's customer360/ (git archive) instead of the working tree")
    parser.add_argument("--baseline-commit", metavar="REV", default=FILED_AGAINST,
                        help=f"also serve this commit's code, general path, one process, on its own load of the "
                             f"bank (default {FILED_AGAINST}, what issue 11 was filed against; '' for none)")
    parser.add_argument("--no-doc", action="store_true", help="print the report instead of writing docs/benchmarks.md")
    args = parser.parse_args()

    meta = {"command": " ".join(["python benchmarks/peer_postgraphile.py", *sys.argv[1:]]),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "load_start": load_average()}
    fingerprint = source_fingerprint()
    ensure_tools()
    bank = bank_folder(args.persons, args.seed)
    run_ = Run()
    folder = Path(tempfile.mkdtemp(prefix="c360-peer-"))
    try:
        code = ServiceCode.at_commit(args.service_commit, folder) if args.service_commit else ServiceCode.working_tree()
        check_code(folder, code)
        meta["code"] = code.described
        graph = load_service_store(bank, folder, code)
        events_before = audit_events(folder)
        meta["baseline"] = ""
        if args.baseline_commit:
            base_folder = folder / "baseline"
            base_folder.mkdir()
            base_code = ServiceCode.at_commit(args.baseline_commit, folder, "baseline-source")
            check_code(base_folder, base_code)
            base_graph = load_service_store(bank, base_folder, base_code)
            meta["baseline"] = (f"Beside it, the code issue 11 was filed against: {base_code.described}, with its "
                                "own `c360 load` of the same bank, general path (its only one), one process. ")
        with ExitStack() as running:
            cluster = running.enter_context(postgres_cluster())
            counts = load_postgres(cluster, bank)
            log(f"PostgreSQL loaded: {counts}")
            meta["bank"] = (f"`c360 generate --persons {args.persons} --seed {args.seed}` ({counts['person']:,} persons, "
                            f"{counts['account']:,} accounts, {counts['transaction']:,} transactions)")
            targets = [peer_target(running.enter_context(postgraphile(cluster, folder)), args.customer)]
            for execution, workers in CONFIGS:
                url = running.enter_context(service(graph, folder, code, execution, workers))
                targets.append(service_target(url, execution, workers, args.customer))
            if args.baseline_commit:
                url = running.enter_context(service(base_graph, base_folder, base_code, "general", 1, tag="baseline"))
                targets.append(service_target(url, "general", 1, args.customer, baseline_system(base_code),
                                              tag="baseline"))
            check_answers(targets, args.customer, run_)
            before = {t.label: operations_by_path(t.url) for t in targets if t.execution}
            measure_all(targets, folder, args, run_)
            which_paths(targets, before, run_)
        if args.janusgraph:
            benchmark_janusgraph(args.janusgraph, folder, code, args, run_,
                                 (base_code, base_folder) if args.baseline_commit else None)
        events_after = audit_events(folder)
        meta["audit"] = (f"{events_before} event(s) on it after the load, {events_after} after serving "
                         f"{'— reads wrote none' if events_after == events_before else ''}").strip()
        meta["versions"] = versions()
        meta["load_end"] = load_average()
        if code.source is None and source_fingerprint() != fingerprint:
            meta["code"] += (" — **the working tree's customer360/ changed during the run: the figures may mix "
                             "versions**")
        text = report(run_, args, meta)
    except BaseException:
        for server_log in sorted(folder.glob("serve-*.log")):
            text = server_log.read_text(errors="replace")
            if "Traceback" in text:  # a server that broke is usually why a request failed
                log(f"{server_log.name} holds a traceback:\n{text[text.index('Traceback'):][:3000]}")
        log(f"failed; servers' logs kept in {folder}")
        raise
    shutil.rmtree(folder, ignore_errors=True)
    if args.no_doc:
        print(text)
    else:
        write_block("benchmarks.md", "peer-benchmark", text)
        print(text)


if __name__ == "__main__":
    main()

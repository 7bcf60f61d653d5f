"""``c360``: serve the GraphQL API, generate a synthetic bank, load seed CSV files, audit.

Every command reads the same settings (``C360_GRAPH`` and friends, see ``config.py``); a
flag given on the command line wins over the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from customer360.app import create_app
from customer360.auth.api_keys import ApiKeyStore
from customer360.auth.authenticate import is_loopback
from customer360.auth.policy import load_policy
from customer360.config import GraphUrl, SearchUrl, Settings
from customer360.generator import generate_bank
from customer360.graphstore.backends import open_store
from customer360.graphstore.plan import FindPersons
from customer360.graphstore.protocol import GraphStore
from customer360.ingest.load import LoadRejected, load_bank
from customer360.persisted.store import OperationStore
from customer360.serving import default_workers, serve_workers, settle_heap

if TYPE_CHECKING:
    from datetime import datetime

    from customer360.audit.verify import VerifyReport
    from customer360.config import AuditSettings


def _settings(args: argparse.Namespace) -> Settings:
    graph = getattr(args, "graph", None)
    search = getattr(args, "search", None)
    return Settings.from_env().with_overrides(
        graph=GraphUrl.parse(graph) if graph else None,
        search=SearchUrl.parse(search) if search else None,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        max_depth=getattr(args, "max_depth", None),
        max_page_size=getattr(args, "max_page_size", None),
    )


def _is_empty(store: GraphStore) -> bool:
    page = asyncio.run(store.find_persons(FindPersons(first=1)))
    return not page.rows


DEMO_DUPLICATES = 0.01
"""The demo bank has 1% of its customers entered twice (labelled), so possibleDuplicates shows something."""


def _load_demo(store: GraphStore, persons: int) -> None:
    """A fresh machine gets a realistic bank to explore instead of an empty graph."""
    extra = round(persons * DEMO_DUPLICATES)
    print(
        f"c360: the graph is empty; generating a demo bank of {persons:,} customers "
        f"(and {extra:,} of them entered twice, seed 42)", file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="c360-demo-") as folder:
        generate_bank(Path(folder), persons, seed=42, progress=True, duplicates=DEMO_DUPLICATES)
        report = load_bank(Path(folder), store, progress=True)
    print(f"c360: {report}", file=sys.stderr)


# ---------------------------------------------------------------- search (issue 12)


def _open_index(settings: Settings):
    from customer360.search import open_search_index

    return open_search_index(settings.search_url, timeout_s=settings.backend_timeout_s)


def _search_bar(total: int | None, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="person", desc=desc, file=sys.stderr, disable=quiet)


def _index_after_load(store: GraphStore, settings: Settings, data_dir: Path, quiet: bool) -> int:
    """Bring the search index in step with what was just loaded; 0 on success."""
    from customer360.search.indexing import index_after_load, persons_in
    from customer360.search.protocol import SearchUnavailable

    async def run() -> int:
        index = _open_index(settings)
        try:
            with _search_bar(len(persons_in(data_dir)), "search index", quiet) as bar:
                written = await index_after_load(store, index, data_dir, bar.update)
            print(f"c360 load: {written:,} customers indexed in {settings.search_url}")
            return 0
        except SearchUnavailable as error:
            print(
                f"c360 load: the graph load succeeded, but the search index was not updated: {error}; "
                "run `c360 search reindex` once it is back", file=sys.stderr,
            )
            return 1
        finally:
            await index.close()

    return asyncio.run(run())


def _ensure_demo_index(store: GraphStore, settings: Settings) -> None:
    """The embedded index of a graph that has none yet (a fresh demo, or a graph loaded
    before search existed) is built at start, so the quick start searches at once."""
    from customer360.search.indexing import person_count, rebuild_from_store
    from customer360.search.protocol import SearchUnavailable

    if settings.search_url.scheme != "sqlite":
        return

    async def run() -> None:
        index = _open_index(settings)
        try:
            if await index.count() == 0:
                total = await person_count(store)
                if total:
                    print(f"c360: building the search index {settings.search_url}", file=sys.stderr)
                    with _search_bar(total, "search index", False) as bar:
                        await rebuild_from_store(store, index, bar.update)
        except SearchUnavailable as error:
            print(f"c360: search index not built: {error}", file=sys.stderr)
        finally:
            await index.close()

    asyncio.run(run())


def cmd_search_reindex(args: argparse.Namespace) -> int:
    from customer360.search.indexing import person_count, rebuild_from_store
    from customer360.search.protocol import SearchUnavailable

    settings = _settings(args)
    store = open_store(settings.graph, settings)

    async def run() -> int:
        index = _open_index(settings)
        try:
            total = await person_count(store)
            with _search_bar(total, "reindex", args.quiet) as bar:
                written = await rebuild_from_store(store, index, bar.update)
            print(f"c360 search reindex: {written:,} customers indexed in {settings.search_url} (swapped in atomically)")
            return 0
        except SearchUnavailable as error:
            print(f"c360 search reindex: {error}", file=sys.stderr)
            return 1
        finally:
            await index.close()

    try:
        return asyncio.run(run())
    finally:
        store.close()


def cmd_search_query(args: argparse.Namespace) -> int:
    from customer360.search.protocol import SearchRequest, SearchUnavailable

    settings = _settings(args)

    async def run() -> int:
        index = _open_index(settings)
        try:
            request = SearchRequest.parse(args.text, max(100, args.first))
            if request.empty:
                print("c360 search query: give a word of at least 2 letters, a number, a phone or a date", file=sys.stderr)
                return 2
            page = await index.search(request, args.first)
            documents = await index.documents([hit.person_id for hit in page.hits])
        except SearchUnavailable as error:
            print(f"c360 search query: {error}", file=sys.stderr)
            return 1
        finally:
            await index.close()
        for hit in page.hits:
            doc = documents.get(hit.person_id)
            name = doc.name if doc else "?"
            how = ", ".join(f"{m.field.value} {m.kind.value} ({m.query} ~ {m.value})" for m in hit.matched)
            print(f"{hit.score:.3f}  {hit.person_id}  {name}  [{how}]")
        if not page.hits:
            print("no customer matches", file=sys.stderr)
        return 0

    return asyncio.run(run())


# ---------------------------------------------------------------- end of search commands


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.local_identity and not is_loopback(settings.host):
        print(
            f"c360 serve: refusing to listen on {settings.host}: no authentication is configured, so every "
            "request would be the local development identity. Listen on 127.0.0.1, or configure identities "
            "(C360_JWT_JWKS_URL or C360_JWT_KEY_FILE, API keys with C360_AUTH=required): see the README.",
            file=sys.stderr,
        )
        return 2
    store = open_store(settings.graph, settings)
    if settings.graph.scheme == "sqlite" and not args.no_demo and _is_empty(store):
        _load_demo(store, settings.demo_persons)
    _ensure_demo_index(store, settings)  # search (issue 12)
    workers = args.workers or default_workers()
    where = f"http://{settings.host}:{settings.port}/graphql"
    if workers == 1:
        app = create_app(settings, store=store)
        settle_heap()
        print(f"c360: serving {settings.graph} on {where}", file=sys.stderr)
        try:
            uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level)
        finally:
            store.close()
        return 0
    store.close()
    os.environ.update(settings_environment(args))  # each worker builds its app from these
    print(f"c360: serving {settings.graph} on {where} with {workers} worker processes", file=sys.stderr)
    serve_workers(settings.host, settings.port, workers, args.log_level)
    return 0


def settings_environment(args: argparse.Namespace) -> dict[str, str]:
    """The serve flags as the settings' environment variables, for worker processes."""
    flags = {"C360_GRAPH": args.graph, "C360_SEARCH": getattr(args, "search", None), "C360_HOST": args.host,
             "C360_PORT": args.port, "C360_MAX_DEPTH": args.max_depth, "C360_MAX_PAGE_SIZE": args.max_page_size}
    return {name: str(value) for name, value in flags.items() if value is not None}


def cmd_generate(args: argparse.Namespace) -> int:
    try:
        summary = generate_bank(
            Path(args.out), args.persons, args.seed, progress=not args.quiet, duplicates=args.duplicates
        )
    except ValueError as error:
        print(f"c360 generate: {error}", file=sys.stderr)
        return 2
    for path, rows in summary.files.items():
        print(f"{path}: {rows:,} rows")
    print(f"{summary.out_dir / 'duplicates.csv'}: {summary.duplicates:,} labelled duplicates")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    settings = _settings(args)
    audit_settings = _audit_settings()  # a bad C360_AUDIT stops the load before it starts
    audited_files = _audit_files(args)
    store = open_store(settings.graph, settings)
    try:
        store.init_schema()
        report = load_bank(
            Path(args.dir), store, skip_invalid=args.skip_invalid, progress=not args.quiet,
            batch_size=args.batch_size,
        )
    except LoadRejected as error:
        print(f"c360 load: {error}", file=sys.stderr)
        store.close()
        _audit_load(audit_settings, audited_files, rows=0, outcome="refused")
        return 1
    except BaseException:
        store.close()
        raise
    print(f"c360 load: {report} into {settings.graph}")
    for problem in report.skipped:
        print(f"  skipped: {problem}", file=sys.stderr)
    if report.unlisted_problems:
        print(f"  ... and {report.unlisted_problems:,} more problems in skipped rows", file=sys.stderr)
    try:
        indexed = _index_after_load(store, settings, Path(args.dir), args.quiet)
    finally:
        store.close()
    audited = _audit_load(audit_settings, audited_files, rows=report.written,
                          outcome="partial" if report.skipped else "complete")
    return audited or indexed


def cmd_graph_init(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings.graph, settings)
    try:
        store.init_schema()
        print(f"c360 graph init: schema ready in {settings.graph}")
    finally:
        store.close()
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    settings = _settings(args)
    keys = ApiKeyStore(settings.api_keys_path)
    if args.keys_command == "create":
        policy = load_policy(settings.policy_file)
        if args.role not in policy.roles:
            print(f"c360 keys create: unknown role {args.role!r}; the policy has {', '.join(sorted(policy.roles))}",
                  file=sys.stderr)
            return 2
        info, secret = keys.create(args.name, args.role)
        print(f"created API key {info.key_id} for {info.name!r} with role {info.role}; it is shown once, keep it now:")
        print(secret)
        return 0
    if args.keys_command == "revoke":
        if keys.revoke(args.key_id):
            print(f"revoked API key {args.key_id}")
            return 0
        print(f"c360 keys revoke: no active key {args.key_id!r}", file=sys.stderr)
        return 1
    print(f"{'id':<14} {'role':<18} {'created (UTC)':<20} {'revoked (UTC)':<20} name")
    for info in keys.list():
        created = datetime.fromtimestamp(info.created_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
        revoked = (datetime.fromtimestamp(info.revoked_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
                   if info.revoked_at else "-")
        print(f"{info.key_id:<14} {info.role:<18} {created:<20} {revoked:<20} {info.name}")
    return 0


# ------------------------------------------------------------------ audit (issue 9)


def _audit_settings(args: argparse.Namespace | None = None) -> "AuditSettings":
    from customer360.config import AuditSettings, AuditUrl

    audit = getattr(args, "audit", None)
    spool = getattr(args, "spool", None)
    return AuditSettings.from_env().with_overrides(
        url=AuditUrl.parse(audit) if audit else None, spool_path=Path(spool) if spool else None,
    )


def _audit_files(args: argparse.Namespace) -> list:
    """The load's input files with their SHA-256, read before the load reads them."""
    from customer360.audit.load_event import describe_files

    return describe_files(Path(args.dir))


def _audit_load(settings: "AuditSettings", files: list, rows: int, outcome: str) -> int:
    """Record a load (who, which files, how many rows); exit code 3 if it could not be recorded."""
    from customer360.audit.events import Outcome
    from customer360.audit.load_event import record_load
    from customer360.audit.protocol import AuditUnavailable

    try:
        recorded = record_load(settings, files=files, rows=rows, outcome=Outcome(outcome))
    except AuditUnavailable as error:
        print(f"c360 load: the load could not be put on the audit record: {error}", file=sys.stderr)
        return 3
    where = settings.url if recorded.shipped else f"the spool {settings.spool_path} (the sink is not answering)"
    print(f"c360 load: audit event {recorded.sealed.event.event_id} recorded in {where}", file=sys.stderr)
    return 1 if outcome == "refused" else 0


def _when(text: str) -> "datetime":
    """``2025-06-01`` or an ISO date-time; without a timezone, UTC."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (2025-06-01) or date-time (2025-06-01T09:30:00Z)")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from customer360.audit import open_audit_sink
    from customer360.audit.protocol import AuditUnavailable
    from customer360.audit.verify import verify

    settings = _audit_settings(args)

    async def run() -> "VerifyReport":
        sink = open_audit_sink(settings.url, settings)
        try:
            return await verify(sink, writers=args.writer or None, ttl_s=settings.ttl_s)
        finally:
            await sink.close()

    try:
        report = asyncio.run(run())
    except AuditUnavailable as error:
        print(f"c360 audit verify: could not read the record: {error}", file=sys.stderr)
        return 2
    if report.ok:
        tail = f"; {report.unchecked_tail:,} events after the last checkpoints rest on chain links only" \
            if report.unchecked_tail else ""
        expired = f"; {report.expired:,} rows expired by TTL" if report.expired else ""
        print(f"c360 audit verify: {settings.url} is intact: {report.summary()}{tail}{expired}")
        return 0
    first = report.first
    broken = report.by_writer()
    print(f"c360 audit verify: {settings.url} was TAMPERED WITH: {len(report.findings)} finding(s) in "
          f"{len(broken)} broken chain(s) ({report.summary()})")
    print(f"first bad event: {first}")
    for writer, findings in broken.items():
        print(f"chain of writer {writer}: first bad at seq {findings[0].seq}")
        for finding in findings[: args.max_findings]:
            print(f"  {finding}")
        if len(findings) > args.max_findings:
            print(f"  ... and {len(findings) - args.max_findings} more")
    return 1


def cmd_audit_export(args: argparse.Namespace) -> int:
    from customer360.audit import open_audit_sink
    from customer360.audit.export import export_customer
    from customer360.audit.protocol import AuditUnavailable

    settings = _audit_settings(args)

    async def run(out) -> int:
        sink = open_audit_sink(settings.url, settings)
        try:
            return await export_customer(sink, args.customer, out, fmt=args.format, since=args.since,
                                         until=args.until, progress=not args.quiet)
        finally:
            await sink.close()

    try:
        if args.out:
            target = Path(args.out)
            with target.open("w", encoding="utf-8", newline="") as out:
                os.chmod(target, 0o600)  # the export is personal data about the customer
                count = asyncio.run(run(out))
        else:
            count = asyncio.run(run(sys.stdout))
    except AuditUnavailable as error:
        print(f"c360 audit export: could not read the record: {error}", file=sys.stderr)
        return 2
    print(f"c360 audit export: {count:,} events about {args.customer} written to {args.out or 'stdout'}",
          file=sys.stderr)
    return 0


def cmd_audit_drain(args: argparse.Namespace) -> int:
    from customer360.audit.pipeline import AuditPipeline

    settings = _audit_settings(args)
    pipeline = AuditPipeline.open(settings)

    async def run() -> dict[Path, int]:
        try:
            await pipeline.flush(args.timeout)
            left = {pipeline.spool.path: pipeline.spool.depth}
            left.update(await pipeline.ship_other_slots(held_too=True, timeout_s=args.timeout))
            return left
        finally:
            await pipeline.aclose(flush_timeout_s=0)

    left = asyncio.run(run())
    if not any(left.values()):
        files = ", ".join(str(path) for path in left)
        print(f"c360 audit drain: the spool ({files}) is empty; everything is in {settings.url}")
        return 0
    for path, depth in left.items():
        if depth:
            held = "could not be opened" if depth < 0 else f"{depth:,} events still spooled"
            print(f"c360 audit drain: {path}: {held}: {pipeline.drainer.last_error or 'time ran out'}",
                  file=sys.stderr)
    return 1


def _add_audit_commands(commands: "argparse._SubParsersAction") -> None:
    audit_help = "the audit record: sqlite:///path/audit.db or cassandra://host:9042/keyspace (default: $C360_AUDIT or sqlite:///data/audit.db)"
    audit = commands.add_parser("audit", help="verify or export the audit record of who read whose data")
    actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")

    check = actions.add_parser("verify", help="recompute hash chains and checkpoints; exit 1 naming the first tampered event")
    check.add_argument("--audit", help=audit_help)
    check.add_argument("--writer", action="append", help="check only this writer id (repeatable)")
    check.add_argument("--max-findings", type=int, default=50, help="findings listed per broken chain (default 50)")
    check.set_defaults(run=cmd_audit_verify)

    export = actions.add_parser("export", help="every event about one customer (data-subject access request)")
    export.add_argument("--customer", required=True, help="the customer id, e.g. P0000001")
    export.add_argument("--since", type=_when, help="from this UTC date or date-time (inclusive)")
    export.add_argument("--until", type=_when, help="up to this UTC date or date-time (exclusive)")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl", help="jsonl (default) or csv")
    export.add_argument("--out", help="write to this file (mode 0600) instead of stdout")
    export.add_argument("--audit", help=audit_help)
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    export.set_defaults(run=cmd_audit_export)

    drain = actions.add_parser("drain", help="ship the local spool files (one per worker process) to the sink now "
                                             "(e.g. after a crash)")
    drain.add_argument("--audit", help=audit_help)
    drain.add_argument("--spool", help="the spool file of slot 0; the other slots' files beside it (audit-spool.1.db, "
                                       "...) go too (default: $C360_AUDIT_SPOOL or data/audit-spool.db)")
    drain.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds (default 60)")
    drain.set_defaults(run=cmd_audit_drain)



# ---------------------------------------------------------------- persisted operations (issue 10, item 3)


def _operation_store(args: argparse.Namespace) -> OperationStore:
    from dataclasses import replace

    from customer360.config import OperationSettings

    settings = _settings(args)
    operations = OperationSettings.from_env()
    if getattr(args, "operations", None):
        operations = replace(operations, path=Path(args.operations))
    return OperationStore(operations.store_path(settings), max_learnt_bytes=operations.apq_max_bytes)


def cmd_operations_register(args: argparse.Namespace) -> int:
    from customer360.persisted.manifests import ManifestError
    from customer360.persisted.register import register_documents
    from customer360.persisted.store import OperationConflict
    from customer360.schema import build_schema

    store = _operation_store(args)
    schema = None if args.no_validate else build_schema(_settings(args))._schema
    try:
        documents, report = register_documents(store, [Path(f) for f in args.files],
                                               graphiql_examples=args.graphiql_examples, schema=schema)
    except (ManifestError, OperationConflict) as error:
        print(f"c360 operations register: nothing registered:\n{error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    status = {**{i: "added" for i in report.added}, **{i: "promoted from APQ" for i in report.promoted},
              **{i: "already registered" for i in report.unchanged}}
    plans: dict[str, list] = {}
    if schema is not None:  # which path will answer each operation (what the service plans at start)
        from customer360.execution.ahead import compile_ahead

        for plan in compile_ahead(schema, _settings(args).limits, [(d.id, d.body) for d in documents]):
            plans.setdefault(plan.document_id, []).append(plan)
    for document in documents:
        planned = plans.get(document.id, [])
        paths = "; ".join(plan.describe() if len(planned) == 1 else f"{plan.operation}: {plan.describe()}"
                          for plan in planned)
        print(f"{document.id}  {document.name or '(anonymous)'}  [{status[document.id]}]  {document.source}"
              + (f"  -> {paths}" if paths else ""))
    print(f"c360 operations register: {len(report.added)} added, {len(report.promoted)} promoted, "
          f"{len(report.unchanged)} already registered, in {store.path}", file=sys.stderr)
    if plans:
        every = [plan for planned in plans.values() for plan in planned]
        compiled = sum(plan.reason is None for plan in every)
        print(f"c360 operations register: {compiled} of {len(every)} operation(s) run on the compiled path; "
              "the others on the general one, for the reason given", file=sys.stderr)
    return 0


def cmd_operations_list(args: argparse.Namespace) -> int:
    store = _operation_store(args)
    try:
        operations = store.list()
    finally:
        store.close()
    if not args.all:
        operations = [operation for operation in operations if operation.registered]
    print(f"{'id':<64}  {'kind':<10}  {'type':<8}  {'bytes':>7}  {'last used (UTC)':<16}  name")
    for operation in operations:
        used = datetime.fromtimestamp(operation.used_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
        kind = "registered" if operation.registered else "apq"
        print(f"{operation.id:<64}  {kind:<10}  {operation.operation_type:<8}  {operation.bytes:>7}  {used:<16}  "
              f"{operation.name or '(anonymous)'}")
    print(f"c360 operations list: {len(operations)} operation(s) in {store.path}", file=sys.stderr)
    return 0


def _add_operations_commands(commands: "argparse._SubParsersAction", graph_help: str) -> None:
    operations_help = "the persisted-operation store (default: $C360_OPERATIONS or operations.db beside the graph)"
    operations = commands.add_parser("operations", help="persisted operations: register trusted documents, list them")
    actions = operations.add_subparsers(dest="operations_command", required=True, metavar="ACTION")
    register = actions.add_parser(
        "register", help="register the operations of .graphql files, Relay persisted-queries.json or Apollo manifests"
    )
    register.add_argument("files", nargs="*", metavar="FILE", help=".graphql / .gql files, or JSON manifests")
    register.add_argument("--graphiql-examples", action="store_true",
                          help="also register GraphiQL's example tabs (as GraphiQL sends them)")
    register.add_argument("--no-validate", action="store_true", help="do not check the documents against the schema")
    register.add_argument("--operations", help=operations_help)
    register.add_argument("--graph", help=graph_help)
    register.set_defaults(run=cmd_operations_register)
    listing = actions.add_parser("list", help="list registered operations (--all: with those APQ learnt)")
    listing.add_argument("--all", action="store_true", help="include the documents APQ learnt")
    listing.add_argument("--operations", help=operations_help)
    listing.add_argument("--graph", help=graph_help)
    listing.set_defaults(run=cmd_operations_list)


# ---------------------------------------------------------------- end of persisted operations


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c360", description="Customer 360 graph service.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    graph_help = "the graph store: sqlite:///path/file.db or gremlin://host:port/g (default: $C360_GRAPH or sqlite:///data/customer360.db)"
    search_help = (
        "the search index: sqlite:///path/search.db or opensearch://host:port/alias "
        "(default: $C360_SEARCH or search.db next to the SQLite graph file)"
    )

    serve = commands.add_parser("serve", help="serve /graphql (GraphiQL), /healthz and /readyz")
    serve.add_argument("--graph", help=graph_help)
    serve.add_argument("--search", help=search_help)
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1, $C360_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8000, $C360_PORT)")
    serve.add_argument("--max-depth", type=int, help="deepest query accepted (default 12, $C360_MAX_DEPTH)")
    serve.add_argument("--max-page-size", type=int, help="largest `first` accepted (default 500, $C360_MAX_PAGE_SIZE)")
    serve.add_argument("--no-demo", action="store_true", help="do not create demo data when the graph is empty")
    serve.add_argument("--workers", type=int, help="worker processes sharing the port (default: the machine's cores)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(run=cmd_serve)

    generate = commands.add_parser("generate", help="write a synthetic bank as the five seed CSV files")
    generate.add_argument("--persons", type=int, default=1000, help="how many customers (default 1000)")
    generate.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same files")
    generate.add_argument("--out", required=True, help="folder to write the CSV files into")
    generate.add_argument(
        "--duplicates", type=float, default=0.01,
        help="add this ratio of labelled duplicate customers, listed in duplicates.csv (default 0.01; 0 for none)",
    )
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.set_defaults(run=cmd_generate)

    load = commands.add_parser("load", help="load the seed CSV files in DIR into the graph store")
    load.add_argument("dir", help="folder with aml_data_persons.csv, aml_data_accounts.csv, ...")
    load.add_argument("--graph", help=graph_help)
    load.add_argument("--search", help=search_help + "; the loaded customers are indexed there")
    load.add_argument("--skip-invalid", action="store_true", help="load the valid rows and report every invalid one")
    load.add_argument("--batch-size", type=int, default=5000, help="rows per write batch (default 5000)")
    load.add_argument("--quiet", action="store_true", help="no progress bars")
    load.set_defaults(run=cmd_load)

    keys = commands.add_parser("keys", help="API keys for integration services (stored hashed)")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = keys_commands.add_parser("create", help="create a key with a role; the key is printed once")
    create.add_argument("--name", required=True, help="who or what uses the key, e.g. onboarding-service")
    create.add_argument("--role", required=True, help="a role of the policy, e.g. integration")
    keys_commands.add_parser("list", help="list keys (never their secrets)")
    revoke = keys_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", help="the id `c360 keys list` shows")
    keys.set_defaults(run=cmd_keys)

    graph = commands.add_parser("graph", help="graph store administration")
    graph_commands = graph.add_subparsers(dest="graph_command", required=True, metavar="ACTION")
    init = graph_commands.add_parser("init", help="create the store's schema (JanusGraph: labels, keys, unique indexes)")
    init.add_argument("--graph", help=graph_help)
    init.set_defaults(run=cmd_graph_init)

    _add_audit_commands(commands)
    _add_operations_commands(commands, graph_help)  # persisted operations (issue 10, item 3)

    search = commands.add_parser("search", help="search index administration and queries")
    search_commands = search.add_subparsers(dest="search_command", required=True, metavar="ACTION")
    reindex = search_commands.add_parser(
        "reindex", help="rebuild the search index from the graph, then swap it in atomically (no downtime)"
    )
    reindex.add_argument("--graph", help=graph_help)
    reindex.add_argument("--search", help=search_help)
    reindex.add_argument("--quiet", action="store_true", help="no progress bar")
    reindex.set_defaults(run=cmd_search_reindex)
    query = search_commands.add_parser("query", help="search customers by free text (names, address, phone, birth date)")
    query.add_argument("text", help='e.g. "Bob Smith", "(212) 555-0100", "12 Main St 10001"')
    query.add_argument("--first", type=int, default=10, help="how many hits (default 10)")
    query.add_argument("--search", help=search_help)
    query.add_argument("--graph", help=graph_help + " (only to place the default search index)")
    query.set_defaults(run=cmd_search_query)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:  # bad settings, e.g. an unreadable C360_GRAPH
        print(f"c360 {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

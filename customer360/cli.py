"""``c360``: serve the GraphQL API, generate a synthetic bank, load seed CSV files.

Every command reads the same settings (``C360_GRAPH`` and friends, see ``config.py``); a
flag given on the command line wins over the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from customer360.config import GraphUrl, SearchUrl, Settings
from customer360.graphstore import open_store
from customer360.graphstore.plan import FindPersons
from customer360.graphstore.protocol import GraphStore


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
    from customer360.generator import generate_bank
    from customer360.graphstore.bulk_load import load_bank

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
    import uvicorn

    from customer360.app import create_app

    settings = _settings(args)
    store = open_store(settings.graph, settings)
    if settings.graph.scheme == "sqlite" and not args.no_demo and _is_empty(store):
        _load_demo(store, settings.demo_persons)
    _ensure_demo_index(store, settings)  # search (issue 12)
    app = create_app(settings, store=store)
    print(f"c360: serving {settings.graph} on http://{settings.host}:{settings.port}/graphql", file=sys.stderr)
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level)
    finally:
        store.close()
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from customer360.generator import generate_bank

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
    from customer360.graphstore.bulk_load import LoadRejected, load_bank

    settings = _settings(args)
    store = open_store(settings.graph, settings)
    try:
        if hasattr(store, "init_schema"):
            store.init_schema()
        report = load_bank(
            Path(args.dir), store, skip_invalid=args.skip_invalid, progress=not args.quiet,
            batch_size=args.batch_size,
        )
    except LoadRejected as error:
        print(f"c360 load: {error}", file=sys.stderr)
        store.close()
        return 1
    except BaseException:
        store.close()
        raise
    print(f"c360 load: {report} into {settings.graph}")
    for problem in report.skipped:
        print(f"  skipped: {problem}", file=sys.stderr)
    try:
        return _index_after_load(store, settings, Path(args.dir), args.quiet)  # search (issue 12)
    finally:
        store.close()


def cmd_graph_init(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings.graph, settings)
    try:
        if hasattr(store, "init_schema"):
            store.init_schema()
            print(f"c360 graph init: schema ready in {settings.graph}")
        else:
            print(f"c360 graph init: {settings.graph} creates its schema on open; nothing to do")
    finally:
        store.close()
    return 0


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

    graph = commands.add_parser("graph", help="graph store administration")
    graph_commands = graph.add_subparsers(dest="graph_command", required=True, metavar="ACTION")
    init = graph_commands.add_parser("init", help="create the JanusGraph schema: labels, keys, unique indexes")
    init.add_argument("--graph", help=graph_help)
    init.set_defaults(run=cmd_graph_init)

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

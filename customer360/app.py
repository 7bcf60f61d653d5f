"""The Starlette application: ``/graphql`` (with GraphiQL), ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from customer360.config import Settings
from customer360.graphstore import open_store
from customer360.backend_calls import TOTALS
from customer360.graphstore.insight_cache import ensure_insights_current
from customer360.graphstore.protocol import GraphStore, StoreUnavailable
from customer360.resolvers.context import RequestContext
from customer360.schema import build_schema
from customer360.search import open_search_index
from customer360.search.protocol import SearchIndex

EXPLAIN_HEADER = "x-c360-explain"
log = logging.getLogger("customer360")

EXAMPLE_QUERY = """# Customer 360: customers, their segment, risk and recommendations (each with the
# rule that fired and its figures), their accounts, each account's latest payments and
# who received them. The X-C360-Explain header (see Headers below) makes the response
# list every backend call in extensions.explain: one per selection level.
query CustomerScreen {
  customers(first: 5, orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id name ssn dateOfBirth
        segment { tier reasons { rule detail } }
        risk { score level reasons { rule detail } }
        recommendations { product reason { rule detail } }
        relatedCustomers(first: 3) { person { name } via evidence }
        addresses { street city state zipCode }
        phones { number type }
        accounts {
          id type balance status
          sent(first: 3) {
            edges { node { id amount timestamp to { id owner { name } } } }
          }
        }
      }
    }
  }
}
"""


class Customer360GraphQL(GraphQL):
    """Strawberry's ASGI view with our per-request context and a preloaded GraphiQL."""

    def __init__(self, store: GraphStore, settings: Settings, search: SearchIndex | None = None) -> None:
        super().__init__(build_schema(settings), graphql_ide="graphiql")
        self.store = store
        self.search = search
        self.settings = settings
        self._ide_html = _preloaded_graphiql(self.graphql_ide_html)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Any:
        explain = request.headers.get(EXPLAIN_HEADER, "").strip().lower() in {"1", "true", "yes"}
        return RequestContext(store=self.store, settings=self.settings, explain=explain, search=self.search)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_html)


def _preloaded_graphiql(html: str) -> str:
    """Strawberry's GraphiQL page with our example query and the explain header filled in."""
    query_js = json.dumps(EXAMPLE_QUERY)
    html = re.sub(r"const EXAMPLE_QUERY = `.*?`;", lambda _: f"const EXAMPLE_QUERY = {query_js};", html, flags=re.S)
    headers_js = json.dumps(json.dumps({"X-C360-Explain": "1"}))
    return html.replace(
        "React.useState(parameters.headers)", f"React.useState(parameters.headers || {headers_js})"
    )


def render_metrics() -> str:
    """Backend calls per backend and operation, in the Prometheus text format."""
    lines = [
        "# HELP c360_backend_calls_total Backend calls made, by backend and plan operation.",
        "# TYPE c360_backend_calls_total counter",
    ]
    series = sorted(TOTALS.items())
    for (backend, operation), totals in series:
        lines.append(f'c360_backend_calls_total{{backend="{backend}",operation="{operation}"}} {totals.calls}')
    for name, help_text, attribute in (
        ("c360_backend_call_errors_total", "Backend calls that raised.", "errors"),
        ("c360_backend_rows_total", "Rows returned by backend calls.", "rows"),
        ("c360_backend_call_seconds_total", "Time spent in backend calls.", "seconds"),
    ):
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        for (backend, operation), totals in series:
            lines.append(f'{name}{{backend="{backend}",operation="{operation}"}} {getattr(totals, attribute)}')
    return "\n".join(lines) + "\n"


def create_app(settings: Settings, store: GraphStore | None = None, search: SearchIndex | None = None) -> Starlette:
    """Build the app; the store is opened here unless a test passes one in."""
    owned = store is None
    search_index = search if search is not None else open_search_index(settings.search_url, timeout_s=settings.backend_timeout_s)
    graph_store = store if store is not None else open_store(settings.graph, settings)
    try:
        ensure_insights_current(graph_store, graph_store.rules)
    except Exception as error:  # the backend may be down at start; /readyz and requests will say so
        log.warning("could not refresh the insight cache at start: %s", error)
    graphql = Customer360GraphQL(graph_store, settings, search_index)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            await graph_store.ping()
        except StoreUnavailable as error:
            return JSONResponse(
                {"status": "unavailable", "graph": {"backend": error.backend, "ok": False, "reason": error.reason}},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "graph": {"backend": graph_store.backend, "ok": True}})

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(render_metrics(), media_type="text/plain; version=0.0.4")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                graph_store.close()
            if search is None:
                await search_index.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.store = graph_store
    app.state.search = search_index
    return app

"""The Starlette application: ``/graphql`` (with GraphiQL), ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import GraphQLSchema
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.http import GraphQLRequestData

from customer360.audit.pipeline import AuditPipeline, render_metric_samples
from customer360.auth.access import PURPOSE_HEADER, RequestAccess
from customer360.auth.api_keys import ApiKeyStore
from customer360.auth.authenticate import AuthenticationMiddleware, Authenticator
from customer360.auth.document_limits import Budget
from customer360.auth.jwt_tokens import JwtVerifier
from customer360.auth.policy import Policy, load_policy
from customer360.auth.principal import LOCAL_DEVELOPER, Principal
from customer360.auth.request_guards import request_guards
from customer360.backend_calls import TOTALS
from customer360.config import AuditSettings, OperationSettings, Settings
from customer360.execution.ahead import compile_ahead
from customer360.execution.executor import TREE
from customer360.execution.extension import COMPILED, GENERAL, PATHS, CompiledExecution
from customer360.execution.lane import LANE, CompiledLane
from customer360.execution.prepared import PreparedOperations
from customer360.graphiql.page import graphiql_response, static_route
from customer360.graphql_http_view import GraphQLOverHTTP, PersistedRequestData
from customer360.graphstore.backends import open_store
from customer360.graphstore.insight_cache import ensure_insights_current
from customer360.graphstore.protocol import GraphStore
from customer360.http_protocol import (
    HTTPRefusal,
    RequestError,
    is_request_error,
    read_get,
    read_post,
)
from customer360.persisted.gate import OperationRefused, PersistedOperations, Resolved
from customer360.persisted.store import OperationStore
from customer360.resolvers.context import RequestContext
from customer360.schema import build_schema
from customer360.schema.errors import OUTAGES
from customer360.search import open_search_index
from customer360.search.protocol import SearchIndex
from customer360.serving import settle_heap

EXPLAIN_HEADER = "x-c360-explain"
REQUEST_ID_HEADER = "x-request-id"
log = logging.getLogger("customer360")


LOCAL_IDENTITY_NOTICE = (
    "No authentication is configured: every request runs as the local development identity "
    f"'{LOCAL_DEVELOPER.name}' (roles {', '.join(LOCAL_DEVELOPER.roles)}), and only loopback clients are served."
)


class Customer360GraphQL(GraphQLOverHTTP):
    """Strawberry's ASGI view (speaking GraphQL over HTTP, ``graphql_http_view``) with our
    per-request context, our offline GraphiQL page and persisted operations.

    The principal comes from :class:`AuthenticationMiddleware`; the access to personal data
    from the policy, the principal's roles and the declared purpose of access."""

    def __init__(self, store: GraphStore, settings: Settings, policy: Policy, search: SearchIndex,
                 operations: PersistedOperations, audit: AuditPipeline) -> None:
        compiled = settings.execution == "compiled"
        prepared = PreparedOperations()
        budget_for = _request_budget(settings)
        super().__init__(
            build_schema(
                settings,
                executors=[lambda: CompiledExecution(enabled=compiled, prepared=prepared)],
                budget_for=budget_for,
            ),
            graphql_ide="graphiql" if settings.feature("graphiql") else None,
            allow_queries_via_get=settings.feature("get_queries"),
        )
        self.store = store
        self.search = search
        self.settings = settings
        self.policy = policy
        self.operations = operations
        self.audit = audit
        self.lane = CompiledLane(
            self.schema._schema, prepared, limits=settings.limits, max_depth=settings.max_depth,
            max_page_size=settings.max_page_size, budget_for=budget_for,
        ) if compiled else None

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Any:
        principal: Principal = request.state.principal
        access = RequestAccess.decide(self.policy, principal, request.headers.get(PURPOSE_HEADER))
        asked = request.headers.get(EXPLAIN_HEADER, "").strip().lower() in {"1", "true", "yes"}
        explain = asked and self.settings.feature("explain") and access.grants.explain
        return RequestContext(
            store=self.store, settings=self.settings, access=access, search=self.search, explain=explain,
            audit=self.audit, request_id=request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex,
            client_address=request.client.host if request.client else None,
        )

    def encode_json(self, data: object) -> bytes:
        """orjson: the response's JSON in a fraction of the standard library's time."""
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_response(request, LOCAL_IDENTITY_NOTICE if self.settings.local_identity else None)

    # -- persisted operations (issue 10, item 3) ------------------------------------------
    async def resolve_document(self, request: Request, context: Any, data: GraphQLRequestData) -> GraphQLRequestData:
        """APQ, ``documentId`` and trusted-documents mode. The local development identity is
        exempt from trusted mode: it exists only in development, with no authentication
        configured, for loopback clients, and it is who GraphiQL's full documents come from."""
        principal = context.access.principal
        if principal.kind == "none":  # the GraphiQL page's anonymous visitor may load the page, not run operations
            raise HTTPRefusal(401, "authentication required: send 'Authorization: Bearer <JWT>' or 'X-API-Key: <key>'")
        try:
            resolved = self.operations.resolve(data.query, data.extensions, getattr(data, "document_id", None),
                                               exempt=principal.is_local_developer)
        except OperationRefused as refusal:
            if refusal.malformed:
                raise HTTPRefusal(400, refusal.message) from None
            raise RequestError(refusal.message, refusal.code) from None
        request.state.persisted = resolved
        data.query = resolved.query
        return data

    async def after_execution(self, request: Request, data: GraphQLRequestData, result: Any) -> None:
        resolved: Resolved | None = getattr(request.state, "persisted", None)
        if resolved is not None and resolved.learn_as and not is_request_error(result):
            self.operations.learn(resolved)  # APQ: only a document that parsed and validated is kept
    # -- end of persisted operations ------------------------------------------------------

    async def answer_prepared(self, request: Request) -> Response | None:
        """A repeat of an operation the compiled path has answered, answered by the lane
        (``execution/lane.py``); None hands the request to Strawberry's pipeline, which then
        reads the body, the context and the persisted document again and says what was wrong."""
        if self.lane is None:
            return None
        if request.method == "GET" and (not self.allow_queries_via_get or self.should_render_graphql_ide(request)):
            return None
        try:
            parameters = read_get(request.query_params) if request.method == "GET" else \
                read_post(request.headers.get("content-type"), await request.body())
            data: GraphQLRequestData = PersistedRequestData(parameters)
            context = await self.get_context(request, None)
            data = await self.resolve_document(request, context, data)
        except (HTTPRefusal, RequestError):
            return None
        if not data.query:
            return None
        result = await self.lane.answer(data.query, data.operation_name, data.variables, context)
        return None if result is None else await self.respond(request, data, result)


def _request_budget(settings: Settings) -> Budget:
    """One request's cost budget: its principal's roles' (``cost_budget``), else ``C360_MAX_COST``."""
    return lambda context: context.access.cost_budget(settings.limits.max_cost)


def render_metrics(audit: AuditPipeline) -> str:
    """Backend calls per backend and operation, operations per executor and the audit spool,
    in the Prometheus text format."""
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
        ("c360_backend_calls_moved_total",
         "SQLite reads begun on the event loop that outran their budget and finished in a worker thread.", "moved"),
    ):
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        for (backend, operation), totals in series:
            lines.append(f'{name}{{backend="{backend}",operation="{operation}"}} {getattr(totals, attribute)}')
    lines += [
        "# HELP c360_operations_total GraphQL operations answered, by the executor that answered them.",
        "# TYPE c360_operations_total counter",
    ]
    for path in (COMPILED, GENERAL):
        lines.append(f'c360_operations_total{{path="{path}"}} {PATHS[path]}')
    lines += [
        "# HELP c360_lane_operations_total Of the compiled path's operations, the repeats answered without "
        "Strawberry's per-request pipeline.",
        "# TYPE c360_lane_operations_total counter",
        f"c360_lane_operations_total {PATHS[LANE]}",
        "# HELP c360_tree_operations_total Of the compiled path's operations, those answered by one query that "
        "built the whole response (a response tree); the rest went level by level.",
        "# TYPE c360_tree_operations_total counter",
        f"c360_tree_operations_total {PATHS[TREE]}",
    ]
    return "\n".join(lines) + "\n" + render_metric_samples(audit.metric_samples())


def _persisted_operations(settings: Settings, operations: OperationSettings) -> PersistedOperations:
    """The persisted-operation store and gate (issue 10, item 3); the file is created on first use."""
    if settings.production and not operations.trusted_documents:
        log.warning("production profile without C360_TRUSTED_DOCUMENTS=on: clients may run any operation; "
                    "register the front-ends' operations (c360 operations register) and turn it on")
    store = OperationStore(operations.store_path(settings), max_learnt_bytes=operations.apq_max_bytes)
    return PersistedOperations(store, trusted_only=operations.trusted_documents,
                               introspection=settings.feature("introspection"))


def _compile_registered_ahead(schema: GraphQLSchema, settings: Settings, store: OperationStore) -> None:
    """Plan the registered documents now rather than on their first request (execution/ahead.py)."""
    try:
        registered = [(operation.id, operation.body) for operation in store.list() if operation.registered]
    except sqlite3.Error as error:
        log.warning("could not read the registered operations to compile them ahead: %s", error)
        return
    if not registered:
        return
    plans = compile_ahead(schema, settings.limits, registered)
    general = [plan for plan in plans if plan.reason is not None]
    log.info("registered operations compiled ahead: %d of %d on the compiled path%s", len(plans) - len(general),
             len(plans), "".join(f"; {plan.operation}: {plan.describe()}" for plan in general))


def create_app(settings: Settings, store: GraphStore | None = None, search: SearchIndex | None = None,
               operations: OperationSettings | None = None, audit: AuditPipeline | None = None) -> Starlette:
    """Build the app; the store, the search index and the audit record (``C360_AUDIT``) are
    opened here unless a test passes them in."""
    policy = load_policy(settings.policy_file)
    authenticator = Authenticator(
        policy, ApiKeyStore(settings.api_keys_path), JwtVerifier(settings.jwt) if settings.jwt else None,
        local_identity=settings.local_identity,
    )
    if settings.local_identity:
        log.warning("%s", LOCAL_IDENTITY_NOTICE)
    owned = store is None
    search_index = search if search is not None else open_search_index(settings.search_url, timeout_s=settings.backend_timeout_s)
    graph_store = store if store is not None else open_store(settings.graph, settings)
    try:
        ensure_insights_current(graph_store, graph_store.rules)
    except Exception as error:  # the backend may be down at start; /readyz and requests will say so
        log.warning("could not refresh the insight cache at start: %s", error)
    persisted = _persisted_operations(settings, operations or OperationSettings.from_env())
    audit_record = audit if audit is not None else AuditPipeline.open(AuditSettings.from_env())
    graphql = Customer360GraphQL(graph_store, settings, policy, search_index, persisted, audit_record)
    if settings.execution == "compiled":
        _compile_registered_ahead(graphql.schema._schema, settings, persisted.store)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """503 only when the graph is down: without it nothing can be served. A search backend
        or audit sink that is down is reported (``degraded``) while the rest keeps serving:
        search fields answer BACKEND_UNAVAILABLE, and audit events wait in the spool."""
        body = {"status": "ready", "graph": await _readiness(graph_store),
                "search": await _readiness(search_index), "audit": await audit_record.readiness()}
        if not body["graph"]["ok"]:
            body["status"] = "unavailable"
            return JSONResponse(body, status_code=503)
        if not (body["search"]["ok"] and body["audit"].get("ok", True)):
            body["status"] = "degraded"
        return JSONResponse(body)

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(render_metrics(audit_record), media_type="text/plain; version=0.0.4")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if audit is None:
            await audit_record.start()
        try:
            yield
        finally:
            if owned:
                graph_store.close()
            if search is None:
                await search_index.close()
            persisted.store.close()
            if audit is None:
                await audit_record.aclose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            static_route(),
        ],
        middleware=[Middleware(AuthenticationMiddleware, authenticator=authenticator), *request_guards(settings.limits)],
        lifespan=lifespan,
    )
    app.state.store = graph_store
    app.state.search = search_index
    app.state.audit = audit_record
    app.state.graphql = graphql
    return app


async def _readiness(backend: GraphStore | SearchIndex) -> dict:
    """Whether a graph store or search index answers now, for /readyz."""
    try:
        await backend.ping()
    except OUTAGES as error:
        return {"backend": error.backend, "ok": False, "reason": error.reason}
    return {"backend": backend.backend, "ok": True}


def create_app_from_env() -> Starlette:
    """The app of one worker process (``c360 serve --workers N``): settings from the environment."""
    app = create_app(Settings.from_env())
    settle_heap()
    return app

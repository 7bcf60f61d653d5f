"""Strawberry's ASGI view, speaking GraphQL over HTTP as :mod:`customer360.http_protocol` says.

Strawberry does the work (GraphiQL, parsing, validation, execution, WebSockets); this
subclass only uses its override points:

- ``__call__``: negotiates the response media type from ``Accept``, turns refusals into
  JSON error bodies (Strawberry answers them in plain text), and first offers a request to
  :meth:`answer_prepared` (a hook for the subclass: repeats answered outside Strawberry's
  pipeline, their response built here as the pipeline builds one, :meth:`respond`);
- ``parse_http_body``: checks the request's parameters by type (Strawberry lets a body that
  is not an object reach a 500, and takes any ``operationName``);
- ``execute_single``: resolves persisted documents (:meth:`resolve_document`, a hook for the
  subclass), answers a mutation over GET with 405 and ``Allow: POST``, and sets the status;
- ``process_result`` / ``create_response``: leave ``data`` out of a request error and label
  the response with the negotiated media type.
"""

from __future__ import annotations

from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import ExecutionResult, GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)

from customer360.http_protocol import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    HTTPRefusal,
    RequestError,
    RequestParameters,
    is_request_error,
    negotiate,
    not_acceptable,
    read_get,
    read_post,
    response_status,
)

MEDIA_TYPE_STATE = "graphql_media_type"
"""Where ``__call__`` leaves the negotiated media type (``request.state``); ``None``: nothing acceptable."""


class PersistedRequestData(GraphQLRequestData):
    """Strawberry's request data, plus the id of a persisted document the client named."""

    def __init__(self, parameters: RequestParameters) -> None:
        super().__init__(
            query=parameters.query, variables=parameters.variables, operation_name=parameters.operation_name,
            extensions=parameters.extensions, protocol="http",
        )
        self.document_id = parameters.document_id


def media_type_of(request: Request | WebSocket) -> str:
    return getattr(request.state, MEDIA_TYPE_STATE, None) or APPLICATION_JSON


def refusal_response(refusal: HTTPRefusal, media_type: str) -> Response:
    content_type = GRAPHQL_RESPONSE_JSON if media_type == GRAPHQL_RESPONSE_JSON else APPLICATION_JSON
    return JSONResponse(refusal.body(), status_code=refusal.status, headers=refusal.headers, media_type=content_type)


class GraphQLOverHTTP(GraphQL):
    """Strawberry's ASGI view with the GraphQL-over-HTTP status codes and media types."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media_type = negotiate(request.headers.get("accept"))
        setattr(request.state, MEDIA_TYPE_STATE, media_type)
        try:
            response = await self.answer_prepared(request) if media_type and request.method in ("GET", "POST") else None
            if response is None:
                response = await self.run(request)
        except HTTPRefusal as refusal:
            response = refusal_response(refusal, media_type or APPLICATION_JSON)
        except HTTPException as error:  # Strawberry's own refusals, e.g. a method other than GET or POST
            headers = {"Allow": "GET, POST"} if error.status_code == 405 else None
            response = refusal_response(HTTPRefusal(error.status_code, error.reason, headers=headers),
                                        media_type or APPLICATION_JSON)
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL for a browser's page load only: a GET that asks for HTML and names no
        operation (an APQ GET carries ``extensions`` and no ``query``, and must run)."""
        params = request.query_params
        return (
            request.method == "GET" and "text/html" in request.headers.get("accept", "")
            and not any(params.get(key) for key in ("query", "extensions", "documentId", "doc_id"))
        )

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        accept = request.headers.get("accept")
        if negotiate(accept) is None:
            raise not_acceptable(accept)
        if request.method == "GET":
            parameters = read_get(request.query_params)
        else:
            parameters = read_post(request.content_type, await request.get_body())
        return PersistedRequestData(parameters)

    async def resolve_document(self, request: Request, context: Any, data: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its document text in ``query``: a subclass resolves persisted
        documents here (raising :class:`RequestError` or :class:`HTTPRefusal`)."""
        if getattr(data, "document_id", None) is not None:
            raise HTTPRefusal(400, "this service does not serve persisted documents")
        return data

    async def after_execution(self, request: Request, data: GraphQLRequestData, result: ExecutionResult) -> None:
        """Called once a request has run (or was refused): a subclass may remember its document."""

    async def answer_prepared(self, request: Request) -> Response | None:
        """The response to a GET or POST answered without Strawberry's pipeline (a subclass
        builds it with :meth:`respond`), or None: then the pipeline answers it."""
        return None

    async def respond(self, request: Request, data: GraphQLRequestData, result: ExecutionResult) -> Response:
        """The response for ``result``, made as :meth:`run` makes it after execution."""
        sub_response = await self.get_sub_response(request)
        await self._finish(request, data, result, sub_response)
        body = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, body)
        return self.create_response(body, sub_response)

    async def _finish(self, request: Request, data: GraphQLRequestData, result: ExecutionResult,
                      sub_response: Response) -> None:
        await self.after_execution(request, data, result)
        status = response_status(result, media_type_of(request))
        if status != 200:
            sub_response.status_code = status

    async def execute_single(  # noqa: PLR0917 - Strawberry's signature
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter, sub_response: Response, context: Any,
        root_value: Any, request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            request_data = await self.resolve_document(request, context, request_data)
            if not request_data.query:
                raise HTTPRefusal(400, "no GraphQL document in the request: send `query` (or a persisted one's id)")
            result = await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                                  request_data)
        except RequestError as error:
            result = error.as_result()
        except HTTPException as error:
            cause = error.__cause__
            if isinstance(cause, InvalidOperationTypeError) and request_adapter.method == "GET":
                raise HTTPRefusal(405, f"{error.reason}: GET runs queries only; send this operation with POST",
                                  headers={"Allow": "POST"}) from error
            if not isinstance(cause, CannotGetOperationTypeError):
                raise
            # the document has no such operation (or several, and no operationName): a request error
            result = ExecutionResult(data=None, errors=[GraphQLError(error.reason)])
        await self._finish(request, request_data, result, sub_response)
        return result

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        if media_type_of(request) == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            body.pop("data", None)  # the request never executed
        return body

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = media_type_of(request)
        return sub_response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        return response

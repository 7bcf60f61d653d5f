"""The GraphQL-over-HTTP rules, as plain functions: what a request may look like, which media
type the answer is in, and which status code it carries.

The specification (graphql.github.io/graphql-over-http) has two response media types:

- ``application/graphql-response+json``, for clients that ask for it by name in ``Accept``:
  the status code says whether the request ran. A *request error* (the document does not
  parse or validate, a variable does not coerce, the operation was refused before it
  started) answers 4xx with no ``data`` key; a response with ``data`` (even ``null`` after a
  field error) answers 200.
- ``application/json``, what older clients (no ``Accept``, ``*/*``, ``application/json``)
  get: 200 for every well-formed request, errors in the body, as this service always did
  (``"data": null`` included).

Whatever the media type, a request that is not a well-formed GraphQL-over-HTTP request at all
(not JSON, not an object, ``query`` missing or not a string, ``variables`` not an object,
an unsupported ``Content-Type``, a mutation over GET) is refused with a 4xx and a JSON body
naming the problem: :class:`HTTPRefusal`.

The Strawberry view that applies these rules is :mod:`customer360.graphql_http_view`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult, GraphQLError

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

REQUEST_ERROR_STATUS: dict[str, int] = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,  # a purpose of access the caller's roles do not allow
    "OPERATION_NOT_TRUSTED": 403,  # trusted-documents mode: not a registered operation
    "PERSISTED_QUERY_NOT_FOUND": 404,  # APQ: the client retries with the full query
    "INTERNAL_SERVER_ERROR": 500,
    "BACKEND_UNAVAILABLE": 503,
}
"""The status of a request error under ``application/graphql-response+json``, by the first
error's ``extensions.code``; any other code (parse, validation, variable coercion, limits)
is 400. A refusal with a code of its own that deserves another status is added here."""


class HTTPRefusal(Exception):
    """A request that is not a well-formed GraphQL-over-HTTP request: answered with ``status``
    and ``{"errors": [{"message", "extensions": {"code"}}]}`` whatever the media type."""

    CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
             406: "NOT_ACCEPTABLE", 415: "UNSUPPORTED_MEDIA_TYPE"}

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = self.CODES.get(status, "BAD_REQUEST")
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}


class RequestError(Exception):
    """A GraphQL request error found before execution by the service itself (a persisted
    operation that is unknown or not trusted): answered exactly like a validation error."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def as_result(self) -> ExecutionResult:
        return ExecutionResult(data=None, errors=[GraphQLError(self.message, extensions={"code": self.code})])


# ------------------------------------------------------------------ content negotiation


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of ``Accept``: ``type/subtype`` (either may be ``*``), its q and charset."""

    type: str
    subtype: str
    q: float
    charset: str | None

    def specificity(self, media_type: str) -> int:
        """2 for the exact type, 1 for ``type/*``, 0 for ``*/*``, -1 when it does not match."""
        wanted_type, _, wanted_subtype = media_type.partition("/")
        if self.charset is not None and self.charset not in ("utf-8", "utf8"):
            return -1
        if self.type == wanted_type and self.subtype == wanted_subtype:
            return 2
        if self.type == wanted_type and self.subtype == "*":
            return 1
        if self.type == "*" and self.subtype == "*":
            return 0
        return -1


def parse_accept(header: str) -> list[MediaRange]:
    ranges = []
    for entry in header.split(","):
        media, *parameters = (part.strip() for part in entry.split(";"))
        if "/" not in media:
            continue
        kind, _, subtype = media.lower().partition("/")
        q, charset = 1.0, None
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"').lower()
            if name == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
            elif name == "charset":
                charset = value
        ranges.append(MediaRange(kind, subtype, q, charset))
    return ranges


def _quality(ranges: list[MediaRange], media_type: str) -> tuple[float, int]:
    """The q of the most specific range that matches ``media_type`` (HTTP's rule), and how specific it is."""
    matches = [(r.specificity(media_type), r.q) for r in ranges if r.specificity(media_type) >= 0]
    if not matches:
        return 0.0, -1
    specificity, q = max(matches)
    return q, specificity


def negotiate(accept: str | None) -> str | None:
    """The response media type for this ``Accept`` header, or ``None`` (406) when neither is acceptable.

    ``application/graphql-response+json`` only when named (a wildcard is an older client that
    expects ``application/json``) and liked at least as much as ``application/json``; no
    ``Accept`` at all means ``application/json``, as the specification asks."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    ranges = parse_accept(accept)
    graphql_q, graphql_specificity = _quality(ranges, GRAPHQL_RESPONSE_JSON)
    json_q, _ = _quality(ranges, APPLICATION_JSON)
    if graphql_specificity == 2 and graphql_q > 0 and graphql_q >= json_q:
        return GRAPHQL_RESPONSE_JSON
    if json_q > 0:
        return APPLICATION_JSON
    return None


def not_acceptable(accept: str | None) -> HTTPRefusal:
    return HTTPRefusal(
        406, f"cannot answer in any media type of Accept: {accept!r}; "
             f"accept {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}"
    )


# ------------------------------------------------------------------ request parameters


@dataclass(frozen=True, slots=True)
class RequestParameters:
    """A GraphQL-over-HTTP request's parameters, checked for type. ``query`` may be missing
    when the client names a persisted document instead (``extensions.persistedQuery`` or
    ``documentId``)."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    document_id: str | None = None


def _typed(params: Mapping[str, Any]) -> RequestParameters:
    query = params.get("query")
    if query is not None and not isinstance(query, str):
        raise HTTPRefusal(400, f"`query` must be a string (the GraphQL document), got {_json_type(query)}")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise HTTPRefusal(400, f"`variables` must be an object (variable name -> value), got {_json_type(variables)}")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HTTPRefusal(400, f"`operationName` must be a string, got {_json_type(operation_name)}")
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise HTTPRefusal(400, f"`extensions` must be an object, got {_json_type(extensions)}")
    document_id = params.get("documentId", params.get("doc_id"))
    if document_id is not None and (not isinstance(document_id, str) or not document_id.strip()):
        raise HTTPRefusal(400, f"`documentId` must be a non-empty string, got {_json_type(document_id)}")
    return RequestParameters(query or None, variables, operation_name or None, extensions, document_id)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def read_post(content_type: str | None, body: bytes) -> RequestParameters:
    """The parameters of a POST: a JSON object in a UTF-8 ``application/json`` body."""
    media, _, parameters = (content_type or "").partition(";")
    if media.strip().lower() != APPLICATION_JSON:
        got = f"got {content_type!r}" if content_type else "no Content-Type was sent"
        raise HTTPRefusal(415, f"send the request as Content-Type: {APPLICATION_JSON} ({got})")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise HTTPRefusal(415, f"the request body must be UTF-8 (Content-Type says charset={value.strip()})")
    if not body.strip():
        raise HTTPRefusal(400, 'the request body is empty: send a JSON object such as {"query": "{ __typename }"}')
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPRefusal(400, "the request body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise HTTPRefusal(400, f"the request body is not JSON: {error}") from None
    except RecursionError:
        raise HTTPRefusal(400, "the request body is nested too deeply to read") from None
    except ValueError:  # a number with more digits than Python reads (sys.get_int_max_str_digits)
        raise HTTPRefusal(400, "the request body holds a number too long to be read") from None
    if isinstance(data, list):
        raise HTTPRefusal(400, "batched requests (a JSON array) are not supported: send one operation per request")
    if not isinstance(data, dict):
        raise HTTPRefusal(400, f"the request body must be a JSON object with a `query` string, got {_json_type(data)}")
    return _typed(data)


def read_get(query_params: Mapping[str, Any]) -> RequestParameters:
    """The parameters of a GET: ``query``, ``operationName``, and ``variables`` and
    ``extensions`` as URL-encoded JSON objects."""
    params: dict[str, Any] = {key: query_params.get(key) for key in
                              ("query", "operationName", "documentId", "doc_id") if query_params.get(key) is not None}
    for key in ("variables", "extensions"):
        raw = query_params.get(key)
        if raw:
            try:
                params[key] = json.loads(raw)
            except json.JSONDecodeError as error:
                raise HTTPRefusal(400, f"`{key}` must be a URL-encoded JSON object: {error}") from None
            except (RecursionError, ValueError):
                raise HTTPRefusal(400, f"`{key}` cannot be read: nested too deeply, or a number too long to be read") from None
    return _typed(params)


# ------------------------------------------------------------------ response status


def is_request_error(result: ExecutionResult) -> bool:
    """The request never executed: no data, and no error belongs to a field (field errors
    always carry a ``path``; parse, validation, coercion and whole-request refusals never do)."""
    return result.data is None and bool(result.errors) and all(not error.path for error in result.errors)


def response_status(result: ExecutionResult, media_type: str) -> int:
    """200, or for a request error under ``application/graphql-response+json`` its 4xx/5xx."""
    if media_type != GRAPHQL_RESPONSE_JSON or not is_request_error(result):
        return 200
    code = (result.errors[0].extensions or {}).get("code") if result.errors else None
    return REQUEST_ERROR_STATUS.get(code, 400) if isinstance(code, str) else 400

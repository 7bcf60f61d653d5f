"""A real GraphQL client speaking Apollo's automatic persisted queries: ``gql`` (the Python
GraphQL client) with an APQ transport.

``gql`` has no APQ support of its own, so this transport adds Apollo's protocol to gql's own
httpx transport, step for step as ``@apollo/client``'s ``createPersistedQueryLink`` does it:

1. send the operation's SHA-256 (of the printed document, which is what gql sends as
   ``query``) in ``extensions.persistedQuery`` {version: 1, sha256Hash}, without ``query``;
   by GET when ``use_get_for_hashed_queries`` (Apollo's ``useGETForHashedQueries``);
2. if the errors say ``PersistedQueryNotFound`` (message or code), send it again with the
   query (by POST), the hash still in the extensions;
3. if they say ``PersistedQueryNotSupported``, or the answer's status is 400 or 500, stop
   using APQ for this transport (Apollo's default ``disable``).

Everything sent is kept in :attr:`sent`, so tests can see what went over the wire.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from gql import GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import ExecutionResult, print_ast

NOT_FOUND = ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
NOT_SUPPORTED = ("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")


@dataclass(frozen=True)
class Sent:
    method: str
    payload: dict[str, Any]
    status: int


def _mentions(result: ExecutionResult, markers: tuple[str, str]) -> bool:
    return any(
        isinstance(error, dict) and (error.get("message") == markers[0]
                                     or (error.get("extensions") or {}).get("code") == markers[1])
        for error in (result.errors or [])
    )


class PersistedQueryTransport(HTTPXAsyncTransport):
    def __init__(self, url: str, *, use_get_for_hashed_queries: bool = False, **httpx_kwargs: Any) -> None:
        super().__init__(url, **httpx_kwargs)
        self.use_get_for_hashed_queries = use_get_for_hashed_queries
        self.supports_persisted_queries = True
        self.sent: list[Sent] = []

    async def execute(self, request: GraphQLRequest, *, extra_args: dict[str, Any] | None = None,
                      upload_files: bool = False) -> ExecutionResult:
        query = print_ast(request.document)
        persisted = {"version": 1, "sha256Hash": hashlib.sha256(query.encode("utf-8")).hexdigest()}
        payload: dict[str, Any] = {}
        if request.operation_name:
            payload["operationName"] = request.operation_name
        if request.variable_values:
            payload["variables"] = request.variable_values
        if self.supports_persisted_queries:
            hashed = {**payload, "extensions": {**(request.extensions or {}), "persistedQuery": persisted}}
            result, status = await self._send(hashed, get=self.use_get_for_hashed_queries)
            if status in (400, 500) or _mentions(result, NOT_SUPPORTED):
                self.supports_persisted_queries = False
            if not _mentions(result, NOT_FOUND) and not _mentions(result, NOT_SUPPORTED):
                return result
        extensions = dict(request.extensions or {})
        if self.supports_persisted_queries:
            extensions["persistedQuery"] = persisted
        full = {**payload, "query": query, **({"extensions": extensions} if extensions else {})}
        result, _ = await self._send(full, get=False)
        return result

    async def _send(self, payload: dict[str, Any], *, get: bool) -> tuple[ExecutionResult, int]:
        assert self.client is not None, "connect the transport first (use it through gql.Client)"
        if get:
            params = {key: value if isinstance(value, str) else json.dumps(value) for key, value in payload.items()}
            response = await self.client.get(self.url, params=params)
        else:
            response = await self.client.post(self.url, json=payload)
        self.sent.append(Sent("GET" if get else "POST", payload, response.status_code))
        return self._prepare_result(response), response.status_code

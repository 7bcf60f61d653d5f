"""Errors a GraphQL client is meant to read: each names the field or argument and the reason.

Anything else raised inside a resolver is masked by the schema (no stack traces leave the
server); these pass through with a machine-readable ``code`` in the error's extensions.
"""

from __future__ import annotations

from graphql import GraphQLError


class UserError(GraphQLError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code})


class NotFound(UserError):
    code = "NOT_FOUND"


class BackendUnavailable(GraphQLError):
    """The graph backend is down or too slow; the client should retry later."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(
            f"the graph backend ({backend}) is unavailable, retry later: {reason}",
            extensions={"code": "BACKEND_UNAVAILABLE", "backend": backend, "retryable": True},
        )

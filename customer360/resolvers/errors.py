"""Errors a GraphQL client is meant to read: each names the field or argument and the reason.

Anything else raised inside a resolver is rewritten at the schema's one error boundary
(``schema/errors.py``): a backend outage becomes ``BACKEND_UNAVAILABLE``, anything unexpected
is masked; these pass through with a machine-readable ``code`` in the error's extensions.
"""

from __future__ import annotations

from graphql import GraphQLError


class UserError(GraphQLError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code})


class NotFound(UserError):
    code = "NOT_FOUND"

"""Refuses a request whose declared purpose of access the caller's roles do not allow, before
anything runs: no personal data may be served under a purpose the policy does not grant.
(Fields the caller may not see are refused one by one, where they resolve.)"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension


class PurposeOfAccess(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        refusal = self.execution_context.context.access.refusal
        if refusal is not None:
            error = GraphQLError(refusal.message, extensions={"code": refusal.code})
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

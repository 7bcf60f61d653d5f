"""The Strawberry schema: types, inputs, the Query root and the cross-cutting extensions."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from customer360.config import Settings
from customer360.resolvers.errors import BackendUnavailable, UserError
from customer360.schema.explain import ExplainExtension
from customer360.schema.query import Query
from customer360.schema.scalars import SCALAR_MAP
from customer360.schema.types import Account, Address, Person, Phone, Transaction


def _is_internal(error: GraphQLError) -> bool:
    """Mask everything but errors meant for clients (ours, and graphql-core's own about the
    request: syntax, validation, argument and variable coercion); the server log keeps the detail."""
    original = error.original_error
    if original is None or isinstance(original, (UserError, BackendUnavailable)):
        return False
    if isinstance(original, GraphQLError):
        return False
    return not (isinstance(original, ValueError) and not error.path)  # scalar parse errors


class Customer360Schema(strawberry.Schema):
    """Logs only unexpected errors: a client's bad argument is not a server incident."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        internal = [e for e in errors if _is_internal(e)]
        if internal:
            super().process_errors(internal, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    return Customer360Schema(
        query=Query,
        types=[Person, Account, Address, Phone, Transaction],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.max_depth),
            ExplainExtension,
            lambda: MaskErrors(should_mask_error=_is_internal, error_message="internal server error"),
        ],
    )

"""The Strawberry schema: types, inputs, the Query root and the cross-cutting extensions."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, QueryDepthLimiter

from customer360.config import Settings
from customer360.resolvers.errors import BackendUnavailable, UserError
from customer360.schema.explain import ExplainExtension
from customer360.schema.query import Query
from customer360.schema.types import Account, Address, Person, Phone, Transaction


def _is_internal(error: GraphQLError) -> bool:
    """Mask everything but the errors written for clients; the server log keeps the detail."""
    original = error.original_error
    return original is not None and not isinstance(original, (UserError, BackendUnavailable))


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
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.max_depth),
            ExplainExtension,
            lambda: MaskErrors(should_mask_error=_is_internal, error_message="internal server error"),
        ],
    )

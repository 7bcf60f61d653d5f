"""The Strawberry schema: types, inputs, the Query root and the cross-cutting extensions.

``schema`` is the schema with default settings, for tools (``strawberry export-schema
customer360.schema:schema``); the app builds its own with the configured limits.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from customer360.config import Settings
from customer360.schema.errors import ClientErrors, is_internal, is_outage
from customer360.schema.explain import ExplainExtension
from customer360.schema.query import Query
from customer360.schema.scalars import SCALAR_MAP
from customer360.schema.types import Account, Address, Person, Phone, Transaction

log = logging.getLogger("customer360")


class Customer360Schema(strawberry.Schema):
    """Logs only what is the server's business: a client's bad argument is not an incident."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        for error in errors:
            if is_outage(error):
                log.warning("backend unavailable at %s: %s", error.path, error.original_error)
        internal = [e for e in errors if is_internal(e)]
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
            ClientErrors,
        ],
    )


schema = build_schema(Settings())

"""The Strawberry schema: types, inputs, the Query root and the cross-cutting extensions.

``schema`` is the schema with default settings, for tools (``strawberry export-schema
customer360.schema:schema``); the app builds its own with the configured limits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig

from customer360.auth.document_limits import Budget, DocumentLimits
from customer360.auth.request_timeout import RequestTimeout
from customer360.config import Settings
from customer360.schema.access import PurposeOfAccess
from customer360.schema.audit_reads import AuditReads
from customer360.schema.errors import ClientErrors
from customer360.schema.explain import ExplainExtension
from customer360.schema.query import Query
from customer360.schema.scalars import SCALAR_MAP
from customer360.schema.types import Account, Address, Person, Phone, Transaction
from customer360.schema.validation_cache import ValidationByText


class Customer360Schema(strawberry.Schema):
    """Logs nothing itself: a client's bad argument is not an incident, and the error boundary
    (``ClientErrors``) logs outages and bugs with the error id the client is given."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        return None


def build_schema(
    settings: Settings,
    executors: Sequence[Callable[[], SchemaExtension]] = (),
    budget_for: Budget | None = None,
) -> strawberry.Schema:
    """The schema with the configured limits. ``budget_for(context)`` is one request's cost
    budget (default ``C360_MAX_COST``); ``executors`` run last, innermost around execution (the
    app passes the compiled path's extension). ``DocumentLimits`` parses and checks a document
    before validation starts, so a refused document is never validated."""
    limits = settings.limits
    extensions: list = [
        lambda: RequestTimeout(seconds=limits.request_timeout_s),
        lambda: DocumentLimits(
            limits=limits, max_depth=settings.max_depth, max_page_size=settings.max_page_size,
            budget_for=budget_for,
        ),
        ValidationByText,
        PurposeOfAccess,
        ExplainExtension,
        ClientErrors,
    ]
    if not settings.feature("introspection"):
        extensions.append(DisableIntrospection)
    extensions.append(AuditReads)  # outside the executors: it sees the response either one builds
    extensions.extend(executors)
    return Customer360Schema(
        query=Query,
        types=[Person, Account, Address, Phone, Transaction],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=extensions,
    )


schema = build_schema(Settings())

"""The one error boundary between the executor and the client.

Resolvers raise what they mean: :class:`~customer360.resolvers.errors.UserError` and its kin
and :class:`~customer360.auth.access.AccessError` (denied field, missing or refused purpose)
for the client, :class:`~customer360.graphstore.protocol.StoreUnavailable` for an outage,
:class:`~customer360.search.protocol.SearchUnavailable` likewise, anything else for a bug. Here, once, an outage becomes ``BACKEND_UNAVAILABLE`` (retryable)
and anything unexpected ``internal server error``; neither carries the driver's text, only
an error id that the server log carries beside the detail. graphql-core's own errors about
the request (syntax, validation, coercion) pass as they are.
"""

from __future__ import annotations

import logging
import uuid

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from customer360.auth.access import AccessError
from customer360.graphstore.protocol import StoreUnavailable
from customer360.resolvers.errors import UserError
from customer360.search.protocol import SearchUnavailable

INTERNAL_ERROR = "internal server error"
log = logging.getLogger("customer360")


OUTAGES = (StoreUnavailable, SearchUnavailable)


def is_outage(error: GraphQLError) -> bool:
    return isinstance(error.original_error, OUTAGES)


def is_access(error: GraphQLError) -> bool:
    return isinstance(error.original_error, AccessError)


def is_internal(error: GraphQLError) -> bool:
    """An error the client must not see as it is: everything but ours and graphql-core's."""
    original = error.original_error
    if original is None or isinstance(original, (UserError, GraphQLError, AccessError, *OUTAGES)):
        return False
    return not (isinstance(original, ValueError) and not error.path)  # scalar parse errors


class ClientErrors(MaskErrors):
    """Rewrites refusals, outages and internal errors in every result (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda e: is_access(e) or is_outage(e) or is_internal(e), error_message=INTERNAL_ERROR
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        where = {"nodes": error.nodes, "source": error.source, "positions": error.positions, "path": error.path}
        if isinstance(original, AccessError):
            return GraphQLError(original.message, extensions={"code": original.code}, **where)
        error_id = uuid.uuid4().hex[:12]
        if isinstance(original, OUTAGES):
            log.warning("error %s: backend %s unavailable at %s: %s", error_id, original.backend, error.path,
                        original.reason)
            return GraphQLError(
                f"the {original.backend} backend is unavailable, retry later (error id {error_id})",
                extensions={"code": "BACKEND_UNAVAILABLE", "backend": original.backend, "retryable": True,
                            "errorId": error_id},
                **where,
            )
        log.error("error %s at %s: %r", error_id, error.path, original, exc_info=original)
        return GraphQLError(f"{INTERNAL_ERROR} (error id {error_id})",
                            extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id}, **where)

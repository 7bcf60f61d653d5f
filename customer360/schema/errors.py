"""The one error boundary between the executor and the client.

Resolvers raise what they mean: :class:`~customer360.resolvers.errors.UserError` and its kin
for the client, :class:`~customer360.graphstore.protocol.StoreUnavailable` for an outage,
anything else for a bug. Here, once, an outage becomes ``BACKEND_UNAVAILABLE`` (retryable)
and anything unexpected is masked as ``internal server error``; the server log keeps the
detail. graphql-core's own errors about the request (syntax, validation, coercion) pass.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from customer360.graphstore.protocol import StoreUnavailable
from customer360.resolvers.errors import UserError

INTERNAL_ERROR = "internal server error"


def is_outage(error: GraphQLError) -> bool:
    return isinstance(error.original_error, StoreUnavailable)


def is_internal(error: GraphQLError) -> bool:
    """An error the client must not see as it is: everything but ours and graphql-core's."""
    original = error.original_error
    if original is None or isinstance(original, (UserError, GraphQLError, StoreUnavailable)):
        return False
    return not (isinstance(original, ValueError) and not error.path)  # scalar parse errors


class ClientErrors(MaskErrors):
    """Rewrites outages and masks internal errors in every result (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: is_outage(e) or is_internal(e), error_message=INTERNAL_ERROR)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        outage = error.original_error
        if not isinstance(outage, StoreUnavailable):
            return super().anonymise_error(error)
        return GraphQLError(
            f"the graph backend ({outage.backend}) is unavailable, retry later: {outage.reason}",
            nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
            extensions={"code": "BACKEND_UNAVAILABLE", "backend": outage.backend, "retryable": True},
        )

"""A time limit per GraphQL operation that stops the work, not just the wait.

The operation runs under ``asyncio.timeout``: when time is up the request's task is
cancelled at its next ``await``, and the client gets a ``REQUEST_TIMEOUT`` error instead of
a response that never comes. Cancelling the task is not enough on its own, because a
DataLoader sends its batches from tasks of their own: on the way out, whatever the reason
(time limit, client gone, server stopping), the request's loaders cancel those too
(``RequestLoaders.cancel_pending``), and the stores turn a cancelled call into an
interrupted SQLite statement or an abandoned Gremlin request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

TIMEOUT_CODE = "REQUEST_TIMEOUT"


class RequestTimedOut(GraphQLError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the request took longer than {seconds:g} seconds (C360_REQUEST_TIMEOUT) and was "
            "stopped, its backend work with it; ask for less (smaller pages, fewer nested lists)",
            extensions={"code": TIMEOUT_CODE, "seconds": seconds},
        )


def cancel_backend_work(context: Any) -> None:
    """Cancel the request's in-flight loader batches, if its context has loaders."""
    loaders = getattr(context, "loaders", None)
    cancel = getattr(loaders, "cancel_pending", None)
    if cancel is not None:
        cancel()


class RequestTimeout(SchemaExtension):
    """Runs the whole operation (parse, validate, execute) under a time limit."""

    def __init__(self, *, seconds: float, execution_context: Any = None) -> None:
        self.seconds = seconds
        if execution_context is not None:
            self.execution_context = execution_context

    async def on_operation(self) -> AsyncIterator[None]:
        async with time_limit(self.seconds, self.execution_context.context):
            yield


@contextlib.asynccontextmanager
async def time_limit(seconds: float, context: Any) -> AsyncIterator[None]:
    """Run the block under the time limit: past it, the block is cancelled and
    :class:`RequestTimedOut` raised; on the way out, whatever the reason, the request's backend
    work is cancelled too. For the extension and for the lane (``execution/lane.py``) alike."""
    limit = asyncio.timeout(seconds)
    try:
        async with limit:
            yield
    except TimeoutError:
        if not limit.expired():
            raise
        raise RequestTimedOut(seconds) from None
    finally:
        cancel_backend_work(context)

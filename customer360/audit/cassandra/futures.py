"""The driver's ``execute_async`` ResponseFutures, awaited from asyncio.

The driver completes a ResponseFuture on its own I/O thread; the callbacks registered here
hand the outcome to the event loop with ``call_soon_threadsafe``, so a coroutine can await a
CQL call without a thread of its own per call (what ``aiocassandra`` did, before it stopped
working on Python 3.10+).
"""

from __future__ import annotations

import asyncio
from typing import Any

from cassandra.cluster import ResponseFuture, ResultSet


def _settle(waiter: asyncio.Future, response: ResponseFuture | None, error: BaseException | None) -> None:
    if waiter.done():  # the awaiting coroutine was cancelled meanwhile
        return
    if error is not None:
        waiter.set_exception(error)
    else:
        assert response is not None
        # The response is complete, so result() returns at once: this page's rows and its paging state.
        waiter.set_result(response.result())


def _post(loop: asyncio.AbstractEventLoop, *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(_settle, *args)
    except RuntimeError:  # the loop closed while the call was in flight; nobody is waiting
        pass


def result_of(response: ResponseFuture) -> "asyncio.Future[ResultSet]":
    """An asyncio future for ``response``'s first page (a ResultSet: use ``current_rows``
    and ``paging_state``, never iterate it, which would fetch more pages synchronously)."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[ResultSet] = loop.create_future()
    response.add_callbacks(
        callback=lambda _rows: _post(loop, waiter, response, None),
        errback=lambda error: _post(loop, waiter, None, error),
    )
    return waiter

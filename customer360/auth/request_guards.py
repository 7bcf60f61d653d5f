"""HTTP guards in front of ``/graphql``: plain ASGI wrappers, each with one job.

- :class:`BodyLimit` refuses a body over the limit with 413 before reading more than the
  limit (a declared ``Content-Length`` is refused unread; a chunked body is counted as it
  comes), and one that does not arrive within the time limit with 408.
- :class:`CancelOnDisconnect` stops the work of a request whose client has gone: uvicorn
  tells the app by a ``http.disconnect`` message that nobody reads while a query runs, so
  the work used to go on to the end. Here the request runs in a task that is cancelled when
  that message comes (the schema's time limit then cancels the backend work too).
- :class:`ResponseSizeCap` replaces a response bigger than the cap by a clear GraphQL error,
  rather than sending half of it or all of it.

:func:`request_guards` lists them (with the rate limit of ``rate_limits``) in the order to
mount them; the errors they send are GraphQL-shaped JSON, so clients show them as they
show any other error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.middleware import Middleware

from customer360.auth.http_errors import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    send_error,
)
from customer360.auth.rate_limits import RateLimit
from customer360.config import Limits

GUARDED_PATHS = ("/graphql",)
log = logging.getLogger("customer360")


def guarded(scope: Scope, paths: tuple[str, ...]) -> bool:
    return scope["type"] == "http" and scope.get("path", "") in paths


def _content_length(scope: Scope) -> int | None | str:
    """The declared length, None if none was declared, "bad" if it is not a length."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else "bad"
    return None


DRAIN_LIMIT = 16 * 1024 * 1024
"""Bytes of a refused body read and dropped after the 413, so that a client which sends its
whole body before reading the answer gets the 413 rather than a reset connection (uvicorn
drops the rest itself once the response is complete; other servers hand it to the app)."""


class BodyLimit:
    """Reads the body of a guarded request, at most ``max_bytes`` of it, then hands it on."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, read_timeout_s: float, paths: tuple[str, ...] = GUARDED_PATHS) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s
        self.paths = paths

    async def _too_large(self, receive: Receive, send: Send, more_body: bool) -> None:
        await send_error(
            send, 413, "PAYLOAD_TOO_LARGE",
            f"the request body is larger than {self.max_bytes:,} bytes (C360_MAX_BODY_BYTES)",
            limit=self.max_bytes,
        )
        drained = 0
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.read_timeout_s):
                while more_body and drained < DRAIN_LIMIT:  # read and drop, never keep
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    drained += len(message.get("body", b""))
                    more_body = message.get("more_body", False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not guarded(scope, self.paths):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == "bad":
            await send_error(send, 400, "BAD_REQUEST", "the Content-Length header is not a number of bytes")
            return
        if isinstance(declared, int) and declared > self.max_bytes:
            await self._too_large(receive, send, more_body=declared <= DRAIN_LIMIT)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.read_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client left before sending its request
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        await self._too_large(receive, send, more_body=message.get("more_body", False))
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await send_error(
                send, 408, "REQUEST_TIMEOUT",
                f"the request body did not arrive within {self.read_timeout_s:g} seconds (C360_REQUEST_TIMEOUT)",
                headers=[(b"connection", b"close")],
            )
            return
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class CancelOnDisconnect:
    """Cancels a guarded request if the client disconnects.

    Once the app has read the whole body, a watcher keeps listening on the connection; a
    ``http.disconnect`` cancels the request's own task (the app's later ``receive()`` calls
    are answered from here). Nothing is sent to a client that has gone. The app runs in the
    request's task, not a task of its own: one task and no ``asyncio.wait`` fewer per request.
    """

    def __init__(self, app: ASGIApp, *, paths: tuple[str, ...] = GUARDED_PATHS) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not guarded(scope, self.paths):
            await self.app(scope, receive, send)
            return
        body_read = asyncio.Event()
        gone = asyncio.Event()
        request = asyncio.current_task()
        assert request is not None

        async def app_receive() -> Message:
            if body_read.is_set():
                await gone.wait()
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            elif not message.get("more_body", False):
                body_read.set()
            return message

        async def watch() -> None:
            await body_read.wait()
            while (await receive())["type"] != "http.disconnect":
                pass  # nothing else should come on a request whose body is complete
            gone.set()
            request.cancel()  # thrown into the app at the await it is suspended on

        watcher = asyncio.ensure_future(watch())
        try:
            await self.app(scope, app_receive, send)
        except asyncio.CancelledError:
            # Ours alone (the server stopping cancels too, and then it goes on up).
            if not gone.is_set() or request.uncancel() > 0:
                raise
            log.warning("client disconnected from %s; its request was cancelled", scope.get("path"))
        finally:
            watcher.cancel()


class ResponseSizeCap:
    """Holds a guarded response until it is complete or over ``max_bytes``; one over the cap
    is replaced by a ``RESPONSE_TOO_LARGE`` GraphQL error (HTTP 200, like other GraphQL
    errors for now) and the rest of it is dropped."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, paths: tuple[str, ...] = GUARDED_PATHS) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not guarded(scope, self.paths):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        replaced = False

        async def capped_send(message: Message) -> None:
            nonlocal start, size, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                replaced = True
                chunks.clear()
                await send_error(
                    send, 200, "RESPONSE_TOO_LARGE",
                    f"the response would be larger than {self.max_bytes:,} bytes (C360_MAX_RESPONSE_BYTES); "
                    "ask for fewer fields, smaller pages or fewer aliases",
                    limit=self.max_bytes,
                )
                return
            chunks.append(chunk)
            if message.get("more_body", False):
                return
            assert start is not None, "http.response.body before http.response.start"
            body = b"".join(chunks)
            headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, capped_send)


def request_guards(limits: Limits) -> list[Middleware]:
    """The guards in the order to mount them (outermost first), after any middleware that
    authenticates: ``Starlette(..., middleware=[*authentication, *request_guards(limits)])``.

    The rate limit comes first, so a principal over its rate costs no body read; the body
    limit then reads the body; the disconnect watch listens once the body is in; the
    response cap sits nearest the view, where the response is produced.
    """
    return [
        Middleware(RateLimit, per_second=limits.rate_per_second, burst=limits.rate_burst, paths=GUARDED_PATHS),
        Middleware(BodyLimit, max_bytes=limits.max_body_bytes, read_timeout_s=limits.request_timeout_s),
        Middleware(CancelOnDisconnect),
        Middleware(ResponseSizeCap, max_bytes=limits.max_response_bytes),
    ]

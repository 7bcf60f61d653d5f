"""The errors the HTTP guards send, shaped as GraphQL responses so that clients show them as
they show any other error, and the ASGI types the guards share."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def error_body(code: str, message: str, **details: Any) -> bytes:
    """``{"data": null, "errors": [{"message": ..., "extensions": {"code": ..., ...}}]}``"""
    return json.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code, **details}}]}).encode()


async def send_error(
    send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]] | None = None,
    **details: Any,
) -> None:
    """One complete error response."""
    body = error_body(code, message, **details)
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *(headers or []),
        ],
    })
    await send({"type": "http.response.body", "body": body, "more_body": False})

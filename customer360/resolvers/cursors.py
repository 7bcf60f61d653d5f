"""Opaque Relay cursors: a keyset (sort value + business key) tied to the ordering it came from.

A cursor from one ordering cannot be replayed against another (the ``o`` tag differs), and
anything that is not one of ours is refused with an error naming the argument.
"""

from __future__ import annotations

import base64
import binascii
import json

from customer360.graphstore.plan import Keyset
from customer360.resolvers.errors import UserError


def encode_cursor(ordering: str, keyset: Keyset) -> str:
    payload = json.dumps({"o": ordering, "v": keyset.value, "k": keyset.key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(field: str, ordering: str, cursor: str | None, argument: str = "after") -> Keyset | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        tag, value, key = payload["o"], payload["v"], payload["k"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise UserError(f"{field}: argument '{argument}' is not a cursor returned by this field") from None
    if tag != ordering or not isinstance(key, str):
        raise UserError(
            f"{field}: argument '{argument}' is a cursor from a different field or ordering; "
            "pass a cursor returned by this same field with the same arguments"
        )
    return Keyset(value, key)

"""Opaque Relay cursors: a keyset (sort value + business key) tied to the ordering it came from.

A cursor from one ordering cannot be replayed against another (the ``o`` tag differs), and
anything that is not one of ours is refused with an error naming the argument. A cursor is
opaque to clients but not to us: its length is capped before it is decoded, and its sort
value must have the shape its ordering gives it (a timestamp is an integer, a name ordering
is two strings) before it goes anywhere near a store, where a list in place of a timestamp
would come back as the store's own error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from customer360.graphstore.plan import Keyset
from customer360.resolvers.errors import UserError


def encode_cursor(ordering: str, keyset: Keyset) -> str:
    """The payload's compact JSON (UTF-8, not escaped to ASCII), in upper-case hex.

    Hex, not base64, because SQLite writes the very same bytes with ``hex(json_object(...))``:
    a response tree (``graphstore/sqlite/response_tree.py``) makes its cursors where its rows
    are, and they must be these cursors to the byte. Cursors of earlier versions (base64url
    of the same payload, escaped to ASCII) are still read."""
    payload = json.dumps({"o": ordering, "v": keyset.value, "k": keyset.key}, separators=(",", ":"),
                         ensure_ascii=False)
    return payload.encode().hex().upper()


MAX_CURSOR_LENGTH = 1024
"""Characters in a cursor: ours are hex of an ordering, at most two names and a business
key, typically under 200 characters."""
_HEX = re.compile(r"(?:[0-9A-F]{2})+")
MAX_KEY_LENGTH = 256  # business keys and names are far shorter
_INT64 = 2**63


def _is_int64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64


def _is_short_text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_KEY_LENGTH


def _is_name_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_is_short_text(v) for v in value)


SORT_VALUES: dict[str, Callable[[Any], bool]] = {
    "name": _is_name_pair,  # [last name, first name]
    "total_balance": _is_int64,  # cents
    "timestamp": _is_int64,  # epoch seconds
    "shared_address": _is_int64,  # how many persons share it
    "shared_phone": _is_int64,
    "search": _is_int64,  # "search:<hash of the text>": the hit's rank (searchCustomers)
    "audit": _is_int64,  # auditTrail / accessLog: the event's time in epoch milliseconds
}
"""The shape of a cursor's sort value, by the ordering's field (the part before ``:``). A new
kind of cursor needs its entry here: a cursor of an ordering not named is refused."""


def _payload(cursor: str) -> tuple[str, Any, str] | None:
    """(ordering, sort value, key) of one of our cursors, or None if it is not one."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        if _HEX.fullmatch(cursor):
            raw = bytes.fromhex(cursor)
        else:  # base64url, as earlier versions wrote them
            raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        payload = json.loads(raw)
        tag, value, key = payload["o"], payload["v"], payload["k"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(tag, str) or not _is_short_text(key):
        return None
    shape = SORT_VALUES.get(tag.split(":", 1)[0])
    if shape is None or not shape(value):
        return None
    return tag, value, key


def cursor_problem(cursor: str) -> str | None:
    """Why ``cursor`` cannot be one of ours (too long, not our encoding, a sort value of the
    wrong shape for its ordering), or None; cheap enough to run on every argument before
    execution. Which field and ordering it belongs to is for :func:`decode_cursor` to say."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        return f"is longer than any cursor this service returns ({len(cursor):,} characters)"
    if _payload(cursor) is None:
        return "is not a cursor returned by this field; pass a pageInfo.endCursor as it came"
    return None


def decode_cursor(field: str, ordering: str, cursor: str | None, argument: str = "after") -> Keyset | None:
    if cursor is None:
        return None
    payload = _payload(cursor)
    if payload is None:
        raise UserError(f"{field}: argument '{argument}' is not a cursor returned by this field")
    tag, value, key = payload
    if tag != ordering:
        raise UserError(
            f"{field}: argument '{argument}' is a cursor from a different field or ordering; "
            "pass an endCursor returned by this same field with the same arguments"
        )
    return Keyset(value, key)

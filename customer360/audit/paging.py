"""Windows and keyset cursors for reading the record, newest first.

A cursor is the (time, event id) of the last event a page returned; the next page holds the
events strictly older than it. Both sinks order by (occurred_at, event_id) descending, and a
UUIDv7 compares the same way as bytes, as text and in CQL, so a cursor means the same on
every sink and pages never repeat or skip an event, even when events share a millisecond.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from customer360.audit.events import (
    SealedEvent,
    epoch_millis,
    from_epoch_millis,
    to_millis_utc,
)

#: The largest page a reader may ask for.
MAX_PAGE = 1000


class InvalidPageRequest(ValueError):
    """A bad window, page size or cursor, with a message that names which and why."""


@dataclass(frozen=True, slots=True)
class Cursor:
    occurred_at: datetime
    event_id: uuid.UUID

    def encode(self) -> str:
        raw = f"{epoch_millis(self.occurred_at)}:{self.event_id.hex}".encode("ascii")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
            millis, hex_id = raw.split(":")
            return cls(from_epoch_millis(int(millis)), uuid.UUID(hex=hex_id))
        except (ValueError, UnicodeDecodeError):
            raise InvalidPageRequest(f"after: {text!r} is not a cursor this service gave out") from None

    @classmethod
    def of(cls, event: SealedEvent) -> "Cursor":
        return cls(event.event.occurred_at, event.event.event_id)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Events with ``since <= occurred_at < until``, at most ``first``, after ``after``."""

    first: int = 20
    since: datetime | None = None
    until: datetime | None = None
    after: Cursor | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.first <= MAX_PAGE:
            raise InvalidPageRequest(f"first: must be between 1 and {MAX_PAGE}, got {self.first}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                if value.tzinfo is None:
                    raise InvalidPageRequest(f"{name}: needs a timezone (e.g. 2025-06-01T00:00:00Z)")
                object.__setattr__(self, name, to_millis_utc(value))
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidPageRequest(f"since ({self.since.isoformat()}) must be before until ({self.until.isoformat()})")

    @classmethod
    def build(cls, first: int = 20, since: datetime | None = None, until: datetime | None = None,
              after: str | None = None) -> "PageRequest":
        """From the arguments a reader gives (the cursor as the opaque text it was handed)."""
        return cls(first, since, until, Cursor.decode(after) if after else None)


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[SealedEvent] = field(default_factory=list)
    #: Pass as ``after`` for the next page; ``None`` when this page is the last.
    next_cursor: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def page_of(rows: list[SealedEvent], page: PageRequest) -> AuditPage:
    """Cut ``first + 1`` fetched rows to a page; the extra row only says more exist."""
    events = rows[: page.first]
    more = len(rows) > page.first
    return AuditPage(events, Cursor.of(events[-1]).encode() if more and events else None)

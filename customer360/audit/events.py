"""What goes on record: one :class:`AuditEvent` per (request, customer), or per ``c360 load``.

An event is built by whoever saw the access (the GraphQL extension for reads, the CLI for
loads) and is immutable from then on. Its :func:`canonical_bytes` are the exact bytes the hash
chain is computed over, so they must come out the same after a round trip through any sink:
times are UTC at millisecond precision (what a CQL ``timestamp`` holds), lists that are sets
in meaning (roles, field paths, files) are sorted, and JSON is written with sorted keys and
no spaces.
"""

from __future__ import annotations

import hashlib
import operator
import os
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

import orjson

#: Bumped whenever the canonical form changes; old events keep verifying with their version.
CANONICAL_VERSION = 1


class EventKind(StrEnum):
    """Reads of customer data, and loads of data into the store."""

    READ = "read"
    LOAD = "load"


class Outcome(StrEnum):
    """How much of what was asked for went out (or went in, for a load)."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    REFUSED = "refused"


def utc_now() -> datetime:
    return to_millis_utc(datetime.now(timezone.utc))


def to_millis_utc(moment: datetime) -> datetime:
    """The time as the record keeps it: timezone-aware UTC, truncated to the millisecond.

    Cassandra's ``timestamp`` holds milliseconds; keeping exactly that here means the hash
    computed at write time is the hash recomputed from what the sink returns.
    """
    if moment.tzinfo is None:
        raise ValueError(f"audit times must be timezone-aware, got naive {moment.isoformat()}")
    moment = moment.astimezone(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def epoch_millis(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_epoch_millis(millis: int) -> datetime:
    seconds, rest = divmod(millis, 1000)
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=rest * 1000)


_last_formatted: list[tuple[datetime, str]] = []  # the events of one response share one time: spell it once


def format_time(moment: datetime) -> str:
    """``2025-06-01T09:30:00.123Z``: one spelling per instant, for canonical bytes and exports."""
    last = _last_formatted[0] if _last_formatted else None
    if last is not None and last[0] == moment:  # equal aware datetimes are the same instant
        return last[1]
    text = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
    _last_formatted[:] = [(moment, text)]
    return text


_last_id = [0, 0]  # (milliseconds, counter) of the last id this process made
_id_lock = threading.Lock()
_TAIL = (1 << 64) - 1


def new_event_ids(at: datetime, count: int) -> list[uuid.UUID]:
    """``count`` UUIDv7s (RFC 9562): 48 bits of milliseconds, a 12-bit counter, then randomness.

    Made on the client so a replay of the same event carries the same id (and so lands on
    the same row); time-ordered so ids sort the way the record is read. Within one
    millisecond the counter (RFC 9562, method 1) keeps the ids of one process in the order
    they were made, so events written in the same millisecond still read back in order.
    A response's events get theirs together: one system call for the randomness, one lock.
    """
    millis = epoch_millis(at) & ((1 << 48) - 1)
    randomness = os.urandom(10 * count)  # per id: 64 bits for the tail, 11 to start counting
    made: list[uuid.UUID] = []
    with _id_lock:
        for index in range(count):
            random = int.from_bytes(randomness[10 * index:10 * index + 10], "big")
            if millis <= _last_id[0]:
                millis, counter = _last_id[0], _last_id[1] + 1
                if counter > 0xFFF:  # 4,096 ids in one millisecond: borrow the next one
                    millis, counter = millis + 1, 0
            else:
                counter = (random >> 64) & 0x7FF  # room left to count up
            _last_id[0], _last_id[1] = millis, counter
            made.append(uuid.UUID(int=millis << 80 | 0x7 << 76 | counter << 64 | 0x2 << 62 | (random & _TAIL) >> 2))
    return made


def new_event_id(at: datetime) -> uuid.UUID:
    """One UUIDv7 (see :func:`new_event_ids`)."""
    return new_event_ids(at, 1)[0]


def document_hash(document: str) -> str:
    """SHA-256 of a GraphQL document's text, so the record says what was asked without storing it."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True, order=True)
class LoadedFile:
    """One input file of a load: its name, the SHA-256 of its bytes and its data rows."""

    name: str
    sha256: str
    rows: int


class SortedUnique(tuple):
    """A tuple of strings known to be sorted and free of duplicates: already canonical, so an
    event built from it normalises nothing again (hundreds of a response's events share one)."""

    __slots__ = ()


def _sorted_unique(values: Any) -> SortedUnique:
    if type(values) is SortedUnique:
        return values
    return SortedUnique(sorted({str(v) for v in values or ()}))


def _in_millis_utc(moment: datetime) -> datetime:
    if moment.tzinfo is timezone.utc and not moment.microsecond % 1000:
        return moment  # as the record keeps it already
    return to_millis_utc(moment)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One access on record. Build it with :meth:`read` or :meth:`load`.

    ``fields_clear`` and ``fields_masked`` are response paths relative to the customer
    (``ssn``, ``accounts.balance``); a path masked anywhere in the response is listed as
    masked. Load events have no customer and list ``files`` and ``rows`` instead.
    """

    event_id: uuid.UUID
    kind: EventKind
    occurred_at: datetime
    principal: str
    outcome: Outcome
    roles: tuple[str, ...] = ()
    purpose: str | None = None
    customer_id: str | None = None
    fields_clear: tuple[str, ...] = ()
    fields_masked: tuple[str, ...] = ()
    operation_name: str | None = None
    document_hash: str | None = None
    request_id: str | None = None
    client_address: str | None = None
    files: tuple[LoadedFile, ...] = ()
    rows: int | None = None

    def __post_init__(self) -> None:
        # Normalise here, once, so every copy of the event has the same canonical bytes.
        set_ = object.__setattr__
        if type(self.kind) is not EventKind:
            set_(self, "kind", EventKind(self.kind))
        if type(self.outcome) is not Outcome:
            set_(self, "outcome", Outcome(self.outcome))
        set_(self, "occurred_at", _in_millis_utc(self.occurred_at))
        set_(self, "roles", _sorted_unique(self.roles))
        set_(self, "fields_clear", _sorted_unique(self.fields_clear))
        set_(self, "fields_masked", _sorted_unique(self.fields_masked))
        if self.files:
            set_(self, "files", tuple(sorted(LoadedFile(f.name, f.sha256, int(f.rows)) for f in self.files)))
        elif type(self.files) is not tuple:
            set_(self, "files", ())
        if not self.principal:
            raise ValueError("an audit event needs a principal (who accessed the data)")
        if self.kind is EventKind.READ and not self.customer_id:
            raise ValueError("a read event needs the customer id whose data was read")

    @classmethod
    def read(
        cls,
        *,
        customer_id: str,
        principal: str,
        outcome: Outcome | str = Outcome.COMPLETE,
        roles: Any = (),
        purpose: str | None = None,
        fields_clear: Any = (),
        fields_masked: Any = (),
        operation_name: str | None = None,
        document_hash: str | None = None,
        request_id: str | None = None,
        client_address: str | None = None,
        at: datetime | None = None,
    ) -> "AuditEvent":
        """The event for one customer's data in one response."""
        return cls.reads(
            [(customer_id, fields_clear, fields_masked)], principal=principal, outcome=outcome, roles=roles,
            purpose=purpose, operation_name=operation_name, document_hash=document_hash, request_id=request_id,
            client_address=client_address, at=at,
        )[0]

    @classmethod
    def reads(
        cls,
        customers: Iterable[tuple[str, Any, Any]],
        *,
        principal: str,
        outcome: Outcome | str = Outcome.COMPLETE,
        roles: Any = (),
        purpose: str | None = None,
        operation_name: str | None = None,
        document_hash: str | None = None,
        request_id: str | None = None,
        client_address: str | None = None,
        at: datetime | None = None,
    ) -> list["AuditEvent"]:
        """The events of one response: one per ``(customer_id, fields_clear, fields_masked)``,
        all at one time. What they share is put in canonical form once, not once per customer
        (a wide response puts hundreds of customers on the record)."""
        moment = _in_millis_utc(at) if at is not None else utc_now()
        shared = {
            "kind": EventKind.READ, "occurred_at": moment, "principal": principal, "outcome": Outcome(outcome),
            "roles": _sorted_unique(roles), "purpose": purpose, "operation_name": operation_name,
            "document_hash": document_hash, "request_id": request_id, "client_address": client_address,
        }
        paths: dict[frozenset, SortedUnique] = {}  # most customers of a response have the same fields

        def canonical(values: Any) -> SortedUnique:
            if type(values) is SortedUnique:
                return values
            key = frozenset(values or ())
            found = paths.get(key)
            if found is None:
                found = paths[key] = _sorted_unique(key)
            return found

        customers = list(customers)
        return [
            cls(event_id=event_id, customer_id=customer_id, fields_clear=canonical(clear),
                fields_masked=canonical(masked), **shared)
            for event_id, (customer_id, clear, masked) in zip(new_event_ids(moment, len(customers)), customers)
        ]

    @classmethod
    def load(
        cls,
        *,
        principal: str,
        files: Any,
        rows: int,
        outcome: Outcome | str = Outcome.COMPLETE,
        roles: Any = (),
        purpose: str | None = "load",
        request_id: str | None = None,
        client_address: str | None = None,
        at: datetime | None = None,
    ) -> "AuditEvent":
        """The event for one ``c360 load``: who, which files (with hashes), how many rows."""
        moment = to_millis_utc(at) if at is not None else utc_now()
        return cls(
            event_id=new_event_id(moment), kind=EventKind.LOAD, occurred_at=moment, principal=principal,
            outcome=Outcome(outcome), roles=roles, purpose=purpose, files=tuple(files), rows=rows,
            request_id=request_id, client_address=client_address,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields: the canonical form's content, also what exports write."""
        return {
            "event_id": str(self.event_id),
            "kind": self.kind.value,
            "occurred_at": format_time(self.occurred_at),
            "principal": self.principal,
            "roles": list(self.roles),
            "purpose": self.purpose,
            "customer_id": self.customer_id,
            "fields_clear": list(self.fields_clear),
            "fields_masked": list(self.fields_masked),
            "operation_name": self.operation_name,
            "document_hash": self.document_hash,
            "request_id": self.request_id,
            "client_address": self.client_address,
            "outcome": self.outcome.value,
            "files": [{"name": f.name, "sha256": f.sha256, "rows": f.rows} for f in self.files],
            "rows": self.rows,
        }

    @staticmethod
    def contents(events: Iterable["AuditEvent"]) -> list[dict[str, Any]]:
        """``[event.to_dict() for event in events]``, with what consecutive events share made
        once: the events of one response (:meth:`reads`) hold the very same time, roles,
        principal and so on, and differ only in id, customer and fields."""
        made: list[dict[str, Any]] = []
        last: AuditEvent | None = None
        template: dict[str, Any] = {}
        lists: dict[int, tuple[tuple[str, ...], list[str]]] = {}  # id(fields) -> (fields, as a list)

        def as_list(values: tuple[str, ...]) -> list[str]:
            found = lists.get(id(values))
            if found is None or found[0] is not values:
                found = lists[id(values)] = (values, list(values))
            return found[1]

        for event in events:
            if last is None or not event._shares_context_with(last):
                template = event.to_dict()
                last = event
            content = template.copy()
            content["event_id"] = str(event.event_id)
            content["customer_id"] = event.customer_id
            content["fields_clear"] = as_list(event.fields_clear)
            content["fields_masked"] = as_list(event.fields_masked)
            made.append(content)
        return made

    def _shares_context_with(self, other: "AuditEvent") -> bool:
        """Whether everything but id, customer and fields is the same objects (so the same values)."""
        return all(map(operator.is_, _context(self), _context(other)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AuditEvent":
        return cls(
            event_id=uuid.UUID(data["event_id"]),
            kind=EventKind(data["kind"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"].replace("Z", "+00:00")),
            principal=data["principal"],
            outcome=Outcome(data["outcome"]),
            roles=tuple(data.get("roles") or ()),
            purpose=data.get("purpose"),
            customer_id=data.get("customer_id"),
            fields_clear=tuple(data.get("fields_clear") or ()),
            fields_masked=tuple(data.get("fields_masked") or ()),
            operation_name=data.get("operation_name"),
            document_hash=data.get("document_hash"),
            request_id=data.get("request_id"),
            client_address=data.get("client_address"),
            files=tuple(LoadedFile(f["name"], f["sha256"], f["rows"]) for f in data.get("files") or ()),
            rows=data.get("rows"),
        )


_PER_CUSTOMER = ("event_id", "customer_id", "fields_clear", "fields_masked")
_context = operator.attrgetter(*(f.name for f in fields(AuditEvent) if f.name not in _PER_CUSTOMER))
"""An event's fields that one response's events share (every field but the per-customer ones)."""


def canonical_json(value: Any) -> bytes:
    """Stable bytes for a JSON value: sorted keys, no whitespace, UTF-8, control characters
    escaped. These are exactly the bytes of ``json.dumps(value, sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)`` in UTF-8, the form version 1 was defined with
    (a test holds the two equal over every code point); orjson writes them at a third of the cost."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True, slots=True)
class SealedEvent:
    """An event with its place in a writer's hash chain: what the spool and the sinks hold.

    ``hash`` covers the writer, the sequence number, the previous event's hash and the
    event's canonical content (see :mod:`customer360.audit.chain`).
    """

    event: AuditEvent
    writer_id: str
    seq: int
    prev_hash: str
    hash: str

    def to_dict(self, content: dict[str, Any] | None = None) -> dict[str, Any]:
        """``content``: ``event.to_dict()``, when the caller has made it already."""
        return {"writer_id": self.writer_id, "seq": self.seq, "prev_hash": self.prev_hash, "hash": self.hash,
                "event": self.event.to_dict() if content is None else content}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SealedEvent":
        return cls(AuditEvent.from_dict(data["event"]), data["writer_id"], int(data["seq"]), data["prev_hash"],
                   data["hash"])


def canonical_bytes(writer_id: str, seq: int, prev_hash: str, event: AuditEvent,
                    content: dict[str, Any] | None = None) -> bytes:
    """The exact bytes a chain link's hash is computed over. ``content`` is ``event.to_dict()``
    when the caller has it already (the spool stores it too, so it is made once per event)."""
    return canonical_link(writer_id, seq, prev_hash, canonical_json(event.to_dict() if content is None else content))


def canonical_link(writer_id: str, seq: int, prev_hash: str, event_json: bytes) -> bytes:
    """:func:`canonical_bytes` from the event's canonical JSON: ``canonical_json({"v": ...,
    "writer_id": ..., "seq": ..., "prev_hash": ..., "event": ...})`` put together around it, in
    the sorted key order that makes (``event``, ``prev_hash``, ``seq``, ``v``, ``writer_id``),
    so that the spool can store the same bytes without writing the event a second time."""
    return b"".join((
        b'{"event":', event_json, b',"prev_hash":', canonical_json(prev_hash), b',"seq":', canonical_json(seq),
        b',"v":', canonical_json(CANONICAL_VERSION), b',"writer_id":', canonical_json(writer_id), b"}",
    ))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A writer's statement about a run of its chain: seq ``first_seq..last_seq`` has this
    Merkle root, ends in ``head_hash``, and its events occurred between ``first_at`` and
    ``last_at``. Kept in its own table, so rewriting events also means rewriting these."""

    writer_id: str
    first_seq: int
    last_seq: int
    merkle_root: str
    head_hash: str
    first_at: datetime
    last_at: datetime
    created_at: datetime

    def __post_init__(self) -> None:
        for name in ("first_at", "last_at", "created_at"):
            object.__setattr__(self, name, to_millis_utc(getattr(self, name)))
        if self.first_seq < 1 or self.last_seq < self.first_seq:
            raise ValueError(f"checkpoint range {self.first_seq}..{self.last_seq} is empty or starts below 1")

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "writer_id": self.writer_id, "first_seq": self.first_seq, "last_seq": self.last_seq,
            "merkle_root": self.merkle_root, "head_hash": self.head_hash, "first_at": format_time(self.first_at),
            "last_at": format_time(self.last_at), "created_at": format_time(self.created_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Checkpoint":
        def when(text: str) -> datetime:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))

        return cls(data["writer_id"], int(data["first_seq"]), int(data["last_seq"]), data["merkle_root"],
                   data["head_hash"], when(data["first_at"]), when(data["last_at"]), when(data["created_at"]))

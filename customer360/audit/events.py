"""What goes on record: one :class:`AuditEvent` per (request, customer), or per ``c360 load``.

Events are built by whoever saw the access (the GraphQL extension for reads, the CLI for
loads) and are immutable from then on. The events of one response share everything but their
id, customer and fields, so they are built and sealed together as one :class:`AuditRecord`:
one link of the hash chain per response (version 2), not one per customer (version 1, which
records written by earlier versions keep and still verify by).

The canonical bytes (:func:`canonical_bytes`, :func:`canonical_record_link`) are the exact
bytes the hash chain is computed over, so they must come out the same after a round trip
through any sink: times are UTC at millisecond precision (what a CQL ``timestamp`` holds),
lists that are sets in meaning (roles, field paths, files) are sorted, and JSON is written
with sorted keys and no spaces.
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
#: Version 1: one link per event. Version 2: one link per record (a response's events).
CANONICAL_VERSION = 1
RECORD_VERSION = 2


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


def _reserve(at: datetime, count: int) -> tuple[int, int]:
    """The first of ``count`` consecutive (milliseconds, counter) places for UUIDv7s (RFC 9562)
    made at ``at``, as one number: milliseconds times 4,096 plus the counter.

    Ids are made on the client so a replay of the same event carries the same id (and so
    lands on the same row), and time-ordered so they sort the way the record is read. Within
    one millisecond the counter (RFC 9562, method 1) keeps the ids of one process in the
    order they were made, so events written in the same millisecond still read back in order;
    a millisecond starts counting at a random point with room left to count up. Past 4,096
    ids in one millisecond the count borrows the next one. A response's ids get theirs
    together, under one lock.
    """
    millis = epoch_millis(at) & ((1 << 48) - 1)
    with _id_lock:
        if millis <= _last_id[0]:
            millis, counter = _last_id[0], _last_id[1] + 1
        else:
            counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
        last = counter + count - 1
        _last_id[0], _last_id[1] = millis + (last >> 12), last & 0xFFF
    return millis << 12 | counter


def new_event_ids(at: datetime, count: int) -> list[uuid.UUID]:
    """``count`` UUIDv7s made at ``at``: 48 bits of milliseconds, a 12-bit counter
    (:func:`_reserve`), the variant, then 62 random bits."""
    first = _reserve(at, count)
    randomness = os.urandom(8 * count)
    return [uuid.UUID(int=(place >> 12) << 80 | 0x7 << 76 | (place & 0xFFF) << 64 | 0x2 << 62
                      | int.from_bytes(randomness[8 * index:8 * index + 8], "big") >> 2)
            for index, place in enumerate(range(first, first + count))]


_COUNTERS = [f"{counter:03x}" for counter in range(4096)]
_VARIANT_BITS = bytes((byte & 0x3F) | 0x80 for byte in range(256))
"""A random byte as the first byte of a UUID's variant group (bits ``10xx xxxx``)."""


def new_event_id_texts(at: datetime, count: int) -> list[str]:
    """:func:`new_event_ids` as the canonical text a record stores. A wide response makes
    hundreds, so they are spelled a millisecond's run at a time by C calls (random groups
    split from one hex string, the counters from a table, one ``str.format`` each), with no
    Python step per id."""
    if count <= 0:
        return []
    place = _reserve(at, count)
    variant_groups = bytearray(os.urandom(2 * count))
    variant_groups[0::2] = variant_groups[0::2].translate(_VARIANT_BITS)
    variants = variant_groups.hex("-", 2).split("-")
    nodes = os.urandom(6 * count).hex("-", 6).split("-")
    texts: list[str] = []
    while len(texts) < count:
        millis, counter = place >> 12, place & 0xFFF
        run = min(count - len(texts), 4096 - counter)
        h = f"{millis:012x}"
        done = len(texts)
        texts.extend(map(f"{h[:8]}-{h[8:]}-7{{}}-{{}}-{{}}".format, _COUNTERS[counter:counter + run],
                         variants[done:done + run], nodes[done:done + run]))
        place += run
    return texts


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
    return SortedUnique(_paths(values))


def _paths(values: Any) -> tuple[str, ...]:
    """Strings sorted and free of duplicates, as a plain tuple."""
    return tuple(sorted({str(v) for v in values or ()}))


def parse_time(text: str) -> datetime:
    """A time as :func:`format_time` spells it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _files(data: dict[str, Any]) -> tuple[LoadedFile, ...]:
    return tuple(LoadedFile(f["name"], f["sha256"], int(f["rows"])) for f in data.get("files") or ())


def _shared_content(source: "AuditEvent | AuditRecord") -> dict[str, Any]:
    """What the events of one record share, JSON-ready: the canonical content of an event
    (:meth:`AuditEvent.to_dict`) and of a record (:meth:`AuditRecord.to_dict`) both start here."""
    return {
        "kind": source.kind.value,
        "occurred_at": format_time(source.occurred_at),
        "principal": source.principal,
        "roles": list(source.roles),
        "purpose": source.purpose,
        "operation_name": source.operation_name,
        "document_hash": source.document_hash,
        "request_id": source.request_id,
        "client_address": source.client_address,
        "outcome": source.outcome.value,
        "files": [{"name": f.name, "sha256": f.sha256, "rows": f.rows} for f in source.files],
        "rows": source.rows,
    }


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
        moment = _in_millis_utc(at) if at is not None else utc_now()
        return cls(
            event_id=new_event_id(moment), kind=EventKind.READ, occurred_at=moment, principal=principal,
            outcome=Outcome(outcome), roles=roles, purpose=purpose, customer_id=customer_id, fields_clear=fields_clear,
            fields_masked=fields_masked, operation_name=operation_name, document_hash=document_hash,
            request_id=request_id, client_address=client_address,
        )

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
        content = _shared_content(self)
        content.update(event_id=str(self.event_id), customer_id=self.customer_id, fields_clear=list(self.fields_clear),
                       fields_masked=list(self.fields_masked))
        return content

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AuditEvent":
        return cls(
            event_id=uuid.UUID(data["event_id"]),
            kind=EventKind(data["kind"]),
            occurred_at=parse_time(data["occurred_at"]),
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
            files=_files(data),
            rows=data.get("rows"),
        )


Entry = tuple[str, "str | None", tuple[str, ...], tuple[str, ...]]
"""One event of a record: ``(event_id, customer_id, fields_clear, fields_masked)``, the field
paths sorted and unique (a load's one entry has no customer). Plain tuples, so that a record
of hundreds of customers goes to JSON (its hash, the embedded sink's rows) in one C call."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """The events of one response (or of one load): what they share, once, and one
    :class:`Entry` per event, in the order they take in the chain.

    A record is sealed as ONE link of its writer's chain (version 2): a response about 375
    customers is one hash and one spool row, not 375, and the sinks still store and answer
    one event per (request, customer) (:meth:`events`).
    """

    kind: EventKind
    occurred_at: datetime
    principal: str
    outcome: Outcome
    entries: tuple[Entry, ...]
    roles: SortedUnique = SortedUnique()
    purpose: str | None = None
    operation_name: str | None = None
    document_hash: str | None = None
    request_id: str | None = None
    client_address: str | None = None
    files: tuple[LoadedFile, ...] = ()
    rows: int | None = None

    def __post_init__(self) -> None:
        if not self.entries:
            raise ValueError("an audit record needs at least one event")
        if not self.principal:
            raise ValueError("an audit event needs a principal (who accessed the data)")
        if self.kind is EventKind.READ and not all(customer_id for _, customer_id, _, _ in self.entries):
            raise ValueError("a read event needs the customer id whose data was read")

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
    ) -> "AuditRecord":
        """The record of one response: one event per ``(customer_id, fields_clear, fields_masked)``."""
        moment = _in_millis_utc(at) if at is not None else utc_now()
        paths: dict[frozenset, tuple[str, ...]] = {}  # most customers of a response have the same fields

        def canonical(values: Any) -> tuple[str, ...]:
            key = frozenset(values or ())
            found = paths.get(key)
            if found is None:
                found = paths[key] = _paths(key)
            return found

        customers = list(customers)
        entries = tuple(
            (event_id, str(customer_id), canonical(clear), canonical(masked))
            for event_id, (customer_id, clear, masked) in zip(new_event_id_texts(moment, len(customers)), customers)
        )
        return cls(EventKind.READ, moment, principal, Outcome(outcome), entries, _sorted_unique(roles), purpose,
                   operation_name, document_hash, request_id, client_address)

    @classmethod
    def grouped(cls, events: Iterable[AuditEvent]) -> list["AuditRecord"]:
        """Events as records: consecutive events that share everything but id, customer and
        fields go in one record (the events of one response do)."""
        records: list[AuditRecord] = []
        context: tuple | None = None
        entries: list[Entry] = []
        first: AuditEvent | None = None
        for event in events:
            shared = _context(event)
            if first is not None and shared != context:
                records.append(cls._of(first, entries))
                entries = []
            if not entries:
                first, context = event, shared
            entries.append((str(event.event_id), event.customer_id, tuple(_sorted_unique(event.fields_clear)),
                            tuple(_sorted_unique(event.fields_masked))))
        if first is not None:
            records.append(cls._of(first, entries))
        return records

    @classmethod
    def _of(cls, e: AuditEvent, entries: list[Entry]) -> "AuditRecord":
        return cls(e.kind, e.occurred_at, e.principal, e.outcome, tuple(entries), _sorted_unique(e.roles), e.purpose,
                   e.operation_name, e.document_hash, e.request_id, e.client_address, e.files, e.rows)

    def events(self) -> list[AuditEvent]:
        """One event per entry, as the sinks store and readers see them."""
        return [
            AuditEvent(
                event_id=uuid.UUID(event_id), kind=self.kind, occurred_at=self.occurred_at,
                principal=self.principal, outcome=self.outcome, roles=self.roles, purpose=self.purpose,
                customer_id=customer_id, fields_clear=SortedUnique(clear), fields_masked=SortedUnique(masked),
                operation_name=self.operation_name, document_hash=self.document_hash, request_id=self.request_id,
                client_address=self.client_address, files=self.files, rows=self.rows,
            )
            for event_id, customer_id, clear, masked in self.entries
        ]

    def to_dict(self) -> dict[str, Any]:
        """The canonical form's content: what its events share, and the ``events`` (:data:`Entry` arrays)."""
        content = _shared_content(self)
        content["events"] = self.entries
        return content

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AuditRecord":
        entries = tuple((event_id, customer_id, _paths(clear), _paths(masked))
                        for event_id, customer_id, clear, masked in data["events"])
        return cls(
            EventKind(data["kind"]), _in_millis_utc(parse_time(data["occurred_at"])),
            data["principal"], Outcome(data["outcome"]), entries, _sorted_unique(data.get("roles")), data.get("purpose"),
            data.get("operation_name"), data.get("document_hash"), data.get("request_id"), data.get("client_address"),
            tuple(sorted(_files(data))),
            data.get("rows"),
        )


_PER_EVENT = ("event_id", "customer_id", "fields_clear", "fields_masked")
_context = operator.attrgetter(*(f.name for f in fields(AuditEvent) if f.name not in _PER_EVENT))
"""An event's fields that the events of one record share (every field but the per-event ones)."""


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
    #: For an event sealed with the others of its record (version 2): the sequence numbers of
    #: the record's first and last events. ``hash`` and ``prev_hash`` are then the record's.
    link_first: int | None = None
    link_last: int | None = None

    def to_dict(self) -> dict[str, Any]:
        made = {"writer_id": self.writer_id, "seq": self.seq, "prev_hash": self.prev_hash, "hash": self.hash,
                "event": self.event.to_dict()}
        if self.link_first is not None:
            made.update(link_first=self.link_first, link_last=self.link_last)
        return made

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SealedEvent":
        return cls(AuditEvent.from_dict(data["event"]), data["writer_id"], int(data["seq"]), data["prev_hash"],
                   data["hash"], data.get("link_first"), data.get("link_last"))


@dataclass(frozen=True, slots=True)
class SealedLink:
    """One link of a writer's chain: a record at sequence numbers ``seq`` .. :attr:`last_seq`
    (one per event), after ``prev_hash``. What the spool holds and the drainer ships.

    Version 2 hashes the whole record (:func:`canonical_record_link`); version 1, what earlier
    versions spooled, is one event hashed alone (:func:`canonical_bytes`)."""

    record: AuditRecord
    writer_id: str
    seq: int
    prev_hash: str
    hash: str
    version: int = RECORD_VERSION

    @property
    def size(self) -> int:
        """Events in the link."""
        return len(self.record.entries)

    @property
    def last_seq(self) -> int:
        return self.seq + self.size - 1

    def sealed_events(self) -> list[SealedEvent]:
        """The record's events in their places of the chain, as the sinks store them."""
        events = self.record.events()
        if self.version == CANONICAL_VERSION:
            return [SealedEvent(events[0], self.writer_id, self.seq, self.prev_hash, self.hash)]
        last = self.last_seq
        return [SealedEvent(event, self.writer_id, self.seq + index, self.prev_hash, self.hash, self.seq, last)
                for index, event in enumerate(events)]

    @classmethod
    def of_event(cls, sealed: SealedEvent) -> "SealedLink":
        """A version-1 link: one event, sealed alone."""
        return cls(AuditRecord.grouped([sealed.event])[0], sealed.writer_id, sealed.seq, sealed.prev_hash, sealed.hash,
                   CANONICAL_VERSION)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SealedLink":
        """A link from its spooled body (either version)."""
        if "record" not in data:
            return cls.of_event(SealedEvent.from_dict(data))
        return cls(AuditRecord.from_dict(data["record"]), data["writer_id"], int(data["seq"]), data["prev_hash"],
                   data["hash"], int(data["v"]))


def canonical_bytes(writer_id: str, seq: int, prev_hash: str, event: AuditEvent) -> bytes:
    """The exact bytes the hash of an event sealed alone (version 1) is computed over:
    ``canonical_json({"event": ..., "prev_hash": ..., "seq": ..., "v": 1, "writer_id": ...})``,
    put together around the event's canonical JSON in that (sorted) key order."""
    return b"".join((
        b'{"event":', canonical_json(event.to_dict()), b',"prev_hash":', canonical_json(prev_hash),
        b',"seq":', canonical_json(seq), b',"v":', canonical_json(CANONICAL_VERSION), b',"writer_id":',
        canonical_json(writer_id), b"}",
    ))


def canonical_record_link(writer_id: str, seq: int, prev_hash: str, record_json: bytes) -> bytes:
    """The exact bytes a version-2 link's hash is computed over: ``canonical_json({"prev_hash":
    ..., "record": ..., "seq": ..., "v": 2, "writer_id": ...})`` put together around the
    record's canonical JSON (``seq``: the record's first event's)."""
    return b"".join((
        b'{"prev_hash":', canonical_json(prev_hash), b',"record":', record_json, b',"seq":', canonical_json(seq),
        b',"v":', canonical_json(RECORD_VERSION), b',"writer_id":', canonical_json(writer_id), b"}",
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
        return cls(data["writer_id"], int(data["first_seq"]), int(data["last_seq"]), data["merkle_root"],
                   data["head_hash"], parse_time(data["first_at"]), parse_time(data["last_at"]),
                   parse_time(data["created_at"]))

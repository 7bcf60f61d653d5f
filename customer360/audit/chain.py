"""The per-writer hash chain: each link's hash covers its predecessor's hash.

A link is one record: the events of one response, or one load (version 2; version 1, what
earlier versions wrote, is one event). Its events take consecutive sequence numbers, so a
missing event still leaves a gap. Changing, removing or inserting one event breaks its link,
or the link to the next one, so a verifier walking the chain in sequence order finds the
first place it was touched. The hash is plain
SHA-256: anyone can recompute it, which is what makes it checkable by an auditor without a
secret; what stops a forger from rewriting the whole tail is the checkpoints (their own
table, and logged as they are made; see :mod:`customer360.audit.merkle`) and the copies of
each event's hash in the other tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from customer360.audit.events import (
    AuditEvent,
    AuditRecord,
    SealedEvent,
    SealedLink,
    canonical_bytes,
    canonical_json,
    canonical_record_link,
)

#: The ``prev_hash`` of a writer's first event.
GENESIS = "0" * 64


def link_hash(writer_id: str, seq: int, prev_hash: str, event: AuditEvent) -> str:
    """The hash of ``event`` sealed alone (version 1)."""
    return hashlib.sha256(canonical_bytes(writer_id, seq, prev_hash, event)).hexdigest()


def seal(event: AuditEvent, writer_id: str, seq: int, prev_hash: str) -> SealedEvent:
    """Put ``event`` alone at position ``seq`` of ``writer_id``'s chain, after ``prev_hash``:
    version 1, as earlier versions sealed every event (what verify must still recognise)."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    return SealedEvent(event, writer_id, seq, prev_hash, link_hash(writer_id, seq, prev_hash, event))


def seal_record(record: AuditRecord, writer_id: str, seq: int, prev_hash: str) -> tuple[SealedLink, bytes]:
    """Put ``record`` at ``seq`` (its first event's place) of ``writer_id``'s chain, after
    ``prev_hash``; also return the link's canonical bytes (the spool keeps them as the stored body)."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    link = canonical_record_link(writer_id, seq, prev_hash, canonical_json(record.to_dict()))
    return SealedLink(record, writer_id, seq, prev_hash, hashlib.sha256(link).hexdigest()), link


def content_matches(sealed: SealedEvent) -> bool:
    """Whether the stored hash is still the hash of the stored content (an event sealed alone)."""
    return link_hash(sealed.writer_id, sealed.seq, sealed.prev_hash, sealed.event) == sealed.hash


def record_matches(events: Sequence[SealedEvent]) -> bool:
    """Whether the stored events of one record, all of them in sequence order, still hash to
    the record's stored hash: they must share everything a record shares, and its link."""
    first = events[0]
    records = AuditRecord.grouped(sealed.event for sealed in events)
    if len(records) != 1 or any((e.prev_hash, e.hash, e.link_first, e.link_last) !=
                                (first.prev_hash, first.hash, first.link_first, first.link_last) for e in events):
        return False
    link = canonical_record_link(first.writer_id, first.seq, first.prev_hash, canonical_json(records[0].to_dict()))
    return hashlib.sha256(link).hexdigest() == first.hash

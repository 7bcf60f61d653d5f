"""The per-writer hash chain: each event's hash covers its predecessor's hash.

Changing, removing or inserting one event breaks the link to the next one, so a verifier
walking the chain in sequence order finds the first place it was touched. The hash is plain
SHA-256: anyone can recompute it, which is what makes it checkable by an auditor without a
secret; what stops a forger from rewriting the whole tail is the checkpoints (their own
table, and logged as they are made; see :mod:`customer360.audit.merkle`) and the copies of
each event's hash in the other tables.
"""

from __future__ import annotations

import hashlib
from typing import Any

from customer360.audit.events import (
    AuditEvent,
    SealedEvent,
    canonical_bytes,
    canonical_json,
    canonical_link,
)

#: The ``prev_hash`` of a writer's first event.
GENESIS = "0" * 64


def link_hash(writer_id: str, seq: int, prev_hash: str, event: AuditEvent,
              content: dict[str, Any] | None = None) -> str:
    return hashlib.sha256(canonical_bytes(writer_id, seq, prev_hash, event, content)).hexdigest()


def seal(event: AuditEvent, writer_id: str, seq: int, prev_hash: str,
         content: dict[str, Any] | None = None) -> SealedEvent:
    """Put ``event`` at position ``seq`` of ``writer_id``'s chain, after ``prev_hash``
    (``content``: ``event.to_dict()``, when the caller has made it already)."""
    return seal_link(event, writer_id, seq, prev_hash, canonical_json(event.to_dict() if content is None else content))[0]


def seal_link(event: AuditEvent, writer_id: str, seq: int, prev_hash: str,
              event_json: bytes) -> tuple[SealedEvent, bytes]:
    """:func:`seal`, from the event's canonical JSON, also returning the link's canonical bytes
    (the spool keeps them as the stored body)."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    link = canonical_link(writer_id, seq, prev_hash, event_json)
    return SealedEvent(event, writer_id, seq, prev_hash, hashlib.sha256(link).hexdigest()), link


def content_matches(sealed: SealedEvent) -> bool:
    """Whether the stored hash is still the hash of the stored content."""
    return link_hash(sealed.writer_id, sealed.seq, sealed.prev_hash, sealed.event) == sealed.hash

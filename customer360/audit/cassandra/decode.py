"""Rows of the CQL tables back into sealed events and checkpoints, exactly as written.

The driver returns ``timestamp`` columns as naive UTC datetimes and absent (unset) frozen
lists as ``None``; both are mapped back so the event's canonical bytes, and so its hash,
come out as they went in.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from customer360.audit.events import AuditEvent, Checkpoint, LoadedFile, SealedEvent


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def event(row: Any) -> SealedEvent:
    """A row of ``events_by_writer``, ``events_by_customer`` or ``events_by_principal``."""
    return SealedEvent(
        AuditEvent(
            event_id=row.event_id, kind=row.kind, occurred_at=_utc(row.occurred_at), principal=row.principal,
            outcome=row.outcome, roles=row.roles or (), purpose=row.purpose, customer_id=row.customer_id,
            fields_clear=row.fields_clear or (), fields_masked=row.fields_masked or (),
            operation_name=row.operation_name, document_hash=row.document_hash, request_id=row.request_id,
            client_address=row.client_address, files=tuple(LoadedFile(*f) for f in row.files or ()),
            rows=row.row_count,
        ),
        row.writer_id, row.seq, row.prev_hash, row.hash, row.link_first, row.link_last,
    )


def checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(row.writer_id, row.first_seq, row.last_seq, row.merkle_root, row.head_hash,
                      _utc(row.first_at), _utc(row.last_at), _utc(row.created_at))

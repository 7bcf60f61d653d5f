"""Rows of the embedded sink's tables back into sealed events and checkpoints, exactly as
they were written (so their hashes recompute)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from customer360.audit.events import (
    AuditEvent,
    Checkpoint,
    LoadedFile,
    SealedEvent,
    from_epoch_millis,
)


def event(row: Sequence) -> SealedEvent:
    (writer_id, seq, event_id, kind, occurred_ms, principal, roles, purpose, customer_id, fields_clear,
     fields_masked, operation_name, document_hash, request_id, client_address, outcome, files, row_count,
     prev_hash, hash_, link_first, link_last) = row
    return SealedEvent(
        AuditEvent(
            event_id=uuid.UUID(event_id), kind=kind, occurred_at=from_epoch_millis(occurred_ms), principal=principal,
            outcome=outcome, roles=json.loads(roles), purpose=purpose, customer_id=customer_id,
            fields_clear=json.loads(fields_clear), fields_masked=json.loads(fields_masked),
            operation_name=operation_name, document_hash=document_hash, request_id=request_id,
            client_address=client_address, files=tuple(LoadedFile(*f) for f in json.loads(files)), rows=row_count,
        ),
        writer_id, seq, prev_hash, hash_, link_first, link_last,
    )


def checkpoint(row: Sequence) -> Checkpoint:
    writer_id, first_seq, last_seq, root, head, first_ms, last_ms, created_ms = row
    return Checkpoint(writer_id, first_seq, last_seq, root, head, from_epoch_millis(first_ms),
                      from_epoch_millis(last_ms), from_epoch_millis(created_ms))

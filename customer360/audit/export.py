"""Everything on record about one customer, as JSON Lines or CSV: a data-subject access request.

The export streams: it reads the trail a page at a time (newest first) and writes each page
before asking for the next, so memory stays flat however long the record is, and a progress
bar on stderr counts the events.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from typing import TextIO

from tqdm import tqdm

from customer360.audit.events import SealedEvent
from customer360.audit.paging import Cursor, PageRequest
from customer360.audit.protocol import AuditSink

FORMATS = ("jsonl", "csv")
#: Events per sink read.
EXPORT_PAGE = 500

CSV_COLUMNS = (
    "event_id", "occurred_at", "kind", "customer_id", "principal", "roles", "purpose", "fields_clear",
    "fields_masked", "outcome", "operation_name", "document_hash", "request_id", "client_address",
    "writer_id", "seq", "hash", "link_first", "link_last",
)


def export_record(sealed: SealedEvent) -> dict:
    """One event as exported: its fields, plus where it sits in the chain (to verify it by):
    for an event sealed with the rest of its response's record, ``hash`` is the record's, and
    ``link_first``..``link_last`` the record's places (null for an event sealed alone)."""
    record = sealed.event.to_dict()
    record.update(writer_id=sealed.writer_id, seq=sealed.seq, prev_hash=sealed.prev_hash, hash=sealed.hash,
                  link_first=sealed.link_first, link_last=sealed.link_last)
    return record


def _csv_row(sealed: SealedEvent) -> dict:
    record = export_record(sealed)
    return {column: ";".join(record[column]) if isinstance(record[column], list) else record[column]
            for column in CSV_COLUMNS}


async def export_customer(
    sink: AuditSink,
    customer_id: str,
    out: TextIO,
    *,
    fmt: str = "jsonl",
    since: datetime | None = None,
    until: datetime | None = None,
    progress: bool = True,
) -> int:
    """Write every event about ``customer_id`` in the window to ``out``; return how many."""
    if fmt not in FORMATS:
        raise ValueError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    bar = tqdm(desc=f"exporting {customer_id}", unit=" events", file=sys.stderr, disable=not progress)
    written = 0
    after: Cursor | None = None
    try:
        while True:
            page = await sink.audit_trail(customer_id, PageRequest(EXPORT_PAGE, since, until, after))
            for sealed in page.events:
                if writer is not None:
                    writer.writerow(_csv_row(sealed))
                else:
                    out.write(json.dumps(export_record(sealed), ensure_ascii=False, sort_keys=True) + "\n")
            written += len(page.events)
            bar.update(len(page.events))
            if not page.has_next:
                return written
            after = Cursor.of(page.events[-1])
    finally:
        bar.close()


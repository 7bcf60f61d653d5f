"""SQLite rows -> plan results, reading every column by the name its emitter gave it.

Rows are ``sqlite3.Row`` objects; each decoder here belongs to the statement of the same
name in :mod:`.emit`, which hands it over in its :class:`~customer360.graphstore.compiled.Compiled`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from customer360.graphstore.mapping import records_of, stored_name
from customer360.graphstore.pages import empty_pages, page_of
from customer360.graphstore.plan import (
    BankTotals,
    Counterparties,
    CounterpartyRow,
    FindPersons,
    Keyset,
    MetricsRow,
    Page,
    PersonOrder,
    Traverse,
    VertexLabel,
)

Rows = Sequence[sqlite3.Row]


def vertices(label: VertexLabel, rows: Rows) -> dict[str, Any]:
    key, record = label.key, records_of(label)
    return {row[key]: record(row) for row in rows}


def traverse(step: Traverse, rows: Rows) -> dict[str, Page]:
    """Rows come per source: those past the cursor first, in page order (``after_ok``), then
    at most one from before the cursor, kept only to carry the source's total."""
    label = step.target
    key, record = label.key, records_of(label)
    order_column = key if step.order is None else stored_name(label, step.order.prop)
    past_cursor: dict[str, list[sqlite3.Row]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["src"]] = row["total"]
        if row["after_ok"]:
            past_cursor.setdefault(row["src"], []).append(row)
    pages = empty_pages(step.source_keys, step.with_total)
    for source, matched in past_cursor.items():
        pages[source] = page_of(
            matched, step.first, record, lambda row: Keyset(row[order_column], row[key]),
        )
    if step.with_total:
        for source, total in totals.items():
            pages[source].total = total
    return pages


def find_persons(step: FindPersons, rows: Rows) -> Page:
    """An empty page still has one (sentinel) row: it carries the total."""
    if step.order is PersonOrder.NAME:
        def keyset(row: sqlite3.Row) -> Keyset:
            return Keyset([row["last_name"], row["first_name"]], row["person_id"])
    else:
        def keyset(row: sqlite3.Row) -> Keyset:
            return Keyset(row["total_balance_cents"], row["person_id"])
    total = rows[0]["total"] if rows and step.with_total else None
    matched = [row for row in rows if row["person_id"] is not None]
    return page_of(matched, step.first, records_of(VertexLabel.PERSON), keyset, total)


def counterparties(step: Counterparties, rows: Rows) -> dict[str, list[CounterpartyRow]]:
    result: dict[str, list[CounterpartyRow]] = {key: [] for key in step.source_keys}
    for row in rows:
        result[row["src"]].append(CounterpartyRow(row["account_id"], row["transaction_count"], row["volume_cents"]))
    return result


def _metrics(row: sqlite3.Row) -> MetricsRow:
    types = row["account_types"]
    return MetricsRow(
        row["person_id"], row["num_accounts"], row["total_balance_cents"], row["num_transactions"],
        row["total_volume_cents"], tuple(sorted(types.split(","))) if types else (),
    )


def secrets(rows: Rows) -> dict[str, str]:
    return {row["person_id"]: row["secret"] for row in rows}


def metrics_by_person(rows: Rows) -> dict[str, MetricsRow]:
    return {row["person_id"]: _metrics(row) for row in rows}


def metrics_list(rows: Rows) -> list[MetricsRow]:
    return [_metrics(row) for row in rows]


def bank_totals(rows: Rows) -> BankTotals:
    row = rows[0]
    return BankTotals(
        row["accounts"], row["transactions"], row["total_volume_cents"], row["shared_addresses"],
        row["shared_phones"], row["shared_counterparties"],
    )


def state_value(rows: Rows) -> str | None:
    return rows[0]["value"] if rows else None


def keys(rows: Rows) -> set[str]:
    return {row["key"] for row in rows}


def nothing(rows: Rows) -> None:
    return None


def snapshot(rows: Rows) -> dict | None:
    """A JSON document kept in the state table (the dashboard), parsed."""
    return json.loads(rows[0]["value"]) if rows else None

"""Gremlin results -> plan results. Every traversal returns named projections or value maps
(never whole vertices or edges: gremlinpython cannot decode JanusGraph's relation ids,
JanusGraph issue #4121), so every value is read by its name.

Each decoder belongs to the traversal of the same name in :mod:`.emit`.
"""

from __future__ import annotations

import json
from typing import Any

from customer360.graphstore.mapping import records_of
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


def vertices(label: VertexLabel, rows: list[dict[str, Any]]) -> dict[str, Any]:
    key, record = label.key, records_of(label)
    return {row[key]: record(row) for row in rows}


def traverse(step: Traverse, order_column: str, result: list[dict[str, Any]]) -> dict[str, Page]:
    key, record = step.target.key, records_of(step.target)
    pages = empty_pages(step.source_keys, step.with_total)
    for item in result:
        pages[item["src"]] = page_of(
            item["rows"], step.first, record, lambda row: Keyset(row[order_column], row[key]),
            item["total"] if step.with_total else None,
        )
    return pages


def find_persons(step: FindPersons, result: list[dict[str, Any]]) -> Page:
    [item] = result
    if step.order is PersonOrder.NAME:
        def keyset(row: dict[str, Any]) -> Keyset:
            return Keyset([row["last_name"], row["first_name"]], row["person_id"])
    else:
        def keyset(row: dict[str, Any]) -> Keyset:
            return Keyset(row["total_balance_cents"], row["person_id"])
    return page_of(
        item["rows"], step.first, records_of(VertexLabel.PERSON), keyset,
        item["total"] if step.with_total else None,
    )


def counterparties(step: Counterparties, result: list[dict[str, Any]]) -> dict[str, list[CounterpartyRow]]:
    found: dict[str, list[CounterpartyRow]] = {key: [] for key in step.source_keys}
    for item in result:
        found[item["src"]] = [CounterpartyRow(r["account_id"], r["n"], r["volume"]) for r in item["rows"]]
    return found


def secrets(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {row["person_id"]: row["secret"] for row in rows}


def _metrics(row: dict[str, Any]) -> MetricsRow:
    return MetricsRow(
        row["person_id"], row["n_acc"], row["balance"], row["n_tx"], row["volume"], tuple(sorted(row["types"]))
    )


def metrics_by_person(rows: list[dict[str, Any]]) -> dict[str, MetricsRow]:
    return {row["person_id"]: _metrics(row) for row in rows}


def metrics_list(rows: list[dict[str, Any]]) -> list[MetricsRow]:
    return [_metrics(row) for row in rows]


def bank_totals(rows: list[dict[str, Any]]) -> BankTotals:
    [row] = rows
    return BankTotals(
        row["accounts"], row["transactions"], row["volume"], row["addresses"], row["phones"], row["counterparties"]
    )


def state_value(values: list[str]) -> str | None:
    return values[0] if values else None


def snapshot(values: list[str]) -> dict | None:
    return json.loads(values[0]) if values else None


def keys(values: list[str]) -> set[str]:
    return set(values)


def nothing(result: list[Any]) -> None:
    return None

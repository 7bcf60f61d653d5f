"""The network steps (:mod:`customer360.graphstore.network_plan`) in SQL: for each step, its
ONE parameterised statement and, beside it, the decoder for that statement's rows.

As in :mod:`.emit`, values never enter the text: key batches are JSON arrays bound as
parameters and read back with ``json_each``; the only words pasted into the text are table,
column and label names from :mod:`.schema`, :mod:`customer360.graphstore.mapping` and the
plan's enums. Vertex records travel as ``json_object`` (by property name), never by position.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from customer360.backend_calls import CompiledQuery
from customer360.graphstore.compiled import Compiled
from customer360.graphstore.mapping import STORED_PROPERTIES, record_of
from customer360.graphstore.network_plan import (
    EdgeLabel,
    Expand,
    ExpandEach,
    Expansion,
    Locate,
    ReceiverRow,
    RelatedPersons,
    Relation,
    RelationRow,
    SharedRow,
    SharedVertices,
    TopReceivers,
    VertexRef,
    edge_between,
    finish_expansion,
)
from customer360.graphstore.pages import page_of
from customer360.graphstore.plan import Keyset, Page, VertexLabel
from customer360.graphstore.sqlite.decode import Rows
from customer360.graphstore.sqlite.emit import keys_param
from customer360.graphstore.sqlite.schema import EDGE_TABLES, VERTEX_TABLES

_NO_LIMIT = 1 << 62


def _record_json(label: VertexLabel, alias: str) -> str:
    """A vertex's stored properties as one JSON object, by name (read by ``record_of``)."""
    pairs = ", ".join(f"'{column}', {alias}.{column}" for column in STORED_PROPERTIES[label])
    return f"json_object({pairs})"


def _record(label: VertexLabel, payload: str) -> Any:
    return record_of(label, json.loads(payload))


# ------------------------------------------------------------------ locate


def locate(step: Locate) -> Compiled[CompiledQuery, dict[str, list[tuple[VertexRef, Any]]]]:
    if not step.keys:
        return Compiled(None, decode_locate)
    branches = [
        f"SELECT '{label.value}' AS label, v.{label.key} AS key, {_record_json(label, 'v')} AS record "
        f"FROM {VERTEX_TABLES[label]} AS v WHERE v.{label.key} IN (SELECT value FROM json_each(:keys))"
        for label in VertexLabel
    ]
    text = " UNION ALL ".join(branches) + " ORDER BY label"
    return Compiled(CompiledQuery("locate", text, {"keys": keys_param(step.keys)}), decode_locate)


def decode_locate(rows: Rows) -> dict[str, list[tuple[VertexRef, Any]]]:
    found: dict[str, list[tuple[VertexRef, Any]]] = {}
    for row in rows:
        label = VertexLabel(row["label"])
        found.setdefault(row["key"], []).append((VertexRef(label, row["key"]), _record(label, row["record"])))
    return found


# ------------------------------------------------------------------ expand


def _expand_part(index: int, part: Expand, params: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """The CTEs and output SELECTs of one part (``None`` when it cannot reach anything).

    ``x{i}_e``: every edge at the frontier (frontier end, other end, whether the frontier is
    the edge's out-vertex); ``x{i}_fresh``: the distinct other ends not excluded, numbered in
    vertex order. Outputs: one ``more`` row (how many fresh), the edges to the kept fresh
    vertices, and (``with_records``) each kept vertex's record as a JSON array.
    """
    prefix = f"x{index}"
    branches: list[str] = []
    present = set(part.labels_present())
    for label in present:
        params[f"{prefix}_f_{label.value}"] = keys_param(part.frontier_keys(label))
    for edge in part.edge_labels:
        table = EDGE_TABLES[edge]
        out_label, in_label = edge.endpoints
        for frontier_label, other_label, near, far, is_out in (
            (out_label, in_label, table.out_column, table.in_column, 1),
            (in_label, out_label, table.in_column, table.out_column, 0),
        ):
            if frontier_label not in present:
                continue
            branches.append(
                f"SELECT '{edge.value}' AS edge, '{frontier_label.value}' AS f_label, {near} AS f_key, "
                f"'{other_label.value}' AS n_label, {far} AS n_key, {is_out} AS f_is_out FROM {table.name} "
                f"WHERE {near} IN (SELECT value FROM json_each(:{prefix}_f_{frontier_label.value}))"
            )
    if not branches:
        return None
    params[f"{prefix}_seen"] = json.dumps(
        [[label.value, key] for label in VertexLabel for key in part.excluded_keys(label)]
    )
    params[f"{prefix}_limit"] = _NO_LIMIT if part.limit is None else part.limit
    ctes = [
        f"{prefix}_e AS MATERIALIZED ({' UNION ALL '.join(branches)})",
        f"{prefix}_fresh AS MATERIALIZED (SELECT n_label, n_key, ROW_NUMBER() OVER (ORDER BY n_label, n_key) AS rn "
        f"FROM (SELECT DISTINCT n_label, n_key FROM {prefix}_e) WHERE (n_label, n_key) NOT IN "
        f"(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:{prefix}_seen)))",
    ]
    outputs = [
        f"SELECT {index} AS part, 'more' AS kind, NULL AS edge, NULL AS f_label, NULL AS f_key, NULL AS n_label, "
        f"NULL AS n_key, NULL AS f_is_out, COUNT(*) AS payload FROM {prefix}_fresh",
        f"SELECT {index}, 'edge', e.edge, e.f_label, e.f_key, e.n_label, e.n_key, e.f_is_out, NULL "
        f"FROM {prefix}_e AS e JOIN {prefix}_fresh AS k ON k.n_label = e.n_label AND k.n_key = e.n_key "
        f"WHERE k.rn <= :{prefix}_limit",
    ]
    if part.with_records:
        reachable: set[VertexLabel] = set()
        for edge in part.edge_labels:
            out_label, in_label = edge.endpoints
            if out_label in present:
                reachable.add(in_label)
            if in_label in present:
                reachable.add(out_label)
        for label in VertexLabel:
            if label not in reachable:
                continue
            outputs.append(
                f"SELECT {index}, 'node', NULL, NULL, NULL, k.n_label, k.n_key, NULL, {_record_json(label, 'v')} "
                f"FROM {prefix}_fresh AS k JOIN {VERTEX_TABLES[label]} AS v ON v.{label.key} = k.n_key "
                f"WHERE k.n_label = '{label.value}' AND k.rn <= :{prefix}_limit"
            )
    return ctes, outputs


def expand(step: ExpandEach) -> Compiled[CompiledQuery, list[Expansion]]:
    """All parts in one statement (no statement when no part can reach anything)."""
    decoder = partial(decode_expand, step)
    params: dict[str, Any] = {}
    ctes: list[str] = []
    outputs: list[str] = []
    for index, part in enumerate(step.parts):
        compiled = _expand_part(index, part, params)
        if compiled is not None:
            ctes += compiled[0]
            outputs += compiled[1]
    if not outputs:
        return Compiled(None, decoder)
    text = f"WITH {', '.join(ctes)} {' UNION ALL '.join(outputs)} ORDER BY part, kind, n_label, n_key"
    name = "expand" if len(step.parts) == 1 else f"expand_each({len(step.parts)})"
    return Compiled(CompiledQuery(name, text, params), decoder)


def decode_expand(step: ExpandEach, rows: Rows) -> list[Expansion]:
    results = [Expansion() for _ in step.parts]
    for row in rows:
        result = results[row["part"]]
        if row["kind"] == "more":
            result.total_new = row["payload"]
        elif row["kind"] == "edge":
            frontier = VertexRef(VertexLabel(row["f_label"]), row["f_key"])
            other = VertexRef(VertexLabel(row["n_label"]), row["n_key"])
            result.edges.append(edge_between(EdgeLabel(row["edge"]), frontier, other, bool(row["f_is_out"])))
        else:
            ref = VertexRef(VertexLabel(row["n_label"]), row["n_key"])
            result.records[ref] = _record(ref.label, row["payload"])
    for part, result in zip(step.parts, results):
        frontier = set(part.frontier)
        new = {edge.target if edge.source in frontier else edge.source for edge in result.edges}
        result.new = list(new)
        finish_expansion(part, result)
    return results


# ------------------------------------------------------------------ related persons


def related_persons(step: RelatedPersons) -> Compiled[CompiledQuery, dict[str, list[RelationRow]]]:
    """Four relation kinds, each one SELECT, in one statement.

    ``mine`` holds the given persons' accounts; ``sent_to`` the distinct (person, account
    they paid) pairs; ``small`` the paid accounts with at most ``:max_senders`` distinct
    sending accounts (hubs are left out of SHARED_COUNTERPARTY).
    """
    decoder = partial(decode_related_persons, step)
    if not step.person_keys:
        return Compiled(None, decoder)
    params = {"persons": keys_param(step.person_keys), "max_senders": step.max_counterparty_senders}
    text = f"""
WITH src AS MATERIALIZED (SELECT DISTINCT value AS person_id FROM json_each(:persons)),
mine AS MATERIALIZED (
  SELECT a.owner_person_id AS p, a.account_id FROM account AS a JOIN src ON src.person_id = a.owner_person_id),
sent_to AS MATERIALIZED (
  SELECT DISTINCT m.p, t.to_account_id AS c FROM mine AS m JOIN txn AS t ON t.from_account_id = m.account_id),
small AS MATERIALIZED (
  SELECT c FROM (SELECT DISTINCT c FROM sent_to) AS paid
  WHERE (SELECT COUNT(*) FROM (SELECT DISTINCT t.from_account_id FROM txn AS t WHERE t.to_account_id = paid.c
                               LIMIT :max_senders + 1)) <= :max_senders)
SELECT l1.person_id AS person_id, l2.person_id AS other_id, '{Relation.SHARED_ADDRESS.value}' AS relation,
       l1.address_id AS item, 1 AS count, 0 AS volume_cents
  FROM src CROSS JOIN lives_at AS l1 ON l1.person_id = src.person_id
  JOIN lives_at AS l2 ON l2.address_id = l1.address_id AND l2.person_id <> l1.person_id
UNION ALL
SELECT h1.person_id, h2.person_id, '{Relation.SHARED_PHONE.value}', h1.phone_id, 1, 0
  FROM src CROSS JOIN has_phone AS h1 ON h1.person_id = src.person_id
  JOIN has_phone AS h2 ON h2.phone_id = h1.phone_id AND h2.person_id <> h1.person_id
UNION ALL
SELECT m.p, o.owner_person_id, '{Relation.TRANSFERS.value}', 'sent', COUNT(*), SUM(t.amount_cents)
  FROM mine AS m JOIN txn AS t ON t.from_account_id = m.account_id
  JOIN account AS o ON o.account_id = t.to_account_id
  WHERE o.owner_person_id <> m.p GROUP BY m.p, o.owner_person_id
UNION ALL
SELECT m.p, o.owner_person_id, '{Relation.TRANSFERS.value}', 'received', COUNT(*), SUM(t.amount_cents)
  FROM mine AS m JOIN txn AS t ON t.to_account_id = m.account_id
  JOIN account AS o ON o.account_id = t.from_account_id
  WHERE o.owner_person_id <> m.p GROUP BY m.p, o.owner_person_id
UNION ALL
SELECT DISTINCT s.p, o.owner_person_id, '{Relation.SHARED_COUNTERPARTY.value}', s.c, 1, 0
  FROM sent_to AS s JOIN small ON small.c = s.c
  JOIN account AS ca ON ca.account_id = s.c
  JOIN txn AS t ON t.to_account_id = s.c
  JOIN account AS o ON o.account_id = t.from_account_id
  WHERE o.owner_person_id <> s.p AND ca.owner_person_id <> s.p AND ca.owner_person_id <> o.owner_person_id
ORDER BY 1, 2, 3, 4
"""
    return Compiled(CompiledQuery("related_persons", " ".join(text.split()), params), decoder)


def decode_related_persons(step: RelatedPersons, rows: Rows) -> dict[str, list[RelationRow]]:
    result: dict[str, list[RelationRow]] = {key: [] for key in step.person_keys}
    for row in rows:
        result[row["person_id"]].append(RelationRow(
            row["person_id"], row["other_id"], Relation(row["relation"]), row["item"], row["count"],
            row["volume_cents"],
        ))
    return result


# ------------------------------------------------------------------ shared addresses / phones


def shared_vertices(step: SharedVertices) -> Compiled[CompiledQuery, Page]:
    """One page of groups plus (when asked) the count of all groups, with a sentinel row so
    an empty page still carries the total (as in ``compile_find_persons``)."""
    edge = EDGE_TABLES[step.kind.edge]
    link, key = edge.name, edge.in_column
    params: dict[str, Any] = {"min_persons": step.min_persons, "limit": step.first + 1}
    fewer, later, order = ("<", ">", "n DESC, k ASC") if not step.reverse else (">", "<", "n ASC, k DESC")
    after = ""
    if step.after is not None:
        params["after_n"] = step.after.value
        params["after_key"] = step.after.key
        after = f"WHERE n {fewer} :after_n OR (n = :after_n AND k {later} :after_key)"
    total = "(SELECT COUNT(*) FROM groups)" if step.with_total else "NULL"
    text = (
        f"WITH groups AS MATERIALIZED (SELECT {key} AS k, COUNT(DISTINCT person_id) AS n, "
        f"json_group_array(DISTINCT person_id) AS persons FROM {link} GROUP BY {key} "
        f"HAVING COUNT(DISTINCT person_id) >= :min_persons), "
        f"page AS (SELECT k, n, persons FROM groups {after} ORDER BY {order} LIMIT :limit) "
        f"SELECT page.k AS k, page.n AS n, page.persons AS persons, {total} AS total "
        f"FROM (SELECT 1) LEFT JOIN page ON 1 ORDER BY {order}"  # the output columns n and k
    )
    return Compiled(CompiledQuery(step.kind.operation, text, params), partial(decode_shared_vertices, step))


def decode_shared_vertices(step: SharedVertices, rows: Rows) -> Page:
    """An empty page still has one (sentinel) row: it carries the total."""
    total = rows[0]["total"] if rows and step.with_total else None
    return page_of(
        [row for row in rows if row["k"] is not None], step.first,
        lambda row: SharedRow(row["k"], tuple(sorted(json.loads(row["persons"])))),
        lambda row: Keyset(row["n"], row["k"]), total,
    )


# ------------------------------------------------------------------ top receivers


def top_receivers(step: TopReceivers) -> Compiled[CompiledQuery, list[ReceiverRow]]:
    if step.first <= 0:
        return Compiled(None, decode_top_receivers)
    text = (
        "SELECT to_account_id AS account_id, COUNT(*) AS n, SUM(amount_cents) AS volume, "
        "COUNT(DISTINCT from_account_id) AS senders "
        "FROM txn GROUP BY to_account_id ORDER BY n DESC, volume DESC, to_account_id ASC LIMIT :limit"
    )
    return Compiled(CompiledQuery("top_receivers", text, {"limit": step.first}), decode_top_receivers)


def decode_top_receivers(rows: Rows) -> list[ReceiverRow]:
    return [ReceiverRow(row["account_id"], row["n"], row["volume"], row["senders"]) for row in rows]

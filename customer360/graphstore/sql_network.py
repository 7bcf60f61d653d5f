"""SQL for the network steps (:mod:`.network`): each step is ONE parameterised statement.

As in :mod:`.sql`, values never enter the text: key batches are JSON arrays bound as
parameters and read back with ``json_each``; the only words pasted into the text are table,
column and label names from the fixed tables of :mod:`.sql` and :mod:`.plan`.

The executors take a :class:`~customer360.graphstore.sqlite.SqliteStore` and run their
statement through ``store._run_async`` (and so through the call log of :mod:`.calls`).
"""

from __future__ import annotations

import sys

import json
from typing import TYPE_CHECKING, Any

from customer360.backend_calls import CompiledQuery
from customer360.graphstore.network import (
    dispatch,
    EdgeLabel,
    Expand,
    ExpandEach,
    Expansion,
    Locate,
    NetworkStep,
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
from customer360.graphstore.plan import Keyset, Page, VertexLabel
from customer360.graphstore.sql import EDGE_TABLES, VERTEX_TABLES, keys_param

if TYPE_CHECKING:
    from customer360.graphstore.sqlite import SqliteStore

_NO_LIMIT = 1 << 62


def _record_json(label: VertexLabel, alias: str) -> str:
    """A vertex's columns, in record order, as one JSON array (read back by the decoders)."""
    table = VERTEX_TABLES[label]
    return f"json_array({', '.join(f'{alias}.{column}' for column in table.columns)})"


# ------------------------------------------------------------------ locate


def compile_locate(step: Locate) -> CompiledQuery:
    branches = []
    for label in VertexLabel:
        table = VERTEX_TABLES[label]
        branches.append(
            f"SELECT '{label.value}' AS label, {_record_json(label, 'v')} AS record FROM {table.name} AS v "
            f"WHERE v.{table.key} IN (SELECT value FROM json_each(:keys))"
        )
    text = " UNION ALL ".join(branches) + " ORDER BY label"
    return CompiledQuery("locate", text, {"keys": keys_param(step.keys)})


async def locate(store: SqliteStore, step: Locate) -> dict[str, list[tuple[VertexRef, Any]]]:
    from customer360.graphstore.sqlite import DECODERS

    found: dict[str, list[tuple[VertexRef, Any]]] = {}
    if not step.keys:
        return found
    for label_name, payload in await store._run_async(compile_locate(step)):
        label = VertexLabel(label_name)
        row = json.loads(payload)
        found.setdefault(row[0], []).append((VertexRef(label, row[0]), DECODERS[label](row)))
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
            table = VERTEX_TABLES[label]
            outputs.append(
                f"SELECT {index}, 'node', NULL, NULL, NULL, k.n_label, k.n_key, NULL, {_record_json(label, 'v')} "
                f"FROM {prefix}_fresh AS k JOIN {table.name} AS v ON v.{table.key} = k.n_key "
                f"WHERE k.n_label = '{label.value}' AND k.rn <= :{prefix}_limit"
            )
    return ctes, outputs


def compile_expand(step: ExpandEach) -> CompiledQuery | None:
    """All parts in one statement (``None`` when no part can reach anything)."""
    params: dict[str, Any] = {}
    ctes: list[str] = []
    outputs: list[str] = []
    for index, part in enumerate(step.parts):
        compiled = _expand_part(index, part, params)
        if compiled is not None:
            ctes += compiled[0]
            outputs += compiled[1]
    if not outputs:
        return None
    text = f"WITH {', '.join(ctes)} {' UNION ALL '.join(outputs)} ORDER BY part, kind, n_label, n_key"
    name = "expand" if len(step.parts) == 1 else f"expand_each({len(step.parts)})"
    return CompiledQuery(name, text, params)


async def expand(store: SqliteStore, step: ExpandEach) -> list[Expansion]:
    from customer360.graphstore.sqlite import DECODERS

    results = [Expansion() for _ in step.parts]
    query = compile_expand(step)
    if query is None:
        return results
    for part, kind, edge, f_label, f_key, n_label, n_key, f_is_out, payload in await store._run_async(query):
        result = results[part]
        if kind == "more":
            result.total_new = payload
        elif kind == "edge":
            frontier = VertexRef(VertexLabel(f_label), f_key)
            other = VertexRef(VertexLabel(n_label), n_key)
            result.edges.append(edge_between(EdgeLabel(edge), frontier, other, bool(f_is_out)))
        else:
            ref = VertexRef(VertexLabel(n_label), n_key)
            result.records[ref] = DECODERS[ref.label](json.loads(payload))
    for part, result in zip(step.parts, results):
        frontier = set(part.frontier)
        new = {edge.target if edge.source in frontier else edge.source for edge in result.edges}
        result.new = list(new)
        finish_expansion(part, result)
    return results


# ------------------------------------------------------------------ related persons


def compile_related(step: RelatedPersons) -> CompiledQuery:
    """Four relation kinds, each one SELECT, in one statement.

    ``mine`` holds the given persons' accounts; ``sent_to`` the distinct (person, account
    they paid) pairs; ``small`` the paid accounts with at most ``:max_senders`` distinct
    sending accounts (hubs are left out of SHARED_COUNTERPARTY).
    """
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
SELECT l1.person_id, l2.person_id, '{Relation.SHARED_ADDRESS.value}', l1.address_id, 1, 0
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
    return CompiledQuery("related_persons", " ".join(text.split()), params)


async def related(store: SqliteStore, step: RelatedPersons) -> dict[str, list[RelationRow]]:
    result: dict[str, list[RelationRow]] = {key: [] for key in step.person_keys}
    if not step.person_keys:
        return result
    for person, other, relation, item, count, volume in await store._run_async(compile_related(step)):
        result[person].append(RelationRow(person, other, Relation(relation), item, count, volume))
    return result


# ------------------------------------------------------------------ shared addresses / phones

_SHARED_TABLES = {
    "address": ("lives_at", "address_id"),
    "phone": ("has_phone", "phone_id"),
}


def compile_shared(step: SharedVertices) -> CompiledQuery:
    """One page of groups plus (when asked) the count of all groups, with a sentinel row so
    an empty page still carries the total (as in ``compile_find_persons``)."""
    link, key = _SHARED_TABLES[step.kind.value]
    params: dict[str, Any] = {"min_persons": step.min_persons, "limit": step.first + 1}
    after = ""
    if step.after is not None:
        params["after_n"] = step.after.value
        params["after_key"] = step.after.key
        after = "WHERE n < :after_n OR (n = :after_n AND k > :after_key)"
    total = "(SELECT COUNT(*) FROM groups)" if step.with_total else "NULL"
    text = (
        f"WITH groups AS MATERIALIZED (SELECT {key} AS k, COUNT(DISTINCT person_id) AS n, "
        f"json_group_array(DISTINCT person_id) AS persons FROM {link} GROUP BY {key} "
        f"HAVING COUNT(DISTINCT person_id) >= :min_persons), "
        f"page AS (SELECT k, n, persons FROM groups {after} ORDER BY n DESC, k ASC LIMIT :limit) "
        f"SELECT page.k, page.n, page.persons, {total} AS total FROM (SELECT 1) LEFT JOIN page ON 1 "
        f"ORDER BY page.n DESC, page.k ASC"
    )
    return CompiledQuery(step.kind.operation, text, params)


async def shared(store: SqliteStore, step: SharedVertices) -> Page:
    rows = await store._run_async(compile_shared(step))
    page = Page(rows=[], total=rows[0][3] if rows and step.with_total else None)
    for key, count, persons, _total in rows:
        if key is None:  # the sentinel row of an empty page
            continue
        if len(page.rows) == step.first:
            page.has_next = True
            break
        page.rows.append(SharedRow(key, tuple(sorted(json.loads(persons)))))
        page.keysets.append(Keyset(count, key))
    return page


# ------------------------------------------------------------------ top receivers


def compile_top_receivers(step: TopReceivers) -> CompiledQuery:
    text = (
        "SELECT to_account_id, COUNT(*) AS n, SUM(amount_cents) AS volume, COUNT(DISTINCT from_account_id) "
        "FROM txn GROUP BY to_account_id ORDER BY n DESC, volume DESC, to_account_id ASC LIMIT :limit"
    )
    return CompiledQuery("top_receivers", text, {"limit": step.first})


async def top_receivers(store: SqliteStore, step: TopReceivers) -> list[ReceiverRow]:
    if step.first <= 0:
        return []
    return [ReceiverRow(*row) for row in await store._run_async(compile_top_receivers(step))]


# ------------------------------------------------------------------ dispatch


async def run(store: SqliteStore, step: NetworkStep) -> Any:
    """What ``SqliteStore.network(step)`` delegates to."""
    return await dispatch(sys.modules[__name__], store, step)

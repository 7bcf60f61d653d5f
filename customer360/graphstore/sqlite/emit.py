"""The SQL emitter: each plan step becomes ONE parameterised SQLite statement and its decoder.

Nothing user-supplied is ever pasted into the text: values (including whole batches of
keys, passed as a single JSON array through ``json_each``) are bound parameters, and the
only identifiers in the text come from :mod:`.schema` and :mod:`customer360.graphstore.mapping`.
Every selected column is named (``AS``), and :mod:`.decode` reads rows by those names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from customer360.backend_calls import CompiledQuery
from customer360.graphstore.compiled import Compiled
from customer360.graphstore.mapping import SSN_ENCRYPTED, STORED_PROPERTIES, stored_name
from customer360.graphstore.plan import (
    Counterparties,
    CounterpartyRow,
    Direction,
    FindPersons,
    GetVertices,
    Hop,
    Keyset,
    MetricsRow,
    Op,
    Order,
    Page,
    PersonFilter,
    PersonMetrics,
    PersonOrder,
    PersonSecrets,
    Predicate,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.sqlite import decode
from customer360.graphstore.sqlite.schema import EDGE_TABLES, VERTEX_TABLES

SqlStep = Compiled[CompiledQuery, Any]

_COMPARISONS = {Op.EQ: "=", Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}


def keys_param(keys: tuple[str, ...] | list[str]) -> str:
    """A whole batch of keys as one bound parameter (read back with ``json_each``)."""
    return json.dumps(list(keys))


def selected(label: VertexLabel, alias: str) -> str:
    """A vertex's stored properties, each selected under its own name."""
    return ", ".join(f"{alias}.{column} AS {column}" for column in STORED_PROPERTIES[label])


def get_vertices(step: GetVertices) -> Compiled[CompiledQuery, dict[str, Any]]:
    if not step.keys:
        return Compiled(None, partial(decode.vertices, step.label))
    text = (
        f"SELECT {selected(step.label, 'v')} FROM {VERTEX_TABLES[step.label]} AS v "
        f"WHERE v.{step.label.key} IN (SELECT value FROM json_each(:keys))"
    )
    query = CompiledQuery(f"get_vertices({step.label.value})", text, {"keys": keys_param(step.keys)})
    return Compiled(query, partial(decode.vertices, step.label))


def keyset_condition(order_sql: list[tuple[str, bool]], after: Keyset, bind: Bind) -> str:
    """``(a, b, key) > (:v0, :v1, :key)`` with the comparison flipped for descending order."""
    values = list(after.value) if isinstance(after.value, (list, tuple)) else [after.value]
    values.append(after.key)
    descending = order_sql[0][1]
    placeholders = [bind(f"after_{index}", value) for index, value in enumerate(values)]
    columns = ", ".join(column for column, _ in order_sql)
    return f"({columns}) {'<' if descending else '>'} ({', '.join(placeholders)})"


def order_columns(label: VertexLabel, alias: str, order: Order | None) -> list[tuple[str, bool]]:
    key = f"{alias}.{label.key}"
    if order is None or order.prop == label.key:
        return [(key, bool(order and order.descending))]
    return [(f"{alias}.{stored_name(label, order.prop)}", order.descending), (key, order.descending)]


def hop_name(hop: Hop) -> str:
    return f"{hop.direction.value}({hop.edge.value})"


def path_joins(path: tuple[Hop, ...], prefix: str = "e", target: str = "t") -> tuple[list[str], str, str]:
    """The joins along ``path`` (aliases ``{prefix}0``, ``{prefix}1``... and ``target``), the
    column holding the source key, and the alias of the vertex reached."""
    joins: list[str] = []
    current = ""
    source_expr = ""
    for index, hop in enumerate(path):
        edge = EDGE_TABLES[hop.edge]
        from_col, to_col = (
            (edge.out_column, edge.in_column) if hop.direction is Direction.OUT else (edge.in_column, edge.out_column)
        )
        alias = f"{prefix}{index}"
        if index == 0:
            joins.append(f"{edge.name} AS {alias}")
            source_expr = f"{alias}.{from_col}"
        else:
            joins.append(f"JOIN {edge.name} AS {alias} ON {alias}.{from_col} = {current}")
        current = f"{alias}.{to_col}"
    reached = path[-1].target
    target_table = VERTEX_TABLES[reached]
    last_alias = f"{prefix}{len(path) - 1}"
    if EDGE_TABLES[path[-1].edge].name == target_table and current == f"{last_alias}.{reached.key}":
        return joins, source_expr, last_alias  # the edge lives in the target's own table (SENT): no second join
    joins.append(f"JOIN {target_table} AS {target} ON {target}.{reached.key} = {current}")
    return joins, source_expr, target


Bind = Callable[[str, Any], str]
"""Binds a value (under a name, where the statement keeps readable names) and gives its placeholder."""


def binder(params: dict[str, Any]) -> Bind:
    """Binds into ``params`` under the name given."""
    def bind(name: str, value: Any) -> str:
        params[name] = value
        return f":{name}"

    return bind


def predicate_conditions(label: VertexLabel, alias: str, where: tuple[Predicate, ...], bind: Bind) -> list[str]:
    """A step's conditions on the properties of the vertex aliased ``alias``."""
    conditions = []
    for index, predicate in enumerate(where):
        column = f"{alias}.{stored_name(label, predicate.prop)}"
        if predicate.op is Op.WITHIN:
            conditions.append(f"{column} IN (SELECT value FROM json_each({bind(f'p{index}', json.dumps(list(predicate.value)))}))")
        else:
            conditions.append(f"{column} {_COMPARISONS[predicate.op]} {bind(f'p{index}', predicate.value)}")
    return conditions


def persons_matching(flt: PersonFilter, bind: Bind) -> str:
    """The persons the customers list holds (those with a summary row) that match ``flt``:
    their stored properties and total balance, under their own names."""
    conditions = _person_conditions(flt, bind)
    return (
        f"SELECT {selected(VertexLabel.PERSON, 'p')}, s.total_balance_cents AS total_balance_cents "
        f"FROM person AS p JOIN person_summary AS s ON s.person_id = p.person_id"
        + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
    )


def person_order(order: PersonOrder, descending: bool, alias: str | None = None) -> list[tuple[str, bool]]:
    """The customers list's page order over :func:`persons_matching`'s columns (of ``alias``)."""
    prefix = f"{alias}." if alias else ""
    by = ["last_name", "first_name"] if order is PersonOrder.NAME else ["total_balance_cents"]
    return [(f"{prefix}{column}", descending) for column in [*by, "person_id"]]


def _person_conditions(flt: PersonFilter, bind: Bind) -> list[str]:
    """The ``customers`` filter over a person aliased ``p`` and its summary row ``s``."""
    conditions: list[str] = []
    if flt.name_contains:
        escaped = flt.name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(f"(p.first_name || ' ' || p.last_name) LIKE {bind('name', f'%{escaped}%')} ESCAPE '\\'")
    if flt.state:
        conditions.append(
            "EXISTS (SELECT 1 FROM lives_at AS l JOIN address AS a ON a.address_id = l.address_id "
            f"WHERE l.person_id = p.person_id AND a.state = {bind('state', flt.state)})"
        )
    if flt.has_account_type:
        conditions.append(
            "EXISTS (SELECT 1 FROM account AS ac "
            f"WHERE ac.owner_person_id = p.person_id AND ac.account_type = {bind('account_type', flt.has_account_type)})"
        )
    if flt.min_total_balance_cents is not None:
        conditions.append(f"s.total_balance_cents >= {bind('min_balance', flt.min_total_balance_cents)}")
    if flt.max_total_balance_cents is not None:
        conditions.append(f"s.total_balance_cents <= {bind('max_balance', flt.max_total_balance_cents)}")
    if flt.segment_tier is not None:
        conditions.append(f"s.segment_tier = {bind('segment_tier', flt.segment_tier)}")
    if flt.risk_level is not None:
        conditions.append(f"s.risk_level = {bind('risk_level', flt.risk_level)}")
    return conditions


def order_text(order_sql: list[tuple[str, bool]]) -> str:
    return ", ".join(f"{col} {'DESC' if desc else 'ASC'}" for col, desc in order_sql)


def traverse(step: Traverse) -> Compiled[CompiledQuery, dict[str, Page]]:
    """One statement for every source of the step: :func:`_top_rows` when a page is all
    that is asked for, :func:`_windowed` when totals are too."""
    decoder = partial(decode.traverse, step)
    if not step.source_keys:
        return Compiled(None, decoder)
    text, params = _top_rows(step) if step.first is not None and not step.with_total else _windowed(step)
    return Compiled(CompiledQuery(f"traverse({'.'.join(hop_name(h) for h in step.path)})", text, params), decoder)


def _top_rows(step: Traverse) -> tuple[str, dict[str, Any]]:
    """Per source, its first ``first + 1`` rows past the cursor, read from the index in page
    order and nothing more: a correlated ``LIMIT`` per source, where :func:`_windowed` numbers
    every row of every source (a third of the time for ten payments of each of 200 accounts).

    Rows come out as :func:`_windowed` gives them (``after_ok`` 1, no total), so one decoder reads both.
    """
    assert step.first is not None
    params: dict[str, Any] = {"sources": keys_param(tuple(dict.fromkeys(step.source_keys))), "limit": step.first + 1}
    joins, source_expr, t = path_joins(step.path)
    conditions = [f"{source_expr} = s.value", *predicate_conditions(step.target, t, step.where, binder(params))]
    order_sql = order_columns(step.target, t, step.order)
    if step.after:
        conditions.append(keyset_condition(order_sql, step.after, binder(params)))
    page = (
        f"SELECT {t}.rowid FROM {' '.join(joins)} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {order_text(order_sql)} LIMIT :limit"
    )
    out = "o"
    text = (
        f"SELECT s.value AS src, {selected(step.target, out)}, NULL AS total, 1 AS after_ok "
        f"FROM json_each(:sources) AS s JOIN {VERTEX_TABLES[step.target]} AS {out} ON {out}.rowid IN ({page}) "
        f"ORDER BY src, {order_text(order_columns(step.target, out, step.order))}"
    )
    return text, params


def _windowed(step: Traverse) -> tuple[str, dict[str, Any]]:
    """Joins along the path, per-source windows for ``first``/``after`` and totals.

    ``after_ok`` splits each source's rows into those past the cursor and those before it;
    one row of the "before" side is kept when nothing follows the cursor, so that
    ``total`` (which ignores the cursor, as Relay's totalCount does) is never lost.
    """
    params: dict[str, Any] = {"sources": keys_param(step.source_keys)}
    joins, source_expr, t = path_joins(step.path)
    conditions = [f"{source_expr} IN (SELECT value FROM json_each(:sources))", *predicate_conditions(step.target, t, step.where, binder(params))]
    order_sql = order_columns(step.target, t, step.order)
    ordering = order_text(order_sql)
    after_ok = keyset_condition(order_sql, step.after, binder(params)) if step.after else "1"
    total = f"COUNT(*) OVER (PARTITION BY {source_expr})" if step.with_total else "NULL"
    matched = (
        f"SELECT {source_expr} AS src, {selected(step.target, t)}, {total} AS total, ({after_ok}) AS after_ok, "
        f"ROW_NUMBER() OVER (PARTITION BY {source_expr}, ({after_ok}) ORDER BY {ordering}) AS rn "
        f"FROM {' '.join(joins)} WHERE {' AND '.join(conditions)}"
    )
    keep = "after_ok"
    if step.first is not None:
        params["limit"] = step.first + 1  # one extra row tells whether a next page exists
        keep = "after_ok AND rn <= :limit"
    text = (
        f"SELECT * FROM ({matched}) WHERE ({keep}) OR (NOT after_ok AND rn = 1) "
        f"ORDER BY src, after_ok DESC, rn"
    )
    return text, params


def find_persons(step: FindPersons) -> Compiled[CompiledQuery, Page]:
    """One page of persons plus, when asked, the count of all that match (same statement)."""
    params: dict[str, Any] = {"limit": step.first + 1}
    matched = persons_matching(step.filter, binder(params))
    order_sql = person_order(step.order, step.descending)
    ordering = order_text(order_sql)
    page_conditions = [keyset_condition(order_sql, step.after, binder(params))] if step.after else []
    page = (
        "SELECT * FROM matched"
        + (f" WHERE {' AND '.join(page_conditions)}" if page_conditions else "")
        + f" ORDER BY {ordering} LIMIT :limit"
    )
    total = "(SELECT COUNT(*) FROM matched)" if step.with_total else "NULL"
    text = (
        f"WITH matched AS ({matched}), page AS ({page}) "
        f"SELECT page.*, {total} AS total FROM (SELECT 1) LEFT JOIN page ON 1 "
        f"ORDER BY {ordering}"
    )
    return Compiled(CompiledQuery("find_persons", text, params), partial(decode.find_persons, step))


def counterparties(step: Counterparties) -> Compiled[CompiledQuery, dict[str, list[CounterpartyRow]]]:
    decoder = partial(decode.counterparties, step)
    if not step.source_keys:
        return Compiled(None, decoder)
    params: dict[str, Any] = {"sources": keys_param(step.source_keys)}
    limit = ""
    if step.first is not None:
        params["limit"] = step.first
        limit = "WHERE rn <= :limit"
    text = (
        "SELECT src, account_id, transaction_count, volume_cents FROM ("
        "SELECT from_account_id AS src, to_account_id AS account_id, COUNT(*) AS transaction_count, "
        "SUM(amount_cents) AS volume_cents, ROW_NUMBER() OVER (PARTITION BY from_account_id "
        "ORDER BY COUNT(*) DESC, SUM(amount_cents) DESC, to_account_id) AS rn "
        "FROM txn WHERE from_account_id IN (SELECT value FROM json_each(:sources)) "
        f"GROUP BY from_account_id, to_account_id) {limit} ORDER BY src, rn"
    )
    return Compiled(CompiledQuery("counterparties", text, params), decoder)


_METRICS_COLUMNS = (
    "s.person_id AS person_id, s.num_accounts AS num_accounts, s.total_balance_cents AS total_balance_cents, "
    "s.num_transactions AS num_transactions, s.total_volume_cents AS total_volume_cents, "
    "(SELECT group_concat(DISTINCT a.account_type) FROM account AS a WHERE a.owner_person_id = s.person_id) "
    "AS account_types"
)


def person_metrics(step: PersonMetrics) -> Compiled[CompiledQuery, dict[str, MetricsRow]]:
    if not step.keys:
        return Compiled(None, decode.metrics_by_person)
    text = (
        f"SELECT {_METRICS_COLUMNS} FROM person_summary AS s "
        "WHERE s.person_id IN (SELECT value FROM json_each(:keys))"
    )
    return Compiled(CompiledQuery("person_metrics", text, {"keys": keys_param(step.keys)}), decode.metrics_by_person)


def person_secrets(step: PersonSecrets) -> Compiled[CompiledQuery, dict[str, str]]:
    if not step.keys:
        return Compiled(None, decode.secrets)
    text = (
        f"SELECT person_id, {SSN_ENCRYPTED} AS secret FROM person "
        "WHERE person_id IN (SELECT value FROM json_each(:keys))"
    )
    return Compiled(CompiledQuery("person_secrets", text, {"keys": keys_param(step.keys)}), decode.secrets)


def person_metrics_page(after: str, limit: int) -> Compiled[CompiledQuery, list[MetricsRow]]:
    """Every person's aggregates, a page at a time in key order (the insight refresh)."""
    text = (
        f"SELECT {_METRICS_COLUMNS} FROM person_summary AS s WHERE s.person_id > :after "
        "ORDER BY s.person_id LIMIT :limit"
    )
    return Compiled(CompiledQuery("person_metrics_page", text, {"after": after, "limit": limit}), decode.metrics_list)


BANK_TOTALS_TEXT = """
SELECT (SELECT COUNT(*) FROM account) AS accounts,
       (SELECT COUNT(*) FROM txn) AS transactions,
       (SELECT COALESCE(SUM(amount_cents), 0) FROM txn) AS total_volume_cents,
       (SELECT COUNT(*) FROM (SELECT address_id FROM lives_at GROUP BY address_id HAVING COUNT(*) > 1))
           AS shared_addresses,
       (SELECT COUNT(*) FROM (SELECT phone_id FROM has_phone GROUP BY phone_id HAVING COUNT(*) > 1))
           AS shared_phones,
       (SELECT COUNT(*) FROM (SELECT to_account_id FROM txn GROUP BY to_account_id
                              HAVING COUNT(DISTINCT from_account_id) > 1)) AS shared_counterparties
"""


def bank_totals() -> Compiled[CompiledQuery, Any]:
    return Compiled(CompiledQuery("bank_totals", " ".join(BANK_TOTALS_TEXT.split())), decode.bank_totals)


def read_state(key: str) -> Compiled[CompiledQuery, str | None]:
    return Compiled(
        CompiledQuery("read_state", "SELECT value FROM c360_state WHERE key = :key", {"key": key}),
        decode.state_value,
    )


def existing_keys(label: VertexLabel, keys: list[str]) -> Compiled[CompiledQuery, set[str]]:
    text = (
        f"SELECT {label.key} AS key FROM {VERTEX_TABLES[label]} "
        f"WHERE {label.key} IN (SELECT value FROM json_each(:keys))"
    )
    return Compiled(CompiledQuery(f"existing_keys({label.value})", text, {"keys": keys_param(keys)}), decode.keys)


def ping() -> Compiled[CompiledQuery, Any]:
    return Compiled(CompiledQuery("ping", "SELECT COUNT(*) AS n FROM person LIMIT 1"), decode.nothing)


def snapshot(key: str) -> Compiled[CompiledQuery, dict | None]:
    """A JSON document kept in the state table (the dashboard), parsed."""
    return Compiled(read_state(key).query, decode.snapshot)

"""The SQL emitter: each plan step becomes ONE parameterised SQLite statement.

Nothing user-supplied is ever pasted into the text: values (including whole batches of
keys, passed as a single JSON array through ``json_each``) are bound parameters, and the
only identifiers in the text come from the fixed tables below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from customer360.backend_calls import CompiledQuery
from customer360.graphstore.plan import (
    Counterparties,
    Direction,
    EdgeLabel,
    FindPersons,
    GetVertices,
    PersonMetrics,
    Keyset,
    Op,
    Order,
    PersonOrder,
    Traverse,
    VertexLabel,
)


@dataclass(frozen=True, slots=True)
class VertexTable:
    name: str
    key: str
    columns: tuple[str, ...]  # selected, in record order
    properties: dict[str, str]  # plan property name -> column


@dataclass(frozen=True, slots=True)
class EdgeTable:
    name: str
    out_column: str
    in_column: str


VERTEX_TABLES: dict[VertexLabel, VertexTable] = {
    VertexLabel.PERSON: VertexTable(
        "person", "person_id",
        ("person_id", "first_name", "last_name", "date_of_birth", "ssn"),
        {"first_name": "first_name", "last_name": "last_name"},
    ),
    VertexLabel.ACCOUNT: VertexTable(
        "account", "account_id",
        ("account_id", "owner_person_id", "account_type", "balance_cents", "status"),
        {"account_type": "account_type", "balance": "balance_cents", "status": "status"},
    ),
    VertexLabel.ADDRESS: VertexTable(
        "address", "address_id",
        ("address_id", "street", "city", "state", "zip_code"),
        {"state": "state", "city": "city", "zip_code": "zip_code"},
    ),
    VertexLabel.PHONE: VertexTable(
        "phone", "phone_id",
        ("phone_id", "number", "phone_type"),
        {"phone_type": "phone_type"},
    ),
    VertexLabel.TRANSACTION: VertexTable(
        "txn", "transaction_id",
        ("transaction_id", "from_account_id", "to_account_id", "amount_cents", "timestamp"),
        {"amount": "amount_cents", "timestamp": "timestamp"},
    ),
}

EDGE_TABLES: dict[EdgeLabel, EdgeTable] = {
    EdgeLabel.OWNS: EdgeTable("account", "owner_person_id", "account_id"),
    EdgeLabel.LIVES_AT: EdgeTable("lives_at", "person_id", "address_id"),
    EdgeLabel.HAS_PHONE: EdgeTable("has_phone", "person_id", "phone_id"),
    EdgeLabel.SENT: EdgeTable("txn", "from_account_id", "transaction_id"),
    EdgeLabel.RECEIVED_BY: EdgeTable("txn", "transaction_id", "to_account_id"),
}

_COMPARISONS = {Op.EQ: "=", Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}


def keys_param(keys: tuple[str, ...] | list[str]) -> str:
    """A whole batch of keys as one bound parameter (read back with ``json_each``)."""
    return json.dumps(list(keys))


def _column(label: VertexLabel, prop: str) -> str:
    table = VERTEX_TABLES[label]
    if prop == label.key:
        return table.key
    try:
        return table.properties[prop]
    except KeyError:
        raise ValueError(f"{label.value} has no property {prop!r}") from None


def order_column_index(label: VertexLabel, order: Order | None) -> int:
    """Where the sort value sits in a selected row (the key, column 0, when unordered)."""
    table = VERTEX_TABLES[label]
    if order is None:
        return 0
    return table.columns.index(_column(label, order.prop))


def compile_get_vertices(step: GetVertices) -> CompiledQuery:
    table = VERTEX_TABLES[step.label]
    text = (
        f"SELECT {', '.join(table.columns)} FROM {table.name} "
        f"WHERE {table.key} IN (SELECT value FROM json_each(:keys))"
    )
    return CompiledQuery(f"get_vertices({step.label.value})", text, {"keys": keys_param(step.keys)})


def _keyset_condition(order_sql: list[tuple[str, bool]], params: dict, after: Keyset) -> str:
    """``(a, b, key) > (:v0, :v1, :key)`` with the comparison flipped for descending order."""
    values = list(after.value) if isinstance(after.value, (list, tuple)) else [after.value]
    values.append(after.key)
    descending = order_sql[0][1]
    placeholders = []
    for index, value in enumerate(values):
        params[f"after_{index}"] = value
        placeholders.append(f":after_{index}")
    columns = ", ".join(column for column, _ in order_sql)
    return f"({columns}) {'<' if descending else '>'} ({', '.join(placeholders)})"


def _order_columns(label: VertexLabel, alias: str, order: Order | None) -> list[tuple[str, bool]]:
    key = f"{alias}.{VERTEX_TABLES[label].key}"
    if order is None or order.prop == label.key:
        return [(key, bool(order and order.descending))]
    return [(f"{alias}.{_column(label, order.prop)}", order.descending), (key, order.descending)]


def compile_traverse(step: Traverse) -> CompiledQuery:
    """Joins along the path, per-source windows for ``first``/``after`` and totals.

    ``after_ok`` splits each source's rows into those past the cursor and those before it;
    one row of the "before" side is kept when nothing follows the cursor, so that
    ``total`` (which ignores the cursor, as Relay's totalCount does) is never lost.
    """
    params: dict[str, object] = {"sources": keys_param(step.source_keys)}
    joins: list[str] = []
    current = ""
    source_expr = ""
    for index, hop in enumerate(step.path):
        edge = EDGE_TABLES[hop.edge]
        from_col, to_col = (
            (edge.out_column, edge.in_column)
            if hop.direction is Direction.OUT
            else (edge.in_column, edge.out_column)
        )
        alias = f"e{index}"
        if index == 0:
            joins.append(f"{edge.name} AS {alias}")
            source_expr = f"{alias}.{from_col}"
        else:
            joins.append(f"JOIN {edge.name} AS {alias} ON {alias}.{from_col} = {current}")
        current = f"{alias}.{to_col}"
    target = VERTEX_TABLES[step.target]
    last_alias = f"e{len(step.path) - 1}"
    if EDGE_TABLES[step.path[-1].edge].name == target.name and current == f"{last_alias}.{target.key}":
        t = last_alias  # the edge lives in the target's own table (SENT): no second join
    else:
        t = "t"
        joins.append(f"JOIN {target.name} AS t ON t.{target.key} = {current}")

    conditions = [f"{source_expr} IN (SELECT value FROM json_each(:sources))"]
    for index, predicate in enumerate(step.where):
        column = f"{t}.{_column(step.target, predicate.prop)}"
        name = f"p{index}"
        if predicate.op is Op.WITHIN:
            params[name] = json.dumps(list(predicate.value))
            conditions.append(f"{column} IN (SELECT value FROM json_each(:{name}))")
        else:
            params[name] = predicate.value
            conditions.append(f"{column} {_COMPARISONS[predicate.op]} :{name}")

    order_sql = _order_columns(step.target, t, step.order)
    order_text = ", ".join(f"{col} {'DESC' if desc else 'ASC'}" for col, desc in order_sql)
    selected = ", ".join(f"{t}.{column}" for column in target.columns)
    after_ok = _keyset_condition(order_sql, params, step.after) if step.after else "1"
    total = f"COUNT(*) OVER (PARTITION BY {source_expr})" if step.with_total else "NULL"
    matched = (
        f"SELECT {source_expr} AS src, {selected}, {total} AS total, ({after_ok}) AS after_ok, "
        f"ROW_NUMBER() OVER (PARTITION BY {source_expr}, ({after_ok}) ORDER BY {order_text}) AS rn "
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
    return CompiledQuery(f"traverse({'.'.join(_hop_name(h) for h in step.path)})", text, params)


def _hop_name(hop) -> str:
    return f"{hop.direction.value}({hop.edge.value})"


def compile_find_persons(step: FindPersons) -> CompiledQuery:
    """One page of persons plus, when asked, the count of all that match (same statement)."""
    params: dict[str, object] = {"limit": step.first + 1}
    conditions: list[str] = []
    flt = step.filter
    if flt.name_contains:
        escaped = flt.name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["name"] = f"%{escaped}%"
        conditions.append("(p.first_name || ' ' || p.last_name) LIKE :name ESCAPE '\\'")
    if flt.state:
        params["state"] = flt.state
        conditions.append(
            "EXISTS (SELECT 1 FROM lives_at AS l JOIN address AS a ON a.address_id = l.address_id "
            "WHERE l.person_id = p.person_id AND a.state = :state)"
        )
    if flt.has_account_type:
        params["account_type"] = flt.has_account_type
        conditions.append(
            "EXISTS (SELECT 1 FROM account AS ac "
            "WHERE ac.owner_person_id = p.person_id AND ac.account_type = :account_type)"
        )
    if flt.min_total_balance_cents is not None:
        params["min_balance"] = flt.min_total_balance_cents
        conditions.append("s.total_balance_cents >= :min_balance")
    if flt.max_total_balance_cents is not None:
        params["max_balance"] = flt.max_total_balance_cents
        conditions.append("s.total_balance_cents <= :max_balance")
    if flt.segment_tier is not None:
        params["segment_tier"] = flt.segment_tier
        conditions.append("s.segment_tier = :segment_tier")
    if flt.risk_level is not None:
        params["risk_level"] = flt.risk_level
        conditions.append("s.risk_level = :risk_level")

    if step.order is PersonOrder.NAME:
        order_sql = [("last_name", step.descending), ("first_name", step.descending)]
    else:
        order_sql = [("total_balance_cents", step.descending)]
    order_sql.append(("person_id", step.descending))
    order_text = ", ".join(f"{col} {'DESC' if desc else 'ASC'}" for col, desc in order_sql)
    page_conditions = [_keyset_condition(order_sql, params, step.after)] if step.after else []

    columns = ", ".join(f"p.{c}" for c in VERTEX_TABLES[VertexLabel.PERSON].columns)
    matched = (
        f"SELECT {columns}, s.total_balance_cents FROM person AS p "
        f"JOIN person_summary AS s ON s.person_id = p.person_id"
        + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
    )
    page = (
        "SELECT * FROM matched"
        + (f" WHERE {' AND '.join(page_conditions)}" if page_conditions else "")
        + f" ORDER BY {order_text} LIMIT :limit"
    )
    total = "(SELECT COUNT(*) FROM matched)" if step.with_total else "NULL"
    text = (
        f"WITH matched AS ({matched}), page AS ({page}) "
        f"SELECT page.*, {total} AS total FROM (SELECT 1) LEFT JOIN page ON 1 "
        f"ORDER BY {order_text}"
    )
    return CompiledQuery("find_persons", text, params)


def compile_counterparties(step: Counterparties) -> CompiledQuery:
    params: dict[str, object] = {"sources": keys_param(step.source_keys)}
    limit = ""
    if step.first is not None:
        params["limit"] = step.first
        limit = "WHERE rn <= :limit"
    text = (
        "SELECT src, account_id, n, volume FROM ("
        "SELECT from_account_id AS src, to_account_id AS account_id, COUNT(*) AS n, "
        "SUM(amount_cents) AS volume, ROW_NUMBER() OVER (PARTITION BY from_account_id "
        "ORDER BY COUNT(*) DESC, SUM(amount_cents) DESC, to_account_id) AS rn "
        "FROM txn WHERE from_account_id IN (SELECT value FROM json_each(:sources)) "
        f"GROUP BY from_account_id, to_account_id) {limit} ORDER BY src, rn"
    )
    return CompiledQuery("counterparties", text, params)


_METRICS_COLUMNS = (
    "s.person_id, s.num_accounts, s.total_balance_cents, s.num_transactions, s.total_volume_cents, "
    "(SELECT group_concat(DISTINCT a.account_type) FROM account AS a WHERE a.owner_person_id = s.person_id)"
)

PERSON_METRICS_PAGE = (
    f"SELECT {_METRICS_COLUMNS} FROM person_summary AS s WHERE s.person_id > :after "
    "ORDER BY s.person_id LIMIT :limit"
)

BANK_TOTALS = """
SELECT (SELECT COUNT(*) FROM account),
       (SELECT COUNT(*) FROM txn),
       (SELECT COALESCE(SUM(amount_cents), 0) FROM txn),
       (SELECT COUNT(*) FROM (SELECT address_id FROM lives_at GROUP BY address_id HAVING COUNT(*) > 1)),
       (SELECT COUNT(*) FROM (SELECT phone_id FROM has_phone GROUP BY phone_id HAVING COUNT(*) > 1)),
       (SELECT COUNT(*) FROM (SELECT to_account_id FROM txn GROUP BY to_account_id
                              HAVING COUNT(DISTINCT from_account_id) > 1))
"""


def compile_person_metrics(step: PersonMetrics) -> CompiledQuery:
    text = (
        f"SELECT {_METRICS_COLUMNS} FROM person_summary AS s "
        "WHERE s.person_id IN (SELECT value FROM json_each(:keys))"
    )
    return CompiledQuery("person_metrics", text, {"keys": keys_param(step.keys)})


def compile_read_state(key: str) -> CompiledQuery:
    return CompiledQuery("read_state", "SELECT value FROM c360_state WHERE key = :key", {"key": key})

"""The Gremlin emitter: each plan step becomes ONE gremlinpython bytecode traversal and its decoder.

Values are never pasted into script text: every value goes through ``p(name, value)``
(:class:`Params`), so the same builder makes the traversal that is sent and, with ``$name``
placeholders, the copy explain shows beside the values. Vertices are found through the
unique composite indexes (``has(label, key, within(keys))``) or the ``kind`` index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from gremlin_python.process.graph_traversal import (
    GraphTraversal,
    GraphTraversalSource,
    __,
)
from gremlin_python.process.traversal import Column, P, Scope, TextP
from gremlin_python.process.traversal import Order as GOrder

from customer360.graphstore.compiled import Compiled
from customer360.graphstore.gremlin import decode
from customer360.graphstore.gremlin.schema import (
    DIRECTORY_LABEL,
    KIND,
    LISTS,
    PERSONS_BY_BALANCE,
    PERSONS_BY_NAME,
    RECEIVED_BY_TIME,
    SENT_BY_TIME,
    STATE_LABEL,
    TIME_ORDER,
    EdgeIndex,
    balance_order_key,
    name_order_key,
    time_bound,
    time_order_key,
)
from customer360.graphstore.mapping import SSN_ENCRYPTED, STORED_PROPERTIES, stored_name
from customer360.graphstore.plan import (
    BankTotals,
    Counterparties,
    CounterpartyRow,
    Direction,
    EdgeLabel,
    FindPersons,
    GetVertices,
    Hop,
    Keyset,
    MetricsRow,
    Op,
    Page,
    PersonFilter,
    PersonMetrics,
    PersonOrder,
    PersonSecrets,
    Predicate,
    Traverse,
    VertexLabel,
)


class Params:
    """Collects a step's parameters so that the displayed query shows them apart.

    The emitter asks ``p(name, value)`` for each value; executing uses the value, while the
    display copy of the traversal is built with the placeholder ``$name`` instead.
    """

    def __init__(self, display: bool) -> None:
        self.display = display
        self.values: dict[str, Any] = {}

    def __call__(self, name: str, value: Any) -> Any:
        self.values[name] = value
        return f"${name}" if self.display else value


Build = Callable[[GraphTraversalSource, Params], GraphTraversal]


def _count_rows(result: list) -> int:
    return len(result)


@dataclass(frozen=True, slots=True)
class GremlinQuery:
    """One traversal to send: its name in the call log, its builder, how to count its rows
    (a result of per-source pages counts the records inside them), and, for bulk writes whose
    payload is the data itself, a short ``display`` instead of the translated traversal."""

    operation: str
    build: Build
    rows_of: Callable[[list], int] = _count_rows
    display: str | None = None


GremlinStep = Compiled[GremlinQuery, Any]


def nested_rows(result: list) -> int:
    return sum(len(item["rows"]) for item in result)


def of_kind(t: GraphTraversal, label: VertexLabel) -> GraphTraversal:
    """All vertices of a label through the ``by_kind`` composite index (see schema.KIND)."""
    return t.has(KIND, label.value)


def sum_or_zero(values: GraphTraversal) -> GraphTraversal:
    """``sum()`` of nothing yields nothing in Gremlin; a person without accounts has 0."""
    return __.coalesce(values.sum_(), __.constant(0))


def _hops(t: GraphTraversal, path: Sequence[Hop]) -> GraphTraversal:
    for hop in path:
        t = t.out(hop.edge.value) if hop.direction is Direction.OUT else t.in_(hop.edge.value)
    return t


_PREDICATES: dict[Op, Callable[[Any], P]] = {
    Op.EQ: P.eq, Op.GT: P.gt, Op.GTE: P.gte, Op.LT: P.lt, Op.LTE: P.lte, Op.WITHIN: P.within,
}


def _where(t: GraphTraversal, label: VertexLabel, predicates: Sequence[Predicate], p: Params) -> GraphTraversal:
    for index, predicate in enumerate(predicates):
        value = p(f"p{index}", list(predicate.value) if predicate.op is Op.WITHIN else predicate.value)
        t = t.has(stored_name(label, predicate.prop), _PREDICATES[predicate.op](value))
    return t


def _after(columns: Sequence[str], descending: bool, keyset: Keyset, p: Params) -> GraphTraversal:
    """Strictly after the keyset in (columns..., key) order, as nested or/and of has()."""
    values = list(keyset.value) if isinstance(keyset.value, (list, tuple)) else [keyset.value]
    values.append(keyset.key)
    beyond = P.lt if descending else P.gt
    branches = []
    for index, column in enumerate(columns):
        equal = [__.has(columns[j], p(f"after_{j}", values[j])) for j in range(index)]
        strict = __.has(column, beyond(p(f"after_{index}", values[index])))
        branches.append(__.and_(*equal, strict) if equal else strict)
    return __.or_(*branches)


def _ordered(t: GraphTraversal, columns: Sequence[str], descending: bool) -> GraphTraversal:
    t = t.order()
    for column in columns:
        t = t.by(column, GOrder.desc if descending else GOrder.asc)
    return t


def traverse_columns(step: Traverse) -> list[str]:
    """The sort properties of a traversal's page, business key last (keysets come from them)."""
    key = step.target.key
    if step.order is None or step.order.prop == key:
        return [key]
    return [stored_name(step.target, step.order.prop), key]


def hop_names(step: Traverse) -> str:
    return ".".join(f"{hop.direction.value}({hop.edge.value})" for hop in step.path)


def get_vertices(step: GetVertices) -> Compiled[GremlinQuery, dict[str, Any]]:
    decoder = partial(decode.vertices, step.label)
    if not step.keys:
        return Compiled(None, decoder)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        return (
            g.V().has(step.label.value, step.label.key, P.within(p("keys", list(step.keys))))
            .value_map(*STORED_PROPERTIES[step.label]).by(__.unfold())
        )

    return Compiled(GremlinQuery(f"get_vertices({step.label.value})", build), decoder)


def traverse(step: Traverse) -> Compiled[GremlinQuery, dict[str, Page]]:
    """``project(src, rows, total)`` per source vertex: one traversal for all sources."""
    decoder = partial(decode.traverse, step, traverse_columns(step)[0])
    if not step.source_keys:
        return Compiled(None, decoder)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        descending = bool(step.order and step.order.descending)
        columns = traverse_columns(step)
        matched = _where(_hops(__.start(), step.path), step.target, step.where, p)
        rows = matched.clone()
        if step.after is not None:
            rows = rows.where(_after(columns, descending, step.after, p))
        rows = _ordered(rows, columns, descending)
        if step.first is not None:
            rows = rows.limit(p("limit", step.first + 1))
        rows = rows.value_map(*STORED_PROPERTIES[step.target]).by(__.unfold()).fold()
        t = g.V().has(step.source.value, step.source.key, P.within(p("sources", list(step.source_keys))))
        t = t.project("src", "rows", "total").by(step.source.key).by(rows)
        return t.by(matched.count() if step.with_total else __.constant(-1))

    return Compiled(GremlinQuery(f"traverse({hop_names(step)})", build, nested_rows), decoder)


def traverse_time_ordered(step: Traverse) -> Compiled[GremlinQuery, dict[str, Page]] | None:
    """:func:`traverse` for a page of transactions in time order (an account's payments out or
    in, a person's payments), read from the edges' :data:`~.schema.TIME_ORDER` keys: the time
    range and the cursor become one range of the key, and inside ``local()`` JanusGraph folds
    range, order and limit into the vertex-centric index, so the first page reads its own
    edges only. None when the step is not such a page (then :func:`traverse` answers it)."""
    *before, last = step.path
    ranges = _time_ranges(step.where)
    if (step.target is not VertexLabel.TRANSACTION or step.order is None or step.order.prop != "timestamp"
            or (last.edge.value, last.direction) not in _TIME_ORDERED_HOPS or ranges is None):
        return None
    descending = step.order.descending
    decoder = partial(decode.traverse, step, traverse_columns(step)[0])
    if not step.source_keys:
        return Compiled(None, decoder)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        t = _hops(__.start(), before)
        edges = t.out_e(last.edge.value) if last.direction is Direction.OUT else t.in_e(last.edge.value)
        for index, (predicate, bound) in enumerate(ranges):
            edges = edges.has(TIME_ORDER, predicate(p(f"t{index}", bound)))
        matched = edges.clone()
        if step.after is not None:
            beyond = P.lt if descending else P.gt
            edges = edges.has(TIME_ORDER, beyond(p("after", time_order_key(int(step.after.value), step.after.key))))
        edges = edges.order().by(TIME_ORDER, GOrder.desc if descending else GOrder.asc)
        if step.first is not None:
            edges = edges.limit(p("limit", step.first + 1))
        # One account's payments newest first are the index's own order: inside local(),
        # JanusGraph reads just the page. Anything else is sorted after reading the edges: a
        # backward page (folded, JanusGraph would return the index's order, not the one asked
        # for) and a person's payments (a merge of several accounts' lists).
        rows = __.local(edges) if descending and not before else edges
        rows = rows.in_v() if last.direction is Direction.OUT else rows.out_v()
        rows = rows.value_map(*STORED_PROPERTIES[step.target]).by(__.unfold()).fold()
        t = g.V().has(step.source.value, step.source.key, P.within(p("sources", list(step.source_keys))))
        t = t.project("src", "rows", "total").by(step.source.key).by(rows)
        return t.by(matched.count() if step.with_total else __.constant(-1))

    return Compiled(GremlinQuery(f"traverse({hop_names(step)})", build, nested_rows), decoder)


_TIME_ORDERED_HOPS = {(index.edge, index.direction) for index in (SENT_BY_TIME, RECEIVED_BY_TIME)}


def index_plan(index: EdgeIndex) -> GremlinQuery:
    """JanusGraph's profile of a one-edge page, in the index's order, of the first vertex of
    its owner's kind: whether its planner reads that page through ``index`` (see
    :func:`uses_index`)."""
    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        edges = __.out_e(index.edge) if index.direction is Direction.OUT else __.in_e(index.edge)
        page = edges.order().by(index.key, GOrder.desc if index.descending else GOrder.asc).limit(1)
        return g.V().has(KIND, index.owner).limit(1).local(page).profile()

    return GremlinQuery(f"index_plan({index.name})", build)


def uses_index(profile: dict[str, Any], index: str) -> bool:
    """Whether a profile shows a vertex step answered, in order, from ``index``."""
    for metric in profile.get("metrics") or ():
        annotations = metric.get("annotations") or {}
        if (metric.get("name", "").startswith("JanusGraphVertexStep") and annotations.get("isOrdered") == "true"
                and f":{index}:" in str(annotations.get("query", ""))):
            return True
        if uses_index(metric, index):
            return True
    return False


def _time_ranges(where: Sequence[Predicate]) -> list[tuple[Callable[[Any], P], str]] | None:
    """The predicates as bounds of the edges' time-order key; None unless all are on the time."""
    ranges: list[tuple[Callable[[Any], P], str]] = []
    for predicate in where:
        if predicate.prop != "timestamp" or predicate.op not in _TIME_BOUNDS:
            return None
        ranges.extend(_TIME_BOUNDS[predicate.op](int(predicate.value)))
    return ranges


_TIME_BOUNDS: dict[Op, Callable[[int], list[tuple[Callable[[Any], P], str]]]] = {
    Op.GTE: lambda t: [(P.gte, time_bound(t))],
    Op.GT: lambda t: [(P.gte, time_bound(t + 1))],
    Op.LTE: lambda t: [(P.lt, time_bound(t + 1))],
    Op.LT: lambda t: [(P.lt, time_bound(t))],
    Op.EQ: lambda t: [(P.gte, time_bound(t)), (P.lt, time_bound(t + 1))],
}
"""Seconds to key bounds: ``timestamp < t`` is ``key < bound(t)``, since every key at ``t`` is
at least ``bound(t)`` (its 13 digits, then the id)."""


def _person_columns(step: FindPersons) -> list[str]:
    if step.order is PersonOrder.NAME:
        return ["last_name", "first_name", "person_id"]
    return ["total_balance_cents", "person_id"]


def find_persons(step: FindPersons) -> Compiled[GremlinQuery, Page]:
    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        flt = step.filter
        t = of_kind(g.V(), VertexLabel.PERSON)
        if flt.name_contains:
            t = t.has("name_lower", TextP.containing(p("name", flt.name_contains.lower())))
        if flt.min_total_balance_cents is not None:
            t = t.has("total_balance_cents", P.gte(p("min_balance", flt.min_total_balance_cents)))
        if flt.max_total_balance_cents is not None:
            t = t.has("total_balance_cents", P.lte(p("max_balance", flt.max_total_balance_cents)))
        if flt.segment_tier is not None:
            t = t.has("segment_tier", p("segment_tier", flt.segment_tier))
        if flt.risk_level is not None:
            t = t.has("risk_level", p("risk_level", flt.risk_level))
        if flt.state:
            t = t.where(__.out(EdgeLabel.LIVES_AT.value).has("state", p("state", flt.state)))
        if flt.has_account_type:
            t = t.where(__.out(EdgeLabel.OWNS.value).has("account_type", p("account_type", flt.has_account_type)))
        columns = _person_columns(step)
        rows = __.unfold()
        if step.after is not None:
            rows = rows.where(_after(columns, step.descending, step.after, p))
        rows = _ordered(rows, columns, step.descending).limit(p("limit", step.first + 1))
        rows = rows.value_map(*STORED_PROPERTIES[VertexLabel.PERSON], "total_balance_cents").by(__.unfold()).fold()
        total = __.count(Scope.local) if step.with_total else __.constant(-1)
        return t.fold().project("rows", "total").by(rows).by(total)

    return Compiled(GremlinQuery("find_persons", build, nested_rows), partial(decode.find_persons, step))


def find_persons_listed(step: FindPersons) -> Compiled[GremlinQuery, Page] | None:
    """:func:`find_persons` for the unfiltered customers list in name order or in balance
    order, richest first: a page of the directory's ``LISTS`` edges in their sort key
    (:data:`~.schema.NAME_ORDER`, :data:`~.schema.BALANCE_ORDER`), which JanusGraph reads from
    the key's vertex-centric index inside ``local()``: the page's own edges, however many
    customers the bank has. None for any other page (filters, the other directions: folded
    against an index's own order, JanusGraph would return the index's order)."""
    index = PERSONS_BY_NAME if step.order is PersonOrder.NAME else PERSONS_BY_BALANCE
    if step.filter != PersonFilter() or step.descending is not index.descending:
        return None
    beyond, direction = (P.lt, GOrder.desc) if index.descending else (P.gt, GOrder.asc)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        edges = __.out_e(LISTS)
        if step.after is not None:
            edges = edges.has(index.key, beyond(p("after", _directory_key(step, step.after))))
        edges = edges.order().by(index.key, direction).limit(p("limit", step.first + 1))
        rows = __.local(edges).in_v()
        rows = rows.value_map(*STORED_PROPERTIES[VertexLabel.PERSON], "total_balance_cents").by(__.unfold()).fold()
        total = __.out_e(LISTS).count() if step.with_total else __.constant(-1)
        return g.V().has(KIND, DIRECTORY_LABEL).limit(1).project("rows", "total").by(rows).by(total)

    return Compiled(GremlinQuery("find_persons", build, nested_rows), partial(decode.find_persons, step))


def _directory_key(step: FindPersons, after: Keyset) -> str:
    """A cursor of the customers list as the directory's sort key."""
    if step.order is PersonOrder.NAME:
        last, first = after.value
        return name_order_key(last, first, after.key)
    return balance_order_key(int(after.value), after.key)


def counterparties(step: Counterparties) -> Compiled[GremlinQuery, dict[str, list[CounterpartyRow]]]:
    decoder = partial(decode.counterparties, step)
    if not step.source_keys:
        return Compiled(None, decoder)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        per_counterparty = (
            __.out(EdgeLabel.SENT.value)
            .group().by(__.out(EdgeLabel.RECEIVED_BY.value).values("account_id"))
            .by(__.fold().project("n", "volume").by(__.count(Scope.local))
                .by(__.unfold().values("amount_cents").sum_()))
            .unfold()
            .order()
            .by(__.select(Column.values).select("n"), GOrder.desc)
            .by(__.select(Column.values).select("volume"), GOrder.desc)
            .by(__.select(Column.keys), GOrder.asc)
        )
        if step.first is not None:
            per_counterparty = per_counterparty.limit(p("limit", step.first))
        per_counterparty = per_counterparty.project("account_id", "n", "volume").by(__.select(Column.keys)).by(
            __.select(Column.values).select("n")
        ).by(__.select(Column.values).select("volume")).fold()
        return (
            g.V().has("account", "account_id", P.within(p("sources", list(step.source_keys))))
            .project("src", "rows").by("account_id").by(per_counterparty)
        )

    return Compiled(GremlinQuery("counterparties", build, nested_rows), decoder)


def _metrics_of(persons: GraphTraversal) -> GraphTraversal:
    """The aggregates stored on person vertices plus their distinct account types."""
    return persons.project("person_id", "n_acc", "balance", "n_tx", "volume", "types").by("person_id").by(
        __.coalesce(__.values("num_accounts"), __.constant(0))
    ).by(__.coalesce(__.values("total_balance_cents"), __.constant(0))).by(
        __.coalesce(__.values("num_transactions"), __.constant(0))
    ).by(__.coalesce(__.values("total_volume_cents"), __.constant(0))).by(
        __.out(EdgeLabel.OWNS.value).values("account_type").dedup().fold()
    )


def person_metrics(step: PersonMetrics) -> Compiled[GremlinQuery, dict[str, MetricsRow]]:
    if not step.keys:
        return Compiled(None, decode.metrics_by_person)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        return _metrics_of(g.V().has("person", "person_id", P.within(p("keys", list(step.keys)))))

    return Compiled(GremlinQuery("person_metrics", build), decode.metrics_by_person)


def person_secrets(step: PersonSecrets) -> Compiled[GremlinQuery, dict[str, str]]:
    if not step.keys:
        return Compiled(None, decode.secrets)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        return (
            g.V().has("person", "person_id", P.within(p("keys", list(step.keys))))
            .project("person_id", "secret").by("person_id").by(SSN_ENCRYPTED)
        )

    return Compiled(GremlinQuery("person_secrets", build), decode.secrets)


def person_metrics_page(after: str, limit: int) -> Compiled[GremlinQuery, list[MetricsRow]]:
    """Every person's aggregates, a page at a time in key order (the insight refresh)."""

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        persons = (
            of_kind(g.V(), VertexLabel.PERSON).has("person_id", P.gt(p("after", after)))
            .order().by("person_id").limit(p("limit", limit))
        )
        return _metrics_of(persons)

    return Compiled(GremlinQuery("person_metrics_page", build), decode.metrics_list)


def bank_totals() -> Compiled[GremlinQuery, BankTotals]:
    def shared(label: VertexLabel, edge: EdgeLabel) -> GraphTraversal:
        return of_kind(__.V(), label).where(__.in_(edge.value).count().is_(P.gt(1))).count()

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        return g.inject(1).project(
            "accounts", "transactions", "volume", "addresses", "phones", "counterparties"
        ).by(of_kind(__.V(), VertexLabel.ACCOUNT).count()).by(of_kind(__.V(), VertexLabel.TRANSACTION).count()).by(
            sum_or_zero(of_kind(__.V(), VertexLabel.TRANSACTION).values("amount_cents"))
        ).by(shared(VertexLabel.ADDRESS, EdgeLabel.LIVES_AT)).by(shared(VertexLabel.PHONE, EdgeLabel.HAS_PHONE)).by(
            of_kind(__.V(), VertexLabel.ACCOUNT).where(
                __.in_(EdgeLabel.RECEIVED_BY.value).in_(EdgeLabel.SENT.value).dedup().count().is_(P.gt(1))
            ).count()
        )

    return Compiled(GremlinQuery("bank_totals", build), decode.bank_totals)


def read_state(key: str) -> Compiled[GremlinQuery, str | None]:
    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        return g.V().has(STATE_LABEL, "state_key", p("key", key)).values("state_value")

    return Compiled(GremlinQuery("read_state", build), decode.state_value)


def snapshot(key: str) -> Compiled[GremlinQuery, dict | None]:
    """A JSON document kept in a state vertex (the dashboard), parsed."""
    return Compiled(read_state(key).query, decode.snapshot)


def existing_keys(label: VertexLabel, keys: list[str]) -> Compiled[GremlinQuery, set[str]]:
    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        return g.V().has(label.value, label.key, P.within(p("keys", keys))).values(label.key)

    return Compiled(GremlinQuery(f"existing_keys({label.value})", build), decode.keys)


def ping() -> Compiled[GremlinQuery, None]:
    return Compiled(GremlinQuery("ping", lambda g, p: g.inject(1)), decode.nothing)

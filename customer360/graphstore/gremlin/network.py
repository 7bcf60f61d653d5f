"""The network steps (:mod:`customer360.graphstore.network_plan`) in Gremlin: for each step, its
ONE bytecode traversal and, beside it, the decoder for that traversal's result.

Every value goes through ``p(name, value)`` (see :class:`.emit.Params`), so explain shows the
traversal with ``$name`` placeholders and the values apart; nothing is pasted into script text.
Vertices are found by ``has(label, key, within(keys))`` so JanusGraph answers from its unique
composite indexes; a frontier of several labels starts with ``union`` of one such lookup per
label (mid-traversal ``V()``), which each use their index.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from gremlin_python.process.graph_traversal import (
    GraphTraversal,
    GraphTraversalSource,
    __,
)
from gremlin_python.process.traversal import Order as GOrder
from gremlin_python.process.traversal import P, Scope, T

from customer360.graphstore.compiled import Compiled
from customer360.graphstore.gremlin.emit import GremlinQuery, Params, of_kind
from customer360.graphstore.mapping import STORED_PROPERTIES, record_of
from customer360.graphstore.network_plan import (
    BUSINESS_KEYS,
    Expand,
    ExpandEach,
    Expansion,
    Locate,
    NetworkEdge,
    ReceiverRow,
    RelatedPersons,
    Relation,
    RelationRow,
    SharedRow,
    SharedVertices,
    TopReceivers,
    VertexRef,
    finish_expansion,
)
from customer360.graphstore.pages import page_of
from customer360.graphstore.plan import EdgeLabel, Keyset, Page, VertexLabel

ALL_PROPERTIES: list[str] = list(dict.fromkeys(name for names in STORED_PROPERTIES.values() for name in names))
"""Every stored property of every label: a vertex of unknown label is read with all of them."""


def _key() -> GraphTraversal:
    """The business key of whatever vertex this is (each has exactly one of them)."""
    return __.values(*BUSINESS_KEYS)


def _lookups(name: str, keys_by_label: dict[VertexLabel, list[str]], p: Params) -> list[GraphTraversal]:
    """One indexed ``V().has(label, key, within(...))`` per label."""
    return [
        __.V().has(label.value, label.key, P.within(p(f"{name}_{label.value}", keys)))
        for label, keys in keys_by_label.items()
    ]


def _member(name: str, keys_by_label: dict[VertexLabel, list[str]], p: Params) -> GraphTraversal:
    """A filter: the current vertex is one of these (label, key) pairs."""
    tests = [
        __.has(label.value, label.key, P.within(p(f"{name}_{label.value}", keys)))
        for label, keys in keys_by_label.items()
    ]
    return tests[0] if len(tests) == 1 else __.or_(*tests)


def _by_label(refs: list[VertexRef] | tuple[VertexRef, ...]) -> dict[VertexLabel, list[str]]:
    grouped: dict[VertexLabel, list[str]] = {}
    for label in VertexLabel:
        keys = sorted({ref.key for ref in refs if ref.label is label})
        if keys:
            grouped[label] = keys
    return grouped


# ------------------------------------------------------------------ locate


def locate(step: Locate) -> Compiled[GremlinQuery, dict[str, list[tuple[VertexRef, Any]]]]:
    if not step.keys:
        return Compiled(None, decode_locate)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        keys = p("keys", list(step.keys))
        lookups = [__.V().has(label.value, label.key, P.within(keys)) for label in VertexLabel]
        return (
            g.inject(0).union(*lookups)
            .project("label", "props").by(T.label).by(__.value_map(*ALL_PROPERTIES).by(__.unfold()))
        )

    return Compiled(GremlinQuery("locate", build), decode_locate)


def decode_locate(result: list[dict[str, Any]]) -> dict[str, list[tuple[VertexRef, Any]]]:
    found: dict[str, list[tuple[VertexRef, Any]]] = {}
    for item in result:
        label = VertexLabel(item["label"])
        key = item["props"][label.key]
        found.setdefault(key, []).append((VertexRef(label, key), record_of(label, item["props"])))
    for matches in found.values():
        matches.sort(key=lambda match: match[0].label.value)
    return found


# ------------------------------------------------------------------ expand


def _expand_part(index: int, part: Expand, p: Params) -> GraphTraversal:
    """``{part, total, rows}``: the new neighbours of the frontier, counted, then the first
    ``limit`` of them in vertex order, each with its edges back to the frontier."""
    name = f"x{index}"
    frontier = _by_label(part.frontier)
    excluded = {label: part.excluded_keys(label) for label in VertexLabel if part.excluded_keys(label)}
    labels = [edge.value for edge in part.edge_labels]
    starts = _lookups(f"{name}_f", frontier, p)
    t = (starts[0] if len(starts) == 1 else __.union(*starts)).both(*labels).dedup()
    t = t.not_(_member(f"{name}_seen", excluded, p))
    edges = (
        __.both_e(*labels).where(__.both_v().where(_member(f"{name}_f", frontier, p)))
        .project("edge", "out", "in").by(T.label).by(__.out_v().values(*BUSINESS_KEYS))
        .by(__.in_v().values(*BUSINESS_KEYS)).fold()
    )
    props = __.value_map(*ALL_PROPERTIES).by(__.unfold()) if part.with_records else __.constant(0)
    rows = __.unfold().order().by(T.label, GOrder.asc).by(_key(), GOrder.asc)
    if part.limit is not None:
        rows = rows.limit(p(f"{name}_limit", part.limit))
    rows = rows.project("label", "key", "props", "edges").by(T.label).by(_key()).by(props).by(edges).fold()
    return (
        t.fold().project("part", "total", "rows")
        .by(__.constant(index)).by(__.count(Scope.local)).by(rows)
    )


def expand(step: ExpandEach) -> Compiled[GremlinQuery, list[Expansion]]:
    decoder = partial(decode_expand, step)
    if not any(part.frontier for part in step.parts):
        return Compiled(None, decoder)

    def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
        parts = [_expand_part(index, part, p) for index, part in enumerate(step.parts) if part.frontier]
        return g.inject(0).union(*parts)

    name = "expand" if len(step.parts) == 1 else f"expand_each({len(step.parts)})"
    return Compiled(GremlinQuery(name, build), decoder)


def decode_expand(step: ExpandEach, result: list[dict[str, Any]]) -> list[Expansion]:
    results = [Expansion() for _ in step.parts]
    for item in result:
        part, expansion = step.parts[item["part"]], results[item["part"]]
        expansion.total_new = item["total"]
        for row in item["rows"]:
            ref = VertexRef(VertexLabel(row["label"]), row["key"])
            expansion.new.append(ref)
            if part.with_records:
                expansion.records[ref] = record_of(ref.label, row["props"])
            for edge in row["edges"]:
                label = EdgeLabel(edge["edge"])
                out_label, in_label = label.endpoints
                expansion.edges.append(
                    NetworkEdge(label, VertexRef(out_label, edge["out"]), VertexRef(in_label, edge["in"]))
                )
    for part, expansion in zip(step.parts, results):
        finish_expansion(part, expansion)
    return results


# ------------------------------------------------------------------ related persons


def _co_linked(edge: str, item_key: str) -> GraphTraversal:
    """Other persons linked to the same address (phone) as ``me``, with that vertex's id."""
    return (
        __.out(edge).as_("x").in_(edge).where(P.neq("me"))
        .project("q", "item").by("person_id").by(__.select("x").values(item_key)).fold()
    )


def _transfers(outgoing: bool) -> GraphTraversal:
    """One row per transaction between ``me`` and another person: their id and the amount."""
    if outgoing:
        t = __.out("OWNS").out("SENT").as_("t").out("RECEIVED_BY").in_("OWNS")
    else:
        t = __.out("OWNS").in_("RECEIVED_BY").as_("t").in_("SENT").in_("OWNS")
    return t.where(P.neq("me")).project("q", "v").by("person_id").by(__.select("t").values("amount_cents")).fold()


def related_persons(step: RelatedPersons) -> Compiled[GremlinQuery, dict[str, list[RelationRow]]]:
    decoder = partial(decode_related_persons, step)
    if not step.person_keys:
        return Compiled(None, decoder)
    return Compiled(GremlinQuery("related_persons", partial(_related_traversal, step)), decoder)


def _related_traversal(step: RelatedPersons, g: GraphTraversalSource, p: Params) -> GraphTraversal:
    max_senders = p("max_senders", step.max_counterparty_senders)
    counterparties = (
        __.out("OWNS").out("SENT").out("RECEIVED_BY").dedup()
        .where(__.in_("OWNS").where(P.neq("me")))  # not one of my own accounts
        .where(__.in_("RECEIVED_BY").in_("SENT").dedup().limit(p("max_senders_plus_one", step.max_counterparty_senders + 1))
               .count().is_(P.lte(max_senders)))  # not a hub
        .as_("c")
        .in_("RECEIVED_BY").in_("SENT").in_("OWNS").where(P.neq("me")).as_("q")
        .where(__.select("c").in_("OWNS").where(P.neq("q")))  # not one of theirs either
        .dedup("c", "q")
        .project("q", "item").by(__.select("q").values("person_id")).by(__.select("c").values("account_id")).fold()
    )
    return (
        g.V().has("person", "person_id", P.within(p("persons", list(step.person_keys)))).as_("me")
        .project("p", "address", "phone", "sent", "received", "counterparty")
        .by("person_id")
        .by(_co_linked("LIVES_AT", "address_id"))
        .by(_co_linked("HAS_PHONE", "phone_id"))
        .by(_transfers(outgoing=True))
        .by(_transfers(outgoing=False))
        .by(counterparties)
    )


def decode_related_persons(step: RelatedPersons, found: list[dict[str, Any]]) -> dict[str, list[RelationRow]]:
    result: dict[str, list[RelationRow]] = {key: [] for key in step.person_keys}
    for item in found:
        person = item["p"]
        rows: set[RelationRow] = set()
        for field, relation in (("address", Relation.SHARED_ADDRESS), ("phone", Relation.SHARED_PHONE),
                                ("counterparty", Relation.SHARED_COUNTERPARTY)):
            rows.update(RelationRow(person, r["q"], relation, r["item"]) for r in item[field])
        for field in ("sent", "received"):
            totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for r in item[field]:
                totals[r["q"]][0] += 1
                totals[r["q"]][1] += r["v"]
            rows.update(
                RelationRow(person, other, Relation.TRANSFERS, field, n, volume)
                for other, (n, volume) in totals.items()
            )
        result[person] = sorted(rows, key=lambda r: (r.other_id, r.relation.value, r.item))
    return result


# ------------------------------------------------------------------ shared addresses / phones


def shared_vertices(step: SharedVertices) -> Compiled[GremlinQuery, Page]:
    return Compiled(
        GremlinQuery(step.kind.operation, partial(_shared_traversal, step)), partial(decode_shared_vertices, step)
    )


def _shared_traversal(step: SharedVertices, g: GraphTraversalSource, p: Params) -> GraphTraversal:
    label, edge = step.kind.label, step.kind.edge.value
    minimum = p("min_persons", step.min_persons)
    groups = (
        of_kind(g.V(), label)
        .where(__.in_(edge).limit(minimum).count().is_(P.gte(minimum)))
        .project("k", "n", "persons").by(label.key).by(__.in_(edge).dedup().count())
        .by(__.in_(edge).values("person_id").dedup().fold())
        .where(__.select("n").is_(P.gte(minimum)))
    )
    fewer, later = (P.lt, P.gt) if not step.reverse else (P.gt, P.lt)
    by_count, by_key = (GOrder.desc, GOrder.asc) if not step.reverse else (GOrder.asc, GOrder.desc)
    rows = __.unfold()
    if step.after is not None:
        after_n, after_key = p("after_n", step.after.value), p("after_key", step.after.key)
        rows = rows.where(__.or_(
            __.select("n").is_(fewer(after_n)),
            __.and_(__.select("n").is_(P.eq(after_n)), __.select("k").is_(later(after_key))),
        ))
    rows = (
        rows.order().by(__.select("n"), by_count).by(__.select("k"), by_key)
        .limit(p("limit", step.first + 1)).fold()
    )
    return groups.fold().project("total", "rows").by(__.count(Scope.local)).by(rows)


def decode_shared_vertices(step: SharedVertices, result: list[dict[str, Any]]) -> Page:
    [item] = result
    return page_of(
        item["rows"], step.first, lambda row: SharedRow(row["k"], tuple(sorted(row["persons"]))),
        lambda row: Keyset(row["n"], row["k"]), item["total"] if step.with_total else None,
    )


# ------------------------------------------------------------------ top receivers


def top_receivers(step: TopReceivers) -> Compiled[GremlinQuery, list[ReceiverRow]]:
    if step.first <= 0:
        return Compiled(None, decode_top_receivers)
    return Compiled(GremlinQuery("top_receivers", partial(_top_receivers_traversal, step)), decode_top_receivers)


def _top_receivers_traversal(step: TopReceivers, g: GraphTraversalSource, p: Params) -> GraphTraversal:
    return (
        of_kind(g.V(), VertexLabel.ACCOUNT).where(__.in_("RECEIVED_BY"))
        .project("v", "k", "n", "volume").by(__.identity()).by("account_id")
        .by(__.in_("RECEIVED_BY").count()).by(__.in_("RECEIVED_BY").values("amount_cents").sum_())
        .order().by(__.select("n"), GOrder.desc).by(__.select("volume"), GOrder.desc).by(__.select("k"), GOrder.asc)
        .limit(p("limit", step.first))
        .project("k", "n", "volume", "senders").by(__.select("k")).by(__.select("n")).by(__.select("volume"))
        .by(__.select("v").in_("RECEIVED_BY").in_("SENT").dedup().count())
    )


def decode_top_receivers(rows: list[dict[str, Any]]) -> list[ReceiverRow]:
    return [ReceiverRow(r["k"], r["n"], r["volume"], r["senders"]) for r in rows]

"""The Gremlin emitter and store: each plan step becomes ONE gremlinpython bytecode traversal.

JanusGraph (or any TinkerPop 3.7 server) is reached through a pooled
``DriverRemoteConnection``. Values are never pasted into script text: reads and writes are
bytecode; the one server-side script (schema creation, which the management API needs) is a
constant whose inputs are bound parameters.

Money is stored as Long cents and the person vertex carries its own aggregates
(``num_accounts``, ``total_balance_cents``, ...), refreshed after every load, so that filtering
and ordering customers by balance needs no scan of accounts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversal, GraphTraversalSource, __
from gremlin_python.process.translator import Translator
from gremlin_python.process.traversal import Column, Merge, Order as GOrder, P, Scope, T, TextP, TraversalStrategies
from gremlin_python.process.traversal import Direction as GremlinDirection
from gremlin_python.structure.graph import Graph

from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.graphstore.insight_cache import PORTFOLIO as PORTFOLIO_KEY
from customer360.graphstore.insight_cache import bump_data_version, refresh_insights
from customer360.graphstore.plan import (
    BankTotals,
    MetricsRow,
    PersonMetrics,
    Counterparties,
    CounterpartyRow,
    Direction,
    EdgeLabel,
    FindPersons,
    GetVertices,
    Keyset,
    Op,
    Page,
    PersonOrder,
    Predicate,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.network import NetworkStep
from customer360.graphstore.protocol import StoreUnavailable
from customer360.graphstore.sqlite import cents, from_cents
from customer360.insights import DEFAULT_RULES, Rules
from customer360.model import (
    Account,
    AccountStatus,
    AccountType,
    Address,
    Person,
    Phone,
    PhoneLink,
    PhoneType,
    Residence,
    Transaction,
)

# property name in the plan -> property key in the graph (same names, money in cents)
PROPERTY_KEYS: dict[VertexLabel, dict[str, str]] = {
    VertexLabel.PERSON: {"first_name": "first_name", "last_name": "last_name"},
    VertexLabel.ACCOUNT: {"account_type": "account_type", "balance": "balance_cents", "status": "status"},
    VertexLabel.ADDRESS: {"state": "state", "city": "city", "zip_code": "zip_code"},
    VertexLabel.PHONE: {"phone_type": "phone_type"},
    VertexLabel.TRANSACTION: {"amount": "amount_cents", "timestamp": "timestamp"},
}

VERTEX_PROPERTIES: dict[VertexLabel, tuple[str, ...]] = {
    VertexLabel.PERSON: ("person_id", "first_name", "last_name", "date_of_birth", "ssn"),
    VertexLabel.ACCOUNT: ("account_id", "owner_person_id", "account_type", "balance_cents", "status"),
    VertexLabel.ADDRESS: ("address_id", "street", "city", "state", "zip_code"),
    VertexLabel.PHONE: ("phone_id", "number", "phone_type"),
    VertexLabel.TRANSACTION: ("transaction_id", "from_account_id", "to_account_id", "amount_cents", "timestamp"),
}

# property keys and their JanusGraph data types, for `c360 graph init`
KIND = "kind"  # every vertex's label again, as an indexed property (see of_kind)

PROPERTY_TYPES: dict[str, str] = {
    "person_id": "String", "first_name": "String", "last_name": "String", "name_lower": "String",
    "date_of_birth": "String", "ssn": "String", "num_accounts": "Long", "total_balance_cents": "Long",
    "num_transactions": "Long", "total_volume_cents": "Long",
    "account_id": "String", "owner_person_id": "String", "account_type": "String", "balance_cents": "Long",
    "status": "String",
    "address_id": "String", "street": "String", "city": "String", "state": "String", "zip_code": "String",
    "phone_id": "String", "number": "String", "phone_type": "String",
    "transaction_id": "String", "from_account_id": "String", "to_account_id": "String",
    "amount_cents": "Long", "timestamp": "Long",
    KIND: "String", "segment_tier": "String", "risk_level": "String", "state_key": "String", "state_value": "String",
}

STATE_LABEL = "c360_state"  # small key/value vertices: data version, rules fingerprint, dashboard

log = logging.getLogger(__name__)

SCHEMA_SCRIPT = """
mgmt = graph.openManagement()
try {
  for (name in vertexLabels) { if (!mgmt.containsVertexLabel(name)) mgmt.makeVertexLabel(name).make() }
  for (name in edgeLabels) { if (!mgmt.containsEdgeLabel(name)) mgmt.makeEdgeLabel(name).make() }
  for (entry in propertyKeys) {
    if (!mgmt.containsPropertyKey(entry[0])) {
      mgmt.makePropertyKey(entry[0]).dataType(Class.forName('java.lang.' + entry[1])).cardinality(org.janusgraph.core.Cardinality.SINGLE).make()
    }
  }
  for (entry in uniqueIndexes) {
    if (!mgmt.containsGraphIndex(entry[0])) {
      idx = mgmt.buildIndex(entry[0], org.apache.tinkerpop.gremlin.structure.Vertex.class)
                .addKey(mgmt.getPropertyKey(entry[1])).indexOnly(mgmt.getVertexLabel(entry[2]))
                .unique().buildCompositeIndex()
      mgmt.setConsistency(idx, org.janusgraph.core.schema.ConsistencyModifier.LOCK)
    }
  }
  for (entry in plainIndexes) {
    if (!mgmt.containsGraphIndex(entry[0])) {
      mgmt.buildIndex(entry[0], org.apache.tinkerpop.gremlin.structure.Vertex.class)
          .addKey(mgmt.getPropertyKey(entry[1])).buildCompositeIndex()
    }
  }
  mgmt.commit()
} catch (e) { mgmt.rollback(); throw e }
'ok'
"""


def reachable(host: str, port: int, timeout_s: float = 2.0) -> str | None:
    """None when something listens at host:port, else why not (for skips and /readyz)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as error:
        return str(error) or type(error).__name__


# ------------------------------------------------------------------ emitter


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


def _key(label: VertexLabel, prop: str) -> str:
    if prop == label.key:
        return label.key
    try:
        return PROPERTY_KEYS[label][prop]
    except KeyError:
        raise ValueError(f"{label.value} has no property {prop!r}") from None


def of_kind(t: GraphTraversal, label: VertexLabel) -> GraphTraversal:
    """All vertices of a label through the ``by_kind`` composite index.

    ``hasLabel`` alone makes JanusGraph scan every vertex (1 s for 15k vertices here, against
    40 ms through the index), so listings start from the indexed ``kind`` property instead.
    """
    return t.has(KIND, label.value)


def _hops(t: GraphTraversal, step: Traverse) -> GraphTraversal:
    for hop in step.path:
        t = t.out(hop.edge.value) if hop.direction is Direction.OUT else t.in_(hop.edge.value)
    return t


_PREDICATES: dict[Op, Callable[[Any], P]] = {
    Op.EQ: P.eq, Op.GT: P.gt, Op.GTE: P.gte, Op.LT: P.lt, Op.LTE: P.lte, Op.WITHIN: P.within,
}


def _where(t: GraphTraversal, label: VertexLabel, predicates: Sequence[Predicate], p: Params) -> GraphTraversal:
    for index, predicate in enumerate(predicates):
        value = p(f"p{index}", list(predicate.value) if predicate.op is Op.WITHIN else predicate.value)
        t = t.has(_key(label, predicate.prop), _PREDICATES[predicate.op](value))
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


def _traverse_columns(step: Traverse) -> list[str]:
    key = step.target.key
    if step.order is None or step.order.prop == key:
        return [key]
    return [_key(step.target, step.order.prop), key]


def emit_traverse(g: GraphTraversalSource, step: Traverse, p: Params) -> GraphTraversal:
    """``project(src, rows, total)`` per source vertex: one traversal for all sources."""
    descending = bool(step.order and step.order.descending)
    columns = _traverse_columns(step)
    matched = _where(_hops(__.start(), step), step.target, step.where, p)
    rows = matched.clone()
    if step.after is not None:
        rows = rows.where(_after(columns, descending, step.after, p))
    rows = _ordered(rows, columns, descending)
    if step.first is not None:
        rows = rows.limit(p("limit", step.first + 1))
    rows = rows.value_map(*VERTEX_PROPERTIES[step.target]).by(__.unfold()).fold()
    t = g.V().has(step.source.value, step.source.key, P.within(p("sources", list(step.source_keys))))
    t = t.project("src", "rows", "total").by(step.source.key).by(rows)
    return t.by(matched.count() if step.with_total else __.constant(-1))


def emit_get_vertices(g: GraphTraversalSource, step: GetVertices, p: Params) -> GraphTraversal:
    return (
        g.V().has(step.label.value, step.label.key, P.within(p("keys", list(step.keys))))
        .value_map(*VERTEX_PROPERTIES[step.label]).by(__.unfold())
    )


def _person_columns(step: FindPersons) -> list[str]:
    if step.order is PersonOrder.NAME:
        return ["last_name", "first_name", "person_id"]
    return ["total_balance_cents", "person_id"]


def emit_find_persons(g: GraphTraversalSource, step: FindPersons, p: Params) -> GraphTraversal:
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
    rows = rows.value_map(*VERTEX_PROPERTIES[VertexLabel.PERSON], "total_balance_cents").by(__.unfold()).fold()
    total = __.count(Scope.local) if step.with_total else __.constant(-1)
    return t.fold().project("rows", "total").by(rows).by(total)


def emit_counterparties(g: GraphTraversalSource, step: Counterparties, p: Params) -> GraphTraversal:
    per_counterparty = (
        __.out(EdgeLabel.SENT.value)
        .group().by(__.out(EdgeLabel.RECEIVED_BY.value).values("account_id"))
        .by(__.fold().project("n", "volume").by(__.count(Scope.local)).by(__.unfold().values("amount_cents").sum_()))
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


def emit_person_metrics(g: GraphTraversalSource, persons: GraphTraversal) -> GraphTraversal:
    """The aggregates stored on person vertices plus their distinct account types."""
    return persons.project("person_id", "n_acc", "balance", "n_tx", "volume", "types").by("person_id").by(
        __.coalesce(__.values("num_accounts"), __.constant(0))
    ).by(__.coalesce(__.values("total_balance_cents"), __.constant(0))).by(
        __.coalesce(__.values("num_transactions"), __.constant(0))
    ).by(__.coalesce(__.values("total_volume_cents"), __.constant(0))).by(
        __.out(EdgeLabel.OWNS.value).values("account_type").dedup().fold()
    )


def emit_bank_totals(g: GraphTraversalSource) -> GraphTraversal:
    shared = lambda label, edge: of_kind(__.V(), label).where(__.in_(edge).count().is_(P.gt(1))).count()  # noqa: E731
    return g.inject(1).project("accounts", "transactions", "volume", "addresses", "phones", "counterparties").by(
        of_kind(__.V(), VertexLabel.ACCOUNT).count()
    ).by(of_kind(__.V(), VertexLabel.TRANSACTION).count()).by(
        _sum_or_zero(of_kind(__.V(), VertexLabel.TRANSACTION).values("amount_cents"))
    ).by(shared(VertexLabel.ADDRESS, EdgeLabel.LIVES_AT.value)).by(shared(VertexLabel.PHONE, EdgeLabel.HAS_PHONE.value)).by(
        of_kind(__.V(), VertexLabel.ACCOUNT).where(
            __.in_(EdgeLabel.RECEIVED_BY.value).in_(EdgeLabel.SENT.value).dedup().count().is_(P.gt(1))
        ).count()
    )


def _metrics(row: dict[str, Any]) -> MetricsRow:
    return MetricsRow(row["person_id"], row["n_acc"], row["balance"], row["n_tx"], row["volume"], tuple(sorted(row["types"])))


# ------------------------------------------------------------------ decoding


def _decode(label: VertexLabel, row: dict[str, Any]) -> Any:
    if label is VertexLabel.PERSON:
        return Person(row["person_id"], row["first_name"], row["last_name"], row["date_of_birth"], row["ssn"])
    if label is VertexLabel.ACCOUNT:
        return Account(
            row["account_id"], row["owner_person_id"], AccountType(row["account_type"]),
            from_cents(row["balance_cents"]), AccountStatus(row["status"]),
        )
    if label is VertexLabel.ADDRESS:
        return Address(row["address_id"], row["street"], row["city"], row["state"], row["zip_code"])
    if label is VertexLabel.PHONE:
        return Phone(row["phone_id"], row["number"], PhoneType(row["phone_type"]))
    return Transaction(
        row["transaction_id"], row["from_account_id"], row["to_account_id"],
        from_cents(row["amount_cents"]), row["timestamp"],
    )


# ------------------------------------------------------------------ store


class GremlinStore:
    """GraphStore on a Gremlin server (JanusGraph 1.1 in production and CI)."""

    backend = "janusgraph"

    def __init__(self, host: str = "127.0.0.1", port: int = 8182, traversal_source: str = "g",
                 *, timeout_s: float = 10.0, pool_size: int = 8, rules: Rules = DEFAULT_RULES) -> None:
        self.rules = rules
        self.url = f"ws://{host}:{port}/gremlin"
        self.host, self.port = host, port
        self.traversal_source = traversal_source
        self.timeout_s = timeout_s
        self.pool_size = pool_size
        self._connection: DriverRemoteConnection | None = None
        self._lock = threading.Lock()
        self._translator = Translator(traversal_source)

    # ------------------------------------------------------------ connection

    def _g(self) -> GraphTraversalSource:
        with self._lock:
            if self._connection is None:
                self._connection = DriverRemoteConnection(
                    self.url, self.traversal_source, pool_size=self.pool_size,
                    message_serializer=GraphBinarySerializersV1(),
                )
            return traversal().with_remote(self._connection)

    def _healthy_g(self) -> GraphTraversalSource:
        """For loads and cache upkeep (not the request path, which retries by itself): make
        sure the pooled connection still works, reopening it if the server restarted."""
        try:
            self._g().inject(1).to_list()
        except Exception:
            self._drop_connection()
        return self._g()

    def _drop_connection(self) -> None:
        """Forget a broken connection; the next call opens a fresh one (self-healing)."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def close(self) -> None:
        self._drop_connection()

    def _submit(self, operation: str, build: Callable[[GraphTraversalSource, Params], GraphTraversal],
                rows_of: Callable[[list], int] = len) -> list:
        """Build, record and run one traversal; outages become :class:`StoreUnavailable`."""
        shown = Params(display=True)
        text = self._translator.translate(build(DISPLAY_SOURCE, shown).bytecode)
        params = Params(display=False)
        query = CompiledQuery(operation, text, shown.values)
        with recorded_call(self.backend, query) as record:
            problem = reachable(self.host, self.port, timeout_s=min(2.0, self.timeout_s))
            if problem:
                self._drop_connection()
                raise StoreUnavailable(self.backend, problem)
            result = self._execute(build, params)
            record.rows = rows_of(result)
        return result

    def _execute(self, build: Callable[[GraphTraversalSource, Params], GraphTraversal], params: Params) -> list:
        """Run on the pooled connection; after a transport failure, once more on a fresh one
        (a server that restarted leaves dead sockets in the pool)."""
        for attempt in (1, 2):
            try:
                return build(self._g(), params).to_list()
            except GremlinServerError as error:
                if error.status_code == 598:  # the server's own evaluation timeout
                    raise StoreUnavailable(self.backend, f"timed out on the server: {error}") from error
                raise  # the server answered: a traversal bug, not an outage
            except Exception as error:  # transport: refused, reset, closed websocket...
                self._drop_connection()
                if attempt == 2:
                    raise StoreUnavailable(self.backend, f"{type(error).__name__}: {error}") from error
        raise AssertionError("unreachable")

    async def _run(self, operation: str, build: Callable[[GraphTraversalSource, Params], GraphTraversal],
                   rows_of: Callable[[list], int] = len) -> list:
        """``rows_of`` counts records in a result whose items are per-source pages."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._submit, operation, build, rows_of), self.timeout_s)
        except asyncio.TimeoutError:
            raise StoreUnavailable(self.backend, f"no answer within {self.timeout_s:g}s") from None

    # ------------------------------------------------------------ reading

    async def get_vertices(self, step: GetVertices) -> dict[str, Any]:
        if not step.keys:
            return {}
        rows = await self._run(f"get_vertices({step.label.value})", lambda g, p: emit_get_vertices(g, step, p))
        return {row[step.label.key]: _decode(step.label, row) for row in rows}

    async def traverse(self, step: Traverse) -> dict[str, Page]:
        pages = {key: Page(rows=[], total=0 if step.with_total else None) for key in step.source_keys}
        if not step.source_keys:
            return pages
        name = ".".join(f"{h.direction.value}({h.edge.value})" for h in step.path)
        columns = _traverse_columns(step)
        for item in await self._run(f"traverse({name})", lambda g, p: emit_traverse(g, step, p), _nested_rows):
            page = pages[item["src"]]
            if step.with_total:
                page.total = item["total"]
            for index, row in enumerate(item["rows"]):
                if step.first is not None and index >= step.first:
                    page.has_next = True
                    break
                page.rows.append(_decode(step.target, row))
                page.keysets.append(Keyset(row[columns[0]], row[step.target.key]))
        return pages

    async def find_persons(self, step: FindPersons) -> Page:
        result = await self._run("find_persons", lambda g, p: emit_find_persons(g, step, p), _nested_rows)
        item = result[0]
        page = Page(rows=[], total=item["total"] if step.with_total else None)
        for index, row in enumerate(item["rows"]):
            if index >= step.first:
                page.has_next = True
                break
            page.rows.append(_decode(VertexLabel.PERSON, row))
            value = [row["last_name"], row["first_name"]] if step.order is PersonOrder.NAME else row["total_balance_cents"]
            page.keysets.append(Keyset(value, row["person_id"]))
        return page

    async def counterparties(self, step: Counterparties) -> dict[str, list[CounterpartyRow]]:
        result: dict[str, list[CounterpartyRow]] = {key: [] for key in step.source_keys}
        if not step.source_keys:
            return result
        for item in await self._run("counterparties", lambda g, p: emit_counterparties(g, step, p), _nested_rows):
            result[item["src"]] = [CounterpartyRow(r["account_id"], r["n"], r["volume"]) for r in item["rows"]]
        return result

    async def person_metrics(self, step: PersonMetrics) -> dict[str, MetricsRow]:
        if not step.keys:
            return {}
        rows = await self._run("person_metrics", lambda g, p: emit_person_metrics(
            g, g.V().has("person", "person_id", P.within(p("keys", list(step.keys))))
        ))
        return {row["person_id"]: _metrics(row) for row in rows}

    async def portfolio(self) -> dict | None:
        rows = await self._run("read_state", lambda g, p: _state_value(g, p("key", PORTFOLIO_KEY)))
        return json.loads(rows[0]) if rows else None

    async def network(self, step: NetworkStep) -> Any:
        """Steps of :mod:`.network` (neighbourhoods, paths, related customers...): one call each."""
        from customer360.graphstore import gremlin_network

        return await gremlin_network.run(self, step)

    async def ping(self) -> None:
        await self._run("ping", lambda g, p: g.inject(1))

    # ------------------------------------------------------------ insight cache

    def iter_person_metrics(self, batch_size: int) -> Iterator[list[MetricsRow]]:
        g = self._healthy_g()
        after = ""
        while True:
            persons = of_kind(g.V(), VertexLabel.PERSON).has("person_id", P.gt(after)).order().by("person_id").limit(batch_size)
            rows = emit_person_metrics(g, persons).to_list()
            if not rows:
                return
            yield [_metrics(row) for row in rows]
            after = rows[-1]["person_id"]

    def write_person_insights(self, rows: list[tuple[str, str, str]]) -> None:
        GremlinBulkWriter(self._healthy_g()).merge_vertices(VertexLabel.PERSON, [
            {"person_id": person_id, "segment_tier": tier, "risk_level": level} for person_id, tier, level in rows
        ])

    def bank_totals(self) -> BankTotals:
        row = emit_bank_totals(self._healthy_g()).next()
        return BankTotals(row["accounts"], row["transactions"], row["volume"], row["addresses"], row["phones"],
                          row["counterparties"])

    def read_state(self, key: str) -> str | None:
        values = _state_value(self._healthy_g(), key).to_list()
        return values[0] if values else None

    def write_state(self, key: str, value: str) -> None:
        (
            self._healthy_g().merge_v({T.label: STATE_LABEL, "state_key": key})
            .option(Merge.on_create, {"state_value": value}).option(Merge.on_match, {"state_value": value})
            .iterate()
        )

    # ------------------------------------------------------------ schema and writing

    def init_schema(self) -> None:
        """Create labels, property keys and unique composite indexes (idempotent)."""
        bindings = {
            "vertexLabels": [label.value for label in VertexLabel] + [STATE_LABEL],
            "edgeLabels": [edge.value for edge in EdgeLabel],
            "propertyKeys": [[name, kind] for name, kind in PROPERTY_TYPES.items()],
            "uniqueIndexes": [[f"by_{label.key}", label.key, label.value] for label in VertexLabel],
            "plainIndexes": [
                ["by_kind", KIND], ["by_state", "state"], ["by_owner_person_id", "owner_person_id"], ["by_state_key", "state_key"],
                ["by_segment_tier", "segment_tier"], ["by_risk_level", "risk_level"],
            ],
        }
        client = self._script_client()
        try:
            client.submit(SCHEMA_SCRIPT, bindings).all().result(timeout=120)
        finally:
            client.close()

    def _script_client(self):
        from gremlin_python.driver.client import Client

        return Client(self.url, self.traversal_source, message_serializer=GraphBinarySerializersV1())

    def drop_all_data(self) -> None:
        """Tests only: empty the graph (keeps the schema)."""
        g = self._healthy_g()
        # Deletes claim more locks than inserts: beyond 4 at once, claims time out on 2 cores.
        workers = min(4, self.pool_size)
        with ThreadPoolExecutor(workers, thread_name_prefix="c360-drop") as pool:
            while ids := g.V().limit(500 * workers).id_().to_list():
                # Small transactions (well inside the evaluation timeout), several at once.
                in_chunks(pool, ids, 500, lambda chunk: g.V(*chunk).drop().iterate())


    def existing_keys(self, label: VertexLabel, keys: Collection[str]) -> set[str]:
        found: set[str] = set()
        batch = list(keys)
        g = self._healthy_g()
        for start in range(0, len(batch), 1000):
            found.update(
                g.V().has(label.value, label.key, P.within(batch[start : start + 1000])).values(label.key).to_list()
            )
        return found

    @contextlib.contextmanager
    def bulk_writer(self) -> Iterator["GremlinBulkWriter"]:
        """Gremlin over a remote connection has no multi-batch transaction, so the loader's
        all-or-nothing rests on its full validation before the first write; writes are
        idempotent upserts, so re-running a load after a failure completes it without
        duplicates. Aggregates on person vertices are refreshed at the end."""
        writer = GremlinBulkWriter(self._healthy_g(), workers=self.pool_size)
        try:
            yield writer
            writer.refresh_person_aggregates()
        finally:
            writer.close()
        bump_data_version(self)
        refresh_insights(self, self.rules)


# A traversal source with no server behind it: builds the bytecode shown in explain.
DISPLAY_SOURCE = GraphTraversalSource(Graph(), TraversalStrategies())


WRITE_RETRY_DELAYS_S = (0.5, 2.0, 5.0)


def is_temporary(error: BaseException) -> bool:
    """JanusGraph marks failures that a retry may cure (a lock claim that timed out while
    Cassandra was busy, a storage hiccup) with ``Temporary*Exception`` in the cause chain
    Gremlin Server reports; anything else (a permanent lock conflict, a bad value) is final."""
    if not isinstance(error, GremlinServerError):
        return False
    exceptions = (error.status_attributes or {}).get("exceptions") or []
    return any(name.rsplit(".", 1)[-1].startswith("Temporary") for name in exceptions)


def retrying(write: Callable[[Sequence[Any]], Any]) -> Callable[[Sequence[Any]], Any]:
    """``write`` again after a temporary failure, a few times with growing pauses.

    Safe because every chunk is an upsert that first looks up what exists: a retried chunk
    finds the rows a failed attempt may have written and updates them instead."""

    def attempt(chunk: Sequence[Any]) -> Any:
        for delay in WRITE_RETRY_DELAYS_S:
            try:
                return write(chunk)
            except GremlinServerError as error:
                if not is_temporary(error):
                    raise
                log.warning("JanusGraph: temporary failure on a chunk of %d rows, retrying in %.1fs: %s",
                            len(chunk), delay, error)
                time.sleep(delay)
        return write(chunk)

    return attempt


def in_chunks(pool: ThreadPoolExecutor, items: Sequence[Any], size: int, write: Callable[[Sequence[Any]], Any]) -> None:
    """Run ``write`` on every chunk of ``items`` on the pool; return when all are done.

    A chunk that fails for a temporary reason is retried (:func:`retrying`). On the first
    final failure the chunks not yet started are cancelled, the running ones are
    waited for, and the failure is raised: a broken load stops with its real error and
    leaves no write behind it in flight. Callers pass chunks that touch disjoint keys only."""
    write = retrying(write)
    futures = [pool.submit(write, items[start : start + size]) for start in range(0, len(items), size)]
    try:
        for future in futures:
            future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        wait(futures)
        raise


class GremlinBulkWriter:
    """Upserts addressed by vertex id, a few hundred rows per traversal, several at once.

    ``mergeV``/``mergeE`` whose match map comes from a traversal cannot use JanusGraph's
    unique index (it scans), so each chunk first resolves its business keys to vertex ids
    with one index-backed lookup, then creates the missing vertices with ``addV`` and
    updates or links the rest through ``mergeV``/``mergeE`` on ids, which are direct reads.

    Each chunk is its own transaction, and JanusGraph spends most of one waiting on the
    lock round trips that its unique indexes make to Cassandra, not on CPU; so the chunks of
    one call run ``workers`` at a time (about 2x faster at 4 than one at a time, measured
    in ``docs/benchmarks.md``). Chunks of one call never share a key: the loader has
    rejected duplicate keys, and each edge is one (out, in) pair. Calls stay in the
    loader's dependency order, because each returns only when all its chunks are written.
    """

    CHUNK = 250

    def __init__(self, g: GraphTraversalSource, workers: int = 4) -> None:
        self._g = g
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="c360-load")
        self._touched_persons: set[str] = set()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _ids(self, label: VertexLabel, keys: Collection[str]) -> dict[str, Any]:
        """Business key -> JanusGraph vertex id, for the keys that exist (one index lookup)."""
        if not keys:
            return {}
        rows = (
            self._g.V().has(label.value, label.key, P.within(list(keys)))
            .project("k", "id").by(label.key).by(T.id).to_list()
        )
        return {row["k"]: row["id"] for row in rows}

    def merge_vertices(self, label: VertexLabel, rows: list[dict[str, Any]]) -> None:
        in_chunks(self._pool, rows, self.CHUNK, lambda chunk: self._merge_vertex_chunk(label, chunk))

    def _merge_vertex_chunk(self, label: VertexLabel, chunk: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Upsert one chunk; returns business key -> vertex id for all its rows."""
        existing = self._ids(label, [row[label.key] for row in chunk])
        ids = dict(existing)
        fresh = [row for row in chunk if row[label.key] not in existing]
        if fresh:
            names = list(fresh[0])
            t = self._g.inject(fresh).unfold().as_("row").add_v(label.value).property(KIND, label.value)
            for name in names:
                t = t.property(name, __.select("row").select(name))
            created = t.project("k", "id").by(label.key).by(T.id).to_list()
            ids.update((row["k"], row["id"]) for row in created)
        known = [
            {"match": {T.id: existing[row[label.key]]}, "props": {k: v for k, v in row.items() if k != label.key}}
            for row in chunk if row[label.key] in existing
        ]
        if known:
            (
                self._g.inject(known).unfold().as_("row")
                .merge_v(__.select("row").select("match"))
                .option(Merge.on_match, __.select("row").select("props"))
                .iterate()
            )
        return ids

    def _merge_edges(self, edge: EdgeLabel, pairs: list[tuple[str, str]]) -> None:
        in_chunks(self._pool, pairs, self.CHUNK, lambda chunk: self._merge_edge_chunk(edge, chunk))

    def _merge_edge_chunk(self, edge: EdgeLabel, chunk: Sequence[tuple[str, str]]) -> None:
        out_label, in_label = edge.endpoints
        out_ids = self._ids(out_label, {out_key for out_key, _ in chunk})
        in_ids = self._ids(in_label, {in_key for _, in_key in chunk})
        batch = [
            {T.label: edge.value, GremlinDirection.OUT: out_ids[out_key], GremlinDirection.IN: in_ids[in_key]}
            for out_key, in_key in chunk
        ]
        self._g.inject(batch).unfold().merge_e().iterate()

    def put_persons(self, rows: Sequence[Person]) -> None:
        self.merge_vertices(VertexLabel.PERSON, [
            {"person_id": r.person_id, "first_name": r.first_name, "last_name": r.last_name,
             "name_lower": f"{r.first_name} {r.last_name}".lower(), "date_of_birth": r.date_of_birth, "ssn": r.ssn}
            for r in rows
        ])
        self._touched_persons.update(r.person_id for r in rows)

    def put_accounts(self, rows: Sequence[Account]) -> None:
        self.merge_vertices(VertexLabel.ACCOUNT, [
            {"account_id": r.account_id, "owner_person_id": r.owner_person_id, "account_type": r.account_type.value,
             "balance_cents": cents(r.balance), "status": r.status.value}
            for r in rows
        ])
        self._merge_edges(EdgeLabel.OWNS, [(r.owner_person_id, r.account_id) for r in rows])
        self._touched_persons.update(r.owner_person_id for r in rows)

    def put_addresses(self, rows: Sequence[Address]) -> None:
        self.merge_vertices(VertexLabel.ADDRESS, [
            {"address_id": r.address_id, "street": r.street, "city": r.city, "state": r.state, "zip_code": r.zip_code}
            for r in rows
        ])

    def put_phones(self, rows: Sequence[Phone]) -> None:
        self.merge_vertices(VertexLabel.PHONE, [
            {"phone_id": r.phone_id, "number": r.number, "phone_type": r.phone_type.value} for r in rows
        ])

    def put_residences(self, rows: Sequence[Residence]) -> None:
        self._merge_edges(EdgeLabel.LIVES_AT, [(r.person_id, r.address_id) for r in rows])

    def put_phone_links(self, rows: Sequence[PhoneLink]) -> None:
        self._merge_edges(EdgeLabel.HAS_PHONE, [(r.person_id, r.phone_id) for r in rows])

    def put_transactions(self, rows: Sequence[Transaction]) -> None:
        in_chunks(self._pool, rows, self.CHUNK, self._transaction_chunk)
        self._touched_persons.add("*")  # senders' owners are not known here: refresh everyone

    def _transaction_chunk(self, chunk: Sequence[Transaction]) -> None:
        """A transaction and its two edges in four round trips, not seven: the vertex ids
        come back from the upsert, and both accounts of every row are looked up at once."""
        transactions = self._merge_vertex_chunk(VertexLabel.TRANSACTION, [
            {"transaction_id": r.transaction_id, "from_account_id": r.from_account_id,
             "to_account_id": r.to_account_id, "amount_cents": cents(r.amount), "timestamp": r.timestamp}
            for r in chunk
        ])
        accounts = self._ids(VertexLabel.ACCOUNT, {r.from_account_id for r in chunk} | {r.to_account_id for r in chunk})
        edges = [
            edge
            for r in chunk
            for edge in (
                {T.label: EdgeLabel.SENT.value, GremlinDirection.OUT: accounts[r.from_account_id],
                 GremlinDirection.IN: transactions[r.transaction_id]},
                {T.label: EdgeLabel.RECEIVED_BY.value, GremlinDirection.OUT: transactions[r.transaction_id],
                 GremlinDirection.IN: accounts[r.to_account_id]},
            )
        ]
        self._g.inject(edges).unfold().merge_e().iterate()

    def refresh_person_aggregates(self, batch_size: int = 500) -> None:
        """Recompute num_accounts/total_balance/num_transactions/volume on person vertices."""
        g = self._g
        if "*" in self._touched_persons:
            persons = of_kind(g.V(), VertexLabel.PERSON).values("person_id").to_list()
        else:
            persons = sorted(self._touched_persons)
        in_chunks(self._pool, persons, batch_size, lambda chunk: (
            g.V().has("person", "person_id", P.within(list(chunk)))
            .property("num_accounts", __.out("OWNS").count())
            .property("total_balance_cents", _sum_or_zero(__.out("OWNS").values("balance_cents")))
            .property("num_transactions", __.out("OWNS").out("SENT").count())
            .property("total_volume_cents", _sum_or_zero(__.out("OWNS").out("SENT").values("amount_cents")))
            .iterate()
        ))
        self._touched_persons.clear()


def _nested_rows(result: list) -> int:
    return sum(len(item["rows"]) for item in result)


def _state_value(g: GraphTraversalSource, key: str) -> GraphTraversal:
    return g.V().has(STATE_LABEL, "state_key", key).values("state_value")


def _sum_or_zero(values: GraphTraversal) -> GraphTraversal:
    """``sum()`` of nothing yields nothing in Gremlin; a person without accounts has 0."""
    return __.coalesce(values.sum_(), __.constant(0))

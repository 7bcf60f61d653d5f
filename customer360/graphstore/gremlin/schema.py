"""JanusGraph's schema: labels, property keys with their types, and the indexes reads rely on.

The management API is only reachable through a server-side Groovy script, so this one
script is a constant and every name it creates arrives as a bound parameter, never pasted.
Property names are the neutral ones of :mod:`customer360.graphstore.mapping` (money as Long
cents); the person vertex also carries its aggregates, refreshed after every load, so that
filtering and ordering customers by balance needs no scan of accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customer360.graphstore.plan import Direction, EdgeLabel, VertexLabel

KIND = "kind"
"""Every vertex's label again, as an indexed property: ``hasLabel`` alone makes JanusGraph scan
every vertex (1 s for 15k vertices, against 40 ms through the index)."""

TIME_ORDER = "time_order"
"""On every ``SENT`` and ``RECEIVED_BY`` edge: the transaction's place in time order, as one
string (:func:`time_order_key`), sort key of the edge's vertex-centric index. With it, an
account's newest payments are the first entries of its sorted adjacency list: a page reads
its own edges only, however many the account has. JanusGraph folds one sort key into a
vertex query (two raise "Only a single sort order is supported"), hence one key that holds
both the time and the tie-breaking transaction id."""

TIME_ORDER_OFFSET = 10**12
"""Added to the epoch seconds so that every time from 31,000 years before 1970 to 285,000 after
is a 13-digit number and the keys compare as the times do."""

DIRECTORY_LABEL = "c360_directory"
"""One vertex listing every person (``LISTS`` edges), so that the customers list, in name
order, is a page of one sorted adjacency list instead of a scan of every person."""

LISTS = "LISTS"
"""Directory -> person."""

NAME_ORDER = "name_order"
"""On every ``LISTS`` edge: last name, first name and person id, apart by ``\x1f``, below
every character a name may hold (the loader refuses control characters in names), so that
string order is SQLite's ``ORDER BY last_name, first_name, person_id``. One key, for the
same reason as :data:`TIME_ORDER`."""

BALANCE_ORDER = "balance_order"
"""On every ``LISTS`` edge: the person's total balance in cents, shifted to 20 digits, then the
person id, so that string order is SQLite's ``ORDER BY total_balance_cents, person_id``.
Rewritten whenever a load refreshes the person's aggregates."""

BALANCE_OFFSET = 10**19
"""Added to the cents: every signed 64-bit value (JanusGraph's Long) becomes 20 digits."""

PERSONS_LISTED = "persons_listed"
"""State key: every person has its ``LISTS`` edge, with both sort keys (set on a new graph, or
once ``c360 graph init`` has listed the persons of a graph loaded by an earlier version)."""

EDGES_TIME_ORDERED = "edges_time_ordered"
"""State key: every transaction edge carries :data:`TIME_ORDER` (set on a new graph, or once
``c360 graph init`` has added it to the edges of a graph loaded by an earlier version)."""



@dataclass(frozen=True, slots=True)
class EdgeIndex:
    """A vertex-centric index: the ``edge`` edges of a vertex of kind ``owner`` (in
    ``direction``), sorted by ``key``. JanusGraph answers a page in the index's own order from
    it; the other order it would return wrongly when folded, so only this one is read."""

    name: str
    owner: str
    edge: str
    direction: Direction
    key: str
    descending: bool


SENT_BY_TIME = EdgeIndex("sent_by_time", VertexLabel.ACCOUNT.value, EdgeLabel.SENT.value, Direction.OUT,
                         TIME_ORDER, descending=True)
RECEIVED_BY_TIME = EdgeIndex("received_by_time", VertexLabel.ACCOUNT.value, EdgeLabel.RECEIVED_BY.value,
                             Direction.IN, TIME_ORDER, descending=True)
PERSONS_BY_NAME = EdgeIndex("persons_by_name", DIRECTORY_LABEL, LISTS, Direction.OUT, NAME_ORDER, descending=False)
PERSONS_BY_BALANCE = EdgeIndex("persons_by_balance", DIRECTORY_LABEL, LISTS, Direction.OUT, BALANCE_ORDER,
                               descending=True)
EDGE_INDEXES = (SENT_BY_TIME, RECEIVED_BY_TIME, PERSONS_BY_NAME, PERSONS_BY_BALANCE)

STATE_LABEL = "c360_state"
"""Small key/value vertices: data version, rules fingerprint, the dashboard snapshot."""

PROPERTY_TYPES: dict[str, str] = {
    "person_id": "String", "first_name": "String", "last_name": "String", "name_lower": "String",
    "date_of_birth": "String", "ssn_last4": "String", "ssn_encrypted": "String", "num_accounts": "Long", "total_balance_cents": "Long",
    "num_transactions": "Long", "total_volume_cents": "Long",
    "account_id": "String", "owner_person_id": "String", "account_type": "String", "balance_cents": "Long",
    "status": "String",
    "address_id": "String", "street": "String", "city": "String", "state": "String", "zip_code": "String",
    "phone_id": "String", "number": "String", "phone_type": "String",
    "transaction_id": "String", "from_account_id": "String", "to_account_id": "String",
    "amount_cents": "Long", "timestamp": "Long",
    KIND: "String", TIME_ORDER: "String", NAME_ORDER: "String", BALANCE_ORDER: "String",
    "segment_tier": "String", "risk_level": "String", "state_key": "String", "state_value": "String",
}

PLAIN_INDEXES: tuple[tuple[str, str], ...] = (
    ("by_kind", KIND), ("by_state", "state"), ("by_owner_person_id", "owner_person_id"),
    ("by_state_key", "state_key"), ("by_segment_tier", "segment_tier"), ("by_risk_level", "risk_level"),
)

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
  built = []
  for (entry in edgeIndexes) {
    indexed = mgmt.getEdgeLabel(entry[1])
    if (mgmt.getRelationIndex(indexed, entry[0]) == null) {
      mgmt.buildEdgeIndex(indexed, entry[0], org.apache.tinkerpop.gremlin.structure.Direction.valueOf(entry[2]),
                          org.apache.tinkerpop.gremlin.process.traversal.Order.valueOf(entry[4]), mgmt.getPropertyKey(entry[3]))
      built << entry
    }
  }
  mgmt.commit()
} catch (e) { mgmt.rollback(); throw e }
// An edge index made on a label that already has edges starts INSTALLED: once registered,
// the edges written before it are indexed (REINDEX) and it is ENABLED. On a new graph it is
// ENABLED at once and this is a no-op.
for (entry in built) {
  org.janusgraph.graphdb.database.management.ManagementSystem.awaitRelationIndexStatus(graph, entry[0], entry[1])
      .status(org.janusgraph.core.schema.SchemaStatus.REGISTERED, org.janusgraph.core.schema.SchemaStatus.ENABLED).call()
  mgmt = graph.openManagement()
  edgeIndex = mgmt.getRelationIndex(mgmt.getEdgeLabel(entry[1]), entry[0])
  if (edgeIndex.getIndexStatus() != org.janusgraph.core.schema.SchemaStatus.ENABLED) {
    mgmt.updateIndex(edgeIndex, org.janusgraph.core.schema.SchemaAction.REINDEX).get()
    mgmt.commit()
  } else {
    mgmt.rollback()
  }
}
'ok'
"""


def schema_bindings() -> dict[str, Any]:
    """The script's parameters: what to create (the script skips what exists)."""
    return {
        "vertexLabels": [label.value for label in VertexLabel] + [STATE_LABEL, DIRECTORY_LABEL],
        "edgeLabels": [edge.value for edge in EdgeLabel] + [LISTS],
        "propertyKeys": [[name, kind] for name, kind in PROPERTY_TYPES.items()],
        "uniqueIndexes": [[f"by_{label.key}", label.key, label.value] for label in VertexLabel],
        "plainIndexes": [[name, key] for name, key in PLAIN_INDEXES],
        "edgeIndexes": [
            [index.name, index.edge, index.direction.name, index.key, "desc" if index.descending else "asc"]
            for index in EDGE_INDEXES
        ],
    }


def time_order_key(timestamp: int, transaction_id: str) -> str:
    """:data:`TIME_ORDER` of a transaction: its fixed-width time, then its id, so that string
    order is (time, id) order, as SQLite's ``ORDER BY timestamp, transaction_id``."""
    shifted = timestamp + TIME_ORDER_OFFSET
    if not 0 <= shifted < 10 * TIME_ORDER_OFFSET:
        raise ValueError(f"transaction {transaction_id!r}: timestamp {timestamp} is out of range")
    return f"{shifted:013d}{transaction_id}"


def time_bound(timestamp: int) -> str:
    """The smallest :data:`TIME_ORDER` of any transaction at ``timestamp`` (a bound of a time
    range). A time before the keys' range gives a bound below every key; one after it, ``":"``,
    which sorts after every digit and so above every key."""
    shifted = timestamp + TIME_ORDER_OFFSET
    if shifted >= 10 * TIME_ORDER_OFFSET:
        return ":"
    return f"{max(shifted, 0):013d}"


NAME_SEPARATOR = "\x1f"


def name_order_key(last_name: str, first_name: str, person_id: str) -> str:
    """:data:`NAME_ORDER` of a person."""
    return NAME_SEPARATOR.join((last_name, first_name, person_id))


def balance_order_key(total_balance_cents: int, person_id: str) -> str:
    """:data:`BALANCE_ORDER` of a person."""
    return f"{total_balance_cents + BALANCE_OFFSET:020d}{person_id}"

"""Writing to JanusGraph: upserts addressed by vertex id, a few hundred rows per traversal,
several traversals at once, each sent through the store (and so through the call choke point).

``mergeV``/``mergeE`` whose match map comes from a traversal cannot use JanusGraph's unique
index (it scans), so each chunk first resolves its business keys to vertex ids with one
index-backed lookup, then creates the missing vertices with ``addV`` and updates or links the
rest through ``mergeV``/``mergeE`` on ids, which are direct reads.

Each chunk is its own transaction, and JanusGraph spends most of one waiting on the lock
round trips its unique indexes make to Cassandra, not on CPU; so the chunks of one call run
``workers`` at a time (about 2x faster at 4 than one at a time, measured in
``docs/benchmarks.md``). Chunks of one call never share a key: the loader has rejected
duplicate keys, and each edge is one (out, in) pair. Calls stay in the loader's dependency
order, because each returns only when all its chunks are written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.graph_traversal import (
    GraphTraversal,
    GraphTraversalSource,
    __,
)
from gremlin_python.process.traversal import Direction as GremlinDirection
from gremlin_python.process.traversal import Merge, P, T

from customer360.encryption import FieldCipher
from customer360.graphstore.gremlin.emit import (
    GremlinQuery,
    Params,
    get_vertices,
    of_kind,
    sum_or_zero,
)
from customer360.graphstore.gremlin.schema import (
    BALANCE_ORDER,
    DIRECTORY_LABEL,
    KIND,
    LISTS,
    NAME_ORDER,
    STATE_LABEL,
    TIME_ORDER,
    balance_order_key,
    name_order_key,
    time_order_key,
)
from customer360.graphstore.mapping import stored_of, stored_person
from customer360.graphstore.plan import EdgeLabel, GetVertices, VertexLabel
from customer360.model import (
    Account,
    Address,
    Phone,
    PhoneLink,
    Residence,
    SeedPerson,
    Transaction,
)

log = logging.getLogger(__name__)

Send = Callable[[GremlinQuery], list]

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
    final failure no further chunk starts (the failing worker says so at once; the chunks
    still queued are also cancelled), the running ones are waited for, and the failure is
    raised: a broken load stops with its real error and leaves no write behind it in flight.
    Callers pass chunks that touch disjoint keys only."""
    attempt = retrying(write)
    failed = threading.Event()

    def guarded(chunk: Sequence[Any]) -> Any:
        if failed.is_set():
            return None
        try:
            return attempt(chunk)
        except BaseException:
            failed.set()
            raise

    futures = [pool.submit(guarded, items[start : start + size]) for start in range(0, len(items), size)]
    try:
        for future in futures:
            future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        wait(futures)
        raise


def _write(
    operation: str, rows: int, build: Callable[[GraphTraversalSource, Params], GraphTraversal], *, discard: bool = True
) -> GremlinQuery:
    """A write traversal. Its payload is the data itself, so the call log shows a row count;
    what it returns is discarded on the server (``none()``, as ``iterate()`` does) unless
    asked for, since elements written come back with relation ids gremlinpython cannot read."""
    sent = (lambda g, p: build(g, p).none()) if discard else build
    return GremlinQuery(operation, sent, display=f"{operation}: {rows} rows")


class GremlinBulkWriter:
    """Upserts by business key (see the module docstring for how and why)."""

    CHUNK = 250

    def __init__(self, send: Send, cipher: FieldCipher, workers: int = 4) -> None:
        self._send = send
        self._cipher = cipher
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="c360-load")
        self._touched_persons: set[str] = set()
        self._directory: Any = None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _ids(self, label: VertexLabel, keys: Collection[str]) -> dict[str, Any]:
        """Business key -> JanusGraph vertex id, for the keys that exist (one index lookup)."""
        if not keys:
            return {}
        rows = self._send(GremlinQuery(f"vertex_ids({label.value})", lambda g, p: (
            g.V().has(label.value, label.key, P.within(p("keys", list(keys)))).project("k", "id").by(label.key).by(T.id)
        )))
        return {row["k"]: row["id"] for row in rows}

    def merge_vertices(self, label: VertexLabel, rows: list[dict[str, Any]]) -> None:
        in_chunks(self._pool, rows, self.CHUNK, lambda chunk: self._merge_vertex_chunk(label, chunk))

    def _merge_vertex_chunk(self, label: VertexLabel, chunk: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Upsert one chunk; returns business key -> vertex id for all its rows."""
        existing = self._ids(label, [row[label.key] for row in chunk])
        ids = dict(existing)
        fresh = [row for row in chunk if row[label.key] not in existing]
        if fresh:
            def create(g: GraphTraversalSource, p: Params) -> GraphTraversal:
                t = g.inject(fresh).unfold().as_("row").add_v(label.value).property(KIND, label.value)
                for name in fresh[0]:
                    t = t.property(name, __.select("row").select(name))
                return t.project("k", "id").by(label.key).by(T.id)

            created = self._send(_write(f"add_vertices({label.value})", len(fresh), create, discard=False))
            ids.update((row["k"], row["id"]) for row in created)
        known = [
            {"match": {T.id: existing[row[label.key]]}, "props": {k: v for k, v in row.items() if k != label.key}}
            for row in chunk if row[label.key] in existing
        ]
        if known:
            self._send(_write(f"merge_vertices({label.value})", len(known), lambda g, p: (
                g.inject(known).unfold().as_("row")
                .merge_v(__.select("row").select("match"))
                .option(Merge.on_match, __.select("row").select("props"))
            )))
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
        self._send(_write(f"merge_edges({edge.value})", len(batch), lambda g, p: g.inject(batch).unfold().merge_e()))

    def put_persons(self, rows: Sequence[SeedPerson]) -> None:
        """Persons, each listed on the directory with its name and balance orders
        (schema.NAME_ORDER, schema.BALANCE_ORDER), found or made: a load that renames a
        person moves it in the customers list."""
        directory = self.directory_id()
        in_chunks(self._pool, rows, self.CHUNK, lambda chunk: self._person_chunk(directory, chunk))
        self._touched_persons.update(r.person_id for r in rows)

    def _person_chunk(self, directory: Any, chunk: Sequence[SeedPerson]) -> None:
        self._merge_vertex_chunk(VertexLabel.PERSON, [
            {**stored_person(r, self._cipher), "name_lower": f"{r.first_name} {r.last_name}".lower()} for r in chunk
        ])
        self._list_persons(directory, [(r.person_id, r.last_name, r.first_name) for r in chunk])

    def _list_persons(self, directory: Any, persons: Sequence[tuple[str, str, str]]) -> None:
        """``LISTS`` edges from the directory to (person id, last, first), with both sort keys
        from the start: an edge without its key would sit at one end of its index (JanusGraph
        keeps it there), so the balance order comes from the stored total (0 for a new person,
        until the aggregates refresh at the end of the load)."""
        found = self._person_balances([key for key, _, _ in persons])
        self._merge_sorted_edges(f"merge_edges({LISTS})", [
            (self._listing(directory, found[key][0]),
             {NAME_ORDER: name_order_key(last, first, key), BALANCE_ORDER: balance_order_key(found[key][1], key)})
            for key, last, first in persons
        ])

    def _order_by_balance(self, directory: Any, keys: Sequence[str]) -> None:
        """The ``LISTS`` edges of these persons get their balance order (schema.BALANCE_ORDER),
        from the total balance the aggregates refresh has just stored."""
        self._merge_sorted_edges(f"order_edges({LISTS})", [
            (self._listing(directory, vertex), {BALANCE_ORDER: balance_order_key(cents, key)})
            for key, (vertex, cents) in self._person_balances(keys).items()
        ])

    def _person_balances(self, keys: Sequence[str]) -> dict[str, tuple[Any, int]]:
        """Person id -> (vertex id, stored total balance in cents, 0 where none is stored yet)."""
        rows = self._send(GremlinQuery("person_balances", lambda g, p: (
            g.V().has(VertexLabel.PERSON.value, "person_id", P.within(list(keys)))
            .project("id", "key", "cents").by(T.id).by("person_id")
            .by(__.coalesce(__.values("total_balance_cents"), __.constant(0)))
        )))
        return {row["key"]: (row["id"], row["cents"]) for row in rows}

    @staticmethod
    def _listing(directory: Any, person: Any) -> dict:
        """The ``mergeE`` map of the directory's edge to a person (vertex ids)."""
        return {T.label: LISTS, GremlinDirection.OUT: directory, GremlinDirection.IN: person}

    def _merge_sorted_edges(self, operation: str, edges: Sequence[tuple[dict, dict[str, str]]]) -> None:
        """Find or make each edge (its ``mergeE`` map) and set its sort keys (the same names
        for every edge of one call) to the values given: the keys of vertex-centric indexes,
        kept current on every write."""
        if not edges:
            return
        rows = [{"match": match, "keys": keys} for match, keys in edges]
        names = list(edges[0][1])

        def build(g: GraphTraversalSource, p: Params) -> GraphTraversal:
            t = g.inject(rows).unfold().as_("edge").merge_e(__.select("edge").select("match"))
            for name in names:
                t = t.property(name, __.select("edge").select("keys").select(name))
            return t

        self._send(_write(operation, len(rows), build))

    def directory_id(self) -> Any:
        """The directory vertex's id (schema.DIRECTORY_LABEL), made if the graph has none.
        ``init_schema`` makes it, on one thread; here it is only looked up, once per writer."""
        if self._directory is None:
            found = self._send(GremlinQuery("directory", lambda g, p: g.V().has(KIND, DIRECTORY_LABEL).limit(1).id_()))
            if not found:
                found = self._send(_write("add_directory", 1, lambda g, p: (
                    g.add_v(DIRECTORY_LABEL).property(KIND, DIRECTORY_LABEL).id_()
                ), discard=False))
            self._directory = found[0]
        return self._directory

    def list_all_persons(self, progress: Callable[[int, int], None] | None = None) -> int:
        """List every stored person on the directory, with both sort keys (a graph loaded by
        an earlier version has no directory). Returns how many persons there were."""
        directory = self.directory_id()
        return self._for_every(VertexLabel.PERSON, lambda persons: self._list_persons(
            directory, [(key, person.last_name, person.first_name) for key, person in persons.items()],
        ), progress)

    def put_accounts(self, rows: Sequence[Account]) -> None:
        self.merge_vertices(VertexLabel.ACCOUNT, [stored_of(r) for r in rows])
        self._merge_edges(EdgeLabel.OWNS, [(r.owner_person_id, r.account_id) for r in rows])
        self._touched_persons.update(r.owner_person_id for r in rows)

    def put_addresses(self, rows: Sequence[Address]) -> None:
        self.merge_vertices(VertexLabel.ADDRESS, [stored_of(r) for r in rows])

    def put_phones(self, rows: Sequence[Phone]) -> None:
        self.merge_vertices(VertexLabel.PHONE, [stored_of(r) for r in rows])

    def put_residences(self, rows: Sequence[Residence]) -> None:
        self._merge_edges(EdgeLabel.LIVES_AT, [(r.person_id, r.address_id) for r in rows])

    def put_phone_links(self, rows: Sequence[PhoneLink]) -> None:
        self._merge_edges(EdgeLabel.HAS_PHONE, [(r.person_id, r.phone_id) for r in rows])

    def put_transactions(self, rows: Sequence[Transaction]) -> None:
        in_chunks(self._pool, rows, self.CHUNK, self._transaction_chunk)
        self._touched_persons.add("*")  # senders' owners are not known here: refresh everyone

    def _transaction_chunk(self, chunk: Sequence[Transaction]) -> None:
        """A transaction and its two edges in four round trips, not seven: the vertex ids
        come back from the upsert, and both accounts of every row are looked up at once.
        Both edges carry the transaction's time-order key, found or made (schema.TIME_ORDER)."""
        transactions = self._merge_vertex_chunk(VertexLabel.TRANSACTION, [stored_of(r) for r in chunk])
        accounts = self._ids(VertexLabel.ACCOUNT, {r.from_account_id for r in chunk} | {r.to_account_id for r in chunk})
        self._merge_sorted_edges("merge_edges(SENT,RECEIVED_BY)", [
            (edge, {TIME_ORDER: time_order_key(r.timestamp, r.transaction_id)})
            for r in chunk
            for edge in (
                {T.label: EdgeLabel.SENT.value, GremlinDirection.OUT: accounts[r.from_account_id],
                 GremlinDirection.IN: transactions[r.transaction_id]},
                {T.label: EdgeLabel.RECEIVED_BY.value, GremlinDirection.OUT: transactions[r.transaction_id],
                 GremlinDirection.IN: accounts[r.to_account_id]},
            )
        ])

    def time_order_edges(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Give the edges of every stored transaction their time-order key (a graph loaded by
        an earlier version has none): each transaction is written again, as a load would.
        Returns how many transactions there were."""
        return self._for_every(VertexLabel.TRANSACTION,
                               lambda transactions: self._transaction_chunk(list(transactions.values())), progress)

    def _for_every(self, label: VertexLabel, write: Callable[[dict[str, Any]], None],
                   progress: Callable[[int, int], None] | None) -> int:
        """``write`` every stored vertex of ``label``, read back as records (key -> record) a
        chunk at a time, chunks side by side; returns how many there were."""
        keys = self._send(GremlinQuery(f"list_keys({label.value})", lambda g, p: (
            of_kind(g.V(), label).values(label.key)
        )))
        done = 0
        lock = threading.Lock()

        def rewrite(chunk: Sequence[str]) -> None:
            nonlocal done
            stored = get_vertices(GetVertices(label, tuple(chunk)))
            assert stored.query is not None  # the chunk has keys
            write(stored.decode(self._send(stored.query)))
            with lock:
                done += len(chunk)
                if progress is not None:
                    progress(done, len(keys))

        in_chunks(self._pool, keys, self.CHUNK, rewrite)
        return len(keys)

    def write_person_insights(self, rows: list[tuple[str, str, str]]) -> None:
        """Each person's stored segment tier and risk level (the insight cache)."""
        self.merge_vertices(VertexLabel.PERSON, [
            {"person_id": person_id, "segment_tier": tier, "risk_level": level} for person_id, tier, level in rows
        ])

    def write_state(self, key: str, value: str) -> None:
        self._send(_write("write_state", 1, lambda g, p: (
            g.merge_v({T.label: STATE_LABEL, "state_key": p("key", key)})
            .option(Merge.on_create, {"state_value": p("value", value)})
            .option(Merge.on_match, {"state_value": p("value", value)})
        )))

    def refresh_person_aggregates(self, batch_size: int = 500) -> None:
        """Recompute num_accounts/total_balance/num_transactions/volume on person vertices."""
        if "*" in self._touched_persons:
            persons = self._send(GremlinQuery("list_persons", lambda g, p: (
                of_kind(g.V(), VertexLabel.PERSON).values("person_id")
            )))
        else:
            persons = sorted(self._touched_persons)
        directory = self.directory_id()

        def refresh(chunk: Sequence[str]) -> None:
            self._send(_write("refresh_person_aggregates", len(chunk), lambda g, p: (
                g.V().has("person", "person_id", P.within(list(chunk)))
                .property("num_accounts", __.out("OWNS").count())
                .property("total_balance_cents", sum_or_zero(__.out("OWNS").values("balance_cents")))
                .property("num_transactions", __.out("OWNS").out("SENT").count())
                .property("total_volume_cents", sum_or_zero(__.out("OWNS").out("SENT").values("amount_cents")))
            )))
            self._order_by_balance(directory, chunk)

        in_chunks(self._pool, persons, batch_size, refresh)
        self._touched_persons.clear()

    def drop_all(self) -> None:
        """Tests only: empty the graph (keeps the schema), in small transactions, several at once.

        Deletes claim more locks than inserts: beyond 4 at once, claims time out on 2 cores;
        and one huge drop would exceed the server's evaluation timeout."""
        chunk = 500
        while ids := self._send(GremlinQuery("list_vertex_ids", lambda g, p: g.V().limit(chunk * 4).id_())):
            in_chunks(self._pool, ids, chunk, lambda part: self._send(_write(
                "drop_vertices", len(part), lambda g, p: g.V(*part).drop()
            )))

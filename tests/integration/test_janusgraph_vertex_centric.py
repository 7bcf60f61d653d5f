"""Pages read through JanusGraph's vertex-centric indexes (``gremlin/schema.py``): payments
in time order (TIME_ORDER on the payment edges) and the customers list in name order
(NAME_ORDER on the directory's LISTS edges). On the real server: a first page reads only its
own edges, every shape of page answers as the vertices do, and a graph loaded by an earlier
version is read correctly until ``init_schema`` upgrades it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Order

from customer360.graphstore.compiled import Compiled
from customer360.graphstore.gremlin import GremlinStore, emit
from customer360.graphstore.gremlin.emit import GremlinQuery, Params, of_kind
from customer360.graphstore.gremlin.schema import (
    BALANCE_ORDER,
    DIRECTORY_LABEL,
    EDGES_TIME_ORDERED,
    KIND,
    LISTS,
    NAME_ORDER,
    PERSONS_LISTED,
    TIME_ORDER,
)
from customer360.graphstore.mapping import STORED_PROPERTIES, record_of
from customer360.graphstore.plan import (
    Direction,
    EdgeLabel,
    FindPersons,
    Keyset,
    Op,
    PersonFilter,
    PersonOrder,
    PersonSecrets,
    Predicate,
    Traverse,
    VertexLabel,
)
from customer360.model import SeedPerson
from customer360.resolvers.graph import (
    ACCOUNT_RECEIVED,
    ACCOUNT_SENT,
    NEWEST_FIRST,
    OLDEST_FIRST,
    PERSON_TRANSACTIONS,
)


def _busiest(store: GremlinStore, edge: EdgeLabel, direction: Direction) -> tuple[str, int]:
    """The account with the most ``edge`` edges, and how many."""
    def build(g, p):
        account = of_kind(g.V(), VertexLabel.ACCOUNT)
        edges = __.out_e(edge.value) if direction is Direction.OUT else __.in_e(edge.value)
        degree = account.project("id", "n").by("account_id").by(edges.count())
        return degree.order().by("n", Order.desc).by("id").limit(1)

    [row] = store.send(GremlinQuery("busiest", build))
    return row["id"], row["n"]


def _steps(store: GremlinStore) -> list[Traverse]:
    """Every shape of time-ordered page: newest and oldest first, after a cursor, within a time
    range, two hops (a person's payments), payments in."""
    account, _ = _busiest(store, EdgeLabel.SENT, Direction.OUT)
    receiver, _ = _busiest(store, EdgeLabel.RECEIVED_BY, Direction.IN)
    [owner] = store.send(GremlinQuery("owner", lambda g, p: (  # the person paying from most accounts
        of_kind(g.V(), VertexLabel.PERSON).project("id", "n").by("person_id")
        .by(__.out("OWNS").where(__.out_e("SENT")).count()).order().by("n", Order.desc).by("id").limit(1)
        .select("id")
    )))
    first = Traverse(VertexLabel.ACCOUNT, (account,), ACCOUNT_SENT, first=3, order=NEWEST_FIRST, with_total=True)
    [page] = _sync(store, emit.traverse(first)).values()
    newest = page.rows[0]
    cursor = Keyset(page.rows[-1].timestamp, page.rows[-1].transaction_id)
    return [
        first,
        replace(first, after=cursor),
        replace(first, order=OLDEST_FIRST),
        replace(first, order=OLDEST_FIRST, after=cursor),
        replace(first, where=(Predicate("timestamp", Op.LT, newest.timestamp),), first=50),
        replace(first, where=(Predicate("timestamp", Op.GTE, newest.timestamp - 86_400 * 90),
                              Predicate("timestamp", Op.LT, newest.timestamp)), first=50),
        Traverse(VertexLabel.PERSON, (owner,), PERSON_TRANSACTIONS, first=5, order=NEWEST_FIRST, with_total=True),
        Traverse(VertexLabel.ACCOUNT, (receiver, account), ACCOUNT_RECEIVED, first=4, order=NEWEST_FIRST, with_total=True),
    ]


def _sync(store: GremlinStore, compiled: Compiled):
    return compiled.decode(store.send(compiled.query))


def test_every_page_of_transactions_answers_as_the_transaction_vertices_do(janusgraph_store) -> None:
    steps = _steps(janusgraph_store)
    for step in steps:
        ordered = emit.traverse_time_ordered(step)
        assert ordered is not None, step
        assert _sync(janusgraph_store, ordered) == _sync(janusgraph_store, emit.traverse(step)), step
    # a filter on the amount needs the vertices: that page is not read from the edges
    assert emit.traverse_time_ordered(replace(steps[0], where=(Predicate("amount", Op.GTE, 100),))) is None


def test_a_first_page_reads_only_its_own_edges(janusgraph_store) -> None:
    account, degree = _busiest(janusgraph_store, EdgeLabel.SENT, Direction.OUT)
    assert degree > 4, "the fixture bank needs an account with more payments than the page"
    assert janusgraph_store._index_problem() is None  # the server reads through the index
    step = Traverse(VertexLabel.ACCOUNT, (account,), ACCOUNT_SENT, first=3, order=NEWEST_FIRST)

    def edges_read(compiled: Compiled) -> int:
        build = compiled.query.build
        [profile] = janusgraph_store.send(GremlinQuery("profile", lambda g, p: build(g, Params(False)).profile()))
        return _counted(profile, "JanusGraphVertexStep(OUT,[SENT]")

    assert edges_read(emit.traverse_time_ordered(step)) == 4  # the page and one more, to know there is a next
    assert edges_read(emit.traverse(step)) == degree  # through the vertices: every payment of the account


def _counted(profile: dict, step: str) -> int:
    """Elements counted by the profile's first step whose name starts with ``step``."""
    for metric in profile.get("metrics") or ():
        if metric.get("name", "").startswith(step):
            return metric["counts"]["elementCount"]
        found = _counted(metric, step)
        if found:
            return found
    return 0


async def test_an_older_graph_is_read_from_the_vertices_until_graph_init_upgrades_it(janusgraph_store) -> None:
    account, degree = _busiest(janusgraph_store, EdgeLabel.SENT, Direction.OUT)
    step = Traverse(VertexLabel.ACCOUNT, (account,), ACCOUNT_SENT, first=3, order=NEWEST_FIRST, with_total=True)
    customers = FindPersons(first=5, with_total=True)
    expected = await janusgraph_store.traverse(step), await janusgraph_store.find_persons(customers)
    # as a graph loaded before the keys and the directory existed: one account's payment edges
    # without their key, the first customers not listed
    janusgraph_store.send(GremlinQuery("forget_time_order", lambda g, p: (
        g.V().has("account", "account_id", account).out_e("SENT").properties(TIME_ORDER).drop()
    )))
    janusgraph_store.send(GremlinQuery("unlist", lambda g, p: (
        g.V().has(KIND, DIRECTORY_LABEL).local(__.out_e(LISTS).order().by(NAME_ORDER).limit(3)).drop()
    )))
    janusgraph_store.write_state(EDGES_TIME_ORDERED, "0")
    janusgraph_store.write_state(PERSONS_LISTED, "0")
    older = GremlinStore(janusgraph_store.host, janusgraph_store.port, cipher=janusgraph_store.cipher)
    try:
        assert "c360 graph init" in (older._index_problem() or "")
        assert (await older.traverse(step), await older.find_persons(customers)) == expected  # from the vertices
        older.init_schema()
        assert older._index_problem() is None
        [unordered] = older.send(GremlinQuery("unordered", lambda g, p: (
            of_kind(g.V(), VertexLabel.ACCOUNT).out_e("SENT").has_not(TIME_ORDER).count()
        )))
        [unlisted] = older.send(GremlinQuery("unlisted", lambda g, p: (
            of_kind(g.V(), VertexLabel.PERSON).not_(__.in_e(LISTS)).count()
        )))
        [keyless] = older.send(GremlinQuery("keyless", lambda g, p: (
            g.V().has(KIND, DIRECTORY_LABEL).out_e(LISTS).or_(__.has_not(NAME_ORDER), __.has_not(BALANCE_ORDER)).count()
        )))
        assert (unordered, unlisted, keyless) == (0, 0, 0)
        assert (await older.traverse(step), await older.find_persons(customers)) == expected  # through the indexes
    finally:
        older.close()
        janusgraph_store.init_schema()  # leaves the session's graph whole whatever happened


def _customers(store: GremlinStore, step: FindPersons):
    listed = emit.find_persons_listed(step)
    assert listed is not None, step
    return _sync(store, listed), _sync(store, emit.find_persons(step))


RICHEST_FIRST = FindPersons(order=PersonOrder.TOTAL_BALANCE, descending=True)


def test_every_page_of_the_customers_list_answers_as_the_person_scan_does(janusgraph_store) -> None:
    for order in (FindPersons(), RICHEST_FIRST):
        for first in (1, 7, 100):
            listed, scanned = _customers(janusgraph_store, replace(order, first=first, with_total=True))
            assert listed == scanned and len(listed.rows) == first
            listed, scanned = _customers(janusgraph_store, replace(order, first=first, after=listed.keysets[-1]))
            assert listed == scanned and listed.rows
    for other in (FindPersons(descending=True), FindPersons(order=PersonOrder.TOTAL_BALANCE),
                  FindPersons(filter=PersonFilter(name_contains="an"))):
        assert emit.find_persons_listed(other) is None  # the scan answers these


def test_a_load_that_changes_a_balance_moves_the_person_in_the_richest_first_list(janusgraph_store) -> None:
    first = replace(RICHEST_FIRST, first=3)
    original, _ = _customers(janusgraph_store, first)
    richest = original.rows[0].person_id
    [account] = janusgraph_store.send(GremlinQuery("an_account", lambda g, p: (
        g.V().has("person", "person_id", richest).out("OWNS").order().by("balance_cents", Order.desc).limit(1)
        .value_map(*STORED_PROPERTIES[VertexLabel.ACCOUNT]).by(__.unfold())
    )))
    before = record_of(VertexLabel.ACCOUNT, account)
    try:
        with janusgraph_store.bulk_writer() as writer:
            writer.put_accounts([replace(before, balance=Decimal("-999999999.99"))])
        listed, scanned = _customers(janusgraph_store, first)
        assert listed == scanned and richest not in [row.person_id for row in listed.rows]
    finally:
        with janusgraph_store.bulk_writer() as writer:
            writer.put_accounts([before])
    assert _customers(janusgraph_store, first) == (original, original)


def test_a_load_that_renames_a_person_moves_it_in_the_list(janusgraph_store) -> None:
    first = FindPersons(first=3)
    original, _ = _customers(janusgraph_store, first)
    person = original.rows[0]
    [ssn] = janusgraph_store._ask(emit.person_secrets(PersonSecrets((person.person_id,)))).values()
    renamed = SeedPerson(person.person_id, person.first_name, "Zzzz" + person.last_name, person.date_of_birth,
                         janusgraph_store.cipher.decrypt(ssn, person.person_id))
    try:
        with janusgraph_store.bulk_writer() as writer:
            writer.put_persons([renamed])
        listed, scanned = _customers(janusgraph_store, first)
        assert listed == scanned and person.person_id not in [row.person_id for row in listed.rows]
    finally:
        with janusgraph_store.bulk_writer() as writer:
            writer.put_persons([replace(renamed, last_name=person.last_name)])
    assert _customers(janusgraph_store, first) == (original, original)


def test_a_first_page_of_customers_reads_only_its_own_edges(janusgraph_store) -> None:
    [persons] = janusgraph_store.send(GremlinQuery("persons", lambda g, p: of_kind(g.V(), VertexLabel.PERSON).count()))
    listed = emit.find_persons_listed(FindPersons(first=3))
    build = listed.query.build
    [profile] = janusgraph_store.send(GremlinQuery("profile", lambda g, p: build(g, Params(False)).profile()))
    assert _counted(profile, f"JanusGraphVertexStep(OUT,[{LISTS}]") == 4 < persons


def test_the_time_range_of_a_page_holds_at_its_edges(janusgraph_store) -> None:
    """A page between two times includes the first second and leaves out the last."""
    account, _ = _busiest(janusgraph_store, EdgeLabel.SENT, Direction.OUT)
    everything = Traverse(VertexLabel.ACCOUNT, (account,), ACCOUNT_SENT, first=100, order=NEWEST_FIRST)
    [page] = _sync(janusgraph_store, emit.traverse_time_ordered(everything)).values()
    times = [row.timestamp for row in page.rows]
    since, until = times[-2], times[1]
    ranged = replace(everything, where=(Predicate("timestamp", Op.GTE, since), Predicate("timestamp", Op.LT, until)))
    [inside] = _sync(janusgraph_store, emit.traverse_time_ordered(ranged)).values()
    assert [row.timestamp for row in inside.rows] == [t for t in times if since <= t < until]



"""The embedded store answers a traversal with one of two statements: per source only the
rows of the page (a correlated LIMIT read from the index) when no total is asked for, or
every matching row numbered per source when one is. Both must give the same pages, for every
path, order, page size, cursor and filter a client can send; this holds them equal on the
fixture bank, with sources that have no rows, one page, and more than one page."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from customer360.backend_calls import CompiledQuery
from customer360.graphstore.plan import Op, Order, Predicate, Traverse, VertexLabel
from customer360.graphstore.sqlite import decode, emit
from customer360.resolvers import graph

PATHS = [
    (VertexLabel.PERSON, graph.PERSON_ACCOUNTS, None),
    (VertexLabel.PERSON, graph.PERSON_ADDRESSES, None),
    (VertexLabel.PERSON, graph.PERSON_PHONES, None),
    (VertexLabel.PERSON, graph.PERSON_TRANSACTIONS, graph.NEWEST_FIRST),
    (VertexLabel.ADDRESS, graph.ADDRESS_RESIDENTS, None),
    (VertexLabel.PHONE, graph.PHONE_OWNERS, None),
    (VertexLabel.ACCOUNT, graph.ACCOUNT_SENT, graph.NEWEST_FIRST),
    (VertexLabel.ACCOUNT, graph.ACCOUNT_RECEIVED, graph.OLDEST_FIRST),
    (VertexLabel.ACCOUNT, graph.ACCOUNT_SENT, Order("amount", descending=False)),
]
FILTERS = [(), (Predicate("amount", Op.GTE, 10_000),), (Predicate("timestamp", Op.LT, 1_700_000_000),)]


def pages(store, step: Traverse, text_and_params) -> dict:
    text, params = text_and_params
    rows = store._read(CompiledQuery("traverse", text, params))
    return {source: (page.rows, page.keysets, page.has_next) for source, page in decode.traverse(step, rows).items()}


@pytest.mark.parametrize(("source", "path", "order"), PATHS, ids=lambda v: getattr(v, "value", None))
def test_the_page_only_statement_gives_the_pages_of_the_numbered_one(sqlite_contract_store, source, path, order):
    store = sqlite_contract_store
    keys = sorted(store._read(CompiledQuery("keys", f"SELECT {source.key} AS key FROM {emit.VERTEX_TABLES[source]}")),
                  key=lambda row: row["key"])
    sources = tuple(row["key"] for row in keys[:40]) + ("NO-SUCH-KEY",)
    filters = FILTERS if path[-1].edge.value in {"SENT", "RECEIVED_BY"} else [()]
    compared = 0
    for first, where in itertools.product((1, 2, 5), filters):
        step = Traverse(source, sources, path, where, order, first, None, False)
        first_pages = pages(store, step, emit._top_rows(step))
        assert first_pages == pages(store, step, emit._windowed(step))
        for key, (rows, keysets, has_next) in first_pages.items():  # the page after each first page
            if not has_next or order is None:  # lists in key order (accounts, residents) have no cursors
                continue
            after = replace(step, source_keys=(key,), after=keysets[-1])
            assert pages(store, after, emit._top_rows(after)) == pages(store, after, emit._windowed(after))
            compared += 1
    if order is not None:
        assert compared, "no source had a second page: the comparison proved nothing about cursors"

"""Loading into the real JanusGraph: the same bank twice duplicates nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from customer360.graphstore.gremlin.emit import GremlinQuery, of_kind
from customer360.graphstore.plan import EdgeLabel, VertexLabel
from customer360.ingest.load import load_bank


def _distinct(path: Path, column: str) -> int:
    with path.open(newline="") as handle:
        return len({row[column] for row in csv.DictReader(handle)})


def _rows(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_loading_the_same_bank_again_duplicates_nothing(janusgraph_store, bank_dir: Path):
    expected_vertices = {
        VertexLabel.PERSON: _rows(bank_dir / "aml_data_persons.csv"),
        VertexLabel.ACCOUNT: _rows(bank_dir / "aml_data_accounts.csv"),
        VertexLabel.ADDRESS: _distinct(bank_dir / "aml_data_addresses.csv", "address_id"),
        VertexLabel.PHONE: _distinct(bank_dir / "aml_data_phones.csv", "phone_id"),
        VertexLabel.TRANSACTION: _rows(bank_dir / "aml_data_transactions.csv"),
    }
    transactions = expected_vertices[VertexLabel.TRANSACTION]
    expected_edges = {
        EdgeLabel.OWNS: expected_vertices[VertexLabel.ACCOUNT],
        EdgeLabel.LIVES_AT: _rows(bank_dir / "aml_data_addresses.csv"),
        EdgeLabel.HAS_PHONE: _rows(bank_dir / "aml_data_phones.csv"),
        EdgeLabel.SENT: transactions,
        EdgeLabel.RECEIVED_BY: transactions,
    }
    def count(build) -> int:
        [n] = janusgraph_store.send(GremlinQuery("count", build))
        return n

    def counts():
        vertices = {label: count(lambda g, p: of_kind(g.V(), label).count()) for label in VertexLabel}
        edges = {edge: count(lambda g, p: g.E().has_label(edge.value).count()) for edge in EdgeLabel}
        return vertices, edges

    assert counts() == (expected_vertices, expected_edges)  # the session's first load
    report = load_bank(bank_dir, janusgraph_store, progress=False)
    assert report.persons == expected_vertices[VertexLabel.PERSON]
    assert counts() == (expected_vertices, expected_edges)

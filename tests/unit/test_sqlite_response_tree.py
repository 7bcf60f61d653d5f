"""Where the level path fails on stored data, the SQLite response tree must not answer instead.

A stored enum value outside its table, or a link to a vertex that is not there, makes the
level path (and the general path) report an error. The tree's statement stops at such a
value (``graphstore/sqlite/response_tree.py``), the executor goes level by level, and the
client gets the general path's own error, not a null where the schema promises a value.
The data is spoiled behind the store's back, the only way such rows can get in."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.auth.masking import MASKS
from customer360.config import Settings
from customer360.execution.tree import MASKED
from customer360.graphstore.plan import PersonOrder, VertexLabel
from customer360.graphstore.protocol import StoreUnavailable
from customer360.graphstore.response_tree import (
    ByKey,
    Constant,
    EachOf,
    Enumerated,
    Persons,
    Property,
    ResponseTree,
    Rows,
)
from customer360.graphstore.sqlite import SqliteStore
from customer360.graphstore.sqlite import response_tree as sqlite_response_tree
from tests.tiny_bank import tiny_sqlite_store


@pytest.fixture
def store(tmp_path: Path):
    with tiny_sqlite_store(tmp_path) as store:
        yield store


def _spoil(store: SqliteStore, statement: str) -> None:
    connection = sqlite3.connect(store.path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute(statement)
    connection.close()


async def _answer(store: SqliteStore, execution: str, query: str) -> dict:
    app = create_app(replace(Settings(), execution=execution), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        response = await client.post("/graphql", json={"query": query})
    return response.json()


async def test_the_tree_answers_the_tiny_bank_as_the_general_path(store) -> None:
    query = '{ account(id: "A1") { id type status owner { id name } } }'
    compiled, general = await _answer(store, "compiled", query), await _answer(store, "general", query)
    assert compiled == general and "errors" not in compiled


@pytest.mark.parametrize("spoil, query", [
    ("UPDATE account SET account_type = 'bogus' WHERE account_id = 'A1'", '{ account(id: "A1") { id type } }'),
    ("UPDATE account SET owner_person_id = 'GONE' WHERE account_id = 'A1'", '{ account(id: "A1") { id owner { id } } }'),
    # level by level (the segment is computed in Python), the accounts a subtree of the level
    ("UPDATE account SET account_type = 'bogus' WHERE account_id = 'A1'",
     '{ customer(id: "P1") { segment { tier } accounts { id type } } }'),
])
async def test_a_value_the_levels_refuse_stops_the_tree_and_the_error_is_the_general_paths(store, spoil, query) -> None:
    _spoil(store, spoil)
    compiled, general = await _answer(store, "compiled", query), await _answer(store, "general", query)
    assert "errors" in general
    assert _without_error_ids(compiled) == _without_error_ids(general)


def _without_error_ids(body: dict) -> str:
    """An internal error carries a fresh id each time (for the server's log); the rest must match."""
    return re.sub(r"[0-9a-f]{12}", "<id>", json.dumps(body))


async def test_the_statement_itself_stops_on_a_stored_value_outside_the_table(store) -> None:
    """The stop, seen from the store: a ``StoreUnavailable`` the executor answers by levels."""
    _spoil(store, "UPDATE account SET status = 'bogus' WHERE account_id = 'A2'")
    tree = ResponseTree((("account", ByKey(VertexLabel.ACCOUNT, "A2", (
        ("__typename", Constant("Account")), ("status", Enumerated("status", (("active", "ACTIVE"),))),
    ))),))
    with pytest.raises(StoreUnavailable, match="malformed JSON"):
        await store.response_tree(tree)
    healthy = ResponseTree((("account", ByKey(VertexLabel.ACCOUNT, "A1", (("__typename", Constant("Account")),))),))
    assert await store.response_tree(healthy) == {"account": {"__typename": "Account"}}


ODD_VALUES = {
    "ssn_last4": ["6789", "", "12", "١٢٣٤"],
    "date_of_birth": ["1972-03-04", "19", "", "Ω972-01-01"],
    "street": ["1 Main St", ""],
    "zip_code": ["10001", "1", "123", "1234", "", "ÅÄÖ12345", "12-345"],
}


@pytest.mark.parametrize("policy_field", sorted(MASKED))
async def test_each_mask_the_tree_writes_is_the_masking_modules_own(store, policy_field) -> None:
    """Character for character, odd stored values included (short, empty, not ASCII)."""
    masked = MASKED[policy_field]
    label, key = (VertexLabel.PERSON, "P1") if policy_field.startswith("Person.") else (VertexLabel.ADDRESS, "AD1")
    tree = ResponseTree((("v", ByKey(label, key, (("m", masked),))),))
    for raw in ODD_VALUES[masked.name]:
        connection = sqlite3.connect(store.path, isolation_level=None)
        connection.execute(f"UPDATE {label.value} SET {masked.name} = ? WHERE {label.key} = ?", (raw, key))
        connection.close()
        assert await store.response_tree(tree) == {"v": {"m": MASKS[policy_field](raw)}}, raw


async def test_cursors_written_by_sqlite_are_the_services_own_for_any_name(store) -> None:
    """A cursor holds the names it sorts by: SQLite must write them as ``encode_cursor`` does,
    quotes, backslashes, control characters and letters beyond ASCII included."""
    _spoil(store, "UPDATE person SET last_name = 'Ö\"\\' || char(10) || char(1) || '𝔘ł', first_name = '' "
                  "WHERE person_id = 'P1'")
    query = """{ customers(first: 3) { pageInfo { startCursor endCursor } edges { cursor node { id lastName } } } }"""
    compiled, general = await _answer(store, "compiled", query), await _answer(store, "general", query)
    assert "errors" not in general
    assert any(edge["node"]["lastName"].startswith("Ö") for edge in general["data"]["customers"]["edges"])
    assert json.dumps(compiled) == json.dumps(general)


async def test_a_kept_statement_answers_each_request_about_its_own_customers(store) -> None:
    """Statements are kept per tree shape with the root's keys lifted out: the second
    customer asked in the same shape must get the second customer's data, and a list of
    keys its own objects, never the statement's first answer."""
    sqlite_response_tree._statements.clear()
    fields = (("id", Property("person_id")), ("last", Property("last_name")))
    first = await store.response_tree(ResponseTree((("c", ByKey(VertexLabel.PERSON, "P1", fields)),)))
    second = await store.response_tree(ResponseTree((("c", ByKey(VertexLabel.PERSON, "P2", fields)),)))
    missing = await store.response_tree(ResponseTree((("c", ByKey(VertexLabel.PERSON, "NOPE", fields)),)))
    assert first["c"]["id"] == "P1" and second["c"]["id"] == "P2" and missing == {"c": None}
    many = [await store.response_tree(ResponseTree((("each", EachOf(VertexLabel.PERSON, keys, fields)),)))
            for keys in (("P1", "P2"), ("P3", "P1", "P3"))]
    assert [[row["id"] for row in answer["each"]] for answer in many] == [["P1", "P2"], ["P3", "P1", "P3"]]
    assert len(sqlite_response_tree._statements) == 2  # one shape per root value kind, whatever the keys


def test_statements_are_kept_for_a_bounded_number_of_shapes() -> None:
    """Every document and page size is a shape of its own: the oldest makes room."""
    sqlite_response_tree._statements.clear()
    for first in range(sqlite_response_tree.STATEMENTS_KEPT + 50):
        rows = Rows(Persons(PersonOrder.NAME, False), first, (("id", Property("person_id")),))
        compiled = sqlite_response_tree.response_tree(ResponseTree((("c", rows),)))
        assert first in compiled.query.params.values()
    assert len(sqlite_response_tree._statements) == sqlite_response_tree.STATEMENTS_KEPT

"""A response tree is planned once per document, variables and caller's access, and found again
(``execution/planned_trees.py``). A kept tree must never answer a request it was not planned
for: another customer, a caller who sees other fields masked or refused, a caller who sent no
purpose of access. Each request here is answered by the compiled path after others filled the
kept trees, and must be byte for byte what the general path answers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from graphql import parse

from customer360.app import create_app
from customer360.config import Settings
from customer360.execution import tree as tree_module
from customer360.execution.executor import TREE
from customer360.execution.paths import PATHS
from customer360.execution.planned_trees import _lookup_variables_of
from tests.tiny_bank import tiny_sqlite_store

QUERY = """query($id: ID!) { customer(id: $id) {
  id name dateOfBirth addresses { street zipCode } accounts { id balance } } }"""


@pytest.fixture
def store(tmp_path: Path):
    with tiny_sqlite_store(tmp_path) as store:
        yield store


@pytest.fixture
async def clients(store, api_keys):
    """The compiled path and the general path, behind the same API keys."""
    settings = replace(Settings(), auth_required=True, api_keys_file=api_keys[0])
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, store=store)),
                          base_url="http://c360.test") as compiled,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(replace(settings, execution="general"),
                                                                       store=store)),
                          base_url="http://c360.test") as general,
    ):
        yield compiled, general


def _planned(monkeypatch, method: str = "plan") -> list[int]:
    """Counts the trees (``plan``) or levels (``subtrees``) actually planned."""
    calls: list[int] = []
    planning = getattr(tree_module.TreePlanner, method)

    def counted(self, *args):
        calls.append(1)
        return planning(self, *args)

    monkeypatch.setattr(tree_module.TreePlanner, method, counted)
    return calls


async def _both(clients, api_keys, role: str, purpose: str | None, customer: str,
                query: str = QUERY) -> tuple[str, bool]:
    """The compiled answer (checked against the general path's) and whether a whole tree answered it."""
    compiled, general = clients
    headers = {"X-API-Key": api_keys[1][role], **({"X-Purpose-Of-Access": purpose} if purpose else {})}
    payload = {"query": query, "variables": {"id": customer}}
    trees = PATHS[TREE]
    got = await compiled.post("/graphql", json=payload, headers=headers)
    by_tree = PATHS[TREE] == trees + 1
    expected = await general.post("/graphql", json=payload, headers=headers)
    assert (got.status_code, got.text) == (expected.status_code, expected.text)
    return got.text, by_tree


async def test_each_customer_gets_their_own_answer_from_one_planned_tree(clients, api_keys, monkeypatch) -> None:
    planned = _planned(monkeypatch)
    answers = [await _both(clients, api_keys, "admin", "operations", customer) for customer in ("P1", "P2", "P3", "P1")]
    assert all(by_tree for _, by_tree in answers)
    assert len({text for text, _ in answers[:3]}) == 3 and answers[3][0] == answers[0][0]
    assert '"P2"' in answers[1][0] and '"P1"' not in answers[1][0]
    assert len(planned) == 1  # the other customers' trees were the first one's, keyed anew


async def test_a_tree_kept_for_one_caller_never_answers_another(clients, api_keys, monkeypatch) -> None:
    planned = _planned(monkeypatch)
    in_clear, _ = await _both(clients, api_keys, "customer_service", "customer_support", "P1")
    # the same roles, so the same field decisions, but no purpose: personal data is refused
    no_purpose, _ = await _both(clients, api_keys, "customer_service", None, "P1")
    assert "PURPOSE_REQUIRED" in no_purpose and "PURPOSE_REQUIRED" not in in_clear
    masked, by_tree = await _both(clients, api_keys, "analyst", "analytics", "P1")
    assert by_tree and masked != in_clear and "**" in masked
    # nothing masked for either, but the auditor is refused what integration sees in clear
    kyc, by_tree = await _both(clients, api_keys, "integration", "kyc", "P1")
    refused, _ = await _both(clients, api_keys, "auditor", "audit", "P1")
    assert by_tree and "FORBIDDEN" in refused and "FORBIDDEN" not in kyc
    assert (await _both(clients, api_keys, "analyst", "analytics", "P2"))[1]
    assert len(planned) >= 3  # the analyst's second customer came from the analyst's own tree


@pytest.mark.parametrize("query, lifted", [
    ("query($id: ID!) { customer(id: $id) { id } }", {"customer": "id"}),
    ("query($id: ID!) { a: customer(id: $id) { id } b: account(id: $id) { id } }", {"a": "id", "b": "id"}),
    # used elsewhere too: its value decides more than which vertex, so it stays in the key
    ("query($id: ID!) { customer(id: $id) { id } node(id: $id) { id } }", {}),
    ("query($id: ID!, $n: Int) { customer(id: $id) { id } customers(first: $n) { totalCount } }",
     {"customer": "id"}),
    ('{ customer(id: "P1") { id } }', {}),
])
def test_only_variables_used_as_nothing_but_a_root_lookups_key_are_lifted(query, lifted) -> None:
    document = parse(query)
    assert _lookup_variables_of(document, document.definitions[0]) == lifted


async def test_a_level_kept_as_subtrees_serves_other_parents_and_only_its_own_caller(clients, api_keys,
                                                                                    monkeypatch) -> None:
    """A customer with computed fields goes level by level; the level's object fields are one
    tree for all its parents, kept like a whole tree, for other customers (other parents)."""
    planned = _planned(monkeypatch, "subtrees")
    level_query = """query($id: ID!) { customer(id: $id) { id segment { tier }
      addresses { street zipCode } accounts { id balance owner { name } } } }"""
    answers = {}
    for role, purpose in (("admin", "operations"), ("analyst", "analytics")):
        for customer in ("P1", "P2", "P3"):
            answers[role, customer] = await _both(clients, api_keys, role, purpose, customer, level_query)
    assert len({text for text, _ in answers.values()}) == 6
    assert '"P2"' in answers["admin", "P2"][0] and "**" in answers["analyst", "P2"][0]
    assert len(planned) == 2  # once per caller: the other customers were the first one's level, keyed anew

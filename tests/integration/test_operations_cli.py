"""``c360 operations register | list`` as a user runs them, on the files front-end build
pipelines produce: ``.graphql`` files, Relay's ``persisted-queries.json``, Apollo's manifest."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from customer360.config import Settings
from customer360.graphiql.examples import EXAMPLE_TABS
from customer360.persisted.manifests import ManifestError, read_documents
from customer360.schema import build_schema

SCHEMA = build_schema(Settings())._schema

SCREENS = """
# The customer screen and its payments list, sharing a fragment.
query CustomerScreen($id: ID!) { customer(id: $id) { ...Who accounts { id balance } } }
query CustomerPayments($id: ID!) { customer(id: $id) { ...Who transactions(first: 5) { totalCount } } }
fragment Who on Person { id name }
"""


def c360(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "customer360.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd,
        env={**os.environ, "C360_GRAPH": f"sqlite:///{cwd / 'customer360.db'}", "C360_OPERATIONS": ""},
    )


def test_each_operation_of_a_graphql_file_is_a_document_with_the_fragments_it_uses(tmp_path: Path) -> None:
    (tmp_path / "screens.graphql").write_text(SCREENS, encoding="utf-8")
    documents = read_documents([tmp_path / "screens.graphql"], SCHEMA)
    assert [d.name for d in documents] == ["CustomerScreen", "CustomerPayments"]
    for document in documents:
        assert "fragment Who on Person" in document.body and "#" not in document.body
        assert document.id == hashlib.sha256(document.body.encode()).hexdigest()


def test_relay_and_apollo_manifests(tmp_path: Path) -> None:
    relay = tmp_path / "persisted-queries.json"
    relay.write_text(json.dumps({"3f1b0c": "query RelayScreen { portfolio { customers } }"}), encoding="utf-8")
    body = "query ApolloScreen { portfolio { customers __typename } }"
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": hashlib.sha256(body.encode()).hexdigest(), "body": body, "name": "ApolloScreen", "type": "query"}]}))
    documents = read_documents([relay, apollo], SCHEMA)
    assert [(d.id, d.name) for d in documents] == [("3f1b0c", "RelayScreen"),
                                                   (hashlib.sha256(body.encode()).hexdigest(), "ApolloScreen")]


@pytest.mark.parametrize(("name", "content", "says"), [
    ("bad.graphql", "query Typo { customer(id: \"P1\") { nickname } }", "Cannot query field 'nickname'"),
    ("broken.graphql", "query {", "Syntax Error"),
    ("fragments.graphql", "fragment Who on Person { id }", "no operation in it"),
    ("apollo.json", json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                                "operations": [{"id": "abc", "body": "{ __typename }", "name": "X"}]}),
     "is not the SHA-256 of its body"),
    ("list.json", "[1, 2]", "expected a Relay map"),
    ("notes.txt", "hello", "expected a .graphql file"),
])
def test_a_bad_file_is_refused_naming_it(tmp_path: Path, name: str, content: str, says: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError, match=says) as refused:
        read_documents([tmp_path / name], SCHEMA)
    assert name in str(refused.value)


def test_register_then_list_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "screens.graphql").write_text(SCREENS, encoding="utf-8")
    registered = c360("operations", "register", "screens.graphql", "--graphiql-examples", cwd=tmp_path)
    assert registered.returncode == 0, registered.stderr
    assert "CustomerScreen  [added]" in registered.stdout and "graphiql-examples[0]" in registered.stdout
    assert f"{2 + len(EXAMPLE_TABS)} added" in registered.stderr  # two operations and the GraphiQL tabs
    store = tmp_path / "operations.db"  # beside the graph
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    again = c360("operations", "register", "screens.graphql", cwd=tmp_path)
    assert "2 already registered" in again.stderr
    listed = c360("operations", "list", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.count("registered") == 2 + len(EXAMPLE_TABS)
    assert "CustomerPayments" in listed.stdout


def test_register_says_which_path_will_answer_each_operation(tmp_path: Path) -> None:
    """A front-end team learns at build time which operations fall back to the general path, and why."""
    (tmp_path / "screens.graphql").write_text(
        SCREENS + '\nquery Hood { neighborhood(id: "P1") { truncated } }', encoding="utf-8")
    registered = c360("operations", "register", "screens.graphql", cwd=tmp_path)
    assert registered.returncode == 0, registered.stderr
    lines = {line.split()[1]: line for line in registered.stdout.splitlines()}
    assert lines["CustomerScreen"].endswith("-> compiled")
    assert lines["Hood"].endswith("-> general (Query.neighborhood)")
    assert "2 of 3 operation(s) run on the compiled path" in registered.stderr


def test_one_bad_file_registers_nothing(tmp_path: Path) -> None:
    (tmp_path / "screens.graphql").write_text(SCREENS, encoding="utf-8")
    (tmp_path / "typo.graphql").write_text("query Typo { customer(id: \"P1\") { nickname } }", encoding="utf-8")
    refused = c360("operations", "register", "screens.graphql", "typo.graphql", cwd=tmp_path)
    assert refused.returncode == 1 and "nothing registered" in refused.stderr and "typo.graphql" in refused.stderr
    assert "0 operation(s)" in c360("operations", "list", "--all", cwd=tmp_path).stderr

"""The persisted-operation store on a real SQLite file: created lazily and private, learnt
documents bounded (least recently used go first), registered ones kept and never replaced."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from customer360.persisted.documents import (
    Document,
    canonical_hash,
    operations_of,
    sha256_hex,
)
from customer360.persisted.store import OperationConflict, OperationStore


def _learn(store: OperationStore, text: str) -> str:
    digest = sha256_hex(text)
    store.learn(digest, text, canonical_hash(text), "", "query")
    return digest


def test_the_file_appears_on_first_write_with_mode_0600(tmp_path: Path) -> None:
    store = OperationStore(tmp_path / "data" / "operations.db", max_learnt_bytes=1000)
    assert store.get("nothing") is None and store.list() == []
    assert not store.path.exists()  # reading an absent store creates nothing
    _learn(store, "{ __typename }")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_learnt_documents_stay_within_the_budget_oldest_used_first(tmp_path: Path) -> None:
    texts = [f"query Q{n} {{ __typename }}" for n in range(4)]  # 27 bytes each
    store = OperationStore(tmp_path / "operations.db", max_learnt_bytes=3 * 27)
    registered = operations_of("query Kept { __typename }", "screens.graphql")
    store.register(registered, {d.id: canonical_hash(d.body) for d in registered})
    ids = [_learn(store, text) for text in texts]
    kept = {operation.id for operation in store.list()}
    assert ids[0] not in kept and set(ids[1:]) <= kept  # the first learnt went
    assert registered[0].id in kept  # registered documents neither count nor go
    assert sum(o.bytes for o in store.list() if not o.registered) <= 3 * 27
    assert not store.learn("x" * 64, "{ " + "a " * 100 + "}", "c", "", "query")  # larger than the budget


def test_registering_promotes_a_learnt_document_and_refuses_a_changed_text(tmp_path: Path) -> None:
    store = OperationStore(tmp_path / "operations.db", max_learnt_bytes=1000)
    text = "query Screen { __typename }"
    learnt = _learn(store, text)
    document = Document(learnt, text, "Screen", "query", "screen.graphql")
    report = store.register([document], {learnt: canonical_hash(text)})
    assert report.promoted == [learnt] and store.get(learnt).registered
    again = store.register([document], {learnt: canonical_hash(text)})
    assert again.unchanged == [learnt]
    other = Document(learnt, "query Screen { node(id: 1) { id } }", "Screen", "query", "other.graphql")
    added = Document("fresh", "query Fresh { __typename }", "Fresh", "query", "other.graphql")
    with pytest.raises(OperationConflict, match="already registered"):
        store.register([added, other], {"fresh": "h1", learnt: "h2"})
    assert store.get("fresh") is None  # all or nothing


def test_a_full_text_is_recognised_by_its_printed_form(tmp_path: Path) -> None:
    store = OperationStore(tmp_path / "operations.db", max_learnt_bytes=1000)
    [document] = operations_of("query Screen { customer(id: \"P1\") { id } }", "s.graphql")
    store.register([document], {document.id: canonical_hash(document.body)})
    sent = "# a comment\nquery Screen {\n  customer(id: \"P1\") {\n    id\n  }\n}\n"
    assert store.registered_by_canonical(canonical_hash(sent)).id == document.id

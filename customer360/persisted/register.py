"""``c360 operations register``: documents from files (and GraphiQL's examples) into the store.

GraphiQL sends a tab's whole text, so its example tabs are registered whole; operations
from ``.graphql`` files are registered one by one (see :mod:`customer360.persisted.manifests`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from graphql import GraphQLSchema

from customer360.graphiql.examples import EXAMPLE_TABS
from customer360.persisted.documents import Document, canonical_hash, whole_document
from customer360.persisted.manifests import (
    ManifestError,
    check_documents,
    read_documents,
)
from customer360.persisted.store import OperationStore, RegisterReport

GRAPHIQL_SOURCE = "graphiql-examples"


def graphiql_example_documents() -> list[Document]:
    """Each GraphiQL example tab as one document, as the browser sends it."""
    return [whole_document(tab.query, f"{GRAPHIQL_SOURCE}[{position}]") for position, tab in enumerate(EXAMPLE_TABS)]


def register_documents(store: OperationStore, paths: Iterable[Path], *, graphiql_examples: bool,
                       schema: GraphQLSchema | None) -> tuple[list[Document], RegisterReport]:
    """Read, check (against ``schema``) and register everything in one transaction; raises
    :class:`ManifestError` (nothing registered) when any file or document has a problem."""
    documents = read_documents(paths, schema)
    if graphiql_examples:
        documents = check_documents(documents + graphiql_example_documents(), schema)
    if not documents:
        raise ManifestError("nothing to register: name .graphql files or manifests, or --graphiql-examples")
    report = store.register(documents, {document.id: canonical_hash(document.body) for document in documents})
    return documents, report


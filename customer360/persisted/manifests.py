"""Documents to register, read from what front-end build pipelines produce.

- ``.graphql`` / ``.gql`` files: each operation becomes a document of its own (with the
  fragments it uses), its id the SHA-256 of its printed text: what ``gql``, Apollo's
  ``createPersistedQueryLink`` or any client hashing ``print(document)`` sends.
- Relay's ``persisted-queries.json`` (``relay-compiler`` with ``persistConfig.file``):
  ``{"<id>": "<text>"}``; the ids are Relay's (MD5, SHA-1 or SHA-256: kept as they are).
- Apollo's persisted query manifest (``generate-persisted-query-manifest``):
  ``{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
  "body", "name", "type"}]}``; each id must be the SHA-256 of its body, as Apollo makes it.

Every problem is reported with its file (and operation); nothing is registered from a set
of files with a problem (see :func:`read_documents`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate

from customer360.persisted.documents import (
    Document,
    describe,
    operations_of,
    sha256_hex,
)

APOLLO_FORMAT = "apollo-persisted-query-manifest"
GRAPHQL_SUFFIXES = (".graphql", ".gql")


class ManifestError(ValueError):
    """A file that cannot be registered, with the reasons."""


def _relay(data: dict[str, Any], source: str) -> list[Document]:
    documents = []
    for document_id, text in data.items():
        if not isinstance(text, str):
            raise ManifestError(f"{source}: {document_id!r} maps to {type(text).__name__}, expected the document text")
        parsed = parse(text, no_location=True)
        names, types = describe(parsed)
        documents.append(Document(document_id, text, names, types, source))
    return documents


def _apollo(data: dict[str, Any], source: str) -> list[Document]:
    if data.get("version") != 1:
        raise ManifestError(f"{source}: Apollo manifest version {data.get('version')!r}, expected 1")
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{source}: `operations` must be a list")
    documents = []
    for position, operation in enumerate(operations):
        if not isinstance(operation, dict) or not isinstance(operation.get("body"), str) \
                or not isinstance(operation.get("id"), str):
            raise ManifestError(f"{source}: operations[{position}] needs a string `id` and `body`")
        body, document_id = operation["body"], operation["id"]
        if sha256_hex(body) != document_id:
            raise ManifestError(
                f"{source}: operations[{position}] ({operation.get('name')}): "
                f"id {document_id} is not the SHA-256 of its body"
            )
        names, types = describe(parse(body, no_location=True))
        documents.append(Document(document_id, body, str(operation.get("name") or names),
                                  str(operation.get("type") or types), source))
    return documents


def read_file(path: Path) -> list[Document]:
    """The documents of one file (by its suffix and, for JSON, its shape)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{source}: cannot read it: {error}") from None
    try:
        if path.suffix.lower() in GRAPHQL_SUFFIXES:
            documents = operations_of(text, source)
            if not documents:
                raise ManifestError(f"{source}: no operation in it (fragments alone cannot run)")
            return documents
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise ManifestError(f"{source}: not JSON: {error}") from None
            if isinstance(data, dict) and data.get("format") == APOLLO_FORMAT:
                return _apollo(data, source)
            if isinstance(data, dict):
                return _relay(data, source)
            raise ManifestError(f"{source}: expected a Relay map {{id: text}} or an Apollo persisted query manifest")
    except GraphQLError as error:
        raise ManifestError(f"{source}: {error.message}") from None
    raise ManifestError(f"{source}: expected a .graphql file, a Relay persisted-queries JSON or an Apollo manifest")


def check_documents(documents: list[Document], schema: GraphQLSchema | None) -> list[Document]:
    """The documents, one per id, each valid against ``schema`` when given; raises
    :class:`ManifestError` listing every problem, so nothing half-registers."""
    problems: list[str] = []
    seen: dict[str, Document] = {}
    for document in documents:
        earlier = seen.setdefault(document.id, document)
        if earlier.body != document.body:
            problems.append(f"{document.source}: id {document.id} is also {earlier.source}'s, with another text")
        if schema is not None:
            for error in validate(schema, parse(document.body)):
                problems.append(f"{document.source}: {document.name or 'anonymous operation'}: {error.message}")
    if problems:
        raise ManifestError("\n".join(problems))
    return list(seen.values())


def read_documents(paths: Iterable[Path], schema: GraphQLSchema | None = None) -> list[Document]:
    """Every document of every file, checked (see :func:`check_documents`)."""
    documents: list[Document] = []
    problems: list[str] = []
    for path in paths:
        try:
            documents.extend(read_file(Path(path)))
        except ManifestError as error:
            problems.append(str(error))
    if problems:
        raise ManifestError("\n".join(problems))
    return check_documents(documents, schema)

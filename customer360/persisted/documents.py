"""GraphQL documents as the persisted-operation store keeps them: an id clients send, the
text, and a hash of the text's canonical form.

The canonical form is graphql-core's printing of the parsed document (no comments, one
layout), the same printer graphql-js and Python clients such as ``gql`` send with, so a
client that sends the full text of a registered operation is recognised whatever its
whitespace and comments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast
from graphql.utilities import separate_operations


def sha256_hex(text: str) -> str:
    """Apollo's document hash: SHA-256 of the UTF-8 text, lower-case hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_text(text: str) -> str:
    """The document as graphql-core prints it; raises ``GraphQLError`` when it does not parse."""
    return print_ast(parse(text, no_location=True))


def canonical_hash(text: str) -> str:
    return sha256_hex(canonical_text(text))


@dataclass(frozen=True, slots=True)
class Document:
    """A document to register: ``id`` is what clients send (``sha256Hash``, ``documentId``)."""

    id: str
    body: str
    name: str  # the operation names in it, comma separated ("" for an anonymous one)
    operation_type: str  # query, mutation, subscription (comma separated when mixed)
    source: str  # where it was registered from


def describe(document: DocumentNode) -> tuple[str, str]:
    """(operation names, operation types) of a parsed document."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    names = ",".join(op.name.value if op.name else "" for op in operations)
    types = ",".join(sorted({op.operation.value for op in operations}))
    return names, types


def whole_document(text: str, source: str) -> Document:
    """The text as one document, printed (GraphiQL sends a tab's whole text)."""
    parsed = parse(text, no_location=True)
    body = print_ast(parsed)
    names, types = describe(parsed)
    return Document(sha256_hex(body), body, names, types, source)


def operations_of(text: str, source: str) -> list[Document]:
    """Each operation of ``text`` as a document of its own, with the fragments it uses,
    printed: what a client that holds just that operation sends."""
    parsed = parse(text, no_location=True)
    documents = []
    for part in separate_operations(parsed).values():
        body = print_ast(part)
        names, types = describe(part)
        documents.append(Document(sha256_hex(body), body, names, types, source))
    return documents

"""Which document a request runs: Apollo's automatic persisted queries, documents named by
id, and trusted-documents mode, decided in one place before anything is parsed or run.

Automatic persisted queries (Apollo's protocol, ``extensions.persistedQuery``):

1. the client sends ``{version: 1, sha256Hash}`` without ``query``; a known hash runs its
   document, an unknown one answers ``PersistedQueryNotFound`` (code
   ``PERSISTED_QUERY_NOT_FOUND``), which makes Apollo's link send it again with the query;
2. with the query, the hash must be the SHA-256 of the text sent (400 otherwise); once the
   query has run (it parsed and validated), the store learns it, so step 1 works next time,
   by POST or GET.

``documentId`` (the GraphQL-over-HTTP persisted documents proposal; ``sha256:<hex>`` or a
bare id) and Relay's ``doc_id`` name a stored document the same way, without the retry.

Trusted-documents mode (``C360_TRUSTED_DOCUMENTS=on``) runs only registered documents: an id
that is not registered, a full text whose printed form is not registered, and any attempt to
teach the store a new document are refused with ``OPERATION_NOT_TRUSTED``, naming the
setting. The caller decides who is exempt (the local development identity, so GraphiQL keeps
working on a developer's machine: see ``customer360/app.py``). While introspection is on
(development), a document that only introspects passes too, so GraphiQL's schema and Docs
load for any caller; in production introspection is off and such documents are refused here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
)

from customer360.persisted.documents import describe, sha256_hex
from customer360.persisted.store import OperationStore, StoredOperation

TRUSTED_SETTING = "C360_TRUSTED_DOCUMENTS=on"
REGISTER_HINT = "register it with `c360 operations register FILE` and send its id"
INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})


class OperationRefused(Exception):
    """The request cannot run the document it names. ``malformed``: the request itself is
    wrong (HTTP 400 whatever the media type); otherwise a GraphQL request error with ``code``."""

    code = "BAD_REQUEST"
    malformed = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PersistedQueryNotFound(OperationRefused):
    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self, message: str = "PersistedQueryNotFound") -> None:  # the text Apollo's links look for
        super().__init__(message)


class MalformedPersistedQuery(OperationRefused):
    malformed = True


class NotTrusted(OperationRefused):
    code = "OPERATION_NOT_TRUSTED"


@dataclass(frozen=True, slots=True)
class Resolved:
    """The text to run, and the id to learn it under once it has run (APQ registration)."""

    query: str | None
    learn_as: str | None = None


def _apq_hash(extension: Any) -> str:
    if not isinstance(extension, dict):
        raise MalformedPersistedQuery("`extensions.persistedQuery` must be an object {version: 1, sha256Hash}")
    if extension.get("version") != 1:
        raise MalformedPersistedQuery(
            f"unsupported persisted query version {extension.get('version')!r}: this service speaks version 1"
        )
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or not digest:
        raise MalformedPersistedQuery("`extensions.persistedQuery.sha256Hash` must be the query's SHA-256, in hex")
    return digest.lower()


def introspection_only(document: DocumentNode) -> bool:
    """Every operation asks only for ``__schema``, ``__type`` or ``__typename`` at its root."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and len(operations) == len(document.definitions) and all(
        isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS
        for operation in operations for selection in operation.selection_set.selections
    )


def _bare_id(document_id: str) -> str:
    prefix, _, rest = document_id.strip().partition(":")
    return rest if prefix == "sha256" and rest else document_id.strip()


class PersistedOperations:
    def __init__(self, store: OperationStore, *, trusted_only: bool, introspection: bool = False) -> None:
        self.store = store
        self.trusted_only = trusted_only
        self.introspection = introspection  # introspection-only documents pass trusted mode while it is on

    def resolve(self, query: str | None, extensions: dict[str, Any] | None, document_id: str | None, *,
                exempt: bool) -> Resolved:
        """The document this request runs; raises :class:`OperationRefused`."""
        enforce = self.trusted_only and not exempt
        apq = (extensions or {}).get("persistedQuery")
        if apq is not None:
            digest = _apq_hash(apq)
            if query is None:
                return Resolved(self._stored(digest, enforce, not_found=PersistedQueryNotFound()).body)
            if sha256_hex(query) != digest:
                raise MalformedPersistedQuery(
                    "provided sha does not match query: `sha256Hash` must be the SHA-256 of the `query` text sent"
                )
            if enforce:
                self._stored(digest, enforce, not_found=None)
                return Resolved(query)
            return Resolved(query, learn_as=digest)
        if document_id is not None:
            if query is not None:
                raise MalformedPersistedQuery("send either `documentId` or `query`, not both")
            bare = _bare_id(document_id)
            not_found = PersistedQueryNotFound(f"no persisted document {bare!r}: {REGISTER_HINT}")
            return Resolved(self._stored(bare, enforce, not_found=not_found).body)
        if query is not None and enforce:
            self._trusted_text(query)
        return Resolved(query)

    def _stored(self, document_id: str, enforce: bool, not_found: OperationRefused | None) -> StoredOperation:
        found = self.store.get(document_id)
        if found is not None and (found.registered or not enforce):
            return found
        if enforce or not_found is None:
            raise NotTrusted(
                f"operation {document_id} is not registered, and this service runs registered operations only "
                f"({TRUSTED_SETTING}): {REGISTER_HINT}"
            )
        raise not_found

    def _trusted_text(self, query: str) -> None:
        try:
            document = parse(query, no_location=True)
        except GraphQLError:
            document = None
        if document is not None and self.introspection and introspection_only(document):
            return  # the schema itself, which introspection already shows: GraphiQL's Docs pane
        if document is None or self.store.registered_by_canonical(sha256_hex(print_ast(document))) is None:
            raise NotTrusted(
                "this document is not a registered operation, and this service runs registered operations only "
                f"({TRUSTED_SETTING}): {REGISTER_HINT}"
            )

    def learn(self, resolved: Resolved) -> None:
        """Keep an APQ document after it ran; a text that does not parse was never run."""
        if resolved.learn_as is None or resolved.query is None:
            return
        try:
            parsed = parse(resolved.query, no_location=True)
        except GraphQLError:
            return
        names, types = describe(parsed)
        self.store.learn(resolved.learn_as, resolved.query, sha256_hex(print_ast(parsed)), names, types)

"""The embedded search index: one SQLite file (FTS5 trigram vocabulary + term postings),
candidates re-ranked by the neutral scorer with ``rapidfuzz``. The default, so the quick
start searches with no server.

Reads run in worker threads (one connection per thread; WAL lets them read while a load or a
rebuild writes), so the event loop never blocks on disk. Every statement goes through
:func:`~customer360.backend_calls.recorded_call`: a search is two (vocabulary expansion, then
candidates with their documents), a match two, a batch of ``possibleDuplicates`` two.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import customer360.search.embedded.emit as emit
import customer360.search.embedded.schema as schema
import customer360.search.scoring as scoring
from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.encryption import create_private_file
from customer360.search.documents import PersonDocument
from customer360.search.embedded.decode import (
    decode_batch,
    decode_documents,
    decode_expansion,
)
from customer360.search.normalise import phonetic
from customer360.search.protocol import (
    MatchQuery,
    MatchResult,
    ProgressCallback,
    SearchPage,
    SearchRequest,
    SearchUnavailable,
)

MATCH_WINDOW = 30
DUPLICATE_WINDOW = 20


class EmbeddedSearchIndex:
    """:class:`~customer360.search.protocol.SearchIndex` on a SQLite file (created on first use)."""

    backend = "sqlite-search"

    def __init__(self, path: Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_ms = int(busy_timeout_s * 1000)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._ready = False

    def __repr__(self) -> str:
        return f"EmbeddedSearchIndex({str(self.path)!r})"

    # ------------------------------------------------------------ connections

    def _open(self) -> sqlite3.Connection:
        create_private_file(self.path)  # names, addresses, phones: readable by the owner only
        connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout={self._busy_ms}")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            if not self._ready:
                connection.executescript(schema.META + schema.create_tables(""))
                self._ready = True
        return connection

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = self._open()
            except (sqlite3.Error, OSError) as error:
                raise SearchUnavailable(self.backend, f"{self.path}: {error}") from error
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def _writer(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = self._open()
        except (sqlite3.Error, OSError) as error:
            raise SearchUnavailable(self.backend, f"{self.path}: {error}") from error
        try:
            yield connection
        finally:
            connection.close()

    def _run(self, query: CompiledQuery) -> list[tuple]:
        with recorded_call(self.backend, query) as record:
            try:
                rows = self._connection().execute(query.text, query.params).fetchall()
            except sqlite3.Error as error:
                raise SearchUnavailable(self.backend, str(error)) from error
            record.rows = len(rows)
        return rows

    # ------------------------------------------------------------ reading

    def _expand(
        self, words: Sequence[str], prefixes: Sequence[str]
    ) -> tuple[emit.Expansion, emit.Expansion, dict[str, set[str]]]:
        """Vocabulary words near each typed word (with their edit distance), completions, and
        sound-alikes."""
        query = emit.compile_expand(words, prefixes)
        if query is None:
            return {}, {}, {}
        return decode_expansion(self._run(query), words)

    def _search(self, request: SearchRequest, first: int, offset: int) -> SearchPage:
        """Vocabulary expansion, then candidates: for a text of two or three words, the
        customers whose name meets two of them (whole-name keys); when there are none, or
        the text has numbers, phones or dates, every customer meeting any part, best first."""
        near, starts, sounds = self._expand(request.words, request.words)
        docs: list[PersonDocument] = []
        pairs = emit.compile_name_pairs(request, near, starts, sounds)
        if pairs is not None:
            docs = decode_documents(self._run(pairs))
        if not docs:
            terms = emit.search_terms(request, near, starts, sounds)
            if not terms:
                return SearchPage([], False)
            docs = decode_documents(self._run(emit.compile_candidates("search.candidates", terms, request.window)))
        hits, more = scoring.page(scoring.rank_search(request, docs), first, offset)
        return SearchPage(hits, more)

    async def search(self, request: SearchRequest, first: int, offset: int = 0) -> SearchPage:
        if request.empty:
            return SearchPage([], False)
        return await asyncio.to_thread(self._search, request, first, offset)

    def _match(self, query: MatchQuery, first: int) -> list[MatchResult]:
        words = emit.match_words(query)
        near, _, sounds = self._expand(words, ())
        terms = emit.match_terms(query, near, sounds)
        if not terms:
            return []
        docs = decode_documents(self._run(emit.compile_candidates("search.match", terms, MATCH_WINDOW)))
        return scoring.rank_matches(query, docs, first)

    async def match(self, query: MatchQuery, first: int) -> list[MatchResult]:
        if query.empty:
            return []
        return await asyncio.to_thread(self._match, query, first)

    def _documents(self, person_ids: Sequence[str]) -> dict[str, PersonDocument]:
        if not person_ids:
            return {}
        return {doc.person_id: doc for doc in decode_documents(self._run(emit.compile_documents(person_ids)))}

    async def documents(self, person_ids: Sequence[str]) -> dict[str, PersonDocument]:
        return await asyncio.to_thread(self._documents, list(person_ids))

    def _duplicates(self, person_ids: Sequence[str], first: int, min_score: float) -> dict[str, list[MatchResult]]:
        result: dict[str, list[MatchResult]] = {key: [] for key in person_ids}
        sources = self._documents(list(dict.fromkeys(person_ids)))
        order = [key for key in dict.fromkeys(person_ids) if key in sources]
        if not order:
            return result
        queries = [scoring.match_query_of(sources[key]) for key in order]
        batch = emit.compile_candidates_batch(
            "search.duplicates", [emit.match_terms(q) for q in queries], DUPLICATE_WINDOW
        )
        for key, query, docs in zip(order, queries, decode_batch(self._run(batch), len(queries))):
            result[key] = scoring.rank_matches(query, docs, first, min_score)
        return result

    async def possible_duplicates(
        self, person_ids: Sequence[str], first: int, min_score: float
    ) -> dict[str, list[MatchResult]]:
        return await asyncio.to_thread(self._duplicates, list(person_ids), first, min_score)

    async def count(self) -> int:
        rows = await asyncio.to_thread(self._run, CompiledQuery("search.count", emit.COUNT))
        return int(rows[0][0])

    async def ping(self) -> None:
        await asyncio.to_thread(self._run, CompiledQuery("search.ping", emit.PING))

    # ------------------------------------------------------------ writing

    def _upsert(self, documents: Sequence[PersonDocument]) -> None:
        summary = CompiledQuery("search.upsert", emit.UPSERT_DOCUMENT, {"documents": len(documents)})
        with self._writer() as connection, recorded_call(self.backend, summary) as record:
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    for doc in documents:
                        self._upsert_one(connection, doc)
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                raise SearchUnavailable(self.backend, str(error)) from error
            record.rows = len(documents)

    @staticmethod
    def _upsert_one(connection: sqlite3.Connection, doc: PersonDocument) -> None:
        old_terms: set[str] = set()
        old_words: set[tuple[str, str]] = set()
        old = connection.execute(emit.OLD_DOCUMENT, (doc.person_id,)).fetchone()
        if old is not None:
            previous = PersonDocument.from_json(old[1])
            if previous == doc:
                return
            old_terms, old_words = emit.document_terms(previous), emit.vocabulary(previous)
        (pid,) = connection.execute(emit.UPSERT_DOCUMENT, (doc.person_id, doc.to_json())).fetchone()
        terms = emit.document_terms(doc)
        connection.executemany(emit.DELETE_TERM, [(term, pid) for term in old_terms - terms])
        connection.executemany(emit.INSERT_TERM, [(term, pid) for term in terms - old_terms])
        for word, kind in emit.vocabulary(doc) - old_words:
            (uses,) = connection.execute(emit.USE_WORD, (word, kind)).fetchone()
            if uses == 1:
                connection.execute(emit.INSERT_TRIGRAM, (emit.padded(word), kind))
                connection.executemany(emit.INSERT_DELETION, [(d, word, kind) for d in emit.deletions(word)])
                if phonetic(word):
                    connection.execute(emit.INSERT_PHONETIC, (phonetic(word), word, kind))

    async def upsert(self, documents: Sequence[PersonDocument]) -> None:
        if documents:
            await asyncio.to_thread(self._upsert, list(documents))

    def _delete(self, person_ids: Sequence[str]) -> None:
        summary = CompiledQuery("search.delete", emit.DELETE_DOCUMENT, {"person_ids": list(person_ids)})
        with self._writer() as connection, recorded_call(self.backend, summary) as record:
            connection.execute("BEGIN IMMEDIATE")
            for person_id in person_ids:
                old = connection.execute(emit.OLD_DOCUMENT, (person_id,)).fetchone()
                if old is None:
                    continue
                pid, previous = old[0], PersonDocument.from_json(old[1])
                connection.executemany(emit.DELETE_TERM, [(t, pid) for t in emit.document_terms(previous)])
                connection.execute(emit.DELETE_DOCUMENT, (pid,))
                record.rows += 1
            connection.execute("COMMIT")

    async def delete(self, person_ids: Sequence[str]) -> None:
        if person_ids:
            await asyncio.to_thread(self._delete, list(person_ids))

    async def rebuild(
        self, batches: AsyncIterator[list[PersonDocument]], progress: ProgressCallback | None = None
    ) -> int:
        """Write the ``_new`` tables batch by batch (searches keep reading the live ones), then
        rename them over the live tables in one transaction."""
        try:
            connection = await asyncio.to_thread(self._open)
        except (sqlite3.Error, OSError) as error:
            raise SearchUnavailable(self.backend, f"{self.path}: {error}") from error
        words: Counter[tuple[str, str]] = Counter()
        written = 0
        try:
            await asyncio.to_thread(connection.executescript, schema.DROP_NEW + schema.create_tables("_new") + schema.STAGING)
            async for batch in batches:
                await asyncio.to_thread(self._write_new_batch, connection, batch, written, words)
                written += len(batch)
                if progress is not None:
                    progress(len(batch))
            await asyncio.to_thread(self._finish_rebuild, connection, words, written)
        except sqlite3.Error as error:
            raise SearchUnavailable(self.backend, str(error)) from error
        finally:
            await asyncio.to_thread(connection.close)
        return written

    def _write_new_batch(
        self, connection: sqlite3.Connection, batch: Sequence[PersonDocument], first_pid: int,
        words: Counter[tuple[str, str]],
    ) -> None:
        summary = CompiledQuery("search.rebuild_batch", emit.NEW_DOCUMENT, {"documents": len(batch)})
        with recorded_call(self.backend, summary) as record:
            connection.execute("BEGIN")
            connection.executemany(
                emit.NEW_DOCUMENT, [(first_pid + i + 1, doc.person_id, doc.to_json()) for i, doc in enumerate(batch)]
            )
            connection.executemany(
                emit.STAGE_TERM,
                [(term, first_pid + i + 1) for i, doc in enumerate(batch) for term in emit.document_terms(doc)],
            )
            connection.execute("COMMIT")
            for doc in batch:
                words.update(emit.vocabulary(doc))
            record.rows = len(batch)

    def _finish_rebuild(self, connection: sqlite3.Connection, words: Counter[tuple[str, str]], written: int) -> None:
        summary = CompiledQuery("search.rebuild_swap", schema.SWAP, {"documents": written})
        with recorded_call(self.backend, summary) as record:
            connection.execute("BEGIN")
            connection.execute(emit.COPY_STAGED_TERMS)
            connection.executemany(emit.NEW_WORD, [(word, kind, uses) for (word, kind), uses in sorted(words.items())])
            connection.executemany(emit.NEW_TRIGRAM, [(emit.padded(word), kind) for word, kind in sorted(words)])
            connection.executemany(
                emit.NEW_DELETION, [(d, word, kind) for word, kind in sorted(words) for d in emit.deletions(word)]
            )
            connection.executemany(
                emit.NEW_PHONETIC, [(phonetic(word), word, kind) for word, kind in sorted(words) if phonetic(word)]
            )
            connection.execute("COMMIT")
            connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in schema.SWAP.strip().splitlines():
                    connection.execute(statement)
                connection.execute(emit.SET_META, ("built_at", str(int(time.time()))))
                connection.execute(emit.SET_META, ("documents", str(written)))
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            connection.execute("DROP TABLE IF EXISTS temp.search_term_staging")
            record.rows = written

    async def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

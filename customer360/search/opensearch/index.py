"""The production search index: OpenSearch 2.19 through opensearch-py's async client.

Reads and writes go through an alias; :meth:`OpenSearchIndex.rebuild` fills a fresh concrete
index and swaps the alias atomically, so searches never see a half-built index. Every request
goes through :func:`~customer360.backend_calls.recorded_call` with the DSL body as its text
and the index name as its parameter: a search is one ``_search``, a match one, a batch of
``possibleDuplicates`` one ``_msearch`` (plus one ``_search`` for the customers' own documents).

The async client is bound to the event loop it was made on (aiohttp), so one client is kept
per running loop: the service has one loop, tests and CLI commands may have several.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError
from opensearchpy.helpers import async_bulk

import customer360.search.opensearch.emit as emit
import customer360.search.opensearch.schema as schema
import customer360.search.scoring as scoring
from customer360.backend_calls import CompiledQuery, recorded_call
from customer360.search.documents import PersonDocument
from customer360.search.opensearch.decode import decode_hits, decode_multi, hit_count
from customer360.search.protocol import (
    MatchQuery,
    MatchResult,
    ProgressCallback,
    SearchPage,
    SearchRequest,
    SearchUnavailable,
)

T = TypeVar("T")

MATCH_WINDOW = 30
DUPLICATE_WINDOW = 20
BULK_CHUNK = 1000


class OpenSearchIndex:
    """:class:`~customer360.search.protocol.SearchIndex` on OpenSearch, behind ``alias``."""

    backend = "opensearch"

    def __init__(self, host: str, port: int, alias: str, *, timeout_s: float = 10.0, use_ssl: bool = False) -> None:
        self.host, self.port, self.alias = host, port, alias
        self.timeout_s = timeout_s
        self.use_ssl = use_ssl
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncOpenSearch] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"OpenSearchIndex({self.host}:{self.port}/{self.alias})"

    # ------------------------------------------------------------ calls

    def _client(self) -> AsyncOpenSearch:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = AsyncOpenSearch(
                hosts=[{"host": self.host, "port": self.port}], use_ssl=self.use_ssl,
                timeout=self.timeout_s, max_retries=0,
            )
            self._clients[loop] = client
        return client

    async def _call(
        self, operation: str, body: Any, send: Callable[[AsyncOpenSearch], Awaitable[T]],
        rows: Callable[[T], int] = lambda _: 0, *, missing_ok: bool = False,
    ) -> T | None:
        """One request, recorded; outages become :class:`SearchUnavailable`."""
        text = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
        with recorded_call(self.backend, CompiledQuery(operation, text, {"index": self.alias})) as record:
            try:
                result = await send(self._client())
            except NotFoundError as error:
                if missing_ok:
                    return None
                raise SearchUnavailable(
                    self.backend, f"index {self.alias!r} does not exist yet: run `c360 search reindex`"
                ) from error
            except OpenSearchConnectionError as error:
                raise SearchUnavailable(self.backend, f"{self.host}:{self.port}: {error.__class__.__name__}") from error
            except TransportError as error:
                if isinstance(error.status_code, int) and error.status_code < 500:
                    raise
                raise SearchUnavailable(self.backend, f"{self.host}:{self.port}: {error}") from error
            record.rows = rows(result)
        return result

    # ------------------------------------------------------------ reading

    async def search(self, request: SearchRequest, first: int, offset: int = 0) -> SearchPage:
        if request.empty:
            return SearchPage([], False)
        body = emit.search_body(self.alias, request)
        response = await self._call(
            "search.candidates", body, lambda c: c.search(index=self.alias, body=body), hit_count
        )
        hits, more = scoring.page(scoring.rank_search(request, decode_hits(response)), first, offset)
        return SearchPage(hits, more)

    async def match(self, query: MatchQuery, first: int) -> list[MatchResult]:
        if query.empty:
            return []
        body = emit.match_body(self.alias, query, MATCH_WINDOW)
        response = await self._call("search.match", body, lambda c: c.search(index=self.alias, body=body), hit_count)
        return scoring.rank_matches(query, decode_hits(response), first)

    async def documents(self, person_ids: Sequence[str]) -> dict[str, PersonDocument]:
        ids = list(dict.fromkeys(person_ids))
        if not ids:
            return {}
        body = emit.documents_body(self.alias, ids)
        response = await self._call(
            "search.documents", body, lambda c: c.search(index=self.alias, body=body), hit_count
        )
        return {doc.person_id: doc for doc in decode_hits(response)}

    async def possible_duplicates(
        self, person_ids: Sequence[str], first: int, min_score: float
    ) -> dict[str, list[MatchResult]]:
        result: dict[str, list[MatchResult]] = {key: [] for key in person_ids}
        sources = await self.documents(person_ids)
        order = [key for key in dict.fromkeys(person_ids) if key in sources]
        if not order:
            return result
        queries = [scoring.match_query_of(sources[key]) for key in order]
        body = emit.duplicates_body(self.alias, queries, DUPLICATE_WINDOW)
        response = await self._call(
            "search.duplicates", "\n".join(json.dumps(line, sort_keys=True) for line in body),
            lambda c: c.msearch(body=body), lambda r: sum(len(i.get("hits", {}).get("hits", [])) for i in r["responses"]),
        )
        for key, query, docs in zip(order, queries, decode_multi(response)):
            result[key] = scoring.rank_matches(query, docs, first, min_score)
        return result

    async def count(self) -> int:
        response = await self._call(
            "search.count", {"index": self.alias}, lambda c: c.count(index=self.alias), missing_ok=True
        )
        return int(response["count"]) if response else 0

    async def ping(self) -> None:
        await self._call("search.ping", {"index": self.alias}, lambda c: c.indices.get_alias(name=self.alias))

    # ------------------------------------------------------------ writing

    async def _ensure_alias(self) -> None:
        """First write to a fresh cluster: create the first concrete index behind the alias."""
        exists = await self._call(
            "search.alias_exists", {"alias": self.alias}, lambda c: c.indices.exists_alias(name=self.alias)
        )
        if exists:
            return
        concrete = schema.concrete_name(self.alias)
        body = {**schema.index_body(), "aliases": {self.alias: {}}}
        await self._call("search.create_index", body, lambda c: c.indices.create(index=concrete, body=body))

    async def _bulk(self, operation: str, index: str, actions: list[dict[str, Any]]) -> None:
        for start in range(0, len(actions), BULK_CHUNK):
            chunk = actions[start:start + BULK_CHUNK]
            summary = {"actions": len(chunk), "first": chunk[0].get("_id"), "index": index}
            await self._call(
                operation, summary,
                lambda c: async_bulk(c, chunk, index=index, chunk_size=len(chunk), max_retries=2, refresh=False),
                lambda r: r[0],
            )

    async def _refresh(self, index: str) -> None:
        await self._call("search.refresh", {"index": index}, lambda c: c.indices.refresh(index=index))

    async def upsert(self, documents: Sequence[PersonDocument]) -> None:
        if not documents:
            return
        await self._ensure_alias()
        actions = [{"_op_type": "index", "_id": d.person_id, "_source": schema.source(d)} for d in documents]
        await self._bulk("search.upsert", self.alias, actions)
        await self._refresh(self.alias)

    async def delete(self, person_ids: Sequence[str]) -> None:
        if not person_ids:
            return
        actions = [{"_op_type": "delete", "_id": key} for key in person_ids]
        try:
            await self._bulk("search.delete", self.alias, actions)
        except Exception as error:  # deleting what is not there is not a failure
            if "not_found" not in str(error):
                raise
        await self._refresh(self.alias)

    async def rebuild(
        self, batches: AsyncIterator[list[PersonDocument]], progress: ProgressCallback | None = None
    ) -> int:
        """Fill a new concrete index (no refreshes while loading), then move the alias to it
        and drop the indexes it pointed at, in one ``_aliases`` call plus the deletes."""
        concrete = schema.concrete_name(self.alias)
        body = schema.index_body(building=True)
        await self._call("search.create_index", body, lambda c: c.indices.create(index=concrete, body=body))
        written = 0
        try:
            async for batch in batches:
                actions = [{"_op_type": "index", "_id": d.person_id, "_source": schema.source(d)} for d in batch]
                if actions:
                    await self._bulk("search.rebuild_batch", concrete, actions)
                written += len(batch)
                if progress is not None:
                    progress(len(batch))
            settings = schema.serving_settings()
            await self._call(
                "search.settings", settings, lambda c: c.indices.put_settings(index=concrete, body=settings)
            )
            await self._refresh(concrete)
            current = await self._call(
                "search.get_alias", {"alias": self.alias}, lambda c: c.indices.get_alias(name=self.alias),
                missing_ok=True,
            )
            old = sorted(current or {})
            swap = {"actions": [
                *({"remove": {"index": name, "alias": self.alias}} for name in old),
                {"add": {"index": concrete, "alias": self.alias}},
            ]}
            await self._call("search.swap_alias", swap, lambda c: c.indices.update_aliases(body=swap))
        except BaseException:
            await self._call(
                "search.drop_index", {"index": concrete},
                lambda c: c.indices.delete(index=concrete, ignore_unavailable=True),
            )
            raise
        for name in old:
            await self._call("search.drop_index", {"index": name}, lambda c, n=name: c.indices.delete(index=n))
        return written

    async def drop(self) -> None:
        """Delete the alias and every index behind it (tests clean up with this)."""
        current = await self._call(
            "search.get_alias", {"alias": self.alias}, lambda c: c.indices.get_alias(name=self.alias), missing_ok=True
        )
        for name in sorted(current or {}):
            await self._call("search.drop_index", {"index": name}, lambda c, n=name: c.indices.delete(index=n))

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.close()

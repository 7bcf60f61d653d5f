"""Keeping the search index in step with the graph: after a load, and on a full rebuild.

Documents are always read back from the graph store (never from the CSV rows), so the index
holds what the graph holds, including addresses and phones that a later load linked to a
person loaded earlier.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path

from customer360.graphstore.plan import FindPersons
from customer360.graphstore.protocol import GraphStore
from customer360.search.documents import PersonDocument, documents_by_id, iter_documents
from customer360.search.protocol import SearchIndex

BATCH = 1000
_PERSON_COLUMNS = {
    "aml_data_persons.csv": "person_id",
    "aml_data_addresses.csv": "person_id",
    "aml_data_phones.csv": "person_id",
}


def persons_in(data_dir: Path) -> list[str]:
    """Person ids a load of ``data_dir`` may have changed: every person row, and every person
    an address or phone row links to (in file order, without repeats)."""
    seen: dict[str, None] = {}
    for name, column in _PERSON_COLUMNS.items():
        path = Path(data_dir) / name
        if not path.is_file():
            continue
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                key = (row.get(column) or "").strip()
                if key:
                    seen[key] = None
    return list(seen)


async def person_count(store: GraphStore) -> int:
    page = await store.find_persons(FindPersons(first=1, with_total=True))
    return page.total or 0


async def rebuild_from_store(
    store: GraphStore, index: SearchIndex, progress: Callable[[int], None] | None = None, batch_size: int = BATCH
) -> int:
    """Rebuild the whole index from the graph without downtime (see ``SearchIndex.rebuild``)."""
    return await index.rebuild(iter_documents(store, batch_size), progress)


async def _batches(store: GraphStore, person_ids: Sequence[str], batch_size: int) -> AsyncIterator[list[PersonDocument]]:
    for start in range(0, len(person_ids), batch_size):
        yield await documents_by_id(store, person_ids[start:start + batch_size])


async def index_persons(
    store: GraphStore, index: SearchIndex, person_ids: Iterable[str],
    progress: Callable[[int], None] | None = None, batch_size: int = BATCH,
) -> int:
    """Upsert the documents of ``person_ids`` (as the graph now has them), a batch at a time."""
    keys = list(dict.fromkeys(person_ids))
    written = 0
    async for batch in _batches(store, keys, batch_size):
        await index.upsert(batch)
        written += len(batch)
        if progress is not None:
            progress(len(batch))
    return written


async def index_after_load(
    store: GraphStore, index: SearchIndex, data_dir: Path, progress: Callable[[int], None] | None = None
) -> int:
    """What ``c360 load`` runs after a successful load: an empty index is built whole from the
    graph (bulk, fastest), otherwise the persons the files touched are upserted."""
    if await index.count() == 0:
        return await rebuild_from_store(store, index, progress)
    return await index_persons(store, index, persons_in(data_dir), progress)

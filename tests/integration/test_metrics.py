"""``/metrics`` counts every backend call, the synchronous ones of a load and of the insight
cache refresh too, not only the reads of GraphQL requests."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from customer360.app import create_app
from customer360.config import Settings
from customer360.graphstore.sqlite import SqliteStore
from customer360.ingest.load import load_bank

SERIES = re.compile(r'^c360_backend_calls_total\{backend="(?P<backend>[^"]+)",operation="(?P<op>[^"]+)"\} (?P<n>\d+)$')


async def _calls(client: httpx.AsyncClient) -> dict[str, int]:
    text = (await client.get("/metrics")).text
    found = {}
    for line in text.splitlines():
        match = SERIES.match(line)
        if match and match["backend"] == "sqlite":
            found[match["op"]] = int(match["n"])
    return found


async def test_a_load_and_its_insight_refresh_show_in_metrics(bank_dir: Path, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "g.db")
    app = create_app(Settings(), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        before = await _calls(client)
        load_bank(bank_dir, store, progress=False)
        after = await _calls(client)
    store.close()
    grew = {op for op, n in after.items() if n > before.get(op, 0)}
    # the writes of the load and the insight refresh after it
    assert {"upsert", "person_metrics_page", "write_person_insights", "bank_totals"} <= grew

"""JanusGraph goes down and comes back: clients get a clear, retryable error meanwhile,
/readyz names the backend, and the running service recovers by itself.

This stops and restarts the real server through services/ (it is skipped, or fails under
C360_REQUIRE_SERVICES=1, when JanusGraph is not running).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from customer360.app import create_app
from customer360.config import GraphUrl, Settings
from customer360.graphstore.gremlin import GremlinStore, reachable
from tests.conftest import GREMLIN_URL, run_query, service_missing

SERVICES = Path(__file__).resolve().parents[2] / "services"
QUERY = "{ customers(first: 2) { edges { node { id accounts { id } } } } }"


def services(action: str) -> None:
    subprocess.run([str(SERVICES / action), "janusgraph"], check=True, timeout=600)


async def test_janusgraph_outage_is_reported_and_recovered_from(janusgraph_store):
    url = GraphUrl.parse(GREMLIN_URL)
    if reachable(url.host, url.port):
        service_missing("JanusGraph", "not answering")
    app_store = GremlinStore(url.host, url.port, url.traversal_source, timeout_s=5.0)
    app = create_app(Settings(graph=url), store=app_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        before = await run_query(client, QUERY)
        assert "errors" not in before, before
        assert (await client.get("/readyz")).status_code == 200

        services("down")
        try:
            during = await run_query(client, QUERY)
            error = during["errors"][0]
            assert error["extensions"]["code"] == "BACKEND_UNAVAILABLE"
            assert error["extensions"]["retryable"] is True
            assert "janusgraph" in error["message"] and "retry later" in error["message"]
            assert "Traceback" not in str(during)
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["graph"] == {"backend": "janusgraph", "ok": False, "reason": ready.json()["graph"]["reason"]}
        finally:
            services("up")

        # the same app, not restarted, answers again once the server is back
        deadline = time.monotonic() + 120
        after = await run_query(client, QUERY)
        while "errors" in after and time.monotonic() < deadline:
            time.sleep(2)
            after = await run_query(client, QUERY)
        assert "errors" not in after, after
        assert after["data"] == before["data"]
        assert (await client.get("/readyz")).status_code == 200
    app_store.close()

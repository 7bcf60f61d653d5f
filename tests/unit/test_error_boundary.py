"""The one error boundary (``schema/errors.py``): an outage becomes a retryable
``BACKEND_UNAVAILABLE``, a bug is masked, on every field of every query.

The stores here are stand-ins: no real component fails on demand in these two ways. The real
outage is proven against the real JanusGraph in ``tests/integration/test_janusgraph_outage.py``.
"""

from __future__ import annotations

import httpx
import pytest

from customer360.app import create_app
from customer360.config import Settings
from customer360.graphstore.protocol import StoreUnavailable


class BrokenStore:
    """A stand-in for a backend with a bug (no real component fails on demand like this):
    every read raises an unexpected exception."""

    backend = "broken"
    rules = None

    def read_state(self, key):  # the insight cache check at start-up fails too, synchronously
        raise RuntimeError("secret detail: state table unreadable")

    def __getattr__(self, name):
        async def fail(*args, **kwargs):
            raise RuntimeError("secret detail: table person is corrupt at page 7")

        return fail


async def test_unexpected_failures_are_masked_not_leaked(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(), store=BrokenStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        response = await client.post("/graphql", json={"query": '{ customer(id: "P1") { id } }'})
    assert response.status_code == 200
    [error] = response.json()["errors"]
    error_id = error["extensions"]["errorId"]
    assert error["message"] == f"internal server error (error id {error_id})"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret detail" not in response.text and "Traceback" not in response.text
    # the server's log has the detail, under the id the client was given
    assert any(error_id in r.getMessage() and "corrupt at page 7" in r.getMessage() for r in caplog.records)


class DownStore(BrokenStore):
    """A stand-in for a backend that cannot be reached: every read raises StoreUnavailable."""

    backend = "down"

    def __getattr__(self, name):
        async def fail(*args, **kwargs):
            raise StoreUnavailable("down", "connection refused")

        return fail


@pytest.mark.parametrize("query", [
    '{ customer(id: "P1") { id } }',
    "{ portfolio { customers } }",
    '{ neighborhood(id: "P1") { truncated } }',
    "{ customers { edges { node { id } } } }",
])
async def test_outages_become_retryable_backend_unavailable(query: str) -> None:
    app = create_app(Settings(), store=DownStore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as client:
        body = (await client.post("/graphql", json={"query": query})).json()
    [error] = body["errors"]
    extensions = error["extensions"]
    error_id = extensions.pop("errorId")
    assert extensions == {"code": "BACKEND_UNAVAILABLE", "backend": "down", "retryable": True}
    assert error["message"] == f"the down backend is unavailable, retry later (error id {error_id})"
    assert "connection refused" not in str(body)  # the driver's text stays in the server log

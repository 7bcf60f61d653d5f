"""The GraphiQL page as the app serves it, on the demo bank ``c360 serve`` creates.

The page must name nothing outside the service, every file it loads must hash to the value
in its tag, and every example operation in its tabs must run without errors on the demo
bank, exactly as GraphiQL sends it (the tab's variables and headers), so the examples cannot
rot as the schema changes. The browser test (end_to_end) shows the same page really works.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser

import httpx
import pytest
from graphql import OperationDefinitionNode, parse

from customer360.app import create_app
from customer360.config import GraphUrl, Settings
from customer360.generator import generate_bank
from customer360.graphiql.assets import sri_hash
from customer360.graphiql.examples import EXAMPLE_TABS
from customer360.graphstore.backends import open_store
from customer360.graphstore.protocol import GraphStore
from customer360.ingest.load import load_bank

DEMO_PERSONS, DEMO_SEED = 2000, 42  # what `c360 serve` creates on an empty store (cli._load_demo)


class _Tags(HTMLParser):
    """Every tag's attributes, and the text of the JSON config block."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.config = ""
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_config = dict(attrs).get("id") == "c360-graphiql-config"

    def handle_endtag(self, tag: str) -> None:
        self._in_config = False

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config += data


def _operations() -> list[tuple[int, str]]:
    return [
        (number, definition.name.value)
        for number, tab in enumerate(EXAMPLE_TABS)
        for definition in parse(tab.query).definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name
    ]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    folder = tmp_path_factory.mktemp("demo-bank")
    generate_bank(folder / "csv", DEMO_PERSONS, DEMO_SEED, progress=False)
    store = open_store(GraphUrl.parse(f"sqlite:///{folder / 'demo.db'}"))
    load_bank(folder / "csv", store, progress=False)
    yield store
    store.close()


@pytest.fixture
async def demo(demo_store: GraphStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), store=demo_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as http:
        yield http


async def _page(client: httpx.AsyncClient) -> tuple[httpx.Response, _Tags]:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    tags = _Tags()
    tags.feed(response.text)
    return response, tags


async def test_the_page_names_nothing_outside_the_service(demo: httpx.AsyncClient) -> None:
    response, tags = await _page(demo)
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+", response.text), "an absolute URL in the page"
    linked = [attrs.get("src") or attrs.get("href") for _, attrs in tags.tags if "src" in attrs or "href" in attrs]
    assert linked and all(url.startswith(("/graphiql/static/", "data:")) for url in linked), linked


async def test_every_file_the_page_loads_matches_the_hash_in_its_tag(demo: httpx.AsyncClient) -> None:
    _, tags = await _page(demo)
    loaded = [(attrs.get("src") or attrs.get("href"), attrs.get("integrity")) for tag, attrs in tags.tags
              if tag == "script" and attrs.get("src") or tag == "link" and attrs.get("rel") == "stylesheet"]
    assert len([url for url, _ in loaded if url.endswith(".js")]) == 5  # react, react-dom, graphiql, explorer, ours
    for url, integrity in loaded:
        served = await demo.get(url)
        assert served.status_code == 200, url
        assert served.headers["content-type"].split(";")[0] in {"text/javascript", "text/css"}, url
        assert integrity == sri_hash(served.content), url


async def test_the_browser_may_load_nothing_from_elsewhere(demo: httpx.AsyncClient) -> None:
    response, _ = await _page(demo)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert "http" not in response.headers["content-security-policy"]


async def test_graphiql_opens_on_the_example_query_with_the_explain_header(demo: httpx.AsyncClient) -> None:
    _, tags = await _page(demo)
    tabs = json.loads(tags.config)["tabs"]
    assert "query CustomerScreen" in tabs[0]["query"]
    assert all(json.loads(tab["headers"]) == {"X-C360-Explain": "1"} for tab in tabs)
    assert len(tabs) == 5  # the example query, then one tab each for front-end, analysts, integrations, compliance


async def test_a_missing_static_file_is_a_404(demo: httpx.AsyncClient) -> None:
    assert (await demo.get("/graphiql/static/vendor/nothing.js")).status_code == 404


def _as_graphiql_sends_it(tab: int, operation: str) -> tuple[dict, dict[str, str]]:
    """The request body and headers GraphiQL sends for one operation of a tab."""
    example = EXAMPLE_TABS[tab].as_graphiql_tab()
    body = {"query": example["query"], "operationName": operation,
            "variables": json.loads(example["variables"] or "{}")}
    return body, json.loads(example["headers"])


async def _run(client: httpx.AsyncClient, tab: int, operation: str) -> dict:
    body, headers = _as_graphiql_sends_it(tab, operation)
    response = await client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("tab", "operation"), _operations(), ids=[name for _, name in _operations()])
async def test_every_example_operation_runs_without_errors(demo: httpx.AsyncClient, tab: int, operation: str) -> None:
    answer = await _run(demo, tab, operation)
    assert "errors" not in answer, answer["errors"]
    assert answer["data"] and all(value is not None for value in answer["data"].values()), answer
    assert answer["extensions"]["explain"]["totalCalls"] >= 1


async def test_the_examples_show_something_on_the_demo_bank(demo: httpx.AsyncClient) -> None:
    """An example that answers with nothing teaches nothing."""
    tab = {name: number for number, name in _operations()}

    async def data(operation: str) -> dict:
        return (await _run(demo, tab[operation], operation))["data"]

    assert (await data("CustomerPayments"))["customer"]["transactions"]["totalCount"] > 0
    assert (await data("RiskReview"))["customers"]["totalCount"] > 0
    assert (await data("SharedRelationships"))["sharedAddresses"]["totalCount"] > 0
    assert len((await data("Neighborhood"))["neighborhood"]["nodes"]) > 1
    assert (await data("ShortestPath"))["path"]["found"] is True

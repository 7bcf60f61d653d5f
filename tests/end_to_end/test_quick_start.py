"""The README, as a new user follows it: ``c360 serve`` on an empty store, then the tour.

The service runs as a real process on a free port of 127.0.0.1, with a fresh SQLite file,
so it creates the same 2,000-customer demo bank that ``make serve`` creates. Every
```graphql block of the README is then sent over HTTP, and the demo answers the README quotes
are checked against what the service says. When the README or the service drifts apart,
this fails; the process is stopped by its own pid whatever happens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.end_to_end.live_service import running_process

README = Path(__file__).resolve().parents[2] / "README.md"


def graphql_blocks(markdown: str) -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", markdown, flags=re.S)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A running ``c360 serve`` on an empty store (the default demo bank, as the README's answers
    are about it); yields its base URL and what it logged while starting."""
    folder = tmp_path_factory.mktemp("quick-start")
    with running_process(folder, None) as (base, _process):
        yield base, (folder / "serve.log").read_text()


def post(base: str, query: str, variables: dict | None = None, *, explain: bool = False) -> dict:
    headers = {"X-C360-Explain": "1"} if explain else {}
    body = {"query": query, "variables": variables or {}}
    response = httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_empty_store_gets_the_demo_bank(service: tuple[str, str]) -> None:
    base, log = service
    assert "generating a demo bank of 2,000 customers (and 20 of them entered twice" in log
    answer = post(base, "{ customers(first: 1) { totalCount } portfolio { customers } }")
    # 2,000 customers and 20 labelled duplicates (the same people entered again) for search
    assert answer == {"data": {"customers": {"totalCount": 2020}, "portfolio": {"customers": 2020}}}


def test_graphiql_opens_with_the_example_query_and_the_explain_header(service: tuple[str, str]) -> None:
    base, _ = service
    page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "query CustomerScreen" in page.text
    assert "X-C360-Explain" in page.text


@pytest.mark.parametrize("number", range(len(graphql_blocks(README.read_text(encoding="utf-8")))))
def test_every_tour_query_answers_without_errors(service: tuple[str, str], number: int) -> None:
    base, _ = service
    query = graphql_blocks(README.read_text(encoding="utf-8"))[number]
    answer = post(base, query, explain=True)
    assert "errors" not in answer, (query, answer["errors"])
    assert answer["data"] and all(value is not None for value in answer["data"].values()), answer
    assert answer["extensions"]["explain"]["totalCalls"] >= 1


def test_the_insight_answers_quoted_in_the_readme_are_what_the_service_says(service: tuple[str, str]) -> None:
    base, _ = service
    readme = README.read_text(encoding="utf-8")
    paragraph = readme[readme.index("On the demo bank"):]
    paragraph = paragraph[: paragraph.index("\n\n")]
    customer = re.search(r'customer\(id: "(P\d+)"\)', readme[: readme.index("On the demo bank")].rsplit("```graphql", 1)[1])
    assert customer, "the insights example names a customer"
    quoted = set(re.findall(r'`([a-z_.]+): "([^"]+)"`', re.sub(r"\s+", " ", paragraph)))
    assert len(quoted) >= 5, quoted

    answer = post(base, """query ($id: ID!) { customer(id: $id) {
        segment { tier reasons { rule detail } }
        risk { score level reasons { rule detail } }
        recommendations { product reason { rule detail } } } }""".replace("$id", f'"{customer.group(1)}"')
                  .replace('query ("' + customer.group(1) + '": ID!)', "query"))
    person = answer["data"]["customer"]
    said = {(r["rule"], r["detail"]) for r in person["segment"]["reasons"] + person["risk"]["reasons"]}
    said |= {(r["reason"]["rule"], r["reason"]["detail"]) for r in person["recommendations"]}
    assert quoted <= said, quoted - said
    assert f"is `{person['segment']['tier']}`" in paragraph
    assert f"`{person['risk']['level']}` risk with score {person['risk']['score']}" in paragraph
    assert person["recommendations"], "the README quotes a recommendation"
    for recommendation in person["recommendations"]:
        assert f"`{recommendation['product']}`" in paragraph

"""The lane (``execution/lane.py``) answers repeats of compiled operations without Strawberry's
pipeline. It must answer exactly as the pipeline does: the same bytes, status and media type,
the same audit record. And every check that depends on the request (limits on its arguments
and cost, its purpose of access, its variables, its time limit, the audit spool) must still
run on each repeat, with the pipeline's own refusal when one fails.

Each test reads ``c360_lane_operations_total`` (``PATHS[LANE]``) to know which requests the lane
answered, so none of them passes by the pipeline answering everything.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.audit.pipeline import AuditPipeline
from customer360.config import AuditSettings, AuditUrl, Limits, Settings
from customer360.execution.extension import PATHS
from customer360.execution.lane import LANE
from customer360.graphstore.protocol import GraphStore
from tests.contract.test_compiled_path import COMPILED_QUERIES

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


@asynccontextmanager
async def _client(store: GraphStore, folder: Path, settings: Settings | None = None) -> AsyncIterator[
        tuple[httpx.AsyncClient, AuditPipeline]]:
    """An app on ``store`` auditing into ``folder``, and its audit pipeline."""
    folder.mkdir(parents=True, exist_ok=True)
    pipeline = AuditPipeline.open(AuditSettings(url=AuditUrl.parse(f"sqlite:///{folder / 'audit.db'}"),
                                                spool_path=folder / "spool.db"))
    app = create_app(settings or Settings(), store=store, audit=pipeline)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as http:
            yield http, pipeline
    finally:
        await pipeline.aclose(flush_timeout_s=0)


async def _post(http: httpx.AsyncClient, payload: dict, headers: dict[str, str] | None = None) -> tuple[
        httpx.Response, bool]:
    """The response, and whether the lane answered it."""
    before = PATHS[LANE]
    response = await http.post("/graphql", json=payload, headers=headers or {})
    return response, PATHS[LANE] == before + 1


def _same(lane: httpx.Response, general: httpx.Response) -> None:
    assert (lane.status_code, lane.headers["content-type"]) == (general.status_code, general.headers["content-type"])
    assert lane.content == general.content


@pytest.mark.parametrize("name", list(COMPILED_QUERIES))
async def test_a_repeat_is_answered_by_the_lane_byte_for_byte_as_the_pipeline_answers_it(store, variables, name,
                                                                                          tmp_path):
    payload = {"query": COMPILED_QUERIES[name], "variables": variables}
    async with _client(store, tmp_path / "general", replace(Settings(), execution="general")) as (http, _):
        general, _ = await _post(http, payload)
    async with _client(store, tmp_path / "compiled") as (http, _):
        first, first_in_lane = await _post(http, payload)
        repeat, repeat_in_lane = await _post(http, payload)
    assert '"errors"' not in general.text, general.text[:500]
    assert (first_in_lane, repeat_in_lane) == (False, True)
    _same(first, general)
    _same(repeat, general)


async def test_the_lane_answers_in_the_negotiated_media_type(store, variables, tmp_path):
    payload = {"query": COMPILED_QUERIES["one customer with balances"], "variables": variables}
    headers = {"Accept": GRAPHQL_RESPONSE_JSON}
    async with _client(store, tmp_path) as (http, _):
        first, _ = await _post(http, payload, headers)
        repeat, in_lane = await _post(http, payload, headers)
    assert in_lane and repeat.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    _same(repeat, first)


async def test_the_lane_puts_the_same_reads_on_the_audit_record(store, api_keys, bank_dir, tmp_path):
    """Masked and clear fields, customers, outcome, operation and document, as the pipeline records them."""
    settings = replace(Settings(), auth_required=True, api_keys_file=api_keys[0])
    query = COMPILED_QUERIES["screen"]
    person = (bank_dir / "aml_data_persons.csv").read_text().splitlines()[1].split(",")[0]
    payload = {"query": query, "variables": {"id": person}}

    def headers(request_id: str) -> dict[str, str]:
        return {"X-API-Key": api_keys[1]["customer_service"], "X-Purpose-Of-Access": "customer_support",
                "X-Request-Id": request_id}

    records = {}
    for execution in ("general", "compiled"):
        async with _client(store, tmp_path / execution, replace(settings, execution=execution)) as (http, pipeline):
            await _post(http, payload, headers("first"))
            _, in_lane = await _post(http, payload, headers("repeat"))
            assert in_lane is (execution == "compiled")
            assert await pipeline.flush(30)
            [writer] = await pipeline.sink.writers()
            records[execution] = {
                (e.event.customer_id, e.event.fields_clear, e.event.fields_masked, e.event.outcome,
                 e.event.operation_name, e.event.document_hash, e.event.principal, e.event.purpose)
                async for e in pipeline.sink.chain(writer) if e.event.request_id == "repeat"
            }
    assert records["compiled"] == records["general"]
    masked = {field for record in records["general"] for field in record[2]}
    assert "ssn" in masked and (person,) <= tuple(record[0] for record in records["general"])
    assert {record[5] for record in records["general"]} == {hashlib.sha256(query.encode()).hexdigest()}


REFUSALS = {
    "cost over the budget": ("query($n: Int!) { customers(first: $n) { edges { node { id accounts { "
                             "sent(first: $n) { edges { node { id } } } } } } } }", {"n": 2}, {"n": 500},
                             "QUERY_TOO_COMPLEX"),
    "argument too long": ("query($name: String) { customers(first: 3, filter: {nameContains: $name}) { totalCount } }",
                          {"name": "a"}, {"name": "a" * 2000}, "BAD_USER_INPUT"),
    "variables that do not coerce": ("query($id: ID!) { customer(id: $id) { id name } }", {"id": "<person>"},
                                     {"id": None}, None),
}


@pytest.mark.parametrize("name", list(REFUSALS))
async def test_every_repeat_meets_its_own_limits_and_gets_the_pipelines_refusal(store, variables, name, tmp_path):
    query, allowed, refused, code = REFUSALS[name]
    allowed = {key: variables["id"] if value == "<person>" else value for key, value in allowed.items()}
    async with _client(store, tmp_path / "general", replace(Settings(), execution="general")) as (http, _):
        general, _ = await _post(http, {"query": query, "variables": refused})
    async with _client(store, tmp_path / "compiled") as (http, _):
        await _post(http, {"query": query, "variables": allowed})
        _, prepared = await _post(http, {"query": query, "variables": allowed})
        repeat, in_lane = await _post(http, {"query": query, "variables": refused})
    assert prepared and not in_lane
    [error] = general.json()["errors"]
    assert code is None or error["extensions"]["code"] == code
    _same(repeat, general)


async def test_a_repeat_under_a_purpose_the_roles_do_not_allow_is_refused(store, api_keys, tmp_path):
    settings = replace(Settings(), auth_required=True, api_keys_file=api_keys[0])
    payload = {"query": "{ portfolio { customers accounts } }"}  # no personal field: only the purpose refuses it
    key = {"X-API-Key": api_keys[1]["customer_service"]}
    allowed, refused = {**key, "X-Purpose-Of-Access": "customer_support"}, {**key, "X-Purpose-Of-Access": "analytics"}
    async with _client(store, tmp_path / "general", replace(settings, execution="general")) as (http, _):
        general, _ = await _post(http, payload, refused)
    async with _client(store, tmp_path / "compiled", settings) as (http, _):
        await _post(http, payload, allowed)
        _, prepared = await _post(http, payload, allowed)
        repeat, in_lane = await _post(http, payload, refused)
    assert prepared and not in_lane
    assert "'analytics' is not allowed" in general.json()["errors"][0]["message"]
    _same(repeat, general)


async def test_explain_is_never_answered_by_the_lane(store, variables, tmp_path):
    payload = {"query": COMPILED_QUERIES["one customer with balances"], "variables": variables}
    async with _client(store, tmp_path) as (http, _):
        await _post(http, payload)
        explained, in_lane = await _post(http, payload, {"X-C360-Explain": "1"})
    assert not in_lane and explained.json()["extensions"]["explain"]["path"] == "compiled"


async def test_a_repeat_withholds_the_data_when_the_audit_record_cannot_be_written(store, variables, tmp_path):
    payload = {"query": COMPILED_QUERIES["nested"]}
    async with _client(store, tmp_path) as (http, pipeline):
        await _post(http, payload)
        pipeline.spool.close()  # the spool's database is gone: appends fail as they would on a full disk
        repeat, in_lane = await _post(http, payload)
    assert in_lane
    body = repeat.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"


class SlowWhenArmed:
    """The real store, whose vertex lookups and response trees wait (cancellably) once
    ``armed``: a request that outlives the time limit without making the test as slow as a
    real slow query."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.armed = False

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    async def get_vertices(self, step):
        if self.armed:
            await asyncio.sleep(30)
        return await self._store.get_vertices(step)

    async def response_tree(self, step):
        if self.armed:
            await asyncio.sleep(30)
        return await self._store.response_tree(step)


async def test_a_repeat_is_stopped_at_the_time_limit_with_the_pipelines_error(store, variables, tmp_path):
    slow = SlowWhenArmed(store)
    settings = replace(Settings(), limits=Limits(request_timeout_s=0.3))
    payload = {"query": COMPILED_QUERIES["one customer with balances"], "variables": variables}
    async with _client(slow, tmp_path / "general", replace(settings, execution="general")) as (http, _):
        slow.armed = True
        general, _ = await _post(http, payload)
        slow.armed = False
    async with _client(slow, tmp_path / "compiled", settings) as (http, _):
        await _post(http, payload)
        slow.armed = True
        repeat, in_lane = await _post(http, payload)
    assert in_lane
    assert general.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    _same(repeat, general)


async def test_a_persisted_query_sent_by_its_hash_is_answered_by_the_lane(store, variables, tmp_path):
    query = COMPILED_QUERIES["one customer with balances"]
    apq = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}
    async with _client(store, tmp_path) as (http, _):
        full, _ = await _post(http, {"query": query, "variables": variables, "extensions": apq})
        by_hash, in_lane = await _post(http, {"variables": variables, "extensions": apq})
    assert in_lane
    _same(by_hash, full)


async def test_a_query_sent_by_get_is_answered_by_the_lane_and_only_where_get_queries_are_allowed(store, variables,
                                                                                                   tmp_path):
    """Apollo's ``useGETForHashedQueries`` sends the hash by GET (cacheable by a CDN)."""
    query = COMPILED_QUERIES["one customer with balances"]
    apq = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}
    params = {"variables": json.dumps(variables), "extensions": json.dumps(apq)}
    answers = {}
    for get_queries in ("on", "off"):
        settings = replace(Settings(), get_queries_enabled=get_queries == "on")
        async with _client(store, tmp_path / get_queries, settings) as (http, _):
            await _post(http, {"query": query, "variables": variables, "extensions": apq})
            before = PATHS[LANE]
            response = await http.get("/graphql", params=params)
            answers[get_queries] = (response, PATHS[LANE] == before + 1)
    (allowed, allowed_in_lane), (refused, refused_in_lane) = answers["on"], answers["off"]
    assert allowed_in_lane and not refused_in_lane
    assert allowed.json()["data"]["customer"]["id"] == variables["id"]
    assert refused.status_code == 405 and "GET" in refused.json()["errors"][0]["message"]


async def test_repeats_with_other_directive_variables_answer_as_the_pipeline(store, variables, tmp_path):
    """``@skip``/``@include`` take the variables of each request, not those of the first."""
    query = COMPILED_QUERIES["aliases fragments directives"]
    turns = [{**variables, "withRisk": True, "skipNames": True}, {**variables, "withRisk": False, "skipNames": False},
             {**variables, "withRisk": True, "skipNames": False}]
    general = []
    async with _client(store, tmp_path / "general", replace(Settings(), execution="general")) as (http, _):
        for turn in turns:
            general.append((await _post(http, {"query": query, "variables": turn}))[0])
    async with _client(store, tmp_path / "compiled") as (http, _):
        await _post(http, {"query": query, "variables": turns[0]})
        for turn, expected in zip(turns, general):
            repeat, in_lane = await _post(http, {"query": query, "variables": turn})
            assert in_lane
            _same(repeat, expected)
    assert len({response.content for response in general}) == 3

"""Every read of customer data is on the audit record, on every store: one event per (request,
customer) with the fields that went out, masked or clear, and who asked, why and how.

Each test has an app with its own spool and embedded SQLite sink (a temporary folder), signs in
with real API keys, sends real GraphQL over the ASGI app, then ships the spool and reads the
record back through the same pipeline ``auditTrail`` uses.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from graphql import parse

from customer360.app import create_app
from customer360.audit.events import SealedEvent
from customer360.audit.pipeline import AuditPipeline
from customer360.auth.access import RequestAccess
from customer360.auth.policy import load_policy
from customer360.auth.principal import LOCAL_DEVELOPER
from customer360.config import AuditSettings, AuditUrl, Settings
from customer360.resolvers.context import RequestContext
from customer360.schema import build_schema

PURPOSE = {"customer_service": "customer_support", "analyst": "analytics", "auditor": "audit"}

NESTED = """query Screen { customers(first: 3) { edges { node { name ssn accounts { balance
  sent(first: 2) { edges { node { amount to { owner { name } } } } } } } } } }"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
async def audited(store, api_keys, tmp_path):
    """(client, pipeline): an app signing in by API key, auditing into tmp_path."""
    pipeline = AuditPipeline.open(AuditSettings(url=AuditUrl.parse(f"sqlite:///{tmp_path / 'audit.db'}"),
                                                spool_path=tmp_path / "spool.db"))
    settings = replace(Settings(), auth_required=True, api_keys_file=api_keys[0])
    app = create_app(settings, store=store, audit=pipeline)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as http:
        yield http, pipeline
    await pipeline.aclose(flush_timeout_s=0)


def _as(role: str, api_keys, request_id: str | None = None) -> dict[str, str]:
    headers = {"X-API-Key": api_keys[1][role], "X-Purpose-Of-Access": PURPOSE[role]}
    if request_id:
        headers["X-Request-Id"] = request_id
    return headers


async def _post(http: httpx.AsyncClient, query: str, headers: dict[str, str], variables: dict | None = None) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _record(pipeline: AuditPipeline) -> list[SealedEvent]:
    """Every event shipped to the sink, in chain order."""
    assert await pipeline.flush(30)
    [writer] = await pipeline.sink.writers()
    return [sealed async for sealed in pipeline.sink.chain(writer)]


def _by_customer(events: list[SealedEvent], request_id: str) -> dict[str, SealedEvent]:
    mine = [e for e in events if e.event.request_id == request_id]
    by_customer = {e.event.customer_id: e for e in mine}
    assert len(by_customer) == len(mine), "one event per customer and request"
    return by_customer


def _walk_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_walk_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_walk_keys(v) for v in value)) if value else set()
    return set()


async def test_each_customer_in_a_response_is_on_the_record_with_what_went_out(audited, api_keys) -> None:
    http, pipeline = audited
    body = await _post(http, NESTED, _as("customer_service", api_keys, "req-nested"))
    assert "errors" not in body
    # The same page with ids, to know whose data the first response held.
    ids = await _post(http, NESTED.replace("Screen", "Ids").replace("node { name", "node { id name")
                      .replace("owner { name", "owner { id name"), _as("customer_service", api_keys))
    persons = [e["node"] for e in ids["data"]["customers"]["edges"]]
    owners = {edge["node"]["to"]["owner"]["id"] for p in persons for a in p["accounts"] for edge in a["sent"]["edges"]}
    events = _by_customer(await _record(pipeline), "req-nested")

    assert set(events) == {p["id"] for p in persons} | owners
    for person in persons:
        event = events[person["id"]].event
        assert event.fields_masked == ("ssn",)  # customer service sees the last four only
        expected = {"name", "accounts.balance"} | ({"accounts.sent.amount"} if any(
            a["sent"]["edges"] for a in person["accounts"]) else set())
        if person["id"] in owners:
            expected.add("name")  # also met as a counterparty's owner: the same path
        assert set(event.fields_clear) == expected
        assert event.principal == "api-key:customer_service-service" and event.roles == ("customer_service",)
        assert event.purpose == "customer_support" and event.outcome == "complete"
        assert event.operation_name == "Screen"
        assert event.document_hash == hashlib.sha256(NESTED.encode()).hexdigest()
    for owner in owners - {p["id"] for p in persons}:
        assert events[owner].event.fields_clear == ("name",)  # a counterparty's owner: their name only
        assert events[owner].event.fields_masked == ()
    assert not [key for key in _walk_keys(body) if key.startswith("_c360")]


async def test_a_document_asked_again_is_recorded_as_each_response_went_out(audited, api_keys) -> None:
    """The audit keeps what it worked out about a document's levels for the next request that
    brings it; another caller's masking, or other @include values, are still recorded as the
    response went out."""
    http, pipeline = audited
    query = """query Again($ssn: Boolean!, $born: Boolean!) { customers(first: 2) { edges { node {
      name ssn @include(if: $ssn) dateOfBirth @include(if: $born) } } } }"""
    expected = {  # request id -> role, variables, (clear, masked)
        "again-1": ("customer_service", (True, True), ({"name", "dateOfBirth"}, {"ssn"})),
        "again-2": ("analyst", (True, True), ({"name"}, {"dateOfBirth"})),  # no SSN at all; year of birth only
        "again-3": ("customer_service", (False, True), ({"name", "dateOfBirth"}, set())),
        "again-4": ("customer_service", (True, False), ({"name"}, {"ssn"})),
        "again-5": ("analyst", (False, True), ({"name"}, {"dateOfBirth"})),
        "again-6": ("customer_service", (True, True), ({"name", "dateOfBirth"}, {"ssn"})),
    }
    for request_id, (role, (ssn, born), _) in expected.items():
        await _post(http, query, _as(role, api_keys, request_id), {"ssn": ssn, "born": born})
    events = await _record(pipeline)
    for request_id, (_, _, (clear, masked)) in expected.items():
        mine = _by_customer(events, request_id)
        assert len(mine) == 2, request_id
        for sealed in mine.values():
            assert (set(sealed.event.fields_clear), set(sealed.event.fields_masked)) == (clear, masked), request_id


async def test_the_client_gets_exactly_the_response_of_its_own_document(store, audited, api_keys, bank_dir) -> None:
    """Fragments, aliases, abstract types and entry points: what the audit added is gone again."""
    http, _pipeline = audited
    accounts = [row["account_id"] for row in _rows(bank_dir / "aml_data_accounts.csv")[:2]]
    query = """query($ids: [ID!]!) { a: nodes(ids: $ids) { ... on Account { id balance owner { ...P } } }
      customers(first: 2) { edges { node { ...P } } } }
      fragment P on Person { name phones { number } }"""
    body = await _post(http, query, _as("customer_service", api_keys), {"ids": accounts})
    # The schema alone, without an audit record, is the reference.
    access = RequestAccess.decide(load_policy(None), LOCAL_DEVELOPER, None)
    context = RequestContext(store=store, settings=Settings(), access=access, search=None)  # type: ignore[arg-type]
    reference = await build_schema(Settings()).execute(query, variable_values={"ids": accounts}, context_value=context)
    assert reference.errors is None
    assert json.dumps(body["data"]) == json.dumps(reference.data)


async def test_an_entry_point_is_on_the_record_of_its_owners(audited, api_keys, bank_dir: Path) -> None:
    http, pipeline = audited
    account = _rows(bank_dir / "aml_data_accounts.csv")[0]
    address = _rows(bank_dir / "aml_data_addresses.csv")[0]
    residents = {row["person_id"] for row in _rows(bank_dir / "aml_data_addresses.csv")
                 if row["address_id"] == address["address_id"]}
    await _post(http, 'query($id: ID!) { account(id: $id) { balance } }', _as("customer_service", api_keys, "req-acc"),
                {"id": account["account_id"]})
    await _post(http, 'query($id: ID!) { address(id: $id) { street city } }', _as("customer_service", api_keys, "req-adr"),
                {"id": address["address_id"]})
    events = await _record(pipeline)
    on_account = _by_customer(events, "req-acc")
    assert set(on_account) == {account["owner_person_id"]}
    assert on_account[account["owner_person_id"]].event.fields_clear == ("balance",)
    on_address = _by_customer(events, "req-adr")
    assert set(on_address) == residents
    assert all(e.event.fields_clear == ("city", "street") for e in on_address.values())


async def test_a_denied_field_is_not_on_the_record_and_the_read_is_partial(audited, api_keys, bank_dir: Path) -> None:
    http, pipeline = audited
    person = _rows(bank_dir / "aml_data_persons.csv")[0]["person_id"]
    body = await _post(http, 'query($id: ID!) { customer(id: $id) { name ssn dateOfBirth } }',
                       _as("analyst", api_keys, "req-analyst"), {"id": person})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # the analyst may not see the SSN
    event = _by_customer(await _record(pipeline), "req-analyst")[person].event
    assert event.fields_clear == ("name",) and event.fields_masked == ("dateOfBirth",)
    assert event.outcome == "partial"


async def test_no_customer_data_leaves_when_the_record_cannot_be_written(audited, api_keys) -> None:
    http, pipeline = audited
    pipeline.spool.close()  # the spool's database is gone: appends fail as they would on a full disk
    body = await _post(http, NESTED, _as("customer_service", api_keys))
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "AUDIT_UNAVAILABLE" and error["extensions"]["retryable"] is True
    no_customers = await _post(http, "{ portfolio { customers } }", _as("customer_service", api_keys))
    assert no_customers["data"]["portfolio"]["customers"] > 0  # no customer's data: nothing to record


async def test_only_auditors_read_the_record_page_by_page(audited, api_keys, bank_dir: Path) -> None:
    http, _pipeline = audited
    person = _rows(bank_dir / "aml_data_persons.csv")[0]["person_id"]
    for n in range(3):
        await _post(http, 'query($id: ID!) { customer(id: $id) { name } }',
                    _as("customer_service", api_keys, f"req-{n}"), {"id": person})
    await _pipeline.flush(30)
    trail = """query($id: ID!, $after: String) { auditTrail(customerId: $id, first: 2, after: $after) {
      edges { node { requestId principal fieldsClear purpose } } pageInfo { hasNextPage endCursor } } }"""
    first = await _post(http, trail, _as("auditor", api_keys), {"id": person})
    page = first["data"]["auditTrail"]
    assert [e["node"]["requestId"] for e in page["edges"]] == ["req-2", "req-1"]  # newest first
    assert page["pageInfo"]["hasNextPage"] is True
    second = await _post(http, trail, _as("auditor", api_keys), {"id": person, "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["requestId"] for e in second["data"]["auditTrail"]["edges"]] == ["req-0"]
    log = await _post(http, '{ accessLog(principal: "api-key:customer_service-service", first: 10) { edges { node { customerId } } } }',
                      _as("auditor", api_keys))
    assert [e["node"]["customerId"] for e in log["data"]["accessLog"]["edges"]] == [person] * 3
    refused = await _post(http, trail, _as("analyst", api_keys), {"id": person})
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "auditor" in refused["errors"][0]["message"]


async def test_metrics_and_readiness_show_the_spool(audited, api_keys) -> None:
    http, pipeline = audited
    await _post(http, NESTED, _as("customer_service", api_keys))
    metrics = (await http.get("/metrics")).text
    assert f"c360_audit_spool_depth {pipeline.spool_depth}" in metrics
    ready = (await http.get("/readyz")).json()
    assert ready["audit"]["ok"] is True and ready["audit"]["backend"] == "audit-sqlite"


def test_the_audit_keys_are_added_only_where_needed() -> None:
    """Inside a customer nothing is linked (no extra backend call); an entry point is."""
    from customer360.audit.reads import with_audit_keys

    schema = build_schema(Settings())._schema
    nested = with_audit_keys(schema, parse(NESTED))
    text = str(nested.to_dict())
    assert text.count("_c360_audit_of") == 0 and text.count("_c360_audit_id") == 2  # the person, the owner
    entry = str(with_audit_keys(schema, parse('{ account(id: "A") { balance } }')).to_dict())
    assert entry.count("_c360_audit_of") == 1

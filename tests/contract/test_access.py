"""Who sees what: every role signs in (with a JWT and with an API key) and reads the same
customer, on every store. The expectations are DESIGN.md's table, from the shipped policy."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from customer360.app import create_app
from customer360.config import Settings
from tests.identities import StandInIdentityProvider

QUERY = """query($id: ID!) { customer(id: $id) {
  id name ssn dateOfBirth phones { number } addresses { street city zipCode } accounts { id balance } } }"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def customer(bank_dir: Path) -> dict:
    """A customer with an address and a phone, as the seed files say."""
    addresses = _rows(bank_dir / "aml_data_addresses.csv")
    phones = _rows(bank_dir / "aml_data_phones.csv")
    person = _rows(bank_dir / "aml_data_persons.csv")[0]
    pid = person["person_id"]
    return {
        **person,
        "addresses": [a for a in addresses if a["person_id"] == pid],
        "phones": [p for p in phones if p["person_id"] == pid],
        "accounts": [a["account_id"] for a in _rows(bank_dir / "aml_data_accounts.csv") if a["owner_person_id"] == pid],
    }


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> StandInIdentityProvider:
    return StandInIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest.fixture
async def secured(store, idp, api_keys):
    settings = replace(Settings(), auth_required=True, jwt=idp.settings(), api_keys_file=api_keys[0])
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c360.test") as http:
        yield http


def _credentials(via: str, role: str, idp: StandInIdentityProvider, api_keys) -> dict[str, str]:
    if via == "jwt":
        return {"Authorization": f"Bearer {idp.token(f'{role}@bank.test', [role])}"}
    return {"X-API-Key": api_keys[1][role]}


async def _ask(client, customer, headers: dict[str, str]) -> dict:
    response = await client.post("/graphql", json={"query": QUERY, "variables": {"id": customer["person_id"]}},
                                 headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _errors(body: dict) -> dict[str, str]:
    """Error code by field path ("customer.ssn", "customer.phones.0.number")."""
    return {".".join(str(p) for p in e["path"]): e["extensions"]["code"] for e in body.get("errors", [])}


@pytest.mark.parametrize("via", ["jwt", "api_key"])
async def test_customer_service_sees_the_ssn_masked_and_the_rest_in_clear(secured, customer, idp, api_keys, via):
    body = await _ask(secured, customer, {**_credentials(via, "customer_service", idp, api_keys),
                                          "X-Purpose-Of-Access": "customer_support", "X-C360-Explain": "1"})
    got = body["data"]["customer"]
    assert "errors" not in body
    assert got["ssn"] == "***-**-" + customer["ssn"][-4:] and customer["ssn"] not in str(body)
    assert got["dateOfBirth"] == customer["date_of_birth"]
    assert {p["number"] for p in got["phones"]} == {p["phone_number"] for p in customer["phones"]}
    assert {a["street"] for a in got["addresses"]} == {a["street"] for a in customer["addresses"]}
    assert "explain" not in (body.get("extensions") or {})  # not for this role


@pytest.mark.parametrize("via", ["jwt", "api_key"])
async def test_analyst_is_denied_the_ssn_and_sees_the_rest_masked(secured, customer, idp, api_keys, via):
    body = await _ask(secured, customer, {**_credentials(via, "analyst", idp, api_keys),
                                          "X-Purpose-Of-Access": "analytics", "X-C360-Explain": "1"})
    got = body["data"]["customer"]
    assert _errors(body) == {"customer.ssn": "FORBIDDEN"}
    assert got["ssn"] is None and got["name"] == f"{customer['first_name']} {customer['last_name']}"
    assert got["dateOfBirth"] == customer["date_of_birth"][:4] + "-**-**"
    assert {p["number"] for p in got["phones"]} == {
        "***-***-" + "".join(c for c in p["phone_number"] if c.isdigit())[-4:] for p in customer["phones"]
    }
    assert {(a["street"], a["city"], a["zipCode"]) for a in got["addresses"]} == {
        ("(masked)", a["city"], a["zip_code"][:3] + "**") for a in customer["addresses"]
    }
    assert {a["id"] for a in got["accounts"]} == set(customer["accounts"])  # no personal data: shown
    assert body["extensions"]["explain"]["totalCalls"] >= 1  # analysts may see the query plan


@pytest.mark.parametrize("via", ["jwt", "api_key"])
async def test_integration_sees_the_ssn_in_clear_only_for_kyc(secured, customer, idp, api_keys, via):
    credentials = _credentials(via, "integration", idp, api_keys)
    kyc = await _ask(secured, customer, {**credentials, "X-Purpose-Of-Access": "kyc"})
    onboarding = await _ask(secured, customer, {**credentials, "X-Purpose-Of-Access": "onboarding"})
    assert "errors" not in kyc and "errors" not in onboarding
    assert kyc["data"]["customer"]["ssn"] == customer["ssn"]  # decrypted, for this purpose only
    assert onboarding["data"]["customer"]["ssn"] == "***-**-" + customer["ssn"][-4:]


@pytest.mark.parametrize("via", ["jwt", "api_key"])
async def test_auditor_sees_no_personal_data(secured, customer, idp, api_keys, via):
    body = await _ask(secured, customer, {**_credentials(via, "auditor", idp, api_keys), "X-Purpose-Of-Access": "audit"})
    expected = {"customer.name", "customer.ssn", "customer.dateOfBirth"}
    expected |= {f"customer.phones.{i}.number" for i in range(len(customer["phones"]))}
    expected |= {f"customer.addresses.{i}.{f}" for i in range(len(customer["addresses"])) for f in ("street", "zipCode")}
    assert _errors(body) == dict.fromkeys(expected, "FORBIDDEN")
    assert body["data"]["customer"]["id"] == customer["person_id"]
    assert all(a["city"] for a in body["data"]["customer"]["addresses"])  # the policy leaves city clear


@pytest.mark.parametrize("via", ["jwt", "api_key"])
async def test_admin_sees_the_ssn_masked_and_the_plan(secured, customer, idp, api_keys, via):
    body = await _ask(secured, customer, {**_credentials(via, "admin", idp, api_keys),
                                          "X-Purpose-Of-Access": "operations", "X-C360-Explain": "1"})
    assert "errors" not in body
    assert body["data"]["customer"]["ssn"] == "***-**-" + customer["ssn"][-4:]
    assert body["extensions"]["explain"]["totalCalls"] >= 1


async def test_a_purpose_outside_the_roles_refuses_the_whole_request(secured, customer, idp, api_keys):
    body = await _ask(secured, customer, {**_credentials("jwt", "analyst", idp, api_keys), "X-Purpose-Of-Access": "kyc"})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and "'kyc' is not allowed" in error["message"]


async def test_personal_data_needs_a_purpose_and_the_rest_does_not(secured, customer, idp, api_keys):
    body = await _ask(secured, customer, _credentials("api_key", "customer_service", idp, api_keys))
    errors = _errors(body)
    assert errors["customer.name"] == errors["customer.ssn"] == "PURPOSE_REQUIRED"
    got = body["data"]["customer"]
    assert got["id"] == customer["person_id"] and {a["id"] for a in got["accounts"]} == set(customer["accounts"])

"""Identity, policy, masks and the SSN at rest, each on its own (no store, no server)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import jwt
import pytest

from customer360.auth.api_keys import ApiKeyStore
from customer360.auth.authenticate import Authenticator, NoRole, NotAuthenticated
from customer360.auth.jwt_tokens import JwtVerifier
from customer360.auth.masking import phone_last_four, year_of_birth, zip_prefix
from customer360.auth.policy import PolicyError, load_policy, parse_policy
from customer360.encryption import FieldCipher, KeyUnavailable
from tests.identities import AUDIENCE, ISSUER, StandInIdentityProvider

POLICY = load_policy()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- the policy file


def test_the_shipped_policy_has_the_designed_roles() -> None:
    assert set(POLICY.roles) == {"customer_service", "analyst", "integration", "auditor", "admin"}


@pytest.mark.parametrize(("text", "message"), [
    ('[roles.x]\nexplian = true\npurposes = ["a"]', "unknown setting(s) explian"),
    ('personal_data = ["Person.name"]\n[roles.x]\npurposes = ["a"]\n[roles.x.fields]\n"Person.name" = "masked"',
     "this field has no mask"),
    ('personal_data = ["Person.ssn"]\n[roles.x]\npurposes = ["a"]\n[roles.x.fields]\n"Person.ssn" = "hidden"',
     "'hidden' is not one of clear, masked, denied"),
    ('[roles.x]\npurposes = ["a"]\n[roles.x.fields]\n"Person.ssn" = "clear"', "'Person.ssn' is not in personal_data"),
    ('personal_data = ["Person.ssn"]\n[roles.x]\npurposes = ["a"]\n[roles.x.purpose.b.fields]\n"Person.ssn" = "clear"',
     "not one of the role's purposes"),
    ("colour = 1\n[roles.x]", "unknown key(s) colour"),
])
def test_a_policy_that_cannot_be_enforced_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_policy(text, "bank-policy.toml")


def test_several_roles_combine_to_the_most_open_access_of_the_roles_that_allow_the_purpose() -> None:
    both = POLICY.grants(("analyst", "customer_service"), "customer_support")
    assert both.access("Person.ssn").name == "MASKED"  # analyst does not allow customer_support: not counted
    analytics = POLICY.grants(("analyst", "customer_service"), "analytics")
    assert analytics.access("Person.ssn").name == "DENIED"


# ---------------------------------------------------------------- masks


def test_masks_are_visible_and_keep_only_what_the_role_may_see() -> None:
    assert year_of_birth("1972-06-23") == "1972-**-**"
    assert phone_last_four("(212) 555-0100") == phone_last_four("+1 212 555 0100") == "***-***-0100"
    assert zip_prefix("10001") == "100**"


# ---------------------------------------------------------------- the SSN at rest


def test_the_cipher_round_trips_and_binds_each_value_to_its_record() -> None:
    cipher = FieldCipher(b"k" * 32)
    stored = cipher.encrypt("123-45-6789", "P1")
    assert "6789" not in stored and cipher.decrypt(stored, "P1") == "123-45-6789"
    assert cipher.encrypt("123-45-6789", "P1") == stored  # reloads write the same bytes
    assert cipher.encrypt("123-45-6789", "P2") != stored
    with pytest.raises(ValueError, match="does not decrypt"):
        cipher.decrypt(stored, "P2")  # copied onto another person's row
    with pytest.raises(ValueError, match="does not decrypt"):
        FieldCipher(b"x" * 32).decrypt(stored, "P1")


def test_a_generated_key_file_is_private_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "data" / "customer360.key"
    FieldCipher.from_key_file(key, create=True)
    assert mode(key) == 0o600
    key.chmod(0o644)
    with pytest.raises(KeyUnavailable, match="readable by others"):
        FieldCipher.from_key_file(key, create=False)
    with pytest.raises(KeyUnavailable, match="no data key"):
        FieldCipher.from_key_file(tmp_path / "missing.key", create=False)


# ---------------------------------------------------------------- API keys


def test_api_keys_are_stored_hashed_listed_without_secrets_and_revocable(tmp_path: Path) -> None:
    path = tmp_path / "keys.db"
    store = ApiKeyStore(path)
    info, secret = store.create("onboarding-service", "integration")
    assert mode(path) == 0o600
    assert secret.split("_", 2)[2].encode() not in path.read_bytes()  # only the hash is stored
    assert store.principal_for(secret).roles == ("integration",)
    assert store.principal_for(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert [k.key_id for k in store.list()] == [info.key_id] and "secret" not in repr(store.list())
    assert store.revoke(info.key_id) and store.principal_for(secret) is None
    assert not store.revoke(info.key_id)


# ---------------------------------------------------------------- authentication


@pytest.fixture
def idp(tmp_path: Path) -> StandInIdentityProvider:
    return StandInIdentityProvider(tmp_path)


@pytest.fixture
def authenticator(idp: StandInIdentityProvider, tmp_path: Path) -> Authenticator:
    return Authenticator(POLICY, ApiKeyStore(tmp_path / "k.db"), JwtVerifier(idp.settings()), local_identity=False)


def test_a_valid_token_names_the_principal_and_its_known_roles(authenticator, idp) -> None:
    token = idp.token("alice@bank.test", ["analyst", "not-a-role-here"])
    principal = authenticator.authenticate({"authorization": f"Bearer {token}"}, "10.0.0.5")
    assert (principal.name, principal.kind, principal.roles) == ("alice@bank.test", "jwt", ("analyst",))


@pytest.mark.parametrize(("change", "reason"), [
    ({"aud": "someone-else"}, "(?i)audience"),
    ({"iss": "https://evil.test/"}, "(?i)issuer"),
    ({"exp": int(time.time()) - 600}, "(?i)expired"),
])
def test_tokens_with_the_wrong_claims_are_refused(authenticator, idp, change, reason) -> None:
    with pytest.raises(NotAuthenticated, match=reason):
        authenticator.authenticate({"authorization": f"Bearer {idp.token('x', ['analyst'], **change)}"}, "10.0.0.5")


def test_unsigned_and_symmetric_tokens_are_refused(authenticator, idp) -> None:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "roles": ["admin"], "exp": int(time.time()) + 60}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "test-key-1"})
    hmac_signed = jwt.encode(claims, "a shared secret of at least thirty-two bytes!!", algorithm="HS256",
                             headers={"kid": "test-key-1"})
    for token in (unsigned, hmac_signed):
        with pytest.raises(NotAuthenticated):
            authenticator.authenticate({"authorization": f"Bearer {token}"}, "10.0.0.5")


def test_a_principal_without_a_role_of_the_policy_is_forbidden(authenticator, idp) -> None:
    with pytest.raises(NoRole):
        authenticator.authenticate({"authorization": f"Bearer {idp.token('bob', ['marketing'])}"}, "10.0.0.5")


def test_without_credentials_only_the_local_mode_from_loopback_gets_an_identity(idp, tmp_path) -> None:
    local = Authenticator(POLICY, ApiKeyStore(tmp_path / "k.db"), None, local_identity=True)
    assert local.authenticate({}, "127.0.0.1").is_local_developer
    assert local.authenticate({}, "::1").is_local_developer
    with pytest.raises(NotAuthenticated, match="loopback"):
        local.authenticate({}, "192.0.2.10")
    required = Authenticator(POLICY, ApiKeyStore(tmp_path / "k.db"), None, local_identity=False)
    with pytest.raises(NotAuthenticated, match="authentication required"):
        required.authenticate({}, "127.0.0.1")

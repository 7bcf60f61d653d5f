"""Bearer JWTs from the bank's identity provider, validated with PyJWT.

Everything an attacker could bend is pinned by configuration, never read from the token:
the accepted algorithms (no ``none``, no HMAC with a public key), the issuer, the audience
and the clock leeway. Signing keys come from the provider's JWKS URL (fetched and cached by
``PyJWKClient``, refreshed when a token names an unknown ``kid``) or from a key file (a PEM
public key or a JWKS document). The token's subject names the principal; a configured
claim lists its roles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt import PyJWK, PyJWKClient

from customer360.auth.principal import Principal

SAFE_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})


class TokenRejected(Exception):
    """The token is not one this service accepts; the message says why, without the token."""


@dataclass(frozen=True)
class JwtSettings:
    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_s: int = 30
    roles_claim: str = "roles"
    jwks_url: str | None = None
    key_file: Path | None = None


class JwtVerifier:
    def __init__(self, settings: JwtSettings) -> None:
        unsafe = set(settings.algorithms) - SAFE_ALGORITHMS
        if unsafe or not settings.algorithms:
            raise ValueError(f"C360_JWT_ALGORITHMS: only asymmetric algorithms are accepted, not {sorted(unsafe)}")
        if bool(settings.jwks_url) == bool(settings.key_file):
            raise ValueError("set exactly one of C360_JWT_JWKS_URL and C360_JWT_KEY_FILE")
        self.settings = settings
        self._jwks = PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300) if settings.jwks_url else None
        self._file_keys = _read_key_file(settings.key_file) if settings.key_file else {}

    def _key_for(self, token: str) -> Any:
        try:
            if self._jwks is not None:
                return self._jwks.get_signing_key_from_jwt(token).key
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise TokenRejected(f"no signing key for this token: {error}") from None
        if kid in self._file_keys:
            return self._file_keys[kid]
        if None in self._file_keys and len(self._file_keys) == 1:
            return self._file_keys[None]
        raise TokenRejected("the token's key id (kid) is not in the configured key file")

    def principal_for(self, token: str) -> Principal:
        key = self._key_for(token)
        s = self.settings
        try:
            claims = jwt.decode(
                token, key, algorithms=list(s.algorithms), audience=s.audience, issuer=s.issuer,
                leeway=s.leeway_s, options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(str(error)) from None
        roles = claims.get(s.roles_claim, [])
        if isinstance(roles, str):
            roles = roles.split()
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TokenRejected(f"claim {s.roles_claim!r} must be a list of role names")
        return Principal(str(claims["sub"]), "jwt", tuple(roles))


def _read_key_file(path: Path) -> dict[str | None, Any]:
    """``kid`` -> public key, from a JWKS document or one PEM key (kid ``None``)."""
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        document = json.loads(text)
        return {jwk.get("kid"): PyJWK(jwk).key for jwk in document.get("keys", [])}
    return {None: load_pem_public_key(text.encode())}

"""A test identity provider: an RSA key pair, its JWKS document, and tokens signed with it.

It is the real thing in miniature (PyJWT signs, the service verifies with the public half),
standing in for the bank's identity provider, which cannot run here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from customer360.auth.jwt_tokens import JwtSettings

ISSUER = "https://idp.bank.test/"
AUDIENCE = "customer360"
KID = "test-key-1"


class StandInIdentityProvider:
    def __init__(self, folder: Path) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})
        self.jwks = {"keys": [jwk]}
        self.jwks_file = folder / "jwks.json"
        self.jwks_file.write_text(json.dumps(self.jwks), encoding="utf-8")

    def settings(self, *, jwks_url: str | None = None) -> JwtSettings:
        return JwtSettings(
            issuer=ISSUER, audience=AUDIENCE, algorithms=("RS256",), leeway_s=5,
            jwks_url=jwks_url, key_file=None if jwks_url else self.jwks_file,
        )

    def token(self, subject: str, roles: list[str], **overrides: object) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "roles": roles, "iat": now, "exp": now + 300,
        }
        claims.update(overrides)
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": KID})

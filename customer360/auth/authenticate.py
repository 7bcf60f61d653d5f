"""Who a request is: a bearer JWT, an API key, or (with no authentication configured, from a
loopback address only) the local development identity.

:class:`AuthenticationMiddleware` runs before the GraphQL view, so an unauthenticated
request is refused with 401 before any GraphQL work, and the principal is on
``scope["state"]["principal"]`` for everything after it (the context, rate limits, audit).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from customer360.auth.api_keys import ApiKeyStore
from customer360.auth.jwt_tokens import JwtVerifier, TokenRejected
from customer360.auth.policy import Policy
from customer360.auth.principal import LOCAL_DEVELOPER, NOBODY, Principal

log = logging.getLogger("customer360.auth")

API_KEY_HEADER = "x-api-key"


class NotAuthenticated(Exception):
    """401: no credentials, or credentials this service does not accept."""

    status = 401
    code = "UNAUTHENTICATED"


class NoRole(NotAuthenticated):
    """403: a valid identity that holds none of this service's roles."""

    status = 403
    code = "FORBIDDEN"


@functools.lru_cache(maxsize=1024)
def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine. Asked for every request of the local development
    identity; parsing the address each time cost more than the rest of authentication."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Authenticator:
    def __init__(self, policy: Policy, api_keys: ApiKeyStore, jwt: JwtVerifier | None, *, local_identity: bool) -> None:
        self.policy = policy
        self.api_keys = api_keys
        self.jwt = jwt
        self.local_identity = local_identity

    def authenticate(self, headers: Mapping[str, str], client_host: str | None) -> Principal:
        authorization = headers.get("authorization", "").strip()
        scheme, _, credentials = authorization.partition(" ")
        presented_key = headers.get(API_KEY_HEADER, "").strip() or (credentials if scheme.lower() == "apikey" else "")
        if scheme.lower() == "bearer":
            if self.jwt is None:
                raise NotAuthenticated("bearer tokens are not accepted here: no identity provider is configured")
            try:
                principal = self.jwt.principal_for(credentials.strip())
            except TokenRejected as error:
                raise NotAuthenticated(f"the bearer token was refused: {error}") from None
        elif presented_key:
            found = self.api_keys.principal_for(presented_key)
            if found is None:
                raise NotAuthenticated("unknown or revoked API key")
            principal = found
        elif authorization:
            raise NotAuthenticated("unsupported Authorization scheme: use 'Bearer <JWT>' or 'ApiKey <key>'")
        elif self.local_identity:
            if not is_loopback(client_host):
                raise NotAuthenticated("the local development identity serves loopback clients only")
            return LOCAL_DEVELOPER
        else:
            raise NotAuthenticated("authentication required: send 'Authorization: Bearer <JWT>' or 'X-API-Key: <key>'")
        known = tuple(role for role in principal.roles if role in self.policy.roles)
        if not known:
            raise NoRole(f"{principal.name} holds none of this service's roles ({', '.join(sorted(self.policy.roles))})")
        return Principal(principal.name, principal.kind, known)


class AuthenticationMiddleware:
    """Authenticates requests to the protected paths; refuses with 401/403 and a JSON body."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, protected: tuple[str, ...] = ("/graphql",)) -> None:
        self.app = app
        self.authenticator = authenticator
        self.protected = protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] not in self.protected:
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        client = scope.get("client")
        try:
            principal: Principal | None = self.authenticator.authenticate(headers, client[0] if client else None)
        except NotAuthenticated as error:
            if not _is_ide_page(scope, headers):
                log.info("refused %s %s: %s", scope.get("method", "WS"), scope["path"], error)
                await _refuse(scope, send, error)
                return
            principal = NOBODY  # the GraphiQL page holds no data; the queries it sends carry credentials
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _is_ide_page(scope: Scope, headers: Mapping[str, str]) -> bool:
    return (
        scope.get("method") == "GET" and "text/html" in headers.get("accept", "")
        and b"query=" not in scope.get("query_string", b"")
    )


async def _refuse(scope: Scope, send: Send, error: NotAuthenticated) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4401 if error.status == 401 else 4403})
        return
    body = json.dumps({"errors": [{"message": str(error), "extensions": {"code": error.code}}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if error.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="customer360"'))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

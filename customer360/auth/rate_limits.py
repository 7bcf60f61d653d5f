"""Per-principal rate limits: a token bucket per principal, 429 with ``Retry-After`` when empty.

The key is the authenticated principal's name (``scope["state"]["principal"].name``, which
``request.state.principal`` writes, set by the authentication in front of this), else the
client's address, so one noisy caller cannot starve the others. A bucket holds ``burst``
requests and refills at ``per_second``; the buckets live in a bounded table (least recently
used dropped first: a bucket unused for a while is full, the same as no bucket), so a flood
of new addresses cannot grow memory without end. ``per_second`` 0 switches the limit off.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from customer360.auth.http_errors import ASGIApp, Receive, Scope, Send, send_error

MAX_BUCKETS = 10_000


@dataclass
class TokenBucket:
    """``burst`` tokens at most, ``per_second`` more every second; a request takes one."""

    per_second: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take a token: 0.0 if there was one, else the seconds until there will be."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class RateLimiter:
    """Buckets by key, at most ``max_keys`` of them."""

    def __init__(
        self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_BUCKETS
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def wait_for(self, key: str) -> float:
        """0.0 if ``key`` may go now (a token is taken), else the seconds it must wait."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.per_second, self.burst, float(self.burst), now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(now)


SHARED_PRINCIPAL_KINDS = frozenset({"local", "none"})
"""Principals that stand for whoever connects (the local development identity, GraphiQL's
anonymous visitor): their requests count against the client's address, not one shared bucket."""


def principal_or_client(scope: Scope) -> str:
    """Who a request counts against: its authenticated principal's name, else its client's address."""
    principal = (scope.get("state") or {}).get("principal")
    name = getattr(principal, "name", None)
    if name and getattr(principal, "kind", None) not in SHARED_PRINCIPAL_KINDS:
        return f"principal:{name}"
    client = scope.get("client")
    return f"address:{client[0]}" if client else "address:unknown"


class RateLimit:
    """ASGI wrapper: a guarded request over its principal's rate gets 429 and Retry-After."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_second: float,
        burst: int,
        paths: tuple[str, ...] = ("/graphql",),
        key: Callable[[Scope], str] = principal_or_client,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.paths = paths
        self.key = key
        self.limiter = RateLimiter(per_second, burst, clock) if per_second > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limiter is None or scope["type"] != "http" or scope.get("path", "") not in self.paths:
            await self.app(scope, receive, send)
            return
        wait = self.limiter.wait_for(self.key(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        limiter = self.limiter
        await send_error(
            send, 429, "RATE_LIMITED",
            f"too many requests: at most {limiter.per_second:g} per second, in bursts of up to "
            f"{limiter.burst}, per principal (C360_RATE_LIMIT, C360_RATE_BURST); retry after {retry_after} s",
            headers=[(b"retry-after", str(retry_after).encode())], retryAfter=retry_after,
        )

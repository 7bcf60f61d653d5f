"""Who is asking: a principal has a name (what the audit record and rate limits key on), how it
proved who it is, and roles from the policy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    kind: str  # "jwt", "api_key" or "local"
    roles: tuple[str, ...]
    purpose_exempt: bool = False  # the local development identity only

    @property
    def is_local_developer(self) -> bool:
        return self.kind == "local"


LOCAL_DEVELOPER = Principal("local-developer", "local", ("admin", "auditor"), purpose_exempt=True)
"""Who a request is when no authentication is configured: the service then listens on a
loopback address only, and says so in the log and in GraphiQL."""

NOBODY = Principal("nobody", "none", ())
"""An unauthenticated browser loading the GraphiQL page: holds no role, so sees nothing."""

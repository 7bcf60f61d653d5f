"""Settings from environment variables (and CLI flags, which override them), in one place.

Every setting has a default that works on a fresh machine: the graph is an SQLite file under
``./data``; production points ``C360_GRAPH`` at JanusGraph instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

DEFAULT_GRAPH = "sqlite:///data/customer360.db"


@dataclass(frozen=True, slots=True)
class GraphUrl:
    """``sqlite:///relative/or/absolute.db`` or ``gremlin://host:port/traversal_source``."""

    scheme: str
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8182
    traversal_source: str = "g"

    @classmethod
    def parse(cls, text: str) -> "GraphUrl":
        if text.startswith("sqlite:///"):
            raw = text[len("sqlite:///"):]
            if not raw:
                raise ValueError(f"C360_GRAPH={text!r}: no database file after sqlite:///")
            return cls("sqlite", path=Path(raw))
        parts = urlsplit(text)
        if parts.scheme == "gremlin":
            return cls(
                "gremlin",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 8182,
                traversal_source=parts.path.strip("/") or "g",
            )
        raise ValueError(
            f"C360_GRAPH={text!r}: expected sqlite:///path/to/file.db or gremlin://host:port/g"
        )

    def __str__(self) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{self.path}"
        return f"gremlin://{self.host}:{self.port}/{self.traversal_source}"


def _int(env: Mapping[str, str], name: str, default: int, minimum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a whole number") from None
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={raw!r}: expected a whole number of at least {minimum}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    graph: GraphUrl = field(default_factory=lambda: GraphUrl.parse(DEFAULT_GRAPH))
    host: str = "127.0.0.1"
    port: int = 8000
    max_depth: int = 12
    max_page_size: int = 500
    default_page_size: int = 20
    demo_persons: int = 2000
    rules_file: Path | None = None
    backend_timeout_s: float = 10.0
    gremlin_connections: int = 8  # pooled WebSocket connections; also JanusGraph load chunks in flight
    batching: bool = True  # False only for the benchmarks' naive baseline

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        rules = env.get("C360_RULES")
        return cls(
            graph=GraphUrl.parse(env.get("C360_GRAPH") or DEFAULT_GRAPH),
            host=env.get("C360_HOST", "127.0.0.1"),
            port=_int(env, "C360_PORT", 8000),
            max_depth=_int(env, "C360_MAX_DEPTH", 12),
            max_page_size=_int(env, "C360_MAX_PAGE_SIZE", 500),
            default_page_size=_int(env, "C360_DEFAULT_PAGE_SIZE", 20),
            demo_persons=_int(env, "C360_DEMO_PERSONS", 2000),
            rules_file=Path(rules) if rules else None,
            backend_timeout_s=float(env.get("C360_BACKEND_TIMEOUT", "10")),
            gremlin_connections=_int(env, "C360_GREMLIN_CONNECTIONS", 8, minimum=1),
        )

    def with_overrides(self, **changes: object) -> "Settings":
        """Apply CLI flags that were given (``None`` means the flag was not used)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

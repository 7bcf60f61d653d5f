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


# ---------------------------------------------------------------- search (issue 12)
# C360_SEARCH names the search index: the embedded SQLite index (default: search.db next to
# the SQLite graph file, or data/search.db) or OpenSearch (opensearch://host:port/alias;
# opensearchs:// for TLS). C360_SEARCH_MIN_DUPLICATE_SCORE is the least match probability
# for Person.possibleDuplicates.

DEFAULT_SEARCH_FILE = "search.db"


@dataclass(frozen=True, slots=True)
class SearchUrl:
    """``sqlite:///path/search.db`` or ``opensearch://host:port/alias``."""

    scheme: str
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 9200
    index: str = "c360-persons"
    tls: bool = False

    @classmethod
    def parse(cls, text: str) -> "SearchUrl":
        if text.startswith("sqlite:///"):
            raw = text[len("sqlite:///"):]
            if not raw:
                raise ValueError(f"C360_SEARCH={text!r}: no index file after sqlite:///")
            return cls("sqlite", path=Path(raw))
        parts = urlsplit(text)
        if parts.scheme in ("opensearch", "opensearchs"):
            index = parts.path.strip("/") or "c360-persons"
            if not index.islower() or any(c in index for c in ' "*\\<|,>/?#:'):
                raise ValueError(f"C360_SEARCH={text!r}: {index!r} is not a valid OpenSearch index name")
            return cls("opensearch", host=parts.hostname or "127.0.0.1", port=parts.port or 9200,
                       index=index, tls=parts.scheme == "opensearchs")
        raise ValueError(
            f"C360_SEARCH={text!r}: expected sqlite:///path/to/search.db or opensearch://host:port/index"
        )

    @classmethod
    def beside(cls, graph: "GraphUrl") -> "SearchUrl":
        """The default: ``search.db`` next to the SQLite graph file (``data/`` otherwise)."""
        if graph.scheme == "sqlite" and graph.path is not None:
            return cls("sqlite", path=graph.path.with_name(DEFAULT_SEARCH_FILE))
        return cls("sqlite", path=Path("data") / DEFAULT_SEARCH_FILE)

    def __str__(self) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{self.path}"
        return f"{'opensearchs' if self.tls else 'opensearch'}://{self.host}:{self.port}/{self.index}"


# ---------------------------------------------------------------- end of search settings


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


def _probability(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}={raw!r}: expected a number between 0 and 1")
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
    # search (issue 12): None means "beside the graph" (see search_url)
    search: SearchUrl | None = None
    min_duplicate_score: float = 0.9

    @property
    def search_url(self) -> SearchUrl:
        return self.search if self.search is not None else SearchUrl.beside(self.graph)

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
            # search (issue 12)
            search=SearchUrl.parse(env["C360_SEARCH"]) if env.get("C360_SEARCH") else None,
            min_duplicate_score=_probability(env, "C360_SEARCH_MIN_DUPLICATE_SCORE", 0.9),
        )

    def with_overrides(self, **changes: object) -> "Settings":
        """Apply CLI flags that were given (``None`` means the flag was not used)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

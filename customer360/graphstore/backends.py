"""Which graph store a ``C360_GRAPH`` URL names, opened with the configured insight rules."""

from __future__ import annotations

from customer360.config import GraphUrl, Settings
from customer360.graphstore.gremlin import GremlinStore
from customer360.graphstore.protocol import GraphStore
from customer360.graphstore.sqlite import SqliteStore
from customer360.insights import load_rules


def open_store(url: GraphUrl, settings: Settings | None = None) -> GraphStore:
    """Open the store ``url`` names, with the insight rules the settings point at. Without
    settings, those of ``url`` itself: its data key then lies beside the SQLite file it names,
    not in ./data."""
    settings = settings or Settings(graph=url)
    rules = load_rules(settings.rules_file)
    if url.scheme == "sqlite":
        assert url.path is not None
        return SqliteStore(url.path, rules=rules, cipher=settings.data_cipher())
    if url.scheme == "gremlin":
        return GremlinStore(
            url.host, url.port, url.traversal_source,
            timeout_s=settings.backend_timeout_s, pool_size=settings.gremlin_connections, rules=rules,
            cipher=settings.data_cipher(),
        )
    raise ValueError(f"no graph store for {url}")

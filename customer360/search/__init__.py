"""Search and matching: :func:`open_search_index` opens the index ``C360_SEARCH`` names."""

from __future__ import annotations

from customer360.config import SearchUrl
from customer360.search.protocol import SearchIndex


def open_search_index(url: SearchUrl, *, timeout_s: float = 10.0) -> SearchIndex:
    """The embedded SQLite index for ``sqlite:///...``, OpenSearch for ``opensearch://...``.
    Nothing is opened until first use, so a service whose search backend is down still starts."""
    if url.scheme == "sqlite":
        from customer360.search.embedded import EmbeddedSearchIndex

        assert url.path is not None
        return EmbeddedSearchIndex(url.path, busy_timeout_s=timeout_s)
    if url.scheme == "opensearch":
        from customer360.search.opensearch import OpenSearchIndex

        return OpenSearchIndex(url.host, url.port, url.index, timeout_s=timeout_s, use_ssl=url.tls)
    raise ValueError(f"no search index for {url}")

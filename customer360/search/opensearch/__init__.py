"""The OpenSearch search index (production)."""

from customer360.search.opensearch.index import OpenSearchIndex

__all__ = ["OpenSearchIndex"]

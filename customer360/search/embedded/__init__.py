"""The embedded search index (SQLite FTS5 trigram vocabulary + rapidfuzz): the default."""

from customer360.search.embedded.index import EmbeddedSearchIndex

__all__ = ["EmbeddedSearchIndex"]

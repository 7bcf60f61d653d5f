"""The embedded SQLite graph store: ``schema`` (tables), ``emit`` (plan step -> SQL and its
decoder), ``decode`` (rows -> records), ``network`` (the network steps, emitter beside
decoder), ``bulk`` (upserts) and ``store`` (:class:`SqliteStore`)."""

from customer360.graphstore.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]

"""The embedded audit sink: one SQLite file next to the graph store (``C360_AUDIT=sqlite:///...``)."""

from customer360.audit.sqlite.sink import SqliteAuditSink

__all__ = ["SqliteAuditSink"]

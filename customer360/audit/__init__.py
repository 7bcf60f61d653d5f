"""The audit record: who read whose personal data, and what was loaded (issue 9).

Events (:mod:`.events`) are sealed into a per-writer hash chain and made durable in a local
spool (:mod:`.spool`) before the response leaves; a drainer (:mod:`.drainer`) ships them to a
sink (:mod:`.protocol`): ``sqlite/`` embedded, ``cassandra/`` for Cassandra or DataStax HCD.
:mod:`.pipeline` wires the three for the app; :mod:`.verify` and :mod:`.export` read the sink.
"""

from __future__ import annotations

from customer360.audit.protocol import AuditSink
from customer360.config import AuditSettings, AuditUrl


def open_audit_sink(url: AuditUrl | str, settings: AuditSettings | None = None) -> AuditSink:
    """The sink ``url`` names: ``sqlite:///path`` or ``cassandra://host:9042/keyspace``.

    Backend packages are imported here, on demand, so that the embedded default never
    loads the Cassandra driver.
    """
    url = AuditUrl.parse(url) if isinstance(url, str) else url
    settings = settings or AuditSettings(url=url)
    if url.scheme == "sqlite":
        from customer360.audit.sqlite import SqliteAuditSink

        assert url.path is not None
        return SqliteAuditSink(url.path)
    if url.scheme == "cassandra":
        from customer360.audit.cassandra import CassandraAuditSink

        return CassandraAuditSink(
            list(url.hosts), url.port, url.keyspace, replication=settings.replication, ttl_s=settings.ttl_s,
            timeout_s=settings.timeout_s, local_dc=settings.local_dc,
        )
    raise ValueError(f"C360_AUDIT: no audit sink for scheme {url.scheme!r}")

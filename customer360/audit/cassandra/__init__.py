"""The production audit sink: Apache Cassandra 5 or DataStax HCD 1.x (``C360_AUDIT=cassandra://host:9042/keyspace``)."""

from customer360.audit.cassandra.sink import CassandraAuditSink

__all__ = ["CassandraAuditSink"]

"""The real servers that services/up starts answer their own clients.

Cassandra (the audit store's production stand-in for DataStax HCD) and OpenSearch (search)
are checked here directly; JanusGraph is exercised by the whole contract suite.
"""

from __future__ import annotations

import os

from tests.conftest import service_missing


def test_cassandra_answers_cql():
    from cassandra.cluster import Cluster, NoHostAvailable

    port = int(os.environ.get("C360_CASSANDRA_PORT", "9042"))
    cluster = Cluster(["127.0.0.1"], port=port, connect_timeout=5)
    try:
        session = cluster.connect()
    except NoHostAvailable as error:
        service_missing(f"Cassandra at 127.0.0.1:{port}", str(error))
    try:
        row = session.execute("SELECT release_version FROM system.local WHERE key = %s", ("local",)).one()
        assert row.release_version.startswith("5.0")
    finally:
        cluster.shutdown()


def test_opensearch_answers_and_indexes():
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    port = int(os.environ.get("C360_OPENSEARCH_PORT", "9200"))
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": port}], timeout=10)
    try:
        health = client.cluster.health()
    except OpenSearchConnectionError as error:
        service_missing(f"OpenSearch at 127.0.0.1:{port}", str(error))
    assert health["status"] in {"green", "yellow"}
    index = "c360-smoke-test"
    client.indices.delete(index=index, ignore_unavailable=True)
    try:
        client.index(index=index, id="P1", body={"name": "Matthew Moore"}, refresh=True)
        hits = client.search(index=index, body={"query": {"match": {"name": {"query": "Mathew Mor", "fuzziness": "AUTO"}}}})
        assert [h["_id"] for h in hits["hits"]["hits"]] == ["P1"]
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)

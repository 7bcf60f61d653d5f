"""The JanusGraph loader writes chunks concurrently: every chunk is written, a temporary
failure is retried, and a final one is raised to the loader rather than lost in a worker
thread. Plain threads, no server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from gremlin_python.driver.protocol import GremlinServerError

from customer360.graphstore.gremlin.bulk import in_chunks


def test_every_item_is_written_once_in_chunks_of_the_size_asked() -> None:
    written: list[list[int]] = []
    lock = threading.Lock()

    def write(chunk):
        with lock:
            written.append(list(chunk))

    with ThreadPoolExecutor(4) as pool:
        in_chunks(pool, list(range(1003)), 250, write)
    assert sorted(item for chunk in written for item in chunk) == list(range(1003))
    assert sorted(len(chunk) for chunk in written) == [3, 250, 250, 250, 250]


def test_a_failed_chunk_stops_the_load_with_its_error_and_nothing_left_running() -> None:
    """The first chunk fails while the second is in flight: the error is raised only once the
    second is done, and no chunk starts after the failure (the other 18 are never written)."""
    in_flight = threading.Event()  # chunk 1 has started
    failing = threading.Event()  # chunk 0 is about to raise
    running = 0
    finished: list[int] = []
    lock = threading.Lock()

    def write(chunk):
        nonlocal running
        if chunk[0] == 0:
            assert in_flight.wait(timeout=10)
            failing.set()
            raise ValueError("JanusGraph refused chunk 0")
        with lock:
            running += 1
        in_flight.set()
        if chunk[0] == 3:  # the second chunk
            assert failing.wait(timeout=10)
        with lock:
            running -= 1
            finished.append(chunk[0])

    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ValueError, match="refused chunk 0"):
            in_chunks(pool, list(range(60)), 3, write)
        assert running == 0  # raised only once the chunk in flight was done
        # No chunk starts once the failing worker has raised its flag; at most one other can
        # slip in between chunk 0's raise and that flag (in practice none does).
        assert finished[0] == 3 and len(finished) <= 2


# JanusGraph's temporary failures (a lock claim that timed out while Cassandra was busy) cannot
# be produced on demand against the real server, so these errors are built the way
# gremlinpython builds them from Gremlin Server's answer, with the exception chain it reports.
def server_error(*exceptions: str) -> GremlinServerError:
    return GremlinServerError({
        "code": 500,
        "message": "Could not commit transaction due to exception during persistence",
        "attributes": {"exceptions": list(exceptions), "stackTrace": "..."},
    })


TEMPORARY = server_error(
    "org.janusgraph.core.JanusGraphException",
    "org.janusgraph.diskstorage.locking.TemporaryLockingException",
    "org.janusgraph.diskstorage.TemporaryBackendException",
)
PERMANENT = server_error(
    "org.janusgraph.core.JanusGraphException",
    "org.janusgraph.diskstorage.locking.PermanentLockingException",
)


def test_a_chunk_that_fails_for_a_temporary_reason_is_written_on_a_retry(monkeypatch) -> None:
    monkeypatch.setattr("customer360.graphstore.gremlin.bulk.WRITE_RETRY_DELAYS_S", (0.0, 0.0, 0.0))
    attempts: list[int] = []
    written: list[int] = []

    def write(chunk):
        attempts.append(chunk[0])
        if chunk[0] == 3 and attempts.count(3) < 3:
            raise TEMPORARY
        written.extend(chunk)

    with ThreadPoolExecutor(2) as pool:
        in_chunks(pool, list(range(9)), 3, write)
    assert sorted(written) == list(range(9))
    assert attempts.count(3) == 3 and attempts.count(0) == 1


def test_a_permanent_failure_is_not_retried_and_temporary_ones_give_up_in_the_end(monkeypatch) -> None:
    monkeypatch.setattr("customer360.graphstore.gremlin.bulk.WRITE_RETRY_DELAYS_S", (0.0, 0.0))
    attempts = {"permanent": 0, "temporary": 0}

    def failing(kind, error):
        def write(chunk):
            attempts[kind] += 1
            raise error
        return write

    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(GremlinServerError, match="Could not commit"):
            in_chunks(pool, [1], 1, failing("permanent", PERMANENT))
        with pytest.raises(GremlinServerError, match="Could not commit"):
            in_chunks(pool, [1], 1, failing("temporary", TEMPORARY))
    assert attempts == {"permanent": 1, "temporary": 3}

"""The JanusGraph loader writes chunks concurrently: every chunk is written, and a failed one
is raised to the loader rather than lost in a worker thread. Plain threads, no server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from customer360.graphstore.gremlin import in_chunks


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
    running = 0
    finished: list[int] = []
    lock = threading.Lock()

    def write(chunk):
        nonlocal running
        if chunk[0] == 0:
            raise ValueError("JanusGraph refused chunk 0")
        with lock:
            running += 1
        time.sleep(0.05)
        with lock:
            running -= 1
            finished.append(chunk[0])

    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ValueError, match="refused chunk 0"):
            in_chunks(pool, list(range(60)), 3, write)
        assert running == 0  # raised only once the chunks already started were done
        assert 1 <= len(finished) <= 4  # the other 15+ chunks were cancelled, not written

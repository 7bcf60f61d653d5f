"""``c360 serve`` as a real process on a free loopback port, for tests that need a live URL.

A browser or a Node.js tool cannot talk to an in-process ASGI app, so these tests start the
service the way a user does (``c360 serve`` on an empty SQLite file, which creates a demo
bank of ``persons`` customers) and stop it by its own pid, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from customer360.cli import DEMO_DUPLICATES

STARTUP_LIMIT_S = 180
SMALL_BANK_PERSONS = 300  # enough for every example to find something, quick to generate
SMALL_BANK_CUSTOMERS = SMALL_BANK_PERSONS + round(SMALL_BANK_PERSONS * DEMO_DUPLICATES)
"""The demo generator enters some persons twice (labelled duplicates for search): all are customers."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_service(folder: Path, persons: int, *extra_args: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Start ``c360 serve`` in ``folder`` on a demo bank of ``persons`` (with ``env`` added to
    the environment, and ``extra_args`` to the command line); yield its base URL."""
    with running_process(folder, persons, *extra_args, env=env) as (base, _process):
        yield base


@contextlib.contextmanager
def running_process(
    folder: Path, persons: int | None, *extra_args: str, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """As :func:`running_service`, also yielding the ``c360 serve`` process. ``persons=None``
    is the default demo bank, as a user's first ``make serve`` creates it. The process's output
    is in ``folder / "serve.log"``."""
    port = free_port()
    log_path = folder / "serve.log"
    env = {**os.environ, "C360_GRAPH": f"sqlite:///{folder / 'customer360.db'}", **(env or {})}
    if persons is None:
        env.pop("C360_DEMO_PERSONS", None)
    else:
        env["C360_DEMO_PERSONS"] = str(persons)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "customer360.cli", "serve", "--port", str(port), "--log-level", "warning",
             *extra_args],
            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a test can kill it with its workers (os.killpg)
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"c360 serve exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"c360 serve not ready after {STARTUP_LIMIT_S}s:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its workers too: they are in its process group
            process.wait(timeout=10)

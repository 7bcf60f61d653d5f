"""Serving processes: the workers' shared listening socket gives accepted connections
TCP_NODELAY, and a worker settles its heap once its app is built.

uvicorn's own bound socket leaves the protocol at 0, so asyncio skips TCP_NODELAY and every
keep-alive response past the first waits on the client's delayed ACK (uvicorn #3149)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from customer360.serving import YOUNG_GENERATION_THRESHOLD, listening_socket


async def _nodelay_of_an_accepted_connection(sock: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
    port = sock.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(seen, 10)
    finally:
        writer.close()
        server.close()


async def test_connections_accepted_on_the_shared_socket_have_nagle_off() -> None:
    assert await _nodelay_of_an_accepted_connection(listening_socket("127.0.0.1", 0)) == 1


async def test_a_socket_bound_without_the_tcp_protocol_would_leave_nagle_on() -> None:
    """The baseline the fix is for: what uvicorn's bind_socket() does."""
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    assert await _nodelay_of_an_accepted_connection(plain) == 0


def test_a_worker_process_settles_its_heap_once_the_app_is_built(tmp_path: Path) -> None:
    """Start-up objects are frozen out of the cyclic collector's reach and young collections
    are spaced out; without it every nested request paid ~8 ms of CPU in collections. Run in
    a child process: freezing this test process's heap would outlive the test."""
    probe = (
        "import gc\n"
        "before = gc.get_freeze_count()\n"
        "from customer360.app import create_app_from_env\n"
        "create_app_from_env()\n"
        "print(before, gc.get_freeze_count(), gc.get_threshold()[0])\n"
    )
    env = {**os.environ, "C360_GRAPH": f"sqlite:///{tmp_path / 'graph.db'}",
           "C360_AUDIT": f"sqlite:///{tmp_path / 'audit.db'}", "C360_AUDIT_SPOOL": str(tmp_path / "spool.db")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    before, frozen, young = (int(word) for word in done.stdout.split())
    assert before == 0
    assert frozen > 10_000  # the schema, the store, the caches
    assert young == YOUNG_GENERATION_THRESHOLD

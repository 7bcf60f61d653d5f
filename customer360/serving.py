"""Running the app under uvicorn: one process, or N worker processes on one listening socket.

Workers share one socket that this module binds itself, with ``IPPROTO_TCP`` as its
protocol: uvicorn's own ``bind_socket()`` leaves the protocol at 0, accepted sockets inherit
it, and asyncio then never turns ``TCP_NODELAY`` on, so every keep-alive response past the
first waits ~40 ms on the client's delayed ACK (uvicorn issue #3149). The kernel spreads
accepted connections across the workers that wait on the shared socket.
"""

from __future__ import annotations

import os
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP_FACTORY = "customer360.app:create_app_from_env"


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, inheritable TCP listener whose accepted sockets get TCP_NODELAY from asyncio."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def serve_workers(host: str, port: int, workers: int, log_level: str) -> None:
    """``workers`` processes, each building the app from the environment (the CLI has put its
    flags there), all accepting on one socket."""
    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, workers=workers, log_level=log_level)
    sock = listening_socket(host, port)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()

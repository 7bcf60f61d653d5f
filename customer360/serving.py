"""Running the app under uvicorn: one process, or N worker processes on one listening socket.

Workers share one socket that this module binds itself, with ``IPPROTO_TCP`` as its
protocol: uvicorn's own ``bind_socket()`` leaves the protocol at 0, accepted sockets inherit
it, and asyncio then never turns ``TCP_NODELAY`` on, so every keep-alive response past the
first waits ~40 ms on the client's delayed ACK (uvicorn issue #3149). The kernel spreads
accepted connections across the workers that wait on the shared socket.

A serving process also settles its heap once the app is built (:func:`settle_heap`).
"""

from __future__ import annotations

import gc
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


YOUNG_GENERATION_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""


def settle_heap() -> None:
    """Freeze what start-up built (schema, caches, the store's objects) out of the cyclic
    collector's reach, and collect young objects less often.

    A nested query allocates ~10,000 containers, so with CPython's defaults every request
    set off a dozen collections, and each older-generation pass walked the whole start-up
    heap again: ~8 ms of CPU per nested request, a fifth of it (measured in-process, audit
    on). Objects made after start-up are still collected; those frozen live as long as the
    app anyway."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)


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

"""The workers' shared listening socket: accepted connections get TCP_NODELAY.

uvicorn's own bound socket leaves the protocol at 0, so asyncio skips TCP_NODELAY and every
keep-alive response past the first waits on the client's delayed ACK (uvicorn #3149)."""

from __future__ import annotations

import asyncio
import socket

from customer360.serving import listening_socket


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

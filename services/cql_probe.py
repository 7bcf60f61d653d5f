"""Readiness probe for the local Cassandra (used by services/lib.sh).

Usage: python3 cql_probe.py HOST PORT

Exit 0 when Cassandra answers CQL, 1 otherwise. With the Python
cassandra-driver importable it runs a real query
(SELECT release_version FROM system.local); without it, it sends a native
protocol v4 OPTIONS frame and expects a SUPPORTED reply, which Cassandra only
sends once the native transport is up (the last step of its startup).
Prints what answered on stdout.
"""

from __future__ import annotations

import logging
import socket
import struct
import sys

TIMEOUT_S = 5.0


def probe_with_driver(host: str, port: int) -> str | None:
    try:
        from cassandra.cluster import Cluster  # type: ignore
    except Exception:
        return None
    logging.disable(logging.CRITICAL)  # the driver logs every refused connection
    cluster = Cluster(
        [host],
        port=port,
        connect_timeout=TIMEOUT_S,
        control_connection_timeout=TIMEOUT_S,
        protocol_version=4,
    )
    try:
        session = cluster.connect()
        row = session.execute(
            "SELECT release_version FROM system.local", timeout=TIMEOUT_S
        ).one()
        return f"cql release_version={row.release_version}"
    finally:
        cluster.shutdown()


def probe_options_frame(host: str, port: int) -> str:
    # v4 request frame: version 0x04, flags 0, stream 0 (2 bytes), opcode 0x05
    # OPTIONS, body length 0.
    frame = struct.pack(">BBhBI", 0x04, 0x00, 0, 0x05, 0)
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as sock:
        sock.settimeout(TIMEOUT_S)
        sock.sendall(frame)
        header = b""
        while len(header) < 9:
            chunk = sock.recv(9 - len(header))
            if not chunk:
                raise ConnectionError("connection closed before a reply")
            header += chunk
    version, _flags, _stream, opcode, _length = struct.unpack(">BBhBI", header)
    if version != 0x84 or opcode != 0x06:
        raise ConnectionError(f"unexpected reply version={version:#x} opcode={opcode:#x}")
    return "native protocol v4 SUPPORTED"


def main() -> int:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9042
    try:
        answer = probe_with_driver(host, port)
        if answer is None:
            answer = probe_options_frame(host, port)
    except Exception as exc:  # any failure means "not ready yet"
        print(f"not ready: {type(exc).__name__}: {exc}")
        return 1
    print(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

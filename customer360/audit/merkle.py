"""Merkle roots over a run of event hashes, for checkpoints.

Leaves and inner nodes are hashed with different one-byte prefixes (RFC 6962 style), and an
odd node is carried up unchanged rather than paired with itself, so no two different runs
of hashes share a root (duplicating the last node would make ``[a, b, c]`` and
``[a, b, c, c]`` collide).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _leaf(hex_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(hex_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(hashes: Sequence[str]) -> str:
    """The root over event hashes (hex), in sequence order."""
    if not hashes:
        raise ValueError("a Merkle root needs at least one hash")
    level = [_leaf(h) for h in hashes]
    while len(level) > 1:
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()

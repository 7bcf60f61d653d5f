"""Personal data at rest: the SSN is stored encrypted, with a key from configuration.

AES-256-GCM (``cryptography``) with the record's business key as associated data, so a
ciphertext copied onto another person's row does not decrypt. The nonce is synthetic: an
HMAC of the record key and the value under a key of its own, so writing the same value of
the same record again gives the same bytes (reloading a bank changes nothing), while any
two different (record, value) pairs get different nonces.
Only the last four digits are kept in clear beside it (what most roles see); the whole
SSN is decrypted only for a caller whose role may see it in clear.

The key comes from ``C360_DATA_KEY`` (base64 of 32 bytes, as a secret manager would inject
it) or from a key file. On a fresh machine the key file is generated with mode 0600, so the
quick start encrypts too; a production profile refuses to start without a key.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"  # the scheme of a stored value, so that a later key or algorithm can coexist
KEY_BYTES = 32
NONCE_BYTES = 12


class KeyUnavailable(RuntimeError):
    """No usable data key was configured (the service must not store personal data in clear)."""


class FieldCipher:
    """Encrypts and decrypts one field's values, bound to the record they belong to."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise KeyUnavailable(f"a data key must be {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(hmac.digest(key, b"c360 field encryption", "sha256"))
        self._nonce_key = hmac.digest(key, b"c360 synthetic nonce", "sha256")

    def encrypt(self, value: str, record_key: str) -> str:
        nonce = hmac.digest(self._nonce_key, record_key.encode() + b"\0" + value.encode(), "sha256")[:NONCE_BYTES]
        sealed = self._aead.encrypt(nonce, value.encode(), record_key.encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str, record_key: str) -> str:
        if not stored.startswith(PREFIX):
            raise ValueError("not a value this cipher wrote")
        raw = base64.b64decode(stored[len(PREFIX):])
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], record_key.encode()).decode()
        except InvalidTag:
            raise ValueError(f"the stored value of {record_key!r} does not decrypt with this key") from None

    @classmethod
    def from_base64(cls, text: str) -> "FieldCipher":
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except (binascii.Error, ValueError):
            raise KeyUnavailable("C360_DATA_KEY is not base64 of 32 bytes") from None

    @classmethod
    def from_key_file(cls, path: Path, *, create: bool) -> "FieldCipher":
        """The key in ``path``; with ``create``, a new one is written there (mode 0600) first."""
        path = Path(path)
        if not path.exists():
            if not create:
                raise KeyUnavailable(f"no data key at {path}; set C360_DATA_KEY or C360_DATA_KEY_FILE")
            write_private(path, base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n")
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyUnavailable(f"the data key file {path} is readable by others (mode {mode:o}); chmod 600 it")
        return cls.from_base64(path.read_text(encoding="ascii"))


def write_private(path: Path, content: bytes) -> None:
    """Create ``path`` readable by its owner only, whatever the umask (never replaces a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 before a database engine opens it.

    SQLite gives its -wal and -shm files the mode of the database file, so creating the file
    first (empty: SQLite takes an empty file as a new database) covers all three.
    An existing file is never opened here: closing a descriptor of a file drops every POSIX
    lock this process holds on it, SQLite's included, and another process would then take
    this process's open database for closed (and delete its ``-shm`` file under it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass

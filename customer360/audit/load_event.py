"""The audit event of one ``c360 load``: who loaded which files (with their SHA-256) and how much.

The files are hashed before the load reads them, so the record names the exact bytes that
were offered. Only regular files are read (a symlink to a device is skipped, never read).
The event goes through the same spool and chain as reads, then the CLI ships it at once; if
the sink is down it stays spooled for the service's drainer (or ``c360 audit drain``).
"""

from __future__ import annotations

import asyncio
import csv
import getpass
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from customer360.audit.events import AuditEvent, LoadedFile, Outcome, SealedEvent
from customer360.audit.pipeline import AuditPipeline
from customer360.config import AuditSettings

_CHUNK = 1 << 20


class _HashingReader(io.RawIOBase):
    """Feeds every byte read through a SHA-256, so a file is hashed and parsed in one pass."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        self.sha256.update(data)
        buffer[: len(data)] = data
        return len(data)


def describe_file(path: Path) -> LoadedFile:
    """SHA-256 of the file's bytes and its number of CSV data rows (records after the header)."""
    with path.open("rb") as raw:
        hashing = _HashingReader(raw)
        text = io.TextIOWrapper(io.BufferedReader(hashing, _CHUNK), encoding="utf-8", errors="replace", newline="")
        records = 0
        try:
            for _ in csv.reader(text):
                records += 1
        except csv.Error:  # not CSV past this point (the load reports why); hash the rest anyway
            while hashing.readinto(memoryview(bytearray(_CHUNK))):
                pass
        return LoadedFile(path.name, hashing.sha256.hexdigest(), max(records - 1, 0))


def describe_files(folder: Path) -> list[LoadedFile]:
    """Every regular ``*.csv`` file in ``folder`` (what a load may read), by name."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.csv")):
        try:
            if stat.S_ISREG(os.stat(path).st_mode):
                found.append(describe_file(path))
        except OSError:
            continue  # unreadable: the load itself reports it
    return found


def cli_principal(settings: AuditSettings) -> str:
    """``C360_AUDIT_PRINCIPAL``, or the OS user as ``os:<name>``."""
    if settings.principal:
        return settings.principal
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"os:uid-{os.getuid()}"


@dataclass(frozen=True, slots=True)
class RecordedLoad:
    sealed: SealedEvent
    shipped: bool  # False: it waits in the spool


def record_load(settings: AuditSettings, *, files: list[LoadedFile], rows: int, outcome: Outcome,
                flush_timeout_s: float = 5.0) -> RecordedLoad:
    """Spool the load's event (raises AuditUnavailable if it cannot be made durable), then
    try, for a bounded time, to ship the spool to the sink."""
    event = AuditEvent.load(principal=cli_principal(settings), files=files, rows=rows, outcome=outcome)
    pipeline = AuditPipeline.open(settings)

    async def ship() -> bool:
        try:
            return await pipeline.flush(flush_timeout_s)
        finally:
            await pipeline.aclose(flush_timeout_s=0)

    try:
        sealed = pipeline.record_sync(event)
    except BaseException:
        asyncio.run(pipeline.aclose(flush_timeout_s=0))
        raise
    return RecordedLoad(sealed, asyncio.run(ship()))

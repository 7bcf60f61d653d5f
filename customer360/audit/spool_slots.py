"""One spool file per process: ``c360 serve --workers N`` runs N processes, and each appends
to a file of its own.

A shared spool file makes every worker wait for the others: an append holds SQLite's write
lock through its fsync, and a worker that finds the lock taken sleeps in SQLite's busy
handler (1, 2, 5, 10... ms) before it tries again. So each process claims a *slot*: the
configured path is slot 0 (``data/audit-spool.db``), slot ``n`` is the same name with ``.n``
before the suffix (``data/audit-spool.1.db``). A claim is an exclusive ``flock`` on a
sidecar file (``audit-spool.1.db.owner``), held for the life of the process: the kernel
drops it when the process exits, however it exits, so the next process to start takes the
slot over, with any events left in it. Each file has its own writer id and hash chain.

Every file is still an ordinary spool that any process may open: ``c360 audit drain`` ships
all of them, and a starting service ships the files no running process holds (a slot left
behind when the service restarts with fewer workers).

The slot belongs to the process, not to one opener: a second pipeline opened in the same
process (tests build many apps) gets the slot the process already holds, and the claim is
given back when the last of them closes.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from customer360.audit.protocol import AuditUnavailable
from customer360.encryption import create_private_file

#: Slots tried before giving up: far more processes than one machine runs.
MAX_SLOTS = 256
OWNER_SUFFIX = ".owner"


def slot_path(base: Path, slot: int) -> Path:
    """The spool file of ``slot``: the configured path for slot 0."""
    return base if slot == 0 else base.with_name(f"{base.stem}.{slot}{base.suffix}")


def slot_files(base: Path) -> list[Path]:
    """Every spool file of ``base``'s slots that exists, slot 0 first."""
    pattern = re.compile(rf"{re.escape(base.stem)}\.(\d+){re.escape(base.suffix)}")
    numbered = sorted(
        (int(match.group(1)), path)
        for path in (base.parent.iterdir() if base.parent.is_dir() else ())
        if (match := pattern.fullmatch(path.name)) and int(match.group(1)) > 0
    )
    return ([base] if base.exists() else []) + [path for _, path in numbered]


@dataclass
class SlotClaim:
    """A slot this process holds until every opener has called :meth:`release` (or until it exits)."""

    path: Path
    slot: int
    _owner_fd: int | None
    _openers: int = 1
    _base: Path | None = None  # set for the process's own slot, shared by its openers

    def release(self) -> None:
        with _lock:
            if self._owner_fd is None:
                return
            self._openers -= 1
            if self._openers > 0:
                return
            if self._base is not None:
                _held.pop(self._base, None)
            os.close(self._owner_fd)  # closing the descriptor drops the flock
            self._owner_fd = None


_held: dict[Path, SlotClaim] = {}  # base path -> this process's claim, shared by its openers
_lock = threading.Lock()


def try_claim(path: Path, slot: int = 0) -> SlotClaim | None:
    """The slot whose spool file is ``path``, if no other process holds it."""
    owner = path.with_name(path.name + OWNER_SUFFIX)
    create_private_file(owner)
    fd = os.open(owner, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return SlotClaim(path, slot, fd)


def claim_slot(base: Path) -> SlotClaim:
    """The slot of ``base`` this process holds already, else the lowest one no running process holds."""
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        key = base.resolve()
        with _lock:
            held = _held.get(key)
            if held is not None:
                held._openers += 1
                return held
            for slot in range(MAX_SLOTS):
                claim = try_claim(slot_path(base, slot), slot)
                if claim is not None:
                    claim._base = key
                    _held[key] = claim
                    return claim
    except OSError as error:
        raise AuditUnavailable("spool", f"{base}: cannot claim a spool slot: {error}") from error
    raise AuditUnavailable("spool", f"{base}: all {MAX_SLOTS} spool slots are held by running processes")

"""One spool file per process (``c360 serve --workers N``), and nothing left behind in a slot
whose process is gone. Real files and real ``flock`` claims; the other processes are real
processes (a claim is per open file description, so a second claim in this process would
prove nothing)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from customer360.audit.events import AuditEvent
from customer360.audit.paging import PageRequest
from customer360.audit.pipeline import AuditPipeline
from customer360.audit.spool_slots import slot_files, slot_path
from customer360.audit.verify import verify
from customer360.config import AuditSettings, AuditUrl


def settings(folder: Path) -> AuditSettings:
    return AuditSettings(url=AuditUrl.parse(f"sqlite:///{folder / 'audit.db'}"), spool_path=folder / "spool.db",
                         backoff_initial_s=0.01, backoff_max_s=0.05)


def a_read(customer: str) -> AuditEvent:
    return AuditEvent.read(customer_id=customer, principal="alice", purpose="service", fields_clear=["name"])


HOLD_A_SLOT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from customer360.audit.events import AuditEvent
    from customer360.audit.pipeline import AuditPipeline
    from customer360.config import AuditSettings, AuditUrl
    folder = Path(sys.argv[1])
    pipeline = AuditPipeline.open(AuditSettings(url=AuditUrl.parse(f"sqlite:///{folder / 'audit.db'}"),
                                                spool_path=folder / "spool.db"))
    pipeline.record_sync(AuditEvent.read(customer_id=sys.argv[2], principal="bob", fields_clear=["ssn"]))
    print(pipeline.spool.path, flush=True)
    if sys.argv[3] == "hold":
        time.sleep(60)  # killed by the test long before
""")


def other_process(folder: Path, customer: str, hold: bool) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOLD_A_SLOT, str(folder), customer, "hold" if hold else "exit"],
                            stdout=subprocess.PIPE, text=True)


async def test_each_process_appends_to_a_spool_file_of_its_own(tmp_path: Path):
    other = other_process(tmp_path, "P0000002", hold=True)
    try:
        assert Path(other.stdout.readline().strip()) == slot_path(tmp_path / "spool.db", 0)
        pipeline = AuditPipeline.open(settings(tmp_path))
        try:
            assert pipeline.spool.path == tmp_path / "spool.1.db"
            await pipeline.record(a_read("P0000001"))
            assert pipeline.spool.depth == 1
        finally:
            await pipeline.aclose(flush_timeout_s=0)
    finally:
        other.kill()
        other.wait(timeout=10)
    assert slot_files(tmp_path / "spool.db") == [tmp_path / "spool.db", tmp_path / "spool.1.db"]
    # the killed process's slot is free again: the next process takes it over
    again = AuditPipeline.open(settings(tmp_path))
    try:
        assert again.spool.path == tmp_path / "spool.db"
    finally:
        await again.aclose(flush_timeout_s=0)


async def test_a_starting_service_ships_what_a_gone_process_left_in_another_slot(tmp_path: Path):
    holder = other_process(tmp_path, "P0000003", hold=True)  # slot 0, running
    assert holder.stdout.readline().strip() == str(tmp_path / "spool.db")
    leaving = other_process(tmp_path, "P0000004", hold=True)  # slot 1, stops before we start
    try:
        assert leaving.stdout.readline().strip() == str(tmp_path / "spool.1.db")
        gone = other_process(tmp_path, "P0000002", hold=False)  # slot 2, exits with its event spooled
        assert gone.stdout.readline().strip() == str(tmp_path / "spool.2.db")
        assert gone.wait(timeout=30) == 0
        leaving.kill()
        leaving.wait(timeout=10)
        pipeline = AuditPipeline.open(settings(tmp_path))
        try:
            assert pipeline.spool.path == tmp_path / "spool.1.db"  # the lowest free slot, its events with it
            await pipeline.start()
            shipped: list = []
            for _ in range(400):
                shipped = [(await pipeline.audit_trail(c)).events for c in ("P0000002", "P0000004")]
                if all(shipped):
                    break
                await asyncio.sleep(0.025)
            assert [[e.event.principal for e in events] for events in shipped] == [["bob"], ["bob"]]
            assert not (await pipeline.audit_trail("P0000003")).events  # a held slot is its process's to ship
        finally:
            await pipeline.aclose()
    finally:
        for process in (holder, leaving):
            process.kill()
            process.wait(timeout=10)


async def test_audit_drain_ships_every_slot_even_one_a_running_process_holds(tmp_path: Path):
    holder = other_process(tmp_path, "P0000003", hold=True)
    try:
        holder.stdout.readline()
        drained = subprocess.run(
            [sys.executable, "-m", "customer360.cli", "audit", "drain", "--audit", f"sqlite:///{tmp_path / 'audit.db'}",
             "--spool", str(tmp_path / "spool.db"), "--timeout", "30"],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert drained.returncode == 0, drained.stderr
    pipeline = AuditPipeline.open(settings(tmp_path))
    try:
        trail = await pipeline.sink.audit_trail("P0000003", PageRequest(first=10))
        assert [e.event.principal for e in trail.events] == ["bob"]
        assert (await verify(pipeline.sink)).ok
    finally:
        await pipeline.aclose(flush_timeout_s=0)

"""A stand-in service process for the kill test: appends audit events at concurrency 8 and
drains them, printing each event id once its append returned (the point at which the
service would have sent the response). The test SIGKILLs it mid-run.

    python -m tests.integration.audit_worker AUDIT_URL SPOOL_PATH MAX_EVENTS
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from customer360.audit.events import AuditEvent
from customer360.audit.pipeline import AuditPipeline
from customer360.config import AuditSettings, AuditUrl

CLIENTS = 8


async def main(url: str, spool: str, max_events: int) -> None:
    settings = AuditSettings(url=AuditUrl.parse(url), spool_path=Path(spool), drain_batch=20, checkpoint_every=50,
                             backoff_initial_s=0.1, backoff_max_s=1.0, timeout_s=5)
    pipeline = AuditPipeline.open(settings)
    await pipeline.start()

    async def client(n: int) -> None:
        for i in range(max_events // CLIENTS):
            sealed = await pipeline.record(AuditEvent.read(
                customer_id=f"P{n:03d}{i % 5}", principal=f"worker-{n}", purpose="kill test", fields_clear=["name"]))
            print(sealed.event.event_id, flush=True)
            await asyncio.sleep(0.002)

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    print("DONE", flush=True)
    await asyncio.sleep(600)  # the test kills us long before this


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))

"""The spool, the drainer and the sink wired together: what the app holds for its lifetime.

The GraphQL layer needs three things from the audit record and gets them here:

* at start, :meth:`AuditPipeline.open` then :meth:`~AuditPipeline.start` (in the lifespan);
* per response, ``await pipeline.record_reads(record)`` (its
  :class:`~customer360.audit.events.AuditRecord`: one event per customer) BEFORE the
  response leaves; it raises
  :class:`~customer360.audit.protocol.AuditUnavailable` when the event could not be made
  durable, and then the personal data must not be returned;
* for ``/metrics`` and ``/readyz``: :meth:`~AuditPipeline.metric_samples` and
  :meth:`~AuditPipeline.readiness`; at shutdown, :meth:`~AuditPipeline.aclose`.

Each process appends to a spool file of its own (a slot, :mod:`customer360.audit.spool_slots`),
so the workers of one service never wait on each other's commits.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from customer360.audit import open_audit_sink
from customer360.audit.drainer import Drainer
from customer360.audit.events import AuditEvent, AuditRecord, SealedEvent, SealedLink
from customer360.audit.paging import AuditPage, PageRequest
from customer360.audit.protocol import AuditSink, AuditUnavailable
from customer360.audit.spool import AuditSpool
from customer360.audit.spool_slots import SlotClaim, claim_slot, slot_files, try_claim
from customer360.config import AuditSettings

log = logging.getLogger("customer360.audit")


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One Prometheus gauge or counter: name, help text, type, value."""

    name: str
    help: str
    kind: str  # "gauge" or "counter"
    value: float


def _drainer(spool: AuditSpool, sink: AuditSink, settings: AuditSettings) -> Drainer:
    return Drainer(
        spool, sink, batch_size=settings.drain_batch, linger_s=settings.drain_linger_s,
        backoff_initial_s=settings.backoff_initial_s,
        backoff_max_s=settings.backoff_max_s, checkpoint_interval_s=settings.checkpoint_interval_s,
    )


class AuditPipeline:
    def __init__(self, spool: AuditSpool, sink: AuditSink, drainer: Drainer,
                 settings: AuditSettings | None = None, claim: SlotClaim | None = None) -> None:
        self.spool = spool
        self.sink = sink
        self.drainer = drainer
        self.settings = settings or AuditSettings(spool_path=spool.path)
        self._claim = claim
        self._adopting: asyncio.Task | None = None

    @classmethod
    def open(cls, settings: AuditSettings | None = None) -> "AuditPipeline":
        """Claim a spool slot and open its file and the sink (a Cassandra sink connects on
        first use, so this succeeds while Cassandra is down). Raises AuditUnavailable if the
        spool cannot open."""
        settings = settings or AuditSettings.from_env()
        claim = claim_slot(settings.spool_path)
        try:
            spool = AuditSpool(claim.path, checkpoint_every=settings.checkpoint_every)
        except BaseException:
            claim.release()
            raise
        try:
            sink = open_audit_sink(settings.url, settings)
        except BaseException:
            spool.close()
            claim.release()
            raise
        return cls(spool, sink, _drainer(spool, sink, settings), settings, claim)

    async def start(self) -> None:
        """Start draining in the background (on the running loop), and ship once what a
        process that is gone left in another slot."""
        self.drainer.start()
        if self._adopting is None:
            self._adopting = asyncio.get_running_loop().create_task(self.ship_other_slots(held_too=False),
                                                                    name="c360-audit-adopt")

    async def ship_other_slots(self, *, held_too: bool, timeout_s: float = 60.0) -> dict[Path, int]:
        """Ship the spool files of the other slots; return what is left in each.

        ``held_too``: also the files running processes hold (``c360 audit drain``: a spool may
        be opened by several processes at once); otherwise only files nobody holds."""
        left: dict[Path, int] = {}
        for path in slot_files(self.settings.spool_path):
            if path == self.spool.path:
                continue
            claim = try_claim(path)
            if claim is None and not held_too:
                continue
            try:
                left[path] = await self._ship_file(path, timeout_s)
            except AuditUnavailable as error:
                log.warning("audit spool %s: not shipped now: %s", path, error)
                left[path] = -1
            finally:
                if claim is not None:
                    claim.release()
        return left

    async def _ship_file(self, path: Path, timeout_s: float) -> int:
        spool = await asyncio.to_thread(AuditSpool, path, checkpoint_every=self.settings.checkpoint_every)
        try:
            if spool.depth:
                log.info("audit spool %s: shipping %d events left by a process that is gone", path, spool.depth)
            await _drainer(spool, self.sink, self.settings).drain_until_empty(timeout_s)
            return spool.depth
        finally:
            await asyncio.to_thread(spool.close)

    async def record(self, event: AuditEvent) -> SealedEvent:
        """Append ``event`` durably and wake the drainer. Raises AuditUnavailable."""
        sealed = await self.spool.append(event)
        self.drainer.wake()
        return sealed

    async def record_reads(self, record: AuditRecord) -> SealedLink:
        """One response's record (one event per customer), sealed as one link in one commit.
        Raises AuditUnavailable."""
        link = (await self.spool.append_records([record]))[0]
        self.drainer.wake()
        return link

    def record_sync(self, event: AuditEvent) -> SealedEvent:
        """:meth:`record` for code without an event loop (the CLI); nothing drains it until
        :meth:`flush` or a running service's drainer."""
        return self.spool.append_sync(event)

    async def flush(self, timeout_s: float = 30.0) -> bool:
        """Ship everything spooled now; True when the spool is empty."""
        return await self.drainer.drain_until_empty(timeout_s)

    async def aclose(self, flush_timeout_s: float = 5.0) -> None:
        """Stop the drainer after a bounded last drain, then close sink and spool.

        What is still spooled stays on disk for the next start."""
        if self._adopting is not None:
            self._adopting.cancel()
            await asyncio.gather(self._adopting, return_exceptions=True)
            self._adopting = None
        await self.drainer.stop(flush_timeout_s)
        try:
            await self.sink.close()
        finally:
            await asyncio.to_thread(self.spool.close)
            if self._claim is not None:
                self._claim.release()

    # -------------------------------------------------------------- reading

    async def audit_trail(self, customer_id: str, *, first: int = 20, since: datetime | None = None,
                          until: datetime | None = None, after: str | None = None) -> AuditPage:
        """Events about one customer, newest first (``auditTrail``). Raises InvalidPageRequest."""
        return await self.sink.audit_trail(customer_id, PageRequest.build(first, since, until, after))

    async def access_log(self, principal: str, *, first: int = 20, since: datetime | None = None,
                         until: datetime | None = None, after: str | None = None) -> AuditPage:
        """Events by one principal, newest first (``accessLog``). Raises InvalidPageRequest."""
        return await self.sink.access_log(principal, PageRequest.build(first, since, until, after))

    # -------------------------------------------------------------- health

    @property
    def spool_depth(self) -> int:
        return self.spool.depth

    @property
    def spool_oldest_age_s(self) -> float:
        return self.spool.oldest_age_s

    @property
    def sink_ok(self) -> bool | None:
        """Whether the last drain reached the sink (None before the first one)."""
        return self.drainer.sink_ok

    async def readiness(self, timeout_s: float = 2.0) -> dict:
        """For /readyz: ``{"backend", "ok", "reason"?, "spool_depth", "spool_oldest_age_s"}``.

        ``ok`` is whether the sink answers now. A sink that is down does not stop the service
        from answering (events wait in the spool), so the app may report it without failing
        readiness; that choice is the app's.
        """
        state: dict = {"backend": self.sink.backend, "ok": True, "spool_depth": self.spool.depth,
                       "spool_oldest_age_s": round(self.spool.oldest_age_s, 3)}
        try:
            await asyncio.wait_for(self.sink.ping(), timeout_s)
        except (AuditUnavailable, asyncio.TimeoutError) as error:
            state["ok"] = False
            state["reason"] = error.reason if isinstance(error, AuditUnavailable) else f"no answer within {timeout_s:g} s"
        return state

    def metric_samples(self) -> list[MetricSample]:
        """Spool depth and age, drain totals and sink health, for /metrics."""
        ok = self.drainer.sink_ok
        return [
            MetricSample("c360_audit_spool_depth", "Audit events spooled locally, not yet in the sink.", "gauge",
                         self.spool.depth),
            MetricSample("c360_audit_spool_oldest_age_seconds", "Age of the oldest spooled audit event.", "gauge",
                         round(self.spool.oldest_age_s, 3)),
            MetricSample("c360_audit_events_shipped_total", "Audit events written to the sink by this process.",
                         "counter", self.drainer.shipped),
            MetricSample("c360_audit_drain_failures_total", "Audit sink writes that failed (and were retried).",
                         "counter", self.drainer.failures),
            MetricSample("c360_audit_sink_up", "1 if the last write reached the audit sink, 0 if it failed.",
                         "gauge", 0 if ok is False else 1),
        ]


def render_metric_samples(samples: list[MetricSample]) -> str:
    """Prometheus text for :meth:`AuditPipeline.metric_samples` (append to /metrics)."""
    lines = []
    for sample in samples:
        lines += [f"# HELP {sample.name} {sample.help}", f"# TYPE {sample.name} {sample.kind}",
                  f"{sample.name} {sample.value}"]
    return "\n".join(lines) + "\n"

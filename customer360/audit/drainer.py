"""Ships spooled events to the sink in the background, and forgets them once written.

The request path only appends to the spool; this task does the slow part. It reads a batch
from the spool, writes it to the sink, and deletes it from the spool only after the sink
acknowledged every row. A failed write leaves the batch in place and is retried after an
exponentially growing, jittered pause (capped), so a sink outage costs nothing on the request
path and loses nothing: the spool grows and the drainer catches up when the sink is back.
A batch that was written but not yet deleted when the process died is written again on the
next run; the sinks make that a no-op (client-side ids, fixed write timestamps).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

from customer360.audit.protocol import AuditSink, AuditUnavailable
from customer360.audit.spool import AuditSpool

log = logging.getLogger("customer360.audit")


class Drainer:
    """One background task per spool; :meth:`start` it at app start, :meth:`stop` at shutdown."""

    def __init__(
        self,
        spool: AuditSpool,
        sink: AuditSink,
        *,
        batch_size: int = 20000,
        linger_s: float = 0.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        checkpoint_interval_s: float = 60.0,
        idle_poll_s: float = 1.0,
    ) -> None:
        self.spool = spool
        self.sink = sink
        self.batch_size = batch_size
        self.linger_s = linger_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.checkpoint_interval_s = checkpoint_interval_s
        self.idle_poll_s = idle_poll_s
        #: None until the first write; then whether the last write reached the sink.
        self.sink_ok: bool | None = None
        self.last_error: str | None = None
        self.last_success_at: float | None = None
        self.shipped = 0  # events written to the sink by this drainer
        self.failures = 0  # sink writes that failed
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None  # set on append, and on stop
        self._stop: asyncio.Event | None = None  # set on stop only: ends a backoff early
        self._stopping = False

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the background task on the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._wake, self._stop = asyncio.Event(), asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="c360-audit-drainer")

    def wake(self) -> None:
        """Something was appended: drain now instead of at the next poll."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Stop the task, after one last bounded attempt to empty the spool.

        Whatever is still spooled stays on disk and is shipped by the next drainer run.
        """
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        if self._stop is not None:
            self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), flush_timeout_s)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -------------------------------------------------------------- draining

    async def drain_once(self) -> int:
        """Ship one batch; return how many events it held (0: nothing waiting; the number
        of checkpoints when it held only those).

        Raises :class:`AuditUnavailable` when the sink did not take it (the batch stays).
        """
        batch = await self.spool.peek(self.batch_size)
        if not batch:
            return 0
        try:
            await self.sink.write(batch.links, batch.checkpoints)
        except AuditUnavailable as error:
            self._failed(str(error))
            raise
        except Exception as error:  # a sink bug must not kill the drainer: keep the events, log, retry
            log.exception("audit drainer: unexpected error writing %d events", batch.event_count)
            self._failed(f"{type(error).__name__}: {error}")
            raise AuditUnavailable(self.sink.backend, str(error)) from error
        await self.spool.remove(batch)
        self.sink_ok, self.last_error, self.last_success_at = True, None, time.time()
        self.shipped += batch.event_count
        return batch.event_count or len(batch.checkpoints)

    async def drain_until_empty(self, timeout_s: float = 30.0) -> bool:
        """Seal the open checkpoint and ship everything now, retrying with backoff while the
        sink refuses, until the spool is empty or ``timeout_s`` has passed (CLI, shutdown, tests).

        True when the spool is empty; False when time ran out (nothing is lost: the events stay spooled).
        """
        deadline = time.monotonic() + timeout_s
        backoff = self.backoff_initial_s
        with contextlib.suppress(AuditUnavailable):
            await self.spool.seal_checkpoint()
        while (left := deadline - time.monotonic()) > 0:
            try:
                if await asyncio.wait_for(self.drain_once(), left) == 0:
                    return True
                backoff = self.backoff_initial_s
            except (AuditUnavailable, asyncio.TimeoutError):
                await asyncio.sleep(max(0.0, min(backoff, deadline - time.monotonic())))
                backoff = min(backoff * 2, self.backoff_max_s)
        return False

    def _failed(self, reason: str) -> None:
        if self.sink_ok is not False:
            log.warning("audit sink %s is not taking events (they stay spooled): %s", self.sink.backend, reason)
        self.sink_ok, self.last_error = False, reason
        self.failures += 1

    async def _run(self) -> None:
        assert self._wake is not None
        backoff = self.backoff_initial_s
        last_checkpoint_check = time.monotonic()
        while True:
            if time.monotonic() - last_checkpoint_check >= min(self.checkpoint_interval_s, 5.0):
                last_checkpoint_check = time.monotonic()
                with contextlib.suppress(AuditUnavailable):
                    await self.spool.seal_checkpoint(older_than_s=self.checkpoint_interval_s)
            if self._stopping:
                with contextlib.suppress(AuditUnavailable):
                    await self.spool.seal_checkpoint()
            self._wake.clear()  # before reading the spool, so an append during the read is not missed
            try:
                shipped = await self.drain_once()
            except Exception as error:  # noqa: BLE001 - the drainer must outlive any one failure
                if not isinstance(error, AuditUnavailable):
                    log.exception("audit drainer: unexpected error; the events stay spooled")
                if self._stopping:
                    return
                # new events do not cut a backoff short: an outage must not turn into a retry per request
                await self._pause(backoff * random.uniform(0.5, 1.0), self._stop)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            if shipped:
                if self.sink_ok and backoff > self.backoff_initial_s:
                    log.info("audit sink %s is taking events again", self.sink.backend)
                backoff = self.backoff_initial_s
                if shipped < self.batch_size and self.linger_s and not self._stopping:
                    # The spool was emptied: under steady load, draining again at once would
                    # ship the few events of the responses that came meanwhile, each batch a
                    # sink transaction and two spool statements; gathering first makes it one.
                    await self._pause(self.linger_s, self._stop)
                continue
            if self._stopping:
                return
            await self._pause(self.idle_poll_s, self._wake)
            if self.linger_s and self._wake.is_set() and not self._stopping:
                # let the next responses' events gather: one sink write and one fsync for all
                await self._pause(self.linger_s, self._stop)

    async def _pause(self, seconds: float, until: asyncio.Event | None) -> None:
        """Sleep, but end early when ``until`` is set."""
        assert until is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(until.wait(), seconds)

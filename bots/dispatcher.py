"""The outbox dispatcher: claims due messages, paces them per platform and chat, sends them.

Database work runs in a thread and in batches (one transaction to claim a batch, one to record
how it went), so the event loop only waits on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core import outbox
from core.db import Database
from core.messages import OutboundMessage
from core.models import utcnow
from core.outbox import Outcome
from core.ratelimit import RateLimiter
from core.vocabulary import Platform

log = logging.getLogger("consulta.dispatcher")


@dataclass(frozen=True)
class SendResult:
    """How one attempt to send ended."""

    outcome: Outcome
    retry_after: float | None = None
    error: str | None = None


class Sender(Protocol):
    """Sends one neutral message to one recipient on one platform."""

    async def send(self, recipient: str, message: OutboundMessage) -> SendResult:
        """Send, and say how it went; never raise for a platform's answer."""
        ...


@dataclass
class Dispatcher:
    """Sends from the outbox for the platforms it has senders for."""

    database: Database
    senders: Mapping[Platform, Sender]
    limiters: Mapping[Platform, RateLimiter]
    batch_size: int = 200
    concurrency: int = 32
    clock: Callable[[], datetime] = utcnow
    monotonic: Callable[[], float] = time.monotonic

    async def run_once(self) -> int:
        """Claim one batch, send what the limits allow, record every outcome; returns sent."""
        now = self.clock()
        rows = await asyncio.to_thread(self._claim, now)
        if not rows:
            return 0
        ready: list[tuple[int, Platform, str, OutboundMessage]] = []
        held: list[tuple[int, datetime]] = []
        tick = self.monotonic()
        for row_id, platform, recipient, payload in rows:
            limiter = self.limiters.get(platform)
            group = platform is Platform.TELEGRAM and recipient.startswith("-")
            wait = limiter.wait_time(recipient, tick, group) if limiter else 0.0
            if wait > 0:
                held.append((row_id, now + timedelta(seconds=wait)))
                continue
            if limiter:
                limiter.take(recipient, tick, group)
            ready.append((row_id, platform, recipient, outbox.from_payload(payload)))
        gate = asyncio.Semaphore(self.concurrency)

        async def attempt(
            platform: Platform, recipient: str, message: OutboundMessage
        ) -> SendResult:
            async with gate:
                try:
                    return await self.senders[platform].send(recipient, message)
                except Exception as failure:  # a sender bug must not lose the row
                    log.exception("sender failed", extra={"fields": {"platform": platform.value}})
                    return SendResult(Outcome.ERROR, error=type(failure).__name__)

        results = await asyncio.gather(*(attempt(p, r, m) for _, p, r, m in ready))
        await asyncio.to_thread(self._record, [r[0] for r in ready], list(results), held)
        return sum(1 for r in results if r.outcome is Outcome.SENT)

    def _claim(self, now: datetime) -> list[tuple[int, Platform, str, dict[str, object]]]:
        with self.database.unit_of_work() as session:
            claimed = outbox.claim(
                session, now=now, limit=self.batch_size, platforms=tuple(self.senders)
            )
            return [(r.id, r.platform, r.recipient, r.payload) for r in claimed]

    def _record(
        self, ids: list[int], results: list[SendResult], held: list[tuple[int, datetime]]
    ) -> None:
        now = self.clock()
        with self.database.unit_of_work() as session:
            for row_id, result in zip(ids, results, strict=True):
                outbox.complete(
                    session,
                    row_id,
                    result.outcome,
                    now=now,
                    error=result.error,
                    retry_after=result.retry_after,
                )
            for row_id, not_before in held:
                outbox.release(session, row_id, not_before)

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 0.5) -> None:
        """Dispatch until stopped, resting only when there is nothing to send."""
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("dispatch round failed; retrying")
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)

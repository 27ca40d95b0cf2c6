"""The outbox dispatcher: claims due messages, paces them per platform and chat, sends them.

Database work runs in a thread and in batches (one transaction to claim a batch, one to record
how it went), so the event loop only waits on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bots.metrics import DISABLED, Metrics
from core import outbox
from core.db import Database
from core.messages import OutboundMessage
from core.models import OutboxStatus, utcnow
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
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep
    # Waits for the bot-wide limit up to this long are paced in place; longer ones go back.
    pace_within_seconds: float = 1.0
    metrics: Metrics = DISABLED

    async def run_once(self, ids: list[int] | None = None) -> int:
        """Claim one batch, send what the limits allow, record every outcome; returns sent.

        With ids, only those rows: the replies an inbound request has just queued, sent at
        once; whatever fails stays for the next ordinary round.
        """
        now = self.clock()
        rows = await asyncio.to_thread(self._claim, now, ids)
        if not rows:
            return 0
        # Messages to one chat go in order, one after another; chats go side by side. The
        # bot-wide limit is kept by pacing here; a chat whose own limit is not free yet, and
        # everything after it in that chat, goes back to the outbox for a later round.
        gate = asyncio.Semaphore(self.concurrency)
        outcomes: dict[int, SendResult] = {}
        tails: dict[tuple[Platform, str], asyncio.Task[None]] = {}
        failed: set[tuple[Platform, str]] = set()
        waiting: set[tuple[Platform, str]] = set()
        held: list[tuple[int, datetime]] = []
        for row_id, platform, recipient, payload, uncertain in rows:
            key = (platform, recipient)
            if key in waiting:
                held.append((row_id, now + timedelta(milliseconds=1)))
                continue
            limiter = self.limiters.get(platform)
            if limiter is not None:
                group = platform is Platform.TELEGRAM and recipient.startswith("-")
                tick = self.monotonic()
                # A reply answers what the person just sent: only the bot-wide limit applies.
                chat_wait = 0.0 if ids is not None else limiter.chat_wait(recipient, tick, group)
                overall = limiter.overall_wait(tick)
                if chat_wait > 0 or overall > self.pace_within_seconds:
                    held.append((row_id, now + timedelta(seconds=max(chat_wait, overall))))
                    waiting.add(key)
                    continue
                if overall > 0:
                    await self.pause(overall)
                limiter.take(recipient, self.monotonic(), group)
            tails[key] = asyncio.create_task(
                self._send_after(
                    tails.get(key),
                    key,
                    row_id,
                    outbox.from_payload(payload),
                    gate,
                    outcomes,
                    failed,
                    uncertain,
                )
            )
        await asyncio.gather(*tails.values())
        await asyncio.to_thread(self._record, list(outcomes), list(outcomes.values()), held)
        return sum(1 for r in outcomes.values() if r.outcome is Outcome.SENT)

    async def _send_after(
        self,
        previous: asyncio.Task[None] | None,
        key: tuple[Platform, str],
        row_id: int,
        message: OutboundMessage,
        gate: asyncio.Semaphore,
        outcomes: dict[int, SendResult],
        failed: set[tuple[Platform, str]],
        uncertain: bool = False,
    ) -> None:
        if previous is not None:
            await previous
        if key in failed:
            # Behind a failed message of the same chat: it waits, in order, for the retry.
            outcomes[row_id] = SendResult(
                Outcome.RETRY_AFTER, retry_after=1.0, error="waiting behind a failed message"
            )
            return
        platform, recipient = key
        async with gate:
            started = time.perf_counter()
            try:
                result = await self.senders[platform].send(recipient, message)
            except Exception as failure:  # a sender bug must not lose the row
                log.exception("sender failed", extra={"fields": {"platform": platform.value}})
                result = SendResult(Outcome.ERROR, error=type(failure).__name__)
            self.metrics.sent(platform, time.perf_counter() - started)
        if result.outcome is Outcome.RETRY_AFTER:
            self.metrics.rate_limited(platform)
        elif result.outcome is Outcome.SENT and uncertain:
            self.metrics.possible_double_send(platform)
        outcomes[row_id] = result
        if result.outcome is not Outcome.SENT:
            failed.add(key)

    def _claim(
        self, now: datetime, ids: list[int] | None
    ) -> list[tuple[int, Platform, str, dict[str, object], bool]]:
        with self.database.unit_of_work() as session:
            claimed = outbox.claim(
                session, now=now, limit=self.batch_size, platforms=tuple(self.senders), ids=ids
            )
            # An earlier attempt of these may have reached the platform (lease ran out, timeout).
            return [
                (r.id, r.platform, r.recipient, r.payload, r.uncertain_attempts > 0)
                for r in claimed
            ]

    def _record(
        self, ids: list[int], results: list[SendResult], held: list[tuple[int, datetime]]
    ) -> None:
        now = self.clock()
        dead: list[Platform] = []
        with self.database.unit_of_work() as session:
            for row_id, result in zip(ids, results, strict=True):
                row = outbox.complete(
                    session,
                    row_id,
                    result.outcome,
                    now=now,
                    error=result.error,
                    retry_after=result.retry_after,
                )
                if row.status is OutboxStatus.DEAD:
                    dead.append(row.platform)
            for row_id, not_before in held:
                outbox.release(session, row_id, not_before)
        # Counted once the commit has made them dead letters.
        for platform in dead:
            self.metrics.dead_letter(platform)

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

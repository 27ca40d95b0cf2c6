"""The worker: APScheduler ticks the schedule, the dispatcher empties the outbox.

On PostgreSQL every process may dispatch (rows are claimed with SKIP LOCKED), but only the
leader, which holds an advisory lock on a connection of its own, runs the schedule; when it
dies its connection closes, the lock is freed, and another process takes over at its next
tick. On SQLite one process does everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from bots.dispatcher import Dispatcher
from bots.metrics import DISABLED, Metrics
from core.db import Database
from core.models import utcnow
from core.schedule import run_due

log = logging.getLogger("consulta.worker")
# An arbitrary, fixed key: every Consulta process asks for the same lock.
LEADER_LOCK_KEY = 0x436F6E73756C7461
TICK_SECONDS = 30


@dataclass
class Leadership:
    """Whether this process runs the schedule; on PostgreSQL, an advisory lock decides."""

    database: Database
    _engine: Engine | None = field(default=None, init=False)
    _connection: Connection | None = field(default=None, init=False)

    def holds(self) -> bool:
        """Take or keep the leader lock; False when another process holds it."""
        if self.database.is_sqlite:
            return True
        try:
            if self._connection is None:
                # Outside any pool, so the lock lives exactly as long as this connection.
                if self._engine is None:
                    self._engine = create_engine(self.database.url, poolclass=NullPool)
                self._connection = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
                acquired = self._connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
                ).scalar_one()
                if not acquired:
                    self.release()
                    return False
                log.info("this process now runs the schedule")
                return True
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("lost the scheduler lock; another process will take over")
            self.release()
            return False

    def release(self) -> None:
        """Give up leadership (closing the connection frees the lock)."""
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def tick(
    database: Database, leadership: Leadership, clock: Callable[[], datetime] = utcnow
) -> dict[str, Any] | None:
    """One scheduler tick: if this process leads, queue whatever the schedule makes due."""
    if not leadership.holds():
        return None
    with database.unit_of_work() as session:
        report = run_due(session, clock())
    if report.opened or report.closed or report.queued or report.digests:
        log.info(
            "schedule tick",
            extra={
                "fields": {
                    "opened": len(report.opened),
                    "closed": len(report.closed),
                    "queued": sum(report.queued.values()),
                    "digests": report.digests,
                }
            },
        )
    return {"opened": report.opened, "closed": report.closed, "queued": report.queued}


async def run_worker(
    database: Database,
    dispatcher: Dispatcher | None,
    stop: asyncio.Event,
    tick_seconds: float = TICK_SECONDS,
    ticked: Callable[[dict[str, Any] | None], None] | None = None,
    metrics: Metrics = DISABLED,
) -> None:
    """Run the scheduler and the dispatcher until stopped."""
    leadership = Leadership(database)
    scheduler = AsyncIOScheduler(timezone="UTC")

    async def scheduled_tick() -> None:
        report = await asyncio.to_thread(tick, database, leadership)
        metrics.ticked()
        if ticked is not None:
            ticked(report)

    # The database decides what is due, so a late tick is still worth running (a day's grace),
    # two late ticks are one (coalesce), and a slow tick never overlaps the next.
    scheduler.add_job(
        scheduled_tick,
        "interval",
        seconds=tick_seconds,
        next_run_time=utcnow(),
        misfire_grace_time=24 * 3600,
        coalesce=True,
        max_instances=1,
        id="schedule-tick",
    )
    scheduler.start()
    try:
        if dispatcher is not None:
            await dispatcher.run_forever(stop)
        else:
            await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        leadership.release()

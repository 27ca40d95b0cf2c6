"""The outbox dispatcher: priority, per-chat pacing, 429s, dead letters, blocking, concurrency."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bots.dispatcher import Dispatcher, SendResult
from core import outbox, people
from core.messages import OutboundMessage
from core.models import OutboxMessage, OutboxStatus, PlatformIdentity
from core.outbox import MAX_ATTEMPTS, Outcome
from core.ratelimit import Rate, RateLimiter, telegram_limits
from core.vocabulary import Platform
from tests.conftest import PSEUDONYM_KEY
from tests.fakes.senders import RecordingSender

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW
        self.seconds = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.seconds += seconds

    async def pause(self, seconds: float) -> None:
        self.advance(seconds)


def queue(database, recipients, platform=Platform.TELEGRAM, bulk=True, text="Hello {n}"):
    with database.unit_of_work() as session:
        for n, recipient in enumerate(recipients):
            person, _ = people.participant_for_identity(
                session, pseudonym_key=PSEUDONYM_KEY, platform=platform, external_id=recipient
            )
            outbox.enqueue(
                session, person, platform, OutboundMessage(text.format(n=n)), bulk=bulk, now=NOW
            )


def dispatcher(database, sender, clock, limiter=None, batch_size=200):
    return Dispatcher(
        database,
        {Platform.TELEGRAM: sender},
        {Platform.TELEGRAM: limiter or RateLimiter(Rate(1000, 1, 1000), Rate(1000, 1, 1000))},
        batch_size=batch_size,
        clock=lambda: clock.now,
        monotonic=lambda: clock.seconds,
        pause=clock.pause,
    )


def statuses(database):
    with database.unit_of_work() as session:
        return [
            (r.recipient, r.status, r.attempts)
            for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_replies_go_before_bulk_messages(database):
    clock = Clock()
    queue(database, ["1", "2", "3"], bulk=True, text="Reminder {n}")
    queue(database, ["4"], bulk=False, text="Reply {n}")
    sender = RecordingSender()
    asyncio.run(dispatcher(database, sender, clock, batch_size=1).run_once())
    assert sender.sent == [("4", "Reply 0")]


def test_a_private_chat_gets_a_short_burst_then_one_message_a_second(database):
    clock = Clock()
    queue(database, ["42"] * 5 + ["7"])
    sender = RecordingSender()
    work = dispatcher(database, sender, clock, limiter=telegram_limits())
    assert asyncio.run(work.run_once()) == 4  # three to 42 at once, and the one to 7
    clock.advance(0.5)
    assert asyncio.run(work.run_once()) == 0  # held back, not tried: no attempt spent
    assert {a for _, s, a in statuses(database) if s is OutboxStatus.PENDING} == {0}
    clock.advance(0.6)
    assert asyncio.run(work.run_once()) == 1
    clock.advance(1.1)
    assert asyncio.run(work.run_once()) == 1
    assert [t for r, t in sender.sent if r == "42"] == [f"Hello {n}" for n in range(5)]


def test_a_group_chat_is_paced_at_twenty_a_minute(database):
    clock = Clock()
    queue(database, ["-100123"] * 25)
    work = dispatcher(database, RecordingSender(), clock, limiter=telegram_limits())
    sent = 0
    for _ in range(60):
        sent += asyncio.run(work.run_once())
        clock.advance(1)
    assert 18 <= sent <= 23  # 20 a minute, after a small burst


def test_429_is_honoured_without_spending_an_attempt(database):
    clock = Clock()
    queue(database, ["9"])
    sender = RecordingSender(
        lambda r, m, n: (
            SendResult(Outcome.RETRY_AFTER, retry_after=30) if n == 1 else SendResult(Outcome.SENT)
        )
    )
    work = dispatcher(database, sender, clock)
    assert asyncio.run(work.run_once()) == 0
    assert statuses(database) == [("9", OutboxStatus.PENDING, 0)]
    clock.advance(20)
    assert asyncio.run(work.run_once()) == 0  # not due before retry_after has passed
    clock.advance(11)
    assert asyncio.run(work.run_once()) == 1
    assert statuses(database) == [("9", OutboxStatus.SENT, 1)]


def test_failures_back_off_then_become_dead_letters(database):
    clock = Clock()
    queue(database, ["5"])
    sender = RecordingSender(lambda r, m, n: SendResult(Outcome.ERROR, error="HTTP 502"))
    work = dispatcher(database, sender, clock)
    waits = []
    for _ in range(MAX_ATTEMPTS):
        asyncio.run(work.run_once())
        with database.unit_of_work() as session:
            row = session.scalars(select(OutboxMessage)).one()
            waits.append((row.next_attempt_at - clock.now).total_seconds())
        clock.advance(3600)
    assert statuses(database) == [("5", OutboxStatus.DEAD, MAX_ATTEMPTS)]
    assert waits[1] > waits[0] and waits[2] > waits[1]  # exponential, with jitter
    with database.unit_of_work() as session:
        dead = outbox.dead_letters(session)
        assert [d.last_error for d in dead] == ["HTTP 502"]
        counts = outbox.status_counts(session)
        assert {
            "platform": "telegram",
            "status": "dead",
            "count": 1,
            "uncertain_sends": 0,
        } in counts


def test_a_blocked_participant_is_stopped(database):
    clock = Clock()
    queue(database, ["13", "13"])
    sender = RecordingSender(lambda r, m, n: SendResult(Outcome.BLOCKED, error="Forbidden"))
    work = dispatcher(database, sender, clock)
    asyncio.run(work.run_once())
    with database.unit_of_work() as session:
        assert session.scalars(select(PlatformIdentity)).one().reachable is False
        person = session.scalars(select(PlatformIdentity)).one().participant
        # Nothing new is queued for someone who blocked the bot.
        assert outbox.enqueue(session, person, Platform.TELEGRAM, OutboundMessage("More")) is None


def test_a_lease_that_runs_out_makes_the_message_go_again_and_is_counted(database):
    clock = Clock()
    queue(database, ["21"])
    with database.unit_of_work() as session:
        assert len(outbox.claim(session, now=clock.now)) == 1  # a dispatcher that then died
    clock.advance(outbox.LEASE_SECONDS + 1)
    sender = RecordingSender()
    asyncio.run(dispatcher(database, sender, clock).run_once())
    assert sender.sent == [("21", "Hello 0")]
    with database.unit_of_work() as session:
        assert session.scalars(select(OutboxMessage)).one().uncertain_attempts == 1


@pytest.mark.postgres
def test_two_dispatchers_on_postgresql_never_send_a_row_twice(database):
    if database.is_sqlite:
        pytest.skip("only PostgreSQL shares the outbox between processes (SKIP LOCKED)")
    clock = Clock()
    queue(database, [str(n) for n in range(400)])
    senders = [RecordingSender(), RecordingSender()]
    workers = [dispatcher(database, s, clock, batch_size=25) for s in senders]

    failures = []

    def drain(work):
        try:
            while asyncio.run(work.run_once()):
                pass
        except Exception as failure:
            failures.append(failure)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    sent = [r for s in senders for r, _ in s.sent]
    assert sorted(sent, key=int) == [str(n) for n in range(400)]
    assert all(s.sent for s in senders), "both dispatchers should have taken a share"

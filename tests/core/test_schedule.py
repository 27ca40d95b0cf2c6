"""A round's schedule on a frozen clock: open, invite, remind, respect quiet hours, close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import rounds
from core.models import OutboxMessage, Round, RoundStatus
from core.models import Participant as StoredParticipant
from core.outbox import from_payload
from core.schedule import run_due
from core.vocabulary import Platform
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.core.conversation.test_dialogues import FULL_RUN, run
from tests.fakes.chat import Participant

T0 = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC


def tick(database, at):
    with database.unit_of_work() as session:
        return run_due(session, at)


def queued(database):
    """What the outbox holds, per recipient, as (recipient, first words of the text)."""
    with database.unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(r.recipient, from_payload(r.payload).text) for r in rows]


def to(database, recipient):
    return [text for who, text in queued(database) if who == recipient]


@pytest.fixture
def scheduled(database):
    """An open round with reminders every 24 h (at most 2) and quiet hours 21:00-08:00 UTC."""
    open_round(database, code="SCHED1", now=T0)
    with database.unit_of_work() as session:
        consultation = rounds.find_round(session, "SCHED1")
        consultation.reminder_every_hours = 24
        consultation.max_reminders = 2
        consultation.timezone = "UTC"
    people = {}
    for name in ("done", "halfway", "invited", "paused"):
        person = Participant(
            database,
            PSEUDONYM_KEY,
            sender=f"tg-{name}",
            platform=Platform.TELEGRAM,
            now=T0 - timedelta(hours=2),
        )
        person.send("help")  # makes them known, and reachable, on Telegram
        people[name] = person
    return database, people


def test_open_invite_remind_non_responders_close(scheduled):
    database, people = scheduled
    report = tick(database, T0)
    assert report.queued == {"invitation": 4}
    assert tick(database, T0).queued == {}  # a second tick at once queues nothing more
    assert to(database, "tg-invited") == [
        "You are invited to the consultation “Mid-term check”. Send SCHED1 to take part."
    ]

    later = T0 + timedelta(hours=1)
    for person in people.values():
        person.now = later
    run(people["done"], [("SCHED1", "agree"), *FULL_RUN[1:]])
    run(people["halfway"], [("SCHED1", "agree"), ("1", "followed")])
    run(people["paused"], [("SCHED1", "agree"), ("1", "followed"), ("pause", "Paused")])

    assert tick(database, T0 + timedelta(hours=20)).queued == {}  # not yet a day
    report = tick(database, T0 + timedelta(hours=25, minutes=5))
    assert report.queued == {"reminder": 2, "pause_reminder": 1}
    assert to(database, "tg-done")[1:] == []
    assert "you have not finished" in to(database, "tg-halfway")[-1]
    assert "is open. Send SCHED1" in to(database, "tg-invited")[-1]
    assert "You paused" in to(database, "tg-paused")[-1]

    close = T0 + timedelta(days=30, hours=1)
    report = tick(database, close)
    assert report.closed == ["SCHED1"]
    assert tick(database, close + timedelta(hours=1)).queued == {}
    closing = [text for _, text in queued(database) if "is now closed" in text]
    assert len(closing) == 3  # everyone who joined and did not stop; not the never-joined
    with database.unit_of_work() as session:
        assert rounds.find_round(session, "SCHED1").status is RoundStatus.CLOSED


def test_reminders_wait_for_the_end_of_quiet_hours(scheduled):
    database, _ = scheduled
    tick(database, T0)
    night = datetime(2027, 3, 2, 23, 0, tzinfo=UTC)  # 37 h later, but 23:00
    assert tick(database, night).queued == {}
    assert tick(database, night + timedelta(hours=8)).queued == {}  # 07:00: still quiet
    assert tick(database, night + timedelta(hours=9, minutes=30)).queued == {"reminder": 4}


def test_quiet_hours_follow_the_participants_own_time_zone(scheduled):
    database, _ = scheduled
    with database.unit_of_work() as session:
        for participant in session.scalars(select(StoredParticipant)):
            participant.timezone = "Asia/Tokyo"  # 10:00 UTC is 19:00 in Tokyo
    assert tick(database, T0).queued == {"invitation": 4}
    assert tick(database, T0 + timedelta(hours=26)).queued == {}  # 21:00 in Tokyo: quiet


def test_a_restart_after_downtime_sends_a_missed_reminder_once(scheduled):
    database, _ = scheduled
    tick(database, T0)
    # The scheduler was down for four days: one reminder each, not one per missed day.
    back = T0 + timedelta(days=4)
    assert tick(database, back).queued == {"reminder": 4}
    assert tick(database, back + timedelta(minutes=1)).queued == {}
    assert tick(database, back + timedelta(days=1, minutes=1)).queued == {"reminder": 4}
    assert tick(database, back + timedelta(days=3)).queued == {}  # at most two reminders


def test_closing_soon_goes_once_to_those_still_answering(scheduled):
    database, people = scheduled
    tick(database, T0)
    run(people["halfway"], [("SCHED1", "agree"), ("1", "followed")])
    soon = T0 + timedelta(days=29, hours=2)  # closes T0 + 30 days
    report = tick(database, soon)
    assert report.queued.get("closing_soon") == 1
    # In the person's locale, with the zone named.
    assert "closes on March 31, 2027, 10:00\u202fAM (UTC)" in to(database, "tg-halfway")[-1]
    assert tick(database, soon + timedelta(hours=1)).queued.get("closing_soon") is None


def test_a_round_opening_later_is_opened_and_invites_when_its_time_comes(database):
    open_round(database, code="LATER1", now=T0)
    with database.unit_of_work() as session:
        consultation = rounds.find_round(session, "LATER1")
        consultation.opens_at = T0 + timedelta(days=2)
        rounds.open_round(session, "LATER1", now=T0)
        assert consultation.status is RoundStatus.SCHEDULED
    person = Participant(
        database, PSEUDONYM_KEY, sender="tg-early", platform=Platform.TELEGRAM, now=T0
    )
    person.send("help")
    assert tick(database, T0 + timedelta(days=1)).queued == {}
    report = tick(database, T0 + timedelta(days=2, minutes=1))
    assert report.opened == ["LATER1"] and report.queued == {"invitation": 1}


def test_digest_posts_suppressed_counts_to_the_organisers_chat(scheduled):
    database, people = scheduled
    with database.unit_of_work() as session:
        consultation = session.scalars(select(Round)).one()
        consultation.digest_platform = Platform.SLACK
        consultation.digest_chat = "C0DIGEST"
        consultation.digest_every = "daily"
    run(people["halfway"], [("SCHED1", "agree")])
    assert tick(database, T0).digests == 1
    assert to(database, "C0DIGEST") == [
        "“Mid-term check” (SCHED1): <5 joined, 0 finished, <5 still answering."
    ]
    assert tick(database, T0 + timedelta(hours=5)).digests == 0
    assert tick(database, T0 + timedelta(days=1)).digests == 1

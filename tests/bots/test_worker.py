"""The worker: one leader runs the schedule; APScheduler only ticks."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bots.worker import Leadership, run_worker, tick
from core import rounds
from core.models import OutboxMessage, utcnow
from core.vocabulary import Platform
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.fakes.chat import Participant


def test_on_sqlite_the_one_process_leads(database):
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    assert Leadership(database).holds()


def test_on_postgresql_one_leader_and_a_successor_when_it_goes(database):
    if database.is_sqlite:
        pytest.skip("the advisory lock is PostgreSQL's")
    first, second = Leadership(database), Leadership(database)
    try:
        assert first.holds() and first.holds()
        assert not second.holds()
        first.release()  # the leader's process died: its connection closed
        assert second.holds()
        assert tick(database, first) is None  # the old leader no longer schedules
    finally:
        first.release()
        second.release()


def test_the_worker_ticks_and_queues_invitations_then_stops(database):
    open_round(database, code="WORK01", now=utcnow())
    person = Participant(database, PSEUDONYM_KEY, sender="555", platform=Platform.TELEGRAM)
    person.send("help")
    with database.unit_of_work() as session:
        rounds.find_round(session, "WORK01").quiet_hours_start = 0
        rounds.find_round(session, "WORK01").quiet_hours_end = 0

    async def scenario() -> list:
        stop = asyncio.Event()
        reports = []

        def ticked(report):
            reports.append(report)
            stop.set()

        await asyncio.wait_for(
            run_worker(database, None, stop, tick_seconds=3600, ticked=ticked), timeout=30
        )
        return reports

    reports = asyncio.run(scenario())
    assert reports[0]["queued"] == {"invitation": 1}
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1

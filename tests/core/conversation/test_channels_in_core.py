"""What channels rely on in the core: linking identities, edits of answers, blocking."""

from __future__ import annotations

import re

from sqlalchemy import select

from core import people
from core.conversation.engine import EngineContext, handle
from core.messages import InboundEvent
from core.models import Answer, PlatformIdentity
from core.vocabulary import Platform
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW
from tests.fakes.chat import Participant


def test_link_lets_one_person_continue_a_round_in_another_app(consultation):
    telegram = Participant(
        consultation, PSEUDONYM_KEY, sender="tg-1", platform=Platform.TELEGRAM, now=NOW
    )
    telegram.send("TEST01")
    telegram.send("1")
    telegram.send("yes")
    said = telegram.send("link")
    code = re.search(r"link ([A-Z0-9]{4}-[A-Z0-9]{4})", said).group(1)
    slack = Participant(
        consultation, PSEUDONYM_KEY, sender="U123", platform=Platform.SLACK, now=NOW
    )
    said = slack.send(f"link {code}")
    assert "Linked" in said and "Which sector" in said
    slack.send("2")
    assert "2. Which sector do you work in? → Education" in telegram.send("review")
    with consultation.unit_of_work() as session:
        owners = {i.platform: i.participant_id for i in session.scalars(select(PlatformIdentity))}
        assert owners[Platform.SLACK] == owners[Platform.TELEGRAM]
        assert {a.channel for a in session.scalars(select(Answer))} == {
            Platform.TELEGRAM,
            Platform.SLACK,
        }
    assert "unknown, used or expired" in slack.send(f"link {code}")


def test_an_edited_answer_becomes_a_new_version_and_other_edits_are_ignored(consultation):
    person = Participant(consultation, PSEUDONYM_KEY, sender="editor", now=NOW)
    person.send("TEST01", delivery_id="m1")
    person.send("1", delivery_id="m2")

    def deliver(**fields):
        with consultation.unit_of_work() as session:
            return handle(
                session,
                InboundEvent(Platform.TERMINAL, "editor", **fields),
                EngineContext(PSEUDONYM_KEY, NOW),
            )

    deliver(text="yes", message_id="msg-3")
    replies = deliver(text="no", message_id="msg-3", edited=True)
    assert "it is now No" in replies[0].text
    assert deliver(text="whatever", message_id="msg-1", edited=True) == []
    unusable = deliver(text="🙂", message_id="msg-3", edited=True)
    assert "stays as it was" in unusable[0].text
    with consultation.unit_of_work() as session:
        versions = session.scalars(select(Answer).order_by(Answer.version)).all()
        assert [(a.value, a.is_current) for a in versions] == [("yes", False), ("no", True)]


def test_blocking_marks_the_identity_unreachable_until_they_write_again(consultation):
    person = Participant(
        consultation, PSEUDONYM_KEY, sender="777", platform=Platform.TELEGRAM, now=NOW
    )
    person.send("help")
    with consultation.unit_of_work() as session:
        assert people.set_reachable(
            session, platform=Platform.TELEGRAM, external_id="777", reachable=False, until=None
        )
        assert not people.set_reachable(
            session, platform=Platform.TELEGRAM, external_id="unknown", reachable=False
        )
    with consultation.unit_of_work() as session:
        assert session.scalars(select(PlatformIdentity)).one().reachable is False
    person.send("help")
    with consultation.unit_of_work() as session:
        assert session.scalars(select(PlatformIdentity)).one().reachable is True


def test_timezone_sets_where_quiet_hours_are_reckoned(consultation):
    person = Participant(consultation, PSEUDONYM_KEY, sender="tz-1", now=NOW)
    assert "Your time zone is now Africa/Nairobi" in person.send("timezone africa/nairobi")
    assert "Please give a time zone" in person.send("timezone Atlantis/Capital")
    hinted = InboundEvent(Platform.SLACK, "U777", text="help", timezone_hint="Asia/Kolkata")
    with consultation.unit_of_work() as session:
        handle(session, hinted, EngineContext(PSEUDONYM_KEY, NOW))
    with consultation.unit_of_work() as session:
        zones = {
            i.external_id: i.participant.timezone for i in session.scalars(select(PlatformIdentity))
        }
    assert zones == {"tz-1": "Africa/Nairobi", "U777": "Asia/Kolkata"}

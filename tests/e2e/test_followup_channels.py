"""Follow-up through real channels: verify, post an update, hear of it and answer back."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.api.app import create_app
from bots.delivery import default_limiters, dispatcher_for, open_senders
from core import news
from core.clusters import add_entity
from core.config import Settings
from core.db import Database
from core.invitations import invite
from core.models import Answer, ImplementationUpdate, Participant, UpdateState, utcnow
from core.people import add_organisation
from core.vocabulary import OrganisationType, Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.fakes.followup import last_noon
from tests.fakes.telegram_api import FakeTelegram, TelegramChat, TelegramUser, telegram_settings
from tests.fakes.webhook_gateway import SECRET, signed_headers

NHRI_CHAT, FOLLOWER_CHAT = 5_113_920_001, 5_113_920_002


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as api:
        yield api


def _prepare(database: Database, role: Role = Role.NHRI) -> str:
    open_round(database, now=utcnow())
    with database.unit_of_work() as session:
        add_organisation(session, name="Valdoria NHRI", type=OrganisationType.NHRI)
        add_organisation(session, name="Ministry of Justice", type=OrganisationType.GOVERNMENT)
        organisation = "Valdoria NHRI" if role is Role.NHRI else "Ministry of Justice"
        return invite(session, role=role, organisation=organisation, actor="organiser").code


def _send_outbox(settings: Settings, database: Database) -> int:
    async def run() -> int:
        senders = await open_senders(settings)
        try:
            dispatcher = dispatcher_for(database, senders, default_limiters())
            assert dispatcher is not None
            return await dispatcher.run_once()
        finally:
            await senders.close()

    return asyncio.run(run())


def test_an_nhri_assessment_on_telegram_reaches_a_follower_who_answers_back(database, fake):
    code = _prepare(database)
    settings = telegram_settings(database, fake)
    with TestClient(create_app(settings, database=database)) as client:
        nhri = TelegramChat(client, fake, TelegramUser(id=NHRI_CHAT, first_name="Nadia"))
        # Telegram numbers updates per bot, not per chat.
        follower = TelegramChat(
            client,
            fake,
            TelegramUser(id=FOLLOWER_CHAT, _update_ids=itertools.count(600_000_001)),
        )

        assert "verified as NHRI staff for Valdoria NHRI" in nhri.send(f"/verify {code}")
        assert "You now follow #1" in follower.send("/follow #1")

        assert "Which recommendation is it about?" in nhri.send("/update")
        assert "What is its status?" in nhri.send("#1")
        assert nhri.buttons() == [
            "1. Not started",
            "2. In progress",
            "3. Partially implemented",
            "4. Fully implemented",
        ]
        assert "What has been done?" in nhri.press("3. Partially implemented")
        assert "Links to evidence" in nhri.send("Registration is free in 9 of 12 districts.")
        assert "Which entity is responsible?" in nhri.send("https://nhri.example.org/report-2027")
        assert "Indicators" in nhri.send("skip")
        assert "next planned step" in nhri.send("skip")
        assert "Please check your update" in nhri.send("skip")
        assert "Published as assessment #1" in nhri.press("1. Post")

        # The next tick, in the daytime, queues the news; the dispatcher posts it to Telegram.
        with database.unit_of_work() as session:
            assert news.deliver_news(session, last_noon()) == 1
        assert _send_outbox(settings, database) == 1
        notice = fake.sent(FOLLOWER_CHAT)[-1]
        assert "Valdoria NHRI assesses" in notice["text"]
        assert "Reported status: Partially implemented" in notice["text"]
        follower.last = [notice]
        assert follower.buttons() == ["I agree", "I disagree", "I don't know", "Add a comment"]

        assert "What status would you give?" in follower.press("I disagree")
        assert "your view is recorded" in follower.press("In progress")
        assert "Write your comment" in follower.press("Add a comment")
        assert "Who may read your comment?" in follower.send("Only in the capital.")
        assert "Only the organisers" in follower.press("Organisers only")

    with database.unit_of_work() as session:
        update = session.scalars(select(ImplementationUpdate)).one()
        assert update.versions[-1].state is UpdateState.PUBLISHED
        assert update.versions[-1].channel == "telegram"
        views = {
            a.question_id: (a.value, a.text, a.channel.value)
            for a in session.scalars(select(Answer).where(Answer.update_id == update.id))
        }
    assert views == {
        "agreement": ("disagree", None, "telegram"),
        "status": ("in_progress", None, "telegram"),
        "comment": ("private", "Only in the capital.", "telegram"),
    }


def test_a_focal_point_verifies_and_posts_over_the_webhook(database):
    code = _prepare(database, Role.GOVERNMENT)
    with database.unit_of_work() as session:
        add_entity(session, name="Civil Registry Office", acronym="CRO")
        add_entity(session, name="Ministry of Health", acronym="MoH")
    settings = Settings(
        database_url=database.url, pseudonym_key=PSEUDONYM_KEY.decode(), webhook_secret=SECRET
    )
    ids = itertools.count(1)

    def say(client: TestClient, text: str) -> str:
        n = next(ids)
        body = json.dumps(
            {"sender": "+254700000009", "text": text, "message_id": f"m-{n}", "language": "en"}
        ).encode()
        response = client.post(
            "/webhook/inbound", content=body, headers=signed_headers(body, f"gw-{n}")
        )
        assert response.status_code == 200
        return "\n".join(r["text"] for r in response.json()["replies"])

    with TestClient(create_app(settings, database=database)) as client:
        assert "Only verified government focal points" in say(client, "update")
        assert "verified as government focal point" in say(client, f"verify {code}")
        assert "already been used" in say(client, f"verify {code}")
        assert "What is its status?" in say(client, "update 1")
        for text in ("2", "Desks opened."):
            say(client, text)
        assert "Which entity is responsible?" in say(client, "skip")
        # SMS has no buttons: the second entity listed is picked by its number.
        assert "Indicators" in say(client, "2")
        say(client, "skip")
        assert "By when is it planned?" in say(client, "Open two more desks")
        assert "Please check your update" in say(client, "2027-06-30")
        assert "Posted as draft update #1" in say(client, "1")

    with database.unit_of_work() as session:
        update = session.scalars(select(ImplementationUpdate)).one()
        version = update.versions[-1]
        assert (version.state, version.status, version.channel) == (
            UpdateState.DRAFT,
            "in_progress",
            "webhook",
        )
        author = session.get(Participant, update.author_id)
        assert author is not None and author.role is Role.GOVERNMENT
        assert version.responsible_entity is not None
        assert version.responsible_entity.name == "Ministry of Health"

"""Good practices through real channels: published from Telegram and Slack, asked and answered."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.api.app import create_app
from bots.delivery import default_limiters, dispatcher_for, open_senders
from core import news, practices
from core.config import Settings
from core.db import Database
from core.invitations import invite
from core.models import Participant, PracticeQuestion, PracticeState, PracticeVersion, utcnow
from core.people import add_organisation, add_participant
from core.vocabulary import OrganisationType, Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.fakes.followup import last_noon
from tests.fakes.slack_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    SlackUser,
    Workspace,
    block_problems,
    dm_of,
)
from tests.fakes.telegram_api import FakeTelegram, TelegramChat, TelegramUser, telegram_settings

FOCAL_CHAT, FOLLOWER_CHAT = 5_113_930_001, 5_113_930_002
AUTHOR = "U0NHRIAUT"
MINISTRY, COMMISSION = "Ministry of Justice", "Valdoria Human Rights Commission"
QUESTION = "How did you keep the registration desks staffed at night?"
ANSWER = "Midwives registered the births; the registry trained them."


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as api:
        yield api


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    server = FakeSlack(users={AUTHOR: SlackUser(locale="en-GB")})
    yield server
    server.close()


def _codes(database: Database) -> tuple[str, str]:
    """Recommendations to cite, the two organisations, and an invitation code for each."""
    open_round(database, now=utcnow())
    with database.unit_of_work() as session:
        add_organisation(session, name=MINISTRY, type=OrganisationType.GOVERNMENT)
        add_organisation(session, name=COMMISSION, type=OrganisationType.NHRI)
        focal = invite(session, role=Role.GOVERNMENT, organisation=MINISTRY, actor="organiser")
        nhri = invite(session, role=Role.NHRI, organisation=COMMISSION, actor="organiser")
        return focal.code, nhri.code


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


def test_practices_published_from_telegram_and_slack_reach_a_follower_who_asks_the_author(
    database, telegram, slack
):
    focal_code, nhri_code = _codes(database)
    settings = telegram_settings(
        database,
        telegram,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
    )
    with TestClient(create_app(settings, database=database)) as client:
        workspace = Workspace(client, slack)
        focal = TelegramChat(client, telegram, TelegramUser(id=FOCAL_CHAT, first_name="Farid"))
        # Telegram numbers updates per bot, not per chat.
        follower = TelegramChat(
            client,
            telegram,
            TelegramUser(
                id=FOLLOWER_CHAT,
                first_name="Amina",
                username="amina_d",
                _update_ids=itertools.count(600_000_001),
            ),
        )

        # A government focal point publishes on Telegram.
        assert "verified as government focal point" in focal.send(f"/verify {focal_code}")
        assert "What is the practice's title?" in focal.send("/publish")
        for text, asked in (
            ("Free late birth registration", "Summarise it"),
            ("Fees for late registration were abolished in 2026.", "What was done?"),
            ("A decree and a public campaign.", "What came of it?"),
            ("Late registrations tripled.", "What lessons"),
            ("Fees keep the poorest out.", "Its themes and SDG targets"),
            ("Birth registration, 16.9", "Which recommendations"),
            ("#1", "Which mechanism"),
            ("skip", "A contact"),
            ("skip", "Please check your good practice"),
        ):
            assert asked in focal.send(text), text
        assert focal.buttons() == ["1. Post", "2. Cancel"]
        assert "Sent for review as practice #1." in focal.press("1. Post")

        # An NHRI member publishes from Slack: the slash command, then the direct message.
        workspace.write(AUTHOR, f"verify {nhri_code}")
        workspace.reply(AUTHOR, "verified as NHRI staff")
        assert workspace.command(AUTHOR, "publish").status_code == 200
        workspace.reply(AUTHOR, "What is the practice's title?")
        for text, asked in (
            # Slack escapes what people type as it does in every event: &lt; for <.
            ("Registration desks in &lt;maternity&gt; wards", "Summarise it"),
            ("Births are registered before mothers go home.", "What was done?"),
            ("Desks in 14 hospitals.", "What came of it?"),
            ("Nine in ten births registered at once.", "What lessons"),
            ("Go where births happen.", "Its themes and SDG targets"),
            ("birth registration", "Which recommendations"),
            ("skip", "Which mechanism"),
            ("NHRI monitoring visits", "A contact"),
            ("desks@commission.example.org", "Please check your good practice"),
        ):
            workspace.write(AUTHOR, text)
            workspace.reply(AUTHOR, asked)
        workspace.press(AUTHOR, "1. Post")
        workspace.reply(AUTHOR, "Sent for review as practice #2.")

        # A follower on Telegram follows the theme; an organiser approves both practices.
        assert "You now follow Birth registration" in follower.send("/follow birth registration")
        with database.unit_of_work() as session:
            organiser = add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER)
            practices.approve(session, organiser, 1)
            practices.approve(session, organiser, 2)

        # Each author hears of the review on their own channel.
        assert _send_outbox(settings, database) == 2
        assert (
            "Your good practice #1 “Free late birth registration” is published."
            in (telegram.texts(FOCAL_CHAT)[-1])
        )
        outcome = workspace.reply(AUTHOR, "Your good practice #2")
        # Slack reads the fallback text as markup, so the typed brackets arrive escaped there,
        # and as written in the plain-text block people see.
        assert "“Registration desks in &lt;maternity&gt; wards” is published." in outcome["text"]
        assert "<maternity>" in outcome["blocks"][0]["text"]["text"]
        assert outcome["blocks"][0]["text"]["type"] == "plain_text"

        # The next daytime tick sends the follower one digest of the two.
        with database.unit_of_work() as session:
            assert news.deliver_news(session, last_noon()) == 1
        assert _send_outbox(settings, database) == 1
        digest = telegram.sent(FOLLOWER_CHAT)[-1]
        assert digest["text"].splitlines()[:3] == [
            "News on what you follow: 2 good practices.",
            "1. Good practice: Free late birth registration",
            "2. Good practice: Registration desks in <maternity> wards",
        ]
        assert "parse_mode" not in digest
        follower.last = [digest]
        assert follower.buttons() == ["Read 1", "Read 2"]
        read = follower.press("Read 2")
        assert "Good practice #2: Registration desks in <maternity> wards" in read
        assert f"Organisation: {COMMISSION}" in read
        assert "Contact: desks@commission.example.org" in read
        assert follower.buttons() == ["Ask the author a question", "Follow Birth registration"]
        assert "The author will not see your name." in follower.press("Ask the author a question")
        assert "on its way to the author" in follower.send(QUESTION)

        # The question reaches the author on Slack, without the asker's name.
        assert _send_outbox(settings, database) == 1
        relayed = workspace.reply(AUTHOR, "A question about your good practice #2")
        assert QUESTION in relayed["text"]
        with database.unit_of_work() as session:
            asker = session.scalars(
                select(Participant).where(
                    Participant.identities.any(external_id=str(FOLLOWER_CHAT))
                )
            ).one()
            secrets = [asker.pseudonym, str(FOLLOWER_CHAT), "Amina", "Diallo", "amina_d"]
        assert not any(secret in str(relayed) for secret in secrets)
        assert block_problems(relayed["blocks"]) == []
        workspace.press(AUTHOR, "Answer")
        workspace.reply(AUTHOR, "The question was")
        workspace.write(AUTHOR, ANSWER)
        workspace.reply(AUTHOR, "Your answer is on its way")

        # The answer comes back to the follower on Telegram.
        assert _send_outbox(settings, database) == 1
        answer = telegram.sent(FOLLOWER_CHAT)[-1]
        assert answer["text"].startswith(
            "The author of the good practice #2 “Registration desks in <maternity> wards” "
            "answered you."
        )
        assert QUESTION in answer["text"] and ANSWER in answer["text"]
        follower.last = [answer]
        assert "Births are registered before mothers go home." in follower.press(
            "Read the practice"
        )

    with database.unit_of_work() as session:
        versions = session.scalars(select(PracticeVersion).order_by(PracticeVersion.id)).all()
        assert [(v.channel, v.state, v.current) for v in versions] == [
            ("telegram", PracticeState.PUBLISHED, True),
            ("slack", PracticeState.PUBLISHED, True),
        ]
        assert versions[1].title == "Registration desks in <maternity> wards"
        assert [t.code for t in versions[1].tags] == ["Birth registration"]
        question = session.scalars(select(PracticeQuestion)).one()
        assert (question.question, question.answer) == (QUESTION, ANSWER)
    # Everything for the author went to their direct message.
    assert {m["channel"] for m in slack.posted()} == {dm_of(AUTHOR)}

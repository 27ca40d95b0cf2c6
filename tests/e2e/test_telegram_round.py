"""One participant through a whole round on Telegram, by webhook and by polling."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.api.app import create_app
from bots.telegram_bot import ALLOWED_UPDATES, build_application
from core.config import Settings
from core.db import Database
from core.i18n import translate
from core.models import Answer, Conversation, ConversationStatus, utcnow
from core.vocabulary import Platform
from tests.core.conversation.conftest import open_round
from tests.core.conversation.test_dialogues import full_run_answers, stored
from tests.fakes.telegram_api import (
    FakeTelegram,
    TelegramChat,
    TelegramUser,
    telegram_settings,
)

CHAT = 5_113_920_487


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as api:
        yield api


@pytest.fixture
def consultation(database: Database) -> Database:
    open_round(database, now=utcnow())
    return database


@pytest.fixture
def settings(consultation: Database, fake: FakeTelegram) -> Settings:
    return telegram_settings(consultation, fake)


def test_the_phones_language_then_the_persons_choice_then_text_only(consultation, settings, fake):
    with TestClient(create_app(settings, database=consultation)) as client:
        # Telegram says the app is in French: the round speaks French from the first message.
        chat = TelegramChat(client, fake, TelegramUser(id=CHAT, language_code="fr"))
        said = chat.send("/start TEST01")
        assert translate("fr", "Welcome to “{title}”.").format(title="Mid-term check") in said
        assert chat.buttons() == [translate("fr", "I agree"), translate("fr", "No, thank you")]
        assert "Avez-vous suivi ces recommandations ?" in chat.press(translate("fr", "I agree"))
        # The person's own choice outranks the phone's language, and the question is re-asked.
        said = chat.send("/language en")
        assert "Language changed." in said and "Have you followed these recommendations?" in said
        assert chat.buttons() == ["Yes", "No"]
        # Text-only: the same question as a numbered list, with no keyboard, answered by typing.
        said = chat.send("/textonly")
        assert "1. Yes" in said and "2. No" in said
        assert chat.buttons() == []
        assert "Which sector do you work in?" in chat.send("one")
        assert chat.buttons() == []
    with consultation.unit_of_work() as session:
        answer = session.scalars(select(Answer).where(Answer.question_id == "involved")).one()
        assert (answer.value, answer.language) == ("yes", "en")


def test_a_whole_round_through_the_webhook(consultation, settings, fake):
    with TestClient(create_app(settings, database=consultation)) as client:
        chat = TelegramChat(client, fake, TelegramUser(id=CHAT))

        assert "Do you agree to take part?" in chat.send("/start TEST01")
        assert chat.buttons() == ["I agree", "No, thank you"]
        assert "Have you followed these recommendations?" in chat.press("I agree")
        assert chat.buttons() == ["Yes", "No"]
        assert "Which sector do you work in?" in chat.press("Yes")
        assert "Which topics did you follow?" in chat.press("Education")
        assert chat.buttons() == ["Laws", "Budgets", "Data", "Done"]
        assert "Selected: Laws" in chat.press("Laws")
        assert "Selected: Laws and Data" in chat.press("Data")
        assert chat.buttons() == ["✓ Laws", "Budgets", "✓ Data", "Done"]
        assert "How satisfied are you" in chat.press("Done")
        assert "How many staff" in chat.press("4")
        assert "Since when" in chat.send("12")
        said = chat.send("31/01/2020")
        # Recommendation labels are too long for buttons: a numbered list, answered by typing.
        assert "Which of these recommendations" in said and "\n1. " in said
        assert chat.buttons() == []
        assert "Recommendation 125.14 (UPR)" in chat.send("1, 5")
        assert "What shows this?" in chat.press("Partially implemented")
        evidence = "A new free registration law passed in 2025."
        assert "Who may see that this answer came from you?" in chat.send(evidence)
        assert "Recommendation 125.81 (UPR)" in chat.press("Anonymous")
        assert "Anything else?" in chat.press("Don't know")
        summary = chat.send("skip")

    assert "That was the last question. You gave 9 answers" in summary
    assert stored(consultation) == full_run_answers(consultation)
    with consultation.unit_of_work() as session:
        answers = session.scalars(select(Answer)).all()
        assert {a.channel for a in answers} == {Platform.TELEGRAM}
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status is ConversationStatus.COMPLETED
    # Every reply went to this chat, within Telegram's limits, and every press was answered.
    sent = fake.sent()
    assert sent and all(str(m["chat_id"]) == str(CHAT) for m in sent)
    assert all(len(m["text"]) <= 4096 for m in sent)
    assert len(fake.calls_to("answerCallbackQuery")) == 10
    assert len(fake.calls_to("getMe")) == 1


def test_a_conversation_by_polling(consultation, settings, fake):
    """The polling Application hands getUpdates' updates to the same processing."""
    person = TelegramUser(id=CHAT)

    async def scenario() -> None:
        application = build_application(settings, consultation)
        async with application:
            await application.updater.start_polling(
                allowed_updates=list(ALLOWED_UPDATES), timeout=timedelta(seconds=2)
            )
            await application.start()
            fake.queue_update(person.says("/start TEST01"))
            [consent] = await asyncio.to_thread(fake.wait_for, "sendMessage", 1)
            agree = next(
                b["callback_data"]
                for row in consent.params["reply_markup"]["inline_keyboard"]
                for b in row
                if b["text"] == "I agree"
            )
            fake.queue_update(person.presses(agree))
            await asyncio.to_thread(fake.wait_for, "answerCallbackQuery", 1)
            await asyncio.to_thread(fake.wait_for, "sendMessage", 2)
            await application.updater.stop()
            await application.stop()

    asyncio.run(scenario())

    assert fake.calls_to("deleteWebhook")
    first_poll = fake.calls_to("getUpdates")[0].params
    assert set(first_poll["allowed_updates"]) == {str(u) for u in ALLOWED_UPDATES}
    texts = fake.texts(CHAT)
    assert "Do you agree to take part?" in texts[0]
    assert any("Have you followed these recommendations?" in t for t in texts[1:])
    with consultation.unit_of_work() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status is ConversationStatus.ACTIVE
    # Stopping confirmed what was fetched: nothing is left to be served again.
    assert fake.pending_updates == []

"""The Telegram webhook as Telegram meets it: real updates in, real Bot API calls out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bots.api.app import create_app
from bots.telegram_bot import ALLOWED_UPDATES, QUIET_LOGGERS, register_webhook
from core.config import ConfigError
from core.db import Database
from core.models import (
    Answer,
    Delivery,
    OutboxMessage,
    OutboxStatus,
    Participant,
    PlatformIdentity,
    utcnow,
)
from core.outbox import from_payload
from core.vocabulary import Platform
from tests.core.conversation.conftest import open_round
from tests.fakes.telegram_api import (
    SECRET_HEADER,
    TOKEN,
    WEBHOOK_SECRET,
    FakeTelegram,
    TelegramChat,
    TelegramUser,
    group_message,
    telegram_settings,
)

AMINA = 284_610_392


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as api:
        yield api


@pytest.fixture
def consultation(database: Database) -> Database:
    open_round(database, now=utcnow())
    return database


@pytest.fixture
def client(consultation: Database, fake: FakeTelegram) -> Iterator[TestClient]:
    app = create_app(telegram_settings(consultation, fake), database=consultation)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def amina(client: TestClient, fake: FakeTelegram) -> TelegramChat:
    return TelegramChat(client, fake, TelegramUser(id=AMINA))


def count(database: Database, model: type) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def identity(database: Database, chat_id: int = AMINA) -> PlatformIdentity:
    with database.unit_of_work() as session:
        return session.scalars(
            select(PlatformIdentity).where(
                PlatformIdentity.platform == Platform.TELEGRAM,
                PlatformIdentity.external_id == str(chat_id),
            )
        ).one()


def answers(database: Database, slot: str) -> list[Answer]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(Answer).where(Answer.slot == slot).order_by(Answer.id)))


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything a log line would show: each message with its fields and traceback."""
    return "\n".join(
        f"{r.name} {r.getMessage()} {getattr(r, 'fields', '')} {r.exc_text or ''}"
        for r in caplog.records
    )


def to_staff_question(chat: TelegramChat) -> None:
    """Join, agree, and answer the choice questions up to the first typed one."""
    assert "Do you agree to take part?" in chat.send("/start TEST01")
    assert "Have you followed these recommendations?" in chat.press("I agree")
    assert "Which sector do you work in?" in chat.press("No")
    assert "How many staff" in chat.press("Health")


# --- who may call -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}, {SECRET_HEADER: WEBHOOK_SECRET + "x"}],
    ids=["missing", "wrong", "empty", "longer"],
)
def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(
    client, consultation, fake, headers
):
    update = TelegramUser(id=AMINA).says("/start TEST01")
    response = client.post("/telegram/webhook", json=update, headers=headers)
    assert response.status_code == 403
    assert count(consultation, Delivery) == 0 and count(consultation, Participant) == 0
    assert fake.calls == []


@pytest.mark.parametrize(
    ("unset", "secret", "status"),
    [("telegram_webhook_secret", "anything", 403), ("telegram_token", WEBHOOK_SECRET, 503)],
    ids=["no-secret-configured", "no-token-configured"],
)
def test_an_unconfigured_bot_takes_no_update(consultation, fake, unset, secret, status):
    settings = telegram_settings(consultation, fake, **{unset: None})
    with TestClient(create_app(settings, database=consultation)) as test_client:
        response = test_client.post(
            "/telegram/webhook",
            json=TelegramUser(id=AMINA).says("hello"),
            headers={SECRET_HEADER: secret},
        )
    assert response.status_code == status
    assert count(consultation, Delivery) == 0 and fake.calls == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[1, 2, 3]", b'"update"', b'{"message": {"text": "hi"}}'],
    ids=["broken", "not-utf8", "array", "string", "no-update-id"],
)
def test_a_body_that_is_not_an_update_is_a_bad_request(client, consultation, body):
    response = client.post(
        "/telegram/webhook",
        content=body,
        headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert count(consultation, Delivery) == 0


def test_a_body_over_one_mebibyte_is_refused(client, consultation):
    update = TelegramUser(id=AMINA).says("x" * (1024 * 1024 + 1))
    response = client.post(
        "/telegram/webhook", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert response.status_code == 413
    assert count(consultation, Delivery) == 0


# --- deliveries ---------------------------------------------------------------------------------


def test_a_redelivered_update_has_no_second_effect(amina, consultation, fake):
    amina.send("/start TEST01")
    amina.press("I agree")
    press = amina.user.presses(
        next(
            b["callback_data"]
            for row in amina.last[-1]["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == "Yes"
        )
    )
    first = amina.deliver(press)
    assert first.status_code == 200 and "Which sector" in amina.said
    again = amina.deliver(press)
    assert again.status_code == 200 and amina.last == []
    assert [a.value for a in answers(consultation, "involved")] == ["yes"]
    # Both presses are acknowledged, so the spinner stops either way.
    assert len(fake.calls_to("answerCallbackQuery")) == 3


def test_updates_arriving_out_of_order_are_each_handled(amina):
    earlier = amina.user.says("help")
    later = amina.user.says("/start TEST01")
    amina.deliver(later)
    assert "Do you agree to take part?" in amina.said
    amina.deliver(earlier)
    assert "What you can send:" in amina.said


def test_the_bot_is_started_once_and_closed_at_shutdown(consultation, fake):
    app = create_app(telegram_settings(consultation, fake), database=consultation)
    with TestClient(app) as test_client:
        chat = TelegramChat(test_client, fake, TelegramUser(id=AMINA))
        chat.send("help")
        chat.send("/start TEST01")
        assert len(fake.calls_to("getMe")) == 1
        assert app.state.closers == [app.state.telegram_bot.result().shutdown]


def test_a_failure_inside_the_engine_answers_500_so_telegram_retries(consultation, fake, caplog):
    settings = telegram_settings(consultation, fake, pseudonym_key=None)
    with TestClient(create_app(settings, database=consultation)) as test_client:
        chat = TelegramChat(test_client, fake, TelegramUser(id=AMINA))
        response = chat.deliver(chat.user.says("/start TEST01"))
    assert response.status_code == 500
    assert count(consultation, Delivery) == 0 and fake.sent() == []
    assert "ConfigError" in logged(caplog)


# --- reachability -------------------------------------------------------------------------------


def test_a_blocked_bot_marks_the_person_unreachable(amina, consultation, fake):
    amina.send("/start TEST01")
    fake.block(AMINA)
    response = amina.deliver(amina.user.says("help"))
    assert response.status_code == 200
    assert identity(consultation).reachable is False
    # One refused send, and no attempt at the rest.
    refused = [c for c in fake.calls_to("sendMessage") if c.status == 403]
    assert len(refused) == 1


def test_writing_again_after_blocking_makes_the_person_reachable(amina, consultation, fake):
    amina.send("/start TEST01")
    fake.block(AMINA)
    amina.deliver(amina.user.says("help"))
    assert identity(consultation).reachable is False
    fake.unblock(AMINA)
    assert "What you can send:" in amina.send("help")
    assert identity(consultation).reachable is True


def test_kicked_then_member_again(amina, consultation, fake):
    amina.send("/start TEST01")
    sent = len(fake.calls_to("sendMessage"))
    until = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    assert amina.deliver(amina.user.member_status("kicked", until_date=until)).status_code == 200
    blocked = identity(consultation)
    assert blocked.reachable is False
    assert blocked.blocked_until is not None
    assert blocked.blocked_until.replace(tzinfo=UTC) == datetime(2030, 1, 1, tzinfo=UTC)
    assert amina.deliver(amina.user.member_status("member")).status_code == 200
    restarted = identity(consultation)
    assert restarted.reachable is True and restarted.blocked_until is None
    assert len(fake.calls_to("sendMessage")) == sent


def test_kicked_forever_keeps_no_date(amina, consultation):
    amina.send("/start TEST01")
    amina.deliver(amina.user.member_status("kicked", until_date=0))
    blocked = identity(consultation)
    assert blocked.reachable is False and blocked.blocked_until is None


# python-telegram-bot warns about its own RetryAfter while building it.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_rate_limited_reply_waits_in_the_outbox_and_the_answer_is_kept(amina, consultation, fake):
    to_staff_question(amina)
    fake.rate_limit(7)
    response = amina.deliver(amina.user.says("12"))
    assert response.status_code == 200
    assert [a.value for a in answers(consultation, "staff")] == [12]
    with consultation.unit_of_work() as session:
        waiting = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        ).all()
    # The reply is kept for the dispatcher, due once Telegram's 7 seconds have passed.
    assert len(waiting) == 1 and waiting[0].attempts == 0
    assert "Since when" in from_payload(waiting[0].payload).text


# --- what the person sees -----------------------------------------------------------------------


def test_an_edited_message_changes_the_answer_and_says_so(amina, consultation):
    to_staff_question(amina)
    typed = amina.user.says("12")
    amina.deliver(typed)
    assert "Since when" in amina.said
    edit = amina.user.edits(typed["message"]["message_id"], "15")
    assert amina.deliver(edit).status_code == 200
    assert "You edited an answer: it is now 15" in amina.said
    versions = answers(consultation, "staff")
    assert [(a.value, a.is_current) for a in versions] == [(12, False), (15, True)]


def test_buttons_carry_the_engines_option_ids(amina):
    amina.send("/start TEST01")
    [consent] = amina.last
    keyboard = consent["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [["I agree", "No, thank you"]]
    assert all(b["callback_data"].endswith((".1", ".2")) for b in keyboard[0])


def test_a_group_message_gets_a_pointer_and_nothing_is_stored(client, consultation, fake):
    update = group_message(
        TelegramUser(id=AMINA), "/start@ConsultaBot TEST01", update_id=900_000_001
    )
    response = client.post(
        "/telegram/webhook", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert response.status_code == 200
    [reply] = fake.sent()
    assert str(reply["chat_id"]) == "-1001234567890"
    assert "private chat" in reply["text"]
    # Nothing about the person is kept; only the update's id, so a redelivery stays silent.
    assert count(consultation, Participant) == 0 and count(consultation, Delivery) == 1
    again = client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert again.status_code == 200 and len(fake.sent()) == 1


def test_group_chatter_is_ignored(client, consultation, fake):
    update = group_message(TelegramUser(id=AMINA), "see you at the meeting", update_id=900_000_002)
    response = client.post(
        "/telegram/webhook", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert response.status_code == 200
    assert fake.sent() == [] and count(consultation, Participant) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("garbage", "That button is no longer valid"),
        ("1.1", "That button belongs to an earlier question"),
    ],
    ids=["unknown", "stale"],
)
def test_unknown_or_stale_button_data_gets_a_clear_reply(amina, fake, data, expected):
    amina.send("/start TEST01")
    amina.press("I agree")
    response = amina.deliver(amina.user.presses(data))
    assert response.status_code == 200
    assert expected in amina.said
    assert fake.calls_to("answerCallbackQuery")


def test_logs_hold_no_chat_id_name_token_or_answer(amina, caplog):
    caplog.set_level(logging.DEBUG)
    for name in QUIET_LOGGERS:
        # As if no logging setup had run: the Telegram code must quieten them itself.
        logging.getLogger(name).setLevel(logging.NOTSET)
    to_staff_question(amina)
    amina.send("412")
    assert "Since when" in amina.said
    amina.send("23/07/1999")
    assert "Which of these recommendations" in amina.said
    text = logged(caplog)
    assert "telegram update handled" in text and "POST /telegram/webhook 200" in text
    for secret in (str(AMINA), "Amina", "Diallo", "amina_d", TOKEN, "412", "1999", "Health"):
        assert secret not in text, secret


def test_registering_the_webhook_sends_the_secret_and_the_update_types(consultation, fake):
    settings = telegram_settings(consultation, fake)
    asyncio.run(register_webhook(settings, "https://consulta.example.org/telegram/webhook"))
    [call] = fake.calls_to("setWebhook")
    assert call.params["url"] == "https://consulta.example.org/telegram/webhook"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert set(call.params["allowed_updates"]) == {str(u) for u in ALLOWED_UPDATES}


def test_registering_the_webhook_needs_a_secret(consultation, fake):
    settings = telegram_settings(consultation, fake, telegram_webhook_secret=None)
    with pytest.raises(ConfigError, match="CONSULTA_TELEGRAM_WEBHOOK_SECRET"):
        asyncio.run(register_webhook(settings, "https://consulta.example.org/telegram/webhook"))
    assert fake.calls == []

"""A whole conversation on each channel, logged at DEBUG: no name, answer, id or secret shows.

The logs are read twice: every record as the logging system hands it to any handler (caplog,
before Consulta's own handler formats it), and the JSON lines an operator's collector reads.
Logging is set up as `CONSULTA_LOG_LEVEL=DEBUG` sets it up: every logger at DEBUG, except the
HTTP and chat libraries Consulta keeps at WARNING because they log whole requests.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from adapters import web
from bots.api.app import create_app
from core import people
from core.config import Settings
from core.db import Database
from core.logs import NOISY_LOGGERS, configure_logging
from core.models import PlatformIdentity, utcnow
from core.vocabulary import Platform, Role
from tests.bots import test_web_channel as web_pages
from tests.bots.test_slack import serving
from tests.conftest import PSEUDONYM_KEY, SECRET_KEY
from tests.core.conversation.conftest import open_round
from tests.core.conversation.test_dialogues import FULL_RUN
from tests.fakes import webhook_gateway
from tests.fakes.slack_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    SlackUser,
    dm_of,
    envelope,
    message_event,
    signed_headers,
)
from tests.fakes.telegram_api import (
    SECRET_HEADER,
    TOKEN,
    WEBHOOK_SECRET,
    FakeTelegram,
    TelegramChat,
    TelegramUser,
    telegram_settings,
)

NAME = "Zuleika Okonkwo-Brandt"
# A free-text answer nobody else would write.
MARKER = "Registry office evidence QX7-MARKER-4411"
TELEGRAM_CHAT = 6_240_917_353
SLACK_USER = "U0ZULEIKA7"
PHONE = "+254711223344"
ALWAYS_SECRET = (SECRET_KEY, PSEUDONYM_KEY.decode(), NAME, "Okonkwo", MARKER)


class Logged:
    """What reached the logs during a test: the records, and the JSON lines on stderr."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]):
        self.caplog = caplog
        self.capsys = capsys
        self.json_lines: list[str] = []

    def start(self) -> None:
        """Log as `CONSULTA_LOG_FORMAT=json CONSULTA_LOG_LEVEL=DEBUG` does, and capture it all.

        Called in the test itself, so caplog's handler comes before Consulta's: it sees each
        record as its logger made it, before any handler could scrub it.
        """
        self.caplog.set_level(logging.DEBUG)
        configure_logging("json", "DEBUG")
        for name in NOISY_LOGGERS:
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
        root = logging.getLogger()
        assert root.handlers.index(self.caplog.handler) < len(root.handlers) - 1
        self.capsys.readouterr()

    def records(self) -> list[str]:
        """Each record as caplog formatted it on arrival, then its fields, exception and stack."""
        # Formatted on arrival: a handler further down the line may rewrite the record itself.
        shown = self.caplog.text.splitlines()
        for record in self.caplog.records:
            parts = [record.name, record.getMessage(), repr(getattr(record, "fields", ""))]
            if record.exc_info:
                parts.append("".join(traceback.format_exception(*record.exc_info)))
            if record.stack_info:
                parts.append(record.stack_info)
            shown.append(" ".join(parts))
        return shown

    def collect(self) -> None:
        """Read what the JSON handler wrote; every line must be JSON."""
        for line in self.capsys.readouterr().err.splitlines():
            if line.strip():
                json.loads(line)
                self.json_lines.append(line)

    def assert_free_of(self, *secrets: str) -> None:
        """None of these texts appears in any record or JSON line; and something was logged."""
        self.collect()
        records = self.records()
        assert records and self.json_lines, "the conversation logged nothing at all"
        for secret in (*ALWAYS_SECRET, *secrets):
            for line in records:
                assert secret not in line, f"{secret!r} reached a log record: {line}"
            for line in self.json_lines:
                assert secret not in line, f"{secret!r} reached a JSON log line: {line}"

    def messages(self) -> list[str]:
        """The messages of the JSON lines, to check the conversation was logged at all."""
        return [json.loads(line)["message"] for line in self.json_lines]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[Logged]:
    try:
        yield Logged(caplog, capsys)
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_consulta", False)]:
            root.removeHandler(handler)


def _known_as(database: Database, platform: Platform, external_id: str) -> None:
    """An organiser added the person by name with their handle, as `participants add` does."""
    with database.unit_of_work() as session:
        person = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.CIVIL_SOCIETY, display_name=NAME
        )
        session.add(
            PlatformIdentity(participant=person, platform=platform, external_id=external_id)
        )


def test_a_telegram_conversation_logs_nothing_personal(database, logs):
    logs.start()
    open_round(database, now=utcnow())
    _known_as(database, Platform.TELEGRAM, str(TELEGRAM_CHAT))
    user = TelegramUser(
        id=TELEGRAM_CHAT, first_name="Zuleika", last_name="Okonkwo-Brandt", username="zuleika_okb"
    )
    with FakeTelegram() as fake:
        settings = telegram_settings(database, fake, secret_key=SECRET_KEY)
        with TestClient(create_app(settings, database=database)) as client:
            chat = TelegramChat(client, fake, user)
            assert "Do you agree to take part?" in chat.send("/start TEST01")
            chat.press("I agree")
            chat.press("Yes")
            chat.press("Education")
            chat.press("Laws")
            chat.press("Done")
            chat.press("4")
            chat.send("12")
            chat.send("31/01/2020")
            assert "Recommendation 125.14 (UPR)" in chat.send("1, 5")
            assert "What shows this?" in chat.press("Partially implemented")
            assert "Who may see" in chat.send(MARKER)
            chat.press("Anonymous")
            chat.press("Don't know")
            assert "That was the last question" in chat.send("skip")
            assert MARKER in chat.send("/review")
            # Someone forging an update without the secret, and a person who blocked the bot.
            forged = client.post(
                "/telegram/webhook", json=user.says("hello"), headers={SECRET_HEADER: "wrong"}
            )
            assert forged.status_code == 403
            fake.block(TELEGRAM_CHAT)
            chat.deliver(user.says("/status"))
    logs.assert_free_of(
        str(TELEGRAM_CHAT), "Zuleika", "zuleika_okb", TOKEN, TOKEN.split(":")[1], WEBHOOK_SECRET
    )
    assert logs.messages().count("telegram update handled") >= 17
    assert "POST /telegram/webhook 403" in logs.messages()


def test_a_slack_conversation_logs_nothing_personal(database, logs):
    logs.start()
    open_round(database, now=utcnow())
    _known_as(database, Platform.SLACK, SLACK_USER)
    fake = FakeSlack(users={SLACK_USER: SlackUser(locale="en-GB", name="zuleika.okonkwo")})
    try:
        with serving(database, fake, secret_key=SECRET_KEY) as slack:
            assert slack.command(SLACK_USER, "join TEST01").status_code == 200
            slack.reply(SLACK_USER, "Do you agree to take part?")
            slack.press(SLACK_USER, "I agree")
            slack.reply(SLACK_USER, "Have you followed these recommendations?")
            slack.press(SLACK_USER, "Yes")
            slack.reply(SLACK_USER, "Which sector do you work in?")
            slack.press(SLACK_USER, "Education")
            slack.reply(SLACK_USER, "Which topics did you follow?")
            slack.tick_and_finish(SLACK_USER, ["Laws", "Data"])
            slack.reply(SLACK_USER, "How satisfied are you with the follow-up?")
            slack.press(SLACK_USER, "4")
            slack.reply(SLACK_USER, "How many staff")
            slack.write(SLACK_USER, "12")
            slack.reply(SLACK_USER, "Since when have you worked on this?")
            slack.write(SLACK_USER, "31/01/2020")
            slack.reply(SLACK_USER, "Which of these recommendations do you know about?")
            slack.write(SLACK_USER, "1, 5")
            slack.reply(SLACK_USER, "Recommendation 125.14 (UPR)")
            slack.press(SLACK_USER, "Partially implemented")
            slack.reply(SLACK_USER, "What shows this?")
            slack.write(SLACK_USER, MARKER)
            slack.reply(SLACK_USER, "Who may see that this answer came from you?")
            slack.press(SLACK_USER, "Anonymous")
            slack.reply(SLACK_USER, "How far is it implemented?")
            slack.press(SLACK_USER, "Don't know")
            slack.reply(SLACK_USER, "Anything else?")
            slack.write(SLACK_USER, "skip")
            slack.reply(SLACK_USER, "That was the last question")
            slack.command(SLACK_USER, "review")
            assert MARKER in slack.reply(SLACK_USER, "Your answers")["text"]
            # A request signed with another secret is refused, and the refusal is logged.
            body = json.dumps(envelope(message_event(SLACK_USER, MARKER))).encode()
            headers = signed_headers(body, "application/json", secret="not-the-signing-secret")
            refused = slack.client.post("/slack/events", content=body, headers=headers)
            assert refused.status_code == 401
    finally:
        fake.close()
    logs.assert_free_of(SLACK_USER, dm_of(SLACK_USER), "zuleika.okonkwo", BOT_TOKEN, SIGNING_SECRET)
    assert "refused a Slack request: X-Slack-Signature does not match" in logs.messages()


def test_a_webhook_conversation_logs_nothing_personal(database, logs):
    logs.start()
    open_round(database, now=utcnow())
    _known_as(database, Platform.WEBHOOK, PHONE)
    secret = webhook_gateway.SECRET
    settings = Settings(
        database_url=database.url,
        pseudonym_key=PSEUDONYM_KEY.decode(),
        secret_key=SECRET_KEY,
        webhook_secret=secret,
    )
    said = [MARKER if "free registration law" in sent else sent for sent, _ in FULL_RUN]
    with TestClient(create_app(settings, database=database)) as client:
        last = ""
        for n, text in enumerate([*said, "review"], start=1):
            body = json.dumps({"sender": PHONE, "text": text, "message_id": f"sms-{n}"}).encode()
            response = client.post(
                "/webhook/inbound",
                content=body,
                headers=webhook_gateway.signed_headers(body, f"gw-{n}"),
            )
            assert response.status_code == 200, response.text
            last = "\n".join(r["text"] for r in response.json()["replies"])
        assert MARKER in last
        body = json.dumps({"sender": PHONE, "text": "hi", "message_id": "sms-x"}).encode()
        forged = client.post(
            "/webhook/inbound",
            content=body,
            headers=webhook_gateway.signed_headers(body, "gw-x", secret="whsec_" + "A" * 44),
        )
        assert forged.status_code == 401
    logs.assert_free_of(PHONE, PHONE.removeprefix("+"), secret, secret.removeprefix("whsec_"))
    assert "webhook request refused: no signature matches" in logs.messages()


def test_a_web_conversation_logs_nothing_personal(database, logs):
    logs.start()
    open_round(database, code=web_pages.CODE, now=utcnow())
    settings = web_pages._settings(database, secret_key=SECRET_KEY)
    with TestClient(create_app(settings, database=database)) as client:
        page = web_pages.start(client)
        key = page.key
        page = web_pages.answer(client, page, "I agree")
        page = web_pages.answer(client, page, "Yes")
        page = web_pages.answer(client, page, "Justice")
        page = web_pages.answer(client, page, labels=("Laws", "Data"))
        page = web_pages.answer(client, page, "4")
        page = web_pages.answer(client, page, text="12")
        page = web_pages.answer(client, page, text="2026-03-31")
        first, second = page.texts("//div[@class='choice']/label")[:2]
        page = web_pages.answer(client, page, labels=(first, second))
        page = web_pages.answer(client, page, "In progress")
        assert page.legend == "What shows this?"
        page = web_pages.answer(client, page, text=MARKER)
        page = web_pages.answer(client, page, "Anonymous")
        page = web_pages.answer(client, page, "Don't know")
        page = web_pages.submit(client, page, "skip")
        assert page.notices[0].startswith("That was the last question.")
        # The private link opened again, and a forged form refused.
        assert web_pages.Page(client.get(page.path)).status == 200
        forged = {"action": "answer", "form_token": "forged", "answer": MARKER}
        assert client.post(page.path, data=forged).status_code == 403
    logs.assert_free_of(key, web.sender_id(key), web_pages.SECRET)
    assert f"POST /take/{web_pages.CODE}/[redacted] 403" in logs.messages()

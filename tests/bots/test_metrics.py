"""/metrics as Prometheus scrapes it, and the outbox figures the dashboard shares with it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bots.api.app import create_app
from bots.dispatcher import Dispatcher
from bots.metrics import Metrics
from bots.senders import TelegramSender
from bots.telegram_bot import make_bot
from bots.worker import run_worker
from core import outbox, people
from core.config import Settings
from core.db import Database
from core.messages import OutboundMessage
from core.models import Answer, OutboxMessage, OutboxStatus, utcnow
from core.ratelimit import telegram_limits
from core.vocabulary import Platform
from tests.bots.test_dashboard import SECRET as DASHBOARD_SECRET
from tests.bots.test_dashboard import _token, sign_in
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.fakes.telegram_api import (
    SECRET_HEADER,
    TOKEN,
    WEBHOOK_SECRET,
    FakeTelegram,
    TelegramChat,
    TelegramUser,
    telegram_settings,
)
from tests.fakes.webhook_gateway import SECRET as WEBHOOK_SIGNING_SECRET
from tests.fakes.webhook_gateway import signed_headers

AMINA = 284_610_392
PHONE = "+15550001"
FROZEN = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> tuple[str, Samples]:
    """The exposition text and every sample by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the labelled child was never touched."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def inbound(samples: Samples, channel: str, outcome: str) -> float:
    return value(samples, "consulta_inbound_deliveries_total", channel=channel, outcome=outcome)


def answer_rows(database: Database) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count(Answer.id))) or 0)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as api:
        yield api


@pytest.fixture
def app_settings(database: Database, fake: FakeTelegram) -> Settings:
    return telegram_settings(database, fake, webhook_secret=WEBHOOK_SIGNING_SECRET)


@pytest.fixture
def client(database: Database, app_settings: Settings) -> Iterator[TestClient]:
    open_round(database, now=utcnow())
    with TestClient(create_app(app_settings, database=database)) as test_client:
        yield test_client


# --- inbound ----------------------------------------------------------------------------------


def test_telegram_updates_count_as_accepted_duplicate_and_refused(client, database, fake):
    amina = TelegramChat(client, fake, TelegramUser(id=AMINA))
    update = amina.user.says("/start TEST01")
    assert amina.deliver(update).status_code == 200
    assert amina.deliver(update).status_code == 200  # Telegram delivers it again
    wrong = client.post(
        "/telegram/webhook", json=amina.user.says("hello"), headers={SECRET_HEADER: "wrong"}
    )
    assert wrong.status_code == 403
    not_json = client.post(
        "/telegram/webhook", content=b"{", headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert not_json.status_code == 400
    amina.press("I agree")
    amina.press("No")

    text, samples = scrape(client)
    assert inbound(samples, "telegram", "accepted") == 3
    assert inbound(samples, "telegram", "duplicate") == 1
    assert inbound(samples, "telegram", "refused") == 2
    assert answer_rows(database) >= 1
    assert value(samples, "consulta_answers_stored_total") == answer_rows(database)
    # Every reply went out at once through the express dispatcher, each send timed.
    sends = len(fake.calls_to("sendMessage"))
    assert sends >= 3
    assert value(samples, "consulta_send_duration_seconds_count", platform="telegram") == sends
    # Aggregates only: no chat id, sender, token or secret.
    for private in (str(AMINA), TOKEN, WEBHOOK_SECRET, "TEST01", "Amina", "amina_d"):
        assert private not in text


def post(client: TestClient, payload: dict[str, str], message_id: str, **headers: str):
    body = json.dumps(payload).encode()
    return client.post(
        "/webhook/inbound", content=body, headers=signed_headers(body, message_id) | headers
    )


def test_webhook_messages_count_as_accepted_duplicate_and_refused(client, database):
    message = {"sender": PHONE, "text": "TEST01", "message_id": "sms-1"}
    assert post(client, message, "w1").status_code == 200
    assert post(client, message, "w1").status_code == 200  # the gateway retried
    forged = post(client, message, "w2", **{"webhook-signature": "v1,AAAA"})
    assert forged.status_code == 401
    text, samples = scrape(client)
    assert inbound(samples, "webhook", "accepted") == 1
    assert inbound(samples, "webhook", "duplicate") == 1
    assert inbound(samples, "webhook", "refused") == 1
    assert inbound(samples, "telegram", "accepted") == 0
    assert PHONE not in text and "sms-1" not in text


def test_a_body_over_the_limit_counts_as_refused_for_its_channel(client):
    too_big = b"x" * (1024 * 1024 + 1)
    response = client.post(
        "/telegram/webhook", content=too_big, headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert response.status_code == 413
    _, samples = scrape(client)
    assert inbound(samples, "telegram", "refused") == 1


# --- the outbox -------------------------------------------------------------------------------


def queue(
    database: Database, recipient: str, platform: Platform, queued_at: datetime
) -> OutboxMessage:
    with database.unit_of_work() as session:
        person, _ = people.participant_for_identity(
            session, pseudonym_key=PSEUDONYM_KEY, platform=platform, external_id=recipient
        )
        row = outbox.enqueue(session, person, platform, OutboundMessage("Hello"), now=queued_at)
        assert row is not None
        return row


def test_outbox_depth_and_oldest_age_per_platform_are_read_at_scrape_time(client, database):
    client.app.state.metrics.clock = lambda: FROZEN
    queue(database, "tg-chat-111", Platform.TELEGRAM, FROZEN - timedelta(seconds=90))
    queue(database, "tg-chat-222", Platform.TELEGRAM, FROZEN - timedelta(seconds=30))
    queue(database, "U0SLACK", Platform.SLACK, FROZEN - timedelta(seconds=5))
    sent = queue(database, "tg-chat-333", Platform.TELEGRAM, FROZEN - timedelta(hours=5))
    with database.unit_of_work() as session:
        session.get_one(OutboxMessage, sent.id).status = OutboxStatus.SENT

    text, samples = scrape(client)
    assert value(samples, "consulta_outbox_depth", platform="telegram") == 2
    assert value(samples, "consulta_outbox_depth", platform="slack") == 1
    assert value(samples, "consulta_outbox_oldest_age_seconds", platform="telegram") == 90
    assert value(samples, "consulta_outbox_oldest_age_seconds", platform="slack") == 5
    assert ("consulta_outbox_depth", frozenset({("platform", "webhook")})) not in samples
    for recipient in ("tg-chat-111", "tg-chat-222", "U0SLACK"):
        assert recipient not in text


def test_the_dispatcher_times_sends_and_counts_429s_dead_letters_and_possible_doubles(
    client, database, fake, app_settings
):
    metrics: Metrics = client.app.state.metrics
    now = utcnow()
    for recipient in ("1001", "1002"):
        queue(database, recipient, Platform.TELEGRAM, now)

    async def dispatch() -> None:
        bot = make_bot(app_settings)
        await bot.initialize()
        try:
            dispatcher = Dispatcher(
                database,
                {Platform.TELEGRAM: TelegramSender(bot)},
                {Platform.TELEGRAM: telegram_limits()},
                metrics=metrics,
            )
            assert await dispatcher.run_once() == 2
            # A 429 is counted and the message stays pending.
            fake.rate_limit(3)
            queue(database, "1003", Platform.TELEGRAM, utcnow())
            assert await dispatcher.run_once() == 0
            fake.rate_limit(None)
            # A person who blocked the bot: their message goes to the dead letters.
            fake.block(1004)
            queue(database, "1004", Platform.TELEGRAM, utcnow())
            with database.unit_of_work() as session:
                waiting = session.scalars(
                    select(OutboxMessage).where(OutboxMessage.recipient == "1003")
                ).one()
                waiting.next_attempt_at = utcnow() + timedelta(hours=1)
            assert await dispatcher.run_once() == 0
            # A row whose lease ran out mid-send is sent again: it may have gone twice.
            lost = queue(database, "1005", Platform.TELEGRAM, utcnow())
            with database.unit_of_work() as session:
                row = session.get_one(OutboxMessage, lost.id)
                row.status = OutboxStatus.SENDING
                row.lease_until = utcnow() - timedelta(seconds=1)
            assert await dispatcher.run_once() == 1
        finally:
            await bot.shutdown()

    asyncio.run(dispatch())
    _, samples = scrape(client)
    assert value(samples, "consulta_send_duration_seconds_count", platform="telegram") == 5
    assert value(samples, "consulta_send_rate_limited_total", platform="telegram") == 1
    assert value(samples, "consulta_dead_letters_total", platform="telegram") == 1
    assert value(samples, "consulta_possible_double_sends_total", platform="telegram") == 1
    assert value(samples, "consulta_send_duration_seconds_sum", platform="telegram") > 0


# --- the scheduler ----------------------------------------------------------------------------


def test_each_scheduler_tick_is_counted_with_its_time(client, database):
    metrics: Metrics = client.app.state.metrics
    metrics.clock = lambda: FROZEN

    async def one_tick() -> None:
        stop = asyncio.Event()
        await asyncio.wait_for(
            run_worker(
                database,
                None,
                stop,
                tick_seconds=3600,
                ticked=lambda _: stop.set(),
                metrics=metrics,
            ),
            timeout=30,
        )

    asyncio.run(one_tick())
    _, samples = scrape(client)
    assert value(samples, "consulta_scheduler_ticks_total") == 1
    assert value(samples, "consulta_scheduler_last_tick_timestamp_seconds") == FROZEN.timestamp()


# --- switched off -----------------------------------------------------------------------------


def test_with_metrics_off_the_route_is_404_and_nothing_is_counted(database, fake, monkeypatch):
    monkeypatch.setenv("CONSULTA_METRICS", "off")
    settings = telegram_settings(database, fake)
    assert settings.metrics is False
    open_round(database, now=utcnow())
    app = create_app(settings, database=database)
    with TestClient(app) as test_client:
        amina = TelegramChat(test_client, fake, TelegramUser(id=AMINA))
        assert "Do you agree to take part?" in amina.send("/start TEST01")
        assert test_client.get("/metrics").status_code == 404
    assert app.state.metrics.enabled is False
    assert list(app.state.metrics.registry.collect()) == []


# --- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_outbox_page_shows_depth_and_oldest_age(database):
    settings = Settings(
        database_url=database.url, pseudonym_key=PSEUDONYM_KEY.decode(), secret_key=DASHBOARD_SECRET
    )
    queue(database, "111", Platform.TELEGRAM, utcnow() - timedelta(seconds=600))
    queue(database, "222", Platform.TELEGRAM, utcnow() - timedelta(seconds=60))
    queue(database, "333", Platform.WEBHOOK, utcnow() - timedelta(seconds=120))
    plaintext, _ = _token(database)
    with TestClient(create_app(settings, database=database)) as test_client:
        assert sign_in(test_client, plaintext).status_code == 303
        page = test_client.get("/dashboard/outbox").text
    assert "Waiting to be sent" in page
    telegram_row = page.split('<tr><th scope="row">telegram</th><td class="num">2</td>')[1]
    shown_age = int(telegram_row.split('<td class="num">')[1].split("<")[0].replace(",", ""))
    assert 600 <= shown_age < 660
    assert '<tr><th scope="row">webhook</th><td class="num">1</td>' in page
    for recipient in ("111", "222", "333"):
        assert f">{recipient}<" not in page

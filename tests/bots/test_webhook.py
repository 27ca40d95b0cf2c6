"""The signed JSON webhook, as an SMS gateway or a web form would use it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bots.api.app import create_app
from bots.dispatcher import Dispatcher
from bots.senders import WebhookSender
from core import outbox, people
from core.config import Settings
from core.messages import OutboundMessage
from core.models import Answer, OutboxMessage, OutboxStatus, utcnow
from core.ratelimit import webhook_limits
from core.vocabulary import Platform
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.fakes.webhook_gateway import SECRET, Receiver, signed_headers


@pytest.fixture
def settings(database):
    return Settings(
        database_url=database.url, pseudonym_key=PSEUDONYM_KEY.decode(), webhook_secret=SECRET
    )


@pytest.fixture
def client(database, settings):
    open_round(database, code="HOOK01", now=utcnow())
    with TestClient(create_app(settings, database=database)) as test_client:
        yield test_client


def post(client, payload, message_id, **header_overrides):
    body = json.dumps(payload).encode()
    headers = signed_headers(body, message_id) | header_overrides
    return client.post("/webhook/inbound", content=body, headers=headers)


def answers(database):
    with database.unit_of_work() as session:
        return session.scalar(select(func.count(Answer.id)))


def test_signed_messages_take_a_participant_through_the_round(client, database):
    first = post(client, {"sender": "+15550001", "text": "HOOK01", "message_id": "sms-1"}, "w1")
    assert first.status_code == 200
    consent = first.json()["replies"][0]
    assert "Do you agree" in consent["text"]
    assert [o["label"] for o in consent["options"]] == ["I agree", "No, thank you"]
    agreed = post(
        client,
        {"sender": "+15550001", "choice": consent["options"][0]["id"], "message_id": "sms-2"},
        "w2",
    ).json()["replies"]
    assert "Have you followed" in agreed[-1]["text"] and agreed[-1]["expect"] == "choice"
    post(client, {"sender": "+15550001", "text": "yes", "message_id": "sms-3"}, "w3")
    assert answers(database) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-signature": "v1,AAAA"}, "no signature matches"),
        ({"webhook-signature": ""}, "missing"),
        ({"webhook-timestamp": str(int(time.time()) - 3600)}, "5 minutes"),
        ({"webhook-timestamp": "yesterday"}, "not a number"),
    ],
)
def test_unsigned_forged_or_stale_requests_are_refused(client, database, change, reason):
    response = post(client, {"sender": "x", "text": "HOOK01", "message_id": "m"}, "w9", **change)
    assert response.status_code == 401 and reason in response.json()["detail"]
    assert answers(database) == 0


def test_a_signature_made_with_another_key_is_refused(client):
    body = b'{"sender": "x", "text": "HOOK01", "message_id": "m"}'
    other = "whsec_" + "b3RoZXIta2V5LW90aGVyLWtleQ=="
    response = client.post(
        "/webhook/inbound", content=body, headers=signed_headers(body, "w10", secret=other)
    )
    assert response.status_code == 401


def test_bad_bodies_are_named(client):
    body = b"{not json"
    assert (
        client.post(
            "/webhook/inbound", content=body, headers=signed_headers(body, "w11")
        ).status_code
        == 400
    )
    missing = post(client, {"text": "hi"}, "w12")
    assert missing.status_code == 422
    assert {tuple(p["loc"]) for p in missing.json()["detail"]} == {("sender",), ("message_id",)}
    empty = post(client, {"sender": "a", "message_id": "m"}, "w13")
    assert empty.status_code == 422 and "text or choice" in empty.json()["detail"]
    big = b"x" * (1024 * 1024 + 10)
    assert (
        client.post("/webhook/inbound", content=big, headers=signed_headers(big, "w14")).status_code
        == 413
    )


def test_a_redelivered_webhook_id_has_no_second_effect(client, database):
    post(client, {"sender": "+1", "text": "HOOK01", "message_id": "a"}, "d1")
    post(client, {"sender": "+1", "text": "1", "message_id": "b"}, "d2")
    once = post(client, {"sender": "+1", "text": "yes", "message_id": "c"}, "d3")
    again = post(client, {"sender": "+1", "text": "yes", "message_id": "c"}, "d3")
    assert once.json()["replies"] and again.json() == {"replies": []}
    assert answers(database) == 1


def test_not_configured_is_503(database):
    bare = Settings(database_url=database.url, pseudonym_key=PSEUDONYM_KEY.decode())
    with TestClient(create_app(bare, database=database)) as test_client:
        response = post(test_client, {"sender": "x", "text": "hi", "message_id": "m"}, "w")
    assert response.status_code == 503


def test_queued_messages_can_be_pulled_with_a_signed_request(client, database):
    post(client, {"sender": "+2", "text": "HOOK01", "message_id": "a"}, "p1")
    with database.unit_of_work() as session:
        person, _ = people.participant_for_identity(
            session, pseudonym_key=PSEUDONYM_KEY, platform=Platform.WEBHOOK, external_id="+2"
        )
        for n in (1, 2):
            outbox.enqueue(
                session,
                person,
                Platform.WEBHOOK,
                OutboundMessage(f"Reminder {n}: HOOK01 closes soon."),
            )
    assert client.get("/webhook/messages").status_code == 401
    pulled = client.get("/webhook/messages", headers=signed_headers(b"", "pull-1")).json()
    assert [m["message"]["text"] for m in pulled["messages"]] == [
        "Reminder 1: HOOK01 closes soon.",
        "Reminder 2: HOOK01 closes soon.",
    ]
    assert pulled["messages"][0]["recipient"] == "+2"
    later = client.get(
        f"/webhook/messages?after={pulled['next_after']}", headers=signed_headers(b"", "pull-2")
    ).json()
    assert later == {"messages": [], "next_after": pulled["next_after"]}


def test_queued_messages_are_pushed_signed_to_the_outbound_url(database, settings):
    open_round(database, code="HOOK02", now=utcnow())
    with database.unit_of_work() as session:
        person, _ = people.participant_for_identity(
            session, pseudonym_key=PSEUDONYM_KEY, platform=Platform.WEBHOOK, external_id="+3"
        )
        outbox.enqueue(session, person, Platform.WEBHOOK, OutboundMessage("First"))
        outbox.enqueue(session, person, Platform.WEBHOOK, OutboundMessage("Second"))
    clock = [utcnow()]

    async def push(receiver_url: str) -> int:
        async with httpx.AsyncClient() as http:
            sender = WebhookSender(http, receiver_url, SECRET)
            work = Dispatcher(
                database,
                {Platform.WEBHOOK: sender},
                {Platform.WEBHOOK: webhook_limits()},
                clock=lambda: clock[0],
            )
            return await work.run_once()

    with Receiver(fail_first=1) as receiver:
        assert asyncio.run(push(receiver.url)) == 0  # the receiver is down: both kept
        clock[0] += timedelta(minutes=5)
        assert asyncio.run(push(receiver.url)) == 2
        assert [m["message"]["text"] for m in receiver.received] == ["First", "Second"]
        assert receiver.received[0]["recipient"] == "+3" and receiver.refused == 0
    with database.unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.status, r.attempts) for r in rows] == [
            (OutboxStatus.SENT, 2),
            (OutboxStatus.SENT, 1),
        ]


def test_logs_of_a_webhook_conversation_hold_nothing_personal(client, caplog):
    caplog.set_level(logging.DEBUG)
    post(client, {"sender": "+15557654321", "text": "HOOK01", "message_id": "l1"}, "l1")
    post(client, {"sender": "+15557654321", "text": "1", "message_id": "l2"}, "l2")
    post(
        client,
        {"sender": "+15557654321", "text": "My very private opinion", "message_id": "l3"},
        "l3",
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "+15557654321" not in logged and "private opinion" not in logged
    assert SECRET not in logged

"""The Slack channel as Slack meets it: signed requests into the app, Web API calls out."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from adapters import slack as adapter
from bots.api.app import create_app
from bots.dispatcher import Dispatcher, SendResult
from bots.slack_bot import SlackSender, run_socket_mode
from core.config import ConfigError, Settings
from core.db import Database
from core.i18n import translate
from core.logs import NOISY_LOGGERS
from core.messages import Expect, Option, OutboundMessage
from core.models import (
    Answer,
    Conversation,
    ConversationStatus,
    Delivery,
    OutboxMessage,
    OutboxStatus,
    Participant,
    PlatformIdentity,
    utcnow,
)
from core.outbox import Outcome
from core.ratelimit import slack_limits
from core.rounds import Audience
from core.vocabulary import Platform, Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.fakes.slack_api import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    SlackUser,
    Workspace,
    block_actions,
    controls,
    dm_of,
    edit_event,
    envelope,
    message_event,
    next_ts,
    sign,
)

PERSON = "U0PERSON1"
DM = dm_of(PERSON)


def slack_settings(database: Database, fake: FakeSlack, **changes: object) -> Settings:
    """Settings with Slack configured against the fake."""
    values: dict[str, object] = {
        "database_url": database.url,
        "pseudonym_key": PSEUDONYM_KEY.decode(),
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.base_url,
        **changes,
    }
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def serving(database: Database, fake: FakeSlack, **changes: object) -> Iterator[Workspace]:
    """The app running; leaving the block waits for every reply still being posted."""
    app = create_app(slack_settings(database, fake, **changes), database=database)
    with TestClient(app) as client:
        yield Workspace(client, fake)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(users={PERSON: SlackUser(locale="en-US")})
    yield server
    server.close()


@pytest.fixture
def consultation(database: Database) -> Database:
    open_round(database, now=utcnow())
    return database


def count(database: Database, model: type) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def texts(posted: list[dict]) -> str:
    return "\n".join(m["text"] for m in posted)


def labels(message: dict) -> list[str]:
    found = []
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if "text" in element and isinstance(element["text"], dict):
                found.append(element["text"]["text"])
            found.extend(o["text"]["text"] for o in element.get("options") or [])
    return found


# --- signatures --------------------------------------------------------------------------------


def _unsigned(body: bytes) -> dict[str, dict[str, str]]:
    now = int(time.time())
    good = sign(body, now)
    json_type = {"Content-Type": "application/json"}
    return {
        "no timestamp": {**json_type, "X-Slack-Signature": good},
        "stale timestamp": {
            **json_type,
            "X-Slack-Request-Timestamp": str(now - 301),
            "X-Slack-Signature": sign(body, now - 301),
        },
        "future timestamp": {
            **json_type,
            "X-Slack-Request-Timestamp": str(now + 400),
            "X-Slack-Signature": sign(body, now + 400),
        },
        "non-numeric timestamp": {
            **json_type,
            "X-Slack-Request-Timestamp": "yesterday",
            "X-Slack-Signature": good,
        },
        "decimal timestamp": {
            **json_type,
            "X-Slack-Request-Timestamp": f"{now}.5",
            "X-Slack-Signature": good,
        },
        "no signature": {**json_type, "X-Slack-Request-Timestamp": str(now)},
        "wrong secret": {
            **json_type,
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(body, now, "another-secret"),
        },
        "signature of another body": {
            **json_type,
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(body + b" ", now),
        },
    }


@pytest.mark.parametrize(
    "case",
    [
        "no timestamp",
        "stale timestamp",
        "future timestamp",
        "non-numeric timestamp",
        "decimal timestamp",
        "no signature",
        "wrong secret",
        "signature of another body",
    ],
)
def test_requests_not_signed_by_slack_are_refused(consultation, fake, case):
    body = json.dumps(envelope(message_event(PERSON, "join TEST01"))).encode()
    with serving(consultation, fake) as slack:
        response = slack.client.post("/slack/events", content=body, headers=_unsigned(body)[case])
    assert response.status_code == 401, response.text
    assert count(consultation, Delivery) == 0 and count(consultation, PlatformIdentity) == 0
    assert fake.received() == []


def test_without_slack_settings_the_route_is_unavailable(consultation, fake):
    with serving(consultation, fake, slack_bot_token=None) as slack:
        response = slack.write(PERSON, "help")
    assert response.status_code == 503 and "CONSULTA_SLACK_BOT_TOKEN" in response.json()["detail"]


def test_a_body_over_one_mebibyte_is_refused_before_it_is_read(consultation, fake):
    body = json.dumps(envelope(message_event(PERSON, "x" * (1024 * 1024)))).encode()
    with serving(consultation, fake) as slack:
        response = slack.post(body, "application/json")
    assert response.status_code == 413
    assert fake.received() == [] and count(consultation, Delivery) == 0


def test_url_verification_answers_the_challenge(consultation, fake):
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    with serving(consultation, fake) as slack:
        response = slack.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


# --- deliveries --------------------------------------------------------------------------------


def test_a_redelivered_event_is_answered_once(consultation, fake):
    event = message_event(PERSON, "help")
    with serving(consultation, fake) as slack:
        first = slack.send_event(event, "Ev0DUPLICATE")
        again = slack.send_event(
            event,
            "Ev0DUPLICATE",
            **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        )
        fake.wait_for_posts(1, DM)
    assert first.status_code == 200 and again.status_code == 200
    posted = fake.posted(DM)
    assert len(posted) == 1 and "What you can send" in posted[0]["text"]
    assert count(consultation, Delivery) == 1
    # A DM event names its channel: there was no need to open one.
    assert fake.received("conversations.open") == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_home_opened", "user": PERSON, "channel": DM, "tab": "messages"},
        {
            "type": "reaction_added",
            "user": PERSON,
            "reaction": "thumbsup",
            "item": {"type": "message", "channel": DM, "ts": "1.2"},
        },
        {"type": "member_joined_channel", "user": PERSON, "channel": "C0GENERAL"},
        # The bot's own reply, which Slack echoes back as a message in the DM.
        {**message_event(BOT_USER_ID, "What you can send"), "bot_id": BOT_ID, "channel": DM},
        {**message_event(PERSON, "hi"), "subtype": "bot_message", "bot_id": "B0OTHER"},
    ],
)
def test_events_with_no_work_are_acknowledged_not_refused(consultation, fake, event):
    with serving(consultation, fake) as slack:
        response = slack.send_event(event)
    assert response.status_code == 200
    assert [c.method for c in fake.received()] in ([], ["auth.test"])
    assert count(consultation, PlatformIdentity) == 0 and count(consultation, Delivery) == 0


def test_interactions_with_no_work_are_acknowledged(consultation, fake):
    submission = {
        "type": "view_submission",
        "team": {"id": "T0CONSULTA", "domain": "consulta-test"},
        "user": {"id": PERSON, "name": "member", "team_id": "T0CONSULTA"},
        "api_app_id": "A0CONSULTA",
        "token": "legacy",
        "trigger_id": "1.2.t3",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "future-form",
            "state": {"values": {}},
        },
    }
    closed = {**submission, "type": "view_closed", "is_cleared": False}
    with serving(consultation, fake) as slack:
        assert slack.interact(submission).status_code == 200
        assert slack.interact(closed).status_code == 200
        assert slack.command(PERSON, "anything", command="/another-apps-command").status_code == 200
    assert fake.posted() == [] and fake.received("views.publish") == []
    assert count(consultation, PlatformIdentity) == 0


def test_the_home_tab_lists_the_rounds_open_to_the_person_without_registering_them(
    consultation, fake
):
    invited = Audience(invited_only=True, roles=(Role.GOVERNMENT,))
    open_round(consultation, code="GOV001", audience=invited)
    home = {"type": "app_home_opened", "user": PERSON, "channel": DM, "tab": "home"}
    with serving(consultation, fake) as slack:
        response = slack.send_event(home)
        fake.wait_for(lambda calls: any(c.method == "views.publish" for c in calls))
    assert response.status_code == 200
    (published,) = fake.received("views.publish")
    assert published.params["user_id"] == PERSON
    shown = json.dumps(published.params["view"])
    assert "Mid-term check" in shown and "/consult join TEST01" in shown
    # A newcomer would join as civil society, whom the government-only round does not admit.
    assert "GOV001" not in shown
    assert count(consultation, PlatformIdentity) == 0


def test_the_home_tab_language_menu_is_the_persons_own_choice(consultation, fake):
    # Slack says the person reads French; they pick Russian on the App Home, then English.
    fake.users[PERSON] = SlackUser(locale="fr-FR", tz="Europe/Paris")
    with serving(consultation, fake) as slack:
        slack.send_event({"type": "app_home_opened", "user": PERSON, "channel": DM, "tab": "home"})
        fake.wait_for(lambda calls: any(c.method == "views.publish" for c in calls))
        (first,) = fake.received("views.publish")
        assert first.params["view"]["blocks"][0]["text"]["text"] == translate(
            "fr", "Consultations open to you"
        )
        picked = {
            "type": "static_select",
            "action_id": adapter.LANGUAGE_ACTION,
            "block_id": adapter.LANGUAGE_ACTION,
            "selected_option": {"text": {"type": "plain_text", "text": "Русский"}, "value": "ru"},
            "action_ts": "1700000001.000100",
        }
        payload = block_actions(PERSON, picked, {"text": ""})
        payload["container"] = {"type": "view", "view_id": "V0HOME"}
        assert slack.interact(payload).status_code == 200
        slack.reply(PERSON, translate("ru", "Language changed."))
        fake.wait_for(lambda calls: sum(c.method == "views.publish" for c in calls) == 2)
        second = fake.received("views.publish")[1]
        assert second.params["view"]["blocks"][0]["text"]["text"] == translate(
            "ru", "Consultations open to you"
        )
        with consultation.unit_of_work() as session:
            person = session.scalars(select(Participant)).one()
            assert (person.language, person.language_chosen) == ("ru", True)
        # The round speaks English and French only: a chosen English outranks Slack's French.
        picked["selected_option"] = {"text": {"type": "plain_text", "text": "En"}, "value": "en"}
        picked["action_ts"] = "1700000002.000100"
        again = block_actions(PERSON, picked, {"text": ""})
        again["container"] = {"type": "view", "view_id": "V0HOME"}
        slack.interact(again)
        slack.reply(PERSON, "Language changed.")
        slack.command(PERSON, "join TEST01")
        slack.reply(PERSON, "Welcome to “Mid-term check”.")


def test_socket_mode_needs_the_app_token(consultation, fake):
    settings = slack_settings(consultation, fake)
    with pytest.raises(ConfigError, match="CONSULTA_SLACK_APP_TOKEN"):
        asyncio.run(run_socket_mode(settings, consultation))


def test_a_channel_message_gets_a_pointer_to_the_dm_and_nothing_is_stored(consultation, fake):
    in_channel = message_event(PERSON, "TEST01 yes", channel="C0GENERAL", channel_type="channel")
    mention = {
        "type": "app_mention",
        "user": PERSON,
        "text": "<@U0BOTUSER> TEST01",
        "ts": in_channel["ts"],
        "channel": "C0GENERAL",
        "event_ts": in_channel["ts"],
    }
    with serving(consultation, fake) as slack:
        assert slack.send_event(in_channel).status_code == 200
        assert slack.send_event(mention).status_code == 200
    posted = fake.posted()
    # The mention is the same message again: one pointer, in the DM, not in the channel.
    assert len(posted) == 1 and posted[0]["channel"] == DM
    assert "private chat" in posted[0]["text"]
    assert [c.params["users"] for c in fake.received("conversations.open")] == [PERSON]
    assert count(consultation, PlatformIdentity) == 0 and count(consultation, Answer) == 0


# --- a conversation ----------------------------------------------------------------------------


def _agree(slack: Workspace) -> None:
    slack.command(PERSON, "join TEST01")
    slack.reply(PERSON, "Do you agree to take part?")
    slack.press(PERSON, "I agree")
    slack.reply(PERSON, "Have you followed")


def test_the_consult_command_starts_the_round_in_the_dm(consultation, fake):
    with serving(consultation, fake) as slack:
        response = slack.command(PERSON, "join TEST01")
        consent = slack.reply(PERSON, "Do you agree to take part?")
    assert response.status_code == 200 and response.text == ""
    assert labels(consent) == ["I agree", "No, thank you"]
    assert [c.params["users"] for c in fake.received("conversations.open")] == [PERSON]
    with consultation.unit_of_work() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status is ConversationStatus.CONSENT
        assert conversation.channel.value == "slack"


def test_a_button_press_answers_and_the_next_question_follows(consultation, fake):
    with serving(consultation, fake) as slack:
        slack.command(PERSON, "join TEST01")
        slack.reply(PERSON, "Do you agree to take part?")
        assert slack.press(PERSON, "I agree").status_code == 200
        slack.reply(PERSON, "Let's begin")
        question = slack.reply(PERSON, "Have you followed")
        assert labels(question) == ["Yes", "No"]
        slack.press(PERSON, "Yes")
        slack.reply(PERSON, "Which sector")
    with consultation.unit_of_work() as session:
        answer = session.scalars(select(Answer)).one()
        assert (answer.question_id, answer.value, answer.channel.value) == (
            "involved",
            "yes",
            "slack",
        )


def test_a_button_of_an_answered_question_is_refused_and_the_question_asked_again(
    consultation, fake
):
    with serving(consultation, fake) as slack:
        slack.command(PERSON, "join TEST01")
        consent = slack.reply(PERSON, "Do you agree to take part?")
        slack.press(PERSON, "I agree")
        slack.reply(PERSON, "Have you followed")
        (old,) = [e for _, e in controls(consent) if e["text"]["text"] == "No, thank you"]
        action = {"type": "button", "action_id": old["action_id"], "value": old["value"]}
        slack.interact(block_actions(PERSON, action, consent))
        slack.reply(PERSON, "belongs to an earlier question")
        slack.reply(PERSON, "Have you followed")
    with consultation.unit_of_work() as session:
        assert session.scalars(select(Conversation)).one().status is ConversationStatus.ACTIVE


def test_an_edited_answer_becomes_a_new_version_and_the_person_is_told(consultation, fake):
    with serving(consultation, fake) as slack:
        _agree(slack)
        ts = next_ts()
        slack.write(PERSON, "yes", ts=ts)
        slack.reply(PERSON, "Which sector")
        slack.send_event(edit_event(PERSON, ts, old="yes", new="no"))
        slack.reply(PERSON, "it is now No")
        # A link preview changes the message too, but not the answer.
        unfurl = edit_event(PERSON, ts, old="no", new="no", unfurl=True)
        assert slack.send_event(unfurl).status_code == 200
        before = len(fake.posted(DM))
    assert len(fake.posted(DM)) == before
    with consultation.unit_of_work() as session:
        versions = session.scalars(select(Answer).order_by(Answer.version)).all()
        assert [(a.value, a.is_current) for a in versions] == [("yes", False), ("no", True)]


def test_ticking_checkboxes_then_done_answers_a_multiple_choice(consultation, fake):
    with serving(consultation, fake) as slack:
        _agree(slack)
        slack.press(PERSON, "Yes")
        slack.reply(PERSON, "Which sector")
        slack.press(PERSON, "Health")
        topics = slack.reply(PERSON, "Which topics")
        assert labels(topics) == ["Laws", "Budgets", "Data", "Done"]
        posts = len(fake.posted(DM))
        slack.tick_and_finish(PERSON, ["Laws", "Data"])
        slack.reply(PERSON, "How satisfied")
    # The ticks were acknowledged and answered nothing; Done answered once.
    assert len(fake.posted(DM)) == posts + 1
    with consultation.unit_of_work() as session:
        answer = session.scalars(select(Answer).where(Answer.question_id == "topics")).one()
        assert answer.value == ["law", "data"]


def test_the_locale_is_asked_once_and_sets_the_language(consultation, fake):
    fake.users[PERSON] = SlackUser(locale="fr-FR", tz="Europe/Paris")
    with serving(consultation, fake) as slack:
        slack.command(PERSON, "join TEST01")
        # The bot's own words come from the French catalog, the survey's from the survey.
        slack.reply(PERSON, translate("fr", "Welcome to “{title}”.").format(title="Mid-term check"))
        slack.press(PERSON, translate("fr", "I agree"))
        question = slack.reply(PERSON, "Avez-vous suivi ces recommandations ?")
        assert labels(question) == ["Oui", "Non"]
        slack.write(PERSON, "oui")
        slack.reply(PERSON, "Dans quel secteur travaillez-vous ?")
    (asked,) = fake.received("users.info")
    assert asked.params["user"] == PERSON
    assert str(asked.params["include_locale"]).lower() in ("1", "true")
    with consultation.unit_of_work() as session:
        assert session.scalars(select(Conversation)).one().language == "fr"


def test_a_rate_limited_reply_waits_in_the_outbox_for_the_dispatcher(consultation, fake):
    fake.rate_limit("chat.postMessage", times=1, retry_after=0)
    with serving(consultation, fake) as slack:
        slack.write(PERSON, "help")
        fake.wait_for(lambda calls: any(c.method == "chat.postMessage" for c in calls))
    assert [c.status for c in fake.received("chat.postMessage")] == [429]
    with consultation.unit_of_work() as session:
        [waiting] = session.scalars(select(OutboxMessage)).all()
        assert waiting.status is OutboxStatus.PENDING and waiting.attempts == 0

    async def dispatch() -> int:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url)
        work = Dispatcher(
            consultation, {Platform.SLACK: SlackSender(client)}, {Platform.SLACK: slack_limits()}
        )
        return await work.run_once()

    assert asyncio.run(dispatch()) == 1
    assert [c.status for c in fake.received("chat.postMessage")] == [429, 200]
    assert "What you can send" in fake.received("chat.postMessage")[-1].params["text"]


def test_a_person_who_left_the_workspace_is_no_longer_written_to(consultation, fake):
    with serving(consultation, fake) as slack:
        slack.write(PERSON, "help")
        slack.reply(PERSON, "What you can send")
        fake.fail("chat.postMessage", "user_disabled")
        slack.write(PERSON, "review")
    with consultation.unit_of_work() as session:
        assert session.scalars(select(PlatformIdentity)).one().reachable is False


def _send(fake: FakeSlack, recipient: str, message: OutboundMessage) -> SendResult:
    async def go() -> SendResult:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url)
        return await SlackSender(client).send(recipient, message)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("method", "error", "outcome"),
    [
        ("conversations.open", "user_not_found", Outcome.BLOCKED),
        ("chat.postMessage", "user_disabled", Outcome.BLOCKED),
        ("chat.postMessage", "channel_not_found", Outcome.REJECTED),
        ("chat.postMessage", "invalid_auth", Outcome.ERROR),
        ("chat.postMessage", "internal_error", Outcome.ERROR),
    ],
)
def test_the_sender_says_how_a_send_ended(fake, method, error, outcome):
    fake.fail(method, error)
    result = _send(fake, PERSON, OutboundMessage("Hello"))
    assert (result.outcome, result.error) == (outcome, error)


def test_the_sender_reports_slacks_retry_after(fake):
    fake.rate_limit("chat.postMessage", retry_after=7)
    result = _send(fake, PERSON, OutboundMessage("Hello"))
    assert (result.outcome, result.retry_after) == (Outcome.RETRY_AFTER, 7.0)


def test_blocks_slack_refuses_are_sent_again_as_numbered_text(fake):
    fake.fail("chat.postMessage", "invalid_blocks")
    options = (Option("3.1", "Yes"), Option("3.2", "No"))
    result = _send(fake, "D0PERSON1", OutboundMessage("Agree?", options, Expect.CHOICE))
    assert result.outcome is Outcome.SENT
    refused, plain = fake.received("chat.postMessage")
    assert refused.params["channel"] == plain.params["channel"] == "D0PERSON1"
    assert plain.params["text"] == "Agree?\n1. Yes\n2. No" and "blocks" not in plain.params
    # A conversation id needs no DM to be opened.
    assert fake.received("conversations.open") == []


def test_logs_hold_no_user_id_token_or_answer(consultation, fake, caplog):
    caplog.set_level(logging.DEBUG)
    # As configured in production: libraries that log payloads speak only of warnings.
    for name in NOISY_LOGGERS:
        caplog.set_level(logging.WARNING, logger=name)
    private = "Our shelter at 12 Rue Haute was raided"
    with serving(consultation, fake) as slack:
        _agree(slack)
        slack.press(PERSON, "No")
        slack.reply(PERSON, "Which sector")
        slack.press(PERSON, "Health")
        slack.reply(PERSON, "How many staff")
        slack.write(PERSON, "skip")
        slack.reply(PERSON, "Since when")
        slack.write(PERSON, "skip")
        slack.reply(PERSON, "Which of these recommendations")
        slack.write(PERSON, "1")
        slack.reply(PERSON, "How far is it implemented")
        slack.press(PERSON, "Partially implemented")
        slack.reply(PERSON, "What shows this?")
        slack.write(PERSON, private)
        slack.reply(PERSON, "Who may see")
        body = json.dumps(envelope(message_event(PERSON, private))).encode()
        forged = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        }
        assert slack.client.post("/slack/events", content=body, headers=forged).status_code == 401
    with consultation.unit_of_work() as session:
        assert private in session.scalars(select(Answer.text)).all()
    logged = caplog.text
    assert "refused a Slack request" in logged, "the checks below would prove nothing"
    for secret in (PERSON, DM, BOT_TOKEN, SIGNING_SECRET, private, "Rue Haute"):
        assert secret not in logged


def test_the_slack_profile_time_zone_becomes_the_participants(consultation, fake):
    with serving(consultation, fake) as slack:
        slack.write(PERSON, "help")
        slack.reply(PERSON, "What you can send")
    with consultation.unit_of_work() as session:
        identity = session.scalars(select(PlatformIdentity)).one()
        assert identity.participant.timezone == "Europe/London"

"""Slack wiring: a bolt app whose listeners send every payload through the one inbound path.

Each listener commits the inbound work before bolt answers Slack (process_before_response),
so a crash makes Slack deliver again instead of losing an answer. Replies are posted after
the answer, in the background, because Slack wants its answer within three seconds and
posting can be slow or rate-limited; one person's replies still go out in order.

SlackSender posts one neutral message to a person's DM; the replies use it, and so can the
outbox dispatcher, for which it is the Slack Sender.

Implementation updates come through a modal (see adapters.slack): `/consult update [REF]` and
the shortcut with callback_id "consulta_update" open it for verified government focal points
and NHRI staff, and its submission is stored in one transaction, its confirmation sent to the
author's DM through the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import ClientError
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import slack
from bots.dispatcher import Dispatcher, SendResult
from bots.inbound import receive, receive_and_queue
from bots.metrics import DISABLED, Metrics
from core import outbox
from core.clusters import find_cluster, list_entities
from core.config import ConfigError, Settings
from core.db import Database
from core.errors import ConsultaError, NotFound, PermissionDenied
from core.messages import InboundEvent, OutboundMessage
from core.models import Participant, PlatformIdentity, UpdateState, utcnow
from core.outbox import Outcome
from core.ratelimit import RateLimiter, slack_limits
from core.recommendations import find as find_recommendation
from core.rounds import admits, is_open, list_rounds
from core.updates import UpdateDraft, author_kind, post_update
from core.vocabulary import Platform, Role

log = logging.getLogger("consulta.slack")

# Someone chatting in a channel the bot is in is pointed to the DM once in this many seconds,
# not at every message (a mention also arrives as a channel message).
POINTER_INTERVAL = 600.0
# A reply waits out Slack's Retry-After up to this long, then tries again anyway.
MAX_RETRY_AFTER = 30.0
POST_ATTEMPTS = 3
# Errors after which the same message, as numbered plain text, still gets through.
BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long"})
# The person left the workspace, or cannot be written to: stop writing to them.
GONE_ERRORS = frozenset({"user_not_found", "user_disabled", "cannot_dm_bot", "is_archived"})
# Slack will never take this message or this call as it is.
REFUSED_ERRORS = frozenset(
    {
        *BLOCK_ERRORS,
        "channel_not_found",
        "not_in_channel",
        "no_text",
        "invalid_arguments",
        "messages_tab_disabled",
        "restricted_action",
    }
)
_UNKNOWN = object()


class SlackEventFailed(Exception):
    """Processing a Slack payload failed; the cause is logged by kind only, never by content."""


class SlackSender:
    """Posts neutral messages to Slack users' DMs, opening each DM once; never raises."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.dms: dict[str, str] = {}

    def remember_dm(self, user: str, channel: str) -> None:
        """Note the DM channel a payload from this user came from, saving a lookup."""
        self.dms[user] = channel

    async def send(self, recipient: str, message: OutboundMessage) -> SendResult:
        """Post the message (several when it is long) to a user's DM, or to a channel id."""
        try:
            channel = await self._channel(recipient)
            if channel is None:
                return SendResult(Outcome.ERROR, error="conversations.open gave no channel")
            for arguments in slack.render(message):
                try:
                    await self.client.chat_postMessage(channel=channel, **arguments)
                except SlackApiError as error:
                    if _code(error) not in BLOCK_ERRORS:
                        raise
                    # Whatever Slack found wrong in the blocks, the numbered text carries it.
                    for plain in slack.render_plain(message):
                        await self.client.chat_postMessage(channel=channel, **plain)
                    return SendResult(Outcome.SENT)
        except SlackApiError as error:
            return _result(error)
        except TimeoutError:
            return SendResult(Outcome.UNCERTAIN, error="timeout")
        except (ClientError, OSError) as failure:
            return SendResult(Outcome.ERROR, error=type(failure).__name__)
        return SendResult(Outcome.SENT)

    async def _channel(self, recipient: str) -> str | None:
        # User ids start with U or W; anything else is already a conversation id.
        if recipient[:1] not in ("U", "W"):
            return recipient
        known = self.dms.get(recipient)
        if known is None:
            opened = await self.client.conversations_open(users=recipient)
            found = (opened.get("channel") or {}).get("id")
            if not isinstance(found, str):
                return None
            known = self.dms[recipient] = found
        return known


def _result(error: SlackApiError) -> SendResult:
    code = _code(error)
    if error.response.status_code == 429 or code == "ratelimited":
        return SendResult(Outcome.RETRY_AFTER, retry_after=_retry_after(error), error=code)
    if code in GONE_ERRORS:
        return SendResult(Outcome.BLOCKED, error=code)
    if code in REFUSED_ERRORS:
        return SendResult(Outcome.REJECTED, error=code)
    return SendResult(Outcome.ERROR, error=code)


@dataclass
class _Person:
    """What the bot remembers about one Slack user between payloads, in memory only."""

    language: object = _UNKNOWN
    # The zone of the Slack profile, which sets the participant's quiet hours.
    timezone: str | None = None
    pointed_at: float | None = None
    asking: asyncio.Lock = field(default_factory=asyncio.Lock)
    posting: asyncio.Lock = field(default_factory=asyncio.Lock)


class _Bot:
    """The work behind the listeners: locale lookups, the inbound path, and posting replies."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        client: AsyncWebClient,
        limiter: RateLimiter,
        metrics: Metrics = DISABLED,
    ) -> None:
        self.settings = settings
        self.database = database
        self.metrics = metrics
        self.client = client
        self.sender = SlackSender(client)
        # Replies go through the outbox like every other message; this sends them at once.
        self.express = Dispatcher(
            database, {Platform.SLACK: self.sender}, {Platform.SLACK: limiter}, metrics=metrics
        )
        self.people: dict[str, _Person] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def person(self, user: str) -> _Person:
        known = self.people.get(user)
        if known is None:
            known = self.people[user] = _Person()
        return known

    async def language(self, user: str) -> str | None:
        """The person's language from their Slack locale, asked once and then remembered."""
        person = self.person(user)
        async with person.asking:
            if person.language is _UNKNOWN:
                try:
                    found = await self.client.users_info(user=user, include_locale=True)
                except SlackApiError as error:
                    # Not remembered, so the next payload asks again.
                    log.warning("users.info failed: %s", _code(error))
                    return None
                profile = found.get("user") or {}
                person.language = slack.language_from_locale(profile.get("locale"))
                person.timezone = profile.get("tz") or None
        language = person.language
        return language if isinstance(language, str) else None

    async def inbound(self, body: Mapping[str, Any], events: Sequence[InboundEvent]) -> None:
        """Run the events through the engine, one commit each, then post the last replies."""
        if not events:
            return
        user = events[0].sender_id
        if not events[-1].is_private and not self._may_point(user):
            return
        language = await self.language(user)
        queued: list[int] = []
        try:
            zone = self.person(user).timezone
            *ticks, last = [
                replace(event, language_hint=language, timezone_hint=zone) for event in events
            ]
            # Of a Done press's presses, only the last one's replies matter (see
            # adapters.slack); the others' are not kept.
            for event in ticks:
                await asyncio.to_thread(receive, self.database, self.settings, event, self.metrics)
            queued = await asyncio.to_thread(
                receive_and_queue, self.database, self.settings, last, self.metrics
            )
        except Exception as error:
            # Database errors quote their parameters, which hold Slack user ids: log the kind.
            log.error("a Slack payload could not be processed: %s", type(error).__name__)
            raise SlackEventFailed("a Slack payload could not be processed") from None
        if queued:
            self.spawn(self._reply(user, slack.dm_channel(body), queued))

    def _may_point(self, user: str) -> bool:
        person = self.person(user)
        now = time.monotonic()
        if person.pointed_at is not None and now - person.pointed_at < POINTER_INTERVAL:
            return False
        person.pointed_at = now
        return True

    def spawn(self, work: Awaitable[None]) -> None:
        """Run work after Slack has had its answer, keeping it until it ends."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait until every reply still being posted has been posted."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def _reply(self, user: str, channel: str | None, queued: list[int]) -> None:
        if channel:
            self.sender.remember_dm(user, channel)
        # One person's replies go in order, even when two of their events arrive together.
        async with self.person(user).posting:
            try:
                await self.express.run_once(queued)
            except Exception as error:
                # The replies stay in the outbox; the worker's dispatcher sends them later.
                log.error("Slack replies could not be posted: %s", type(error).__name__)

    async def publish_home(self, user: str) -> None:
        """Show the person the consultations open to them on the App Home tab."""
        try:
            hinted = await self.language(user)
            rounds, language = await asyncio.to_thread(open_rounds_for, self.database, user, hinted)
            view = slack.home_view(rounds, language)
            await self.client.views_publish(user_id=user, view=view)
        except SlackApiError as error:
            log.warning("the App Home could not be published: %s", _code(error))
        except Exception as error:
            log.error("the App Home could not be published: %s", type(error).__name__)

    async def open_update_form(
        self, request: slack.UpdateRequest, *, refuse_in_modal: bool
    ) -> str | None:
        """Open the update modal, or say why not; returns what to answer with, if anything.

        Someone who may not post updates is told how to become verified: in a small modal
        when refuse_in_modal (a shortcut has nowhere else to answer), else in the text
        returned, which a slash command shows only to the person who typed it.
        """
        try:
            hinted = await self.language(request.user)
            form = await asyncio.to_thread(update_form_for, self.database, request.user, hinted)
        except Exception as error:
            log.error("the update form could not be prepared: %s", type(error).__name__)
            raise SlackEventFailed("the update form could not be prepared") from None
        if form.allowed:
            view = slack.update_modal(
                form.language, recommendation=request.recommendation, entities=form.entities
            )
            problem = slack.update_not_opened(form.language)
        elif refuse_in_modal:
            view = slack.update_notice(slack.update_refusal(form.language), form.language)
            problem = None
        else:
            return slack.update_refusal(form.language)
        try:
            await self.client.views_open(trigger_id=request.trigger_id, view=view)
        except SlackApiError as error:
            log.warning("views.open failed: %s", _code(error))
            return problem
        return None

    async def submit_update(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Store a submitted update; the answer to give Slack (errors, or clear the modal)."""
        user, fields = slack.from_update_submission(body)
        if not user:
            return {}
        language = fields["language"]
        draft, errors = slack.parse_update(fields)
        if errors:
            return {"response_action": "errors", "errors": errors}
        try:
            posted = await asyncio.to_thread(post_from_slack, self.database, user, draft)
        except PermissionDenied:
            # Pushed over the form, so that closing the notice gives the text typed back.
            notice = slack.update_notice(slack.update_refusal(language), language)
            return {"response_action": "push", "view": notice}
        except ConsultaError as problem:
            return {"response_action": "errors", "errors": slack.update_errors(str(problem))}
        except Exception as error:
            # Database errors quote their parameters, which hold user ids and what was typed.
            log.error("a Slack update could not be stored: %s", type(error).__name__)
            return {"response_action": "errors", "errors": slack.update_failed(language)}
        if posted.queued:
            self.spawn(self._reply(user, None, posted.queued))
        return {"response_action": "clear"}


_BOTS: weakref.WeakKeyDictionary[AsyncApp, _Bot] = weakref.WeakKeyDictionary()


def _code(error: SlackApiError) -> str:
    data = error.response.data if isinstance(error.response.data, dict) else {}
    return str(data.get("error") or error.response.status_code)


def _retry_after(error: SlackApiError) -> float:
    headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
    value = headers.get("retry-after", "1")
    value = value[0] if isinstance(value, list) else value
    try:
        return max(float(value), 0.0)
    except ValueError:
        return 1.0


def open_rounds_for(
    database: Database, user: str, language: str | None
) -> tuple[list[tuple[str, str]], str]:
    """The (code, title) of rounds open to a Slack user, and the language to list them in."""
    with database.unit_of_work() as session:
        identity = session.scalar(
            select(PlatformIdentity).where(
                PlatformIdentity.platform == Platform.SLACK, PlatformIdentity.external_id == user
            )
        )
        # Someone not known yet would join as civil society; looking must not register them.
        participant = (
            identity.participant
            if identity is not None
            else Participant(role=Role.CIVIL_SOCIETY, language=language)
        )
        now = utcnow()
        rounds = [
            (r.code, r.title)
            for r in list_rounds(session)
            if is_open(r, now) and admits(r, participant)
        ]
        # The person's own choice first, then what Slack says of them now.
        if participant.language_chosen and participant.language:
            return rounds, participant.language
        return rounds, language or participant.language or "en"


@dataclass(frozen=True)
class UpdateForm:
    """Whether a Slack user may post updates, in which language, and the entities to offer."""

    allowed: bool
    language: str
    entities: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PostedUpdate:
    """A stored update: its number, whether it is published, and the queued confirmation."""

    number: int
    published: bool
    queued: list[int]


def _slack_participant(session: Session, user: str) -> Participant | None:
    identity = session.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == Platform.SLACK, PlatformIdentity.external_id == user
        )
    )
    return identity.participant if identity is not None else None


def _may_post(participant: Participant | None) -> bool:
    if participant is None:
        return False
    try:
        author_kind(participant)
    except PermissionDenied:
        return False
    return True


def update_form_for(database: Database, user: str, language: str | None) -> UpdateForm:
    """What the update modal needs for a Slack user; looking registers no one."""
    with database.unit_of_work() as session:
        participant = _slack_participant(session, user)
        shown = (participant.language if participant else None) or language or "en"
        if not _may_post(participant):
            return UpdateForm(False, shown)
        entities = [
            (str(e.id), f"{e.name} ({e.acronym})" if e.acronym else e.name)
            for e in list_entities(session)
        ]
        return UpdateForm(True, shown, entities)


def _target(session: Session, reference: str) -> dict[str, int]:
    """The recommendation or, failing that, the cluster a typed reference names."""
    try:
        return {"recommendation": find_recommendation(session, reference).id}
    except NotFound as missing:
        if reference.strip().lstrip("#").isdigit():
            raise
        try:
            return {"cluster": find_cluster(session, reference).id}
        except NotFound:
            raise NotFound(f"{missing}, nor a cluster named {reference.strip()!r}") from None


def post_from_slack(database: Database, user: str, draft: Mapping[str, Any]) -> PostedUpdate:
    """Post an update from the modal for a Slack user, and queue its confirmation, at once.

    Someone Slack does not know yet is refused like anyone unverified, and not registered.
    """
    with database.unit_of_work() as session:
        participant = _slack_participant(session, user)
        if participant is None:
            raise PermissionDenied("only verified participants can post updates")
        # Refused before anything else is looked up, whatever else is wrong.
        author_kind(participant)
        fields = {**draft, "recommendation": None, "cluster": None}
        fields.update(_target(session, str(draft.get("recommendation") or "")))
        version = post_update(session, participant, UpdateDraft(**fields))
        published = version.state is UpdateState.PUBLISHED
        language = str(fields.get("language") or participant.language or "en")
        text = slack.update_posted(language, version.update_id, published=published)
        queued = [
            outbox.enqueue_to(
                session,
                Platform.SLACK,
                user,
                OutboundMessage(text, language=language),
                participant_id=participant.id,
            ).id
        ]
        return PostedUpdate(version.update_id, published, queued)


def make_app(
    settings: Settings,
    database: Database,
    limiter: RateLimiter | None = None,
    metrics: Metrics = DISABLED,
) -> AsyncApp:
    """The bolt app for the workspace, its Web API client pointed at settings.slack_api_url."""
    token = settings.secret("slack_bot_token")
    if token is None:
        raise ConfigError("CONSULTA_SLACK_BOT_TOKEN is not set; the Slack app needs its bot token.")
    base_url = settings.slack_api_url
    client = AsyncWebClient(
        token=token, base_url=base_url if base_url.endswith("/") else base_url + "/"
    )
    # The token reaches bolt through the client: giving both only makes bolt warn.
    app = AsyncApp(
        name="consulta",
        client=client,
        signing_secret=settings.secret("slack_signing_secret") or "",
        process_before_response=True,
    )
    bot = _Bot(settings, database, client, limiter or slack_limits(), metrics)
    _BOTS[app] = bot
    everything = re.compile(".*")

    async def on_event(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        event = slack.from_event(body)
        await bot.inbound(body, [event] if event is not None else [])

    async def on_home(ack: AsyncAck, event: dict[str, Any]) -> None:
        await ack()
        user = event.get("user")
        if event.get("tab") == "home" and isinstance(user, str):
            bot.spawn(bot.publish_home(user))

    async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        events = slack.from_block_actions(body)
        await bot.inbound(body, events)
        if any(event.language_choice for event in events):
            # The App Home shows the new language at once.
            bot.spawn(bot.publish_home(events[0].sender_id))

    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        request = slack.update_command(body)
        if request is not None:
            # A refusal is answered where the command was typed, seen only by its author.
            answer = await bot.open_update_form(request, refuse_in_modal=False)
            await ack(slack.command_answer(answer) if answer else "")
            return
        # An empty answer: the replies come in the DM, not where the command was typed.
        await ack()
        event = slack.from_command(body)
        await bot.inbound(body, [event] if event is not None else [])

    async def on_update_shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
        request = slack.update_shortcut(body)
        if request is not None:
            # A shortcut's answer shows nothing: what goes wrong is said in a modal or not at all.
            await bot.open_update_form(request, refuse_in_modal=True)
        await ack()

    async def on_update_submission(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack(**await bot.submit_update(body))

    async def on_options(ack: AsyncAck) -> None:
        await ack(options=[])

    async def acknowledge(ack: AsyncAck) -> None:
        # Bolt answers 404 to a payload no listener takes, and Slack then retries it.
        await ack()

    app.event("message")(on_event)
    app.event("app_mention")(on_event)
    app.event("app_home_opened")(on_home)
    app.action(everything)(on_action)
    app.command(slack.COMMAND)(on_command)
    app.command(everything)(acknowledge)
    app.view(slack.UPDATE_CALLBACK)(on_update_submission)
    app.view(everything)(acknowledge)
    app.view_closed(everything)(acknowledge)
    for callback_id in sorted(slack.UPDATE_SHORTCUTS):
        app.shortcut(callback_id)(on_update_shortcut)
    app.shortcut(everything)(acknowledge)
    app.options(everything)(on_options)
    app.event(everything)(acknowledge)
    return app


async def close_app(app: AsyncApp) -> None:
    """Let the replies still being posted by an app made by make_app finish."""
    bot = _BOTS.get(app)
    if bot is not None:
        await bot.drain()


async def run_socket_mode(settings: Settings, database: Database) -> None:
    """Serve the workspace over Socket Mode, without a public URL, until cancelled."""
    app_token = settings.secret("slack_app_token")
    if app_token is None:
        raise ConfigError("CONSULTA_SLACK_APP_TOKEN is not set; Socket Mode needs an xapp- token.")
    app = make_app(settings, database)
    handler = AsyncSocketModeHandler(app, app_token)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode")
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await close_app(app)

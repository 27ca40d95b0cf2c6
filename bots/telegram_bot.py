"""Telegram wiring: the Bot client, one update through the pipeline, and polling mode.

This is the one module that knows both python-telegram-bot and Consulta's pipeline. Webhook
and polling mode share `handle_update`, so a participant gets the same answers either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from adapters.telegram import ChatMemberChange, parse_update, to_event
from bots.dispatcher import Dispatcher
from bots.inbound import receive_and_queue
from bots.metrics import DISABLED, Metrics
from bots.senders import TelegramSender
from core.config import ConfigError, Settings
from core.db import Database
from core.messages import InboundEvent
from core.people import set_reachable
from core.ratelimit import RateLimiter, telegram_limits
from core.vocabulary import Platform

log = logging.getLogger("consulta.telegram")

ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.CHANNEL_POST,
)
# These libraries log request URLs, which hold the bot token, and request parameters, which
# hold chat ids and answers. Their warnings and errors carry neither.
QUIET_LOGGERS = ("httpx", "httpcore", "telegram")


def quiet_library_logs() -> None:
    """Raise the HTTP and Telegram library loggers to WARNING, whatever logging setup runs."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        # Set on the logger itself: inheriting WARNING from the root lasts only until someone
        # lowers the root level.
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def bot_token(settings: Settings) -> str:
    """The bot token, or a ConfigError saying how to set it."""
    token = settings.secret("telegram_token")
    if token is None:
        raise ConfigError(
            "CONSULTA_TELEGRAM_TOKEN is not set. Ask @BotFather for a token and set it in the "
            "environment or the .env file."
        )
    return token


def make_bot(settings: Settings) -> Bot:
    """A Bot for the configured token and Bot API address (not yet initialised)."""
    quiet_library_logs()
    return Bot(token=bot_token(settings), base_url=settings.telegram_api_url)


async def process_update(
    bot: Bot,
    database: Database,
    settings: Settings,
    data: dict[str, Any],
    express: Dispatcher,
    metrics: Metrics = DISABLED,
) -> None:
    """Parse one update's JSON and handle it; NotAnUpdate when the JSON is not an update."""
    await handle_update(bot, database, settings, parse_update(data, bot), express, metrics)


def express_dispatcher(
    bot: Bot, database: Database, limiter: RateLimiter, metrics: Metrics = DISABLED
) -> Dispatcher:
    """A dispatcher for this bot alone, to send a request's replies the moment they commit."""
    return Dispatcher(
        database,
        {Platform.TELEGRAM: TelegramSender(bot)},
        {Platform.TELEGRAM: limiter},
        metrics=metrics,
    )


async def handle_update(
    bot: Bot,
    database: Database,
    settings: Settings,
    update: Update,
    express: Dispatcher,
    metrics: Metrics = DISABLED,
) -> None:
    """Run one update through the engine, replies queued in the same commit, then send them."""
    event = to_event(update, bot_username=bot.username)
    if isinstance(event, ChatMemberChange):
        await anyio.to_thread.run_sync(
            partial(_set_reachable, database, event.sender_id, event.reachable, event.until)
        )
        log.info("telegram reachability changed", extra={"fields": _fields(update)})
        return
    queued: list[int] = []
    if isinstance(event, InboundEvent):
        # The engine's unit of work is blocking database work: keep it off the event loop.
        queued = await anyio.to_thread.run_sync(
            partial(receive_and_queue, database, settings, event, metrics)
        )
    if update.callback_query is not None:
        # Stops the spinner on the pressed button, also for presses we do not use.
        await _answer_callback(update)
    if queued:
        # Sent at once; a reply that fails (blocked, rate limited, network) stays in the
        # outbox with its outcome, and the worker's dispatcher retries what can be retried.
        await express.run_once(queued)
    log.info("telegram update handled", extra={"fields": _fields(update, len(queued))})


async def _answer_callback(update: Update) -> None:
    assert update.callback_query is not None
    try:
        await update.callback_query.answer()
    except TelegramError as failure:
        # A redelivered press is often too old to answer; the reply matters more.
        log.info(
            "telegram callback answer failed", extra={"fields": {"error": type(failure).__name__}}
        )


def _set_reachable(
    database: Database, sender_id: str, reachable: bool, until: datetime | None
) -> None:
    with database.unit_of_work() as session:
        set_reachable(
            session,
            platform=Platform.TELEGRAM,
            external_id=sender_id,
            reachable=reachable,
            until=until,
        )


def _fields(update: Update, replies: int | None = None) -> dict[str, object]:
    # Only the kind of update and counts: never a chat id, a name or a text.
    kind = next((t for t in ALLOWED_UPDATES if getattr(update, t, None) is not None), "other")
    fields: dict[str, object] = {"update_id": update.update_id, "kind": kind}
    if replies is not None:
        fields["replies"] = replies
    return fields


async def register_webhook(settings: Settings, url: str) -> None:
    """Tell Telegram to POST updates to this URL, signed with the configured secret."""
    secret = settings.secret("telegram_webhook_secret")
    if secret is None:
        raise ConfigError(
            "CONSULTA_TELEGRAM_WEBHOOK_SECRET is not set, and the webhook refuses unsigned "
            "updates. Set it to 1-256 letters, digits, _ or -."
        )
    async with make_bot(settings) as bot:
        await bot.set_webhook(
            url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES), max_connections=40
        )


def update_handler(
    database: Database, settings: Settings, limiter: RateLimiter | None = None
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """The callback of the polling Application's TypeHandler: the same processing as webhooks."""
    shared = limiter or telegram_limits()
    dispatchers: dict[int, Dispatcher] = {}

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        express = dispatchers.get(id(context.bot))
        if express is None:
            express = dispatchers[id(context.bot)] = express_dispatcher(
                context.bot, database, shared
            )
        await handle_update(context.bot, database, settings, update, express)

    return handle


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The default handler logs the whole traceback, whose database errors quote parameters
    # (chat ids, answers); the exception's type is enough to start looking.
    log.error("telegram update failed", extra={"fields": {"error": type(context.error).__name__}})


def build_application(
    settings: Settings, database: Database
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The polling Application: one TypeHandler for every update, errors logged without data."""
    quiet_library_logs()
    application = (
        Application.builder().token(bot_token(settings)).base_url(settings.telegram_api_url).build()
    )
    application.add_handler(TypeHandler(Update, update_handler(database, settings)))
    application.add_error_handler(_log_error)
    return application


def run_polling(settings: Settings, database: Database) -> None:
    """Fetch updates with getUpdates until interrupted, for hosts Telegram cannot reach."""
    # Starting to poll deletes any webhook. The updater confirms each batch of updates when it
    # asks for the next one, before the handler has run: an update that fails or is cut short
    # by a crash is not delivered again. Webhook mode commits before answering, so prefer it
    # where Telegram can reach the server.
    build_application(settings, database).run_polling(allowed_updates=list(ALLOWED_UPDATES))

"""POST /telegram/webhook: Telegram updates, processed and committed before the 200."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from telegram import Bot

from adapters.telegram import NotAnUpdate
from bots.dispatcher import Dispatcher
from bots.metrics import REFUSED, Metrics
from bots.telegram_bot import express_dispatcher, make_bot, process_update, quiet_library_logs
from core.config import Settings
from core.db import Database
from core.vocabulary import Platform

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
log = logging.getLogger("consulta.telegram")


def install(app: FastAPI) -> None:
    """Add the Telegram routes to the app."""
    # httpx logs each request URL, bot token included, at INFO; the app may run without
    # Consulta's logging setup (under another ASGI server), so raise it here too.
    quiet_library_logs()

    @app.post(
        "/telegram/webhook",
        tags=["telegram"],
        responses={
            400: {"description": "The body is not a Telegram update"},
            403: {"description": "Missing or wrong secret token, or no secret configured"},
            413: {"description": "The body is larger than 1 MiB"},
            503: {"description": "No bot token is configured"},
        },
    )
    async def telegram_webhook(request: Request) -> JSONResponse:
        """Take one update from Telegram; a non-2xx answer makes Telegram deliver it again."""
        settings: Settings = request.app.state.settings
        database: Database = request.app.state.database
        metrics: Metrics = request.app.state.metrics
        if not _authentic(request, settings):
            metrics.inbound("telegram", REFUSED)
            return _refusal(403, "missing or wrong secret token")
        if settings.secret("telegram_token") is None:
            return _refusal(503, "the Telegram bot token is not configured")
        try:
            data = json.loads(await request.body())
        except ValueError:
            metrics.inbound("telegram", REFUSED)
            return _refusal(400, "the body is not JSON")
        if not isinstance(data, dict):
            metrics.inbound("telegram", REFUSED)
            return _refusal(400, "the body is not a Telegram update")
        try:
            bot = await _bot(request.app, settings)
        except Exception as failure:
            log.error(
                "telegram bot could not start", extra={"fields": {"error": type(failure).__name__}}
            )
            return _refusal(503, "the Telegram Bot API is unreachable; try again")
        try:
            express = _express(request.app, bot)
            await process_update(bot, database, settings, data, express, metrics)
        except NotAnUpdate as wrong:
            metrics.inbound("telegram", REFUSED)
            return _refusal(400, str(wrong))
        except Exception as failure:
            # Nothing was committed; Telegram delivers the update again. Only the error's type
            # is logged: database errors quote their parameters (chat ids, answers).
            log.error("telegram update failed", extra={"fields": {"error": type(failure).__name__}})
            return _refusal(500, "the update could not be processed; it will be retried")
        return JSONResponse({"ok": True})


def _express(app: FastAPI, bot: Bot) -> Dispatcher:
    """The app's dispatcher for sending replies as soon as their update commits."""
    express: Dispatcher | None = getattr(app.state, "telegram_express", None)
    if express is None or express.senders[Platform.TELEGRAM].bot is not bot:  # type: ignore[attr-defined]
        express = express_dispatcher(
            bot, app.state.database, app.state.limiters[Platform.TELEGRAM], app.state.metrics
        )
        app.state.telegram_express = express
    return express


def _authentic(request: Request, settings: Settings) -> bool:
    """Whether the request carries the configured secret; never true without a secret."""
    secret = settings.secret("telegram_webhook_secret")
    given = request.headers.get(SECRET_HEADER)
    if secret is None or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def _refusal(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def _bot(app: FastAPI, settings: Settings) -> Bot:
    """The app's one Bot, created and initialised (getMe) by the first update that needs it."""
    starting: asyncio.Task[Bot] | None = getattr(app.state, "telegram_bot", None)
    if starting is None or (starting.done() and _failed(starting)):
        # Set before the first await, so concurrent first updates share one start.
        starting = asyncio.ensure_future(_start_bot(app, settings))
        app.state.telegram_bot = starting
    # Shielded: a request cut short must not cancel the start the others wait on.
    return await asyncio.shield(starting)


def _failed(task: asyncio.Task[Bot]) -> bool:
    return task.cancelled() or task.exception() is not None


async def _start_bot(app: FastAPI, settings: Settings) -> Bot:
    bot = make_bot(settings)
    try:
        await bot.initialize()
    except BaseException:
        await bot.shutdown()
        raise
    app.state.closers.append(bot.shutdown)
    return bot

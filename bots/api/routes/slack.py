"""POST /slack/events: Slack events, interactivity and the /consult command."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from bots import slack_bot
from bots.metrics import REFUSED, Metrics
from core.config import Settings
from core.vocabulary import Platform

PATH = "/slack/events"
# Slack's own window: a signed request older (or newer) than this may be a replay.
MAX_AGE_SECONDS = 300
log = logging.getLogger("consulta.slack")


def refusal(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str | None:
    """Why a request is not signed by Slack with this secret, or None when it is."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    # Bolt answers 500 to a timestamp that is not a number, so it never gets that far.
    if not (timestamp.isascii() and timestamp.isdigit()):
        return "missing or malformed X-Slack-Request-Timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "X-Slack-Request-Timestamp is too old or in the future"
    if not signature:
        return "missing X-Slack-Signature"
    basis = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), basis, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("utf-8"), signature.encode("utf-8")):
        return "X-Slack-Signature does not match"
    return None


def _handler(app: FastAPI) -> AsyncSlackRequestHandler:
    """The bolt handler of this app, built at the first Slack request."""
    handler: AsyncSlackRequestHandler | None = getattr(app.state, "slack_handler", None)
    if handler is not None:
        return handler
    bolt = slack_bot.make_app(
        app.state.settings,
        app.state.database,
        app.state.limiters[Platform.SLACK],
        app.state.metrics,
    )
    handler = AsyncSlackRequestHandler(bolt)
    app.state.slack_handler = handler

    async def close() -> None:
        # A restarted app builds a new one, on the loop it then runs.
        app.state.slack_handler = None
        await slack_bot.close_app(bolt)

    app.state.closers.append(close)
    return handler


def install(app: FastAPI) -> None:
    """Add the Slack routes to the app."""

    @app.post(PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        settings: Settings = request.app.state.settings
        secret = settings.secret("slack_signing_secret")
        if secret is None or settings.secret("slack_bot_token") is None:
            return JSONResponse(
                {
                    "detail": "Slack is not configured: set CONSULTA_SLACK_BOT_TOKEN and "
                    "CONSULTA_SLACK_SIGNING_SECRET"
                },
                status_code=503,
            )
        body = await request.body()
        # X-Slack-Retry-Num is not signed, so retries are recognised by event_id in the core.
        problem = refusal(secret, request.headers, body, time.time())
        if problem is not None:
            log.warning("refused a Slack request: %s", problem)
            metrics: Metrics = request.app.state.metrics
            metrics.inbound("slack", REFUSED)
            return JSONResponse({"detail": problem}, status_code=401)
        return await _handler(request.app).handle(request)

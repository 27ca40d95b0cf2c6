"""Opening a sender for every configured platform, for the worker's dispatcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bots.dispatcher import Dispatcher, Sender
from bots.metrics import DISABLED, Metrics
from bots.senders import TelegramSender, WebhookSender
from bots.slack_bot import SlackSender
from bots.telegram_bot import make_bot
from core.config import Settings
from core.db import Database
from core.ratelimit import RateLimiter, slack_limits, telegram_limits, webhook_limits
from core.vocabulary import Platform

Closer = Callable[[], Awaitable[object]]


@dataclass
class Senders:
    """The platforms this process can send to, and how to close their clients."""

    senders: dict[Platform, Sender] = field(default_factory=dict)
    closers: list[Closer] = field(default_factory=list)

    async def close(self) -> None:
        """Close every client, newest first."""
        for close in reversed(self.closers):
            await close()


def default_limiters() -> dict[Platform, RateLimiter]:
    """One set of send-rate buckets per process."""
    return {
        Platform.TELEGRAM: telegram_limits(),
        Platform.SLACK: slack_limits(),
        Platform.WEBHOOK: webhook_limits(),
    }


async def open_senders(settings: Settings) -> Senders:
    """A sender for each platform whose settings are present."""
    opened = Senders()
    if settings.secret("telegram_token"):
        bot = make_bot(settings)
        await bot.initialize()
        opened.senders[Platform.TELEGRAM] = TelegramSender(bot)
        opened.closers.append(bot.shutdown)
    slack_token = settings.secret("slack_bot_token")
    if slack_token:
        client = AsyncWebClient(token=slack_token, base_url=settings.slack_api_url)
        opened.senders[Platform.SLACK] = SlackSender(client)
    webhook_secret = settings.secret("webhook_secret")
    if webhook_secret and settings.webhook_outbound_url:
        http = httpx.AsyncClient(timeout=10)
        opened.senders[Platform.WEBHOOK] = WebhookSender(
            http, settings.webhook_outbound_url, webhook_secret
        )
        opened.closers.append(http.aclose)
    return opened


def dispatcher_for(
    database: Database,
    senders: Senders,
    limiters: dict[Platform, RateLimiter],
    metrics: Metrics = DISABLED,
) -> Dispatcher | None:
    """The worker's dispatcher, or None when no platform is configured to send to."""
    if not senders.senders:
        return None
    return Dispatcher(database, senders.senders, limiters, metrics=metrics)

"""Senders: each turns a neutral message into platform calls and the answer into an Outcome."""

from __future__ import annotations

import json
import time
import uuid

import httpx
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from adapters import telegram as telegram_adapter
from adapters import webhook
from bots.dispatcher import SendResult
from core.messages import OutboundMessage
from core.outbox import Outcome


class TelegramSender:
    """Sends through the Bot API with python-telegram-bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, recipient: str, message: OutboundMessage) -> SendResult:
        """Send every piece of the message; the first failure decides the outcome."""
        for kwargs in telegram_adapter.render(message):
            try:
                await self.bot.send_message(chat_id=recipient, **kwargs)
            except RetryAfter as limited:
                return SendResult(
                    Outcome.RETRY_AFTER, retry_after=_seconds(limited), error="rate limited"
                )
            except Forbidden:
                return SendResult(Outcome.BLOCKED, error="Forbidden")
            except TimedOut:
                return SendResult(Outcome.UNCERTAIN, error="TimedOut")
            except BadRequest as refused:
                return SendResult(Outcome.REJECTED, error=f"BadRequest: {str(refused)[:120]}")
            except (NetworkError, TelegramError) as failure:
                return SendResult(Outcome.ERROR, error=type(failure).__name__)
        return SendResult(Outcome.SENT)


def _seconds(limited: RetryAfter) -> float:
    # The attribute changed type across library versions; the message always carries it.
    for word in str(limited).split():
        if word.isdigit():
            return float(word)
    return 5.0


class WebhookSender:
    """POSTs to CONSULTA_WEBHOOK_OUTBOUND_URL, signed like the requests Consulta receives."""

    def __init__(self, client: httpx.AsyncClient, url: str, secret: str) -> None:
        self.client, self.url, self.secret = client, url, secret

    async def send(self, recipient: str, message: OutboundMessage) -> SendResult:
        """POST one message; 2xx is sent, 429 waits, other 4xx are final, 5xx retry."""
        body = json.dumps({"recipient": recipient, "message": webhook.render(message)}).encode()
        message_id = f"msg_{uuid.uuid4().hex}"
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhook.sign(self.secret, message_id, timestamp, body),
        }
        try:
            response = await self.client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return SendResult(Outcome.UNCERTAIN, error="timeout")
        except httpx.HTTPError as failure:
            return SendResult(Outcome.ERROR, error=type(failure).__name__)
        if 200 <= response.status_code < 300:
            return SendResult(Outcome.SENT)
        if response.status_code == 429:
            retry = response.headers.get("retry-after", "")
            return SendResult(
                Outcome.RETRY_AFTER, retry_after=float(retry) if retry.isdigit() else 5.0
            )
        if 400 <= response.status_code < 500:
            return SendResult(Outcome.REJECTED, error=f"HTTP {response.status_code}")
        return SendResult(Outcome.ERROR, error=f"HTTP {response.status_code}")

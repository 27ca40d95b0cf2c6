"""Sending queued messages to CONSULTA_WEBHOOK_OUTBOUND_URL, signed like inbound requests."""

from __future__ import annotations

import json
import logging
import time
import uuid

import httpx
from sqlalchemy import select

from adapters import webhook
from core import outbox
from core.config import Settings
from core.db import Database
from core.models import OutboxMessage, OutboxStatus, utcnow
from core.vocabulary import Platform

log = logging.getLogger("consulta.webhook")


def push_pending(
    database: Database, settings: Settings, client: httpx.Client, limit: int = 100
) -> int:
    """POST each pending webhook message in order; returns how many the receiver accepted."""
    secret = settings.secret("webhook_secret")
    url = settings.webhook_outbound_url
    if secret is None or url is None:
        return 0
    with database.unit_of_work() as session:
        rows = list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.platform == Platform.WEBHOOK,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= utcnow(),
                )
                .order_by(OutboxMessage.priority, OutboxMessage.id)
                .limit(limit)
            )
        )
        batch = [(r.id, r.recipient, r.payload) for r in rows]
    accepted = 0
    for row_id, recipient, payload in batch:
        body = json.dumps(
            {
                "id": row_id,
                "recipient": recipient,
                "message": webhook.render(outbox.from_payload(payload)),
            }
        ).encode()
        message_id = f"msg_{row_id}_{uuid.uuid4().hex[:8]}"
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhook.sign(secret, message_id, timestamp, body),
        }
        try:
            response = client.post(url, content=body, headers=headers, timeout=10)
            ok = 200 <= response.status_code < 300
            error = None if ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as failure:
            ok, error = False, type(failure).__name__
        with database.unit_of_work() as session:
            row = session.get_one(OutboxMessage, row_id)
            row.attempts += 1
            if ok:
                row.status, row.sent_at = OutboxStatus.SENT, utcnow()
                accepted += 1
            else:
                row.last_error = error
                log.warning(
                    "webhook push failed", extra={"fields": {"outbox_id": row_id, "error": error}}
                )
                break
    return accepted

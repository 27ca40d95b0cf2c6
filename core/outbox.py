"""The outbox: every message that is not an immediate reply waits here until it is sent."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.messages import Expect, Option, OutboundMessage
from core.models import OutboxMessage, OutboxStatus, Participant, PlatformIdentity, utcnow
from core.vocabulary import Platform

REPLY_PRIORITY = 0
BULK_PRIORITY = 10


def to_payload(message: OutboundMessage) -> dict[str, Any]:
    """A message as stored data."""
    data = asdict(message)
    data["expect"] = message.expect.value
    return data


def from_payload(data: dict[str, Any]) -> OutboundMessage:
    """A stored message back as a neutral OutboundMessage."""
    return OutboundMessage(
        text=data["text"],
        options=tuple(Option(**o) for o in data.get("options", ())),
        expect=Expect(data.get("expect", Expect.NOTHING.value)),
        hint=data.get("hint"),
        language=data.get("language", "en"),
        numbered=data.get("numbered", True),
    )


def enqueue(
    session: Session,
    participant: Participant,
    platform: Platform,
    message: OutboundMessage,
    *,
    bulk: bool = True,
) -> OutboxMessage | None:
    """Queue a message for a participant on one platform; nothing for the unreachable."""
    if participant.opted_out_at is not None:
        return None
    identity = session.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.participant_id == participant.id,
            PlatformIdentity.platform == platform,
        )
    )
    if identity is None or not identity.reachable:
        return None
    row = OutboxMessage(
        participant_id=participant.id,
        platform=platform,
        recipient=identity.external_id,
        payload=to_payload(message),
        priority=BULK_PRIORITY if bulk else REPLY_PRIORITY,
    )
    session.add(row)
    session.flush()
    return row


def take_for_pull(
    session: Session, platform: Platform, after: int, limit: int, now: datetime | None = None
) -> list[OutboxMessage]:
    """Messages after a cursor for a channel that pulls them; taking them marks them sent."""
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.platform == platform,
                OutboxMessage.id > after,
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENT)),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    for row in rows:
        if row.status is OutboxStatus.PENDING:
            row.status = OutboxStatus.SENT
            row.sent_at = now or utcnow()
    return rows

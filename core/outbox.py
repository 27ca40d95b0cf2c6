"""The outbox: every message that is not an immediate reply waits here until it is sent."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
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
        text_only=bool(data.get("text_only", False)),
    )


def enqueue(
    session: Session,
    participant: Participant,
    platform: Platform,
    message: OutboundMessage,
    *,
    bulk: bool = True,
    now: datetime | None = None,
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
    if participant.text_only and not message.text_only:
        message = replace(message, text_only=True)
    return enqueue_to(
        session,
        platform,
        identity.external_id,
        message,
        participant_id=participant.id,
        bulk=bulk,
        now=now,
    )


def enqueue_to(
    session: Session,
    platform: Platform,
    recipient: str,
    message: OutboundMessage,
    *,
    participant_id: int | None = None,
    bulk: bool = False,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue a message for a chat as the platform knows it (a reply, or a group's digest)."""
    row = OutboxMessage(
        participant_id=participant_id,
        platform=platform,
        recipient=recipient,
        payload=to_payload(message),
        priority=BULK_PRIORITY if bulk else REPLY_PRIORITY,
        created_at=now or utcnow(),
        next_attempt_at=now or utcnow(),
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


MAX_ATTEMPTS = 8
LEASE_SECONDS = 60
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 15 * 60


class Outcome(StrEnum):
    """What became of one attempt to send."""

    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform said how long to wait (429)
    ERROR = "error"  # a transient failure: back off and try again
    UNCERTAIN = "uncertain"  # a timeout: the platform may have sent it
    REJECTED = "rejected"  # the platform will never take it (400): no retry
    BLOCKED = "blocked"  # the person blocked the bot: stop writing to them


def claim(
    session: Session,
    *,
    now: datetime,
    limit: int = 100,
    platforms: tuple[Platform, ...] | None = None,
    lease_seconds: float = LEASE_SECONDS,
    ids: list[int] | None = None,
) -> list[OutboxMessage]:
    """Take due messages, replies first, for this process alone until their lease runs out.

    On PostgreSQL, rows another dispatcher holds are skipped, so several processes share the
    work without sending a row twice. SKIP LOCKED means nothing to SQLite, where BEGIN
    IMMEDIATE serialises claims instead; there, one process dispatches.
    """
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now),
    )
    query = select(OutboxMessage).where(due)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if platforms:
        query = query.where(OutboxMessage.platform.in_(platforms))
    rows = list(
        session.scalars(
            query.order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        if row.status is OutboxStatus.SENDING:
            # Its lease ran out while it was being sent: the process died mid-send.
            row.uncertain_attempts += 1
        row.status = OutboxStatus.SENDING
        row.lease_until = now + timedelta(seconds=lease_seconds)
    return rows


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after a failed attempt: exponential, capped, with jitter."""
    base = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** max(attempts - 1, 0))
    draw: float = (rng or random.Random()).random()
    return base * (0.75 + 0.5 * draw)


def complete(
    session: Session,
    row_id: int,
    outcome: Outcome,
    *,
    now: datetime,
    error: str | None = None,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> OutboxMessage:
    """Record how an attempt ended: sent, retried later, dead-lettered or stopped."""
    row = session.get_one(OutboxMessage, row_id)
    row.lease_until = None
    if outcome is Outcome.SENT:
        row.attempts += 1
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, None
        return row
    if outcome is Outcome.RETRY_AFTER:
        # A rate limit is the platform pacing us, not a failure: no attempt is spent.
        row.status = OutboxStatus.PENDING
        wait = 1.0 if retry_after is None else max(retry_after, 0.0)
        row.next_attempt_at = now + timedelta(seconds=wait)
        row.last_error = error or "rate limited"
        return row
    row.attempts += 1
    row.last_error = (error or outcome.value)[:200]
    if outcome is Outcome.UNCERTAIN:
        row.uncertain_attempts += 1
    if outcome is Outcome.BLOCKED:
        row.status = OutboxStatus.DEAD
        if row.participant_id is not None:
            identity = session.scalar(
                select(PlatformIdentity).where(
                    PlatformIdentity.participant_id == row.participant_id,
                    PlatformIdentity.platform == row.platform,
                    PlatformIdentity.external_id == row.recipient,
                )
            )
            if identity is not None:
                identity.reachable = False
        return row
    if outcome is Outcome.REJECTED or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.DEAD
        return row
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, rng))
    return row


def release(session: Session, row_id: int, not_before: datetime) -> None:
    """Put a claimed message back untried, for a per-chat limit that is not free yet."""
    row = session.get_one(OutboxMessage, row_id)
    row.status, row.lease_until, row.next_attempt_at = OutboxStatus.PENDING, None, not_before


def status_counts(session: Session) -> list[dict[str, Any]]:
    """How many messages stand in each state, per platform, and how many may have gone twice."""
    rows = session.execute(
        select(
            OutboxMessage.platform,
            OutboxMessage.status,
            func.count(OutboxMessage.id),
            func.coalesce(func.sum(OutboxMessage.uncertain_attempts), 0),
        ).group_by(OutboxMessage.platform, OutboxMessage.status)
    )
    return [
        {"platform": p.value, "status": s.value, "count": int(n), "uncertain_sends": int(u)}
        for p, s, n, u in rows
    ]


def dead_letters(session: Session, limit: int = 50) -> list[OutboxMessage]:
    """Messages given up on, newest first, for organisers to look into."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.DEAD)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Waiting:
    """The pending messages of one platform: how many, and how long the oldest has waited."""

    platform: Platform
    depth: int
    oldest_age_seconds: float


def waiting_by_platform(session: Session, now: datetime | None = None) -> list[Waiting]:
    """Pending messages per platform and the age of the oldest, in one grouped query."""
    now = now or utcnow()
    rows = session.execute(
        select(
            OutboxMessage.platform, func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)
        )
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .group_by(OutboxMessage.platform)
        .order_by(OutboxMessage.platform)
    )
    return [
        Waiting(platform, int(depth), max((now - oldest).total_seconds(), 0.0))
        for platform, depth, oldest in rows
    ]

"""The one path every channel's inbound event takes: one transaction through the engine."""

from __future__ import annotations

from sqlalchemy import select

from bots.metrics import ACCEPTED, DISABLED, DUPLICATE, Metrics
from core import outbox
from core.config import Settings
from core.conversation.engine import EngineContext, Processed, process
from core.db import Database
from core.messages import InboundEvent, OutboundMessage
from core.models import PlatformIdentity


def receive(
    database: Database, settings: Settings, event: InboundEvent, metrics: Metrics = DISABLED
) -> list[OutboundMessage]:
    """Dedupe, process and commit one inbound event; the replies come back after the commit.

    For channels that answer in the HTTP response (the webhook) or on the screen (the
    terminal), where the reply cannot be lost once the caller has it.
    """
    context = EngineContext(settings.require_pseudonym_key())
    with database.unit_of_work() as session:
        done = process(session, event, context)
    _count(metrics, event, done)
    return done.replies


def receive_and_queue(
    database: Database, settings: Settings, event: InboundEvent, metrics: Metrics = DISABLED
) -> list[int]:
    """Process one event and queue its replies in the same transaction; returns their ids.

    For channels whose replies are separate API calls (Telegram, Slack): a reply that fails
    to go out at once stays in the outbox and the dispatcher retries it.
    """
    context = EngineContext(settings.require_pseudonym_key())
    with database.unit_of_work() as session:
        done = process(session, event, context)
        identity = session.scalar(
            select(PlatformIdentity).where(
                PlatformIdentity.platform == event.platform,
                PlatformIdentity.external_id == event.sender_id,
            )
        )
        if identity is not None and not identity.reachable:
            queued = []
        else:
            participant_id = identity.participant_id if identity is not None else None
            queued = [
                outbox.enqueue_to(
                    session, event.platform, event.sender_id, reply, participant_id=participant_id
                ).id
                for reply in done.replies
            ]
    _count(metrics, event, done)
    return queued


def _count(metrics: Metrics, event: InboundEvent, done: Processed) -> None:
    # Counted after the commit, so a rolled-back event (redelivered later) is not counted twice.
    metrics.inbound(event.platform.value, DUPLICATE if done.duplicate else ACCEPTED)
    metrics.answers_stored(done.answers_stored)

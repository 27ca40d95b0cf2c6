"""The one path every channel's inbound event takes: one transaction through the engine."""

from __future__ import annotations

from core.config import Settings
from core.conversation.engine import EngineContext, handle
from core.db import Database
from core.messages import InboundEvent, OutboundMessage


def receive(database: Database, settings: Settings, event: InboundEvent) -> list[OutboundMessage]:
    """Dedupe, process and commit one inbound event; the replies come back after the commit."""
    context = EngineContext(settings.require_pseudonym_key())
    with database.unit_of_work() as session:
        return handle(session, event, context)

"""A participant talking to the engine through a real database, as a channel would."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from core.conversation.engine import EngineContext, handle
from core.db import Database
from core.messages import InboundEvent, OutboundMessage
from core.vocabulary import Platform

_deliveries = itertools.count(1)


class Participant:
    """Sends texts and presses buttons; keeps what the bot said last."""

    def __init__(
        self,
        database: Database,
        key: bytes,
        sender: str = "person-1",
        platform: Platform = Platform.TERMINAL,
        language_hint: str | None = None,
        now: datetime | None = None,
    ) -> None:
        self.database = database
        self.key = key
        self.sender = sender
        self.platform = platform
        self.language_hint = language_hint
        self.now = now
        self.last: list[OutboundMessage] = []

    def _deliver(self, **fields: object) -> list[OutboundMessage]:
        event = InboundEvent(
            platform=self.platform,
            sender_id=self.sender,
            language_hint=self.language_hint,
            **fields,  # type: ignore[arg-type]
        )
        with self.database.unit_of_work() as session:
            self.last = handle(session, event, EngineContext(self.key, self.now))
        return self.last

    def send(self, text: str, delivery_id: str | None = None) -> str:
        """Type a message; returns everything the bot answered, as one text."""
        self._deliver(text=text, delivery_id=delivery_id or f"d{next(_deliveries)}")
        return self.said

    def press(self, label: str, messages: Sequence[OutboundMessage] | None = None) -> str:
        """Press the button with this label on the latest prompt that offered it."""
        for message in reversed(list(messages or self.last)):
            for option in message.options:
                if option.label == label:
                    return self.press_id(option.id)
        raise AssertionError(f"no button {label!r} in {[m.options for m in self.last]}")

    def press_id(self, option_id: str, delivery_id: str | None = None) -> str:
        """Press a button by its id, as a platform callback would carry it."""
        self._deliver(option_id=option_id, delivery_id=delivery_id or f"d{next(_deliveries)}")
        return self.said

    @property
    def said(self) -> str:
        """The last replies joined, as a person would read them."""
        return "\n".join(m.text for m in self.last)

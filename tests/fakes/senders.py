"""A sender that records what it is asked to send and answers as a platform would."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bots.dispatcher import SendResult
from core.messages import OutboundMessage
from core.outbox import Outcome


class RecordingSender:
    """Answers with a scripted outcome per call (SENT by default) and keeps every call."""

    def __init__(self, script: Callable[[str, OutboundMessage, int], SendResult] | None = None):
        self.sent: list[tuple[str, str]] = []
        self.calls = 0
        self.script = script
        # Dispatchers in several threads share one sender: a thread lock, not an asyncio one.
        self._lock = threading.Lock()

    async def send(self, recipient: str, message: OutboundMessage) -> SendResult:
        with self._lock:
            self.calls += 1
            number = self.calls
        result = (
            self.script(recipient, message, number) if self.script else SendResult(Outcome.SENT)
        )
        if result.outcome is Outcome.SENT:
            self.sent.append((recipient, message.text))
        return result

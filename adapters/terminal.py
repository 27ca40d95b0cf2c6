"""The terminal channel: prompts as plain text with numbered options, answers as typed lines.

Typed numbers, number words and option labels are read by the engine itself, so the terminal
only has to show the options with their numbers.
"""

from __future__ import annotations

from adapters.contract import Limits, numbered_text
from core.messages import OutboundMessage

LIMITS = Limits(
    max_buttons=0, max_button_text=0, max_text=1_000_000, max_callback_bytes=0, can_edit=False
)


def render(message: OutboundMessage) -> str:
    """A message as the terminal shows it: the text, its hint, then each numbered option."""
    return numbered_text(message)

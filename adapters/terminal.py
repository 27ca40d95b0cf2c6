"""The terminal channel: prompts as plain text with numbered options, answers as typed lines.

Typed numbers, number words and option labels are read by the engine itself, so the terminal
only has to show the options with their numbers.
"""

from __future__ import annotations

from core.messages import Expect, OutboundMessage


def render(message: OutboundMessage) -> str:
    """A message as the terminal shows it: the text, its hint, then each numbered option."""
    lines = [message.text]
    if message.hint:
        lines.append(f"({message.hint})")
    options = [o for o in message.options if not o.done]
    for number, option in enumerate(options, start=1):
        lines.append(f"  {number}. {option.label}")
    if message.expect is Expect.CHOICES and options:
        lines.append("  (Type the numbers of your choices, separated by commas.)")
    return "\n".join(lines)

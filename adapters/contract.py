"""What every channel adapter declares and shares: its limits and the plain-text fallback."""

from __future__ import annotations

from dataclasses import dataclass

from core.bidi import for_language
from core.i18n import translate
from core.messages import Expect, OutboundMessage


@dataclass(frozen=True)
class Limits:
    """What a platform can show; anything beyond falls back to numbered plain text."""

    max_buttons: int
    max_button_text: int
    max_text: int
    max_callback_bytes: int
    can_edit: bool


def buttons_fit(message: OutboundMessage, limits: Limits) -> bool:
    """Whether every option can be a button within the platform's limits."""
    if not message.options:
        return True
    if message.text_only:
        # The person asked for numbered lists: a screen reader or SMS reads them best.
        return False
    return (
        len(message.options) <= limits.max_buttons
        and all(len(o.label) <= limits.max_button_text for o in message.options)
        and all(len(o.id.encode("utf-8")) <= limits.max_callback_bytes for o in message.options)
    )


def numbered_text(message: OutboundMessage) -> str:
    """The message with its options as a numbered list, which typed numbers answer."""
    lines = [message.text]
    if message.hint:
        lines.append(f"({message.hint})")
    options = [o for o in message.options if not o.done]
    lines.extend(f"{number}. {option.label}" for number, option in enumerate(options, start=1))
    if message.expect is Expect.CHOICES and options:
        lines.append(
            translate(message.language, "(Send the numbers of your choices, separated by commas.)")
        )
    # The numbers are left-to-right runs too: "1." must not come out as ".1" in Arabic.
    return for_language("\n".join(lines), message.language)


def split_text(text: str, limit: int) -> list[str]:
    """Cut a long text into pieces no longer than the limit, at line or word ends if possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return [p for p in pieces if p] or [""]

"""Keeping left-to-right runs in order inside right-to-left text, for chats that lay it out.

Telegram and Slack apply the Unicode bidirectional algorithm to the text they are given. A
symbol such as A/HRC/52/12, a number range or a URL inside Arabic then comes out with its
parts reordered. Wrapping each left-to-right run in FIRST STRONG ISOLATE ... POP DIRECTIONAL
ISOLATE makes it one unit that keeps its own order.
"""

from __future__ import annotations

import unicodedata

from core.i18n import direction

FSI = "\u2068"
PDI = "\u2069"
# Letters and European digits are what a run is made of; separators, spaces and punctuation
# between them belong to the run, but not at its ends, where they belong to the Arabic text.
_STRONG_LTR = frozenset({"L", "EN"})
_STOPS = frozenset({"R", "AL", "AN", "B", "S"})
# Brackets end a run too, so a pair is never split by an isolate: "125.14 (UPR)" keeps both
# parentheses in the Arabic text around two runs.
_BRACKETS = frozenset('()[]{}«»“”"')


def isolate_ltr(text: str) -> str:
    """The text with every left-to-right run wrapped in FSI ... PDI (idempotent)."""
    text = text.replace(FSI, "").replace(PDI, "")
    out: list[str] = []
    run_start: int | None = None
    last_strong: int | None = None

    def close(upto: int) -> None:
        nonlocal run_start, last_strong
        if run_start is not None and last_strong is not None:
            out.append(FSI + text[run_start : last_strong + 1] + PDI)
            out.append(text[last_strong + 1 : upto])
        run_start = last_strong = None

    for index, char in enumerate(text):
        kind = (
            "B" if char == "\n" else "S" if char in _BRACKETS else unicodedata.bidirectional(char)
        )
        if kind in _STRONG_LTR:
            if run_start is None:
                run_start = index
            last_strong = index
        elif kind in _STOPS:
            close(index)
            out.append(char)
        elif run_start is None:
            out.append(char)
    close(len(text))
    return "".join(out)


def for_language(text: str, language: str | None) -> str:
    """The text ready for a chat in the language: isolated runs in right-to-left languages."""
    return isolate_ltr(text) if direction(language) == "rtl" else text

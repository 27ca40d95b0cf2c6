"""The neutral message model: the seam between the conversation engine and every channel."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from core.bidi import isolate_ltr
from core.i18n import direction
from core.vocabulary import Platform


class Expect(StrEnum):
    """What kind of reply a prompt waits for, so a channel can offer the right control."""

    NOTHING = "nothing"
    CHOICE = "choice"
    CHOICES = "choices"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True)
class Option:
    """A choice a channel may show as a button; the id is short, stable and opaque."""

    id: str
    label: str
    # The "Done" button of a multiple choice: channels that take typed lists can leave it out.
    done: bool = False


@dataclass(frozen=True)
class InboundEvent:
    """One thing a participant sent, whatever the channel."""

    platform: Platform
    sender_id: str
    text: str | None = None
    option_id: str | None = None
    delivery_id: str | None = None
    message_id: str | None = None
    language_hint: str | None = None
    is_private: bool = True
    # An edit of an earlier message (message_id names it): it may change the answer it gave.
    edited: bool = False
    # The platform's own idea of the person's time zone (Slack's profile), if it has one.
    timezone_hint: str | None = None
    # A language the person picked themselves (the webhook's `language` field, Slack's App
    # Home): it outranks the platform's hint and the round's default.
    language_choice: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """One thing to say to a participant: text, the options offered and what is expected."""

    text: str
    options: tuple[Option, ...] = ()
    expect: Expect = Expect.NOTHING
    hint: str | None = None
    language: str = "en"
    # The person asked for `textonly`: numbered lists instead of buttons on every channel.
    text_only: bool = False

    def __post_init__(self) -> None:
        # Every message to a right-to-left reader gets its left-to-right runs isolated here,
        # once, whichever part of Consulta wrote it and whichever channel carries it.
        if direction(self.language) == "rtl":
            object.__setattr__(self, "text", isolate_ltr(self.text))
            if self.hint:
                object.__setattr__(self, "hint", isolate_ltr(self.hint))
            options = tuple(replace(o, label=isolate_ltr(o.label)) for o in self.options)
            object.__setattr__(self, "options", options)

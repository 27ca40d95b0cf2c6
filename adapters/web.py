"""The web channel: form posts as neutral events, the engine's prompts as questions on a page.

Everything here is pure translation, with no database and no HTTP; bots/web_channel serves
the pages. A participant on the web is known by a private key in their link. The database
keeps only a digest of it as the sender id, so the stored ids never open anybody's answers.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from core.i18n import translate
from core.messages import Expect, InboundEvent, Option, OutboundMessage
from core.vocabulary import Platform

# secrets.token_urlsafe(24): 24 random bytes, 32 characters of the URL-safe alphabet.
KEY_BYTES = 24
_KEY = re.compile(r"[A-Za-z0-9_-]{32}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
ACTIONS = frozenset({"answer", "skip", "back", "resume", "language", "join"})


@dataclass(frozen=True)
class Question:
    """One question as a page shows it: the legend, what leads up to it, and its controls."""

    legend: str
    # Lines said before the question: the recommendation it is about, the consent terms.
    context: tuple[str, ...]
    hint: str | None
    expect: Expect
    options: tuple[Option, ...]
    # The "Done" of a multiple choice, which the page's send button stands for.
    done: Option | None
    optional: bool
    language: str
    # Tells this prompt from any other, so a form from an out-of-date page is not applied.
    fingerprint: str

    @property
    def control(self) -> str:
        """The form control that answers it: radio, checkbox, textarea, number or date."""
        return {
            Expect.CHOICE: "radio",
            Expect.CHOICES: "checkbox",
            Expect.TEXT: "textarea",
            Expect.NUMBER: "number",
            Expect.DATE: "date",
        }.get(self.expect, "none")


@dataclass(frozen=True)
class Exchange:
    """What the engine said in reply to a post: the question it now asks, and the rest."""

    notices: tuple[str, ...]
    question: Question | None


@dataclass(frozen=True)
class Submission:
    """One posted form: which button was pressed and what was filled in."""

    action: str
    answer: str = ""
    choice: str = ""
    choices: tuple[str, ...] = ()
    language: str = ""
    nonce: str = ""


@dataclass(frozen=True)
class Problem:
    """A form that cannot go to the engine as it is, with what to do, in the page's language."""

    text: str


def new_key() -> str:
    """A fresh private key for a participant's link."""
    return secrets.token_urlsafe(KEY_BYTES)


def is_key(text: str) -> bool:
    """Whether a path segment has the shape of a private key."""
    return _KEY.fullmatch(text) is not None


def sender_id(key: str) -> str:
    """The sender id stored for a private key: its SHA-256, never the key itself."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _fingerprint(message: OutboundMessage) -> str:
    parts = [message.language, message.expect.value, message.text]
    parts.extend(option.id for option in message.options)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def _question(message: OutboundMessage, before: Sequence[str] = ()) -> Question:
    optional_line = translate(message.language, "(Optional: send skip to leave it out.)")
    lines = [line.strip() for line in message.text.split("\n") if line.strip()]
    # The page offers a Skip button instead of the chat's instruction to send skip.
    optional = optional_line in lines
    lines = [line for line in lines if line != optional_line]
    legend = lines[-1] if lines else ""
    return Question(
        legend=legend,
        context=(*before, *lines[:-1]),
        hint=message.hint,
        expect=message.expect,
        options=tuple(o for o in message.options if not o.done),
        done=next((o for o in message.options if o.done), None),
        optional=optional,
        language=message.language,
        fingerprint=_fingerprint(message),
    )


def _question_index(messages: Sequence[OutboundMessage]) -> int | None:
    asking = [i for i, m in enumerate(messages) if m.expect is not Expect.NOTHING]
    return asking[-1] if asking else None


def question_of(prompts: Sequence[OutboundMessage]) -> Question | None:
    """The question the engine's current prompts ask; what they say before it leads up to it."""
    index = _question_index(prompts)
    if index is None:
        return None
    before = [line for m in prompts[:index] for line in m.text.split("\n") if line.strip()]
    return _question(prompts[index], before)


def exchange_of(replies: Sequence[OutboundMessage]) -> Exchange:
    """The engine's replies to a post: the question it asks now, and everything else it said."""
    index = _question_index(replies)
    if index is None:
        return Exchange(tuple(m.text for m in replies if m.text.strip()), None)
    notices = tuple(m.text for i, m in enumerate(replies) if i != index and m.text.strip())
    return Exchange(notices, _question(replies[index]))


def to_event(
    submission: Submission,
    *,
    sender: str,
    round_code: str,
    question: Question | None,
    language: str,
    language_hint: str | None = None,
) -> InboundEvent | Problem:
    """A posted form as the engine's event, or the problem that keeps it from being one.

    Buttons become the commands every channel understands (join, skip, resume, language);
    an answer becomes the option id of a single choice, the positions of the
    ticked boxes ("1, 3", as a typed answer would give them) or the text typed.
    """

    def event(text: str | None = None, option_id: str | None = None) -> InboundEvent:
        nonce = submission.nonce
        return InboundEvent(
            platform=Platform.WEB,
            sender_id=sender,
            text=text,
            option_id=option_id,
            # The form's nonce: a second press of the same button changes nothing more.
            delivery_id=f"web:{nonce}" if _NONCE.fullmatch(nonce) else None,
            language_hint=language_hint,
        )

    action = submission.action
    if action not in ACTIONS:
        return Problem(translate(language, "This form could not be read. Please answer again."))
    if action == "join":
        return event(f"join {round_code}")
    if action == "language":
        return event(f"language {submission.language.strip().lower()[:16]}")
    if action != "answer":
        return event(action)
    if question is None:
        return Problem(translate(language, "There is no question to answer right now."))
    if question.expect is Expect.CHOICE:
        if submission.choice not in {o.id for o in question.options}:
            return Problem(translate(language, "Please choose one of the answers."))
        return event(option_id=submission.choice)
    if question.expect is Expect.CHOICES:
        ids = [o.id for o in question.options]
        ticked = sorted({ids.index(c) + 1 for c in submission.choices if c in ids})
        if not ticked:
            # Done with nothing ticked: the engine says what is missing, as in every channel.
            if question.done is None:
                return Problem(translate(language, "Please choose one of the answers."))
            return event(option_id=question.done.id)
        return event(", ".join(str(n) for n in ticked))
    text = submission.answer.replace("\r\n", "\n").strip()
    if not text:
        return Problem(
            translate(language, "Please write your answer in the box before sending it.")
        )
    return event(text)

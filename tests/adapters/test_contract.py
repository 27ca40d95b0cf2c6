"""One contract, every adapter: nothing the engine offers is lost, no platform limit is broken."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from adapters import slack, telegram, terminal, webhook
from adapters.contract import Limits, numbered_text, split_text
from core.messages import Expect, Option, OutboundMessage


@dataclass(frozen=True)
class Rendered:
    """What a person would see: every text shown, every button, every other shown option."""

    texts: list[str]
    buttons: list[tuple[str, str]]  # (label, callback data)


@dataclass(frozen=True)
class Adapter:
    name: str
    limits: Limits
    render: Callable[[OutboundMessage], Rendered]


def _terminal(message: OutboundMessage) -> Rendered:
    return Rendered([terminal.render(message)], [])


def _webhook(message: OutboundMessage) -> Rendered:
    data = webhook.render(message)
    json.dumps(data)  # it must be JSON as it stands
    return Rendered([data["text"]], [(o["label"], o["id"]) for o in data["options"]])


def _telegram(message: OutboundMessage) -> Rendered:
    texts, buttons = [], []
    for kwargs in telegram.render(message):
        texts.append(kwargs["text"])
        markup = kwargs.get("reply_markup")
        for row in markup.inline_keyboard if markup else ():
            buttons.extend((b.text, b.callback_data) for b in row)
    return Rendered(texts, buttons)


def _slack(message: OutboundMessage) -> Rendered:
    texts, buttons = [], []
    for post in slack.render(message):
        # post["text"] is the notification fallback (up to 40,000 characters); people read
        # the blocks.
        for block in post.get("blocks", []):
            if block["type"] == "section":
                texts.append(block["text"]["text"])
            if block["type"] == "context":
                texts.extend(e["text"] for e in block["elements"])
            for element in block.get("elements", []):
                if element["type"] == "button":
                    buttons.append((element["text"]["text"], element["value"]))
                for option in element.get("options", []):
                    buttons.append((option["text"]["text"], option["value"]))
    return Rendered(texts, buttons)


ADAPTERS = [
    Adapter("terminal", terminal.LIMITS, _terminal),
    Adapter("webhook", webhook.LIMITS, _webhook),
    Adapter("telegram", telegram.LIMITS, _telegram),
    Adapter("slack", slack.LIMITS, _slack),
]


def _options(count: int, label: str = "Option {n}") -> tuple[Option, ...]:
    return tuple(Option(f"{count}.{n}", label.format(n=n)) for n in range(1, count + 1))


MESSAGES = {
    "plain": OutboundMessage("Thank you for taking part."),
    "status scale": OutboundMessage(
        "How far is it implemented?",
        (
            Option("7.1", "Not started"),
            Option("7.2", "In progress"),
            Option("7.3", "Partially implemented"),
            Option("7.4", "Fully implemented"),
            Option("7.5", "Don't know"),
        ),
        Expect.CHOICE,
    ),
    "many options": OutboundMessage("Which themes?", _options(40), Expect.CHOICES),
    "long labels": OutboundMessage(
        "Pick one",
        _options(3, "A label that is much longer than any button allows " * 3 + "{n}"),
        Expect.CHOICE,
    ),
    "long text": OutboundMessage("Recommendation text. " * 600),
    "hint": OutboundMessage("How many staff?", expect=Expect.NUMBER, hint="Digits only"),
    "non-latin": OutboundMessage(
        "هل تابعتم هذه التوصيات؟", (Option("3.1", "نعم"), Option("3.2", "لا")), Expect.CHOICE
    ),
}


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
@pytest.mark.parametrize("name", list(MESSAGES))
def test_every_option_reaches_the_person_within_the_limits(adapter, name):
    message = MESSAGES[name]
    shown = adapter.render(message)
    everything = "\n".join(shown.texts)
    for option in message.options:
        as_button = any(label == option.label for label, _ in shown.buttons)
        assert as_button or option.label in everything, f"{option.label!r} was lost"
    assert len(shown.buttons) <= max(adapter.limits.max_buttons, 0) or not shown.buttons
    for label, data in shown.buttons:
        assert len(label) <= adapter.limits.max_button_text
        assert len(data.encode()) <= adapter.limits.max_callback_bytes
    assert all(len(text) <= adapter.limits.max_text for text in shown.texts)
    assert message.text.split()[0] in everything
    if message.hint:
        assert message.hint in everything or adapter.name == "webhook"


def test_numbered_fallback_numbers_options_in_order_and_leaves_out_done():
    message = OutboundMessage(
        "Which topics?", (*_options(3), Option("3.done", "Done", done=True)), Expect.CHOICES
    )
    lines = numbered_text(message).splitlines()
    assert lines[1:4] == ["1. Option 1", "2. Option 2", "3. Option 3"]
    assert "Done" not in numbered_text(message)


@pytest.mark.parametrize("limit", [10, 100, 4096])
def test_split_text_keeps_every_word_and_respects_the_limit(limit):
    text = "\n".join(f"Line {n} " + "word " * (n % 30) for n in range(400))
    pieces = split_text(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())

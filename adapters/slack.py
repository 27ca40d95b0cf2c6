"""The Slack channel: Events API, interactivity and slash-command payloads in, Block Kit out.

Translation only. Checking signatures, calling the Web API and talking to the database happen
in bots/; this module turns Slack's payloads into neutral events and neutral messages into
`chat.postMessage` arguments.

Multiple choice. The engine takes a multiple choice either as typed numbers ("1, 3") or as
option presses that toggle a pick, ended by the Done option. Slack shows a multiple choice as
checkboxes plus a Done button, and ticking a checkbox changes only what the person sees: Slack
keeps the ticks in the message and reports each one, but a tick alone says nothing about
which option changed. So ticks are acknowledged and not translated; the Done press carries
every ticked option in the message's state, and becomes one press per ticked option followed
by the Done press. Presses keep the prompt's number inside each option id, so a Done pressed
on an old message is refused by the engine as belonging to an earlier question, where typed
numbers would silently answer the current one. Only the last press's replies are meant to be
shown: the earlier ones only echo the ticks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks import Option as SlackOption

from adapters.contract import Limits, numbered_text, split_text
from core.conversation.words import parse_command
from core.i18n import SUPPORTED_LANGUAGES, translate
from core.messages import Expect, InboundEvent, Option, OutboundMessage
from core.vocabulary import Platform

LIMITS = Limits(
    max_buttons=25, max_button_text=75, max_text=3000, max_callback_bytes=2000, can_edit=True
)
# Block Kit's own limits, beyond the ones every adapter declares.
MAX_BLOCKS = 50
MAX_ACTIONS_ELEMENTS = LIMITS.max_buttons
MAX_SELECT_OPTIONS = 100
MAX_CHECKBOX_OPTIONS = 10
MAX_OPTION_TEXT = LIMITS.max_button_text
MAX_OPTION_VALUE = 150
MAX_CONTEXT_TEXT = 2000
MAX_HEADER_TEXT = 150
# Up to this many single-choice options are buttons; more are easier to read in a menu.
HANDFUL = 5
# Sections per message: 12 x 3,000 characters keeps the fallback text under Slack's 40,000.
SECTIONS_PER_MESSAGE = 12
# Ticked options, across checkbox groups, beyond which typed numbers are the better way.
MAX_CHECKBOX_TOTAL = 100

OPTION_ACTION = "option"
SELECT_ACTION = "option-select"
CHECKBOX_ACTION = "choices"
DONE_ACTION = "choices-done"
COMMAND = "/consult"
# Words people try after /consult that the engine knows under another name.
COMMAND_ALIASES = {"status": "review"}
# Message subtypes that are still something a person wrote.
PERSON_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


# --- inbound -----------------------------------------------------------------------------------


def language_from_locale(locale: str | None) -> str | None:
    """The supported language of a Slack locale such as es-LA or zh-TW, or None."""
    if not locale:
        return None
    # Slack uses regions Babel does not know (es-LA), so only the language part is read.
    base = re.split(r"[-_]", locale.strip(), maxsplit=1)[0].lower()
    return base if base in SUPPORTED_LANGUAGES else None


def plain_text(text: str) -> str:
    """What a person typed, without Slack's escaping and link markup."""
    # Slack wraps links it detected as <url|as typed>; the person typed the label.
    unlinked = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return unlinked.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def from_event(body: Mapping[str, Any]) -> InboundEvent | None:
    """An Events API envelope as a neutral event; None for what no person said to the bot."""
    event = body.get("event") or {}
    delivery_id = _str(body.get("event_id"))
    kind = event.get("type")
    subtype = event.get("subtype")
    if kind == "message" and subtype == "message_changed":
        return _edit(event, delivery_id)
    if kind == "app_mention":
        private = False
    elif kind == "message" and subtype in PERSON_SUBTYPES:
        # Answers are personal: anything but the direct message with the bot is public.
        private = event.get("channel_type") == "im"
    else:
        return None
    user = _str(event.get("user"))
    if not user or event.get("bot_id"):
        return None
    return InboundEvent(
        Platform.SLACK,
        user,
        text=plain_text(_str(event.get("text"))),
        delivery_id=delivery_id,
        message_id=_str(event.get("ts")) or None,
        is_private=private,
    )


def _edit(event: Mapping[str, Any], delivery_id: str | None) -> InboundEvent | None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    user = _str(message.get("user"))
    if not user or message.get("bot_id") or message.get("subtype") == "bot_message":
        return None
    if event.get("channel_type") != "im":
        # Nothing said outside the direct message was kept, so an edit there changes nothing.
        return None
    text = _str(message.get("text"))
    # Link previews also arrive as message_changed, with the text as it was and no edit mark.
    if "edited" not in message or (previous and _str(previous.get("text")) == text):
        return None
    return InboundEvent(
        Platform.SLACK,
        user,
        text=plain_text(text),
        delivery_id=delivery_id,
        message_id=_str(message.get("ts")) or None,
        edited=True,
    )


def from_block_actions(body: Mapping[str, Any]) -> list[InboundEvent]:
    """The option presses a block_actions payload stands for, in order (see the module notes)."""
    user = _str((body.get("user") or {}).get("id"))
    if not user:
        return []
    presses: list[str] = []
    for action in body.get("actions") or []:
        kind = action.get("type")
        if kind == "button" and action.get("action_id") == DONE_ACTION:
            presses.extend(_ticked(body))
            presses.append(_str(action.get("value")))
        elif kind == "button":
            presses.append(_str(action.get("value")))
        elif kind in ("static_select", "radio_buttons", "overflow"):
            presses.append(_str((action.get("selected_option") or {}).get("value")))
        # Checkbox ticks stay in the message until Done is pressed.
    base = _str(body.get("trigger_id")) or _first_action_ts(body)
    return [
        InboundEvent(
            Platform.SLACK,
            user,
            option_id=press,
            delivery_id=f"{base}:{number}" if base else None,
        )
        for number, press in enumerate(p for p in presses if p)
    ]


def _ticked(body: Mapping[str, Any]) -> list[str]:
    values = ((body.get("state") or {}).get("values")) or {}
    ticked: list[str] = []
    for block in values.values():
        for action_id, element in (block or {}).items():
            if element.get("type") != "checkboxes" or not str(action_id).startswith(
                CHECKBOX_ACTION
            ):
                continue
            for option in element.get("selected_options") or []:
                value = _str(option.get("value"))
                if value and value not in ticked:
                    ticked.append(value)
    return ticked


def _first_action_ts(body: Mapping[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return _str(actions[0].get("action_ts"))


def command_text(text: str) -> str:
    """What follows /consult, as the engine reads it: always a command, never an answer."""
    words = plain_text(text).split()
    if not words:
        return "/help"
    words[0] = COMMAND_ALIASES.get(words[0].casefold(), words[0])
    # The slash tells the engine this is a command even while a free-text question is open.
    slashed = "/" + " ".join(words)
    if parse_command(slashed) is not None:
        return slashed
    if len(words) == 1:
        return f"/join {words[0]}"
    return "/help"


def from_command(body: Mapping[str, Any]) -> InboundEvent | None:
    """A /consult slash command as a neutral event; its replies belong in the DM."""
    user = _str(body.get("user_id"))
    if not user or body.get("command") != COMMAND:
        return None
    trigger = _str(body.get("trigger_id"))
    return InboundEvent(
        Platform.SLACK,
        user,
        text=command_text(_str(body.get("text"))),
        delivery_id=f"{trigger}:command" if trigger else None,
    )


def dm_channel(body: Mapping[str, Any]) -> str | None:
    """The direct-message channel the payload came from, when it came from one."""
    event = body.get("event") or {}
    if event:
        if event.get("channel_type") == "im" or event.get("type") == "app_home_opened":
            return _str(event.get("channel")) or None
        return None
    channel = _str((body.get("channel") or {}).get("id")) or _str(body.get("channel_id"))
    # Direct-message channel ids start with D; interactions do not say the channel's type.
    return channel if channel.startswith("D") else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- outbound ----------------------------------------------------------------------------------


def render(message: OutboundMessage) -> list[dict[str, Any]]:
    """`chat.postMessage` arguments for a message: several when it is too long for one."""
    choices = [o for o in message.options if not o.done]
    done = next((o for o in message.options if o.done), None)
    controls: list[Block] = []
    listed = False
    if choices:
        multiple = message.expect is Expect.CHOICES or done is not None
        shortened = any(len(o.label) > MAX_OPTION_TEXT for o in choices)
        if multiple and done is not None and _values_fit(choices, MAX_CHECKBOX_TOTAL):
            controls = _checkboxes(choices, done, numbered=shortened)
            listed = shortened
        elif not multiple and len(choices) <= HANDFUL and _ids_fit(choices):
            controls = _buttons(choices, numbered=shortened)
            listed = shortened
        elif not multiple and _values_fit(choices, MAX_SELECT_OPTIONS):
            controls = [_select(choices, numbered=shortened)]
            listed = shortened
        else:
            listed = True
    # A shortened label is shown in full in the text, numbered like its control.
    body = numbered_text(message) if listed else message.text
    hint = message.hint if not listed else None
    sections: list[Block] = [_section(piece) for piece in split_text(body, LIMITS.max_text)]
    if hint:
        controls.insert(0, ContextBlock(elements=[_plain(_clip(hint, MAX_CONTEXT_TEXT))]))
    return _messages(sections, controls)


def render_plain(message: OutboundMessage) -> list[dict[str, Any]]:
    """The message as numbered plain text, for when Slack refuses its blocks."""
    return [
        {"text": _escape(piece), "unfurl_links": False, "unfurl_media": False}
        for piece in split_text(numbered_text(message), LIMITS.max_text)
    ]


def _ids_fit(options: Sequence[Option]) -> bool:
    return all(0 < len(o.id.encode("utf-8")) <= LIMITS.max_callback_bytes for o in options)


def _values_fit(options: Sequence[Option], most: int) -> bool:
    return len(options) <= most and all(0 < len(o.id) <= MAX_OPTION_VALUE for o in options)


def _label(option: Option, number: int, numbered: bool) -> str:
    # Slack refuses an empty control label; the number still says which option it is.
    label = option.label.strip() or str(number)
    return _clip(f"{number}. {label}" if numbered else label, MAX_OPTION_TEXT)


def _buttons(options: Sequence[Option], *, numbered: bool) -> list[Block]:
    buttons = [
        ButtonElement(
            text=_plain(_label(option, number, numbered)),
            action_id=f"{OPTION_ACTION}-{number}",
            value=option.id,
        )
        for number, option in enumerate(options, start=1)
    ]
    return [
        ActionsBlock(elements=buttons[start : start + MAX_ACTIONS_ELEMENTS])
        for start in range(0, len(buttons), MAX_ACTIONS_ELEMENTS)
    ]


def _select(options: Sequence[Option], *, numbered: bool) -> Block:
    return ActionsBlock(
        elements=[
            StaticSelectElement(
                action_id=SELECT_ACTION,
                placeholder=_plain("…"),
                options=[
                    SlackOption(value=option.id, text=_plain(_label(option, number, numbered)))
                    for number, option in enumerate(options, start=1)
                ],
            )
        ]
    )


def _checkboxes(options: Sequence[Option], done: Option, *, numbered: bool) -> list[Block]:
    numbered_options = list(enumerate(options, start=1))
    blocks: list[Block] = []
    for group, start in enumerate(range(0, len(options), MAX_CHECKBOX_OPTIONS), start=1):
        part = numbered_options[start : start + MAX_CHECKBOX_OPTIONS]
        blocks.append(
            ActionsBlock(
                block_id=f"{CHECKBOX_ACTION}-{group}",
                elements=[
                    CheckboxesElement(
                        action_id=f"{CHECKBOX_ACTION}-{group}",
                        options=[
                            SlackOption(
                                value=option.id, text=_plain(_label(option, number, numbered))
                            )
                            for number, option in part
                        ],
                    )
                ],
            )
        )
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=_plain(_clip(done.label.strip() or "✓", MAX_OPTION_TEXT)),
                    action_id=DONE_ACTION,
                    value=done.id,
                    style="primary",
                )
            ]
        )
    )
    return blocks


def _messages(sections: list[Block], controls: list[Block]) -> list[dict[str, Any]]:
    chunks = [
        sections[start : start + SECTIONS_PER_MESSAGE]
        for start in range(0, len(sections), SECTIONS_PER_MESSAGE)
    ]
    chunks[-1] = [*chunks[-1], *controls]
    rendered = []
    for chunk in chunks:
        assert len(chunk) <= MAX_BLOCKS
        texts = [b.text.text for b in chunk if isinstance(b, SectionBlock) and b.text]
        rendered.append(
            {
                "text": _escape("\n".join(texts)),
                "blocks": [block.to_dict() for block in chunk],
                # Links in questions are references, not something to preview.
                "unfurl_links": False,
                "unfurl_media": False,
            }
        )
    return rendered


def _section(text: str) -> SectionBlock:
    # Plain text: what the engine says, including people's own answers, is never formatted.
    return SectionBlock(text=_plain(text or " "))


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _escape(text: str) -> str:
    # The fallback text is read as mrkdwn, where these three characters are markup.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- App Home ----------------------------------------------------------------------------------


def home_view(rounds: Sequence[tuple[str, str]], language: str) -> dict[str, Any]:
    """The App Home tab: the open consultations (code, title) a person may join, and how."""

    def t(text: str, **values: str) -> str:
        translated = translate(language, text)
        return translated.format(**values) if values else translated

    blocks: list[Block] = [
        HeaderBlock(text=_plain(_clip(t("Consultations open to you"), MAX_HEADER_TEXT)))
    ]
    if not rounds:
        blocks.append(_section(t("No consultation is open to you right now.")))
    # Each round takes a section and a divider; the header and the footer take two blocks.
    for code, title in rounds[: (MAX_BLOCKS - 2) // 2]:
        entry = t("{title}\nCode: {code}. To join: /consult join {code}", title=title, code=code)
        blocks.append(_section(_clip(entry, LIMITS.max_text)))
        blocks.append(DividerBlock())
    blocks.append(
        ContextBlock(
            elements=[
                _plain(
                    t(
                        "You can also write join CODE to me in Messages. "
                        "Send /consult help to see what else you can do."
                    )
                )
            ]
        )
    )
    return {"type": "home", "blocks": [block.to_dict() for block in blocks]}

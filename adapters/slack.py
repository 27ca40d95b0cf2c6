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

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    InputInteractiveElement,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks import Option as SlackOption
from slack_sdk.models.views import View

from adapters.contract import Limits, numbered_text, split_text
from core.conversation.words import parse_command
from core.formatting import own_language_name
from core.i18n import SUPPORTED_LANGUAGES, base_language, translate
from core.messages import Expect, InboundEvent, Option, OutboundMessage
from core.updates import MAX_NEXT_STEP, STATUS_SCALE
from core.vocabulary import Platform
from surveys.definition import STATUS_LABELS, ImplementationStatus

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
# The App Home's language menu; its choice outranks the Slack locale.
LANGUAGE_ACTION = "consulta-language"
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
        elif kind == "static_select" and action.get("action_id") == LANGUAGE_ACTION:
            choice = _str((action.get("selected_option") or {}).get("value"))
            if choice in SUPPORTED_LANGUAGES:
                # The App Home's language picker: the person's own choice of language.
                return [
                    InboundEvent(
                        Platform.SLACK,
                        user,
                        language_choice=choice,
                        delivery_id=_str(action.get("action_ts")) or None,
                    )
                ]
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
    # Text-only readers get every option in the numbered list they answer by typing.
    listed = message.text_only and bool(choices)
    if choices and not listed:
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


def language_picker(language: str, label: str) -> Block:
    """The App Home's language menu: each language named in itself, the current one chosen."""
    options = [
        SlackOption(value=code, text=_plain(own_language_name(code)))
        for code in SUPPORTED_LANGUAGES
    ]
    current = next((o for o in options if o.value == base_language(language)), options[0])
    return ActionsBlock(
        block_id=LANGUAGE_ACTION,
        elements=[
            StaticSelectElement(
                action_id=LANGUAGE_ACTION,
                placeholder=_plain(_clip(label, MAX_OPTION_TEXT)),
                options=options,
                initial_option=current,
            )
        ],
    )


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
    # Each round takes a section and a divider; the header, picker and footer take three.
    for code, title in rounds[: (MAX_BLOCKS - 3) // 2]:
        entry = t("{title}\nCode: {code}. To join: /consult join {code}", title=title, code=code)
        blocks.append(_section(_clip(entry, LIMITS.max_text)))
        blocks.append(DividerBlock())
    blocks.append(language_picker(language, t("Language")))
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


# --- implementation updates --------------------------------------------------------------------
#
# A verified government focal point or NHRI member posts an update through a modal, opened by
# `/consult update [REF]` or by the shortcut whose callback_id is UPDATE_SHORTCUT (global, or
# on a message, whose "#12" then fills in the recommendation; a message shortcut may also be
# configured as "consulta_update_message"). Submitting the modal sends a
# view_submission with UPDATE_CALLBACK; a problem with a field is answered with Slack's
# `response_action: "errors"`, keyed by the block_id of the input it concerns.

UPDATE_SUBCOMMAND = "update"
UPDATE_SHORTCUT = "consulta_update"
# Should the app's configuration want distinct ids for its global and message shortcuts.
UPDATE_SHORTCUTS = frozenset({UPDATE_SHORTCUT, "consulta_update_message"})
UPDATE_CALLBACK = "consulta-update"
TARGET_BLOCK = "update-target"
STATUS_BLOCK = "update-status"
NARRATIVE_BLOCK = "update-narrative"
EVIDENCE_BLOCK = "update-evidence"
ENTITY_BLOCK = "update-entity"
INDICATORS_BLOCK = "update-indicators"
NEXT_STEP_BLOCK = "update-next-step"
DUE_BLOCK = "update-due"
UPDATE_BLOCKS = (
    TARGET_BLOCK,
    STATUS_BLOCK,
    NARRATIVE_BLOCK,
    EVIDENCE_BLOCK,
    ENTITY_BLOCK,
    INDICATORS_BLOCK,
    NEXT_STEP_BLOCK,
    DUE_BLOCK,
)
# Each input's value sits under this action_id in view.state.values[block_id].
INPUT_ACTION = "value"
# Slack's limits for modals and their inputs.
MAX_VIEW_TITLE = 24
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
# Slack caps a plain-text input at 3,000 characters, below the core's MAX_NARRATIVE: a
# longer text goes in a linked report, or through the API.
MAX_INPUT_TEXT = 3000
_INDICATOR_SEPARATOR = "|"
# "#12", or "recommendation 12", but not a paragraph number such as 125.14.
_REFERENCES = (
    re.compile(r"(?<![\w&#])#(\d{1,9})(?![\d.,]\d)"),
    re.compile(
        r"\b(?:recommendations?|recommandation|recomendaci[oó]n|rec\.)\s*"
        r"(?:no\.?|n[°º]|number)?\s*#?(\d{1,9})(?![\d.,]?\d)",
        re.IGNORECASE,
    ),
)


@dataclass(frozen=True)
class UpdateRequest:
    """Someone asked for the update modal: who, the trigger to open it, and any reference."""

    user: str
    trigger_id: str
    recommendation: str | None = None


def update_command(body: Mapping[str, Any]) -> UpdateRequest | None:
    """`/consult update [REF]` as a request for the modal; None for any other command."""
    user = _str(body.get("user_id"))
    words = plain_text(_str(body.get("text"))).split()
    if body.get("command") != COMMAND or not user or not words:
        return None
    if words[0].casefold() != UPDATE_SUBCOMMAND:
        return None
    reference = " ".join(words[1:]).strip() or None
    return UpdateRequest(user, _str(body.get("trigger_id")), reference)


def update_shortcut(body: Mapping[str, Any]) -> UpdateRequest | None:
    """The update shortcut, global or on a message (whose recommendation is filled in)."""
    user = _str((body.get("user") or {}).get("id"))
    if not user or body.get("callback_id") not in UPDATE_SHORTCUTS:
        return None
    reference = None
    if body.get("type") == "message_action":
        reference = recommendation_in(_str((body.get("message") or {}).get("text")))
    return UpdateRequest(user, _str(body.get("trigger_id")), reference)


def recommendation_in(text: str) -> str | None:
    """The recommendation a message refers to: its first "#12", else "recommendation 12"."""
    readable = plain_text(text)
    for pattern in _REFERENCES:
        found = pattern.search(readable)
        if found:
            return found.group(1)
    return None


def update_modal(
    language: str,
    *,
    recommendation: str | None = None,
    entities: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The modal an update is posted with; entities are (value, name), the value their id.

    Its private metadata carries the language, so that what the submission says back is in
    the language the modal was shown in.
    """

    def t(text: str) -> str:
        return translate(language, text)

    statuses = [
        SlackOption(value=slug, text=_plain(_clip(_status_label(slug, language), MAX_OPTION_TEXT)))
        for slug in STATUS_SCALE
    ]
    if entities and len(entities) <= MAX_SELECT_OPTIONS:
        entity_element: InputInteractiveElement = StaticSelectElement(
            action_id=INPUT_ACTION,
            placeholder=_plain(_clip(t("Choose the entity"), MAX_PLACEHOLDER)),
            options=[
                SlackOption(
                    value=value[:MAX_OPTION_VALUE],
                    text=_plain(_clip(name.strip() or value, MAX_OPTION_TEXT)),
                )
                for value, name in entities
            ],
        )
    else:
        entity_element = _text_input(
            placeholder=t("Name or acronym of the ministry or agency"), max_length=200
        )
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                _plain(
                    t(
                        "A government update is reviewed by the secretariat before it is "
                        "published; an NHRI assessment is published at once."
                    )
                )
            ]
        ),
        _input(
            TARGET_BLOCK,
            t("Recommendation number or cluster name"),
            _text_input(
                initial_value=_clip(recommendation, 200) if recommendation else None,
                placeholder=t("For example 12"),
                max_length=200,
            ),
            hint=t("The number of the recommendation (12 or #12), or the name of a cluster."),
        ),
        _input(
            STATUS_BLOCK,
            t("Implementation status"),
            StaticSelectElement(
                action_id=INPUT_ACTION,
                placeholder=_plain(_clip(t("Choose a status"), MAX_PLACEHOLDER)),
                options=statuses,
            ),
        ),
        _input(
            NARRATIVE_BLOCK,
            t("What was done"),
            _text_input(multiline=True, max_length=MAX_INPUT_TEXT),
            hint=t(
                "Up to 3,000 characters. For more, link to a longer report under Evidence links."
            ),
        ),
        _input(
            EVIDENCE_BLOCK,
            t("Evidence links"),
            _text_input(multiline=True, placeholder="https://", max_length=MAX_INPUT_TEXT),
            hint=t("One link per line, each starting with http:// or https://."),
            optional=True,
        ),
        _input(ENTITY_BLOCK, t("Responsible entity"), entity_element, optional=True),
        _input(
            INDICATORS_BLOCK,
            t("Indicators"),
            _text_input(
                multiline=True,
                placeholder=t("name | value | YYYY-MM-DD"),
                max_length=MAX_INPUT_TEXT,
            ),
            hint=t(
                "One per line: name | value | date measured (YYYY-MM-DD), "
                "for example: Births registered | 84% | 2027-01-31"
            ),
            optional=True,
        ),
        _input(
            NEXT_STEP_BLOCK,
            t("Next step"),
            _text_input(multiline=True, max_length=MAX_NEXT_STEP),
            optional=True,
        ),
        _input(
            DUE_BLOCK,
            t("Target date for the next step"),
            DatePickerElement(
                action_id=INPUT_ACTION,
                placeholder=_plain(_clip(t("Choose a date"), MAX_PLACEHOLDER)),
            ),
            optional=True,
        ),
    ]
    view = View(
        type="modal",
        callback_id=UPDATE_CALLBACK,
        title=_plain(_clip(t("Implementation update"), MAX_VIEW_TITLE)),
        submit=_plain(_clip(t("Post"), MAX_VIEW_TITLE)),
        close=_plain(_clip(t("Cancel"), MAX_VIEW_TITLE)),
        blocks=blocks,
        private_metadata=json.dumps({"language": language}),
    )
    return view.to_dict()


def update_refusal(language: str) -> str:
    """What someone who may not post updates is told: how to become verified."""
    return translate(
        language,
        "Only verified government focal points and NHRI staff can post implementation "
        "updates. Ask the organisers for an invitation code, then send verify CODE to me "
        "in a direct message.",
    )


def update_notice(text: str, language: str) -> dict[str, Any]:
    """A modal that only says something, such as why the update form is not for this person."""
    view = View(
        type="modal",
        title=_plain(_clip(translate(language, "Implementation update"), MAX_VIEW_TITLE)),
        close=_plain(_clip(translate(language, "Close"), MAX_VIEW_TITLE)),
        blocks=[_section(_clip(text, LIMITS.max_text))],
    )
    return view.to_dict()


def update_not_opened(language: str) -> str:
    """What a slash command answers when Slack did not open the modal."""
    return translate(language, "The update form could not be opened. Please try again.")


def update_failed(language: str) -> dict[str, str]:
    """The modal's errors when the update could not be stored for a reason not the person's."""
    return {
        TARGET_BLOCK: translate(
            language, "Your update could not be saved just now. Please submit it again."
        )
    }


def command_answer(text: str) -> str:
    """A slash command's answer: Slack shows it only to the person, read as mrkdwn."""
    return _escape(text)


def update_posted(language: str, number: int, *, published: bool) -> str:
    """The confirmation sent to the author once the update is stored."""
    if published:
        text = translate(language, "Published as assessment #{number}.")
    else:
        text = translate(
            language,
            "Posted as draft #{number}; the secretariat reviews it before it is published.",
        )
    return text.format(number=number)


def from_update_submission(body: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The submitter's user id and the modal's fields as typed, each "" when left empty.

    The fields are keyed by block_id; "language" is the language the modal was shown in.
    """
    user = _str((body.get("user") or {}).get("id"))
    view = body.get("view") or {}
    values = (view.get("state") or {}).get("values") or {}
    fields: dict[str, str] = {}
    for block_id in UPDATE_BLOCKS:
        element = (values.get(block_id) or {}).get(INPUT_ACTION) or {}
        kind = element.get("type")
        if kind in ("static_select", "radio_buttons"):
            value = (element.get("selected_option") or {}).get("value")
        elif kind == "datepicker":
            value = element.get("selected_date")
        else:
            value = element.get("value")
        fields[block_id] = value if isinstance(value, str) else ""
    language = "en"
    try:
        metadata = json.loads(_str(view.get("private_metadata")) or "{}")
    except ValueError:
        metadata = {}
    if isinstance(metadata, dict) and metadata.get("language") in SUPPORTED_LANGUAGES:
        language = metadata["language"]
    fields["language"] = language
    return user, fields


def parse_update(fields: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """UpdateDraft arguments from the modal's fields, and the errors by block_id.

    The recommendation is passed on as typed: the bot decides whether it names a
    recommendation or a cluster. Values are checked again, with the rest, by the core.
    """
    language = fields.get("language") or "en"

    def t(text: str, **values: Any) -> str:
        translated = translate(language, text)
        return translated.format(**values) if values else translated

    errors: dict[str, str] = {}
    target = fields.get(TARGET_BLOCK, "").strip()
    if not target:
        errors[TARGET_BLOCK] = t("Give a recommendation number, such as 12, or a cluster name.")
    status = fields.get(STATUS_BLOCK, "").strip()
    if status not in STATUS_SCALE:
        errors[STATUS_BLOCK] = t("Choose a status.")
    narrative = fields.get(NARRATIVE_BLOCK, "").strip()
    if not narrative:
        errors[NARRATIVE_BLOCK] = t("Say what was done.")
    indicators: list[dict[str, str]] = []
    lines = [line.strip() for line in fields.get(INDICATORS_BLOCK, "").splitlines()]
    for number, line in enumerate((line for line in lines if line), start=1):
        parts = [part.strip() for part in line.split(_INDICATOR_SEPARATOR)]
        if len(parts) != 3 or not all(parts):
            errors[INDICATORS_BLOCK] = t(
                "Line {number} ({line}) should read name | value | YYYY-MM-DD.",
                number=number,
                line=_clip(line, 60),
            )
            break
        indicators.append({"name": parts[0], "value": parts[1], "date": parts[2]})
    evidence = [
        line.strip() for line in fields.get(EVIDENCE_BLOCK, "").splitlines() if line.strip()
    ]
    entity = fields.get(ENTITY_BLOCK, "").strip()
    draft: dict[str, Any] = {
        "status": status,
        "narrative": narrative,
        "evidence": evidence,
        "responsible_entity": (int(entity) if entity.isdigit() else entity) or None,
        "indicators": indicators,
        "next_step": fields.get(NEXT_STEP_BLOCK, "").strip() or None,
        "next_step_due": fields.get(DUE_BLOCK, "").strip() or None,
        "recommendation": target,
        "language": language,
        "channel": Platform.SLACK.value,
    }
    return draft, errors


# The core names the field a problem is in at the start of its message.
_FIELD_OF_ERROR = (
    ("status", STATUS_BLOCK),
    ("narrative", NARRATIVE_BLOCK),
    ("evidence", EVIDENCE_BLOCK),
    ("indicator", INDICATORS_BLOCK),
    ("next step's target date", DUE_BLOCK),
    ("next step", NEXT_STEP_BLOCK),
    ("no responsible entity", ENTITY_BLOCK),
    ("responsible entity", ENTITY_BLOCK),
)


def update_errors(message: str) -> dict[str, str]:
    """A problem the core found, under the input it concerns (the recommendation otherwise)."""
    lowered = message.strip().casefold()
    block = next(
        (block for prefix, block in _FIELD_OF_ERROR if lowered.startswith(prefix)), TARGET_BLOCK
    )
    return {block: _clip(message.strip(), MAX_LABEL)}


def _status_label(slug: str, language: str) -> str:
    labels = STATUS_LABELS[ImplementationStatus(slug)]
    return labels.get(language) or labels["en"]


def _input(
    block_id: str,
    label: str,
    element: InputInteractiveElement,
    *,
    hint: str | None = None,
    optional: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=_plain(_clip(label, MAX_LABEL)),
        element=element,
        hint=_plain(_clip(hint, MAX_LABEL)) if hint else None,
        optional=optional,
    )


def _text_input(
    *,
    multiline: bool = False,
    max_length: int = MAX_INPUT_TEXT,
    placeholder: str | None = None,
    initial_value: str | None = None,
) -> PlainTextInputElement:
    return PlainTextInputElement(
        action_id=INPUT_ACTION,
        multiline=multiline,
        max_length=min(max_length, MAX_INPUT_TEXT),
        placeholder=_plain(_clip(placeholder, MAX_PLACEHOLDER)) if placeholder else None,
        initial_value=initial_value,
    )

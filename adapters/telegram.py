"""The Telegram channel: updates become InboundEvents, OutboundMessages become sendMessage calls.

Translation only. Sending, storing and deciding what to say happen elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType

from adapters.contract import Limits, buttons_fit, numbered_text, split_text
from core.messages import InboundEvent, Option, OutboundMessage
from core.vocabulary import Platform

# Twelve buttons still fit a phone screen; labels past 40 characters are cut off on a phone,
# so such options are better read as a numbered list.
LIMITS = Limits(
    max_buttons=12, max_button_text=40, max_text=4096, max_callback_bytes=64, can_edit=True
)
# Short labels share a row (yes/no, a rating scale); a row wider than this is hard to tap.
ROW_WIDTH = 24
MAX_PER_ROW = 5
# Telegram sends 0 for "banned forever".
_FOREVER = datetime.fromtimestamp(0, UTC)


class NotAnUpdate(ValueError):
    """A JSON body that is not a Telegram update."""


@dataclass(frozen=True)
class ChatMemberChange:
    """Someone blocked the bot (unreachable, possibly until a date) or started it again."""

    sender_id: str
    reachable: bool
    until: datetime | None = None


def parse_update(data: object, bot: Bot | None = None) -> Update:
    """The Update a JSON body describes; NotAnUpdate when it describes none."""
    if not isinstance(data, Mapping):
        raise NotAnUpdate("an update is a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise NotAnUpdate("an update has an integer update_id")
    try:
        return Update.de_json(dict(data), bot)
    except (TypeError, ValueError, KeyError, AttributeError) as failure:
        raise NotAnUpdate(f"the update's fields are malformed ({type(failure).__name__})") from None


def to_event(
    update: Update, bot_username: str | None = None
) -> InboundEvent | ChatMemberChange | None:
    """The neutral event an update carries, or None for updates Consulta does not use."""
    delivery_id = str(update.update_id)
    if update.my_chat_member is not None:
        return _member_change(update)
    if update.callback_query is not None:
        query = update.callback_query
        if query.data is None or query.from_user.is_bot:
            return None
        chat = query.message.chat if query.message is not None else None
        return InboundEvent(
            platform=Platform.TELEGRAM,
            sender_id=str(chat.id if chat is not None else query.from_user.id),
            option_id=query.data,
            delivery_id=delivery_id,
            language_hint=query.from_user.language_code,
            is_private=chat is None or chat.type == ChatType.PRIVATE,
        )
    if update.edited_message is not None:
        edited = update.edited_message
        if edited.chat.type != ChatType.PRIVATE or _from_bot(edited):
            # An edit in a group is not addressed to us a second time.
            return None
        return _message_event(edited, delivery_id, edited=True)
    message = update.message or update.channel_post
    if message is None or _from_bot(message):
        return None
    if message.chat.type == ChatType.PRIVATE:
        return _message_event(message, delivery_id)
    if not _addressed_to_bot(message, bot_username):
        return None
    # In a group the engine only points the person to a private chat; it stores nothing.
    return _message_event(message, delivery_id, private=False)


def _message_event(
    message: Message, delivery_id: str, *, edited: bool = False, private: bool = True
) -> InboundEvent:
    return InboundEvent(
        platform=Platform.TELEGRAM,
        sender_id=str(message.chat.id),
        text=message.text if message.text is not None else message.caption,
        delivery_id=delivery_id,
        message_id=str(message.message_id),
        language_hint=message.from_user.language_code if message.from_user else None,
        is_private=private,
        edited=edited,
    )


def _from_bot(message: Message) -> bool:
    return message.from_user is not None and message.from_user.is_bot


def _addressed_to_bot(message: Message, bot_username: str | None) -> bool:
    """A command meant for us, an @mention of us, or a reply to one of our messages."""
    ours = (bot_username or "").casefold()
    entities = (
        message.parse_entities([MessageEntity.BOT_COMMAND, MessageEntity.MENTION])
        if message.text is not None
        else message.parse_caption_entities([MessageEntity.BOT_COMMAND, MessageEntity.MENTION])
    )
    for entity, text in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            # /help@OtherBot is for another bot; a bare /help is for every bot in the group.
            _, _, target = text.partition("@")
            if not target or target.casefold() == ours:
                return True
        elif entity.type == MessageEntity.MENTION and ours and text[1:].casefold() == ours:
            return True
    replied = message.reply_to_message
    return bool(
        ours
        and replied is not None
        and replied.from_user is not None
        and (replied.from_user.username or "").casefold() == ours
    )


def _member_change(update: Update) -> ChatMemberChange | None:
    change = update.my_chat_member
    assert change is not None
    if change.chat.type != ChatType.PRIVATE:
        # Being added to or removed from a group says nothing about a participant.
        return None
    member = change.new_chat_member
    if member.status == ChatMemberStatus.BANNED:
        until = getattr(member, "until_date", None)
        return ChatMemberChange(
            str(change.chat.id), reachable=False, until=None if until == _FOREVER else until
        )
    if member.status == ChatMemberStatus.MEMBER:
        return ChatMemberChange(str(change.chat.id), reachable=True)
    return None


def render(message: OutboundMessage) -> list[dict[str, Any]]:
    """The keyword arguments of `Bot.send_message` for each piece of the message, in order."""
    if message.options and buttons_fit(message, LIMITS):
        text = f"{message.text}\n({message.hint})" if message.hint else message.text
        keyboard: InlineKeyboardMarkup | None = keyboard_for(message.options)
    else:
        text = numbered_text(message)
        keyboard = None
    pieces = [p for p in split_text(text, LIMITS.max_text) if p.strip()]
    calls: list[dict[str, Any]] = [
        # Recommendations quote links; a preview card would bury the question.
        {"text": piece, "link_preview_options": LinkPreviewOptions(is_disabled=True)}
        for piece in pieces
    ]
    if calls and keyboard is not None:
        calls[-1]["reply_markup"] = keyboard
    return calls


def keyboard_for(options: tuple[Option, ...]) -> InlineKeyboardMarkup:
    """Inline buttons for the options: short labels share rows, the Done button comes last."""
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    width = 0
    for option in options:
        if option.done:
            continue
        if row and (len(row) == MAX_PER_ROW or width + len(option.label) > ROW_WIDTH):
            rows.append(row)
            row, width = [], 0
        row.append(_button(option))
        width += len(option.label)
    if row:
        rows.append(row)
    rows.extend([_button(option)] for option in options if option.done)
    return InlineKeyboardMarkup(rows)


def _button(option: Option) -> InlineKeyboardButton:
    # Telegram refuses the whole message when callback data exceeds 64 bytes, and
    # python-telegram-bot does not check it, so the check is ours.
    if len(option.id.encode("utf-8")) > LIMITS.max_callback_bytes:
        raise ValueError(
            f"an option id of {len(option.id.encode('utf-8'))} bytes cannot be callback data "
            f"(at most {LIMITS.max_callback_bytes})"
        )
    return InlineKeyboardButton(option.label, callback_data=option.id)

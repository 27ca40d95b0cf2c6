"""Telegram translation: updates to neutral events, neutral messages to sendMessage arguments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup

from adapters.contract import numbered_text
from adapters.telegram import (
    LIMITS,
    ChatMemberChange,
    NotAnUpdate,
    keyboard_for,
    parse_update,
    render,
    to_event,
)
from core.messages import Expect, InboundEvent, Option, OutboundMessage
from core.vocabulary import Platform
from tests.fakes.telegram_api import BOT_USER, TelegramUser, group_message

AMINA = TelegramUser(id=284_610_392, language_code="fr")
BOT = str(BOT_USER["username"])


def event_of(data: dict[str, Any]) -> InboundEvent | ChatMemberChange | None:
    return to_event(parse_update(data), bot_username=BOT)


def from_a_bot() -> dict[str, Any]:
    update = AMINA.says("hello")
    update["message"]["from"] = {**BOT_USER, "id": 99, "username": "OtherBot"}
    return update


def photo_without_caption() -> dict[str, Any]:
    update = AMINA.says("ignored")
    del update["message"]["text"]
    update["message"]["photo"] = [
        {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}
    ]
    return update


def inline_query() -> dict[str, Any]:
    return {
        "update_id": 77,
        "inline_query": {"id": "4110", "from": AMINA.user(), "query": "UPR", "offset": ""},
    }


def test_a_private_message_becomes_an_event():
    update = AMINA.says("/start TEST01")
    event = event_of(update)
    assert event == InboundEvent(
        platform=Platform.TELEGRAM,
        sender_id=str(AMINA.id),
        text="/start TEST01",
        delivery_id=str(update["update_id"]),
        message_id=str(update["message"]["message_id"]),
        language_hint="fr",
        is_private=True,
    )


def test_a_button_press_carries_the_option_id():
    update = AMINA.presses("3.2")
    event = event_of(update)
    assert isinstance(event, InboundEvent)
    assert (event.option_id, event.text, event.sender_id) == ("3.2", None, str(AMINA.id))
    assert event.delivery_id == str(update["update_id"]) and event.is_private
    assert event.language_hint == "fr"


def test_an_edit_names_the_edited_message():
    update = AMINA.edits(41, "Seven")
    event = event_of(update)
    assert isinstance(event, InboundEvent)
    assert (event.edited, event.message_id, event.text) == (True, "41", "Seven")
    assert event.delivery_id == str(update["update_id"])


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (
            AMINA.member_status("kicked", until_date=0),
            ChatMemberChange(str(AMINA.id), reachable=False, until=None),
        ),
        (
            AMINA.member_status("kicked", until_date=1_900_000_000),
            ChatMemberChange(
                str(AMINA.id), reachable=False, until=datetime.fromtimestamp(1_900_000_000, UTC)
            ),
        ),
        (AMINA.member_status("member"), ChatMemberChange(str(AMINA.id), reachable=True)),
    ],
    ids=["blocked-forever", "blocked-until", "restarted"],
)
def test_my_chat_member_says_whether_the_person_can_be_reached(update, expected):
    assert event_of(update) == expected


@pytest.mark.parametrize(
    "text",
    ["/help", "/help@ConsultaBot", "@consultabot how do I answer?", "Hi @ConsultaBot"],
)
def test_a_group_message_addressed_to_the_bot_is_not_private(text):
    event = event_of(group_message(AMINA, text, update_id=9))
    assert isinstance(event, InboundEvent)
    assert not event.is_private and event.text == text
    assert event.sender_id == "-1001234567890"


def test_a_reply_to_the_bot_in_a_group_is_addressed_to_it():
    update = group_message(AMINA, "what should I do?", update_id=10)
    update["message"]["reply_to_message"] = {
        "message_id": 5,
        "from": BOT_USER,
        "chat": update["message"]["chat"],
        "date": 1_700_000_000,
        "text": "I only take answers in a private chat.",
    }
    event = event_of(update)
    assert isinstance(event, InboundEvent) and not event.is_private


@pytest.mark.parametrize(
    "update",
    [
        group_message(AMINA, "we should meet on Tuesday", update_id=11),
        group_message(AMINA, "/help@OtherBot", update_id=12),
        group_message(AMINA, "ask @OtherBot", update_id=13),
        from_a_bot(),
        inline_query(),
        {"update_id": 14},
    ],
    ids=[
        "chatter",
        "other-bots-command",
        "other-bots-mention",
        "bot-sender",
        "inline-query",
        "empty",
    ],
)
def test_updates_consulta_does_not_use_are_ignored(update):
    assert event_of(update) is None


def test_a_group_membership_change_is_ignored():
    update = AMINA.member_status("kicked")
    update["my_chat_member"]["chat"] = {"id": -100777, "title": "Network", "type": "supergroup"}
    assert event_of(update) is None


def test_a_message_without_text_still_reaches_the_engine():
    event = event_of(photo_without_caption())
    assert isinstance(event, InboundEvent) and event.text is None


@pytest.mark.parametrize(
    "data",
    [[1, 2], "update", {"message": {}}, {"update_id": "7"}, {"update_id": True}],
    ids=["list", "string", "no-update-id", "text-update-id", "bool-update-id"],
)
def test_json_that_is_not_an_update_is_refused(data):
    with pytest.raises(NotAnUpdate):
        parse_update(data)


def test_a_malformed_update_is_refused():
    with pytest.raises(NotAnUpdate):
        parse_update({"update_id": 5, "message": {"text": "no chat, no date"}})


# --- render -------------------------------------------------------------------------------------


def keyboard(call: dict[str, Any]) -> list[list[tuple[str, str]]]:
    markup = call["reply_markup"]
    assert isinstance(markup, InlineKeyboardMarkup)
    return [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]


def test_a_plain_message_is_one_call_without_keyboard():
    calls = render(OutboundMessage("Thank you. Let's begin."))
    assert [c["text"] for c in calls] == ["Thank you. Let's begin."]
    assert "reply_markup" not in calls[0]


def test_short_options_share_a_row_and_done_comes_last():
    message = OutboundMessage(
        "Which topics did you follow?",
        (
            Option("4.1", "Laws"),
            Option("4.2", "Budgets"),
            Option("4.3", "Data"),
            Option("4.done", "Done", done=True),
        ),
        Expect.CHOICES,
        hint="Pick all that apply",
    )
    [call] = render(message)
    assert call["text"] == "Which topics did you follow?\n(Pick all that apply)"
    assert keyboard(call) == [
        [("Laws", "4.1"), ("Budgets", "4.2"), ("Data", "4.3")],
        [("Done", "4.done")],
    ]


def test_long_labels_get_a_row_each():
    labels = ["Fully implemented", "Partially implemented", "Not implemented", "I don't know"]
    message = OutboundMessage(
        "How far is it implemented?",
        tuple(Option(f"9.{i}", label) for i, label in enumerate(labels, start=1)),
        Expect.CHOICE,
    )
    rows = keyboard(render(message)[0])
    assert [[text for text, _ in row] for row in rows] == [
        ["Fully implemented"],
        ["Partially implemented"],
        ["Not implemented"],
        ["I don't know"],
    ]


def test_a_long_text_is_split_and_the_keyboard_goes_on_the_last_piece():
    paragraph = "The State should guarantee free birth registration for every child. " * 20
    text = "\n".join([paragraph] * 5)
    message = OutboundMessage(text, (Option("2.1", "Yes"), Option("2.2", "No")), Expect.CHOICE)
    calls = render(message)
    assert len(calls) > 1
    assert all(len(c["text"]) <= LIMITS.max_text for c in calls)
    assert all("reply_markup" not in c for c in calls[:-1])
    assert keyboard(calls[-1]) == [[("Yes", "2.1"), ("No", "2.2")]]
    assert " ".join(" ".join(c["text"].split()) for c in calls) == " ".join(text.split())


def test_too_many_options_become_numbered_text():
    options = tuple(Option(f"5.{i}", f"Theme {i}") for i in range(1, LIMITS.max_buttons + 2))
    message = OutboundMessage("Which themes?", options, Expect.CHOICE)
    [call] = render(message)
    assert "reply_markup" not in call
    assert call["text"] == numbered_text(message)
    assert "13. Theme 13" in call["text"]


def test_callback_data_over_64_bytes_falls_back_to_numbered_text():
    too_long = "7." + "é" * 32  # 66 bytes in UTF-8, though only 34 characters
    message = OutboundMessage(
        "Choose", (Option(too_long, "One"), Option("7.2", "Two")), Expect.CHOICE
    )
    [call] = render(message)
    assert "reply_markup" not in call
    assert call["text"] == "Choose\n1. One\n2. Two"


def test_callback_data_at_64_bytes_is_a_button():
    exact = "7." + "x" * 62
    [call] = render(OutboundMessage("Choose", (Option(exact, "One"),), Expect.CHOICE))
    assert keyboard(call) == [[("One", exact)]]


def test_a_label_too_long_for_a_phone_becomes_numbered_text():
    label = "125.14 Ensure free birth registration for all children, including…"
    message = OutboundMessage("Which do you know?", (Option("3.1", label),), Expect.CHOICES)
    [call] = render(message)
    assert "reply_markup" not in call and f"1. {label}" in call["text"]


def test_the_keyboard_refuses_callback_data_telegram_would_refuse():
    with pytest.raises(ValueError, match="65 bytes"):
        keyboard_for((Option("x" * 65, "Too long"),))

"""Text-only rendering on every channel, Arabic isolates in numbered lists, and Slack's picker."""

from __future__ import annotations

from adapters import slack, telegram, webhook
from adapters.contract import numbered_text
from core.bidi import FSI, PDI
from core.i18n import translate
from core.messages import Expect, Option, OutboundMessage
from tests.fakes.slack_api import block_actions, block_problems

USER = "U0PERSON1"
STATUS = (Option("4.1", "Not started"), Option("4.2", "In progress"), Option("4.3", "Done!"))
TOPICS = (Option("5.1", "Law"), Option("5.2", "Data"), Option("5.done", "Done", done=True))


def _plain(message: OutboundMessage) -> OutboundMessage:
    return OutboundMessage(message.text, message.options, message.expect, language="en")


def test_text_only_telegram_sends_a_numbered_list_and_no_keyboard():
    message = OutboundMessage("How far?", STATUS, Expect.CHOICE, text_only=True)
    (call,) = telegram.render(message)
    assert "reply_markup" not in call
    assert call["text"].splitlines() == ["How far?", "1. Not started", "2. In progress", "3. Done!"]
    # The same message for someone who did not ask for text-only has buttons.
    assert "reply_markup" in telegram.render(_plain(message))[0]


def test_text_only_slack_sends_no_controls():
    message = OutboundMessage("Which topics?", TOPICS, Expect.CHOICES, text_only=True)
    rendered = slack.render(message)
    blocks = [block for part in rendered for block in part["blocks"]]
    assert all(block["type"] != "actions" for block in blocks)
    text = "\n".join(block["text"]["text"] for block in blocks if block["type"] == "section")
    assert "1. Law" in text and "2. Data" in text
    assert any(b["type"] == "actions" for p in slack.render(_plain(message)) for b in p["blocks"])


def test_text_only_webhook_writes_the_options_into_the_text():
    message = OutboundMessage("How far?", STATUS, Expect.CHOICE, text_only=True)
    reply = webhook.render(message)
    assert reply["options"] == []
    assert "3. Done!" in reply["text"]
    assert len(webhook.render(_plain(message))["options"]) == 3


def test_the_numbered_list_note_is_translated_and_arabic_numbers_are_isolated():
    message = OutboundMessage("أي المواضيع؟", TOPICS, Expect.CHOICES, language="ar")
    text = numbered_text(message)
    note = translate("ar", "(Send the numbers of your choices, separated by commas.)")
    assert note.replace(FSI, "").replace(PDI, "") in text.replace(FSI, "").replace(PDI, "")
    assert f"{FSI}1. Law{PDI}" in text


def test_arabic_messages_isolate_their_left_to_right_runs_once():
    message = OutboundMessage(
        "التوصية A/HRC/52/12 (البرازيل): https://uhri.ohchr.org/ar",
        (Option("1.1", "نعم"), Option("1.2", "Maria Lopez")),
        Expect.CHOICE,
        hint="مثال 2027-03-31",
        language="ar",
    )
    assert f"{FSI}A/HRC/52/12{PDI}" in message.text
    assert f"{FSI}https://uhri.ohchr.org/ar{PDI}" in message.text
    assert message.options[1].label == f"{FSI}Maria Lopez{PDI}"
    assert message.hint == f"مثال {FSI}2027-03-31{PDI}"
    # Stored in the outbox and read back, it is not wrapped twice.
    again = OutboundMessage(message.text, message.options, message.expect, message.hint, "ar")
    assert again == message
    assert OutboundMessage("Recommendation A/HRC/52/12", language="fr").text == (
        "Recommendation A/HRC/52/12"
    )


def test_the_app_home_offers_the_six_languages_in_their_own_names():
    view = slack.home_view([("TEST01", "Mid-term check")], "fr")
    assert block_problems(view["blocks"], most=100) == []
    (picker,) = [
        element
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == slack.LANGUAGE_ACTION
    ]
    names = [option["text"]["text"] for option in picker["options"]]
    assert names == ["English", "Français", "Español", "العربية", "Русский", "中文"]
    assert picker["initial_option"]["value"] == "fr"


def test_a_choice_in_the_app_home_picker_is_the_persons_own_choice_of_language():
    select = {
        "type": "static_select",
        "action_id": slack.LANGUAGE_ACTION,
        "block_id": slack.LANGUAGE_ACTION,
        "selected_option": {"text": {"type": "plain_text", "text": "Русский"}, "value": "ru"},
        "action_ts": "1700000000.123456",
    }
    payload = block_actions(USER, select, {"text": ""})
    payload["container"] = {"type": "view", "view_id": "V0HOME"}
    (event,) = slack.from_block_actions(payload)
    assert (event.sender_id, event.language_choice, event.text, event.option_id) == (
        USER,
        "ru",
        None,
        None,
    )
    # A value that is no supported language is ignored rather than stored.
    select["selected_option"]["value"] = "xx"
    assert slack.from_block_actions(block_actions(USER, select, {"text": ""})) == []


def test_the_webhook_language_field_is_the_senders_own_choice():
    posted = webhook.InboundMessage(
        sender="+254700000001", text="1", message_id="m1", language="ar"
    )
    event = webhook.to_event(posted, "msg_1")
    assert (event.language_choice, event.language_hint) == ("ar", "ar")
    silent = webhook.to_event(
        webhook.InboundMessage(sender="+2547", text="1", message_id="m2"), "m"
    )
    assert event.language_choice and silent.language_choice is None

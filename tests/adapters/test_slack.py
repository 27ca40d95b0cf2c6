"""Slack translation: payloads in, Block Kit out, within the limits Slack enforces."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import slack
from core.i18n import translate
from core.messages import Expect, InboundEvent, Option, OutboundMessage
from core.vocabulary import Platform
from tests.fakes.slack_api import (
    block_actions,
    block_problems,
    edit_event,
    envelope,
    message_event,
    slash_command,
)

USER = "U0PERSON1"


def options(count: int, label: str = "Option {n}", seq: int = 7) -> tuple[Option, ...]:
    return tuple(Option(f"{seq}.{n}", label.format(n=n)) for n in range(1, count + 1))


def choices(count: int, label: str = "Choice {n}") -> OutboundMessage:
    done = Option("7.done", "Done", done=True)
    return OutboundMessage("Pick any", (*options(count, label), done), Expect.CHOICES)


def elements(rendered: list[dict], kind: str) -> list[dict]:
    return [
        element
        for message in rendered
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == kind
    ]


def assert_slack_accepts(rendered: list[dict]) -> None:
    for message in rendered:
        assert block_problems(message["blocks"]) == []
        assert len(message["text"]) <= 40_000


# --- inbound -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("es-LA", "es"),
        ("es-ES", "es"),
        ("fr-FR", "fr"),
        ("fr-CA", "fr"),
        ("zh-CN", "zh"),
        ("zh-TW", "zh"),
        ("ru-RU", "ru"),
        ("ar", "ar"),
        ("pt-BR", None),
        ("ja-JP", None),
        ("de_DE", None),
        ("", None),
        (None, None),
    ],
)
def test_slack_locales_map_to_supported_languages(locale, language):
    assert slack.language_from_locale(locale) == language


def test_a_direct_message_is_a_private_event_deduped_by_event_id():
    event = message_event(USER, "Fish &amp; chips &lt;3 <https://example.org|example.org>")
    translated = slack.from_event(envelope(event, "Ev0001"))
    assert translated == InboundEvent(
        Platform.SLACK,
        USER,
        text="Fish & chips <3 example.org",
        delivery_id="Ev0001",
        message_id=event["ts"],
        is_private=True,
    )


@pytest.mark.parametrize("channel_type", ["channel", "group", "mpim"])
def test_messages_outside_the_dm_are_not_private(channel_type):
    event = message_event(USER, "yes", channel="C0GENERAL", channel_type=channel_type)
    translated = slack.from_event(envelope(event))
    assert translated is not None and translated.is_private is False


def test_a_mention_is_not_private():
    mention = {
        "type": "app_mention",
        "user": USER,
        "text": "<@U0BOTUSER> can I answer here?",
        "ts": "1700000000.000100",
        "channel": "C0GENERAL",
        "event_ts": "1700000000.000100",
    }
    translated = slack.from_event(envelope(mention, "Ev0002"))
    assert translated is not None
    assert (translated.sender_id, translated.is_private, translated.delivery_id) == (
        USER,
        False,
        "Ev0002",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": "B0OTHER"},
        {"subtype": "bot_message", "bot_id": "B0OTHER", "user": None},
        {"subtype": "channel_join"},
        {"subtype": "message_deleted"},
        {"user": None},
    ],
)
def test_bot_and_system_messages_are_ignored(change):
    event = {**message_event(USER, "hello"), **change}
    assert slack.from_event(envelope(event)) is None


def test_other_event_types_are_not_translated():
    assert slack.from_event(envelope({"type": "reaction_added", "user": USER})) is None


def test_an_edit_refers_to_the_original_message():
    event = edit_event(USER, "1700000000.000200", old="yes", new="no")
    translated = slack.from_event(envelope(event, "Ev0003"))
    assert translated == InboundEvent(
        Platform.SLACK,
        USER,
        text="no",
        delivery_id="Ev0003",
        message_id="1700000000.000200",
        edited=True,
    )


def test_a_link_preview_is_not_an_edit():
    event = edit_event(USER, "1700000000.000300", old="see example.org", new="see example.org")
    assert slack.from_event(envelope(event)) is None
    unmarked = edit_event(USER, "1700000000.000300", old="a", new="b", unfurl=True)
    assert slack.from_event(envelope(unmarked)) is None


def test_edits_by_bots_or_outside_the_dm_are_ignored():
    by_bot = edit_event(USER, "1700000000.000400", old="a", new="b")
    by_bot["message"]["bot_id"] = "B0OTHER"
    assert slack.from_event(envelope(by_bot)) is None
    in_channel = {**edit_event(USER, "1700000000.000400", old="a", new="b")}
    in_channel["channel_type"] = "channel"
    assert slack.from_event(envelope(in_channel)) is None


def test_a_button_press_is_an_option():
    button = {"type": "button", "action_id": "option-1", "block_id": "b", "value": "3.1"}
    payload = block_actions(USER, button, {"text": "Do you agree?"})
    (event,) = slack.from_block_actions(payload)
    assert (event.sender_id, event.option_id, event.text) == (USER, "3.1", None)
    assert event.delivery_id == f"{payload['trigger_id']}:0" and event.is_private


def test_a_menu_choice_is_an_option():
    select = {
        "type": "static_select",
        "action_id": "option-select",
        "block_id": "b",
        "selected_option": {"text": {"type": "plain_text", "text": "Eight"}, "value": "4.8"},
    }
    (event,) = slack.from_block_actions(block_actions(USER, select, {}))
    assert event.option_id == "4.8"


def test_ticks_wait_for_done_which_presses_each_ticked_option_then_done():
    ticked = [{"text": {"type": "plain_text", "text": t}, "value": v} for t, v in (("A", "5.1"),)]
    more = [{"text": {"type": "plain_text", "text": "C"}, "value": "5.13"}]
    state = {
        "choices-1": {"choices-1": {"type": "checkboxes", "selected_options": ticked}},
        "choices-2": {"choices-2": {"type": "checkboxes", "selected_options": more}},
        "other": {"note": {"type": "plain_text_input", "value": "ignored"}},
    }
    tick = {"type": "checkboxes", "action_id": "choices-1", "block_id": "choices-1"}
    assert (
        slack.from_block_actions(block_actions(USER, {**tick, "selected_options": ticked}, {}))
        == []
    )
    done = {"type": "button", "action_id": "choices-done", "block_id": "d", "value": "5.done"}
    payload = block_actions(USER, done, {}, state=state)
    events = slack.from_block_actions(payload)
    assert [e.option_id for e in events] == ["5.1", "5.13", "5.done"]
    assert len({e.delivery_id for e in events}) == 3


def test_done_with_nothing_ticked_is_only_done():
    done = {"type": "button", "action_id": "choices-done", "block_id": "d", "value": "5.done"}
    assert [e.option_id for e in slack.from_block_actions(block_actions(USER, done, {}))] == [
        "5.done"
    ]


@pytest.mark.parametrize(
    ("typed", "engine_text"),
    [
        ("join TEST01", "/join TEST01"),
        ("  join   test01 ", "/join test01"),
        ("review", "/review"),
        ("status", "/review"),
        ("language fr", "/language fr"),
        ("help", "/help"),
        ("", "/help"),
        ("TEST01", "/join TEST01"),
        ("what is this", "/help"),
        ("rejoindre TEST01", "/rejoindre TEST01"),
    ],
)
def test_the_consult_command_is_always_a_command(typed, engine_text):
    assert slack.command_text(typed) == engine_text


def test_a_slash_command_becomes_an_event_for_the_dm():
    form = slash_command(USER, "join TEST01")
    event = slack.from_command(form)
    assert event is not None
    assert (event.sender_id, event.text, event.is_private) == (USER, "/join TEST01", True)
    assert event.delivery_id == f"{form['trigger_id']}:command"
    assert slack.from_command({**form, "command": "/other"}) is None
    assert slack.dm_channel(form) is None
    assert slack.dm_channel({**form, "channel_id": "D0PERSON1"}) == "D0PERSON1"


def test_replies_go_to_the_dm_a_payload_came_from():
    assert slack.dm_channel(envelope(message_event(USER, "hi"))) == "D0PERSON1"
    public = envelope(message_event(USER, "hi", channel="C0GENERAL", channel_type="channel"))
    assert slack.dm_channel(public) is None
    home = {"type": "app_home_opened", "user": USER, "channel": "D0PERSON1", "tab": "home"}
    assert slack.dm_channel(envelope(home)) == "D0PERSON1"
    assert slack.dm_channel(block_actions(USER, {"type": "button"}, {})) == "D0PERSON1"
    in_channel = block_actions(USER, {"type": "button"}, {"channel": "C0GENERAL"})
    assert slack.dm_channel(in_channel) is None


# --- outbound ----------------------------------------------------------------------------------


def test_plain_text_is_one_section_with_an_escaped_fallback():
    (message,) = slack.render(OutboundMessage("Rights & <duties>"))
    assert message["text"] == "Rights &amp; &lt;duties&gt;"
    assert message["blocks"] == [
        {
            "type": "section",
            "text": {"type": "plain_text", "text": "Rights & <duties>", "emoji": True},
        }
    ]
    assert message["unfurl_links"] is False


def test_a_few_options_are_buttons_carrying_option_ids():
    message = OutboundMessage("Agree?", options(2, "Answer {n}"), Expect.CHOICE, hint="Tap one")
    rendered = slack.render(message)
    buttons = elements(rendered, "button")
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        ("Answer 1", "7.1"),
        ("Answer 2", "7.2"),
    ]
    assert len({b["action_id"] for b in buttons}) == 2
    context = [b for b in rendered[0]["blocks"] if b["type"] == "context"]
    assert context[0]["elements"][0]["text"] == "Tap one"
    assert_slack_accepts(rendered)


def test_many_single_choice_options_are_a_menu():
    rendered = slack.render(OutboundMessage("Rate", options(11), Expect.CHOICE))
    (menu,) = elements(rendered, "static_select")
    assert [o["value"] for o in menu["options"]] == [f"7.{n}" for n in range(1, 12)]
    assert elements(rendered, "button") == []
    assert_slack_accepts(rendered)


def test_a_menu_holds_at_most_a_hundred_options_then_numbers_take_over():
    assert (
        len(
            elements(
                slack.render(OutboundMessage("Pick", options(100), Expect.CHOICE)), "static_select"
            )[0]["options"]
        )
        == 100
    )
    rendered = slack.render(OutboundMessage("Pick", options(101), Expect.CHOICE))
    assert all(b["type"] == "section" for m in rendered for b in m["blocks"])
    text = "\n".join(m["text"] for m in rendered)
    assert "1. Option 1" in text and "101. Option 101" in text
    assert_slack_accepts(rendered)


def test_long_labels_are_shortened_on_buttons_and_shown_whole_in_the_text():
    label = "Ensure that every child born on its territory is registered free of charge, {n}"
    rendered = slack.render(OutboundMessage("Which one?", options(3, label), Expect.CHOICE))
    buttons = elements(rendered, "button")
    assert all(len(b["text"]["text"]) <= 75 for b in buttons)
    assert buttons[0]["text"]["text"].startswith("1. Ensure") and buttons[0]["text"][
        "text"
    ].endswith("…")
    assert label.format(n=3) in rendered[0]["blocks"][0]["text"]["text"]
    assert_slack_accepts(rendered)


def test_multiple_choice_is_checkboxes_and_a_done_button():
    rendered = slack.render(choices(3))
    (group,) = elements(rendered, "checkboxes")
    assert [o["value"] for o in group["options"]] == ["7.1", "7.2", "7.3"]
    (done,) = elements(rendered, "button")
    assert (done["text"]["text"], done["value"], done["action_id"]) == (
        "Done",
        "7.done",
        slack.DONE_ACTION,
    )
    assert_slack_accepts(rendered)


def test_checkbox_groups_hold_ten_options_each():
    rendered = slack.render(choices(23))
    groups = elements(rendered, "checkboxes")
    assert [len(g["options"]) for g in groups] == [10, 10, 3]
    assert len({g["action_id"] for g in groups}) == 3
    assert_slack_accepts(rendered)


def test_too_many_choices_fall_back_to_typed_numbers():
    rendered = slack.render(choices(120))
    assert elements(rendered, "checkboxes") == [] and elements(rendered, "button") == []
    text = "\n".join(m["text"] for m in rendered)
    assert "120. Choice 120" in text and "separated by commas" in text
    assert "Done" not in text


def test_a_long_text_is_split_into_sections_and_messages():
    paragraph = "word " * 199 + "end.\n"
    long = paragraph * 100  # 100,000 characters
    rendered = slack.render(OutboundMessage(long, options(2), Expect.CHOICE))
    assert len(rendered) > 1
    sections = [b for m in rendered for b in m["blocks"] if b["type"] == "section"]
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert sum(len(s["text"]["text"]) for s in sections) >= len(long.replace("\n", "")) - 200
    assert elements(rendered[:-1], "button") == [] and len(elements(rendered[-1:], "button")) == 2
    assert_slack_accepts(rendered)


def test_plain_rendering_numbers_the_options():
    (message,) = slack.render_plain(OutboundMessage("Agree?", options(2, "A{n}"), Expect.CHOICE))
    assert message == {"text": "Agree?\n1. A1\n2. A2", "unfurl_links": False, "unfurl_media": False}


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(min_size=0, max_size=9000),
    count=st.integers(min_value=0, max_value=130),
    label_size=st.integers(min_value=0, max_value=120),
    multiple=st.booleans(),
)
def test_whatever_the_message_slack_accepts_it_and_every_option_can_be_chosen(
    text, count, label_size, multiple
):
    labels = tuple(
        Option(f"9.{n}", (f"{n} " + "x" * label_size)[:label_size]) for n in range(1, count + 1)
    )
    if multiple and count:
        message = OutboundMessage(
            text, (*labels, Option("9.done", "Done", done=True)), Expect.CHOICES
        )
    else:
        message = OutboundMessage(text, labels, Expect.CHOICE if count else Expect.NOTHING)
    rendered = slack.render(message)
    assert_slack_accepts(rendered)
    values = {
        v
        for kind in ("button", "static_select", "checkboxes")
        for element in elements(rendered, kind)
        for v in (
            [element["value"]] if "value" in element else [o["value"] for o in element["options"]]
        )
    }
    everything = "\n".join(m["text"] for m in rendered)
    for number, option in enumerate(labels, start=1):
        assert option.id in values or f"{number}. " in everything


def test_the_home_tab_lists_rounds_and_how_to_join():
    view = slack.home_view([("TEST01", "Mid-term check")], "en")
    assert view["type"] == "home"
    texts = [b.get("text", {}).get("text", "") for b in view["blocks"]]
    assert any("Mid-term check" in t and "/consult join TEST01" in t for t in texts)
    assert block_problems(view["blocks"], most=100) == []
    empty = slack.home_view([], "fr")
    nothing = translate("fr", "No consultation is open to you right now.")
    assert nothing != "No consultation is open to you right now."
    assert any(nothing in b.get("text", {}).get("text", "") for b in empty["blocks"])

"""The update modal: Slack's payloads in; the modal and its field errors out, as Slack wants."""

from __future__ import annotations

import json

import pytest

from adapters import slack
from core.errors import InvalidInput
from core.i18n import SUPPORTED_LANGUAGES
from core.updates import STATUS_SCALE, UpdateDraft, check_link, check_status, parse_date
from surveys.definition import STATUS_LABELS, ImplementationStatus
from tests.fakes.slack_api import (
    global_shortcut,
    message_action,
    slash_command,
    state_values,
    view_problems,
    view_submission,
)

USER = "U0PERSON1"
ENTITIES = [("1", "Ministry of Justice (MoJ)"), ("2", "Civil Registry Office")]


def inputs(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def filled(**changes: str) -> dict[str, str]:
    answers = {
        slack.TARGET_BLOCK: "12",
        slack.STATUS_BLOCK: "In progress",
        slack.NARRATIVE_BLOCK: "The registration law passed.\nFees were removed in March.",
        slack.EVIDENCE_BLOCK: "https://example.org/law.pdf\n\n  http://example.org/gazette  ",
        slack.ENTITY_BLOCK: "Civil Registry Office",
        slack.INDICATORS_BLOCK: (
            "Births registered | 84% | 2027-01-31\nOffices open | 12 | 2027-02-01"
        ),
        slack.NEXT_STEP_BLOCK: "Mobile registration units",
        slack.DUE_BLOCK: "2027-06-30",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v}


# --- the modal ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_modal_is_one_slack_accepts_in_every_language(language):
    view = slack.update_modal(language, recommendation="12", entities=ENTITIES)
    assert view_problems(view) == []
    assert view["callback_id"] == slack.UPDATE_CALLBACK
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {"language": language}
    assert list(inputs(view)) == list(slack.UPDATE_BLOCKS)


def test_the_statuses_are_the_four_of_the_scale_in_the_persons_language():
    view = slack.update_modal("fr")
    select = inputs(view)[slack.STATUS_BLOCK]["element"]
    assert select["type"] == "static_select"
    assert [o["value"] for o in select["options"]] == list(STATUS_SCALE)
    assert [o["text"]["text"] for o in select["options"]] == [
        STATUS_LABELS[ImplementationStatus(slug)]["fr"] for slug in STATUS_SCALE
    ]
    assert "Pas commencée" in [o["text"]["text"] for o in select["options"]]


def test_required_and_optional_inputs():
    view = slack.update_modal("en")
    optional = {block_id for block_id, b in inputs(view).items() if b["optional"]}
    assert optional == {
        slack.EVIDENCE_BLOCK,
        slack.ENTITY_BLOCK,
        slack.INDICATORS_BLOCK,
        slack.NEXT_STEP_BLOCK,
        slack.DUE_BLOCK,
    }
    blocks = inputs(view)
    assert blocks[slack.NARRATIVE_BLOCK]["element"]["multiline"] is True
    assert blocks[slack.EVIDENCE_BLOCK]["element"]["multiline"] is True
    assert blocks[slack.INDICATORS_BLOCK]["element"]["multiline"] is True
    assert blocks[slack.DUE_BLOCK]["element"]["type"] == "datepicker"
    # Slack refuses a plain-text input longer than 3,000 characters.
    assert blocks[slack.NARRATIVE_BLOCK]["element"]["max_length"] == 3000
    assert "YYYY-MM-DD" in blocks[slack.INDICATORS_BLOCK]["hint"]["text"]


def test_a_known_recommendation_is_filled_in():
    assert (
        inputs(slack.update_modal("en", recommendation="12"))[slack.TARGET_BLOCK]["element"][
            "initial_value"
        ]
        == "12"
    )
    assert "initial_value" not in inputs(slack.update_modal("en"))[slack.TARGET_BLOCK]["element"]


def test_entities_are_a_menu_up_to_a_hundred_and_typed_beyond():
    menu = inputs(slack.update_modal("en", entities=ENTITIES))[slack.ENTITY_BLOCK]["element"]
    assert menu["type"] == "static_select"
    assert [(o["value"], o["text"]["text"]) for o in menu["options"]] == ENTITIES

    long_names = [(str(n), f"Ministry number {n} " + "x" * 90) for n in range(1, 101)]
    view = slack.update_modal("en", entities=long_names)
    menu = inputs(view)[slack.ENTITY_BLOCK]["element"]
    assert len(menu["options"]) == 100 and view_problems(view) == []
    assert all(len(o["text"]["text"]) <= 75 for o in menu["options"])

    many = [(str(n), f"Agency {n}") for n in range(1, 102)]
    view = slack.update_modal("en", entities=many)
    assert inputs(view)[slack.ENTITY_BLOCK]["element"]["type"] == "plain_text_input"
    assert view_problems(view) == []
    typed = inputs(slack.update_modal("en"))[slack.ENTITY_BLOCK]["element"]
    assert typed["type"] == "plain_text_input"


def test_the_refusal_notice_is_a_modal_without_a_form():
    notice = slack.update_notice(slack.update_refusal("en"), "en")
    assert view_problems(notice) == []
    assert "submit" not in notice and "callback_id" not in notice
    assert "verify CODE" in json.dumps(notice) and "invitation code" in json.dumps(notice)


# --- what opens it -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "reference"),
    [("update", None), ("update 12", "12"), ("UPDATE #12", "#12"), ("  update   7 ", "7")],
)
def test_the_update_command_asks_for_the_modal(typed, reference):
    form = slash_command(USER, typed)
    request = slack.update_command(form)
    assert request == slack.UpdateRequest(USER, form["trigger_id"], reference)


@pytest.mark.parametrize("typed", ["", "join TEST01", "help", "updates", "review"])
def test_other_commands_are_not_update_requests(typed):
    assert slack.update_command(slash_command(USER, typed)) is None


def test_another_apps_command_is_not_an_update_request():
    assert slack.update_command(slash_command(USER, "update", command="/other")) is None


def test_the_global_shortcut_opens_an_empty_modal():
    payload = global_shortcut(USER, slack.UPDATE_SHORTCUT)
    assert slack.update_shortcut(payload) == slack.UpdateRequest(USER, payload["trigger_id"])


def test_the_message_shortcut_fills_in_the_recommendation_the_message_names():
    payload = message_action(USER, slack.UPDATE_SHORTCUT, "Good news on #12: the law passed")
    request = slack.update_shortcut(payload)
    assert request == slack.UpdateRequest(USER, payload["trigger_id"], "12")


def test_a_message_shortcut_may_have_its_own_callback_id():
    payload = message_action(USER, "consulta_update_message", "About #4")
    assert slack.update_shortcut(payload) == slack.UpdateRequest(USER, payload["trigger_id"], "4")


def test_other_shortcuts_are_not_update_requests():
    assert slack.update_shortcut(global_shortcut(USER, "another_shortcut")) is None
    assert slack.update_shortcut({**global_shortcut("", slack.UPDATE_SHORTCUT)}) is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Good news on #12: the law passed", "12"),
        ("see recommendation 7, and #9", "9"),
        ("See recommendation 7 for details", "7"),
        ("Recommendation #31 is done.", "31"),
        ("La recommandation n° 4 avance", "4"),
        ("<#C0GENERAL|general> follow-up of #5.", "5"),
        ("Recommendation 125.14 (UPR) is partly done", None),
        ("version #2.1 of the plan", None),
        ("nothing to see here", None),
        ("", None),
    ],
)
def test_a_recommendation_reference_is_found_in_a_message(text, found):
    assert slack.recommendation_in(text) == found


# --- the submission ----------------------------------------------------------------------------


def test_a_submission_as_slack_sends_it_is_read_field_by_field():
    # A view_submission body as Slack posts it (the payload field of the form).
    body = {
        "type": "view_submission",
        "team": {"id": "T0CONSULTA", "domain": "consulta-test"},
        "user": {"id": USER, "username": "amina", "name": "amina", "team_id": "T0CONSULTA"},
        "api_app_id": "A0CONSULTA",
        "token": "legacy-verification-token",
        "trigger_id": "5919140498613.5919140311.4b4b6a0e0b4e",
        "view": {
            "id": "V06ABCDEF12",
            "team_id": "T0CONSULTA",
            "type": "modal",
            "blocks": [],
            "private_metadata": '{"language": "es"}',
            "callback_id": "consulta-update",
            "state": {
                "values": {
                    "update-target": {"value": {"type": "plain_text_input", "value": "#3"}},
                    "update-status": {
                        "value": {
                            "type": "static_select",
                            "selected_option": {
                                "text": {"type": "plain_text", "text": "En curso", "emoji": True},
                                "value": "in_progress",
                            },
                        }
                    },
                    "update-narrative": {
                        "value": {"type": "plain_text_input", "value": "Se aprobó la ley."}
                    },
                    "update-evidence": {"value": {"type": "plain_text_input", "value": None}},
                    "update-entity": {"value": {"type": "static_select", "selected_option": None}},
                    "update-indicators": {"value": {"type": "plain_text_input", "value": None}},
                    "update-next-step": {"value": {"type": "plain_text_input", "value": None}},
                    "update-due": {"value": {"type": "datepicker", "selected_date": "2027-09-01"}},
                }
            },
            "hash": "1700000000.AbCdEf12",
            "title": {"type": "plain_text", "text": "Implementation update", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Post", "emoji": True},
            "previous_view_id": None,
            "root_view_id": "V06ABCDEF12",
            "app_id": "A0CONSULTA",
            "external_id": "",
            "app_installed_team_id": "T0CONSULTA",
            "bot_id": "B0BOTID",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    user, fields = slack.from_update_submission(body)
    assert user == USER
    assert fields == {
        slack.TARGET_BLOCK: "#3",
        slack.STATUS_BLOCK: "in_progress",
        slack.NARRATIVE_BLOCK: "Se aprobó la ley.",
        slack.EVIDENCE_BLOCK: "",
        slack.ENTITY_BLOCK: "",
        slack.INDICATORS_BLOCK: "",
        slack.NEXT_STEP_BLOCK: "",
        slack.DUE_BLOCK: "2027-09-01",
        "language": "es",
    }


def test_a_filled_in_modal_becomes_an_update_draft():
    view = slack.update_modal("en", entities=ENTITIES)
    user, fields = slack.from_update_submission(view_submission(USER, view, filled()))
    draft, errors = slack.parse_update(fields)
    assert (user, errors) == (USER, {})
    assert draft == {
        "status": "in_progress",
        "narrative": "The registration law passed.\nFees were removed in March.",
        "evidence": ["https://example.org/law.pdf", "http://example.org/gazette"],
        "responsible_entity": 2,
        "indicators": [
            {"name": "Births registered", "value": "84%", "date": "2027-01-31"},
            {"name": "Offices open", "value": "12", "date": "2027-02-01"},
        ],
        "next_step": "Mobile registration units",
        "next_step_due": "2027-06-30",
        "recommendation": "12",
        "language": "en",
        "channel": "slack",
    }
    assert UpdateDraft(**draft).channel == "slack"


def test_a_typed_entity_is_passed_on_by_name():
    view = slack.update_modal("en")
    answers = filled(**{slack.ENTITY_BLOCK: "MoJ"})
    draft, errors = slack.parse_update(
        slack.from_update_submission(view_submission(USER, view, answers))[1]
    )
    assert errors == {} and draft["responsible_entity"] == "MoJ"


def test_only_what_was_filled_in_is_passed_on():
    view = slack.update_modal("en")
    answers = {
        slack.TARGET_BLOCK: "Birth registration",
        slack.STATUS_BLOCK: "Not started",
        slack.NARRATIVE_BLOCK: "Nothing yet.",
    }
    draft, errors = slack.parse_update(
        slack.from_update_submission(view_submission(USER, view, answers))[1]
    )
    assert errors == {}
    assert draft["evidence"] == [] and draft["indicators"] == []
    assert draft["responsible_entity"] is None and draft["next_step"] is None
    assert draft["next_step_due"] is None and draft["recommendation"] == "Birth registration"


@pytest.mark.parametrize(
    "line",
    [
        "Births registered 84% 2027-01-31",
        "Births registered | 84%",
        "| 84% | 2027-01-31",
        "a|b|c|d",
    ],
)
def test_an_indicator_line_that_does_not_parse_is_an_error_under_the_indicators(line):
    view = slack.update_modal("en")
    answers = filled(**{slack.INDICATORS_BLOCK: f"Offices open | 12 | 2027-02-01\n{line}"})
    _, errors = slack.parse_update(
        slack.from_update_submission(view_submission(USER, view, answers))[1]
    )
    assert list(errors) == [slack.INDICATORS_BLOCK]
    assert "Line 2" in errors[slack.INDICATORS_BLOCK]
    assert "name | value | YYYY-MM-DD" in errors[slack.INDICATORS_BLOCK]


def test_missing_required_fields_are_errors_under_each():
    fields = {block: "" for block in slack.UPDATE_BLOCKS} | {"language": "en"}
    _, errors = slack.parse_update(fields)
    assert set(errors) == {slack.TARGET_BLOCK, slack.STATUS_BLOCK, slack.NARRATIVE_BLOCK}


def test_a_submission_with_unreadable_metadata_is_read_in_english():
    answers = filled(**{slack.STATUS_BLOCK: "in_progress"})
    for metadata in ("not json", '{"language": "xx"}', "[]"):
        view = {**slack.update_modal("fr"), "private_metadata": metadata}
        _, fields = slack.from_update_submission(view_submission(USER, view, answers))
        assert fields["language"] == "en"


def _message(check) -> str:
    with pytest.raises(InvalidInput) as raised:
        check()
    return str(raised.value)


@pytest.mark.parametrize(
    ("message", "block"),
    [
        (_message(lambda: check_link("ftp://example.org/x", "evidence link 2")), "update-evidence"),
        (_message(lambda: check_status("finished")), "update-status"),
        (_message(lambda: parse_date("2027-13-01", "indicator 1's date")), "update-indicators"),
        (
            _message(lambda: parse_date("tomorrow", "next step's target date")),
            "update-due",
        ),
        ("narrative: 50,000 characters is too long; the limit is 10,000", "update-narrative"),
        ("evidence: at most 20 links", "update-evidence"),
        ("indicators: at most 30", "update-indicators"),
        ("next step: the limit is 2,000 characters", "update-next-step"),
        ("next step's target date: say what the next step is as well", "update-due"),
        ("no responsible entity with id, name or acronym 'MoX'", "update-entity"),
        ("no recommendation with number, source id or key '999'", "update-target"),
        ("cluster 'Birth registration' has no recommendations yet", "update-target"),
        ("an update is about one recommendation or one cluster: give one", "update-target"),
    ],
)
def test_core_errors_go_under_the_field_they_name(message, block):
    errors = slack.update_errors(message)
    assert errors == {block: message}
    assert block in slack.UPDATE_BLOCKS


def test_state_values_of_an_unfilled_modal_are_all_null():
    values = state_values(slack.update_modal("en", entities=ENTITIES), {})
    assert set(values) == set(slack.UPDATE_BLOCKS)
    assert values[slack.ENTITY_BLOCK] == {
        "value": {"type": "static_select", "selected_option": None}
    }


def test_the_confirmation_says_whether_the_update_is_published():
    assert slack.update_posted("en", 4, published=True) == "Published as assessment #4."
    draft = slack.update_posted("en", 5, published=False)
    assert draft.startswith("Posted as draft #5;") and "secretariat" in draft

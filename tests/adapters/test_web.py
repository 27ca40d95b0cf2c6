"""The web channel's translation: form posts to neutral events, prompts to questions on a page."""

from __future__ import annotations

import pytest

from adapters import web
from core.i18n import preferred_language
from core.messages import Expect, InboundEvent, Option, OutboundMessage
from core.vocabulary import Platform

SENDER = web.sender_id("k" * 32)
NONCE = "n0nce-n0nce-n0nce"


def _single(text: str = "Which sector do you work in?", language: str = "en") -> OutboundMessage:
    options = (Option("4.1", "Health"), Option("4.2", "Education"), Option("4.3", "Justice"))
    return OutboundMessage(text, options, Expect.CHOICE, None, language)


def _multiple() -> OutboundMessage:
    options = (
        Option("5.1", "Laws"),
        Option("5.2", "Budgets"),
        Option("5.3", "Data"),
        Option("5.done", "Done", done=True),
    )
    return OutboundMessage("Which topics did you follow?", options, Expect.CHOICES)


def _event(submission: web.Submission, message: OutboundMessage | None) -> object:
    question = web.question_of([message]) if message is not None else None
    return web.to_event(
        submission, sender=SENDER, round_code="WEB01", question=question, language="en"
    )


def test_keys_are_random_and_only_their_digest_is_the_sender_id():
    first, second = web.new_key(), web.new_key()
    assert first != second
    assert web.is_key(first) and web.is_key(second)
    assert not web.is_key("short") and not web.is_key(first + "x") and not web.is_key("../" * 11)
    assert web.sender_id(first) != first and len(web.sender_id(first)) == 64
    assert web.sender_id(first) == web.sender_id(first)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("de, en;q=0.5, fr;q=0.7", "fr"),
        ("ar-EG", "ar"),
        ("es", None),
        ("fr;q=0, en;q=0.1", "en"),
        ("*", None),
        ("", None),
        (None, None),
        ("fr;q=nonsense, en", "en"),
    ],
)
def test_the_browser_language_is_picked_among_the_round_languages(header, expected):
    assert preferred_language(header, ("en", "fr", "ar")) == expected


def test_a_single_choice_becomes_radio_buttons_under_its_question():
    question = web.question_of([_single()])
    assert question is not None
    assert question.legend == "Which sector do you work in?"
    assert question.control == "radio"
    assert [o.label for o in question.options] == ["Health", "Education", "Justice"]
    assert question.context == () and question.done is None and not question.optional


def test_a_multiple_choice_becomes_checkboxes_and_its_done_the_send_button():
    question = web.question_of([_multiple()])
    assert question is not None and question.control == "checkbox"
    assert [o.label for o in question.options] == ["Laws", "Budgets", "Data"]
    assert question.done == Option("5.done", "Done", done=True)


@pytest.mark.parametrize(
    ("expect", "control"),
    [(Expect.TEXT, "textarea"), (Expect.NUMBER, "number"), (Expect.DATE, "date")],
)
def test_typed_answers_get_the_control_the_prompt_expects(expect, control):
    message = OutboundMessage("How many staff?", (), expect, "Count everyone.", "en")
    question = web.question_of([message])
    assert question is not None
    assert question.control == control and question.hint == "Count everyone."


def test_what_leads_up_to_a_question_is_its_context_and_the_skip_instruction_a_button():
    header = OutboundMessage("Recommendation 12.3 (UPR): Ratify the convention.")
    asked = OutboundMessage(
        "Before it, a line.\nWhat shows this?\n(Optional: send skip to leave it out.)",
        (),
        Expect.TEXT,
    )
    question = web.question_of([header, asked])
    assert question is not None
    assert question.legend == "What shows this?"
    assert question.context == (
        "Recommendation 12.3 (UPR): Ratify the convention.",
        "Before it, a line.",
    )
    assert question.optional


def test_the_skip_instruction_is_recognised_in_the_prompt_language(monkeypatch):
    monkeypatch.setattr(web, "translate", lambda language, message: f"[{language}] {message}")
    asked = OutboundMessage(
        "Autre chose ?\n[fr] (Optional: send skip to leave it out.)", (), Expect.TEXT, None, "fr"
    )
    question = web.question_of([asked])
    assert question is not None and question.optional and question.legend == "Autre chose ?"


def test_consent_paragraphs_lead_up_to_the_question_they_end_with():
    consent = OutboundMessage(
        "Welcome.\n\nOrganisers see your answers.\n\nDo you agree to take part?",
        (Option("1.1", "I agree"), Option("1.2", "No, thank you")),
        Expect.CHOICE,
    )
    question = web.question_of([consent])
    assert question is not None
    assert question.legend == "Do you agree to take part?"
    assert question.context == ("Welcome.", "Organisers see your answers.")


def test_nothing_to_answer_is_no_question():
    assert web.question_of([]) is None
    assert web.question_of([OutboundMessage("Thank you for taking part!")]) is None


def test_a_prompt_changes_its_fingerprint_with_its_ids_its_words_and_its_language():
    same = web.question_of([_single()])
    again = web.question_of([_single()])
    assert same is not None and again is not None and same.fingerprint == again.fingerprint
    renumbered = OutboundMessage(
        "Which sector do you work in?",
        (Option("5.1", "Health"), Option("5.2", "Education"), Option("5.3", "Justice")),
        Expect.CHOICE,
    )
    for other in (renumbered, _single(language="fr"), _single("Which sector, again?")):
        found = web.question_of([other])
        assert found is not None and found.fingerprint != same.fingerprint


def test_replies_split_into_the_question_and_what_else_was_said():
    replies = [OutboundMessage("Thank you. Let's begin."), OutboundMessage("A note."), _single()]
    exchange = web.exchange_of(replies)
    assert exchange.notices == ("Thank you. Let's begin.", "A note.")
    assert exchange.question is not None and exchange.question.legend.startswith("Which sector")
    finished = web.exchange_of([OutboundMessage("That was the last question.")])
    assert finished == web.Exchange(("That was the last question.",), None)
    assert web.exchange_of([]) == web.Exchange((), None)


def test_a_chosen_radio_button_is_sent_as_its_option_id():
    event = _event(web.Submission("answer", choice="4.3", nonce=NONCE), _single())
    assert event == InboundEvent(
        platform=Platform.WEB, sender_id=SENDER, option_id="4.3", delivery_id=f"web:{NONCE}"
    )


@pytest.mark.parametrize("choice", ["", "9.9", "4.3 ", "<script>"])
def test_no_choice_or_a_choice_from_nowhere_is_a_problem_not_an_event(choice):
    made = _event(web.Submission("answer", choice=choice), _single())
    assert made == web.Problem("Please choose one of the answers.")


def test_ticked_boxes_are_sent_as_their_numbers_and_none_ticked_as_done():
    made = _event(web.Submission("answer", choices=("5.3", "5.1", "5.3", "x")), _multiple())
    assert isinstance(made, InboundEvent) and made.text == "1, 3" and made.option_id is None
    nothing = _event(web.Submission("answer", choices=()), _multiple())
    assert isinstance(nothing, InboundEvent) and nothing.option_id == "5.done"


def test_typed_answers_are_sent_as_text_and_an_empty_one_is_a_problem():
    asked = OutboundMessage("Anything else?", (), Expect.TEXT)
    made = _event(web.Submission("answer", answer="  Two lines\r\nof text  "), asked)
    assert isinstance(made, InboundEvent) and made.text == "Two lines\nof text"
    empty = _event(web.Submission("answer", answer=" \r\n "), asked)
    assert empty == web.Problem("Please write your answer in the box before sending it.")


def test_buttons_become_the_commands_every_channel_understands():
    def text_of(submission: web.Submission) -> str | None:
        made = _event(submission, _single())
        assert isinstance(made, InboundEvent)
        return made.text

    assert text_of(web.Submission("join")) == "join WEB01"
    assert text_of(web.Submission("skip")) == "skip"
    assert text_of(web.Submission("resume")) == "resume"
    assert text_of(web.Submission("language", language=" FR ")) == "language fr"


def test_an_unknown_button_or_an_answer_with_no_question_is_a_problem():
    for unknown in ("delete everything", "withdraw", ""):
        assert _event(web.Submission(unknown), _single()) == web.Problem(
            "This form could not be read. Please answer again."
        )
    # The Previous question button is the `back` every channel understands.
    went_back = _event(web.Submission("back"), _single())
    assert isinstance(went_back, InboundEvent) and went_back.text == "back"
    assert _event(web.Submission("answer", answer="yes"), None) == web.Problem(
        "There is no question to answer right now."
    )


def test_only_a_well_formed_nonce_becomes_the_delivery_id():
    asked = OutboundMessage("Anything else?", (), Expect.TEXT)
    for nonce in ("", "short", "x" * 65, "has spaces in it!"):
        made = _event(web.Submission("answer", answer="fine", nonce=nonce), asked)
        assert isinstance(made, InboundEvent) and made.delivery_id is None


def test_problems_are_said_in_the_page_language(monkeypatch):
    monkeypatch.setattr(web, "translate", lambda language, message: f"[{language}] {message}")
    made = web.to_event(
        web.Submission("answer"),
        sender=SENDER,
        round_code="WEB01",
        question=web.question_of([_single()]),
        language="ar",
    )
    assert made == web.Problem("[ar] Please choose one of the answers.")

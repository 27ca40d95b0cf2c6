"""Profile questions in conversation: asked only after the participant agrees, once, just
before the first one they reach; declining skips them all and stores nothing for them."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import answers as answer_store
from core import rounds
from core.db import Database
from core.i18n import translate
from core.models import Answer, AuditEntry, Conversation, ConversationStatus
from surveys.templates import template_path
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW, open_round
from tests.fakes.chat import Participant

SURVEY = """\
id: profile-dialogue
title: {en: "Profile dialogue", fr: "Dialogue de profil"}
languages: [en, fr]
questions:
  - id: involved
    kind: yes_no
    label:
      en: "Have you followed these recommendations?"
      fr: "Avez-vous suivi ces recommandations ?"
  - id: gender
    kind: single_choice
    profile: true
    relevant: "${involved} = 'yes'"
    label: {en: "What is your gender?", fr: "Quel est votre genre ?"}
    choices:
      - {id: woman, label: {en: "Woman", fr: "Femme"}}
      - {id: man, label: {en: "Man", fr: "Homme"}}
      - {id: another, label: {en: "Another gender", fr: "Autre genre"}}
  - id: comment
    kind: text
    required: false
    private_choice: false
    label: {en: "Anything else?", fr: "Autre chose ?"}
  - id: about_you
    kind: group
    questions:
      - id: disability
        kind: yes_no
        profile: true
        label: {en: "Do you have a disability?", fr: "Êtes-vous en situation de handicap ?"}
      - id: age_group
        kind: single_choice
        profile: true
        label: {en: "How old are you?", fr: "Quel âge avez-vous ?"}
        choices:
          - {id: under_40, label: {en: "Under 40", fr: "Moins de 40 ans"}}
          - {id: over_40, label: {en: "40 or over", fr: "40 ans ou plus"}}
  - id: closing
    kind: note
    label: {en: "Thank you.", fr: "Merci."}
"""
PROFILE = {"gender", "disability", "age_group"}
# The offer, with the round's smallest cell size (7 here) in it.
OFFER_MESSAGE = (
    "A few optional questions about you (for example gender or region) help show whether "
    "some groups see things differently. Your answers are only ever counted with others, "
    "and groups smaller than {k} are hidden. Answer them?"
)
OFFER = OFFER_MESSAGE.format(k=7)
# The same offer, as the French catalog says it.
OFFRE = translate("fr", OFFER_MESSAGE).format(k=7)
# The start of every conversation here: join, agree, say yes to "involved".
START = [
    ("TEST01", "Do you agree to take part?"),
    ("1", "Have you followed these recommendations?"),
    ("yes", OFFER),
]


@pytest.fixture
def profiled(database: Database, tmp_path: Path) -> Database:
    path = tmp_path / "profile-dialogue.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    open_round(database, survey_path=path, min_cell_size=7)
    return database


@pytest.fixture
def someone(profiled: Database) -> Participant:
    return Participant(profiled, PSEUDONYM_KEY, now=NOW)


class Transcript:
    """Everything the bot said to one participant, to count what was asked how often."""

    def __init__(self, person: Participant) -> None:
        self.person = person
        self.said: list[str] = []

    def run(self, table: list[tuple[str, str]]) -> None:
        for sent, expected in table:
            said = self.person.send(sent)
            self.said.append(said)
            assert expected in said, f"after sending {sent!r} expected {expected!r}, got:\n{said}"

    def press(self, label: str) -> str:
        said = self.person.press(label)
        self.said.append(said)
        return said

    def offers(self) -> int:
        # The offer's opening words, in English and in French, whatever the round's k.
        openings = [OFFER.split("(")[0], OFFRE.split("(")[0]]
        return sum(text.count(opening) for text in self.said for opening in openings)


def stored(database: Database) -> dict[str, object]:
    """Current answers by slot, withdrawn ones left out, as results would see them."""
    with database.unit_of_work() as session:
        consultation = rounds.find_round(session, "TEST01")
        return {
            a["question"]: a["text"] if a["text"] is not None else a["value"]
            for a in answer_store.for_round(session, consultation)
        }


def every_version(database: Database) -> list[Answer]:
    with database.unit_of_work() as session:
        rows = list(session.scalars(select(Answer).order_by(Answer.id)))
        session.expunge_all()
        return rows


def selections(database: Database) -> dict[str, object]:
    with database.unit_of_work() as session:
        return dict(session.scalars(select(Conversation)).one().selections)


# --- agreeing ------------------------------------------------------------------------------


def test_the_offer_comes_once_just_before_the_first_profile_question(someone, profiled):
    talk = Transcript(someone)
    talk.run(
        [
            *START,
            ("1", "What is your gender?"),
            ("Man", "Anything else?"),
            ("Budgets matter most.", "Do you have a disability?"),  # no second offer
            ("no", "How old are you?"),
            ("2", "That was the last question. You gave 5 answers"),
        ]
    )

    assert talk.offers() == 1
    assert OFFER in talk.said[2]
    assert stored(profiled) == {
        "involved": "yes",
        "gender": "man",
        "comment": "Budgets matter most.",
        "disability": "no",
        "age_group": "over_40",
    }
    kinds = {a.question_id: a.kind for a in every_version(profiled)}
    assert kinds["gender"] == "single_choice" and kinds["disability"] == "yes_no"
    assert selections(profiled) == {"#profile": True}


def test_the_offer_has_two_buttons_and_profile_questions_can_be_skipped(someone, profiled):
    talk = Transcript(someone)
    talk.run(START)
    offer = someone.last[-1]
    assert [o.label for o in offer.options] == ["Yes", "No, skip them"]

    assert "(Optional: send skip to leave it out.)" in talk.press("Yes")
    talk.run(
        [
            ("skip", "Anything else?"),
            ("skip", "Do you have a disability?"),
            ("skip", "How old are you?"),
            ("Under 40", "That was the last question. You gave 2 answers"),
        ]
    )

    assert stored(profiled) == {
        "involved": "yes",
        "gender": None,
        "comment": None,
        "disability": None,
        "age_group": "under_40",
    }


def test_the_offer_waits_for_the_first_profile_question_that_applies(someone, profiled):
    talk = Transcript(someone)
    talk.run(
        [
            ("TEST01", "Do you agree"),
            ("1", "Have you followed"),
            ("no", "Anything else?"),  # gender does not apply, so no offer yet
            ("skip", OFFER),  # the offer comes before disability, the first that applies
            ("yes", "Do you have a disability?"),
        ]
    )

    assert talk.offers() == 1
    assert "What is your gender?" not in "\n".join(talk.said)


@pytest.mark.parametrize("typed", ["1", "yes", "Yes", "YES"])
def test_typed_yes_accepts(someone, profiled, typed):
    Transcript(someone).run([*START, (typed, "What is your gender?")])
    assert selections(profiled) == {"#profile": True}


# --- declining -----------------------------------------------------------------------------


def test_declining_skips_every_profile_question_and_stores_nothing_for_them(someone, profiled):
    talk = Transcript(someone)
    talk.run(START)

    assert "Anything else?" in talk.press("No, skip them")
    talk.run([("Nothing more", "That was the last question. You gave 2 answers")])

    said = "\n".join(talk.said)
    for label in ("What is your gender?", "Do you have a disability?", "How old are you?"):
        assert label not in said
    assert stored(profiled) == {"involved": "yes", "comment": "Nothing more"}
    assert not [a for a in every_version(profiled) if a.question_id in PROFILE]
    assert selections(profiled) == {"#profile": False}
    with profiled.unit_of_work() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry))]
        assert "profile.consent" in actions
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status is ConversationStatus.COMPLETED


@pytest.mark.parametrize("typed", ["2", "no", "No", "skip", "No, skip them"])
def test_typed_no_or_skip_declines(someone, profiled, typed):
    Transcript(someone).run([*START, (typed, "Anything else?")])
    assert selections(profiled) == {"#profile": False}


def test_an_unreadable_reply_to_the_offer_asks_again(someone, profiled):
    Transcript(someone).run([*START, ("perhaps later", "Please answer with a number from 1 to 2")])
    assert OFFER in someone.said
    assert "#profile" not in selections(profiled)


def test_review_hides_profile_questions_when_declined(someone, profiled):
    talk = Transcript(someone)
    talk.run([*START, ("2", "Anything else?"), ("Nothing more", "That was the last question")])

    review = someone.send("review")

    assert "1. Have you followed these recommendations? → Yes" in review
    assert "2. Anything else? → “Nothing more”" in review
    assert "3." not in review
    assert "gender" not in review and "disability" not in review
    assert "Please give the number of an answer from 1 to 2" in someone.send("change 3")


def test_review_lists_profile_answers_when_agreed_and_change_works(someone, profiled):
    Transcript(someone).run(
        [
            *START,
            ("1", "What is your gender?"),
            ("Woman", "Anything else?"),
            ("skip", "Do you have a disability?"),
            ("yes", "How old are you?"),
            ("skip", "That was the last question"),
        ]
    )

    review = someone.send("review")
    assert "2. What is your gender? → Woman" in review
    assert "4. Do you have a disability? → Yes" in review
    assert "5. How old are you? → (skipped)" in review

    Transcript(someone).run(
        [
            ("change 2", "What is your gender?"),  # no second offer on the way
            ("Another gender", "That was the last question"),
        ]
    )
    assert stored(profiled)["gender"] == "another"
    assert "A few optional questions" not in someone.said

    assert "Answer 4 is withdrawn" in someone.send("withdraw 4")
    assert "disability" not in stored(profiled)


# --- changing one's mind -------------------------------------------------------------------


def test_back_reaches_the_offer_and_declining_then_withdraws_profile_answers(someone, profiled):
    talk = Transcript(someone)
    talk.run(
        [
            *START,
            ("1", "What is your gender?"),
            ("Woman", "Anything else?"),
            ("back", "What is your gender?"),
            ("back", OFFER),
            ("No, skip them", "Anything else?"),
            ("Nothing more", "That was the last question. You gave 2 answers"),
        ]
    )

    assert stored(profiled) == {"involved": "yes", "comment": "Nothing more"}
    gender = [a for a in every_version(profiled) if a.question_id == "gender"]
    assert [a.withdrawn_at is not None for a in gender] == [True]
    assert "gender" not in someone.send("review")


def test_agreeing_after_declining_asks_the_profile_questions_afresh(someone, profiled):
    Transcript(someone).run(
        [
            *START,
            ("1", "What is your gender?"),
            ("Woman", "Anything else?"),
            ("back", "What is your gender?"),
            ("back", OFFER),
            ("2", "Anything else?"),
            ("back", OFFER),
            ("1", "What is your gender?"),  # its withdrawn answer does not count
            ("Man", "Anything else?"),
            ("skip", "Do you have a disability?"),
            ("skip", "How old are you?"),
            ("skip", "That was the last question"),
        ]
    )

    answers = stored(profiled)
    assert answers["gender"] == "man"
    assert set(answers) == {"involved", "gender", "comment", "disability", "age_group"}
    assert selections(profiled) == {"#profile": True}


# --- language --------------------------------------------------------------------------------


def test_changing_language_at_the_offer_asks_it_again_then_carries_on_in_french(someone, profiled):
    talk = Transcript(someone)
    talk.run(
        [
            *START,
            ("language fr", OFFRE),
            ("oui", "Quel est votre genre ?"),
            ("Femme", "Autre chose ?"),
            ("language en", "Anything else?"),
            ("skip", "Do you have a disability?"),
            ("language fr", "Êtes-vous en situation de handicap ?"),
            ("non", "Quel âge avez-vous ?"),
            ("1", "Merci."),
        ]
    )

    assert talk.offers() == 2  # the first time, and once again in the new language
    assert stored(profiled)["gender"] == "woman"
    by_question = {a.question_id: a for a in every_version(profiled)}
    assert by_question["gender"].language == "fr"
    assert by_question["disability"].value == "no"


def test_french_no_declines(profiled):
    person = Participant(profiled, PSEUDONYM_KEY, sender="fr-1", language_hint="fr", now=NOW)
    Transcript(person).run(
        [
            ("TEST01", translate("fr", "Welcome to “{title}”.").format(title="Mid-term check")),
            ("1", "Avez-vous suivi ces recommandations ?"),
            ("oui", OFFRE),
            ("non", "Autre chose ?"),
        ]
    )
    assert selections(profiled) == {"#profile": False}


# --- the bundled template ------------------------------------------------------------------


def test_the_upr_template_offers_its_profile_questions_after_the_comments(database):
    open_round(database, survey_path=template_path("upr-midterm-cso"))
    person = Participant(database, PSEUDONYM_KEY, now=NOW)
    talk = Transcript(person)
    talk.run(
        [
            ("TEST01", "Do you agree to take part?"),
            ("1", "What kind of organisation"),
            ("skip", "Have you been involved"),
            ("no", "Which of these themes"),
            ("4", "How far has this recommendation been implemented?"),
            ("don't know", "How much is the change felt"),
            ("skip", "What are the main obstacles"),
            ("1", "Anything else for the national report?"),
            ("skip", "groups smaller than 5 are hidden. Answer them?"),
            ("yes", "What is your gender?"),
            ("Woman", "Do you have a disability?"),
            ("skip", "Where do you mostly work?"),
            ("In a rural area", "How old are you?"),
            ("25 to 39", "Thank you for your contribution"),
        ]
    )

    answers = stored(database)
    assert (answers["gender"], answers["disability"]) == ("woman", None)
    assert (answers["region"], answers["age_group"]) == ("rural", "age_25_39")
    assert talk.offers() == 1


# --- whatever is sent ------------------------------------------------------------------------

# Single messages, and runs of them that reach the offer again and answer it.
MOVES = [
    *[(text,) for text in ["1", "2", "3", "yes", "no", "oui", "skip", "back", "review"]],
    *[(text,) for text in ["change 2", "change 3", "withdraw 2", "withdraw 3", "Woman"]],
    *[(text,) for text in ["A comment.", "language fr", "language en", "pause", "resume"]],
    ("back", "back", "no"),
    ("back", "back", "skip"),
    ("back", "back", "1"),
    ("back", "back", "back", "2"),
]
senders = itertools.count(1)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(st.sampled_from(MOVES), min_size=1, max_size=12))
def test_declined_profile_answers_never_reach_results(profiled, moves):
    person = Participant(profiled, PSEUDONYM_KEY, sender=f"any-{next(senders)}", now=NOW)
    sent = [text for move in moves for text in move]
    # Each run starts having agreed and answered one profile question, so the random part
    # exercises going back, declining, agreeing again, changing and withdrawing.
    for text in ["TEST01", "1", "yes", "1", "Woman", *sent]:
        person.send(text)
        with profiled.unit_of_work() as session:
            # Each example is a new person, so the newest conversation is theirs.
            conversation = session.scalars(
                select(Conversation).order_by(Conversation.id.desc()).limit(1)
            ).one()
            consent = conversation.selections.get("#profile")
            rows = session.scalars(
                select(Answer).where(
                    Answer.conversation_id == conversation.id, Answer.question_id.in_(PROFILE)
                )
            ).all()
            counted = [a.question_id for a in rows if a.is_current and a.withdrawn_at is None]
        if consent is None:
            assert rows == []  # nothing about the person before they agreed
        if consent is False:
            assert counted == []  # and nothing that counts once they said no
            if rows:
                event("declined after answering")
        elif consent is True and any(a.withdrawn_at is not None for a in rows):
            event("agreed again, or withdrew one")

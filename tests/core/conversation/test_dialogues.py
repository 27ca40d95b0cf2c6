"""Conversations as dialogue tables: what the participant sends, and what the bot answers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import answers as answer_store
from core import rounds
from core.conversation.engine import EngineContext, handle
from core.db import Database
from core.i18n import translate
from core.messages import InboundEvent
from core.models import Answer, AuditEntry, Conversation, ConversationStatus
from core.models import Participant as StoredParticipant
from core.survey_store import save_survey
from core.vocabulary import Platform, Role
from surveys.loading import load_survey_file
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW, SURVEY
from tests.fakes.chat import Participant

# (what the participant sends, words the bot's answer must contain)
FULL_RUN = [
    ("test01", "Do you agree to take part?"),
    ("1", "Have you followed these recommendations?"),
    ("yes", "Which sector do you work in?"),
    ("Éducation", "Which topics did you follow?"),
    ("1, 3", "How satisfied are you with the follow-up?"),
    ("four", "How many staff does your organisation have?"),
    ("12", "Since when have you worked on this?"),
    ("31/01/2020", "Which of these recommendations do you know about?"),
    ("1, 5", "Recommendation 125.14 (UPR)"),
    ("Partially implemented", "What shows this?"),
    ("A new free registration law passed in 2025.", "Who may see that this answer came from you?"),
    ("anonymous", "Recommendation 125.81 (UPR)"),
    ("5", "Anything else?"),
    ("skip", "That was the last question. You gave 9 answers"),
]


def run(person: Participant, table) -> None:
    for sent, expected in table:
        said = person.send(sent)
        assert expected in said, f"after sending {sent!r} expected {expected!r}, got:\n{said}"


def stored(database: Database) -> dict[str, object]:
    """Current answers by slot (question, or question@recommendation in loops)."""
    with database.unit_of_work() as session:
        rows = session.scalars(select(Answer).where(Answer.is_current)).all()
        return {a.slot: a.text if a.text is not None else a.value for a in rows}


def recommendation_ids(database: Database) -> list[int]:
    with database.unit_of_work() as session:
        return [r.id for r in rounds.find_round(session, "TEST01").recommendations]


def full_run_answers(database: Database) -> dict[str, object]:
    """What FULL_RUN leaves stored, whichever channel it went through."""
    first, fifth = recommendation_ids(database)[0], recommendation_ids(database)[4]
    return {
        "involved": "yes",
        "sector": "education",
        "topics": ["law", "data"],
        "satisfaction": 4,
        "staff": 12,
        "since": "2020-01-31",
        f"status@{first}": "partially_implemented",
        f"evidence@{first}": "A new free registration law passed in 2025.",
        f"status@{fifth}": "dont_know",
        "comment": None,
    }


def test_a_whole_round_through_every_kind_of_question(person, consultation):
    run(person, FULL_RUN)
    first = recommendation_ids(consultation)[0]
    assert stored(consultation) == full_run_answers(consultation)
    with consultation.unit_of_work() as session:
        by_slot = {a.slot: a for a in session.scalars(select(Answer))}
        assert all(a.channel.value == "terminal" and a.language == "en" for a in by_slot.values())
        assert by_slot[f"evidence@{first}"].disclosure.value == "anonymous"
        assert by_slot[f"status@{first}"].recommendation_id == first
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status is ConversationStatus.COMPLETED


def test_skip_logic_leaves_out_a_group_and_a_loop_question(person, consultation):
    run(
        person,
        [
            ("TEST01", "agree"),
            ("I agree", "Have you followed"),
            ("no", "Which sector"),
            ("3", "How many staff"),  # the group on topics and satisfaction is skipped
            ("skip", "Since when"),
            ("skip", "Which of these recommendations"),
            ("2", "Recommendation 21 (CEDAW)"),
            ("don't know", "Anything else?"),  # evidence is skipped when the status is unknown
            ("Nothing more", "Who may see"),
            ("2", "That was the last question"),
        ],
    )
    answers = stored(consultation)
    assert "topics" not in answers
    assert not any(slot.startswith("evidence@") for slot in answers)
    assert answers["comment"] == "Nothing more"


def test_buttons_answer_like_typing(person, consultation):
    person.send("TEST01")
    person.press("I agree")
    assert "Which sector" in person.press("Yes")
    assert "Which topics" in person.press("Health")
    person.press("Budgets")
    assert "Selected: Budgets and Data" in person.press("Data")
    assert "Selected: Data" in person.press("✓ Budgets")  # pressing again unselects
    assert "How satisfied" in person.press("Done")
    assert stored(consultation)["topics"] == ["data"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3", "justice"),
        ("three", "justice"),
        ("JUSTICE", "justice"),
        ("éducation", "education"),
        ("Education.", "education"),
        ("2", "education"),
        ("deux", None),
    ],
)
def test_typed_fallbacks_for_choices(person, consultation, typed, expected):
    run(person, [("TEST01", "agree"), ("1", "followed"), ("yes", "Which sector")])
    said = person.send(typed)
    if expected is None:
        assert "Please answer with a number from 1 to 3" in said
        assert "sector" not in stored(consultation)
    else:
        assert stored(consultation)["sector"] == expected


def test_french_participant_types_french_numbers_and_commands(consultation):
    person = Participant(consultation, PSEUDONYM_KEY, sender="fr-1", language_hint="fr", now=NOW)
    run(
        person,
        [
            ("TEST01", translate("fr", "Welcome to “{title}”.").format(title="Mid-term check")),
            ("1", "Avez-vous suivi ces recommandations ?"),
            ("Oui", "Dans quel secteur"),
            ("deux", "Quels sujets"),
            ("retour", "Dans quel secteur"),
            ("trois", "Quels sujets"),
        ],
    )
    assert stored(consultation)["sector"] == "justice"


def test_back_review_change_and_withdraw(person, consultation):
    run(
        person,
        [
            ("TEST01", "agree"),
            ("1", "followed"),
            ("yes", "sector"),
            ("1", "topics"),
            ("back", "Which sector"),
            ("2", "Which topics"),
            ("review", "1. Have you followed these recommendations? → Yes"),
        ],
    )
    assert "2. Which sector do you work in? → Education" in person.said
    assert "Please give the number of an answer from 1 to 2" in person.send("change 9")
    assert "Which sector" in person.send("change 2")
    assert "Which topics" in person.send("Justice")  # back to where we were
    with consultation.unit_of_work() as session:
        versions = session.scalars(
            select(Answer).where(Answer.question_id == "sector").order_by(Answer.version)
        ).all()
        assert [(a.value, a.version, a.is_current) for a in versions] == [
            ("health", 1, False),
            ("education", 2, False),
            ("justice", 3, True),
        ]
    assert "Answer 1 is withdrawn" in person.send("withdraw 1")
    assert "Which topics" in person.said  # and the current question is asked again
    assert "→ (withdrawn)" in person.send("review")
    with consultation.unit_of_work() as session:
        consultation_round = rounds.find_round(session, "TEST01")
        visible = answer_store.for_round(session, consultation_round)
        assert "involved" not in {a["question"] for a in visible}
        everything = answer_store.for_round(
            session, consultation_round, include_withdrawn=True, all_versions=True
        )
        assert len([a for a in everything if a["question"] == "sector"]) == 3


def test_required_questions_cannot_be_skipped(person, consultation):
    run(person, [("TEST01", "agree"), ("1", "followed")])
    assert "needs an answer" in person.send("skip")
    assert "Have you followed" in person.said


def test_pause_resume_stop_and_rejoin(person, consultation):
    run(
        person,
        [
            ("TEST01", "agree"),
            ("1", "followed"),
            ("pause", "Paused"),
            ("yes", "You are paused. Send resume"),
            ("resume", "Have you followed"),
            ("yes", "sector"),
            ("stop", "You have left the consultation TEST01"),
            ("hello", "send its code"),
            ("TEST01", "Welcome back"),
        ],
    )
    assert "Which sector" in person.said
    assert stored(consultation)["involved"] == "yes"


def test_optout_stops_everything_until_they_write_again(person, consultation):
    run(person, [("TEST01", "agree"), ("optout", "no more messages")])
    with consultation.unit_of_work() as session:
        assert session.scalars(select(StoredParticipant)).one().opted_out_at is not None
    person.send("help")
    with consultation.unit_of_work() as session:
        assert session.scalars(select(StoredParticipant)).one().opted_out_at is None


def test_consent_comes_before_any_question_and_declining_records_nothing(person, consultation):
    said = person.send("TEST01")
    assert "Do you agree to take part?" in said and "without your name" in said
    assert "any count below 5 is hidden" in said
    assert "nothing has been recorded" in person.send("2")
    assert "Do you agree" in person.send("TEST01")
    assert "Please answer 1 to agree or 2 to decline" in person.send("maybe")
    assert stored(consultation) == {}
    with consultation.unit_of_work() as session:
        actions = {e.action for e in session.scalars(select(AuditEntry))}
        assert "consent.given" not in actions


def test_a_restart_in_the_middle_changes_nothing(consultation, database_url):
    first = Participant(consultation, PSEUDONYM_KEY, sender="restart", now=NOW)
    run(first, FULL_RUN[:6])
    consultation.dispose()
    # A new process: a new engine on the same database, and the participant carries on.
    reopened = Database(database_url)
    try:
        second = Participant(reopened, PSEUDONYM_KEY, sender="restart", now=NOW)
        run(second, FULL_RUN[6:])
        assert stored(reopened)["satisfaction"] == 4
    finally:
        reopened.dispose()


def test_bad_input_gets_a_clear_reply_and_nothing_is_lost(person, consultation):
    run(
        person,
        [
            ("TEST01", "agree"),
            ("1", "followed"),
            ("yes", "sector"),
            ("1", "topics"),
            ("1", "satisfied"),
            ("3", "staff"),
        ],
    )
    assert "empty message" in person.send("   ")
    assert "Please answer with a number." in person.send("🙂🙂🙂")
    assert "at most 500" in person.send("9999")
    assert "whole number" in person.send("2.5")
    run(
        person,
        [
            ("7", "Since when"),
            ("31/02/2020", "Please give a date"),
            ("2020-02-29", "Which of these recommendations"),
            ("1", "Recommendation"),
        ],
    )
    assert "Please answer with a number from 1 to 5" in person.send("🙂")
    run(person, [("1", "What shows this?")])
    assert "Please write your answer in words" in person.send("🙂🎉")
    assert "10000 characters long; please keep it under 300" in person.send("x" * 10_000)
    answers = stored(consultation)
    assert answers["staff"] == 7 and answers["since"] == "2020-02-29"
    assert not any(slot.startswith("evidence@") for slot in answers)


def test_stale_and_repeated_buttons_have_no_second_effect(person, consultation):
    person.send("TEST01")
    person.press("I agree")
    involved = person.last
    person.press("Yes")
    said = person.press("No", involved)  # a button from a question already passed
    assert "already answered" in said and "Which sector" in said
    sector = person.last
    option = next(o for o in sector[-1].options if o.label == "Health")
    person.press_id(option.id, delivery_id="tap-1")
    assert person.press_id(option.id, delivery_id="tap-1") == ""  # a redelivery: no effect
    person.press_id(option.id, delivery_id="tap-2")  # a double click: stale now
    assert "already answered" in person.said
    assert person.press_id("99999.1").startswith("That button belongs to an earlier question")
    current = person.last[-1].options[0].id.split(".")[0]
    assert "no longer exists" in person.press_id(f"{current}.42")
    assert stored(consultation) == {"involved": "yes", "sector": "health"}


def test_a_closed_round_takes_no_answer_but_still_allows_withdrawal(person, consultation):
    run(person, [("TEST01", "agree"), ("1", "followed"), ("yes", "sector")])
    with consultation.unit_of_work() as session:
        rounds.close_round(session, "TEST01", now=NOW)
    said = person.send("2")
    assert "closed on March 1, 2027" in said
    assert "sector" not in stored(consultation)
    assert "withdrawn" in person.send("withdraw 1")
    assert "closed" in person.send("TEST01")


def test_unknown_code_group_chats_and_invited_only_rounds(consultation):
    stranger = Participant(consultation, PSEUDONYM_KEY, sender="stranger", now=NOW)
    assert "I don't know a consultation with the code NOPE99" in stranger.send("join nope99")
    with consultation.unit_of_work() as session:
        plan = rounds.RoundPlan(
            title="NHRI only",
            survey="every-kind",
            code="NHRI01",
            scope=rounds.Scope(country="Valdoria"),
            audience=rounds.Audience(invited_only=True, roles=(Role.NHRI,)),
        )
        rounds.create_round(session, plan)
        rounds.open_round(session, "NHRI01", now=NOW)
    assert "invited participants only" in stranger.send("NHRI01")
    with consultation.unit_of_work() as session:
        replies = handle(
            session,
            InboundEvent(Platform.TELEGRAM, "g1", text="TEST01", is_private=False),
            EngineContext(PSEUDONYM_KEY, NOW),
        )
    assert "private chat" in replies[0].text
    with consultation.unit_of_work() as session:
        assert session.scalars(select(Conversation)).all() == []


def test_a_changed_survey_keeps_people_on_the_version_they_started(consultation, tmp_path):
    early = Participant(consultation, PSEUDONYM_KEY, sender="early", now=NOW)
    run(early, FULL_RUN[:3])
    edited = tmp_path / "every-kind.yaml"
    edited.write_text(
        SURVEY.read_text().replace(
            "Which sector do you work in?", "In which sector are you active?"
        )
    )
    with consultation.unit_of_work() as session:
        assert save_survey(session, load_survey_file(edited)).version == 2
    late = Participant(consultation, PSEUDONYM_KEY, sender="late", now=NOW)
    run(late, [*FULL_RUN[:2], ("yes", "In which sector are you active?")])
    # The early participant stays on the first version, old wording included.
    run(early, [("2", "Which topics"), ("back", "Which sector do you work in?")])
    with consultation.unit_of_work() as session:
        versions = {a.survey_version_id for a in session.scalars(select(Answer))}
        assert len(versions) == 2

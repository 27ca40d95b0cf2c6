"""`back` steps over notes and never past consent; `skip` at "who may see this" keeps the answer."""

from __future__ import annotations

from sqlalchemy import select

from core.i18n import translate
from core.models import Answer, Disclosure
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW
from tests.core.conversation.test_languages import CODE, _open
from tests.fakes.chat import Participant

FIRST_QUESTION = "What kind of organisation do you work with?"
NOTHING_BEFORE = "This is the first question; there is nothing to go back to."


def test_back_at_the_first_question_does_not_land_on_the_opening_note(database):
    _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="back-1", now=NOW)
    person.send(CODE)
    assert FIRST_QUESTION.split()[0] in person.send("1")
    said = person.send("back")
    assert NOTHING_BEFORE in said
    assert "What kind of organisation" in said
    # The note is not an answer: nothing was skipped or stored for it.
    assert person.send("review").count("(skipped)") == 0


def test_back_before_consent_asks_for_consent_again_and_no_question(database):
    _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="back-2", now=NOW)
    person.send(CODE)
    said = person.send("back")
    assert "Do you agree to take part?" in said
    assert "What kind of organisation" not in said


def test_skip_at_who_may_see_keeps_the_written_answer_with_the_default(database):
    _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="skip-1", now=NOW)
    person.send(CODE)
    person.send("1")  # consent
    person.send("1")  # organisation type
    person.send("yes")  # involved
    person.send("1")  # the first theme
    person.send("1")  # a status other than "don't know"
    said = person.send("The registry opened two new offices.")
    assert "Who may see that this answer came from you?" in said
    assert translate("en", "Noted.") in person.send("skip")
    with database.unit_of_work() as session:
        evidence = session.scalars(select(Answer).where(Answer.question_id == "evidence")).first()
        assert evidence is not None
        assert evidence.text == "The registry opened two new offices."
        assert evidence.disclosure is Disclosure.ANONYMOUS

"""The UPR follow-up template end to end in each UN language, in text-only and easy-read modes.

Every choice is answered by typing (number words in the participant's language), every reply
must come from the catalogs (a message missing from a catalog fails the run), and Arabic
replies keep their left-to-right runs isolated.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core import people
from core.bidi import FSI, PDI
from core.conversation.words import NUMBER_WORDS
from core.i18n import SUPPORTED_LANGUAGES, translate
from core.messages import Expect, OutboundMessage
from core.models import Answer, Conversation, ConversationStatus, PlatformIdentity
from core.models import Participant as StoredParticipant
from core.vocabulary import Platform, Role
from surveys.definition import Question, Survey, localized
from surveys.templates import template_path
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW, open_round
from tests.fakes.catalogs import MissingMessages, recording_missing_messages
from tests.fakes.chat import Participant

UPR_TEMPLATE = template_path("upr-midterm-cso")
CODE = "UPR6"
WELCOME = "Welcome to “{title}”."
# What a person types for several choices: each language's comma.
COMMA = {"zh": "，", "ar": "، "}
WRITTEN = {
    "en": "Birth registration is still not free in rural areas.",
    "fr": "L'enregistrement des naissances n'est pas encore gratuit.",
    "es": "El registro de nacimientos aún no es gratuito.",
    "ar": "تسجيل المواليد ما زال غير مجاني في الريف.",
    "ru": "Регистрация рождений всё ещё платная.",
    "zh": "农村地区的出生登记仍不免费。",
}


@pytest.fixture
def untranslated() -> Iterator[dict[str, MissingMessages]]:
    """Records, per language, the messages a conversation asked the catalogs for in vain."""
    with recording_missing_messages() as recorders:
        yield recorders


def _open(database, *, easy_read: bool = False, default_language: str = "en") -> Survey:
    return open_round(
        database,
        code=CODE,
        survey_path=UPR_TEMPLATE,
        languages=tuple(SUPPORTED_LANGUAGES),
        default_language=default_language,
        easy_read=easy_read,
    )


def _prompt(messages: list[OutboundMessage]) -> OutboundMessage | None:
    return next((m for m in reversed(messages) if m.expect is not Expect.NOTHING), None)


def _reply_for(prompt: OutboundMessage, language: str) -> str:
    """What a person types at a prompt: the first option as a word, or a plain answer."""
    if prompt.expect is Expect.CHOICE:
        return NUMBER_WORDS[language][0]
    if prompt.expect is Expect.CHOICES:
        return COMMA.get(language, ", ").join(["1", "2"])
    if prompt.expect is Expect.NUMBER:
        return "3"
    if prompt.expect is Expect.DATE:
        return "2026-01-31"
    return WRITTEN[language]


def _status(database, sender: str) -> ConversationStatus:
    with database.unit_of_work() as session:
        return session.scalars(
            select(Conversation.status)
            .join(StoredParticipant, StoredParticipant.id == Conversation.participant_id)
            .where(Conversation.round.has(code=CODE))
            .order_by(Conversation.id.desc())
        ).first()


def _complete(person: Participant, language: str, first: str | None = None):
    """Join, optionally switch a mode, and answer every prompt until the round is done."""
    transcript: list[OutboundMessage] = []
    if first:
        person.send(first)
        transcript += person.last
    person.send(CODE)
    transcript += person.last
    for _ in range(80):
        prompt = _prompt(person.last)
        if prompt is None:
            break
        person.send(_reply_for(prompt, language))
        transcript += person.last
    return transcript


def _questions(survey: Survey) -> list[Question]:
    return [item for item in survey.walk() if isinstance(item, Question)]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_upr_template_end_to_end_in_each_language(database, language, untranslated):
    survey = _open(database)
    person = Participant(
        database, PSEUDONYM_KEY, sender=f"p-{language}", language_hint=language, now=NOW
    )
    transcript = _complete(person, language)
    said = "\n".join(m.text for m in transcript)

    assert _status(database, person.sender) is ConversationStatus.COMPLETED
    assert all(m.language == language for m in transcript)
    # The bot's own words come from the catalog, the survey's from its own translations.
    plain = said.replace(FSI, "").replace(PDI, "")
    assert translate(language, WELCOME).format(title="Mid-term check") in plain
    if language != "en":
        assert WELCOME.format(title="Mid-term check") not in plain
    involved = next(q for q in _questions(survey) if q.id == "involved")
    assert localized(involved.label, language) in said
    if language != "en":
        assert localized(involved.label, "en") not in said
    assert not untranslated[language].missing, untranslated[language].missing

    with database.unit_of_work() as session:
        stored = session.scalars(select(Answer).where(Answer.is_current)).all()
        # Typed number words answered the single choices and the status of each recommendation.
        assert {a.question_id for a in stored} >= {"org_type", "involved", "status", "obstacles"}
        assert all(a.language == language for a in stored)
        assert {a.value for a in stored if a.question_id == "involved"} == {"yes"}


def test_arabic_replies_isolate_symbols_numbers_and_names(database, untranslated):
    _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="p-ar", language_hint="ar", now=NOW)
    transcript = _complete(person, "ar")
    said = "\n".join(m.text for m in transcript)
    # Paragraph numbers and treaty body names are left-to-right runs inside Arabic text.
    assert f"{FSI}125.14{PDI}" in said
    assert f"{FSI}UPR{PDI}" in said or f"{FSI}CEDAW{PDI}" in said
    for message in transcript:
        for option in message.options:
            if any("a" <= c.lower() <= "z" for c in option.label):
                assert FSI in option.label and PDI in option.label
    assert said.count(FSI) == said.count(PDI)


@pytest.mark.parametrize("language", ["en", "fr", "ar", "zh"])
def test_text_only_mode_sends_numbered_lists_not_buttons(database, language, untranslated):
    _open(database)
    person = Participant(
        database, PSEUDONYM_KEY, sender=f"t-{language}", language_hint=language, now=NOW
    )
    word = {"en": "textonly", "fr": "texte-seul", "ar": "نص-فقط", "zh": "纯文本"}[language]
    transcript = _complete(person, language, first=word)
    assert _status(database, person.sender) is ConversationStatus.COMPLETED
    with_options = [m for m in transcript if m.options]
    assert with_options and all(m.text_only for m in with_options)
    with database.unit_of_work() as session:
        assert session.scalars(select(StoredParticipant.text_only)).one() is True
    assert not untranslated[language].missing


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_easy_read_mode_asks_in_plain_words_one_thing_per_message(database, language, untranslated):
    survey = _open(database)
    person = Participant(
        database, PSEUDONYM_KEY, sender=f"e-{language}", language_hint=language, now=NOW
    )
    transcript = _complete(person, language, first="easyread on")
    assert _status(database, person.sender) is ConversationStatus.COMPLETED
    said = "\n".join(m.text for m in transcript)
    involved = next(q for q in _questions(survey) if q.id == "involved")
    assert involved.easy_read is not None
    assert localized(involved.easy_read, language) in said
    assert localized(involved.label, language) not in said
    # The recommendation comes in a message of its own, before its first question.
    headers = [m for m in transcript if "125.14" in m.text]
    assert headers and all(m.expect is Expect.NOTHING for m in headers)
    assert not untranslated[language].missing


def test_a_round_in_easy_read_uses_the_easy_wording_for_everyone(database):
    survey = _open(database, easy_read=True)
    person = Participant(database, PSEUDONYM_KEY, sender="r-fr", language_hint="fr", now=NOW)
    said = "\n".join(m.text for m in _complete(person, "fr"))
    involved = next(q for q in _questions(survey) if q.id == "involved")
    assert localized(involved.easy_read, "fr") in said


def test_switching_language_mid_survey_asks_the_same_question_again_and_loses_nothing(
    database, untranslated
):
    survey = _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="switch", now=NOW)
    person.send(CODE)
    person.send("1")  # consent
    person.send("1")  # organisation type
    involved = next(q for q in _questions(survey) if q.id == "involved")
    assert localized(involved.label, "en") in person.said

    said = person.send("language es")
    assert translate("es", "Language changed.") in said
    assert localized(involved.label, "es") in said
    prompt = _prompt(person.last)
    assert prompt is not None and prompt.language == "es"
    person.send("sí")

    with database.unit_of_work() as session:
        by_question = {a.question_id: a for a in session.scalars(select(Answer))}
        assert by_question["org_type"].language == "en"
        assert by_question["involved"].language == "es"
        assert by_question["involved"].value == "yes"
        assert session.scalars(select(Conversation.language)).one() == "es"
    assert not untranslated["es"].missing


def test_an_explicit_choice_outranks_the_platform_hint_which_outranks_the_round_default(
    database,
):
    _open(database, default_language="fr")
    # No hint and no choice: the round's default.
    nobody = Participant(database, PSEUDONYM_KEY, sender="plain", now=NOW)
    nobody.send(CODE)
    assert all(m.language == "fr" for m in nobody.last)
    # A hint (Telegram's language_code): the hint.
    hinted = Participant(database, PSEUDONYM_KEY, sender="hinted", language_hint="ru", now=NOW)
    hinted.send(CODE)
    assert all(m.language == "ru" for m in hinted.last)
    # A choice made before joining outranks the hint, now and in later rounds.
    chooser = Participant(database, PSEUDONYM_KEY, sender="chooser", language_hint="ru", now=NOW)
    chooser.send("language zh")
    chooser.send(CODE)
    assert all(m.language == "zh" for m in chooser.last)
    with database.unit_of_work() as session:
        people = {
            p.pseudonym: (p.language, p.language_chosen)
            for p in session.scalars(select(StoredParticipant))
        }
    assert sorted(people.values(), key=str) == sorted(
        [(None, False), ("ru", False), ("zh", True)], key=str
    )


def test_a_hint_follows_the_phone_until_the_person_chooses(database):
    _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="phone", language_hint="fr", now=NOW)
    person.send("help")
    person.language_hint = "es"
    said = person.send("help")
    assert translate("es", "What you can send:") in said
    person.send("language ar")
    person.language_hint = "ru"
    said = person.send("help")
    assert translate("ar", "What you can send:") in said.replace(FSI, "").replace(PDI, "")


def test_a_language_choice_riding_on_a_message_switches_quietly(database):
    """A web form or gateway sends its language with every message; a new one switches."""
    survey = _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="gateway", now=NOW)
    person.send(CODE)
    person.send("1")
    person.send("1")
    person._deliver(text="oui", language_choice="fr", delivery_id="g-1")
    obstacles_or_next = person.said
    assert "Language changed" not in obstacles_or_next
    with database.unit_of_work() as session:
        involved = session.scalars(select(Answer).where(Answer.question_id == "involved")).one()
        assert (involved.value, involved.language) == ("yes", "fr")
        assert session.scalars(select(StoredParticipant.language_chosen)).one() is True
    assert localized(next(q for q in _questions(survey) if q.id == "involved").label, "fr")


def test_a_picker_choice_alone_confirms_and_asks_again(database):
    survey = _open(database)
    person = Participant(database, PSEUDONYM_KEY, sender="picker", now=NOW)
    person.send(CODE)
    person.send("1")
    person.send("1")
    person._deliver(language_choice="ru", delivery_id="home-1")
    involved = next(q for q in _questions(survey) if q.id == "involved")
    assert translate("ru", "Language changed.") in person.said
    assert localized(involved.label, "ru") in person.said


def test_a_recommendation_without_a_translation_is_shown_in_the_round_default_and_said_so(
    database,
):
    _open(database)
    with database.unit_of_work() as session:
        from core.models import Recommendation, RecommendationTranslation

        first = session.scalars(
            select(Recommendation).where(Recommendation.paragraph == "125.14")
        ).one()
        session.add(
            RecommendationTranslation(
                recommendation_id=first.id,
                language="ru",
                text="Обеспечить бесплатную регистрацию каждого ребёнка",
            )
        )
    person = Participant(database, PSEUDONYM_KEY, sender="fallback", language_hint="ru", now=NOW)
    transcript = _complete(person, "ru")
    said = "\n".join(m.text for m in transcript)
    assert "Обеспечить бесплатную регистрацию каждого ребёнка" in said
    note = translate("ru", "(Not available in your language: shown in {language}.)")
    assert note.split("{")[0] in said


def test_a_language_an_organiser_recorded_outranks_the_platform_hint(database):
    _open(database)
    with database.unit_of_work() as session:
        invitee = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.CIVIL_SOCIETY, language="ar"
        )
        invitee.identities.append(PlatformIdentity(platform=Platform.TERMINAL, external_id="inv"))
    person = Participant(database, PSEUDONYM_KEY, sender="inv", language_hint="ru", now=NOW)
    person.send(CODE)
    assert all(m.language == "ar" for m in person.last)


def test_survey_wording_missing_in_a_language_is_shown_in_the_default_and_said_so(
    database, tmp_path
):
    half_translated = tmp_path / "half.yaml"
    half_translated.write_text(
        """
id: half-translated
title: {en: "Check", fr: "Vérification"}
languages: [en, fr]
questions:
  - id: involved
    kind: yes_no
    label: {en: "Have you followed these recommendations?", fr: "Avez-vous suivi ?"}
  - id: sector
    kind: text
    label: {en: "Which sector do you work in?"}
""",
        encoding="utf-8",
    )
    open_round(database, code="HALF1", survey_path=half_translated)
    person = Participant(database, PSEUDONYM_KEY, sender="half", language_hint="fr", now=NOW)
    person.send("HALF1")
    said = person.send("1")
    note = translate("fr", "(Not available in your language: shown in {language}.)")
    assert "Avez-vous suivi ?" in said and note.split("{")[0] not in said
    said = person.send("oui")
    assert "Which sector do you work in?" in said
    assert note.format(language="anglais") in said

"""Easy-read wording: an optional text on every item and choice, written only when set, and
given in every language on every labelled item and choice of the bundled templates."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.survey_store import fingerprint
from surveys.definition import (
    Choice,
    Group,
    Kind,
    LocalizedText,
    Loop,
    Question,
    Survey,
    localized,
)
from surveys.loading import SurveyInvalid, dump_schema, load_survey_file, load_survey_text
from surveys.templates import template_names, template_path
from surveys.xlsform import read_xlsform
from tests.surveys.test_xlsform import write

# Words per sentence in the languages written with spaces between words.
LONGEST_SENTENCE_WORDS = 15
# Characters per sentence in Chinese, which has no spaces between words.
LONGEST_SENTENCE_CHARACTERS = 25
LONGEST_QUESTION = 120  # characters: a question is read in a chat window
LONGEST_CHOICE = 60  # characters: a choice is a button
SENTENCE_END = re.compile(r"[.?!؟。？！]+")
# Two capitals or more in a row: UPR, UN, EPU, ONU, ООН, УПО...
ABBREVIATION = re.compile(r"\b[A-ZÀ-ÞА-ЯЁ]{2,}\b")
# Names of the mechanisms and of the people they work with: plain words are used instead.
JARGON: dict[str, tuple[str, ...]] = {
    "en": ("periodic review", "civil society", "treaty body", "implement", "assessment"),
    "fr": ("examen périodique", "société civile", "organe conventionnel", "mise en œuvre"),
    "es": ("examen periódico", "sociedad civil", "órgano de tratado"),
    "ar": ("الاستعراض الدوري الشامل", "المجتمع المدني", "هيئة معاهدة"),
    "ru": ("периодическ", "гражданск", "договорн"),
    "zh": ("普遍定期审议", "民间社会", "条约机构", "落实"),
}

WithEasyRead = Question | Group | Loop | Choice


def labelled(survey: Survey) -> Iterator[tuple[str, WithEasyRead]]:
    """Every item with a label and every choice, with where it is."""
    for item in survey.walk():
        if item.label:
            yield item.id, item
        if isinstance(item, Question):
            for choice in item.choices or []:
                yield f"{item.id}.choices[{choice.id}]", choice


def easy_texts(survey: Survey) -> Iterator[tuple[str, str, str, str]]:
    """(where, language, label, easy read) for every labelled item and choice, per language."""
    for where, thing in labelled(survey):
        assert isinstance(thing.easy_read, dict), f"{where}: no easy_read per language"
        for language in survey.languages:
            yield where, language, localized(thing.label, language), thing.easy_read[language]


def sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text) if part.strip()]


def fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def without_easy_read(data: Any) -> Any:
    """The same plain data with every easy_read key taken out."""
    if isinstance(data, dict):
        return {k: without_easy_read(v) for k, v in data.items() if k != "easy_read"}
    if isinstance(data, list):
        return [without_easy_read(v) for v in data]
    return data


def raw_template(name: str) -> dict[str, Any]:
    data = yaml.safe_load(template_path(name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def load(name: str) -> Survey:
    return load_survey_file(template_path(name))


# --- the bundled templates ---------------------------------------------------------------


@pytest.mark.parametrize("name", template_names())
def test_every_labelled_item_and_choice_has_easy_read_in_every_language(name: str) -> None:
    survey = load(name)
    missing = []
    for where, thing in labelled(survey):
        text: LocalizedText | None = thing.easy_read
        if not isinstance(text, dict):
            missing.append(f"{where}: {text!r}, not one text per language")
            continue
        if set(text) != set(survey.languages):
            missing.append(f"{where}: has {sorted(text)}, expected {sorted(survey.languages)}")
        missing.extend(
            f"{where}.{lang}: empty" for lang, value in text.items() if not value.strip()
        )

    assert missing == []
    assert len(list(labelled(survey))) >= 8


@pytest.mark.parametrize("name", template_names())
def test_easy_read_says_it_differently_from_the_label(name: str) -> None:
    same = [
        f"{where}.{language}: {easy!r}"
        for where, language, label, easy in easy_texts(load(name))
        if easy.strip().casefold() == label.strip().casefold()
    ]

    assert same == []


@pytest.mark.parametrize("name", template_names())
def test_easy_read_sentences_are_short(name: str) -> None:
    long: list[str] = []
    for where, language, _, easy in easy_texts(load(name)):
        for sentence in sentences(easy):
            if language == "zh":
                too_long = len(sentence) > LONGEST_SENTENCE_CHARACTERS
            else:
                too_long = len(sentence.split()) > LONGEST_SENTENCE_WORDS
            if too_long:
                long.append(f"{where}.{language}: {sentence!r}")

    assert long == []


@pytest.mark.parametrize("name", template_names())
def test_easy_read_questions_and_choices_fit_a_chat(name: str) -> None:
    survey = load(name)
    long: list[str] = []
    for where, thing in labelled(survey):
        is_note = isinstance(thing, Question) and thing.kind is Kind.NOTE
        if isinstance(thing, Group | Loop) or is_note:
            continue  # notes and headings may take a few sentences
        limit = LONGEST_CHOICE if isinstance(thing, Choice) else LONGEST_QUESTION
        assert isinstance(thing.easy_read, dict)
        long.extend(
            f"{where}.{language} ({len(text)})"
            for language, text in thing.easy_read.items()
            if len(text) > limit
        )

    assert long == []


@pytest.mark.parametrize("name", template_names())
def test_easy_read_has_no_abbreviations_or_jargon(name: str) -> None:
    found: list[str] = []
    for where, language, _, easy in easy_texts(load(name)):
        found.extend(f"{where}.{language}: {a}" for a in ABBREVIATION.findall(easy))
        lowered = easy.casefold()
        found.extend(f"{where}.{language}: {term}" for term in JARGON[language] if term in lowered)

    assert found == []


@pytest.mark.parametrize("name", template_names())
def test_easy_read_keeps_the_labels_placeholders(name: str) -> None:
    for where, language, label, easy in easy_texts(load(name)):
        assert fields_of(easy) == fields_of(label), f"{where}.{language}"


@pytest.mark.parametrize("name", template_names())
def test_easy_read_is_stored_with_the_template(name: str) -> None:
    survey = load(name)
    stored = json.dumps(survey.as_data(), ensure_ascii=False)
    status = survey.question("status")

    assert stored.count('"easy_read"') == len(list(labelled(survey)))
    assert isinstance(status.easy_read, dict)
    assert localized(status.easy_read, "fr") == status.easy_read["fr"]


# --- left out when unset, so stored surveys keep their fingerprint -----------------------


def test_an_unset_easy_read_is_left_out_of_the_serialized_form() -> None:
    choice = Choice(id="ngo", label="NGO")
    note = Question(id="intro", kind=Kind.NOTE, label="Welcome")
    question = Question(id="org", kind=Kind.SINGLE_CHOICE, label="Which?", choices=[choice])
    loop = Loop(id="recs", kind="loop", label="Recommendations", questions=[note])
    group = Group(id="part", kind="group", label="Part one", questions=[question])

    for model in (choice, note, question, loop, group):
        for dumped in (model.model_dump(), model.model_dump(mode="json")):
            assert "easy_read" not in json.dumps(dumped, default=str), type(model).__name__
    assert "profile" not in question.model_dump()
    assert "label" in question.model_dump() and "hint" in question.model_dump()


def test_a_set_easy_read_and_profile_are_written() -> None:
    question = Question(
        id="gender",
        kind=Kind.SINGLE_CHOICE,
        profile=True,
        label="What is your gender?",
        easy_read={"en": "Are you a woman, a man or another gender?"},
        choices=[Choice(id="woman", label="Woman", easy_read="I am a woman")],
    )
    dumped = question.model_dump(mode="json", exclude_none=True)

    assert dumped["profile"] is True
    assert dumped["easy_read"] == {"en": "Are you a woman, a man or another gender?"}
    assert dumped["choices"] == [{"id": "woman", "label": "Woman", "easy_read": "I am a woman"}]


BEFORE_EASY_READ = """\
id: before-easy-read
title: {en: "Water follow-up", fr: "Suivi eau"}
languages: [en, fr]
questions:
  - id: intro
    kind: note
    label: {en: "Thank you.", fr: "Merci."}
  - id: org_type
    kind: single_choice
    required: false
    label: {en: "Your organisation?", fr: "Votre organisation ?"}
    choices:
      - {id: ngo, label: {en: "NGO", fr: "ONG"}}
      - {id: other, label: {en: "Other", fr: "Autre"}}
  - id: section
    kind: group
    label: "Section"
    questions:
      - id: gender
        kind: single_choice
        profile: true
        label: "Gender?"
        choices:
          - {id: woman, label: "Woman"}
          - {id: man, label: "Man"}
  - id: recommendations
    kind: loop
    select: themes
    questions:
      - id: status
        kind: implementation_status
        label: "How far has {reference} been implemented?"
"""
# The fingerprint this survey had when it was stored before easy_read existed.
FINGERPRINT_BEFORE_EASY_READ = "ce12328c24b408b7e1cc29b42e2a84ea29686654ffc21318df106bc58220a1c9"


def test_a_survey_stored_before_easy_read_keeps_its_fingerprint() -> None:
    survey = load_survey_text(BEFORE_EASY_READ, "before.yaml")

    assert fingerprint(survey) == FINGERPRINT_BEFORE_EASY_READ
    assert "easy_read" not in json.dumps(survey.as_data())


@pytest.mark.parametrize("name", template_names())
def test_a_template_without_easy_read_serializes_as_before(name: str) -> None:
    raw = raw_template(name)
    plain = Survey.model_validate(without_easy_read(raw))
    with_easy_read = Survey.model_validate(raw)

    assert "easy_read" not in json.dumps(plain.as_data())
    assert plain.as_data() == without_easy_read(with_easy_read.as_data())
    assert fingerprint(plain) == fingerprint(Survey.model_validate(plain.as_data()))
    # Changing the easy-read wording is a change of content, so it makes a new version.
    assert fingerprint(plain) != fingerprint(with_easy_read)


# --- writing easy_read in a survey file --------------------------------------------------

WITH_EASY_READ = """\
id: water
title: Right to water
languages: [en, fr]
questions:
  - id: intro
    kind: note
    label: "Thank you for taking part in the UPR follow-up."
    easy_read: "Thank you for taking part."
  - id: obstacles
    kind: multiple_choice
    label:
      en: "What are the main obstacles to implementation?"
      fr: "Quels sont les principaux obstacles à la mise en œuvre ?"
    easy_read:
      en: "What makes it hard?"
      fr: "Qu'est-ce qui rend cela difficile ?"
    choices:
      - id: budget
        label: {en: "Lack of budget", fr: "Manque de budget"}
        easy_read: {en: "There is not enough money", fr: "Il n'y a pas assez d'argent"}
      - id: other
        label: {en: "Other", fr: "Autre"}
  - id: recommendations
    kind: loop
    label: "Recommendations by theme"
    easy_read: "The recommendations, topic by topic"
    questions:
      - id: status
        kind: implementation_status
        label: "How far has {reference} been implemented?"
        easy_read: "How much of {reference} has our country done?"
  - id: part
    kind: group
    easy_read: "Some questions about you"
    questions:
      - id: disability
        kind: yes_no
        profile: true
        label: "Do you have a disability?"
"""


def test_easy_read_on_items_and_choices_loads() -> None:
    survey = load_survey_text(WITH_EASY_READ, "water.yaml")
    budget, other = survey.question("obstacles").options()

    assert localized(budget.easy_read, "fr") == "Il n'y a pas assez d'argent"
    assert other.easy_read is None
    assert localized(survey.question("intro").easy_read, "fr") == "Thank you for taking part."
    assert localized(survey.question("obstacles").easy_read, "en") == "What makes it hard?"
    assert survey.question("status").easy_read == "How much of {reference} has our country done?"
    loop = next(item for item in survey.walk() if isinstance(item, Loop))
    group = next(item for item in survey.walk() if isinstance(item, Group))
    assert loop.easy_read == "The recommendations, topic by topic"
    assert group.easy_read == "Some questions about you"
    assert survey.question("disability").easy_read is None
    # An empty or missing easy read gives an empty text, so the label is shown instead.
    assert localized(survey.question("disability").easy_read, "en") == ""


def test_a_misspelt_easy_read_key_is_reported_where_it_is() -> None:
    text = WITH_EASY_READ.replace("        easy_read: {en: ", "        easyread: {en: ")
    assert text != WITH_EASY_READ

    with pytest.raises(SurveyInvalid) as raised:
        load_survey_text(text, "water.yaml")

    [problem] = raised.value.problems
    assert problem.line == 20
    assert problem.where == "questions[obstacles].choices[budget].easyread"


def test_easy_read_must_be_text() -> None:
    text = WITH_EASY_READ.replace(
        'easy_read: "Thank you for taking part."', "easy_read: [Thank you]"
    )

    with pytest.raises(SurveyInvalid) as raised:
        load_survey_text(text, "water.yaml")

    assert raised.value.problems
    for problem in raised.value.problems:
        assert problem.line == 8
        assert problem.where.startswith("questions[intro].easy_read")


def test_the_schema_has_easy_read_on_items_and_choices() -> None:
    definitions = json.loads(dump_schema())["$defs"]

    for model in ("Choice", "Question", "Group", "Loop"):
        assert "easy_read" in definitions[model]["properties"], model
        assert "easy_read" not in definitions[model].get("required", [])


# --- XLSForm -------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["easy_read", "easy read", "Easy_Read"])
def test_xlsform_reads_easy_read_columns_per_language(tmp_path: Path, column: str) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[
            ["type", "name", "label::English (en)", "label::fr",
             f"{column}::English (en)", f"{column}::fr"],
            ["note", "intro", "Welcome to the UPR follow-up", "Bienvenue au suivi de l'EPU",
             "Welcome", "Bienvenue"],
            ["select_one kinds", "kind", "Organisation type?", "Type d'organisation ?", "", ""],
        ],
        choices=[
            ["list_name", "name", "label::English (en)", "label::fr", f"{column}::English (en)"],
            ["kinds", "ngo", "NGO", "ONG", "A group that is not the government"],
            ["kinds", "other", "Other", "Autre", ""],
        ],
    )  # fmt: skip

    survey = read_xlsform(path)
    ngo, other = survey.question("kind").options()

    assert survey.question("intro").easy_read == {"en": "Welcome", "fr": "Bienvenue"}
    assert survey.question("kind").easy_read is None
    assert ngo.easy_read == {"en": "A group that is not the government"}
    assert other.easy_read is None
    assert "easy_read" not in survey.question("kind").model_dump()
    assert "easy_read" not in other.model_dump()


def test_xlsform_easy_read_without_a_language_is_in_the_default_language(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[["type", "name", "label", "easy_read"], ["text", "q", "Your view?", "Tell us"]],
    )

    assert read_xlsform(path).question("q").easy_read == {"en": "Tell us"}

"""Profile questions (gender, region...): choice kinds only, never required, never in a loop;
YAML, XLSForm and the published schema all know the flag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from surveys.definition import PROFILE_KINDS, Kind, Question, Survey
from surveys.loading import SurveyInvalid, SurveyProblem, dump_schema, load_survey_text
from surveys.templates import template_path
from surveys.xlsform import read_xlsform
from tests.surveys.test_xlsform import problems_of, write

GOOD = """\
id: with-profile
title: With profile questions
questions:
  - id: involved
    kind: yes_no
    label: Have you followed these recommendations?
  - id: gender
    kind: single_choice
    profile: true
    label: What is your gender?
    choices:
      - {id: woman, label: Woman}
      - {id: man, label: Man}
  - id: about_you
    kind: group
    questions:
      - id: disability
        kind: yes_no
        profile: true
        required: false
        label: Do you have a disability?
      - id: languages_spoken
        kind: multiple_choice
        profile: true
        label: Which languages do you speak at home?
        choices:
          - {id: national, label: The national language}
          - {id: minority, label: A minority language}
"""


def problems(text: str) -> list[SurveyProblem]:
    with pytest.raises(SurveyInvalid) as raised:
        load_survey_text(text, "survey.yaml")
    return raised.value.problems


def with_question(question: str, *, in_loop: bool = False) -> str:
    """A survey whose second item is the given question (indented as a list item)."""
    body = "\n".join(("    " if in_loop else "") + line for line in question.splitlines())
    if in_loop:
        body = (
            "  - id: each\n    kind: loop\n    questions:\n"
            "      - id: status\n        kind: implementation_status\n        label: How far?\n"
            + body
        )
    return (
        "id: profile-check\ntitle: Profile check\nquestions:\n"
        "  - id: intro\n    kind: note\n    label: Hello\n" + body + "\n"
    )


# --- what is accepted ----------------------------------------------------------------------


def test_profile_questions_of_every_choice_kind_load_and_are_optional() -> None:
    survey = load_survey_text(GOOD, "good.yaml")
    flagged = {q.id: q for q in survey.walk() if isinstance(q, Question) and q.profile}

    assert list(flagged) == ["gender", "disability", "languages_spoken"]
    assert {q.kind for q in flagged.values()} == set(PROFILE_KINDS)
    assert not any(q.is_required for q in flagged.values())
    assert survey.question("involved").profile is False
    assert survey.question("involved").is_required


def test_the_flag_is_stored_only_where_it_is_set() -> None:
    survey = load_survey_text(GOOD, "good.yaml")
    data = survey.as_data()
    items = {item["id"]: item for item in data["questions"]}

    assert items["gender"]["profile"] is True
    assert "profile" not in items["involved"]
    # Stored data loads back into the same survey.
    assert Survey.model_validate(data) == survey


def test_a_survey_without_profile_questions_is_stored_as_before() -> None:
    """Surveys saved before the flag existed keep their fingerprint: no new version."""
    survey = load_survey_text(template_path("government-status-check").read_text(), "gov.yaml")

    assert "profile" not in json.dumps(survey.as_data())


# --- what is refused, with a message naming the question -----------------------------------


@pytest.mark.parametrize(
    "kind", ["text", "number", "date", "rating", "implementation_status", "note"]
)
def test_a_profile_question_must_be_a_choice_kind(kind: str) -> None:
    text = with_question(f"  - id: age\n    kind: {kind}\n    profile: true\n    label: Age?")

    [problem] = problems(text)

    assert problem.where == "questions[age]"
    assert problem.line == 7
    assert problem.message == (
        f"profile question 'age' is a {kind} question: a profile question must be "
        "single_choice, multiple_choice or yes_no, so that its answers put people in groups"
    )


def test_a_profile_question_cannot_be_required() -> None:
    text = with_question(
        "  - id: region\n    kind: yes_no\n    profile: true\n    required: true\n"
        "    label: Do you live in the capital?"
    )

    [problem] = problems(text)

    assert problem.where == "questions[region]"
    assert problem.message == (
        "profile question 'region' cannot be required: profile questions are always "
        "optional, so that nobody has to say who they are"
    )


def test_required_false_is_allowed_and_changes_nothing() -> None:
    text = with_question(
        "  - id: region\n    kind: yes_no\n    profile: true\n    required: false\n"
        "    label: Do you live in the capital?"
    )

    survey = load_survey_text(text, "survey.yaml")

    assert survey.question("region").profile and not survey.question("region").is_required


def test_a_profile_question_cannot_be_inside_a_loop() -> None:
    text = with_question(
        "  - id: gender\n    kind: yes_no\n    profile: true\n    label: A woman?", in_loop=True
    )

    [problem] = problems(text)

    assert problem.where == "questions[each]"
    assert problem.message == (
        "profile question 'gender' is inside loop 'each': a profile question is about the "
        "participant, not a recommendation, so put it outside the loop"
    )


def test_the_flag_is_a_boolean() -> None:
    text = with_question(
        "  - id: region\n    kind: yes_no\n    profile: maybe\n    label: Capital?"
    )

    [problem] = problems(text)

    assert problem.where == "questions[region].profile"
    assert problem.line == 9


# --- the published schema ------------------------------------------------------------------


def test_the_schema_has_the_flag_on_questions_only() -> None:
    schema = json.loads(dump_schema())
    definitions = schema["$defs"]
    profile = definitions["Question"]["properties"]["profile"]

    assert profile["type"] == "boolean" and profile["default"] is False
    assert "optional" in profile["description"] and "loop" in profile["description"]
    # Questions take no unknown keys, so without this property editors would flag it.
    assert definitions["Question"]["additionalProperties"] is False
    assert "profile" not in definitions["Group"]["properties"]
    assert "profile" not in definitions["Loop"]["properties"]
    assert "profile" not in schema["properties"]


def test_the_committed_schema_carries_the_flag() -> None:
    committed = Path(__file__).resolve().parents[2] / "surveys" / "schema" / "survey.schema.json"
    schema = json.loads(committed.read_text(encoding="utf-8"))

    assert schema["$defs"]["Question"]["properties"]["profile"]["type"] == "boolean"


# --- XLSForm -------------------------------------------------------------------------------

HEADER = ["type", "name", "label", "required", "profile"]
CHOICES = [
    ["list_name", "name", "label"],
    ["gender", "woman", "Woman"],
    ["gender", "man", "Man"],
    ["yes_no", "yes", "Yes"],
    ["yes_no", "no", "No"],
]


def workbook(path: Path, *rows: list[Any]) -> Path:
    return write(path, survey=[HEADER, *rows], choices=CHOICES)


def test_the_xlsform_profile_column_marks_profile_questions(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "form.xlsx",
        ["select_one yes_no", "involved", "Involved?", "yes", None],
        ["select_one gender", "gender", "Gender?", None, "yes"],
        ["select_multiple gender", "household", "Who lives with you?", None, "TRUE()"],
        ["select_one yes_no", "disability", "A disability?", "no", "yes"],
        ["text", "comment", "Anything else?", None, "no"],
    )

    survey = read_xlsform(path)

    assert [q.id for q in survey.walk() if isinstance(q, Question) and q.profile] == [
        "gender",
        "household",
        "disability",
    ]
    assert survey.question("disability").kind is Kind.YES_NO
    assert not survey.question("gender").is_required
    assert survey.question("involved").is_required


def test_xlsform_profile_problems_are_reported_at_their_rows(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "form.xlsx",
        ["integer", "age", "Age?", None, "yes"],
        ["select_one gender", "gender", "Gender?", "yes", "yes"],
        ["begin loop", "each", "Each", None, None],
        ["select_one yes_no", "woman_led", "Woman-led?", None, "yes"],
        ["end loop", None, None, None, None],
        ["begin group", "about", "About you", None, "yes"],
        ["select_one gender", "partner", "Partner?", None, "perhaps"],
        ["end group", None, None, None, None],
    )

    found = problems_of(path)

    assert [(p.line, p.where) for p in found] == [
        (2, "survey sheet, age"),
        (3, "survey sheet, gender"),
        (5, "survey sheet, woman_led"),
        (7, "survey sheet, about"),
        (8, "survey sheet, partner"),
    ]
    messages = [p.message for p in found]
    assert "profile question 'age' is a number question" in messages[0]
    assert "profile question 'gender' cannot be required" in messages[1]
    assert messages[2] == (
        "profile question 'woman_led' is inside loop 'each' begun on row 4: a profile "
        "question is about the participant, not a recommendation, so put it outside the loop"
    )
    assert messages[3] == "a group is not a question: mark its profile questions one by one"
    assert messages[4] == "profile 'perhaps' is not yes or no"


# --- the bundled template ------------------------------------------------------------------


def test_the_upr_template_asks_four_profile_questions_near_the_end() -> None:
    text = template_path("upr-midterm-cso").read_text(encoding="utf-8")
    survey = load_survey_text(text, "upr-midterm-cso.yaml")
    top = [item.id for item in survey.questions]
    flagged = [q for q in survey.walk() if isinstance(q, Question) and q.profile]

    assert [q.id for q in flagged] == ["gender", "disability", "region", "age_group"]
    assert [q.kind for q in flagged] == [
        Kind.SINGLE_CHOICE,
        Kind.YES_NO,
        Kind.SINGLE_CHOICE,
        Kind.SINGLE_CHOICE,
    ]
    assert top[-5:] == ["gender", "disability", "region", "age_group", "closing"]
    assert not any(q.is_required for q in flagged)
    for question in flagged:
        assert isinstance(question.label, dict)
        assert set(question.label) == set(survey.languages)

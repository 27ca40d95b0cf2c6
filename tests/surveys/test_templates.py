"""The bundled survey templates load cleanly and are complete in every language they list;
the published JSON Schema matches the models; broken survey files report their lines."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from surveys.definition import Group, Kind, LocalizedText, Loop, LoopSelection, Question, Survey
from surveys.loading import SurveyInvalid, dump_schema, load_survey_file, load_survey_text
from surveys.templates import TEMPLATES_DIR, template_names, template_path

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "surveys" / "schema" / "survey.schema.json"
UN_LANGUAGES = {"en", "fr", "es", "ar", "ru", "zh"}
PLACEHOLDERS = {"reference", "paragraph", "text", "body", "state", "themes"}
LONGEST_QUESTION_LABEL = 120  # characters, in any language: the prompts are read in a chat

# What each template asks, in order: the engine's tests and the documentation rely on these.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "government-status-check": [
        ("intro", "note"),
        ("recommendations", "loop"),
        ("status", "implementation_status"),
        ("narrative", "text"),
        ("budget_line", "yes_no"),
        ("next_step", "single_choice"),
        ("evidence_link", "text"),
        ("closing", "note"),
    ],
    "treaty-body-follow-up": [
        ("intro", "note"),
        ("recommendations", "loop"),
        ("status", "implementation_status"),
        ("consulted", "yes_no"),
        ("comment", "text"),
        ("last_info", "date"),
        ("reach", "number"),
        ("closing", "note"),
    ],
    "upr-midterm-cso": [
        ("intro", "note"),
        ("org_type", "single_choice"),
        ("involved", "yes_no"),
        ("recommendations", "loop"),
        ("status", "implementation_status"),
        ("evidence", "text"),
        ("felt", "rating"),
        ("obstacles", "multiple_choice"),
        ("obstacles_other", "text"),
        ("comments", "text"),
        ("gender", "single_choice"),
        ("disability", "yes_no"),
        ("region", "single_choice"),
        ("age_group", "single_choice"),
        ("closing", "note"),
    ],
}


def load(name: str) -> Survey:
    return load_survey_file(template_path(name))


def texts(survey: Survey) -> Iterator[tuple[str, LocalizedText]]:
    """Every text a participant or organiser may see, with where it is."""
    yield "title", survey.title
    if survey.description is not None:
        yield "description", survey.description
    for item in survey.walk():
        yield f"{item.id}.label", item.label
        if item.hint is not None:
            yield f"{item.id}.hint", item.hint
        if isinstance(item, Loop) and item.select_label is not None:
            yield f"{item.id}.select_label", item.select_label
        if isinstance(item, Question):
            if item.constraint_message is not None:
                yield f"{item.id}.constraint_message", item.constraint_message
            for choice in item.choices or []:
                yield f"{item.id}.choices[{choice.id}]", choice.label


def fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# --- the bundled templates ---------------------------------------------------------------


def test_the_three_templates_are_bundled() -> None:
    assert template_names() == sorted(EXPECTED)
    assert template_names() == sorted(p.stem for p in TEMPLATES_DIR.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_loads_without_problems(name: str) -> None:
    survey = load(name)

    assert survey.id == name
    assert survey.default_language == "en"
    assert {"en", "fr", "es"} <= set(survey.languages) <= UN_LANGUAGES
    assert len(survey.languages) == len(set(survey.languages))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_asks_the_documented_questions_in_order(name: str) -> None:
    survey = load(name)

    assert [(item.id, str(item.kind)) for item in survey.walk()] == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_text_exists_in_every_language_listed(name: str) -> None:
    survey = load(name)
    languages = set(survey.languages)
    missing = []
    for where, text in texts(survey):
        if not isinstance(text, dict):
            missing.append(f"{where}: a plain string, not one text per language")
            continue
        if set(text) != languages:
            missing.append(f"{where}: has {sorted(text)}, expected {sorted(languages)}")
        missing.extend(
            f"{where}.{language}: empty" for language, value in text.items() if not value.strip()
        )

    assert missing == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_translations_keep_the_same_placeholders(name: str) -> None:
    survey = load(name)
    for where, text in texts(survey):
        assert isinstance(text, dict)
        expected = fields_of(text["en"])
        assert expected <= PLACEHOLDERS, where
        for language, value in text.items():
            assert fields_of(value) == expected, f"{where}.{language}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_question_labels_are_short_enough_for_chat(name: str) -> None:
    survey = load(name)
    long = [
        f"{item.id}.{language} ({len(value)})"
        for item in survey.walk()
        if isinstance(item, Question) and item.kind is not Kind.NOTE
        for language, value in (item.label.items() if isinstance(item.label, dict) else [])
        if len(value) > LONGEST_QUESTION_LABEL
    ]

    assert long == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ids_are_unique_short_snake_case(name: str) -> None:
    survey = load(name)
    ids = [item.id for item in survey.walk()]

    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,29}", i) for i in ids), ids
    for item in survey.walk():
        if isinstance(item, Question) and item.choices:
            choice_ids = [c.id for c in item.choices]
            assert len(choice_ids) == len(set(choice_ids))
            assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in choice_ids), choice_ids


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_has_a_loop_over_recommendations(name: str) -> None:
    survey = load(name)
    loops = [item for item in survey.walk() if isinstance(item, Loop)]

    assert loops
    assert all(loop.over == "recommendations" and loop.questions for loop in loops)
    assert not any(isinstance(item, Group) for loop in loops for item in loop.questions)


def test_upr_midterm_template_follows_the_brief() -> None:
    survey = load("upr-midterm-cso")
    loop = next(item for item in survey.walk() if isinstance(item, Loop))

    assert loop.select is LoopSelection.THEMES
    assert survey.question("org_type").is_required is False
    assert survey.question("evidence").relevant == "${status} != 'dont_know'"
    assert not survey.question("evidence").is_required
    felt = survey.question("felt")
    assert (felt.min, felt.max, felt.is_required) == (1, 5, False)
    assert [c.id for c in felt.options()] == ["r1", "r2", "r3", "r4", "r5"]
    assert [c.id for c in survey.question("obstacles").options()] == [
        "budget",
        "political_will",
        "data",
        "coordination",
        "other",
    ]
    assert survey.question("obstacles_other").relevant == "selected(${obstacles}, 'other')"
    assert not survey.question("comments").is_required
    assert [item.id for item in survey.questions][-1] == "closing"


def test_upr_midterm_skip_logic_reads_the_answers_as_intended() -> None:
    survey = load("upr-midterm-cso")
    evidence = survey.question("evidence").relevance()
    other = survey.question("obstacles_other").relevance()
    assert evidence is not None and other is not None

    assert evidence.evaluate({"status": "in_progress"}.__getitem__)
    assert not evidence.evaluate({"status": "dont_know"}.__getitem__)
    assert other.evaluate({"obstacles": ["budget", "other"]}.__getitem__)
    assert not other.evaluate({"obstacles": ["budget"]}.__getitem__)
    assert not other.evaluate({"obstacles": ""}.__getitem__)


def test_treaty_body_template_follows_the_brief() -> None:
    survey = load("treaty-body-follow-up")
    loop = next(item for item in survey.walk() if isinstance(item, Loop))
    reach = survey.question("reach")
    check = reach.constraint_check()

    assert loop.select is LoopSelection.RECOMMENDATIONS
    assert not survey.question("comment").is_required
    assert not survey.question("last_info").is_required
    assert (reach.integer, reach.min, reach.is_required) == (True, 0, False)
    assert reach.constraint == ". >= 0" and reach.constraint_message
    assert check is not None
    assert check.evaluate(lambda name: "", 0)
    assert not check.evaluate(lambda name: "", -1)
    last_info = survey.question("last_info").constraint_check()
    assert last_info is not None
    assert last_info.evaluate(lambda name: "", "2020-01-31")
    assert not last_info.evaluate(lambda name: "", "2999-01-01")


def test_government_template_follows_the_brief() -> None:
    survey = load("government-status-check")
    loop = next(item for item in survey.walk() if isinstance(item, Loop))
    narrative = survey.question("narrative")

    assert loop.select is LoopSelection.NONE
    assert narrative.is_required and narrative.text_limit == 1500
    assert [c.id for c in survey.question("next_step").options()] == [
        "legislation",
        "policy",
        "budget",
        "institutional",
        "awareness",
        "data",
    ]
    assert not survey.question("evidence_link").is_required


def test_template_path_names_the_templates_when_unknown() -> None:
    assert template_path("upr-midterm-cso") == TEMPLATES_DIR / "upr-midterm-cso.yaml"
    assert template_path("upr-midterm-cso.yaml") == TEMPLATES_DIR / "upr-midterm-cso.yaml"
    with pytest.raises(KeyError, match="government-status-check, treaty-body-follow-up"):
        template_path("no-such-template")
    with pytest.raises(KeyError):
        template_path("../loading")


# --- the published schema ----------------------------------------------------------------


def test_committed_schema_matches_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == dump_schema(), (
        "surveys/schema/survey.schema.json is out of date: write the output of "
        "surveys.loading.dump_schema() to it"
    )


# --- problems in survey files ------------------------------------------------------------

BROKEN = """\
id: broken
title: A broken survey
languages: [en]
questions:
  - id: first
    label: Pick one
    kind: slider
  - id: second
    kind: text
    label: Why?
    required: false
    relevant: "${first} = = 'yes'"
"""


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    with pytest.raises(SurveyInvalid) as raised:
        load_survey_file(path)

    problems = sorted(raised.value.problems, key=lambda p: p.line or 0)
    assert [p.line for p in problems] == [7, 12]
    assert problems[0].where == "questions[first].kind"
    assert "single_choice" in problems[0].message
    assert problems[1].where == "questions[second].relevant"
    assert "invalid expression" in problems[1].message
    assert all(p.source == str(path) for p in problems)
    assert f"{path}, line 7" in str(raised.value)
    assert f"{path}, line 12" in str(raised.value)


def test_invalid_yaml_syntax_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text(
        "id: syntax\ntitle: Bad syntax\nquestions:\n  - id: q\n    label: [unclosed\n"
        "    kind: text\n",
        encoding="utf-8",
    )

    with pytest.raises(SurveyInvalid) as raised:
        load_survey_file(path)

    [problem] = raised.value.problems
    assert problem.line == 6
    assert problem.message.startswith("not valid YAML")


def test_a_template_with_a_missing_translation_still_loads_but_the_check_catches_it() -> None:
    text = template_path("government-status-check").read_text(encoding="utf-8")
    broken = text.replace('      zh: "谢谢。您提供的信息将汇编入报告。"\n', "")
    assert broken != text

    survey = load_survey_text(broken, "copy.yaml")
    closing = survey.question("closing").label
    assert isinstance(closing, dict) and "zh" not in closing
    assert [w for w, t in texts(survey) if isinstance(t, dict) and set(t) != {*survey.languages}]

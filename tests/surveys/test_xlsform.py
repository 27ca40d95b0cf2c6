"""Reading XLSForm workbooks: the fixtures in tests/fixtures/xlsform and small generated forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from surveys.definition import Group, Kind, Loop, LoopSelection, Question, Survey
from surveys.loading import SurveyInvalid, SurveyProblem, load_survey_file
from surveys.xlsform import _Reader, read_xlsform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"

Rows = list[list[Any]]


def write(path: Path, **sheets: Rows) -> Path:
    """A workbook with one sheet per keyword, named as given, rows from row 1."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def problems_of(path: Path) -> list[SurveyProblem]:
    with pytest.raises(SurveyInvalid) as raised:
        read_xlsform(path)
    return raised.value.problems


def places(problems: list[SurveyProblem]) -> list[tuple[int | None, str]]:
    return [(p.line, p.where) for p in problems]


def outline(items: list[Any]) -> list[Any]:
    """Ids and kinds, nested as groups and loops nest."""
    shape: list[Any] = []
    for item in items:
        if isinstance(item, Group | Loop):
            shape.append((item.id, item.kind, outline(list(item.questions))))
        else:
            shape.append((item.id, item.kind.value))
    return shape


SIMPLE_HEADER = ["type", "name", "label"]


def simple(tmp_path: Path, *rows: list[Any], **sheets: Rows) -> Path:
    """A one-language form with the given survey rows (after the type/name/label header)."""
    return write(tmp_path / "form.xlsx", survey=[SIMPLE_HEADER, *rows], **sheets)


# --- the two-language fixture --------------------------------------------------------------


@pytest.fixture(scope="module")
def two_languages() -> Survey:
    return read_xlsform(FIXTURES / "two-languages.xlsx")


def test_settings_give_id_title_and_languages(two_languages: Survey) -> None:
    assert two_languages.id == "valdoria_follow_up_2024"
    assert two_languages.title == {
        "en": "Follow-up of Valdoria's UPR recommendations",
        "fr": "Suivi des recommandations de l'EPU adressées à la Valdorie",
    }
    assert two_languages.languages == ["en", "fr"]
    assert two_languages.default_language == "en"


def test_items_nest_as_the_begin_and_end_rows_say(two_languages: Survey) -> None:
    assert outline(list(two_languages.questions)) == [
        ("welcome", "note"),
        ("knows", "yes_no"),
        (
            "follow_up",
            "group",
            [
                ("themes", "multiple_choice"),
                ("involvement", "rating"),
                ("meetings_block", "group", [("meetings", "number")]),
            ],
        ),
        ("obstacles", "text"),
        ("last_consulted", "date"),
        ("overall_status", "implementation_status"),
        (
            "each_recommendation",
            "loop",
            [("status", "implementation_status"), ("evidence", "text")],
        ),
        ("thanks", "note"),
    ]


def test_labels_and_hints_are_kept_per_language(two_languages: Survey) -> None:
    themes = two_languages.question("themes")
    assert themes.label == {
        "en": "Which themes does your organisation work on?",
        "fr": "Sur quels thèmes votre organisation travaille-t-elle ?",
    }
    assert themes.hint == {
        "en": "Choose all that apply.",
        "fr": "Choisissez toutes les réponses qui conviennent.",
    }
    assert two_languages.question("obstacles").hint == {
        "en": "A few sentences are enough.",
        "fr": "Quelques phrases suffisent.",
    }
    assert two_languages.question("evidence").label == {
        "en": "What have you seen that shows this?",
        "fr": "Qu'avez-vous constaté qui le montre ?",
    }
    unhinted = [i.id for i in two_languages.walk() if i.hint is None]
    assert "themes" not in unhinted and "obstacles" not in unhinted
    assert len(unhinted) == len(list(two_languages.walk())) - 2
    # Every item has both languages.
    for item in two_languages.walk():
        assert isinstance(item.label, dict) and set(item.label) == {"en", "fr"}, item.id


def test_required_follows_the_column_and_empty_means_optional(two_languages: Survey) -> None:
    required = {
        item.id: item.required for item in two_languages.walk() if isinstance(item, Question)
    }
    assert required == {
        "welcome": None,  # notes are never required
        "knows": True,  # yes
        "themes": True,  # TRUE()
        "involvement": True,  # an Excel TRUE cell
        "meetings": True,  # 1
        "obstacles": False,  # empty
        "last_consulted": False,  # no
        "overall_status": True,
        "status": True,
        "evidence": False,  # false
        "thanks": None,
    }


def test_skip_logic_and_constraints_are_passed_through(two_languages: Survey) -> None:
    items = {item.id: item for item in two_languages.walk()}
    relevant = {ident: item.relevant for ident, item in items.items() if item.relevant}
    assert relevant == {
        "follow_up": "${knows} = 'yes'",
        "meetings_block": "${involvement} >= 3",
        "evidence": "${status} != 'dont_know'",
    }
    meetings = two_languages.question("meetings")
    assert meetings.kind is Kind.NUMBER and meetings.integer
    assert meetings.constraint == ". >= 0 and . <= 100"
    assert meetings.constraint_message == {
        "en": "Please give a number from 0 to 100.",
        "fr": "Veuillez indiquer un nombre de 0 à 100.",
    }
    check = meetings.constraint_check()
    assert check is not None
    assert check.evaluate(lambda name: "", 42) and not check.evaluate(lambda name: "", 101)


def test_choices_rating_and_loop(two_languages: Survey) -> None:
    themes = two_languages.question("themes")
    assert [(c.id, c.label) for c in themes.options()] == [
        ("women_rights", {"en": "Women's rights", "fr": "Droits des femmes"}),
        ("children", {"en": "Rights of the child", "fr": "Droits de l'enfant"}),
        ("justice", {"en": "Administration of justice", "fr": "Administration de la justice"}),
        ("detention", {"en": "Conditions of detention", "fr": "Conditions de détention"}),
    ]
    # The yes_no list becomes the yes/no kind, with its standard buttons.
    knows = two_languages.question("knows")
    assert knows.kind is Kind.YES_NO and knows.choices is None
    involvement = two_languages.question("involvement")
    assert (involvement.min, involvement.max) == (1, 5)
    assert [c.id for c in involvement.options()] == ["r1", "r2", "r3", "r4", "r5"]
    loop = next(item for item in two_languages.walk() if isinstance(item, Loop))
    assert loop.id == "each_recommendation"
    assert loop.select is LoopSelection.THEMES and loop.over == "recommendations"


def test_load_survey_file_dispatches_workbooks_here(two_languages: Survey) -> None:
    assert load_survey_file(FIXTURES / "two-languages.xlsx") == two_languages


def test_the_fixtures_are_as_the_generator_writes_them(tmp_path: Path) -> None:
    script = FIXTURES / "make_xlsforms.py"
    namespace: dict[str, Any] = {"__name__": "make_xlsforms", "__file__": str(script)}
    exec(compile(script.read_text(encoding="utf-8"), str(script), "exec"), namespace)
    namespace["HERE"] = tmp_path
    namespace["main"]()
    for name in ("two-languages", "bad", "no-survey-sheet", "not-a-workbook"):
        written = (tmp_path / f"{name}.xlsx").read_bytes()
        assert written == (FIXTURES / f"{name}.xlsx").read_bytes(), name


# --- whole-workbook problems ---------------------------------------------------------------


def test_every_problem_of_bad_xlsx_is_reported_at_its_row() -> None:
    path = FIXTURES / "bad.xlsx"
    problems = problems_of(path)
    assert {p.source for p in problems} == {str(path)}
    assert places(problems) == [
        (3, "survey sheet, location"),
        (4, "survey sheet, photo"),
        (5, "survey sheet, colour"),
        (6, "survey sheet, 2nd question"),
        (7, "survey sheet"),
        (8, "survey sheet, knows"),
    ]
    messages = [p.message for p in problems]
    assert messages[0] == "type 'geopoint' cannot be asked in a chat"
    assert messages[1] == "type 'image' cannot be asked in a chat"
    assert messages[2] == "choice list 'colours' is not on the choices sheet"
    assert "name '2nd question' must start with a letter" in messages[3]
    assert messages[4] == "'end group' has no matching 'begin group'"
    assert messages[5].startswith("relevant: invalid expression '${organisation} ='")
    assert "expected a value" in messages[5]
    assert str(problems[0]) == (
        f"{path}, line 3: survey sheet, location: type 'geopoint' cannot be asked in a chat"
    )


def test_a_workbook_without_a_survey_sheet() -> None:
    problems = problems_of(FIXTURES / "no-survey-sheet.xlsx")
    assert [(p.line, p.where, p.message) for p in problems] == [
        (None, "", "has no sheet named 'survey'")
    ]


def test_a_file_that_is_not_a_workbook() -> None:
    path = FIXTURES / "not-a-workbook.xlsx"
    with pytest.raises(SurveyInvalid) as raised:
        load_survey_file(path)
    [problem] = raised.value.problems
    assert problem.source == str(path) and problem.line is None
    assert "cannot be opened as a workbook" in problem.message


def test_survey_sheet_needs_type_and_name_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "form.xlsx", survey=[["label"], ["Hello"]])
    problems = problems_of(path)
    assert [(p.line, p.where, p.message) for p in problems] == [
        (1, "survey sheet", "has no 'type' column"),
        (1, "survey sheet", "has no 'name' column"),
    ]


def test_an_empty_survey_sheet(tmp_path: Path) -> None:
    problems = problems_of(simple(tmp_path))
    assert [(p.where, p.message) for p in problems] == [("survey sheet", "has no questions")]


# --- columns and languages -----------------------------------------------------------------


def test_sheet_and_column_names_ignore_case_and_spaces(tmp_path: Path) -> None:
    path = write(
        tmp_path / "Valdoria Check-in.xlsx",
        Survey=[
            [" TYPE ", "Name", "Label", "Constraint Message", "REQUIRED"],
            ["decimal", "budget", "Budget?", "Too small", "Yes"],
        ],
    )
    survey = read_xlsform(path)
    budget = survey.question("budget")
    assert budget.kind is Kind.NUMBER and not budget.integer and budget.required is True
    assert budget.label == {"en": "Budget?"} and budget.constraint_message == {"en": "Too small"}
    # No settings: the id and title come from the file name, the language is English.
    assert (survey.id, survey.title) == ("valdoria-check-in", "Valdoria Check-in")
    assert (survey.languages, survey.default_language) == (["en"], "en")


@pytest.mark.parametrize(
    ("heading", "code"),
    [
        ("label::fr", "fr"),
        ("label::French", "fr"),
        ("label::Español (es)", "es"),
        ("label::Arabic", "ar"),
        ("label::中文 (zh-Hans)", "zh-Hans"),
        ("label:: Russian (RU) ", "ru"),
    ],
)
def test_language_columns(tmp_path: Path, heading: str, code: str) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[["type", "name", heading], ["text", "q", "?"]],
        settings=[["default_language"], [code]],
    )
    survey = read_xlsform(path)
    assert survey.question("q").label == {code: "?"}
    assert survey.languages == [code] and survey.default_language == code


def test_a_language_name_without_a_code_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[["type", "name", "label::English", "label::Kiswahili"], ["text", "q", "?", "?"]],
    )
    [problem] = problems_of(path)
    assert (problem.line, problem.where) == (1, "survey sheet")
    assert "'label::Kiswahili'" in problem.message and "language code" in problem.message


def test_plain_label_is_in_the_default_language(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[["type", "name", "label", "label::English (en)"], ["text", "q", "Quoi ?", "What?"]],
        settings=[["form_id", "form_title", "default_language"], ["Suivi 2024", "Suivi", "fr"]],
    )
    survey = read_xlsform(path)
    assert survey.question("q").label == {"fr": "Quoi ?", "en": "What?"}
    assert survey.languages == ["fr", "en"] and survey.default_language == "fr"
    assert (survey.id, survey.title) == ("suivi-2024", {"fr": "Suivi"})


def test_without_settings_the_only_language_is_the_default(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[
            ["type", "name", "label::Français (fr)", "hint::Español (es)"],
            ["text", "q", "Quoi ?", "¿Qué?"],
        ],
    )
    survey = read_xlsform(path)
    # Languages come from label columns; a hint alone does not add one.
    assert survey.languages == ["fr"] and survey.default_language == "fr"
    assert survey.question("q").hint == {"es": "¿Qué?"}


def test_column_and_settings_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[["type", "name", "label", "label::English (en)"], ["text", "q", "What?", "What?"]],
        settings=[["default_language"], ["Klingon"]],
    )
    problems = problems_of(path)
    assert places(problems) == [(1, "survey sheet"), (2, "settings sheet")]
    assert problems[0].message == "column 'label::English (en)' repeats column 'label'"
    assert "default_language 'Klingon'" in problems[1].message


def test_a_default_language_without_labels(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[["type", "name", "label::English (en)"], ["text", "q", "What?"]],
        settings=[["default_language"], ["French (fr)"]],
    )
    [problem] = problems_of(path)
    assert (problem.line, problem.where) == (2, "settings sheet")
    assert "default_language 'fr' has no label column" in problem.message


# --- types ---------------------------------------------------------------------------------


def test_every_type_that_has_no_meaning_in_chat_is_rejected_with_its_row(tmp_path: Path) -> None:
    rejected = [
        "geopoint", "geotrace", "geoshape", "barcode", "image", "audio", "video", "file", "osm",
        "start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit",
        "simserial", "subscriberid", "calculate", "hidden", "xml-external",
    ]  # fmt: skip
    rows = [[kind, f"q{n}", "?"] for n, kind in enumerate(rejected)]
    problems = problems_of(simple(tmp_path, ["text", "kept", "?"], *rows))
    assert [p.line for p in problems] == list(range(3, 3 + len(rejected)))
    for kind, problem in zip(rejected, problems, strict=True):
        assert f"'{kind}'" in problem.message
    assert problems[0].message == "type 'geopoint' cannot be asked in a chat"
    assert "metadata" in problems[rejected.index("deviceid")].message
    assert "not supported" in problems[rejected.index("calculate")].message


def test_repeats_are_pointed_to_loops_and_unknown_types_reported(tmp_path: Path) -> None:
    path = simple(
        tmp_path,
        ["begin repeat", "visits", "Visits"],
        ["text", "place", "Where?"],
        ["end repeat", None, None],
        ["textarea", "notes", "Notes?"],
        ["select_one yes_no or_other", "knows", "Know?"],
        ["select_one", "bare", "Which?"],
        [None, "typeless", "No type"],
        choices=[["list_name", "name", "label"], ["yes_no", "yes", "Yes"], ["yes_no", "no", "No"]],
    )
    problems = problems_of(path)
    assert places(problems) == [
        (2, "survey sheet, visits"),
        (5, "survey sheet, notes"),
        (6, "survey sheet, knows"),
        (7, "survey sheet, bare"),
        (8, "survey sheet, typeless"),
    ]
    assert "use 'begin loop'" in problems[0].message
    assert problems[1].message == "unknown type 'textarea'"
    assert "'or_other' is not supported" in problems[2].message
    assert "needs one list name" in problems[3].message
    assert problems[4].message == "the row has no type"


def test_question_kinds(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[
            ["type", "name", "label", "parameters", "disabled"],
            ["acknowledge", "agree", "Do you agree to take part?", None, None],
            ["select_one yes_no", "yes_no_maybe", "Is it done?", None, None],
            ["select_one opinion", "opinion", "Your view?", None, None],
            ["range", "score", "Score?", "start=0, end=10", None],
            ["range", "default_scale", "Scale?", None, None],
            ["text", "draft", "Not ready", None, "yes"],
            ["select one opinion", "spaced", "Spaced?", None, None],
        ],
        choices=[
            ["list_name", "name", "label"],
            ["yes_no", "yes", "Yes"],
            ["yes_no", "no", "No"],
            ["yes_no", "maybe", "Maybe"],
            ["opinion", "for", "For"],
            ["opinion", "against", "Against"],
        ],
    )
    survey = read_xlsform(path)
    assert survey.question("agree").kind is Kind.YES_NO
    # A yes_no list with more than yes and no stays a single choice.
    assert survey.question("yes_no_maybe").kind is Kind.SINGLE_CHOICE
    assert [c.id for c in survey.question("yes_no_maybe").options()] == ["yes", "no", "maybe"]
    assert survey.question("opinion").kind is Kind.SINGLE_CHOICE
    assert survey.question("spaced").kind is Kind.SINGLE_CHOICE
    score = survey.question("score")
    assert (score.kind, score.min, score.max) == (Kind.RATING, 0, 10)
    assert (survey.question("default_scale").min, survey.question("default_scale").max) == (1, 5)
    assert "draft" not in {item.id for item in survey.walk()}


def test_range_and_loop_parameters_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[
            ["type", "name", "label", "parameters"],
            ["range", "steps", "Steps?", "start=0 end=10 step=2"],
            ["range", "wide", "Wide?", "start=1 end=20"],
            ["range", "odd", "Odd?", "start=one"],
            ["range", "extra", "Extra?", "start=1 colour=blue"],
            ["begin loop", "each", "Each", "select=countries"],
            ["text", "why", "Why?", None],
            ["end loop", None, None, None],
        ],
    )
    problems = problems_of(path)
    assert [p.line for p in problems] == [2, 3, 4, 5, 6]
    assert "step must be 1, not 2" in problems[0].message
    assert problems[1].message == "a rating runs over at most 11 whole points"
    assert problems[2].message == "parameter start=one is not a number"
    assert "parameter 'colour' is not used here" in problems[3].message
    assert problems[4].message == "select=countries is not one of none, themes, recommendations"


def test_required_values(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[["type", "name", "label", "required"]]
        + [["text", f"q{n}", "?", value] for n, value in enumerate(["FALSE()", 0, "maybe"])],
    )
    [problem] = problems_of(path)
    assert (problem.line, problem.message) == (4, "required 'maybe' is not yes or no")


# --- structure -----------------------------------------------------------------------------


def test_unclosed_and_mismatched_blocks(tmp_path: Path) -> None:
    path = simple(
        tmp_path,
        ["begin group", "outer", "Outer"],
        ["begin loop", "each", "Each"],
        ["text", "why", "Why?"],
        ["end group", None, None],
        ["begin group", "never_closed", "Open"],
        ["text", "what", "What?"],
    )
    problems = problems_of(path)
    assert places(problems) == [
        (2, "survey sheet, outer"),
        (5, "survey sheet"),
        (6, "survey sheet, never_closed"),
    ]
    assert problems[0].message == "'begin group' has no matching 'end group'"
    assert problems[1].message == (
        "'end group' closes loop 'each' begun on row 3: write 'end loop'"
    )
    assert problems[2].message == "'begin group' has no matching 'end group'"


def test_a_loop_holds_only_questions(tmp_path: Path) -> None:
    path = simple(
        tmp_path,
        ["begin loop", "each", "Each"],
        ["begin group", "inner", "Inner"],
        ["text", "why", "Why?"],
        ["end group", None, None],
        ["begin loop", "again", "Again"],
        ["end loop", None, None],
        ["end loop", None, None],
    )
    problems = problems_of(path)
    assert places(problems) == [(3, "survey sheet, inner"), (6, "survey sheet, again")]
    assert all("a loop holds only questions" in p.message for p in problems)
    assert "loop 'each' begun on row 2" in problems[0].message


def test_a_loop_inside_a_group_is_fine(tmp_path: Path) -> None:
    path = simple(
        tmp_path,
        ["begin group", "block", "Block"],
        ["begin_loop", "each", "Each"],
        ["select_one implementation_status", "status", "Status?"],
        ["end_loop", None, None],
        ["end_group", None, None],
    )
    survey = read_xlsform(path)
    assert outline(list(survey.questions)) == [
        ("block", "group", [("each", "loop", [("status", "implementation_status")])])
    ]


def test_names_are_checked(tmp_path: Path) -> None:
    path = simple(
        tmp_path,
        ["text", "q", "First?"],
        ["text", "q", "Again?"],
        ["text", None, "Nameless?"],
        ["text", "x" * 41, "Long?"],
        ["note", "silent", None],
        ["begin group", None, "Group"],
        ["end group", None, None],
    )
    problems = problems_of(path)
    assert [(p.line, p.message) for p in problems] == [
        (3, "name 'q' is already used on row 2"),
        (4, "a question needs a name"),
        (5, f"name '{'x' * 41}' is longer than 40 characters"),
        (6, "the question has no label"),
        (7, "a group needs a name"),
    ]


def test_constraint_on_a_group_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[
            ["type", "name", "label", "constraint"],
            ["begin group", "block", "Block", ". > 1"],
            ["integer", "n", "How many?", None],
            ["end group", None, None, None],
        ],
    )
    [problem] = problems_of(path)
    assert problem.line == 2 and "put the constraint on a question" in problem.message


# --- expressions ---------------------------------------------------------------------------


def test_expression_problems_are_reported_at_their_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path / "form.xlsx",
        survey=[
            ["type", "name", "label", "relevant", "constraint"],
            ["integer", "age", "Age?", None, ". >= 0 && . < 130"],
            ["text", "school", "School?", "${age} < 18 and ${nationality} = 'x'", None],
            ["begin group", "adults", "Adults", "regex(${age}, '[0-9]+')", None],
            ["text", "job", "Job?", None, None],
            ["end group", None, None, None, None],
            ["text", "fine", "Fine?", "${age} >= 18 and ${job} != ''", "string-length(.) < 9"],
        ],
    )
    problems = problems_of(path)
    assert places(problems) == [
        (2, "survey sheet, age"),
        (3, "survey sheet, school"),
        (4, "survey sheet, adults"),
    ]
    assert problems[0].message.startswith("constraint: invalid expression")
    assert problems[1].message == "relevant refers to unknown question nationality"
    assert "unknown function 'regex'" in problems[2].message


# --- the choices sheet ---------------------------------------------------------------------


def test_choices_sheet_problems_are_reported_at_their_rows(tmp_path: Path) -> None:
    path = simple(
        tmp_path,
        ["select_one colours", "colour", "Colour?"],
        ["select_multiple sizes", "sizes", "Sizes?"],
        choices=[
            ["list_name", "name", "label"],
            ["colours", "red", "Red"],
            ["colours", "red", "Red again"],
            ["colours", "1", "One"],
            [None, "blue", "Blue"],
            ["colours", None, "Nameless"],
            ["sizes", "small", None],
            [None, None, None],
        ],
    )
    problems = problems_of(path)
    assert places(problems) == [
        (3, "choices sheet, colours"),
        (4, "choices sheet, colours"),
        (5, "choices sheet"),
        (6, "choices sheet, colours"),
        (7, "choices sheet, sizes"),
    ]
    assert [p.message for p in problems] == [
        "choice 'red' is already in list 'colours' on row 2",
        "choice name '1' must start with a letter or _ and hold only letters, digits and _",
        "the choice has no list_name",
        "the choice has no name",
        "choice 'small' has no label",
    ]


def test_a_list_without_a_choices_sheet(tmp_path: Path) -> None:
    [problem] = problems_of(simple(tmp_path, ["select_one colours", "colour", "Colour?"]))
    assert problem.line == 2
    assert problem.message == (
        "choice list 'colours' is not on the choices sheet (the workbook has no choices sheet)"
    )


def test_implementation_status_needs_no_list(tmp_path: Path) -> None:
    survey = read_xlsform(simple(tmp_path, ["select_one implementation_status", "s", "Status?"]))
    assert survey.question("s").kind is Kind.IMPLEMENTATION_STATUS
    assert survey.question("s").required is False


# --- mapping model problems back to rows ---------------------------------------------------


def test_model_problems_are_moved_to_the_row_of_their_question(tmp_path: Path) -> None:
    reader = _Reader(tmp_path / "form.xlsx")
    reader.rows = {"block": 4, "meetings": 6}
    source = str(tmp_path / "form.xlsx")
    nested = SurveyProblem(source, None, "questions[block].questions[meetings].label", "bad")
    assert reader.remapped(nested) == SurveyProblem(
        source, 6, "survey sheet, meetings", "label: bad"
    )
    whole = SurveyProblem(source, None, "", "block: relevant refers to unknown question x")
    assert reader.remapped(whole) == SurveyProblem(
        source, 4, "survey sheet, block", "relevant refers to unknown question x"
    )
    unplaced = SurveyProblem(source, None, "languages", "too short")
    assert reader.remapped(unplaced) == unplaced


# --- robustness ----------------------------------------------------------------------------

TYPICAL_CELLS = [
    "text", "integer", "begin group", "end group", "begin loop", "end loop", "note",
    "select_one yes_no", "select_multiple yes_no", "range", "geopoint", "q", "2x", "yes",
    "${q} = 'yes'", ". > 1", "start=1 end=3", "select=themes", "", " ",
]  # fmt: skip
CELLS = st.one_of(
    st.none(),
    st.sampled_from(TYPICAL_CELLS),
    st.text(max_size=12),
    st.integers(-3, 3),
    st.booleans(),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(st.lists(CELLS, min_size=6, max_size=6), max_size=8))
def test_any_survey_sheet_gives_a_survey_or_problems(tmp_path: Path, rows: Rows) -> None:
    header = ["type", "name", "label", "relevant", "constraint", "parameters"]
    cleaned = [[c.replace("\x00", "") if isinstance(c, str) else c for c in row] for row in rows]
    # openpyxl refuses control characters in cells; they cannot reach a real workbook either.
    cleaned = [
        [c if not isinstance(c, str) or c.isprintable() else None for c in row] for row in cleaned
    ]
    path = write(
        tmp_path / "random.xlsx",
        survey=[header, *cleaned],
        choices=[["list_name", "name", "label"], ["yes_no", "yes", "Yes"], ["yes_no", "no", "No"]],
    )
    try:
        survey = read_xlsform(path)
    except SurveyInvalid as invalid:
        assert invalid.problems
        assert all(p.where.endswith("sheet") or " sheet, " in p.where for p in invalid.problems)
    else:
        assert isinstance(survey, Survey)

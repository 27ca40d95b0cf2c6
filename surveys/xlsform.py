"""Reading XLSForm workbooks (ODK, KoboToolbox, SurveyCTO) into a checked Survey.

A workbook holds a ``survey`` sheet, a ``choices`` sheet when choice questions name lists, and
an optional ``settings`` sheet. Sheet names and the column names of row 1 are matched without
regard to case or surrounding spaces; columns not listed here are ignored, and so are blank rows.
Every problem in the workbook is collected and reported together, each with its sheet and row.

Survey sheet types:

========================================  ==========================================================
XLSForm type                              Consulta item
========================================  ==========================================================
``select_one LIST``                       ``single_choice`` with the choices of LIST
``select_one yes_no``                     ``yes_no`` when the list ``yes_no`` holds exactly ``yes``
                                          and ``no`` (the standard translated buttons are used)
``select_one implementation_status``      ``implementation_status``: the standard status scale,
                                          no list needed (a list of that name is not read)
``select_multiple LIST``                  ``multiple_choice``
``integer`` / ``decimal``                 ``number`` (whole numbers only for ``integer``)
``range``                                 ``rating`` from ``parameters`` ``start=1 end=5 step=1``
                                          (the defaults; the step must be 1)
``text``, ``date``, ``note``              ``text``, ``date``, ``note``
``acknowledge``                           ``yes_no``
``begin group`` ... ``end group``         a group (groups nest); ``begin_group`` also accepted
``begin loop`` ... ``end loop``           a loop over the round's recommendations, holding only
                                          questions; ``parameters`` ``select=themes``,
                                          ``select=recommendations`` or ``select=none`` (default)
========================================  ==========================================================

Rejected, each as a problem with its row: types that cannot be asked in a chat (``geopoint``,
``geotrace``, ``geoshape``, ``barcode``, ``image``, ``audio``, ``video``, ``file``, ``time``,
``datetime``, ``rank``, ``trigger``...), form metadata (``start``, ``end``, ``today``,
``deviceid``, ``phonenumber``, ``username``, ``email``, ``audit``, ``simserial``,
``subscriberid``...), ``begin repeat`` (use ``begin loop``), ``calculate``, ``hidden``,
``xml-external``, ``csv-external``, choices from files, ``or_other`` and unknown types.

Survey sheet columns: ``type``, ``name`` (required; the question id, letters, digits and ``_``,
not starting with a digit), ``label``, ``easy_read`` (a Consulta extension: the easy-read wording
shown instead of the label in easy-read mode), ``hint``, ``relevant``, ``constraint``,
``constraint_message``, ``required`` (``yes``/``true``/``1``/``TRUE()`` or ``no``/``false``/
``0``/empty; empty means not required, as in XLSForm), ``profile`` (a Consulta extension:
``yes`` marks a profile question, asked only with the participant's consent and used only to
break results down by group; written like ``required``), ``parameters`` (``range`` and ``begin
loop`` only) and ``disabled`` (``yes`` leaves the row out). ``required``, ``profile`` and
``constraint`` belong to questions; a constraint or profile on a group or loop row is
reported. ``choice_filter``, ``appearance``, ``default``, media and every other column are
ignored: choices are never filtered. ``relevant`` and ``constraint`` are Consulta expressions,
the XLSForm subset described in surveys/expressions.py, with ``${name}`` references written as
in XLSForm.

Choices sheet columns: ``list_name``, ``name`` (the choice id), ``label`` and ``easy_read``
(a Consulta extension, as on the survey sheet).
Settings sheet columns (the first row under the header): ``form_id`` (the survey id, turned
into lower-case letters, digits, ``-`` and ``_`` when needed; the file name when absent),
``form_title`` (the title; the form id or file name when absent) and ``default_language``.

``label``, ``easy_read``, ``hint``, ``constraint_message`` and ``form_title`` may be given per
language: ``label::English (en)``, ``label::Français (fr)`` or ``label::fr``. A language name
without a code is understood for the six UN languages by their English names
(``label::Spanish``). A column without a language belongs to the default language:
``default_language`` from the settings (a code or ``English (en)``), else English. The survey's
languages are the default one and every language that has a label column on the survey or
choices sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError

from surveys.definition import (
    LANGUAGE,
    QUESTION_ID,
    Group,
    Kind,
    Loop,
    LoopSelection,
    Question,
    Survey,
    slugify,
)
from surveys.expressions import ExpressionError, parse
from surveys.loading import SurveyInvalid, SurveyProblem, validate_survey_data

Cells = tuple[object, ...]

_QUESTION_ID = re.compile(QUESTION_ID)
_SURVEY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CODE = re.compile(LANGUAGE, re.IGNORECASE)
_IN_PARENTHESES = re.compile(r"\(([^()]*)\)\s*$")
_PARAMETER = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*([^\s,;=]+)")
_BRACKETED_ID = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*)\]")
_LEADING_ID = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*): (.*)$", re.DOTALL)
_MAX_ID = 40

_UN_LANGUAGES = {
    "english": "en",
    "french": "fr",
    "spanish": "es",
    "arabic": "ar",
    "chinese": "zh",
    "russian": "ru",
}
# Spellings that XLSForm tools accept for the same columns.
_ALIASES = {
    "list name": "list_name",
    "constraint message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "choice filter": "choice_filter",
}
_SURVEY_TEXTS = frozenset({"label", "easy_read", "hint", "constraint_message"})
_CHOICE_TEXTS = frozenset({"label", "easy_read"})
_SETTINGS_TEXTS = frozenset({"form_title"})

_YES = frozenset({"yes", "true", "1", "true()"})
_NO = frozenset({"no", "false", "0", "false()"})

_SIMPLE_KINDS: dict[str, tuple[Kind, dict[str, Any]]] = {
    "text": (Kind.TEXT, {}),
    "integer": (Kind.NUMBER, {"integer": True}),
    "decimal": (Kind.NUMBER, {}),
    "date": (Kind.DATE, {}),
    "note": (Kind.NOTE, {}),
    "acknowledge": (Kind.YES_NO, {}),
}
_NOT_IN_CHAT = frozenset(
    {
        "geopoint", "geotrace", "geoshape", "start-geopoint", "barcode", "image", "audio",
        "background-audio", "video", "file", "osm", "time", "datetime", "rank", "trigger",
    }
)  # fmt: skip
_METADATA = frozenset(
    {
        "start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit",
        "simserial", "subscriberid", "imei", "uri:email", "uri:phonenumber", "uri:username",
    }
)  # fmt: skip
_UNSUPPORTED = {
    "calculate": "type 'calculate' is not supported: a chat survey computes no fields",
    "hidden": "type 'hidden' is not supported: a chat survey has no hidden fields",
    "xml-external": "type 'xml-external' is not supported: a chat survey reads no outside data",
    "csv-external": "type 'csv-external' is not supported: a chat survey reads no outside data",
    "begin_repeat": "'begin repeat' is not supported: use 'begin loop' to ask questions once "
    "for each recommendation",
}
_FROM_FILE = frozenset({"select_one_from_file", "select_multiple_from_file", "select_one_external"})
# Which column a model field comes from, to name it in a problem.
_FIELD_COLUMNS = {"min": "parameters", "max": "parameters", "select": "parameters"}


def read_xlsform(path: Path) -> Survey:
    """Read an XLSForm workbook into a checked Survey, raising SurveyInvalid with every problem."""
    return _Reader(path).read()


@dataclass(frozen=True)
class _Column:
    index: int
    heading: str
    base: str
    localized: bool
    # The language of a localized column; None for the default language.
    language: str | None


@dataclass(frozen=True)
class _Row:
    number: int
    cells: dict[str, str]
    texts: dict[str, dict[str, str]]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")

    def text(self, column: str) -> dict[str, str]:
        return dict(self.texts.get(column, {}))


@dataclass
class _Sheet:
    name: str
    raw: list[Cells]
    columns: list[_Column] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)

    def has(self, base: str) -> bool:
        return any(c.base == base for c in self.columns)

    def label_languages(self) -> set[str]:
        return {c.language for c in self.columns if c.base == "label" and c.language}

    def plain_label(self) -> bool:
        return any(c.base == "label" and c.language is None for c in self.columns)


@dataclass
class _ChoiceList:
    row: int
    choices: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    # Some of its rows were reported and left out.
    broken: bool = False


@dataclass
class _Frame:
    kind: str  # "survey", "group", "loop" or "repeat"
    name: str
    row: int
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class _Entry:
    """One item built from a row, with the stand-in data used to check it on its own."""

    row: int
    name: str
    model: type[Question] | type[Group] | type[Loop]
    data: dict[str, Any]
    probe: dict[str, Any]


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        self.problems: list[SurveyProblem] = []
        self.rows: dict[str, int] = {}
        self.entries: list[_Entry] = []

    def problem(self, sheet: str, line: int | None, message: str, name: str = "") -> None:
        where = f"{sheet} sheet" if sheet else ""
        if name:
            where = f"{where}, {name}" if where else name
        self.problems.append(SurveyProblem(self.source, line, where, message))

    def fail(self) -> SurveyInvalid:
        order = {"survey": 0, "choices": 1, "settings": 2}
        problems = sorted(
            self.problems,
            key=lambda p: (
                order.get(p.where.split(" ", 1)[0], 3),
                p.line if p.line is not None else 1 << 30,
            ),
        )
        return SurveyInvalid(problems)

    # --- the workbook ----------------------------------------------------------------------

    def read(self) -> Survey:
        sheets = self.open()
        survey = sheets.get("survey")
        if survey is None:
            self.problem("", None, "has no sheet named 'survey'")
            raise self.fail()
        choices = sheets.get("choices", _Sheet("choices", []))
        settings = sheets.get("settings", _Sheet("settings", []))

        survey.columns = self.columns(survey, _SURVEY_TEXTS)
        choices.columns = self.columns(choices, _CHOICE_TEXTS)
        settings.columns = self.columns(settings, _SETTINGS_TEXTS)
        for column in ("type", "name"):
            if not survey.has(column):
                self.problem("survey", 1, f"has no '{column}' column")
        if choices.raw:
            for column in ("list_name", "name"):
                if not choices.has(column):
                    self.problem("choices", 1, f"has no '{column}' column")

        chosen, settings_row = self.default_language_setting(settings)
        explicit = survey.label_languages() | choices.label_languages()
        plain = survey.plain_label() or choices.plain_label()
        if chosen:
            default = chosen
            if explicit and not plain and chosen not in explicit:
                self.problem(
                    "settings",
                    settings_row,
                    f"default_language {chosen!r} has no label column; the labels are in "
                    f"{', '.join(sorted(explicit))}",
                )
        elif plain or not explicit or "en" in explicit:
            default = "en"
        else:
            default = sorted(explicit)[0]
        languages = [default, *sorted(explicit - {default})]

        for sheet in (survey, choices, settings):
            sheet.rows = self.sheet_rows(sheet, default)
        form_id, title = self.settings(settings)
        lists = self.choice_lists(choices)
        if survey.has("type") and survey.has("name"):
            questions = self.survey(survey.rows, lists, has_choices=bool(choices.raw))
        else:
            questions = []
        if self.problems:
            raise self.fail()

        data = {
            "id": form_id,
            "title": title,
            "languages": languages,
            "default_language": default,
            "questions": questions,
        }
        try:
            return validate_survey_data(data, self.source)
        except SurveyInvalid as failure:
            self.problems = [self.remapped(p) for p in failure.problems]
            raise self.fail() from None

    def open(self) -> dict[str, _Sheet]:
        """The survey, choices and settings sheets' cells, keyed by lower-case sheet name."""
        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as failure:
            # openpyxl raises many kinds of error for a damaged or foreign file; all mean the same.
            self.problem(
                "",
                None,
                f"cannot be opened as a workbook ({_reason(failure)}): save it from the "
                "spreadsheet program as an Excel workbook (.xlsx)",
            )
            raise self.fail() from None
        sheets: dict[str, _Sheet] = {}
        try:
            for worksheet in workbook.worksheets:
                key = str(worksheet.title).strip().lower()
                if key in ("survey", "choices", "settings") and key not in sheets:
                    raw = [tuple(values) for values in worksheet.iter_rows(values_only=True)]
                    sheets[key] = _Sheet(key, raw)
        except Exception as failure:
            self.problem("", None, f"cannot be opened as a workbook ({_reason(failure)})")
            raise self.fail() from None
        finally:
            workbook.close()
        return sheets

    def columns(self, sheet: _Sheet, localized: frozenset[str]) -> list[_Column]:
        """The header row's columns, with the language of each text column."""
        if not sheet.raw:
            return []
        columns: list[_Column] = []
        for index, cell in enumerate(sheet.raw[0]):
            heading = _text(cell)
            if not heading:
                continue
            base, marker, rest = heading.partition("::")
            base = " ".join(base.lower().split())
            base = _ALIASES.get(base, base.replace(" ", "_"))
            if base not in localized:
                # Per-language columns we do not use (media::image::English (en)...).
                if not marker:
                    columns.append(_Column(index, heading, base, False, None))
                continue
            language = None
            if marker:
                language = _language_code(rest)
                if language is None:
                    self.problem(
                        sheet.name,
                        1,
                        f"column {heading!r} does not say which language it is in: "
                        f"write it as '{base}::{rest.strip() or 'Español'} (xx)' with the "
                        "language code",
                    )
                    continue
            columns.append(_Column(index, heading, base, True, language))
        return columns

    def sheet_rows(self, sheet: _Sheet, default: str) -> list[_Row]:
        """The non-blank rows under the header, each cell keyed by column and language."""
        keys: dict[tuple[str, str | None], _Column] = {}
        for column in sheet.columns:
            key = (column.base, (column.language or default) if column.localized else None)
            if key in keys:
                self.problem(
                    sheet.name,
                    1,
                    f"column {column.heading!r} repeats column {keys[key].heading!r}",
                )
                continue
            keys[key] = column
        rows: list[_Row] = []
        for number, values in enumerate(sheet.raw[1:], start=2):
            cells: dict[str, str] = {}
            texts: dict[str, dict[str, str]] = {}
            for (base, language), column in keys.items():
                value = _text(values[column.index]) if column.index < len(values) else ""
                if not value:
                    continue
                if language is None:
                    cells[base] = value
                else:
                    texts.setdefault(base, {})[language] = value
            if cells or texts:
                rows.append(_Row(number, cells, texts))
        return rows

    # --- settings and choices --------------------------------------------------------------

    def default_language_setting(self, settings: _Sheet) -> tuple[str | None, int]:
        """The settings' default language code, if set, and the settings row it is on."""
        column = next((c for c in settings.columns if c.base == "default_language"), None)
        for number, values in enumerate(settings.raw[1:], start=2):
            if not any(_text(v) for v in values):
                continue
            value = _text(values[column.index]) if column and column.index < len(values) else ""
            if not value:
                return None, number
            code = _language_code(value)
            if code is None:
                self.problem(
                    "settings",
                    number,
                    f"default_language {value!r} is not a language code or a name with its "
                    "code, like 'English (en)'",
                )
            return code, number
        return None, 2

    def settings(self, settings: _Sheet) -> tuple[str, str | dict[str, str]]:
        """The survey id and title from the settings, else from the file name."""
        row = settings.rows[0] if settings.rows else _Row(2, {}, {})
        form_id = row.get("form_id")
        if form_id and _SURVEY_ID.fullmatch(form_id) and len(form_id) <= 60:
            survey_id = form_id
        else:
            survey_id = slugify(form_id or self.path.stem)
        title = row.text("form_title")
        return survey_id, title or form_id or self.path.stem

    def choice_lists(self, choices: _Sheet) -> dict[str, _ChoiceList]:
        """The choice lists by name; rows with problems are reported and left out."""
        lists: dict[str, _ChoiceList] = {}
        for row in choices.rows:
            list_name, name = row.get("list_name"), row.get("name")
            if not list_name or not name:
                missing = " and ".join(
                    column for column, value in (("list_name", list_name), ("name", name))
                    if not value
                )  # fmt: skip
                if list_name or name or row.texts:
                    self.problem("choices", row.number, f"the choice has no {missing}", list_name)
                if list_name in lists:
                    lists[list_name].broken = True
                continue
            current = lists.setdefault(list_name, _ChoiceList(row.number))
            label = row.text("label")
            message = ""
            if not _QUESTION_ID.fullmatch(name):
                message = f"choice name {name!r} {_ID_RULE}"
            elif len(name) > _MAX_ID:
                message = f"choice name {name!r} is longer than {_MAX_ID} characters"
            elif name in current.rows:
                message = (
                    f"choice {name!r} is already in list {list_name!r} on row {current.rows[name]}"
                )
            elif not label:
                message = f"choice {name!r} has no label"
            if message:
                self.problem("choices", row.number, message, list_name)
                current.broken = True
                continue
            current.rows[name] = row.number
            choice: dict[str, Any] = {"id": name, "label": label}
            easy_read = row.text("easy_read")
            if easy_read:
                choice["easy_read"] = easy_read
            current.choices.append(choice)
        return lists

    # --- the survey sheet ------------------------------------------------------------------

    def survey(
        self, rows: list[_Row], lists: dict[str, _ChoiceList], *, has_choices: bool
    ) -> list[dict[str, Any]]:
        """The survey's items, nested as the begin/end rows say, with every row checked."""
        root = _Frame("survey", "", 0, [])
        stack = [root]
        for row in rows:
            if row.get("disabled").lower() in _YES:
                continue
            words = row.get("type").split()
            name = row.get("name")
            if not words:
                if name or row.texts:
                    self.problem("survey", row.number, "the row has no type", name)
                continue
            head, rest = _type_words(words)
            if head in ("end_group", "end_loop", "end_repeat"):
                if rest:
                    self.unknown_type(row, words)
                self.close(stack, head.removeprefix("end_"), row)
            elif head in ("begin_group", "begin_loop"):
                if rest:
                    self.unknown_type(row, words)
                self.begin(stack, head.removeprefix("begin_"), row)
            elif head == "begin_repeat":
                self.rejected(row, _UNSUPPORTED[head])
                stack.append(_Frame("repeat", name, row.number, []))
            elif head in ("select_one", "select_multiple"):
                self.choice_question(stack[-1], row, head, rest, lists, has_choices)
            elif head == "range" and not rest:
                self.rating(stack[-1], row)
            elif head in _SIMPLE_KINDS and not rest:
                kind, extra = _SIMPLE_KINDS[head]
                self.question(stack[-1], row, kind, extra)
            elif head in _NOT_IN_CHAT:
                self.rejected(row, f"type {head!r} cannot be asked in a chat")
            elif head in _METADATA:
                self.rejected(row, f"type {head!r} is form metadata, which a chat cannot collect")
            elif head in _UNSUPPORTED:
                self.rejected(row, _UNSUPPORTED[head])
            elif head in _FROM_FILE:
                self.rejected(
                    row,
                    f"type {head!r} is not supported: put the choices on the choices sheet",
                )
            else:
                self.unknown_type(row, words)
        for frame in stack[1:]:
            self.problem(
                "survey",
                frame.row,
                f"'begin {frame.kind}' has no matching 'end {frame.kind}'",
                frame.name,
            )
        if not root.items and not any(p.where.startswith("survey") for p in self.problems):
            self.problem("survey", None, "has no questions")
        self.check_entries()
        return root.items

    def unknown_type(self, row: _Row, words: list[str]) -> None:
        self.problem("survey", row.number, f"unknown type {' '.join(words)!r}", row.get("name"))

    def rejected(self, row: _Row, message: str) -> None:
        name = row.get("name")
        self.problem("survey", row.number, message, name)
        # Keep the name known, so skip logic that refers to it is not reported a second time.
        if _QUESTION_ID.fullmatch(name) and name not in self.rows:
            self.rows[name] = row.number

    def name(self, row: _Row, what: str) -> str | None:
        """The row's name when it can be an id; otherwise the reason is reported."""
        name = row.get("name")
        message = ""
        if not name:
            message = f"a {what} needs a name"
        elif not _QUESTION_ID.fullmatch(name):
            message = f"name {name!r} {_ID_RULE}"
        elif len(name) > _MAX_ID:
            message = f"name {name!r} is longer than {_MAX_ID} characters"
        elif name in self.rows:
            message = f"name {name!r} is already used on row {self.rows[name]}"
        if message:
            self.problem("survey", row.number, message, name)
            return None
        self.rows[name] = row.number
        return name

    def common(self, row: _Row, name: str | None) -> dict[str, Any]:
        data: dict[str, Any] = {"id": name or ""}
        for column in ("label", "easy_read", "hint"):
            text = row.text(column)
            if text:
                data[column] = text
        if row.get("relevant"):
            data["relevant"] = row.get("relevant")
        return data

    def add(
        self,
        frame: _Frame,
        row: _Row,
        name: str | None,
        model: type[Question] | type[Group] | type[Loop],
        data: dict[str, Any],
        probe: dict[str, Any] | None = None,
    ) -> None:
        probe = dict(data if probe is None else probe)
        # A name already reported must not be reported again by the model's own check.
        probe["id"] = name or "placeholder"
        self.entries.append(_Entry(row.number, row.get("name"), model, data, probe))
        frame.items.append(data)

    def question(
        self,
        frame: _Frame,
        row: _Row,
        kind: Kind,
        extra: dict[str, Any],
        probe_extra: dict[str, Any] | None = None,
    ) -> None:
        name = self.name(row, "question")
        data = self.common(row, name)
        data["kind"] = kind.value
        if not data.get("label"):
            self.problem("survey", row.number, "the question has no label", row.get("name"))
        if kind is not Kind.NOTE:
            # XLSForm questions are optional unless marked, unlike Consulta's own default.
            data["required"] = self.flag(row, "required")
        if self.flag(row, "profile"):
            data["profile"] = True
            if frame.kind == "loop":
                self.problem(
                    "survey",
                    row.number,
                    f"profile question {row.get('name')!r} is inside loop {frame.name!r} begun "
                    f"on row {frame.row}: a profile question is about the participant, not a "
                    "recommendation, so put it outside the loop",
                    row.get("name"),
                )
        if row.get("constraint"):
            data["constraint"] = row.get("constraint")
        message = row.text("constraint_message")
        if message:
            data["constraint_message"] = message
        data.update(extra)
        probe = {**data, **(probe_extra or {})}
        self.add(frame, row, name, Question, data, probe)

    def flag(self, row: _Row, column: str) -> bool:
        """A yes/no column: true only when marked yes; anything but yes or no is reported."""
        value = row.get(column).lower()
        if value in _YES:
            return True
        if value and value not in _NO:
            self.problem(
                "survey", row.number, f"{column} {value!r} is not yes or no", row.get("name")
            )
        return False

    def choice_question(
        self,
        frame: _Frame,
        row: _Row,
        head: str,
        rest: list[str],
        lists: dict[str, _ChoiceList],
        has_choices: bool,
    ) -> None:
        name = row.get("name")
        if len(rest) == 2 and rest[1].lower() == "or_other":
            self.rejected(
                row,
                "'or_other' is not supported: add an 'other' choice and a text question "
                "relevant on it",
            )
            return
        if len(rest) != 1:
            self.rejected(row, f"'{head}' needs one list name, like '{head} themes'")
            return
        list_name = rest[0]
        if head == "select_one" and list_name == "implementation_status":
            self.question(frame, row, Kind.IMPLEMENTATION_STATUS, {})
            return
        found = lists.get(list_name)
        kind = Kind.SINGLE_CHOICE if head == "select_one" else Kind.MULTIPLE_CHOICE
        if found is None:
            missing = f"choice list {list_name!r} is not on the choices sheet"
            if not has_choices:
                missing += " (the workbook has no choices sheet)"
            self.problem("survey", row.number, missing, name)
            placeholder = [{"id": "placeholder", "label": "placeholder"}]
            self.question(frame, row, kind, {"choices": []}, {"choices": placeholder})
            return
        ids = {choice["id"] for choice in found.choices}
        if head == "select_one" and list_name == "yes_no" and ids == {"yes", "no"}:
            self.question(frame, row, Kind.YES_NO, {})
            return
        choices = list(found.choices)
        # Choices already reported on the choices sheet must not make a second problem here.
        probe = {"choices": choices or [{"id": "placeholder", "label": "placeholder"}]}
        self.question(frame, row, kind, {"choices": choices}, probe if found.broken else None)

    def rating(self, frame: _Frame, row: _Row) -> None:
        parameters = self.parameters(row, ("start", "end", "step"))
        bounds: dict[str, int | float] = {"start": 1, "end": 5, "step": 1}
        for key, text in parameters.items():
            number = _number(text)
            if number is None:
                self.problem(
                    "survey", row.number, f"parameter {key}={text} is not a number", row.get("name")
                )
            else:
                bounds[key] = number
        if bounds["step"] != 1:
            self.problem(
                "survey",
                row.number,
                f"a chat rating moves in whole points: step must be 1, not {parameters['step']}",
                row.get("name"),
            )
        self.question(frame, row, Kind.RATING, {"min": bounds["start"], "max": bounds["end"]})

    def parameters(self, row: _Row, allowed: tuple[str, ...]) -> dict[str, str]:
        text = row.get("parameters")
        found: dict[str, str] = {}
        if _PARAMETER.sub(" ", text).replace(",", " ").replace(";", " ").strip():
            self.problem(
                "survey",
                row.number,
                f"parameters {text!r} are not written as key=value pairs",
                row.get("name"),
            )
            return found
        for match in _PARAMETER.finditer(text):
            key = match[1].lower()
            if key in allowed:
                found[key] = match[2]
            else:
                self.problem(
                    "survey",
                    row.number,
                    f"parameter {key!r} is not used here; the parameters are {', '.join(allowed)}",
                    row.get("name"),
                )
        return found

    def begin(self, stack: list[_Frame], kind: str, row: _Row) -> None:
        outer_loop = next((f for f in reversed(stack) if f.kind == "loop"), None)
        if outer_loop is not None:
            self.problem(
                "survey",
                row.number,
                f"a loop holds only questions, but this {kind} is inside loop "
                f"{outer_loop.name!r} begun on row {outer_loop.row}",
                row.get("name"),
            )
        name = self.name(row, kind)
        data = self.common(row, name)
        data["kind"] = kind
        if row.get("constraint"):
            self.problem(
                "survey",
                row.number,
                f"a {kind} has no answer to check: put the constraint on a question",
                row.get("name"),
            )
        if self.flag(row, "profile"):
            self.problem(
                "survey",
                row.number,
                f"a {kind} is not a question: mark its profile questions one by one",
                row.get("name"),
            )
        if kind == "loop":
            select = self.parameters(row, ("select",)).get("select", "none").lower()
            if select not in {s.value for s in LoopSelection}:
                self.problem(
                    "survey",
                    row.number,
                    f"select={select} is not one of {', '.join(s.value for s in LoopSelection)}",
                    row.get("name"),
                )
                select = LoopSelection.NONE.value
            data["select"] = select
        frame = _Frame(kind, row.get("name"), row.number, [])
        data["questions"] = frame.items
        model = Group if kind == "group" else Loop
        self.add(stack[-1], row, name, model, data, {**data, "questions": []})
        stack.append(frame)

    def close(self, stack: list[_Frame], kind: str, row: _Row) -> None:
        top = stack[-1]
        if top.kind == "survey":
            self.problem("survey", row.number, f"'end {kind}' has no matching 'begin {kind}'")
            return
        if top.kind != kind:
            self.problem(
                "survey",
                row.number,
                f"'end {kind}' closes {top.kind} {top.name!r} begun on row {top.row}: "
                f"write 'end {top.kind}'",
            )
        # Closing the open frame anyway keeps one typo from unbalancing every row after it.
        stack.pop()

    def check_entries(self) -> None:
        """Check each item on its own, so every problem is reported at its row."""
        for entry in self.entries:
            try:
                entry.model.model_validate(entry.probe)
            except ValidationError as failure:
                for error in failure.errors(include_url=False):
                    self.problem("survey", entry.row, _error_message(error), entry.name)
        known = set(self.rows)
        for entry in self.entries:
            for column in ("relevant", "constraint"):
                source = entry.data.get(column)
                if not source:
                    continue
                try:
                    references = parse(source).references
                except ExpressionError:
                    continue  # reported above
                unknown = sorted(references - known)
                if unknown:
                    self.problem(
                        "survey",
                        entry.row,
                        f"{column} refers to unknown question {', '.join(unknown)}",
                        entry.name,
                    )

    def remapped(self, problem: SurveyProblem) -> SurveyProblem:
        """A model problem moved to the survey row of the question it concerns, where known."""
        for ident in reversed(_BRACKETED_ID.findall(problem.where)):
            if ident in self.rows:
                column = problem.where.rsplit("]", 1)[1].lstrip(".")
                message = f"{column}: {problem.message}" if column else problem.message
                return SurveyProblem(
                    self.source, self.rows[ident], f"survey sheet, {ident}", message
                )
        leading = _LEADING_ID.match(problem.message)
        if leading and leading[1] in self.rows:
            return SurveyProblem(
                self.source, self.rows[leading[1]], f"survey sheet, {leading[1]}", leading[2]
            )
        return problem


_ID_RULE = "must start with a letter or _ and hold only letters, digits and _"


def _type_words(words: list[str]) -> tuple[str, list[str]]:
    """The type keyword (``begin group`` read as ``begin_group``) and the words after it."""
    lowered = [word.lower() for word in words]
    if len(words) > 1 and (
        (lowered[0] in ("begin", "end") and lowered[1] in ("group", "repeat", "loop"))
        or (lowered[0] == "select" and lowered[1] in ("one", "multiple"))
    ):
        return f"{lowered[0]}_{lowered[1]}", words[2:]
    return lowered[0], words[1:]


def _text(value: object) -> str:
    """A cell's value as trimmed text; whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _language_code(text: str) -> str | None:
    """The code in 'Français (fr)', 'fr' or a UN language's English name; None otherwise."""
    text = text.strip()
    enclosed = _IN_PARENTHESES.search(text)
    candidate = enclosed[1].strip() if enclosed else text
    if _CODE.fullmatch(candidate):
        primary, _, subtags = candidate.partition("-")
        return primary.lower() + (f"-{subtags}" if subtags else "")
    if enclosed:
        return None
    return _UN_LANGUAGES.get(text.lower())


def _number(text: str) -> int | float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if number.is_integer() else number


def _error_message(error: Any) -> str:
    """A pydantic error as 'column: message', naming the spreadsheet column at fault."""
    location = [str(part) for part in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not location:
        return message
    column = _FIELD_COLUMNS.get(location[0], location[0])
    return f"{column}: {message}"


def _reason(failure: Exception) -> str:
    return str(failure).strip() or type(failure).__name__

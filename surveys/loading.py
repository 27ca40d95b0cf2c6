"""Reading survey files and reporting every problem with where it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from surveys.definition import Survey

MAX_SURVEY_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SurveyProblem:
    """One problem in a survey file: where it is and what is wrong."""

    source: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.source}, line {self.line}" if self.line else self.source
        return f"{place}: {self.where + ': ' if self.where else ''}{self.message}"


class SurveyInvalid(Exception):
    """A survey file with problems; nothing from it is saved."""

    def __init__(self, problems: list[SurveyProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_survey_file(path: Path) -> Survey:
    """Read a YAML (or JSON) survey file, or an XLSForm workbook, into a checked Survey."""
    if not path.exists():
        raise SurveyInvalid([SurveyProblem(str(path), None, "", "no such file")])
    if path.stat().st_size > MAX_SURVEY_BYTES:
        raise SurveyInvalid(
            [SurveyProblem(str(path), None, "", f"is larger than {MAX_SURVEY_BYTES} bytes")]
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from surveys.xlsform import read_xlsform

        return read_xlsform(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as failure:
        raise SurveyInvalid(
            [SurveyProblem(str(path), None, "", f"is not UTF-8 text ({failure.reason})")]
        ) from None
    return load_survey_text(text, str(path))


def load_survey_text(text: str, source: str) -> Survey:
    """Parse YAML text into a Survey, mapping every validation error to its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as failure:
        mark = getattr(failure, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(failure, "problem", None) or str(failure)
        problems = [SurveyProblem(source, line, "", f"not valid YAML: {problem}")]
        raise SurveyInvalid(problems) from None
    if not isinstance(data, dict):
        raise SurveyInvalid(
            [
                SurveyProblem(
                    source, 1, "", "a survey is a mapping with an id, a title and questions"
                )
            ]
        )
    return validate_survey_data(data, source, root)


def validate_survey_data(data: dict[str, Any], source: str, root: Any = None) -> Survey:
    """Check plain data as a Survey; problems name the YAML line when a node tree is given."""
    try:
        return Survey.model_validate(data)
    except ValidationError as failure:
        problems = []
        for error in failure.errors(include_url=False):
            location = [part for part in error["loc"] if part not in ("question", "group", "loop")]
            problems.append(
                SurveyProblem(
                    source,
                    _line_of(root, location),
                    _describe(data, location),
                    error["msg"].removeprefix("Value error, "),
                )
            )
        raise SurveyInvalid(problems) from None


def _describe(data: Any, location: list[str | int]) -> str:
    """A path that names question ids where it can, e.g. questions[q_status].label."""
    parts: list[str] = []
    node = data
    for step in location:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if step < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            parts.append(f"[{ident}]" if ident else f"[{step}]")
            node = item
        else:
            parts.append(f".{step}" if parts else str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)


def _line_of(root: Any, location: list[str | int]) -> int | None:
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for step in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == step), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
        else:
            break
        line = node.start_mark.line + 1
    return line


def dump_schema() -> str:
    """The JSON Schema of the survey format, as published in surveys/schema/."""
    schema = Survey.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

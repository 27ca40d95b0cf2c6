"""Consulta's own recommendation template: its columns, its row parser and its header."""

from __future__ import annotations

import re
from datetime import date

from core.importing.cells import (
    _UPR_NAMES,
    Cell,
    Outcome,
    Row,
    _name_key,
    _parse_date,
    _parse_sdg,
    _positive_int,
    _quoted,
    _text,
    _treaty_body_code,
    _unique,
)
from core.importing.records import RecommendationRecord, RowProblem, SdgTarget
from core.vocabulary import (
    TREATY_BODIES,
    Mechanism,
    Position,
    RecommendationType,
    upr_cycle_for_session,
)

TEMPLATE_COLUMNS: tuple[str, ...] = (
    "source_id",
    "mechanism",
    "body",
    "state_under_review",
    "text",
    "paragraph",
    "document_symbol",
    "recommending_states",
    "position",
    "type",
    "themes",
    "affected_persons",
    "sdg_targets",
    "upr_cycle",
    "upr_session",
    "published_on",
    "language",
)
TEMPLATE_REQUIRED: tuple[str, ...] = ("mechanism", "body", "state_under_review", "text")

_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def _choice_key(value: str) -> str:
    """'Treaty body', 'treaty-body' and 'treaty_body' are the same choice."""
    return re.sub(r"[\s-]+", "_", value.strip().casefold())


def _template_values(value: Cell) -> tuple[str, ...]:
    return _unique(part.strip() for part in _text(value).split(";"))


def _parse_template(line: int, row: Row, language: str) -> Outcome:
    problems: list[str] = []

    def required(column: str) -> str:
        value = _text(row.get(column))
        if not value:
            problems.append(f"{column} is empty")
        return value

    mechanism_value = required("mechanism")
    body_value = required("body")
    state = required("state_under_review")
    text = required("text")

    mechanism: Mechanism | None = None
    if mechanism_value:
        try:
            mechanism = Mechanism(_choice_key(mechanism_value))
        except ValueError:
            problems.append(
                f"mechanism {_quoted(mechanism_value)} is not one of "
                f"{', '.join(m.value for m in Mechanism)}"
            )

    body = body_value
    if mechanism is Mechanism.UPR and body_value:
        if _name_key(body_value) in _UPR_NAMES:
            body = "UPR"
        else:
            problems.append(f"body {_quoted(body_value)} is not UPR, but mechanism is upr")
    elif mechanism is Mechanism.TREATY_BODY and body_value:
        code = _treaty_body_code(body_value)
        if code is None:
            problems.append(
                f"body {_quoted(body_value)} is not a treaty body code ({', '.join(TREATY_BODIES)})"
            )
        else:
            body = code

    position: Position | None = None
    position_value = _text(row.get("position"))
    if position_value:
        try:
            position = Position(_choice_key(position_value))
        except ValueError:
            problems.append(
                f"position {_quoted(position_value)} is not one of "
                f"{', '.join(p.value for p in Position)}"
            )

    kind = RecommendationType.RECOMMENDATION
    type_value = _text(row.get("type"))
    if type_value:
        try:
            kind = RecommendationType(_choice_key(type_value))
        except ValueError:
            problems.append(
                f"type {_quoted(type_value)} is not one of "
                f"{', '.join(t.value for t in RecommendationType)}"
            )

    sdg_targets: list[SdgTarget] = []
    for value in _template_values(row.get("sdg_targets")):
        try:
            sdg_targets.append(_parse_sdg(value))
        except ValueError:
            problems.append(f"sdg_targets value {_quoted(value)} is not an SDG goal or target")

    numbers: dict[str, int | None] = {}
    for column in ("upr_cycle", "upr_session"):
        value = _text(row.get(column))
        numbers[column] = None
        if value:
            try:
                numbers[column] = _positive_int(value)
            except ValueError:
                problems.append(f"{column} {_quoted(value)} is not a number")
    session = numbers["upr_session"]
    cycle = numbers["upr_cycle"]
    if cycle is None and session is not None:
        cycle = upr_cycle_for_session(session)

    published_on: date | None = None
    try:
        published_on = _parse_date(row.get("published_on"), allow_serial=False)
    except ValueError:
        problems.append(
            f"published_on {_quoted(_text(row.get('published_on')))} is not a date (YYYY-MM-DD)"
        )

    row_language = _text(row.get("language")) or language
    if not _LANGUAGE.fullmatch(row_language):
        problems.append(f"language {_quoted(row_language)} is not a language code such as en")

    if problems or mechanism is None:
        return RowProblem(line, "; ".join(problems))

    return RecommendationRecord(
        line=line,
        text=text,
        state_under_review=state,
        mechanism=mechanism,
        body=body,
        language=row_language,
        source_id=_text(row.get("source_id")) or None,
        paragraph=_text(row.get("paragraph")) or None,
        document_symbol=_text(row.get("document_symbol")) or None,
        recommending_states=_template_values(row.get("recommending_states")),
        position=position,
        kind=kind,
        themes=_template_values(row.get("themes")),
        affected_persons=_template_values(row.get("affected_persons")),
        sdg_targets=tuple(dict.fromkeys(sdg_targets)),
        upr_cycle=cycle,
        upr_session=session,
        published_on=published_on,
    )


def template_header() -> list[str]:
    """The columns of Consulta's recommendation template, in order."""
    return list(TEMPLATE_COLUMNS)

"""The OHCHR Universal Human Rights Index (UHRI) full export: its columns and its row parser."""

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
    _quoted,
    _strip_dash,
    _text,
    _treaty_body_code,
    _unique,
)
from core.importing.records import RecommendationRecord, RowProblem, SdgTarget
from core.vocabulary import Mechanism, Position, RecommendationType, upr_cycle_for_session

UHRI_COLUMNS: tuple[str, ...] = (
    "Text",
    "Countries Concerned",
    "Reccomending Body",
    "Document Symbol",
    "Themes",
    "Affected Persons",
    "Sdgs",
    "Document Publication Date",
    "UPR Reccomending States",
    "UPR Position",
    "Type",
    "OHCHR Annotation Id",
    "UPR Session",
    "Regions Concerned",
    "Recommending Regions",
    "Date of publication on UHRI",
)
# The two columns Consulta does not read may be dropped from an export without harm.
UHRI_REQUIRED = tuple(
    c for c in UHRI_COLUMNS if c not in {"Recommending Regions", "Date of publication on UHRI"}
)

_UHRI_POSITIONS: dict[str, Position] = {
    "supported": Position.SUPPORTED,
    "noted": Position.NOTED,
    "supported/noted": Position.SUPPORTED_IN_PART,
}
_UHRI_TYPES: dict[str, RecommendationType] = {
    "recommendations": RecommendationType.RECOMMENDATION,
    "recommendation": RecommendationType.RECOMMENDATION,
    "concerns/observations": RecommendationType.CONCERN,
}
_UPR_PARAGRAPH = re.compile(r"(\d{1,3}(?:\.\d{1,3})+)\.?\s+(\S.*)", re.DOTALL)
_UPR_SESSION = re.compile(r"(\d{1,3})(?:\.0+)?(?![\d.])(?:\D.*)?", re.DOTALL)


def _uhri_values(value: Cell) -> tuple[str, ...]:
    """A multi-value UHRI cell: one '- value' per line."""
    return _unique(_strip_dash(line) for line in _text(value).splitlines())


def _uhri_single(value: Cell) -> str:
    values = _uhri_values(value)
    return values[0] if values else ""


def _squash_slash(value: str) -> str:
    return re.sub(r"\s*/\s*", "/", value.strip().casefold())


def _uhri_body(value: str) -> tuple[Mechanism, str]:
    if _name_key(value) in _UPR_NAMES:
        return Mechanism.UPR, "UPR"
    code = _treaty_body_code(value)
    if code is not None:
        return Mechanism.TREATY_BODY, code
    # Everything else in UHRI is a special procedure, recorded under its mandate's name.
    return Mechanism.SPECIAL_PROCEDURE, value


def _parse_uhri(line: int, row: Row, language: str) -> Outcome:
    problems: list[str] = []

    text = _strip_dash(_text(row.get("Text")))
    if not text:
        problems.append("Text is empty")
    countries = _uhri_values(row.get("Countries Concerned"))
    if not countries:
        problems.append("Countries Concerned is empty")
    source_id = _uhri_single(row.get("OHCHR Annotation Id"))
    if not source_id:
        problems.append("OHCHR Annotation Id is empty")

    mechanism, body = Mechanism.SPECIAL_PROCEDURE, ""
    body_value = _uhri_single(row.get("Reccomending Body"))
    if body_value:
        mechanism, body = _uhri_body(body_value)
    else:
        problems.append("Reccomending Body is empty")

    position: Position | None = None
    position_value = _uhri_single(row.get("UPR Position"))
    if position_value:
        position = _UHRI_POSITIONS.get(_squash_slash(position_value))
        if position is None:
            problems.append(
                f"UPR Position {_quoted(position_value)} is not one of "
                "Supported, Noted, Supported/Noted"
            )

    kind = RecommendationType.RECOMMENDATION
    type_value = _uhri_single(row.get("Type"))
    if type_value:
        found_kind = _UHRI_TYPES.get(_squash_slash(type_value))
        if found_kind is None:
            problems.append(
                f"Type {_quoted(type_value)} is not one of Recommendations, Concerns/Observations"
            )
        else:
            kind = found_kind

    session: int | None = None
    session_value = _uhri_single(row.get("UPR Session"))
    if session_value:
        match = _UPR_SESSION.fullmatch(session_value)
        if match is None or int(match.group(1)) < 1:
            problems.append(f"UPR Session {_quoted(session_value)} is not a session number")
        else:
            session = int(match.group(1))

    published_on: date | None = None
    try:
        published_on = _parse_date(row.get("Document Publication Date"), allow_serial=True)
    except ValueError:
        problems.append(
            f"Document Publication Date {_quoted(_text(row.get('Document Publication Date')))} "
            "is not a date"
        )

    sdg_targets: list[SdgTarget] = []
    for value in _uhri_values(row.get("Sdgs")):
        try:
            sdg_targets.append(_parse_sdg(value))
        except ValueError:
            problems.append(f"Sdgs value {_quoted(value)} is not an SDG goal or target")

    if problems:
        return RowProblem(line, "; ".join(problems))

    paragraph: str | None = None
    if mechanism is Mechanism.UPR:
        # UPR recommendations carry their number in the report ("137.197 Take measures...").
        numbered = _UPR_PARAGRAPH.fullmatch(text)
        if numbered is not None:
            paragraph, text = numbered.group(1), numbered.group(2).strip()

    return RecommendationRecord(
        line=line,
        text=text,
        # A recommendation addressed to several states is kept under the first one named.
        state_under_review=countries[0],
        mechanism=mechanism,
        body=body,
        language=language,
        source_id=source_id,
        paragraph=paragraph,
        document_symbol=_uhri_single(row.get("Document Symbol")) or None,
        recommending_states=_uhri_values(row.get("UPR Reccomending States")),
        position=position,
        kind=kind,
        themes=_uhri_values(row.get("Themes")),
        affected_persons=_uhri_values(row.get("Affected Persons")),
        sdg_targets=tuple(dict.fromkeys(sdg_targets)),
        upr_cycle=upr_cycle_for_session(session) if session is not None else None,
        upr_session=session,
        published_on=published_on,
        regions=_uhri_values(row.get("Regions Concerned")),
    )

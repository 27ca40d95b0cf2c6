"""Reading recommendation files (UHRI exports, UPR Info exports, Consulta's template) as records.

`open_recommendation_file` checks everything that concerns the whole file up front (size,
format, columns, encoding) and raises ImportFileError with a message that names the file; the
rows are then streamed one at a time, each as a RecommendationRecord or, when the row cannot be
read, a RowProblem that says where and why. The column layouts are documented in
docs/recommendation-formats.md.
"""

from __future__ import annotations

import csv
import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from openpyxl import load_workbook

from core.importing.encoding import (
    UnknownEncodingError,
    check_codec,
    first_decode_failure,
    has_utf8_bom,
)
from core.importing.records import RecommendationRecord, RowProblem, SdgTarget
from core.vocabulary import (
    TREATY_BODIES,
    Mechanism,
    Position,
    RecommendationType,
    upr_cycle_for_session,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_BYTES_SETTING",
    "ImportFileError",
    "ImportFormat",
    "RecommendationFile",
    "open_recommendation_file",
    "template_header",
]

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
MAX_BYTES_SETTING = "CONSULTA_IMPORT_MAX_BYTES"

# A cell as it arrives: always str from CSV; from xlsx also numbers, dates and times.
Cell = str | int | float | date | time | timedelta | None
Row = Mapping[str, Cell]
Outcome = RecommendationRecord | RowProblem


class ImportFormat(StrEnum):
    """The layouts Consulta can import recommendations from."""

    UHRI = "uhri"  # OHCHR Universal Human Rights Index full export, xlsx or csv
    UPR_INFO = "upr-info"  # UPR Info database export CSV
    TEMPLATE = "consulta"  # Consulta's own CSV template


class ImportFileError(Exception):
    """A whole-file problem; str() is a clear message that names the file (and line when known)."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}, line {line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {reason}")


@dataclass
class RecommendationFile:
    """An opened recommendation file whose rows are read lazily; close it, or use `with`."""

    path: Path
    format: ImportFormat
    encoding: str
    rows: Iterator[RecommendationRecord | RowProblem]
    _release: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)

    def close(self) -> None:
        """Stop reading and release the underlying file."""
        close_rows = getattr(self.rows, "close", None)
        if callable(close_rows):
            close_rows()
        # A generator that never started does not run its cleanup, so release explicitly too.
        self._release()

    def __enter__(self) -> RecommendationFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Reading single values
# ---------------------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_LAST_SERIAL = 2958465  # 9999-12-31
_SERIAL = re.compile(r"\d+(?:\.\d+)?")
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+)?")
_SDG = re.compile(
    r"(?P<goal>\d{1,2})(?:\.(?P<target>\d{1,2}|[a-z]))?(?![\w.])\s*(?:[-–—:]\s*)?(?P<label>.*)",
    re.IGNORECASE | re.DOTALL,
)
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def _text(value: Cell) -> str:
    """The cell as stripped text with LF line breaks; whole-number floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    # Line breaks inside a cell depend on the exporting platform; one spelling keeps the
    # content fingerprint of a re-imported recommendation stable.
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _is_blank(cells: Sequence[Cell]) -> bool:
    return all(_text(cell) == "" for cell in cells)


def _quoted(value: str) -> str:
    """A value as shown inside a problem message, shortened so one bad cell stays one line."""
    flat = " ".join(value.split())
    return f"'{flat[:60]}…'" if len(flat) > 60 else f"'{flat}'"


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _excel_serial_date(serial: float) -> date:
    days = int(serial)
    if not 1 <= days <= _EXCEL_LAST_SERIAL:
        raise ValueError(serial)
    return _EXCEL_EPOCH + timedelta(days=days)


def _parse_date(value: Cell, *, allow_serial: bool) -> date | None:
    """A date cell, ISO text, or (for UHRI) an Excel serial number; None when empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and allow_serial:
        return _excel_serial_date(value)
    text = _strip_dash(_text(value))
    if not text:
        return None
    if allow_serial and _SERIAL.fullmatch(text):
        return _excel_serial_date(float(text))
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date.fromisoformat(match.group(1))


def _parse_sdg(value: str) -> SdgTarget:
    """'16.3 - Promote the rule of law', '16.3 Promote…', '16.3' or '5 - GENDER EQUALITY'."""
    match = _SDG.fullmatch(value.strip())
    if match is None or not 1 <= int(match.group("goal")) <= 17:
        raise ValueError(value)
    code = str(int(match.group("goal")))
    if match.group("target"):
        code = f"{code}.{match.group('target').lower()}"
    return SdgTarget(code, match.group("label").strip())


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(text)
    return int(text)


def _name_key(name: str) -> str:
    """How body names are compared: case, curly apostrophes, commas and spacing do not matter."""
    name = name.replace("’", "'").replace(",", " ").casefold()
    return " ".join(name.split())


_UPR_NAMES = frozenset(
    _name_key(n) for n in ("UPR", "Universal Periodic Review", "EPU", "Examen périodique universel")
)

# Official names in the other spelling UHRI uses (the CMW's long name) and in French, so that a
# French-language export still recognises the treaty bodies.
_TREATY_BODY_ALIASES: dict[str, str] = {
    "Committee on the Protection of the Rights of All Migrant Workers and Members of Their "
    "Families": "CMW",
    "Comité des droits de l'homme": "CCPR",
    "Comité des droits économiques, sociaux et culturels": "CESCR",
    "Comité pour l'élimination de la discrimination raciale": "CERD",
    "Comité pour l'élimination de la discrimination à l'égard des femmes": "CEDAW",
    "Comité contre la torture": "CAT",
    "Comité des droits de l'enfant": "CRC",
    "Comité des travailleurs migrants": "CMW",
    "Comité pour la protection des droits de tous les travailleurs migrants et des membres de "
    "leur famille": "CMW",
    "Comité des droits des personnes handicapées": "CRPD",
    "Comité des disparitions forcées": "CED",
}
_TREATY_BODY_BY_NAME: dict[str, str] = {
    **{_name_key(name): code for code, name in TREATY_BODIES.items()},
    **{_name_key(name): code for name, code in _TREATY_BODY_ALIASES.items()},
}
_CODE_IN_PARENTHESES = re.compile(r".*\(\s*([A-Za-z]+)\s*\)\s*")


def _treaty_body_code(value: str) -> str | None:
    """The TREATY_BODIES code for a code or an official name, e.g. 'Committee on the Rights of
    the Child' -> 'CRC'; None if the value names no treaty body."""
    if value.strip().upper() in TREATY_BODIES:
        return value.strip().upper()
    code = _TREATY_BODY_BY_NAME.get(_name_key(value))
    if code is not None:
        return code
    match = _CODE_IN_PARENTHESES.fullmatch(value)
    if match is not None and match.group(1).upper() in TREATY_BODIES:
        return match.group(1).upper()
    return None


# ---------------------------------------------------------------------------------------------
# UHRI full export
# ---------------------------------------------------------------------------------------------

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


def _strip_dash(value: str) -> str:
    """UHRI starts every value with '- '."""
    value = value.strip()
    if value.startswith("- "):
        return value[2:].strip()
    return "" if value == "-" else value


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


# ---------------------------------------------------------------------------------------------
# UPR Info database export
# ---------------------------------------------------------------------------------------------

UPR_INFO_COLUMNS: tuple[str, ...] = (
    "To",
    "To-Rgrp",
    "To-Org",
    "Text",
    "From",
    "From-Rgrp",
    "From-Org",
    "Response",
    "Action",
    "Issue",
    "Session",
)
UPR_INFO_REQUIRED: tuple[str, ...] = (
    "To",
    "Text",
    "From",
    "Response",
    "Action",
    "Issue",
    "Session",
)

_UPR_INFO_RESPONSES: dict[str, Position] = {
    "accepted": Position.SUPPORTED,
    "supported": Position.SUPPORTED,
    "noted": Position.NOTED,
}


def _parse_upr_info(line: int, row: Row, language: str) -> Outcome:
    problems: list[str] = []

    state = _text(row.get("To"))
    if not state:
        problems.append("To is empty")
    text = _text(row.get("Text"))
    if not text:
        problems.append("Text is empty")

    position: Position | None = None
    response = _text(row.get("Response"))
    if response:
        position = _UPR_INFO_RESPONSES.get(response.casefold())
        if position is None:
            problems.append(f"Response {_quoted(response)} is not Accepted or Noted")

    action: int | None = None
    action_value = _text(row.get("Action"))
    if action_value:
        if action_value in {"1", "2", "3", "4", "5"}:
            action = int(action_value)
        else:
            problems.append(f"Action {_quoted(action_value)} is not a number from 1 to 5")

    session: int | None = None
    session_value = _text(row.get("Session"))
    if not session_value:
        problems.append("Session is empty")
    else:
        try:
            session = _positive_int(session_value)
        except ValueError:
            problems.append(f"Session {_quoted(session_value)} is not a number")

    if problems or session is None:
        return RowProblem(line, "; ".join(problems))

    recommending_state = _text(row.get("From"))
    region = _text(row.get("To-Rgrp"))
    return RecommendationRecord(
        line=line,
        text=text,
        state_under_review=state,
        mechanism=Mechanism.UPR,
        body="UPR",
        language=language,
        recommending_states=(recommending_state,) if recommending_state else (),
        position=position,
        themes=_unique(theme.strip() for theme in _text(row.get("Issue")).split(",")),
        upr_cycle=upr_cycle_for_session(session),
        upr_session=session,
        action_category=action,
        regions=(region,) if region else (),
    )


# ---------------------------------------------------------------------------------------------
# Consulta's template
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Recognising a layout from its header
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    format: ImportFormat
    title: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    default_encoding: str | None
    parse: Callable[[int, Row, str], Outcome]


_LAYOUTS: dict[ImportFormat, _Layout] = {
    ImportFormat.UHRI: _Layout(
        ImportFormat.UHRI, "UHRI export layout", UHRI_COLUMNS, UHRI_REQUIRED, "cp1252", _parse_uhri
    ),
    ImportFormat.UPR_INFO: _Layout(
        ImportFormat.UPR_INFO,
        "UPR Info export layout",
        UPR_INFO_COLUMNS,
        UPR_INFO_REQUIRED,
        # UPR Info's exports were produced on classic Mac OS.
        "mac_roman",
        _parse_upr_info,
    ),
    ImportFormat.TEMPLATE: _Layout(
        ImportFormat.TEMPLATE,
        "Consulta template layout",
        TEMPLATE_COLUMNS,
        TEMPLATE_REQUIRED,
        None,
        _parse_template,
    ),
}

_ACCEPTED_FORMATS = (
    "uhri (OHCHR Universal Human Rights Index export, xlsx or csv), "
    "upr-info (UPR Info database export, csv), "
    "consulta (Consulta's recommendation template, csv)"
)


def _header_key(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).casefold()


def _column_positions(header: Sequence[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _header_key(name)
        if key and key not in positions:
            positions[key] = index
    return positions


def _missing(layout: _Layout, positions: Mapping[str, int]) -> list[str]:
    return [c for c in layout.required if _header_key(c) not in positions]


def _choose_layout(
    path: Path, header: Sequence[str], line: int, wanted: ImportFormat | None
) -> _Layout:
    positions = _column_positions(header)
    candidates = [_LAYOUTS[wanted]] if wanted is not None else list(_LAYOUTS.values())

    complete = [layout for layout in candidates if not _missing(layout, positions)]
    if complete:
        return max(
            complete,
            key=lambda layout: sum(_header_key(c) in positions for c in layout.columns),
        )

    def present(layout: _Layout) -> int:
        return len(layout.required) - len(_missing(layout, positions))

    # A header with at least half of a layout's required columns was clearly meant to be that
    # layout, so say which columns it lacks rather than calling it unknown.
    near = [
        layout
        for layout in candidates
        if wanted is not None or _at_least_half(present(layout), len(layout.required))
    ]
    if near:
        layout = max(near, key=lambda candidate: present(candidate) / len(candidate.required))
        missing = ", ".join(_missing(layout, positions))
        raise ImportFileError(path, f"missing columns: {missing} ({layout.title})", line)

    seen = ", ".join(name.strip() for name in header[:6] if name.strip())
    more = ", …" if len(header) > 6 else ""
    raise ImportFileError(
        path,
        f"unknown format: the header ({seen}{more}) matches none of the accepted formats: "
        f"{_ACCEPTED_FORMATS}",
        line,
    )


def _at_least_half(present: int, required: int) -> bool:
    return present >= 2 and 2 * present >= required


def _row_mapping(layout: _Layout, positions: Mapping[str, int], cells: Sequence[Cell]) -> Row:
    row: dict[str, Cell] = {}
    for column in layout.columns:
        index = positions.get(_header_key(column))
        if index is not None and index < len(cells):
            row[column] = cells[index]
    return row


def _parse_rows(
    layout: _Layout,
    positions: Mapping[str, int],
    rows: Iterator[tuple[int, Sequence[Cell]]],
    language: str,
    release: Callable[[], None],
) -> Iterator[Outcome]:
    try:
        for line, cells in rows:
            yield layout.parse(line, _row_mapping(layout, positions, cells), language)
    finally:
        release()


# ---------------------------------------------------------------------------------------------
# CSV files
# ---------------------------------------------------------------------------------------------


# Spreadsheets saved in many European locales separate cells with semicolons, and some tools
# write tabs; a header that splits on none of these is a one-column file.
_DELIMITERS = (",", ";", "\t")


class _CsvReader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


def _csv_rows(path: Path, reader: _CsvReader) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the physical line each one starts on."""
    while True:
        # line_num counts physical lines consumed so far, so a record that spans several lines
        # (a quoted cell with line breaks) starts just after the previous record ended.
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(path, f"is not a readable CSV file ({exc})", start) from exc
        except UnicodeDecodeError as exc:
            raise ImportFileError(path, f"stopped decoding ({exc.reason})", start) from exc
        if not _is_blank(cells):
            yield start, cells


def _sniff_csv_header(path: Path, encoding: str | None) -> tuple[str, int, list[str]] | None:
    """The delimiter, line and cells of the first non-blank record, or None for no records.

    This runs before the encoding is settled: headers are ASCII in every accepted layout, so
    reading with replacement characters is enough to recognise the layout whatever the rest of
    the file is encoded in.
    """
    for delimiter in _DELIMITERS:
        with path.open(encoding=encoding or "utf-8-sig", errors="replace", newline="") as fh:
            found = next(_csv_rows(path, csv.reader(fh, delimiter=delimiter)), None)
        if found is None:
            return None
        line, cells = found
        if len(cells) > 1 or delimiter == _DELIMITERS[-1]:
            return delimiter, line, cells
    return None


def _choose_encoding(path: Path, layout: _Layout, given: str | None) -> str:
    if given is not None:
        failure = first_decode_failure(path, given)
        if failure is not None:
            raise ImportFileError(
                path,
                f"cannot be decoded as {given} ({failure.describe()}); check the --encoding value",
                failure.line,
            )
        return given

    failure = first_decode_failure(path, "utf-8")
    if failure is None:
        return "utf-8-sig" if has_utf8_bom(path) else "utf-8"

    default = layout.default_encoding
    if default is None:
        raise ImportFileError(
            path,
            f"not UTF-8 ({failure.describe()}) and no default encoding for this format; "
            "pass --encoding, or save the file as UTF-8",
            failure.line,
        )
    fallback_failure = first_decode_failure(path, default)
    if fallback_failure is not None:
        raise ImportFileError(
            path,
            f"neither UTF-8 nor {default}, the usual encoding of this format "
            f"({fallback_failure.describe()}); pass --encoding",
            fallback_failure.line,
        )
    return default


def _open_csv(
    path: Path, wanted: ImportFormat | None, given_encoding: str | None, language: str
) -> RecommendationFile:
    sniffed = _sniff_csv_header(path, given_encoding)
    if sniffed is None:
        raise ImportFileError(path, "is empty")
    delimiter, header_line, header = sniffed
    layout = _choose_layout(path, header, header_line, wanted)
    encoding = _choose_encoding(path, layout, given_encoding)

    fh = path.open(encoding=encoding, newline="")
    try:
        records = _csv_rows(path, csv.reader(fh, delimiter=delimiter))
        found = next(records, None)
        if found is None:
            raise ImportFileError(path, "is empty")
        header_line, header = found
        positions = _column_positions(header)
        first = next(records, None)
        if first is None:
            raise ImportFileError(path, "has no recommendations (only a header)", header_line)
    except BaseException:
        fh.close()
        raise
    rows = _parse_rows(layout, positions, chain([first], records), language, fh.close)
    return RecommendationFile(path, layout.format, encoding, rows, fh.close)


# ---------------------------------------------------------------------------------------------
# xlsx workbooks
# ---------------------------------------------------------------------------------------------

# What openpyxl raises for damaged workbooks, both when opening and while streaming rows
# (SyntaxError covers the XML parse errors of both xml.etree and lxml).
_BROKEN_WORKBOOK = (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, SyntaxError)


def _xlsx_rows(path: Path, sheet: Any) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    try:
        # Read-only mode yields an empty tuple for every missing row, so counting gives the
        # spreadsheet's own row numbers.
        for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            if not _is_blank(cells):
                yield number, tuple(cells)
    except _BROKEN_WORKBOOK as exc:
        raise ImportFileError(path, f"the workbook is damaged ({exc})") from exc


def _open_xlsx(path: Path, wanted: ImportFormat | None, language: str) -> RecommendationFile:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl reports unreadable workbooks through many unrelated exception types.
        raise ImportFileError(
            path, f"cannot be opened as an xlsx workbook ({type(exc).__name__}: {exc})"
        ) from exc
    release: Callable[[], None] = workbook.close
    try:
        if not workbook.worksheets:
            raise ImportFileError(path, "is empty (the workbook has no worksheet)")
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the used range the producer declared, and some producers
        # declare it wrongly (e.g. "A1"), which would cut rows short; read what is there instead.
        sheet.reset_dimensions()
        records = _xlsx_rows(path, sheet)
        found = next(records, None)
        if found is None:
            raise ImportFileError(path, "is empty (its first worksheet has no rows)")
        header_line, header_cells = found
        header = [_text(cell) for cell in header_cells]
        layout = _choose_layout(path, header, header_line, wanted)
        first = next(records, None)
        if first is None:
            raise ImportFileError(path, "has no recommendations (only a header)", header_line)
    except BaseException:
        release()
        raise
    positions = _column_positions(header)
    rows = _parse_rows(layout, positions, chain([first], records), language, release)
    return RecommendationFile(path, layout.format, "xlsx", rows, release)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB ({n:,} bytes)"


def open_recommendation_file(
    path: Path,
    *,
    format: ImportFormat | None = None,
    encoding: str | None = None,
    language: str = "en",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RecommendationFile:
    """Open a UHRI, UPR Info or template file and stream its rows; whole-file problems raise."""
    path = Path(path)
    if encoding is not None:
        try:
            check_codec(encoding)
        except UnknownEncodingError:
            raise ImportFileError(
                path, f"unknown encoding {encoding!r} (for example: utf-8, cp1252, mac_roman)"
            ) from None

    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImportFileError(path, "no such file") from None
    except OSError as exc:
        raise ImportFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ImportFileError(path, "is not a regular file")
    if info.st_size > max_bytes:
        raise ImportFileError(
            path,
            f"is {_size(info.st_size)}, larger than the import limit of {_size(max_bytes)}; "
            f"the limit is set by {MAX_BYTES_SETTING}",
        )
    if info.st_size == 0:
        raise ImportFileError(path, "is empty")

    try:
        with path.open("rb") as fh:
            magic = fh.read(len(_ZIP_MAGIC))
        if magic == _OLE_MAGIC:
            raise ImportFileError(
                path,
                "is an Excel 97-2003 (.xls) or password-protected workbook; "
                "save it as .xlsx or as CSV",
            )
        if magic == _ZIP_MAGIC or path.suffix.lower() in {".xlsx", ".xlsm"}:
            return _open_xlsx(path, format, language)
        return _open_csv(path, format, encoding, language)
    except OSError as exc:
        raise ImportFileError(path, f"cannot be read ({exc.strerror or exc})") from exc

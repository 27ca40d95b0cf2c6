"""Reading single cell values shared by every layout: text, dates, SDG targets, treaty bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from core.importing.records import RecommendationRecord, RowProblem, SdgTarget
from core.vocabulary import TREATY_BODIES

# A cell as it arrives: always str from CSV; from xlsx also numbers, dates and times.
Cell = str | int | float | date | time | timedelta | None
Row = Mapping[str, Cell]
Outcome = RecommendationRecord | RowProblem

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_LAST_SERIAL = 2958465  # 9999-12-31
_SERIAL = re.compile(r"\d+(?:\.\d+)?")
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+)?")
_SDG = re.compile(
    r"(?P<goal>\d{1,2})(?:\.(?P<target>\d{1,2}|[a-z]))?(?![\w.])\s*(?:[-–—:]\s*)?(?P<label>.*)",
    re.IGNORECASE | re.DOTALL,
)


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


# Only UHRI writes the dash, but _parse_date reads UHRI dates through this, so it lives here.
def _strip_dash(value: str) -> str:
    """UHRI starts every value with '- '."""
    value = value.strip()
    if value.startswith("- "):
        return value[2:].strip()
    return "" if value == "-" else value


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

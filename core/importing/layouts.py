"""The import layouts: what each looks like, recognising one from a header, mapping its rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.i18n import N_
from core.importing.cells import Cell, Outcome, Row
from core.importing.errors import ImportFileError
from core.importing.template import TEMPLATE_COLUMNS, TEMPLATE_REQUIRED, _parse_template
from core.importing.uhri import UHRI_COLUMNS, UHRI_REQUIRED, _parse_uhri
from core.importing.uprinfo import UPR_INFO_COLUMNS, UPR_INFO_REQUIRED, _parse_upr_info


class ImportFormat(StrEnum):
    """The layouts Consulta can import recommendations from."""

    UHRI = "uhri"  # OHCHR Universal Human Rights Index full export, xlsx or csv
    UPR_INFO = "upr-info"  # UPR Info database export CSV
    TEMPLATE = "consulta"  # Consulta's own CSV template


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
        raise ImportFileError(
            path,
            N_("missing columns: {columns} ({format})"),
            line,
            columns=missing,
            format=layout.title,
        )

    seen = ", ".join(name.strip() for name in header[:6] if name.strip())
    more = ", …" if len(header) > 6 else ""
    raise ImportFileError(
        path,
        N_("unknown format: the header ({header}) matches none of the accepted formats: {formats}"),
        line,
        header=f"{seen}{more}",
        formats=_ACCEPTED_FORMATS,
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

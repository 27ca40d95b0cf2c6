"""Reading recommendation files (UHRI exports, UPR Info exports, Consulta's template) as records.

`open_recommendation_file` checks everything that concerns the whole file up front (size,
format, columns, encoding) and raises ImportFileError with a message that names the file; the
rows are then streamed one at a time, each as a RecommendationRecord or, when the row cannot be
read, a RowProblem that says where and why. The column layouts are documented in
docs/recommendation-formats.md.

The layouts themselves live in core.importing.layouts (with one module per layout: uhri,
uprinfo, template); this module opens CSV files and xlsx workbooks and ties them together.
"""

from __future__ import annotations

import csv
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from openpyxl import load_workbook

from core.formatting import file_size
from core.i18n import N_
from core.importing.cells import Cell, _is_blank, _text
from core.importing.encoding import (
    UnknownEncodingError,
    check_codec,
    first_decode_failure,
    has_utf8_bom,
)
from core.importing.errors import ImportFileError
from core.importing.layouts import (
    ImportFormat,
    _choose_layout,
    _column_positions,
    _Layout,
    _parse_rows,
)
from core.importing.records import RecommendationRecord, RowProblem
from core.importing.template import template_header

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
            raise ImportFileError(
                path, N_("is not a readable CSV file ({problem})"), start, problem=exc
            ) from exc
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                path, N_("stopped decoding ({problem})"), start, problem=exc.reason
            ) from exc
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
                N_("cannot be decoded as {encoding} ({problem}); check the --encoding value"),
                failure.line,
                encoding=given,
                problem=failure.describe(),
            )
        return given

    failure = first_decode_failure(path, "utf-8")
    if failure is None:
        return "utf-8-sig" if has_utf8_bom(path) else "utf-8"

    default = layout.default_encoding
    if default is None:
        raise ImportFileError(
            path,
            N_(
                "not UTF-8 ({problem}) and no default encoding for this format; "
                "pass --encoding, or save the file as UTF-8"
            ),
            failure.line,
            problem=failure.describe(),
        )
    fallback_failure = first_decode_failure(path, default)
    if fallback_failure is not None:
        raise ImportFileError(
            path,
            N_(
                "neither UTF-8 nor {encoding}, the usual encoding of this format "
                "({problem}); pass --encoding"
            ),
            fallback_failure.line,
            encoding=default,
            problem=fallback_failure.describe(),
        )
    return default


def _open_csv(
    path: Path, wanted: ImportFormat | None, given_encoding: str | None, language: str
) -> RecommendationFile:
    sniffed = _sniff_csv_header(path, given_encoding)
    if sniffed is None:
        raise ImportFileError(path, N_("is empty"))
    delimiter, header_line, header = sniffed
    layout = _choose_layout(path, header, header_line, wanted)
    encoding = _choose_encoding(path, layout, given_encoding)

    fh = path.open(encoding=encoding, newline="")
    try:
        records = _csv_rows(path, csv.reader(fh, delimiter=delimiter))
        found = next(records, None)
        if found is None:
            raise ImportFileError(path, N_("is empty"))
        header_line, header = found
        positions = _column_positions(header)
        first = next(records, None)
        if first is None:
            raise ImportFileError(path, N_("has no recommendations (only a header)"), header_line)
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
        raise ImportFileError(path, N_("the workbook is damaged ({problem})"), problem=exc) from exc


def _open_xlsx(path: Path, wanted: ImportFormat | None, language: str) -> RecommendationFile:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl reports unreadable workbooks through many unrelated exception types.
        raise ImportFileError(
            path,
            N_("cannot be opened as an xlsx workbook ({problem})"),
            problem=f"{type(exc).__name__}: {exc}",
        ) from exc
    release: Callable[[], None] = workbook.close
    try:
        if not workbook.worksheets:
            raise ImportFileError(path, N_("is empty (the workbook has no worksheet)"))
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the used range the producer declared, and some producers
        # declare it wrongly (e.g. "A1"), which would cut rows short; read what is there instead.
        sheet.reset_dimensions()
        records = _xlsx_rows(path, sheet)
        found = next(records, None)
        if found is None:
            raise ImportFileError(path, N_("is empty (its first worksheet has no rows)"))
        header_line, header_cells = found
        header = [_text(cell) for cell in header_cells]
        layout = _choose_layout(path, header, header_line, wanted)
        first = next(records, None)
        if first is None:
            raise ImportFileError(path, N_("has no recommendations (only a header)"), header_line)
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
                path,
                N_("unknown encoding {encoding!r} (for example: utf-8, cp1252, mac_roman)"),
                encoding=encoding,
            ) from None

    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImportFileError(path, N_("no such file")) from None
    except OSError as exc:
        raise ImportFileError(
            path, N_("cannot be read ({problem})"), problem=exc.strerror or exc
        ) from exc
    if not stat.S_ISREG(info.st_mode):
        raise ImportFileError(path, N_("is not a regular file"))
    if info.st_size > max_bytes:
        raise ImportFileError(
            path,
            N_("is {size}, larger than the import limit of {limit}; the limit is set by {setting}"),
            size=file_size(info.st_size),
            limit=file_size(max_bytes),
            setting=MAX_BYTES_SETTING,
        )
    if info.st_size == 0:
        raise ImportFileError(path, N_("is empty"))

    try:
        with path.open("rb") as fh:
            magic = fh.read(len(_ZIP_MAGIC))
        if magic == _OLE_MAGIC:
            raise ImportFileError(
                path,
                N_(
                    "is an Excel 97-2003 (.xls) or password-protected workbook; "
                    "save it as .xlsx or as CSV"
                ),
            )
        if magic == _ZIP_MAGIC or path.suffix.lower() in {".xlsx", ".xlsm"}:
            return _open_xlsx(path, format, language)
        return _open_csv(path, format, encoding, language)
    except OSError as exc:
        raise ImportFileError(
            path, N_("cannot be read ({problem})"), problem=exc.strerror or exc
        ) from exc

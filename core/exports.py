"""A round's results as files: CSV, XLSX and JSON, written as they are produced.

Two kinds of export. The aggregated one holds `core.results.round_results` (every table of
the round, with its one small-cell suppression pattern) and the written answers as
`core.results.free_text` discloses them. The raw one holds every answer, one row each, by
pseudonym (`core.results.raw_answers`); only organisers granted `export_raw` may take it,
which the caller checks.

Memory stays flat however many answers a round has: rows are read from the database in
batches and written out in chunks of about `CHUNK_SIZE` bytes. An XLSX file is a zip whose
directory comes last, so its sheets are spooled to temporary files on disk and the finished
file is read back in chunks.

Every file is safe to open in a spreadsheet:
- control characters (U+0000 to U+001F and U+007F) are removed from every text, in every
  format; tabs and line breaks become a space;
- in XLSX every text is stored as a text cell, so `=HYPERLINK(...)` stays those characters;
- in CSV, which has no cell types, a text whose first non-space character is `=`, `+`, `-`
  or `@` is written with a single quote in front (`'=1+1`), which spreadsheets show as text.
  Counts are written as numbers and never quoted.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from core import audit
from core.clusters import list_clusters
from core.errors import InvalidInput
from core.i18n import N_
from core.models import utcnow
from core.results import (
    RAW_COLUMNS,
    Cell,
    FreeText,
    RoundResults,
    Table,
    free_text,
    raw_rows,
    round_results,
)
from core.rounds import describe as describe_round
from core.rounds import find_round

Format = Literal["csv", "xlsx", "json"]
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
DELIMITERS = (",", ";")
CHUNK_SIZE = 64 * 1024
# How often, in rows, the progress callback hears how far the export got.
PROGRESS_EVERY = 500
# Excel's limits: rows in a sheet, characters in a cell, characters in a sheet's title.
MAX_SHEET_ROWS = 1_048_576
MAX_CELL_TEXT = 32_767
MAX_TITLE = 31

# About a written answer: how its author let it be seen, and where and when it was given.
_WRITTEN = ["disclosure", "language", "channel", "organisation", "participant", "date"]
# The aggregated CSV, in long form: one count (or one written answer) a line.
CSV_COLUMNS = [
    "section",
    "table",
    "title",
    "question",
    "dimension",
    "row",
    "row_label",
    "column",
    "column_label",
    "count",
    "recommendation",
    "text",
    *_WRITTEN,
]
CSV_MEANINGS = {
    "section": "round (the round's details), response (people invited and who answered), "
    "answers (counts of answers), statuses (implementation status and perception gap by "
    "recommendation) or free_text (written answers)",
    "table": "the table's key: question:dimension, response:dimension, statuses or free_text",
    "title": "the question as asked, or what the table counts",
    "question": "the question's id in the survey",
    "dimension": "the breakdown: overall, language, channel, stakeholder_group, "
    "organisation_type, recommendation, cluster, theme, sdg_target or profile:QUESTION",
    "row": "the breakdown's value (total for column totals)",
    "row_label": "the row as people read it",
    "column": "the answer's value (total for row totals); in statuses, the measure",
    "column_label": "the column as people read it",
    "count": "the number; <k when fewer than k people are behind it, or when it would give "
    "such a number away",
    "recommendation": "the recommendation's id",
    "text": "a written answer, or a text measure of a status row",
    "disclosure": "what its author let organisers see: anonymous, organisation or named",
    "language": "the language the answer was given in",
    "channel": "where it was given: slack, telegram, webhook or terminal",
    "organisation": "the author's organisation, when its author allowed it",
    "participant": "the author's pseudonym, when its author allowed it",
    "date": "the day it was given (no time of day: that could identify its author)",
}
FREE_TEXT_COLUMNS = ["question", "question_text", "recommendation", "text", *_WRITTEN]
_FREE_TEXT_MEANINGS = {
    **{name: CSV_MEANINGS[name] for name in FREE_TEXT_COLUMNS if name in CSV_MEANINGS},
    "question_text": "the question as asked",
    "recommendation": "the recommendation the answer is about, inside a loop",
}
RAW_MEANINGS = {
    "participant": "the person's pseudonym (P- and 16 characters); never a name or a platform id",
    "stakeholder_group": "the person's role: organiser, government, nhri, civil_society, "
    "academic or observer",
    "question": "the question's id in the survey",
    "recommendation_id": "the recommendation the answer is about, inside a loop",
    "value": "the answer's value: a choice's id, a number, a date, or a list of choices",
    "text": "what the person wrote",
    "language": "the language the answer was given in",
    "channel": "where it was given: slack, telegram, webhook or terminal",
    "disclosure": "what the person let organisers see: anonymous, organisation or named",
    "version": "1 for the first answer, more after each change",
    "current": "whether this is the answer's latest version",
    "withdrawn": "whether the person withdrew the answer",
    "answered_on": "the day it was given",
}

_WHITESPACE = re.compile(r"[\t\n\r\x0b\x0c]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@")
_TITLE_FORBIDDEN = re.compile(r"[:\\/?*\[\]]")


# --- values -----------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """The text without control characters; tabs and line breaks become one space."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub("", _WHITESPACE.sub(" ", text))


def csv_text(text: str) -> str:
    """A text as CSV carries it: cleaned, with a `'` first where a spreadsheet would compute it."""
    cleaned = clean_text(text)
    if cleaned.lstrip(" ").startswith(_FORMULA_START):
        return "'" + cleaned
    return cleaned


def _clean_data(value: Any) -> Any:
    """JSON-ready data with every text cleaned, keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_clean_data(k): _clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_data(v) for v in value]
    return value


def _scalar(value: Any) -> Any:
    """A value for one cell: numbers and booleans stay, lists and mappings become JSON text."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def sheet_title(name: str, taken: set[str]) -> str:
    """A title Excel accepts: at most 31 characters, none of : \\ / ? * [ ], not yet taken.

    `taken` holds the titles given so far, case-folded as Excel compares them; the new one is
    added to it. A clash gets a suffix: "status (2)".
    """
    base = _TITLE_FORBIDDEN.sub("-", clean_text(name)).strip().strip("'").strip() or "Sheet"
    # Excel keeps "History" for itself.
    if base.casefold() == "history":
        base += "-"
    base = base[:MAX_TITLE].rstrip("'")
    title, number = base, 2
    while title.casefold() in taken:
        suffix = f" ({number})"
        title = base[: MAX_TITLE - len(suffix)].rstrip("'") + suffix
        number += 1
    taken.add(title.casefold())
    return title


# --- options and entry points -----------------------------------------------------------------


def check_options(fmt: str, delimiter: str = ",") -> None:
    """Refuse a format or a CSV delimiter the exports do not write."""
    if fmt not in FORMATS:
        raise InvalidInput(
            N_("format: {format!r} is not one of {formats}"),
            format=fmt,
            formats=", ".join(FORMATS),
        )
    if delimiter not in DELIMITERS:
        raise InvalidInput(
            N_(
                "delimiter: {delimiter!r} is not allowed; use ',' (the default) or ';' "
                "(for spreadsheets set to a language that writes decimals with a comma)"
            ),
            delimiter=delimiter,
        )


def file_name(code: str, fmt: str, *, raw: bool = False) -> str:
    """The export's usual file name: CODE-results.csv or CODE-raw.xlsx."""
    return f"{code}-{'raw' if raw else 'results'}.{fmt}"


def record_export(session: Session, code: str, fmt: str, *, raw: bool, actor: str) -> None:
    """Write to the audit log who exported which round, in which form."""
    audit.record(
        session,
        actor=actor,
        action="round.exported_raw" if raw else "round.exported",
        subject_type="round",
        subject_id=code,
        details={"format": fmt},
    )


class _Counter:
    """Rows written so far, told to the progress callback now and then and at the end."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.rows = 0
        self.progress = progress

    def add(self, rows: int = 1) -> None:
        before = self.rows
        self.rows += rows
        if self.progress is not None and before // PROGRESS_EVERY != self.rows // PROGRESS_EVERY:
            self.progress(self.rows)

    def done(self) -> None:
        if self.progress is not None:
            self.progress(self.rows)


def stream_round(
    session: Session,
    code: str,
    fmt: Format | str,
    *,
    raw: bool = False,
    delimiter: str = ",",
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The export as chunks of bytes, produced as they are read; the session must stay open.

    The options and the round are checked now, before the first chunk, so a mistake never
    leaves half a file.
    """
    check_options(fmt, delimiter)
    consultation = find_round(session, code)
    return _chunks(session, consultation.code, fmt, raw, delimiter, _Counter(progress))


def export_round(
    session: Session,
    code: str,
    fmt: Format | str,
    out: BinaryIO,
    *,
    raw: bool = False,
    delimiter: str = ",",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the round's export to `out`; returns how many rows (or JSON records) it holds.

    Raw exports hold every answer by pseudonym: the caller must hold `export_raw`.
    """
    check_options(fmt, delimiter)
    consultation = find_round(session, code)
    counter = _Counter(progress)
    for chunk in _chunks(session, consultation.code, fmt, raw, delimiter, counter):
        out.write(chunk)
    out.flush()
    return counter.rows


def _chunks(
    session: Session, code: str, fmt: str, raw: bool, delimiter: str, counter: _Counter
) -> Iterator[bytes]:
    exported_at = utcnow().isoformat(timespec="seconds")
    if raw:
        about = describe_round(find_round(session, code))
        rows = raw_rows(session, code)
        yield from _render_raw(about, rows, fmt, delimiter, exported_at, counter)
    else:
        results = round_results(session, code)
        # Clusters name the XLSX status sheets; the other formats carry no grouping.
        clusters = _cluster_members(session) if fmt == "xlsx" else []
        texts = free_text(session, code)
        yield from _render_results(results, texts, fmt, delimiter, clusters, exported_at, counter)
    counter.done()


def render_results(
    results: RoundResults,
    texts: Iterable[FreeText],
    fmt: Format | str,
    *,
    delimiter: str = ",",
    clusters: Iterable[tuple[str, Iterable[int]]] = (),
    exported_at: str | None = None,
) -> Iterator[bytes]:
    """Aggregated results already computed, as chunks of the file.

    `clusters` (name, recommendation ids) give the XLSX file one status sheet each.
    """
    check_options(fmt, delimiter)
    groups = [(name, set(members)) for name, members in clusters]
    when = exported_at or utcnow().isoformat(timespec="seconds")
    return _render_results(results, texts, fmt, delimiter, groups, when, _Counter(None))


def render_raw(
    about: dict[str, Any],
    rows: Iterable[dict[str, Any]],
    fmt: Format | str,
    *,
    delimiter: str = ",",
    exported_at: str | None = None,
) -> Iterator[bytes]:
    """Raw answer rows (keys as in RAW_COLUMNS) of the round `about` describes, as chunks."""
    check_options(fmt, delimiter)
    when = exported_at or utcnow().isoformat(timespec="seconds")
    cells = operator.itemgetter(*RAW_COLUMNS)
    return _render_raw(about, map(cells, rows), fmt, delimiter, when, _Counter(None))


def _render_results(
    results: RoundResults,
    texts: Iterable[FreeText],
    fmt: str,
    delimiter: str,
    clusters: list[tuple[str, set[int]]],
    exported_at: str,
    counter: _Counter,
) -> Iterator[bytes]:
    if fmt == "csv":
        return _results_csv(results, exported_at, texts, delimiter, counter)
    if fmt == "json":
        return _results_json(results, exported_at, texts, counter)
    return _results_xlsx(results, exported_at, texts, clusters, counter)


def _render_raw(
    about: dict[str, Any],
    rows: Iterable[tuple[Any, ...]],
    fmt: str,
    delimiter: str,
    exported_at: str,
    counter: _Counter,
) -> Iterator[bytes]:
    """Raw rows (tuples in RAW_COLUMNS order) in the format asked for."""
    if fmt == "csv":
        return _raw_csv(rows, delimiter, counter)
    records = (dict(zip(RAW_COLUMNS, row, strict=True)) for row in rows)
    if fmt == "json":
        return _raw_json(about, exported_at, records, counter)
    return _raw_xlsx(about, exported_at, records, counter)


def _cluster_members(session: Session) -> list[tuple[str, set[int]]]:
    return [(c.name, {r.id for r in c.recommendations}) for c in list_clusters(session)]


def suppression_note(k: int) -> str:
    """The small-cell rule, as every export states it."""
    return (
        f"Counts below {k} are not shown: they read <{k}. Where a row or column total would "
        "give a hidden count away, further counts are hidden with it. A count hidden in one "
        "table of the round is hidden in every table that shows it."
    )


# --- tables as rows ---------------------------------------------------------------------------


def _table_entries(table: Table) -> Iterator[tuple[str, str, str, str, Cell]]:
    """(row, row label, column, column label, cell) for every count of the table."""
    # Response tables count people invited and people who answered; a row "total" would
    # only repeat the invited.
    row_totals = table.question_id is not None
    for row, row_label in table.rows:
        for column, column_label in table.columns:
            yield row, row_label, column, column_label, table.cell(row, column)
        if row_totals:
            yield row, row_label, "total", "Total", table.row_totals[row]
    if table.column_totals is not None:
        for column, column_label in table.columns:
            yield "total", "Total", column, column_label, table.column_totals[column]
    if row_totals and (table.column_totals is not None or table.dimension != "overall"):
        yield "total", "Total", "total", "Total", table.total


def _flatten(data: dict[str, Any], prefix: str = "", hidden: bool = False) -> dict[str, Any]:
    """A nested status row as dotted columns; a None that suppression caused stays marked."""
    flat: dict[str, Any] = {}
    hidden = hidden or bool(data.get("suppressed"))
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) == {"count", "suppressed"}:
            # A cell as Cell.as_data writes it.
            flat[name] = Cell(value["count"] or 0, bool(value["suppressed"]))
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{name}.", hidden))
        elif value is None and hidden:
            flat[name] = Cell(0, suppressed=True)
        elif value is not None:
            flat[name] = value
    return flat


def _status_table(statuses: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    flat = [_flatten(row) for row in statuses]
    columns: dict[str, None] = {}
    for row in flat:
        columns.update(dict.fromkeys(row))
    return list(columns), flat


def _about_rows(about: dict[str, Any], k: int, exported_at: str, kind: str) -> list[list[Any]]:
    return [
        ["export", kind],
        ["round", about.get("code")],
        ["title", about.get("title")],
        ["status", about.get("status")],
        ["survey", about.get("survey")],
        ["opens_at", about.get("opens_at")],
        ["closes_at", about.get("closes_at")],
        ["timezone", about.get("timezone")],
        ["languages", ", ".join(about.get("languages") or [])],
        ["default_language", about.get("default_language")],
        ["k", k],
        ["exported_at", exported_at],
    ]


# --- CSV --------------------------------------------------------------------------------------


# A text that needs csv_text: a control character anywhere, or a formula's first character.
_CSV_RISK = re.compile(r"[\x00-\x1f\x7f]|^ *[=+\-@]")
# Rows handed to the csv writer at once; chunks are cut between batches.
_BATCH = 200


def _csv_cells(values: Iterable[Any]) -> list[Any]:
    """One row's cells as CSV writes them; most cells take the first, cheap test only."""
    cells = []
    for value in values:
        if type(value) is str:
            if _CSV_RISK.search(value):
                value = csv_text(value)
        elif value is None:
            value = ""
        elif value is True or value is False:
            value = "true" if value else "false"
        elif isinstance(value, list | dict):
            value = csv_text(_scalar(value))
        elif isinstance(value, str):
            value = csv_text(value)
        cells.append(value)
    return cells


def _csv_rows(
    rows: Iterable[Any],
    delimiter: str,
    counter: _Counter,
    header: list[str],
    *,
    cells: Callable[[Any], list[Any]] | None = None,
) -> Iterator[bytes]:
    """The header and the rows as UTF-8 CSV with a BOM, in chunks of about CHUNK_SIZE."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    prefix = b"\xef\xbb\xbf"
    batch: list[list[Any]] = []
    to_cells = cells or _csv_cells
    for row in rows:
        batch.append(to_cells(row))
        if len(batch) < _BATCH:
            continue
        writer.writerows(batch)
        counter.add(len(batch))
        batch.clear()
        if buffer.tell() >= CHUNK_SIZE:
            yield prefix + buffer.getvalue().encode("utf-8")
            prefix = b""
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    counter.add(len(batch))
    yield prefix + buffer.getvalue().encode("utf-8")


def _results_csv(
    results: RoundResults,
    exported_at: str,
    texts: Iterable[FreeText],
    delimiter: str,
    counter: _Counter,
) -> Iterator[bytes]:
    k = results.k
    blank = dict.fromkeys(CSV_COLUMNS)

    def line(**fields: Any) -> list[Any]:
        return list({**blank, **fields}.values())

    def lines() -> Iterator[list[Any]]:
        for name, value in _about_rows(results.round, k, exported_at, "results"):
            if isinstance(value, int):
                yield line(section="round", table="round", column=name, count=value)
            else:
                yield line(section="round", table="round", column=name, text=value)
        for section, tables in (("response", results.response), ("answers", results.tables)):
            for table in tables:
                for row, row_label, column, column_label, cell in _table_entries(table):
                    yield line(
                        section=section,
                        table=table.key,
                        title=table.title,
                        question=table.question_id,
                        dimension=table.dimension,
                        row=row,
                        row_label=row_label,
                        column=column,
                        column_label=column_label,
                        count=cell.text(k) if cell.suppressed else cell.count,
                    )
        _, statuses = _status_table(results.statuses)
        for status in statuses:
            recommendation = status.get("recommendation_id")
            for measure, value in status.items():
                if measure == "recommendation_id":
                    continue
                common = {
                    "section": "statuses",
                    "table": "statuses",
                    "title": "Implementation status and perception gap",
                    "dimension": "recommendation",
                    "row": recommendation,
                    "column": measure,
                    "recommendation": recommendation,
                }
                if isinstance(value, Cell):
                    yield line(**common, count=_status_value(value, k))
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    yield line(**common, count=value)
                else:
                    yield line(**common, text=_scalar(value))
        for text in texts:
            yield line(
                section="free_text",
                table="free_text",
                title=text.question,
                question=text.question_id,
                recommendation=text.recommendation_id,
                text=text.text,
                disclosure=text.disclosure,
                language=text.language,
                channel=text.channel,
                organisation=text.organisation,
                participant=text.participant,
                date=text.date,
            )

    yield from _csv_rows(lines(), delimiter, counter, CSV_COLUMNS)


# In a raw row, only these columns can hold what a participant typed; the others are
# pseudonyms, ids, slugs, numbers and dates Consulta wrote itself.
_TYPED = (RAW_COLUMNS.index("value"), RAW_COLUMNS.index("text"))
_FLAGS = (RAW_COLUMNS.index("current"), RAW_COLUMNS.index("withdrawn"))


def _raw_cells(row: tuple[Any, ...]) -> list[Any]:
    cells = list(row)
    for index in _TYPED:
        value = cells[index]
        if type(value) is str and _CSV_RISK.search(value):
            cells[index] = csv_text(value)
    for index in _FLAGS:
        cells[index] = "true" if cells[index] else "false"
    # The csv module writes None as an empty field already.
    return cells


def _raw_csv(rows: Iterable[tuple[Any, ...]], delimiter: str, counter: _Counter) -> Iterator[bytes]:
    yield from _csv_rows(rows, delimiter, counter, RAW_COLUMNS, cells=_raw_cells)


# --- JSON -------------------------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(_clean_data(value), ensure_ascii=False)


def _json_array(items: Iterable[Any], counter: _Counter) -> Iterator[str]:
    """A JSON array, one item a line, written as the items come."""
    yield "["
    first = True
    for item in items:
        counter.add()
        yield ("\n" if first else ",\n") + _dump(item)
        first = False
    yield "\n]" if not first else "]"


def _batched(parts: Iterable[str]) -> Iterator[bytes]:
    """Text parts joined into chunks of about CHUNK_SIZE, as UTF-8."""
    pending: list[str] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= CHUNK_SIZE:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")


def _free_text_data(text: FreeText) -> dict[str, Any]:
    return {
        "question": text.question_id,
        "question_text": text.question,
        "recommendation": text.recommendation_id,
        "text": text.text,
        "disclosure": text.disclosure,
        "language": text.language,
        "channel": text.channel,
        "organisation": text.organisation,
        "participant": text.participant,
        "date": text.date,
    }


def _results_json(
    results: RoundResults, exported_at: str, texts: Iterable[FreeText], counter: _Counter
) -> Iterator[bytes]:
    def parts() -> Iterator[str]:
        yield "{"
        yield f'"export": "results", "exported_at": {_dump(exported_at)}, '
        yield f'"round": {_dump(results.round)}, "k": {results.k}, '
        yield f'"suppression": {_dump(suppression_note(results.k))},\n'
        yield '"response": '
        yield from _json_array((t.as_data() for t in results.response), counter)
        yield ',\n"tables": '
        yield from _json_array((t.as_data() for t in results.tables), counter)
        yield ',\n"statuses": '
        yield from _json_array(results.statuses, counter)
        yield ',\n"free_text": '
        yield from _json_array((_free_text_data(t) for t in texts), counter)
        yield "}\n"

    yield from _batched(parts())


def _raw_json(
    about: dict[str, Any], exported_at: str, rows: Iterable[dict[str, Any]], counter: _Counter
) -> Iterator[bytes]:
    def parts() -> Iterator[str]:
        yield "{"
        yield f'"export": "raw", "exported_at": {_dump(exported_at)}, '
        yield f'"round": {_dump(about)}, "columns": {_dump(RAW_COLUMNS)},\n"answers": '
        yield from _json_array(rows, counter)
        yield "}\n"

    yield from _batched(parts())


# --- XLSX ---------------------------------------------------------------------------------------


class _Sheets:
    """A write-only workbook: unique titles, text kept as text, long sheets continued."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)
        self.taken: set[str] = set()
        self.bold = Font(bold=True)

    def title(self, name: str) -> str:
        """A new sheet's title, unique in the workbook."""
        return sheet_title(name, self.taken)

    def sheet(self, title: str) -> Any:
        """A new sheet with a title `title` gave."""
        return self.workbook.create_sheet(title)

    def cell(self, sheet: Any, value: Any) -> Any:
        """A value as the sheet stores it: texts cleaned, and kept as text whatever they hold."""
        if isinstance(value, list | dict):
            value = _scalar(value)
        if not isinstance(value, str):
            return value
        value = clean_text(value)[:MAX_CELL_TEXT]
        # Left alone, openpyxl reads a text starting with = as a formula and "#N/A" as an
        # error; those are stored as a text cell explicitly. Other texts are text already.
        if value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    def append(self, sheet: Any, values: Iterable[Any], *, bold: bool = False) -> None:
        if bold:
            sheet.append([self._bold(sheet, v) for v in values])
        else:
            sheet.append([self.cell(sheet, v) for v in values])

    def _bold(self, sheet: Any, value: Any) -> Any:
        stored = self.cell(sheet, value)
        cell = stored if isinstance(stored, SheetCell) else WriteOnlyCell(sheet, value=stored)
        if isinstance(value, str):
            cell.data_type = "s"
        cell.font = self.bold
        return cell

    def long_sheet(
        self, title: str, header: list[str], rows: Iterable[Iterable[Any]], counter: _Counter
    ) -> None:
        """Rows under a header, continued on "title (2)" when a sheet is full."""
        sheet, used = self.sheet(title), 1
        self.append(sheet, header, bold=True)
        for row in rows:
            if used == MAX_SHEET_ROWS:
                sheet, used = self.sheet(self.title(title)), 1
                self.append(sheet, header, bold=True)
            self.append(sheet, row)
            used += 1
            counter.add()

    def chunks(self) -> Iterator[bytes]:
        """The finished file, spooled to disk and read back in chunks."""
        with tempfile.TemporaryFile() as spool:
            self.workbook.save(spool)
            spool.seek(0)
            while chunk := spool.read(CHUNK_SIZE):
                yield chunk


def _readme(
    book: _Sheets,
    title: str,
    about: dict[str, Any],
    k: int,
    exported_at: str,
    kind: str,
    sheets: list[tuple[str, str]],
    columns: list[tuple[str, str]],
) -> None:
    """The first sheet: the round, the rules the file follows, its sheets and its columns."""
    sheet = book.sheet(title)
    book.append(sheet, [f"Consulta: {kind} of round {about.get('code')}"], bold=True)
    book.append(sheet, [])
    book.append(sheet, ["About the round"], bold=True)
    for row in _about_rows(about, k, exported_at, kind):
        book.append(sheet, row)
    book.append(sheet, [])
    book.append(sheet, ["Small counts"], bold=True)
    if kind == "results":
        book.append(sheet, [suppression_note(k)])
    else:
        book.append(
            sheet,
            [
                f"This file holds single answers, not counts, so nothing in it is hidden; the "
                f"round's published tables hide counts below {k}. Keep it among the people "
                "allowed to see it."
            ],
        )
    book.append(sheet, [])
    book.append(sheet, ["Texts"], bold=True)
    book.append(
        sheet,
        [
            "Every text is stored as text, never as a formula. Control characters are "
            "removed; tabs and line breaks become a space."
        ],
    )
    book.append(sheet, [])
    book.append(sheet, ["Sheets"], bold=True)
    for title, meaning in sheets:
        book.append(sheet, [title, meaning])
    book.append(sheet, [])
    book.append(sheet, ["Columns"], bold=True)
    for name, meaning in columns:
        book.append(sheet, [name, meaning])


def _results_xlsx(
    results: RoundResults,
    exported_at: str,
    texts: Iterable[FreeText],
    clusters: list[tuple[str, set[int]]],
    counter: _Counter,
) -> Iterator[bytes]:
    k = results.k
    book = _Sheets()
    readme = book.title("README")
    questions: dict[str, list[Table]] = {}
    for table in results.tables:
        questions.setdefault(table.question_id or "", []).append(table)
    status_columns, statuses = _status_table(results.statuses)
    clustered = {member for _, members in clusters for member in members}
    groups = [
        (f"cluster {name}", [s for s in statuses if s.get("recommendation_id") in members], name)
        for name, members in clusters
    ]
    loose = [s for s in statuses if s.get("recommendation_id") not in clustered]
    groups.append(("recommendations in no cluster", loose, "No cluster"))
    groups = [group for group in groups if group[1]]

    # Titles are settled first, so the README can name the sheets that follow it.
    response = book.title("Response")
    question_sheets = [(book.title(q), q, tables) for q, tables in questions.items()]
    status_sheets = [(book.title(name), what, rows) for what, rows, name in groups]
    free = book.title("Free text")
    sheets = [
        (response, "people invited, and people who gave at least one answer, by breakdown"),
        *(
            (t, f"question {q}: {tables[0].title}, overall then by breakdown")
            for t, q, tables in question_sheets
        ),
        *((t, f"{what}: implementation status and perception gap") for t, what, _ in status_sheets),
        (free, "written answers, naming their authors only as far as they allowed"),
    ]
    columns = [
        ("tables: first column", "the breakdown's value; Total for the column totals"),
        ("tables: next columns", "one per answer option, then Total: the answers in the row"),
        ("tables: <" + str(k), f"a count withheld: below {k}, or it would give one away"),
        ("status sheets: civil_society.*", "civil society's statuses in this round"),
        ("status sheets: government.*, nhri.*", "the latest status they published"),
        ("status sheets: gap*", "how far civil society's mean is from what they published"),
        *((f"free text: {name}", _FREE_TEXT_MEANINGS[name]) for name in FREE_TEXT_COLUMNS),
    ]
    _readme(book, readme, results.round, k, exported_at, "results", sheets, columns)

    sheet = book.sheet(response)
    for table in results.response:
        _table_block(book, sheet, table, k, counter)
    for title, _, tables in question_sheets:
        sheet = book.sheet(title)
        for table in tables:
            _table_block(book, sheet, table, k, counter)
    for title, _, rows in status_sheets:
        sheet = book.sheet(title)
        book.append(sheet, status_columns, bold=True)
        for row in rows:
            book.append(sheet, [_status_value(row.get(c), k) for c in status_columns])
            counter.add()
    book.long_sheet(
        free,
        FREE_TEXT_COLUMNS,
        ([_free_text_data(t)[c] for c in FREE_TEXT_COLUMNS] for t in texts),
        counter,
    )
    yield from book.chunks()


def _status_value(value: Any, k: int) -> Any:
    if isinstance(value, Cell):
        return value.text(k) if value.suppressed else value.count
    return value


def _table_block(book: _Sheets, sheet: Any, table: Table, k: int, counter: _Counter) -> None:
    """One table: its title, a header, its rows and its totals, then a blank line."""
    book.append(sheet, [f"{table.title}: {table.dimension_label}"], bold=True)
    row_totals = table.question_id is not None
    header = [table.dimension_label, *(label for _, label in table.columns)]
    book.append(sheet, [*header, *(["Total"] if row_totals else [])], bold=True)

    def shown(cell: Cell) -> Any:
        return cell.text(k) if cell.suppressed else cell.count

    for row, label in table.rows:
        values = [shown(table.cell(row, column)) for column, _ in table.columns]
        if row_totals:
            values.append(shown(table.row_totals[row]))
        book.append(sheet, [label, *values])
        counter.add()
    if table.column_totals is not None:
        totals = [shown(table.column_totals[column]) for column, _ in table.columns]
        book.append(sheet, ["Total", *totals, *([shown(table.total)] if row_totals else [])])
        counter.add()
    elif row_totals and table.dimension != "overall":
        book.append(sheet, ["Total", *([None] * len(table.columns)), shown(table.total)])
        counter.add()
    book.append(sheet, [])


def _raw_xlsx(
    about: dict[str, Any], exported_at: str, rows: Iterable[dict[str, Any]], counter: _Counter
) -> Iterator[bytes]:
    book = _Sheets()
    answers = "Answers"
    _readme(
        book,
        book.title("README"),
        about,
        int(about.get("min_cell_size") or 0),
        exported_at,
        "raw answers",
        [(answers, "every answer of the round, one a row, each of its versions")],
        [(name, RAW_MEANINGS.get(name, "")) for name in RAW_COLUMNS],
    )
    book.long_sheet(
        book.title(answers),
        RAW_COLUMNS,
        map(operator.itemgetter(*RAW_COLUMNS), rows),
        counter,
    )
    yield from book.chunks()

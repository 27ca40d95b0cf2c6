"""What the rounds pages show, taken from core.results: every count as it may be published.

The dashboard computes nothing of its own beyond response rates and shares of a total from
counts that are already shown; a suppressed count stays `<k` everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bots.dashboard.charts import Chart, bar_chart, share
from bots.dashboard.web import direction
from core import results, rounds
from core.results import Cell, RoundResults, Table

EXPORT_FORMATS = ("csv", "xlsx", "json")
REPORT_FORMATS = ("html", "docx")
# The response breakdowns the list of rounds shows for each round.
SUMMARY_DIMENSIONS = ("channel", "language")


def anchor(key: str) -> str:
    """An element id made from a table's key."""
    return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")


@dataclass(frozen=True)
class ResponseRow:
    """One row of a response table: invited (or joined), answered, and the rate."""

    label: str
    invited: str
    responded: str
    rate: str


@dataclass(frozen=True)
class ResponseTable:
    key: str
    caption: str
    dimension_label: str
    rows: list[ResponseRow]
    total: ResponseRow | None


def _rate(invited: Cell, responded: Cell) -> str:
    return share(responded.shown, invited.shown) or "—"


def response_table(table: Table, k: int) -> ResponseTable:
    """A response table with each row's response rate, where both counts may be shown."""
    rows = [
        ResponseRow(
            label=label,
            invited=table.cell(value, results.INVITED).text(k),
            responded=table.cell(value, results.RESPONDED).text(k),
            rate=_rate(table.cell(value, results.INVITED), table.cell(value, results.RESPONDED)),
        )
        for value, label in table.rows
    ]
    total = None
    if table.column_totals is not None:
        invited = table.column_totals[results.INVITED]
        responded = table.column_totals[results.RESPONDED]
        total = ResponseRow("Total", invited.text(k), responded.text(k), _rate(invited, responded))
    caption = (
        "People invited or joined, and who answered"
        if table.dimension == "overall"
        else f"People invited or joined, and who answered, by {table.dimension_label.lower()}"
    )
    label = "Everyone" if table.dimension == "overall" else table.dimension_label
    return ResponseTable(table.key, caption, label, rows, total)


def _responses(found: RoundResults, dimensions: tuple[str, ...] | None = None) -> list[Any]:
    return [
        response_table(t, found.k)
        for t in found.response
        if dimensions is None or t.dimension in dimensions
    ]


def round_summaries(session: Session) -> list[dict[str, Any]]:
    """Every round, newest first, with its response counts by channel and by language."""
    summaries = []
    for consultation in rounds.list_rounds(session):
        found = results.round_responses(session, consultation.code)
        overall = found.table("response:overall")
        summaries.append(
            {
                "round": found.round,
                "k": found.k,
                "invited": overall.cell("all", results.INVITED).text(found.k),
                "responded": overall.cell("all", results.RESPONDED).text(found.k),
                "rate": _rate(
                    overall.cell("all", results.INVITED), overall.cell("all", results.RESPONDED)
                ),
                "breakdowns": _responses(found, SUMMARY_DIMENSIONS),
            }
        )
    return summaries


@dataclass(frozen=True)
class QuestionResults:
    """One question: its overall table drawn as a chart, and its breakdowns."""

    question_id: str
    title: str
    overall: Table | None
    chart: Chart | None
    breakdowns: list[Table]


def _questions(found: RoundResults, rtl: bool) -> list[QuestionResults]:
    order: list[str] = []
    for table in found.tables:
        if table.question_id is not None and table.question_id not in order:
            order.append(table.question_id)
    questions = []
    for question_id in order:
        tables = found.for_question(question_id)
        overall = next((t for t in tables if t.dimension == "overall"), None)
        questions.append(
            QuestionResults(
                question_id=question_id,
                title=tables[0].title,
                overall=overall,
                chart=bar_chart(overall, found.k, rtl=rtl) if overall is not None else None,
                breakdowns=[t for t in tables if t.dimension != "overall"],
            )
        )
    return questions


def round_page(session: Session, code: str, lang: str | None) -> dict[str, Any]:
    """Everything the results page of one round shows, in the language asked for."""
    consultation = rounds.find_round(session, code)
    language = lang if lang in consultation.languages else consultation.default_language
    found = results.round_results(session, consultation.code, language=language)
    rtl = direction(language) == "rtl"
    return {
        "round": found.round,
        "k": found.k,
        "language": language,
        "responses": _responses(found),
        "questions": _questions(found, rtl),
        "statuses": found.statuses,
        "export_formats": EXPORT_FORMATS,
        "report_formats": REPORT_FORMATS,
        "anchor": anchor,
        "share": share,
    }

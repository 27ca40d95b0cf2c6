"""What the rounds pages show, taken from core.results: every count as it may be published.

The dashboard computes nothing of its own beyond response rates and shares of a total from
counts that are already shown; a suppressed count stays `<k` everywhere. Captions and
headers are said in the page's language, numbers written as it writes them; the questions
and answers stay in the language the results were asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from bots.dashboard.charts import Chart, bar_chart, count_text, share
from core import results, rounds
from core.i18n import N_, SOURCE_LANGUAGE, direction, translate
from core.results import Cell, RoundResults, Table

EXPORT_FORMATS = ("csv", "xlsx", "json")
REPORT_FORMATS = ("html", "docx")
# The response breakdowns the list of rounds shows for each round.
SUMMARY_DIMENSIONS = ("channel", "language")
# Each breakdown as a column header names it, and as a sentence does ("... by channel").
DIMENSION_NAMES = {
    "overall": N_("Everyone"),
    "language": N_("Language"),
    "channel": N_("Channel"),
    "stakeholder_group": N_("Stakeholder group"),
    "organisation_type": N_("Organisation type"),
    "recommendation": N_("Recommendation"),
    "cluster": N_("Cluster"),
    "theme": N_("Theme"),
    "sdg_target": N_("SDG target"),
}
DIMENSION_WORDS = {
    "overall": N_("everyone"),
    "language": N_("language"),
    "channel": N_("channel"),
    "stakeholder_group": N_("stakeholder group"),
    "organisation_type": N_("organisation type"),
    "recommendation": N_("recommendation"),
    "cluster": N_("cluster"),
    "theme": N_("theme"),
    "sdg_target": N_("SDG target"),
}
# core.results names a profile question's breakdown "Profile: <the question>".
PROFILE_PREFIX = "Profile: "


def anchor(key: str) -> str:
    """An element id made from a table's key."""
    return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")


def dimension_name(table: Table, language: str) -> str:
    """A table's breakdown as a column header names it, in the language."""
    if table.dimension in DIMENSION_NAMES:
        return translate(language, DIMENSION_NAMES[table.dimension])
    question = table.dimension_label.removeprefix(PROFILE_PREFIX)
    return translate(language, "Profile: {question}").format(question=question)


def dimension_words(table: Table, language: str) -> str:
    """A table's breakdown as a sentence names it ("by channel"), in the language."""
    if table.dimension in DIMENSION_WORDS:
        return translate(language, DIMENSION_WORDS[table.dimension])
    question = table.dimension_label.removeprefix(PROFILE_PREFIX)
    return translate(language, "the answer to “{question}”").format(question=question)


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
    # The breakdown as a sentence names it, for captions built around the table.
    dimension_words: str
    rows: list[ResponseRow]
    total: ResponseRow | None


def _rate(invited: Cell, responded: Cell, language: str) -> str:
    return share(responded.shown, invited.shown, language) or "—"


def _row(label: str, invited: Cell, responded: Cell, k: int, language: str) -> ResponseRow:
    return ResponseRow(
        label=label,
        invited=count_text(invited, k, language),
        responded=count_text(responded, k, language),
        rate=_rate(invited, responded, language),
    )


def response_table(table: Table, k: int, language: str = SOURCE_LANGUAGE) -> ResponseTable:
    """A response table with each row's response rate, where both counts may be shown."""
    rows = [
        _row(
            # The one row of the overall table is everyone; other rows are the values counted.
            translate(language, "All") if table.dimension == "overall" else label,
            table.cell(value, results.INVITED),
            table.cell(value, results.RESPONDED),
            k,
            language,
        )
        for value, label in table.rows
    ]
    total = None
    if table.column_totals is not None:
        total = _row(
            translate(language, "Total"),
            table.column_totals[results.INVITED],
            table.column_totals[results.RESPONDED],
            k,
            language,
        )
    words = dimension_words(table, language)
    caption = (
        translate(language, "People invited or joined, and who answered")
        if table.dimension == "overall"
        else translate(
            language, "People invited or joined, and who answered, by {dimension}"
        ).format(dimension=words)
    )
    return ResponseTable(table.key, caption, dimension_name(table, language), words, rows, total)


def _responses(
    found: RoundResults, language: str, dimensions: tuple[str, ...] | None = None
) -> list[Any]:
    return [
        response_table(t, found.k, language)
        for t in found.response
        if dimensions is None or t.dimension in dimensions
    ]


def round_summaries(session: Session, language: str = SOURCE_LANGUAGE) -> list[dict[str, Any]]:
    """Every round, newest first, with its response counts by channel and by language."""
    summaries = []
    for consultation in rounds.list_rounds(session):
        found = results.round_responses(session, consultation.code)
        overall = found.table("response:overall")
        invited = overall.cell("all", results.INVITED)
        responded = overall.cell("all", results.RESPONDED)
        summaries.append(
            {
                "round": found.round,
                "k": found.k,
                "invited": count_text(invited, found.k, language),
                "responded": count_text(responded, found.k, language),
                "rate": _rate(invited, responded, language),
                "breakdowns": _responses(found, language, SUMMARY_DIMENSIONS),
            }
        )
    return summaries


@dataclass(frozen=True)
class Breakdown:
    """One of a question's breakdowns, with its dimension named in the page's language."""

    table: Table
    name: str
    words: str


@dataclass(frozen=True)
class QuestionResults:
    """One question: its overall table drawn as a chart, and its breakdowns."""

    question_id: str
    title: str
    overall: Table | None
    chart: Chart | None
    breakdowns: list[Breakdown]


def _questions(found: RoundResults, rtl: bool, language: str) -> list[QuestionResults]:
    order: list[str] = []
    for table in found.tables:
        if table.question_id is not None and table.question_id not in order:
            order.append(table.question_id)
    questions = []
    for question_id in order:
        tables = found.for_question(question_id)
        overall = next((t for t in tables if t.dimension == "overall"), None)
        chart = None
        if overall is not None:
            chart = bar_chart(overall, found.k, rtl=rtl, language=language)
        questions.append(
            QuestionResults(
                question_id=question_id,
                title=tables[0].title,
                overall=overall,
                chart=chart,
                breakdowns=[
                    Breakdown(t, dimension_name(t, language), dimension_words(t, language))
                    for t in tables
                    if t.dimension != "overall"
                ],
            )
        )
    return questions


def round_page(
    session: Session, code: str, lang: str | None, page_language: str = SOURCE_LANGUAGE
) -> dict[str, Any]:
    """Everything the results page of one round shows.

    Questions and answers come in `lang` when the round has it (else its default language);
    the page's own words and numbers in `page_language`.
    """
    consultation = rounds.find_round(session, code)
    language = lang if lang in consultation.languages else consultation.default_language
    found = results.round_results(session, consultation.code, language=language)
    rtl = direction(language) == "rtl"
    return {
        "round": found.round,
        "k": found.k,
        "language": language,
        "responses": _responses(found, page_language),
        "questions": _questions(found, rtl, page_language),
        "statuses": found.statuses,
        "export_formats": EXPORT_FORMATS,
        "report_formats": REPORT_FORMATS,
        "anchor": anchor,
        "share": partial(share, language=page_language),
    }

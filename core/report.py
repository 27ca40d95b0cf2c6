"""A round's report: per cluster, what each stakeholder group says about each recommendation.

One section per cluster of recommendations (and one for the round's recommendations in no
cluster). For each recommendation it sets side by side the government's latest published
status, the NHRI's latest assessment and civil society's statuses, with the gap between them,
how many people answered, and what participants wrote where their authors allowed it.

Every number comes from `core.results.round_results`, so the report hides exactly the cells
every other output of the round hides. Quotes come from `core.results.free_text`: only answers
whose authors agreed to be identified (named, or by organisation), and then by their
organisation alone, never by a person's name; anonymous answers never appear.

The report is a document to publish, so it shows what the public may see: published updates
and assessments, and aggregates with small cells hidden.

Two formats share one model and one set of phrases: standalone HTML, and DOCX laid out like
OHCHR's thematic list of recommendations so its tables can be pasted into a national report.
Both come in an easy-read version: short sentences, one idea per line, no jargon.

A report speaks the round's default language through the gettext catalogs (English where a
message has no translation yet), writes its dates, numbers and lists as that language does,
and reads right to left in Arabic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import formatting, results
from core.errors import InvalidInput
from core.feedback import STATUS_KIND, status_label
from core.gaps import DONT_KNOW
from core.i18n import N_, direction, translate
from core.models import (
    Cluster,
    Disclosure,
    Recommendation,
    Round,
    TagKind,
    cluster_members,
    round_recommendations,
    utcnow,
)
from core.rounds import find_round
from core.updates import STATUS_SCALE

TEMPLATES = Path(__file__).with_name("report_templates")
# Authors of these answers agreed to be identified at least by their organisation.
QUOTABLE = frozenset({Disclosure.NAMED.value, Disclosure.ORGANISATION.value})
# The four columns of OHCHR's thematic list of recommendations, in its order.
DOCX_COLUMNS = (
    N_("Recommendation"),
    N_("Position"),
    N_("Themes"),
    N_("Assessment/comments on level of implementation"),
)
POSITION_LABELS = {
    "supported": N_("Supported"),
    "noted": N_("Noted"),
    "supported_in_part": N_("Supported in part"),
}
# Easy-read words for the statuses: what people say, not the scale's terms.
EASY_STATUS = {
    "not_started": N_("not started"),
    "in_progress": N_("in progress"),
    "partially_implemented": N_("partly done"),
    "fully_implemented": N_("done"),
}
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A gap of less than half a step on the 0-3 scale reads as agreement in easy read.
EASY_AGREEMENT = 0.5


class ReportFormat(StrEnum):
    """The formats a report comes in."""

    HTML = "html"
    DOCX = "docx"


MEDIA_TYPES = {
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def report_format(fmt: str) -> ReportFormat:
    """The format named, or a message listing the ones there are."""
    try:
        return ReportFormat(fmt.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"unknown report format {fmt!r}; use one of: {', '.join(ReportFormat)}"
        ) from None


def report_filename(code: str, fmt: str, *, easy_read: bool = False) -> str:
    """The file a report is saved as by default: CODE-report.html, CODE-report-easy-read.docx."""
    suffix = "-easy-read" if easy_read else ""
    return f"{code}-report{suffix}.{report_format(fmt).value}"


# --- the model --------------------------------------------------------------------------------


def printable(text: str) -> str:
    """The text without the control characters XML (and so Word and HTML) cannot hold."""
    return _UNPRINTABLE.sub("", text)


def _printable_or_none(text: str | None) -> str | None:
    return None if text is None else printable(text)


@dataclass(frozen=True)
class Reported:
    """A status an institution published, as the public sees it."""

    status: str
    organisation: str | None
    published_on: str

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Reported | None:
        if data is None:
            return None
        return cls(
            data["status"],
            _printable_or_none(data.get("organisation")),
            str(data["published_at"])[:10],
        )


@dataclass(frozen=True)
class Views:
    """The three groups' views of one recommendation, as far as they may be shown."""

    government: Reported | None = None
    nhri: Reported | None = None
    # Civil society: people who gave a status on the scale (None when withheld), the mean
    # (None below k), and each status's count as a cell (hidden ones marked).
    responses: int | None = 0
    mean: float | None = None
    suppressed: bool = False
    cells: dict[str, results.Cell] = field(default_factory=dict)
    gap_government: float | None = None
    gap_nhri: float | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Views:
        """From a row of `RoundResults.statuses`; no row means nobody has said anything."""
        if data is None:
            return cls(cells={slug: results.Cell(0) for slug in (*STATUS_SCALE, DONT_KNOW)})
        society = data["civil_society"]
        cells = {
            slug: results.Cell(cell["count"] or 0, bool(cell["suppressed"]))
            for slug, cell in society["cells"].items()
        }
        return cls(
            government=Reported.from_data(data.get("government")),
            nhri=Reported.from_data(data.get("nhri")),
            responses=society["responses"],
            mean=society["mean"],
            suppressed=bool(society["suppressed"]),
            cells=cells,
            gap_government=data.get("gap_government"),
            gap_nhri=data.get("gap_nhri"),
        )

    @property
    def majority(self) -> str | None:
        """The status more than half of those who gave one chose, when the counts show it."""
        if self.responses is None or self.mean is None:
            return None
        for slug in STATUS_SCALE:
            cell = self.cells.get(slug)
            if cell is not None and cell.shown is not None and cell.shown * 2 > self.responses:
                return slug
        return None


@dataclass(frozen=True)
class Quote:
    """A written answer whose author agreed to be identified, credited to the organisation."""

    text: str
    organisation: str | None
    language: str
    question: str


@dataclass(frozen=True)
class Entry:
    """One recommendation in a section."""

    id: int
    reference: str
    body: str
    document_symbol: str | None
    text: str
    language: str
    recommending_states: list[str]
    position: str | None
    themes: list[str]
    affected_persons: list[str]
    views: Views
    # People who answered on the recommendation in the round.
    responses: results.Cell | None
    quotes: list[Quote]


@dataclass(frozen=True)
class Section:
    """A cluster's recommendations, or the round's recommendations in no cluster."""

    anchor: str
    title: str
    description: str
    entries: list[Entry]


@dataclass(frozen=True)
class Report:
    """Everything a report shows, in the order it shows it."""

    code: str
    title: str
    description: str
    language: str
    k: int
    produced_on: date
    # People who answered at least one question in the round.
    responded: results.Cell | None
    sections: list[Section]

    @property
    def direction(self) -> str:
        """The writing direction of the round's default language."""
        return direction(self.language)


def _per_recommendation(round_results: results.RoundResults) -> dict[str, results.Cell] | None:
    """People who answered on each recommendation, by id, from the round's own table of its
    status question by recommendation (each person gives one status per recommendation).

    None when the survey asks nothing per recommendation; a recommendation nobody answered on
    is missing from the table, and counts 0.
    """
    asked = [t for t in round_results.tables if t.dimension == "overall"]
    question = next((t.question_id for t in asked if t.question_kind == STATUS_KIND), None)
    per_recommendation = {
        t.question_id: t for t in round_results.tables if t.dimension == "recommendation"
    }
    question = question or next(iter(per_recommendation), None)
    if question is None:
        return None
    table = per_recommendation.get(question)
    return dict(table.row_totals) if table is not None else {}


def _responded(round_results: results.RoundResults) -> results.Cell | None:
    try:
        table = round_results.table("response:overall")
    except KeyError:
        return None
    return table.cell("all", results.RESPONDED)


def _quotes(session: Session, code: str) -> dict[int, list[Quote]]:
    found: dict[int, list[Quote]] = {}
    for item in results.free_text(session, code):
        if item.disclosure not in QUOTABLE or item.recommendation_id is None:
            continue
        if not item.text.strip():
            continue
        found.setdefault(item.recommendation_id, []).append(
            # Never the person: only the organisation, as far as the author allowed.
            Quote(
                printable(item.text.strip()),
                _printable_or_none(item.organisation),
                item.language,
                printable(item.question),
            )
        )
    return found


def _reference(recommendation: Recommendation) -> str:
    return recommendation.paragraph or f"#{recommendation.id}"


def _tags(recommendation: Recommendation, kind: TagKind) -> list[str]:
    return [printable(tag.label or tag.code) for tag in recommendation.tags_of(kind)]


def _sections(
    session: Session, consultation: Round, entries: dict[int, Entry], other_title: str
) -> list[Section]:
    members = session.execute(
        select(cluster_members.c.cluster_id, cluster_members.c.recommendation_id)
        .join(
            round_recommendations,
            round_recommendations.c.recommendation_id == cluster_members.c.recommendation_id,
        )
        .where(round_recommendations.c.round_id == consultation.id)
    )
    by_cluster: dict[int, set[int]] = {}
    for cluster_id, rec_id in members:
        by_cluster.setdefault(cluster_id, set()).add(rec_id)
    clusters = session.scalars(
        select(Cluster).where(Cluster.id.in_(list(by_cluster))).order_by(Cluster.name)
    )
    sections = [
        Section(
            anchor=f"cluster-{cluster.id}",
            title=printable(cluster.name),
            description=printable(cluster.description),
            entries=[entries[rec_id] for rec_id in sorted(by_cluster[cluster.id])],
        )
        for cluster in clusters
    ]
    clustered = set().union(*by_cluster.values())
    rest = [entry for rec_id, entry in entries.items() if rec_id not in clustered]
    if rest:
        sections.append(Section("other", other_title, "", rest))
    return sections


def build_report(session: Session, code: str, *, now: datetime | None = None) -> Report:
    """The report's content for a round, numbers suppressed as in all its other outputs."""
    consultation = find_round(session, code)
    language = consultation.default_language
    round_results = results.round_results(session, consultation.code)
    views = {row["recommendation_id"]: row for row in round_results.statuses}
    answered = _per_recommendation(round_results)
    quotes = _quotes(session, consultation.code)
    entries = {
        rec.id: Entry(
            id=rec.id,
            reference=printable(_reference(rec)),
            body=printable(rec.body),
            document_symbol=_printable_or_none(rec.document_symbol),
            text=printable(rec.text_in(language)),
            # The text's own language, which is the source's when no translation exists.
            language=rec.language if rec.text_in(language) == rec.text else language,
            recommending_states=_tags(rec, TagKind.RECOMMENDING_STATE),
            position=rec.position.value if rec.position is not None else None,
            themes=_tags(rec, TagKind.THEME),
            affected_persons=_tags(rec, TagKind.AFFECTED_PERSONS),
            views=Views.from_data(views.get(rec.id)),
            responses=None if answered is None else answered.get(str(rec.id), results.Cell(0)),
            quotes=quotes.get(rec.id, []),
        )
        for rec in consultation.recommendations
    }
    return Report(
        code=consultation.code,
        title=printable(consultation.title),
        description=printable(consultation.description),
        language=language,
        k=round_results.k,
        produced_on=(now or utcnow()).date(),
        responded=_responded(round_results),
        sections=_sections(
            session, consultation, entries, translate(language, "Other recommendations")
        ),
    )


# --- the words, shared by both formats --------------------------------------------------------


class Phrases:
    """What the report says, in the round's language where a translation exists."""

    def __init__(self, report: Report) -> None:
        self.language = report.language
        self.k = report.k

    def t(self, message: str, **values: Any) -> str:
        """A message in the report's language, with its {placeholders} filled."""
        text = translate(self.language, message)
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError, AttributeError):
            # A translation whose placeholders do not match must not stop the report.
            return message.format(**values)

    def markup(self, message: str) -> Markup:
        """The `_` of the templates: the message in the report's language, escaped, so that
        `.format()` on it escapes the values it is given."""
        return escape(translate(self.language, message))

    def status(self, slug: str) -> str:
        return status_label(slug, self.language)

    def whole(self, value: int) -> str:
        """A whole number as the report's language writes it."""
        return formatting.number(value, self.language)

    def count(self, cell: results.Cell | None) -> str:
        """A count as it may be published: `<k` when hidden."""
        if cell is None:
            return ""
        return "<" + self.whole(self.k) if cell.suppressed else self.whole(cell.count)

    def number(self, value: float) -> str:
        """A mean or a gap, with two decimals as the report's language writes them."""
        return format_decimal(value, "#,##0.00", locale=formatting.locale_of(self.language))

    def date(self, value: date | str) -> str:
        """A day in words: 2 March 2027, 2 mars 2027."""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return formatting.day(value, self.language)

    def listing(self, items: Sequence[str]) -> str:
        """Items as the report's language lists them: "a, b and c"."""
        return formatting.names(items, self.language)

    def position(self, slug: str | None) -> str:
        if slug in POSITION_LABELS:
            return self.t(POSITION_LABELS[slug])
        return self.t("No position recorded")

    def source(self, entry: Entry) -> str:
        """Where the recommendation was made: the body and the document."""
        return ", ".join(x for x in (entry.body, entry.document_symbol) if x)

    def recommended_by(self, entry: Entry) -> str:
        return self.listing(entry.recommending_states)

    def reported(self, reported: Reported | None) -> str:
        """An institution's status, or that it has published none."""
        if reported is None:
            return self.t("No published status")
        return self.status(reported.status)

    def reported_by(self, reported: Reported | None) -> str:
        if reported is None:
            return ""
        if reported.organisation:
            return self.t(
                "{organisation}, published {date}",
                organisation=reported.organisation,
                date=self.date(reported.published_on),
            )
        return self.t("published {date}", date=self.date(reported.published_on))

    def civil_society(self, views: Views) -> str:
        """Civil society's view in one phrase: the mean, or why it is not shown."""
        if views.suppressed:
            return self.t(
                "Withheld: fewer than {k} people gave a status on the scale", k=self.whole(self.k)
            )
        if views.mean is not None:
            # Not how many gave it: the round's tables may hide that count to protect another.
            return self.t("Mean {mean} on the scale 0 to 3", mean=self.number(views.mean))
        return self.t("No status given yet")

    def distribution(self, views: Views) -> str:
        """Every status with its count, hidden counts as `<k`."""
        return self.listing(
            [f"{self.status(slug)} {self.count(cell)}" for slug, cell in views.cells.items()]
        )

    def gaps(self, views: Views) -> list[str]:
        """The gaps that may be shown, or why none is."""
        lines = []
        if views.gap_government is not None:
            lines.append(
                self.t(
                    "Gap between the government and civil society: {gap}",
                    gap=self.number(views.gap_government),
                )
            )
        if views.gap_nhri is not None:
            lines.append(
                self.t(
                    "Gap between the NHRI and civil society: {gap}",
                    gap=self.number(views.gap_nhri),
                )
            )
        if not lines and (views.government or views.nhri) and views.mean is None:
            lines.append(
                self.t(
                    "No gap is shown: fewer than {k} people gave a status on the scale.",
                    k=self.whole(self.k),
                )
            )
        return lines

    def responses(self, cell: results.Cell | None) -> str:
        if cell is None:
            return ""
        return self.t("People who answered: {n}", n=self.count(cell))

    def attribution(self, quote: Quote) -> str:
        return quote.organisation or self.t("a participant with no organisation")

    def assessment(self, entry: Entry) -> list[str]:
        """The last column of the DOCX table, as short paragraphs (quotes come after)."""
        views = entry.views
        lines = [
            self.t("Government: {status}", status=self.reported(views.government))
            + self._by(views.government),
            self.t("NHRI: {status}", status=self.reported(views.nhri)) + self._by(views.nhri),
            self.t("Civil society: {view}", view=self.civil_society(views)),
        ]
        if views.responses or views.suppressed:
            lines.append(self.t("Statuses given: {counts}", counts=self.distribution(views)))
        lines += self.gaps(views)
        if entry.responses is not None:
            lines.append(self.responses(entry.responses))
        return lines

    def _by(self, reported: Reported | None) -> str:
        by = self.reported_by(reported)
        return f" ({by})" if by else ""

    # Easy read: one idea per line, plain words, no numbers but counts.

    def easy_status(self, slug: str) -> str:
        return self.t(EASY_STATUS.get(slug, slug))

    def easy_answered(self, cell: results.Cell) -> str:
        # A hidden count may be hidden to protect another, so it is not always below k.
        if cell.suppressed:
            return self.t("We do not show how many answered.")
        return self.t("People who answered: {n}.", n=self.whole(cell.count))

    def easy_lines(self, entry: Entry) -> list[str]:
        """What easy read says about one recommendation, a short sentence per line."""
        views = entry.views
        lines = []
        for who, reported in (
            (self.t("The government"), views.government),
            (self.t("The human rights institution"), views.nhri),
        ):
            if reported is None:
                lines.append(self.t("{who} has not said yet.", who=who))
            else:
                lines.append(
                    self.t(
                        "{who} says: {status}.", who=who, status=self.easy_status(reported.status)
                    )
                )
        if entry.responses is not None:
            lines.append(self.easy_answered(entry.responses))
        if views.suppressed:
            lines.append(self.t("Too few people answered to say more."))
        elif not views.responses:
            lines.append(self.t("Nobody said how far it has gone yet."))
        elif views.majority is not None:
            lines.append(self.t("Most said: {status}.", status=self.easy_status(views.majority)))
        else:
            lines.append(self.t("People did not agree on how far it has gone."))
        if views.mean is not None:
            for who, reported in (
                (self.t("The government"), views.government),
                (self.t("The human rights institution"), views.nhri),
            ):
                if reported is not None:
                    lines.append(self._easy_gap(who, STATUS_SCALE[reported.status] - views.mean))
        return lines

    def _easy_gap(self, who: str, difference: float) -> str:
        if abs(difference) < EASY_AGREEMENT:
            return self.t("{who} and people who answered agree.", who=who)
        if difference > 0:
            return self.t("{who} says more is done than people think.", who=who)
        return self.t("{who} says less is done than people think.", who=who)

    def easy_quote_intro(self, quote: Quote) -> str:
        if quote.organisation:
            return self.t("Someone from {organisation} wrote:", organisation=quote.organisation)
        return self.t("Someone wrote:")

    def easy_intro(self) -> list[str]:
        return [
            self.t("The United Nations asked our country to do some things."),
            self.t("Each of these things is called a recommendation."),
            self.t("We asked people how far each one has got."),
            self.t("This report shows what the government says."),
            self.t("It shows what the human rights institution says."),
            self.t("It shows what the people who answered say."),
            self.t("We do not show very small numbers."),
            self.t("This keeps the people who answered safe."),
            self.t("We only show what people wrote if they agreed."),
            self.t("We never show their names."),
        ]

    def about(self) -> list[str]:
        """How to read the report, for its introduction."""
        scale = self.listing(
            [f"{self.status(slug)} {self.whole(n)}" for slug, n in STATUS_SCALE.items()]
        )
        return [
            self.t(
                "For each recommendation, this report sets side by side the latest status "
                "the government published, the latest assessment of the national human "
                "rights institution (NHRI), and the statuses civil society gave in this "
                "consultation."
            ),
            self.t(
                "Statuses are on the scale {scale}. Civil society's mean counts each person "
                'once, with their latest answer; "don\'t know" is left out of it. The gap is '
                "the distance between an institution's status and civil society's mean.",
                scale=scale,
            ),
            self.t(
                "To protect the people who answered, any count below {k} is shown as <{k}, "
                "and other counts are hidden with it where they would give it away. The mean "
                "and the gaps are shown only when at least {k} people gave a status.",
                k=self.whole(self.k),
            ),
            self.t(
                "Quotes are written answers whose authors agreed to be identified; they are "
                "credited to the author's organisation only. Anonymous answers are never "
                "quoted."
            ),
        ]


# --- HTML -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Every value in a report may come from someone's answer: escape all of it.
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(report: Report, *, easy_read: bool = False) -> str:
    """The report as a standalone HTML document: inline styles, nothing from the network."""
    template = _environment().get_template("easy_read.html.j2" if easy_read else "report.html.j2")
    say = Phrases(report)
    return template.render(report=report, say=say, _=say.markup)


# --- DOCX -------------------------------------------------------------------------------------


# What follows w:bidi in a paragraph's properties (ECMA-376 CT_PPrBase), so it goes before.
_AFTER_BIDI = (
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _docx_language(document: Any, language: str, rtl: bool) -> None:
    """Mark every style with the language, and make paragraphs right-to-left where it is."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = document.styles.element
    normal = document.styles["Normal"].element
    marks = list(styles.iter(qn("w:lang")))
    if not marks:
        mark = OxmlElement("w:lang")
        normal.get_or_add_rPr().append(mark)
        marks = [mark]
    for mark in marks:
        mark.set(qn("w:val"), language)
        if rtl:
            mark.set(qn("w:bidi"), language)
    document.core_properties.language = language
    if not rtl:
        return
    # Headings, titles and table text are all based on Normal, so they inherit both marks.
    p_pr = normal.get_or_add_pPr()
    if p_pr.find(qn("w:bidi")) is None:
        p_pr.insert_element_before(OxmlElement("w:bidi"), *_AFTER_BIDI)
    document.styles["Normal"].font.rtl = True


def _docx_header_row(row: Any) -> None:
    """Repeat the row at the top of each page, and mark it as the table's header."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _cell_paragraphs(cell: Any, lines: Sequence[str]) -> None:
    """Fill a table cell with one paragraph per line."""
    paragraph = cell.paragraphs[0]
    for n, line in enumerate(lines):
        if n:
            paragraph = cell.add_paragraph()
        paragraph.add_run(line)


def render_docx(report: Report, out: BinaryIO, *, easy_read: bool = False) -> None:
    """The report as a Word document; its tables follow OHCHR's thematic list."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_DIRECTION
    from docx.shared import Cm, Pt

    say = Phrases(report)
    rtl = report.direction == "rtl"
    document = Document()
    _docx_language(document, report.language, rtl)
    document.core_properties.title = report.title
    document.core_properties.subject = say.t("Consultation report, round {code}", code=report.code)
    if easy_read:
        document.styles["Normal"].font.size = Pt(14)
        _docx_easy_read(document, report, say)
        document.save(out)
        return
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    widths = (Cm(9.5), Cm(2.8), Cm(4.2), Cm(9.5))

    document.add_heading(report.title, level=0)
    document.add_paragraph(
        say.t(
            "Round {code}. Produced on {date}.",
            code=report.code,
            date=say.date(report.produced_on),
        )
    )
    if report.responded is not None:
        document.add_paragraph(
            say.t("People who answered in this round: {n}", n=say.count(report.responded))
        )
    if report.description:
        document.add_paragraph(report.description)
    document.add_heading(say.t("About this report"), level=1)
    for line in say.about():
        document.add_paragraph(line)
    for part in report.sections:
        document.add_heading(part.title, level=1)
        if part.description:
            document.add_paragraph(part.description)
        table = document.add_table(rows=1, cols=len(DOCX_COLUMNS))
        table.style = "Table Grid"
        if rtl:
            table.table_direction = WD_TABLE_DIRECTION.RTL
        header = table.rows[0]
        _docx_header_row(header)
        for cell, name, width in zip(header.cells, DOCX_COLUMNS, widths, strict=True):
            cell.width = width
            cell.paragraphs[0].add_run(say.t(name)).bold = True
        for entry in part.entries:
            row = table.add_row()
            recommendation, position, themes, assessment = row.cells
            states = say.recommended_by(entry)
            _cell_paragraphs(
                recommendation,
                [
                    f"{entry.reference} {entry.text}" + (f" ({states})" if states else ""),
                    say.t("Source: {source}", source=say.source(entry)),
                ],
            )
            _cell_paragraphs(position, [say.position(entry.position)])
            theme_lines = list(entry.themes)
            if entry.affected_persons:
                theme_lines.append(say.t("Affected persons:"))
                theme_lines += [f"- {who}" for who in entry.affected_persons]
            _cell_paragraphs(themes, theme_lines or [""])
            _cell_paragraphs(assessment, say.assessment(entry))
            for quote in entry.quotes:
                paragraph = assessment.add_paragraph()
                paragraph.add_run(f"“{quote.text}”").italic = True
                paragraph.add_run(f" ({say.attribution(quote)})")
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
    document.save(out)


def _docx_easy_read(document: Any, report: Report, say: Phrases) -> None:
    document.add_heading(report.title, level=0)
    for line in say.easy_intro():
        document.add_paragraph(line)
    if report.responded is not None:
        document.add_paragraph(say.easy_answered(report.responded))
    for part in report.sections:
        document.add_heading(part.title, level=1)
        for entry in part.entries:
            document.add_heading(
                say.t("Recommendation {reference}", reference=entry.reference), level=2
            )
            document.add_paragraph(say.t("What was asked:"))
            document.add_paragraph(entry.text, style="Quote")
            for line in say.easy_lines(entry):
                document.add_paragraph(line)
            for quote in entry.quotes:
                document.add_paragraph(say.easy_quote_intro(quote))
                document.add_paragraph(quote.text, style="Quote")


# --- the one entry point ----------------------------------------------------------------------


def write_report(
    session: Session,
    code: str,
    fmt: ReportFormat | str,
    out: BinaryIO,
    *,
    easy_read: bool = False,
    now: datetime | None = None,
) -> None:
    """Write a round's report in the format asked for (html or docx) to a binary stream."""
    chosen = report_format(fmt)
    report = build_report(session, code, now=now)
    if chosen is ReportFormat.DOCX:
        render_docx(report, out, easy_read=easy_read)
    else:
        out.write(render_html(report, easy_read=easy_read).encode("utf-8"))

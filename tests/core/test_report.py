"""A round's report in HTML and Word, standard and easy read, built from a round people answered."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from markupsafe import escape
from sqlalchemy import select

from core import clusters, formatting, gaps, people, results, rounds, updates
from core.db import Database
from core.errors import InvalidInput, NotFound
from core.i18n import translate
from core.invitees import import_invitees
from core.models import Participant
from core.report import DOCX_COLUMNS, build_report, write_report
from core.vocabulary import OrganisationType, Platform, Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW, open_round
from tests.fakes.catalogs import missing_in, recording_missing_messages
from tests.fakes.chat import Participant as Chat
from tests.fakes.followup import CSO, MINISTRY, NHRI, crowd, give_status, person

HOSTILE = "<script>alert(1)</script>"
NAMED_QUOTE = "Mobile registration units reached two more districts this year."
# With a control character some phones send, which Word documents cannot hold.
ORGANISATION_QUOTE = f"{HOSTILE} Fees are still asked for\x07 in rural offices."
ANONYMOUS_QUOTE = "Registrars in my town turn away unmarried mothers."
NAMED_PERSON = "Amina Haddad"
# The choices the bot offers for who may see that a written answer came from its author.
NAMED, ORGANISATION, ANONYMOUS = (
    "Named: my name and organisation",
    "My organisation only",
    "Anonymous",
)


@dataclass(frozen=True)
class Answered:
    """The round TEST01 after people answered, with what the report should show."""

    database: Database
    ids: list[int]
    names: list[str]
    pseudonyms: list[str]
    organiser: int
    government: int


def _answer(database: Database, sender: str, status: str, evidence: str, disclosure: str) -> None:
    """One invited person answers the round over the webhook, about the first recommendation."""
    chat = Chat(database, PSEUDONYM_KEY, sender=sender, platform=Platform.WEBHOOK, now=NOW)
    for sent, expected in [
        ("test01", "Do you agree to take part?"),
        ("1", "Have you followed these recommendations?"),
        ("no", "Which sector do you work in?"),
        ("2", "How many staff"),
        ("skip", "Since when"),
        ("skip", "Which of these recommendations"),
        ("1", "Recommendation 125.14 (UPR)"),
        (status, "What shows this?"),
        (evidence, "Who may see that this answer came from you?"),
        (disclosure, "Anything else?"),
        ("skip", "That was the last question"),
    ]:
        said = chat.send(sent)
        assert expected in said, f"after {sent!r} expected {expected!r}, got:\n{said}"


@pytest.fixture
def answered(database: Database, tmp_path: Path) -> Answered:
    return answer_round(database, tmp_path)


def answer_round(database: Database, tmp_path: Path) -> Answered:
    """Round TEST01 over five recommendations, two clusters, answers, an update and an assessment.

    Recommendation 1 (125.14) has eight civil society statuses, a published government status
    and an NHRI assessment; recommendation 2 (CEDAW 21) has two statuses, too few to show, and
    a government draft nobody approved; recommendation 3 (CRC 18 (b)) has six statuses.
    """
    open_round(database)
    with database.unit_of_work() as session:
        for name, kind in (
            (MINISTRY, OrganisationType.GOVERNMENT),
            (NHRI, OrganisationType.NHRI),
            (CSO, OrganisationType.CIVIL_SOCIETY),
        ):
            people.add_organisation(session, name=name, type=kind)
        ids = [r.id for r in rounds.find_round(session, "TEST01").recommendations]
        clusters.add_cluster(
            session,
            name="Children's rights",
            description=f"Birth registration and child marriage. {HOSTILE}",
            recommendation_ids=[ids[0], ids[2]],
        )
        clusters.add_cluster(session, name="Participation of women", recommendation_ids=[ids[1]])
    invitees = tmp_path / "invitees.csv"
    invitees.write_text(
        "name,organisation,role,language,webhook\n"
        f"{NAMED_PERSON},{CSO},civil_society,en,+15550101\n"
        f"Jonas Berg,{CSO},civil_society,en,+15550102\n"
        f"Petra Novak,{CSO},civil_society,en,+15550103\n",
        encoding="utf-8",
    )
    assert import_invitees(database, invitees, pseudonym_key=PSEUDONYM_KEY).committed
    _answer(database, "+15550101", "Partially implemented", NAMED_QUOTE, NAMED)
    _answer(database, "+15550102", "Partially implemented", ORGANISATION_QUOTE, ORGANISATION)
    _answer(database, "+15550103", "Partially implemented", ANONYMOUS_QUOTE, ANONYMOUS)
    with database.unit_of_work() as session:
        consultation = rounds.find_round(session, "TEST01")
        others = crowd(session, 13)
        for someone, status in zip(
            others[:5],
            [*(["in_progress"] * 2), *(["partially_implemented"] * 2), "not_started"],
            strict=True,
        ):
            give_status(session, someone, consultation, ids[0], status)
        for someone in others[5:7]:
            give_status(session, someone, consultation, ids[1], "not_started")
        for someone in others[7:]:
            give_status(session, someone, consultation, ids[2], "in_progress")
        organiser = person(session, Role.ORGANISER)
        government = person(session, Role.GOVERNMENT, MINISTRY)
        nhri = person(session, Role.NHRI, NHRI)
        later = NOW + timedelta(days=1)
        posted = updates.post_update(
            session,
            government,
            updates.UpdateDraft(status="fully_implemented", recommendation=ids[0]),
            now=later,
        )
        updates.approve(session, organiser, posted.update_id, now=later)
        updates.post_update(
            session,
            nhri,
            updates.UpdateDraft(status="in_progress", recommendation=ids[0]),
            now=later,
        )
        updates.post_update(
            session,
            government,
            updates.UpdateDraft(status="fully_implemented", recommendation=ids[1]),
            now=later,
        )
        names = list(
            session.scalars(
                select(Participant.display_name).where(Participant.display_name.is_not(None))
            )
        )
        pseudonyms = list(session.scalars(select(Participant.pseudonym)))
    return Answered(database, ids, names, pseudonyms, organiser.id, government.id)


def _write(database: Database, fmt: str, *, easy_read: bool = False, code: str = "TEST01") -> bytes:
    out = io.BytesIO()
    with database.unit_of_work() as session:
        write_report(session, code, fmt, out, easy_read=easy_read, now=NOW)
    return out.getvalue()


def _said(language: str, message: str) -> str:
    """A message as the HTML report shows it: in the language, escaped."""
    return str(escape(translate(language, message)))


def _docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def _docx_text(document: docx.document.Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


class _Lines(HTMLParser):
    """The text of each paragraph outside quotations, and every heading, in reading order."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self._open: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(tag)
        if tag in ("p", "h1", "h2", "h3", "h4"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        self._open.pop()
        text = " ".join("".join(self._text).split())
        if tag == "p" and "blockquote" not in self._open:
            self.paragraphs.append(text)
        elif tag in ("h1", "h2", "h3", "h4"):
            self.headings.append((tag, text))

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def _lines(html: str) -> _Lines:
    parser = _Lines()
    parser.feed(html)
    return parser


def test_one_section_per_cluster_and_one_for_the_rest(answered: Answered) -> None:
    ids = answered.ids
    with answered.database.unit_of_work() as session:
        report = build_report(session, "test01", now=NOW)
    assert [(s.title, [e.id for e in s.entries]) for s in report.sections] == [
        ("Children's rights", [ids[0], ids[2]]),
        ("Participation of women", [ids[1]]),
        ("Other recommendations", [ids[3], ids[4]]),
    ]
    first = report.sections[0].entries[0]
    assert (first.reference, first.body, first.document_symbol, first.position) == (
        "125.14",
        "UPR",
        "A/HRC/55/9",
        "supported",
    )
    assert first.themes == ["Birth registration", "Right to a nationality"]
    html = _write(answered.database, "html").decode()
    assert [text for tag, text in _lines(html).headings if tag == "h2"] == [
        "Contents",
        "About this report",
        "Children's rights",
        "Participation of women",
        "Other recommendations",
    ]
    assert html.count("<article") == 5


def test_each_group_status_side_by_side_with_the_gap_from_core_gaps(answered: Answered) -> None:
    first, second = answered.ids[0], answered.ids[1]
    with answered.database.unit_of_work() as session:
        expected = gaps.gap_for(session, first, round_code="TEST01")
        report = build_report(session, "TEST01", now=NOW)
    entries = {e.id: e for s in report.sections for e in s.entries}
    views = entries[first].views
    assert (views.government.status, views.government.organisation) == (  # type: ignore[union-attr]
        "fully_implemented",
        MINISTRY,
    )
    assert views.nhri is not None and views.nhri.status == "in_progress"
    # 8 people: 5 partially, 2 in progress, 1 not started: (5*2 + 2*1) / 8.
    assert views.mean == expected.civil_society.mean == 1.5
    assert views.gap_government == expected.gap_government == 1.5
    assert views.gap_nhri == expected.gap_nhri == 0.5
    # A draft is not a published status; two statuses are too few for a mean or a gap.
    assert entries[second].views.government is None
    assert entries[second].views.suppressed and entries[second].views.mean is None

    html = _write(answered.database, "html").decode()
    article = html[html.index('id="cluster-') :]
    assert '<th scope="col">Government</th>' in html
    assert '<th scope="col">National human rights institution</th>' in html
    assert '<th scope="col">Civil society</th>' in html
    assert "Fully implemented" in article and "Mean 1.50 on the scale 0 to 3" in article
    assert "Gap between the government and civil society: 1.50" in html
    assert "Gap between the NHRI and civil society: 0.50" in html
    assert "Withheld: fewer than 5 people gave a status on the scale" in html
    assert html.count("Gap between") == 2


def test_counts_below_k_read_lt_k_as_in_every_table_of_the_round(answered: Answered) -> None:
    first, second = answered.ids[0], answered.ids[1]
    with answered.database.unit_of_work() as session:
        tables = results.round_results(session, "TEST01")
        report = build_report(session, "TEST01", now=NOW)
    per_recommendation = tables.table("status:recommendation")
    entries = {e.id: e for s in report.sections for e in s.entries}
    for rec_id in (first, second):
        assert entries[rec_id].responses == per_recommendation.row_totals[str(rec_id)]
    assert entries[second].responses is not None and entries[second].responses.suppressed
    html = _write(answered.database, "html").decode()
    assert "People who answered: &lt;5" in html
    # Civil society's counts for the second recommendation are withheld, every one of them.
    second_article = html[html.index(f'id="cluster-{_cluster_id(answered, 1)}-{second}"') :]
    second_article = second_article[: second_article.index("</article>")]
    assert "Civil society: how many people gave each status" in second_article
    assert re.findall(r'<td class="count">([^<]*)</td>', second_article) == ["&lt;5"] * 5

    document = _docx(_write(answered.database, "docx"))
    cells = [row.cells[3].text for table in document.tables for row in table.rows[1:]]
    assert any("People who answered: <5" in cell for cell in cells)
    assert any("Statuses given: Not started <5" in cell for cell in cells)


def _cluster_id(answered: Answered, position: int) -> int:
    with answered.database.unit_of_work() as session:
        return sorted(c.id for c in clusters.list_clusters(session))[position]


def test_the_docx_tables_follow_the_ohchr_thematic_list(answered: Answered) -> None:
    document = _docx(_write(answered.database, "docx"))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "About this report",
        "Children's rights",
        "Participation of women",
        "Other recommendations",
    ]
    assert len(document.tables) == 3
    for table, entries in zip(document.tables, (2, 1, 2), strict=True):
        assert [cell.text for cell in table.rows[0].cells] == [
            "Recommendation",
            "Position",
            "Themes",
            "Assessment/comments on level of implementation",
        ]
        assert tuple(cell.text for cell in table.rows[0].cells) == DOCX_COLUMNS
        assert len(table.rows) == entries + 1
    recommendation, position, themes, assessment = (
        c.text for c in document.tables[0].rows[1].cells
    )
    assert recommendation.startswith("125.14 Ensure that every child born on its territory")
    # Lists and dates are written as the report's language writes them.
    assert "(Mexico and Türkiye)" in recommendation
    assert "Source: UPR, A/HRC/55/9" in recommendation
    assert position == "Supported"
    assert themes.splitlines() == [
        "Birth registration",
        "Right to a nationality",
        "Affected persons:",
        "- Children",
    ]
    assert assessment.splitlines()[:3] == [
        f"Government: Fully implemented ({MINISTRY}, published March 2, 2027)",
        f"NHRI: In progress ({NHRI}, published March 2, 2027)",
        "Civil society: Mean 1.50 on the scale 0 to 3",
    ]
    assert "Gap between the government and civil society: 1.50" in assessment
    assert document.core_properties.language == "en"


def test_quotes_only_where_the_author_allowed_and_only_by_organisation(answered: Answered) -> None:
    outputs = {
        "html": _write(answered.database, "html").decode(),
        "easy html": _write(answered.database, "html", easy_read=True).decode(),
        "docx": _docx_text(_docx(_write(answered.database, "docx"))),
        "easy docx": _docx_text(_docx(_write(answered.database, "docx", easy_read=True))),
    }
    for name, text in outputs.items():
        assert ANONYMOUS_QUOTE not in text, name
        assert NAMED_QUOTE in text, name
        assert "Fees are still asked for in rural offices." in text, name
        for somebody in answered.names:
            assert somebody not in text, (name, somebody)
        for pseudonym in answered.pseudonyms:
            assert pseudonym not in text, (name, pseudonym)
    assert (
        f"<figcaption>{CSO.replace(chr(39), '&#39;')}, answering “What shows this?”</figcaption>"
        in outputs["html"]
    )
    assert outputs["html"].count("<figure>") == 2
    assert f"“{NAMED_QUOTE}” ({CSO})" in outputs["docx"]
    assert f"Someone from {CSO} wrote:" in outputs["easy docx"]


def test_text_from_answers_and_organisers_is_escaped(answered: Answered) -> None:
    for easy_read in (False, True):
        html = _write(answered.database, "html", easy_read=easy_read).decode()
        assert HOSTILE not in html
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Fees are still asked for" in html
        assert "\x07" not in html
    assert (
        "Birth registration and child marriage. &lt;script&gt;"
        in _write(answered.database, "html").decode()
    )


def test_the_html_stands_alone(answered: Answered) -> None:
    html = _write(answered.database, "html").decode()
    assert html.startswith('<!DOCTYPE html>\n<html lang="en" dir="ltr">')
    assert "<style>" in html and "<link" not in html and "<script" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "default-src 'none'" in html
    assert html.count("<caption>") >= 5
    assert '<th scope="row">Status</th>' in html


def test_easy_read_says_one_short_thing_per_line(answered: Answered) -> None:
    first = answered.ids[0]
    html = _write(answered.database, "html", easy_read=True).decode()
    lines = _lines(html).paragraphs
    assert "font-size: 1.375rem" in html
    assert max(len(line.split()) for line in lines) <= 12
    assert max(len(line) for line in lines) <= 70
    start = lines.index("What was asked:")
    assert lines[start + 1 : start + 7] == [
        "The government says: done.",
        "The human rights institution says: in progress.",
        "People who answered: 8.",
        "Most said: partly done.",
        "The government says more is done than people think.",
        "The human rights institution says less is done than people think.",
    ]
    assert "We do not show how many answered." in lines
    assert "Too few people answered to say more." in lines
    assert "Gap" not in html and "NHRI" not in html and "&lt;5" not in html
    with answered.database.unit_of_work() as session:
        shown = results.round_results(session, "TEST01").table("status:recommendation")
    assert not shown.row_totals[str(first)].suppressed

    document = _docx(_write(answered.database, "docx", easy_read=True))
    assert not document.tables
    texts = [p.text for p in document.paragraphs if p.style.name == "Normal"]
    assert "Most said: partly done." in texts
    assert max(len(text.split()) for text in texts) <= 12
    assert document.styles["Normal"].font.size.pt == 14


def test_an_arabic_round_reads_right_to_left(answered: Answered) -> None:
    with answered.database.unit_of_work() as session:
        rounds.create_round(
            session,
            rounds.RoundPlan(
                title="مشاورة منتصف المدة",
                survey="every-kind",
                code="ARAB01",
                scope=rounds.Scope(recommendation_ids=tuple(answered.ids[:2])),
                languages=("ar", "en"),
                default_language="ar",
            ),
        )
    for easy_read in (False, True):
        html = _write(answered.database, "html", easy_read=easy_read, code="arab01").decode()
        assert '<html lang="ar" dir="rtl">' in html
        assert "مشاورة منتصف المدة" in html
        # The recommendation has no Arabic text: its English one is marked as English.
        assert '<blockquote lang="en"><p>Ensure that every child' in html
        assert _said("ar", "What was asked:" if easy_read else "About this report") in html
    # The report's own words, dates and lists are in the round's language.
    html = _write(answered.database, "html", code="ARAB01").decode()
    assert f'<h2 id="about">{_said("ar", "About this report")}</h2>' in html
    produced = translate("ar", "Round {code}. Produced on {date}.").format(
        code="ARAB01", date=formatting.day(NOW.date(), "ar")
    )
    assert f"<p>{escape(produced)}</p>" in html
    assert _said("ar", "Recommendation {reference}").format(reference="125.14") in html
    states = formatting.names(["Mexico", "Türkiye"], "ar")
    assert f"<dd>{escape(states)}</dd>" in html
    document = _docx(_write(answered.database, "docx", code="ARAB01"))
    normal = document.styles["Normal"].element
    assert normal.pPr.find(qn("w:bidi")) is not None
    assert document.styles["Normal"].font.rtl is True
    assert document.core_properties.language == "ar"
    languages = list(document.styles.element.iter(qn("w:lang")))
    assert languages and all(mark.get(qn("w:bidi")) == "ar" for mark in languages)
    assert all(table._tbl.tblPr.find(qn("w:bidiVisual")) is not None for table in document.tables)
    # The status labels are in the round's language.
    assert "قيد التنفيذ" in _docx_text(document)


@pytest.mark.parametrize("language", ["fr", "es", "ar", "ru", "zh"])
def test_every_word_of_every_report_is_in_the_catalog(answered: Answered, language: str) -> None:
    code = f"LANG{language.upper()}"
    with answered.database.unit_of_work() as session:
        rounds.create_round(
            session,
            rounds.RoundPlan(
                title="Mid-term check",
                survey="every-kind",
                code=code,
                scope=rounds.Scope(recommendation_ids=tuple(answered.ids[:3])),
                languages=(language, "en"),
                default_language=language,
            ),
        )
    with recording_missing_messages() as recorders:
        for easy_read in (False, True):
            html = _write(answered.database, "html", easy_read=easy_read, code=code).decode()
            assert f'<html lang="{language}"' in html
        assert _docx(_write(answered.database, "docx", code=code)).core_properties.language
    assert missing_in(recorders) == {}


def test_a_round_nobody_answered_still_reports_every_recommendation(database: Database) -> None:
    open_round(database, code="EMPTY1")
    with database.unit_of_work() as session:
        report = build_report(session, "EMPTY1", now=NOW)
        count = len(rounds.find_round(session, "EMPTY1").recommendations)
    assert [s.title for s in report.sections] == ["Other recommendations"]
    assert len(report.sections[0].entries) == count
    entry = report.sections[0].entries[0]
    assert entry.views.government is None and entry.views.mean is None
    html = _write(database, "html", code="EMPTY1").decode()
    assert "No status given yet" in html and "No published status" in html
    assert "Gap between" not in html
    assert _docx(_write(database, "docx", code="EMPTY1")).tables


def test_unknown_rounds_and_formats_are_refused(answered: Answered) -> None:
    with answered.database.unit_of_work() as session:
        with pytest.raises(NotFound, match="no round with the code 'NOPE'"):
            write_report(session, "NOPE", "html", io.BytesIO())
        out = io.BytesIO()
        with pytest.raises(InvalidInput, match="unknown report format 'pdf'; use one of: html"):
            write_report(session, "TEST01", "pdf", out)
        assert out.getvalue() == b""

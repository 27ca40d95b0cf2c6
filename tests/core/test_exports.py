"""Exports of a round as CSV, XLSX and JSON: counts, hidden cells, safe text, pseudonyms only."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass

import openpyxl
import pytest
from sqlalchemy import func, select

from core import answers, clusters, exports, people, permissions
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.models import Answer, AuditEntry, Conversation, Disclosure, Participant, Round
from core.permissions import ROLE_PERMISSIONS, Permission, require_of
from core.results import RAW_COLUMNS, Cell, FreeText, RoundResults, Table
from core.vocabulary import Platform, Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW, open_round
from tests.core.conversation.test_dialogues import FULL_RUN, run
from tests.fakes.chat import Participant as ChatParticipant

CODE = "TEST01"
BOM = b"\xef\xbb\xbf"
# What people wrote as evidence, one each: formulas, a sum, a negative number, a function
# call, and an answer in Arabic and Chinese.
HOSTILE = [
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "حقوق الإنسان للجميع",
    "人人享有人权",
]
# Stored as it arrived, control characters and all, as a channel could deliver it.
CONTROLLED = "line one\nline two\tbell\x07\x1bend"
CONTROLLED_CLEAN = "line one line two bellend"
# Names a spreadsheet refuses as sheet titles, and two that clash once shortened.
CLUSTER_NAMES = [
    "Birth registration: fees / access [part 1]?*",
    "Birth registration: fees / access [part 2]",
]
FORBIDDEN_IN_TITLES = set(":\\/?*[]")


@dataclass(frozen=True)
class Answered:
    """A round six people answered in a chat, each with one hostile piece of evidence."""

    senders: tuple[str, ...]
    recommendations: tuple[int, ...]


def comment(session, conversation: Conversation, text: str) -> Answer:
    """A closing comment stored as the next version, as a channel could deliver it."""
    return answers.record(
        session,
        conversation,
        slot="comment",
        question_id="comment",
        recommendation_id=None,
        value=None,
        text=text,
        channel=Platform.TERMINAL,
        disclosure=Disclosure.ANONYMOUS,
        now=NOW,
    )


def answered_round(database) -> Answered:
    """Six people run the every-kind survey through the engine; then one more written answer
    with control characters is stored as a channel could deliver it, and two clusters with
    awkward names group the round's recommendations."""
    open_round(database)
    senders = tuple(f"platform-id-{i}" for i in range(len(HOSTILE)))
    for i, (sender, evidence) in enumerate(zip(senders, HOSTILE, strict=True)):
        person = ChatParticipant(database, PSEUDONYM_KEY, sender=sender, now=NOW)
        steps = [*FULL_RUN[:10], (evidence, "Who may see")]
        # 1 named, 2 organisation only, 3 anonymous.
        steps += [(str(i % 3 + 1), "Recommendation 125.81"), *FULL_RUN[12:]]
        run(person, steps)
    with database.unit_of_work() as session:
        consultation = session.scalars(select(Round).where(Round.code == CODE)).one()
        ids = tuple(sorted(r.id for r in consultation.recommendations))
        conversation = session.scalars(select(Conversation).order_by(Conversation.id)).first()
        comment(session, conversation, CONTROLLED)
        clusters.add_cluster(session, name=CLUSTER_NAMES[0], recommendation_ids=ids[:1])
        clusters.add_cluster(session, name=CLUSTER_NAMES[1], recommendation_ids=ids[4:])
    return Answered(senders, ids)


@pytest.fixture
def answered(database) -> Answered:
    return answered_round(database)


def export(database, fmt, **options) -> tuple[bytes, int]:
    out = io.BytesIO()
    with database.unit_of_work() as session:
        rows = exports.export_round(session, CODE, fmt, out, **options)
    return out.getvalue(), rows


def csv_rows(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8")), delimiter=delimiter))


def timeless(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows without the moment of the export, which two exports never share."""
    return [r for r in rows if r["column"] != "exported_at"]


def sheet_rows(book, title: str) -> list[tuple]:
    return list(book[title].iter_rows(values_only=True))


def xml_of(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def expected_texts() -> list[str]:
    return [*HOSTILE, CONTROLLED_CLEAN]


def as_csv_cell(text: str) -> str:
    return "'" + text if text[0] in "=+-@" else text


# --- the aggregated export, on a real round ---------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_has_a_bom_the_delimiter_hidden_counts_and_inert_text(database, answered, delimiter):
    data, written = export(database, "csv", delimiter=delimiter)
    rows = csv_rows(data, delimiter)
    assert list(rows[0]) == exports.CSV_COLUMNS
    assert written == len(rows)
    assert data.splitlines()[0].count(delimiter.encode()) == len(exports.CSV_COLUMNS) - 1

    sector = {
        r["column"]: r["count"]
        for r in rows
        if r["table"] == "sector:overall" and r["row"] == "all"
    }
    # Six people work in education; nobody in health or justice, which a count below 5 hides.
    assert sector["education"] == "6"
    assert sector["health"] == "<5" and sector["justice"] == "<5"
    assert {r["column"]: r["text"] for r in rows if r["section"] == "round"}["round"] == CODE
    assert next(r for r in rows if r["section"] == "round" and r["column"] == "k")["count"] == "5"

    texts = [r["text"] for r in rows if r["section"] == "free_text"]
    assert sorted(texts) == sorted(as_csv_cell(t) for t in expected_texts())
    # A spreadsheet computes nothing: every text that would start a formula starts with '.
    assert not any(t[0] in "=+-@" for r in rows for t in r.values() if t)
    assert all(not set(t) & {chr(c) for c in range(32)} for r in rows for t in r.values())


def test_json_marks_hidden_counts_and_keeps_texts_as_written(database, answered):
    data, _ = export(database, "json")
    document = json.loads(data.decode("utf-8"))
    assert document["round"]["code"] == CODE and document["k"] == 5
    sector = next(t for t in document["tables"] if t["key"] == "sector:overall")
    cells = sector["rows"][0]["cells"]
    assert cells["education"] == {"count": 6, "suppressed": False}
    assert cells["health"] == {"count": None, "suppressed": True}
    texts = [item["text"] for item in document["free_text"]]
    # JSON carries no formulas: texts stay exactly as written, control characters aside.
    assert sorted(texts) == sorted(expected_texts())
    named = [item for item in document["free_text"] if item["disclosure"] == "named"]
    assert named and all(item["participant"].startswith("P-") for item in named)
    anonymous = [item for item in document["free_text"] if item["disclosure"] == "anonymous"]
    assert all(item["participant"] is None and item["organisation"] is None for item in anonymous)
    assert "\\u0007" not in data.decode("utf-8")


def test_xlsx_starts_with_a_readme_and_stores_text_as_text(database, answered):
    data, _ = export(database, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "README"
    readme = sheet_rows(book, "README")
    about = {row[0]: row[1] for row in readme if row and row[0]}
    assert about["round"] == CODE and about["k"] == 5 and about["title"] == "Mid-term check"
    assert about["languages"] == "en, fr" and about["survey"] == "every-kind"
    assert about["exported_at"]
    assert any(row[0] and "read <5" in row[0] for row in readme)

    titles = book.sheetnames
    assert all(len(t) <= 31 and not set(t) & FORBIDDEN_IN_TITLES for t in titles)
    assert len({t.casefold() for t in titles}) == len(titles)
    # One sheet per question, per cluster (their clashing names told apart), and free text.
    assert {"sector", "status", "Free text"} <= set(titles)
    cluster_sheets = [t for t in titles if t.startswith("Birth registration")]
    assert len(cluster_sheets) == 2
    for title in cluster_sheets:
        header, *statuses = sheet_rows(book, title)
        assert header[0] == "recommendation_id" and len(statuses) == 1

    sector = sheet_rows(book, "sector")
    header = sector[1]
    overall = dict(zip(header, sector[2], strict=True))
    assert overall["Education"] == 6 and overall["Health"] == "<5"

    free = book["Free text"]
    text_column = [c.value for c in next(free.iter_rows(max_row=1))].index("text") + 1
    cells = [free.cell(row=r, column=text_column) for r in range(2, free.max_row + 1)]
    assert sorted(c.value for c in cells) == sorted(expected_texts())
    assert all(c.data_type == "s" for c in cells)
    assert "<f>" not in xml_of(data) and "<f " not in xml_of(data)


# --- raw answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_raw_answers_name_people_by_pseudonym_only(database, answered, fmt):
    data, written = export(database, fmt, raw=True)
    with database.unit_of_work() as session:
        stored = session.scalar(select(func.count()).select_from(Answer))
        pseudonyms = set(session.scalars(select(Participant.pseudonym)))
    assert written == stored
    if fmt == "csv":
        rows = csv_rows(data)
        assert list(rows[0]) == RAW_COLUMNS
        text = data.decode("utf-8")
    elif fmt == "json":
        rows = json.loads(data)["answers"]
        text = data.decode("utf-8")
    else:
        header, *values = sheet_rows(openpyxl.load_workbook(io.BytesIO(data)), "Answers")
        rows = [dict(zip(header, row, strict=True)) for row in values]
        text = xml_of(data)
    assert len(rows) == stored
    assert {row["participant"] for row in rows} <= pseudonyms
    # The chat identities the answers came from appear nowhere in the file.
    assert not any(sender in text for sender in answered.senders)
    assert "platform-id" not in text


# --- refusals, streaming, progress ------------------------------------------------------------


def test_a_bad_delimiter_or_format_is_refused_before_anything_is_written(database, answered):
    out = io.BytesIO()
    with database.unit_of_work() as session:
        with pytest.raises(InvalidInput, match=r"delimiter: '\\t' is not allowed; use ','"):
            exports.export_round(session, CODE, "csv", out, delimiter="\t")
        with pytest.raises(InvalidInput, match="format: 'pdf' is not one of csv, xlsx, json"):
            exports.export_round(session, CODE, "pdf", out)
        with pytest.raises(NotFound, match="no round with the code 'NOPE'"):
            exports.stream_round(session, "NOPE", "csv")
    assert out.getvalue() == b""


def test_a_large_round_streams_in_chunks_and_reports_progress(database):
    open_round(database)
    person = ChatParticipant(database, PSEUDONYM_KEY, sender="someone", now=NOW)
    run(person, FULL_RUN[:3])
    versions = 1200
    with database.unit_of_work() as session:
        conversation = session.scalars(select(Conversation)).one()
        for n in range(versions):
            comment(session, conversation, f"version {n}: " + "a long comment " * 8)
    seen: list[int] = []
    with database.unit_of_work() as session:
        chunks = list(exports.stream_round(session, CODE, "csv", raw=True, progress=seen.append))
    assert len(chunks) > 1
    # Chunks are cut as they fill: their size does not grow with the round.
    assert all(len(c) < 2 * exports.CHUNK_SIZE for c in chunks)
    rows = csv_rows(b"".join(chunks))
    assert len(rows) == versions + 1  # the answer to `involved`, then the comments
    assert seen == sorted(seen) and seen[-1] == len(rows)
    assert exports.PROGRESS_EVERY <= seen[0] < 2 * exports.PROGRESS_EVERY


# --- the writers, on results built by hand ----------------------------------------------------


def _hand_built() -> tuple[RoundResults, list[FreeText]]:
    table = Table(
        key="q:cluster",
        title="=1+1 asks",
        dimension="cluster",
        dimension_label="Cluster",
        rows=[("=evil", "=evil"), ("fine", "fine")],
        columns=[("yes", "Yes"), ("no", "-No")],
        cells={("=evil", "yes"): Cell(7), ("=evil", "no"): Cell(2, True)},
        row_totals={"=evil": Cell(9), "fine": Cell(0, True)},
        column_totals=None,
        total=Cell(9),
        question_id="q",
        question_kind="yes_no",
    )
    results = RoundResults(round={"code": "HAND1", "title": "By hand"}, k=3, tables=[table])
    texts = [
        FreeText(
            question_id="q",
            question="Why?",
            recommendation_id=None,
            text=text,
            disclosure="anonymous",
            language="ar",
            channel="webhook",
            date="2027-03-01",
        )
        for text in [*HOSTILE, "nul\x00bell\x07del\x7fend"]
    ]
    return results, texts


HAND_TEXTS = [*HOSTILE, "nulbelldelend"]


def test_hand_built_csv_hides_with_the_rounds_k_and_quotes_formulas():
    results, texts = _hand_built()
    data = b"".join(exports.render_results(results, texts, "csv", delimiter=";"))
    rows = csv_rows(data, ";")
    cells = {(r["row"], r["column"]): r["count"] for r in rows if r["table"] == "q:cluster"}
    assert cells[("'=evil", "yes")] == "7" and cells[("'=evil", "no")] == "<3"
    assert cells[("fine", "total")] == "<3"
    assert next(r for r in rows if r["table"] == "q:cluster")["title"] == "'=1+1 asks"
    assert [r["text"] for r in rows if r["section"] == "free_text"] == [
        as_csv_cell(t) for t in HAND_TEXTS
    ]


def test_hand_built_json_and_xlsx_keep_texts_intact_and_inert():
    results, texts = _hand_built()
    document = json.loads(b"".join(exports.render_results(results, texts, "json")))
    assert [t["text"] for t in document["free_text"]] == HAND_TEXTS
    assert document["tables"][0]["rows"][0]["cells"]["no"] == {"count": None, "suppressed": True}

    data = b"".join(
        exports.render_results(
            results, texts, "xlsx", clusters=[("History", []), ("a" * 40 + "?", [])]
        )
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["README", "Response", "q", "Free text"]
    block = sheet_rows(book, "q")
    assert block[0][0] == "=1+1 asks: Cluster"
    assert block[2][:4] == ("=evil", 7, "<3", 9)
    assert book["q"]["A3"].data_type == "s"
    free = [row[3] for row in sheet_rows(book, "Free text")[1:]]
    assert free == HAND_TEXTS
    assert "<f>" not in xml_of(data)


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("status", set(), "status"),
        ("status", {"status"}, "status (2)"),
        ("STATUS", {"status", "status (2)"}, "STATUS (3)"),
        ("a: b / c? d* [e] \\ f", set(), "a- b - c- d- -e- - f"),
        ("x" * 40, set(), "x" * 31),
        ("x" * 40, {"x" * 31}, "x" * 27 + " (2)"),
        ("History", set(), "History-"),
        ("'quoted'", set(), "quoted"),
        ("\x00\x07", set(), "Sheet"),
    ],
)
def test_sheet_titles_are_ones_a_spreadsheet_accepts(name, taken, expected):
    assert exports.sheet_title(name, taken) == expected
    assert expected.casefold() in taken


# --- who may take raw answers -----------------------------------------------------------------


def test_no_role_takes_raw_answers_and_organisers_export_results():
    assert not any(Permission.EXPORT_RAW in granted for granted in ROLE_PERMISSIONS.values())
    assert {r for r, granted in ROLE_PERMISSIONS.items() if Permission.EXPORT in granted} == {
        Role.ORGANISER
    }


def test_export_raw_is_granted_to_named_verified_organisers_only(database):
    with database.unit_of_work() as session:
        organiser = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER
        )
        other = people.add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER)
        member = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.CIVIL_SOCIETY
        )
        with pytest.raises(PermissionDenied, match="named, verified organisers only"):
            require_of(organiser, Permission.EXPORT_RAW)
        assert permissions.grant(session, organiser, "export_raw", "cli") is True
        assert permissions.grant(session, organiser, "export_raw", "cli") is False
        require_of(organiser, Permission.EXPORT_RAW)
        with pytest.raises(PermissionDenied):
            require_of(other, Permission.EXPORT_RAW)
        with pytest.raises(InvalidInput, match="'civil_society', not an organiser"):
            permissions.grant(session, member, "export_raw", "cli")
        with pytest.raises(InvalidInput, match="only export_raw can"):
            permissions.grant(session, other, "results:export", "cli")
        ids = organiser.id, other.id
    with database.unit_of_work() as session:
        organiser, other = (session.get(Participant, i) for i in ids)
        assert organiser.grants == ["export_raw"] and other.grants == []
        # A grant counts for a verified organiser only.
        organiser.verified_at = None
        with pytest.raises(PermissionDenied):
            require_of(organiser, Permission.EXPORT_RAW)
        with pytest.raises(InvalidInput, match="not yet verified"):
            permissions.grant(session, organiser, "export_raw", "cli")
        organiser.verified_at = NOW
        assert permissions.revoke(session, organiser, "export_raw", "cli") is True
        assert permissions.revoke(session, organiser, "export_raw", "cli") is False
        with pytest.raises(PermissionDenied):
            require_of(organiser, Permission.EXPORT_RAW)
        lines = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.in_(["participant.granted", "participant.revoked"]))
            .order_by(AuditEntry.id)
        ).all()
        assert [(a.action, a.subject_id, a.details) for a in lines] == [
            ("participant.granted", organiser.pseudonym, {"permission": "export_raw"}),
            ("participant.revoked", organiser.pseudonym, {"permission": "export_raw"}),
        ]


def test_the_csv_never_lets_a_total_give_a_hidden_count_away(database):
    from tests.core.test_results import _sector_round

    # 30 answers: health 19, education 8, justice 3. Hiding only the 3 would leave 30-19-8.
    _sector_round(database)
    out = io.BytesIO()
    with database.unit_of_work() as session:
        exports.export_round(session, "RES01", "csv", out)
    rows = [r for r in csv_rows(out.getvalue()) if r["section"] == "answers"]
    overall = {r["column"]: r["count"] for r in rows if r["table"] == "sector:overall"}
    assert overall == {"health": "19", "education": "<5", "justice": "<5", "total": "30"}
    # Every table of the question, row by row and column by column: never one hidden count
    # in a line whose total is shown.
    tables: dict[str, dict[tuple[str, str], str]] = {}
    for r in rows:
        if r["question"] == "sector":
            tables.setdefault(r["table"], {})[(r["row"], r["column"])] = r["count"]
    assert set(tables) >= {"sector:overall", "sector:language", "sector:channel"}
    for name, cells in tables.items():
        for axis in (0, 1):
            lines: dict[str, dict[str, str]] = {}
            for key, count in cells.items():
                lines.setdefault(key[axis], {})[key[1 - axis]] = count
            for line, counts in lines.items():
                # Only a line that publishes its total is a sum a reader can use.
                if "total" in counts and line != "total":
                    hidden = sum(c == "<5" for c in counts.values())
                    assert hidden != 1, (name, line, counts)
    by_language = tables["sector:language"]
    assert by_language[("total", "justice")] == "<5" and by_language[("total", "education")] == "<5"

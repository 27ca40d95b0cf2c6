"""Reading recommendation files: formats, encodings, line numbers and whole-file refusals."""

from __future__ import annotations

import builtins
import codecs
import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from core.importing import encoding as encoding_module
from core.importing.encoding import first_decode_failure
from core.importing.readers import (
    ImportFileError,
    ImportFormat,
    RecommendationFile,
    open_recommendation_file,
    template_header,
)
from core.importing.records import RecommendationRecord, RowProblem, SdgTarget
from core.vocabulary import Mechanism, Position, RecommendationType

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
SHARED_UPR_INFO = (
    Path(__file__).resolve().parents[3].parent / "shared" / "data" / "upr-info" / "sessions-1-5.csv"
)
DEMO = REPO / "core" / "demo" / "recommendations.csv"

UHRI_CSV_LINES = [2, 5, 8, 13, 17, 19, 22, 25, 26, 28, 31, 32]
ANNOTATION = "3f9a1c52-7d4e-4b1a-9c0e-5a6b7c8d9e"


def read_all(
    path: Path, **options: Any
) -> tuple[RecommendationFile, list[RecommendationRecord], list[RowProblem]]:
    """Open a file, read every row and split records from problems."""
    with open_recommendation_file(path, **options) as source:
        rows = list(source.rows)
    records = [r for r in rows if isinstance(r, RecommendationRecord)]
    problems = [r for r in rows if isinstance(r, RowProblem)]
    assert len(records) + len(problems) == len(rows)
    return source, records, problems


def refusal(path: Path, **options: Any) -> ImportFileError:
    """The ImportFileError opening this file raises."""
    with pytest.raises(ImportFileError) as caught:
        open_recommendation_file(path, **options)
    assert str(path) in str(caught.value)
    return caught.value


def by_id(records: list[RecommendationRecord]) -> dict[str, RecommendationRecord]:
    return {r.source_id[-3:]: r for r in records if r.source_id}


def write_csv(path: Path, header: list[str], rows: list[list[str]], line_end: str = "\n") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def template_row(**values: str) -> list[str]:
    """A template row with the given columns filled and the required ones defaulted."""
    filled = {
        "mechanism": "upr",
        "body": "UPR",
        "state_under_review": "Valdoria",
        "text": "Adopt a law on access to information.",
    }
    filled.update(values)
    return [filled.get(column, "") for column in template_header()]


# ---------------------------------------------------------------------------------------------
# The real UPR Info export
# ---------------------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_shared_upr_info_export_reads_completely() -> None:
    if not SHARED_UPR_INFO.exists():
        pytest.skip(f"{SHARED_UPR_INFO} is absent (it sits beside the repository in ../shared)")
    source, records, problems = read_all(SHARED_UPR_INFO)

    assert source.format is ImportFormat.UPR_INFO
    assert source.encoding == "mac_roman"
    assert len(records) == 6094
    assert problems == []
    assert sum(r.state_under_review == "Viet Nam" for r in records) == 172
    habre = [r for r in records if r.state_under_review == "Senegal" and "Habr" in r.text]
    assert habre and all("Hissène Habré" in r.text for r in habre)
    assert records[0].line == 2 and records[-1].line == 6095
    assert {r.upr_cycle for r in records} == {1}
    assert {r.mechanism for r in records} == {Mechanism.UPR}


# ---------------------------------------------------------------------------------------------
# UHRI exports
# ---------------------------------------------------------------------------------------------


def test_uhri_xlsx_fields() -> None:
    source, records, problems = read_all(FIXTURES / "uhri-en.xlsx")

    assert source.format is ImportFormat.UHRI
    assert source.encoding == "xlsx"
    assert problems == []
    assert [r.line for r in records] == list(range(2, 14))
    rows = by_id(records)

    first = rows["e01"]
    assert first.source_id == f"{ANNOTATION}01"
    assert first.paragraph == "125.1"
    assert first.text.startswith("Ratify the Optional Protocol")
    assert first.state_under_review == "Valdoria"
    assert (first.mechanism, first.body) == (Mechanism.UPR, "UPR")
    assert first.recommending_states == ("Denmark", "Czechia")
    assert first.position is Position.SUPPORTED
    assert first.kind is RecommendationType.RECOMMENDATION
    assert (first.upr_session, first.upr_cycle) == (44, 4)
    assert first.published_on == date(2024, 1, 9)
    assert first.document_symbol == "A/HRC/55/9"
    assert first.themes == (
        "Acceptance of international norms",
        "Torture and other cruel, inhuman or degrading treatment",
    )
    assert first.affected_persons == ("Persons deprived of their liberty",)
    assert first.regions == ("Eastern Europe",)
    assert first.sdg_targets == (
        SdgTarget(
            "16.3",
            "Promote the rule of law at the national and international levels and ensure "
            "equal access to justice for all",
        ),
    )
    assert first.language == "en"

    assert rows["e03"].position is Position.NOTED
    assert rows["e03"].recommending_states == ("Norway", "Canada", "Uruguay")
    assert rows["e03"].sdg_targets[0].code == "16.10"
    assert rows["e04"].position is Position.SUPPORTED_IN_PART
    assert [t.code for t in rows["e04"].sdg_targets] == ["5.2", "5"]
    assert rows["e04"].sdg_targets[1] == SdgTarget("5", "GENDER EQUALITY")
    # "- 44" instead of "- 44th session", and the date stored as the float 45300.0
    assert rows["e05"].upr_session == 44
    assert rows["e05"].published_on == date(2024, 1, 9)
    assert rows["e06"].paragraph == "125.101"
    assert rows["e06"].recommending_states == ("Australia", "Côte d'Ivoire", "Portugal")
    assert rows["e06"].text.endswith("in line with Valdoria’s commitments")

    crc = rows["e07"]
    assert (crc.mechanism, crc.body) == (Mechanism.TREATY_BODY, "CRC")
    assert crc.paragraph is None
    assert crc.text.startswith("The Committee recommends")
    assert crc.position is None
    assert crc.upr_session is None and crc.upr_cycle is None
    assert crc.recommending_states == ()
    assert crc.published_on == date(2023, 11, 4)
    assert crc.affected_persons == ("Children", "Asylum seekers")

    assert (rows["e08"].body, rows["e08"].kind) == ("CEDAW", RecommendationType.RECOMMENDATION)
    assert (rows["e09"].body, rows["e09"].kind) == ("CEDAW", RecommendationType.CONCERN)
    assert rows["e10"].body == "CRPD"
    assert rows["e11"].mechanism is Mechanism.SPECIAL_PROCEDURE
    assert rows["e11"].body == "Special Rapporteur on the right to education"
    assert (rows["e12"].mechanism, rows["e12"].body) == (Mechanism.TREATY_BODY, "CCPR")
    # A real date cell rather than a serial number.
    assert rows["e12"].published_on == date(2023, 11, 3)


def test_uhri_csv_in_cp1252_matches_the_workbook() -> None:
    raw = (FIXTURES / "uhri-en.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")

    source, records, problems = read_all(FIXTURES / "uhri-en.csv")

    assert source.format is ImportFormat.UHRI
    assert source.encoding == "cp1252"
    assert problems == []
    # Multi-value cells span several physical lines, so records start further down each time.
    assert [r.line for r in records] == UHRI_CSV_LINES
    physical = re.split(rb"\r\n|\r|\n", raw)
    for record in records:
        assert physical[record.line - 1].lstrip(b'"').startswith(b"- ")

    _, from_workbook, _ = read_all(FIXTURES / "uhri-en.xlsx")
    assert [replace(r, line=0) for r in records] == [replace(r, line=0) for r in from_workbook]
    assert "Côte d'Ivoire" in by_id(records)["e06"].recommending_states
    assert "Valdoria’s" in by_id(records)["e06"].text


def test_uhri_french_export_carries_its_language() -> None:
    source, records, problems = read_all(FIXTURES / "uhri-fr.xlsx", language="fr")
    _, english, _ = read_all(FIXTURES / "uhri-en.xlsx")

    assert source.format is ImportFormat.UHRI
    assert problems == []
    assert {r.language for r in records} == {"fr"}
    assert [r.source_id for r in records] == [r.source_id for r in english]
    rows = by_id(records)
    assert rows["e01"].paragraph == "125.1"
    assert rows["e01"].text.startswith("Ratifier le Protocole facultatif se rapportant à la")
    assert rows["e02"].themes == ("Enregistrement des naissances", "Droit à une nationalité")
    assert "l'État partie" in rows["e07"].text
    # French names of the UPR and of treaty bodies map to the same codes as in English.
    bodies = [(r.mechanism, r.body) for r in records]
    assert bodies[:10] == [(r.mechanism, r.body) for r in english[:10]]
    assert bodies[10:] == [
        (Mechanism.SPECIAL_PROCEDURE, "Rapporteuse spéciale sur le droit à l'éducation"),
        (Mechanism.TREATY_BODY, "CCPR"),
    ]
    assert rows["e01"].stable_key() == by_id(english)["e01"].stable_key()


def test_uhri_bad_rows_are_reported_with_their_lines() -> None:
    _, records, problems = read_all(FIXTURES / "uhri-bad-rows.xlsx")

    assert [r.line for r in records] == [2, 4]
    assert [p.line for p in problems] == [3, 5]
    assert problems[0].reason == "OHCHR Annotation Id is empty"
    assert "UPR Position 'Maybe'" in problems[1].reason
    assert "Supported, Noted, Supported/Noted" in problems[1].reason


def uhri_csv(tmp_path: Path, **changes: str) -> Path:
    """The first row of the UHRI fixture with some cells replaced, as a UTF-8 CSV."""
    with (FIXTURES / "uhri-en.csv").open(encoding="cp1252", newline="") as fh:
        header, row = list(csv.reader(fh))[:2]
    cells = dict(zip(header, row, strict=True))
    cells.update(changes)
    return write_csv(tmp_path / "uhri.csv", header, [[cells[c] for c in header]])


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"Type": "- Opinions"}, "Type 'Opinions' is not one of"),
        ({"Text": "- "}, "Text is empty"),
        ({"Countries Concerned": ""}, "Countries Concerned is empty"),
        ({"Reccomending Body": ""}, "Reccomending Body is empty"),
        ({"UPR Session": "- session"}, "UPR Session 'session' is not a session number"),
        ({"Document Publication Date": "soon"}, "Document Publication Date 'soon' is not a date"),
        ({"Sdgs": "- Peace and justice"}, "Sdgs value 'Peace and justice' is not an SDG"),
    ],
)
def test_uhri_row_problems(tmp_path: Path, changes: dict[str, str], reason: str) -> None:
    _, records, problems = read_all(uhri_csv(tmp_path, **changes))
    assert records == []
    assert [p.line for p in problems] == [2]
    assert reason in problems[0].reason


@pytest.mark.parametrize(
    ("body", "mechanism", "code"),
    [
        ("- committee on the rights of the child", Mechanism.TREATY_BODY, "CRC"),
        ("- Committee on the Elimination of Racial Discrimination", Mechanism.TREATY_BODY, "CERD"),
        ("- cescr", Mechanism.TREATY_BODY, "CESCR"),
        ("- Committee against Torture (CAT)", Mechanism.TREATY_BODY, "CAT"),
        ("- Universal Periodic Review", Mechanism.UPR, "UPR"),
        (
            "- Working Group on Arbitrary Detention",
            Mechanism.SPECIAL_PROCEDURE,
            "Working Group on Arbitrary Detention",
        ),
    ],
)
def test_uhri_bodies(tmp_path: Path, body: str, mechanism: Mechanism, code: str) -> None:
    _, records, problems = read_all(uhri_csv(tmp_path, **{"Reccomending Body": body}))
    assert problems == []
    assert (records[0].mechanism, records[0].body) == (mechanism, code)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("44197", date(2021, 1, 1)),
        ("44197.0", date(2021, 1, 1)),
        ("- 44197", date(2021, 1, 1)),
        ("2021-01-01", date(2021, 1, 1)),
        ("2021-01-01T00:00:00", date(2021, 1, 1)),
        ("", None),
    ],
)
def test_uhri_dates(tmp_path: Path, cell: str, expected: date | None) -> None:
    path = uhri_csv(tmp_path, **{"Document Publication Date": cell})
    _, records, problems = read_all(path)
    assert problems == []
    assert records[0].published_on == expected


# ---------------------------------------------------------------------------------------------
# UPR Info exports
# ---------------------------------------------------------------------------------------------


def test_upr_info_small_mac_roman_with_cr_line_ends() -> None:
    raw = (FIXTURES / "upr-info-small.csv").read_bytes()
    assert b"\n" not in raw and raw.count(b"\r") == 6

    source, records, problems = read_all(FIXTURES / "upr-info-small.csv")

    assert source.format is ImportFormat.UPR_INFO
    assert source.encoding == "mac_roman"
    assert problems == []
    assert [r.line for r in records] == [2, 3, 4, 5, 6]

    first = records[0]
    assert first.state_under_review == "Valdoria"
    assert (first.mechanism, first.body) == (Mechanism.UPR, "UPR")
    assert first.recommending_states == ("Sweden",)
    assert first.position is Position.SUPPORTED
    assert first.action_category == 5
    assert first.themes == ("Disabilities", "International instruments")
    assert (first.upr_session, first.upr_cycle) == (3, 1)
    assert first.regions == ("EEG",)
    assert first.source_id is None

    assert records[1].recommending_states == ("São Tomé and Príncipe",)
    assert "(Défenseur des droits)" in records[1].text
    # The exact duplicate is read twice; recognising it is the store's job, by its key.
    assert records[1].stable_key() == records[2].stable_key()
    assert records[1].content_fingerprint() == records[2].content_fingerprint()

    assert records[3].position is Position.NOTED
    last = records[4]
    assert last.position is None and last.action_category is None
    assert last.themes == ("Trafficking", "Women's rights")


UPR_INFO_HEADER = [
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
]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"Session": "x"}, "Session 'x' is not a number"),
        ({"Session": ""}, "Session is empty"),
        ({"Action": "9"}, "Action '9' is not a number from 1 to 5"),
        ({"Response": "Maybe"}, "Response 'Maybe' is not Accepted or Noted"),
        ({"Text": "  "}, "Text is empty"),
        ({"To": ""}, "To is empty"),
    ],
)
def test_upr_info_row_problems(tmp_path: Path, changes: dict[str, str], reason: str) -> None:
    cells = dict.fromkeys(UPR_INFO_HEADER, "")
    cells.update(To="Valdoria", Text="Abolish the death penalty.", From="Chile", Session="3")
    cells.update(changes)
    path = write_csv(tmp_path / "upr.csv", UPR_INFO_HEADER, [[cells[c] for c in UPR_INFO_HEADER]])
    _, records, problems = read_all(path)
    assert records == []
    assert problems == [RowProblem(2, reason)]


# ---------------------------------------------------------------------------------------------
# Consulta's template
# ---------------------------------------------------------------------------------------------


def test_template_fields() -> None:
    source, records, problems = read_all(FIXTURES / "template.csv", language="es")

    assert source.format is ImportFormat.TEMPLATE
    assert source.encoding == "utf-8"
    assert problems == []
    assert [r.line for r in records] == [2, 3, 4, 5, 6]

    upr, cedaw, crc, special, french = records
    assert (upr.mechanism, upr.body, upr.paragraph) == (Mechanism.UPR, "UPR", "125.14")
    assert upr.recommending_states == ("Mexico", "Türkiye")
    assert upr.themes == ("Birth registration", "Right to a nationality")
    assert upr.sdg_targets == (
        SdgTarget("16.9", "Provide legal identity for all, including birth registration"),
    )
    assert (upr.upr_cycle, upr.upr_session) == (4, 44)
    assert upr.published_on == date(2024, 1, 9)
    assert upr.position is Position.SUPPORTED
    assert upr.source_id is None
    assert upr.language == "es"

    assert (cedaw.body, cedaw.kind, cedaw.source_id) == (
        "CEDAW",
        RecommendationType.CONCERN,
        "vld-cedaw-2024-21",
    )
    assert cedaw.sdg_targets == (SdgTarget("5.5"),)
    assert crc.body == "CRC"  # written "crc"
    assert [t.code for t in crc.sdg_targets] == ["5.3", "16.9"]
    assert crc.affected_persons == ("Children", "Women and girls")
    assert special.mechanism is Mechanism.SPECIAL_PROCEDURE
    assert special.body == "Special Rapporteur on the rights of persons with disabilities"
    assert special.published_on is None
    assert french.language == "fr"
    assert french.position is Position.SUPPORTED_IN_PART
    # The cycle is worked out from the session when the column is left empty.
    assert (french.upr_session, french.upr_cycle) == (44, 4)


def test_template_bad_rows() -> None:
    _, records, problems = read_all(FIXTURES / "template-bad.csv")

    assert [r.line for r in records] == [2, 4]
    assert problems == [
        RowProblem(3, "mechanism 'treaty' is not one of upr, treaty_body, special_procedure"),
        RowProblem(5, "text is empty"),
    ]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"mechanism": "treaty_body", "body": "CCPRX"}, "body 'CCPRX' is not a treaty body code"),
        ({"body": "CRC"}, "body 'CRC' is not UPR, but mechanism is upr"),
        ({"position": "accepted"}, "position 'accepted' is not one of"),
        ({"type": "opinion"}, "type 'opinion' is not one of recommendation, concern"),
        ({"sdg_targets": "18.1"}, "sdg_targets value '18.1' is not an SDG goal or target"),
        ({"upr_session": "forty"}, "upr_session 'forty' is not a number"),
        ({"published_on": "09/01/2024"}, "published_on '09/01/2024' is not a date (YYYY-MM-DD)"),
        ({"language": "French"}, "language 'French' is not a language code"),
        ({"state_under_review": ""}, "state_under_review is empty"),
    ],
)
def test_template_row_problems(tmp_path: Path, values: dict[str, str], reason: str) -> None:
    path = write_csv(tmp_path / "t.csv", template_header(), [template_row(**values)])
    _, records, problems = read_all(path)
    assert records == []
    assert [p.line for p in problems] == [2]
    assert reason in problems[0].reason


def test_template_header_is_accepted_and_extra_columns_ignored(tmp_path: Path) -> None:
    assert template_header()[:5] == ["source_id", "mechanism", "body", "state_under_review", "text"]
    assert len(template_header()) == 17
    header = [*template_header(), "internal note"]
    path = write_csv(tmp_path / "t.csv", header, [[*template_row(), "ignore me"]])
    source, records, problems = read_all(path)
    assert source.format is ImportFormat.TEMPLATE
    assert problems == [] and len(records) == 1


def test_template_with_bom_and_only_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    content = (
        "mechanism,body,state_under_review,text\r\n"
        "treaty_body,Committee on Enforced Disappearances,Valdoria,Search for the disappeared.\r\n"
    )
    path.write_bytes(codecs.BOM_UTF8 + content.encode("utf-8"))
    source, records, problems = read_all(path)
    assert source.encoding == "utf-8-sig"
    assert problems == []
    assert (records[0].mechanism, records[0].body) == (Mechanism.TREATY_BODY, "CED")


def test_template_saved_with_semicolons(tmp_path: Path) -> None:
    # What a spreadsheet in a French or Spanish locale writes when saving as CSV.
    path = tmp_path / "t.csv"
    rows = [template_row(themes="Detention, conditions; Right to health")]
    content = io.StringIO()
    csv.writer(content, delimiter=";", lineterminator="\r\n").writerows([template_header(), *rows])
    path.write_text(content.getvalue(), encoding="utf-8")

    source, records, problems = read_all(path)
    assert source.format is ImportFormat.TEMPLATE
    assert problems == []
    assert records[0].themes == ("Detention, conditions", "Right to health")


def test_template_as_a_workbook(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(template_header())
    row: list[object] = list(template_row(paragraph="125.3"))
    row[template_header().index("upr_session")] = 44
    row[template_header().index("published_on")] = datetime(2024, 1, 9)
    sheet.append(row)
    workbook.save(tmp_path / "t.xlsx")

    source, records, problems = read_all(tmp_path / "t.xlsx")
    assert (source.format, source.encoding) == (ImportFormat.TEMPLATE, "xlsx")
    assert problems == []
    assert records[0].upr_session == 44 and records[0].upr_cycle == 4
    assert records[0].published_on == date(2024, 1, 9)
    assert records[0].paragraph == "125.3"


# ---------------------------------------------------------------------------------------------
# Line ends and line numbers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_line_endings_give_the_same_records_and_lines(tmp_path: Path, line_end: str) -> None:
    text = "First paragraph of the recommendation.\nSecond paragraph.\nThird paragraph."
    rows = [
        template_row(text="One-line recommendation."),
        template_row(text=text),
        template_row(text="After the multi-line one."),
        template_row(text=""),
    ]
    content = io.StringIO()
    csv.writer(content, lineterminator="\n").writerows([template_header(), *rows])
    path = tmp_path / "t.csv"
    path.write_bytes(content.getvalue().replace("\n", line_end).encode("utf-8"))

    _, records, problems = read_all(path)

    assert [r.line for r in records] == [2, 3, 6]
    assert records[1].text == text
    assert problems == [RowProblem(7, "text is empty")]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    body = ",".join(template_row())
    path.write_text(",".join(template_header()) + f"\n\n{body}\n\n\n{body}\n", encoding="utf-8")
    _, records, _ = read_all(path)
    assert [r.line for r in records] == [3, 6]


# ---------------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------------


def test_template_that_is_not_utf8_is_refused_with_its_line() -> None:
    path = FIXTURES / "not-utf8-template.csv"
    error = refusal(path)
    assert error.line == 3
    assert "not UTF-8" in error.reason
    assert "no default encoding for this format" in error.reason
    assert "--encoding" in error.reason
    assert str(error).startswith(f"{path}, line 3: ")


def test_encoding_override() -> None:
    source, records, problems = read_all(FIXTURES / "not-utf8-template.csv", encoding="latin-1")
    assert source.encoding == "latin-1"
    assert problems == []
    assert (
        records[1].text
        == "Garantir l'accès des personnes détenues à un avocat dès leur arrestation"
    )


def test_wrong_encoding_override_names_the_first_bad_line() -> None:
    path = FIXTURES / "uhri-en.csv"
    physical = re.split(rb"\r\n|\r|\n", path.read_bytes())
    first_non_ascii = next(i for i, line in enumerate(physical, 1) if max(line) > 0x7F)

    error = refusal(path, encoding="utf-8")
    assert error.line == first_non_ascii == 19
    assert "cannot be decoded as utf-8" in error.reason
    assert "byte 0x92" in error.reason


def test_unknown_codec_name() -> None:
    error = refusal(FIXTURES / "template.csv", encoding="klingon")
    assert "unknown encoding 'klingon'" in error.reason
    error = refusal(FIXTURES / "template.csv", encoding="rot13")
    assert "unknown encoding" in error.reason


def test_uhri_csv_that_is_neither_utf8_nor_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "uhri.csv"
    # 0x81 is unassigned in cp1252.
    path.write_bytes((FIXTURES / "header-only.csv").read_bytes() + b"- abc\x81,x\r\n")
    error = refusal(path)
    assert error.line == 2
    assert "neither UTF-8 nor cp1252" in error.reason


def test_decode_failure_line_is_counted_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny chunks put CRLF pairs and multi-byte characters across chunk boundaries.
    monkeypatch.setattr(encoding_module, "CHUNK_SIZE", 3)
    path = tmp_path / "mixed.csv"
    path.write_bytes("a\r\nb\rcé\ndé\r\n\r\n".encode() + b"x\xff\r\n")
    failure = first_decode_failure(path, "utf-8")
    assert failure is not None
    assert (failure.line, failure.byte) == (6, 0xFF)
    assert first_decode_failure(FIXTURES / "template.csv", "utf-8") is None


def test_large_file_decode_failure_line(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    good = ",".join(template_row(text="Répondre à la recommandation sans délai.")) + "\n"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(template_header()) + "\n")
        fh.write(good * 40_000)
    with path.open("ab") as fh:
        fh.write(b"upr,UPR,Valdoria,caf\xe9\n")
    assert path.stat().st_size > 2 * encoding_module.CHUNK_SIZE
    error = refusal(path)
    assert error.line == 40_002


# ---------------------------------------------------------------------------------------------
# Whole-file refusals
# ---------------------------------------------------------------------------------------------


def test_missing_columns() -> None:
    error = refusal(FIXTURES / "missing-columns.csv")
    assert error.line == 1
    assert error.reason == "missing columns: Themes, Sdgs (UHRI export layout)"


def test_missing_template_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("mechanism,body,text\nupr,UPR,Do something.\n", encoding="utf-8")
    assert refusal(path).reason == "missing columns: state_under_review (Consulta template layout)"


def test_forced_format_that_does_not_match() -> None:
    error = refusal(FIXTURES / "uhri-en.csv", format=ImportFormat.UPR_INFO)
    assert error.reason.startswith("missing columns: To, From, Response")
    assert "(UPR Info export layout)" in error.reason


def test_unknown_format() -> None:
    error = refusal(FIXTURES / "unknown-format.csv")
    assert error.line == 1
    assert "unknown format" in error.reason
    for accepted in ("uhri", "upr-info", "consulta"):
        assert accepted in error.reason


def test_empty_and_header_only_files() -> None:
    error = refusal(FIXTURES / "empty.csv")
    assert error.reason == "is empty" and error.line is None
    error = refusal(FIXTURES / "header-only.csv")
    assert "has no recommendations" in error.reason and error.line == 1


def test_blank_lines_only_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\r\n\r\n,,\r\n")
    assert refusal(path).reason == "is empty"


def test_missing_file(tmp_path: Path) -> None:
    error = refusal(tmp_path / "nowhere.csv")
    assert error.reason == "no such file"


def test_directory_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path).reason == "is not a regular file"


def test_file_over_the_limit_is_refused_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: takes no disk space

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(builtins, "open", no_reading)
    started = time.monotonic()
    error = refusal(path)
    assert time.monotonic() - started < 1
    assert "200.0 MB" in error.reason
    assert "100.0 MB" in error.reason
    assert "CONSULTA_IMPORT_MAX_BYTES" in error.reason


def test_custom_limit() -> None:
    error = refusal(FIXTURES / "uhri-en.csv", max_bytes=1000)
    assert "(1,000 bytes)" in error.reason


def test_broken_workbooks(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"Text,Countries Concerned\n")
    assert "cannot be opened as an xlsx workbook" in refusal(fake).reason

    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes((FIXTURES / "uhri-en.xlsx").read_bytes()[:2000])
    assert "cannot be opened as an xlsx workbook" in refusal(truncated).reason

    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    assert ".xls" in refusal(old).reason


def test_header_only_and_empty_workbooks(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.save(tmp_path / "empty.xlsx")
    assert "is empty" in refusal(tmp_path / "empty.xlsx").reason

    workbook.active.append(template_header())
    workbook.save(tmp_path / "header.xlsx")
    error = refusal(tmp_path / "header.xlsx")
    assert "has no recommendations" in error.reason and error.line == 1


# ---------------------------------------------------------------------------------------------
# Streaming and closing
# ---------------------------------------------------------------------------------------------


def test_rows_are_lazy_and_close_releases_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, template_header(), [template_row() for _ in range(5)] + [template_row(text="")])
    source = open_recommendation_file(path)
    assert isinstance(source.rows, Iterator)
    assert isinstance(next(source.rows), RecommendationRecord)
    source.close()
    assert list(source.rows) == []
    source.close()  # twice is harmless


def test_closing_before_reading(tmp_path: Path) -> None:
    with open_recommendation_file(FIXTURES / "uhri-en.xlsx") as source:
        pass
    assert list(source.rows) == []


def test_unbalanced_quote_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    row = ",".join(template_row())
    # The quote never closes, so the cell outgrows csv's field size limit (128 KiB).
    runaway = '"' + "x" * 200_000
    path.write_text(",".join(template_header()) + f"\n{row}\n{runaway}\n", encoding="utf-8")
    with open_recommendation_file(path) as source:
        assert isinstance(next(source.rows), RecommendationRecord)
        with pytest.raises(ImportFileError) as caught:
            next(source.rows)
    assert caught.value.line == 3
    assert "is not a readable CSV file" in caught.value.reason


# ---------------------------------------------------------------------------------------------
# The demo data
# ---------------------------------------------------------------------------------------------


def test_demo_recommendations_import_cleanly() -> None:
    source, records, problems = read_all(DEMO)

    assert (source.format, source.encoding) == (ImportFormat.UHRI, "utf-8")
    assert problems == []
    assert len(records) == 30
    assert len({r.source_id for r in records}) == 30
    assert {r.state_under_review for r in records} == {"Republic of Arcadia"}
    assert {r.mechanism for r in records} == set(Mechanism)
    assert {r.body for r in records if r.mechanism is Mechanism.TREATY_BODY} == {
        "CRC",
        "CEDAW",
        "CCPR",
        "CRPD",
    }
    upr = [r for r in records if r.mechanism is Mechanism.UPR]
    assert {(r.upr_cycle, r.upr_session) for r in upr} == {(4, 46)}
    assert all(r.paragraph and r.paragraph.startswith("137.") for r in upr)
    assert all(r.recommending_states and r.position for r in upr)
    assert all(r.sdg_targets for r in records if r.mechanism is not Mechanism.UPR)
    themes = {theme for r in records for theme in r.themes}
    for wanted in ("Birth registration", "Violence against women", "Conditions of detention"):
        assert wanted in themes

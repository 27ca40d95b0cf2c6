"""`consulta report` and GET /api/v1/rounds/{code}/report, as an organiser runs them."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient

from bots.api.app import create_app
from core import tokens
from core.config import Settings
from core.models import Participant
from core.vocabulary import Role
from tests.core.test_report import HOSTILE, NAMED_QUOTE, Answered, answer_round
from tests.fakes.followup import person

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def answered(database, tmp_path_factory: pytest.TempPathFactory) -> Answered:
    # The invitees' file goes elsewhere: the working folder is where reports land.
    return answer_round(database, tmp_path_factory.mktemp("invitees"))


def _files(folder: Path) -> set[str]:
    """What is in the folder besides the SQLite test database (which lives there too)."""
    return {p.name for p in folder.iterdir() if not p.name.startswith("consulta.db")}


def _refused(result, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_the_report_is_written_where_the_organiser_runs_it(consulta, answered, tmp_path):
    result = consulta("report", "--round", "test01", "--format", "html")
    assert result.exit_code == 0, result.output
    assert "The report on round TEST01 is in TEST01-report.html." in result.stderr
    assert _files(tmp_path) == {"TEST01-report.html"}
    html = (tmp_path / "TEST01-report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<h2 id="cluster-' in html
    assert NAMED_QUOTE in html and HOSTILE not in html

    easy = consulta("report", "--round", "TEST01", "--format", "docx", "--easy-read")
    assert easy.exit_code == 0, easy.output
    assert _files(tmp_path) == {"TEST01-report.html", "TEST01-report-easy-read.docx"}
    document = docx.Document(str(tmp_path / "TEST01-report-easy-read.docx"))
    assert "Most said: partly done." in [p.text for p in document.paragraphs]


def test_output_names_the_file(consulta, answered, tmp_path):
    target = tmp_path / "out" / "national-report.docx"
    target.parent.mkdir()
    result = consulta("report", "--round", "TEST01", "--format", "docx", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert {p.name for p in target.parent.iterdir()} == {"national-report.docx"}
    header = docx.Document(str(target)).tables[0].rows[0].cells
    assert [cell.text for cell in header] == [
        "Recommendation",
        "Position",
        "Themes",
        "Assessment/comments on level of implementation",
    ]


def test_unknown_rounds_formats_and_folders_are_refused_and_nothing_is_written(
    consulta, answered, tmp_path
):
    kept = tmp_path / "TEST01-report.html"
    kept.write_text("an earlier report", encoding="utf-8")
    _refused(
        consulta("report", "--round", "NOPE", "--format", "html"),
        "Error: no round with the code 'NOPE'",
    )
    _refused(
        consulta("report", "--round", "TEST01", "--format", "pdf"),
        "Error: unknown report format 'pdf'; use one of: html, docx",
    )
    _refused(
        consulta("report", "--round", "TEST01", "--format", "html", "-o", "missing/report.html"),
        "the folder missing does not exist",
    )
    _refused(
        consulta("report", "--round", "TEST01", "--format", "html", "-o", str(tmp_path)),
        "is a folder; give a file name",
    )
    assert _files(tmp_path) == {"TEST01-report.html"}
    assert kept.read_text(encoding="utf-8") == "an earlier report"

    # Written again, the file is replaced whole and no partial file is left beside it.
    assert consulta("report", "--round", "TEST01", "--format", "html").exit_code == 0
    assert _files(tmp_path) == {"TEST01-report.html"}
    assert kept.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_command_explains_itself(consulta):
    result = consulta("report", "--help")
    assert result.exit_code == 0
    for option in ("--round", "--format", "--easy-read", "--output"):
        assert option in result.stdout


# --- the HTTP API -----------------------------------------------------------------------------


@pytest.fixture
def client(database, answered):
    app = create_app(Settings(database_url=database.url), database=database)
    with TestClient(app) as test_client:
        yield test_client


def _bearer(database, participant_id: int) -> dict[str, str]:
    with database.unit_of_work() as session:
        owner = session.get(Participant, participant_id)
        assert owner is not None
        plaintext = tokens.create_token(session, participant=owner, role=owner.role)[1]
    return {"Authorization": f"Bearer {plaintext}"}


def test_organisers_get_the_report_in_either_format(client, database, answered):
    organiser = _bearer(database, answered.organiser)
    page = client.get("/api/v1/rounds/test01/report", headers=organiser)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-disposition"] == (
        "inline; filename=\"report.html\"; filename*=UTF-8''TEST01-report.html"
    )
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.text.startswith("<!DOCTYPE html>") and HOSTILE not in page.text

    easy = client.get(
        "/api/v1/rounds/TEST01/report",
        params={"format": "docx", "easy_read": "true"},
        headers=organiser,
    )
    assert easy.status_code == 200
    assert easy.headers["content-type"] == DOCX
    assert "TEST01-report-easy-read.docx" in easy.headers["content-disposition"]
    assert easy.headers["content-disposition"].startswith("attachment;")
    document = docx.Document(io.BytesIO(easy.content))
    assert "Most said: partly done." in [p.text for p in document.paragraphs]


def test_only_organisers_may_and_mistakes_are_answered_plainly(client, database, answered):
    with database.unit_of_work() as session:
        member = person(session, Role.CIVIL_SOCIETY).id
    for caller in (answered.government, member):
        refused = client.get("/api/v1/rounds/TEST01/report", headers=_bearer(database, caller))
        assert refused.status_code == 403
    assert client.get("/api/v1/rounds/TEST01/report").status_code == 401
    organiser = _bearer(database, answered.organiser)
    missing = client.get("/api/v1/rounds/NOPE/report", headers=organiser)
    assert missing.status_code == 404 and "no round with the code 'NOPE'" in missing.text
    wrong = client.get("/api/v1/rounds/TEST01/report?format=pdf", headers=organiser)
    assert wrong.status_code == 422

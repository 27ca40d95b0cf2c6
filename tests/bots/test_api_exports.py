"""GET /api/v1/rounds/{code}/export: organisers download results; raw answers need a grant."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.api.app import create_app
from core import people, permissions, tokens
from core.config import Settings
from core.models import AuditEntry, Participant
from core.vocabulary import Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.test_exports import BOM, CODE, answered_round, csv_rows, timeless

ROUTE = f"/api/v1/rounds/{CODE}/export"


@pytest.fixture
def answered(database):
    return answered_round(database)


@pytest.fixture
def client(database, answered):
    app = create_app(Settings(database_url=database.url), database=database)
    with TestClient(app) as test_client:
        yield test_client


def _caller(database, role: Role, *, grant: bool = False) -> tuple[dict[str, str], int]:
    with database.unit_of_work() as session:
        owner = people.add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=role)
        if grant:
            permissions.grant(session, owner, "export_raw", "cli")
        plaintext = tokens.create_token(session, participant=owner, role=role)[1]
        return {"Authorization": f"Bearer {plaintext}"}, owner.id


def test_organisers_download_the_results_in_each_format(client, database):
    organiser, _ = _caller(database, Role.ORGANISER)
    response = client.get(ROUTE, headers=organiser)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="TEST01-results.csv"' in response.headers["content-disposition"]
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = csv_rows(response.content)
    sector = {r["column"]: r["count"] for r in rows if r["table"] == "sector:overall"}
    assert sector["education"] == "6" and sector["health"] == "<5"

    semi = client.get(ROUTE, params={"delimiter": ";"}, headers=organiser)
    assert timeless(csv_rows(semi.content, ";")) == timeless(rows)

    book = client.get(ROUTE, params={"format": "xlsx"}, headers=organiser)
    assert book.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="TEST01-results.xlsx"' in book.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames[0] == "README"

    document = client.get(ROUTE.lower(), params={"format": "json"}, headers=organiser)
    assert document.headers["content-type"] == "application/json"
    sector = next(t for t in document.json()["tables"] if t["key"] == "sector:overall")
    assert sector["rows"][0]["cells"]["health"] == {"count": None, "suppressed": True}


@pytest.mark.parametrize("role", [Role.GOVERNMENT, Role.NHRI, Role.CIVIL_SOCIETY, Role.OBSERVER])
def test_only_organisers_export(client, database, role):
    headers, _ = _caller(database, role)
    assert client.get(ROUTE, headers=headers).status_code == 403
    assert client.get(ROUTE).status_code == 401


def test_raw_answers_are_refused_without_the_grant(client, database):
    organiser, _ = _caller(database, Role.ORGANISER)
    refused = client.get(ROUTE, params={"raw": "true"}, headers=organiser)
    assert refused.status_code == 403
    assert "named, verified organisers only" in refused.json()["detail"]
    with database.unit_of_work() as session:
        assert session.scalars(select(AuditEntry.action)).all().count("round.exported_raw") == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_granted_organiser_gets_pseudonyms_only(client, database, answered, fmt):
    granted, owner_id = _caller(database, Role.ORGANISER, grant=True)
    response = client.get(ROUTE, params={"raw": "true", "format": fmt}, headers=granted)
    assert response.status_code == 200
    assert f'filename="TEST01-raw.{fmt}"' in response.headers["content-disposition"]
    if fmt == "csv":
        assert response.content.startswith(BOM)
        rows = csv_rows(response.content)
        text = response.content.decode("utf-8")
    elif fmt == "json":
        rows = json.loads(response.content)["answers"]
        text = response.content.decode("utf-8")
    else:
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        text = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Answers"]
        header, *values = sheet.iter_rows(values_only=True)
        rows = [dict(zip(header, row, strict=True)) for row in values]
    with database.unit_of_work() as session:
        pseudonyms = set(session.scalars(select(Participant.pseudonym)))
        owner = session.get(Participant, owner_id)
        exported = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "round.exported_raw")
        ).one()
    assert rows and {row["participant"] for row in rows} <= pseudonyms
    assert not any(sender in text for sender in answered.senders)
    assert "platform-id" not in text
    assert (exported.actor, exported.subject_id, exported.details) == (
        owner.pseudonym,
        CODE,
        {"format": fmt},
    )


def test_a_grant_counts_only_while_the_organiser_is_verified(client, database):
    granted, owner_id = _caller(database, Role.ORGANISER, grant=True)
    with database.unit_of_work() as session:
        session.get(Participant, owner_id).verified_at = None
    assert client.get(ROUTE, params={"raw": "true"}, headers=granted).status_code == 403


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"delimiter": "\t"}, 422, "delimiter"),
        ({"format": "pdf"}, 422, "format"),
    ],
)
def test_bad_options_are_refused(client, database, params, status, words):
    organiser, _ = _caller(database, Role.ORGANISER)
    response = client.get(ROUTE, params=params, headers=organiser)
    assert response.status_code == status
    assert words in json.dumps(response.json())


def test_an_unknown_round_is_404(client, database):
    organiser, _ = _caller(database, Role.ORGANISER)
    response = client.get("/api/v1/rounds/NOPE/export", headers=organiser)
    assert response.status_code == 404
    assert response.json()["detail"] == "no round with the code 'NOPE'"

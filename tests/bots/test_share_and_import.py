"""Organisers share a round (CLI and API) and import invitees from CSV at the command line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bots.api.app import create_app
from bots.cli import app
from core import people, tokens
from core.config import Settings
from core.db import Database
from core.demo import load_demo
from core.vocabulary import Role
from tests.conftest import FIXTURES, PSEUDONYM_KEY

INVITEES = FIXTURES / "invitees"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PUBLIC_URL = "https://consulta.example.org"


@pytest.fixture
def consulta(database, monkeypatch):
    monkeypatch.setenv("CONSULTA_DATABASE_URL", database.url)
    monkeypatch.setenv("CONSULTA_PSEUDONYM_KEY", PSEUDONYM_KEY.decode())
    monkeypatch.setenv("CONSULTA_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("CONSULTA_TELEGRAM_BOT_USERNAME", "@valdoria_consulta_bot")
    monkeypatch.setenv("CONSULTA_SLACK_BOT_TOKEN", "xoxb-test")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert run("recommendations", "import", str(FIXTURES / "template.csv")).exit_code == 0
    return run


@pytest.fixture
def valdoria_round(consulta):
    consulta("survey", "import", "upr-midterm-cso")
    created = consulta(
        "rounds",
        "create",
        "--title",
        "Valdoria mid-term",
        "--survey",
        "upr-midterm-cso",
        "--country",
        "Valdoria",
        "--code",
        "VLD2027",
        "--language",
        "en",
        "--language",
        "fr",
        "--closes",
        "2027-06-30T23:59+02:00",
        "--timezone",
        "Europe/Paris",
    )
    assert created.exit_code == 0, created.output
    return "VLD2027"


def test_rounds_share_prints_links_notes_and_invitations(consulta, valdoria_round):
    result = consulta("rounds", "share", "vld2027")
    assert result.exit_code == 0, result.output
    printed = result.stdout
    assert "telegram: https://t.me/valdoria_consulta_bot?start=VLD2027" in printed
    assert "text to send: /consult join VLD2027" in printed
    assert f"gateway inbound URL: {PUBLIC_URL}/webhook/inbound" in printed
    # No CONSULTA_SECRET_KEY here: the web page would refuse visitors, so invitations skip it.
    assert f"web (not in invitations): {PUBLIC_URL}/take/VLD2027" in printed
    assert "Note: Web: CONSULTA_SECRET_KEY is not set" in printed
    assert "Note: Webhook: CONSULTA_WEBHOOK_SECRET is not set" in printed
    assert "--- invitation (en) ---" in printed and "--- invitation (fr) ---" in printed
    assert "The consultation closes on June 30, 2027, 11:59\u202fPM (Paris)." in printed
    assert "Note: Round VLD2027 is not open" in printed


def test_rounds_share_json(consulta, valdoria_round):
    data = json.loads(consulta("rounds", "share", "VLD2027", "--json").stdout)
    assert [link["channel"] for link in data["links"]] == ["telegram", "slack", "webhook", "web"]
    assert data["links"][0]["url_or_instruction"].endswith("?start=VLD2027")
    assert list(data["invitations"]) == ["en", "fr"]
    assert "files" not in data


def test_rounds_share_writes_qr_codes_and_invitations(consulta, valdoria_round, tmp_path):
    folder = tmp_path / "kit"
    result = consulta("rounds", "share", "VLD2027", "--out", str(folder), "--json")
    assert result.exit_code == 0, result.output
    expected = {
        "VLD2027-telegram.png",
        "VLD2027-telegram.svg",
        "VLD2027-slack.png",
        "VLD2027-slack.svg",
        "VLD2027-web.png",
        "VLD2027-web.svg",
        "VLD2027-invitation-en.txt",
        "VLD2027-invitation-fr.txt",
    }
    assert {path.name for path in folder.iterdir()} == expected
    assert {name.rsplit("/", 1)[-1] for name in json.loads(result.stdout)["files"]} == expected
    assert "Wrote 8 files to" in result.stderr
    assert all(name in result.stderr for name in expected)
    assert (folder / "VLD2027-telegram.png").read_bytes().startswith(PNG_SIGNATURE)
    root = ElementTree.fromstring((folder / "VLD2027-web.svg").read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    invitation = (folder / "VLD2027-invitation-fr.txt").read_text(encoding="utf-8")
    assert "VLD2027" in invitation and invitation.endswith("\n")


def test_sharing_an_unknown_round_is_one_line(consulta):
    result = consulta("rounds", "share", "NOPE42")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no round with the code 'NOPE42'"


def _add_organisations(consulta) -> None:
    for name, kind in (
        ("Valdoria Rights Watch", "civil_society"),
        ("Office of the Ombudsman", "nhri"),
    ):
        assert consulta("organisations", "add", name, "--type", kind).exit_code == 0


def test_participants_import_adds_everyone_and_prints_no_names(consulta):
    _add_organisations(consulta)
    result = consulta("participants", "import", str(INVITEES / "good.csv"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "added": 5,
        "duplicates": 0,
        "rejected": [],
        "committed": True,
    }
    listed = json.loads(consulta("participants", "list", "--json").stdout)
    assert len(listed) == 5 and all(p["pseudonym"].startswith("P-") for p in listed)
    assert "José" not in result.output and "José" not in json.dumps(listed)
    plain = consulta("participants", "import", str(INVITEES / "semicolon.csv"))
    assert plain.exit_code == 0
    assert "added 2, duplicates 0, rejected 0." in plain.stderr
    assert "Okafor" not in plain.output


def test_participants_import_reports_bad_rows_and_stores_nothing(consulta):
    _add_organisations(consulta)
    path = INVITEES / "bad-rows.csv"
    result = consulta("participants", "import", str(path))
    assert result.exit_code == 1
    for line, column in ((3, "role"), (4, "organisation"), (5, "slack"), (6, "slack"), (7, "name")):
        assert f"{path}, line {line}: column {column}:" in result.stderr
    assert "Nobody was added" in result.stderr
    assert "Bruno" not in result.output and "Chiara" not in result.output
    assert json.loads(consulta("participants", "list", "--json").stdout) == []

    skipped = consulta("participants", "import", str(path), "--skip-invalid", "--json")
    assert skipped.exit_code == 0
    summary = json.loads(skipped.stdout)
    assert (summary["added"], summary["duplicates"], summary["committed"]) == (2, 1, True)
    assert [r["line"] for r in summary["rejected"]] == [3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("fixture", "words"),
    [
        ("empty.csv", "empty.csv: is empty"),
        ("malformed.csv", "malformed.csv, line 2: is not well-formed CSV"),
        ("no-name-column.csv", "no-name-column.csv, line 1: has no name column"),
    ],
)
def test_participants_import_refuses_bad_files_in_one_line(consulta, fixture, words):
    result = consulta("participants", "import", str(INVITEES / fixture))
    assert result.exit_code == 1
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _token(database: Database, role: Role) -> dict[str, str]:
    with database.unit_of_work() as session:
        owner = people.add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=role)
        token = tokens.create_token(session, participant=owner, role=role)[1]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def demo_database(database):
    load_demo(database, PSEUDONYM_KEY)
    return database


def _client(database: Database, **settings) -> TestClient:
    return TestClient(
        create_app(Settings(database_url=database.url, **settings), database=database)
    )


@pytest.fixture
def client(demo_database):
    with _client(
        demo_database, public_url=PUBLIC_URL, telegram_bot_username="arcadia_bot"
    ) as test_client:
        yield test_client


def test_the_share_kit_over_the_api(client, demo_database):
    organiser = _token(demo_database, Role.ORGANISER)
    response = client.get("/api/v1/rounds/arc2027/share", headers=organiser)
    assert response.status_code == 200
    kit = response.json()
    assert kit["code"] == "ARC2027"
    links = {link["channel"]: link for link in kit["links"]}
    assert links["telegram"]["url_or_instruction"] == "https://t.me/arcadia_bot?start=ARC2027"
    assert links["telegram"]["images"] == {
        "png": "/api/v1/rounds/ARC2027/share/telegram.png",
        "svg": "/api/v1/rounds/ARC2027/share/telegram.svg",
    }
    assert links["webhook"]["images"] == {}
    assert links["webhook"]["operator_url"] == f"{PUBLIC_URL}/webhook/inbound"
    assert list(kit["invitations"]) == ["en", "fr", "es"]

    png = client.get(links["telegram"]["images"]["png"], headers=organiser)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(PNG_SIGNATURE)
    svg = client.get("/api/v1/rounds/ARC2027/share/web.svg", headers=organiser)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert ElementTree.fromstring(svg.content).tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/rounds/NOPE42/share",
        "/api/v1/rounds/NOPE42/share/web.png",
        "/api/v1/rounds/ARC2027/share/webhook.png",
        "/api/v1/rounds/ARC2027/share/carrier-pigeon.svg",
        "/api/v1/rounds/ARC2027/share/web.gif",
    ],
)
def test_unknown_rounds_channels_and_formats_are_404(client, demo_database, path):
    response = client.get(path, headers=_token(demo_database, Role.ORGANISER))
    assert response.status_code == 404 and response.json()["detail"]


def test_without_a_bot_username_the_telegram_qr_is_404(demo_database):
    with _client(demo_database) as plain:
        response = plain.get(
            "/api/v1/rounds/ARC2027/share/telegram.png",
            headers=_token(demo_database, Role.ORGANISER),
        )
    assert response.status_code == 404


def test_only_organisers_may_fetch_a_share_kit(client, demo_database):
    for path in ("/api/v1/rounds/ARC2027/share", "/api/v1/rounds/ARC2027/share/web.png"):
        assert client.get(path).status_code == 401
        for role in (Role.OBSERVER, Role.CIVIL_SOCIETY):
            refused = client.get(path, headers=_token(demo_database, role))
            assert refused.status_code == 403
            assert "participants:read" in refused.json()["detail"]

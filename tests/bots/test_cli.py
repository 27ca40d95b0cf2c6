"""The `consulta` command line, run the way an organiser runs it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bots.cli import app
from core.models import AuditEntry, Recommendation, RecommendationTranslation
from tests.conftest import FIXTURES, PSEUDONYM_KEY


def _count(database, model=Recommendation) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_help_explains_every_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in (
        "db",
        "recommendations",
        "organisations",
        "participants",
        "tokens",
        "config",
        "serve",
    ):
        assert command in result.output
    rec_help = CliRunner().invoke(app, ["recommendations", "import", "--help"]).output
    for option in ("--country", "--language", "--skip-invalid", "--json", "--encoding"):
        assert option in rec_help


def test_db_upgrade_creates_a_fresh_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSULTA_DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'c.db'}")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "c.db").exists()
    assert CliRunner().invoke(app, ["db", "status"]).exit_code == 0


@pytest.mark.shared_data
def test_import_the_real_upr_info_file(consulta, database, shared_upr_info):
    first = consulta("recommendations", "import", str(shared_upr_info), "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary == {
        "format": "upr-info",
        "encoding": "mac_roman",
        "added": 6094,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "skipped": 0,
        "rejected": [],
        "committed": True,
    }
    again = json.loads(consulta("recommendations", "import", str(shared_upr_info), "--json").stdout)
    assert again["added"] == 0 and again["unchanged"] == 6094
    assert _count(database) == 6094

    found = json.loads(
        consulta("recommendations", "search", "Habr", "--country", "Senegal", "--json").stdout
    )
    assert found["total"] >= 1
    assert all("Habré" in item["text"] for item in found["items"])
    assert any("Hissène Habré" in item["text"] for item in found["items"])
    viet_nam = json.loads(
        consulta(
            "recommendations", "list", "--country", "Viet Nam", "--limit", "1", "--json"
        ).stdout
    )
    assert viet_nam["total"] == 172


@pytest.mark.shared_data
def test_import_one_country_from_the_real_file(consulta, database, shared_upr_info):
    result = consulta(
        "recommendations", "import", str(shared_upr_info), "--country", "Viet Nam", "--json"
    )
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["skipped"]) == (172, 6094 - 172)
    assert _count(database) == 172


def test_uhri_import_with_a_second_language(consulta, database):
    english = json.loads(
        consulta("recommendations", "import", str(FIXTURES / "uhri-en.xlsx"), "--json").stdout
    )
    assert english["added"] > 0 and english["rejected"] == []
    french = json.loads(
        consulta(
            "recommendations",
            "import",
            str(FIXTURES / "uhri-fr.xlsx"),
            "--language",
            "fr",
            "--json",
        ).stdout
    )
    assert french["added"] == english["added"]
    assert _count(database) == english["added"]
    assert _count(database, RecommendationTranslation) == english["added"]
    again = json.loads(
        consulta(
            "recommendations",
            "import",
            str(FIXTURES / "uhri-fr.xlsx"),
            "--language",
            "fr",
            "--json",
        ).stdout
    )
    assert again["added"] == 0 and again["unchanged"] == english["added"]

    listing = json.loads(consulta("recommendations", "list", "--sdg", "16", "--json").stdout)
    assert listing["total"] > 0
    shown = json.loads(
        consulta("recommendations", "show", str(listing["items"][0]["id"]), "--json").stdout
    )
    assert "fr" in shown["translations"]
    assert any(t["code"].startswith("16") for t in shown["sdg_targets"])


@pytest.mark.parametrize(
    ("fixture", "words"),
    [
        ("unknown-format.csv", ["unknown-format.csv", "format"]),
        ("empty.csv", ["empty.csv", "empty"]),
        ("header-only.csv", ["header-only.csv", "no recommendations"]),
        ("missing-columns.csv", ["missing-columns.csv", "missing columns"]),
        ("not-utf8-template.csv", ["not-utf8-template.csv", "--encoding"]),
        ("does-not-exist.csv", ["does-not-exist.csv"]),
    ],
)
def test_bad_files_change_nothing_and_say_what_is_wrong(consulta, database, fixture, words):
    before = _count(database, AuditEntry)
    result = consulta("recommendations", "import", str(FIXTURES / fixture))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr
    assert _count(database) == 0 and _count(database, AuditEntry) == before


def test_huge_file_is_refused_before_it_is_read(consulta, database, tmp_path):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.write(
            b"To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\r"
        )
        handle.truncate(200 * 1024 * 1024)
    result = consulta("recommendations", "import", str(huge))
    assert result.exit_code == 1
    assert "huge.csv" in result.stderr and "CONSULTA_IMPORT_MAX_BYTES" in result.stderr
    assert _count(database) == 0


def test_bad_rows_import_nothing_unless_skipped(consulta, database):
    path = str(FIXTURES / "template-bad.csv")
    strict = consulta("recommendations", "import", path, "--json")
    assert strict.exit_code == 1
    summary = json.loads(strict.stdout)
    assert summary["committed"] is False and len(summary["rejected"]) == 2
    assert all(p["line"] > 1 and p["reason"] for p in summary["rejected"])
    assert _count(database) == 0

    text_output = consulta("recommendations", "import", path)
    for problem in summary["rejected"]:
        assert f"line {problem['line']}: {problem['reason']}" in text_output.stderr
    assert "Nothing was imported" in text_output.stderr

    lenient = json.loads(
        consulta("recommendations", "import", path, "--skip-invalid", "--json").stdout
    )
    assert lenient["committed"] is True and lenient["added"] > 0
    assert _count(database) == lenient["added"]


def test_duplicates_inside_a_file_are_counted_not_rejected(consulta, database):
    result = json.loads(
        consulta("recommendations", "import", str(FIXTURES / "upr-info-small.csv"), "--json").stdout
    )
    assert result["duplicates"] == 1 and result["rejected"] == []
    assert _count(database) == result["added"]


def test_people_tokens_and_config(consulta, database):
    assert (
        consulta(
            "organisations", "add", "Arcadia Human Rights Commission", "--type", "nhri"
        ).exit_code
        == 0
    )
    duplicate = consulta(
        "organisations", "add", "Arcadia Human Rights Commission", "--type", "nhri"
    )
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr
    added = json.loads(
        consulta(
            "participants",
            "add",
            "--role",
            "organiser",
            "--name",
            "Nadia Secret",
            "--organisation",
            "Arcadia Human Rights Commission",
            "--json",
        ).stdout
    )
    listing = consulta("participants", "list", "--json")
    assert json.loads(listing.stdout)[0]["pseudonym"] == added["pseudonym"]
    assert "Nadia Secret" not in listing.stdout
    named = json.loads(consulta("participants", "list", "--show-names", "--json").stdout)
    assert named[0]["name"] == "Nadia Secret"

    wrong_role = consulta("tokens", "create", "--role", "nhri", "--participant", str(added["id"]))
    assert wrong_role.exit_code == 1 and "not 'nhri'" in wrong_role.stderr
    token = consulta(
        "tokens",
        "create",
        "--role",
        "organiser",
        "--participant",
        added["pseudonym"],
        "--expires",
        "30",
    )
    assert token.exit_code == 0 and token.stdout.strip().startswith("cst_")
    tokens = json.loads(consulta("tokens", "list", "--json").stdout)
    assert tokens[0]["participant"] == added["pseudonym"] and tokens[0]["expires_at"]
    assert token.stdout.strip() not in json.dumps(tokens)

    shown = json.loads(consulta("config", "show", "--json").stdout)
    assert shown["pseudonym_key"] == "********"
    assert PSEUDONYM_KEY.decode() not in consulta("config", "show").stdout

    audit = json.loads(consulta("audit", "list", "--json").stdout)
    assert {"organisation.added", "participant.added", "token.created"} <= {
        a["action"] for a in audit
    }
    assert "Nadia" not in json.dumps(audit)


def test_clusters_and_entities_filter_recommendations(consulta, database):
    consulta("recommendations", "import", str(FIXTURES / "template.csv"))
    ids = [
        str(r["id"])
        for r in json.loads(consulta("recommendations", "list", "--json").stdout)["items"]
    ][:2]
    assert consulta("clusters", "add", "Justice reform", "-r", ids[0]).exit_code == 0
    assert consulta("clusters", "assign", "justice reform", ids[1]).exit_code == 0
    in_cluster = json.loads(
        consulta("recommendations", "list", "--cluster", "Justice reform", "--json").stdout
    )
    assert sorted(str(r["id"]) for r in in_cluster["items"]) == sorted(ids)
    assert consulta("entities", "add", "Ministry of Justice", "--acronym", "MoJ").exit_code == 0
    assert consulta("entities", "assign", "moj", ids[0]).exit_code == 0
    shown = json.loads(consulta("recommendations", "show", ids[0], "--json").stdout)
    assert shown["responsible_entities"] == ["Ministry of Justice"]
    missing = consulta("clusters", "assign", "justice reform", "999999")
    assert missing.exit_code == 1 and "999999" in missing.stderr


def test_a_file_started_from_the_template_imports(consulta, database, tmp_path):
    header = consulta("recommendations", "template").stdout.strip().split(",")
    assert {"mechanism", "body", "state_under_review", "text"} <= set(header)
    row = {column: "" for column in header}
    row.update(
        mechanism="treaty_body",
        body="CEDAW",
        state_under_review="Republic of Arcadia",
        text="Adopt a comprehensive law on violence against women.",
        sdg_targets="5.2;16.3",
    )
    path = tmp_path / "mine.csv"
    path.write_text(
        ",".join(header) + "\n" + ",".join(row[c] for c in header) + "\n", encoding="utf-8"
    )
    summary = json.loads(consulta("recommendations", "import", str(path), "--json").stdout)
    assert (summary["format"], summary["added"]) == ("consulta", 1)
    stored = json.loads(consulta("recommendations", "list", "--sdg", "5.2", "--json").stdout)
    assert stored["items"][0]["body"] == "CEDAW"


def test_an_unmigrated_database_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSULTA_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = CliRunner().invoke(app, ["recommendations", "list"])
    assert result.exit_code == 1
    assert "not migrated" in result.stderr and "consulta db upgrade" in result.stderr
    assert CliRunner().invoke(app, ["db", "status"]).exit_code == 1


def test_an_unreachable_database_is_explained_without_its_password(monkeypatch):
    monkeypatch.setenv(
        "CONSULTA_DATABASE_URL", "postgresql+psycopg://consulta:s3cret@127.0.0.1:1/x"
    )
    result = CliRunner().invoke(app, ["organisations", "list"])
    assert result.exit_code == 1
    assert "127.0.0.1:1/x failed" in result.stderr and "s3cret" not in result.stderr
    assert "Traceback" not in result.output

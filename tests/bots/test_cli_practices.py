"""`consulta practices`, run the way organisers and reporters run it, between two deployments."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from core.db import Database
from core.models import AuditEntry, Practice, PracticeVersion
from tests.fakes.followup import Cast, set_up

PRACTICE_YAML = """\
# A practice as a reporter writes it down.
title: An inter-ministerial committee with a civil society seat
summary: Ministries meet every quarter with two elected civil society members.
done: |
  A decree set up the committee and its rules of procedure.
results: Reports to the treaty bodies are now on time.
themes: [Participation, Coordination]
sdg_targets: [16.7, 16.10]
mechanism: Inter-ministerial committee
country: Valdoria
translations:
  fr:
    title: Un comité interministériel avec un siège pour la société civile
    summary: Les ministères se réunissent chaque trimestre avec deux élus.
"""


@pytest.fixture
def cast(database) -> Cast:
    return set_up(database)


@pytest.fixture
def elsewhere(tmp_path, sqlite_template) -> Iterator[Database]:
    """A second deployment's database, with its own reporters and organiser."""
    path = tmp_path / "elsewhere.db"
    shutil.copyfile(sqlite_template, path)
    other = Database(f"sqlite:///{path}")
    yield other
    other.dispose()


def _stored(database) -> tuple[int, int]:
    with database.unit_of_work() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Practice, PracticeVersion)
        )


def _ok(result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def _refused(result, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.output


def _publish(consulta, cast: Cast, *fields: str) -> int:
    """Write a practice as the ministry and approve it; its number."""
    written = consulta("practices", "submit", "--as", str(cast.government), "--json", *fields)
    _ok(written)
    number = json.loads(written.stdout)["id"]
    _ok(consulta("practices", "approve", str(number), "--as", str(cast.organiser)))
    return number


def test_a_practice_from_a_file_is_reviewed_published_and_found(consulta, cast, tmp_path):
    file = tmp_path / "practice.yaml"
    file.write_text(PRACTICE_YAML, encoding="utf-8")
    written = consulta("practices", "submit", "--as", str(cast.government), "--file", str(file))
    _ok(written)
    assert "Practice 1 version 1 is a draft until an organiser reviews it" in written.stderr
    assert "No published practice matches." in consulta("practices", "list").stderr

    waiting = consulta("practices", "review")
    _ok(waiting)
    assert "committee" in waiting.stdout and "Ministry" in waiting.stdout
    [draft] = json.loads(consulta("practices", "review", "--json").stdout)
    assert draft["sdg_targets"] == ["16.10", "16.7"]
    assert draft["done"] == "A decree set up the committee and its rules of procedure."
    assert draft["translated_texts"]["fr"]["title"].startswith("Un comité")

    approved = consulta("practices", "approve", "1", "--as", str(cast.organiser), "--note", "Good.")
    _ok(approved)
    assert "Practice 1 version 1 is published" in approved.stderr
    assert "No draft is waiting for review." in consulta("practices", "review").stderr
    by_author = consulta("practices", "approve", "1", "--as", str(cast.government))
    _refused(by_author, "only organisers review good practices")

    listed = consulta("practices", "list")
    _ok(listed)
    assert "committee" in listed.stdout and "16.10" in listed.stdout

    def titles(*filters: str) -> list[str]:
        result = consulta("practices", "list", "--json", *filters)
        _ok(result)
        return [row["title"] for row in json.loads(result.stdout)]

    english = "An inter-ministerial committee with a civil society seat"
    french = "Un comité interministériel avec un siège pour la société civile"
    assert titles("--search", "comité", "--language", "fr") == [french]
    assert titles("--search", "interministeriel") == [english]
    assert titles("--search", "' OR 1=1 --") == []
    assert titles("--search", "100%_") == []
    assert titles("--theme", "coordination") == [english]
    assert titles("--sdg", "SDG 16.10") == [english]
    assert titles("--mechanism", "committee", "--country", "Valdoria") == [english]
    assert titles("--theme", "fisheries") == []
    _refused(consulta("practices", "list", "--sdg", "justice"), "is not an SDG target")

    themes = consulta("practices", "themes", "--json")
    assert json.loads(themes.stdout) == [
        {"theme": "Coordination", "practices": 1},
        {"theme": "Participation", "practices": 1},
    ]
    shown = consulta("practices", "show", "1", "--language", "fr")
    _ok(shown)
    assert french in shown.stdout and "version 1: published" in shown.stdout
    data = json.loads(consulta("practices", "show", "1", "--json").stdout)
    assert data["uid"].startswith("urn:uuid:") and data["history"][0]["review_note"] == "Good."


def test_review_sends_back_and_a_revision_keeps_what_it_does_not_change(consulta, cast):
    organiser, government = str(cast.organiser), str(cast.government)
    _ok(
        consulta(
            "practices",
            "submit",
            "--as",
            government,
            "--title",
            "Mobile birth registration",
            "--summary",
            "Registrars travel to villages.",
            "--theme",
            "Birth registration",
            "--sdg",
            "16.9",
        )
    )
    assert consulta("practices", "reject", "1", "--as", organiser).exit_code == 2
    _refused(
        consulta("practices", "reject", "1", "--as", organiser, "--note", " "),
        "note: say why the draft is sent back",
    )
    rejected = consulta("practices", "reject", "1", "--as", organiser, "--note", "How many?")
    _ok(rejected)
    assert "Practice 1 version 1 was sent back: How many?" in rejected.stderr
    _refused(
        consulta("practices", "approve", "1", "--as", organiser),
        "practice 1 has no draft waiting for review (its latest version is rejected)",
    )

    revised = consulta(
        "practices",
        "revise",
        "1",
        "--as",
        government,
        "--summary",
        "Registrars visit 40 districts.",
        "--json",
    )
    _ok(revised)
    data = json.loads(revised.stdout)
    assert (data["version"], data["state"]) == (2, "draft")
    assert data["title"] == "Mobile birth registration" and data["themes"] == ["Birth registration"]
    _ok(consulta("practices", "approve", "1", "--as", organiser))
    history = json.loads(consulta("practices", "show", "1", "--json").stdout)["history"]
    assert [(v["version"], v["state"]) for v in history] == [(1, "rejected"), (2, "published")]
    _refused(consulta("practices", "show", "99"), "no good practice with number '99'")


def test_bad_input_names_the_field_and_stores_nothing(consulta, database, cast, tmp_path):
    government = str(cast.government)
    typo = tmp_path / "typo.yaml"
    typo.write_text("title: A title\nsummary: A summary\ntitel: Another\n", encoding="utf-8")
    _refused(
        consulta("practices", "submit", "--as", government, "--file", str(typo)),
        f"{typo}, line 3: titel is not a field of a practice",
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: A title\nsummary: [not closed\n", encoding="utf-8")
    _refused(
        consulta("practices", "submit", "--as", government, "--file", str(broken)),
        f"{broken}, line 3: not valid YAML or JSON",
    )
    as_json = tmp_path / "practice.json"
    as_json.write_text('{\n  "title": "A title",\n  "themes": {"a": 1}\n}', encoding="utf-8")
    _refused(
        consulta("practices", "submit", "--as", government, "--file", str(as_json)),
        f"{as_json}, line 3: themes: write a list",
    )
    no_summary = tmp_path / "short.yaml"
    no_summary.write_text("title: A title\nsummary: ''\n", encoding="utf-8")
    _refused(
        consulta("practices", "submit", "--as", government, "--file", str(no_summary)),
        "summary: this field is needed",
    )
    _refused(
        consulta("practices", "submit", "--as", government, "--title", "Only a title"),
        "summary: this field is needed; give --summary or put it in --file",
    )
    _refused(
        consulta(
            "practices",
            "submit",
            "--as",
            government,
            "--title",
            "T",
            "--summary",
            "S",
            "--sdg",
            "justice",
        ),
        "SDG targets: 'justice' is not an SDG target",
    )
    _refused(
        consulta(
            "practices",
            "submit",
            "--as",
            government,
            "--title",
            "T",
            "--summary",
            "S",
            "--licence",
            "all rights reserved",
        ),
        "licence: 'all rights reserved' is not one of CC-BY-4.0",
    )
    assert _stored(database) == (0, 0)


def _in(monkeypatch, database: Database, name: str) -> None:
    """Point the command line at one deployment's database, under its name."""
    monkeypatch.setenv("CONSULTA_DATABASE_URL", database.url)
    monkeypatch.setenv("CONSULTA_DEPLOYMENT_NAME", name)
    monkeypatch.setenv("CONSULTA_PUBLIC_URL", f"https://{name.split()[0].lower()}.example")


def test_practices_travel_between_deployments_and_edits_on_both_sides_are_kept(
    consulta, database, cast, elsewhere, monkeypatch, tmp_path
):
    here = set_up(elsewhere)
    _in(monkeypatch, database, "Valdoria NMIRF")
    _publish(
        consulta,
        cast,
        "--title",
        "Hearings in sign language",
        "--summary",
        "Every hearing is interpreted.",
        "--theme",
        "Disability",
    )
    exported = tmp_path / "valdoria.json"
    wrote = consulta("practices", "export", "--output", str(exported))
    _ok(wrote)
    assert f"Wrote 1 practices to {exported}." in wrote.stderr
    first = json.loads(exported.read_text(encoding="utf-8"))
    assert first["deployment"] == {"name": "Valdoria NMIRF", "url": "https://valdoria.example"}
    uid = first["practices"][0]["id"]
    linked = json.loads(consulta("practices", "export", "--format", "jsonld").stdout)
    assert linked["@context"] == "https://schema.org"
    assert linked["hasPart"][0]["@type"] == "CreativeWork" and linked["hasPart"][0]["@id"] == uid

    _in(monkeypatch, elsewhere, "Ostrava NMIRF")
    imported = consulta("practices", "import", str(exported))
    _ok(imported)
    assert "from Valdoria NMIRF. Practices added 1, new versions 1, unchanged 0." in imported.stderr
    again = consulta("practices", "import", str(exported), "--json")
    assert json.loads(again.stdout) == {
        "origin": "Valdoria NMIRF",
        "practices_added": 0,
        "versions_added": 0,
        "unchanged": 1,
    }
    # Ostrava's organiser adds a local edit to the imported practice.
    _ok(
        consulta(
            "practices", "revise", uid, "--as", str(here.organiser), "--results", "Used in Ostrava."
        )
    )
    _ok(consulta("practices", "approve", uid, "--as", str(here.organiser)))

    # Meanwhile Valdoria edits its own practice, and exports again.
    _in(monkeypatch, database, "Valdoria NMIRF")
    _ok(
        consulta(
            "practices", "revise", uid, "--as", str(cast.government), "--lessons", "Book early."
        )
    )
    _ok(consulta("practices", "approve", uid, "--as", str(cast.organiser)))
    _ok(consulta("practices", "export", "--output", str(exported)))

    _in(monkeypatch, elsewhere, "Ostrava NMIRF")
    merged = json.loads(consulta("practices", "import", str(exported), "--json").stdout)
    assert (merged["practices_added"], merged["versions_added"], merged["unchanged"]) == (0, 1, 1)
    shown = json.loads(consulta("practices", "show", uid, "--json").stdout)
    assert [(v["version"], v["state"], v["origin"]) for v in shown["history"]] == [
        (1, "published", "Valdoria NMIRF"),
        (2, "published", None),
        (3, "published", "Valdoria NMIRF"),
    ]
    # Valdoria's newer edit is the one shown; Ostrava's own edit is kept, not overwritten.
    assert (shown["version"], shown["lessons"], shown["results"]) == (3, "Book early.", "")
    with elsewhere.unit_of_work() as session:
        kept = session.scalar(select(PracticeVersion).where(PracticeVersion.version == 2))
        assert kept.results == "Used in Ostrava."
    assert (
        json.loads(consulta("practices", "import", str(exported), "--json").stdout)[
            "versions_added"
        ]
        == 0
    )


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    consulta, database, cast, tmp_path, monkeypatch
):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(20 * 1000 * 1000)
    refused = consulta("practices", "import", str(huge))
    _refused(refused, f"{huge}: is 19.1 MB (20,000,000 bytes), larger than the import limit")
    assert "10.0 MB (10,485,760 bytes)" in refused.stderr
    assert "CONSULTA_PRACTICES_IMPORT_MAX_BYTES" in refused.stderr

    small = tmp_path / "small.json"
    small.write_text('{"format": "consulta-practices"}' + " " * 2_000, encoding="utf-8")
    monkeypatch.setenv("CONSULTA_PRACTICES_IMPORT_MAX_BYTES", "1000")
    _refused(
        consulta("practices", "import", str(small)),
        "larger than the import limit of 0.0 MB (1,000 bytes)",
    )
    _refused(consulta("practices", "import", str(tmp_path / "absent.json")), "no such file")
    assert _stored(database) == (0, 0)


def test_a_bad_file_names_the_line_and_field_and_imports_nothing(
    consulta, database, cast, elsewhere, monkeypatch, tmp_path
):
    other = set_up(elsewhere)
    _in(monkeypatch, elsewhere, "Ostrava NMIRF")
    _publish(consulta, other, "--title", "Hearings in sign language", "--summary", "Interpreted.")
    exported = tmp_path / "ostrava.json"
    _ok(consulta("practices", "export", "--output", str(exported)))
    good = exported.read_text(encoding="utf-8")
    _in(monkeypatch, database, "Valdoria NMIRF")
    entries_before = _audit_entries(database)

    newer = tmp_path / "newer.json"
    newer.write_text(good.replace('"format_version": 1', '"format_version": 2'), encoding="utf-8")
    _refused(
        consulta("practices", "import", str(newer)),
        f"{newer}, line 3, format_version: version 2 of the exchange format is not one",
    )

    document = json.loads(good)
    second = json.loads(json.dumps(document["practices"][0]))
    second["id"] = "urn:uuid:00000000-0000-4000-8000-000000000002"
    second["versions"][0]["title"] = ""
    document["practices"].append(second)
    bad = tmp_path / "bad.json"
    text = json.dumps(document, indent=2)
    bad.write_text(text, encoding="utf-8")
    refused = consulta("practices", "import", str(bad))
    line = 1 + text[: text.index('"title": ""')].count("\n")
    _refused(refused, f"{bad}: nothing was imported. line {line}, practices.1.versions.0.title")

    linked = tmp_path / "linked.json"
    _in(monkeypatch, elsewhere, "Ostrava NMIRF")
    linked.write_text(consulta("practices", "export", "--format", "jsonld").stdout)
    _in(monkeypatch, database, "Valdoria NMIRF")
    _refused(consulta("practices", "import", str(linked)), "this is the JSON-LD export")
    # The good practice in the refused file was not imported either, and nothing was logged.
    assert _stored(database) == (0, 0)
    assert _audit_entries(database) == entries_before


def _audit_entries(database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0

"""Good practices between deployments: export, import, re-import, conflicts and bad files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core import practice_exchange as exchange
from core import practices
from core.db import Database
from core.errors import InvalidInput
from core.models import Participant, Practice, PracticeVersion
from core.practices import PracticeDraft
from tests.core.test_practices import COMMITTEE
from tests.fakes.followup import NOW, Cast, set_up

SCHEMA = Path(exchange.__file__).with_name("schemas") / exchange.SCHEMA_FILE
HOME = "Valdoria NMIRF"
HOME_URL = "https://consulta.valdoria.example"


@pytest.fixture
def cast(database: Database) -> Cast:
    return set_up(database)


@pytest.fixture
def elsewhere(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """Another country's deployment, on its own SQLite file."""
    path = tmp_path / "elsewhere.db"
    shutil.copyfile(sqlite_template, path)
    other = Database(f"sqlite:///{path}")
    yield other
    other.dispose()


def _publish(database: Database, cast: Cast, draft: PracticeDraft = COMMITTEE) -> int:
    with database.unit_of_work() as session:
        version = practices.submit(
            session, session.get_one(Participant, cast.government), draft, now=NOW
        )
        practices.approve(
            session, session.get_one(Participant, cast.organiser), version.practice_id, now=NOW
        )
        return version.practice_id


def _export(database: Database, name: str = HOME, url: str | None = HOME_URL) -> str:
    with database.unit_of_work() as session:
        document = exchange.export(session, name, url, now=NOW)
    return json.dumps(document, indent=2, ensure_ascii=False)


def _import(database: Database, text: str) -> exchange.Merged:
    with database.unit_of_work() as session:
        return exchange.merge(
            session,
            exchange.read(text, "practices.json"),
            actor="cli",
            text=text,
            source="practices.json",
            now=NOW,
        )


def _versions(database: Database) -> list[tuple[str, int, str, bool, str | None]]:
    with database.unit_of_work() as session:
        return [
            (v.practice.uid, v.version, v.results, v.current, v.origin)
            for v in session.scalars(select(PracticeVersion).order_by(PracticeVersion.id))
        ]


def test_the_published_schema_is_the_one_the_code_reads():
    assert SCHEMA.read_text(encoding="utf-8") == exchange.dump_schema(), (
        "regenerate it: python -c 'from core.practice_exchange import dump_schema; "
        'print(dump_schema(), end="")\' > core/schemas/practices-1.schema.json'
    )
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["format_version"]["const"] == 1


def test_an_export_imported_elsewhere_keeps_ids_and_origin_and_a_reimport_adds_nothing(
    database, cast, elsewhere
):
    number = _publish(database, cast)
    # Drafts and rejected versions never leave the deployment.
    with database.unit_of_work() as session:
        practices.submit(
            session,
            session.get_one(Participant, cast.government),
            PracticeDraft(title="Not reviewed yet", summary="Draft"),
            now=NOW,
        )
    text = _export(database)
    document = json.loads(text)
    assert document["format"] == "consulta-practices" and document["format_version"] == 1
    assert [p["versions"][0]["title"] for p in document["practices"]] == [COMMITTEE.title]
    record = document["practices"][0]
    assert record["origin"] == HOME and record["origin_url"] == HOME_URL
    assert record["publisher"] == "Ministry of Justice"
    assert record["versions"][0]["translations"]["fr"]["title"].startswith("Un comité")

    merged = _import(elsewhere, text)
    assert (merged.practices_added, merged.versions_added, merged.unchanged) == (1, 1, 0)
    with elsewhere.unit_of_work() as session:
        imported = session.scalars(select(Practice)).one()
        with database.unit_of_work() as home:
            assert imported.uid == home.get_one(Practice, number).uid
        assert (imported.origin, imported.origin_url) == (HOME, HOME_URL)
        shown = practices.search(session, practices.Search(text="comité"))
        assert [v.title for v in shown] == [COMMITTEE.title]
        assert imported.author_id is None and imported.publisher == "Ministry of Justice"

    again = _import(elsewhere, text)
    assert (again.practices_added, again.versions_added, again.unchanged) == (0, 0, 1)
    with elsewhere.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PracticeVersion)) == 1


def test_an_edit_made_elsewhere_is_a_new_version_and_the_local_edit_is_kept(
    database, cast, elsewhere
):
    number = _publish(database, cast)
    _import(elsewhere, _export(database))
    # Both deployments edit the same practice.
    with database.unit_of_work() as session:
        edited = PracticeDraft(**{**COMMITTEE.__dict__, "results": "Edited at home."})
        practices.revise(
            session, session.get_one(Participant, cast.government), number, edited, now=NOW
        )
        practices.approve(
            session,
            session.get_one(Participant, cast.organiser),
            number,
            now=NOW + timedelta(days=1),
        )
    elsewhere_cast = set_up(elsewhere)
    with elsewhere.unit_of_work() as session:
        uid = session.scalars(select(Practice.uid)).one()
        local = PracticeDraft(**{**COMMITTEE.__dict__, "results": "Edited elsewhere."})
        organiser = session.get_one(Participant, elsewhere_cast.organiser)
        practices.revise(session, organiser, uid, local, now=NOW)
        practices.approve(session, organiser, uid, now=NOW + timedelta(hours=2))

    merged = _import(elsewhere, _export(database))
    assert (merged.versions_added, merged.unchanged) == (1, 1)
    assert [(v[1], v[2], v[3], v[4]) for v in _versions(elsewhere)] == [
        (1, COMMITTEE.results, False, HOME),
        (2, "Edited elsewhere.", False, None),
        (3, "Edited at home.", True, HOME),
    ]
    # The history travels on: a third deployment sees where each version was written.
    text = _export(elsewhere, "Arcadia NMIRF", None)
    record = json.loads(text)["practices"][0]
    assert record["origin"] == HOME
    assert [v["origin"] for v in record["versions"]] == [HOME, "Arcadia NMIRF", HOME]


def test_the_json_ld_export_speaks_schema_org(database, cast):
    _publish(database, cast)
    document = exchange.to_jsonld(json.loads(_export(database)))
    assert document["@context"] == "https://schema.org"
    (work,) = document["hasPart"]
    assert work["@type"] == "CreativeWork" and work["@id"].startswith("urn:uuid:")
    assert work["name"] == COMMITTEE.title and work["abstract"] == COMMITTEE.summary
    assert work["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert work["keywords"] == ["Justice", "Participation in public affairs"]
    assert {"@type": "DefinedTerm", "termCode": "16.7"}.items() <= work["about"][-1].items()
    assert work["workTranslation"][0]["inLanguage"] == "fr"
    assert work["publisher"]["contactPoint"]["description"] == COMMITTEE.contact
    assert {p["name"] for p in work["hasPart"]} == {"Results", "Lessons", "Mechanism"}


def _refused(database: Database, text: str) -> str:
    with pytest.raises(InvalidInput) as refused:
        _import(database, text)
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Practice)) == 0
    return str(refused.value)


def test_another_format_version_is_refused_naming_the_line_and_nothing_is_imported(
    database, cast, elsewhere
):
    _publish(database, cast)
    text = _export(database).replace('"format_version": 1', '"format_version": 2')
    message = _refused(elsewhere, text)
    assert message == (
        "practices.json, line 3, format_version: version 2 of the exchange format is not one "
        "this Consulta reads; it reads version 1"
    )


def test_invalid_fields_are_refused_naming_each_line_and_field(database, cast, elsewhere):
    _publish(database, cast)
    _publish(database, cast, PracticeDraft(title="Second", summary="Fine", themes=["Water"]))
    document = json.loads(_export(database))
    document["practices"][1]["versions"][0]["title"] = ""
    document["practices"][1]["versions"][0]["sdg_targets"] = ["peace"]
    document["practices"][0]["id"] = "not a stable id"
    text = json.dumps(document, indent=2, ensure_ascii=False)
    lines = text.splitlines()

    def line(fragment: str) -> int:
        return next(n for n, content in enumerate(lines, start=1) if fragment in content)

    message = _refused(elsewhere, text)
    assert message.startswith("practices.json: nothing was imported. ")
    assert f"line {line('not a stable id')}, practices.0.id: String should match" in message
    empty_title = line('"title": ""')
    assert f"line {empty_title}, practices.1.versions.0.title: String should" in message
    assert f"line {line('peace')}, practices.1.versions.0.sdg_targets.0: String" in message


def test_a_field_the_core_refuses_names_its_version_and_nothing_is_imported(
    database, cast, elsewhere
):
    _publish(database, cast)
    _publish(database, cast, PracticeDraft(title="Second", summary="Fine"))
    document = json.loads(_export(database))
    document["practices"][1]["versions"][0]["done"] = "bell\x07"
    text = json.dumps(document, indent=2)
    starts = [n for n, line in enumerate(text.splitlines()) if line == '      "versions": [']
    # The second practice's first version opens on the line after its "versions".
    where = starts[1] + 2
    message = _refused(elsewhere, text)
    assert message == (
        f"practices.json, line {where}, practices.1.versions.0: what was done: contains a "
        "control character; remove it and send it again; nothing was imported"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "format": "consulta-practices",\n  oops\n}', "line 3: not valid JSON"),
        ("[]", "(the document): Input should be a valid dictionary"),
        ('{"@context": "https://schema.org"}', "JSON-LD export, which is for reading"),
        ("[" * 100_000, "nested too deeply to be an exchange file"),
    ],
)
def test_files_that_are_not_exports_are_refused_clearly(elsewhere, text, message):
    assert message in _refused(elsewhere, text)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | _JSON.map(json.dumps))
def test_any_text_is_read_or_refused_with_a_message_never_a_crash(text):
    try:
        exchange.read(text, "f.json")
    except InvalidInput as refused:
        assert str(refused).startswith("f.json")


@settings(max_examples=200, deadline=None)
@given(
    _JSON,
    st.lists(st.one_of(st.integers(min_value=0, max_value=5), st.text(max_size=6)), max_size=5),
)
def test_any_path_in_any_json_gets_a_line_within_the_text(value, path):
    text = json.dumps(value, indent=2)
    assert 1 <= exchange.line_of(text, tuple(path)) <= text.count("\n") + 1

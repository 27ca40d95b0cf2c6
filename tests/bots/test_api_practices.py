"""Good practices through the HTTP API: writing, review, the public list, search and imports."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bots.api.app import create_app
from core import practice_exchange, practices, tokens
from core.config import Settings
from core.db import Database
from core.models import Participant, Practice, PracticeVersion
from core.vocabulary import Role
from tests.fakes.followup import MINISTRY, NHRI, person, set_up

PUBLIC_URL = "https://consulta.valdoria.example"
DEPLOYMENT = "Valdoria NMIRF"
MiB = 1024 * 1024


@pytest.fixture
def cast(database):
    return set_up(database)


@pytest.fixture
def client(database, cast) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database.url, deployment_name=DEPLOYMENT, public_url=PUBLIC_URL
    )
    with TestClient(create_app(settings, database=database)) as test_client:
        yield test_client


@pytest.fixture
def elsewhere(tmp_path, sqlite_template) -> Iterator[Database]:
    """A second deployment's database, migrated and empty."""
    path = tmp_path / "elsewhere.db"
    shutil.copyfile(sqlite_template, path)
    other = Database(f"sqlite:///{path}")
    yield other
    other.dispose()


def _bearer(database, participant_id: int) -> dict[str, str]:
    with database.unit_of_work() as session:
        owner = session.get(Participant, participant_id)
        plaintext = tokens.create_token(session, participant=owner, role=owner.role)[1]
    return {"Authorization": f"Bearer {plaintext}"}


def _new(database, role: Role, organisation: str | None = None, *, verified: bool = True) -> int:
    with database.unit_of_work() as session:
        someone = person(session, role, organisation)
        if not verified:
            someone.verified_at = None
        return someone.id


@pytest.fixture
def headers(database, cast):
    return {
        "government": _bearer(database, cast.government),
        "nhri": _bearer(database, cast.nhri),
        "organiser": _bearer(database, cast.organiser),
        "civil_society": _bearer(database, _new(database, Role.CIVIL_SOCIETY)),
        "unverified": _bearer(database, _new(database, Role.GOVERNMENT, MINISTRY, verified=False)),
    }


def _stored(database) -> tuple[int, int]:
    with database.unit_of_work() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Practice, PracticeVersion)
        )


COMMITTEE = {
    "title": "An inter-ministerial committee with a civil society seat",
    "summary": "Ministries meet every quarter with two elected civil society members.",
    "done": "A decree set up the committee and its rules of procedure.",
    "results": "Reports to the treaty bodies are now on time.",
    "lessons": "Elected members are heard more than appointed ones.",
    "themes": ["Participation", "Coordination"],
    "sdg_targets": ["16.7"],
    "mechanism": "Inter-ministerial committee",
    "country": "Valdoria",
    "contact": "secretariat@valdoria.example",
    "translations": {
        "fr": {
            "title": "Un comité interministériel avec un siège pour la société civile",
            "summary": "Les ministères se réunissent chaque trimestre avec deux élus.",
        }
    },
}
REGISTRY = {
    "title": "Mobile birth registration reached 100% in pilot districts",
    "summary": "Registrars travel to villages with tablets every month.",
    "themes": ["Birth registration"],
    "sdg_targets": ["16.9"],
    "mechanism": "National statistics office",
    "country": "Valdoria",
}
SHELTERS = {
    "title": "Shelters run with local women's groups",
    "summary": "Funding goes to groups that already run safe houses.",
    "themes": ["Violence against women"],
    "sdg_targets": ["5.2"],
    "mechanism": "Gender equality commission",
    "country": "Valdoria",
    "language": "es",
    "translations": {"en": {"title": "Shelters, in English", "summary": "Safe houses."}},
}


def _write(client, headers, fields) -> dict:
    posted = client.post("/api/v1/practices", json=fields, headers=headers)
    assert posted.status_code == 201, posted.text
    return posted.json()


def _publish(client, headers, fields) -> dict:
    draft = _write(client, headers["government"], fields)
    approved = client.post(
        f"/api/v1/practices/{draft['id']}/approve", json={}, headers=headers["organiser"]
    )
    assert approved.status_code == 200, approved.text
    return approved.json()


def _titles(document: dict) -> list[str]:
    return [record["versions"][-1]["title"] for record in document["practices"]]


def test_a_government_practice_is_a_draft_until_an_organiser_approves_it(client, headers):
    draft = _write(client, headers["government"], COMMITTEE)
    assert (draft["state"], draft["version"], draft["organisation"]) == ("draft", 1, MINISTRY)
    assert draft["uid"].startswith("urn:uuid:")
    assert draft["translations"] == ["fr"] and draft["sdg_targets"] == ["16.7"]

    # Nobody outside sees a draft, by number or by its stable id.
    assert client.get("/api/v1/practices").json()["practices"] == []
    assert client.get(f"/api/v1/practices/{draft['id']}").status_code == 404
    assert client.get(f"/api/v1/practices/{draft['uid']}").status_code == 404

    waiting = client.get("/api/v1/practices/review", headers=headers["organiser"])
    assert waiting.status_code == 200, waiting.text
    [shown] = waiting.json()
    assert (shown["id"], shown["done"], shown["lessons"]) == (
        draft["id"],
        COMMITTEE["done"],
        COMMITTEE["lessons"],
    )
    assert shown["translated_texts"] == COMMITTEE["translations"]
    assert shown["author"]

    approved = client.post(
        f"/api/v1/practices/{draft['id']}/approve",
        json={"note": "Clear and useful."},
        headers=headers["organiser"],
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "published"
    assert client.get("/api/v1/practices/review", headers=headers["organiser"]).json() == []

    public = client.get(f"/api/v1/practices/{draft['uid']}")
    assert public.status_code == 200, public.text
    data = public.json()
    assert (data["id"], data["title"], data["state"]) == (
        draft["id"],
        COMMITTEE["title"],
        "published",
    )
    assert [v["version"] for v in data["published_versions"]] == [1]
    # What the reviewer wrote to the author stays between them.
    assert "review_note" not in data and "Clear and useful" not in public.text

    in_french = client.get(f"/api/v1/practices/{draft['id']}?language=fr").json()
    assert in_french["title"] == COMMITTEE["translations"]["fr"]["title"]
    assert (in_french["language"], in_french["written_in"]) == ("fr", "en")
    # A field the translation leaves out is shown as written.
    assert in_french["done"] == COMMITTEE["done"]


def test_only_verified_reporters_and_organisers_publish(client, database, headers):
    refused = client.post("/api/v1/practices", json=REGISTRY, headers=headers["civil_society"])
    assert refused.status_code == 403
    assert "practices:publish" in refused.json()["detail"]
    unverified = client.post("/api/v1/practices", json=REGISTRY, headers=headers["unverified"])
    assert unverified.status_code == 403
    assert "not verified yet" in unverified.json()["detail"]
    assert client.post("/api/v1/practices", json=REGISTRY).status_code == 401
    assert _stored(database) == (0, 0)
    # NHRI staff write practices too.
    assert _write(client, headers["nhri"], REGISTRY)["organisation"] == NHRI


def test_a_missing_or_wrong_field_is_named_and_nothing_is_stored(client, database, headers):
    government = headers["government"]
    missing = client.post("/api/v1/practices", json={"summary": "No title."}, headers=government)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "title"]
    blank = client.post(
        "/api/v1/practices", json={"title": "A title", "summary": "   "}, headers=government
    )
    assert blank.status_code == 422
    assert blank.json()["detail"] == "summary: this field is needed"
    wrong_target = client.post(
        "/api/v1/practices", json={**REGISTRY, "sdg_targets": ["justice"]}, headers=government
    )
    assert wrong_target.status_code == 422
    assert "SDG targets: 'justice' is not an SDG target" in wrong_target.json()["detail"]
    too_long = client.post(
        "/api/v1/practices", json={**REGISTRY, "title": "x" * 201}, headers=government
    )
    assert too_long.status_code == 422
    assert "title: 201 characters is too long; the limit is 200" in too_long.json()["detail"]
    unknown = client.post(
        "/api/v1/practices", json={**REGISTRY, "author": "someone"}, headers=government
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "author"]
    assert _stored(database) == (0, 0)


def test_html_and_script_are_kept_as_text_and_returned_verbatim(client, headers):
    title = '<script>alert("x")</script> Courts & <b>communities</b>'
    summary = "<img src=x onerror=alert(1)> ' OR 1=1 --"
    published = _publish(client, headers, {**REGISTRY, "title": title, "summary": summary})
    assert (published["title"], published["summary"]) == (title, summary)
    shown = client.get(f"/api/v1/practices/{published['id']}").json()
    assert (shown["title"], shown["summary"]) == (title, summary)
    assert _titles(client.get("/api/v1/practices").json()) == [title]


def test_review_sends_back_with_a_note_and_publishes_new_versions(client, database, headers):
    organiser, government = headers["organiser"], headers["government"]
    draft = _write(client, government, REGISTRY)
    number = draft["id"]

    # "review" is the reviewers' list, never taken for a practice's number.
    assert client.get("/api/v1/practices/review").status_code == 401
    assert client.get("/api/v1/practices/review", headers=government).status_code == 403
    by_author = client.post(f"/api/v1/practices/{number}/approve", headers=government)
    assert by_author.status_code == 403
    no_note = client.post(f"/api/v1/practices/{number}/reject", json={}, headers=organiser)
    assert no_note.status_code == 422 and no_note.json()["detail"][0]["loc"] == ["body", "note"]
    blank_note = client.post(
        f"/api/v1/practices/{number}/reject", json={"note": "  "}, headers=organiser
    )
    assert blank_note.status_code == 422
    assert blank_note.json()["detail"].startswith("note: say why the draft is sent back")

    rejected = client.post(
        f"/api/v1/practices/{number}/reject",
        json={"note": "Say how many districts."},
        headers=organiser,
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["review_note"]) == (
        "rejected",
        "Say how many districts.",
    )
    assert client.get(f"/api/v1/practices/{number}").status_code == 404
    again = client.post(f"/api/v1/practices/{number}/approve", headers=organiser)
    assert again.status_code == 422
    assert "has no draft waiting for review" in again.json()["detail"]

    corrected = client.post(
        f"/api/v1/practices/{number}/versions",
        json={**REGISTRY, "summary": "Registrars visit 40 districts every month."},
        headers=government,
    )
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["version"], corrected.json()["state"]) == (2, "draft")
    approved = client.post(f"/api/v1/practices/{number}/approve", headers=organiser)
    assert approved.status_code == 200, approved.text
    twice = client.post(f"/api/v1/practices/{number}/approve", headers=organiser)
    assert twice.status_code == 422
    assert "its latest version is published" in twice.json()["detail"]

    public = client.get(f"/api/v1/practices/{number}").json()
    assert (public["version"], public["summary"]) == (
        2,
        "Registrars visit 40 districts every month.",
    )
    assert [v["version"] for v in public["published_versions"]] == [2]
    missing = client.post("/api/v1/practices/999/approve", headers=organiser)
    assert missing.status_code == 404 and "999" in missing.json()["detail"]


def test_drafts_and_rejected_versions_are_never_public(client, headers):
    organiser, government = headers["organiser"], headers["government"]
    published = _publish(client, headers, REGISTRY)
    # A later draft of a published practice stays out of sight; version 1 is still shown.
    client.post(
        f"/api/v1/practices/{published['id']}/versions",
        json={**REGISTRY, "title": "A draft title nobody may see yet"},
        headers=government,
    )
    rejected = _write(client, government, {**SHELTERS, "title": "A rejected practice"})
    client.post(
        f"/api/v1/practices/{rejected['id']}/reject", json={"note": "No."}, headers=organiser
    )
    _write(client, government, {**COMMITTEE, "title": "A draft practice"})

    listed = client.get("/api/v1/practices")
    assert _titles(listed.json()) == [REGISTRY["title"]]
    assert [v["version"] for v in listed.json()["practices"][0]["versions"]] == [1]
    for hidden in ("A draft title nobody may see yet", "A rejected practice", "A draft practice"):
        assert hidden not in listed.text
        assert client.get(f"/api/v1/practices?q={hidden}").json()["practices"] == []
    shown = client.get(f"/api/v1/practices/{published['id']}").json()
    assert (shown["version"], shown["title"]) == (1, REGISTRY["title"])
    assert [v["version"] for v in shown["published_versions"]] == [1]
    assert client.get(f"/api/v1/practices/{rejected['id']}").status_code == 404


def test_the_public_list_filters_and_searches_in_two_languages(client, headers):
    committee = _publish(client, headers, COMMITTEE)
    registry = _publish(client, headers, REGISTRY)
    shelters = _publish(client, headers, SHELTERS)

    everything = client.get("/api/v1/practices")
    assert everything.status_code == 200
    assert everything.headers["content-type"] == "application/json"
    document = everything.json()
    assert (document["format"], document["format_version"]) == ("consulta-practices", 1)
    assert document["deployment"] == {"name": DEPLOYMENT, "url": PUBLIC_URL}
    assert {record["id"] for record in document["practices"]} == {
        committee["uid"],
        registry["uid"],
        shelters["uid"],
    }

    def found(query: str) -> set[str]:
        response = client.get(f"/api/v1/practices?{query}")
        assert response.status_code == 200, response.text
        return {record["id"] for record in response.json()["practices"]}

    # A French word finds the practice through its French translation, accents or not.
    assert found("q=interministériel") == {committee["uid"]}
    assert found("q=comite+siege") == {committee["uid"]}
    assert found("q=registrars") == {registry["uid"]}
    assert found("language=fr") == {committee["uid"]}
    assert found("language=es") == {shelters["uid"]}
    assert found("q=comité&language=fr") == {committee["uid"]}
    assert found("q=comité&language=es") == set()
    assert found("theme=participation") == {committee["uid"]}
    assert found("sdg=16.9") == {registry["uid"]}
    assert found("sdg=SDG%205.2") == {shelters["uid"]}
    assert found("mechanism=statistics") == {registry["uid"]}
    assert found("country=valdoria") == {committee["uid"], registry["uid"], shelters["uid"]}
    assert found("country=elsewhere") == set()
    wrong = client.get("/api/v1/practices?sdg=justice")
    assert wrong.status_code == 422 and "is not an SDG target" in wrong.json()["detail"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100%", {"registry"}),
        ("%", {"committee", "registry"}),
        ("_", {"committee", "registry"}),
        ("' OR 1=1 --", set()),
        (".*", {"committee", "registry"}),
        # "a" starts "and" in one and "all", in the words of SDG target 16.9, in the other.
        ("[a-", {"committee", "registry"}),
        ("[comm-", {"committee"}),
        ("committee'; DROP TABLE practices; --", set()),
    ],
    ids=[
        "percent-in-word",
        "percent",
        "underscore",
        "or-1-1",
        "regex",
        "bracket",
        "bracket-word",
        "drop",
    ],
)
def test_search_takes_sql_and_pattern_characters_as_text(client, headers, query, expected):
    named = {
        "committee": _publish(client, headers, {**COMMITTEE, "translations": {}})["uid"],
        "registry": _publish(client, headers, REGISTRY)["uid"],
    }
    response = client.get("/api/v1/practices", params={"q": query})
    assert response.status_code == 200, response.text
    assert {r["id"] for r in response.json()["practices"]} == {named[n] for n in expected}
    # The table is still there, and still holds both practices.
    assert len(client.get("/api/v1/practices").json()["practices"]) == 2


def test_pages_link_to_the_next_one(client, headers):
    for fields in (COMMITTEE, REGISTRY, SHELTERS):
        _publish(client, headers, fields)
    seen: list[str] = []
    address = "/api/v1/practices?limit=2&country=Valdoria"
    pages = 0
    while address:
        page = client.get(address)
        assert page.status_code == 200, page.text
        pages += 1
        seen.extend(record["id"] for record in page.json()["practices"])
        link = page.headers.get("link")
        if link is None:
            break
        target, relation = link.split(";")
        assert relation.strip() == 'rel="next"' and target.startswith(f"<{PUBLIC_URL}/")
        parts = urlsplit(target.strip("<> "))
        address = f"{parts.path}?{parts.query}"
        assert "country=Valdoria" in parts.query
    assert pages == 2 and len(seen) == len(set(seen)) == 3
    too_big = client.get("/api/v1/practices?limit=100000")
    assert too_big.status_code == 422 and "at most 500" in too_big.json()["detail"]


def test_the_json_ld_view_is_schema_org(client, headers):
    published = _publish(client, headers, COMMITTEE)
    response = client.get("/api/v1/practices?format=jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    data = response.json()
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    [item] = data["hasPart"]
    assert (item["@type"], item["@id"], item["name"]) == (
        "CreativeWork",
        published["uid"],
        COMMITTEE["title"],
    )
    assert item["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert item["keywords"] == ["Coordination", "Participation"]
    assert [t["inLanguage"] for t in item["workTranslation"]] == ["fr"]
    assert {k: v for k, v in item["publisher"].items() if k != "contactPoint"} == {
        "@type": "Organization",
        "name": MINISTRY,
    }


def test_the_public_list_is_an_exchange_file_another_deployment_imports(client, headers, elsewhere):
    _publish(client, headers, COMMITTEE)
    _publish(client, headers, REGISTRY)
    response = client.get("/api/v1/practices")
    with elsewhere.unit_of_work() as session:
        document = practice_exchange.read(response.text, source="the response")
        merged = practice_exchange.merge(
            session, document, actor="import", text=response.text, source="the response"
        )
    assert (merged.practices_added, merged.versions_added, merged.unchanged) == (2, 2, 0)
    assert merged.origin == DEPLOYMENT
    with elsewhere.unit_of_work() as session:
        again = practice_exchange.merge(
            session, practice_exchange.read(response.text), actor="import", text=response.text
        )
        assert (again.practices_added, again.versions_added, again.unchanged) == (0, 0, 2)
        shown = practices.search(session, practices.Search(text="interministériel"))
        assert [v.title for v in shown] == [COMMITTEE["title"]]
        assert shown[0].practice.origin == DEPLOYMENT


def _foreign_document(elsewhere: Database) -> str:
    """Another deployment's export with one published practice."""
    other = set_up(elsewhere)
    with elsewhere.unit_of_work() as session:
        author = session.get(Participant, other.government)
        reviewer = session.get(Participant, other.organiser)
        draft = practices.PracticeDraft(
            title="Hearings in sign language", summary="Every hearing is interpreted."
        )
        version = practices.submit(session, author, draft)
        practices.approve(session, reviewer, version.practice_id)
        document = practice_exchange.export(session, "Ostrava NMIRF", "https://ostrava.example")
    return json.dumps(document, indent=2, ensure_ascii=False)


def test_organisers_import_another_deployments_file(client, database, headers, elsewhere):
    text = _foreign_document(elsewhere)
    upload = {**headers["organiser"], "Content-Type": "application/json"}
    assert client.post("/api/v1/practices/import", content=text).status_code == 401
    refused = client.post("/api/v1/practices/import", content=text, headers=headers["government"])
    assert refused.status_code == 403 and "practices:review" in refused.json()["detail"]
    assert _stored(database) == (0, 0)

    imported = client.post("/api/v1/practices/import", content=text, headers=upload)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "origin": "Ostrava NMIRF",
        "practices_added": 1,
        "versions_added": 1,
        "unchanged": 0,
    }
    again = client.post("/api/v1/practices/import", content=text, headers=upload)
    assert (again.json()["versions_added"], again.json()["unchanged"]) == (0, 1)
    [record] = client.get("/api/v1/practices").json()["practices"]
    assert record["origin"] == "Ostrava NMIRF"
    assert record["versions"][0]["title"] == "Hearings in sign language"


def test_an_import_over_the_limit_is_refused_with_413_naming_the_limit(client, database, headers):
    big = b"{" + b" " * (20 * 1000 * 1000) + b"}"
    response = client.post("/api/v1/practices/import", content=big, headers=headers["organiser"])
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "10.0 MB (10,485,760 bytes)" in detail
    assert "CONSULTA_PRACTICES_IMPORT_MAX_BYTES" in detail
    assert _stored(database) == (0, 0)


def test_a_streamed_import_is_cut_off_at_the_limit(database, cast, headers):
    settings = Settings(database_url=database.url, practices_import_max_bytes=2 * MiB)
    chunks = (b" " * (256 * 1024) for _ in range(12))
    with TestClient(create_app(settings, database=database)) as limited:
        # No Content-Length: the body arrives in chunks and is counted as it comes.
        response = limited.post(
            "/api/v1/practices/import", content=chunks, headers=headers["organiser"]
        )
    assert response.status_code == 413
    assert "2.0 MB (2,097,152 bytes)" in response.json()["detail"]


def test_a_bad_file_names_the_line_and_field_and_imports_nothing(
    client, database, headers, elsewhere
):
    good = _foreign_document(elsewhere)
    upload = headers["organiser"]
    newer = good.replace('"format_version": 1', '"format_version": 7')
    refused = client.post("/api/v1/practices/import", content=newer, headers=upload)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail.startswith("request body, line 3, format_version: version 7")
    assert "it reads version 1" in detail

    document = json.loads(good)
    second = json.loads(json.dumps(document["practices"][0]))
    second["id"] = "urn:uuid:00000000-0000-4000-8000-000000000002"
    second["versions"][0]["sdg_targets"] = ["justice"]
    document["practices"].append(second)
    text = json.dumps(document, indent=2)
    bad = client.post("/api/v1/practices/import", content=text, headers=upload)
    assert bad.status_code == 422
    said = bad.json()["detail"]
    line = practice_exchange.line_of(text, ("practices", 1, "versions", 0, "sdg_targets", 0))
    assert f"line {line}, practices.1.versions.0.sdg_targets.0" in said
    assert said.startswith("request body: nothing was imported.")

    broken = client.post("/api/v1/practices/import", content='{\n  "format": ', headers=upload)
    assert broken.status_code == 422
    assert broken.json()["detail"].startswith("request body, line 2: not valid JSON")
    not_text = client.post("/api/v1/practices/import", content=b"\xff\xfe{}", headers=upload)
    assert not_text.status_code == 422 and "not UTF-8" in not_text.json()["detail"]
    # The first practice of the refused file was good, and it was not imported either.
    assert _stored(database) == (0, 0)


def _padded_document(size: int) -> bytes:
    """A valid exchange file of about `size` bytes: many practices with long texts."""
    long_text = "Registrars visited the district and wrote down every birth. " * 160
    records = []
    for number in range(1 + size // 25_000):
        version = {
            "version": 1,
            "published_at": "2027-01-15T10:00:00+00:00",
            "content_hash": f"{number:064x}",
            "language": "en",
            "title": f"District {number}",
            "summary": "A district's registration drive.",
            "done": long_text[:9_000],
            "results": long_text[:9_000],
            "lessons": long_text[:9_000],
        }
        records.append(
            {
                "id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
                "origin": "Ostrava NMIRF",
                "versions": [version],
            }
        )
    document = {
        "format": "consulta-practices",
        "format_version": 1,
        "exported_at": "2027-02-01T00:00:00+00:00",
        "deployment": {"name": "Ostrava NMIRF"},
        "practices": records,
    }
    return json.dumps(document).encode()


def test_only_upload_routes_escape_the_one_mebibyte_cap(client, database, headers):
    body = _padded_document(int(1.5 * MiB))
    assert 1.5 * MiB <= len(body) < 2 * MiB
    imported = client.post("/api/v1/practices/import", content=body, headers=headers["organiser"])
    assert imported.status_code == 200, imported.text[:300]
    assert imported.json()["practices_added"] == _stored(database)[0] > 50

    same_size = b" " * len(body)
    for path in (
        "/telegram/webhook",
        "/api/v1/practices",
        "/api/v1/practices/import/versions",
        "/api/v1/practices/1/versions",
    ):
        refused = client.post(path, content=same_size, headers=headers["organiser"])
        assert refused.status_code == 413, path
        assert refused.json()["detail"] == "request body is larger than 1048576 bytes"

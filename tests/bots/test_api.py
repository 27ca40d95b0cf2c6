"""The HTTP server as an organiser's script meets it: health, tokens, roles, filters, pages."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from bots.api.app import create_app
from core import outbox as outbox_store
from core import people, tokens
from core.config import Settings
from core.db import Database
from core.demo import load_demo
from core.messages import OutboundMessage
from core.models import OutboxStatus
from core.vocabulary import Platform, Role
from tests.conftest import PSEUDONYM_KEY


def _token(database: Database, role: Role) -> str:
    with database.unit_of_work() as session:
        owner = people.add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=role)
        return tokens.create_token(session, participant=owner, role=role)[1]


@pytest.fixture
def demo_database(database):
    load_demo(database, PSEUDONYM_KEY)
    return database


@pytest.fixture
def client(demo_database):
    app = create_app(Settings(database_url=demo_database.url), database=demo_database)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def organiser(demo_database):
    return {"Authorization": f"Bearer {_token(demo_database, Role.ORGANISER)}"}


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_readiness_fails_on_an_unmigrated_database(tmp_path):
    fresh = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(Settings(), database=fresh)) as test_client:
        response = test_client.get("/readyz")
    fresh.dispose()
    assert response.status_code == 503
    assert "consulta db upgrade" in response.json()["reason"]


def test_openapi_documents_the_recommendations_route(client):
    spec = client.get("/openapi.json").json()
    parameters = {p["name"] for p in spec["paths"]["/api/v1/recommendations"]["get"]["parameters"]}
    assert {
        "country",
        "mechanism",
        "theme",
        "sdg",
        "position",
        "cluster",
        "q",
        "limit",
        "offset",
    } <= parameters
    assert client.get("/docs").status_code == 200


def test_recommendations_need_a_valid_token(client):
    missing = client.get("/api/v1/recommendations")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/api/v1/recommendations", headers={"Authorization": "Bearer cst_nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "unknown token"


def test_recommendations_list_pages_through_everything(client, organiser):
    first = client.get("/api/v1/recommendations?limit=10", headers=organiser).json()
    total = first["total"]
    assert total >= 20 and len(first["items"]) == 10
    seen = [item["id"] for item in first["items"]]
    url = first["next"]
    while url:
        page = client.get(url, headers=organiser).json()
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("mechanism=treaty_body", lambda r: r["mechanism"] == "treaty_body"),
        ("body=crc", lambda r: r["body"] == "CRC"),
        ("position=noted", lambda r: r["position"] == "noted"),
        ("sdg=16", lambda r: any(t["code"].split(".")[0] == "16" for t in r["sdg_targets"])),
        ("theme=birth", lambda r: any("birth" in t.lower() for t in r["themes"])),
        (
            "country=republic%20of%20arcadia",
            lambda r: r["state_under_review"] == "Republic of Arcadia",
        ),
        ("q=registration", lambda r: "registration" in r["text"].lower()),
        ("cluster=Gender-based%20violence", lambda r: True),
    ],
)
def test_each_filter_narrows_to_matching_recommendations(client, organiser, query, check):
    everything = client.get("/api/v1/recommendations?limit=500", headers=organiser).json()
    response = client.get(f"/api/v1/recommendations?{query}&limit=500", headers=organiser)
    assert response.status_code == 200
    found = response.json()
    assert 0 < found["total"] <= everything["total"]
    assert all(check(item) for item in found["items"])


def test_bad_filters_are_named(client, organiser):
    response = client.get("/api/v1/recommendations?mechanism=parliament", headers=organiser)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "mechanism"]
    too_big = client.get("/api/v1/recommendations?limit=100000", headers=organiser)
    assert too_big.status_code == 422 and "at most 500" in too_big.json()["detail"]


def test_one_recommendation_and_a_missing_one(client, organiser):
    first = client.get("/api/v1/recommendations?limit=1", headers=organiser).json()["items"][0]
    one = client.get(f"/api/v1/recommendations/{first['id']}", headers=organiser)
    assert one.status_code == 200 and one.json() == first
    missing = client.get("/api/v1/recommendations/999999", headers=organiser)
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]


def test_roles_are_checked(client, demo_database, organiser):
    observer = {"Authorization": f"Bearer {_token(demo_database, Role.OBSERVER)}"}
    assert client.get("/api/v1/recommendations", headers=observer).status_code == 200
    refused = client.get("/api/v1/participants", headers=observer)
    assert refused.status_code == 403 and "participants:read" in refused.json()["detail"]
    listed = client.get("/api/v1/participants", headers=organiser)
    assert listed.status_code == 200
    assert all(
        set(p) == {"id", "pseudonym", "role", "organisation", "language"} for p in listed.json()
    )
    assert "Demo organiser" not in listed.text
    assert client.get("/api/v1/me", headers=observer).json()["role"] == "observer"


def test_oversized_bodies_are_refused_with_413(client, organiser):
    response = client.post(
        "/api/v1/recommendations", content=b"x" * (1024 * 1024 + 1), headers=organiser
    )
    assert response.status_code == 413


def test_request_id_is_returned_and_logged_without_the_token(client, organiser, caplog):
    caplog.set_level(logging.INFO, logger="consulta.http")
    response = client.get(
        "/api/v1/recommendations?limit=1", headers={**organiser, "X-Request-ID": "trace42"}
    )
    assert response.headers["x-request-id"] == "trace42"
    record = next(r for r in caplog.records if r.name == "consulta.http")
    assert record.getMessage() == "GET /api/v1/recommendations 200"
    token = organiser["Authorization"].split()[1]
    assert all(token not in r.getMessage() for r in caplog.records)


def test_the_outbox_report_is_for_organisers_and_names_no_one(client, demo_database, organiser):
    with demo_database.unit_of_work() as session:
        row = outbox_store.enqueue_to(
            session, Platform.TELEGRAM, "123456789", OutboundMessage("A private reminder")
        )
        row.status, row.attempts, row.last_error = OutboxStatus.DEAD, 8, "HTTP 502"
    report = client.get("/api/v1/outbox", headers=organiser)
    assert report.status_code == 200
    body = report.json()
    assert {"platform": "telegram", "status": "dead", "count": 1, "uncertain_sends": 0} in body[
        "counts"
    ]
    assert body["dead_letters"][0]["last_error"] == "HTTP 502"
    assert "123456789" not in report.text and "private reminder" not in report.text
    observer = {"Authorization": f"Bearer {_token(demo_database, Role.OBSERVER)}"}
    assert client.get("/api/v1/outbox", headers=observer).status_code == 403

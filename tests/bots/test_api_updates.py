"""Updates, review, gaps, timelines and invitations through the HTTP API, as callers meet them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bots.api.app import create_app
from core import invitations, tokens
from core.config import Settings
from core.models import AuditEntry, ImplementationUpdate, Participant, UpdateVersion, utcnow
from core.vocabulary import Role
from tests.fakes.followup import crowd, give_status, person, set_up, status_round


@pytest.fixture
def cast(database):
    return set_up(database)


@pytest.fixture
def client(database, cast):
    app = create_app(Settings(database_url=database.url), database=database)
    with TestClient(app) as test_client:
        yield test_client


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
        "observer": _bearer(database, _new(database, Role.OBSERVER)),
        "unverified": _bearer(
            database, _new(database, Role.GOVERNMENT, "Ministry of Justice", verified=False)
        ),
    }


def _stored(database) -> tuple[int, int, int]:
    with database.unit_of_work() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ImplementationUpdate, UpdateVersion, AuditEntry)
        )


def test_a_government_update_is_reviewed_then_published(client, cast, headers):
    first = cast.recommendations[0]
    body = {
        "recommendation": first,
        "status": "in_progress",
        "narrative": "A bill is before Parliament.",
        "evidence": ["https://parliament.example/bill-12"],
        "indicators": [{"name": "Births registered", "value": "81%", "date": "2026-12-31"}],
        "next_step": "Second reading",
        "next_step_due": "2027-06-30",
    }
    posted = client.post("/api/v1/updates", json=body, headers=headers["government"])
    assert posted.status_code == 201, posted.text
    draft = posted.json()
    assert (draft["state"], draft["version"], draft["kind"]) == ("draft", 1, "progress")
    assert draft["organisation"] == "Ministry of Justice"
    assert draft["indicators"] == [
        {"name": "Births registered", "value": "81%", "date": "2026-12-31"}
    ]
    assert draft["next_step_due"] == "2027-06-30"
    update_id = draft["id"]

    # Until it is approved, civil society sees nothing of it, not even that it exists.
    assert client.get("/api/v1/updates", headers=headers["civil_society"]).json() == []
    hidden = client.get(f"/api/v1/updates/{update_id}", headers=headers["civil_society"])
    assert hidden.status_code == 404
    waiting = client.get("/api/v1/updates?state=draft", headers=headers["organiser"]).json()
    assert [u["id"] for u in waiting] == [update_id]

    approved = client.post(
        f"/api/v1/updates/{update_id}/approve",
        json={"note": "Thank you."},
        headers=headers["organiser"],
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "published"
    public = client.get(f"/api/v1/updates/{update_id}", headers=headers["civil_society"]).json()
    assert [(v["version"], v["state"]) for v in public["versions"]] == [(1, "published")]
    assert public["versions"][0]["organisation"] == "Ministry of Justice"

    corrected = client.post(
        f"/api/v1/updates/{update_id}/versions",
        json={"status": "partially_implemented", "narrative": "The bill passed."},
        headers=headers["government"],
    )
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["version"], corrected.json()["state"]) == (2, "draft")
    seen_by_public = client.get(f"/api/v1/updates/{update_id}", headers=headers["civil_society"])
    seen_by_organiser = client.get(f"/api/v1/updates/{update_id}", headers=headers["organiser"])
    assert [v["version"] for v in seen_by_public.json()["versions"]] == [1]
    assert [v["version"] for v in seen_by_organiser.json()["versions"]] == [1, 2]
    by_recommendation = client.get(
        f"/api/v1/updates?recommendation={first}", headers=headers["civil_society"]
    ).json()
    assert [(u["id"], u["version"]) for u in by_recommendation] == [(update_id, 1)]
    assert (
        client.get(
            f"/api/v1/updates?recommendation={cast.recommendations[1]}",
            headers=headers["organiser"],
        ).json()
        == []
    )


def test_an_nhri_assessment_is_published_at_once(client, cast, headers):
    posted = client.post(
        "/api/v1/updates",
        json={"recommendation": cast.recommendations[0], "status": "not_started"},
        headers=headers["nhri"],
    )
    assert posted.status_code == 201
    assert (posted.json()["kind"], posted.json()["state"]) == ("assessment", "published")
    seen = client.get("/api/v1/updates", headers=headers["observer"]).json()
    assert [u["status"] for u in seen] == ["not_started"]


def test_a_rejected_draft_goes_back_with_its_note(client, cast, headers):
    update_id = client.post(
        "/api/v1/updates",
        json={"recommendation": cast.recommendations[0], "status": "fully_implemented"},
        headers=headers["government"],
    ).json()["id"]
    no_note = client.post(f"/api/v1/updates/{update_id}/reject", headers=headers["organiser"])
    assert no_note.status_code == 422
    blank = client.post(
        f"/api/v1/updates/{update_id}/reject", json={"note": "  "}, headers=headers["organiser"]
    )
    assert blank.status_code == 422 and "say why" in blank.json()["detail"]
    rejected = client.post(
        f"/api/v1/updates/{update_id}/reject",
        json={"note": "Link the decree, please."},
        headers=headers["organiser"],
    )
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected"
    mine = client.get(f"/api/v1/updates/{update_id}", headers=headers["government"]).json()
    assert mine["versions"][0]["review_note"] == "Link the decree, please."
    again = client.post(f"/api/v1/updates/{update_id}/approve", headers=headers["organiser"])
    assert again.status_code == 422 and "no draft waiting" in again.json()["detail"]


@pytest.mark.parametrize(
    ("who", "change", "code", "words"),
    [
        ("unverified", {}, 403, "not verified yet"),
        ("civil_society", {}, 403, "'updates:post'"),
        ("organiser", {}, 403, "'updates:post'"),
        ("government", {"recommendation": 999}, 404, "no recommendation"),
        ("government", {"status": "mostly done"}, 422, "status: 'mostly done'"),
        ("government", {"evidence": ["ftp://files.example/x"]}, 422, "evidence link 1"),
        ("government", {"evidence": ["javascript:alert(1)"]}, 422, "must start with http"),
        ("government", {"narrative": "x" * 50_000}, 422, "narrative: 50,000 characters"),
        ("government", {"cluster": "Children"}, 422, "one recommendation or one cluster"),
        ("government", {"next_step_due": "30/06/2027"}, 422, "YYYY-MM-DD"),
        ("government", {"indicators": [{"name": "Births"}]}, 422, "indicator 1"),
        ("government", {"responsible_entity": "Ministry of Magic"}, 404, "Ministry of Magic"),
        ("government", {"recomendation": 1}, 422, "recomendation"),
    ],
)
def test_refusals_name_the_problem_and_store_nothing(
    client, database, cast, headers, who, change, code, words
):
    before = _stored(database)
    body = {"recommendation": cast.recommendations[0], "status": "in_progress", **change}
    response = client.post("/api/v1/updates", json=body, headers=headers[who])
    assert response.status_code == code, response.text
    assert words in str(response.json()["detail"])
    assert _stored(database) == before


def test_only_verified_organisers_review(client, database, cast, headers):
    update_id = client.post(
        "/api/v1/updates",
        json={"recommendation": cast.recommendations[0], "status": "in_progress"},
        headers=headers["government"],
    ).json()["id"]
    unverified_organiser = _bearer(database, _new(database, Role.ORGANISER, verified=False))
    before = _stored(database)
    for caller in (headers["government"], headers["nhri"], unverified_organiser):
        refused = client.post(f"/api/v1/updates/{update_id}/approve", headers=caller)
        assert refused.status_code == 403
    missing = client.post("/api/v1/updates/999/approve", headers=headers["organiser"])
    assert missing.status_code == 404
    assert _stored(database) == before
    other = _bearer(database, _new(database, Role.GOVERNMENT))
    foreign = client.post(
        f"/api/v1/updates/{update_id}/versions", json={"status": "not_started"}, headers=other
    )
    assert foreign.status_code == 403 and "another organisation" in foreign.json()["detail"]


def test_gaps_list_the_largest_first_with_small_cells_withheld(client, database, cast, headers):
    first, second = cast.recommendations[:2]
    client.post(
        "/api/v1/updates",
        json={"recommendation": first, "status": "in_progress"},
        headers=headers["nhri"],
    )
    for recommendation in (first, second):
        update_id = client.post(
            "/api/v1/updates",
            json={"recommendation": recommendation, "status": "partially_implemented"},
            headers=headers["government"],
        ).json()["id"]
        client.post(f"/api/v1/updates/{update_id}/approve", headers=headers["organiser"])
    with database.unit_of_work() as session:
        consultation = status_round(session, "GAPS", [first, second])
        views = ["in_progress", "in_progress", "partially_implemented", "not_started"]
        for who, status in zip(
            crowd(session, 6), [*views, "in_progress", "dont_know"], strict=True
        ):
            give_status(session, who, consultation, first, status)
        for who in crowd(session, 3):
            give_status(session, who, consultation, second, "not_started")
    response = client.get("/api/v1/gaps", headers=headers["observer"])
    assert response.status_code == 200, response.text
    rows = response.json()
    assert [r["recommendation_id"] for r in rows] == [first, second]
    top, few = rows
    assert (top["gap_government"], top["gap_nhri"], top["gap"]) == (1.0, 0.0, 1.0)
    # Five gave a status; the one "don't know" is below 5 and hidden.
    assert top["civil_society"]["responses"] == 5 and top["civil_society"]["dont_know"] is None
    assert top["government"]["status"] == "partially_implemented"
    assert few["gap"] is None and few["civil_society"]["suppressed"] is True
    assert few["civil_society"]["distribution"]["not_started"] is None
    in_round = client.get("/api/v1/gaps?round=gaps&limit=1", headers=headers["civil_society"])
    assert [r["round"] for r in in_round.json()] == ["GAPS"]
    unknown = client.get("/api/v1/gaps?round=NOPE", headers=headers["observer"])
    assert unknown.status_code == 404 and "NOPE" in unknown.json()["detail"]
    too_many = client.get("/api/v1/gaps?limit=100000", headers=headers["observer"])
    assert too_many.status_code == 422
    assert client.get("/api/v1/gaps").status_code == 401


def test_the_timeline_shows_each_caller_what_they_may_see(client, database, cast, headers):
    first = cast.recommendations[0]
    client.post(
        "/api/v1/updates",
        json={"recommendation": first, "status": "in_progress"},
        headers=headers["government"],
    )
    with database.unit_of_work() as session:
        # The round opened yesterday, before the update was posted.
        consultation = status_round(session, "TIME", [first], now=utcnow())
        give_status(session, crowd(session, 1)[0], consultation, first, "in_progress")

    def kinds(who):
        response = client.get(f"/api/v1/recommendations/{first}/timeline", headers=headers[who])
        assert response.status_code == 200, response.text
        return [e["kind"] for e in response.json()]

    assert kinds("civil_society") == ["recommendation", "consultation"]
    assert kinds("organiser") == ["recommendation", "consultation", "update"]
    public = client.get(
        f"/api/v1/recommendations/{first}/timeline", headers=headers["observer"]
    ).json()
    assert public[1]["suppressed"] is True and public[1]["responses"] is None
    assert public[0]["upr_cycle"] == 4
    missing = client.get("/api/v1/recommendations/999/timeline", headers=headers["observer"])
    assert missing.status_code == 404


def test_invitations_show_their_code_once(client, database, headers):
    created = client.post(
        "/api/v1/invitations",
        json={"role": "nhri", "organisation": "Valdoria Human Rights Commission", "name": "A. B."},
        headers=headers["organiser"],
    )
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["role"] == "nhri" and made["organisation"] == "Valdoria Human Rights Commission"
    assert f"verify {made['code']}" in made["how_to_redeem"]
    listed = client.get("/api/v1/invitations", headers=headers["organiser"])
    assert listed.status_code == 200
    (row,) = listed.json()
    assert made["code"] not in listed.text and "A. B." not in listed.text
    assert (row["status"], row["redeemed_by"]) == ("waiting", None)

    with database.unit_of_work() as session:
        newcomer = person(session, Role.CIVIL_SOCIETY)
        invitations.redeem(session, made["code"], newcomer)
        pseudonym = newcomer.pseudonym
    (row,) = client.get("/api/v1/invitations", headers=headers["organiser"]).json()
    assert (row["status"], row["redeemed_by"]) == ("redeemed", pseudonym)


@pytest.mark.parametrize(
    ("who", "body", "code", "words"),
    [
        ("government", {"role": "nhri", "organisation": "Ministry of Justice"}, 403, "invitations"),
        ("organiser", {"role": "civil_society", "organisation": "x"}, 422, "cannot be given"),
        ("organiser", {"role": "nhri", "organisation": "Ministry of Justice"}, 422, "of type"),
        ("organiser", {"role": "nhri", "organisation": "Nowhere"}, 404, "Nowhere"),
    ],
)
def test_invitation_refusals(client, database, headers, who, body, code, words):
    before = _stored(database)
    response = client.post("/api/v1/invitations", json=body, headers=headers[who])
    assert response.status_code == code, response.text
    assert words in response.json()["detail"]
    assert _stored(database) == before
    assert client.get("/api/v1/invitations", headers=headers["organiser"]).json() == []

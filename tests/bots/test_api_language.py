"""The API's refusals in the caller's language: their own, else Accept-Language's, else English."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from bots.api.app import create_app
from bots.api.middleware import MAX_BODY_BYTES
from bots.api.refusals import remember_caller_language, request_language
from core import people, tokens
from core.config import Settings
from core.db import Database
from core.i18n import preferred_language, translate
from core.vocabulary import Role
from tests.conftest import PSEUDONYM_KEY

UNKNOWN_ROUND = "no round with the code {code!r}"


def _bearer(database: Database, role: Role, language: str | None = None) -> dict[str, str]:
    with database.unit_of_work() as session:
        owner = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=role, language=language
        )
        plaintext = tokens.create_token(session, participant=owner, role=role)[1]
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def client(database):
    app = create_app(Settings(database_url=database.url), database=database)
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5", "fr"),
        ("de-DE, es;q=0.7, en;q=0.3", "es"),
        ("en;q=0.2, ar", "ar"),
        ("zh-Hans-CN", "zh"),
        ("ru;q=0.5, fr;q=0.5", "ru"),
        ("fr;q=0, de", None),
        ("*", None),
        ("es;q=nonsense, ru", "ru"),
        ("", None),
        (None, None),
    ],
)
def test_accept_language_picks_the_preferred_language_consulta_speaks(
    header: str | None, expected: str | None
) -> None:
    assert preferred_language(header) == expected


def test_the_language_of_a_request_is_the_callers_then_the_headers_then_english() -> None:
    def request(accept: bytes | None) -> Request:
        headers = [(b"accept-language", accept)] if accept is not None else []
        return Request({"type": "http", "headers": headers, "state": {}})

    assert request_language(request(None)) == "en"
    assert request_language(request(b"de, ru;q=0.4")) == "ru"
    known = request(b"fr")
    remember_caller_language(known, "es")
    assert request_language(known) == "es"
    # A caller without a language of their own, or with one Consulta lacks, goes by the header.
    for own in (None, "de"):
        unchosen = request(b"fr")
        remember_caller_language(unchosen, own)
        assert request_language(unchosen) == "fr"


def test_a_refusal_follows_accept_language(client, database) -> None:
    organiser = _bearer(database, Role.ORGANISER)
    response = client.get(
        "/api/v1/rounds/NOPE/results",
        headers={**organiser, "Accept-Language": "fr-CA, fr;q=0.9, en;q=0.5"},
    )
    assert response.status_code == 404
    # The body keeps its shape; only the sentence is in the caller's language.
    assert response.json() == {"detail": translate("fr", UNKNOWN_ROUND).format(code="NOPE")}


def test_the_participants_own_language_outranks_accept_language(client, database) -> None:
    organiser = _bearer(database, Role.ORGANISER, language="es")
    response = client.get(
        "/api/v1/rounds/NOPE/export", headers={**organiser, "Accept-Language": "fr"}
    )
    assert response.status_code == 404
    assert response.json()["detail"] == translate("es", UNKNOWN_ROUND).format(code="NOPE")

    observer = _bearer(database, Role.CIVIL_SOCIETY, language="ar")
    refused = client.get("/api/v1/participants", headers={**observer, "Accept-Language": "fr"})
    assert refused.status_code == 403
    said = translate("ar", "the role {role!r} does not have {permission!r}")
    assert refused.json()["detail"] == said.format(
        role="civil_society", permission="participants:read"
    )


def test_refusals_before_a_token_is_known_follow_accept_language(client, database) -> None:
    missing = client.get("/api/v1/recommendations", headers={"Accept-Language": "ru"})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["detail"] == translate(
        "ru", "missing bearer token; create one with `consulta tokens create`"
    )
    wrong = client.get(
        "/api/v1/recommendations",
        headers={"Authorization": "Bearer cst_nope", "Accept-Language": "zh-CN"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == translate("zh", "unknown token")

    too_big = client.post(
        "/api/v1/updates",
        content=b"x" * (MAX_BODY_BYTES + 1),
        headers={"Accept-Language": "es", "Content-Type": "application/json"},
    )
    assert too_big.status_code == 413
    said = translate("es", "request body is larger than {limit} bytes")
    assert too_big.json() == {"detail": said.format(limit=MAX_BODY_BYTES)}


def test_an_api_message_with_values_is_translated_then_filled(client, database) -> None:
    organiser = _bearer(database, Role.ORGANISER)
    response = client.get(
        "/api/v1/recommendations?limit=100000", headers={**organiser, "Accept-Language": "es"}
    )
    assert response.status_code == 422
    said = translate("es", "limit may be at most {most}")
    assert response.json()["detail"] == said.format(most=Settings().api_page_size_max)


def test_without_a_language_the_api_speaks_english(client, database) -> None:
    organiser = _bearer(database, Role.ORGANISER)
    response = client.get("/api/v1/rounds/NOPE/results", headers=organiser)
    assert response.json() == {"detail": "no round with the code 'NOPE'"}

"""`consulta results` and GET /api/v1/rounds/{code}/results, on a round with hidden counts."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.api.app import create_app
from core import tokens
from core.config import Settings
from core.models import Participant
from core.vocabulary import Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.test_results import _sector_round


def _bearer(database, role: Role) -> dict[str, str]:
    with database.unit_of_work() as session:
        owner = session.scalars(select(Participant).where(Participant.role == role)).first()
        plaintext = tokens.create_token(session, participant=owner, role=owner.role)[1]
    return {"Authorization": f"Bearer {plaintext}"}


def test_the_cli_shows_counts_with_small_ones_hidden(database, consulta):
    _sector_round(database)
    shown = consulta("results", "--round", "RES01", "--by", "language")
    assert shown.exit_code == 0, shown.output
    assert "counts below 5 hidden" in shown.output
    assert "<5" in shown.output and "19" in shown.output
    as_json = json.loads(consulta("results", "--round", "RES01", "--json").stdout)
    overall = next(t for t in as_json["tables"] if t["key"] == "sector:overall")
    assert overall["rows"][0]["cells"]["justice"] == {"count": None, "suppressed": True}
    wrong = consulta("results", "--round", "RES01", "--by", "shoe_size")
    assert wrong.exit_code == 1 and "'shoe_size' is not a breakdown" in wrong.output
    missing = consulta("results", "--round", "NOPE")
    assert missing.exit_code == 1 and "NOPE" in missing.output


def test_the_api_gives_results_to_organisers_only(database):
    _sector_round(database)
    app = create_app(
        Settings(database_url=database.url, pseudonym_key=PSEUDONYM_KEY.decode()), database=database
    )
    with TestClient(app) as client:
        answer = client.get(
            "/api/v1/rounds/RES01/results", headers=_bearer(database, Role.ORGANISER)
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["k"] == 5 and "no row, column or grand total" in body["suppression"]
        sector = next(t for t in body["tables"] if t["key"] == "sector:language")
        assert sector["column_totals"]["justice"] == {"count": None, "suppressed": True}
        refused = client.get(
            "/api/v1/rounds/RES01/results", headers=_bearer(database, Role.GOVERNMENT)
        )
        assert refused.status_code == 403
        assert (
            client.get(
                "/api/v1/rounds/NOPE/results", headers=_bearer(database, Role.ORGANISER)
            ).status_code
            == 404
        )

"""A round on the every-kind survey over five recommendations, open for conversation tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import rounds
from core.importing.service import ImportOptions, import_recommendations
from core.survey_store import save_survey
from surveys.loading import load_survey_file
from tests.conftest import FIXTURES, PSEUDONYM_KEY
from tests.fakes.chat import Participant

SURVEY = FIXTURES / "surveys" / "every-kind.yaml"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def open_round(database, code="TEST01", survey_path=SURVEY, now=NOW, **plan_fields):
    """Import the template fixture's recommendations, save the survey and open a round.

    The round is open from a day before `now` to 30 days after; channel tests, which run on
    the real clock, pass the current time.
    """
    summary = import_recommendations(database, FIXTURES / "template.csv", ImportOptions())
    assert summary.committed
    survey = load_survey_file(survey_path)
    with database.unit_of_work() as session:
        save_survey(session, survey)
        plan = rounds.RoundPlan(
            title="Mid-term check",
            survey=survey.id,
            code=code,
            scope=rounds.Scope(country=plan_fields.pop("country", "Valdoria")),
            languages=plan_fields.pop("languages", ("en", "fr")),
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            **plan_fields,
        )
        rounds.create_round(session, plan)
        rounds.open_round(session, code, now=now)
    return survey


@pytest.fixture
def consultation(database):
    open_round(database)
    return database


@pytest.fixture
def person(consultation):
    return Participant(consultation, PSEUDONYM_KEY, now=NOW)

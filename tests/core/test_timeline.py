"""A recommendation's timeline, as each kind of viewer sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import rounds, updates
from core.errors import NotFound
from core.models import Participant
from core.rounds import find_round
from core.timeline import timeline
from core.updates import UpdateDraft
from core.vocabulary import Role
from tests.fakes.followup import NOW, crowd, give_status, person, set_up, status_round

DAY = timedelta(days=1)


@pytest.fixture
def history(database):
    """On the first recommendation (UPR cycle 4, made 2024-01-09), in this order:

    a round that opened a day before NOW and is still open, with six statuses; a round that
    closed at NOW + 5 days with two; a draft round; a government update posted at NOW + 1 day,
    approved at NOW + 2 days, then corrected by a draft at NOW + 3 days; an NHRI assessment
    at NOW + 4 days.
    """
    cast = set_up(database)
    first = cast.recommendations[0]
    with database.unit_of_work() as session:
        wide = status_round(session, "WIDE", [first])
        small = status_round(session, "SMALL", [first], min_cell_size=3)
        for who, status in zip(
            crowd(session, 6),
            ["in_progress"] * 4 + ["not_started", "dont_know"],
            strict=True,
        ):
            give_status(session, who, wide, first, status)
        for who in crowd(session, 2):
            give_status(session, who, small, first, "fully_implemented")
        rounds.close_round(session, "SMALL", now=NOW + 5 * DAY)
        rounds.create_round(
            session,
            rounds.RoundPlan(
                title="Not yet",
                survey="every-kind",
                code="LATER",
                scope=rounds.Scope(recommendation_ids=(first,)),
            ),
        )
        government = session.get(Participant, cast.government)
        organiser = session.get(Participant, cast.organiser)
        posted = updates.post_update(
            session,
            government,
            UpdateDraft(
                status="in_progress",
                narrative="A bill is before Parliament.",
                recommendation=first,
            ),
            now=NOW + DAY,
        )
        updates.approve(session, organiser, posted.update_id, now=NOW + 2 * DAY)
        updates.revise_update(
            session,
            government,
            posted.update_id,
            UpdateDraft(status="partially_implemented", narrative="The bill passed."),
            now=NOW + 3 * DAY,
        )
        updates.post_update(
            session,
            session.get(Participant, cast.nhri),
            UpdateDraft(status="not_started", recommendation=first),
            now=NOW + 4 * DAY,
        )
        colleague = person(session, Role.GOVERNMENT, "Ministry of Justice")
        outsider = crowd(session, 1)[0]
        return {
            "first": first,
            "organiser": cast.organiser,
            "colleague": colleague.id,
            "outsider": outsider.id,
            "cast": cast,
        }


def _events(database, recommendation_id, viewer_id):
    with database.unit_of_work() as session:
        viewer = session.get(Participant, viewer_id) if viewer_id is not None else None
        return timeline(session, recommendation_id, viewer)


def _summary(events):
    return [
        (e["kind"], e["update"]["version"] if "update" in e else e.get("round")) for e in events
    ]


def test_the_public_sees_published_reports_and_results_in_time_order(database, history):
    events = _events(database, history["first"], None)
    assert _summary(events) == [
        ("recommendation", None),
        ("consultation", "WIDE"),
        ("update", 1),
        ("assessment", 1),
        ("consultation", "SMALL"),
    ]
    assert all(e["upr_cycle"] == 4 for e in events)
    made, wide, update, assessment, small = events
    assert made["at"] == "2024-01-09" and made["upr_session"] == 44
    assert wide["at"] == (NOW - DAY).isoformat()
    # Five gave a status, so the mean shows; every count below 5 stays hidden.
    assert (wide["responses"], wide["dont_know"], wide["mean"]) == (5, None, 0.8)
    assert wide["distribution"]["in_progress"] is None and not wide["suppressed"]
    assert update["at"] == (NOW + 2 * DAY).isoformat()
    assert update["update"]["state"] == "published"
    assert update["update"]["organisation"] == "Ministry of Justice"
    assert update["update"]["narrative"] == "A bill is before Parliament."
    assert assessment["update"]["status"] == "not_started"
    # Two answers under the round's k of 3: counts withheld.
    assert small["at"] == (NOW + 5 * DAY).isoformat()
    assert small["suppressed"] and small["responses"] is None and small["k"] == 3
    assert small["status"] == "closed"


def test_drafts_appear_to_organisers_and_their_own_organisation_only(database, history):
    def versions(viewer_id):
        return [
            (e["update"]["version"], e["update"]["state"])
            for e in _events(database, history["first"], viewer_id)
            if e["kind"] == "update"
        ]

    assert versions(history["organiser"]) == [(1, "published"), (2, "draft")]
    assert versions(history["colleague"]) == [(1, "published"), (2, "draft")]
    assert versions(history["outsider"]) == [(1, "published")]
    organiser_view = _events(database, history["first"], history["organiser"])
    draft = next(e for e in organiser_view if e["kind"] == "update" and e["update"]["version"] == 2)
    assert draft["at"] == (NOW + 3 * DAY).isoformat()
    assert draft["update"]["narrative"] == "The bill passed."


def test_a_recommendation_with_no_cycle_or_history(database, history):
    cedaw = history["cast"].recommendations[1]
    events = _events(database, cedaw, None)
    assert events == [
        {
            "kind": "recommendation",
            "at": "2024-10-15",
            "upr_cycle": None,
            "upr_session": None,
            "body": "CEDAW",
            "document_symbol": "CEDAW/C/VLD/CO/8",
            "paragraph": "21",
            "position": None,
        }
    ]


def test_a_round_without_answers_still_shows(database, history):
    second = history["cast"].recommendations[2]
    with database.unit_of_work() as session:
        status_round(session, "QUIET", [second])
        assert find_round(session, "QUIET").recommendations[0].id == second
    events = _events(database, second, None)
    quiet = [e for e in events if e["kind"] == "consultation"]
    assert len(quiet) == 1
    assert quiet[0]["responses"] == 0 and not quiet[0]["suppressed"]


def test_an_unknown_recommendation(database, history):
    with pytest.raises(NotFound):
        _events(database, 999, None)

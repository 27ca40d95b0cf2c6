"""The perception gap, checked by hand on small examples, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import updates
from core.gaps import gap_for, perception_gaps, pooled_k, status_tallies
from core.models import Answer, Participant
from core.rounds import find_round
from core.updates import UpdateDraft
from core.vocabulary import Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.core.conversation.test_dialogues import FULL_RUN
from tests.fakes.chat import Participant as ChatParticipant
from tests.fakes.followup import (
    NOW,
    crowd,
    give_status,
    set_up,
    status_round,
    withdraw_status,
)

STATUSES = ["not_started", "in_progress", "partially_implemented", "fully_implemented"]

# The example worked by hand: government says partially implemented (2), the NHRI in
# progress (1); six people in civil society say 1, 1, 2, 0, 1 and "don't know". Five gave a
# status, their mean is (1 + 1 + 2 + 0 + 1) / 5 = 1.0, so the government is 1.0 away from
# civil society and the NHRI 0.0.
SIX_VIEWS = [
    "in_progress",
    "in_progress",
    "partially_implemented",
    "not_started",
    "in_progress",
    "dont_know",
]


def _report(database, cast, recommendation_id, *, government=None, nhri=None, at=NOW):
    with database.unit_of_work() as session:
        if government is not None:
            author = session.get(Participant, cast.government)
            version = updates.post_update(
                session,
                author,
                UpdateDraft(status=government, recommendation=recommendation_id),
                now=at,
            )
            organiser = session.get(Participant, cast.organiser)
            updates.approve(session, organiser, version.update_id, now=at + timedelta(hours=1))
        if nhri is not None:
            author = session.get(Participant, cast.nhri)
            updates.post_update(
                session, author, UpdateDraft(status=nhri, recommendation=recommendation_id), now=at
            )


def _answers(database, code, recommendation_id, statuses, *, role=Role.CIVIL_SOCIETY):
    with database.unit_of_work() as session:
        consultation = find_round(session, code)
        people = crowd(session, len(statuses), role)
        for who, status in zip(people, statuses, strict=True):
            give_status(session, who, consultation, recommendation_id, status)
        return [p.id for p in people]


@pytest.fixture
def cast(database):
    cast = set_up(database)
    with database.unit_of_work() as session:
        status_round(session, "GAP1", cast.recommendations)
    return cast


def test_the_hand_checked_example(database, cast):
    first = cast.recommendations[0]
    _report(database, cast, first, government="partially_implemented", nhri="in_progress")
    _answers(database, "GAP1", first, SIX_VIEWS)
    with database.unit_of_work() as session:
        row = gap_for(session, first)
    assert row.government is not None and row.government.status == "partially_implemented"
    assert row.nhri is not None and row.nhri.status == "in_progress"
    assert row.civil_society.known == 5
    assert row.civil_society.mean == pytest.approx(1.0)
    assert row.gap_government == pytest.approx(1.0)
    assert row.gap_nhri == pytest.approx(0.0)
    assert row.gap == pytest.approx(1.0)
    data = row.as_data()
    # Five people gave a status, so the mean and the gap show; each count is below 5, so
    # every one is hidden, as it is in every table of results.
    hidden = {"count": None, "suppressed": True}
    assert data["civil_society"] == {
        "responses": 5,
        "dont_know": None,
        "mean": 1.0,
        "distribution": dict.fromkeys(STATUSES),
        "cells": dict.fromkeys([*STATUSES, "dont_know"], hidden),
        "suppressed": False,
        "k": 5,
    }
    assert data["government"]["organisation"] == "Ministry of Justice"
    assert (data["gap_government"], data["gap_nhri"]) == (1.0, 0.0)


def test_four_known_answers_show_no_gap_and_no_counts(database, cast):
    first = cast.recommendations[0]
    _report(database, cast, first, government="fully_implemented", nhri="not_started")
    # Four statuses and a "don't know": five people, but only four on the scale.
    _answers(database, "GAP1", first, [*SIX_VIEWS[:4], "dont_know"])
    with database.unit_of_work() as session:
        row = gap_for(session, first)
    assert row.civil_society.known == 4
    assert row.civil_society.mean is None
    assert (row.gap_government, row.gap_nhri, row.gap) == (None, None, None)
    assert row.as_data()["civil_society"] == {
        "responses": None,
        "dont_know": None,
        "mean": None,
        "distribution": dict.fromkeys(STATUSES),
        "cells": {key: {"count": None, "suppressed": True} for key in [*STATUSES, "dont_know"]},
        "suppressed": True,
        "k": 5,
    }
    # What the institutions published is not an answer from a small group: it stays.
    assert row.as_data()["government"]["status"] == "fully_implemented"


def test_a_person_counts_once_with_their_latest_status(database, cast):
    first = cast.recommendations[0]
    with database.unit_of_work() as session:
        status_round(session, "GAP2", cast.recommendations)
    ids = _answers(database, "GAP1", first, ["not_started"] * 5)
    with database.unit_of_work() as session:
        again = find_round(session, "GAP2")
        # One person answers again in a later round, another changes their answer.
        give_status(session, session.get(Participant, ids[0]), again, first, "fully_implemented")
        give_status(
            session,
            session.get(Participant, ids[1]),
            find_round(session, "GAP1"),
            first,
            "in_progress",
        )
        assert session.scalar(
            select(Answer.id).where(Answer.participant_id == ids[1], ~Answer.is_current)
        )
        counts = status_tallies(session, recommendation_id=first)
        in_gap1 = status_tallies(
            session, recommendation_id=first, round_id=find_round(session, "GAP1").id
        )
    assert counts == {(first, None): {"not_started": 3, "fully_implemented": 1, "in_progress": 1}}
    # Within the first round, the person who answered again later still counts there.
    assert in_gap1 == {(first, None): {"not_started": 4, "in_progress": 1}}


def test_withdrawn_answers_and_other_roles_are_left_out(database, cast):
    first = cast.recommendations[0]
    ids = _answers(database, "GAP1", first, ["in_progress"] * 6)
    _answers(database, "GAP1", first, ["fully_implemented"] * 3, role=Role.ACADEMIC)
    _answers(database, "GAP1", first, ["fully_implemented"] * 2, role=Role.GOVERNMENT)
    with database.unit_of_work() as session:
        consultation = find_round(session, "GAP1")
        assert withdraw_status(session, session.get(Participant, ids[0]), consultation, first) == 1
        assert withdraw_status(session, session.get(Participant, ids[1]), consultation, first) == 1
        row = gap_for(session, first)
    # Four remain: under k, so nothing is shown.
    assert row.civil_society.counts == {"in_progress": 4}
    assert row.as_data()["civil_society"]["suppressed"] is True


def test_the_latest_published_status_counts_not_drafts_or_rejections(database, cast):
    first = cast.recommendations[0]
    _report(database, cast, first, government="not_started", at=NOW)
    _report(database, cast, first, government="in_progress", at=NOW + timedelta(days=10))
    with database.unit_of_work() as session:
        author = session.get(Participant, cast.government)
        organiser = session.get(Participant, cast.organiser)
        newest = updates.post_update(
            session, author, UpdateDraft(status="fully_implemented", recommendation=first)
        )
        updates.reject(session, organiser, newest.update_id, note="No evidence given.")
        updates.post_update(
            session, author, UpdateDraft(status="fully_implemented", recommendation=first)
        )
        row = gap_for(session, first)
    assert row.government is not None
    assert row.government.status == "in_progress"
    assert row.nhri is None


def test_a_cluster_update_reports_on_every_member(database, cast):
    from core.clusters import add_cluster

    with database.unit_of_work() as session:
        add_cluster(session, name="Children", recommendation_ids=list(cast.recommendations[:2]))
        author = session.get(Participant, cast.nhri)
        updates.post_update(session, author, UpdateDraft(status="in_progress", cluster="Children"))
        rows = perception_gaps(session)
    assert {r.recommendation_id for r in rows} == set(cast.recommendations[:2])
    assert all(r.nhri is not None and r.nhri.status == "in_progress" for r in rows)


def test_the_list_puts_the_largest_gap_first_and_gapless_rows_last(database, cast):
    first, second, third, fourth = cast.recommendations[:4]
    _report(database, cast, first, government="partially_implemented", nhri="in_progress")
    _answers(database, "GAP1", first, SIX_VIEWS)  # gap 1.0
    _report(database, cast, second, government="fully_implemented")
    _answers(database, "GAP1", second, ["not_started"] * 5)  # gap 3.0
    _report(database, cast, third, nhri="in_progress")
    _answers(database, "GAP1", third, ["in_progress"] * 2)  # too few: no gap
    _answers(database, "GAP1", fourth, ["in_progress"] * 7)  # nobody reported: no gap
    with database.unit_of_work() as session:
        rows = perception_gaps(session)
        top = perception_gaps(session, limit=1)
    assert [r.recommendation_id for r in rows] == [second, first, third, fourth]
    assert [r.gap for r in rows] == [pytest.approx(3.0), pytest.approx(1.0), None, None]
    assert rows[3].civil_society.as_data()["responses"] == 7
    assert rows[0].as_data()["body"] == "CEDAW"
    assert [r.recommendation_id for r in top] == [second]


def test_a_round_uses_its_own_answers_and_its_k(database, cast):
    first, second = cast.recommendations[:2]
    with database.unit_of_work() as session:
        status_round(session, "SMALL", [first], min_cell_size=3)
    _report(database, cast, first, government="fully_implemented")
    _report(database, cast, second, government="fully_implemented")
    _answers(database, "SMALL", first, ["in_progress"] * 3)
    _answers(database, "GAP1", first, ["not_started"] * 2)
    with database.unit_of_work() as session:
        in_round = perception_gaps(session, round_code="small")
        pooled = perception_gaps(session)
        assert pooled_k(session) == 5
    # The round lists only its recommendation, counts only its three answers, with k = 3.
    assert [r.recommendation_id for r in in_round] == [first]
    assert in_round[0].civil_society.k == 3
    assert in_round[0].round_code == "SMALL"
    assert in_round[0].gap_government == pytest.approx(2.0)
    # Pooled, five people answered; k is at least 5 (the default).
    by_id = {r.recommendation_id: r for r in pooled}
    assert by_id[first].civil_society.known == 5
    assert by_id[first].civil_society.mean == pytest.approx(0.6)
    assert by_id[first].gap_government == pytest.approx(2.4)


def test_pooled_answers_keep_the_strictest_rounds_promise(database, cast):
    first = cast.recommendations[0]
    with database.unit_of_work() as session:
        status_round(session, "STRICT", [first], min_cell_size=8)
    _report(database, cast, first, government="fully_implemented")
    _answers(database, "STRICT", first, ["in_progress"] * 6)
    with database.unit_of_work() as session:
        assert pooled_k(session) == 8
        row = gap_for(session, first)
        explicit = gap_for(session, first, k=6)
    assert row.civil_society.suppressed and row.gap is None
    assert explicit.gap_government == pytest.approx(2.0)


def test_answers_given_through_the_conversation_engine_are_counted(database):
    open_round(database)
    person = ChatParticipant(database, PSEUDONYM_KEY, now=NOW)
    for sent, _ in FULL_RUN:
        person.send(sent)
    with database.unit_of_work() as session:
        first = find_round(session, "TEST01").recommendations[0].id
        counts = status_tallies(session, recommendation_id=first)
        row = gap_for(session, first, k=1)
    assert counts == {(first, None): {"partially_implemented": 1}}
    assert row.civil_society.mean == pytest.approx(2.0)


def test_unknown_round_and_recommendation_are_refused(database, cast):
    from core.errors import InvalidInput, NotFound

    with database.unit_of_work() as session:
        with pytest.raises(NotFound, match="no round with the code 'NOPE'"):
            perception_gaps(session, round_code="NOPE")
        with pytest.raises(NotFound, match="no recommendation with id 999"):
            gap_for(session, 999)
        with pytest.raises(InvalidInput, match="at least 1"):
            perception_gaps(session, k=0)

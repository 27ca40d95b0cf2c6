"""The demo shows follow-up too: updates in each state, and good practices."""

from __future__ import annotations

from sqlalchemy import select

from core import practices, updates
from core.demo import load_demo
from core.models import ImplementationUpdate, UpdateKind, UpdateState
from tests.conftest import PSEUDONYM_KEY


def test_the_demo_holds_updates_in_each_state_once(database):
    load_demo(database, PSEUDONYM_KEY)
    load_demo(database, PSEUDONYM_KEY)
    with database.unit_of_work() as session:
        found = sorted(
            (u.kind.value, u.versions[-1].state.value)
            for u in session.scalars(select(ImplementationUpdate))
        )
        assert found == [
            (UpdateKind.ASSESSMENT.value, UpdateState.PUBLISHED.value),
            (UpdateKind.PROGRESS.value, UpdateState.DRAFT.value),
            (UpdateKind.PROGRESS.value, UpdateState.PUBLISHED.value),
        ]
        assert len(updates.awaiting_review(session)) == 1


def test_the_demo_holds_good_practices_published_translated_and_waiting(database):
    load_demo(database, PSEUDONYM_KEY)
    load_demo(database, PSEUDONYM_KEY)
    with database.unit_of_work() as session:
        published = practices.search(session)
        assert len(published) == 2
        assert [v.title for v in practices.search(session, practices.Search(text="comité"))] == [
            "An inter-ministerial committee with a seat for civil society"
        ]
        waiting = practices.awaiting_review(session)
        assert [v.title for v in waiting] == ["Free birth certificates at district hospitals"]
        assert {v.country for v in published} == {"Republic of Arcadia"}

"""The demo shows follow-up too: an approved update, an NHRI assessment and a draft."""

from __future__ import annotations

from sqlalchemy import select

from core import updates
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

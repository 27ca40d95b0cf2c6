"""The who-sees-what table, walked: every role against every kind of record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import feedback, updates
from core.importing.service import ImportOptions, import_recommendations
from core.models import Participant, UpdateKind, UpdateState
from core.people import add_organisation, add_participant
from core.visibility import (
    WHO_SEES_WHAT,
    Record,
    View,
    names_author,
    sees,
    update_record,
    view_of,
)
from core.vocabulary import OrganisationType, Platform, Role
from tests.conftest import FIXTURES, PSEUDONYM_KEY

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_the_table_covers_every_role_and_record():
    assert set(WHO_SEES_WHAT) == set(Role)
    for views in WHO_SEES_WHAT.values():
        assert set(views) == set(Record)


def _viewer(role: Role, *, id: int = 1, organisation_id: int | None = 10, verified=True):
    return Participant(
        id=id,
        role=role,
        organisation_id=organisation_id,
        verified_at=NOW if verified else None,
    )


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("record", list(Record))
def test_each_cell_means_what_it_says(role, record):
    viewer = _viewer(role)
    view = WHO_SEES_WHAT[role][record]
    # Someone else's record, from another organisation.
    others = sees(viewer, record, author_id=2, organisation_id=20)
    assert others == (view not in (View.NONE, View.OWN))
    # One's own record, or one's organisation's.
    own = sees(viewer, record, author_id=1, organisation_id=10)
    assert own == (view is not View.NONE)
    assert names_author(viewer, record, author_id=2) == (view in (View.FULL, View.AS_DISCLOSED))


def test_a_government_focal_point_never_sees_a_named_answer_but_sees_aggregates():
    focal = _viewer(Role.GOVERNMENT)
    assert not sees(focal, Record.ANSWER_NAMED, author_id=2)
    assert view_of(focal, Record.AGGREGATE) is View.SUPPRESSED
    assert sees(focal, Record.COMMENT_SHARED, author_id=2)
    assert not names_author(focal, Record.COMMENT_SHARED, author_id=2)
    assert not sees(focal, Record.COMMENT_PRIVATE, author_id=2)


def test_an_unverified_claim_to_a_role_counts_as_observer():
    unverified = _viewer(Role.GOVERNMENT, verified=False)
    assert view_of(unverified, Record.UPDATE_DRAFT) is View.NONE
    assert view_of(unverified, Record.COMMENT_SHARED) is View.NONE
    assert view_of(None, Record.UPDATE_PUBLISHED) is View.FULL
    assert view_of(None, Record.ANSWER_ANONYMOUS) is View.OWN


def test_updates_and_comments_are_shown_through_the_table(database):
    import_recommendations(database, FIXTURES / "template.csv", ImportOptions())
    with database.unit_of_work() as session:
        ministry = add_organisation(session, name="Ministry", type=OrganisationType.GOVERNMENT)
        other_ministry = add_organisation(session, name="Other", type=OrganisationType.GOVERNMENT)
        nhri_org = add_organisation(session, name="NHRI", type=OrganisationType.NHRI)

        def person(role, organisation=None):
            return add_participant(
                session, pseudonym_key=PSEUDONYM_KEY, role=role, organisation=organisation
            )

        viewers = {
            "organiser": person(Role.ORGANISER),
            "author": person(Role.GOVERNMENT, ministry.id),
            "colleague": person(Role.GOVERNMENT, ministry.id),
            "other ministry": person(Role.GOVERNMENT, other_ministry.id),
            "nhri": person(Role.NHRI, nhri_org.id),
            "civil society": person(Role.CIVIL_SOCIETY),
            "public": None,
        }
        draft = updates.post_update(
            session,
            viewers["author"],
            updates.UpdateDraft(status="in_progress", recommendation=1, narrative="Draft."),
            now=NOW,
        )
        assert update_record(UpdateKind.PROGRESS, draft.state) is Record.UPDATE_DRAFT
        sees_draft = {
            name: bool(updates.list_updates(session, viewer)) for name, viewer in viewers.items()
        }
        assert sees_draft == {
            "organiser": True,
            "author": True,
            "colleague": True,
            "other ministry": False,
            "nhri": False,
            "civil society": False,
            "public": False,
        }
        updates.approve(session, viewers["organiser"], draft.update_id, now=NOW)
        shown = {name: updates.list_updates(session, viewer)[0] for name, viewer in viewers.items()}
        assert all(item["state"] == UpdateState.PUBLISHED.value for item in shown.values())
        # A published update is signed by its organisation; the person stays unnamed to most.
        assert {item["organisation"] for item in shown.values()} == {"Ministry"}

        update_row = draft.update
        sharer, keeper = person(Role.CIVIL_SOCIETY), person(Role.CIVIL_SOCIETY)
        for author, value, text in (
            (sharer, feedback.SHARED, "Shared view"),
            (keeper, feedback.PRIVATE, "Private view"),
        ):
            feedback.record(
                session,
                author,
                update_row,
                feedback.COMMENT,
                value=value,
                text=text,
                channel=Platform.TELEGRAM,
                language="en",
                now=NOW,
            )
        read = {
            name: sorted(c["text"] for c in feedback.comments(session, update_row.id, viewer))
            for name, viewer in {**viewers, "keeper": keeper}.items()
        }
    assert read == {
        "organiser": ["Private view", "Shared view"],
        "author": ["Shared view"],
        "colleague": ["Shared view"],
        "other ministry": ["Shared view"],
        "nhri": ["Shared view"],
        "civil society": [],
        "public": [],
        "keeper": ["Private view"],
    }

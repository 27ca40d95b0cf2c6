"""Posting an implementation update from Slack: signed requests in, the modal on the fake Slack."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from sqlalchemy import func, select

from adapters import slack as adapter
from core.clusters import add_cluster, add_entity
from core.db import Database
from core.i18n import translate
from core.importing.service import ImportOptions, import_recommendations
from core.invitations import invite, redeem
from core.logs import NOISY_LOGGERS
from core.models import (
    AuditEntry,
    ImplementationUpdate,
    OutboxMessage,
    Participant,
    PlatformIdentity,
    UpdateKind,
    UpdateState,
    UpdateVersion,
)
from core.people import add_organisation, add_participant, participant_for_identity
from core.vocabulary import OrganisationType, Platform, Role
from tests.bots.test_slack import serving
from tests.conftest import FIXTURES, PSEUDONYM_KEY
from tests.fakes.slack_api import (
    BOT_TOKEN,
    FakeSlack,
    SlackUser,
    Workspace,
    dm_of,
    global_shortcut,
    message_action,
    submission_problems,
    view_problems,
)

NHRI = "U0NHRI001"
GOVERNMENT = "U0GOVERN1"
STRANGER = "U0STRANGE"
NARRATIVE = "The civil registry waived all fees for late birth registration in March."


@pytest.fixture
def fake():
    server = FakeSlack(
        users={
            NHRI: SlackUser(locale="en-GB"),
            GOVERNMENT: SlackUser(locale="fr-FR", tz="Europe/Paris"),
            STRANGER: SlackUser(locale="en-US"),
        }
    )
    yield server
    server.close()


@pytest.fixture
def registry(database: Database) -> Database:
    """Five recommendations (1 to 5), a responsible entity and a cluster."""
    summary = import_recommendations(database, FIXTURES / "template.csv", ImportOptions())
    assert summary.committed
    with database.unit_of_work() as session:
        add_entity(session, name="Civil Registry Office", acronym="CRO")
        add_cluster(session, name="Birth registration", recommendation_ids=[1, 2])
    return database


def verified_nhri(database: Database, user: str = NHRI) -> None:
    """An NHRI member added by an organiser, known on Slack."""
    with database.unit_of_work() as session:
        add_organisation(
            session, name="Valdoria Human Rights Commission", type=OrganisationType.NHRI
        )
        member = add_participant(
            session,
            pseudonym_key=PSEUDONYM_KEY,
            role=Role.NHRI,
            organisation="Valdoria Human Rights Commission",
        )
        assert member.verified_at is not None
        member.identities.append(PlatformIdentity(platform=Platform.SLACK, external_id=user))


def verified_government(database: Database, user: str = GOVERNMENT) -> None:
    """A government focal point who redeemed an invitation code from Slack."""
    with database.unit_of_work() as session:
        add_organisation(session, name="Ministry of Justice", type=OrganisationType.GOVERNMENT)
        invitation = invite(session, role=Role.GOVERNMENT, organisation="Ministry of Justice")
        person, _ = participant_for_identity(
            session, pseudonym_key=PSEUDONYM_KEY, platform=Platform.SLACK, external_id=user
        )
        redeem(session, invitation.code, person)


def count(database: Database, model: type) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def nothing_stored(database: Database) -> bool:
    return (
        count(database, ImplementationUpdate) == 0
        and count(database, UpdateVersion) == 0
        and count(database, OutboxMessage) == 0
    )


def inputs(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def answers(**changes: str) -> dict[str, str]:
    filled = {
        adapter.STATUS_BLOCK: "partially_implemented",
        adapter.NARRATIVE_BLOCK: NARRATIVE,
        adapter.EVIDENCE_BLOCK: "https://example.org/decree-14.pdf\nhttp://example.org/gazette",
        adapter.ENTITY_BLOCK: "Civil Registry Office (CRO)",
        adapter.INDICATORS_BLOCK: "Births registered within 30 days | 84% | 2027-01-31",
        adapter.NEXT_STEP_BLOCK: "Mobile registration units in the northern districts",
        adapter.DUE_BLOCK: "2027-09-30",
    }
    filled.update(changes)
    return {k: v for k, v in filled.items() if v}


def open_form(slack: Workspace, user: str, reference: str = "12") -> dict:
    """Type /consult update REF and return the modal Slack showed."""
    response = slack.command(user, f"update {reference}".strip())
    assert response.status_code == 200 and response.text == ""
    return slack.opened_view()


def submit(slack: Workspace, user: str, view: dict, filled: dict[str, str]) -> dict:
    """Submit the modal; the app's answer, checked as Slack would check it."""
    response = slack.submit(user, view, filled)
    assert response.status_code == 200, response.text
    answer = response.json() if response.text else {}
    assert submission_problems(answer, view) == []
    return answer


# --- posting -----------------------------------------------------------------------------------


def test_an_nhri_member_posts_an_assessment_with_the_slash_command(registry, fake):
    verified_nhri(registry)
    with serving(registry, fake) as slack:
        view = open_form(slack, NHRI, "2")
        (opened,) = fake.received("views.open")
        answer = submit(slack, NHRI, view, answers(**{adapter.TARGET_BLOCK: "2"}))
        confirmation = slack.reply(NHRI, "Published as assessment #1.")

    # The modal opened with the command's trigger, the recommendation filled in.
    assert opened.params["trigger_id"] and view_problems(view) == []
    assert view["callback_id"] == adapter.UPDATE_CALLBACK
    fields = inputs(view)
    assert fields[adapter.TARGET_BLOCK]["element"]["initial_value"] == "2"
    assert [o["text"]["text"] for o in fields[adapter.STATUS_BLOCK]["element"]["options"]] == [
        "Not started",
        "In progress",
        "Partially implemented",
        "Fully implemented",
    ]
    assert [o["text"]["text"] for o in fields[adapter.ENTITY_BLOCK]["element"]["options"]] == [
        "Civil Registry Office (CRO)"
    ]
    assert answer == {"response_action": "clear"}
    assert confirmation["channel"] == dm_of(NHRI)

    with registry.unit_of_work() as session:
        update = session.scalars(select(ImplementationUpdate)).one()
        (version,) = update.versions
        assert update.kind is UpdateKind.ASSESSMENT
        assert [r.id for r in update.recommendations] == [2] and update.recommendation_id == 2
        assert update.organisation.name == "Valdoria Human Rights Commission"
        assert version.state is UpdateState.PUBLISHED and version.published_at is not None
        assert version.status == "partially_implemented"
        assert version.narrative == NARRATIVE
        assert version.evidence == [
            "https://example.org/decree-14.pdf",
            "http://example.org/gazette",
        ]
        assert version.responsible_entity is not None
        assert version.responsible_entity.name == "Civil Registry Office"
        assert version.indicators == [
            {"name": "Births registered within 30 days", "value": "84%", "date": "2027-01-31"}
        ]
        assert version.next_step == "Mobile registration units in the northern districts"
        assert version.next_step_due == date(2027, 9, 30)
        assert (version.channel, version.language) == ("slack", "en")
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "update.posted" in actions


def test_a_government_focal_point_posts_a_draft_from_a_message_shortcut(registry, fake):
    verified_government(registry)
    with serving(registry, fake) as slack:
        payload = message_action(
            GOVERNMENT, adapter.UPDATE_SHORTCUT, "Any news on #3? The committee asked again."
        )
        response = slack.interact(payload)
        assert response.status_code == 200
        view = slack.opened_view()
        answer = submit(
            slack,
            GOVERNMENT,
            view,
            {
                adapter.TARGET_BLOCK: "3",
                adapter.STATUS_BLOCK: "in_progress",
                adapter.NARRATIVE_BLOCK: "Un projet de loi est déposé.",
            },
        )
        # The person's Slack locale is French, so the confirmation is too.
        posted = translate(
            "fr",
            "Posted as draft #{number}; the secretariat reviews it before it is published.",
        ).format(number=1)
        confirmation = slack.reply(GOVERNMENT, posted[:12])

    (opened,) = fake.received("views.open")
    assert opened.params["trigger_id"] == payload["trigger_id"]
    fields = inputs(view)
    assert fields[adapter.TARGET_BLOCK]["element"]["initial_value"] == "3"
    # The Slack locale is French: so are the statuses.
    assert [o["text"]["text"] for o in fields[adapter.STATUS_BLOCK]["element"]["options"]][1] == (
        "En cours"
    )
    assert answer == {"response_action": "clear"}
    assert posted in confirmation["text"]
    with registry.unit_of_work() as session:
        update = session.scalars(select(ImplementationUpdate)).one()
        assert update.kind is UpdateKind.PROGRESS and update.recommendation_id == 3
        (version,) = update.versions
        assert version.state is UpdateState.DRAFT and version.published_at is None
        assert (version.status, version.language, version.channel) == ("in_progress", "fr", "slack")
        assert version.evidence == [] and version.indicators == []


def test_the_global_shortcut_opens_an_empty_form_and_a_cluster_can_be_named(registry, fake):
    verified_nhri(registry)
    with serving(registry, fake) as slack:
        assert slack.shortcut(NHRI, adapter.UPDATE_SHORTCUT).status_code == 200
        view = slack.opened_view()
        assert "initial_value" not in inputs(view)[adapter.TARGET_BLOCK]["element"]
        filled = answers(**{adapter.TARGET_BLOCK: "birth REGISTRATION"})
        assert submit(slack, NHRI, view, filled) == {"response_action": "clear"}
        slack.reply(NHRI, "Published as assessment #1.")
    with registry.unit_of_work() as session:
        update = session.scalars(select(ImplementationUpdate)).one()
        assert update.cluster is not None and update.cluster.name == "Birth registration"
        assert [r.id for r in update.recommendations] == [1, 2]


# --- refusals ----------------------------------------------------------------------------------


def test_someone_unknown_is_told_to_verify_and_nothing_is_stored(registry, fake):
    with serving(registry, fake) as slack:
        response = slack.command(STRANGER, "update 2")
        assert response.status_code == 200
        assert "verify CODE" in response.text and "invitation code" in response.text
        # Submitting anyway (a forged or stale form) is refused as well.
        view = adapter.update_modal("en")
        answer = submit(slack, STRANGER, view, answers(**{adapter.TARGET_BLOCK: "2"}))
    assert answer["response_action"] == "push"
    assert "verify CODE" in json.dumps(answer["view"])
    assert fake.received("views.open") == [] and fake.posted() == []
    assert nothing_stored(registry)
    # Looking did not register them.
    assert count(registry, Participant) == 0 and count(registry, PlatformIdentity) == 0


def test_an_unverified_claim_to_a_role_is_refused_in_a_modal_from_the_shortcut(registry, fake):
    with registry.unit_of_work() as session:
        add_organisation(session, name="Ministry of Justice", type=OrganisationType.GOVERNMENT)
        person, _ = participant_for_identity(
            session, pseudonym_key=PSEUDONYM_KEY, platform=Platform.SLACK, external_id=STRANGER
        )
        person.role = Role.GOVERNMENT
        person.organisation_id = 1
    with serving(registry, fake) as slack:
        assert slack.interact(global_shortcut(STRANGER, adapter.UPDATE_SHORTCUT)).status_code == 200
        notice = slack.opened_view()
        answer = submit(
            slack, STRANGER, adapter.update_modal("en"), answers(**{adapter.TARGET_BLOCK: "1"})
        )
    assert view_problems(notice) == [] and "submit" not in notice
    assert "verify CODE" in json.dumps(notice)
    assert answer["response_action"] == "push"
    assert nothing_stored(registry)


def test_verification_is_checked_again_at_submission(registry, fake):
    verified_nhri(registry)
    with serving(registry, fake) as slack:
        view = open_form(slack, NHRI, "2")
        with registry.unit_of_work() as session:
            session.scalars(select(Participant)).one().verified_at = None
        answer = submit(slack, NHRI, view, answers(**{adapter.TARGET_BLOCK: "2"}))
    assert answer["response_action"] == "push" and "verify CODE" in json.dumps(answer["view"])
    assert nothing_stored(registry)


@pytest.mark.parametrize(
    ("changes", "block", "words"),
    [
        (
            {adapter.EVIDENCE_BLOCK: "https://example.org/ok\nftp://example.org/report"},
            adapter.EVIDENCE_BLOCK,
            "evidence link 2",
        ),
        ({adapter.TARGET_BLOCK: "999"}, adapter.TARGET_BLOCK, "no recommendation"),
        (
            {adapter.TARGET_BLOCK: "Water and sanitation"},
            adapter.TARGET_BLOCK,
            "nor a cluster named 'Water and sanitation'",
        ),
        ({adapter.NARRATIVE_BLOCK: "x" * 50_000}, adapter.NARRATIVE_BLOCK, "50,000 characters"),
        (
            {adapter.INDICATORS_BLOCK: "Births registered | 84% | 2027-13-01"},
            adapter.INDICATORS_BLOCK,
            "is not a date",
        ),
        (
            {adapter.INDICATORS_BLOCK: "Births registered 84%"},
            adapter.INDICATORS_BLOCK,
            "name | value | YYYY-MM-DD",
        ),
        ({adapter.ENTITY_BLOCK: "99"}, adapter.ENTITY_BLOCK, "no responsible entity"),
        (
            {adapter.NEXT_STEP_BLOCK: "", adapter.DUE_BLOCK: "2027-09-30"},
            adapter.DUE_BLOCK,
            "say what the next step is",
        ),
    ],
)
def test_a_problem_is_shown_under_its_field_and_nothing_is_stored(
    registry, fake, changes, block, words
):
    verified_nhri(registry)
    with serving(registry, fake) as slack:
        view = open_form(slack, NHRI, "2")
        if changes.get(adapter.ENTITY_BLOCK) == "99":
            # An entity removed while the form was open: the menu's value no longer exists.
            view = json.loads(json.dumps(view).replace('"value": "1"', '"value": "99"'))
        answer = submit(slack, NHRI, view, answers(**{adapter.TARGET_BLOCK: "2", **changes}))
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert words in answer["errors"][block]
    assert nothing_stored(registry)
    assert fake.posted() == []


# --- the channel's own troubles ----------------------------------------------------------------


def test_a_form_slack_would_not_open_is_reported_and_nothing_logged_names_the_person(
    registry, fake, caplog
):
    caplog.set_level(logging.DEBUG)
    for name in NOISY_LOGGERS:
        caplog.set_level(logging.WARNING, logger=name)
    verified_nhri(registry)
    fake.fail("views.open", "expired_trigger_id")
    with serving(registry, fake) as slack:
        response = slack.command(NHRI, "update 2")
        assert "could not be opened" in response.text
        # The form as it would have been, submitted from another try.
        view = adapter.update_modal("en", entities=[("1", "Civil Registry Office (CRO)")])
        filled = answers(**{adapter.TARGET_BLOCK: "2", adapter.EVIDENCE_BLOCK: "ftp://x.org/a"})
        assert submit(slack, NHRI, view, filled)["response_action"] == "errors"
        assert submit(slack, NHRI, view, answers(**{adapter.TARGET_BLOCK: "2"})) == {
            "response_action": "clear"
        }
        slack.reply(NHRI, "Published as assessment #1.")
    logged = caplog.text
    assert "views.open failed: expired_trigger_id" in logged, "the checks below would prove nothing"
    for secret in (NHRI, dm_of(NHRI), BOT_TOKEN, NARRATIVE, "ftp://x.org/a"):
        assert secret not in logged


def test_a_confirmation_slack_refuses_now_waits_in_the_outbox(registry, fake):
    verified_nhri(registry)
    fake.rate_limit("chat.postMessage", times=1, retry_after=0)
    with serving(registry, fake) as slack:
        view = open_form(slack, NHRI, "2")
        assert submit(slack, NHRI, view, answers(**{adapter.TARGET_BLOCK: "2"})) == {
            "response_action": "clear"
        }
        fake.wait_for(lambda calls: any(c.method == "chat.postMessage" for c in calls))
    with registry.unit_of_work() as session:
        (waiting,) = session.scalars(select(OutboxMessage)).all()
        assert waiting.payload["text"] == "Published as assessment #1."
    assert count(registry, UpdateVersion) == 1


def test_other_modals_and_shortcuts_are_still_only_acknowledged(registry, fake):
    verified_nhri(registry)
    with serving(registry, fake) as slack:
        assert slack.shortcut(NHRI, "another_shortcut").status_code == 200
        other = {**adapter.update_modal("en"), "callback_id": "future-form"}
        response = slack.submit(NHRI, other, answers(**{adapter.TARGET_BLOCK: "2"}))
        assert response.status_code == 200 and response.text == ""
    assert fake.received("views.open") == [] and nothing_stored(registry)


def test_an_invitation_code_is_redeemed_with_the_slash_command(registry, fake):
    with registry.unit_of_work() as session:
        add_organisation(session, name="Ministry of Justice", type=OrganisationType.GOVERNMENT)
        code = invite(session, role=Role.GOVERNMENT, organisation="Ministry of Justice").code
    with serving(registry, fake) as slack:
        assert slack.command(STRANGER, f"verify {code}").status_code == 200
        posts = fake.wait_for_posts(1, dm_of(STRANGER))
        assert "verified as government focal point for Ministry of Justice" in posts[-1]["text"]
        # The form opens now that the role is verified.
        view = open_form(slack, STRANGER, "2")
    assert inputs(view)[adapter.TARGET_BLOCK]["element"]["initial_value"] == "2"
    with registry.unit_of_work() as session:
        person = session.scalars(select(Participant)).one()
        assert person.role is Role.GOVERNMENT and person.verified_at is not None

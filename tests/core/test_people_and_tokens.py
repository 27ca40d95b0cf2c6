"""Organisations, participants with one role, platform identities and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import people, tokens
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.models import ApiToken, AuditEntry, PlatformIdentity
from core.vocabulary import OrganisationType, Platform, Role
from tests.conftest import PSEUDONYM_KEY


def test_organisation_names_are_unique_whatever_their_case(database):
    with database.unit_of_work() as session:
        people.add_organisation(
            session, name="Arcadia Human Rights Commission", type=OrganisationType.NHRI
        )
    with pytest.raises(InvalidInput, match="already exists"), database.unit_of_work() as session:
        people.add_organisation(
            session, name="ARCADIA  human rights commission", type=OrganisationType.CIVIL_SOCIETY
        )
    with database.unit_of_work() as session:
        assert [o.name for o in people.list_organisations(session)] == [
            "Arcadia Human Rights Commission"
        ]


def test_participant_gets_a_stable_pseudonym_and_the_audit_log_names_only_it(database):
    with database.unit_of_work() as session:
        people.add_organisation(session, name="Children First", type=OrganisationType.CIVIL_SOCIETY)
        participant = people.add_participant(
            session,
            pseudonym_key=PSEUDONYM_KEY,
            role=Role.CIVIL_SOCIETY,
            display_name="Amina Example",
            organisation="children first",
            language="fr",
        )
        pseudonym, uid = participant.pseudonym, participant.uid
    with database.unit_of_work() as session:
        found = people.find_participant(session, pseudonym.lower())
        assert found.uid == uid and found.organisation is not None
        assert found.organisation.name == "Children First"
        entries = session.scalars(select(AuditEntry)).all()
        logged = " ".join(f"{e.actor} {e.subject_id} {e.details}" for e in entries)
        assert pseudonym in logged
        assert "Amina" not in logged


def test_unknown_organisation_is_named_in_the_error(database):
    with pytest.raises(NotFound, match="'Nowhere Org'"), database.unit_of_work() as session:
        people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.NHRI, organisation="Nowhere Org"
        )


def test_someone_joining_by_code_becomes_civil_society_without_organisation(database):
    with database.unit_of_work() as session:
        newcomer, created = people.participant_for_identity(
            session,
            pseudonym_key=PSEUDONYM_KEY,
            platform=Platform.TELEGRAM,
            external_id="555000111",
            language="es",
        )
        assert created
        assert newcomer.role is Role.CIVIL_SOCIETY and newcomer.organisation_id is None
    with database.unit_of_work() as session:
        again, created = people.participant_for_identity(
            session,
            pseudonym_key=PSEUDONYM_KEY,
            platform=Platform.TELEGRAM,
            external_id="555000111",
        )
        assert not created and again.pseudonym == newcomer.pseudonym
        # The same person can be known on another platform too.
        again.identities.append(PlatformIdentity(platform=Platform.SLACK, external_id="U0123"))
    with database.unit_of_work() as session:
        via_slack, created = people.participant_for_identity(
            session, pseudonym_key=PSEUDONYM_KEY, platform=Platform.SLACK, external_id="U0123"
        )
        assert not created and via_slack.pseudonym == newcomer.pseudonym
        audit_text = str([(e.actor, e.details) for e in session.scalars(select(AuditEntry))])
        assert "555000111" not in audit_text and "U0123" not in audit_text


def _organiser(database):
    with database.unit_of_work() as session:
        return people.add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER)


def test_token_is_stored_hashed_and_acts_with_its_owners_role(database):
    owner = _organiser(database)
    with database.unit_of_work() as session:
        participant = people.find_participant(session, owner.id)
        _, plaintext = tokens.create_token(session, participant=participant, role=Role.ORGANISER)
    with database.unit_of_work() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert plaintext not in (stored.token_hash, stored.prefix)
        assert stored.token_hash == tokens.hash_token(plaintext)
        assert tokens.authenticate(session, plaintext).role is Role.ORGANISER


def test_token_role_must_match_its_owner(database):
    owner = _organiser(database)
    with (
        pytest.raises(InvalidInput, match="has the role 'organiser', not 'nhri'"),
        database.unit_of_work() as session,
    ):
        tokens.create_token(
            session, participant=people.find_participant(session, owner.id), role=Role.NHRI
        )


def test_expired_and_revoked_tokens_are_refused(database):
    owner = _organiser(database)
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    with database.unit_of_work() as session:
        participant = people.find_participant(session, owner.id)
        _, expiring = tokens.create_token(
            session, participant=participant, role=Role.ORGANISER, expires_in_days=7, now=issued
        )
        revoked, revoked_plain = tokens.create_token(
            session, participant=participant, role=Role.ORGANISER
        )
        revoked_id = revoked.id
    with database.unit_of_work() as session:
        assert tokens.authenticate(session, expiring, now=issued + timedelta(days=6))
        with pytest.raises(PermissionDenied, match="expired"):
            tokens.authenticate(session, expiring, now=issued + timedelta(days=7))
        tokens.revoke_token(session, revoked_id)
    with database.unit_of_work() as session:
        with pytest.raises(PermissionDenied, match="revoked"):
            tokens.authenticate(session, revoked_plain)
        with pytest.raises(PermissionDenied, match="unknown"):
            tokens.authenticate(session, "cst_not-a-real-token")


def test_token_expiry_must_be_positive(database):
    owner = _organiser(database)
    with pytest.raises(InvalidInput, match="positive"), database.unit_of_work() as session:
        tokens.create_token(
            session,
            participant=people.find_participant(session, owner.id),
            role=Role.ORGANISER,
            expires_in_days=0,
        )

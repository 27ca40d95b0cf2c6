"""Organisations and participants: who takes part, in which role, for which organisation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput
from core.i18n import N_
from core.lookup import by_id_or_name
from core.models import Organisation, Participant, PlatformIdentity, utcnow
from core.pseudonyms import pseudonym_for
from core.vocabulary import OrganisationType, Platform, Role

# Channels a message can be pushed to; the web and the terminal only answer.
SENDABLE = (Platform.TELEGRAM, Platform.SLACK, Platform.WEBHOOK)


def add_organisation(
    session: Session,
    *,
    name: str,
    type: OrganisationType,
    country: str | None = None,
    actor: str = audit.SYSTEM,
) -> Organisation:
    """Register an organisation; names are unique, whatever their case."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(N_("the organisation's name is empty"))
    if find_organisation(session, name, missing_ok=True) is not None:
        raise InvalidInput(N_("an organisation named {name!r} already exists"), name=name)
    organisation = Organisation(name=name, type=type, country=country or None)
    session.add(organisation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.added",
        subject_type="organisation",
        subject_id=organisation.id,
        details={"type": type.value},
    )
    return organisation


def find_organisation(
    session: Session, ref: str | int, *, missing_ok: bool = False
) -> Organisation | None:
    """Find an organisation by id or by name (case-insensitive)."""
    return by_id_or_name(
        session,
        Organisation,
        ref,
        (Organisation.name,),
        missing=N_("no organisation with id or name {ref!r}"),
        missing_ok=missing_ok,
    )


def list_organisations(
    session: Session, *, type: OrganisationType | None = None
) -> list[Organisation]:
    """Organisations in name order, optionally of one type."""
    query = select(Organisation).order_by(Organisation.name)
    if type is not None:
        query = query.where(Organisation.type == type)
    return list(session.scalars(query))


def add_participant(
    session: Session,
    *,
    pseudonym_key: bytes,
    role: Role,
    display_name: str | None = None,
    organisation: str | int | None = None,
    language: str | None = None,
    actor: str = audit.SYSTEM,
) -> Participant:
    """Register a participant with one role and, optionally, an organisation."""
    org = None if organisation is None else find_organisation(session, organisation)
    participant = Participant(
        role=role,
        display_name=(display_name or "").strip() or None,
        organisation_id=org.id if org else None,
        language=language,
        # A language the organiser recorded for the person (from an invitee list, say) is a
        # choice made for them; a platform's hint does not override it.
        language_chosen=language is not None,
        # Added by an organiser: the organiser vouches for the role.
        verified_at=utcnow(),
    )
    _assign_pseudonym(participant, pseudonym_key)
    session.add(participant)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="participant.added",
        subject_type="participant",
        subject_id=participant.pseudonym,
        details={"role": role.value, "organisation_id": org.id if org else None},
    )
    return participant


def _assign_pseudonym(participant: Participant, pseudonym_key: bytes) -> None:
    # The column default fires only at flush; the pseudonym is needed before that.
    participant.uid = participant.uid or uuid.uuid4().hex
    participant.pseudonym = pseudonym_for(participant.uid, pseudonym_key)


def participant_for_identity(
    session: Session,
    *,
    pseudonym_key: bytes,
    platform: Platform,
    external_id: str,
    language: str | None = None,
) -> tuple[Participant, bool]:
    """The participant known by this platform identity; a newcomer joins as civil society."""
    identity = session.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == platform, PlatformIdentity.external_id == external_id
        )
    )
    if identity is not None:
        return identity.participant, False
    # Someone who joins by a round code with no invitation is civil society with no
    # organisation until they say otherwise.
    participant = Participant(role=Role.CIVIL_SOCIETY, language=language)
    _assign_pseudonym(participant, pseudonym_key)
    participant.identities.append(PlatformIdentity(platform=platform, external_id=external_id))
    session.add(participant)
    session.flush()
    audit.record(
        session,
        actor=participant.pseudonym,
        action="participant.joined",
        subject_type="participant",
        subject_id=participant.pseudonym,
        details={"platform": platform.value, "role": Role.CIVIL_SOCIETY.value},
    )
    return participant, True


def find_participant(session: Session, ref: str | int) -> Participant:
    """Find a participant by id or by pseudonym."""
    found = by_id_or_name(
        session,
        Participant,
        ref,
        (Participant.pseudonym,),
        missing=N_("no participant with id or pseudonym {ref!r}"),
    )
    assert found is not None
    return found


def list_participants(
    session: Session, *, role: Role | None = None, organisation: str | int | None = None
) -> list[Participant]:
    """Participants in the order they joined, optionally filtered by role or organisation."""
    query = select(Participant).order_by(Participant.id)
    if role is not None:
        query = query.where(Participant.role == role)
    if organisation is not None:
        org = find_organisation(session, organisation)
        assert org is not None
        query = query.where(Participant.organisation_id == org.id)
    return list(session.scalars(query))


def set_reachable(
    session: Session,
    *,
    platform: Platform,
    external_id: str,
    reachable: bool,
    until: datetime | None = None,
) -> bool:
    """Mark a platform identity as reachable or blocked; False when the identity is unknown."""
    identity = session.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == platform, PlatformIdentity.external_id == external_id
        )
    )
    if identity is None:
        return False
    if identity.reachable != reachable:
        identity.reachable = reachable
        identity.blocked_until = None if reachable else until
        audit.record(
            session,
            actor=identity.participant.pseudonym,
            action="identity.unblocked" if reachable else "identity.blocked",
            subject_type="participant",
            subject_id=identity.participant.pseudonym,
            details={"platform": platform.value},
        )
    return True


def preferred_identity(
    session: Session, participant: Participant, prefer: Platform | None = None
) -> PlatformIdentity | None:
    """Where to write to someone: the preferred channel if reachable, else the newest one."""
    identities = list(
        session.scalars(
            select(PlatformIdentity)
            .where(
                PlatformIdentity.participant_id == participant.id,
                PlatformIdentity.reachable,
                PlatformIdentity.platform.in_(SENDABLE),
            )
            .order_by(PlatformIdentity.id.desc())
        )
    )
    for identity in identities:
        if identity.platform is prefer:
            return identity
    return identities[0] if identities else None

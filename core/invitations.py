"""Verified roles: organisers invite NHRI staff and government focal points by one-time code.

The code is redeemed in a chat (Slack, Telegram or the webhook) by the person it was given
to; from then on that chat identity carries the role and the organisation, and only then may
it post updates or see what the role is entitled to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.codes import digest, new_code
from core.errors import InvalidInput
from core.i18n import N_
from core.models import Participant, RoleInvitation, utcnow
from core.people import find_organisation
from core.vocabulary import OrganisationType, Role

INVITATION_LIFETIME = timedelta(days=7)
# Roles whose word carries weight: they count only once an organiser has vouched for them.
NEEDS_VERIFICATION = frozenset({Role.ORGANISER, Role.GOVERNMENT, Role.NHRI})
INVITABLE = {Role.NHRI: OrganisationType.NHRI, Role.GOVERNMENT: OrganisationType.GOVERNMENT}


@dataclass(frozen=True)
class Invitation:
    """What the organiser passes on: the code, once, and until when it works."""

    code: str
    role: Role
    organisation: str
    expires_at: datetime


def is_verified(participant: Participant) -> bool:
    """Whether the participant's role is one they may act in."""
    return participant.role not in NEEDS_VERIFICATION or participant.verified_at is not None


def effective_role(participant: Participant) -> Role:
    """The role that decides what the participant may do and see."""
    # An unverified claim to a weighty role grants less than nothing claimed at all.
    return participant.role if is_verified(participant) else Role.OBSERVER


def invite(
    session: Session,
    *,
    role: Role,
    organisation: str | int,
    display_name: str | None = None,
    actor: str = audit.SYSTEM,
    now: datetime | None = None,
) -> Invitation:
    """Create a one-time code, valid 7 days, that gives its redeemer the role."""
    now = now or utcnow()
    if role not in INVITABLE:
        raise InvalidInput(
            N_(
                "role: {role!r} cannot be given by invitation; invite "
                "'nhri' or 'government' (organisers are added with participants add)"
            ),
            role=role.value,
        )
    org = find_organisation(session, organisation)
    assert org is not None
    if org.type is not INVITABLE[role]:
        raise InvalidInput(
            N_(
                "organisation: {name!r} is of type {type!r}; an invitation "
                "for the role {role!r} needs an organisation of type {needed!r}"
            ),
            name=org.name,
            type=org.type.value,
            role=role.value,
            needed=INVITABLE[role].value,
        )
    shown, code_hash = new_code(10)
    invitation = RoleInvitation(
        code_hash=code_hash,
        role=role,
        organisation_id=org.id,
        display_name=(display_name or "").strip() or None,
        invited_by=actor,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="invitation.created",
        subject_type="invitation",
        subject_id=invitation.id,
        details={"role": role.value, "organisation_id": org.id},
    )
    return Invitation(shown, role, org.name, invitation.expires_at)


def redeem(
    session: Session, code: str, participant: Participant, *, now: datetime | None = None
) -> RoleInvitation:
    """Give the participant the invitation's role and organisation; a code works once."""
    now = now or utcnow()
    invitation = session.scalar(
        select(RoleInvitation)
        .where(RoleInvitation.code_hash == digest(code))
        .with_for_update(of=RoleInvitation)
    )
    if invitation is None:
        raise InvalidInput(
            N_("that invitation code is unknown; check it with whoever gave it to you")
        )
    if invitation.used_at is not None:
        raise InvalidInput(
            N_(
                "that invitation code has already been used; each code works once, so ask "
                "the organisers for a new one"
            )
        )
    if invitation.expires_at <= now:
        raise InvalidInput(
            N_("that invitation code expired on {day}; ask the organisers for a new one"),
            day=f"{invitation.expires_at:%Y-%m-%d}",
        )
    if participant.role is Role.ORGANISER:
        raise InvalidInput(N_("you are an organiser already; an invitation would lower your role"))
    previous = participant.role
    invitation.used_at = now
    invitation.participant_id = participant.id
    participant.role = invitation.role
    participant.organisation_id = invitation.organisation_id
    participant.verified_at = now
    if invitation.display_name and not participant.display_name:
        participant.display_name = invitation.display_name
    audit.record(
        session,
        actor=participant.pseudonym,
        action="invitation.redeemed",
        subject_type="invitation",
        subject_id=invitation.id,
        details={"role": invitation.role.value, "previous_role": previous.value},
    )
    session.flush()
    return invitation


def list_invitations(session: Session) -> list[RoleInvitation]:
    """Every invitation, newest first, for organisers to see which were redeemed."""
    return list(session.scalars(select(RoleInvitation).order_by(RoleInvitation.id.desc())))

"""What each role may do through the organiser API and the command line.

Most permissions come with a role. A few are too sensitive for that and are given to named
organisers one by one (`grant`), each grant and revocation written to the audit log.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput, PermissionDenied
from core.i18n import N_
from core.invitations import effective_role, is_verified
from core.models import Participant
from core.vocabulary import Role


class Permission(StrEnum):
    """A capability a role can have."""

    READ_RECOMMENDATIONS = "recommendations:read"
    READ_ORGANISATIONS = "organisations:read"
    READ_PARTICIPANTS = "participants:read"
    READ_OUTBOX = "outbox:read"
    # What of an update each role then sees is decided by core.visibility.
    READ_UPDATES = "updates:read"
    POST_UPDATES = "updates:post"
    REVIEW_UPDATES = "updates:review"
    # Good practices: verified reporters and organisers write them, organisers review them.
    PUBLISH_PRACTICES = "practices:publish"
    REVIEW_PRACTICES = "practices:review"
    # Creating role invitations and seeing whether they were redeemed.
    CREATE_INVITATIONS = "invitations:create"
    # Perception gaps are aggregates, shown to everyone with small cells suppressed.
    READ_GAPS = "gaps:read"
    # A round's aggregated results and written answers, as organisers may read them.
    EXPORT = "results:export"
    # Every answer of a round, one row each, by pseudonym: no role has it, only named
    # organisers it was granted to.
    EXPORT_RAW = "export_raw"


# Permissions given to named people, never to a whole role.
GRANTABLE = frozenset({Permission.EXPORT_RAW})


_EVERYONE = frozenset(
    {Permission.READ_RECOMMENDATIONS, Permission.READ_UPDATES, Permission.READ_GAPS}
)
_MEMBERS = _EVERYONE | {Permission.READ_ORGANISATIONS}
_REPORTERS = _MEMBERS | {Permission.POST_UPDATES, Permission.PUBLISH_PRACTICES}

# One table, read in one place. Recommendations, published updates and aggregates are public
# knowledge to anyone with a token; who takes part is known to organisers only. Government
# focal points and NHRI staff report; organisers (the secretariat) review what they report.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ORGANISER: frozenset(Permission) - {Permission.POST_UPDATES} - GRANTABLE,
    Role.GOVERNMENT: _REPORTERS,
    Role.NHRI: _REPORTERS,
    Role.CIVIL_SOCIETY: _MEMBERS,
    Role.ACADEMIC: _MEMBERS,
    Role.OBSERVER: _EVERYONE,
}


def can(role: Role, permission: Permission) -> bool:
    """Whether the role has the permission."""
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission) -> None:
    """Refuse, with a message naming the role and the permission, unless the role has it."""
    if not can(role, permission):
        raise PermissionDenied(
            N_("the role {role!r} does not have {permission!r}"),
            role=role.value,
            permission=permission.value,
        )


def holds_grant(participant: Participant, permission: Permission) -> bool:
    """Whether the participant was given the permission by name and may use it.

    A grant counts only for a verified organiser: someone whose role changed, or whose
    organiser role is not vouched for, cannot act on it.
    """
    return (
        permission in GRANTABLE
        and permission.value in (participant.grants or [])
        and participant.role is Role.ORGANISER
        and is_verified(participant)
    )


def require_of(participant: Participant, permission: Permission) -> None:
    """Refuse unless the participant's verified role, or a grant by name, has the permission.

    A government, NHRI or organiser role counts only once an organiser has vouched for it;
    until then the message says how to get verified.
    """
    role = effective_role(participant)
    if can(role, permission) or holds_grant(participant, permission):
        return
    if permission in GRANTABLE:
        raise PermissionDenied(
            N_(
                "{permission!r} is given to named, verified organisers only, by whoever "
                "runs Consulta: `consulta participants grant {pseudonym} {permission}`"
            ),
            permission=permission.value,
            pseudonym=participant.pseudonym,
        )
    if role is not participant.role and can(participant.role, permission):
        raise PermissionDenied(
            N_(
                "your role {role!r} is not verified yet; ask the organisers "
                "for an invitation code and send verify CODE to the bot"
            ),
            role=participant.role.value,
        )
    require(participant.role, permission)


def _grantable(permission: str) -> Permission:
    if permission not in {p.value for p in GRANTABLE}:
        names = ", ".join(sorted(p.value for p in GRANTABLE))
        raise InvalidInput(
            N_(
                "permission: {permission!r} cannot be given by name; only {names} can "
                "(the others come with a role)"
            ),
            permission=permission,
            names=names,
        )
    return Permission(permission)


def grant(session: Session, participant: Participant, permission: str, actor: str) -> bool:
    """Give a verified organiser a permission by name; False if they already had it."""
    chosen = _grantable(permission)
    if participant.role is not Role.ORGANISER or not is_verified(participant):
        if participant.role is Role.ORGANISER:
            raise InvalidInput(
                N_(
                    "participant {pseudonym} is an organiser not yet verified; {permission!r} "
                    "can be given to verified organisers only"
                ),
                pseudonym=participant.pseudonym,
                permission=chosen.value,
            )
        raise InvalidInput(
            N_(
                "participant {pseudonym} is {role!r}, not an organiser; {permission!r} can be "
                "given to verified organisers only"
            ),
            pseudonym=participant.pseudonym,
            role=participant.role.value,
            permission=chosen.value,
        )
    held = list(participant.grants or [])
    if chosen.value in held:
        return False
    # A new list, so the JSON column is seen as changed.
    participant.grants = [*held, chosen.value]
    _record(session, actor, "participant.granted", participant, chosen)
    return True


def revoke(session: Session, participant: Participant, permission: str, actor: str) -> bool:
    """Take back a permission given by name; False if the participant did not have it."""
    chosen = _grantable(permission)
    held = list(participant.grants or [])
    if chosen.value not in held:
        return False
    participant.grants = [name for name in held if name != chosen.value]
    _record(session, actor, "participant.revoked", participant, chosen)
    return True


def _record(
    session: Session, actor: str, action: str, participant: Participant, permission: Permission
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        subject_type="participant",
        subject_id=participant.pseudonym,
        details={"permission": permission.value},
    )

"""What each role may do through the organiser API and the command line."""

from __future__ import annotations

from enum import StrEnum

from core.errors import PermissionDenied
from core.invitations import effective_role
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
    # Creating role invitations and seeing whether they were redeemed.
    CREATE_INVITATIONS = "invitations:create"
    # Perception gaps are aggregates, shown to everyone with small cells suppressed.
    READ_GAPS = "gaps:read"


_EVERYONE = frozenset(
    {Permission.READ_RECOMMENDATIONS, Permission.READ_UPDATES, Permission.READ_GAPS}
)
_MEMBERS = _EVERYONE | {Permission.READ_ORGANISATIONS}
_REPORTERS = _MEMBERS | {Permission.POST_UPDATES}

# One table, read in one place. Recommendations, published updates and aggregates are public
# knowledge to anyone with a token; who takes part is known to organisers only. Government
# focal points and NHRI staff report; organisers (the secretariat) review what they report.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ORGANISER: frozenset(Permission) - {Permission.POST_UPDATES},
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
        raise PermissionDenied(f"the role {role.value!r} does not have {permission.value!r}")


def require_of(participant: Participant, permission: Permission) -> None:
    """Refuse unless the participant's verified role has the permission.

    A government, NHRI or organiser role counts only once an organiser has vouched for it;
    until then the message says how to get verified.
    """
    role = effective_role(participant)
    if can(role, permission):
        return
    if role is not participant.role and can(participant.role, permission):
        raise PermissionDenied(
            f"your role {participant.role.value!r} is not verified yet; ask the organisers "
            "for an invitation code and send verify CODE to the bot"
        )
    require(participant.role, permission)

"""What each role may do through the organiser API and the command line."""

from __future__ import annotations

from enum import StrEnum

from core.errors import PermissionDenied
from core.vocabulary import Role


class Permission(StrEnum):
    """A capability a role can have."""

    READ_RECOMMENDATIONS = "recommendations:read"
    READ_ORGANISATIONS = "organisations:read"
    READ_PARTICIPANTS = "participants:read"
    READ_OUTBOX = "outbox:read"


# One table, read in one place. Recommendations and organisations are public knowledge to
# anyone with a token; who takes part is known to organisers only.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ORGANISER: frozenset(Permission),
    Role.GOVERNMENT: frozenset({Permission.READ_RECOMMENDATIONS, Permission.READ_ORGANISATIONS}),
    Role.NHRI: frozenset({Permission.READ_RECOMMENDATIONS, Permission.READ_ORGANISATIONS}),
    Role.CIVIL_SOCIETY: frozenset({Permission.READ_RECOMMENDATIONS, Permission.READ_ORGANISATIONS}),
    Role.ACADEMIC: frozenset({Permission.READ_RECOMMENDATIONS, Permission.READ_ORGANISATIONS}),
    Role.OBSERVER: frozenset({Permission.READ_RECOMMENDATIONS}),
}


def can(role: Role, permission: Permission) -> bool:
    """Whether the role has the permission."""
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission) -> None:
    """Refuse, with a message naming the role and the permission, unless the role has it."""
    if not can(role, permission):
        raise PermissionDenied(f"the role {role.value!r} does not have {permission.value!r}")

"""The fixed vocabularies of the domain, named as organisers and the UN name them."""

from __future__ import annotations

from enum import StrEnum


class Mechanism(StrEnum):
    """The kind of UN human rights mechanism a recommendation comes from."""

    UPR = "upr"
    TREATY_BODY = "treaty_body"
    SPECIAL_PROCEDURE = "special_procedure"


TREATY_BODIES: dict[str, str] = {
    "CCPR": "Human Rights Committee",
    "CESCR": "Committee on Economic, Social and Cultural Rights",
    "CERD": "Committee on the Elimination of Racial Discrimination",
    "CEDAW": "Committee on the Elimination of Discrimination against Women",
    "CAT": "Committee against Torture",
    "CRC": "Committee on the Rights of the Child",
    "CMW": "Committee on Migrant Workers",
    "CRPD": "Committee on the Rights of Persons with Disabilities",
    "CED": "Committee on Enforced Disappearances",
}


class Position(StrEnum):
    """The state under review's position on a recommendation."""

    SUPPORTED = "supported"
    NOTED = "noted"
    SUPPORTED_IN_PART = "supported_in_part"


class RecommendationType(StrEnum):
    """UHRI distinguishes recommendations from a treaty body's concerns and observations."""

    RECOMMENDATION = "recommendation"
    CONCERN = "concern"


class OrganisationType(StrEnum):
    """What kind of body an organisation is."""

    GOVERNMENT = "government"
    NHRI = "nhri"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIA = "academia"
    UN = "un"


class Role(StrEnum):
    """A participant's one role, by slug."""

    ORGANISER = "organiser"
    GOVERNMENT = "government"
    NHRI = "nhri"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIC = "academic"
    OBSERVER = "observer"


class Platform(StrEnum):
    """A channel through which a participant can reach Consulta."""

    SLACK = "slack"
    TELEGRAM = "telegram"
    WEBHOOK = "webhook"
    WEB = "web"
    TERMINAL = "terminal"


def upr_cycle_for_session(session: int) -> int:
    """Return the UPR cycle a Working Group session belongs to (cycles have 12 or 14 sessions)."""
    # Cycle 1 ran sessions 1-12; every later cycle has run 14 sessions.
    if session <= 12:
        return 1
    return 2 + (session - 13) // 14

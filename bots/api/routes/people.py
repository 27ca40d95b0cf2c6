"""GET /api/v1/organisations, /api/v1/participants and /api/v1/me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from bots.api.deps import SessionDep, allowed, get_caller
from core import people
from core.models import Participant
from core.permissions import Permission
from core.vocabulary import OrganisationType, Role

router = APIRouter(prefix="/api/v1", tags=["people"])


class OrganisationOut(BaseModel):
    id: int
    name: str
    type: OrganisationType
    country: str | None


class ParticipantOut(BaseModel):
    """A participant as the API shows them: by pseudonym, never by name or platform id."""

    id: int
    pseudonym: str
    role: Role
    organisation: str | None
    language: str | None


def _participant(p: Participant) -> ParticipantOut:
    return ParticipantOut(
        id=p.id,
        pseudonym=p.pseudonym,
        role=p.role,
        organisation=p.organisation.name if p.organisation else None,
        language=p.language,
    )


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(
    session: SessionDep,
    _caller: Annotated[Participant, Depends(allowed(Permission.READ_ORGANISATIONS))],
    type: OrganisationType | None = None,
) -> list[OrganisationOut]:
    """Organisations taking part, optionally of one type."""
    return [
        OrganisationOut(id=o.id, name=o.name, type=o.type, country=o.country)
        for o in people.list_organisations(session, type=type)
    ]


@router.get("/participants", response_model=list[ParticipantOut])
def list_participants(
    session: SessionDep,
    _caller: Annotated[Participant, Depends(allowed(Permission.READ_PARTICIPANTS))],
    role: Role | None = None,
) -> list[ParticipantOut]:
    """Participants by pseudonym and role; organisers only."""
    return [_participant(p) for p in people.list_participants(session, role=role)]


@router.get("/me", response_model=ParticipantOut)
def me(caller: Annotated[Participant, Depends(get_caller)]) -> ParticipantOut:
    """Who the presented token acts as."""
    return _participant(caller)

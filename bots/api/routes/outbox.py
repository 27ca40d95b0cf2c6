"""GET /api/v1/outbox: what is waiting, what went, and the dead letters, for organisers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from bots.api.deps import SessionDep, allowed
from core import outbox
from core.models import Participant
from core.permissions import Permission

router = APIRouter(prefix="/api/v1/outbox", tags=["outbox"])


class StateCount(BaseModel):
    platform: str
    status: str
    count: int
    uncertain_sends: int


class DeadLetter(BaseModel):
    """A message given up on; its content and recipient stay out of the API."""

    id: int
    platform: str
    attempts: int
    last_error: str | None
    created_at: str


class OutboxReport(BaseModel):
    counts: list[StateCount]
    dead_letters: list[DeadLetter]


@router.get("", response_model=OutboxReport)
def outbox_report(
    session: SessionDep,
    _caller: Annotated[Participant, Depends(allowed(Permission.READ_OUTBOX))],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> OutboxReport:
    """Counts per platform and state, and the newest dead letters."""
    return OutboxReport(
        counts=[StateCount(**row) for row in outbox.status_counts(session)],
        dead_letters=[
            DeadLetter(
                id=r.id,
                platform=r.platform.value,
                attempts=r.attempts,
                last_error=r.last_error,
                created_at=r.created_at.isoformat(timespec="seconds"),
            )
            for r in outbox.dead_letters(session, limit)
        ],
    )

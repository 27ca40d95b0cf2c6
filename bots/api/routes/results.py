"""A round's aggregated results, with small counts hidden, for organisers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from bots.api.deps import SessionDep, allowed
from bots.api.refusals import refusal_of
from core.errors import NotFound
from core.models import Participant
from core.permissions import Permission
from core.results import round_results

router = APIRouter(prefix="/api/v1/rounds", tags=["results"])


@router.get("/{code}/results")
def results(
    code: str,
    session: SessionDep,
    _caller: Annotated[Participant, Depends(allowed(Permission.READ_PARTICIPANTS))],
) -> dict[str, Any]:
    """Every breakdown of the round; a hidden count is {"count": null, "suppressed": true}."""
    try:
        return round_results(session, code).as_data()
    except NotFound as missing:
        raise refusal_of(status.HTTP_404_NOT_FOUND, missing) from None

"""GET /api/v1/recommendations: the filters organisers use, with pagination."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel

from bots.api.deps import SessionDep, allowed, check_page_size, get_settings
from bots.api.refusals import refusal_of
from core import recommendations
from core.config import Settings
from core.errors import NotFound
from core.models import Participant
from core.permissions import Permission
from core.vocabulary import Mechanism, Position

router = APIRouter(prefix="/api/v1/recommendations", tags=["recommendations"])
Reader = Annotated[Participant, Depends(allowed(Permission.READ_RECOMMENDATIONS))]


class SdgTargetOut(BaseModel):
    code: str
    label: str


class RecommendationOut(BaseModel):
    id: int
    source_id: str | None
    text: str
    language: str
    paragraph: str | None
    document_symbol: str | None
    state_under_review: str
    mechanism: Mechanism
    body: str
    kind: str
    position: Position | None
    recommending_states: list[str]
    themes: list[str]
    affected_persons: list[str]
    sdg_targets: list[SdgTargetOut]
    regions: list[str]
    upr_cycle: int | None
    upr_session: int | None
    published_on: str | None
    action_category: int | None
    translations: dict[str, str]
    responsible_entities: list[str]


class RecommendationPage(BaseModel):
    items: list[RecommendationOut]
    total: int
    limit: int
    offset: int
    next: str | None


@router.get("", response_model=RecommendationPage)
def list_recommendations(
    request: Request,
    session: SessionDep,
    _caller: Reader,
    settings: Annotated[Settings, Depends(get_settings)],
    country: Annotated[str | None, Query(description="State under review")] = None,
    mechanism: Annotated[Mechanism | None, Query()] = None,
    body: Annotated[str | None, Query(description="UPR, a treaty body code, or a mandate")] = None,
    theme: Annotated[str | None, Query(description="Part of a theme's name")] = None,
    sdg: Annotated[str | None, Query(description="SDG goal (16) or target (16.3)")] = None,
    position: Annotated[Position | None, Query()] = None,
    cluster: Annotated[str | None, Query(description="Cluster name or id")] = None,
    session_number: Annotated[int | None, Query(alias="session", ge=1)] = None,
    q: Annotated[str | None, Query(description="Words in the text or a translation")] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Recommendations matching every given filter, a page at a time."""
    check_page_size(limit, settings)
    spec = recommendations.RecommendationFilter(
        country=country,
        mechanism=mechanism,
        body=body,
        theme=theme,
        sdg=sdg,
        position=position,
        cluster=cluster,
        session=session_number,
        text=q,
    )
    page = recommendations.search(session, spec, limit=limit, offset=offset)
    following = offset + len(page.items)
    next_url = (
        str(request.url.include_query_params(offset=following, limit=limit))
        if following < page.total
        else None
    )
    return {
        "items": [recommendations.describe(r) for r in page.items],
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "next": next_url,
    }


@router.get("/{recommendation_id}", response_model=RecommendationOut)
def get_recommendation(
    recommendation_id: int, session: SessionDep, _caller: Reader
) -> dict[str, Any]:
    """One recommendation in full, with its translations."""
    try:
        return recommendations.describe(recommendations.get(session, recommendation_id))
    except NotFound as missing:
        raise refusal_of(status.HTTP_404_NOT_FOUND, missing) from None

"""A recommendation's history: when it was made, what was reported, what consultations found.

Updates and assessments appear as far as the viewer may see them (core.visibility); each
round's results are counts with small cells suppressed, like every aggregate.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.gaps import Distribution, round_results
from core.models import (
    ImplementationUpdate,
    Participant,
    Recommendation,
    Round,
    RoundStatus,
    UpdateKind,
)
from core.recommendations import get as get_recommendation
from core.updates import describe, visible_versions

# Events at the same moment keep this order: the recommendation, then what was reported,
# then what people said.
_ORDER = {"recommendation": 0, "update": 1, "assessment": 2, "consultation": 3}


def timeline(
    session: Session, recommendation_id: int, viewer: Participant | None
) -> list[dict[str, Any]]:
    """Every event on the recommendation the viewer may see, oldest first.

    Each event has a `kind` (recommendation, update, assessment or consultation), the moment
    `at` (ISO 8601) and the UPR cycle of the recommendation where known.
    """
    recommendation = get_recommendation(session, recommendation_id)
    cycle = recommendation.upr_cycle
    events: list[tuple[datetime, dict[str, Any]]] = []
    if recommendation.published_on is not None:
        made = datetime.combine(recommendation.published_on, time.min, UTC)
        events.append((made, _made(recommendation)))
    for update in session.scalars(
        select(ImplementationUpdate)
        .where(ImplementationUpdate.recommendations.any(Recommendation.id == recommendation.id))
        .order_by(ImplementationUpdate.id)
    ):
        kind = "assessment" if update.kind is UpdateKind.ASSESSMENT else "update"
        for version in visible_versions(update, viewer):
            moment = version.published_at or version.created_at
            events.append(
                (
                    moment,
                    {
                        "kind": kind,
                        "at": moment.isoformat(timespec="seconds"),
                        "upr_cycle": cycle,
                        "update": describe(version, viewer),
                    },
                )
            )
    results = round_results(session, recommendation.id, viewer)
    for consultation in session.scalars(
        select(Round)
        .where(
            Round.recommendations.any(Recommendation.id == recommendation.id),
            Round.status != RoundStatus.DRAFT,
        )
        .order_by(Round.id)
    ):
        found = results.get(consultation.id) or Distribution({}, consultation.min_cell_size)
        moment = _round_moment(consultation)
        events.append(
            (
                moment,
                {
                    "kind": "consultation",
                    "at": moment.isoformat(timespec="seconds"),
                    "upr_cycle": cycle,
                    "round": consultation.code,
                    "title": consultation.title,
                    "status": consultation.status.value,
                    **found.as_data(),
                },
            )
        )
    events.sort(key=lambda pair: (pair[0], _ORDER[pair[1]["kind"]]))
    return [event for _, event in events]


def _made(recommendation: Recommendation) -> dict[str, Any]:
    assert recommendation.published_on is not None
    return {
        "kind": "recommendation",
        "at": recommendation.published_on.isoformat(),
        "upr_cycle": recommendation.upr_cycle,
        "upr_session": recommendation.upr_session,
        "body": recommendation.body,
        "document_symbol": recommendation.document_symbol,
        "paragraph": recommendation.paragraph,
        "position": recommendation.position.value if recommendation.position else None,
    }


def _round_moment(consultation: Round) -> datetime:
    # A closed round's results stand at its close; an open one's as of its opening.
    if consultation.status is RoundStatus.CLOSED and consultation.closes_at is not None:
        return consultation.closes_at
    return consultation.opens_at or consultation.created_at

"""Finding recommendations: the filters organisers use, with pagination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.i18n import N_
from core.lookup import row_id
from core.models import (
    Cluster,
    Recommendation,
    RecommendationTranslation,
    Tag,
    TagKind,
    cluster_members,
    recommendation_tags,
)
from core.vocabulary import Mechanism, Position


@dataclass(frozen=True)
class RecommendationFilter:
    """What an organiser narrows recommendations down by; None means 'any'."""

    country: str | None = None
    mechanism: Mechanism | None = None
    body: str | None = None
    theme: str | None = None
    sdg: str | None = None
    position: Position | None = None
    cluster: str | None = None
    session: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of results and where it sits in the whole."""

    items: list[Recommendation]
    total: int
    limit: int
    offset: int


def _has_tag(kind: TagKind, condition: Any) -> Any:
    return exists().where(
        recommendation_tags.c.recommendation_id == Recommendation.id,
        recommendation_tags.c.tag_id == Tag.id,
        Tag.kind == kind,
        condition,
    )


def _apply(query: Select[Any], spec: RecommendationFilter) -> Select[Any]:
    conditions: list[Any] = []
    if spec.country:
        conditions.append(
            func.lower(Recommendation.state_under_review) == spec.country.strip().lower()
        )
    if spec.mechanism:
        conditions.append(Recommendation.mechanism == spec.mechanism)
    if spec.body:
        conditions.append(func.lower(Recommendation.body) == spec.body.strip().lower())
    if spec.position:
        conditions.append(Recommendation.position == spec.position)
    if spec.session is not None:
        conditions.append(Recommendation.upr_session == spec.session)
    if spec.theme:
        conditions.append(
            _has_tag(TagKind.THEME, Tag.code.icontains(spec.theme.strip(), autoescape=True))
        )
    if spec.sdg:
        # A goal ("16") matches all its targets; a target ("16.3") matches itself.
        code = spec.sdg.strip()
        conditions.append(
            _has_tag(TagKind.SDG_TARGET, or_(Tag.code == code, Tag.code.startswith(code + ".")))
        )
    if spec.cluster:
        name = spec.cluster.strip()
        cluster_match = (
            Cluster.id == (row_id(name) or 0)
            if name.isdigit()
            else func.lower(Cluster.name) == name.lower()
        )
        conditions.append(
            exists().where(
                cluster_members.c.recommendation_id == Recommendation.id,
                cluster_members.c.cluster_id == Cluster.id,
                cluster_match,
            )
        )
    if spec.text:
        needle = spec.text.strip()
        conditions.append(
            or_(
                Recommendation.text.icontains(needle, autoescape=True),
                exists().where(
                    RecommendationTranslation.recommendation_id == Recommendation.id,
                    RecommendationTranslation.text.icontains(needle, autoescape=True),
                ),
            )
        )
    return query.where(and_(*conditions)) if conditions else query


def search(
    session: Session, spec: RecommendationFilter, *, limit: int = 50, offset: int = 0
) -> Page:
    """Recommendations that match every given filter, one page at a time."""
    total = session.scalar(_apply(select(func.count(Recommendation.id)), spec)) or 0
    query = _apply(select(Recommendation), spec).order_by(Recommendation.id)
    items = list(session.scalars(query.limit(limit).offset(offset)))
    return Page(items=items, total=total, limit=limit, offset=offset)


def get(session: Session, recommendation_id: int) -> Recommendation:
    """One recommendation by id."""
    number = row_id(recommendation_id)
    found = session.get(Recommendation, number) if number is not None else None
    if found is None:
        raise NotFound(N_("no recommendation with id {ids}"), ids=recommendation_id)
    return found


def find(session: Session, ref: str | int) -> Recommendation:
    """A recommendation as people name it: its number (12 or #12), source id or key."""
    text = str(ref).strip().lstrip("#")
    if text.isdigit():
        return get(session, int(text))
    found = session.scalar(
        select(Recommendation)
        .where(or_(Recommendation.source_id == text, Recommendation.key == text))
        .order_by(Recommendation.id)
        .limit(1)
    )
    if found is None:
        raise NotFound(N_("no recommendation with number, source id or key {ref!r}"), ref=text)
    return found


def describe(recommendation: Recommendation) -> dict[str, Any]:
    """A recommendation as plain data, the same for the CLI's --json and the REST API."""
    r = recommendation
    return {
        "id": r.id,
        "source_id": r.source_id,
        "text": r.text,
        "language": r.language,
        "paragraph": r.paragraph,
        "document_symbol": r.document_symbol,
        "state_under_review": r.state_under_review,
        "mechanism": r.mechanism.value,
        "body": r.body,
        "kind": r.kind.value,
        "position": r.position.value if r.position else None,
        "recommending_states": [t.code for t in r.tags_of(TagKind.RECOMMENDING_STATE)],
        "themes": [t.code for t in r.tags_of(TagKind.THEME)],
        "affected_persons": [t.code for t in r.tags_of(TagKind.AFFECTED_PERSONS)],
        "sdg_targets": [{"code": t.code, "label": t.label} for t in r.tags_of(TagKind.SDG_TARGET)],
        "regions": [t.code for t in r.tags_of(TagKind.REGION)],
        "upr_cycle": r.upr_cycle,
        "upr_session": r.upr_session,
        "published_on": r.published_on.isoformat() if r.published_on else None,
        "action_category": r.action_category,
        "translations": {t.language: t.text for t in r.translations},
        "responsible_entities": [e.name for e in r.responsible_entities],
    }

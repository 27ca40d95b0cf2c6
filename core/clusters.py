"""Clusters of recommendations and the entities responsible for implementing them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput, NotFound
from core.i18n import N_
from core.lookup import by_id_or_name
from core.models import Cluster, Recommendation, ResponsibleEntity
from core.people import find_organisation


def _recommendations(session: Session, ids: Sequence[int]) -> list[Recommendation]:
    found = list(session.scalars(select(Recommendation).where(Recommendation.id.in_(ids))))
    missing = sorted(set(ids) - {r.id for r in found})
    if missing:
        raise NotFound(N_("no recommendation with id {ids}"), ids=", ".join(map(str, missing)))
    return found


def add_cluster(
    session: Session,
    *,
    name: str,
    description: str = "",
    recommendation_ids: Sequence[int] = (),
    actor: str = audit.SYSTEM,
) -> Cluster:
    """Create a cluster, optionally with its first recommendations."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(N_("the cluster's name is empty"))
    if by_id_or_name(session, Cluster, name, (Cluster.name,), missing_ok=True):
        raise InvalidInput(N_("a cluster named {name!r} already exists"), name=name)
    cluster = Cluster(name=name, description=description)
    cluster.recommendations.extend(_recommendations(session, recommendation_ids))
    session.add(cluster)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="cluster.added",
        subject_type="cluster",
        subject_id=cluster.id,
        details={"recommendations": len(cluster.recommendations)},
    )
    return cluster


def find_cluster(session: Session, ref: str | int) -> Cluster:
    """A cluster by id or name."""
    found = by_id_or_name(
        session, Cluster, ref, (Cluster.name,), missing=N_("no cluster with id or name {ref!r}")
    )
    assert found is not None
    return found


def add_to_cluster(
    session: Session, cluster: Cluster, recommendation_ids: Sequence[int], *, actor: str
) -> int:
    """Add recommendations to a cluster; returns how many were new to it."""
    present = {r.id for r in cluster.recommendations}
    new = [r for r in _recommendations(session, recommendation_ids) if r.id not in present]
    cluster.recommendations.extend(new)
    audit.record(
        session,
        actor=actor,
        action="cluster.extended",
        subject_type="cluster",
        subject_id=cluster.id,
        details={"added": len(new)},
    )
    return len(new)


def list_clusters(session: Session) -> list[Cluster]:
    """Every cluster, by name."""
    return list(session.scalars(select(Cluster).order_by(Cluster.name)))


def add_entity(
    session: Session,
    *,
    name: str,
    acronym: str | None = None,
    organisation: str | int | None = None,
    actor: str = audit.SYSTEM,
) -> ResponsibleEntity:
    """Register a ministry or agency that implements recommendations."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(N_("the entity's name is empty"))
    if by_id_or_name(session, ResponsibleEntity, name, (ResponsibleEntity.name,), missing_ok=True):
        raise InvalidInput(N_("a responsible entity named {name!r} already exists"), name=name)
    org = None if organisation is None else find_organisation(session, organisation)
    entity = ResponsibleEntity(
        name=name, acronym=acronym or None, organisation_id=org.id if org else None
    )
    session.add(entity)
    session.flush()
    audit.record(
        session, actor=actor, action="entity.added", subject_type="entity", subject_id=entity.id
    )
    return entity


def assign_entity(
    session: Session,
    entity: ResponsibleEntity,
    recommendation_ids: Sequence[int],
    *,
    actor: str = audit.SYSTEM,
) -> int:
    """Make an entity responsible for recommendations; returns how many were new to it."""
    count = 0
    for recommendation in _recommendations(session, recommendation_ids):
        if entity not in recommendation.responsible_entities:
            recommendation.responsible_entities.append(entity)
            count += 1
    audit.record(
        session,
        actor=actor,
        action="entity.assigned",
        subject_type="entity",
        subject_id=entity.id,
        details={"added": count},
    )
    return count


def find_entity(session: Session, ref: str | int) -> ResponsibleEntity:
    """A responsible entity by id, name or acronym."""
    found = by_id_or_name(
        session,
        ResponsibleEntity,
        ref,
        (ResponsibleEntity.name, ResponsibleEntity.acronym),
        missing=N_("no responsible entity with id, name or acronym {ref!r}"),
    )
    assert found is not None
    return found


def list_entities(session: Session) -> list[ResponsibleEntity]:
    """Every responsible entity, by name."""
    return list(session.scalars(select(ResponsibleEntity).order_by(ResponsibleEntity.name)))

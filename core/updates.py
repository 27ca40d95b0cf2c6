"""Implementation updates: government progress reports and NHRI assessments, with review.

A government focal point's update is a draft until an organiser (the NMIRF secretariat)
approves it; an NHRI assessment is published at once. Every correction is a new version and
every step is in the audit log. Publishing tells the recommendation's followers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, follows
from core.clusters import find_cluster, find_entity
from core.errors import InvalidInput, NotFound, PermissionDenied, Phrase
from core.i18n import N_
from core.invitations import effective_role
from core.lookup import row_id
from core.models import (
    ImplementationUpdate,
    Participant,
    Recommendation,
    UpdateKind,
    UpdateState,
    UpdateVersion,
    utcnow,
)
from core.recommendations import find as find_recommendation
from core.visibility import names_author, sees, update_record
from core.vocabulary import Role

# The standard scale, with the numbers the perception gap uses. "Don't know" is not a
# status an implementer can report.
STATUS_SCALE: dict[str, int] = {
    "not_started": 0,
    "in_progress": 1,
    "partially_implemented": 2,
    "fully_implemented": 3,
}
MAX_NARRATIVE = 10_000
MAX_NEXT_STEP = 2_000
MAX_LINKS = 20
MAX_LINK = 2_000
MAX_INDICATORS = 30
MAX_INDICATOR_TEXT = 200
AUTHORS = {Role.GOVERNMENT: UpdateKind.PROGRESS, Role.NHRI: UpdateKind.ASSESSMENT}


@dataclass(frozen=True)
class UpdateDraft:
    """What someone posts: the fields of an update, as typed, not yet checked."""

    status: str
    narrative: str = ""
    evidence: Sequence[str] = ()
    responsible_entity: str | int | None = None
    indicators: Sequence[Mapping[str, Any]] = ()
    next_step: str | None = None
    next_step_due: date | str | None = None
    recommendation: str | int | None = None
    cluster: str | int | None = None
    language: str = "en"
    channel: str = "api"


@dataclass
class _Checked:
    status: str
    narrative: str
    evidence: list[str]
    indicators: list[dict[str, Any]]
    next_step: str | None
    next_step_due: date | None
    entity_id: int | None
    recommendations: list[Recommendation] = field(default_factory=list)
    recommendation_id: int | None = None
    cluster_id: int | None = None


def parse_date(value: date | str | None, where: str | Phrase) -> date | None:
    """A date given as a date or as YYYY-MM-DD text; the message names the field."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            N_("{where}: {text!r} is not a date; write it as YYYY-MM-DD"), where=where, text=text
        ) from None


def check_link(link: str, where: str | Phrase) -> str:
    """An evidence link: an http(s) address with a host, and nothing else."""
    text = link.strip()
    if len(text) > MAX_LINK:
        raise InvalidInput(
            N_("{where}: the link is longer than {limit} characters"), where=where, limit=MAX_LINK
        )
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in text:
        raise InvalidInput(
            N_(
                "{where}: {text!r} is not a web link; evidence links must start "
                "with http:// or https://"
            ),
            where=where,
            text=text[:80],
        )
    return text


def check_status(status: str) -> str:
    """A status on the standard scale, by its slug."""
    slug = status.strip().lower().replace(" ", "_").replace("-", "_")
    if slug not in STATUS_SCALE:
        raise InvalidInput(
            N_("status: {status!r} is not on the standard scale; use one of {statuses}"),
            status=status,
            statuses=", ".join(STATUS_SCALE),
        )
    return slug


def _check(session: Session, draft: UpdateDraft) -> _Checked:
    status = check_status(draft.status)
    narrative = (draft.narrative or "").strip()
    if len(narrative) > MAX_NARRATIVE:
        raise InvalidInput(
            N_(
                "narrative: {length} characters is too long; the limit is {limit} "
                "(link to a longer report as evidence)"
            ),
            length=f"{len(narrative):,}",
            limit=f"{MAX_NARRATIVE:,}",
        )
    if len(draft.evidence) > MAX_LINKS:
        raise InvalidInput(N_("evidence: at most {limit} links"), limit=MAX_LINKS)
    evidence = [
        check_link(link, Phrase(N_("evidence link {number}"), number=n))
        for n, link in enumerate(draft.evidence, start=1)
        if link.strip()
    ]
    if len(draft.indicators) > MAX_INDICATORS:
        raise InvalidInput(N_("indicators: at most {limit}"), limit=MAX_INDICATORS)
    indicators = [
        _indicator(item, Phrase(N_("indicator {number}"), number=n))
        for n, item in enumerate(draft.indicators, start=1)
    ]
    next_step = (draft.next_step or "").strip() or None
    if next_step and len(next_step) > MAX_NEXT_STEP:
        raise InvalidInput(
            N_("next step: the limit is {limit} characters"), limit=f"{MAX_NEXT_STEP:,}"
        )
    due = parse_date(draft.next_step_due, Phrase(N_("next step's target date")))
    if due is not None and next_step is None:
        raise InvalidInput(N_("next step's target date: say what the next step is as well"))
    entity_id = None
    if draft.responsible_entity not in (None, ""):
        assert draft.responsible_entity is not None
        entity_id = find_entity(session, draft.responsible_entity).id
    checked = _Checked(status, narrative, evidence, indicators, next_step, due, entity_id)
    if (draft.recommendation in (None, "")) == (draft.cluster in (None, "")):
        raise InvalidInput(N_("an update is about one recommendation or one cluster: give one"))
    if draft.recommendation not in (None, ""):
        assert draft.recommendation is not None
        recommendation = find_recommendation(session, draft.recommendation)
        checked.recommendations = [recommendation]
        checked.recommendation_id = recommendation.id
    else:
        assert draft.cluster is not None
        cluster = find_cluster(session, draft.cluster)
        if not cluster.recommendations:
            raise InvalidInput(N_("cluster {name!r} has no recommendations yet"), name=cluster.name)
        checked.recommendations = list(cluster.recommendations)
        checked.cluster_id = cluster.id
    return checked


def _indicator(item: Mapping[str, Any], where: Phrase) -> dict[str, Any]:
    name = str(item.get("name") or "").strip()
    value = str(item.get("value") if item.get("value") is not None else "").strip()
    if not name or not value:
        raise InvalidInput(N_("{where}: give a name and a value"), where=where)
    if len(name) > MAX_INDICATOR_TEXT or len(value) > MAX_INDICATOR_TEXT:
        raise InvalidInput(
            N_("{where}: name and value are limited to {limit} characters"),
            where=where,
            limit=MAX_INDICATOR_TEXT,
        )
    measured = parse_date(item.get("date"), Phrase(N_("{where}'s date"), where=where))
    if measured is None:
        raise InvalidInput(
            N_("{where}: give the date the value was measured (YYYY-MM-DD)"), where=where
        )
    return {"name": name, "value": value, "date": measured.isoformat()}


def author_kind(author: Participant) -> UpdateKind:
    """What the author may post; refused unless they hold a verified reporting role."""
    kind = AUTHORS.get(effective_role(author))
    if kind is None:
        raise PermissionDenied(
            N_(
                "only verified government focal points and NHRI staff can post updates; "
                "ask the organisers for an invitation code and send verify CODE"
            )
        )
    return kind


def post_update(
    session: Session, author: Participant, draft: UpdateDraft, *, now: datetime | None = None
) -> UpdateVersion:
    """Post a new update: a draft for review, or, from the NHRI, a published assessment."""
    now = now or utcnow()
    kind = author_kind(author)
    checked = _check(session, draft)
    update = ImplementationUpdate(
        kind=kind,
        author_id=author.id,
        organisation_id=author.organisation_id,
        recommendation_id=checked.recommendation_id,
        cluster_id=checked.cluster_id,
        created_at=now,
    )
    update.recommendations.extend(checked.recommendations)
    session.add(update)
    session.flush()
    return _add_version(session, update, author, checked, draft, now, "update.posted")


def revise_update(
    session: Session,
    author: Participant,
    update_id: int,
    draft: UpdateDraft,
    *,
    now: datetime | None = None,
) -> UpdateVersion:
    """Correct an update: a new version, reviewed like the first; earlier ones are kept."""
    now = now or utcnow()
    author_kind(author)
    update = get_update(session, update_id)
    if update.organisation_id is None or update.organisation_id != author.organisation_id:
        raise PermissionDenied(N_("update {id} was posted by another organisation"), id=update_id)
    current = update.versions[-1]
    merged = UpdateDraft(
        status=draft.status,
        narrative=draft.narrative,
        evidence=draft.evidence,
        responsible_entity=draft.responsible_entity,
        indicators=draft.indicators,
        next_step=draft.next_step,
        next_step_due=draft.next_step_due,
        recommendation=update.recommendation_id,
        cluster=None if update.recommendation_id else update.cluster_id,
        language=draft.language or current.language,
        channel=draft.channel,
    )
    checked = _check(session, merged)
    return _add_version(session, update, author, checked, merged, now, "update.revised")


def _add_version(
    session: Session,
    update: ImplementationUpdate,
    author: Participant,
    checked: _Checked,
    draft: UpdateDraft,
    now: datetime,
    action: str,
) -> UpdateVersion:
    publish = update.kind is UpdateKind.ASSESSMENT
    version = UpdateVersion(
        update_id=update.id,
        version=len(update.versions) + 1,
        state=UpdateState.PUBLISHED if publish else UpdateState.DRAFT,
        status=checked.status,
        narrative=checked.narrative,
        evidence=checked.evidence,
        responsible_entity_id=checked.entity_id,
        indicators=checked.indicators,
        next_step=checked.next_step,
        next_step_due=checked.next_step_due,
        language=draft.language,
        channel=draft.channel,
        created_at=now,
        published_at=now if publish else None,
    )
    update.versions.append(version)
    session.flush()
    audit.record(
        session,
        actor=author.pseudonym,
        action=action,
        subject_type="update",
        subject_id=update.id,
        details={
            "version": version.version,
            "kind": update.kind.value,
            "state": version.state.value,
            "status": version.status,
            "channel": draft.channel[:20],
        },
    )
    if publish:
        follows.announce(session, version, now)
    return version


def get_update(session: Session, update_id: int | str) -> ImplementationUpdate:
    """One update by its number."""
    text = str(update_id).strip().lstrip("#")
    number = row_id(text)
    found = session.get(ImplementationUpdate, number) if number is not None else None
    if found is None:
        raise NotFound(N_("no update with number {number!r}"), number=text)
    return found


def _pending(update: ImplementationUpdate, update_id: int) -> UpdateVersion:
    latest = update.versions[-1]
    if latest.state is not UpdateState.DRAFT:
        raise InvalidInput(
            N_("update {id} has no draft waiting for review (its latest version is {state})"),
            id=update_id,
            state=latest.state.value,
        )
    return latest


def approve(
    session: Session,
    reviewer: Participant,
    update_id: int | str,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> UpdateVersion:
    """Publish an update's draft; only organisers (the secretariat) may."""
    now = now or utcnow()
    _require_organiser(reviewer)
    update = get_update(session, update_id)
    version = _pending(update, update.id)
    version.state = UpdateState.PUBLISHED
    version.published_at = now
    _reviewed(session, reviewer, update, version, note, now, "update.approved")
    follows.announce(session, version, now)
    return version


def reject(
    session: Session,
    reviewer: Participant,
    update_id: int | str,
    *,
    note: str,
    now: datetime | None = None,
) -> UpdateVersion:
    """Send a draft back with a reason; the author can post a corrected version."""
    now = now or utcnow()
    _require_organiser(reviewer)
    if not note.strip():
        raise InvalidInput(N_("note: say why the draft is sent back, so its author can fix it"))
    update = get_update(session, update_id)
    version = _pending(update, update.id)
    version.state = UpdateState.REJECTED
    _reviewed(session, reviewer, update, version, note, now, "update.rejected")
    return version


def _require_organiser(reviewer: Participant) -> None:
    if effective_role(reviewer) is not Role.ORGANISER:
        raise PermissionDenied(N_("only organisers review updates"))


def _reviewed(
    session: Session,
    reviewer: Participant,
    update: ImplementationUpdate,
    version: UpdateVersion,
    note: str | None,
    now: datetime,
    action: str,
) -> None:
    version.reviewed_by = reviewer.pseudonym
    version.reviewed_at = now
    version.review_note = (note or "").strip()[:MAX_NEXT_STEP] or None
    audit.record(
        session,
        actor=reviewer.pseudonym,
        action=action,
        subject_type="update",
        subject_id=update.id,
        details={"version": version.version},
    )


def awaiting_review(session: Session) -> list[UpdateVersion]:
    """Drafts waiting for the secretariat, oldest first."""
    versions = session.scalars(
        select(UpdateVersion)
        .where(UpdateVersion.state == UpdateState.DRAFT)
        .order_by(UpdateVersion.created_at, UpdateVersion.id)
    )
    # Only an update's latest version can be waiting: an older draft was superseded.
    return [v for v in versions if v.update.versions[-1].id == v.id]


def visible_versions(
    update: ImplementationUpdate, viewer: Participant | None
) -> list[UpdateVersion]:
    """The versions of an update the viewer may see, oldest first."""
    return [
        v
        for v in update.versions
        if sees(
            viewer,
            update_record(update.kind, v.state),
            author_id=update.author_id,
            organisation_id=update.organisation_id,
        )
    ]


def list_updates(
    session: Session,
    viewer: Participant | None,
    *,
    recommendation_id: int | None = None,
    state: UpdateState | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Updates the viewer may see, newest first, each at its latest visible version."""
    query = select(ImplementationUpdate).order_by(ImplementationUpdate.id.desc())
    if recommendation_id is not None:
        query = query.where(
            ImplementationUpdate.recommendations.any(Recommendation.id == recommendation_id)
        )
    shown: list[dict[str, Any]] = []
    for update in session.scalars(query):
        versions = visible_versions(update, viewer)
        if state is not None:
            versions = [v for v in versions if v.state is state]
        if versions:
            shown.append(describe(versions[-1], viewer))
        if len(shown) >= limit:
            break
    return shown


def describe(version: UpdateVersion, viewer: Participant | None) -> dict[str, Any]:
    """One version as plain data, naming its author only as far as the viewer may see."""
    update = version.update
    record = update_record(update.kind, version.state)
    named = names_author(viewer, record, author_id=update.author_id)
    return {
        "id": update.id,
        "version": version.version,
        "versions": len(update.versions),
        "kind": update.kind.value,
        "state": version.state.value,
        "status": version.status,
        "narrative": version.narrative,
        "evidence": list(version.evidence),
        "responsible_entity": (
            version.responsible_entity.name if version.responsible_entity else None
        ),
        "indicators": list(version.indicators),
        "next_step": version.next_step,
        "next_step_due": version.next_step_due.isoformat() if version.next_step_due else None,
        "recommendation_ids": [r.id for r in update.recommendations],
        "cluster": update.cluster.name if update.cluster else None,
        "organisation": update.organisation.name if named and update.organisation else None,
        "author": update.author.pseudonym if named and update.author else None,
        "posted_at": version.created_at.isoformat(timespec="seconds"),
        "published_at": (
            version.published_at.isoformat(timespec="seconds") if version.published_at else None
        ),
        "review_note": version.review_note if named else None,
        "channel": version.channel,
    }

"""Keeping survey definitions: each change of content becomes a new numbered version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound
from core.i18n import N_
from core.models import Survey, SurveyVersion
from surveys import definition


@dataclass(frozen=True)
class SavedSurvey:
    """The version a save produced, and whether it was new."""

    slug: str
    version: int
    created: bool


def fingerprint(survey: definition.Survey) -> str:
    """A digest of the survey's content, so saving the same content twice adds no version."""
    canonical = json.dumps(survey.as_data(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def save_survey(
    session: Session, survey: definition.Survey, *, actor: str = audit.SYSTEM
) -> SavedSurvey:
    """Store a survey; a changed definition becomes the next version, an unchanged one nothing."""
    stored = session.scalar(select(Survey).where(Survey.slug == survey.id))
    if stored is None:
        stored = Survey(slug=survey.id)
        session.add(stored)
        session.flush()
    digest = fingerprint(survey)
    latest = latest_version(session, stored.id)
    if latest is not None and latest.fingerprint == digest:
        return SavedSurvey(stored.slug, latest.version, created=False)
    number = (latest.version if latest else 0) + 1
    session.add(
        SurveyVersion(
            survey_id=stored.id, version=number, definition=survey.as_data(), fingerprint=digest
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="survey.saved",
        subject_type="survey",
        subject_id=stored.slug,
        details={"version": number},
    )
    return SavedSurvey(stored.slug, number, created=True)


def latest_version(session: Session, survey_id: int) -> SurveyVersion | None:
    """The newest version of a survey, which new joiners get."""
    return session.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id)
        .order_by(SurveyVersion.version.desc())
        .limit(1)
    )


def find_survey(session: Session, slug: str) -> Survey:
    """A stored survey by its id."""
    found = session.scalar(select(Survey).where(func.lower(Survey.slug) == slug.strip().lower()))
    if found is None:
        raise NotFound(
            N_("no survey with id {survey!r}; import one with `consulta survey import`"),
            survey=slug,
        )
    return found


def definition_of(version: SurveyVersion) -> definition.Survey:
    """The checked survey a stored version holds."""
    return definition.Survey.model_validate(version.definition)


def list_surveys(session: Session) -> list[tuple[Survey, SurveyVersion]]:
    """Every survey with its newest version."""
    rows = []
    for survey in session.scalars(select(Survey).order_by(Survey.slug)):
        latest = latest_version(session, survey.id)
        if latest is not None:
            rows.append((survey, latest))
    return rows

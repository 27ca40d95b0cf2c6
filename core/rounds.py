"""Consultation rounds: a survey, a scope of recommendations, an audience and a window."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput, NotFound
from core.i18n import SUPPORTED_LANGUAGES
from core.models import (
    Disclosure,
    Participant,
    Recommendation,
    Round,
    RoundStatus,
    utcnow,
)
from core.people import find_organisation
from core.recommendations import RecommendationFilter, search
from core.survey_store import find_survey
from core.vocabulary import Role

# No 0/O or 1/I: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


@dataclass(frozen=True)
class Scope:
    """Which recommendations a round asks about: one way of choosing them."""

    cluster: str | None = None
    theme: str | None = None
    sdg: str | None = None
    country: str | None = None
    recommendation_ids: tuple[int, ...] = ()

    def as_data(self) -> dict[str, Any]:
        """The scope as plain data, stored with the round."""
        data: dict[str, Any] = {
            k: v
            for k, v in (
                ("cluster", self.cluster),
                ("theme", self.theme),
                ("sdg", self.sdg),
                ("country", self.country),
            )
            if v
        }
        if self.recommendation_ids:
            data["recommendations"] = list(self.recommendation_ids)
        return data


@dataclass(frozen=True)
class Audience:
    """Who may join: anyone with the code, or only the roles, organisations or languages named."""

    invited_only: bool = False
    roles: tuple[Role, ...] = ()
    organisations: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def as_data(self, organisation_ids: Sequence[int]) -> dict[str, Any]:
        """The audience as plain data, stored with the round."""
        return {
            "mode": "invited" if self.invited_only else "open",
            "roles": [r.value for r in self.roles],
            "organisations": list(organisation_ids),
            "languages": list(self.languages),
        }


@dataclass(frozen=True)
class RoundPlan:
    """Everything an organiser says when creating a round."""

    title: str
    survey: str
    scope: Scope = field(default_factory=Scope)
    audience: Audience = field(default_factory=Audience)
    code: str | None = None
    description: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    timezone: str = "UTC"
    languages: tuple[str, ...] = ("en",)
    default_language: str = "en"
    default_disclosure: Disclosure = Disclosure.ANONYMOUS
    allow_disclosure_choice: bool = True
    min_cell_size: int = 5


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(Round.id).where(Round.code == code)) is None:
            return code


def _check(plan: RoundPlan) -> None:
    if not plan.title.strip():
        raise InvalidInput("the round's title is empty")
    try:
        ZoneInfo(plan.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {plan.timezone!r}") from None
    for moment, name in ((plan.opens_at, "opens"), (plan.closes_at, "closes")):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(f"the {name} time needs a time zone or a Z")
    if plan.opens_at and plan.closes_at and plan.closes_at <= plan.opens_at:
        raise InvalidInput("the round closes before it opens")
    unknown = sorted(set(plan.languages) - set(SUPPORTED_LANGUAGES))
    if unknown:
        raise InvalidInput(
            f"unsupported language(s) {', '.join(unknown)}; "
            f"choose from {', '.join(SUPPORTED_LANGUAGES)}"
        )
    if plan.default_language not in plan.languages:
        raise InvalidInput(
            f"the default language {plan.default_language!r} is not among the round's languages"
        )
    if plan.min_cell_size < 1:
        raise InvalidInput("the smallest cell size must be at least 1")
    if plan.audience.invited_only and not (
        plan.audience.roles or plan.audience.organisations or plan.audience.languages
    ):
        raise InvalidInput(
            "an invited-only round needs at least one role, organisation or language to admit"
        )
    if plan.code is not None and not (4 <= len(plan.code) <= 20 and plan.code.isalnum()):
        raise InvalidInput(f"the join code {plan.code!r} must be 4 to 20 letters or digits")


def _scope_recommendations(session: Session, scope: Scope) -> list[Recommendation]:
    if scope.recommendation_ids:
        found = list(
            session.scalars(
                select(Recommendation).where(Recommendation.id.in_(scope.recommendation_ids))
            )
        )
        missing = sorted(set(scope.recommendation_ids) - {r.id for r in found})
        if missing:
            raise NotFound(f"no recommendation with id {', '.join(map(str, missing))}")
        return sorted(found, key=lambda r: r.id)
    spec = RecommendationFilter(
        cluster=scope.cluster, theme=scope.theme, sdg=scope.sdg, country=scope.country
    )
    if spec == RecommendationFilter():
        raise InvalidInput(
            "a round needs a scope: a cluster, a theme, an SDG target, a "
            "country or a list of recommendations"
        )
    page = search(session, spec, limit=100_000)
    if not page.items:
        raise InvalidInput(f"the scope {scope.as_data()} matches no recommendation")
    return page.items


def create_round(session: Session, plan: RoundPlan, *, actor: str = audit.SYSTEM) -> Round:
    """Create a round in draft, with its scope resolved to a fixed list of recommendations."""
    _check(plan)
    code = (plan.code or _new_code(session)).upper()
    if session.scalar(select(Round.id).where(func.upper(Round.code) == code)) is not None:
        raise InvalidInput(f"a round with the code {code!r} already exists")
    survey = find_survey(session, plan.survey)
    organisation_ids = []
    for name in plan.audience.organisations:
        org = find_organisation(session, name)
        assert org is not None
        organisation_ids.append(org.id)
    consultation = Round(
        code=code,
        title=plan.title.strip(),
        description=plan.description,
        status=RoundStatus.DRAFT,
        opens_at=plan.opens_at,
        closes_at=plan.closes_at,
        timezone=plan.timezone,
        default_language=plan.default_language,
        languages=list(plan.languages),
        min_cell_size=plan.min_cell_size,
        survey_id=survey.id,
        scope=plan.scope.as_data(),
        audience=plan.audience.as_data(organisation_ids),
        default_disclosure=plan.default_disclosure,
        allow_disclosure_choice=plan.allow_disclosure_choice,
    )
    consultation.recommendations.extend(_scope_recommendations(session, plan.scope))
    session.add(consultation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.created",
        subject_type="round",
        subject_id=code,
        details={"recommendations": len(consultation.recommendations), "survey": survey.slug},
    )
    return consultation


def find_round(session: Session, code: str) -> Round:
    """A round by its join code, whatever its case."""
    found = session.scalar(select(Round).where(func.upper(Round.code) == code.strip().upper()))
    if found is None:
        raise NotFound(f"no round with the code {code!r}")
    return found


def open_round(
    session: Session, code: str, *, actor: str = audit.SYSTEM, now: datetime | None = None
) -> Round:
    """Open a round now (or keep its later opening time) so participants can join."""
    consultation = find_round(session, code)
    now = now or utcnow()
    if consultation.survey_id is None:
        raise InvalidInput(f"round {consultation.code} has no survey to ask")
    if consultation.closes_at is not None and consultation.closes_at <= now:
        raise InvalidInput(
            f"round {consultation.code} closed on "
            f"{consultation.closes_at:%Y-%m-%d %H:%M} UTC; give it a later close"
        )
    if consultation.opens_at is None:
        consultation.opens_at = now
    # A later opening time is kept: the schedule opens the round, and invites, when it comes.
    consultation.status = RoundStatus.SCHEDULED if consultation.opens_at > now else RoundStatus.OPEN
    audit.record(
        session,
        actor=actor,
        action="round.opened",
        subject_type="round",
        subject_id=consultation.code,
    )
    return consultation


def close_round(
    session: Session, code: str, *, actor: str = audit.SYSTEM, now: datetime | None = None
) -> Round:
    """Close a round now; answers stay, nobody can add more."""
    consultation = find_round(session, code)
    now = now or utcnow()
    consultation.status = RoundStatus.CLOSED
    if consultation.closes_at is None or consultation.closes_at > now:
        consultation.closes_at = now
    audit.record(
        session,
        actor=actor,
        action="round.closed",
        subject_type="round",
        subject_id=consultation.code,
    )
    return consultation


def is_open(consultation: Round, now: datetime | None = None) -> bool:
    """Whether the round takes answers at this moment."""
    now = now or utcnow()
    if consultation.status not in (RoundStatus.OPEN, RoundStatus.SCHEDULED):
        return False
    if consultation.opens_at is not None and now < consultation.opens_at:
        return False
    return consultation.closes_at is None or now < consultation.closes_at


def admits(consultation: Round, participant: Participant) -> bool:
    """Whether the round's audience includes this participant."""
    audience = consultation.audience or {"mode": "open"}
    if audience.get("mode", "open") == "open":
        return True
    roles, orgs, languages = (
        audience.get(k) or [] for k in ("roles", "organisations", "languages")
    )
    if roles and participant.role.value not in roles:
        return False
    if orgs and participant.organisation_id not in orgs:
        return False
    return not (languages and (participant.language or "") not in languages)


def list_rounds(session: Session) -> list[Round]:
    """Every round, newest first."""
    return list(session.scalars(select(Round).order_by(Round.id.desc())))


def describe(consultation: Round, now: datetime | None = None) -> dict[str, Any]:
    """A round as plain data, join code included, for `--json` and the API."""
    return {
        "code": consultation.code,
        "title": consultation.title,
        "description": consultation.description,
        "status": consultation.status.value,
        "accepting_answers": is_open(consultation, now),
        "survey": consultation.survey.slug if consultation.survey else None,
        "opens_at": consultation.opens_at.isoformat() if consultation.opens_at else None,
        "closes_at": consultation.closes_at.isoformat() if consultation.closes_at else None,
        "timezone": consultation.timezone,
        "languages": consultation.languages,
        "default_language": consultation.default_language,
        "scope": consultation.scope,
        "recommendations": len(consultation.recommendations),
        "audience": consultation.audience,
        "default_disclosure": consultation.default_disclosure.value,
        "allow_disclosure_choice": consultation.allow_disclosure_choice,
        "min_cell_size": consultation.min_cell_size,
    }

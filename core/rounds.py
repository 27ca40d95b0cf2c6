"""Consultation rounds: a survey, a scope of recommendations, an audience and a window."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput, NotFound
from core.i18n import N_, SUPPORTED_LANGUAGES
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
from core.timezones import local_time
from core.vocabulary import Platform, Role

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
    # Everyone gets the survey's easy-read wording, one question per message.
    easy_read: bool = False
    min_cell_size: int = 5
    reminder_every_hours: int = 72
    max_reminders: int = 2
    quiet_hours: tuple[int, int] = (21, 8)
    closing_notice_hours: int = 48
    digest: Digest | None = None


@dataclass(frozen=True)
class Digest:
    """Where and how often a summary of response counts is posted."""

    platform: Platform
    chat: str
    every: str  # daily or weekly


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(Round.id).where(Round.code == code)) is None:
            return code


def _check(plan: RoundPlan) -> None:
    if not plan.title.strip():
        raise InvalidInput(N_("the round's title is empty"))
    try:
        ZoneInfo(plan.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(N_("unknown time zone {zone!r}"), zone=plan.timezone) from None
    for moment, needs_zone in (
        (plan.opens_at, N_("the opens time needs a time zone or a Z")),
        (plan.closes_at, N_("the closes time needs a time zone or a Z")),
    ):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(needs_zone)
    if plan.opens_at and plan.closes_at and plan.closes_at <= plan.opens_at:
        raise InvalidInput(N_("the round closes before it opens"))
    unknown = sorted(set(plan.languages) - set(SUPPORTED_LANGUAGES))
    if unknown:
        raise InvalidInput(
            N_("unsupported language(s) {languages}; choose from {supported}"),
            languages=", ".join(unknown),
            supported=", ".join(SUPPORTED_LANGUAGES),
        )
    if plan.default_language not in plan.languages:
        raise InvalidInput(
            N_("the default language {language!r} is not among the round's languages"),
            language=plan.default_language,
        )
    if plan.min_cell_size < 1:
        raise InvalidInput(N_("the smallest cell size must be at least 1"))
    if plan.reminder_every_hours < 1 or plan.max_reminders < 0:
        raise InvalidInput(
            N_("reminders need a cadence of at least 1 hour and a count of 0 or more")
        )
    if not all(0 <= hour <= 23 for hour in plan.quiet_hours):
        raise InvalidInput(N_("quiet hours are whole hours from 0 to 23, such as 21-8"))
    if plan.closing_notice_hours < 0:
        raise InvalidInput(N_("the closing notice is a number of hours of 0 or more"))
    if plan.digest is not None:
        check_digest(plan.digest)
    if plan.audience.invited_only and not (
        plan.audience.roles or plan.audience.organisations or plan.audience.languages
    ):
        raise InvalidInput(
            N_("an invited-only round needs at least one role, organisation or language to admit")
        )
    if plan.code is not None and not (4 <= len(plan.code) <= 20 and plan.code.isalnum()):
        raise InvalidInput(
            N_("the join code {code!r} must be 4 to 20 letters or digits"), code=plan.code
        )


def check_digest(digest: Digest) -> None:
    """Refuse a digest that could not be posted."""
    if digest.every not in ("daily", "weekly"):
        raise InvalidInput(N_("a digest is daily or weekly, not {every!r}"), every=digest.every)
    if digest.platform not in (Platform.SLACK, Platform.TELEGRAM):
        raise InvalidInput(N_("digests are posted to a Slack channel or a Telegram group"))
    if not digest.chat.strip():
        raise InvalidInput(N_("give the Slack channel id or Telegram group id for the digest"))


def set_digest(
    session: Session, code: str, digest: Digest | None, *, actor: str = audit.SYSTEM
) -> Round:
    """Post a round's counts to a chat daily or weekly, or stop (None)."""
    consultation = find_round(session, code)
    if digest is not None:
        check_digest(digest)
    consultation.digest_platform = digest.platform if digest else None
    consultation.digest_chat = digest.chat.strip() if digest else None
    consultation.digest_every = digest.every if digest else None
    audit.record(
        session,
        actor=actor,
        action="round.digest_set",
        subject_type="round",
        subject_id=consultation.code,
        details={"every": digest.every if digest else None},
    )
    return consultation


def _scope_recommendations(session: Session, scope: Scope) -> list[Recommendation]:
    if scope.recommendation_ids:
        found = list(
            session.scalars(
                select(Recommendation).where(Recommendation.id.in_(scope.recommendation_ids))
            )
        )
        missing = sorted(set(scope.recommendation_ids) - {r.id for r in found})
        if missing:
            raise NotFound(N_("no recommendation with id {ids}"), ids=", ".join(map(str, missing)))
        return sorted(found, key=lambda r: r.id)
    spec = RecommendationFilter(
        cluster=scope.cluster, theme=scope.theme, sdg=scope.sdg, country=scope.country
    )
    if spec == RecommendationFilter():
        raise InvalidInput(
            N_(
                "a round needs a scope: a cluster, a theme, an SDG target, a "
                "country or a list of recommendations"
            )
        )
    page = search(session, spec, limit=100_000)
    if not page.items:
        raise InvalidInput(N_("the scope {scope} matches no recommendation"), scope=scope.as_data())
    return page.items


def create_round(session: Session, plan: RoundPlan, *, actor: str = audit.SYSTEM) -> Round:
    """Create a round in draft, with its scope resolved to a fixed list of recommendations."""
    _check(plan)
    code = (plan.code or _new_code(session)).upper()
    if session.scalar(select(Round.id).where(func.upper(Round.code) == code)) is not None:
        raise InvalidInput(N_("a round with the code {code!r} already exists"), code=code)
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
        # Stored, and shown back, in UTC; the round's zone is for reading them.
        opens_at=plan.opens_at.astimezone(UTC) if plan.opens_at else None,
        closes_at=plan.closes_at.astimezone(UTC) if plan.closes_at else None,
        timezone=plan.timezone,
        default_language=plan.default_language,
        languages=list(plan.languages),
        min_cell_size=plan.min_cell_size,
        survey_id=survey.id,
        scope=plan.scope.as_data(),
        audience=plan.audience.as_data(organisation_ids),
        default_disclosure=plan.default_disclosure,
        allow_disclosure_choice=plan.allow_disclosure_choice,
        easy_read=plan.easy_read,
        reminder_every_hours=plan.reminder_every_hours,
        max_reminders=plan.max_reminders,
        quiet_hours_start=plan.quiet_hours[0],
        quiet_hours_end=plan.quiet_hours[1],
        closing_notice_hours=plan.closing_notice_hours,
        digest_platform=plan.digest.platform if plan.digest else None,
        digest_chat=plan.digest.chat if plan.digest else None,
        digest_every=plan.digest.every if plan.digest else None,
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
        raise NotFound(N_("no round with the code {code!r}"), code=code)
    return found


def open_round(
    session: Session, code: str, *, actor: str = audit.SYSTEM, now: datetime | None = None
) -> Round:
    """Open a round now (or keep its later opening time) so participants can join."""
    consultation = find_round(session, code)
    now = now or utcnow()
    if consultation.survey_id is None:
        raise InvalidInput(N_("round {code} has no survey to ask"), code=consultation.code)
    if consultation.closes_at is not None and consultation.closes_at <= now:
        raise InvalidInput(
            N_("round {code} closed on {moment} UTC; give it a later close"),
            code=consultation.code,
            moment=f"{consultation.closes_at:%Y-%m-%d %H:%M}",
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
        "easy_read": consultation.easy_read,
        "min_cell_size": consultation.min_cell_size,
        "opens_local": local_time(consultation.opens_at, consultation.timezone)
        if consultation.opens_at
        else None,
        "closes_local": local_time(consultation.closes_at, consultation.timezone)
        if consultation.closes_at
        else None,
        "reminders": {
            "every_hours": consultation.reminder_every_hours,
            "at_most": consultation.max_reminders,
            "quiet_hours": f"{consultation.quiet_hours_start:02d}:00-"
            f"{consultation.quiet_hours_end:02d}:00 participant's time",
            "closing_notice_hours": consultation.closing_notice_hours,
        },
        "digest": None
        if consultation.digest_every is None
        else {
            "platform": consultation.digest_platform.value
            if consultation.digest_platform
            else None,
            "chat": consultation.digest_chat,
            "every": consultation.digest_every,
        },
    }

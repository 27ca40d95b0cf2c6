"""A small, fictional data set that shows Consulta working: Arcadia and its recommendations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, clusters, people, practices, updates
from core.db import Database
from core.importing.readers import ImportFormat
from core.importing.service import ImportOptions, ImportSummary, import_recommendations
from core.models import Participant, Recommendation, Round, RoundStatus, utcnow
from core.recommendations import RecommendationFilter, search
from core.survey_store import find_survey, save_survey
from core.vocabulary import OrganisationType, Role
from surveys.loading import load_survey_file
from surveys.templates import template_path

HERE = Path(__file__).parent
RECOMMENDATIONS = HERE / "recommendations.csv"
PLAN = HERE / "demo.json"


@dataclass(frozen=True)
class DemoResult:
    """What loading the demo did, and who to act as afterwards."""

    recommendations: ImportSummary
    created: bool
    organiser_id: int
    round_code: str


def _ids_with_themes(session: Session, themes: list[str]) -> list[int]:
    ids: set[int] = set()
    for theme in themes:
        page = search(session, RecommendationFilter(theme=theme), limit=10_000)
        ids.update(r.id for r in page.items)
    return sorted(ids)


def _post_updates(session: Session, specs: list[dict[str, Any]], added: list[Participant]) -> None:
    """A government update (approved), an NHRI assessment and a draft waiting for review."""
    by_name = {p.display_name: p for p in added}
    organiser = next(p for p in added if p.role is Role.ORGANISER)
    today = utcnow().replace(microsecond=0)
    for spec in specs:
        target = _ids_with_themes(session, [spec["theme"]])[0]
        due = spec.get("due_in_days")
        version = updates.post_update(
            session,
            by_name[spec["author"]],
            updates.UpdateDraft(
                status=spec["status"],
                narrative=spec["narrative"],
                evidence=spec.get("evidence", []),
                indicators=spec.get("indicators", []),
                next_step=spec.get("next_step"),
                next_step_due=(today + timedelta(days=due)).date() if due else None,
                recommendation=target,
                channel="demo",
            ),
            now=today,
        )
        if spec.get("approve"):
            updates.approve(session, organiser, version.update_id, now=today)


def _post_practices(
    session: Session, specs: list[dict[str, Any]], added: list[Participant], country: str
) -> None:
    """Good practices: two published (one translated), and a draft waiting for review."""
    by_name = {p.display_name: p for p in added}
    organiser = next(p for p in added if p.role is Role.ORGANISER)
    today = utcnow().replace(microsecond=0)
    for spec in specs:
        draft = practices.PracticeDraft(
            **{
                name: spec[name]
                for name in (*practices.TEXT_FIELDS, "themes", "sdg_targets", "mechanism")
                if name in spec
            },
            contact=spec.get("contact"),
            country=country,
            translations=spec.get("translations", {}),
            channel="demo",
        )
        version = practices.submit(session, by_name[spec["author"]], draft, now=today)
        if spec["approve"]:
            practices.approve(session, organiser, version.practice_id, now=today)


def load_demo(database: Database, pseudonym_key: bytes) -> DemoResult:
    """Load the demo once; running it again changes nothing."""
    plan: dict[str, Any] = json.loads(PLAN.read_text(encoding="utf-8"))
    summary = import_recommendations(
        database, RECOMMENDATIONS, ImportOptions(format=ImportFormat.UHRI, actor="demo")
    )
    spec = plan["round"]
    with database.unit_of_work() as session:
        existing = session.scalar(select(Round).where(Round.code == spec["code"]))
        if existing is not None:
            organiser = people.list_participants(session, role=Role.ORGANISER)[0]
            return DemoResult(summary, False, organiser.id, existing.code)

    with database.unit_of_work() as session:
        for org in plan["organisations"]:
            people.add_organisation(
                session,
                name=org["name"],
                type=OrganisationType(org["type"]),
                country=org["country"],
                actor="demo",
            )
        added = [
            people.add_participant(
                session,
                pseudonym_key=pseudonym_key,
                role=Role(p["role"]),
                display_name=p["display_name"],
                organisation=p["organisation"],
                language=p["language"],
                actor="demo",
            )
            for p in plan["participants"]
        ]
        for entity_spec in plan["entities"]:
            entity = clusters.add_entity(
                session,
                name=entity_spec["name"],
                acronym=entity_spec["acronym"],
                organisation=entity_spec["organisation"],
                actor="demo",
            )
            ids = _ids_with_themes(session, entity_spec["themes"])
            clusters.assign_entity(session, entity, ids, actor="demo")
        for cluster_spec in plan["clusters"]:
            clusters.add_cluster(
                session,
                name=cluster_spec["name"],
                description=cluster_spec["description"],
                recommendation_ids=_ids_with_themes(session, cluster_spec["themes"]),
                actor="demo",
            )
        _post_updates(session, plan.get("updates", []), added)
        _post_practices(session, plan.get("practices", []), added, plan["country"])
        survey = load_survey_file(template_path(spec["survey"]))
        save_survey(session, survey, actor="demo")
        opens = utcnow().replace(microsecond=0) + timedelta(days=spec["opens_in_days"])
        consultation = Round(
            code=spec["code"],
            title=spec["title"],
            description=spec["description"],
            status=RoundStatus.OPEN,
            opens_at=opens,
            closes_at=opens + timedelta(days=spec["lasts_days"]),
            timezone=spec["timezone"],
            default_language=spec["default_language"],
            languages=spec["languages"],
            survey_id=find_survey(session, survey.id).id,
        )
        consultation.recommendations.extend(
            session.scalars(
                select(Recommendation).where(Recommendation.state_under_review == plan["country"])
            )
        )
        session.add(consultation)
        session.flush()
        audit.record(
            session,
            actor="demo",
            action="round.created",
            subject_type="round",
            subject_id=consultation.code,
            details={"recommendations": len(consultation.recommendations)},
        )
        return DemoResult(summary, True, added[0].id, consultation.code)

"""Follow-up data stored directly: reporters, rounds, and civil society's status answers.

The rows are the ones the conversation engine and core.updates write, made without a chat so
a test can set up dozens of people in a few lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import answers, people, rounds
from core.db import Database
from core.importing.service import ImportOptions, import_recommendations
from core.models import (
    Answer,
    Conversation,
    ConversationStatus,
    Disclosure,
    Participant,
    Recommendation,
    Round,
)
from core.survey_store import latest_version, save_survey
from core.vocabulary import OrganisationType, Platform, Role
from surveys.loading import load_survey_file
from tests.conftest import FIXTURES, PSEUDONYM_KEY

SURVEY = FIXTURES / "surveys" / "every-kind.yaml"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MINISTRY = "Ministry of Justice"
NHRI = "Valdoria Human Rights Commission"
CSO = "Valdoria Women's Network"


@dataclass(frozen=True)
class Cast:
    """Who reports and reviews, by participant id."""

    organiser: int
    government: int
    nhri: int
    recommendations: tuple[int, ...]


def set_up(database: Database) -> Cast:
    """The template's five recommendations, the three organisations and a verified reporter each."""
    summary = import_recommendations(database, FIXTURES / "template.csv", ImportOptions())
    assert summary.committed
    with database.unit_of_work() as session:
        people.add_organisation(session, name=MINISTRY, type=OrganisationType.GOVERNMENT)
        people.add_organisation(session, name=NHRI, type=OrganisationType.NHRI)
        people.add_organisation(session, name=CSO, type=OrganisationType.CIVIL_SOCIETY)
        organiser = person(session, Role.ORGANISER)
        government = person(session, Role.GOVERNMENT, MINISTRY)
        nhri = person(session, Role.NHRI, NHRI)
        ids = tuple(session.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        return Cast(organiser.id, government.id, nhri.id, ids)


def person(session: Session, role: Role, organisation: str | None = None) -> Participant:
    """A participant an organiser added, so verified in their role."""
    return people.add_participant(
        session, pseudonym_key=PSEUDONYM_KEY, role=role, organisation=organisation
    )


def crowd(session: Session, count: int, role: Role = Role.CIVIL_SOCIETY) -> list[Participant]:
    """Several participants of one role."""
    return [
        person(session, role, CSO if role is Role.CIVIL_SOCIETY else None) for _ in range(count)
    ]


def status_round(
    session: Session,
    code: str,
    recommendation_ids: Sequence[int],
    *,
    min_cell_size: int = 5,
    now: datetime = NOW,
) -> Round:
    """An open round on the every-kind survey over the given recommendations."""
    save_survey(session, load_survey_file(SURVEY))
    rounds.create_round(
        session,
        rounds.RoundPlan(
            title=f"Round {code}",
            survey="every-kind",
            code=code,
            scope=rounds.Scope(recommendation_ids=tuple(recommendation_ids)),
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            min_cell_size=min_cell_size,
        ),
    )
    return rounds.open_round(session, code, now=now)


def give_status(
    session: Session,
    participant: Participant,
    consultation: Round,
    recommendation_id: int,
    status: str,
    *,
    now: datetime = NOW,
) -> Answer:
    """A status answer in the round, stored as the engine stores the loop's status question."""
    return give_answer(
        session,
        participant,
        consultation,
        "status",
        status,
        channel=Platform.TERMINAL,
        recommendation_id=recommendation_id,
        kind="implementation_status",
        now=now,
    )


def withdraw_status(
    session: Session, participant: Participant, consultation: Round, recommendation_id: int
) -> int:
    """Withdraw the participant's status answer in the round, every version of it."""
    conversation = session.scalars(
        select(Conversation).where(
            Conversation.participant_id == participant.id,
            Conversation.round_id == consultation.id,
        )
    ).one()
    return answers.withdraw(session, conversation, f"status@{recommendation_id}", NOW)


def give_answer(
    session: Session,
    participant: Participant,
    consultation: Round,
    question_id: str,
    value: object,
    *,
    language: str = "en",
    channel: Platform = Platform.TELEGRAM,
    text: str | None = None,
    disclosure: Disclosure = Disclosure.ANONYMOUS,
    recommendation_id: int | None = None,
    kind: str | None = None,
    now: datetime = NOW,
) -> Answer:
    """Any answer in the round, in the language and channel given, as the engine stores it."""
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.participant_id == participant.id,
            Conversation.round_id == consultation.id,
        )
    )
    if conversation is None:
        assert consultation.survey_id is not None
        version = latest_version(session, consultation.survey_id)
        assert version is not None
        conversation = Conversation(
            participant_id=participant.id,
            round_id=consultation.id,
            survey_version_id=version.id,
            status=ConversationStatus.ACTIVE,
            channel=channel,
            language=language,
            started_at=now,
            updated_at=now,
        )
        session.add(conversation)
        session.flush()
    slot = question_id if recommendation_id is None else f"{question_id}@{recommendation_id}"
    return answers.record(
        session,
        conversation,
        slot=slot,
        question_id=question_id,
        recommendation_id=recommendation_id,
        value=value,
        text=text,
        channel=channel,
        disclosure=disclosure,
        now=now,
        kind=kind,
    )


def last_noon() -> datetime:
    """The latest noon UTC that has passed: daytime for news, never ahead of the dispatcher."""
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= now else noon - timedelta(days=1)

"""Answers: each change is a new version, each withdrawal hides every version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from core.models import (
    Answer,
    Conversation,
    Disclosure,
    Organisation,
    Participant,
    Round,
    utcnow,
)
from core.vocabulary import Platform


def current_answers(session: Session, conversation_id: int) -> dict[str, Answer]:
    """The latest version of each answered slot, withdrawn ones included."""
    rows = session.scalars(
        select(Answer).where(Answer.conversation_id == conversation_id, Answer.is_current)
    )
    return {a.slot: a for a in rows}


def record(
    session: Session,
    conversation: Conversation,
    *,
    slot: str,
    question_id: str,
    recommendation_id: int | None,
    value: Any,
    text: str | None,
    channel: Platform,
    disclosure: Disclosure,
    now: datetime | None = None,
    source_message_id: str | None = None,
    kind: str | None = None,
) -> Answer:
    """Store an answer as the next version of its slot; earlier versions stay, not current."""
    answer = Answer(
        conversation_id=conversation.id,
        participant_id=conversation.participant_id,
        round_id=conversation.round_id,
        survey_version_id=conversation.survey_version_id,
        question_id=question_id,
        recommendation_id=recommendation_id,
        slot=slot,
        value=value,
        text=text,
        language=conversation.language,
        channel=channel,
        disclosure=disclosure,
        answered_at=now or utcnow(),
        source_message_id=source_message_id,
        kind=kind,
    )
    return add_version(
        session, answer, Answer.conversation_id == conversation.id, Answer.slot == slot
    )


# Where a session counts the answers it stored, for callers that report how many a turn made.
STORED_KEY = "consulta.answers_stored"


def stored_in(session: Session) -> int:
    """How many answers (versions included) this session has stored so far."""
    return int(session.info.get(STORED_KEY, 0))


def add_version(session: Session, answer: Answer, *same_slot: ColumnElement[bool]) -> Answer:
    """Store the answer as the next version of the slot `same_slot` selects."""
    session.info[STORED_KEY] = stored_in(session) + 1
    latest = session.scalar(select(func.max(Answer.version)).where(*same_slot))
    session.execute(update(Answer).where(*same_slot, Answer.is_current).values(is_current=False))
    answer.version = (latest or 0) + 1
    answer.is_current = True
    session.add(answer)
    session.flush()
    return answer


def withdraw(
    session: Session, conversation: Conversation, slot: str, now: datetime | None = None
) -> int:
    """Withdraw every version of an answer, so it leaves all results and exports."""
    result = session.execute(
        update(Answer)
        .where(
            Answer.conversation_id == conversation.id,
            Answer.slot == slot,
            Answer.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def for_round(
    session: Session,
    consultation: Round,
    *,
    include_withdrawn: bool = False,
    all_versions: bool = False,
) -> list[dict[str, Any]]:
    """A round's answers as organisers may see them: who answered only as far as disclosed."""
    query = (
        select(Answer, Participant.pseudonym, Organisation.name)
        .join(Participant, Participant.id == Answer.participant_id)
        .outerjoin(Organisation, Organisation.id == Participant.organisation_id)
        .where(Answer.round_id == consultation.id)
        .order_by(Answer.participant_id, Answer.id)
    )
    if not include_withdrawn:
        query = query.where(Answer.withdrawn_at.is_(None))
    if not all_versions:
        query = query.where(Answer.is_current)
    return [
        {
            # The participant chose what organisers see; anonymous answers name nobody.
            "participant": pseudonym if answer.disclosure is Disclosure.NAMED else None,
            "organisation": organisation if answer.disclosure is not Disclosure.ANONYMOUS else None,
            "round": consultation.code,
            "survey_version_id": answer.survey_version_id,
            "question": answer.question_id,
            "recommendation_id": answer.recommendation_id,
            "value": answer.value,
            "text": answer.text,
            "skipped": answer.value is None and answer.text is None,
            "language": answer.language,
            "channel": answer.channel.value,
            "disclosure": answer.disclosure.value,
            "version": answer.version,
            "current": answer.is_current,
            "withdrawn": answer.withdrawn_at is not None,
            "answered_at": answer.answered_at.isoformat(timespec="seconds"),
        }
        for answer, pseudonym, organisation in session.execute(query)
    ]

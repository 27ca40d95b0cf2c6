"""Followers' views on a published update: agreement, their own status, and a comment.

They are stored as answers, versioned and withdrawable like round answers, but tied to the
update instead of a round. A comment reaches the implementers only if its author allows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import answers, formatting
from core.i18n import translate
from core.messages import Expect, Option, OutboundMessage
from core.models import (
    Answer,
    Disclosure,
    ImplementationUpdate,
    Participant,
    Recommendation,
    UpdateKind,
    UpdateVersion,
)
from core.updates import STATUS_SCALE
from core.visibility import comment_record, sees
from core.vocabulary import Platform
from surveys.definition import STATUS_LABELS, ImplementationStatus, Kind

AGREEMENT = "agreement"
STATUS = "status"
COMMENT = "comment"
AGREEMENT_CHOICES = ("agree", "disagree", "dont_know")
STATUS_KIND = Kind.IMPLEMENTATION_STATUS.value
OPTION_PREFIX = "fb"
SHARED, PRIVATE = "shared", "private"
MAX_COMMENT = 4_000


def option_id(update_id: int, action: str) -> str:
    """The id of a button about an update, e.g. fb.12.agree."""
    return f"{OPTION_PREFIX}.{update_id}.{action}"


def parse_option(option: str) -> tuple[int, str] | None:
    """The update and action a button id names, or None when it is not about an update."""
    parts = option.split(".")
    if len(parts) != 3 or parts[0] != OPTION_PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def status_label(status: str, language: str) -> str:
    """A status slug as people read it in their language."""
    try:
        labels = STATUS_LABELS[ImplementationStatus(status)]
    except ValueError:
        return status
    return labels.get(language) or labels["en"]


def reference(recommendation: Recommendation) -> str:
    """How a recommendation is named in chat: its number, and its paragraph where known."""
    if recommendation.paragraph:
        return f"#{recommendation.id} ({recommendation.paragraph})"
    return f"#{recommendation.id}"


def shorten(text: str, limit: int) -> str:
    """The text cut to the limit, with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summary(version: UpdateVersion, language: str) -> str:
    """One line about a published version, for a digest."""
    update = version.update
    subject = (
        ", ".join(reference(r) for r in update.recommendations[:3])
        if update.cluster is None
        else update.cluster.name
    )
    who = update.organisation.name if update.organisation else ""
    return translate(language, "{who} on {subject}: {status}").format(
        who=who or translate(language, "An update"),
        subject=subject,
        status=status_label(version.status, language),
    )


def render(version: UpdateVersion, language: str) -> OutboundMessage:
    """A published update as a follower receives it, with buttons to give their view."""
    update = version.update

    def t(message: str) -> str:
        return translate(language, message)

    who = update.organisation.name if update.organisation else t("The authorities")
    heading = (
        t("{who} assesses how a recommendation you follow is implemented.")
        if update.kind is UpdateKind.ASSESSMENT
        else t("{who} reports progress on a recommendation you follow.")
    ).format(who=who)
    lines = [heading]
    if update.cluster is not None:
        lines.append(t("Cluster: {name}").format(name=update.cluster.name))
    for recommendation in update.recommendations[:3]:
        lines.append(
            f"{reference(recommendation)}: " + shorten(recommendation.text_in(language), 300)
        )
    if len(update.recommendations) > 3:
        lines.append(t("and {count} more").format(count=len(update.recommendations) - 3))
    lines.append(
        t("Reported status: {status}").format(status=status_label(version.status, language))
    )
    if version.narrative:
        lines.append(shorten(version.narrative, 700))
    if version.next_step:
        step = shorten(version.next_step, 300)
        if version.next_step_due is not None:
            lines.append(
                t("Next step: {step} (by {date})").format(
                    step=step, date=formatting.day(version.next_step_due, language)
                )
            )
        else:
            lines.append(t("Next step: {step}").format(step=step))
    if version.evidence:
        lines.append(t("Evidence: {links}").format(links=" ".join(version.evidence[:5])))
    lines.append(t("Do you agree with the reported status?"))
    options = (
        Option(option_id(update.id, "agree"), t("I agree")),
        Option(option_id(update.id, "disagree"), t("I disagree")),
        Option(option_id(update.id, "dont_know"), t("I don't know")),
        Option(option_id(update.id, COMMENT), t("Add a comment")),
    )
    return OutboundMessage("\n\n".join(lines), options, Expect.CHOICE, language=language)


def status_options(update_id: int, language: str) -> tuple[Option, ...]:
    """Buttons for the status the follower would give instead."""
    return tuple(
        Option(option_id(update_id, f"s{number}"), status_label(slug, language))
        for slug, number in STATUS_SCALE.items()
    )


def status_from_action(action: str) -> str | None:
    """The status slug a status button (s0-s3) stands for."""
    by_number = {f"s{number}": slug for slug, number in STATUS_SCALE.items()}
    return by_number.get(action)


def record(
    session: Session,
    participant: Participant,
    update_row: ImplementationUpdate,
    question: str,
    *,
    value: Any,
    text: str | None = None,
    channel: Platform,
    language: str,
    now: datetime,
    recommendation_id: int | None = None,
    kind: str | None = None,
) -> Answer:
    """Store one view as the next version of its slot; earlier versions are kept."""
    slot = f"u{update_row.id}:{question}" + (
        f":{recommendation_id}" if recommendation_id is not None else ""
    )
    answer = Answer(
        conversation_id=None,
        participant_id=participant.id,
        round_id=None,
        survey_version_id=None,
        update_id=update_row.id,
        question_id=question,
        recommendation_id=recommendation_id,
        slot=slot,
        value=value,
        text=text,
        language=language,
        channel=channel,
        # Views on updates name no one; a comment's reach is chosen separately (its value).
        disclosure=Disclosure.ANONYMOUS,
        answered_at=now,
        kind=kind,
    )
    return answers.add_version(
        session,
        answer,
        Answer.participant_id == participant.id,
        Answer.update_id == update_row.id,
        Answer.slot == slot,
    )


def record_status(
    session: Session,
    participant: Participant,
    update_row: ImplementationUpdate,
    status: str,
    *,
    channel: Platform,
    language: str,
    now: datetime,
) -> None:
    """The status the follower sees, for each recommendation the update covers."""
    for recommendation in update_row.recommendations:
        record(
            session,
            participant,
            update_row,
            STATUS,
            value=status,
            channel=channel,
            language=language,
            now=now,
            recommendation_id=recommendation.id,
            kind=STATUS_KIND,
        )


def comments(session: Session, update_id: int, viewer: Participant | None) -> list[dict[str, Any]]:
    """The comments on an update that the viewer may read, naming no one they may not see."""
    shown = []
    for answer in session.scalars(
        select(Answer)
        .where(
            Answer.update_id == update_id,
            Answer.question_id == COMMENT,
            Answer.is_current,
            Answer.withdrawn_at.is_(None),
        )
        .order_by(Answer.id)
    ):
        record_kind = comment_record(answer.value == SHARED)
        if not sees(viewer, record_kind, author_id=answer.participant_id):
            continue
        shown.append(
            {
                "text": answer.text,
                "shared": answer.value == SHARED,
                # Comments are anonymous to everyone but their author.
                "mine": viewer is not None and answer.participant_id == viewer.id,
                "language": answer.language,
                # No time finer than the day: a timestamp can identify who wrote.
                "date": answer.answered_at.date().isoformat(),
            }
        )
    return shown

"""What a round's schedule makes due: opening, invitations, reminders, notices, closing, digests.

A scheduler only calls `run_due` now and then. The database decides what is due: each message
to a person is recorded as a Notification in the same transaction as its outbox row, so a tick
that runs twice, late, or after downtime queues every message exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, formatting, news, outbox
from core.db import insert_once
from core.i18n import translate
from core.messages import OutboundMessage
from core.models import (
    Conversation,
    ConversationStatus,
    Notification,
    Participant,
    PlatformIdentity,
    Round,
    RoundStatus,
)
from core.people import preferred_identity
from core.rounds import admits
from core.timezones import zone_of
from core.vocabulary import Role

INVITATION = "invitation"
REMINDER = "reminder"
PAUSE_REMINDER = "pause_reminder"
CLOSING_SOON = "closing_soon"
CLOSED = "closed"
DIGEST_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    queued: dict[str, int] = field(default_factory=dict)
    digests: int = 0

    def count(self, kind: str) -> None:
        """Count one queued message of a kind."""
        self.queued[kind] = self.queued.get(kind, 0) + 1


def run_due(session: Session, now: datetime) -> TickReport:
    """Do everything the schedules of all rounds make due at this moment, once."""
    report = TickReport()
    for consultation in session.scalars(
        select(Round).where(Round.status.in_((RoundStatus.SCHEDULED, RoundStatus.OPEN)))
    ):
        if consultation.status is RoundStatus.SCHEDULED and _reached(consultation.opens_at, now):
            consultation.status = RoundStatus.OPEN
            report.opened.append(consultation.code)
            audit.record(
                session,
                actor=audit.SYSTEM,
                action="round.opened",
                subject_type="round",
                subject_id=consultation.code,
            )
        if consultation.status is not RoundStatus.OPEN or not _reached(consultation.opens_at, now):
            continue
        # One query for what this round already queued, instead of one per person.
        sent = _Sent.load(session, consultation)
        if consultation.closes_at is not None and consultation.closes_at <= now:
            _close(session, consultation, sent, now, report)
            continue
        _invite(session, consultation, sent, now, report)
        _remind(session, consultation, sent, now, report)
        _closing_soon(session, consultation, sent, now, report)
        _digest(session, consultation, now, report)
    # Followers' news and implementation deadlines belong to no round.
    for kind, count in news.run_due(session, now).items():
        if count:
            report.queued[kind] = report.queued.get(kind, 0) + count
    return report


def _reached(moment: datetime | None, now: datetime) -> bool:
    return moment is None or moment <= now


def local_hour(participant: Participant, consultation: Round, now: datetime) -> int:
    """The hour of day where the participant is: their zone, else the round's."""
    zone, _ = zone_of(participant.timezone, consultation.timezone)
    return now.astimezone(zone).hour


def in_quiet_hours(participant: Participant, consultation: Round, now: datetime) -> bool:
    """Whether it is night (or whatever the round calls quiet) where the participant is."""
    hour = local_hour(participant, consultation, now)
    start, end = consultation.quiet_hours_start, consultation.quiet_hours_end
    if start == end:
        return False
    return start <= hour or hour < end if start > end else start <= hour < end


def _reachable_identity(
    session: Session, participant: Participant, consultation: Round
) -> PlatformIdentity | None:
    channel = session.scalar(
        select(Conversation.channel).where(
            Conversation.participant_id == participant.id, Conversation.round_id == consultation.id
        )
    )
    return preferred_identity(session, participant, channel)


def _language(participant: Participant, consultation: Round) -> str:
    if participant.language in consultation.languages:
        return participant.language or consultation.default_language
    return consultation.default_language


def _notify(
    session: Session,
    consultation: Round,
    sent: _Sent,
    participant: Participant,
    kind: str,
    number: int,
    text: str,
    now: datetime,
    report: TickReport,
) -> bool:
    """Queue one scheduled message unless it was queued before; True when it was queued now."""
    identity = _reachable_identity(session, participant, consultation)
    if identity is None or participant.opted_out_at is not None:
        return False
    queued = Notification(
        round_id=consultation.id,
        participant_id=participant.id,
        kind=kind,
        number=number,
        created_at=now,
    )
    if not insert_once(session, queued):
        # A concurrent or repeated tick queued it already.
        return False
    outbox.enqueue(
        session,
        participant,
        identity.platform,
        OutboundMessage(text, language=_language(participant, consultation)),
        bulk=True,
        now=now,
    )
    sent.add(participant.id, kind, now)
    report.count(kind)
    return True


@dataclass
class _Sent:
    """When each scheduled message of one round went to each person, by kind."""

    times: dict[tuple[int, str], list[datetime]]

    @classmethod
    def load(cls, session: Session, consultation: Round) -> _Sent:
        times: dict[tuple[int, str], list[datetime]] = {}
        for participant_id, kind, created_at in session.execute(
            select(Notification.participant_id, Notification.kind, Notification.created_at)
            .where(Notification.round_id == consultation.id)
            .order_by(Notification.created_at)
        ):
            times.setdefault((participant_id, kind), []).append(created_at)
        return cls(times)

    def of(self, participant_id: int, kind: str) -> list[datetime]:
        return self.times.get((participant_id, kind), [])

    def add(self, participant_id: int, kind: str, when: datetime) -> None:
        self.times.setdefault((participant_id, kind), []).append(when)

    def people(self, kind: str) -> set[int]:
        return {p for p, k in self.times if k == kind}


def _audience(session: Session, consultation: Round) -> Iterable[Participant]:
    for participant in session.scalars(
        select(Participant)
        .where(Participant.role != Role.ORGANISER, Participant.opted_out_at.is_(None))
        .order_by(Participant.id)
    ):
        if admits(consultation, participant):
            yield participant


def _invite(
    session: Session, consultation: Round, sent: _Sent, now: datetime, report: TickReport
) -> None:
    joined = set(
        session.scalars(
            select(Conversation.participant_id).where(Conversation.round_id == consultation.id)
        )
    )
    for participant in _audience(session, consultation):
        if participant.id in joined or sent.of(participant.id, INVITATION):
            continue
        if in_quiet_hours(participant, consultation, now):
            continue
        language = _language(participant, consultation)
        text = translate(
            language, "You are invited to the consultation “{title}”. Send {code} to take part."
        ).format(title=consultation.title, code=consultation.code)
        _notify(session, consultation, sent, participant, INVITATION, 1, text, now, report)


def _remind(
    session: Session, consultation: Round, sent: _Sent, now: datetime, report: TickReport
) -> None:
    cadence = timedelta(hours=max(consultation.reminder_every_hours, 1))
    conversations = {
        c.participant_id: c
        for c in session.scalars(
            select(Conversation).where(Conversation.round_id == consultation.id)
        )
    }
    candidates = set(conversations) | sent.people(INVITATION)
    for participant in session.scalars(select(Participant).where(Participant.id.in_(candidates))):
        conversation = conversations.get(participant.id)
        status = conversation.status if conversation else None
        if status in (
            ConversationStatus.COMPLETED,
            ConversationStatus.STOPPED,
            ConversationStatus.DECLINED,
        ):
            continue
        kind = PAUSE_REMINDER if status is ConversationStatus.PAUSED else REMINDER
        earlier = sent.of(participant.id, kind)
        if len(earlier) >= consultation.max_reminders:
            continue
        last_contact = max(
            [
                *earlier,
                *sent.of(participant.id, INVITATION),
                *([conversation.updated_at] if conversation else []),
            ],
            default=None,
        )
        if last_contact is None or now - last_contact < cadence:
            continue
        if in_quiet_hours(participant, consultation, now):
            continue
        language = _language(participant, consultation)
        if kind is PAUSE_REMINDER:
            message = translate(
                language,
                "You paused the consultation “{title}”. Send resume "
                "when you are ready to carry on.",
            )
        elif conversation is None:
            message = translate(
                language,
                "A reminder: the consultation “{title}” is open. Send {code} to take part.",
            )
        else:
            message = translate(
                language,
                "A reminder: you have not finished the consultation "
                "“{title}”. Send resume to carry on where you left off.",
            )
        _notify(
            session,
            consultation,
            sent,
            participant,
            kind,
            len(earlier) + 1,
            message.format(title=consultation.title, code=consultation.code),
            now,
            report,
        )


def _closing_soon(
    session: Session, consultation: Round, sent: _Sent, now: datetime, report: TickReport
) -> None:
    if consultation.closes_at is None:
        return
    if consultation.closes_at - now > timedelta(hours=consultation.closing_notice_hours):
        return
    for conversation in session.scalars(
        select(Conversation).where(
            Conversation.round_id == consultation.id,
            Conversation.status.in_(
                (ConversationStatus.CONSENT, ConversationStatus.ACTIVE, ConversationStatus.PAUSED)
            ),
        )
    ):
        participant = conversation.participant
        if sent.of(participant.id, CLOSING_SOON):
            continue
        if in_quiet_hours(participant, consultation, now):
            continue
        language = _language(participant, consultation)
        closes = formatting.moment(
            consultation.closes_at, language, participant.timezone, consultation.timezone
        )
        text = translate(
            language,
            "The consultation “{title}” closes on {when}. Send resume "
            "to finish your answers before then.",
        ).format(title=consultation.title, when=closes)
        _notify(session, consultation, sent, participant, CLOSING_SOON, 1, text, now, report)


def suppressed(count: int, k: int) -> str:
    """A count as published: below k (but not zero) it shows only as "<k"."""
    return f"<{k}" if 0 < count < k else str(count)


def _close(
    session: Session, consultation: Round, sent: _Sent, now: datetime, report: TickReport
) -> None:
    consultation.status = RoundStatus.CLOSED
    report.closed.append(consultation.code)
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="round.closed",
        subject_type="round",
        subject_id=consultation.code,
    )
    for conversation in session.scalars(
        select(Conversation).where(
            Conversation.round_id == consultation.id,
            Conversation.status.notin_((ConversationStatus.STOPPED, ConversationStatus.DECLINED)),
        )
    ):
        language = _language(conversation.participant, consultation)
        text = translate(
            language,
            "The consultation “{title}” is now closed. Thank you for "
            "taking part; your answers are kept.",
        ).format(title=consultation.title)
        # The closing message is not held back for quiet hours: the round has closed.
        _notify(session, consultation, sent, conversation.participant, CLOSED, 1, text, now, report)


def _digest(session: Session, consultation: Round, now: datetime, report: TickReport) -> None:
    period = DIGEST_PERIODS.get(consultation.digest_every or "")
    if period is None or consultation.digest_platform is None or not consultation.digest_chat:
        return
    if consultation.last_digest_at is not None and now - consultation.last_digest_at < period:
        return
    counts = dict(
        session.execute(
            select(Conversation.status, func.count(Conversation.id))
            .where(Conversation.round_id == consultation.id)
            .group_by(Conversation.status)
        ).all()
    )
    joined = sum(counts.values())
    completed = counts.get(ConversationStatus.COMPLETED, 0)
    answering = (
        joined
        - completed
        - counts.get(ConversationStatus.STOPPED, 0)
        - counts.get(ConversationStatus.DECLINED, 0)
    )
    language = consultation.default_language
    k = consultation.min_cell_size
    text = translate(
        language,
        "“{title}” ({code}): {joined} joined, {completed} finished, {open} still answering.",
    ).format(
        title=consultation.title,
        code=consultation.code,
        joined=suppressed(joined, k),
        completed=suppressed(completed, k),
        open=suppressed(answering, k),
    )
    # Counts only, and of people who joined: no answer, no name, nothing below a cell.
    outbox.enqueue_to(
        session,
        consultation.digest_platform,
        consultation.digest_chat,
        OutboundMessage(text, language=language),
        bulk=True,
        now=now,
    )
    consultation.last_digest_at = now
    report.digests += 1

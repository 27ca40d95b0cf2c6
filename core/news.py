"""News outside rounds: published updates and good practices to followers under a daily cap,
and deadlines.

Called from each schedule tick. Every message is recorded as a Notice in the transaction
that queues it, so a tick that runs twice or late sends each one once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import feedback, formatting, outbox
from core.conversation import followup, practices_chat
from core.db import insert_once
from core.follows import CAPPED_KINDS, PRACTICE_NOTICE, UPDATE_NOTICE
from core.i18n import translate, translate_plural
from core.messages import Expect, Option, OutboundMessage
from core.models import (
    ImplementationUpdate,
    Notice,
    Participant,
    PracticeVersion,
    UpdateState,
    UpdateVersion,
)
from core.people import preferred_identity
from core.timezones import zone_of
from core.vocabulary import Role

DAILY_CAP = timedelta(days=1)
OVERDUE = "overdue"
OVERDUE_LIST = "overdue_list"
# News waits for the morning where the person is; rounds set their own quiet hours.
QUIET_START, QUIET_END = 21, 8
MOST_IN_DIGEST = 10
MOST_IN_LIST = 25
# What one piece of news is about: a published version of an update, or of a good practice.
News = UpdateVersion | PracticeVersion


def run_due(session: Session, now: datetime) -> dict[str, int]:
    """Send what is due now: followers' news, overdue reminders, the weekly overdue list."""
    counts = {"news": 0, OVERDUE: 0, OVERDUE_LIST: 0}
    counts["news"] = deliver_news(session, now)
    late = overdue_steps(session, now)
    counts[OVERDUE] = _remind_overdue(session, late, now)
    counts[OVERDUE_LIST] = _list_overdue(session, late, now)
    return counts


def is_quiet(participant: Participant, now: datetime) -> bool:
    """Whether it is night where the participant is (their zone, else UTC)."""
    zone, _ = zone_of(participant.timezone)
    hour = now.astimezone(zone).hour
    return hour >= QUIET_START or hour < QUIET_END


def _language(participant: Participant) -> str:
    return participant.language or "en"


def deliver_news(session: Session, now: datetime) -> int:
    """One message per person per day at most: the first news at once, the rest as a digest."""
    pending: dict[int, list[Notice]] = defaultdict(list)
    for notice in session.scalars(
        select(Notice)
        .where(Notice.sent_at.is_(None), Notice.kind.in_(CAPPED_KINDS))
        .order_by(Notice.participant_id, Notice.id)
    ):
        pending[notice.participant_id].append(notice)
    if not pending:
        return 0
    last_sent = dict(
        session.execute(
            select(Notice.participant_id, func.max(Notice.sent_at))
            .where(
                Notice.participant_id.in_(pending),
                Notice.kind.in_(CAPPED_KINDS),
                Notice.sent_at.is_not(None),
            )
            .group_by(Notice.participant_id)
        ).all()
    )
    sent = 0
    for participant_id, notices in pending.items():
        last = last_sent.get(participant_id)
        if last is not None and now - last < DAILY_CAP:
            continue
        participant = session.get_one(Participant, participant_id)
        if participant.opted_out_at is not None:
            # Someone who opted out hears nothing, now or later.
            for notice in notices:
                session.delete(notice)
            continue
        if is_quiet(participant, now):
            continue
        identity = preferred_identity(session, participant)
        if identity is None:
            continue
        versions = [v for v in (_news_of(session, n) for n in notices) if v is not None]
        for notice in notices:
            notice.sent_at = now
        if not versions:
            continue
        language = _language(participant)
        message = (
            _single(versions[0], language) if len(versions) == 1 else _digest(versions, language)
        )
        outbox.enqueue(session, participant, identity.platform, message, bulk=True, now=now)
        # On SMS the buttons arrive as a numbered list: a typed number answers them.
        followup.offer(session, participant, message.options, now)
        sent += 1
    session.flush()
    return sent


def _news_of(session: Session, notice: Notice) -> News | None:
    """The version a notice tells of; None when it is gone or no longer published."""
    version_id = notice.payload.get("version_id")
    if notice.kind == UPDATE_NOTICE:
        return session.get(UpdateVersion, version_id)
    if notice.kind == PRACTICE_NOTICE:
        practice = session.get(PracticeVersion, version_id)
        # A practice taken down since, or replaced by a newer published version, is read
        # as it stands now: the Read button opens the current version.
        if practice is not None and any(v.current for v in practice.practice.versions):
            return practice
    return None


def _single(version: News, language: str) -> OutboundMessage:
    if isinstance(version, PracticeVersion):
        return practices_chat.notice(version, language)
    return feedback.render(version, language)


def _digest(versions: list[News], language: str) -> OutboundMessage:
    updates = sum(1 for v in versions if isinstance(v, UpdateVersion))
    found = len(versions) - updates

    def counted(said: str, count: int) -> str:
        return said.format(count=formatting.number(count, language))

    if not found:
        heading = counted(
            translate_plural(
                language,
                "News on what you follow: {count} update.",
                "News on what you follow: {count} updates.",
                updates,
            ),
            updates,
        )
    elif not updates:
        heading = counted(
            translate_plural(
                language,
                "News on what you follow: {count} good practice.",
                "News on what you follow: {count} good practices.",
                found,
            ),
            found,
        )
    else:
        heading = translate(language, "News on what you follow: {updates} and {practices}.").format(
            updates=counted(
                translate_plural(language, "{count} update", "{count} updates", updates), updates
            ),
            practices=counted(
                translate_plural(
                    language, "{count} good practice", "{count} good practices", found
                ),
                found,
            ),
        )
    lines = [heading]
    shown = versions[:MOST_IN_DIGEST]
    for number, version in enumerate(shown, start=1):
        line = (
            practices_chat.summary(version, language)
            if isinstance(version, PracticeVersion)
            else feedback.summary(version, language)
        )
        lines.append(f"{number}. {line}")
    if len(versions) > len(shown):
        lines.append(
            translate(language, "and {count} more").format(
                count=formatting.number(len(versions) - len(shown), language)
            )
        )
    lines.append(
        translate(language, "Choose one to read it and say whether you agree.")
        if not found
        else translate(language, "Choose one to read it.")
    )
    options = tuple(
        Option(
            practices_chat.practice_option(version.practice_id, practices_chat.READ)
            if isinstance(version, PracticeVersion)
            else feedback.option_id(version.update_id, "open"),
            translate(language, "Read {number}").format(number=number),
        )
        for number, version in enumerate(shown, start=1)
    )
    return OutboundMessage("\n".join(lines), options, Expect.CHOICE, language=language)


def overdue_steps(session: Session, now: datetime) -> list[UpdateVersion]:
    """Planned steps past their target date: in each update's latest version not rejected."""
    today = now.date()
    late = []
    for version in session.scalars(
        select(UpdateVersion)
        .where(
            UpdateVersion.next_step_due < today,
            UpdateVersion.state != UpdateState.REJECTED,
        )
        .order_by(UpdateVersion.next_step_due, UpdateVersion.id)
    ):
        # A newer version replaces the plan: it either moved the date or reports the step.
        live = [v for v in version.update.versions if v.state is not UpdateState.REJECTED]
        if live and live[-1].id == version.id:
            late.append(version)
    return late


def _send_once(
    session: Session,
    person: Participant,
    kind: str,
    subject: str,
    now: datetime,
    write: Callable[[str], str],
) -> bool:
    """Queue `write(language)` to the person unless this notice went before; True if queued."""
    if is_quiet(person, now):
        return False
    identity = preferred_identity(session, person)
    if identity is None:
        return False
    sent = Notice(
        participant_id=person.id,
        kind=kind,
        subject=subject,
        payload={},
        created_at=now,
        sent_at=now,
    )
    # The notice's unique key is what makes a repeated or concurrent tick send nothing.
    if not insert_once(session, sent):
        return False
    language = _language(person)
    message = OutboundMessage(write(language), language=language)
    outbox.enqueue(session, person, identity.platform, message, bulk=True, now=now)
    return True


def _focal_points(session: Session, update: ImplementationUpdate) -> list[Participant]:
    """Who answers for an update's plan: its author, else their organisation's members."""
    if update.author is not None and update.author.opted_out_at is None:
        return [update.author]
    if update.organisation_id is None:
        return []
    return list(
        session.scalars(
            select(Participant).where(
                Participant.organisation_id == update.organisation_id,
                Participant.role.in_((Role.GOVERNMENT, Role.NHRI)),
                Participant.verified_at.is_not(None),
            )
        )
    )


def _remind_overdue(session: Session, late: list[UpdateVersion], now: datetime) -> int:
    queued = 0
    for version in late:
        due = version.next_step_due
        assert due is not None

        def reminder(language: str, version: UpdateVersion = version, due: date = due) -> str:
            return translate(
                language,
                "A planned step is overdue. Update #{number}: “{step}” was due on {date}. "
                "Please post a new version of the update with what happened, or a new "
                "target date.",
            ).format(
                number=version.update_id,
                step=feedback.shorten(version.next_step or "", 300),
                date=formatting.day(due, language),
            )

        for person in _focal_points(session, version.update):
            queued += _send_once(session, person, OVERDUE, f"version:{version.id}", now, reminder)
    return queued


def _list_overdue(session: Session, late: list[UpdateVersion], now: datetime) -> int:
    if not late:
        return 0
    year, week, _ = now.isocalendar()

    def weekly_list(language: str) -> str:
        lines = [
            translate(language, "Overdue planned steps this week: {count}.").format(
                count=formatting.number(len(late), language)
            )
        ]
        for version in late[:MOST_IN_LIST]:
            assert version.next_step_due is not None
            update = version.update
            lines.append(
                translate_plural(
                    language,
                    "#{number} {who}: “{step}”, due {date} ({days} day late)",
                    "#{number} {who}: “{step}”, due {date} ({days} days late)",
                    (now.date() - version.next_step_due).days,
                ).format(
                    number=update.id,
                    who=update.organisation.name if update.organisation else "",
                    step=feedback.shorten(version.next_step or "", 120),
                    date=formatting.day(version.next_step_due, language),
                    days=formatting.number((now.date() - version.next_step_due).days, language),
                )
            )
        if len(late) > MOST_IN_LIST:
            lines.append(
                translate(language, "and {count} more").format(
                    count=formatting.number(len(late) - MOST_IN_LIST, language)
                )
            )
        return "\n".join(lines)

    organisers = session.scalars(
        select(Participant).where(
            Participant.role == Role.ORGANISER,
            Participant.verified_at.is_not(None),
            Participant.opted_out_at.is_(None),
        )
    )
    return sum(
        _send_once(session, organiser, OVERDUE_LIST, f"week:{year}-W{week:02d}", now, weekly_list)
        for organiser in organisers
    )

"""Following: one mechanism for hearing about a recommendation, a theme or an SDG target.

People follow by command (`follow THEME`), or automatically by answering on a
recommendation. News for followers is written as Notices; core.news sends them under the
daily cap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.db import insert_once
from core.errors import InvalidInput, NotFound
from core.i18n import N_
from core.models import (
    Follow,
    FollowKind,
    Notice,
    Participant,
    Recommendation,
    Tag,
    TagKind,
    UpdateVersion,
    recommendation_tags,
    utcnow,
)
from core.recommendations import find as find_recommendation

UPDATE_NOTICE = "update"
PRACTICE_NOTICE = "practice"
# Kinds of news that count against the daily cap, and share one digest.
CAPPED_KINDS = frozenset({UPDATE_NOTICE, PRACTICE_NOTICE})
_SDG = re.compile(r"^(?:sdg\s*)?(\d{1,2}\.[0-9a-z]{1,2})$", re.IGNORECASE)
_TAG_KINDS = {FollowKind.THEME: TagKind.THEME, FollowKind.SDG_TARGET: TagKind.SDG_TARGET}


def resolve(session: Session, text: str) -> tuple[FollowKind, str, str]:
    """What `follow TEXT` names: (kind, target, label); a clear message when nothing matches."""
    needle = " ".join(text.split())
    if not needle:
        raise InvalidInput(
            N_(
                "say what to follow: a recommendation's number (#12), a theme, or an SDG "
                "target such as 16.3"
            )
        )
    sdg = _SDG.match(needle)
    if sdg:
        code = sdg.group(1)
        tag = session.scalar(select(Tag).where(Tag.kind == TagKind.SDG_TARGET, Tag.code == code))
        if tag is None:
            raise NotFound(N_("no recommendation is linked to SDG target {code}"), code=code)
        return FollowKind.SDG_TARGET, tag.code, f"SDG {tag.code}"
    if needle.lstrip("#").isdigit():
        recommendation = find_recommendation(session, needle)
        return FollowKind.RECOMMENDATION, str(recommendation.id), f"#{recommendation.id}"
    lowered = needle.lower()
    theme = session.scalar(
        select(Tag)
        .where(
            Tag.kind == TagKind.THEME,
            or_(func.lower(Tag.code) == lowered, func.lower(Tag.label) == lowered),
        )
        .limit(1)
    )
    if theme is not None:
        return FollowKind.THEME, theme.code, theme.code
    try:
        recommendation = find_recommendation(session, needle)
    except NotFound:
        raise NotFound(
            N_(
                "{text!r} is not a theme, an SDG target or a recommendation I know; "
                "send themes to see the themes"
            ),
            text=needle[:60],
        ) from None
    return FollowKind.RECOMMENDATION, str(recommendation.id), f"#{recommendation.id}"


def themes(session: Session, limit: int = 40) -> list[tuple[str, int]]:
    """The themes people can follow, most used first, with how many recommendations each has."""
    rows = session.execute(
        select(Tag.code, func.count(recommendation_tags.c.recommendation_id))
        .join(recommendation_tags, recommendation_tags.c.tag_id == Tag.id)
        .where(Tag.kind == TagKind.THEME)
        .group_by(Tag.code)
        .order_by(func.count(recommendation_tags.c.recommendation_id).desc(), Tag.code)
        .limit(limit)
    )
    return [(code, count) for code, count in rows]


def follow(
    session: Session,
    participant: Participant,
    kind: FollowKind,
    target: str,
    *,
    automatic: bool = False,
    now: datetime | None = None,
) -> bool:
    """Start following; False when the participant already follows it."""
    exists = session.scalar(
        select(Follow.id).where(
            Follow.participant_id == participant.id, Follow.kind == kind, Follow.target == target
        )
    )
    if exists is not None:
        return False
    added = Follow(
        participant_id=participant.id,
        kind=kind,
        target=target,
        automatic=automatic,
        created_at=now or utcnow(),
    )
    if not insert_once(session, added):
        # The same follow arrived twice at once.
        return False
    audit.record(
        session,
        actor=participant.pseudonym,
        action="follow.added",
        subject_type=kind.value,
        subject_id=target[:80],
        details={"automatic": automatic},
    )
    return True


def unfollow(session: Session, participant: Participant, kind: FollowKind, target: str) -> bool:
    """Stop following; False when the participant did not follow it."""
    found = session.scalar(
        select(Follow).where(
            Follow.participant_id == participant.id, Follow.kind == kind, Follow.target == target
        )
    )
    if found is None:
        return False
    session.delete(found)
    audit.record(
        session,
        actor=participant.pseudonym,
        action="follow.removed",
        subject_type=kind.value,
        subject_id=target[:80],
    )
    return True


def following(session: Session, participant: Participant) -> list[Follow]:
    """What the participant follows, oldest first."""
    return list(
        session.scalars(
            select(Follow).where(Follow.participant_id == participant.id).order_by(Follow.id)
        )
    )


def follow_answered(
    session: Session, participant: Participant, recommendation_id: int, now: datetime
) -> None:
    """Someone who answered on a recommendation follows it, unless they turned that off."""
    if participant.auto_follow:
        follow(
            session,
            participant,
            FollowKind.RECOMMENDATION,
            str(recommendation_id),
            automatic=True,
            now=now,
        )


def set_auto_follow(session: Session, participant: Participant, on: bool) -> None:
    """Turn automatic following on or off; turning it off also ends the automatic follows."""
    participant.auto_follow = on
    if not on:
        for found in session.scalars(
            select(Follow).where(Follow.participant_id == participant.id, Follow.automatic)
        ):
            session.delete(found)
    audit.record(
        session,
        actor=participant.pseudonym,
        action="follow.automatic_on" if on else "follow.automatic_off",
        subject_type="participant",
        subject_id=participant.pseudonym,
    )


def followers_of(
    session: Session,
    recommendation_ids: Iterable[int],
    tags: dict[TagKind, Iterable[str]],
) -> set[int]:
    """Everyone who follows one of these recommendations, themes or SDG targets."""
    conditions = []
    ids = sorted({str(i) for i in recommendation_ids})
    if ids:
        conditions.append((Follow.kind == FollowKind.RECOMMENDATION) & Follow.target.in_(ids))
    for kind, tag_kind in _TAG_KINDS.items():
        # Themes are matched whatever their case: "Education" is the theme "education".
        codes = sorted({code.lower() for code in tags.get(tag_kind, ())})
        if codes:
            conditions.append((Follow.kind == kind) & func.lower(Follow.target).in_(codes))
    if not conditions:
        return set()
    return set(session.scalars(select(Follow.participant_id).where(or_(*conditions)).distinct()))


def followers(session: Session, recommendations: Iterable[Recommendation]) -> set[int]:
    """Everyone who follows any of these recommendations, their themes or SDG targets."""
    recs = list(recommendations)
    return followers_of(
        session,
        (r.id for r in recs),
        {kind: [t.code for r in recs for t in r.tags_of(kind)] for kind in _TAG_KINDS.values()},
    )


def tell(
    session: Session,
    audience: set[int],
    kind: str,
    subject: str,
    payload: dict[str, int],
    now: datetime,
) -> int:
    """Write the news for each follower not told of it yet and not opted out; returns how many.

    core.news sends what is written here under the daily cap.
    """
    already = set(
        session.scalars(
            select(Notice.participant_id).where(Notice.kind == kind, Notice.subject == subject)
        )
    )
    opted_out = set(
        session.scalars(
            select(Participant.id).where(
                Participant.id.in_(audience), Participant.opted_out_at.is_not(None)
            )
        )
    )
    written = 0
    for participant_id in sorted(audience - already - opted_out):
        session.add(
            Notice(
                participant_id=participant_id,
                kind=kind,
                subject=subject,
                payload=payload,
                created_at=now,
            )
        )
        written += 1
    session.flush()
    return written


def announce(session: Session, version: UpdateVersion, now: datetime) -> int:
    """Tell the followers of a newly published version; returns how many notices were written."""
    update = version.update
    audience = followers(session, update.recommendations)
    audience.discard(update.author_id or 0)
    return tell(
        session,
        audience,
        UPDATE_NOTICE,
        f"update-version:{version.id}",
        {"update_id": update.id, "version_id": version.id},
        now,
    )


def describe(follow_row: Follow) -> str:
    """A follow as people read it: '#12', 'theme education', 'SDG 16.3'."""
    if follow_row.kind is FollowKind.RECOMMENDATION:
        return f"#{follow_row.target}"
    if follow_row.kind is FollowKind.SDG_TARGET:
        return f"SDG {follow_row.target}"
    return follow_row.target

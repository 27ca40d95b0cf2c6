"""Linking channels: one person answering from Telegram and Slack continues the same round."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.codes import digest, new_code
from core.errors import InvalidInput
from core.i18n import N_
from core.models import LinkCode, Participant, PlatformIdentity, utcnow
from core.vocabulary import Platform

LINK_CODE_LIFETIME = timedelta(minutes=30)


def create_link_code(
    session: Session, participant: Participant, now: datetime | None = None
) -> str:
    """A one-time code, valid 30 minutes, to type in another channel; only its hash is kept."""
    now = now or utcnow()
    shown, code_hash = new_code()
    session.add(
        LinkCode(
            code_hash=code_hash,
            participant_id=participant.id,
            expires_at=now + LINK_CODE_LIFETIME,
        )
    )
    session.flush()
    return shown


def redeem_link_code(
    session: Session,
    code: str,
    *,
    platform: Platform,
    external_id: str,
    now: datetime | None = None,
) -> Participant:
    """Attach this platform identity to the participant who asked for the code."""
    now = now or utcnow()
    link = session.scalar(select(LinkCode).where(LinkCode.code_hash == digest(code)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise InvalidInput(
            N_(
                "that link code is unknown, used or expired; send link in your "
                "other app to get a new one"
            )
        )
    target = session.get_one(Participant, link.participant_id)
    identity = session.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == platform, PlatformIdentity.external_id == external_id
        )
    )
    link.used_at = now
    if identity is None:
        identity = PlatformIdentity(platform=platform, external_id=external_id)
        target.identities.append(identity)
    elif identity.participant_id != target.id:
        # The identity moves; whatever it answered before stays under its old pseudonym.
        identity.participant_id = target.id
    audit.record(
        session,
        actor=target.pseudonym,
        action="identity.linked",
        subject_type="participant",
        subject_id=target.pseudonym,
        details={"platform": platform.value},
    )
    session.flush()
    session.expire(target)
    return target

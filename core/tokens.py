"""Bearer tokens for the organiser API: each belongs to one person and acts with their role."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.i18n import N_
from core.models import ApiToken, Participant, utcnow
from core.vocabulary import Role

TOKEN_PREFIX = "cst_"


def hash_token(plaintext: str) -> str:
    """The stored form of a token: a SHA-256 digest, since tokens are long and random."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    *,
    participant: Participant,
    role: Role,
    expires_in_days: int | None = None,
    label: str = "",
    actor: str = audit.SYSTEM,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for a participant; the plaintext is returned once and never stored."""
    if participant.role != role:
        raise InvalidInput(
            N_(
                "participant {pseudonym} has the role {role!r}, not {wanted!r}; a token acts "
                "with its owner's role"
            ),
            pseudonym=participant.pseudonym,
            role=participant.role.value,
            wanted=role.value,
        )
    if expires_in_days is not None and expires_in_days <= 0:
        raise InvalidInput(
            N_("--expires must be a positive number of days, not {days}"), days=expires_in_days
        )
    now = now or utcnow()
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        participant_id=participant.id,
        token_hash=hash_token(plaintext),
        prefix=plaintext[:10],
        label=label,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.created",
        subject_type="participant",
        subject_id=participant.pseudonym,
        details={"token_id": token.id, "role": role.value, "expires_in_days": expires_in_days},
    )
    return token, plaintext


def authenticate(session: Session, plaintext: str, *, now: datetime | None = None) -> Participant:
    """The participant a presented token acts for, or PermissionDenied saying why not."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    return check(token, now=now)


def check(token: ApiToken | None, *, now: datetime | None = None) -> Participant:
    """The participant a stored token acts for, or PermissionDenied if it may not act now."""
    if token is None:
        raise PermissionDenied(N_("unknown token"))
    now = now or utcnow()
    if token.revoked_at is not None:
        raise PermissionDenied(N_("this token was revoked"))
    if token.expires_at is not None and token.expires_at <= now:
        raise PermissionDenied(N_("this token has expired"))
    return token.participant


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, token_id: int, *, actor: str = audit.SYSTEM) -> ApiToken:
    """Revoke a token so it is refused from now on."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(N_("no token with id {id}"), id=token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="token.revoked",
            subject_type="participant",
            subject_id=token.participant.pseudonym,
            details={"token_id": token.id},
        )
    return token

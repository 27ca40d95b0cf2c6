"""The append-only audit log: who, by pseudonym, changed what and when."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry

SYSTEM = "system"
AuditValue = int | float | bool | str | None

# Details hold counts, slugs and identifiers. Long strings are refused because that is where
# answer text or a name would creep in, and then erasing a person would mean rewriting history.
MAX_DETAIL_TEXT = 80


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int | None = None,
    details: Mapping[str, AuditValue] | None = None,
) -> AuditEntry:
    """Append one line to the audit log, in the caller's transaction."""
    clean: dict[str, AuditValue] = {}
    for name, value in (details or {}).items():
        if isinstance(value, str) and len(value) > MAX_DETAIL_TEXT:
            raise ValueError(f"audit detail {name!r} is too long to be an identifier")
        clean[name] = value
    entry = AuditEntry(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=clean,
    )
    session.add(entry)
    return entry


def recent(session: Session, limit: int = 50) -> list[AuditEntry]:
    """The newest audit lines first."""
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))

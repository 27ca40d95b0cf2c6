"""Finding a stored thing the way people name it: by its number, or by one of its names."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.errors import NotFound

T = TypeVar("T")


def by_id_or_name(
    session: Session,
    model: type[T],
    ref: str | int,
    names: tuple[InstrumentedAttribute[Any], ...],
    *,
    what: str,
    missing_ok: bool = False,
) -> T | None:
    """The row whose id is ref, or whose name matches ref whatever its case."""
    if isinstance(ref, int) or str(ref).strip().isdigit():
        found = session.get(model, int(ref))
    else:
        needle = " ".join(str(ref).split()).lower()
        found = session.scalar(
            select(model).where(or_(*(func.lower(name) == needle for name in names)))
        )
    if found is None and not missing_ok:
        raise NotFound(f"no {what} {str(ref)!r}")
    return found

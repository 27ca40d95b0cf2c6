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
    missing: str = "",
    missing_ok: bool = False,
) -> T | None:
    """The row whose id is ref, or whose name matches ref whatever its case.

    missing is the message (a template with {ref}) of the NotFound raised when there is none.
    """
    if isinstance(ref, int) or str(ref).strip().isdigit():
        found = session.get(model, int(ref))
    else:
        needle = " ".join(str(ref).split()).lower()
        found = session.scalar(
            select(model).where(or_(*(func.lower(name) == needle for name in names)))
        )
    if found is None and not missing_ok:
        raise NotFound(missing, ref=str(ref))
    return found

"""Finding a stored thing the way people name it: by its number, or by one of its names."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.errors import NotFound

T = TypeVar("T")
# Ids are 32-bit integers in the database; a longer number can name no row, and PostgreSQL
# would refuse to compare with it.
LARGEST_ID = 2**31 - 1


def row_id(ref: str | int) -> int | None:
    """The number a reference gives, when it is one a stored row could have."""
    text = str(ref).strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ID else None


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
        number = row_id(ref)
        found = session.get(model, number) if number is not None else None
    else:
        needle = " ".join(str(ref).split()).lower()
        found = session.scalar(
            select(model).where(or_(*(func.lower(name) == needle for name in names)))
        )
    if found is None and not missing_ok:
        raise NotFound(missing, ref=str(ref))
    return found

"""Reading a stored UTC time where a person is: the first valid zone of those given."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(*names: str | None) -> tuple[ZoneInfo, str]:
    """The first of the named zones that exists, else UTC, with its name."""
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC"), "UTC"


def local_time(moment: datetime, *zones: str | None) -> str:
    """The moment as read in the first valid zone, e.g. '2027-03-31 18:00 Africa/Nairobi'."""
    zone, name = zone_of(*zones)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {name}"

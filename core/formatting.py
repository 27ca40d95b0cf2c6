"""Dates, times, numbers and lists as each participant's locale writes them, through Babel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_location
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from core.i18n import base_language, supported_language
from core.timezones import zone_of

# CLDR's locale for each supported language; Chinese is written in Simplified characters.
LOCALES = {"en": "en", "fr": "fr", "es": "es", "ar": "ar", "ru": "ru", "zh": "zh_Hans_CN"}


def locale_of(language: str | None) -> str:
    """The Babel locale identifier for a participant's language."""
    return LOCALES[base_language(language)]


def _aware(moment: datetime) -> datetime:
    # Stored times are UTC without a zone; reading them as local time would shift them.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def day(value: date | datetime, language: str | None, *zones: str | None) -> str:
    """A date in words, e.g. 31 March 2027 / 31 mars 2027 / ٣١ مارس ٢٠٢٧."""
    if isinstance(value, datetime):
        zone, _ = zone_of(*zones)
        value = _aware(value).astimezone(zone).date()
    return format_date(value, format="long", locale=locale_of(language))


def moment(value: datetime, language: str | None, *zones: str | None) -> str:
    """A date and time in the first valid zone, with the zone named (e.g. 'Nairobi')."""
    zone, _ = zone_of(*zones)
    local = _aware(value).astimezone(zone)
    locale = Locale.parse(locale_of(language))
    # The locale's own way of joining a date and a time ("{1} à {0}"), without seconds.
    joined = str(locale.datetime_formats["long"]).format(
        format_time(local, format="short", locale=locale),
        format_date(local, format="long", locale=locale),
    )
    return f"{joined} ({zone_label(zone.key, language)})"


def zone_label(name: str, language: str | None) -> str:
    """A time zone as people call it: its city or region in the language, else its id."""
    if name == "UTC":
        return "UTC"
    try:
        return get_timezone_location(name, locale=locale_of(language), return_city=True)
    except (LookupError, ValueError):
        return name


def number(value: float | int, language: str | None) -> str:
    """A count or amount with the locale's digits grouping, e.g. 12,345 / 12 345 / 12.345."""
    return format_decimal(value, locale=locale_of(language))


def percent(share: float, language: str | None) -> str:
    """A share of one as a percentage, e.g. 0.42 -> 42 % in French."""
    return format_percent(share, locale=locale_of(language))


def names(
    items: Iterable[str], language: str | None, style: Literal["standard", "or"] = "standard"
) -> str:
    """Items joined as the language lists them: 'a, b and c', 'a, b et c', 'a、b和c'."""
    listed = [item for item in items if item]
    if not listed:
        return ""
    return format_list(listed, style=style, locale=locale_of(language))


def either(items: Iterable[str], language: str | None) -> str:
    """Items as alternatives: 'a, b or c'."""
    return names(items, language, style="or")


def file_size(n: int) -> str:
    """A file's size for a message about limits: megabytes, and the exact bytes."""
    return f"{n / (1024 * 1024):.1f} MB ({n:,} bytes)"


def language_name(code: str, in_language: str | None) -> str:
    """A language's name as people reading in_language call it, e.g. 'anglais'.

    Any language Babel knows is named (a practice may be written in Portuguese); a code it
    does not know is shown as it is.
    """
    reader = locale_of(in_language)
    if supported_language(code):
        return Locale.parse(locale_of(code)).get_language_name(reader) or code
    try:
        return Locale.parse(code.replace("-", "_")).get_language_name(reader) or code
    except (ValueError, UnknownLocaleError):
        return code


def own_language_name(code: str) -> str:
    """A language's name in that language, for pickers: English, Français, العربية.

    A code Consulta does not speak is shown as it is.
    """
    if supported_language(code) is None:
        return code
    name = Locale.parse(locale_of(code)).get_language_name(locale_of(code)) or code
    return name[:1].upper() + name[1:]

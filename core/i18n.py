"""Translating what Consulta says to people, through gettext catalogs shipped in core/locale."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "consulta"
SUPPORTED_LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")
SOURCE_LANGUAGE = "en"
# Right-to-left scripts: Arabic among Consulta's languages; the others for content (a
# recommendation's text or a report) that arrives in them.
# A longer Accept-Language header is cut: nobody prefers more languages than fit in this.
ACCEPT_LANGUAGE_LIMIT = 512
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "yi"})


def base_language(language: str | None) -> str:
    """The supported two-letter code of a language tag such as fr-CA or zh_Hans, else English."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else SOURCE_LANGUAGE


def supported_language(language: str | None) -> str | None:
    """The supported code of a language tag, or None when Consulta does not speak it."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else None


def preferred_language(
    header: str | None, offered: Sequence[str] = SUPPORTED_LANGUAGES
) -> str | None:
    """The offered language an HTTP Accept-Language header prefers most, if it names one."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:ACCEPT_LANGUAGE_LIMIT].split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        found = supported_language(tag.strip()) if tag.strip() != "*" else None
        # q=0 means "not this one"; NaN compares false and is left out with it. Of two
        # equally weighted languages the earlier wins, as the header lists them.
        if found is not None and found in offered and weight > 0:
            ranked.append((-weight, position, found))
    return min(ranked)[2] if ranked else None


def direction(language: str | None) -> str:
    """The writing direction of a language, as HTML's dir attribute wants it."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return "rtl" if base in RTL_LANGUAGES else "ltr"


@lru_cache(maxsize=32)
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language; unknown languages get the English source text."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def translate(language: str, message: str) -> str:
    """The message in the language, or in English where no translation exists yet."""
    return catalog(base_language(language)).gettext(message)


def translate_plural(language: str, singular: str, plural: str, count: int) -> str:
    """The singular or plural form the language uses for this count."""
    return catalog(base_language(language)).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a message for the catalogs where it is written; it is translated where it is shown."""
    return message


def gettext_for(language: str | None) -> Callable[[str], str]:
    """A one-argument `_` for templates and for code that says many things in one language."""
    found = catalog(base_language(language))
    return found.gettext


def ngettext_for(language: str | None) -> Callable[[str, str, int], str]:
    """The plural-aware companion of gettext_for."""
    found = catalog(base_language(language))
    return found.ngettext

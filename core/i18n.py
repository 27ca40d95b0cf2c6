"""Translating what Consulta says to people, through gettext catalogs shipped in core/locale."""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
SUPPORTED_LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")


@lru_cache(maxsize=32)
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation("consulta", LOCALE_DIR, languages=[language], fallback=True)


def translate(language: str, message: str) -> str:
    """The message in the language, or in English where no translation exists yet."""
    return _catalog(language.split("-")[0]).gettext(message)


def translate_plural(language: str, singular: str, plural: str, count: int) -> str:
    """The singular or plural form the language uses for this count."""
    return _catalog(language.split("-")[0]).ngettext(singular, plural, count)

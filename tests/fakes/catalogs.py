"""A recorder behind each compiled catalog: which messages were asked for and not found.

A message passed to translate() that the catalogs lack is shown in English to every reader.
The extractor cannot see messages built at run time (a table of texts that was not marked
with N_, a constant), so tests that exercise whole features also check at run time.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager

from core.i18n import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES, catalog


class MissingMessages(gettext.NullTranslations):
    """Sits behind a catalog and remembers every message the catalog did not have."""

    def __init__(self) -> None:
        super().__init__()
        self.missing: set[str] = set()

    def gettext(self, message: str) -> str:
        self.missing.add(message)
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.missing.add(singular)
        return singular if n == 1 else plural


@contextmanager
def recording_missing_messages() -> Iterator[dict[str, MissingMessages]]:
    """Record, per language, what the catalogs were asked for in vain while the block runs."""
    recorders: dict[str, MissingMessages] = {}
    for language in SUPPORTED_LANGUAGES:
        recorders[language] = MissingMessages()
        catalog(language).add_fallback(recorders[language])
    try:
        yield recorders
    finally:
        for language in SUPPORTED_LANGUAGES:
            catalog(language)._fallback = None


def missing_in(recorders: dict[str, MissingMessages]) -> dict[str, set[str]]:
    """The messages missing per language, English (the source) left out."""
    return {
        language: recorder.missing
        for language, recorder in recorders.items()
        if recorder.missing and language != SOURCE_LANGUAGE
    }

"""Errors whose message is meant for the person who caused them.

A message is kept as a gettext template and the values that fill it (a Phrase), so the
command line and the API can say it in the reader's language; str() stays English, for logs.
"""

from __future__ import annotations

from pathlib import Path

from core.i18n import N_, SOURCE_LANGUAGE, translate


class Phrase:
    """Words kept as a message template and its values, so they can be said in any language."""

    __slots__ = ("template", "values")

    def __init__(self, template: str, /, **values: object) -> None:
        self.template = template
        self.values = values

    def __str__(self) -> str:
        return _filled(self.template, {k: _english(v) for k, v in self.values.items()})

    def __repr__(self) -> str:
        return f"Phrase({self.template!r}, **{self.values!r})"

    def in_language(self, language: str | None) -> str:
        """The words in the language, or in English where the catalog has no translation yet."""
        values = {
            k: v.in_language(language) if isinstance(v, Phrase) else v
            for k, v in self.values.items()
        }
        try:
            return _filled(translate(language or SOURCE_LANGUAGE, self.template), values)
        except (KeyError, IndexError, ValueError, AttributeError):
            # A translation whose placeholders do not match must not hide the message itself.
            return _filled(self.template, values)


def _english(value: object) -> object:
    return str(value) if isinstance(value, Phrase) else value


def _filled(template: str, values: dict[str, object]) -> str:
    # Without values the template is said as it is, so a brace in it needs no doubling.
    return template.format(**values) if values else template


def located(
    path: Path | str, reason: str | Phrase, line: int | None = None, /, **values: object
) -> Phrase:
    """A problem in a file: the file, the line when known, and what is wrong there."""
    said = reason if isinstance(reason, Phrase) else Phrase(reason, **values)
    if line is None:
        # Translators: the reason is a message of its own, such as "is empty" or "no such file".
        return Phrase(N_("{path}: {reason}"), path=str(path), reason=said)
    # Translators: the reason is a message of its own, such as "is empty" or "no such file".
    return Phrase(N_("{path}, line {line}: {reason}"), path=str(path), line=line, reason=said)


class ExplainedError(Exception):
    """An error whose message is a Phrase: str() is English, in_language() any language."""

    def __init__(self, message: str | Phrase = "", /, **values: object) -> None:
        self.phrase = message if isinstance(message, Phrase) else Phrase(message, **values)
        super().__init__(str(self.phrase))

    def in_language(self, language: str | None) -> str:
        """The message in the language, its values filled in."""
        return self.phrase.in_language(language)


class ConsultaError(ExplainedError):
    """A problem the user can fix; the message says what was wrong and where."""


class NotFound(ConsultaError):
    """The thing asked for does not exist."""


class InvalidInput(ConsultaError):
    """The input breaks a rule; the message names the field and the rule."""


class PermissionDenied(ConsultaError):
    """The actor's role does not allow this."""

"""Reading a typed or pressed answer for one question: numbers, words, labels, dates."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.conversation.words import fold, number_from_word
from surveys.definition import Choice, Kind, Question, localized


@dataclass(frozen=True)
class Accepted:
    """A valid answer: the value skip logic sees, and the free text when there is one."""

    value: Any
    text: str | None = None


@dataclass(frozen=True)
class Refused:
    """An answer that does not fit, and the short reason to re-prompt with."""

    reason: str


# Commas and semicolons as each language types them (Chinese full-width ，；, Arabic ، ؛),
# and the word "and" in each language.
MULTI_SEPARATORS = re.compile(r"\s*(?:[,;、，；،؛]|\s+(?:and|et|y|и|و)\s+|和)\s*|\s+")
DATE_FORMATS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})"),
)


def has_words(text: str) -> bool:
    """Whether a text holds at least one letter or digit (emoji alone say nothing we can use)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def match_choice(text: str, options: list[Choice], language: str) -> int | None:
    """The index of the option a typed text names: its label, its number, or the number's word."""
    folded = fold(text).rstrip(".!")
    for index, option in enumerate(options):
        labels = {fold(localized(option.label, language)), fold(localized(option.label, "en"))}
        if folded in labels or folded == fold(option.id):
            return index
    number = number_from_word(folded, language)
    if number is not None and 1 <= number <= len(options):
        return number - 1
    return None


def read_choices(text: str, options: list[Choice], language: str) -> list[int] | None:
    """Several options typed at once ("1, 3" or labels); None if any part names nothing."""
    whole = match_choice(text, options, language)
    if whole is not None:
        return [whole]
    parts = [p for p in MULTI_SEPARATORS.split(text.strip()) if p]
    if not parts:
        return None
    picked: list[int] = []
    for part in parts:
        index = match_choice(part, options, language)
        if index is None:
            return None
        if index not in picked:
            picked.append(index)
    return picked


THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+")


def read_number(text: str) -> float | None:
    """A number typed with a dot or a decimal comma; 1,000 and 1 000 are thousands."""
    cleaned = fold(text).replace(" ", "").replace("\u202f", "")
    cleaned = (
        cleaned.replace(",", "") if THOUSANDS.fullmatch(cleaned) else cleaned.replace(",", ".")
    )
    try:
        return float(cleaned)
    except ValueError:
        return None


def read_date(text: str) -> date | None:
    """A date typed as 2026-03-31, 31/03/2026 or 31.03.2026."""
    for pattern in DATE_FORMATS:
        match = pattern.fullmatch(fold(text))
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def read_answer(question: Question, text: str, language: str) -> Accepted | Refused | None:
    """Read typed text as an answer; None means the text matched no option at all."""
    kind = question.kind
    if kind in (Kind.SINGLE_CHOICE, Kind.RATING, Kind.IMPLEMENTATION_STATUS, Kind.YES_NO):
        options = question.options()
        index = match_choice(text, options, language)
        return None if index is None else choice_value(question, [index])
    if kind is Kind.MULTIPLE_CHOICE:
        picked = read_choices(text, question.options(), language)
        return None if picked is None else choice_value(question, picked)
    if kind is Kind.NUMBER:
        number = read_number(text)
        if number is None:
            return Refused("number")
        if question.integer and not number.is_integer():
            return Refused("whole")
        if question.min is not None and number < question.min:
            return Refused("min")
        if question.max is not None and number > question.max:
            return Refused("max")
        return Accepted(int(number) if number.is_integer() else number)
    if kind is Kind.DATE:
        day = read_date(text)
        return Refused("date") if day is None else Accepted(day.isoformat())
    if len(text) > question.text_limit:
        return Refused("long")
    if not has_words(text):
        return Refused("words")
    return Accepted(text, text)


def choice_value(question: Question, indexes: list[int]) -> Accepted:
    """The stored value of chosen options: an id, a list of ids, or a rating's number."""
    options = question.options()
    ids = [options[i].id for i in indexes]
    if question.kind is Kind.MULTIPLE_CHOICE:
        return Accepted(ids)
    if question.kind is Kind.RATING:
        return Accepted(int(ids[0].removeprefix("r")))
    return Accepted(ids[0])

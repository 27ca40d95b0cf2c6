"""Typed answers: numbers, number words, labels and dates, in several languages."""

from __future__ import annotations

import pytest

from core.conversation.reading import read_date, read_number
from core.conversation.words import number_from_word, parse_command


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12", 12),
        ("1,5", 1.5),
        ("1.5", 1.5),
        ("1,000", 1000),
        ("1 000", 1000),
        ("2,000,000", 2_000_000),
        ("-3,25", -3.25),
        ("abc", None),
        ("", None),
    ],
)
def test_numbers(typed, number):
    assert read_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "language", "number"),
    [
        ("three", "en", 3),
        ("Trois", "fr", 3),
        ("tres", "es", 3),
        ("три", "ru", 3),
        ("三", "zh", 3),
        ("ثلاثة", "ar", 3),
        ("٣", "ar", 3),
        ("twelve", "fr", 12),
        ("tres", "en", None),
        ("thirteen", "en", None),
    ],
)
def test_number_words(typed, language, number):
    assert number_from_word(typed, language) == number


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("2026-03-31", "2026-03-31"),
        ("31/03/2026", "2026-03-31"),
        ("31.03.2026", "2026-03-31"),
        ("31/02/2026", None),
        ("next week", None),
    ],
)
def test_dates(typed, iso):
    day = read_date(typed)
    assert (day.isoformat() if day else None) == iso


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("/start ABC123", ("join", "abc123")),
        ("Retour", ("back", "")),
        ("change 3", ("change", "3")),
        ("ARRÊTER", ("stop", "")),
        ("/review@ConsultaBot", ("review", "")),
        ("darse de baja", ("optout", "")),
        ("отписаться", ("optout", "")),
        ("stop the evictions", None),
        ("hello", None),
        ("", None),
    ],
)
def test_commands_in_every_language_but_never_inside_an_answer(typed, command):
    found = parse_command(typed)
    assert (None if found is None else (found[0].value, found[1])) == command

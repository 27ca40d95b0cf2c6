"""Error messages kept as a template and its values, said in English or in any language."""

from __future__ import annotations

from pathlib import Path

from core.errors import InvalidInput, NotFound, Phrase, located
from core.i18n import translate
from core.importing.errors import ImportFileError
from core.invitees import InviteeFileError
from core.updates import parse_date


def test_str_is_the_english_message_with_its_values() -> None:
    problem = NotFound("no round with the code {code!r}", code="NOPE")
    assert str(problem) == "no round with the code 'NOPE'"
    assert problem.phrase.template == "no round with the code {code!r}"
    assert problem.phrase.values == {"code": "NOPE"}


def test_a_message_without_values_is_said_as_it_is() -> None:
    # Nothing is formatted, so braces quoted from input never break the message.
    assert str(InvalidInput("the scope {} is odd")) == "the scope {} is odd"
    assert InvalidInput("the scope {} is odd").in_language("fr") == translate(
        "fr", "the scope {} is odd"
    )


def test_in_language_translates_the_template_then_fills_it() -> None:
    problem = NotFound("no round with the code {code!r}", code="NOPE")
    for language in ("en", "fr", "es", "ar", "ru", "zh", "xx", None):
        expected = translate(language or "en", "no round with the code {code!r}")
        assert problem.in_language(language) == expected.format(code="NOPE")


def test_a_phrase_inside_a_message_is_translated_too() -> None:
    where = Phrase("{where}'s date", where=Phrase("indicator {number}", number=2))
    try:
        parse_date("soon", where)
    except InvalidInput as problem:
        assert str(problem) == "indicator 2's date: 'soon' is not a date; write it as YYYY-MM-DD"
        inner = translate("ru", "indicator {number}").format(number=2)
        middle = translate("ru", "{where}'s date").format(where=inner)
        outer = translate("ru", "{where}: {text!r} is not a date; write it as YYYY-MM-DD")
        assert problem.in_language("ru") == outer.format(where=middle, text="soon")
    else:
        raise AssertionError("a date that is not one was accepted")


def test_file_problems_name_the_file_and_line_in_every_language(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    problem = ImportFileError(path, "cannot be read ({problem})", 3, problem="denied")
    assert str(problem) == f"{path}, line 3: cannot be read (denied)"
    assert (problem.path, problem.line, problem.reason) == (path, 3, "cannot be read (denied)")
    reason = translate("es", "cannot be read ({problem})").format(problem="denied")
    where = translate("es", "{path}, line {line}: {reason}")
    assert problem.in_language("es") == where.format(path=path, line=3, reason=reason)

    invitees = InviteeFileError(path, "no such file")
    assert str(invitees) == f"{path}: no such file"
    assert invitees.line is None and invitees.reason == "no such file"
    assert str(located(path, "{reason}", 7, reason="column role: unknown")) == (
        f"{path}, line 7: column role: unknown"
    )

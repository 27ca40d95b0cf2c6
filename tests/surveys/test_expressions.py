"""The survey expression language parses XLSForm-style text and evaluates it without surprises."""

from __future__ import annotations

import dataclasses
import math
import pickle
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.expressions import MAX_DEPTH, MAX_LENGTH, Expression, ExpressionError, parse

CURRENT = "."  # key of the answers dicts below that holds the value of '.'


def lookup_in(answers: Mapping[str, object]) -> Callable[[str], object]:
    """A strict lookup, so a case that forgets an answer fails instead of reading ''."""

    def lookup(name: str) -> object:
        return answers[name]

    return lookup


def evaluate(source: str, answers: Mapping[str, object]) -> bool:
    return parse(source).evaluate(lookup_in(answers), answers.get(CURRENT, ""))


def value(source: str, answers: Mapping[str, object]) -> object:
    return parse(source).value(lookup_in(answers), answers.get(CURRENT, ""))


EVALUATE_CASES: list[tuple[str, dict[str, object], bool]] = [
    # The XLSForm examples from the brief.
    ("${q} = 'yes'", {"q": "yes"}, True),
    ("${q} = 'yes'", {"q": "no"}, False),
    ("${q} = 'yes'", {"q": ""}, False),
    ('${q} = "yes"', {"q": "yes"}, True),
    (
        "selected(${themes}, 'health') and ${age} >= 18",
        {"themes": ["health", "water"], "age": 18},
        True,
    ),
    ("selected(${themes}, 'health') and ${age} >= 18", {"themes": ["health"], "age": 17}, False),
    ("selected(${themes}, 'health') and ${age} >= 18", {"themes": ["water"], "age": 40}, False),
    ("selected(${themes}, 'health') and ${age} >= 18", {"themes": "", "age": ""}, False),
    ("string-length(.) <= 500", {CURRENT: "x" * 500}, True),
    ("string-length(.) <= 500", {CURRENT: "x" * 501}, False),
    ("string-length(.) <= 500", {CURRENT: ""}, True),
    ("not(${q} = 'no')", {"q": "no"}, False),
    ("not(${q} = 'no')", {"q": "yes"}, True),
    ("not(${q} = 'no')", {"q": ""}, True),
    ("${a} != '' or ${b} = 'x'", {"a": "", "b": "x"}, True),
    ("${a} != '' or ${b} = 'x'", {"a": "hello", "b": ""}, True),
    ("${a} != '' or ${b} = 'x'", {"a": "", "b": ""}, False),
    # = and != : numbers, numeric text, text.
    ("${n} = 3", {"n": 3}, True),
    ("${n} = 3", {"n": "3"}, True),
    ("${n} = 3", {"n": "3.0"}, True),
    ("${n} = 3", {"n": " 03 "}, True),
    ("${n} = 3", {"n": "three"}, False),
    ("${n} = 3", {"n": 3.5}, False),
    ("${n} != 3", {"n": 4}, True),
    ("${n} != 3", {"n": "3"}, False),
    ("${n} = '3'", {"n": 3}, True),
    ("${n} = 4.50", {"n": 4.5}, True),
    ("${n} = -2", {"n": "-2"}, True),
    (".5 = 0.5", {}, True),
    ("${s} = 'Amina'", {"s": "Amina"}, True),
    ("${s} = 'amina'", {"s": "Amina"}, False),
    ("${s} != 'Amina'", {"s": "Amina"}, False),
    ('${s} = "it\'s"', {"s": "it's"}, True),
    ("${s} = 'say \"hi\"'", {"s": 'say "hi"'}, True),
    ("${n} = ${m}", {"n": "12", "m": 12.0}, True),
    ("${n} = ${m}", {"n": "1e3", "m": 1000}, False),
    # < <= > >= : numeric when both sides are numbers, text otherwise.
    ("${n} < 10", {"n": "9"}, True),
    ("${n} < ${m}", {"n": "9", "m": "10"}, True),
    ("${n} <= 9", {"n": 9.0}, True),
    ("${n} <= 9", {"n": 9.5}, False),
    ("${n} > 2.5", {"n": 3}, True),
    ("${n} > 2.5", {"n": 2}, False),
    ("${n} >= -2", {"n": -2}, True),
    ("${n} >= -2", {"n": "-3"}, False),
    ("${s} < 'b'", {"s": "a"}, True),
    ("${s} > 'b'", {"s": "a"}, False),
    ("${s} < 10", {"s": "abc"}, False),
    ("${s} > 10", {"s": "abc"}, False),
    # Unanswered questions.
    ("${n} < 10", {"n": ""}, False),
    ("${n} > 10", {"n": ""}, False),
    ("${n} >= 0", {"n": ""}, False),
    ("${n} = 0", {"n": ""}, False),
    ("${n} != 10", {"n": ""}, True),
    ("${n} = ''", {"n": ""}, True),
    ("${n} = ''", {"n": None}, True),
    ("${n} != ''", {"n": 0}, True),
    ("${s} < ''", {"s": "a"}, False),
    ("${s} > ''", {"s": "a"}, False),
    # Dates compare as ISO text.
    ("${d} < '2024-01-01'", {"d": "2023-12-31"}, True),
    ("${d} < '2024-01-01'", {"d": "2024-01-01"}, False),
    ("${d} >= ${start}", {"d": "2024-03-01", "start": "2024-01-01"}, True),
    ("${d} <= ${end}", {"d": "2024-07-01", "end": "2024-06-30"}, False),
    ("${d} < '2024-01-01'", {"d": ""}, False),
    ("${d} > '2024-01-01'", {"d": ""}, False),
    ("${d} = '2024-02-29'", {"d": date(2024, 2, 29)}, True),
    ("${d} > '2024-02-28'", {"d": date(2024, 2, 29)}, True),
    ("${d} > '2024-02-28'", {"d": datetime(2024, 2, 28, 9, 30)}, True),
    ("${d} = 2024", {"d": "2024-01-01"}, False),
    # Multiple choice: = compares the space-joined ids, as ODK stores them.
    ("${m} = 'a'", {"m": ["a"]}, True),
    ("${m} = 'a'", {"m": ("a",)}, True),
    ("${m} = 'a'", {"m": ["a", "b"]}, False),
    ("${m} = 'a b'", {"m": ["a", "b"]}, True),
    ("${m} = 'a b'", {"m": {"b", "a"}}, True),
    ("${m} = ''", {"m": []}, True),
    ("${m} = 3", {"m": ["3"]}, True),
    ("selected(${m}, 'b')", {"m": ["a", "b"]}, True),
    ("selected(${m}, 'c')", {"m": ["a", "b"]}, False),
    ("selected(${m}, 'b')", {"m": "a b"}, True),
    ("selected(${m}, 'b')", {"m": "b"}, True),
    ("selected(${m}, 'b')", {"m": "ab"}, False),
    ("selected(${m}, 'b')", {"m": ""}, False),
    ("selected(${m}, 'b')", {"m": []}, False),
    ("selected(${m}, ' b ')", {"m": ["b"]}, True),
    ("selected(${m}, '')", {"m": ["a"]}, False),
    ("selected(${m}, 2)", {"m": ["1", "2"]}, True),
    ("selected(., 'yes')", {CURRENT: "yes"}, True),
    ("count-selected(${m}) = 2", {"m": ["a", "b"]}, True),
    ("count-selected(${m}) = 3", {"m": "a b c"}, True),
    ("count-selected(${m}) = 0", {"m": ""}, True),
    ("count-selected(${m}) = 0", {"m": []}, True),
    ("count-selected(${m}) >= 1", {"m": None}, False),
    ("count-selected(${m}) = 1", {"m": "b"}, True),
    # Booleans, not, and, or, precedence.
    ("true()", {}, True),
    ("false()", {}, False),
    ("not(false())", {}, True),
    ("not(true())", {}, False),
    ("true() and false()", {}, False),
    ("true() or false()", {}, True),
    ("false() and false() or true()", {}, True),
    ("true() or true() and false()", {}, True),
    ("(true() or true()) and false()", {}, False),
    ("${f} = true()", {"f": True}, True),
    ("${f} = true()", {"f": "yes"}, True),
    ("${f} = true()", {"f": ""}, False),
    ("${f} != false()", {"f": "no"}, True),
    ("${f} = 1", {"f": True}, True),
    ("${f} > 0", {"f": True}, True),
    ("1 + 1 = 2 and 2 > 1", {}, True),
    ("not(${a} = 1 or ${b} = 2)", {"a": 1, "b": 3}, False),
    # Arithmetic.
    ("1 + 2 * 3 = 7", {}, True),
    ("(1 + 2) * 3 = 9", {}, True),
    ("10 - 2 - 3 = 5", {}, True),
    ("12 div 2 div 3 = 2", {}, True),
    ("7 div 2 = 3.5", {}, True),
    ("7 mod 3 = 1", {}, True),
    ("-7 mod 3 = -1", {}, True),
    ("7 mod -3 = 1", {}, True),
    ("5.5 mod 2 = 1.5", {}, True),
    ("-${n} = -5", {"n": 5}, True),
    ("- -3 = 3", {}, True),
    ("-(1 + 2) = -3", {}, True),
    ("${n} > -1", {"n": 0}, True),
    ("${n} + 1 = 6", {"n": "5"}, True),
    ("${n} * 2 = 5", {"n": "2.5"}, True),
    ("${n} + 1 = 6", {"n": ""}, False),
    ("${n} + 1 != 6", {"n": ""}, True),
    ("${n} + 1 > 0", {"n": "abc"}, False),
    ("${a} + ${b} = 10", {"a": 4, "b": "6"}, True),
    ("1 div 0 > 1000000", {}, True),
    ("-1 div 0 < -1000000", {}, True),
    ("0 div 0 = 0 div 0", {}, False),
    ("5 mod 0 = 5 mod 0", {}, False),
    ("${a}div${b} = 2", {"a": 4, "b": 2}, True),
    # string-length.
    ("string-length(${s}) = 5", {"s": "Amina"}, True),
    ("string-length(${s}) = 0", {"s": ""}, True),
    ("string-length(${s}) = 0", {"s": None}, True),
    ("string-length(${s}) = 4", {"s": ["ab", "c"]}, True),
    ("string-length(${s}) = 2", {"s": 12}, True),
    ("string-length(${s}) = 1", {"s": 2.0}, True),
    ("string-length(${s}) = 3", {"s": 2.5}, True),
    ("string-length(${s}) = 4", {"s": True}, True),
    ('string-length("it\'s") = 4', {}, True),
    ("string-length('ñandú') = 5", {}, True),
    # if.
    ("if(${age} >= 18, 'adult', 'minor') = 'adult'", {"age": 30}, True),
    ("if(${age} >= 18, 'adult', 'minor') = 'minor'", {"age": ""}, True),
    ("if(${q} = 'yes', ${n} > 0, true())", {"q": "yes", "n": 0}, False),
    # Truthiness of a bare value.
    ("${v}", {"v": "yes"}, True),
    ("${v}", {"v": "no"}, True),
    ("${v}", {"v": "0"}, True),
    ("${v}", {"v": ""}, False),
    ("${v}", {"v": None}, False),
    ("${v}", {"v": 0}, False),
    ("${v}", {"v": 0.0}, False),
    ("${v}", {"v": 3}, True),
    ("${v}", {"v": math.nan}, False),
    ("${v}", {"v": False}, False),
    ("${v}", {"v": []}, False),
    ("${v}", {"v": [""]}, False),
    ("${v}", {"v": ["a"]}, True),
    ("not(${v})", {"v": ""}, True),
    ("${a} and ${b}", {"a": "x", "b": 1}, True),
    ("${a} or ${b}", {"a": "", "b": 0}, False),
    ("'0'", {}, True),
    ("0", {}, False),
    # The current value in constraints.
    (". > 0 and . <= 120", {CURRENT: 34}, True),
    (". > 0 and . <= 120", {CURRENT: 121}, False),
    (". > 0 and . <= 120", {CURRENT: ""}, False),
    (". != ${other}", {CURRENT: "a", "other": "b"}, True),
    (". >= ${start}", {CURRENT: "2024-05-01", "start": "2024-01-01"}, True),
    # Whitespace anywhere between tokens.
    ("  ${q}='yes'  ", {"q": "yes"}, True),
    ("selected( ${m} ,'a' )\n\tand\u00a0${n}>=1", {"m": ["a"], "n": 1}, True),
    ("not(${q}='no')and(${n}+1)*2=4", {"q": "yes", "n": 1}, True),
]


@pytest.mark.parametrize(("source", "answers", "expected"), EVALUATE_CASES)
def test_evaluate(source: str, answers: dict[str, object], expected: bool) -> None:
    assert evaluate(source, answers) is expected


VALUE_CASES: list[tuple[str, dict[str, object], object]] = [
    ("1 + 2", {}, 3),
    ("2 * 3", {}, 6),
    ("7 div 2", {}, 3.5),
    ("6 div 3", {}, 2.0),
    ("10 mod 4", {}, 2),
    ("-2", {}, -2),
    ("4.5", {}, 4.5),
    ("'yes'", {}, "yes"),
    ('"it\'s"', {}, "it's"),
    ("''", {}, ""),
    ("${m}", {"m": ["a", "b"]}, ("a", "b")),
    ("${m}", {"m": {"b", "a"}}, ("a", "b")),
    ("${m}", {"m": ["a", "", None]}, ("a",)),
    ("${n}", {"n": None}, ""),
    ("${d}", {"d": date(2024, 2, 29)}, "2024-02-29"),
    ("${d}", {"d": Decimal("2.5")}, 2.5),
    ("${n} * 2", {"n": "2.5"}, 5.0),
    ("${n} + 1", {"n": "41"}, 42),
    ("count-selected(${m})", {"m": ["a", "b"]}, 2),
    ("string-length(${s})", {"s": "Amina"}, 5),
    ("if(${q} = 'yes', ${n}, 'none')", {"q": "no", "n": 3}, "none"),
    ("if(${q} = 'yes', ${n}, 'none')", {"q": "yes", "n": 3}, 3),
    ("1 = 1", {}, True),
    ("selected(${m}, 'a')", {"m": ["a"]}, True),
    ("not(1)", {}, False),
    (".", {CURRENT: ["x"]}, ("x",)),
    ("99999999999999999999 + 1", {}, 1e20),
    ("${n} * ${n}", {"n": 10**15}, 1e30),
    ("${n}", {"n": 10**5000}, math.inf),
    ("1 div 0", {}, math.inf),
    ("-1 div 0", {}, -math.inf),
    ("+".join(["1"] * 1000), {}, 1000),
]


@pytest.mark.parametrize(("source", "answers", "expected"), VALUE_CASES)
def test_value(source: str, answers: dict[str, object], expected: object) -> None:
    result = value(source, answers)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "source",
    ["${n} + 1", "0 div 0", "5 mod 0", "-${n}", "${n} * 2", "1 div 0 - 1 div 0"],
)
def test_arithmetic_on_non_numbers_gives_nan(source: str) -> None:
    result = value(source, {"n": "abc"})
    assert isinstance(result, float) and math.isnan(result)


def test_today_is_the_local_date_as_iso_text() -> None:
    before = date.today().isoformat()
    result = value("today()", {})
    assert result in {before, date.today().isoformat()}
    assert evaluate("'2000-01-01' < today()", {})
    assert not evaluate(". > today()", {CURRENT: "2000-01-01"})


ERROR_CASES: list[tuple[str, int, list[str]]] = [
    ("'yes", 1, ["unclosed string", "'"]),
    ("${q} = 'yes", 8, ["unclosed string"]),
    ('${q} = "yes', 8, ["unclosed string", '"']),
    ("(${q} = 'yes'", 14, ["expected ')'", "'(' at column 1", "end of the expression"]),
    ("((1 + 2) * 3", 13, ["expected ')'", "'(' at column 1"]),
    ("not(${q} = 'no'", 16, ["expected ')' after the arguments of not"]),
    ("selected(${q} 'a')", 15, ["expected ')' after the arguments of selected", "'a'"]),
    ("selectd(${q}, 'a')", 1, ["unknown function 'selectd'", "did you mean 'selected'"]),
    ("True()", 1, ["unknown function 'True'", "'true'"]),
    ("regex(., '[a-z]+')", 1, ["unknown function 'regex'", "string-length"]),
    ("${q} = 'a' and jr:choice-name(${q})", 16, ["unknown function 'jr:choice-name'"]),
    ("$q", 1, ["'$'", "${age}"]),
    ("${}", 3, ["expected a question name after '${'", "'}'"]),
    ("${1q}", 3, ["expected a question name", "'1'"]),
    ("${q", 4, ["expected '}'", "${q", "end of the expression"]),
    ("${my-question}", 5, ["expected '}'", "'-'"]),
    ("${ q }", 3, ["expected a question name"]),
    ("${q} = 'yes' ${b}", 14, ["expected an operator or the end", "${b}"]),
    ("1 2", 3, ["expected an operator or the end", "the number 2"]),
    ("${q} = 'yes')", 13, ["unexpected ')'", "without a matching '('"]),
    ("${a} AND ${b}", 6, ["expected an operator or the end", "'AND'"]),
    ("", 1, ["empty"]),
    ("   \n\t", 1, ["empty"]),
    ("${q} =", 7, ["expected a value", "end of the expression"]),
    ("${a} = 'x' and", 15, ["expected a value", "end of the expression"]),
    ("1 +", 4, ["expected a value"]),
    ("and ${q}", 1, ["expected a value", "'and'"]),
    ("()", 2, ["expected a value", "')'"]),
    ("selected(, 'a')", 10, ["expected a value", "','"]),
    ("selected(${q})", 1, ["selected takes 2 arguments", "given 1"]),
    ("string-length()", 1, ["string-length takes 1 argument", "given 0"]),
    ("true(1)", 1, ["true takes no arguments", "given 1"]),
    ("if(1, 2)", 1, ["if takes 3 arguments"]),
    ("not ${q}", 1, ["expected '(' after not", "not(condition)"]),
    ("true", 1, ["expected '(' after true", "true()"]),
    ("${q} = yes", 8, ["unexpected word 'yes'", "'yes'", "${yes}"]),
    ("1 < ${a} < 5", 10, ["comparisons cannot be chained", "'and'"]),
    ("${q} == 'yes'", 6, ["'='", "'=='"]),
    ("${a} / 2", 6, ["unexpected character '/'", "div"]),
    ("${a} % 2", 6, ["'%'", "mod"]),
    ("${a} && ${b}", 6, ["'&'", "and"]),
    ("!${a}", 1, ["'!'", "not("]),
    ("${q} = ‘yes’", 8, ["straight quotes"]),
    ("${q} = 'a' @", 12, ["unexpected character '@'"]),
    ("4. + 1", 2, ["expected an operator or the end", "'.'"]),
    ("not(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), 4 * MAX_DEPTH + 1, ["nested"]),
    ("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), MAX_DEPTH + 1, ["nested", "50"]),
    ("-" * (MAX_DEPTH + 1) + "1", MAX_DEPTH + 1, ["nested"]),
    ("1" + " " * MAX_LENGTH, MAX_LENGTH + 1, ["longer than 2000"]),
]


@pytest.mark.parametrize(("source", "column", "words"), ERROR_CASES)
def test_errors_point_at_the_column(source: str, column: int, words: list[str]) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    error = caught.value
    assert error.column == column, error
    for word in words:
        assert word in error.message, (word, error.message)
    assert str(error) == f"column {column}: {error.message}"


def test_nesting_up_to_the_limit_is_fine() -> None:
    deep = "not(" * MAX_DEPTH + "${q}" + ")" * MAX_DEPTH
    assert parse(deep).evaluate(lookup_in({"q": ""})) is (MAX_DEPTH % 2 == 1)
    assert parse("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH).value(lookup_in({})) == 1
    assert parse("-" * MAX_DEPTH + "1").value(lookup_in({})) == 1
    assert parse("1" + " " * (MAX_LENGTH - 1)).value(lookup_in({})) == 1


def test_the_deepest_allowed_expression_parses_and_evaluates_on_a_shallow_stack() -> None:
    """Every level of nesting in its most frame-hungry form still leaves room to spare."""
    source = "1"
    for _ in range(MAX_DEPTH):
        source = f"if(0 or 1 and 1 = 1 + 1 * {source}, 1, 1)"
    assert len(source) <= MAX_LENGTH
    assert parse(source).value(lookup_in({})) == 1


def test_errors_are_value_errors_that_pickle() -> None:
    with pytest.raises(ValueError):
        parse("${q} = ")
    error = ExpressionError("something", 7)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.column, str(copy)) == ("something", 7, "column 7: something")


def test_references_and_uses_self() -> None:
    expression = parse("selected(${themes}, 'health') and ${age} >= 18 and . != ${age}")
    assert expression.references == frozenset({"themes", "age"})
    assert expression.uses_self is True
    assert expression.source == "selected(${themes}, 'health') and ${age} >= 18 and . != ${age}"
    assert parse("'.' = '${q}'").references == frozenset()
    assert parse("'.' = '${q}'").uses_self is False
    assert parse("${a} + .5").uses_self is False
    assert parse("string-length(.)").uses_self is True


def test_expressions_are_frozen_and_compare_by_source() -> None:
    expression = parse("${q} = 'yes'")
    assert expression == parse("${q} = 'yes'")
    assert hash(expression) == hash(parse("${q} = 'yes'"))
    assert expression != parse("${q} = 'no'")
    with pytest.raises(dataclasses.FrozenInstanceError):
        expression.source = "true()"  # type: ignore[misc]
    assert "_root" not in repr(expression)


def test_if_evaluates_only_the_branch_taken_and_and_or_short_circuit() -> None:
    seen: list[str] = []

    def lookup(name: str) -> object:
        seen.append(name)
        return "x"

    assert parse("if(true(), ${a}, ${b})").value(lookup) == "x"
    assert parse("false() and ${c} = 'x'").evaluate(lookup) is False
    assert parse("true() or ${d} = 'x'").evaluate(lookup) is True
    assert seen == ["a"]


def test_errors_from_lookup_propagate() -> None:
    with pytest.raises(KeyError):
        parse("${missing} = 1").evaluate(lookup_in({}))


def test_a_lookup_may_be_a_dict_get() -> None:
    answers = {"q": "yes"}
    assert parse("${q} = 'yes' and ${other} = ''").evaluate(answers.get)


class Awkward:
    """An answer value nobody should store, whose text form cannot even be taken."""

    def __str__(self) -> str:
        raise RuntimeError("no text for you")


ODD_VALUES: list[object] = [
    None,
    [1, None, "a", 2.5, ["nested"]],
    {"a": 1},
    object(),
    Awkward(),
    [Awkward()],
    Decimal("sNaN"),
    Decimal("-Infinity"),
    10**5000,
    -(10**5000),
    math.inf,
    -math.inf,
    math.nan,
    b"bytes",
    1 + 2j,
    "\x00\ud800",
    "9" * 5000,
    "." * 100,
    date.max,
]


@pytest.mark.parametrize("odd", ODD_VALUES, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize(
    "source",
    [
        "${v}",
        ". = ${v}",
        "${v} = 3",
        "${v} != 'a'",
        "${v} < 3",
        "${v} >= '2024-01-01'",
        "${v} + 1 > 0",
        "-${v}",
        "${v} * ${v} div ${v} mod ${v}",
        "string-length(${v})",
        "count-selected(${v})",
        "selected(${v}, 'a')",
        "selected('a b', ${v})",
        "not(${v})",
        "if(${v}, ${v}, .)",
    ],
)
def test_odd_answer_values_never_raise(source: str, odd: object) -> None:
    expression = parse(source)
    result = expression.evaluate(lookup_in({"v": odd}), odd)
    assert isinstance(result, bool)
    expression.value(lookup_in({"v": odd}), odd)


# --- properties ----------------------------------------------------------------------------

QUESTION_NAMES = ["a", "b", "themes", "age", "d"]

atoms = st.one_of(
    st.sampled_from(
        [
            "'yes'",
            "'no'",
            "''",
            '"it\'s"',
            "'a b'",
            "'2024-01-01'",
            "3",
            "-2",
            "4.5",
            "0",
            ".5",
            ".",
            "true()",
            "false()",
            "today()",
        ]
    ),
    st.sampled_from(QUESTION_NAMES).map(lambda name: "${" + name + "}"),
)

OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "and", "or"]


def _compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(OPERATORS), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda c: f"not({c})"),
        children.map(lambda c: f"-({c})"),
        children.map(lambda c: f"string-length({c})"),
        children.map(lambda c: f"count-selected({c})"),
        st.tuples(children, children).map(lambda t: f"selected({t[0]}, {t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
    )


grammatical = st.recursive(atoms, _compound, max_leaves=25)

FRAGMENTS = [
    *OPERATORS,
    "${",
    "}",
    "$",
    "(",
    ")",
    ",",
    "'",
    '"',
    ".",
    " ",
    "a",
    "1",
    "2.5",
    "-",
    "not(",
    "selected(",
    "if(",
    "string-length(",
    "count-selected(",
    "true()",
    "today",
    "${a}",
    "'yes'",
]
token_soup = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["", "yes", "no", "3", " -2.5 ", "2024-01-01", "a b", ".", "1e3", "NaN"]),
    st.dates(),
    st.datetimes(),
    st.decimals(),
    st.fractions(),
)
answer_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.tuples(scalars, scalars),
    st.frozensets(st.text(max_size=5), max_size=4),
    st.dictionaries(st.text(max_size=3), scalars, max_size=2),
    st.just(Awkward()),
)
answer_sets = st.dictionaries(st.sampled_from(QUESTION_NAMES), answer_values)

PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _check_evaluates(expression: Expression, answers: dict[str, Any], current: object) -> None:
    result = expression.evaluate(answers.get, current)
    assert isinstance(result, bool)
    raw = expression.value(answers.get, current)
    assert isinstance(raw, str | int | float | bool | tuple)


@PROPERTY_SETTINGS
@given(
    source=st.one_of(st.text(max_size=60), token_soup), answers=answer_sets, current=answer_values
)
def test_any_text_parses_or_raises_expression_error(
    source: str, answers: dict[str, Any], current: object
) -> None:
    try:
        expression = parse(source)
    except ExpressionError as error:
        assert 1 <= error.column <= len(source) + 1
        assert error.message
        return
    _check_evaluates(expression, answers, current)


@PROPERTY_SETTINGS
@given(source=grammatical, answers=answer_sets, current=answer_values)
def test_grammatical_expressions_parse_and_evaluate_on_any_answers(
    source: str, answers: dict[str, Any], current: object
) -> None:
    try:
        expression = parse(source)
    except ExpressionError as error:
        # Only the size limits can reject what the grammar strategy builds.
        assert "nested" in error.message or "longer" in error.message
        return
    assert expression.references <= set(QUESTION_NAMES)
    _check_evaluates(expression, answers, current)

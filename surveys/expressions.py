"""The expression language of survey skip logic and constraints: a small, safe XLSForm subset.

Survey authors write ``relevant`` and ``constraint`` cells the way XLSForm (ODK, KoboToolbox)
does, for example ``selected(${themes}, 'health') and ${age} >= 18`` or
``string-length(.) <= 500``.  :func:`parse` turns such text into an :class:`Expression`, or
raises :class:`ExpressionError` with the 1-based column of the mistake.  Nothing here calls
Python's ``eval``: a hand-written tokenizer and recursive-descent parser build a small tree of
frozen dataclasses, and an evaluator walks it.

Grammar, loosest binding first (keywords are case-sensitive, whitespace is ignored)::

    expression  := and ('or' and)*
    and         := comparison ('and' comparison)*
    comparison  := additive (('=' | '!=' | '<' | '<=' | '>' | '>=') additive)?
    additive    := multiplicative (('+' | '-') multiplicative)*
    multiplicative := unary (('*' | 'div' | 'mod') unary)*
    unary       := '-' unary | primary
    primary     := 'text' | "text" | 3 | 4.5 | ${name} | '.' | '(' expression ')'
                 | function '(' arguments ')'

Comparisons do not chain (``1 < ${a} < 5`` is an error; write ``1 < ${a} and ${a} < 5``).
Strings have no escapes: ``"it's"`` holds an apostrophe, ``'say "hi"'`` holds double quotes.

Functions: ``not(x)``, ``true()``, ``false()``, ``if(condition, then, else)`` (only the branch
taken is evaluated), ``selected(value, 'choice')``, ``count-selected(value)``,
``string-length(value)`` and ``today()`` (the local date as ``'YYYY-MM-DD'``).

Values and how they behave, following ODK where it is sensible:

* ``${name}`` is whatever ``lookup(name)`` returns; ``.`` is the ``current`` value (the answer
  being checked by a constraint).  Unanswered is ``''``, and ``None`` is read as ``''``.
* Single choice is the choice id, yes/no is ``'yes'``/``'no'``, text is ``str``, numbers are
  ``int``/``float``, dates are ``'YYYY-MM-DD'`` (``date``/``datetime`` objects are turned into
  ISO text).  Multiple choice is a list, tuple or set of choice ids; it is read as a tuple of
  non-empty id strings (sets in sorted order).
* ``selected(x, 'a')`` is true when ``'a'`` is one of the ids of ``x``: the items of a multiple
  choice, or the space-separated words of text, so it works for single choice too.
  ``count-selected(x)`` counts those ids.
* Text form of a value: a multiple choice is its ids joined by single spaces (as ODK stores
  it), booleans are ``'true'``/``'false'``, whole numbers print without a decimal point, and
  ``string-length(x)`` is the length of that text (``''`` has length 0).
* ``=`` and ``!=``: if either side is a boolean, both are compared by truthiness (XPath's
  rule, so ``${q} = true()`` means "answered").  Otherwise both sides are compared as numbers
  when both are numbers or numeric text (``'03' = 3``), and as text otherwise.  So
  ``${multi} = 'a'`` holds when exactly ``a`` is selected, and ``${q} = ''`` when unanswered.
* ``<``, ``<=``, ``>``, ``>=``: numerically when both sides are numbers or numeric text
  (booleans count as 1 and 0); false when only one side is; as text when neither is, so ISO
  dates compare correctly.  Any comparison with ``''`` (unanswered) is false, as in XPath.
* Numeric text is ASCII digits with an optional leading ``-`` and one ``.``, surrounded by
  optional spaces: ``'3'``, ``'-2.5'``, ``' .5 '``.  Not ``'1e3'``, ``'inf'`` or ``'1_000'``.
* Arithmetic (``+ - * div mod``) reads both sides as numbers; anything that is not a number
  becomes NaN, which spreads and makes every comparison except ``!=`` false.  ``div`` always
  gives a float; dividing by zero gives infinity (or NaN for ``0 div 0``); ``mod`` keeps the
  sign of the left side and gives NaN for ``x mod 0``.  Integers beyond 10**18 become floats.
* Truthiness, for ``and``, ``or``, ``not``, ``if`` and :meth:`Expression.evaluate`: booleans
  as they are, numbers when non-zero and not NaN, text when non-empty (so ``'no'`` and
  ``'0'`` are true: compare them explicitly), multiple choice when something is selected.

Evaluation never raises on odd answer values; whatever ``lookup`` itself raises (a
``KeyError`` for an unknown question, say) does propagate, since that is the caller's contract.
Sources longer than :data:`MAX_LENGTH` characters or nested deeper than :data:`MAX_DEPTH`
levels are rejected, so hostile text cannot exhaust the stack.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from difflib import get_close_matches
from numbers import Real
from typing import Any, Literal, TypeAlias, assert_never

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Expression", "ExpressionError", "parse"]

MAX_LENGTH = 2000
MAX_DEPTH = 50

Value: TypeAlias = str | int | float | bool | tuple[str, ...]

# Integers larger than this become floats, so no operation ever builds a huge integer and
# printing one never hits Python's limit on integer-to-text conversion.
_LARGEST_INT = 10**18

_FUNCTIONS: dict[str, tuple[int, str]] = {
    "count-selected": (1, "count-selected(question)"),
    "false": (0, "false()"),
    "if": (3, "if(condition, then, else)"),
    "not": (1, "not(condition)"),
    "selected": (2, "selected(question, 'choice')"),
    "string-length": (1, "string-length(value)"),
    "today": (0, "today()"),
    "true": (0, "true()"),
}
_KEYWORDS = frozenset({"and", "or", "div", "mod"})
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})

# A name may carry an XPath prefix (jr:choice-name) only so the error can name the function.
_NAME = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*:)?[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*")
_QUESTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_NUMERIC_TEXT = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")

# Characters people type from other languages or word processors, with what to write instead.
_HINTS = {
    "/": "use 'div' to divide",
    "%": "use 'mod' for the remainder",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use '!=' to compare or not(...) to negate",
    "‘": "use straight quotes ' or \"",
    "’": "use straight quotes ' or \"",
    "“": "use straight quotes ' or \"",
    "”": "use straight quotes ' or \"",
}


class ExpressionError(ValueError):
    """A syntax or name error, with the 1-based column where it was found."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, int]]:
        # The default would call the class with the formatted text alone and fail to unpickle.
        return (type(self), (self.message, self.column))


# --- syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Constant:
    """A literal text, number or boolean."""

    value: Value


@dataclass(frozen=True, slots=True)
class Reference:
    """``${name}``: another question's answer."""

    name: str


@dataclass(frozen=True, slots=True)
class Current:
    """``.``: the answer being checked."""


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """A left-to-right chain such as ``a + b - c``."""

    # A chain rather than nested pairs keeps the tree shallow, so that ``1+1+...+1`` evaluates
    # without one Python frame per operator.
    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left op right`` with one of ``= != < <= > >=``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class And:
    """Operands joined by ``and``."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Operands joined by ``or``."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """A call to one of the known functions, its arity already checked."""

    name: str
    args: tuple[Node, ...]


Node: TypeAlias = (
    Constant | Reference | Current | Negate | Arithmetic | Comparison | And | Or | Call
)


# --- the public object ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed expression, ready to evaluate against a survey's answers."""

    source: str
    references: frozenset[str]
    uses_self: bool
    _root: Node = field(repr=False, compare=False)

    def evaluate(self, lookup: Callable[[str], object], current: object = "") -> bool:
        """Whether the expression holds (the truthiness of :meth:`value`)."""
        return _truthy(_evaluate(self._root, lookup, _normalize(current)))

    def value(self, lookup: Callable[[str], object], current: object = "") -> object:
        """The raw value: text, a number, a boolean or a tuple of choice ids."""
        return _evaluate(self._root, lookup, _normalize(current))


def parse(source: str) -> Expression:
    """Parse XLSForm-style expression text, raising ExpressionError on any mistake."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is longer than {MAX_LENGTH} characters", MAX_LENGTH + 1
        )
    if not source.strip():
        raise ExpressionError("the expression is empty", 1)
    parser = _Parser(_tokenize(source))
    try:
        root = parser.parse()
    except RecursionError:
        # The depth limit should make this unreachable; kept so a deep caller still gets a
        # clear error rather than a crash.
        raise ExpressionError("the expression is nested too deeply", 1) from None
    return Expression(source, frozenset(parser.references), parser.uses_self, root)


# --- tokenizer -----------------------------------------------------------------------------

_Kind: TypeAlias = Literal["string", "number", "ref", "self", "name", "op", "end"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    text: str
    column: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the expression"
        text = self.text if len(self.text) <= 30 else self.text[:27] + "..."
        if self.kind == "string":
            return f"the text {text}"
        if self.kind == "number":
            return f"the number {text}"
        if self.kind == "ref":
            return text
        return f"'{text}'"


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(source):
        char = source[i]
        column = i + 1
        if char.isspace():
            i += 1
            continue
        if char in "'\"":
            end = source.find(char, i + 1)
            if end < 0:
                raise ExpressionError(f"unclosed string: add the closing {char}", column)
            tokens.append(_Token("string", source[i : end + 1], column))
            i = end + 1
            continue
        if char == "$":
            i = _reference(source, i)
            tokens.append(_Token("ref", source[column - 1 : i], column))
            continue
        number = _NUMBER.match(source, i)
        if number:
            tokens.append(_Token("number", number.group(), column))
            i = number.end()
            continue
        if char == ".":
            tokens.append(_Token("self", ".", column))
            i += 1
            continue
        name = _NAME.match(source, i)
        if name:
            tokens.append(_Token("name", name.group(), column))
            i = name.end()
            continue
        pair = source[i : i + 2]
        if pair == "==":
            raise ExpressionError("use '=' to compare, not '=='", column)
        if pair in ("!=", "<=", ">="):
            tokens.append(_Token("op", pair, column))
            i += 2
            continue
        if char in "=<>+-*(),":
            tokens.append(_Token("op", char, column))
            i += 1
            continue
        hint = _HINTS.get(char)
        raise ExpressionError(
            f"unexpected character {char!r}" + (f": {hint}" if hint else ""), column
        )
    tokens.append(_Token("end", "", len(source) + 1))
    return tokens


def _reference(source: str, start: int) -> int:
    """Check the ``${name}`` at ``start`` and return the index just after it."""
    if source[start + 1 : start + 2] != "{":
        raise ExpressionError("'$' must start a question reference such as ${age}", start + 1)
    name = _QUESTION.match(source, start + 2)
    if not name:
        found = source[start + 2 : start + 3]
        what = f"found {found!r}" if found else "found the end of the expression"
        raise ExpressionError(
            f"expected a question name after '${{' (letters, digits and _), {what}", start + 3
        )
    end = name.end()
    if source[end : end + 1] != "}":
        found = source[end : end + 1]
        what = f"found {found!r}" if found else "found the end of the expression"
        raise ExpressionError(f"expected '}}' to close '${{{name.group()}', {what}", end + 1)
    return end + 1


# --- parser --------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list; one method per precedence level."""

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._position = 0
        self._depth = 0
        self.references: set[str] = set()
        self.uses_self = False

    def parse(self) -> Node:
        root = self._or()
        token = self._peek()
        if token.kind == "end":
            return root
        if token.kind == "op" and token.text == ")":
            raise ExpressionError("unexpected ')' without a matching '('", token.column)
        raise ExpressionError(
            f"expected an operator or the end of the expression, found {token.describe()}",
            token.column,
        )

    def _peek(self) -> _Token:
        return self._tokens[self._position]

    def _advance(self) -> _Token:
        token = self._tokens[self._position]
        if token.kind != "end":
            self._position += 1
        return token

    def _at(self, kind: _Kind, *texts: str) -> bool:
        token = self._peek()
        return token.kind == kind and token.text in texts

    def _or(self) -> Node:
        operands = [self._and()]
        while self._at("name", "or"):
            self._advance()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Node:
        operands = [self._comparison()]
        while self._at("name", "and"):
            self._advance()
            operands.append(self._comparison())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _comparison(self) -> Node:
        left = self._additive()
        if not self._at("op", *_COMPARISONS):
            return left
        op = self._advance().text
        right = self._additive()
        if self._at("op", *_COMPARISONS):
            raise ExpressionError(
                "comparisons cannot be chained: join them with 'and'", self._peek().column
            )
        return Comparison(op, left, right)

    def _additive(self) -> Node:
        first = self._multiplicative()
        rest: list[tuple[str, Node]] = []
        while self._at("op", "+", "-"):
            op = self._advance().text
            rest.append((op, self._multiplicative()))
        return Arithmetic(first, tuple(rest)) if rest else first

    def _multiplicative(self) -> Node:
        first = self._unary()
        rest: list[tuple[str, Node]] = []
        while self._at("op", "*") or self._at("name", "div", "mod"):
            op = self._advance().text
            rest.append((op, self._unary()))
        return Arithmetic(first, tuple(rest)) if rest else first

    def _nested(self, opener: _Token, parse: Callable[[], Node]) -> Node:
        # Parentheses, function arguments and repeated minus are the only ways to nest, and
        # each goes through here, so this one counter bounds the recursion of both the
        # parser and the evaluator.
        if self._depth >= MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested more than {MAX_DEPTH} levels deep", opener.column
            )
        self._depth += 1
        try:
            return parse()
        finally:
            self._depth -= 1

    def _unary(self) -> Node:
        if not self._at("op", "-"):
            return self._primary()
        operand = self._nested(self._advance(), self._unary)
        if isinstance(operand, Constant) and type(operand.value) in (int, float):
            # Fold "-2" into a literal so the common case needs no Negate node.
            return Constant(_fit(-_to_number(operand.value)))
        return Negate(operand)

    def _primary(self) -> Node:
        token = self._advance()
        if token.kind == "string":
            return Constant(token.text[1:-1])
        if token.kind == "number":
            return Constant(_number_literal(token.text))
        if token.kind == "ref":
            name = token.text[2:-1]
            self.references.add(name)
            return Reference(name)
        if token.kind == "self":
            self.uses_self = True
            return Current()
        if token.kind == "op" and token.text == "(":
            inner = self._nested(token, self._or)
            closing = self._peek()
            if not self._at("op", ")"):
                raise ExpressionError(
                    f"expected ')' to close the '(' at column {token.column}, "
                    f"found {closing.describe()}",
                    closing.column,
                )
            self._advance()
            return inner
        if token.kind == "name" and token.text not in _KEYWORDS:
            return self._call(token)
        raise ExpressionError(f"expected a value, found {token.describe()}", token.column)

    def _call(self, name: _Token) -> Node:
        known = _FUNCTIONS.get(name.text)
        if not self._at("op", "("):
            if known:
                raise ExpressionError(
                    f"expected '(' after {name.text}: write {known[1]}", name.column
                )
            quoted = f"quote text as '{name.text}'"
            if _QUESTION.fullmatch(name.text):
                quoted += f" or refer to a question as ${{{name.text}}}"
            raise ExpressionError(f"unexpected word '{name.text}': {quoted}", name.column)
        if not known:
            raise ExpressionError(_unknown_function(name.text), name.column)
        self._advance()
        args: list[Node] = []
        if self._at("op", ")"):
            self._advance()
        else:
            while True:
                args.append(self._nested(name, self._or))
                if self._at("op", ","):
                    self._advance()
                    continue
                if self._at("op", ")"):
                    self._advance()
                    break
                raise ExpressionError(
                    f"expected ')' after the arguments of {name.text}, "
                    f"found {self._peek().describe()}",
                    self._peek().column,
                )
        arity, signature = known
        if len(args) != arity:
            wanted = {0: "no arguments", 1: "1 argument"}.get(arity, f"{arity} arguments")
            raise ExpressionError(
                f"{name.text} takes {wanted}, as in {signature}, but was given {len(args)}",
                name.column,
            )
        if name.text in ("true", "false"):
            return Constant(name.text == "true")
        return Call(name.text, tuple(args))


def _unknown_function(name: str) -> str:
    message = f"unknown function '{name}'"
    close = get_close_matches(name, _FUNCTIONS, n=1)
    if close:
        return f"{message}: did you mean '{close[0]}'?"
    return f"{message}: the functions are {', '.join(sorted(_FUNCTIONS))}"


def _number_literal(text: str) -> int | float:
    if "." in text:
        return float(text)
    # float() of the text rounds a huge literal (or gives inf) rather than building a big int.
    return int(text) if len(text) <= 18 else float(text)


# --- evaluation ----------------------------------------------------------------------------


def _evaluate(node: Node, lookup: Callable[[str], object], current: Value) -> Value:
    # One function for every node type keeps Python frames to one per tree level.
    match node:
        case Constant(value):
            return value
        case Reference(name):
            return _normalize(lookup(name))
        case Current():
            return current
        case Negate(operand):
            return _fit(-_to_number(_evaluate(operand, lookup, current)))
        case Arithmetic(first, rest):
            result = _to_number(_evaluate(first, lookup, current))
            for op, operand in rest:
                result = _arithmetic(op, result, _to_number(_evaluate(operand, lookup, current)))
            return result
        case Comparison(op, left, right):
            return _compare(op, _evaluate(left, lookup, current), _evaluate(right, lookup, current))
        case And(operands):
            # Plain loops rather than all()/any(): a generator would add a frame per level.
            for operand in operands:  # noqa: SIM110
                if not _truthy(_evaluate(operand, lookup, current)):
                    return False
            return True
        case Or(operands):
            for operand in operands:  # noqa: SIM110
                if _truthy(_evaluate(operand, lookup, current)):
                    return True
            return False
        case Call("if", (condition, then, otherwise)):
            chosen = then if _truthy(_evaluate(condition, lookup, current)) else otherwise
            return _evaluate(chosen, lookup, current)
        case Call("today", _):
            return date.today().isoformat()
        case Call(name, args):
            values: list[Value] = []
            for arg in args:
                values.append(_evaluate(arg, lookup, current))
            return _call(name, values)
    assert_never(node)


def _call(name: str, args: list[Value]) -> Value:
    if name == "not":
        return not _truthy(args[0])
    if name == "selected":
        choice = _to_string(args[1]).strip()
        return choice != "" and choice in _choice_ids(args[0])
    if name == "count-selected":
        return len(_choice_ids(args[0]))
    if name == "string-length":
        return len(_to_string(args[0]))
    # The parser only builds calls to known functions, so this is unreachable.
    return ""


def _normalize(raw: object) -> Value:
    """Bring whatever ``lookup`` returned into the handful of types the evaluator knows."""
    if raw is None:
        return ""
    if isinstance(raw, list | tuple | set | frozenset):
        ids = [_to_string(_scalar(item)) for item in raw]
        if isinstance(raw, set | frozenset):
            ids.sort()
        return tuple(i for i in ids if i)
    return _scalar(raw)


def _scalar(raw: object) -> str | int | float | bool:
    try:
        if raw is None:
            return ""
        if isinstance(raw, bool):
            return bool(raw)
        if isinstance(raw, int):
            return _fit(int(raw))
        if isinstance(raw, str):
            return raw if type(raw) is str else str.__str__(raw)
        if isinstance(raw, float | Real | Decimal):
            return float(raw)
        if isinstance(raw, date | time):
            return raw.isoformat()
        return str(raw)
    except Exception:
        # Odd numbers (a signalling NaN) or objects whose str() fails are not worth a crash.
        return math.nan if isinstance(raw, Real | Decimal) else ""


def _fit(number: int | float) -> int | float:
    if isinstance(number, int) and abs(number) > _LARGEST_INT:
        try:
            return float(number)
        except OverflowError:
            return math.inf if number > 0 else -math.inf
    return number


def _truthy(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float):
        return value == value and value != 0
    return len(value) > 0


def _to_string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, tuple):
        return " ".join(value)
    return value


def _choice_ids(value: Value) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return tuple(_to_string(value).split())


def _parse_number(text: str) -> int | float | None:
    if not _NUMERIC_TEXT.fullmatch(text):
        return None
    text = text.strip(" \t\r\n")
    if "." in text or len(text) > 18:
        return float(text)
    return int(text)


def _as_number(value: Value) -> int | float | None:
    """The number a value stands for, or None when it is not a number (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    return _parse_number(_to_string(value))


def _to_number(value: Value) -> int | float:
    if isinstance(value, bool):
        return int(value)
    number = _as_number(value)
    return float("nan") if number is None else number


def _arithmetic(op: str, left: int | float, right: int | float) -> int | float:
    try:
        if op == "+":
            return _fit(left + right)
        if op == "-":
            return _fit(left - right)
        if op == "*":
            return _fit(left * right)
        if op == "div":
            if right == 0:
                if left == 0 or math.isnan(left):
                    return float("nan")
                return math.copysign(math.inf, left) * math.copysign(1.0, right)
            return float(left) / float(right)
        if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
            return float("nan")
        if isinstance(left, int) and isinstance(right, int):
            remainder = abs(left) % abs(right)
            return remainder if left >= 0 else -remainder
        return math.fmod(left, right)
    except (ArithmeticError, ValueError):
        return float("nan")


def _compare(op: str, left: Value, right: Value) -> bool:
    if op in ("=", "!="):
        return _equal(left, right) == (op == "=")
    if isinstance(left, bool):
        left = int(left)
    if isinstance(right, bool):
        right = int(right)
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return _ordered(op, left_number, right_number)
    if left_number is not None or right_number is not None:
        return False
    left_text, right_text = _to_string(left), _to_string(right)
    if left_text == "" or right_text == "":
        return False
    return _ordered(op, left_text, right_text)


def _equal(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return _truthy(left) == _truthy(right)
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return _to_string(left) == _to_string(right)


def _ordered(op: str, left: int | float | str, right: int | float | str) -> bool:
    # Callers pass two numbers or two strings, never a mix.
    return bool(_ORDERINGS[op](left, right))


_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

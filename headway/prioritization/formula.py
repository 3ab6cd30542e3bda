"""A small, safe expression language for custom scoring formulas.

People type formulas such as ``reach * impact * confidence / effort`` or
``if(votes > 10, log(arr, 10) * 2, 0)``. The text is read by a hand-written tokenizer and a
Pratt (precedence-climbing) parser into a small AST of frozen dataclasses, then compiled into a
tree of closures for one row at a time (:meth:`Formula.evaluate`) or into numpy operations over
whole columns (:meth:`Formula.evaluate_many`). User text never reaches ``eval``, ``compile`` or
Python's ``ast`` module, and every failure — while parsing or while evaluating — is a
:class:`FormulaError` with the 0-based character ``position`` it is about.

Grammar (lowest precedence first)::

    formula     := comparison
    comparison  := additive [("<" | "<=" | ">" | ">=" | "==" | "!=") additive]   -- yields 1 or 0,
                                                                                      not chainable
    additive    := multiplicative (("+" | "-") multiplicative)*                     -- left-assoc
    multiplicative := unary (("*" | "/") unary)*                                     -- left-assoc
    unary       := "-" unary | "+" unary | power
    power       := primary ["^" unary]                                               -- right-assoc
    primary     := number | name | name "(" [formula ("," formula)*] ")" | "(" formula ")"

* ``-2^2`` is ``-(2^2) = -4`` (power binds tighter than unary minus, as in mathematics), and
  ``2^-1`` is allowed. ``2^3^2`` is ``2^(3^2) = 512``.
* Unicode operators are accepted: ``×`` for ``*``, ``÷`` for ``/``, ``−`` for ``-``, and ``≤ ≥ ≠``.
* Numbers: ``12``, ``0.5``, ``.5``, ``1e3``, ``2.5E-2``. A literal above :data:`MAX_LITERAL` is
  rejected ("numbers too big").
* Names: an ASCII letter or underscore, then ASCII letters, digits and underscores. Names and
  function names are **case-insensitive**: they are folded to lower case, so ``Reach`` and
  ``reach`` are the same input and :attr:`Formula.names` holds lower-case names; the values
  given to :meth:`Formula.evaluate` are looked up by their lower-cased keys too.
* Functions: ``min(a, ...)``, ``max(a, ...)`` (one or more arguments), ``log(x)`` (natural) and
  ``log(x, base)``, ``sqrt(x)``, ``abs(x)``, ``if(condition, then, else)`` (the condition is true
  when it is not 0; only the chosen branch is evaluated, so ``if(x == 0, 0, 1 / x)`` is safe).

Limits: :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting (parentheses, function
calls, unary signs and powers each add a level), so parsing and evaluation never get near
Python's recursion limit. Chains of ``+ -`` or ``* /`` are flat nodes, not deep trees.

Evaluation errors (division by zero, log of a number ≤ 0, square root of a negative number,
overflow, a power that is not a real number) name the position of the operator or function that
failed. In vectorised mode such rows become NaN and are flagged in a per-row mask instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from headway.core.errors import ValidationFailed

MAX_LENGTH = 2_000
MAX_DEPTH = 50
MAX_LITERAL = 1e15

FUNCTION_ARITY: dict[str, tuple[int, int | None]] = {
    # name: (minimum arguments, maximum arguments or None for "any number")
    "min": (1, None),
    "max": (1, None),
    "log": (1, 2),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "if": (3, 3),
}

COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
_UNICODE_OPERATORS = {"×": "*", "÷": "/", "−": "-", "≤": "<=", "≥": ">=", "≠": "!="}
_TWO_CHAR_OPERATORS = ("<=", ">=", "==", "!=")
_ONE_CHAR_OPERATORS = "+-*/^(),<>"


class FormulaError(ValidationFailed):
    """A formula that cannot be parsed or evaluated; ``position`` is the 0-based character offset.

    ``pointer`` shows the offending line with a caret under the position, for a monospaced display::

        rice * foo(2)
               ^
    """

    def __init__(self, reason: str, *, text: str, position: int, field_name: str = "formula"):
        message = f"{reason} at position {position}"
        super().__init__(f"{field_name}: {message}", fields={field_name: [message]})
        self.reason = reason
        self.position = position
        self.text = text
        self.pointer = _pointer(text, position)


_POINTER_CONTEXT = 60


def _pointer(text: str, position: int) -> str:
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    if line_end == -1:
        line_end = len(text)
    # A long line is cut to a window around the position so the caret line stays readable.
    window_start = max(line_start, position - _POINTER_CONTEXT)
    window_end = min(line_end, position + _POINTER_CONTEXT)
    line = text[window_start:window_end]
    column = position - window_start
    # Tabs keep their width in the caret line so the caret lines up under the character.
    padding = "".join("\t" if char == "\t" else " " for char in line[:column])
    return f"{line}\n{padding}^"


# ── tokens ────────────────────────────────────────────────────────────────────────────────────


class Token(NamedTuple):
    kind: str  # "number", "name", "op", "end"
    text: str  # operators are normalised to their ASCII spelling; names to lower case
    position: int
    value: float = 0.0


def tokenize(text: str, *, field_name: str = "formula") -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token; raise FormulaError on a stray character."""
    tokens: list[Token] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif _is_digit(char) or (char == "." and index + 1 < length and _is_digit(text[index + 1])):
            end = _scan_number(text, index)
            literal = text[index:end]
            value = float(literal)
            if not math.isfinite(value) or value > MAX_LITERAL:
                raise FormulaError(
                    f"Number {_shorten(literal)} is too large (the limit is {MAX_LITERAL:g})",
                    text=text,
                    position=index,
                    field_name=field_name,
                )
            tokens.append(Token("number", literal, index, value))
            index = end
        elif char.isascii() and (char.isalpha() or char == "_"):
            end = index + 1
            while end < length and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
                end += 1
            tokens.append(Token("name", text[index:end].lower(), index))
            index = end
        elif text.startswith(_TWO_CHAR_OPERATORS, index):
            tokens.append(Token("op", text[index : index + 2], index))
            index += 2
        elif char in _ONE_CHAR_OPERATORS:
            tokens.append(Token("op", char, index))
            index += 1
        elif char in _UNICODE_OPERATORS:
            tokens.append(Token("op", _UNICODE_OPERATORS[char], index))
            index += 1
        elif char == "=":
            raise FormulaError("Use '==' to compare, not '='", text=text, position=index, field_name=field_name)
        else:
            raise FormulaError(f"Unexpected character {char!r}", text=text, position=index, field_name=field_name)
    tokens.append(Token("end", "", length))
    return tokens


def _is_digit(char: str) -> bool:
    # Only ASCII digits: str.isdigit() is also true for "１" or "²", which float() cannot read.
    return "0" <= char <= "9"


def _scan_number(text: str, start: int) -> int:
    end = start
    length = len(text)
    while end < length and _is_digit(text[end]):
        end += 1
    if end < length and text[end] == ".":
        end += 1
        while end < length and _is_digit(text[end]):
            end += 1
    if end < length and text[end] in "eE":
        exponent_end = end + 1
        if exponent_end < length and text[exponent_end] in "+-":
            exponent_end += 1
        if exponent_end < length and _is_digit(text[exponent_end]):
            while exponent_end < length and _is_digit(text[exponent_end]):
                exponent_end += 1
            end = exponent_end
    return end


def _shorten(literal: str) -> str:
    return literal if len(literal) <= 20 else literal[:17] + "..."


# ── AST ───────────────────────────────────────────────────────────────────────────────────────
# Positions are excluded from equality so that a printed-and-reparsed formula equals the original.


@dataclass(frozen=True)
class Number:
    value: float
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:
    operator: str  # "-" or "+"
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Link:
    """One ``<operator> <operand>`` step of a :class:`Chain`."""

    operator: str
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Chain:
    """``first op operand op operand …`` for the left-associative ``+ -`` or ``* /`` levels."""

    first: Node
    rest: tuple[Link, ...]


@dataclass(frozen=True)
class Binary:
    """``^`` (power) or a comparison."""

    operator: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple[Node, ...]
    position: int = field(default=0, compare=False)


Node = Number | Name | Unary | Chain | Binary | Call

_ADDITIVE = ("+", "-")
_MULTIPLICATIVE = ("*", "/")


def to_text(node: Node) -> str:
    """Print an AST back to formula text; parsing the result gives an equal AST."""
    match node:
        case Number(value=value):
            return repr(value)
        case Name(name=name):
            return name
        case Call(function=function, arguments=arguments):
            return f"{function}({', '.join(to_text(argument) for argument in arguments)})"
        case Unary(operator=operator, operand=operand):
            return f"{operator}{_wrapped(operand)}"
        case Chain(first=first, rest=rest):
            return _wrapped(first) + "".join(f" {link.operator} {_wrapped(link.operand)}" for link in rest)
        case Binary(operator=operator, left=left, right=right):
            return f"{_wrapped(left)} {operator} {_wrapped(right)}"
    raise TypeError(f"not a formula node: {node!r}")  # pragma: no cover - the match is exhaustive


def _wrapped(node: Node) -> str:
    if isinstance(node, Number | Name | Call):
        return to_text(node)
    return f"({to_text(node)})"


# ── parser ────────────────────────────────────────────────────────────────────────────────────


class _Parser:
    def __init__(self, text: str, tokens: list[Token], known_names: frozenset[str] | None, field_name: str):
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.known_names = known_names
        self.field_name = field_name
        self.names: set[str] = set()

    def error(self, reason: str, position: int) -> FormulaError:
        return FormulaError(reason, text=self.text, position=position, field_name=self.field_name)

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_operator(self, *operators: str) -> bool:
        return self.current.kind == "op" and self.current.text in operators

    def parse_formula(self) -> Node:
        if self.current.kind == "end":
            raise self.error("The formula is empty", 0)
        node = self.parse_expression()
        token = self.current
        if token.kind != "end":
            if token.text == ")":
                raise self.error("Unmatched ')'", token.position)
            raise self.error(
                f"Unexpected {_describe(token)}; expected an operator or the end of the formula", token.position
            )
        return node

    def enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"The formula nests too deeply (more than {MAX_DEPTH} levels)", position)

    def parse_expression(self, opened_at: int | None = None) -> Node:
        """comparison := additive [comparison-operator additive]; ``opened_at`` is the position of the
        '(' or ',' that starts this level, which is where a too-deep error points."""
        self.enter(self.current.position if opened_at is None else opened_at)
        left = self.parse_chain(_ADDITIVE, self.parse_term)
        if self.at_operator(*COMPARISONS):
            operator_token = self.advance()
            right = self.parse_chain(_ADDITIVE, self.parse_term)
            left = Binary(operator_token.text, left, right, operator_token.position)
            if self.at_operator(*COMPARISONS):
                raise self.error("Comparisons cannot be chained; add parentheses", self.current.position)
        self.depth -= 1
        return left

    def parse_term(self) -> Node:
        return self.parse_chain(_MULTIPLICATIVE, self.parse_unary)

    def parse_chain(self, operators: tuple[str, ...], parse_operand: Callable[[], Node]) -> Node:
        first = parse_operand()
        links: list[Link] = []
        while self.at_operator(*operators):
            operator_token = self.advance()
            links.append(Link(operator_token.text, parse_operand(), operator_token.position))
        return Chain(first, tuple(links)) if links else first

    def parse_unary(self) -> Node:
        if self.at_operator("-", "+"):
            operator_token = self.advance()
            self.enter(operator_token.position)
            operand = self.parse_unary()
            self.depth -= 1
            return Unary(operator_token.text, operand, operator_token.position)
        return self.parse_power()

    def parse_power(self) -> Node:
        base = self.parse_primary()
        if self.at_operator("^"):
            operator_token = self.advance()
            self.enter(operator_token.position)
            exponent = self.parse_unary()  # right-associative: 2^3^2 = 2^(3^2); 2^-1 allowed
            self.depth -= 1
            return Binary("^", base, exponent, operator_token.position)
        return base

    def parse_primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Number(token.value, token.position)
        if token.kind == "name":
            self.advance()
            if self.at_operator("("):
                return self.parse_call(token)
            if token.text in FUNCTION_ARITY:
                raise self.error(f"Function '{token.text}' needs parentheses, e.g. {token.text}(…)", token.position)
            if self.known_names is not None and token.text not in self.known_names:
                raise self.error(f"Unknown name '{token.text}'", token.position)
            self.names.add(token.text)
            return Name(token.text, token.position)
        if self.at_operator("("):
            self.advance()
            inner = self.parse_expression(token.position)
            self.expect_closing(token)
            return inner
        if token.kind == "end":
            raise self.error("The formula ends too early; expected a number, a name or '('", token.position)
        raise self.error(f"Unexpected {_describe(token)}; expected a number, a name or '('", token.position)

    def parse_call(self, name_token: Token) -> Node:
        function = name_token.text
        if function not in FUNCTION_ARITY:
            raise self.error(f"Unknown function '{function}'", name_token.position)
        opening = self.advance()
        arguments: list[Node] = []
        if not self.at_operator(")"):
            arguments.append(self.parse_expression(opening.position))
            while self.at_operator(","):
                comma = self.advance()
                arguments.append(self.parse_expression(comma.position))
        self.expect_closing(opening)
        minimum, maximum = FUNCTION_ARITY[function]
        if len(arguments) < minimum or (maximum is not None and len(arguments) > maximum):
            raise self.error(
                f"Function '{function}' takes {_arity_text(minimum, maximum)}, got {len(arguments)}",
                name_token.position,
            )
        return Call(function, tuple(arguments), name_token.position)

    def expect_closing(self, opening: Token) -> None:
        if self.at_operator(")"):
            self.advance()
            return
        if self.current.kind == "end":
            raise self.error("Unclosed '('", opening.position)
        raise self.error(f"Unexpected {_describe(self.current)}; expected ')' or an operator", self.current.position)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of the formula"
    if token.kind == "number":
        return f"number {_shorten(token.text)}"
    if token.kind == "name":
        return f"name '{token.text}'"
    return f"'{token.text}'"


def _arity_text(minimum: int, maximum: int | None) -> str:
    if maximum is None:
        return f"at least {minimum} argument{'s' if minimum != 1 else ''}"
    if minimum == maximum:
        return f"{minimum} argument{'s' if minimum != 1 else ''}"
    return f"{minimum} to {maximum} arguments"


# ── scalar evaluation: a tree of closures ─────────────────────────────────────────────────────

Scalar = Callable[[Mapping[str, float]], float]


class _EvaluationFailure(Exception):
    """Raised inside the closures with a reason and position; turned into FormulaError at the top."""

    def __init__(self, reason: str, position: int):
        super().__init__(reason)
        self.reason = reason
        self.position = position


def _finite(value: float, position: int, what: str) -> float:
    if not math.isfinite(value):
        raise _EvaluationFailure(f"The result of {what} is too large", position)
    return value


def _compile_scalar(node: Node) -> Scalar:
    match node:
        case Number(value=value):
            return lambda values: value
        case Name(name=name, position=position):

            def read(values: Mapping[str, float]) -> float:
                try:
                    return values[name]
                except KeyError:
                    raise _EvaluationFailure(f"No value for '{name}'", position) from None

            return read
        case Unary(operator=operator, operand=operand):
            inner = _compile_scalar(operand)
            if operator == "+":
                return inner
            return lambda values: -inner(values)
        case Chain(first=first, rest=rest):
            return _compile_scalar_chain(first, rest)
        case Binary(operator="^", left=left, right=right, position=position):
            base_of, exponent_of = _compile_scalar(left), _compile_scalar(right)
            return lambda values: _power(base_of(values), exponent_of(values), position)
        case Binary(operator=operator, left=left, right=right):
            compare = _SCALAR_COMPARISONS[operator]
            left_of, right_of = _compile_scalar(left), _compile_scalar(right)
            return lambda values: 1.0 if compare(left_of(values), right_of(values)) else 0.0
        case Call(function=function, arguments=arguments, position=position):
            return _compile_scalar_call(function, [_compile_scalar(argument) for argument in arguments], position)
    raise TypeError(f"not a formula node: {node!r}")  # pragma: no cover


_SCALAR_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _compile_scalar_chain(first: Node, rest: tuple[Link, ...]) -> Scalar:
    first_of = _compile_scalar(first)
    steps = [(link.operator, _compile_scalar(link.operand), link.position) for link in rest]

    def chain(values: Mapping[str, float]) -> float:
        result = first_of(values)
        for operator, operand_of, position in steps:
            operand = operand_of(values)
            if operator == "+":
                result = _finite(result + operand, position, "'+'")
            elif operator == "-":
                result = _finite(result - operand, position, "'-'")
            elif operator == "*":
                result = _finite(result * operand, position, "'*'")
            else:
                if operand == 0:
                    raise _EvaluationFailure("Division by zero in '/'", position)
                result = _finite(result / operand, position, "'/'")
        return result

    return chain


def _power(base: float, exponent: float, position: int) -> float:
    if base == 0 and exponent < 0:
        raise _EvaluationFailure("Zero raised to a negative power in '^'", position)
    if base < 0 and not exponent.is_integer():
        raise _EvaluationFailure("A negative number raised to a fractional power in '^' is not a real number", position)
    try:
        return _finite(math.pow(base, exponent), position, "'^'")
    except OverflowError:
        raise _EvaluationFailure("The result of '^' is too large", position) from None


def _compile_scalar_call(function: str, arguments: list[Scalar], position: int) -> Scalar:
    if function == "if":
        condition_of, then_of, else_of = arguments
        return lambda values: then_of(values) if condition_of(values) != 0 else else_of(values)
    if function == "min":
        return lambda values: min(argument(values) for argument in arguments)
    if function == "max":
        return lambda values: max(argument(values) for argument in arguments)
    if function == "abs":
        (operand_of,) = arguments
        return lambda values: abs(operand_of(values))
    if function == "sqrt":
        (operand_of,) = arguments

        def square_root(values: Mapping[str, float]) -> float:
            operand = operand_of(values)
            if operand < 0:
                raise _EvaluationFailure("Square root of a negative number in 'sqrt'", position)
            return math.sqrt(operand)

        return square_root
    # log(x) or log(x, base)
    operand_of = arguments[0]
    base_of = arguments[1] if len(arguments) == 2 else None

    def logarithm(values: Mapping[str, float]) -> float:
        operand = operand_of(values)
        if operand <= 0:
            raise _EvaluationFailure("Logarithm of a number that is not above 0 in 'log'", position)
        if base_of is None:
            return math.log(operand)
        base = base_of(values)
        if base <= 0 or base == 1:
            raise _EvaluationFailure("The base of 'log' must be above 0 and not 1", position)
        return math.log(operand) / math.log(base)

    return logarithm


# ── vectorised evaluation: numpy over columns, with a per-row failure mask ────────────────────


class _Column(NamedTuple):
    values: np.ndarray  # float64
    failed: np.ndarray  # bool: this row hit a math error somewhere in the chosen branches


Vector = Callable[[Mapping[str, np.ndarray], int], _Column]


def _compile_vector(node: Node) -> Vector:
    match node:
        case Number(value=value):
            return lambda columns, rows: _Column(np.full(rows, value), np.zeros(rows, dtype=bool))
        case Name(name=name):
            return lambda columns, rows: _Column(columns[name], np.zeros(rows, dtype=bool))
        case Unary(operator=operator, operand=operand):
            inner = _compile_vector(operand)
            if operator == "+":
                return inner

            def negate(columns: Mapping[str, np.ndarray], rows: int) -> _Column:
                result = inner(columns, rows)
                return _Column(-result.values, result.failed)

            return negate
        case Chain(first=first, rest=rest):
            first_of = _compile_vector(first)
            steps = [(link.operator, _compile_vector(link.operand)) for link in rest]

            def chain(columns: Mapping[str, np.ndarray], rows: int) -> _Column:
                result = first_of(columns, rows)
                values, failed = result.values, result.failed
                for operator, operand_of in steps:
                    operand = operand_of(columns, rows)
                    failed = failed | operand.failed
                    if operator == "+":
                        values = values + operand.values
                    elif operator == "-":
                        values = values - operand.values
                    elif operator == "*":
                        values = values * operand.values
                    else:
                        failed = failed | (operand.values == 0)
                        values = values / operand.values
                    failed = failed | ~np.isfinite(values)
                return _Column(values, failed)

            return chain
        case Binary(operator="^", left=left, right=right):
            base_of, exponent_of = _compile_vector(left), _compile_vector(right)

            def power(columns: Mapping[str, np.ndarray], rows: int) -> _Column:
                base, exponent = base_of(columns, rows), exponent_of(columns, rows)
                values = np.power(base.values, exponent.values)
                not_real = (base.values < 0) & (exponent.values != np.floor(exponent.values))
                failed = base.failed | exponent.failed | not_real | ~np.isfinite(values)
                return _Column(values, failed)

            return power
        case Binary(operator=operator, left=left, right=right):
            compare = _VECTOR_COMPARISONS[operator]
            left_of, right_of = _compile_vector(left), _compile_vector(right)

            def comparison(columns: Mapping[str, np.ndarray], rows: int) -> _Column:
                a, b = left_of(columns, rows), right_of(columns, rows)
                return _Column(compare(a.values, b.values).astype(np.float64), a.failed | b.failed)

            return comparison
        case Call(function=function, arguments=arguments):
            return _compile_vector_call(function, [_compile_vector(argument) for argument in arguments])
    raise TypeError(f"not a formula node: {node!r}")  # pragma: no cover


_VECTOR_COMPARISONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _compile_vector_call(function: str, arguments: list[Vector]) -> Vector:
    def call(columns: Mapping[str, np.ndarray], rows: int) -> _Column:
        evaluated = [argument(columns, rows) for argument in arguments]
        if function == "if":
            condition, then, otherwise = evaluated
            chosen = condition.values != 0
            values = np.where(chosen, then.values, otherwise.values)
            # A row fails only through the branch it takes, as in scalar evaluation.
            failed = condition.failed | np.where(chosen, then.failed, otherwise.failed)
            return _Column(values, failed)
        failed = np.logical_or.reduce([argument.failed for argument in evaluated])
        first = evaluated[0].values
        if function == "min":
            return _Column(np.minimum.reduce([argument.values for argument in evaluated]), failed)
        if function == "max":
            return _Column(np.maximum.reduce([argument.values for argument in evaluated]), failed)
        if function == "abs":
            return _Column(np.abs(first), failed)
        if function == "sqrt":
            return _Column(np.sqrt(first), failed | (first < 0))
        values = np.log(first)
        failed = failed | (first <= 0)
        if len(evaluated) == 2:
            base = evaluated[1].values
            failed = failed | (base <= 0) | (base == 1)
            values = values / np.log(base)
        return _Column(values, failed)

    return call


# ── the public object ─────────────────────────────────────────────────────────────────────────


class BatchResult(NamedTuple):
    values: np.ndarray  # float64; NaN where ``failed``
    failed: np.ndarray  # bool per row: a math error (division by zero, log of ≤ 0, overflow, …)


@dataclass(frozen=True, eq=False)
class Formula:
    """A parsed formula: ``names`` it reads, ``evaluate`` for one row, ``evaluate_many`` for columns."""

    text: str
    tree: Node
    names: frozenset[str]
    field_name: str = "formula"
    _scalar: Scalar = field(init=False, repr=False)
    _vector: Vector = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_scalar", _compile_scalar(self.tree))
        object.__setattr__(self, "_vector", _compile_vector(self.tree))

    def __str__(self) -> str:
        return to_text(self.tree)

    def _error(self, reason: str, position: int) -> FormulaError:
        return FormulaError(reason, text=self.text, position=position, field_name=self.field_name)

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The formula's value for one row; every problem is a FormulaError naming its position.

        ``values`` maps input names (any case) to finite numbers; names the formula does not use
        are ignored. A missing value is an error only when evaluation reaches it (the branch of an
        ``if`` that is not taken is not evaluated).
        """
        row: dict[str, float] = {}
        for name, value in values.items():
            key = name.lower()
            if key not in self.names:
                continue
            number = _as_number(value)
            if number is None:
                raise self._error(f"The value of '{key}' is not a finite number", self._first_use(key))
            row[key] = number
        try:
            result = self._scalar(row)
        except _EvaluationFailure as failure:
            raise self._error(failure.reason, failure.position) from None
        except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:  # belt and braces
            raise self._error(f"The formula cannot be evaluated ({type(exc).__name__})", 0) from None
        if not math.isfinite(result):
            raise self._error("The formula's result is not a finite number", 0)
        return float(result)

    def evaluate_many(self, columns: Mapping[str, np.ndarray | Iterable[float]]) -> np.ndarray:
        """The formula over whole columns: a float64 array, NaN in rows with a math error.

        Every column must have the same length; a missing column is a FormulaError. Use
        :meth:`evaluate_many_with_mask` for the per-row failure mask (it equals ``np.isnan`` of
        this result, since failed rows and only those are NaN).
        """
        return self.evaluate_many_with_mask(columns).values

    def evaluate_many_with_mask(self, columns: Mapping[str, np.ndarray | Iterable[float]]) -> BatchResult:
        """Like :meth:`evaluate_many` plus the mask of rows that failed (also rows whose inputs are
        NaN or infinite)."""
        arrays: dict[str, np.ndarray] = {}
        for name, column in columns.items():
            key = name.lower()
            if key in self.names:
                try:
                    arrays[key] = np.asarray(column, dtype=np.float64)
                except (TypeError, ValueError):
                    raise self._error(f"The values of '{key}' are not all numbers", self._first_use(key)) from None
        missing = sorted(self.names - arrays.keys())
        if missing:
            raise self._error(f"No values for '{missing[0]}'", self._first_use(missing[0]))
        lengths = {array.shape for array in arrays.values()}
        if len(lengths) > 1 or any(len(shape) != 1 for shape in lengths):
            raise self._error("The input columns must be one-dimensional and of the same length", 0)
        rows = next(iter(lengths))[0] if lengths else _rows_hint(columns)
        bad_input = np.zeros(rows, dtype=bool)
        for array in arrays.values():
            bad_input |= ~np.isfinite(array)
        with np.errstate(all="ignore"):
            result = self._vector(arrays, rows)
            values = np.array(np.broadcast_to(result.values, (rows,)), dtype=np.float64)
            failed = np.broadcast_to(result.failed, (rows,)) | bad_input | ~np.isfinite(values)
        values[failed] = np.nan
        return BatchResult(values, failed)

    def _first_use(self, name: str) -> int:
        position = _find_name(self.tree, name)
        return 0 if position is None else position


def _rows_hint(columns: Mapping[str, np.ndarray | Iterable[float]]) -> int:
    """The row count for a formula that reads no inputs (a constant): the longest given column."""
    sizes = [len(np.asarray(column)) for column in columns.values()]
    return max(sizes, default=1)


def _find_name(node: Node, name: str) -> int | None:
    """The position of the first use of ``name`` in the tree, or None."""
    if isinstance(node, Name):
        return node.position if node.name == name else None
    children: tuple[Node, ...]
    match node:
        case Unary(operand=operand):
            children = (operand,)
        case Chain(first=first, rest=rest):
            children = (first, *(link.operand for link in rest))
        case Binary(left=left, right=right):
            children = (left, right)
        case Call(arguments=arguments):
            children = arguments
        case _:
            children = ()
    for child in children:
        found = _find_name(child, name)
        if found is not None:
            return found
    return None


def _as_number(value: object) -> float | None:
    if isinstance(value, bool | int | float | np.integer | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def parse(text: str, *, known_names: Iterable[str] | None = None, field_name: str = "formula") -> Formula:
    """Parse formula text into a :class:`Formula`, or raise :class:`FormulaError` with its position.

    ``known_names``: when given, any other name is an error ("Unknown name 'x' at position 4");
    compared case-insensitively. ``field_name`` is the form field errors are filed under.
    """
    if not isinstance(text, str):
        raise FormulaError("The formula must be text", text="", position=0, field_name=field_name)
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"The formula is too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
            text=text,
            position=MAX_LENGTH,
            field_name=field_name,
        )
    known = None if known_names is None else frozenset(name.lower() for name in known_names)
    tokens = tokenize(text, field_name=field_name)
    parser = _Parser(text, tokens, known, field_name)
    tree = parser.parse_formula()
    return Formula(text=text, tree=tree, names=frozenset(parser.names), field_name=field_name)

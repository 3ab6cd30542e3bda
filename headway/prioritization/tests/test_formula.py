"""The custom-formula language: grammar, exact error positions, hostile input, and property tests
against a reference evaluator built together with the formula text."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.core.errors import ValidationFailed
from headway.prioritization.formula import (
    MAX_DEPTH,
    MAX_LENGTH,
    Formula,
    FormulaError,
    parse,
    to_text,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value_of(text: str, **values: float) -> float:
    return parse(text).evaluate(values)


def error_of(text: str, *, known_names: list[str] | None = None, **values: float) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        parse(text, known_names=known_names).evaluate(values)
    return caught.value


# ── grammar ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),  # left-associative
        ("64 / 4 / 2", 8.0),
        ("2 ^ 3 ^ 2", 512.0),  # right-associative
        ("-2 ^ 2", -4.0),  # power before unary minus
        ("2 ^ -1", 0.5),
        ("--3", 3.0),
        ("+3", 3.0),
        ("1e3 + .5 + 2.5E-1", 1000.75),
        ("6 × 7", 42.0),
        ("84 ÷ 2", 42.0),
        ("50 − 8", 42.0),
        ("3 < 4", 1.0),
        ("3 <= 3", 1.0),
        ("3 > 4", 0.0),
        ("3 >= 4", 0.0),
        ("3 == 3", 1.0),
        ("3 != 3", 0.0),
        ("2 ≤ 1", 0.0),
        ("2 ≥ 1", 1.0),
        ("2 ≠ 1", 1.0),
        ("1 + 1 < 3", 1.0),  # comparison binds loosest
        ("min(4, 2, 9)", 2.0),
        ("max(4, 2, 9)", 9.0),
        ("min(7)", 7.0),
        ("abs(-3)", 3.0),
        ("sqrt(16)", 4.0),
        ("log(1)", 0.0),
        ("log(1000, 10)", pytest.approx(3.0, rel=1e-15)),
        ("if(1, 10, 20)", 10.0),
        ("if(0, 10, 20)", 20.0),
        ("if(2 > 1, 10, 20)", 10.0),
        ("MAX(1, 2)", 2.0),  # function names are case-insensitive
    ],
)
def test_evaluates(text: str, expected: float) -> None:
    assert value_of(text) == expected


def test_rice_as_a_formula() -> None:
    formula = parse("reach * impact * confidence / effort")
    assert formula.names == frozenset({"reach", "impact", "confidence", "effort"})
    assert formula.evaluate({"reach": 500, "impact": 2, "confidence": 0.8, "effort": 2}) == 400.0


def test_names_are_case_insensitive() -> None:
    formula = parse("Reach * REACH + reach")
    assert formula.names == frozenset({"reach"})
    assert formula.evaluate({"REACH": 3}) == 12.0


def test_if_evaluates_only_the_chosen_branch() -> None:
    assert value_of("if(x == 0, 0, 1 / x)", x=0) == 0.0
    assert value_of("if(x == 0, 0, 1 / x)", x=4) == 0.25


def test_unused_values_are_ignored() -> None:
    assert value_of("a + 1", a=1, b=float("nan")) == 2.0


def test_printing_the_tree() -> None:
    assert str(parse("a-(b-c)*-2^x")) == "a - ((b - c) * (-(2.0 ^ x)))"
    assert to_text(parse("max(a,b) >= 3").tree) == "max(a, b) >= 3.0"


# ── errors: exact positions and messages ──────────────────────────────────────────────────────


def test_unknown_function_points_at_it() -> None:
    error = error_of("rice * foo(2)")
    assert error.position == 7
    assert error.reason == "Unknown function 'foo'"
    assert error.message == "formula: Unknown function 'foo' at position 7"
    assert error.fields == {"formula": ["Unknown function 'foo' at position 7"]}
    assert error.pointer == "rice * foo(2)\n       ^"
    assert isinstance(error, ValidationFailed)


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "The formula is empty"),
        ("   ", 0, "The formula is empty"),
        ("(1 + 2", 0, "Unclosed '('"),
        ("2 * (1 + (2)", 4, "Unclosed '('"),
        ("1 + 2)", 5, "Unmatched ')'"),
        ("1 2", 2, "Unexpected number 2; expected an operator or the end of the formula"),
        ("1 +", 3, "The formula ends too early; expected a number, a name or '('"),
        ("* 2", 0, "Unexpected '*'; expected a number, a name or '('"),
        ("()", 1, "Unexpected ')'; expected a number, a name or '('"),
        ("max(1 2)", 6, "Unexpected number 2; expected ')' or an operator"),
        ("sqrt(1, 2)", 0, "Function 'sqrt' takes 1 argument, got 2"),
        ("1 + if(1, 2)", 4, "Function 'if' takes 3 arguments, got 2"),
        ("log()", 0, "Function 'log' takes 1 to 2 arguments, got 0"),
        ("max()", 0, "Function 'max' takes at least 1 argument, got 0"),
        ("2 * sqrt", 4, "Function 'sqrt' needs parentheses, e.g. sqrt(…)"),
        ("a < b < c", 6, "Comparisons cannot be chained; add parentheses"),
        ("a = b", 2, "Use '==' to compare, not '='"),
        ("price € 2", 6, "Unexpected character '€'"),
        ("1e16", 0, "Number 1e16 is too large (the limit is 1e+15)"),
        ("2 + 1e400", 4, "Number 1e400 is too large (the limit is 1e+15)"),
    ],
)
def test_parse_errors(text: str, position: int, reason: str) -> None:
    error = error_of(text)
    assert (error.position, error.reason) == (position, reason)
    assert error.message == f"formula: {reason} at position {position}"


def test_unknown_name_with_known_names() -> None:
    error = error_of("reach * impakt", known_names=["reach", "impact"])
    assert (error.position, error.reason) == (8, "Unknown name 'impakt'")
    assert parse("REACH", known_names=["reach"]).names == frozenset({"reach"})


def test_field_name_is_configurable() -> None:
    with pytest.raises(FormulaError) as caught:
        parse("1 +", field_name="expression")
    assert caught.value.fields == {
        "expression": ["The formula ends too early; expected a number, a name or '(' at position 3"]
    }


def test_pointer_on_a_later_line_and_a_long_line() -> None:
    error = error_of("1 +\n  2 $ 3")
    assert error.position == 8
    assert error.pointer == "  2 $ 3\n    ^"
    long_text = "a + " * 100 + "$"
    error = error_of(long_text)
    assert error.position == 400
    assert error.pointer == long_text[340:401] + "\n" + " " * 60 + "^"


@pytest.mark.parametrize(
    ("text", "values", "position", "reason"),
    [
        ("1 / 0", {}, 2, "Division by zero in '/'"),
        ("x / 0", {"x": 0}, 2, "Division by zero in '/'"),
        ("4 * 2 / (x - 1)", {"x": 1}, 6, "Division by zero in '/'"),
        ("log(x)", {"x": 0}, 0, "Logarithm of a number that is not above 0 in 'log'"),
        ("1 + log(x)", {"x": -1}, 4, "Logarithm of a number that is not above 0 in 'log'"),
        ("log(8, 1)", {}, 0, "The base of 'log' must be above 0 and not 1"),
        ("sqrt(x)", {"x": -4}, 0, "Square root of a negative number in 'sqrt'"),
        ("0 ^ -1", {}, 2, "Zero raised to a negative power in '^'"),
        ("(-8) ^ 0.5", {}, 5, "A negative number raised to a fractional power in '^' is not a real number"),
        ("9^9^9^9", {}, 3, "The result of '^' is too large"),
        ("x * x * x", {"x": 1e150}, 6, "The result of '*' is too large"),
        ("x + x", {"x": 1.7e308}, 2, "The result of '+' is too large"),
        ("x + 1", {}, 0, "No value for 'x'"),
        ("1 + ghost", {}, 4, "No value for 'ghost'"),
        ("1 + x", {"x": float("inf")}, 4, "The value of 'x' is not a finite number"),
        ("1 + x", {"x": "3"}, 4, "The value of 'x' is not a finite number"),
    ],
)
def test_evaluation_errors(text: str, values: dict[str, float], position: int, reason: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text).evaluate(values)
    assert (caught.value.position, caught.value.reason) == (position, reason)


# ── hostile input ─────────────────────────────────────────────────────────────────────────────


def test_ten_thousand_parentheses_are_rejected_for_length() -> None:
    error = error_of("(" * 10_000 + "1" + ")" * 10_000)
    assert (error.position, error.reason) == (
        MAX_LENGTH,
        "The formula is too long (20,001 characters; the limit is 2,000)",
    )


def test_nesting_deeper_than_the_limit_names_the_first_level_too_many() -> None:
    ok = "(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)
    assert value_of(ok) == 1.0
    error = error_of("(" * 900 + "1" + ")" * 900)
    assert (error.position, error.reason) == (MAX_DEPTH - 1, "The formula nests too deeply (more than 50 levels)")


@pytest.mark.parametrize("text", ["-" * 1999 + "1", "2^" * 999 + "2", "sqrt(" * 300 + "1" + ")" * 300])
def test_other_deep_nesting_is_rejected_without_recursion_error(text: str) -> None:
    assert "nests too deeply" in error_of(text).reason


def test_long_flat_chains_evaluate_without_recursion() -> None:
    text = "+".join(["1"] * 1000)
    assert len(text) == 1999
    assert value_of(text) == 1000.0


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("__import__('os')", 10 + 1, 'Unexpected character "\'"'),
        ("__import__(1)", 0, "Unknown function '__import__'"),
        ("().__class__", 2, "Unexpected character '.'"),
        ("x.__class__", 1, "Unexpected character '.'"),
        ("open('/etc/passwd')", 5, 'Unexpected character "\'"'),
        ("exec(1)", 0, "Unknown function 'exec'"),
        ("lambda: 1", 6, "Unexpected character ':'"),
        ("[1, 2]", 0, "Unexpected character '['"),
        ("naïve + 1", 2, "Unexpected character 'ï'"),
        ("１ + 1", 0, "Unexpected character '１'"),  # a full-width digit is not a digit here
    ],
)
def test_python_syntax_is_not_understood(text: str, position: int, reason: str) -> None:
    error = error_of(text)
    assert (error.position, error.reason) == (position, reason)


def test_non_text_is_a_formula_error() -> None:
    with pytest.raises(FormulaError):
        parse(None)  # type: ignore[arg-type]


# ── property tests against a reference evaluator ──────────────────────────────────────────────
# Each strategy yields (text, expected) built together; expected None means "must be an error".


def _combine(op: str, left: tuple[str, float | None], right: tuple[str, float | None]) -> tuple[str, float | None]:
    (left_text, a), (right_text, b) = left, right
    text = f"({left_text} {op} {right_text})"
    if a is None or b is None:
        return text, None
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif op == "/":
        if b == 0:
            return text, None
        result = a / b
    else:
        result = float({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op])
    return text, (result if math.isfinite(result) else None)


def _call(name: str, arguments: list[tuple[str, float | None]]) -> tuple[str, float | None]:
    text = f"{name}({', '.join(argument_text for argument_text, _ in arguments)})"
    values = [value for _, value in arguments]
    if name == "if":
        condition, then, otherwise = values
        if condition is None:
            return text, None
        return text, then if condition != 0 else otherwise
    if any(value is None for value in values):
        return text, None
    numbers = [value for value in values if value is not None]
    if name == "min":
        return text, min(numbers)
    if name == "max":
        return text, max(numbers)
    if name == "abs":
        return text, abs(numbers[0])
    if name == "sqrt":
        return text, math.sqrt(numbers[0]) if numbers[0] >= 0 else None
    return text, math.log(numbers[0]) if numbers[0] > 0 else None  # log


def _power(base: tuple[str, float | None], exponent: int) -> tuple[str, float | None]:
    text, value = base
    if value is None or (value == 0 and exponent < 0):
        return f"({text}) ^ {exponent}" if exponent >= 0 else f"({text}) ^ ({exponent})", None
    result = math.pow(value, exponent)
    return (f"({text}) ^ {exponent}" if exponent >= 0 else f"({text}) ^ ({exponent})"), (
        result if math.isfinite(result) else None
    )


leaves = st.integers(min_value=0, max_value=9).map(lambda n: (str(n), float(n)))


def _extend(children: st.SearchStrategy[tuple[str, float | None]]) -> st.SearchStrategy[tuple[str, float | None]]:
    operators = st.sampled_from(["+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!="])
    return st.one_of(
        st.tuples(operators, children, children).map(lambda parts: _combine(*parts)),
        children.map(lambda child: (f"-({child[0]})", None if child[1] is None else -child[1])),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3)).map(
            lambda parts: _call(*parts)
        ),
        st.tuples(st.sampled_from(["abs", "sqrt", "log"]), children).map(lambda parts: _call(parts[0], [parts[1]])),
        st.tuples(children, children, children).map(lambda parts: _call("if", list(parts))),
        st.tuples(children, st.integers(min_value=-2, max_value=3)).map(lambda parts: _power(*parts)),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12)


@FAST
@given(expressions)
def test_random_expressions_match_the_reference(case: tuple[str, float | None]) -> None:
    text, expected = case
    formula = parse(text)
    if expected is None:
        with pytest.raises(FormulaError):
            formula.evaluate({})
    else:
        assert formula.evaluate({}) == pytest.approx(expected, rel=1e-12, abs=1e-12)


names_or_numbers = st.one_of(
    st.integers(min_value=0, max_value=9).map(lambda n: (str(n), 0.0)),
    st.sampled_from(["x", "y"]).map(lambda name: (name, 0.0)),
)
expressions_over_names = st.recursive(names_or_numbers, _extend, max_leaves=10).map(lambda case: case[0])


@FAST
@given(expressions_over_names)
def test_printing_and_reparsing_round_trips(text: str) -> None:
    formula = parse(text)
    printed = str(formula)
    assert parse(printed).tree == formula.tree
    assert str(parse(printed)) == printed


formula_alphabet = st.sampled_from(list("0123456789.eE+-*/^(),<>=! \txy_aifmnsqrtlogb×÷−≤≥≠$'\"[]{}:;é\n"))


@FAST
@given(st.text(formula_alphabet, max_size=60) | st.text(max_size=40))
def test_garbage_never_raises_anything_but_formula_error(text: str) -> None:
    try:
        formula = parse(text)
        assert parse(str(formula)).tree == formula.tree
        formula.evaluate(dict.fromkeys(formula.names, 1.0))
        formula.evaluate_many({name: np.array([0.0, -1.0, 2.0]) for name in formula.names})
    except FormulaError as error:
        assert 0 <= error.position <= len(text)
        assert error.message.endswith(f" at position {error.position}")


@FAST
@given(expressions_over_names, st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=1, max_size=8))
def test_vectorised_equals_scalar(text: str, rows: list[tuple[int, int]]) -> None:
    formula = parse(text)
    columns = {"x": np.array([x for x, _ in rows], dtype=float), "y": np.array([y for _, y in rows], dtype=float)}
    result = formula.evaluate_many_with_mask(columns)
    assert result.values.shape == (len(rows),)
    for index, (x, y) in enumerate(rows):
        try:
            expected = formula.evaluate({"x": x, "y": y})
        except FormulaError:
            assert result.failed[index]
            assert math.isnan(result.values[index])
        else:
            assert not result.failed[index]
            assert result.values[index] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert np.array_equal(np.isnan(formula.evaluate_many(columns)), result.failed)


# ── vectorised evaluation ─────────────────────────────────────────────────────────────────────


def test_vectorised_rows_with_errors_are_nan_and_flagged() -> None:
    formula = parse("if(x > 0, log(x), sqrt(x)) + 1 / y")
    result = formula.evaluate_many_with_mask({"x": [1.0, 0.0, -1.0, 4.0, float("nan")], "y": [1, 2, 3, 0, 1]})
    assert result.failed.tolist() == [False, False, True, True, True]
    assert result.values[:2].tolist() == [1.0, 0.5]
    assert np.isnan(result.values[2:]).all()


def test_vectorised_constant_formula_uses_the_column_length() -> None:
    assert parse("2 + 3").evaluate_many({"unused": np.zeros(4)}).tolist() == [5.0] * 4


def test_vectorised_missing_column_and_ragged_columns_are_errors() -> None:
    formula = parse("a + 2 * b")
    with pytest.raises(FormulaError) as caught:
        formula.evaluate_many({"a": np.zeros(3)})
    assert (caught.value.position, caught.value.reason) == (8, "No values for 'b'")
    with pytest.raises(FormulaError):
        formula.evaluate_many({"a": np.zeros(3), "b": np.zeros(4)})


def test_vectorised_non_numeric_column_is_a_formula_error() -> None:
    with pytest.raises(FormulaError) as caught:
        parse("1 + a").evaluate_many({"a": ["1", "two"]})
    assert (caught.value.position, caught.value.reason) == (4, "The values of 'a' are not all numbers")


def test_fifty_thousand_rows_are_fast() -> None:
    # A loose bound to catch an accidental per-row Python loop (which takes ~0.5 s here), not a
    # benchmark: the vectorised evaluation takes a few milliseconds.
    rng = np.random.default_rng(6)
    rows = 50_000
    columns = {
        "reach": rng.integers(0, 5000, rows).astype(float),
        "impact": rng.choice([3, 2, 1, 0.5, 0.25], rows),
        "confidence": rng.choice([1.0, 0.8, 0.5], rows),
        "effort": rng.integers(0, 10, rows).astype(float),
        "votes": rng.integers(0, 100, rows).astype(float),
    }
    formula: Formula = parse("reach * impact * confidence / effort + if(votes > 10, log(votes, 10) * 5, 0)")
    result = formula.evaluate_many_with_mask(columns)
    assert result.failed.tolist() == (columns["effort"] == 0).tolist()
    row = int(np.argmax(~result.failed))
    assert result.values[row] == pytest.approx(
        formula.evaluate({name: column[row] for name, column in columns.items()})
    )


def test_parsing_and_evaluating_never_call_eval_or_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval or compile was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "compile", forbidden)
    formula = parse("if(a > 1, sqrt(a) * max(a, 2) ^ 2, log(a + 1, 10))")
    assert formula.evaluate({"a": 4}) == 32.0
    assert formula.evaluate_many({"a": np.array([4.0, 0.0])}).tolist() == [32.0, 0.0]

"""Scoring frameworks as pure functions: validated inputs in, a :class:`Score` with contributions out.

Every framework validates what a person typed and raises
``ValidationFailed("<field>: <reason>", fields={"<field>": [reason, ...]})`` listing every bad field
at once. Every framework returns a :class:`Score` whose ``contributions`` explain "why is this #3"
per input; ``method`` says how to read them:

* ``"additive"`` — the contributions add up to the score (ICE average, WSJF, weighted scorecard).
* ``"log"`` — for multiplicative models (RICE, ICE product, value ÷ effort), each contribution is
  the natural logarithm of the factor that input multiplies the score by (a divisor counts as
  ``-ln``), so they add up to ``ln(score)``: a positive contribution pushed the score up, a
  negative one pulled it down, and ``exp(contribution)`` is the multiplier. When the score is 0
  (a zero factor) logarithms do not exist, and ``contributions`` is empty; the explanation says
  which input is zero.
* ``"share"`` — Kano: the share of answers in each category (they add up to 1).
* ``"sensitivity"`` — custom formulas: the score minus the score with that input set to 0, i.e.
  how much the input adds; these do not have to add up to the score. An input whose removal makes
  the formula fail (say it divides by it) is left out.

Also here: :func:`moscow_check` (Musts over 60% of capacity) and :func:`rank` (rank by score with
manual overrides kept at their pinned positions).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from headway.core.errors import ValidationFailed
from headway.prioritization import formula as formula_language

ScoreMethod = Literal["additive", "log", "share", "sensitivity", "none"]


@dataclass(frozen=True)
class Score:
    """A framework's result for one feature.

    ``value`` the score; ``contributions`` per input (see the module docstring for ``method``);
    ``explanation`` short sentences for people, in order; ``label`` a category where the framework
    has one (a value-vs-effort quadrant, a Kano category, a MoSCoW bucket); ``details`` other
    numbers worth showing (Kano's better/worse coefficients, WSJF's cost of delay, …).
    """

    value: float
    contributions: dict[str, float]
    method: ScoreMethod
    explanation: tuple[str, ...] = ()
    label: str | None = None
    details: dict[str, float] = field(default_factory=dict)


class _Problems:
    """Collects field errors so one ValidationFailed reports every bad input at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, reason: str) -> None:
        self.fields.setdefault(name, []).append(reason)

    def number(self, name: str, value: object) -> float | None:
        """``value`` as a finite float, or None after recording why it is not one."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(name, "Enter a number.")
            return None
        number = float(value)
        if not math.isfinite(number):
            self.add(name, "Enter a finite number.")
            return None
        return number

    def raise_if_any(self) -> None:
        if self.fields:
            name, reasons = next(iter(self.fields.items()))
            raise ValidationFailed(f"{name}: {reasons[0]}", fields=self.fields)


def _number_text(value: float) -> str:
    """12.0 → "12", 0.8 → "0.8", 1234.5678 → "1234.57"."""
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _log_contributions(factors: Mapping[str, float], divisors: Mapping[str, float]) -> dict[str, float]:
    """ln of each multiplier (−ln for a divisor); empty when a factor is 0 (no logarithm exists)."""
    if any(value <= 0 for value in (*factors.values(), *divisors.values())):
        return {}
    contributions = {name: math.log(value) for name, value in factors.items()}
    contributions.update({name: -math.log(value) for name, value in divisors.items()})
    return contributions


# ── RICE ──────────────────────────────────────────────────────────────────────────────────────

RICE_IMPACTS = (3.0, 2.0, 1.0, 0.5, 0.25)  # massive, high, medium, low, minimal
RICE_CONFIDENCES = (100, 80, 50)  # percent: high, medium, low


def rice(*, reach: float, impact: float, confidence: float, effort: float) -> Score:
    """RICE = reach × impact × confidence / effort.

    ``reach`` people or events per period (≥ 0); ``impact`` one of 3, 2, 1, 0.5, 0.25;
    ``confidence`` **in percent**, one of 100, 80, 50 (it enters the product as 1.0, 0.8, 0.5);
    ``effort`` person-months (> 0). Contributions: ``"log"`` method.
    Example: reach 500, impact 2, confidence 80, effort 2 → 500 × 2 × 0.8 / 2 = 400.
    """
    problems = _Problems()
    reach_value = problems.number("reach", reach)
    if reach_value is not None and reach_value < 0:
        problems.add("reach", "Reach cannot be negative.")
    impact_value = problems.number("impact", impact)
    if impact_value is not None and impact_value not in RICE_IMPACTS:
        problems.add("impact", "Choose an impact of 3, 2, 1, 0.5 or 0.25.")
    confidence_value = problems.number("confidence", confidence)
    if confidence_value is not None and confidence_value not in RICE_CONFIDENCES:
        if confidence_value in (1.0, 0.8, 0.5):
            problems.add(
                "confidence", f"Confidence is in percent: enter {confidence_value * 100:.0f}, not {confidence_value:g}."
            )
        else:
            problems.add("confidence", "Choose a confidence of 100, 80 or 50 (percent).")
    effort_value = problems.number("effort", effort)
    if effort_value is not None and effort_value <= 0:
        problems.add("effort", "Effort must be more than 0 person-months.")
    problems.raise_if_any()
    assert reach_value is not None and impact_value is not None  # for the type checker: validated above
    assert confidence_value is not None and effort_value is not None
    confidence_fraction = confidence_value / 100
    value = reach_value * impact_value * confidence_fraction / effort_value
    explanation = [
        f"{_number_text(reach_value)} reach × {_number_text(impact_value)} impact × {confidence_value:.0f}% "
        f"confidence ÷ {_number_text(effort_value)} person-months = {_number_text(value)}"
    ]
    if reach_value == 0:
        explanation.append("Reach is 0, so the score is 0.")
    return Score(
        value=value,
        contributions=_log_contributions(
            {"reach": reach_value, "impact": impact_value, "confidence": confidence_fraction},
            {"effort": effort_value},
        ),
        method="log",
        explanation=tuple(explanation),
    )


# ── ICE ───────────────────────────────────────────────────────────────────────────────────────


class IceMode(StrEnum):
    AVERAGE = "average"
    PRODUCT = "product"


def ice(*, impact: float, confidence: float, ease: float, mode: IceMode | str = IceMode.AVERAGE) -> Score:
    """ICE: impact, confidence and ease, each from 1 to 10 (decimals allowed).

    ``mode="average"``: (I + C + E) / 3, contributions additive (each input / 3).
    ``mode="product"``: I × C × E, contributions by the ``"log"`` method.
    """
    problems = _Problems()
    inputs: dict[str, float] = {}
    for name, raw in (("impact", impact), ("confidence", confidence), ("ease", ease)):
        number = problems.number(name, raw)
        if number is not None and not 1 <= number <= 10:
            problems.add(name, f"{name.capitalize()} must be from 1 to 10.")
        elif number is not None:
            inputs[name] = number
    chosen_mode = IceMode.AVERAGE
    try:
        chosen_mode = IceMode(mode)
    except ValueError:
        problems.add("mode", "Choose 'average' or 'product'.")
    problems.raise_if_any()
    if chosen_mode is IceMode.AVERAGE:
        value = sum(inputs.values()) / 3
        return Score(
            value=value,
            contributions={name: number / 3 for name, number in inputs.items()},
            method="additive",
            explanation=(f"({' + '.join(_number_text(n) for n in inputs.values())}) ÷ 3 = {_number_text(value)}",),
        )
    value = math.prod(inputs.values())
    return Score(
        value=value,
        contributions=_log_contributions(inputs, {}),
        method="log",
        explanation=(f"{' × '.join(_number_text(n) for n in inputs.values())} = {_number_text(value)}",),
    )


# ── WSJF ──────────────────────────────────────────────────────────────────────────────────────

MODIFIED_FIBONACCI = (1, 2, 3, 5, 8, 13, 20)


def wsjf(*, business_value: int, time_criticality: int, risk_reduction: int, job_size: int) -> Score:
    """WSJF = cost of delay / job size, cost of delay = business value + time criticality + risk
    reduction (or opportunity enablement); every input on the modified Fibonacci scale
    1, 2, 3, 5, 8, 13, 20.

    Contributions (``"additive"``, they add up to the score): each cost-of-delay part at its own
    value, and ``job_size`` = score − cost of delay (≤ 0: what dividing by the size took away).
    """
    problems = _Problems()
    inputs: dict[str, float] = {}
    for name, raw in (
        ("business_value", business_value),
        ("time_criticality", time_criticality),
        ("risk_reduction", risk_reduction),
        ("job_size", job_size),
    ):
        number = problems.number(name, raw)
        if number is not None and number not in MODIFIED_FIBONACCI:
            problems.add(name, "Choose one of 1, 2, 3, 5, 8, 13, 20.")
        elif number is not None:
            inputs[name] = number
    problems.raise_if_any()
    cost_of_delay = inputs["business_value"] + inputs["time_criticality"] + inputs["risk_reduction"]
    value = cost_of_delay / inputs["job_size"]
    return Score(
        value=value,
        contributions={
            "business_value": inputs["business_value"],
            "time_criticality": inputs["time_criticality"],
            "risk_reduction": inputs["risk_reduction"],
            "job_size": value - cost_of_delay,
        },
        method="additive",
        explanation=(
            f"Cost of delay {_number_text(cost_of_delay)} ÷ job size {_number_text(inputs['job_size'])} "
            f"= {_number_text(value)}",
        ),
        details={"cost_of_delay": cost_of_delay},
    )


# ── weighted scorecard ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Scale:
    """The values a criterion may take. Build with :meth:`range`, :meth:`fibonacci` or :meth:`custom`.

    ``allowed`` lists the values for Fibonacci and custom scales; a range scale has ``step`` instead
    (values ``minimum + k × step`` up to ``maximum``). Normalisation is linear over
    [minimum, maximum] for every kind — a Fibonacci 8 is (8 − 1) / (20 − 1), not its rank.
    """

    minimum: float
    maximum: float
    step: float | None = None
    allowed: tuple[float, ...] | None = None

    @classmethod
    def range(cls, minimum: float, maximum: float, step: float = 1) -> Scale:
        problems = _Problems()
        low, high, size = problems.number("minimum", minimum), problems.number("maximum", maximum), None
        if low is not None and high is not None and high <= low:
            problems.add("maximum", "The maximum must be above the minimum.")
        size = problems.number("step", step)
        if size is not None and size <= 0:
            problems.add("step", "The step must be more than 0.")
        problems.raise_if_any()
        assert low is not None and high is not None and size is not None
        return cls(minimum=low, maximum=high, step=size)

    @classmethod
    def fibonacci(cls) -> Scale:
        """The modified Fibonacci scale 1, 2, 3, 5, 8, 13, 20."""
        return cls.custom(MODIFIED_FIBONACCI)

    @classmethod
    def custom(cls, values: Iterable[float]) -> Scale:
        problems = _Problems()
        numbers = [problems.number("values", value) for value in values]
        problems.raise_if_any()
        allowed = tuple(sorted({number for number in numbers if number is not None}))
        if len(allowed) < 2:
            raise ValidationFailed(
                "values: a scale needs at least two different values.",
                fields={"values": ["A scale needs at least two different values."]},
            )
        return cls(minimum=allowed[0], maximum=allowed[-1], allowed=allowed)

    def accepts(self, value: float) -> bool:
        if self.allowed is not None:
            return value in self.allowed
        if not self.minimum <= value <= self.maximum:
            return False
        assert self.step is not None
        steps = (value - self.minimum) / self.step
        return math.isclose(steps, round(steps), abs_tol=1e-9)

    def describe(self) -> str:
        if self.allowed is not None:
            return "one of " + ", ".join(_number_text(value) for value in self.allowed)
        assert self.step is not None
        return (
            f"from {_number_text(self.minimum)} to {_number_text(self.maximum)} in steps of {_number_text(self.step)}"
        )

    def normalise(self, value: float) -> float:
        return (value - self.minimum) / (self.maximum - self.minimum)


class Direction(StrEnum):
    BENEFIT = "benefit"  # more is better
    COST = "cost"  # more is worse: counts as 1 − normalised


@dataclass(frozen=True)
class Criterion:
    key: str
    weight: float
    scale: Scale
    direction: Direction = Direction.BENEFIT
    label: str = ""


def weighted_score(criteria: Sequence[Criterion], values: Mapping[str, float]) -> Score:
    """Weighted scorecard on 0–100.

    Each criterion's value is normalised linearly to 0–1 over its scale (minimum → 0, maximum → 1);
    a cost criterion counts as ``1 − normalised``. Score = Σ weight × normalised / Σ weights × 100.
    Contributions (``"additive"``, add up to the score): weight × normalised / Σ weights × 100.
    Weights must be > 0; every criterion needs a value on its scale (errors are filed under the
    criterion's key; criterion problems under ``criteria``).
    """
    problems = _Problems()
    if not criteria:
        problems.add("criteria", "Add at least one criterion.")
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.key in seen:
            problems.add("criteria", f"The criterion '{criterion.key}' appears twice.")
        seen.add(criterion.key)
        weight = problems.number("criteria", criterion.weight)
        if weight is not None and weight <= 0:
            problems.add("criteria", f"The weight of '{criterion.key}' must be more than 0.")
    normalised: dict[str, float] = {}
    for criterion in criteria:
        if criterion.key not in values:
            problems.add(criterion.key, "Enter a value.")
            continue
        number = problems.number(criterion.key, values[criterion.key])
        if number is None:
            continue
        if not criterion.scale.accepts(number):
            problems.add(criterion.key, f"Enter a value {criterion.scale.describe()}.")
            continue
        fraction = criterion.scale.normalise(number)
        normalised[criterion.key] = 1 - fraction if Direction(criterion.direction) is Direction.COST else fraction
    problems.raise_if_any()
    total_weight = sum(criterion.weight for criterion in criteria)
    contributions = {
        criterion.key: criterion.weight * normalised[criterion.key] / total_weight * 100 for criterion in criteria
    }
    value = sum(contributions.values())
    explanation = tuple(
        f"{criterion.label or criterion.key}: {_number_text(float(values[criterion.key]))} "
        f"({'cost, ' if Direction(criterion.direction) is Direction.COST else ''}"
        f"{normalised[criterion.key]:.0%} of the scale) × weight {_number_text(criterion.weight)} "
        f"→ {contributions[criterion.key]:.1f} points"
        for criterion in criteria
    )
    return Score(value=value, contributions=contributions, method="additive", explanation=explanation)


# ── value vs effort ───────────────────────────────────────────────────────────────────────────


class Quadrant(StrEnum):
    QUICK_WIN = "quick_win"  # high value, low effort
    BIG_BET = "big_bet"  # high value, high effort
    FILL_IN = "fill_in"  # low value, low effort
    TIME_SINK = "time_sink"  # low value, high effort


@dataclass(frozen=True)
class ValueEffortModel:
    """Value and effort scales (inclusive ranges) and the thresholds that split the quadrants.

    Thresholds default to the midpoints of the scales. Value **at or above** its threshold is high;
    effort **above** its threshold is high — so a feature exactly on both lines is a quick win.
    """

    value_range: tuple[float, float] = (1, 10)
    effort_range: tuple[float, float] = (1, 10)
    value_threshold: float | None = None
    effort_threshold: float | None = None

    def thresholds(self) -> tuple[float, float]:
        value_line = self.value_threshold if self.value_threshold is not None else sum(self.value_range) / 2
        effort_line = self.effort_threshold if self.effort_threshold is not None else sum(self.effort_range) / 2
        return value_line, effort_line


def quadrant(value: float, effort: float, model: ValueEffortModel | None = None) -> Quadrant:
    value_line, effort_line = (model or ValueEffortModel()).thresholds()
    high_value = value >= value_line
    high_effort = effort > effort_line
    if high_value:
        return Quadrant.BIG_BET if high_effort else Quadrant.QUICK_WIN
    return Quadrant.TIME_SINK if high_effort else Quadrant.FILL_IN


def value_vs_effort(*, value: float, effort: float, model: ValueEffortModel | None = None) -> Score:
    """Score = value ÷ effort, label = the quadrant; contributions by the ``"log"`` method.

    Value must lie in ``model.value_range``; effort in ``model.effort_range`` and above 0.
    """
    chosen = model or ValueEffortModel()
    problems = _Problems()
    value_number = problems.number("value", value)
    effort_number = problems.number("effort", effort)
    low, high = chosen.value_range
    if value_number is not None and not low <= value_number <= high:
        problems.add("value", f"Value must be from {_number_text(low)} to {_number_text(high)}.")
    low, high = chosen.effort_range
    if effort_number is not None and not (low <= effort_number <= high and effort_number > 0):
        problems.add("effort", f"Effort must be from {_number_text(low)} to {_number_text(high)} and more than 0.")
    problems.raise_if_any()
    assert value_number is not None and effort_number is not None
    ratio = value_number / effort_number
    where = quadrant(value_number, effort_number, chosen)
    value_line, effort_line = chosen.thresholds()
    return Score(
        value=ratio,
        contributions=_log_contributions({"value": value_number}, {"effort": effort_number}),
        method="log",
        explanation=(
            f"Value {_number_text(value_number)} ÷ effort {_number_text(effort_number)} = {_number_text(ratio)}",
            f"{where.value.replace('_', ' ').capitalize()} (value line {_number_text(value_line)}, "
            f"effort line {_number_text(effort_line)})",
        ),
        label=where.value,
    )


# ── MoSCoW ────────────────────────────────────────────────────────────────────────────────────


class Moscow(StrEnum):
    MUST = "must"
    SHOULD = "should"
    COULD = "could"
    WONT = "wont"


MOSCOW_MUST_LIMIT = 0.60
_MOSCOW_SPELLINGS = {
    "must": Moscow.MUST,
    "must have": Moscow.MUST,
    "should": Moscow.SHOULD,
    "should have": Moscow.SHOULD,
    "could": Moscow.COULD,
    "could have": Moscow.COULD,
    "wont": Moscow.WONT,
    "won't": Moscow.WONT,
    "won’t": Moscow.WONT,
    "wont have": Moscow.WONT,
    "won't have": Moscow.WONT,
}
MOSCOW_RANK = {Moscow.MUST: 3.0, Moscow.SHOULD: 2.0, Moscow.COULD: 1.0, Moscow.WONT: 0.0}


def moscow_category(text: str | Moscow, *, field_name: str = "category") -> Moscow:
    """'Must', 'must have', "won't", 'wont' … → :class:`Moscow`; anything else is a field error."""
    if isinstance(text, Moscow):
        return text
    key = " ".join(str(text).lower().replace("-", " ").replace("_", " ").split())
    if key not in _MOSCOW_SPELLINGS:
        raise ValidationFailed(
            f"{field_name}: choose must, should, could or won't.",
            fields={field_name: ["Choose must, should, could or won't."]},
        )
    return _MOSCOW_SPELLINGS[key]


def moscow(category: str | Moscow) -> Score:
    """A MoSCoW bucket as a sortable score: must 3, should 2, could 1, won't 0."""
    bucket = moscow_category(category)
    return Score(
        value=MOSCOW_RANK[bucket],
        contributions={"category": MOSCOW_RANK[bucket]},
        method="additive",
        explanation=(f"{bucket.value.capitalize()} have",),
        label=bucket.value,
    )


def _percent_text(fraction: float) -> str:
    """0.75 → "75%", 0.6042 → "60.4%" (one decimal when needed, so 60.4% never shows as "60%")."""
    return f"{fraction * 100:.1f}".removesuffix(".0") + "%"


def moscow_check(items: Iterable[tuple[str | Moscow, float]], capacity: float) -> str | None:
    """A warning when the Musts' effort exceeds 60% of ``capacity``, else None.

    ``items``: (category, effort) pairs in the same unit as ``capacity``. The message::

        "Must-haves take 75% of capacity (150 of 200); keep them at or under 60% to leave room
        for should- and could-haves."
    """
    problems = _Problems()
    capacity_number = problems.number("capacity", capacity)
    if capacity_number is not None and capacity_number <= 0:
        problems.add("capacity", "Capacity must be more than 0.")
    must_effort = 0.0
    for index, (category, effort) in enumerate(items):
        effort_number = problems.number(f"items[{index}].effort", effort)
        if effort_number is not None and effort_number < 0:
            problems.add(f"items[{index}].effort", "Effort cannot be negative.")
        bucket = moscow_category(category, field_name=f"items[{index}].category")
        if bucket is Moscow.MUST and effort_number is not None:
            must_effort += effort_number
    problems.raise_if_any()
    assert capacity_number is not None
    share = must_effort / capacity_number
    if share <= MOSCOW_MUST_LIMIT:
        return None
    return (
        f"Must-haves take {_percent_text(share)} of capacity ({_number_text(must_effort)} of "
        f"{_number_text(capacity_number)}); keep them at or under {_percent_text(MOSCOW_MUST_LIMIT)} "
        "to leave room for should- and could-haves."
    )


# ── Kano ──────────────────────────────────────────────────────────────────────────────────────


class KanoAnswer(StrEnum):
    LIKE = "like"
    EXPECT = "expect"
    NEUTRAL = "neutral"
    LIVE_WITH = "live_with"
    DISLIKE = "dislike"


class KanoCategory(StrEnum):
    ATTRACTIVE = "A"
    ONE_DIMENSIONAL = "O"  # performance
    MUST_BE = "M"
    INDIFFERENT = "I"
    REVERSE = "R"
    QUESTIONABLE = "Q"


_A, _O, _M, _I, _R, _Q = (
    KanoCategory.ATTRACTIVE,
    KanoCategory.ONE_DIMENSIONAL,
    KanoCategory.MUST_BE,
    KanoCategory.INDIFFERENT,
    KanoCategory.REVERSE,
    KanoCategory.QUESTIONABLE,
)
_ANSWER_ORDER = (KanoAnswer.LIKE, KanoAnswer.EXPECT, KanoAnswer.NEUTRAL, KanoAnswer.LIVE_WITH, KanoAnswer.DISLIKE)
# The standard Kano evaluation table: rows = functional answer, columns = dysfunctional answer.
_KANO_TABLE = (
    # like expect neutral live_with dislike   (dysfunctional)
    (_Q, _A, _A, _A, _O),  # functional: like
    (_R, _I, _I, _I, _M),  # expect
    (_R, _I, _I, _I, _M),  # neutral
    (_R, _I, _I, _I, _M),  # live with
    (_R, _R, _R, _R, _Q),  # dislike
)
# When two categories are equally frequent, the one that matters most to get right wins.
KANO_TIE_ORDER = (_M, _O, _A, _I, _R, _Q)
_KANO_SPELLINGS = {
    "like": KanoAnswer.LIKE,
    "i like it": KanoAnswer.LIKE,
    "expect": KanoAnswer.EXPECT,
    "must be": KanoAnswer.EXPECT,
    "i expect it": KanoAnswer.EXPECT,
    "neutral": KanoAnswer.NEUTRAL,
    "i am neutral": KanoAnswer.NEUTRAL,
    "live with": KanoAnswer.LIVE_WITH,
    "i can live with it": KanoAnswer.LIVE_WITH,
    "tolerate": KanoAnswer.LIVE_WITH,
    "dislike": KanoAnswer.DISLIKE,
    "i dislike it": KanoAnswer.DISLIKE,
}


def kano_answer(text: str | KanoAnswer, *, field_name: str = "answer") -> KanoAnswer:
    if isinstance(text, KanoAnswer):
        return text
    key = " ".join(str(text).lower().replace("_", " ").replace("-", " ").split())
    if key not in _KANO_SPELLINGS:
        raise ValidationFailed(
            f"{field_name}: choose like, expect, neutral, live with or dislike.",
            fields={field_name: ["Choose like, expect, neutral, live with or dislike."]},
        )
    return _KANO_SPELLINGS[key]


def kano_classify(functional: str | KanoAnswer, dysfunctional: str | KanoAnswer) -> KanoCategory:
    """One respondent's pair of answers → a category through the standard evaluation table."""
    row = _ANSWER_ORDER.index(kano_answer(functional, field_name="functional"))
    column = _ANSWER_ORDER.index(kano_answer(dysfunctional, field_name="dysfunctional"))
    return _KANO_TABLE[row][column]


def kano(answers: Iterable[tuple[str | KanoAnswer, str | KanoAnswer]]) -> Score:
    """Kano category and coefficients from (functional, dysfunctional) answer pairs.

    ``label`` = the most frequent category, ties broken by :data:`KANO_TIE_ORDER` (M > O > A > I >
    R > Q). ``value`` = the better coefficient (A + O) / (A + O + M + I); ``details`` hold
    ``better``, ``worse`` = −(O + M) / (A + O + M + I), and the count per category. When every
    answer is R or Q the denominator is 0 and both coefficients are reported as 0.
    Contributions (``"share"``): each category's share of all answers.
    """
    counts: Counter[KanoCategory] = Counter()
    for index, pair in enumerate(answers):
        try:
            functional, dysfunctional = pair
        except (TypeError, ValueError):
            raise ValidationFailed(
                f"answers[{index}]: give a (functional, dysfunctional) pair.",
                fields={f"answers[{index}]": ["Give a (functional, dysfunctional) pair."]},
            ) from None
        counts[
            _KANO_TABLE[_ANSWER_ORDER.index(kano_answer(functional, field_name=f"answers[{index}].functional"))][
                _ANSWER_ORDER.index(kano_answer(dysfunctional, field_name=f"answers[{index}].dysfunctional"))
            ]
        ] += 1
    total = sum(counts.values())
    if total == 0:
        raise ValidationFailed("answers: add at least one answer.", fields={"answers": ["Add at least one answer."]})
    category = max(KANO_TIE_ORDER, key=lambda candidate: (counts[candidate], -KANO_TIE_ORDER.index(candidate)))
    relevant = counts[_A] + counts[_O] + counts[_M] + counts[_I]
    better = (counts[_A] + counts[_O]) / relevant if relevant else 0.0
    worse = -(counts[_O] + counts[_M]) / relevant if relevant else 0.0
    details: dict[str, float] = {"better": better, "worse": worse, "answers": float(total)}
    details.update({f"count_{candidate.value}": float(counts[candidate]) for candidate in KANO_TIE_ORDER})
    return Score(
        value=better,
        contributions={candidate.value: counts[candidate] / total for candidate in KANO_TIE_ORDER},
        method="share",
        explanation=(
            f"{counts[category]} of {total} answers say {category.name.replace('_', ' ').lower()}",
            f"Better {better:.2f}, worse {worse:.2f}",
        ),
        label=category.value,
        details=details,
    )


# ── custom formula ────────────────────────────────────────────────────────────────────────────

SIGNALS: dict[str, str] = {
    "votes": "Votes on the ideas linked to the feature.",
    "demand": "Customer demand from ideas and insight evidence, weighted by each customer's ARR and tier.",
    "companies": "Number of distinct companies asking for the feature.",
    "arr": "Total annual recurring revenue of the companies asking.",
    "objectives": "Number of objectives the feature serves.",
    "objective_priority": "The highest priority among the objectives it serves (higher is more important).",
    "age_days": "Days since the feature was created.",
    "effort": "The feature's effort estimate.",
}


@dataclass(frozen=True)
class CustomModel:
    """A custom formula over the model's own inputs plus the built-in :data:`SIGNALS`."""

    formula: formula_language.Formula
    inputs: frozenset[str]


def custom_model(text: str, *, inputs: Iterable[str] = ()) -> CustomModel:
    """Parse a custom model's formula; names other than ``inputs`` and :data:`SIGNALS` are errors.

    Input names follow the formula's rules (ASCII letters, digits, underscore; case-insensitive)
    and must not be a built-in function's name.
    """
    names = frozenset(name.lower() for name in inputs)
    problems = _Problems()
    for name in sorted(names):
        if not _is_name(name):
            problems.add("inputs", f"'{name}' is not a valid name: use letters, digits and underscores.")
        elif name in formula_language.FUNCTION_ARITY:
            problems.add("inputs", f"'{name}' is a function's name; choose another.")
    problems.raise_if_any()
    parsed = formula_language.parse(text, known_names=names | SIGNALS.keys())
    return CustomModel(formula=parsed, inputs=names)


def _is_name(text: str) -> bool:
    return (
        bool(text)
        and text.isascii()
        and (text[0].isalpha() or text[0] == "_")
        and all(char.isalnum() or char == "_" for char in text)
    )


def custom_score(model: CustomModel, values: Mapping[str, float]) -> Score:
    """Evaluate a custom model for one feature; contributions by the ``"sensitivity"`` method.

    Missing or non-numeric values are FormulaErrors (a ValidationFailed) naming the position.
    """
    lowered = {name.lower(): value for name, value in values.items()}
    value = model.formula.evaluate(lowered)
    contributions: dict[str, float] = {}
    for name in sorted(model.formula.names):
        try:
            without = model.formula.evaluate({**lowered, name: 0.0})
        except formula_language.FormulaError:
            continue
        contributions[name] = value - without
    return Score(
        value=value,
        contributions=contributions,
        method="sensitivity",
        explanation=(f"{model.formula} = {_number_text(value)}",),
    )


# ── ranking ───────────────────────────────────────────────────────────────────────────────────


def rank(scores: Sequence[float | None], overrides: Mapping[int, int] | None = None) -> list[int]:
    """Item indices in rank order (the first is #1).

    * Items are ordered by score, highest first. Equal scores keep their input order (the index
      is the stable tie key, so pass items in a stable order such as their current rank or id).
    * Items without a score (None or NaN) come after every scored item, in input order.
    * ``overrides`` maps an item's index to the 0-based position it is pinned at; pinned items
      sit exactly there, and the other items fill the remaining positions in the order above.
      A position must be within 0 … len(scores) − 1 and pinned by one item only, and the index
      must exist; otherwise ValidationFailed (field ``overrides``).
    """
    pins = dict(overrides or {})
    count = len(scores)
    problems = _Problems()
    taken: dict[int, int] = {}
    for index, position in pins.items():
        if not 0 <= index < count:
            problems.add("overrides", f"There is no item {index}.")
        if not 0 <= position < count:
            problems.add("overrides", f"Position {position} is outside 0 to {count - 1}.")
        elif position in taken:
            problems.add("overrides", f"Items {taken[position]} and {index} are both pinned at position {position}.")
        else:
            taken[position] = index
    problems.raise_if_any()

    def order(index: int) -> tuple[int, float, int]:
        score = scores[index]
        if score is None or math.isnan(score):
            return (1, 0.0, index)
        return (0, -score, index)

    free = iter(sorted((index for index in range(count) if index not in pins), key=order))
    return [taken[position] if position in taken else next(free) for position in range(count)]

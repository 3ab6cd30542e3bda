"""Scoring frameworks against worked examples computed by hand, their input validation, and ranking."""

from __future__ import annotations

import math
import random

import pytest

from headway.core.errors import ValidationFailed
from headway.prioritization.formula import FormulaError
from headway.prioritization.frameworks import (
    KANO_TIE_ORDER,
    SIGNALS,
    Criterion,
    Direction,
    KanoCategory,
    Moscow,
    Quadrant,
    Scale,
    ValueEffortModel,
    custom_model,
    custom_score,
    ice,
    kano,
    kano_classify,
    moscow,
    moscow_category,
    moscow_check,
    quadrant,
    rank,
    rice,
    value_vs_effort,
    weighted_score,
    wsjf,
)


def fields_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


# ── RICE ──────────────────────────────────────────────────────────────────────────────────────


def test_rice_worked_example() -> None:
    score = rice(reach=500, impact=2, confidence=80, effort=2)
    assert score.value == 400.0
    assert score.method == "log"
    assert score.explanation == ("500 reach × 2 impact × 80% confidence ÷ 2 person-months = 400",)
    # Log contributions: exp(each) is the multiplier; together they add up to ln(score).
    assert score.contributions == {
        "reach": math.log(500),
        "impact": math.log(2),
        "confidence": math.log(0.8),
        "effort": -math.log(2),
    }
    assert sum(score.contributions.values()) == pytest.approx(math.log(400), rel=1e-12)


def test_rice_second_example_and_zero_reach() -> None:
    assert rice(reach=1000, impact=0.25, confidence=50, effort=0.5).value == 250.0
    zero = rice(reach=0, impact=3, confidence=100, effort=1)
    assert zero.value == 0.0
    assert zero.contributions == {}
    assert zero.explanation[-1] == "Reach is 0, so the score is 0."


def test_rice_rejects_every_bad_field_at_once() -> None:
    fields = fields_of(lambda: rice(reach=-1, impact=4, confidence=75, effort=0))
    assert fields == {
        "reach": ["Reach cannot be negative."],
        "impact": ["Choose an impact of 3, 2, 1, 0.5 or 0.25."],
        "confidence": ["Choose a confidence of 100, 80 or 50 (percent)."],
        "effort": ["Effort must be more than 0 person-months."],
    }


def test_rice_confidence_as_a_fraction_gets_a_hint() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rice(reach=10, impact=1, confidence=0.8, effort=1)
    assert caught.value.message == "confidence: Confidence is in percent: enter 80, not 0.8."


@pytest.mark.parametrize("bad", [None, "500", True, float("nan"), float("inf")])
def test_rice_rejects_non_numbers(bad: object) -> None:
    fields = fields_of(lambda: rice(reach=bad, impact=1, confidence=100, effort=1))  # type: ignore[arg-type]
    assert list(fields) == ["reach"]


# ── ICE ───────────────────────────────────────────────────────────────────────────────────────


def test_ice_average() -> None:
    score = ice(impact=8, confidence=6, ease=4)
    assert score.value == 6.0
    assert score.method == "additive"
    assert score.contributions == {"impact": 8 / 3, "confidence": 2.0, "ease": 4 / 3}
    assert score.explanation == ("(8 + 6 + 4) ÷ 3 = 6",)


def test_ice_product() -> None:
    score = ice(impact=8, confidence=6, ease=4, mode="product")
    assert score.value == 192.0
    assert score.method == "log"
    assert sum(score.contributions.values()) == pytest.approx(math.log(192), rel=1e-12)


def test_ice_validation() -> None:
    assert fields_of(lambda: ice(impact=0, confidence=11, ease=5, mode="median")) == {
        "impact": ["Impact must be from 1 to 10."],
        "confidence": ["Confidence must be from 1 to 10."],
        "mode": ["Choose 'average' or 'product'."],
    }


# ── WSJF ──────────────────────────────────────────────────────────────────────────────────────


def test_wsjf_worked_example() -> None:
    score = wsjf(business_value=8, time_criticality=5, risk_reduction=3, job_size=5)
    assert score.value == 3.2
    assert score.details == {"cost_of_delay": 16.0}
    assert score.contributions == {
        "business_value": 8.0,
        "time_criticality": 5.0,
        "risk_reduction": 3.0,
        "job_size": 3.2 - 16.0,
    }
    assert sum(score.contributions.values()) == pytest.approx(3.2)
    assert score.explanation == ("Cost of delay 16 ÷ job size 5 = 3.2",)


def test_wsjf_size_one_costs_nothing() -> None:
    score = wsjf(business_value=20, time_criticality=13, risk_reduction=2, job_size=1)
    assert score.value == 35.0
    assert score.contributions["job_size"] == 0.0


def test_wsjf_rejects_values_off_the_modified_fibonacci_scale() -> None:
    assert fields_of(lambda: wsjf(business_value=4, time_criticality=21, risk_reduction=0, job_size=13)) == {
        "business_value": ["Choose one of 1, 2, 3, 5, 8, 13, 20."],
        "time_criticality": ["Choose one of 1, 2, 3, 5, 8, 13, 20."],
        "risk_reduction": ["Choose one of 1, 2, 3, 5, 8, 13, 20."],
    }


# ── weighted scorecard ────────────────────────────────────────────────────────────────────────

SCORECARD = [
    Criterion("reach", 2, Scale.range(0, 10, 1), label="Reach"),
    Criterion("fit", 1, Scale.custom([1, 3, 9])),
    Criterion("cost", 1, Scale.range(0, 100, 5), Direction.COST),
]


def test_scorecard_with_a_cost_criterion() -> None:
    # reach 7 → 0.7; fit 3 → (3 − 1) / (9 − 1) = 0.25; cost 40 → 1 − 0.4 = 0.6.
    # (2 × 0.7 + 1 × 0.25 + 1 × 0.6) / 4 × 100 = 56.25
    score = weighted_score(SCORECARD, {"reach": 7, "fit": 3, "cost": 40})
    assert score.value == pytest.approx(56.25, rel=1e-12)
    assert score.contributions == pytest.approx({"reach": 35.0, "fit": 6.25, "cost": 15.0}, rel=1e-12)
    assert score.method == "additive"
    assert score.explanation == (
        "Reach: 7 (70% of the scale) × weight 2 → 35.0 points",
        "fit: 3 (25% of the scale) × weight 1 → 6.2 points",
        "cost: 40 (cost, 60% of the scale) × weight 1 → 15.0 points",
    )


def test_scorecard_extremes_and_fibonacci_scale() -> None:
    criteria = [Criterion("size", 1, Scale.fibonacci(), Direction.COST), Criterion("value", 1, Scale.fibonacci())]
    assert weighted_score(criteria, {"size": 1, "value": 20}).value == 100.0
    assert weighted_score(criteria, {"size": 20, "value": 1}).value == 0.0
    # value 8 → (8 − 1) / 19; size 8 (cost) → 1 − 7/19 = 12/19; mean × 100 = 50
    assert weighted_score(criteria, {"size": 8, "value": 8}).value == pytest.approx(50.0, rel=1e-12)


def test_scorecard_validation_names_the_criterion() -> None:
    assert fields_of(lambda: weighted_score(SCORECARD, {"reach": 7.5, "fit": 2, "cost": "x"})) == {
        "reach": ["Enter a value from 0 to 10 in steps of 1."],
        "fit": ["Enter a value one of 1, 3, 9."],
        "cost": ["Enter a number."],
    }
    assert fields_of(lambda: weighted_score(SCORECARD, {"reach": 7, "fit": 3})) == {"cost": ["Enter a value."]}
    assert fields_of(lambda: weighted_score([], {})) == {"criteria": ["Add at least one criterion."]}
    zero_weight = [Criterion("a", 0, Scale.range(0, 1, 1))]
    assert fields_of(lambda: weighted_score(zero_weight, {"a": 1})) == {
        "criteria": ["The weight of 'a' must be more than 0."]
    }


def test_scale_validation() -> None:
    assert fields_of(lambda: Scale.range(5, 5, 0)) == {
        "maximum": ["The maximum must be above the minimum."],
        "step": ["The step must be more than 0."],
    }
    assert fields_of(lambda: Scale.custom([3, 3])) == {"values": ["A scale needs at least two different values."]}
    assert Scale.range(0, 1, 0.1).accepts(0.3)
    assert not Scale.range(0, 1, 0.25).accepts(0.3)


# ── value vs effort ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("value", "effort", "expected"),
    [(8, 3, Quadrant.QUICK_WIN), (8, 8, Quadrant.BIG_BET), (2, 2, Quadrant.FILL_IN), (2, 9, Quadrant.TIME_SINK)],
)
def test_quadrants_with_default_midpoints(value: float, effort: float, expected: Quadrant) -> None:
    assert quadrant(value, effort) is expected


def test_on_the_lines_is_high_value_and_low_effort() -> None:
    model = ValueEffortModel(value_threshold=5, effort_threshold=5)
    assert quadrant(5, 5, model) is Quadrant.QUICK_WIN
    assert quadrant(4.99, 5.01, model) is Quadrant.TIME_SINK


def test_value_vs_effort_score() -> None:
    score = value_vs_effort(value=8, effort=4)
    assert score.value == 2.0
    assert score.label == "quick_win"
    assert score.contributions == {"value": math.log(8), "effort": -math.log(4)}
    assert score.explanation == ("Value 8 ÷ effort 4 = 2", "Quick win (value line 5.5, effort line 5.5)")


def test_value_vs_effort_validation() -> None:
    assert fields_of(lambda: value_vs_effort(value=11, effort=0, model=ValueEffortModel(effort_range=(0, 10)))) == {
        "value": ["Value must be from 1 to 10."],
        "effort": ["Effort must be from 0 to 10 and more than 0."],
    }


# ── MoSCoW ────────────────────────────────────────────────────────────────────────────────────


def test_moscow_warning_over_sixty_percent() -> None:
    items = [("Must", 100), ("must have", 30), ("should", 40), ("won't", 10)]
    assert moscow_check(items, 200) == (
        "Must-haves take 65% of capacity (130 of 200); keep them at or under 60% "
        "to leave room for should- and could-haves."
    )


def test_moscow_exactly_sixty_percent_is_fine_and_just_over_shows_a_decimal() -> None:
    assert moscow_check([("must", 120), ("could", 80)], 200) is None
    assert moscow_check([("must", 120.8)], 200) == (
        "Must-haves take 60.4% of capacity (120.8 of 200); keep them at or under 60% "
        "to leave room for should- and could-haves."
    )
    assert moscow_check([], 10) is None


def test_moscow_validation() -> None:
    assert fields_of(lambda: moscow_check([("must", 1), ("maybe", 2)], 10)) == {
        "items[1].category": ["Choose must, should, could or won't."]
    }
    assert fields_of(lambda: moscow_check([("must", -1)], 0)) == {
        "capacity": ["Capacity must be more than 0."],
        "items[0].effort": ["Effort cannot be negative."],
    }


def test_moscow_categories_and_score() -> None:
    assert [moscow_category(text) for text in ("MUST", "Should-have", "could_have", "Won’t", "wont")] == [
        Moscow.MUST,
        Moscow.SHOULD,
        Moscow.COULD,
        Moscow.WONT,
        Moscow.WONT,
    ]
    assert (moscow("should").value, moscow("should").label) == (2.0, "should")


# ── Kano ──────────────────────────────────────────────────────────────────────────────────────

ATTRACTIVE = ("like", "neutral")
ONE_DIMENSIONAL = ("like", "dislike")
MUST_BE = ("expect", "dislike")
INDIFFERENT = ("neutral", "live with")
REVERSE = ("dislike", "like")
QUESTIONABLE = ("like", "like")


@pytest.mark.parametrize(
    ("pair", "category"),
    [
        (ATTRACTIVE, "A"),
        (("like", "expect"), "A"),
        (("like", "live_with"), "A"),
        (ONE_DIMENSIONAL, "O"),
        (MUST_BE, "M"),
        (("live with", "dislike"), "M"),
        (INDIFFERENT, "I"),
        (("expect", "expect"), "I"),
        (REVERSE, "R"),
        (("neutral", "like"), "R"),
        (("dislike", "neutral"), "R"),
        (QUESTIONABLE, "Q"),
        (("dislike", "dislike"), "Q"),
    ],
)
def test_kano_evaluation_table(pair: tuple[str, str], category: str) -> None:
    assert kano_classify(*pair) is KanoCategory(category)


def test_kano_coefficients_for_a_known_answer_set() -> None:
    # A 4, O 3, M 2, I 1, R 1, Q 1: better = (4 + 3) / 10 = 0.7, worse = −(3 + 2) / 10 = −0.5.
    answers = [ATTRACTIVE] * 4 + [ONE_DIMENSIONAL] * 3 + [MUST_BE] * 2 + [INDIFFERENT, REVERSE, QUESTIONABLE]
    score = kano(answers)
    assert score.label == "A"
    assert score.value == 0.7
    assert (score.details["better"], score.details["worse"]) == (0.7, -0.5)
    assert score.details["answers"] == 12.0
    assert score.contributions == {"M": 2 / 12, "O": 3 / 12, "A": 4 / 12, "I": 1 / 12, "R": 1 / 12, "Q": 1 / 12}
    assert score.explanation == ("4 of 12 answers say attractive", "Better 0.70, worse -0.50")


def test_kano_ties_prefer_must_be_then_performance() -> None:
    assert KANO_TIE_ORDER[:4] == (
        KanoCategory.MUST_BE,
        KanoCategory.ONE_DIMENSIONAL,
        KanoCategory.ATTRACTIVE,
        KanoCategory.INDIFFERENT,
    )
    assert kano([ATTRACTIVE, MUST_BE, INDIFFERENT]).label == "M"
    assert kano([ATTRACTIVE, ONE_DIMENSIONAL]).label == "O"
    assert kano([ATTRACTIVE, INDIFFERENT]).label == "A"


def test_kano_only_reverse_or_questionable_answers() -> None:
    score = kano([REVERSE, REVERSE, QUESTIONABLE])
    assert (score.label, score.details["better"], score.details["worse"]) == ("R", 0.0, 0.0)


def test_kano_validation() -> None:
    assert fields_of(lambda: kano([])) == {"answers": ["Add at least one answer."]}
    assert fields_of(lambda: kano([ATTRACTIVE, ("love", "dislike")])) == {
        "answers[1].functional": ["Choose like, expect, neutral, live with or dislike."]
    }
    assert fields_of(lambda: kano([("like",)])) == {"answers[0]": ["Give a (functional, dysfunctional) pair."]}


# ── custom formula ────────────────────────────────────────────────────────────────────────────


def test_signals_are_documented() -> None:
    assert set(SIGNALS) == {
        "votes",
        "demand",
        "companies",
        "arr",
        "objectives",
        "objective_priority",
        "age_days",
        "effort",
    }
    assert all(description.endswith(".") for description in SIGNALS.values())


def test_custom_formula_with_signals_and_inputs() -> None:
    model = custom_model("votes * 2 + ARR / 1000 - effort + strategic", inputs=["Strategic"])
    assert model.inputs == frozenset({"strategic"})
    score = custom_score(model, {"votes": 10, "arr": 50_000, "effort": 3, "strategic": 5})
    assert score.value == 72.0
    assert score.method == "sensitivity"
    assert score.contributions == {"votes": 20.0, "arr": 50.0, "effort": -3.0, "strategic": 5.0}


def test_custom_formula_sensitivity_skips_inputs_it_cannot_remove() -> None:
    score = custom_score(custom_model("demand / effort"), {"demand": 12, "effort": 4})
    assert score.value == 3.0
    assert score.contributions == {"demand": 3.0}


def test_custom_formula_errors() -> None:
    with pytest.raises(FormulaError) as caught:
        custom_model("votes + revenue")
    assert (caught.value.position, caught.value.reason) == (8, "Unknown name 'revenue'")
    assert fields_of(lambda: custom_model("1", inputs=["max", "2x", "ok_1"])) == {
        "inputs": [
            "'2x' is not a valid name: use letters, digits and underscores.",
            "'max' is a function's name; choose another.",
        ]
    }
    with pytest.raises(FormulaError) as caught:
        custom_score(custom_model("votes / effort"), {"votes": 3, "effort": 0})
    assert (caught.value.position, caught.value.reason) == (6, "Division by zero in '/'")


# ── ranking ───────────────────────────────────────────────────────────────────────────────────


def test_rank_by_score_with_stable_ties_and_unscored_last() -> None:
    assert rank([3, None, 5, 3, float("nan"), 9]) == [5, 2, 0, 3, 1, 4]
    assert rank([]) == []


def test_rank_keeps_pinned_items_at_their_positions() -> None:
    # Without pins: [5, 2, 0, 3, 1, 4]. Pin item 4 (unscored) at #1 and item 5 (the best) at #4.
    assert rank([3, None, 5, 3, float("nan"), 9], {4: 0, 5: 3}) == [4, 2, 0, 5, 3, 1]
    assert rank([1, 2], {0: 1}) == [1, 0]


def test_rank_validates_overrides() -> None:
    assert fields_of(lambda: rank([1, 2, 3], {0: 1, 2: 1, 7: 5})) == {
        "overrides": [
            "Items 0 and 2 are both pinned at position 1.",
            "There is no item 7.",
            "Position 5 is outside 0 to 2.",
        ]
    }


def test_ranking_fifty_thousand_features_keeps_pins_and_order() -> None:
    generator = random.Random(6)
    scores: list[float | None] = [generator.choice([None, generator.random() * 100]) for _ in range(50_000)]
    overrides = {index: index for index in range(0, 50_000, 1000)}
    order = rank(scores, overrides)
    assert sorted(order) == list(range(50_000))
    assert all(order[position] == position for position in overrides)
    free = [scores[index] for position, index in enumerate(order) if position not in overrides]
    scored = [score for score in free if score is not None]
    assert scored == sorted(scored, reverse=True)
    assert free[len(scored) :] == [None] * (len(free) - len(scored))

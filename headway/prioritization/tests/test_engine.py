"""The engine: model configs validated and described, typed inputs parsed, each framework scored
through it with exact numbers, and score_many equal to score row by row."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from headway.core.errors import ValidationFailed
from headway.prioritization import engine
from headway.prioritization.formula import FormulaError
from headway.prioritization.frameworks import SIGNALS


def spec(framework: str, config: dict | None = None) -> engine.ModelSpec:
    return engine.spec_from_config(framework, engine.default_config(framework) if config is None else config)


def error_of(call) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value


NO_SIGNALS: dict[str, float] = {}


# ── each framework through the engine ─────────────────────────────────────────────────────────


def test_rice_worked_example():
    rice = spec("rice")
    inputs = engine.parse_inputs(rice, {"reach": "500", "impact": "2", "confidence": "80%", "effort": "2"})
    assert inputs == {"reach": 500, "impact": 2, "confidence": 80, "effort": 2}
    result = engine.score(rice, inputs, NO_SIGNALS)
    assert result is not None
    assert result.value == 400.0
    assert result.method == "log"
    assert math.exp(result.contributions["confidence"]) == pytest.approx(0.8)
    assert math.exp(result.contributions["effort"]) == pytest.approx(0.5)
    assert [f.key for f in rice.fields] == ["reach", "impact", "confidence", "effort"]
    assert rice.signals == frozenset()


def test_rice_with_reach_from_votes():
    rice = spec("rice", {"sources": {"reach": "votes"}})
    assert rice.signals == frozenset({"votes"})
    assert rice.field("reach").signal == "votes"
    assert [f.key for f in rice.editable] == ["impact", "confidence", "effort"]
    inputs = {"impact": 1, "confidence": 50, "effort": 4}
    assert engine.score(rice, inputs, {"votes": 120.0}).value == 15.0  # 120 × 1 × 0.5 / 4
    assert engine.score(rice, inputs, {}) is None


def test_ice_average_and_product():
    inputs = {"impact": 8, "confidence": 6, "ease": 4}
    assert engine.score(spec("ice"), inputs, NO_SIGNALS).value == 6.0
    product = engine.score(spec("ice", {"mode": "product"}), inputs, NO_SIGNALS)
    assert product.value == 192.0
    assert product.method == "log"


def test_wsjf_worked_example():
    wsjf = spec("wsjf")
    inputs = engine.parse_inputs(
        wsjf, {"business_value": "8", "time_criticality": "5", "risk_reduction": "3", "job_size": "8"}
    )
    result = engine.score(wsjf, inputs, NO_SIGNALS)
    assert result.value == 2.0  # (8 + 5 + 3) / 8
    assert result.contributions == {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": -14}


def test_weighted_scorecard_default_criteria():
    weighted = spec("weighted")
    assert [(f.key, f.label, f.kind, f.minimum, f.maximum) for f in weighted.fields] == [
        ("value", "Customer value", "number", 1.0, 5.0),
        ("cost", "Cost", "number", 1.0, 5.0),
    ]
    # value 4 → 0.75 × 2; cost 2 → (1 − 0.25) × 1; (1.5 + 0.75) / 3 × 100 = 75
    assert engine.score(weighted, {"value": 4, "cost": 2}, NO_SIGNALS).value == pytest.approx(75.0)


def test_weighted_criterion_from_a_signal_is_clamped_and_snapped():
    weighted = spec(
        "weighted",
        {
            "criteria": [
                {"key": "demand", "weight": 1, "scale": {"kind": "range", "minimum": 0, "maximum": 100, "step": 10},
                 "signal": "votes"},
                {"key": "fit", "label": "Strategic fit", "weight": 1, "scale": {"kind": "fibonacci"}},
            ]
        },
    )  # fmt: skip
    assert weighted.signals == frozenset({"votes"})
    assert weighted.field("fit").kind == "choice"
    assert weighted.field("fit").choices[-1] == ("20", "20")
    # 437 votes → clamped to 100 → 1.0; fit 20 → 1.0: the full 100
    assert engine.score(weighted, {"fit": 20}, {"votes": 437.0}).value == 100.0
    # 34 votes → snapped to 30 → 0.3; fit 1 → 0: 15
    assert engine.score(weighted, {"fit": 1}, {"votes": 34.0}).value == pytest.approx(15.0)


def test_value_effort_takes_effort_from_the_estimate():
    model = spec("value_effort")
    assert model.config == {"value_max": 10.0, "effort_line": 5.0}
    assert model.signals == frozenset({"effort"})
    result = engine.score(model, {"value": 8}, {"effort": 2.0})
    assert result.value == 4.0
    assert result.label == "quick_win"
    assert engine.score(model, {"value": 3}, {"effort": 8.0}).label == "time_sink"
    assert engine.score(model, {"value": 8}, {"effort": math.nan}) is None
    assert engine.value_axis(model) == ("Value", "value")


def test_moscow_and_kano():
    moscow = spec("moscow")
    assert engine.parse_inputs(moscow, {"category": "Must have"}) == {"category": "must"}
    assert engine.parse_inputs(moscow, {"MoSCoW": "won't"}) == {"category": "wont"}
    result = engine.score(moscow, {"category": "should"}, NO_SIGNALS)
    assert (result.value, result.label) == (2.0, "should")

    kano = spec("kano")
    answers = engine.parse_inputs(kano, {"answers": "like/dislike; like / neutral\nexpect/dislike; like/dislike"})
    assert answers == {
        "answers": [["like", "dislike"], ["like", "neutral"], ["expect", "dislike"], ["like", "dislike"]]
    }
    result = engine.score(kano, answers, NO_SIGNALS)
    assert result.label == "O"  # two one-dimensional, one attractive, one must-be
    assert result.value == 0.75  # (A + O) / (A + O + M + I) = 3 / 4


def test_custom_formula_over_inputs_and_signals():
    custom = spec("custom", {"formula": "value * votes / max(effort, 1)", "inputs": ["Value"]})
    assert custom.config == {"formula": "value * votes / max(effort, 1)", "inputs": ["value"]}
    assert [(f.key, f.signal) for f in custom.fields] == [("value", None), ("effort", "effort"), ("votes", "votes")]
    assert custom.signals == frozenset({"effort", "votes"})
    assert engine.score(custom, {"value": 3}, {"votes": 10.0, "effort": 0.5}).value == 30.0
    assert engine.score(custom, {"value": 3}, {"votes": 10.0, "effort": 4.0}).value == 7.5
    divide = spec("custom", {"formula": "value / votes", "inputs": ["value"]})
    assert engine.score(divide, {"value": 3}, {"votes": 0.0}) is None  # division by zero: not scored


# ── config validation ─────────────────────────────────────────────────────────────────────────


def test_unknown_framework_and_settings():
    assert error_of(lambda: engine.spec_from_config("magic", {})).fields == {
        "framework": ["Unknown framework 'magic'."]
    }
    assert error_of(lambda: engine.spec_from_config("rice", {"colour": "red"})).message == (
        "config: Unknown setting 'colour' for this framework."
    )
    assert error_of(lambda: engine.spec_from_config("rice", [])).fields == {
        "config": ["The settings must be an object."]
    }


def test_sources_must_name_a_numeric_input_and_a_signal():
    error = error_of(lambda: engine.spec_from_config("rice", {"sources": {"impact": "votes", "reach": "likes"}}))
    assert error.fields == {
        "sources": [
            "'impact' is a choice; it cannot come from a signal.",
            f"'likes' is not a signal; choose one of {', '.join(SIGNALS)}.",
        ]
    }
    assert error_of(lambda: engine.spec_from_config("ice", {"mode": "sum"})).message == (
        "mode: Choose 'average' or 'product'."
    )


def test_weighted_criteria_errors_name_the_field():
    error = error_of(
        lambda: engine.spec_from_config(
            "weighted", {"criteria": [{"key": "reach", "label": "Reach", "weight": 0, "scale": {"kind": "fibonacci"}}]}
        )
    )
    assert error.message == "criteria: weight must be more than 0 for 'Reach'."
    error = error_of(
        lambda: engine.spec_from_config(
            "weighted",
            {
                "criteria": [
                    {"key": "a", "weight": 1, "scale": {"kind": "range", "minimum": 5, "maximum": 1}},
                    {"key": "a", "weight": 1, "direction": "up"},
                    {"key": "b", "weight": 1, "scale": {"kind": "custom", "values": [3]}},
                ]
            },
        )
    )
    assert error.fields == {
        "criteria": [
            "scale of 'A': The maximum must be above the minimum.",
            "key 'a' is used twice.",
            "direction of 'A' must be 'benefit' or 'cost'.",
            "scale of 'B': A scale needs at least two different values.",
        ]
    }
    assert error_of(lambda: engine.spec_from_config("weighted", {"criteria": []})).message == (
        "criteria: Add at least one criterion."
    )


def test_value_effort_and_custom_errors():
    assert error_of(lambda: engine.spec_from_config("value_effort", {"value_max": 1})).fields == {
        "value_max": ["The top of the value scale must be a number above 1."]
    }
    with pytest.raises(FormulaError) as caught:
        engine.spec_from_config("custom", {"formula": "reach * foo", "inputs": ["reach"]})
    assert caught.value.message == "formula: Unknown name 'foo' at position 8"
    assert caught.value.pointer == "reach * foo\n        ^"
    assert error_of(lambda: engine.spec_from_config("custom", {"formula": "votes", "inputs": ["votes"]})).fields == {
        "inputs": ["'votes' is a built-in signal: use it in the formula directly."]
    }
    assert error_of(lambda: engine.spec_from_config("custom", {"formula": "", "inputs": []})).message == (
        "formula: Enter a formula."
    )


def test_default_configs_are_valid_and_normalised():
    for framework in engine.FRAMEWORKS:
        model = spec(framework)
        assert engine.spec_from_config(framework, model.config).config == model.config


# ── parsing inputs ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("80%", 80), ("80", 80), ("0.8", 80), (0.8, 80), ("medium", 80), ("High (100%)", 100), ("0.5", 50), (1, 100)],
)
def test_rice_confidence_spellings(raw, expected):
    assert engine.parse_inputs(spec("rice"), {"confidence": raw}) == {"confidence": expected}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3), ("massive", 3), ("High", 2), ("Medium (1)", 1), ("low", 0.5), ("0,25", 0.25), (0.25, 0.25)],
)
def test_rice_impact_spellings(raw, expected):
    assert engine.parse_inputs(spec("rice"), {"impact": raw}) == {"impact": expected}


def test_numbers_with_separators_and_blanks_clear():
    assert engine.parse_inputs(spec("rice"), {"Reach": "1,200", "effort": " 1.5 ", "impact": ""}) == {
        "reach": 1200,
        "effort": 1.5,
        "impact": None,
    }


def test_bad_inputs_are_named_each():
    error = error_of(
        lambda: engine.parse_inputs(
            spec("rice"), {"reach": "-5", "impact": "4", "confidence": "70%", "effort": "0", "colour": "red"}
        )
    )
    assert error.fields == {
        "reach": ["Enter 0 or more."],
        "impact": ["Choose one of 3, 2, 1, 0.5, 0.25."],
        "confidence": ["Choose one of 100%, 80%, 50%."],
        "effort": ["Effort must be more than 0 person-months."],
        "colour": ["Unknown input for this model."],
    }
    assert error_of(lambda: engine.parse_inputs(spec("ice"), {"ease": "eleven"})).message == "ease: Enter a number."
    assert error_of(lambda: engine.parse_inputs(spec("ice"), {"ease": "11"})).message == "ease: Enter 10 or less."
    assert error_of(lambda: engine.parse_inputs(spec("wsjf"), {"job_size": "4"})).message == (
        "job_size: Choose one of 1, 2, 3, 5, 8, 13, 20."
    )
    assert error_of(lambda: engine.parse_inputs(spec("weighted"), {"value": "2.5"})).message == (
        "value: Enter a value from 1 to 5 in steps of 1."
    )
    assert error_of(lambda: engine.parse_inputs(spec("moscow"), {"category": "maybe"})).message == (
        "category: Choose must, should, could or won't."
    )
    assert error_of(lambda: engine.parse_inputs(spec("kano"), {"answers": "like/love"})).message == (
        "answers: Pair 1: choose like, expect, neutral, live with or dislike."
    )


def test_signal_inputs_cannot_be_typed_and_complete_inputs_are_required():
    rice = spec("rice", {"sources": {"reach": "votes"}})
    assert error_of(lambda: engine.parse_inputs(rice, {"reach": "5"})).fields == {
        "reach": ["Comes from votes; it cannot be typed."]
    }
    error = error_of(lambda: engine.parse_inputs(rice, {"impact": "2"}, partial=False))
    assert error.fields == {"confidence": ["Enter a value."], "effort": ["Enter a value."]}


def test_spec_of_caches_by_id_and_update_time():
    from types import SimpleNamespace

    first = SimpleNamespace(pk=10_001, updated_at=1, framework="ice", config={"mode": "product"})
    assert engine.spec_of(first) is engine.spec_of(first)  # type: ignore[arg-type]
    changed = SimpleNamespace(pk=10_001, updated_at=2, framework="ice", config={"mode": "average"})
    assert engine.spec_of(changed).config["mode"] == "average"  # type: ignore[arg-type]


# ── score_many equals score ───────────────────────────────────────────────────────────────────


def _random_inputs(model: engine.ModelSpec, rng: random.Random) -> dict:
    row: dict = {}
    for f in model.editable:
        if rng.random() < 0.1:
            continue  # missing: not scored
        if f.kind == "answers":
            answers = ["like", "expect", "neutral", "live_with", "dislike"]
            row[f.key] = [[rng.choice(answers), rng.choice(answers)] for _ in range(rng.randint(1, 6))]
        elif f.choices:
            row[f.key] = engine.parse_inputs(model, {f.key: rng.choice(f.choices)[0]})[f.key]
        else:
            low = f.minimum if f.minimum is not None else 0
            high = f.maximum if f.maximum is not None else 1000
            value = rng.randint(int(low), int(high)) if model.framework == "weighted" else rng.uniform(low, high)
            row[f.key] = value
    return row


CONFIGS = [
    ("rice", None),
    ("rice", {"sources": {"reach": "votes", "effort": "effort"}}),
    ("ice", None),
    ("ice", {"mode": "product"}),
    ("wsjf", None),
    ("weighted", None),
    (
        "weighted",
        {
            "criteria": [
                {"key": "fit", "weight": 3, "scale": {"kind": "fibonacci"}},
                {"key": "risk", "weight": 1.5, "scale": {"kind": "custom", "values": [0, 2, 7]}, "direction": "cost"},
                {
                    "key": "asks",
                    "weight": 2,
                    "scale": {"kind": "range", "minimum": 0, "maximum": 50, "step": 5},
                    "signal": "companies",
                },
            ]
        },
    ),
    ("value_effort", None),
    ("moscow", None),
    ("kano", None),
    (
        "custom",
        {"formula": "if(votes > 10, log(arr + 1) * reach, sqrt(reach)) / max(effort, 0.5)", "inputs": ["reach"]},
    ),
    ("custom", {"formula": "reach / (demand - 3)", "inputs": ["reach"]}),
]


@pytest.mark.parametrize(("framework", "config"), CONFIGS)
def test_score_many_equals_score_row_by_row(framework, config):
    rng = random.Random(f"{framework}{config}")
    model = spec(framework, config)
    rows = [_random_inputs(model, rng) for _ in range(300)]
    signals = {
        "votes": np.array([float(rng.randint(0, 40)) for _ in rows]),
        "demand": np.array([float(rng.randint(0, 6)) for _ in rows]),
        "companies": np.array([float(rng.randint(0, 80)) for _ in rows]),
        "arr": np.array([rng.uniform(0, 1e6) for _ in rows]),
        "effort": np.array([math.nan if rng.random() < 0.1 else float(rng.randint(0, 13)) for _ in rows]),
    }
    many = engine.score_many(model, rows, signals)
    assert many.shape == (300,)
    scored = 0
    for i, row in enumerate(rows):
        single = engine.score(model, row, {name: float(column[i]) for name, column in signals.items()})
        if single is None:
            assert math.isnan(many[i]), (i, row)
        else:
            scored += 1
            assert many[i] == pytest.approx(single.value, rel=1e-12, abs=1e-12), (i, row)
    assert scored > 100  # the comparison covered real scores


def test_score_many_of_nothing():
    assert engine.score_many(spec("rice"), [], {}).shape == (0,)


def test_value_axis_per_framework_and_value_many():
    rice = spec("rice")
    assert engine.value_axis(rice) == ("Reach × impact × confidence", "")
    values = engine.value_many(rice, [{"reach": 500, "impact": 2, "confidence": 80, "effort": 2}, {"reach": 1}], {})
    assert values[0] == 800.0
    assert math.isnan(values[1])
    wsjf = spec("wsjf")
    assert engine.value_many(
        wsjf, [{"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 8}], {}
    ).tolist() == [16.0]
    assert engine.value_axis(spec("moscow")) == ("MoSCoW (must 3 … won't 0)", "category")

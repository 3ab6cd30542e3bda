"""The bridge between a stored scoring model (framework + config JSON) and the pure frameworks.

* :func:`spec_from_config` validates a model's config and describes the inputs a person fills in
  (:class:`InputField`) and the built-in signals the model reads (``ModelSpec.signals``);
  :func:`spec_of` caches it per stored model.
* :func:`parse_inputs` reads what people type or paste ("80%", "0.8", "High", "must have", Kano
  answers as text) into typed values, naming each bad key.
* :func:`score` scores one feature through :mod:`headway.prioritization.frameworks` (with its
  explanation); :func:`score_many` scores many features at once with numpy (the same numbers,
  row by row, NaN where :func:`score` gives None).

Config shapes (normalised by :func:`spec_from_config`)::

    rice          {"sources": {"reach": "votes"}}          inputs fed by a built-in signal
    ice           {"mode": "average" | "product", "sources": {}}
    wsjf          {"sources": {}}
    weighted      {"criteria": [{"key", "label", "weight", "direction": "benefit" | "cost",
                                 "scale": {"kind": "range", "minimum", "maximum", "step"}
                                        | {"kind": "fibonacci"} | {"kind": "custom", "values": [...]},
                                 "signal": "votes" (optional)}]}
    value_effort  {"value_max": 10, "effort_line": 5}     effort is the feature's estimate
    moscow        {}
    kano          {}
    custom        {"formula": "reach * impact / effort", "inputs": ["reach", "impact"]}

A criterion or input fed by a signal takes the signal's value as it is now; for a weighted
criterion it is clamped to the scale and snapped to its nearest step (so "votes" on a 0–100 scale
saturates at 100). A signal value a framework refuses (an effort of 0 for RICE) leaves the score
incomplete (None / NaN) rather than failing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from headway.core.errors import ValidationFailed
from headway.prioritization import frameworks
from headway.prioritization.frameworks import Score

if TYPE_CHECKING:
    from headway.prioritization.models import ScoringModel

FRAMEWORKS = ("rice", "ice", "wsjf", "weighted", "value_effort", "moscow", "kano", "custom")

SIGNAL_LABELS: dict[str, str] = {
    "votes": "Votes",
    "demand": "Demand",
    "companies": "Companies asking",
    "arr": "ARR asking",
    "objectives": "Objectives served",
    "objective_priority": "Objective priority",
    "age_days": "Age (days)",
    "effort": "Effort estimate",
}


@dataclass(frozen=True)
class InputField:
    """One input of a model as the grid shows it."""

    key: str
    label: str
    kind: Literal["number", "choice", "answers"]
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    signal: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A validated model: its normalised config, the inputs to fill and the signals it reads."""

    framework: str
    config: dict
    fields: tuple[InputField, ...]
    signals: frozenset[str]

    def field(self, key: str) -> InputField | None:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        return None

    @property
    def editable(self) -> tuple[InputField, ...]:
        """The fields people type (not fed by a signal)."""
        return tuple(f for f in self.fields if f.signal is None)


# ── problems ──────────────────────────────────────────────────────────────────────────────────


class _Problems:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, reason: str) -> None:
        self.fields.setdefault(name, []).append(reason)

    def raise_if_any(self) -> None:
        if self.fields:
            name, reasons = next(iter(self.fields.items()))
            raise ValidationFailed(f"{name}: {reasons[0]}", fields=self.fields)


def _number_text(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _label_of(key: str) -> str:
    return key.replace("_", " ").capitalize()


# ── the frameworks' fields ────────────────────────────────────────────────────────────────────

IMPACT_CHOICES = (
    ("3", "Massive (3)"),
    ("2", "High (2)"),
    ("1", "Medium (1)"),
    ("0.5", "Low (0.5)"),
    ("0.25", "Minimal (0.25)"),
)
CONFIDENCE_CHOICES = (("100", "High (100%)"), ("80", "Medium (80%)"), ("50", "Low (50%)"))
FIBONACCI_CHOICES = tuple((str(n), str(n)) for n in frameworks.MODIFIED_FIBONACCI)
MOSCOW_CHOICES = (("must", "Must have"), ("should", "Should have"), ("could", "Could have"), ("wont", "Won't have"))

# Words people use for choices, beyond the choices' own values and labels.
_IMPACT_WORDS = {"massive": 3.0, "high": 2.0, "medium": 1.0, "low": 0.5, "minimal": 0.25}
_CONFIDENCE_WORDS = {"high": 100.0, "medium": 80.0, "low": 50.0}

_RICE_FIELDS = (
    InputField("reach", "Reach", "number", minimum=0, help="People or events per period."),
    InputField(
        "impact", "Impact", "choice", IMPACT_CHOICES, help="3 massive, 2 high, 1 medium, 0.5 low, 0.25 minimal."
    ),
    InputField("confidence", "Confidence", "choice", CONFIDENCE_CHOICES, help="In percent: 100, 80 or 50."),
    InputField("effort", "Effort", "number", minimum=0, help="Person-months; more than 0."),
)
_ICE_FIELDS = tuple(
    InputField(key, key.capitalize(), "number", minimum=1, maximum=10, help="From 1 to 10.")
    for key in ("impact", "confidence", "ease")
)
_WSJF_FIELDS = (
    InputField("business_value", "Business value", "choice", FIBONACCI_CHOICES),
    InputField("time_criticality", "Time criticality", "choice", FIBONACCI_CHOICES),
    InputField("risk_reduction", "Risk reduction / opportunity", "choice", FIBONACCI_CHOICES),
    InputField("job_size", "Job size", "choice", FIBONACCI_CHOICES),
)
_SOURCED = {"rice": _RICE_FIELDS, "ice": _ICE_FIELDS, "wsjf": _WSJF_FIELDS}


def default_config(framework: str) -> dict:
    """A new model's config for ``framework`` (a weighted scorecard starts with two criteria)."""
    match framework:
        case "rice" | "wsjf":
            return {"sources": {}}
        case "ice":
            return {"mode": "average", "sources": {}}
        case "weighted":
            return {
                "criteria": [
                    {
                        "key": "value",
                        "label": "Customer value",
                        "weight": 2,
                        "scale": {"kind": "range", "minimum": 1, "maximum": 5, "step": 1},
                        "direction": "benefit",
                    },
                    {
                        "key": "cost",
                        "label": "Cost",
                        "weight": 1,
                        "scale": {"kind": "range", "minimum": 1, "maximum": 5, "step": 1},
                        "direction": "cost",
                    },
                ]
            }
        case "value_effort":
            return {"value_max": 10, "effort_line": 5}
        case "moscow" | "kano":
            return {}
        case "custom":
            return {"formula": "value * (1 + demand) / max(effort, 1)", "inputs": ["value"]}
    raise ValidationFailed.on("framework", f"Unknown framework '{framework}'.")


def _unknown_keys(config: Mapping, allowed: Sequence[str], problems: _Problems) -> None:
    for key in config:
        if key not in allowed:
            problems.add("config", f"Unknown setting '{key}' for this framework.")


def _sources(framework: str, raw: object, problems: _Problems) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.add("sources", "Give the sources as {input: signal}.")
        return {}
    numbers = {f.key for f in _SOURCED[framework] if f.kind == "number"}
    sources: dict[str, str] = {}
    for key, signal in raw.items():
        if key not in {f.key for f in _SOURCED[framework]}:
            problems.add("sources", f"There is no input '{key}' in this framework.")
        elif key not in numbers:
            problems.add("sources", f"'{key}' is a choice; it cannot come from a signal.")
        elif signal not in frameworks.SIGNALS:
            problems.add("sources", f"'{signal}' is not a signal; choose one of {', '.join(frameworks.SIGNALS)}.")
        else:
            sources[str(key)] = str(signal)
    return sources


def _sourced_fields(framework: str, sources: Mapping[str, str]) -> tuple[InputField, ...]:
    fields = []
    for f in _SOURCED[framework]:
        signal = sources.get(f.key)
        if signal:
            fields.append(
                InputField(
                    f.key,
                    f.label,
                    f.kind,
                    f.choices,
                    f.minimum,
                    f.maximum,
                    f"From {SIGNAL_LABELS[signal].lower()}.",
                    signal,
                )
            )
        else:
            fields.append(f)
    return tuple(fields)


_KEY = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")


def _weighted(config: Mapping, problems: _Problems) -> tuple[dict, tuple[InputField, ...]]:
    raw = config.get("criteria")
    if not isinstance(raw, list) or not raw:
        problems.add("criteria", "Add at least one criterion.")
        return {"criteria": []}, ()
    if len(raw) > 30:
        problems.add("criteria", "Use at most 30 criteria.")
    criteria: list[dict] = []
    fields: list[InputField] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            problems.add("criteria", f"criterion {index} must be an object.")
            continue
        key = str(item.get("key") or "").strip().lower()
        label = str(item.get("label") or "").strip()[:80] or _label_of(key)
        name = f"'{label}'" if label else f"criterion {index}"
        if not _KEY.match(key):
            problems.add("criteria", f"key of {name} must be letters, digits and underscores (at most 40).")
        elif key in seen:
            problems.add("criteria", f"key '{key}' is used twice.")
        seen.add(key)
        weight = item.get("weight")
        if not _is_number(weight) or not math.isfinite(float(weight)):  # type: ignore[arg-type]
            problems.add("criteria", f"weight must be a number for {name}.")
            weight = 1.0
        elif float(weight) <= 0:  # type: ignore[arg-type]
            problems.add("criteria", f"weight must be more than 0 for {name}.")
        direction = item.get("direction", "benefit")
        if direction not in ("benefit", "cost"):
            problems.add("criteria", f"direction of {name} must be 'benefit' or 'cost'.")
            direction = "benefit"
        scale_raw = item.get("scale") or {"kind": "range", "minimum": 1, "maximum": 5, "step": 1}
        scale_config, scale = _scale(scale_raw, name, problems)
        signal = item.get("signal") or None
        if signal is not None and signal not in frameworks.SIGNALS:
            problems.add("criteria", f"signal of {name}: '{signal}' is not a signal.")
            signal = None
        unknown = set(item) - {"key", "label", "weight", "direction", "scale", "signal"}
        if unknown:
            problems.add("criteria", f"unknown setting '{sorted(unknown)[0]}' for {name}.")
        normalised: dict[str, Any] = {
            "key": key,
            "label": label,
            "weight": float(weight),  # type: ignore[arg-type]
            "scale": scale_config,
            "direction": direction,
        }
        if signal:
            normalised["signal"] = signal
        criteria.append(normalised)
        if scale is None:
            continue
        help_text = f"{'Cost: lower is better. ' if direction == 'cost' else ''}{scale.describe().capitalize()}."
        if signal:
            help_text = f"From {SIGNAL_LABELS[signal].lower()}, clamped to the scale."
        if scale.allowed is not None:
            choices = tuple((_number_text(v), _number_text(v)) for v in scale.allowed)
            fields.append(InputField(key, label, "choice", choices, scale.minimum, scale.maximum, help_text, signal))
        else:
            fields.append(InputField(key, label, "number", (), scale.minimum, scale.maximum, help_text, signal))
    return {"criteria": criteria}, tuple(fields)


def _scale(raw: object, name: str, problems: _Problems) -> tuple[dict, frameworks.Scale | None]:
    if not isinstance(raw, Mapping):
        problems.add("criteria", f"scale of {name} must be an object.")
        return {}, None
    kind = raw.get("kind", "range")
    try:
        if kind == "range":
            values = {k: raw.get(k, default) for k, default in (("minimum", 1), ("maximum", 5), ("step", 1))}
            if not all(_is_number(v) for v in values.values()):
                problems.add("criteria", f"scale of {name}: minimum, maximum and step must be numbers.")
                return {}, None
            scale = frameworks.Scale.range(values["minimum"], values["maximum"], values["step"])  # type: ignore[arg-type]
            return {"kind": "range", **{k: float(v) for k, v in values.items()}}, scale  # type: ignore[arg-type]
        if kind == "fibonacci":
            return {"kind": "fibonacci"}, frameworks.Scale.fibonacci()
        if kind == "custom":
            values_raw = raw.get("values")
            if not isinstance(values_raw, list) or not all(_is_number(v) for v in values_raw):
                problems.add("criteria", f"scale of {name}: give the values as a list of numbers.")
                return {}, None
            scale = frameworks.Scale.custom(values_raw)
            return {"kind": "custom", "values": list(scale.allowed or ())}, scale
    except ValidationFailed as exc:
        reason = next(iter(exc.fields.values()))[0] if exc.fields else exc.message
        problems.add("criteria", f"scale of {name}: {reason}")
        return {}, None
    problems.add("criteria", f"scale of {name}: the kind must be range, fibonacci or custom.")
    return {}, None


def spec_from_config(framework: str, config: Mapping) -> ModelSpec:
    """Validate ``config`` for ``framework`` and describe the model; ValidationFailed names the field.

    Fields: ``framework``, ``config`` (unknown settings), ``sources``, ``mode``, ``criteria``,
    ``value_max``, ``effort_line``, ``formula`` (a FormulaError with its position and pointer),
    ``inputs``.
    """
    if framework not in FRAMEWORKS:
        raise ValidationFailed.on("framework", f"Unknown framework '{framework}'.")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise ValidationFailed.on("config", "The settings must be an object.")
    problems = _Problems()
    normalised: dict[str, Any]
    fields: tuple[InputField, ...]
    if framework in ("rice", "wsjf"):
        _unknown_keys(config, ("sources",), problems)
        sources = _sources(framework, config.get("sources"), problems)
        normalised, fields = {"sources": sources}, _sourced_fields(framework, sources)
    elif framework == "ice":
        _unknown_keys(config, ("sources", "mode"), problems)
        mode = config.get("mode", "average")
        if mode not in ("average", "product"):
            problems.add("mode", "Choose 'average' or 'product'.")
            mode = "average"
        sources = _sources(framework, config.get("sources"), problems)
        normalised, fields = {"mode": mode, "sources": sources}, _sourced_fields(framework, sources)
    elif framework == "weighted":
        _unknown_keys(config, ("criteria",), problems)
        normalised, fields = _weighted(config, problems)
    elif framework == "value_effort":
        _unknown_keys(config, ("value_max", "effort_line"), problems)
        value_max = config.get("value_max", 10)
        if not _is_number(value_max) or not 1 < float(value_max) <= 1_000_000:
            problems.add("value_max", "The top of the value scale must be a number above 1.")
            value_max = 10
        effort_line = config.get("effort_line", 5)
        if not _is_number(effort_line) or not 0 < float(effort_line) <= 1_000_000:
            problems.add("effort_line", "The effort line must be a number above 0.")
            effort_line = 5
        normalised = {"value_max": float(value_max), "effort_line": float(effort_line)}
        fields = (
            InputField(
                "value",
                "Value",
                "number",
                minimum=1,
                maximum=float(value_max),
                help=f"From 1 to {_number_text(float(value_max))}.",
            ),
            InputField("effort", "Effort", "number", minimum=0, help="The feature's effort estimate.", signal="effort"),
        )
    elif framework == "moscow":
        _unknown_keys(config, (), problems)
        normalised, fields = {}, (InputField("category", "MoSCoW", "choice", MOSCOW_CHOICES),)
    elif framework == "kano":
        _unknown_keys(config, (), problems)
        normalised = {}
        fields = (
            InputField(
                "answers",
                "Survey answers",
                "answers",
                help="Pairs of answers (functional / dysfunctional): like, expect, neutral, live with, dislike.",
            ),
        )
    else:
        normalised, fields = _custom(config, problems)
    problems.raise_if_any()
    signals = frozenset(f.signal for f in fields if f.signal)
    return ModelSpec(framework=framework, config=normalised, fields=fields, signals=signals)


def _custom(config: Mapping, problems: _Problems) -> tuple[dict, tuple[InputField, ...]]:
    _unknown_keys(config, ("formula", "inputs"), problems)
    inputs_raw = config.get("inputs", [])
    inputs: list[str] = []
    if not isinstance(inputs_raw, list) or not all(isinstance(name, str) for name in inputs_raw):
        problems.add("inputs", "Give the inputs as a list of names.")
    else:
        for name in inputs_raw:
            key = name.strip().lower()
            if key in frameworks.SIGNALS:
                problems.add("inputs", f"'{key}' is a built-in signal: use it in the formula directly.")
            elif key in inputs:
                problems.add("inputs", f"'{key}' is listed twice.")
            else:
                inputs.append(key)
        if len(inputs) > 30:
            problems.add("inputs", "Use at most 30 inputs.")
    text = config.get("formula")
    if not isinstance(text, str) or not text.strip():
        problems.add("formula", "Enter a formula.")
        problems.raise_if_any()
    problems.raise_if_any()
    assert isinstance(text, str)
    model = frameworks.custom_model(text, inputs=inputs)  # FormulaError (field "formula") with its pointer
    fields = [InputField(key, _label_of(key), "number", help="A number.") for key in inputs]
    for name in sorted(model.formula.names & frameworks.SIGNALS.keys()):
        fields.append(InputField(name, SIGNAL_LABELS[name], "number", help=frameworks.SIGNALS[name], signal=name))
    return {"formula": text, "inputs": inputs}, tuple(fields)


_SPEC_CACHE: dict[tuple[int, object, str], ModelSpec] = {}


def spec_of(model: ScoringModel) -> ModelSpec:
    """The spec of a stored model, cached by (id, updated_at) (a changed config has a new updated_at)."""
    if model.pk is None:
        return spec_from_config(model.framework, model.config)
    key = (model.pk, model.updated_at, model.framework)
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        spec = spec_from_config(model.framework, model.config)
        if len(_SPEC_CACHE) > 512:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[key] = spec
    return spec


# ── inputs ────────────────────────────────────────────────────────────────────────────────────

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _to_number(raw: object) -> tuple[float | None, bool]:
    """(number, was a percent) from a number or text ("1,200", "80%", " 2 "); (None, _) if not one."""
    if _is_number(raw):
        number = float(raw)  # type: ignore[arg-type]
        return (number if math.isfinite(number) else None), False
    if not isinstance(raw, str):
        return None, False
    text = raw.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    percent = text.endswith("%")
    text = text.removesuffix("%")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        text = text.replace(",", "")
    elif text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # a decimal comma: "0,5"
    if not _NUMBER.match(text):
        return None, percent
    number = float(text)
    return (number if math.isfinite(number) else None), percent


def _stored(number: float) -> float | int:
    """Integral numbers are stored as ints (500, not 500.0), so they read back as typed."""
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _parse_field(spec: ModelSpec, field: InputField, raw: object) -> object:
    """One typed value, or ValueError(reason)."""
    if field.kind == "answers":
        return _parse_answers(raw)
    if spec.framework == "moscow":
        try:
            return frameworks.moscow_category(str(raw)).value
        except ValidationFailed:
            raise ValueError("Choose must, should, could or won't.") from None
    number, percent = _to_number(raw)
    if number is None and isinstance(raw, str):
        word = raw.strip().lower()
        if spec.framework == "rice" and field.key == "impact":
            number = _IMPACT_WORDS.get(word.split(" (")[0])
        elif spec.framework == "rice" and field.key == "confidence":
            number = _CONFIDENCE_WORDS.get(word.split(" (")[0])
        if number is None and field.choices:
            for value, label in field.choices:
                if word == label.lower():
                    number = float(value)
    if number is None:
        if field.choices:
            raise ValueError(f"Choose one of {', '.join(value for value, _ in field.choices)}.")
        raise ValueError("Enter a number.")
    if spec.framework == "rice" and field.key == "confidence" and not percent and 0 < number <= 1:
        number *= 100  # 0.8 means 80%
    if field.choices:
        allowed = [float(value) for value, _ in field.choices]
        matches = [value for value in allowed if math.isclose(value, number, rel_tol=1e-9, abs_tol=1e-12)]
        if not matches:
            suffix = "%" if spec.framework == "rice" and field.key == "confidence" else ""
            raise ValueError(f"Choose one of {', '.join(value + suffix for value, _ in field.choices)}.")
        return _stored(matches[0])
    if field.minimum is not None and number < field.minimum:
        raise ValueError(f"Enter {_number_text(field.minimum)} or more.")
    if field.maximum is not None and number > field.maximum:
        raise ValueError(f"Enter {_number_text(field.maximum)} or less.")
    if spec.framework == "rice" and field.key == "effort" and number <= 0:
        raise ValueError("Effort must be more than 0 person-months.")
    if spec.framework == "weighted":
        criterion = _criteria(spec)[field.key]
        if not criterion.scale.accepts(number):
            raise ValueError(f"Enter a value {criterion.scale.describe()}.")
    return _stored(number)


_ANSWER_PAIR = re.compile(r"\s*[/|:>]\s*|\s+-\s+")


def _parse_answers(raw: object) -> list[list[str]]:
    """Kano answers: a list of [functional, dysfunctional] pairs, or text "like/dislike; expect/neutral"."""
    pairs: list[object]
    if isinstance(raw, str):
        chunks = [chunk.strip() for chunk in re.split(r"[;\n]+", raw) if chunk.strip()]
        pairs = [_ANSWER_PAIR.split(chunk, maxsplit=1) for chunk in chunks]
    elif isinstance(raw, list | tuple):
        pairs = list(raw)
    else:
        raise ValueError("Give pairs of answers, such as 'like/dislike; expect/neutral'.")
    if not pairs:
        raise ValueError("Add at least one pair of answers.")
    if len(pairs) > 10_000:
        raise ValueError("Give at most 10,000 pairs of answers.")
    result: list[list[str]] = []
    for index, pair in enumerate(pairs, start=1):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"Pair {index}: give a functional and a dysfunctional answer, such as 'like/dislike'.")
        try:
            result.append([frameworks.kano_answer(str(answer)).value for answer in pair])
        except ValidationFailed:
            raise ValueError(f"Pair {index}: choose like, expect, neutral, live with or dislike.") from None
    return result


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_inputs(spec: ModelSpec, raw: Mapping[str, object], *, partial: bool = True) -> dict[str, object]:
    """Typed inputs from what people typed: ``{"reach": "1,200", "confidence": "80%"}`` → ``{"reach":
    1200, "confidence": 80}``.

    Numbers may carry thousands separators or a decimal comma; RICE confidence takes "80%", "80",
    "0.8" or "medium"; impact takes "2", "high" or "High (2)"; choices take their value or label;
    MoSCoW any spelling ``frameworks.moscow_category`` knows; Kano answers a list of pairs or text
    ("like/dislike; expect/neutral"). An empty value (``""`` or None) is kept as None: it clears
    that input. Keys are matched to field keys, then labels (case-insensitive). Unknown keys and
    inputs that come from a signal are errors; with ``partial=False`` every typed input is required.
    ValidationFailed lists every bad key.
    """
    problems = _Problems()
    parsed: dict[str, object] = {}
    for key, value in raw.items():
        field = _match_field(spec, str(key))
        if field is None:
            problems.add(str(key), "Unknown input for this model.")
            continue
        if field.signal:
            problems.add(field.key, f"Comes from {SIGNAL_LABELS[field.signal].lower()}; it cannot be typed.")
            continue
        if _blank(value):
            parsed[field.key] = None
            continue
        try:
            parsed[field.key] = _parse_field(spec, field, value)
        except ValueError as exc:
            problems.add(field.key, str(exc))
    if not partial:
        for field in spec.editable:
            if parsed.get(field.key) is None and field.key not in problems.fields:
                problems.add(field.key, "Enter a value.")
    problems.raise_if_any()
    return parsed


def _match_field(spec: ModelSpec, key: str) -> InputField | None:
    wanted = key.strip().lower()
    for field in spec.fields:
        if field.key == wanted:
            return field
    for field in spec.fields:
        if field.label.lower() == wanted:
            return field
    return None


# ── scoring ───────────────────────────────────────────────────────────────────────────────────


def _criteria(spec: ModelSpec) -> dict[str, frameworks.Criterion]:
    return _criteria_cached(id(spec), spec)


_CRITERIA_CACHE: dict[int, tuple[ModelSpec, dict[str, frameworks.Criterion]]] = {}


def _criteria_cached(key: int, spec: ModelSpec) -> dict[str, frameworks.Criterion]:
    hit = _CRITERIA_CACHE.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    criteria: dict[str, frameworks.Criterion] = {}
    for item in spec.config.get("criteria", []):
        scale_config = item["scale"]
        if scale_config["kind"] == "range":
            scale = frameworks.Scale.range(scale_config["minimum"], scale_config["maximum"], scale_config["step"])
        elif scale_config["kind"] == "fibonacci":
            scale = frameworks.Scale.fibonacci()
        else:
            scale = frameworks.Scale.custom(scale_config["values"])
        criteria[item["key"]] = frameworks.Criterion(
            key=item["key"],
            weight=item["weight"],
            scale=scale,
            direction=frameworks.Direction(item["direction"]),
            label=item["label"],
        )
    if len(_CRITERIA_CACHE) > 256:
        _CRITERIA_CACHE.clear()
    _CRITERIA_CACHE[key] = (spec, criteria)
    return criteria


def _snap(scale: frameworks.Scale, value: float) -> float:
    """A signal's value clamped to the scale and moved to its nearest step or allowed value."""
    value = min(max(value, scale.minimum), scale.maximum)
    if scale.allowed is not None:
        return min(scale.allowed, key=lambda allowed: (abs(allowed - value), allowed))
    assert scale.step is not None
    snapped = scale.minimum + round((value - scale.minimum) / scale.step) * scale.step
    return min(snapped, scale.maximum) if snapped <= scale.maximum else snapped - scale.step


def _value_effort_model(spec: ModelSpec) -> frameworks.ValueEffortModel:
    return frameworks.ValueEffortModel(
        value_range=(1, spec.config["value_max"]),
        effort_range=(0, math.inf),
        effort_threshold=spec.config["effort_line"],
    )


def _as_float(value: object) -> float | None:
    if _is_number(value):
        number = float(value)  # type: ignore[arg-type]
        return number if math.isfinite(number) else None
    return None


def _values(spec: ModelSpec, inputs: Mapping[str, object], signals: Mapping[str, float]) -> dict[str, object] | None:
    """Each field's value (typed inputs, or the signal's value); None when one is missing."""
    values: dict[str, object] = {}
    for field in spec.fields:
        if field.signal:
            number = _as_float(signals.get(field.signal))
            if number is None:
                return None
            if spec.framework == "weighted":
                number = _snap(_criteria(spec)[field.key].scale, number)
            values[field.key] = number
            continue
        value = inputs.get(field.key)
        if value is None:
            return None
        values[field.key] = value
    return values


def score(spec: ModelSpec, inputs: Mapping[str, object], signals: Mapping[str, float]) -> Score | None:
    """One feature's score with its explanation; None while an input is missing or a signal's value
    does not fit the framework (an effort of 0 for RICE, a division by zero in a formula)."""
    values = _values(spec, inputs, signals)
    if values is None:
        return None
    try:
        return _score(spec, values)
    except ValidationFailed:
        return None


def _score(spec: ModelSpec, values: dict[str, Any]) -> Score:
    match spec.framework:
        case "rice":
            return frameworks.rice(**values)
        case "ice":
            return frameworks.ice(**values, mode=spec.config["mode"])
        case "wsjf":
            return frameworks.wsjf(**values)
        case "weighted":
            return frameworks.weighted_score(list(_criteria(spec).values()), values)
        case "value_effort":
            return frameworks.value_vs_effort(
                value=values["value"], effort=values["effort"], model=_value_effort_model(spec)
            )
        case "moscow":
            return frameworks.moscow(values["category"])
        case "kano":
            return frameworks.kano([tuple(pair) for pair in values["answers"]])
        case _:
            model = _custom_model(spec)
            return frameworks.custom_score(model, {k: v for k, v in values.items()})


_CUSTOM_CACHE: dict[tuple[str, tuple[str, ...]], frameworks.CustomModel] = {}


def _custom_model(spec: ModelSpec) -> frameworks.CustomModel:
    key = (spec.config["formula"], tuple(spec.config["inputs"]))
    model = _CUSTOM_CACHE.get(key)
    if model is None:
        model = frameworks.custom_model(spec.config["formula"], inputs=spec.config["inputs"])
        if len(_CUSTOM_CACHE) > 256:
            _CUSTOM_CACHE.clear()
        _CUSTOM_CACHE[key] = model
    return model


def _column(inputs: Sequence[Mapping[str, object]], key: str) -> np.ndarray:
    """A float column of one input across features: NaN where missing or not a number."""
    nan = math.nan
    return np.fromiter(
        (
            float(v) if isinstance(v, int | float) and not isinstance(v, bool) else nan  # type: ignore[arg-type]
            for v in (row.get(key) for row in inputs)
        ),
        dtype=np.float64,
        count=len(inputs),
    )


def _isin(column: np.ndarray, allowed: Sequence[float]) -> np.ndarray:
    return np.isin(column, np.asarray(allowed, dtype=np.float64))


def _columns(
    spec: ModelSpec, inputs: Sequence[Mapping[str, object]], signals: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    rows = len(inputs)
    columns: dict[str, np.ndarray] = {}
    for field in spec.fields:
        if field.signal:
            column = np.asarray(signals.get(field.signal, np.full(rows, np.nan)), dtype=np.float64)
            if column.shape != (rows,):
                raise ValueError(f"The signal '{field.signal}' has {column.shape} values for {rows} features.")
            if spec.framework == "weighted":
                column = _snap_many(_criteria(spec)[field.key].scale, column)
            columns[field.key] = column
        else:
            columns[field.key] = _column(inputs, field.key)
    return columns


def _snap_many(scale: frameworks.Scale, column: np.ndarray) -> np.ndarray:
    clamped = np.clip(column, scale.minimum, scale.maximum)
    if scale.allowed is not None:
        allowed = np.asarray(scale.allowed, dtype=np.float64)
        distance = np.abs(clamped[:, None] - allowed[None, :])
        nearest = allowed[np.argmin(distance, axis=1)] if len(clamped) else clamped
        return np.where(np.isnan(column), np.nan, nearest)
    assert scale.step is not None
    snapped = scale.minimum + np.round((clamped - scale.minimum) / scale.step) * scale.step
    return np.where(snapped > scale.maximum, snapped - scale.step, snapped)


def score_many(
    spec: ModelSpec, inputs: Sequence[Mapping[str, object]], signals: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Scores of many features at once (float64, NaN where :func:`score` gives None).

    ``signals`` maps signal names to arrays aligned with ``inputs`` (a ``SignalTable``'s columns).
    Kano loops over the rows; every other framework is array arithmetic in the same order of
    operations as the frameworks, so the numbers equal :func:`score`'s.
    """
    rows = len(inputs)
    if rows == 0:
        return np.zeros(0, dtype=np.float64)
    if spec.framework == "kano":
        out = np.full(rows, np.nan)
        for index, row in enumerate(inputs):
            result = score(spec, row, {})
            if result is not None:
                out[index] = result.value
        return out
    if spec.framework == "moscow":
        ranks = {bucket.value: value for bucket, value in frameworks.MOSCOW_RANK.items()}
        return np.fromiter(
            (ranks.get(str(row.get("category")), math.nan) for row in inputs),
            dtype=np.float64,
            count=rows,
        )
    c = _columns(spec, inputs, signals)
    with np.errstate(all="ignore"):
        match spec.framework:
            case "rice":
                reach, impact, confidence, effort = c["reach"], c["impact"], c["confidence"], c["effort"]
                ok = (
                    (reach >= 0)
                    & _isin(impact, frameworks.RICE_IMPACTS)
                    & _isin(confidence, frameworks.RICE_CONFIDENCES)
                    & (effort > 0)
                    & np.isfinite(reach)
                    & np.isfinite(effort)
                )
                value = reach * impact * (confidence / 100) / effort
            case "ice":
                impact, confidence, ease = c["impact"], c["confidence"], c["ease"]
                ok = np.ones(rows, dtype=bool)
                for column in (impact, confidence, ease):
                    ok &= (column >= 1) & (column <= 10)
                if spec.config["mode"] == "average":
                    value = (impact + confidence + ease) / 3
                else:
                    value = impact * confidence * ease
            case "wsjf":
                ok = np.ones(rows, dtype=bool)
                for column in c.values():
                    ok &= _isin(column, frameworks.MODIFIED_FIBONACCI)
                value = (c["business_value"] + c["time_criticality"] + c["risk_reduction"]) / c["job_size"]
            case "weighted":
                criteria = list(_criteria(spec).values())
                total_weight = sum(criterion.weight for criterion in criteria)
                ok = np.ones(rows, dtype=bool)
                value = np.zeros(rows, dtype=np.float64)
                for criterion in criteria:
                    column = c[criterion.key]
                    ok &= _accepts_many(criterion.scale, column)
                    fraction = (column - criterion.scale.minimum) / (criterion.scale.maximum - criterion.scale.minimum)
                    if criterion.direction is frameworks.Direction.COST:
                        fraction = 1 - fraction
                    value = value + criterion.weight * fraction / total_weight * 100
            case "value_effort":
                worth, effort = c["value"], c["effort"]
                ok = (worth >= 1) & (worth <= spec.config["value_max"]) & (effort > 0) & np.isfinite(effort)
                value = worth / effort
            case _:
                batch = _custom_model(spec).formula.evaluate_many_with_mask(c)
                ok = ~batch.failed
                value = batch.values
        out = np.where(ok & np.isfinite(value), value, np.nan)
    return np.asarray(out, dtype=np.float64)


def _accepts_many(scale: frameworks.Scale, column: np.ndarray) -> np.ndarray:
    if scale.allowed is not None:
        return _isin(column, scale.allowed)
    assert scale.step is not None
    steps = (column - scale.minimum) / scale.step
    return (column >= scale.minimum) & (column <= scale.maximum) & np.isclose(steps, np.round(steps), rtol=0, atol=1e-9)


def value_axis(spec: ModelSpec) -> tuple[str, str]:
    """(label of the matrix's value axis, key of the input a vertical drag edits or "" for none).

    The value plotted against effort is the part of the score that is not effort: RICE's
    reach × impact × confidence, WSJF's cost of delay, value-vs-effort's value; the score itself
    for the others.
    """
    match spec.framework:
        case "rice":
            return "Reach × impact × confidence", ""
        case "wsjf":
            return "Cost of delay", ""
        case "value_effort":
            return "Value", "value"
        case "ice":
            return "ICE score", ""
        case "weighted":
            return "Weighted score", ""
        case "moscow":
            return "MoSCoW (must 3 … won't 0)", "category"
        case "kano":
            return "Kano better coefficient", ""
        case _:
            return "Score", ""


def value_many(
    spec: ModelSpec, inputs: Sequence[Mapping[str, object]], signals: Mapping[str, np.ndarray]
) -> np.ndarray:
    """The matrix's value per feature (see :func:`value_axis`); NaN where the score is incomplete."""
    scores = score_many(spec, inputs, signals)
    if spec.framework == "rice":
        c = _columns(spec, inputs, signals)
        with np.errstate(all="ignore"):
            numerator = c["reach"] * c["impact"] * (c["confidence"] / 100)
        return np.where(np.isnan(scores), np.nan, numerator)
    if spec.framework == "wsjf":
        c = _columns(spec, inputs, signals)
        return np.where(np.isnan(scores), np.nan, c["business_value"] + c["time_criticality"] + c["risk_reduction"])
    if spec.framework == "value_effort":
        c = _columns(spec, inputs, signals)
        return np.where(np.isnan(scores), np.nan, c["value"])
    return scores


def label_of(spec: ModelSpec, result: Score | None) -> str:
    """The stored label of a score (quadrant, Kano category, MoSCoW bucket), "" when none."""
    return (result.label or "") if result is not None else ""

"""Scoring models: the list (with each product's default), a form per framework for leaders, the
formula's live check, archiving.

The form posts plain fields (``criteria-0-weight``, ``source-reach``, ``formula`` …); this module
turns them into the config JSON ``engine.spec_from_config`` validates, and the services save it.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from headway.backlog import selectors as backlog_selectors
from headway.core import permissions
from headway.core.errors import HeadwayError, ValidationFailed
from headway.core.htmx import id_param, is_scripted, redirect_after, render_page, ws_url
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.prioritization import engine, frameworks
from headway.prioritization.formula import FormulaError
from headway.prioritization.models import FeatureScore, Framework, ProductScoringModel, ScoringModel
from headway.prioritization.selectors import ranking as selectors
from headway.prioritization.services import scoring as services

# What each framework is, in one line, for the form and the list.
FRAMEWORK_HELP = {
    "rice": "Reach × Impact × Confidence ÷ Effort. Impact 3 / 2 / 1 / 0.5 / 0.25, confidence 100 / 80 / 50%, "
    "effort in person-months.",
    "ice": "Impact, Confidence and Ease from 1 to 10, averaged or multiplied.",
    "wsjf": "(Business value + time criticality + risk reduction) ÷ job size, on 1, 2, 3, 5, 8, 13, 20.",
    "weighted": "Criteria you choose, each with a weight and a scale; costs count against.",
    "value_effort": "Value from 1 to a top you choose, divided by the feature's effort estimate.",
    "moscow": "Must, should, could or won't have; warns when Musts pass 60% of capacity.",
    "kano": "Survey answers (functional / dysfunctional pairs) → Kano category and better/worse coefficients.",
    "custom": "Your own formula over named inputs and built-in signals (+ − × ÷ ^, min, max, log, sqrt, if).",
}
SOURCEABLE = ("rice", "ice", "wsjf")
SCALE_KINDS = (("range", "Range"), ("fibonacci", "Fibonacci"), ("custom", "Custom list"))
DIRECTIONS = (("benefit", "Benefit"), ("cost", "Cost"))
BLANK_CRITERIA = 1  # empty rows under the criteria so a form without JavaScript can add some
MAX_CRITERIA_ROWS = 40


def _manage(request: HttpRequest) -> None:
    permissions.require(request.user, Action.SCORING_MODEL_MANAGE, request.workspace)  # type: ignore[attr-defined]


def _model(request: HttpRequest, pk: int) -> ScoringModel:
    return selectors.scoring_model_get(user=request.user, workspace=request.workspace, model_id=pk)  # type: ignore[attr-defined]


# ── the list ──────────────────────────────────────────────────────────────────────────────────


def _usage(workspace: Any, models: list[ScoringModel]) -> dict[int, dict[str, Any]]:
    """Per model: the products that rank by it and how many features have a score under it."""
    ids = [m.pk for m in models]
    usage: dict[int, dict[str, Any]] = {pk: {"products": [], "scored": 0, "started": 0} for pk in ids}
    links = ProductScoringModel.objects.filter(workspace=workspace, scoring_model_id__in=ids).select_related("product")
    for link in links.order_by("product__key"):
        usage[link.scoring_model_id]["products"].append(link.product)
    counts = (
        FeatureScore.objects.filter(workspace=workspace, scoring_model_id__in=ids)
        .values("scoring_model_id")
        .annotate(scored=Count("id", filter=Q(value__isnull=False)), inputs=Count("id"))
        .order_by()
    )
    for row in counts:
        usage[row["scoring_model_id"]].update(scored=row["scored"], started=row["inputs"] - row["scored"])
    return usage


def _list_context(request: HttpRequest) -> dict[str, Any]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    models = selectors.scoring_models(user=user, workspace=workspace, include_archived=True)
    live = [m for m in models if m.archived_at is None]
    usage = _usage(workspace, models)
    products = backlog_selectors.product_choices(actor=user, workspace=workspace)
    chosen = {
        link.product_id: link.scoring_model_id
        for link in ProductScoringModel.objects.filter(workspace=workspace, product__in=products)
    }
    default = next((m for m in live if m.is_default), None)
    return {
        "area": "prioritization",
        "tab": "models",
        "rows": [
            {
                "model": m,
                "framework_help": FRAMEWORK_HELP.get(m.framework, ""),
                **usage[m.pk],
            }
            for m in live
        ],
        "archived": [m for m in models if m.archived_at is not None],
        "default": default,
        "product_rows": [{"product": p, "model_id": chosen.get(p.pk)} for p in products],
        "live_models": live,
        "following": sum(1 for p in products if p.pk not in chosen),
        "can_manage": permissions.can(user, Action.SCORING_MODEL_MANAGE, workspace),
    }


@login_required
def models(request: HttpRequest) -> HttpResponse:
    return render_page(request, "prioritization/models.html", _list_context(request), fragment="models")


@login_required
@require_POST
def product_model_set(request: HttpRequest) -> HttpResponse:
    """A product's default model ("" = the workspace's default)."""
    _manage(request)
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    product = permissions.get_or_404(
        permissions.scope(Product.objects.all(), user, workspace, Action.PRIORITY_VIEW),
        pk=id_param(request.POST.get("product")) or 0,
    )
    model_id = id_param(request.POST.get("model"))
    model = _model(request, model_id) if model_id else None
    try:
        services.product_scoring_model_set(actor=user, product=product, model=model)
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    else:
        messages.success(
            request,
            f"{product.name} now ranks by “{model.name}”."
            if model
            else f"{product.name} now ranks by the workspace's default model.",
        )
    if is_scripted(request):
        return render_page(request, "prioritization/models.html", _list_context(request), fragment="products")
    return redirect(ws_url(request, "prioritization:models"))


# ── the form ──────────────────────────────────────────────────────────────────────────────────


def _number_or_text(text: str) -> float | str:
    """A typed number as a float; anything else as it was typed so the engine names the problem."""
    cleaned = text.strip().replace(",", ".") if text.count(",") == 1 and "." not in text else text.strip()
    try:
        return float(cleaned)
    except ValueError:
        return text.strip()


def _criteria_rows(data: QueryDict) -> list[dict[str, str]]:
    """The criteria rows as posted (every field as text), removed and blank rows left out."""
    count = min(id_param(data.get("criteria_count")) or 0, MAX_CRITERIA_ROWS)
    rows = []
    for index in range(count):
        prefix = f"criteria-{index}-"
        row = {
            name: data.get(prefix + name, "").strip()
            for name in (
                "key",
                "label",
                "weight",
                "kind",
                "minimum",
                "maximum",
                "step",
                "values",
                "direction",
                "signal",
            )
        }
        if data.get(prefix + "remove") or not (row["key"] or row["label"]):
            continue
        rows.append(row)
    return rows


def _criterion_config(row: dict[str, str]) -> dict[str, Any]:
    key = row["key"] or re.sub(r"[^a-z0-9_]+", "_", row["label"].lower()).strip("_")
    criterion: dict[str, Any] = {
        "key": key,
        "label": row["label"],
        "weight": _number_or_text(row["weight"]) if row["weight"] else "",
        "direction": row["direction"] or "benefit",
    }
    kind = row["kind"] or "range"
    if kind == "range":
        scale: dict[str, Any] = {"kind": "range"}
        for name in ("minimum", "maximum", "step"):
            if row[name]:
                scale[name] = _number_or_text(row[name])
    elif kind == "custom":
        values = [v for v in re.split(r"[\s;,]+", row["values"].replace(", ", " ")) if v]
        scale = {"kind": "custom", "values": [_number_or_text(v) for v in values]}
    else:
        scale = {"kind": kind}
    criterion["scale"] = scale
    if row["signal"]:
        criterion["signal"] = row["signal"]
    return criterion


def _names(text: str) -> list[str]:
    return [name for name in re.split(r"[\s,;]+", text.strip()) if name]


def config_from_post(framework: str, data: QueryDict) -> dict[str, Any]:
    """The config JSON of ``framework`` from the form's fields."""
    if framework in SOURCEABLE:
        config: dict[str, Any] = {
            "sources": {
                f.key: data[f"source-{f.key}"] for f in _sourceable_fields(framework) if data.get(f"source-{f.key}")
            }
        }
        if framework == "ice":
            config["mode"] = data.get("mode") or "average"
        return config
    if framework == "weighted":
        return {"criteria": [_criterion_config(row) for row in _criteria_rows(data)]}
    if framework == "value_effort":
        config = {}
        for name in ("value_max", "effort_line"):
            if data.get(name, "").strip():
                config[name] = _number_or_text(data[name])
        return config
    if framework == "custom":
        return {"formula": data.get("formula", ""), "inputs": _names(data.get("inputs", ""))}
    return {}


def _sourceable_fields(framework: str) -> list[engine.InputField]:
    """The inputs of a framework a built-in signal may fill (numbers, not choices)."""
    spec = engine.spec_from_config(framework, engine.default_config(framework))
    return [f for f in spec.fields if f.kind == "number"]


def _rows_from_config(config: dict[str, Any]) -> list[dict[str, str]]:
    def text(value: object) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    rows = []
    for item in config.get("criteria", []):
        scale = item.get("scale") or {}
        rows.append(
            {
                "key": text(item.get("key")),
                "label": text(item.get("label")),
                "weight": text(item.get("weight")),
                "kind": scale.get("kind", "range"),
                "minimum": text(scale.get("minimum")),
                "maximum": text(scale.get("maximum")),
                "step": text(scale.get("step")),
                "values": ", ".join(text(v) for v in scale.get("values", [])),
                "direction": item.get("direction", "benefit"),
                "signal": item.get("signal") or "",
            }
        )
    return rows


def _blank_row() -> dict[str, str]:
    return {
        "key": "",
        "label": "",
        "weight": "1",
        "kind": "range",
        "minimum": "1",
        "maximum": "5",
        "step": "1",
        "values": "",
        "direction": "benefit",
        "signal": "",
    }


def _form_values(model: ScoringModel | None, data: QueryDict | None, framework: str) -> dict[str, Any]:
    """What the form shows: the posted values after an error, else the model's (or a new one's)."""
    configs = {fw: engine.default_config(fw) for fw in engine.FRAMEWORKS}
    if model is not None:
        configs[model.framework] = dict(model.config) or configs[model.framework]
    if data is not None:
        configs[framework] = config_from_post(framework, data)
        rows = _criteria_rows(data) if framework == "weighted" else _rows_from_config(configs["weighted"])
    else:
        rows = _rows_from_config(configs["weighted"])
    custom = configs["custom"]
    value_effort = configs["value_effort"]

    def number(value: object) -> str:
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)

    return {
        "name": data.get("name", "") if data is not None else (model.name if model else ""),
        "description": data.get("description", "") if data is not None else (model.description if model else ""),
        "framework": framework,
        "is_default": bool(data.get("is_default")) if data is not None else bool(model and model.is_default),
        "mode": configs["ice"].get("mode", "average"),
        "sources": {fw: configs[fw].get("sources", {}) for fw in SOURCEABLE},
        "criteria": [*rows, *(_blank_row() for _ in range(BLANK_CRITERIA))],
        "value_max": number(value_effort.get("value_max", "")),
        "effort_line": number(value_effort.get("effort_line", "")),
        "formula": custom.get("formula", "") if isinstance(custom.get("formula", ""), str) else "",
        "inputs": ", ".join(custom.get("inputs", [])) if isinstance(custom.get("inputs"), list) else "",
    }


def _form_context(
    request: HttpRequest,
    *,
    model: ScoringModel | None,
    data: QueryDict | None = None,
    errors: dict[str, list[str]] | None = None,
    error: HeadwayError | None = None,
) -> dict[str, Any]:
    framework = model.framework if model else (data.get("framework") if data is not None else "") or "rice"
    if framework not in engine.FRAMEWORKS:
        framework = "rice"
    values = _form_values(model, data, framework)
    formula_check = _formula_check(values["formula"], values["inputs"]) if framework == "custom" else None
    return {
        "area": "prioritization",
        "tab": "models",
        "model": model,
        "values": values,
        "frameworks": [(value, label, FRAMEWORK_HELP[value]) for value, label in Framework.choices],
        "framework_label": dict(Framework.choices)[framework],
        "sourceable": {fw: _sourceable_fields(fw) for fw in SOURCEABLE},
        "signals": [(name, engine.SIGNAL_LABELS[name], text) for name, text in frameworks.SIGNALS.items()],
        "scale_kinds": SCALE_KINDS,
        "directions": DIRECTIONS,
        "errors": errors or {},
        "general_errors": (errors or {}).get("__all__", []),
        "error": error,
        "check": formula_check,
        "blank_row": _blank_row(),
    }


def _save(request: HttpRequest, model: ScoringModel | None) -> ScoringModel:
    data = request.POST
    framework = model.framework if model else data.get("framework", "")
    if framework not in engine.FRAMEWORKS:
        raise ValidationFailed.on("framework", "Choose a framework.")
    fields = {
        "name": data.get("name", "").strip(),
        "description": data.get("description", "").strip(),
        "config": config_from_post(framework, data),
        "is_default": bool(data.get("is_default")),
    }
    if model is None:
        return services.scoring_model_create(
            actor=request.user,
            workspace=request.workspace,  # type: ignore[attr-defined]
            framework=framework,
            **fields,
        )
    return services.scoring_model_update(actor=request.user, model=model, **fields)


def _form(request: HttpRequest, model: ScoringModel | None) -> HttpResponse:
    _manage(request)
    if request.method == "POST":
        try:
            saved = _save(request, model)
        except HeadwayError as exc:
            context = _form_context(request, model=model, data=request.POST, errors=exc.fields, error=exc)
            return render_page(request, "prioritization/model_form.html", context, status=422)
        messages.success(request, f"Saved the scoring model “{saved.name}”.")
        url = ws_url(request, "prioritization:models")
        return redirect_after(request, url)
    return render_page(request, "prioritization/model_form.html", _form_context(request, model=model))


@login_required
def model_new(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@login_required
def model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    return _form(request, model)


@login_required
@require_POST
def model_archive(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    _manage(request)
    try:
        services.scoring_model_archive(actor=request.user, model=model)
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    else:
        messages.success(request, f"Archived “{model.name}”: its scores are kept, it no longer ranks anything.")
    url = ws_url(request, "prioritization:models")
    return redirect_after(request, url)


# ── the formula's live check ──────────────────────────────────────────────────────────────────


def _formula_check(formula: str, inputs: str) -> dict[str, Any]:
    """Does the formula read with these inputs? The error with its pointer, or the names it uses."""
    names = [n.lower() for n in _names(inputs)]
    result: dict[str, Any] = {
        "formula": formula,
        "ok": False,
        "message": "",
        "pointer": "",
        "uses": [],
        "inputs": names,
    }
    if not formula.strip():
        result["message"] = "Enter a formula."
        return result
    try:
        spec = engine.spec_from_config("custom", {"formula": formula, "inputs": names})
    except FormulaError as exc:
        result.update(message=f"{exc.reason}.", pointer=exc.pointer)
        return result
    except ValidationFailed as exc:
        result["message"] = exc.message_without_field
        return result
    parsed = frameworks.custom_model(spec.config["formula"], inputs=spec.config["inputs"]).formula
    used = parsed.names
    result.update(ok=True, uses=sorted(used), unused=[n for n in names if n not in used])
    return result


@login_required
@require_POST
def model_formula_check(request: HttpRequest) -> HttpResponse:
    """The live check under the formula (htmx posts the formula and inputs as people type)."""
    _manage(request)
    check = _formula_check(request.POST.get("formula", "")[:5000], request.POST.get("inputs", "")[:2000])
    context = {
        "check": check,
        "signals": [(name, engine.SIGNAL_LABELS[name], text) for name, text in frameworks.SIGNALS.items()],
    }
    return render_page(request, "prioritization/model_form.html", context, fragment="formula-check")


urlpatterns = [
    path("models/", models, name="models"),
    path("models/new/", model_new, name="model_new"),
    path("models/check-formula/", model_formula_check, name="model_formula_check"),
    path("models/products/", product_model_set, name="product_model_set"),
    path("models/<int:pk>/", model_edit, name="model_edit"),
    path("models/<int:pk>/archive/", model_archive, name="model_archive"),
]

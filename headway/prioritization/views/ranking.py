"""The ranking (the prioritization area's home): features in score order under a model, pins kept
and shown, "why is this #3" per feature, applying the order to a product's backlog, and the
prioritization card on a feature's page.

Helpers shared with the grid (choosing the model, showing input values) live here too.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from headway.backlog import selectors as backlog_selectors
from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.errors import HeadwayError, ValidationFailed
from headway.core.htmx import id_param, is_scripted, redirect_after, render_page, ws_url
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.prioritization import engine
from headway.prioritization.models import ScoringModel
from headway.prioritization.selectors import ranking as selectors
from headway.prioritization.services import scoring as services

PER_PAGE = 50
KEY_INPUTS = 4  # inputs shown in a ranking row; the "why" panel shows them all

# A score's stored label (quadrant, MoSCoW bucket, Kano category) as people read it.
LABEL_NAMES = {
    "quick_win": "Quick win",
    "big_bet": "Big bet",
    "fill_in": "Fill-in",
    "time_sink": "Time sink",
    "must": "Must have",
    "should": "Should have",
    "could": "Could have",
    "wont": "Won't have",
    "A": "Attractive",
    "O": "Performance",
    "M": "Must-be",
    "I": "Indifferent",
    "R": "Reverse",
    "Q": "Questionable",
}


def label_text(label: str) -> str:
    return LABEL_NAMES.get(label, label)


# ── shared helpers ────────────────────────────────────────────────────────────────────────────


def number_text(value: float | None) -> str:
    """400.0 → "400", 13.3333 → "13.33", 12500.0 → "12,500"; None or NaN → "—"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def value_text(spec: engine.ModelSpec, field: engine.InputField, value: object) -> str:
    """An input as people read it: a choice's label, "80%" for a confidence, "12 answers"."""
    if value is None or value == "":
        return "—"
    if field.kind == "answers":
        count = len(value) if isinstance(value, list | tuple) else 0
        return f"{count} answer{'s' if count != 1 else ''}"
    if isinstance(value, bool):
        return str(value)
    if field.choices:
        for choice, label in field.choices:
            if choice == str(value) or (isinstance(value, int | float) and _same(choice, value)):
                if spec.framework == "moscow":
                    return label
                if spec.framework == "rice" and field.key == "confidence":
                    return f"{choice}%"
                return choice
    if isinstance(value, int | float):
        return number_text(float(value))
    return str(value)


def _same(choice: str, value: float) -> bool:
    try:
        return math.isclose(float(choice), float(value), rel_tol=1e-9, abs_tol=1e-12)
    except ValueError:
        return False


def field_value(field: engine.InputField, inputs: dict[str, Any], signals: dict[str, float]) -> object:
    """A field's current value: typed, or the live signal it is bound to."""
    if field.signal:
        number = signals.get(field.signal)
        return None if number is None or (isinstance(number, float) and math.isnan(number)) else number
    return inputs.get(field.key)


def choose_model(
    request: HttpRequest, wanted: object, product_id: int | None
) -> tuple[list[ScoringModel], ScoringModel | None]:
    """The models to choose from and the one to show: the asked one, else the product's or the
    workspace's default, else the first."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    models = selectors.scoring_models(user=user, workspace=workspace)
    model_id = id_param(wanted)
    if model_id:
        chosen = next((m for m in models if m.pk == model_id), None)
        if chosen is None:
            chosen = selectors.scoring_model_get(user=user, workspace=workspace, model_id=model_id)
            models = [*models, chosen]
        return models, chosen
    default = selectors.default_model(user=user, workspace=workspace, product_id=product_id)
    if default is not None and all(m.pk != default.pk for m in models):
        models = [*models, default]
    return models, default or (models[0] if models else None)


def products_of(request: HttpRequest) -> list[Product]:
    return backlog_selectors.product_choices(actor=request.user, workspace=request.workspace)  # type: ignore[attr-defined]


def query_of(**params: object) -> str:
    """``?model=1&product=2`` without the empty ones."""
    kept = {k: v for k, v in params.items() if v not in (None, "") and not (k == "page" and v == 1)}
    return "?" + urlencode(kept) if kept else ""


def _back(request: HttpRequest, url: str) -> HttpResponse:
    return redirect_after(request, url)


# ── the ranking ───────────────────────────────────────────────────────────────────────────────


def _row(item: selectors.RankedFeature, spec: engine.ModelSpec) -> dict[str, Any]:
    inputs = [
        {
            "label": f.label,
            "text": value_text(spec, f, field_value(f, item.inputs, item.signals)),
            "signal": bool(f.signal),
        }
        for f in spec.fields[:KEY_INPUTS]
    ]
    return {"item": item, "inputs": inputs, "score": number_text(item.score), "label": label_text(item.label)}


def filters_context(request: HttpRequest, params: QueryDict, tab: str) -> tuple[dict[str, Any], int]:
    """What the ranking and the grid share: the chosen model and product, the search, the page
    (returned apart) and what the person may do."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    product_id = id_param(params.get("product"))
    q = params.get("q", "").strip()[:200]
    page = id_param(params.get("page")) or 1
    models, model = choose_model(request, params.get("model"), product_id)
    products = products_of(request)
    product = next((p for p in products if p.pk == product_id), None)
    context: dict[str, Any] = {
        "area": "prioritization",
        "tab": tab,
        "models": models,
        "model": model,
        "model_id": model.pk if model else None,
        "product_id": product.pk if product else None,
        "product": product,
        "products": products,
        "q": q,
        "can_edit": permissions.can(user, Action.SCORE_EDIT, workspace),
        "can_manage": permissions.can(user, Action.SCORING_MODEL_MANAGE, workspace),
        "query": query_of(model=model.pk if model else None, product=product.pk if product else None, q=q, page=page),
    }
    return context, page


def _ranking_context(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    context, page = filters_context(request, params, "ranking")
    model, product, q = context["model"], context["product"], context["q"]
    if model is None:
        return context
    ranking = selectors.ranked_features(
        user=user,
        workspace=workspace,
        model=model,
        product_id=product.pk if product else None,
        q=q,
        page=page,
        per_page=PER_PAGE,
    )
    context.update(
        ranking=ranking,
        rows=[_row(item, ranking.spec) for item in ranking.items],
        fields=ranking.spec.fields[:KEY_INPUTS],
        scored=ranking.total - ranking.unscored,
        has_labels=ranking.spec.framework in ("value_effort", "moscow", "kano"),
        can_apply=product is not None and permissions.can(user, Action.FEATURE_EDIT, workspace, product),
        archived_model=model.archived_at is not None,
    )
    return context


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    return render_page(
        request, "prioritization/ranking.html", _ranking_context(request, request.GET), fragment="ranking"
    )


def _after_change(request: HttpRequest) -> HttpResponse:
    """After a pin or an unpin: the fresh ranking for htmx, else back to the same ranking page."""
    if is_scripted(request):
        return render_page(
            request, "prioritization/ranking.html", _ranking_context(request, request.GET), fragment="ranking"
        )
    return redirect(ws_url(request, "prioritization:ranking") + (f"?{request.GET.urlencode()}" if request.GET else ""))


def _pin_target(request: HttpRequest, pk: int) -> tuple[ScoringModel, Feature]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    feature = backlog_selectors.feature_get(actor=user, workspace=workspace, feature_id=pk)
    model_id = id_param(request.POST.get("model") or request.GET.get("model"))
    model = selectors.scoring_model_get(user=user, workspace=workspace, model_id=model_id or 0)
    permissions.require(user, Action.SCORE_EDIT, workspace)
    return model, feature


@login_required
@require_POST
def pin(request: HttpRequest, pk: int) -> HttpResponse:
    model, feature = _pin_target(request, pk)
    position = id_param(request.POST.get("position"))
    try:
        if position is None:
            raise ValidationFailed.on("position", "Enter the position to pin it at: 1 is the top.")
        override = services.rank_override_set(
            actor=request.user,
            model=model,
            feature=feature,
            position=position,
            reason=request.POST.get("reason", "").strip()[:200],
        )
    except HeadwayError as exc:
        messages.error(request, f"{feature.ref} was not pinned: {exc.message_without_field}")
    else:
        messages.success(request, f"Pinned {feature.ref} at #{override.position} in “{model.name}”.")
    return _after_change(request)


@login_required
@require_POST
def unpin(request: HttpRequest, pk: int) -> HttpResponse:
    model, feature = _pin_target(request, pk)
    try:
        services.rank_override_clear(actor=request.user, model=model, feature=feature)
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    else:
        messages.success(request, f"Unpinned {feature.ref}: its score places it again.")
    return _after_change(request)


@login_required
@require_POST
def apply_to_backlog(request: HttpRequest) -> HttpResponse:
    """Write the ranking (pins kept) as a product's backlog order."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    model = selectors.scoring_model_get(
        user=user, workspace=workspace, model_id=id_param(request.POST.get("model")) or 0
    )
    product = permissions.get_or_404(
        permissions.scope(Product.objects.all(), user, workspace, Action.PRIORITY_VIEW),
        pk=id_param(request.POST.get("product")) or 0,
    )
    permissions.require(user, Action.FEATURE_EDIT, workspace, product)
    try:
        moved = services.backlog_rerank(actor=user, model=model, product=product)
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    else:
        if moved:
            messages.success(
                request,
                f"The {product.name} backlog now follows “{model.name}”: "
                f"{moved} feature{'s' if moved != 1 else ''} moved.",
            )
        else:
            messages.success(request, f"The {product.name} backlog already follows “{model.name}”.")
    return _back(request, ws_url(request, "prioritization:ranking") + query_of(model=model.pk, product=product.pk))


# ── why is this #3 ────────────────────────────────────────────────────────────────────────────


def contribution_rows(explanation: dict[str, Any], spec: engine.ModelSpec | None = None) -> list[dict[str, Any]]:
    """Each input's contribution as a bar (width relative to the largest) with method-aware words.

    For the "log" method the selector gives the multiplier the input puts on the score (×1.6; a
    divisor below 1, shown as ÷2) and its share of the log contributions; otherwise the
    contribution itself (additive parts, Kano shares, a formula's sensitivity).
    """
    method = explanation.get("method", "none")
    rows = [r for r in explanation.get("rows") or [] if r.get("contribution") is not None]

    def size(r: dict[str, Any]) -> float:
        share = r.get("share")
        return abs(float(share)) if share is not None else abs(float(r["contribution"]))

    largest = max((size(r) for r in rows), default=0.0) or 1.0
    shown = []
    for r in rows:
        contribution = float(r["contribution"])
        if method == "log":
            negative = contribution < 1
            inverse = 1 / contribution if contribution > 0 else math.inf
            if contribution <= 0:
                text = "×0"
            elif negative and inverse >= 1.95 and abs(inverse - round(inverse)) < 0.01:
                text = f"÷{number_text(inverse)}"  # a divisor such as the effort: "÷2" reads better than "×0.5"
            else:
                text = f"×{number_text(contribution)}"
            hint = "lowers the score by this factor" if negative else "multiplies the score by this"
        elif method == "share":
            negative = False
            text = f"{contribution * 100:.0f}%"
            hint = "share of the answers"
        elif method == "sensitivity":
            negative = contribution < 0
            text = f"{'+' if contribution >= 0 else '−'}{number_text(abs(contribution))}"
            hint = "how much the score drops with this input at 0"
        else:
            negative = contribution < 0
            text = f"{'+' if contribution >= 0 else '−'}{number_text(abs(contribution))}"
            hint = "its part of the score"
        shown.append(
            {
                "key": r.get("key"),
                "label": r.get("label") or r.get("key"),
                "value_text": _answers(r.get("value")) if method == "share" else _shown(spec, r),
                "text": text,
                "hint": hint,
                "width": round(size(r) / largest * 100, 1),
                "negative": negative,
            }
        )
    return shown


def _shown(spec: engine.ModelSpec | None, row: dict[str, Any]) -> str:
    known = spec.field(str(row.get("key"))) if spec is not None else None
    if spec is None or known is None:
        return _plain(row.get("value"))
    return value_text(spec, known, row.get("value"))


def _answers(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{number_text(float(value))} answer{'s' if value != 1 else ''}"
    return ""


def _plain(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(float(value))
    if isinstance(value, list):
        return f"{len(value)} answers"
    return "—" if value in (None, "") else str(value)


def _feature_and_model(request: HttpRequest, pk: int) -> tuple[Feature, ScoringModel | None, list[ScoringModel]]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    feature = backlog_selectors.feature_get(actor=user, workspace=workspace, feature_id=pk)
    models, model = choose_model(request, request.GET.get("model"), feature.product_id)
    return feature, model, models


@login_required
def why(request: HttpRequest, pk: int) -> HttpResponse:
    """Why a feature sits where it does: each input's part, its neighbours and its score history."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    feature, model, models = _feature_and_model(request, pk)
    context: dict[str, Any] = {
        "area": "prioritization",
        "tab": "ranking",
        "feature": feature,
        "model": model,
        "models": models,
        "model_id": model.pk if model else None,
    }
    if model is not None:
        # From the ranking of every product ("?scope=all"), the position must be the one shown there.
        across = request.GET.get("scope") == "all"
        explanation = selectors.score_explanation(
            user=user, workspace=workspace, model=model, feature=feature, across_products=across
        )
        context.update(
            explanation=explanation,
            bars=contribution_rows(explanation, engine.spec_of(model)),
            score=number_text(explanation.get("score")),
            label=label_text(explanation.get("label") or ""),
            method=explanation.get("method"),
            history=_history_rows(
                selectors.score_history(user=user, workspace=workspace, feature=feature, model=model, limit=20)
            ),
            can_edit=permissions.can(user, Action.SCORE_EDIT, workspace),
        )
    return render_page(request, "prioritization/ranking_why.html", context, fragment="why")


def _history_rows(changes: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for change in changes:
        before, after = change.previous_value, change.value
        delta = after - before if before is not None and after is not None else None
        rows.append(
            {
                "change": change,
                "before": number_text(before),
                "after": number_text(after),
                "up": delta is not None and delta > 0,
                "down": delta is not None and delta < 0,
            }
        )
    return rows


# ── the card on a feature's page ──────────────────────────────────────────────────────────────


@login_required
def feature_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The feature's score under each model with its position (htmx-loaded on the feature page)."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    feature = backlog_selectors.feature_get(actor=user, workspace=workspace, feature_id=pk)
    models = selectors.scoring_models(user=user, workspace=workspace)
    default = selectors.default_model(user=user, workspace=workspace, product_id=feature.product_id)
    rows = []
    for model in models:
        explanation = selectors.score_explanation(user=user, workspace=workspace, model=model, feature=feature)
        rows.append(
            {
                "model": model,
                "default": default is not None and default.pk == model.pk,
                "position": explanation.get("position"),
                "total": explanation.get("total"),
                "score": number_text(explanation.get("score")),
                "scored": explanation.get("score") is not None,
                "label": explanation.get("label") or "",
                "label_text": label_text(explanation.get("label") or ""),
                "pinned": explanation.get("pinned"),
            }
        )
    rows.sort(key=lambda r: (not r["default"], r["model"].name.lower()))
    context = {
        "feature": feature,
        "rows": rows,
        "area": "backlog",
        "can_manage": permissions.can(user, Action.SCORING_MODEL_MANAGE, workspace),
        "can_edit": permissions.can(user, Action.SCORE_EDIT, workspace),
    }
    return render_page(request, "prioritization/_feature_panel_page.html", context, fragment="panel")


urlpatterns = [
    path("", ranking, name="ranking"),
    path("apply/", apply_to_backlog, name="apply_to_backlog"),
    path("features/<int:pk>/why/", why, name="why"),
    path("features/<int:pk>/panel/", feature_panel, name="feature_panel"),
    path("features/<int:pk>/pin/", pin, name="pin"),
    path("features/<int:pk>/unpin/", unpin, name="unpin"),
]

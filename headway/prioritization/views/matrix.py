"""The value vs effort matrix: features of a scoring model as bubbles (x = effort, y = value,
size = demand) in four quadrants, the same points as a table, and two small POST endpoints a drag
on the chart (or the table's forms, without JavaScript) uses to change an estimate."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from headway.backlog import selectors as backlog_selectors
from headway.backlog import services as backlog_services
from headway.backlog.models import OPEN_CATEGORIES, Feature
from headway.core import permissions
from headway.core.errors import HeadwayError
from headway.core.htmx import id_param, render_page, ws_url
from headway.core.permissions import Action
from headway.prioritization import engine, frameworks
from headway.prioritization.models import ScoringModel
from headway.prioritization.selectors import ranking as ranking_selectors
from headway.prioritization.services import scoring as scoring_services

QUADRANTS = {
    "quick_win": "Quick wins",
    "big_bet": "Big bets",
    "fill_in": "Fill-ins",
    "time_sink": "Time sinks",
}
QUADRANT_HELP = {
    "quick_win": "High value, low effort: do these first.",
    "big_bet": "High value, high effort: plan them deliberately.",
    "fill_in": "Low value, low effort: when there is room.",
    "time_sink": "Low value, high effort: question these.",
}
# Not-estimated features listed under the table (the rest is counted).
NOT_ESTIMATED_SHOWN = 50


def _chosen_model(request: HttpRequest, models: list[ScoringModel], product_id: int | None) -> ScoringModel | None:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    model_id = id_param(request.GET.get("model") or request.POST.get("model"))
    if model_id is not None:
        return ranking_selectors.scoring_model_get(user=user, workspace=workspace, model_id=model_id)
    return ranking_selectors.default_model(user=user, workspace=workspace, product_id=product_id) or (
        models[0] if models else None
    )


def _lines(spec: engine.ModelSpec, points: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the quadrant lines are drawn: the split ``ranking.matrix_points`` files each point by."""
    value, effort = ranking_selectors.quadrant_lines(spec, [p["value"] for p in points], [p["effort"] for p in points])
    note = "the model's lines" if spec.framework == "value_effort" else "the median value and the median effort"
    return {"value": value, "effort": effort, "note": note if points else ""}


def _choice_y(spec: engine.ModelSpec, value: str, index: int, count: int) -> float:
    """Where a choice sits on the value axis (MoSCoW: must 3 … won't 0; numbers: themselves)."""
    try:
        return float(value)
    except ValueError:
        pass
    if spec.framework == "moscow":
        ranks = {bucket.value: float(rank) for bucket, rank in frameworks.MOSCOW_RANK.items()}
        if value in ranks:
            return ranks[value]
    return float(count - 1 - index)


def _value_input(spec: engine.ModelSpec, key: str) -> dict[str, Any] | None:
    field = next((f for f in spec.fields if f.key == key), None) if key else None
    if field is None or field.signal or field.kind == "answers":
        return None
    return {
        "key": field.key,
        "label": field.label,
        "kind": field.kind,
        "choices": [
            [value, label, _choice_y(spec, value, i, len(field.choices))]
            for i, (value, label) in enumerate(field.choices)
        ],
        "minimum": field.minimum,
        "maximum": field.maximum,
    }


def _editable_products(request: HttpRequest, feature_ids: list[int]) -> dict[int, bool]:
    """feature id → may the user change its effort (FEATURE_EDIT on its product)."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    if not feature_ids or not permissions.can(user, Action.FEATURE_EDIT, workspace):
        return dict.fromkeys(feature_ids, False)
    features = Feature.objects.filter(workspace=workspace, pk__in=feature_ids).select_related("product")
    features = features.only("pk", "workspace_id", "product__id", "product__owner_id", "product__workspace_id")
    return {f.pk: permissions.can(user, Action.FEATURE_EDIT, workspace, f) for f in features}


def _matrix(request: HttpRequest, model: ScoringModel, product_id: int | None) -> dict[str, Any]:
    """Points, lines and the chart's settings for one model and product."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    spec = engine.spec_of(model)
    axis_label, input_key = engine.value_axis(spec)
    points = ranking_selectors.matrix_points(user=user, workspace=workspace, model=model, product_id=product_id)
    editable = _editable_products(request, [p["id"] for p in points])
    for p in points:
        p["can_edit_effort"] = editable.get(p["id"], False)
    value_input = _value_input(spec, input_key)
    can_score = value_input is not None and permissions.can(user, Action.SCORE_EDIT, workspace)
    unit = backlog_selectors.backlog_settings_of(actor=user, workspace=workspace).get_effort_unit_display()
    lines = _lines(spec, points)
    rows = [
        {**p, "quadrant_label": QUADRANTS.get(p["quadrant"], "")}
        for p in sorted(
            points,
            key=lambda p: (
                list(QUADRANTS).index(p["quadrant"]) if p["quadrant"] in QUADRANTS else 9,
                -(p["score"] or 0),
                p["ref"],
            ),
        )
    ]
    return {
        "points": points,
        "rows": rows,
        "lines": lines,
        "axis_label": axis_label,
        "unit": unit,
        "value_input": value_input,
        "can_score": can_score,
        "can_drag": can_score or any(p["can_edit_effort"] for p in points),
        "chart": {
            "points": points,
            "lines": lines,
            "axis": {"x": f"Effort ({unit.lower()})", "y": axis_label},
            "quadrants": QUADRANTS,
            "value_input": value_input,
            "can_score": can_score,
            "model": model.pk,
            "endpoints": {
                "effort": ws_url(request, "prioritization:matrix_effort", pk=0),
                "value": ws_url(request, "prioritization:matrix_value", pk=0),
            },
        },
    }


def _not_estimated(request: HttpRequest, product_id: int | None) -> tuple[list[Feature], int]:
    qs = permissions.scope(
        Feature.objects.select_related("product"),
        request.user,
        request.workspace,  # type: ignore[attr-defined]
        Action.PRIORITY_VIEW,
    ).filter(effort__isnull=True, archived_at__isnull=True, status__category__in=OPEN_CATEGORIES)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    qs = qs.order_by("product__key", "number")
    return list(qs[:NOT_ESTIMATED_SHOWN]), qs.count()


@login_required
def matrix(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    permissions.require(user, Action.PRIORITY_VIEW, workspace)
    models = ranking_selectors.scoring_models(user=user, workspace=workspace)
    products = backlog_selectors.product_choices(actor=user, workspace=workspace)
    product_id = id_param(request.GET.get("product"))
    if product_id is not None and product_id not in {p.pk for p in products}:
        product_id = None
    model = _chosen_model(request, models, product_id)
    context: dict[str, Any] = {
        "area": "prioritization",
        "tab": "matrix",
        "models": models,
        "model": model,
        "model_id": model.pk if model else None,
        "products": products,
        "product_id": product_id,
        "quadrants": [(key, label, QUADRANT_HELP[key]) for key, label in QUADRANTS.items()],
    }
    if model is not None:
        context.update(_matrix(request, model, product_id))
        shown, count = _not_estimated(request, product_id)
        context.update(not_estimated=shown, not_estimated_count=count, not_estimated_more=count - len(shown))
    return render_page(request, "prioritization/matrix.html", context, fragment="body")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest, model: ScoringModel | None) -> HttpResponse:
    query: dict[str, Any] = {}
    if model is not None:
        query["model"] = model.pk
    product_id = id_param(request.POST.get("product"))
    if product_id is not None:
        query["product"] = product_id
    url = reverse("prioritization:matrix", kwargs={"ws": request.workspace.slug})  # type: ignore[attr-defined]
    return redirect(f"{url}?{urlencode(query)}#matrix-table" if query else f"{url}#matrix-table")


def _saved(request: HttpRequest, model: ScoringModel, message: str) -> HttpResponse:
    if not _wants_json(request):
        messages.success(request, message)
        return _back(request, model)
    data = _matrix(request, model, id_param(request.POST.get("product")))
    rows_html = render_to_string(
        "prioritization/matrix.html#rows", {**data, "model": model, "request": request}, request=request
    )
    return JsonResponse({"message": message, "points": data["points"], "lines": data["lines"], "rows_html": rows_html})


def _failed(request: HttpRequest, exc: HeadwayError, model: ScoringModel | None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(exc.as_dict(), status=exc.status)
    if exc.status in (403, 404):
        raise exc  # the error page (HeadwayErrorMiddleware), as for any page
    messages.error(request, exc.message_without_field)
    return _back(request, model)


@login_required
@require_POST
def matrix_effort(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a feature's effort estimate (a horizontal drag on the matrix)."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    model = None
    try:
        permissions.require(user, Action.PRIORITY_VIEW, workspace)
        models = ranking_selectors.scoring_models(user=user, workspace=workspace)
        model = _chosen_model(request, models, id_param(request.POST.get("product")))
        feature = backlog_selectors.feature_get(actor=user, workspace=workspace, feature_id=pk)
        feature = backlog_services.feature_update(actor=user, feature=feature, effort=request.POST.get("effort", ""))
    except HeadwayError as exc:
        return _failed(request, exc, model)
    if model is None:
        messages.success(request, f"{feature.ref}: effort saved.")
        return _back(request, None)
    effort = "not estimated" if feature.effort is None else f"{feature.effort.normalize():f}"
    return _saved(request, model, f"{feature.ref}: effort {effort}.")


@login_required
@require_POST
def matrix_value(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the scoring model's value input of a feature (a vertical drag on the matrix)."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    model = None
    # A feature of another workspace is a 404 before anything else (not a message on the matrix).
    feature = backlog_selectors.feature_get(actor=user, workspace=workspace, feature_id=pk)
    try:
        permissions.require(user, Action.PRIORITY_VIEW, workspace)
        model_id = id_param(request.POST.get("model"))
        if model_id is None:
            raise HeadwayError("Choose a scoring model.", fields={"model": ["Choose a scoring model."]})
        model = ranking_selectors.scoring_model_get(user=user, workspace=workspace, model_id=model_id)
        _, key = engine.value_axis(engine.spec_of(model))
        if not key:
            raise HeadwayError(
                "This model's value is computed; change its inputs in the score grid.", fields={"value": ["Computed."]}
            )
        score = scoring_services.feature_score_set(
            actor=user, model=model, feature=feature, inputs={key: request.POST.get("value", "")}
        )
    except HeadwayError as exc:
        return _failed(request, exc, model)
    saved = score.inputs.get(key)
    if isinstance(saved, float) and saved.is_integer():
        saved = int(saved)
    return _saved(request, model, f"{feature.ref}: {key.replace('_', ' ')} {'cleared' if saved is None else saved}.")


urlpatterns = [
    path("matrix/", matrix, name="matrix"),
    path("matrix/features/<int:pk>/effort/", matrix_effort, name="matrix_effort"),
    path("matrix/features/<int:pk>/value/", matrix_value, name="matrix_value"),
]

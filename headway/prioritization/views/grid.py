"""The score grid: one row per feature, one column per input of the model, the score updated as
people type (htmx posts the row on change), keyboard moves like a spreadsheet (static
prioritization/grid.js), and pasting a block from a spreadsheet — into a cell, or as text in the
"Paste rows" box, which works without JavaScript. A paste is all or nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

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
from headway.core.htmx import id_param, is_scripted, render_page, ws_url
from headway.core.permissions import Action
from headway.prioritization import engine, frameworks
from headway.prioritization.models import FeatureScore, ScoringModel
from headway.prioritization.selectors import ranking as selectors
from headway.prioritization.selectors.signals import feature_signals
from headway.prioritization.services import scoring as services
from headway.prioritization.views.ranking import (
    field_value,
    filters_context,
    label_text,
    number_text,
    query_of,
    value_text,
)

PER_PAGE = 50
MAX_PASTE = 200_000  # characters

KANO_NAMES = {
    "M": "Must-be",
    "O": "Performance",
    "A": "Attractive",
    "I": "Indifferent",
    "R": "Reverse",
    "Q": "Questionable",
}


# ── cells ─────────────────────────────────────────────────────────────────────────────────────


def _input_text(spec: engine.ModelSpec, field: engine.InputField, value: object) -> str:
    """What an input box holds: a choice's value ("0.5", "must"), a plain number, Kano pairs as lines."""
    if value is None:
        return ""
    if field.kind == "answers":
        pairs = value if isinstance(value, list | tuple) else []
        return "\n".join(
            f"{pair[0]} / {pair[1]}".replace("_", " ")
            for pair in pairs
            if isinstance(pair, list | tuple) and len(pair) == 2
        )
    if field.choices:
        for choice, _label in field.choices:
            if choice == str(value):
                return choice
            try:
                if float(choice) == float(value):  # type: ignore[arg-type]
                    return choice
            except (TypeError, ValueError):
                continue
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _kano_counts(value: object) -> list[tuple[str, str, int]]:
    """(short, category, count) of a feature's Kano answers, most frequent first."""
    counts: Counter[str] = Counter()
    for pair in value if isinstance(value, list | tuple) else []:
        try:
            counts[str(frameworks.kano_classify(pair[0], pair[1]).value)] += 1
        except (HeadwayError, IndexError, TypeError, ValueError):
            continue
    return [(short, KANO_NAMES.get(short, short), n) for short, n in counts.most_common()]


def _row(
    spec: engine.ModelSpec,
    feature: Feature,
    inputs: dict[str, Any],
    signals: dict[str, float],
    value: float | None,
    label: str,
    *,
    typed: QueryDict | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    cells = []
    for index, field in enumerate(spec.fields):
        current = field_value(field, inputs, signals)
        name = f"in-{field.key}"
        text = typed[name] if typed is not None and name in typed else _input_text(spec, field, current)
        problems = (errors or {}).get(field.key) or []
        cells.append(
            {
                "field": field,
                "index": index,
                "name": name,
                "text": text,
                "display": value_text(spec, field, current),
                "readonly": bool(field.signal),
                "error": " ".join(problems),
                "kano": _kano_counts(current) if field.kind == "answers" else [],
                "answers": len(current) if field.kind == "answers" and isinstance(current, list | tuple) else 0,
            }
        )
    other = [" ".join(v) for k, v in (errors or {}).items() if spec.field(k) is None]
    return {
        "feature": feature,
        "cells": cells,
        "score": number_text(value),
        "scored": value is not None,
        "label": label,
        "label_text": label_text(label),
        "error": " ".join(other),
        "has_error": bool(errors),
    }


def _has_labels(spec: engine.ModelSpec) -> bool:
    return spec.framework in ("value_effort", "moscow", "kano")


# ── the grid ──────────────────────────────────────────────────────────────────────────────────


def _grid_context(request: HttpRequest, params: QueryDict, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    context, page = filters_context(request, params, "grid")
    context.update({"paste": None, "paste_text": "", **extra})
    model, product, q, can_edit = context["model"], context["product"], context["q"], context["can_edit"]
    if model is None:
        return context
    data = selectors.score_grid(
        user=user,
        workspace=workspace,
        model=model,
        product_id=product.pk if product else None,
        q=q,
        page=page,
        per_page=PER_PAGE,
    )
    spec = data["spec"]
    context.update(
        spec=spec,
        grid=data,
        rows=[
            _row(spec, r["feature"], r["inputs"] or {}, r["signals"] or {}, r["value"], r["label"] or "")
            for r in data["rows"]
        ],
        has_labels=_has_labels(spec),
        editable=can_edit and model.archived_at is None,
        paste_columns=[f.label for f in spec.editable],
    )
    return context


@login_required
def grid(request: HttpRequest) -> HttpResponse:
    return render_page(request, "prioritization/grid.html", _grid_context(request, request.GET), fragment="grid")


def _target(request: HttpRequest) -> ScoringModel:
    """The model a change is for; 403 before anything when the role may not score."""
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    model = selectors.scoring_model_get(
        user=user, workspace=workspace, model_id=id_param(request.POST.get("model")) or 0
    )
    permissions.require(user, Action.SCORE_EDIT, workspace)
    return model


def _kano_text(text: str) -> str:
    """Kano answers typed as "like, dislike" per line → the "like / dislike" the engine reads."""
    lines = []
    for line in re.split(r"[\r\n;]+", text):
        line = line.strip()
        if line and not re.search(r"[/|:>]|\s-\s", line) and "," in line:
            line = line.replace(",", " / ", 1)
        if line:
            lines.append(line)
    return "\n".join(lines)


@login_required
@require_POST
def grid_row(request: HttpRequest, pk: int) -> HttpResponse:
    """Save one row of the grid; the fresh row (new score, or the errors per cell) for htmx."""
    model = _target(request)
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    feature = backlog_selectors.feature_get(actor=user, workspace=workspace, feature_id=pk)
    spec = engine.spec_of(model)
    raw: dict[str, object] = {}
    for field in spec.editable:
        name = f"in-{field.key}"
        if name in request.POST:
            text = request.POST[name][:MAX_PASTE]
            raw[field.key] = _kano_text(text) if field.kind == "answers" else text
    errors: dict[str, list[str]] | None = None
    score: FeatureScore | None = None
    try:
        score = services.feature_score_set(actor=user, model=model, feature=feature, inputs=raw)
    except ValidationFailed as exc:
        errors = exc.fields or {"__all__": [exc.message]}
    if not is_scripted(request):
        if errors:
            for key, problems in errors.items():
                known = spec.field(key)
                messages.error(request, f"{feature.ref}, {known.label if known else key}: {' '.join(problems)}")
        else:
            messages.success(request, f"Saved {feature.ref}: score {number_text(score.value if score else None)}.")
        back = request.POST.get("back", "")
        url = ws_url(request, "prioritization:grid")
        return redirect(url + (back if back.startswith("?") else query_of(model=model.pk)) + f"#grid-row-{feature.pk}")
    if score is None:
        score = FeatureScore.objects.filter(feature=feature, scoring_model=model).first()
    signals = (
        feature_signals(workspace_id=workspace.pk, feature_ids=[feature.pk]).row(feature.pk) if spec.signals else {}
    )
    row = _row(
        spec,
        feature,
        dict(score.inputs) if score else {},
        signals,
        score.value if score else None,
        score.label if score else "",
        typed=request.POST if errors else None,
        errors=errors,
    )
    context = {
        "r": row,
        "model": model,
        "spec": spec,
        "has_labels": _has_labels(spec),
        "editable": True,
        "query": request.POST.get("back", ""),
    }
    return render_page(request, "prioritization/grid.html", context, fragment="row")


@login_required
@require_POST
def grid_paste(request: HttpRequest) -> HttpResponse:
    """Save a pasted block: rows of a spreadsheet (first column a feature's reference, or the
    features given in order); all or nothing."""
    model = _target(request)
    text = request.POST.get("text", "")
    ids = [n for n in (id_param(v) for v in re.split(r"[\s,]+", request.POST.get("feature_ids", ""))) if n]
    if len(text) > MAX_PASTE:
        result = services.PasteResult(saved=0, unchanged=0, errors=[f"Paste at most {MAX_PASTE:,} characters."])
    elif not text.strip():
        result = services.PasteResult(saved=0, unchanged=0, errors=["Paste some rows first."])
    else:
        result = services.feature_scores_paste(actor=request.user, model=model, text=text, feature_ids=ids or None)
    back = request.POST.get("back", "")
    params = QueryDict(back.lstrip("?"), mutable=True) if back.startswith("?") else QueryDict(mutable=True)
    params["model"] = str(model.pk)
    if result.errors:
        context = _grid_context(request, params, paste=result, paste_text=text)
        return render_page(
            request, "prioritization/grid.html", context, fragment="grid", status=200 if is_scripted(request) else 422
        )
    saved = f"Saved {result.saved} row{'s' if result.saved != 1 else ''}"
    messages.success(request, saved + (f"; {result.unchanged} unchanged." if result.unchanged else "."))
    if is_scripted(request):
        return render_page(request, "prioritization/grid.html", _grid_context(request, params), fragment="grid")
    return redirect(ws_url(request, "prioritization:grid") + "?" + params.urlencode())


urlpatterns = [
    path("grid/", grid, name="grid"),
    path("grid/paste/", grid_paste, name="grid_paste"),
    path("grid/features/<int:pk>/", grid_row, name="grid_row"),
]

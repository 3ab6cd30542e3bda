"""Scoring models and the ranking they give: ranked features with pins, "why is this #3", the score
grid, score history and the value-vs-effort matrix.

A ranking reads the model's stored scores (``FeatureScore.value``) when the model reads no
built-in signal; otherwise it scores every candidate feature afresh from its stored inputs and
the signals as they are now (``score_many``, vectorised). Pins (``RankOverride``, 1-based) put a
feature at a position whatever its score; a pin beyond the end of the list (after filtering)
sits at the end. Everyone in the workspace may read (PRIORITY_VIEW); portal users may not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.urls import reverse

from headway.backlog.models import Feature, StatusCategory
from headway.core import permissions
from headway.core.errors import NotFound
from headway.core.permissions import Action
from headway.prioritization import engine, frameworks
from headway.prioritization.engine import ModelSpec
from headway.prioritization.models import (
    FeatureScore,
    FeatureScoreChange,
    RankOverride,
    ScoringModel,
)
from headway.prioritization.selectors.signals import SignalTable, feature_signals
from headway.workspaces.models import Workspace

CLOSED_CATEGORIES = (StatusCategory.DONE, StatusCategory.CLOSED)


# ── models ────────────────────────────────────────────────────────────────────────────────────


def scoring_models(*, user: Any, workspace: Workspace, include_archived: bool = False) -> list[ScoringModel]:
    """The workspace's scoring models by name (archived ones only when asked)."""
    qs = permissions.scope(ScoringModel.objects.all(), user, workspace, Action.PRIORITY_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return list(qs.select_related("created_by").order_by("name", "id"))


def scoring_model_get(*, user: Any, workspace: Workspace, model_id: int) -> ScoringModel:
    """One model of the workspace (archived too); NotFound for another workspace's."""
    qs = permissions.scope(ScoringModel.objects.all(), user, workspace, Action.PRIORITY_VIEW)
    return permissions.get_or_404(qs.select_related("created_by"), pk=model_id)


def default_model(*, user: Any, workspace: Workspace, product_id: int | None = None) -> ScoringModel | None:
    """The model a ranking opens with: the product's own default (when given and not archived), else
    the workspace's default, else the first active model by name; None when there is none."""
    qs = permissions.scope(ScoringModel.objects.all(), user, workspace, Action.PRIORITY_VIEW).filter(
        archived_at__isnull=True
    )
    if product_id is not None:
        chosen = qs.filter(product_defaults__product_id=product_id).first()
        if chosen is not None:
            return chosen
    return qs.order_by("-is_default", "name", "id").first()


def _check_model(user: Any, workspace: Workspace, model: ScoringModel) -> ModelSpec:
    permissions.require(user, Action.PRIORITY_VIEW, workspace)
    if model.workspace_id != workspace.pk:
        raise NotFound("No scoring model matches that id in this workspace.")
    return engine.spec_of(model)


# ── ranking ───────────────────────────────────────────────────────────────────────────────────


@dataclass
class RankedFeature:
    """A feature in a ranking: its position after pins, its score and where the score alone puts it."""

    feature: Feature
    position: int
    score: float | None
    label: str
    score_position: int | None
    pinned: RankOverride | None
    inputs: dict
    signals: dict[str, float] = field(default_factory=dict)  # the signals the model reads (others NaN)


@dataclass
class Ranking:
    model: ScoringModel
    spec: ModelSpec
    items: list[RankedFeature]
    total: int
    unscored: int
    page: int
    pages: int


@dataclass
class _Order:
    """A whole ranking, before paging: candidate ids (in tie order), scores, final order."""

    ids: list[int]
    scores: np.ndarray  # aligned with ids; NaN = unscored
    order: list[int]  # indices into ids, first = #1
    score_order: list[int]  # the same without pins
    pins: dict[int, RankOverride]  # feature id → its pin (only candidates)
    labels: dict[int, str]  # stored labels (stored-value models)
    table: SignalTable | None  # every candidate's signals (signal models)


def _candidates(workspace: Workspace, product_id: int | None, include_closed: bool) -> QuerySet[Feature]:
    qs = Feature.objects.filter(workspace=workspace, archived_at__isnull=True)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    if not include_closed:
        qs = qs.exclude(status__category__in=CLOSED_CATEGORIES)
    return qs


def rank_order(scores: np.ndarray, pins: dict[int, int]) -> list[int]:
    """``frameworks.rank`` for many items at once: indices by score (highest first, NaN last, ties
    in index order) with pinned indices at their 0-based positions (clamped into the list: pins
    beyond the end take the last free places, in their order)."""
    count = len(scores)
    missing = np.isnan(scores)
    free_order = np.lexsort((np.arange(count), np.where(missing, 0.0, -scores), missing))
    if not pins:
        return [int(i) for i in free_order]
    taken: dict[int, int] = {}
    late: list[tuple[int, int]] = []
    for index, position in sorted(pins.items(), key=lambda item: (item[1], item[0])):
        if position < count and position not in taken:
            taken[position] = index
        else:
            late.append((position, index))
    free_slots = [p for p in range(count) if p not in taken]
    for (_, index), slot in zip(late, free_slots[len(free_slots) - len(late) :], strict=True):
        taken[slot] = index
    pinned = set(taken.values())
    free = iter(int(i) for i in free_order if int(i) not in pinned)
    return [taken[p] if p in taken else next(free) for p in range(count)]


def _stored_inputs(scores: QuerySet[FeatureScore]) -> dict[int, dict[str, Any]]:
    """Stored inputs by feature id, decoded in one ``json.loads``.

    Decoding 50,000 JSON values one by one (what a JSONField does) took a third of a ranking's
    time on PostgreSQL; the text of all of them joined into one array decodes three times faster.
    """
    rows = list(scores.annotate(text=Cast("inputs", TextField())).values_list("feature_id", "text"))
    decoded = json.loads("[" + ",".join(text or "{}" for _, text in rows) + "]")
    return {feature_id: inputs for (feature_id, _), inputs in zip(rows, decoded, strict=True)}


def _rank(model: ScoringModel, spec: ModelSpec, candidates: QuerySet[Feature]) -> _Order:
    ids = list(candidates.order_by("rank", "id").values_list("id", flat=True))
    labels: dict[int, str] = {}
    table: SignalTable | None = None
    if not spec.signals:
        stored = {
            feature_id: (value, label)
            for feature_id, value, label in FeatureScore.objects.filter(scoring_model=model).values_list(
                "feature_id", "value", "label"
            )
        }
        scores = np.array(
            [math.nan if (s := stored.get(pk)) is None or s[0] is None else s[0] for pk in ids], dtype=np.float64
        )
        labels = {pk: label for pk, (_, label) in stored.items() if label}
    else:
        inputs_of = _stored_inputs(FeatureScore.objects.filter(scoring_model=model))
        table = feature_signals(workspace_id=model.workspace_id, feature_ids=ids, only=spec.signals)
        scores = engine.score_many(spec, [inputs_of.get(pk) or {} for pk in ids], table.columns)
    index = {pk: i for i, pk in enumerate(ids)}
    pins = {
        o.feature_id: o
        for o in RankOverride.objects.filter(scoring_model=model).select_related("created_by")
        if o.feature_id in index
    }
    order = rank_order(scores, {index[pk]: o.position - 1 for pk, o in pins.items()})
    score_order = rank_order(scores, {}) if pins else order
    return _Order(ids, scores, order, score_order, pins, labels, table)


def _matching(candidates: QuerySet[Feature], q: str) -> set[int]:
    """Ids of candidates whose title or reference (PAY-12, or just 12) matches ``q``."""
    text = q.strip()
    condition = Q(title__icontains=text)
    key, _, number = text.rpartition("-")
    if number.isdigit():
        condition |= Q(number=int(number), product__key__iexact=key) if key else Q(number=int(number))
    return set(candidates.filter(condition).values_list("id", flat=True))


def _score_of(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _items(
    model: ScoringModel, spec: ModelSpec, whole: _Order, positions: Sequence[int], *, full: bool = True
) -> list[RankedFeature]:
    """RankedFeatures for the given 0-based positions of the whole ranking (features loaded in bulk)."""
    chosen = [whole.ids[whole.order[p]] for p in positions]
    features = Feature.objects.select_related("product", "status", "owner").in_bulk(chosen)
    inputs_of = dict(
        FeatureScore.objects.filter(scoring_model=model, feature_id__in=chosen).values_list("feature_id", "inputs")
    )
    # Only the signals the model reads: the page shows no others, and companies/ARR cost the most.
    table = (
        feature_signals(workspace_id=model.workspace_id, feature_ids=chosen, only=spec.signals)
        if spec.signals
        else None
    )
    score_position = {idx: p + 1 for p, idx in enumerate(whole.score_order)} if full else {}
    items = []
    for p, pk in zip(positions, chosen, strict=True):
        i = whole.order[p]
        value = _score_of(whole.scores[i])
        inputs = inputs_of.get(pk) or {}
        signals = table.row(pk) if table is not None and pk in table.feature_ids else {}
        if spec.signals and value is not None:
            label = engine.label_of(spec, engine.score(spec, inputs, signals))
        else:
            label = whole.labels.get(pk, "")
        items.append(
            RankedFeature(
                feature=features[pk],
                position=p + 1,
                score=value,
                label=label,
                score_position=score_position.get(i) if value is not None else None,
                pinned=whole.pins.get(pk),
                inputs=inputs,
                signals=signals,
            )
        )
    return items


def _page(total: int, page: int, per_page: int | None) -> tuple[int, int, int, int]:
    """(page, pages, start, stop) with the page clamped into 1…pages."""
    if per_page is None:
        return 1, 1, 0, total
    per_page = max(1, per_page)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    return page, pages, (page - 1) * per_page, min(total, page * per_page)


def ranked_features(
    *,
    user: Any,
    workspace: Workspace,
    model: ScoringModel,
    product_id: int | None = None,
    q: str = "",
    include_closed: bool = False,
    page: int = 1,
    per_page: int | None = 50,
) -> Ranking:
    """The features of the workspace (or of one product) ranked by ``model``, one page of them.

    Candidates: features not archived; without ``include_closed`` also not done or closed.
    Positions are over all the candidates; ``q`` (title words or a reference such as PAY-12) then
    keeps the matching ones, still at their positions. ``total`` and ``unscored`` count what ``q``
    kept; ``per_page=None`` returns them all. Queries: about 8 for a stored-score model, about 13
    for a model reading signals, whatever the number of features.
    """
    spec = _check_model(user, workspace, model)
    candidates = _candidates(workspace, product_id, include_closed)
    whole = _rank(model, spec, candidates)
    positions = list(range(len(whole.ids)))
    if q.strip():
        matched = _matching(candidates, q)
        positions = [p for p in positions if whole.ids[whole.order[p]] in matched]
    unscored = sum(1 for p in positions if math.isnan(whole.scores[whole.order[p]]))
    page, pages, start, stop = _page(len(positions), page, per_page)
    items = _items(model, spec, whole, positions[start:stop])
    return Ranking(model=model, spec=spec, items=items, total=len(positions), unscored=unscored, page=page, pages=pages)


# ── why is this #3 ────────────────────────────────────────────────────────────────────────────


def _value_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return f"{len(value)} answers"
    return str(value)


def score_explanation(
    *, user: Any, workspace: Workspace, model: ScoringModel, feature: Feature, across_products: bool = False
) -> dict[str, Any]:
    """Why the feature is where it is: its position, each input's contribution and its neighbours.

    ``rows``: one per input with ``key``, ``label``, ``value`` (as typed or the signal's value),
    ``contribution`` and ``share`` (its part of all contributions' absolute sizes, 0–1). For the
    ``"log"`` method (RICE, ICE product, value ÷ effort) ``contribution`` is the multiplier
    ``exp(c)`` the input puts on the score (a divisor shows below 1) and the share is of |c|.
    ``sentences`` say it in words. ``above``/``below`` are the neighbouring RankedFeatures.
    The feature is ranked among the candidates of its own product (of every product with
    ``across_products``, as the ranking page shows them when no product is chosen), closed ones
    included when it is closed itself.
    """
    spec = _check_model(user, workspace, model)
    if feature.workspace_id != workspace.pk:
        raise NotFound("No feature matches that id in this workspace.")
    closed = feature.archived_at is not None or feature.status.category in CLOSED_CATEGORIES
    candidates = _candidates(workspace, None if across_products else feature.product_id, include_closed=closed)
    whole = _rank(model, spec, candidates)
    position = next((p for p, i in enumerate(whole.order) if whole.ids[i] == feature.pk), None)
    stored = FeatureScore.objects.filter(scoring_model=model, feature=feature).first()
    inputs = stored.inputs if stored is not None else {}
    signals = feature_signals(workspace_id=workspace.pk, feature_ids=[feature.pk]).row(feature.pk)
    result = engine.score(spec, inputs, signals)
    neighbours = [p for p in (position - 1 if position else None, position + 1 if position is not None else None)]
    around = [p for p in neighbours if p is not None and 0 <= p < len(whole.order)]
    found = {item.position - 1: item for item in _items(model, spec, whole, around, full=False)}
    rows: list[dict[str, Any]] = []
    sentences: list[str] = []
    if result is not None:
        sentences.extend(result.explanation)
        total = sum(abs(c) for c in result.contributions.values()) or 1.0
        for f in spec.fields:
            keys = [f.key] if spec.framework != "kano" else []
            for key in keys:
                contribution = result.contributions.get(key)
                value = signals.get(f.signal) if f.signal else inputs.get(key)
                rows.append(
                    {
                        "key": key,
                        "label": f.label,
                        "value": value,
                        "contribution": (
                            None
                            if contribution is None
                            else (math.exp(contribution) if result.method == "log" else contribution)
                        ),
                        "share": None if contribution is None else abs(contribution) / total,
                    }
                )
        if spec.framework == "kano":
            names = {c.value: c.name.replace("_", " ").lower() for c in frameworks.KanoCategory}
            for key, share in result.contributions.items():
                rows.append(
                    {
                        "key": key,
                        "label": names[key].capitalize(),
                        "value": result.details.get(f"count_{key}"),
                        "contribution": share,
                        "share": share,
                    }
                )
        if result.method == "log" and not result.contributions:
            zero = [f.label for f in spec.fields if (signals.get(f.signal) if f.signal else inputs.get(f.key)) == 0]
            if zero:
                sentences.append(f"{', '.join(zero)} is 0, so the score is 0.")
        elif result.method == "log":
            strongest = max(result.contributions.items(), key=lambda item: abs(item[1]))
            label = next((f.label for f in spec.fields if f.key == strongest[0]), strongest[0])
            factor = math.exp(strongest[1])
            sentences.append(
                f"{label} moves the score most: it multiplies it by {factor:.3g}."
                if factor >= 1
                else f"{label} moves the score most: it divides it by {1 / factor:.3g}."
            )
    else:
        missing = [
            f.label for f in spec.fields if (signals.get(f.signal) if f.signal else inputs.get(f.key)) in (None, "")
        ]
        sentences.append(
            f"Not scored yet: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing."
            if missing
            else "Not scored: an input does not fit the model."
        )
    pin = whole.pins.get(feature.pk)
    if pin is not None and position is not None:
        score_position = next((p + 1 for p, i in enumerate(whole.score_order) if whole.ids[i] == feature.pk), None)
        reason = f" ({pin.reason})" if pin.reason else ""
        sentences.append(f"Pinned at #{pin.position}{reason}; its score alone would put it at #{score_position}.")
    return {
        "position": position + 1 if position is not None else None,
        "total": len(whole.ids),
        "score": result.value if result is not None else None,
        "label": (result.label or "") if result is not None else "",
        "method": result.method if result is not None else "none",
        "rows": rows,
        "sentences": sentences,
        "above": found.get(position - 1) if position else None,
        "below": found.get(position + 1) if position is not None else None,
        "pinned": pin,
        "inputs": inputs,
        "signals": signals,
    }


# ── history, grid, matrix ─────────────────────────────────────────────────────────────────────


def score_history(
    *, user: Any, workspace: Workspace, feature: Feature, model: ScoringModel | None = None, limit: int = 50
) -> list[FeatureScoreChange]:
    """The feature's score changes, newest first (one model's, or every model's), with actor and model."""
    qs = permissions.scope(FeatureScoreChange.objects.all(), user, workspace, Action.PRIORITY_VIEW)
    if feature.workspace_id != workspace.pk:
        raise NotFound("No feature matches that id in this workspace.")
    qs = qs.filter(feature=feature)
    if model is not None:
        qs = qs.filter(scoring_model=model)
    return list(qs.select_related("actor", "scoring_model").order_by("-changed_at", "-id")[: max(0, limit)])


def score_grid(
    *,
    user: Any,
    workspace: Workspace,
    model: ScoringModel,
    product_id: int | None = None,
    q: str = "",
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """Rows to fill a model's inputs in, in backlog order (product, then rank), open features only.

    ``rows``: ``feature`` (product, status loaded), ``inputs`` (stored), ``value`` and ``label``
    (stored), ``signals`` (every signal of the feature, for the read-only columns).
    """
    spec = _check_model(user, workspace, model)
    qs = _candidates(workspace, product_id, include_closed=False)
    if q.strip():
        qs = qs.filter(id__in=_matching(qs, q))
    total = qs.count()
    page, pages, start, stop = _page(total, page, per_page)
    features = list(qs.select_related("product", "status", "owner").order_by("product__key", "rank", "id")[start:stop])
    ids = [f.pk for f in features]
    scores = {s.feature_id: s for s in FeatureScore.objects.filter(scoring_model=model, feature_id__in=ids)}
    table = feature_signals(workspace_id=workspace.pk, feature_ids=ids)
    rows = []
    for feature in features:
        stored = scores.get(feature.pk)
        rows.append(
            {
                "feature": feature,
                "inputs": stored.inputs if stored is not None else {},
                "value": stored.value if stored is not None else None,
                "label": stored.label if stored is not None else "",
                "signals": table.row(feature.pk),
            }
        )
    return {"spec": spec, "rows": rows, "page": page, "pages": pages, "total": total}


def quadrant_lines(
    spec: engine.ModelSpec, values: Sequence[float] | np.ndarray, efforts: Sequence[float] | np.ndarray
) -> tuple[float, float]:
    """Where the matrix splits (value, effort): a value-vs-effort model's own lines, otherwise the medians.

    Medians rather than the middle of the range: scores such as RICE are skewed (one 14,400 among
    hundreds), and the middle of the range would leave nearly every feature below the line.
    """
    if spec.framework == "value_effort":
        return (1 + float(spec.config["value_max"])) / 2, float(spec.config["effort_line"])
    if len(values) == 0:
        return 0.0, 0.0
    return float(np.median(values)), float(np.median(efforts))


def matrix_points(
    *, user: Any, workspace: Workspace, model: ScoringModel, product_id: int | None = None
) -> list[dict[str, Any]]:
    """Points of the value-vs-effort matrix: open features with an effort estimate and a score.

    ``value`` follows ``engine.value_axis(spec)``; ``effort`` is the feature's estimate; ``demand``
    the demand signal (bubble size); ``quadrant`` splits at :func:`quadrant_lines`.
    """
    spec = _check_model(user, workspace, model)
    candidates = _candidates(workspace, product_id, include_closed=False).filter(effort__isnull=False)
    features = list(candidates.select_related("product").order_by("rank", "id"))
    ids = [f.pk for f in features]
    if not ids:
        return []
    inputs_of = dict(
        FeatureScore.objects.filter(scoring_model=model, feature_id__in=ids).values_list("feature_id", "inputs")
        if len(ids) <= 900
        else FeatureScore.objects.filter(scoring_model=model).values_list("feature_id", "inputs")
    )
    table = feature_signals(workspace_id=workspace.pk, feature_ids=ids, only=spec.signals | {"demand"})
    rows = [inputs_of.get(pk) or {} for pk in ids]
    scores = engine.score_many(spec, rows, table.columns)
    values = engine.value_many(spec, rows, table.columns)
    efforts = table.columns["effort"]
    keep = ~np.isnan(values) & ~np.isnan(efforts)
    if not keep.any():
        return []
    value_line, effort_line = quadrant_lines(spec, values[keep], efforts[keep])
    shape = frameworks.ValueEffortModel(
        value_range=(0, 1), effort_range=(0, 1), value_threshold=value_line, effort_threshold=effort_line
    )
    points = []
    for i, feature in enumerate(features):
        if not keep[i]:
            continue
        points.append(
            {
                "id": feature.pk,
                "ref": feature.ref,
                "title": feature.title,
                "url": reverse("backlog:feature", kwargs={"ws": workspace.slug, "pk": feature.pk}),
                "value": float(values[i]),
                "effort": float(efforts[i]),
                "demand": float(table.columns["demand"][i]),
                "quadrant": frameworks.quadrant(float(values[i]), float(efforts[i]), shape).value,
                "score": _score_of(scores[i]),
            }
        )
    return points

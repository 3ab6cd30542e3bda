"""Scoring: models, feature scores (typed or pasted), pins in a ranking, and writing a ranking back
as a product's backlog order.

Who: leaders and admins manage scoring models and each product's default
(SCORING_MODEL_MANAGE); PMs and up fill in scores and pin features (SCORE_EDIT); re-ranking a
backlog is an edit of the product's features (FEATURE_EDIT: leaders, or the PM owning it).
Every write is one transaction with an audit row; a score edit also writes a
``FeatureScoreChange`` when the inputs or the score changed.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Lower
from django.utils import timezone

from headway.backlog import ranking as backlog_ranking
from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.prioritization import engine
from headway.prioritization.engine import ModelSpec
from headway.prioritization.models import (
    FeatureScore,
    FeatureScoreChange,
    Framework,
    ProductScoringModel,
    RankOverride,
    ScoringModel,
)
from headway.prioritization.selectors.signals import feature_signals
from headway.workspaces.models import Workspace

MAX_PASTE_ROWS = 2_000


def _clean(instance: Any) -> None:
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


def _same_workspace(obj: Any, workspace_id: int, what: str) -> None:
    if obj.workspace_id != workspace_id:
        raise NotFound(f"No {what} matches that id in this workspace.")


# ── scoring models ────────────────────────────────────────────────────────────────────────────


def _clean_name(workspace_id: int, name: object, exclude_id: int | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed.on("name", "Enter a name.")
    text = " ".join(name.split())
    if len(text) > 80:
        raise ValidationFailed.on("name", "Use at most 80 characters.")
    # Lowered by the database on both sides, as its unique index does (SQLite's LOWER is ASCII-only).
    taken = (
        ScoringModel.objects.filter(workspace_id=workspace_id)
        .annotate(lower=Lower("name"))
        .filter(lower=Lower(Value(text, output_field=CharField())))
    )
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise ValidationFailed.on("name", f"A scoring model named '{text}' already exists.")
    return text


def _clear_default(workspace_id: int, keep_id: int | None = None) -> None:
    others = ScoringModel.objects.select_for_update().filter(workspace_id=workspace_id, is_default=True)
    if keep_id is not None:
        others = others.exclude(pk=keep_id)
    others.update(is_default=False, updated_at=timezone.now())


@transaction.atomic
def scoring_model_create(
    *,
    actor: Any,
    workspace: Workspace,
    name: str,
    framework: str,
    config: Mapping | None = None,
    description: str = "",
    is_default: bool = False,
) -> ScoringModel:
    """A new scoring model; ``config`` defaults to the framework's (``engine.default_config``) and is
    stored normalised. ``is_default`` makes it the workspace's default (the previous one stops being)."""
    permissions.require(actor, Action.SCORING_MODEL_MANAGE, workspace)
    if framework not in Framework.values:
        raise ValidationFailed.on("framework", f"Choose one of {', '.join(Framework.values)}.")
    text = _clean_name(workspace.pk, name)
    spec = engine.spec_from_config(framework, engine.default_config(framework) if config is None else config)
    if is_default:
        _clear_default(workspace.pk)
    model = ScoringModel(
        workspace=workspace,
        name=text,
        framework=framework,
        config=spec.config,
        description=(description or "").strip(),
        is_default=bool(is_default),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _clean(model)
    model.save()
    audit_record(
        actor=actor,
        workspace=workspace,
        action="scoring_model.create",
        target=model,
        changes={"framework": [None, framework], "is_default": [False, model.is_default]},
    )
    return model


_UPDATABLE = ("name", "description", "config", "is_default")


def _rescore(actor: Any, model: ScoringModel, spec: ModelSpec) -> int:
    """Recompute every stored score of the model (after its config changed); history rows for the
    scores that moved. Returns how many moved."""
    scores = list(FeatureScore.objects.filter(scoring_model=model).order_by("id"))
    if not scores:
        return 0
    table = (
        feature_signals(workspace_id=model.workspace_id, feature_ids=[s.feature_id for s in scores], only=spec.signals)
        if spec.signals
        else None
    )
    changed: list[FeatureScore] = []
    history: list[FeatureScoreChange] = []
    for stored in scores:
        signals = table.row(stored.feature_id) if table is not None and stored.feature_id in table.feature_ids else {}
        result = engine.score(spec, stored.inputs, signals)
        value = result.value if result is not None else None
        label = engine.label_of(spec, result)
        if value == stored.value and label == stored.label:
            continue
        history.append(
            FeatureScoreChange(
                workspace_id=model.workspace_id,
                feature_id=stored.feature_id,
                scoring_model=model,
                inputs=stored.inputs,
                value=value,
                previous_value=stored.value,
                actor=actor if getattr(actor, "pk", None) else None,
            )
        )
        stored.value, stored.label = value, label
        changed.append(stored)
    FeatureScore.objects.bulk_update(changed, ["value", "label", "updated_at"], batch_size=1000)
    FeatureScoreChange.objects.bulk_create(history, batch_size=1000)
    return len(changed)


@transaction.atomic
def scoring_model_update(*, actor: Any, model: ScoringModel, **fields: Any) -> ScoringModel:
    """Change a model's ``name``, ``description``, ``config`` or ``is_default`` (the framework stays).

    A new config is validated and stored normalised, and every stored score of the model is
    recomputed (a history row for each score that moved).
    """
    permissions.require(actor, Action.SCORING_MODEL_MANAGE, model.workspace_id)
    unknown = [name for name in fields if name not in _UPDATABLE]
    if unknown:
        raise ValidationFailed.on(unknown[0], f"Not something you can change; use one of {', '.join(_UPDATABLE)}.")
    locked = ScoringModel.objects.select_for_update().get(pk=model.pk)
    changes: dict[str, list[Any]] = {}
    spec: ModelSpec | None = None
    if "name" in fields:
        text = _clean_name(locked.workspace_id, fields["name"], exclude_id=locked.pk)
        if text != locked.name:
            changes["name"] = [locked.name, text]
            locked.name = text
    if "description" in fields:
        text = (fields["description"] or "").strip()
        if text != locked.description:
            changes["description"] = [locked.description, text]
            locked.description = text
    if "config" in fields:
        spec = engine.spec_from_config(locked.framework, fields["config"] if fields["config"] is not None else {})
        if spec.config != locked.config:
            changes["config"] = [locked.config, spec.config]
            locked.config = spec.config
        else:
            spec = None
    if "is_default" in fields:
        wanted = bool(fields["is_default"])
        if wanted and locked.archived_at is not None:
            raise ValidationFailed.on("is_default", "An archived model cannot be the default.")
        if wanted != locked.is_default:
            if wanted:
                _clear_default(locked.workspace_id, keep_id=locked.pk)
            changes["is_default"] = [locked.is_default, wanted]
            locked.is_default = wanted
    if not changes:
        return locked
    _clean(locked)
    locked.save()
    if spec is not None:
        moved = _rescore(actor, locked, spec)
        changes["rescored"] = [0, moved]
    audit_record(actor=actor, workspace=locked.workspace, action="scoring_model.update", target=locked, changes=changes)
    for name in ("name", "description", "config", "is_default", "updated_at"):
        setattr(model, name, getattr(locked, name))
    return locked


@transaction.atomic
def scoring_model_archive(*, actor: Any, model: ScoringModel) -> ScoringModel:
    """Archive a model: it leaves the lists, stops being the workspace's default and any product's
    default; its scores, history and pins stay."""
    permissions.require(actor, Action.SCORING_MODEL_MANAGE, model.workspace_id)
    locked = ScoringModel.objects.select_for_update().get(pk=model.pk)
    if locked.archived_at is not None:
        return locked
    locked.archived_at = timezone.now()
    was_default = locked.is_default
    locked.is_default = False
    locked.save(update_fields=["archived_at", "is_default", "updated_at"])
    ProductScoringModel.objects.filter(scoring_model=locked).delete()
    audit_record(
        actor=actor,
        workspace=locked.workspace,
        action="scoring_model.archive",
        target=locked,
        changes={"is_default": [was_default, False]},
    )
    model.archived_at, model.is_default, model.updated_at = locked.archived_at, False, locked.updated_at
    return locked


@transaction.atomic
def product_scoring_model_set(*, actor: Any, product: Product, model: ScoringModel | None) -> None:
    """Make ``model`` the product's own default (None: the product follows the workspace's default)."""
    permissions.require(actor, Action.SCORING_MODEL_MANAGE, product.workspace_id)
    current = ProductScoringModel.objects.select_for_update().filter(product=product).first()
    before = current.scoring_model_id if current is not None else None
    if model is None:
        if current is not None:
            current.delete()
    else:
        _same_workspace(model, product.workspace_id, "scoring model")
        if model.archived_at is not None:
            raise ValidationFailed.on("model", "This scoring model is archived.")
        if current is None:
            ProductScoringModel.objects.create(workspace_id=product.workspace_id, product=product, scoring_model=model)
        elif current.scoring_model_id != model.pk:
            current.scoring_model = model
            current.save(update_fields=["scoring_model"])
    after = model.pk if model is not None else None
    if before != after:
        audit_record(
            actor=actor,
            workspace=product.workspace,
            action="product.scoring_model",
            target=product,
            changes={"scoring_model": [before, after]},
        )


# ── feature scores ────────────────────────────────────────────────────────────────────────────


def _check_scoring(actor: Any, model: ScoringModel, feature: Feature | None = None) -> ModelSpec:
    permissions.require(actor, Action.SCORE_EDIT, model.workspace_id)
    if feature is not None:
        _same_workspace(feature, model.workspace_id, "feature")
    if model.archived_at is not None:
        raise ValidationFailed.on("model", "This scoring model is archived.")
    return engine.spec_of(model)


def _store(
    actor: Any,
    model: ScoringModel,
    spec: ModelSpec,
    feature: Feature,
    parsed: Mapping[str, object],
    *,
    replace: bool,
    signals: Mapping[str, float] | None = None,
) -> tuple[FeatureScore, bool]:
    """Merge typed inputs into the feature's score (locked), rescore, and write history and audit
    when something changed. (score, changed)."""
    stored = FeatureScore.objects.select_for_update().filter(feature=feature, scoring_model=model).first()
    old_inputs = dict(stored.inputs) if stored is not None else {}
    inputs = {} if replace else dict(old_inputs)
    for key, value in parsed.items():
        if value is None:
            inputs.pop(key, None)
        else:
            inputs[key] = value
    if signals is None:
        signals = (
            feature_signals(workspace_id=model.workspace_id, feature_ids=[feature.pk], only=spec.signals).row(
                feature.pk
            )
            if spec.signals
            else {}
        )

    result = engine.score(spec, inputs, signals)
    value = result.value if result is not None else None
    label = engine.label_of(spec, result)
    if stored is None:
        stored = FeatureScore(workspace_id=model.workspace_id, feature=feature, scoring_model=model)
        if not inputs and value is None:
            return stored, False  # nothing typed, nothing to keep
    previous = stored.value
    if stored.pk is not None and inputs == old_inputs and value == previous and label == stored.label:
        return stored, False
    stored.inputs, stored.value, stored.label = inputs, value, label
    stored.updated_by = actor if getattr(actor, "pk", None) else None
    stored.save()
    if inputs != old_inputs or value != previous:
        FeatureScoreChange.objects.create(
            workspace_id=model.workspace_id,
            feature=feature,
            scoring_model=model,
            inputs=inputs,
            value=value,
            previous_value=previous,
            actor=stored.updated_by,
        )
    audit_record(
        actor=actor,
        workspace=model.workspace,
        action="feature_score.set",
        target=feature,
        changes={"model": [None, model.name], "inputs": [old_inputs, inputs], "value": [previous, value]},
    )
    return stored, True


@transaction.atomic
def feature_score_set(
    *, actor: Any, model: ScoringModel, feature: Feature, inputs: Mapping[str, object], replace: bool = False
) -> FeatureScore:
    """Fill in a feature's inputs under a model and store the score they give.

    ``inputs`` as typed (``engine.parse_inputs``: "80%", "high", "must have" …); they merge into the
    stored ones unless ``replace``; an empty string (or None) clears an input. A history row is
    written when the inputs or the score changed, and an audit row for every change. Returns the
    score (unsaved, pk None, when nothing was ever typed).
    """
    spec = _check_scoring(actor, model, feature)
    parsed = engine.parse_inputs(spec, inputs, partial=True)
    stored, _ = _store(actor, model, spec, feature, parsed, replace=replace)
    return stored


@dataclass
class PasteResult:
    """What a paste did: scores saved, rows that changed nothing, and the errors (nothing saved then)."""

    saved: int
    unchanged: int
    errors: list[str] = field(default_factory=list)


_REF = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)-(\d+)\s*$")
_IGNORED_HEADERS = {"feature", "ref", "reference", "id", "key", "title", "name", "score", "rank", "#"}


def _rows_of(text: str) -> list[list[str]]:
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    delimiter = "\t" if any("\t" in line for line in lines) else ("," if any("," in line for line in lines) else "\t")
    if delimiter == "," and any(";" in line for line in lines) and not any("," in line for line in lines):
        delimiter = ";"
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]


def _header(spec: ModelSpec, row: list[str]) -> list[engine.InputField | None] | None:
    """The columns a header row names (None for ignored ones), or None when the row is not a header."""
    columns: list[engine.InputField | None] = []
    named = 0
    for cell in row:
        wanted = cell.strip().lower()
        found = next((f for f in spec.fields if wanted in (f.key, f.label.lower())), None)
        if found is not None:
            named += 1
            columns.append(None if found.signal else found)
        elif wanted in _IGNORED_HEADERS or not wanted:
            columns.append(None)
        else:
            return None
    return columns if named else None


def feature_scores_paste(
    *, actor: Any, model: ScoringModel, text: str, feature_ids: Sequence[int] | None = None
) -> PasteResult:
    """Scores pasted from a spreadsheet: tab- (or comma-) separated rows, all saved or none.

    Without ``feature_ids`` the first column is a feature reference (PAY-12); with them, row n
    fills feature ``feature_ids[n-1]`` and every column is an input. The columns are the model's
    typed inputs in order, unless the first row is a header naming them (by key or label;
    "title", "feature" and signal columns are skipped). Empty cells leave an input as it is.
    Errors name the row (its line in the pasted text) and the column: "Row 3, Impact: Choose one
    of 3, 2, 1, 0.5, 0.25." When there is any, nothing is saved.
    """
    spec = _check_scoring(actor, model)
    rows = _rows_of(text or "")
    if not rows:
        return PasteResult(0, 0, ["Paste at least one row."])
    if len(rows) > MAX_PASTE_ROWS + 1:
        return PasteResult(0, 0, [f"Paste at most {MAX_PASTE_ROWS:,} rows at a time."])
    by_ref = feature_ids is None
    first_data = 0
    columns: list[engine.InputField | None] = list(spec.editable)
    header = _header(spec, rows[0][1:] if by_ref else rows[0])
    if header is not None:
        columns, first_data = header, 1
    errors: list[str] = []
    planned: list[tuple[int, int, dict[str, object]]] = []  # (line, feature id, typed inputs)
    refs: dict[tuple[str, int], int] = {}
    if by_ref:
        wanted_refs = {
            (m.group(1).upper(), int(m.group(2))) for row in rows[first_data:] if row and (m := _REF.match(row[0]))
        }
        keys = {key for key, _ in wanted_refs}
        refs = {
            (key.upper(), number): pk
            for pk, key, number in Feature.objects.filter(
                workspace_id=model.workspace_id, product__key__in=keys | {k.lower() for k in keys}
            ).values_list("id", "product__key", "number")
            if (key.upper(), number) in wanted_refs
        }
    else:
        allowed = set(
            Feature.objects.filter(workspace_id=model.workspace_id, pk__in=list(feature_ids or [])).values_list(
                "id", flat=True
            )
        )
    names = ", ".join(c.label for c in columns if c is not None)
    for offset, row in enumerate(rows[first_data:]):
        line = first_data + offset + 1
        if not any(row):
            continue
        if by_ref:
            match = _REF.match(row[0]) if row else None
            if match is None:
                errors.append(
                    f"Row {line}: start the row with a feature reference such as PAY-12, not '{row[0][:40]}'."
                )
                continue
            feature_id = refs.get((match.group(1).upper(), int(match.group(2))))
            if feature_id is None:
                errors.append(
                    f"Row {line}: there is no feature {match.group(1).upper()}-{match.group(2)} in this workspace."
                )
                continue
            cells = row[1:]
        else:
            index = offset
            ids = list(feature_ids or [])
            if index >= len(ids):
                errors.append(f"Row {line}: there are more rows than features ({len(ids)}).")
                continue
            feature_id = ids[index]
            if feature_id not in allowed:
                errors.append(f"Row {line}: feature {feature_id} is not in this workspace.")
                continue
            cells = row
        if len(cells) > len(columns) and any(cells[len(columns) :]):
            errors.append(f"Row {line}: {len(cells)} values, but the columns are {names}.")
            continue
        raw = {column.key: cell for column, cell in zip(columns, cells, strict=False) if column is not None and cell}
        try:
            parsed = engine.parse_inputs(spec, raw, partial=True)
        except ValidationFailed as exc:
            for key, reasons in exc.fields.items():
                label = next((f.label for f in spec.fields if f.key == key), key)
                errors.extend(f"Row {line}, {label}: {reason}" for reason in reasons)
            continue
        planned.append((line, feature_id, parsed))
    if errors:
        return PasteResult(0, 0, errors)
    saved = unchanged = 0
    with transaction.atomic():
        ids = [feature_id for _, feature_id, _ in planned]
        features = Feature.objects.in_bulk(ids)
        table = (
            feature_signals(workspace_id=model.workspace_id, feature_ids=ids, only=spec.signals)
            if spec.signals
            else None
        )
        for _, feature_id, parsed in planned:
            signals = table.row(feature_id) if table is not None else {}
            _, changed = _store(actor, model, spec, features[feature_id], parsed, replace=False, signals=signals)
            saved += changed
            unchanged += not changed
    return PasteResult(saved, unchanged, [])


# ── pins ──────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def rank_override_set(
    *, actor: Any, model: ScoringModel, feature: Feature, position: int, reason: str = ""
) -> RankOverride:
    """Pin ``feature`` at ``position`` (1 = top) of the model's ranking, or move its pin there.

    A position holds one pin: when another feature is pinned there already, that feature is
    unpinned (it goes back to where its score puts it) and the audit row names it. A position
    beyond the end of a ranking puts the feature last.
    """
    _check_scoring(actor, model, feature)
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise ValidationFailed.on("position", "Enter a position of 1 or more.")
    if position > 1_000_000:
        raise ValidationFailed.on("position", "Enter a position of at most 1,000,000.")
    reason = " ".join((reason or "").split())
    if len(reason) > 200:
        raise ValidationFailed.on("reason", "Use at most 200 characters.")
    ScoringModel.objects.select_for_update().filter(pk=model.pk).values_list("pk").first()  # one pin edit at a time
    pins = {
        o.feature_id: o for o in RankOverride.objects.filter(scoring_model=model).select_related("feature__product")
    }
    mine = pins.get(feature.pk)
    holder = next((o for o in pins.values() if o.position == position and o.feature_id != feature.pk), None)
    changes: dict[str, list[Any]] = {"position": [mine.position if mine else None, position]}
    if holder is not None:
        changes["unpinned"] = [holder.feature.ref, None]
        holder.delete()
    if mine is None:
        mine = RankOverride(
            workspace_id=model.workspace_id,
            scoring_model=model,
            feature=feature,
            position=position,
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
    else:
        if reason != mine.reason:
            changes["reason"] = [mine.reason, reason]
        mine.position, mine.reason = position, reason
    _clean(mine)
    mine.save()
    audit_record(actor=actor, workspace=model.workspace, action="rank_override.set", target=feature, changes=changes)
    return mine


@transaction.atomic
def rank_override_clear(*, actor: Any, model: ScoringModel, feature: Feature) -> None:
    """Unpin the feature in the model's ranking (nothing happens when it is not pinned)."""
    _check_scoring(actor, model, feature)
    pin = RankOverride.objects.select_for_update().filter(scoring_model=model, feature=feature).first()
    if pin is None:
        return
    position = pin.position
    pin.delete()
    audit_record(
        actor=actor,
        workspace=model.workspace,
        action="rank_override.clear",
        target=feature,
        changes={"position": [position, None]},
    )


# ── writing a ranking as the backlog order ────────────────────────────────────────────────────


def _kept(sequence: list[int]) -> set[int]:
    """Indices of a longest increasing subsequence of ``sequence`` (the features that need not move)."""
    tails: list[int] = []  # sequence values ending the best run of each length
    tail_at: list[int] = []  # their indices
    parent = [-1] * len(sequence)
    for i, value in enumerate(sequence):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k], tail_at[k] = value, i
        parent[i] = tail_at[k - 1] if k else -1
    kept: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i != -1:
        kept.add(i)
        i = parent[i]
    return kept


def _keys_between(low: str | None, high: str | None, count: int) -> list[str]:
    """``count`` ascending keys strictly between ``low`` and ``high``, split evenly (bisection)."""
    if count == 0:
        return []
    middle = backlog_ranking.key_between(low, high)
    half = count // 2
    return [*_keys_between(low, middle, half), middle, *_keys_between(middle, high, count - half - 1)]


def _new_keys(order: list[int], current: dict[int, str]) -> dict[int, str] | None:
    """New rank keys for the features that must move so ``order`` is the rank order; None when a key
    would grow too long (then the product is respaced)."""
    by_key = sorted(order, key=lambda pk: current[pk])
    place = {pk: i for i, pk in enumerate(by_key)}
    kept = {order[i] for i in _kept([place[pk] for pk in order])}
    result: dict[int, str] = {}
    i = 0
    while i < len(order):
        if order[i] in kept:
            i += 1
            continue
        j = i
        while j < len(order) and order[j] not in kept:
            j += 1
        low = current[order[i - 1]] if i > 0 else None
        high = current[order[j]] if j < len(order) else None
        for pk, key in zip(order[i:j], _keys_between(low, high, j - i), strict=True):
            if len(key) > backlog_ranking.MAX_LENGTH:
                return None
            result[pk] = key
        i = j
    return result


@transaction.atomic
def backlog_rerank(*, actor: Any, model: ScoringModel, product: Product) -> int:
    """Write the model's ranking of the product (pins kept) as the product's backlog order.

    Open features go in ranked order (scored ones by score, then the unscored in their current
    order); done, closed and archived features follow, keeping their current relative order. Only
    the features that have to move get a new rank key (the others keep theirs); returns how many
    moved. Needs FEATURE_EDIT on the product (leaders, or the PM who owns it).
    """
    from headway.prioritization.selectors import ranking

    permissions.require(actor, Action.FEATURE_EDIT, product.workspace_id, product)
    _same_workspace(model, product.workspace_id, "scoring model")
    list(Product.objects.select_for_update().filter(pk=product.pk).values_list("pk"))  # as feature moves do
    current = dict(Feature.objects.select_for_update().filter(product=product).order_by("pk").values_list("pk", "rank"))
    workspace = Workspace.objects.get(pk=product.workspace_id)
    spec = engine.spec_of(model)
    candidates = ranking._candidates(workspace, product.pk, include_closed=False)
    whole = ranking._rank(model, spec, candidates)
    ranked = [whole.ids[i] for i in whole.order if whole.ids[i] in current]
    chosen = set(ranked)
    rest = sorted((pk for pk in current if pk not in chosen), key=lambda pk: current[pk])
    order = ranked + rest
    keys = _new_keys(order, current)
    if keys is None:  # a gap got too crowded: fresh keys for everyone
        keys = dict(zip(order, backlog_ranking.spread(len(order)), strict=True))
        keys = {pk: key for pk, key in keys.items() if key != current[pk]}
    if keys:
        # Two passes: a new key may equal an old key of another moved row (unique per product).
        Feature.objects.bulk_update([Feature(pk=pk, rank=f"-{pk}") for pk in keys], ["rank"], batch_size=1000)
        Feature.objects.bulk_update([Feature(pk=pk, rank=key) for pk, key in keys.items()], ["rank"], batch_size=1000)
    audit_record(
        actor=actor,
        workspace=workspace,
        action="backlog.rerank",
        target=product,
        changes={"scoring_model": [None, model.name], "moved": [0, len(keys)]},
    )
    return len(keys)

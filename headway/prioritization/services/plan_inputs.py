"""Capacity plans' inputs: checking what people typed, the candidate features, and their values.

Candidates. By default: the open (not started or in progress), not archived features of the
products and initiatives allocated to the plan's teams. Each goes to the team that
``selectors.capacity.feature_teams`` names when that team is in the plan, else to the plan's team
with the largest allocation of its product (then of its initiative). A feature with no effort
estimate, a released, closed or archived one, or one no team of the plan works on is not a
candidate: it is kept in ``result["excluded"]`` (with its must-have flag) and named in
``result["warnings"]``; solving looks at it again, so once estimated it becomes a candidate.

Values, by the plan's goal, read again at every solve:

* ``score`` — the feature's score under the plan's scoring model (``ranked_features``); a feature
  without a score is worth 0 (and named in the warnings);
* ``demand`` — the demand signal (ideas and insights evidence, weighted by customers);
* ``objective_mix`` — the sum of the weights (``plan.objective_weights``, by objective id) of the
  objectives the feature serves. Not multiplied by a score: the mix says what matters this period,
  and a feature serving two weighted objectives counts for both. Without weights, each objective of
  the period weighs its own ``Objective.weight``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Q

from headway.backlog.models import OPEN_CATEGORIES, Feature, FeatureObjective, StatusCategory
from headway.core.errors import ValidationFailed
from headway.prioritization.models import CapacityPlan, PlanGoal, PlanItem, ScoringModel, Team, TeamAllocation
from headway.strategy.models import Objective
from headway.workspaces.models import Workspace

MAX_TEAMS = 50
MAX_FEATURES = 5000


def num(value: float) -> str:
    """Numbers in sentences: 12, 2.5, 0.333 — no trailing zeros."""
    return f"{round(float(value), 3):g}"


def fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed.on(field, message)


# --- checking inputs ----------------------------------------------------------------------------


def id_list(value: Any, field: str, limit: int) -> list[int]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise fail(field, "Give a list of ids.")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            raise fail(field, "Give a list of ids.")
        ids.append(item)
    ids = list(dict.fromkeys(ids))
    if len(ids) > limit:
        raise fail(field, f"At most {limit}.")
    return ids


def number(value: Any, field: str, *, minimum: float | None = 0, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise fail(field, "Give a number.")
    number = float(value)
    if not math.isfinite(number):
        raise fail(field, "Give a finite number.")
    if minimum is not None and number < minimum:
        raise fail(field, f"Give a number of at least {num(minimum)}.")
    if maximum is not None and number > maximum:
        raise fail(field, f"Give a number of at most {num(maximum)}.")
    return number


def check_teams(workspace: Workspace, team_ids: Any) -> list[Team]:
    ids = id_list(team_ids, "team_ids", MAX_TEAMS)
    if not ids:
        raise fail("team_ids", "Choose at least one team.")
    found = {t.pk: t for t in Team.objects.filter(workspace=workspace, pk__in=ids, archived_at__isnull=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise fail("team_ids", f"No team {missing[0]} in this workspace (or it is archived).")
    return [found[i] for i in ids]


def check_scoring_model(workspace: Workspace, model: Any) -> ScoringModel | None:
    if model is None:
        return None
    if isinstance(model, ScoringModel):
        model_id: Any = model.pk
    else:
        model_id = model
    if isinstance(model_id, bool) or not isinstance(model_id, int):
        raise fail("scoring_model", "Give a scoring model.")
    found = ScoringModel.objects.filter(workspace=workspace, pk=model_id, archived_at__isnull=True).first()
    if found is None:
        raise fail("scoring_model", f"No scoring model {model_id} in this workspace (or it is archived).")
    return found


def default_scoring_model(actor: Any, workspace: Workspace) -> ScoringModel | None:
    from headway.prioritization.selectors.ranking import default_model

    return default_model(user=actor, workspace=workspace)


def check_objective_weights(workspace: Workspace, weights: Any) -> dict[str, float]:
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise fail("objective_weights", "Give weights by objective id.")
    parsed: dict[int, float] = {}
    for key, weight in weights.items():
        try:
            objective_id = int(key)
        except (TypeError, ValueError):
            raise fail("objective_weights", f"“{key}” is not an objective id.") from None
        parsed[objective_id] = number(weight, "objective_weights", minimum=0, maximum=1_000_000)
    known = set(Objective.objects.filter(workspace=workspace, pk__in=list(parsed)).values_list("pk", flat=True))
    missing = [i for i in parsed if i not in known]
    if missing:
        raise fail("objective_weights", f"No objective {missing[0]} in this workspace.")
    return {str(i): w for i, w in parsed.items()}


def check_shares(workspace: Workspace, shares: Any) -> list[dict[str, Any]]:
    if shares is None:
        return []
    if isinstance(shares, str | bytes | Mapping) or not isinstance(shares, Iterable):
        raise fail("shares", 'Give a list of {"objective": id, "min_share": 0.2}.')
    parsed: dict[int, float] = {}
    for share in shares:
        if not isinstance(share, Mapping) or set(share) != {"objective", "min_share"}:
            raise fail("shares", 'Give each share as {"objective": id, "min_share": 0.2}.')
        objective_id = share["objective"]
        if isinstance(objective_id, bool) or not isinstance(objective_id, int):
            raise fail("shares", "A share's objective must be an objective id.")
        if objective_id in parsed:
            raise fail("shares", "Each objective can have only one minimum share.")
        parsed[objective_id] = number(share["min_share"], "shares", minimum=0, maximum=1)
    known = set(Objective.objects.filter(workspace=workspace, pk__in=list(parsed)).values_list("pk", flat=True))
    missing = [i for i in parsed if i not in known]
    if missing:
        raise fail("shares", f"No objective {missing[0]} in this workspace.")
    if sum(parsed.values()) > 1 + 1e-9:
        raise fail("shares", "The minimum shares add up to more than 100%.")
    return [{"objective": i, "min_share": s} for i, s in parsed.items()]


def check_goal(goal: Any) -> str:
    if goal not in PlanGoal.values:
        raise fail("goal", f"Choose one of {', '.join(PlanGoal.values)}.")
    return str(goal)


def default_weights(plan: CapacityPlan) -> dict[str, float]:
    """Each objective of the plan's period at its own weight (the objective-mix default)."""
    rows = Objective.objects.filter(
        workspace_id=plan.workspace_id,
        archived_at__isnull=True,
        starts_on__lte=plan.ends_on,
        ends_on__gte=plan.starts_on,
    ).values_list("pk", "weight")
    return {str(pk): float(weight) for pk, weight in rows}


# --- candidates -----------------------------------------------------------------------------------


def _allocations(workspace_id: int, team_ids: Sequence[int]) -> tuple[dict[int, list], dict[int, list]]:
    """(product id → [(team id, percent)], initiative id → [...]) for the plan's teams."""
    by_product: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_initiative: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = TeamAllocation.objects.filter(workspace_id=workspace_id, team_id__in=list(team_ids)).values_list(
        "team_id", "product_id", "initiative_id", "percent"
    )
    for team_id, product_id, initiative_id, percent in rows:
        if product_id is not None:
            by_product[product_id].append((team_id, percent))
        else:
            by_initiative[initiative_id].append((team_id, percent))
    return by_product, by_initiative


def _best(rows: list[tuple[int, int]]) -> int:
    return min(rows, key=lambda row: (-row[1], row[0]))[0]


def _assign_teams(workspace_id: int, team_ids: Sequence[int], features: Sequence[Feature]) -> dict[int, int | None]:
    """The plan's team each feature goes to (None: no team of the plan works on it)."""
    from headway.prioritization.selectors.capacity import feature_teams

    chosen = set(team_ids)
    usual = feature_teams(workspace_id=workspace_id, features=features)
    by_product, by_initiative = _allocations(workspace_id, team_ids)
    result: dict[int, int | None] = {}
    for feature in features:
        team_id = usual.get(feature.pk)
        if team_id not in chosen:
            rows = by_product.get(feature.product_id) or by_initiative.get(feature.initiative_id or 0)
            team_id = _best(rows) if rows else (team_ids[0] if len(team_ids) == 1 else None)
        result[feature.pk] = team_id
    return result


def default_feature_ids(workspace_id: int, team_ids: Sequence[int]) -> list[int]:
    by_product, by_initiative = _allocations(workspace_id, team_ids)
    if not by_product and not by_initiative:
        return []
    return list(
        Feature.objects.filter(
            Q(product_id__in=list(by_product)) | Q(initiative_id__in=list(by_initiative)),
            workspace_id=workspace_id,
            archived_at__isnull=True,
            status__category__in=OPEN_CATEGORIES,
        )
        .order_by("product_id", "rank")
        .values_list("pk", flat=True)[:MAX_FEATURES]
    )


def _features(workspace_id: int, ids: Iterable[int]) -> dict[int, Feature]:
    return {
        f.pk: f
        for f in Feature.objects.filter(workspace_id=workspace_id, pk__in=list(ids)).select_related("product", "status")
    }


def _not_ready(feature: Feature, team_id: int | None) -> str:
    """Why the feature is not a candidate, or ""."""
    if feature.archived_at is not None:
        return "archived"
    if feature.status.category == StatusCategory.DONE:
        return "already released"
    if feature.status.category == StatusCategory.CLOSED:
        return "closed"
    if feature.effort is None:
        return "not estimated"
    if team_id is None:
        return "not worked on by any team of this plan"
    return ""


def _excluded_warning(ref: str, why: str, must_have: bool) -> str:
    if must_have:
        return f"Must-have {ref} is {why}, so it cannot be planned."
    return f"{ref} is {why}: not a candidate."


def sync_candidates(plan: CapacityPlan, feature_ids: Iterable[int], must_have_ids: Iterable[int]) -> list[str]:
    """Make ``feature_ids`` the plan's candidates (items) or excluded features; returns warnings.

    Items of features no longer listed are deleted; existing items keep their team.
    """
    ids = list(dict.fromkeys(feature_ids))
    must = set(must_have_ids)
    features = _features(plan.workspace_id, ids)
    team_ids = list(plan.plan_teams.values_list("team_id", flat=True))
    items = {item.feature_id: item for item in PlanItem.objects.filter(plan=plan)}
    need_team = [features[i] for i in ids if i in features and (i not in items or items[i].team_id not in team_ids)]
    teams = _assign_teams(plan.workspace_id, team_ids, need_team) if need_team else {}
    excluded: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    create: list[PlanItem] = []
    update: list[PlanItem] = []
    keep: set[int] = set()
    for feature_id in ids:
        feature = features.get(feature_id)
        if feature is None:  # deleted since it was listed
            continue
        item = items.get(feature_id)
        team_id = item.team_id if item is not None and item.team_id in team_ids else teams.get(feature_id)
        why = _not_ready(feature, team_id)
        if why:
            excluded[str(feature_id)] = {"ref": feature.ref, "why": why, "must_have": feature_id in must}
            warnings.append(_excluded_warning(feature.ref, why, feature_id in must))
            continue
        effort = feature.effort if feature.effort is not None else Decimal(0)
        keep.add(feature_id)
        if item is None:
            create.append(
                PlanItem(
                    workspace_id=plan.workspace_id,
                    plan=plan,
                    feature=feature,
                    team_id=team_id,
                    effort=effort,
                    must_have=feature_id in must,
                )
            )
        else:
            item.team_id, item.effort, item.must_have = team_id, effort, feature_id in must
            update.append(item)
    PlanItem.objects.filter(plan=plan).exclude(feature_id__in=keep).delete()
    PlanItem.objects.bulk_create(create)
    PlanItem.objects.bulk_update(update, ["team", "effort", "must_have"])
    plan.result = {**(plan.result or {}), "excluded": excluded, "candidate_warnings": warnings}
    return warnings


def plan_feature_ids(plan: CapacityPlan) -> list[int]:
    """Candidates and excluded features, in a stable order."""
    ids = list(PlanItem.objects.filter(plan=plan).order_by("id").values_list("feature_id", flat=True))
    ids += [int(i) for i in (plan.result or {}).get("excluded", {})]
    return list(dict.fromkeys(ids))


def must_have_ids_of(plan: CapacityPlan) -> set[int]:
    ids = set(PlanItem.objects.filter(plan=plan, must_have=True).values_list("feature_id", flat=True))
    ids |= {int(i) for i, row in (plan.result or {}).get("excluded", {}).items() if row.get("must_have")}
    return ids


def check_features(workspace: Workspace, ids: Sequence[int], field: str) -> None:
    known = set(Feature.objects.filter(workspace=workspace, pk__in=list(ids)).values_list("pk", flat=True))
    missing = [i for i in ids if i not in known]
    if missing:
        raise fail(field, f"No feature {missing[0]} in this workspace.")


# --- values ---------------------------------------------------------------------------------------


def feature_values(*, actor: Any, plan: CapacityPlan, feature_ids: Sequence[int]) -> tuple[dict[int, float], list[str]]:
    """Each feature's value under the plan's goal, and warnings (features with no score)."""
    ids = list(feature_ids)
    if not ids:
        return {}, []
    if plan.goal == PlanGoal.DEMAND:
        from headway.prioritization.selectors.signals import feature_signals

        table = feature_signals(workspace_id=plan.workspace_id, feature_ids=ids)
        column = table.columns["demand"]
        found = {fid: float(column[i]) for i, fid in enumerate(table.feature_ids)}
        return {fid: (v if math.isfinite(v := found.get(fid, 0.0)) else 0.0) for fid in ids}, []
    if plan.goal == PlanGoal.OBJECTIVE_MIX:
        weights = {int(k): float(v) for k, v in (plan.objective_weights or {}).items()}
        values = dict.fromkeys(ids, 0.0)
        links = FeatureObjective.objects.filter(feature_id__in=ids, objective_id__in=list(weights)).values_list(
            "feature_id", "objective_id"
        )
        for feature_id, objective_id in links:
            values[feature_id] += weights[objective_id]
        return values, []
    from headway.prioritization.selectors.ranking import ranked_features

    model = plan.scoring_model
    if model is None:
        raise fail("scoring_model", "Choose a scoring model: the plan's goal is the total score.")
    ranking = ranked_features(user=actor, workspace=plan.workspace, model=model, per_page=None, include_closed=True)
    scores = {rf.feature.pk: rf.score for rf in ranking.items}
    values = {}
    unscored = []
    for feature_id in ids:
        score = scores.get(feature_id)
        if score is None or not math.isfinite(score):
            unscored.append(feature_id)
            values[feature_id] = 0.0
        else:
            values[feature_id] = float(score)
    warnings = []
    if unscored:
        refs = [f.ref for f in Feature.objects.filter(pk__in=unscored).select_related("product").order_by("pk")]
        listed = ", ".join(refs[:10]) + (f" and {len(refs) - 10} more" if len(refs) > 10 else "")
        warnings.append(f"{listed} {'has' if len(refs) == 1 else 'have'} no score under {model.name}: value 0.")
    return values, warnings

"""Reads of capacity plans: the list, one plan with everything its page shows, the planner's problem
of a stored plan, and two plans (or a plan and a scenario) side by side.

The planner speaks in strings: candidates are feature references (PAY-12), teams their names,
objectives their titles — so its messages ("PAY-12 would overflow Payments by 3") read as they
are. ``build_problem`` keeps the way back to the rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from headway.backlog.models import EffortUnit, FeatureDependency, FeatureObjective, StatusCategory
from headway.core import permissions
from headway.core.errors import NotFound
from headway.core.permissions import Action
from headway.prioritization import planner
from headway.prioritization.models import (
    CapacityPlan,
    Framework,
    LeftOutReason,
    PlanItem,
    PlanScenario,
    PlanState,
    PlanTeam,
)
from headway.strategy.models import Objective
from headway.workspaces.models import Workspace


@dataclass
class BuiltProblem:
    problem: planner.PlanProblem
    items: dict[str, PlanItem]  # feature ref → item (feature, its product and team loaded), in position order
    team_ids: dict[str, int]  # team name → team id
    plan_teams: list[PlanTeam]
    objective_keys: dict[int, str]  # objective id → the planner's name for it


def build_problem(plan: CapacityPlan, *, time_limit: float | None = None) -> BuiltProblem:
    """The planner's problem from what the plan stores (items, capacities, shares) and the backlog's
    dependencies. Four queries, five with shares."""
    from headway.prioritization.services.plans import SOLVE_TIME_LIMIT

    plan_teams = list(PlanTeam.objects.filter(plan=plan).select_related("team").order_by("team__name", "team_id"))
    items_list = list(
        PlanItem.objects.filter(plan=plan)
        .select_related("feature__product", "team")
        .order_by("position", "feature__product__key", "feature__number")
    )
    team_ids = {row.team.name: row.team_id for row in plan_teams}
    team_names = {row.team_id: row.team.name for row in plan_teams}
    items = {item.feature.ref: item for item in items_list}
    by_feature = {item.feature_id: ref for ref, item in items.items()}

    depends: dict[int, list[str]] = defaultdict(list)
    done: set[str] = set()
    if items_list:
        rows = (
            FeatureDependency.objects.filter(blocked_id__in=list(by_feature))
            .select_related("blocker__product", "blocker__status")
            .order_by("blocker__product__key", "blocker__number")
        )
        for row in rows:
            blocker_ref = by_feature.get(row.blocker_id) or row.blocker.ref
            depends[row.blocked_id].append(blocker_ref)
            if row.blocker_id not in by_feature and row.blocker.status.category == StatusCategory.DONE:
                done.add(blocker_ref)

    objective_keys: dict[int, str] = {}
    serves: dict[int, list[str]] = defaultdict(list)
    shares: list[planner.ObjectiveShare] = []
    share_ids = [int(s["objective"]) for s in plan.shares or []]
    if share_ids:
        titles = dict(Objective.objects.filter(pk__in=share_ids).values_list("pk", "title"))
        counts: dict[str, int] = defaultdict(int)
        for title in titles.values():
            counts[title] += 1
        for objective_id in share_ids:
            title = titles.get(objective_id, f"objective {objective_id}")
            objective_keys[objective_id] = f"“{title}”" if counts[title] <= 1 else f"“{title}” (#{objective_id})"
        for feature_id, objective_id in FeatureObjective.objects.filter(
            feature_id__in=list(by_feature), objective_id__in=share_ids
        ).values_list("feature_id", "objective_id"):
            serves[feature_id].append(objective_keys[objective_id])
        shares = [
            planner.ObjectiveShare(objective_keys[int(s["objective"])], float(s["min_share"])) for s in plan.shares
        ]

    candidates = tuple(
        planner.Candidate(
            id=ref,
            value=float(item.value),
            effort={team_names[item.team_id]: float(item.effort)} if item.team_id in team_names else {},
            must_have=item.must_have,
            objectives=tuple(sorted(serves.get(item.feature_id, ()))),
            depends_on=tuple(dict.fromkeys(depends.get(item.feature_id, ()))),
        )
        for ref, item in items.items()
    )
    problem = planner.PlanProblem(
        candidates=candidates,
        teams=tuple(planner.Team(row.team.name, float(row.capacity)) for row in plan_teams),
        shares=tuple(shares),
        done=frozenset(done),
        time_limit=time_limit if time_limit is not None else SOLVE_TIME_LIMIT,
    )
    return BuiltProblem(problem, items, team_ids, plan_teams, objective_keys)


def plan_problem(plan: CapacityPlan) -> planner.PlanProblem:
    """The planner's problem of a stored plan (no permission check: callers scope)."""
    return build_problem(plan).problem


# --- lists and one plan ---------------------------------------------------------------------------


def plans(*, user: Any, workspace: Workspace) -> list[CapacityPlan]:
    """The workspace's plans, latest period first, with their teams by name (two queries)."""
    qs = permissions.scope(CapacityPlan.objects.all(), user, workspace, Action.PRIORITY_VIEW)
    return list(
        qs.select_related("scoring_model", "created_by", "committed_by")
        .prefetch_related(
            Prefetch("plan_teams", queryset=PlanTeam.objects.select_related("team").order_by("team__name", "team_id"))
        )
        .order_by("-starts_on", "-id")
    )


def plan_get(*, user: Any, workspace: Workspace, plan_id: int) -> CapacityPlan:
    qs = permissions.scope(CapacityPlan.objects.all(), user, workspace, Action.PRIORITY_VIEW)
    plan: CapacityPlan = permissions.get_or_404(
        qs.select_related("workspace", "scoring_model", "created_by", "committed_by"), pk=plan_id
    )
    return plan


def scenario_get(*, user: Any, workspace: Workspace, scenario_id: int) -> PlanScenario:
    qs = permissions.scope(PlanScenario.objects.all(), user, workspace, Action.PRIORITY_VIEW)
    scenario: PlanScenario = permissions.get_or_404(qs.select_related("plan__workspace"), pk=scenario_id)
    return scenario


def effort_unit(workspace_id: int) -> tuple[str, str]:
    """(the unit's short name for sentences, its label): ("person-weeks", "Person-weeks") or ("points", …)."""
    from headway.backlog.models import BacklogSettings

    unit = (
        BacklogSettings.objects.filter(workspace_id=workspace_id).values_list("effort_unit", flat=True).first()
        or EffortUnit.POINTS
    )
    label = EffortUnit(unit).label
    return ("person-weeks" if unit == EffortUnit.PERSON_WEEKS else "points"), label


def _item_row(item: PlanItem, team_names: dict[int, str]) -> dict[str, Any]:
    feature = item.feature
    return {
        "item": item,
        "feature": feature,
        "id": feature.pk,
        "ref": feature.ref,
        "title": feature.title,
        "product": feature.product.name,
        "team_id": item.team_id,
        "team": team_names.get(item.team_id or 0, ""),
        "value": item.value,
        "effort": float(item.effort),
        "must_have": item.must_have,
        "chosen": item.chosen,
        "reason": item.reason,
        "reason_label": LeftOutReason(item.reason).label if item.reason else "",
        "message": item.message,
        "position": item.position,
    }


def _moscow_warning(plan: CapacityPlan, items: list[PlanItem], capacity: float) -> str | None:
    """MoSCoW plans: a warning when the Musts among the candidates take over 60% of capacity."""
    from headway.prioritization.frameworks import moscow_check
    from headway.prioritization.models import FeatureScore

    model = plan.scoring_model
    if model is None or model.framework != Framework.MOSCOW or capacity <= 0:
        return None
    labels = dict(
        FeatureScore.objects.filter(scoring_model=model, feature_id__in=[i.feature_id for i in items]).values_list(
            "feature_id", "label"
        )
    )
    pairs = [(labels[i.feature_id], float(i.effort)) for i in items if labels.get(i.feature_id)]
    try:
        return moscow_check(pairs, capacity)
    except Exception:  # a stored label that is not a MoSCoW bucket: no warning rather than no page
        return None


def _compare_rows(result: dict[str, Any], refs: dict[int, dict[str, Any]], team_names: dict[int, str]) -> dict:
    def rows(ids: list[int]) -> list[dict[str, Any]]:
        return [refs[i] for i in ids if i in refs]

    return {
        "added": rows(result.get("added", [])),
        "removed": rows(result.get("removed", [])),
        "value_delta": result.get("value_delta", 0.0),
        "capacity_used_delta": [
            {"team_id": int(k), "team": team_names.get(int(k), ""), "delta": v}
            for k, v in result.get("capacity_used_delta", {}).items()
        ],
    }


def plan_detail(*, user: Any, workspace: Workspace, plan: CapacityPlan) -> dict[str, Any]:
    """Everything the planner page shows, in a fixed number of queries.

    ``teams`` (capacity, used, percent), ``chosen`` and ``below`` items (ref, title, product, team,
    value, effort; below: reason and message), ``excluded`` features, ``greedy`` comparison,
    ``scenarios`` each with its comparison, ``moscow_warning``, ``warnings`` and ``reasons``.
    """
    permissions.require(user, Action.PRIORITY_VIEW, workspace, plan)
    result = plan.result or {}
    plan_teams = list(PlanTeam.objects.filter(plan=plan).select_related("team").order_by("team__name", "team_id"))
    team_names = {row.team_id: row.team.name for row in plan_teams}
    items = list(
        PlanItem.objects.filter(plan=plan)
        .select_related("feature__product")
        .order_by("position", "feature__product__key", "feature__number")
    )
    rows = [_item_row(item, team_names) for item in items]
    by_id = {row["id"]: {"id": row["id"], "ref": row["ref"], "title": row["title"]} for row in rows}
    solved = plan.state != PlanState.DRAFT or bool(result.get("status"))
    used: dict[int, float] = defaultdict(float)
    for row in rows:
        if row["chosen"] and row["team_id"] is not None:
            used[row["team_id"]] += row["effort"]
    teams: list[dict[str, Any]] = []
    for plan_team in plan_teams:
        capacity = float(plan_team.capacity)
        team_used = used.get(plan_team.team_id, 0.0)
        teams.append(
            {
                "id": plan_team.team_id,
                "name": plan_team.team.name,
                "team": plan_team.team,
                "capacity": capacity,
                "used": team_used,
                "left": capacity - team_used,
                "percent": round(100 * team_used / capacity, 1) if capacity > 0 else (0.0 if not team_used else 100.0),
                "candidates": sum(1 for r in rows if r["team_id"] == plan_team.team_id),
            }
        )
    scenarios = []
    for scenario in PlanScenario.objects.filter(plan=plan).order_by("created_at", "id"):
        scenario_result = scenario.result or {}
        summary = scenario_result.get("summary", {})
        scenarios.append(
            {
                "scenario": scenario,
                "id": scenario.pk,
                "name": scenario.name,
                "changes": scenario.changes,
                "described": scenario_result.get("described", []),
                "status": summary.get("status"),
                "total_value": summary.get("total_value"),
                "chosen_count": len(scenario_result.get("chosen", [])),
                **_compare_rows(scenario_result, by_id, team_names),
            }
        )
    chosen = [row for row in rows if row["chosen"]]
    greedy = result.get("greedy")
    return {
        "plan": plan,
        "solved": solved,
        "stale": bool(result.get("stale")) and plan.state == PlanState.DRAFT,
        "status": result.get("status"),
        "feasible": bool(result.get("feasible")),
        "unit": effort_unit(plan.workspace_id)[0],
        "total_value": result.get("total_value", 0.0),
        "gap": result.get("gap"),
        "solve_seconds": result.get("solve_seconds"),
        "teams": teams,
        "capacity": sum(t["capacity"] for t in teams),
        "used": sum(t["used"] for t in teams),
        "chosen": chosen,
        "below": [row for row in rows if not row["chosen"]],
        "excluded": [{"id": int(feature_id), **entry} for feature_id, entry in (result.get("excluded") or {}).items()],
        "greedy": None if not greedy else {**greedy, "value_over_greedy": result.get("value_over_greedy")},
        "scenarios": scenarios,
        "moscow_warning": _moscow_warning(plan, items, sum(t["capacity"] for t in teams)),
        "warnings": list(result.get("warnings") or result.get("candidate_warnings") or []),
        "reasons": list(result.get("reasons") or []),
    }


def _chosen_summary(plan: CapacityPlan) -> tuple[list[int], float, dict[str, float]]:
    result = plan.result or {}
    ids = list(
        PlanItem.objects.filter(plan=plan, chosen=True).order_by("position", "id").values_list("feature_id", flat=True)
    )
    return ids, float(result.get("total_value") or 0.0), dict(result.get("capacity_used") or {})


def plan_compare(*, user: Any, workspace: Workspace, plan: CapacityPlan, other: CapacityPlan | PlanScenario) -> dict:
    """Two plans (or a plan and one of its scenarios) side by side: features added and removed (in
    ``other`` and not in ``plan``, and the reverse), the value delta and the capacity used per team."""
    from headway.backlog.models import Feature

    permissions.require(user, Action.PRIORITY_VIEW, workspace, plan)
    if other.workspace_id != workspace.pk:
        raise NotFound("No such plan in this workspace.")
    base_ids, base_value, base_used = _chosen_summary(plan)
    if isinstance(other, PlanScenario):
        if other.plan_id != plan.pk:
            raise NotFound("No such scenario of this plan.")
        summary = (other.result or {}).get("summary", {})
        other_ids = list((other.result or {}).get("chosen", []))
        other_value = float(summary.get("total_value") or 0.0)
        other_used = dict(summary.get("capacity_used") or {})
        other_name = other.name
    else:
        other_ids, other_value, other_used = _chosen_summary(other)
        other_name = other.name
    base_set, other_set = set(base_ids), set(other_ids)
    added = [i for i in other_ids if i not in base_set]
    removed = [i for i in base_ids if i not in other_set]
    features = {
        f.pk: f for f in Feature.objects.filter(workspace=workspace, pk__in=added + removed).select_related("product")
    }
    team_ids = list(dict.fromkeys([*base_used, *other_used]))
    from headway.prioritization.models import Team

    names = dict(Team.objects.filter(workspace=workspace, pk__in=[int(t) for t in team_ids]).values_list("pk", "name"))

    def rows(ids: list[int]) -> list[dict[str, Any]]:
        return [{"id": i, "ref": features[i].ref, "title": features[i].title} for i in ids if i in features]

    return {
        "base": {"id": plan.pk, "name": plan.name, "total_value": base_value, "chosen": len(base_ids)},
        "other": {
            "id": other.pk,
            "kind": "scenario" if isinstance(other, PlanScenario) else "plan",
            "name": other_name,
            "total_value": other_value,
            "chosen": len(other_ids),
        },
        "added": rows(added),
        "removed": rows(removed),
        "value_delta": other_value - base_value,
        "capacity_used_delta": [
            {
                "team_id": int(team),
                "team": names.get(int(team), ""),
                "delta": float(other_used.get(team, 0.0)) - float(base_used.get(team, 0.0)),
            }
            for team in team_ids
        ],
    }

"""API: capacity plans — create, change, solve, what-if scenarios, compare, commit — and "say no".

Every member reads plans; PMs and up create, change, solve and delete them and add scenarios;
leaders and up commit them (the chosen features get the plan's period as their target release).
A plan's ``GET`` answers everything its page shows: teams with capacity and use, the chosen
features, those below the line with the reason each was left out, the greedy comparison and the
scenarios. An infeasible plan (must-haves over capacity) is answered with ``status: infeasible``
and its ``reasons``, not an error.
"""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from headway.backlog import selectors as backlog_selectors
from headway.core.api import api_field_names, responses, workspace_of
from headway.core.errors import NotFound, ValidationFailed
from headway.prioritization.api.schemas_plans import (
    CompareFilters,
    CompareOut,
    PlanDetailOut,
    PlanFilters,
    PlanIn,
    PlanPage,
    PlanPatch,
    SayNoOut,
    ScenarioIn,
    ScenarioOut,
)
from headway.prioritization.models import CapacityPlan
from headway.prioritization.selectors import plans as selectors
from headway.prioritization.selectors.say_no import say_no
from headway.prioritization.services import plans as services

router = Router(tags=["plans"])

# --- helpers ----------------------------------------------------------------------------------


def _plan(request: HttpRequest, plan_id: int) -> CapacityPlan:
    return selectors.plan_get(user=request.user, workspace=workspace_of(request), plan_id=plan_id)


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _summary(plan: CapacityPlan) -> dict[str, Any]:
    result = plan.result or {}
    return {
        "id": plan.pk,
        "name": plan.name,
        "period": plan.period_label,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "goal": plan.goal,
        "scoring_model_id": plan.scoring_model_id,
        "state": plan.state,
        "status": result.get("status"),
        "total_value": _finite(result.get("total_value")),
        "value_over_greedy": _finite(result.get("value_over_greedy")),
        "created_at": plan.created_at,
        "solved_at": plan.solved_at,
        "committed_at": plan.committed_at,
    }


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "feature_id": row["id"],
        **{k: row[k] for k in ("ref", "title", "product", "team_id", "team", "value", "effort", "must_have")},
        **{k: row[k] for k in ("chosen", "reason", "message", "position")},
    }


def _detail(request: HttpRequest, plan: CapacityPlan) -> dict[str, Any]:
    detail = selectors.plan_detail(user=request.user, workspace=workspace_of(request), plan=plan)
    return {
        **_summary(plan),
        "stale": detail["stale"],
        "feasible": detail["feasible"],
        "unit": detail["unit"],
        "gap": _finite(detail["gap"]),
        "solve_seconds": _finite(detail["solve_seconds"]),
        "objective_weights": [
            {"objective_id": int(k), "weight": float(v)} for k, v in (plan.objective_weights or {}).items()
        ],
        "shares": [
            {"objective_id": int(s["objective"]), "min_share": float(s["min_share"])} for s in plan.shares or []
        ],
        "teams": [{k: t[k] for k in ("id", "name", "capacity", "used", "percent")} for t in detail["teams"]],
        "chosen": [_item(row) for row in detail["chosen"]],
        "below": [_item(row) for row in detail["below"]],
        "excluded": [
            {"id": e["id"], "ref": e.get("ref", ""), "why": e.get("why", ""), "must_have": bool(e.get("must_have"))}
            for e in detail["excluded"]
        ],
        "greedy": detail["greedy"],
        "scenarios": [{k: s[k] for k in ScenarioOut.model_fields if k in s} for s in detail["scenarios"]],
        "moscow_warning": detail["moscow_warning"],
        "warnings": detail["warnings"],
        "reasons": detail["reasons"],
    }


_RENAMES = {"scoring_model": "scoring_model_id"}


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if "scoring_model_id" in fields:
        fields["scoring_model"] = fields.pop("scoring_model_id")
    if fields.get("objective_weights") is not None:
        fields["objective_weights"] = {str(w["objective_id"]): w["weight"] for w in fields["objective_weights"]}
    if fields.get("shares") is not None:
        fields["shares"] = [{"objective": s["objective_id"], "min_share": s["min_share"]} for s in fields["shares"]]
    if fields.get("capacities") is not None:
        fields["capacities"] = {c["team_id"]: c["capacity"] for c in fields["capacities"]}
    return fields


# --- operations -------------------------------------------------------------------------------


@router.get("/plans", response=responses({200: PlanPage}), summary="List capacity plans")
def plan_list(request: HttpRequest, filters: Query[PlanFilters]) -> dict:
    """The workspace's plans, latest period first."""
    found = selectors.plans(user=request.user, workspace=workspace_of(request))
    start = (filters.page - 1) * filters.page_size
    return {
        "items": [_summary(p) for p in found[start : start + filters.page_size]],
        "count": len(found),
        "page": filters.page,
        "page_size": filters.page_size,
        "pages": max(1, math.ceil(len(found) / filters.page_size)),
    }


@router.post(
    "/plans",
    response=responses({201: PlanDetailOut}),
    summary="Create a capacity plan",
    description="PMs and up. A draft: the period, the teams with their capacity for it (from their members and "
    "time off), and the candidates. Solve it with POST /plans/{id}/solve.",
)
def plan_create(request: HttpRequest, data: PlanIn) -> Status:
    fields = _service_fields(data.model_dump())
    with api_field_names(_RENAMES):
        plan = services.plan_create(actor=request.user, workspace=workspace_of(request), **fields)
    return Status(201, _detail(request, _plan(request, plan.pk)))


@router.get(
    "/plans/{plan_id}",
    response=responses({200: PlanDetailOut}),
    summary="Get a plan with its outcome",
    description="Teams with capacity and use, the chosen features, those below the line with the reason each "
    "was left out, the gain over a greedy fill, and the what-if scenarios.",
)
def plan_get(request: HttpRequest, plan_id: int) -> dict:
    return _detail(request, _plan(request, plan_id))


@router.patch(
    "/plans/{plan_id}",
    response=responses({200: PlanDetailOut}),
    summary="Change a plan",
    description="PMs and up. Send only what changes. A solved or committed plan goes back to draft (stale) "
    "until it is solved again.",
)
def plan_update(request: HttpRequest, plan_id: int, data: PlanPatch) -> dict:
    plan = _plan(request, plan_id)
    fields = _service_fields(data.model_dump(exclude_unset=True))
    with api_field_names(_RENAMES):
        services.plan_update(actor=request.user, plan=plan, **fields)
    return _detail(request, _plan(request, plan_id))


@router.delete("/plans/{plan_id}", response=responses({204: None}), summary="Delete a plan")
def plan_delete(request: HttpRequest, plan_id: int) -> Status:
    """PMs and up. Target releases a committed plan wrote stay on the features."""
    services.plan_delete(actor=request.user, plan=_plan(request, plan_id))
    return Status(204, None)


@router.post(
    "/plans/{plan_id}/solve",
    response=responses({200: PlanDetailOut}),
    summary="Solve a plan",
    description="PMs and up. Reads the candidates' values and estimates again, then finds the plan with the most "
    "value within capacity (an integer program, HiGHS). An infeasible plan answers 200 with status "
    "infeasible and the reasons.",
)
def plan_solve(request: HttpRequest, plan_id: int) -> dict:
    services.plan_solve(actor=request.user, plan=_plan(request, plan_id))
    return _detail(request, _plan(request, plan_id))


@router.post(
    "/plans/{plan_id}/scenarios",
    response=responses({201: ScenarioOut}),
    summary="Add a what-if scenario",
    description="PMs and up, on a solved plan (409 otherwise). Changes applied together: add_capacity to a team, "
    "scale_effort of a feature, set_weight of an objective (objective-mix plans), set_value of a feature.",
)
def scenario_add(request: HttpRequest, plan_id: int, data: ScenarioIn) -> Status:
    plan = _plan(request, plan_id)
    changes = []
    for change in data.model_dump()["changes"]:
        renamed = {key.removesuffix("_id") if key.endswith("_id") else key: value for key, value in change.items()}
        changes.append(renamed)
    scenario = services.plan_scenario_add(actor=request.user, plan=plan, name=data.name, changes=changes)
    detail = selectors.plan_detail(user=request.user, workspace=workspace_of(request), plan=_plan(request, plan_id))
    row = next(s for s in detail["scenarios"] if s["id"] == scenario.pk)
    return Status(201, {k: row[k] for k in ScenarioOut.model_fields})


@router.delete("/plan-scenarios/{scenario_id}", response=responses({204: None}), summary="Delete a scenario")
def scenario_delete(request: HttpRequest, scenario_id: int) -> Status:
    """PMs and up."""
    scenario = selectors.scenario_get(user=request.user, workspace=workspace_of(request), scenario_id=scenario_id)
    services.plan_scenario_delete(actor=request.user, scenario=scenario)
    return Status(204, None)


@router.get(
    "/plans/{plan_id}/compare",
    response=responses({200: CompareOut}),
    summary="Compare a plan with another plan or one of its scenarios",
    description="Give exactly one of other (a plan id) or scenario (a scenario of this plan). added: chosen in the "
    "other and not in this plan; removed: the reverse.",
)
def plan_compare(request: HttpRequest, plan_id: int, filters: Query[CompareFilters]) -> dict:
    plan = _plan(request, plan_id)
    workspace = workspace_of(request)
    if (filters.other is None) == (filters.scenario is None):
        raise ValidationFailed.on("other", "Give exactly one of other (a plan) or scenario.")
    if filters.other is not None:
        other: Any = selectors.plan_get(user=request.user, workspace=workspace, plan_id=filters.other)
    else:
        other = selectors.scenario_get(user=request.user, workspace=workspace, scenario_id=filters.scenario or 0)
        if other.plan_id != plan.pk:
            raise NotFound("scenario: No such scenario of this plan.", fields={"scenario": ["Not a scenario of it."]})
    return selectors.plan_compare(user=request.user, workspace=workspace, plan=plan, other=other)


@router.post(
    "/plans/{plan_id}/commit",
    response=responses({200: PlanDetailOut}),
    summary="Commit a plan",
    description="Leaders and up, on a solved, feasible plan (409 otherwise). The chosen features get the plan's "
    "period as their target release; committing again after a re-solve moves it to the new choice.",
)
def plan_commit(request: HttpRequest, plan_id: int) -> dict:
    services.plan_commit(actor=request.user, plan=_plan(request, plan_id))
    return _detail(request, _plan(request, plan_id))


@router.get(
    "/features/{feature_id}/say-no",
    response=responses({200: SayNoOut}),
    summary="Why not this feature",
    description="Sentences from the data: the current period's objectives it serves or not, where it ranks under "
    "its product's scoring model, and where it stands in the current plan with what taking it would displace.",
)
def feature_say_no(request: HttpRequest, feature_id: int) -> dict:
    workspace = workspace_of(request)
    feature = backlog_selectors.feature_get(actor=request.user, workspace=workspace, feature_id=feature_id)
    answer = say_no(user=request.user, workspace=workspace, feature=feature)
    return {k: answer[k] for k in SayNoOut.model_fields}


@router.get(
    "/ideas/{idea_id}/say-no",
    response=responses({200: SayNoOut}),
    summary="Why not this idea",
    description="For an idea linked to a feature, the feature's answer (after a sentence naming it); for one not "
    "linked yet, that it is not, and the current period's objectives its product serves.",
)
def idea_say_no(request: HttpRequest, idea_id: int) -> dict:
    from headway.ideas.selectors.staff import staff_idea_get

    workspace = workspace_of(request)
    idea = staff_idea_get(user=request.user, workspace=workspace, idea_id=idea_id)
    answer = say_no(user=request.user, workspace=workspace, idea=idea)
    return {k: answer[k] for k in SayNoOut.model_fields}

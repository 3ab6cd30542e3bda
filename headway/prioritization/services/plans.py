"""Capacity plans: create, change, solve, what-if scenarios, commit to the backlog, delete.

A plan names a period, teams and candidate features. Solving turns it into a
``planner.PlanProblem`` (see ``selectors.plans.build_problem``) and stores what the planner
decided: each candidate's ``PlanItem`` (chosen, or why not) and the summary in
``CapacityPlan.result``.

Candidates and their values: see ``plan_inputs``.

Dependencies come from the backlog: the blocked feature depends on its blocker (it ships with or
after it); a released blocker (status category done) satisfies the dependency.

Every write needs PLAN_MANAGE (PMs and up), committing PLAN_COMMIT (leaders and up). Every
write is atomic and audited. An infeasible plan (must-haves over capacity…) is stored with status
``infeasible`` and the planner's reasons; it is never an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from headway.backlog.models import Feature, FeatureObjective
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import Conflict, ValidationFailed
from headway.core.models import AuditEvent
from headway.core.permissions import Action
from headway.prioritization import planner
from headway.prioritization.models import (
    CapacityPlan,
    PlanGoal,
    PlanItem,
    PlanScenario,
    PlanState,
    PlanTeam,
    ScoringModel,
)
from headway.prioritization.periods import parse_period
from headway.prioritization.services.plan_inputs import (
    MAX_FEATURES,
    check_features,
    check_goal,
    check_objective_weights,
    check_scoring_model,
    check_shares,
    check_teams,
    default_feature_ids,
    default_scoring_model,
    default_weights,
    fail,
    feature_values,
    id_list,
    must_have_ids_of,
    num,
    number,
    plan_feature_ids,
    sync_candidates,
)
from headway.strategy.models import Objective
from headway.workspaces.models import Workspace

# The solver stops here on a plan page (the planner then keeps its best plan with the proven gap).
SOLVE_TIME_LIMIT = 10.0
MAX_SCENARIO_CHANGES = 20
UPDATABLE = (
    "name",
    "capacities",
    "must_have_ids",
    "feature_ids",
    "add_feature_ids",
    "remove_feature_ids",
    "shares",
    "objective_weights",
    "goal",
    "scoring_model",
)


# --- create, update, delete ---------------------------------------------------------------------


def _lock(plan: CapacityPlan) -> CapacityPlan:
    locked = (
        CapacityPlan.objects.select_for_update(of=("self",))
        .select_related("workspace", "scoring_model")
        .get(pk=plan.pk)
    )
    return locked


def _mark_stale(plan: CapacityPlan) -> None:
    if plan.state != PlanState.DRAFT:
        plan.state = PlanState.DRAFT
        plan.result = {**(plan.result or {}), "stale": True}


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    workspace: Workspace,
    name: str = "",
    period: str,
    team_ids: Sequence[int],
    goal: str = PlanGoal.SCORE,
    scoring_model: ScoringModel | int | None = None,
    objective_weights: Mapping[Any, Any] | None = None,
    shares: Sequence[Mapping[str, Any]] | None = None,
    feature_ids: Sequence[int] | None = None,
    must_have_ids: Sequence[int] = (),
) -> CapacityPlan:
    """A draft plan: the period, the teams with their computed capacity, the candidates."""
    from headway.prioritization.selectors.capacity import team_capacity

    permissions.require(actor, Action.PLAN_MANAGE, workspace)
    label, starts_on, ends_on = parse_period(period)
    teams = check_teams(workspace, team_ids)
    goal = check_goal(goal)
    model = check_scoring_model(workspace, scoring_model)
    if model is None and goal == PlanGoal.SCORE:
        model = default_scoring_model(actor, workspace)
        if model is None:
            raise fail("scoring_model", "Choose a scoring model: the workspace has no default one.")
    weights = check_objective_weights(workspace, objective_weights)
    share_rows = check_shares(workspace, shares)
    musts = id_list(must_have_ids, "must_have_ids", MAX_FEATURES)
    if feature_ids is not None:
        ids = id_list(feature_ids, "feature_ids", MAX_FEATURES)
        check_features(workspace, ids, "feature_ids")
    else:
        ids = default_feature_ids(workspace.pk, [t.pk for t in teams])
    check_features(workspace, musts, "must_have_ids")
    ids += [i for i in musts if i not in ids]  # a must-have is a candidate, whatever the default list says
    name = " ".join(str(name or "").split()) or f"{label} plan"
    plan = CapacityPlan(
        workspace=workspace,
        name=name,
        period_label=label,
        starts_on=starts_on,
        ends_on=ends_on,
        goal=goal,
        scoring_model=model,
        objective_weights=weights,
        shares=share_rows,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if goal == PlanGoal.OBJECTIVE_MIX and not weights:
        plan.objective_weights = default_weights(plan)
    _full_clean(plan)
    plan.save()
    capacities = team_capacity(workspace_id=workspace.pk, team_ids=[t.pk for t in teams], starts_on=starts_on,
                               ends_on=ends_on)  # fmt: skip
    PlanTeam.objects.bulk_create(
        PlanTeam(
            workspace=workspace,
            plan=plan,
            team=team,
            capacity=Decimal(str(round(float(capacities[team.pk].total), 2))),
        )
        for team in teams
    )
    sync_candidates(plan, ids, musts)
    plan.save(update_fields=["result", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="plan.create",
        target=plan,
        changes={
            "period": [None, label],
            "teams": [None, ", ".join(t.name for t in teams)],
            "goal": [None, goal],
            "candidates": [None, PlanItem.objects.filter(plan=plan).count()],
        },
    )
    return plan


def _full_clean(plan: CapacityPlan) -> None:
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        plan.full_clean(exclude=["workspace", "scoring_model", "created_by", "committed_by"], validate_unique=False,
                        validate_constraints=False)  # fmt: skip
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


@transaction.atomic
def plan_update(*, actor: Any, plan: CapacityPlan, **fields: Any) -> CapacityPlan:
    """Change a plan's inputs. ``capacities``: {team id: capacity}; ``must_have_ids``: the whole set;
    ``feature_ids``: the whole candidate list, or ``add_feature_ids`` / ``remove_feature_ids``.
    A solved or committed plan goes back to draft (its last result is kept, marked stale) unless only
    its name changed."""
    workspace = plan.workspace
    permissions.require(actor, Action.PLAN_MANAGE, workspace, plan)
    unknown = [name for name in fields if name not in UPDATABLE]
    if unknown:
        raise fail(unknown[0], f"Not a field you can change on a plan; use one of {', '.join(UPDATABLE)}.")
    plan = _lock(plan)
    changes: dict[str, list[Any]] = {}
    if "name" in fields:
        name = " ".join(str(fields["name"] or "").split())
        if not name:
            raise fail("name", "Give the plan a name.")
        if name != plan.name:
            changes["name"] = [plan.name, name]
            plan.name = name
    if "goal" in fields:
        goal = check_goal(fields["goal"])
        if goal != plan.goal:
            changes["goal"] = [plan.goal, goal]
            plan.goal = goal
    if "scoring_model" in fields:
        model = check_scoring_model(workspace, fields["scoring_model"])
        if (model.pk if model else None) != plan.scoring_model_id:
            changes["scoring_model"] = [str(plan.scoring_model or ""), str(model or "")]
            plan.scoring_model = model
    if plan.goal == PlanGoal.SCORE and plan.scoring_model is None:
        raise fail("scoring_model", "Choose a scoring model: the plan's goal is the total score.")
    if "objective_weights" in fields:
        weights = check_objective_weights(workspace, fields["objective_weights"])
        if weights != plan.objective_weights:
            changes["objective_weights"] = [plan.objective_weights, weights]
            plan.objective_weights = weights
    if plan.goal == PlanGoal.OBJECTIVE_MIX and not plan.objective_weights:
        plan.objective_weights = default_weights(plan)
    if "shares" in fields:
        share_rows = check_shares(workspace, fields["shares"])
        if share_rows != plan.shares:
            changes["shares"] = [plan.shares, share_rows]
            plan.shares = share_rows
    if "capacities" in fields:
        capacities = fields["capacities"]
        if not isinstance(capacities, Mapping):
            raise fail("capacities", "Give capacities by team id.")
        rows = {row.team_id: row for row in PlanTeam.objects.filter(plan=plan).select_related("team")}
        for key, value in capacities.items():
            try:
                team_id = int(key)
            except (TypeError, ValueError):
                raise fail("capacities", f"“{key}” is not a team id.") from None
            if team_id not in rows:
                raise fail("capacities", f"Team {team_id} is not in this plan.")
            amount = Decimal(str(round(number(value, "capacities", minimum=0, maximum=99_999_999), 2)))
            row = rows[team_id]
            if amount != row.capacity:
                changes[f"capacity of {row.team.name}"] = [str(row.capacity), str(amount)]
                row.capacity = amount
                row.save(update_fields=["capacity"])
    candidates_changed = False
    ids = plan_feature_ids(plan)
    musts = must_have_ids_of(plan)
    if "feature_ids" in fields:
        new_ids = id_list(fields["feature_ids"], "feature_ids", MAX_FEATURES)
        check_features(workspace, new_ids, "feature_ids")
        candidates_changed = new_ids != ids
        ids = new_ids
    if "add_feature_ids" in fields:
        added = id_list(fields["add_feature_ids"], "add_feature_ids", MAX_FEATURES)
        check_features(workspace, added, "add_feature_ids")
        new = [i for i in added if i not in ids]
        candidates_changed |= bool(new)
        ids += new
    if "remove_feature_ids" in fields:
        removed = set(id_list(fields["remove_feature_ids"], "remove_feature_ids", MAX_FEATURES))
        candidates_changed |= bool(removed & set(ids))
        ids = [i for i in ids if i not in removed]
        musts -= removed
    if "must_have_ids" in fields:
        new_musts = set(id_list(fields["must_have_ids"], "must_have_ids", MAX_FEATURES))
        check_features(workspace, list(new_musts), "must_have_ids")
        ids += [i for i in new_musts if i not in ids]
        if new_musts != musts:
            changes["must_haves"] = [len(musts), len(new_musts)]
            candidates_changed = True
        musts = new_musts
    musts &= set(ids)
    if candidates_changed:
        before = len(plan_feature_ids(plan))
        sync_candidates(plan, ids, musts)
        changes.setdefault("candidates", [before, len(ids)])
    if changes:
        if set(changes) != {"name"}:  # a new name leaves the solution as it is
            _mark_stale(plan)
        _full_clean(plan)
        plan.save()
        audit_record(actor=actor, workspace=workspace, action="plan.update", target=plan, changes=changes)
    return plan


@transaction.atomic
def plan_delete(*, actor: Any, plan: CapacityPlan) -> None:
    """Delete a plan with its items and scenarios; committed target releases stay on the features."""
    permissions.require(actor, Action.PLAN_MANAGE, plan.workspace, plan)
    audit_record(actor=actor, workspace=plan.workspace, action="plan.delete", target=plan,
                 changes={"name": [plan.name, None]})  # fmt: skip
    plan.delete()


# --- solve ----------------------------------------------------------------------------------------


def _refresh(actor: Any, plan: CapacityPlan) -> list[str]:
    """Read the candidates again (estimates, statuses, teams) and their values; returns warnings."""
    warnings = sync_candidates(plan, plan_feature_ids(plan), must_have_ids_of(plan))
    items = list(PlanItem.objects.filter(plan=plan))
    values, value_warnings = feature_values(actor=actor, plan=plan, feature_ids=[i.feature_id for i in items])
    for item in items:
        item.value = values.get(item.feature_id, 0.0)
    PlanItem.objects.bulk_update(items, ["value"])
    return warnings + value_warnings


def _team_key(mapping: Mapping[str, float], team_ids: Mapping[str, int]) -> dict[str, float]:
    return {str(team_ids[name]): round(float(value), 6) for name, value in mapping.items() if name in team_ids}


def plan_summary(solved: planner.Plan, built: Any) -> dict[str, Any]:
    """The planner's plan as stored (teams by id, features by id)."""
    greedy = solved.greedy
    return {
        "status": str(solved.status),
        "feasible": solved.feasible,
        "total_value": round(solved.total_value, 6),
        "gap": solved.gap,
        "solve_seconds": round(solved.solve_seconds, 4),
        "greedy": None
        if greedy is None
        else {"rule": greedy.rule, "value": round(greedy.value, 6), "chosen": len(greedy.chosen)},
        "value_over_greedy": None if solved.value_over_greedy is None else round(solved.value_over_greedy, 6),
        "capacity": _team_key(solved.capacity, built.team_ids),
        "capacity_used": _team_key(solved.capacity_used, built.team_ids),
        "reasons": list(solved.reasons),
    }


@transaction.atomic
def plan_solve(*, actor: Any, plan: CapacityPlan) -> CapacityPlan:
    """Solve the plan and store the outcome: each item chosen or why not, and the summary."""
    from headway.prioritization.selectors.plans import build_problem

    permissions.require(actor, Action.PLAN_MANAGE, plan.workspace, plan)
    plan = _lock(plan)
    warnings = _refresh(actor, plan)
    built = build_problem(plan)
    solved = planner.solve(built.problem)
    left_out = {entry.id: entry for entry in solved.below_the_line}
    chosen = set(solved.chosen)
    items = list(built.items.values())
    order = sorted(items, key=lambda i: (-i.value, i.feature.product.key, i.feature.number))
    position = {item.pk: n for n, item in enumerate(order)}
    details: dict[str, dict[str, Any]] = {}
    for ref, item in built.items.items():
        item.chosen = ref in chosen
        item.position = position[item.pk]
        entry = left_out.get(ref)
        item.reason = entry.reason if entry is not None else ""
        item.message = entry.message if entry is not None else ""
        if entry is not None:
            details[str(item.feature_id)] = {
                "overflow": _team_key(entry.overflow, built.team_ids),
                "displaced": [built.items[r].feature_id for r in entry.displaced if r in built.items],
                "displaced_value": round(entry.displaced_value, 6),
                "blocked_by": [built.items[r].feature_id for r in entry.blocked_by if r in built.items],
            }
    PlanItem.objects.bulk_update(items, ["chosen", "position", "reason", "message"])
    previous = plan.result or {}
    plan.result = {
        **plan_summary(solved, built),
        "warnings": [*warnings, *solved.warnings],
        "left_out": details,
        "excluded": previous.get("excluded", {}),
        "candidate_warnings": previous.get("candidate_warnings", []),
        "committed": previous.get("committed", []),
        "candidates": len(items),
    }
    plan.state = PlanState.SOLVED
    plan.solved_at = timezone.now()
    plan.save(update_fields=["result", "state", "solved_at", "updated_at"])
    audit_record(
        actor=actor,
        workspace=plan.workspace,
        action="plan.solve",
        target=plan,
        changes={
            "status": [previous.get("status"), plan.result["status"]],
            "total_value": [previous.get("total_value"), plan.result["total_value"]],
            "chosen": [None, len(chosen)],
        },
    )
    return plan


# --- scenarios ------------------------------------------------------------------------------------


def _solved(plan: CapacityPlan, doing: str) -> None:
    if plan.state == PlanState.DRAFT or not (plan.result or {}).get("status"):
        raise Conflict(f"Solve the plan first: it changed since it was last solved, or never was ({doing}).")


def stored_plan(plan: CapacityPlan, built: Any) -> planner.Plan:
    """The plan as the planner gave it at the last solve, from what was stored."""
    result = plan.result or {}
    names = {team_id: name for name, team_id in built.team_ids.items()}
    return planner.Plan(
        status=planner.PlanStatus(result.get("status", "infeasible")),
        chosen=tuple(ref for ref, item in built.items.items() if item.chosen),
        total_value=float(result.get("total_value") or 0.0),
        capacity_used={names[int(k)]: float(v) for k, v in result.get("capacity_used", {}).items() if int(k) in names},
        capacity={c.id: c.capacity for c in built.problem.teams},
        gap=result.get("gap"),
        solve_seconds=float(result.get("solve_seconds") or 0.0),
    )


def _change(plan: CapacityPlan, built: Any, raw: Any, n: int) -> tuple[planner.Change, str]:
    """One scenario change → the planner's change, and how it reads."""
    field = f"changes[{n}]"
    if not isinstance(raw, Mapping):
        raise fail(field, "Give each change as an object with a kind.")
    kind = raw.get("kind")
    allowed = {
        "add_capacity": {"kind", "team", "amount"},
        "scale_effort": {"kind", "feature", "factor"},
        "set_weight": {"kind", "objective", "weight"},
        "set_value": {"kind", "feature", "value"},
    }
    if kind not in allowed:
        raise fail(field, f"The kind must be one of {', '.join(allowed)}.")
    if set(raw) != allowed[kind]:
        raise fail(field, f"A {kind} change has exactly {', '.join(sorted(allowed[kind] - {'kind'}))}.")
    names = {team_id: name for name, team_id in built.team_ids.items()}
    refs = {item.feature_id: ref for ref, item in built.items.items()}

    def feature_ref(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int) or value not in refs:
            raise fail(field, f"Feature {value} is not a candidate of this plan.")
        return refs[value]

    if kind == "add_capacity":
        team = raw["team"]
        if isinstance(team, bool) or not isinstance(team, int) or team not in names:
            raise fail(field, f"Team {team} is not in this plan.")
        amount = number(raw["amount"], field, minimum=None, maximum=1_000_000)
        capacity = next(t.capacity for t in built.problem.teams if t.id == names[team])
        if capacity + amount < 0:
            raise fail(field, f"{names[team]} has {num(capacity)}: it cannot lose {num(-amount)}.")
        verb = "Add" if amount >= 0 else "Remove"
        return planner.AddCapacity(names[team], amount), f"{verb} {num(abs(amount))} to {names[team]}"
    if kind == "scale_effort":
        ref = feature_ref(raw["feature"])
        factor = number(raw["factor"], field, minimum=0, maximum=1000)
        return planner.ScaleEffort(ref, factor), f"{ref} effort × {num(factor)}"
    if kind == "set_value":
        ref = feature_ref(raw["feature"])
        value = number(raw["value"], field, minimum=-1e12, maximum=1e12)
        return planner.SetValues({ref: value}), f"{ref} value {num(value)}"
    if plan.goal != PlanGoal.OBJECTIVE_MIX:
        raise fail(field, "Objective weights only change the value of an objective-mix plan.")
    objective = raw["objective"]
    if isinstance(objective, bool) or not isinstance(objective, int):
        raise fail(field, "Give an objective id.")
    found = Objective.objects.filter(workspace_id=plan.workspace_id, pk=objective).first()
    if found is None:
        raise fail(field, f"No objective {objective} in this workspace.")
    weight = number(raw["weight"], field, minimum=0, maximum=1_000_000)
    weights = {int(k): float(v) for k, v in (plan.objective_weights or {}).items()}
    weights[objective] = weight
    values = dict.fromkeys(built.items, 0.0)
    links = FeatureObjective.objects.filter(feature_id__in=list(refs), objective_id__in=list(weights)).values_list(
        "feature_id", "objective_id"
    )
    for feature_id, objective_id in links:
        values[refs[feature_id]] += weights[objective_id]
    return planner.SetValues(values), f"Weight of “{found.title}” {num(weight)}"


def scenario_result(plan: CapacityPlan, built: Any, base: planner.Plan, other: planner.Plan) -> dict[str, Any]:
    comparison = planner.compare_plans(base, other)
    ids = {ref: item.feature_id for ref, item in built.items.items()}
    return {
        "summary": plan_summary(other, built),
        "chosen": [ids[ref] for ref in other.chosen],
        "added": [ids[ref] for ref in comparison.added],
        "removed": [ids[ref] for ref in comparison.removed],
        "value_delta": round(comparison.value_delta, 6),
        "capacity_used_delta": _team_key(comparison.capacity_used_delta, built.team_ids),
    }


@transaction.atomic
def plan_scenario_add(
    *, actor: Any, plan: CapacityPlan, name: str = "", changes: Sequence[Mapping[str, Any]]
) -> PlanScenario:
    """A what-if on a solved plan: the changes applied together, solved with the plan as a hint."""
    from headway.prioritization.selectors.plans import build_problem

    permissions.require(actor, Action.PLAN_MANAGE, plan.workspace, plan)
    plan = _lock(plan)
    _solved(plan, "a scenario compares with the solved plan")
    if isinstance(changes, str | bytes | Mapping) or not isinstance(changes, Iterable):
        raise fail("changes", "Give a list of changes.")
    raw_changes = list(changes)
    if not raw_changes:
        raise fail("changes", "Give at least one change.")
    if len(raw_changes) > MAX_SCENARIO_CHANGES:
        raise fail("changes", f"At most {MAX_SCENARIO_CHANGES} changes in one scenario.")
    built = build_problem(plan)
    parsed = [_change(plan, built, raw, n) for n, raw in enumerate(raw_changes)]
    base = stored_plan(plan, built)
    [other] = planner.what_if(built.problem, [[change for change, _ in parsed]], base=base)
    name = " ".join(str(name or "").split()) or "; ".join(text for _, text in parsed)
    scenario = PlanScenario(
        workspace_id=plan.workspace_id,
        plan=plan,
        name=name[:120],
        changes=[dict(raw) for raw in raw_changes],
        result={**scenario_result(plan, built, base, other), "described": [text for _, text in parsed]},
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    scenario.save()
    audit_record(actor=actor, workspace=plan.workspace, action="plan.scenario_add", target=plan,
                 changes={"scenario": [None, scenario.name]})  # fmt: skip
    return scenario


@transaction.atomic
def plan_scenario_delete(*, actor: Any, scenario: PlanScenario) -> None:
    plan = scenario.plan
    permissions.require(actor, Action.PLAN_MANAGE, plan.workspace, plan)
    audit_record(actor=actor, workspace=plan.workspace, action="plan.scenario_delete", target=plan,
                 changes={"scenario": [scenario.name, None]})  # fmt: skip
    scenario.delete()


# --- commit ---------------------------------------------------------------------------------------


@transaction.atomic
def plan_commit(*, actor: Any, plan: CapacityPlan) -> CapacityPlan:
    """The chosen features get the plan's period as their target release (leaders and up).

    Only a solved, feasible plan. Committing again after a re-solve moves the period to the new
    chosen set: features this plan committed before and no longer chooses lose the target release
    (when it is still this period).
    """
    workspace = plan.workspace
    permissions.require(actor, Action.PLAN_COMMIT, workspace, plan)
    plan = _lock(plan)
    _solved(plan, "only a solved plan can be committed")
    if not plan.result.get("feasible"):
        raise Conflict("The plan is infeasible: change it and solve it again before committing it.")
    chosen_ids = set(PlanItem.objects.filter(plan=plan, chosen=True).values_list("feature_id", flat=True))
    before = set(plan.result.get("committed", []))
    label = plan.period_label
    features = list(
        Feature.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(workspace=workspace, pk__in=chosen_ids | before, archived_at__isnull=True)
        .order_by("pk")
    )
    now = timezone.now()
    actor_or_none = actor if getattr(actor, "pk", None) else None
    changed: list[Feature] = []
    events: list[AuditEvent] = []
    for feature in features:
        if feature.pk in chosen_ids:
            new = label
        elif feature.target_release == label:
            new = ""
        else:
            continue
        if feature.target_release == new:
            continue
        events.append(
            AuditEvent(
                workspace=workspace,
                actor=actor_or_none,
                action="feature.update",
                target_type=Feature._meta.label_lower,
                target_id=feature.pk,
                target_repr=str(feature)[:255],
                changes={"target_release": [feature.target_release, new]},
            )
        )
        feature.target_release = new
        feature.updated_at = now
        changed.append(feature)
    Feature.objects.bulk_update(changed, ["target_release", "updated_at"], batch_size=500)
    AuditEvent.objects.bulk_create(events)
    plan.result = {**plan.result, "committed": sorted(chosen_ids)}
    plan.state = PlanState.COMMITTED
    plan.committed_at = now
    plan.committed_by = actor_or_none
    plan.save(update_fields=["result", "state", "committed_at", "committed_by", "updated_at"])
    audit_record(actor=actor, workspace=workspace, action="plan.commit", target=plan,
                 changes={"target_release": [None, label], "features": [len(before), len(chosen_ids)]})  # fmt: skip
    return plan

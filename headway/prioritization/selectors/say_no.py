"""Say no, with reasons (issue 6, point 6): a short explanation of a feature or request from the data.

``say_no(user=, workspace=, feature=… or idea=…)`` answers, in sentences a head of product can paste
into a reply:

* which objectives of the current period (those whose dates contain today) it serves, with their
  weights — or that it serves none;
* where it ranks under its product's scoring model ("It ranks #27 of 140 under RICE (score 120).",
  over the product's open features);
* where it stands in the current plan — the most recently solved feasible plan whose period contains
  today or starts after it and that has the feature as a candidate: planned, or below the line and
  why ("over capacity on Payments by 3 person-weeks");
* what taking it would displace there (``planner.explain_displacement``: the least valuable set of
  planned features that must go, and the net change in value).

An idea linked to a feature is answered for that feature; an idea not linked yet says so and names
the objectives its product serves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from headway.backlog.models import Feature, FeatureObjective
from headway.core import permissions
from headway.core.errors import ValidationFailed
from headway.core.permissions import Action
from headway.prioritization import planner
from headway.prioritization.models import CapacityPlan, PlanItem, PlanState
from headway.strategy.models import Objective
from headway.workspaces.models import Workspace

# Plans looked at for "the current plan" (the most recently solved first).
CURRENT_PLANS_LOOKED_AT = 20


def num(value: float | Decimal) -> str:
    return f"{round(float(value), 3):g}"


def _listing(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _objective_row(objective: Objective, current_ids: set[int]) -> dict[str, Any]:
    return {
        "id": objective.pk,
        "title": objective.title,
        "weight": objective.weight,
        "current": objective.pk in current_ids,
    }


def _current_objectives(workspace: Workspace) -> list[Objective]:
    today = timezone.localdate()
    return list(
        Objective.objects.filter(
            workspace=workspace, archived_at__isnull=True, starts_on__lte=today, ends_on__gte=today
        ).order_by("-weight", "position", "id")
    )


def _served_sentence(served: list[Objective]) -> str:
    return _listing([f"'{o.title}' (weight {o.weight})" for o in served])


def _rank(user: Any, workspace: Workspace, feature: Feature) -> tuple[dict[str, Any] | None, str | None]:
    from headway.prioritization.selectors.ranking import default_model, ranked_features

    model = default_model(user=user, workspace=workspace, product_id=feature.product_id)
    if model is None:
        return None, None
    ranking = ranked_features(user=user, workspace=workspace, model=model, product_id=feature.product_id, per_page=None)
    found = next((rf for rf in ranking.items if rf.feature.pk == feature.pk), None)
    if found is None:
        return None, None
    rank = {
        "model_id": model.pk,
        "model": model.name,
        "position": found.position,
        "total": ranking.total,
        "score": found.score,
        "label": found.label,
    }
    if found.score is None:
        return rank, f"It has no score under {model.name} yet (#{found.position} of {ranking.total})."
    return rank, f"It ranks #{found.position} of {ranking.total} under {model.name} (score {num(found.score)})."


def _current_plan(workspace: Workspace, feature: Feature) -> tuple[CapacityPlan | None, PlanItem | None, dict | None]:
    """(plan, the feature's item or None, its excluded entry or None) for the current plan."""
    today = timezone.localdate()
    candidates = list(
        CapacityPlan.objects.filter(
            workspace=workspace, state__in=[PlanState.SOLVED, PlanState.COMMITTED], ends_on__gte=today
        ).order_by("-solved_at", "-id")[:CURRENT_PLANS_LOOKED_AT]
    )
    candidates = [p for p in candidates if (p.result or {}).get("feasible")]
    if not candidates:
        return None, None, None
    items = {
        item.plan_id: item
        for item in PlanItem.objects.filter(plan__in=candidates, feature=feature).select_related("team")
    }
    for plan in candidates:
        if plan.pk in items:
            return plan, items[plan.pk], None
        excluded = (plan.result.get("excluded") or {}).get(str(feature.pk))
        if excluded:
            return plan, None, excluded
    return None, None, None


def _plan_sentences(
    plan: CapacityPlan, item: PlanItem | None, excluded: dict | None, feature: Feature, unit: str
) -> tuple[list[str], dict[str, Any] | None]:
    from headway.prioritization.selectors.plans import build_problem
    from headway.prioritization.services.plans import stored_plan

    name = plan.name
    if item is None:
        why = (excluded or {}).get("why", "left out")
        return [f"In plan '{name}' it is not a candidate: {why}."], None
    if item.chosen:
        team = item.team.name if item.team else "no team"
        return [f"In plan '{name}' it is planned ({num(item.effort)} {unit} on {team})."], None
    details = (plan.result.get("left_out") or {}).get(str(feature.pk), {})
    built = build_problem(plan)
    team_names = {team_id: name for name, team_id in built.team_ids.items()}
    refs = {i.feature_id: ref for ref, i in built.items.items()}
    if item.reason == "capacity" and details.get("overflow"):
        over = _listing([f"{team_names.get(int(t), t)} by {num(v)} {unit}" for t, v in details["overflow"].items()])
        sentence = f"In plan '{name}' it is below the line: over capacity on {over}."
    elif item.reason == "dependency" and details.get("blocked_by"):
        blockers = [refs.get(i, str(i)) for i in details["blocked_by"]]
        verb = "is" if len(blockers) == 1 else "are"
        sentence = (
            f"In plan '{name}' it is below the line: it depends on {_listing(blockers)}, which {verb} not in the plan."
        )
    elif item.reason == "share":
        sentence = (
            f"In plan '{name}' it is below the line: making room would take an objective below its minimum share."
        )
    else:
        sentence = f"In plan '{name}' it is below the line: {item.message}"
    sentences = [sentence]
    ref = feature.ref
    if ref not in built.items:
        return sentences, None
    base = stored_plan(plan, built)
    try:
        found = planner.explain_displacement(built.problem, base, ref)
    except ValidationFailed:
        return sentences, None
    values = {r: i.value for r, i in built.items.items()}

    def rows(ids: Any) -> list[dict[str, Any]]:
        return [
            {"id": built.items[r].feature_id, "ref": r, "title": built.items[r].feature.title, "value": values[r]}
            for r in ids
        ]

    displaces = {
        "plan_id": plan.pk,
        "plan": name,
        "feasible": bool(found["feasible"]),
        "dropped": rows(found["dropped"]),
        "added": rows(found["added"]),
        "value_lost": float(found["value_lost"]),  # type: ignore[arg-type]
        "value_gained": float(found["value_gained"]),  # type: ignore[arg-type]
        "net_value": float(found["net_value"]),  # type: ignore[arg-type]
        "reasons": list(found["reasons"]),  # type: ignore[call-overload]
    }
    with_deps = [r for r in found["added"] if r != ref]  # type: ignore[attr-defined]
    taking = f"Taking it (with {_listing(with_deps)})" if with_deps else "Taking it"
    if not displaces["feasible"]:
        # The planner forced the feature in as a must-have: say so in the reader's words.
        reasons = " ".join(
            r.replace("Must-haves (with their dependencies) need", "It and the plan's must-haves need", 1)
            for r in displaces["reasons"]
        )
        reasons = reasons or "it does not fit."
        sentences.append(f"{taking} is not possible in this plan: {reasons}")
    elif not found["dropped"]:
        sentences.append(f"{taking} would displace nothing: it fits in the capacity left.")
    else:
        net = displaces["net_value"]
        outcome = f"a net loss of {num(-net)}" if net < 0 else f"a net gain of {num(net)}"
        sentences.append(
            f"{taking} would displace {', '.join(found['dropped'])} (value {num(displaces['value_lost'])}) "  # type: ignore[arg-type]
            f"for value {num(displaces['value_gained'])}: {outcome}."
        )
    return sentences, displaces


def _feature_answer(user: Any, workspace: Workspace, feature: Feature) -> dict[str, Any]:
    from headway.prioritization.selectors.plans import effort_unit

    current = _current_objectives(workspace)
    current_ids = {o.pk for o in current}
    served = list(
        Objective.objects.filter(feature_links__feature=feature, archived_at__isnull=True)
        .order_by("-weight", "position", "id")
        .distinct()
    )
    served_current = [o for o in served if o.pk in current_ids]
    sentences = []
    if served_current:
        sentences.append(f"It serves {_served_sentence(served_current)}.")
    else:
        sentences.append(f"{feature.ref} serves no objective of the current period.")
    rank, rank_sentence = _rank(user, workspace, feature)
    if rank_sentence:
        sentences.append(rank_sentence)
    plan, item, excluded = _current_plan(workspace, feature)
    displaces = None
    if plan is None:
        sentences.append("It is not a candidate in any current plan.")
    else:
        plan_sentences, displaces = _plan_sentences(plan, item, excluded, feature, effort_unit(workspace.pk)[0])
        sentences += plan_sentences
    served_ids = {o.pk for o in served}
    return {
        "subject": f"{feature.ref} {feature.title}",
        "feature": feature,
        "sentences": sentences,
        "objectives_served": [_objective_row(o, current_ids) for o in served],
        "objectives_not_served": [_objective_row(o, current_ids) for o in current if o.pk not in served_ids],
        "rank": rank,
        "plan": plan,
        "displaces": displaces,
    }


def say_no(*, user: Any, workspace: Workspace, feature: Feature | None = None, idea: Any = None) -> dict[str, Any]:
    """``{"subject", "sentences", "objectives_served", "objectives_not_served", "rank", "displaces"}``
    (plus ``feature`` and ``plan`` when there are), for a feature or an idea (exactly one)."""
    permissions.require(user, Action.PRIORITY_VIEW, workspace)
    if (feature is None) == (idea is None):
        raise ValidationFailed.on("__all__", "Give a feature or an idea.")
    if idea is not None:
        permissions.require(user, Action.IDEA_VIEW, workspace, idea)
        if idea.feature_id is not None:
            linked = Feature.objects.select_related("product").get(pk=idea.feature_id)
            answer = _feature_answer(user, workspace, linked)
            answer["subject"] = idea.title
            answer["sentences"].insert(0, f"'{idea.title}' is linked to {linked.ref}.")
            return answer
        return _idea_answer(workspace, idea)
    assert feature is not None
    permissions.require(user, Action.BACKLOG_VIEW, workspace, feature)
    return _feature_answer(user, workspace, feature)


def _idea_answer(workspace: Workspace, idea: Any) -> dict[str, Any]:
    current = _current_objectives(workspace)
    current_ids = {o.pk for o in current}
    sentences = [f"'{idea.title}' is not linked to any feature yet."]
    served: list[Objective] = []
    if idea.product_id is None:
        sentences.append("It names no product, so it serves no objective yet.")
    else:
        product = idea.product
        served_ids = set(
            FeatureObjective.objects.filter(
                feature__product_id=idea.product_id, feature__archived_at__isnull=True
            ).values_list("objective_id", flat=True)
        )
        served = [o for o in current if o.pk in served_ids or o.product_id == idea.product_id]
        if served:
            sentences.append(f"Its product {product.name} serves {_served_sentence(served)}.")
        else:
            sentences.append(f"Its product {product.name} serves no objective of the current period.")
    served_pks = {o.pk for o in served}
    return {
        "subject": idea.title,
        "sentences": sentences,
        "objectives_served": [_objective_row(o, current_ids) for o in served],
        "objectives_not_served": [_objective_row(o, current_ids) for o in current if o.pk not in served_pks],
        "rank": None,
        "plan": None,
        "displaces": None,
    }

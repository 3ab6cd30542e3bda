"""Capacity plans: the list, the new-plan form, one plan (status, value over greedy, capacity per
team, the chosen features and those below the line with their reasons, inline re-solve, what-if
scenarios side by side, commit and delete) and the "say no" page for a feature or an idea."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from headway.backlog import selectors as backlog_selectors
from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.errors import HeadwayError, ValidationFailed
from headway.core.htmx import id_param, is_scripted, redirect_after, render_page, ws_url
from headway.core.permissions import Action
from headway.ideas.selectors.staff import staff_idea_get
from headway.prioritization import capacity as capacity_math
from headway.prioritization import periods
from headway.prioritization.models import CapacityPlan, PlanGoal
from headway.prioritization.selectors import capacity as capacity_selectors
from headway.prioritization.selectors import plans as plan_selectors
from headway.prioritization.selectors import ranking as ranking_selectors
from headway.prioritization.selectors import say_no as say_no_selectors
from headway.prioritization.services import plans as plan_services
from headway.strategy.models import Objective

TEMPLATE = "prioritization/plan_detail.html"


def _float(value: object, field: str, *, minimum: float = 0, maximum: float = 1e9) -> float | None:
    text = str(value or "").strip().rstrip("%").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValidationFailed.on(field, f"“{value}” is not a number.") from None
    if not minimum <= number <= maximum:
        raise ValidationFailed.on(field, f"Give a number from {minimum:g} to {maximum:g}.")
    return number


def _unit(request: HttpRequest) -> str:
    settings = backlog_selectors.backlog_settings_of(actor=request.user, workspace=request.workspace)  # type: ignore[attr-defined]
    return str(settings.get_effort_unit_display())


def _refs(request: HttpRequest, text: str, field: str) -> list[int]:
    """Feature ids from "PAY-12, PAY-14" (commas, spaces or lines); NotFound names a bad one."""
    ids: list[int] = []
    for ref in text.replace(",", " ").split():
        try:
            feature = backlog_selectors.feature_by_ref(actor=request.user, workspace=request.workspace, ref=ref)  # type: ignore[attr-defined]
        except HeadwayError as exc:
            raise ValidationFailed.on(field, exc.message) from None
        ids.append(feature.pk)
    return list(dict.fromkeys(ids))


# --- the list ------------------------------------------------------------------------------------


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    items = plan_selectors.plans(user=user, workspace=workspace)
    context = {
        "area": "prioritization",
        "tab": "plans",
        "plans": items,
        "can_manage": permissions.can(user, Action.PLAN_MANAGE, workspace),
        "unit": _unit(request),
    }
    return render_page(request, "prioritization/plans.html", context)


# --- a new plan ----------------------------------------------------------------------------------


def _period_presets(today: dt.date) -> list[str]:
    """The current quarter and the three after it; the next one is the default."""
    year, quarter = capacity_math.quarter_of(today)
    presets = []
    for _ in range(4):
        presets.append(capacity_math.quarter_label(year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return presets


class PlanForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, help_text="Optional; the period is used when empty.")
    period = forms.CharField(max_length=40, help_text="2027-Q1, 2027-H2, 2027, 2027-03 or 2027-01-05..2027-02-20.")
    teams = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple)
    goal = forms.ChoiceField(choices=PlanGoal.choices, initial=PlanGoal.SCORE, widget=forms.RadioSelect)
    scoring_model = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Scoring model")
    product = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Candidate features", help_text="Open, estimated features."
    )
    must_haves = forms.CharField(
        required=False, label="Must-haves", widget=forms.TextInput(attrs={"placeholder": "PAY-12, PAY-14"})
    )

    def __init__(
        self, *args: Any, teams: list[Any], models: list[Any], products: list[Any], objectives: list[Any], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["teams"].choices = [(t.pk, t.name) for t in teams]
        self.fields["scoring_model"].choices = [("", "The workspace default")] + [(m.pk, m.name) for m in models]
        self.fields["product"].choices = [("", "All products")] + [(p.pk, p.name) for p in products]
        self.objectives = objectives
        for o in objectives:
            self.fields[f"weight_{o.pk}"] = forms.FloatField(
                required=False, min_value=0, max_value=1000, initial=o.weight, label=f"Weight of {o.title}"
            )
            self.fields[f"share_{o.pk}"] = forms.FloatField(
                required=False, min_value=0, max_value=100, label=f"Minimum share of {o.title} (%)"
            )

    def objective_rows(self) -> list[dict[str, Any]]:
        return [
            {"objective": o, "weight": self[f"weight_{o.pk}"], "share": self[f"share_{o.pk}"]} for o in self.objectives
        ]


# Service field names → the form's.
FORM_FIELDS = {"team_ids": "teams", "must_have_ids": "must_haves", "feature_ids": "product"}


def _form_choices(request: HttpRequest) -> dict[str, Any]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    return {
        "teams": capacity_selectors.teams(user=user, workspace=workspace),
        "models": ranking_selectors.scoring_models(user=user, workspace=workspace),
        "products": backlog_selectors.product_choices(actor=user, workspace=workspace),
        "objectives": backlog_selectors.objective_choices(actor=user, workspace=workspace),
    }


def _team_rows(request: HttpRequest, teams: list[Any], period: str, checked: set[int]) -> tuple[list[dict], str]:
    """Each team with its computed capacity for the period typed (or why it cannot be computed)."""
    try:
        _, starts_on, ends_on = periods.parse_period(period)
    except HeadwayError as exc:
        return [{"team": t, "capacity": None, "checked": t.pk in checked} for t in teams], exc.message_without_field
    caps = capacity_selectors.team_capacity(
        workspace_id=request.workspace.pk,  # type: ignore[attr-defined]
        team_ids=[t.pk for t in teams],
        starts_on=starts_on,
        ends_on=ends_on,
    )
    rows = [
        {"team": t, "capacity": caps[t.pk].total, "members": len(caps[t.pk].members), "checked": t.pk in checked}
        for t in teams
    ]
    return rows, ""


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    permissions.require(user, Action.PLAN_MANAGE, workspace)
    choices = _form_choices(request)
    presets = _period_presets(timezone.localdate())
    if request.method == "POST":
        form = PlanForm(request.POST, **choices)
        if form.is_valid():
            try:
                plan = _create(request, form)
            except HeadwayError as exc:
                field = FORM_FIELDS.get(next(iter(exc.fields), ""), next(iter(exc.fields), None))
                form.add_error(field if field in form.fields else None, exc.message_without_field)
            else:
                return _go(request, ws_url(request, "prioritization:plan_detail", pk=plan.pk))
    else:
        initial = {"period": request.GET.get("period") or presets[1], "goal": PlanGoal.SCORE}
        form = PlanForm(initial=initial, **choices)
    period = form.data.get("period") if form.is_bound else request.GET.get("period") or presets[1]
    checked = {t for t in (id_param(v) for v in (request.POST or request.GET).getlist("teams")) if t}
    if not form.is_bound and not is_scripted(request):
        checked = {t.pk for t in choices["teams"]}
    team_rows, period_error = _team_rows(request, choices["teams"], str(period or ""), checked)
    context = {
        "area": "prioritization",
        "tab": "plans",
        "form": form,
        "presets": presets,
        "team_rows": team_rows,
        "period_error": period_error,
        "unit": _unit(request),
        **choices,
    }
    status = 422 if form.is_bound else 200
    return render_page(
        request,
        "prioritization/plan_new.html",
        context,
        fragment="teams" if request.method == "GET" else None,
        status=status,
    )


def _create(request: HttpRequest, form: PlanForm) -> CapacityPlan:
    data = form.cleaned_data
    weights = {
        o.pk: data[f"weight_{o.pk}"]
        for o in form.objectives
        if data["goal"] == PlanGoal.OBJECTIVE_MIX and data.get(f"weight_{o.pk}") is not None
    }
    shares = [
        {"objective": o.pk, "min_share": data[f"share_{o.pk}"] / 100}
        for o in form.objectives
        if data.get(f"share_{o.pk}")
    ]
    feature_ids = None
    if data.get("product"):
        feature_ids = list(
            permissions.scope(Feature.objects.all(), request.user, request.workspace, Action.PRIORITY_VIEW)  # type: ignore[attr-defined]
            .filter(product_id=data["product"], archived_at__isnull=True, effort__isnull=False)
            .values_list("pk", flat=True)
        )
    model = None
    if data.get("scoring_model"):
        model = ranking_selectors.scoring_model_get(
            user=request.user,
            workspace=request.workspace,  # type: ignore[attr-defined]
            model_id=data["scoring_model"],
        )
    plan = plan_services.plan_create(
        actor=request.user,
        workspace=request.workspace,  # type: ignore[attr-defined]
        name=data.get("name") or "",
        period=data["period"],
        team_ids=data["teams"],
        goal=data["goal"],
        scoring_model=model,
        objective_weights=weights or None,
        shares=shares or None,
        feature_ids=feature_ids,
        must_have_ids=_refs(request, data.get("must_haves") or "", "must_haves"),
    )
    try:
        plan = plan_services.plan_solve(actor=request.user, plan=plan)
    except HeadwayError as exc:
        messages.error(request, f"The plan was saved but not solved: {exc.message_without_field}")
    else:
        messages.success(request, f"Plan “{plan.name}” solved.")
    return plan


# --- one plan ------------------------------------------------------------------------------------


def _plan(request: HttpRequest, pk: int) -> CapacityPlan:
    return plan_selectors.plan_get(user=request.user, workspace=request.workspace, plan_id=pk)  # type: ignore[attr-defined]


def _columns(detail: dict[str, Any], plan: CapacityPlan) -> list[dict[str, Any]]:
    """The base plan and each scenario side by side: value, its change, capacity used, features."""
    base_value = float(detail["total_value"] or 0.0)
    columns = [
        {
            "id": None,
            "name": "Base plan",
            "described": [],
            "value": base_value,
            "delta": None,
            "delta_percent": None,
            "used": detail["used"],
            "capacity": detail["capacity"],
            "chosen": len(detail["chosen"]),
            "added": [],
            "removed": [],
        }
    ]
    for s in detail["scenarios"]:
        summary = (s["scenario"].result or {}).get("summary", {})
        delta = float(s["value_delta"] or 0.0)
        columns.append(
            {
                "id": s["id"],
                "name": s["name"],
                "described": s["described"],
                "value": float(s["total_value"] or 0.0),
                "delta": delta,
                "delta_percent": round(100 * delta / base_value, 1) if base_value and delta else None,
                "used": sum(float(v) for v in (summary.get("capacity_used") or {}).values()),
                "capacity": sum(float(v) for v in (summary.get("capacity") or {}).values()),
                "chosen": s["chosen_count"],
                "added": s["added"],
                "removed": s["removed"],
                # Compared with the plan as it was solved then: the plan was solved again since.
                "earlier": plan.solved_at is not None and s["scenario"].created_at < plan.solved_at,
            }
        )
    return columns


def _by_team(detail: dict[str, Any]) -> list[dict[str, Any]]:
    groups: dict[Any, dict[str, Any]] = {}
    order = {t["id"]: n for n, t in enumerate(detail["teams"])}
    for row in detail["chosen"]:
        group = groups.setdefault(row["team_id"], {"name": row["team"] or "No team", "rows": [], "effort": 0.0})
        group["rows"].append(row)
        group["effort"] += row["effort"]
    return [groups[k] for k in sorted(groups, key=lambda k: order.get(k, len(order)))]


def _goal_objectives(plan: CapacityPlan) -> list[dict[str, Any]]:
    """The objectives the plan weighs (objective mix) or gives a minimum share, for its header."""
    weights = (
        {int(k): float(v) for k, v in (plan.objective_weights or {}).items()}
        if plan.goal == PlanGoal.OBJECTIVE_MIX
        else {}
    )
    shares = {int(s["objective"]): float(s["min_share"]) for s in plan.shares or []}
    ids = set(weights) | set(shares)
    if not ids:
        return []
    titles = dict(Objective.objects.filter(workspace_id=plan.workspace_id, pk__in=ids).values_list("pk", "title"))
    rows = [
        {"title": titles[i], "weight": weights.get(i), "share": round(100 * shares[i], 1) if i in shares else None}
        for i in ids
        if i in titles
    ]
    return sorted(rows, key=lambda r: (-(r["weight"] or 0), -(r["share"] or 0), r["title"]))


def _detail_context(request: HttpRequest, plan: CapacityPlan) -> dict[str, Any]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    detail = plan_selectors.plan_detail(user=user, workspace=workspace, plan=plan)
    can_manage = permissions.can(user, Action.PLAN_MANAGE, workspace)
    greedy = detail["greedy"] or {}
    over = greedy.get("value_over_greedy")
    greedy_value = float(greedy.get("value") or 0.0)
    if can_manage and detail["teams"]:
        person = _person_capacities(plan, [t["id"] for t in detail["teams"]])
        for t in detail["teams"]:
            t["person"] = person[t["id"]]
    return {
        "area": "prioritization",
        "tab": "plans",
        "plan": plan,
        "d": detail,
        "goal_objectives": _goal_objectives(plan),
        "greedy_percent": round(100 * over / greedy_value, 1) if over is not None and greedy_value > 0 else None,
        "gap_percent": round(100 * float(detail["gap"]), 2) if detail["gap"] is not None else None,
        "candidate_count": len(detail["chosen"]) + len(detail["below"]),
        "chosen_by_team": _by_team(detail),
        "columns": _columns(detail, plan),
        "plan_features": sorted(detail["chosen"] + detail["below"], key=lambda r: r["ref"]),
        "scenario_kinds": list(SCENARIO_KINDS.items()),
        "can_manage": can_manage,
        "can_commit": permissions.can(user, Action.PLAN_COMMIT, workspace) and plan.state != "draft",
        "can_delete": can_manage,
        "objectives": backlog_selectors.objective_choices(actor=user, workspace=workspace) if can_manage else [],
    }


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    return render_page(request, TEMPLATE, _detail_context(request, plan), fragment="plan")


def _go(request: HttpRequest, url: str) -> HttpResponse:
    return redirect_after(request, url)


def _after(request: HttpRequest, plan: CapacityPlan, message: str = "", error: str = "") -> HttpResponse:
    """htmx: the plan's body again (with the message in it); otherwise back to the plan page."""
    if is_scripted(request):
        plan = _plan(request, plan.pk)
        context = {**_detail_context(request, plan), "notice": message, "notice_error": error}
        return render_page(request, TEMPLATE, context, fragment="plan")
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    return redirect(ws_url(request, "prioritization:plan_detail", pk=plan.pk))


@login_required
@require_POST
def plan_solve(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the capacities and must-haves typed on the plan page, then solve again."""
    plan = _plan(request, pk)
    permissions.require(request.user, Action.PLAN_MANAGE, request.workspace)  # type: ignore[attr-defined]
    try:
        changes: dict[str, Any] = {}
        capacities = {}
        for key, value in request.POST.items():
            if key.startswith("capacity_") and (team_id := id_param(key.removeprefix("capacity_"))):
                number = _float(value, "capacities", maximum=1e6)
                if number is not None:
                    capacities[team_id] = number
        if capacities:
            changes["capacities"] = capacities
        if "must_haves_sent" in request.POST:
            changes["must_have_ids"] = [i for i in (id_param(v) for v in request.POST.getlist("must_have")) if i]
        if changes:
            plan = plan_services.plan_update(actor=request.user, plan=plan, **changes)
        plan = plan_services.plan_solve(actor=request.user, plan=plan)
    except HeadwayError as exc:
        return _after(request, plan, error=exc.message_without_field)
    return _after(request, plan, "Solved again.")


SCENARIO_KINDS = {
    "add_person": "Add a person to a team",
    "scale_effort": "Cut a feature's scope",
    "set_weight": "Change an objective's weight",
    "set_value": "Change a feature's value",
}


def _scenario_change(request: HttpRequest, plan: CapacityPlan) -> tuple[str, dict[str, Any]]:
    """The change the scenario form asks for, and a default name for it."""
    post = request.POST
    kind = post.get("kind", "")
    if kind == "add_person":
        team_id = id_param(post.get("team"))
        team = next((t for t in plan.plan_teams.select_related("team") if t.team_id == team_id), None)
        if team is None:
            raise ValidationFailed.on("team", "Choose one of the plan's teams.")
        amount = (
            _float(post.get("amount"), "amount", maximum=1e6) or _person_capacities(plan, [team.team_id])[team.team_id]
        )
        return f"+1 person in {team.team.name}", {"kind": "add_capacity", "team": team.team_id, "amount": amount}
    if kind == "scale_effort":
        item = plan.items.select_related("feature__product").filter(feature_id=id_param(post.get("feature"))).first()
        if item is None:
            raise ValidationFailed.on("feature", "Choose one of the plan's features.")
        cut = _float(post.get("cut"), "cut", minimum=1, maximum=99)
        if cut is None:
            raise ValidationFailed.on("cut", "Say how much scope to cut, from 1% to 99%.")
        return (
            f"Cut {item.feature.ref} by {cut:g}%",
            {"kind": "scale_effort", "feature": item.feature_id, "factor": round(1 - cut / 100, 4)},
        )
    if kind == "set_weight":
        objective_id = id_param(post.get("objective"))
        objectives = backlog_selectors.objective_choices(actor=request.user, workspace=request.workspace)  # type: ignore[attr-defined]
        objective = next((o for o in objectives if o.pk == objective_id), None)
        if objective is None:
            raise ValidationFailed.on("objective", "Choose an objective.")
        weight = _float(post.get("weight"), "weight", maximum=1000)
        if weight is None:
            raise ValidationFailed.on("weight", "Give the new weight.")
        return f"{objective.title} weight {weight:g}", {
            "kind": "set_weight",
            "objective": objective.pk,
            "weight": weight,
        }
    if kind == "set_value":
        item = (
            plan.items.select_related("feature__product").filter(feature_id=id_param(post.get("value_feature"))).first()
        )
        if item is None:
            raise ValidationFailed.on("feature", "Choose one of the plan's features.")
        value = _float(post.get("value"), "value", minimum=-1e9, maximum=1e9)
        if value is None:
            raise ValidationFailed.on("value", "Give the new value.")
        return f"{item.feature.ref} value {value:g}", {"kind": "set_value", "feature": item.feature_id, "value": value}
    raise ValidationFailed.on("kind", "Choose what the scenario changes.")


def _person_capacities(plan: CapacityPlan, team_ids: list[int]) -> dict[int, float]:
    """One more person for the whole period, per team: the team's average weekly capacity (1 when
    it has no member yet) × the weeks of the period."""
    caps = capacity_selectors.team_capacity(
        workspace_id=plan.workspace_id, team_ids=team_ids, starts_on=plan.starts_on, ends_on=plan.ends_on
    )
    weeks = capacity_math.working_days(plan.starts_on, plan.ends_on) / 5
    result = {}
    for team_id in team_ids:
        weekly = [m.weekly for m in caps[team_id].members if m.weekly > 0]
        result[team_id] = round((sum(weekly) / len(weekly) if weekly else 1.0) * weeks, 2)
    return result


@login_required
@require_POST
def plan_scenario_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(request.user, Action.PLAN_MANAGE, request.workspace)  # type: ignore[attr-defined]
    try:
        name, change = _scenario_change(request, plan)
        scenario = plan_services.plan_scenario_add(
            actor=request.user, plan=plan, name=(request.POST.get("name") or "").strip() or name, changes=[change]
        )
    except HeadwayError as exc:
        return _after(request, plan, error=exc.message_without_field)
    return _after(request, plan, f"Scenario “{scenario.name}” added.")


@login_required
@require_POST
def plan_scenario_delete(request: HttpRequest, pk: int, scenario_id: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(request.user, Action.PLAN_MANAGE, request.workspace)  # type: ignore[attr-defined]
    scenario = plan.scenarios.filter(pk=scenario_id).first()
    try:
        if scenario is None:
            raise ValidationFailed.on("scenario", "That scenario is already gone.")
        plan_services.plan_scenario_delete(actor=request.user, scenario=scenario)
    except HeadwayError as exc:
        return _after(request, plan, error=exc.message_without_field)
    return _after(request, plan, f"Scenario “{scenario.name}” deleted.")


@login_required
@require_POST
def plan_commit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(request.user, Action.PLAN_COMMIT, request.workspace)  # type: ignore[attr-defined]
    try:
        plan = plan_services.plan_commit(actor=request.user, plan=plan)
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    else:
        messages.success(request, f"Committed: the plan's features now target {plan.period_label}.")
    return _go(request, ws_url(request, "prioritization:plan_detail", pk=plan.pk))


@login_required
@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(request.user, Action.PLAN_MANAGE, request.workspace)  # type: ignore[attr-defined]
    try:
        plan_services.plan_delete(actor=request.user, plan=plan)
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
        return _go(request, ws_url(request, "prioritization:plan_detail", pk=plan.pk))
    messages.success(request, f"Deleted the plan “{plan.name}”.")
    return _go(request, ws_url(request, "prioritization:plans"))


# --- say no --------------------------------------------------------------------------------------


def _say_no_text(subject: str, explanation: dict[str, Any]) -> str:
    """The explanation as plain text, ready to paste into a reply."""
    lines = [subject, ""]
    lines += [str(s) for s in explanation.get("sentences") or []]
    return "\n".join(lines).strip() + "\n"


def _say_no_page(request: HttpRequest, kind: str, subject: Any, explanation: dict[str, Any], url: str) -> HttpResponse:
    ref = subject.ref if kind == "feature" else f"#{subject.pk}"
    context = {
        "area": "prioritization",
        "kind": kind,
        "subject": subject,
        "subject_ref": ref,
        "subject_title": subject.title,
        "subject_url": url,
        "explanation": explanation,
        "text": _say_no_text(f"{ref} {subject.title}", explanation),
    }
    return render_page(request, "prioritization/say_no.html", context)


@login_required
def say_no(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    feature = backlog_selectors.feature_get(actor=user, workspace=workspace, feature_id=pk)
    explanation = say_no_selectors.say_no(user=user, workspace=workspace, feature=feature)
    return _say_no_page(request, "feature", feature, explanation, ws_url(request, "backlog:feature", pk=feature.pk))


@login_required
def say_no_idea(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    idea = staff_idea_get(user=user, workspace=workspace, idea_id=pk)
    explanation = say_no_selectors.say_no(user=user, workspace=workspace, idea=idea)
    return _say_no_page(request, "idea", idea, explanation, ws_url(request, "ideas:idea", pk=idea.pk))


urlpatterns = [
    path("plans/", plans, name="plans"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/solve/", plan_solve, name="plan_solve"),
    path("plans/<int:pk>/scenarios/", plan_scenario_add, name="plan_scenario_add"),
    path("plans/<int:pk>/scenarios/<int:scenario_id>/delete/", plan_scenario_delete, name="plan_scenario_delete"),
    path("plans/<int:pk>/commit/", plan_commit, name="plan_commit"),
    path("plans/<int:pk>/delete/", plan_delete, name="plan_delete"),
    path("features/<int:pk>/say-no/", say_no, name="say_no"),
    path("ideas/<int:pk>/say-no/", say_no_idea, name="say_no_idea"),
]

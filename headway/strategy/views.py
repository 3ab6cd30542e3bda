"""Strategy pages: the overview (vision + objective cascade), objectives with key results and check-ins,
PM goals, initiatives, and visions with their version history.

Views parse input, call one selector or service, and render. Filters answer htmx requests with the
page's fragment (same URL, full page without JavaScript). Forms post back to themselves and show
a service's error on the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from headway.core import permissions
from headway.core.errors import HeadwayError
from headway.core.htmx import render_page
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.strategy import selectors, services
from headway.strategy.forms import (
    CheckInForm,
    InitiativeForm,
    KeyResultForm,
    KeyResultValueForm,
    ObjectiveForm,
    ObjectiveMoveForm,
    VisionForm,
)
from headway.strategy.models import InitiativeStatus, Objective, ObjectiveStatus, PeriodKind, Vision
from headway.strategy.periods import Period, presets
from headway.strategy.textdiff import word_diff
from headway.workspaces.selectors import audit_for_object

HISTORY_LIMIT = 50
PAGE_SIZE = 50
AREA = {"area": "strategy"}


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return reverse(name, kwargs={"ws": request.workspace.slug, **kwargs})  # type: ignore[attr-defined]


def _ws(request: HttpRequest) -> Any:
    return request.workspace  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _status(form: Any) -> int:
    return 422 if form.errors else 200


def _people(request: HttpRequest, current: Any = None) -> list[tuple[int, str]]:
    people = list(selectors.owner_choices(actor=request.user, workspace=_ws(request)))
    if current is not None and current not in people:
        people.append(current)  # an owner who has since changed role still shows as the owner
    return [(u.pk, f"{u.display_name} · {u.email}") for u in people]


def _tree_labels(objectives: list[Objective]) -> list[tuple[int, str]]:
    return [(o.pk, f"{'— ' * o.depth}{o.title}") for o in objectives]  # type: ignore[attr-defined]


# --- period filter ----------------------------------------------------------------------------

ALL, CURRENT = "all", "current"


def _period_filter(request: HttpRequest, periods: list[Period], any_current: bool) -> tuple[str, Period | None]:
    """The period asked for in ``?period=``: "all", "current" (today) or one period's key. Without one,
    "current" when some objective runs today, else "all"."""
    value = request.GET.get("period", "")
    today = timezone.localdate()
    if value == ALL:
        return ALL, None
    if value == CURRENT or (not value and any_current):
        return CURRENT, Period(PeriodKind.CUSTOM, today, today)
    period = Period.parse(value)
    if period is not None:
        return period.key, period
    return ALL, None


def _runs_today(periods: list[Period]) -> bool:
    today = timezone.localdate()
    return any(p.overlaps(today, today) for p in periods)


# --- overview ---------------------------------------------------------------------------------


def _count_statuses(roots: list[Objective]) -> dict[str, int]:
    counts = dict.fromkeys(ObjectiveStatus.values, 0)
    stack = list(roots)
    while stack:
        node = stack.pop()
        counts[node.status] += 1
        stack.extend(node.tree_children)  # type: ignore[attr-defined]
    return counts


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Vision at the top, the objective cascade below with progress, status and owner; a period filter."""
    user, workspace = request.user, _ws(request)
    everything = selectors.objective_tree(actor=user, workspace=workspace)
    selected, period = _period_filter(request, everything.periods, _runs_today(everything.periods))
    owner = request.GET.get("owner", "")
    owner_id = int(owner) if owner.isdigit() else None
    cascade = (
        selectors.objective_tree(actor=user, workspace=workspace, period=period, owner=owner_id)
        if period is not None or owner_id is not None
        else everything
    )
    top = [o.progress for o in cascade.roots if o.progress is not None and o.status != ObjectiveStatus.DROPPED]  # type: ignore[attr-defined]
    owners = {o.owner.pk: o.owner for o in _walk(everything.roots) if o.owner_id}
    context = {
        **AREA,
        "vision": selectors.vision_of(actor=user, workspace=workspace),
        "cascade": cascade,
        "periods": everything.periods,
        "selected_period": selected,
        "period": period,
        "owner_id": owner_id,
        "owners": sorted(owners.values(), key=lambda u: u.display_name.lower()),
        "counts": _count_statuses(cascade.roots),
        "top_progress": sum(top) / len(top) if top else None,
        "filtered": period is not None or owner_id is not None,
        "can_manage": permissions.can(user, Action.STRATEGY_MANAGE, workspace),
    }
    return render_page(request, "strategy/overview.html", context, fragment="cascade")


def _walk(roots: list[Objective]) -> list[Objective]:
    found, stack = [], list(roots)
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.tree_children)  # type: ignore[attr-defined]
    return found


# --- PM goals ---------------------------------------------------------------------------------


@login_required
def goals(request: HttpRequest) -> HttpResponse:
    """Every PM's objectives on one page, grouped by PM, with progress (then other owners)."""
    user, workspace = request.user, _ws(request)
    _, periods = selectors.pm_goals(actor=user, workspace=workspace)
    selected, period = _period_filter(request, periods, _runs_today(periods))
    groups, _ = selectors.pm_goals(actor=user, workspace=workspace, period=period)
    context = {
        **AREA,
        "groups": groups,
        "periods": periods,
        "selected_period": selected,
        "period": period,
        "can_manage": permissions.can(user, Action.STRATEGY_MANAGE, workspace),
    }
    return render_page(request, "strategy/goals.html", context, fragment="groups")


# --- objectives -------------------------------------------------------------------------------


def _objective_form(
    request: HttpRequest, objective: Objective | None = None, *, period_of: Objective | None = None, **kwargs: Any
) -> ObjectiveForm:
    """The objective form; the period of ``period_of`` (the objective edited, or the new one's parent)
    is offered even when it is not one of the presets (a past quarter, say)."""
    user, workspace = request.user, _ws(request)
    today = timezone.localdate()
    periods = presets(today)
    source = objective or period_of
    if source is not None:
        own = Period(source.period_kind, source.starts_on, source.ends_on)
        if source.period_kind != PeriodKind.CUSTOM and own not in periods:
            periods.insert(0, own)
    lines = [(line.pk, line.name) for line in _lines(request)]
    products = [(p.pk, f"{p.key} · {p.name}") for p in selectors.product_choices(actor=user, workspace=workspace)]
    return ObjectiveForm(
        request.POST if request.method == "POST" else None,
        parents=None
        if objective is not None
        else _tree_labels(selectors.parent_choices(actor=user, workspace=workspace)),
        owners=_people(request, objective.owner if objective else None),
        periods=periods,
        lines=lines,
        products=products,
        **kwargs,
    )


def _lines(request: HttpRequest) -> list[Any]:
    from headway.portfolio import selectors as portfolio

    return list(portfolio.product_line_list(actor=request.user, workspace=_ws(request)))


def _resolve_refs(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Form ids → objects of this workspace (a forged id is a 404)."""
    from headway.portfolio import selectors as portfolio

    user, workspace = request.user, _ws(request)
    if data.get("parent"):
        data["parent"] = selectors.objective_get(actor=user, workspace=workspace, objective_id=data["parent"])
    if data.get("product_line"):
        data["product_line"] = portfolio.product_line_get(
            actor=user, workspace=workspace, product_line_id=data["product_line"]
        )
    if data.get("product"):
        data["product"] = portfolio.product_get(actor=user, workspace=workspace, product_id=data["product"])
    return data


@login_required
def objective_create(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    permissions.require(user, Action.STRATEGY_MANAGE, workspace)
    parent_id = request.GET.get("parent", "")
    initial: dict[str, Any] = {"period": presets(timezone.localdate())[0].key}
    parent = None
    if parent_id.isdigit():
        parent = selectors.objective_get(actor=user, workspace=workspace, objective_id=int(parent_id))
        initial.update(parent=parent.pk, product_line=parent.product_line_id, product=parent.product_id)
        if parent.period_kind == PeriodKind.CUSTOM:
            initial.update(period="custom", starts_on=parent.starts_on, ends_on=parent.ends_on)
        else:
            initial["period"] = Period(parent.period_kind, parent.starts_on, parent.ends_on).key
    form = _objective_form(request, period_of=parent, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data = _resolve_refs(request, form.service_fields())
            objective = services.objective_create(actor=user, workspace=workspace, **data)
            messages.success(request, f"Objective “{objective.title}” created. Add key results to measure it.")
            return redirect(_url(request, "strategy:objective", pk=objective.pk))
        except HeadwayError as exc:
            form.add_service_error(exc, renames={"period_kind": "period"})
    context = {
        **AREA,
        "form": form,
        "title": "New objective" if parent is None else f"New objective serving “{parent.title}”",
        "submit": "Create objective",
        "cancel_url": _url(request, "strategy:objective", pk=parent.pk)
        if parent
        else _url(request, "strategy:overview"),
        "crumb": "New objective",
        "intro": "An outcome to reach in a period. Measure it with key results; break it down with child objectives.",
    }
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
def objective_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_page(request, "strategy/objective_detail.html", _objective_context(request, pk), fragment="measures")


def _objective_context(request: HttpRequest, pk: int, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, _ws(request)
    detail = selectors.objective_detail(actor=user, workspace=workspace, objective_id=pk)
    objective = detail.objective
    active = objective.archived_at is None
    can_check_in = active and permissions.can(user, Action.OBJECTIVE_CHECK_IN, workspace, objective)
    open_for_check_in = objective.status not in (ObjectiveStatus.DONE, ObjectiveStatus.DROPPED)
    check_in_form = extra.pop("check_in_form", None)
    if check_in_form is None and can_check_in and open_for_check_in:
        check_in_form = CheckInForm(key_results=detail.key_results, initial={"health": _health_of(objective)})
    history = selectors.objective_history(actor=user, workspace=workspace, objective=objective)[:HISTORY_LIMIT]
    return {
        **AREA,
        "o": objective,
        "detail": detail,
        "period": Period(objective.period_kind, objective.starts_on, objective.ends_on),
        "can_manage": permissions.can(user, Action.STRATEGY_MANAGE, workspace) and active,
        "can_restore": permissions.can(user, Action.STRATEGY_MANAGE, workspace) and not active,
        "can_check_in": can_check_in,
        "open_for_check_in": open_for_check_in,
        "check_in_form": check_in_form,
        "history": history,
        **extra,
    }


def _health_of(objective: Objective) -> str:
    return objective.status if objective.status in ("on_track", "at_risk", "off_track") else "on_track"


@login_required
def objective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    objective = selectors.objective_get(actor=user, workspace=workspace, objective_id=pk)
    permissions.require(user, Action.STRATEGY_MANAGE, workspace, objective)
    own = Period(objective.period_kind, objective.starts_on, objective.ends_on)
    initial = {
        "title": objective.title,
        "description": objective.description,
        "owner": objective.owner_id,
        "period": own.key if objective.period_kind != PeriodKind.CUSTOM else "custom",
        "starts_on": objective.starts_on,
        "ends_on": objective.ends_on,
        "status": objective.status,
        "product_line": objective.product_line_id,
        "product": objective.product_id,
        "weight": objective.weight,
    }
    form = _objective_form(request, objective, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data = _resolve_refs(request, form.service_fields())
            services.objective_update(actor=user, objective=objective, **data)
            messages.success(request, f"Objective “{objective.title}” saved.")
            return redirect(_url(request, "strategy:objective", pk=objective.pk))
        except HeadwayError as exc:
            form.add_service_error(exc, renames={"period_kind": "period"})
    context = {
        **AREA,
        "form": form,
        "title": f"Edit “{objective.title}”",
        "submit": "Save changes",
        "cancel_url": _url(request, "strategy:objective", pk=objective.pk),
        "crumb": "Edit",
        "objective": objective,
    }
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
def objective_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose what an objective serves (its parent). Every objective is offered except itself and its
    descendants; the service refuses a cycle anyway, with a message naming it."""
    user, workspace = request.user, _ws(request)
    objective = selectors.objective_get(actor=user, workspace=workspace, objective_id=pk)
    permissions.require(user, Action.STRATEGY_MANAGE, workspace, objective)
    parents = _tree_labels(selectors.parent_choices(actor=user, workspace=workspace, exclude=objective))
    form = ObjectiveMoveForm(
        request.POST if request.method == "POST" else None, parents=parents, initial={"parent": objective.parent_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            parent_id = form.cleaned_data["parent"]
            parent = (
                selectors.objective_get(actor=user, workspace=workspace, objective_id=parent_id) if parent_id else None
            )
            services.objective_move(actor=user, objective=objective, parent=parent)
            where = f"under “{parent.title}”" if parent else "to the top level"
            messages.success(request, f"Moved “{objective.title}” {where}.")
            return redirect(_url(request, "strategy:objective", pk=objective.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        **AREA,
        "form": form,
        "title": f"Move “{objective.title}”",
        "intro": "Choose the objective it serves. Its child objectives move with it.",
        "submit": "Move",
        "cancel_url": _url(request, "strategy:objective", pk=objective.pk),
        "crumb": "Move",
        "objective": objective,
    }
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
@require_POST
def objective_archive(request: HttpRequest, pk: int) -> HttpResponse:
    objective = selectors.objective_get(actor=request.user, workspace=_ws(request), objective_id=pk)
    try:
        services.objective_archive(actor=request.user, objective=objective)
        messages.success(request, f"“{objective.title}” archived. It left the cascade; you can restore it here.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "strategy:objective", pk=objective.pk))


@login_required
@require_POST
def objective_restore(request: HttpRequest, pk: int) -> HttpResponse:
    objective = selectors.objective_get(actor=request.user, workspace=_ws(request), objective_id=pk)
    try:
        services.objective_restore(actor=request.user, objective=objective)
        messages.success(request, f"“{objective.title}” is back in the cascade.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "strategy:objective", pk=objective.pk))


@login_required
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    detail = selectors.objective_detail(actor=user, workspace=workspace, objective_id=pk)
    objective = detail.objective
    permissions.require(user, Action.OBJECTIVE_CHECK_IN, workspace, objective)
    form = CheckInForm(request.POST, key_results=detail.key_results)
    if form.is_valid():
        try:
            services.check_in_create(
                actor=user,
                objective=objective,
                health=form.cleaned_data["health"],
                comment=form.cleaned_data["comment"],
                date=form.cleaned_data["date"],
                values=form.values(),
            )
            messages.success(request, "Check-in saved.")
            return redirect(_url(request, "strategy:objective", pk=objective.pk) + "#check-ins")
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = _objective_context(request, pk, check_in_form=form)
    return render_page(request, "strategy/objective_detail.html", context, status=422)


# --- key results ------------------------------------------------------------------------------


@login_required
def key_result_create(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    objective = selectors.objective_get(actor=user, workspace=workspace, objective_id=pk)
    permissions.require(user, Action.STRATEGY_MANAGE, workspace, objective)
    form = KeyResultForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            key_result = services.key_result_create(actor=user, objective=objective, **form.cleaned_data)
            messages.success(request, f"Key result “{key_result.title}” added.")
            if request.POST.get("another"):
                return redirect(_url(request, "strategy:key_result_create", pk=objective.pk))
            return redirect(_url(request, "strategy:objective", pk=objective.pk) + "#measures")
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        **AREA,
        "form": form,
        "objective": objective,
        "title": "New key result",
        "intro": f"A measurable result that shows “{objective.title}” is reached.",
        "submit": "Add key result",
        "another": True,
        "cancel_url": _url(request, "strategy:objective", pk=objective.pk),
        "crumb": "New key result",
    }
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
def key_result_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    key_result = selectors.key_result_get(actor=user, workspace=workspace, key_result_id=pk)
    objective = key_result.objective
    permissions.require(user, Action.STRATEGY_MANAGE, workspace, key_result)
    initial = {
        name: getattr(key_result, name)
        for name in ("title", "direction", "start_value", "target_value", "current_value", "unit", "weight")
    }
    for name in ("start_value", "target_value", "current_value"):
        initial[name] = format(initial[name].normalize(), "f")
    form = KeyResultForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.key_result_update(actor=user, key_result=key_result, **form.cleaned_data)
            messages.success(request, f"Key result “{key_result.title}” saved.")
            return redirect(_url(request, "strategy:objective", pk=objective.pk) + "#measures")
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        **AREA,
        "form": form,
        "objective": objective,
        "title": f"Edit key result “{key_result.title}”",
        "submit": "Save changes",
        "cancel_url": _url(request, "strategy:objective", pk=objective.pk),
        "crumb": "Edit key result",
        "danger_url": _url(request, "strategy:key_result_delete", pk=key_result.pk),
        "danger_label": "Delete key result",
        "danger_confirm": f"Delete the key result “{key_result.title}”? The objective's history keeps a note of it.",
    }
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
@require_POST
def key_result_value(request: HttpRequest, pk: int) -> HttpResponse:
    """Update one current value in place (the owner's quick update): htmx gets the fresh measures."""
    user, workspace = request.user, _ws(request)
    key_result = selectors.key_result_get(actor=user, workspace=workspace, key_result_id=pk)
    permissions.require(user, Action.OBJECTIVE_CHECK_IN, workspace, key_result)
    form = KeyResultValueForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.key_result_update(
                actor=user, key_result=key_result, current_value=form.cleaned_data["current_value"]
            )
        except HeadwayError as exc:
            error = exc.fields.get("current_value", [exc.message])[0]
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    if _is_htmx(request):
        context = _objective_context(request, key_result.objective_id, value_error=(key_result.pk, error))
        return render_page(request, "strategy/objective_detail.html", context, fragment="measures")
    if error:
        messages.error(request, f"{key_result.title}: {error}")
    else:
        messages.success(request, f"“{key_result.title}” updated.")
    return redirect(_url(request, "strategy:objective", pk=key_result.objective_id) + "#measures")


@login_required
@require_POST
def key_result_delete(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = selectors.key_result_get(actor=request.user, workspace=_ws(request), key_result_id=pk)
    objective_id = key_result.objective_id
    try:
        services.key_result_delete(actor=request.user, key_result=key_result)
        messages.success(request, f"Key result “{key_result.title}” deleted.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "strategy:objective", pk=objective_id) + "#measures")


# --- initiatives ------------------------------------------------------------------------------


@login_required
def initiative_list(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    params = request.GET
    status = params.get("status", "") if params.get("status", "") in InitiativeStatus.values else ""
    owner = params.get("owner", "")
    filters = {
        "search": params.get("q", "").strip(),
        "status": status,
        "owner": int(owner) if owner.isdigit() else None,
        "include_archived": params.get("archived") == "1",
    }
    qs = selectors.initiative_list(actor=user, workspace=workspace, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    anything = selectors.initiative_list(actor=user, workspace=workspace, include_archived=True).exists()
    context = {
        **AREA,
        "page": page,
        "filters": filters,
        "filtered": bool(filters["search"] or status or filters["owner"] is not None),
        "statuses": InitiativeStatus.choices,
        "owners": selectors.owner_choices(actor=user, workspace=workspace),
        "nothing_yet": not anything,
        "can_manage": permissions.can(user, Action.STRATEGY_MANAGE, workspace),
    }
    return render_page(request, "strategy/initiatives.html", context, fragment="rows")


@login_required
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    initiative = selectors.initiative_get(actor=user, workspace=workspace, initiative_id=pk)
    progress = selectors.progress_map(actor=user, workspace=workspace)
    objectives = initiative.linked_objectives
    for objective in objectives:
        objective.progress = progress.get(objective.pk)  # type: ignore[attr-defined]
    context = {
        **AREA,
        "initiative": initiative,
        "objectives": objectives,
        "products": initiative.linked_products,
        "can_manage": permissions.can(user, Action.STRATEGY_MANAGE, workspace),
        "history": audit_for_object(actor=user, workspace=workspace, target=initiative)[:HISTORY_LIMIT],
    }
    return render_page(request, "strategy/initiative_detail.html", context)


def _initiative_form(request: HttpRequest, initial: dict[str, Any], owner: Any = None) -> InitiativeForm:
    user, workspace = request.user, _ws(request)
    objectives = _tree_labels(selectors.objective_choices(actor=user, workspace=workspace))
    products = [(p.pk, f"{p.key} · {p.name}") for p in selectors.product_choices(actor=user, workspace=workspace)]
    return InitiativeForm(
        request.POST if request.method == "POST" else None,
        owners=_people(request, owner),
        objectives=objectives,
        products=products,
        initial=initial,
    )


@login_required
def initiative_create(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    permissions.require(user, Action.STRATEGY_MANAGE, workspace)
    objective = request.GET.get("objective", "")
    form = _initiative_form(request, {"objectives": [int(objective)] if objective.isdigit() else []})
    if request.method == "POST" and form.is_valid():
        try:
            initiative = services.initiative_create(actor=user, workspace=workspace, **form.cleaned_data)
            messages.success(request, f"Initiative “{initiative.title}” created.")
            return redirect(_url(request, "strategy:initiative", pk=initiative.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        **AREA,
        "form": form,
        "title": "New initiative",
        "intro": "A strategic bet: a body of work that serves objectives, across products.",
        "submit": "Create initiative",
        "cancel_url": _url(request, "strategy:initiatives"),
        "crumb": "New initiative",
        "initiatives_crumb": True,
    }
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    initiative = selectors.initiative_get(actor=user, workspace=workspace, initiative_id=pk)
    permissions.require(user, Action.STRATEGY_MANAGE, workspace, initiative)
    initial = {
        "title": initiative.title,
        "problem": initiative.problem,
        "owner": initiative.owner_id,
        "status": initiative.status,
        "starts_on": initiative.starts_on,
        "ends_on": initiative.ends_on,
        "objectives": [o.pk for o in initiative.linked_objectives],
        "products": [p.pk for p in initiative.linked_products],
    }
    form = _initiative_form(request, initial, initiative.owner)
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_update(actor=user, initiative=initiative, **form.cleaned_data)
            messages.success(request, f"Initiative “{initiative.title}” saved.")
            return redirect(_url(request, "strategy:initiative", pk=initiative.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        **AREA,
        "form": form,
        "title": f"Edit “{initiative.title}”",
        "submit": "Save changes",
        "cancel_url": _url(request, "strategy:initiative", pk=initiative.pk),
        "crumb": "Edit",
        "initiatives_crumb": True,
    }
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
@require_POST
def initiative_archive(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = selectors.initiative_get(actor=request.user, workspace=_ws(request), initiative_id=pk)
    try:
        services.initiative_archive(actor=request.user, initiative=initiative)
        messages.success(request, f"“{initiative.title}” archived.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "strategy:initiative", pk=initiative.pk))


@login_required
@require_POST
def initiative_restore(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = selectors.initiative_get(actor=request.user, workspace=_ws(request), initiative_id=pk)
    try:
        services.initiative_restore(actor=request.user, initiative=initiative)
        messages.success(request, f"“{initiative.title}” restored.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "strategy:initiative", pk=initiative.pk))


# --- visions ----------------------------------------------------------------------------------


def _product(request: HttpRequest, key: str | None) -> Product | None:
    if key is None:
        return None
    return selectors.product_by_key(actor=request.user, workspace=_ws(request), key=key)


def _vision_urls(request: HttpRequest, product: Product | None) -> dict[str, str]:
    if product is None:
        names = {"page": "strategy:vision", "edit": "strategy:vision_edit", "share": "strategy:vision_share"}
        names["history"] = "strategy:vision_history"
        return {k: _url(request, v) for k, v in names.items()}
    return {
        k: _url(request, f"strategy:product_vision{suffix}", key=product.key)
        for k, suffix in (("page", ""), ("edit", "_edit"), ("share", "_share"), ("history", "_history"))
    }


def _vision_context(request: HttpRequest, key: str | None) -> dict[str, Any]:
    user, workspace = request.user, _ws(request)
    product = _product(request, key)
    vision = selectors.vision_of(actor=user, workspace=workspace, product=product)
    return {
        **AREA,
        "product": product,
        "vision": vision,
        "sections": _sections(vision),
        "urls": _vision_urls(request, product),
        "subject": f"{product.name}" if product else workspace.name,
        "can_manage": permissions.can(user, Action.STRATEGY_MANAGE, workspace),
    }


SECTIONS = [
    ("statement", "Vision"),
    ("mission", "Mission"),
    ("target_customers", "Target customers"),
    ("value_proposition", "Value proposition"),
    ("principles", "Principles"),
]


def _sections(vision: Vision | None) -> list[tuple[str, str, str]]:
    if vision is None:
        return []
    return [(name, label, getattr(vision, name)) for name, label in SECTIONS]


@login_required
def vision(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """The vision of the workspace (with every product's listed) or of one product."""
    context = _vision_context(request, key)
    if key is None:
        context["products"] = selectors.products_with_visions(actor=request.user, workspace=_ws(request))
    return render_page(request, "strategy/vision.html", context)


@login_required
def vision_share(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """A clean page to read or print and send round the team (members only)."""
    context = _vision_context(request, key)
    if context["vision"] is None:
        return redirect(context["urls"]["page"])
    return render_page(request, "strategy/vision_share.html", context)


@login_required
def vision_edit(request: HttpRequest, key: str | None = None) -> HttpResponse:
    user, workspace = request.user, _ws(request)
    permissions.require(user, Action.STRATEGY_MANAGE, workspace)
    context = _vision_context(request, key)
    current = context["vision"]
    initial = {name: getattr(current, name) for name, _ in SECTIONS} if current else {}
    form = VisionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.vision_save(actor=user, workspace=workspace, product=context["product"], **form.cleaned_data)
            messages.success(request, "Vision saved. The previous text is kept in its history.")
            return redirect(context["urls"]["page"])
        except HeadwayError as exc:
            form.add_service_error(exc)
    context.update(
        form=form,
        title=f"{'Edit' if current else 'Write'} the vision of {context['subject']}",
        intro="Every save is kept as a version, so you can see how the vision evolved and who changed it.",
        submit="Save vision",
        cancel_url=context["urls"]["page"],
        crumb="Edit",
        vision_crumb=True,
    )
    return render_page(request, "strategy/objective_form.html", context, status=_status(form))


@login_required
def vision_history(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """Every version with what changed from the one before, word by word."""
    context = _vision_context(request, key)
    current = context["vision"]
    versions = list(selectors.vision_versions(actor=request.user, vision=current)) if current else []
    entries = []
    for index, version in enumerate(versions):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        changes = []
        for name, label in SECTIONS:
            new, old = getattr(version, name), getattr(previous, name) if previous else ""
            if new != old:
                # The first version has nothing to compare with: it reads as plain text.
                parts = word_diff(old, new) if previous else [("same", new)]
                changes.append({"label": label, "parts": parts})
        entries.append({"version": version, "changes": changes, "first": previous is None})
    context["entries"] = entries
    return render_page(request, "strategy/vision_history.html", context)

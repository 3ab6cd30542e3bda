"""Teams pages: every team with its capacity for a quarter (members, time off, allocations), and one
team where leaders manage members, their capacity per week and time off, and the team's shares of
products and initiatives.

Every change is a plain POST that redirects back (works without JavaScript); under htmx the same
POST answers the team page's fragment, re-rendered, with any error shown next to the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from headway.backlog.models import BacklogSettings
from headway.core import permissions
from headway.core.errors import HeadwayError, ValidationFailed
from headway.core.htmx import is_scripted, redirect_after, render_page, ws_url
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.prioritization import capacity
from headway.prioritization.models import Team, TeamMember
from headway.prioritization.selectors import capacity as selectors
from headway.prioritization.services import capacity as services
from headway.strategy.models import Initiative
from headway.workspaces.models import Membership

FIELD_LABELS = {
    "name": "Name",
    "description": "Description",
    "user": "Workspace member",
    "weekly_capacity": "Capacity per week",
    "starts_on": "From",
    "ends_on": "To",
    "note": "Note",
    "percent": "Share",
    "product": "Product",
    "initiative": "Initiative",
    "target": "Product or initiative",
}
MEMBER_DATE_LABELS = {"starts_on": "Joins on", "ends_on": "Leaves on"}


# --- helpers ----------------------------------------------------------------------------------


def _period(request: HttpRequest) -> dict[str, Any]:
    """The quarter asked for (``?period=2027-Q1``), the next one by default, and the choices around it."""
    today = timezone.localdate()
    default = capacity.next_quarter(today)
    chosen = capacity.parse_quarter(request.GET.get("period", "")) or default
    year, _ = capacity.quarter_of(today)
    options = [(y, q) for y in (year - 1, year, year + 1, year + 2) for q in (1, 2, 3, 4)]
    if chosen not in options:
        options.append(chosen)
    starts_on, ends_on = capacity.quarter_bounds(*chosen)
    return {
        "label": capacity.quarter_label(*chosen),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "is_default": chosen == default,
        "options": [(capacity.quarter_label(*o), o == chosen) for o in options],
    }


def _unit(workspace: Any) -> str:
    unit = BacklogSettings.objects.filter(workspace=workspace).values_list("effort_unit", flat=True).first()
    return "points" if unit in (None, "points") else "person-weeks"


def _error_text(exc: HeadwayError, labels: dict[str, str] | None = None) -> str:
    labels = {**FIELD_LABELS, **(labels or {})}
    for name in exc.fields:
        if name in labels:
            return f"{labels[name]}: {exc.message_without_field}"
    return exc.message_without_field


def _g(number: float) -> str:
    """18.2 → "18.2", 1.0 → "1", 12.75 → "12.75": what people write."""
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _bar(tc: capacity.TeamCapacity) -> dict[str, Any]:
    """Available capacity against capacity lost to time off, as shares of a bar."""
    lost = round(sum(m.weekly * m.days_off / capacity.DAYS_PER_WEEK for m in tc.members), 2)
    whole = tc.total + lost
    return {
        "total": _g(tc.total),
        "lost_text": _g(lost),
        "lost": lost,
        "available_pct": round(100 * tc.total / whole, 1) if whole else 0,
        "lost_pct": round(100 * lost / whole, 1) if whole else 0,
    }


def _chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Capacity per team, stacked by member: one series per member position (members are few)."""
    names = [r["team"].name for r in rows]
    depth = max((len(r["capacity"].members) for r in rows), default=0)
    series = []
    for i in range(depth):
        data = []
        for r in rows:
            members = r["capacity"].members
            data.append({"value": members[i].capacity, "name": members[i].name} if i < len(members) else None)
        series.append(data)
    lost = [r["bar"]["lost"] or None for r in rows]  # no sliver for a team without time off
    return {"teams": names, "series": series, "lost": lost}


def _managed_team(request: HttpRequest, pk: int) -> Team:
    team = selectors.team_get(user=request.user, workspace=request.workspace, team_id=pk)  # type: ignore[attr-defined]
    permissions.require(request.user, Action.CAPACITY_MANAGE, request.workspace)  # type: ignore[attr-defined]
    return team


def _managed_member(request: HttpRequest, pk: int) -> TeamMember:
    member = selectors.member_get(user=request.user, workspace=request.workspace, member_id=pk)  # type: ignore[attr-defined]
    permissions.require(request.user, Action.CAPACITY_MANAGE, request.workspace)  # type: ignore[attr-defined]
    return member


# --- teams ------------------------------------------------------------------------------------


def _teams_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    period = _period(request)
    teams = selectors.teams(user=user, workspace=workspace)
    found = selectors.team_capacity(
        workspace_id=workspace.pk,
        team_ids=[t.pk for t in teams],
        starts_on=period["starts_on"],
        ends_on=period["ends_on"],
    )
    rows: list[dict[str, Any]] = []
    for team in teams:
        allocations = list(team.allocations.all())
        tc = found[team.pk]
        rows.append(
            {
                "team": team,
                "members_count": len(team.members.all()),
                "allocations": allocations,
                "allocated": sum(a.percent for a in allocations),
                "capacity": tc,
                "bar": _bar(tc),
            }
        )
    top = max((r["capacity"].total + r["bar"]["lost"] for r in rows), default=0)
    for r in rows:
        r["scale_pct"] = round(100 * (r["capacity"].total + r["bar"]["lost"]) / top, 1) if top else 0
    return {
        "rows": rows,
        "period": period,
        "unit": _unit(workspace),
        "total": _g(sum(r["capacity"].total for r in rows)),
        "lost_total": _g(sum(r["bar"]["lost"] for r in rows)),
        "days_off": sum(r["capacity"].days_off for r in rows),
        "chart": _chart(rows),
        "can_manage": permissions.can(user, Action.CAPACITY_MANAGE, workspace),
        "archived_count": Team.objects.filter(workspace=workspace, archived_at__isnull=False).count(),
        "form": {"name": "", "description": ""},
        "error": "",
        **extra,
    }


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    return render_page(request, "prioritization/teams.html", _teams_context(request), fragment="teams")


@login_required
@require_POST
def team_create(request: HttpRequest) -> HttpResponse:
    name, description = request.POST.get("name", ""), request.POST.get("description", "")
    try:
        team = services.team_create(
            actor=request.user,
            workspace=request.workspace,  # type: ignore[attr-defined]
            name=name,
            description=description,
        )
    except HeadwayError as exc:
        context = _teams_context(request, form={"name": name, "description": description}, error=_error_text(exc))
        if is_scripted(request):
            return render_page(request, "prioritization/teams.html", context, fragment="new_team")
        return render_page(request, "prioritization/teams.html", context, status=exc.status)
    messages.success(request, f"Created the team “{team.name}”. Add its members next.")
    url = ws_url(request, "prioritization:team_detail", pk=team.pk)
    return redirect_after(request, url)


# --- one team ---------------------------------------------------------------------------------


def _team_context(request: HttpRequest, team: Team, *, error: str = "", error_form: str = "", form: Any = None) -> dict:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    period = _period(request)
    tc = selectors.team_capacity(
        workspace_id=workspace.pk, team_ids=[team.pk], starts_on=period["starts_on"], ends_on=period["ends_on"]
    )[team.pk]
    by_member = {m.member_id: m for m in tc.members}
    members = list(team.members.all())
    rows = [
        {
            "member": m,
            "capacity": by_member.get(m.pk),
            "time_off": [{"item": t, "days": capacity.working_days(t.starts_on, t.ends_on)} for t in m.time_off.all()],
            "weekly": _g(float(m.weekly_capacity)),
            "capacity_text": _g(by_member[m.pk].capacity) if m.pk in by_member else "",
            "error": error if error_form == f"member-{m.pk}" else "",
            "off_error": error if error_form == f"time_off-{m.pk}" else "",
            "off_form": (form or {}) if error_form == f"time_off-{m.pk}" else {},
        }
        for m in members
    ]
    can_manage = permissions.can(user, Action.CAPACITY_MANAGE, workspace) and team.archived_at is None
    context: dict[str, Any] = {
        "team": team,
        "rows": rows,
        "capacity": tc,
        "bar": _bar(tc),
        "period": period,
        "unit": _unit(workspace),
        "allocations": list(team.allocations.all()),
        "can_manage": can_manage,
        "can_restore": team.archived_at is not None and permissions.can(user, Action.CAPACITY_MANAGE, workspace),
        "error": error,
        "error_form": error_form,
        "add_error": error if error_form == "member_add" else "",
        "add_form": (form or {}) if error_form == "member_add" else {},
        "alloc_error": error if error_form == "allocation" else "",
        "alloc_form": (form or {}) if error_form == "allocation" else {},
        "team_error": error if error_form == "team" else "",
        "team_form": (form or {}) if error_form == "team" else {"name": team.name, "description": team.description},
    }
    context["allocated"] = sum(a.percent for a in context["allocations"])
    context["left"] = max(0, 100 - context["allocated"])
    if can_manage:
        in_team = {m.user_id for m in members if m.user_id}
        context["people"] = [
            ms.user
            for ms in Membership.objects.filter(workspace=workspace)
            .select_related("user")
            .order_by("user__full_name", "user__email")
            if ms.user_id not in in_team
        ]
        allocated_products = {a.product_id for a in context["allocations"] if a.product_id}
        allocated_initiatives = {a.initiative_id for a in context["allocations"] if a.initiative_id}
        context["products"] = [
            (f"product:{p.pk}", f"{p.key} · {p.name}")
            for p in Product.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("name")
            if p.pk not in allocated_products
        ]
        context["initiatives"] = [
            (f"initiative:{i.pk}", i.title)
            for i in Initiative.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("title")
            if i.pk not in allocated_initiatives
        ]
    return context


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, workspace=request.workspace, team_id=pk)  # type: ignore[attr-defined]
    return render_page(request, "prioritization/team_detail.html", _team_context(request, team), fragment="team_body")


def _after(request: HttpRequest, team: Team, message: str) -> HttpResponse:
    """Success: the fragment again under htmx, else a redirect to the team page (keeping the quarter)."""
    if is_scripted(request):
        fresh = selectors.team_get(user=request.user, workspace=request.workspace, team_id=team.pk)  # type: ignore[attr-defined]
        context = _team_context(request, fresh)
        context["notice"] = message
        return render_page(request, "prioritization/team_detail.html", context, fragment="team_body")
    messages.success(request, message)
    url = ws_url(request, "prioritization:team_detail", pk=team.pk)
    period = request.GET.get("period", "")
    if capacity.parse_quarter(period):
        url += f"?period={period}"
    return redirect(url)


def _failed(
    request: HttpRequest,
    team: Team,
    exc: HeadwayError,
    form_name: str,
    form: dict[str, str],
    labels: dict | None = None,
) -> HttpResponse:
    """A refused change: the page (or its fragment) with the error next to the form and what was typed."""
    fresh = selectors.team_get(user=request.user, workspace=request.workspace, team_id=team.pk)  # type: ignore[attr-defined]
    context = _team_context(request, fresh, error=_error_text(exc, labels), error_form=form_name, form=form)
    if is_scripted(request):
        return render_page(request, "prioritization/team_detail.html", context, fragment="team_body")
    return render_page(request, "prioritization/team_detail.html", context, status=exc.status)


def _posted(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names}


@login_required
@require_POST
def team_update(request: HttpRequest, pk: int) -> HttpResponse:
    team = _managed_team(request, pk)
    form = _posted(request, "name", "description")
    try:
        services.team_update(actor=request.user, team=team, **form)
    except HeadwayError as exc:
        return _failed(request, team, exc, "team", form)
    return _after(request, team, "Saved the team.")


@login_required
@require_POST
def team_archive(request: HttpRequest, pk: int) -> HttpResponse:
    team = _managed_team(request, pk)
    services.team_archive(actor=request.user, team=team)
    messages.success(request, f"Archived “{team.name}”: it no longer appears in teams and plans.")
    url = ws_url(request, "prioritization:teams")
    return redirect_after(request, url)


@login_required
@require_POST
def team_restore(request: HttpRequest, pk: int) -> HttpResponse:
    team = _managed_team(request, pk)
    services.team_restore(actor=request.user, team=team)
    messages.success(request, f"Restored “{team.name}”.")
    return redirect(ws_url(request, "prioritization:team_detail", pk=team.pk))


@login_required
@require_POST
def team_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    team = _managed_team(request, pk)
    form = _posted(request, "user", "name", "weekly_capacity", "starts_on", "ends_on")
    user_id = form["user"].strip()
    try:
        if user_id and not user_id.isdigit():
            raise ValidationFailed.on("user", "Choose a workspace member from the list.")
        member = services.team_member_add(
            actor=request.user,
            team=team,
            user=int(user_id) if user_id else None,
            name=form["name"],
            weekly_capacity=form["weekly_capacity"] or "1",
            starts_on=form["starts_on"] or None,
            ends_on=form["ends_on"] or None,
        )
    except HeadwayError as exc:
        return _failed(request, team, exc, "member_add", form, MEMBER_DATE_LABELS)
    return _after(request, team, f"Added {member.name} to the team.")


@login_required
@require_POST
def team_member_update(request: HttpRequest, pk: int) -> HttpResponse:
    member = _managed_member(request, pk)
    fields = {
        name: request.POST[name] for name in ("name", "weekly_capacity", "starts_on", "ends_on") if name in request.POST
    }
    for name in ("starts_on", "ends_on"):
        if name in fields and not fields[name].strip():
            fields[name] = None  # type: ignore[assignment]
    try:
        services.team_member_update(actor=request.user, member=member, **fields)
    except HeadwayError as exc:
        return _failed(
            request,
            member.team,
            exc,
            f"member-{member.pk}",
            {k: v or "" for k, v in fields.items()},
            MEMBER_DATE_LABELS,
        )
    return _after(request, member.team, f"Saved {member.name}.")


@login_required
@require_POST
def team_member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = _managed_member(request, pk)
    try:
        services.team_member_remove(actor=request.user, member=member)
    except HeadwayError as exc:
        return _failed(request, member.team, exc, f"member-{pk}", {})
    return _after(request, member.team, f"Took {member.name} out of the team.")


@login_required
@require_POST
def time_off_add(request: HttpRequest, pk: int) -> HttpResponse:
    member = _managed_member(request, pk)
    form = _posted(request, "starts_on", "ends_on", "note")
    try:
        item = services.time_off_add(actor=request.user, member=member, **form)
    except HeadwayError as exc:
        return _failed(request, member.team, exc, f"time_off-{member.pk}", form)
    days = capacity.working_days(item.starts_on, item.ends_on)
    return _after(request, member.team, f"Added {days} working day{'s' if days != 1 else ''} off for {member.name}.")


@login_required
@require_POST
def time_off_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.time_off_get(user=request.user, workspace=request.workspace, time_off_id=pk)  # type: ignore[attr-defined]
    permissions.require(request.user, Action.CAPACITY_MANAGE, request.workspace)  # type: ignore[attr-defined]
    team = item.member.team
    try:
        services.time_off_remove(actor=request.user, time_off=item)
    except HeadwayError as exc:
        return _failed(request, team, exc, f"time_off-{item.member_id}", {})
    return _after(request, team, f"Removed time off for {item.member.name}.")


@login_required
@require_POST
def team_allocation_set(request: HttpRequest, pk: int) -> HttpResponse:
    team = _managed_team(request, pk)
    form = _posted(request, "target", "percent")
    kind, _, raw_id = form["target"].partition(":")
    product = initiative = None
    try:
        if kind == "product" and raw_id.isdigit():
            product = Product.objects.filter(workspace_id=team.workspace_id, pk=int(raw_id)).first()
        elif kind == "initiative" and raw_id.isdigit():
            initiative = Initiative.objects.filter(workspace_id=team.workspace_id, pk=int(raw_id)).first()
        if product is None and initiative is None:
            raise ValidationFailed.on("target", "Choose a product or an initiative.")
        allocation = services.team_allocation_set(
            actor=request.user, team=team, product=product, initiative=initiative, percent=form["percent"]
        )
    except HeadwayError as exc:
        return _failed(request, team, exc, "allocation", form)
    target = allocation.product if allocation.product_id else allocation.initiative
    return _after(request, team, f"{team.name} gives {allocation.percent}% to {target}.")


@login_required
@require_POST
def team_allocation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.allocation_get(user=request.user, workspace=request.workspace, allocation_id=pk)  # type: ignore[attr-defined]
    permissions.require(request.user, Action.CAPACITY_MANAGE, request.workspace)  # type: ignore[attr-defined]
    team = item.team
    try:
        services.team_allocation_remove(actor=request.user, allocation=item)
    except HeadwayError as exc:
        return _failed(request, team, exc, "allocation", {})
    return _after(request, team, "Removed the allocation.")


urlpatterns: list[URLPattern] = [
    path("teams/", teams, name="teams"),
    path("teams/new/", team_create, name="team_create"),
    path("teams/<int:pk>/", team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", team_update, name="team_update"),
    path("teams/<int:pk>/archive/", team_archive, name="team_archive"),
    path("teams/<int:pk>/restore/", team_restore, name="team_restore"),
    path("teams/<int:pk>/members/", team_member_add, name="team_member_add"),
    path("teams/<int:pk>/allocations/", team_allocation_set, name="team_allocation_set"),
    path("teams/members/<int:pk>/", team_member_update, name="team_member_update"),
    path("teams/members/<int:pk>/remove/", team_member_remove, name="team_member_remove"),
    path("teams/members/<int:pk>/time-off/", time_off_add, name="time_off_add"),
    path("teams/time-off/<int:pk>/remove/", time_off_remove, name="time_off_remove"),
    path("teams/allocations/<int:pk>/remove/", team_allocation_remove, name="team_allocation_remove"),
]

"""Themes pages: the list with each theme's charts, one theme with its notes, people's curation
(rename, pin, merge, split, archive), finding themes again as a background job, and a small
progress fragment for any insights job (polled by htmx while the job runs)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from headway.core import permissions
from headway.core.errors import HeadwayError
from headway.core.htmx import id_param, is_scripted, redirect_after, render_page, ws_url
from headway.core.permissions import Action
from headway.insights.models import InsightJob, Kind, Sentiment, Theme
from headway.insights.selectors import themes as selectors
from headway.insights.services import jobs
from headway.insights.services import themes as services

ACTIVE = (InsightJob.Status.QUEUED, InsightJob.Status.RUNNING)


def _theme(request: HttpRequest, pk: int) -> Theme:
    return selectors.theme_get(user=request.user, workspace=request.workspace, theme_id=pk)  # type: ignore[attr-defined]


def _managed(request: HttpRequest, pk: int) -> Theme:
    """The theme a change is asked for; 403 before anything when the role may not manage themes."""
    item = _theme(request, pk)
    permissions.require(request.user, Action.INSIGHT_MANAGE, request.workspace)  # type: ignore[attr-defined]
    return item


def _running_job(request: HttpRequest) -> InsightJob | None:
    return (
        InsightJob.objects.filter(workspace=request.workspace, kind=InsightJob.Kind.THEMES, status__in=ACTIVE)  # type: ignore[attr-defined]
        .order_by("-created_at", "-id")
        .first()
    )


@login_required
def themes(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    cards = selectors.themes_overview(user=user, workspace=workspace)
    context: dict[str, Any] = {
        "cards": cards,
        "charts": {str(c["theme"].pk): {"volume": c["volume"], "sentiment": c["sentiment"]} for c in cards},
        "can_manage": permissions.can(user, Action.INSIGHT_MANAGE, workspace),
        "job": _running_job(request),
        "archived_count": selectors.themes_for_workspace(user=user, workspace=workspace, include_archived=True)
        .filter(archived_at__isnull=False)
        .count(),
    }
    return render_page(request, "insights/themes.html", context, fragment="themes")


@login_required
def theme(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    item = _theme(request, pk)
    kind = request.GET.get("kind", "")
    sentiment = request.GET.get("sentiment", "")
    notes = selectors.theme_notes(user=user, theme=item, kind=kind, sentiment=sentiment)
    page = Paginator(notes, selectors.NOTES_PER_PAGE).get_page(request.GET.get("page"))
    stats = selectors.theme_stats(themes=[item])[item.pk]
    can_manage = permissions.can(user, Action.INSIGHT_MANAGE, workspace)
    others = (
        list(selectors.themes_for_workspace(user=user, workspace=workspace).exclude(pk=item.pk).only("id", "name"))
        if can_manage and item.archived_at is None
        else []
    )
    context = {
        "theme": item,
        "page": page,
        "stats": stats,
        "chart": {"volume": stats["volume"], "sentiment": stats["sentiment"], "companies": stats["companies"]},
        "filters": {
            "kind": kind if kind in Kind.values else "",
            "sentiment": sentiment if sentiment in Sentiment.values else "",
        },
        "kinds": Kind.choices,
        "sentiments": Sentiment.choices,
        "can_manage": can_manage,
        "others": others,
    }
    return render_page(request, "insights/theme.html", context, fragment="notes")


def _done(request: HttpRequest, message: str, theme: Theme | None = None) -> HttpResponse:
    messages.success(request, message)
    url = ws_url(request, "insights:theme", pk=theme.pk) if theme else ws_url(request, "insights:themes")
    return redirect_after(request, url)


def _failed(request: HttpRequest, exc: HeadwayError, theme: Theme) -> HttpResponse:
    messages.error(request, exc.message_without_field)
    url = ws_url(request, "insights:theme", pk=theme.pk)
    return redirect_after(request, url)


@login_required
@require_POST
def theme_rename(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed(request, pk)
    try:
        item = services.theme_rename(actor=request.user, theme=item, name=request.POST.get("name", ""))
    except HeadwayError as exc:
        return _failed(request, exc, item)
    return _done(request, f"Renamed the theme to “{item.name}”; finding themes again keeps the name.", item)


@login_required
@require_POST
def theme_pin(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed(request, pk)
    pinned = request.POST.get("pinned", "1") != "0"
    try:
        item = services.theme_pin(actor=request.user, theme=item, pinned=pinned)
    except HeadwayError as exc:
        return _failed(request, exc, item)
    text = "Pinned: finding themes again leaves it as it is." if pinned else "Unpinned."
    return _done(request, f"{text}", item)


@login_required
@require_POST
def theme_merge(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed(request, pk)
    into_id = id_param(request.POST.get("into"))
    into = (
        selectors.themes_for_workspace(user=request.user, workspace=request.workspace).filter(pk=into_id).first()  # type: ignore[attr-defined]
        if into_id
        else None
    )
    if into is None:
        messages.error(request, "Choose the theme to merge this one into.")
        return redirect(ws_url(request, "insights:theme", pk=item.pk))
    try:
        into = services.theme_merge(actor=request.user, theme=item, into=into)
    except HeadwayError as exc:
        return _failed(request, exc, item)
    return _done(request, f"Merged “{item.name}” into “{into.name}”.", into)


@login_required
@require_POST
def theme_split(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed(request, pk)
    try:
        new = services.theme_split(actor=request.user, theme=item)
    except HeadwayError as exc:
        return _failed(request, exc, item)
    return _done(request, f"Split off “{new.name}” ({new.note_count} notes).", new)


@login_required
@require_POST
def theme_archive(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed(request, pk)
    try:
        services.theme_archive(actor=request.user, theme=item)
    except HeadwayError as exc:
        return _failed(request, exc, item)
    return _done(request, f"Archived “{item.name}”; its notes are free to be grouped again.")


@login_required
@require_POST
def themes_recompute(request: HttpRequest) -> HttpResponse:
    job = jobs.job_start(actor=request.user, workspace=request.workspace, kind=InsightJob.Kind.THEMES)  # type: ignore[attr-defined]
    if is_scripted(request):
        job.refresh_from_db()
        return render_page(request, "insights/_job.html", {"job": job, "active": job.status in ACTIVE})
    messages.success(request, "Finding themes in the background; this page shows its progress.")
    return redirect(ws_url(request, "insights:themes"))


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """Any insights job's progress: a bar that polls itself every second while the job runs."""
    qs = permissions.scope(InsightJob.objects.all(), request.user, request.workspace, Action.INSIGHT_VIEW)  # type: ignore[attr-defined]
    item = permissions.get_or_404(qs, pk=pk)
    return render_page(request, "insights/_job.html", {"job": item, "active": item.status in ACTIVE})


urlpatterns = [
    path("themes/", themes, name="themes"),
    path("themes/recompute/", themes_recompute, name="themes_recompute"),
    path("themes/<int:pk>/", theme, name="theme"),
    path("themes/<int:pk>/rename/", theme_rename, name="theme_rename"),
    path("themes/<int:pk>/pin/", theme_pin, name="theme_pin"),
    path("themes/<int:pk>/merge/", theme_merge, name="theme_merge"),
    path("themes/<int:pk>/split/", theme_split, name="theme_split"),
    path("themes/<int:pk>/archive/", theme_archive, name="theme_archive"),
    path("jobs/<int:pk>/", job, name="job"),
]

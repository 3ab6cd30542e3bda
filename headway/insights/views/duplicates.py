"""Duplicates across channels: the clusters page, its two actions, and a note's similar feedback.

Every action is a plain POST form (redirect back with a message); under htmx the page answers
with an ``HX-Redirect`` so the refreshed clusters show.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from headway.backlog import selectors as backlog_selectors
from headway.core import permissions
from headway.core.errors import HeadwayError, ValidationFailed
from headway.core.htmx import is_scripted, render_page, ws_url
from headway.core.permissions import Action
from headway.ideas.models import Importance, Portal
from headway.insights.models import FeedbackNote
from headway.insights.selectors.duplicates import duplicate_clusters
from headway.insights.services.duplicates import cluster_link_feature, cluster_to_idea
from headway.insights.similarity import similar_to_note

SIMILAR_LIMIT = 8
_IDEA_REF = re.compile(r"#?\s*(\d{1,18})")


def _ws(request: HttpRequest) -> Any:
    return request.workspace  # type: ignore[attr-defined]  # set by the workspace middleware


def _portals(request: HttpRequest) -> list[Portal]:
    return list(Portal.objects.filter(workspace=_ws(request), archived_at__isnull=True).order_by("name", "id"))


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """Clusters of near-identical inbox feedback from different channels, to merge or link."""
    result = duplicate_clusters(user=request.user, workspace=_ws(request))
    can_manage = permissions.can(request.user, Action.INSIGHT_MANAGE, _ws(request))
    context: dict[str, Any] = {
        "tab": "duplicates",
        "result": result,
        "clusters": result.clusters,
        "can_manage": can_manage,
        "portals": _portals(request) if can_manage else [],
        "importances": Importance.choices,
    }
    return render_page(request, "insights/duplicates.html", context, fragment="clusters")


@login_required
def note_similar(request: HttpRequest, pk: int) -> HttpResponse:
    """The notes and portal ideas most like this note (the fragment the note's page loads)."""
    qs = permissions.scope(
        FeedbackNote.objects.select_related("workspace"), request.user, _ws(request), Action.INSIGHT_VIEW
    )
    note = permissions.get_or_404(qs, pk=pk)
    items = similar_to_note(user=request.user, note=note, limit=SIMILAR_LIMIT)
    return render_page(request, "insights/_similar.html", {"note": note, "items": items})


def _note_ids(request: HttpRequest) -> list[int]:
    ids = []
    for value in request.POST.getlist("notes"):
        if value.isdigit() and len(value) <= 18:
            ids.append(int(value))
    return ids


def _idea_ids(request: HttpRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("ideas") if v.isdigit() and len(v) <= 18]


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _done(request: HttpRequest) -> HttpResponse:
    url = ws_url(request, "insights:duplicates")
    if is_scripted(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
@require_POST
def to_idea(request: HttpRequest) -> HttpResponse:
    """Merge a cluster into one idea: a new one in a chosen portal, or an existing one by number."""
    note_ids, idea_ids = _note_ids(request), _idea_ids(request)
    merge_ideas = request.POST.get("merge_ideas") == "on"
    importance = request.POST.get("importance") or Importance.IMPORTANT
    target = request.POST.get("target", "new")
    try:
        if not note_ids and not idea_ids:
            raise ValidationFailed("Tick at least one note of the cluster.")
        if target == "existing":
            match = _IDEA_REF.fullmatch(request.POST.get("idea", "").strip())
            if match is None:
                raise ValidationFailed(
                    "Give the existing idea's number, such as #42, or pick it from the suggestions as you type."
                )
            idea = cluster_to_idea(
                actor=request.user, workspace=_ws(request), note_ids=note_ids, idea=int(match[1]),
                idea_ids=idea_ids, merge_ideas=merge_ideas, importance=importance,
            )  # fmt: skip
        else:
            portal = request.POST.get("portal", "")
            if not portal.isdigit() or len(portal) > 18:
                raise ValidationFailed("Choose the portal for the new idea.")
            idea = cluster_to_idea(
                actor=request.user, workspace=_ws(request), note_ids=note_ids, portal=int(portal),
                title=request.POST.get("title", "").strip(), idea_ids=idea_ids, merge_ideas=merge_ideas,
                importance=importance,
            )  # fmt: skip
        merged = " and the portal ideas were merged into it" if merge_ideas and idea_ids else ""
        messages.success(request, f"{_count(note_ids, 'note')} linked to idea #{idea.pk} “{idea.title}”{merged}.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _done(request)


@login_required
@require_POST
def to_feature(request: HttpRequest) -> HttpResponse:
    """Link a cluster's notes to one feature (by reference, such as PAY-12) as evidence."""
    note_ids = _note_ids(request)
    importance = request.POST.get("importance") or Importance.IMPORTANT
    try:
        if not note_ids:
            raise ValidationFailed("Tick at least one note of the cluster.")
        ref = request.POST.get("feature", "").strip()[:40]
        if not ref:
            raise ValidationFailed("Give the feature's reference, such as PAY-12.")
        feature = backlog_selectors.feature_by_ref(actor=request.user, workspace=_ws(request), ref=ref)
        made = cluster_link_feature(
            actor=request.user, workspace=_ws(request), note_ids=note_ids, feature=feature, importance=importance
        )
        messages.success(
            request,
            f"{_count(note_ids, 'note')} linked to {feature.ref} “{feature.title}” ({_count(made, 'new highlight')}).",
        )
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _done(request)


urlpatterns = [
    path("duplicates/", duplicates, name="duplicates"),
    path("duplicates/idea/", to_idea, name="duplicates_to_idea"),
    path("duplicates/feature/", to_feature, name="duplicates_to_feature"),
    path("notes/<int:pk>/similar/", note_similar, name="note_similar"),
]

"""The classifier page: which model classifies the notes, how well it did on held-out reviews, the
corrections people made, and (for leaders) retraining it in the background with visible progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from headway.core import permissions
from headway.core.errors import HeadwayError
from headway.core.htmx import is_scripted, render_page, ws_url
from headway.core.permissions import Action
from headway.insights import classify
from headway.insights.ml.train import SHIPPED
from headway.insights.models import InsightJob, Kind, LabelCorrection, Sentiment
from headway.insights.services.jobs import job_start

TEMPLATE = "insights/classifier.html"


def _figures(part: dict[str, Any], labels: list[tuple[str, str]]) -> list[dict[str, Any]]:
    classes = part.get("classes", {})
    return [{"key": key, "label": label, **classes[key]} for key, label in labels if key in classes]


def _last_job(request: HttpRequest) -> InsightJob | None:
    return (
        InsightJob.objects.filter(workspace=request.workspace, kind=InsightJob.Kind.RETRAIN)
        .select_related("started_by")
        .order_by("-created_at", "-id")
        .first()
    )


def _job_context(request: HttpRequest) -> dict[str, Any]:
    job = _last_job(request)
    running = job is not None and job.status in (InsightJob.Status.QUEUED, InsightJob.Status.RUNNING)
    percent = round(100 * job.done / job.total) if job is not None and job.total else 0
    return {"job": job, "job_running": running, "job_percent": percent}


def _context(request: HttpRequest) -> dict[str, Any]:
    workspace = request.workspace
    report = classify.model_report()
    path_ = classify.active_path()
    kinds = _figures(report.get("kind", {}), list(Kind.choices))
    sentiments = _figures(report.get("sentiment", {}), list(Sentiment.choices))
    counts = {
        (row["field"], row["corrected"]): row["n"]
        for row in LabelCorrection.objects.filter(workspace=workspace)
        .values("field", "corrected")
        .annotate(n=Count("id"))
    }
    corrections = [
        {"field": field, "label": label, "n": counts.get((field, key), 0)}
        for field, choices in (("kind", Kind.choices), ("sentiment", Sentiment.choices))
        for key, label in choices
    ]
    chart = {
        "classes": [k["label"] for k in kinds],
        "precision": [k["precision"] for k in kinds],
        "recall": [k["recall"] for k in kinds],
        "f1": [k["f1"] for k in kinds],
    }
    return {
        "area": "insights",
        "tab": "classifier",
        "version": classify.model_version(),
        "shipped": path_ == SHIPPED,
        "trained_at": dt.datetime.fromtimestamp(path_.stat().st_mtime, tz=dt.UTC),
        "size_mb": path_.stat().st_size / 1e6,
        "report": report,
        "kinds": kinds,
        "sentiments": sentiments,
        "chart": chart,
        "corrections": corrections,
        "corrections_total": sum(counts.values()),
        "can_retrain": permissions.can(request.user, Action.INSIGHT_RETRAIN, workspace),
        "now": timezone.now(),
        **_job_context(request),
    }


@login_required
def classifier(request: HttpRequest) -> HttpResponse:
    permissions.require(request.user, Action.INSIGHT_VIEW, request.workspace)
    if request.GET.get("part") == "job":  # the progress box polls itself while a retrain runs
        return render_page(request, TEMPLATE, _job_context(request), fragment="job")
    return render_page(request, TEMPLATE, _context(request))


@login_required
@require_POST
def classifier_retrain(request: HttpRequest) -> HttpResponse:
    """Start retraining in the background (leaders and admins); the page shows its progress."""
    try:
        job_start(actor=request.user, workspace=request.workspace, kind=InsightJob.Kind.RETRAIN)
    except HeadwayError as exc:
        if not permissions.can(request.user, Action.INSIGHT_VIEW, request.workspace):
            raise
        messages.error(request, exc.message_without_field)
    else:
        messages.success(request, "Retraining started: the new model is used as soon as it is done.")
    if is_scripted(request):
        return render_page(request, TEMPLATE, _job_context(request), fragment="job")
    return redirect(ws_url(request, "insights:classifier"))


urlpatterns = [
    path("classifier/", classifier, name="classifier"),
    path("classifier/retrain/", classifier_retrain, name="classifier_retrain"),
]

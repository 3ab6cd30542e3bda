"""Background jobs of the inbox people can watch: classify notes, recompute themes, bring in the
portal ideas. A job row is created by :func:`job_start` and run by ``tasks.run_job`` after commit;
the work reports progress through :class:`JobProgress`, which writes ``done``/``total`` at most a
few times a second so a page polling the job sees it move without slowing the work down."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import Conflict
from headway.core.permissions import Action
from headway.insights.models import InsightJob
from headway.workspaces.models import Workspace

_ACTIONS = {
    InsightJob.Kind.CLASSIFY: Action.INSIGHT_MANAGE,
    InsightJob.Kind.THEMES: Action.INSIGHT_MANAGE,
    InsightJob.Kind.PORTAL_SYNC: Action.INSIGHT_MANAGE,
    InsightJob.Kind.RETRAIN: Action.INSIGHT_RETRAIN,
}


class JobProgress:
    """Counts work done on a job (or an import) and saves the count now and then."""

    def __init__(self, row: Any, *, every_seconds: float = 0.5):
        self.row = row
        self.every = every_seconds
        self._saved_at = 0.0

    def start(self, total: int) -> None:
        self.row.total = total
        self.row.done = 0
        self._save(force=True)

    def advance(self, n: int = 1) -> None:
        self.row.done = min(self.row.done + n, self.row.total or self.row.done + n)
        self._save()

    def _save(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._saved_at >= self.every:
            type(self.row).objects.filter(pk=self.row.pk).update(total=self.row.total, done=self.row.done)
            self._saved_at = now


def job_start(*, actor: Any, workspace: Workspace, kind: str) -> InsightJob:
    """Queue a job; one of each kind runs at a time per workspace (asking again returns the running one)."""
    from headway.insights.tasks import run_job

    permissions.require(actor, _ACTIONS[InsightJob.Kind(kind)], workspace)
    with transaction.atomic():
        running = (
            InsightJob.objects.select_for_update()
            .filter(workspace=workspace, kind=kind, status__in=[InsightJob.Status.QUEUED, InsightJob.Status.RUNNING])
            .first()
        )
        if running is not None:
            return running
        job = InsightJob.objects.create(workspace=workspace, kind=kind, started_by=actor)
        audit_record(actor=actor, workspace=workspace, action="insight_job.start", target=job)
        transaction.on_commit(lambda: run_job.enqueue(job_id=job.pk))
    return job


def _runner(kind: str) -> Callable[..., Any]:
    if kind == InsightJob.Kind.CLASSIFY:
        from headway.insights.services.labels import notes_classify

        return notes_classify
    if kind == InsightJob.Kind.THEMES:
        from headway.insights.services.themes import themes_recompute

        return themes_recompute
    if kind == InsightJob.Kind.PORTAL_SYNC:
        from headway.insights.services.notes import notes_from_portal

        return notes_from_portal
    if kind == InsightJob.Kind.RETRAIN:
        from headway.insights.services.labels import retrain_job

        return retrain_job
    raise Conflict(f"Unknown job kind {kind!r}.")


def job_run(*, job_id: int) -> str:
    """Run a queued job to the end; each runner takes ``workspace`` and ``progress`` keywords."""
    job = InsightJob.objects.select_related("workspace").get(pk=job_id)
    if job.status not in (InsightJob.Status.QUEUED, InsightJob.Status.RUNNING):
        return job.status
    InsightJob.objects.filter(pk=job.pk).update(status=InsightJob.Status.RUNNING, started_at=timezone.now())
    try:
        _runner(job.kind)(workspace=job.workspace, progress=JobProgress(job))
    except Exception as exc:
        InsightJob.objects.filter(pk=job.pk).update(
            status=InsightJob.Status.FAILED, finished_at=timezone.now(), message=str(exc)[:2000]
        )
        raise
    # progress is saved a few times a second: the last steps may not be written yet
    InsightJob.objects.filter(pk=job.pk).update(
        status=InsightJob.Status.DONE, finished_at=timezone.now(), done=F("total")
    )
    return InsightJob.Status.DONE

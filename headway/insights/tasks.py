"""Background tasks of the insights inbox. Each does its work through a service and records its
progress on the row people watch (``NoteImport`` or ``InsightJob``)."""

from __future__ import annotations

from django.tasks import task


@task()
def run_import(*, import_id: int) -> str:
    """Import a confirmed CSV/XLSX file of feedback; returns the import's final status."""
    from headway.insights.services.imports import import_run

    return import_run(import_id=import_id)


@task()
def run_job(*, job_id: int) -> str:
    """Run a classification, theme or portal-sync job; returns the job's final status."""
    from headway.insights.services.jobs import job_run

    return job_run(job_id=job_id)

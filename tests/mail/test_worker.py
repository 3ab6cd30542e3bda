"""The real background path: a service queues mail in the database, the worker sends it over SMTP."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from tests.api.servers import ROOT, process_env
from tests.mail.conftest import send_to

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the queued task is committed, as in production
    pytest.mark.filterwarnings(r"ignore:The EMAIL_\w+ setting is deprecated"),
]

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _invite(admin, workspace) -> str:
    from headway.workspaces.services import invitation_create

    _, raw = invitation_create(actor=admin, workspace=workspace, email="queued@example.com", role="viewer")
    return raw


def test_db_worker_delivers_queued_mail(settings, smtp_server, admin, workspace):
    inbox, port = smtp_server
    send_to(settings, port)
    settings.TASKS = DATABASE_TASKS

    raw = _invite(admin, workspace)
    [queued] = DBTaskResult.objects.all()
    assert (queued.status, queued.task_path) == ("READY", "headway.core.tasks.send_email")
    assert inbox.messages == []  # nothing leaves before the worker runs

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    [received] = inbox.wait(1)
    assert received.rcpt_tos == ["queued@example.com"]
    assert received.message["Subject"] == "Ada Admin invited you to Acme Product on Headway"
    assert f"/invitations/{raw}/" in received.body
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"


@pytest.mark.postgres
def test_headway_worker_process_delivers_queued_mail(settings, smtp_server, admin, workspace):
    """`headway worker --batch` as its own process, configured only by the environment (EMAIL_URL)."""
    inbox, port = smtp_server
    settings.TASKS = DATABASE_TASKS
    env = process_env(EMAIL_URL=f"smtp://127.0.0.1:{port}")  # skips unless the tests run on PostgreSQL

    raw = _invite(admin, workspace)
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    worker = subprocess.run(
        [sys.executable, "-m", "headway.cli", "worker", "--batch"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr

    [received] = inbox.wait(1)
    assert received.rcpt_tos == ["queued@example.com"]
    assert f"/invitations/{raw}/" in received.body
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"]

"""Closing the loop over real SMTP: a status change emails each follower exactly once, and nobody
who unsubscribed (from the idea, or from every email of the workspace)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from headway.customers.tests.factories import ContactFactory
from headway.ideas import notify
from headway.ideas.models import Notification, Subscription
from headway.ideas.tests.test_notify import BASE, build_world, change_status, follow, reply
from tests.mail.conftest import send_to

pytestmark = pytest.mark.filterwarnings(r"ignore:The EMAIL_\w+ setting is deprecated")

URL = re.compile(r"https?://\S+")
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
SUBJECT = "[Acme Feedback] Export to CSV: status changed from Under review to Planned"


def _followers_with_two_opted_out(world):
    """Carla (submitter; also filed for as a contact), Connie (a contact) hear; Val turned every
    email of the workspace off with the one-click link; Fran unfollowed the idea."""
    carla_contact = ContactFactory(
        workspace=world.idea.workspace, company__workspace=world.idea.workspace, email="CARLA@customer.example"
    )
    follow(world.idea, contact=carla_contact)
    notify.unsubscribe(
        portal=world.portal,
        token=notify.unsubscribe_token(workspace_id=world.idea.workspace_id, email="val@customer.example"),
    )
    notify.unsubscribe(portal=world.portal, token=notify.unsubscribe_token(subscription=world.subs["fran"]))


@pytest.fixture
def world(workspace, settings):
    settings.HEADWAY_BASE_URL = BASE
    return build_world(workspace)


def test_status_change_emails_each_follower_once_over_smtp(
    smtp_mail, world, pm, client, django_capture_on_commit_callbacks
):
    _followers_with_two_opted_out(world)
    with django_capture_on_commit_callbacks(execute=True):
        event = change_status(pm, world.idea, world.statuses["Planned"], "We start in May.")

    received = smtp_mail.wait(2)
    assert smtp_mail.wait(3, timeout=0.5) == received  # and nothing more arrives
    assert sorted(r.rcpt_tos[0] for r in received) == ["carla@customer.example", "connie@initech.example"]
    idea_link = BASE + reverse("portal:idea", kwargs={"portal": "acme-feedback", "pk": world.idea.pk})
    for message in received:
        email = message.rcpt_tos[0]
        subscription = Subscription.objects.get(idea=world.idea, **(
            {"user__email": email} if email.startswith("carla") else {"contact__email": email}
        ))  # fmt: skip
        one_idea = BASE + reverse(
            "portal:unsubscribe",
            kwargs={"portal": "acme-feedback", "token": notify.unsubscribe_token(subscription=subscription)},
        )
        everything = BASE + reverse(
            "portal:unsubscribe",
            kwargs={
                "portal": "acme-feedback",
                "token": notify.unsubscribe_token(workspace_id=world.idea.workspace_id, email=email),
            },
        )
        assert message.mail_from == "headway@localhost"
        assert message.message["To"] == email
        assert message.message["Subject"] == SUBJECT
        assert message.message["List-Unsubscribe"] == f"<{one_idea}>"
        assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Status changed from Under review to Planned.\n\nWe start in May.\n" in message.body
        links = URL.findall(message.body)
        assert links[:3] == [idea_link, one_idea, everything]
        html = message.message.get_body(preferencelist=("html",))
        assert html is not None and f'href="{idea_link}"' in html.get_content()

    statuses = dict(Notification.objects.filter(event=event).values_list("email", "email_status"))
    assert statuses == {
        "carla@customer.example": "sent",
        "connie@initech.example": "sent",
        "val@customer.example": "unsubscribed",  # told in the app only
    }

    # The one-click link in the email works as it arrived: Connie hears no more of this idea.
    [to_connie] = [r for r in received if r.rcpt_tos == ["connie@initech.example"]]
    one_click = URL.findall(to_connie.body)[1].removeprefix(BASE)
    assert (
        client.post(
            one_click, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply(pm, world.idea, "Design is done.")
    [later] = smtp_mail.wait(3)[2:]
    assert later.rcpt_tos == ["carla@customer.example"]
    assert later.message["Subject"] == "[Acme Feedback] Export to CSV: official reply"


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_queued_notification_emails(settings, smtp_server, workspace, pm):
    inbox, port = smtp_server
    send_to(settings, port)
    settings.TASKS = DATABASE_TASKS
    settings.HEADWAY_BASE_URL = BASE
    world = build_world(workspace)
    _followers_with_two_opted_out(world)

    change_status(pm, world.idea, world.statuses["Planned"])  # commits: two emails are queued
    queued = DBTaskResult.objects.all()
    assert sorted(q.task_path for q in queued) == ["headway.ideas.tasks.send_notification_email"] * 2
    assert inbox.messages == []  # nothing leaves before the worker runs

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    received = inbox.wait(2)
    assert sorted(r.rcpt_tos[0] for r in received) == ["carla@customer.example", "connie@initech.example"]
    assert {r.message["Subject"] for r in received} == {SUBJECT}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert set(Notification.objects.filter(email_status="sent").values_list("email", flat=True)) == {
        "carla@customer.example",
        "connie@initech.example",
    }


@pytest.mark.django_db(transaction=True)
def test_the_daily_digest_goes_out_over_smtp(settings, smtp_server, workspace, pm):
    inbox, port = smtp_server
    send_to(settings, port)
    settings.HEADWAY_BASE_URL = BASE
    world = build_world(workspace)
    for email in ("carla@customer.example", "val@customer.example", "fran@partner.example", "connie@initech.example"):
        notify.email_preference_set(workspace_id=workspace.pk, email=email, mode="daily")
    change_status(pm, world.idea, world.statuses["Planned"])
    change_status(pm, world.idea, world.statuses["In progress"], "Started.")
    assert inbox.wait(1, timeout=0.5) == []

    assert notify.digest_send() == 4
    received = inbox.wait(4)
    assert len(received) == 4
    [to_val] = [r for r in received if r.rcpt_tos == ["val@customer.example"]]
    assert to_val.message["Subject"] == "[Acme Feedback] 2 updates on ideas you follow"
    assert "* Export to CSV: status changed from Under review to Planned\n" in to_val.body
    assert "* Export to CSV: status changed from Planned to In progress\nStarted.\n" in to_val.body

"""Closing the loop: who is told of an idea's events, in the app and by email, and how they stop it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from headway.accounts.tests.factories import UserFactory
from headway.core.errors import NotFound
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas import notify
from headway.ideas.events import record_event
from headway.ideas.models import (
    DEFAULT_IDEA_STATUSES,
    Approval,
    EmailPreference,
    Idea,
    IdeaComment,
    IdeaEvent,
    IdeaStatus,
    Notification,
    Portal,
    PortalAccount,
    PortalInvitation,
    Subscription,
    Visibility,
)

Kind = IdeaEvent.Kind
Status = Notification.Email
BASE = "https://headway.example.com"
SECRET = "Internal: the Globex deal depends on this, keep it quiet"


# --- a small world built from ORM rows (independent of the idea services) ---------------------


def statuses(workspace) -> dict[str, IdeaStatus]:
    rows = {}
    for position, (name, label, category) in enumerate(DEFAULT_IDEA_STATUSES):
        rows[name] = IdeaStatus.objects.create(
            workspace=workspace,
            name=name,
            public_label=label,
            category=category,
            position=position,
            is_default=position == 0,
        )
    return rows


def portal_user(portal: Portal, email: str, full_name: str = "", **account: Any):
    user: Any = UserFactory(email=email, full_name=full_name)
    PortalAccount.objects.create(
        workspace=portal.workspace, portal=portal, user=user, email_verified_at=timezone.now(), **account
    )
    return user


def follow(idea: Idea, *, user=None, contact=None, reason=Subscription.Reason.FOLLOWED) -> Subscription:
    return Subscription.objects.create(workspace=idea.workspace, idea=idea, user=user, contact=contact, reason=reason)


@dataclass
class World:
    portal: Portal
    statuses: dict[str, IdeaStatus]
    idea: Idea
    carla: Any  # submitter
    val: Any  # voter
    fran: Any  # follower
    connie: Any  # a customer contact the idea was filed for (no account)
    subs: dict[str, Subscription]


def build_world(workspace, *, visibility: str = Visibility.PUBLIC) -> World:
    portal = Portal.objects.create(
        workspace=workspace, name="Acme Feedback", slug="acme-feedback", visibility=visibility
    )
    steps = statuses(workspace)
    carla = portal_user(portal, "carla@customer.example", "Carla Customer")
    val = portal_user(portal, "val@customer.example", "Val Voter")
    fran = portal_user(portal, "fran@partner.example", "Fran Follower")
    company = CompanyFactory(workspace=workspace, name="Initech")
    connie = ContactFactory(workspace=workspace, company=company, name="Connie Contact", email="connie@initech.example")
    idea = Idea.objects.create(
        workspace=workspace, portal=portal, title="Export to CSV", status=steps["Under review"], submitter=carla
    )
    subs = {
        "carla": follow(idea, user=carla, reason=Subscription.Reason.SUBMITTED),
        "val": follow(idea, user=val, reason=Subscription.Reason.VOTED),
        "fran": follow(idea, user=fran),
        "connie": follow(idea, contact=connie),
    }
    return World(portal, steps, idea, carla, val, fran, connie, subs)


def change_status(actor, idea: Idea, status: IdeaStatus, message: str = "") -> IdeaEvent:
    """What idea_status_change does, as far as notifications go (S1's payload shape)."""
    with transaction.atomic():
        old = IdeaStatus.objects.get(pk=idea.status_id)
        Idea.objects.filter(pk=idea.pk).update(status=status)
        idea.status = status
        kind = Kind.SHIPPED if status.category == "shipped" else Kind.STATUS_CHANGED
        return record_event(
            idea=idea,
            kind=kind,
            actor=actor,
            payload={"from": old.public_label, "to": status.public_label, "message": message},
        )


def reply(actor, idea: Idea, body: str, *, internal: bool = False) -> IdeaEvent:
    with transaction.atomic():
        comment = IdeaComment.objects.create(
            workspace=idea.workspace, idea=idea, author=actor, body=body, is_internal=internal, is_official=not internal
        )
        if internal:
            return record_event(idea=idea, kind=Kind.COMMENTED, actor=actor, payload={"comment": comment.pk})
        return record_event(idea=idea, kind=Kind.OFFICIAL_REPLY, actor=actor, payload={"comment": comment.pk})


def told(event: IdeaEvent) -> dict[str, tuple[int | None, str, str]]:
    """email → (user id, message, email status) of the event's notifications."""
    return {n.email: (n.user_id, n.message, n.email_status) for n in Notification.objects.filter(event=event)}


@pytest.fixture
def world(workspace, settings) -> World:
    settings.HEADWAY_BASE_URL = BASE
    return build_world(workspace)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the queued emails) of the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _link(name: str, **kwargs: Any) -> str:
    return BASE + reverse(f"portal:{name}", kwargs=kwargs)


# --- who is told -------------------------------------------------------------------------------


def test_status_change_tells_every_follower_once_in_app_and_by_email(world, pm, commit):
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"], "We start on it in May.")

    message = "Status changed from Under review to Planned.\n\nWe start on it in May."
    assert told(event) == {
        "carla@customer.example": (world.carla.pk, message, Status.SENT),
        "val@customer.example": (world.val.pk, message, Status.SENT),
        "fran@partner.example": (world.fran.pk, message, Status.SENT),
        "connie@initech.example": (None, message, Status.SENT),
    }
    assert sorted(m.to[0] for m in mail.outbox) == [
        "carla@customer.example", "connie@initech.example", "fran@partner.example", "val@customer.example",
    ]  # fmt: skip
    assert {m.subject for m in mail.outbox} == {
        "[Acme Feedback] Export to CSV: status changed from Under review to Planned"
    }
    assert all(n.emailed_at is not None for n in Notification.objects.all())


def test_a_person_with_several_reasons_is_told_once(world, pm, commit):
    # Carla submitted it, and a member also filed it for her as a contact (same address, other case).
    carla_contact = ContactFactory(
        workspace=world.idea.workspace,
        company__workspace=world.idea.workspace,
        name="Carla",
        email="Carla@Customer.example",
    )
    follow(world.idea, contact=carla_contact)
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])

    assert sorted(told(event)) == [
        "carla@customer.example", "connie@initech.example", "fran@partner.example", "val@customer.example",
    ]  # fmt: skip
    assert told(event)["carla@customer.example"][0] == world.carla.pk  # the account, so she sees it in the app
    assert [m.to for m in mail.outbox].count(["carla@customer.example"]) == 1
    assert len(mail.outbox) == 4


def test_the_actor_is_not_told_of_their_own_change(world, pm, commit):
    follow(world.idea, user=pm)
    pm_contact = ContactFactory(
        workspace=world.idea.workspace, company__workspace=world.idea.workspace, email="PM@example.com"
    )
    follow(world.idea, contact=pm_contact)
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])

    assert "pm@example.com" not in {e.lower() for e in told(event)}
    assert len(told(event)) == 4
    assert all(m.to != ["pm@example.com"] for m in mail.outbox)


def test_a_member_following_the_idea_is_told(world, pm, contributor, commit):
    follow(world.idea, user=contributor)
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert told(event)["contributor@example.com"][0] == contributor.pk


def test_people_who_unfollowed_are_not_told_at_all(world, pm, commit):
    Subscription.objects.filter(pk=world.subs["val"].pk).update(unsubscribed_at=timezone.now())
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert sorted(told(event)) == ["carla@customer.example", "connie@initech.example", "fran@partner.example"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(told(event))


def test_globally_unsubscribed_people_are_told_in_the_app_but_get_no_email(world, pm, commit):
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="FRAN@partner.example", mode="off")
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert told(event)["fran@partner.example"][2] == Status.UNSUBSCRIBED
    assert "fran@partner.example" not in [m.to[0] for m in mail.outbox]
    assert len(mail.outbox) == 3
    assert notify.unread_count(world.fran, world.idea.workspace) == 1


def test_the_email_preference_of_another_workspace_does_not_count(world, pm, other_workspace, commit):
    notify.email_preference_set(workspace_id=other_workspace.pk, email="fran@partner.example", mode="off")
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert told(event)["fran@partner.example"][2] == Status.SENT


def test_nothing_is_sent_when_the_change_rolls_back(world, pm, commit):
    class Boom(Exception):
        pass

    with commit(), pytest.raises(Boom), transaction.atomic():
        change_status(pm, world.idea, world.statuses["Planned"])
        raise Boom
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_people_who_may_no_longer_see_the_portal_are_not_told(workspace, settings, pm, commit):
    world = build_world(workspace, visibility=Visibility.PRIVATE)
    portal = world.portal
    portal.allowed_domains = "customer.example"
    portal.save()
    PortalInvitation.objects.create(workspace=workspace, portal=portal, email="fran@partner.example")
    # Val is blocked (and not told through his contact row either); Fran's invitation is withdrawn
    # next; Carla's domain stays allowed.
    PortalAccount.objects.filter(user=world.val).update(blocked_at=timezone.now())
    follow(
        world.idea,
        contact=ContactFactory(workspace=workspace, company__workspace=workspace, email="val@customer.example"),
    )
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert sorted(told(event)) == ["carla@customer.example", "connie@initech.example", "fran@partner.example"]

    PortalInvitation.objects.filter(portal=portal).delete()
    with commit():
        event = change_status(pm, world.idea, world.statuses["In progress"])
    assert sorted(told(event)) == ["carla@customer.example", "connie@initech.example"]


def test_an_idea_waiting_for_approval_is_told_only_to_its_submitter_and_the_team(world, pm, contributor, commit):
    Idea.objects.filter(pk=world.idea.pk).update(approval=Approval.PENDING)
    world.idea.approval = Approval.PENDING
    follow(world.idea, user=contributor)
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert sorted(told(event)) == ["carla@customer.example", "connie@initech.example", "contributor@example.com"]


def test_fan_out_queries_do_not_grow_with_the_followers(world, pm, django_assert_max_num_queries):
    def queries_for(n: int) -> int:
        for i in range(n):
            follow(world.idea, user=portal_user(world.portal, f"crowd{n}-{i}@customer.example"))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            change_status(pm, world.idea, world.statuses["Planned" if n == 2 else "In progress"])
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(30)


# --- what they are told ------------------------------------------------------------------------


def test_shipped_merged_and_official_reply_messages(world, pm, commit):
    with commit():
        shipped = change_status(pm, world.idea, world.statuses["Shipped"], "Live for everyone today.")
    assert told(shipped)["val@customer.example"][1] == "Shipped.\n\nLive for everyone today."

    with commit():
        merged = record_event(
            idea=world.idea, kind=Kind.MERGED, actor=pm, payload={"target": 99999, "target_title": "Export to Excel"}
        )
    assert told(merged)["val@customer.example"][1] == 'Merged into "Export to Excel".'

    body = "Thanks for asking! " + "x" * 400
    with commit():
        official = reply(pm, world.idea, body)
    assert told(official)["val@customer.example"][1] == "Official reply.\n\n" + body[:299] + "…"
    subjects = [m.subject for m in mail.outbox if m.to == ["val@customer.example"]]
    assert subjects == [
        "[Acme Feedback] Export to CSV: shipped",
        '[Acme Feedback] Export to CSV: merged into "Export to Excel"',
        "[Acme Feedback] Export to CSV: official reply",
    ]


def test_status_change_without_a_previous_label_or_message(world, pm, commit):
    with commit():
        event = record_event(
            idea=world.idea, kind=Kind.STATUS_CHANGED, actor=pm, payload={"to_status": world.statuses["Planned"].pk}
        )
    assert told(event)["val@customer.example"][1] == "Status changed to Planned."


def test_internal_comments_never_notify_or_reach_an_email(world, pm, commit):
    with commit():
        internal = reply(pm, world.idea, SECRET, internal=True)
        # Even an event wrongly pointing at an internal comment as an official reply tells nobody.
        comment_id = IdeaComment.objects.get(is_internal=True).pk
        wrong = record_event(idea=world.idea, kind=Kind.OFFICIAL_REPLY, actor=pm, payload={"comment": comment_id})
    assert Notification.objects.filter(event__in=[internal, wrong]).count() == 0
    assert mail.outbox == []

    with commit():
        change_status(pm, world.idea, world.statuses["Planned"], "Planned for May.")
        reply(pm, world.idea, "We will keep you posted.")
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="val@customer.example", mode="daily")
    with commit():
        change_status(pm, world.idea, world.statuses["In progress"])
    notify.digest_send()
    assert len(mail.outbox) == 8 + 3 + 1
    for message in mail.outbox:
        assert SECRET not in message.body
        assert all(SECRET not in content for content, _ in message.alternatives)
    assert not Notification.objects.filter(message__contains="Globex").exists()


# --- the emails --------------------------------------------------------------------------------


def test_the_email_has_the_idea_link_both_unsubscribe_links_and_rfc8058_headers(world, pm, commit):
    with commit():
        change_status(pm, world.idea, world.statuses["Planned"], "Soon.")
    [message] = [m for m in mail.outbox if m.to == ["val@customer.example"]]
    idea_link = _link("idea", portal="acme-feedback", pk=world.idea.pk)
    one_idea = _link(
        "unsubscribe", portal="acme-feedback", token=notify.unsubscribe_token(subscription=world.subs["val"])
    )
    everything = _link(
        "unsubscribe",
        portal="acme-feedback",
        token=notify.unsubscribe_token(workspace_id=world.idea.workspace_id, email="val@customer.example"),
    )
    assert message.body == (
        "Export to CSV\n"
        "Status changed from Under review to Planned.\n\nSoon.\n\n"
        f"See the idea: {idea_link}\n\n"
        "--\n"
        "You get this email because you follow this idea on Acme Feedback.\n"
        f"Stop emails about this idea: {one_idea}\n"
        f"Stop all emails from Acme Product: {everything}\n"
        f"Email settings: {_link('preferences', portal='acme-feedback')}\n"
    )
    assert message.extra_headers["List-Unsubscribe"] == f"<{one_idea}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{idea_link}"' in html
    assert f'href="{one_idea}"' in html
    assert f'href="{everything}"' in html
    # A contact has no account, so no settings page link.
    [to_connie] = [m for m in mail.outbox if m.to == ["connie@initech.example"]]
    assert "Email settings" not in to_connie.body


def test_titles_and_messages_are_escaped_in_html_but_not_in_text(world, pm, commit):
    Idea.objects.filter(pk=world.idea.pk).update(title="CSV <script>alert(1)</script> & more")
    world.idea.refresh_from_db()
    with commit():
        change_status(pm, world.idea, world.statuses["Planned"], "Use <b>this</b> & that")
    message = mail.outbox[0]
    assert (
        message.subject
        == "[Acme Feedback] CSV <script>alert(1)</script> & more: status changed from Under review to Planned"
    )
    assert "Use <b>this</b> & that" in message.body
    html = message.alternatives[0][0]
    assert "<script>" not in html and "<b>this</b>" not in html
    assert "Use &lt;b&gt;this&lt;/b&gt; &amp; that" in html


def test_a_failing_smtp_server_marks_the_notification_failed_and_raises(world, pm, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # discard port: nothing listens
        }
    }
    event = change_status(pm, world.idea, world.statuses["Planned"])  # on-commit emails not run here
    notification = Notification.objects.get(event=event, email="val@customer.example")
    assert notification.email_status == Status.PENDING
    with pytest.raises(OSError):
        notify.email_send(notification.pk)
    notification.refresh_from_db()
    assert (notification.email_status, notification.emailed_at) == (Status.FAILED, None)


def test_the_queued_email_respects_changes_made_before_it_left(world, pm):
    event = change_status(pm, world.idea, world.statuses["Planned"])  # queued, not yet sent
    by_email = {n.email: n for n in Notification.objects.filter(event=event)}
    Subscription.objects.filter(pk=world.subs["val"].pk).update(unsubscribed_at=timezone.now())
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="fran@partner.example", mode="daily")
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="connie@initech.example", mode="off")
    results = {email: notify.email_send(n.pk) for email, n in by_email.items()}
    assert results == {
        "carla@customer.example": Status.SENT,
        "val@customer.example": Status.UNSUBSCRIBED,
        "fran@partner.example": Status.DIGEST,
        "connie@initech.example": Status.UNSUBSCRIBED,
    }
    assert [m.to for m in mail.outbox] == [["carla@customer.example"]]
    assert notify.email_send(by_email["carla@customer.example"].pk) == Status.SENT  # not sent twice
    assert len(mail.outbox) == 1


# --- the daily digest --------------------------------------------------------------------------


def test_the_daily_digest_groups_each_persons_updates_into_one_email(world, pm, commit):
    workspace = world.idea.workspace
    for email in ("val@customer.example", "connie@initech.example"):
        notify.email_preference_set(workspace_id=workspace.pk, email=email, mode="daily")
    second = Idea.objects.create(
        workspace=workspace, portal=world.portal, title="Dark mode", status=world.statuses["New"], submitter=world.val
    )
    follow(second, user=world.val)
    with commit():
        first_event = change_status(pm, world.idea, world.statuses["Planned"], "In May.")
        change_status(pm, second, world.statuses["Declined"])
    assert told(first_event)["val@customer.example"][2] == Status.DIGEST
    assert sorted(m.to[0] for m in mail.outbox) == ["carla@customer.example", "fran@partner.example"]
    mail.outbox.clear()

    assert notify.digest_send() == 2
    by_person = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_person) == ["connie@initech.example", "val@customer.example"]
    val = by_person["val@customer.example"]
    assert val.subject == "[Acme Feedback] 2 updates on ideas you follow"
    assert "* Export to CSV: status changed from Under review to Planned\nIn May.\n" in val.body
    assert "* Dark mode: status changed from New to Not planned\n" in val.body
    assert _link("idea", portal="acme-feedback", pk=world.idea.pk) in val.body
    assert _link("idea", portal="acme-feedback", pk=second.pk) in val.body
    everything = _link(
        "unsubscribe",
        portal="acme-feedback",
        token=notify.unsubscribe_token(workspace_id=workspace.pk, email="val@customer.example"),
    )
    assert val.extra_headers["List-Unsubscribe"] == f"<{everything}>"
    assert by_person["connie@initech.example"].subject == "[Acme Feedback] 1 update on ideas you follow"
    assert set(Notification.objects.filter(email__in=by_person).values_list("email_status", flat=True)) == {
        Status.DIGESTED
    }
    assert notify.digest_send() == 0  # nothing waits any more
    assert len(mail.outbox) == 2


def test_the_digest_skips_people_who_turned_emails_off_or_unfollowed(world, pm, commit):
    workspace_id = world.idea.workspace_id
    for email in ("val@customer.example", "fran@partner.example"):
        notify.email_preference_set(workspace_id=workspace_id, email=email, mode="daily")
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    mail.outbox.clear()
    notify.email_preference_set(workspace_id=workspace_id, email="val@customer.example", mode="off")
    Subscription.objects.filter(pk=world.subs["fran"].pk).update(unsubscribed_at=timezone.now())
    assert notify.digest_send() == 0
    assert mail.outbox == []
    assert told(event)["val@customer.example"][2] == Status.UNSUBSCRIBED
    assert told(event)["fran@partner.example"][2] == Status.UNSUBSCRIBED


def test_the_digest_leaves_later_updates_for_the_next_run(world, pm, commit):
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="val@customer.example", mode="daily")
    with commit():
        change_status(pm, world.idea, world.statuses["Planned"])
    assert notify.digest_send(now=timezone.now() - timedelta(hours=1)) == 0
    assert notify.digest_send() == 1


def test_headway_digest_command_prints_how_many_emails_went_out(world, pm, commit, capsys):
    from headway.cli import main

    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="val@customer.example", mode="daily")
    with commit():
        change_status(pm, world.idea, world.statuses["Planned"])
    assert main(["digest"]) == 0
    assert capsys.readouterr().out == "Sent 1 daily digest email.\n"
    assert main(["digest"]) == 0
    assert capsys.readouterr().out == "Sent 0 daily digest emails.\n"


def test_the_digest_task_sends_the_digest(world, pm, commit):
    from headway.ideas.tasks import send_daily_digest

    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="val@customer.example", mode="daily")
    with commit():
        change_status(pm, world.idea, world.statuses["Planned"])
    mail.outbox.clear()
    result = send_daily_digest.enqueue()
    assert result.return_value == 1
    assert [m.to for m in mail.outbox] == [["val@customer.example"]]


# --- unsubscribing -----------------------------------------------------------------------------


def _unsubscribe_path(token: str, portal: str = "acme-feedback") -> str:
    return reverse("portal:unsubscribe", kwargs={"portal": portal, "token": token})


def test_one_click_per_idea_unsubscribes_at_once_and_can_be_undone(world, pm, client, commit):
    token = notify.unsubscribe_token(subscription=world.subs["val"])
    response = client.get(_unsubscribe_path(token))
    assert response.status_code == 200
    assert "val@customer.example</strong> no longer gets emails about “Export to CSV”" in response.text
    world.subs["val"].refresh_from_db()
    assert world.subs["val"].unsubscribed_at is not None
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert "val@customer.example" not in told(event)

    response = client.post(_unsubscribe_path(token), {"undo": "1"})
    assert response.status_code == 200
    assert "gets emails about “Export to CSV” again" in response.text
    world.subs["val"].refresh_from_db()
    assert world.subs["val"].unsubscribed_at is None


def test_unsubscribing_from_an_idea_stops_every_subscription_of_that_address(world, pm, commit):
    val_contact = ContactFactory(
        workspace=world.idea.workspace, company__workspace=world.idea.workspace, email="VAL@customer.example"
    )
    follow(world.idea, contact=val_contact)
    notify.unsubscribe(portal=world.portal, token=notify.unsubscribe_token(subscription=world.subs["val"]))
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert "val@customer.example" not in {e.lower() for e in told(event)}


def test_rfc8058_one_click_post_unsubscribes_globally_without_a_csrf_token(world, pm, commit):
    from django.test import Client

    mail_client = Client(enforce_csrf_checks=True)
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="val@customer.example", mode="daily")
    token = notify.unsubscribe_token(workspace_id=world.idea.workspace_id, email="val@customer.example")
    response = mail_client.post(
        _unsubscribe_path(token),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "no longer gets any emails from Acme Product" in response.text
    mode = notify.email_mode(workspace_id=world.idea.workspace_id, email="val@customer.example")
    assert mode == "off"
    with commit():
        event = change_status(pm, world.idea, world.statuses["Planned"])
    assert told(event)["val@customer.example"][2] == Status.UNSUBSCRIBED
    assert "val@customer.example" not in [m.to[0] for m in mail.outbox]

    # Undo puts back what they had before (the daily digest).
    response = mail_client.post(_unsubscribe_path(token), {"undo": "1", "mode": "daily"})
    assert response.status_code == 200
    assert notify.email_mode(workspace_id=world.idea.workspace_id, email="val@customer.example") == "daily"


def test_the_unsubscribe_page_offers_undo_with_the_previous_mode(world, client):
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="val@customer.example", mode="daily")
    token = notify.unsubscribe_token(workspace_id=world.idea.workspace_id, email="val@customer.example")
    response = client.get(_unsubscribe_path(token))
    assert response.status_code == 200
    assert response.context["done"].previous_mode == "daily"
    assert '<input type="hidden" name="mode" value="daily">' in response.text


@pytest.mark.parametrize(
    "make_token",
    [
        lambda w: notify.unsubscribe_token(subscription=w.subs["val"])[:-2] + "xx",  # tampered signature
        lambda w: "not-a-token",
        lambda w: signing.Signer(salt="some.other.salt").sign_object(
            {"s": w.subs["val"].pk}
        ),  # another feature's token
        lambda w: signing.Signer(salt=notify.UNSUBSCRIBE_SALT).sign_object({"s": 987654}),  # no such subscription
        lambda w: signing.Signer(salt=notify.UNSUBSCRIBE_SALT).sign_object({"w": 987654, "e": "val@customer.example"}),
        lambda w: signing.Signer(salt=notify.UNSUBSCRIBE_SALT).sign_object(["s", 1]),
    ],
    ids=["tampered", "garbage", "other-salt", "unknown-subscription", "other-workspace", "wrong-shape"],
)
def test_an_invalid_unsubscribe_token_is_a_404_and_changes_nothing(world, client, make_token):
    token = make_token(world)
    for response in (client.get(_unsubscribe_path(token)), client.post(_unsubscribe_path(token))):
        assert response.status_code == 404
        assert "This unsubscribe link is" in response.text
        assert "Back to the ideas" in response.text  # the portal's own error page
    assert Subscription.objects.filter(unsubscribed_at__isnull=False).count() == 0
    assert EmailPreference.objects.count() == 0


def test_an_invalid_token_on_a_private_portal_is_the_sites_plain_404(world, client):
    Portal.objects.filter(pk=world.portal.pk).update(visibility=Visibility.PRIVATE)
    response = client.get(_unsubscribe_path("not-a-token"))
    assert response.status_code == 404
    assert "Acme Feedback" not in response.text


def test_a_token_of_one_workspace_does_not_work_on_another_workspaces_portal(world, other_workspace, client):
    Portal.objects.create(workspace=other_workspace, name="Globex Ideas", slug="globex-ideas")
    token = notify.unsubscribe_token(subscription=world.subs["val"])
    assert client.get(_unsubscribe_path(token, portal="globex-ideas")).status_code == 404
    with pytest.raises(NotFound):
        notify.unsubscribe(portal=Portal.objects.get(slug="globex-ideas"), token=token)


# --- preferences and the in-app list -----------------------------------------------------------


def test_preferences_need_sign_in(world, client):
    response = client.get(reverse("portal:preferences", kwargs={"portal": "acme-feedback"}))
    assert response.status_code == 302
    assert response["Location"] == "/p/acme-feedback/signin/?next=%2Fp%2Facme-feedback%2Fpreferences%2F"


def test_a_portal_user_chooses_the_daily_digest(world, client):
    client.force_login(world.val)
    url = reverse("portal:preferences", kwargs={"portal": "acme-feedback"})
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["mode"] == "immediate"
    response = client.post(url, {"mode": "daily"})
    assert (response.status_code, response["Location"]) == (302, url)
    assert list(EmailPreference.objects.values_list("email", "mode")) == [("val@customer.example", "daily")]
    response = client.post(url, {"mode": "weekly"})
    assert response.status_code == 422
    assert "Choose how often to get emails." in response.text
    assert EmailPreference.objects.get().mode == "daily"


def test_a_member_sets_their_preference_from_any_portal_of_their_workspace(world, pm, client):
    client.force_login(pm)
    url = reverse("portal:preferences", kwargs={"portal": "acme-feedback"})
    assert client.post(url, {"mode": "off"}).status_code == 302
    assert notify.email_mode(workspace_id=world.idea.workspace_id, email="pm@example.com") == "off"


def test_notifications_page_lists_the_persons_own_newest_first_and_marks_them_read(world, pm, client, commit):
    with commit():
        change_status(pm, world.idea, world.statuses["Planned"])
        change_status(pm, world.idea, world.statuses["In progress"], "Started.")
    client.force_login(world.val)
    url = reverse("portal:notifications", kwargs={"portal": "acme-feedback"})
    response = client.get(url)
    assert response.status_code == 200
    messages = [n.message for n in response.context["page"].object_list]
    assert messages == [
        "Status changed from Planned to In progress.\n\nStarted.",
        "Status changed from Under review to Planned.",
    ]
    assert response.context["unread"] == 2
    assert notify.unread_count(world.val, world.idea.workspace) == 2

    response = client.post(url)
    assert (response.status_code, response["Location"]) == (302, url)
    assert notify.unread_count(world.val, world.idea.workspace) == 0
    assert notify.unread_count(world.fran, world.idea.workspace) == 2  # only Val's were marked


def test_notifications_are_paginated(world, pm, client):
    event = IdeaEvent.objects.create(workspace=world.idea.workspace, idea=world.idea, kind=Kind.STATUS_CHANGED)
    Notification.objects.bulk_create(
        Notification(
            workspace=world.idea.workspace,
            event=event,
            idea=world.idea,
            user=world.val,
            email=f"{i}@x.example",
            message=f"n{i}",
        )
        for i in range(30)
    )
    client.force_login(world.val)
    url = reverse("portal:notifications", kwargs={"portal": "acme-feedback"})
    first = client.get(url)
    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].object_list[0].message == "n29"
    second = client.get(url, {"page": 2})
    assert [n.message for n in second.context["page"].object_list] == [f"n{i}" for i in range(4, -1, -1)]


def test_notifications_of_another_workspace_are_not_listed(world, pm, other_workspace, client, commit):
    other_portal = Portal.objects.create(workspace=other_workspace, name="Globex Ideas", slug="globex-ideas")
    PortalAccount.objects.create(
        workspace=other_workspace, portal=other_portal, user=world.val, email_verified_at=timezone.now()
    )
    with commit():
        change_status(pm, world.idea, world.statuses["Planned"])
    client.force_login(world.val)
    response = client.get(reverse("portal:notifications", kwargs={"portal": "globex-ideas"}))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert notify.unread_count(world.val, other_workspace) == 0


def test_notifications_need_sign_in_and_access_to_the_portal(world, client, workspace):
    url = reverse("portal:notifications", kwargs={"portal": "acme-feedback"})
    assert client.get(url)["Location"].startswith("/p/acme-feedback/signin/?next=")
    Portal.objects.filter(pk=world.portal.pk).update(visibility=Visibility.INTERNAL)
    client.force_login(world.val)
    assert client.get(url).status_code == 404


# --- who was told what (staff) -----------------------------------------------------------------


def test_members_see_who_was_told_what_and_when(world, pm, viewer, commit):
    notify.email_preference_set(workspace_id=world.idea.workspace_id, email="fran@partner.example", mode="off")
    with commit():
        first = change_status(pm, world.idea, world.statuses["Planned"])
        reply(pm, world.idea, SECRET, internal=True)
        second = change_status(pm, world.idea, world.statuses["Shipped"])
    rows = notify.notifications_for_idea(user=viewer, idea=world.idea)
    assert [r.event.pk for r in rows] == [second.pk, first.pk]  # newest first; the internal note is no update
    assert [(n.email, n.user_id is not None, n.email_status) for n in rows[1].notifications] == [
        ("carla@customer.example", True, Status.SENT),
        ("connie@initech.example", False, Status.SENT),
        ("fran@partner.example", True, Status.UNSUBSCRIBED),
        ("val@customer.example", True, Status.SENT),
    ]
    html = render_to_string("ideas/_told.html", {"told": rows})
    assert html.count("<tr>") == 1 + 8
    assert "<strong>Shipped</strong>" in html
    assert "<strong>Status changed from Under review to Planned</strong>" in html
    assert "In app and email" in html and "Not emailed: unsubscribed" in html
    assert SECRET not in html


def test_who_was_told_is_for_members_of_the_workspace_only(world, outsider):
    with pytest.raises(NotFound):
        notify.notifications_for_idea(user=outsider, idea=world.idea)
    with pytest.raises(NotFound):
        notify.notifications_for_idea(user=world.val, idea=world.idea)


# --- through the real services (S1) ------------------------------------------------------------


def test_the_loop_through_the_idea_services(workspace, leader, pm, contributor, settings, commit):
    from headway.ideas import services
    from headway.ideas.tests import factories

    settings.HEADWAY_BASE_URL = BASE
    portal = factories.portal(leader, workspace, slug="acme-feedback", name="Acme Feedback")
    carla = factories.portal_user(portal, "carla@customer.example")
    val = factories.portal_user(portal, "val@customer.example")
    fran = factories.portal_user(portal, "fran@partner.example")
    with commit():
        idea = services.idea_create(actor=carla, portal=portal, title="Export to CSV")
        services.vote_cast(actor=val, idea=idea)
        services.comment_add(actor=val, idea=idea, body="We need this too.")  # voter and commenter
        services.idea_follow(actor=fran, idea=idea)
        services.comment_add(actor=pm, idea=idea, body=SECRET, internal=True)
    assert Notification.objects.count() == 0  # submitting, voting and commenting tell nobody
    assert mail.outbox == []

    planned = IdeaStatus.objects.get(workspace=workspace, name="Planned")
    with commit():
        services.idea_status_change(actor=pm, idea=idea, status=planned, message="We start in May.")
    [event] = IdeaEvent.objects.filter(kind=Kind.STATUS_CHANGED)
    message = "Status changed from New to Planned.\n\nWe start in May."
    assert told(event) == {
        "carla@customer.example": (carla.pk, message, Status.SENT),
        "val@customer.example": (val.pk, message, Status.SENT),
        "fran@partner.example": (fran.pk, message, Status.SENT),
    }  # pm (subscribed by the internal comment) made the change, so is not told
    assert sorted(m.to[0] for m in mail.outbox) == sorted(told(event))
    mail.outbox.clear()

    services.idea_unfollow(actor=fran, idea=idea)
    with commit():
        services.comment_add(actor=contributor, idea=idea, body="The design is done.")
    [reply_event] = IdeaEvent.objects.filter(kind=Kind.OFFICIAL_REPLY)
    assert sorted(told(reply_event)) == ["carla@customer.example", "pm@example.com", "val@customer.example"]
    assert {m.subject for m in mail.outbox} == {"[Acme Feedback] Export to CSV: official reply"}
    for sent in mail.outbox:
        assert SECRET not in sent.body and "The design is done." in sent.body


def test_a_merge_emails_the_sources_followers_once_with_working_links(world, pm, commit):
    from headway.ideas import services

    target = Idea.objects.create(
        workspace=world.idea.workspace, portal=world.portal, title="Export to Excel", status=world.statuses["Planned"]
    )
    follow(target, user=world.val)  # Val follows both: his source subscription is dropped by the merge
    with commit():
        services.idea_merge(actor=pm, source=world.idea, target=target)
    [event] = IdeaEvent.objects.filter(kind=Kind.MERGED)
    assert {email: status for email, (_, _, status) in told(event).items()} == {
        "carla@customer.example": Status.SENT,
        "val@customer.example": Status.SENT,
        "fran@partner.example": Status.SENT,
        "connie@initech.example": Status.SENT,
    }
    assert {m.subject for m in mail.outbox} == {'[Acme Feedback] Export to CSV: merged into "Export to Excel"'}
    # Fran's subscription moved to the target: her per-idea link now stops the target's emails.
    [to_fran] = [m for m in mail.outbox if m.to == ["fran@partner.example"]]
    moved = Subscription.objects.get(user=world.fran)
    assert moved.idea_id == target.pk
    assert notify.unsubscribe_token(subscription=moved) in to_fran.extra_headers["List-Unsubscribe"]

"""Closing the loop: who hears of an idea's event, in the app and by email.

``fan_out`` runs inside the service's transaction (called by ``events.record_event``): it writes one
``Notification`` per person and queues each immediate email with ``transaction.on_commit``, so a
rolled-back change tells nobody. The worker sends the emails (``tasks.send_notification_email``);
``digest_send`` collects the daily-digest ones (run daily by ``headway digest`` from cron or a
systemd timer, or as the ``tasks.send_daily_digest`` task).

Unsubscribe links carry a signed token (``django.core.signing``) instead of a token table:
``{"s": subscription id}`` for one idea, ``{"w": workspace id, "e": email}`` for every email of a
workspace.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as mail_policy
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from headway.core import permissions
from headway.core.errors import NotFound, ValidationFailed
from headway.ideas.events import NOTIFYING_KINDS
from headway.ideas.models import (
    Approval,
    EmailPreference,
    Idea,
    IdeaComment,
    IdeaEvent,
    IdeaStatus,
    Notification,
    Portal,
    PortalAccount,
    Subscription,
    Visibility,
)
from headway.workspaces.models import Membership

log = logging.getLogger(__name__)

Kind = IdeaEvent.Kind
Mode = EmailPreference.Mode
Status = Notification.Email

UNSUBSCRIBE_SALT = "headway.ideas.unsubscribe"
REPLY_EXCERPT = 300


# --- what happened, in words -----------------------------------------------------------------


def _status_label(payload: dict[str, Any], key: str) -> str:
    """The public label of the status named in the payload (by id, or given as a label)."""
    label = payload.get(key) or payload.get(f"{key}_label")  # S1's services write {"from": …, "to": …}
    if isinstance(label, str) and label:
        return label
    value = payload.get(f"{key}_status")
    if isinstance(value, int):
        status = IdeaStatus.objects.filter(pk=value).only("public_label").first()
        return status.public_label if status else ""
    return str(value or "")


def _official_reply(event: IdeaEvent) -> IdeaComment | None:
    """The public, official comment an event speaks of; None for anything else (internal notes never notify)."""
    comment_id = event.payload.get("comment")
    if not isinstance(comment_id, int) or event.idea_id is None:
        return None
    return IdeaComment.objects.filter(
        pk=comment_id, idea_id=event.idea_id, is_internal=False, deleted_at__isnull=True
    ).first()


def _excerpt(text: str, limit: int = REPLY_EXCERPT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Told:
    """What an event says to the people following the idea: a headline and an optional detail."""

    headline: str  # "status changed from Under review to Planned" (follows the idea title in subjects)
    detail: str = ""

    @property
    def message(self) -> str:
        first = self.headline[:1].upper() + self.headline[1:] + "."
        return f"{first}\n\n{self.detail}" if self.detail else first


def describe(event: IdeaEvent, idea: Idea | None = None) -> Told | None:
    """The words for an event; None when it tells nobody anything (such as an internal comment)."""
    payload = event.payload or {}
    if event.kind in (Kind.STATUS_CHANGED, Kind.SHIPPED):
        idea = idea or event.idea
        new = _status_label(payload, "to") or (idea.status.public_label if idea else "")
        old = _status_label(payload, "from")
        message = str(payload.get("message") or "").strip()
        if event.kind == Kind.SHIPPED:
            return Told("shipped", message)
        if old and old != new:
            return Told(f"status changed from {old} to {new}", message)
        return Told(f"status changed to {new}", message)
    if event.kind == Kind.OFFICIAL_REPLY:
        comment = _official_reply(event)
        if comment is None:
            return None
        return Told("official reply", _excerpt(comment.body))
    if event.kind == Kind.MERGED:
        target = payload.get("target_title")
        if not target and isinstance(payload.get("target"), int):
            target = Idea.objects.filter(pk=payload["target"]).values_list("title", flat=True).first()
        return Told(f'merged into "{target}"' if target else "merged into another idea")
    return None


# --- who hears of it ---------------------------------------------------------------------------


@dataclass
class _Recipient:
    email: str
    user_id: int | None
    subscription_id: int


def _users_who_may_hear(idea: Idea, user_ids: set[int]) -> set[int]:
    """Of these users, those who may still see the idea: portal_access != NONE and
    portal_can_see_idea, answered for everyone at once (three queries, whatever the count)."""
    if not user_ids:
        return set()
    portal: Portal = idea.portal
    members = set(
        Membership.objects.filter(workspace_id=idea.workspace_id, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
    allowed = set(members) if portal.archived_at is None else set()
    others = user_ids - members
    if not others or portal.archived_at is not None or portal.visibility == Visibility.INTERNAL:
        return allowed
    accounts = {
        a.user_id: a
        for a in PortalAccount.objects.filter(portal=portal, user_id__in=others, user__is_active=True).select_related(
            "user"
        )
    }
    invited: set[str] = set()
    if portal.visibility == Visibility.PRIVATE:
        emails = [a.user.email.lower() for a in accounts.values()]
        invited = {e.lower() for e in portal.invitations.filter(email__in=emails).values_list("email", flat=True)}
    for user_id in others:
        account = accounts.get(user_id)
        verified = account is not None and account.email_verified_at is not None and account.blocked_at is None
        if portal.visibility == Visibility.PUBLIC:
            # Anyone reads a public portal; an account-less follower (rare) still reads it.
            can_read = True
        elif portal.visibility == Visibility.PRIVATE:
            email = account.user.email.lower() if account else ""
            can_read = verified and (email in invited or email.rpartition("@")[2] in portal.domains)
        else:  # submit-only
            can_read = verified
        own = idea.submitter_id == user_id
        sees = own if portal.visibility == Visibility.SUBMIT_ONLY else (idea.approval == Approval.APPROVED or own)
        if can_read and sees:
            allowed.add(user_id)
    return allowed


def recipients(event: IdeaEvent, idea: Idea) -> list[_Recipient]:
    """The people an event is told to: the idea's active subscribers, once each (by email), never the actor."""
    actor_email = (event.actor.email.lower() if event.actor_id and event.actor else "") or None
    subscriptions = list(
        Subscription.objects.filter(idea_id=idea.pk, unsubscribed_at__isnull=True)
        .select_related("user", "contact")
        .order_by("id")
    )
    user_ids = {s.user.pk for s in subscriptions if s.user is not None and s.user.is_active}
    may_hear = _users_who_may_hear(idea, user_ids - {event.actor_id})
    # People with an account first, so the one row per email carries the in-app notification.
    people: dict[str, _Recipient] = {}
    # A person who may no longer see the idea is not told through a contact row of theirs either.
    denied = {s.user.email.lower() for s in subscriptions if s.user is not None and s.user.pk not in may_hear}
    for sub in sorted(subscriptions, key=lambda s: (s.user_id is None, s.id)):
        if sub.user is not None:
            if sub.user.pk not in may_hear:
                continue
            email, user_id = sub.user.email, sub.user.pk
        elif sub.contact is not None and sub.contact.archived_at is None:
            email, user_id = sub.contact.email, None
        else:
            continue
        email = (email or "").strip()
        key = email.lower()
        if not key or key == actor_email or key in people or key in denied:
            continue
        people[key] = _Recipient(email=email, user_id=user_id, subscription_id=sub.pk)
    return list(people.values())


def _modes(workspace_id: int, emails: list[str]) -> dict[str, str]:
    """Each address's email preference in the workspace (lower-cased address → mode)."""
    if not emails:
        return {}
    rows = (
        EmailPreference.objects.filter(workspace_id=workspace_id)
        .annotate(address=Lower("email"))
        .filter(address__in=[e.lower() for e in emails])
        .values_list("address", "mode")
    )
    return dict(rows)


_EMAIL_STATUS = {Mode.OFF: Status.UNSUBSCRIBED, Mode.DAILY: Status.DIGEST, Mode.IMMEDIATE: Status.PENDING}


def fan_out(event: IdeaEvent) -> list[Notification]:
    """Create one Notification per person following the idea and queue their emails on commit."""
    if event.kind not in NOTIFYING_KINDS or event.idea_id is None:
        return []
    idea = Idea.objects.select_related("portal", "status").get(pk=event.idea_id)
    told = describe(event, idea)
    if told is None:
        return []
    people = recipients(event, idea)
    modes = _modes(idea.workspace_id, [p.email for p in people])
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                workspace_id=idea.workspace_id,
                event=event,
                idea=idea,
                user_id=person.user_id,
                email=person.email,
                message=told.message,
                email_status=_EMAIL_STATUS[Mode(modes.get(person.email.lower(), Mode.IMMEDIATE))],
            )
            for person in people
        ]
    )
    pending = [n.pk for n in notifications if n.email_status == Status.PENDING]
    if pending:
        from headway.ideas.tasks import send_notification_email

        def queue() -> None:
            for pk in pending:
                send_notification_email.enqueue(notification_id=pk)

        transaction.on_commit(queue)
    return notifications


# --- links and tokens --------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.HEADWAY_BASE_URL + path


def idea_url(idea: Idea) -> str:
    return absolute(reverse("portal:idea", kwargs={"portal": idea.portal.slug, "pk": idea.pk}))


def _signer() -> signing.Signer:
    # No timestamp: an unsubscribe link keeps working, and the same person gets the same link.
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(
    *, subscription: Subscription | None = None, workspace_id: int | None = None, email: str = ""
) -> str:
    """A signed token for one idea (a subscription) or for every email of a workspace to one address."""
    if subscription is not None:
        return _signer().sign_object({"s": subscription.pk}, compress=True)
    return _signer().sign_object({"w": workspace_id, "e": email.lower()}, compress=True)


def unsubscribe_url(portal: Portal, token: str) -> str:
    return absolute(reverse("portal:unsubscribe", kwargs={"portal": portal.slug, "token": token}))


def _subscription_for(notification: Notification) -> Subscription | None:
    """The person's active subscription behind a notification (on the idea, or on the idea it was
    merged into when the subscriptions moved); None once they unfollowed."""
    if notification.idea_id is None:
        return None
    idea_ids: list[int] = [notification.idea_id]
    target = (notification.event.payload or {}).get("target") if notification.event.kind == Kind.MERGED else None
    if isinstance(target, int):
        idea_ids.append(target)
    email = notification.email
    return (
        Subscription.objects.filter(idea_id__in=idea_ids, unsubscribed_at__isnull=True)
        .filter(Q(user__email__iexact=email) | Q(contact__email__iexact=email))
        .order_by("id")
        .first()
    )


def _mode(workspace_id: int, email: str) -> str:
    return _modes(workspace_id, [email]).get(email.lower(), Mode.IMMEDIATE)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- sending -----------------------------------------------------------------------------------


class _Mail(EmailMultiAlternatives):
    """Headers unfolded up to RFC 5322's hard limit (998): a long List-Unsubscribe URL must stay a
    literal ``<https://…>`` (folded at 78 it would become RFC 2047 encoded-words, which mail clients
    do not read as a URL)."""

    def message(self, *, policy: Any = mail_policy.default) -> Any:
        return super().message(policy=policy.clone(max_line_length=998))


def _message(
    *, subject: str, to: str, context: dict[str, Any], template: str, unsubscribe: str
) -> EmailMultiAlternatives:
    body = render_to_string(f"ideas/email/{template}.txt", context)
    html = render_to_string(f"ideas/email/{template}.html", context)
    mail = _Mail(
        subject=_one_line(subject),
        body=body,
        to=[to],
        headers={
            # RFC 8058: mail clients show an unsubscribe button that POSTs to this URL, no page needed.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(html, "text/html")
    return mail


def notification_email(notification: Notification, subscription: Subscription) -> EmailMultiAlternatives:
    """The email for one notification (its words come from the event, never from internal notes)."""
    idea = notification.idea
    assert idea is not None
    portal = idea.portal
    told = describe(notification.event, idea) or Told(notification.message)
    one_idea = unsubscribe_url(portal, unsubscribe_token(subscription=subscription))
    everything = unsubscribe_url(
        portal, unsubscribe_token(workspace_id=notification.workspace_id, email=notification.email)
    )
    context = {
        "notification": notification,
        "idea": idea,
        "portal": portal,
        "workspace_name": portal.workspace.name,
        "told": told,
        "idea_url": idea_url(idea),
        "unsubscribe_idea_url": one_idea,
        "unsubscribe_all_url": everything,
        "preferences_url": absolute(reverse("portal:preferences", kwargs={"portal": portal.slug}))
        if notification.user_id
        else "",
    }
    return _message(
        subject=f"[{portal.name}] {idea.title}: {told.headline}",
        to=notification.email,
        context=context,
        template="notification",
        unsubscribe=one_idea,
    )


def email_send(notification_id: int) -> str:
    """Send one queued notification email; returns the notification's email status afterwards.

    Sent only while it is still pending and the person still wants it (they may have unfollowed or
    turned emails off since). An SMTP error marks it FAILED and re-raises so the task records it.
    """
    notification = (
        Notification.objects.select_related("event", "idea__portal__workspace").filter(pk=notification_id).first()
    )
    if notification is None or notification.email_status != Status.PENDING:
        return notification.email_status if notification else ""
    subscription = _subscription_for(notification) if notification.idea_id else None
    mode = _mode(notification.workspace_id, notification.email)
    if subscription is None or mode == Mode.OFF:
        _set_status([notification.pk], Status.UNSUBSCRIBED, from_status=Status.PENDING)
        return Status.UNSUBSCRIBED
    if mode == Mode.DAILY:  # switched to the digest since: it goes out with tomorrow's
        _set_status([notification.pk], Status.DIGEST, from_status=Status.PENDING)
        return Status.DIGEST
    mail = notification_email(notification, subscription)
    try:
        mail.send()
    except Exception:
        _set_status([notification.pk], Status.FAILED, from_status=Status.PENDING)
        raise
    _set_status([notification.pk], Status.SENT, from_status=Status.PENDING, emailed_at=timezone.now())
    return Status.SENT


def _set_status(ids: list[int], status: str, *, from_status: str, emailed_at: datetime | None = None) -> int:
    fields: dict[str, Any] = {"email_status": status}
    if emailed_at is not None:
        fields["emailed_at"] = emailed_at
    return Notification.objects.filter(pk__in=ids, email_status=from_status).update(**fields)


# --- the daily digest --------------------------------------------------------------------------


@dataclass
class DigestItem:
    notification: Notification
    told: Told
    idea_url: str
    unsubscribe_url: str


@dataclass
class _Digest:
    workspace_id: int
    email: str
    items: list[DigestItem] = field(default_factory=list)


def _digest_email(digest: _Digest) -> EmailMultiAlternatives:
    first = digest.items[0].notification
    assert first.idea is not None
    portals = {item.notification.idea.portal_id for item in digest.items if item.notification.idea}
    workspace = first.idea.portal.workspace
    name = first.idea.portal.name if len(portals) == 1 else workspace.name
    everything = unsubscribe_url(
        first.idea.portal, unsubscribe_token(workspace_id=digest.workspace_id, email=digest.email)
    )
    count = len(digest.items)
    context = {
        "name": name,
        "workspace_name": workspace.name,
        "items": digest.items,
        "count": count,
        "unsubscribe_all_url": everything,
        "preferences_url": absolute(reverse("portal:preferences", kwargs={"portal": first.idea.portal.slug})),
    }
    return _message(
        subject=f"[{name}] {count} update{'s' if count != 1 else ''} on ideas you follow",
        to=digest.email,
        context=context,
        template="digest",
        unsubscribe=everything,
    )


def digest_send(*, now: datetime | None = None) -> int:
    """Send each address one email listing its waiting daily-digest notifications (per workspace);
    returns how many emails went out. Safe to run twice at once: each run claims its rows first."""
    now = now or timezone.now()
    waiting = (
        Notification.objects.filter(email_status=Status.DIGEST, created_at__lte=now, idea__isnull=False)
        .select_related("event", "idea__portal__workspace")
        .order_by("workspace_id", Lower("email"), "created_at", "id")
    )
    groups: dict[tuple[int, str], list[Notification]] = {}
    for notification in waiting:
        groups.setdefault((notification.workspace_id, notification.email.lower()), []).append(notification)
    sent = 0
    for (workspace_id, email), notifications in groups.items():
        if _mode(workspace_id, email) == Mode.OFF:
            _set_status([n.pk for n in notifications], Status.UNSUBSCRIBED, from_status=Status.DIGEST)
            continue
        digest = _Digest(workspace_id=workspace_id, email=notifications[0].email)
        dropped = []
        for notification in notifications:
            subscription = _subscription_for(notification)
            if subscription is None:
                dropped.append(notification.pk)
                continue
            idea = notification.idea
            assert idea is not None
            digest.items.append(
                DigestItem(
                    notification=notification,
                    told=describe(notification.event, idea) or Told(notification.message),
                    idea_url=idea_url(idea),
                    unsubscribe_url=unsubscribe_url(idea.portal, unsubscribe_token(subscription=subscription)),
                )
            )
        _set_status(dropped, Status.UNSUBSCRIBED, from_status=Status.DIGEST)
        if not digest.items:
            continue
        # Claim the rows (a concurrent run claims none of them), then send outside any transaction.
        claim = timezone.now()
        ids = [item.notification.pk for item in digest.items]
        _set_status(ids, Status.DIGESTED, from_status=Status.DIGEST, emailed_at=claim)
        claimed = set(
            Notification.objects.filter(pk__in=ids, email_status=Status.DIGESTED, emailed_at=claim).values_list(
                "pk", flat=True
            )
        )
        digest.items = [item for item in digest.items if item.notification.pk in claimed]
        if not digest.items:
            continue
        try:
            _digest_email(digest).send()
        except Exception:
            log.exception("The daily digest to %s failed; it is tried again on the next run.", digest.email)
            Notification.objects.filter(pk__in=claimed).update(email_status=Status.DIGEST, emailed_at=None)
            continue
        sent += 1
    return sent


# --- unsubscribing and preferences ------------------------------------------------------------


@dataclass
class Unsubscribed:
    """What a one-click unsubscribe did, for the confirmation page and its undo button."""

    scope: str  # "idea" or "all"
    email: str
    workspace_id: int
    idea: Idea | None = None
    previous_mode: str = Mode.IMMEDIATE


def _read_token(token: str) -> dict[str, Any]:
    try:
        data = _signer().unsign_object(token)
    except signing.BadSignature as exc:
        raise NotFound("This unsubscribe link is not valid.") from exc
    if not isinstance(data, dict):
        raise NotFound("This unsubscribe link is not valid.")
    return data


def _subscriptions_of(idea_id: int, email: str) -> QuerySet[Subscription]:
    return Subscription.objects.filter(idea_id=idea_id).filter(
        Q(user__email__iexact=email) | Q(contact__email__iexact=email)
    )


def unsubscribe_resolve(*, portal: Portal, token: str) -> Unsubscribed:
    """What a token stands for (NotFound for a forged, altered or foreign one)."""
    data = _read_token(token)
    if isinstance(data.get("s"), int):
        subscription = (
            Subscription.objects.select_related("user", "contact", "idea__portal").filter(pk=data["s"]).first()
        )
        if subscription is None or subscription.workspace_id != portal.workspace_id:
            raise NotFound("This unsubscribe link is no longer valid.")
        person = subscription.user or subscription.contact
        email = person.email if person is not None else ""
        if not email:
            raise NotFound("This unsubscribe link is no longer valid.")
        return Unsubscribed(scope="idea", email=email, workspace_id=portal.workspace_id, idea=subscription.idea)
    if data.get("w") == portal.workspace_id and isinstance(data.get("e"), str) and data["e"]:
        return Unsubscribed(scope="all", email=data["e"], workspace_id=portal.workspace_id)
    raise NotFound("This unsubscribe link is not valid.")


@transaction.atomic
def unsubscribe(*, portal: Portal, token: str) -> Unsubscribed:
    """One click: stop the emails a token stands for (this idea, or all of the workspace). Idempotent."""
    done = unsubscribe_resolve(portal=portal, token=token)
    if done.scope == "idea":
        assert done.idea is not None
        _subscriptions_of(done.idea.pk, done.email).filter(unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    else:
        done.previous_mode = _mode(done.workspace_id, done.email)
        if done.previous_mode == Mode.OFF:
            done.previous_mode = Mode.IMMEDIATE  # undo of a repeated click turns emails back on
        email_preference_set(workspace_id=done.workspace_id, email=done.email, mode=Mode.OFF)
    return done


@transaction.atomic
def unsubscribe_undo(*, portal: Portal, token: str, mode: str = Mode.IMMEDIATE) -> Unsubscribed:
    """Take a one-click unsubscribe back: follow the idea again, or restore the previous mode."""
    done = unsubscribe_resolve(portal=portal, token=token)
    if done.scope == "idea":
        assert done.idea is not None
        _subscriptions_of(done.idea.pk, done.email).update(unsubscribed_at=None)
    else:
        if mode not in (Mode.IMMEDIATE, Mode.DAILY):
            mode = Mode.IMMEDIATE
        email_preference_set(workspace_id=done.workspace_id, email=done.email, mode=mode)
        done.previous_mode = mode
    return done


def email_preference_set(*, workspace_id: int, email: str, mode: str) -> EmailPreference:
    """Store how an address wants to hear from a workspace (race-safe upsert, one row per address)."""
    if mode not in Mode.values:
        raise ValidationFailed("Choose how often to get emails.", fields={"mode": ["Choose one of the options."]})
    email = email.strip().lower()
    for _ in range(2):
        updated = EmailPreference.objects.filter(workspace_id=workspace_id, email__iexact=email)
        if updated.update(mode=mode, updated_at=timezone.now()):
            return updated.get()
        try:
            with transaction.atomic():
                return EmailPreference.objects.create(workspace_id=workspace_id, email=email, mode=mode)
        except IntegrityError:
            continue  # someone created it at the same moment: update theirs
    raise RuntimeError("unreachable")  # pragma: no cover


def email_mode(*, workspace_id: int, email: str) -> str:
    return _mode(workspace_id, email)


# --- in-app notifications ----------------------------------------------------------------------


def inbox(*, user: Any, workspace_id: int) -> QuerySet[Notification]:
    """The person's in-app notifications in one workspace, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return (
        Notification.objects.filter(user_id=user.pk, workspace_id=workspace_id)
        .select_related("idea__portal", "event")
        .order_by("-created_at", "-id")
    )


def unread_count(user: Any, workspace: Any) -> int:
    """How many unread notifications the person has in the workspace (for the portal's header)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return Notification.objects.filter(user_id=user.pk, workspace_id=workspace_id, read_at__isnull=True).count()


def notifications_mark_read(*, user: Any, workspace_id: int) -> int:
    """Mark every unread notification of the person in the workspace read; returns how many."""
    return Notification.objects.filter(user_id=user.pk, workspace_id=workspace_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- who was told what (staff) -----------------------------------------------------------------


@dataclass
class ToldEvent:
    event: IdeaEvent
    told: Told | None
    notifications: list[Notification]


def notifications_for_idea(*, user: Any, idea: Idea) -> list[ToldEvent]:
    """Per notifying event of the idea (newest first): who was told, in the app and/or by email,
    the email's status and when. Members only (``IDEA_VIEW``)."""
    permissions.require(user, permissions.Action.IDEA_VIEW, idea.workspace_id, idea)
    events = list(
        IdeaEvent.objects.filter(idea_id=idea.pk, kind__in=NOTIFYING_KINDS)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    by_event: dict[int, list[Notification]] = {e.pk: [] for e in events}
    for notification in (
        Notification.objects.filter(event_id__in=by_event).select_related("user").order_by(Lower("email"), "id")
    ):
        by_event[notification.event_id].append(notification)
    told = [ToldEvent(event=e, told=describe(e, idea), notifications=by_event[e.pk]) for e in events]
    return [t for t in told if t.told is not None or t.notifications]

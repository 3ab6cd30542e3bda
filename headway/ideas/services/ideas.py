"""Ideas: submitting (also on a customer's behalf), editing, moderation, status and following."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.permissions import Action, PortalAccess
from headway.ideas import ratelimit
from headway.ideas.events import record_event
from headway.ideas.models import (
    Approval,
    Audience,
    Idea,
    IdeaEvent,
    IdeaStatus,
    Portal,
    StatusCategory,
    Subscription,
    Vote,
)
from headway.ideas.services._common import (
    account_company_id,
    account_of,
    check_description,
    check_fields,
    check_importance,
    check_title,
    field_error,
    now,
    resolve_category,
    resolve_company,
    resolve_contact,
    resolve_product,
    subscribe,
)
from headway.ideas.services.comments import check_body, official_comment
from headway.ideas.services.portals import default_status
from headway.ideas.services.votes import cast, proxy_write, trending_score

AUTHOR_FIELDS = ["title", "description", "product", "category"]
STAFF_FIELDS = [*AUTHOR_FIELDS, "audience"]
AUDIT_FIELDS = [*STAFF_FIELDS]

SPAM_MESSAGE = "We could not accept this idea. Please try again."


def _mirror_as_note(idea_id: int) -> None:
    """After commit, bring the idea's feedback note in the insights inbox up to date (a failure
    there never undoes the idea)."""
    from headway.insights.services.notes import note_sync_idea

    transaction.on_commit(lambda: note_sync_idea(idea_id=idea_id), robust=True)


def _check_audience(value: Any) -> str:
    if value not in Audience.values:
        raise field_error(ValidationFailed, "audience", f"Choose one of {', '.join(Audience.values)}.")
    return str(value)


@transaction.atomic
def idea_create(
    *,
    actor: Any,
    portal: Portal,
    title: str,
    description: str = "",
    product: Any = None,
    category: Any = None,
    on_behalf_contact: Any = None,
    on_behalf_company: Any = None,
    audience: str | None = None,
    importance: str = "important",
    ip_address: str | None = None,
    honeypot: str = "",
) -> Idea:
    """Submit an idea in a portal. The submitter votes for it (with ``importance``) and follows it.

    Members with the right to submit for customers may file it on behalf of a contact and/or
    company (after a sales call): then the contact follows it and the company gets a proxy vote.
    """
    access = permissions.require_portal(actor, portal, PortalAccess.PARTICIPATE)
    if honeypot:
        # A field people never see was filled in: a bot. Say little, write nothing.
        raise ValidationFailed(SPAM_MESSAGE, code="spam")
    staff = access == PortalAccess.STAFF
    workspace_id = portal.workspace_id
    importance = check_importance(importance)
    title = check_title(title)
    description = check_description(description)
    product = resolve_product(portal, product)
    category = resolve_category(workspace_id, category)
    contact = company = None
    on_behalf = on_behalf_contact not in (None, "") or on_behalf_company not in (None, "")
    if on_behalf:
        if not staff or not permissions.can(actor, Action.IDEA_SUBMIT, workspace_id):
            raise PermissionDenied("Your role may not submit ideas on a customer's behalf.")
        contact = resolve_contact(workspace_id, on_behalf_contact, "on_behalf_contact")
        company = resolve_company(workspace_id, on_behalf_company, "on_behalf_company")
        if contact is not None and company is not None and contact.company_id != company.pk:
            raise field_error(ValidationFailed, "on_behalf_contact", f"{contact.name} does not work at {company.name}.")
        if contact is not None and company is None:
            company = contact.company
        chosen_audience = _check_audience(audience) if audience else Audience.CUSTOMER
        account = None
    elif staff:
        chosen_audience = Audience.INTERNAL
        account = None
    else:
        account = account_of(actor, portal)
        chosen_audience = account.audience if account is not None else Audience.CUSTOMER
    if not staff:
        ratelimit.check(ratelimit.IDEA_PERSON, actor.pk)
        ratelimit.check(ratelimit.IDEA_IP, ip_address)
    status = default_status(portal.workspace)
    idea = Idea(
        workspace_id=workspace_id,
        portal=portal,
        title=title,
        description=description,
        product=product,
        category=category,
        status=status,
        submitter=None if on_behalf else actor,
        on_behalf_contact=contact,
        on_behalf_company=company,
        entered_by=actor if on_behalf else None,
        audience=chosen_audience,
        approval=Approval.PENDING if portal.require_approval and not staff else Approval.APPROVED,
    )
    idea.save()
    idea.trending = trending_score(0, idea.created_at)
    Idea.objects.filter(pk=idea.pk).update(trending=idea.trending)
    if on_behalf:
        if contact is not None:
            subscribe(idea, reason=Subscription.Reason.SUBMITTED, contact=contact)
        if company is not None:
            proxy_write(actor=actor, idea=idea, company=company, contact=contact, importance=importance)
    else:
        cast(actor=actor, idea=idea, importance=importance, company_id=account_company_id(account))
        subscribe(idea, reason=Subscription.Reason.SUBMITTED, user=actor)
    idea.refresh_from_db(fields=["vote_count", "demand", "trending"])
    record_event(
        idea=idea,
        kind=IdeaEvent.Kind.CREATED,
        actor=actor,
        payload={
            "portal": portal.pk,
            "status": status.public_label,
            "audience": idea.audience,
            "approval": idea.approval,
            "on_behalf": on_behalf,
            "company": company.pk if company else None,
            "contact": contact.pk if contact else None,
        },
    )
    if staff:
        audit_record(
            actor=actor,
            workspace=portal.workspace,
            action="idea.create",
            target=idea,
            changes={"title": [None, idea.title]}
            | ({"on_behalf_company": [None, str(company)]} if company else {})
            | ({"on_behalf_contact": [None, str(contact)]} if contact else {}),
        )
    _mirror_as_note(idea.pk)
    return idea


def _locked(idea: Idea) -> Idea:
    locked = Idea.objects.select_for_update().select_related("portal", "workspace").filter(pk=idea.pk).first()
    if locked is None or locked.deleted_at is not None:
        raise NotFound("No such idea.")
    return locked


def _editor(actor: Any, idea: Idea, verb: str) -> bool:
    """Who may edit or delete: the team (anything, audited) or the author until someone else voted.
    Returns True for the team."""
    access = permissions.portal_access(actor, idea.portal)
    if access == PortalAccess.NONE or not permissions.portal_can_see_idea(actor, idea, access):
        raise NotFound("No such idea, or it is not open to you.")
    if access == PortalAccess.STAFF and permissions.can(actor, Action.IDEA_MANAGE, idea.workspace_id):
        return True
    own = getattr(actor, "is_authenticated", False) and idea.submitter_id == actor.pk
    if not own:
        raise PermissionDenied(f"Only its author or the team may {verb} this idea.")
    if access == PortalAccess.READ:
        permissions.require_portal(actor, idea.portal, PortalAccess.PARTICIPATE)
    if Vote.objects.filter(idea_id=idea.pk).exclude(voter_id=actor.pk).exists():
        raise Conflict(
            f"Other people have voted for this idea, so you can no longer {verb} it. "
            "Add a comment instead, or ask the team."
        )
    return False


@transaction.atomic
def idea_update(*, actor: Any, idea: Idea, **fields: Any) -> Idea:
    """Edit an idea: its author (title, description, product, category) until somebody else voted
    for it; the team (anything, including the audience) at any time, recorded in the audit log."""
    locked = _locked(idea)
    staff = _editor(actor, locked, "edit")
    check_fields(
        fields,
        STAFF_FIELDS if staff else AUTHOR_FIELDS,
        "idea",
        {"status": "Use idea_status_change to change the status."},
    )
    before = snapshot(locked, AUDIT_FIELDS)
    if "title" in fields:
        locked.title = check_title(fields["title"])
    if "description" in fields:
        locked.description = check_description(fields["description"])
    if "product" in fields:
        locked.product = resolve_product(locked.portal, fields["product"])
    if "category" in fields:
        locked.category = resolve_category(locked.workspace_id, fields["category"])
    if "audience" in fields:
        locked.audience = _check_audience(fields["audience"])
    changes = diff(before, snapshot(locked, AUDIT_FIELDS))
    if changes:
        locked.save(update_fields=[*changes, "updated_at"])
        record_event(idea=locked, kind=IdeaEvent.Kind.UPDATED, actor=actor, payload={"fields": sorted(changes)})
        _mirror_as_note(locked.pk)
        if staff:
            audit_record(actor=actor, workspace=locked.workspace, action="idea.update", target=locked, changes=changes)
    for name in STAFF_FIELDS:
        setattr(idea, name, getattr(locked, name))
    idea.updated_at = locked.updated_at
    return idea


@transaction.atomic
def idea_delete(*, actor: Any, idea: Idea) -> None:
    """Remove an idea (kept, marked deleted); same rule as editing."""
    locked = _locked(idea)
    staff = _editor(actor, locked, "delete")
    locked.deleted_at = now()
    locked.save(update_fields=["deleted_at", "updated_at"])
    idea.deleted_at = locked.deleted_at
    record_event(idea=locked, kind=IdeaEvent.Kind.DELETED, actor=actor, payload={})
    _mirror_as_note(locked.pk)
    if staff:
        audit_record(
            actor=actor,
            workspace=locked.workspace,
            action="idea.delete",
            target=locked,
            changes={"deleted": [False, True]},
        )


def _set_approval(actor: Any, idea: Idea, approval: str) -> tuple[Idea, bool]:
    permissions.require(actor, Action.IDEA_MANAGE, idea.workspace_id, idea)
    locked = _locked(idea)
    if locked.approval == approval:
        idea.approval = approval
        return locked, False
    old = locked.get_approval_display()
    locked.approval = approval
    locked.save(update_fields=["approval", "updated_at"])
    idea.approval = approval
    audit_record(
        actor=actor,
        workspace=locked.workspace,
        action=f"idea.{'approve' if approval == Approval.APPROVED else 'reject'}",
        target=locked,
        changes={"approval": [old, locked.get_approval_display()]},
    )
    return locked, True


@transaction.atomic
def idea_approve(*, actor: Any, idea: Idea) -> Idea:
    """Publish an idea that waited for approval."""
    locked, changed = _set_approval(actor, idea, Approval.APPROVED)
    if changed:
        record_event(idea=locked, kind=IdeaEvent.Kind.APPROVED, actor=actor, payload={})
    return idea


@transaction.atomic
def idea_reject(*, actor: Any, idea: Idea) -> Idea:
    """Keep an idea out of the portal (its author still sees it, marked rejected)."""
    _set_approval(actor, idea, Approval.REJECTED)
    return idea


@transaction.atomic
def idea_status_change(*, actor: Any, idea: Idea, status: Any, message: str = "") -> Idea:
    """Move an idea to another status, optionally telling its followers why (the message is also
    kept as an official public comment). Followers hear of it once: shipped, or status changed."""
    permissions.require(actor, Action.IDEA_MANAGE, idea.workspace_id, idea)
    if isinstance(status, int) and not isinstance(status, bool):
        status = IdeaStatus.objects.filter(pk=status, workspace_id=idea.workspace_id).first()
    if not isinstance(status, IdeaStatus) or status.workspace_id != idea.workspace_id:
        raise field_error(ValidationFailed, "status", "Choose an idea status of this workspace.")
    if message is None:
        message = ""
    if message and not isinstance(message, str):
        raise field_error(ValidationFailed, "message", "Give text.")
    message = message.strip()
    if message:
        message = check_body(message, "message")
    return _status_change_apply(actor=actor, idea=idea, status=status, message=message)


def _status_change_apply(*, actor: Any, idea: Idea, status: IdeaStatus, message: str = "") -> Idea:
    """The status change itself (the caller checked the actor's right and the values): lock,
    save, the official comment, one event for the followers, the audit record."""
    locked = _locked(idea)
    old = IdeaStatus.objects.get(pk=locked.status_id)
    if old.pk == status.pk and not message:
        return idea
    locked.status = status
    locked.status_changed_at = now()
    locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    comment = official_comment(actor=actor, idea=locked, body=message) if message else None
    kind = IdeaEvent.Kind.SHIPPED if status.category == StatusCategory.SHIPPED else IdeaEvent.Kind.STATUS_CHANGED
    record_event(
        idea=locked,
        kind=kind,
        actor=actor,
        payload={
            "from": old.public_label,
            "to": status.public_label,
            "from_category": old.category,
            "to_category": status.category,
            "message": message,
            "comment": comment.pk if comment else None,
        },
    )
    audit_record(
        actor=actor,
        workspace=locked.workspace,
        action="idea.status_change",
        target=locked,
        changes={"status": [old.name, status.name]},
    )
    idea.status = status
    idea.status_changed_at = locked.status_changed_at
    if comment is not None:
        idea.comment_count = Idea.objects.filter(pk=idea.pk).values_list("comment_count", flat=True).get()
    return idea


def _follow_access(actor: Any, idea: Idea) -> None:
    access = permissions.require_portal(actor, idea.portal, PortalAccess.PARTICIPATE)
    if not permissions.portal_can_see_idea(actor, idea, access):
        raise NotFound("No such idea, or it is not open to you.")


@transaction.atomic
def idea_follow(*, actor: Any, idea: Idea) -> Subscription:
    """Hear of the idea's changes (again, if one unfollowed it)."""
    _follow_access(actor, idea)
    sub = Subscription.objects.select_for_update().filter(idea_id=idea.pk, user_id=actor.pk).first()
    if sub is None:
        created = subscribe(idea, reason=Subscription.Reason.FOLLOWED, user=actor)
        if created is not None:
            return created
        sub = Subscription.objects.get(idea_id=idea.pk, user_id=actor.pk)
    if sub.unsubscribed_at is not None:
        sub.unsubscribed_at = None
        sub.save(update_fields=["unsubscribed_at", "updated_at"])
    return sub


@transaction.atomic
def idea_unfollow(*, actor: Any, idea: Idea) -> None:
    """Stop hearing of the idea. Kept as a row so that voting or commenting later does not
    quietly follow it again."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in to follow or unfollow ideas.")
    sub = Subscription.objects.select_for_update().filter(idea_id=idea.pk, user_id=actor.pk).first()
    if sub is None:
        _follow_access(actor, idea)
        Subscription.objects.create(
            workspace_id=idea.workspace_id,
            idea=idea,
            user=actor,
            reason=Subscription.Reason.FOLLOWED,
            unsubscribed_at=now(),
        )
        return
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = now()
        sub.save(update_fields=["unsubscribed_at", "updated_at"])

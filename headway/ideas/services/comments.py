"""Comments on ideas: public ones (official when the team writes them) and internal notes that
people outside the workspace never see (nor do events, emails or exports carry their text)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.core.permissions import Action, PortalAccess
from headway.ideas import ratelimit
from headway.ideas.events import record_event
from headway.ideas.models import Idea, IdeaComment, IdeaEvent, Subscription
from headway.ideas.services._common import COMMENT_MAX, field_error, now, subscribe


def comments_recount(idea_id: int) -> None:
    """The idea's public, not deleted comments, counted in one statement."""
    public = (
        IdeaComment.objects.filter(idea_id=OuterRef("pk"), is_internal=False, deleted_at__isnull=True)
        .order_by()
        .values("idea_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    Idea.objects.filter(pk=idea_id).update(comment_count=Coalesce(Subquery(public), 0))


def check_body(body: Any, field: str = "body") -> str:
    if not isinstance(body, str) or not body.strip():
        raise field_error(ValidationFailed, field, "Write something first.")
    body = body.strip()
    if len(body) > COMMENT_MAX:
        raise field_error(ValidationFailed, field, f"Use at most {COMMENT_MAX:,} characters.")
    return body


def official_comment(*, actor: Any, idea: Idea, body: str) -> IdeaComment:
    """A public reply from the team, without an event of its own (the caller records one)."""
    comment = IdeaComment.objects.create(
        workspace_id=idea.workspace_id, idea=idea, author=actor, body=body, is_official=True
    )
    comments_recount(idea.pk)
    return comment


def _visible(actor: Any, idea: Idea) -> PortalAccess:
    access = permissions.require_portal(actor, idea.portal, PortalAccess.PARTICIPATE)
    if not permissions.portal_can_see_idea(actor, idea, access):
        raise NotFound("No such idea, or it is not open to you.")
    return access


@transaction.atomic
def comment_add(*, actor: Any, idea: Idea, body: str, internal: bool = False) -> IdeaComment:
    """Comment on an idea. People of the portal comment in public; the team's public comments are
    official replies; internal comments (members with the right to comment) stay in the team."""
    access = _visible(actor, idea)
    if not isinstance(internal, bool):
        raise field_error(ValidationFailed, "internal", "Give true or false.")
    staff = access == PortalAccess.STAFF
    if staff:
        permissions.require(actor, Action.COMMENT_ADD, idea.workspace_id)
    elif internal:
        raise PermissionDenied("Only the team behind this portal may write internal comments.")
    body = check_body(body)
    if not staff:
        ratelimit.check(ratelimit.COMMENT_PERSON, actor.pk)
    if idea.deleted_at is not None:
        raise NotFound("No such idea.")
    comment = IdeaComment.objects.create(
        workspace_id=idea.workspace_id,
        idea=idea,
        author=actor,
        body=body,
        is_internal=internal,
        is_official=staff and not internal,
    )
    if not internal:
        comments_recount(idea.pk)
        idea.comment_count = Idea.objects.filter(pk=idea.pk).values_list("comment_count", flat=True).get()
    subscribe(idea, reason=Subscription.Reason.COMMENTED, user=actor)
    if internal:
        # The text of an internal comment never leaves the team: the event names it by id only.
        payload: dict[str, Any] = {"comment": comment.pk, "internal": True}
        kind = IdeaEvent.Kind.COMMENTED
    else:
        payload = {"comment": comment.pk, "internal": False, "official": comment.is_official, "body": body}
        kind = IdeaEvent.Kind.OFFICIAL_REPLY if comment.is_official else IdeaEvent.Kind.COMMENTED
    record_event(idea=idea, kind=kind, actor=actor, payload=payload)
    return comment


@transaction.atomic
def comment_delete(*, actor: Any, comment: IdeaComment) -> None:
    """Remove a comment (kept, marked deleted): its author may, and for public comments anyone who
    manages ideas (moderation, recorded in the audit log)."""
    idea = comment.idea
    if comment.deleted_at is not None:
        return
    access = permissions.portal_access(actor, idea.portal)
    if access == PortalAccess.NONE or not permissions.portal_can_see_idea(actor, idea, access):
        raise NotFound("No such idea, or it is not open to you.")
    if comment.is_internal and access != PortalAccess.STAFF:
        raise NotFound("No such comment.")
    own = getattr(actor, "is_authenticated", False) and comment.author_id == actor.pk
    moderator = (
        access == PortalAccess.STAFF
        and not comment.is_internal
        and permissions.can(actor, Action.IDEA_MANAGE, idea.workspace_id)
    )
    if not own and not moderator:
        raise PermissionDenied("Only its author may delete this comment.")
    comment.deleted_at = now()
    comment.save(update_fields=["deleted_at", "updated_at"])
    if not comment.is_internal:
        comments_recount(idea.pk)
    if not own:
        audit_record(
            actor=actor,
            workspace=idea.workspace,
            action="idea_comment.delete",
            target=idea,
            changes={"comment": [comment.pk, None]},
        )


__all__ = ["comment_add", "comment_delete", "comments_recount", "official_comment"]

"""Reads for portal pages (and the few the team's pages share), scoped by ``core.permissions``.

``portal_idea_page`` is the hot path (a portal may hold 100,000 ideas): it filters through
``permissions.portal_ideas``, orders by the columns of the portal's indexes, and fetches one
page of rows with their status, category and product in one query, plus one cheap count.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from headway.core import permissions
from headway.core.errors import NotFound
from headway.core.permissions import Action, PortalAccess
from headway.ideas.models import (
    Approval,
    Idea,
    IdeaComment,
    Portal,
    StatusCategory,
    Subscription,
    Vote,
)
from headway.workspaces.models import Workspace

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
SORTS: dict[str, tuple[str, ...]] = {
    "votes": ("-vote_count", "-id"),
    "trending": ("-trending", "-id"),
    "newest": ("-created_at", "-id"),
}
ROADMAP_CATEGORIES = (StatusCategory.PLANNED, StatusCategory.IN_PROGRESS, StatusCategory.SHIPPED)
ROADMAP_LIMIT = 100
SHIPPED_RECENT_DAYS = 90


def portal_by_slug(slug: str) -> Portal:
    """The portal at /p/<slug>/ (archived ones too: access decides what they show), or NotFound."""
    portal = Portal.objects.select_related("workspace").filter(slug=str(slug or "").lower()).first()
    if portal is None:
        raise NotFound("No such portal, or it is not open to you.")
    return portal


def portals_for_workspace(*, user: Any, workspace: Workspace) -> QuerySet[Portal]:
    """The workspace's portals (archived ones too), for its members."""
    return permissions.scope(Portal.objects.all(), user, workspace, Action.IDEA_VIEW).order_by("name", "id")


def _visible(user: Any, portal: Portal, access: PortalAccess) -> QuerySet[Idea]:
    return permissions.portal_ideas(Idea.objects.all(), user, portal, access)


def portal_idea_page(
    *,
    user: Any,
    portal: Portal,
    access: PortalAccess,
    sort: str = "votes",
    q: str = "",
    status_category: str = "",
    category_id: int | None = None,
    product_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """One page of the portal's ideas this person may see (merged ones are left out): ``items``
    (ideas with status, category and product), ``page``, ``pages`` and ``total``."""
    qs = _visible(user, portal, access).filter(merged_into__isnull=True)
    if q and isinstance(q, str) and q.strip():
        qs = qs.filter(title__icontains=q.strip()[:200])
    if status_category:
        valid = status_category in StatusCategory.values
        qs = qs.filter(status__category=status_category) if valid else qs.none()
    if category_id:
        qs = qs.filter(category_id=category_id)
    if product_id:
        qs = qs.filter(product_id=product_id)
    page_size = max(1, min(int(page_size or PAGE_SIZE), MAX_PAGE_SIZE))
    total = qs.order_by().count()
    pages = max(1, math.ceil(total / page_size))
    try:
        page = int(page)
    except (TypeError, ValueError):
        page = 1
    page = min(max(1, page), pages)
    order = SORTS.get(sort, SORTS["votes"])
    start = (page - 1) * page_size
    items = list(qs.select_related("status", "category", "product").order_by(*order)[start : start + page_size])
    return {"items": items, "page": page, "pages": pages, "total": total, "page_size": page_size}


def idea_for_portal(*, user: Any, portal: Portal, access: PortalAccess, pk: int) -> Idea:
    """One idea of the portal this person may see (a merged one too: the page points to its
    target), or NotFound."""
    idea = (
        _visible(user, portal, access)
        .select_related("status", "category", "product", "portal", "submitter", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if idea is None:
        raise NotFound("No such idea, or it is not open to you.")
    return idea


def public_comments(idea: Idea) -> QuerySet[IdeaComment]:
    return (
        IdeaComment.objects.filter(idea_id=idea.pk, is_internal=False, deleted_at__isnull=True)
        .select_related("author")
        .order_by("created_at", "id")
    )


def idea_comments(*, user: Any, idea: Idea) -> QuerySet[IdeaComment]:
    """The comments this person may read: members of the workspace also see internal ones."""
    if permissions.can(user, Action.IDEA_VIEW, idea.workspace_id):
        return (
            IdeaComment.objects.filter(idea_id=idea.pk, deleted_at__isnull=True)
            .select_related("author")
            .order_by("created_at", "id")
        )
    return public_comments(idea)


def my_vote(user: Any, idea: Idea) -> Vote | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Vote.objects.filter(idea_id=idea.pk, voter_id=user.pk).first()


def is_following(user: Any, idea: Idea) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Subscription.objects.filter(idea_id=idea.pk, user_id=user.pk, unsubscribed_at__isnull=True).exists()


def staff_ideas(
    *,
    user: Any,
    workspace: Workspace,
    portal_id: int | None = None,
    status_id: int | None = None,
    status_category: str = "",
    approval: str = "",
    product_id: int | None = None,
    category_id: int | None = None,
    audience: str = "",
    q: str = "",
    sort: str = "votes",
    include_merged: bool = False,
) -> QuerySet[Idea]:
    """Every idea of the workspace's portals for its members, filtered and sorted."""
    qs = permissions.scope(Idea.objects.all(), user, workspace, Action.IDEA_VIEW).filter(deleted_at__isnull=True)
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    filters: dict[str, Any] = {
        "portal_id": portal_id,
        "status_id": status_id,
        "status__category": status_category,
        "approval": approval,
        "product_id": product_id,
        "category_id": category_id,
        "audience": audience,
    }
    qs = qs.filter(**{k: v for k, v in filters.items() if v not in (None, "")})
    if q and q.strip():
        qs = qs.filter(Q(title__icontains=q.strip()) | Q(description__icontains=q.strip()))
    order = {**SORTS, "demand": ("-demand", "-vote_count", "-id")}.get(sort, SORTS["votes"])
    return qs.select_related("portal", "status", "category", "product", "submitter").order_by(*order)


def moderation_queue(*, user: Any, workspace: Workspace) -> QuerySet[Idea]:
    """Ideas waiting for approval, oldest first."""
    return (
        permissions.scope(Idea.objects.all(), user, workspace, Action.IDEA_VIEW)
        .filter(approval=Approval.PENDING, deleted_at__isnull=True, merged_into__isnull=True)
        .select_related("portal", "status", "category", "product", "submitter")
        .order_by("created_at", "id")
    )


def portal_roadmap(*, user: Any, portal: Portal, access: PortalAccess) -> dict[str, list[Idea]]:
    """What is planned, in progress and shipped lately (the last 90 days) in the portal, most
    wanted first: ``{category: [ideas]}`` with the three categories always present."""
    since = timezone.now() - dt.timedelta(days=SHIPPED_RECENT_DAYS)
    base = (
        _visible(user, portal, access).filter(merged_into__isnull=True).select_related("status", "category", "product")
    )
    found: dict[str, list[Idea]] = {}
    for category in ROADMAP_CATEGORIES:
        qs = base.filter(status__category=category)
        if category == StatusCategory.SHIPPED:
            qs = qs.filter(status_changed_at__gte=since).order_by("-status_changed_at", "-id")
        else:
            qs = qs.order_by("-vote_count", "-id")
        found[str(category)] = list(qs[:ROADMAP_LIMIT])
    return found


def portal_changelog(*, user: Any, portal: Portal, access: PortalAccess, days: int = 90) -> QuerySet[Idea]:
    """Ideas shipped in the last ``days`` days, newest first."""
    since = timezone.now() - dt.timedelta(days=days)
    return (
        _visible(user, portal, access)
        .filter(merged_into__isnull=True, status__category=StatusCategory.SHIPPED, status_changed_at__gte=since)
        .select_related("status", "category", "product")
        .order_by("-status_changed_at", "-id")
    )

"""Reads for the team's pages under /w/<ws>/ideas/: the filtered idea list, one idea with its votes,
and the choices the forms offer. Everything is scoped through ``core.permissions`` first."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from headway.core import permissions
from headway.core.permissions import Action
from headway.ideas.models import (
    Approval,
    Idea,
    IdeaCategory,
    IdeaStatus,
    Portal,
    PortalAccount,
    Vote,
)
from headway.workspaces.models import Workspace

SORTS = ("votes", "demand", "newest", "trending")
MERGED_CHOICES = {"": "Not merged", "yes": "Merged only", "all": "Merged or not"}
_ID_RE = re.compile(r"#?(\d{1,12})")


def _int(value: Any) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


@dataclass(frozen=True)
class IdeaFilters:
    """The list's filters as read from a query string; unknown values are dropped, not errors."""

    portal: int | None = None
    status: int | None = None
    category: int | None = None
    product: int | None = None
    approval: str = ""
    merged: str = ""
    q: str = ""
    sort: str = "votes"

    @classmethod
    def from_params(cls, params: Any) -> IdeaFilters:
        approval = params.get("approval", "")
        merged = params.get("merged", "")
        sort = params.get("sort", "votes")
        return cls(
            portal=_int(params.get("portal")),
            status=_int(params.get("status")),
            category=_int(params.get("category")),
            product=_int(params.get("product")),
            approval=approval if approval in Approval.values else "",
            merged=merged if merged in MERGED_CHOICES else "",
            q=str(params.get("q", "")).strip()[:200],
            sort=sort if sort in SORTS else "votes",
        )

    def as_params(self) -> dict[str, Any]:
        """Only what differs from the defaults, for links and the export."""
        defaults = IdeaFilters()
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) != getattr(defaults, f.name)}

    @property
    def narrowing(self) -> bool:
        return any(v not in (None, "") for k, v in asdict(self).items() if k != "sort")


def _company_name_of_submitter() -> Subquery:
    return Subquery(
        PortalAccount.objects.filter(portal_id=OuterRef("portal_id"), user_id=OuterRef("submitter_id"))
        .exclude(company__isnull=True)
        .values("company__name")[:1]
    )


def staff_idea_list(*, user: Any, workspace: Workspace, filters: IdeaFilters) -> QuerySet[Idea]:
    """Every live idea of the workspace's portals, filtered and sorted for the team's list: the
    portal selector's ``staff_ideas``, plus "merged only", search by number and the company."""
    from headway.ideas.selectors.portal import staff_ideas

    qs = staff_ideas(
        user=user,
        workspace=workspace,
        portal_id=filters.portal,
        status_id=filters.status,
        approval=filters.approval,
        product_id=filters.product,
        category_id=filters.category,
        sort=filters.sort,
        include_merged=filters.merged != "",
    )
    if filters.merged == "yes":
        qs = qs.filter(merged_into__isnull=False)
    if filters.q:
        match = _ID_RE.fullmatch(filters.q)
        condition = Q(title__icontains=filters.q) | Q(description__icontains=filters.q)
        if match:
            condition |= Q(pk=int(match[1]))
        qs = qs.filter(condition)
    return qs.select_related("on_behalf_company", "feature__product").annotate(
        submitter_company=_company_name_of_submitter()
    )


def staff_idea_get(*, user: Any, workspace: Workspace, idea_id: int) -> Idea:
    """One idea of the workspace (deleted ones too: the team may need to see what was removed)."""
    qs = permissions.scope(
        Idea.objects.select_related(
            "portal",
            "status",
            "product",
            "category",
            "submitter",
            "on_behalf_contact",
            "on_behalf_company",
            "entered_by",
            "feature__product",
            "feature__status",
            "merged_into",
        ),
        user,
        workspace,
        Action.IDEA_VIEW,
    )
    idea: Idea = permissions.get_or_404(qs.annotate(submitter_company=_company_name_of_submitter()), pk=idea_id)
    return idea


def idea_votes(idea: Idea) -> list[Vote]:
    """The idea's votes, biggest customers first: who (a person or a proxied company) and how much."""
    return list(
        Vote.objects.filter(idea=idea)
        .select_related("voter", "company", "contact", "proxy_by")
        .order_by("-company__arr", "-created_at", "-id")
    )


def portal_choices(*, user: Any, workspace: Workspace, include_archived: bool = False) -> list[Portal]:
    qs = permissions.scope(Portal.objects.all(), user, workspace, Action.IDEA_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return list(qs.order_by("name", "id"))


def status_choices(*, user: Any, workspace: Workspace) -> list[IdeaStatus]:
    return list(
        permissions.scope(IdeaStatus.objects.all(), user, workspace, Action.IDEA_VIEW).order_by("position", "id")
    )


def category_choices(*, user: Any, workspace: Workspace) -> list[IdeaCategory]:
    return list(permissions.scope(IdeaCategory.objects.all(), user, workspace, Action.IDEA_VIEW).order_by("name", "id"))


def merge_candidates(*, user: Any, workspace: Workspace, idea: Idea, q: str, limit: int = 10) -> list[Idea]:
    """Ideas this one could be merged into: live, not merged themselves, matching the search (or #id)."""
    q = q.strip()[:200]
    if not q:
        return []
    qs = (
        permissions.scope(Idea.objects.all(), user, workspace, Action.IDEA_VIEW)
        .filter(deleted_at__isnull=True, merged_into__isnull=True)
        .exclude(pk=idea.pk)
    )
    match = _ID_RE.fullmatch(q)
    condition = Q(title__icontains=q) | (Q(pk=int(match[1])) if match else Q(pk__in=[]))
    return list(qs.filter(condition).select_related("portal", "status").order_by("-vote_count", "-id")[:limit])


def status_usage(*, user: Any, workspace: Workspace) -> dict[int, int]:
    """How many live ideas sit in each status (the settings page shows it before a delete)."""
    from django.db.models import Count

    qs = permissions.scope(Idea.objects.all(), user, workspace, Action.IDEA_VIEW).filter(deleted_at__isnull=True)
    return dict(qs.order_by().values_list("status_id").annotate(n=Count("id")).values_list("status_id", "n"))

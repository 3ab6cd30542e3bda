"""Ideas as the backlog sees them: the ideas behind a feature, and the demand of many features."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.permissions import Action
from headway.ideas.models import Idea, Vote


def _linked(feature_ids: Iterable[int]) -> Any:
    """Ideas that count for a feature: linked, not deleted, not merged (their votes moved on)."""
    return Idea.objects.filter(feature_id__in=list(feature_ids), deleted_at__isnull=True, merged_into__isnull=True)


def feature_ideas(*, user: Any, feature: Feature) -> dict[str, Any]:
    """The ideas linked to a feature, for its page: most demanded first, with totals.

    ``ideas``: linked ideas (not deleted, not merged) with ``portal`` and ``status`` loaded;
    ``merged``: linked ideas merged into another since (their votes count on that idea);
    ``totals``: ``ideas``, ``votes``, ``demand`` (Decimal) and ``companies`` (distinct companies
    behind the votes, proxy votes included). Needs IDEA_VIEW in the feature's workspace.
    """
    permissions.require(user, Action.IDEA_VIEW, feature.workspace_id)
    ideas = list(
        _linked([feature.pk]).select_related("portal", "status", "product").order_by("-demand", "-vote_count", "-id")
    )
    merged = list(
        Idea.objects.filter(feature_id=feature.pk, deleted_at__isnull=True, merged_into__isnull=False)
        .select_related("portal", "status", "merged_into")
        .order_by("-id")
    )
    companies = (
        Vote.objects.filter(idea__in=[i.pk for i in ideas], company_id__isnull=False)
        .values("company_id")
        .distinct()
        .count()
        if ideas
        else 0
    )
    return {
        "ideas": ideas,
        "merged": merged,
        "totals": {
            "ideas": len(ideas),
            "votes": sum(i.vote_count for i in ideas),
            "demand": sum((i.demand for i in ideas), Decimal("0")),
            "companies": companies,
        },
    }


def features_demand(feature_ids: Iterable[int]) -> dict[int, Decimal]:
    """Total demand of each feature's linked ideas, in one query; a feature without ideas has 0.

    No permission check: pass ids the caller already scoped (a backlog page, a prioritization).
    """
    ids = list(dict.fromkeys(feature_ids))
    demand = {pk: Decimal("0") for pk in ids}
    if not ids:
        return demand
    rows = _linked(ids).order_by().values("feature_id").annotate(total=Sum("demand"))
    for row in rows:
        demand[row["feature_id"]] = Decimal(row["total"] or 0)
    return demand

"""Evidence of features and ideas: the highlighted passages of feedback linked to them, and the
demand they add next to votes.

A feature's evidence is the highlights linked to it plus those linked to the ideas linked to it
(not deleted, not merged: as ideas count their votes). The same passage of the same note linked
both to the feature and to one of its ideas counts once, at its highest weight.

Demand is weighed when read, from each highlight's importance and its note's company as they are
now, by the workspace's demand settings as they are now; the stored ``Highlight.demand`` is only
the weight when it was written.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Q

from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.permissions import Action
from headway.customers.models import Company
from headway.ideas.models import DemandSettings, Idea
from headway.ideas.selectors.features import features_demand
from headway.ideas.services.votes import demand_weight
from headway.insights.models import Highlight

_CENT = Decimal("0.01")


def _weight(settings: DemandSettings, importance: str, company: Company | None) -> Decimal:
    return demand_weight(settings, importance, company).quantize(_CENT)


def _settings_for(workspace_ids: Iterable[int]) -> dict[int, DemandSettings]:
    """Each workspace's demand settings in one query; the defaults (unsaved) where none is stored."""
    ids = set(workspace_ids)
    found = {s.workspace_id: s for s in DemandSettings.objects.filter(workspace_id__in=ids)}
    return {ws: found.get(ws) or DemandSettings(workspace_id=ws) for ws in ids}


def _counted(feature_ids: list[int]) -> Q:
    return Q(feature_id__in=feature_ids) | Q(
        idea__feature_id__in=feature_ids, idea__deleted_at__isnull=True, idea__merged_into__isnull=True
    )


def evidence_demand(feature_ids: Iterable[int]) -> dict[int, Decimal]:
    """Evidence demand of each feature, in two queries (highlights, demand settings); 0 without evidence.

    No permission check: pass ids the caller already scoped (a backlog page, a prioritization),
    as with ``headway.ideas.selectors.features_demand``.
    """
    ids = list(dict.fromkeys(feature_ids))
    demand = {pk: Decimal("0") for pk in ids}
    if not ids:
        return demand
    rows = list(
        Highlight.objects.filter(_counted(ids))
        .order_by()
        .values_list(
            "workspace_id",
            "feature_id",
            "idea__feature_id",
            "note_id",
            "start",
            "end",
            "importance",
            "note__company_id",
            "note__company__tier",
            "note__company__arr",
        )
    )
    if not rows:
        return demand
    settings = _settings_for(r[0] for r in rows)
    best: dict[tuple[int, int, int, int], Decimal] = {}
    for ws, feature_id, idea_feature_id, note_id, start, end, importance, company_id, tier, arr in rows:
        company = Company(pk=company_id, tier=tier, arr=arr) if company_id else None
        weight = _weight(settings[ws], importance, company)
        key = (feature_id or idea_feature_id, note_id, start, end)
        if weight > best.get(key, Decimal("-1")):
            best[key] = weight
    for (feature_id, *_), weight in best.items():
        if feature_id in demand:
            demand[feature_id] += weight
    return demand


def _customer_name(note: Any) -> str:
    if note.contact is not None:
        return note.contact.name
    if note.customer_name:
        return note.customer_name
    return note.customer_email


def feature_evidence(*, user: Any, feature: Feature) -> dict[str, Any]:
    """A feature's evidence for its page: most demand first, then the bigger company, then the oldest.

    ``items``: dicts with ``highlight``, ``quote``, ``note``, ``customer`` (the contact's or the
    channel's name), ``company``, ``arr``, ``importance`` (label), ``demand`` (Decimal, now), ``idea``
    (the linked idea it came through, or None); ``totals``: ``quotes``, ``companies`` (distinct),
    ``arr`` (sum over those companies), ``demand``; ``demand``: ``votes`` (its ideas' demand,
    ``features_demand``), ``evidence`` and ``total``. Needs INSIGHT_VIEW in the feature's workspace.
    """
    permissions.require(user, Action.INSIGHT_VIEW, feature.workspace_id)
    highlights = list(
        Highlight.objects.filter(_counted([feature.pk]))
        .select_related("note", "note__company", "note__contact", "idea")
        .order_by("-created_at", "-id")
    )
    result = _evidence(highlights, feature.workspace_id, key=lambda h: (h.note_id, h.start, h.end))
    votes = features_demand([feature.pk])[feature.pk]
    evidence = result["totals"]["demand"]
    result["demand"] = {"votes": votes, "evidence": evidence, "total": votes + evidence}
    return result


def idea_evidence(*, user: Any, idea: Idea) -> dict[str, Any]:
    """The evidence linked straight to an idea, shaped as ``feature_evidence``."""
    permissions.require(user, Action.INSIGHT_VIEW, idea.workspace_id)
    highlights = list(
        Highlight.objects.filter(idea_id=idea.pk)
        .select_related("note", "note__company", "note__contact", "idea")
        .order_by("-created_at", "-id")
    )
    return _evidence(highlights, idea.workspace_id, key=lambda h: (h.note_id, h.start, h.end))


def _evidence(highlights: list[Highlight], workspace_id: int, *, key: Any) -> dict[str, Any]:
    settings = _settings_for([workspace_id])[workspace_id]
    items: list[dict[str, Any]] = []
    counted: dict[Any, Decimal] = {}
    companies: dict[int, Company] = {}
    for h in highlights:
        note = h.note
        weight = _weight(settings, h.importance, note.company)
        items.append(
            {
                "highlight": h,
                "quote": h.quote,
                "note": note,
                "customer": _customer_name(note),
                "company": note.company,
                "arr": note.company.arr if note.company is not None else None,
                "importance": h.get_importance_display(),
                "importance_value": h.importance,
                "demand": weight,
                "idea": h.idea,
            }
        )
        k = key(h)
        counted[k] = max(counted.get(k, Decimal("0")), weight)
        if note.company is not None:
            companies[note.company.pk] = note.company
    items.sort(key=lambda item: (-item["demand"], -(item["arr"] or 0), item["highlight"].pk))
    return {
        "items": items,
        "totals": {
            "quotes": len(items),
            "companies": len(companies),
            "arr": sum((c.arr for c in companies.values()), Decimal("0")),
            "demand": sum(counted.values(), Decimal("0")),
        },
    }


SEARCH_LIMIT = 8


def evidence_targets(*, user: Any, workspace: Any, q: str) -> dict[str, list[Any]]:
    """Features and ideas to link a passage to, by title, a feature's reference (PAY-12) or an
    idea's number (#42 or 42): ``{"features": [...], "ideas": [...]}``, at most 8 of each."""
    from headway.backlog.selectors import REF_RE

    permissions.require(user, Action.INSIGHT_MANAGE, workspace)
    q = q.strip()[:200]
    features = permissions.scope(Feature.objects.select_related("product"), user, workspace, Action.BACKLOG_VIEW)
    ideas = permissions.scope(
        Idea.objects.filter(deleted_at__isnull=True, merged_into__isnull=True), user, workspace, Action.IDEA_VIEW
    )
    features = features.filter(archived_at__isnull=True)
    if not q:
        return {
            "features": list(features.order_by("-updated_at", "-id")[:SEARCH_LIMIT]),
            "ideas": list(ideas.order_by("-vote_count", "-id")[:SEARCH_LIMIT]),
        }
    ref = REF_RE.fullmatch(q)
    number = q.lstrip("#")
    if ref is not None:
        found_features = features.filter(product__key=ref[1].upper(), number=int(ref[2]))
    else:
        found_features = features.filter(title__icontains=q)
    if number.isdigit() and len(number) < 12:
        found_ideas = ideas.filter(Q(pk=int(number)) | Q(title__icontains=q))
    else:
        found_ideas = ideas.filter(title__icontains=q)
    return {
        "features": list(found_features.order_by("title", "id")[:SEARCH_LIMIT]),
        "ideas": list(found_ideas.order_by("-vote_count", "-id")[:SEARCH_LIMIT]),
    }

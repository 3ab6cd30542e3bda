"""Votes: one per person per idea (or per company, by proxy), counted exactly under a row lock.

Every write here follows one order: check access, lock the idea's row (``select_for_update``;
SQLite's IMMEDIATE transactions serialise writers instead), write the vote, then ``idea_recount``
recomputes the idea's vote count, demand and trending score from the vote rows.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from headway.core import permissions
from headway.core.errors import Conflict, NotFound, ValidationFailed
from headway.core.permissions import Action, PortalAccess
from headway.customers.models import Company, Contact, Tier
from headway.ideas.events import record_event
from headway.ideas.models import CompanyBasis, DemandSettings, Idea, IdeaEvent, Importance, Subscription, Vote
from headway.ideas.services._common import (
    account_company_id,
    account_of,
    check_importance,
    field_error,
    resolve_company,
    resolve_contact,
    subscribe,
)

TRENDING_EPOCH = 1_700_000_000
TRENDING_SCALE = 45_000

_WEIGHT = DecimalField(max_digits=28, decimal_places=10)


# --- demand ------------------------------------------------------------------------------------


def _importance_weight(settings: DemandSettings, importance: str) -> Decimal:
    weights: dict[str, Decimal] = {
        Importance.NICE_TO_HAVE: settings.nice_to_have_weight,
        Importance.IMPORTANT: settings.important_weight,
        Importance.CRITICAL: settings.critical_weight,
    }
    return weights.get(importance, settings.important_weight)


def demand_weight(settings: DemandSettings, importance: str, company: Company | None) -> Decimal:
    """How much one vote adds to an idea's demand: its importance's weight × its company's weight
    (no company: ``no_company_weight``; basis none: 1; tier: the tier's weight; ARR: 1 + ARR / step)."""
    if company is None:
        company_weight = settings.no_company_weight
    elif settings.company_basis == CompanyBasis.NONE:
        company_weight = Decimal("1")
    elif settings.company_basis == CompanyBasis.TIER:
        tiers: dict[str, Decimal] = {Tier.STRATEGIC: settings.strategic_weight, Tier.KEY: settings.key_weight}
        company_weight = tiers.get(company.tier, settings.standard_weight)
    else:
        company_weight = Decimal("1") + Decimal(company.arr) / Decimal(settings.arr_step)
    return Decimal(_importance_weight(settings, importance)) * Decimal(company_weight)


def demand_expression(settings: DemandSettings, prefix: str = "") -> Any:
    """``demand_weight`` of a vote row as an SQL expression (``prefix`` leads from the row to a vote)."""

    def v(value: Any) -> Value:
        return Value(Decimal(value), output_field=_WEIGHT)

    importance = Case(
        When(**{f"{prefix}importance": Importance.NICE_TO_HAVE}, then=v(settings.nice_to_have_weight)),
        When(**{f"{prefix}importance": Importance.CRITICAL}, then=v(settings.critical_weight)),
        default=v(settings.important_weight),
        output_field=_WEIGHT,
    )
    no_company = When(**{f"{prefix}company__isnull": True}, then=v(settings.no_company_weight))
    if settings.company_basis == CompanyBasis.NONE:
        company = Case(no_company, default=v(1), output_field=_WEIGHT)
    elif settings.company_basis == CompanyBasis.TIER:
        company = Case(
            no_company,
            When(**{f"{prefix}company__tier": Tier.STRATEGIC}, then=v(settings.strategic_weight)),
            When(**{f"{prefix}company__tier": Tier.KEY}, then=v(settings.key_weight)),
            default=v(settings.standard_weight),
            output_field=_WEIGHT,
        )
    else:
        company = Case(
            no_company,
            default=ExpressionWrapper(v(1) + F(f"{prefix}company__arr") / v(settings.arr_step), output_field=_WEIGHT),
            output_field=_WEIGHT,
        )
    return ExpressionWrapper(importance * company, output_field=_WEIGHT)


def trending_score(vote_count: int, created_at: Any) -> float:
    return math.log10(max(vote_count, 1)) + (created_at.timestamp() - TRENDING_EPOCH) / TRENDING_SCALE


def _settings_of(workspace_id: int) -> DemandSettings:
    from headway.ideas.services.portals import demand_settings_get

    return demand_settings_get(workspace=workspace_id)


def idea_recount(idea_id: int, settings: DemandSettings | None = None) -> None:
    """Recompute the idea's vote count, demand and trending score from its vote rows: one
    aggregate query and one update. The caller holds the idea's row lock."""
    row = Idea.objects.filter(pk=idea_id).values("workspace_id", "created_at").first()
    if row is not None:
        recount(idea_id, row["workspace_id"], row["created_at"], settings)


def recount(
    idea_id: int, workspace_id: int, created_at: Any, settings: DemandSettings | None = None
) -> tuple[int, Decimal, float]:
    """``idea_recount`` for a caller that has the idea's row; returns (vote_count, demand, trending).

    One grouped query (votes per importance and company) weighed in Python with ``demand_weight``:
    exact decimals on every database, and far cheaper to build than the SQL expression, which
    matters because it runs inside the vote's write lock."""
    settings = settings or _settings_of(workspace_id)
    rows = (
        Vote.objects.filter(idea_id=idea_id)
        .order_by()
        .values_list("importance", "company_id", "company__tier", "company__arr")
        .annotate(n=Count("id"))
    )
    count, total = 0, Decimal(0)
    for importance, company_id, tier, arr, n in rows:
        company = None if company_id is None else Company(pk=company_id, tier=tier, arr=Decimal(str(arr)))
        count += n
        total += n * demand_weight(settings, importance, company)
    demand = total.quantize(Decimal("0.01"))
    trending = trending_score(count, created_at)
    Idea.objects.filter(pk=idea_id).update(vote_count=count, demand=demand, trending=trending)
    return count, demand, trending


def recompute_workspace_demand(workspace_id: int, settings: DemandSettings | None = None) -> int:
    """Every idea's demand in the workspace, recomputed in one statement (after the weights changed)."""
    settings = settings or _settings_of(workspace_id)
    per_idea = (
        Vote.objects.filter(idea_id=OuterRef("pk"))
        .order_by()
        .values("idea_id")
        .annotate(total=Sum(demand_expression(settings)))
        .values("total")
    )
    return Idea.objects.filter(workspace_id=workspace_id).update(
        demand=Coalesce(Subquery(per_idea, output_field=_WEIGHT), Value(Decimal(0), output_field=_WEIGHT))
    )


# --- casting ----------------------------------------------------------------------------------


def _lock(idea: Idea) -> Idea:
    """The idea's row, locked for the rest of the transaction; refuses deleted and merged ideas."""
    locked = Idea.objects.select_for_update().filter(pk=idea.pk).first()
    if locked is None or locked.deleted_at is not None:
        raise NotFound("No such idea.")
    if locked.merged_into_id is not None:
        target = Idea.objects.filter(pk=locked.merged_into_id).values_list("title", flat=True).first()
        raise Conflict(
            f"This idea was merged into “{target}” (idea {locked.merged_into_id}); vote there instead.",
            fields={"merged_into": [str(locked.merged_into_id)]},
        )
    return locked


def _portal_access(actor: Any, idea: Idea, account: Any = None) -> PortalAccess:
    access = permissions.require_portal(actor, idea.portal, PortalAccess.PARTICIPATE, account)
    if not permissions.portal_can_see_idea(actor, idea, access):
        raise NotFound("No such idea, or it is not open to you.")
    return access


def _refresh_counts(idea: Idea) -> None:
    fresh = Idea.objects.filter(pk=idea.pk).values("vote_count", "demand", "trending").first()
    if fresh:
        idea.vote_count, idea.demand, idea.trending = fresh["vote_count"], fresh["demand"], fresh["trending"]


def _set_counts(idea: Idea, counts: tuple[int, Decimal, float] | None) -> None:
    if counts is not None:
        idea.vote_count, idea.demand, idea.trending = counts


def _cast(
    *, actor: Any, idea: Idea, importance: str, company_id: int | None, settings: DemandSettings | None = None
) -> tuple[Vote, bool, bool, tuple[int, Decimal, float] | None]:
    """Write ``actor``'s vote on the locked ``idea``: (vote, changed, existed before, new counts)."""
    existing = Vote.objects.filter(idea_id=idea.pk, voter_id=actor.pk).first()
    if existing is not None:
        if existing.importance == importance and existing.company_id == company_id:
            return existing, False, True, None
        existing.importance = importance
        existing.company_id = company_id
        existing.save(update_fields=["importance", "company", "updated_at"])
        vote = existing
    else:
        vote = Vote.objects.create(
            workspace_id=idea.workspace_id, idea_id=idea.pk, voter=actor, company_id=company_id, importance=importance
        )
    counts = recount(idea.pk, idea.workspace_id, idea.created_at, settings)
    _set_counts(idea, counts)
    return vote, True, existing is not None, counts


def cast(
    *, actor: Any, idea: Idea, importance: str, company_id: int | None, settings: DemandSettings | None = None
) -> tuple[Vote, bool]:
    """Write ``actor``'s vote (the idea's row is locked by the caller). Returns (vote, changed)."""
    vote, changed, _, _ = _cast(actor=actor, idea=idea, importance=importance, company_id=company_id, settings=settings)
    return vote, changed


def vote_cast(*, actor: Any, idea: Idea, importance: str = "important") -> Vote:
    """Vote for the idea, or change the importance of one's vote. The voter follows the idea
    (unless they unfollowed it before).

    Everything that only reads (access, the voter's company, the demand weights) happens before
    the transaction: on SQLite the transaction holds the one write lock, so it must stay short."""
    importance = check_importance(importance)
    portal = idea.portal
    staff = permissions.is_member(actor, portal.workspace_id)
    account = None if staff else account_of(actor, portal)
    access = _portal_access(actor, idea, account)
    company_id = None if access == PortalAccess.STAFF else account_company_id(account)
    settings = _settings_of(idea.workspace_id)
    with transaction.atomic():
        locked = _lock(idea)
        vote, changed, existed, counts = _cast(
            actor=actor, idea=locked, importance=importance, company_id=company_id, settings=settings
        )
        if changed:
            subscribe(locked, reason=Subscription.Reason.VOTED, user=actor)
            record_event(
                idea=locked,
                kind=IdeaEvent.Kind.VOTED,
                actor=actor,
                payload={
                    "vote": vote.pk,
                    "voter": actor.pk,
                    "company": company_id,
                    "importance": importance,
                    "changed": existed,
                },
            )
    if changed:
        _set_counts(idea, counts)
    else:
        _refresh_counts(idea)
    return vote


def vote_retract(*, actor: Any, idea: Idea) -> None:
    """Withdraw one's vote (nothing happens when there is none)."""
    _portal_access(actor, idea)
    settings = _settings_of(idea.workspace_id)
    with transaction.atomic():
        locked = _lock(idea)
        vote = Vote.objects.filter(idea_id=idea.pk, voter_id=actor.pk).first()
        if vote is None:
            return
        vote_id = vote.pk
        vote.delete()
        counts = recount(locked.pk, locked.workspace_id, locked.created_at, settings)
        record_event(
            idea=locked, kind=IdeaEvent.Kind.UNVOTED, actor=actor, payload={"vote": vote_id, "voter": actor.pk}
        )
    _set_counts(idea, counts)


def _proxy_checks(actor: Any, idea: Idea) -> None:
    permissions.require(actor, Action.IDEA_SUBMIT, idea.workspace_id, idea)


@transaction.atomic
def vote_proxy(*, actor: Any, idea: Idea, company: Any, contact: Any = None, importance: str = "important") -> Vote:
    """A member votes for a company (after a sales or support call), optionally naming the contact
    who asked; one proxy vote per company per idea (casting again changes it)."""
    _proxy_checks(actor, idea)
    importance = check_importance(importance)
    company = resolve_company(idea.workspace_id, company)
    if company is None:
        raise field_error(ValidationFailed, "company", "Choose the company you vote for.")
    contact = resolve_contact(idea.workspace_id, contact)
    if contact is not None and contact.company_id != company.pk:
        raise field_error(ValidationFailed, "contact", f"{contact.name} does not work at {company.name}.")
    locked = _lock(idea)
    vote = proxy_write(actor=actor, idea=locked, company=company, contact=contact, importance=importance)
    if vote is not None:
        if contact is not None:
            subscribe(locked, reason=Subscription.Reason.VOTED, contact=contact)
        record_event(
            idea=locked,
            kind=IdeaEvent.Kind.VOTED,
            actor=actor,
            payload={
                "vote": vote.pk,
                "company": company.pk,
                "contact": contact.pk if contact else None,
                "importance": importance,
                "proxy": True,
            },
        )
    _refresh_counts(idea)
    return vote or Vote.objects.get(idea_id=idea.pk, voter__isnull=True, company_id=company.pk)


def proxy_write(*, actor: Any, idea: Idea, company: Company, contact: Contact | None, importance: str) -> Vote | None:
    """Write a proxy vote (the idea's row is locked by the caller); None when nothing changed."""
    existing = Vote.objects.filter(idea_id=idea.pk, voter__isnull=True, company_id=company.pk).first()
    if existing is not None:
        if existing.importance == importance and existing.contact_id == (contact.pk if contact else None):
            return None
        existing.importance = importance
        existing.contact = contact
        existing.proxy_by = actor
        existing.save(update_fields=["importance", "contact", "proxy_by", "updated_at"])
        vote = existing
    else:
        vote = Vote.objects.create(
            workspace_id=idea.workspace_id,
            idea_id=idea.pk,
            voter=None,
            company=company,
            contact=contact,
            importance=importance,
            proxy_by=actor,
        )
    idea_recount(idea.pk)
    return vote


@transaction.atomic
def vote_proxy_retract(*, actor: Any, idea: Idea, company: Any) -> None:
    _proxy_checks(actor, idea)
    company = resolve_company(idea.workspace_id, company)
    if company is None:
        raise field_error(ValidationFailed, "company", "Choose the company whose vote you withdraw.")
    locked = _lock(idea)
    vote = Vote.objects.filter(idea_id=idea.pk, voter__isnull=True, company_id=company.pk).first()
    if vote is None:
        return
    vote_id = vote.pk
    vote.delete()
    idea_recount(idea.pk)
    record_event(
        idea=locked,
        kind=IdeaEvent.Kind.UNVOTED,
        actor=actor,
        payload={"vote": vote_id, "company": company.pk, "proxy": True},
    )
    _refresh_counts(idea)

"""API: portals, ideas and what hangs off an idea (votes, comments, merges, the feature link, events).

For workspace members with a token (or a signed-in session); people who only have a portal account
are not members, so every operation answers them 404. Portals are managed by leaders and admins;
ideas are read by every member, submitted and voted on a customer's behalf by contributors and up,
and managed (status, approval, merge, feature link, edits) by PMs and up.

Errors: 422 for a value the schema or a rule refuses; 404 when a path id, or an id in the body
(``portal_id``, ``status_id``, ``product_id``, ``company_id``, …), names nothing in this workspace
(the ``fields`` of the error name the body field); 409 when the state is in the way (an archived
portal, a slug taken, an idea already merged); 403 when the role may not; 429 when a flood limit
is reached.

Portals are archived, not deleted (``POST /portals/{id}/archive``, undone by ``…/restore``); ideas
are deleted softly (``DELETE /ideas/{id}``: they leave every list and portal, and answer 404).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.api import Page, api_field_names, paginate, responses, workspace_of
from headway.core.errors import Conflict, NotFound
from headway.core.permissions import Action
from headway.customers.models import Company, Contact
from headway.ideas import schemas as s
from headway.ideas import selectors, services
from headway.ideas.models import Idea, IdeaCategory, IdeaComment, IdeaEvent, IdeaStatus, Portal, Vote
from headway.portfolio.models import Product

router = Router(tags=["ideas"])

# Services name fields as Python does (``product``); clients sent ``product_id``.
_RENAMES = {
    "portal": "portal_id",
    "product": "product_id",
    "products": "product_ids",
    "category": "category_id",
    "status": "status_id",
    "on_behalf_contact": "on_behalf_contact_id",
    "on_behalf_company": "on_behalf_company_id",
    "company": "company_id",
    "contact": "contact_id",
    "target": "target_id",
    "feature": "feature_id",
    # The idea in the path is no body field: its errors belong to the request as a whole.
    "idea": "__all__",
    "source": "__all__",
}

_IDEA_RELATED = (
    "status",
    "category",
    "submitter",
    "on_behalf_contact",
    "on_behalf_company",
    "merged_into",
)

EVENTS_DESCRIPTION = (
    "Every event of the idea, newest first: created, approved, voted, vote withdrawn, status changed, "
    "shipped, commented, official reply, merged, unmerged, linked to a feature, edited, deleted. The log "
    "is webhook-ready: each event is recorded when it happens, with the payload a webhook would carry "
    "(ids and public text, never internal comments), and `delivered_at` stays empty until a webhook "
    "integration delivers it."
)


def _missing(field: str, what: str, pk: int) -> NotFound:
    msg = f"No {what} {pk} in this workspace."
    return NotFound(f"{field}: {msg}", fields={field: [msg]})


def _ref(request: HttpRequest, queryset: Any, pk: int, field: str, what: str, action: Action) -> Any:
    """An object of this workspace named by a body or query id; 404 naming the field when not."""
    workspace = workspace_of(request)  # a non-member gets the plain 404, no field named
    obj = permissions.scope(queryset, request.user, workspace, action).filter(pk=pk).first()
    if obj is None:
        raise _missing(field, what, pk)
    return obj


def _portal(request: HttpRequest, portal_id: int) -> Portal:
    workspace = workspace_of(request)
    qs = permissions.scope(
        Portal.objects.prefetch_related("portal_products"), request.user, workspace, Action.IDEA_VIEW
    )
    return permissions.get_or_404(qs, pk=portal_id)


def _ideas(request: HttpRequest) -> Any:
    workspace = workspace_of(request)
    qs = Idea.objects.select_related(*_IDEA_RELATED).filter(deleted_at__isnull=True)
    return permissions.scope(qs, request.user, workspace, Action.IDEA_VIEW)


def _idea(request: HttpRequest, idea_id: int) -> Idea:
    idea: Idea = permissions.get_or_404(_ideas(request), pk=idea_id)
    return idea


def _fresh(request: HttpRequest, idea: Idea) -> Idea:
    """The idea as stored now, with what the output reads (a service may have changed counts)."""
    return _idea(request, idea.pk)


def _company(request: HttpRequest, pk: int, field: str = "company_id") -> Company:
    return _ref(request, Company.objects.all(), pk, field, "company", Action.CUSTOMER_VIEW)


def _contact(request: HttpRequest, pk: int, field: str = "contact_id") -> Contact:
    return _ref(request, Contact.objects.select_related("company"), pk, field, "contact", Action.CUSTOMER_VIEW)


def _product(request: HttpRequest, pk: int, field: str = "product_id") -> Product:
    return _ref(request, Product.objects.all(), pk, field, "product", Action.PORTFOLIO_VIEW)


def _category(request: HttpRequest, pk: int) -> IdeaCategory:
    return _ref(request, IdeaCategory.objects.all(), pk, "category_id", "idea category", Action.IDEA_VIEW)


def _feature(request: HttpRequest, pk: int, field: str = "feature_id") -> Feature:
    qs = Feature.objects.select_related("product", "status", "owner")
    return _ref(request, qs, pk, field, "feature", Action.BACKLOG_VIEW)


# --- portals ----------------------------------------------------------------------------------


@router.get("/portals", response=responses({200: Page[s.PortalOut]}), summary="List portals")
def portal_list(request: HttpRequest, filters: Query[s.PortalFilters]) -> dict:
    """By name. Archived portals only with ``include_archived=true``."""
    workspace = workspace_of(request)
    qs = selectors.portals_for_workspace(user=request.user, workspace=workspace)
    if not filters.include_archived:
        qs = qs.filter(archived_at__isnull=True)
    qs = qs.prefetch_related("portal_products").order_by("name", "id")
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.post(
    "/portals",
    response=responses({201: s.PortalOut}),
    summary="Create a portal",
    description="Leaders and admins. The slug is the portal's address (/p/<slug>/) and must be free across "
    "the whole installation (409 when taken).",
)
def portal_create(request: HttpRequest, data: s.PortalIn) -> Status:
    workspace = workspace_of(request)
    products = [_product(request, pk, "product_ids") for pk in dict.fromkeys(data.product_ids)]
    body = data.model_dump(exclude={"product_ids", "allowed_domains"})
    with api_field_names(_RENAMES):
        portal = services.portal_create(
            actor=request.user,
            workspace=workspace,
            allowed_domains="\n".join(data.allowed_domains),
            products=products,
            **body,
        )
    return Status(201, _portal(request, portal.pk))


@router.get("/portals/{portal_id}", response=responses({200: s.PortalOut}), summary="Get a portal")
def portal_get(request: HttpRequest, portal_id: int) -> Portal:
    return _portal(request, portal_id)


@router.patch(
    "/portals/{portal_id}",
    response=responses({200: s.PortalOut}),
    summary="Change a portal",
    description="Leaders and admins. Send only the fields to change; product_ids replaces the portal's products. "
    "Archived portals are read-only (409) until restored.",
)
def portal_update(request: HttpRequest, portal_id: int, data: s.PortalPatch) -> Portal:
    portal = _portal(request, portal_id)
    fields = data.model_dump(exclude_unset=True)
    if "product_ids" in fields:
        fields["products"] = [_product(request, pk, "product_ids") for pk in dict.fromkeys(fields.pop("product_ids"))]
    if "allowed_domains" in fields:
        fields["allowed_domains"] = "\n".join(fields["allowed_domains"])
    with api_field_names(_RENAMES):
        services.portal_update(actor=request.user, portal=portal, **fields)
    return _portal(request, portal_id)


@router.post(
    "/portals/{portal_id}/archive",
    response=responses({200: s.PortalOut}),
    summary="Archive a portal",
    description="Leaders and admins. The portal closes to everyone (its pages answer 404) and keeps its ideas; "
    "POST …/restore opens it again.",
)
def portal_archive(request: HttpRequest, portal_id: int) -> Portal:
    services.portal_archive(actor=request.user, portal=_portal(request, portal_id))
    return _portal(request, portal_id)


@router.post(
    "/portals/{portal_id}/restore",
    response=responses({200: s.PortalOut}),
    summary="Restore an archived portal",
    description="Leaders and admins.",
)
def portal_restore(request: HttpRequest, portal_id: int) -> Portal:
    services.portal_restore(actor=request.user, portal=_portal(request, portal_id))
    return _portal(request, portal_id)


# --- ideas ------------------------------------------------------------------------------------


@router.get("/ideas", response=responses({200: Page[s.IdeaOut]}), summary="List ideas")
def idea_list(request: HttpRequest, filters: Query[s.IdeaQuery]) -> dict:
    """Every live idea of the workspace's portals (deleted ones never), most votes first by default.
    ``sort``: votes, demand, newest or trending."""
    workspace = workspace_of(request)
    qs = selectors.staff_ideas(
        user=request.user,
        workspace=workspace,
        portal_id=filters.portal_id,
        status_id=filters.status_id,
        status_category=filters.status_category or "",
        approval=filters.approval or "",
        product_id=filters.product_id,
        category_id=filters.category_id,
        q=filters.q,
        sort=filters.sort,
        include_merged=filters.merged is not False,
    )
    if filters.merged:
        qs = qs.filter(merged_into__isnull=False)
    qs = qs.select_related(*_IDEA_RELATED)
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.post(
    "/ideas",
    response=responses({201: s.IdeaOut}),
    summary="Submit an idea",
    description="Any member may submit in their own name; contributors and up may file an idea on a customer's "
    "behalf (on_behalf_contact_id and/or on_behalf_company_id), e.g. after a sales call. The submitter's vote "
    "is cast with the given importance.",
)
def idea_create(request: HttpRequest, data: s.IdeaIn) -> Status:
    workspace_of(request)
    portal = _ref(request, Portal.objects.all(), data.portal_id, "portal_id", "portal", Action.IDEA_VIEW)
    if portal.archived_at is not None:
        msg = "The portal is archived; restore it before submitting ideas to it."
        raise Conflict(f"portal_id: {msg}", fields={"portal_id": [msg]})
    fields: dict[str, Any] = {
        "title": data.title,
        "description": data.description,
        "importance": data.importance,
        "audience": data.audience,
    }
    if data.product_id is not None:
        fields["product"] = _product(request, data.product_id)
    if data.category_id is not None:
        fields["category"] = _category(request, data.category_id)
    if data.on_behalf_contact_id is not None:
        fields["on_behalf_contact"] = _contact(request, data.on_behalf_contact_id, "on_behalf_contact_id")
    if data.on_behalf_company_id is not None:
        fields["on_behalf_company"] = _company(request, data.on_behalf_company_id, "on_behalf_company_id")
    with api_field_names(_RENAMES):
        idea = services.idea_create(
            actor=request.user, portal=portal, ip_address=request.META.get("REMOTE_ADDR"), **fields
        )
    return Status(201, _fresh(request, idea))


@router.get("/ideas/{idea_id}", response=responses({200: s.IdeaOut}), summary="Get an idea")
def idea_get(request: HttpRequest, idea_id: int) -> Idea:
    return _idea(request, idea_id)


@router.patch(
    "/ideas/{idea_id}",
    response=responses({200: s.IdeaOut}),
    summary="Change an idea",
    description="PMs and up change any idea (recorded in the audit log); its author may edit it until others "
    "have voted. Send only the fields to change; null clears product_id or category_id.",
)
def idea_update(request: HttpRequest, idea_id: int, data: s.IdeaPatch) -> Idea:
    idea = _idea(request, idea_id)
    fields = data.model_dump(exclude_unset=True)
    if "product_id" in fields:
        pk = fields.pop("product_id")
        fields["product"] = None if pk is None else _product(request, pk)
    if "category_id" in fields:
        pk = fields.pop("category_id")
        fields["category"] = None if pk is None else _category(request, pk)
    with api_field_names(_RENAMES):
        services.idea_update(actor=request.user, idea=idea, **fields)
    return _fresh(request, idea)


@router.delete(
    "/ideas/{idea_id}",
    response=responses({204: None}),
    summary="Delete an idea",
    description="Soft: the idea leaves every list and portal and answers 404 from then on; its rows are kept.",
)
def idea_delete(request: HttpRequest, idea_id: int) -> Status:
    services.idea_delete(actor=request.user, idea=_idea(request, idea_id))
    return Status(204, None)


@router.post(
    "/ideas/{idea_id}/status",
    response=responses({200: s.IdeaOut}),
    summary="Change an idea's status",
    description="PMs and up. The optional message is public: the submitter, voters and followers are told "
    "(in the app and by email) of the new status with it.",
)
def idea_status(request: HttpRequest, idea_id: int, data: s.IdeaStatusIn) -> Idea:
    idea = _idea(request, idea_id)
    status = _ref(request, IdeaStatus.objects.all(), data.status_id, "status_id", "idea status", Action.IDEA_VIEW)
    with api_field_names(_RENAMES):
        services.idea_status_change(actor=request.user, idea=idea, status=status, message=data.message)
    return _fresh(request, idea)


@router.post(
    "/ideas/{idea_id}/approve",
    response=responses({200: s.IdeaOut}),
    summary="Approve a waiting idea",
    description="PMs and up. The idea appears in its portal.",
)
def idea_approve(request: HttpRequest, idea_id: int) -> Idea:
    idea = _idea(request, idea_id)
    with api_field_names(_RENAMES):
        services.idea_approve(actor=request.user, idea=idea)
    return _fresh(request, idea)


@router.post(
    "/ideas/{idea_id}/reject",
    response=responses({200: s.IdeaOut}),
    summary="Reject a waiting idea",
    description="PMs and up. Only its submitter and the team still see it.",
)
def idea_reject(request: HttpRequest, idea_id: int) -> Idea:
    idea = _idea(request, idea_id)
    with api_field_names(_RENAMES):
        services.idea_reject(actor=request.user, idea=idea)
    return _fresh(request, idea)


# --- votes ------------------------------------------------------------------------------------


@router.get(
    "/ideas/{idea_id}/votes", response=responses({200: Page[s.IdeaVoteOut]}), summary="An idea's votes, newest first"
)
def vote_list(request: HttpRequest, idea_id: int, filters: Query[s.IdeaListPage]) -> dict:
    idea = _idea(request, idea_id)
    qs = (
        Vote.objects.filter(idea=idea)
        .select_related("voter", "company", "contact", "proxy_by")
        .order_by("-created_at", "-id")
    )
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.post(
    "/ideas/{idea_id}/votes",
    response=responses({200: s.IdeaVoteOut}),
    summary="Vote, or change a vote",
    description="Without company_id: your own vote (one per person; sending it again changes the importance). "
    "With company_id (and optionally contact_id, a contact of that company), or contact_id alone: a proxy vote "
    "on that customer's behalf, one per company (contributors and up).",
)
def vote_cast(request: HttpRequest, idea_id: int, data: s.IdeaVoteIn) -> Vote:
    idea = _idea(request, idea_id)
    with api_field_names(_RENAMES):
        if data.company_id is None and data.contact_id is None:
            vote = services.vote_cast(actor=request.user, idea=idea, importance=data.importance)
        else:
            contact = None if data.contact_id is None else _contact(request, data.contact_id)
            company = _company(request, data.company_id) if data.company_id is not None else contact.company  # type: ignore[union-attr]
            vote = services.vote_proxy(
                actor=request.user, idea=idea, company=company, contact=contact, importance=data.importance
            )
    return Vote.objects.select_related("voter", "company", "contact", "proxy_by").get(pk=vote.pk)


@router.delete("/ideas/{idea_id}/votes", response=responses({204: None}), summary="Withdraw your vote")
def vote_retract(request: HttpRequest, idea_id: int) -> Status:
    idea = _idea(request, idea_id)
    services.vote_retract(actor=request.user, idea=idea)
    return Status(204, None)


@router.delete(
    "/ideas/{idea_id}/votes/proxy/{company_id}",
    response=responses({204: None}),
    summary="Withdraw a proxy vote cast for a company",
    description="Contributors and up.",
)
def vote_proxy_retract(request: HttpRequest, idea_id: int, company_id: int) -> Status:
    idea = _idea(request, idea_id)
    company = permissions.get_or_404(
        permissions.scope(Company.objects.all(), request.user, workspace_of(request), Action.CUSTOMER_VIEW),
        pk=company_id,
    )
    with api_field_names(_RENAMES):
        services.vote_proxy_retract(actor=request.user, idea=idea, company=company)
    return Status(204, None)


# --- comments ---------------------------------------------------------------------------------


@router.get(
    "/ideas/{idea_id}/comments",
    response=responses({200: Page[s.IdeaCommentOut]}),
    summary="An idea's comments, oldest first",
    description="Members see internal comments too (internal: true); portal users never do.",
)
def comment_list(request: HttpRequest, idea_id: int, filters: Query[s.IdeaListPage]) -> dict:
    idea = _idea(request, idea_id)
    qs = selectors.idea_comments(user=request.user, idea=idea)
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.post(
    "/ideas/{idea_id}/comments",
    response=responses({201: s.IdeaCommentOut}),
    summary="Comment on an idea",
    description="Contributors and up. A public comment from a member is an official reply (its followers are "
    "told); an internal one is seen by members only and tells nobody.",
)
def comment_add(request: HttpRequest, idea_id: int, data: s.IdeaCommentIn) -> Status:
    idea = _idea(request, idea_id)
    with api_field_names(_RENAMES):
        comment = services.comment_add(actor=request.user, idea=idea, body=data.body, internal=data.internal)
    return Status(201, IdeaComment.objects.select_related("author").get(pk=comment.pk))


# --- merges -----------------------------------------------------------------------------------


@router.post(
    "/ideas/{idea_id}/merge",
    response=responses({200: s.IdeaOut}),
    summary="Merge a duplicate into another idea",
    description="PMs and up. Votes (one per person, keeping the higher importance), followers and demand move "
    "to the target; this idea shows merged_into and its followers are told. POST …/unmerge puts it back exactly.",
)
def idea_merge(request: HttpRequest, idea_id: int, data: s.IdeaMergeIn) -> Idea:
    source = _idea(request, idea_id)
    target = _ref(
        request, Idea.objects.filter(deleted_at__isnull=True), data.target_id, "target_id", "idea", Action.IDEA_VIEW
    )
    with api_field_names(_RENAMES):
        services.idea_merge(actor=request.user, source=source, target=target)
    return _fresh(request, source)


@router.post(
    "/ideas/{idea_id}/unmerge",
    response=responses({200: s.IdeaOut}),
    summary="Undo a merge",
    description="PMs and up. The idea gets back exactly the votes, followers and status it had.",
)
def idea_unmerge(request: HttpRequest, idea_id: int) -> Idea:
    idea = _idea(request, idea_id)
    with api_field_names(_RENAMES):
        services.idea_unmerge(actor=request.user, idea=idea)
    return _fresh(request, idea)


# --- backlog ----------------------------------------------------------------------------------


@router.post(
    "/ideas/{idea_id}/feature",
    response=responses({200: s.IdeaOut}),
    summary="Link an idea to a feature",
    description="PMs and up. Many ideas may share one feature; when the feature's status changes, its ideas "
    "follow (as the workspace maps feature statuses to idea statuses).",
)
def idea_link_feature(request: HttpRequest, idea_id: int, data: s.IdeaFeatureIn) -> Idea:
    idea = _idea(request, idea_id)
    feature = _feature(request, data.feature_id)
    with api_field_names(_RENAMES):
        services.idea_link_feature(actor=request.user, idea=idea, feature=feature)
    return _fresh(request, idea)


@router.delete(
    "/ideas/{idea_id}/feature",
    response=responses({204: None}),
    summary="Unlink an idea from its feature",
    description="PMs and up.",
)
def idea_unlink_feature(request: HttpRequest, idea_id: int) -> Status:
    idea = _idea(request, idea_id)
    with api_field_names(_RENAMES):
        services.idea_unlink_feature(actor=request.user, idea=idea)
    return Status(204, None)


@router.post(
    "/ideas/{idea_id}/promote",
    response=responses({201: s.IdeaPromoteOut}),
    summary="Promote an idea to a new feature",
    description="PMs and up (who may add features to that product). The feature is created at the bottom of the "
    "product's backlog with the idea's title and description, and the idea is linked to it.",
)
def idea_promote(request: HttpRequest, idea_id: int, data: s.IdeaPromoteIn) -> Status:
    idea = _idea(request, idea_id)
    product = None if data.product_id is None else _product(request, data.product_id)
    with api_field_names(_RENAMES):
        feature = services.idea_promote(actor=request.user, idea=idea, product=product, title=data.title)
    feature = _feature(request, feature.pk)
    return Status(201, {"idea": _fresh(request, idea), "feature": feature})


@router.get(
    "/ideas/{idea_id}/events",
    response=responses({200: Page[s.IdeaEventOut]}),
    summary="An idea's event log, newest first",
    description=EVENTS_DESCRIPTION,
)
def event_list(request: HttpRequest, idea_id: int, filters: Query[s.IdeaListPage]) -> dict:
    idea = _idea(request, idea_id)
    qs = IdeaEvent.objects.filter(idea=idea).select_related("actor").order_by("-created_at", "-id")
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get(
    "/features/{feature_id}/ideas",
    response=responses({200: s.FeatureIdeasOut}),
    summary="The ideas linked to a feature, with their total votes and demand",
)
def feature_ideas(request: HttpRequest, feature_id: int) -> dict:
    workspace = workspace_of(request)
    from headway.backlog import selectors as backlog_selectors

    feature = backlog_selectors.feature_get(actor=request.user, workspace=workspace, feature_id=feature_id)
    result = selectors.feature_ideas(user=request.user, feature=feature)
    return {"feature_id": feature.pk, **result}

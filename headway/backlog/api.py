"""API: features (with their requirements, dependencies, comments and links), the workflow, saved views.

Errors: 422 for a value the schema refuses; 404 when a path id, or an id in the body
(``product_id``, ``status_id``, ``owner_id``, …), names nothing in this workspace (or, for
``component_id``, nothing in the feature's product; for ``before``/``after``, nothing in its
backlog); 409 when the state is in the way (an archived item, a name taken, a dependency cycle,
a status still in use); 403 when the role may not. The ``fields`` of an error name the body field.

Features are archived, not deleted (``POST /features/{id}/archive``, undone by ``…/restore``);
requirements, dependencies, comments, links, statuses and saved views are deleted with DELETE.
"""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Lower
from django.http import HttpRequest
from ninja import Query, Router, Status

from headway.backlog import schemas as s
from headway.backlog import selectors, services
from headway.backlog.filters import FeatureFilters
from headway.backlog.models import Feature, FeatureDependency, Tag
from headway.core import permissions
from headway.core.api import Page, api_field_names, paginate, responses, workspace_of
from headway.core.errors import NotFound
from headway.core.permissions import Action
from headway.portfolio.models import Component, Product
from headway.strategy.models import Initiative

router = Router(tags=["backlog"])

_RENAMES = {
    "product": "product_id",
    "component": "component_id",
    "initiative": "initiative_id",
    "objectives": "objective_ids",
    "owner": "owner_id",
    "status": "status_id",
    "blocker": "blocked_by",
    "features": "feature_ids",
}


def _missing(field: str, what: str, pk: int) -> NotFound:
    msg = f"No {what} {pk} in this workspace."
    return NotFound(f"{field}: {msg}", fields={field: [msg]})


def _feature(request: HttpRequest, feature_id: int) -> Feature:
    return selectors.feature_get(actor=request.user, workspace=workspace_of(request), feature_id=feature_id)


def _scoped(request: HttpRequest, model: Any, pk: int, field: str, what: str, action: Action, **extra: Any) -> Any:
    workspace = workspace_of(request)  # a non-member gets the plain 404, no field named
    obj = permissions.scope(model.objects.all(), request.user, workspace, action).filter(pk=pk, **extra).first()
    if obj is None:
        raise _missing(field, what, pk)
    return obj


def _refs(request: HttpRequest, data: dict[str, Any], product: Product) -> dict[str, Any]:
    """The body's fields as the service takes them: ids become objects of this workspace (404
    naming the field when not); a component must be one of ``product``."""
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key == "product_id":
            continue
        if key == "component_id":
            what = f"component of {product.key} with id"
            fields["component"] = (
                None
                if value is None
                else _scoped(request, Component, value, key, what, Action.BACKLOG_VIEW, product=product)
            )
        elif key == "initiative_id":
            fields["initiative"] = (
                None if value is None else _scoped(request, Initiative, value, key, "initiative", Action.BACKLOG_VIEW)
            )
        elif key == "status_id":
            fields["status"] = None if value is None else _ref_status(request, value)
        elif key.endswith("_ids"):
            fields[key.removesuffix("_ids") + "s"] = value
        else:
            fields[key.removesuffix("_id")] = value
    return fields


def _ref_status(request: HttpRequest, status_id: int) -> Any:
    try:
        return selectors.status_get(actor=request.user, workspace=workspace_of(request), status_id=status_id)
    except NotFound:
        raise _missing("status_id", "workflow status", status_id) from None


def _ref_product(request: HttpRequest, product_id: int) -> Product:
    return _scoped(request, Product, product_id, "product_id", "product", Action.BACKLOG_VIEW)


def _ref_feature(request: HttpRequest, feature_id: int, field: str, product_id: int | None = None) -> Feature:
    workspace = workspace_of(request)
    qs = selectors.feature_list(
        actor=request.user, workspace=workspace, filters=FeatureFilters(include_archived=True, product=product_id)
    )
    feature = qs.filter(pk=feature_id).first()
    if feature is None:
        where = "this product's backlog" if product_id else "this workspace"
        msg = f"No feature {feature_id} in {where}."
        raise NotFound(f"{field}: {msg}", fields={field: [msg]})
    return feature


def _with_objectives(qs: Any) -> Any:
    return qs.prefetch_related("objective_links")


# --- features ---------------------------------------------------------------------------------


@router.get("/features", response=responses({200: Page[s.FeatureOut]}), summary="List features")
def feature_list(request: HttpRequest, filters: Query[s.FeatureQuery]) -> dict:
    """In backlog order per product by default (``ordering=rank``). ``initiative_id``, ``objective_id``
    and ``owner_id`` take 0 for "none"."""
    workspace = workspace_of(request)
    tag_id = None
    if filters.tag:
        tag = Tag.objects.filter(workspace=workspace).annotate(lname=Lower("name")).filter(lname=filters.tag.lower())
        tag_id = tag.values_list("pk", flat=True).first() or 0
    qs = selectors.feature_list(
        actor=request.user,
        workspace=workspace,
        filters=FeatureFilters(
            product=filters.product_id,
            initiative=filters.initiative_id,
            objective=filters.objective_id,
            owner=filters.owner_id,
            status=filters.status_id,
            category=filters.category or "",
            tag=tag_id,
            search=filters.search.strip(),
            include_archived=filters.include_archived,
        ),
        ordering=filters.ordering,
    )
    return paginate(_with_objectives(qs), page=filters.page, page_size=filters.page_size)


# Before /features/{feature_id}: the paths are matched in this order.
@router.post(
    "/features/bulk",
    response=responses({200: s.BulkOut}),
    summary="Change many features at once",
    description="Status, owner, initiative and tags of up to 500 features, all or nothing: every feature must be "
    "editable by you and not archived.",
)
def feature_bulk(request: HttpRequest, data: s.BulkIn) -> dict:
    workspace = workspace_of(request)
    fields: dict[str, Any] = {}
    if "status_id" in data.model_fields_set:
        fields["status"] = _ref_status(request, data.status_id)
    if "owner_id" in data.model_fields_set:
        fields["owner"] = data.owner_id
    if "initiative_id" in data.model_fields_set:
        fields["initiative"] = (
            None
            if data.initiative_id is None
            else _scoped(request, Initiative, data.initiative_id, "initiative_id", "initiative", Action.BACKLOG_VIEW)
        )
    with api_field_names(_RENAMES):
        updated = services.feature_bulk_update(
            actor=request.user,
            workspace=workspace,
            features=data.feature_ids,
            add_tags=data.add_tags or (),
            remove_tags=data.remove_tags or (),
            **fields,
        )
    return {"updated": updated}


@router.get("/features/{feature_id}", response=responses({200: s.FeatureOut}), summary="Get a feature")
def feature_get(request: HttpRequest, feature_id: int) -> Feature:
    return _feature(request, feature_id)


@router.post(
    "/features",
    response=responses({201: s.FeatureOut}),
    summary="Create a feature",
    description="Leaders and admins, or the PM who owns the product. It goes to the bottom of the product's "
    "backlog, in the workflow's default status unless status_id is given.",
)
def feature_create(request: HttpRequest, data: s.FeatureIn) -> Status:
    workspace = workspace_of(request)
    body = data.model_dump()
    product = _ref_product(request, body["product_id"])
    fields = _refs(request, body, product)
    with api_field_names(_RENAMES):
        feature = services.feature_create(actor=request.user, workspace=workspace, product=product, **fields)
    return Status(201, feature)


@router.patch(
    "/features/{feature_id}",
    response=responses({200: s.FeatureOut}),
    summary="Change a feature",
    description="Send only the fields to change. Moving to another product (product_id) needs the right to edit "
    "features of both. Archived features are read-only (409) until restored.",
)
def feature_update(request: HttpRequest, feature_id: int, data: s.FeaturePatch) -> Feature:
    feature = _feature(request, feature_id)
    body = data.model_dump(exclude_unset=True)
    product = _ref_product(request, body["product_id"]) if "product_id" in body else feature.product
    fields = _refs(request, body, product)
    if "product_id" in body:
        fields["product"] = product
    with api_field_names(_RENAMES):
        return services.feature_update(actor=request.user, feature=feature, **fields)


@router.post(
    "/features/{feature_id}/move",
    response=responses({200: s.FeatureOut}),
    summary="Rank a feature before or after another",
    description="Writes one row: the feature gets a rank key between its new neighbours; no other feature changes.",
)
def feature_move(request: HttpRequest, feature_id: int, data: s.MoveIn) -> Feature:
    feature = _feature(request, feature_id)
    before = _ref_feature(request, data.before, "before", feature.product_id) if data.before else None
    after = _ref_feature(request, data.after, "after", feature.product_id) if data.after else None
    return services.feature_move(actor=request.user, feature=feature, before=before, after=after)


@router.post(
    "/features/{feature_id}/archive",
    response=responses({200: s.FeatureOut}),
    summary="Archive a feature",
    description="It leaves the backlog and the board, keeping its history; POST …/restore brings it back.",
)
def feature_archive(request: HttpRequest, feature_id: int) -> Feature:
    return services.feature_archive(actor=request.user, feature=_feature(request, feature_id))


@router.post(
    "/features/{feature_id}/restore", response=responses({200: s.FeatureOut}), summary="Restore an archived feature"
)
def feature_restore(request: HttpRequest, feature_id: int) -> Feature:
    return services.feature_restore(actor=request.user, feature=_feature(request, feature_id))


@router.get(
    "/features/{feature_id}/status-history",
    response=responses({200: list[s.StatusChangeOut]}),
    summary="A feature's status changes, oldest first (the first is its creation)",
)
def feature_status_history(request: HttpRequest, feature_id: int) -> list:
    return selectors.status_history(_feature(request, feature_id))


# --- requirements -----------------------------------------------------------------------------


@router.get(
    "/features/{feature_id}/requirements",
    response=responses({200: list[s.RequirementOut]}),
    summary="A feature's requirements, in checklist order",
)
def requirement_list(request: HttpRequest, feature_id: int) -> list:
    return selectors.requirements_of(_feature(request, feature_id))


@router.post(
    "/features/{feature_id}/requirements",
    response=responses({201: s.RequirementOut}),
    summary="Add a requirement (user story) at the end of the checklist",
)
def requirement_add(request: HttpRequest, feature_id: int, data: s.RequirementIn) -> Status:
    feature = _feature(request, feature_id)
    return Status(201, services.requirement_add(actor=request.user, feature=feature, **data.model_dump()))


def _requirement(request: HttpRequest, requirement_id: int) -> Any:
    return selectors.requirement_get(actor=request.user, workspace=workspace_of(request), requirement_id=requirement_id)


@router.patch(
    "/requirements/{requirement_id}", response=responses({200: s.RequirementOut}), summary="Change a requirement"
)
def requirement_update(request: HttpRequest, requirement_id: int, data: s.RequirementPatch) -> Any:
    requirement = _requirement(request, requirement_id)
    return services.requirement_update(
        actor=request.user, requirement=requirement, **data.model_dump(exclude_unset=True)
    )


@router.post(
    "/requirements/{requirement_id}/move",
    response=responses({200: s.RequirementOut}),
    summary="Reorder a requirement in its checklist",
)
def requirement_move(request: HttpRequest, requirement_id: int, data: s.PositionIn) -> Any:
    requirement = _requirement(request, requirement_id)
    return services.requirement_move(actor=request.user, requirement=requirement, position=data.position)


@router.delete("/requirements/{requirement_id}", response=responses({204: None}), summary="Delete a requirement")
def requirement_delete(request: HttpRequest, requirement_id: int) -> Status:
    services.requirement_delete(actor=request.user, requirement=_requirement(request, requirement_id))
    return Status(204, None)


# --- dependencies -----------------------------------------------------------------------------


@router.get(
    "/features/{feature_id}/dependencies",
    response=responses({200: s.DependenciesOut}),
    summary="What blocks a feature, and what it blocks",
)
def dependency_list(request: HttpRequest, feature_id: int) -> dict:
    blocked_by, blocks = selectors.dependencies_of(_feature(request, feature_id))
    return {"blocked_by": blocked_by, "blocks": blocks}


@router.post(
    "/features/{feature_id}/dependencies",
    response=responses({201: s.DependencyOut}),
    summary="Add a dependency",
    description="blocked_by: this feature waits for that one; blocks: that one waits for this. Refused (409) "
    "when it would close a cycle; the message names it, e.g. PAY-12 → PAY-15 → PAY-12.",
)
def dependency_add(request: HttpRequest, feature_id: int, data: s.DependencyIn) -> Status:
    feature = _feature(request, feature_id)
    if data.blocked_by is not None:
        blocker, blocked = _ref_feature(request, data.blocked_by, "blocked_by"), feature
    else:
        blocker, blocked = feature, _ref_feature(request, data.blocks, "blocks")  # type: ignore[arg-type]
    renames = {"blocker": "blocked_by" if data.blocked_by is not None else "__all__", "blocked": "blocks"}
    with api_field_names(renames):
        dependency = services.dependency_add(actor=request.user, blocker=blocker, blocked=blocked)
    return Status(201, dependency)


@router.delete("/dependencies/{dependency_id}", response=responses({204: None}), summary="Remove a dependency")
def dependency_remove(request: HttpRequest, dependency_id: int) -> Status:
    dependency: FeatureDependency = selectors.dependency_get(
        actor=request.user, workspace=workspace_of(request), dependency_id=dependency_id
    )
    services.dependency_remove(actor=request.user, dependency=dependency)
    return Status(204, None)


# --- comments and links -----------------------------------------------------------------------


@router.get(
    "/features/{feature_id}/comments", response=responses({200: list[s.CommentOut]}), summary="A feature's comments"
)
def comment_list(request: HttpRequest, feature_id: int) -> list:
    return selectors.comments_of(_feature(request, feature_id))


@router.post(
    "/features/{feature_id}/comments",
    response=responses({201: s.CommentOut}),
    summary="Comment on a feature",
    description="Contributors and up. Markdown; shown sanitised.",
)
def comment_add(request: HttpRequest, feature_id: int, data: s.CommentIn) -> Status:
    feature = _feature(request, feature_id)
    return Status(201, services.comment_add(actor=request.user, feature=feature, body=data.body))


@router.delete(
    "/comments/{comment_id}",
    response=responses({204: None}),
    summary="Delete your comment",
    description="Only its author may delete a comment.",
)
def comment_delete(request: HttpRequest, comment_id: int) -> Status:
    comment = selectors.comment_get(actor=request.user, workspace=workspace_of(request), comment_id=comment_id)
    services.comment_delete(actor=request.user, comment=comment)
    return Status(204, None)


@router.get("/features/{feature_id}/links", response=responses({200: list[s.LinkOut]}), summary="A feature's links")
def link_list(request: HttpRequest, feature_id: int) -> list:
    return selectors.links_of(_feature(request, feature_id))


@router.post("/features/{feature_id}/links", response=responses({201: s.LinkOut}), summary="Attach a link")
def link_add(request: HttpRequest, feature_id: int, data: s.LinkIn) -> Status:
    feature = _feature(request, feature_id)
    return Status(201, services.link_add(actor=request.user, feature=feature, url=data.url, title=data.title))


@router.delete("/links/{link_id}", response=responses({204: None}), summary="Remove a link")
def link_remove(request: HttpRequest, link_id: int) -> Status:
    link = selectors.link_get(actor=request.user, workspace=workspace_of(request), link_id=link_id)
    services.link_remove(actor=request.user, link=link)
    return Status(204, None)


# --- workflow ---------------------------------------------------------------------------------


@router.get(
    "/workflow-statuses",
    response=responses({200: list[s.StatusOut]}),
    summary="The workflow: statuses in order",
    description="On a workspace's first use the default workflow is created: New, Discovery, Ready (not started), "
    "In progress (active), Released (done), Parked and Won't do (closed).",
)
def status_list(request: HttpRequest) -> list:
    return services.workflow_ensure_defaults(actor=request.user, workspace=workspace_of(request))


def _status(request: HttpRequest, status_id: int) -> Any:
    return selectors.status_get(actor=request.user, workspace=workspace_of(request), status_id=status_id)


@router.post(
    "/workflow-statuses",
    response=responses({201: s.StatusOut}),
    summary="Add a status at the end of the workflow",
    description="Leaders and admins.",
)
def status_create(request: HttpRequest, data: s.StatusIn) -> Status:
    status = services.workflow_status_create(actor=request.user, workspace=workspace_of(request), **data.model_dump())
    return Status(201, status)


@router.patch(
    "/workflow-statuses/{status_id}",
    response=responses({200: s.StatusOut}),
    summary="Rename a status, change its category, or make it the default",
)
def status_update(request: HttpRequest, status_id: int, data: s.StatusPatch) -> Any:
    status = _status(request, status_id)
    return services.workflow_status_update(actor=request.user, status=status, **data.model_dump(exclude_unset=True))


@router.post("/workflow-statuses/{status_id}/move", response=responses({200: s.StatusOut}), summary="Reorder a status")
def status_move(request: HttpRequest, status_id: int, data: s.PositionIn) -> Any:
    return services.workflow_status_move(actor=request.user, status=_status(request, status_id), position=data.position)


@router.delete(
    "/workflow-statuses/{status_id}",
    response=responses({204: None}),
    summary="Delete an unused status",
    description="Refused (409) for the default status and for statuses features are or have been in.",
)
def status_delete(request: HttpRequest, status_id: int) -> Status:
    services.workflow_status_delete(actor=request.user, status=_status(request, status_id))
    return Status(204, None)


@router.get("/backlog-settings", response=responses({200: s.SettingsOut}), summary="How the workspace estimates")
def settings_get(request: HttpRequest) -> Any:
    return selectors.backlog_settings_of(actor=request.user, workspace=workspace_of(request))


@router.patch(
    "/backlog-settings",
    response=responses({200: s.SettingsOut}),
    summary="Change the effort unit",
    description="Leaders and admins. Existing estimates keep their numbers (they are not converted).",
)
def settings_update(request: HttpRequest, data: s.SettingsIn) -> Any:
    return services.backlog_settings_update(
        actor=request.user, workspace=workspace_of(request), effort_unit=data.effort_unit
    )


@router.get("/tags", response=responses({200: list[s.TagOut]}), summary="The workspace's feature tags")
def tag_list(request: HttpRequest) -> list:
    return list(selectors.tag_list(actor=request.user, workspace=workspace_of(request)))


# --- saved views ------------------------------------------------------------------------------


@router.get("/saved-views", response=responses({200: list[s.SavedViewOut]}), summary="Your saved views and shared ones")
def saved_view_list(request: HttpRequest) -> list:
    return selectors.saved_views(actor=request.user, workspace=workspace_of(request))


@router.post("/saved-views", response=responses({201: s.SavedViewOut}), summary="Save a view (named filters)")
def saved_view_create(request: HttpRequest, data: s.SavedViewIn) -> Status:
    view = services.saved_view_create(
        actor=request.user,
        workspace=workspace_of(request),
        name=data.name,
        filters=data.filters.model_dump(exclude_none=True),
        shared=data.shared,
    )
    return Status(201, view)


def _view(request: HttpRequest, view_id: int) -> Any:
    return selectors.saved_view_get(actor=request.user, workspace=workspace_of(request), view_id=view_id)


@router.patch(
    "/saved-views/{view_id}",
    response=responses({200: s.SavedViewOut}),
    summary="Change your saved view",
    description="Only its owner may change it (others get 403 on a shared view).",
)
def saved_view_update(request: HttpRequest, view_id: int, data: s.SavedViewPatch) -> Any:
    fields = data.model_dump(exclude_unset=True)
    if "filters" in fields:
        fields["filters"] = data.filters.model_dump(exclude_none=True)
    return services.saved_view_update(actor=request.user, saved_view=_view(request, view_id), **fields)


@router.delete("/saved-views/{view_id}", response=responses({204: None}), summary="Delete your saved view")
def saved_view_delete(request: HttpRequest, view_id: int) -> Status:
    services.saved_view_delete(actor=request.user, saved_view=_view(request, view_id))
    return Status(204, None)

"""API: visions, objectives (the cascade), key results, check-ins and initiatives of the token's workspace.

Objectives and initiatives are never hard-deleted: ``POST …/{id}/archive`` takes them out (their
history stays) and ``…/restore`` brings them back. A key result can be deleted (DELETE), which is
recorded in its objective's history.

Errors: 422 for a value the schema or a rule refuses (dates out of order, a target on the wrong
side of the start, an objective under its own descendant); 409 when an archived item is in the
way, a vision already exists, or an objective is done; 404 when a path id, or an id in the body
(``parent_id``, ``owner_id``, ``objective_id``, …), names nothing in this workspace. The ``fields``
of the error name the body field.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from headway.core.api import Page, api_field_names, paginate, responses, workspace_of
from headway.core.errors import NotFound, ValidationFailed
from headway.portfolio import selectors as portfolio
from headway.portfolio.models import Product, ProductLine
from headway.strategy import progress as rule
from headway.strategy import selectors, services
from headway.strategy.models import Initiative, KeyResult, Objective, Vision
from headway.strategy.periods import period_end, period_label
from headway.strategy.schemas import (
    CheckInIn,
    CheckInOut,
    InitiativeFilters,
    InitiativeIn,
    InitiativeOut,
    InitiativePatch,
    KeyResultFilters,
    KeyResultIn,
    KeyResultOut,
    KeyResultPatch,
    ObjectiveFilters,
    ObjectiveIn,
    ObjectiveMoveIn,
    ObjectiveOut,
    ObjectivePatch,
    PageFilters,
    VisionIn,
    VisionOut,
    VisionPatch,
    VisionVersionOut,
)

router = Router(tags=["strategy"])

NO_DELETE = " Nothing is deleted: use POST …/archive (reversible with …/restore); there is no DELETE."


# --- helpers ----------------------------------------------------------------------------------


def _ref(request: HttpRequest, field: str, what: str, getter: Any, pk: int | None) -> Any:
    """Resolve an id sent in a body; 404 naming the body field when it names nothing here."""
    if pk is None:
        return None
    workspace = workspace_of(request)  # outside the try: a non-member gets the plain 404, no field named
    try:
        return getter(actor=request.user, workspace=workspace, pk=pk)
    except NotFound as exc:
        msg = f"No {what} {pk} in this workspace."
        raise NotFound(f"{field}: {msg}", fields={field: [msg]}) from exc


def _objective_ref(request: HttpRequest, pk: int | None, field: str = "parent_id") -> Objective | None:
    return _ref(
        request,
        field,
        "objective",
        lambda actor, workspace, pk: selectors.objective_get(actor=actor, workspace=workspace, objective_id=pk),
        pk,
    )


def _line_ref(request: HttpRequest, pk: int | None) -> ProductLine | None:
    return _ref(
        request,
        "product_line_id",
        "product line",
        lambda actor, workspace, pk: portfolio.product_line_get(actor=actor, workspace=workspace, product_line_id=pk),
        pk,
    )


def _product_ref(request: HttpRequest, pk: int | None) -> Product | None:
    return _ref(
        request,
        "product_id",
        "product",
        lambda actor, workspace, pk: portfolio.product_get(actor=actor, workspace=workspace, product_id=pk),
        pk,
    )


def _with_progress(objectives: list[Objective], progress: dict[int, float | None]) -> list[Objective]:
    for objective in objectives:
        objective.progress = progress.get(objective.pk)  # type: ignore[attr-defined]
        objective.period = period_label(objective.period_kind, objective.starts_on, objective.ends_on)  # type: ignore[attr-defined]
    return objectives


def _objective_out(request: HttpRequest, objective: Objective) -> Objective:
    workspace = workspace_of(request)
    if objective.archived_at is None:
        progress = selectors.progress_map(actor=request.user, workspace=workspace)
    else:
        krs = list(KeyResult.objects.filter(objective=objective))
        progress = rule.roll_up([objective], krs)
    return _with_progress([objective], progress)[0]


def _objective(request: HttpRequest, objective_id: int) -> Objective:
    return selectors.objective_get(actor=request.user, workspace=workspace_of(request), objective_id=objective_id)


def _key_result(request: HttpRequest, key_result_id: int) -> KeyResult:
    return selectors.key_result_get(actor=request.user, workspace=workspace_of(request), key_result_id=key_result_id)


def _kr_out(key_result: KeyResult) -> KeyResult:
    key_result.progress = rule.kr_progress(key_result)  # type: ignore[attr-defined]
    return key_result


def _initiative(request: HttpRequest, initiative_id: int) -> Initiative:
    return selectors.initiative_get(actor=request.user, workspace=workspace_of(request), initiative_id=initiative_id)


def _vision(request: HttpRequest, vision_id: int) -> Vision:
    return selectors.vision_get(actor=request.user, workspace=workspace_of(request), vision_id=vision_id)


_OBJECTIVE_RENAMES = {
    "owner": "owner_id",
    "parent": "parent_id",
    "product_line": "product_line_id",
    "product": "product_id",
}


def _objective_refs(request: HttpRequest, fields: dict[str, Any]) -> dict[str, Any]:
    """Body ids → objects, for the fields present."""
    if "owner_id" in fields:
        fields["owner"] = fields.pop("owner_id")
    if "product_line_id" in fields:
        fields["product_line"] = _line_ref(request, fields.pop("product_line_id"))
    if "product_id" in fields:
        fields["product"] = _product_ref(request, fields.pop("product_id"))
    return fields


# --- objectives -------------------------------------------------------------------------------


@router.get("/objectives", response=responses({200: Page[ObjectiveOut]}), summary="List objectives")
def objective_list(request: HttpRequest, filters: Query[ObjectiveFilters]) -> dict:
    workspace = workspace_of(request)
    qs = selectors.objective_list(
        actor=request.user,
        workspace=workspace,
        search=filters.search,
        status=filters.status,
        owner=filters.owner_id,
        parent=filters.parent_id,
        top_level=filters.top_level,
        product=filters.product_id,
        active_on=filters.active_on,
        include_archived=filters.include_archived,
        ordering=filters.ordering,
    )
    page = paginate(qs, page=filters.page, page_size=filters.page_size)
    progress = selectors.progress_map(actor=request.user, workspace=workspace)
    _with_progress(page["items"], progress)
    return page


@router.get("/objectives/{objective_id}", response=responses({200: ObjectiveOut}), summary="Get an objective")
def objective_get(request: HttpRequest, objective_id: int) -> Objective:
    return _objective_out(request, _objective(request, objective_id))


@router.post(
    "/objectives",
    response=responses({201: ObjectiveOut}),
    summary="Create an objective",
    description="Leaders and admins. Under `parent_id` (or at the top of the cascade), last among its siblings. "
    "For a quarter, half or year, `ends_on` may be left out. The owner must be a PM, leader or admin.",
)
def objective_create(request: HttpRequest, data: ObjectiveIn) -> Status:
    workspace = workspace_of(request)
    fields = data.model_dump()
    fields["parent"] = _objective_ref(request, fields.pop("parent_id"))
    fields = _objective_refs(request, fields)
    if fields["ends_on"] is None:
        fields["ends_on"] = period_end(fields["period_kind"], fields["starts_on"])
        if fields["ends_on"] is None:
            msg = "Give the end date of custom dates."
            raise ValidationFailed(f"ends_on: {msg}", fields={"ends_on": [msg]})
    with api_field_names(_OBJECTIVE_RENAMES):
        objective = services.objective_create(actor=request.user, workspace=workspace, **fields)
    return Status(201, _objective_out(request, objective))


@router.patch(
    "/objectives/{objective_id}",
    response=responses({200: ObjectiveOut}),
    summary="Change an objective",
    description="Leaders and admins. Send only the fields to change; use …/move to change the parent. "
    "Archived objectives are read-only (409) until restored.",
)
def objective_update(request: HttpRequest, objective_id: int, data: ObjectivePatch) -> Objective:
    objective = _objective(request, objective_id)
    fields = _objective_refs(request, data.model_dump(exclude_unset=True))
    with api_field_names(_OBJECTIVE_RENAMES):
        services.objective_update(actor=request.user, objective=objective, **fields)
    return _objective_out(request, objective)


@router.post(
    "/objectives/{objective_id}/move",
    response=responses({200: ObjectiveOut}),
    summary="Re-parent or reorder an objective",
    description="Leaders and admins. Its children move with it. Refused (422) when `parent_id` is the objective "
    "itself or one of its descendants: an objective cannot be its own ancestor.",
)
def objective_move(request: HttpRequest, objective_id: int, data: ObjectiveMoveIn) -> Objective:
    objective = _objective(request, objective_id)
    parent = _objective_ref(request, data.parent_id)
    with api_field_names(_OBJECTIVE_RENAMES):
        services.objective_move(actor=request.user, objective=objective, parent=parent, position=data.position)
    return _objective_out(request, objective)


@router.post(
    "/objectives/{objective_id}/archive",
    response=responses({200: ObjectiveOut}),
    summary="Archive an objective",
    description="Leaders and admins. Refused (409) while it has active children: move or archive them first."
    + NO_DELETE,
)
def objective_archive(request: HttpRequest, objective_id: int) -> Objective:
    objective = services.objective_archive(actor=request.user, objective=_objective(request, objective_id))
    return _objective_out(request, objective)


@router.post(
    "/objectives/{objective_id}/restore",
    response=responses({200: ObjectiveOut}),
    summary="Restore an archived objective",
    description="Refused (409) while its parent is archived.",
)
def objective_restore(request: HttpRequest, objective_id: int) -> Objective:
    objective = services.objective_restore(actor=request.user, objective=_objective(request, objective_id))
    return _objective_out(request, objective)


@router.get(
    "/objectives/{objective_id}/check-ins",
    response=responses({200: Page[CheckInOut]}),
    summary="List an objective's check-ins",
    description="Newest first.",
)
def check_in_list(request: HttpRequest, objective_id: int, filters: Query[PageFilters]) -> dict:
    objective = _objective(request, objective_id)
    qs = selectors.check_in_list(actor=request.user, workspace=workspace_of(request), objective=objective)
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.post(
    "/objectives/{objective_id}/check-ins",
    response=responses({201: CheckInOut}),
    summary="Check in on an objective",
    description="The objective's owner, leaders and admins. Optionally sets new current values of its key results; "
    "the check-in keeps the resulting progress, and the newest check-in's health becomes the objective's status. "
    "Refused (409) on a done, dropped or archived objective.",
)
def check_in_create(request: HttpRequest, objective_id: int, data: CheckInIn) -> Status:
    objective = _objective(request, objective_id)
    values: dict[int, Any] = {}
    for item in data.values:
        if item.key_result_id in values:
            msg = f"Key result {item.key_result_id} is listed twice."
            raise ValidationFailed(f"values: {msg}", fields={"values": [msg]})
        values[item.key_result_id] = item.value
    check_in = services.check_in_create(
        actor=request.user,
        objective=objective,
        health=data.health,
        comment=data.comment,
        date=data.date,
        values=values,
    )
    return Status(201, check_in)


# --- key results ------------------------------------------------------------------------------


@router.get("/key-results", response=responses({200: Page[KeyResultOut]}), summary="List key results")
def key_result_list(request: HttpRequest, filters: Query[KeyResultFilters]) -> dict:
    qs = selectors.key_result_list(actor=request.user, workspace=workspace_of(request), objective=filters.objective_id)
    page = paginate(qs, page=filters.page, page_size=filters.page_size)
    page["items"] = [_kr_out(kr) for kr in page["items"]]
    return page


@router.get("/key-results/{key_result_id}", response=responses({200: KeyResultOut}), summary="Get a key result")
def key_result_get(request: HttpRequest, key_result_id: int) -> KeyResult:
    return _kr_out(_key_result(request, key_result_id))


@router.post(
    "/key-results",
    response=responses({201: KeyResultOut}),
    summary="Add a key result to an objective",
    description="Leaders and admins. To increase, the target must be above the start; to decrease, below it "
    "(422 otherwise). The current value starts at the start value unless given.",
)
def key_result_create(request: HttpRequest, data: KeyResultIn) -> Status:
    fields = data.model_dump()
    objective = _objective_ref(request, fields.pop("objective_id"), field="objective_id")
    with api_field_names(dict(objective="objective_id")):
        key_result = services.key_result_create(actor=request.user, objective=objective, **fields)
    return Status(201, _kr_out(key_result))


@router.patch(
    "/key-results/{key_result_id}",
    response=responses({200: KeyResultOut}),
    summary="Change a key result",
    description="Changing only `current_value` is open to the objective's owner, leaders and admins; anything "
    "else is for leaders and admins.",
)
def key_result_update(request: HttpRequest, key_result_id: int, data: KeyResultPatch) -> KeyResult:
    key_result = _key_result(request, key_result_id)
    services.key_result_update(actor=request.user, key_result=key_result, **data.model_dump(exclude_unset=True))
    return _kr_out(key_result)


@router.delete(
    "/key-results/{key_result_id}",
    response=responses({204: None}),
    summary="Delete a key result",
    description="Leaders and admins. Recorded in the objective's history.",
)
def key_result_delete(request: HttpRequest, key_result_id: int) -> Status:
    services.key_result_delete(actor=request.user, key_result=_key_result(request, key_result_id))
    return Status(204, None)


# --- initiatives ------------------------------------------------------------------------------


def _initiative_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "owner_id" in fields:
        fields["owner"] = fields.pop("owner_id")
    if "objective_ids" in fields:
        fields["objectives"] = fields.pop("objective_ids")
    if "product_ids" in fields:
        fields["products"] = fields.pop("product_ids")
    return fields


_INITIATIVE_RENAMES = {"owner": "owner_id", "objectives": "objective_ids", "products": "product_ids"}


@router.get("/initiatives", response=responses({200: Page[InitiativeOut]}), summary="List initiatives")
def initiative_list(request: HttpRequest, filters: Query[InitiativeFilters]) -> dict:
    qs = selectors.initiative_list(
        actor=request.user,
        workspace=workspace_of(request),
        search=filters.search,
        status=filters.status,
        owner=filters.owner_id,
        objective=filters.objective_id,
        product=filters.product_id,
        include_archived=filters.include_archived,
        ordering=filters.ordering,
    )
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get("/initiatives/{initiative_id}", response=responses({200: InitiativeOut}), summary="Get an initiative")
def initiative_get(request: HttpRequest, initiative_id: int) -> Initiative:
    return _initiative(request, initiative_id)


@router.post(
    "/initiatives",
    response=responses({201: InitiativeOut}),
    summary="Create an initiative",
    description="Leaders and admins. `objective_ids` and `product_ids` name active objectives and products of "
    "this workspace.",
)
def initiative_create(request: HttpRequest, data: InitiativeIn) -> Status:
    workspace = workspace_of(request)
    with api_field_names(_INITIATIVE_RENAMES):
        initiative = services.initiative_create(
            actor=request.user, workspace=workspace, **_initiative_fields(data.model_dump())
        )
    return Status(201, _initiative(request, initiative.pk))


@router.patch(
    "/initiatives/{initiative_id}",
    response=responses({200: InitiativeOut}),
    summary="Change an initiative",
    description="Leaders and admins. Send only the fields to change; `objective_ids` and `product_ids` replace "
    "the linked ones. Archived initiatives are read-only (409) until restored.",
)
def initiative_update(request: HttpRequest, initiative_id: int, data: InitiativePatch) -> Initiative:
    initiative = _initiative(request, initiative_id)
    with api_field_names(_INITIATIVE_RENAMES):
        services.initiative_update(
            actor=request.user, initiative=initiative, **_initiative_fields(data.model_dump(exclude_unset=True))
        )
    return _initiative(request, initiative_id)


@router.post(
    "/initiatives/{initiative_id}/archive",
    response=responses({200: InitiativeOut}),
    summary="Archive an initiative",
    description="Leaders and admins." + NO_DELETE,
)
def initiative_archive(request: HttpRequest, initiative_id: int) -> Initiative:
    services.initiative_archive(actor=request.user, initiative=_initiative(request, initiative_id))
    return _initiative(request, initiative_id)


@router.post(
    "/initiatives/{initiative_id}/restore",
    response=responses({200: InitiativeOut}),
    summary="Restore an archived initiative",
)
def initiative_restore(request: HttpRequest, initiative_id: int) -> Initiative:
    services.initiative_restore(actor=request.user, initiative=_initiative(request, initiative_id))
    return _initiative(request, initiative_id)


# --- visions ----------------------------------------------------------------------------------


@router.get(
    "/visions",
    response=responses({200: Page[VisionOut]}),
    summary="List visions",
    description="The workspace's vision first, then products' visions by product key.",
)
def vision_list(request: HttpRequest, filters: Query[PageFilters]) -> dict:
    qs = selectors.vision_list(actor=request.user, workspace=workspace_of(request))
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get("/visions/{vision_id}", response=responses({200: VisionOut}), summary="Get a vision")
def vision_get(request: HttpRequest, vision_id: int) -> Vision:
    return _vision(request, vision_id)


@router.post(
    "/visions",
    response=responses({201: VisionOut}),
    summary="Write a vision",
    description="Leaders and admins. Without `product_id` the workspace's vision, else that product's. One each: "
    "409 if it exists (change it with PATCH). Saved as version 1.",
)
def vision_create(request: HttpRequest, data: VisionIn) -> Status:
    workspace = workspace_of(request)
    fields = data.model_dump()
    product = _product_ref(request, fields.pop("product_id"))
    with api_field_names(dict(product="product_id")):
        vision = services.vision_create(actor=request.user, workspace=workspace, product=product, **fields)
    return Status(201, vision)


@router.patch(
    "/visions/{vision_id}",
    response=responses({200: VisionOut}),
    summary="Change a vision",
    description="Leaders and admins. Every change is kept as a new version (see …/versions).",
)
def vision_update(request: HttpRequest, vision_id: int, data: VisionPatch) -> Vision:
    vision = _vision(request, vision_id)
    return services.vision_update(actor=request.user, vision=vision, **data.model_dump(exclude_unset=True))


@router.get(
    "/visions/{vision_id}/versions",
    response=responses({200: Page[VisionVersionOut]}),
    summary="List a vision's versions",
    description="Newest first: the full text after each change, with its author.",
)
def vision_versions(request: HttpRequest, vision_id: int, filters: Query[PageFilters]) -> dict:
    vision = _vision(request, vision_id)
    qs = selectors.vision_versions(actor=request.user, vision=vision)
    return paginate(qs, page=filters.page, page_size=filters.page_size)

"""API: product lines, products and components of the token's workspace.

Nothing here is ever hard-deleted: there is no DELETE. ``POST …/{id}/archive`` hides an item
and keeps its history; ``POST …/{id}/restore`` brings it back.

Errors: 422 for a value the schema or a rule refuses; 409 when the name or key is taken or an
archived item is in the way; 404 when a path id, or an id in the body (``product_line_id``,
``product_id``, ``owner_id``), names nothing in this workspace. The ``fields`` of the error name
the body field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from headway.core.api import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    Id,
    Matching,
    Page,
    StrictIn,
    api_field_names,
    paginate,
    responses,
    workspace_of,
)
from headway.core.errors import NotFound
from headway.portfolio import selectors, services
from headway.portfolio.models import Component, Product, ProductLine, product_key_validator

router = Router(tags=["portfolio"])

StageName = Literal["concept", "development", "growth", "mature", "sunset"]
LineOrdering = Literal[
    "position", "-position", "name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"
]  # fmt: skip
ProductOrdering = Literal[
    "position", "-position", "name", "-name", "key", "-key", "stage", "-stage",
    "created_at", "-created_at", "updated_at", "-updated_at",
]  # fmt: skip

# The service upper-cases the key, so "pay" is taken (and stored) as PAY: the pattern says so.
ProductKey = Annotated[
    str,
    Field(
        min_length=2, max_length=10, description="2-10 letters or digits, starting with a letter; stored upper-case."
    ),
    Matching(r"^[A-Za-z][A-Za-z0-9]{1,9}$", product_key_validator.message, examples=["PAY"]),
]
NO_DELETE = " Nothing is deleted: use POST …/archive (reversible with …/restore); there is no DELETE."


# --- output -----------------------------------------------------------------------------------


class OwnerOut(Schema):
    id: int
    email: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.display_name


class ProductLineOut(Schema):
    id: int
    name: str
    description: str
    position: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProductOut(Schema):
    id: int
    product_line_id: int
    key: str
    name: str
    description: str
    owner_id: int | None
    owner: OwnerOut | None
    stage: str
    target_customers: str
    position: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ComponentOut(Schema):
    id: int
    product_id: Id
    name: str
    description: str
    position: int
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


# --- input ------------------------------------------------------------------------------------
# PATCH schemas: a field left out is unchanged; a field sent must have the right type (null is
# accepted only where it means something: owner_id = null removes the owner).


class ProductLineIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=20_000)


class ProductLinePatch(StrictIn):
    name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    description: str = Field(None, max_length=20_000)  # type: ignore[assignment]


class ProductIn(StrictIn):
    product_line_id: Id
    name: str = Field(min_length=1, max_length=100)
    key: ProductKey
    description: str = Field("", max_length=20_000)
    owner_id: Id | None = None
    stage: StageName = "concept"
    target_customers: str = Field("", max_length=20_000)


class ProductPatch(StrictIn):
    name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    key: ProductKey = None  # type: ignore[assignment]
    description: str = Field(None, max_length=20_000)  # type: ignore[assignment]
    owner_id: Id | None = None
    stage: StageName = None  # type: ignore[assignment]
    target_customers: str = Field(None, max_length=20_000)  # type: ignore[assignment]


class ComponentIn(StrictIn):
    product_id: Id
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=20_000)


class ComponentPatch(StrictIn):
    name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    description: str = Field(None, max_length=20_000)  # type: ignore[assignment]


# Schema class names are OpenAPI component names, shared by every app: keep them unique.
class PositionIn(StrictIn):
    position: int = Field(ge=0, le=2**31 - 1, description="0 = first; a position past the end means last")


class ProductMoveIn(PositionIn):
    product_line_id: Id | None = Field(None, description="move to this product line (default: stay)")


class ComponentMoveIn(PositionIn):
    product_id: Id | None = Field(None, description="move to this product (default: stay)")


class PortfolioPageFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    include_archived: bool = False


class ProductLineFilters(PortfolioPageFilters):
    search: str = ""
    ordering: LineOrdering = "position"


class ProductFilters(PortfolioPageFilters):
    search: str = Field("", description="part of the name or key")
    stage: StageName | Literal[""] = ""
    owner_id: Id | None = None
    product_line_id: Id | None = None
    ordering: ProductOrdering = "position"


class ComponentFilters(PortfolioPageFilters):
    search: str = ""
    product_id: Id | None = None
    ordering: LineOrdering = "position"


# --- helpers ----------------------------------------------------------------------------------


def _line_ref(request: HttpRequest, line_id: int, field: str = "product_line_id") -> ProductLine:
    workspace = workspace_of(request)  # outside the try: a non-member gets the plain 404, no field named
    try:
        return selectors.product_line_get(actor=request.user, workspace=workspace, product_line_id=line_id)
    except NotFound as exc:
        msg = f"No product line {line_id} in this workspace."
        raise NotFound(f"{field}: {msg}", fields={field: [msg]}) from exc


def _product_ref(request: HttpRequest, product_id: int, field: str = "product_id") -> Product:
    workspace = workspace_of(request)  # outside the try: a non-member gets the plain 404, no field named
    try:
        return selectors.product_get(actor=request.user, workspace=workspace, product_id=product_id)
    except NotFound as exc:
        msg = f"No product {product_id} in this workspace."
        raise NotFound(f"{field}: {msg}", fields={field: [msg]}) from exc


def _line(request: HttpRequest, line_id: int) -> ProductLine:
    return selectors.product_line_get(actor=request.user, workspace=workspace_of(request), product_line_id=line_id)


def _product(request: HttpRequest, product_id: int) -> Product:
    return selectors.product_get(actor=request.user, workspace=workspace_of(request), product_id=product_id)


def _component(request: HttpRequest, component_id: int) -> Component:
    return selectors.component_get(actor=request.user, workspace=workspace_of(request), component_id=component_id)


# --- product lines ----------------------------------------------------------------------------


@router.get("/product-lines", response=responses({200: Page[ProductLineOut]}), summary="List product lines")
def product_line_list(request: HttpRequest, filters: Query[ProductLineFilters]) -> dict:
    qs = selectors.product_line_list(
        actor=request.user,
        workspace=workspace_of(request),
        search=filters.search,
        include_archived=filters.include_archived,
        ordering=filters.ordering,
    )
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get("/product-lines/{line_id}", response=responses({200: ProductLineOut}), summary="Get a product line")
def product_line_get(request: HttpRequest, line_id: int) -> ProductLine:
    return _line(request, line_id)


@router.post(
    "/product-lines",
    response=responses({201: ProductLineOut}),
    summary="Create a product line",
    description="Leaders and admins. The new line goes last.",
)
def product_line_create(request: HttpRequest, data: ProductLineIn) -> Status:
    line = services.product_line_create(actor=request.user, workspace=workspace_of(request), **data.model_dump())
    return Status(201, line)


@router.patch(
    "/product-lines/{line_id}",
    response=responses({200: ProductLineOut}),
    summary="Change a product line",
    description="Send only the fields to change. Archived product lines are read-only (409) until restored.",
)
def product_line_update(request: HttpRequest, line_id: int, data: ProductLinePatch) -> ProductLine:
    line = _line(request, line_id)
    return services.product_line_update(actor=request.user, product_line=line, **data.model_dump(exclude_unset=True))


@router.post(
    "/product-lines/{line_id}/archive",
    response=responses({200: ProductLineOut}),
    summary="Archive a product line",
    description="Refused (409) while the line still has active products: move or archive them first." + NO_DELETE,
)
def product_line_archive(request: HttpRequest, line_id: int) -> ProductLine:
    return services.product_line_archive(actor=request.user, product_line=_line(request, line_id))


@router.post(
    "/product-lines/{line_id}/restore",
    response=responses({200: ProductLineOut}),
    summary="Restore an archived product line",
)
def product_line_restore(request: HttpRequest, line_id: int) -> ProductLine:
    return services.product_line_restore(actor=request.user, product_line=_line(request, line_id))


@router.post("/product-lines/{line_id}/move", response=responses({200: ProductLineOut}), summary="Reorder a line")
def product_line_move(request: HttpRequest, line_id: int, data: PositionIn) -> ProductLine:
    return services.product_line_move(actor=request.user, product_line=_line(request, line_id), position=data.position)


# --- products ---------------------------------------------------------------------------------


@router.get("/products", response=responses({200: Page[ProductOut]}), summary="List products")
def product_list(request: HttpRequest, filters: Query[ProductFilters]) -> dict:
    qs = selectors.product_list(
        actor=request.user,
        workspace=workspace_of(request),
        search=filters.search,
        stage=filters.stage,
        owner=filters.owner_id,
        line=filters.product_line_id,
        include_archived=filters.include_archived,
        ordering=filters.ordering,
    )
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get("/products/{product_id}", response=responses({200: ProductOut}), summary="Get a product")
def product_get(request: HttpRequest, product_id: int) -> Product:
    return _product(request, product_id)


@router.post(
    "/products",
    response=responses({201: ProductOut}),
    summary="Create a product",
    description="Leaders and admins. The owner must be a PM, leader or admin of the workspace. "
    "The key is stored upper-case and is unique in the workspace.",
)
def product_create(request: HttpRequest, data: ProductIn) -> Status:
    fields = data.model_dump()
    line = _line_ref(request, fields.pop("product_line_id"))
    fields["owner"] = fields.pop("owner_id")
    with api_field_names(dict(owner="owner_id", product_line="product_line_id")):
        product = services.product_create(
            actor=request.user, workspace=workspace_of(request), product_line=line, **fields
        )
    return Status(201, product)


@router.patch(
    "/products/{product_id}",
    response=responses({200: ProductOut}),
    summary="Change a product",
    description="The owning PM, leaders and admins; only leaders and admins change the owner. "
    "Send only the fields to change; use …/move to change the product line. "
    "Archived products are read-only (409) until restored.",
)
def product_update(request: HttpRequest, product_id: int, data: ProductPatch) -> Product:
    product = _product(request, product_id)
    fields = data.model_dump(exclude_unset=True)
    if "owner_id" in fields:
        fields["owner"] = fields.pop("owner_id")
    with api_field_names(dict(owner="owner_id")):
        return services.product_update(actor=request.user, product=product, **fields)


@router.post(
    "/products/{product_id}/archive",
    response=responses({200: ProductOut}),
    summary="Archive a product",
    description="Leaders and admins. Its components leave the portfolio tree with it." + NO_DELETE,
)
def product_archive(request: HttpRequest, product_id: int) -> Product:
    return services.product_archive(actor=request.user, product=_product(request, product_id))


@router.post(
    "/products/{product_id}/restore",
    response=responses({200: ProductOut}),
    summary="Restore an archived product",
    description="Refused (409) while its product line is archived.",
)
def product_restore(request: HttpRequest, product_id: int) -> Product:
    return services.product_restore(actor=request.user, product=_product(request, product_id))


@router.post(
    "/products/{product_id}/move",
    response=responses({200: ProductOut}),
    summary="Reorder a product or move it to another product line",
)
def product_move(request: HttpRequest, product_id: int, data: ProductMoveIn) -> Product:
    product = _product(request, product_id)
    line = _line_ref(request, data.product_line_id) if data.product_line_id is not None else None
    with api_field_names(dict(product_line="product_line_id")):
        return services.product_move(actor=request.user, product=product, position=data.position, product_line=line)


# --- components -------------------------------------------------------------------------------


@router.get("/components", response=responses({200: Page[ComponentOut]}), summary="List components")
def component_list(request: HttpRequest, filters: Query[ComponentFilters]) -> dict:
    qs = selectors.component_list(
        actor=request.user,
        workspace=workspace_of(request),
        product=filters.product_id,
        search=filters.search,
        include_archived=filters.include_archived,
        ordering=filters.ordering,
    )
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get("/components/{component_id}", response=responses({200: ComponentOut}), summary="Get a component")
def component_get(request: HttpRequest, component_id: int) -> Component:
    return _component(request, component_id)


@router.post(
    "/components",
    response=responses({201: ComponentOut}),
    summary="Create a component",
    description="The product's owning PM, leaders and admins. The new component goes last.",
)
def component_create(request: HttpRequest, data: ComponentIn) -> Status:
    product = _product_ref(request, data.product_id)
    with api_field_names(dict(product="product_id")):
        component = services.component_create(
            actor=request.user, product=product, name=data.name, description=data.description
        )
    return Status(201, component)


@router.patch(
    "/components/{component_id}",
    response=responses({200: ComponentOut}),
    summary="Change a component",
    description="The product's owning PM, leaders and admins. Send only the fields to change. "
    "Archived components (or components of an archived product) are read-only (409).",
)
def component_update(request: HttpRequest, component_id: int, data: ComponentPatch) -> Component:
    component = _component(request, component_id)
    return services.component_update(actor=request.user, component=component, **data.model_dump(exclude_unset=True))


@router.post(
    "/components/{component_id}/archive",
    response=responses({200: ComponentOut}),
    summary="Archive a component",
    description="The product's owning PM, leaders and admins." + NO_DELETE,
)
def component_archive(request: HttpRequest, component_id: int) -> Component:
    return services.component_archive(actor=request.user, component=_component(request, component_id))


@router.post(
    "/components/{component_id}/restore",
    response=responses({200: ComponentOut}),
    summary="Restore an archived component",
    description="Refused (409) while its product is archived.",
)
def component_restore(request: HttpRequest, component_id: int) -> Component:
    return services.component_restore(actor=request.user, component=_component(request, component_id))


@router.post(
    "/components/{component_id}/move",
    response=responses({200: ComponentOut}),
    summary="Reorder a component or move it to another product",
    description="Moving to another product needs the right to edit both products.",
)
def component_move(request: HttpRequest, component_id: int, data: ComponentMoveIn) -> Component:
    component = _component(request, component_id)
    product = _product_ref(request, data.product_id) if data.product_id is not None else None
    with api_field_names(dict(product="product_id")):
        return services.component_move(actor=request.user, component=component, position=data.position, product=product)

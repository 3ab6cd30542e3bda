"""Every read of the portfolio, scoped to one workspace through ``core.permissions``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from headway.accounts.models import User
from headway.core import permissions
from headway.core.errors import ValidationFailed
from headway.core.permissions import Action
from headway.portfolio.models import Component, Product, ProductLine, Stage
from headway.workspaces.models import Role, Workspace

# What clients may sort by; "position" means the order people arranged in the portfolio.
PRODUCT_LINE_ORDERINGS: dict[str, tuple[str, ...]] = {
    "position": ("position", "id"),
    "-position": ("-position", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
}
PRODUCT_ORDERINGS = {
    **PRODUCT_LINE_ORDERINGS,
    "position": ("product_line__position", "product_line_id", "position", "id"),
    "-position": ("-product_line__position", "-product_line_id", "-position", "-id"),
    "key": ("key",),
    "-key": ("-key",),
    "stage": ("stage", "name", "id"),
    "-stage": ("-stage", "name", "id"),
}
COMPONENT_ORDERINGS = {
    **PRODUCT_LINE_ORDERINGS,
    "position": ("product__product_line__position", "product__position", "product_id", "position", "id"),
    "-position": ("-product__product_line__position", "-product__position", "-product_id", "-position", "-id"),
}


def _order(qs: QuerySet, ordering: str, allowed: Mapping[str, tuple[str, ...]]) -> QuerySet:
    if ordering not in allowed:
        msg = f"Sort by one of {', '.join(allowed)}."
        raise ValidationFailed(f"ordering: {msg}", fields={"ordering": [msg]})
    return qs.order_by(*allowed[ordering])


def _active_first(qs: QuerySet) -> QuerySet:
    """Active items in their arranged order, then archived ones (most recently archived last)."""
    return qs.order_by(F("archived_at").asc(nulls_first=True), "position", "id")


# --- product lines ----------------------------------------------------------------------------


def product_line_list(
    *,
    actor: Any,
    workspace: Workspace,
    search: str = "",
    include_archived: bool = False,
    ordering: str = "position",
) -> QuerySet[ProductLine]:
    qs = permissions.scope(ProductLine.objects.all(), actor, workspace, Action.PORTFOLIO_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if search:
        qs = qs.filter(name__icontains=search)
    return _order(qs, ordering, PRODUCT_LINE_ORDERINGS)


def product_line_get(*, actor: Any, workspace: Workspace, product_line_id: int) -> ProductLine:
    qs = permissions.scope(ProductLine.objects.select_related("workspace"), actor, workspace, Action.PORTFOLIO_VIEW)
    return permissions.get_or_404(qs, pk=product_line_id)


# --- products ---------------------------------------------------------------------------------


def _product_filters(
    qs: QuerySet[Product], *, search: str, stage: str, owner: User | int | None, line: ProductLine | int | None
) -> QuerySet[Product]:
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(key__icontains=search))
    if stage:
        if stage not in Stage.values:
            msg = f"Choose one of {', '.join(Stage.values)}."
            raise ValidationFailed(f"stage: {msg}", fields={"stage": [msg]})
        qs = qs.filter(stage=stage)
    if owner is not None:
        qs = qs.filter(owner_id=owner if isinstance(owner, int) else owner.pk)
    if line is not None:
        qs = qs.filter(product_line_id=line if isinstance(line, int) else line.pk)
    return qs


def product_list(
    *,
    actor: Any,
    workspace: Workspace,
    search: str = "",
    stage: str = "",
    owner: User | int | None = None,
    line: ProductLine | int | None = None,
    include_archived: bool = False,
    ordering: str = "position",
) -> QuerySet[Product]:
    """Products with their owner and product line loaded (one query per page)."""
    qs = permissions.scope(
        Product.objects.select_related("owner", "product_line"), actor, workspace, Action.PORTFOLIO_VIEW
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    qs = _product_filters(qs, search=search, stage=stage, owner=owner, line=line)
    return _order(qs, ordering, PRODUCT_ORDERINGS)


def product_get(*, actor: Any, workspace: Workspace, product_id: int) -> Product:
    qs = permissions.scope(
        Product.objects.select_related("owner", "product_line", "workspace"), actor, workspace, Action.PORTFOLIO_VIEW
    )
    return permissions.get_or_404(qs, pk=product_id)


def products_of(*, actor: Any, product_line: ProductLine) -> list[Product]:
    """A product line's products for its page: active ones in order, then archived ones."""
    qs = permissions.scope(
        Product.objects.select_related("owner"), actor, product_line.workspace_id, Action.PORTFOLIO_VIEW
    )
    return list(_active_first(qs.filter(product_line=product_line)))


# --- components -------------------------------------------------------------------------------


def component_list(
    *,
    actor: Any,
    workspace: Workspace,
    product: Product | int | None = None,
    search: str = "",
    include_archived: bool = False,
    ordering: str = "position",
) -> QuerySet[Component]:
    qs = permissions.scope(Component.objects.select_related("product"), actor, workspace, Action.PORTFOLIO_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if product is not None:
        qs = qs.filter(product_id=product if isinstance(product, int) else product.pk)
    if search:
        qs = qs.filter(name__icontains=search)
    return _order(qs, ordering, COMPONENT_ORDERINGS)


def component_get(*, actor: Any, workspace: Workspace, component_id: int) -> Component:
    qs = permissions.scope(
        Component.objects.select_related("product__owner", "product__product_line", "workspace"),
        actor,
        workspace,
        Action.PORTFOLIO_VIEW,
    )
    return permissions.get_or_404(qs, pk=component_id)


def components_of(*, actor: Any, product: Product) -> list[Component]:
    """A product's components for its page: active ones in order, then archived ones."""
    qs = permissions.scope(Component.objects.all(), actor, product.workspace_id, Action.PORTFOLIO_VIEW)
    return list(_active_first(qs.filter(product=product)))


# --- the tree ---------------------------------------------------------------------------------


def portfolio_tree(
    *,
    actor: Any,
    workspace: Workspace,
    include_archived: bool = False,
    search: str = "",
    stage: str = "",
    owner: User | int | None = None,
) -> list[ProductLine]:
    """Product lines → products (with owner) → components, in three queries whatever the size.

    Each line carries ``tree_products`` and each product ``tree_components``. With a product
    filter (search, stage, owner) only lines holding a matching product are returned.
    """
    products = _product_filters(
        Product.objects.select_related("owner"), search=search, stage=stage, owner=owner, line=None
    )
    components = Component.objects.all()
    lines = permissions.scope(ProductLine.objects.all(), actor, workspace, Action.PORTFOLIO_VIEW)
    if not include_archived:
        lines = lines.filter(archived_at__isnull=True)
        products = products.filter(archived_at__isnull=True)
        components = components.filter(archived_at__isnull=True)
    lines = _active_first(lines).prefetch_related(
        Prefetch(
            "products",
            queryset=_active_first(products).prefetch_related(
                Prefetch("components", queryset=_active_first(components), to_attr="tree_components")
            ),
            to_attr="tree_products",
        )
    )
    result = list(lines)
    if search or stage or owner is not None:
        result = [line for line in result if line.tree_products]  # type: ignore[attr-defined]
    return result


def owner_choices(*, actor: Any, workspace: Workspace) -> QuerySet[User]:
    """People who may own a product: the workspace's PMs, leaders and admins."""
    permissions.require(actor, Action.PORTFOLIO_VIEW, workspace)
    return User.objects.filter(
        memberships__workspace=workspace, memberships__role__in=[Role.PM, Role.LEADER, Role.ADMIN], is_active=True
    ).order_by("full_name", "email")


def product_owners(*, actor: Any, workspace: Workspace) -> QuerySet[User]:
    """People who own at least one product here (the tree's owner filter)."""
    permissions.require(actor, Action.PORTFOLIO_VIEW, workspace)
    return User.objects.filter(owned_products__workspace=workspace).distinct().order_by("full_name", "email")

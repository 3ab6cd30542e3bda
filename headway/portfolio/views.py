"""Portfolio pages: the tree, product line / product / component pages and their forms.

Views parse input, call one selector or service, and render. Moves work three ways from the
same endpoints: a plain POST form (no JavaScript: redirect back), an htmx POST from the move
buttons, and a drag and drop that posts a position (both htmx: the fresh fragment comes back).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from headway.core import permissions
from headway.core.errors import HeadwayError
from headway.core.htmx import render_page
from headway.core.permissions import Action
from headway.portfolio import selectors, services
from headway.portfolio.forms import ComponentForm, MoveForm, ProductForm, ProductLineForm
from headway.portfolio.models import Component, Product, ProductLine, Stage
from headway.workspaces.selectors import audit_for_object

HISTORY_LIMIT = 50


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return reverse(name, kwargs={"ws": request.workspace.slug, **kwargs})  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _history(request: HttpRequest, obj: Any) -> Any:
    return audit_for_object(actor=request.user, workspace=request.workspace, target=obj)[:HISTORY_LIMIT]  # type: ignore[attr-defined]


def _owner_choices(request: HttpRequest, current: Any = None) -> list[tuple[int, str]]:
    people = list(selectors.owner_choices(actor=request.user, workspace=request.workspace))  # type: ignore[attr-defined]
    if current is not None and current not in people:
        people.append(current)  # an owner who has since changed role still shows as the owner
    return [(u.pk, f"{u.display_name} · {u.email}") for u in people]


# --- the tree ---------------------------------------------------------------------------------


def _tree_filters(request: HttpRequest) -> dict[str, Any]:
    params = request.GET
    owner = params.get("owner", "")
    return {
        "search": params.get("q", "").strip(),
        "stage": params.get("stage", "") if params.get("stage", "") in Stage.values else "",
        "owner": int(owner) if owner.isdigit() else None,
        "include_archived": params.get("archived") == "1",
    }


def _tree_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    filters = _tree_filters(request)
    lines = selectors.portfolio_tree(actor=user, workspace=workspace, **filters)
    can_manage = permissions.can(user, Action.PORTFOLIO_MANAGE, workspace)
    filtered = bool(filters["search"] or filters["stage"] or filters["owner"] is not None)
    product_count = 0
    for line in lines:
        active = [p for p in line.tree_products if p.archived_at is None]
        product_count += len(line.tree_products)
        for product in line.tree_products:
            product.can_edit = permissions.can(user, Action.PRODUCT_EDIT, workspace, product)
            product.is_last = bool(active) and product.pk == active[-1].pk
    # With nothing to show, tell apart "nothing yet" from "everything is archived".
    anything = (
        bool(lines) or selectors.product_line_list(actor=user, workspace=workspace, include_archived=True).exists()
    )
    active_lines = [line for line in lines if line.archived_at is None]
    for line in lines:
        line.is_last = bool(active_lines) and line.pk == active_lines[-1].pk
    return {
        "area": "portfolio",
        "lines": lines,
        "product_count": product_count,
        "filters": filters,
        "filtered": filtered,
        "portfolio_empty": not anything,
        "can_manage": can_manage,
        # Reordering a filtered subset would be guesswork; it is offered on the whole tree only.
        "can_reorder": can_manage and not filtered,
        "stages": Stage.choices,
        "owners": selectors.product_owners(actor=user, workspace=workspace),
        # Moves from the tree come back with the same filters (e.g. "show archived").
        "query_suffix": f"?{request.GET.urlencode()}" if request.GET else "",
        **extra,
    }


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portfolio/tree.html", _tree_context(request), fragment="tree")


def _moved(request: HttpRequest, anchor: str, error: str | None, success: str) -> HttpResponse:
    """After a move from the tree: the fresh tree for htmx, else back to the page (no JS)."""
    if _is_htmx(request):
        return render_page(request, "portfolio/tree.html", _tree_context(request, move_error=error), fragment="tree")
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    query = request.GET.urlencode()
    return redirect(_url(request, "portfolio:tree") + (f"?{query}" if query else "") + f"#{anchor}")


@login_required
@require_POST
def line_move(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.product_line_get(actor=request.user, workspace=request.workspace, product_line_id=pk)  # type: ignore[attr-defined]
    form = MoveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            position = form.target_position(line.position)
            services.product_line_move(actor=request.user, product_line=line, position=position)
        except HeadwayError as exc:
            error = exc.message
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    return _moved(request, f"line-{line.pk}", error, f"Moved “{line.name}” to position {line.position + 1}.")


@login_required
@require_POST
def product_move(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(actor=request.user, workspace=request.workspace, product_id=pk)  # type: ignore[attr-defined]
    form = MoveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            target = None
            if form.cleaned_data.get("parent"):
                target = selectors.product_line_get(
                    actor=request.user,
                    workspace=request.workspace,  # type: ignore[attr-defined]
                    product_line_id=form.cleaned_data["parent"],
                )
            position = form.target_position(product.position)
            services.product_move(actor=request.user, product=product, position=position, product_line=target)
        except HeadwayError as exc:
            error = exc.message
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    if request.POST.get("next") == "product" and not _is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"Moved {product.key} to “{product.product_line.name}”.")
        return redirect(_url(request, "portfolio:product", pk=product.pk))
    return _moved(
        request,
        f"product-{product.pk}",
        error,
        f"Moved {product.key} to position {product.position + 1} in “{product.product_line.name}”.",
    )


# --- product lines ----------------------------------------------------------------------------


@login_required
def line_create(request: HttpRequest) -> HttpResponse:
    permissions.require(request.user, Action.PORTFOLIO_MANAGE, request.workspace)  # type: ignore[attr-defined]
    form = ProductLineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            line = services.product_line_create(
                actor=request.user,
                workspace=request.workspace,  # type: ignore[attr-defined]
                **form.cleaned_data,
            )
            messages.success(request, f"Product line “{line.name}” created.")
            return redirect(_url(request, "portfolio:tree") + f"#line-{line.pk}")
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        "area": "portfolio",
        "form": form,
        "title": "New product line",
        "crumb": "New product line",
        "intro": "A product line groups products that are managed together, such as “Payments”.",
        "submit": "Create product line",
        "cancel_url": _url(request, "portfolio:tree"),
        "crumbs": [],
    }
    return render_page(request, "portfolio/form.html", context, status=422 if form.errors else 200)


@login_required
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.product_line_get(actor=request.user, workspace=request.workspace, product_line_id=pk)  # type: ignore[attr-defined]
    products = selectors.products_of(actor=request.user, product_line=line)
    context = {
        "area": "portfolio",
        "line": line,
        "products": products,
        "active_products": sum(1 for p in products if p.archived_at is None),
        "can_manage": permissions.can(request.user, Action.PORTFOLIO_MANAGE, request.workspace),  # type: ignore[attr-defined]
        "history": _history(request, line),
    }
    return render_page(request, "portfolio/line_detail.html", context)


@login_required
def line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.product_line_get(actor=request.user, workspace=request.workspace, product_line_id=pk)  # type: ignore[attr-defined]
    permissions.require(request.user, Action.PORTFOLIO_MANAGE, request.workspace, line)  # type: ignore[attr-defined]
    form = ProductLineForm(request.POST or None, initial={"name": line.name, "description": line.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.product_line_update(actor=request.user, product_line=line, **form.cleaned_data)
            messages.success(request, f"Product line “{line.name}” saved.")
            return redirect(_url(request, "portfolio:line", pk=line.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        "area": "portfolio",
        "form": form,
        "title": f"Edit {line.name}",
        "submit": "Save changes",
        "crumb": "Edit",
        "cancel_url": _url(request, "portfolio:line", pk=line.pk),
        "crumbs": [(_url(request, "portfolio:line", pk=line.pk), line.name)],
    }
    return render_page(request, "portfolio/form.html", context, status=422 if form.errors else 200)


def _archive_or_restore(request: HttpRequest, obj: Any, action: Any, done: str, url: str) -> HttpResponse:
    try:
        action(actor=request.user, **{_param(obj): obj})
        messages.success(request, done)
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(url)


def _param(obj: Any) -> str:
    return {ProductLine: "product_line", Product: "product", Component: "component"}[type(obj)]


@login_required
@require_POST
def line_archive(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.product_line_get(actor=request.user, workspace=request.workspace, product_line_id=pk)  # type: ignore[attr-defined]
    done = f"“{line.name}” archived. It no longer shows in the portfolio; you can restore it here."
    return _archive_or_restore(
        request, line, services.product_line_archive, done, _url(request, "portfolio:line", pk=line.pk)
    )


@login_required
@require_POST
def line_restore(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.product_line_get(actor=request.user, workspace=request.workspace, product_line_id=pk)  # type: ignore[attr-defined]
    done = f"“{line.name}” restored to the portfolio."
    return _archive_or_restore(
        request, line, services.product_line_restore, done, _url(request, "portfolio:line", pk=line.pk)
    )


# --- products ---------------------------------------------------------------------------------


@login_required
def product_create(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    permissions.require(user, Action.PORTFOLIO_MANAGE, workspace)
    lines = [(line.pk, line.name) for line in selectors.product_line_list(actor=user, workspace=workspace)]
    if not lines:
        messages.info(request, "Create a product line first: every product belongs to one.")
        return redirect(_url(request, "portfolio:line_create"))
    initial_line = request.GET.get("line", "")
    form = ProductForm(
        request.POST or None,
        lines=lines,
        owners=_owner_choices(request),
        initial={"product_line": int(initial_line) if initial_line.isdigit() else None},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            line = selectors.product_line_get(actor=user, workspace=workspace, product_line_id=data.pop("product_line"))
            product = services.product_create(actor=user, workspace=workspace, product_line=line, **data)
            messages.success(request, f"Product {product.key} “{product.name}” created.")
            return redirect(_url(request, "portfolio:product", pk=product.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        "area": "portfolio",
        "form": form,
        "title": "New product",
        "crumb": "New product",
        "intro": "Something your organisation builds and sells, owned by one product manager.",
        "submit": "Create product",
        "cancel_url": _url(request, "portfolio:tree"),
        "crumbs": [],
    }
    return render_page(request, "portfolio/form.html", context, status=422 if form.errors else 200)


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    product = selectors.product_get(actor=user, workspace=workspace, product_id=pk)
    can_manage = permissions.can(user, Action.PORTFOLIO_MANAGE, workspace)
    context = {
        "area": "portfolio",
        "product": product,
        "can_edit": permissions.can(user, Action.PRODUCT_EDIT, workspace, product),
        "can_manage": can_manage,
        "history": _history(request, product),
        "move_lines": [
            line
            for line in selectors.product_line_list(actor=user, workspace=workspace)
            if line.pk != product.product_line_id
        ]
        if can_manage and product.archived_at is None
        else [],
        **_components_context(request, product),
    }
    return render_page(request, "portfolio/product_detail.html", context, fragment="components")


def _components_context(request: HttpRequest, product: Product, **extra: Any) -> dict[str, Any]:
    components = selectors.components_of(actor=request.user, product=product)
    active = [c for c in components if c.archived_at is None]
    return {
        "components": active,
        "archived_components": [c for c in components if c.archived_at is not None],
        "can_edit": permissions.can(request.user, Action.PRODUCT_EDIT, request.workspace, product),  # type: ignore[attr-defined]
        "product": product,
        **extra,
    }


@login_required
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    product = selectors.product_get(actor=user, workspace=workspace, product_id=pk)
    permissions.require(user, Action.PRODUCT_EDIT, workspace, product)
    can_change_owner = permissions.can(user, Action.PORTFOLIO_MANAGE, workspace)
    fields = ["name", "key", "owner", "stage", "target_customers", "description"]
    initial = {name: getattr(product, "owner_id" if name == "owner" else name) for name in fields}
    form = ProductForm(
        request.POST or None,
        owners=_owner_choices(request, current=product.owner),
        can_change_owner=can_change_owner,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not can_change_owner:
            data.pop("owner")
        try:
            services.product_update(actor=user, product=product, **data)
            messages.success(request, f"{product.key} “{product.name}” saved.")
            return redirect(_url(request, "portfolio:product", pk=product.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        "area": "portfolio",
        "form": form,
        "title": f"Edit {product.key} {product.name}",
        "submit": "Save changes",
        "crumb": "Edit",
        "cancel_url": _url(request, "portfolio:product", pk=product.pk),
        "crumbs": [
            (_url(request, "portfolio:line", pk=product.product_line_id), product.product_line.name),
            (_url(request, "portfolio:product", pk=product.pk), product.name),
        ],
    }
    return render_page(request, "portfolio/form.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def product_archive(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(actor=request.user, workspace=request.workspace, product_id=pk)  # type: ignore[attr-defined]
    done = f"{product.key} “{product.name}” archived. It no longer shows in the portfolio; you can restore it here."
    url = _url(request, "portfolio:product", pk=product.pk)
    return _archive_or_restore(request, product, services.product_archive, done, url)


@login_required
@require_POST
def product_restore(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(actor=request.user, workspace=request.workspace, product_id=pk)  # type: ignore[attr-defined]
    done = f"{product.key} “{product.name}” restored to the portfolio."
    url = _url(request, "portfolio:product", pk=product.pk)
    return _archive_or_restore(request, product, services.product_restore, done, url)


# --- components -------------------------------------------------------------------------------


@login_required
def component_create(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    product = selectors.product_get(actor=user, workspace=workspace, product_id=pk)
    permissions.require(user, Action.PRODUCT_EDIT, workspace, product)
    form = ComponentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            component = services.component_create(actor=user, product=product, **form.cleaned_data)
            messages.success(request, f"Component “{component.name}” added to {product.key}.")
            return redirect(_url(request, "portfolio:product", pk=product.pk) + "#components")
        except HeadwayError as exc:
            form.add_service_error(exc, renames={"product": "__all__"})
    context = {
        "area": "portfolio",
        "form": form,
        "title": f"New component of {product.name}",
        "crumb": "New component",
        "intro": "A part of the product (a module, a service, an app) that features and feedback attach to.",
        "submit": "Add component",
        "cancel_url": _url(request, "portfolio:product", pk=product.pk),
        "crumbs": [
            (_url(request, "portfolio:line", pk=product.product_line_id), product.product_line.name),
            (_url(request, "portfolio:product", pk=product.pk), product.name),
        ],
    }
    return render_page(request, "portfolio/form.html", context, status=422 if form.errors else 200)


@login_required
def component_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    component = selectors.component_get(actor=user, workspace=workspace, component_id=pk)
    context = {
        "area": "portfolio",
        "component": component,
        "product": component.product,
        "can_edit": permissions.can(user, Action.PRODUCT_EDIT, workspace, component),
        "history": _history(request, component),
    }
    return render_page(request, "portfolio/component_detail.html", context)


@login_required
def component_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    component = selectors.component_get(actor=user, workspace=workspace, component_id=pk)
    permissions.require(user, Action.PRODUCT_EDIT, workspace, component)
    form = ComponentForm(request.POST or None, initial={"name": component.name, "description": component.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.component_update(actor=user, component=component, **form.cleaned_data)
            messages.success(request, f"Component “{component.name}” saved.")
            return redirect(_url(request, "portfolio:component", pk=component.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    product = component.product
    context = {
        "area": "portfolio",
        "form": form,
        "title": f"Edit {component.name}",
        "submit": "Save changes",
        "crumb": "Edit",
        "cancel_url": _url(request, "portfolio:component", pk=component.pk),
        "crumbs": [
            (_url(request, "portfolio:line", pk=product.product_line_id), product.product_line.name),
            (_url(request, "portfolio:product", pk=product.pk), product.name),
            (_url(request, "portfolio:component", pk=component.pk), component.name),
        ],
    }
    return render_page(request, "portfolio/form.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def component_archive(request: HttpRequest, pk: int) -> HttpResponse:
    component = selectors.component_get(actor=request.user, workspace=request.workspace, component_id=pk)  # type: ignore[attr-defined]
    done = f"Component “{component.name}” archived."
    url = _url(request, "portfolio:product", pk=component.product_id) + "#components"
    return _archive_or_restore(request, component, services.component_archive, done, url)


@login_required
@require_POST
def component_restore(request: HttpRequest, pk: int) -> HttpResponse:
    component = selectors.component_get(actor=request.user, workspace=request.workspace, component_id=pk)  # type: ignore[attr-defined]
    done = f"Component “{component.name}” restored."
    url = _url(request, "portfolio:product", pk=component.product_id) + "#components"
    return _archive_or_restore(request, component, services.component_restore, done, url)


@login_required
@require_POST
def component_move(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace  # type: ignore[attr-defined]
    component = selectors.component_get(actor=user, workspace=workspace, component_id=pk)
    product = component.product
    form = MoveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.component_move(actor=user, component=component, position=form.target_position(component.position))
        except HeadwayError as exc:
            error = exc.message
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    if _is_htmx(request):
        context = {"area": "portfolio", **_components_context(request, product, move_error=error)}
        return render_page(request, "portfolio/product_detail.html", context, fragment="components")
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Moved “{component.name}” to position {component.position + 1}.")
    return redirect(_url(request, "portfolio:product", pk=product.pk) + f"#component-{component.pk}")

"""Backlog pages: the ranked list per product, the board by status, feature pages, forms, workflow settings.

Views parse input, call one selector or service, and render. Reordering and status changes work
three ways from the same endpoints: a plain POST form (no JavaScript: redirect back with a
message), and from backlog.js (drag and drop, arrow buttons, board columns), which posts with an
``HX-Request`` header and gets ``204`` or the error as text (the page already shows the new
order, so nothing needs re-rendering).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from headway.backlog import selectors, services
from headway.backlog.filters import FeatureFilters
from headway.backlog.forms import (
    CommentForm,
    DependencyForm,
    FeatureForm,
    LinkForm,
    MoveForm,
    RequirementForm,
    SavedViewForm,
    StatusForm,
)
from headway.backlog.models import EffortUnit, Feature, StatusCategory
from headway.core import permissions
from headway.core.errors import HeadwayError, NotFound, ValidationFailed
from headway.core.htmx import render_page
from headway.core.permissions import Action
from headway.ideas.selectors import feature_ideas
from headway.insights.selectors.evidence import feature_evidence
from headway.portfolio.models import Component, Product
from headway.strategy.models import Initiative, Objective
from headway.workspaces.selectors import audit_for_object

HISTORY_LIMIT = 50


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return reverse(name, kwargs={"ws": request.workspace.slug, **kwargs})


def _scripted(request: HttpRequest) -> bool:
    """A request from backlog.js or htmx (answer with a status code or a fragment, not a redirect)."""
    return request.headers.get("HX-Request") == "true"


def _query(filters: FeatureFilters, **extra: Any) -> str:
    params = {**filters.as_params(), **{k: v for k, v in extra.items() if v not in (None, "")}}
    return f"?{urlencode(params)}" if params else ""


def _feature_prefix(request: HttpRequest) -> str:
    """``/w/<ws>/backlog/features/``: rows build their links from it instead of reversing each one."""
    return _url(request, "backlog:feature", pk=0).removesuffix("0/")


def _errors(form: Any) -> str:
    return " ".join(e for errs in form.errors.values() for e in errs)


# --- the ranked list --------------------------------------------------------------------------


def _product(products: list[Any], filters: FeatureFilters, user: Any) -> Any:
    """The product asked for, else the first one the person owns, else the first one."""
    by_id = {p.pk: p for p in products}
    if filters.product in by_id:
        return by_id[filters.product]
    return next((p for p in products if p.owner_id == user.pk), products[0] if products else None)


def _choices(request: HttpRequest) -> dict[str, Any]:
    user, workspace = request.user, request.workspace
    return {
        "initiatives": selectors.initiative_choices(actor=user, workspace=workspace),
        "objectives": selectors.objective_choices(actor=user, workspace=workspace),
        "members": selectors.member_choices(actor=user, workspace=workspace),
        "tags": list(selectors.tag_list(actor=user, workspace=workspace)),
    }


def _list_context(request: HttpRequest) -> dict[str, Any]:
    user, workspace = request.user, request.workspace
    products = selectors.product_choices(actor=user, workspace=workspace)
    filters = FeatureFilters.from_params(request.GET)
    product = _product(products, filters, user)
    filters = filters.with_product(product.pk if product else None)
    statuses = services.workflow_ensure_defaults(actor=user, workspace=workspace)
    # Without JavaScript, "Load more" is a link to this page starting after a rank.
    after, offset = request.GET.get("after", "")[:80], request.GET.get("offset", "")
    page = (
        selectors.backlog_page(actor=user, workspace=workspace, filters=filters, after=after or None)
        if product is not None
        else None
    )
    offset_value = int(offset) if after and offset.isdigit() and len(offset) < 9 else 0
    can_edit = product is not None and permissions.can(user, Action.FEATURE_EDIT, workspace, product)
    views = selectors.saved_views(actor=user, workspace=workspace)
    for view in views:
        view.query = _query(FeatureFilters.from_dict(view.filters))
    return {
        "area": "backlog",
        "tab": "list",
        "products": products,
        "product": product,
        "filters": filters,
        "statuses": statuses,
        "page": page,
        "offset": offset_value,
        "next_offset": offset_value + (len(page.features) if page else 0),
        "page_size": selectors.PAGE_SIZE,
        "can_edit": can_edit,
        "can_manage_workflow": permissions.can(user, Action.WORKFLOW_MANAGE, workspace),
        "saved_views": views,
        "query": _query(filters),
        "prefix": _feature_prefix(request),
        "new_feature_url": _url(request, "backlog:feature_create") + (f"?product={product.pk}" if product else ""),
        "effort_unit": selectors.backlog_settings_of(actor=user, workspace=workspace).effort_unit,
        **_choices(request),
    }


@login_required
def backlog(request: HttpRequest) -> HttpResponse:
    return render_page(request, "backlog/list.html", _list_context(request), fragment="backlog")


@login_required
def backlog_more(request: HttpRequest) -> HttpResponse:
    """The next page of rows ("Load more"), after the rank in ``after``."""
    user, workspace = request.user, request.workspace
    filters = FeatureFilters.from_params(request.GET)
    if filters.product is None:
        raise NotFound("Choose a product.")
    product = selectors.product_choices(actor=user, workspace=workspace)
    product = next((p for p in product if p.pk == filters.product), None)
    if product is None:
        raise NotFound("No such product in this workspace.")
    offset = request.GET.get("offset", "")
    page = selectors.backlog_page(
        actor=user, workspace=workspace, filters=filters, after=request.GET.get("after", "")[:80], with_count=False
    )
    offset_value = int(offset) if offset.isdigit() and len(offset) < 9 else 0
    context = {
        "page": page,
        "product": product,
        "filters": filters,
        "offset": offset_value,
        "next_offset": offset_value + len(page.features),
        "page_size": selectors.PAGE_SIZE,
        "prefix": _feature_prefix(request),
        "can_edit": permissions.can(user, Action.FEATURE_EDIT, workspace, product),
        "query": _query(filters),
    }
    return render_page(request, "backlog/_rows.html", context)


@login_required
@require_POST
def bulk_edit(request: HttpRequest) -> HttpResponse:
    """Apply one change to the ticked features, all or nothing, then back to the same list."""
    user, workspace = request.user, request.workspace
    back = _url(request, "backlog:list") + _query(FeatureFilters.from_params(QueryDict(request.POST.get("query", ""))))
    ids = [int(v) for v in request.POST.getlist("features") if v.isdigit() and len(v) < 19]
    fields: dict[str, Any] = {}
    try:
        status = request.POST.get("status", "")
        if status:
            fields["status"] = selectors.status_get(actor=user, workspace=workspace, status_id=_int(status, "status"))
        owner = request.POST.get("owner", "")
        if owner:
            fields["owner"] = None if owner == "none" else _int(owner, "owner")
        initiative = request.POST.get("initiative", "")
        if initiative:
            fields["initiative"] = (
                None
                if initiative == "none"
                else permissions.get_or_404(
                    Initiative.objects.filter(workspace=workspace), pk=_int(initiative, "initiative")
                )
            )
        add = [t for t in request.POST.get("add_tag", "").split(",") if t.strip()]
        remove = [t for t in request.POST.get("remove_tag", "").split(",") if t.strip()]
        count = services.feature_bulk_update(
            actor=user, workspace=workspace, features=ids, add_tags=add, remove_tags=remove, **fields
        )
        messages.success(request, f"Updated {count} feature{'s' if count != 1 else ''}.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(back)


def _int(value: str, field: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise ValidationFailed(f"{field}: Choose from the list.", fields={field: ["Choose from the list."]})
    return int(value)


@login_required
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters (sent as ``query``) under a name."""
    filters = FeatureFilters.from_params(QueryDict(request.POST.get("query", "")))
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = services.saved_view_create(
                actor=request.user,
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                filters=filters.as_dict(),
                shared=form.cleaned_data["shared"],
            )
            messages.success(request, f"View “{view.name}” saved.")
        except HeadwayError as exc:
            messages.error(request, exc.message_without_field)
    else:
        messages.error(request, f"The view was not saved: {_errors(form)}")
    return redirect(_url(request, "backlog:list") + _query(filters))


@login_required
@require_POST
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_get(actor=request.user, workspace=request.workspace, view_id=pk)
    try:
        services.saved_view_delete(actor=request.user, saved_view=view)
        messages.success(request, f"View “{view.name}” deleted.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "backlog:list"))


# --- the board --------------------------------------------------------------------------------


@login_required
def board(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    products = selectors.product_choices(actor=user, workspace=workspace)
    filters = FeatureFilters.from_params(request.GET)
    if filters.product is not None and filters.product not in {p.pk for p in products}:
        filters = filters.with_product(None)
    statuses = services.workflow_ensure_defaults(actor=user, workspace=workspace)
    columns = selectors.board(actor=user, workspace=workspace, statuses=statuses, filters=filters)
    product = next((p for p in products if p.pk == filters.product), None)
    for column in columns:
        for feature in column.features:
            feature.can_edit = permissions.can(user, Action.FEATURE_EDIT, workspace, feature)
    context = {
        "area": "backlog",
        "tab": "board",
        "products": products,
        "product": product,
        "filters": filters,
        "columns": columns,
        "statuses": statuses,
        "total": sum(c.count for c in columns),
        "query": _query(filters),
        "prefix": _feature_prefix(request),
        "can_manage_workflow": permissions.can(user, Action.WORKFLOW_MANAGE, workspace),
        **_choices(request),
    }
    return render_page(request, "backlog/board.html", context, fragment="board")


# --- moving and status changes ----------------------------------------------------------------


def _feature(request: HttpRequest, pk: int) -> Feature:
    return selectors.feature_get(actor=request.user, workspace=request.workspace, feature_id=pk)


def _sibling(request: HttpRequest, feature: Feature, pk: int | None) -> Feature | None:
    if pk is None:
        return None
    filters = FeatureFilters(product=feature.product_id, include_archived=True)
    sibling = selectors.feature_list(actor=request.user, workspace=request.workspace, filters=filters)
    found = sibling.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"Feature {pk} is not in {feature.product.key}'s backlog.")
    return found


@login_required
@require_POST
def feature_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Drag and drop (``before``/``after``) or the arrow buttons (``direction``, within the list's filters)."""
    user, workspace = request.user, request.workspace
    feature = _feature(request, pk)
    filters = FeatureFilters.from_params(QueryDict(request.POST.get("query", ""))).with_product(feature.product_id)
    form = MoveForm(request.POST)
    error, status = None, 409
    if form.is_valid():
        data = form.cleaned_data
        try:
            before, after = _sibling(request, feature, data["before"]), _sibling(request, feature, data["after"])
            if data["direction"]:
                listed = selectors.feature_list(actor=user, workspace=workspace, filters=filters)
                if data["direction"] == "up":
                    before = listed.filter(rank__lt=feature.rank).order_by("-rank").first()
                else:
                    after = listed.filter(rank__gt=feature.rank).order_by("rank").first()
            if before is not None or after is not None:
                services.feature_move(actor=user, feature=feature, before=before, after=after)
        except HeadwayError as exc:
            error, status = exc.message_without_field, exc.status
    else:
        error = _errors(form)
    if _scripted(request):
        return HttpResponse(error or "", status=status if error else 204, content_type="text/plain; charset=utf-8")
    if error:
        messages.error(request, error)
    back = _url(request, "backlog:list") + _query(filters)
    return redirect(f"{back}#feature-{feature.pk}")


@login_required
@require_POST
def feature_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A new status from the board (drag to a column, or the card's menu) or the feature page."""
    user, workspace = request.user, request.workspace
    feature = _feature(request, pk)
    error, code = None, 409
    try:
        status = selectors.status_get(
            actor=user, workspace=workspace, status_id=_int(request.POST.get("status", ""), "status")
        )
        services.feature_update(actor=user, feature=feature, status=status)
    except HeadwayError as exc:
        error, code = exc.message_without_field, exc.status
    if _scripted(request):
        return HttpResponse(error or "", status=code if error else 204, content_type="text/plain; charset=utf-8")
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{feature.ref} is now “{feature.status}”.")
    if request.POST.get("next") == "board":
        query = _query(FeatureFilters.from_params(QueryDict(request.POST.get("query", ""))))
        return redirect(_url(request, "backlog:board") + query)
    return redirect(_url(request, "backlog:feature", pk=feature.pk))


# --- one feature ------------------------------------------------------------------------------


def _duration(value: Any) -> str:
    """A cycle time as people say it: "3.5 days", "5 hours"."""
    if value is None:
        return ""
    days = value.total_seconds() / 86400
    if days >= 1:
        return f"{days:.1f}".rstrip("0").rstrip(".") + (" day" if days < 1.05 else " days")
    hours = max(1, round(value.total_seconds() / 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _detail_context(request: HttpRequest, feature: Feature, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, request.workspace
    blocked_by, blocks = selectors.dependencies_of(feature)
    history = selectors.status_history(feature)
    requirements = selectors.requirements_of(feature)
    can_edit = permissions.can(user, Action.FEATURE_EDIT, workspace, feature)
    editable = can_edit and feature.archived_at is None
    return {
        "area": "backlog",
        "feature": feature,
        "can_edit": can_edit,
        "editable": editable,
        "can_comment": permissions.can(user, Action.COMMENT_ADD, workspace, feature),
        "statuses": services.workflow_ensure_defaults(actor=user, workspace=workspace) if editable else [],
        "requirements": requirements,
        "blocked_by": blocked_by,
        "blocks": blocks,
        "comments": selectors.comments_of(feature),
        "links": selectors.links_of(feature),
        "objectives": selectors.objectives_of(feature),
        "tags": selectors.tags_of(feature),
        "status_history": history,
        "cycle_time": _duration(selectors.cycle_time(history)),
        "requirements_done": sum(1 for r in requirements if r.done),
        "effort_unit": EffortUnit(selectors.backlog_settings_of(actor=user, workspace=workspace).effort_unit).label,
        "history": audit_for_object(actor=user, workspace=workspace, target=feature)[:HISTORY_LIMIT],
        "feature_ideas": feature_ideas(user=user, feature=feature),
        "feature_evidence": feature_evidence(user=user, feature=feature),
        "requirement_form": extra.pop("requirement_form", None) or RequirementForm(),
        "dependency_form": extra.pop("dependency_form", None) or DependencyForm(),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "link_form": extra.pop("link_form", None) or LinkForm(),
        **extra,
    }


@login_required
def feature_detail(request: HttpRequest, pk: int) -> HttpResponse:
    feature = _feature(request, pk)
    return render_page(request, "backlog/feature_detail.html", _detail_context(request, feature))


def _section(request: HttpRequest, feature: Feature, fragment: str, anchor: str, **extra: Any) -> HttpResponse:
    """After a change on the feature page: the fresh section for htmx, else back to the page."""
    if _scripted(request):
        # 200 even when a form shows errors: htmx swaps only successful responses, and the errors
        # are part of the fresh section.
        context = _detail_context(request, feature, **extra)
        return render_page(request, "backlog/feature_detail.html", context, fragment=fragment)
    forms_with_errors = [f for f in extra.values() if getattr(f, "errors", None)]
    for form in forms_with_errors:
        messages.error(request, _errors(form))
    return redirect(_url(request, "backlog:feature", pk=feature.pk) + f"#{anchor}")


def _feature_form(request: HttpRequest, data: Any, initial: dict[str, Any] | None = None) -> FeatureForm:
    user, workspace = request.user, request.workspace
    choices = _choices(request)
    return FeatureForm(
        data,
        initial=initial,
        products=selectors.product_choices(actor=user, workspace=workspace),
        statuses=services.workflow_ensure_defaults(actor=user, workspace=workspace),
        members=choices["members"],
        components=list(
            Component.objects.filter(workspace=workspace, archived_at__isnull=True, product__archived_at__isnull=True)
            .select_related("product")
            .order_by("product__product_line__position", "product__position", "position", "id")
        ),
        initiatives=choices["initiatives"],
        objectives=choices["objectives"],
        effort_unit=selectors.backlog_settings_of(actor=user, workspace=workspace).effort_unit,
    )


def _fields_from(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """The form's ids as the service's objects (each looked up inside this workspace)."""
    user, workspace = request.user, request.workspace
    fields = dict(data)
    product = permissions.get_or_404(
        permissions.scope(Product.objects.all(), user, workspace, Action.BACKLOG_VIEW),
        pk=fields.pop("product"),
    )
    fields["product"] = product
    status = fields.pop("status")
    if status is not None:
        fields["status"] = selectors.status_get(actor=user, workspace=workspace, status_id=status)
    component = fields.pop("component")
    fields["component"] = (
        None
        if component is None
        else permissions.get_or_404(Component.objects.filter(workspace=workspace), pk=component)
    )
    initiative = fields.pop("initiative")
    fields["initiative"] = (
        None
        if initiative is None
        else permissions.get_or_404(Initiative.objects.filter(workspace=workspace), pk=initiative)
    )
    fields["objectives"] = list(Objective.objects.filter(workspace=workspace, pk__in=fields.pop("objectives")))
    return fields


@login_required
def feature_create(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.FEATURE_EDIT, workspace)
    if not selectors.product_choices(actor=user, workspace=workspace):
        messages.info(request, "Add a product to the portfolio first: every feature belongs to one.")
        return redirect(_url(request, "backlog:list"))
    product = request.GET.get("product", "")
    form = _feature_form(
        request,
        request.POST if request.method == "POST" else None,
        initial={"product": product if product.isdigit() else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            fields = _fields_from(request, form.cleaned_data)
            if fields.get("status") is None:
                fields.pop("status", None)
            feature = services.feature_create(actor=user, workspace=workspace, **fields)
            messages.success(request, f"{feature.ref} “{feature.title}” added at the bottom of the backlog.")
            return redirect(_url(request, "backlog:feature", pk=feature.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        "area": "backlog",
        "form": form,
        "title": "New feature",
        "intro": "A piece of product work. It goes to the bottom of its product's backlog; rank it there.",
        "submit": "Create feature",
        "cancel_url": _url(request, "backlog:list") + (f"?product={product}" if product.isdigit() else ""),
    }
    return render_page(request, "backlog/form.html", context, status=422 if form.errors else 200)


@login_required
def feature_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace
    feature = _feature(request, pk)
    permissions.require(user, Action.FEATURE_EDIT, workspace, feature)
    initial = {
        "product": feature.product_id,
        "title": feature.title,
        "description": feature.description,
        "status": feature.status_id,
        "owner": feature.owner_id,
        "component": feature.component_id,
        "initiative": feature.initiative_id,
        "objectives": [o.pk for o in selectors.objectives_of(feature)],
        "effort": feature.effort,
        "target_release": feature.target_release,
        "tags": ", ".join(t.name for t in selectors.tags_of(feature)),
    }
    form = _feature_form(request, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            fields = _fields_from(request, form.cleaned_data)
            if fields.get("status") is None:
                fields.pop("status", None)
            services.feature_update(actor=user, feature=feature, **fields)
            messages.success(request, f"{feature.ref} saved.")
            return redirect(_url(request, "backlog:feature", pk=feature.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        "area": "backlog",
        "form": form,
        "feature": feature,
        "title": f"Edit {feature.ref}",
        "submit": "Save changes",
        "cancel_url": _url(request, "backlog:feature", pk=feature.pk),
    }
    return render_page(request, "backlog/form.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def feature_archive(request: HttpRequest, pk: int) -> HttpResponse:
    feature = _feature(request, pk)
    try:
        services.feature_archive(actor=request.user, feature=feature)
        messages.success(request, f"{feature.ref} archived. It left the backlog; you can restore it here.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "backlog:feature", pk=feature.pk))


@login_required
@require_POST
def feature_restore(request: HttpRequest, pk: int) -> HttpResponse:
    feature = _feature(request, pk)
    try:
        services.feature_restore(actor=request.user, feature=feature)
        messages.success(request, f"{feature.ref} is back in the backlog, where it was ranked before.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "backlog:feature", pk=feature.pk))


# --- requirements, dependencies, comments, links ----------------------------------------------


@login_required
@require_POST
def requirement_add(request: HttpRequest, pk: int) -> HttpResponse:
    feature = _feature(request, pk)
    form = RequirementForm(request.POST)
    if form.is_valid():
        try:
            services.requirement_add(actor=request.user, feature=feature, **form.cleaned_data)
            form = RequirementForm()
        except HeadwayError as exc:
            form.add_service_error(exc)
    return _section(request, feature, "requirements", "requirements", requirement_form=form)


@login_required
@require_POST
def requirement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick a requirement off (``done``), move it (``direction``) or delete it (``delete``)."""
    requirement = selectors.requirement_get(actor=request.user, workspace=request.workspace, requirement_id=pk)
    feature = _feature(request, requirement.feature_id)
    try:
        if "delete" in request.POST:
            services.requirement_delete(actor=request.user, requirement=requirement)
        elif request.POST.get("direction") in ("up", "down"):
            step = -1 if request.POST["direction"] == "up" else 1
            position = max(0, requirement.position + step)
            services.requirement_move(actor=request.user, requirement=requirement, position=position)
        else:
            services.requirement_update(
                actor=request.user, requirement=requirement, done=request.POST.get("done") == "1"
            )
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return _section(request, feature, "requirements", "requirements")


@login_required
@require_POST
def dependency_add(request: HttpRequest, pk: int) -> HttpResponse:
    feature = _feature(request, pk)
    form = DependencyForm(request.POST)
    if form.is_valid():
        try:
            other = selectors.feature_by_ref(
                actor=request.user, workspace=request.workspace, ref=form.cleaned_data["ref"]
            )
            blocker, blocked = (other, feature) if form.cleaned_data["kind"] == "blocked_by" else (feature, other)
            services.dependency_add(actor=request.user, blocker=blocker, blocked=blocked)
            form = DependencyForm()
        except HeadwayError as exc:
            form.add_error("ref", exc.message_without_field)
    return _section(request, feature, "dependencies", "dependencies", dependency_form=form)


@login_required
@require_POST
def dependency_delete(request: HttpRequest, pk: int) -> HttpResponse:
    dependency = selectors.dependency_get(actor=request.user, workspace=request.workspace, dependency_id=pk)
    shown = request.POST.get("feature", "")
    feature_id = (
        int(shown) if shown in (str(dependency.blocker_id), str(dependency.blocked_id)) else dependency.blocked_id
    )
    try:
        services.dependency_remove(actor=request.user, dependency=dependency)
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return _section(request, _feature(request, feature_id), "dependencies", "dependencies")


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    feature = _feature(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(actor=request.user, feature=feature, body=form.cleaned_data["body"])
            form = CommentForm()
        except HeadwayError as exc:
            form.add_service_error(exc)
    return _section(request, feature, "comments", "comments", comment_form=form)


@login_required
@require_POST
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = selectors.comment_get(actor=request.user, workspace=request.workspace, comment_id=pk)
    try:
        services.comment_delete(actor=request.user, comment=comment)
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return _section(request, _feature(request, comment.feature_id), "comments", "comments")


@login_required
@require_POST
def link_add(request: HttpRequest, pk: int) -> HttpResponse:
    feature = _feature(request, pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            services.link_add(actor=request.user, feature=feature, **form.cleaned_data)
            form = LinkForm()
        except HeadwayError as exc:
            form.add_service_error(exc)
    return _section(request, feature, "links", "links", link_form=form)


@login_required
@require_POST
def link_delete(request: HttpRequest, pk: int) -> HttpResponse:
    link = selectors.link_get(actor=request.user, workspace=request.workspace, link_id=pk)
    try:
        services.link_remove(actor=request.user, link=link)
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return _section(request, _feature(request, link.feature_id), "links", "links")


# --- workflow settings ------------------------------------------------------------------------


def _settings_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, request.workspace
    statuses = services.workflow_ensure_defaults(actor=user, workspace=workspace)
    return {
        "area": "backlog",
        "tab": "settings",
        "can_manage_workflow": True,
        "query": "",
        "statuses": statuses,
        "categories": StatusCategory.choices,
        "units": EffortUnit.choices,
        "usage": selectors.status_usage(actor=user, workspace=workspace),
        "effort_unit": selectors.backlog_settings_of(actor=user, workspace=workspace).effort_unit,
        "form": extra.pop("form", None) or StatusForm(),
        **extra,
    }


@login_required
def workflow_settings(request: HttpRequest) -> HttpResponse:
    """Leaders shape the workflow: statuses, their categories and order, the default, the effort unit."""
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.WORKFLOW_MANAGE, workspace)
    form = StatusForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            status = services.workflow_status_create(actor=user, workspace=workspace, **form.cleaned_data)
            messages.success(request, f"Status “{status.name}” added at the end of the workflow.")
            return redirect(_url(request, "backlog:settings"))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = _settings_context(request, form=form)
    return render_page(request, "backlog/settings.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def settings_unit(request: HttpRequest) -> HttpResponse:
    try:
        settings_row = services.backlog_settings_update(
            actor=request.user, workspace=request.workspace, effort_unit=request.POST.get("effort_unit", "")
        )
        messages.success(request, f"Features are now estimated in {settings_row.get_effort_unit_display().lower()}.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "backlog:settings"))


@login_required
@require_POST
def status_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a status and change its category (``name``, ``category``), or make it the default (``default``)."""
    status = selectors.status_get(actor=request.user, workspace=request.workspace, status_id=pk)
    try:
        if "default" in request.POST:
            services.workflow_status_update(actor=request.user, status=status, is_default=True)
            messages.success(request, f"New features now start in “{status.name}”.")
        else:
            form = StatusForm(request.POST)
            if not form.is_valid():
                raise ValidationFailed(_errors(form))
            services.workflow_status_update(actor=request.user, status=status, **form.cleaned_data)
            messages.success(request, f"Status “{status.name}” saved.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(_url(request, "backlog:settings") + f"#status-{status.pk}")


@login_required
@require_POST
def status_move(request: HttpRequest, pk: int) -> HttpResponse:
    status = selectors.status_get(actor=request.user, workspace=request.workspace, status_id=pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.workflow_status_move(actor=request.user, status=status, position=max(0, status.position + step))
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "backlog:settings") + f"#status-{status.pk}")


@login_required
@require_POST
def status_delete(request: HttpRequest, pk: int) -> HttpResponse:
    status = selectors.status_get(actor=request.user, workspace=request.workspace, status_id=pk)
    try:
        services.workflow_status_delete(actor=request.user, status=status)
        messages.success(request, f"Status “{status.name}” deleted.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect(_url(request, "backlog:settings"))

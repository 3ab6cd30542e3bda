"""Customers in the browser: company list and detail, contacts, CSV import and export.

Views parse input, call one service or selector, and render; rules live in services/selectors.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from headway.core import permissions
from headway.core.errors import Conflict, HeadwayError, ValidationFailed
from headway.core.htmx import render_page
from headway.core.permissions import Action
from headway.core.templatetags.headway import money
from headway.customers import exporting, importing, selectors, services
from headway.customers.forms import CompanyForm, ContactForm, ImportForm
from headway.customers.models import Company, Health, ImportBatch, ImportKind, Segment, Tier

PAGE_SIZE = 50
# Errors a person can fix in the form; permission and not-found errors become the error pages.
FORM_ERRORS = (ValidationFailed, Conflict)
# Column → the order its header link starts with (money and dates: largest/newest first).
SORTABLE = {"name": "name", "arr": "-arr", "health": "health", "created_at": "-created_at"}
LIST_COLUMNS = ("id", "name", "domain", "segment", "tier", "arr", "currency", "health", "archived_at", "created_at")


class PageRows:
    """What the Paginator slices: fetches only the requested slice, through the fast selector."""

    def __init__(self, fetch: Callable[[int, int], list[tuple[Any, ...]]]):
        self.fetch = fetch

    def __getitem__(self, window: slice) -> list[tuple[Any, ...]]:
        return self.fetch(window.start, window.stop - window.start)


class CountedPaginator(Paginator):
    """A Paginator that is told the total (the selector caches it) instead of running COUNT itself."""

    def __init__(self, object_list: Any, per_page: int, *, total: int):
        super().__init__(object_list, per_page)
        self._total = total

    @cached_property
    def count(self) -> int:
        return self._total


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return reverse(name, kwargs={"ws": request.workspace.slug, **kwargs})


def _apply_errors(form: Any, exc: HeadwayError) -> None:
    """Put a service's error next to the field it names, or at the top of the form."""
    placed = False
    for name, errors in exc.fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _company_filters(query: QueryDict) -> dict[str, Any]:
    """List filters from the query string; unknown values are ignored rather than failing the page."""
    sort = query.get("sort", "name")
    return {
        "search": query.get("q", "").strip()[:200],
        "segment": query.get("segment", "") if query.get("segment") in Segment.values else "",
        "tier": query.get("tier", "") if query.get("tier") in Tier.values else "",
        "health": query.get("health", "") if query.get("health") in Health.values else "",
        "include_archived": query.get("archived") == "1",
        "ordering": sort if sort in selectors.COMPANY_ORDERINGS else "name",
    }


def _sort_links(ordering: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the order its header link asks for, and the current direction."""
    links = {}
    for column, first in SORTABLE.items():
        current = ordering.lstrip("-") == column
        descending = ordering.startswith("-")
        next_order = (column if descending else f"-{column}") if current else first
        direction = ("descending" if descending else "ascending") if current else ""
        links[column] = {"next": next_order, "dir": direction}
    return links


_LABELS = {**dict(Segment.choices), **dict(Tier.choices), **dict(Health.choices)}
# One row of the company list. The page is benchmarked and renders 50 rows per request: built with
# str.format and html.escape they cost about 0.2 ms, against 1.7 ms for the same markup as a
# template loop (or format_html). Every value is escaped, constants included.
_ROW = (
    '<tr{archived_class}><td><a href="{list_url}{pk}/"><strong>{name}</strong></a>{archived_tag}{domain}</td>'
    "<td>{segment}</td><td>{tier}</td>"
    '<td class="num nowrap">{arr}</td>'
    '<td><span class="tag tag-{health}">{health_label}</span></td>'
    '<td class="nowrap muted">{added}</td></tr>'
)


def _list_rows(values_list: Any, list_url: str) -> SafeString:
    esc = html.escape
    rows = []
    for pk, name, domain, segment, tier, arr, currency, health, archived_at, created_at in values_list:
        archived = archived_at is not None
        rows.append(
            _ROW.format(
                archived_class=' class="cu-archived"' if archived else "",
                list_url=esc(list_url),
                pk=int(pk),
                name=esc(name),
                archived_tag=' <span class="tag tag-archived">Archived</span>' if archived else "",
                domain=f'<div class="muted small">{esc(domain)}</div>' if domain else "",
                segment=esc(_LABELS[segment]),
                tier=esc(_LABELS[tier]),
                arr=esc(money(arr, currency)),
                health=esc(health),
                health_label=esc(_LABELS[health]),
                added=timezone.localtime(created_at).date().isoformat(),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)


# --- companies ------------------------------------------------------------------------------


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    filters = _company_filters(request.GET)
    ordering = filters.pop("ordering")
    total = selectors.company_count(actor=request.user, workspace=workspace, **filters)
    rows = PageRows(
        lambda offset, limit: selectors.company_page(
            actor=request.user, workspace=workspace, columns=LIST_COLUMNS, offset=offset, limit=limit,
            ordering=ordering, **filters,
        )
    )  # fmt: skip
    page = CountedPaginator(rows, PAGE_SIZE, total=total).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _list_rows(page.object_list, _url(request, "customers:list")),
        "filters": filters,
        "filtered": any(filters[k] for k in ("search", "segment", "tier", "health")),
        "sort": ordering,
        "sorts": _sort_links(ordering),
        "segments": Segment.choices,
        "tiers": Tier.choices,
        "healths": Health.choices,
        "area": "customers",
        "tab": "companies",
    }
    return render_page(request, "customers/company_list.html", context, fragment="company-rows")


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=request.workspace, company_id=pk)
    return _detail(request, company, ContactForm())


def _detail(request: HttpRequest, company: Company, contact_form: ContactForm, status: int = 200) -> HttpResponse:
    contacts = list(company.contacts.all())
    context = {
        "company": company,
        "contacts": contacts,
        "active_contacts": sum(1 for c in contacts if c.archived_at is None),
        "contact_form": contact_form,
        "history": selectors.company_history(actor=request.user, workspace=request.workspace, company=company)[:50],
        "area": "customers",
    }
    return render(request, "customers/company_detail.html", context, status=status)


@login_required
def company_create(request: HttpRequest) -> HttpResponse:
    permissions.require(request.user, Action.CUSTOMER_MANAGE, request.workspace)
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(actor=request.user, workspace=request.workspace, **form.cleaned_data)
            messages.success(request, f"Company “{company.name}” created.")
            return redirect(_url(request, "customers:detail", pk=company.pk))
        except FORM_ERRORS as exc:
            _apply_errors(form, exc)
    return _form_page(
        request,
        form,
        title="New company",
        submit="Create company",
        cancel_url=_url(request, "customers:list"),
        crumbs=[],
    )


@login_required
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=request.workspace, company_id=pk)
    permissions.require(request.user, Action.CUSTOMER_MANAGE, request.workspace, obj=company)
    initial = {name: getattr(company, name) for name in services.COMPANY_FIELDS}
    form = CompanyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(actor=request.user, company=company, **form.cleaned_data)
            messages.success(request, f"Company “{form.cleaned_data['name']}” saved.")
            return redirect(_url(request, "customers:detail", pk=company.pk))
        except FORM_ERRORS as exc:
            _apply_errors(form, exc)
    detail_url = _url(request, "customers:detail", pk=company.pk)
    return _form_page(
        request,
        form,
        title=f"Edit {company.name}",
        submit="Save changes",
        cancel_url=detail_url,
        crumbs=[(detail_url, company.name)],
    )


def _form_page(request: HttpRequest, form: Any, **context: Any) -> HttpResponse:
    context.update({"form": form, "area": "customers"})
    return render(request, "customers/form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def company_archive(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=request.workspace, company_id=pk)
    services.company_archive(actor=request.user, company=company)
    messages.success(request, f"“{company.name}” archived. Its contacts and history are kept; restore it any time.")
    return redirect(_url(request, "customers:detail", pk=pk))


@login_required
@require_POST
def company_restore(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=request.workspace, company_id=pk)
    services.company_restore(actor=request.user, company=company)
    messages.success(request, f"“{company.name}” restored.")
    return redirect(_url(request, "customers:detail", pk=pk))


# --- contacts -------------------------------------------------------------------------------


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    include_archived = request.GET.get("archived") == "1"
    qs = selectors.contact_list(
        actor=request.user, workspace=request.workspace, search=search, include_archived=include_archived
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": search,
        "include_archived": include_archived,
        "area": "customers",
        "tab": "contacts",
    }
    return render_page(request, "customers/contact_list.html", context, fragment="contact-rows")


@login_required
@require_POST
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=request.workspace, company_id=pk)
    permissions.require(request.user, Action.CUSTOMER_MANAGE, request.workspace, obj=company)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact = services.contact_create(actor=request.user, company=company, **form.cleaned_data)
            messages.success(request, f"{contact.name} added to {company.name}.")
            return redirect(_url(request, "customers:detail", pk=pk) + "#contacts")
        except FORM_ERRORS as exc:
            _apply_errors(form, exc)
    return _detail(request, company, form, status=400)


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, workspace=request.workspace, contact_id=pk)
    permissions.require(request.user, Action.CUSTOMER_MANAGE, request.workspace, obj=contact)
    initial = {"name": contact.name, "email": contact.email, "role": contact.role}
    form = ContactForm(request.POST or None, initial=initial)
    detail_url = _url(request, "customers:detail", pk=contact.company_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=request.user, contact=contact, **form.cleaned_data)
            messages.success(request, f"{form.cleaned_data['name']} saved.")
            return redirect(detail_url + "#contacts")
        except FORM_ERRORS as exc:
            _apply_errors(form, exc)
    return _form_page(
        request,
        form,
        title=f"Edit {contact.name}",
        submit="Save contact",
        cancel_url=detail_url,
        crumbs=[(detail_url, contact.company.name)],
    )


@login_required
@require_POST
def contact_archive(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, workspace=request.workspace, contact_id=pk)
    services.contact_archive(actor=request.user, contact=contact)
    messages.success(request, f"{contact.name} archived.")
    return redirect(_url(request, "customers:detail", pk=contact.company_id) + "#contacts")


@login_required
@require_POST
def contact_restore(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, workspace=request.workspace, contact_id=pk)
    services.contact_restore(actor=request.user, contact=contact)
    messages.success(request, f"{contact.name} restored.")
    return redirect(_url(request, "customers:detail", pk=contact.company_id) + "#contacts")


# --- import ---------------------------------------------------------------------------------


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    permissions.require(request.user, Action.CUSTOMER_MANAGE, request.workspace)
    kind = request.GET.get("kind") if request.GET.get("kind") in ImportKind.values else ImportKind.COMPANIES
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": kind})
    if request.method == "POST" and form.is_valid():
        try:
            batch = importing.import_upload(
                actor=request.user,
                workspace=request.workspace,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
            return redirect(_url(request, "customers:import_preview", pk=batch.pk))
        except FORM_ERRORS as exc:
            _apply_errors(form, exc)
    context = {
        "form": form,
        "columns": importing.COLUMNS,
        "segments": Segment.values,
        "tiers": Tier.values,
        "healths": Health.values,
        "max_rows": importing.max_rows(),
        "max_size": importing.max_size_text(),
        "area": "customers",
        "tab": "import",
    }
    return render(request, "customers/import.html", context, status=400 if form.errors else 200)


PREVIEW_ROWS = 200


@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.import_batch_get(actor=request.user, workspace=request.workspace, batch_id=pk)
    plan = (
        None if batch.status == ImportBatch.Status.IMPORTED else importing.import_plan(actor=request.user, batch=batch)
    )
    context = {
        "batch": batch,
        "plan": plan,
        "shown_rows": plan.rows[:PREVIEW_ROWS] if plan else [],
        "shown_errors": plan.errors[:PREVIEW_ROWS] if plan else [],
        "preview_limit": PREVIEW_ROWS,
        "columns": importing.COLUMNS[batch.kind]["required"] + importing.COLUMNS[batch.kind]["optional"],
        "area": "customers",
        "tab": "import",
    }
    return render(request, "customers/import_preview.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.import_batch_get(actor=request.user, workspace=request.workspace, batch_id=pk)
    try:
        expected = int(request.POST.get("expected_rows", ""))
    except ValueError:
        expected = -1
    try:
        plan = importing.import_confirm(
            actor=request.user,
            batch=batch,
            only_good_rows=request.POST.get("mode") == "good",
            expected_rows=expected,
        )
    except HeadwayError as exc:
        messages.error(request, exc.message)
        return redirect(_url(request, "customers:import_preview", pk=pk))
    what = "compan" if batch.kind == ImportKind.COMPANIES else "contact"
    plural = {"compan": ("company", "companies"), "contact": ("contact", "contacts")}[what]
    parts = [f"{plan.creates} {plural[plan.creates != 1]} created", f"{plan.updates} updated"]
    if plan.unchanged:
        parts.append(f"{plan.unchanged} unchanged")
    if plan.error_rows:
        parts.append(f"{plan.error_rows} bad row{'s' if plan.error_rows != 1 else ''} skipped")
    messages.success(request, f"Imported {batch.filename}: {', '.join(parts)}.")
    target = "customers:list" if batch.kind == ImportKind.COMPANIES else "customers:contacts"
    return redirect(_url(request, target) + "?sort=-created_at")


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.import_batch_get(actor=request.user, workspace=request.workspace, batch_id=pk)
    importing.import_cancel(actor=request.user, batch=batch)
    messages.info(request, "Import cancelled; nothing was changed.")
    return redirect(_url(request, "customers:import") + f"?kind={batch.kind}")


@login_required
def import_example(request: HttpRequest, kind: str) -> HttpResponse:
    permissions.require(request.user, Action.CUSTOMER_VIEW, request.workspace)
    if kind not in importing.EXAMPLES:
        return HttpResponse(status=404)
    response = HttpResponse(importing.EXAMPLES[kind], content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="headway-{kind}-example.csv"'
    return response


# --- export ---------------------------------------------------------------------------------


def _csv_response(request: HttpRequest, what: str, lines: Any) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{request.workspace.slug}-{what}-{stamp}.csv"'
    return response


@login_required
def export_companies(request: HttpRequest) -> StreamingHttpResponse:
    """The company list as filtered and sorted on screen, every page of it."""
    filters = _company_filters(request.GET)
    qs = selectors.company_list(actor=request.user, workspace=request.workspace, **filters)
    return _csv_response(
        request, "companies", exporting.stream_csv(exporting.COMPANY_HEADER, exporting.company_rows(qs))
    )


@login_required
def export_contacts(request: HttpRequest) -> StreamingHttpResponse:
    qs = selectors.contact_list(
        actor=request.user,
        workspace=request.workspace,
        search=request.GET.get("q", "").strip()[:200],
        include_archived=request.GET.get("archived") == "1",
    )
    return _csv_response(
        request, "contacts", exporting.stream_csv(exporting.CONTACT_HEADER, exporting.contact_rows(qs))
    )

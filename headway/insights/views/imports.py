# mypy: disable-error-code="attr-defined"
"""Importing feedback files: the list of imports, upload, preview with the column mapping, confirm,
progress (an htmx fragment polled every second while the import runs) and cancel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from headway.core import permissions
from headway.core.errors import Conflict, PermissionDenied, ValidationFailed
from headway.core.htmx import is_scripted, render_page, ws_url
from headway.core.permissions import Action
from headway.insights.importing.mapping import FIELDS
from headway.insights.importing.reading import max_bytes, max_rows, max_size_text
from headway.insights.models import InsightJob, NoteImport
from headway.insights.selectors.notes import portal_mirror_status
from headway.insights.services import imports as service
from headway.insights.services.jobs import job_start

LIST_SIZE = 50
PROBLEMS_SHOWN = 200


def _products(request: HttpRequest) -> list[Any]:
    from headway.portfolio.models import Product

    return list(
        permissions.scope(Product.objects.all(), request.user, request.workspace, Action.PORTFOLIO_VIEW).order_by(
            "name"
        )
    )


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV or Excel file", help_text="A .csv (any encoding Excel saves) or .xlsx file.")
    channel = forms.CharField(
        max_length=80, label="Channel", help_text="Where this feedback came from, e.g. “App Store reviews” or “NPS Q2”."
    )
    product = forms.TypedChoiceField(label="Product (optional)", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, products: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product: Any = self.fields["product"]
        product.choices = [("", "— none —"), *[(p.pk, p.name) for p in products]]


def _import(request: HttpRequest, pk: int) -> NoteImport:
    qs = permissions.scope(
        NoteImport.objects.select_related("product", "created_by"), request.user, request.workspace, Action.INSIGHT_VIEW
    )
    imp: NoteImport = permissions.get_or_404(qs, pk=pk)
    return imp


def _can_manage(request: HttpRequest) -> bool:
    return permissions.can(request.user, Action.INSIGHT_MANAGE, request.workspace)


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    qs = permissions.scope(NoteImport.objects.select_related("created_by", "product"), request.user, request.workspace,
                           Action.INSIGHT_VIEW).defer("rows", "columns", "errors")  # fmt: skip
    context = {
        "imports": list(qs.order_by("-created_at", "-id")[:LIST_SIZE]),
        "can_manage": _can_manage(request),
        "tab": "imports",
        "portal": portal_mirror_status(user=request.user, workspace=request.workspace),
    }
    return render_page(request, "insights/imports.html", context)


@login_required
@require_POST
def portal_sync(request: HttpRequest) -> HttpResponse:
    """Bring every portal idea into the inbox (new ideas arrive by themselves; this backfills)."""
    job = job_start(actor=request.user, workspace=request.workspace, kind=InsightJob.Kind.PORTAL_SYNC)
    if is_scripted(request):
        job.refresh_from_db()
        active = job.status in (InsightJob.Status.QUEUED, InsightJob.Status.RUNNING)
        return render_page(request, "insights/_job.html", {"job": job, "active": active})
    messages.success(request, "Bringing the portal ideas into the inbox in the background.")
    return redirect(ws_url(request, "insights:imports"))


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    permissions.require(request.user, Action.INSIGHT_MANAGE, request.workspace)
    products = _products(request)
    form = UploadForm(request.POST or None, request.FILES or None, products=products)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        product = next((p for p in products if p.pk == form.cleaned_data["product"]), None)
        try:
            if upload.size > max_bytes():
                raise ValidationFailed(
                    f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {max_size_text()}. "
                    "Split it into smaller files.",
                    fields={"file": ["Too big."]},
                )
            imp = service.import_upload(
                actor=request.user,
                workspace=request.workspace,
                data=upload.read(),
                filename=upload.name,
                channel=form.cleaned_data["channel"],
                product=product,
            )
            return redirect(ws_url(request, "insights:import_preview", pk=imp.pk))
        except ValidationFailed as exc:
            for name, reasons in exc.fields.items():
                target = name if name in form.fields else None
                for reason in reasons:
                    form.add_error(target, exc.message_without_field if name == "file" else reason)
    context = {"form": form, "max_size": max_size_text(), "max_rows": max_rows(), "fields": FIELDS, "tab": "imports"}
    return render_page(request, "insights/import_upload.html", context, status=400 if form.errors else 200)


def _shown(row: Any, name: str, products: dict[int, str]) -> Any:
    if name == "product":
        return products.get(row.product_id, "")
    if name == "company":
        return row.company
    value = getattr(row, name)
    return "" if value is None else value


@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    imp = _import(request, pk)
    if request.method == "POST":
        mapping = {name: request.POST.get(f"map_{name}", "") for name in FIELDS}
        product_id = request.POST.get("product", "")
        try:
            service.import_remap(
                actor=request.user,
                note_import=imp,
                mapping={k: v for k, v in mapping.items() if v},
                channel=request.POST.get("channel", imp.channel),
                product=int(product_id) if product_id.isdigit() else None,
            )
            messages.success(request, "Mapping saved; every row was checked again.")
        except (ValidationFailed, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect(ws_url(request, "insights:import_preview", pk=imp.pk))
    if imp.status != NoteImport.Status.PREVIEW:
        return redirect(ws_url(request, "insights:import_progress", pk=imp.pk))
    preview = service.import_preview(note_import=imp)
    mapped = [(name, FIELDS[name][0]) for name in FIELDS if name in imp.mapping]
    products = _products(request)
    names = {p.pk: p.name for p in products}
    rows = [(r.row, [(name, _shown(r, name, names)) for name, _ in mapped]) for r in preview.rows]
    context = {
        "imp": imp,
        "preview": preview,
        "problems": preview.problems[:PROBLEMS_SHOWN],
        "problems_shown": PROBLEMS_SHOWN,
        "fields": [(name, label, imp.mapping.get(name, "")) for name, (label, _) in FIELDS.items()],
        "mapped": mapped,
        "products": products,
        "rows": rows,
        "can_manage": _can_manage(request),
        "tab": "imports",
    }
    return render_page(request, "insights/import_preview.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    imp = _import(request, pk)
    try:
        service.import_confirm(actor=request.user, note_import=imp, skip_errors=request.POST.get("skip_errors") == "on")
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message_without_field)
        return redirect(ws_url(request, "insights:import_preview", pk=imp.pk))
    url = ws_url(request, "insights:import_progress", pk=imp.pk)
    return HttpResponseClientRedirect(url) if is_scripted(request) else redirect(url)


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    imp = _import(request, pk)
    running = imp.status in (NoteImport.Status.QUEUED, NoteImport.Status.RUNNING)
    context = {
        "imp": imp,
        "running": running,
        "unchanged": max(0, imp.total - imp.skipped - imp.created - imp.updated),
        "percent": int(100 * imp.done / imp.total) if imp.total else 0,
        "tab": "imports",
    }
    if is_scripted(request):
        return render(request, "insights/_import_progress.html", context)
    return render(request, "insights/import_progress.html", context)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    imp = _import(request, pk)
    try:
        service.import_cancel(actor=request.user, note_import=imp)
        messages.success(request, f"The import of {imp.filename} was cancelled; nothing was imported.")
    except Conflict as exc:
        messages.error(request, exc.message)
    url = ws_url(request, "insights:imports")
    return HttpResponseClientRedirect(url) if is_scripted(request) else redirect(url)


urlpatterns = [
    path("imports/", imports, name="imports"),
    path("imports/portal-sync/", portal_sync, name="portal_sync"),
    path("imports/upload/", import_upload, name="import_upload"),
    path("imports/<int:pk>/", import_preview, name="import_preview"),
    path("imports/<int:pk>/confirm/", import_confirm, name="import_confirm"),
    path("imports/<int:pk>/progress/", import_progress, name="import_progress"),
    path("imports/<int:pk>/cancel/", import_cancel, name="import_cancel"),
]

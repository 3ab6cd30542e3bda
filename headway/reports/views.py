"""Reports in the browser: the reports index and the strategy-alignment report (page, fragment, CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render

from headway.core import permissions
from headway.core.errors import ValidationFailed
from headway.core.htmx import render_page
from headway.customers.exporting import stream_csv
from headway.reports import exporting, selectors
from headway.reports.alignment import CUSTOM, REASON_LABELS, STAGE_LABELS, AlignmentReport, Period, period_parse
from headway.reports.exporting import STATUS_LABELS

# The page lists this many not-aligned features (largest first); the CSV has them all.
NOT_ALIGNED_SHOWN = 50


@login_required
def index(request: HttpRequest) -> HttpResponse:
    permissions.require_member(request.user, request.workspace)
    return render(request, "reports/index.html", {"area": "reports"})


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(query: QueryDict) -> tuple[Period, int | None, dict[str, Any]]:
    """Period and product from the query string. A period that cannot be read falls back to the
    current quarter with a message; a date that cannot be read is ignored."""
    errors: list[str] = []
    raw_period = query.get("period", "").strip()[:20]
    starts_on, ends_on = _date(query.get("starts_on")), _date(query.get("ends_on"))
    for name, raw, parsed in (("start", query.get("starts_on"), starts_on), ("end", query.get("ends_on"), ends_on)):
        if raw and parsed is None:
            errors.append(f"The {name} date “{raw[:20]}” is not a date (use YYYY-MM-DD); it was ignored.")
    if raw_period != CUSTOM:  # the custom dates count only when "Custom dates" is chosen
        starts_on = ends_on = None
    try:
        period = period_parse(raw_period, starts_on=starts_on, ends_on=ends_on, today=selectors.today())
    except ValidationFailed as exc:
        errors.append(f"“{raw_period}”: {exc.fields['period'][0]} Showing the current quarter.")
        period = period_parse("", today=selectors.today())
    raw_product = query.get("product", "")
    product_id = int(raw_product) if raw_product.isdigit() and len(raw_product) < 19 else None
    shown = {
        "period": period.value,
        "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat(),
        "product": product_id,
        "errors": errors,
    }
    return period, product_id, shown


def _chart_data(report: AlignmentReport) -> dict[str, Any]:
    """What alignment.js draws: effort by objective (direct shares) plus the work serving none,
    and each product's work by alignment. Numbers rounded as the tables show them."""
    objectives = [
        {"name": ("· " * o.depth) + o.title, "planned": round(o.direct.planned, 2),
         "in_progress": round(o.direct.in_progress, 2)}
        for o in report.objectives
    ]  # fmt: skip
    unaligned = [
        {"name": REASON_LABELS[key], "planned": round(effort.planned, 2), "in_progress": round(effort.in_progress, 2),
         "unaligned": True}
        for key, effort in (("no_objective", report.no_objective), ("other_objectives", report.other_objectives))
        if effort.features
    ]  # fmt: skip
    products = [
        {"name": g.name, "aligned": round(g.aligned.total, 2), "no_objective": round(g.no_objective.total, 2),
         "other_objectives": round(g.other_objectives.total, 2)}
        for g in report.products
    ]  # fmt: skip
    return {
        "unit": report.effort_unit,
        "labels": {**STAGE_LABELS, **REASON_LABELS, "aligned": "Serves an objective"},
        "objectives": objectives + unaligned,
        "products": products,
    }


@login_required
def alignment(request: HttpRequest) -> HttpResponse:
    period, product_id, filters = _filters(request.GET)
    report = selectors.alignment_report(
        actor=request.user, workspace=request.workspace, period=period, product_id=product_id
    )
    context = {
        "report": report,
        "filters": filters,
        "chart": _chart_data(report),
        "not_aligned": report.not_aligned[:NOT_ALIGNED_SHOWN],
        "not_aligned_more": max(0, len(report.not_aligned) - NOT_ALIGNED_SHOWN),
        "period_listed": any(p.value == period.value for p in report.period_choices),
        "stage_labels": STAGE_LABELS,
        "status_labels": STATUS_LABELS,
        "reason_labels": REASON_LABELS,
        "area": "reports",
    }
    return render_page(request, "reports/alignment.html", context, fragment="report")


@login_required
def alignment_export(request: HttpRequest) -> StreamingHttpResponse:
    period, product_id, _ = _filters(request.GET)
    report = selectors.alignment_report(
        actor=request.user, workspace=request.workspace, period=period, product_id=product_id
    )
    response = StreamingHttpResponse(
        stream_csv(exporting.HEADER, exporting.alignment_rows(report)), content_type="text/csv; charset=utf-8"
    )
    name = period.value if period.value != CUSTOM else f"{period.starts_on}-to-{period.ends_on}"
    response["Content-Disposition"] = f'attachment; filename="{request.workspace.slug}-alignment-{name}.csv"'
    response["Cache-Control"] = "no-store"
    return response

"""API: reports computed over the workspace (read-only; every member may read them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from headway.core.api import responses, workspace_of
from headway.reports import selectors
from headway.reports.alignment import AlignmentReport, Effort, GroupLine, period_parse
from headway.reports.schemas import AlignmentFilters, AlignmentOut

router = Router(tags=["reports"])


def _effort(e: Effort) -> dict[str, Any]:
    return e.as_dict()


def _group(g: GroupLine) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "total": _effort(g.total),
        "aligned": _effort(g.aligned),
        "no_objective": _effort(g.no_objective),
        "other_objectives": _effort(g.other_objectives),
        "aligned_share": round(g.aligned_share, 4),
    }


def alignment_out(report: AlignmentReport, *, not_aligned_limit: int) -> dict[str, Any]:
    p = report.period
    return {
        "period": {"value": p.value, "label": p.label, "starts_on": p.starts_on, "ends_on": p.ends_on},
        "product_id": report.product_id,
        "effort_unit": report.effort_unit,
        "total": _effort(report.total),
        "aligned": _effort(report.aligned),
        "no_objective": _effort(report.no_objective),
        "other_objectives": _effort(report.other_objectives),
        "aligned_share": round(report.aligned_share, 4),
        "objectives_in_period": report.objectives_in_period,
        "objectives": [
            {
                "id": o.id,
                "title": o.title,
                "parent_id": o.parent_id,
                "depth": o.depth,
                "owner_id": o.owner_id,
                "owner": o.owner,
                "status": o.status,
                "starts_on": o.starts_on,
                "ends_on": o.ends_on,
                "product_id": o.product_id,
                "direct": _effort(o.direct),
                "rolled_up": _effort(o.rolled_up),
                "share": round(o.share, 4),
                "has_work": o.has_work,
            }
            for o in report.objectives
        ],
        "objectives_without_work": [o.id for o in report.objectives_without_work],
        "initiatives": [
            {
                "id": i.id,
                "title": i.title,
                "status": i.status,
                "owner": i.owner,
                "effort": _effort(i.effort),
                "aligned": _effort(i.aligned),
                "share": round(i.share, 4),
            }
            for i in report.initiatives
        ],
        "products": [_group(g) for g in report.products],
        "owners": [_group(g) for g in report.owners],
        "not_aligned": [
            {
                "id": f.id,
                "ref": f.ref,
                "title": f.title,
                "product_id": f.product_id,
                "product": f.product,
                "owner_id": f.owner_id,
                "owner": f.owner,
                "stage": f.stage,
                "status": f.status,
                "effort": round(f.effort, 2) if f.effort is not None else None,
                "reason": f.reason,
                "objectives": f.objectives,
            }
            for f in report.not_aligned[:not_aligned_limit]
        ],
        "not_aligned_count": len(report.not_aligned),
    }


@router.get(
    "/reports/alignment",
    response=responses({200: AlignmentOut}),
    summary="Strategy alignment of planned and in-progress work",
    description=(
        "For a period: how much planned and in-progress effort serves each objective (split equally between "
        "the objectives of the period a feature serves; rolled up to parent objectives), each initiative, each "
        "product and each PM (feature owner); the work that serves no objective, feature by feature; and the "
        "objectives with no work behind them. Effort is in the workspace's unit."
    ),
)
def alignment(request: HttpRequest, filters: Query[AlignmentFilters]) -> dict[str, Any]:
    workspace = workspace_of(request)
    period = period_parse(filters.period, starts_on=filters.starts_on, ends_on=filters.ends_on, today=selectors.today())
    report = selectors.alignment_report(
        actor=request.user, workspace=workspace, period=period, product_id=filters.product
    )
    return alignment_out(report, not_aligned_limit=filters.not_aligned_limit)

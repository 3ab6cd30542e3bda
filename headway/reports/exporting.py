"""The alignment report as one CSV file: a ``section`` column says what each row is.

Sections: ``summary`` (all work, aligned, no objective, other objectives only), ``objective``
(tree order; ``level`` 0 is a root), ``initiative``, ``product``, ``pm`` and ``not_aligned`` (every
feature, not only the ones the page shows). Blank cells mean "does not apply to this section".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from headway.reports.alignment import REASON_LABELS, STAGE_LABELS, AlignmentReport, Effort, GroupLine, r2

HEADER = [
    "section", "id", "ref", "name", "level", "parent", "owner", "product", "status", "planned", "in_progress",
    "total", "features", "unestimated", "rolled_up_total", "rolled_up_features", "aligned_total",
    "no_objective_total", "other_objectives_total", "share_of_all_work_percent", "note",
]  # fmt: skip

STATUS_LABELS = {
    "on_track": "On track", "at_risk": "At risk", "off_track": "Off track", "done": "Done", "dropped": "Dropped",
    "proposed": "Proposed", "active": "Active", "paused": "Paused",
}  # fmt: skip


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}" if whole else "0.0"


def _row(section: str, effort: Effort, **cells: Any) -> list[Any]:
    values = {
        "section": section,
        "planned": r2(effort.planned),
        "in_progress": r2(effort.in_progress),
        "total": r2(effort.total),
        "features": effort.features,
        "unestimated": effort.unestimated,
        **cells,
    }
    return [values.get(column, "") for column in HEADER]


def _group(section: str, g: GroupLine, whole: float) -> list[Any]:
    return _row(
        section,
        g.total,
        id=g.id if g.id is not None else "",
        name=g.name,
        aligned_total=r2(g.aligned.total),
        no_objective_total=r2(g.no_objective.total),
        other_objectives_total=r2(g.other_objectives.total),
        share_of_all_work_percent=_percent(g.total.total, whole),
    )


def alignment_rows(report: AlignmentReport) -> Iterator[list[Any]]:
    whole = report.total.total
    titles = {o.id: o.title for o in report.objectives}
    products = dict(report.product_options)
    summary = [
        ("All planned and in-progress work", report.total),
        ("Serves an objective of the period", report.aligned),
        (REASON_LABELS["no_objective"], report.no_objective),
        (REASON_LABELS["other_objectives"], report.other_objectives),
    ]
    for name, effort in summary:
        yield _row(
            "summary", effort, name=name, share_of_all_work_percent=_percent(effort.total, whole),
            note=f"{report.period.label}; effort in {report.effort_unit}",
        )  # fmt: skip
    for o in report.objectives:
        yield _row(
            "objective",
            o.direct,
            id=o.id,
            name=o.title,
            level=o.depth,
            parent=titles.get(o.parent_id, "") if o.parent_id else "",
            owner=o.owner if o.owner_id else "",
            product=products.get(o.product_id, "") if o.product_id else "",
            status=STATUS_LABELS.get(o.status, o.status),
            rolled_up_total=r2(o.rolled_up.total),
            rolled_up_features=o.rolled_up.features,
            share_of_all_work_percent=_percent(o.direct.total, whole),
            note="" if o.has_work else "no planned or in-progress work",
        )
    for i in report.initiatives:
        yield _row(
            "initiative",
            i.effort,
            id=i.id if i.id is not None else "",
            name=i.title,
            owner=i.owner,
            status=STATUS_LABELS.get(i.status, i.status),
            aligned_total=r2(i.aligned.total),
            share_of_all_work_percent=_percent(i.effort.total, whole),
        )
    for g in report.products:
        yield _group("product", g, whole)
    for g in report.owners:
        yield _group("pm", g, whole)
    for f in report.not_aligned:
        effort = Effort()
        effort.add(f.stage, f.effort)
        yield _row(
            "not_aligned",
            effort,
            id=f.id,
            ref=f.ref,
            name=f.title,
            owner=f.owner if f.owner_id else "",
            product=f.product,
            status=f"{f.status} ({STAGE_LABELS[f.stage]})",
            share_of_all_work_percent=_percent(f.effort or 0.0, whole),
            note=REASON_LABELS[f.reason] + (": " + "; ".join(f.objectives) if f.objectives else ""),
        )

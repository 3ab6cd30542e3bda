"""Reads for reports. Each report loads plain rows in a fixed number of queries and computes in Python."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from headway.accounts.models import User
from headway.core import permissions
from headway.core.errors import NotFound
from headway.core.permissions import Action
from headway.reports.alignment import (
    IN_PROGRESS,
    PLANNED,
    AlignmentReport,
    FeatureRow,
    InitiativeRow,
    ObjectiveRow,
    Period,
    compute,
    period_choices,
)
from headway.workspaces.models import Workspace

# Workflow status categories (backlog.StatusCategory) → the report's stages.
STAGE_OF_CATEGORY = {"not_started": PLANNED, "active": IN_PROGRESS}
EFFORT_UNITS = {"points": "points", "person_weeks": "person-weeks"}


def today() -> dt.date:
    return timezone.localdate()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building the report allocates ~100,000 small objects at 50,000 features; each allocation burst
    starts Python's cycle collector, which then walks all of them again (a third of the time, measured
    in bench/strategy.py). None of them form cycles, so the collector waits until the report is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def alignment_report(
    *, actor: Any, workspace: Workspace, period: Period, product_id: int | None = None
) -> AlignmentReport:
    with _collector_paused():
        return _alignment_report(actor=actor, workspace=workspace, period=period, product_id=product_id)


def _alignment_report(
    *, actor: Any, workspace: Workspace, period: Period, product_id: int | None = None
) -> AlignmentReport:
    """The strategy-alignment report of one workspace for a period (and optionally one product).

    Seven queries whatever the size of the backlog: features in scope (with their status), their
    objective links, all objectives, initiatives and their products, products, and the people named.
    """
    from headway.backlog.models import BacklogSettings, Feature, FeatureObjective
    from headway.portfolio.models import Product
    from headway.strategy.models import Initiative, InitiativeProduct, Objective

    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    permissions.require(actor, Action.BACKLOG_VIEW, workspace)

    products = list(Product.objects.filter(workspace=workspace).order_by("name", "id").values_list("id", "name", "key"))
    keys = {pk: key for pk, _, key in products}
    if product_id is not None and product_id not in keys:
        raise NotFound("No product matches that id in this workspace.")

    in_scope = {"workspace": workspace, "archived_at__isnull": True, "status__category__in": list(STAGE_OF_CATEGORY)}
    if product_id is not None:
        in_scope["product_id"] = product_id
    feature_values = (
        Feature.objects.filter(**in_scope)
        .order_by()
        # A float from the database: no Decimal per row (50,000 of them cost ~50 ms).
        .annotate(effort_value=Cast("effort", FloatField()))
        .values_list(
            "id", "title", "product_id", "number", "owner_id", "status__category", "status__name", "effort_value",
            "initiative_id",
        )
    )  # fmt: skip
    link_filter = {f"feature__{k}": v for k, v in in_scope.items() if k != "workspace"}
    links: dict[int, list[int]] = {}
    for feature_id, objective_id in (
        FeatureObjective.objects.filter(workspace=workspace, **link_filter)
        .order_by()
        .values_list("feature_id", "objective_id")
    ):
        links.setdefault(feature_id, []).append(objective_id)
    stage_of = STAGE_OF_CATEGORY
    numbers: dict[int, int] = {}
    features = []
    for pk, title, product, number, owner, category, status, effort, initiative in feature_values:
        numbers[pk] = number
        # Positional: this runs once per feature (keyword arguments cost a third more).
        features.append(
            FeatureRow(pk, title, product, owner, stage_of[category], status, effort, initiative, links.get(pk, ()))
        )
    objectives = [
        ObjectiveRow(
            id=pk, title=title, parent_id=parent, owner_id=owner, starts_on=starts, ends_on=ends, status=status,
            product_id=product, archived=archived is not None, position=position,
        )
        for pk, title, parent, owner, starts, ends, status, product, archived, position in Objective.objects.filter(
            workspace=workspace
        )
        .order_by()
        .values_list(
            "id", "title", "parent_id", "owner_id", "starts_on", "ends_on", "status", "product_id", "archived_at",
            "position",
        )
    ]  # fmt: skip
    initiative_products: dict[int, list[int]] = {}
    for initiative_id, product in (
        InitiativeProduct.objects.filter(workspace=workspace).order_by().values_list("initiative_id", "product_id")
    ):
        initiative_products.setdefault(initiative_id, []).append(product)
    initiatives = [
        InitiativeRow(
            id=pk, title=title, status=status, owner_id=owner, starts_on=starts, ends_on=ends,
            product_ids=tuple(initiative_products.get(pk, ())), archived=archived is not None,
        )
        for pk, title, status, owner, starts, ends, archived in Initiative.objects.filter(workspace=workspace)
        .order_by()
        .values_list("id", "title", "status", "owner_id", "starts_on", "ends_on", "archived_at")
    ]  # fmt: skip
    owners = [f.owner_id for f in features] + [o.owner_id for o in objectives] + [i.owner_id for i in initiatives]
    people_ids = {pid for pid in owners if pid is not None}
    people = {
        pk: full_name or email
        for pk, full_name, email in User.objects.filter(pk__in=people_ids).values_list("id", "full_name", "email")
    }
    unit = BacklogSettings.objects.filter(workspace=workspace).values_list("effort_unit", flat=True).first() or "points"
    report = compute(
        period=period,
        features=features,
        objectives=objectives,
        initiatives=initiatives,
        products={pk: name for pk, name, _ in products},
        people=people,
        product_id=product_id,
    )
    for line in report.not_aligned:  # references only for the features the report lists
        line.ref = f"{keys.get(line.product_id, '?')}-{numbers[line.id]}"
    report.effort_unit = EFFORT_UNITS.get(unit, unit)
    report.period_choices = period_choices(
        ((o.starts_on, o.ends_on) for o in objectives if not o.archived), today=today()
    )
    report.product_options = [(pk, f"{name} ({key})") for pk, name, key in products]
    return report

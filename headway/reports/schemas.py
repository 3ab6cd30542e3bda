"""API schemas of the reports: explicit inputs and outputs (the figures' rules: reports/alignment.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from headway.core.api import Date, Id, Matching

PERIOD_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})(-([Qq][1-4]|[Hh][12]))?$"

Period = Annotated[
    str,
    Field(
        max_length=7,
        description="A quarter (2026-Q1), a half (2026-H2) or a year (2026). Default: the current quarter.",
        examples=["2026-Q1"],
    ),
    Matching(PERIOD_PATTERN, "Use a quarter (2026-Q1), a half (2026-H2) or a year (2026)."),
]


class AlignmentFilters(Schema):
    period: Period | None = None
    starts_on: Date | None = Field(
        None,
        description="A custom period from this date (inclusive). With only one of starts_on/ends_on, the other "
        "end comes from `period`; dates given the wrong way round are read the right way round.",
    )
    ends_on: Date | None = Field(None, description="A custom period up to this date (inclusive).")
    product: Id | None = Field(None, description="Only this product's features (and its own objectives).")
    not_aligned_limit: int = Field(
        200,
        ge=0,
        le=10_000,
        description="How many not-aligned features to list, largest first (see not_aligned_count).",
    )


class EffortOut(Schema):
    planned: float = Field(description="Effort of features in a planned (not started) status.")
    in_progress: float = Field(description="Effort of features in an in-progress status.")
    total: float
    features: int = Field(description="Features behind the figure (each counted once).")
    unestimated: int = Field(description="How many of them have no estimate (they add no effort).")


class PeriodOut(Schema):
    value: str = Field(description='"2026-Q1", "2026-H2", "2026", or "custom".')
    label: str
    starts_on: dt.date
    ends_on: dt.date


class ObjectiveLineOut(Schema):
    id: int
    title: str
    parent_id: int | None
    depth: int = Field(description="0 for an objective whose parent is not in the report.")
    owner_id: int | None
    owner: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    product_id: int | None
    direct: EffortOut = Field(description="Its own shares: a feature serving n objectives of the period gives 1/n.")
    rolled_up: EffortOut = Field(description="Its direct effort plus that of all its sub-objectives.")
    share: float = Field(description="direct.total / total.total (0..1).")
    has_work: bool


class InitiativeLineOut(Schema):
    id: int | None = Field(description="null: the features without an initiative.")
    title: str
    status: str
    owner: str
    effort: EffortOut
    aligned: EffortOut = Field(description="The part that serves an objective of the period.")
    share: float


class GroupLineOut(Schema):
    id: int | None = Field(description="Product id or owner (user) id; null: features without an owner.")
    name: str
    total: EffortOut
    aligned: EffortOut
    no_objective: EffortOut
    other_objectives: EffortOut
    aligned_share: float


class NotAlignedOut(Schema):
    id: int
    ref: str
    title: str
    product_id: int
    product: str
    owner_id: int | None
    owner: str
    stage: Literal["planned", "in_progress"]
    status: str
    effort: float | None
    reason: Literal["no_objective", "other_objectives"]
    objectives: list[str] = Field(description="other_objectives: the objectives (outside the period) it serves.")


class AlignmentOut(Schema):
    period: PeriodOut
    product_id: int | None
    effort_unit: str = Field(description='"points" or "person-weeks".')
    total: EffortOut = Field(description="All planned and in-progress work in scope.")
    aligned: EffortOut = Field(description="Work serving at least one objective of the period.")
    no_objective: EffortOut = Field(description="Work serving no objective at all.")
    other_objectives: EffortOut = Field(description="Work serving only objectives outside the period (or dropped).")
    aligned_share: float
    objectives_in_period: int
    objectives: list[ObjectiveLineOut] = Field(description="Tree order.")
    objectives_without_work: list[int] = Field(description="Ids of objectives with no work behind them.")
    initiatives: list[InitiativeLineOut]
    products: list[GroupLineOut]
    owners: list[GroupLineOut] = Field(description="Per PM: the features' owners.")
    not_aligned: list[NotAlignedOut]
    not_aligned_count: int

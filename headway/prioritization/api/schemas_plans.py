"""Schemas of the capacity plans API (``api/plans.py``): strict inputs, documented outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from headway.core.api import MAX_PAGE, Id, StrictIn
from headway.prioritization.services.plan_inputs import MAX_FEATURES, MAX_TEAMS
from headway.prioritization.services.plans import MAX_SCENARIO_CHANGES

GoalName = Literal["score", "demand", "objective_mix"]
StateName = Literal["draft", "solved", "committed"]
StatusName = Literal["optimal", "gap_proven", "time_limit_feasible", "no_solution", "infeasible"]
ReasonName = Literal["capacity", "dependency", "share", "value", ""]
Amount = Annotated[float, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]
Capacity = Annotated[float, Field(ge=0, le=99_999_999, allow_inf_nan=False)]
Weight = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Factor = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
Value = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Ids = Annotated[list[Id], Field(max_length=MAX_FEATURES)]
PlanName = Annotated[str, Field(max_length=120)]
Period = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="2027-Q1, 2027-H2, 2027, 2027-03, or a date range 2027-01-05..2027-02-20.",
        examples=["2027-Q1"],
    ),
]


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, never null: leave the field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


# --- schemas ----------------------------------------------------------------------------------


class WeightIn(StrictIn):
    objective_id: Id
    weight: Weight


class ShareIn(StrictIn):
    objective_id: Id
    min_share: Share = Field(description="At least this fraction (0–1) of the teams' total capacity.")


class CapacityIn(StrictIn):
    team_id: Id
    capacity: Capacity


class PlanIn(StrictIn):
    name: PlanName = Field("", description='Defaults to "<period> plan".')
    period: Period
    team_ids: list[Id] = Field(min_length=1, max_length=MAX_TEAMS)
    goal: GoalName = "score"
    scoring_model_id: Id | None = Field(None, description="For goal score; defaults to the workspace's default model.")
    objective_weights: list[WeightIn] | None = Field(
        None, max_length=500, description="For goal objective_mix; defaults to each objective's own weight."
    )
    shares: list[ShareIn] = Field(default_factory=list, max_length=100)
    feature_ids: Ids | None = Field(
        None, description="The candidates; default: the open features of the products allocated to the teams."
    )
    must_have_ids: Ids = Field(default_factory=list)


class PlanPatch(StrictIn):
    name: Annotated[str, Field(min_length=1, max_length=120)] = _optional()
    goal: GoalName = _optional()
    scoring_model_id: Id | None = Field(default=None, description="null: no scoring model (not for goal score).")
    objective_weights: list[WeightIn] = Field(default=None, max_length=500, json_schema_extra=_not_in_schema)
    shares: list[ShareIn] = Field(default=None, max_length=100, json_schema_extra=_not_in_schema)
    capacities: list[CapacityIn] = Field(default=None, max_length=MAX_TEAMS, json_schema_extra=_not_in_schema)
    must_have_ids: Ids = _optional()
    feature_ids: Ids = _optional()
    add_feature_ids: Ids = _optional()
    remove_feature_ids: Ids = _optional()


class AddCapacityIn(StrictIn):
    kind: Literal["add_capacity"]
    team_id: Id
    amount: Amount = Field(description="Added to the team's capacity (negative: taken away).")


class ScaleEffortIn(StrictIn):
    kind: Literal["scale_effort"]
    feature_id: Id
    factor: Factor = Field(description="The feature's effort is multiplied by this (0.5: half the scope).")


class SetWeightIn(StrictIn):
    kind: Literal["set_weight"]
    objective_id: Id
    weight: Weight


class SetValueIn(StrictIn):
    kind: Literal["set_value"]
    feature_id: Id
    value: Value


# A plain union: StrictIn's validator on every field rules out pydantic's discriminator, and each
# change's "kind" literal (with extra fields forbidden) already picks exactly one.
ChangeIn = AddCapacityIn | ScaleEffortIn | SetWeightIn | SetValueIn


class ScenarioIn(StrictIn):
    name: PlanName = Field("", description="Defaults to a description of the changes.")
    changes: list[ChangeIn] = Field(min_length=1, max_length=MAX_SCENARIO_CHANGES)


class FeatureRef(Schema):
    id: int
    ref: str
    title: str


class PlanTeamOut(Schema):
    id: int
    name: str
    capacity: float
    used: float
    percent: float = Field(description="Capacity used, in percent.")


class PlanItemOut(Schema):
    feature_id: int
    ref: str
    title: str
    product: str
    team_id: int | None
    team: str
    value: float
    effort: float
    must_have: bool
    chosen: bool
    reason: ReasonName = Field(description="Why it is below the line (empty when chosen).")
    message: str
    position: int


class ExcludedOut(Schema):
    id: int
    ref: str
    why: str = Field(description="Why it is not a candidate: not estimated, closed, already released…")
    must_have: bool


class GreedyOut(Schema):
    rule: Literal["value", "value_per_effort"]
    value: float
    chosen: int
    value_over_greedy: float | None


class TeamDelta(Schema):
    team_id: int
    team: str
    delta: float


class ScenarioOut(Schema):
    id: int
    name: str
    changes: list[dict[str, Any]]
    described: list[str]
    status: StatusName | None
    total_value: float | None
    chosen_count: int
    added: list[FeatureRef]
    removed: list[FeatureRef]
    value_delta: float
    capacity_used_delta: list[TeamDelta]


class WeightOut(Schema):
    objective_id: int
    weight: float


class ShareOut(Schema):
    objective_id: int
    min_share: float


class PlanOut(Schema):
    id: int
    name: str
    period: str
    starts_on: dt.date
    ends_on: dt.date
    goal: GoalName
    scoring_model_id: int | None
    state: StateName
    status: StatusName | None
    total_value: float | None
    value_over_greedy: float | None
    created_at: dt.datetime
    solved_at: dt.datetime | None
    committed_at: dt.datetime | None


class PlanDetailOut(PlanOut):
    stale: bool = Field(description="Changed since it was last solved.")
    feasible: bool
    unit: str
    gap: float | None
    solve_seconds: float | None
    objective_weights: list[WeightOut]
    shares: list[ShareOut]
    teams: list[PlanTeamOut]
    chosen: list[PlanItemOut]
    below: list[PlanItemOut]
    excluded: list[ExcludedOut]
    greedy: GreedyOut | None
    scenarios: list[ScenarioOut]
    moscow_warning: str | None
    warnings: list[str]
    reasons: list[str] = Field(description="Why the plan is infeasible.")


class PlanPage(Schema):
    items: list[PlanOut]
    count: int
    page: int
    page_size: int
    pages: int


class PlanFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=100)


class CompareSide(Schema):
    id: int
    name: str
    total_value: float
    chosen: int


class CompareOtherSide(CompareSide):
    kind: Literal["plan", "scenario"]


class CompareOut(Schema):
    base: CompareSide
    other: CompareOtherSide
    added: list[FeatureRef]
    removed: list[FeatureRef]
    value_delta: float
    capacity_used_delta: list[TeamDelta]


class CompareFilters(Schema):
    other: Id | None = Field(None, description="Another plan's id.")
    scenario: Id | None = Field(None, description="One of this plan's scenarios.")


class SayNoObjectiveOut(Schema):
    id: int
    title: str
    weight: int
    current: bool = Field(description="Its period contains today.")


class RankOut(Schema):
    model_id: int
    model: str
    position: int
    total: int
    score: float | None
    label: str


class DisplacedOut(Schema):
    id: int
    ref: str
    title: str
    value: float


class DisplacesOut(Schema):
    plan_id: int
    plan: str
    feasible: bool
    dropped: list[DisplacedOut]
    added: list[DisplacedOut]
    value_lost: float
    value_gained: float
    net_value: float
    reasons: list[str]


class SayNoOut(Schema):
    subject: str
    sentences: list[str]
    objectives_served: list[SayNoObjectiveOut]
    objectives_not_served: list[SayNoObjectiveOut]
    rank: RankOut | None
    displaces: DisplacesOut | None

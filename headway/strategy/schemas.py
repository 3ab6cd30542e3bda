"""API shapes for visions, objectives, key results, check-ins and initiatives: strict inputs, explicit outputs.

Key result values travel as decimal strings in responses (``"12.5"``). Requests may send a JSON
number (rounded to 4 decimals) or a decimal string with at most 4 decimals (``"12.5"``).
Dates are ``YYYY-MM-DD`` strings. Progress is a number from 0 to 1, or null ("no measures yet").
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, PlainValidator, WithJsonSchema

from headway.core.api import MAX_PAGE, MAX_PAGE_SIZE, Date, Id, StrictIn
from headway.core.errors import ValidationFailed
from headway.strategy.models import MAX_WEIGHT
from headway.strategy.services import parse_value

PeriodKindName = Literal["quarter", "half", "year", "custom"]
ObjectiveStatusName = Literal["on_track", "at_risk", "off_track", "done", "dropped"]
HealthName = Literal["on_track", "at_risk", "off_track"]
DirectionName = Literal["increase", "decrease", "keep_above", "keep_below"]
InitiativeStatusName = Literal["proposed", "active", "paused", "done", "dropped"]
ObjectiveOrdering = Literal[
    "position", "title", "-title", "starts_on", "-starts_on", "created_at", "-created_at", "updated_at", "-updated_at"
]  # fmt: skip
InitiativeOrdering = Literal[
    "title", "-title", "starts_on", "-starts_on", "created_at", "-created_at", "updated_at", "-updated_at"
]  # fmt: skip

VALUE_PATTERN = r"^-?\d{1,16}(\.\d{1,4})?$"
_VALUE_RE = re.compile(VALUE_PATTERN)
VALUE_MAX = 999_999_999_999_999


def _value(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError('Send a number or a decimal string such as "12.5".')
    if isinstance(value, str) and not _VALUE_RE.fullmatch(value):
        raise ValueError('Send a decimal string with at most 4 decimals, such as "12.5".')
    if isinstance(value, int | float) and abs(value) > VALUE_MAX:
        raise ValueError(f"Send a number between -{VALUE_MAX} and {VALUE_MAX}.")
    try:
        return parse_value(value)
    except ValidationFailed as exc:
        raise ValueError(exc.fields["value"][0]) from exc


Value = Annotated[
    Decimal,
    PlainValidator(_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": -VALUE_MAX, "maximum": VALUE_MAX},
                {"type": "string", "pattern": VALUE_PATTERN, "examples": ["12.5"]},
            ],
            "description": "A JSON number (rounded to 4 decimals) or a decimal string with at most 4 decimals.",
        }
    ),
]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
LongText = Annotated[str, Field(max_length=20_000)]
Weight = Annotated[int, Field(ge=1, le=MAX_WEIGHT, description=f"1 to {MAX_WEIGHT}; how much it counts in the roll-up")]


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, but never null: leave a field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


def value_text(value: Decimal) -> str:
    """12.5000 → "12.5", 100.0000 → "100"."""
    return format(value.normalize(), "f")


class PageFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


# --- people -----------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    email: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.display_name


# --- objectives -------------------------------------------------------------------------------


class ObjectiveOut(Schema):
    id: int
    parent_id: int | None
    title: str
    description: str
    owner_id: int | None
    owner: PersonOut | None
    product_line_id: int | None
    product_id: int | None
    period_kind: PeriodKindName
    period: str = Field(description='Readable period, such as "Q2 2026".')
    starts_on: dt.date
    ends_on: dt.date
    status: ObjectiveStatusName
    weight: int
    position: int
    progress: float | None = Field(description="0 to 1 (see docs/strategy.md), or null when nothing is measured yet.")
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ObjectiveIn(StrictIn):
    title: Title
    description: LongText = ""
    parent_id: Id | None = None
    owner_id: Id | None = None
    product_line_id: Id | None = None
    product_id: Id | None = None
    period_kind: PeriodKindName = "quarter"
    starts_on: Date
    ends_on: Date | None = Field(
        None, description="Leave out for a quarter, half or year: it ends 3, 6 or 12 months after the start."
    )
    status: ObjectiveStatusName = "on_track"
    weight: Weight = 1


class ObjectivePatch(StrictIn):
    title: Title = _optional()
    description: LongText = _optional()
    owner_id: Id | None = None
    product_line_id: Id | None = None
    product_id: Id | None = None
    period_kind: PeriodKindName = _optional()
    starts_on: Date = _optional()
    ends_on: Date = _optional()
    status: ObjectiveStatusName = _optional()
    weight: Weight = _optional()


class ObjectiveMoveIn(StrictIn):
    parent_id: Id | None = Field(description="the new parent; null puts the objective at the top of the cascade")
    position: int | None = Field(None, ge=0, le=2**31 - 1, description="0 = first; leave out (or past the end) = last")


class ObjectiveFilters(PageFilters):
    search: str = Field("", description="part of the title")
    status: ObjectiveStatusName | Literal[""] = ""
    owner_id: Id | None = None
    parent_id: Id | None = Field(None, description="children of this objective")
    top_level: bool = Field(False, description="only objectives without a parent")
    product_id: Id | None = None
    active_on: Date | None = Field(None, description="objectives whose period includes this date")
    include_archived: bool = False
    ordering: ObjectiveOrdering = "position"


# --- key results ------------------------------------------------------------------------------


class KeyResultOut(Schema):
    id: int
    objective_id: int
    title: str
    start_value: str
    target_value: str
    current_value: str
    unit: str
    direction: DirectionName
    weight: int
    position: int
    progress: float = Field(description="0 to 1 (see docs/strategy.md)")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_start_value(obj: Any) -> str:
        return value_text(obj.start_value)

    @staticmethod
    def resolve_target_value(obj: Any) -> str:
        return value_text(obj.target_value)

    @staticmethod
    def resolve_current_value(obj: Any) -> str:
        return value_text(obj.current_value)


class KeyResultIn(StrictIn):
    objective_id: Id
    title: Title
    start_value: Value = Decimal("0")
    target_value: Value
    current_value: Value | None = Field(None, description="defaults to the start value")
    unit: str = Field("", max_length=24, description='such as "%", "ms", "customers"')
    direction: DirectionName = "increase"
    weight: Weight = 1


class KeyResultPatch(StrictIn):
    title: Title = _optional()
    start_value: Value = _optional()
    target_value: Value = _optional()
    current_value: Value = _optional()
    unit: Annotated[str, Field(max_length=24)] = _optional()
    direction: DirectionName = _optional()
    weight: Weight = _optional()


class KeyResultFilters(PageFilters):
    objective_id: Id | None = None


# --- check-ins --------------------------------------------------------------------------------


class CheckInValueIn(StrictIn):
    key_result_id: Id
    value: Value


class CheckInIn(StrictIn):
    health: HealthName
    comment: LongText = ""
    date: Date | None = Field(None, description="defaults to today; never in the future")
    values: list[CheckInValueIn] = Field(
        default_factory=list, max_length=100, description="new current values of the objective's key results"
    )


class CheckInOut(Schema):
    id: int
    objective_id: int
    author: PersonOut | None
    date: dt.date
    health: HealthName
    comment: str
    progress: float | None = Field(description="the objective's progress when the check-in was made")
    values: dict[str, str] = Field(description="key result id → its value at the check-in")
    created_at: dt.datetime

    @staticmethod
    def resolve_progress(obj: Any) -> float | None:
        return float(obj.progress) if obj.progress is not None else None


# --- initiatives ------------------------------------------------------------------------------


class InitiativeOut(Schema):
    id: int
    title: str
    problem: str
    owner_id: int | None
    owner: PersonOut | None
    status: InitiativeStatusName
    starts_on: dt.date | None
    ends_on: dt.date | None
    objective_ids: list[int]
    product_ids: list[int]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_objective_ids(obj: Any) -> list[int]:
        return [o.pk for o in obj.linked_objectives]

    @staticmethod
    def resolve_product_ids(obj: Any) -> list[int]:
        return [p.pk for p in obj.linked_products]


class InitiativeIn(StrictIn):
    title: Title
    problem: LongText = Field("", description="the problem it solves, in a few sentences")
    owner_id: Id | None = None
    status: InitiativeStatusName = "proposed"
    starts_on: Date | None = None
    ends_on: Date | None = None
    objective_ids: list[Id] = Field(default_factory=list, max_length=200)
    product_ids: list[Id] = Field(default_factory=list, max_length=200)


class InitiativePatch(StrictIn):
    title: Title = _optional()
    problem: LongText = _optional()
    owner_id: Id | None = None
    status: InitiativeStatusName = _optional()
    starts_on: Date | None = None
    ends_on: Date | None = None
    objective_ids: Annotated[list[Id], Field(max_length=200)] = _optional()
    product_ids: Annotated[list[Id], Field(max_length=200)] = _optional()


class InitiativeFilters(PageFilters):
    search: str = Field("", description="part of the title or problem statement")
    status: InitiativeStatusName | Literal[""] = ""
    owner_id: Id | None = None
    objective_id: Id | None = None
    product_id: Id | None = None
    include_archived: bool = False
    ordering: InitiativeOrdering = "title"


# --- visions ----------------------------------------------------------------------------------


class VisionOut(Schema):
    id: int
    product_id: int | None = Field(description="null for the workspace's own vision")
    statement: str
    mission: str
    target_customers: str
    value_proposition: str
    principles: str
    created_at: dt.datetime
    updated_at: dt.datetime


class VisionIn(StrictIn):
    product_id: Id | None = Field(None, description="leave out for the workspace's vision")
    statement: LongText = ""
    mission: LongText = ""
    target_customers: LongText = ""
    value_proposition: LongText = ""
    principles: LongText = ""


class VisionPatch(StrictIn):
    statement: LongText = _optional()
    mission: LongText = _optional()
    target_customers: LongText = _optional()
    value_proposition: LongText = _optional()
    principles: LongText = _optional()


class VisionVersionOut(Schema):
    id: int
    number: int
    author: PersonOut | None
    statement: str
    mission: str
    target_customers: str
    value_proposition: str
    principles: str
    created_at: dt.datetime

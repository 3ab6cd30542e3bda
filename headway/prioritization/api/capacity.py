"""API: teams, their members (capacity per week, dates in the team), members' time off, the shares of
a team given to products and initiatives, and a team's capacity for a period.

Every member reads; leaders and admins change (``capacity.manage``). Capacity is in the workspace's
effort unit (person-weeks or points): a member's capacity for a period is their capacity per week ×
the weekdays they are in the team during the period, less their time off, ÷ 5. Archived teams are
listed only with ``include_archived=true``, still answer ``GET /teams/{id}``, and refuse changes (409).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, PlainValidator, WithJsonSchema

from headway.backlog.schemas import NOT_BLANK
from headway.core import permissions
from headway.core.api import MAX_PAGE, Date, Id, Page, StrictIn, api_field_names, responses, workspace_of
from headway.core.errors import NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.prioritization import capacity
from headway.prioritization.models import Team, TeamAllocation, TeamMember
from headway.prioritization.selectors import capacity as selectors
from headway.prioritization.services import capacity as services
from headway.strategy.models import Initiative

router = Router(tags=["prioritization"])

MAX_PERIOD_DAYS = 3 * 366  # a capacity question covers a few years at most
CAPACITY_PATTERN = r"^\d{1,4}(\.\d{1,2})?$"


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, never null: leave the field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


def _capacity_value(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError('Send the capacity as a number or a decimal string such as "0.5".')
    try:
        return services.parse_capacity(value)
    except ValidationFailed as exc:
        raise ValueError(exc.fields["weekly_capacity"][0]) from exc


WeeklyCapacity = Annotated[
    Decimal,
    PlainValidator(_capacity_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": CAPACITY_PATTERN, "examples": ["0.5"]},
                {"type": "number", "minimum": 0, "maximum": float(services.CAPACITY_MAX), "multipleOf": 0.01},
            ],
            "description": "What the person delivers in a full week, in the workspace's effort unit: 1 is full "
            "time in person-weeks, 0.5 half time; with points, their weekly velocity. 0–1000, at most 2 decimals.",
        }
    ),
]
TeamName = Annotated[str, Field(min_length=1, max_length=80, pattern=NOT_BLANK)]
PersonName = Annotated[str, Field(min_length=1, max_length=120, pattern=NOT_BLANK)]
Description = Annotated[str, Field(max_length=2000)]
Note = Annotated[str, Field(max_length=200)]
Percent = Annotated[int, Field(ge=1, le=100, description="Share of the team's capacity, 1–100.")]


# --- schemas ----------------------------------------------------------------------------------


class MemberCapacityOut(Schema):
    member_id: int | None
    name: str
    weekly: float = Field(description="Capacity per full week.")
    weeks: float = Field(description="Weeks available in the period: weekdays in the team less time off, ÷ 5.")
    days_off: int = Field(description="Weekdays of time off inside the period.")
    capacity: float = Field(description="weekly × weeks.")


class CapacityOut(Schema):
    team_id: int
    starts_on: dt.date
    ends_on: dt.date
    working_days: int = Field(description="Weekdays (Monday–Friday) in the period.")
    total: float = Field(description="The team's capacity for the period, in the workspace's effort unit.")
    days_off: int
    members: list[MemberCapacityOut] = Field(description="Members in the team during the period.")


class TimeOffOut(Schema):
    id: int
    member_id: int
    starts_on: dt.date
    ends_on: dt.date
    note: str
    working_days: int = Field(description="Weekdays in the time off.")

    @staticmethod
    def resolve_working_days(obj: Any) -> int:
        return capacity.working_days(obj.starts_on, obj.ends_on)


class TeamMemberOut(Schema):
    id: int
    team_id: int
    user_id: int | None = Field(description="The workspace member, or null for someone known only by name.")
    name: str
    weekly_capacity: str = Field(description='Capacity per full week as a decimal string, such as "0.50".')
    starts_on: dt.date | None = Field(description="Joins the team on; null: from the start.")
    ends_on: dt.date | None = Field(description="Leaves the team on; null: no end.")
    time_off: list[TimeOffOut]

    @staticmethod
    def resolve_weekly_capacity(obj: Any) -> str:
        return f"{obj.weekly_capacity:.2f}"

    @staticmethod
    def resolve_time_off(obj: Any) -> list[Any]:
        return list(obj.time_off.all()) if obj.pk else []


class AllocationOut(Schema):
    id: int
    team_id: int
    product_id: int | None
    initiative_id: int | None
    target: str = Field(description="The product's or the initiative's name.")
    percent: int

    @staticmethod
    def resolve_target(obj: Any) -> str:
        return str(obj.product.name if obj.product_id else obj.initiative.title)


class TeamOut(Schema):
    id: int
    name: str
    description: str
    archived_at: dt.datetime | None
    member_count: int
    allocated_percent: int = Field(description="The sum of the team's allocations (at most 100).")
    allocations: list[AllocationOut]
    capacity: CapacityOut | None = Field(description="For the period asked (starts_on and ends_on), else null.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_member_count(obj: Any) -> int:
        return len(obj.members.all())

    @staticmethod
    def resolve_allocations(obj: Any) -> list[Any]:
        return list(obj.allocations.all())

    @staticmethod
    def resolve_allocated_percent(obj: Any) -> int:
        return sum(a.percent for a in obj.allocations.all())

    @staticmethod
    def resolve_capacity(obj: Any) -> Any:
        return getattr(obj, "capacity_out", None)


class TeamDetailOut(TeamOut):
    members: list[TeamMemberOut]

    @staticmethod
    def resolve_members(obj: Any) -> list[Any]:
        return list(obj.members.all())


class PeriodQuery(Schema):
    starts_on: Date | None = Field(None, description="First day of the period (with ends_on).")
    ends_on: Date | None = Field(None, description="Last day of the period (with starts_on).")


class TeamFilters(PeriodQuery):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=100)
    include_archived: bool = False


class TeamIn(StrictIn):
    name: TeamName
    description: Description = ""


class TeamPatch(StrictIn):
    name: TeamName = _optional()
    description: Description = _optional()


class TeamMemberIn(StrictIn):
    user_id: Id | None = Field(None, description="A workspace member; the name defaults to theirs.")
    name: PersonName | None = Field(None, description="Required when user_id is not given.")
    weekly_capacity: WeeklyCapacity = Decimal("1")
    starts_on: Date | None = None
    ends_on: Date | None = None


class TeamMemberPatch(StrictIn):
    name: PersonName = _optional()
    weekly_capacity: WeeklyCapacity = _optional()
    starts_on: Date | None = Field(None, description="null: in the team from the start.")
    ends_on: Date | None = Field(None, description="null: no end.")


class TimeOffIn(StrictIn):
    starts_on: Date = Field(description="First day away.")
    ends_on: Date = Field(description="Last day away (at most 366 days after the first).")
    note: Note = ""


class AllocationIn(StrictIn):
    product_id: Id | None = Field(None, description="Give product_id or initiative_id, not both.")
    initiative_id: Id | None = None
    percent: Percent


# --- helpers ----------------------------------------------------------------------------------


def _period(starts_on: dt.date | None, ends_on: dt.date | None) -> tuple[dt.date, dt.date] | None:
    if starts_on is None and ends_on is None:
        return None
    if starts_on is None:
        raise ValidationFailed.on("starts_on", "Give the first day of the period with its last day.")
    if ends_on is None:
        raise ValidationFailed.on("ends_on", "Give the last day of the period with its first day.")
    if ends_on < starts_on:
        raise ValidationFailed.on("ends_on", "The last day must be on or after the first day.")
    if (ends_on - starts_on).days > MAX_PERIOD_DAYS:
        raise ValidationFailed.on("ends_on", "A period may last at most 3 years.")
    return starts_on, ends_on


def _capacity_out(tc: capacity.TeamCapacity, starts_on: dt.date, ends_on: dt.date) -> dict[str, Any]:
    return {
        "team_id": tc.team_id,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "working_days": tc.working_days,
        "total": tc.total,
        "days_off": tc.days_off,
        "members": [m.__dict__ for m in tc.members],
    }


def _attach_capacity(workspace_id: int, teams: list[Team], period: tuple[dt.date, dt.date] | None) -> None:
    if period is None:
        return
    found = selectors.team_capacity(
        workspace_id=workspace_id, team_ids=[t.pk for t in teams], starts_on=period[0], ends_on=period[1]
    )
    for team in teams:
        team.capacity_out = _capacity_out(found[team.pk], *period)  # type: ignore[attr-defined]


def _team(request: HttpRequest, team_id: int) -> Team:
    return selectors.team_get(user=request.user, workspace=workspace_of(request), team_id=team_id)


def _member(request: HttpRequest, team_member_id: int) -> TeamMember:
    return selectors.member_get(user=request.user, workspace=workspace_of(request), member_id=team_member_id)


def _member_out(member: TeamMember) -> TeamMember:
    return TeamMember.objects.prefetch_related("time_off").get(pk=member.pk)


def _not_found(field: str, message: str) -> NotFound:
    return NotFound(f"{field}: {message}", fields={field: [message]})


RENAMES = {"user": "user_id", "product": "product_id", "initiative": "initiative_id"}


# --- operations -------------------------------------------------------------------------------


@router.get(
    "/teams",
    response=responses({200: Page[TeamOut]}),
    summary="List teams",
    description="By name, with members counted and allocations; with starts_on and ends_on, each team's capacity "
    "for that period. Archived teams only with include_archived=true.",
)
def team_list(request: HttpRequest, filters: Query[TeamFilters]) -> dict:
    workspace = workspace_of(request)
    period = _period(filters.starts_on, filters.ends_on)
    teams = selectors.teams(user=request.user, workspace=workspace, include_archived=filters.include_archived)
    start = (filters.page - 1) * filters.page_size
    page = teams[start : start + filters.page_size]
    _attach_capacity(workspace.pk, page, period)
    return {
        "items": page,
        "count": len(teams),
        "page": filters.page,
        "page_size": filters.page_size,
        "pages": max(1, -(-len(teams) // filters.page_size)),
    }


@router.post("/teams", response=responses({201: TeamDetailOut}), summary="Create a team", description="Leaders and up.")
def team_create(request: HttpRequest, data: TeamIn) -> Status:
    workspace = workspace_of(request)
    team = services.team_create(actor=request.user, workspace=workspace, name=data.name, description=data.description)
    return Status(201, _team(request, team.pk))


@router.get(
    "/teams/{team_id}",
    response=responses({200: TeamDetailOut}),
    summary="Get a team with its members and their time off",
    description="With starts_on and ends_on, also the team's capacity for that period.",
)
def team_get(request: HttpRequest, team_id: int, period: Query[PeriodQuery]) -> Team:
    team = _team(request, team_id)
    _attach_capacity(team.workspace_id, [team], _period(period.starts_on, period.ends_on))
    return team


@router.patch(
    "/teams/{team_id}",
    response=responses({200: TeamDetailOut}),
    summary="Rename a team or change its description",
    description="Leaders and up. Send only the fields to change. Archived teams: 409.",
)
def team_update(request: HttpRequest, team_id: int, data: TeamPatch) -> Team:
    team = _team(request, team_id)
    services.team_update(actor=request.user, team=team, **data.model_dump(exclude_unset=True))
    return _team(request, team_id)


@router.delete(
    "/teams/{team_id}",
    response=responses({204: None}),
    summary="Archive a team",
    description="Leaders and up. The team leaves the list and takes no more work; nothing is deleted.",
)
def team_archive(request: HttpRequest, team_id: int) -> Status:
    services.team_archive(actor=request.user, team=_team(request, team_id))
    return Status(204, None)


@router.get(
    "/teams/{team_id}/capacity",
    response=responses({200: CapacityOut}),
    summary="A team's capacity for a period",
    description="Each member's capacity per week × the weekdays they are in the team during the period, less "
    "their time off (overlaps counted once), ÷ 5; and the team's total. The period is the next quarter unless "
    "starts_on and ends_on are given.",
)
def team_capacity(request: HttpRequest, team_id: int, period: Query[PeriodQuery]) -> dict:
    team = _team(request, team_id)
    # Without a period: the next quarter, what a team usually plans (as on the teams page).
    found = _period(period.starts_on, period.ends_on) or capacity.quarter_bounds(
        *capacity.next_quarter(dt.date.today())
    )
    result = selectors.team_capacity(
        workspace_id=team.workspace_id, team_ids=[team.pk], starts_on=found[0], ends_on=found[1]
    )
    return _capacity_out(result[team.pk], *found)


@router.post(
    "/teams/{team_id}/members",
    response=responses({201: TeamMemberOut}),
    summary="Add a member to a team",
    description="Leaders and up. A workspace member (user_id; the name defaults to theirs) or just a name.",
)
def team_member_add(request: HttpRequest, team_id: int, data: TeamMemberIn) -> Status:
    team = _team(request, team_id)
    with api_field_names(RENAMES):
        member = services.team_member_add(
            actor=request.user,
            team=team,
            user=data.user_id,
            name=data.name or "",
            weekly_capacity=data.weekly_capacity,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
        )
    return Status(201, _member_out(member))


@router.patch(
    "/team-members/{team_member_id}",
    response=responses({200: TeamMemberOut}),
    summary="Change a team member",
    description="Leaders and up. Name, capacity per week, joining and leaving dates (null clears a date).",
)
def team_member_update(request: HttpRequest, team_member_id: int, data: TeamMemberPatch) -> TeamMember:
    member = _member(request, team_member_id)
    services.team_member_update(actor=request.user, member=member, **data.model_dump(exclude_unset=True))
    return _member_out(member)


@router.delete(
    "/team-members/{team_member_id}",
    response=responses({204: None}),
    summary="Take a member out of a team",
    description="Leaders and up. Their time off goes with them.",
)
def team_member_remove(request: HttpRequest, team_member_id: int) -> Status:
    services.team_member_remove(actor=request.user, member=_member(request, team_member_id))
    return Status(204, None)


@router.post(
    "/team-members/{team_member_id}/time-off",
    response=responses({201: TimeOffOut}),
    summary="Add time off for a team member",
    description="Leaders and up. Both days included; weekends cost nothing; overlaps are counted once.",
)
def time_off_add(request: HttpRequest, team_member_id: int, data: TimeOffIn) -> Status:
    member = _member(request, team_member_id)
    item = services.time_off_add(
        actor=request.user, member=member, starts_on=data.starts_on, ends_on=data.ends_on, note=data.note
    )
    return Status(201, item)


@router.delete("/time-off/{time_off_id}", response=responses({204: None}), summary="Remove time off")
def time_off_remove(request: HttpRequest, time_off_id: int) -> Status:
    item = selectors.time_off_get(user=request.user, workspace=workspace_of(request), time_off_id=time_off_id)
    services.time_off_remove(actor=request.user, time_off=item)
    return Status(204, None)


@router.post(
    "/teams/{team_id}/allocations",
    response=responses({200: AllocationOut}),
    summary="Give a share of a team to a product or an initiative",
    description="Leaders and up. Sets the share (creates it or changes it). A team gives at most 100% in all "
    "(422 naming percent). A feature goes to the team with the largest share of its product, else of its "
    "initiative.",
)
def team_allocation_set(request: HttpRequest, team_id: int, data: AllocationIn) -> TeamAllocation:
    team = _team(request, team_id)
    permissions.require(request.user, Action.CAPACITY_MANAGE, team.workspace_id)  # before looking anything up
    product = initiative = None
    if data.product_id is not None:
        product = Product.objects.filter(workspace_id=team.workspace_id, pk=data.product_id).first()
        if product is None:
            raise _not_found("product_id", f"No product {data.product_id} in this workspace.")
    if data.initiative_id is not None:
        initiative = Initiative.objects.filter(workspace_id=team.workspace_id, pk=data.initiative_id).first()
        if initiative is None:
            raise _not_found("initiative_id", f"No initiative {data.initiative_id} in this workspace.")
    with api_field_names(RENAMES):
        allocation = services.team_allocation_set(
            actor=request.user, team=team, product=product, initiative=initiative, percent=data.percent
        )
    return TeamAllocation.objects.select_related("product", "initiative").get(pk=allocation.pk)


@router.delete("/team-allocations/{allocation_id}", response=responses({204: None}), summary="Remove an allocation")
def team_allocation_remove(request: HttpRequest, allocation_id: int) -> Status:
    item = selectors.allocation_get(user=request.user, workspace=workspace_of(request), allocation_id=allocation_id)
    services.team_allocation_remove(actor=request.user, allocation=item)
    return Status(204, None)

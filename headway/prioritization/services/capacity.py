"""Every write to teams and their capacity: teams, their members (with capacity per week and the
dates they are in the team), members' time off, and the shares of a team given to products and
initiatives.

Leaders and admins manage them (``CAPACITY_MANAGE``); the permission check comes first, so a denied
call changes nothing. Each write records an ``AuditEvent``. Errors name the field: a bad value is
``ValidationFailed`` (422), a team name already taken is ``Conflict`` (409), an object of another
workspace is ``NotFound`` (404). An archived team is read-only (409) until restored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.db.models.functions import Lower
from django.utils import timezone

from headway.accounts.models import User
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.prioritization.models import Team, TeamAllocation, TeamMember, TimeOff
from headway.strategy.models import Initiative
from headway.workspaces.models import Membership, Workspace

TEAM_FIELDS = ["name", "description"]
MEMBER_FIELDS = ["name", "weekly_capacity", "starts_on", "ends_on"]
TIME_OFF_FIELDS = ["starts_on", "ends_on", "note"]

CAPACITY_MAX = Decimal("1000")  # per week: a person's velocity in points stays far below this
TIME_OFF_MAX_DAYS = 366  # longer leave: set the member's leaving date instead
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


# --- helpers ----------------------------------------------------------------------------------


def _error(exc: type[ValidationFailed] | type[NotFound] | type[Conflict], field: str, message: str) -> Exception:
    return exc(f"{field}: {message}", fields={field: [message]})


def _clean(instance: models.Model, *, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _error(ValidationFailed, field, "Give text.")
    return value.strip()


def _check_fields(fields: dict[str, Any], allowed: list[str], entity: str) -> None:
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        msg = f"Not a field you can change on a {entity}; use one of {', '.join(allowed)}."
        raise ValidationFailed(f"{unknown[0]}: {msg}", fields={name: [msg] for name in unknown})


def _require(actor: Any, team: Team) -> None:
    permissions.require(actor, Action.CAPACITY_MANAGE, team.workspace_id, team)


def _not_archived(team: Team) -> None:
    if team.archived_at is not None:
        msg = f"The team “{team}” is archived. Restore it before changing it."
        raise Conflict(msg, fields={"__all__": [msg]})


def _created(values: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [None, value] for name, value in values.items() if value not in ("", None)}


def _duplicate_name(team: Team) -> Conflict | None:
    other = (
        Team.objects.filter(workspace_id=team.workspace_id)
        .annotate(lname=Lower("name"))
        .filter(lname=team.name.lower())
        .exclude(pk=team.pk)
        .first()
    )
    if other is None:
        return None
    held = f"“{other.name}”" + (" (archived)" if other.archived_at else "")
    msg = f"A team named {held} already exists in this workspace."
    return Conflict(f"name: {msg}", fields={"name": [msg]})


def _save_team(team: Team, **kwargs: Any) -> None:
    """Save; the database's unique constraint decides races, and its refusal names the field."""
    error = _duplicate_name(team)
    if error is not None:
        raise error
    try:
        with transaction.atomic():
            team.save(**kwargs)
    except IntegrityError as exc:
        error = _duplicate_name(team)
        raise (error or Conflict("The change conflicts with another one saved just now. Try again.")) from exc


def parse_capacity(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _error(ValidationFailed, "weekly_capacity", "Give a number such as 1 (full time) or 0.5.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _error(ValidationFailed, "weekly_capacity", f"“{value}” is not a number.") from None
    if not number.is_finite():
        raise _error(ValidationFailed, "weekly_capacity", f"“{value}” is not a number.")
    if number < 0:
        raise _error(ValidationFailed, "weekly_capacity", "Capacity cannot be negative.")
    if number > CAPACITY_MAX:
        raise _error(ValidationFailed, "weekly_capacity", f"Capacity per week may be at most {CAPACITY_MAX}.")
    if number != number.quantize(Decimal("0.01")):
        raise _error(ValidationFailed, "weekly_capacity", "Use at most two decimals.")
    return number.quantize(Decimal("0.01"))


def _date(value: Any, field: str, *, required: bool) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise _error(ValidationFailed, field, "Give a date.")
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise _error(ValidationFailed, field, "Give a date as YYYY-MM-DD.")
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _error(ValidationFailed, field, f"“{value}” is not a date (YYYY-MM-DD).") from None
    if not EARLIEST <= value <= LATEST:
        raise _error(ValidationFailed, field, f"Give a date between {EARLIEST.year} and {LATEST.year}.")
    return value


def _member_user(workspace_id: int, user: User | int | None) -> User | None:
    if user is None:
        return None
    if isinstance(user, bool) or not isinstance(user, User | int):
        raise _error(ValidationFailed, "user", "Give a user or a user id.")
    user_id = user if isinstance(user, int) else user.pk
    membership = Membership.objects.select_related("user").filter(workspace_id=workspace_id, user_id=user_id).first()
    if membership is None:
        raise _error(NotFound, "user", f"User {user_id} is not a member of this workspace.")
    return membership.user


# --- teams ------------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, actor: Any, workspace: Workspace, name: str, description: str = "") -> Team:
    """A new team (no members yet). Names are unique in the workspace, whatever the case."""
    permissions.require(actor, Action.CAPACITY_MANAGE, workspace)
    team = Team(workspace=workspace, name=_text(name, "name"), description=_text(description, "description"))
    _clean(team, exclude=["workspace"])
    _save_team(team)
    audit_record(
        actor=actor, workspace=workspace, action="team.create", target=team,
        changes=_created(snapshot(team, TEAM_FIELDS)),
    )  # fmt: skip
    return team


@transaction.atomic
def team_update(*, actor: Any, team: Team, **fields: Any) -> Team:
    """Rename a team or change its description; records only what changed."""
    _require(actor, team)
    _check_fields(fields, TEAM_FIELDS, "team")
    _not_archived(team)
    before = snapshot(team, TEAM_FIELDS)
    try:
        for name, value in fields.items():
            setattr(team, name, _text(value, name))
        _clean(team, exclude=["workspace"])
        changes = diff(before, snapshot(team, TEAM_FIELDS))
        if not changes:
            return team
        _save_team(team, update_fields=[*changes, "updated_at"])
    except (ValidationFailed, Conflict):
        team.refresh_from_db(fields=TEAM_FIELDS)
        raise
    audit_record(actor=actor, workspace=team.workspace, action="team.update", target=team, changes=changes)
    return team


@transaction.atomic
def team_archive(*, actor: Any, team: Team) -> Team:
    """Archive a team: it leaves the teams page and plans, and takes no more work. Nothing is deleted."""
    _require(actor, team)
    if team.archived_at is not None:
        return team
    team.archived_at = timezone.now()
    team.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor, workspace=team.workspace, action="team.archive", target=team,
        changes={"archived_at": [None, team.archived_at.isoformat()]},
    )  # fmt: skip
    return team


@transaction.atomic
def team_restore(*, actor: Any, team: Team) -> Team:
    _require(actor, team)
    if team.archived_at is None:
        return team
    old = team.archived_at
    team.archived_at = None
    team.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor, workspace=team.workspace, action="team.restore", target=team,
        changes={"archived_at": [old.isoformat(), None]},
    )  # fmt: skip
    return team


# --- members ----------------------------------------------------------------------------------


def _check_member_dates(starts_on: dt.date | None, ends_on: dt.date | None) -> None:
    if starts_on and ends_on and starts_on > ends_on:
        raise _error(ValidationFailed, "ends_on", "The leaving date must be on or after the joining date.")


@transaction.atomic
def team_member_add(
    *,
    actor: Any,
    team: Team,
    user: User | int | None = None,
    name: str = "",
    weekly_capacity: Any = 1,
    starts_on: Any = None,
    ends_on: Any = None,
) -> TeamMember:
    """Add a person to a team: a workspace member (``user``; the name defaults to theirs) or just a
    name (a contractor, a hire to come). ``weekly_capacity``: 1 is full time in person-weeks."""
    _require(actor, team)
    _not_archived(team)
    person = _member_user(team.workspace_id, user)
    text = _text(name, "name")
    if person is not None:
        if TeamMember.objects.filter(team=team, user=person).exists():
            raise _error(Conflict, "user", f"{person.display_name} is already in this team.")
        text = text or person.display_name
    if not text:
        raise _error(ValidationFailed, "name", "Give the person's name or choose a workspace member.")
    member = TeamMember(
        workspace_id=team.workspace_id,
        team=team,
        user=person,
        name=text,
        weekly_capacity=parse_capacity(weekly_capacity),
        starts_on=_date(starts_on, "starts_on", required=False),
        ends_on=_date(ends_on, "ends_on", required=False),
    )
    _check_member_dates(member.starts_on, member.ends_on)
    _clean(member, exclude=["workspace", "team", "user"])
    member.save()
    audit_record(
        actor=actor, workspace=team.workspace, action="team_member.add", target=member,
        changes={"team": [None, team.name], **_created(snapshot(member, ["user", *MEMBER_FIELDS]))},
    )  # fmt: skip
    return member


@transaction.atomic
def team_member_update(*, actor: Any, member: TeamMember, **fields: Any) -> TeamMember:
    """Change a member's name, capacity per week or dates in the team."""
    team = member.team
    _require(actor, team)
    _check_fields(fields, MEMBER_FIELDS, "team member")
    _not_archived(team)
    before = snapshot(member, MEMBER_FIELDS)
    try:
        for key, value in fields.items():
            if key == "name":
                text = _text(value, "name")
                if not text:
                    raise _error(ValidationFailed, "name", "Give the person's name.")
                member.name = text
            elif key == "weekly_capacity":
                member.weekly_capacity = parse_capacity(value)
            else:
                setattr(member, key, _date(value, key, required=False))
        _check_member_dates(member.starts_on, member.ends_on)
        _clean(member, exclude=["workspace", "team", "user"])
    except ValidationFailed:
        member.refresh_from_db(fields=MEMBER_FIELDS)
        raise
    changes = diff(before, snapshot(member, MEMBER_FIELDS))
    if not changes:
        return member
    member.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, workspace=team.workspace, action="team_member.update", target=member, changes=changes)
    return member


@transaction.atomic
def team_member_remove(*, actor: Any, member: TeamMember) -> None:
    """Take a person out of a team, with their time off. (To keep past plans' arithmetic, set their
    leaving date instead.)"""
    team = member.team
    _require(actor, team)
    _not_archived(team)
    audit_record(
        actor=actor, workspace=team.workspace, action="team_member.remove", target=member,
        changes={"team": [team.name, None], "name": [member.name, None]},
    )  # fmt: skip
    member.delete()


# --- time off ---------------------------------------------------------------------------------


@transaction.atomic
def time_off_add(*, actor: Any, member: TeamMember, starts_on: Any, ends_on: Any, note: str = "") -> TimeOff:
    """Days a member is away, both included. Up to a year at once; overlaps with other time off are
    allowed (they are counted once)."""
    team = member.team
    _require(actor, team)
    _not_archived(team)
    first = _date(starts_on, "starts_on", required=True)
    last = _date(ends_on, "ends_on", required=True)
    assert first is not None and last is not None
    if last < first:
        raise _error(ValidationFailed, "ends_on", "The last day must be on or after the first day.")
    if (last - first).days + 1 > TIME_OFF_MAX_DAYS:
        raise _error(
            ValidationFailed, "ends_on",
            f"Time off may last at most {TIME_OFF_MAX_DAYS} days; for longer, set the member's leaving date.",
        )  # fmt: skip
    item = TimeOff(workspace_id=member.workspace_id, member=member, starts_on=first, ends_on=last)
    item.note = _text(note, "note")
    _clean(item, exclude=["workspace", "member"])
    item.save()
    audit_record(
        actor=actor, workspace=team.workspace, action="time_off.add", target=item,
        changes={"member": [None, member.name], **_created(snapshot(item, TIME_OFF_FIELDS))},
    )  # fmt: skip
    return item


@transaction.atomic
def time_off_remove(*, actor: Any, time_off: TimeOff) -> None:
    member = time_off.member
    team = member.team
    _require(actor, team)
    _not_archived(team)
    removed = {k: [v, None] for k, v in snapshot(time_off, TIME_OFF_FIELDS).items()}
    audit_record(
        actor=actor, workspace=team.workspace, action="time_off.remove", target=time_off,
        changes={"member": [member.name, None], **removed},
    )  # fmt: skip
    time_off.delete()


# --- allocations ------------------------------------------------------------------------------


def _percent(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _error(ValidationFailed, "percent", "Give a whole number from 1 to 100.")
    try:
        number = int(str(value).strip().rstrip("%").strip())
    except ValueError:
        raise _error(ValidationFailed, "percent", f"“{value}” is not a whole number from 1 to 100.") from None
    if not 1 <= number <= 100:
        raise _error(ValidationFailed, "percent", "Give a whole number from 1 to 100.")
    return number


@transaction.atomic
def team_allocation_set(
    *, actor: Any, team: Team, product: Product | None = None, initiative: Initiative | None = None, percent: Any
) -> TeamAllocation:
    """Give a share of the team to a product or an initiative (exactly one), or change that share.

    A team gives at most 100% in all; a product may take shares of several teams (their features
    go to the team with the largest share).
    """
    _require(actor, team)
    _not_archived(team)
    if (product is None) == (initiative is None):
        raise _error(ValidationFailed, "product", "Allocate the team to a product or to an initiative (one of them).")
    target_field = "product" if product is not None else "initiative"
    target = product if product is not None else initiative
    expected = Product if product is not None else Initiative
    if not isinstance(target, expected) or target.workspace_id != team.workspace_id:
        raise _error(NotFound, target_field, f"No such {target_field} in this workspace.")
    if getattr(target, "archived_at", None) is not None:
        raise _error(ValidationFailed, target_field, f"“{target}” is archived.")
    share = _percent(percent)
    Team.objects.select_for_update().filter(pk=team.pk).first()  # one allocation change per team at a time
    existing = TeamAllocation.objects.filter(team=team, **{target_field: target}).first()
    siblings = TeamAllocation.objects.filter(team=team)
    if existing is not None:
        siblings = siblings.exclude(pk=existing.pk)
    others = siblings.aggregate(s=Sum("percent"))["s"] or 0
    if others + share > 100:
        left = max(0, 100 - others)
        msg = f"{team.name} already gives {others}% to other work; at most {left}% is left."
        raise _error(ValidationFailed, "percent", msg)
    if existing is not None:
        if existing.percent == share:
            return existing
        old = existing.percent
        existing.percent = share
        existing.save(update_fields=["percent"])
        audit_record(
            actor=actor, workspace=team.workspace, action="team_allocation.update", target=existing,
            changes={"percent": [old, share]},
        )  # fmt: skip
        return existing
    allocation = TeamAllocation(workspace_id=team.workspace_id, team=team, percent=share, **{target_field: target})
    allocation.save()
    audit_record(
        actor=actor, workspace=team.workspace, action="team_allocation.create", target=allocation,
        changes={"team": [None, team.name], target_field: [None, str(target)], "percent": [None, share]},
    )  # fmt: skip
    return allocation


@transaction.atomic
def team_allocation_remove(*, actor: Any, allocation: TeamAllocation) -> None:
    team = allocation.team
    _require(actor, team)
    _not_archived(team)
    target_field = "product" if allocation.product_id else "initiative"
    audit_record(
        actor=actor, workspace=team.workspace, action="team_allocation.remove", target=allocation,
        changes={target_field: [str(getattr(allocation, target_field)), None], "percent": [allocation.percent, None]},
    )  # fmt: skip
    allocation.delete()

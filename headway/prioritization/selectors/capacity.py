"""Reads of teams and their capacity: the teams of a workspace, one team with everything on it, the
capacity of several teams for a period (a fixed number of queries whatever the number of teams and
members), and which team each feature goes to (by the allocations to products and initiatives)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, Q

from headway.core import permissions
from headway.core.permissions import Action
from headway.prioritization import capacity
from headway.prioritization.models import Team, TeamAllocation, TeamMember, TimeOff
from headway.workspaces.models import Workspace


def _allocations() -> Prefetch:
    return Prefetch(
        "allocations",
        queryset=TeamAllocation.objects.select_related("product", "initiative").order_by("-percent", "id"),
    )


def teams(*, user: Any, workspace: Workspace, include_archived: bool = False) -> list[Team]:
    """The workspace's teams by name, with their members and allocations loaded (three queries)."""
    qs = permissions.scope(Team.objects.all(), user, workspace, Action.PRIORITY_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return list(qs.order_by("name", "id").prefetch_related("members", _allocations()))


def team_get(*, user: Any, workspace: Workspace, team_id: int) -> Team:
    """One team of the workspace (archived too, so links keep working), with members, their time off
    and the allocations loaded; NotFound for a team of another workspace."""
    qs = permissions.scope(Team.objects.all(), user, workspace, Action.PRIORITY_VIEW).prefetch_related(
        Prefetch(
            "members",
            queryset=TeamMember.objects.select_related("user").prefetch_related(
                Prefetch("time_off", queryset=TimeOff.objects.order_by("starts_on", "id"))
            ),
        ),
        _allocations(),
    )
    team: Team = permissions.get_or_404(qs, pk=team_id)
    return team


def member_get(*, user: Any, workspace: Workspace, member_id: int) -> TeamMember:
    """One team member of the workspace, with their team; NotFound otherwise."""
    qs = permissions.scope(TeamMember.objects.select_related("team", "user"), user, workspace, Action.PRIORITY_VIEW)
    member: TeamMember = permissions.get_or_404(qs, pk=member_id)
    return member


def time_off_get(*, user: Any, workspace: Workspace, time_off_id: int) -> TimeOff:
    qs = permissions.scope(TimeOff.objects.select_related("member__team"), user, workspace, Action.PRIORITY_VIEW)
    item: TimeOff = permissions.get_or_404(qs, pk=time_off_id)
    return item


def allocation_get(*, user: Any, workspace: Workspace, allocation_id: int) -> TeamAllocation:
    qs = permissions.scope(
        TeamAllocation.objects.select_related("team", "product", "initiative"), user, workspace, Action.PRIORITY_VIEW
    )
    item: TeamAllocation = permissions.get_or_404(qs, pk=allocation_id)
    return item


def team_capacity(
    *, workspace_id: int, team_ids: Sequence[int], starts_on: dt.date, ends_on: dt.date
) -> dict[int, capacity.TeamCapacity]:
    """Each team's capacity for the period ``starts_on…ends_on`` (inclusive), keyed by team id, in two
    queries whatever the number of teams. No permission check: callers scope.

    Every requested team id gets an entry (0 when it has no member in the period). Members appear
    when they are in the team for at least one day of the period, ordered by name.
    """
    ids = list(dict.fromkeys(team_ids))
    found: dict[int, list[capacity.MemberCapacity]] = {team_id: [] for team_id in ids}
    if ids and starts_on <= ends_on:
        members = list(
            TeamMember.objects.filter(workspace_id=workspace_id, team_id__in=ids)
            .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=ends_on))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
            .order_by("name", "id")
            .values("id", "team_id", "name", "weekly_capacity", "starts_on", "ends_on")
        )
        away: dict[int, list[capacity.DateRange]] = defaultdict(list)
        if members:
            rows = TimeOff.objects.filter(
                workspace_id=workspace_id,
                member_id__in=[m["id"] for m in members],
                starts_on__lte=ends_on,
                ends_on__gte=starts_on,
            ).values_list("member_id", "starts_on", "ends_on")
            for member_id, first, last in rows:
                away[member_id].append((first, last))
        for m in members:
            found[m["team_id"]].append(
                capacity.member_capacity(
                    weekly=m["weekly_capacity"],
                    starts_on=starts_on,
                    ends_on=ends_on,
                    joins_on=m["starts_on"],
                    leaves_on=m["ends_on"],
                    time_off=away.get(m["id"], ()),
                    name=m["name"],
                    member_id=m["id"],
                )
            )
    return {
        team_id: capacity.team_total(team_id, listed, starts_on=starts_on, ends_on=ends_on)
        for team_id, listed in found.items()
    }


def _best(rows: list[tuple[int, int]]) -> int:
    """From (team id, percent) rows: the highest percent, and on a tie the lowest team id."""
    return min(rows, key=lambda row: (-row[1], row[0]))[0]


def feature_teams(*, workspace_id: int, features: Sequence[Any]) -> dict[int, int | None]:
    """The team each feature goes to, keyed by feature id, in one query: the team given the largest
    share of the feature's product (a tie: the lowest team id), else the one given the largest share
    of its initiative, else None. Archived teams take no work. No permission check: callers scope."""
    product_ids = {f.product_id for f in features if getattr(f, "product_id", None)}
    initiative_ids = {f.initiative_id for f in features if getattr(f, "initiative_id", None)}
    by_product: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_initiative: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if product_ids or initiative_ids:
        rows = TeamAllocation.objects.filter(
            Q(product_id__in=product_ids) | Q(initiative_id__in=initiative_ids),
            workspace_id=workspace_id,
            team__archived_at__isnull=True,
        ).values_list("team_id", "product_id", "initiative_id", "percent")
        for team_id, product_id, initiative_id, percent in rows:
            if product_id is not None:
                by_product[product_id].append((team_id, percent))
            else:
                by_initiative[initiative_id].append((team_id, percent))
    result: dict[int, int | None] = {}
    for f in features:
        product_rows = by_product.get(getattr(f, "product_id", None) or 0)
        initiative_rows = by_initiative.get(getattr(f, "initiative_id", None) or 0)
        result[f.pk] = _best(product_rows) if product_rows else _best(initiative_rows) if initiative_rows else None
    return result

"""Capacity arithmetic: how much a team can deliver in a period, in the workspace's effort unit.

Pure (no database): the selectors load members and their time off, this module counts.

A member's capacity for a period is ``weekly capacity × available working days / 5``, where the
available working days are the weekdays (Monday to Friday) of the period that the member is in the
team (between ``starts_on`` and ``ends_on`` when set), less the weekdays of their time off inside
that window. Overlapping time off is counted once; weekends and time off outside the window cost
nothing. Public holidays are not modelled: enter them as time off.

So a full-time member (1 person-week per week) has 12.8 person-weeks in 2027-Q1, which has 64
weekdays; a half-time member 6.4; one who joins on 2027-03-01 has 23 weekdays, 4.6.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

DAYS_PER_WEEK = 5

DateRange = tuple[dt.date, dt.date]


def working_days(start: dt.date, end: dt.date) -> int:
    """Weekdays (Monday to Friday) from ``start`` to ``end``, both included; 0 when ``end < start``."""
    if end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * DAYS_PER_WEEK
    weekday = start.weekday()
    for offset in range(rest):
        if (weekday + offset) % 7 < DAYS_PER_WEEK:
            count += 1
    return count


def clip(start: dt.date, end: dt.date, window_start: dt.date, window_end: dt.date) -> DateRange | None:
    """The part of ``start…end`` inside the window, or None when they do not meet."""
    lo, hi = max(start, window_start), min(end, window_end)
    return (lo, hi) if lo <= hi else None


def merge(ranges: Iterable[DateRange]) -> list[DateRange]:
    """Date ranges merged where they overlap or touch, in order."""
    merged: list[DateRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class MemberCapacity:
    """One member's share of a team's capacity in a period."""

    name: str
    weekly: float  # capacity per full week
    weeks: float  # available working days / 5 (after time off)
    days_off: int  # weekdays of time off inside the period (while in the team)
    capacity: float  # weekly × weeks
    member_id: int | None = None
    days_in_team: int = 0  # weekdays of the period the member is in the team (before time off)


@dataclass
class TeamCapacity:
    """A team's capacity in a period: the sum of its members'."""

    team_id: int
    total: float
    members: list[MemberCapacity] = field(default_factory=list)
    working_days: int = 0  # weekdays in the period

    @property
    def days_off(self) -> int:
        return sum(m.days_off for m in self.members)


def _float(value: float | Decimal | int) -> float:
    return float(value)


def member_capacity(
    *,
    weekly: float | Decimal | int,
    starts_on: dt.date,
    ends_on: dt.date,
    joins_on: dt.date | None = None,
    leaves_on: dt.date | None = None,
    time_off: Sequence[DateRange] = (),
    name: str = "",
    member_id: int | None = None,
) -> MemberCapacity:
    """A member's capacity for the period ``starts_on…ends_on`` (inclusive).

    ``joins_on``/``leaves_on``: when the member is in the team (None: no limit on that side).
    ``time_off``: (first day, last day) ranges, in any order, overlapping or not.
    """
    weekly_f = _float(weekly)
    window = clip(joins_on or starts_on, leaves_on or ends_on, starts_on, ends_on)
    if window is None:
        return MemberCapacity(name, weekly_f, 0.0, 0, 0.0, member_id, 0)
    in_team = working_days(*window)
    inside = [r for r in (clip(a, b, *window) for a, b in time_off) if r is not None]
    days_off = sum(working_days(a, b) for a, b in merge(inside))
    available = in_team - days_off
    weeks = available / DAYS_PER_WEEK
    return MemberCapacity(
        name=name,
        weekly=weekly_f,
        weeks=round(weeks, 4),
        days_off=days_off,
        capacity=round(weekly_f * available / DAYS_PER_WEEK, 2),
        member_id=member_id,
        days_in_team=in_team,
    )


def team_total(
    team_id: int, members: Iterable[MemberCapacity], *, starts_on: dt.date, ends_on: dt.date
) -> TeamCapacity:
    """The team's total from its members' capacities (rounded to hundredths, like a stored plan)."""
    listed = list(members)
    return TeamCapacity(
        team_id=team_id,
        total=round(sum(m.capacity for m in listed), 2),
        members=listed,
        working_days=working_days(starts_on, ends_on),
    )


# --- quarters (the teams page's period selector) ------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> DateRange:
    """First and last day of a calendar quarter (1–4)."""
    if not 1 <= quarter <= 4:
        raise ValueError("A quarter is 1, 2, 3 or 4.")
    first_month = 3 * (quarter - 1) + 1
    start = dt.date(year, first_month, 1)
    next_start = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, first_month + 3, 1)
    return start, next_start - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def next_quarter(day: dt.date) -> tuple[int, int]:
    """The quarter after the one ``day`` is in: what a team usually plans next."""
    year, quarter = quarter_of(day)
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def parse_quarter(text: str) -> tuple[int, int] | None:
    """``"2027-Q1"`` → (2027, 1); None for anything else (a tampered URL is just "the default")."""
    year, sep, rest = (text or "").strip().upper().partition("-Q")
    if not sep or not year.isdigit() or len(year) != 4 or rest not in {"1", "2", "3", "4"}:
        return None
    if not 1900 <= int(year) <= 9998:
        return None
    return int(year), int(rest)

"""Planning periods: readable labels ("Q2 2026") and the presets offered when planning an objective."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from headway.strategy.models import PeriodKind


@dataclass(frozen=True)
class Period:
    kind: str
    starts_on: dt.date
    ends_on: dt.date

    @property
    def key(self) -> str:
        """What a URL or a form carries: ``quarter:2026-04-01:2026-06-30``."""
        return f"{self.kind}:{self.starts_on.isoformat()}:{self.ends_on.isoformat()}"

    @property
    def label(self) -> str:
        return period_label(self.kind, self.starts_on, self.ends_on)

    def overlaps(self, starts_on: dt.date, ends_on: dt.date) -> bool:
        return starts_on <= self.ends_on and ends_on >= self.starts_on

    @classmethod
    def parse(cls, key: str) -> Period | None:
        """The period a key names, or None when it names none (a tampered URL is just "no filter")."""
        try:
            kind, start, end = key.split(":")
            period = cls(kind, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        except ValueError:
            return None
        if kind not in PeriodKind.values or period.starts_on > period.ends_on:
            return None
        return period


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> Period:
    first_month = 3 * ((day.month - 1) // 3) + 1
    return Period(PeriodKind.QUARTER, dt.date(day.year, first_month, 1), _month_end(day.year, first_month + 2))


def half_of(day: dt.date) -> Period:
    first_month = 1 if day.month <= 6 else 7
    return Period(PeriodKind.HALF, dt.date(day.year, first_month, 1), _month_end(day.year, first_month + 5))


def year_of(day: dt.date) -> Period:
    return Period(PeriodKind.YEAR, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def period_end(kind: str, starts_on: dt.date) -> dt.date | None:
    """The last day of a quarter, half or year that starts on ``starts_on`` (None for custom dates)."""
    months = {PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}.get(PeriodKind(kind))
    if months is None:
        return None
    month = starts_on.month - 1 + months
    year, month = starts_on.year + month // 12, month % 12 + 1
    day = min(starts_on.day, _month_end(year, month).day)
    return dt.date(year, month, day) - dt.timedelta(days=1)


def period_label(kind: str, starts_on: dt.date, ends_on: dt.date) -> str:
    """Calendar periods read as people say them (Q2 2026, H1 2026, 2026); others show their dates."""
    if kind == PeriodKind.QUARTER and quarter_of(starts_on) == Period(kind, starts_on, ends_on):
        return f"Q{(starts_on.month - 1) // 3 + 1} {starts_on.year}"
    if kind == PeriodKind.HALF and half_of(starts_on) == Period(kind, starts_on, ends_on):
        return f"H{1 if starts_on.month == 1 else 2} {starts_on.year}"
    if kind == PeriodKind.YEAR and year_of(starts_on) == Period(kind, starts_on, ends_on):
        return str(starts_on.year)
    span = _span(starts_on, ends_on)
    return span if kind == PeriodKind.CUSTOM else f"{PeriodKind(kind).label} {span}"


def _span(starts_on: dt.date, ends_on: dt.date) -> str:
    if starts_on.year == ends_on.year:
        return f"{starts_on:%b} {starts_on.day} – {ends_on:%b} {ends_on.day}, {ends_on.year}"
    return f"{starts_on:%b} {starts_on.day}, {starts_on.year} – {ends_on:%b} {ends_on.day}, {ends_on.year}"


def presets(today: dt.date) -> list[Period]:
    """Periods offered when planning: this and the next three quarters, this and next half, this and next year."""
    quarters = [quarter_of(today)]
    for _ in range(3):
        quarters.append(quarter_of(quarters[-1].ends_on + dt.timedelta(days=1)))
    halves = [half_of(today)]
    halves.append(half_of(halves[-1].ends_on + dt.timedelta(days=1)))
    years = [year_of(today), year_of(dt.date(today.year + 1, 1, 1))]
    return [*quarters, *halves, *years]

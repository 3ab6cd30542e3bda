"""Capacity arithmetic with exact numbers: weekdays, members joining or leaving, time off (overlaps
counted once, outside the period ignored), part time, quarters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from headway.prioritization import capacity as cap

D = dt.date
Q1 = (D(2027, 1, 1), D(2027, 3, 31))


def test_working_days_counts_weekdays_inclusive():
    assert cap.working_days(*Q1) == 64
    assert cap.working_days(D(2027, 1, 4), D(2027, 1, 8)) == 5  # Monday to Friday
    assert cap.working_days(D(2027, 1, 2), D(2027, 1, 3)) == 0  # a weekend
    assert cap.working_days(D(2027, 1, 1), D(2027, 1, 1)) == 1  # one Friday
    assert cap.working_days(D(2027, 1, 8), D(2027, 1, 4)) == 0  # backwards
    assert cap.working_days(D(2027, 1, 1), D(2027, 12, 31)) == 261


def test_working_days_matches_counting_day_by_day():
    start = D(2026, 12, 20)
    for length in range(0, 40):
        end = start + dt.timedelta(days=length)
        for shift in range(7):
            s = start + dt.timedelta(days=shift)
            expected = sum(1 for i in range((end - s).days + 1) if (s + dt.timedelta(days=i)).weekday() < 5)
            assert cap.working_days(s, end) == max(expected, 0)


def test_full_time_member_for_a_quarter():
    m = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], name="Ana")
    assert (m.name, m.weekly, m.weeks, m.days_off, m.capacity, m.days_in_team) == ("Ana", 1.0, 12.8, 0, 12.8, 64)


def test_half_time_member():
    m = cap.member_capacity(weekly=Decimal("0.50"), starts_on=Q1[0], ends_on=Q1[1])
    assert (m.weeks, m.capacity) == (12.8, 6.4)


def test_points_velocity():
    m = cap.member_capacity(weekly=8, starts_on=Q1[0], ends_on=Q1[1])
    assert m.capacity == 102.4


def test_member_joining_mid_period():
    m = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], joins_on=D(2027, 3, 1))
    assert (m.days_in_team, m.weeks, m.capacity) == (23, 4.6, 4.6)


def test_member_leaving_mid_period():
    m = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], leaves_on=D(2027, 1, 15))
    assert (m.days_in_team, m.capacity) == (11, 2.2)


def test_member_outside_the_period_has_nothing():
    before = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], leaves_on=D(2026, 12, 31))
    after = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], joins_on=D(2027, 4, 1))
    assert (before.capacity, before.weeks, after.capacity, after.days_in_team) == (0.0, 0.0, 0.0, 0)


def test_time_off_is_taken_in_working_days():
    # Mon 2027-02-01 to Sun 2027-02-14: 10 weekdays
    m = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], time_off=[(D(2027, 2, 1), D(2027, 2, 14))])
    assert (m.days_off, m.weeks, m.capacity) == (10, 10.8, 10.8)


def test_overlapping_time_off_counted_once():
    time_off = [(D(2027, 2, 1), D(2027, 2, 5)), (D(2027, 2, 3), D(2027, 2, 10)), (D(2027, 2, 4), D(2027, 2, 4))]
    m = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], time_off=time_off)
    assert (m.days_off, m.capacity) == (8, 11.2)  # Feb 1–10: 8 weekdays


def test_time_off_outside_the_period_or_the_team_is_ignored():
    time_off = [
        (D(2026, 12, 21), D(2027, 1, 1)),  # only Friday Jan 1 is inside
        (D(2027, 4, 1), D(2027, 4, 30)),  # after the period
        (D(2027, 1, 4), D(2027, 1, 8)),  # before joining
    ]
    m = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], joins_on=D(2027, 1, 1), time_off=time_off)
    assert m.days_off == 6
    late = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], joins_on=D(2027, 1, 11), time_off=time_off)
    assert (late.days_in_team, late.days_off, late.capacity) == (58, 0, 11.6)  # Jan 1 and Jan 4–8 are before joining


def test_weekend_time_off_costs_nothing():
    m = cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], time_off=[(D(2027, 1, 2), D(2027, 1, 3))])
    assert (m.days_off, m.capacity) == (0, 12.8)


def test_team_total_sums_members():
    members = [
        cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], name="A"),
        cap.member_capacity(weekly=0.5, starts_on=Q1[0], ends_on=Q1[1], name="B"),
        cap.member_capacity(weekly=1, starts_on=Q1[0], ends_on=Q1[1], joins_on=D(2027, 3, 1), name="C"),
    ]
    team = cap.team_total(7, members, starts_on=Q1[0], ends_on=Q1[1])
    assert (team.team_id, team.total, team.working_days, team.days_off) == (7, 23.8, 64, 0)
    assert [m.name for m in team.members] == ["A", "B", "C"]


def test_merge_ranges():
    assert cap.merge(
        [(D(2027, 1, 5), D(2027, 1, 6)), (D(2027, 1, 1), D(2027, 1, 4)), (D(2027, 1, 9), D(2027, 1, 9))]
    ) == [
        (D(2027, 1, 1), D(2027, 1, 6)),
        (D(2027, 1, 9), D(2027, 1, 9)),
    ]


def test_quarters():
    assert cap.quarter_bounds(2027, 1) == Q1
    assert cap.quarter_bounds(2027, 4) == (D(2027, 10, 1), D(2027, 12, 31))
    assert cap.next_quarter(D(2026, 11, 22)) == (2027, 1)
    assert cap.next_quarter(D(2027, 5, 2)) == (2027, 3)
    assert cap.quarter_label(2027, 1) == "2027-Q1"
    assert cap.parse_quarter("2027-q2") == (2027, 2)
    for bad in ("", "2027", "2027-Q5", "27-Q1", "2027-Q1x", "abcd-Q1"):
        assert cap.parse_quarter(bad) is None
    with pytest.raises(ValueError):
        cap.quarter_bounds(2027, 0)

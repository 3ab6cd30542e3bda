"""Plan periods as people type them."""

from __future__ import annotations

import datetime as dt

import pytest

from headway.core.errors import ValidationFailed
from headway.prioritization.periods import parse_period

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-Q1", ("2027-Q1", D(2027, 1, 1), D(2027, 3, 31))),
        ("2027-q4", ("2027-Q4", D(2027, 10, 1), D(2027, 12, 31))),
        ("Q2 2027", ("2027-Q2", D(2027, 4, 1), D(2027, 6, 30))),
        (" 2027 Q3 ", ("2027-Q3", D(2027, 7, 1), D(2027, 9, 30))),
        ("2027-H1", ("2027-H1", D(2027, 1, 1), D(2027, 6, 30))),
        ("2027-H2", ("2027-H2", D(2027, 7, 1), D(2027, 12, 31))),
        ("h2 2028", ("2028-H2", D(2028, 7, 1), D(2028, 12, 31))),
        ("2027", ("2027", D(2027, 1, 1), D(2027, 12, 31))),
        ("2027-03", ("2027-03", D(2027, 3, 1), D(2027, 3, 31))),
        ("2028-2", ("2028-02", D(2028, 2, 1), D(2028, 2, 29))),
        ("2027-12", ("2027-12", D(2027, 12, 1), D(2027, 12, 31))),
        ("2027-01-05..2027-02-20", ("2027-01-05..02-20", D(2027, 1, 5), D(2027, 2, 20))),
        ("2027-01-05..02-20", ("2027-01-05..02-20", D(2027, 1, 5), D(2027, 2, 20))),
        ("2027-12-01 / 2028-01-31", ("20271201..20280131", D(2027, 12, 1), D(2028, 1, 31))),
        ("20271201..20280131", ("20271201..20280131", D(2027, 12, 1), D(2028, 1, 31))),
        ("2027-05-01 to 2027-05-01", ("2027-05-01..05-01", D(2027, 5, 1), D(2027, 5, 1))),
    ],
)
def test_periods(text, expected):
    assert parse_period(text) == expected
    label = expected[0]
    assert len(label) <= 20  # CapacityPlan.period_label
    assert parse_period(label) == expected  # a label reads back as the same period


HELP = "period: Give a period such as 2027-Q1, 2027-H2, 2027, 2027-03 or a date range 2027-01-05..2027-02-20."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", HELP),
        ("next quarter", HELP),
        ("2027-Q5", HELP),
        ("2027-13", "period: “2027-13” is not a month (use YYYY-MM, 01 to 12)."),
        ("0999", "period: The year must be between 1970 and 2999."),
        ("2027-02-30..2027-03-01", "period: “2027-02-30” is not a date (use YYYY-MM-DD)."),
        ("2027-03-01..2027-02-01", "period: The period must end on or after the day it starts."),
        ("2027-01-01..2031-01-01", "period: A plan's period can be at most three years long."),
    ],
)  # fmt: skip
def test_bad_periods(text, message):
    with pytest.raises(ValidationFailed) as caught:
        parse_period(text)
    assert caught.value.message == message
    assert list(caught.value.fields) == ["period"]


def test_not_text():
    with pytest.raises(ValidationFailed):
        parse_period(2027)  # type: ignore[arg-type]

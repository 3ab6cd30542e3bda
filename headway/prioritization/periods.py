"""Plan periods as people type them: "2027-Q1", "2027-H2", "2027", "2027-03", "2027-01-05..2027-02-20".

``parse_period(text) -> (label, starts_on, ends_on)``. The label is what a committed plan writes
as its features' target release, so it is short and canonical whatever the spelling typed
("q1 2027", "2027 Q1" and "2027-q1" all give "2027-Q1"). Date ranges keep the ISO dates; a range
within one year shortens its end ("2027-01-05..02-20") and one across years uses the compact ISO
form ("20271201..20280131") so every label fits the 20 characters a plan keeps — and every label
parses back to the same period.
"""

from __future__ import annotations

import datetime as dt
import re

from headway.core.errors import ValidationFailed
from headway.strategy.periods import half_of, quarter_of, year_of

MIN_YEAR = 1970
MAX_YEAR = 2999
# A plan longer than this is not a plan (and a typo such as 2027..3027 is caught).
MAX_DAYS = 3 * 366

_QUARTER = re.compile(r"^(?:(?P<y1>\d{4})[-\s]?Q(?P<q1>[1-4])|Q(?P<q2>[1-4])[-\s]?(?P<y2>\d{4}))$", re.IGNORECASE)
_HALF = re.compile(r"^(?:(?P<y1>\d{4})[-\s]?H(?P<h1>[12])|H(?P<h2>[12])[-\s]?(?P<y2>\d{4}))$", re.IGNORECASE)
_YEAR = re.compile(r"^(?P<y>\d{4})$")
_MONTH = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$")
_RANGE = re.compile(r"^(?P<start>[\d-]{8,10})\s*(?:\.\.|/|\s+to\s+)\s*(?P<end>[\d-]{5,10})$", re.IGNORECASE)

_HELP = "Give a period such as 2027-Q1, 2027-H2, 2027, 2027-03 or a date range 2027-01-05..2027-02-20."


def _fail(message: str = _HELP) -> ValidationFailed:
    return ValidationFailed.on("period", message)


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _fail(f"The year must be between {MIN_YEAR} and {MAX_YEAR}.")
    return year


def _date(text: str) -> dt.date:
    try:
        if re.fullmatch(r"\d{8}", text):
            day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
        else:
            raise ValueError(text)
    except ValueError:
        raise _fail(f"“{text}” is not a date (use YYYY-MM-DD).") from None
    _year(str(day.year))
    return day


def _range_label(starts_on: dt.date, ends_on: dt.date) -> str:
    if starts_on.year == ends_on.year:
        return f"{starts_on.isoformat()}..{ends_on:%m-%d}"
    return f"{starts_on:%Y%m%d}..{ends_on:%Y%m%d}"


def parse_period(text: object) -> tuple[str, dt.date, dt.date]:
    """``(label, first day, last day)`` of the period ``text`` names; ``ValidationFailed`` on "period"."""
    if not isinstance(text, str) or not text.strip():
        raise _fail()
    value = " ".join(text.split())
    if len(value) > 40:
        raise _fail()
    if match := _QUARTER.match(value):
        year = _year(match["y1"] or match["y2"])
        quarter = int(match["q1"] or match["q2"])
        period = quarter_of(dt.date(year, 3 * (quarter - 1) + 1, 1))
        return f"{year}-Q{quarter}", period.starts_on, period.ends_on
    if match := _HALF.match(value):
        year = _year(match["y1"] or match["y2"])
        half = int(match["h1"] or match["h2"])
        period = half_of(dt.date(year, 1 if half == 1 else 7, 1))
        return f"{year}-H{half}", period.starts_on, period.ends_on
    if match := _YEAR.match(value):
        period = year_of(dt.date(_year(match["y"]), 1, 1))
        return str(period.starts_on.year), period.starts_on, period.ends_on
    if match := _MONTH.match(value):
        year, month = _year(match["y"]), int(match["m"])
        if not 1 <= month <= 12:
            raise _fail(f"“{value}” is not a month (use YYYY-MM, 01 to 12).")
        starts_on = dt.date(year, month, 1)
        ends_on = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        return f"{year}-{month:02d}", starts_on, ends_on
    if match := _RANGE.match(value):
        starts_on = _date(match["start"])
        end = match["end"]
        if re.fullmatch(r"\d{2}-\d{2}", end):  # "2027-01-05..02-20": the end in the start's year
            end = f"{starts_on.year}-{end}"
        ends_on = _date(end)
        if ends_on < starts_on:
            raise _fail("The period must end on or after the day it starts.")
        if (ends_on - starts_on).days >= MAX_DAYS:
            raise _fail("A plan's period can be at most three years long.")
        return _range_label(starts_on, ends_on), starts_on, ends_on
    raise _fail()

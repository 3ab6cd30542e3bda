"""The delivery forecast (issue 7, point 6): closed form, an independent re-simulation, fallbacks."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headway.core.errors import ValidationFailed
from headway.roadmaps.forecast import (
    CHUNK_WEEKS,
    MIN_HISTORY_WEEKS,
    ForecastItem,
    forecast,
    percentile_dates,
    week_end,
)

START = dt.date(2026, 1, 5)  # a Monday; week w ends on START + 7w + 6 (a Sunday)


def _items(*sizes: float, due: dict[int, dt.date] | None = None) -> list[ForecastItem]:
    due = due or {}
    return [ForecastItem(f"f{k}", size, due.get(k)) for k, size in enumerate(sizes)]


# -- 1. closed form: a team that always does 5 a week ------------------------------------------


def test_constant_throughput_matches_closed_form():
    sizes = [3, 2, 7, 0, 5, 12.5, 1]
    result = forecast([5.0] * 8, _items(*sizes), START, runs=500)
    assert result.method == "monte_carlo"
    assert result.runs == 500 and result.weeks_of_history == 8 and result.reason is None
    cumulative = 0.0
    for item, size in zip(result.items, sizes, strict=True):
        cumulative += size
        expected = START + dt.timedelta(weeks=max(math.ceil(cumulative / 5), 1), days=-1)
        assert (item.p50, item.p85, item.p95) == (expected, expected, expected), item.id


def test_constant_throughput_probabilities_are_exactly_one_or_zero():
    # f0 (size 10) is done at the end of week 1 (START + 13); f1 (cum 15) at the end of week 2.
    on_time = START + dt.timedelta(days=13)
    items = _items(10, 5, due={0: on_time, 1: on_time})
    result = forecast([5.0] * 6, items, START, runs=300)
    assert result.items[0].probability_by_due == 1.0
    assert result.items[1].probability_by_due == 0.0
    assert result.probability_by("f0", on_time - dt.timedelta(days=1)) == 0.0
    assert result.probability_by("f1", on_time + dt.timedelta(days=7)) == 1.0
    assert result.items[0].p50 == on_time


def test_items_without_due_date_have_no_probability():
    result = forecast([5.0] * 6, _items(1), START, runs=10)
    assert result.items[0].probability_by_due is None


# -- 2. an independent, naive re-simulation on a fixed seed -----------------------------------


def _naive_finish_weeks(history, sizes, runs, seed, horizon):
    """The documented draws, redone by hand: one generator, chunks of CHUNK_WEEKS columns (one
    block of runs, as runs ≤ RUN_BLOCK), then a plain loop over runs and weeks. Drawing more
    chunks than the module needed changes nothing: the earlier columns are the same numbers."""
    rng = np.random.default_rng(seed)
    chunks, drawn = [], 0
    while drawn < horizon:
        weeks = min(CHUNK_WEEKS, horizon - drawn)
        chunks.append(rng.integers(0, len(history), size=(runs, weeks)))
        drawn += weeks
    idx = np.concatenate(chunks, axis=1)
    targets, total = [], 0.0
    for size in sizes:
        total += size
        targets.append(total)
    finish = []
    for run in range(runs):
        done_by, k, so_far = [], 0, 0.0
        for week in range(horizon):
            so_far += history[idx[run, week]]
            while k < len(targets) and so_far >= targets[k] - 1e-9:
                done_by.append(week)
                k += 1
            if k == len(targets):
                break
        done_by += [None] * (len(targets) - k)
        finish.append(done_by)
    return finish


def _naive_percentile(weeks, pct):
    runs = len(weeks)
    ordered = sorted(weeks, key=lambda w: math.inf if w is None else w)
    week = ordered[math.ceil(pct * runs / 100) - 1]
    return None if week is None else week_end(START, week)


@pytest.mark.parametrize(
    ("history", "sizes", "horizon"),
    [
        ([0, 3, 5, 2, 8, 4, 0, 6], [4, 6, 3, 9, 2, 5, 7, 1, 10, 3], 520),
        ([1.5, 0, 2.25, 0.5, 3, 1], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 520),
        # A short horizon: some runs never finish the tail, so late percentiles become None.
        ([0, 0, 0, 0, 1, 4], [3, 5, 8, 13], 10),
    ],
)
def test_matches_independent_simulation(history, sizes, horizon):
    runs, seed = 1500, 42
    due = START + dt.timedelta(weeks=4)
    items = [ForecastItem(f"f{k}", size, due) for k, size in enumerate(sizes)]
    result = forecast(history, items, START, runs=runs, seed=seed, horizon_weeks=horizon)
    naive = _naive_finish_weeks(history, sizes, runs, seed, horizon)
    for k, item in enumerate(result.items):
        weeks = [row[k] for row in naive]
        for pct, got in zip((50, 85, 95), (item.p50, item.p85, item.p95), strict=True):
            want = _naive_percentile(weeks, pct)
            if want is None or got is None:
                assert got == want, (item.id, pct)
            else:
                assert abs((got - want).days) <= 1, (item.id, pct, got, want)
        on_time = sum(1 for w in weeks if w is not None and week_end(START, w) <= due) / runs
        assert item.probability_by_due == pytest.approx(on_time)


def test_short_horizon_gives_none_percentiles():
    result = forecast([0, 0, 0, 0, 0, 1], _items(20), START, runs=200, horizon_weeks=8)
    assert (result.items[0].p50, result.items[0].p95) == (None, None)
    assert result.probability_by("f0", START + dt.timedelta(weeks=100)) == 0.0


def test_same_seed_same_forecast_and_runs_above_one_block():
    history = [1, 2, 3, 0, 5, 2]
    a = forecast(history, _items(5, 5), START, runs=12_345, seed=7)
    b = forecast(history, _items(5, 5), START, runs=12_345, seed=7)
    assert a.items == b.items and a.runs == 12_345


# -- 3. monotone probabilities and ordered items ----------------------------------------------


def test_probability_is_monotone_in_the_date_and_items_stay_in_order():
    history = [0, 2, 5, 1, 3, 7, 0, 4]
    result = forecast(history, _items(3, 8, 2, 6, 4, 9, 1), START, runs=2000, seed=3)
    for item in result.items:
        probs = [result.probability_by(item.id, START + dt.timedelta(days=d)) for d in range(0, 400, 3)]
        assert probs == sorted(probs)
        assert probs[0] == 0.0 and probs[-1] == 1.0
    for earlier, later in zip(result.items, result.items[1:], strict=False):
        for attr in ("p50", "p85", "p95"):
            assert getattr(earlier, attr) <= getattr(later, attr)


def test_probability_by_unknown_item_raises_key_error():
    result = forecast([1.0] * 6, _items(1), START, runs=10)
    with pytest.raises(KeyError):
        result.probability_by("nope", START)


def test_percentile_dates_nearest_rank():
    weeks = np.array([0] * 50 + [1] * 35 + [2] * 10 + [9] * 5, dtype=np.int64)
    assert percentile_dates(weeks, START, 9) == (week_end(START, 0), week_end(START, 1), week_end(START, 2))
    assert percentile_dates(weeks, START, 2) == (week_end(START, 0), week_end(START, 1), None)


# -- 4. too little history: estimates, labelled ------------------------------------------------


def test_short_history_falls_back_to_estimates():
    items = _items(4, 4, 4, due={0: START + dt.timedelta(days=6), 1: START + dt.timedelta(days=6)})
    result = forecast([3, 4, 5, 4, 4], items, START, fallback_weekly=4.0)
    assert result.method == "estimate"
    assert result.runs == 0 and result.weeks_of_history == 5
    assert result.reason == "Only 5 weeks of history (6 needed): dates from estimates."
    dates = [item.p50 for item in result.items]
    assert dates == [week_end(START, 0), week_end(START, 1), week_end(START, 2)]
    assert all(item.p50 == item.p85 == item.p95 for item in result.items)
    assert [item.probability_by_due for item in result.items] == [1.0, 0.0, None]
    assert result.probability_by("f2", week_end(START, 2)) == 1.0
    assert result.probability_by("f2", week_end(START, 2) - dt.timedelta(days=1)) == 0.0


def test_short_history_without_fallback_has_no_dates():
    result = forecast([3, 4], _items(4, 4, due={0: START}), START)
    assert result.method == "estimate"
    assert result.reason == "Only 2 weeks of history (6 needed) and no estimated capacity: no dates."
    assert all((i.p50, i.p85, i.p95, i.probability_by_due) == (None,) * 4 for i in result.items)
    assert result.probability_by("f0", START) is None


def test_all_zero_history_does_not_simulate():
    result = forecast([0.0] * 10, _items(4), START, fallback_weekly=2.0)
    assert result.method == "estimate"
    assert result.reason == "No work completed in the 10 weeks of history: dates from estimates."
    assert result.items[0].p50 == week_end(START, 1)


def test_exactly_min_history_simulates():
    assert forecast([1.0] * MIN_HISTORY_WEEKS, _items(1), START, runs=5).method == "monte_carlo"


# -- 5. validation names the field -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"history": [1, -1, 2, 2, 2, 2]}, "history"),
        ({"history": [1, float("nan"), 2, 2, 2, 2]}, "history"),
        ({"items": [ForecastItem("a", -1)]}, "items"),
        ({"items": [ForecastItem("", 1)]}, "items"),
        ({"items": [ForecastItem("a", 1), ForecastItem("a", 2)]}, "items"),
        ({"runs": 0}, "runs"),
        ({"runs": 1_000_001}, "runs"),
        ({"horizon_weeks": 0}, "horizon_weeks"),
        ({"fallback_weekly": 0.0}, "fallback_weekly"),
    ],
)
def test_validation_names_the_field(kwargs, field):
    args = {"history": [1.0] * 6, "items": _items(1), "start": START} | kwargs
    with pytest.raises(ValidationFailed) as err:
        forecast(**args)
    assert list(err.value.fields) == [field]
    assert err.value.message.startswith(f"{field}: ")


def test_empty_item_list():
    assert forecast([1.0] * 6, [], START, runs=10).items == ()


# -- 6. properties -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    history=st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=6, max_size=15),
    sizes=st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), min_size=1, max_size=8),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    horizon=st.integers(min_value=1, max_value=120),
)
def test_percentiles_are_ordered_and_never_before_start(history, sizes, seed, horizon):
    result = forecast(history, _items(*sizes), START, runs=200, seed=seed, horizon_weeks=horizon)
    for item in result.items:
        dates = [item.p50, item.p85, item.p95]
        known = [d for d in dates if d is not None]
        # Once a percentile is out of the horizon, every higher one is too.
        assert dates[: len(known)] == known
        assert known == sorted(known)
        assert all(START <= d < START + dt.timedelta(weeks=horizon) for d in known)

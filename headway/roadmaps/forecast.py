"""The delivery forecast (issue 7, point 6): when will each item of a ranked list be done?

A pure function over plain data: ``forecast(history, items, start, ...) -> Forecast``. No database,
no Django models; the service layer reads a team's throughput from the status history and the
ranked items from the backlog, and stores the ``Forecast`` it gets back.

The model is a Monte Carlo simulation of the team's future weeks, drawn from its own past:

* ``history`` is the work the team completed in each past week (features or effort, zeros
  allowed), oldest first. Each simulated week's throughput is one of those weeks, picked uniformly
  at random with replacement (a bootstrap): the future looks like a shuffle of the past, good and
  bad weeks included, with no assumption about the shape of the distribution.
* ``items`` are worked in rank order, one after another: item ``k`` is done in the first simulated
  week in which the throughput so far reaches the sizes of items ``0..k`` added up. Sizes are in
  the same unit as the history.
* Week ``w`` (0-based) runs from ``start + 7·w`` to ``start + 7·w + 6`` days; an item finishing
  during week ``w`` is dated on the **last day of that week**, ``start + 7·(w + 1) − 1``. An item
  of size 0 at the head of the list is therefore dated at the end of the first week, never before
  ``start``.
* ``runs`` simulations (10,000 by default) give each item ``runs`` finish weeks; its 50% / 85% /
  95% dates are the earliest dates by which at least that share of runs had finished it (the
  nearest-rank percentile: sort the weeks, take the ``ceil(p · runs)``-th), and
  ``probability_by_due`` is the share of runs that finished it on or before its due date.

Weeks are drawn in chunks of ``CHUNK_WEEKS`` until every run has finished the last item or
``horizon_weeks`` are drawn. A run that has not finished an item by the horizon never finishes it:
it counts against every probability, and a percentile whose share of runs is not reached within
the horizon is ``None`` ("not by any date we can say"), so p95 is ``None`` as soon as more than 5%
of runs run out of horizon.

Reproducibility (the tests redo the simulation by hand from this): ``rng =
np.random.default_rng(seed)``; runs are taken in blocks of ``RUN_BLOCK`` (the last block may be
smaller); for each block in turn, chunk after chunk, ``idx = rng.integers(0, len(history),
size=(block_runs, chunk_weeks))`` with ``chunk_weeks = min(CHUNK_WEEKS, horizon_weeks −
weeks drawn so far)``, and week ``j`` of run ``i`` delivers ``history[idx[i, j]]``.

Too little history: with fewer than ``MIN_HISTORY_WEEKS`` weeks, or only zeros, a simulation would
claim a precision it does not have. ``forecast`` then does not simulate; it returns
``method="estimate"`` with a ``reason`` saying so and dates from ``fallback_weekly`` (the team's
capacity per week from estimates): item ``k`` is done after ``ceil(cumulative size / capacity)``
weeks, every percentile is that date and the probability of meeting a due date is 1 or 0. Without
a fallback, dates are ``None``.

Input a person typed wrongly (negative sizes or history, empty or duplicate ids, runs outside
1..1,000,000) raises ``ValidationFailed`` naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from headway.core.errors import ValidationFailed

MIN_HISTORY_WEEKS = 6
MAX_RUNS = 1_000_000
# 52 weeks covers most ranked lists in one chunk; longer lists draw another year at a time.
CHUNK_WEEKS = 52
# Runs are simulated in blocks so that a million runs over ten years never needs gigabytes at once.
RUN_BLOCK = 10_000
PERCENTILES = (50, 85, 95)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ForecastItem:
    id: str
    size: float
    due: dt.date | None = None


@dataclass(frozen=True)
class ItemForecast:
    id: str
    p50: dt.date | None
    p85: dt.date | None
    p95: dt.date | None
    probability_by_due: float | None


@dataclass(frozen=True)
class Forecast:
    method: str  # "monte_carlo" or "estimate"
    runs: int  # 0 for an estimate
    weeks_of_history: int
    items: tuple[ItemForecast, ...]
    reason: str | None = None
    start: dt.date | None = None
    horizon_weeks: int = 0
    # Monte Carlo: each item's finish week per run, sorted (horizon_weeks = never); estimate: the
    # one finish week (or nothing without a fallback). Kept so probability_by costs a binary search.
    _weeks: dict[str, IntArray] = field(default_factory=dict, repr=False, compare=False)

    def probability_by(self, item_id: str, date: dt.date) -> float | None:
        """The share of runs that finished ``item_id`` on or before ``date`` (an estimate: 1 or 0;
        ``None`` when there are no dates at all). Unknown ids raise ``KeyError``."""
        if item_id not in {item.id for item in self.items}:
            raise KeyError(item_id)
        weeks = self._weeks.get(item_id)
        if weeks is None or self.start is None:
            return None
        last = last_week_by(self.start, date)
        if last < 0:
            return 0.0
        if self.method == "monte_carlo":
            # Runs that never finished carry week == horizon_weeks; they never count.
            last = min(last, self.horizon_weeks - 1)
        return float(np.searchsorted(weeks, last, side="right")) / len(weeks)


def week_end(start: dt.date, week: int) -> dt.date:
    """The last day of 0-based week ``week``: the date an item finishing in that week gets."""
    return start + dt.timedelta(days=7 * (week + 1) - 1)


def last_week_by(start: dt.date, date: dt.date) -> int:
    """The last week that ends on or before ``date`` (−1 when even week 0 ends after it)."""
    return ((date - start).days - 6) // 7


def percentile_weeks(sorted_weeks: IntArray, horizon_weeks: int) -> tuple[int | None, ...]:
    """Nearest-rank 50/85/95% finish weeks from one item's sorted weeks; ``None`` when that share
    of runs did not finish within the horizon."""
    runs = len(sorted_weeks)
    out: list[int | None] = []
    for pct in PERCENTILES:
        # Integer arithmetic: 0.85 * runs in floats could land just above an integer.
        rank = -(-pct * runs // 100)  # ceil(pct · runs / 100), at least 1 for runs ≥ 1
        week = int(sorted_weeks[rank - 1])
        out.append(None if week >= horizon_weeks else week)
    return tuple(out)


def percentile_dates(sorted_weeks: IntArray, start: dt.date, horizon_weeks: int) -> tuple[dt.date | None, ...]:
    """``percentile_weeks`` as dates (the last day of each week)."""
    return tuple(None if w is None else week_end(start, w) for w in percentile_weeks(sorted_weeks, horizon_weeks))


def _tolerance(scale: float) -> float:
    # Cumulative sums in floats can land a hair below an exact target (0.1 + 0.2 < 0.3 + ε); a
    # relative tolerance far below any real difference in work keeps exact ties exact.
    return 1e-9 * max(1.0, scale)


def simulate_finish_weeks(
    history: Sequence[float],
    sizes: Sequence[float],
    *,
    runs: int,
    seed: int,
    horizon_weeks: int,
) -> IntArray:
    """The (runs × items) matrix of 0-based finish weeks; ``horizon_weeks`` where a run did not
    finish the item within the horizon. Inputs are assumed valid (``forecast`` checks them)."""
    hist = np.asarray(history, dtype=np.float64)
    targets = np.cumsum(np.asarray(sizes, dtype=np.float64))
    n_items = len(targets)
    out = np.empty((runs, n_items), dtype=np.int64)
    if n_items == 0:
        return out
    total = float(targets[-1])
    rng = np.random.default_rng(seed)
    for first in range(0, runs, RUN_BLOCK):
        block = min(RUN_BLOCK, runs - first)
        out[first : first + block] = _simulate_block(hist, targets, total, rng, block, horizon_weeks)
    return out


def _simulate_block(
    hist: npt.NDArray[np.float64],
    targets: npt.NDArray[np.float64],
    total: float,
    rng: np.random.Generator,
    block: int,
    horizon_weeks: int,
) -> IntArray:
    chunks: list[npt.NDArray[np.float64]] = []
    carried = np.zeros(block)
    drawn = 0
    # Draw a chunk of weeks at a time until every run has done all the work (or the horizon ends).
    while drawn < horizon_weeks:
        weeks = min(CHUNK_WEEKS, horizon_weeks - drawn)
        idx = rng.integers(0, len(hist), size=(block, weeks))
        cum = np.cumsum(hist[idx], axis=1) + carried[:, None]
        chunks.append(cum)
        carried = cum[:, -1]
        drawn += weeks
        if float(carried.min()) >= total - _tolerance(total):
            break
    cum = np.concatenate(chunks, axis=1) if len(chunks) > 1 else chunks[0]

    # One searchsorted for all runs and items: each run's cumsum is non-decreasing (throughput is
    # never negative), so lifting run r by r · offset, with offset larger than any cumsum or
    # target, lays all runs end to end in one sorted array. A target of run r then lands inside
    # run r's stretch, or at the start of run r + 1's when run r never reaches it (week == drawn).
    offset = 2.0 * max(float(cum[:, -1].max()), total) + 1.0
    lifts = np.arange(block, dtype=np.float64) * offset
    flat = (cum + lifts[:, None]).ravel()
    # The tolerance must also beat rounding at the largest lifted value (≈ block · offset).
    tol = _tolerance(offset)
    queries = (targets[None, :] - tol) + lifts[:, None]
    pos = np.searchsorted(flat, queries.ravel(), side="left").reshape(block, len(targets))
    finish = pos - (np.arange(block, dtype=np.int64) * drawn)[:, None]
    # A run out of weeks before the horizon was reached cannot happen (we only stop early when all
    # runs are done), so "== drawn" always means "not within the horizon".
    finish[finish >= drawn] = horizon_weeks
    return finish.astype(np.int64, copy=False)


def _validate(
    history: Sequence[float],
    items: Sequence[ForecastItem],
    runs: int,
    horizon_weeks: int,
    fallback_weekly: float | None,
) -> None:
    for value in history:
        if not math.isfinite(value) or value < 0:
            raise ValidationFailed.on("history", f"Weekly throughput must be a number ≥ 0 (got {value}).")
    seen: set[str] = set()
    for item in items:
        if not item.id:
            raise ValidationFailed.on("items", "Every item needs an id.")
        if item.id in seen:
            raise ValidationFailed.on("items", f"Item {item.id!r} is listed twice.")
        seen.add(item.id)
        if not math.isfinite(item.size) or item.size < 0:
            raise ValidationFailed.on("items", f"Item {item.id!r}: size must be a number ≥ 0 (got {item.size}).")
    if not 1 <= runs <= MAX_RUNS:
        raise ValidationFailed.on("runs", f"Runs must be between 1 and {MAX_RUNS:,} (got {runs}).")
    if horizon_weeks < 1:
        raise ValidationFailed.on("horizon_weeks", f"The horizon must be at least 1 week (got {horizon_weeks}).")
    if fallback_weekly is not None and (not math.isfinite(fallback_weekly) or fallback_weekly <= 0):
        raise ValidationFailed.on("fallback_weekly", f"Capacity per week must be a number > 0 (got {fallback_weekly}).")


def forecast(
    history: Sequence[float],
    items: Sequence[ForecastItem],
    start: dt.date,
    *,
    runs: int = 10_000,
    seed: int = 0,
    horizon_weeks: int = 520,
    fallback_weekly: float | None = None,
) -> Forecast:
    """The delivery forecast for ``items`` (ranked, worked in order) from ``start``."""
    _validate(history, items, runs, horizon_weeks, fallback_weekly)
    n_weeks = len(history)
    if n_weeks < MIN_HISTORY_WEEKS or not any(v > 0 for v in history):
        if n_weeks < MIN_HISTORY_WEEKS:
            why = f"Only {n_weeks} weeks of history ({MIN_HISTORY_WEEKS} needed)"
        else:
            why = f"No work completed in the {n_weeks} weeks of history"
        reason = f"{why}: dates from estimates." if fallback_weekly else f"{why} and no estimated capacity: no dates."
        return _estimate(items, start, n_weeks, fallback_weekly, reason)

    finish = simulate_finish_weeks(
        history, [item.size for item in items], runs=runs, seed=seed, horizon_weeks=horizon_weeks
    )
    # Sorting each item's column once gives percentiles by index and probabilities by bisection.
    finish.sort(axis=0)
    results: list[ItemForecast] = []
    weeks_by_id: dict[str, IntArray] = {}
    for k, item in enumerate(items):
        col = np.ascontiguousarray(finish[:, k])
        weeks_by_id[item.id] = col
        p50, p85, p95 = percentile_dates(col, start, horizon_weeks)
        probability = None
        if item.due is not None:
            last = min(last_week_by(start, item.due), horizon_weeks - 1)
            probability = 0.0 if last < 0 else float(np.searchsorted(col, last, side="right")) / runs
        results.append(ItemForecast(item.id, p50, p85, p95, probability))
    return Forecast(
        method="monte_carlo",
        runs=runs,
        weeks_of_history=n_weeks,
        items=tuple(results),
        start=start,
        horizon_weeks=horizon_weeks,
        _weeks=weeks_by_id,
    )


def _estimate(
    items: Sequence[ForecastItem],
    start: dt.date,
    n_weeks: int,
    fallback_weekly: float | None,
    reason: str,
) -> Forecast:
    results: list[ItemForecast] = []
    weeks_by_id: dict[str, IntArray] = {}
    cumulative = 0.0
    for item in items:
        cumulative += item.size
        if fallback_weekly is None:
            results.append(ItemForecast(item.id, None, None, None, None))
            continue
        # ceil(cum / capacity) weeks of work end in week index n − 1; size 0 still takes week 0.
        needed = math.ceil(cumulative / fallback_weekly - _tolerance(cumulative / fallback_weekly))
        week = max(needed, 1) - 1
        date = week_end(start, week)
        weeks_by_id[item.id] = np.array([week], dtype=np.int64)
        probability = None if item.due is None else (1.0 if date <= item.due else 0.0)
        results.append(ItemForecast(item.id, date, date, date, probability))
    return Forecast(
        method="estimate",
        runs=0,
        weeks_of_history=n_weeks,
        items=tuple(results),
        reason=reason,
        start=start,
        horizon_weeks=0,
        _weeks=weeks_by_id,
    )

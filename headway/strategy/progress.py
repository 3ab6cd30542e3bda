"""How far objectives and key results have come: the one documented progress rule.

Progress is a number from 0 (nothing achieved) to 1 (achieved), or ``None`` when there is
nothing to measure yet. It is never stored (except as a snapshot on a check-in); it is computed
from the current values whenever a page or the API shows it, over rows loaded in two queries.

**A key result** moves from ``start_value`` to ``target_value``:

* *increase* / *decrease*: ``clamp((current − start) / (target − start), 0, 1)``. The same formula
  serves both directions because the target lies above the start for an increase and below it
  for a decrease (the database refuses anything else). Overshooting counts as 1, moving the
  wrong way as 0. Example: churn from 8 % down to 4 %, now 5 % → (5 − 8) / (4 − 8) = 0.75.
* *keep above* / *keep below*: a threshold, not a journey. 1 while the current value is on the
  right side of the target (``current ≥ target`` / ``current ≤ target``, the bound itself
  included), else 0. The start value is ignored.

**An objective** is

* 1 when its status is *done* (someone declared it achieved, whatever the numbers say);
* otherwise the weighted mean of the progress of its key results (each with its ``weight``)
  and of its child objectives (each with its own ``weight``, default 1), where a child
  counts only if it is not *dropped*, not archived, and has a progress itself;
* ``None`` ("no measures yet") when nothing counts: no key results and no counting children.

A child with no measures yet is left out rather than counted as 0, so a new sub-objective
does not drag its parent down before anyone has defined how it will be measured. A dropped
objective keeps its own progress (shown on its page) but leaves its parent's mean.

Numbers are computed with exact fractions and handed out as floats; people see whole percent
rounded down (``percent``), so "100 %" only ever means achieved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

DONE = "done"
DROPPED = "dropped"


class KeyResultRow(Protocol):
    objective_id: int
    start_value: Decimal
    target_value: Decimal
    current_value: Decimal
    direction: str
    weight: int


class ObjectiveRow(Protocol):
    id: int
    parent_id: int | None
    status: str
    weight: int
    archived_at: Any


def _fraction(value: Decimal | int | float | str) -> Fraction:
    return Fraction(value if not isinstance(value, str) else Decimal(value))


def key_result_progress(
    *,
    direction: str,
    start: Decimal | int | str,
    target: Decimal | int | str,
    current: Decimal | int | str,
) -> Fraction:
    """Progress of one key result as an exact fraction between 0 and 1 (see the module docstring)."""
    start_f, target_f, current_f = _fraction(start), _fraction(target), _fraction(current)
    if direction == "keep_above":
        return Fraction(1) if current_f >= target_f else Fraction(0)
    if direction == "keep_below":
        return Fraction(1) if current_f <= target_f else Fraction(0)
    if target_f == start_f:  # refused by the database; a guard so a bad row cannot divide by zero
        return Fraction(1) if current_f == target_f else Fraction(0)
    return min(Fraction(1), max(Fraction(0), (current_f - start_f) / (target_f - start_f)))


def kr_progress(key_result: KeyResultRow) -> float:
    """Progress of a key result row or instance, as a float."""
    return float(
        key_result_progress(
            direction=key_result.direction,
            start=key_result.start_value,
            target=key_result.target_value,
            current=key_result.current_value,
        )
    )


def roll_up(objectives: Iterable[ObjectiveRow], key_results: Iterable[KeyResultRow]) -> dict[int, float | None]:
    """Progress of every objective given, from its key results and its children among ``objectives``.

    Archived objectives should not be passed in (they leave the cascade); if they are, they
    still get a progress but do not count in their parent's.
    """
    rows = {o.id: o for o in objectives}
    children: dict[int, list[int]] = defaultdict(list)
    for row in rows.values():
        if row.parent_id is not None and row.parent_id in rows:
            children[row.parent_id].append(row.id)
    measures: dict[int, list[tuple[int, Fraction]]] = defaultdict(list)
    for kr in key_results:
        if kr.objective_id in rows:
            measures[kr.objective_id].append(
                (
                    kr.weight,
                    key_result_progress(
                        direction=kr.direction, start=kr.start_value, target=kr.target_value, current=kr.current_value
                    ),
                )
            )

    result: dict[int, Fraction | None] = {}
    # Children before parents, without recursion (a cascade may be deep).
    for root in rows:
        if root in result:
            continue
        stack: list[tuple[int, bool]] = [(root, False)]
        on_path: set[int] = set()
        while stack:
            node, expanded = stack.pop()
            if node in result:
                continue
            if expanded:
                on_path.discard(node)
                result[node] = _objective_progress(rows[node], measures[node], children[node], rows, result)
                continue
            if node in on_path:  # a cycle in bad data: never loop forever
                result[node] = None
                continue
            on_path.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in children[node] if child not in result)
    return {pk: (float(value) if value is not None else None) for pk, value in result.items()}


def _objective_progress(
    row: ObjectiveRow,
    own: list[tuple[int, Fraction]],
    child_ids: list[int],
    rows: dict[int, ObjectiveRow],
    computed: dict[int, Fraction | None],
) -> Fraction | None:
    if row.status == DONE:
        return Fraction(1)
    entries = list(own)
    for child_id in child_ids:
        child = rows[child_id]
        value = computed.get(child_id)
        if child.status == DROPPED or child.archived_at is not None or value is None:
            continue
        entries.append((child.weight, value))
    total_weight = sum(weight for weight, _ in entries)
    if not entries or total_weight == 0:
        return None
    return sum((weight * value for weight, value in entries), Fraction(0)) / total_weight


def percent(progress: float | None) -> int | None:
    """Whole percent, rounded down: 0.999 is 99 %, only 1 is 100 %."""
    if progress is None:
        return None
    # The epsilon undoes float noise (0.29 * 100 is 28.999…) without ever turning 0.99 into 100.
    return int(progress * 100 + 1e-9)

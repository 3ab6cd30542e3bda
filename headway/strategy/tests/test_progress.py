"""The progress rule (headway/strategy/progress.py) with exact numbers, no database."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest

from headway.strategy.progress import key_result_progress, percent, roll_up


@dataclass
class Obj:
    id: int
    parent_id: int | None = None
    status: str = "on_track"
    weight: int = 1
    archived_at: object = None


@dataclass
class KR:
    objective_id: int
    start_value: Decimal
    target_value: Decimal
    current_value: Decimal
    direction: str = "increase"
    weight: int = 1


def kr(objective_id, start, target, current, direction="increase", weight=1):
    return KR(objective_id, Decimal(start), Decimal(target), Decimal(current), direction, weight)


@pytest.mark.parametrize(
    ("direction", "start", "target", "current", "expected"),
    [
        ("increase", "20", "40", "35", Fraction(3, 4)),
        ("increase", "20", "40", "20", Fraction(0)),
        ("increase", "20", "40", "10", Fraction(0)),  # went the wrong way: clamped to 0
        ("increase", "20", "40", "55", Fraction(1)),  # overshot: clamped to 1
        ("increase", "0", "3", "1", Fraction(1, 3)),
        ("decrease", "8", "4", "7", Fraction(1, 4)),  # churn 8 % → 4 %, now 7 %
        ("decrease", "8", "4", "5", Fraction(3, 4)),
        ("decrease", "8", "4", "9", Fraction(0)),
        ("decrease", "8", "4", "3.5", Fraction(1)),
        ("decrease", "-2", "-10", "-4", Fraction(1, 4)),  # negative numbers work the same way
        ("increase", "0.5", "0.9", "0.6", Fraction(1, 4)),
        ("keep_above", "0", "99.9", "99.9", Fraction(1)),  # the bound itself counts
        ("keep_above", "0", "99.9", "99.89", Fraction(0)),
        ("keep_below", "0", "900", "850", Fraction(1)),
        ("keep_below", "500", "900", "901", Fraction(0)),
    ],
)
def test_key_result_progress(direction, start, target, current, expected):
    assert key_result_progress(direction=direction, start=start, target=target, current=current) == expected


def test_an_objective_is_the_weighted_mean_of_its_key_results():
    # 3/4 with weight 1, 1/4 with weight 3: (0.75 + 0.75) / 4 = 0.375
    progress = roll_up([Obj(1)], [kr(1, "20", "40", "35"), kr(1, "8", "4", "7", "decrease", weight=3)])
    assert progress == {1: 0.375}


def test_children_count_with_their_weight_next_to_key_results():
    objectives = [Obj(1), Obj(2, parent_id=1, weight=2), Obj(3, parent_id=1), Obj(4, parent_id=2)]
    key_results = [
        kr(1, "0", "100", "10"),  # 0.1
        kr(3, "8", "4", "6", "decrease"),  # 0.5
        kr(4, "0", "10", "8"),  # 0.8 → objective 4 = 0.8 → objective 2 (no KRs of its own) = 0.8
    ]
    progress = roll_up(objectives, key_results)
    assert progress[4] == 0.8
    assert progress[2] == 0.8
    assert progress[3] == 0.5
    # (1 × 0.1 + 2 × 0.8 + 1 × 0.5) / 4 = 2.2 / 4 = 0.55
    assert progress[1] == 0.55


def test_empty_objectives_have_no_progress_and_do_not_drag_their_parent_down():
    objectives = [Obj(1), Obj(2, parent_id=1), Obj(3, parent_id=1), Obj(4)]
    progress = roll_up(objectives, [kr(2, "0", "4", "1")])
    assert progress == {1: 0.25, 2: 0.25, 3: None, 4: None}


def test_done_counts_as_achieved_and_dropped_leaves_the_mean():
    objectives = [
        Obj(1),
        Obj(2, parent_id=1, status="done"),  # 1 whatever its key result says
        Obj(3, parent_id=1, status="dropped"),  # left out of the parent's mean
        Obj(4, parent_id=1, status="off_track"),
    ]
    key_results = [kr(2, "0", "10", "2"), kr(3, "0", "10", "0"), kr(4, "0", "10", "4")]
    progress = roll_up(objectives, key_results)
    assert progress[2] == 1.0
    assert progress[3] == 0.0  # a dropped objective still shows its own numbers
    assert progress[4] == 0.4
    assert progress[1] == 0.7  # (1 + 0.4) / 2


def test_a_parent_of_only_dropped_children_has_no_measures():
    progress = roll_up([Obj(1), Obj(2, parent_id=1, status="dropped")], [kr(2, "0", "10", "5")])
    assert progress == {1: None, 2: 0.5}


def test_archived_children_leave_the_mean():
    progress = roll_up(
        [Obj(1), Obj(2, parent_id=1, archived_at="2026-01-01")], [kr(1, "0", "10", "3"), kr(2, "0", "1", "1")]
    )
    assert progress[1] == 0.3


def test_a_deep_cascade_rolls_up_without_recursion_limits():
    depth = 3000
    objectives = [Obj(1)] + [Obj(i, parent_id=i - 1) for i in range(2, depth + 1)]
    progress = roll_up(objectives, [kr(depth, "0", "4", "3")])
    assert progress[1] == 0.75
    assert len(progress) == depth


def test_a_cycle_in_bad_data_does_not_loop():
    progress = roll_up([Obj(1, parent_id=2), Obj(2, parent_id=1)], [kr(1, "0", "2", "1")])
    assert set(progress) == {1, 2}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (0.0, 0), (0.29, 29), (0.875, 87), (0.999, 99), (1.0, 100), (float(Fraction(7, 12)), 58)],
)
def test_percent_rounds_down(value, expected):
    assert percent(value) == expected


def test_the_example_in_docs_strategy_md():
    objectives = [Obj(1), Obj(2, parent_id=1, weight=2), Obj(3, parent_id=1)]
    key_results = [
        kr(2, "20", "40", "35"),  # 0.75
        kr(2, "8", "4", "7", "decrease", weight=3),  # 0.25
        kr(1, "0", "10", "1"),  # 0.1
        kr(3, "0", "2", "1"),  # 0.5
    ]
    assert roll_up(objectives, key_results) == {1: 0.3375, 2: 0.375, 3: 0.5}

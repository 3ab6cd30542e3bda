"""The alignment computation on plain rows, with figures worked out by hand (see FIXTURE)."""

import datetime as dt

import pytest

from headway.core.errors import ValidationFailed
from headway.reports.alignment import (
    IN_PROGRESS,
    NO_OBJECTIVE,
    OTHER_OBJECTIVES,
    PLANNED,
    FeatureRow,
    InitiativeRow,
    ObjectiveRow,
    compute,
    period_choices,
    period_parse,
    quarter,
)

Q1 = quarter(2026, 1)
Q1_SPAN = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
Q2_SPAN = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
P1, P2 = 101, 102
LEADER, PM, PM2 = 11, 12, 13

# FIXTURE
#   O1 Grow revenue (company)            O7 Enterprise readiness (no work)
#   ├── O2 Payments conversion  (P1)
#   │   └── O4 Faster checkout
#   └── O3 Analytics adoption   (P2)
#       └── O8 Dashboard NPS    (P2, no work)
#   O5 is in Q2 (outside the period); O6 is dropped.
OBJECTIVES = [
    ObjectiveRow(1, "Grow revenue", None, LEADER, *Q1_SPAN, "on_track", position=0),
    ObjectiveRow(2, "Payments conversion", 1, PM, *Q1_SPAN, "on_track", product_id=P1, position=0),
    ObjectiveRow(3, "Analytics adoption", 1, PM2, *Q1_SPAN, "at_risk", product_id=P2, position=1),
    ObjectiveRow(4, "Faster checkout", 2, PM, *Q1_SPAN, "on_track", position=0),
    ObjectiveRow(5, "Next quarter", None, LEADER, *Q2_SPAN, "on_track", position=2),
    ObjectiveRow(6, "Abandoned idea", None, LEADER, *Q1_SPAN, "dropped", position=3),
    ObjectiveRow(7, "Enterprise readiness", None, LEADER, *Q1_SPAN, "off_track", position=1),
    ObjectiveRow(8, "Dashboard NPS", 3, PM2, *Q1_SPAN, "on_track", product_id=P2, position=0),
    ObjectiveRow(9, "Archived goal", None, LEADER, *Q1_SPAN, "on_track", archived=True),
]
#  id  stage        effort  objectives  product owner  initiative
FEATURES = [
    FeatureRow(1, "One-page checkout", P1, PM, IN_PROGRESS, "In progress", 8.0, 1, (4,)),
    FeatureRow(2, "Shared metric layer", P1, PM, PLANNED, "Ready", 6.0, 1, (2, 3)),  # 3 + 3
    FeatureRow(3, "Dark mode", P1, PM, PLANNED, "Discovery", 5.0, None, ()),  # no objective
    FeatureRow(4, "Q2 prep", P2, PM2, IN_PROGRESS, "In progress", 3.0, 2, (5,)),  # other period only
    FeatureRow(5, "Usage tracking", P2, PM2, PLANNED, "Ready", None, 2, (3,)),  # unestimated
    FeatureRow(6, "Checkout analytics", P2, None, IN_PROGRESS, "In progress", 4.0, None, (1, 4)),  # 2 + 2
    FeatureRow(7, "Shipped already", P1, PM, None, "Released", 10.0, 1, (1,)),  # out of scope
    FeatureRow(8, "Legacy exporter", P2, PM2, PLANNED, "Ready", 2.0, None, (6,)),  # dropped objective only
    FeatureRow(9, "Export to BI", P1, PM, PLANNED, "Ready", 1.0, None, (5, 3)),  # O3 takes all of it
    FeatureRow(10, "Archived objective", P1, PM, PLANNED, "Ready", 7.0, None, (9,)),  # other objectives only
]
INITIATIVES = [
    InitiativeRow(1, "Checkout revamp", "active", PM, *Q1_SPAN, product_ids=(P1,)),
    InitiativeRow(2, "Self-serve insights", "active", PM2, None, None, product_ids=(P2,)),
    InitiativeRow(3, "Idle bet", "proposed", LEADER, dt.date(2026, 3, 1), None, product_ids=(P2,)),
    InitiativeRow(4, "Finished bet", "done", LEADER, *Q1_SPAN),
    InitiativeRow(5, "Later bet", "active", LEADER, *Q2_SPAN),
]
PRODUCTS = {P1: "Checkout", P2: "Insights"}
PEOPLE = {LEADER: "Lee Leader", PM: "Pat PM", PM2: "Max PM"}


def report(**kwargs):
    return compute(
        period=Q1, features=FEATURES, objectives=OBJECTIVES, initiatives=INITIATIVES, products=PRODUCTS,
        people=PEOPLE, **kwargs,
    )  # fmt: skip


def test_totals_split_into_aligned_no_objective_and_other_objectives():
    r = report()
    assert r.total.as_dict() == {"planned": 21, "in_progress": 15, "total": 36, "features": 9, "unestimated": 1}
    assert r.aligned.as_dict() == {"planned": 7, "in_progress": 12, "total": 19, "features": 5, "unestimated": 1}
    assert r.no_objective.as_dict() == {"planned": 5, "in_progress": 0, "total": 5, "features": 1, "unestimated": 0}
    assert r.other_objectives.as_dict() == {
        "planned": 9, "in_progress": 3, "total": 12, "features": 3, "unestimated": 0,
    }  # fmt: skip
    assert round(r.aligned_share, 4) == round(19 / 36, 4)
    assert r.objectives_in_period == 6  # O1, O2, O3, O4, O7, O8
    assert r.is_empty is False


def test_objectives_in_tree_order_with_direct_split_effort_and_roll_up():
    r = report()
    rows = [
        (o.id, o.depth, o.direct.planned, o.direct.in_progress, o.direct.features, o.direct.unestimated,
         o.rolled_up.planned, o.rolled_up.in_progress, o.rolled_up.features, o.rolled_up.unestimated)
        for o in r.objectives
    ]  # fmt: skip
    assert rows == [
        # O1: F6 gives it 2 directly; rolled up: F1 8 + F2 3 (via O2) + F2 3 + F9 1 (via O3) + F6 2 + 2 (O4).
        (1, 0, 0.0, 2.0, 1, 0, 7.0, 12.0, 5, 1),
        (2, 1, 3.0, 0.0, 1, 0, 3.0, 10.0, 3, 0),  # F2's half; rolled: + O4's F1 and F6 (F6 counted once)
        (4, 2, 0.0, 10.0, 2, 0, 0.0, 10.0, 2, 0),  # F1 8 + F6's half 2
        (3, 1, 4.0, 0.0, 3, 1, 4.0, 0.0, 3, 1),  # F2's half 3 + F9 1 (O5 takes no share), F5 unestimated
        (8, 2, 0.0, 0.0, 0, 0, 0.0, 0.0, 0, 0),
        (7, 0, 0.0, 0.0, 0, 0, 0.0, 0.0, 0, 0),
    ]
    # Direct shares add up to the aligned total; each objective's share is of all work in scope.
    assert sum(o.direct.total for o in r.objectives) == r.aligned.total == 19
    assert [round(o.share, 4) for o in r.objectives] == [round(x / 36, 4) for x in (2, 3, 10, 4, 0, 0)]
    assert [o.title for o in r.objectives_without_work] == ["Dashboard NPS", "Enterprise readiness"]
    assert [(o.owner, o.status) for o in r.objectives[:2]] == [("Lee Leader", "on_track"), ("Pat PM", "on_track")]


def test_not_aligned_features_are_listed_largest_first_with_the_reason():
    r = report()
    assert [(f.id, f.effort, f.reason, f.objectives, f.product, f.owner) for f in r.not_aligned] == [
        (10, 7.0, OTHER_OBJECTIVES, ["Archived goal"], "Checkout", "Pat PM"),
        (3, 5.0, NO_OBJECTIVE, [], "Checkout", "Pat PM"),
        (4, 3.0, OTHER_OBJECTIVES, ["Next quarter"], "Insights", "Max PM"),
        (8, 2.0, OTHER_OBJECTIVES, ["Abandoned idea"], "Insights", "Max PM"),
    ]
    assert [(f.stage, f.status) for f in r.not_aligned[:2]] == [(PLANNED, "Ready"), (PLANNED, "Discovery")]


def test_initiatives_largest_first_open_ones_without_work_listed_no_initiative_last():
    r = report()
    rows = [
        (i.id, i.title, i.effort.total, i.effort.features, i.aligned.total, i.aligned.features) for i in r.initiatives
    ]
    assert rows == [
        (1, "Checkout revamp", 14.0, 2, 14.0, 2),  # F1 8 + F2 6 (F7 is released: out of scope)
        (2, "Self-serve insights", 3.0, 2, 0.0, 1),  # F4 3 (other period) + F5 unestimated (aligned)
        (3, "Idle bet", 0.0, 0, 0.0, 0),  # proposed, starts in March: in play, no work
        (None, "No initiative", 19.0, 5, 5.0, 2),  # F3 5, F6 4, F8 2, F9 1, F10 7; aligned F6 + F9
    ]  # "Finished bet" is done and "Later bet" is in Q2: not listed without work


def test_per_product_and_per_pm():
    r = report()
    products = [
        (g.name, g.total.total, g.total.features, g.aligned.total, g.no_objective.total, g.other_objectives.total)
        for g in r.products
    ]
    assert products == [("Checkout", 27.0, 5, 15.0, 5.0, 7.0), ("Insights", 9.0, 4, 4.0, 0.0, 5.0)]
    owners = [
        (g.id, g.name, g.total.total, g.total.features, g.total.unestimated, g.aligned.total, g.aligned.features,
         g.other_objectives.total)
        for g in r.owners
    ]  # fmt: skip
    assert owners == [
        (PM, "Pat PM", 27.0, 5, 0, 15.0, 3, 7.0),
        (PM2, "Max PM", 5.0, 3, 1, 0.0, 1, 5.0),
        (None, "No owner", 4.0, 1, 0, 4.0, 1, 0.0),
    ]
    assert round(r.products[0].aligned_share, 4) == round(15 / 27, 4)


def test_product_filter_keeps_that_products_work_and_objectives():
    r = report(product_id=P2)
    assert r.total.as_dict() == {"planned": 2, "in_progress": 7, "total": 9, "features": 4, "unestimated": 1}
    assert r.aligned.as_dict() == {"planned": 0, "in_progress": 4, "total": 4, "features": 2, "unestimated": 1}
    rows = [(o.id, o.depth, o.direct.total, o.rolled_up.total, o.rolled_up.features) for o in r.objectives]
    # F6 splits 2 + 2 between O1 and O4; F5 (unestimated) serves O3. O8 is P2's own objective.
    assert rows == [
        (1, 0, 2.0, 4.0, 2),
        (2, 1, 0.0, 2.0, 1),
        (4, 2, 2.0, 2.0, 1),
        (3, 1, 0.0, 0.0, 1),
        (8, 2, 0.0, 0.0, 0),
    ]
    assert [o.id for o in r.objectives_without_work] == [8]
    assert [i.id for i in r.initiatives] == [2, 3, None]  # Idle bet is about P2; Checkout revamp is not
    assert [g.name for g in r.products] == ["Insights"]

    p1 = report(product_id=P1)
    assert [o.id for o in p1.objectives] == [1, 2, 4, 3]  # O3 is reached through F2 and F9
    assert p1.objectives_without_work == []
    assert [i.id for i in p1.initiatives] == [1, None]


def test_no_work_at_all_is_empty_but_still_lists_the_objectives():
    r = compute(period=Q1, features=[], objectives=OBJECTIVES, products=PRODUCTS, people=PEOPLE)
    assert r.is_empty is True
    assert r.total.as_dict() == {"planned": 0, "in_progress": 0, "total": 0, "features": 0, "unestimated": 0}
    assert r.aligned_share == 0.0
    assert [o.id for o in r.objectives_without_work] == [1, 2, 4, 3, 8, 7]
    assert [o.share for o in r.objectives] == [0.0] * 6
    assert r.initiatives == []


def test_a_parent_outside_the_period_is_walked_through_in_the_roll_up():
    objectives = [
        ObjectiveRow(1, "Year goal", None, None, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "on_track"),
        ObjectiveRow(2, "Q2 goal", 1, None, *Q2_SPAN, "on_track"),
        ObjectiveRow(3, "Q1 child of a Q2 goal", 2, None, *Q1_SPAN, "on_track"),
    ]
    features = [FeatureRow(1, "Work", P1, None, PLANNED, "Ready", 4.0, None, (3,))]
    r = compute(period=Q1, features=features, objectives=objectives, products=PRODUCTS, people={})
    assert [(o.id, o.depth, o.direct.total, o.rolled_up.total) for o in r.objectives] == [
        (1, 0, 0.0, 4.0),
        (3, 0, 4.0, 4.0),  # its parent is not shown, so it is a root here
    ]


def test_a_feature_listing_the_same_objective_twice_counts_once():
    objectives = [ObjectiveRow(1, "Goal", None, None, *Q1_SPAN, "on_track")]
    features = [FeatureRow(1, "Work", P1, None, IN_PROGRESS, "Doing", 3.0, None, (1, 1))]
    r = compute(period=Q1, features=features, objectives=objectives, products=PRODUCTS, people={})
    assert (r.objectives[0].direct.in_progress, r.objectives[0].direct.features) == (3.0, 1)


def test_three_way_split_rounds_only_when_shown():
    objectives = [ObjectiveRow(i, f"Goal {i}", None, None, *Q1_SPAN, "on_track", position=i) for i in (1, 2, 3)]
    features = [FeatureRow(1, "Work", P1, None, PLANNED, "Ready", 10.0, None, (1, 2, 3))]
    r = compute(period=Q1, features=features, objectives=objectives, products=PRODUCTS, people={})
    assert [o.direct.as_dict()["planned"] for o in r.objectives] == [3.33, 3.33, 3.33]
    assert sum(o.direct.planned for o in r.objectives) == pytest.approx(10.0)


# --- periods --------------------------------------------------------------------------------

TODAY = dt.date(2026, 5, 17)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-Q1", ("2026-Q1", "Q1 2026", dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
        ("2024-q4", ("2024-Q4", "Q4 2024", dt.date(2024, 10, 1), dt.date(2024, 12, 31))),
        ("2026-H2", ("2026-H2", "H2 2026", dt.date(2026, 7, 1), dt.date(2026, 12, 31))),
        ("2025", ("2025", "2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
        ("", ("2026-Q2", "Q2 2026", dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
        (None, ("2026-Q2", "Q2 2026", dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
    ],
)
def test_period_parse(value, expected):
    p = period_parse(value, today=TODAY)
    assert (p.value, p.label, p.starts_on, p.ends_on) == expected


@pytest.mark.parametrize(
    ("value", "starts_on", "ends_on", "expected"),
    [
        (
            "2026-Q1",
            dt.date(2026, 2, 3),
            dt.date(2026, 2, 28),
            ("3 Feb 2026 – 28 Feb 2026", (2026, 2, 3), (2026, 2, 28)),
        ),
        # Backwards is read forwards; a missing end comes from the named period (or the current quarter).
        ("", dt.date(2026, 2, 28), dt.date(2026, 2, 3), ("3 Feb 2026 – 28 Feb 2026", (2026, 2, 3), (2026, 2, 28))),
        ("2026-Q1", dt.date(2026, 2, 3), None, ("3 Feb 2026 – 31 Mar 2026", (2026, 2, 3), (2026, 3, 31))),
        ("", None, dt.date(2026, 8, 1), ("1 Apr 2026 – 1 Aug 2026", (2026, 4, 1), (2026, 8, 1))),
    ],
)
def test_period_parse_custom_dates(value, starts_on, ends_on, expected):
    p = period_parse(value, starts_on=starts_on, ends_on=ends_on, today=TODAY)
    assert (p.value, p.label, p.starts_on, p.ends_on) == (
        "custom", expected[0], dt.date(*expected[1]), dt.date(*expected[2]),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-Q5", "Use a quarter (2026-Q1), a half (2026-H2) or a year (2026)."),
        ("2026-H3", "Use a quarter (2026-Q1), a half (2026-H2) or a year (2026)."),
        ("Q1", "Use a quarter (2026-Q1), a half (2026-H2) or a year (2026)."),
        ("0001", "The year must be between 1900 and 2999."),
    ],
)
def test_period_parse_errors_name_the_field(value, message):
    with pytest.raises(ValidationFailed) as exc:
        period_parse(value, today=TODAY)
    assert exc.value.fields == {"period": [message]}
    assert exc.value.message == f"period: {message}"


def test_period_choices_offer_the_quarters_objectives_touch_and_their_years():
    spans = [Q1_SPAN, (dt.date(2025, 11, 15), dt.date(2026, 2, 1))]
    assert [p.value for p in period_choices(spans, today=TODAY)] == [
        "2026", "2026-Q2", "2026-Q1", "2025", "2025-Q4",
    ]  # fmt: skip


def test_overlap_is_inclusive_and_open_ends_reach_forever():
    assert Q1.overlaps(dt.date(2026, 3, 31), dt.date(2026, 5, 1)) is True
    assert Q1.overlaps(dt.date(2026, 4, 1), None) is False
    assert Q1.overlaps(None, dt.date(2026, 1, 1)) is True
    assert Q1.overlaps(None, None) is True

"""Say no, with reasons: objectives served or not, rank, place in the current plan, what it displaces."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from headway.backlog.models import FeatureObjective
from headway.core.errors import NotFound, ValidationFailed
from headway.ideas.models import Idea
from headway.ideas.tests import factories as ideas
from headway.prioritization.selectors.say_no import say_no
from headway.prioritization.services import plans as services
from headway.prioritization.tests.plans_data import world
from headway.strategy.tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(workspace, leader):
    w = world(workspace, leader)
    today = timezone.localdate()
    current = {"starts_on": today - dt.timedelta(days=30), "ends_on": today + dt.timedelta(days=30)}
    grow = ObjectiveFactory(workspace=workspace, parent=None, title="Grow self-serve revenue", weight=3, **current)
    keep = ObjectiveFactory(workspace=workspace, parent=None, title="Keep churn low", weight=1, **current)
    old = ObjectiveFactory(
        workspace=workspace, parent=None, title="Launch in Spain", weight=2,
        starts_on=today - dt.timedelta(days=400), ends_on=today - dt.timedelta(days=300),
    )  # fmt: skip
    for ref, objective in [("PAY-4", grow), ("PAY-1", old), ("CORE-2", grow), ("CORE-2", keep)]:
        FeatureObjective.objects.create(workspace=workspace, feature=w.f(ref), objective=objective)
    w.objectives = {"grow": grow, "keep": keep, "old": old}
    return w


@pytest.fixture
def solved(w, leader):
    return services.plan_solve(actor=leader, plan=w.plan())


def test_below_the_line_over_capacity(w, workspace, viewer, solved):
    answer = say_no(user=viewer, workspace=workspace, feature=w.f("PAY-4"))
    assert answer["subject"] == "PAY-4 Multi-currency"
    assert answer["sentences"] == [
        "It serves 'Grow self-serve revenue' (weight 3).",
        "It ranks #4 of 5 under RICE (score 120).",
        "In plan '2027-Q1 plan' it is below the line: over capacity on Payments by 2 person-weeks.",
        "Taking it would displace PAY-3 (value 250) for value 120: a net loss of 130.",
    ]
    grow, keep = w.objectives["grow"], w.objectives["keep"]
    assert answer["objectives_served"] == [
        {"id": grow.pk, "title": "Grow self-serve revenue", "weight": 3, "current": True}
    ]
    assert answer["objectives_not_served"] == [{"id": keep.pk, "title": "Keep churn low", "weight": 1, "current": True}]
    assert answer["rank"] == {
        "model_id": w.model.pk, "model": "RICE", "position": 4, "total": 5, "score": 120.0, "label": ""
    }  # fmt: skip
    displaces = answer["displaces"]
    assert (displaces["plan_id"], displaces["feasible"], displaces["net_value"]) == (solved.pk, True, -130.0)
    assert [(d["ref"], d["value"]) for d in displaces["dropped"]] == [("PAY-3", 250.0)]
    assert [d["ref"] for d in displaces["added"]] == ["PAY-4"]
    assert (displaces["value_lost"], displaces["value_gained"]) == (250.0, 120.0)


def test_below_the_line_for_a_dependency(w, workspace, viewer, solved):
    answer = say_no(user=viewer, workspace=workspace, feature=w.f("PAY-5"))
    assert answer["sentences"] == [
        "PAY-5 serves no objective of the current period.",
        "It ranks #5 of 5 under RICE (score 100).",
        "In plan '2027-Q1 plan' it is below the line: it depends on CORE-1, which is not in the plan.",
        "Taking it (with CORE-1) would displace CORE-4 (value 270) for value 150: a net loss of 120.",
    ]


def test_several_objectives_and_several_displaced(w, workspace, viewer, solved):
    answer = say_no(user=viewer, workspace=workspace, feature=w.f("CORE-2"))
    assert answer["sentences"] == [
        "It serves 'Grow self-serve revenue' (weight 3) and 'Keep churn low' (weight 1).",
        "It ranks #2 of 5 under RICE (score 350).",
        "In plan '2027-Q1 plan' it is below the line: over capacity on Core platform by 5 person-weeks.",
        "Taking it would displace CORE-3, CORE-4 (value 546) for value 350: a net loss of 196.",
    ]
    assert answer["objectives_not_served"] == []


def test_planned_feature_and_past_objectives(w, workspace, viewer, solved):
    answer = say_no(user=viewer, workspace=workspace, feature=w.f("PAY-1"))
    assert answer["sentences"] == [
        "PAY-1 serves no objective of the current period.",
        "It ranks #1 of 5 under RICE (score 400).",
        "In plan '2027-Q1 plan' it is planned (6 person-weeks on Payments).",
    ]
    old = w.objectives["old"]
    assert answer["objectives_served"] == [{"id": old.pk, "title": "Launch in Spain", "weight": 2, "current": False}]
    assert answer["displaces"] is None


def test_not_estimated_and_no_plan(w, workspace, viewer, leader, solved):
    answer = say_no(user=viewer, workspace=workspace, feature=w.f("CORE-5"))
    assert answer["sentences"][-1] == "In plan '2027-Q1 plan' it is not a candidate: not estimated."
    services.plan_delete(actor=leader, plan=solved)
    answer = say_no(user=viewer, workspace=workspace, feature=w.f("PAY-4"))
    assert answer["sentences"][-1] == "It is not a candidate in any current plan."
    assert answer["displaces"] is None


def test_draft_infeasible_and_past_plans_are_not_current(w, workspace, leader):
    services.plan_solve(actor=leader, plan=w.plan(must_have_ids=w.ids("CORE-2", "CORE-3", "CORE-4")))  # infeasible
    w.plan(name="Draft")  # never solved
    services.plan_solve(actor=leader, plan=w.plan(period="2020-Q1", name="Old"))
    answer = say_no(user=leader, workspace=workspace, feature=w.f("PAY-4"))
    assert answer["sentences"][-1] == "It is not a candidate in any current plan."


def test_an_idea_linked_and_not_linked(w, workspace, leader, viewer, solved):
    portal = ideas.portal(leader, workspace)
    linked = ideas.idea(leader, portal, "Pay in euros and dollars")
    Idea.objects.filter(pk=linked.pk).update(feature=w.f("PAY-4"))
    linked.refresh_from_db()
    answer = say_no(user=viewer, workspace=workspace, idea=linked)
    assert answer["subject"] == "Pay in euros and dollars"
    assert answer["sentences"][:2] == [
        "'Pay in euros and dollars' is linked to PAY-4.",
        "It serves 'Grow self-serve revenue' (weight 3).",
    ]
    assert answer["displaces"]["net_value"] == -130.0
    loose = ideas.idea(leader, portal, "Dark theme for invoices")
    Idea.objects.filter(pk=loose.pk).update(product=w.f("CORE-2").product)
    loose.refresh_from_db()
    answer = say_no(user=viewer, workspace=workspace, idea=loose)
    assert answer["sentences"] == [
        "'Dark theme for invoices' is not linked to any feature yet.",
        "Its product Product CORE serves 'Grow self-serve revenue' (weight 3) and 'Keep churn low' (weight 1).",
    ]
    assert (answer["rank"], answer["displaces"]) == (None, None)
    productless = ideas.idea(leader, portal, "Something")
    answer = say_no(user=viewer, workspace=workspace, idea=productless)
    assert answer["sentences"][1] == "It names no product, so it serves no objective yet."


def test_access(w, workspace, outsider, viewer):
    with pytest.raises(NotFound):
        say_no(user=outsider, workspace=workspace, feature=w.f("PAY-4"))
    with pytest.raises(ValidationFailed):
        say_no(user=viewer, workspace=workspace)


def test_when_it_cannot_be_taken_at_all(w, workspace, leader, solved):
    services.plan_update(actor=leader, plan=solved, capacities={w.payments.pk: 5})
    plan = services.plan_solve(actor=leader, plan=solved)
    answer = say_no(user=leader, workspace=workspace, feature=w.f("PAY-1"))  # 6 on a team of 5
    assert answer["sentences"][2:] == [
        f"In plan '{plan.name}' it is below the line: over capacity on Payments by 5 person-weeks.",
        "Taking it is not possible in this plan: It and the plan's must-haves need 6 from Payments, which has 5: "
        "1 short.",
    ]
    assert answer["displaces"]["feasible"] is False

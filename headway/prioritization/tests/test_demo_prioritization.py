"""The demo's prioritization (headway/ops/demo_prioritization.py): models, scores, pins, teams, the plan."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from headway.accounts.models import User
from headway.core.models import AuditEvent
from headway.ops.demo import demo_create
from headway.ops.demo_prioritization import next_quarter
from headway.prioritization.models import (
    CapacityPlan,
    FeatureScore,
    FeatureScoreChange,
    PlanItem,
    PlanScenario,
    PlanTeam,
    RankOverride,
    ScoringModel,
    Team,
    TeamAllocation,
    TeamMember,
    TimeOff,
)
from headway.prioritization.selectors.ranking import default_model, ranked_features

pytestmark = pytest.mark.django_db


def test_next_quarter_follows_the_calendar():
    assert next_quarter(dt.date(2026, 11, 22)) == "2027-Q1"
    assert next_quarter(dt.date(2027, 1, 1)) == "2027-Q2"
    assert next_quarter(dt.date(2027, 9, 30)) == "2027-Q4"


def test_the_demo_scores_ranks_and_plans_the_next_quarter():
    ws = demo_create().workspace
    leader = User.objects.get(email="leader@demo.headway.local")

    # Four models made by the VP of Product; RICE is the default.
    assert list(ScoringModel.objects.filter(workspace=ws).values_list("name", "framework", "is_default")) == [
        ("Demand-weighted impact", "custom", False),
        ("RICE", "rice", True),
        ("Strategic fit", "weighted", False),
        ("WSJF", "wsjf", False),
    ]
    assert set(ScoringModel.objects.filter(workspace=ws).values_list("created_by__email", flat=True)) == {
        "leader@demo.headway.local"
    }
    scores = FeatureScore.objects.filter(workspace=ws)
    assert Counter(scores.values_list("scoring_model__name", flat=True)) == {
        "RICE": 106,
        "Demand-weighted impact": 106,
        "WSJF": 51,
        "Strategic fit": 37,
    }
    # Stored values: only the formula reading signals leaves some empty (features not estimated).
    assert Counter(scores.filter(value__isnull=True).values_list("scoring_model__name", flat=True)) == {
        "Demand-weighted impact": 31
    }
    # Each product owner scored their products; four edits came later (two by the VP).
    assert Counter(FeatureScoreChange.objects.filter(workspace=ws).values_list("actor__email", flat=True)) == {
        "pm2@demo.headway.local": 153,
        "pm@demo.headway.local": 149,
        "leader@demo.headway.local": 2,
    }
    klarna = FeatureScoreChange.objects.filter(
        workspace=ws, feature__title="Klarna pay-in-three", scoring_model__name="RICE"
    ).order_by("changed_at", "id")
    # 2,500 × 2 × 50% ÷ 3; confidence up to 80% after interviews; then effort down to 2 person-months.
    assert [(round(c.value, 2), c.previous_value and round(c.previous_value, 2), c.actor.email) for c in klarna] == [
        (833.33, None, "pm@demo.headway.local"),
        (1333.33, 833.33, "pm@demo.headway.local"),
        (2000.0, 1333.33, "leader@demo.headway.local"),
    ]
    assert list(
        RankOverride.objects.filter(workspace=ws).order_by("position").values_list("feature__title", "position")
    ) == [("Revenue recognition report (ASC 606)", 2), ("SAML 2.0 single sign-on", 4)]

    # The default model ranks wallets above the fold first; the pins hold their places.
    model = default_model(user=leader, workspace=ws)
    assert model is not None and model.name == "RICE"
    ranking = ranked_features(user=leader, workspace=ws, model=model, per_page=5)
    assert (ranking.total, ranking.unscored) == (116, 10)
    assert [(i.position, i.feature.ref, i.score, i.pinned is not None) for i in ranking.items] == [
        (1, "CHK-4", 9600.0, False),
        (2, "BIL-5", 120.0, True),
        (3, "CHK-7", 6400.0, False),
        (4, "IDN-1", 450.0, True),
        (5, "INS-3", 2496.0, False),
    ]
    assert ranking.items[0].feature.title == "One-page checkout: express wallet buttons above the fold"

    # Three teams, people (the engineering manager is the demo's contributor), time off, allocations.
    assert list(Team.objects.filter(workspace=ws).values_list("name", flat=True)) == [
        "Analytics",
        "Payments",
        "Platform",
    ]
    members = TeamMember.objects.filter(workspace=ws)
    assert members.count() == 12
    assert Counter(members.values_list("team__name", flat=True)) == {"Analytics": 4, "Payments": 4, "Platform": 4}
    sam = members.get(user__email="contributor@demo.headway.local")
    assert (sam.name, sam.team.name, sam.weekly_capacity) == ("Sam Okafor", "Platform", Decimal("0.50"))
    assert sum(members.values_list("weekly_capacity", flat=True), Decimal(0)) == Decimal("19.00")
    assert TimeOff.objects.filter(workspace=ws).count() == 5
    allocations = TeamAllocation.objects.filter(workspace=ws)
    assert sorted(allocations.values_list("team__name", "product__key", "percent")) == [
        ("Analytics", "FCST", 25),
        ("Analytics", "INS", 60),
        ("Analytics", "RPT", 15),
        ("Payments", "BIL", 30),
        ("Payments", "CHK", 50),
        ("Payments", "FRD", 20),
        ("Platform", "API", 60),
        ("Platform", "IDN", 40),
    ]

    # The next quarter's plan, solved, with its what-if.
    plan = CapacityPlan.objects.get(workspace=ws)
    label = next_quarter(timezone.localdate())
    assert (plan.name, plan.period_label, plan.state, plan.scoring_model_id) == (
        f"{label} delivery plan",
        label,
        "solved",
        model.pk,
    )
    items = PlanItem.objects.filter(plan=plan)
    assert items.count() == 82
    assert Counter(items.values_list("team__name", flat=True)) == {"Payments": 32, "Analytics": 27, "Platform": 23}
    chosen = items.filter(chosen=True)
    assert 0 < chosen.count() < 82
    for plan_team in PlanTeam.objects.filter(plan=plan):
        used = sum(chosen.filter(team=plan_team.team).values_list("effort", flat=True), Decimal(0))
        assert used <= plan_team.capacity
    scenario = PlanScenario.objects.get(plan=plan)
    assert scenario.name == "One more contractor in Payments"
    assert scenario.result["value_delta"] >= 0

    actions = Counter(AuditEvent.objects.filter(workspace=ws).values_list("action", flat=True))
    assert {k: v for k, v in actions.items() if k.split(".")[0] in PRIORITIZATION_AUDIT} == {
        "scoring_model.create": 4,
        "feature_score.set": 304,
        "rank_override.set": 2,
        "team.create": 3,
        "team_member.add": 12,
        "time_off.add": 5,
        "team_allocation.create": 8,
        "plan.create": 1,
        "plan.solve": 1,
        "plan.scenario_add": 1,
    }


PRIORITIZATION_AUDIT = {
    "scoring_model",
    "feature_score",
    "rank_override",
    "team",
    "team_member",
    "time_off",
    "team_allocation",
    "plan",
}

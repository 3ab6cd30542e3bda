"""The demo's prioritization: scoring models with scores, pins, teams with their capacity, and a plan.

Four scoring models, made by the VP of Product: **RICE** (the workspace's default) with inputs for
most open features, **WSJF** for the Payments and Platform work that is past triage, a weighted
**Strategic fit** scorecard for Analytics, and a **custom formula** that weighs customer demand
(votes and evidence, from the ideas and insights already built) by impact over effort. The product
owners fill the scores in (each feature's product owner: the audit trail and score history are
theirs), a few are revised afterwards (the history has edits), and two features are pinned in the
RICE ranking with the reason. Three delivery teams (Payments, Analytics, Platform) have members —
the demo's engineering manager and named engineers and contractors — time off in the next quarter
and allocations to the products; the next quarter has one solved capacity plan with a what-if
scenario (one more contractor for Payments).

Everything goes through the services. Random choices come from a generator seeded here, so every
run builds the same scores; the plan's period is the quarter after today's.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from headway.accounts.models import User
from headway.ops import Progress
from headway.workspaces.models import Workspace

SEED = 6_2026

OPEN_STATUSES = ("In progress", "Ready", "Discovery", "New")
PAYMENTS, ANALYTICS, PLATFORM = ("CHK", "BIL", "FRD"), ("INS", "RPT", "FCST"), ("API", "IDN")

# Reach per quarter of a typical feature, by product (people or merchants touched).
REACH = {"CHK": 1500, "BIL": 700, "FRD": 400, "INS": 900, "RPT": 150, "FCST": 120, "API": 600, "IDN": 350}

# RICE inputs typed by hand where the demo tells a story: (reach, impact, confidence %, effort person-months).
RICE_ANCHORS: dict[str, tuple[int, float, int, float]] = {
    # The top of the default ranking: wallets above the fold, what mobile shoppers ask for everywhere.
    "One-page checkout: express wallet buttons above the fold": (6000, 3, 80, 1.5),
    "Retry a declined card without re-entering details": (4000, 2, 80, 1),
    "Proration preview before plan changes": (1200, 2, 80, 1),
    "SAML 2.0 single sign-on": (450, 3, 100, 3),
    "Klarna pay-in-three": (2500, 2, 50, 3),
    "Revenue recognition report (ASC 606)": (300, 2, 80, 4),
    "Natural-language questions over dashboards": (900, 2, 80, 5),
    "Explain why a payment was declined": (1800, 1, 80, 1),
}
# Later edits (the score history): (title, author key, inputs changed).
RICE_EDITS = [
    ("Klarna pay-in-three", "pm", {"confidence": 80}),  # discovery interviews confirmed the demand
    ("Natural-language questions over dashboards", "pm2", {"confidence": 50}),  # the prototype disappointed
    ("Proration preview before plan changes", "leader", {"reach": 1500}),
    ("Klarna pay-in-three", "leader", {"effort": 2}),  # the provider's SDK does half the work
]
# Pinned in the RICE ranking: (title, position, reason).
PINS = [
    ("Revenue recognition report (ASC 606)", 2, "Committed to Brightwater Health's auditors for the year-end close"),
    ("SAML 2.0 single sign-on", 4, "Blocks three strategic deals in the enterprise pipeline"),
]

WSJF_STATUSES = ("In progress", "Ready", "Discovery")
FIBONACCI = (1, 2, 3, 5, 8, 13, 20)

SCORECARD = [
    {"key": "strategic_fit", "label": "Strategic fit", "weight": 3,
     "scale": {"kind": "range", "minimum": 1, "maximum": 5, "step": 1}, "direction": "benefit"},
    {"key": "customer_value", "label": "Customer value", "weight": 2,
     "scale": {"kind": "range", "minimum": 1, "maximum": 5, "step": 1}, "direction": "benefit"},
    {"key": "revenue", "label": "Revenue potential (k$ ARR)", "weight": 2,
     "scale": {"kind": "custom", "values": [0, 25, 50, 100, 250]}, "direction": "benefit"},
    {"key": "complexity", "label": "Complexity", "weight": 1, "scale": {"kind": "fibonacci"}, "direction": "cost"},
]  # fmt: skip
CUSTOM_FORMULA = "demand * impact / max(effort, 1)"

# (team, description, [(member: a demo user key or a name, story points per week, joins in week, leaves
#  after week)],
#  {product key: percent}, [(member, first day offset, days, note)])
Member = tuple[str, float, int | None, int | None]
TEAMS: list[tuple[str, str, list[Member], dict[str, int], list[tuple[str, int, int, str]]]] = [
    (
        "Payments",
        "Checkout, billing and fraud: the money-moving squad.",
        [("Lena Fischer", 2, None, None), ("Tomás Garcia", 2, None, None), ("Aisha Patel", 1.5, None, None),
         ("Kenji Ito (contractor)", 1.5, None, 8)],
        {"CHK": 50, "BIL": 30, "FRD": 20},
        [("Lena Fischer", 14, 10, "Winter holiday"), ("Aisha Patel", 40, 3, "PCI DSS training")],
    ),
    (
        "Analytics",
        "Dashboards, reports and forecasts.",
        [("Mei Tanaka", 2, None, None), ("Jonas Larsen", 1.5, None, None), ("Zara Usman", 1.5, 3, None),
         ("Ravi Nguyen (contractor)", 1.5, None, 6)],
        {"INS": 60, "FCST": 25, "RPT": 15},
        [("Jonas Larsen", 30, 3, "Data Council conference")],
    ),
    (
        "Platform",
        "The public API, identity and the shared foundation.",
        [("contributor", 0.5, None, None), ("Ingrid Walsh", 2, None, None), ("Owen Brooks", 1.5, None, None),
         ("Elena Moreau", 1.5, None, None)],
        {"API": 60, "IDN": 40},
        [("Ingrid Walsh", 21, 5, "Parental leave, first week"), ("Owen Brooks", 55, 2, "Moving house")],
    ),
]  # fmt: skip
SCENARIO_CAPACITY = 20  # one more contractor in Payments for the quarter (1.5 points a week)


def next_quarter(today: dt.date) -> str:
    quarter = (today.month - 1) // 3 + 1
    year, quarter = (today.year + 1, 1) if quarter == 4 else (today.year, quarter + 1)
    return f"{year}-Q{quarter}"


def _rice_inputs(rng: random.Random, feature: Any) -> dict[str, Any] | None:
    """A feature's RICE inputs as its product owner would type them; None for some untriaged ideas."""
    if feature.title in RICE_ANCHORS:
        reach, impact, confidence, effort = RICE_ANCHORS[feature.title]
        return {"reach": reach, "impact": impact, "confidence": f"{confidence}%", "effort": effort}
    status = feature.status.name
    if status == "New" and rng.random() < 0.35:
        return None
    reach = int(round(REACH[feature.product.key] * rng.uniform(0.2, 1.2), -1)) or 10
    impact = rng.choice([2, 1, 1, 0.5, 0.5, 0.25] if status == "New" else [2, 1, 1, 0.5])
    confidence = rng.choice([50, 50, 80] if status in ("New", "Discovery") else [80, 80, 100])
    points = float(feature.effort) if feature.effort is not None else float(rng.choice([3, 5, 8]))
    effort = max(0.5, round(points / 4 * 2) / 2)  # points → person-months, to the half month
    return {"reach": reach, "impact": impact, "confidence": f"{confidence}%", "effort": effort}


def build_prioritization(
    *,
    workspace: Workspace,
    users: dict[str, User],
    products: dict[str, Any],
    progress: Progress,
) -> None:
    from headway.backlog.models import Feature
    from headway.prioritization.models import ScoringModel
    from headway.prioritization.services import capacity
    from headway.prioritization.services import scoring as services

    rng = random.Random(SEED)
    leader = users["leader"]
    features = list(
        Feature.objects.filter(workspace=workspace, status__name__in=OPEN_STATUSES, archived_at__isnull=True)
        .select_related("product", "product__owner", "status")
        .order_by("product__key", "number")
    )
    by_title = {f.title: f for f in features}

    rice = services.scoring_model_create(
        actor=leader, workspace=workspace, name="RICE", framework="rice", is_default=True,
        description="Reach (merchants or shoppers a quarter) × impact × confidence ÷ effort (person-months). "
        "Our default for every product.",
    )  # fmt: skip
    wsjf = services.scoring_model_create(
        actor=leader, workspace=workspace, name="WSJF", framework="wsjf",
        description="Cost of delay ÷ job size, for the Payments and Platform work that is past triage.",
    )  # fmt: skip
    scorecard = services.scoring_model_create(
        actor=leader, workspace=workspace, name="Strategic fit", framework="weighted",
        config={"criteria": SCORECARD},
        description="The Analytics leadership scorecard: strategy first, then customers and revenue; complexity "
        "counts against.",
    )  # fmt: skip
    demand = services.scoring_model_create(
        actor=leader, workspace=workspace, name="Demand-weighted impact", framework="custom",
        config={"formula": CUSTOM_FORMULA, "inputs": ["impact"]},
        description="What customers ask for (votes and evidence, weighted by ARR) × impact (1–3) ÷ effort (points).",
    )  # fmt: skip

    for feature in progress(features, "scores", len(features)):
        owner = feature.product.owner or leader
        rice_inputs = _rice_inputs(rng, feature)
        if rice_inputs is not None:
            services.feature_score_set(actor=owner, model=rice, feature=feature, inputs=rice_inputs)
            services.feature_score_set(
                actor=owner, model=demand, feature=feature,
                inputs={"impact": {3: 3, 2: 3, 1: 2}.get(rice_inputs["impact"], 1)},
            )  # fmt: skip
        key = feature.product.key
        if key in PAYMENTS + PLATFORM and feature.status.name in WSJF_STATUSES:
            services.feature_score_set(
                actor=owner, model=wsjf, feature=feature,
                inputs={
                    "business_value": rng.choice(FIBONACCI[1:6]), "time_criticality": rng.choice(FIBONACCI[:5]),
                    "risk_reduction": rng.choice(FIBONACCI[:4]), "job_size": rng.choice(FIBONACCI[1:6]),
                },
            )  # fmt: skip
        if key in ANALYTICS:
            services.feature_score_set(
                actor=owner, model=scorecard, feature=feature,
                inputs={
                    "strategic_fit": rng.randint(1, 5), "customer_value": rng.randint(2, 5),
                    "revenue": rng.choice([0, 25, 25, 50, 100, 250]), "complexity": rng.choice(FIBONACCI[:6]),
                },
            )  # fmt: skip

    for title, author, inputs in RICE_EDITS:
        services.feature_score_set(actor=users[author], model=rice, feature=by_title[title], inputs=inputs)
    for title, position, reason in PINS:
        services.rank_override_set(actor=leader, model=rice, feature=by_title[title], position=position, reason=reason)

    # Teams for the next quarter, with time off and allocations.
    label = next_quarter(timezone.localdate())
    from headway.prioritization.periods import parse_period

    _, starts_on, _ = parse_period(label)
    teams = []
    for name, description, members, allocations, time_off in progress(TEAMS, "teams", len(TEAMS)):
        team = capacity.team_create(actor=leader, workspace=workspace, name=name, description=description)
        teams.append(team)
        made = {}
        for who, weekly, joins, leaves in members:
            user = users.get(who)
            made[who] = capacity.team_member_add(
                actor=leader,
                team=team,
                user=user,
                name=user.full_name if user else who,
                weekly_capacity=weekly,
                starts_on=starts_on + dt.timedelta(weeks=joins) if joins else None,
                ends_on=starts_on + dt.timedelta(weeks=leaves) - dt.timedelta(days=1) if leaves else None,
            )
        for key, percent in allocations.items():
            capacity.team_allocation_set(actor=leader, team=team, product=products[key], percent=percent)
        for who, offset, days, note in time_off:
            first = starts_on + dt.timedelta(days=offset)
            capacity.time_off_add(
                actor=leader, member=made[who], starts_on=first, ends_on=first + dt.timedelta(days=days - 1), note=note
            )

    _plan(workspace=workspace, leader=leader, teams=teams, model=rice, label=label)
    assert ScoringModel.objects.filter(workspace=workspace).count() == 4


def _plan(*, workspace: Workspace, leader: User, teams: list[Any], model: Any, label: str) -> None:
    """The next quarter's plan, solved, with a what-if: one more contractor in Payments."""
    from headway.prioritization.services import plans

    plan = plans.plan_create(
        actor=leader,
        workspace=workspace,
        name=f"{label} delivery plan",
        period=label,
        team_ids=[team.pk for team in teams],
        goal="score",
        scoring_model=model,
    )
    plan = plans.plan_solve(actor=leader, plan=plan)
    payments = next(team for team in teams if team.name == "Payments")
    plans.plan_scenario_add(
        actor=leader,
        plan=plan,
        name="One more contractor in Payments",
        changes=[{"kind": "add_capacity", "team": payments.pk, "amount": SCENARIO_CAPACITY}],
    )

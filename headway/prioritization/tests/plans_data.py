"""A small planning world for the plan tests (services, API, say-no, CLI): two teams, two products,
nine estimated features and one that is not, scored under a RICE model (reach × 1 × 100% / 1, so
each score is its reach).

Capacities (set on the plan, 2027-Q1): Payments 16, Core platform 8 person-weeks.

    PAY-1 400/6  PAY-2 300/4  PAY-3 250/3  PAY-4 120/5  PAY-5 100/2 (needs CORE-1)
    CORE-1 50/3  CORE-2 350/5  CORE-3 276/4  CORE-4 270/4  CORE-5 500/— (not estimated)

The best plan: PAY-1, PAY-2, PAY-3, CORE-3, CORE-4 = 1496 (Payments 13 of 16, Core 8 of 8). The
greedy fill by value takes CORE-2 first and reaches 1450, so the plan gains 46. With 4 more on
Core platform: PAY-5, CORE-1, CORE-2 come in, CORE-4 goes: 1726 (+230).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from headway.backlog.models import Feature
from headway.backlog.services.details import dependency_add
from headway.backlog.services.workflow import backlog_settings_update
from headway.backlog.tests import factories as backlog
from headway.prioritization.models import ScoringModel, Team, TeamAllocation
from headway.prioritization.services import plans as services
from headway.prioritization.tests.factories import (
    FeatureScoreFactory,
    ScoringModelFactory,
    TeamFactory,
    TeamMemberFactory,
)

PAYMENTS = [("Apple Pay", 400, 6), ("Refunds API", 300, 4), ("Invoices", 250, 3), ("Multi-currency", 120, 5),
            ("Ledger export", 100, 2)]  # fmt: skip
CORE = [("Audit log", 50, 3), ("SSO", 350, 5), ("Rate limits", 276, 4), ("Webhooks v2", 270, 4),
        ("Dark mode", 500, None)]  # fmt: skip


@dataclass
class World:
    workspace: Any
    leader: Any
    model: ScoringModel
    payments: Team
    core: Team
    features: dict[str, Feature] = field(default_factory=dict)
    objectives: dict[str, Any] = field(default_factory=dict)

    def f(self, ref: str) -> Feature:
        return self.features[ref]

    def ids(self, *refs: str) -> list[int]:
        return [self.features[r].pk for r in refs]

    def plan(self, actor: Any = None, **kwargs: Any) -> Any:
        """A 2027-Q1 plan over both teams at capacities 16 and 8 (not solved)."""
        kwargs.setdefault("period", "2027-Q1")
        kwargs.setdefault("team_ids", [self.payments.pk, self.core.pk])
        kwargs.setdefault("scoring_model", self.model)
        plan = services.plan_create(actor=actor or self.leader, workspace=self.workspace, **kwargs)
        return services.plan_update(
            actor=actor or self.leader, plan=plan, capacities={self.payments.pk: 16, self.core.pk: 8}
        )


def world(workspace: Any, leader: Any) -> World:
    backlog_settings_update(actor=leader, workspace=workspace, effort_unit="person_weeks")
    model: Any = ScoringModelFactory(workspace=workspace, name="RICE", framework="rice", is_default=True)
    payments: Any = TeamFactory(workspace=workspace, name="Payments")
    core: Any = TeamFactory(workspace=workspace, name="Core platform")
    TeamMemberFactory(team=payments, name="Priya")  # 12.8 person-weeks in 2027-Q1
    TeamMemberFactory(team=core, name="Chen")
    TeamMemberFactory(team=core, name="Sam", weekly_capacity=Decimal("0.5"))  # 12.8 + 6.4 = 19.2
    pay = backlog.product(leader, workspace, key="PAY")
    core_product = backlog.product(leader, workspace, key="CORE")
    TeamAllocation.objects.create(workspace=workspace, team=payments, product=pay, percent=100)
    TeamAllocation.objects.create(workspace=workspace, team=core, product=core_product, percent=100)
    w = World(workspace, leader, model, payments, core)
    for product, rows in ((pay, PAYMENTS), (core_product, CORE)):
        for title, value, effort in rows:
            feature = backlog.feature(leader, product, title, effort=effort)
            w.features[feature.ref] = feature
            FeatureScoreFactory(
                feature=feature,
                scoring_model=model,
                inputs={"reach": value, "impact": 1, "confidence": 100, "effort": 1},
            )
    dependency_add(actor=leader, blocker=w.f("CORE-1"), blocked=w.f("PAY-5"))
    return w

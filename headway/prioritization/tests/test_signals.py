"""Built-in signals on a fixture small enough to count by hand: votes, demand with evidence, distinct
companies and their ARR, objectives and their priority, age and effort."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from headway.backlog.models import Feature, FeatureObjective
from headway.backlog.tests import factories as backlog
from headway.customers.tests.factories import CompanyFactory
from headway.ideas.selectors.features import features_demand
from headway.ideas.services import ideas as idea_services
from headway.ideas.services import votes
from headway.ideas.services.features import idea_link_feature
from headway.ideas.tests import factories as ideas
from headway.insights.selectors.evidence import evidence_demand
from headway.insights.services.highlights import highlight_create
from headway.insights.tests import factories as insights
from headway.prioritization.frameworks import SIGNALS
from headway.prioritization.selectors.signals import SignalTable, feature_signals
from headway.strategy.tests.factories import ObjectiveFactory

TEXT = "We need exports to CSV badly, every week, for the board pack."


@pytest.fixture
def world(workspace, other_workspace, leader, outsider):
    """Three features of PAY with ideas, votes, evidence and objectives (see the numbers in the tests).

    Demand weights are the defaults: importance nice 1, important 2, critical 4; company tier
    strategic 3, key 2, standard 1; no company 1.
    """
    product = backlog.product(leader, workspace, "PAY")
    f1 = backlog.feature(leader, product, "Exports", effort=3)
    f2 = backlog.feature(leader, product, "Reports")
    f3 = backlog.feature(leader, product, "Dark mode", effort=8)
    Feature.objects.filter(pk=f1.pk).update(created_at=timezone.now() - dt.timedelta(days=10, hours=2))
    Feature.objects.filter(pk=f3.pk).update(created_at=timezone.now() - dt.timedelta(days=400, minutes=5))
    acme = CompanyFactory(workspace=workspace, name="Acme", tier="strategic", arr=Decimal("500000"))
    beta = CompanyFactory(workspace=workspace, name="Beta", tier="key", arr=Decimal("120000"))
    gamma = CompanyFactory(workspace=workspace, name="Gamma", tier="standard", arr=Decimal("30000"))
    delta = CompanyFactory(workspace=workspace, name="Delta", tier="standard", arr=Decimal("10000"))

    portal = ideas.portal(leader, workspace)
    i1, i2, i3, i4 = (ideas.idea(leader, portal, title) for title in ("CSV", "Excel", "PDF", "Old"))
    for idea, feature in ((i1, f1), (i2, f1), (i3, f2), (i4, f1)):
        idea_link_feature(actor=leader, idea=idea, feature=feature)
    # The leader's own vote as submitter (no company) is on each idea already: 2 each.
    votes.vote_proxy(actor=leader, idea=i1, company=acme, importance="critical")  # 4 × 3 = 12
    votes.vote_proxy(actor=leader, idea=i1, company=beta, importance="important")  # 2 × 2 = 4
    votes.vote_proxy(actor=leader, idea=i2, company=acme, importance="nice_to_have")  # 1 × 3 = 3
    votes.vote_proxy(actor=leader, idea=i2, company=gamma, importance="important")  # 2 × 1 = 2
    votes.vote_proxy(actor=leader, idea=i3, company=beta, importance="important")  # 4
    votes.vote_proxy(actor=leader, idea=i4, company=delta, importance="critical")  # deleted below: not counted
    idea_services.idea_delete(actor=leader, idea=ideas.fresh(i4))

    n1 = insights.note(workspace, TEXT, company=acme)
    n2 = insights.note(workspace, TEXT, company=delta)
    n3 = insights.note(workspace, TEXT)
    highlight_create(actor=leader, note=n1, start=0, end=10, importance="important", feature=f1)  # 2 × 3 = 6
    highlight_create(actor=leader, note=n1, start=0, end=10, importance="critical", idea=i1)  # same passage: 12
    highlight_create(actor=leader, note=n2, start=5, end=20, importance="nice_to_have", feature=f2)  # 1 × 1
    highlight_create(actor=leader, note=n3, start=0, end=4, importance="important", feature=f3)  # 2 × 1 (no company)

    o1 = ObjectiveFactory(workspace=workspace, parent=None, weight=3)
    o2 = ObjectiveFactory(workspace=workspace, parent=None, weight=1)
    o3 = ObjectiveFactory(workspace=workspace, parent=None, weight=5, archived_at=timezone.now())
    for feature, objective in ((f1, o1), (f1, o2), (f1, o3), (f3, o2)):
        FeatureObjective.objects.create(workspace=workspace, feature=feature, objective=objective)

    elsewhere = backlog.feature(outsider, backlog.product(outsider, other_workspace, "GLX"), "Not ours", effort=1)
    return {"features": (f1, f2, f3), "elsewhere": elsewhere, "ideas": (i1, i2, i3, i4)}


EXPECTED = {
    # f1: votes 3 + 3; idea demand 18 + 7 = 25, evidence 12 (the passage once, at its highest);
    # companies acme, beta, gamma; objectives o1 and o2 (o3 is archived), highest weight 3.
    "f1": {"votes": 6, "demand": 37, "companies": 3, "arr": 650000, "objectives": 2, "objective_priority": 3,
           "age_days": 10, "effort": 3},
    # f2: the leader's vote (2), beta's (4) and delta's evidence (1).
    "f2": {"votes": 2, "demand": 7, "companies": 2, "arr": 130000, "objectives": 0, "objective_priority": 0,
           "age_days": 0, "effort": math.nan},
    # f3: evidence without a company (2).
    "f3": {"votes": 0, "demand": 2, "companies": 0, "arr": 0, "objectives": 1, "objective_priority": 1,
           "age_days": 400, "effort": 8},
}  # fmt: skip


def assert_row(row: dict[str, float], expected: dict[str, float]) -> None:
    assert set(row) == set(SIGNALS)
    for name, value in expected.items():
        if math.isnan(value):
            assert math.isnan(row[name]), name
        else:
            assert row[name] == value, name


def test_signals_of_listed_features(world, django_assert_num_queries):
    f1, f2, f3 = world["features"]
    with django_assert_num_queries(6):
        table = feature_signals(workspace_id=f1.workspace_id, feature_ids=[f3.pk, f1.pk, world["elsewhere"].pk, f2.pk])
    assert table.feature_ids == [f3.pk, f1.pk, f2.pk]  # in the order asked, another workspace's left out
    assert all(column.dtype == np.float64 and column.shape == (3,) for column in table.columns.values())
    assert_row(table.row(f1.pk), EXPECTED["f1"])
    assert_row(table.row(f2.pk), EXPECTED["f2"])
    assert_row(table.row(f3.pk), EXPECTED["f3"])


def test_demand_equals_the_ideas_and_insights_selectors(world):
    features = world["features"]
    ids = [f.pk for f in features]
    table = feature_signals(workspace_id=features[0].workspace_id, feature_ids=ids)
    ideas_part, evidence_part = features_demand(ids), evidence_demand(ids)
    assert [table.row(pk)["demand"] for pk in ids] == [float(ideas_part[pk] + evidence_part[pk]) for pk in ids]


def test_whole_workspace_reads_the_same(world, django_assert_num_queries, monkeypatch):
    f1, f2, f3 = world["features"]
    with django_assert_num_queries(6):
        table = feature_signals(workspace_id=f1.workspace_id)
    assert table.feature_ids == [f1.pk, f2.pk, f3.pk]
    for feature, name in ((f1, "f1"), (f2, "f2"), (f3, "f3")):
        assert_row(table.row(feature.pk), EXPECTED[name])
    # A long list of ids reads the workspace and keeps the ones asked for.
    monkeypatch.setattr("headway.prioritization.selectors.signals.ID_FILTER_LIMIT", 1)
    wide = feature_signals(workspace_id=f1.workspace_id, feature_ids=[f2.pk, f1.pk])
    assert wide.feature_ids == [f2.pk, f1.pk]
    assert_row(wide.row(f1.pk), EXPECTED["f1"])
    assert_row(wide.row(f2.pk), EXPECTED["f2"])


def test_only_some_signals(world, django_assert_num_queries):
    f1, f2, _ = world["features"]
    with django_assert_num_queries(2):
        table = feature_signals(workspace_id=f1.workspace_id, feature_ids=[f1.pk, f2.pk], only={"votes"})
    row = table.row(f1.pk)
    assert (row["votes"], row["effort"]) == (6.0, 3.0)
    assert math.isnan(row["demand"]) and math.isnan(row["companies"]) and math.isnan(row["age_days"])


def test_a_merged_idea_counts_on_its_target_only(world, leader):
    from headway.ideas.services.merges import idea_merge

    f1, f2, _ = world["features"]
    _, i2, i3, _ = world["ideas"]
    idea_merge(actor=leader, source=ideas.fresh(i3), target=ideas.fresh(i2))  # beta's vote moves to i2 (f1)
    table = feature_signals(workspace_id=f1.workspace_id, feature_ids=[f1.pk, f2.pk])
    assert table.row(f2.pk)["votes"] == 0
    assert table.row(f1.pk)["votes"] == 7  # the leader's vote was on both: it counts once on i2
    assert table.row(f2.pk)["companies"] == 1  # delta, through evidence
    assert table.row(f1.pk)["companies"] == 3  # beta was already there


def test_nothing_to_read(workspace):
    with pytest.raises(KeyError):
        feature_signals(workspace_id=workspace.pk, feature_ids=[]).row(1)
    empty = feature_signals(workspace_id=workspace.pk)
    assert isinstance(empty, SignalTable)
    assert empty.feature_ids == [] and set(empty.columns) == set(SIGNALS)

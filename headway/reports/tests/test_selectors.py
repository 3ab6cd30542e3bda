"""The alignment report read from the database: the hand-computed figures of test_alignment, in 9 queries."""

import datetime as dt
from decimal import Decimal

import pytest

from headway.core.errors import NotFound
from headway.reports.alignment import quarter
from headway.reports.selectors import alignment_report

pytestmark = pytest.mark.django_db
Q1 = quarter(2026, 1)


def test_figures_match_the_hand_computed_fixture(alignment, workspace, viewer):
    r = alignment_report(actor=viewer, workspace=workspace, period=Q1)
    # F11 is parked and F12 archived: out of scope; the rest is test_alignment's FIXTURE.
    assert r.total.as_dict() == {"planned": 21, "in_progress": 15, "total": 36, "features": 9, "unestimated": 1}
    assert r.aligned.as_dict() == {"planned": 7, "in_progress": 12, "total": 19, "features": 5, "unestimated": 1}
    assert r.no_objective.total == 5
    assert r.other_objectives.total == 12
    o = alignment["objectives"]
    assert [(x.id, x.depth, x.direct.total, x.rolled_up.total, x.rolled_up.features) for x in r.objectives] == [
        (o[0].pk, 0, 2.0, 19.0, 5),
        (o[1].pk, 1, 3.0, 13.0, 3),
        (o[3].pk, 2, 10.0, 10.0, 2),
        (o[2].pk, 1, 4.0, 4.0, 3),
        (o[7].pk, 2, 0.0, 0.0, 0),
        (o[6].pk, 0, 0.0, 0.0, 0),
    ]
    assert [x.title for x in r.objectives_without_work] == ["Dashboard NPS", "Enterprise readiness"]
    assert [(f.ref, f.title, f.effort, f.reason, f.status) for f in r.not_aligned] == [
        ("CHK-6", "Archived objective", 7.0, "other_objectives", "New"),
        ("CHK-3", "Dark mode", 5.0, "no_objective", "Discovery"),
        ("INS-1", "Q2 prep", 3.0, "other_objectives", "In progress"),
        ("INS-4", "Legacy exporter", 2.0, "other_objectives", "Ready"),
    ]
    assert [(i.title, i.effort.total) for i in r.initiatives] == [
        ("Checkout revamp", 14.0), ("Self-serve insights", 3.0), ("Idle bet", 0.0), ("No initiative", 19.0),
    ]  # fmt: skip
    assert [(g.name, g.total.total, g.aligned.total) for g in r.products] == [
        ("Checkout", 27.0, 15.0), ("Insights", 9.0, 4.0),
    ]  # fmt: skip
    assert [(g.name, g.total.total) for g in r.owners] == [("Pat PM", 27.0), ("Max PM", 5.0), ("No owner", 4.0)]
    assert r.effort_unit == "person-weeks"
    assert [label for _, label in r.product_options] == ["Checkout (CHK)", "Insights (INS)"]


def test_product_filter(alignment, workspace, viewer):
    _, p2 = alignment["products"]
    r = alignment_report(actor=viewer, workspace=workspace, period=Q1, product_id=p2.pk)
    assert (r.total.total, r.aligned.total, r.other_objectives.total, r.no_objective.total) == (9.0, 4.0, 5.0, 0.0)
    assert [x.title for x in r.objectives_without_work] == ["Dashboard NPS"]
    assert r.product_id == p2.pk


def test_a_product_of_another_workspace_is_not_found(alignment, workspace, other_workspace, viewer):
    from headway.portfolio.tests.factories import ProductFactory, ProductLineFactory

    foreign = ProductFactory(product_line=ProductLineFactory(workspace=other_workspace))
    with pytest.raises(NotFound) as exc:
        alignment_report(actor=viewer, workspace=workspace, period=Q1, product_id=foreign.pk)
    assert exc.value.message == "No product matches that id in this workspace."


def test_outsiders_are_refused(alignment, workspace, outsider):
    with pytest.raises(NotFound):
        alignment_report(actor=outsider, workspace=workspace, period=Q1)


def test_other_workspaces_rows_never_count(alignment, workspace, other_workspace, outsider):
    r = alignment_report(actor=outsider, workspace=other_workspace, period=Q1)
    assert r.is_empty is True
    assert (r.objectives, r.initiatives, r.not_aligned, r.product_options) == ([], [], [], [])
    assert r.effort_unit == "points"  # that workspace has no backlog settings: the default


def _more_work(workspace, alignment, n: int) -> None:
    """n more features, each with an owner, an initiative, two objectives and a tag-free status."""
    from headway.backlog.models import Feature, FeatureObjective

    p1, _ = alignment["products"]
    o = alignment["objectives"]
    for i in range(n):
        f = Feature.objects.create(
            workspace=workspace, product=p1, number=100 + i, title=f"More {i}", owner=p1.owner,
            status=alignment["status"]["Ready"], effort=Decimal(1), initiative=alignment["initiatives"][i % 2],
            rank=f"s{i:04d}i",
        )  # fmt: skip
        FeatureObjective.objects.create(workspace=workspace, feature=f, objective=o[i % 4])
        FeatureObjective.objects.create(workspace=workspace, feature=f, objective=o[4])


def test_the_number_of_queries_does_not_depend_on_the_data(alignment, workspace, viewer, django_assert_num_queries):
    from headway.core import permissions

    permissions.role_in(viewer, workspace)  # the role, cached for the request in real use
    # products, features, objective links, objectives, initiative products, initiatives, people, backlog settings
    with django_assert_num_queries(8):
        small = alignment_report(actor=viewer, workspace=workspace, period=Q1)
    _more_work(workspace, alignment, 40)
    with django_assert_num_queries(8):
        large = alignment_report(actor=viewer, workspace=workspace, period=Q1)
    assert (small.total.features, large.total.features) == (9, 49)
    assert large.aligned.total == 19 + 40


def test_period_choices_come_from_the_objectives(alignment, workspace, viewer, monkeypatch):
    monkeypatch.setattr("headway.reports.selectors.today", lambda: dt.date(2026, 2, 10))
    r = alignment_report(actor=viewer, workspace=workspace, period=Q1)
    assert [p.value for p in r.period_choices] == ["2026", "2026-Q2", "2026-Q1"]

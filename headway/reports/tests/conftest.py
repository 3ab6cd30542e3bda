"""The alignment fixture in the database: the same scenario as test_alignment.FIXTURE, hand-computed there."""

import datetime as dt
from decimal import Decimal

import pytest

Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))


def build_alignment(workspace, *, leader, pm, pm2) -> dict:
    """Products CHK (Pat PM) and INS (Max PM); objectives O1…O9 and features F1…F10 as in test_alignment."""
    from headway.backlog.models import BacklogSettings, Feature, FeatureObjective, WorkflowStatus
    from headway.portfolio.tests.factories import ProductFactory, ProductLineFactory
    from headway.strategy.models import Initiative, InitiativeProduct, Objective

    line = ProductLineFactory(workspace=workspace, name="Payments")
    p1 = ProductFactory(product_line=line, name="Checkout", key="CHK", owner=pm)
    p2 = ProductFactory(product_line=line, name="Insights", key="INS", owner=pm2)
    status = {
        name: WorkflowStatus.objects.create(
            workspace=workspace, name=name, category=category, position=i, is_default=i == 0
        )
        for i, (name, category) in enumerate(
            [("New", "not_started"), ("Discovery", "not_started"), ("Ready", "not_started"),
             ("In progress", "active"), ("Released", "done"), ("Parked", "closed")]
        )
    }  # fmt: skip
    BacklogSettings.objects.create(workspace=workspace, effort_unit="person_weeks")

    def objective(title, parent=None, owner=leader, span=Q1, status="on_track", product=None, position=0, **kw):
        return Objective.objects.create(
            workspace=workspace, title=title, parent=parent, owner=owner, starts_on=span[0], ends_on=span[1],
            status=status, product=product, position=position, **kw,
        )  # fmt: skip

    o1 = objective("Grow revenue")
    o2 = objective("Payments conversion", o1, pm, product=p1)
    o3 = objective("Analytics adoption", o1, pm2, status="at_risk", product=p2, position=1)
    o4 = objective("Faster checkout", o2, pm)
    o5 = objective("Next quarter", span=Q2, position=2)
    o6 = objective("Abandoned idea", status="dropped", position=3)
    o7 = objective("Enterprise readiness", status="off_track", position=1)
    o8 = objective("Dashboard NPS", o3, pm2, product=p2)
    o9 = objective("Archived goal", archived_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), position=4)

    def initiative(title, status, owner, span, products=()):
        i = Initiative.objects.create(
            workspace=workspace, title=title, status=status, owner=owner, starts_on=span[0], ends_on=span[1]
        )
        for product in products:
            InitiativeProduct.objects.create(workspace=workspace, initiative=i, product=product)
        return i

    i1 = initiative("Checkout revamp", "active", pm, Q1, [p1])
    i2 = initiative("Self-serve insights", "active", pm2, (None, None), [p2])
    initiative("Idle bet", "proposed", leader, (dt.date(2026, 3, 1), None), [p2])
    initiative("Finished bet", "done", leader, Q1)
    initiative("Later bet", "active", leader, Q2)

    numbers = {p1.pk: 0, p2.pk: 0}
    features = {}

    def feature(key, title, product, owner, status_name, effort, initiative, objectives, archived=False):
        numbers[product.pk] += 1
        f = Feature.objects.create(
            workspace=workspace, product=product, number=numbers[product.pk], title=title, owner=owner,
            status=status[status_name], effort=None if effort is None else Decimal(effort), initiative=initiative,
            rank=f"r{numbers[product.pk]:04d}i",
            archived_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC) if archived else None,
        )  # fmt: skip
        for o in objectives:
            FeatureObjective.objects.create(workspace=workspace, feature=f, objective=o)
        features[key] = f
        return f

    feature("F1", "One-page checkout", p1, pm, "In progress", "8", i1, [o4])  # CHK-1
    feature("F2", "Shared metric layer", p1, pm, "Ready", "6", i1, [o2, o3])  # CHK-2
    feature("F3", "Dark mode", p1, pm, "Discovery", "5", None, [])  # CHK-3
    feature("F4", "Q2 prep", p2, pm2, "In progress", "3", i2, [o5])  # INS-1
    feature("F5", "Usage tracking", p2, pm2, "Ready", None, i2, [o3])  # INS-2
    feature("F6", "Checkout analytics", p2, None, "In progress", "4", None, [o1, o4])  # INS-3
    feature("F7", "Shipped already", p1, pm, "Released", "10", i1, [o1])  # CHK-4
    feature("F8", "Legacy exporter", p2, pm2, "Ready", "2", None, [o6])  # INS-4
    feature("F9", "Export to BI", p1, pm, "Ready", "1", None, [o5, o3])  # CHK-5
    feature("F10", "Archived objective", p1, pm, "New", "7", None, [o9])  # CHK-6
    feature("F11", "Parked idea", p1, pm, "Parked", "13", None, [])  # CHK-7: closed, out of scope
    feature("F12", "Archived feature", p2, pm2, "Ready", "20", None, [], archived=True)  # INS-5: archived
    return {
        "products": (p1, p2),
        "objectives": (o1, o2, o3, o4, o5, o6, o7, o8, o9),
        "features": features,
        "status": status,
        "initiatives": (i1, i2),
    }


@pytest.fixture
def pm2(member):
    return member("pm", email="pm2@example.com", full_name="Max PM")


@pytest.fixture
def alignment(workspace, leader, pm, pm2):
    return build_alignment(workspace, leader=leader, pm=pm, pm2=pm2)

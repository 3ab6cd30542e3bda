"""Backlog rows for tests, made through the services (so numbers, ranks and history are real)."""

import datetime as dt

from headway.backlog import services
from headway.portfolio import services as portfolio
from headway.strategy.models import Initiative, Objective


def product(actor, workspace, key="PAY", owner=None, line=None):
    """A product (and a product line for it unless given), made by ``actor`` (a leader or admin)."""
    from headway.portfolio.models import ProductLine

    line = line or ProductLine.objects.filter(workspace=workspace).first()
    if line is None:
        line = portfolio.product_line_create(actor=actor, workspace=workspace, name="Core")
    return portfolio.product_create(
        actor=actor, workspace=workspace, product_line=line, name=f"Product {key}", key=key, owner=owner
    )


def feature(actor, product, title="A feature", **fields):
    return services.feature_create(actor=actor, workspace=product.workspace, product=product, title=title, **fields)


def features(actor, product, count, prefix="F"):
    return [feature(actor, product, f"{prefix}{i}") for i in range(1, count + 1)]


def objective(workspace, title="Grow revenue", owner=None):
    return Objective.objects.create(
        workspace=workspace,
        title=title,
        owner=owner,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 3, 31),
    )


def initiative(workspace, title="Self-serve onboarding", owner=None):
    return Initiative.objects.create(workspace=workspace, title=title, owner=owner)

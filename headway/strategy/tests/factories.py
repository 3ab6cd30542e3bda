"""Strategy rows for tests. Positions follow creation order, as the services would place them."""

import datetime as dt
from decimal import Decimal

import factory

from headway.strategy.models import CheckIn, Initiative, KeyResult, Objective, Vision
from headway.workspaces.tests.factories import WorkspaceFactory

Q2_START, Q2_END = dt.date(2026, 4, 1), dt.date(2026, 6, 30)


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    period_kind = "quarter"
    starts_on = Q2_START
    ends_on = Q2_END
    position = factory.LazyAttribute(
        lambda o: Objective.objects.filter(workspace=o.workspace, parent=o.parent, archived_at__isnull=True).count()
    )


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    workspace = factory.LazyAttribute(lambda o: o.objective.workspace)
    title = factory.Sequence(lambda n: f"Key result {n}")
    start_value = Decimal("0")
    target_value = Decimal("100")
    current_value = Decimal("0")
    position = factory.LazyAttribute(lambda o: KeyResult.objects.filter(objective=o.objective).count())


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    objective = factory.SubFactory(ObjectiveFactory)
    workspace = factory.LazyAttribute(lambda o: o.objective.workspace)
    date = Q2_START
    health = "on_track"


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Initiative {n}")


class VisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vision

    workspace = factory.SubFactory(WorkspaceFactory)
    statement = "Every small business checks out in one click."

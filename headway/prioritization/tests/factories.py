"""Scoring models, feature scores and teams for tests.

Features, products, ideas and notes come from the other apps' factories
(``headway.backlog.tests.factories`` etc.); these are written straight to the database so a test
controls every field. ``FeatureScoreFactory`` computes ``value`` and ``label`` from ``inputs``
through the engine (without signals) unless given, so a stored score is what the services would
have written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from headway.prioritization.models import FeatureScore, ScoringModel, Team, TeamMember
from headway.workspaces.tests.factories import WorkspaceFactory


def _default_config(o: Any) -> dict:
    from headway.prioritization import engine

    return engine.default_config(o.framework)


def _computed(o: Any) -> tuple[float | None, str]:
    from headway.prioritization import engine

    spec = engine.spec_from_config(o.scoring_model.framework, o.scoring_model.config)
    result = engine.score(spec, o.inputs, {})
    if result is None:
        return None, ""
    return result.value, result.label or ""


class ScoringModelFactory(factory.django.DjangoModelFactory):
    """A RICE model unless told; ``config`` is the framework's default."""

    class Meta:
        model = ScoringModel

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Model {n}")
    framework = "rice"
    config = factory.LazyAttribute(_default_config)
    is_default = False


class FeatureScoreFactory(factory.django.DjangoModelFactory):
    """``FeatureScoreFactory(feature=f, scoring_model=m, inputs={...})``; ``feature`` is required."""

    class Meta:
        model = FeatureScore

    feature = None  # give one: features need an actor and a product (backlog factories)
    workspace = factory.LazyAttribute(lambda o: o.feature.workspace)
    scoring_model = factory.SubFactory(ScoringModelFactory, workspace=factory.SelfAttribute("..workspace"))
    inputs = factory.LazyFunction(dict)
    value = factory.LazyAttribute(lambda o: _computed(o)[0])
    label = factory.LazyAttribute(lambda o: _computed(o)[1])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMemberFactory(factory.django.DjangoModelFactory):
    """A full-time member (1 per week) of a team, with no start or end date."""

    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    workspace = factory.LazyAttribute(lambda o: o.team.workspace)
    name = factory.Sequence(lambda n: f"Member {n}")
    weekly_capacity = Decimal("1")

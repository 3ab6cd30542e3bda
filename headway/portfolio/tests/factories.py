"""Portfolio rows for tests. Positions follow creation order, as the services would place them."""

import factory

from headway.portfolio.models import Component, Product, ProductLine
from headway.workspaces.tests.factories import WorkspaceFactory


def _next_position(model, **siblings):
    return model.objects.filter(archived_at__isnull=True, **siblings).count()


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Line {n}")
    position = factory.LazyAttribute(lambda o: _next_position(ProductLine, workspace=o.workspace))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    product_line = factory.SubFactory(ProductLineFactory)
    workspace = factory.LazyAttribute(lambda o: o.product_line.workspace)
    name = factory.Sequence(lambda n: f"Product {n}")
    key = factory.Sequence(lambda n: f"P{n:03d}")
    stage = "concept"
    position = factory.LazyAttribute(lambda o: _next_position(Product, product_line=o.product_line))


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    product = factory.SubFactory(ProductFactory)
    workspace = factory.LazyAttribute(lambda o: o.product.workspace)
    name = factory.Sequence(lambda n: f"Component {n}")
    position = factory.LazyAttribute(lambda o: _next_position(Component, product=o.product))

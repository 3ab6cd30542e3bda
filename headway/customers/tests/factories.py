"""Realistic customer companies and contacts for tests and local data."""

import random
from decimal import Decimal

import factory
from faker import Faker

from headway.customers.models import Company, Contact, Health, Segment, Tier
from headway.workspaces.tests.factories import WorkspaceFactory

_fake = Faker()


def _arr(segment: str) -> Decimal:
    """ARR in the range a company of that segment typically pays."""
    low, high = {
        Segment.ENTERPRISE: (250_000, 5_000_000),
        Segment.MID_MARKET: (50_000, 400_000),
        Segment.SMB: (2_000, 60_000),
        Segment.STARTUP: (0, 25_000),
        Segment.PUBLIC_SECTOR: (100_000, 2_000_000),
    }[segment]
    return Decimal(random.randint(low, high) * 100) / 100


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"{_fake.company()} {n}")
    domain = factory.LazyAttributeSequence(lambda o, n: f"{_fake.domain_word()}-{n}.example")
    segment = factory.Iterator(Segment.values)
    tier = factory.Iterator(Tier.values)
    arr = factory.LazyAttribute(lambda o: _arr(o.segment))
    currency = factory.Iterator(["USD", "EUR", "GBP"])
    health = factory.Iterator(Health.values)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    company = factory.SubFactory(CompanyFactory)
    workspace = factory.SelfAttribute("company.workspace")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@{_fake.domain_word()}.example")
    role = factory.Faker("job")

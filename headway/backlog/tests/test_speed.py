"""5,000 features in one product: the ranked backlog page's queries do not grow with the backlog, and
a move is one UPDATE. (Timings are measured by bench/strategy.py, not asserted here.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from headway.backlog import ranking, services
from headway.backlog.models import Feature, FeatureStatusChange, FeatureTag, Tag
from headway.backlog.tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def fill(actor, product, count):
    """``count`` features at the bottom of ``product``'s backlog, in bulk (what 5,000 service calls would
    leave: numbers, ranks, a status-history row each, some tags and owners)."""
    statuses = services.workflow_ensure_defaults(actor=actor, workspace=product.workspace)
    start = Feature.objects.filter(product=product).count()
    keys = ranking.spread(start + count)[start:]
    tags = Tag.objects.bulk_create([Tag(workspace=product.workspace, name=f"{product.key} {i}") for i in range(5)])
    now = timezone.now()
    features = Feature.objects.bulk_create(
        Feature(
            workspace=product.workspace,
            product=product,
            number=start + i + 1,
            title=f"Feature {start + i + 1}",
            description="Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4,
            status=statuses[i % len(statuses)],
            owner=actor if i % 3 == 0 else None,
            effort=i % 13,
            rank=keys[i],
        )
        for i in range(count)
    )
    FeatureStatusChange.objects.bulk_create(
        FeatureStatusChange(workspace=product.workspace, feature=x, to_status=x.status, changed_at=now)
        for x in features
    )
    FeatureTag.objects.bulk_create(
        FeatureTag(workspace=product.workspace, feature=x, tag=tags[i % 5]) for i, x in enumerate(features) if i % 2
    )
    return features


def test_the_ranked_page_of_5000_features_costs_what_the_page_of_10_costs(web_client, admin, workspace):
    small = f.product(admin, workspace, key="SML")
    big = f.product(admin, workspace, key="BIG")
    fill(admin, small, 10)
    fill(admin, big, 5000)
    client = web_client(admin)
    client.get(f"/w/acme/backlog/?product={small.pk}")  # first visit: last workspace, session
    with CaptureQueriesContext(connection) as few:
        client.get(f"/w/acme/backlog/?product={small.pk}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/w/acme/backlog/?product={big.pk}")
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count('<li class="bl-row') == 100  # the first page; the rest loads on demand


def test_a_move_in_a_5000_feature_backlog_is_one_update(admin, workspace):
    big = f.product(admin, workspace, key="BIG")
    features = fill(admin, big, 5000)
    mover = Feature.objects.select_related("product", "workspace").get(pk=features[4200].pk)
    anchor = Feature.objects.select_related("product").get(pk=features[10].pk)
    with CaptureQueriesContext(connection) as queries:
        services.feature_move(actor=admin, feature=mover, after=anchor)
    assert [q["sql"].split()[0] for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))] == [
        "UPDATE",
        "INSERT",  # the audit row
    ]
    ranks = list(Feature.objects.filter(product=big).order_by("rank").values_list("pk", flat=True)[:13])
    assert ranks[10:12] == [anchor.pk, mover.pk]

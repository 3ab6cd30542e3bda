"""From idea to backlog: promote, link and unlink; linked ideas follow their feature's status."""

import datetime as dt
from decimal import Decimal

import pytest

from headway.backlog import services as backlog_services
from headway.backlog.models import Feature, WorkflowStatus
from headway.backlog.tests import factories as backlog
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.models import Tier
from headway.customers.tests.factories import CompanyFactory
from headway.ideas.models import FeatureStatusMapping, Idea, IdeaEvent, IdeaStatus, Notification, Vote
from headway.ideas.selectors.features import feature_ideas, features_demand
from headway.ideas.services.features import (
    idea_link_feature,
    idea_promote,
    idea_status_for_feature_status,
    idea_unlink_feature,
    ideas_follow_feature,
)
from headway.ideas.services.merges import idea_merge
from headway.ideas.services.portals import idea_statuses_ensure
from headway.ideas.services.votes import idea_recount
from headway.ideas.tests import factories as f

pytestmark = pytest.mark.django_db

Kind = IdeaEvent.Kind


@pytest.fixture
def pay(leader, workspace, pm):
    return backlog.product(leader, workspace, key="PAY", owner=pm)


@pytest.fixture
def ops(leader, workspace):
    return backlog.product(leader, workspace, key="OPS", owner=leader)


@pytest.fixture
def portal(leader, workspace):
    return f.portal(leader, workspace, slug="acme-ideas", name="Acme ideas")


@pytest.fixture
def customer(portal):
    return f.portal_user(portal, "buyer@customer.example")


def status(workspace, name):
    return IdeaStatus.objects.get(workspace=workspace, name=name)


def flow(workspace, name):
    return WorkflowStatus.objects.get(workspace=workspace, name=name)


def events(kind, ideas=None):
    qs = IdeaEvent.objects.filter(kind=kind)
    if ideas is not None:
        qs = qs.filter(idea__in=ideas)
    return sorted(qs.values_list("idea_id", flat=True))


# --- promote ----------------------------------------------------------------------------------


def test_promote_creates_a_feature_that_quotes_and_links_back(pm, customer, portal, pay):
    idea = f.idea(
        customer,
        portal,
        "Export invoices to CSV",
        description="We close the books monthly.\n\nCSV please.",
        product=pay,
    )
    feature = idea_promote(actor=pm, idea=idea)

    assert (feature.product_id, feature.title, feature.ref) == (pay.pk, "Export invoices to CSV", "PAY-1")
    assert feature.description == (
        f"Promoted from the idea [#{idea.pk} Export invoices to CSV](http://127.0.0.1:8000/w/acme/ideas/{idea.pk}/)"
        f" ([in the portal Acme ideas](http://127.0.0.1:8000/p/acme-ideas/ideas/{idea.pk}/); 1 vote, demand 2.00).\n"
        "\n"
        "> We close the books monthly.\n"
        ">\n"
        "> CSV please."
    )
    assert idea.feature_id == feature.pk
    assert Idea.objects.get(pk=idea.pk).feature_id == feature.pk
    linked = IdeaEvent.objects.get(kind=Kind.LINKED)
    assert (linked.idea_id, linked.payload["feature"], linked.payload["ref"]) == (idea.pk, feature.pk, "PAY-1")
    audit = AuditEvent.objects.get(action="idea.promote")
    assert (audit.target_id, audit.changes) == (idea.pk, {"feature": [None, "PAY-1 Export invoices to CSV"]})
    assert AuditEvent.objects.filter(action="feature.create", target_id=feature.pk).count() == 1


def test_promote_takes_another_product_and_title(leader, customer, portal, pay, ops):
    idea = f.idea(customer, portal, "Export invoices to CSV", product=pay)
    feature = idea_promote(actor=leader, idea=idea, product=ops, title="Invoice export")
    assert (feature.product_id, feature.title, feature.ref) == (ops.pk, "Invoice export", "OPS-1")


def test_promote_needs_a_product(pm, customer, portal):
    idea = f.idea(customer, portal, "Dark mode")
    with pytest.raises(ValidationFailed) as exc:
        idea_promote(actor=pm, idea=idea)
    assert list(exc.value.fields) == ["product"]
    assert Feature.objects.count() == 0


def test_promote_needs_the_right_to_add_features_to_the_product(pm, contributor, customer, portal, pay, ops):
    idea = f.idea(customer, portal, "Export invoices to CSV", product=pay)
    with pytest.raises(PermissionDenied):
        idea_promote(actor=pm, idea=idea, product=ops)  # the PM owns PAY, not OPS
    with pytest.raises(PermissionDenied):
        idea_promote(actor=contributor, idea=idea)  # contributors do not manage ideas
    assert Feature.objects.count() == 0
    assert Idea.objects.get(pk=idea.pk).feature_id is None
    assert not IdeaEvent.objects.filter(kind=Kind.LINKED).exists()


def test_promote_refuses_an_idea_already_linked_or_merged(pm, customer, portal, pay):
    idea = f.idea(customer, portal, "Export invoices to CSV", product=pay)
    idea_promote(actor=pm, idea=idea)
    with pytest.raises(Conflict, match="already linked to PAY-1"):
        idea_promote(actor=pm, idea=idea)
    other = f.idea(customer, portal, "CSV export", product=pay)
    idea_merge(actor=pm, source=other, target=idea)
    with pytest.raises(Conflict, match="is merged into"):
        idea_promote(actor=pm, idea=other)
    assert Feature.objects.count() == 1


# --- link and unlink --------------------------------------------------------------------------


def test_many_ideas_link_to_one_feature_and_unlink(pm, customer, portal, pay):
    feature = backlog.feature(pm, pay, "CSV export")
    ideas = [f.idea(customer, portal, f"Idea number {i}") for i in range(3)]
    for idea in ideas:
        idea_link_feature(actor=pm, idea=idea, feature=feature)
    assert sorted(Idea.objects.filter(feature=feature).values_list("pk", flat=True)) == [i.pk for i in ideas]
    idea_link_feature(actor=pm, idea=ideas[0], feature=feature.pk)  # again, by id: nothing changes
    assert events(Kind.LINKED) == [i.pk for i in ideas]

    idea_unlink_feature(actor=pm, idea=ideas[1])
    assert ideas[1].feature_id is None
    assert Idea.objects.filter(feature=feature).count() == 2
    audit = AuditEvent.objects.get(action="idea.unlink_feature")
    assert audit.changes == {"feature": ["PAY-1 CSV export", None]}
    idea_unlink_feature(actor=pm, idea=ideas[1])  # no link: nothing happens
    assert AuditEvent.objects.filter(action="idea.unlink_feature").count() == 1


def test_relinking_moves_the_idea_to_the_other_feature(pm, customer, portal, pay):
    first, second = backlog.feature(pm, pay, "First"), backlog.feature(pm, pay, "Second")
    idea = f.idea(customer, portal, "Export invoices")
    idea_link_feature(actor=pm, idea=idea, feature=first)
    idea_link_feature(actor=pm, idea=idea, feature=second)
    assert Idea.objects.get(pk=idea.pk).feature_id == second.pk
    assert AuditEvent.objects.filter(action="idea.link_feature").latest("id").changes == {
        "feature": ["PAY-1 First", "PAY-2 Second"]
    }


def test_link_refuses_archived_foreign_and_missing_features(pm, customer, portal, pay, outsider, other_workspace):
    idea = f.idea(customer, portal, "Export invoices")
    archived = backlog.feature(pm, pay, "Old")
    backlog_services.feature_archive(actor=pm, feature=archived)
    with pytest.raises(Conflict) as exc:
        idea_link_feature(actor=pm, idea=idea, feature=archived)
    assert list(exc.value.fields) == ["feature"]
    theirs = backlog.feature(outsider, backlog.product(outsider, other_workspace, key="GLX"), "Theirs")
    for value in (theirs, theirs.pk, 999999):
        with pytest.raises(ValidationFailed) as exc:
            idea_link_feature(actor=pm, idea=idea, feature=value)
        assert list(exc.value.fields) == ["feature"]
    assert Idea.objects.get(pk=idea.pk).feature_id is None


def test_link_permissions(pm, viewer, contributor, outsider, customer, portal, pay):
    feature = backlog.feature(pm, pay, "CSV export")
    idea = f.idea(customer, portal, "Export invoices")
    for person in (viewer, contributor, customer):
        with pytest.raises(PermissionDenied if person is not customer else NotFound):
            idea_link_feature(actor=person, idea=idea, feature=feature)
    with pytest.raises(NotFound):
        idea_link_feature(actor=outsider, idea=idea, feature=feature)
    idea_link_feature(actor=pm, idea=idea, feature=feature)
    with pytest.raises(PermissionDenied):
        idea_unlink_feature(actor=contributor, idea=idea)
    assert Idea.objects.get(pk=idea.pk).feature_id == feature.pk


# --- following the feature's status -----------------------------------------------------------


@pytest.fixture
def linked(pm, customer, portal, pay, workspace):
    """A feature with five linked ideas: two new, one already in progress, one deleted, one merged."""
    feature = backlog.feature(pm, pay, "CSV export")
    new1 = f.idea(customer, portal, "Export invoices")
    new2 = f.idea(pm, portal, "Export payments")
    busy = f.idea(pm, portal, "Export refunds")
    gone = f.idea(pm, portal, "Export fees")
    merged = f.idea(pm, portal, "Invoice export")
    for idea in (new1, new2, busy, gone, merged):
        idea_link_feature(actor=pm, idea=idea, feature=feature)
    Idea.objects.filter(pk=busy.pk).update(status=status(workspace, "In progress"))
    Idea.objects.filter(pk=gone.pk).update(deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    idea_merge(actor=pm, source=merged, target=busy)
    return feature, new1, new2, busy, gone, merged


def statuses(*ideas):
    return [Idea.objects.select_related("status").get(pk=i.pk).status.name for i in ideas]


def test_a_feature_in_progress_moves_its_ideas_in_progress(pm, workspace, linked, customer):
    feature, new1, new2, busy, gone, merged = linked
    backlog_services.feature_update(actor=pm, feature=feature, status=flow(workspace, "In progress"))

    assert statuses(new1, new2, busy, gone, merged) == ["In progress", "In progress", "In progress", "New", "Duplicate"]
    assert events(Kind.STATUS_CHANGED) == [new1.pk, new2.pk]  # one each; the idea already there hears nothing
    event = IdeaEvent.objects.get(kind=Kind.STATUS_CHANGED, idea=new1)
    assert (event.actor_id, event.payload["from"], event.payload["to"]) == (pm.pk, "New", "In progress")
    # The customer who submitted new1 is told once.
    told = Notification.objects.filter(event=event)
    assert list(told.values_list("email", flat=True)) == ["buyer@customer.example"]
    assert AuditEvent.objects.filter(action="idea.status_change").count() == 2


def test_a_released_feature_ships_its_ideas(pm, workspace, linked):
    feature, new1, new2, busy, gone, merged = linked
    backlog_services.feature_update(actor=pm, feature=feature, status=flow(workspace, "In progress"))
    backlog_services.feature_update(actor=pm, feature=feature, status=flow(workspace, "Released"))
    assert statuses(new1, new2, busy, gone, merged) == ["Shipped", "Shipped", "Shipped", "New", "Duplicate"]
    assert events(Kind.SHIPPED) == [new1.pk, new2.pk, busy.pk]


def test_not_started_and_closed_statuses_leave_ideas_alone(pm, workspace, linked):
    feature, new1, new2, busy, *_ = linked
    for name in ("Discovery", "Parked", "Ready"):
        backlog_services.feature_update(actor=pm, feature=feature, status=flow(workspace, name))
    assert statuses(new1, new2, busy) == ["New", "New", "In progress"]
    assert events(Kind.STATUS_CHANGED) == []


def test_an_explicit_mapping_wins_over_the_default(pm, workspace, linked):
    feature, new1, new2, busy, *_ = linked
    FeatureStatusMapping.objects.create(
        workspace=workspace, feature_status=flow(workspace, "Discovery"), idea_status=status(workspace, "Planned")
    )
    FeatureStatusMapping.objects.create(
        workspace=workspace, feature_status=flow(workspace, "In progress"), idea_status=status(workspace, "Planned")
    )
    backlog_services.feature_update(actor=pm, feature=feature, status=flow(workspace, "Discovery"))
    assert statuses(new1, new2, busy) == ["Planned", "Planned", "Planned"]
    assert events(Kind.STATUS_CHANGED) == [new1.pk, new2.pk, busy.pk]
    backlog_services.feature_update(actor=pm, feature=feature, status=flow(workspace, "In progress"))
    assert events(Kind.STATUS_CHANGED) == [new1.pk, new2.pk, busy.pk]  # already planned: nothing more


def test_default_mapping(workspace, linked):
    idea_statuses_ensure(workspace=workspace)
    found = {
        s.name: getattr(idea_status_for_feature_status(s), "name", None)
        for s in WorkflowStatus.objects.filter(workspace=workspace)
    }
    assert found == {
        "New": None,
        "Discovery": None,
        "Ready": None,
        "In progress": "In progress",
        "Released": "Shipped",
        "Parked": None,
        "Won't do": None,
    }


def test_bulk_status_change_moves_the_ideas_of_every_feature(pm, workspace, linked, customer, portal, pay):
    feature, new1, new2, busy, *_ = linked
    other = backlog.feature(pm, pay, "PDF export")
    lonely = backlog.feature(pm, pay, "No ideas")
    third = f.idea(customer, portal, "PDF invoices")
    idea_link_feature(actor=pm, idea=third, feature=other)
    backlog_services.feature_bulk_update(
        actor=pm, workspace=workspace, features=[feature, other, lonely], status=flow(workspace, "Released")
    )
    assert statuses(new1, new2, busy, third) == ["Shipped"] * 4
    assert events(Kind.SHIPPED) == sorted([new1.pk, new2.pk, busy.pk, third.pk])


def test_following_needs_no_idea_rights_and_counts_changes(leader, workspace, linked):
    feature, new1, new2, busy, *_ = linked
    feature.status = flow(workspace, "Released")
    assert ideas_follow_feature(actor=None, feature=feature) == 3  # the system, e.g. an import
    assert ideas_follow_feature(actor=None, feature=feature) == 0
    assert statuses(new1, new2, busy) == ["Shipped"] * 3
    assert IdeaEvent.objects.filter(kind=Kind.SHIPPED, actor=None).count() == 3


def test_editing_other_fields_of_a_feature_does_not_touch_its_ideas(pm, workspace, linked):
    feature, new1, new2, busy, *_ = linked
    backlog_services.feature_update(actor=pm, feature=feature, title="CSV and Excel export", effort=3)
    assert statuses(new1, new2, busy) == ["New", "New", "In progress"]
    assert events(Kind.STATUS_CHANGED) == []


# --- the backlog's view of ideas --------------------------------------------------------------


@pytest.fixture
def demand_world(pm, workspace, portal, pay):
    """Two features with linked ideas and votes (default weights: important 2 × tier)."""
    strategic = CompanyFactory(workspace=workspace, tier=Tier.STRATEGIC)
    key = CompanyFactory(workspace=workspace, tier=Tier.KEY)
    first, second, empty = (backlog.feature(pm, pay, t) for t in ("First", "Second", "Empty"))
    ideas = [f.idea(pm, portal, t) for t in ("One idea", "Two idea", "Three idea", "Four idea")]
    Vote.objects.filter(idea__in=ideas).delete()  # the member's own votes from idea_create
    people = [f.portal_user(portal) for _ in range(3)]

    def add(idea, voter=None, company=None, importance="important"):
        Vote.objects.create(
            workspace=workspace,
            idea=idea,
            voter=voter,
            company=company,
            importance=importance,
            proxy_by=None if voter else pm,
        )

    add(ideas[0], people[0], strategic, "critical")  # 12
    add(ideas[0], people[1], key)  # 4
    add(ideas[1], people[0], strategic)  # 6
    add(ideas[1], company=key)  # proxy: 4
    add(ideas[1], people[2])  # no company: 2
    add(ideas[2], people[2], None, "nice_to_have")  # 1
    add(ideas[3], people[1], key, "critical")  # 8 (merged into ideas[0] below: its vote moves)
    for idea in ideas:
        idea_recount(idea.pk)
        idea_link_feature(actor=pm, idea=idea, feature=first if idea is not ideas[2] else second)
    idea_merge(actor=pm, source=ideas[3], target=ideas[0])  # people[1] voted on both: critical wins
    return first, second, empty, ideas


def test_feature_ideas_lists_linked_ideas_with_totals(pm, viewer, demand_world):
    first, _second, empty, ideas = demand_world
    found = feature_ideas(user=viewer, feature=first)
    # ideas[0]: 12 + 8 (key, raised to critical by the merge) = 20 over 2 votes; ideas[1]: 6 + 4 + 2 = 12.
    assert [(i.pk, i.vote_count, i.demand) for i in found["ideas"]] == [
        (ideas[0].pk, 2, Decimal("20.00")),
        (ideas[1].pk, 3, Decimal("12.00")),
    ]
    assert [i.pk for i in found["merged"]] == [ideas[3].pk]
    assert found["totals"] == {"ideas": 2, "votes": 5, "demand": Decimal("32.00"), "companies": 2}
    assert feature_ideas(user=viewer, feature=empty)["totals"] == {
        "ideas": 0,
        "votes": 0,
        "demand": Decimal("0"),
        "companies": 0,
    }


def test_feature_ideas_is_for_members_only(outsider, customer, demand_world):
    first = demand_world[0]
    for person in (outsider, customer):
        with pytest.raises(NotFound):
            feature_ideas(user=person, feature=first)


def test_features_demand_in_one_query(demand_world, django_assert_num_queries):
    first, second, empty, _ = demand_world
    with django_assert_num_queries(1):
        demand = features_demand([first.pk, second.pk, empty.pk])
    assert demand == {first.pk: Decimal("32.00"), second.pk: Decimal("1.00"), empty.pk: Decimal("0")}
    assert features_demand([]) == {}

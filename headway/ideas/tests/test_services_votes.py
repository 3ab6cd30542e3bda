"""Votes: one per person, importance, proxy votes for companies, demand and trending, following."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas import services
from headway.ideas.models import (
    CompanyBasis,
    DemandSettings,
    Idea,
    IdeaEvent,
    Subscription,
    Visibility,
    Vote,
)
from headway.ideas.services.votes import demand_weight, trending_score
from headway.ideas.tests import factories as f


@pytest.fixture
def portal(leader, workspace):
    return f.portal(leader, workspace, slug="feedback")


@pytest.fixture
def idea(pm, portal):
    """An idea filed by a member (their own vote: important, no company → demand 2)."""
    return f.idea(pm, portal, "Export to CSV")


def vote_of(user, idea):
    return Vote.objects.get(idea=idea, voter=user)


@pytest.mark.django_db
def test_casting_a_vote_counts_it_and_the_demand(idea, portal):
    customer = f.portal_user(portal)
    vote = services.vote_cast(actor=customer, idea=idea, importance="critical")
    assert (vote.voter_id, vote.importance, vote.company_id) == (customer.pk, "critical", None)
    assert (idea.vote_count, idea.demand) == (2, Decimal("6.00"))  # the caller's object is updated too
    stored = f.fresh(idea)
    assert (stored.vote_count, stored.demand) == (2, Decimal("6.00"))


@pytest.mark.django_db
def test_voting_again_changes_the_importance_and_keeps_one_vote(idea, portal):
    customer = f.portal_user(portal)
    services.vote_cast(actor=customer, idea=idea, importance="critical")
    services.vote_cast(actor=customer, idea=idea, importance="nice_to_have")
    assert Vote.objects.filter(idea=idea, voter=customer).count() == 1
    assert vote_of(customer, idea).importance == "nice_to_have"
    stored = f.fresh(idea)
    assert (stored.vote_count, stored.demand) == (2, Decimal("3.00"))


@pytest.mark.django_db
def test_the_same_vote_twice_records_one_event(idea, portal):
    customer = f.portal_user(portal)
    services.vote_cast(actor=customer, idea=idea)
    services.vote_cast(actor=customer, idea=idea)
    assert IdeaEvent.objects.filter(idea=idea, kind=IdeaEvent.Kind.VOTED, actor=customer).count() == 1


@pytest.mark.django_db
def test_retracting_removes_the_vote_and_retracting_nothing_changes_nothing(idea, portal):
    customer = f.portal_user(portal)
    services.vote_cast(actor=customer, idea=idea)
    services.vote_retract(actor=customer, idea=idea)
    services.vote_retract(actor=customer, idea=idea)
    assert not Vote.objects.filter(idea=idea, voter=customer).exists()
    stored = f.fresh(idea)
    assert (stored.vote_count, stored.demand) == (1, Decimal("2.00"))
    assert IdeaEvent.objects.filter(idea=idea, kind=IdeaEvent.Kind.UNVOTED).count() == 1


@pytest.mark.django_db
def test_the_database_allows_one_vote_per_person_and_one_proxy_vote_per_company(idea, portal, contributor, workspace):
    customer = f.portal_user(portal)
    services.vote_cast(actor=customer, idea=idea)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(workspace=workspace, idea=idea, voter=customer)
    company = CompanyFactory(workspace=workspace)
    services.vote_proxy(actor=contributor, idea=idea, company=company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(workspace=workspace, idea=idea, company=company, proxy_by=contributor)


@pytest.mark.django_db
def test_vote_events_carry_ids_and_no_personal_data(idea, portal):
    customer = f.portal_user(portal, "secret.person@customer.example")
    vote = services.vote_cast(actor=customer, idea=idea, importance="critical")
    services.vote_cast(actor=customer, idea=idea, importance="important")
    services.vote_retract(actor=customer, idea=idea)
    events = list(IdeaEvent.objects.filter(idea=idea, actor=customer).order_by("id"))
    assert [(e.kind, e.payload) for e in events] == [
        (
            IdeaEvent.Kind.VOTED,
            {
                "idea": idea.pk,
                "title": "Export to CSV",
                "vote": vote.pk,
                "voter": customer.pk,
                "company": None,
                "importance": "critical",
                "changed": False,
            },
        ),
        (
            IdeaEvent.Kind.VOTED,
            {
                "idea": idea.pk,
                "title": "Export to CSV",
                "vote": vote.pk,
                "voter": customer.pk,
                "company": None,
                "importance": "important",
                "changed": True,
            },
        ),
        (IdeaEvent.Kind.UNVOTED, {"idea": idea.pk, "title": "Export to CSV", "vote": vote.pk, "voter": customer.pk}),
    ]
    assert all("secret" not in str(e.payload) for e in events)


@pytest.mark.django_db
def test_the_voters_company_comes_from_their_contact_else_their_account(idea, portal, workspace):
    contact = ContactFactory(workspace=workspace, company=CompanyFactory(workspace=workspace, tier="strategic"))
    other = CompanyFactory(workspace=workspace, tier="key")
    via_contact = f.portal_user(portal, contact=contact, company=other)
    via_company = f.portal_user(portal, company=other)
    nobody = f.portal_user(portal)
    assert services.vote_cast(actor=via_contact, idea=idea).company_id == contact.company_id
    assert services.vote_cast(actor=via_company, idea=idea).company_id == other.pk
    assert services.vote_cast(actor=nobody, idea=idea).company_id is None
    # important (2) × (member 1 + strategic 3 + key 2 + no company 1)
    assert f.fresh(idea).demand == Decimal("14.00")


@pytest.mark.django_db
def test_members_votes_have_no_company(idea, portal, contributor):
    assert services.vote_cast(actor=contributor, idea=idea).company_id is None


@pytest.mark.django_db
def test_people_who_may_only_read_cannot_vote(idea, portal):
    unverified = f.portal_user(portal, verified=False)
    for person in (AnonymousUser(), unverified):
        with pytest.raises(PermissionDenied, match="Sign in"):
            services.vote_cast(actor=person, idea=idea)
    assert f.fresh(idea).vote_count == 1


@pytest.mark.django_db
def test_people_outside_a_private_portal_get_not_found(leader, workspace, pm):
    private = f.portal(leader, workspace, slug="private", visibility=Visibility.PRIVATE)
    idea = f.idea(pm, private, "Secret plan")
    other = f.portal(leader, workspace, slug="public")
    stranger = f.portal_user(other)
    with pytest.raises(NotFound):
        services.vote_cast(actor=stranger, idea=idea)


@pytest.mark.django_db
def test_nobody_votes_on_an_idea_they_cannot_see(leader, workspace):
    portal = f.portal(leader, workspace, slug="moderated", require_approval=True)
    author = f.portal_user(portal)
    waiting = f.idea(author, portal, "Waiting for approval")
    with pytest.raises(NotFound):
        services.vote_cast(actor=f.portal_user(portal), idea=waiting)


@pytest.mark.django_db
def test_voting_on_a_merged_idea_names_the_target(idea, portal, pm):
    target = f.idea(pm, portal, "Export to Excel")
    Idea.objects.filter(pk=idea.pk).update(merged_into=target)
    idea.refresh_from_db()
    with pytest.raises(Conflict, match=f"merged into “Export to Excel” \\(idea {target.pk}\\)"):
        services.vote_cast(actor=f.portal_user(portal), idea=idea)


@pytest.mark.django_db
def test_importance_must_be_one_of_the_three(idea, portal):
    with pytest.raises(ValidationFailed) as exc:
        services.vote_cast(actor=f.portal_user(portal), idea=idea, importance="urgent")
    assert exc.value.fields == {"importance": ["Choose one of nice_to_have, important, critical."]}


@pytest.mark.django_db
def test_a_voter_follows_the_idea_unless_they_unfollowed_it_before(idea, portal):
    keen = f.portal_user(portal)
    services.vote_cast(actor=keen, idea=idea)
    sub = Subscription.objects.get(idea=idea, user=keen)
    assert (sub.reason, sub.unsubscribed_at) == ("voted", None)

    quiet = f.portal_user(portal)
    services.idea_unfollow(actor=quiet, idea=idea)
    services.vote_cast(actor=quiet, idea=idea)
    sub = Subscription.objects.get(idea=idea, user=quiet)
    assert sub.unsubscribed_at is not None


# --- proxy votes ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_contributor_votes_for_a_company_and_its_contact_follows(idea, contributor, workspace):
    company = CompanyFactory(workspace=workspace, tier="strategic")
    contact = ContactFactory(workspace=workspace, company=company)
    vote = services.vote_proxy(actor=contributor, idea=idea, company=company, contact=contact, importance="critical")
    assert (vote.voter_id, vote.company_id, vote.contact_id, vote.proxy_by_id, vote.importance) == (
        None,
        company.pk,
        contact.pk,
        contributor.pk,
        "critical",
    )
    stored = f.fresh(idea)
    assert (stored.vote_count, stored.demand) == (2, Decimal("14.00"))  # 2 + critical 4 × strategic 3
    assert Subscription.objects.filter(idea=idea, contact=contact, reason="voted").count() == 1
    event = IdeaEvent.objects.filter(idea=idea, kind=IdeaEvent.Kind.VOTED).latest("id")
    assert event.payload["proxy"] is True and event.payload["company"] == company.pk


@pytest.mark.django_db
def test_a_second_proxy_vote_for_the_company_changes_the_first(idea, contributor, pm, workspace):
    company = CompanyFactory(workspace=workspace, tier="standard")
    services.vote_proxy(actor=contributor, idea=idea, company=company)
    services.vote_proxy(actor=pm, idea=idea, company=company, importance="nice_to_have")
    votes = Vote.objects.filter(idea=idea, voter__isnull=True)
    assert [(v.company_id, v.importance, v.proxy_by_id) for v in votes] == [(company.pk, "nice_to_have", pm.pk)]
    assert f.fresh(idea).vote_count == 2


@pytest.mark.django_db
def test_proxy_retract_removes_the_companys_vote(idea, contributor, workspace):
    company = CompanyFactory(workspace=workspace)
    services.vote_proxy(actor=contributor, idea=idea, company=company)
    services.vote_proxy_retract(actor=contributor, idea=idea, company=company)
    assert not Vote.objects.filter(idea=idea, voter__isnull=True).exists()
    assert f.fresh(idea).vote_count == 1


@pytest.mark.django_db
def test_proxy_votes_need_the_right_to_submit_for_customers(idea, viewer, portal, workspace):
    company = CompanyFactory(workspace=workspace)
    with pytest.raises(PermissionDenied):
        services.vote_proxy(actor=viewer, idea=idea, company=company)
    with pytest.raises(NotFound):
        services.vote_proxy(actor=f.portal_user(portal), idea=idea, company=company)
    assert not Vote.objects.filter(idea=idea, voter__isnull=True).exists()


@pytest.mark.django_db
def test_the_proxied_contact_must_work_at_the_company(idea, contributor, workspace, other_workspace):
    company = CompanyFactory(workspace=workspace, name="Initech")
    elsewhere = ContactFactory(workspace=workspace, company=CompanyFactory(workspace=workspace), name="Bill")
    with pytest.raises(ValidationFailed) as exc:
        services.vote_proxy(actor=contributor, idea=idea, company=company, contact=elsewhere)
    assert exc.value.message == "contact: Bill does not work at Initech."
    foreign = CompanyFactory(workspace=other_workspace)
    with pytest.raises(ValidationFailed) as exc:
        services.vote_proxy(actor=contributor, idea=idea, company=foreign)
    assert exc.value.fields == {"company": ["Choose a company of this workspace."]}


# --- demand and trending ----------------------------------------------------------------------


def test_demand_weight_multiplies_importance_by_the_companys_weight():
    settings = DemandSettings()  # defaults: 1/2/4; tier 3/2/1; ARR step 100,000; no company 1
    strategic = CompanyFactory.build(tier="strategic", arr=Decimal("250000"))
    standard = CompanyFactory.build(tier="standard", arr=Decimal("0"))
    assert demand_weight(settings, "critical", strategic) == Decimal("12")
    assert demand_weight(settings, "nice_to_have", standard) == Decimal("1")
    assert demand_weight(settings, "important", None) == Decimal("2")
    settings.company_basis = CompanyBasis.ARR
    assert demand_weight(settings, "critical", strategic) == Decimal("14")  # 4 × (1 + 2.5)
    settings.company_basis = CompanyBasis.NONE
    assert demand_weight(settings, "critical", strategic) == Decimal("4")
    settings.no_company_weight = Decimal("0.5")
    assert demand_weight(settings, "important", None) == Decimal("1")


@pytest.mark.django_db
def test_changing_the_weights_recomputes_every_idea(leader, idea, portal, workspace, contributor):
    big = CompanyFactory(workspace=workspace, tier="key", arr=Decimal("300000"))
    services.vote_proxy(actor=contributor, idea=idea, company=big, importance="critical")
    second = f.idea(contributor, portal, "Dark mode", importance="nice_to_have")
    assert (f.fresh(idea).demand, f.fresh(second).demand) == (Decimal("10.00"), Decimal("1.00"))
    services.demand_settings_update(
        actor=leader, workspace=workspace, company_basis="arr", arr_step="200000", nice_to_have_weight="0.5"
    )
    # idea: member important 2 × 1 + critical 4 × (1 + 300000/200000 = 2.5) = 12; second: 0.5 × 1
    assert (f.fresh(idea).demand, f.fresh(second).demand) == (Decimal("12.00"), Decimal("0.50"))
    services.idea_recount(idea.pk)
    assert f.fresh(idea).demand == Decimal("12.00")


@pytest.mark.django_db
def test_demand_settings_need_portal_management_and_valid_numbers(pm, leader, workspace):
    with pytest.raises(PermissionDenied):
        services.demand_settings_update(actor=pm, workspace=workspace, critical_weight="5")
    with pytest.raises(ValidationFailed) as exc:
        services.demand_settings_update(actor=leader, workspace=workspace, critical_weight="-1")
    assert exc.value.fields == {"critical_weight": ["Give a number from 0 to 9999.99."]}
    with pytest.raises(ValidationFailed) as exc:
        services.demand_settings_update(actor=leader, workspace=workspace, arr_step="0")
    assert exc.value.fields == {"arr_step": ["Give a number from 1 to 999999999999.99."]}
    with pytest.raises(ValidationFailed) as exc:
        services.demand_settings_update(actor=leader, workspace=workspace, company_basis="revenue")
    assert exc.value.fields == {"company_basis": ["Choose one of none, tier, arr."]}
    assert services.demand_settings_get(workspace=workspace).critical_weight == Decimal("4.00")


@pytest.mark.django_db
def test_trending_is_log_votes_plus_age_term(idea, portal):
    for _ in range(9):
        services.vote_cast(actor=f.portal_user(portal), idea=idea)
    stored = f.fresh(idea)
    expected = math.log10(10) + (stored.created_at.timestamp() - 1_700_000_000) / 45000
    assert stored.vote_count == 10
    assert stored.trending == pytest.approx(expected, abs=1e-9)
    assert stored.trending == pytest.approx(trending_score(10, stored.created_at), abs=1e-12)


@pytest.mark.django_db
def test_recount_is_one_aggregate_and_one_update(idea, django_assert_num_queries):
    settings = services.demand_settings_get(workspace=idea.workspace_id)
    with django_assert_num_queries(3):  # the idea's creation time, the aggregate, the update
        services.idea_recount(idea.pk, settings)

"""Submitting ideas (also on a customer's behalf), editing and deleting, moderation, status, following."""

from __future__ import annotations

from decimal import Decimal

import pytest

from headway.backlog.tests import factories as backlog
from headway.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas import services
from headway.ideas.models import (
    Approval,
    Audience,
    Idea,
    IdeaCategory,
    IdeaComment,
    IdeaEvent,
    IdeaStatus,
    RateEvent,
    Subscription,
    Vote,
)
from headway.ideas.tests import factories as f


@pytest.fixture
def portal(leader, workspace):
    return f.portal(leader, workspace, slug="feedback")


def status(workspace, category):
    return IdeaStatus.objects.filter(workspace=workspace, category=category).order_by("position").first()


def audits(action):
    return list(AuditEvent.objects.filter(action=action).values_list("changes", flat=True))


# --- submitting -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_portal_user_submits_votes_and_follows_their_idea(portal, workspace):
    partner = f.portal_user(portal, audience=Audience.PARTNER)
    idea = services.idea_create(
        actor=partner,
        portal=portal,
        title="  Export to CSV  ",
        description="From the *reports* page.",
        importance="critical",
        ip_address="203.0.113.9",
    )
    stored = f.fresh(idea)
    assert (stored.title, stored.description, stored.submitter_id, stored.entered_by_id) == (
        "Export to CSV",
        "From the *reports* page.",
        partner.pk,
        None,
    )
    assert (stored.audience, stored.approval, stored.status.name) == ("partner", "approved", "New")
    assert (stored.vote_count, stored.demand) == (1, Decimal("4.00"))
    assert list(Vote.objects.filter(idea=idea).values_list("voter_id", "importance")) == [(partner.pk, "critical")]
    assert list(Subscription.objects.filter(idea=idea).values_list("user_id", "reason")) == [(partner.pk, "submitted")]
    event = IdeaEvent.objects.get(idea=idea, kind=IdeaEvent.Kind.CREATED)
    assert event.actor_id == partner.pk
    assert event.payload == {
        "idea": idea.pk,
        "title": "Export to CSV",
        "portal": portal.pk,
        "status": "New",
        "audience": "partner",
        "approval": "approved",
        "on_behalf": False,
        "company": None,
        "contact": None,
    }
    assert stored.trending > 0
    assert sorted(RateEvent.objects.values_list("bucket", "key")) == [
        ("idea_ip", "203.0.113.9"),
        ("idea_person", str(partner.pk)),
    ]


@pytest.mark.django_db
def test_members_ideas_are_internal_and_never_wait_for_approval(leader, workspace, contributor):
    portal = f.portal(leader, workspace, slug="moderated", require_approval=True)
    mine = f.idea(contributor, portal, "Faster search")
    assert (mine.audience, mine.approval, mine.submitter_id) == ("internal", "approved", contributor.pk)
    theirs = f.idea(f.portal_user(portal), portal, "Slower search")
    assert (theirs.audience, theirs.approval) == ("customer", "pending")
    assert not RateEvent.objects.filter(key=str(contributor.pk)).exists()  # staff are not rate-limited


@pytest.mark.django_db
def test_a_filled_honeypot_writes_nothing_and_says_little(portal):
    person = f.portal_user(portal)
    with pytest.raises(ValidationFailed) as exc:
        services.idea_create(actor=person, portal=portal, title="Buy cheap pills", honeypot="http://spam.example")
    assert (exc.value.code, exc.value.message, exc.value.status) == (
        "spam",
        "We could not accept this idea. Please try again.",
        422,
    )
    assert Idea.objects.count() == 0
    assert RateEvent.objects.count() == 0
    assert IdeaEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("title", "description", "field", "message"),
    [
        ("  ab  ", "", "title", "Use at least 3 characters."),
        ("x" * 201, "", "title", "Use at most 200 characters."),
        (None, "", "title", "Give a title."),
        ("Fine title", "y" * 20_001, "description", "Use at most 20,000 characters."),
    ],
)
def test_title_and_description_lengths(portal, title, description, field, message):
    with pytest.raises(ValidationFailed) as exc:
        services.idea_create(actor=f.portal_user(portal), portal=portal, title=title, description=description)
    assert exc.value.fields == {field: [message]}
    assert Idea.objects.count() == 0


@pytest.mark.django_db
def test_the_longest_title_and_description_are_accepted(portal):
    idea = services.idea_create(actor=f.portal_user(portal), portal=portal, title="t" * 200, description="d" * 20_000)
    assert (len(idea.title), len(idea.description)) == (200, 20_000)


@pytest.mark.django_db
def test_the_product_must_be_one_the_portal_covers(leader, workspace, other_workspace, member):
    pay = backlog.product(leader, workspace, key="PAY")
    crm = backlog.product(leader, workspace, key="CRM")
    covering = f.portal(leader, workspace, slug="pay-only", products=[pay])
    person = f.portal_user(covering)
    assert f.idea(person, covering, "Refunds", product=pay).product_id == pay.pk
    assert f.idea(person, covering, "Refunds by id", product=pay.pk).product_id == pay.pk
    with pytest.raises(ValidationFailed) as exc:
        f.idea(person, covering, "Leads", product=crm)
    assert exc.value.fields == {"product": ["This portal does not cover “Product CRM”."]}
    everything = f.portal(leader, workspace, slug="all")
    assert f.idea(f.portal_user(everything), everything, "Leads", product=crm).product_id == crm.pk
    stranger_admin = member("admin", ws=other_workspace)
    foreign = backlog.product(stranger_admin, other_workspace, key="GLX")
    with pytest.raises(ValidationFailed) as exc:
        f.idea(f.portal_user(everything), everything, "Foreign", product=foreign)
    assert exc.value.fields == {"product": ["Choose a product of this workspace."]}


@pytest.mark.django_db
def test_the_category_must_be_of_the_workspace(portal, leader, workspace, other_workspace):
    mine = services.idea_category_create(actor=leader, workspace=workspace, name="Reporting")
    theirs = IdeaCategory.objects.create(workspace=other_workspace, name="Reporting")
    person = f.portal_user(portal)
    assert f.idea(person, portal, "Charts", category=mine).category_id == mine.pk
    with pytest.raises(ValidationFailed) as exc:
        f.idea(person, portal, "Graphs", category=theirs.pk)
    assert exc.value.fields == {"category": ["Choose a category of this workspace."]}


@pytest.mark.django_db
def test_a_contributor_files_an_idea_for_a_customer_contact(portal, contributor, workspace):
    company = CompanyFactory(workspace=workspace, tier="key")
    contact = ContactFactory(workspace=workspace, company=company)
    idea = f.idea(contributor, portal, "SSO with Okta", on_behalf_contact=contact, importance="critical")
    stored = f.fresh(idea)
    assert (stored.submitter_id, stored.entered_by_id) == (None, contributor.pk)
    assert (stored.on_behalf_contact_id, stored.on_behalf_company_id) == (contact.pk, company.pk)
    assert stored.audience == "customer"
    assert list(Vote.objects.filter(idea=idea).values_list("voter_id", "company_id", "contact_id", "proxy_by_id")) == [
        (None, company.pk, contact.pk, contributor.pk)
    ]
    assert (stored.vote_count, stored.demand) == (1, Decimal("8.00"))  # critical 4 × key 2
    assert list(Subscription.objects.filter(idea=idea).values_list("user_id", "contact_id", "reason")) == [
        (None, contact.pk, "submitted")
    ]
    assert IdeaEvent.objects.get(idea=idea, kind="idea.created").payload["on_behalf"] is True
    assert audits("idea.create") == [
        {
            "title": [None, "SSO with Okta"],
            "on_behalf_company": [None, company.name],
            "on_behalf_contact": [None, str(contact)],
        }
    ]


@pytest.mark.django_db
def test_filing_for_a_company_alone_takes_the_given_audience(portal, contributor, workspace):
    company = CompanyFactory(workspace=workspace, tier="standard")
    idea = f.idea(contributor, portal, "Reseller pricing", on_behalf_company=company.pk, audience="partner")
    assert (idea.audience, idea.on_behalf_contact_id, idea.on_behalf_company_id) == ("partner", None, company.pk)
    assert not Subscription.objects.filter(idea=idea).exists()
    assert Vote.objects.get(idea=idea).company_id == company.pk


@pytest.mark.django_db
def test_filing_on_behalf_needs_the_right_and_a_matching_contact(portal, viewer, contributor, workspace):
    company = CompanyFactory(workspace=workspace, name="Initech")
    contact = ContactFactory(workspace=workspace, company=CompanyFactory(workspace=workspace), name="Bill")
    with pytest.raises(PermissionDenied, match="on a customer's behalf"):
        f.idea(viewer, portal, "For them", on_behalf_company=company)
    with pytest.raises(PermissionDenied, match="on a customer's behalf"):
        f.idea(f.portal_user(portal), portal, "For them", on_behalf_company=company)
    with pytest.raises(ValidationFailed) as exc:
        f.idea(contributor, portal, "For them", on_behalf_company=company, on_behalf_contact=contact)
    assert exc.value.fields == {"on_behalf_contact": ["Bill does not work at Initech."]}
    assert Idea.objects.count() == 0


@pytest.mark.django_db
def test_people_who_have_not_verified_cannot_submit(portal):
    with pytest.raises(PermissionDenied, match="Sign in"):
        f.idea(f.portal_user(portal, verified=False), portal, "Hello there")


@pytest.mark.django_db
def test_eleventh_idea_in_an_hour_is_refused_with_the_wait(portal):
    person = f.portal_user(portal)
    for i in range(10):
        f.idea(person, portal, f"Idea number {i}")
    with pytest.raises(RateLimited) as exc:
        f.idea(person, portal, "One too many")
    assert exc.value.message == "Too many ideas from you in the last hour; try again in 60 minutes."
    assert exc.value.status == 429
    assert Idea.objects.filter(submitter=person).count() == 10


@pytest.mark.django_db
def test_ideas_per_address_are_limited_across_people(portal, settings):
    settings.HEADWAY_IDEAS_PER_IP_PER_HOUR = 2
    for i in range(2):
        f.idea(f.portal_user(portal), portal, f"Office idea {i}", ip_address="198.51.100.7")
    with pytest.raises(RateLimited, match="Too many ideas from your network in the last hour"):
        f.idea(f.portal_user(portal), portal, "Third from the office", ip_address="198.51.100.7")
    f.idea(f.portal_user(portal), portal, "From home", ip_address="198.51.100.8")
    assert Idea.objects.count() == 3


# --- editing and deleting ---------------------------------------------------------------------


@pytest.mark.django_db
def test_authors_edit_their_idea_until_someone_else_votes(portal):
    author = f.portal_user(portal)
    idea = f.idea(author, portal, "Export to CSV")
    services.idea_update(actor=author, idea=idea, title="Export to CSV and Excel", description="Both")
    stored = f.fresh(idea)
    assert (stored.title, stored.description) == ("Export to CSV and Excel", "Both")
    assert IdeaEvent.objects.get(idea=idea, kind="idea.updated").payload["fields"] == ["description", "title"]
    assert audits("idea.update") == []  # authors' own edits are not staff edits
    services.vote_cast(actor=f.portal_user(portal), idea=idea)
    with pytest.raises(Conflict, match="Other people have voted for this idea"):
        services.idea_update(actor=author, idea=idea, title="Something else")
    with pytest.raises(Conflict):
        services.idea_delete(actor=author, idea=idea)
    assert f.fresh(idea).title == "Export to CSV and Excel"


@pytest.mark.django_db
def test_authors_cannot_change_the_audience_and_others_cannot_edit(portal):
    author = f.portal_user(portal)
    idea = f.idea(author, portal, "Export to CSV")
    with pytest.raises(ValidationFailed) as exc:
        services.idea_update(actor=author, idea=idea, audience="internal")
    assert list(exc.value.fields) == ["audience"]
    with pytest.raises(PermissionDenied, match=r"^Only its author or the team may edit this idea[.]$"):
        services.idea_update(actor=f.portal_user(portal), idea=idea, title="Mine now")


@pytest.mark.django_db
def test_staff_edit_any_idea_at_any_time_with_an_audit_record(portal, pm, contributor):
    author = f.portal_user(portal)
    idea = f.idea(author, portal, "Export to CSV")
    services.vote_cast(actor=f.portal_user(portal), idea=idea)
    services.idea_update(actor=pm, idea=idea, title="CSV export", audience="partner")
    assert (idea.title, idea.audience) == ("CSV export", "partner")
    assert audits("idea.update") == [{"title": ["Export to CSV", "CSV export"], "audience": ["customer", "partner"]}]
    with pytest.raises(PermissionDenied):  # a contributor is staff but does not manage ideas
        services.idea_update(actor=contributor, idea=idea, title="Nope")


@pytest.mark.django_db
def test_deleting_hides_the_idea_and_keeps_the_row(portal, pm):
    author = f.portal_user(portal)
    own = f.idea(author, portal, "Typo idea")
    services.idea_delete(actor=author, idea=own)
    assert f.fresh(own).deleted_at is not None
    other = f.idea(f.portal_user(portal), portal, "Spammy idea")
    services.idea_delete(actor=pm, idea=other)
    assert f.fresh(other).deleted_at is not None
    assert audits("idea.delete") == [{"deleted": [False, True]}]
    assert IdeaEvent.objects.filter(kind="idea.deleted").count() == 2
    with pytest.raises(NotFound):
        services.idea_update(actor=pm, idea=other, title="Back")
    with pytest.raises(NotFound):
        services.vote_cast(actor=f.portal_user(portal), idea=f.fresh(other))


# --- moderation and status --------------------------------------------------------------------


@pytest.mark.django_db
def test_approving_and_rejecting_ideas(leader, workspace, pm, contributor):
    portal = f.portal(leader, workspace, slug="moderated", require_approval=True)
    idea = f.idea(f.portal_user(portal), portal, "Waiting idea")
    with pytest.raises(PermissionDenied):
        services.idea_approve(actor=contributor, idea=idea)
    services.idea_approve(actor=pm, idea=idea)
    services.idea_approve(actor=pm, idea=idea)
    assert f.fresh(idea).approval == Approval.APPROVED
    assert IdeaEvent.objects.filter(idea=idea, kind="idea.approved").count() == 1
    services.idea_reject(actor=pm, idea=idea)
    assert f.fresh(idea).approval == Approval.REJECTED
    assert audits("idea.approve") == [{"approval": ["Waiting for approval", "Approved"]}]
    assert audits("idea.reject") == [{"approval": ["Approved", "Rejected"]}]


@pytest.mark.django_db
def test_a_status_change_with_a_message_records_one_event_and_an_official_comment(portal, pm, workspace):
    idea = f.idea(f.portal_user(portal), portal, "Dark mode")
    planned = status(workspace, "planned")
    services.idea_status_change(actor=pm, idea=idea, status=planned, message="  Coming in the spring release.  ")
    stored = f.fresh(idea)
    assert (stored.status_id, stored.comment_count) == (planned.pk, 1)
    assert stored.status_changed_at is not None
    comment = IdeaComment.objects.get(idea=idea)
    assert (comment.body, comment.is_official, comment.is_internal, comment.author_id) == (
        "Coming in the spring release.",
        True,
        False,
        pm.pk,
    )
    events = list(IdeaEvent.objects.filter(idea=idea).exclude(kind__in=["idea.created", "idea.voted"]))
    assert [(e.kind, e.payload) for e in events] == [
        (
            "idea.status_changed",
            {
                "idea": idea.pk,
                "title": "Dark mode",
                "from": "New",
                "to": "Planned",
                "from_category": "new",
                "to_category": "planned",
                "message": "Coming in the spring release.",
                "comment": comment.pk,
            },
        )
    ]
    assert audits("idea.status_change") == [{"status": ["New", "Planned"]}]


@pytest.mark.django_db
def test_moving_to_a_shipped_status_records_shipped_with_the_public_labels(portal, pm, workspace):
    idea = f.idea(f.portal_user(portal), portal, "Dark mode")
    declined = status(workspace, "declined")
    services.idea_status_change(actor=pm, idea=idea, status=declined.pk)
    services.idea_status_change(actor=pm, idea=idea, status=status(workspace, "shipped"))
    services.idea_status_change(actor=pm, idea=idea, status=status(workspace, "shipped"))  # no change, no event
    kinds = list(
        IdeaEvent.objects.filter(idea=idea, kind__in=["idea.status_changed", "idea.shipped"])
        .order_by("id")
        .values_list("kind", "payload__from", "payload__to")
    )
    assert kinds == [("idea.status_changed", "New", "Not planned"), ("idea.shipped", "Not planned", "Shipped")]
    assert f.fresh(idea).comment_count == 0


@pytest.mark.django_db
def test_status_changes_need_idea_management_and_a_status_of_the_workspace(portal, contributor, pm, other_workspace):
    idea = f.idea(f.portal_user(portal), portal, "Dark mode")
    services.idea_statuses_ensure(workspace=other_workspace)
    foreign = IdeaStatus.objects.filter(workspace=other_workspace).first()
    with pytest.raises(PermissionDenied):
        services.idea_status_change(actor=contributor, idea=idea, status=foreign)
    with pytest.raises(ValidationFailed) as exc:
        services.idea_status_change(actor=pm, idea=idea, status=foreign)
    assert exc.value.fields == {"status": ["Choose an idea status of this workspace."]}


# --- following --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_follow_and_unfollow_keep_one_row(portal, pm):
    idea = f.idea(pm, portal, "Dark mode")
    person = f.portal_user(portal)
    sub = services.idea_follow(actor=person, idea=idea)
    assert (sub.reason, sub.unsubscribed_at) == ("followed", None)
    services.idea_unfollow(actor=person, idea=idea)
    assert Subscription.objects.get(idea=idea, user=person).unsubscribed_at is not None
    again = services.idea_follow(actor=person, idea=idea)
    assert again.pk == sub.pk and again.unsubscribed_at is None
    assert Subscription.objects.filter(idea=idea, user=person).count() == 1


@pytest.mark.django_db
def test_unfollowing_the_own_idea_stops_the_submitted_subscription(portal):
    author = f.portal_user(portal)
    idea = f.idea(author, portal, "Dark mode")
    services.idea_unfollow(actor=author, idea=idea)
    sub = Subscription.objects.get(idea=idea, user=author)
    assert sub.reason == "submitted" and sub.unsubscribed_at is not None


@pytest.mark.django_db
def test_readers_cannot_follow(portal, pm):
    idea = f.idea(pm, portal, "Dark mode")
    with pytest.raises(PermissionDenied):
        services.idea_follow(actor=f.portal_user(portal, verified=False), idea=idea)

"""Portal reads: the idea list (sorts, filters, pages, query count), one idea, roadmap, changelog."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from headway.core.errors import NotFound
from headway.core.permissions import PortalAccess, portal_access
from headway.ideas import selectors, services
from headway.ideas.models import Idea, IdeaStatus
from headway.ideas.tests import factories as f


@pytest.fixture
def portal(leader, workspace):
    return f.portal(leader, workspace, slug="feedback")


def titles(page):
    return [i.title for i in page["items"]]


def status(workspace, category):
    return IdeaStatus.objects.filter(workspace=workspace, category=category).order_by("position").first()


@pytest.fixture
def three(portal, pm):
    """Three ideas with 1, 3 and 2 votes, created in this order an hour apart."""
    ideas = [f.idea(pm, portal, title) for title in ("Alpha export", "Beta search", "Gamma export")]
    for idea, extra in zip(ideas, (0, 2, 1), strict=True):
        for _ in range(extra):
            services.vote_cast(actor=f.portal_user(portal), idea=idea)
    now = timezone.now()
    for hours, idea in zip((3, 2, 1), ideas, strict=True):
        Idea.objects.filter(pk=idea.pk).update(created_at=now - dt.timedelta(hours=hours))
        services.idea_recount(idea.pk)
    return ideas


@pytest.mark.django_db
def test_the_list_sorts_by_votes_trending_and_newest(portal, three):
    anon = AnonymousUser()
    access = portal_access(anon, portal)
    page = selectors.portal_idea_page(user=anon, portal=portal, access=access)
    assert titles(page) == ["Beta search", "Gamma export", "Alpha export"]
    assert (page["page"], page["pages"], page["total"]) == (1, 1, 3)
    newest = selectors.portal_idea_page(user=anon, portal=portal, access=access, sort="newest")
    assert titles(newest) == ["Gamma export", "Beta search", "Alpha export"]
    trending = selectors.portal_idea_page(user=anon, portal=portal, access=access, sort="trending")
    # log10(3) - log10(2) = 0.18 outweighs one hour (3600 / 45000 = 0.08): Beta leads, then Gamma.
    assert titles(trending) == ["Beta search", "Gamma export", "Alpha export"]


@pytest.mark.django_db
def test_the_list_filters_by_text_status_category_and_product(portal, three, pm, workspace, leader):
    anon = AnonymousUser()
    access = portal_access(anon, portal)
    page = selectors.portal_idea_page(user=anon, portal=portal, access=access, q="EXPORT")
    assert titles(page) == ["Gamma export", "Alpha export"]
    services.idea_status_change(actor=pm, idea=three[0], status=status(workspace, "planned"))
    planned = selectors.portal_idea_page(user=anon, portal=portal, access=access, status_category="planned")
    assert titles(planned) == ["Alpha export"]
    bogus = selectors.portal_idea_page(user=anon, portal=portal, access=access, status_category="bogus")
    assert (titles(bogus), bogus["total"]) == ([], 0)
    reporting = services.idea_category_create(actor=leader, workspace=workspace, name="Reporting")
    services.idea_update(actor=pm, idea=three[2], category=reporting)
    by_category = selectors.portal_idea_page(user=anon, portal=portal, access=access, category_id=reporting.pk)
    assert titles(by_category) == ["Gamma export"]
    assert selectors.portal_idea_page(user=anon, portal=portal, access=access, product_id=999)["total"] == 0


@pytest.mark.django_db
def test_the_list_pages_exactly_and_clamps_the_page_number(portal, pm):
    for i in range(7):
        f.idea(pm, portal, f"Idea {i}")
    anon = AnonymousUser()
    access = portal_access(anon, portal)
    second = selectors.portal_idea_page(user=anon, portal=portal, access=access, sort="newest", page=2, page_size=3)
    assert (titles(second), second["page"], second["pages"], second["total"]) == (
        ["Idea 3", "Idea 2", "Idea 1"],
        2,
        3,
        7,
    )
    past = selectors.portal_idea_page(user=anon, portal=portal, access=access, sort="newest", page=99, page_size=3)
    assert (titles(past), past["page"]) == (["Idea 0"], 3)
    junk = selectors.portal_idea_page(user=anon, portal=portal, access=access, page="x")
    assert (junk["page"], len(junk["items"])) == (1, 7)


@pytest.mark.django_db
def test_the_list_leaves_out_merged_deleted_and_others_waiting_ideas(leader, workspace, pm):
    portal = f.portal(leader, workspace, slug="moderated", require_approval=True)
    author = f.portal_user(portal)
    f.idea(author, portal, "Waiting")
    target = f.idea(pm, portal, "Target")
    merged = f.idea(pm, portal, "Merged away")
    Idea.objects.filter(pk=merged.pk).update(merged_into=target)
    services.idea_delete(actor=pm, idea=f.idea(pm, portal, "Deleted"))

    def seen(user):
        page = selectors.portal_idea_page(user=user, portal=portal, access=portal_access(user, portal))
        return sorted(titles(page)), page["total"]

    assert seen(AnonymousUser()) == (["Target"], 1)
    assert seen(author) == (["Target", "Waiting"], 2)
    assert seen(pm) == (["Target", "Waiting"], 2)


@pytest.mark.django_db
def test_a_page_costs_two_queries_whatever_it_shows(portal, three, django_assert_num_queries):
    anon = AnonymousUser()
    access = portal_access(anon, portal)
    with django_assert_num_queries(2):  # the count and the page with status, category and product
        page = selectors.portal_idea_page(user=anon, portal=portal, access=access, q="a", sort="trending")
        shown = [(i.title, i.status.public_label, i.category, i.product) for i in page["items"]]
    assert len(shown) == 3


@pytest.mark.django_db
def test_one_idea_for_the_portal(portal, pm, leader, workspace):
    idea = f.idea(pm, portal, "Dark mode")
    anon = AnonymousUser()
    access = portal_access(anon, portal)
    assert selectors.idea_for_portal(user=anon, portal=portal, access=access, pk=idea.pk).pk == idea.pk
    other = f.portal(leader, workspace, slug="other")
    with pytest.raises(NotFound):
        selectors.idea_for_portal(user=anon, portal=other, access=portal_access(anon, other), pk=idea.pk)
    with pytest.raises(NotFound):
        selectors.idea_for_portal(user=anon, portal=portal, access=PortalAccess.NONE, pk=idea.pk)


@pytest.mark.django_db
def test_my_vote_and_following(portal, pm):
    idea = f.idea(pm, portal, "Dark mode")
    person = f.portal_user(portal)
    assert (selectors.my_vote(person, idea), selectors.is_following(person, idea)) == (None, False)
    services.vote_cast(actor=person, idea=idea, importance="critical")
    assert selectors.my_vote(person, idea).importance == "critical"
    assert selectors.is_following(person, idea) is True
    services.idea_unfollow(actor=person, idea=idea)
    assert selectors.is_following(person, idea) is False
    assert selectors.my_vote(AnonymousUser(), idea) is None


@pytest.mark.django_db
def test_roadmap_and_changelog(portal, pm, workspace):
    planned, doing, shipped, old = (f.idea(pm, portal, t) for t in ("Planned one", "Doing one", "Shipped", "Old"))
    services.idea_status_change(actor=pm, idea=planned, status=status(workspace, "planned"))
    services.idea_status_change(actor=pm, idea=doing, status=status(workspace, "in_progress"))
    services.idea_status_change(actor=pm, idea=shipped, status=status(workspace, "shipped"))
    services.idea_status_change(actor=pm, idea=old, status=status(workspace, "shipped"))
    Idea.objects.filter(pk=old.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=91))
    anon = AnonymousUser()
    access = portal_access(anon, portal)
    roadmap = selectors.portal_roadmap(user=anon, portal=portal, access=access)
    assert {k: [i.title for i in v] for k, v in roadmap.items()} == {
        "planned": ["Planned one"],
        "in_progress": ["Doing one"],
        "shipped": ["Shipped"],
    }
    assert [i.title for i in selectors.portal_changelog(user=anon, portal=portal, access=access)] == ["Shipped"]
    assert [i.title for i in selectors.portal_changelog(user=anon, portal=portal, access=access, days=100)] == [
        "Shipped",
        "Old",
    ]


@pytest.mark.django_db
def test_portal_by_slug_and_the_workspaces_portals(portal, pm, outsider, workspace):
    assert selectors.portal_by_slug("FEEDBACK").pk == portal.pk
    with pytest.raises(NotFound):
        selectors.portal_by_slug("nope")
    assert list(selectors.portals_for_workspace(user=pm, workspace=workspace)) == [portal]
    with pytest.raises(NotFound):
        selectors.portals_for_workspace(user=outsider, workspace=workspace)


@pytest.mark.django_db
def test_staff_lists_and_the_moderation_queue(leader, workspace, pm, outsider):
    portal = f.portal(leader, workspace, slug="moderated", require_approval=True)
    waiting = f.idea(f.portal_user(portal), portal, "Waiting one")
    f.idea(pm, portal, "Published one")
    assert [i.title for i in selectors.moderation_queue(user=pm, workspace=workspace)] == ["Waiting one"]
    assert [i.title for i in selectors.staff_ideas(user=pm, workspace=workspace, sort="newest")] == [
        "Published one",
        "Waiting one",
    ]
    assert [i.pk for i in selectors.staff_ideas(user=pm, workspace=workspace, approval="pending")] == [waiting.pk]
    assert [i.title for i in selectors.staff_ideas(user=pm, workspace=workspace, q="publ")] == ["Published one"]
    with pytest.raises(NotFound):
        selectors.moderation_queue(user=outsider, workspace=workspace)

"""The portal's pages under /p/<slug>/: what people see and what each form does, with and
without htmx."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from headway.accounts.tests.factories import PASSWORD, UserFactory
from headway.customers.tests.factories import CompanyFactory
from headway.ideas import services
from headway.ideas.models import (
    Approval,
    Idea,
    IdeaComment,
    IdeaEvent,
    PortalAccount,
    StatusCategory,
    Subscription,
    Vote,
)
from headway.ideas.tests import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(portal, name, **kwargs):
    return reverse(f"portal:{name}", kwargs={"portal": portal.slug, **kwargs})


@pytest.fixture
def portal(admin, workspace):
    return f.portal(admin, workspace, slug="acme-ideas", name="Acme Ideas", intro="Tell us **everything**.")


@pytest.fixture
def ann(portal):
    return f.portal_user(portal, "ann@customer.test", full_name="Ann Customer")


@pytest.fixture
def bob(portal):
    return f.portal_user(portal, "bob@other.test", full_name="Bob Other")


def html(response) -> str:
    return response.content.decode()


def status_of(workspace, category):
    return {s.category: s for s in services.idea_statuses_ensure(workspace=workspace)}[category]


# --- home --------------------------------------------------------------------------------------


def test_home_lists_ideas_with_votes_status_and_comment_count(client, portal, ann, bob, admin):
    idea = f.idea(ann, portal, title="Export reports to CSV")
    services.vote_cast(actor=bob, idea=idea, importance="critical")
    services.comment_add(actor=bob, idea=idea, body="Yes please")
    response = client.get(url(portal, "home"))
    page = html(response)
    assert response.status_code == 200
    assert "Export reports to CSV" in page
    assert '<span class="pt-vote-count">2</span>' in page
    assert '<span class="pt-pill pt-pill-new">New</span>' in page
    assert '1<span class="visually-hidden"> comment</span>' in page
    assert "Tell us <strong>everything</strong>." in page  # the intro, as markdown
    assert f'href="{url(portal, "submit")}"' in page
    assert "Powered by <strong>Headway</strong>" in page
    assert "--portal-accent: #4f46e5" in page


def test_anonymous_readers_share_one_rendering_for_a_few_seconds_and_signed_in_people_never_do(
    client, portal, ann, bob, settings, django_assert_num_queries
):
    from django.test import Client

    settings.HEADWAY_PORTAL_ANONYMOUS_CACHE_SECONDS = 10
    idea = f.idea(ann, portal, title="Export reports to CSV")
    first = client.get(url(portal, "home") + "?sort=newest")
    assert '<span class="pt-vote-count">1</span>' in html(first)
    services.vote_cast(actor=bob, idea=idea, importance="critical")
    with django_assert_num_queries(1):  # the cache lookup, nothing else
        again = Client().get(url(portal, "home") + "?sort=newest")
    assert again.content == first.content  # still the cached page, for up to 10 s
    other_url = client.get(url(portal, "home") + "?sort=votes")
    assert '<span class="pt-vote-count">2</span>' in html(other_url)  # another URL, another rendering
    client.force_login(bob)
    signed_in = client.get(url(portal, "home") + "?sort=newest")
    assert '<span class="pt-vote-count">2</span>' in html(signed_in)
    with_message = Client()
    with_message.cookies["messages"] = "x"
    assert '<span class="pt-vote-count">2</span>' in html(with_message.get(url(portal, "home") + "?sort=newest"))


def test_home_intro_is_sanitised(client, portal, admin):
    services.portal_update(actor=admin, portal=portal, intro="Hi <script>alert(1)</script> [x](javascript:alert(1))")
    page = html(client.get(url(portal, "home")))
    assert "<script>alert(1)" not in page
    assert 'href="javascript:' not in page


def test_home_shows_an_empty_state_and_a_no_match_state(client, portal, ann):
    assert "No ideas yet" in html(client.get(url(portal, "home")))
    f.idea(ann, portal, title="Dark mode")
    page = html(client.get(url(portal, "home"), {"q": "nothing like this"}))
    assert "No ideas match" in page
    assert "Dark mode" not in page


def test_home_sorts_by_votes_or_newest(client, portal, ann, bob):
    older = f.idea(ann, portal, title="Older idea with votes")
    services.vote_cast(actor=bob, idea=older)
    f.idea(bob, portal, title="Newer idea")
    top = html(client.get(url(portal, "home")))
    assert top.index("Older idea with votes") < top.index("Newer idea")
    newest = html(client.get(url(portal, "home"), {"sort": "newest"}))
    assert newest.index("Newer idea") < newest.index("Older idea with votes")


def test_home_search_under_htmx_answers_with_the_list_fragment_only(client, portal, ann):
    f.idea(ann, portal, title="Export reports to CSV")
    f.idea(ann, portal, title="Dark mode")
    response = client.get(url(portal, "home"), {"q": "csv"}, **HTMX)
    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="idea-list"')
    assert "<html" not in page
    assert "Export reports to CSV" in page
    assert "Dark mode" not in page


def test_home_filters_by_status_category(client, portal, ann, admin, workspace):
    planned = f.idea(ann, portal, title="Planned one")
    f.idea(ann, portal, title="New one")
    services.idea_status_change(actor=admin, idea=planned, status=status_of(workspace, StatusCategory.PLANNED))
    page = html(client.get(url(portal, "home"), {"status": "planned"}))
    assert "Planned one" in page
    assert "New one" not in page


def test_home_pages_by_fifty(client, portal, admin):
    for n in range(51):
        f.idea(admin, portal, title=f"Idea number {n:02d}")
    first = html(client.get(url(portal, "home"), {"sort": "newest"}))
    assert first.count('class="pt-row"') == 50
    assert "Page 1 of 2 · 51 ideas" in first
    assert 'href="?sort=newest&amp;page=2" rel="next"' in first
    second = html(client.get(url(portal, "home"), {"sort": "newest", "page": "2"}))
    assert second.count('class="pt-row"') == 1
    assert "Idea number 00" in second
    assert 'href="?sort=newest&amp;page=1" rel="prev"' in second


def test_home_marks_the_ideas_i_voted_for(client, portal, ann, bob):
    mine = f.idea(ann, portal, title="Mine")
    f.idea(bob, portal, title="Not voted")
    client.force_login(ann)
    page = html(client.get(url(portal, "home")))
    assert f'<div class="pt-vote voted" id="vote-{mine.pk}">' in page
    assert page.count("pt-vote voted") == 1


def test_signed_in_person_without_an_account_is_offered_to_join(client, portal):
    stranger = UserFactory(email="stranger@else.test")
    client.force_login(stranger)
    page = html(client.get(url(portal, "home")))
    assert "Join this portal" in page
    response = client.post(url(portal, "signup"), {"next": url(portal, "home")})
    assert response.status_code == 302
    assert PortalAccount.objects.filter(portal=portal, user=stranger).exists()


# --- submitting ------------------------------------------------------------------------------


def test_submit_form_has_a_hidden_honeypot_and_the_similar_ideas_hook(client, portal, ann):
    client.force_login(ann)
    page = html(client.get(url(portal, "submit")))
    assert '<div class="pt-hp" aria-hidden="true">' in page
    assert 'name="website"' in page
    assert 'tabindex="-1"' in page
    assert 'autocomplete="off"' in page
    assert f'hx-get="{url(portal, "similar")}" hx-trigger="input changed delay:250ms"' in page


def test_submit_creates_the_idea_with_my_vote_and_goes_to_it(client, portal, ann, admin, workspace):
    category = services.idea_category_create(actor=admin, workspace=workspace, name="Reporting")
    client.force_login(ann)
    response = client.post(
        url(portal, "submit"),
        {"title": "Export to CSV", "description": "For **finance**", "category": category.pk, "importance": "critical"},
    )
    idea = Idea.objects.get(title="Export to CSV")
    assert response.status_code == 302
    assert response["Location"] == url(portal, "idea", pk=idea.pk)
    assert idea.submitter == ann
    assert idea.category == category
    assert Vote.objects.get(idea=idea).importance == "critical"
    page = html(client.get(response["Location"]))
    assert "Thank you! Your idea is posted, with your vote." in page
    assert "For <strong>finance</strong>" in page


def test_submit_refuses_a_filled_honeypot(client, portal, ann):
    client.force_login(ann)
    response = client.post(url(portal, "submit"), {"title": "Cheap pills", "importance": "important", "website": "x"})
    assert response.status_code == 422
    assert not Idea.objects.exists()
    assert 'class="form-errors"' in html(response)


def test_submit_shows_the_rate_limit_message(client, portal, ann, settings):
    settings.HEADWAY_IDEAS_PER_PERSON_PER_HOUR = 1
    client.force_login(ann)
    assert client.post(url(portal, "submit"), {"title": "First idea", "importance": "important"}).status_code == 302
    response = client.post(url(portal, "submit"), {"title": "Second idea", "importance": "important"})
    assert response.status_code == 429
    assert "Too many ideas from you" in html(response)
    assert Idea.objects.count() == 1


def test_submit_shows_service_errors_next_to_the_field(client, portal, ann):
    client.force_login(ann)
    response = client.post(url(portal, "submit"), {"title": "  ", "importance": "important"})
    assert response.status_code == 422
    assert '<p class="error" role="alert">' in html(response)


def test_submit_on_a_moderated_portal_says_it_waits_for_approval(client, portal, ann, bob, admin):
    services.portal_update(actor=admin, portal=portal, require_approval=True)
    client.force_login(ann)
    response = client.post(url(portal, "submit"), {"title": "Held idea", "importance": "important"})
    idea = Idea.objects.get(title="Held idea")
    assert idea.approval == Approval.PENDING
    page = html(client.get(response["Location"]))
    assert "Your idea is waiting for approval" in page
    assert "Waiting for approval." in page
    client.force_login(bob)
    assert client.get(url(portal, "idea", pk=idea.pk)).status_code == 404
    assert "Held idea" not in html(client.get(url(portal, "home")))


def test_submit_sends_people_who_may_only_read_to_sign_in(client, portal):
    response = client.get(url(portal, "submit"))
    assert response.status_code == 302
    assert response["Location"] == f"{url(portal, 'signin')}?next=%2Fp%2Facme-ideas%2Fsubmit%2F"


def test_similar_shows_up_to_five_similar_ideas_with_a_vote_instead_button(client, portal, ann, bob):
    target = f.idea(bob, portal, title="Export reports to CSV file")
    for n in range(6):
        f.idea(bob, portal, title=f"Export CSV report variant {n}")
    f.idea(bob, portal, title="Dark mode for the dashboard")
    client.force_login(ann)
    response = client.get(url(portal, "similar"), {"title": "export csv report"}, **HTMX)
    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="similar"')
    assert page.count("<li>") == 5
    assert "Dark mode" not in page
    assert "Vote for this instead" in page
    # Voting from the suggestion: an htmx fragment saying so.
    voted = client.post(url(portal, "vote", pk=target.pk), {"importance": "important", "variant": "instead"}, **HTMX)
    assert "You voted for this" in html(voted)
    assert Vote.objects.filter(idea=target, voter=ann).exists()


def test_similar_needs_three_characters(client, portal, ann, bob):
    f.idea(bob, portal, title="Export reports to CSV")
    client.force_login(ann)
    page = html(client.get(url(portal, "similar"), {"title": "ex"}, **HTMX))
    assert "<li>" not in page
    assert "No similar ideas" not in page


def test_similar_leaves_out_ideas_waiting_for_someone_elses_approval(client, portal, ann, bob, admin):
    services.portal_update(actor=admin, portal=portal, require_approval=True)
    f.idea(bob, portal, title="Export reports to CSV")
    client.force_login(ann)
    page = html(client.get(url(portal, "similar"), {"title": "export reports csv"}, **HTMX))
    assert "Export reports to CSV" not in page
    assert "No similar ideas yet" in page


# --- voting ----------------------------------------------------------------------------------


def test_vote_without_javascript_goes_back_to_the_page(client, portal, ann, bob):
    idea = f.idea(bob, portal)
    client.force_login(ann)
    response = client.post(url(portal, "vote", pk=idea.pk), {"importance": "important", "next": url(portal, "home")})
    assert response.status_code == 302
    assert response["Location"] == url(portal, "home")
    assert Vote.objects.get(idea=idea, voter=ann).importance == "important"


def test_vote_under_htmx_returns_the_widget_with_the_new_count(client, portal, ann, bob):
    idea = f.idea(bob, portal)
    client.force_login(ann)
    page = html(client.post(url(portal, "vote", pk=idea.pk), {"importance": "important"}, **HTMX))
    assert page.lstrip().startswith(f'<div class="pt-vote voted" id="vote-{idea.pk}">')
    assert '<span class="pt-vote-count">2</span>' in page
    page = html(client.post(url(portal, "vote", pk=idea.pk), {"importance": "critical"}, **HTMX))
    assert Vote.objects.get(idea=idea, voter=ann).importance == "critical"
    assert 'value="critical" class="current"' in page
    page = html(client.post(url(portal, "vote", pk=idea.pk), {"action": "retract"}, **HTMX))
    assert not Vote.objects.filter(idea=idea, voter=ann).exists()
    assert f'<div class="pt-vote" id="vote-{idea.pk}">' in page
    assert '<span class="pt-vote-count">1</span>' in page


def test_vote_by_an_anonymous_visitor_asks_them_to_sign_in(client, portal, bob):
    idea = f.idea(bob, portal)
    plain = client.post(url(portal, "vote", pk=idea.pk), {"importance": "important"})
    assert plain.status_code == 302
    assert plain["Location"].startswith(url(portal, "signin"))
    scripted = client.post(url(portal, "vote", pk=idea.pk), {"next": url(portal, "home")}, **HTMX)
    assert scripted.status_code == 204
    assert scripted["HX-Redirect"] == f"{url(portal, 'signin')}?next=%2Fp%2Facme-ideas%2F"
    assert Vote.objects.filter(idea=idea).count() == 1


def test_vote_with_a_bad_importance_shows_the_error(client, portal, ann, bob):
    idea = f.idea(bob, portal)
    client.force_login(ann)
    page = html(client.post(url(portal, "vote", pk=idea.pk), {"importance": "urgent!"}, **HTMX))
    assert 'class="error pt-vote-error"' in page
    assert not Vote.objects.filter(voter=ann).exists()


# --- one idea --------------------------------------------------------------------------------


def test_idea_page_names_the_submitter_never_their_email(client, portal, ann, bob):
    idea = f.idea(ann, portal, title="Export", description="Please")
    client.force_login(bob)
    page = html(client.get(url(portal, "idea", pk=idea.pk)))
    assert "Submitted by Ann Customer" in page
    assert "ann@customer.test" not in page


def test_idea_entered_by_staff_shows_the_company_it_is_for(client, portal, contributor, workspace):
    company = CompanyFactory(workspace=workspace, name="Globex Corp")
    idea = f.idea(contributor, portal, title="SSO", on_behalf_company=company)
    page = html(client.get(url(portal, "idea", pk=idea.pk)))
    assert "Submitted on behalf of Globex Corp" in page
    assert "Cory Contributor" not in page


def test_official_and_internal_comments(client, portal, ann, pm):
    idea = f.idea(ann, portal)
    services.comment_add(actor=pm, idea=idea, body="We are on it")
    services.comment_add(actor=pm, idea=idea, body="Secret pricing note", internal=True)
    client.force_login(ann)
    page = html(client.get(url(portal, "idea", pk=idea.pk)))
    assert '<span class="pt-badge">Official</span>' in page
    assert "We are on it" in page
    assert "Secret pricing note" not in page
    assert "Internal – only your team sees this" not in page
    client.force_login(pm)
    page = html(client.get(url(portal, "idea", pk=idea.pk)))
    assert "Secret pricing note" in page
    assert '<span class="pt-badge pt-badge-internal">Internal – only your team sees this</span>' in page
    assert 'name="internal"' in page


def test_comment_under_htmx_returns_the_comment_section(client, portal, ann, bob):
    idea = f.idea(ann, portal)
    client.force_login(bob)
    response = client.post(url(portal, "comment", pk=idea.pk), {"body": "Me too"}, **HTMX)
    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="comment-section">')
    assert "1 comment" in page
    assert "Me too" in page
    assert IdeaComment.objects.get(idea=idea).author == bob


def test_comment_without_javascript_redirects_and_shows_errors_on_the_page(client, portal, ann, bob):
    idea = f.idea(ann, portal)
    client.force_login(bob)
    response = client.post(url(portal, "comment", pk=idea.pk), {"body": "Me too"})
    assert response.status_code == 302
    assert response["Location"] == url(portal, "idea", pk=idea.pk) + "#comments"
    empty = client.post(url(portal, "comment", pk=idea.pk), {"body": ""})
    assert empty.status_code == 422
    assert "This field is required." in html(empty)


def test_staff_post_internal_comments_portal_people_cannot(client, portal, ann, contributor):
    idea = f.idea(ann, portal)
    client.force_login(contributor)
    client.post(url(portal, "comment", pk=idea.pk), {"body": "Team only", "internal": "on"})
    client.force_login(ann)
    client.post(url(portal, "comment", pk=idea.pk), {"body": "Trying to hide", "internal": "on"})
    assert list(IdeaComment.objects.order_by("id").values_list("body", "is_internal", "is_official")) == [
        ("Team only", True, False),
        ("Trying to hide", False, False),
    ]


def test_follow_and_unfollow(client, portal, ann, bob):
    idea = f.idea(ann, portal)
    client.force_login(bob)
    page = html(client.post(url(portal, "follow", pk=idea.pk), {"action": "follow"}, **HTMX))
    assert page.lstrip().startswith('<form id="follow"')
    assert "Following" in page
    assert Subscription.objects.filter(idea=idea, user=bob, unsubscribed_at__isnull=True).exists()
    response = client.post(url(portal, "follow", pk=idea.pk), {"action": "unfollow"})
    assert response.status_code == 302
    assert not Subscription.objects.filter(idea=idea, user=bob, unsubscribed_at__isnull=True).exists()


def test_author_may_edit_and_delete_until_someone_else_votes(client, portal, ann, bob):
    idea = f.idea(ann, portal, title="Typo in titel")
    client.force_login(ann)
    page = html(client.get(url(portal, "idea", pk=idea.pk)))
    assert f'href="{url(portal, "idea_edit", pk=idea.pk)}"' in page
    response = client.post(url(portal, "idea_edit", pk=idea.pk), {"title": "Typo in title", "description": ""})
    assert response.status_code == 302
    assert Idea.objects.get(pk=idea.pk).title == "Typo in title"
    services.vote_cast(actor=bob, idea=idea)
    page = html(client.get(url(portal, "idea", pk=idea.pk)))
    assert url(portal, "idea_edit", pk=idea.pk) not in page
    assert "Others have voted for your idea" in page
    refused = client.post(url(portal, "idea_edit", pk=idea.pk), {"title": "Changed after votes"})
    assert refused.status_code == 409
    assert "Other people have voted for this idea" in html(refused)
    assert client.post(url(portal, "idea_delete", pk=idea.pk)).status_code == 302
    assert Idea.objects.get(pk=idea.pk).deleted_at is None


def test_author_deletes_an_idea_nobody_else_voted_for(client, portal, ann):
    idea = f.idea(ann, portal, title="Never mind")
    client.force_login(ann)
    assert "Delete your idea?" in html(client.get(url(portal, "idea_delete", pk=idea.pk)))
    response = client.post(url(portal, "idea_delete", pk=idea.pk))
    assert response.status_code == 302
    assert response["Location"] == url(portal, "home")
    assert Idea.objects.get(pk=idea.pk).deleted_at is not None
    assert client.get(url(portal, "idea", pk=idea.pk)).status_code == 404


def test_others_cannot_edit_an_idea(client, portal, ann, bob):
    idea = f.idea(ann, portal)
    client.force_login(bob)
    page = html(client.get(url(portal, "idea", pk=idea.pk)))
    assert url(portal, "idea_edit", pk=idea.pk) not in page
    response = client.post(url(portal, "idea_edit", pk=idea.pk), {"title": "Hijacked"})
    assert response.status_code == 403
    assert Idea.objects.get(pk=idea.pk).title == "Export to CSV"


def test_merged_idea_redirects_to_its_target_with_a_message(client, portal, ann, bob):
    source = f.idea(ann, portal, title="CSV export please")
    target = f.idea(bob, portal, title="Export reports to CSV")
    Idea.objects.filter(pk=source.pk).update(merged_into=target)
    response = client.get(url(portal, "idea", pk=source.pk))
    assert response.status_code == 302
    assert response["Location"] == url(portal, "idea", pk=target.pk)
    page = html(client.get(response["Location"]))
    assert "This idea was merged into “Export reports to CSV”." in page


# --- roadmap and changelog ---------------------------------------------------------------------


def test_roadmap_puts_ideas_in_planned_in_progress_and_shipped(client, portal, ann, admin, workspace):
    for title, category in [
        ("Planned idea", StatusCategory.PLANNED),
        ("Building idea", StatusCategory.IN_PROGRESS),
        ("Shipped idea", StatusCategory.SHIPPED),
        ("Declined idea", StatusCategory.DECLINED),
    ]:
        idea = f.idea(ann, portal, title=title)
        services.idea_status_change(actor=admin, idea=idea, status=status_of(workspace, category))
    page = html(client.get(url(portal, "roadmap")))
    planned, building, shipped = (page.index(f'id="col-{key}"') for key in ("planned", "in_progress", "shipped"))
    assert planned < page.index("Planned idea") < building < page.index("Building idea") < shipped
    assert page.index("Shipped idea") > shipped
    assert "Declined idea" not in page


def test_changelog_lists_shipped_ideas_newest_first_with_the_public_message(client, portal, ann, admin, workspace):
    shipped = status_of(workspace, StatusCategory.SHIPPED)
    first = f.idea(ann, portal, title="Shipped first")
    services.idea_status_change(actor=admin, idea=first, status=shipped, message="Find it under **Reports**.")
    second = f.idea(ann, portal, title="Shipped second")
    services.idea_status_change(actor=admin, idea=second, status=shipped)
    Idea.objects.filter(pk=first.pk).update(status_changed_at=timezone.now() - timezone.timedelta(days=2))
    page = html(client.get(url(portal, "changelog")))
    assert page.index("Shipped second") < page.index("Shipped first")
    assert "Find it under <strong>Reports</strong>." in page
    assert IdeaEvent.objects.filter(kind=IdeaEvent.Kind.SHIPPED).count() == 2


# --- signing up and in -------------------------------------------------------------------------


def test_signup_signs_in_and_asks_to_check_email_then_the_link_confirms(client, portal, mailoutbox):
    response = client.post(
        url(portal, "signup"), {"full_name": "Cat New", "email": "cat@new.test", "password": "a-long-passphrase-1"}
    )
    assert response.status_code == 302
    assert response["Location"] == url(portal, "verify_again")
    page = html(client.get(response["Location"]))
    assert "Check your email" in page
    assert "cat@new.test" in page
    account = PortalAccount.objects.get(user__email="cat@new.test")
    token = services.portal_verification_token(account)
    confirmed = client.get(url(portal, "verify", token=token))
    assert confirmed.status_code == 302
    assert confirmed["Location"] == url(portal, "home")
    account.refresh_from_db()
    assert account.email_verified_at is not None
    assert client.get(url(portal, "submit")).status_code == 200


def test_signup_with_an_existing_email_says_so_next_to_the_field(client, portal, ann):
    response = client.post(
        url(portal, "signup"), {"full_name": "Ann", "email": "ann@customer.test", "password": "a-long-passphrase-1"}
    )
    assert response.status_code == 409
    assert (
        '<p class="error" role="alert">An account with this email exists already. '
        "Sign in instead, then join this portal.</p>"
    ) in html(response)


def test_signup_on_a_private_portal_refuses_an_address_not_invited(client, admin, workspace):
    private = f.portal(admin, workspace, slug="vip", visibility="private", allowed_domains="initech.test")
    data = {"full_name": "Eve", "email": "eve@evil.test", "password": "a-long-passphrase-1"}
    response = client.post(url(private, "signup"), data)
    assert response.status_code == 403
    assert "This portal is open to invited people only." in html(response)
    assert not PortalAccount.objects.exists()
    ok = client.post(url(private, "signup"), {**data, "email": "eve@initech.test"})
    assert ok.status_code == 302
    assert PortalAccount.objects.get().user.email == "eve@initech.test"


def test_verify_with_a_bad_token_shows_a_page(client, portal):
    response = client.get(url(portal, "verify", token="nonsense"))
    assert response.status_code == 422
    assert "That link does not work" in html(response)
    assert "This link is not valid. Check that you copied all of it." in html(response)


def test_signin_with_email_and_password_goes_to_next(client, portal, ann):
    response = client.post(
        url(portal, "signin"), {"email": "ann@customer.test", "password": PASSWORD, "next": url(portal, "submit")}
    )
    assert response.status_code == 302
    assert response["Location"] == url(portal, "submit")


def test_signin_refuses_a_wrong_password_and_locks_out(client, portal, ann, settings):
    settings.HEADWAY_LOGIN_MAX_FAILURES = 2
    wrong = {"email": "ann@customer.test", "password": "not-the-password"}
    first = client.post(url(portal, "signin"), wrong)
    assert first.status_code == 400
    assert "That email and password do not match an account." in html(first)
    second = client.post(url(portal, "signin"), wrong)
    assert second.status_code == 429
    locked = client.post(url(portal, "signin"), {"email": "ann@customer.test", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in html(locked)


def test_members_sign_in_on_the_portal_form_too(client, portal, contributor):
    response = client.post(url(portal, "signin"), {"email": contributor.email, "password": PASSWORD})
    assert response.status_code == 302
    page = html(client.get(url(portal, "home")))
    assert "Manage ideas" in page


def test_signout(client, portal, ann):
    client.force_login(ann)
    response = client.post(url(portal, "signout"))
    assert response.status_code == 302
    assert response["Location"] == url(portal, "home")
    assert "Sign in" in html(client.get(url(portal, "home")))


def test_unverified_person_is_asked_to_confirm_and_may_resend(client, portal, mailoutbox):
    person = f.portal_user(portal, "new@customer.test", verified=False)
    client.force_login(person)
    page = html(client.get(url(portal, "home")))
    assert "Confirm your email address" in page
    assert client.get(url(portal, "submit"))["Location"].startswith(url(portal, "signin"))
    response = client.post(url(portal, "verify_again"))
    assert response.status_code == 302
    assert "We sent a new link to new@customer.test." in html(client.get(response["Location"]))


def test_header_shows_the_unread_count(client, portal, ann, bob, admin, workspace):
    idea = f.idea(ann, portal)
    services.idea_status_change(actor=admin, idea=idea, status=status_of(workspace, StatusCategory.PLANNED))
    client.force_login(ann)
    page = html(client.get(url(portal, "home")))
    assert '<span class="pt-count">1</span>' in page
    assert f'href="{url(portal, "preferences")}"' in page


def test_internal_portal_sends_signed_out_people_to_the_main_sign_in(client, admin, workspace):
    internal = f.portal(admin, workspace, slug="team", name="Team ideas", visibility="internal")
    response = client.get(url(internal, "home"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fp%2Fteam%2F"
    assert client.get(url(internal, "signin"))["Location"] == "/accounts/login/?next=%2Fp%2Fteam%2F"
    assert client.get(url(internal, "signup")).status_code == 302
    client.force_login(UserFactory())
    assert client.get(url(internal, "home")).status_code == 404
    assert client.get(url(internal, "signin")).status_code == 404
    assert "Team ideas" not in html(client.get(url(internal, "home")))


def test_private_portal_shows_the_sign_in_page_to_strangers(client, admin, workspace):
    private = f.portal(admin, workspace, slug="vip", name="VIP ideas", visibility="private")
    response = client.get(url(private, "home"))
    assert response.status_code == 302
    assert response["Location"] == f"{url(private, 'signin')}?next=%2Fp%2Fvip%2F"
    page = html(client.get(response["Location"]))
    assert "Sign in" in page
    assert "VIP ideas" in page


def test_unknown_portal_is_404(client):
    assert client.get("/p/no-such-portal/").status_code == 404


def test_archived_portal_is_404(client, portal, admin):
    services.portal_archive(actor=admin, portal=portal)
    assert client.get(url(portal, "home")).status_code == 404
    assert client.get(url(portal, "signin")).status_code == 404

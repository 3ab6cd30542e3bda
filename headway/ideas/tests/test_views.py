"""The team's ideas pages under /w/<ws>/ideas/: who sees what, every form, fragments, bulk actions, export."""

import csv
import io
import re
from decimal import Decimal

import pytest

from headway.backlog.tests import factories as bf
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas import services
from headway.ideas import views as idea_views
from headway.ideas.models import (
    Approval,
    DemandSettings,
    FeatureStatusMapping,
    Idea,
    IdeaCategory,
    IdeaComment,
    IdeaStatus,
    Portal,
    PortalInvitation,
    Vote,
)
from headway.ideas.services import features as idea_features
from headway.ideas.services import merges
from headway.ideas.tests import factories as f

pytestmark = pytest.mark.django_db
BASE = "/w/acme/ideas"
HTMX = {"HTTP_HX_REQUEST": "true"}
MEMBERS = ["viewer", "contributor", "pm", "leader", "admin"]


def html_of(response):
    return response.content.decode()


def flashes(response):
    return [str(m) for m in response.wsgi_request._messages]


def titles(response):
    return re.findall(r'class="id-title" href="[^"]+">([^<]+)</a>', html_of(response))


def status_named(workspace, category):
    return next(s for s in services.idea_statuses_ensure(workspace=workspace) if s.category == category)


@pytest.fixture
def people(admin, leader, pm, contributor, viewer):
    return {"admin": admin, "leader": leader, "pm": pm, "contributor": contributor, "viewer": viewer}


@pytest.fixture
def pay(admin, pm, workspace):
    return bf.product(admin, workspace, key="PAY", owner=pm)


@pytest.fixture
def portal(leader, workspace, pay):
    return f.portal(leader, workspace, slug="feedback", name="Customer feedback", products=[pay])


@pytest.fixture
def globex(workspace):
    return CompanyFactory(
        workspace=workspace, name="Globex Corp", tier="strategic", arr=Decimal("250000"), currency="USD"
    )


@pytest.fixture
def ana(globex):
    return ContactFactory(company=globex, name="Ana Alves", email="ana@globex.example")


@pytest.fixture
def customer(portal, globex):
    return f.portal_user(portal, "carla@globex.example", company=globex, full_name="Carla Customer")


@pytest.fixture
def ideas(portal, customer, pm, pay):
    """Three ideas: "Dark mode" (2 votes), "CSV export" (1 vote, in PAY), "SSO login" (1 vote)."""
    dark = f.idea(customer, portal, "Dark mode", description="Easier on the eyes.")
    export = f.idea(pm, portal, "CSV export", product=pay)
    sso = f.idea(pm, portal, "SSO login")
    other = f.portal_user(portal, "olga@other.example")
    services.vote_cast(actor=other, idea=dark, importance="critical")
    return {"dark": f.fresh(dark), "export": f.fresh(export), "sso": f.fresh(sso)}


# --- the list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MEMBERS)
def test_every_member_reads_the_list(web_client, people, role, ideas):
    response = web_client(people[role]).get(f"{BASE}/")
    assert response.status_code == 200
    assert titles(response) == ["Dark mode", "SSO login", "CSV export"]


def test_outsiders_and_anonymous_visitors_get_nothing(client, web_client, outsider, ideas):
    assert client.get(f"{BASE}/").status_code == 302  # to the sign-in page
    member_client = web_client(outsider)
    for url in ["/", "/export/", "/submit/", "/moderation/", f"/{ideas['dark'].pk}/", "/settings/"]:
        assert member_client.get(f"{BASE}{url}").status_code == 404, url


def test_list_controls_follow_the_role(web_client, viewer, contributor, pm, leader, ideas):
    html = html_of(web_client(viewer).get(f"{BASE}/"))
    assert "Submit for a customer" not in html and 'id="id-bulk"' not in html and "Portals &amp; settings" not in html
    assert "Export CSV" in html
    html = html_of(web_client(contributor).get(f"{BASE}/"))
    assert "Submit for a customer" in html and 'id="id-bulk"' not in html
    html = html_of(web_client(pm).get(f"{BASE}/"))
    assert 'id="id-bulk"' in html and html.count('name="ideas"') == 3 and "Portals &amp; settings" not in html
    assert "Portals &amp; settings" in html_of(web_client(leader).get(f"{BASE}/"))


def test_a_row_shows_votes_demand_status_portal_company_and_feature(web_client, pm, ideas, pay):
    feature = bf.feature(pm.__class__.objects.get(email="admin@example.com"), pay, "Dark theme")
    idea_features.idea_link_feature(actor=pm, idea=ideas["dark"], feature=feature)
    html = html_of(web_client(pm).get(f"{BASE}/"))
    row = html.split(f'id="idea-{ideas["dark"].pk}"')[1].split("</tr>")[0]
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", "<td" + c)).strip() for c in row.split("<td")[1:]]
    assert cells[1:] == [
        "2",
        "10",
        f"Dark mode #{ideas['dark'].pk} · Customer feedback",
        "New",
        "Globex Corp",
        "PAY-1",
        f"{ideas['dark'].created_at:%Y-%m-%d}",
    ]


def test_filters_sort_and_the_htmx_fragment(web_client, pm, ideas, portal, leader, workspace):
    client = web_client(pm)
    second = f.portal(leader, workspace, slug="partners", name="Partners")
    f.idea(pm, second, "Partner API")
    services.idea_status_change(actor=pm, idea=ideas["sso"], status=status_named(workspace, "planned"))
    assert titles(client.get(f"{BASE}/?portal={second.pk}")) == ["Partner API"]
    planned = status_named(workspace, "planned")
    assert titles(client.get(f"{BASE}/?status={planned.pk}")) == ["SSO login"]
    assert titles(client.get(f"{BASE}/?product={ideas['export'].product_id}")) == ["CSV export"]
    assert titles(client.get(f"{BASE}/?q=dark")) == ["Dark mode"]
    assert titles(client.get(f"{BASE}/?q=%23{ideas['sso'].pk}")) == ["SSO login"]
    assert titles(client.get(f"{BASE}/?sort=newest")) == ["Partner API", "SSO login", "CSV export", "Dark mode"]
    assert titles(client.get(f"{BASE}/?sort=demand"))[0] == "Dark mode"
    assert titles(client.get(f"{BASE}/?approval=pending")) == []
    assert titles(client.get(f"{BASE}/?status=nonsense&sort=nonsense&portal=x")) == titles(client.get(f"{BASE}/"))
    response = client.get(f"{BASE}/?q=dark", **HTMX)
    assert html_of(response).lstrip().startswith('<div id="ideas"') and "<html" not in html_of(response)
    assert "No ideas match" in html_of(client.get(f"{BASE}/?q=nothing-like-this"))


def test_merged_filter_and_category_filter(web_client, pm, leader, ideas, workspace):
    merges.idea_merge(actor=pm, source=ideas["sso"], target=ideas["dark"])
    category = services.idea_category_create(actor=leader, workspace=workspace, name="Looks")
    services.idea_update(actor=pm, idea=f.fresh(ideas["dark"]), category=category)
    client = web_client(pm)
    assert titles(client.get(f"{BASE}/")) == ["Dark mode", "CSV export"]
    assert titles(client.get(f"{BASE}/?merged=yes")) == ["SSO login"]
    assert sorted(titles(client.get(f"{BASE}/?merged=all"))) == ["CSV export", "Dark mode", "SSO login"]
    assert titles(client.get(f"{BASE}/?category={category.pk}")) == ["Dark mode"]


def test_pagination(web_client, pm, ideas, monkeypatch):
    monkeypatch.setattr(idea_views, "PAGE_SIZE", 2)
    client = web_client(pm)
    first = client.get(f"{BASE}/")
    assert titles(first) == ["Dark mode", "SSO login"]
    assert "Page 1 of 2 · 3 total" in html_of(first)
    assert titles(client.get(f"{BASE}/?page=2")) == ["CSV export"]


def test_empty_list_invites_a_leader_to_set_up_a_portal(web_client, leader, viewer):
    assert "Set up a portal" in html_of(web_client(leader).get(f"{BASE}/"))
    html = html_of(web_client(viewer).get(f"{BASE}/"))
    assert "No ideas yet" in html and "Set up a portal" not in html


# --- bulk actions --------------------------------------------------------------------------------


def test_bulk_merge_moves_the_selected_into_the_chosen_one(web_client, pm, ideas):
    dark, export, sso = ideas["dark"], ideas["export"], ideas["sso"]
    response = web_client(pm).post(
        f"{BASE}/bulk/",
        {"ideas": [dark.pk, export.pk, sso.pk], "target": export.pk, "action": "merge", "query": "sort=newest"},
    )
    assert response.status_code == 302 and response["Location"] == f"{BASE}/?sort=newest"
    assert {i.pk: i.merged_into_id for i in Idea.objects.all()} == {
        dark.pk: export.pk,
        export.pk: None,
        sso.pk: export.pk,
    }
    assert f.fresh(export).vote_count == 3  # the PM's two votes became one
    assert flashes(web_client(pm).get(f"{BASE}/")) == [f"Merged 2 ideas into #{export.pk} “CSV export”."]


def test_bulk_merge_needs_a_target_and_another_idea(web_client, pm, ideas):
    client = web_client(pm)
    client.post(f"{BASE}/bulk/", {"ideas": [ideas["dark"].pk], "target": ideas["dark"].pk, "action": "merge"})
    client.post(f"{BASE}/bulk/", {"ideas": [ideas["dark"].pk, ideas["sso"].pk], "action": "merge"})
    assert flashes(client.get(f"{BASE}/")) == [
        "Tick at least one idea besides the one to merge into.",
        "Choose the idea to merge the others into.",
    ]
    assert not Idea.objects.filter(merged_into__isnull=False).exists()


def test_bulk_status_change(web_client, pm, ideas, workspace):
    planned = status_named(workspace, "planned")
    client = web_client(pm)
    client.post(
        f"{BASE}/bulk/",
        {
            "ideas": [ideas["dark"].pk, ideas["sso"].pk],
            "status": planned.pk,
            "message": "Coming soon",
            "action": "status",
        },
    )
    assert set(Idea.objects.filter(status=planned).values_list("title", flat=True)) == {"Dark mode", "SSO login"}
    assert flashes(client.get(f"{BASE}/")) == ["2 ideas are now “Planned”."]


def test_bulk_is_refused_to_contributors_with_the_services_message(web_client, contributor, ideas):
    client = web_client(contributor)
    client.post(
        f"{BASE}/bulk/", {"ideas": [ideas["dark"].pk, ideas["sso"].pk], "target": ideas["dark"].pk, "action": "merge"}
    )
    assert flashes(client.get(f"{BASE}/")) == ["Your role (Contributor) may not manage ideas."]
    assert not Idea.objects.filter(merged_into__isnull=False).exists()


# --- export --------------------------------------------------------------------------------------


def test_export_is_the_filtered_list_without_any_comment(web_client, pm, viewer, ideas, portal, customer):
    services.comment_add(actor=pm, idea=ideas["dark"], body="INTERNAL-SECRET pricing talk", internal=True)
    services.comment_add(actor=pm, idea=ideas["dark"], body="PUBLIC-REPLY thanks", internal=False)
    formula = f.idea(customer, portal, '=HYPERLINK("http://evil.example")')
    response = web_client(viewer).get(f"{BASE}/export/?sort=newest")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="acme-ideas-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"])
    body = b"".join(response.streaming_content).decode()
    assert "INTERNAL-SECRET" not in body and "PUBLIC-REPLY" not in body
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    day = f"{formula.created_at:%Y-%m-%d}"
    feedback = "Customer feedback"
    assert rows == [
        ["id", "portal", "title", "status", "votes", "demand", "product", "submitter_company", "created"],
        [str(formula.pk), feedback, '\'=HYPERLINK("http://evil.example")', "New", "1", "6.00", "", "Globex Corp", day],
        [str(ideas["sso"].pk), feedback, "SSO login", "New", "1", "2.00", "", "", day],
        [str(ideas["export"].pk), feedback, "CSV export", "New", "1", "2.00", "PAY", "", day],
        [str(ideas["dark"].pk), feedback, "Dark mode", "New", "2", "10.00", "", "Globex Corp", day],
    ]
    filtered = b"".join(web_client(viewer).get(f"{BASE}/export/?q=dark").streaming_content).decode()
    assert [r[2] for r in csv.reader(io.StringIO(filtered.removeprefix("\ufeff")))] == ["title", "Dark mode"]


# --- one idea ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MEMBERS)
def test_every_member_reads_an_idea_with_its_internal_notes(web_client, people, role, pm, ideas):
    services.comment_add(actor=pm, idea=ideas["dark"], body="Costly: *needs design*", internal=True)
    services.comment_add(actor=pm, idea=ideas["dark"], body="We are looking into it.", internal=False)
    response = web_client(people[role]).get(f"{BASE}/{ideas['dark'].pk}/")
    html = html_of(response)
    assert response.status_code == 200
    assert "Internal note · team only" in html and "Official reply" in html
    assert "Costly: <em>needs design</em>" in html and "We are looking into it." in html
    assert 'id="idea-told-heading"' in html and "History" in html
    assert "Carla Customer" in html and "olga@other.example" in html  # the votes table
    assert html.count('class="tag id-imp-critical"') == 1


def test_idea_page_controls_follow_the_role(web_client, viewer, contributor, pm, ideas):
    url = f"{BASE}/{ideas['dark'].pk}/"
    html = html_of(web_client(viewer).get(url))
    for control in ["Add comment", "Vote for a customer", "Change status", "Edit</a>", "Merge into another idea"]:
        assert control not in html, control
    html = html_of(web_client(contributor).get(url))
    assert "Add comment" in html and "Vote for a customer" in html
    assert "Change status" not in html and "Promote to a new feature" not in html
    html = html_of(web_client(pm).get(url))
    for control in [
        "Change status",
        "Edit</a>",
        "Merge into another idea",
        "Promote to a new feature",
        "Link</button>",
    ]:
        assert control in html, control


def test_an_idea_of_another_workspace_is_not_found(web_client, pm, outsider, other_workspace):
    theirs = f.portal(outsider, other_workspace, slug="globex-ideas")
    idea = f.idea(outsider, theirs, "Their idea")
    assert web_client(pm).get(f"{BASE}/{idea.pk}/").status_code == 404
    assert web_client(pm).post(f"{BASE}/{idea.pk}/comments/", {"body": "x", "internal": "1"}).status_code == 404
    assert web_client(pm).get(f"{BASE}/999999/").status_code == 404


def test_comments_internal_and_public_through_htmx(web_client, contributor, ideas):
    client = web_client(contributor)
    url = f"{BASE}/{ideas['sso'].pk}/comments/"
    response = client.post(url, {"body": "Ask **Globex** first", "internal": "1"}, **HTMX)
    html = html_of(response)
    assert response.status_code == 200 and html.lstrip().startswith('<section class="card" id="comments"')
    assert "Ask <strong>Globex</strong> first" in html and "Internal note · team only" in html
    client.post(url, {"body": "Thanks for the idea!", "internal": "0"}, **HTMX)
    rows = list(IdeaComment.objects.filter(idea=ideas["sso"]).values_list("body", "is_internal", "is_official"))
    assert rows == [("Ask **Globex** first", True, False), ("Thanks for the idea!", False, True)]
    response = client.post(url, {"body": "", "internal": "1"}, **HTMX)
    assert "This field is required." in html_of(response) and IdeaComment.objects.count() == 2


def test_a_viewer_may_not_comment(web_client, viewer, ideas):
    client = web_client(viewer)
    response = client.post(f"{BASE}/{ideas['sso'].pk}/comments/", {"body": "Hi", "internal": "1"})
    assert response.status_code == 302
    assert flashes(client.get(response["Location"])) == ["Your role (Viewer) may not comment."]
    assert not IdeaComment.objects.exists()


def test_status_change_with_a_public_message(web_client, pm, contributor, ideas, workspace):
    planned = status_named(workspace, "planned")
    url = f"{BASE}/{ideas['dark'].pk}/status/"
    response = web_client(contributor).post(url, {"status": planned.pk, "message": ""})
    assert flashes(web_client(contributor).get(response["Location"])) == [
        "Your role (Contributor) may not manage ideas."
    ]
    client = web_client(pm)
    response = client.post(url, {"status": planned.pk, "message": "On the Q3 roadmap."})
    assert response.status_code == 302 and response["Location"] == f"{BASE}/{ideas['dark'].pk}/"
    assert f.fresh(ideas["dark"]).status == planned
    assert flashes(client.get(response["Location"])) == [
        f"#{ideas['dark'].pk} is now “Planned” and told the people who follow it."
    ]


def test_edit_round_trip(web_client, pm, contributor, leader, ideas, workspace, pay):
    category = services.idea_category_create(actor=leader, workspace=workspace, name="Security")
    url = f"{BASE}/{ideas['sso'].pk}/edit/"
    assert web_client(contributor).get(url).status_code == 403
    client = web_client(pm)
    assert 'value="SSO login"' in html_of(client.get(url))
    data = {"title": "Single sign-on", "description": "SAML", "product": pay.pk, "category": category.pk}
    response = client.post(url, {**data, "audience": "partner"})
    assert response.status_code == 302
    idea = f.fresh(ideas["sso"])
    assert (idea.title, idea.description, idea.product, idea.category, idea.audience) == (
        "Single sign-on",
        "SAML",
        pay,
        category,
        "partner",
    )
    response = client.post(url, {**data, "title": "", "audience": "partner"})
    assert response.status_code == 422 and "This field is required." in html_of(response)


def test_proxy_votes_added_and_removed_through_htmx(web_client, contributor, viewer, ideas, globex, ana):
    client = web_client(contributor)
    url = f"{BASE}/{ideas['sso'].pk}/votes/"
    response = client.post(
        url, {"company": "globex corp", "contact": "ana@globex.example", "importance": "critical"}, **HTMX
    )
    html = html_of(response)
    assert (
        html.lstrip().startswith('<section class="card" id="votes"') and 'Votes <span class="muted">(2)</span>' in html
    )
    vote = Vote.objects.get(idea=ideas["sso"], voter__isnull=True)
    assert (vote.company, vote.contact, vote.importance, vote.proxy_by) == (globex, ana, "critical", contributor)
    assert "250.0k USD" in html and "Strategic" in html
    response = client.post(url, {"company": "Nobody Inc", "importance": "important"}, **HTMX)
    assert "No company named “Nobody Inc” in your customer list." in html_of(response)
    response = client.post(f"{BASE}/{ideas['sso'].pk}/votes/remove/", {"company": globex.pk}, **HTMX)
    assert 'Votes <span class="muted">(1)</span>' in html_of(response)
    assert not Vote.objects.filter(idea=ideas["sso"], voter__isnull=True).exists()
    web_client(viewer).post(url, {"company": "Globex Corp", "importance": "important"})
    assert not Vote.objects.filter(idea=ideas["sso"], voter__isnull=True).exists()


def test_merge_by_search_then_unmerge(web_client, pm, ideas):
    client = web_client(pm)
    dark, sso = ideas["dark"], ideas["sso"]
    response = client.get(f"{BASE}/{sso.pk}/merge/search/?q=dar", **HTMX)
    html = html_of(response)
    assert html.lstrip().startswith('<div id="merge-results"') and f'name="target" value="{dark.pk}"' in html
    assert "No idea matches “zzz”" in html_of(client.get(f"{BASE}/{sso.pk}/merge/search/?q=zzz", **HTMX))
    full = html_of(client.get(f"{BASE}/{sso.pk}/merge/search/?q=dar"))  # without JavaScript: the whole page
    assert "<html" in full and f'name="target" value="{dark.pk}"' in full
    response = client.post(f"{BASE}/{sso.pk}/merge/", {"target": dark.pk})
    assert response["Location"] == f"{BASE}/{dark.pk}/"
    assert f.fresh(sso).merged_into_id == dark.pk
    html = html_of(client.get(f"{BASE}/{sso.pk}/"))
    assert "Merged into" in html and "Unmerge" in html
    client.post(f"{BASE}/{sso.pk}/unmerge/")
    assert f.fresh(sso).merged_into_id is None and f.fresh(sso).vote_count == 1


def test_promote_link_and_unlink(web_client, pm, admin, ideas, pay):
    client = web_client(pm)
    response = client.post(f"{BASE}/{ideas['dark'].pk}/promote/", {"product": pay.pk, "title": "Dark theme"})
    assert flashes(client.get(response["Location"])) == [
        "PAY-1 “Dark theme” added to the backlog, linked to this idea."
    ]
    feature = f.fresh(ideas["dark"]).feature
    assert (feature.ref, feature.title) == ("PAY-1", "Dark theme")
    client.post(f"{BASE}/{ideas['sso'].pk}/link/", {"ref": "pay-1"})
    assert f.fresh(ideas["sso"]).feature == feature
    response = client.post(f"{BASE}/{ideas['sso'].pk}/link/", {"ref": "NOPE-9"})
    client.post(f"{BASE}/{ideas['sso'].pk}/unlink/")
    assert f.fresh(ideas["sso"]).feature is None
    assert "No feature NOPE-9 in this workspace." in flashes(client.get(response["Location"]))


# --- submit on behalf, moderation ----------------------------------------------------------------


def test_submit_on_behalf_of_a_customer(web_client, contributor, viewer, portal, ana, globex, pay):
    assert web_client(viewer).get(f"{BASE}/submit/").status_code == 403
    client = web_client(contributor)
    assert client.get(f"{BASE}/submit/").status_code == 200
    data = {
        "portal": portal.pk,
        "title": "Audit log export",
        "description": "Asked on the renewal call.",
        "product": pay.pk,
        "contact": "ana@globex.example",
        "company": "",
        "importance": "critical",
        "audience": "customer",
    }
    response = client.post(f"{BASE}/submit/", data)
    idea = Idea.objects.get(title="Audit log export")
    assert response["Location"] == f"{BASE}/{idea.pk}/"
    assert (idea.on_behalf_contact, idea.on_behalf_company, idea.entered_by, idea.product) == (
        ana,
        globex,
        contributor,
        pay,
    )
    assert flashes(client.get(response["Location"])) == [f"Idea #{idea.pk} “Audit log export” filed for Globex Corp."]
    response = client.post(f"{BASE}/submit/", {**data, "contact": "", "company": "Initech"})
    assert response.status_code == 422 and "No company named “Initech” in your customer list." in html_of(response)


def test_moderation_queue_approve_and_reject(web_client, leader, pm, viewer, workspace):
    gated = f.portal(leader, workspace, slug="gated", name="Gated", require_approval=True)
    person = f.portal_user(gated, "pat@customer.example")
    first = f.idea(person, gated, "First request", description="Like **Gmail**")
    second = f.idea(person, gated, "Second request")
    assert first.approval == Approval.PENDING
    html = html_of(web_client(viewer).get(f"{BASE}/moderation/"))
    assert "First request" in html and "Like <strong>Gmail</strong>" in html and "Approve #" not in html
    client = web_client(pm)
    html = html_of(client.get(f"{BASE}/moderation/"))
    assert html.count('aria-label="Approve #') == 2 and '<span class="id-count" aria-label="2 waiting">2</span>' in html
    response = client.post(f"{BASE}/{first.pk}/approve/", {"next": "moderation"})
    assert response["Location"] == f"{BASE}/moderation/"
    client.post(f"{BASE}/{second.pk}/reject/", {"next": "moderation"})
    assert [f.fresh(first).approval, f.fresh(second).approval] == [Approval.APPROVED, Approval.REJECTED]
    assert "Nothing waits for approval" in html_of(client.get(f"{BASE}/moderation/"))


# --- settings ------------------------------------------------------------------------------------

SETTINGS_PAGES = ["/settings/", "/settings/portals/new/", "/settings/statuses/", "/settings/demand/"]


@pytest.mark.parametrize("role", ["viewer", "contributor", "pm"])
def test_settings_are_for_leaders(web_client, people, role, portal):
    client = web_client(people[role])
    for url in [*SETTINGS_PAGES, f"/settings/portals/{portal.pk}/"]:
        assert client.get(f"{BASE}{url}").status_code == 403, url
    client.post(f"{BASE}/settings/portals/{portal.pk}/archive/")
    assert Portal.objects.get(pk=portal.pk).archived_at is None


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_leaders_open_every_settings_page(web_client, people, role, portal):
    client = web_client(people[role])
    for url in [*SETTINGS_PAGES, f"/settings/portals/{portal.pk}/"]:
        assert client.get(f"{BASE}{url}").status_code == 200, url
    html = html_of(client.get(f"{BASE}/settings/"))
    assert (
        "Customer feedback" in html and 'href="/p/feedback/"' in html and '<span class="product-key">PAY</span>' in html
    )


def test_portal_create_edit_invite_archive_restore(web_client, leader, pay):
    client = web_client(leader)
    data = {
        "name": "Partner ideas",
        "slug": "partner-ideas",
        "intro": "Tell us",
        "accent_color": "#0F8A5F",
        "visibility": "private",
        "allowed_domains": "partner.example",
        "require_approval": "on",
        "products": [pay.pk],
    }
    response = client.post(f"{BASE}/settings/portals/new/", data)
    portal = Portal.objects.get(slug="partner-ideas")
    assert response["Location"] == f"{BASE}/settings/portals/{portal.pk}/"
    assert (portal.visibility, portal.accent_color, portal.require_approval, portal.domains) == (
        "private",
        "#0f8a5f",
        True,
        ["partner.example"],
    )
    assert list(portal.portal_products.values_list("product_id", flat=True)) == [pay.pk]
    response = client.post(f"{BASE}/settings/portals/new/", {**data, "name": "Another"})
    assert response.status_code == 422
    client.post(f"{BASE}/settings/portals/{portal.pk}/", {**data, "name": "Partners", "products": []})
    portal.refresh_from_db()
    assert portal.name == "Partners" and not portal.portal_products.exists()
    client.post(f"{BASE}/settings/portals/{portal.pk}/invite/", {"emails": "a@x.example, b@y.example"})
    assert sorted(PortalInvitation.objects.values_list("email", flat=True)) == ["a@x.example", "b@y.example"]
    invitation = PortalInvitation.objects.get(email="a@x.example")
    client.post(f"{BASE}/settings/invitations/{invitation.pk}/delete/")
    assert list(PortalInvitation.objects.values_list("email", flat=True)) == ["b@y.example"]
    client.post(f"{BASE}/settings/portals/{portal.pk}/archive/")
    portal.refresh_from_db()
    assert portal.archived_at is not None
    assert "Restore" in html_of(client.get(f"{BASE}/settings/portals/{portal.pk}/"))
    client.post(f"{BASE}/settings/portals/{portal.pk}/restore/")
    portal.refresh_from_db()
    assert portal.archived_at is None


def test_statuses_and_categories(web_client, leader, workspace):
    client = web_client(leader)
    client.get(f"{BASE}/settings/statuses/")
    response = client.post(
        f"{BASE}/settings/statuses/", {"name": "Needs info", "public_label": "Tell us more", "category": "under_review"}
    )
    assert response.status_code == 302
    status = IdeaStatus.objects.get(workspace=workspace, name="Needs info")
    assert (status.public_label, status.category, status.position) == ("Tell us more", "under_review", 7)
    client.post(
        f"{BASE}/settings/statuses/{status.pk}/", {"name": "Waiting", "public_label": "Waiting", "category": "new"}
    )
    client.post(f"{BASE}/settings/statuses/{status.pk}/move/", {"direction": "up"})
    client.post(f"{BASE}/settings/statuses/{status.pk}/", {"default": "1"})
    status.refresh_from_db()
    assert (status.name, status.category, status.position, status.is_default) == ("Waiting", "new", 6, True)
    old_default = IdeaStatus.objects.get(workspace=workspace, name="New")
    client.post(f"{BASE}/settings/statuses/{old_default.pk}/delete/")
    assert not IdeaStatus.objects.filter(pk=old_default.pk).exists()
    client.post(f"{BASE}/settings/statuses/", {"name": "Later", "public_label": "", "category": "planned"})
    assert IdeaStatus.objects.get(workspace=workspace, name="Later").public_label == "Later"
    client.post(f"{BASE}/settings/categories/", {"name": "Mobile"})
    category = IdeaCategory.objects.get(workspace=workspace)
    client.post(f"{BASE}/settings/categories/{category.pk}/", {"name": "Mobile apps"})
    category.refresh_from_db()
    assert category.name == "Mobile apps"
    assert "Mobile apps" in html_of(client.get(f"{BASE}/settings/statuses/"))
    client.post(f"{BASE}/settings/categories/{category.pk}/delete/")
    assert not IdeaCategory.objects.exists()


def test_demand_weights_and_the_feature_status_mapping(web_client, leader, workspace, ideas):
    client = web_client(leader)
    assert client.get(f"{BASE}/settings/demand/").status_code == 200
    data = {
        "nice_to_have_weight": "1",
        "important_weight": "3",
        "critical_weight": "5",
        "company_basis": "none",
        "strategic_weight": "3",
        "key_weight": "2",
        "standard_weight": "1",
        "arr_step": "100000",
        "no_company_weight": "1",
    }
    response = client.post(f"{BASE}/settings/demand/", data)
    assert response.status_code == 302
    row = DemandSettings.objects.get(workspace=workspace)
    assert (row.important_weight, row.critical_weight, row.company_basis) == (Decimal("3"), Decimal("5"), "none")
    assert f.fresh(ideas["dark"]).demand == Decimal("8")
    response = client.post(f"{BASE}/settings/demand/", {**data, "arr_step": "0"})
    assert response.status_code == 422
    from headway.backlog.models import WorkflowStatus

    done = WorkflowStatus.objects.get(workspace=workspace, category="done")
    shipped = status_named(workspace, "shipped")
    client.post(f"{BASE}/settings/mapping/", {f"map-{done.pk}": shipped.pk})
    assert list(FeatureStatusMapping.objects.values_list("feature_status_id", "idea_status_id")) == [
        (done.pk, shipped.pk)
    ]
    html = html_of(client.get(f"{BASE}/settings/demand/"))
    assert f'<option value="{shipped.pk}" selected>' in html


# --- the panel on a feature's page ---------------------------------------------------------------


def test_feature_page_lists_linked_ideas_with_totals(web_client, pm, viewer, admin, ideas, pay):
    feature = bf.feature(admin, pay, "Dark theme")
    client = web_client(pm)
    page = f"/w/acme/backlog/features/{feature.pk}/"
    response = client.post(f"{BASE}/features/{feature.pk}/link/", {"idea": f"#{ideas['dark'].pk}"})
    assert response["Location"] == f"{page}#ideas"
    client.post(f"{BASE}/features/{feature.pk}/link/", {"idea": str(ideas["sso"].pk)})
    html = html_of(client.get(page))
    assert (
        '<strong class="id-feature-votes">3</strong>' in html
        and '<strong class="id-feature-demand">12</strong>' in html
    )
    assert "Dark mode" in html and "SSO login" in html and html.count(">Unlink</button>") == 2
    response = client.post(f"{BASE}/{ideas['sso'].pk}/unlink/", {"next": "feature"})
    assert response["Location"] == f"{page}#ideas" and f.fresh(ideas["sso"]).feature is None
    html = html_of(web_client(viewer).get(page))
    assert "Dark mode" in html and "Unlink" not in html and "Link idea" not in html
    client.post(f"{BASE}/features/{feature.pk}/link/", {"idea": "abc"})
    assert flashes(client.get(page)) == ["Give the idea's number, such as #42."]


def test_list_query_count_does_not_grow_with_the_rows(web_client, pm, ideas, portal, pay, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web_client(pm)
    client.get(f"{BASE}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}/")
    feature = bf.feature(admin, pay, "Linked")
    for n in range(4):
        idea = f.idea(pm, portal, f"More {n}", product=pay)
        idea_features.idea_link_feature(actor=pm, idea=idea, feature=feature)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{BASE}/")
    assert len(titles(response)) == 7
    assert len(many) == len(few)

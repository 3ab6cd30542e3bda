"""Workspace pages: home, overview, team (members and invitations), audit log, "coming" pages,
invitation links, the workspace switcher and the error pages."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from headway.core.context_processors import COMING_AREAS
from headway.core.models import AuditEvent
from headway.workspaces import services
from headway.workspaces.models import Invitation, Membership, Workspace
from headway.workspaces.tests.factories import MembershipFactory, WorkspaceFactory
from headway.workspaces.views import COMING_DESCRIPTIONS

pytestmark = pytest.mark.django_db

MEMBERS = "/w/acme/members/"


def html_of(response) -> str:
    return response.content.decode()


def mid(user, workspace) -> int:
    return Membership.objects.get(user=user, workspace=workspace).pk


def flashes(client) -> list[str]:
    """The flash messages the next page would show (and consumes them)."""
    return re.findall(r'<div class="flash [^"]*"[^>]*>\s*<span>(.*?)</span>', html_of(client.get("/accounts/profile/")))


# --- home, create ---------------------------------------------------------------------------


def test_home_goes_to_the_last_used_workspace(web_client, admin, workspace):
    second = WorkspaceFactory(name="Beta", slug="beta")
    MembershipFactory(workspace=second, user=admin, role="viewer")
    client = web_client(admin)
    client.get("/w/beta/")
    assert client.get("/")["Location"] == "/w/beta/"
    client.get("/w/acme/")
    assert client.get("/")["Location"] == "/w/acme/"


def test_home_without_a_workspace_offers_to_create_one(web_client, db):
    from headway.accounts.tests.factories import UserFactory

    client = web_client(UserFactory())
    assert client.get("/")["Location"] == "/workspaces/new/"
    response = client.post("/workspaces/new/", {"name": "Initech"})
    assert response["Location"] == "/w/initech/"
    assert Membership.objects.get(workspace__slug="initech").role == "admin"
    assert flashes(client) == ["Workspace “Initech” created. You are its admin."]


@pytest.mark.parametrize("data", [{"name": ""}, {}])
def test_workspace_create_needs_a_name(web_client, admin, data):
    response = web_client(admin).post("/workspaces/new/", data)
    assert response.status_code == 400
    assert '<p class="error" role="alert">This field is required.</p>' in html_of(response)
    assert list(Workspace.objects.values_list("slug", flat=True)) == ["acme"]


def test_pages_need_sign_in(client, workspace):
    response = client.get("/w/acme/members/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/w/acme/members/"


# --- overview -------------------------------------------------------------------------------


def test_overview_numbers(web_client, viewer, member, workspace, other_workspace, django_assert_num_queries):
    from headway.customers.models import Company
    from headway.portfolio.models import Product, ProductLine
    from headway.workspaces.overview import overview_numbers

    line = ProductLine.objects.create(workspace=workspace, name="Payments")
    ProductLine.objects.create(workspace=workspace, name="Old", archived_at=timezone.now())
    for key, stage in [("PAY", "growth"), ("CARD", "growth"), ("FX", "concept")]:
        Product.objects.create(workspace=workspace, product_line=line, name=key, key=key, stage=stage)
    Product.objects.create(workspace=workspace, product_line=line, name="Gone", key="GONE", archived_at=timezone.now())
    Company.objects.create(workspace=workspace, name="A", arr=Decimal("1200000"), health="at_risk")
    Company.objects.create(workspace=workspace, name="B", arr=Decimal("300000.50"), health="healthy")
    Company.objects.create(
        workspace=workspace, name="C", arr=Decimal("999"), health="at_risk", archived_at=timezone.now()
    )
    other_line = ProductLine.objects.create(workspace=other_workspace, name="Theirs")
    Product.objects.create(workspace=other_workspace, product_line=other_line, name="T", key="T1")
    Company.objects.create(workspace=other_workspace, name="Z", arr=Decimal("5000000"), health="at_risk")
    member("pm")

    expected = {
        "product_lines": 1,
        "products": 3,
        "by_stage": {"growth": 2, "concept": 1},
        "companies": 2,
        "arr": Decimal("1500000.50"),
        "at_risk": 1,
        "members": 2,
    }
    assert overview_numbers(workspace) == expected  # computes and caches the company summary
    with django_assert_num_queries(4):  # lines, products by stage, cached company summary, members
        assert overview_numbers(workspace) == expected
    Company.objects.filter(name="B").update(health="at_risk")  # bypasses services: cache still answers
    assert overview_numbers(workspace)["at_risk"] == 1
    from headway.customers.counts import forget_counts

    forget_counts(workspace.pk)  # what every company service does
    assert overview_numbers(workspace)["at_risk"] == 2
    Company.objects.filter(name="B").update(health="healthy")
    forget_counts(workspace.pk)

    response = web_client(viewer).get("/w/acme/")
    assert response.status_code == 200
    html = html_of(response)
    assert '<div class="label">Product lines</div><div class="value">1</div>' in html
    assert '<div class="label">Products</div><div class="value">3</div>' in html
    assert '<div class="label">Customers</div><div class="value">2</div>' in html
    assert '<div class="label">Total ARR</div><div class="value">1.5M USD</div>' in html
    assert "<strong>1</strong> customer at risk" in html
    assert "<strong>2</strong> members in this workspace" in html
    assert '<span style="width: 67%"></span></span><span class="num">2</span>' in html  # growth: 2 of 3


def test_overview_of_an_empty_workspace(web_client, admin, workspace):
    html = html_of(web_client(admin).get("/w/acme/"))
    assert "No products yet" in html
    assert '<div class="label">Total ARR</div><div class="value">0 USD</div>' in html


# --- members --------------------------------------------------------------------------------


def test_members_page_lists_this_workspace_only(web_client, admin, leader, viewer, outsider, workspace):
    response = web_client(viewer).get(MEMBERS)
    assert response.status_code == 200
    html = html_of(response)
    assert [m for m in re.findall(r"<strong>(.*?)</strong>", html)] == ["Ada Admin", "Lee Leader", "Vic Viewer"]
    assert "Otto Outsider" not in html
    assert 'aria-current="page"' in html and ">Team<" in html
    # A viewer sees roles as tags, cannot invite, and can only leave.
    assert "Invite someone" not in html
    assert '<span class="tag">Product leader</span>' in html
    assert html.count(">Leave</button>") == 1
    assert ">Remove</button>" not in html


def test_members_page_for_an_admin(web_client, admin, leader, viewer, workspace):
    html = html_of(web_client(admin).get(MEMBERS))
    assert "Invite someone" in html
    assert '<option value="admin">Admin</option>' in html  # in the invite form
    assert html.count(">Remove</button>") == 2
    assert html.count(">Leave</button>") == 1
    assert '<strong>Ada Admin</strong> <span class="muted small">(you)</span>' in html


def test_members_page_for_a_leader_offers_no_admin_controls(web_client, admin, leader, viewer, workspace):
    html = html_of(web_client(leader).get(MEMBERS))
    invite_form = html[html.index("Invite someone") : html.index("Send invitation")]
    assert 'value="admin"' not in invite_form
    assert '<span class="tag">Admin</span>' in html  # the admin's row is read-only for a leader
    assert f'action="/w/acme/members/{mid(admin, workspace)}/remove/"' not in html
    assert f'action="/w/acme/members/{mid(viewer, workspace)}/remove/"' in html


def test_members_search_and_role_filter(web_client, admin, leader, pm, viewer, workspace):
    client = web_client(admin)
    names = lambda response: re.findall(r"<strong>(.*?)</strong>", html_of(response))  # noqa: E731
    assert names(client.get(MEMBERS + "?q=LEE")) == ["Lee Leader"]
    assert names(client.get(MEMBERS + "?q=pm@example")) == ["Pat PM"]
    assert names(client.get(MEMBERS + "?role=viewer")) == ["Vic Viewer"]
    assert names(client.get(MEMBERS + "?q=a&role=admin")) == ["Ada Admin"]
    empty = html_of(client.get(MEMBERS + "?q=nobody"))
    assert "No members match" in empty
    html = html_of(client.get(MEMBERS + "?q=lee&role=leader"))
    assert 'name="q" value="lee"' in html
    assert '<option value="leader" selected>Product leader</option>' in html


def test_members_htmx_request_returns_only_the_rows(web_client, admin, leader, viewer, workspace):
    response = web_client(admin).get(MEMBERS + "?q=vic", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = html_of(response)
    assert html.strip().startswith('<div class="table-wrap">')
    assert re.findall(r"<strong>(.*?)</strong>", html) == ["Vic Viewer"]
    for page_part in ("<html", "<body", "Invite someone", 'class="toolbar"', "sidebar", "Pending invitations"):
        assert page_part not in html


def test_members_htmx_boosted_navigation_gets_the_full_page(web_client, admin, workspace):
    html = html_of(web_client(admin).get(MEMBERS, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true"))
    assert "<html" in html


def test_members_list_pages(web_client, admin, member, workspace):
    for n in range(55):
        member("viewer", email=f"p{n:02}@example.com", full_name=f"Person {n:02}")
    client = web_client(admin)
    html = html_of(client.get(MEMBERS))
    assert html.count('<span class="avatar">') == 50 + 1  # the rows and the sidebar
    assert "Page 1 of 2 · 56 total" in html
    assert html_of(client.get(MEMBERS + "?page=2")).count('<span class="avatar">') == 6 + 1


def test_members_page_query_count(web_client, admin, member, workspace, django_assert_max_num_queries):
    for n in range(30):
        member("viewer")
    client = web_client(admin)
    client.get(MEMBERS)
    with django_assert_max_num_queries(14):
        client.get(MEMBERS)


# --- invite form ----------------------------------------------------------------------------


def test_invite_from_the_members_page(web_client, admin, workspace, django_capture_on_commit_callbacks):
    client = web_client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(MEMBERS, {"email": "New@Example.com", "role": "pm"})
    assert response.status_code == 302
    assert response["Location"] == MEMBERS
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("new@example.com", "pm")
    assert len(mail.outbox) == 1
    html = html_of(client.get(MEMBERS))
    assert "Invitation sent to new@example.com. The link works for 7 days." in html
    assert "Pending invitations" in html
    assert "<td>new@example.com</td><td>Product manager</td><td>Ada Admin</td>" in html


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"email": "nope", "role": "pm"}, "email", "Enter a valid email address."),
        ({"email": "", "role": "pm"}, "email", "This field is required."),
        ({"email": "", "role": ""}, "role", "This field is required."),
        (
            {"email": "a@example.com", "role": "owner"},
            "role",
            "Select a valid choice. owner is not one of the available choices.",
        ),
        (
            {"email": "viewer@example.com", "role": "pm"},
            "email",
            "viewer@example.com is already a member of Acme Product.",
        ),
    ],
)
def test_invite_form_shows_errors_inline(web_client, admin, viewer, workspace, data, field, error):
    response = web_client(admin).post(MEMBERS, data)
    assert response.status_code == 400
    html = html_of(response)
    field_html = html[html.index(f'<label for="id_{field}">') :]
    field_html = field_html[: field_html.index("</div>")]
    assert f'<p class="error" role="alert">{error}</p>' in field_html
    assert f'value="{data["email"]}"' in html or not data["email"]  # what was typed is kept
    assert Invitation.objects.count() == 0


def test_leader_cannot_pick_admin_in_the_invite_form(web_client, leader, workspace):
    response = web_client(leader).post(MEMBERS, {"email": "boss@example.com", "role": "admin"})
    assert response.status_code == 400
    assert "Select a valid choice. admin is not one of the available choices." in html_of(response)
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize("role", ["pm", "contributor", "viewer"])
def test_inviting_without_the_right_is_403(web_client, member, workspace, role):
    response = web_client(member(role)).post(MEMBERS, {"email": "x@example.com", "role": "viewer"})
    assert response.status_code == 403
    assert "may not manage members." in html_of(response)
    assert Invitation.objects.count() == 0


def test_withdraw_an_invitation(web_client, admin, workspace, invite):
    invitation, _ = invite("new@example.com")
    client = web_client(admin)
    response = client.post(f"/w/acme/invitations/{invitation.pk}/revoke/")
    assert response["Location"] == MEMBERS
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert flashes(client) == ["Invitation for new@example.com withdrawn."]
    assert client.post(f"/w/acme/invitations/{invitation.pk}/revoke/").status_code == 404


def test_withdraw_needs_the_right(web_client, viewer, workspace, invite):
    invitation, _ = invite()
    assert web_client(viewer).post(f"/w/acme/invitations/{invitation.pk}/revoke/").status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- role change and removal ----------------------------------------------------------------


def test_change_a_role(web_client, admin, viewer, workspace):
    client = web_client(admin)
    response = client.post(f"/w/acme/members/{mid(viewer, workspace)}/role/", {"role": "pm"})
    assert response["Location"] == MEMBERS
    assert Membership.objects.get(user=viewer).role == "pm"
    assert flashes(client) == ["Vic Viewer is now Product manager."]


def test_change_role_errors_come_back_as_a_message(web_client, admin, workspace):
    client = web_client(admin)
    client.post(f"/w/acme/members/{mid(admin, workspace)}/role/", {"role": "viewer"})
    assert Membership.objects.get(user=admin).role == "admin"
    assert flashes(client) == ["A workspace needs at least one admin. Make someone else an admin first."]


def test_change_role_is_post_only(web_client, admin, viewer, workspace):
    assert web_client(admin).get(f"/w/acme/members/{mid(viewer, workspace)}/role/").status_code == 405


def test_change_role_without_the_right(web_client, pm, viewer, workspace):
    client = web_client(pm)
    client.post(f"/w/acme/members/{mid(viewer, workspace)}/role/", {"role": "leader"})
    assert Membership.objects.get(user=viewer).role == "viewer"
    assert flashes(client) == ["Your role (Product manager) may not manage members."]


def test_remove_a_member(web_client, admin, viewer, workspace):
    client = web_client(admin)
    response = client.post(f"/w/acme/members/{mid(viewer, workspace)}/remove/")
    assert response["Location"] == MEMBERS
    assert not Membership.objects.filter(user=viewer).exists()
    assert flashes(client) == ["Member removed."]


def test_leave_a_workspace(web_client, admin, viewer, workspace):
    client = web_client(viewer)
    response = client.post(f"/w/acme/members/{mid(viewer, workspace)}/remove/")
    assert response["Location"] == "/"
    assert not Membership.objects.filter(user=viewer).exists()
    assert flashes(client) == ["You left Acme Product."]
    assert client.get("/w/acme/").status_code == 404


def test_the_last_admin_cannot_leave(web_client, admin, workspace):
    client = web_client(admin)
    assert client.post(f"/w/acme/members/{mid(admin, workspace)}/remove/")["Location"] == MEMBERS
    assert Membership.objects.filter(user=admin).exists()
    assert flashes(client) == ["A workspace needs at least one admin. Make someone else an admin first."]


def test_remove_without_the_right(web_client, contributor, viewer, workspace):
    client = web_client(contributor)
    client.post(f"/w/acme/members/{mid(viewer, workspace)}/remove/")
    assert Membership.objects.filter(user=viewer).exists()
    assert flashes(client) == ["Your role (Contributor) may not manage members."]


def test_change_role_of_a_member_of_another_workspace_is_404(web_client, admin, outsider, other_workspace, workspace):
    response = web_client(admin).post(f"/w/acme/members/{mid(outsider, other_workspace)}/role/", {"role": "viewer"})
    assert response.status_code == 404
    assert Membership.objects.get(user=outsider).role == "admin"


def test_remove_a_member_of_another_workspace_is_404(web_client, admin, outsider, other_workspace, workspace):
    response = web_client(admin).post(f"/w/acme/members/{mid(outsider, other_workspace)}/remove/")
    assert response.status_code == 404
    assert Membership.objects.filter(user=outsider).exists()


# --- invitation links -----------------------------------------------------------------------


def test_accept_as_a_new_person(client, invite, workspace):
    _, raw = invite("new.person@example.com", "pm")
    page = client.get(f"/invitations/{raw}/")
    html = html_of(page)
    assert (
        "Ada Admin invited <strong>new.person@example.com</strong> to join as <strong>Product manager</strong>." in html
    )
    assert "Create account and join" in html
    response = client.post(f"/invitations/{raw}/", {"full_name": "New Person", "password": "a-fine-password-12"})
    assert response["Location"] == "/w/acme/"
    membership = Membership.objects.get(user__email="new.person@example.com")
    assert (membership.role, membership.user.full_name) == ("pm", "New Person")
    assert client.session["_auth_user_id"] == str(membership.user_id)
    assert "Welcome to Acme Product." in html_of(client.get("/w/acme/"))


def test_accept_as_a_new_person_with_a_weak_password_shows_it_inline(client, invite):
    _, raw = invite("new@example.com")
    response = client.post(f"/invitations/{raw}/", {"full_name": "N", "password": "short"})
    assert response.status_code == 422
    html = html_of(response)
    field_html = html[html.index('<label for="id_password">') :]
    assert (
        '<p class="error" role="alert">This password is too short. It must contain at least 10 characters.</p>'
        in field_html[: field_html.index("</div>")]
    )
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_accept_as_a_new_person_needs_the_form(client, invite):
    _, raw = invite("new@example.com")
    response = client.post(f"/invitations/{raw}/", {})
    assert response.status_code == 400
    assert html_of(response).count("This field is required.") == 2


def test_accept_when_signed_in(web_client, outsider, invite, workspace):
    _, raw = invite(outsider.email, "leader")
    client = web_client(outsider)
    assert "Join as outsider@example.com" in html_of(client.get(f"/invitations/{raw}/"))
    assert client.post(f"/invitations/{raw}/")["Location"] == "/w/acme/"
    assert Membership.objects.get(user=outsider, workspace=workspace).role == "leader"


def test_accept_when_signed_in_as_someone_else(web_client, outsider, invite, workspace):
    _, raw = invite("someone@example.com")
    client = web_client(outsider)
    html = html_of(client.get(f"/invitations/{raw}/"))
    assert (
        "This invitation is for someone@example.com, but you are signed in as outsider@example.com. "
        "Sign out, then open the link again." in html
    )
    assert f'<input type="hidden" name="next" value="/invitations/{raw}/">' in html
    response = client.post(f"/invitations/{raw}/")
    assert response.status_code == 403
    assert not Membership.objects.filter(user=outsider, workspace=workspace).exists()
    # Signing out from there comes back to the invitation.
    assert client.post("/accounts/logout/", {"next": f"/invitations/{raw}/"})["Location"] == f"/invitations/{raw}/"


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("unknown", 404, "This invitation link is not valid. Ask for a new one."),
        ("revoked", 404, "This invitation link is not valid. Ask for a new one."),
        ("expired", 409, "This invitation has expired. Ask the person who invited you for a new one."),
        ("accepted", 409, "This invitation has already been accepted. Sign in to continue."),
    ],
)
def test_unusable_invitation_links(client, invite, outsider, case, status, message):
    invitation, raw = invite(outsider.email)
    if case == "unknown":
        raw = "not-a-real-token"
    elif case == "revoked":
        Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    elif case == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    else:
        services.invitation_accept(token=raw, user=outsider)
    for response in (client.get(f"/invitations/{raw}/"), client.post(f"/invitations/{raw}/", {})):
        assert response.status_code == status
        html = html_of(response)
        assert "<h1>Invitation not usable</h1>" in html
        assert message in html


# --- audit log ------------------------------------------------------------------------------


def test_audit_log_for_admins(web_client, admin, viewer, workspace, invite):
    invite("new@example.com", "pm")
    services.membership_change_role(actor=admin, workspace=workspace, membership_id=mid(viewer, workspace), role="pm")
    AuditEvent.objects.create(workspace=None, actor=admin, action="user.update", target_type="accounts.user")
    client = web_client(admin)
    response = client.get("/w/acme/audit/")
    assert response.status_code == 200
    html = html_of(response)
    assert re.findall(r'<span class="tag">(.*?)</span>', html) == ["membership.update", "invitation.create"]
    assert '<span class="field-name">Role:</span> <del>viewer</del> → <ins>pm</ins>' in html
    assert '<span class="field-name">Email:</span> <del>—</del> → <ins>new@example.com</ins>' in html
    filtered = html_of(client.get("/w/acme/audit/?type=invitation."))
    assert re.findall(r'<span class="tag">(.*?)</span>', filtered) == ["invitation.create"]
    assert '<option value="invitation." selected>Invitations</option>' in filtered
    fragment = html_of(client.get("/w/acme/audit/?type=membership.", HTTP_HX_REQUEST="true"))
    assert fragment.strip().startswith('<div class="table-wrap">')
    assert re.findall(r'<span class="tag">(.*?)</span>', fragment) == ["membership.update"]


def test_audit_log_shows_nothing_of_other_workspaces(web_client, admin, outsider, other_workspace, workspace):
    services.workspace_rename(actor=outsider, workspace=other_workspace, name="Globex Secret")
    html = html_of(web_client(admin).get("/w/acme/audit/"))
    assert "Globex" not in html
    assert "Nothing recorded yet" in html


@pytest.mark.parametrize(
    ("role", "label"), [("leader", "Product leader"), ("pm", "Product manager"), ("viewer", "Viewer")]
)
def test_audit_log_is_403_below_admin(web_client, member, workspace, role, label):
    response = web_client(member(role)).get("/w/acme/audit/")
    assert response.status_code == 403
    html = html_of(response)
    assert "<h1>Not allowed</h1>" in html
    assert f"Your role ({label}) may not see the workspace audit log." in html


def test_audit_link_in_the_sidebar_only_for_admins(web_client, admin, leader, workspace):
    assert 'href="/w/acme/audit/"' in html_of(web_client(admin).get("/w/acme/"))
    assert 'href="/w/acme/audit/"' not in html_of(web_client(leader).get("/w/acme/"))


# --- coming pages, errors, switcher ---------------------------------------------------------


@pytest.mark.parametrize("area", sorted(COMING_AREAS))
def test_coming_pages(web_client, viewer, workspace, area):
    response = web_client(viewer).get(f"/w/acme/soon/{area}/")
    assert response.status_code == 200
    html = html_of(response)
    label = COMING_AREAS[area]
    assert f"<h3>{label} is coming</h3>" in html
    assert f"<p>{COMING_DESCRIPTIONS[area]}</p>" in html
    assert f"<title>{label} · Acme Product · Headway</title>" in html
    assert f'href="/w/acme/soon/{area}/" class="active coming" aria-current="page"' in html


@pytest.mark.parametrize("area", ["nowhere", "portfolio", "customers", "team"])
def test_coming_page_for_an_unknown_area_is_404(web_client, viewer, workspace, area):
    response = web_client(viewer).get(f"/w/acme/soon/{area}/")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in html_of(response)


def test_every_coming_area_has_a_description():
    assert set(COMING_DESCRIPTIONS) == set(COMING_AREAS)


def test_sidebar_lists_every_area(web_client, viewer, workspace):
    html = html_of(web_client(viewer).get("/w/acme/"))
    for area in COMING_AREAS:
        assert f'href="/w/acme/soon/{area}/"' in html
    for url in ("/w/acme/", "/w/acme/portfolio/", "/w/acme/customers/", "/w/acme/members/"):
        assert f'href="{url}"' in html


def test_switcher_lists_only_my_workspaces(web_client, admin, workspace, other_workspace, outsider):
    mine = WorkspaceFactory(name="Beta Labs", slug="beta")
    MembershipFactory(workspace=mine, user=admin, role="viewer")
    WorkspaceFactory(name="Not Mine", slug="notmine")
    html = html_of(web_client(admin).get("/w/acme/"))
    menu = html[html.index('<div class="switcher-menu"') :]
    menu = menu[: menu.index("</div>")]
    assert re.findall(r'role="menuitem" href="([^"]+)"', menu) == ["/w/acme/", "/w/beta/", "/workspaces/new/"]
    assert "Globex" not in menu and "Not Mine" not in menu
    assert 'href="/w/acme/" class="current"' in menu


def test_another_workspace_is_a_404_page(web_client, admin, workspace, other_workspace):
    response = web_client(admin).get("/w/globex/")
    assert response.status_code == 404
    html = html_of(response)
    assert "<h1>Not found</h1>" in html
    assert "Globex" not in html


def test_a_workspace_that_does_not_exist_is_the_same_404(web_client, admin, workspace):
    a = web_client(admin).get("/w/globex/")
    b = web_client(admin).get("/w/does-not-exist/")
    assert a.status_code == b.status_code == 404


def test_404_page_for_anonymous_people_uses_the_plain_layout(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = html_of(response)
    assert "<h1>Not found</h1>" in html
    assert 'class="plain"' in html

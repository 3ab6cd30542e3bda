"""Accounts pages: sign in and out, profile, password, API tokens and the password reset flow."""

import re

import pytest
from django.core import mail
from django.test import Client

from headway.accounts.models import ApiToken, LoginFailure, PasswordResetRequest, hash_token
from headway.accounts.services import api_token_create
from headway.accounts.tests.factories import PASSWORD
from headway.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
NO_MATCH = "That email and password do not match an account."
LOCKED = "Too many failed sign-ins. Sign-in is locked for about 15 minutes; try again later or reset your password."


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


# --- sign in --------------------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<input type="email" name="email"' in html
    assert '<input type="password" name="password"' in html
    assert 'href="/accounts/password/reset/"' in html


def test_login_success_lands_on_the_last_workspace(client, admin, workspace):
    response = client.post(LOGIN, {"email": "ADMIN@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(admin.pk)
    assert client.get("/")["Location"] == "/w/acme/"


def test_login_failure_shows_the_message_and_records_it(client, admin):
    response = client.post(LOGIN, {"email": "admin@example.com", "password": "wrong"}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 400
    assert NO_MATCH in response.content.decode()
    assert signed_in_user_id(client) is None
    assert list(LoginFailure.objects.values_list("email", "ip_address")) == [("admin@example.com", "10.1.1.1")]


def test_login_with_an_unknown_email_looks_the_same(client, admin):
    response = client.post(LOGIN, {"email": "nobody@example.com", "password": "wrong"})
    assert response.status_code == 400
    assert NO_MATCH in response.content.decode()


def test_login_with_a_malformed_form_is_a_400_with_field_errors(client):
    response = client.post(LOGIN, {"email": "not-an-email", "password": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "This field is required." in html
    assert LoginFailure.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/accounts/profile/", 1),  # time zone; a blank name is allowed
        ("/accounts/password/", 2),
        ("/accounts/tokens/", 2),
    ],
)
def test_an_empty_post_shows_required_errors(web_client, admin, workspace, url, expected):
    response = web_client(admin).post(url, {})
    assert response.status_code == 400
    assert response.content.decode().count('<p class="error" role="alert">This field is required.</p>') == expected


def test_an_empty_login_post_shows_required_errors(client):
    response = client.post(LOGIN, {})
    assert response.status_code == 400
    assert response.content.decode().count('<p class="error" role="alert">This field is required.</p>') == 2


def test_login_lockout_after_the_limit_is_a_429_with_the_clear_message(client, admin, settings):
    for _ in range(settings.HEADWAY_LOGIN_MAX_FAILURES - 1):
        assert client.post(LOGIN, {"email": admin.email, "password": "wrong"}).status_code == 400
    # The failure that reaches the limit already says so.
    response = client.post(LOGIN, {"email": admin.email, "password": "wrong"})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert NO_MATCH not in response.content.decode()
    # While locked even the right password does not get in, and no further failure is counted.
    response = client.post(LOGIN, {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert signed_in_user_id(client) is None
    assert LoginFailure.objects.count() == settings.HEADWAY_LOGIN_MAX_FAILURES


def test_successful_login_clears_earlier_failures(client, admin):
    for _ in range(3):
        client.post(LOGIN, {"email": admin.email, "password": "wrong"})
    assert client.post(LOGIN, {"email": admin.email, "password": PASSWORD}).status_code == 302
    assert LoginFailure.objects.count() == 0


def test_inactive_people_cannot_sign_in(client, admin):
    admin.is_active = False
    admin.save()
    response = client.post(LOGIN, {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert NO_MATCH in response.content.decode()


def test_login_follows_a_safe_next(client, admin, workspace):
    response = client.post(LOGIN, {"email": admin.email, "password": PASSWORD, "next": "/w/acme/members/?q=ada"})
    assert response["Location"] == "/w/acme/members/?q=ada"


def test_login_page_keeps_next_in_the_form(client):
    html = client.get(LOGIN + "?next=/w/acme/members/").content.decode()
    assert '<input type="hidden" name="next" value="/w/acme/members/">' in html


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "http:evil.example.com",
        "javascript:alert(1)",
        "https://testserver.evil.example.com/",
        "home",  # a URL name would be reversed by redirect(); it must be treated as a relative path
    ],
)
def test_login_never_redirects_off_site(client, admin, next_url):
    response = client.post(LOGIN, {"email": admin.email, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    assert location in ("/", "home")
    assert "evil" not in location


def test_login_drops_an_unsafe_next_from_the_form(client):
    html = client.get(LOGIN + "?next=https://evil.example.com/").content.decode()
    assert '<input type="hidden" name="next" value="">' in html


def test_login_uses_the_forwarded_address_only_behind_a_configured_proxy(client, admin, settings):
    client.post(LOGIN, {"email": admin.email, "password": "x"}, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.HEADWAY_PROXY_COUNT = 1
    client.post(
        LOGIN, {"email": admin.email, "password": "x"}, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 5.6.7.8"
    )
    assert list(LoginFailure.objects.order_by("id").values_list("ip_address", flat=True)) == ["10.0.0.9", "5.6.7.8"]


# --- sign out -------------------------------------------------------------------------------


def test_logout_is_post_only(web_client, admin):
    client = web_client(admin)
    assert client.get("/accounts/logout/").status_code == 405
    assert signed_in_user_id(client) == str(admin.pk)


def test_logout_signs_out(web_client, admin):
    client = web_client(admin)
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert signed_in_user_id(client) is None
    assert "You are signed out." in response.content.decode()


def test_logout_may_return_to_a_safe_page_only(web_client, admin):
    client = web_client(admin)
    assert client.post("/accounts/logout/", {"next": "/invitations/abc/"})["Location"] == "/invitations/abc/"
    client = web_client(admin)
    assert client.post("/accounts/logout/", {"next": "https://evil.example.com/"})["Location"] == "/accounts/login/"


# --- profile and password -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/accounts/profile/", "/accounts/password/", "/accounts/tokens/"])
def test_account_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_profile_page_shows_the_current_values(web_client, admin, workspace):
    html = web_client(admin).get("/accounts/profile/").content.decode()
    assert 'value="Ada Admin"' in html
    assert '<option value="UTC" selected>UTC</option>' in html
    assert '<span class="avatar" style="width:48px;height:48px;font-size:1.1rem">AA</span>' in html


def test_account_pages_keep_the_workspace_navigation(web_client, admin, workspace):
    html = web_client(admin).get("/accounts/tokens/").content.decode()
    assert '<li><a href="/w/acme/">Acme Product</a></li><li>Your account</li>' in html
    assert 'href="/w/acme/members/"' in html


def test_account_pages_without_any_workspace(web_client, db):
    from headway.accounts.tests.factories import UserFactory

    response = web_client(UserFactory(full_name="No Where")).get("/accounts/profile/")
    assert response.status_code == 200
    assert "nav_items" not in response.context or not response.context.get("nav_items")


def test_profile_update(web_client, admin):
    client = web_client(admin)
    response = client.post("/accounts/profile/", {"full_name": "Ada Lovelace", "time_zone": "Europe/London"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    admin.refresh_from_db()
    assert (admin.full_name, admin.time_zone) == ("Ada Lovelace", "Europe/London")
    assert AuditEvent.objects.get().changes == {
        "full_name": ["Ada Admin", "Ada Lovelace"],
        "time_zone": ["UTC", "Europe/London"],
    }
    assert "Profile saved." in client.get("/accounts/profile/").content.decode()


def test_profile_update_with_a_bad_time_zone_shows_the_error_inline(web_client, admin):
    response = web_client(admin).post("/accounts/profile/", {"full_name": "X", "time_zone": "Mars/Base"})
    assert response.status_code == 400
    assert "Select a valid choice. Mars/Base is not one of the available choices." in response.content.decode()
    admin.refresh_from_db()
    assert admin.full_name == "Ada Admin"


def test_password_change_page(web_client, admin):
    response = web_client(admin).get("/accounts/password/")
    assert response.status_code == 200
    assert 'name="old_password"' in response.content.decode()


def test_password_change_with_a_wrong_current_password(web_client, admin):
    response = web_client(admin).post(
        "/accounts/password/", {"old_password": "nope", "new_password": "a-much-better-secret-42"}
    )
    assert response.status_code == 400
    assert '<p class="error" role="alert">Not correct.</p>' in response.content.decode()
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


def test_password_change_with_a_weak_password(web_client, admin):
    response = web_client(admin).post("/accounts/password/", {"old_password": PASSWORD, "new_password": "Zq8#v"})
    assert response.status_code == 400
    assert (
        '<p class="error" role="alert">This password is too short. It must contain at least 10 characters.</p>'
        in response.content.decode()
    )


def test_password_change_keeps_the_session_and_the_new_password_works(web_client, admin):
    client = web_client(admin)
    response = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password": "a-much-better-secret-42"})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200  # still signed in
    other = Client()
    assert other.post(LOGIN, {"email": admin.email, "password": PASSWORD}).status_code == 400
    assert other.post(LOGIN, {"email": admin.email, "password": "a-much-better-secret-42"}).status_code == 302


# --- API tokens -----------------------------------------------------------------------------


def test_token_create_shows_the_secret_once(web_client, admin, workspace):
    client = web_client(admin)
    response = client.post("/accounts/tokens/", {"name": "CRM sync", "workspace": workspace.pk})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    token = ApiToken.objects.get()
    assert (token.name, token.user, token.workspace) == ("CRM sync", admin, workspace)
    assert token.token_hash == hash_token(secret)
    html = response.content.decode()
    assert f'<code id="new-token" x-ref="secret">{secret}</code>' in html
    assert html.count(secret) == 1
    assert "Token “CRM sync” created. Copy it now: it will not be shown again." in html

    listing = client.get("/accounts/tokens/").content.decode()
    assert secret not in listing
    assert secret[10:20] not in listing
    assert f"<code>{token.token_prefix}…</code>" in listing
    assert "CRM sync" in listing


def test_token_create_in_a_second_workspace(web_client, admin, other_workspace, member):
    from headway.workspaces.models import Membership

    Membership.objects.create(workspace=other_workspace, user=admin, role="viewer")
    web_client(admin).post("/accounts/tokens/", {"name": "globex", "workspace": other_workspace.pk})
    assert ApiToken.objects.get().workspace == other_workspace


@pytest.mark.parametrize("choice", ["other", "abc", ""])
def test_token_create_refuses_a_workspace_that_is_not_yours(web_client, admin, other_workspace, choice):
    value = {"other": other_workspace.pk, "abc": "abc", "": ""}[choice]
    response = web_client(admin).post("/accounts/tokens/", {"name": "x", "workspace": value})
    assert response.status_code == 400
    expected = "This field is required." if choice == "" else "Choose one of your workspaces."
    assert f'<p class="error" role="alert">{expected}</p>' in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_token_create_needs_a_name(web_client, admin, workspace):
    response = web_client(admin).post("/accounts/tokens/", {"name": "", "workspace": workspace.pk})
    assert response.status_code == 400
    assert '<p class="error" role="alert">This field is required.</p>' in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_token_list_shows_only_my_tokens(web_client, admin, leader, workspace):
    api_token_create(actor=admin, workspace=workspace, name="admin-token")
    api_token_create(actor=leader, workspace=workspace, name="leader-token")
    html = web_client(admin).get("/accounts/tokens/").content.decode()
    assert "admin-token" in html
    assert "leader-token" not in html


def test_token_revoke(web_client, admin, workspace):
    token, raw = api_token_create(actor=admin, workspace=workspace, name="old script")
    client = web_client(admin)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert response.redirect_chain == [("/accounts/tokens/", 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    html = response.content.decode()
    assert "Token “old script” revoked." in html
    assert '<span class="tag tag-archived">revoked</span>' in html
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401


def test_token_revoke_is_post_only_and_mine_only(web_client, admin, leader, workspace):
    token, _ = api_token_create(actor=leader, workspace=workspace, name="theirs")
    client = web_client(admin)
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- password reset -------------------------------------------------------------------------


def _request_reset(client: Client, email: str, ip: str = "10.0.0.1"):
    return client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=ip)


def test_password_reset_end_to_end(client, admin):
    response = _request_reset(client, "Admin@Example.com")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["admin@example.com"]
    assert message.subject == "Reset your Headway password"
    link = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert link, message.body

    response = client.get(link.group(1))
    assert response.status_code == 302  # Django moves the token into the session
    set_password_url = response["Location"]
    assert set_password_url.endswith("/set-password/")
    page = client.get(set_password_url)
    assert page.status_code == 200
    assert "Choose a new password" in page.content.decode()

    response = client.post(
        set_password_url, {"new_password1": "brand-new-secret-77", "new_password2": "brand-new-secret-77"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/complete/"
    admin.refresh_from_db()
    assert admin.check_password("brand-new-secret-77")
    assert AuditEvent.objects.filter(action="user.password_change", target_id=admin.pk).count() == 1

    assert client.post(LOGIN, {"email": admin.email, "password": "brand-new-secret-77"}).status_code == 302
    # The link works once.
    client.post("/accounts/logout/")
    assert "Link not valid" in client.get(link.group(1), follow=True).content.decode()


def test_password_reset_lifts_a_lockout(client, admin, settings):
    for _ in range(settings.HEADWAY_LOGIN_MAX_FAILURES):
        client.post(LOGIN, {"email": admin.email, "password": "wrong"})
    _request_reset(client, admin.email)
    path = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    set_url = client.get(path)["Location"]
    client.post(set_url, {"new_password1": "brand-new-secret-77", "new_password2": "brand-new-secret-77"})
    assert client.post(LOGIN, {"email": admin.email, "password": "brand-new-secret-77"}).status_code == 302


def test_password_reset_rejects_a_weak_password(client, admin):
    _request_reset(client, admin.email)
    path = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    set_url = client.get(path)["Location"]
    response = client.post(set_url, {"new_password1": "12345", "new_password2": "12345"})
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 10 characters." in response.content.decode()
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(client):
    response = _request_reset(client, "nobody@example.com")
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_password_reset_form_is_rate_limited(client, admin):
    for _ in range(5):
        assert _request_reset(client, admin.email).status_code == 302
    response = _request_reset(client, admin.email, ip="10.0.0.2")
    assert response.status_code == 429
    assert (
        "Too many password reset requests. Try again in about 60 minutes, or use the link in the last email you "
        "received." in response.content.decode()
    )
    assert len(mail.outbox) == 5
    assert PasswordResetRequest.objects.count() == 5


def test_password_reset_form_is_rate_limited_per_address(client):
    for n in range(20):
        assert _request_reset(client, f"p{n}@example.com", ip="10.0.0.3").status_code == 302
    assert _request_reset(client, "another@example.com", ip="10.0.0.3").status_code == 429
    assert _request_reset(client, "another@example.com", ip="10.0.0.4").status_code == 302

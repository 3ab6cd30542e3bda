"""Scale-out: two server processes on one PostgreSQL database behave as one server.

Nothing may keep state in a process that another process needs (ARCHITECTURE, "Scale"):
sessions, CSRF, the login lock-out and every write live in the database.
"""

from __future__ import annotations

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from headway.accounts.tests.factories import PASSWORD
from headway.workspaces.models import Membership
from tests.api.servers import Server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def servers(tmp_path, admin, viewer):
    """Two granian processes, A and B, on the same database (started after the people exist)."""
    # The tests hash with MD5 for speed; the servers only accept their production hashers.
    hasher = PBKDF2PasswordHasher()
    type(admin).objects.filter(pk=admin.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    a = Server(tmp_path, "a", HEADWAY_LOGIN_MAX_FAILURES="3")
    try:
        b = Server(tmp_path, "b", HEADWAY_LOGIN_MAX_FAILURES="3")
    except BaseException:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def sign_in(session: requests.Session, server: Server, email: str, password: str) -> requests.Response:
    session.get(f"{server.url}/accounts/login/", timeout=10).raise_for_status()
    return session.post(
        f"{server.url}/accounts/login/",
        data={"email": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )


def test_session_from_one_process_works_on_the_other(servers, admin, viewer, workspace):
    a, b = servers
    browser = requests.Session()
    signed_in = sign_in(browser, a, admin.email, PASSWORD)
    assert signed_in.status_code == 302, signed_in.text[:500]
    assert "sessionid" in browser.cookies

    me = browser.get(f"{b.url}/api/v1/me", headers={"X-Headway-Workspace": "acme"}, timeout=10)
    assert me.status_code == 200, me.text
    assert me.json() == {
        "id": admin.pk,
        "email": "admin@example.com",
        "full_name": "Ada Admin",
        "time_zone": admin.time_zone,
        "workspace": "acme",
        "role": "admin",
    }

    # A write through A (session + CSRF) is what B reads next.
    membership = Membership.objects.get(user=viewer, workspace=workspace)
    headers = {"X-Headway-Workspace": "acme", "X-CSRFToken": browser.cookies["csrftoken"]}
    changed = browser.patch(f"{a.url}/api/v1/members/{membership.pk}", json={"role": "pm"}, headers=headers, timeout=10)
    assert changed.status_code == 200, changed.text
    seen = browser.get(f"{b.url}/api/v1/members/{membership.pk}", headers=headers, timeout=10)
    assert (seen.status_code, seen.json()["role"]) == (200, "pm")

    # The HTML pages on B know the person too.
    page = browser.get(f"{b.url}/w/acme/members/", timeout=10)
    assert page.status_code == 200
    assert "viewer@example.com" in page.text

    # Signing out on B ends the session on A.
    out = browser.post(
        f"{b.url}/accounts/logout/",
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    assert out.status_code == 302
    after = browser.get(f"{a.url}/api/v1/me", headers={"X-Headway-Workspace": "acme"}, timeout=10)
    assert after.status_code == 401


def test_login_lockout_counts_failures_on_every_process(servers, admin):
    a, b = servers
    browser = requests.Session()
    for server in (a, b, a):  # three failures (the limit set above), spread over both processes
        failed = sign_in(browser, server, admin.email, "wrong password")
        assert failed.status_code in (400, 429), failed.status_code
    locked = sign_in(browser, b, admin.email, PASSWORD)  # the right password, but locked now
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text


def test_api_token_made_on_one_process_works_on_the_other(servers, admin, workspace):
    from headway.accounts.services import api_token_create

    a, b = servers
    _, raw = api_token_create(actor=admin, workspace=workspace, name="two servers")
    for server in (a, b):
        me = requests.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}, timeout=10)
        assert (me.status_code, me.json()["email"]) == (200, "admin@example.com")

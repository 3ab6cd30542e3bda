"""GET /api/v1/me, and how the API authenticates: Bearer tokens, sessions, CSRF."""

import pytest
from django.test import Client

from headway.accounts.services import api_token_revoke
from headway.workspaces.models import Invitation, Membership

pytestmark = pytest.mark.django_db

NOT_AUTHENTICATED = {
    "error": {
        "code": "not_authenticated",
        "message": (
            "Send a valid API token as 'Authorization: Bearer <token>', or sign in (with a CSRF token for writes)."
        ),
        "fields": {},
    }
}


def test_me_with_a_token(api_client, pm, workspace):
    response = api_client(pm).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": pm.pk,
        "email": "pm@example.com",
        "full_name": "Pat PM",
        "time_zone": "UTC",
        "workspace": "acme",
        "role": "pm",
    }


def test_me_with_a_token_for_another_workspace_answers_for_that_workspace(api_client, pm, other_workspace):
    Membership.objects.create(workspace=other_workspace, user=pm, role="viewer")
    body = api_client(pm, ws=other_workspace).get("/api/v1/me").json()
    assert (body["workspace"], body["role"]) == ("globex", "viewer")


def test_me_with_a_session(web_client, leader, workspace):
    response = web_client(leader).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == "leader@example.com"
    assert (response.json()["workspace"], response.json()["role"]) == ("acme", "leader")


def test_me_with_a_session_uses_the_workspace_header(web_client, leader, workspace, other_workspace):
    Membership.objects.create(workspace=other_workspace, user=leader, role="contributor")
    client = web_client(leader)
    body = client.get("/api/v1/me", HTTP_X_HEADWAY_WORKSPACE="globex").json()
    assert (body["workspace"], body["role"]) == ("globex", "contributor")


def test_me_with_a_session_and_a_foreign_workspace_header_is_404(web_client, leader, workspace, other_workspace):
    response = web_client(leader).get("/api/v1/me", HTTP_X_HEADWAY_WORKSPACE="globex")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_me_without_credentials_is_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


@pytest.mark.parametrize("header", ["Bearer hw_not-a-real-token", "Bearer ", "Token abc", "hw_abc"])
def test_me_with_a_bad_authorization_header_is_401(db, header):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_me_with_a_revoked_token_is_401(admin, workspace):
    from headway.accounts.services import api_token_create

    token, raw = api_token_create(actor=admin, workspace=workspace, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code == 200
    api_token_revoke(actor=admin, token_id=token.pk)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_token_of_someone_who_left_is_401_even_if_they_belong_elsewhere(admin, leader, workspace, other_workspace):
    """Regression: a rejected Bearer token used to leave its user on the request, and the session
    authenticator then accepted that user for whatever workspace the header named."""
    from headway.accounts.services import api_token_create

    Membership.objects.create(workspace=other_workspace, user=leader, role="leader")
    _, raw = api_token_create(actor=leader, workspace=workspace, name="t")
    Membership.objects.filter(workspace=workspace, user=leader).delete()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for headers in ({}, {"HTTP_X_HEADWAY_WORKSPACE": "globex"}):
        response = client.get("/api/v1/me", **headers)
        assert response.status_code == 401, headers
        assert client.get("/api/v1/members", **headers).status_code == 401


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_session_write_without_csrf_token_is_refused(admin, workspace):
    client = _csrf_client(admin)
    response = client.post(
        "/api/v1/invitations", {"email": "new@example.com", "role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "error", "message": "CSRF check Failed", "fields": {}}}
    assert Invitation.objects.count() == 0


def test_session_write_with_csrf_token_is_accepted(admin, workspace):
    client = _csrf_client(admin)
    client.get("/accounts/profile/")  # sets the csrftoken cookie, as a page load does
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/invitations",
        {"email": "new@example.com", "role": "viewer"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_X_HEADWAY_WORKSPACE="acme",
    )
    assert response.status_code == 201
    assert Invitation.objects.get().email == "new@example.com"


def test_session_reads_need_no_csrf_token(admin, workspace):
    assert _csrf_client(admin).get("/api/v1/me").status_code == 200


def test_token_writes_need_no_csrf_token(admin, workspace):
    from headway.accounts.services import api_token_create

    _, raw = api_token_create(actor=admin, workspace=workspace, name="t")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post(
        "/api/v1/invitations", {"email": "new@example.com", "role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_me_query_count_with_a_token(api_client, admin, workspace, django_assert_max_num_queries):
    client = api_client(admin)
    client.get("/api/v1/me")  # first use writes last_used_at
    with django_assert_max_num_queries(2):  # the token with user and workspace; the roles
        assert client.get("/api/v1/me").status_code == 200

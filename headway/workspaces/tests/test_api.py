"""Every operation in workspaces/api.py: success, 401, 403, 404 and 422 (and 409 where a rule says no)."""

import json

import pytest
from django.core import mail
from django.test import Client

from headway.workspaces.models import Invitation, Membership

pytestmark = pytest.mark.django_db

ANON = Client()
CANNOT_MANAGE = ["pm", "contributor", "viewer"]
ROLE_ERROR = "Input should be 'admin', 'leader', 'pm', 'contributor' or 'viewer'"


def mid(user, workspace) -> int:
    return Membership.objects.get(user=user, workspace=workspace).pk


def send(client, method: str, url: str, body=None):
    return getattr(client, method)(url, json.dumps(body) if body is not None else None, content_type="application/json")


def assert_error(response, status: int, code: str, message: str | None = None, fields: dict | None = None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if message is not None:
        assert error["message"] == message
    if fields is not None:
        assert error["fields"] == fields


# --- GET /members ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
def test_member_list_for_every_role(api_client, member, admin, workspace, outsider, role):
    user = admin if role == "admin" else member(role, email=f"{role}@example.com", full_name=f"Zed {role}")
    response = api_client(user).get("/api/v1/members")
    assert response.status_code == 200
    body = response.json()
    emails = [m["email"] for m in body["items"]]
    assert "outsider@example.com" not in emails
    assert emails[0] == "admin@example.com"
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (len(emails), 1, 50, 1)


def test_member_list_item_shape(api_client, admin, workspace):
    item = api_client(admin).get("/api/v1/members").json()["items"][0]
    m = Membership.objects.get(user=admin)
    assert set(item) == {"id", "user_id", "email", "full_name", "role", "title", "joined_at"}
    assert (item["id"], item["user_id"], item["email"], item["full_name"], item["role"], item["title"]) == (
        m.pk,
        admin.pk,
        "admin@example.com",
        "Ada Admin",
        "admin",
        "",
    )
    assert item["joined_at"].startswith(m.created_at.strftime("%Y-%m-%dT%H:%M"))


def test_member_list_search_role_and_pages(api_client, admin, leader, pm, viewer, contributor, workspace):
    client = api_client(admin)
    assert [m["email"] for m in client.get("/api/v1/members?search=LEE").json()["items"]] == ["leader@example.com"]
    assert [m["email"] for m in client.get("/api/v1/members?search=pm@").json()["items"]] == ["pm@example.com"]
    assert [m["email"] for m in client.get("/api/v1/members?role=viewer").json()["items"]] == ["viewer@example.com"]
    assert client.get("/api/v1/members?search=nobody").json() == {
        "items": [],
        "count": 0,
        "page": 1,
        "page_size": 50,
        "pages": 1,
    }
    page2 = client.get("/api/v1/members?page=2&page_size=2").json()
    # Ordered by name: Ada Admin, Cory Contributor, Lee Leader, Pat PM, Vic Viewer.
    assert [m["full_name"] for m in page2["items"]] == ["Lee Leader", "Pat PM"]
    assert (page2["count"], page2["page"], page2["page_size"], page2["pages"]) == (5, 2, 2, 3)


def test_member_list_query_count_does_not_grow_with_page_size(
    api_client, admin, member, workspace, django_assert_num_queries
):
    for n in range(12):
        member("viewer", email=f"v{n}@example.com")
    client = api_client(admin)
    client.get("/api/v1/members")  # first use of the token writes last_used_at
    with django_assert_num_queries(3):  # token with its role, count, page
        assert len(client.get("/api/v1/members?page_size=200").json()["items"]) == 13
    with django_assert_num_queries(3):
        assert len(client.get("/api/v1/members?page_size=2").json()["items"]) == 2


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("role=owner", {"role": ["Input should be '', 'admin', 'leader', 'pm', 'contributor' or 'viewer'"]}),
        ("page=0", {"page": ["Input should be greater than or equal to 1"]}),
        ("page_size=201", {"page_size": ["Input should be less than or equal to 200"]}),
        ("page=abc", {"page": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ("page=1000001", {"page": ["Input should be less than or equal to 1000000"]}),
    ],
)
def test_member_list_validates_its_filters(api_client, admin, workspace, query, fields):
    assert_error(api_client(admin).get(f"/api/v1/members?{query}"), 422, "validation_error", fields=fields)


@pytest.mark.parametrize("url", ["/api/v1/members", "/api/v1/invitations"])
def test_a_page_past_the_end_is_empty(api_client, admin, workspace, invite, url, django_assert_num_queries):
    invite()  # one pending invitation, and the admin as the one member
    client = api_client(admin)
    client.get(url)  # first use of the token writes last_used_at
    with django_assert_num_queries(2):  # token with its role, count; no page query
        response = client.get(f"{url}?page=1000000&page_size=200")
    assert response.json() == {"items": [], "count": 1, "page": 1000000, "page_size": 200, "pages": 1}
    assert_error(client.get(f"{url}?page=1000001"), 422, "validation_error")


def test_member_list_needs_auth(db):
    assert_error(ANON.get("/api/v1/members"), 401, "not_authenticated")


# --- GET /members/{id} ----------------------------------------------------------------------


def test_member_get(api_client, viewer, leader, workspace):
    m = Membership.objects.get(user=leader)
    response = api_client(viewer).get(f"/api/v1/members/{m.pk}")
    assert response.status_code == 200
    assert (response.json()["email"], response.json()["role"]) == ("leader@example.com", "leader")


def test_member_get_of_another_workspace_is_404(api_client, admin, outsider, other_workspace, workspace):
    response = api_client(admin).get(f"/api/v1/members/{mid(outsider, other_workspace)}")
    assert_error(response, 404, "not_found", "No membership matches that id in this workspace.")
    assert "outsider" not in response.content.decode()


def test_member_get_unknown_and_malformed_ids(api_client, admin, workspace):
    client = api_client(admin)
    assert_error(client.get("/api/v1/members/999999"), 404, "not_found")
    assert_error(
        client.get("/api/v1/members/abc"),
        422,
        "validation_error",
        fields={"member_id": ["Input should be a valid integer, unable to parse string as an integer"]},
    )


def test_member_get_needs_auth(admin, workspace):
    assert_error(ANON.get(f"/api/v1/members/{mid(admin, workspace)}"), 401, "not_authenticated")


# --- POST /invitations ----------------------------------------------------------------------


def test_invitation_create(api_client, admin, workspace, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(api_client(admin), "post", "/api/v1/invitations", {"email": "New@Example.com", "role": "pm"})
    assert response.status_code == 201
    invitation = Invitation.objects.get()
    body = response.json()
    assert set(body) == {"id", "email", "role", "expires_at"}
    assert (body["id"], body["email"], body["role"]) == (invitation.pk, "new@example.com", "pm")
    assert body["expires_at"].startswith(invitation.expires_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert "token" not in response.content.decode()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_leader_may_invite_a_leader(api_client, leader, workspace):
    response = send(api_client(leader), "post", "/api/v1/invitations", {"email": "l2@example.com", "role": "leader"})
    assert response.status_code == 201


def test_leader_may_not_invite_an_admin(api_client, leader, workspace):
    response = send(api_client(leader), "post", "/api/v1/invitations", {"email": "b@example.com", "role": "admin"})
    assert_error(response, 403, "permission_denied", "Only an admin may add, change or remove an admin.")
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize("role", CANNOT_MANAGE)
def test_invitation_create_forbidden_without_member_manage(api_client, member, workspace, role):
    response = send(
        api_client(member(role)), "post", "/api/v1/invitations", {"email": "x@example.com", "role": "viewer"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert response.json()["error"]["message"].endswith("may not manage members.")
    assert Invitation.objects.count() == 0


def test_invitation_create_needs_auth(db):
    response = send(ANON, "post", "/api/v1/invitations", {"email": "x@example.com", "role": "viewer"})
    assert_error(response, 401, "not_authenticated")


def test_invitation_create_for_an_existing_member_is_409(api_client, admin, viewer, workspace):
    response = send(api_client(admin), "post", "/api/v1/invitations", {"email": viewer.email, "role": "pm"})
    assert_error(
        response,
        409,
        "conflict",
        "viewer@example.com is already a member of Acme Product.",
        {"email": ["Already a member."]},
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"email": "a@example.com", "role": "owner"}, {"role": [ROLE_ERROR]}),
        ({"email": "a@example.com", "role": "pm", "team": "core"}, {"team": ["Extra inputs are not permitted"]}),
        ({"email": 5, "role": "pm"}, {"email": ["Input should be a valid string"]}),
        ({"email": "a@example.com", "role": True}, {"role": [ROLE_ERROR]}),
        ({"role": "pm"}, {"email": ["Field required"]}),
        ({"email": "x" * 250 + "@example.com", "role": "pm"}, {"email": ["String should have at most 254 characters"]}),
        ({"email": "not-an-email", "role": "pm"}, {"email": ["Enter a valid email address."]}),
        ({"email": "", "role": "pm"}, {"email": ["Enter a valid email address."]}),
        ({"email": "0@0.0", "role": "pm"}, {"email": ["Enter a valid email address."]}),
        ({"email": " a@example.com", "role": "pm"}, {"email": ["Enter a valid email address."]}),
    ],
)
def test_invitation_create_validation(api_client, admin, workspace, body, fields):
    response = send(api_client(admin), "post", "/api/v1/invitations", body)
    assert_error(response, 422, "validation_error", fields=fields)
    first_field, first_messages = next(iter(fields.items()))
    assert response.json()["error"]["message"] == f"{first_field}: {first_messages[0]}"
    assert Invitation.objects.count() == 0


def test_a_body_over_one_megabyte_is_413(api_client, admin, workspace):
    body = json.dumps({"email": "a@example.com", "role": "pm", "pad": "x" * (1024 * 1024)})
    response = api_client(admin).post("/api/v1/invitations", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "payload_too_large",
            "message": f"Request body is {len(body)} bytes; the limit is 1048576 bytes.",
            "fields": {},
        }
    }
    assert Invitation.objects.count() == 0


def test_a_body_of_exactly_one_megabyte_is_read(api_client, admin, workspace):
    base = json.dumps({"email": "a@example.com", "role": "pm", "pad": ""})
    body = base.replace('"pad": ""', '"pad": "' + "x" * (1024 * 1024 - len(base)) + '"')
    assert len(body) == 1024 * 1024
    response = api_client(admin).post("/api/v1/invitations", body, content_type="application/json")
    assert_error(response, 422, "validation_error", fields={"pad": ["Extra inputs are not permitted"]})


# --- GET /invitations, DELETE /invitations/{id} ---------------------------------------------


def test_invitation_list_and_delete(api_client, admin, workspace, invite):
    invitation, _ = invite("new@example.com", "viewer")
    client = api_client(admin)
    body = client.get("/api/v1/invitations").json()
    assert [(i["id"], i["email"], i["role"]) for i in body["items"]] == [(invitation.pk, "new@example.com", "viewer")]
    assert body["count"] == 1
    response = client.delete(f"/api/v1/invitations/{invitation.pk}")
    assert response.status_code == 204
    assert response.content == b""
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client.get("/api/v1/invitations").json()["items"] == []
    assert_error(client.delete(f"/api/v1/invitations/{invitation.pk}"), 404, "not_found")


@pytest.mark.parametrize("role", CANNOT_MANAGE)
def test_invitation_list_and_delete_forbidden_without_member_manage(api_client, member, workspace, invite, role):
    invitation, _ = invite()
    client = api_client(member(role))
    assert_error(client.get("/api/v1/invitations"), 403, "permission_denied")
    assert_error(client.delete(f"/api/v1/invitations/{invitation.pk}"), 403, "permission_denied")
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_invitation_delete_of_another_workspace_is_404(api_client, admin, outsider, other_workspace, invite):
    theirs, _ = invite(actor=outsider, ws=other_workspace)
    assert_error(api_client(admin).delete(f"/api/v1/invitations/{theirs.pk}"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_leader_cannot_withdraw_an_admin_invitation(api_client, leader, invite):
    invitation, _ = invite("boss@example.com", "admin")
    assert_error(api_client(leader).delete(f"/api/v1/invitations/{invitation.pk}"), 403, "permission_denied")


def test_invitation_endpoints_need_auth(workspace, invite):
    invitation, _ = invite()
    assert_error(ANON.get("/api/v1/invitations"), 401, "not_authenticated")
    assert_error(ANON.delete(f"/api/v1/invitations/{invitation.pk}"), 401, "not_authenticated")


# --- PATCH /members/{id} --------------------------------------------------------------------


def test_member_update(api_client, admin, viewer, workspace):
    m = Membership.objects.get(user=viewer)
    response = send(api_client(admin), "patch", f"/api/v1/members/{m.pk}", {"role": "pm"})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["role"]) == (m.pk, "viewer@example.com", "pm")
    m.refresh_from_db()
    assert m.role == "pm"


@pytest.mark.parametrize("role", CANNOT_MANAGE)
def test_member_update_forbidden_without_member_manage(api_client, member, viewer, workspace, role):
    m = Membership.objects.get(user=viewer)
    response = send(api_client(member(role)), "patch", f"/api/v1/members/{m.pk}", {"role": "leader"})
    assert_error(response, 403, "permission_denied")
    m.refresh_from_db()
    assert m.role == "viewer"


def test_member_update_of_another_workspace_is_404(api_client, admin, outsider, other_workspace, workspace):
    m = Membership.objects.get(user=outsider)
    response = send(api_client(admin), "patch", f"/api/v1/members/{m.pk}", {"role": "viewer"})
    assert_error(response, 404, "not_found", "No such member in this workspace.")
    m.refresh_from_db()
    assert m.role == "admin"


def test_member_update_of_the_last_admin_is_409(api_client, admin, workspace):
    response = send(api_client(admin), "patch", f"/api/v1/members/{mid(admin, workspace)}", {"role": "viewer"})
    assert_error(response, 409, "conflict", "A workspace needs at least one admin. Make someone else an admin first.")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"role": "owner"}, {"role": [ROLE_ERROR]}),
        ({"role": 1}, {"role": [ROLE_ERROR]}),
        ({"role": "pm", "title": "Boss"}, {"title": ["Extra inputs are not permitted"]}),
        ({}, {"role": ["Field required"]}),
    ],
)
def test_member_update_validation(api_client, admin, viewer, workspace, body, fields):
    m = Membership.objects.get(user=viewer)
    assert_error(
        send(api_client(admin), "patch", f"/api/v1/members/{m.pk}", body), 422, "validation_error", fields=fields
    )
    m.refresh_from_db()
    assert m.role == "viewer"


def test_member_update_needs_auth(viewer, workspace):
    response = send(ANON, "patch", f"/api/v1/members/{mid(viewer, workspace)}", {"role": "pm"})
    assert_error(response, 401, "not_authenticated")


# --- DELETE /members/{id} -------------------------------------------------------------------


def test_member_delete(api_client, admin, viewer, workspace):
    response = api_client(admin).delete(f"/api/v1/members/{mid(viewer, workspace)}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Membership.objects.filter(user=viewer).exists()


def test_member_may_leave_through_the_api_and_the_token_stops_working(api_client, viewer, admin, workspace):
    client = api_client(viewer)
    assert client.delete(f"/api/v1/members/{mid(viewer, workspace)}").status_code == 204
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


@pytest.mark.parametrize("role", CANNOT_MANAGE)
def test_member_delete_forbidden_without_member_manage(api_client, member, viewer, workspace, role):
    response = api_client(member(role)).delete(f"/api/v1/members/{mid(viewer, workspace)}")
    assert_error(response, 403, "permission_denied")
    assert Membership.objects.filter(user=viewer).exists()


def test_member_delete_of_another_workspace_is_404(api_client, admin, outsider, other_workspace, workspace):
    response = api_client(admin).delete(f"/api/v1/members/{mid(outsider, other_workspace)}")
    assert_error(response, 404, "not_found")
    assert Membership.objects.filter(user=outsider).exists()


def test_member_delete_of_the_last_admin_is_409(api_client, admin, workspace):
    assert_error(api_client(admin).delete(f"/api/v1/members/{mid(admin, workspace)}"), 409, "conflict")


def test_member_delete_needs_auth(viewer, workspace):
    assert_error(ANON.delete(f"/api/v1/members/{mid(viewer, workspace)}"), 401, "not_authenticated")


# --- the contract ---------------------------------------------------------------------------


def test_every_members_operation_documents_the_error_responses(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    expected = {"400", "401", "403", "404", "409", "413", "422", "429"}
    operations = {
        ("get", "/api/v1/members"),
        ("get", "/api/v1/members/{member_id}"),
        ("patch", "/api/v1/members/{member_id}"),
        ("delete", "/api/v1/members/{member_id}"),
        ("post", "/api/v1/invitations"),
        ("get", "/api/v1/invitations"),
        ("delete", "/api/v1/invitations/{invitation_id}"),
    }
    for method, path in operations:
        responses = set(schema["paths"][path][method]["responses"])
        assert expected <= responses, (method, path)

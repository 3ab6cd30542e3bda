"""API of notes: add (and upsert), raw email in, list with filters, get; only members see anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.insights.models import FeedbackNote, Kind
from headway.insights.tests.factories import note as make_note
from headway.insights.tests.factories import theme as make_theme
from headway.portfolio.tests.factories import ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def post(client, path, body):
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def test_create_then_update_by_reference(workspace, contributor, api_client):
    acme = CompanyFactory(workspace=workspace, name="Acme", domain="acme.example")
    jane = ContactFactory(company=acme, workspace=workspace, email="jane@acme.example", name="Jane")
    product = ProductFactory(product_line=ProductLineFactory(workspace=workspace))
    client = api_client(contributor)
    body = {
        "text": "Please add SAML single sign-on.",
        "title": "SSO",
        "channel": "Zendesk",
        "external_ref": "ZD-7",
        "customer_email": "jane@acme.example",
        "product_id": product.pk,
        "rating": 2,
        "received_at": "2024-05-31T14:05:00Z",
        "url": "https://acme.zendesk.example/tickets/7",
        "extra": {"priority": "high"},
    }
    response = post(client, "/insights", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["source"] == "api"
    assert (out["channel"], out["external_ref"], out["title"]) == ("Zendesk", "ZD-7", "SSO")
    assert out["company"] == {"id": acme.pk, "name": "Acme"}
    assert out["contact"] == {"id": jane.pk, "name": "Jane", "email": "jane@acme.example"}
    assert (out["product_id"], out["rating"], out["received_at"]) == (product.pk, 2, "2024-05-31T14:05:00Z")
    assert out["author"]["id"] == contributor.pk
    assert out["kind"] in Kind.values
    assert out["state"] == "new"
    response = post(client, "/insights", {**body, "text": "Please add SAML SSO, urgently."})
    assert response.status_code == 200
    assert response.json()["id"] == out["id"]
    assert FeedbackNote.objects.get().text == "Please add SAML SSO, urgently."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": ""}, "text"),
        ({"text": "ok", "rating": 6}, "rating"),
        ({"text": "ok", "rating": "5"}, "rating"),
        ({"text": "ok", "url": "javascript:alert(1)"}, "url"),
        ({"text": "ok", "received_at": "yesterday"}, "received_at"),
        ({"text": "ok", "source": "portal"}, "source"),
        ({"text": "ok", "unknown": 1}, "unknown"),
        ({"text": "x" * 100_001}, "text"),
    ],
)
def test_create_validation(workspace, contributor, api_client, body, field):
    response = post(api_client(contributor), "/insights", body)
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert field in response.json()["error"]["fields"]
    assert FeedbackNote.objects.count() == 0


def test_product_of_another_workspace_is_404(workspace, other_workspace, contributor, api_client):
    theirs = ProductFactory(product_line=ProductLineFactory(workspace=other_workspace))
    response = post(api_client(contributor), "/insights", {"text": "ok", "product_id": theirs.pk})
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {"product_id": [f"No product {theirs.pk} in this workspace."]}


def test_permissions(workspace, viewer, outsider, leader, api_client, client):
    from headway.ideas.tests import factories as ideas

    note = make_note(workspace, "Secret roadmap feedback")
    assert post(api_client(viewer), "/insights", {"text": "no"}).status_code == 403
    outsider_client = api_client(outsider, ws=outsider.memberships.first().workspace)
    assert outsider_client.get(f"/api/v1/insights/{note.pk}").status_code == 404
    assert outsider_client.get("/api/v1/insights").json()["count"] == 0
    assert post(outsider_client, "/insights", {"text": "into my own workspace"}).status_code == 201
    assert FeedbackNote.objects.filter(workspace=workspace).count() == 1
    customer = ideas.portal_user(ideas.portal(leader, workspace))
    client.force_login(customer)
    headers = {"HTTP_X_HEADWAY_WORKSPACE": "acme"}
    assert client.get("/api/v1/insights", **headers).status_code == 404
    assert client.get(f"/api/v1/insights/{note.pk}", **headers).status_code == 404
    assert api_client(viewer).get(f"/api/v1/insights/{note.pk}").json()["text"] == "Secret roadmap feedback"


def test_list_filters(workspace, viewer, api_client, django_assert_max_num_queries):
    acme = CompanyFactory(workspace=workspace)
    topic = make_theme(workspace, "Exports")
    a = make_note(workspace, "Export crashes", kind="bug", sentiment="negative", company=acme, theme=topic)
    b = make_note(workspace, "Love the roadmap", kind="rating", sentiment="positive", channel="Play Store")
    c = make_note(workspace, "Processed one", state="processed", source="email", channel="Email")
    client = api_client(viewer)

    def ids(query=""):
        return [n["id"] for n in client.get(f"/api/v1/insights{query}").json()["items"]]

    assert sorted(ids()) == sorted([a.pk, b.pk, c.pk])
    assert sorted(ids("?state=inbox")) == sorted([a.pk, b.pk])
    assert ids("?state=processed") == [c.pk]
    assert ids("?kind=bug") == [a.pk]
    assert ids("?sentiment=positive") == [b.pk]
    assert ids(f"?company_id={acme.pk}") == [a.pk]
    assert ids(f"?theme_id={topic.pk}") == [a.pk]
    assert ids("?source=email") == [c.pk]
    assert ids("?channel=Play%20Store") == [b.pk]
    assert ids("?q=crashes") == [a.pk]
    assert client.get("/api/v1/insights?kind=nonsense").status_code == 422
    page = client.get("/api/v1/insights?page_size=2").json()
    assert (page["count"], page["pages"], len(page["items"])) == (3, 2, 2)
    with django_assert_max_num_queries(8):
        client.get("/api/v1/insights")


def test_email_endpoint(workspace, contributor, api_client):
    client = api_client(contributor)
    raw = (DATA / "customer.eml").read_bytes()
    response = client.post("/api/v1/insights/email", raw, content_type="message/rfc822")
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["source"], out["channel"], out["title"]) == ("email", "Email", "Export is too slow")
    assert out["customer_email"] == "jane@acme.example"
    again = client.post("/api/v1/insights/email", raw, content_type="message/rfc822")
    assert (again.status_code, again.json()["id"]) == (200, out["id"])
    bad = client.post("/api/v1/insights/email", b"hello", content_type="message/rfc822")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "validation_error")
    assert bad.json()["error"]["fields"]["message"][0].startswith("This is not an email message")
    empty = client.post("/api/v1/insights/email", b"", content_type="message/rfc822")
    assert (empty.status_code, empty.json()["error"]["fields"]) == (422, {"message": ["The message is empty."]})
    assert FeedbackNote.objects.count() == 1


def test_email_endpoint_permissions(workspace, viewer, api_client):
    raw = (DATA / "customer.eml").read_bytes()
    assert api_client(viewer).post("/api/v1/insights/email", raw, content_type="message/rfc822").status_code == 403
    assert FeedbackNote.objects.count() == 0


def test_openapi_documents_the_email_body(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/insights/email"]["post"]
    assert set(operation["requestBody"]["content"]) == {"message/rfc822", "application/octet-stream", "text/plain"}
    assert {"200", "201", "400", "401", "403", "404", "413", "422"} <= set(operation["responses"])


def test_patch_of_a_note_still_reaches_triage(workspace, pm, api_client):
    """GET /insights/{id} (here) and PATCH /insights/{id} (triage) share a path across two routers."""
    note = make_note(workspace, "Needs triage")
    response = api_client(pm).patch(
        f"/api/v1/insights/{note.pk}", json.dumps({"state": "processed"}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    note.refresh_from_db()
    assert note.state == "processed"

"""API: PATCH /insights/{id}, POST /insights/{id}/highlights, DELETE /highlights/{id},
GET /features/{id}/evidence."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from headway.backlog.tests import factories as backlog
from headway.customers.models import Tier
from headway.customers.tests.factories import CompanyFactory
from headway.insights.models import FeedbackNote, Highlight
from headway.insights.tests import factories as nf

pytestmark = pytest.mark.django_db

TEXT = "Exporting to CSV takes ages on big reports."


@pytest.fixture
def feature(leader, workspace, pm):
    return backlog.feature(leader, backlog.product(leader, workspace, key="PAY", owner=pm), "Faster export")


@pytest.fixture
def note(workspace):
    company = CompanyFactory(
        workspace=workspace, name="Initech", tier=Tier.STRATEGIC, arr=Decimal("500000"), currency="USD"
    )
    return nf.note(workspace, TEXT, company=company, customer_name="Peter")


def patch(client, path, body):
    return client.patch(path, body, content_type="application/json")


def test_patch_triages_assigns_and_answers_the_note(api_client, pm, leader, note):
    client = api_client(pm)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = patch(client, f"/api/v1/insights/{note.pk}", {"state": "snoozed", "snoozed_until": tomorrow})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "snoozed" and body["snoozed_until"].startswith(tomorrow)
    response = patch(client, f"/api/v1/insights/{note.pk}", {"state": "processed", "assignee_id": leader.pk})
    body = response.json()
    assert (body["state"], body["assignee_id"], body["processed_by_id"], body["snoozed_until"]) == (
        "processed",
        leader.pk,
        pm.pk,
        None,
    )
    assert patch(client, f"/api/v1/insights/{note.pk}", {"assignee_id": None}).json()["assignee_id"] is None


def test_patch_errors_name_the_field_and_change_nothing(api_client, pm, viewer, member, note):
    client = api_client(pm)
    cases = [
        ({"state": "snoozed"}, 422, "snoozed_until"),
        ({"state": "snoozed", "snoozed_until": "2001-01-01"}, 422, "snoozed_until"),
        ({"snoozed_until": "2099-01-01"}, 422, "snoozed_until"),
        ({"state": "done"}, 422, None),
        ({"state": None}, 422, None),
        ({"assignee_id": member("viewer").pk}, 422, "assignee_id"),
        ({"assignee_id": 999_999}, 404, "assignee_id"),
        ({"text": "rewritten"}, 422, None),
    ]
    for body, status, field in cases:
        response = patch(client, f"/api/v1/insights/{note.pk}", body)
        assert response.status_code == status, (body, response.content)
        if field:
            assert list(response.json()["error"]["fields"]) == [field], body
    # all or nothing: a valid state with a refused assignee changes neither
    response = patch(client, f"/api/v1/insights/{note.pk}", {"state": "archived", "assignee_id": member("viewer").pk})
    assert response.status_code == 422
    stored = FeedbackNote.objects.get(pk=note.pk)
    assert (stored.state, stored.assignee_id) == ("new", None)
    assert patch(api_client(viewer), f"/api/v1/insights/{note.pk}", {"state": "archived"}).status_code == 403
    assert FeedbackNote.objects.get(pk=note.pk).state == "new"


def test_highlight_create_and_delete(api_client, pm, viewer, note, feature):
    client = api_client(pm)
    response = client.post(
        f"/api/v1/insights/{note.pk}/highlights",
        {"start": 0, "end": 16, "importance": "critical", "feature_id": feature.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["quote"], body["feature_id"], body["idea_id"], body["demand"]) == (
        "Exporting to CSV",
        feature.pk,
        None,
        "12.00",
    )
    again = client.post(
        f"/api/v1/insights/{note.pk}/highlights",
        {"start": 0, "end": 16, "feature_id": feature.pk},
        content_type="application/json",
    )
    assert again.status_code == 409
    changed = patch(client, f"/api/v1/highlights/{body['id']}", {"importance": "nice_to_have"})
    assert (changed.status_code, changed.json()["importance"], changed.json()["demand"]) == (
        200,
        "nice_to_have",
        "3.00",
    )
    assert patch(client, f"/api/v1/highlights/{body['id']}", {"importance": "urgent"}).status_code == 422
    refused = patch(api_client(viewer), f"/api/v1/highlights/{body['id']}", {"importance": "critical"})
    assert (refused.status_code, Highlight.objects.get().importance) == (403, "nice_to_have")
    assert client.delete(f"/api/v1/highlights/{body['id']}").status_code == 204
    assert Highlight.objects.count() == 0
    assert client.delete(f"/api/v1/highlights/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"start": 0, "end": 4}, 422, {"feature_id", "idea_id"}),
        ({"start": 0, "end": 4, "feature_id": 999_999}, 404, {"feature_id"}),
        ({"start": 0, "end": 4, "idea_id": 999_999}, 404, {"idea_id"}),
        ({"start": 10, "end": 5, "feature_id": "F"}, 422, None),
        ({"start": 40, "end": 500, "feature_id": "F"}, 422, {"end"}),
        ({"start": "0", "end": 4, "feature_id": "F"}, 422, None),
    ],
)
def test_highlight_errors(api_client, pm, note, feature, body, status, fields):
    body = {k: (feature.pk if v == "F" else v) for k, v in body.items()}
    response = api_client(pm).post(f"/api/v1/insights/{note.pk}/highlights", body, content_type="application/json")
    assert response.status_code == status, response.content
    if fields:
        assert set(response.json()["error"]["fields"]) == fields
    assert Highlight.objects.count() == 0


def test_feature_evidence(api_client, pm, viewer, note, feature):
    api_client(pm).post(
        f"/api/v1/insights/{note.pk}/highlights",
        {"start": 0, "end": 16, "importance": "important", "feature_id": feature.pk},
        content_type="application/json",
    )
    response = api_client(viewer).get(f"/api/v1/features/{feature.pk}/evidence")
    assert response.status_code == 200
    body = response.json()
    assert body["totals"] == {
        "quotes": 1,
        "companies": 1,
        "arr": "500000.00",
        "votes_demand": "0.00",
        "evidence_demand": "6.00",
        "demand": "6.00",
    }
    item = body["items"][0]
    assert (item["quote"], item["customer"], item["company"]["name"], item["company"]["arr"], item["demand"]) == (
        "Exporting to CSV",
        "Peter",
        "Initech",
        "500000.00",
        "6.00",
    )
    assert api_client(viewer).get("/api/v1/features/999999/evidence").status_code == 404


def test_other_workspaces_get_404(api_client, outsider, other_workspace, note, feature):
    client = api_client(outsider, other_workspace)
    assert patch(client, f"/api/v1/insights/{note.pk}", {"state": "archived"}).status_code == 404
    assert client.get(f"/api/v1/features/{feature.pk}/evidence").status_code == 404
    assert FeedbackNote.objects.get(pk=note.pk).state == "new"


def test_patch_corrects_labels(api_client, pm, note):
    response = patch(api_client(pm), f"/api/v1/insights/{note.pk}", {"kind": "bug", "sentiment": "negative"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kind"], body["kind_corrected"], body["sentiment"], body["sentiment_corrected"]) == (
        "bug",
        True,
        "negative",
        True,
    )

"""The themes API: list, detail with charts, rename/pin, merge, split, recompute as a job, job progress;
validation errors naming the field, 403 for roles that may not, 404 across workspaces."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from headway.customers.models import Company
from headway.insights.models import FeedbackNote, InsightJob, Theme, ThemeSpace
from headway.insights.services import themes as svc
from headway.insights.tests.factories import note, theme
from headway.insights.tests.test_themes import Progress, load_reviews

pytestmark = pytest.mark.django_db
API = "/api/v1"


def call(client, method, url, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"{API}{url}", **kwargs)


def error(response):
    return response.json()["error"]


@pytest.fixture
def data(workspace):
    ads = theme(
        workspace, "Ads", auto_label="ads · premium · skip", note_count=2, quotes=[{"note": 1, "text": "Too many ads"}]
    )
    offline = theme(workspace, "Offline", note_count=1)
    gone = theme(workspace, "Gone", archived_at="2026-01-01T00:00:00Z")
    initech = Company.objects.create(workspace=workspace, name="Initech", arr=Decimal("1000"))
    note(workspace, "Too many ads", theme=ads, company=initech, sentiment="negative", sentiment_score=-0.5)
    note(workspace, "Ads again", theme=ads, sentiment="positive", sentiment_score=0.5)
    note(workspace, "Offline please", theme=offline)
    return {"ads": ads, "offline": offline, "gone": gone, "initech": initech}


def test_list_themes(api_client, viewer, data):
    response = call(api_client(viewer), "get", "/themes")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (2, 1, 1)
    assert [t["name"] for t in body["items"]] == ["Ads", "Offline"]
    first = body["items"][0]
    assert set(first) == {
        "id",
        "name",
        "auto_label",
        "renamed",
        "pinned",
        "note_count",
        "quotes",
        "archived_at",
        "created_at",
        "updated_at",
    }
    assert first["quotes"] == [{"note": 1, "text": "Too many ads"}]
    body = call(api_client(viewer), "get", "/themes?include_archived=true").json()
    assert [t["name"] for t in body["items"]] == ["Ads", "Offline", "Gone"]


def test_get_theme_with_charts(api_client, viewer, data):
    body = call(api_client(viewer), "get", f"/themes/{data['ads'].pk}").json()
    assert body["sentiment"] == {"negative": 1, "neutral": 0, "positive": 1, "unlabelled": 0, "mean": 0.0}
    assert body["companies"] == [
        {"id": data["initech"].pk, "name": "Initech", "arr": "1000.00", "currency": "USD", "notes": 1}
    ]
    assert body["features"] == []
    assert len(body["volume"]["weeks"]) == 12 and body["volume"]["negative"][-1] == 1


def test_patch_renames_and_pins(api_client, pm, data):
    response = call(api_client(pm), "patch", f"/themes/{data['ads'].pk}", {"name": "Advertising", "pinned": True})
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["renamed"], body["pinned"]) == ("Advertising", True, True)
    response = call(api_client(pm), "patch", f"/themes/{data['ads'].pk}", {"pinned": False})
    assert (response.json()["name"], response.json()["pinned"]) == ("Advertising", False)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"pinned": "yes"}, "pinned"),
        ({"name": None}, "name"),
        ({"color": "red"}, "color"),
    ],
)
def test_patch_refuses_bad_values(api_client, pm, data, body, field):
    response = call(api_client(pm), "patch", f"/themes/{data['ads'].pk}", body)
    assert response.status_code == 422
    data["ads"].refresh_from_db()
    assert (data["ads"].name, data["ads"].pinned) == ("Ads", False)


def test_patch_an_archived_theme_is_a_conflict(api_client, pm, data):
    response = call(api_client(pm), "patch", f"/themes/{data['gone'].pk}", {"name": "Back"})
    assert response.status_code == 409


def test_viewer_and_contributor_cannot_change_themes(api_client, viewer, contributor, data):
    for who in (viewer, contributor):
        client = api_client(who)
        assert call(client, "patch", f"/themes/{data['ads'].pk}", {"name": "Hacked"}).status_code == 403
        assert (
            call(client, "post", f"/themes/{data['ads'].pk}/merge", {"into_id": data["offline"].pk}).status_code == 403
        )
        assert call(client, "post", f"/themes/{data['ads'].pk}/split").status_code == 403
        assert call(client, "post", "/themes/recompute").status_code == 403
    data["ads"].refresh_from_db()
    assert (data["ads"].name, data["ads"].archived_at) == ("Ads", None)
    assert not InsightJob.objects.exists()


def test_merge(api_client, pm, data):
    response = call(api_client(pm), "post", f"/themes/{data['offline'].pk}/merge", {"into_id": data["ads"].pk})
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["note_count"]) == (data["ads"].pk, 3)
    data["offline"].refresh_from_db()
    assert data["offline"].archived_at is not None
    response = call(api_client(pm), "post", f"/themes/{data['ads'].pk}/merge", {"into_id": data["ads"].pk})
    assert response.status_code == 422 and list(error(response)["fields"]) == ["into_id"]
    response = call(api_client(pm), "post", f"/themes/{data['ads'].pk}/merge", {"into_id": 999999})
    assert response.status_code == 404 and list(error(response)["fields"]) == ["into_id"]
    response = call(api_client(pm), "post", f"/themes/{data['ads'].pk}/merge", {"into_id": "2"})
    assert response.status_code == 422


def test_split(api_client, pm, workspace):
    load_reviews(workspace, 300)
    svc.themes_recompute(workspace=workspace, progress=Progress())
    biggest = Theme.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("-note_count", "id").first()
    before = biggest.note_count
    response = call(api_client(pm), "post", f"/themes/{biggest.pk}/split")
    assert response.status_code == 200
    body = response.json()
    assert body["theme"]["id"] == biggest.pk
    assert body["theme"]["note_count"] + body["new_theme"]["note_count"] == before
    assert body["new_theme"]["note_count"] == FeedbackNote.objects.filter(theme_id=body["new_theme"]["id"]).count()


def test_split_of_a_tiny_theme_is_a_conflict(api_client, pm, data):
    response = call(api_client(pm), "post", f"/themes/{data['offline'].pk}/split")
    assert response.status_code == 409
    assert error(response)["fields"] == {"__all__": ["A theme needs at least 4 notes to be split."]}


def test_recompute_answers_202_with_the_job_and_the_job_can_be_read(
    api_client, pm, viewer, workspace, django_capture_on_commit_callbacks
):
    load_reviews(workspace, 100)
    with django_capture_on_commit_callbacks(execute=True):
        response = call(api_client(pm), "post", "/themes/recompute")
    assert response.status_code == 202
    job = response.json()
    assert (job["kind"], job["status"]) == ("themes", "queued")
    response = call(api_client(viewer), "get", f"/insight-jobs/{job['id']}")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["done"]) == ("done", response.json()["total"])
    assert ThemeSpace.objects.filter(workspace=workspace).exists()


def test_other_workspaces_themes_and_jobs_are_not_found(api_client, pm, outsider, other_workspace, data):
    theirs = theme(other_workspace, "Theirs")
    job = InsightJob.objects.create(workspace=other_workspace, kind="themes")
    client = api_client(pm)
    assert call(client, "get", f"/themes/{theirs.pk}").status_code == 404
    assert call(client, "patch", f"/themes/{theirs.pk}", {"name": "x"}).status_code == 404
    assert call(client, "get", f"/insight-jobs/{job.pk}").status_code == 404
    response = call(client, "post", f"/themes/{data['ads'].pk}/merge", {"into_id": theirs.pk})
    assert response.status_code == 404 and list(error(response)["fields"]) == ["into_id"]
    assert call(api_client(outsider, other_workspace), "get", f"/themes/{data['ads'].pk}").status_code == 404


def test_job_kinds_and_statuses_of_the_schema_are_the_models():
    from typing import get_args

    from headway.insights.api.themes import JobKindName, JobStatusName

    assert set(get_args(JobKindName)) == set(InsightJob.Kind.values)
    assert set(get_args(JobStatusName)) == set(InsightJob.Status.values)

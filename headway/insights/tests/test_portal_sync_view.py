"""The imports page's "Bring in portal ideas": how many ideas are in the inbox, and the backfill job."""

import pytest

from headway.ideas.tests import factories as ideas
from headway.insights.models import FeedbackNote, InsightJob

pytestmark = pytest.mark.django_db


def test_portal_ideas_are_counted_and_brought_in(
    web_client, workspace, leader, pm, viewer, django_capture_on_commit_callbacks
):
    portal = ideas.portal(leader, workspace, name="Customer ideas")
    first = ideas.idea(leader, portal, title="Dark mode please")
    second = ideas.idea(leader, portal, title="Export to PDF")
    FeedbackNote.objects.all().delete()  # as before the inbox existed: no idea has its note yet
    page = f"/w/{workspace.slug}/insights/imports/"

    html = web_client(pm).get(page).content.decode()
    assert "0 of 2 portal ideas are in the inbox" in html
    assert "Bring in portal ideas" in html
    assert "Bring in portal ideas" not in web_client(viewer).get(page).content.decode()

    refused = web_client(viewer).post(page + "portal-sync/")
    assert (refused.status_code, InsightJob.objects.count()) == (403, 0)

    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(pm).post(page + "portal-sync/")
    assert response["Location"] == page
    job = InsightJob.objects.get()
    assert (job.kind, job.status, job.total, job.done) == ("portal_sync", "done", 2, 2)
    assert set(FeedbackNote.objects.values_list("idea_id", flat=True)) == {first.pk, second.pk}
    html = web_client(pm).get(page).content.decode()
    assert "2 of 2 portal ideas are in the inbox" in html
    assert "Bring in portal ideas" not in html

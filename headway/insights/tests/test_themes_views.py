"""Themes pages: the list with charts data, one theme with its notes, curation through forms (with
and without htmx), finding themes as a job with a progress fragment, and who may do what."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from headway.backlog.tests import factories as bf
from headway.customers.models import Company
from headway.insights.models import FeedbackNote, Highlight, InsightJob, Theme, ThemeSpace
from headway.insights.selectors import themes as selectors
from headway.insights.tests.factories import note, theme
from headway.insights.tests.test_themes import load_reviews

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    from django.urls import reverse

    return reverse(f"insights:{name}", kwargs={"ws": "acme", **({"pk": args[0]} if args else {})})


@pytest.fixture
def data(admin, workspace):
    """Two themes: "Ads" with three notes (two from Initech, one highlighted on a feature), "Offline" with one."""
    ads = theme(
        workspace,
        "Ads",
        auto_label="ads · premium · skip",
        note_count=3,
        quotes=[{"note": 0, "text": "Too many <b>ads</b>"}],
    )
    offline = theme(workspace, "Offline", note_count=1)
    initech = Company.objects.create(workspace=workspace, name="Initech", arr=Decimal("500000"))
    now = timezone.now()
    n1 = note(
        workspace, "Too many ads", theme=ads, company=initech, sentiment="negative", sentiment_score=-0.8, kind="rating"
    )
    n2 = note(
        workspace,
        "Ads between songs",
        theme=ads,
        company=initech,
        sentiment="negative",
        sentiment_score=-0.4,
        kind="bug",
    )
    n3 = note(
        workspace,
        "Fine with ads",
        theme=ads,
        sentiment="positive",
        sentiment_score=0.6,
        kind="experience",
        received_at=now - dt.timedelta(days=30),
    )
    note(workspace, "Offline mode please", theme=offline, sentiment="neutral", kind="feature_request")
    pay = bf.product(admin, workspace, key="PAY")
    feature = bf.feature(admin, pay, title="Fewer ads")
    Highlight.objects.create(workspace=workspace, note=n1, start=0, end=8, quote="Too many", feature=feature)
    return {"ads": ads, "offline": offline, "initech": initech, "feature": feature, "notes": [n1, n2, n3]}


def test_themes_page_shows_themes_with_charts_data(web_client, viewer, data):
    response = web_client(viewer).get(url("themes"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ads" in html and "Offline" in html and "Initech" in html and "PAY-1" in html
    assert "Too many &lt;b&gt;ads&lt;/b&gt;" in html  # quotes are escaped
    assert "Find themes again" not in html  # viewers cannot
    charts = response.context["charts"]
    ads = charts[str(data["ads"].pk)]
    assert ads["sentiment"] == {"negative": 2, "neutral": 0, "positive": 1, "unlabelled": 0, "mean": -0.2}
    assert sum(ads["volume"]["negative"]) == 2 and sum(ads["volume"]["positive"]) == 1
    assert ads["volume"]["negative"][-1] == 2  # this week
    assert len(ads["volume"]["weeks"]) == 12
    assert 'id="theme-charts" type="application/json"' in html


def test_themes_overview_runs_a_fixed_number_of_queries(viewer, workspace, data, django_assert_num_queries):
    for i in range(5):
        t = theme(workspace, f"More {i}")
        note(workspace, f"note {i}", theme=t)
    with django_assert_num_queries(6):  # role, themes, volume, sentiment, companies, features
        cards = selectors.themes_overview(user=viewer, workspace=workspace)
    assert len(cards) == 7
    ads = next(c for c in cards if c["theme"].pk == data["ads"].pk)
    assert ads["companies"] == [
        {"id": data["initech"].pk, "name": "Initech", "arr": Decimal("500000.00"), "currency": "USD", "notes": 2}
    ]
    assert ads["features"] == [
        {"id": data["feature"].pk, "ref": "PAY-1", "title": "Fewer ads", "highlights": 1, "notes": 1}
    ]


def test_empty_state_offers_to_find_themes(web_client, pm, workspace):
    html = web_client(pm).get(url("themes")).content.decode()
    assert "No themes yet" in html and "Find themes" in html


def test_theme_page_lists_notes_newest_first_with_filters(web_client, viewer, data):
    client = web_client(viewer)
    response = client.get(url("theme", data["ads"].pk))
    assert response.status_code == 200
    assert [n.pk for n in response.context["page"].object_list] == [
        data["notes"][1].pk,
        data["notes"][0].pk,
        data["notes"][2].pk,
    ]
    response = client.get(url("theme", data["ads"].pk), {"sentiment": "positive"}, **HX)
    assert [n.pk for n in response.context["page"].object_list] == [data["notes"][2].pk]
    assert b'id="theme-notes"' in response.content and b"<html" not in response.content
    response = client.get(url("theme", data["ads"].pk), {"kind": "bug"})
    assert [n.pk for n in response.context["page"].object_list] == [data["notes"][1].pk]


def test_theme_notes_are_paginated_by_fifty(web_client, viewer, workspace):
    t = theme(workspace, "Big")
    FeedbackNote.objects.bulk_create(
        [
            FeedbackNote(
                workspace=workspace, source="manual", channel="x", text=f"n{i}", theme=t, received_at=timezone.now()
            )
            for i in range(60)
        ]
    )
    response = web_client(viewer).get(url("theme", t.pk), {"page": 2})
    assert len(response.context["page"].object_list) == 10


def test_rename_pin_merge_archive_through_forms(web_client, pm, data):
    client = web_client(pm)
    ads, offline = data["ads"], data["offline"]
    response = client.post(url("theme_rename", ads.pk), {"name": "Advertising"})
    assert response.status_code == 302 and response["Location"] == url("theme", ads.pk)
    ads.refresh_from_db()
    assert (ads.name, ads.renamed) == ("Advertising", True)
    client.post(url("theme_pin", ads.pk), {"pinned": "1"})
    ads.refresh_from_db()
    assert ads.pinned
    response = client.post(url("theme_merge", offline.pk), {"into": ads.pk}, **HX)
    assert (response.status_code, response["HX-Redirect"]) == (204, url("theme", ads.pk))
    ads.refresh_from_db()
    offline.refresh_from_db()
    assert ads.note_count == 4 and offline.archived_at is not None
    client.post(url("theme_archive", ads.pk))
    ads.refresh_from_db()
    assert ads.archived_at is not None


def test_rename_with_a_blank_name_says_why_and_changes_nothing(web_client, pm, data):
    response = web_client(pm).post(url("theme_rename", data["ads"].pk), {"name": "  "}, follow=True)
    assert "Give the theme a name." in response.content.decode()
    data["ads"].refresh_from_db()
    assert data["ads"].name == "Ads"


def test_viewer_cannot_rename_and_nothing_changes(web_client, viewer, data):
    response = web_client(viewer).post(url("theme_rename", data["ads"].pk), {"name": "Hacked"})
    assert response.status_code == 403
    data["ads"].refresh_from_db()
    assert (data["ads"].name, data["ads"].renamed) == ("Ads", False)


def test_outsider_gets_404(web_client, outsider, data):
    client = web_client(outsider)
    assert client.get(url("themes")).status_code == 404
    assert client.get(url("theme", data["ads"].pk)).status_code == 404
    assert client.post(url("theme_rename", data["ads"].pk), {"name": "x"}).status_code == 404


def test_a_theme_of_another_workspace_is_not_found(web_client, pm, other_workspace):
    theirs = theme(other_workspace, "Theirs")
    assert web_client(pm).get(url("theme", theirs.pk)).status_code == 404


def test_find_themes_runs_the_job_and_shows_its_progress(web_client, pm, workspace, django_capture_on_commit_callbacks):
    load_reviews(workspace, 200)
    client = web_client(pm)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("themes_recompute"), **HX)
    assert response.status_code == 200
    assert b'role="status"' in response.content and b"<html" not in response.content
    job = InsightJob.objects.get(workspace=workspace, kind="themes")
    assert job.status == "done" and job.done == job.total > 0  # tasks run immediately in tests
    assert ThemeSpace.objects.filter(workspace=workspace).exists()
    assert Theme.objects.filter(workspace=workspace, archived_at__isnull=True).count() == 7
    fragment = client.get(url("job", job.pk)).content.decode()
    assert "Done" in fragment and "every 1s" not in fragment
    response = client.post(url("themes_recompute"))
    assert response.status_code == 302 and response["Location"] == url("themes")


def test_job_fragment_polls_while_running(web_client, viewer, workspace, outsider):
    job = InsightJob.objects.create(workspace=workspace, kind="classify", status="running", total=10, done=4)
    html = web_client(viewer).get(url("job", job.pk)).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'max="10" value="4"' in html
    assert web_client(outsider).get(url("job", job.pk)).status_code == 404


def test_viewer_cannot_start_finding_themes(web_client, viewer, workspace):
    assert web_client(viewer).post(url("themes_recompute")).status_code == 403
    assert not InsightJob.objects.filter(workspace=workspace).exists()


def test_theme_page_json_never_carries_raw_html(web_client, viewer, workspace):
    evil = Company.objects.create(workspace=workspace, name="</script><script>alert(1)</script>")
    t = theme(workspace, "Evil")
    note(workspace, "x", theme=t, company=evil)
    html = web_client(viewer).get(url("theme", t.pk)).content.decode()
    assert "<script>alert(1)" not in html
    start = html.index('id="theme-chart" type="application/json">') + len('id="theme-chart" type="application/json">')
    block = html[start : html.index("</script>", start)]
    assert json.loads(block)["companies"][0]["name"] == "</script><script>alert(1)</script>"

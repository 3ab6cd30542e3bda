"""The duplicates page, its actions (with and without htmx), the similar-feedback fragment, and the API."""

from __future__ import annotations

import pytest
from django.utils import timezone

from headway.backlog.tests import factories as backlog
from headway.ideas import services as ideas
from headway.ideas.models import Idea
from headway.ideas.tests import factories as f
from headway.insights import similarity
from headway.insights.models import FeedbackNote, Highlight, NoteState, Source
from headway.insights.selectors import duplicates as selector
from headway.insights.tests.factories import note


@pytest.fixture(autouse=True)
def _empty_cache():
    similarity.clear_cache()
    selector.clear_cache()
    yield
    similarity.clear_cache()
    selector.clear_cache()


@pytest.fixture
def portal(admin, workspace):
    return f.portal(admin, workspace, slug="music")


def _at(minutes):
    return timezone.now() - timezone.timedelta(minutes=minutes)


@pytest.fixture
def inbox(workspace):
    email, store, api = Source.EMAIL, Source.IMPORT, Source.API
    return {
        "email": note(workspace, "Too many ads between the songs.", channel="Email", source=email, received_at=_at(3)),
        "store": note(
            workspace, "Way too many ads between the songs", channel="App Store", source=store, received_at=_at(2)
        ),
        "other": note(
            workspace, "Family plan billing charged me twice", channel="Zendesk", source=api, received_at=_at(1)
        ),
    }


def _url(workspace, name, **kw):
    from django.urls import reverse

    return reverse(f"insights:{name}", kwargs={"ws": workspace.slug, **kw})


def test_page_lists_clusters_with_actions(web_client, pm, workspace, portal, inbox):
    response = web_client(pm).get(_url(workspace, "duplicates"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Too many ads between the songs." in html and "Way too many ads between the songs" in html
    assert "Family plan billing" not in html
    assert "1 cluster found" in html
    assert "Merge into one idea" in html and "Link to a feature" in html
    assert f'name="notes" value="{inbox["email"].pk}"' in html
    assert "most recent notes still in the inbox" in html


def test_viewer_sees_clusters_without_actions(web_client, viewer, workspace, inbox):
    html = web_client(viewer).get(_url(workspace, "duplicates")).content.decode()
    assert "Way too many ads between the songs" in html
    assert "Merge into one idea" not in html and 'name="notes"' not in html


def test_empty_state(web_client, viewer, workspace):
    html = web_client(viewer).get(_url(workspace, "duplicates")).content.decode()
    assert "No duplicates to review" in html
    assert "groups feedback that says the same thing in different channels" in html


def test_htmx_gets_the_fragment(web_client, viewer, workspace, inbox):
    response = web_client(viewer).get(_url(workspace, "duplicates"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dup-clusters"') and "<html" not in html


def test_outsider_gets_404(web_client, outsider, workspace, inbox):
    client = web_client(outsider)
    assert client.get(_url(workspace, "duplicates")).status_code == 404
    assert client.get(_url(workspace, "note_similar", pk=inbox["email"].pk)).status_code == 404
    response = client.post(_url(workspace, "duplicates_to_feature"), {"notes": [inbox["email"].pk], "feature": "MUS-1"})
    assert response.status_code == 404
    assert Highlight.objects.count() == 0


def test_merge_into_new_idea_without_js(web_client, pm, workspace, portal, inbox):
    response = web_client(pm).post(
        _url(workspace, "duplicates_to_idea"),
        {"notes": [inbox["email"].pk, inbox["store"].pk], "target": "new", "portal": portal.pk, "title": "Fewer ads"},
        follow=True,
    )
    idea = Idea.objects.get(title="Fewer ads")
    assert response.redirect_chain[-1][0] == _url(workspace, "duplicates")
    assert f"2 notes linked to idea #{idea.pk}" in response.content.decode()
    assert set(Highlight.objects.filter(idea=idea).values_list("note_id", flat=True)) == {
        inbox["email"].pk,
        inbox["store"].pk,
    }
    assert set(
        FeedbackNote.objects.filter(pk__in=[inbox["email"].pk, inbox["store"].pk]).values_list("state", flat=True)
    ) == {NoteState.PROCESSED}
    # Processed notes leave the page.
    assert "No duplicates to review" in web_client(pm).get(_url(workspace, "duplicates")).content.decode()


def test_merge_into_existing_idea_with_htmx(web_client, pm, admin, workspace, portal, inbox):
    target = ideas.idea_create(actor=admin, portal=portal, title="Ad-free tier")
    response = web_client(pm).post(
        _url(workspace, "duplicates_to_idea"),
        {"notes": [inbox["email"].pk], "target": "existing", "idea": f"#{target.pk}"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and response["HX-Redirect"] == _url(workspace, "duplicates")
    assert list(Highlight.objects.filter(idea=target).values_list("note_id", flat=True)) == [inbox["email"].pk]


def test_bad_input_is_a_message_and_changes_nothing(web_client, pm, workspace, portal, inbox):
    client = web_client(pm)
    cases = [
        {"notes": [inbox["email"].pk], "target": "new", "portal": portal.pk, "title": ""},
        {"notes": [inbox["email"].pk], "target": "existing", "idea": "forty-two"},
        {"notes": [inbox["email"].pk], "target": "existing", "idea": "999999"},
        {"target": "new", "portal": portal.pk, "title": "X"},
    ]
    for data in cases:
        response = client.post(_url(workspace, "duplicates_to_idea"), data, follow=True)
        assert response.status_code == 200
        assert 'class="flash flash-error' in response.content.decode() or "flash-error" in response.content.decode()
    response = client.post(
        _url(workspace, "duplicates_to_feature"), {"notes": [inbox["email"].pk], "feature": "NOPE-1"}, follow=True
    )
    assert "No feature NOPE-1" in response.content.decode()
    assert Highlight.objects.count() == 0
    assert FeedbackNote.objects.get(pk=inbox["email"].pk).state == NoteState.NEW


def test_link_to_feature(web_client, pm, leader, workspace, inbox):
    product = backlog.product(leader, workspace, key="MUS")
    feature = backlog.feature(leader, product, "Fewer ads")
    response = web_client(pm).post(
        _url(workspace, "duplicates_to_feature"),
        {"notes": [inbox["email"].pk, inbox["store"].pk], "feature": feature.ref.lower(), "importance": "critical"},
        follow=True,
    )
    assert f"2 notes linked to {feature.ref}" in response.content.decode()
    assert sorted(Highlight.objects.filter(feature=feature).values_list("note_id", "importance")) == sorted(
        [(inbox["email"].pk, "critical"), (inbox["store"].pk, "critical")]
    )


def test_viewer_cannot_act(web_client, viewer, leader, workspace, portal, inbox):
    product = backlog.product(leader, workspace, key="MUS")
    feature = backlog.feature(leader, product, "Fewer ads")
    client = web_client(viewer)
    ideas_before = Idea.objects.count()
    response = client.post(
        _url(workspace, "duplicates_to_idea"),
        {"notes": [inbox["email"].pk], "target": "new", "portal": portal.pk, "title": "Ads"},
        follow=True,
    )
    assert "may not" in response.content.decode()
    client.post(_url(workspace, "duplicates_to_feature"), {"notes": [inbox["email"].pk], "feature": feature.ref})
    assert Idea.objects.count() == ideas_before
    assert Highlight.objects.count() == 0
    assert FeedbackNote.objects.get(pk=inbox["email"].pk).state == NoteState.NEW


def test_similar_fragment(web_client, viewer, workspace, inbox):
    response = web_client(viewer).get(_url(workspace, "note_similar", pk=inbox["email"].pk), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Similar feedback" in html
    assert _url(workspace, "note", pk=inbox["store"].pk) in html
    assert "App Store" in html and "%" in html
    assert _url(workspace, "note", pk=inbox["other"].pk) not in html


def test_similar_fragment_escapes_text(web_client, viewer, workspace):
    a = note(workspace, "<script>alert(1)</script> too many ads between songs", channel="Email")
    note(workspace, "<b>bold</b> too many ads between songs", channel="Chat")
    html = web_client(viewer).get(_url(workspace, "note_similar", pk=a.pk)).content.decode()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


# --- API ------------------------------------------------------------------------------------------


def test_api_similar(api_client, viewer, workspace, portal, admin, inbox):
    response = api_client(viewer).get(f"/api/v1/insights/{inbox['email'].pk}/similar")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(i["kind"], i["id"]) for i in body["items"]] == [("note", inbox["store"].pk)]
    assert body["items"][0]["channel"] == "App Store" and 0 < body["items"][0]["score"] <= 1
    assert api_client(viewer).get("/api/v1/insights/999999999/similar").status_code == 404


def test_api_duplicates(api_client, viewer, workspace, inbox):
    response = api_client(viewer).get("/api/v1/insights/duplicates")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scanned"] == 3 and body["capped"] is False
    assert [[(m["kind"], m["id"]) for m in c["members"]] for c in body["clusters"]] == [
        [("note", inbox["store"].pk), ("note", inbox["email"].pk)]
    ]


def test_api_cluster_to_idea_and_feature(api_client, pm, viewer, leader, workspace, portal, inbox):
    data = {"note_ids": [inbox["email"].pk, inbox["store"].pk], "portal_id": portal.pk, "title": "Fewer ads"}
    assert (
        api_client(viewer).post("/api/v1/insights/duplicates/idea", data, content_type="application/json").status_code
        == 403
    )
    response = api_client(pm).post("/api/v1/insights/duplicates/idea", data, content_type="application/json")
    assert response.status_code == 200, response.content
    idea_id = response.json()["idea_id"]
    assert response.json()["highlights"] == 2
    assert Highlight.objects.filter(idea_id=idea_id).count() == 2

    product = backlog.product(leader, workspace, key="MUS")
    feature = backlog.feature(leader, product, "Fewer ads")
    response = api_client(pm).post(
        "/api/v1/insights/duplicates/feature",
        {"note_ids": [inbox["other"].pk], "feature_id": feature.pk, "importance": "nice_to_have"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["highlights"] == 1
    bad = api_client(pm).post(
        "/api/v1/insights/duplicates/feature",
        {"note_ids": ["1"], "feature_id": feature.pk},
        content_type="application/json",
    )
    assert bad.status_code == 422
    missing = api_client(pm).post(
        "/api/v1/insights/duplicates/feature",
        {"note_ids": [inbox["other"].pk], "feature_id": 10**12},
        content_type="application/json",
    )
    assert missing.status_code == 404 and missing.json()["error"]["fields"] == {
        "feature_id": [f"No feature {10**12} in this workspace."]
    }


@pytest.mark.django_db
def test_the_idea_and_feature_fields_suggest_as_people_type(web_client, workspace, leader, pm, viewer, portal):
    feature = backlog.feature(leader, backlog.product(leader, workspace, key="PAY", owner=pm), "Faster export")
    idea = f.idea(leader, portal, title="Dark mode please")
    options = f"/w/{workspace.slug}/insights/evidence/options/"
    client = web_client(pm)
    found = client.get(options, {"kind": "feature", "feature": "faster"}).content.decode()
    assert found.count("<option") == 1
    assert f'<option value="PAY-{feature.number}">PAY-{feature.number} Faster export</option>' in found
    found = client.get(options, {"kind": "idea", "idea": f"#{idea.pk}"}).content.decode()
    assert found.count("<option") == 1
    assert f'<option value="#{idea.pk}">#{idea.pk} Dark mode please</option>' in found
    assert client.get(options, {"kind": "idea", "idea": "nothing like it"}).content.decode().count("<option") == 0
    assert client.get(options, {"kind": "portal"}).status_code == 404
    assert web_client(viewer).get(options, {"kind": "idea", "idea": "dark"}).status_code == 403

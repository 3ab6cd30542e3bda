"""Portal people (customers, partners) are never workspace members: every insights page and API route
answers them 404 (or asks them to sign in), and no portal page ever shows a note's text."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver

from headway.backlog.tests import factories as backlog
from headway.ideas.tests import factories as f
from headway.insights import urls as insights_urls
from headway.insights.models import FeedbackNote, Highlight
from headway.insights.services.highlights import highlight_create
from headway.insights.tests import factories as nf

pytestmark = pytest.mark.django_db

SECRET = "Confidential: Initech churns in March unless SSO ships"


@pytest.fixture
def setting(leader, pm, workspace):
    portal = f.portal(leader, workspace, slug="acme-ideas", name="Acme ideas")
    customer = f.portal_user(portal, "buyer@customer.example")
    idea = f.idea(customer, portal, "Single sign-on", description="We want SSO")
    from headway.ideas.services.ideas import idea_approve

    idea_approve(actor=leader, idea=idea)
    product = backlog.product(leader, workspace, key="PAY", owner=pm)
    feature = backlog.feature(leader, product, "SSO")
    note = nf.note(workspace, SECRET, title="Churn risk")
    highlight = highlight_create(actor=pm, note=note, start=0, end=12, importance="critical", idea=idea)
    highlight_create(actor=pm, note=note, start=0, end=12, importance="critical", feature=feature)
    return {
        "portal": portal,
        "customer": customer,
        "idea": idea,
        "note": note,
        "highlight": highlight,
        "feature": feature,
    }


def _patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _fill(route, ids):
    """A concrete path for a route: every <int:x> becomes a real id, <str:x>/<slug:x> a word."""

    def one(match):
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return str(ids.get(name, ids["pk"]))
        return "x"

    return re.sub(r"<(?:(\w+):)?(\w+)>", one, route)


def test_every_insights_page_answers_404_to_a_portal_person(client, setting):
    ids = {"pk": setting["note"].pk}
    routes = sorted(set(_patterns(insights_urls.urlpatterns)))
    assert "" in routes and "notes/<int:pk>/" in routes
    client.force_login(setting["customer"])
    for route in routes:
        path = "/w/acme/insights/" + _fill(route, ids)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 404, (method, path, response.status_code)
            assert SECRET not in response.content.decode()
    assert FeedbackNote.objects.get(pk=setting["note"].pk).state == "new"
    assert Highlight.objects.count() == 2


def test_signed_out_visitors_are_sent_to_sign_in(client, setting):
    response = client.get(f"/w/acme/insights/notes/{setting['note'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _api_operations():
    from config.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "insights" in operation.get("tags", []):
                yield path, method


def test_every_insights_api_route_answers_a_portal_person_with_nothing(client, setting):
    operations = sorted(set(_api_operations()))
    paths = {p for p, _ in operations}
    assert "/api/v1/insights/{note_id}" in paths
    assert "/api/v1/features/{feature_id}/evidence" in paths
    ids = {
        "note_id": setting["note"].pk,
        "highlight_id": setting["highlight"].pk,
        "feature_id": setting["feature"].pk,
    }
    client.force_login(setting["customer"])
    for path, method in operations:
        concrete = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), setting["note"].pk)), path)
        for headers in ({}, {"HTTP_X_HEADWAY_WORKSPACE": "acme"}):
            response = client.generic(method.upper(), concrete, "{}", content_type="application/json", **headers)
            # An empty body may be refused (422) before the workspace is looked at; it names no data.
            assert response.status_code in (401, 403, 404, 405, 422), (method, concrete, response.status_code)
            assert SECRET not in response.content.decode()
    valid = [
        ("PATCH", f"/api/v1/insights/{ids['note_id']}", {"state": "archived"}),
        (
            "POST",
            f"/api/v1/insights/{ids['note_id']}/highlights",
            {"start": 0, "end": 5, "feature_id": ids["feature_id"]},
        ),
        ("DELETE", f"/api/v1/highlights/{ids['highlight_id']}", None),
        ("GET", f"/api/v1/features/{ids['feature_id']}/evidence", None),
        ("GET", f"/api/v1/insights/{ids['note_id']}", None),
        ("POST", "/api/v1/insights", {"text": "Planted by a customer"}),
    ]
    for method, path, body in valid:
        for headers in ({}, {"HTTP_X_HEADWAY_WORKSPACE": "acme"}):
            data = "" if body is None else json.dumps(body)
            response = client.generic(method, path, data, content_type="application/json", **headers)
            assert response.status_code == 404, (method, path, response.status_code)
            assert SECRET not in response.content.decode()
    assert FeedbackNote.objects.get(pk=setting["note"].pk).state == "new"
    assert FeedbackNote.objects.count() == 1
    assert Highlight.objects.count() == 2


def test_no_portal_page_shows_a_note(client, setting):
    portal, idea = setting["portal"], setting["idea"]
    client.force_login(setting["customer"])
    for path in (
        "/p/acme-ideas/",
        f"/p/acme-ideas/ideas/{idea.pk}/",
        "/p/acme-ideas/roadmap/",
        "/p/acme-ideas/changelog/",
        "/p/acme-ideas/notifications/",
        "/p/acme-ideas/similar/?title=Confidential+Initech+churns",
    ):
        response = client.get(path)
        assert response.status_code in (200, 302, 404), path
        html = response.content.decode()
        assert SECRET not in html, path
        assert "Confidential" not in html, path
    assert portal.pk and idea.pk

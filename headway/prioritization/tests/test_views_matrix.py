"""The value vs effort matrix: the chart's points for a fixture (exact), the table and the
not-estimated list, and the drag endpoints (effort, value) with their permission checks — a denied
change answers 403 and changes nothing."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from headway.backlog.models import Feature
from headway.backlog.tests import factories as bf
from headway.prioritization.models import FeatureScore
from headway.prioritization.tests.factories import FeatureScoreFactory, ScoringModelFactory

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def url(name, **kwargs):
    return reverse(f"prioritization:{name}", kwargs={"ws": "acme", **kwargs})


@pytest.fixture
def data(admin, pm, workspace):
    """PAY (owned by the PM) under a value-vs-effort model: A quick win, B big bet, C fill-in,
    D time sink; E is not estimated."""
    pay = bf.product(admin, workspace, key="PAY", owner=pm)
    model = ScoringModelFactory(workspace=workspace, name="Value/effort", framework="value_effort", is_default=True)
    rows = [("Alpha", 2, 8), ("Bravo", 8, 9), ("Charlie", 3, 2), ("Delta", 9, 1)]
    features = []
    for title, effort, value in rows:
        feature = bf.feature(admin, pay, title, effort=effort)
        FeatureScoreFactory(feature=feature, scoring_model=model, inputs={"value": value, "effort": effort})
        features.append(feature)
    features.append(bf.feature(admin, pay, "Echo"))
    return {"pay": pay, "model": model, "f": features}


def _chart(page: str) -> dict:
    match = re.search(r'<script id="matrix-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "the chart's data block"
    return json.loads(match[1])


def test_points_exact(web_client, pm, data):
    page = web_client(pm).get(url("matrix"), {"model": data["model"].pk}).content.decode()
    chart = _chart(page)
    a, b, c, d, _ = data["f"]

    def point(f, value, effort, quadrant, score):
        return {
            "id": f.pk,
            "ref": f.ref,
            "title": f.title,
            "url": f"/w/acme/backlog/features/{f.pk}/",
            "value": value,
            "effort": effort,
            "demand": 0.0,
            "quadrant": quadrant,
            "score": score,
            "can_edit_effort": True,
        }

    assert sorted(chart["points"], key=lambda p: p["id"]) == [
        point(a, 8.0, 2.0, "quick_win", 4.0),
        point(b, 9.0, 8.0, "big_bet", 1.125),
        point(c, 2.0, 3.0, "fill_in", pytest.approx(2 / 3)),
        point(d, 1.0, 9.0, "time_sink", pytest.approx(1 / 9)),
    ]
    assert chart["lines"] == {"value": 5.5, "effort": 5.0, "note": "the model's lines"}
    assert chart["axis"] == {"x": "Effort (story points)", "y": "Value"}
    assert chart["value_input"]["key"] == "value"
    assert chart["can_score"] is True
    assert chart["model"] == data["model"].pk
    assert chart["endpoints"] == {
        "effort": "/w/acme/prioritization/matrix/features/0/effort/",
        "value": "/w/acme/prioritization/matrix/features/0/value/",
    }
    # The table lists the same features by quadrant; E is "not estimated" with a link.
    table = page[page.index('id="matrix-rows"') :]
    order = [table.index(f.ref) for f in (a, b, c, d)]
    assert order == sorted(order)
    assert 'class="tag mx-tag-quick_win">Quick wins<' in table
    assert 'Not estimated <span class="muted">(1)</span>' in page
    assert f'href="/w/acme/backlog/features/{data["f"][4].pk}/"' in page


def test_viewer_sees_no_edit_controls(web_client, viewer, data):
    page = web_client(viewer).get(url("matrix")).content.decode()
    chart = _chart(page)
    assert {p["can_edit_effort"] for p in chart["points"]} == {False}
    assert chart["can_score"] is False
    assert "Drag to re-estimate" not in page
    assert 'name="effort"' not in page


def test_drag_effort_saves_and_returns_points(web_client, pm, data):
    a = data["f"][0]
    response = web_client(pm).post(url("matrix_effort", pk=a.pk), {"effort": "7.5", "model": data["model"].pk}, **JSON)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == f"{a.ref}: effort 7.5."
    moved = next(p for p in body["points"] if p["id"] == a.pk)
    assert (moved["effort"], moved["quadrant"]) == (7.5, "big_bet")
    assert 'id="matrix-rows"' in body["rows_html"]
    a.refresh_from_db()
    assert a.effort == Decimal("7.50")


def test_drag_value_saves_the_input(web_client, pm, data):
    c = data["f"][2]
    response = web_client(pm).post(url("matrix_value", pk=c.pk), {"value": "9", "model": data["model"].pk}, **JSON)
    assert response.status_code == 200
    assert response.json()["message"] == f"{c.ref}: value 9."
    moved = next(p for p in response.json()["points"] if p["id"] == c.pk)
    assert (moved["value"], moved["quadrant"]) == (9.0, "quick_win")
    assert FeatureScore.objects.get(feature=c, scoring_model=data["model"]).inputs["value"] == 9


def test_bad_values_are_422_and_change_nothing(web_client, pm, data):
    client = web_client(pm)
    a = data["f"][0]
    response = client.post(url("matrix_effort", pk=a.pk), {"effort": "-3", "model": data["model"].pk}, **JSON)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"effort": ["Effort cannot be negative."]}
    response = client.post(url("matrix_value", pk=a.pk), {"value": "99", "model": data["model"].pk}, **JSON)
    assert response.status_code == 422
    a.refresh_from_db()
    assert a.effort == Decimal("2.00")
    assert FeatureScore.objects.get(feature=a).inputs["value"] == 8


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_denied_roles_get_403_and_nothing_changes(web_client, member, data, role):
    client = web_client(member(role))
    a = data["f"][0]
    response = client.post(url("matrix_effort", pk=a.pk), {"effort": "5", "model": data["model"].pk}, **JSON)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    response = client.post(url("matrix_value", pk=a.pk), {"value": "3", "model": data["model"].pk}, **JSON)
    assert response.status_code == 403
    # Without JavaScript: the 403 page.
    assert client.post(url("matrix_effort", pk=a.pk), {"effort": "5"}).status_code == 403
    a.refresh_from_db()
    assert a.effort == Decimal("2.00")
    assert FeatureScore.objects.get(feature=a).inputs["value"] == 8


def test_pm_of_another_product_may_score_but_not_estimate(web_client, member, data):
    client = web_client(member("pm"))
    a = data["f"][0]
    page = client.get(url("matrix")).content.decode()
    assert {p["can_edit_effort"] for p in _chart(page)["points"]} == {False}
    assert client.post(url("matrix_effort", pk=a.pk), {"effort": "5"}, **JSON).status_code == 403
    assert (
        client.post(url("matrix_value", pk=a.pk), {"value": "3", "model": data["model"].pk}, **JSON).status_code == 200
    )
    assert Feature.objects.get(pk=a.pk).effort == Decimal("2.00")


def test_form_post_without_javascript_redirects_back(web_client, pm, data):
    a = data["f"][0]
    response = web_client(pm).post(
        url("matrix_effort", pk=a.pk), {"effort": "3", "model": data["model"].pk, "product": data["pay"].pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('matrix')}?model={data['model'].pk}&product={data['pay'].pk}#matrix-table"


def test_no_model_empty_state(web_client, viewer, workspace):
    page = web_client(viewer).get(url("matrix")).content.decode()
    assert "No scoring model yet" in page


def test_other_workspace_model_is_404(web_client, outsider, pm, data):
    assert web_client(outsider).get(url("matrix"), {"model": data["model"].pk}).status_code == 404

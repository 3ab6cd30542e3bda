"""API: /scoring-models, /features/{id}/scores…, /features/ranked and the pins of a ranking."""

from typing import get_args

import pytest
from django.test import Client
from django.utils import timezone

from headway.backlog.tests import factories as backlog
from headway.prioritization.api.scoring import FrameworkName
from headway.prioritization.models import FeatureScore, FeatureScoreChange, Framework, RankOverride, ScoringModel
from headway.prioritization.tests.factories import FeatureScoreFactory, ScoringModelFactory

pytestmark = pytest.mark.django_db

RICE_KEYS = ["reach", "impact", "confidence", "effort"]


@pytest.fixture
def product(leader, workspace, pm):
    return backlog.product(leader, workspace, key="PAY", owner=pm)


@pytest.fixture
def features(leader, product):
    return [backlog.feature(leader, product, title) for title in ("Wallets", "Proration", "Klarna", "Dark mode")]


@pytest.fixture
def rice(workspace):
    return ScoringModelFactory(workspace=workspace, name="RICE", framework="rice", is_default=True)


@pytest.fixture
def scored(features, rice):
    """Wallets 400, Proration 100, Klarna 1,200; Dark mode has no score."""
    rows = [
        {"reach": 500, "impact": 2, "confidence": 80, "effort": 2},
        {"reach": 200, "impact": 1, "confidence": 50, "effort": 1},
        {"reach": 3000, "impact": 0.5, "confidence": 80, "effort": 1},
    ]
    for feature, inputs in zip(features, rows, strict=False):
        FeatureScoreFactory(feature=feature, scoring_model=rice, inputs=inputs)
    return features


def send(client, method, path, body=None):
    return getattr(client, method)(path, body, content_type="application/json")


def error_fields(response):
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]["fields"]


def test_framework_names_follow_the_model():
    assert set(get_args(FrameworkName)) == set(Framework.values)


# --- scoring models ---------------------------------------------------------------------------


def test_leader_creates_changes_and_archives_a_model(api_client, leader, viewer, rice):
    client = api_client(leader)
    response = send(client, "post", "/api/v1/scoring-models", {"name": "WSJF", "framework": "wsjf"})
    assert response.status_code == 201, response.content
    body = response.json()
    model = ScoringModel.objects.get(name="WSJF")
    assert body["id"] == model.pk
    assert (body["framework"], body["is_default"], body["archived_at"], body["signals"]) == ("wsjf", False, None, [])
    assert [f["key"] for f in body["fields"]] == ["business_value", "time_criticality", "risk_reduction", "job_size"]
    assert [c["value"] for c in body["fields"][0]["choices"]] == ["1", "2", "3", "5", "8", "13", "20"]

    listed = client.get("/api/v1/scoring-models").json()
    assert [(m["name"], m["is_default"]) for m in listed] == [("RICE", True), ("WSJF", False)]
    assert [f["key"] for f in listed[0]["fields"]] == RICE_KEYS

    response = send(client, "patch", f"/api/v1/scoring-models/{model.pk}", {"name": "WSJF (SAFe)", "is_default": True})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["is_default"]) == ("WSJF (SAFe)", True)
    rice.refresh_from_db()
    assert rice.is_default is False

    response = client.delete(f"/api/v1/scoring-models/{rice.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["archived_at"] is not None
    assert [m["name"] for m in client.get("/api/v1/scoring-models").json()] == ["WSJF (SAFe)"]
    everything = client.get("/api/v1/scoring-models?include_archived=true").json()
    assert [m["name"] for m in everything] == ["RICE", "WSJF (SAFe)"]
    assert client.get(f"/api/v1/scoring-models/{rice.pk}").status_code == 200
    # Only leaders and admins manage models; everyone reads them.
    anonymous = Client()
    assert anonymous.get(f"/api/v1/scoring-models/{model.pk}").status_code == 401
    viewer_client = api_client(viewer)
    assert viewer_client.get(f"/api/v1/scoring-models/{model.pk}").json()["name"] == "WSJF (SAFe)"
    assert send(viewer_client, "post", "/api/v1/scoring-models", {"name": "X", "framework": "ice"}).status_code == 403
    assert send(viewer_client, "patch", f"/api/v1/scoring-models/{model.pk}", {"name": "Y"}).status_code == 403
    assert viewer_client.delete(f"/api/v1/scoring-models/{model.pk}").status_code == 403


def test_pm_may_not_manage_models(api_client, pm, rice):
    client = api_client(pm)
    response = send(client, "post", "/api/v1/scoring-models", {"name": "ICE", "framework": "ice"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert send(client, "patch", f"/api/v1/scoring-models/{rice.pk}", {"name": "Mine"}).status_code == 403
    assert client.delete(f"/api/v1/scoring-models/{rice.pk}").status_code == 403
    assert ScoringModel.objects.get(pk=rice.pk).name == "RICE"


def test_model_errors_name_the_part_at_fault(api_client, leader, rice):
    client = api_client(leader)
    custom = {
        "name": "Demand",
        "framework": "custom",
        "config": {"formula": "demand * reach / nope", "inputs": ["reach"]},
    }
    cases = [
        (custom, 422, "config.formula"),
        ({"name": "ICE", "framework": "ice", "config": {"mode": "median"}}, 422, "config.mode"),
        ({"name": "ICE", "framework": "ice", "config": {"colour": "red"}}, 422, "config"),
        ({"name": "ICE", "framework": "nope"}, 422, "framework"),
        ({"name": "", "framework": "ice"}, 422, "name"),
        ({"name": "ICE", "framework": "ice", "is_default": 1}, 422, "is_default"),
        ({"name": "ICE", "framework": "ice", "extra": 1}, 422, "extra"),
        ({"name": "rice", "framework": "ice"}, 422, "name"),  # names are unique, whatever the case
    ]
    for body, status, field in cases:
        response = send(client, "post", "/api/v1/scoring-models", body)
        assert response.status_code == status, (body, response.content)
        assert list(error_fields(response)) == [field], (body, response.json())
    response = send(client, "post", "/api/v1/scoring-models", custom)
    assert "nope" in response.json()["error"]["message"]
    assert ScoringModel.objects.count() == 1


def test_models_of_another_workspace_are_not_found(api_client, outsider, other_workspace, rice, scored):
    client = api_client(outsider, other_workspace)
    feature = scored[0]
    for path in [
        f"/api/v1/scoring-models/{rice.pk}",
        f"/api/v1/features/{feature.pk}/scores",
        f"/api/v1/features/{feature.pk}/scores/{rice.pk}/explanation",
        f"/api/v1/features/{feature.pk}/scores/{rice.pk}/history",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    assert send(client, "patch", f"/api/v1/scoring-models/{rice.pk}", {"name": "Mine"}).status_code == 404
    assert client.delete(f"/api/v1/scoring-models/{rice.pk}").status_code == 404
    body = {"inputs": {"reach": 1}}
    assert send(client, "put", f"/api/v1/features/{feature.pk}/scores/{rice.pk}", body).status_code == 404
    assert (
        send(client, "put", f"/api/v1/scoring-models/{rice.pk}/overrides/{feature.pk}", {"position": 1}).status_code
        == 404
    )
    assert client.get("/api/v1/scoring-models").json() == []
    # Their own model with our feature, and our model with their feature: 404 too.
    theirs = ScoringModelFactory(workspace=other_workspace, name="Theirs")
    response = send(client, "put", f"/api/v1/features/{feature.pk}/scores/{theirs.pk}", body)
    assert response.status_code == 404
    assert FeatureScore.objects.filter(scoring_model=theirs).count() == 0


# --- scores -----------------------------------------------------------------------------------


def test_pm_fills_in_a_score_and_reads_it_back(api_client, pm, rice, features):
    client = api_client(pm)
    wallets = features[0]
    path = f"/api/v1/features/{wallets.pk}/scores/{rice.pk}"
    response = send(client, "put", path, {"inputs": {"reach": 500, "impact": "high", "confidence": "80%"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["inputs"] == {"reach": 500, "impact": 2, "confidence": 80}
    assert (body["score"], body["label"], body["pinned"]) == (None, "", None)
    response = send(client, "put", path, {"inputs": {"effort": 2}})
    body = response.json()
    assert body["inputs"] == {"reach": 500, "impact": 2, "confidence": 80, "effort": 2}
    assert body["score"] == 400.0
    assert (body["position"], body["score_position"], body["total"]) == (1, 1, 4)
    assert body["model"] == {"id": rice.pk, "name": "RICE", "framework": "rice"}
    stored = FeatureScore.objects.get(feature=wallets, scoring_model=rice)
    assert (stored.value, stored.updated_by_id) == (400.0, pm.pk)
    # Clearing an input (null) takes the score away; replace sends them all.
    assert send(client, "put", path, {"inputs": {"effort": None}}).json()["score"] is None
    response = send(client, "put", path, {"inputs": {"reach": 100, "impact": 1, "confidence": 100, "effort": 4},
                                          "replace": True})  # fmt: skip
    assert response.json()["score"] == 25.0


def test_score_errors_name_the_input_and_save_nothing(api_client, pm, contributor, viewer, rice, scored):
    client = api_client(pm)
    wallets = scored[0]
    path = f"/api/v1/features/{wallets.pk}/scores/{rice.pk}"
    cases = [
        ({"inputs": {"impact": 7}}, "inputs.impact"),
        ({"inputs": {"confidence": "maybe"}}, "inputs.confidence"),
        ({"inputs": {"reach": -5}}, "inputs.reach"),
        ({"inputs": {"effort": 0}}, "inputs.effort"),
        ({"inputs": {"bogus": 1}}, "inputs.bogus"),
        ({"inputs": {"reach": True}}, "inputs.reach"),
        ({"inputs": {"reach": 10}, "replace": "yes"}, "replace"),
        ({"inputs": {"reach": 10}, "extra": 1}, "extra"),
        ({}, "inputs"),
    ]
    for body, field in cases:
        response = send(client, "put", path, body)
        assert response.status_code == 422, (body, response.content)
        fields = error_fields(response)
        assert field in fields, (body, fields)
    response = send(client, "put", path, {"inputs": {"impact": 7, "reach": 100}})
    assert list(error_fields(response)) == ["inputs.impact"]
    assert response.json()["error"]["message"].startswith("inputs.impact: ")
    assert FeatureScore.objects.get(feature=wallets, scoring_model=rice).inputs["reach"] == 500
    # Contributors and viewers read scores, they do not fill them in.
    for user in (contributor, viewer):
        other = api_client(user)
        assert send(other, "put", path, {"inputs": {"reach": 1}}).status_code == 403
        assert other.get(f"/api/v1/features/{wallets.pk}/scores").status_code == 200
    assert FeatureScoreChange.objects.count() == 0


def test_a_feature_s_scores_under_every_model_with_its_signals(api_client, viewer, leader, workspace, rice, scored):
    ice = ScoringModelFactory(workspace=workspace, name="ICE", framework="ice")
    ScoringModelFactory(workspace=workspace, name="Old", framework="ice", archived_at="2026-01-01T00:00:00Z")
    klarna = scored[2]
    response = api_client(viewer).get(f"/api/v1/features/{klarna.pk}/scores")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["feature"] == {"id": klarna.pk, "ref": "PAY-3", "title": "Klarna", "product_id": klarna.product_id}
    assert body["signals"] == {
        "votes": 0.0,
        "demand": 0.0,
        "companies": 0.0,
        "arr": 0.0,
        "objectives": 0.0,
        "objective_priority": 0.0,
        "age_days": 0.0,
        "effort": None,
    }
    assert [s["model"]["name"] for s in body["scores"]] == ["ICE", "RICE"]
    ice_score, rice_score = body["scores"]
    assert rice_score == {
        "model": {"id": rice.pk, "name": "RICE", "framework": "rice"},
        "inputs": {"reach": 3000, "impact": 0.5, "confidence": 80, "effort": 1},
        "score": 1200.0,
        "label": "",
        "position": 1,
        "score_position": 1,
        "total": 4,
        "pinned": None,
    }
    assert (ice_score["model"]["id"], ice_score["inputs"], ice_score["score"], ice_score["position"]) == (
        ice.pk,
        {},
        None,
        3,  # nothing is scored under ICE: the product's backlog order
    )


def test_ranking_with_pins_and_pages(api_client, pm, viewer, rice, scored):
    _, proration, klarna, _ = scored
    client = api_client(viewer)
    body = client.get(f"/api/v1/features/ranked?model={rice.pk}").json()
    assert [(i["position"], i["feature"]["ref"], i["score"], i["pinned"]) for i in body["items"]] == [
        (1, "PAY-3", 1200.0, False),
        (2, "PAY-1", 400.0, False),
        (3, "PAY-2", 100.0, False),
        (4, "PAY-4", None, False),
    ]
    assert (body["count"], body["unscored"], body["page"], body["page_size"], body["pages"]) == (4, 1, 1, 50, 1)
    assert body["model"] == {"id": rice.pk, "name": "RICE", "framework": "rice"}
    assert body["items"][0]["inputs"] == {"reach": 3000, "impact": 0.5, "confidence": 80, "effort": 1}
    assert body["items"][0]["status"] == klarna.status.name
    # Without model: the workspace's default.
    assert client.get("/api/v1/features/ranked").json()["items"][0]["feature"]["ref"] == "PAY-3"

    # A PM pins Proration at the top; the others keep their order below it.
    path = f"/api/v1/scoring-models/{rice.pk}/overrides/{proration.pk}"
    response = send(api_client(pm), "put", path, {"position": 1, "reason": "Promised to Initech"})
    assert response.status_code == 200, response.content
    assert {k: v for k, v in response.json().items() if k not in ("created_at", "updated_at")} == {
        "model_id": rice.pk,
        "feature_id": proration.pk,
        "position": 1,
        "reason": "Promised to Initech",
        "created_by_id": pm.pk,
    }
    body = client.get(f"/api/v1/features/ranked?model={rice.pk}&page_size=2&page=1").json()
    assert [(i["position"], i["feature"]["ref"], i["pinned"], i["score_position"]) for i in body["items"]] == [
        (1, "PAY-2", True, 3),
        (2, "PAY-3", False, 1),
    ]
    assert body["items"][0]["pin_reason"] == "Promised to Initech"
    assert (body["count"], body["pages"]) == (4, 2)
    page2 = client.get(f"/api/v1/features/ranked?model={rice.pk}&page_size=2&page=2").json()
    assert [(i["position"], i["feature"]["ref"]) for i in page2["items"]] == [(3, "PAY-1"), (4, "PAY-4")]
    assert client.get(f"/api/v1/features/ranked?model={rice.pk}&page_size=2&page=9").json()["items"] == []

    # Viewers may not pin; unpinning twice is a 404 the second time.
    assert send(client, "put", path, {"position": 2}).status_code == 403
    assert client.delete(path).status_code == 403
    assert api_client(pm).delete(path).status_code == 204
    assert RankOverride.objects.count() == 0
    response = api_client(pm).delete(path)
    assert response.status_code == 404 and error_fields(response) == {}
    assert client.get("/api/v1/features/ranked").json()["items"][0]["feature"]["ref"] == "PAY-3"


def test_ranking_errors(api_client, leader, viewer, workspace, other_workspace, rice, scored):
    client = api_client(viewer)
    for query, status, field in [
        ("model=999999", 404, "model"),
        ("product=999999", 404, "product"),
        ("model=0", 422, "model"),
        ("page=0", 422, "page"),
        ("page_size=201", 422, "page_size"),
        ("model=abc", 422, "model"),
    ]:
        response = client.get(f"/api/v1/features/ranked?{query}")
        assert response.status_code == status, (query, response.content)
        assert list(error_fields(response)) == [field], query
    theirs = ScoringModelFactory(workspace=other_workspace, name="Theirs")
    assert client.get(f"/api/v1/features/ranked?model={theirs.pk}").status_code == 404
    ScoringModel.objects.filter(pk=rice.pk).update(is_default=False)
    assert client.get("/api/v1/features/ranked").json()["model"]["id"] == rice.pk  # the first live model
    ScoringModel.objects.filter(pk=rice.pk).update(archived_at=timezone.now())
    response = client.get("/api/v1/features/ranked")
    assert response.status_code == 422 and list(error_fields(response)) == ["model"]
    for body, field in [
        ({"position": 0}, "position"),
        ({"position": 1, "reason": "x" * 201}, "reason"),
        ({}, "position"),
    ]:
        response = send(api_client(leader), "put", f"/api/v1/scoring-models/{rice.pk}/overrides/{scored[0].pk}", body)
        assert response.status_code == 422 and list(error_fields(response)) == [field], body


def test_explanation_says_why_a_feature_is_where_it_is(api_client, viewer, rice, scored):
    wallets = scored[0]
    response = api_client(viewer).get(f"/api/v1/features/{wallets.pk}/scores/{rice.pk}/explanation")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["position"], body["total"], body["score"], body["method"]) == (2, 4, 400.0, "log")
    assert [r["key"] for r in body["rows"]] == RICE_KEYS
    assert body["above"]["feature"]["ref"] == "PAY-3" and body["above"]["position"] == 1
    assert body["below"]["feature"]["ref"] == "PAY-2" and body["below"]["position"] == 3
    assert body["pinned"] is None
    assert body["sentences"] and all(isinstance(s, str) and s for s in body["sentences"])


def test_history_lists_each_edit_newest_first(api_client, pm, viewer, rice, features):
    wallets = features[0]
    client = api_client(pm)
    path = f"/api/v1/features/{wallets.pk}/scores/{rice.pk}"
    send(client, "put", path, {"inputs": {"reach": 500, "impact": 2, "confidence": 80, "effort": 2}})
    send(client, "put", path, {"inputs": {"effort": 4}})
    response = api_client(viewer).get(f"{path}/history")
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [(r["score"], r["previous_score"], r["actor_id"], r["actor_name"]) for r in rows] == [
        (200.0, 400.0, pm.pk, "Pat PM"),
        (400.0, None, pm.pk, "Pat PM"),
    ]
    assert rows[0]["inputs"] == {"reach": 500, "impact": 2, "confidence": 80, "effort": 4}
    assert rows[0]["model_id"] == rice.pk
    assert [r["score"] for r in api_client(viewer).get(f"{path}/history?limit=1").json()] == [200.0]
    assert api_client(viewer).get(f"{path}/history?limit=0").status_code == 422

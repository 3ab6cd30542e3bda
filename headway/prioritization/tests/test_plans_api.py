"""API: capacity plans and say-no."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from headway.backlog.models import Feature
from headway.prioritization.models import CapacityPlan, PlanScenario
from headway.prioritization.tests.plans_data import world

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def w(workspace, leader):
    return world(workspace, leader)


def post(client, path, body=None):
    return client.post(f"{API}{path}", data=json.dumps(body or {}), content_type="application/json")


def patch(client, path, body):
    return client.patch(f"{API}{path}", data=json.dumps(body), content_type="application/json")


def create(client, w, **body):
    body = {"period": "2027-Q1", "team_ids": [w.payments.pk, w.core.pk], **body}
    response = post(client, "/plans", body)
    assert response.status_code == 201, response.content
    plan = response.json()
    capacities = [{"team_id": w.payments.pk, "capacity": 16}, {"team_id": w.core.pk, "capacity": 8}]
    response = patch(client, f"/plans/{plan['id']}", {"capacities": capacities})
    assert response.status_code == 200, response.content
    return response.json()


def test_create_solve_scenario_compare_commit(w, api_client, leader, pm, viewer):
    client = api_client(pm)
    plan = create(client, w)
    assert (plan["name"], plan["period"], plan["state"], plan["status"], plan["goal"]) == (
        "2027-Q1 plan", "2027-Q1", "draft", None, "score"
    )  # fmt: skip
    assert plan["scoring_model_id"] == w.model.pk
    assert [e["ref"] for e in plan["excluded"]] == ["CORE-5"]
    assert [(t["name"], t["capacity"]) for t in plan["teams"]] == [("Core platform", 8.0), ("Payments", 16.0)]

    solved = post(client, f"/plans/{plan['id']}/solve")
    assert solved.status_code == 200, solved.content
    body = solved.json()
    assert (body["state"], body["status"], body["total_value"], body["value_over_greedy"]) == (
        "solved", "optimal", 1496.0, 46.0
    )  # fmt: skip
    assert [r["ref"] for r in body["chosen"]] == ["PAY-1", "PAY-2", "CORE-3", "CORE-4", "PAY-3"]
    assert [(r["ref"], r["reason"]) for r in body["below"]] == [
        ("CORE-2", "capacity"), ("PAY-4", "capacity"), ("PAY-5", "dependency"), ("CORE-1", "capacity")
    ]  # fmt: skip
    assert body["below"][2]["message"] == "PAY-5 depends on CORE-1, which is not in the plan."
    assert body["greedy"] == {"rule": "value", "value": 1450.0, "chosen": 6, "value_over_greedy": 46.0}
    assert [(t["name"], t["used"], t["percent"]) for t in body["teams"]] == [
        ("Core platform", 8.0, 100.0), ("Payments", 13.0, 81.2)
    ]  # fmt: skip

    scenario = post(
        client, f"/plans/{plan['id']}/scenarios",
        {"changes": [{"kind": "add_capacity", "team_id": w.core.pk, "amount": 4}]},
    )  # fmt: skip
    assert scenario.status_code == 201, scenario.content
    scenario = scenario.json()
    assert (scenario["name"], scenario["value_delta"], scenario["total_value"]) == (
        "Add 4 to Core platform", 230.0, 1726.0
    )  # fmt: skip
    assert [r["ref"] for r in scenario["added"]] == ["CORE-2", "PAY-5", "CORE-1"]
    assert scenario["changes"] == [{"kind": "add_capacity", "team": w.core.pk, "amount": 4.0}]

    compared = client.get(f"{API}/plans/{plan['id']}/compare", {"scenario": scenario["id"]})
    assert compared.status_code == 200, compared.content
    assert (compared.json()["value_delta"], compared.json()["other"]["kind"]) == (230.0, "scenario")
    assert client.get(f"{API}/plans/{plan['id']}/compare").status_code == 422

    # A PM may not commit; a leader may.
    assert post(client, f"/plans/{plan['id']}/commit").status_code == 403
    committed = post(api_client(leader), f"/plans/{plan['id']}/commit")
    assert committed.status_code == 200, committed.content
    assert committed.json()["state"] == "committed"
    assert Feature.objects.filter(target_release="2027-Q1").count() == 5

    # Everyone reads.
    reader = api_client(viewer)
    listed = reader.get(f"{API}/plans").json()
    assert (listed["count"], [p["name"] for p in listed["items"]]) == (1, ["2027-Q1 plan"])
    assert reader.get(f"{API}/plans/{plan['id']}").json()["scenarios"][0]["id"] == scenario["id"]
    assert post(reader, f"/plans/{plan['id']}/solve").status_code == 403

    assert client.delete(f"{API}/plan-scenarios/{scenario['id']}").status_code == 204
    assert PlanScenario.objects.count() == 0
    assert client.delete(f"{API}/plans/{plan['id']}").status_code == 204
    assert CapacityPlan.objects.count() == 0


def test_infeasible_plan_answers_200_with_reasons(w, api_client, leader):
    client = api_client(leader)
    plan = create(client, w, must_have_ids=w.ids("CORE-2", "CORE-3", "CORE-4"))
    body = post(client, f"/plans/{plan['id']}/solve").json()
    assert (body["status"], body["feasible"], body["chosen"]) == ("infeasible", False, [])
    assert body["reasons"] == ["Must-haves (with their dependencies) need 13 from Core platform, which has 8: 5 short."]
    response = post(client, f"/plans/{plan['id']}/commit")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_input_errors(w, api_client, leader):
    client = api_client(leader)
    response = post(client, "/plans", {"period": "soon", "team_ids": [w.payments.pk]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"period": [
        "Give a period such as 2027-Q1, 2027-H2, 2027, 2027-03 or a date range 2027-01-05..2027-02-20."
    ]}  # fmt: skip
    response = post(client, "/plans", {"period": "2027-Q1", "team_ids": [w.payments.pk], "scoring_model_id": 999999})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["scoring_model_id"]
    assert post(client, "/plans", {"period": "2027-Q1", "team_ids": []}).status_code == 422
    assert post(client, "/plans", {"period": "2027-Q1", "team_ids": ["1"]}).status_code == 422
    plan = create(client, w)
    response = post(client, f"/plans/{plan['id']}/scenarios", {"changes": [{"kind": "add_capacity", "team_id": 1}]})
    assert response.status_code == 422
    response = post(
        client,
        f"/plans/{plan['id']}/scenarios",
        {"changes": [{"kind": "add_capacity", "team_id": w.core.pk, "amount": 1}]},
    )
    assert response.status_code == 409  # not solved yet
    assert client.get(f"{API}/plans/999999").status_code == 404
    assert patch(client, f"/plans/{plan['id']}", {"name": "Renamed"}).json()["name"] == "Renamed"


def test_other_workspace_sees_nothing(w, api_client, outsider, other_workspace, leader):
    plan = create(api_client(leader), w)
    client = api_client(outsider, ws=other_workspace)
    assert client.get(f"{API}/plans/{plan['id']}").status_code == 404
    assert client.get(f"{API}/plans").json()["count"] == 0
    assert client.get(f"{API}/features/{w.f('PAY-4').pk}/say-no").status_code == 404


def test_say_no(w, api_client, leader, viewer):
    client = api_client(leader)
    plan = create(client, w)
    post(client, f"/plans/{plan['id']}/solve")
    response = api_client(viewer).get(f"{API}/features/{w.f('PAY-4').pk}/say-no")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == "PAY-4 Multi-currency"
    assert body["sentences"] == [
        "PAY-4 serves no objective of the current period.",
        "It ranks #4 of 5 under RICE (score 120).",
        "In plan '2027-Q1 plan' it is below the line: over capacity on Payments by 2 person-weeks.",
        "Taking it would displace PAY-3 (value 250) for value 120: a net loss of 130.",
    ]
    assert body["rank"]["position"] == 4
    assert body["displaces"]["net_value"] == -130.0
    from headway.ideas.models import Idea
    from headway.ideas.tests import factories as ideas

    idea = ideas.idea(leader, ideas.portal(leader, w.workspace), "Pay in euros")
    Idea.objects.filter(pk=idea.pk).update(feature=w.f("PAY-4"))
    response = api_client(viewer).get(f"{API}/ideas/{idea.pk}/say-no")
    assert response.status_code == 200, response.content
    assert response.json()["sentences"][:2] == ["'Pay in euros' is linked to PAY-4.", body["sentences"][0]]
    assert api_client(viewer).get(f"{API}/ideas/999999/say-no").status_code == 404
    # The backlog's /features/{id} still answers the feature itself.
    assert client.get(f"{API}/features/{w.f('PAY-4').pk}").json()["title"] == "Multi-currency"


def test_openapi_documents_the_operations():
    spec = Client().get(f"{API}/openapi.json").json()
    paths = spec["paths"]
    for path, methods in {
        "/api/v1/plans": {"get", "post"},
        "/api/v1/plans/{plan_id}": {"get", "patch", "delete"},
        "/api/v1/plans/{plan_id}/solve": {"post"},
        "/api/v1/plans/{plan_id}/scenarios": {"post"},
        "/api/v1/plan-scenarios/{scenario_id}": {"delete"},
        "/api/v1/plans/{plan_id}/compare": {"get"},
        "/api/v1/plans/{plan_id}/commit": {"post"},
        "/api/v1/features/{feature_id}/say-no": {"get"},
        "/api/v1/ideas/{idea_id}/say-no": {"get"},
    }.items():
        assert set(paths[path]) == methods
        for method in methods:
            assert {"401", "403", "404", "422"} <= set(paths[path][method]["responses"])

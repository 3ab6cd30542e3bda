"""Every strategy API operation: success, 401 without a token, 403 for a role that may not, 404 for
another workspace's object, 422 for bad input, 409 for a state in the way."""

import datetime as dt
import json

import pytest
from django.test import Client

from headway.core.models import AuditEvent
from headway.strategy import services
from headway.strategy.models import CheckIn, KeyResult, Objective, Vision
from headway.strategy.tests.conftest import Q2, YEAR

pytestmark = pytest.mark.django_db
API = "/api/v1"


def call(client, method, url, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"{API}{url}", **kwargs)


@pytest.fixture
def data(workspace, leader, pm, product, company, pm_objective):
    return {
        "company": company,
        "objective": pm_objective,
        "kr": pm_objective.key_results.get(),
        "initiative": services.initiative_create(
            actor=leader, workspace=workspace, title="Wallets", objectives=[pm_objective], products=[product]
        ),
        "vision": services.vision_create(actor=leader, workspace=workspace, statement="Paid in one click"),
        "product": product,
    }


@pytest.fixture
def foreign(other_workspace, outsider):
    objective = services.objective_create(actor=outsider, workspace=other_workspace, title="Theirs", **Q2)
    kr = services.key_result_create(actor=outsider, objective=objective, title="Secret", target_value=5)
    return {
        "objective": objective,
        "kr": kr,
        "initiative": services.initiative_create(actor=outsider, workspace=other_workspace, title="Their bet"),
        "vision": services.vision_create(actor=outsider, workspace=other_workspace, statement="Theirs"),
    }


def with_id(d):
    """(method, url, valid body) for every operation that names an object in its path."""
    o, kr, i, v = d["objective"].pk, d["kr"].pk, d["initiative"].pk, d["vision"].pk
    return [
        ("get", f"/objectives/{o}", None),
        ("patch", f"/objectives/{o}", {"title": "Renamed"}),
        ("post", f"/objectives/{o}/move", {"parent_id": None}),
        ("post", f"/objectives/{o}/archive", None),
        ("post", f"/objectives/{o}/restore", None),
        ("get", f"/objectives/{o}/check-ins", None),
        ("post", f"/objectives/{o}/check-ins", {"health": "at_risk"}),
        ("get", f"/key-results/{kr}", None),
        ("patch", f"/key-results/{kr}", {"current_value": 30}),
        ("delete", f"/key-results/{kr}", None),
        ("get", f"/initiatives/{i}", None),
        ("patch", f"/initiatives/{i}", {"title": "Renamed"}),
        ("post", f"/initiatives/{i}/archive", None),
        ("post", f"/initiatives/{i}/restore", None),
        ("get", f"/visions/{v}", None),
        ("patch", f"/visions/{v}", {"mission": "Changed"}),
        ("get", f"/visions/{v}/versions", None),
    ]


def operations(d):
    return [
        ("get", "/objectives", None),
        ("post", "/objectives", {"title": "New", "starts_on": "2026-07-01"}),
        ("get", "/key-results", None),
        ("post", "/key-results", {"objective_id": d["objective"].pk, "title": "NPS", "target_value": 50}),
        ("get", "/initiatives", None),
        ("post", "/initiatives", {"title": "New bet"}),
        ("get", "/visions", None),
        ("post", "/visions", {"product_id": d["product"].pk, "statement": "One click"}),
        *with_id(d),
    ]


def test_every_operation_needs_authentication(data):
    for method, url, body in operations(data):
        response = call(Client(), method, url, body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["code"] == "not_authenticated"


def test_every_operation_on_another_workspaces_object_is_not_found(api_client, leader, data, foreign):
    client = api_client(leader)
    for method, url, body in with_id(foreign):
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url, response.content)
        assert "Theirs" not in response.content.decode() and "Secret" not in response.content.decode()
    assert Objective.objects.get(pk=foreign["objective"].pk).title == "Theirs"
    assert KeyResult.objects.filter(pk=foreign["kr"].pk).exists()


def test_every_operation_succeeds_for_a_leader(api_client, leader, data):
    client = api_client(leader)
    for method, url, body in operations(data):
        response = call(client, method, url, body)
        assert response.status_code in (200, 201, 204), (method, url, response.content)


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_readers_read_and_cannot_write(api_client, member, data, role):
    client = api_client(member(role))
    before = (AuditEvent.objects.count(), Objective.objects.count(), CheckIn.objects.count())
    for method, url, body in operations(data):
        response = call(client, method, url, body)
        if method == "get":
            assert response.status_code == 200, (url, response.content)
        else:
            assert response.status_code == 403, (method, url, response.content)
            assert response.json()["error"]["code"] == "permission_denied"
    assert (AuditEvent.objects.count(), Objective.objects.count(), CheckIn.objects.count()) == before


# --- objectives -------------------------------------------------------------------------------


def test_objective_list_carries_progress_and_the_readable_period(api_client, viewer, data):
    response = call(api_client(viewer), "get", "/objectives?ordering=title")
    body = response.json()
    assert body["count"] == 2
    assert [(o["title"], o["period"], o["progress"], o["parent_id"]) for o in body["items"]] == [
        ("Effortless checkout", "Q2 2026", 0.0, data["company"].pk),
        ("Win EU SMB payments", "2026", 0.0, None),
    ]
    assert body["items"][0]["owner"] == {"id": data["objective"].owner_id, "email": "pm@example.com", "name": "Pat PM"}
    empty = call(api_client(viewer), "get", "/objectives?search=nothing-like-this").json()
    assert (empty["count"], empty["items"]) == (0, [])


def test_create_an_objective_with_a_period_that_ends_itself(api_client, leader, pm, data):
    client = api_client(leader)
    response = call(
        client,
        "post",
        "/objectives",
        {
            "title": "Grow Europe",
            "parent_id": data["company"].pk,
            "owner_id": pm.pk,
            "product_id": data["product"].pk,
            "period_kind": "half",
            "starts_on": "2026-07-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["ends_on"], body["period"], body["progress"], body["position"]) == ("2026-12-31", "H2 2026", None, 1)
    assert body["product_line_id"] is None


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"title": "x", "starts_on": "2026-07-01", "period_kind": "custom"}, "ends_on", 422),
        ({"title": "x", "starts_on": "2026-07-01", "ends_on": "2026-06-01", "period_kind": "custom"}, "ends_on", 422),
        ({"title": "x", "starts_on": "01/07/2026"}, "starts_on", 422),
        ({"title": "x", "starts_on": 1782864000}, "starts_on", 422),
        ({"title": "x", "starts_on": "2026-02-30"}, "starts_on", 422),
        ({"title": "", "starts_on": "2026-07-01"}, "title", 422),
        ({"title": "x", "starts_on": "2026-07-01", "weight": 101}, "weight", 422),
        ({"title": "x", "starts_on": "2026-07-01", "colour": "red"}, "colour", 422),
        ({"title": "x", "starts_on": "2026-07-01", "parent_id": 999_999}, "parent_id", 404),
        ({"title": "x", "starts_on": "2026-07-01", "owner_id": 999_999}, "owner_id", 404),
        ({"title": "x", "starts_on": "2026-07-01", "product_id": 999_999}, "product_id", 404),
    ],
)
def test_objective_create_errors_name_the_field(api_client, leader, data, body, field, status):
    response = call(api_client(leader), "post", "/objectives", body)
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert Objective.objects.count() == 2


def test_move_refuses_a_cycle_with_a_message_naming_it(api_client, leader, data):
    company, objective = data["company"], data["objective"]
    response = call(api_client(leader), "post", f"/objectives/{company.pk}/move", {"parent_id": objective.pk})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "parent_id: An objective cannot be its own ancestor: “Effortless checkout” is already under "
        "“Win EU SMB payments” (Win EU SMB payments › Effortless checkout), so “Win EU SMB payments” "
        "cannot go under it.",
        "fields": {
            "parent_id": [
                "An objective cannot be its own ancestor: “Effortless checkout” is already under "
                "“Win EU SMB payments” (Win EU SMB payments › Effortless checkout), so “Win EU SMB payments” "
                "cannot go under it."
            ]
        },
    }


def test_archive_conflicts_while_children_are_active(api_client, leader, data):
    response = call(api_client(leader), "post", f"/objectives/{data['company'].pk}/archive")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "“Win EU SMB payments” still has active child objectives (“Effortless checkout”). Move or archive them first."
    )
    archived = call(api_client(leader), "post", f"/objectives/{data['objective'].pk}/archive").json()
    assert archived["archived_at"] is not None and archived["progress"] == 0.0
    assert call(api_client(leader), "patch", f"/objectives/{data['objective'].pk}", {"title": "x"}).status_code == 409


def test_patch_leaves_out_fields_that_are_not_sent_and_clears_with_null(api_client, leader, data):
    client = api_client(leader)
    body = call(client, "patch", f"/objectives/{data['objective'].pk}", {"owner_id": None, "weight": 3}).json()
    assert (body["owner_id"], body["weight"], body["title"]) == (None, 3, "Effortless checkout")
    assert call(client, "patch", f"/objectives/{data['objective'].pk}", {"title": None}).status_code == 422


# --- check-ins and key results ----------------------------------------------------------------


def test_the_owning_pm_checks_in_with_values_and_progress_follows(api_client, pm, data):
    client = api_client(pm)
    kr = data["kr"]
    response = call(
        client,
        "post",
        f"/objectives/{data['objective'].pk}/check-ins",
        {
            "health": "at_risk",
            "comment": "Slower than hoped",
            "date": "2026-05-04",
            "values": [{"key_result_id": kr.pk, "value": "25.5"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["progress"], body["values"], body["date"], body["author"]["name"]) == (
        0.275,
        {str(kr.pk): "25.5"},
        "2026-05-04",
        "Pat PM",
    )
    objective = call(client, "get", f"/objectives/{data['objective'].pk}").json()
    assert (objective["status"], objective["progress"]) == ("at_risk", 0.275)
    listed = call(client, "get", f"/objectives/{data['objective'].pk}/check-ins").json()
    assert [(c["health"], c["comment"]) for c in listed["items"]] == [("at_risk", "Slower than hoped")]


def test_check_in_errors(api_client, pm, leader, data):
    client = api_client(pm)
    url = f"/objectives/{data['objective'].pk}/check-ins"
    kr = data["kr"].pk
    duplicate = call(client, "post", url, {"health": "on_track", "values": [{"key_result_id": kr, "value": 1}] * 2})
    assert (duplicate.status_code, duplicate.json()["error"]["fields"]) == (
        422,
        {"values": [f"Key result {kr} is listed twice."]},
    )
    bad_value = call(client, "post", url, {"health": "on_track", "values": [{"key_result_id": kr, "value": "1e3"}]})
    assert bad_value.status_code == 422
    assert call(client, "post", url, {"health": "done"}).status_code == 422
    other = call(client, "post", f"/objectives/{data['company'].pk}/check-ins", {"health": "on_track"})
    assert other.status_code == 403  # the PM does not own the company objective
    services.objective_update(actor=leader, objective=data["objective"], status="dropped")
    assert call(client, "post", url, {"health": "on_track"}).status_code == 409
    assert CheckIn.objects.count() == 0


def test_key_results_values_travel_as_decimal_strings(api_client, leader, pm, data):
    client = api_client(leader)
    response = call(
        client,
        "post",
        "/key-results",
        {
            "objective_id": data["company"].pk,
            "title": "Churn",
            "start_value": 8,
            "target_value": "4.25",
            "direction": "decrease",
            "unit": "%",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["start_value"], body["target_value"], body["current_value"], body["progress"]) == (
        "8",
        "4.25",
        "8",
        0.0,
    )
    # The owning PM may move a current value, not what is measured.
    pm_client = api_client(pm)
    kr = data["kr"].pk
    moved = call(pm_client, "patch", f"/key-results/{kr}", {"current_value": 30.00001})
    assert (moved.status_code, moved.json()["current_value"], moved.json()["progress"]) == (200, "30", 0.5)
    assert call(pm_client, "patch", f"/key-results/{kr}", {"target_value": 50}).status_code == 403
    wrong_side = call(client, "patch", f"/key-results/{kr}", {"target_value": 10})
    assert (wrong_side.status_code, wrong_side.json()["error"]["fields"]) == (
        422,
        {"target_value": ["To increase, the target must be above the start value (20)."]},
    )
    listed = call(client, "get", f"/key-results?objective_id={data['objective'].pk}").json()
    assert [(k["title"], k["current_value"]) for k in listed["items"]] == [("Conversion", "30")]
    assert call(client, "delete", f"/key-results/{kr}").status_code == 204
    assert not KeyResult.objects.filter(pk=kr).exists()


def test_key_result_for_a_foreign_objective_is_not_found(api_client, leader, data, foreign):
    response = call(
        api_client(leader),
        "post",
        "/key-results",
        {"objective_id": foreign["objective"].pk, "title": "x", "target_value": 1},
    )
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {
        "objective_id": [f"No objective {foreign['objective'].pk} in this workspace."]
    }


# --- initiatives and visions ------------------------------------------------------------------


def test_initiatives_with_links(api_client, leader, data):
    client = api_client(leader)
    response = call(
        client,
        "post",
        "/initiatives",
        {
            "title": "Fraud shield",
            "status": "active",
            "starts_on": "2026-04-01",
            "ends_on": "2026-09-30",
            "objective_ids": [data["company"].pk],
            "product_ids": [data["product"].pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["objective_ids"], body["product_ids"], body["ends_on"]) == (
        [data["company"].pk],
        [data["product"].pk],
        "2026-09-30",
    )
    patched = call(client, "patch", f"/initiatives/{body['id']}", {"objective_ids": []}).json()
    assert patched["objective_ids"] == []
    missing = call(client, "patch", f"/initiatives/{body['id']}", {"product_ids": [999_999]})
    assert (missing.status_code, missing.json()["error"]["fields"]) == (
        404,
        {"product_ids": ["No product 999999 in this workspace."]},
    )
    filtered = call(client, "get", f"/initiatives?objective_id={data['objective'].pk}").json()
    assert [i["title"] for i in filtered["items"]] == ["Wallets"]


def test_visions_one_each_with_versions(api_client, leader, data):
    client = api_client(leader)
    conflict = call(client, "post", "/visions", {"statement": "Another"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["message"] == "This workspace already has a vision. Edit it instead."
    vision = data["vision"].pk
    call(client, "patch", f"/visions/{vision}", {"statement": "Paid in one tap"})
    versions = call(client, "get", f"/visions/{vision}/versions").json()
    assert [(v["number"], v["statement"], v["author"]["name"]) for v in versions["items"]] == [
        (2, "Paid in one tap", "Lee Leader"),
        (1, "Paid in one click", "Lee Leader"),
    ]
    created = call(client, "post", "/visions", {"product_id": data["product"].pk, "mission": "Fast"})
    assert (created.status_code, created.json()["product_id"]) == (201, data["product"].pk)
    assert [v["product_id"] for v in call(client, "get", "/visions").json()["items"]] == [None, data["product"].pk]
    assert Vision.objects.count() == 2


def test_dates_come_back_as_iso_strings(api_client, leader, data):
    body = call(api_client(leader), "get", f"/objectives/{data['company'].pk}").json()
    assert (body["starts_on"], body["ends_on"], body["period_kind"]) == ("2026-01-01", "2026-12-31", "year")
    assert dt.date.fromisoformat(body["starts_on"]) == YEAR["starts_on"]

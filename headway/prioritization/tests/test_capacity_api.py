"""The teams API: list with capacity for a period, create/get/patch/archive, members, time off,
allocations, a team's capacity; errors naming the field, 403 below leader, 404 across workspaces."""

from __future__ import annotations

import json

import pytest

from headway.backlog.tests import factories as backlog
from headway.prioritization.models import Team, TeamAllocation, TeamMember, TimeOff
from headway.prioritization.services import capacity as services

pytestmark = pytest.mark.django_db
API = "/api/v1"
Q1 = "starts_on=2027-01-01&ends_on=2027-03-31"


def call(client, method, url, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"{API}{url}", **kwargs)


def error(response):
    return response.json()["error"]


@pytest.fixture
def data(leader, workspace):
    team = services.team_create(actor=leader, workspace=workspace, name="Payments", description="Checkout")
    ana = services.team_member_add(actor=leader, team=team, name="Ana")
    services.team_member_add(actor=leader, team=team, name="Bo", weekly_capacity="0.5")
    off = services.time_off_add(actor=leader, member=ana, starts_on="2027-02-01", ends_on="2027-02-05", note="Ski")
    product = backlog.product(leader, workspace)
    allocation = services.team_allocation_set(actor=leader, team=team, product=product, percent=60)
    growth = services.team_create(actor=leader, workspace=workspace, name="Growth")
    gone = services.team_create(actor=leader, workspace=workspace, name="Gone")
    services.team_archive(actor=leader, team=gone)
    return {
        "team": team,
        "ana": ana,
        "off": off,
        "product": product,
        "allocation": allocation,
        "growth": growth,
        "gone": gone,
    }


def test_list_teams_with_capacity(api_client, viewer, data):
    response = call(api_client(viewer), "get", f"/teams?{Q1}")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["pages"]) == (2, 1)
    assert [t["name"] for t in body["items"]] == ["Growth", "Payments"]
    payments = body["items"][1]
    assert set(payments) == {
        "id",
        "name",
        "description",
        "archived_at",
        "member_count",
        "allocated_percent",
        "allocations",
        "capacity",
        "created_at",
        "updated_at",
    }
    assert (payments["member_count"], payments["allocated_percent"]) == (2, 60)
    assert payments["allocations"] == [
        {
            "id": data["allocation"].pk,
            "team_id": data["team"].pk,
            "product_id": data["product"].pk,
            "initiative_id": None,
            "target": "Product PAY",
            "percent": 60,
        }
    ]
    assert payments["capacity"] == {
        "team_id": data["team"].pk,
        "starts_on": "2027-01-01",
        "ends_on": "2027-03-31",
        "working_days": 64,
        "total": 18.2,
        "days_off": 5,
        "members": [
            {"member_id": data["ana"].pk, "name": "Ana", "weekly": 1.0, "weeks": 11.8, "days_off": 5, "capacity": 11.8},
            {"member_id": payments["capacity"]["members"][1]["member_id"], "name": "Bo", "weekly": 0.5, "weeks": 12.8,
             "days_off": 0, "capacity": 6.4},
        ],
    }  # fmt: skip
    plain = call(api_client(viewer), "get", "/teams").json()
    assert [t["capacity"] for t in plain["items"]] == [None, None]
    archived = call(api_client(viewer), "get", "/teams?include_archived=true").json()
    assert [t["name"] for t in archived["items"]] == ["Gone", "Growth", "Payments"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("starts_on=2027-01-01", "ends_on"),
        ("ends_on=2027-01-01", "starts_on"),
        ("starts_on=2027-03-01&ends_on=2027-01-01", "ends_on"),
        ("starts_on=2020-01-01&ends_on=2027-01-01", "ends_on"),
    ],
)
def test_list_period_errors_name_the_field(api_client, viewer, data, query, field):
    response = call(api_client(viewer), "get", f"/teams?{query}")
    assert response.status_code == 422
    assert list(error(response)["fields"]) == [field]


def test_bad_date_is_422(api_client, viewer, data):
    response = call(api_client(viewer), "get", "/teams?starts_on=2027-13-01&ends_on=2027-12-31")
    assert response.status_code == 422


def test_create_get_patch_archive(api_client, leader, workspace):
    client = api_client(leader)
    response = call(client, "post", "/teams", {"name": "Mobile", "description": "iOS and Android"})
    assert response.status_code == 201
    team = response.json()
    assert (team["name"], team["description"], team["members"], team["capacity"]) == (
        "Mobile",
        "iOS and Android",
        [],
        None,
    )
    duplicate = call(client, "post", "/teams", {"name": "mobile"})
    assert duplicate.status_code == 409
    assert list(error(duplicate)["fields"]) == ["name"]
    patched = call(client, "patch", f"/teams/{team['id']}", {"name": "Mobile apps"})
    assert (patched.status_code, patched.json()["name"], patched.json()["description"]) == (
        200,
        "Mobile apps",
        "iOS and Android",
    )
    got = call(client, "get", f"/teams/{team['id']}?{Q1}")
    assert (got.status_code, got.json()["capacity"]["total"]) == (200, 0.0)
    assert call(client, "delete", f"/teams/{team['id']}").status_code == 204
    assert Team.objects.get(pk=team["id"]).archived_at is not None
    again = call(client, "patch", f"/teams/{team['id']}", {"name": "Back"})
    assert again.status_code == 409
    assert call(client, "get", f"/teams/{team['id']}").status_code == 200  # archived teams still answer


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 81}, {"name": 3}, {"name": "A", "extra": 1}],
)
def test_create_validation(api_client, leader, body):
    response = call(api_client(leader), "post", "/teams", body)
    assert response.status_code == 422
    assert Team.objects.count() == 0


def test_team_detail_members_and_time_off(api_client, viewer, data):
    body = call(api_client(viewer), "get", f"/teams/{data['team'].pk}").json()
    assert [(m["name"], m["weekly_capacity"], m["user_id"]) for m in body["members"]] == [
        ("Ana", "1.00", None),
        ("Bo", "0.50", None),
    ]
    assert body["members"][0]["time_off"] == [
        {
            "id": data["off"].pk,
            "member_id": data["ana"].pk,
            "starts_on": "2027-02-01",
            "ends_on": "2027-02-05",
            "note": "Ski",
            "working_days": 5,
        }
    ]


def test_team_capacity_endpoint(api_client, viewer, data):
    response = call(api_client(viewer), "get", f"/teams/{data['team'].pk}/capacity?{Q1}")
    assert response.status_code == 200
    assert (response.json()["total"], response.json()["working_days"]) == (18.2, 64)
    missing = call(api_client(viewer), "get", f"/teams/{data['team'].pk}/capacity?starts_on=2027-01-01")
    assert missing.status_code == 422


def test_members_add_patch_remove(api_client, leader, pm, data):
    client = api_client(leader)
    url = f"/teams/{data['team'].pk}/members"
    response = call(client, "post", url, {"user_id": pm.pk, "weekly_capacity": 0.8, "starts_on": "2027-02-01"})
    assert response.status_code == 201
    member = response.json()
    assert (member["name"], member["user_id"], member["weekly_capacity"], member["starts_on"], member["time_off"]) == (
        "Pat PM",
        pm.pk,
        "0.80",
        "2027-02-01",
        [],
    )
    named = call(client, "post", url, {"name": "Contractor", "weekly_capacity": "0.25"})
    assert (named.status_code, named.json()["weekly_capacity"]) == (201, "0.25")
    nameless = call(client, "post", url, {"weekly_capacity": 1})
    assert (nameless.status_code, list(error(nameless)["fields"])) == (422, ["name"])
    outsider_user = call(client, "post", url, {"user_id": 999_999})
    assert (outsider_user.status_code, list(error(outsider_user)["fields"])) == (404, ["user_id"])
    twice = call(client, "post", url, {"user_id": pm.pk})
    assert (twice.status_code, list(error(twice)["fields"])) == (409, ["user_id"])

    patched = call(client, "patch", f"/team-members/{member['id']}", {"weekly_capacity": "1.5", "starts_on": None})
    assert (patched.status_code, patched.json()["weekly_capacity"], patched.json()["starts_on"]) == (200, "1.50", None)
    bad = call(client, "patch", f"/team-members/{member['id']}", {"starts_on": "2027-05-01", "ends_on": "2027-04-01"})
    assert (bad.status_code, list(error(bad)["fields"])) == (422, ["ends_on"])
    assert call(client, "delete", f"/team-members/{member['id']}").status_code == 204
    assert not TeamMember.objects.filter(pk=member["id"]).exists()


@pytest.mark.parametrize("capacity", [-1, 1000.5, "abc", "1.234", True, None, 0.001])
def test_member_capacity_validation(api_client, leader, data, capacity):
    response = call(
        api_client(leader), "post", f"/teams/{data['team'].pk}/members", {"name": "X", "weekly_capacity": capacity}
    )
    assert response.status_code == 422
    assert TeamMember.objects.filter(name="X").count() == 0


def test_time_off_add_and_remove(api_client, leader, data):
    client = api_client(leader)
    url = f"/team-members/{data['ana'].pk}/time-off"
    response = call(client, "post", url, {"starts_on": "2027-03-01", "ends_on": "2027-03-03"})
    assert response.status_code == 201
    assert (response.json()["working_days"], response.json()["note"]) == (3, "")
    backwards = call(client, "post", url, {"starts_on": "2027-03-03", "ends_on": "2027-03-01"})
    assert (backwards.status_code, list(error(backwards)["fields"])) == (422, ["ends_on"])
    assert call(client, "delete", f"/time-off/{response.json()['id']}").status_code == 204
    assert TimeOff.objects.count() == 1


def test_allocations(api_client, leader, workspace, data):
    client = api_client(leader)
    url = f"/teams/{data['team'].pk}/allocations"
    initiative = backlog.initiative(workspace)
    over = call(client, "post", url, {"initiative_id": initiative.pk, "percent": 50})
    assert (over.status_code, list(error(over)["fields"])) == (422, ["percent"])
    ok = call(client, "post", url, {"initiative_id": initiative.pk, "percent": 40})
    assert ok.status_code == 200
    assert (ok.json()["target"], ok.json()["initiative_id"], ok.json()["product_id"]) == (
        "Self-serve onboarding",
        initiative.pk,
        None,
    )
    changed = call(client, "post", url, {"product_id": data["product"].pk, "percent": 10})
    assert (changed.status_code, changed.json()["id"], changed.json()["percent"]) == (200, data["allocation"].pk, 10)
    both = call(client, "post", url, {"product_id": data["product"].pk, "initiative_id": initiative.pk, "percent": 5})
    assert (both.status_code, list(error(both)["fields"])) == (422, ["product_id"])
    neither = call(client, "post", url, {"percent": 5})
    assert (neither.status_code, list(error(neither)["fields"])) == (422, ["product_id"])
    missing = call(client, "post", url, {"product_id": 999_999, "percent": 5})
    assert (missing.status_code, list(error(missing)["fields"])) == (404, ["product_id"])
    for percent in (0, 101, 2.5, "5", True):
        assert call(client, "post", url, {"product_id": data["product"].pk, "percent": percent}).status_code == 422
    assert call(client, "delete", f"/team-allocations/{ok.json()['id']}").status_code == 204
    assert TeamAllocation.objects.count() == 1


@pytest.mark.parametrize("role", ["viewer", "contributor", "pm"])
def test_writes_are_403_below_leader(api_client, member, data, role):
    client = api_client(member(role))
    team, ana = data["team"], data["ana"]
    attempts = [
        ("post", "/teams", {"name": "New"}),
        ("patch", f"/teams/{team.pk}", {"name": "New"}),
        ("delete", f"/teams/{team.pk}", None),
        ("post", f"/teams/{team.pk}/members", {"name": "New"}),
        ("patch", f"/team-members/{ana.pk}", {"weekly_capacity": 2}),
        ("delete", f"/team-members/{ana.pk}", None),
        ("post", f"/team-members/{ana.pk}/time-off", {"starts_on": "2027-01-04", "ends_on": "2027-01-05"}),
        ("delete", f"/time-off/{data['off'].pk}", None),
        ("post", f"/teams/{team.pk}/allocations", {"product_id": 999_999, "percent": 10}),
        ("delete", f"/team-allocations/{data['allocation'].pk}", None),
    ]
    for method, url, body in attempts:
        response = call(client, method, url, body)
        assert response.status_code == 403, (method, url, response.content)
    assert (
        Team.objects.count(),
        TeamMember.objects.count(),
        TimeOff.objects.count(),
        TeamAllocation.objects.count(),
    ) == (
        3,
        2,
        1,
        1,
    )
    assert call(client, "get", f"/teams/{team.pk}").status_code == 200


def test_other_workspace_gets_404(api_client, outsider, other_workspace, data):
    client = api_client(outsider, other_workspace)
    for method, url, body in [
        ("get", f"/teams/{data['team'].pk}", None),
        ("get", f"/teams/{data['team'].pk}/capacity?{Q1}", None),
        ("patch", f"/teams/{data['team'].pk}", {"name": "Mine"}),
        ("patch", f"/team-members/{data['ana'].pk}", {"weekly_capacity": 2}),
        ("delete", f"/time-off/{data['off'].pk}", None),
        ("delete", f"/team-allocations/{data['allocation'].pk}", None),
    ]:
        assert call(client, method, url, body).status_code == 404, url
    assert call(client, "get", "/teams").json()["count"] == 0

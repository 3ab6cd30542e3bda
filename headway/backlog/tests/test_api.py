"""Every backlog API operation: success, 401 without a token, 403 for a role that may not, 404 for
another workspace's object, 409 when the state is in the way, 422 for bad input."""

import json

import pytest
from django.test import Client

from headway.backlog import services
from headway.backlog.models import Feature, FeatureDependency, Requirement, SavedView, WorkflowStatus
from headway.backlog.tests import factories as f
from headway.core.models import AuditEvent

pytestmark = pytest.mark.django_db
API = "/api/v1"


def call(client, method, url, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"{API}{url}", **kwargs)


@pytest.fixture
def data(admin, pm, workspace):
    pay = f.product(admin, workspace, key="PAY", owner=pm)
    chk = f.product(admin, workspace, key="CHK")
    features = f.features(admin, pay, 3)
    statuses = {s.name: s for s in services.workflow_ensure_defaults(actor=admin, workspace=workspace)}
    requirement = services.requirement_add(actor=admin, feature=features[0], story="As a buyer I pay")
    dependency = services.dependency_add(actor=admin, blocker=features[0], blocked=features[1])
    comment = services.comment_add(actor=admin, feature=features[0], body="Nice")
    link = services.link_add(actor=admin, feature=features[0], url="https://example.com/spec")
    view = services.saved_view_create(actor=admin, workspace=workspace, name="Mine", filters={"product": pay.pk})
    return {
        "pay": pay, "chk": chk, "features": features, "statuses": statuses, "requirement": requirement,
        "dependency": dependency, "comment": comment, "link": link, "view": view,
    }  # fmt: skip


@pytest.fixture
def foreign(outsider, other_workspace):
    product = f.product(outsider, other_workspace, key="THR")
    features = f.features(outsider, product, 2)
    return {
        "features": features,
        "requirement": services.requirement_add(actor=outsider, feature=features[0], story="Theirs"),
        "dependency": services.dependency_add(actor=outsider, blocker=features[0], blocked=features[1]),
        "comment": services.comment_add(actor=outsider, feature=features[0], body="Theirs"),
        "link": services.link_add(actor=outsider, feature=features[0], url="https://globex.example/x"),
        "status": WorkflowStatus.objects.filter(workspace=other_workspace).first(),
        "view": services.saved_view_create(actor=outsider, workspace=other_workspace, name="V", filters={}),
    }


def operations(d):
    """(method, url, a valid body) for every operation with an id in its path, on ``d``'s objects."""
    feature, other = d["features"][0].pk, d["features"][1].pk
    status = d["statuses"]["Parked"].pk if "statuses" in d else d["status"].pk
    return [
        ("get", f"/features/{feature}", None),
        ("patch", f"/features/{feature}", {"title": "Renamed"}),
        ("post", f"/features/{other}/move", {"before": feature}),
        ("post", f"/features/{feature}/archive", None),
        ("post", f"/features/{feature}/restore", None),
        ("get", f"/features/{feature}/status-history", None),
        ("get", f"/features/{feature}/requirements", None),
        ("post", f"/features/{feature}/requirements", {"story": "As a PM I rank"}),
        ("patch", f"/requirements/{d['requirement'].pk}", {"done": True}),
        ("post", f"/requirements/{d['requirement'].pk}/move", {"position": 0}),
        ("get", f"/features/{feature}/dependencies", None),
        ("get", f"/features/{feature}/comments", None),
        ("post", f"/features/{feature}/comments", {"body": "Agreed"}),
        ("get", f"/features/{feature}/links", None),
        ("post", f"/features/{feature}/links", {"url": "https://example.com/design"}),
        ("patch", f"/workflow-statuses/{status}", {"name": "On ice"}),
        ("post", f"/workflow-statuses/{status}/move", {"position": 0}),
        ("patch", f"/saved-views/{d['view'].pk}", {"shared": True}),
        ("delete", f"/dependencies/{d['dependency'].pk}", None),
        ("delete", f"/links/{d['link'].pk}", None),
        ("delete", f"/requirements/{d['requirement'].pk}", None),
        ("delete", f"/saved-views/{d['view'].pk}", None),
    ]


LISTS = [
    ("get", "/features", None),
    ("get", "/workflow-statuses", None),
    ("get", "/backlog-settings", None),
    ("get", "/tags", None),
    ("get", "/saved-views", None),
]


def test_every_operation_needs_authentication(data):
    anonymous = Client()
    creates = [
        ("post", "/features", {"product_id": data["pay"].pk, "title": "X"}),
        ("post", "/features/bulk", {"feature_ids": [data["features"][0].pk], "owner_id": None}),
        ("post", "/workflow-statuses", {"name": "X", "category": "active"}),
        ("patch", "/backlog-settings", {"effort_unit": "points"}),
        ("post", "/saved-views", {"name": "X"}),
        ("delete", f"/comments/{data['comment'].pk}", None),
        ("delete", f"/workflow-statuses/{data['statuses']['Parked'].pk}", None),
        ("post", f"/features/{data['features'][0].pk}/dependencies", {"blocks": data["features"][2].pk}),
    ]
    for method, url, body in operations(data) + LISTS + creates:
        response = call(anonymous, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["code"] == "not_authenticated"


def test_every_operation_on_another_workspaces_object_is_not_found(api_client, admin, data, foreign):
    client = api_client(admin)
    before = (list(Feature.objects.filter(workspace=foreign["status"].workspace).values()), AuditEvent.objects.count())
    for method, url, body in [*operations(foreign), ("delete", f"/comments/{foreign['comment'].pk}", None)]:
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["error"]["code"] == "not_found"
    after = (list(Feature.objects.filter(workspace=foreign["status"].workspace).values()), AuditEvent.objects.count())
    assert after == before


def test_body_ids_of_another_workspace_are_not_found_naming_the_field(api_client, admin, data, foreign):
    client = api_client(admin)
    theirs = foreign["features"][0]
    cases = [
        ("post", "/features", {"product_id": theirs.product_id, "title": "X"}, "product_id", "No product"),
        ("post", "/features", {"product_id": data["pay"].pk, "title": "X", "status_id": foreign["status"].pk},
         "status_id", "No workflow status"),
        ("patch", f"/features/{data['features'][0].pk}", {"owner_id": foreign["comment"].author_id}, "owner_id",
         "User"),
        ("post", f"/features/{data['features'][0].pk}/move", {"after": theirs.pk}, "after", "No feature"),
        ("post", f"/features/{data['features'][0].pk}/dependencies", {"blocks": theirs.pk}, "blocks", "No feature"),
        ("post", "/features/bulk", {"feature_ids": [theirs.pk], "owner_id": None}, "feature_ids", "No feature"),
    ]  # fmt: skip
    for method, url, body, field, start in cases:
        response = call(client, method, url, body)
        assert response.status_code == 404, (url, body, response.content)
        error = response.json()["error"]
        assert list(error["fields"]) == [field], (url, error)
        assert error["fields"][field][0].startswith(start)
    assert Feature.objects.filter(title="X").count() == 0


# --- features ---------------------------------------------------------------------------------


def test_create_get_update_and_list(api_client, pm, data, workspace, contributor):
    client = api_client(pm)
    objective = f.objective(workspace)
    initiative = f.initiative(workspace)
    body = {
        "product_id": data["pay"].pk,
        "title": "Export invoices",
        "description": "As **CSV**",
        "objective_ids": [objective.pk],
        "initiative_id": initiative.pk,
        "owner_id": contributor.pk,
        "status_id": data["statuses"]["Ready"].pk,
        "effort": 2.5,
        "target_release": "2026.3",
        "tags": ["finance", "Finance", "export"],
    }
    response = call(client, "post", "/features", body)
    assert response.status_code == 201, response.content
    created = response.json()
    feature = Feature.objects.get(pk=created["id"])
    assert created == {
        "id": feature.pk,
        "ref": "PAY-4",
        "number": 4,
        "product_id": data["pay"].pk,
        "title": "Export invoices",
        "description": "As **CSV**",
        "component_id": None,
        "initiative_id": initiative.pk,
        "objective_ids": [objective.pk],
        "owner_id": contributor.pk,
        "owner": {"id": contributor.pk, "email": "contributor@example.com", "name": "Cory Contributor"},
        "status_id": data["statuses"]["Ready"].pk,
        "status": "Ready",
        "status_category": "not_started",
        "effort": "2.50",
        "target_release": "2026.3",
        "tags": ["export", "finance"],
        "rank": feature.rank,
        "archived_at": None,
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }
    assert call(client, "get", f"/features/{feature.pk}").json() == created
    patched = call(client, "patch", f"/features/{feature.pk}", {"effort": None, "tags": [], "owner_id": None}).json()
    assert (patched["effort"], patched["tags"], patched["owner"]) == (None, [], None)
    listed = call(client, "get", f"/features?product_id={data['pay'].pk}&page_size=2").json()
    assert ([i["ref"] for i in listed["items"]], listed["count"], listed["pages"]) == (["PAY-1", "PAY-2"], 4, 2)
    assert [i["ref"] for i in call(client, "get", "/features?search=export").json()["items"]] == ["PAY-4"]
    assert [i["ref"] for i in call(client, "get", "/features?category=not_started&owner_id=0").json()["items"]] == [
        "PAY-1", "PAY-2", "PAY-3", "PAY-4",
    ]  # fmt: skip
    assert call(client, "get", "/features?tag=nothing").json()["count"] == 0


def test_input_errors_are_422_naming_the_field(api_client, pm, data):
    client = api_client(pm)
    pay = data["pay"].pk
    cases = [
        ({"product_id": pay}, "title"),
        ({"product_id": pay, "title": "   "}, "title"),
        ({"product_id": pay, "title": "X", "effort": -1}, "effort"),
        ({"product_id": pay, "title": "X", "effort": "1.234"}, "effort"),
        ({"product_id": pay, "title": "X", "effort": True}, "effort"),
        ({"product_id": pay, "title": "X", "rank": "a"}, "rank"),
        ({"product_id": "1", "title": "X"}, "product_id"),
        ({"product_id": pay, "title": "X", "tags": ["x" * 41]}, "tags.0"),
    ]
    for body, field in cases:
        response = call(client, "post", "/features", body)
        assert response.status_code == 422, body
        assert field in response.json()["error"]["fields"], (body, response.json())
    feature = data["features"][0].pk
    assert call(client, "post", f"/features/{feature}/move", {}).status_code == 422
    assert call(client, "post", f"/features/{feature}/move", {"before": None}).status_code == 422
    assert call(client, "post", f"/features/{feature}/dependencies", {}).status_code == 422
    both = {"blocks": data["features"][1].pk, "blocked_by": data["features"][2].pk}
    assert call(client, "post", f"/features/{feature}/dependencies", both).status_code == 422
    assert call(client, "post", "/features/bulk", {"feature_ids": [feature]}).status_code == 422
    assert call(client, "post", "/features/bulk", {"feature_ids": [], "owner_id": None}).status_code == 422
    for url in ("javascript:alert(1)", "https://example.com/a{b}", "https://example.com/#a#b", "https://x"):
        assert call(client, "post", f"/features/{feature}/links", {"url": url}).status_code == 422, url
    both_tags = {"feature_ids": [feature], "add_tags": ["x"], "remove_tags": ["X"]}
    assert call(client, "post", "/features/bulk", both_tags).status_code == 409
    assert call(client, "get", "/features?ordering=rank;drop").status_code == 422
    assert call(client, "get", f"/features?product_id={2**64}").status_code == 422
    assert call(client, "get", f"/features/{2**64}").status_code == 404
    assert Feature.objects.count() == 3


def test_move_and_bulk(api_client, pm, data):
    client = api_client(pm)
    f1, f2, f3 = data["features"]
    moved = call(client, "post", f"/features/{f3.pk}/move", {"before": f1.pk})
    assert moved.status_code == 200
    assert [i["title"] for i in call(client, "get", "/features").json()["items"]] == ["F3", "F1", "F2"]
    assert call(client, "post", f"/features/{f3.pk}/move", {"after": f1.pk, "before": f2.pk}).status_code == 200
    assert [i["title"] for i in call(client, "get", "/features").json()["items"]] == ["F1", "F3", "F2"]
    response = call(client, "post", f"/features/{f1.pk}/move", {"before": f1.pk})
    assert (response.status_code, response.json()["error"]["fields"]) == (
        409, {"before": ["PAY-1 cannot be placed next to itself."]},
    )  # fmt: skip
    bulk = call(  # 2.0 is the integer 2 for JSON Schema
        client,
        "post",
        "/features/bulk",
        {"feature_ids": [float(f1.pk), f2.pk], "status_id": data["statuses"]["Parked"].pk, "add_tags": ["later"]},
    )
    assert (bulk.status_code, bulk.json()) == (200, {"updated": 2})
    assert sorted(Feature.objects.filter(status__name="Parked").values_list("title", flat=True)) == ["F1", "F2"]


def test_permissions(api_client, member, admin, data):
    foreign_product = data["chk"]
    theirs = f.feature(admin, foreign_product, "Not the PM's")
    pm_client = api_client(data["pay"].owner)
    assert call(pm_client, "patch", f"/features/{theirs.pk}", {"title": "Mine"}).status_code == 403
    assert call(pm_client, "post", "/features", {"product_id": foreign_product.pk, "title": "X"}).status_code == 403
    assert call(pm_client, "post", "/workflow-statuses", {"name": "X", "category": "active"}).status_code == 403
    for role in ("viewer", "contributor"):
        client = api_client(member(role))
        before = AuditEvent.objects.count()
        for method, url, body in operations(data):
            response = call(client, method, url, body)
            expected = 200 if method == "get" else 403
            if url.endswith("/comments") and method == "post" and role == "contributor":
                expected = 201
            if url.startswith("/saved-views"):
                expected = 404  # another person's private view is not there for them
            assert response.status_code == expected, (role, method, url, response.content)
        assert AuditEvent.objects.count() == before + (1 if role == "contributor" else 0)  # the comment


def test_conflicts_are_409(api_client, admin, data):
    client = api_client(admin)
    f1, f2, _ = data["features"]
    response = call(client, "post", f"/features/{f2.pk}/dependencies", {"blocks": f1.pk})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "That would make a cycle: PAY-2 → PAY-1 → PAY-2. A feature cannot wait, even indirectly, on itself."
    )
    assert call(client, "post", f"/features/{f2.pk}/dependencies", {"blocked_by": f1.pk}).status_code == 409
    assert call(client, "post", "/saved-views", {"name": "MINE"}).status_code == 409
    response = call(client, "post", "/workflow-statuses", {"name": "parked", "category": "closed"})
    assert response.json()["error"]["fields"] == {"name": ["The workflow already has a status named “Parked”."]}
    assert call(client, "delete", f"/workflow-statuses/{data['statuses']['New'].pk}").status_code == 409
    call(client, "post", f"/features/{f1.pk}/archive")
    assert call(client, "patch", f"/features/{f1.pk}", {"title": "X"}).status_code == 409
    assert FeatureDependency.objects.count() == 1


def test_sub_resources(api_client, admin, data, contributor):
    client = api_client(admin)
    feature = data["features"][0]
    added = call(client, "post", f"/features/{feature.pk}/requirements", {"story": "As finance I export", "done": True})
    assert added.status_code == 201
    assert [r["story"] for r in call(client, "get", f"/features/{feature.pk}/requirements").json()] == [
        "As a buyer I pay", "As finance I export",
    ]  # fmt: skip
    moved = call(client, "post", f"/requirements/{added.json()['id']}/move", {"position": 0})
    assert moved.json()["position"] == 0
    assert call(client, "delete", f"/requirements/{data['requirement'].pk}").status_code == 204
    assert list(Requirement.objects.values_list("story", flat=True)) == ["As finance I export"]
    deps = call(client, "get", f"/features/{data['features'][1].pk}/dependencies").json()
    assert deps == {
        "blocked_by": [
            {
                "id": data["dependency"].pk,
                "blocker_id": feature.pk,
                "blocker_ref": "PAY-1",
                "blocked_id": data["features"][1].pk,
                "blocked_ref": "PAY-2",
                "created_at": deps["blocked_by"][0]["created_at"],
            }
        ],
        "blocks": [],
    }
    other_client = api_client(contributor)
    assert call(other_client, "delete", f"/comments/{data['comment'].pk}").status_code == 403
    assert call(client, "delete", f"/comments/{data['comment'].pk}").status_code == 204
    link = call(client, "post", f"/features/{feature.pk}/links", {"url": "https://example.com/d", "title": "Design"})
    assert (link.status_code, link.json()["title"]) == (201, "Design")
    assert [x["url"] for x in call(client, "get", f"/features/{feature.pk}/links").json()] == [
        "https://example.com/spec", "https://example.com/d",
    ]  # fmt: skip
    history = call(client, "get", f"/features/{feature.pk}/status-history").json()
    assert [(h["from_status"], h["to_status"], h["to_category"]) for h in history] == [(None, "New", "not_started")]


def test_workflow_settings_tags_and_views(api_client, leader, data):
    client = api_client(leader)
    statuses = call(client, "get", "/workflow-statuses").json()
    assert [(s["name"], s["category"], s["is_default"]) for s in statuses][:2] == [
        ("New", "not_started", True), ("Discovery", "not_started", False),
    ]  # fmt: skip
    review = call(client, "post", "/workflow-statuses", {"name": "In review", "category": "active"}).json()
    assert call(client, "patch", f"/workflow-statuses/{review['id']}", {"is_default": True}).json()["is_default"]
    assert call(client, "patch", f"/workflow-statuses/{review['id']}", {"is_default": False}).status_code == 422
    assert call(client, "post", f"/workflow-statuses/{review['id']}/move", {"position": 4}).json()["position"] == 4
    call(client, "patch", f"/workflow-statuses/{data['statuses']['New'].pk}", {"is_default": True})
    assert call(client, "delete", f"/workflow-statuses/{review['id']}").status_code == 204
    assert call(client, "patch", "/backlog-settings", {"effort_unit": "person_weeks"}).json() == {
        "effort_unit": "person_weeks"
    }
    assert call(client, "get", "/backlog-settings").json() == {"effort_unit": "person_weeks"}
    services.feature_update(actor=leader, feature=data["features"][0], tags=["finance", "Mobile"])
    assert [t["name"] for t in call(client, "get", "/tags").json()] == ["finance", "Mobile"]
    created = call(
        client, "post", "/saved-views", {"name": "Team", "filters": {"owner": 0, "search": "csv"}, "shared": True}
    )
    assert created.status_code == 201
    assert created.json()["filters"] == {
        "product": None, "initiative": None, "objective": None, "owner": 0, "status": None, "category": None,
        "tag": None, "search": "csv", "include_archived": None,
    }  # fmt: skip
    assert [v["name"] for v in call(client, "get", "/saved-views").json()] == ["Team"]
    bad = call(client, "post", "/saved-views", {"name": "X", "filters": {"colour": "red"}})
    assert bad.status_code == 422
    assert SavedView.objects.filter(name="X").count() == 0

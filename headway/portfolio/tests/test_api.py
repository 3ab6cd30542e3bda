"""Every portfolio API operation: success, 401 without a token, 403 for a role that may not,
404 for another workspace's object, 422 for bad input (unknown fields, wrong types)."""

import json

import pytest
from django.test import Client

from headway.core.models import AuditEvent
from headway.portfolio.models import Component, Product, ProductLine
from headway.portfolio.tests.factories import ComponentFactory, ProductFactory, ProductLineFactory

API = "/api/v1"


def call(client, method, url, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"{API}{url}", **kwargs)


@pytest.fixture
def data(workspace, pm):
    line = ProductLineFactory(workspace=workspace, name="Payments", description="Money")
    other_line = ProductLineFactory(workspace=workspace, name="Analytics")
    product = ProductFactory(product_line=line, name="Checkout", key="CHK", owner=pm, stage="growth")
    second = ProductFactory(product_line=line, name="Payouts", key="PAY")
    component = ComponentFactory(product=product, name="Web")
    ComponentFactory(product=product, name="Mobile")
    return {"line": line, "other_line": other_line, "product": product, "second": second, "component": component}


@pytest.fixture
def foreign(other_workspace):
    line = ProductLineFactory(workspace=other_workspace, name="Elsewhere")
    product = ProductFactory(product_line=line, name="Theirs", key="THR")
    return {"line": line, "product": product, "component": ComponentFactory(product=product, name="Secret")}


def operations(d):
    """(method, url, a valid body) for every operation, on objects of the data fixture."""
    line, product, component = d["line"].pk, d["product"].pk, d["component"].pk
    empty_line = d.get("other_line", d["line"]).pk  # a line with products is not archived
    return [
        ("get", "/product-lines", None),
        ("get", f"/product-lines/{line}", None),
        ("post", "/product-lines", {"name": "Platform"}),
        ("patch", f"/product-lines/{line}", {"name": "Payments 2"}),
        ("post", f"/product-lines/{empty_line}/archive", None),
        ("post", f"/product-lines/{empty_line}/restore", None),
        ("post", f"/product-lines/{line}/move", {"position": 1}),
        ("get", "/products", None),
        ("get", f"/products/{product}", None),
        ("post", "/products", {"product_line_id": line, "name": "Invoicing", "key": "INV"}),
        ("patch", f"/products/{product}", {"stage": "mature"}),
        ("post", f"/products/{product}/archive", None),
        ("post", f"/products/{product}/restore", None),
        ("post", f"/products/{product}/move", {"position": 1}),
        ("get", "/components", None),
        ("get", f"/components/{component}", None),
        ("post", "/components", {"product_id": product, "name": "API"}),
        ("patch", f"/components/{component}", {"name": "Web app"}),
        ("post", f"/components/{component}/archive", None),
        ("post", f"/components/{component}/restore", None),
        ("post", f"/components/{component}/move", {"position": 1}),
    ]


# --- authentication and isolation, for every operation -----------------------------------------


def test_every_operation_needs_authentication(data):
    anonymous = Client()
    for method, url, body in operations(data):
        response = call(anonymous, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["code"] == "not_authenticated"


def test_every_operation_on_another_workspaces_object_is_not_found(api_client, leader, data, foreign):
    client = api_client(leader)
    for method, url, body in operations(foreign):
        if url in ("/product-lines", "/products", "/components"):
            continue  # lists and creates: see the tests below
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json()["error"]["code"] == "not_found"
    foreign["line"].refresh_from_db()
    assert (foreign["line"].name, foreign["line"].archived_at) == ("Elsewhere", None)


def test_a_token_acts_only_in_its_own_workspace(api_client, outsider, data):
    client = api_client(outsider, ws=data["line"].workspace.__class__.objects.get(slug="globex"))
    assert call(client, "get", "/products").json()["count"] == 0
    assert call(client, "get", f"/products/{data['product'].pk}").status_code == 404


def test_creating_in_another_workspaces_parent_is_not_found_naming_the_field(api_client, leader, data, foreign):
    client = api_client(leader)
    response = call(client, "post", "/products", {"product_line_id": foreign["line"].pk, "name": "X", "key": "XX"})
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": f"product_line_id: No product line {foreign['line'].pk} in this workspace.",
        "fields": {"product_line_id": [f"No product line {foreign['line'].pk} in this workspace."]},
    }
    response = call(client, "post", "/components", {"product_id": foreign["product"].pk, "name": "X"})
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {
        "product_id": [f"No product {foreign['product'].pk} in this workspace."]
    }
    assert Product.objects.filter(name="X").count() == 0


# --- permissions ------------------------------------------------------------------------------


WRITES = {"post", "patch"}


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_readers_may_read_but_not_write(api_client, member, data, role):
    client = api_client(member(role))
    before = AuditEvent.objects.count()
    for method, url, body in operations(data):
        response = call(client, method, url, body)
        expected = 403 if method in WRITES else 200
        assert response.status_code == expected, (method, url, response.content)
        if expected == 403:
            assert response.json()["error"]["code"] == "permission_denied"
    assert AuditEvent.objects.count() == before


def test_pm_edits_own_product_and_its_components_only(api_client, pm, data):
    client = api_client(pm)
    product, second, component = data["product"], data["second"], data["component"]
    assert call(client, "patch", f"/products/{product.pk}", {"stage": "mature"}).status_code == 200
    assert call(client, "post", "/components", {"product_id": product.pk, "name": "API"}).status_code == 201
    assert call(client, "post", f"/components/{component.pk}/move", {"position": 2}).status_code == 200
    assert call(client, "post", f"/components/{component.pk}/archive").status_code == 200
    assert call(client, "post", f"/components/{component.pk}/restore").status_code == 200

    denied = [
        ("patch", f"/products/{second.pk}", {"name": "Mine now"}),
        ("post", "/components", {"product_id": second.pk, "name": "API"}),
        ("patch", f"/products/{product.pk}", {"owner_id": None}),
        ("post", "/products", {"product_line_id": data["line"].pk, "name": "New", "key": "NEW"}),
        ("post", f"/products/{product.pk}/archive", None),
        ("post", f"/products/{product.pk}/move", {"position": 1}),
        ("post", "/product-lines", {"name": "Mine"}),
        ("patch", f"/product-lines/{data['line'].pk}", {"name": "Mine"}),
    ]
    for method, url, body in denied:
        response = call(client, method, url, body)
        assert response.status_code == 403, (method, url)
    second.refresh_from_db()
    assert second.name == "Payouts"


def test_leader_may_do_everything(api_client, leader, data):
    client = api_client(leader)
    for method, url, body in operations(data):
        response = call(client, method, url, body)
        assert response.status_code in (200, 201), (method, url, response.content)


# --- product lines ----------------------------------------------------------------------------


def test_product_line_create_get_list(api_client, leader, workspace, data):
    client = api_client(leader)
    response = call(client, "post", "/product-lines", {"name": "Platform", "description": "Shared services"})
    assert response.status_code == 201
    body = response.json()
    line = ProductLine.objects.get(name="Platform")
    assert body == {
        "id": line.pk,
        "name": "Platform",
        "description": "Shared services",
        "position": 2,
        "archived_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert call(client, "get", f"/product-lines/{line.pk}").json() == body
    listing = call(client, "get", "/product-lines?ordering=name&page_size=2").json()
    assert [item["name"] for item in listing["items"]] == ["Analytics", "Payments"]
    assert (listing["count"], listing["page"], listing["page_size"], listing["pages"]) == (3, 1, 2, 2)
    assert [i["name"] for i in call(client, "get", "/product-lines?search=pay").json()["items"]] == ["Payments"]


def test_product_line_patch_archive_restore_move(api_client, leader, data):
    client = api_client(leader)
    line, other = data["line"], data["other_line"]
    response = call(client, "patch", f"/product-lines/{line.pk}", {"description": "Moving money"})
    assert (response.status_code, response.json()["name"], response.json()["description"]) == (
        200,
        "Payments",
        "Moving money",
    )
    response = call(client, "post", f"/product-lines/{other.pk}/archive")
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    assert [i["name"] for i in call(client, "get", "/product-lines").json()["items"]] == ["Payments"]
    archived = call(client, "get", "/product-lines?include_archived=true").json()["items"]
    assert [i["name"] for i in archived] == ["Payments", "Analytics"]
    assert call(client, "post", f"/product-lines/{other.pk}/restore").json()["archived_at"] is None
    response = call(client, "post", f"/product-lines/{other.pk}/move", {"position": 0})
    assert response.json()["position"] == 0
    assert [i["name"] for i in call(client, "get", "/product-lines").json()["items"]] == ["Analytics", "Payments"]


def test_archiving_a_line_with_products_is_a_conflict(api_client, leader, data):
    response = call(api_client(leader), "post", f"/product-lines/{data['line'].pk}/archive")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "“Payments” still has active products (CHK, PAY). "
        "Move them to another product line or archive them first.",
        "fields": {
            "__all__": [
                "“Payments” still has active products (CHK, PAY). "
                "Move them to another product line or archive them first."
            ]
        },
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "color": "red"}, "color"),
        ({"name": 5}, "name"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"description": "no name"}, "name"),
    ],
)
def test_product_line_create_validation(api_client, leader, data, body, field):
    response = call(api_client(leader), "post", "/product-lines", body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == [field]
    assert ProductLine.objects.count() == 2


def test_product_line_duplicate_name_is_a_conflict(api_client, leader, data):
    response = call(api_client(leader), "post", "/product-lines", {"name": "payments"})
    assert response.status_code == 409
    assert ProductLine.objects.count() == 2
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "name: A product line named “Payments” already exists in this workspace.",
        "fields": {"name": ["A product line named “Payments” already exists in this workspace."]},
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"position": True}, "position"),
        ({"position": "1"}, "position"),
        ({"position": 1.5}, "position"),
        ({"position": -1}, "position"),
        ({}, "position"),
        ({"position": 1, "extra": 1}, "extra"),
    ],
)
def test_move_rejects_wrong_types(api_client, leader, data, body, field):
    line = data["line"]
    response = call(api_client(leader), "post", f"/product-lines/{line.pk}/move", body)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == [field]
    line.refresh_from_db()
    assert line.position == 0


def test_patch_with_null_or_unknown_field_is_refused(api_client, leader, data):
    client = api_client(leader)
    line = data["line"]
    for body, field in [({"name": None}, "name"), ({"position": 3}, "position"), ({"description": 1}, "description")]:
        response = call(client, "patch", f"/product-lines/{line.pk}", body)
        assert response.status_code == 422, body
        assert list(response.json()["error"]["fields"]) == [field]


# --- products ---------------------------------------------------------------------------------


def test_product_create_and_get(api_client, leader, pm, data):
    client = api_client(leader)
    response = call(
        client,
        "post",
        "/products",
        {
            "product_line_id": data["line"].pk,
            "name": "Invoicing",
            "key": "inv",
            "owner_id": pm.pk,
            "stage": "development",
            "description": "Send invoices",
            "target_customers": "SMB",
        },
    )
    assert response.status_code == 201
    body = response.json()
    product = Product.objects.get(key="INV")
    assert body == {
        "id": product.pk,
        "product_line_id": data["line"].pk,
        "key": "INV",
        "name": "Invoicing",
        "description": "Send invoices",
        "owner_id": pm.pk,
        "owner": {"id": pm.pk, "email": "pm@example.com", "name": "Pat PM"},
        "stage": "development",
        "target_customers": "SMB",
        "position": 2,
        "archived_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert call(client, "get", f"/products/{product.pk}").json() == body


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"key": "1AB"}, "key", "Use 2 to 10 capital letters or digits, starting with a letter (e.g. PAY)."),
        ({"key": "CHK "}, "key", "Use 2 to 10 capital letters or digits, starting with a letter (e.g. PAY)."),
        ({"stage": "beta"}, "stage", None),
        ({"owner_id": "1"}, "owner_id", "Input should be a valid integer"),
        ({"owner_id": 1.5}, "owner_id", "Input should be a valid integer"),
        ({"product_line_id": True}, "product_line_id", "Input should be a valid integer"),
        ({"position": 0}, "position", "Extra inputs are not permitted"),
    ],
)
def test_product_create_validation(api_client, leader, data, body, field, message):
    payload = {"product_line_id": data["line"].pk, "name": "Invoicing", "key": "INV", **body}
    response = call(api_client(leader), "post", "/products", payload)
    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert list(fields) == [field]
    if message:
        assert fields[field] == [message]
    assert Product.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status", "code", "field", "message"),
    [
        ({"key": "chk"}, 409, "conflict", "key", "The key CHK is already used by “CHK Checkout”."),
        (
            {"name": "checkout"},
            409,
            "conflict",
            "name",
            "A product named “CHK Checkout” already exists in this workspace.",
        ),
        ({"owner_id": 999999}, 404, "not_found", "owner_id", "User 999999 is not a member of this workspace."),
        ({"product_line_id": 999999}, 404, "not_found", "product_line_id", "No product line 999999 in this workspace."),
    ],
)
def test_product_create_conflicts_and_missing_references(api_client, leader, data, body, status, code, field, message):
    payload = {"product_line_id": data["line"].pk, "name": "Invoicing", "key": "INV", **body}
    response = call(api_client(leader), "post", "/products", payload)
    assert response.status_code == status, response.content
    assert response.json()["error"] == {"code": code, "message": f"{field}: {message}", "fields": {field: [message]}}
    assert Product.objects.count() == 2


def test_product_key_is_taken_in_any_case_and_integral_floats_are_integers(api_client, leader, data):
    payload = {"product_line_id": float(data["line"].pk), "name": "Invoicing", "key": "inv", "stage": "growth"}
    response = call(api_client(leader), "post", "/products", payload)
    assert response.status_code == 201, response.content
    assert (response.json()["key"], response.json()["product_line_id"]) == ("INV", data["line"].pk)


def test_product_owner_must_manage_products(api_client, leader, member, data):
    viewer = member("viewer", full_name="Vera View")
    payload = {"product_line_id": data["line"].pk, "name": "Invoicing", "key": "INV", "owner_id": viewer.pk}
    response = call(api_client(leader), "post", "/products", payload)
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "owner_id: Vera View is a viewer; a product owner must be a product manager, product leader or "
        "admin.",
        "fields": {
            "owner_id": ["Vera View is a viewer; a product owner must be a product manager, product leader or admin."]
        },
    }


def test_product_patch_changes_only_sent_fields(api_client, leader, pm, data):
    product = data["product"]
    response = call(api_client(leader), "patch", f"/products/{product.pk}", {"stage": "sunset", "owner_id": None})
    assert response.status_code == 200
    assert (response.json()["stage"], response.json()["owner"], response.json()["name"]) == ("sunset", None, "Checkout")
    event = AuditEvent.objects.filter(action="product.update").get()
    assert event.changes == {"owner": ["Pat PM", None], "stage": ["growth", "sunset"]}


def test_product_list_filters_ordering_and_pagination(api_client, viewer, pm, data):
    client = api_client(viewer)
    ProductFactory(product_line=data["other_line"], name="Dashboards", key="DSH", stage="growth")

    def keys(query=""):
        return [item["key"] for item in call(client, "get", f"/products{query}").json()["items"]]

    assert keys() == ["CHK", "PAY", "DSH"]
    assert keys("?stage=growth") == ["CHK", "DSH"]
    assert keys(f"?owner_id={pm.pk}") == ["CHK"]
    assert keys(f"?product_line_id={data['other_line'].pk}") == ["DSH"]
    assert keys("?search=pay") == ["PAY"]
    assert keys("?ordering=-name") == ["PAY", "DSH", "CHK"]
    assert keys("?ordering=key&page=2&page_size=2") == ["PAY"]
    huge = 2**64
    for bad in (
        "?ordering=owner",
        "?stage=beta",
        "?page=0",
        f"?page={huge}",
        "?page_size=201",
        "?include_archived=maybe",
        f"?owner_id={huge}",
        f"?product_line_id={huge}",
    ):
        response = call(client, "get", f"/products{bad}")
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "validation_error"


def test_product_archive_restore_move(api_client, leader, data):
    client = api_client(leader)
    product, other = data["product"], data["other_line"]
    assert call(client, "post", f"/products/{product.pk}/archive").json()["archived_at"] is not None
    assert [i["key"] for i in call(client, "get", "/products").json()["items"]] == ["PAY"]
    assert call(client, "post", f"/products/{product.pk}/move", {"position": 0}).status_code == 409
    restored = call(client, "post", f"/products/{product.pk}/restore").json()
    assert (restored["archived_at"], restored["position"]) == (None, 1)
    moved = call(client, "post", f"/products/{product.pk}/move", {"position": 5, "product_line_id": other.pk})
    assert (moved.json()["product_line_id"], moved.json()["position"]) == (other.pk, 0)


def test_product_move_to_unknown_line_is_not_found_naming_the_field(api_client, leader, data):
    response = call(
        api_client(leader), "post", f"/products/{data['product'].pk}/move", {"position": 0, "product_line_id": 999999}
    )
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {"product_line_id": ["No product line 999999 in this workspace."]}


# --- components -------------------------------------------------------------------------------


def test_component_crud(api_client, pm, data):
    client = api_client(pm)
    product = data["product"]
    response = call(client, "post", "/components", {"product_id": product.pk, "name": "Public API"})
    assert response.status_code == 201
    component = Component.objects.get(name="Public API")
    assert response.json() == {
        "id": component.pk,
        "product_id": product.pk,
        "name": "Public API",
        "description": "",
        "position": 2,
        "archived_at": None,
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    patched = call(client, "patch", f"/components/{component.pk}", {"description": "REST and webhooks"}).json()
    assert (patched["name"], patched["description"]) == ("Public API", "REST and webhooks")
    listing = call(client, "get", f"/components?product_id={product.pk}&ordering=name").json()
    assert [i["name"] for i in listing["items"]] == ["Mobile", "Public API", "Web"]
    assert call(client, "post", f"/components/{component.pk}/move", {"position": 0}).json()["position"] == 0
    assert [i["name"] for i in call(client, "get", "/components").json()["items"]] == ["Public API", "Web", "Mobile"]


def test_component_validation(api_client, pm, data):
    client = api_client(pm)
    product = data["product"]
    cases = [
        ({"product_id": product.pk, "name": "X", "position": 1}, "position"),
        ({"product_id": str(product.pk), "name": "X"}, "product_id"),
        ({"product_id": product.pk}, "name"),
    ]
    for body, field in cases:
        response = call(client, "post", "/components", body)
        assert response.status_code == 422, body
        assert list(response.json()["error"]["fields"]) == [field], body
    response = call(client, "post", "/components", {"product_id": product.pk, "name": "web"})
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"name": ["This product already has a component named “Web”."]}
    assert Component.objects.count() == 2


def test_component_move_to_another_product(api_client, leader, data):
    component, second = data["component"], data["second"]
    response = call(
        api_client(leader), "post", f"/components/{component.pk}/move", {"position": 0, "product_id": second.pk}
    )
    assert (response.json()["product_id"], response.json()["position"]) == (second.pk, 0)


def test_there_is_no_delete(api_client, leader, data):
    client = api_client(leader)
    for url in (
        f"/product-lines/{data['line'].pk}",
        f"/products/{data['product'].pk}",
        f"/components/{data['component'].pk}",
    ):
        assert call(client, "delete", url).status_code == 405
    assert (ProductLine.objects.count(), Product.objects.count(), Component.objects.count()) == (2, 2, 2)


def test_openapi_documents_every_portfolio_operation_with_errors(client):
    schema = client.get(f"{API}/openapi.json").json()
    ops = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if "portfolio" in op.get("tags", [])
    ]
    assert len(ops) == 21
    for path, method, op in ops:
        assert {"401", "403", "404", "422"} <= set(op["responses"]), (path, method)

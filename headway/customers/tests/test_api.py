import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from headway.core.models import AuditEvent
from headway.customers.models import Company, Contact
from headway.customers.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def error(response):
    return response.json()["error"]


@pytest.fixture
def acme(workspace):
    return CompanyFactory(
        workspace=workspace,
        name="Acme",
        domain="acme.com",
        segment="enterprise",
        tier="key",
        arr=Decimal("1200.50"),
        currency="EUR",
        health="healthy",
    )


@pytest.fixture
def foreign(other_workspace):
    return CompanyFactory(workspace=other_workspace, name="Initech")


# --- companies: list ------------------------------------------------------------------------


class TestCompanyList:
    def test_lists_with_exact_shape(self, api_client, viewer, acme):
        response = api_client(viewer).get("/api/v1/companies")
        assert response.status_code == 200
        body = response.json()
        assert {k: body[k] for k in ("count", "page", "page_size", "pages")} == {
            "count": 1,
            "page": 1,
            "page_size": 50,
            "pages": 1,
        }
        [item] = body["items"]
        assert set(item) == {
            "id",
            "name",
            "domain",
            "segment",
            "tier",
            "arr",
            "currency",
            "health",
            "archived",
            "created_at",
            "updated_at",
        }
        assert {k: item[k] for k in ("id", "name", "domain", "segment", "tier", "arr", "currency", "health")} == {
            "id": acme.pk,
            "name": "Acme",
            "domain": "acme.com",
            "segment": "enterprise",
            "tier": "key",
            "arr": "1200.50",
            "currency": "EUR",
            "health": "healthy",
        }
        assert item["archived"] is False

    def test_filters_ordering_and_paging(self, api_client, viewer, workspace):
        for i, (health, arr) in enumerate([("healthy", 5), ("at_risk", 50), ("healthy", 500), ("churned", 7)]):
            CompanyFactory(workspace=workspace, name=f"Co {i}", health=health, arr=Decimal(arr))
        client = api_client(viewer)
        body = client.get("/api/v1/companies?health=healthy&ordering=-arr").json()
        assert [c["name"] for c in body["items"]] == ["Co 2", "Co 0"]
        body = client.get("/api/v1/companies?ordering=arr&page=2&page_size=3").json()
        assert ([c["name"] for c in body["items"]], body["count"], body["pages"]) == (["Co 2"], 4, 2)
        body = client.get("/api/v1/companies?search=co%203").json()
        assert [c["name"] for c in body["items"]] == ["Co 3"]

    def test_archived_only_when_asked(self, api_client, pm, acme):
        client = api_client(pm)
        assert client.post(f"/api/v1/companies/{acme.pk}/archive").status_code == 200
        assert client.get("/api/v1/companies").json()["count"] == 0
        [item] = client.get("/api/v1/companies?include_archived=true").json()["items"]
        assert item["archived"] is True

    def test_other_workspace_never_listed(self, api_client, viewer, acme, foreign):
        assert [c["name"] for c in api_client(viewer).get("/api/v1/companies").json()["items"]] == ["Acme"]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("ordering=domain", "ordering"),
            ("page_size=201", "page_size"),
            ("page=0", "page"),
            ("health=fine", "health"),
        ],
    )
    def test_bad_query_is_422(self, api_client, viewer, query, field):
        response = api_client(viewer).get(f"/api/v1/companies?{query}")
        assert response.status_code == 422
        assert list(error(response)["fields"]) == [field]

    def test_unauthenticated_is_401(self, client):
        response = client.get("/api/v1/companies")
        assert response.status_code == 401
        assert error(response)["code"] == "not_authenticated"

    def test_bounded_queries_whatever_the_page_size(self, api_client, viewer, workspace, django_assert_num_queries):
        CompanyFactory.create_batch(120, workspace=workspace)
        client = api_client(viewer)
        client.get("/api/v1/companies")  # token last-used stamp and cached count
        for size in (1, 50, 120):
            # token with its role, cached count, page
            with django_assert_num_queries(3):
                assert len(client.get(f"/api/v1/companies?page_size={size}").json()["items"]) == size


# --- companies: create ----------------------------------------------------------------------


class TestCompanyCreate:
    def test_creates_with_arr_as_string(self, api_client, pm, workspace):
        response = post(
            api_client(pm),
            "/api/v1/companies",
            {
                "name": "Northwind",
                "domain": "Northwind.example",
                "segment": "mid_market",
                "arr": "1200.50",
                "currency": "GBP",
            },
        )
        assert response.status_code == 201
        body = response.json()
        assert {k: body[k] for k in ("name", "domain", "segment", "tier", "arr", "currency", "health", "archived")} == {
            "name": "Northwind",
            "domain": "northwind.example",
            "segment": "mid_market",
            "tier": "standard",
            "arr": "1200.50",
            "currency": "GBP",
            "health": "neutral",
            "archived": False,
        }
        company = Company.objects.get(pk=body["id"])
        assert (company.workspace, company.arr) == (workspace, Decimal("1200.50"))
        assert AuditEvent.objects.filter(action="company.create", target_id=company.pk, actor=pm).count() == 1

    @pytest.mark.parametrize(("arr", "stored"), [(1200, "1200.00"), (99.5, "99.50"), ("0", "0.00"), ("7.25", "7.25")])
    def test_arr_as_number_or_decimal_string(self, api_client, pm, arr, stored):
        response = post(api_client(pm), "/api/v1/companies", {"name": "Acme", "arr": arr})
        assert response.status_code == 201
        assert response.json()["arr"] == stored

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            (
                {"name": "Acme", "arr": True},
                "arr",
                'Value error, Send ARR as a number or a decimal string such as "1200.50".',
            ),
            ({"name": "Acme", "arr": -5}, "arr", "Value error, ARR cannot be negative."),
            (
                {"name": "Acme", "arr": "-5"},
                "arr",
                'Value error, Send ARR as a decimal string with at most 2 decimals, such as "1200.50".',
            ),
            ({"name": "Acme", "arr": 1.005}, "arr", "Value error, Use at most 2 decimal places."),
            (
                {"name": "Acme", "arr": "1e3"},
                "arr",
                'Value error, Send ARR as a decimal string with at most 2 decimals, such as "1200.50".',
            ),
            (
                {"name": "Acme", "arr": "1000000000000"},
                "arr",
                'Value error, Send ARR as a decimal string with at most 2 decimals, such as "1200.50".',
            ),
            ({"name": "Acme", "arr": 1e12}, "arr", "Value error, ARR may be at most 999,999,999,999.99."),
            ({"name": "Acme", "arr": 1.7e308}, "arr", "Value error, ARR may be at most 999,999,999,999.99."),
            ({"name": "Acme", "currency": "usd"}, "currency", "String should match pattern '^[A-Z]{3}$'"),
            (
                {"name": "Acme", "segment": "huge"},
                "segment",
                "Input should be 'enterprise', 'mid_market', 'smb', 'startup' or 'public_sector'",
            ),
            ({"name": "Acme", "color": "red"}, "color", "Extra inputs are not permitted"),
            ({"name": "   "}, "name", "String should match pattern '\\S'"),
            ({"name": 12}, "name", "Input should be a valid string"),
            ({}, "name", "Field required"),
        ],
    )
    def test_validation_422(self, api_client, pm, body, field, message):
        response = post(api_client(pm), "/api/v1/companies", body)
        assert response.status_code == 422
        assert error(response)["code"] == "validation_error"
        assert error(response)["fields"] == {field: [message]}
        assert Company.objects.count() == 0

    def test_duplicate_name_is_409_naming_the_field(self, api_client, pm, acme):
        response = post(api_client(pm), "/api/v1/companies", {"name": "ACME"})
        assert response.status_code == 409
        assert error(response) == {
            "code": "conflict",
            "message": "name: A company with this name already exists in this workspace.",
            "fields": {"name": ["A company with this name already exists in this workspace."]},
        }

    def test_domain_format_checked_by_service(self, api_client, pm):
        response = post(api_client(pm), "/api/v1/companies", {"name": "Acme", "domain": "-bad-.com"})
        assert response.status_code == 422
        assert list(error(response)["fields"]) == ["domain"]

    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_read_only_roles_get_403(self, api_client, member, role):
        response = post(api_client(member(role)), "/api/v1/companies", {"name": "Acme"})
        assert response.status_code == 403
        assert error(response)["code"] == "permission_denied"
        assert Company.objects.count() == 0

    def test_unauthenticated_is_401(self, client):
        assert post(client, "/api/v1/companies", {"name": "Acme"}).status_code == 401

    def test_session_write_needs_csrf(self, pm, workspace):
        client = Client(enforce_csrf_checks=True)
        client.force_login(pm)
        response = post(client, "/api/v1/companies", {"name": "Acme"})
        assert (response.status_code, error(response)["message"]) == (403, "CSRF check Failed")
        assert Company.objects.count() == 0


# --- companies: get, patch, archive, restore ------------------------------------------------


class TestCompanyDetail:
    def test_get_with_contacts(self, api_client, viewer, acme):
        ann = ContactFactory(company=acme, name="Ann", email="ann@acme.com", role="CTO")
        response = api_client(viewer).get(f"/api/v1/companies/{acme.pk}")
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "Acme"
        assert body["contacts"] == [
            {"id": ann.pk, "name": "Ann", "email": "ann@acme.com", "role": "CTO", "archived": False}
        ]

    def test_get_other_workspace_404(self, api_client, viewer, foreign):
        response = api_client(viewer).get(f"/api/v1/companies/{foreign.pk}")
        assert response.status_code == 404
        assert error(response)["message"] == "No company matches that id in this workspace."

    def test_get_unauthenticated_401(self, client, acme):
        assert client.get(f"/api/v1/companies/{acme.pk}").status_code == 401

    def test_patch_changes_only_given_fields(self, api_client, pm, acme):
        response = patch(api_client(pm), f"/api/v1/companies/{acme.pk}", {"arr": "99.90", "health": "at_risk"})
        assert response.status_code == 200
        body = response.json()
        assert (body["arr"], body["health"], body["name"], body["currency"]) == ("99.90", "at_risk", "Acme", "EUR")
        event = AuditEvent.objects.get(action="company.update")
        assert event.changes == {"arr": ["1200.50", "99.90"], "health": ["healthy", "at_risk"]}

    @pytest.mark.parametrize(
        ("body", "field"),
        [({"name": None}, "name"), ({"arr": False}, "arr"), ({"arr": -1}, "arr"), ({"owner": 1}, "owner")],
    )
    def test_patch_422(self, api_client, pm, acme, body, field):
        response = patch(api_client(pm), f"/api/v1/companies/{acme.pk}", body)
        assert response.status_code == 422
        assert list(error(response)["fields"]) == [field]
        acme.refresh_from_db()
        assert (acme.name, acme.arr) == ("Acme", Decimal("1200.50"))

    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_patch_403(self, api_client, member, acme, role):
        response = patch(api_client(member(role)), f"/api/v1/companies/{acme.pk}", {"name": "Hacked"})
        assert response.status_code == 403
        acme.refresh_from_db()
        assert acme.name == "Acme"

    def test_patch_404_and_401(self, api_client, client, pm, foreign, acme):
        assert patch(api_client(pm), f"/api/v1/companies/{foreign.pk}", {"name": "X"}).status_code == 404
        assert patch(client, f"/api/v1/companies/{acme.pk}", {"name": "X"}).status_code == 401

    def test_archive_and_restore(self, api_client, pm, acme):
        client = api_client(pm)
        response = client.post(f"/api/v1/companies/{acme.pk}/archive")
        assert (response.status_code, response.json()["archived"]) == (200, True)
        response = client.post(f"/api/v1/companies/{acme.pk}/restore")
        assert (response.status_code, response.json()["archived"]) == (200, False)
        assert list(
            AuditEvent.objects.exclude(action__startswith="api_token").order_by("id").values_list("action", flat=True)
        ) == [
            "company.archive",
            "company.restore",
        ]

    def test_patch_archived_is_409(self, api_client, pm, acme):
        client = api_client(pm)
        client.post(f"/api/v1/companies/{acme.pk}/archive")
        response = patch(client, f"/api/v1/companies/{acme.pk}", {"name": "X"})
        assert response.status_code == 409
        assert error(response)["message"] == "“Acme” is archived; restore it first."

    @pytest.mark.parametrize("action", ["archive", "restore"])
    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_archive_restore_403(self, api_client, member, acme, role, action):
        assert api_client(member(role)).post(f"/api/v1/companies/{acme.pk}/{action}").status_code == 403
        acme.refresh_from_db()
        assert acme.archived_at is None

    @pytest.mark.parametrize("action", ["archive", "restore"])
    def test_archive_restore_404_401(self, api_client, client, pm, acme, foreign, action):
        assert api_client(pm).post(f"/api/v1/companies/{foreign.pk}/{action}").status_code == 404
        assert client.post(f"/api/v1/companies/{acme.pk}/{action}").status_code == 401

    def test_no_hard_delete(self, api_client, admin, acme):
        assert api_client(admin).delete(f"/api/v1/companies/{acme.pk}").status_code == 405
        assert Company.objects.filter(pk=acme.pk).exists()


# --- contacts -------------------------------------------------------------------------------


class TestContacts:
    def test_list(self, api_client, viewer, acme):
        ann = ContactFactory(company=acme, name="Ann", email="ann@acme.com", role="CTO")
        body = api_client(viewer).get("/api/v1/contacts").json()
        assert body["count"] == 1
        [item] = body["items"]
        assert {k: item[k] for k in ("id", "name", "email", "role", "company", "archived")} == {
            "id": ann.pk,
            "name": "Ann",
            "email": "ann@acme.com",
            "role": "CTO",
            "company": {"id": acme.pk, "name": "Acme", "archived": False},
            "archived": False,
        }

    def test_list_filters(self, api_client, viewer, workspace, acme):
        other = CompanyFactory(workspace=workspace, name="Other")
        ContactFactory(company=acme, name="Ann", email="ann@acme.com")
        ContactFactory(company=other, name="Bob", email="bob@other.com")
        client = api_client(viewer)
        assert [c["name"] for c in client.get(f"/api/v1/contacts?company_id={other.pk}").json()["items"]] == ["Bob"]
        assert [c["name"] for c in client.get("/api/v1/contacts?search=acme").json()["items"]] == ["Ann"]
        assert [c["name"] for c in client.get("/api/v1/contacts?ordering=-name").json()["items"]] == ["Bob", "Ann"]

    def test_list_401_and_bounded_queries(self, api_client, client, viewer, acme, django_assert_num_queries):
        assert client.get("/api/v1/contacts").status_code == 401
        ContactFactory.create_batch(30, company=acme)
        api = api_client(viewer)
        api.get("/api/v1/contacts")
        with django_assert_num_queries(3):  # token with its role, count, page
            assert len(api.get("/api/v1/contacts?page_size=30").json()["items"]) == 30

    def test_create(self, api_client, pm, acme):
        response = post(
            api_client(pm),
            "/api/v1/contacts",
            {"company_id": acme.pk, "name": "Maria", "email": "Maria@Acme.com", "role": "Buyer"},
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["email"], body["company"]["name"]) == ("maria@acme.com", "Acme")
        assert Contact.objects.get(pk=body["id"]).company == acme

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "M", "email": "m@x.com"}, "company_id"),
            ({"company_id": 1, "name": "M", "email": "not-an-email"}, "email"),
            ({"company_id": 1, "name": "M", "email": "m@x.com", "phone": "1"}, "phone"),
            ({"company_id": True, "name": "M", "email": "m@x.com"}, "company_id"),
        ],
    )
    def test_create_422(self, api_client, pm, body, field):
        response = post(api_client(pm), "/api/v1/contacts", body)
        assert response.status_code == 422
        assert list(error(response)["fields"]) == [field]

    def test_create_for_company_of_other_workspace_is_404_naming_the_field(self, api_client, pm, foreign):
        response = post(api_client(pm), "/api/v1/contacts", {"company_id": foreign.pk, "name": "M", "email": "m@x.com"})
        assert response.status_code == 404
        assert error(response) == {
            "code": "not_found",
            "message": "company_id: No company with this id in this workspace.",
            "fields": {"company_id": ["No company with this id in this workspace."]},
        }
        assert Contact.objects.count() == 0

    def test_duplicate_email_409(self, api_client, pm, acme):
        ContactFactory(company=acme, email="ann@acme.com")
        response = post(
            api_client(pm), "/api/v1/contacts", {"company_id": acme.pk, "name": "A", "email": "ANN@acme.com"}
        )
        assert response.status_code == 409
        assert error(response)["fields"] == {"email": ["A contact with this email already exists in this workspace."]}

    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_create_403(self, api_client, member, acme, role):
        response = post(
            api_client(member(role)), "/api/v1/contacts", {"company_id": acme.pk, "name": "M", "email": "m@x.com"}
        )
        assert response.status_code == 403
        assert Contact.objects.count() == 0

    def test_create_401(self, client, acme):
        assert (
            post(client, "/api/v1/contacts", {"company_id": acme.pk, "name": "M", "email": "m@x.com"}).status_code
            == 401
        )

    def test_get_patch_archive_restore(self, api_client, pm, workspace, acme):
        other = CompanyFactory(workspace=workspace, name="Other")
        ann = ContactFactory(company=acme, name="Ann", email="ann@acme.com", role="CTO")
        client = api_client(pm)
        assert client.get(f"/api/v1/contacts/{ann.pk}").json()["company"]["id"] == acme.pk
        response = patch(client, f"/api/v1/contacts/{ann.pk}", {"company_id": other.pk, "role": "CEO"})
        assert response.status_code == 200
        assert (response.json()["company"]["name"], response.json()["role"]) == ("Other", "CEO")
        assert client.post(f"/api/v1/contacts/{ann.pk}/archive").json()["archived"] is True
        assert client.post(f"/api/v1/contacts/{ann.pk}/restore").json()["archived"] is False
        assert list(
            AuditEvent.objects.exclude(action__startswith="api_token").order_by("id").values_list("action", flat=True)
        ) == [
            "contact.update",
            "contact.archive",
            "contact.restore",
        ]

    def test_patch_422(self, api_client, pm, acme):
        ann = ContactFactory(company=acme)
        client = api_client(pm)
        assert list(error(patch(client, f"/api/v1/contacts/{ann.pk}", {"email": None}))["fields"]) == ["email"]
        assert list(error(patch(client, f"/api/v1/contacts/{ann.pk}", {"x": 1}))["fields"]) == ["x"]

    def test_other_workspace_contact_404(self, api_client, pm, foreign):
        secret = ContactFactory(company=foreign)
        client = api_client(pm)
        assert client.get(f"/api/v1/contacts/{secret.pk}").status_code == 404
        assert patch(client, f"/api/v1/contacts/{secret.pk}", {"name": "X"}).status_code == 404
        assert client.post(f"/api/v1/contacts/{secret.pk}/archive").status_code == 404
        assert client.post(f"/api/v1/contacts/{secret.pk}/restore").status_code == 404
        secret.refresh_from_db()
        assert secret.archived_at is None

    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_writes_403(self, api_client, member, acme, role):
        ann = ContactFactory(company=acme, name="Ann")
        client = api_client(member(role))
        assert patch(client, f"/api/v1/contacts/{ann.pk}", {"name": "X"}).status_code == 403
        assert client.post(f"/api/v1/contacts/{ann.pk}/archive").status_code == 403
        assert client.post(f"/api/v1/contacts/{ann.pk}/restore").status_code == 403
        assert client.get(f"/api/v1/contacts/{ann.pk}").status_code == 200
        ann.refresh_from_db()
        assert (ann.name, ann.archived_at) == ("Ann", None)

    def test_unauthenticated_401(self, client, acme):
        ann = ContactFactory(company=acme)
        assert client.get(f"/api/v1/contacts/{ann.pk}").status_code == 401
        assert patch(client, f"/api/v1/contacts/{ann.pk}", {"name": "X"}).status_code == 401
        assert client.post(f"/api/v1/contacts/{ann.pk}/archive").status_code == 401
        assert client.post(f"/api/v1/contacts/{ann.pk}/restore").status_code == 401


def test_openapi_documents_every_operation(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = {path: set(ops) for path, ops in spec["paths"].items() if "/compan" in path or "/contacts" in path}
    assert paths == {
        "/api/v1/companies": {"get", "post"},
        "/api/v1/companies/{company_id}": {"get", "patch"},
        "/api/v1/companies/{company_id}/archive": {"post"},
        "/api/v1/companies/{company_id}/restore": {"post"},
        "/api/v1/contacts": {"get", "post"},
        "/api/v1/contacts/{contact_id}": {"get", "patch"},
        "/api/v1/contacts/{contact_id}/archive": {"post"},
        "/api/v1/contacts/{contact_id}/restore": {"post"},
    }
    for path in paths:
        for op in spec["paths"][path].values():
            assert op["tags"] == ["customers"]
            assert {"401", "403", "404", "422"} <= set(op["responses"])

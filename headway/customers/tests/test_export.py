import csv
import io
from decimal import Decimal

import pytest
from django.core.cache import cache

from headway.customers import services
from headway.customers.exporting import safe_cell
from headway.customers.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def read(response):
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1 555", "'+1 555"),
        ("-10", "'-10"),
        ("@cmd", "'@cmd"),
        ("\tTab", "'\tTab"),
        ("Normal", "Normal"),
        ("a=b", "a=b"),
        ("", ""),
        (12, 12),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


class TestCompanyExport:
    def test_exports_filtered_sorted_list_with_escaping(self, web_client, viewer, workspace, other_workspace):
        CompanyFactory(
            workspace=workspace,
            name='=HYPERLINK("http://evil")',
            domain="evil.example",
            segment="smb",
            tier="standard",
            arr=Decimal("10"),
            currency="USD",
            health="churned",
        )
        CompanyFactory(
            workspace=workspace,
            name="Acme",
            domain="acme.com",
            segment="enterprise",
            tier="key",
            arr=Decimal("1200.5"),
            currency="EUR",
            health="healthy",
        )
        CompanyFactory(workspace=workspace, name="Globex", segment="smb", health="healthy", arr=Decimal("99"))
        CompanyFactory(workspace=other_workspace, name="Secret")
        response = web_client(viewer).get("/w/acme/customers/export/companies.csv?health=healthy&sort=-arr")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="acme-companies-')
        rows = read(response)
        assert rows[0] == ["name", "domain", "segment", "tier", "arr", "currency", "health", "archived", "created_at"]
        assert [r[:8] for r in rows[1:]] == [
            ["Acme", "acme.com", "enterprise", "key", "1200.50", "EUR", "healthy", ""],
            ["Globex", rows[2][1], "smb", rows[2][3], "99.00", rows[2][5], "healthy", ""],
        ]
        everything = read(web_client(viewer).get("/w/acme/customers/export/companies.csv"))
        assert [r[0] for r in everything[1:]] == ['\'=HYPERLINK("http://evil")', "Acme", "Globex"]

    def test_archived_flag(self, web_client, pm, workspace):
        services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace, name="Old"))
        rows = read(web_client(pm).get("/w/acme/customers/export/companies.csv?archived=1"))
        assert (rows[1][0], rows[1][7]) == ("Old", "yes")
        assert read(web_client(pm).get("/w/acme/customers/export/companies.csv")) == [rows[0]]

    def test_streams_many_rows_in_bounded_queries(self, web_client, viewer, workspace, django_assert_max_num_queries):
        CompanyFactory.create_batch(250, workspace=workspace)
        client = web_client(viewer)
        with django_assert_max_num_queries(12):
            rows = read(client.get("/w/acme/customers/export/companies.csv"))
        assert len(rows) == 251

    def test_outsider_gets_404(self, web_client, outsider):
        assert web_client(outsider).get("/w/acme/customers/export/companies.csv").status_code == 404


class TestContactExport:
    def test_exports_contacts_with_company(self, web_client, viewer, workspace):
        acme = CompanyFactory(workspace=workspace, name="Acme", domain="acme.com")
        ContactFactory(company=acme, name="Ann Lee", email="ann@acme.com", role="@channel admin")
        ContactFactory(
            company=CompanyFactory(workspace=workspace, name="Globex", domain=""),
            name="Bob",
            email="bob@globex.com",
            role="",
        )
        rows = read(web_client(viewer).get("/w/acme/customers/export/contacts.csv"))
        assert rows[0] == ["name", "email", "role", "company", "company_domain", "archived", "created_at"]
        assert [r[:6] for r in rows[1:]] == [
            ["Ann Lee", "ann@acme.com", "'@channel admin", "Acme", "acme.com", ""],
            ["Bob", "bob@globex.com", "", "Globex", "", ""],
        ]

    def test_search(self, web_client, viewer, workspace):
        acme = CompanyFactory(workspace=workspace, name="Acme")
        ContactFactory(company=acme, name="Ann", email="ann@acme.com")
        ContactFactory(company=acme, name="Bob", email="bob@acme.com")
        rows = read(web_client(viewer).get("/w/acme/customers/export/contacts.csv?q=bob"))
        assert [r[0] for r in rows[1:]] == ["Bob"]

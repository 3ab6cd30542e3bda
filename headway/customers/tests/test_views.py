import html
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from headway.core.models import AuditEvent
from headway.customers import services
from headway.customers.counts import forget_counts
from headway.customers.models import Company, Contact, ImportBatch
from headway.customers.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

BASE = "/w/acme/customers/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def text(response):
    return response.content.decode()


def row_names(response):
    return [
        html.unescape(name)
        for name in re.findall(r'<a href="/w/acme/customers/\d+/"><strong>([^<]+)</strong>', text(response))
    ]


class TestCompanyList:
    def test_lists_with_money_and_health(self, web_client, viewer, workspace):
        CompanyFactory(workspace=workspace, name="Acme", arr=Decimal("1250000"), currency="EUR", health="at_risk")
        response = web_client(viewer).get(BASE)
        assert response.status_code == 200
        html = text(response)
        assert row_names(response) == ["Acme"]
        assert "1.2M EUR" in html
        assert '<span class="tag tag-at_risk">At risk</span>' in html
        assert "<strong>1</strong> company" in html

    def test_user_text_is_escaped(self, web_client, viewer, workspace):
        CompanyFactory(workspace=workspace, name='<script>alert("x")</script> & Co', archived_at=None)
        html = text(web_client(viewer).get(BASE))
        assert "<strong>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co</strong>" in html
        assert "<script>alert" not in html

    def test_buttons_follow_the_role(self, web_client, member, workspace):
        CompanyFactory(workspace=workspace)
        assert "New company" in text(web_client(member("pm")).get(BASE))
        for role in ("contributor", "viewer"):
            html = text(web_client(member(role)).get(BASE))
            assert "New company" not in html
            assert "Import CSV" not in html
            assert "Export CSV" in html

    def test_search_filter_sort(self, web_client, viewer, workspace):
        CompanyFactory(workspace=workspace, name="Alpha", segment="smb", arr=Decimal("5"), health="healthy")
        CompanyFactory(workspace=workspace, name="Beta", segment="enterprise", arr=Decimal("50"), health="healthy")
        CompanyFactory(workspace=workspace, name="Gamma", segment="enterprise", arr=Decimal("500"), health="churned")
        client = web_client(viewer)
        assert row_names(client.get(BASE + "?q=alp")) == ["Alpha"]
        assert row_names(client.get(BASE + "?segment=enterprise")) == ["Beta", "Gamma"]
        assert row_names(client.get(BASE + "?sort=-arr")) == ["Gamma", "Beta", "Alpha"]
        assert row_names(client.get(BASE + "?sort=arr&health=healthy")) == ["Alpha", "Beta"]
        # Unknown values are ignored instead of failing the page.
        assert row_names(client.get(BASE + "?sort=bogus&segment=huge")) == ["Alpha", "Beta", "Gamma"]

    def test_sort_links_toggle(self, web_client, viewer, workspace):
        CompanyFactory(workspace=workspace)
        html = text(web_client(viewer).get(BASE + "?sort=-arr&q=a"))
        assert '<th class="num" aria-sort="descending"><a href="?q=a&amp;sort=arr"' in html
        assert '<th aria-sort="none"><a href="?q=a&amp;sort=name"' in html

    def test_htmx_gets_only_the_rows(self, web_client, viewer, workspace):
        CompanyFactory(workspace=workspace, name="Acme")
        response = web_client(viewer).get(BASE + "?q=acm", headers={"HX-Request": "true"})
        html = text(response)
        assert row_names(response) == ["Acme"]
        assert "<html" not in html
        assert 'id="company-filters"' not in html
        assert '<input type="hidden" name="sort" value="name" form="company-filters">' in html

    def test_archived_only_when_asked(self, web_client, pm, workspace):
        services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace, name="Old"))
        CompanyFactory(workspace=workspace, name="New")
        client = web_client(pm)
        assert row_names(client.get(BASE)) == ["New"]
        assert row_names(client.get(BASE + "?archived=1")) == ["New", "Old"]

    def test_empty_states(self, web_client, member, workspace):
        assert "Import a CSV file" in text(web_client(member("pm")).get(BASE))
        assert "Once a product manager adds" in text(web_client(member("viewer")).get(BASE))
        CompanyFactory(workspace=workspace)
        assert "No companies match" in text(web_client(member("viewer")).get(BASE + "?q=zzz"))

    def test_pagination_and_bounded_queries(self, web_client, viewer, workspace, django_assert_num_queries):
        CompanyFactory.create_batch(55, workspace=workspace)
        client = web_client(viewer)
        response = client.get(BASE)
        assert len(row_names(response)) == 50
        assert "Page 1 of 2 · 55 total" in text(response)
        assert len(row_names(client.get(BASE + "?page=2"))) == 5
        # session, user, workspace, memberships, workspaces for the switcher, cached count, page
        with django_assert_num_queries(7):
            client.get(BASE + "?page=2")
        forget_counts(workspace.pk)  # what every company service does
        with django_assert_num_queries(13):  # + COUNT, and storing it (cull check, savepoint, lookup, update)
            client.get(BASE + "?page=2")
        with django_assert_num_queries(7):
            client.get(BASE + "?page=2&q=")

    def test_other_workspace_is_404(self, web_client, outsider):
        assert web_client(outsider).get(BASE).status_code == 404


class TestCompanyPages:
    def test_detail_shows_facts_contacts_history(self, web_client, pm, viewer, workspace):
        company = services.company_create(
            actor=pm,
            workspace=workspace,
            name="Acme",
            domain="acme.com",
            arr="1200.50",
            currency="EUR",
            health="healthy",
        )
        services.contact_create(actor=pm, company=company, name="Ann Lee", email="ann@acme.com", role="CTO")
        services.company_update(actor=pm, company=company, health="at_risk")
        html = text(web_client(viewer).get(f"{BASE}{company.pk}/"))
        assert "<h1>Acme</h1>" in html
        assert "1.2k EUR" in html
        assert "Ann Lee" in html
        assert "company.update" in html and "company.create" in html
        assert "<del>healthy</del> → <ins>at_risk</ins>" in html
        assert "Add a contact" not in html  # viewer

    def test_detail_other_workspace_404(self, web_client, pm, other_workspace):
        company = CompanyFactory(workspace=other_workspace)
        assert web_client(pm).get(f"{BASE}{company.pk}/").status_code == 404

    def test_create_with_inline_errors_then_success(self, web_client, pm, workspace):
        CompanyFactory(workspace=workspace, name="Acme")
        client = web_client(pm)
        data = {
            "name": "acme",
            "domain": "",
            "segment": "smb",
            "tier": "standard",
            "arr": "10",
            "currency": "usd",
            "health": "neutral",
        }
        response = client.post(BASE + "new/", data)
        assert response.status_code == 400
        assert "A company with this name already exists in this workspace." in text(response)
        response = client.post(BASE + "new/", {**data, "arr": "-1"})
        assert "Ensure this value is greater than or equal to 0." in text(response)
        response = client.post(BASE + "new/", {**data, "name": "Globex"})
        company = Company.objects.get(name="Globex")
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}{company.pk}/"
        assert company.currency == "USD"

    def test_edit(self, web_client, pm, workspace):
        company = CompanyFactory(workspace=workspace, name="Acme", domain="acme.com")
        client = web_client(pm)
        assert 'value="acme.com"' in text(client.get(f"{BASE}{company.pk}/edit/"))
        data = {
            "name": "Acme Corp",
            "domain": "bad domain",
            "segment": "smb",
            "tier": "key",
            "arr": "5",
            "currency": "USD",
            "health": "healthy",
        }
        response = client.post(f"{BASE}{company.pk}/edit/", data)
        assert response.status_code == 400
        assert "Enter a domain such as example.com (no http://)." in text(response)
        response = client.post(f"{BASE}{company.pk}/edit/", {**data, "domain": "acme.com"})
        assert response.status_code == 302
        company.refresh_from_db()
        assert (company.name, company.tier) == ("Acme Corp", "key")

    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_read_only_roles_get_403_and_nothing_changes(self, web_client, member, workspace, role):
        company = CompanyFactory(workspace=workspace, name="Acme")
        client = web_client(member(role))
        assert client.get(BASE + "new/").status_code == 403
        assert client.get(f"{BASE}{company.pk}/edit/").status_code == 403
        assert client.post(f"{BASE}{company.pk}/archive/").status_code == 403
        assert client.post(f"{BASE}{company.pk}/contacts/new/", {"name": "A", "email": "a@x.com"}).status_code == 403
        assert client.get(BASE + "import/").status_code == 403
        company.refresh_from_db()
        assert (company.archived_at, Contact.objects.count()) == (None, 0)

    def test_archive_restore(self, web_client, pm, workspace):
        company = CompanyFactory(workspace=workspace, name="Acme")
        client = web_client(pm)
        response = client.post(f"{BASE}{company.pk}/archive/", follow=True)
        assert "“Acme” archived." in text(response)
        assert "This company is archived" in text(response)
        company.refresh_from_db()
        assert company.archived_at is not None
        client.post(f"{BASE}{company.pk}/restore/")
        company.refresh_from_db()
        assert company.archived_at is None
        assert client.get(f"{BASE}{company.pk}/archive/").status_code == 405


class TestContactPages:
    def test_add_contact_with_errors_then_success(self, web_client, pm, workspace):
        company = CompanyFactory(workspace=workspace, name="Acme")
        ContactFactory(company=company, email="ann@acme.com")
        client = web_client(pm)
        response = client.post(f"{BASE}{company.pk}/contacts/new/", {"name": "Ann", "email": "ANN@acme.com"})
        assert response.status_code == 400
        assert "A contact with this email already exists in this workspace." in text(response)
        response = client.post(
            f"{BASE}{company.pk}/contacts/new/", {"name": "Bob", "email": "bob@acme.com", "role": ""}
        )
        assert response.status_code == 302
        assert Contact.objects.get(email="bob@acme.com").company == company

    def test_edit_archive_restore(self, web_client, pm, workspace):
        contact = ContactFactory(company=CompanyFactory(workspace=workspace), name="Ann", email="ann@x.com")
        client = web_client(pm)
        response = client.post(
            f"{BASE}contacts/{contact.pk}/edit/", {"name": "Ann Lee", "email": "ann@x.com", "role": "CEO"}
        )
        assert response.status_code == 302
        contact.refresh_from_db()
        assert (contact.name, contact.role) == ("Ann Lee", "CEO")
        client.post(f"{BASE}contacts/{contact.pk}/archive/")
        contact.refresh_from_db()
        assert contact.archived_at is not None
        client.post(f"{BASE}contacts/{contact.pk}/restore/")
        contact.refresh_from_db()
        assert contact.archived_at is None

    def test_contact_list_marks_archived_company(self, web_client, pm, workspace):
        company = CompanyFactory(workspace=workspace, name="Acme")
        ContactFactory(company=company, name="Ann Lee")
        services.company_archive(actor=pm, company=company)
        html = text(web_client(pm).get(BASE + "contacts/"))
        assert "Ann Lee" in html
        assert "Company archived" in html

    def test_contact_of_other_workspace_404(self, web_client, pm, other_workspace):
        contact = ContactFactory(company=CompanyFactory(workspace=other_workspace))
        assert web_client(pm).get(f"{BASE}contacts/{contact.pk}/edit/").status_code == 404


MIXED = "name,arr,health\nAcme,100,healthy\nBroken,-1,healthy\nGlobex,5,fine\nInitech,7,neutral\n"


class TestImportPages:
    def upload(self, client, content, kind="companies"):
        file = SimpleUploadedFile("list.csv", content.encode() if isinstance(content, str) else content, "text/csv")
        return client.post(BASE + "import/", {"kind": kind, "file": file})

    def test_upload_preview_confirm_good_rows(self, web_client, pm):
        client = web_client(pm)
        response = self.upload(client, MIXED)
        batch = ImportBatch.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}import/{batch.pk}/"
        html = text(client.get(response["Location"]))
        assert "Problems in 2 rows" in html
        assert (
            '<tr class="row-error"><td class="num">3</td><td><code>arr</code></td><td>-1</td>'
            "<td>ARR cannot be negative.</td></tr>" in html
        )
        assert "“fine” is not a health; use one of healthy, neutral, at_risk, churned." in html
        assert "Import only the 2 good rows" in html
        assert Company.objects.count() == 0

        response = client.post(f"{BASE}import/{batch.pk}/confirm/", {"mode": "good", "expected_rows": "2"}, follow=True)
        assert "Imported list.csv: 2 companies created, 0 updated, 2 bad rows skipped." in text(response)
        assert sorted(Company.objects.values_list("name", flat=True)) == ["Acme", "Initech"]
        assert row_names(response) == ["Initech", "Acme"]  # newest first after an import

    def test_confirm_all_with_errors_writes_nothing(self, web_client, pm):
        client = web_client(pm)
        self.upload(client, MIXED)
        batch = ImportBatch.objects.get()
        response = client.post(f"{BASE}import/{batch.pk}/confirm/", {"mode": "all", "expected_rows": "2"}, follow=True)
        assert "2 row(s) have errors, so nothing was imported." in text(response)
        assert Company.objects.count() == 0

    def test_clean_file_imports_all(self, web_client, pm):
        client = web_client(pm)
        self.upload(client, "name\nAcme\n")
        batch = ImportBatch.objects.get()
        html = text(client.get(f"{BASE}import/{batch.pk}/"))
        assert "Ready to import" in html and "Import 1 row" in html
        client.post(f"{BASE}import/{batch.pk}/confirm/", {"mode": "all", "expected_rows": "1"})
        assert list(Company.objects.values_list("name", flat=True)) == ["Acme"]
        html = text(client.get(f"{BASE}import/{batch.pk}/"))
        assert "1 created, 0 updated, 0 bad rows skipped." in html

    def test_file_errors_shown_on_the_upload_form(self, web_client, pm):
        response = self.upload(web_client(pm), "company\nAcme\n")
        assert response.status_code == 400
        assert "Missing required column: name. Found columns: company." in text(response)
        assert ImportBatch.objects.count() == 0

    def test_bad_encoding_never_crashes(self, web_client, pm):
        response = self.upload(web_client(pm), b"name\n\x81\x8d\x8f\n")
        assert response.status_code == 400
        assert "The file is not UTF-8 text" in text(response)

    def test_cancel(self, web_client, pm):
        client = web_client(pm)
        self.upload(client, MIXED)
        batch = ImportBatch.objects.get()
        response = client.post(f"{BASE}import/{batch.pk}/cancel/", follow=True)
        assert "Import cancelled; nothing was changed." in text(response)
        assert (ImportBatch.objects.count(), Company.objects.count()) == (0, 0)

    def test_another_user_cannot_confirm(self, web_client, pm, member):
        self.upload(web_client(pm), "name\nAcme\n")
        batch = ImportBatch.objects.get()
        other = web_client(member("pm"))
        assert other.get(f"{BASE}import/{batch.pk}/").status_code == 404
        assert other.post(f"{BASE}import/{batch.pk}/confirm/", {"mode": "all", "expected_rows": "1"}).status_code == 404
        assert Company.objects.count() == 0

    def test_example_files(self, web_client, viewer):
        response = web_client(viewer).get(BASE + "import/example-companies.csv")
        assert response["Content-Disposition"] == 'attachment; filename="headway-companies-example.csv"'
        assert text(response).startswith("name,domain,segment,tier,arr,currency,health\r\n")
        assert web_client(viewer).get(BASE + "import/example-nothing.csv").status_code == 404

    def test_contacts_import(self, web_client, pm, workspace):
        CompanyFactory(workspace=workspace, name="Acme", domain="acme.com")
        client = web_client(pm)
        self.upload(client, "name,email,company\nAnn,ann@acme.com,acme.com\n", kind="contacts")
        batch = ImportBatch.objects.get()
        response = client.post(f"{BASE}import/{batch.pk}/confirm/", {"mode": "all", "expected_rows": "1"}, follow=True)
        assert "1 contact created" in text(response)
        assert AuditEvent.objects.filter(action="contact.import").count() == 1

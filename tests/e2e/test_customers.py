"""Customers in a real browser: import a CSV with bad rows, read the error report, import the good rows."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from headway.customers.models import Company
from headway.customers.tests.factories import CompanyFactory, ContactFactory

IMPORT = (
    "Name,Domain,Segment,Tier,ARR,Currency,Health\n"
    "Northwind Traders,northwind.example,Enterprise,Strategic,1250000,USD,Healthy\n"  # row 2
    "Contoso Pharmaceuticals,contoso.example,Mid-market,Key,340000,EUR,At risk\n"  # row 3
    "Broken Numbers Ltd,broken.example,SMB,Standard,-500,USD,Neutral\n"  # row 4: negative ARR
    "Fabrikam Studio,fabrikam.example,Startup,Standard,18500.50,GBP,Neutral\n"  # row 5
    "northwind traders,other.example,SMB,Standard,10,USD,Healthy\n"  # row 6: same name as row 2
)


@pytest.fixture
def existing(workspace):
    """A few customers already in the workspace, so the list looks like a real one."""
    acme = CompanyFactory(
        workspace=workspace,
        name="Acme Corporation",
        domain="acme.example",
        segment="enterprise",
        tier="strategic",
        arr=Decimal("2400000"),
        currency="USD",
        health="healthy",
    )
    ContactFactory(company=acme, name="Maria Anders", email="maria.anders@acme.example", role="VP Operations")
    ContactFactory(company=acme, name="Ana Trujillo", email="ana.trujillo@acme.example", role="Head of IT")
    CompanyFactory(
        workspace=workspace,
        name="Globex",
        domain="globex.example",
        segment="mid_market",
        tier="key",
        arr=Decimal("310000"),
        currency="EUR",
        health="at_risk",
    )
    CompanyFactory(
        workspace=workspace,
        name="Initech",
        domain="initech.example",
        segment="smb",
        tier="standard",
        arr=Decimal("42000"),
        currency="USD",
        health="churned",
    )
    return acme


def test_pm_imports_companies_sees_errors_and_imports_good_rows(
    live_server, sign_in, pm, existing, screenshot, tmp_path
):
    page = sign_in(pm)
    page.goto(f"{live_server.url}/w/acme/customers/")
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    screenshot("customers-list-before")

    page.get_by_role("link", name="Import CSV").click()
    expect(page).to_have_url(re.compile(r"/w/acme/customers/import/$"))
    path = tmp_path / "companies.csv"
    path.write_text(IMPORT, encoding="utf-8")
    screenshot("customers-import")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Preview: companies.csv")).to_be_visible()
    expect(page.get_by_role("heading", name="Problems in 2 rows")).to_be_visible()
    errors = page.locator("table.cu-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_have_text(re.compile(r"^\s*4\s*arr\s*-500\s*ARR cannot be negative\.\s*$"))
    expect(errors.nth(1)).to_have_text(
        re.compile(r"^\s*6\s*name\s*northwind traders\s*Same company name as row 2\.\s*$")
    )
    expect(page.locator("table.cu-plan tbody tr")).to_have_count(3)
    assert Company.objects.count() == 3  # nothing imported yet
    screenshot("customers-import-preview")

    page.get_by_role("button", name="Import only the 3 good rows").click()
    expect(page.get_by_role("status").filter(has_text="Imported companies.csv")).to_have_text(
        re.compile(r"Imported companies\.csv: 3 companies created, 0 updated, 2 bad rows skipped\.")
    )
    names = page.locator("table.cu-table tbody tr td:first-child strong")
    expect(names).to_have_text(
        ["Fabrikam Studio", "Contoso Pharmaceuticals", "Northwind Traders", "Initech", "Globex", "Acme Corporation"]
    )
    assert sorted(Company.objects.values_list("name", flat=True)) == [
        "Acme Corporation",
        "Contoso Pharmaceuticals",
        "Fabrikam Studio",
        "Globex",
        "Initech",
        "Northwind Traders",
    ]

    # Sorting and searching work through htmx without a full reload.
    page.get_by_role("link", name="ARR").click()
    expect(names.first).to_have_text("Acme Corporation")
    page.get_by_role("searchbox", name="Search companies by name or domain").fill("contoso")
    expect(names).to_have_text(["Contoso Pharmaceuticals"])
    expect(page).to_have_url(re.compile(r"q=contoso"))
    page.get_by_role("searchbox", name="Search companies by name or domain").fill("")
    expect(names).to_have_count(6)
    screenshot("customers-list")


def test_company_detail_add_contact_and_history(live_server, sign_in, pm, existing, screenshot):
    page = sign_in(pm)
    page.goto(f"{live_server.url}/w/acme/customers/{existing.pk}/")
    expect(page.get_by_role("heading", name="Acme Corporation")).to_be_visible()
    form = page.get_by_role("form", name="Add a contact")
    form.get_by_label("Name").fill("Thomas Hardy")
    form.get_by_label("Email").fill("Thomas.Hardy@Acme.example")
    form.get_by_label("Role").fill("Procurement lead")
    form.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("status").filter(has_text="Thomas Hardy added")).to_be_visible()
    expect(page.get_by_role("cell", name="thomas.hardy@acme.example")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("contact.create")
    screenshot("customers-detail")


def test_new_company_form_shows_errors_inline(live_server, sign_in, pm, existing, screenshot):
    page = sign_in(pm)
    page.goto(f"{live_server.url}/w/acme/customers/")
    page.get_by_role("link", name="New company").click()
    page.get_by_label("Name").fill("acme corporation")
    page.get_by_label("ARR").fill("1500.50")
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("alert")).to_have_text("A company with this name already exists in this workspace.")
    screenshot("customers-form-error")
    page.get_by_label("Name").fill("Umbrella Health")
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name="Umbrella Health")).to_be_visible()
    expect(page.locator(".cu-facts")).to_contain_text("1,500.50 USD")


def test_viewer_sees_no_management_buttons(live_server, sign_in, viewer, existing, screenshot):
    page = sign_in(viewer)
    page.goto(f"{live_server.url}/w/acme/customers/{existing.pk}/")
    expect(page.get_by_role("heading", name="Acme Corporation")).to_be_visible()
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("form", name="Add a contact")).to_have_count(0)
    page.get_by_role("link", name="Customers", exact=True).first.click()
    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("cell", name="Maria Anders")).to_be_visible()
    expect(page.get_by_role("link", name="Import contacts")).to_have_count(0)
    screenshot("customers-contacts")

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers import exporting, importing, selectors, services
from headway.customers.importing import ImportFileError, RowError
from headway.customers.models import Company, Contact, ImportBatch
from headway.customers.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def upload(actor, workspace, content, *, kind="companies", name="customers.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return importing.import_upload(
        actor=actor, workspace=workspace, kind=kind, upload=SimpleUploadedFile(name, data, "text/csv")
    )


def plan_of(actor, batch):
    return importing.import_plan(actor=actor, batch=batch)


def errors(plan):
    return [(e.row, e.column, e.reason) for e in plan.errors]


def actions(plan):
    return [(r.row, r.action, r.label) for r in plan.rows]


def company_names():
    return sorted(Company.objects.values_list("name", flat=True))


GOOD = (
    "Name,Domain,Segment,Tier,ARR,Currency,Health\n"
    'Northwind Traders,northwind.example,Enterprise,strategic,"1,250,000.00",usd,Healthy\n'
    "Contoso,HTTPS://Contoso.example/,mid-market,Key,340000,EUR,at risk\n"
    "Fabrikam,,,,,,\n"
)

MIXED = (
    "name,domain,segment,tier,arr,currency,health\n"
    "Good One,good1.example,smb,standard,100,USD,healthy\n"  # row 2
    ",nameless.example,smb,standard,1,USD,healthy\n"  # row 3: no name
    "Bad Money,,smb,standard,-5,USD,healthy\n"  # row 4
    "Good Two,,startup,key,12.5,GBP,neutral\n"  # row 5
    "Bad Choices,,huge,gold,abc,US,fine\n"  # row 6
    "good one,other.example,smb,standard,1,USD,healthy\n"  # row 7: same name as row 2
    "Good Three,good1.example,smb,standard,1,USD,healthy\n"  # row 8: same domain as row 2
)


class TestGoodFile:
    def test_preview_then_import(self, workspace, pm):
        batch = upload(pm, workspace, GOOD)
        assert Company.objects.count() == 0  # an upload writes no customer data
        plan = plan_of(pm, batch)
        assert actions(plan) == [
            (2, "create", "Northwind Traders"),
            (3, "create", "Contoso"),
            (4, "create", "Fabrikam"),
        ]
        assert (plan.errors, plan.notes, plan.total, plan.good_rows) == ([], [], 3, 3)
        assert plan.rows[0].shown == {
            "domain": "northwind.example",
            "segment": "Enterprise",
            "tier": "Strategic",
            "ARR": "1,250,000.00 USD",
            "health": "Healthy",
        }
        assert plan.rows[2].shown == {
            "segment": "Small business",
            "tier": "Standard",
            "ARR": "0.00 USD",
            "health": "Neutral",
        }
        assert plan.rows[0].values == {
            "name": "Northwind Traders",
            "domain": "northwind.example",
            "segment": "enterprise",
            "tier": "strategic",
            "arr": Decimal("1250000.00"),
            "currency": "USD",
            "health": "healthy",
        }

        importing.import_confirm(actor=pm, batch=batch, expected_rows=3)

        contoso = Company.objects.get(name="Contoso")
        assert (contoso.domain, contoso.segment, contoso.tier, contoso.arr, contoso.currency, contoso.health) == (
            "contoso.example",
            "mid_market",
            "key",
            Decimal("340000.00"),
            "EUR",
            "at_risk",
        )
        fabrikam = Company.objects.get(name="Fabrikam")
        assert (fabrikam.domain, fabrikam.segment, fabrikam.tier, fabrikam.arr, fabrikam.currency) == (
            "",
            "smb",
            "standard",
            Decimal("0.00"),
            "USD",
        )
        assert AuditEvent.objects.filter(action="company.create", actor=pm).count() == 3
        summary = AuditEvent.objects.get(action="company.import")
        assert summary.changes == {
            "file": [None, "customers.csv"],
            "created": [None, 3],
            "updated": [None, 0],
            "unchanged": [None, 0],
            "skipped": [None, 0],
        }
        batch.refresh_from_db()
        assert (batch.status, batch.rows, batch.result) == (
            "imported",
            [],
            {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0},
        )

    def test_imported_companies_are_counted(self, workspace, pm):
        assert selectors.company_count(actor=pm, workspace=workspace) == 0
        importing.import_confirm(actor=pm, batch=upload(pm, workspace, GOOD), expected_rows=3)
        assert selectors.company_count(actor=pm, workspace=workspace) == 3

    def test_confirming_twice_is_refused(self, workspace, pm):
        batch = upload(pm, workspace, GOOD)
        importing.import_confirm(actor=pm, batch=batch, expected_rows=3)
        with pytest.raises(Conflict) as exc:
            importing.import_confirm(actor=pm, batch=batch, expected_rows=3)
        assert exc.value.message == "This file was already imported."
        assert Company.objects.count() == 3

    def test_semicolons_bom_blank_lines_and_extra_columns(self, workspace, pm):
        content = "\ufeffNAME ; Health;Notes\n\nAcme;healthy;call back\n;;\nGlobex;Churned;\n"
        plan = plan_of(pm, upload(pm, workspace, content))
        assert actions(plan) == [(3, "create", "Acme"), (5, "create", "Globex")]
        assert plan.notes == ["Columns are separated by semicolons.", "Ignored columns: notes."]

    def test_export_escaping_is_undone(self, workspace, pm):
        plan = plan_of(pm, upload(pm, workspace, "name\n'=Equals Inc\n'-Minus Ltd\n"))
        assert [r.label for r in plan.rows] == ["=Equals Inc", "-Minus Ltd"]


class TestBadAndMixedFiles:
    def test_error_report_rows_columns_reasons(self, workspace, pm):
        plan = plan_of(pm, upload(pm, workspace, MIXED))
        assert errors(plan) == [
            (3, "name", "Name is required."),
            (4, "arr", "ARR cannot be negative."),
            (6, "arr", "“abc” is not a number."),
            (6, "currency", "Use a three-letter ISO 4217 currency code, such as USD."),
            (6, "health", "“fine” is not a health; use one of healthy, neutral, at_risk, churned."),
            (6, "segment", "“huge” is not a segment; use one of enterprise, mid_market, smb, startup, public_sector."),
            (6, "tier", "“gold” is not a tier; use one of strategic, key, standard."),
            (7, "name", "Same company name as row 2."),
            (8, "domain", "Same domain as row 2."),
        ]
        assert [e.value for e in plan.errors if e.row == 6] == ["abc", "US", "fine", "huge", "gold"]
        assert actions(plan) == [(2, "create", "Good One"), (5, "create", "Good Two")]
        assert (plan.error_rows, plan.good_rows, plan.total) == (5, 2, 7)

    def test_nothing_written_unless_good_rows_confirmed(self, workspace, pm):
        batch = upload(pm, workspace, MIXED)
        with pytest.raises(ValidationFailed) as exc:
            importing.import_confirm(actor=pm, batch=batch, expected_rows=2)
        assert exc.value.message == (
            "5 row(s) have errors, so nothing was imported. Fix the file and upload it again, or import only the "
            "2 good rows."
        )
        assert Company.objects.count() == 0
        assert AuditEvent.objects.count() == 0

    def test_import_only_good_rows(self, workspace, pm):
        batch = upload(pm, workspace, MIXED)
        plan = importing.import_confirm(actor=pm, batch=batch, only_good_rows=True, expected_rows=2)
        assert (plan.creates, plan.error_rows) == (2, 5)
        assert company_names() == ["Good One", "Good Two"]
        assert Company.objects.get(name="Good Two").arr == Decimal("12.50")
        summary = AuditEvent.objects.get(action="company.import")
        assert (summary.changes["created"], summary.changes["skipped"]) == ([None, 2], [None, 5])

    def test_all_rows_bad(self, workspace, pm):
        batch = upload(pm, workspace, "name,arr\n,5\nX,-1\n")
        plan = plan_of(pm, batch)
        assert errors(plan) == [(2, "name", "Name is required."), (3, "arr", "ARR cannot be negative.")]
        with pytest.raises(ValidationFailed) as exc:
            importing.import_confirm(actor=pm, batch=batch, only_good_rows=True, expected_rows=0)
        assert exc.value.message == "There are no good rows to import."
        assert Company.objects.count() == 0

    @pytest.mark.parametrize(
        ("arr", "reason"),
        [
            ("1.200,50", "“1.200,50” is not a number; use a dot for decimals, such as 1200.50."),
            ("12,5", "“12,5” is not a number; use a dot for decimals, such as 1200.50."),
            ("10.999", "Use at most 2 decimal places."),
            ("1000000000000", "ARR may be at most 999,999,999,999.99."),
        ],
    )
    def test_arr_spellings_refused(self, workspace, pm, arr, reason):
        plan = plan_of(pm, upload(pm, workspace, f'name,arr\nAcme,"{arr}"\n'))
        assert errors(plan) == [(2, "arr", reason)]

    @pytest.mark.parametrize(("arr", "value"), [("$1,200", "1200.00"), ("€ 99.9", "99.90"), ("0", "0.00")])
    def test_arr_spellings_accepted(self, workspace, pm, arr, value):
        plan = plan_of(pm, upload(pm, workspace, f'name,arr\nAcme,"{arr}"\n'))
        assert str(plan.rows[0].values["arr"]) == value

    def test_model_rules_reported(self, workspace, pm):
        content = f"name,domain\n{'x' * 201},\nAcme,not a domain\n"
        plan = plan_of(pm, upload(pm, workspace, content))
        assert errors(plan) == [
            (2, "name", "Ensure this value has at most 200 characters (it has 201)."),
            (3, "domain", "Enter a domain such as example.com (no http://)."),
        ]

    def test_extra_cells(self, workspace, pm):
        plan = plan_of(pm, upload(pm, workspace, "name,tier\nAcme,key,oops,more\nGlobex,key,,\n"))
        assert errors(plan) == [(2, "", "This row has 2 more cell(s) than the header has columns.")]
        assert actions(plan) == [(3, "create", "Globex")]


class TestFileProblems:
    def expect(self, pm, workspace, content, message, **kwargs):
        with pytest.raises(ImportFileError) as exc:
            upload(pm, workspace, content, **kwargs)
        assert exc.value.message == message
        assert exc.value.fields == {"file": [message]}
        assert ImportBatch.objects.count() == 0

    def test_windows_1252_is_read_with_a_note(self, workspace, pm):
        batch = upload(pm, workspace, "name,health\nSociété Générale,healthy\nMüller GmbH,\n".encode("cp1252"))
        plan = plan_of(pm, batch)
        assert [r.label for r in plan.rows] == ["Société Générale", "Müller GmbH"]
        assert plan.notes == [
            "The file is not UTF-8, so it was read as Windows-1252 (what older Excel versions save). Check that "
            "accented letters look right below; if not, save the file as “CSV UTF-8”."
        ]

    def test_utf16_with_bom_is_read(self, workspace, pm):
        plan = plan_of(pm, upload(pm, workspace, "name\tdomain\nZürich AG\tzurich.example\n".encode("utf-16")))
        assert actions(plan) == [(2, "create", "Zürich AG")]

    def test_undecodable_file(self, workspace, pm):
        self.expect(
            pm,
            workspace,
            b"name\nAcme \x81\x8d\n",
            "The file is not UTF-8 text (byte 0x81 at position 11 is not valid UTF-8) and not Windows-1252 either. "
            "Save it as “CSV UTF-8” and upload it again.",
        )

    def test_binary_file(self, workspace, pm):
        self.expect(
            pm,
            workspace,
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
            "This is not a CSV text file (it contains binary data; is it an Excel workbook?). In your spreadsheet "
            "choose File → Save as → “CSV UTF-8” and upload that file.",
        )

    def test_missing_columns(self, workspace, pm):
        self.expect(
            pm,
            workspace,
            "Company,Website\nAcme,acme.com\n",
            "Missing required column: name. Found columns: company, website. The first row must name the columns: "
            "name, domain, segment, tier, arr, currency, health.",
        )

    def test_missing_contact_columns(self, workspace, pm):
        self.expect(
            pm,
            workspace,
            "name,role\nAnn,CTO\n",
            "Missing required columns: email, company. Found columns: name, role. The first row must name the "
            "columns: name, email, company, role.",
            kind="contacts",
        )

    def test_duplicate_header(self, workspace, pm):
        self.expect(
            pm, workspace, "name,arr,Name\nA,1,B\n", "Column “name” appears twice in the header (columns 1 and 3)."
        )

    @pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf"])
    def test_empty_file(self, workspace, pm, content):
        self.expect(pm, workspace, content, "The file is empty.")

    def test_header_only(self, workspace, pm):
        self.expect(pm, workspace, "name,domain\n\n", "The file has a header row but no data rows.")

    def test_too_big(self, workspace, pm, settings):
        settings.HEADWAY_MAX_IMPORT_BYTES = 2048
        self.expect(
            pm,
            workspace,
            "name\n" + "Acme\n" * 1000,
            "The file is 5 KB; the limit is 2 KB. Split it into smaller files.",
        )

    def test_too_many_rows(self, workspace, pm, settings):
        settings.HEADWAY_MAX_IMPORT_ROWS = 3
        self.expect(
            pm,
            workspace,
            "name\nA\nB\nC\nD\n",
            "The file has more than 3 data rows; the limit is 3 per import. Split it into smaller files.",
        )

    def test_unterminated_quote(self, workspace, pm):
        self.expect(
            pm,
            workspace,
            'name,tier\nAcme,key\n"Globex,key\nInitech,key\n',
            'Row 3 could not be read: a cell opened with a double quote (") is never closed. Fix that row and '
            "upload again.",
        )

    def test_text_after_closing_quote(self, workspace, pm):
        self.expect(
            pm,
            workspace,
            'name,tier\n"Acme" Inc,key\n',
            "Row 2 could not be read: ',' expected after '\"' (usually a stray double quote). Fix that row and "
            "upload again.",
        )


class TestAgainstExistingData:
    def test_matching_name_updates_and_empty_cells_keep_values(self, workspace, pm):
        acme = CompanyFactory(
            workspace=workspace,
            name="Acme",
            domain="acme.com",
            segment="smb",
            tier="key",
            arr=Decimal("100"),
            currency="EUR",
            health="neutral",
        )
        CompanyFactory(
            workspace=workspace,
            name="Same",
            domain="same.com",
            segment="smb",
            tier="key",
            arr=Decimal("5"),
            currency="USD",
            health="healthy",
        )
        batch = upload(
            pm,
            workspace,
            "name,domain,tier,arr,health\nACME,,strategic,250,\nsame,same.com,key,5.00,healthy\nNew Co,,,,\n",
        )
        plan = plan_of(pm, batch)
        assert actions(plan) == [(2, "update", "Acme"), (3, "unchanged", "Same"), (4, "create", "New Co")]
        assert plan.rows[0].changes == {"tier": ["key", "strategic"], "arr": ["100.00", "250.00"]}
        importing.import_confirm(actor=pm, batch=batch, expected_rows=3)
        acme.refresh_from_db()
        assert (acme.name, acme.domain, acme.tier, acme.arr, acme.currency, acme.health) == (
            "Acme",
            "acme.com",
            "strategic",
            Decimal("250.00"),
            "EUR",
            "neutral",
        )
        assert AuditEvent.objects.get(action="company.update").changes == {
            "tier": ["key", "strategic"],
            "arr": ["100.00", "250.00"],
        }
        summary = AuditEvent.objects.get(action="company.import").changes
        assert (summary["created"], summary["updated"], summary["unchanged"]) == ([None, 1], [None, 1], [None, 1])

    def test_domain_owned_by_another_company(self, workspace, pm):
        CompanyFactory(workspace=workspace, name="Acme", domain="acme.com")
        plan = plan_of(pm, upload(pm, workspace, "name,domain\nAcme Europe,ACME.com\n"))
        assert errors(plan) == [(2, "domain", "acme.com already belongs to “Acme”.")]

    def test_archived_company_is_not_overwritten(self, workspace, pm):
        services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace, name="Acme"))
        plan = plan_of(pm, upload(pm, workspace, "name\nacme\n"))
        assert errors(plan) == [(2, "name", "“Acme” is archived in Headway; restore it before importing it.")]

    def test_other_workspaces_do_not_count(self, workspace, other_workspace, pm):
        CompanyFactory(workspace=other_workspace, name="Acme", domain="acme.com")
        plan = plan_of(pm, upload(pm, workspace, "name,domain\nAcme,acme.com\n"))
        assert actions(plan) == [(2, "create", "Acme")]

    def test_changes_between_preview_and_confirm_abort(self, workspace, pm):
        batch = upload(pm, workspace, "name\nAcme\nGlobex\n")
        assert plan_of(pm, batch).good_rows == 2
        services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace, name="Globex"))
        with pytest.raises(Conflict) as exc:
            importing.import_confirm(actor=pm, batch=batch, expected_rows=2)
        assert exc.value.message == (
            "The customers changed since the preview: 1 rows can be imported now, not 2. Check the preview again."
        )
        assert company_names() == ["Globex"]

    def test_failure_midway_writes_nothing(self, workspace, pm, monkeypatch):
        batch = upload(pm, workspace, "name\nAcme\nGlobex\nInitech\n")
        real = services.company_create
        calls = []

        def flaky(**kwargs):
            calls.append(kwargs["name"])
            if len(calls) == 3:
                raise ValidationFailed("name: Simulated failure.", fields={"name": ["Simulated failure."]})
            return real(**kwargs)

        monkeypatch.setattr(services, "company_create", flaky)
        with pytest.raises(ValidationFailed) as exc:
            importing.import_confirm(actor=pm, batch=batch, expected_rows=3)
        assert exc.value.message == "Row 4: name: Simulated failure. Nothing was imported."
        assert Company.objects.count() == 0
        assert AuditEvent.objects.count() == 0
        batch.refresh_from_db()
        assert batch.status == "pending"


class TestContacts:
    @pytest.fixture
    def acme(self, workspace):
        return CompanyFactory(workspace=workspace, name="Acme", domain="acme.com")

    def test_matches_company_by_name_or_domain(self, workspace, pm, acme):
        content = "Name,Email,Role,Company\nAnn Lee,Ann@Acme.com,CTO,acme\nBob Stone,bob@acme.com,,ACME.COM\n"
        batch = upload(pm, workspace, content, kind="contacts")
        plan = plan_of(pm, batch)
        assert actions(plan) == [(2, "create", "ann@acme.com"), (3, "create", "bob@acme.com")]
        assert plan.rows[0].shown == {"name": "Ann Lee", "role": "CTO", "company": "Acme"}
        importing.import_confirm(actor=pm, batch=batch, expected_rows=2)
        assert sorted(Contact.objects.values_list("name", "email", "role", "company__name")) == [
            ("Ann Lee", "ann@acme.com", "CTO", "Acme"),
            ("Bob Stone", "bob@acme.com", "", "Acme"),
        ]
        assert AuditEvent.objects.filter(action="contact.create").count() == 2
        assert AuditEvent.objects.filter(action="contact.import").count() == 1

    def test_errors(self, workspace, pm, acme):
        archived = services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace, name="Old Co"))
        ContactFactory(company=CompanyFactory(workspace=workspace, name="Kept"), email="gone@x.com")
        services.contact_archive(actor=pm, contact=Contact.objects.get(email="gone@x.com"))
        content = (
            "name,email,company,role\n"
            "Ann,ann@acme.com,Acme,\n"  # 2 ok
            ",no-name@acme.com,Acme,\n"  # 3
            "Bob,not-an-email,Acme,\n"  # 4
            "Cy,ANN@acme.com,Acme,\n"  # 5 same email as row 2
            "Di,di@x.com,Nobody Inc,\n"  # 6
            f"Ed,ed@x.com,{archived.name},\n"  # 7
            "Flo,flo@x.com,,\n"  # 8
            "Gus,gone@x.com,Acme,\n"  # 9 archived contact
        )
        plan = plan_of(pm, upload(pm, workspace, content, kind="contacts"))
        assert errors(plan) == [
            (3, "name", "Name is required."),
            (4, "email", "“not-an-email” is not a valid email address."),
            (5, "email", "Same email as row 2."),
            (6, "company", "No company named “Nobody Inc” or with that domain. Add the company first."),
            (7, "company", "“Old Co” is archived; restore it before adding contacts."),
            (8, "company", "Company is required (its name or domain)."),
            (9, "email", "gone@x.com belongs to an archived contact; restore them first."),
        ]
        assert actions(plan) == [(2, "create", "ann@acme.com")]

    def test_existing_email_updates(self, workspace, pm, acme):
        other = CompanyFactory(workspace=workspace, name="Other", domain="other.com")
        ann = ContactFactory(company=acme, name="Ann", email="ann@acme.com", role="CTO")
        batch = upload(pm, workspace, "name,email,company,role\nAnn Lee,ANN@acme.com,other.com,\n", kind="contacts")
        plan = plan_of(pm, batch)
        assert actions(plan) == [(2, "update", "ann@acme.com")]
        assert plan.rows[0].changes == {"name": ["Ann", "Ann Lee"], "company": ["Acme", "Other"]}
        importing.import_confirm(actor=pm, batch=batch, expected_rows=1)
        ann.refresh_from_db()
        assert (ann.name, ann.role, ann.company) == ("Ann Lee", "CTO", other)


class TestBatches:
    def test_cancel_forgets_the_upload(self, workspace, pm):
        batch = upload(pm, workspace, GOOD)
        importing.import_cancel(actor=pm, batch=batch)
        assert ImportBatch.objects.count() == 0
        assert Company.objects.count() == 0

    def test_only_the_uploader_sees_the_batch(self, workspace, pm, member):
        batch = upload(pm, workspace, GOOD)
        with pytest.raises(NotFound):
            selectors.import_batch_get(actor=member("pm"), workspace=workspace, batch_id=batch.pk)
        assert selectors.import_batch_get(actor=pm, workspace=workspace, batch_id=batch.pk) == batch

    def test_other_workspace_cannot_reach_it(self, workspace, other_workspace, pm, outsider):
        batch = upload(pm, workspace, GOOD)
        with pytest.raises(NotFound):
            selectors.import_batch_get(actor=outsider, workspace=other_workspace, batch_id=batch.pk)

    def test_expired_batches_are_gone(self, workspace, pm):
        batch = upload(pm, workspace, GOOD)
        ImportBatch.objects.filter(pk=batch.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        with pytest.raises(NotFound):
            selectors.import_batch_get(actor=pm, workspace=workspace, batch_id=batch.pk)
        upload(pm, workspace, GOOD)  # a new upload clears the expired one
        assert not ImportBatch.objects.filter(pk=batch.pk).exists()

    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_read_only_roles_cannot_upload(self, workspace, member, role):
        with pytest.raises(PermissionDenied):
            upload(member(role), workspace, GOOD)
        assert ImportBatch.objects.count() == 0


def test_export_then_import_round_trip(workspace, pm):
    for name in ("Acme", "=Formula Co", "Globex"):
        CompanyFactory(workspace=workspace, name=name)
    qs = selectors.company_list(actor=pm, workspace=workspace)
    text = "".join(exporting.stream_csv(exporting.COMPANY_HEADER, exporting.company_rows(qs)))
    plan = plan_of(pm, upload(pm, workspace, text))
    assert [(r.action, r.label) for r in plan.rows] == [
        ("unchanged", "=Formula Co"),
        ("unchanged", "Acme"),
        ("unchanged", "Globex"),
    ]
    assert (plan.errors, plan.notes) == ([], [])


def test_row_error_shape():
    assert RowError(3, "name", "Name is required.").value == ""

from decimal import Decimal

import pytest

from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers import services
from headway.customers.models import Company, Contact
from headway.customers.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def events(action):
    return list(AuditEvent.objects.filter(action=action).values_list("target_repr", "changes"))


class TestCompanyCreate:
    def test_creates_normalised_company_and_audits_it(self, workspace, pm):
        company = services.company_create(
            actor=pm,
            workspace=workspace,
            name="  Northwind Traders ",
            domain=" HTTPS://Northwind.Example/ ",
            segment="enterprise",
            tier="strategic",
            arr="1250000.5",
            currency=" eur ",
            health="healthy",
        )
        company.refresh_from_db()
        assert (company.name, company.domain, company.segment, company.tier) == (
            "Northwind Traders",
            "northwind.example",
            "enterprise",
            "strategic",
        )
        assert (company.arr, company.currency, company.health, company.archived_at) == (
            Decimal("1250000.50"),
            "EUR",
            "healthy",
            None,
        )
        event = AuditEvent.objects.get(action="company.create")
        assert (event.actor, event.workspace, event.target_id, event.target_repr) == (
            pm,
            workspace,
            company.pk,
            "Northwind Traders",
        )
        assert event.changes == {
            "name": [None, "Northwind Traders"],
            "domain": [None, "northwind.example"],
            "segment": [None, "enterprise"],
            "tier": [None, "strategic"],
            "arr": [None, "1250000.50"],
            "currency": [None, "EUR"],
            "health": [None, "healthy"],
        }

    def test_defaults(self, workspace, pm):
        company = services.company_create(actor=pm, workspace=workspace, name="Tailspin")
        assert (company.domain, company.segment, company.tier, company.arr, company.currency, company.health) == (
            "",
            "smb",
            "standard",
            Decimal("0.00"),
            "USD",
            "neutral",
        )

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"name": "   "}, "name", "name: This field cannot be blank."),
            ({"domain": "not a domain"}, "domain", "domain: Enter a domain such as example.com (no http://)."),
            ({"arr": "-1"}, "arr", "arr: ARR cannot be negative."),
            ({"arr": "10.005"}, "arr", "arr: Use at most 2 decimal places."),
            ({"arr": "lots"}, "arr", "arr: “lots” is not a number."),
            ({"arr": True}, "arr", "arr: Enter an amount, not true or false."),
            ({"currency": "dollars"}, "currency", "currency: Use a three-letter ISO 4217 currency code, such as USD."),
            ({"currency": "U1D"}, "currency", "currency: Use a three-letter ISO 4217 currency code, such as USD."),
            ({"segment": "huge"}, "segment", "segment: Value 'huge' is not a valid choice."),
            ({"health": "fine"}, "health", "health: Value 'fine' is not a valid choice."),
        ],
    )
    def test_invalid_input_names_the_field_and_writes_nothing(self, workspace, pm, fields, field, message):
        with pytest.raises(ValidationFailed) as exc:
            services.company_create(actor=pm, workspace=workspace, **{"name": "Acme", **fields})
        assert exc.value.message == message
        assert list(exc.value.fields) == [field]
        assert Company.objects.count() == 0
        assert AuditEvent.objects.count() == 0

    def test_duplicate_name_ignoring_case(self, workspace, pm):
        services.company_create(actor=pm, workspace=workspace, name="Acme")
        with pytest.raises(Conflict) as exc:
            services.company_create(actor=pm, workspace=workspace, name="ACME")
        assert exc.value.fields == {"name": ["A company with this name already exists in this workspace."]}
        assert Company.objects.count() == 1

    def test_duplicate_domain(self, workspace, pm):
        services.company_create(actor=pm, workspace=workspace, name="Acme", domain="acme.com")
        with pytest.raises(Conflict) as exc:
            services.company_create(actor=pm, workspace=workspace, name="Acme Two", domain="ACME.com")
        assert exc.value.fields == {"domain": ["Another company in this workspace already uses this domain."]}

    def test_same_name_in_another_workspace_is_fine(self, workspace, other_workspace, pm, outsider):
        services.company_create(actor=pm, workspace=workspace, name="Acme", domain="acme.com")
        other = services.company_create(actor=outsider, workspace=other_workspace, name="Acme", domain="acme.com")
        assert other.workspace == other_workspace

    @pytest.mark.parametrize("role", ["contributor", "viewer"])
    def test_roles_without_customer_manage_are_refused(self, workspace, member, role):
        user = member(role)
        with pytest.raises(PermissionDenied) as exc:
            services.company_create(actor=user, workspace=workspace, name="Acme")
        assert exc.value.message == f"Your role ({role.capitalize()}) may not manage customers."
        assert Company.objects.count() == 0

    @pytest.mark.parametrize("role", ["admin", "leader", "pm"])
    def test_managing_roles_may_create(self, workspace, member, role):
        assert services.company_create(actor=member(role), workspace=workspace, name="Acme").pk

    def test_outsider_gets_not_found(self, workspace, outsider):
        with pytest.raises(NotFound):
            services.company_create(actor=outsider, workspace=workspace, name="Acme")


class TestCompanyUpdate:
    def test_records_only_changed_fields(self, workspace, pm):
        company = CompanyFactory(workspace=workspace, name="Acme", arr=Decimal("100"), health="neutral")
        updated = services.company_update(actor=pm, company=company, arr="250.00", health="at_risk", name="Acme")
        assert (updated.arr, updated.health) == (Decimal("250.00"), "at_risk")
        assert events("company.update") == [("Acme", {"arr": ["100.00", "250.00"], "health": ["neutral", "at_risk"]})]

    def test_no_change_writes_no_event(self, workspace, pm):
        company = CompanyFactory(workspace=workspace, name="Acme")
        services.company_update(actor=pm, company=company, name=" Acme ")
        assert events("company.update") == []

    def test_unknown_field_is_refused(self, workspace, pm):
        company = CompanyFactory(workspace=workspace)
        with pytest.raises(ValidationFailed) as exc:
            services.company_update(actor=pm, company=company, archived_at=None)
        assert exc.value.fields == {"archived_at": ["Not a field that can be changed."]}

    def test_rename_onto_existing_name(self, workspace, pm):
        CompanyFactory(workspace=workspace, name="Acme")
        other = CompanyFactory(workspace=workspace, name="Globex")
        with pytest.raises(Conflict) as exc:
            services.company_update(actor=pm, company=other, name="acme")
        assert exc.value.message == "name: A company with this name already exists in this workspace."
        other.refresh_from_db()
        assert other.name == "Globex"

    def test_archived_company_cannot_be_edited(self, workspace, pm):
        company = services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace, name="Acme"))
        with pytest.raises(Conflict) as exc:
            services.company_update(actor=pm, company=company, name="Acme 2")
        assert exc.value.message == "“Acme” is archived; restore it first."

    def test_viewer_changes_nothing(self, workspace, viewer):
        company = CompanyFactory(workspace=workspace, name="Acme")
        with pytest.raises(PermissionDenied):
            services.company_update(actor=viewer, company=company, name="Hacked")
        company.refresh_from_db()
        assert company.name == "Acme"
        assert AuditEvent.objects.count() == 0

    def test_company_of_another_workspace_is_not_found(self, other_workspace, pm):
        company = CompanyFactory(workspace=other_workspace)
        with pytest.raises(NotFound):
            services.company_update(actor=pm, company=company, name="Mine now")


class TestArchiveRestore:
    def test_archive_and_restore_keep_contacts_and_audit(self, workspace, pm):
        company = CompanyFactory(workspace=workspace, name="Acme")
        ContactFactory(company=company)
        archived = services.company_archive(actor=pm, company=company)
        assert archived.archived_at is not None
        assert Contact.objects.filter(company=company).count() == 1
        restored = services.company_restore(actor=pm, company=archived)
        assert restored.archived_at is None
        assert [e.action for e in AuditEvent.objects.order_by("id")] == ["company.archive", "company.restore"]
        restore = AuditEvent.objects.get(action="company.restore")
        assert restore.changes == {"archived_at": [archived.archived_at.isoformat(), None]}

    def test_archiving_twice_is_a_no_op(self, workspace, pm):
        company = CompanyFactory(workspace=workspace)
        first = services.company_archive(actor=pm, company=company)
        second = services.company_archive(actor=pm, company=first)
        assert second.archived_at == first.archived_at
        assert AuditEvent.objects.filter(action="company.archive").count() == 1

    def test_contributor_cannot_archive(self, workspace, contributor):
        company = CompanyFactory(workspace=workspace)
        with pytest.raises(PermissionDenied):
            services.company_archive(actor=contributor, company=company)
        company.refresh_from_db()
        assert company.archived_at is None


class TestContacts:
    def test_create_normalises_and_audits(self, workspace, pm):
        company = CompanyFactory(workspace=workspace, name="Acme")
        contact = services.contact_create(
            actor=pm, company=company, name=" Maria Anders ", email=" Maria@Acme.COM ", role=" CTO "
        )
        assert (contact.workspace, contact.name, contact.email, contact.role) == (
            workspace,
            "Maria Anders",
            "maria@acme.com",
            "CTO",
        )
        assert events("contact.create") == [
            (
                "Maria Anders <maria@acme.com>",
                {
                    "name": [None, "Maria Anders"],
                    "email": [None, "maria@acme.com"],
                    "role": [None, "CTO"],
                    "company": [None, "Acme"],
                },
            )
        ]

    def test_email_unique_in_workspace_ignoring_case(self, workspace, pm):
        company = CompanyFactory(workspace=workspace)
        services.contact_create(actor=pm, company=company, name="A", email="a@x.com")
        with pytest.raises(Conflict) as exc:
            services.contact_create(actor=pm, company=CompanyFactory(workspace=workspace), name="B", email="A@X.com")
        assert exc.value.fields == {"email": ["A contact with this email already exists in this workspace."]}

    def test_invalid_email(self, workspace, pm):
        with pytest.raises(ValidationFailed) as exc:
            services.contact_create(actor=pm, company=CompanyFactory(workspace=workspace), name="A", email="nope")
        assert exc.value.message == "email: Enter a valid email address."

    def test_cannot_add_to_archived_company(self, workspace, pm):
        company = services.company_archive(actor=pm, company=CompanyFactory(workspace=workspace, name="Acme"))
        with pytest.raises(Conflict):
            services.contact_create(actor=pm, company=company, name="A", email="a@x.com")
        assert Contact.objects.count() == 0

    def test_update_moves_to_another_company(self, workspace, pm):
        acme = CompanyFactory(workspace=workspace, name="Acme")
        globex = CompanyFactory(workspace=workspace, name="Globex")
        contact = ContactFactory(company=acme, name="Ann", email="ann@x.com", role="CTO")
        updated = services.contact_update(actor=pm, contact=contact, company=globex, role="CEO")
        assert (updated.company, updated.role) == (globex, "CEO")
        assert events("contact.update") == [
            ("Ann <ann@x.com>", {"role": ["CTO", "CEO"], "company": ["Acme", "Globex"]})
        ]

    def test_update_to_company_of_other_workspace_is_refused(self, workspace, other_workspace, pm):
        contact = ContactFactory(company=CompanyFactory(workspace=workspace))
        with pytest.raises(NotFound):
            services.contact_update(actor=pm, contact=contact, company=CompanyFactory(workspace=other_workspace))

    def test_archive_restore(self, workspace, pm):
        contact = ContactFactory(company=CompanyFactory(workspace=workspace))
        assert services.contact_archive(actor=pm, contact=contact).archived_at is not None
        assert services.contact_restore(actor=pm, contact=contact).archived_at is None
        assert [e.action for e in AuditEvent.objects.order_by("id")] == ["contact.archive", "contact.restore"]

    def test_viewer_cannot_touch_contacts(self, workspace, viewer):
        contact = ContactFactory(company=CompanyFactory(workspace=workspace), name="Ann")
        with pytest.raises(PermissionDenied):
            services.contact_update(actor=viewer, contact=contact, name="Bob")
        with pytest.raises(PermissionDenied):
            services.contact_archive(actor=viewer, contact=contact)
        contact.refresh_from_db()
        assert (contact.name, contact.archived_at) == ("Ann", None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("  Example.COM ", "example.com"),
        ("https://www.example.com/", "www.example.com"),
        ("http://shop.example.co.uk", "shop.example.co.uk"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_domain(raw, expected):
    assert services.normalise_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", Decimal("0.00")),
        (1200, Decimal("1200.00")),
        ("1200.5", Decimal("1200.50")),
        (Decimal("3.10"), Decimal("3.10")),
    ],
)
def test_parse_arr(raw, expected):
    assert services.parse_arr(raw) == expected


@pytest.mark.parametrize("raw", ["1000000000000", Decimal("1e30"), 1.7e308])
def test_parse_arr_refuses_what_a_company_cannot_hold(raw):
    with pytest.raises(ValidationFailed) as exc:
        services.parse_arr(raw)
    assert exc.value.fields == {"arr": ["ARR may be at most 999,999,999,999.99."]}

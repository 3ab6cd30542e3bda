from collections import Counter
from decimal import Decimal

import pytest

from headway.accounts.models import User
from headway.cli import main
from headway.core.errors import Conflict
from headway.core.models import AuditEvent
from headway.customers.models import Company, Contact
from headway.ops.demo import DEMO_PASSWORD, demo_create
from headway.portfolio.models import Component, Product, ProductLine
from headway.workspaces.models import Membership, Workspace

DEMO_EMAILS = [
    "admin@demo.headway.local",
    "leader@demo.headway.local",
    "pm@demo.headway.local",
    "pm2@demo.headway.local",
    "contributor@demo.headway.local",
    "viewer@demo.headway.local",
]


def content(workspace):
    """What a person sees in the demo, without ids and timestamps."""
    return {
        "lines": list(ProductLine.objects.filter(workspace=workspace).values_list("name", "description", "position")),
        "products": list(
            Product.objects.filter(workspace=workspace)
            .order_by("key")
            .values_list("product_line__name", "name", "key", "owner__email", "stage", "target_customers", "position")
        ),
        "components": list(
            Component.objects.filter(workspace=workspace)
            .order_by("product__key", "position")
            .values_list("product__key", "name", "position")
        ),
        "companies": list(
            Company.objects.filter(workspace=workspace)
            .order_by("name")
            .values_list("name", "domain", "segment", "tier", "arr", "currency", "health")
        ),
        "contacts": list(
            Contact.objects.filter(workspace=workspace)
            .order_by("email")
            .values_list("company__name", "name", "email", "role")
        ),
    }


def test_demo_creates_the_exact_portfolio_customers_and_people(demo):
    ws = demo.workspace
    assert (demo.created, demo.replaced) == (True, False)
    assert (ws.name, ws.slug, ws.is_demo) == ("Northwind Software", "demo", True)
    assert list(ProductLine.objects.filter(workspace=ws).values_list("name", flat=True)) == [
        "Payments",
        "Analytics",
        "Platform",
    ]
    assert Product.objects.filter(workspace=ws).count() == 8
    assert sorted(Product.objects.filter(workspace=ws).values_list("key", flat=True)) == [
        "API", "BIL", "CHK", "FCST", "FRD", "IDN", "INS", "RPT",
    ]  # fmt: skip
    assert Component.objects.filter(workspace=ws).count() == 26
    per_product = Counter(Component.objects.filter(workspace=ws).values_list("product__key", flat=True))
    assert per_product == {"CHK": 4, "BIL": 3, "FRD": 3, "INS": 5, "RPT": 2, "FCST": 2, "API": 4, "IDN": 3}
    assert set(Product.objects.filter(workspace=ws).values_list("stage", flat=True)) == {
        "concept", "development", "growth", "mature", "sunset",
    }  # fmt: skip
    assert Counter(Product.objects.filter(workspace=ws).values_list("owner__email", flat=True)) == {
        "pm@demo.headway.local": 4,
        "pm2@demo.headway.local": 4,
    }
    assert all(p.description and p.target_customers for p in Product.objects.filter(workspace=ws))

    assert Company.objects.filter(workspace=ws).count() == 40
    assert Contact.objects.filter(workspace=ws).count() == 114
    contacts_per_company = Counter(Contact.objects.filter(workspace=ws).values_list("company_id", flat=True))
    assert len(contacts_per_company) == 40
    assert min(contacts_per_company.values()) == 1
    assert max(contacts_per_company.values()) == 4
    segments = set(Company.objects.filter(workspace=ws).values_list("segment", flat=True))
    assert segments == {"enterprise", "mid_market", "smb", "startup", "public_sector"}
    assert set(Company.objects.filter(workspace=ws).values_list("health", flat=True)) == {
        "healthy", "neutral", "at_risk", "churned",
    }  # fmt: skip
    assert set(Company.objects.filter(workspace=ws).values_list("currency", flat=True)) == {
        "USD", "EUR", "GBP", "CAD", "AUD",
    }  # fmt: skip
    assert not Company.objects.filter(workspace=ws, health="churned").exclude(arr=Decimal("0")).exists()

    roles = dict(Membership.objects.filter(workspace=ws).values_list("user__email", "role"))
    assert roles == {
        "admin@demo.headway.local": "admin",
        "leader@demo.headway.local": "leader",
        "pm@demo.headway.local": "pm",
        "pm2@demo.headway.local": "pm",
        "contributor@demo.headway.local": "contributor",
        "viewer@demo.headway.local": "viewer",
    }
    for user in User.objects.filter(email__in=DEMO_EMAILS):
        assert user.check_password(DEMO_PASSWORD)
        assert user.last_workspace_id == ws.pk
    assert User.objects.count() == 6


def test_demo_is_written_through_the_services_with_an_audit_trail(demo):
    actions = Counter(AuditEvent.objects.filter(workspace=demo.workspace).values_list("action", flat=True))
    assert actions["product_line.create"] == 3
    assert actions["product.create"] == 8
    assert actions["component.create"] == 26
    assert actions["company.create"] == 40
    assert actions["contact.create"] == 114
    assert actions["membership.create"] == 5  # the admin joined by creating the workspace
    assert actions["workspace.create"] == 1


def test_demo_again_without_reset_changes_nothing(demo):
    before = content(demo.workspace)
    again = demo_create()
    assert again.created is False
    assert again.workspace.pk == demo.workspace.pk
    assert content(again.workspace) == before
    assert Workspace.objects.count() == 1
    assert User.objects.count() == 6


def test_reset_recreates_the_same_content(demo):
    before = content(demo.workspace)
    old_pk = demo.workspace.pk
    old_user_ids = set(User.objects.values_list("pk", flat=True))
    again = demo_create(reset=True)
    assert (again.created, again.replaced) == (True, True)
    assert again.workspace.pk != old_pk
    assert not Workspace.objects.filter(pk=old_pk).exists()
    assert content(again.workspace) == before  # seeded: the same data every time
    assert Workspace.objects.count() == 1
    assert Company.objects.count() == 40
    assert Product.objects.count() == 8
    assert User.objects.count() == 6
    assert set(User.objects.values_list("pk", flat=True)).isdisjoint(old_user_ids)


def test_reset_keeps_a_demo_user_who_joined_a_real_workspace(demo, workspace):
    pm = User.objects.get(email="pm@demo.headway.local")
    Membership.objects.create(workspace=workspace, user=pm, role="pm")
    pm.set_password("her-own-password-1")
    pm.save()
    demo_create(reset=True)
    kept = User.objects.get(email="pm@demo.headway.local")
    assert kept.pk == pm.pk
    assert kept.check_password("her-own-password-1")
    pm_id = pm.pk
    assert Membership.objects.filter(user_id=pm_id).count() == 2
    assert User.objects.count() == 6


def test_a_real_workspace_called_demo_is_never_touched(db):
    from headway.workspaces.tests.factories import WorkspaceFactory

    real = WorkspaceFactory(name="Demo Corp", slug="demo", is_demo=False)
    with pytest.raises(Conflict) as exc:
        demo_create(reset=True)
    assert exc.value.message == "The workspace with slug 'demo' is not the demo workspace; it is left untouched."
    with pytest.raises(Conflict) as exc:
        demo_create()
    assert exc.value.message == "A workspace with slug 'demo' exists and is not the demo workspace."
    assert Workspace.objects.get().pk == real.pk


def test_cli_demo_prints_the_url_and_logins(db, capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert 'Created the demo workspace "Northwind Software".' in out
    assert "Open http://127.0.0.1:8000/ and sign in as one of:" in out
    assert "  admin        admin@demo.headway.local        headway-demo  Avery Stone" in out
    assert "  pm           pm2@demo.headway.local          headway-demo  Marco Rossi" in out
    assert "  viewer       viewer@demo.headway.local       headway-demo  Dana Whitfield" in out

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert 'The demo workspace "Northwind Software" exists already (use --reset to recreate it).' in out
    assert "  leader       leader@demo.headway.local       headway-demo  Jordan Blake" in out

    assert main(["demo", "--reset"]) == 0
    assert 'Created the demo workspace "Northwind Software" again.' in capsys.readouterr().out
    assert Company.objects.count() == 40


def test_cli_demo_refuses_a_real_demo_slug(db, capsys):
    from headway.workspaces.tests.factories import WorkspaceFactory

    WorkspaceFactory(slug="demo")
    assert main(["demo"]) == 1
    assert capsys.readouterr().err == (
        "headway demo: A workspace with slug 'demo' exists and is not the demo workspace.\n"
    )

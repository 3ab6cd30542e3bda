import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from headway.accounts.models import User
from headway.backlog.models import Feature, FeatureDependency, FeatureObjective, FeatureTag, Requirement, Tag
from headway.cli import main
from headway.core.errors import Conflict
from headway.core.models import AuditEvent
from headway.customers.models import Company, Contact
from headway.ops.demo import DEMO_PASSWORD, demo_create
from headway.ops.demo_ideas import PORTAL_PEOPLE
from headway.portfolio.models import Component, Product, ProductLine
from headway.reports.alignment import quarter_of
from headway.reports.selectors import alignment_report
from headway.strategy.models import CheckIn, Initiative, KeyResult, Objective, Vision
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
        "visions": list(
            Vision.objects.filter(workspace=workspace)
            .order_by("product__key")
            .values_list("product__key", "statement", "mission", "principles")
        ),
        "objectives": list(
            Objective.objects.filter(workspace=workspace)
            .order_by("starts_on", "title")
            .values_list("title", "parent__title", "owner__email", "product__key", "status", "starts_on", "ends_on")
        ),
        "key_results": list(
            KeyResult.objects.filter(workspace=workspace)
            .order_by("objective__starts_on", "objective__title", "position")
            .values_list("objective__title", "title", "start_value", "target_value", "current_value", "direction")
        ),
        "check_ins": list(
            CheckIn.objects.filter(workspace=workspace)
            .order_by("objective__starts_on", "objective__title", "date", "id")
            .values_list("objective__title", "date", "health", "comment", "progress")
        ),
        "initiatives": list(
            Initiative.objects.filter(workspace=workspace)
            .order_by("title")
            .values_list("title", "owner__email", "status", "starts_on", "ends_on")
        ),
        "features": list(
            Feature.objects.filter(workspace=workspace)
            .order_by("product__key", "rank")
            .values_list(
                "product__key", "number", "title", "status__name", "effort", "owner__email", "initiative__title"
            )
        ),
        "feature_objectives": sorted(
            FeatureObjective.objects.filter(workspace=workspace).values_list("feature__title", "objective__title")
        ),
        "feature_tags": sorted(
            FeatureTag.objects.filter(workspace=workspace).values_list("feature__title", "tag__name")
        ),
        "dependencies": sorted(
            FeatureDependency.objects.filter(workspace=workspace).values_list("blocker__title", "blocked__title")
        ),
        "requirements": list(
            Requirement.objects.filter(workspace=workspace)
            .order_by("feature__title", "position")
            .values_list("feature__title", "story", "done")
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
    assert User.objects.count() == 6 + PORTAL_PEOPLE + 1  # the team, customers on the portal, a partner


def test_demo_is_written_through_the_services_with_an_audit_trail(demo):
    actions = Counter(AuditEvent.objects.filter(workspace=demo.workspace).values_list("action", flat=True))
    assert actions["product_line.create"] == 3
    assert actions["product.create"] == 8
    assert actions["component.create"] == 26
    assert actions["company.create"] == 40
    assert actions["contact.create"] == 114
    assert actions["membership.create"] == 5  # the admin joined by creating the workspace
    assert actions["workspace.create"] == 1
    assert actions["vision.create"] == 6
    assert actions["objective.create"] == 20
    assert actions["key_result.create"] == 24
    assert actions["check_in.create"] == 61
    assert actions["initiative.create"] == 9
    assert actions["feature.create"] == 148
    assert actions["requirement.create"] == 15
    assert actions["feature.move"] == 3


def test_demo_strategy_two_quarters_of_objectives_with_key_results_and_check_ins(demo):
    ws = demo.workspace
    today = timezone.localdate()
    current = quarter_of(today)
    previous = quarter_of(current.starts_on - dt.timedelta(days=1))
    visions = Vision.objects.filter(workspace=ws).values_list("product__key", flat=True)
    assert sorted(visions, key=lambda key: key or "") == [None, "API", "BIL", "CHK", "FRD", "INS"]
    periods = Counter(Objective.objects.filter(workspace=ws).values_list("starts_on", "ends_on"))
    assert periods == {(previous.starts_on, previous.ends_on): 7, (current.starts_on, current.ends_on): 13}
    roots = Objective.objects.filter(workspace=ws, parent__isnull=True, starts_on=current.starts_on)
    assert list(roots.order_by("position").values_list("title", flat=True)) == [
        "Grow payment volume 25% year over year",
        "Become the analytics platform finance teams rely on",
        "Be ready for enterprise buyers",
        "Launch the partner program",
    ]
    # Three levels: company → product line → PM goal.
    goal = Objective.objects.get(workspace=ws, title="Ship one-page checkout to every merchant")
    assert (goal.parent.title, goal.parent.parent.title, goal.owner.email, goal.product.key) == (
        "Make checkout the fastest way to pay in Europe", "Grow payment volume 25% year over year",
        "pm@demo.headway.local", "CHK",
    )  # fmt: skip
    assert Counter(Objective.objects.filter(workspace=ws).values_list("status", flat=True)) == {
        "on_track": 9, "done": 5, "at_risk": 4, "off_track": 1, "dropped": 1,
    }  # fmt: skip
    assert KeyResult.objects.filter(workspace=ws).count() == 24
    assert set(KeyResult.objects.filter(workspace=ws).values_list("direction", flat=True)) == {
        "increase", "decrease", "keep_above", "keep_below",
    }  # fmt: skip
    assert CheckIn.objects.filter(workspace=ws).count() == 61
    dates = CheckIn.objects.filter(workspace=ws).values_list("date", flat=True)
    assert previous.starts_on <= min(dates) and max(dates) <= today
    assert Counter(Initiative.objects.filter(workspace=ws).values_list("status", flat=True)) == {
        "active": 6, "proposed": 2, "paused": 1,
    }  # fmt: skip


def test_demo_backlog_has_150_features_in_realistic_states(demo):
    ws = demo.workspace
    features = Feature.objects.filter(workspace=ws)
    assert features.count() == 148
    assert Counter(features.values_list("status__name", flat=True)) == {
        "New": 42, "Discovery": 28, "Ready": 29, "In progress": 17, "Released": 24, "Parked": 4, "Won't do": 4,
    }  # fmt: skip
    assert Counter(features.values_list("product__key", flat=True)) == {
        "CHK": 28, "INS": 24, "API": 23, "BIL": 19, "IDN": 19, "FRD": 15, "FCST": 11, "RPT": 9,
    }  # fmt: skip
    assert features.filter(effort__isnull=True).count() == 39
    assert features.filter(owner__isnull=True).count() == 10
    assert FeatureObjective.objects.filter(workspace=ws).count() == 116
    assert (Tag.objects.filter(workspace=ws).count(), FeatureTag.objects.filter(workspace=ws).count()) == (21, 149)
    assert Requirement.objects.filter(workspace=ws).count() == 15
    assert FeatureDependency.objects.filter(workspace=ws).count() == 10
    # Ranked: in-progress work first, and the leader's three moves took effect.
    chk = list(features.filter(product__key="CHK").order_by("rank").values_list("title", flat=True))
    assert chk[:4] == [
        "One-page checkout: address autocomplete",
        "One-page checkout: saved cards for returning shoppers",
        "iDEAL 2.0 migration",
        "Retry a declined card without re-entering details",
    ]


def test_demo_alignment_report_has_work_to_say_no_to(demo):
    leader = User.objects.get(email="leader@demo.headway.local")
    r = alignment_report(actor=leader, workspace=demo.workspace, period=quarter_of(timezone.localdate()))
    assert r.total.as_dict() == {"planned": 294, "in_progress": 92, "total": 386, "features": 116, "unestimated": 34}
    assert (r.aligned.total, r.no_objective.total, r.other_objectives.total) == (269, 70, 47)
    assert [o.title for o in r.objectives_without_work] == ["Launch the partner program"]
    assert r.objectives_in_period == 13
    assert [i.title for i in r.initiatives][-1] == "No initiative"
    assert r.not_aligned[0].effort == 21


def test_demo_again_without_reset_changes_nothing(demo):
    before = content(demo.workspace)
    again = demo_create()
    assert again.created is False
    assert again.workspace.pk == demo.workspace.pk
    assert content(again.workspace) == before
    assert Workspace.objects.count() == 1
    assert User.objects.count() == 6 + PORTAL_PEOPLE + 1  # the team, customers on the portal, a partner


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
    assert User.objects.count() == 6 + PORTAL_PEOPLE + 1  # the team, customers on the portal, a partner
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
    assert User.objects.count() == 6 + PORTAL_PEOPLE + 1  # the team, customers on the portal, a partner


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


def test_demo_insights_inbox_has_feedback_from_every_channel_themes_and_evidence(demo):
    from headway.insights.models import FeedbackNote, Highlight, LabelCorrection, NoteImport, Theme, ThemeSpace

    ws = demo.workspace
    notes = FeedbackNote.objects.filter(workspace=ws)
    assert notes.count() == 139
    assert Counter(notes.values_list("source", flat=True)) == {"import": 49, "api": 37, "manual": 34, "email": 19}
    assert Counter(notes.values_list("channel", flat=True)) == {
        "Sales call": 34, "NPS survey": 24, "App Store reviews": 25, "Intercom": 20, "Email": 19, "Zendesk": 17,
    }  # fmt: skip
    assert Counter(notes.values_list("state", flat=True)) == {"new": 50, "processed": 61, "archived": 19, "snoozed": 9}
    assert notes.exclude(assignee=None).count() == 109
    assert notes.exclude(company=None).values("company").distinct().count() == 37
    assert not notes.filter(kind="").exists() and not notes.filter(sentiment="").exists()  # all classified
    oldest = timezone.now() - dt.timedelta(weeks=26)
    assert not notes.filter(received_at__lt=oldest).exists()
    assert not notes.filter(received_at__gt=timezone.now()).exists()
    imports = NoteImport.objects.filter(workspace=ws).order_by("filename")
    assert list(imports.values_list("filename", "status", "created")) == [
        ("insights-app-reviews.csv", "done", 25), ("nps-survey-export.csv", "done", 24),
    ]  # fmt: skip

    themes = Theme.objects.filter(workspace=ws)
    assert ThemeSpace.objects.filter(workspace=ws).count() == 1
    assert themes.count() == 5
    assert sorted(themes.filter(pinned=True, renamed=True).values_list("name", flat=True)) == [
        "Dashboards: speed and exports", "Enterprise security",
    ]  # fmt: skip

    highlights = Highlight.objects.filter(workspace=ws).select_related("note")
    assert highlights.count() == 25
    assert (highlights.filter(feature__isnull=False).count(), highlights.filter(idea__isnull=False).count()) == (23, 2)
    assert all(h.note.text[h.start : h.end] == h.quote for h in highlights)
    assert LabelCorrection.objects.filter(workspace=ws).count() == 2
    actions = Counter(AuditEvent.objects.filter(workspace=ws).values_list("action", flat=True))
    assert (actions["note.create"], actions["highlight.create"]) == (90, 25)

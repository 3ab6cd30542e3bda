"""Strategy services: every rule, every audit event, and the permission matrix."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.portfolio import services as portfolio
from headway.strategy import services
from headway.strategy.models import (
    CheckIn,
    Initiative,
    InitiativeObjective,
    KeyResult,
    Objective,
    Vision,
    VisionVersion,
)
from headway.strategy.selectors import workspace_progress
from headway.strategy.tests.conftest import Q2, YEAR

pytestmark = pytest.mark.django_db


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- visions ----------------------------------------------------------------------------------


def test_vision_create_keeps_version_one_and_records_it(workspace, leader):
    vision = services.vision_create(
        actor=leader, workspace=workspace, statement="  Paid in one click. ", mission="Remove friction"
    )
    assert vision.statement == "Paid in one click."
    assert vision.product is None
    version = VisionVersion.objects.get()
    assert (version.number, version.statement, version.mission, version.author) == (
        1,
        "Paid in one click.",
        "Remove friction",
        leader,
    )
    assert version.workspace_id == workspace.pk
    [event] = events("vision.create")
    assert event.changes == {"statement": [None, "Paid in one click."], "mission": [None, "Remove friction"]}


def test_vision_update_adds_a_version_per_change_and_nothing_for_no_change(workspace, leader, admin):
    vision = services.vision_create(actor=leader, workspace=workspace, statement="A", principles="- one\n- two")
    services.vision_update(actor=admin, vision=vision, statement="B", principles="- one\r\n- two")
    services.vision_update(actor=leader, vision=vision, statement="B")  # nothing changed: no version
    assert [(v.number, v.statement, v.author) for v in vision.versions.order_by("number")] == [
        (1, "A", leader),
        (2, "B", admin),
    ]
    [event] = events("vision.update")
    assert event.changes == {"statement": ["A", "B"], "version": [1, 2]}  # CRLF from a browser is no change


def test_one_vision_per_workspace_and_per_product(workspace, leader, product):
    services.vision_create(actor=leader, workspace=workspace, statement="Company")
    services.vision_create(actor=leader, workspace=workspace, product=product, statement="Checkout")
    with pytest.raises(Conflict) as exc:
        services.vision_create(actor=leader, workspace=workspace, statement="Again")
    assert exc.value.message == "This workspace already has a vision. Edit it instead."
    with pytest.raises(Conflict) as exc:
        services.vision_create(actor=leader, workspace=workspace, product=product)
    assert exc.value.fields == {"product": ["CHK Checkout already has a vision. Edit it instead."]}
    assert Vision.objects.count() == 2


def test_the_database_refuses_a_second_workspace_vision(workspace):
    Vision.objects.create(workspace=workspace)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vision.objects.create(workspace=workspace)


def test_vision_save_creates_then_updates(workspace, leader, product):
    first = services.vision_save(actor=leader, workspace=workspace, product=product, statement="v1")
    second = services.vision_save(actor=leader, workspace=workspace, product=product, statement="v2")
    assert first.pk == second.pk
    assert list(second.versions.values_list("number", "statement")) == [(2, "v2"), (1, "v1")]


def test_a_vision_cannot_belong_to_another_workspaces_product(workspace, leader, outsider, other_workspace):
    line = portfolio.product_line_create(actor=outsider, workspace=other_workspace, name="Theirs")
    theirs = portfolio.product_create(
        actor=outsider, workspace=other_workspace, product_line=line, name="Theirs", key="THR"
    )
    with pytest.raises(ValidationFailed) as exc:
        services.vision_create(actor=leader, workspace=workspace, product=theirs)
    assert exc.value.fields == {"product": ["Choose a product of this workspace."]}


# --- objectives -------------------------------------------------------------------------------


def test_objective_create_places_it_last_among_siblings_and_audits(workspace, leader, pm, company, product):
    first = services.objective_create(actor=leader, workspace=workspace, title="A", parent=company, **Q2)
    second = services.objective_create(
        actor=leader, workspace=workspace, title=" B ", parent=company, owner=pm.pk, product=product, **Q2
    )
    assert (first.position, second.position, second.title, second.owner) == (0, 1, "B", pm)
    event = events("objective.create")[-1]
    assert event.changes == {
        "parent": [None, "Win EU SMB payments"],
        "title": [None, "B"],
        "owner": [None, "Pat PM"],
        "product": [None, "CHK Checkout"],
        "period_kind": [None, "Quarter"],
        "starts_on": [None, "2026-04-01"],
        "ends_on": [None, "2026-06-30"],
        "status": [None, "On track"],
        "weight": [None, 1],
    }


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"starts_on": dt.date(2026, 6, 30), "ends_on": dt.date(2026, 4, 1), "period_kind": "custom"},
            "ends_on",
            "The end date (2026-04-01) must be on or after the start (2026-06-30).",
        ),
        (
            {"starts_on": dt.date(2026, 1, 1), "ends_on": dt.date(2026, 12, 31), "period_kind": "quarter"},
            "ends_on",
            "A quarter runs 84–95 days; 2026-01-01 to 2026-12-31 is 365 days. Fix the dates or choose custom dates.",
        ),
        ({**Q2, "period_kind": "fortnight"}, "period_kind", "Value 'fortnight' is not a valid choice."),
        ({**Q2, "status": "great"}, "status", "Value 'great' is not a valid choice."),
        ({**Q2, "weight": 0}, "weight", "Give a whole number from 1 to 100."),
        ({**Q2, "weight": True}, "weight", "Give a whole number from 1 to 100."),
        ({**Q2, "title": "   "}, "title", "This field cannot be blank."),
        ({"starts_on": "2026-13-01", "ends_on": dt.date(2026, 6, 30)}, "starts_on", None),
    ],
)
def test_objective_create_refuses_bad_values_naming_the_field(workspace, leader, fields, field, message):
    data = {"title": "Grow", **fields}
    with pytest.raises(ValidationFailed) as exc:
        services.objective_create(actor=leader, workspace=workspace, **data)
    assert field in exc.value.fields
    if message:
        assert exc.value.fields[field] == [message]
    assert Objective.objects.count() == 0
    assert AuditEvent.objects.filter(action="objective.create").count() == 0


def test_the_database_refuses_dates_out_of_order(workspace):
    with pytest.raises(IntegrityError), transaction.atomic():
        Objective.objects.create(
            workspace=workspace, title="x", starts_on=dt.date(2026, 2, 1), ends_on=dt.date(2026, 1, 1)
        )


def test_objective_owner_must_be_a_member_who_manages_products(workspace, leader, contributor, outsider):
    with pytest.raises(ValidationFailed) as exc:
        services.objective_create(actor=leader, workspace=workspace, title="x", owner=contributor, **Q2)
    assert exc.value.fields["owner"] == [
        "Cory Contributor is a contributor; an owner must be a product manager, product leader or admin."
    ]
    with pytest.raises(NotFound) as exc:
        services.objective_create(actor=leader, workspace=workspace, title="x", owner=outsider, **Q2)
    assert exc.value.fields == {"owner": [f"User {outsider.pk} is not a member of this workspace."]}


def test_product_must_sit_in_the_chosen_product_line(workspace, leader, product):
    other_line = portfolio.product_line_create(actor=leader, workspace=workspace, name="Risk")
    with pytest.raises(ValidationFailed) as exc:
        services.objective_create(
            actor=leader, workspace=workspace, title="x", product_line=other_line, product=product, **Q2
        )
    assert exc.value.fields == {"product": ["CHK Checkout is in the product line “Payments”, not “Risk”."]}


def test_objective_update_records_only_what_changed(workspace, leader, pm, company):
    services.objective_update(actor=leader, objective=company, title="Win EU SMB payments", status="at_risk", owner=pm)
    [event] = events("objective.update")
    assert event.changes == {"owner": ["Lee Leader", "Pat PM"], "status": ["On track", "At risk"]}
    company.refresh_from_db()
    assert (company.status, company.owner) == ("at_risk", pm)


def test_objective_update_refuses_the_parent_and_reverts_a_refused_edit(workspace, leader, company, pm_objective):
    with pytest.raises(ValidationFailed) as exc:
        services.objective_update(actor=leader, objective=pm_objective, parent=None)
    assert exc.value.fields == {"parent": ["Use objective_move to put an objective under another parent."]}
    with pytest.raises(ValidationFailed):
        services.objective_update(actor=leader, objective=company, title="New", ends_on=dt.date(2025, 1, 1))
    assert (company.title, company.ends_on) == ("Win EU SMB payments", dt.date(2026, 12, 31))


# --- the cascade: moves and cycles ------------------------------------------------------------


@pytest.fixture
def chain(workspace, leader):
    """grow › europe › checkout, plus a second top-level objective ``retain``."""
    grow = services.objective_create(actor=leader, workspace=workspace, title="Grow", **YEAR)
    europe = services.objective_create(actor=leader, workspace=workspace, title="Europe", parent=grow, **YEAR)
    checkout = services.objective_create(actor=leader, workspace=workspace, title="Checkout", parent=europe, **Q2)
    retain = services.objective_create(actor=leader, workspace=workspace, title="Retain", **YEAR)
    return grow, europe, checkout, retain


def test_an_objective_cannot_be_its_own_ancestor(workspace, leader, chain):
    grow, europe, checkout, _ = chain
    with pytest.raises(ValidationFailed) as exc:
        services.objective_move(actor=leader, objective=grow, parent=checkout)
    assert exc.value.fields == {
        "parent": [
            "An objective cannot be its own ancestor: “Checkout” is already under “Grow” "
            "(Grow › Europe › Checkout), so “Grow” cannot go under it."
        ]
    }
    with pytest.raises(ValidationFailed) as exc:
        services.objective_move(actor=leader, objective=europe, parent=europe)
    assert exc.value.fields == {"parent": ["An objective cannot be its own parent."]}
    assert list(Objective.objects.order_by("pk").values_list("title", "parent__title")) == [
        ("Grow", None),
        ("Europe", "Grow"),
        ("Checkout", "Europe"),
        ("Retain", None),
    ]
    assert events("objective.move") == []


def test_the_database_refuses_an_objective_as_its_own_parent(workspace, chain):
    grow = chain[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Objective.objects.filter(pk=grow.pk).update(parent=grow.pk)


def test_move_reparents_with_children_and_renumbers_both_sides(workspace, leader, chain):
    grow, europe, checkout, retain = chain
    sibling = services.objective_create(actor=leader, workspace=workspace, title="US", parent=grow, **YEAR)
    assert (europe.position, sibling.position) == (0, 1)
    services.objective_move(actor=leader, objective=europe, parent=retain)
    europe.refresh_from_db()
    sibling.refresh_from_db()
    checkout.refresh_from_db()
    assert (europe.parent, europe.position, sibling.position, checkout.parent) == (retain, 0, 0, europe)
    [event] = events("objective.move")
    assert event.changes == {"parent": ["Grow", "Retain"], "position": [0, 0]}
    services.objective_move(actor=leader, objective=europe, parent=None, position=0)
    assert list(
        Objective.objects.filter(parent__isnull=True).order_by("position").values_list("title", "position")
    ) == [("Europe", 0), ("Grow", 1), ("Retain", 2)]


def test_move_refuses_an_archived_or_foreign_parent(workspace, leader, chain, outsider, other_workspace):
    _, europe, _, retain = chain
    services.objective_archive(actor=leader, objective=retain)
    with pytest.raises(Conflict) as exc:
        services.objective_move(actor=leader, objective=europe, parent=retain)
    assert exc.value.fields == {"parent": ["The objective “Retain” is archived. Choose another parent."]}
    theirs = services.objective_create(actor=outsider, workspace=other_workspace, title="Theirs", **Q2)
    with pytest.raises(NotFound):
        services.objective_move(actor=leader, objective=europe, parent=theirs)


def test_archive_refuses_an_objective_with_active_children_then_restores(workspace, leader, chain):
    _, europe, checkout, _ = chain
    with pytest.raises(Conflict) as exc:
        services.objective_archive(actor=leader, objective=europe)
    assert exc.value.message == ("“Europe” still has active child objectives (“Checkout”). Move or archive them first.")
    services.objective_archive(actor=leader, objective=checkout)
    services.objective_archive(actor=leader, objective=europe)
    with pytest.raises(Conflict) as exc:
        services.objective_restore(actor=leader, objective=checkout)
    assert exc.value.message == "Its parent “Europe” is archived. Restore the parent first, or move this objective."
    with pytest.raises(Conflict):
        services.objective_update(actor=leader, objective=europe, title="Nope")
    services.objective_restore(actor=leader, objective=europe)
    europe.refresh_from_db()
    assert (europe.archived_at, europe.position) == (None, 0)
    assert [e.changes["archived_at"][1] is None for e in events("objective.restore")] == [True]


# --- key results ------------------------------------------------------------------------------


def test_key_result_create_starts_at_the_start_value(workspace, leader, company):
    kr = services.key_result_create(
        actor=leader, objective=company, title="Churn", start_value="8", target_value=4.0, direction="decrease"
    )
    assert (kr.current_value, kr.target_value, kr.position, kr.workspace_id) == (
        Decimal("8.0000"),
        Decimal("4.0000"),
        0,
        workspace.pk,
    )
    [event] = events("key_result.create")
    assert event.changes == {
        "objective": [None, "Win EU SMB payments"],
        "title": [None, "Churn"],
        "start_value": [None, "8"],
        "target_value": [None, "4"],
        "current_value": [None, "8"],
        "direction": [None, "Decrease to"],
        "weight": [None, 1],
    }


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"start_value": 10, "target_value": 10},
            "target_value",
            "To increase, the target must be above the start value (10).",
        ),
        (
            {"start_value": 10, "target_value": 5},
            "target_value",
            "To increase, the target must be above the start value (10).",
        ),
        (
            {"start_value": 4, "target_value": 8, "direction": "decrease"},
            "target_value",
            "To decrease, the target must be below the start value (4).",
        ),
        ({"target_value": "1.23456"}, "target_value", "Use at most 4 decimal places."),
        ({"target_value": "ten"}, "target_value", "“ten” is not a number."),
        ({"target_value": True}, "target_value", "Enter a number."),
        ({"target_value": float("inf")}, "target_value", "Enter a finite number."),
        ({"target_value": 10**16}, "target_value", "Enter a number with at most 16 digits before the decimal point."),
        ({"target_value": 5, "direction": "sideways"}, "direction", "Value 'sideways' is not a valid choice."),
    ],
)
def test_key_result_rules(workspace, leader, company, fields, field, message):
    with pytest.raises(ValidationFailed) as exc:
        services.key_result_create(actor=leader, objective=company, title="KR", **fields)
    assert exc.value.fields == {field: [message]}
    assert KeyResult.objects.count() == 0


def test_keep_above_and_below_may_have_any_start(workspace, leader, company):
    kr = services.key_result_create(
        actor=leader, objective=company, title="Uptime", start_value=99.9, target_value=99.9, direction="keep_above"
    )
    assert kr.target_value == Decimal("99.9")


def test_the_database_refuses_a_target_equal_to_the_start(workspace, company):
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyResult.objects.create(workspace=workspace, objective=company, title="x", start_value=5, target_value=5)


def test_key_result_update_checks_direction_against_the_new_values(workspace, leader, pm_objective):
    kr = pm_objective.key_results.get()
    with pytest.raises(ValidationFailed):
        services.key_result_update(actor=leader, key_result=kr, direction="decrease")
    assert kr.direction == "increase"
    services.key_result_update(actor=leader, key_result=kr, direction="decrease", start_value=40, target_value=20)
    [event] = events("key_result.update")
    assert event.changes == {
        "start_value": ["20", "40"],
        "target_value": ["40", "20"],
        "direction": ["Increase to", "Decrease to"],
    }


def test_key_result_delete_is_recorded_on_the_objective_and_renumbers(workspace, leader, pm_objective):
    first = pm_objective.key_results.get()
    second = services.key_result_create(actor=leader, objective=pm_objective, title="NPS", target_value=50)
    services.key_result_delete(actor=leader, key_result=first)
    second.refresh_from_db()
    assert second.position == 0
    [event] = events("key_result.delete")
    assert (event.target_type, event.target_id, event.changes) == (
        "strategy.objective",
        pm_objective.pk,
        {"key_result": ["Conversion", None]},
    )


# --- check-ins --------------------------------------------------------------------------------


def test_check_in_updates_values_snapshots_progress_and_sets_the_status(workspace, pm, pm_objective, company):
    kr = pm_objective.key_results.get()
    check_in = services.check_in_create(
        actor=pm,
        objective=pm_objective,
        health="at_risk",
        comment="Wallets shipped\r\nto half the traffic",
        values={kr.pk: "35"},
        date=dt.date(2026, 5, 4),
    )
    kr.refresh_from_db()
    pm_objective.refresh_from_db()
    assert kr.current_value == Decimal("35")
    assert (check_in.progress, check_in.values, check_in.author, check_in.comment) == (
        Decimal("0.75"),
        {str(kr.pk): "35"},
        pm,
        "Wallets shipped\nto half the traffic",
    )
    assert pm_objective.status == "at_risk"
    assert [e.action for e in AuditEvent.objects.filter(actor=pm).order_by("pk")] == [
        "key_result.update",
        "check_in.create",
        "objective.update",
    ]
    assert events("check_in.create")[0].changes == {
        "health": [None, "At risk"],
        "progress": [None, "75%"],
        "comment": [None, "Wallets shipped\nto half the traffic"],
    }
    # The company objective has no key results of its own: it follows its only child.
    assert workspace_progress(workspace.pk) == {company.pk: 0.75, pm_objective.pk: 0.75}


def test_an_earlier_check_in_does_not_overrule_a_newer_health(workspace, pm, pm_objective):
    services.check_in_create(actor=pm, objective=pm_objective, health="off_track", date=dt.date(2026, 5, 10))
    services.check_in_create(actor=pm, objective=pm_objective, health="on_track", date=dt.date(2026, 5, 3))
    pm_objective.refresh_from_db()
    assert pm_objective.status == "off_track"
    assert list(CheckIn.objects.values_list("date", "health")) == [
        (dt.date(2026, 5, 10), "off_track"),
        (dt.date(2026, 5, 3), "on_track"),
    ]


def test_check_in_without_measures_keeps_no_progress(workspace, leader, company):
    check_in = services.check_in_create(actor=leader, objective=company, health="on_track", date=dt.date(2026, 2, 1))
    assert (check_in.progress, check_in.values) == (None, {})


def test_check_in_refusals(workspace, leader, pm, pm_objective, company):
    other_kr = services.key_result_create(actor=leader, objective=company, title="Revenue", target_value=10)
    with pytest.raises(ValidationFailed) as exc:
        services.check_in_create(actor=pm, objective=pm_objective, health="on_track", values={other_kr: 5})
    assert exc.value.fields == {"values": [f"Key result {other_kr.pk} does not belong to “Effortless checkout”."]}
    with pytest.raises(ValidationFailed) as exc:
        services.check_in_create(actor=pm, objective=pm_objective, health="fine")
    assert exc.value.fields == {"health": ["Choose one of on_track, at_risk, off_track."]}
    with pytest.raises(ValidationFailed) as exc:
        services.check_in_create(actor=pm, objective=pm_objective, health="on_track", date=dt.date(2999, 1, 1))
    assert list(exc.value.fields) == ["date"]
    services.objective_update(actor=leader, objective=pm_objective, status="done")
    with pytest.raises(Conflict) as exc:
        services.check_in_create(actor=pm, objective=pm_objective, health="on_track")
    assert exc.value.message == (
        "“Effortless checkout” is done. Set its status back to on track, at risk or off track to check in again."
    )
    assert CheckIn.objects.count() == 0
    assert pm_objective.key_results.get().current_value == Decimal("20")


# --- initiatives ------------------------------------------------------------------------------


def test_initiative_links_objectives_and_products_with_their_workspace(workspace, leader, pm, company, product):
    initiative = services.initiative_create(
        actor=leader,
        workspace=workspace,
        title="One-click wallets",
        problem="Typing card numbers on mobile",
        owner=pm,
        status="active",
        starts_on=dt.date(2026, 4, 1),
        objectives=[company, company.pk],
        products=[product.pk],
    )
    assert initiative.linked_objectives == [company]
    assert initiative.linked_products == [product]
    assert InitiativeObjective.objects.get().workspace_id == workspace.pk
    [event] = events("initiative.create")
    assert event.changes == {
        "title": [None, "One-click wallets"],
        "problem": [None, "Typing card numbers on mobile"],
        "owner": [None, "Pat PM"],
        "status": [None, "Active"],
        "starts_on": [None, "2026-04-01"],
        "objectives": [None, ["Win EU SMB payments"]],
        "products": [None, ["CHK Checkout"]],
    }


def test_initiative_update_replaces_links_and_checks_dates(workspace, leader, company, pm_objective, product):
    initiative = services.initiative_create(actor=leader, workspace=workspace, title="Bet", objectives=[company])
    services.initiative_update(actor=leader, initiative=initiative, objectives=[pm_objective], products=[product])
    assert initiative.linked_objectives == [pm_objective]
    [event] = events("initiative.update")
    assert event.changes == {
        "objectives": [["Win EU SMB payments"], ["Effortless checkout"]],
        "products": [[], ["CHK Checkout"]],
    }
    with pytest.raises(ValidationFailed) as exc:
        services.initiative_update(
            actor=leader, initiative=initiative, starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 4, 1)
        )
    assert list(exc.value.fields) == ["ends_on"]
    with pytest.raises(NotFound) as exc:
        services.initiative_update(actor=leader, initiative=initiative, objectives=[999_999])
    assert exc.value.fields == {"objectives": ["No objective 999999 in this workspace."]}


def test_initiative_archive_and_restore(workspace, leader):
    initiative = services.initiative_create(actor=leader, workspace=workspace, title="Bet")
    services.initiative_archive(actor=leader, initiative=initiative)
    with pytest.raises(Conflict):
        services.initiative_update(actor=leader, initiative=initiative, title="x")
    services.initiative_restore(actor=leader, initiative=initiative)
    assert Initiative.objects.get().archived_at is None
    assert [e.action for e in AuditEvent.objects.filter(target_type="strategy.initiative").order_by("pk")] == [
        "initiative.create",
        "initiative.archive",
        "initiative.restore",
    ]


# --- the permission matrix --------------------------------------------------------------------

MANAGE = {"admin": True, "leader": True, "pm": False, "contributor": False, "viewer": False}


def _calls(world):
    """(name, call) for each write; each call runs as ``actor``."""
    ws, objective, kr, initiative, vision = (
        world["workspace"],
        world["objective"],
        world["kr"],
        world["initiative"],
        world["vision"],
    )
    return {
        "vision_create": lambda a: services.vision_create(actor=a, workspace=ws, product=world["product"]),
        "vision_update": lambda a: services.vision_update(actor=a, vision=vision, statement="Changed"),
        "objective_create": lambda a: services.objective_create(actor=a, workspace=ws, title="New", **Q2),
        "objective_update": lambda a: services.objective_update(actor=a, objective=objective, title="Changed"),
        "objective_move": lambda a: services.objective_move(actor=a, objective=objective, parent=None),
        "objective_archive": lambda a: services.objective_archive(actor=a, objective=objective),
        "key_result_create": lambda a: services.key_result_create(
            actor=a, objective=objective, title="K", target_value=1
        ),
        "key_result_define": lambda a: services.key_result_update(actor=a, key_result=kr, target_value=99),
        "key_result_delete": lambda a: services.key_result_delete(actor=a, key_result=kr),
        "key_result_value": lambda a: services.key_result_update(actor=a, key_result=kr, current_value=30),
        "check_in": lambda a: services.check_in_create(actor=a, objective=objective, health="at_risk"),
        "initiative_create": lambda a: services.initiative_create(actor=a, workspace=ws, title="New"),
        "initiative_update": lambda a: services.initiative_update(actor=a, initiative=initiative, title="Changed"),
        "initiative_archive": lambda a: services.initiative_archive(actor=a, initiative=initiative),
    }


CHECK_IN = {"admin": True, "leader": True, "pm": True, "contributor": False, "viewer": False}  # pm: owner only
ACTIONS = [
    "vision_create", "vision_update", "objective_create", "objective_update", "objective_move", "objective_archive",
    "key_result_create", "key_result_define", "key_result_delete", "key_result_value", "check_in",
    "initiative_create", "initiative_update", "initiative_archive",
]  # fmt: skip


@pytest.fixture
def world(workspace, leader, pm, product, company, pm_objective):
    return {
        "workspace": workspace,
        "product": product,
        "objective": pm_objective,
        "kr": pm_objective.key_results.get(),
        "initiative": services.initiative_create(actor=leader, workspace=workspace, title="Bet"),
        "vision": services.vision_create(actor=leader, workspace=workspace, statement="Company"),
    }


def _state(workspace):
    return (
        list(Objective.objects.order_by("pk").values()),
        list(KeyResult.objects.order_by("pk").values()),
        list(CheckIn.objects.order_by("pk").values()),
        list(Initiative.objects.order_by("pk").values()),
        list(Vision.objects.order_by("pk").values()),
        list(VisionVersion.objects.order_by("pk").values_list("pk")),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_matrix(world, member, role, action, pm):
    expected = CHECK_IN[role] if action in ("key_result_value", "check_in") else MANAGE[role]
    # The PM column is the objective's owner; another PM is tested below.
    actor = pm if role == "pm" else member(role)
    before = _state(world["workspace"])
    call = _calls(world)[action]
    if expected:
        call(actor)
        assert _state(world["workspace"]) != before
    else:
        with pytest.raises(PermissionDenied):
            call(actor)
        assert _state(world["workspace"]) == before  # a denied call changes nothing


@pytest.mark.parametrize("action", ["key_result_value", "check_in"])
def test_a_pm_checks_in_only_on_objectives_they_own(world, member, action):
    other_pm = member("pm", full_name="Quinn PM")
    before = _state(world["workspace"])
    with pytest.raises(PermissionDenied) as exc:
        _calls(world)[action](other_pm)
    assert exc.value.message == "Your role (Product manager) may not check in on this objective."
    assert _state(world["workspace"]) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_outsiders_get_not_found_and_change_nothing(world, outsider, action):
    before = _state(world["workspace"])
    with pytest.raises(NotFound):
        _calls(world)[action](outsider)
    assert _state(world["workspace"]) == before

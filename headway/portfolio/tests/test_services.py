"""Portfolio writes: exact results, audit rows (old → new), clear errors, and refused writes change nothing."""

import pytest

from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.portfolio import services
from headway.portfolio.models import Component, Product, ProductLine
from headway.portfolio.tests.factories import ComponentFactory, ProductFactory, ProductLineFactory


def positions(model, **siblings):
    qs = model.objects.filter(archived_at__isnull=True, **siblings).order_by("position")
    return list(qs.values_list("name", "position"))


def last_event():
    return AuditEvent.objects.order_by("-id").first()


@pytest.fixture
def line(workspace):
    return ProductLineFactory(workspace=workspace, name="Payments")


@pytest.fixture
def product(line, pm):
    return ProductFactory(product_line=line, name="Checkout", key="CHK", owner=pm)


# --- product lines ----------------------------------------------------------------------------


def test_product_line_create_places_last_and_records_fields(leader, workspace):
    first = services.product_line_create(actor=leader, workspace=workspace, name="  Payments  ", description="Money")
    second = services.product_line_create(actor=leader, workspace=workspace, name="Analytics")
    assert (first.name, first.description, first.position) == ("Payments", "Money", 0)
    assert second.position == 1
    event = AuditEvent.objects.get(target_id=first.pk, action="product_line.create")
    assert event.actor == leader
    assert event.workspace == workspace
    assert event.target_type == "portfolio.productline"
    assert event.target_repr == "Payments"
    assert event.changes == {"name": [None, "Payments"], "description": [None, "Money"], "position": [None, 0]}


def test_product_line_create_blank_name_is_refused(leader, workspace):
    with pytest.raises(ValidationFailed) as exc:
        services.product_line_create(actor=leader, workspace=workspace, name="   ")
    assert exc.value.fields == {"name": ["This field cannot be blank."]}
    assert exc.value.message == "name: This field cannot be blank."
    assert ProductLine.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_product_line_name_is_unique_ignoring_case_even_when_archived(leader, workspace, line):
    with pytest.raises(Conflict) as exc:
        services.product_line_create(actor=leader, workspace=workspace, name="PAYMENTS")
    assert exc.value.fields == {"name": ["A product line named “Payments” already exists in this workspace."]}
    line.archived_at = line.created_at
    line.save()
    with pytest.raises(Conflict) as exc:
        services.product_line_create(actor=leader, workspace=workspace, name="payments")
    message = "A product line named “Payments” (archived) already exists in this workspace."
    assert exc.value.fields == {"name": [message]}
    assert ProductLine.objects.count() == 1


def test_same_product_line_name_in_another_workspace_is_fine(leader, workspace, other_workspace, member, line):
    other_leader = member("leader", ws=other_workspace)
    created = services.product_line_create(actor=other_leader, workspace=other_workspace, name="Payments")
    assert created.position == 0


@pytest.mark.parametrize("role", ["pm", "contributor", "viewer"])
def test_product_line_create_denied_below_leader(member, workspace, role):
    with pytest.raises(PermissionDenied):
        services.product_line_create(actor=member(role), workspace=workspace, name="Payments")
    assert ProductLine.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_product_line_create_by_outsider_is_not_found(outsider, workspace):
    with pytest.raises(NotFound):
        services.product_line_create(actor=outsider, workspace=workspace, name="Payments")
    assert ProductLine.objects.count() == 0


def test_product_line_update_records_old_and_new(leader, line):
    updated = services.product_line_update(actor=leader, product_line=line, name="Payments & Billing", description="x")
    assert updated.name == "Payments & Billing"
    line.refresh_from_db()
    assert (line.name, line.description) == ("Payments & Billing", "x")
    event = last_event()
    assert event.action == "product_line.update"
    assert event.changes == {"name": ["Payments", "Payments & Billing"], "description": ["", "x"]}


def test_product_line_update_without_change_records_nothing(leader, line):
    services.product_line_update(actor=leader, product_line=line, name="Payments")
    assert AuditEvent.objects.count() == 0


def test_product_line_update_unknown_field_is_refused(leader, line):
    with pytest.raises(ValidationFailed) as exc:
        services.product_line_update(actor=leader, product_line=line, position=3)
    assert list(exc.value.fields) == ["position"]
    assert exc.value.message == "position: Not a field you can change on a product line; use one of name, description."


def test_refused_update_leaves_object_and_row_unchanged(leader, workspace, line):
    ProductLineFactory(workspace=workspace, name="Analytics")
    with pytest.raises(Conflict):
        services.product_line_update(actor=leader, product_line=line, name="analytics")
    assert line.name == "Payments"  # the caller's object shows the stored value again
    line.refresh_from_db()
    assert line.name == "Payments"
    assert AuditEvent.objects.count() == 0


def test_product_line_update_denied_for_pm(pm, line):
    with pytest.raises(PermissionDenied, match=r"Your role \(Product manager\) may not manage the portfolio\."):
        services.product_line_update(actor=pm, product_line=line, name="Mine")
    line.refresh_from_db()
    assert line.name == "Payments"


def test_product_line_archive_refused_while_products_are_active(leader, line, product):
    with pytest.raises(Conflict) as exc:
        services.product_line_archive(actor=leader, product_line=line)
    assert exc.value.message == (
        "“Payments” still has active products (CHK). Move them to another product line or archive them first."
    )
    line.refresh_from_db()
    assert line.archived_at is None


def test_product_line_archive_and_restore_keep_positions_dense(leader, workspace, line):
    analytics = ProductLineFactory(workspace=workspace, name="Analytics")
    ProductLineFactory(workspace=workspace, name="Platform")
    services.product_line_archive(actor=leader, product_line=line)
    assert line.archived_at is not None
    assert positions(ProductLine, workspace=workspace) == [("Analytics", 0), ("Platform", 1)]
    event = last_event()
    assert event.action == "product_line.archive"
    assert event.changes == {"archived_at": [None, line.archived_at.isoformat()], "position": [0, None]}

    archived_at = line.archived_at
    services.product_line_restore(actor=leader, product_line=line)
    assert line.archived_at is None
    assert positions(ProductLine, workspace=workspace) == [("Analytics", 0), ("Platform", 1), ("Payments", 2)]
    assert last_event().changes == {"archived_at": [archived_at.isoformat(), None], "position": [None, 2]}
    analytics.refresh_from_db()
    assert analytics.position == 0


def test_archiving_twice_is_a_no_op(leader, line):
    services.product_line_archive(actor=leader, product_line=line)
    services.product_line_archive(actor=leader, product_line=line)
    assert AuditEvent.objects.filter(action="product_line.archive").count() == 1


def test_product_line_move(leader, workspace, line):
    ProductLineFactory(workspace=workspace, name="Analytics")
    ProductLineFactory(workspace=workspace, name="Platform")
    moved = services.product_line_move(actor=leader, product_line=line, position=2)
    assert moved.position == 2
    assert positions(ProductLine, workspace=workspace) == [("Analytics", 0), ("Platform", 1), ("Payments", 2)]
    assert last_event().changes == {"position": [0, 2]}
    services.product_line_move(actor=leader, product_line=line, position=99)  # past the end = last, no change
    assert last_event().changes == {"position": [0, 2]}
    assert AuditEvent.objects.filter(action="product_line.move").count() == 1


@pytest.mark.parametrize("position", [-1, True, "1", None])
def test_move_rejects_a_position_that_is_not_a_whole_number(leader, line, position):
    with pytest.raises(ValidationFailed) as exc:
        services.product_line_move(actor=leader, product_line=line, position=position)
    assert exc.value.fields == {"position": ["Give a whole number of 0 or more (0 = first)."]}


def test_archived_things_are_read_only_until_restored(leader, line, product):
    component = ComponentFactory(product=product, name="Web")
    services.product_archive(actor=leader, product=product)
    with pytest.raises(Conflict) as exc:
        services.product_update(actor=leader, product=product, name="Renamed")
    assert exc.value.message == "The product “CHK Checkout” is archived. Restore it before editing it."
    with pytest.raises(Conflict) as exc:
        services.component_update(actor=leader, component=component, name="Renamed")
    assert exc.value.message == "Its product “CHK Checkout” is archived. Restore it before editing it."
    empty = ProductLineFactory(workspace=line.workspace, name="Empty")
    services.product_line_archive(actor=leader, product_line=empty)
    with pytest.raises(Conflict):
        services.product_line_update(actor=leader, product_line=empty, name="Renamed")
    product.refresh_from_db()
    component.refresh_from_db()
    empty.refresh_from_db()
    assert (product.name, component.name, empty.name) == ("Checkout", "Web", "Empty")
    assert AuditEvent.objects.filter(action__endswith=".update").count() == 0


def test_archived_product_line_cannot_be_moved(leader, line):
    services.product_line_archive(actor=leader, product_line=line)
    with pytest.raises(Conflict, match="Restore it before moving it"):
        services.product_line_move(actor=leader, product_line=line, position=0)


# --- products ---------------------------------------------------------------------------------


def test_product_create_records_every_field(leader, workspace, line, pm):
    product = services.product_create(
        actor=leader,
        workspace=workspace,
        product_line=line,
        name="Checkout",
        key=" chk ",
        description="One-page checkout",
        owner=pm,
        stage="growth",
        target_customers="Online shops",
    )
    product.refresh_from_db()
    assert (product.key, product.name, product.owner, product.stage, product.position) == (
        "CHK",
        "Checkout",
        pm,
        "growth",
        0,
    )
    assert last_event().changes == {
        "product_line": [None, "Payments"],
        "name": [None, "Checkout"],
        "key": [None, "CHK"],
        "description": [None, "One-page checkout"],
        "owner": [None, "Pat PM"],
        "stage": [None, "growth"],
        "target_customers": [None, "Online shops"],
        "position": [None, 0],
    }
    second = services.product_create(actor=leader, workspace=workspace, product_line=line, name="Payouts", key="PAY")
    assert (second.position, second.stage, second.owner) == (1, "concept", None)


def test_product_owner_may_be_given_by_id(leader, workspace, line, pm):
    product = services.product_create(
        actor=leader, workspace=workspace, product_line=line, name="Checkout", key="CHK", owner=pm.pk
    )
    assert product.owner == pm


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_product_owner_must_manage_products(leader, workspace, line, member, role):
    person = member(role, full_name="Sam Sales")
    with pytest.raises(ValidationFailed) as exc:
        services.product_create(actor=leader, workspace=workspace, product_line=line, name="X", key="XX", owner=person)
    label = {"viewer": "viewer", "contributor": "contributor"}[role]
    assert exc.value.fields == {
        "owner": [f"Sam Sales is a {label}; a product owner must be a product manager, product leader or admin."]
    }
    assert Product.objects.count() == 0


def test_product_owner_must_be_a_member(leader, workspace, line, outsider):
    with pytest.raises(NotFound) as exc:
        services.product_create(
            actor=leader, workspace=workspace, product_line=line, name="X", key="XX", owner=outsider
        )
    assert exc.value.fields == {"owner": [f"User {outsider.pk} is not a member of this workspace."]}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("1AB", "Use 2 to 10 capital letters or digits, starting with a letter (e.g. PAY)."),
        ("P", "Use 2 to 10 capital letters or digits, starting with a letter (e.g. PAY)."),
        ("PAY-1", "Use 2 to 10 capital letters or digits, starting with a letter (e.g. PAY)."),
        ("", "This field cannot be blank."),
    ],
)
def test_product_key_format(leader, workspace, line, key, message):
    with pytest.raises(ValidationFailed) as exc:
        services.product_create(actor=leader, workspace=workspace, product_line=line, name="X", key=key)
    assert exc.value.fields["key"][0] == message
    assert Product.objects.count() == 0


def test_product_stage_must_be_known(leader, workspace, line):
    with pytest.raises(ValidationFailed) as exc:
        services.product_create(actor=leader, workspace=workspace, product_line=line, name="X", key="XX", stage="beta")
    assert exc.value.fields == {"stage": ["Value 'beta' is not a valid choice."]}


def test_product_key_and_name_are_unique_in_the_workspace(leader, workspace, line, product):
    with pytest.raises(Conflict) as exc:
        services.product_create(actor=leader, workspace=workspace, product_line=line, name="Other", key="chk")
    assert exc.value.fields == {"key": ["The key CHK is already used by “CHK Checkout”."]}
    assert exc.value.message == "key: The key CHK is already used by “CHK Checkout”."
    with pytest.raises(Conflict) as exc:
        services.product_create(actor=leader, workspace=workspace, product_line=line, name="checkout", key="NEW")
    assert exc.value.fields == {"name": ["A product named “CHK Checkout” already exists in this workspace."]}
    assert Product.objects.count() == 1
    assert AuditEvent.objects.count() == 0


def test_product_create_in_archived_or_foreign_line_is_refused(leader, workspace, other_workspace):
    archived = ProductLineFactory(workspace=workspace, name="Old")
    services.product_line_archive(actor=leader, product_line=archived)
    with pytest.raises(Conflict) as exc:
        services.product_create(actor=leader, workspace=workspace, product_line=archived, name="X", key="XX")
    assert exc.value.fields == {
        "product_line": ["The product line “Old” is archived. Restore it or choose another one."]
    }
    foreign = ProductLineFactory(workspace=other_workspace)
    with pytest.raises(ValidationFailed) as exc:
        services.product_create(actor=leader, workspace=workspace, product_line=foreign, name="X", key="XX")
    assert exc.value.fields == {"product_line": ["Choose a product line of this workspace."]}
    assert Product.objects.count() == 0


def test_pm_cannot_create_products(pm, workspace, line):
    with pytest.raises(PermissionDenied):
        services.product_create(actor=pm, workspace=workspace, product_line=line, name="X", key="XX", owner=pm)
    assert Product.objects.count() == 0


def test_owning_pm_edits_their_product(pm, product):
    services.product_update(actor=pm, product=product, stage="development", description="Now **bold**")
    product.refresh_from_db()
    assert (product.stage, product.description) == ("development", "Now **bold**")
    event = last_event()
    assert (event.action, event.actor) == ("product.update", pm)
    assert event.changes == {"description": ["", "Now **bold**"], "stage": ["concept", "development"]}


def test_other_pm_cannot_edit_the_product(member, product):
    other_pm = member("pm")
    with pytest.raises(PermissionDenied, match="may not edit this product"):
        services.product_update(actor=other_pm, product=product, name="Hijacked")
    product.refresh_from_db()
    assert product.name == "Checkout"
    assert AuditEvent.objects.count() == 0


def test_pm_cannot_hand_the_product_to_someone_else(pm, leader, product):
    with pytest.raises(PermissionDenied) as exc:
        services.product_update(actor=pm, product=product, owner=leader)
    assert exc.value.message == "Only product leaders and admins may change a product's owner."
    product.refresh_from_db()
    assert product.owner == pm


def test_leader_reassigns_and_clears_the_owner(leader, pm, product):
    services.product_update(actor=leader, product=product, owner=leader)
    assert last_event().changes == {"owner": ["Pat PM", "Lee Leader"]}
    services.product_update(actor=leader, product=product, owner=None)
    product.refresh_from_db()
    assert product.owner is None
    assert last_event().changes == {"owner": ["Lee Leader", None]}


def test_product_update_key_is_upper_cased_and_unique(leader, workspace, line, product):
    ProductFactory(product_line=line, name="Payouts", key="PAY")
    services.product_update(actor=leader, product=product, key="cko")
    assert product.key == "CKO"
    with pytest.raises(Conflict) as exc:
        services.product_update(actor=leader, product=product, key="PAY")
    assert exc.value.fields == {"key": ["The key PAY is already used by “PAY Payouts”."]}
    assert product.key == "CKO"


def test_product_update_refuses_moving_lines_through_update(leader, workspace, product):
    other = ProductLineFactory(workspace=workspace)
    with pytest.raises(ValidationFailed) as exc:
        services.product_update(actor=leader, product=product, product_line=other)
    assert exc.value.fields == {"product_line": ["Use product_move to move a product to another product line."]}


def test_product_archive_and_restore(leader, line, product):
    payouts = ProductFactory(product_line=line, name="Payouts", key="PAY")
    services.product_archive(actor=leader, product=product)
    payouts.refresh_from_db()
    assert payouts.position == 0
    assert last_event().changes == {"archived_at": [None, product.archived_at.isoformat()], "position": [0, None]}
    services.product_restore(actor=leader, product=product)
    assert (product.archived_at, product.position) == (None, 1)
    assert positions(Product, product_line=line) == [("Payouts", 0), ("Checkout", 1)]


def test_pm_cannot_archive_even_their_own_product(pm, product):
    with pytest.raises(PermissionDenied):
        services.product_archive(actor=pm, product=product)
    product.refresh_from_db()
    assert product.archived_at is None


def test_product_restore_needs_an_active_line(leader, line, product):
    services.product_archive(actor=leader, product=product)
    services.product_line_archive(actor=leader, product_line=line)
    with pytest.raises(Conflict) as exc:
        services.product_restore(actor=leader, product=product)
    assert exc.value.message == "Its product line “Payments” is archived. Restore the product line first."
    product.refresh_from_db()
    assert product.archived_at is not None


def test_product_move_within_its_line(leader, line, product):
    ProductFactory(product_line=line, name="Payouts", key="PAY")
    ProductFactory(product_line=line, name="Invoicing", key="INV")
    services.product_move(actor=leader, product=product, position=1)
    assert positions(Product, product_line=line) == [("Payouts", 0), ("Checkout", 1), ("Invoicing", 2)]
    assert product.position == 1
    assert last_event().changes == {"position": [0, 1]}


def test_product_move_to_another_line_closes_the_gap(leader, workspace, line, product):
    payouts = ProductFactory(product_line=line, name="Payouts", key="PAY")
    analytics = ProductLineFactory(workspace=workspace, name="Analytics")
    ProductFactory(product_line=analytics, name="Dashboards", key="DSH")
    ProductFactory(product_line=analytics, name="Reports", key="REP")
    services.product_move(actor=leader, product=product, position=1, product_line=analytics)
    assert positions(Product, product_line=line) == [("Payouts", 0)]
    assert positions(Product, product_line=analytics) == [("Dashboards", 0), ("Checkout", 1), ("Reports", 2)]
    assert (product.product_line, product.position) == (analytics, 1)
    assert last_event().changes == {"product_line": ["Payments", "Analytics"], "position": [0, 1]}
    payouts.refresh_from_db()
    assert payouts.position == 0


def test_product_move_to_archived_line_is_refused(leader, workspace, product):
    old = ProductLineFactory(workspace=workspace, name="Old")
    services.product_line_archive(actor=leader, product_line=old)
    with pytest.raises(Conflict):
        services.product_move(actor=leader, product=product, position=0, product_line=old)
    product.refresh_from_db()
    assert product.product_line.name == "Payments"


def test_pm_cannot_move_products(pm, product):
    with pytest.raises(PermissionDenied):
        services.product_move(actor=pm, product=product, position=0)


# --- components -------------------------------------------------------------------------------


def test_owning_pm_adds_components_in_order(pm, product):
    api = services.component_create(actor=pm, product=product, name="Public API", description="REST")
    web = services.component_create(actor=pm, product=product, name="Web app")
    assert (api.position, web.position, api.workspace_id) == (0, 1, product.workspace_id)
    event = AuditEvent.objects.get(action="component.create", target_id=api.pk)
    assert event.changes == {
        "product": [None, "CHK Checkout"],
        "name": [None, "Public API"],
        "description": [None, "REST"],
        "position": [None, 0],
    }


def test_other_pm_cannot_add_components(member, product):
    with pytest.raises(PermissionDenied):
        services.component_create(actor=member("pm"), product=product, name="Sneaky")
    assert Component.objects.count() == 0


def test_component_name_unique_per_product(pm, leader, line, product):
    services.component_create(actor=pm, product=product, name="Web app")
    with pytest.raises(Conflict) as exc:
        services.component_create(actor=pm, product=product, name="WEB APP")
    assert exc.value.fields == {"name": ["This product already has a component named “Web app”."]}
    other = ProductFactory(product_line=line)
    assert services.component_create(actor=leader, product=other, name="Web app").position == 0


def test_component_on_archived_product_is_refused(leader, product):
    services.product_archive(actor=leader, product=product)
    with pytest.raises(Conflict) as exc:
        services.component_create(actor=leader, product=product, name="Late")
    assert exc.value.fields == {"product": ["The product “CHK Checkout” is archived. Restore it first."]}


def test_component_update_archive_restore(pm, product):
    component = ComponentFactory(product=product, name="Web app")
    ComponentFactory(product=product, name="Mobile")
    services.component_update(actor=pm, component=component, name="Web", description="SPA")
    assert last_event().changes == {"name": ["Web app", "Web"], "description": ["", "SPA"]}
    services.component_archive(actor=pm, component=component)
    assert positions(Component, product=product) == [("Mobile", 0)]
    services.component_restore(actor=pm, component=component)
    assert positions(Component, product=product) == [("Mobile", 0), ("Web", 1)]
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "component.update",
        "component.archive",
        "component.restore",
    ]


def test_component_restore_needs_an_active_product(leader, product):
    component = ComponentFactory(product=product, name="Web app")
    services.component_archive(actor=leader, component=component)
    services.product_archive(actor=leader, product=product)
    with pytest.raises(Conflict, match="Restore the product first"):
        services.component_restore(actor=leader, component=component)


def test_component_move_within_and_across_products(leader, line, product):
    web = ComponentFactory(product=product, name="Web")
    ComponentFactory(product=product, name="Mobile")
    services.component_move(actor=leader, component=web, position=1)
    assert positions(Component, product=product) == [("Mobile", 0), ("Web", 1)]
    other = ProductFactory(product_line=line, name="Payouts", key="PAY")
    ComponentFactory(product=other, name="Ledger")
    services.component_move(actor=leader, component=web, position=0, product=other)
    assert positions(Component, product=product) == [("Mobile", 0)]
    assert positions(Component, product=other) == [("Web", 0), ("Ledger", 1)]
    assert last_event().changes == {"product": ["CHK Checkout", "PAY Payouts"], "position": [1, 0]}


def test_component_move_to_a_product_the_pm_does_not_own_is_refused(pm, line, product):
    web = ComponentFactory(product=product, name="Web")
    foreign = ProductFactory(product_line=line, name="Payouts", key="PAY")
    with pytest.raises(PermissionDenied):
        services.component_move(actor=pm, component=web, position=0, product=foreign)
    web.refresh_from_db()
    assert web.product == product


def test_component_move_into_a_name_clash_is_refused(leader, line, product):
    web = ComponentFactory(product=product, name="Web")
    other = ProductFactory(product_line=line, name="Payouts", key="PAY")
    ComponentFactory(product=other, name="web")
    with pytest.raises(Conflict) as exc:
        services.component_move(actor=leader, component=web, position=0, product=other)
    message = "PAY Payouts already has a component named “Web”. Rename one of them first."
    assert exc.value.fields == {"product": [message]}
    web.refresh_from_db()
    assert (web.product, web.position) == (product, 0)

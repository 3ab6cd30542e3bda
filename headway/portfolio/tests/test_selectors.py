"""Portfolio reads: scoped to the workspace, exact order and filters, and a fixed number of queries."""

import pytest
from django.utils import timezone

from headway.core import permissions
from headway.core.errors import NotFound, ValidationFailed
from headway.portfolio import selectors
from headway.portfolio.tests.factories import ComponentFactory, ProductFactory, ProductLineFactory


@pytest.fixture
def portfolio(workspace, pm, leader):
    payments = ProductLineFactory(workspace=workspace, name="Payments")
    analytics = ProductLineFactory(workspace=workspace, name="Analytics")
    checkout = ProductFactory(product_line=payments, name="Checkout", key="CHK", owner=pm, stage="growth")
    payouts = ProductFactory(product_line=payments, name="Payouts", key="PAY", owner=leader, stage="mature")
    dashboards = ProductFactory(product_line=analytics, name="Dashboards", key="DSH", stage="concept")
    ComponentFactory(product=checkout, name="Web")
    ComponentFactory(product=checkout, name="Mobile")
    return {"payments": payments, "analytics": analytics, "checkout": checkout, "payouts": payouts, "dsh": dashboards}


def shape(lines):
    return [(line.name, [(p.key, [c.name for c in p.tree_components]) for p in line.tree_products]) for line in lines]


def archive(obj):
    obj.archived_at = timezone.now()
    obj.save()


def test_tree_is_lines_products_components_in_order(viewer, workspace, portfolio):
    lines = selectors.portfolio_tree(actor=viewer, workspace=workspace)
    assert shape(lines) == [
        ("Payments", [("CHK", ["Web", "Mobile"]), ("PAY", [])]),
        ("Analytics", [("DSH", [])]),
    ]
    assert lines[0].tree_products[0].owner.full_name == "Pat PM"


def test_tree_hides_archived_unless_asked_and_lists_them_after_active_ones(viewer, workspace, portfolio):
    archive(portfolio["checkout"])
    archive(portfolio["checkout"].components.get(name="Web"))
    archive(portfolio["payments"])
    assert shape(selectors.portfolio_tree(actor=viewer, workspace=workspace)) == [("Analytics", [("DSH", [])])]
    everything = selectors.portfolio_tree(actor=viewer, workspace=workspace, include_archived=True)
    assert shape(everything) == [
        ("Analytics", [("DSH", [])]),
        ("Payments", [("PAY", []), ("CHK", ["Mobile", "Web"])]),
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"search": "out"}, [("Payments", [("CHK", ["Web", "Mobile"]), ("PAY", [])])]),
        ({"search": "dsh"}, [("Analytics", [("DSH", [])])]),
        ({"stage": "mature"}, [("Payments", [("PAY", [])])]),
        ({"stage": "sunset"}, []),
    ],
)
def test_tree_filters_products_and_drops_lines_without_matches(viewer, workspace, portfolio, filters, expected):
    assert shape(selectors.portfolio_tree(actor=viewer, workspace=workspace, **filters)) == expected


def test_tree_filters_by_owner(viewer, workspace, portfolio, pm):
    assert shape(selectors.portfolio_tree(actor=viewer, workspace=workspace, owner=pm)) == [
        ("Payments", [("CHK", ["Web", "Mobile"])])
    ]


def test_tree_query_count_does_not_grow_with_the_portfolio(viewer, workspace, pm, django_assert_num_queries):
    for n in range(4):
        line = ProductLineFactory(workspace=workspace)
        for _ in range(3):
            product = ProductFactory(product_line=line, owner=pm)
            ComponentFactory(product=product)
            ComponentFactory(product=product)
    permissions.role_in(viewer, workspace)  # the role is cached for the request
    with django_assert_num_queries(3):  # lines, products with owners, components
        lines = selectors.portfolio_tree(actor=viewer, workspace=workspace, include_archived=True)
        names = [(p.owner.email, len(p.tree_components)) for line in lines for p in line.tree_products]
    assert len(names) == 12
    assert set(names) == {("pm@example.com", 2)}


def test_tree_of_another_workspace_is_not_found(outsider, workspace, portfolio):
    with pytest.raises(NotFound):
        selectors.portfolio_tree(actor=outsider, workspace=workspace)


def test_tree_shows_only_this_workspace(viewer, workspace, other_workspace, portfolio):
    ProductFactory(product_line=ProductLineFactory(workspace=other_workspace, name="Elsewhere"))
    assert [line.name for line in selectors.portfolio_tree(actor=viewer, workspace=workspace)] == [
        "Payments",
        "Analytics",
    ]


def test_product_list_filters_and_orders(viewer, workspace, portfolio, pm):
    def keys(**kwargs):
        return [p.key for p in selectors.product_list(actor=viewer, workspace=workspace, **kwargs)]

    assert keys() == ["CHK", "PAY", "DSH"]
    assert keys(ordering="name") == ["CHK", "DSH", "PAY"]
    assert keys(ordering="-key") == ["PAY", "DSH", "CHK"]
    assert keys(ordering="stage") == ["DSH", "CHK", "PAY"]
    assert keys(stage="growth") == ["CHK"]
    assert keys(owner=pm) == ["CHK"]
    assert keys(owner=pm.pk) == ["CHK"]
    assert keys(line=portfolio["analytics"]) == ["DSH"]
    assert keys(search="pay") == ["PAY"]
    archive(portfolio["payouts"])
    assert keys() == ["CHK", "DSH"]
    assert keys(include_archived=True) == ["CHK", "PAY", "DSH"]


def test_product_list_loads_owner_and_line_in_one_query(viewer, workspace, portfolio, django_assert_num_queries):
    permissions.role_in(viewer, workspace)
    with django_assert_num_queries(1):
        rows = [
            (p.key, p.owner.email if p.owner else None, p.product_line.name)
            for p in selectors.product_list(actor=viewer, workspace=workspace)
        ]
    assert rows == [
        ("CHK", "pm@example.com", "Payments"),
        ("PAY", "leader@example.com", "Payments"),
        ("DSH", None, "Analytics"),
    ]


def test_list_rejects_unknown_ordering_and_stage(viewer, workspace):
    with pytest.raises(ValidationFailed) as exc:
        selectors.product_list(actor=viewer, workspace=workspace, ordering="owner")
    assert list(exc.value.fields) == ["ordering"]
    with pytest.raises(ValidationFailed) as exc:
        selectors.product_list(actor=viewer, workspace=workspace, stage="beta")
    assert exc.value.fields == {"stage": ["Choose one of concept, development, growth, mature, sunset."]}


def test_get_from_another_workspace_is_not_found(leader, workspace, other_workspace):
    foreign_line = ProductLineFactory(workspace=other_workspace)
    foreign_product = ProductFactory(product_line=foreign_line)
    foreign_component = ComponentFactory(product=foreign_product)
    with pytest.raises(NotFound, match=r"No product line matches that id in this workspace\."):
        selectors.product_line_get(actor=leader, workspace=workspace, product_line_id=foreign_line.pk)
    with pytest.raises(NotFound, match=r"No product matches that id in this workspace\."):
        selectors.product_get(actor=leader, workspace=workspace, product_id=foreign_product.pk)
    with pytest.raises(NotFound, match=r"No component matches that id in this workspace\."):
        selectors.component_get(actor=leader, workspace=workspace, component_id=foreign_component.pk)


def test_product_line_list(viewer, workspace, portfolio):
    archive(portfolio["analytics"])
    assert [line.name for line in selectors.product_line_list(actor=viewer, workspace=workspace)] == ["Payments"]
    names = selectors.product_line_list(actor=viewer, workspace=workspace, include_archived=True, ordering="name")
    assert [line.name for line in names] == ["Analytics", "Payments"]


def test_component_list_and_components_of(viewer, workspace, portfolio):
    checkout = portfolio["checkout"]
    ComponentFactory(product=portfolio["dsh"], name="Charts")
    assert [c.name for c in selectors.component_list(actor=viewer, workspace=workspace)] == ["Web", "Mobile", "Charts"]
    assert [c.name for c in selectors.component_list(actor=viewer, workspace=workspace, product=checkout)] == [
        "Web",
        "Mobile",
    ]
    archive(checkout.components.get(name="Web"))
    assert [c.name for c in selectors.components_of(actor=viewer, product=checkout)] == ["Mobile", "Web"]
    assert [c.name for c in selectors.component_list(actor=viewer, workspace=workspace, search="o")] == ["Mobile"]


def test_owner_choices_are_people_who_manage_products(workspace, admin, leader, pm, contributor, viewer, outsider):
    emails = [u.email for u in selectors.owner_choices(actor=viewer, workspace=workspace)]
    assert emails == ["admin@example.com", "leader@example.com", "pm@example.com"]  # Ada, Lee, Pat


def test_products_of_a_line_lists_active_then_archived(viewer, workspace, portfolio):
    archive(portfolio["checkout"])
    assert [p.key for p in selectors.products_of(actor=viewer, product_line=portfolio["payments"])] == ["PAY", "CHK"]

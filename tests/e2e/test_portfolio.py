"""The portfolio in a real browser: build it, see it, edit it, reorder it, archive it."""

import re

import pytest
from playwright.sync_api import expect

from headway.portfolio.models import Product, ProductLine
from headway.portfolio.tests.factories import ComponentFactory, ProductFactory, ProductLineFactory


def tree_url(live_server):
    return f"{live_server.url}/w/acme/portfolio/"


def open_portfolio(page):
    page.get_by_role("complementary", name="Main navigation").get_by_role("link", name="Portfolio").click()


def product_names(page, line_name):
    line = page.locator("section.tree-line", has=page.get_by_role("heading", name=line_name))
    return line.locator(".tree-product .product-name").all_inner_texts()


def test_leader_builds_edits_and_archives_a_product(live_server, sign_in, leader, pm, screenshot):
    page = sign_in(leader)
    open_portfolio(page)
    expect(page.get_by_role("heading", name="Your portfolio is empty")).to_be_visible()
    screenshot("portfolio-empty")

    page.get_by_role("link", name="Create the first product line").click()
    page.get_by_role("button", name="Create product line").click()
    expect(page.get_by_role("alert")).to_have_text("This field is required.")
    screenshot("portfolio-line-form-error")
    page.get_by_label("Name").fill("Payments")
    page.get_by_label("Description").fill("Everything that moves **money**.")
    page.get_by_role("button", name="Create product line").click()
    expect(page.get_by_role("status").filter(has_text="Product line “Payments” created.")).to_be_visible()
    expect(page.get_by_text("No products in this line yet.")).to_be_visible()

    page.get_by_role("link", name="Add a product to Payments").click()
    expect(page.get_by_label("Product line")).to_have_value(str(ProductLine.objects.get().pk))
    page.get_by_label("Name").fill("Checkout")
    page.get_by_label("Key").fill("chk")
    page.get_by_label("Owner").select_option(label="Pat PM · pm@example.com")
    page.get_by_label("Lifecycle stage").select_option("growth")
    page.get_by_label("Target customers").fill("Online shops with 10-500 staff")
    page.get_by_label("Description").fill("One-page checkout.\n\n- cards\n- wallets")
    screenshot("portfolio-product-form")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CHK Checkout")
    expect(page.locator(".pf-prose li")).to_have_text(["cards", "wallets"])

    open_portfolio(page)
    product_row = page.locator("#tree .tree-product").filter(has_text="Checkout")
    expect(product_row).to_contain_text("CHK")
    expect(product_row).to_contain_text("Growth")
    expect(product_row).to_contain_text("Pat PM")
    screenshot("portfolio-tree-one-product")

    product_row.get_by_role("link", name="CHK Checkout").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name").fill("Checkout Pro")
    page.get_by_label("Lifecycle stage").select_option("mature")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CHK Checkout Pro")
    history = page.locator(".timeline")
    expect(history.locator("li").first).to_contain_text("product.update")
    expect(history.locator("li").first).to_contain_text("Checkout → Checkout Pro")
    expect(history.locator("li").first).to_contain_text("growth → mature")
    screenshot("portfolio-product-detail")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("This product is archived")).to_be_visible()
    assert Product.objects.get().archived_at is not None

    open_portfolio(page)
    expect(page.get_by_text("No products in this line yet.")).to_be_visible()
    expect(page.locator("#tree")).not_to_contain_text("Checkout Pro")
    page.get_by_label("Show archived").check()
    expect(page).to_have_url(re.compile(r"archived=1"))
    archived_row = page.locator("#tree .tree-product.is-archived")
    expect(archived_row).to_contain_text("Checkout Pro")
    expect(archived_row).to_contain_text("Archived")
    screenshot("portfolio-tree-show-archived")


@pytest.fixture
def portfolio(workspace, pm, leader):
    payments = ProductLineFactory(workspace=workspace, name="Payments", description="Moving money for merchants.")
    analytics = ProductLineFactory(workspace=workspace, name="Analytics", description="Insight for finance teams.")
    checkout = ProductFactory(product_line=payments, name="Checkout", key="CHK", owner=pm, stage="growth")
    for name in ["Web", "Mobile SDK", "Fraud rules"]:
        ComponentFactory(product=checkout, name=name)
    ProductFactory(product_line=payments, name="Payouts", key="PAY", owner=leader, stage="mature")
    ProductFactory(product_line=payments, name="Invoicing", key="INV", stage="concept")
    ProductFactory(product_line=analytics, name="Dashboards", key="DSH", owner=pm, stage="development")
    ProductFactory(product_line=analytics, name="Revenue reports", key="REV", owner=leader, stage="sunset")
    return {"payments": payments, "analytics": analytics}


def test_move_buttons_reorder_products(live_server, sign_in, leader, portfolio, screenshot):
    page = sign_in(leader)
    page.goto(tree_url(live_server))
    assert product_names(page, "Payments") == ["Checkout", "Payouts", "Invoicing"]
    screenshot("portfolio-tree")
    page.get_by_role("button", name="Move Checkout down").click()
    expect(page.locator("section.tree-line").first.locator(".product-name")).to_have_text(
        ["Payouts", "Checkout", "Invoicing"]
    )
    # htmx keeps the focus on the button that was pressed, so a keyboard user can press again
    expect(page.locator(f"#product-{Product.objects.get(key='CHK').pk}-down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("section.tree-line").first.locator(".product-name")).to_have_text(
        ["Payouts", "Invoicing", "Checkout"]
    )
    payments = Product.objects.filter(product_line=portfolio["payments"]).order_by("position")
    assert list(payments.values_list("key", "position")) == [("PAY", 0), ("INV", 1), ("CHK", 2)]
    page.get_by_role("button", name="Move Analytics up").click()
    expect(page.locator("section.tree-line h2")).to_have_text(["Analytics", "Payments"])

    page.get_by_role("link", name="CHK Checkout").click()
    components = page.locator("#components .component-row strong")
    expect(components).to_have_text(["Web", "Mobile SDK", "Fraud rules"])
    page.get_by_role("button", name="Move Fraud rules up").click()
    expect(components).to_have_text(["Web", "Fraud rules", "Mobile SDK"])
    screenshot("portfolio-product-components")
    page.get_by_role("link", name="Payments", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments")
    screenshot("portfolio-line-detail")


def test_drag_and_drop_moves_a_product_to_another_line(live_server, sign_in, leader, portfolio):
    page = sign_in(leader)
    page.goto(tree_url(live_server))
    invoicing = Product.objects.get(key="INV")
    dashboards = Product.objects.get(key="DSH")
    handle = page.locator(f"#product-{invoicing.pk} .drag-handle").bounding_box()
    target = page.locator(f"#product-{dashboards.pk}").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    for step in range(1, 21):  # SortableJS reacts to a movement, not a jump
        page.mouse.move(target["x"] + 40, handle["y"] + (target["y"] + 8 - handle["y"]) * step / 20)
    with page.expect_response(re.compile(rf"/products/{invoicing.pk}/move/")) as response:
        page.mouse.up()
    assert response.value.status == 200
    expect(page.locator("section.tree-line").nth(1).locator(".product-key")).to_have_text(["INV", "DSH", "REV"])
    expect(page.locator("section.tree-line").nth(0).locator(".product-key")).to_have_text(["CHK", "PAY"])
    invoicing.refresh_from_db()
    assert invoicing.product_line == portfolio["analytics"]
    analytics = Product.objects.filter(product_line=portfolio["analytics"]).order_by("position")
    assert list(analytics.values_list("key", "position")) == [("INV", 0), ("DSH", 1), ("REV", 2)]


def test_viewer_sees_the_tree_without_controls(live_server, sign_in, viewer, portfolio, screenshot):
    page = sign_in(viewer)
    page.goto(tree_url(live_server))
    expect(page.locator("#tree .tree-product")).to_have_count(5)
    expect(page.get_by_role("link", name="New product")).to_have_count(0)
    expect(page.locator(".drag-handle")).to_have_count(0)
    expect(page.locator(".move-buttons")).to_have_count(0)
    page.get_by_label("Lifecycle stage").select_option("growth")
    expect(page.locator("#tree .tree-product")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"stage=growth"))
    screenshot("portfolio-tree-viewer-filtered")
    page.set_viewport_size({"width": 820, "height": 1000})  # a tablet held upright
    page.get_by_label("Lifecycle stage").select_option("")
    expect(page.locator("#tree .tree-product")).to_have_count(5)
    expect(page.locator("#tree .tree-product").first.locator(".owner-name")).to_be_visible()
    page.wait_for_timeout(300)  # the sidebar slides away
    screenshot("portfolio-tree-tablet")

"""Portfolio pages: exact content per role, htmx fragments, forms with inline errors, moves with
and without JavaScript, and isolation (someone outside the workspace gets 404)."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from headway.core.models import AuditEvent
from headway.portfolio.models import Component, Product, ProductLine
from headway.portfolio.tests.factories import ComponentFactory, ProductFactory, ProductLineFactory

BASE = "/w/acme/portfolio"
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response):
    """The page's visible text, whitespace collapsed, for exact phrase assertions."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(strong|em|code|del|ins|a|time)\b[^>]*>", "", html)  # inline: no word break
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def names_in_order(response, css_class):
    return re.findall(rf'class="{css_class}"[^>]*>([^<]+)<', response.content.decode())


@pytest.fixture
def data(workspace, pm, leader):
    payments = ProductLineFactory(workspace=workspace, name="Payments", description="Moving **money**.")
    analytics = ProductLineFactory(workspace=workspace, name="Analytics")
    checkout = ProductFactory(
        product_line=payments,
        name="Checkout",
        key="CHK",
        owner=pm,
        stage="growth",
        description="Pay in **one** step <script>alert(1)</script>",
        target_customers="Online shops",
    )
    payouts = ProductFactory(product_line=payments, name="Payouts", key="PAY", owner=leader, stage="mature")
    dashboards = ProductFactory(product_line=analytics, name="Dashboards", key="DSH", stage="concept")
    web = ComponentFactory(product=checkout, name="Web")
    mobile = ComponentFactory(product=checkout, name="Mobile")
    return {
        "payments": payments,
        "analytics": analytics,
        "checkout": checkout,
        "payouts": payouts,
        "dashboards": dashboards,
        "web": web,
        "mobile": mobile,
    }


# --- the tree ---------------------------------------------------------------------------------


def test_tree_shows_lines_products_owners_stages_and_components(web_client, viewer, data):
    response = web_client(viewer).get(f"{BASE}/")
    assert response.status_code == 200
    page = text(response)
    assert "2 product lines · 3 products" in page
    assert names_in_order(response, "product-name") == ["Checkout", "Payouts", "Dashboards"]
    assert names_in_order(response, "product-key") == ["CHK", "PAY", "DSH"]
    assert "Payments 2 products" in page
    assert "CHK Checkout Web Mobile Growth PP Pat PM" in page
    assert "PAY Payouts Mature LL Lee Leader" in page
    assert "DSH Dashboards Concept ? No owner" in page
    assert "Moving money." in page  # the description's Markdown, as plain text
    html = response.content.decode()
    assert 'aria-current="page"' in html
    # a viewer gets no controls
    for control in ("New product line", "move-buttons", "drag-handle", "Add a product"):
        assert control not in html


def test_leader_gets_create_and_reorder_controls(web_client, leader, data):
    response = web_client(leader).get(f"{BASE}/")
    html = response.content.decode()
    assert "New product line" in html
    assert 'aria-label="Add a product to Payments"' in html
    assert html.count('class="move-buttons"') == 5  # 2 lines + 3 products
    assert f'id="line-{data["payments"].pk}-up" aria-label="Move Payments up" title="Move up" disabled' in html
    assert f'id="product-{data["payouts"].pk}-down" aria-label="Move Payouts down" title="Move down" disabled' in html
    assert 'data-sortable="products"' in html
    assert "vendor/sortable.min.js" in html


def test_pm_sees_the_tree_without_portfolio_controls(web_client, pm, data):
    html = web_client(pm).get(f"{BASE}/").content.decode()
    assert "New product line" not in html
    assert "move-buttons" not in html


def test_empty_portfolio(web_client, leader, viewer):
    page = text(web_client(leader).get(f"{BASE}/"))
    assert "Your portfolio is empty" in page
    assert "Create the first product line" in page
    assert "Search products" not in web_client(leader).get(f"{BASE}/").content.decode()
    page = text(web_client(viewer).get(f"{BASE}/"))
    assert "No products yet Product leaders set up the portfolio; it will show here." in page


def test_all_lines_archived_points_to_the_toggle(web_client, leader, workspace):
    ProductLineFactory(workspace=workspace, name="Old", archived_at=timezone.now())
    page = text(web_client(leader).get(f"{BASE}/"))
    assert "No active product lines Every product line is archived." in page
    assert "Show archived" in page


def test_htmx_request_gets_only_the_tree_fragment(web_client, viewer, data):
    response = web_client(viewer).get(f"{BASE}/?stage=growth", **HTMX)
    html = response.content.decode().strip()
    assert html.startswith('<div id="tree" class="tree">')
    assert "<html" not in html
    assert "Search products" not in html
    assert names_in_order(response, "product-name") == ["Checkout"]
    assert "1 product line · 1 product matching your filters" in text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=pay", ["Payouts"]),
        ("q=dsh", ["Dashboards"]),
        ("stage=mature", ["Payouts"]),
        ("stage=nonsense", ["Checkout", "Payouts", "Dashboards"]),
        ("owner=abc", ["Checkout", "Payouts", "Dashboards"]),
    ],
)
def test_tree_filters(web_client, viewer, data, query, expected):
    assert names_in_order(web_client(viewer).get(f"{BASE}/?{query}"), "product-name") == expected


def test_tree_owner_filter_and_no_match(web_client, viewer, pm, data):
    client = web_client(viewer)
    assert names_in_order(client.get(f"{BASE}/?owner={pm.pk}"), "product-name") == ["Checkout"]
    page = text(client.get(f"{BASE}/?q=zzz"))
    assert "No products match Try another search, stage or owner — or clear the filters." in page


def test_show_archived(web_client, leader, data):
    data["payouts"].archived_at = timezone.now()
    data["payouts"].save()
    client = web_client(leader)
    assert names_in_order(client.get(f"{BASE}/"), "product-name") == ["Checkout", "Dashboards"]
    response = client.get(f"{BASE}/?archived=1")
    assert names_in_order(response, "product-name") == ["Checkout", "Payouts", "Dashboards"]
    assert "PAY Payouts Archived Mature" in text(response)
    assert f'class="tree-product is-archived" id="product-{data["payouts"].pk}"' in response.content.decode()
    # moves keep the view: their URLs carry the query string
    assert f'action="{BASE}/products/{data["checkout"].pk}/move/?archived=1"' in response.content.decode()


def test_tree_queries_do_not_grow_with_the_portfolio(web_client, leader, workspace, data, pm):
    client = web_client(leader)
    client.get(f"{BASE}/")
    with CaptureQueriesContext(connection) as small:
        client.get(f"{BASE}/")
    for _ in range(3):
        line = ProductLineFactory(workspace=workspace)
        for _ in range(4):
            ComponentFactory(product=ProductFactory(product_line=line, owner=pm))
    with CaptureQueriesContext(connection) as large:
        response = client.get(f"{BASE}/")
    assert "5 product lines · 15 products" in text(response)
    assert len(large) == len(small)


# --- isolation and permissions ----------------------------------------------------------------


def test_outsider_gets_404_everywhere(web_client, outsider, data):
    client = web_client(outsider)
    urls = [
        f"{BASE}/",
        f"{BASE}/lines/new/",
        f"{BASE}/lines/{data['payments'].pk}/",
        f"{BASE}/products/{data['checkout'].pk}/",
        f"{BASE}/products/{data['checkout'].pk}/edit/",
        f"{BASE}/components/{data['web'].pk}/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in [f"{BASE}/products/{data['checkout'].pk}/archive/", f"{BASE}/lines/{data['payments'].pk}/move/"]:
        assert client.post(url, {"direction": "down"}).status_code == 404, url
    assert Product.objects.filter(archived_at__isnull=False).count() == 0


def test_another_workspaces_objects_are_404_inside_mine(web_client, leader, data, other_workspace):
    theirs = ProductFactory(product_line=ProductLineFactory(workspace=other_workspace), name="Secret", key="SEC")
    client = web_client(leader)
    assert client.get(f"{BASE}/products/{theirs.pk}/").status_code == 404
    assert client.post(f"{BASE}/products/{theirs.pk}/archive/").status_code == 404
    assert (
        client.post(
            f"{BASE}/products/{data['checkout'].pk}/move/", {"position": 0, "parent": theirs.product_line_id}
        ).status_code
        == 302
    )
    data["checkout"].refresh_from_db()
    assert data["checkout"].product_line == data["payments"]


def test_anonymous_is_sent_to_sign_in(client, data):
    response = client.get(f"{BASE}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_viewer_cannot_open_or_post_forms(web_client, viewer, data):
    client = web_client(viewer)
    for url in [
        f"{BASE}/lines/new/",
        f"{BASE}/products/new/",
        f"{BASE}/lines/{data['payments'].pk}/edit/",
        f"{BASE}/products/{data['checkout'].pk}/edit/",
        f"{BASE}/products/{data['checkout'].pk}/components/new/",
        f"{BASE}/components/{data['web'].pk}/edit/",
    ]:
        assert client.get(url).status_code == 403, url
    response = client.post(f"{BASE}/lines/new/", {"name": "Sneaky"})
    assert response.status_code == 403
    assert "Your role (Viewer) may not manage the portfolio." in text(response)
    assert not ProductLine.objects.filter(name="Sneaky").exists()


def test_viewer_post_to_archive_changes_nothing(web_client, viewer, data):
    client = web_client(viewer)
    response = client.post(f"{BASE}/products/{data['checkout'].pk}/archive/", follow=True)
    assert "Your role (Viewer) may not manage the portfolio." in text(response)
    data["checkout"].refresh_from_db()
    assert data["checkout"].archived_at is None


# --- product lines ----------------------------------------------------------------------------


def test_create_product_line(web_client, leader, data):
    client = web_client(leader)
    assert "A product line groups products that are managed together" in text(client.get(f"{BASE}/lines/new/"))
    response = client.post(f"{BASE}/lines/new/", {"name": "Platform", "description": "Shared"})
    line = ProductLine.objects.get(name="Platform")
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/#line-{line.pk}"
    assert line.position == 2
    page = text(client.get(response["Location"]))
    assert "Product line “Platform” created." in page


def test_create_product_line_shows_errors_inline(web_client, leader, data):
    response = web_client(leader).post(f"{BASE}/lines/new/", {"name": "payments"})
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(
        r'<div class="field has-error">\s*<label for="id_name">Name.*?'
        r'<p class="error" role="alert">A product line named “Payments” already exists in this workspace.</p>',
        html,
        re.S,
    )
    assert ProductLine.objects.count() == 2


def test_line_page_edit_archive_restore(web_client, leader, data, workspace):
    client = web_client(leader)
    payments = data["payments"]
    page = text(client.get(f"{BASE}/lines/{payments.pk}/"))
    assert "Payments Product line" in page
    assert "Moving money." in page
    assert "CHK Checkout Growth PP Pat PM" in page
    response = client.post(f"{BASE}/lines/{payments.pk}/edit/", {"name": "Payments & Billing", "description": ""})
    assert response["Location"] == f"{BASE}/lines/{payments.pk}/"
    payments.refresh_from_db()
    assert (payments.name, payments.description) == ("Payments & Billing", "")
    history = text(client.get(f"{BASE}/lines/{payments.pk}/"))
    expected = (
        "product_line.update 0 minutes ago Name: Payments → Payments & Billing Description: Moving **money**. → —"
    )
    assert expected in history

    page = text(client.get(f"{BASE}/lines/{payments.pk}/"))
    assert "To archive this line, first move its 2 active products to another line or archive them." in page
    refused = client.post(f"{BASE}/lines/{payments.pk}/archive/", follow=True)
    assert "still has active products (CHK, PAY)" in text(refused)
    payments.refresh_from_db()
    assert payments.archived_at is None

    empty = ProductLineFactory(workspace=workspace, name="Empty")
    response = client.post(f"{BASE}/lines/{empty.pk}/archive/", follow=True)
    assert "“Empty” archived. It no longer shows in the portfolio; you can restore it here." in text(response)
    assert "This product line is archived and hidden from the portfolio." in text(response)
    response = client.post(f"{BASE}/lines/{empty.pk}/restore/", follow=True)
    assert "“Empty” restored to the portfolio." in text(response)
    empty.refresh_from_db()
    assert (empty.archived_at, empty.position) == (None, 2)


# --- moves ------------------------------------------------------------------------------------


def test_move_without_javascript_redirects_back_to_the_item(web_client, leader, data):
    client = web_client(leader)
    checkout = data["checkout"]
    response = client.post(f"{BASE}/products/{checkout.pk}/move/?archived=1", {"direction": "down"})
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/?archived=1#product-{checkout.pk}"
    checkout.refresh_from_db()
    assert checkout.position == 1
    assert "Moved CHK to position 2 in “Payments”." in text(client.get(response["Location"]))


def test_move_with_htmx_returns_the_fresh_tree(web_client, leader, data):
    response = web_client(leader).post(f"{BASE}/lines/{data['analytics'].pk}/move/", {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<div id="tree"')
    assert re.findall(r'<h2 id="line-\d+-name"><a [^>]+>([^<]+)</a>', html) == ["Analytics", "Payments"]


def test_drag_and_drop_posts_position_and_new_parent(web_client, leader, data):
    client = web_client(leader)
    payouts, analytics = data["payouts"], data["analytics"]
    response = client.post(f"{BASE}/products/{payouts.pk}/move/", {"position": 0, "parent": analytics.pk}, **HTMX)
    assert names_in_order(response, "product-name") == ["Checkout", "Payouts", "Dashboards"]
    payouts.refresh_from_db()
    assert (payouts.product_line, payouts.position) == (analytics, 0)


def test_refused_move_shows_the_reason_in_the_fragment(web_client, pm, leader, data):
    response = web_client(pm).post(f"{BASE}/products/{data['checkout'].pk}/move/", {"direction": "down"}, **HTMX)
    assert response.status_code == 200
    assert "Your role (Product manager) may not manage the portfolio." in text(response)
    data["checkout"].refresh_from_db()
    assert data["checkout"].position == 0


def test_move_needs_a_direction_or_position(web_client, leader, data):
    response = web_client(leader).post(f"{BASE}/lines/{data['payments'].pk}/move/", {}, **HTMX)
    assert "Say where to move it: a direction (up or down) or a position." in text(response)


def test_move_product_to_another_line_from_its_page(web_client, leader, data):
    client = web_client(leader)
    checkout = data["checkout"]
    page = text(client.get(f"{BASE}/products/{checkout.pk}/"))
    assert "Move to another product line Product line Analytics" in page
    response = client.post(
        f"{BASE}/products/{checkout.pk}/move/", {"parent": data["analytics"].pk, "position": 9999, "next": "product"}
    )
    assert response["Location"] == f"{BASE}/products/{checkout.pk}/"
    checkout.refresh_from_db()
    assert (checkout.product_line, checkout.position) == (data["analytics"], 1)


# --- products ---------------------------------------------------------------------------------


def test_product_page(web_client, viewer, data):
    response = web_client(viewer).get(f"{BASE}/products/{data['checkout'].pk}/")
    page = text(response)
    html = response.content.decode()
    assert "CHK Checkout Growth in Payments" in page
    assert "Pay in <strong>one</strong> step" in html  # Markdown rendered
    assert "<script>alert(1)</script>" not in html  # and sanitised
    assert "Key CHK Owner PP Pat PM Stage Growth Product line Payments" in page
    assert "Components (2) Web Mobile" in page
    assert "Online shops" in page
    assert "History No changes recorded yet." in page
    for control in ("Edit", "Archive", "Add component", "Move to another product line"):
        assert control not in page


def test_owning_pm_may_edit_but_not_archive(web_client, pm, data):
    client = web_client(pm)
    page = text(client.get(f"{BASE}/products/{data['checkout'].pk}/"))
    assert "Edit" in page and "Add component" in page
    assert "Archive" not in page
    other = text(client.get(f"{BASE}/products/{data['payouts'].pk}/"))
    assert "Edit" not in other and "Add component" not in other
    assert client.get(f"{BASE}/products/{data['payouts'].pk}/edit/").status_code == 403


def test_create_product(web_client, leader, pm, data):
    client = web_client(leader)
    form = client.get(f"{BASE}/products/new/?line={data['analytics'].pk}").content.decode()
    assert f'<option value="{data["analytics"].pk}" selected>Analytics</option>' in form
    assert f'<option value="{pm.pk}">Pat PM · pm@example.com</option>' in form
    response = client.post(
        f"{BASE}/products/new/",
        {
            "product_line": data["analytics"].pk,
            "name": "Forecasts",
            "key": "fct",
            "owner": pm.pk,
            "stage": "development",
            "target_customers": "CFOs",
            "description": "",
        },
    )
    product = Product.objects.get(key="FCT")
    assert response["Location"] == f"{BASE}/products/{product.pk}/"
    assert (product.product_line, product.owner, product.stage, product.position) == (
        data["analytics"],
        pm,
        "development",
        1,
    )
    page = text(client.get(response["Location"]))
    assert "Product FCT “Forecasts” created." in page
    assert "Lee Leader product.create" in page


def test_create_product_errors_inline(web_client, leader, data):
    response = web_client(leader).post(
        f"{BASE}/products/new/",
        {"product_line": data["payments"].pk, "name": "New", "key": "chk", "owner": "", "stage": "concept"},
    )
    assert response.status_code == 422
    assert '<p class="error" role="alert">The key CHK is already used by “CHK Checkout”.</p>' in (
        response.content.decode()
    )
    assert Product.objects.count() == 3


def test_create_product_without_lines_goes_to_line_form(web_client, leader):
    response = web_client(leader).get(f"{BASE}/products/new/", follow=True)
    assert response.redirect_chain[-1][0] == f"{BASE}/lines/new/"
    assert "Create a product line first: every product belongs to one." in text(response)


def test_edit_product_records_history(web_client, leader, data):
    client = web_client(leader)
    checkout = data["checkout"]
    form = client.get(f"{BASE}/products/{checkout.pk}/edit/").content.decode()
    assert 'value="CHK"' in form
    response = client.post(
        f"{BASE}/products/{checkout.pk}/edit/",
        {
            "name": "Checkout Pro",
            "key": "CHK",
            "owner": "",
            "stage": "mature",
            "target_customers": "Online shops",
            "description": checkout.description,
        },
    )
    assert response["Location"] == f"{BASE}/products/{checkout.pk}/"
    event = AuditEvent.objects.get(action="product.update")
    assert event.changes == {
        "name": ["Checkout", "Checkout Pro"],
        "owner": ["Pat PM", None],
        "stage": ["growth", "mature"],
    }
    assert "Name: Checkout → Checkout Pro Owner: Pat PM → — Stage: growth → mature" in text(
        client.get(response["Location"])
    )


def test_pm_edit_cannot_change_owner(web_client, pm, leader, data):
    client = web_client(pm)
    checkout = data["checkout"]
    form = client.get(f"{BASE}/products/{checkout.pk}/edit/").content.decode()
    assert re.search(r'<select name="owner"[^>]*disabled', form)
    assert "Only product leaders and admins change the owner." in form
    client.post(
        f"{BASE}/products/{checkout.pk}/edit/",
        {"name": "Checkout", "key": "CHK", "owner": leader.pk, "stage": "development", "description": ""},
    )
    checkout.refresh_from_db()
    assert (checkout.owner, checkout.stage) == (data["checkout"].owner, "development")
    assert checkout.owner.email == "pm@example.com"


def test_archive_and_restore_product(web_client, leader, data):
    client = web_client(leader)
    checkout = data["checkout"]
    response = client.post(f"{BASE}/products/{checkout.pk}/archive/", follow=True)
    page = text(response)
    assert "CHK “Checkout” archived. It no longer shows in the portfolio; you can restore it here." in page
    assert "This product is archived: it is hidden from the portfolio and cannot be edited." in page
    assert "Restore" in page
    assert names_in_order(client.get(f"{BASE}/"), "product-name") == ["Payouts", "Dashboards"]
    response = client.post(f"{BASE}/products/{checkout.pk}/restore/", follow=True)
    assert "CHK “Checkout” restored to the portfolio." in text(response)
    assert names_in_order(client.get(f"{BASE}/"), "product-name") == ["Payouts", "Checkout", "Dashboards"]


# --- components -------------------------------------------------------------------------------


def test_component_create_edit_archive_restore(web_client, pm, data):
    client = web_client(pm)
    checkout = data["checkout"]
    response = client.post(f"{BASE}/products/{checkout.pk}/components/new/", {"name": "API", "description": "REST"})
    assert response["Location"] == f"{BASE}/products/{checkout.pk}/#components"
    api = Component.objects.get(name="API")
    assert api.position == 2
    response = client.post(f"{BASE}/products/{checkout.pk}/components/new/", {"name": "api"})
    assert response.status_code == 422
    assert "This product already has a component named “API”." in text(response)

    response = client.post(f"{BASE}/components/{api.pk}/edit/", {"name": "Public API", "description": "REST"})
    assert response["Location"] == f"{BASE}/components/{api.pk}/"
    page = text(client.get(response["Location"]))
    assert "Public API Component of CHK Checkout" in page
    assert "component.update 0 minutes ago Name: API → Public API" in page

    client.post(f"{BASE}/components/{api.pk}/archive/")
    page = text(client.get(f"{BASE}/products/{checkout.pk}/"))
    assert "Components (2) Add component Web Mobile 1 archived component Public API Archived Restore" in page
    client.post(f"{BASE}/components/{api.pk}/restore/")
    api.refresh_from_db()
    assert (api.archived_at, api.position) == (None, 2)


def test_component_move_with_and_without_htmx(web_client, pm, data):
    client = web_client(pm)
    web, mobile = data["web"], data["mobile"]
    response = client.post(f"{BASE}/components/{web.pk}/move/", {"direction": "down"})
    assert response["Location"] == f"{BASE}/products/{data['checkout'].pk}/#component-{web.pk}"
    response = client.post(f"{BASE}/components/{web.pk}/move/", {"position": 0}, **HTMX)
    html = response.content.decode().strip()
    assert html.startswith('<section class="card" id="components"')
    assert re.findall(r"<strong>([^<]+)</strong>", html) == ["Web", "Mobile"]
    mobile.refresh_from_db()
    assert mobile.position == 1


def test_other_pm_cannot_touch_components(web_client, member, data):
    client = web_client(member("pm"))
    response = client.post(f"{BASE}/components/{data['web'].pk}/move/", {"direction": "down"}, **HTMX)
    assert "may not edit this product" in text(response)
    assert client.get(f"{BASE}/components/{data['web'].pk}/edit/").status_code == 403
    data["web"].refresh_from_db()
    assert data["web"].position == 0

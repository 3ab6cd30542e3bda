"""Strategy in a real browser: the cascade with progress, a PM's check-in that moves progress, the vision."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from headway.portfolio import services as portfolio
from headway.strategy import services
from headway.strategy.periods import quarter_of, year_of


@pytest.fixture
def plan(workspace, leader, pm, member):
    """A company objective for the year, a product objective for this quarter owned by the PM, key results."""
    pm2 = member("pm", email="pm2@example.com", full_name="Quinn PM")
    today = timezone.localdate()
    year, quarter = year_of(today), quarter_of(today)
    line = portfolio.product_line_create(actor=leader, workspace=workspace, name="Payments")
    product = portfolio.product_create(
        actor=leader, workspace=workspace, product_line=line, name="Checkout", key="CHK", owner=pm
    )
    services.vision_save(
        actor=leader,
        workspace=workspace,
        statement="Every small business in Europe gets paid in one click.",
        mission="We remove the friction between a customer deciding to buy and the money arriving.",
        principles="- Merchants first\n- Boring reliability beats clever features",
    )
    company = services.objective_create(
        actor=leader,
        workspace=workspace,
        title="Win European SMB payments",
        period_kind="year",
        starts_on=year.starts_on,
        ends_on=year.ends_on,
        owner=leader,
    )
    services.key_result_create(
        actor=leader, objective=company, title="Monthly churn", start_value=8, target_value=4, direction="decrease",
        unit="%", current_value=7,
    )  # fmt: skip
    checkout = services.objective_create(
        actor=leader,
        workspace=workspace,
        title="Make checkout effortless",
        parent=company,
        starts_on=quarter.starts_on,
        ends_on=quarter.ends_on,
        owner=pm,
        product=product,
    )
    conversion = services.key_result_create(
        actor=leader, objective=checkout, title="Checkout conversion", start_value=20, target_value=40, unit="%"
    )
    services.key_result_create(
        actor=leader, objective=checkout, title="p95 page load", start_value=0, target_value=900,
        direction="keep_below", unit="ms", current_value=1200,
    )  # fmt: skip
    fraud = services.objective_create(
        actor=leader,
        workspace=workspace,
        title="Cut fraud losses",
        parent=company,
        starts_on=quarter.starts_on,
        ends_on=quarter.ends_on,
        owner=pm2,
        status="at_risk",
    )
    services.key_result_create(
        actor=leader, objective=fraud, title="Chargebacks per 1,000 orders", start_value=12, target_value=6,
        direction="decrease", current_value=9,
    )  # fmt: skip
    services.initiative_create(
        actor=leader,
        workspace=workspace,
        title="One-click wallet payments",
        problem="Shoppers abandon when they must type card details on mobile.",
        owner=pm,
        status="active",
        objectives=[checkout],
        products=[product],
    )
    return {"company": company, "checkout": checkout, "conversion": conversion, "fraud": fraud, "pm2": pm2}


def test_pm_checks_in_and_sees_progress_change(live_server, sign_in, pm, plan, screenshot):
    page = sign_in(pm)
    page.get_by_role("complementary", name="Main navigation").get_by_role("link", name="Strategy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Strategy")
    tree = page.locator("#cascade")
    checkout_row = tree.locator("#objective-" + str(plan["checkout"].pk) + " > .st-row")
    # Conversion 20 → 40, at 20: 0 %; p95 above its 900 ms ceiling: 0 %. The objective is at 0 %.
    expect(checkout_row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    company_row = tree.locator("#objective-" + str(plan["company"].pk) + " > .st-row")
    # Company: churn 8 → 4 at 7 = 25 %, checkout 0 %, fraud (12 → 6 at 9) 50 %: (25 + 0 + 50) / 3 = 25 %.
    expect(company_row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "25")
    screenshot("strategy-overview")

    checkout_row.get_by_role("link", name="Make checkout effortless").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make checkout effortless")
    big = page.get_by_test_id("objective-progress")
    expect(big).to_contain_text("0%")
    screenshot("strategy-objective-before")

    form = page.locator("form.st-check-in")
    form.get_by_label("At risk").check()
    form.get_by_label("Checkout conversion (%)").fill("35")
    form.get_by_label("p95 page load (ms)").fill("850")
    form.get_by_label("Comment").fill("Wallets shipped to 50 % of traffic; page weight halved.")
    screenshot("strategy-check-in-form")
    form.get_by_role("button", name="Save check-in").click()

    expect(page.get_by_role("status").filter(has_text="Check-in saved.")).to_be_visible()
    # Conversion (35 − 20) / (40 − 20) = 75 %, p95 under 900 ms = 100 %: mean 87 % (87.5 rounded down).
    expect(big).to_contain_text("87%")
    expect(big.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "87")
    history = page.locator(".st-check-ins")
    expect(history).to_contain_text("At risk")
    expect(history).to_contain_text("Pat PM")
    expect(history).to_contain_text("progress 87%")
    expect(page.locator(".st-head-meta .tag").first).to_have_text("At risk")
    screenshot("strategy-objective-after-check-in")

    # The quick update of one value (htmx) moves the progress without a reload.
    row = page.locator("#measures tr", has_text="Checkout conversion")
    row.get_by_label("Current value of Checkout conversion").fill("40")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("objective-progress")).to_contain_text("100%")

    page.goto(f"{live_server.url}/w/acme/strategy/")
    # Company: (25 + 100 + 50) / 3 = 58.33 → 58 %.
    expect(
        page.locator("#objective-" + str(plan["company"].pk) + " > .st-row").get_by_role("progressbar")
    ).to_have_attribute("aria-valuenow", "58")


def test_pm_cannot_check_in_on_someone_elses_objective(live_server, sign_in, pm, plan):
    page = sign_in(pm)
    page.goto(f"{live_server.url}/w/acme/strategy/objectives/{plan['fraud'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cut fraud losses")
    expect(page.locator("form.st-check-in")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)


def test_leader_sees_every_pms_goals_and_the_vision(live_server, sign_in, leader, plan, screenshot):
    page = sign_in(leader)
    page.goto(f"{live_server.url}/w/acme/strategy/goals/")
    expect(page.get_by_role("heading", name="Pat PM")).to_be_visible()
    expect(page.get_by_role("heading", name="Quinn PM")).to_be_visible()
    quinn = page.locator("section.st-goal-card", has=page.get_by_role("heading", name="Quinn PM"))
    expect(quinn).to_contain_text("Cut fraud losses")
    expect(quinn).to_contain_text("1 at risk")
    expect(quinn.locator(".st-goal-head").get_by_role("progressbar")).to_have_attribute("aria-valuenow", "50")
    screenshot("strategy-pm-goals")

    page.get_by_role("link", name="Vision", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vision of Acme Product")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Vision statement").fill("Every small business in Europe and the UK gets paid in one click.")
    page.get_by_role("button", name="Save vision").click()
    expect(page.get_by_role("status").filter(has_text="Vision saved.")).to_be_visible()
    screenshot("strategy-vision")
    page.get_by_role("link", name="History").first.click()
    latest = page.locator("#v2")
    expect(latest.locator("ins")).to_contain_text("and the UK")
    screenshot("strategy-vision-history")
    page.goto(f"{live_server.url}/w/acme/strategy/vision/share/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Product")
    screenshot("strategy-vision-share")

    page.goto(f"{live_server.url}/w/acme/strategy/initiatives/")
    expect(page.locator("#initiative-rows")).to_contain_text("One-click wallet payments")
    screenshot("strategy-initiatives")


def test_leader_builds_an_objective_with_a_key_result(live_server, sign_in, leader, workspace, screenshot):
    page = sign_in(leader)
    page.goto(f"{live_server.url}/w/acme/strategy/")
    expect(page.get_by_role("heading", name="No objectives yet")).to_be_visible()
    screenshot("strategy-empty")
    page.get_by_role("link", name="Set the first objective").click()
    page.get_by_role("button", name="Create objective").click()
    expect(page.locator(".field.has-error").first).to_contain_text("This field is required.")
    page.get_by_label("Title").fill("Grow net revenue retention")
    page.get_by_label("Period").select_option(label="Custom dates…")
    page.get_by_label("Starts on").fill("2026-12-01")
    page.get_by_label("Ends on").fill("2026-11-01")
    page.get_by_role("button", name="Create objective").click()
    expect(page.locator(".field.has-error")).to_contain_text("must be on or after the start")
    screenshot("strategy-objective-form-error")
    page.get_by_label("Ends on").fill("2027-02-28")
    page.get_by_role("button", name="Create objective").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grow net revenue retention")
    expect(page.get_by_test_id("objective-progress")).to_contain_text("No measures yet")

    page.get_by_role("link", name="Add key result").first.click()
    page.get_by_label("Title").fill("Net revenue retention")
    page.get_by_label("Start value").fill("98")
    page.get_by_label("Target value").fill("110")
    page.get_by_label("Current value").fill("104")
    page.get_by_label("Unit").fill("%")
    page.get_by_role("button", name="Add key result", exact=True).click()
    # (104 − 98) / (110 − 98) = 50 %.
    expect(page.get_by_test_id("objective-progress")).to_contain_text("50%")

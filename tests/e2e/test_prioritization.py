"""Prioritization in a real browser: fill RICE inputs in the grid, re-rank, open the matrix,
run a capacity plan and a what-if."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from headway.backlog.models import Feature
from headway.backlog.services import feature_create
from headway.portfolio.tests.factories import ProductFactory
from headway.prioritization.models import CapacityPlan, FeatureScore, PlanScenario
from headway.prioritization.services import capacity as capacity_services
from headway.prioritization.services import scoring as scoring_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(leader, workspace):
    product = ProductFactory(workspace=workspace, key="PAY", name="Payments")
    features = {
        title: feature_create(actor=leader, workspace=workspace, product=product, title=title, effort=effort)
        for title, effort in (("Apple Pay", Decimal("8")), ("Refunds", Decimal("8")), ("Invoices", Decimal("8")))
    }
    model = scoring_services.scoring_model_create(
        actor=leader, workspace=workspace, name="RICE", framework="rice", is_default=True
    )
    # Invoices already scored (100); the browser scores the other two.
    scoring_services.feature_score_set(
        actor=leader,
        model=model,
        feature=features["Invoices"],
        inputs={"reach": 100, "impact": 1, "confidence": 100, "effort": 1},
    )
    team = capacity_services.team_create(actor=leader, workspace=workspace, name="Payments squad")
    # 1.5 points a week over the 64 working days of 2027-Q1: 19.2 points, room for two features of 8.
    capacity_services.team_member_add(actor=leader, team=team, name="Dana", weekly_capacity=Decimal("1.5"))
    capacity_services.team_allocation_set(actor=leader, team=team, product=product, percent=100)
    return {"product": product, "features": features, "model": model, "team": team}


def _fill_rice(page, ref, reach, impact, confidence, effort):
    page.get_by_label(f"Reach of {ref}").fill(reach)
    page.get_by_label(f"Impact of {ref}").select_option(impact)
    page.get_by_label(f"Confidence of {ref}").select_option(confidence)
    cell = page.get_by_label(f"Effort of {ref}")
    cell.fill(effort)
    cell.press("Enter")


def test_score_in_the_grid_rerank_open_the_matrix_and_plan_with_a_what_if(
    live_server, sign_in, leader, workspace, world, screenshot
):
    page = sign_in(leader)
    base = f"{live_server.url}/w/{workspace.slug}/prioritization"
    apple, refunds, invoices = (world["features"][t] for t in ("Apple Pay", "Refunds", "Invoices"))

    # The grid: RICE inputs typed cell by cell; the score follows.
    page.goto(f"{base}/grid/?model={world['model'].pk}")
    _fill_rice(page, apple.ref, "500", "2", "80", "2")
    expect(page.locator(f"#grid-row-{apple.pk} [data-out=score]")).to_have_text("400")
    _fill_rice(page, refunds.ref, "300", "3", "50", "1")
    expect(page.locator(f"#grid-row-{refunds.pk} [data-out=score]")).to_have_text("450")
    screenshot("prioritization-grid")
    assert FeatureScore.objects.get(feature=apple, scoring_model=world["model"]).value == 400.0
    assert FeatureScore.objects.get(feature=refunds, scoring_model=world["model"]).value == 450.0

    # The ranking follows the scores; applying it reorders the backlog.
    page.goto(f"{base}/?model={world['model'].pk}&product={world['product'].pk}")
    rows = page.locator("table tbody tr")
    expect(rows.nth(0)).to_contain_text("Refunds")
    expect(rows.nth(1)).to_contain_text("Apple Pay")
    expect(rows.nth(2)).to_contain_text("Invoices")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply this order to the PAY backlog").click()
    expect(page.locator(".flash").first).to_be_visible()
    backlog = list(Feature.objects.filter(product=world["product"]).order_by("rank").values_list("title", flat=True))
    assert backlog == ["Refunds", "Apple Pay", "Invoices"]
    screenshot("prioritization-ranking")

    # The matrix draws the three estimated, scored features.
    page.goto(f"{base}/matrix/?model={world['model'].pk}")
    expect(page.locator("#matrix-chart canvas").first).to_be_visible()
    expect(page.locator("#mx-chart-title")).to_contain_text("3 features")
    expect(page.locator("#matrix-rows")).to_contain_text(apple.ref)
    screenshot("prioritization-matrix")

    # A plan for 2027-Q1: 19.2 points hold two of the three features of 8.
    page.goto(f"{base}/plans/new/")
    page.locator("#id_period").fill("2027-Q1")
    page.get_by_label("Payments squad").check()
    page.get_by_role("button", name="Create and solve").click()
    expect(page.get_by_text("Below the line").first).to_be_visible()
    plan = CapacityPlan.objects.get(workspace=workspace)
    assert plan.period_label == "2027-Q1"
    assert plan.starts_on == dt.date(2027, 1, 1)
    chosen = set(plan.items.filter(chosen=True).values_list("feature__title", flat=True))
    assert chosen == {"Refunds", "Apple Pay"}
    assert plan.result["total_value"] == 850.0
    left_out = plan.items.get(chosen=False)
    assert (left_out.feature_id, left_out.reason) == (invoices.pk, "capacity")

    # What if the team had one more person? Then Invoices fits too.
    page.locator("#sc-kind").select_option("add_person")
    page.get_by_role("button", name="Add scenario").click()
    expect(page.get_by_text("+100").first).to_be_visible()
    scenario = PlanScenario.objects.get(plan=plan)
    assert scenario.result["value_delta"] == 100.0
    assert scenario.result["added"] == [invoices.pk]
    screenshot("prioritization-plan-what-if")

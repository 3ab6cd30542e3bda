"""Planner pages through the views: create → solve → what-if → commit, fragments under htmx and full
pages otherwise, an infeasible plan explained, who may do what (a denied action changes nothing),
and the query count of the plan page pinned."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from headway.backlog.models import Feature
from headway.backlog.tests import factories as bf
from headway.prioritization import capacity
from headway.prioritization.models import CapacityPlan, PlanScenario, PlanTeam, TeamAllocation
from headway.prioritization.tests.factories import TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def url(name, **kwargs):
    return reverse(f"prioritization:{name}", kwargs={"ws": "acme", **kwargs})


@pytest.fixture
def data(admin, workspace):
    """Team Payments (two full-time people) works on PAY. Objective weights Revenue 10, Retention 3:
    A (both, effort 6) = 13, B (revenue, 5) = 10, C (retention, 4) = 3, D (retention, 2) = 3, E (none, 1) = 0.
    With capacity 11 the plan is A + B (value 23)."""
    pay = bf.product(admin, workspace, key="PAY")
    revenue = bf.objective(workspace, "Revenue")
    retention = bf.objective(workspace, "Retention")
    team = TeamFactory(workspace=workspace, name="Payments")
    TeamMemberFactory(team=team, name="Ann")
    TeamMemberFactory(team=team, name="Bob")
    TeamAllocation.objects.create(workspace=workspace, team=team, product=pay, percent=100)
    a = bf.feature(admin, pay, "Alpha", effort=6, objectives=[revenue, retention])
    b = bf.feature(admin, pay, "Bravo", effort=5, objectives=[revenue])
    c = bf.feature(admin, pay, "Charlie", effort=4, objectives=[retention])
    d = bf.feature(admin, pay, "Delta", effort=2, objectives=[retention])
    e = bf.feature(admin, pay, "Echo", effort=1)
    return {"pay": pay, "team": team, "revenue": revenue, "retention": retention, "f": [a, b, c, d, e]}


def _new_plan(client, data, **extra):
    post = {
        "period": "2027-Q1",
        "teams": [data["team"].pk],
        "goal": "objective_mix",
        f"weight_{data['revenue'].pk}": "10",
        f"weight_{data['retention'].pk}": "3",
        "must_haves": "",
        **extra,
    }
    return client.post(url("plan_new"), post)


def _solved(client, data):
    response = _new_plan(client, data)
    assert response.status_code == 302
    plan = CapacityPlan.objects.get()
    client.post(url("plan_solve", pk=plan.pk), {f"capacity_{data['team'].pk}": "11", "must_haves_sent": "1"})
    plan.refresh_from_db()
    return plan


def test_empty_list_and_new_form(web_client, pm, data):
    client = web_client(pm)
    page = client.get(url("plans")).content.decode()
    assert "No plans yet" in page
    assert url("plan_new") in page
    form = client.get(url("plan_new")).content.decode()
    # Presets: this quarter and the next three; the next one is the default.
    this_year, this_quarter = capacity.quarter_of(timezone.localdate())
    next_year, next_quarter = capacity.next_quarter(timezone.localdate())
    assert f'value="{next_year}-Q{next_quarter}"' in form
    assert f">{this_year}-Q{this_quarter}</button>" in form
    # A period typed: each team shows its capacity for it (2 people × 64 weekdays / 5 = 25.6).
    form = client.get(url("plan_new"), {"period": "2027-Q1"}).content.decode()
    assert "<strong>25.6</strong> · 2 members" in form
    # Another period under htmx: only the teams fieldset, with that period's capacity.
    fragment = client.get(url("plan_new"), {"period": "2027-03", "teams": [data["team"].pk]}, **HX).content.decode()
    assert fragment.lstrip().startswith('<fieldset id="plan-teams"')
    assert "<strong>9.2</strong>" in fragment  # March 2027: 23 weekdays × 2 / 5
    assert 'value="{}" checked'.format(data["team"].pk) in fragment
    assert "<html" not in fragment


def test_create_solve_scenario_commit(web_client, pm, leader, data):
    client = web_client(pm)
    response = _new_plan(client, data)
    plan = CapacityPlan.objects.get()
    assert response["Location"] == url("plan_detail", pk=plan.pk)
    assert (plan.name, plan.period_label, plan.goal, plan.state) == (
        "2027-Q1 plan",
        "2027-Q1",
        "objective_mix",
        "solved",
    )
    assert PlanTeam.objects.get(plan=plan).capacity == Decimal("25.60")

    # Re-solve with a smaller capacity, under htmx: the plan's body comes back.
    response = client.post(
        url("plan_solve", pk=plan.pk), {f"capacity_{data['team'].pk}": "11", "must_haves_sent": "1"}, **HX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="plan-body">')
    assert "Solved again." in body
    plan.refresh_from_db()
    assert plan.result["total_value"] == 23
    a, b, c = data["f"][:3]
    assert set(plan.items.filter(chosen=True).values_list("feature_id", flat=True)) == {a.pk, b.pk}
    assert 'Below the line <span class="muted small">(3)</span>' in body
    assert "11 / " in body or "11 /" in body

    # A what-if: one more person in Payments (12.8 person-weeks) fits everything.
    response = client.post(url("plan_scenario_add", pk=plan.pk), {"kind": "add_person", "team": data["team"].pk}, **HX)
    body = response.content.decode()
    scenario = PlanScenario.objects.get()
    assert scenario.changes == [{"kind": "add_capacity", "team": data["team"].pk, "amount": 12.8}]
    assert scenario.name == "+1 person in Payments"
    assert "Scenario “+1 person in Payments” added." in body
    assert "+1 person in Payments" in body and "Base plan" in body
    # Cut scope of C by 50%: a second column.
    client.post(url("plan_scenario_add", pk=plan.pk), {"kind": "scale_effort", "feature": c.pk, "cut": "50"})
    second = PlanScenario.objects.order_by("id").last()
    assert second.changes == [{"kind": "scale_effort", "feature": c.pk, "factor": 0.5}]
    page = client.get(url("plan_detail", pk=plan.pk)).content.decode()
    assert page.count('class="pl-delta-') >= 1
    assert "<html" in page and page.count('<th scope="col" class="">') == 2  # two scenario columns
    # The header says what the plan weighs.
    assert ">Revenue · weight 10</span>" in page and ">Retention · weight 3</span>" in page
    fragment = client.get(url("plan_detail", pk=plan.pk), **HX).content.decode()
    assert fragment.lstrip().startswith('<div id="plan-body">') and "<html" not in fragment
    assert "+1 person in Payments" in page and f"Cut {c.ref} by 50%" in page

    # The PM may not commit; the leader can.
    assert client.post(url("plan_commit", pk=plan.pk)).status_code == 403
    assert Feature.objects.filter(target_release="2027-Q1").count() == 0
    client = web_client(leader)
    page = client.get(url("plan_detail", pk=plan.pk)).content.decode()
    assert "Commit plan" in page and "<strong>2027-Q1</strong> as their target release" in page
    response = client.post(url("plan_commit", pk=plan.pk))
    assert response.status_code == 302
    assert set(Feature.objects.filter(target_release="2027-Q1").values_list("pk", flat=True)) == {a.pk, b.pk}

    # Delete a scenario, then the plan.
    client.post(url("plan_scenario_delete", pk=plan.pk, scenario_id=second.pk))
    assert list(PlanScenario.objects.values_list("pk", flat=True)) == [scenario.pk]
    response = client.post(url("plan_delete", pk=plan.pk))
    assert response["Location"] == url("plans")
    assert CapacityPlan.objects.count() == 0


def test_infeasible_plan_shows_its_reasons(web_client, pm, data):
    client = web_client(pm)
    a, b, c = data["f"][:3]
    _new_plan(client, data, must_haves=f"{a.ref}, {b.ref} {c.ref}")
    plan = CapacityPlan.objects.get()
    client.post(url("plan_solve", pk=plan.pk), {f"capacity_{data['team'].pk}": "11", "must_haves_sent": "1",
                                                  "must_have": [a.pk, b.pk, c.pk]})  # fmt: skip
    plan.refresh_from_db()
    assert plan.result["status"] == "infeasible"
    page = client.get(url("plan_detail", pk=plan.pk)).content.decode()
    assert "No plan fits these constraints" in page
    for reason in plan.result["reasons"]:
        assert reason.replace("“", "&ldquo;") in page or reason in page
    assert "Commit plan" not in page


def test_bad_period_and_must_have_are_form_errors(web_client, pm, data):
    client = web_client(pm)
    response = _new_plan(client, data, period="next spring")
    assert response.status_code == 422
    assert "Give a period such as 2027-Q1" in response.content.decode()
    response = _new_plan(client, data, must_haves="NOPE-9")
    assert response.status_code == 422
    assert "NOPE-9" in response.content.decode()
    assert CapacityPlan.objects.count() == 0


def test_viewer_reads_but_changes_nothing(web_client, pm, viewer, data):
    plan = _solved(web_client(pm), data)
    client = web_client(viewer)
    page = client.get(url("plan_detail", pk=plan.pk)).content.decode()
    assert "Re-solve" not in page and "Add scenario" not in page and "Delete plan" not in page
    assert client.get(url("plan_new")).status_code == 403
    before = (plan.result, list(PlanTeam.objects.values_list("capacity", flat=True)))
    for name, post in [
        ("plan_solve", {f"capacity_{data['team'].pk}": "99"}),
        ("plan_scenario_add", {"kind": "add_person", "team": data["team"].pk}),
        ("plan_commit", {}),
        ("plan_delete", {}),
    ]:
        assert client.post(url(name, pk=plan.pk), post).status_code == 403, name
    plan.refresh_from_db()
    assert (plan.result, list(PlanTeam.objects.values_list("capacity", flat=True))) == before
    assert PlanScenario.objects.count() == 0
    assert Feature.objects.exclude(target_release="").count() == 0


def test_outsider_gets_404(web_client, pm, outsider, data):
    plan = _solved(web_client(pm), data)
    assert web_client(outsider).get(url("plan_detail", pk=plan.pk)).status_code == 404


def test_plan_page_query_count(web_client, pm, data, django_assert_num_queries):
    client = web_client(pm)
    plan = _solved(client, data)
    for kind in ("add_person", "scale_effort"):
        client.post(url("plan_scenario_add", pk=plan.pk), {"kind": kind, "team": data["team"].pk,
                                                             "feature": data["f"][2].pk, "cut": "50"})  # fmt: skip
    client.get(url("plan_detail", pk=plan.pk))  # warm the session and role caches
    with django_assert_num_queries(14):
        response = client.get(url("plan_detail", pk=plan.pk))
    assert response.status_code == 200
    # One more scenario: the same number of queries.
    client.post(url("plan_scenario_add", pk=plan.pk), {"kind": "scale_effort", "feature": data["f"][0].pk, "cut": "20"})
    client.get(url("plan_detail", pk=plan.pk))  # shows (and clears) the "added" message
    assert PlanScenario.objects.count() == 3
    with django_assert_num_queries(14):
        client.get(url("plan_detail", pk=plan.pk))


def test_plans_list(web_client, pm, viewer, data):
    _solved(web_client(pm), data)
    page = web_client(viewer).get(url("plans")).content.decode()
    assert "2027-Q1 plan" in page and "Payments" in page and "Objective mix" in page and "Pat PM" in page
    assert ">23<" in page.replace(" ", "")
    assert url("plan_new") not in page  # a viewer cannot plan


def test_say_no_page(web_client, pm, data):
    _solved(web_client(pm), data)
    b, c = data["f"][1], data["f"][2]
    page = web_client(pm).get(url("say_no", pk=c.pk)).content.decode()
    sentences = [
        f"{c.ref} serves no objective of the current period.",
        "In plan &#x27;2027-Q1 plan&#x27; it is below the line: over capacity on Payments by 4 points.",
        f"Taking it would displace {b.ref} (value 10) for value 3: a net loss of 7.",
    ]
    assert '<ul class="sn-sentences">' + "".join(f"<li>{s}</li>" for s in sentences) + "</ul>" in page
    assert "Copy as text" in page
    # The plain text to paste: the subject, a blank line, the sentences.
    text = "\n".join([f"{c.ref} Charlie", "", *sentences]) + "\n"
    assert f'aria-label="The explanation as plain text">{text}</textarea>' in page
    # What it would displace, linked; the plan it is about.
    assert f'<a href="/w/acme/backlog/features/{b.pk}/"><span class="product-key">{b.ref}</span> Bravo</a>' in page
    assert 'Net value <span style="color:var(--danger)">-7</span>' in page


def test_say_no_for_an_idea(web_client, admin, pm, viewer, workspace, data):
    from headway.ideas.tests.factories import idea, portal

    request = idea(admin, portal(admin, workspace), "Pay by invoice")
    page = web_client(viewer).get(url("say_no_idea", pk=request.pk)).content.decode()
    assert '<p class="sn-kicker">Idea #' in page
    assert "Pay by invoice" in page
    assert f'href="/w/acme/ideas/{request.pk}/"' in page
    assert web_client(viewer).get(url("say_no_idea", pk=request.pk + 999)).status_code == 404

"""Capacity plan services on a small world (see plans_data): exact chosen sets, reasons, greedy
comparison, infeasible must-haves, dependencies, scenarios, commit, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from headway.backlog.models import Feature, StatusCategory, WorkflowStatus
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.prioritization.models import CapacityPlan, PlanItem, PlanScenario, PlanTeam
from headway.prioritization.selectors import plans as selectors
from headway.prioritization.services import plans as services
from headway.prioritization.tests.plans_data import world
from headway.strategy.tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db

BEST = {"PAY-1", "PAY-2", "PAY-3", "CORE-3", "CORE-4"}


def ADD_ONE_TO_CORE(w) -> dict:
    return {"kind": "add_capacity", "team": w.core.pk, "amount": 1}


@pytest.fixture
def w(workspace, leader):
    return world(workspace, leader)


def chosen_refs(plan) -> set[str]:
    return {i.feature.ref for i in PlanItem.objects.filter(plan=plan, chosen=True).select_related("feature__product")}


def items_by_ref(plan) -> dict[str, PlanItem]:
    return {i.feature.ref: i for i in PlanItem.objects.filter(plan=plan).select_related("feature__product")}


# --- create ---------------------------------------------------------------------------------------


def test_create_with_default_candidates(w, workspace, leader):
    plan = services.plan_create(
        actor=leader, workspace=workspace, period="2027-Q1", team_ids=[w.payments.pk, w.core.pk]
    )
    assert (plan.name, plan.period_label, plan.starts_on, plan.ends_on) == (
        "2027-Q1 plan", "2027-Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31)
    )  # fmt: skip
    assert plan.state == "draft"
    assert plan.scoring_model == w.model  # the workspace's default
    capacities = dict(PlanTeam.objects.filter(plan=plan).values_list("team__name", "capacity"))
    assert capacities == {"Payments": Decimal("12.80"), "Core platform": Decimal("19.20")}  # 1 and 1.5 people
    items = items_by_ref(plan)
    assert sorted(items) == sorted(
        ["PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-5", "CORE-1", "CORE-2", "CORE-3", "CORE-4"]
    )
    assert items["PAY-5"].team == w.payments and items["CORE-2"].team == w.core
    assert items["PAY-1"].effort == Decimal("6.00")
    assert plan.result["excluded"] == {
        str(w.f("CORE-5").pk): {"ref": "CORE-5", "why": "not estimated", "must_have": False}
    }
    assert plan.result["candidate_warnings"] == ["CORE-5 is not estimated: not a candidate."]
    event = AuditEvent.objects.get(action="plan.create")
    assert event.changes["candidates"] == [None, 9]


def test_create_excludes_closed_and_other_teams(w, workspace, leader):
    closed = WorkflowStatus.objects.get(workspace=workspace, category=StatusCategory.CLOSED, name="Parked")
    Feature.objects.filter(pk=w.f("PAY-4").pk).update(status=closed)
    plan = services.plan_create(actor=leader, workspace=workspace, period="2027-Q1", team_ids=[w.payments.pk])
    assert sorted(items_by_ref(plan)) == ["PAY-1", "PAY-2", "PAY-3", "PAY-5"]  # Core's product is not Payments'
    # Listed explicitly, a closed feature and one no team of the plan works on are named, not planned.
    plan = services.plan_create(
        actor=leader, workspace=workspace, period="2027-Q1", team_ids=[w.payments.pk, w.core.pk],
        feature_ids=w.ids("PAY-1", "PAY-4"),
    )  # fmt: skip
    assert sorted(items_by_ref(plan)) == ["PAY-1"]
    assert plan.result["candidate_warnings"] == ["PAY-4 is closed: not a candidate."]


def test_create_refuses_bad_input(w, workspace, leader, other_workspace):
    cases = [
        ({"period": "soon"}, "period"),
        ({"team_ids": []}, "team_ids"),
        ({"team_ids": [999999]}, "team_ids"),
        ({"goal": "profit"}, "goal"),
        ({"feature_ids": [999999]}, "feature_ids"),
        ({"must_have_ids": [999999]}, "must_have_ids"),
        ({"shares": [{"objective": 999999, "min_share": 0.2}]}, "shares"),
        ({"objective_weights": {"999999": 2}, "goal": "objective_mix"}, "objective_weights"),
    ]
    for changes, field in cases:
        kwargs = {"period": "2027-Q1", "team_ids": [w.payments.pk], **changes}
        with pytest.raises(ValidationFailed) as caught:
            services.plan_create(actor=leader, workspace=workspace, **kwargs)
        assert list(caught.value.fields) == [field], changes
    assert CapacityPlan.objects.count() == 0


# --- solve ----------------------------------------------------------------------------------------


def test_solve_finds_the_best_plan_and_explains_the_rest(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    assert plan.state == "solved" and plan.solved_at is not None
    assert chosen_refs(plan) == BEST
    result = plan.result
    assert (result["status"], result["feasible"], result["total_value"], result["gap"]) == (
        "optimal",
        True,
        1496.0,
        0.0,
    )
    assert result["greedy"] == {"rule": "value", "value": 1450.0, "chosen": 6}
    assert result["value_over_greedy"] == 46.0
    payments, core = str(w.payments.pk), str(w.core.pk)
    assert result["capacity"] == {payments: 16.0, core: 8.0}
    assert result["capacity_used"] == {payments: 13.0, core: 8.0}
    assert result["reasons"] == []
    assert result["warnings"] == ["CORE-5 is not estimated: not a candidate."]
    items = items_by_ref(plan)
    assert {ref: (i.reason, i.message) for ref, i in items.items() if not i.chosen} == {
        "PAY-4": (
            "capacity",
            "PAY-4 would overflow Payments by 2; making room would displace PAY-1 (value 400, against PAY-4's 120).",
        ),
        "PAY-5": ("dependency", "PAY-5 depends on CORE-1, which is not in the plan."),
        "CORE-1": (
            "capacity",
            "CORE-1 would overflow Core platform by 3; making room would displace CORE-4 "
            "(value 270, against CORE-1's 50).",
        ),
        "CORE-2": (
            "capacity",
            "CORE-2 would overflow Core platform by 5; making room would displace CORE-3, CORE-4 "
            "(value 546, against CORE-2's 350).",
        ),
    }
    # Positions: by value, highest first.
    order = sorted(items, key=lambda ref: items[ref].position)
    assert order == ["PAY-1", "CORE-2", "PAY-2", "CORE-3", "CORE-4", "PAY-3", "PAY-4", "PAY-5", "CORE-1"]
    assert [items[r].value for r in order] == [400, 350, 300, 276, 270, 250, 120, 100, 50]
    assert result["left_out"][str(w.f("PAY-4").pk)] == {
        "overflow": {payments: 2.0}, "displaced": w.ids("PAY-1"), "displaced_value": 400.0, "blocked_by": []
    }  # fmt: skip
    assert result["left_out"][str(w.f("PAY-5").pk)]["blocked_by"] == w.ids("CORE-1")
    assert AuditEvent.objects.filter(action="plan.solve").count() == 1


def test_must_have_brings_its_dependency(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan(must_have_ids=w.ids("PAY-5")))
    assert chosen_refs(plan) == {"PAY-1", "PAY-2", "PAY-3", "PAY-5", "CORE-1", "CORE-2"}
    assert plan.result["total_value"] == 1450.0
    assert items_by_ref(plan)["PAY-5"].must_have is True
    assert plan.result["capacity_used"] == {str(w.payments.pk): 15.0, str(w.core.pk): 8.0}


def test_dependency_on_released_feature_is_met(w, workspace, leader):
    released = WorkflowStatus.objects.get(workspace=workspace, category=StatusCategory.DONE)
    Feature.objects.filter(pk=w.f("CORE-1").pk).update(status=released)
    plan = services.plan_solve(actor=leader, plan=w.plan())
    # CORE-1 shipped: PAY-5 fits on its own (Payments 13 + 2 = 15 of 16).
    assert chosen_refs(plan) == BEST | {"PAY-5"}
    assert plan.result["total_value"] == 1596.0
    assert "CORE-1" not in items_by_ref(plan)  # released features are not candidates
    assert str(w.f("CORE-1").pk) not in plan.result["excluded"]


def test_dependency_on_a_feature_outside_the_plan_blocks(w, workspace, leader):
    plan = w.plan(feature_ids=w.ids("PAY-1", "PAY-5"))
    plan = services.plan_solve(actor=leader, plan=plan)
    assert chosen_refs(plan) == {"PAY-1"}
    item = items_by_ref(plan)["PAY-5"]
    assert (item.reason, item.message) == (
        "dependency", "PAY-5 depends on CORE-1, which is not a candidate and not marked done."
    )  # fmt: skip


def test_infeasible_must_haves_are_explained(w, leader):
    plan = w.plan(must_have_ids=w.ids("CORE-2", "CORE-3", "CORE-4"))
    plan = services.plan_solve(actor=leader, plan=plan)
    assert plan.state == "solved"
    assert (plan.result["status"], plan.result["feasible"]) == ("infeasible", False)
    assert plan.result["reasons"] == [
        "Must-haves (with their dependencies) need 13 from Core platform, which has 8: 5 short."
    ]
    assert chosen_refs(plan) == set()
    with pytest.raises(Conflict):
        services.plan_commit(actor=leader, plan=plan)


def test_solve_reads_estimates_and_scores_again(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    Feature.objects.filter(pk=w.f("CORE-5").pk).update(effort=Decimal("2"))  # now estimated: a candidate
    plan = services.plan_solve(actor=leader, plan=plan)
    assert "CORE-5" in items_by_ref(plan)
    assert plan.result["excluded"] == {}
    # CORE-5 (500 for 2) with CORE-2 (350 for 5) is Core's best fill now: 850 against 546.
    assert chosen_refs(plan) == {"PAY-1", "PAY-2", "PAY-3", "CORE-2", "CORE-5"}
    assert plan.result["total_value"] == 1800.0


def test_objective_mix_goal(w, workspace, leader):
    grow = ObjectiveFactory(workspace=workspace, parent=None, title="Grow", weight=3,
                            starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 3, 31))  # fmt: skip
    keep = ObjectiveFactory(workspace=workspace, parent=None, title="Keep", weight=1,
                            starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 3, 31))  # fmt: skip
    from headway.backlog.models import FeatureObjective

    for ref, objective in [("PAY-4", grow), ("PAY-4", keep), ("CORE-1", keep), ("CORE-2", grow)]:
        FeatureObjective.objects.create(workspace=workspace, feature=w.f(ref), objective=objective)
    plan = w.plan(goal="objective_mix", scoring_model=None)
    assert plan.objective_weights == {str(grow.pk): 3.0, str(keep.pk): 1.0}  # each objective's own weight
    plan = services.plan_solve(actor=leader, plan=plan)
    values = {ref: i.value for ref, i in items_by_ref(plan).items()}
    assert (values["PAY-4"], values["CORE-1"], values["CORE-2"], values["PAY-1"]) == (4.0, 1.0, 3.0, 0.0)
    assert plan.result["total_value"] == 8.0  # PAY-4 (4), CORE-2 (3) and CORE-1 (1): Core's 8 exactly
    assert {"PAY-4", "CORE-2", "CORE-1"} <= chosen_refs(plan)


# --- update ---------------------------------------------------------------------------------------


def test_update_marks_stale_and_changes_candidates(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    plan = services.plan_update(actor=leader, plan=plan, name="Renamed")
    assert (plan.name, plan.state) == ("Renamed", "solved")  # a name alone keeps the solution
    plan = services.plan_update(actor=leader, plan=plan, remove_feature_ids=w.ids("PAY-1"), name="Lean")
    assert (plan.name, plan.state, plan.result["stale"]) == ("Lean", "draft", True)
    assert "PAY-1" not in items_by_ref(plan)
    plan = services.plan_update(actor=leader, plan=plan, add_feature_ids=w.ids("PAY-1"), must_have_ids=w.ids("PAY-4"))
    items = items_by_ref(plan)
    assert "PAY-1" in items and items["PAY-4"].must_have is True
    plan = services.plan_solve(actor=leader, plan=plan)
    assert "PAY-4" in chosen_refs(plan)
    assert "stale" not in plan.result
    with pytest.raises(ValidationFailed) as caught:
        services.plan_update(actor=leader, plan=plan, colour="red")
    assert list(caught.value.fields) == ["colour"]
    with pytest.raises(ValidationFailed) as caught:
        services.plan_update(actor=leader, plan=plan, capacities={999999: 3})
    assert list(caught.value.fields) == ["capacities"]


# --- scenarios ------------------------------------------------------------------------------------


def test_scenario_add_a_person(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    scenario = services.plan_scenario_add(
        actor=leader, plan=plan, name="", changes=[{"kind": "add_capacity", "team": w.core.pk, "amount": 4}]
    )
    assert scenario.name == "Add 4 to Core platform"
    result = scenario.result
    assert result["summary"]["total_value"] == 1726.0
    assert sorted(result["added"]) == sorted(w.ids("PAY-5", "CORE-1", "CORE-2"))
    assert result["removed"] == w.ids("CORE-4")
    assert result["value_delta"] == 230.0
    assert result["capacity_used_delta"] == {str(w.payments.pk): 2.0, str(w.core.pk): 4.0}
    assert sorted(result["chosen"]) == sorted(w.ids("PAY-1", "PAY-2", "PAY-3", "PAY-5", "CORE-1", "CORE-2", "CORE-3"))
    # The plan itself is unchanged.
    assert chosen_refs(plan) == BEST


def test_scenario_cut_scope_and_set_value(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    cut = services.plan_scenario_add(
        actor=leader, plan=plan, name="Smaller SSO",
        changes=[{"kind": "scale_effort", "feature": w.f("CORE-2").pk, "factor": 0.6}],
    )  # fmt: skip
    assert (cut.result["value_delta"], cut.result["added"], cut.result["removed"]) == (
        80.0, w.ids("CORE-2"), w.ids("CORE-4")
    )  # fmt: skip
    assert cut.result["capacity_used_delta"] == {str(w.payments.pk): 0.0, str(w.core.pk): -1.0}
    valued = services.plan_scenario_add(
        actor=leader, plan=plan, name="", changes=[{"kind": "set_value", "feature": w.f("PAY-4").pk, "value": 700}]
    )
    assert valued.name == "PAY-4 value 700"
    assert (valued.result["value_delta"], valued.result["added"], valued.result["removed"]) == (
        450.0, w.ids("PAY-4"), w.ids("PAY-3")
    )  # fmt: skip
    services.plan_scenario_delete(actor=leader, scenario=cut)
    assert list(PlanScenario.objects.values_list("name", flat=True)) == ["PAY-4 value 700"]


def test_scenario_refusals(w, workspace, leader):
    plan = w.plan()
    with pytest.raises(Conflict):  # not solved yet
        services.plan_scenario_add(
            actor=leader, plan=plan, name="", changes=[{"kind": "add_capacity", "team": w.core.pk, "amount": 1}]
        )
    plan = services.plan_solve(actor=leader, plan=plan)
    bad = [
        [],
        [{"kind": "hire", "team": w.core.pk}],
        [{"kind": "add_capacity", "team": 999999, "amount": 1}],
        [{"kind": "add_capacity", "team": w.core.pk, "amount": -9}],
        [{"kind": "add_capacity", "team": w.core.pk}],
        [{"kind": "scale_effort", "feature": w.f("CORE-5").pk, "factor": 0.5}],
        [{"kind": "scale_effort", "feature": w.f("CORE-2").pk, "factor": -1}],
        [{"kind": "set_weight", "objective": 1, "weight": 2}],  # a score plan has no weights
    ]  # fmt: skip
    for changes in bad:
        with pytest.raises(ValidationFailed):
            services.plan_scenario_add(actor=leader, plan=plan, name="", changes=changes)
    assert PlanScenario.objects.count() == 0


# --- commit ---------------------------------------------------------------------------------------


def test_commit_sets_target_release_and_recommit_moves_it(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    plan = services.plan_commit(actor=leader, plan=plan)
    assert plan.state == "committed" and plan.committed_by == leader
    releases = dict(Feature.objects.values_list("title", "target_release"))
    planned = {w.f(ref).title for ref in BEST}
    assert {title for title, release in releases.items() if release == "2027-Q1"} == planned
    events = AuditEvent.objects.filter(action="feature.update")
    assert events.count() == 5
    assert events.first().changes == {"target_release": ["", "2027-Q1"]}
    # More capacity on Core: solve again, commit again — CORE-4 leaves the period, three features join it.
    plan = services.plan_update(actor=leader, plan=plan, capacities={w.core.pk: 12})
    assert plan.state == "draft"
    with pytest.raises(Conflict):
        services.plan_commit(actor=leader, plan=plan)
    plan = services.plan_solve(actor=leader, plan=plan)
    services.plan_commit(actor=leader, plan=plan)
    in_period = set(Feature.objects.filter(target_release="2027-Q1").values_list("pk", flat=True))
    assert in_period == set(w.ids("PAY-1", "PAY-2", "PAY-3", "PAY-5", "CORE-1", "CORE-2", "CORE-3"))
    assert Feature.objects.get(pk=w.f("CORE-4").pk).target_release == ""
    assert AuditEvent.objects.filter(action="plan.commit").count() == 2


def test_commit_keeps_other_target_releases(w, leader):
    Feature.objects.filter(pk=w.f("PAY-4").pk).update(target_release="2027-Q2")
    plan = services.plan_commit(actor=leader, plan=services.plan_solve(actor=leader, plan=w.plan()))
    assert Feature.objects.get(pk=w.f("PAY-4").pk).target_release == "2027-Q2"
    assert plan.result["committed"] == sorted(w.ids(*BEST))


# --- permissions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "manage", "commit"),
    [("admin", True, True), ("leader", True, True), ("pm", True, False), ("contributor", False, False),
     ("viewer", False, False)],
)  # fmt: skip
def test_permissions(w, workspace, member, role, manage, commit):
    user = member(role)
    kwargs = {"period": "2027-Q1", "team_ids": [w.payments.pk]}
    if not manage:
        with pytest.raises(PermissionDenied):
            services.plan_create(actor=user, workspace=workspace, **kwargs)
        plan = services.plan_solve(actor=w.leader, plan=w.plan())
        for call in (
            lambda: services.plan_solve(actor=user, plan=plan),
            lambda: services.plan_update(actor=user, plan=plan, name="Mine"),
            lambda: services.plan_scenario_add(actor=user, plan=plan, name="", changes=[ADD_ONE_TO_CORE(w)]),
            lambda: services.plan_delete(actor=user, plan=plan),
        ):  # fmt: skip
            with pytest.raises(PermissionDenied):
                call()
        plan.refresh_from_db()
        assert (plan.name, plan.state, CapacityPlan.objects.count(), PlanScenario.objects.count()) == (
            "2027-Q1 plan", "solved", 1, 0
        )  # fmt: skip
    else:
        plan = services.plan_solve(actor=user, plan=w.plan(actor=user))
    if commit:
        assert services.plan_commit(actor=user, plan=plan).state == "committed"
    else:
        with pytest.raises(PermissionDenied):
            services.plan_commit(actor=user, plan=plan)
        assert Feature.objects.filter(target_release="2027-Q1").count() == 0
    # Every member reads plans.
    assert selectors.plan_get(user=user, workspace=workspace, plan_id=plan.pk) == plan


def test_outsider_sees_nothing(w, workspace, outsider):
    plan = w.plan()
    with pytest.raises(NotFound):
        services.plan_solve(actor=outsider, plan=plan)
    with pytest.raises(NotFound):
        selectors.plan_get(user=outsider, workspace=workspace, plan_id=plan.pk)
    with pytest.raises(NotFound):
        services.plan_create(actor=outsider, workspace=workspace, period="2027-Q1", team_ids=[w.payments.pk])


def test_delete(w, leader):
    plan = w.plan()
    services.plan_delete(actor=leader, plan=plan)
    assert (CapacityPlan.objects.count(), PlanItem.objects.count()) == (0, 0)
    assert AuditEvent.objects.filter(action="plan.delete").count() == 1


# --- selectors ------------------------------------------------------------------------------------


def test_plan_detail(w, workspace, leader, viewer, django_assert_num_queries):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    services.plan_scenario_add(
        actor=leader, plan=plan, name="", changes=[{"kind": "add_capacity", "team": w.core.pk, "amount": 4}]
    )
    plan = selectors.plan_get(user=viewer, workspace=workspace, plan_id=plan.pk)
    # Plan teams, items, scenarios, the effort unit (the viewer's role is cached by plan_get).
    with django_assert_num_queries(4):
        detail = selectors.plan_detail(user=viewer, workspace=workspace, plan=plan)
    assert (detail["status"], detail["feasible"], detail["stale"], detail["unit"]) == (
        "optimal",
        True,
        False,
        "person-weeks",
    )
    assert [(t["name"], t["capacity"], t["used"], t["percent"]) for t in detail["teams"]] == [
        ("Core platform", 8.0, 8.0, 100.0), ("Payments", 16.0, 13.0, 81.2)
    ]  # fmt: skip
    assert [r["ref"] for r in detail["chosen"]] == ["PAY-1", "PAY-2", "CORE-3", "CORE-4", "PAY-3"]
    assert [(r["ref"], r["reason"]) for r in detail["below"]] == [
        ("CORE-2", "capacity"), ("PAY-4", "capacity"), ("PAY-5", "dependency"), ("CORE-1", "capacity")
    ]  # fmt: skip
    first = detail["chosen"][0]
    assert (first["title"], first["product"], first["team"], first["value"], first["effort"]) == (
        "Apple Pay", "Product PAY", "Payments", 400.0, 6.0
    )  # fmt: skip
    assert detail["greedy"] == {"rule": "value", "value": 1450.0, "chosen": 6, "value_over_greedy": 46.0}
    [scenario] = detail["scenarios"]
    assert (scenario["name"], scenario["value_delta"], scenario["total_value"]) == (
        "Add 4 to Core platform",
        230.0,
        1726.0,
    )
    assert [r["ref"] for r in scenario["added"]] == ["CORE-2", "PAY-5", "CORE-1"]
    assert [r["ref"] for r in scenario["removed"]] == ["CORE-4"]
    assert detail["excluded"] == [{"id": w.f("CORE-5").pk, "ref": "CORE-5", "why": "not estimated", "must_have": False}]
    assert detail["moscow_warning"] is None


def test_moscow_warning(w, workspace, leader):
    from headway.prioritization.tests.factories import FeatureScoreFactory, ScoringModelFactory

    moscow = ScoringModelFactory(workspace=workspace, name="MoSCoW", framework="moscow")
    for ref in ("PAY-1", "PAY-2", "PAY-3", "CORE-2"):  # 6 + 4 + 3 + 5 = 18 of 24
        FeatureScoreFactory(feature=w.f(ref), scoring_model=moscow, inputs={"category": "must"})
    FeatureScoreFactory(feature=w.f("PAY-4"), scoring_model=moscow, inputs={"category": "should"})
    plan = services.plan_solve(actor=leader, plan=w.plan(scoring_model=moscow))
    detail = selectors.plan_detail(user=leader, workspace=workspace, plan=plan)
    assert detail["moscow_warning"] == (
        "Must-haves take 75% of capacity (18 of 24); keep them at or under 60% to leave room for should- and "
        "could-haves."
    )


def test_plan_compare(w, workspace, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    other = services.plan_solve(actor=leader, plan=w.plan(must_have_ids=w.ids("PAY-5"), name="With ledger"))
    compared = selectors.plan_compare(user=leader, workspace=workspace, plan=plan, other=other)
    assert [r["ref"] for r in compared["added"]] == ["CORE-2", "PAY-5", "CORE-1"]
    assert [r["ref"] for r in compared["removed"]] == ["CORE-3", "CORE-4"]
    assert compared["value_delta"] == -46.0
    assert {d["team"]: d["delta"] for d in compared["capacity_used_delta"]} == {"Payments": 2.0, "Core platform": 0.0}
    assert compared["other"] == {
        "id": other.pk,
        "kind": "plan",
        "name": "With ledger",
        "total_value": 1450.0,
        "chosen": 6,
    }
    scenario = services.plan_scenario_add(
        actor=leader, plan=plan, name="", changes=[{"kind": "add_capacity", "team": w.core.pk, "amount": 4}]
    )
    compared = selectors.plan_compare(user=leader, workspace=workspace, plan=plan, other=scenario)
    assert compared["value_delta"] == 230.0
    with pytest.raises(NotFound):
        selectors.plan_compare(user=leader, workspace=workspace, plan=other, other=scenario)


def test_plan_problem(w, leader):
    plan = services.plan_solve(actor=leader, plan=w.plan())
    problem = selectors.plan_problem(plan)
    assert [t.id for t in problem.teams] == ["Core platform", "Payments"]
    pay5 = next(c for c in problem.candidates if c.id == "PAY-5")
    assert (pay5.value, dict(pay5.effort), pay5.depends_on) == (100.0, {"Payments": 2.0}, ("CORE-1",))


def test_minimum_shares(w, workspace, leader):
    grow = ObjectiveFactory(workspace=workspace, parent=None, title="Grow", weight=3)
    from headway.backlog.models import FeatureObjective

    for ref in ("PAY-4", "CORE-2"):
        FeatureObjective.objects.create(workspace=workspace, feature=w.f(ref), objective=grow)
    # 40% of 24 = 9.6: both PAY-4 and CORE-2 (10) must be in; the rest fills around them.
    plan = services.plan_solve(actor=leader, plan=w.plan(shares=[{"objective": grow.pk, "min_share": 0.4}]))
    assert chosen_refs(plan) == {"PAY-4", "CORE-2", "PAY-1", "PAY-3", "PAY-5", "CORE-1"}
    assert plan.result["total_value"] == 1270.0
    problem = selectors.plan_problem(plan)
    assert [(s.objective, s.min_share) for s in problem.shares] == [("“Grow”", 0.4)]
    plan = services.plan_update(actor=leader, plan=plan, shares=[{"objective": grow.pk, "min_share": 0.9}])
    plan = services.plan_solve(actor=leader, plan=plan)
    assert plan.result["reasons"] == [
        "Objective “Grow” needs at least 21.6 (90% of the total capacity 24), but the candidates serving it that "
        "can be planned need only 10."
    ]
    with pytest.raises(ValidationFailed) as caught:
        services.plan_update(actor=leader, plan=plan, shares=[{"objective": grow.pk, "min_share": 1.5}])
    assert list(caught.value.fields) == ["shares"]


def test_plans_list(w, workspace, leader, viewer, django_assert_num_queries):
    w.plan()
    w.plan(period="2027-Q2")
    selectors.plans(user=viewer, workspace=workspace)  # caches the viewer's role
    with django_assert_num_queries(2):  # plans, their teams
        found = selectors.plans(user=viewer, workspace=workspace)
        assert [(p.period_label, [t.team.name for t in p.plan_teams.all()]) for p in found] == [
            ("2027-Q2", ["Core platform", "Payments"]),
            ("2027-Q1", ["Core platform", "Payments"]),
        ]


def test_demand_goal_reads_the_demand_signal(w, workspace, leader):
    from headway.ideas.models import Idea
    from headway.ideas.tests import factories as ideas
    from headway.prioritization.selectors.signals import feature_signals

    portal = ideas.portal(leader, workspace)
    for title, ref in [("Pay in euros", "PAY-4"), ("Pay in yen", "PAY-4"), ("SSO please", "CORE-2")]:
        idea = ideas.idea(leader, portal, title)
        Idea.objects.filter(pk=idea.pk).update(feature=w.f(ref))
    table = feature_signals(workspace_id=workspace.pk, feature_ids=w.ids("PAY-4", "CORE-2"))
    expected = {ref: table.row(w.f(ref).pk)["demand"] for ref in ("PAY-4", "CORE-2")}
    assert expected["PAY-4"] > expected["CORE-2"] > 0
    plan = services.plan_solve(actor=leader, plan=w.plan(goal="demand"))
    values = {ref: item.value for ref, item in items_by_ref(plan).items()}
    assert (values["PAY-4"], values["CORE-2"], values["PAY-1"]) == (expected["PAY-4"], expected["CORE-2"], 0.0)
    assert chosen_refs(plan) >= {"PAY-4", "CORE-2"}
    assert plan.result["total_value"] == expected["PAY-4"] + expected["CORE-2"]

"""The capacity planner: exact plans on hand-made cases, brute force on random small instances,
infeasible inputs explained, below-the-line reasons, what-if scenarios and displacement."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from headway.core.errors import ValidationFailed
from headway.prioritization import planner
from headway.prioritization.planner import (
    AddCapacity,
    Candidate,
    LeftOut,
    ObjectiveShare,
    PlanProblem,
    PlanStatus,
    ScaleEffort,
    SetValues,
    Team,
    apply_changes,
    check_plan,
    compare_plans,
    explain_displacement,
    greedy,
    solve,
    what_if,
)


def c(
    id: str,
    value: float,
    effort: dict[str, float],
    *,
    must: bool = False,
    deps: tuple[str, ...] = (),
    objectives: tuple[str, ...] = (),
) -> Candidate:
    return Candidate(id=id, value=value, effort=effort, must_have=must, depends_on=deps, objectives=objectives)


def base_problem(**changes: object) -> PlanProblem:
    """Capacity 10 on T. Best: A + D = 15; B needs C; greedy by value also finds A + D."""
    problem = PlanProblem(
        candidates=(
            c("A", 10, {"T": 6}),
            c("B", 8, {"T": 4}, deps=("C",)),
            c("C", 1, {"T": 3}),
            c("D", 5, {"T": 4}),
        ),
        teams=(Team("T", 10),),
        mip_rel_gap=0,
    )
    return replace(problem, **changes)  # type: ignore[arg-type]


# --- exact plans --------------------------------------------------------------------------------


def test_the_best_plan_within_capacity_and_its_usage():
    plan = solve(base_problem())
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.chosen == ("A", "D")
    assert plan.total_value == 15
    assert plan.capacity_used == {"T": 10}
    assert plan.capacity == {"T": 10}
    assert plan.reasons == ()
    assert plan.greedy is not None and plan.greedy.rule == "value" and plan.greedy.chosen == ("A", "D")
    assert plan.value_over_greedy == 0


def test_a_must_have_changes_the_plan():
    problem = base_problem()
    candidates = tuple(c("C", 1, {"T": 3}, must=True) if x.id == "C" else x for x in problem.candidates)
    plan = solve(PlanProblem(candidates=candidates, teams=problem.teams, mip_rel_gap=0))
    assert plan.chosen == ("A", "C")
    assert plan.total_value == 11


def test_a_must_have_brings_its_dependencies():
    problem = PlanProblem(
        candidates=(
            c("A", 10, {"T": 6}),
            c("B", 1, {"T": 4}, deps=("C",), must=True),
            c("C", 1, {"T": 3}),
            c("D", 2, {"T": 3}),
        ),
        teams=(Team("T", 10),),
    )
    plan = solve(problem)
    assert plan.chosen == ("B", "C", "D")
    assert plan.total_value == 4


def test_a_dependency_outside_the_candidates_counts_only_when_done():
    candidates = (c("A", 5, {"T": 1}, deps=("X",)), c("B", 1, {"T": 1}))
    assert solve(PlanProblem(candidates=candidates, teams=(Team("T", 5),))).chosen == ("B",)
    plan = solve(PlanProblem(candidates=candidates, teams=(Team("T", 5),), done=frozenset({"X"})))
    assert plan.chosen == ("A", "B")


def test_a_feature_needing_several_teams_must_fit_in_each():
    problem = PlanProblem(
        candidates=(
            c("AB", 10, {"T": 3, "U": 3}),
            c("A", 6, {"T": 3}),
            c("B", 6, {"U": 3}),
        ),
        teams=(Team("T", 4), Team("U", 5)),
    )
    plan = solve(problem)
    assert plan.chosen == ("A", "B")
    assert plan.capacity_used == {"T": 3, "U": 3}


def test_the_plan_beats_greedy_when_greedy_wastes_capacity():
    problem = PlanProblem(
        candidates=(c("X", 6, {"T": 6}), c("Y", 5, {"T": 5}), c("Z", 5, {"T": 5})),
        teams=(Team("T", 10),),
    )
    plan = solve(problem)
    assert plan.chosen == ("Y", "Z")
    assert plan.greedy is not None
    assert plan.greedy.chosen == ("X",)
    assert plan.greedy.value == 6
    assert plan.value_over_greedy == 4


def test_greedy_by_value_per_effort_is_the_baseline_when_it_is_better():
    problem = PlanProblem(
        candidates=(c("BIG", 10, {"T": 10}), c("S1", 6, {"T": 5}), c("S2", 6, {"T": 5})),
        teams=(Team("T", 10),),
    )
    result = greedy(problem)
    assert result.rule == "value_per_effort"
    assert result.chosen == ("S1", "S2")
    assert result.value == 12
    assert result.meets_shares


def test_greedy_takes_an_item_with_its_dependencies_when_they_fit():
    # By value/effort: B (2) first, with C; then A does not fit; D does not fit.
    result = planner._greedy_fill(
        base_problem(),
        planner._build_graph(base_problem()),
        planner._arrays(base_problem()),
        [1, 0, 3, 2],
    )
    assert result.tolist() == [False, True, True, False]


def test_a_share_of_total_capacity_goes_to_the_objective():
    problem = PlanProblem(
        candidates=(
            c("P", 1, {"T": 5}, objectives=("O",)),
            c("Q", 10, {"T": 5}),
            c("R", 9, {"T": 5}),
        ),
        teams=(Team("T", 10),),
        shares=(ObjectiveShare("O", 0.5),),
    )
    plan = solve(problem)
    assert plan.chosen == ("P", "Q")
    # Greedy meets the share first (P), then fills by value (Q).
    assert plan.greedy == planner.GreedyResult("value", ("P", "Q"), 11, meets_shares=True)
    assert plan.value_over_greedy == 0


def test_no_greedy_baseline_when_greedy_cannot_meet_the_share():
    problem = PlanProblem(
        candidates=(
            c("M", 1, {"T": 3}, must=True),
            c("X", 9, {"T": 4}, objectives=("O",)),
            c("Y", 1, {"T": 5}, objectives=("O",)),
        ),
        teams=(Team("T", 8),),
        shares=(ObjectiveShare("O", 0.625),),
    )
    plan = solve(problem)
    assert plan.chosen == ("M", "Y")
    # Greedy takes X for the share first; then Y no longer fits and the share is missed.
    assert greedy(problem) == planner.GreedyResult("value", ("M", "X"), 10, meets_shares=False)
    assert plan.greedy is None
    assert plan.value_over_greedy is None


def test_an_empty_problem_is_an_empty_optimal_plan():
    plan = solve(PlanProblem(candidates=(), teams=(Team("T", 3),)))
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.chosen == ()
    assert plan.capacity_used == {"T": 0}


def test_a_solver_failure_is_reported_not_raised(monkeypatch):
    def broken(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(planner, "milp", broken)
    plan = solve(base_problem())
    assert plan.status is PlanStatus.NO_SOLUTION
    assert plan.reasons == ("No feasible plan was found: The solver failed: boom",)
    assert plan.chosen == ()


# --- infeasible inputs ---------------------------------------------------------------------------


def test_must_haves_over_capacity_name_the_team_and_the_shortfall():
    problem = PlanProblem(
        candidates=(
            c("M1", 1, {"T": 4}, must=True),
            c("M2", 1, {"T": 3, "Backend": 1}, must=True, deps=("D1",)),
            c("D1", 1, {"Backend": 4}),
        ),
        teams=(Team("T", 5), Team("Backend", 3)),
    )
    plan = solve(problem)
    assert plan.status is PlanStatus.INFEASIBLE
    assert not plan.feasible
    assert plan.reasons == (
        "Must-haves (with their dependencies) need 7 from T, which has 5: 2 short.",
        "Must-haves (with their dependencies) need 5 from Backend, which has 3: 2 short.",
    )
    assert plan.chosen == ()


def test_a_must_have_on_an_impossible_dependency():
    problem = PlanProblem(
        candidates=(c("M", 1, {"T": 1}, must=True, deps=("N",)), c("N", 1, {"T": 1}, deps=("X",))),
        teams=(Team("T", 5),),
    )
    assert solve(problem).reasons == ("Must-have M cannot be planned: it depends on N, which cannot be planned.",)
    problem = PlanProblem(candidates=(c("M", 1, {"T": 1}, must=True, deps=("X",)),), teams=(Team("T", 5),))
    assert solve(problem).reasons == (
        "Must-have M cannot be planned: it depends on X, which is not a candidate and not marked done.",
    )


def test_a_must_have_on_a_cycle_names_the_cycle():
    problem = PlanProblem(
        candidates=(
            c("A", 1, {"T": 1}, must=True, deps=("B",)),
            c("B", 1, {"T": 1}, deps=("C",)),
            c("C", 1, {"T": 1}, deps=("A",)),
        ),
        teams=(Team("T", 5),),
    )
    plan = solve(problem)
    assert plan.status is PlanStatus.INFEASIBLE
    assert plan.reasons == ("Must-have A cannot be planned: it is in a dependency cycle: A → B → C → A.",)
    assert plan.warnings == ("Dependency cycle: A → B → C → A.",)


def test_a_share_larger_than_what_serves_it():
    problem = PlanProblem(
        candidates=(c("P", 1, {"T": 4}, objectives=("O",)), c("Q", 1, {"T": 4}, objectives=("O",), deps=("X",))),
        teams=(Team("T", 10),),
        shares=(ObjectiveShare("O", 0.6),),
    )
    assert solve(problem).reasons == (
        "Objective O needs at least 6 (60% of the total capacity 10), "
        "but the candidates serving it that can be planned need only 4.",
    )


def test_a_share_that_does_not_fit_beside_the_must_haves():
    problem = PlanProblem(
        candidates=(c("M", 1, {"T": 8}, must=True), c("P", 1, {"T": 4}, objectives=("O",))),
        teams=(Team("T", 10),),
        shares=(ObjectiveShare("O", 0.3),),
    )
    plan = solve(problem)
    assert plan.status is PlanStatus.INFEASIBLE
    assert plan.reasons == (
        "Objective O's minimum share (30% = 3) cannot be met within the teams' capacity alongside the must-haves.",
    )


def test_shares_that_cannot_be_met_together():
    problem = PlanProblem(
        candidates=(c("P1", 1, {"T": 6}, objectives=("O1",)), c("P2", 1, {"T": 6}, objectives=("O2",))),
        teams=(Team("T", 10),),
        shares=(ObjectiveShare("O1", 0.5), ObjectiveShare("O2", 0.5)),
    )
    assert solve(problem).reasons == (
        "The minimum shares for O1, O2 cannot all be met together within the teams' capacity.",
    )


@pytest.mark.parametrize(
    ("problem", "field", "message"),
    [
        (
            PlanProblem(candidates=(c("A", 1, {"T": 1}), c("A", 2, {"T": 1})), teams=(Team("T", 1),)),
            "candidates",
            "A is listed twice.",
        ),
        (
            PlanProblem(candidates=(c("A", 1, {"U": 1}),), teams=(Team("T", 1),)),
            "candidates",
            "A needs effort from U, which is not a team in this plan.",
        ),
        (
            PlanProblem(candidates=(c("A", 1, {"T": -1}),), teams=(Team("T", 1),)),
            "candidates",
            "A's effort for T must be a number of at least 0.",
        ),
        (
            PlanProblem(candidates=(c("A", float("nan"), {"T": 1}),), teams=(Team("T", 1),)),
            "candidates",
            "A's value must be a finite number.",
        ),
        (
            PlanProblem(candidates=(), teams=(Team("T", -1),)),
            "teams",
            "Team T's capacity must be a number of at least 0.",
        ),
        (PlanProblem(candidates=(), teams=(Team("T", 1), Team("T", 2))), "teams", "Each team can appear only once."),
        (
            PlanProblem(candidates=(), teams=(Team("T", 1),), shares=(ObjectiveShare("O", 1.5),)),
            "shares",
            "The minimum share for O must be between 0% and 100%.",
        ),
        (
            PlanProblem(candidates=(), teams=(Team("T", 1),), mip_rel_gap=-0.1),
            "mip_rel_gap",
            "The gap must be a number of at least 0.",
        ),
        (
            PlanProblem(candidates=(), teams=(Team("T", 1),), time_limit=0),
            "time_limit",
            "The time limit must be more than 0 seconds.",
        ),
    ],
)
def test_bad_input_is_a_validation_error(problem, field, message):
    with pytest.raises(ValidationFailed) as caught:
        solve(problem)
    assert caught.value.fields == {field: [message]}
    assert caught.value.message == f"{field}: {message}"


# --- below the line ------------------------------------------------------------------------------


def test_every_left_out_candidate_has_its_reason():
    problem = PlanProblem(
        candidates=(
            *base_problem().candidates,
            c("E", 50, {"T": 1}, deps=("X",)),
            c("F", 50, {"T": 1}, deps=("E",)),
            c("G", 0, {}),
            c("H", 50, {"T": 1}, deps=("I",)),
            c("I", 50, {"T": 1}, deps=("H",)),
        ),
        teams=(Team("T", 10),),
        mip_rel_gap=0,
    )
    plan = solve(problem)
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.chosen == ("A", "D")
    assert plan.warnings == ("Dependency cycle: H → I → H.",)
    assert plan.below_the_line == (
        LeftOut("B", "dependency", "B depends on C, which is not in the plan.", blocked_by=("C",)),
        LeftOut(
            "C",
            "capacity",
            "C would overflow T by 3; making room would displace D (value 5, against C's 1).",
            overflow={"T": 3.0},
            displaced=("D",),
            displaced_value=5.0,
        ),
        LeftOut("E", "dependency", "E depends on X, which is not a candidate and not marked done."),
        LeftOut("F", "dependency", "F depends on E, which cannot be planned."),
        LeftOut("G", "value", "G fits in the capacity left, but its value (0) adds nothing to the plan."),
        LeftOut("H", "dependency", "H is in a dependency cycle: H → I → H."),
        LeftOut("I", "dependency", "I is in a dependency cycle: H → I → H."),
    )


def test_left_out_because_making_room_would_break_a_share():
    problem = PlanProblem(
        candidates=(
            c("P", 1, {"T": 5}, objectives=("O",)),
            c("Q", 10, {"T": 5}, must=True),
            c("R", 9, {"T": 5}),
        ),
        teams=(Team("T", 10),),
        shares=(ObjectiveShare("O", 0.5),),
    )
    plan = solve(problem)
    assert plan.chosen == ("P", "Q")
    assert plan.below_the_line == (
        LeftOut(
            "R",
            "share",
            "R would overflow T by 5; making room would take an objective below its minimum share.",
            overflow={"T": 5.0},
        ),
    )


def test_left_out_when_only_must_haves_could_make_room():
    problem = PlanProblem(
        candidates=(c("M", 1, {"T": 8}, must=True), c("R", 9, {"T": 5})),
        teams=(Team("T", 10),),
    )
    assert solve(problem).below_the_line == (
        LeftOut(
            "R",
            "capacity",
            "R would overflow T by 3; room cannot be made without dropping must-haves or items others depend on.",
            overflow={"T": 3.0},
        ),
    )


# --- what-if and displacement --------------------------------------------------------------------


def test_what_if_scenarios_side_by_side():
    problem = base_problem()
    base = solve(problem)
    more_people, smaller_a, new_values, both = what_if(
        problem,
        [
            AddCapacity("T", 3),
            ScaleEffort("A", 0.5),
            SetValues({"A": 1}),
            [AddCapacity("T", 3), SetValues({"A": 1})],
        ],
    )
    assert more_people.chosen == ("A", "B", "C")
    assert more_people.total_value == 19
    assert more_people.capacity == {"T": 13}
    comparison = compare_plans(base, more_people)
    assert comparison.added == ("B", "C")
    assert comparison.removed == ("D",)
    assert comparison.value_delta == 4
    assert comparison.capacity_used_delta == {"T": 3}

    assert smaller_a.chosen == ("A", "B", "C")
    assert smaller_a.capacity_used == {"T": 10}
    assert new_values.chosen == ("B", "C")
    assert new_values.total_value == 9
    assert both.chosen == ("B", "C", "D")
    assert both.total_value == 14
    # The problem itself is unchanged.
    assert problem.teams == (Team("T", 10),)
    assert problem.candidates[0].value == 10


def test_what_if_rejects_unknown_names():
    with pytest.raises(ValidationFailed) as caught:
        what_if(base_problem(), [AddCapacity("Nope", 1)])
    assert caught.value.fields == {"team": ["Nope is not a team in this plan."]}
    with pytest.raises(ValidationFailed) as caught:
        what_if(base_problem(), [ScaleEffort("Z", 0.5)])
    assert caught.value.fields == {"candidate": ["Z is not a candidate in this plan."]}
    with pytest.raises(ValidationFailed) as caught:
        what_if(base_problem(), [ScaleEffort("A", -1)])
    assert caught.value.fields == {"factor": ["The factor must be a number of at least 0."]}
    with pytest.raises(ValidationFailed) as caught:
        what_if(base_problem(), [SetValues({"Z": 1, "Y": 2})])
    assert caught.value.fields == {"values": ["Y, Z not a candidate in this plan."]}


def test_what_a_candidate_would_displace():
    problem = base_problem()
    plan = solve(problem)
    assert explain_displacement(problem, plan, "C") == {
        "candidate": "C",
        "in_plan": False,
        "feasible": True,
        "dropped": ("D",),
        "added": ("C",),
        "value_lost": 5,
        "value_gained": 1,
        "net_value": -4,
        "reasons": (),
    }
    # B needs C: both come in, and everything else has to go.
    assert explain_displacement(problem, plan, "B") == {
        "candidate": "B",
        "in_plan": False,
        "feasible": True,
        "dropped": ("A", "D"),
        "added": ("B", "C"),
        "value_lost": 15,
        "value_gained": 9,
        "net_value": -6,
        "reasons": (),
    }
    assert explain_displacement(problem, plan, "A")["in_plan"] is True
    assert explain_displacement(problem, plan, "A")["dropped"] == ()


def test_displacement_of_a_candidate_that_cannot_be_planned():
    problem = PlanProblem(candidates=(c("A", 1, {"T": 1}), c("B", 5, {"T": 1}, deps=("X",))), teams=(Team("T", 1),))
    result = explain_displacement(problem, solve(problem), "B")
    assert result["feasible"] is False
    assert result["reasons"] == (
        "Must-have B cannot be planned: it depends on X, which is not a candidate and not marked done.",
    )
    with pytest.raises(ValidationFailed) as caught:
        explain_displacement(problem, solve(problem), "Nope")
    assert caught.value.fields == {"candidate": ["Nope is not a candidate in this plan."]}


# --- random instances against brute force --------------------------------------------------------


def random_problem(rng: np.random.Generator) -> PlanProblem:
    count = int(rng.integers(1, 13))
    team_ids = [f"T{t}" for t in range(int(rng.integers(1, 4)))]
    candidates = []
    for i in range(count):
        on_teams = rng.choice(len(team_ids), size=int(rng.integers(1, min(2, len(team_ids)) + 1)), replace=False)
        effort = {team_ids[t]: float(rng.integers(0, 6)) for t in on_teams}
        deps: tuple[str, ...] = ()
        if i and rng.random() < 0.3:
            deps = tuple(f"C{j}" for j in rng.choice(i, size=min(i, int(rng.integers(1, 3))), replace=False))
        if rng.random() < 0.05:
            deps += ("DONE",) if rng.random() < 0.5 else ("MISSING",)
        candidates.append(
            c(
                f"C{i}",
                float(rng.integers(-1, 20)),
                effort,
                must=bool(rng.random() < 0.05),
                deps=deps,
                objectives=("O",) if rng.random() < 0.4 else (),
            )
        )
    teams = tuple(Team(t, float(rng.integers(3, 15))) for t in team_ids)
    shares = (ObjectiveShare("O", float(rng.choice([0.05, 0.1, 0.2]))),) if rng.random() < 0.3 else ()
    return PlanProblem(
        candidates=tuple(candidates), teams=teams, shares=shares, done=frozenset({"DONE"}), mip_rel_gap=0
    )


def feasible_subsets(problem: PlanProblem) -> tuple[np.ndarray, np.ndarray]:
    """All subsets as rows of a 0/1 matrix, and which of them satisfy every constraint."""
    count = len(problem.candidates)
    subsets = np.array(list(itertools.product([0, 1], repeat=count)), dtype=float).reshape(-1, count)
    ok = np.ones(len(subsets), dtype=bool)
    index = {x.id: i for i, x in enumerate(problem.candidates)}
    for team in problem.teams:
        effort = np.array([x.effort.get(team.id, 0.0) for x in problem.candidates])
        ok &= subsets @ effort <= team.capacity + 1e-9
    for i, x in enumerate(problem.candidates):
        if x.must_have:
            ok &= subsets[:, i] == 1
        for dependency in x.depends_on:
            if dependency in index:
                ok &= subsets[:, i] <= subsets[:, index[dependency]]
            elif dependency not in problem.done:
                ok &= subsets[:, i] == 0
    total = np.array([x.total_effort for x in problem.candidates])
    for share in problem.shares:
        served = np.array([share.objective in x.objectives for x in problem.candidates]) * total
        ok &= subsets @ served >= share.min_share * problem.total_capacity - 1e-9
    return subsets, ok


@pytest.mark.parametrize("seed", range(80))
def test_random_instances_match_brute_force(seed):
    problem = random_problem(np.random.default_rng(seed))
    plan = solve(problem)
    subsets, ok = feasible_subsets(problem)
    if not ok.any():
        assert plan.status is PlanStatus.INFEASIBLE
        assert plan.reasons
        return
    values = np.array([x.value for x in problem.candidates])
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.total_value == pytest.approx(float((subsets[ok] @ values).max()))
    chosen = np.array([float(x.id in plan.chosen) for x in problem.candidates])
    assert ok[np.flatnonzero((subsets == chosen).all(axis=1))[0]], "the plan breaks a constraint"
    assert plan.chosen == tuple(x.id for x in problem.candidates if x.id in plan.chosen)
    baseline = greedy(problem)
    if baseline.meets_shares:
        assert plan.value_over_greedy == pytest.approx(plan.total_value - baseline.value)
        assert plan.value_over_greedy >= -1e-9
    assert {item.id for item in plan.below_the_line} == {x.id for x in problem.candidates} - set(plan.chosen)
    for item in plan.below_the_line:
        if item.reason == "dependency" and item.blocked_by:
            assert not set(item.blocked_by) & set(plan.chosen)
        if item.displaced:
            # Swapping the displaced items for the candidate fits every team.
            swapped = set(plan.chosen) - set(item.displaced) | {item.id}
            for team in problem.teams:
                used = sum(x.effort.get(team.id, 0.0) for x in problem.candidates if x.id in swapped)
                assert used <= team.capacity + 1e-9


class FakeResult:
    def __init__(self, status: int, x: list[float] | None, mip_gap: float | None, mip_dual_bound: float | None = None):
        self.status, self.x, self.mip_gap, self.message = status, None if x is None else np.array(x), mip_gap, "stopped"
        self.mip_dual_bound = mip_dual_bound


@pytest.mark.parametrize(
    ("result", "status", "chosen", "gap"),
    [
        (FakeResult(0, [1, 0, 0, 0.9999999], 0.003), PlanStatus.GAP_PROVEN, ("A", "D"), 0.003),
        # Stopped with only C: the leftover capacity is filled by value (A fits, then B and D do not).
        (FakeResult(1, [0, 0, 1, 0], 0.2), PlanStatus.TIME_LIMIT_FEASIBLE, ("A", "C"), 0.2),
        # With the solver's bound (value ≤ 16), the gap is recomputed for the filled plan: (16 − 11) / 11.
        (FakeResult(1, [0, 0, 1, 0], 0.9, -16.0), PlanStatus.TIME_LIMIT_FEASIBLE, ("A", "C"), 5 / 11),
        (FakeResult(1, None, None), PlanStatus.NO_SOLUTION, (), None),
    ],
)
def test_solver_statuses(monkeypatch, result, status, chosen, gap):
    options_seen = []

    def fake_milp(**kwargs: object) -> FakeResult:
        options_seen.append(kwargs["options"])
        return result

    monkeypatch.setattr(planner, "milp", fake_milp)
    plan = solve(base_problem(time_limit=2.5, mip_rel_gap=0.01))
    assert options_seen == [{"disp": False, "mip_rel_gap": 0.01, "time_limit": 2.5}]
    assert (plan.status, plan.chosen, plan.gap) == (status, chosen, gap)
    if status is PlanStatus.NO_SOLUTION:
        assert plan.reasons == ("No feasible plan was found: stopped",)


@pytest.mark.parametrize("seed", range(100, 120))
def test_random_instances_with_the_default_gap_are_feasible_and_near_optimal(seed):
    problem = replace(random_problem(np.random.default_rng(seed)), mip_rel_gap=0.005)
    plan = solve(problem)
    subsets, ok = feasible_subsets(problem)
    if not ok.any():
        assert plan.status is PlanStatus.INFEASIBLE
        return
    best = float((subsets[ok] @ np.array([x.value for x in problem.candidates])).max())
    assert plan.total_value >= best - 0.005 * abs(best) - 1e-9
    chosen = np.array([float(x.id in plan.chosen) for x in problem.candidates])
    assert ok[np.flatnonzero((subsets == chosen).all(axis=1))[0]]


def test_a_feature_depending_on_itself_is_a_cycle():
    problem = PlanProblem(candidates=(c("S", 1, {"T": 1}, deps=("S",)), c("U", 1, {"T": 1})), teams=(Team("T", 5),))
    plan = solve(problem)
    assert plan.chosen == ("U",)
    assert plan.warnings == ("Dependency cycle: S → S.",)
    assert plan.below_the_line == (LeftOut("S", "dependency", "S is in a dependency cycle: S → S."),)


def test_apply_changes_in_order():
    changed = apply_changes(
        base_problem(), [AddCapacity("T", 2), AddCapacity("T", 1), ScaleEffort("A", 0.5), SetValues({"D": 7})]
    )
    assert changed.teams == (Team("T", 13),)
    assert [(x.id, x.value, dict(x.effort)) for x in changed.candidates] == [
        ("A", 10, {"T": 3.0}),
        ("B", 8, {"T": 4}),
        ("C", 1, {"T": 3}),
        ("D", 7, {"T": 4}),
    ]


def test_check_plan_names_every_broken_constraint():
    assert check_plan(base_problem(), ["A", "D"]) == []
    assert check_plan(base_problem(), ["A", "B", "D", "Z"]) == [
        "Z is not a candidate.",
        "T is over capacity: 14 of 10.",
        "B depends on C, not in the plan.",
    ]
    problem = PlanProblem(
        candidates=(
            c("M", 1, {"T": 1}, must=True),
            c("P", 1, {"T": 1}, objectives=("O",)),
            c("E", 1, {"T": 1}, deps=("X",)),
        ),
        teams=(Team("T", 10),),
        shares=(ObjectiveShare("O", 0.2),),
    )
    assert check_plan(problem, ["P", "E"]) == [
        "E depends on X, which is not a candidate and not marked done.",
        "Must-have M is not in the plan.",
        "Objective O gets 1, below its minimum 2.",
    ]


@pytest.mark.parametrize(
    ("hint", "chosen"),
    [
        ((), ("A", "C")),  # the solver's C, then the leftover filled by value: A
        (("A", "D"), ("A", "D")),  # a feasible hint worth more replaces it
        (("A", "B", "D"), ("A", "C")),  # a hint over capacity is ignored
        (("B", "C"), ("A", "C")),  # a feasible hint worth less (9 < 11 after the fill) is ignored
    ],
)
def test_a_hint_replaces_a_worse_plan_when_the_solver_stops_early(monkeypatch, hint, chosen):
    monkeypatch.setattr(planner, "milp", lambda **kwargs: FakeResult(0, [0, 0, 1, 0], 0.003))
    assert solve(base_problem(), hint=hint).chosen == chosen


def test_what_if_uses_the_given_base_plan_as_the_hint(monkeypatch):
    problem = base_problem()
    base = solve(problem)
    monkeypatch.setattr(planner, "milp", lambda **kwargs: FakeResult(0, [0, 0, 1, 0], 0.003))
    # With one more unit the solver's (faked) early stop would give A + C = 11; the base plan,
    # still feasible, is worth 15.
    [more] = what_if(problem, [AddCapacity("T", 1)], base=base)
    assert more.chosen == ("A", "D")
    assert more.status is PlanStatus.GAP_PROVEN

"""Capacity planner benchmark (issue 6): ``.venv/bin/python bench/planner.py``.

Generates a realistic instance with a fixed seed and solves it with
``headway.prioritization.planner.solve``:

* 2,000 candidates across 10 teams; values lognormal (median 10, σ 1);
* effort 0.5–8 person-weeks on one primary team; 25% of the features also need a second team
  (0.5–3 person-weeks);
* ~20% of the features depend on 1–2 earlier features (so the graph is acyclic);
* 10 must-haves (chosen among features without dependencies);
* each team's capacity is 40% of the demand on it.

Target (issue 6): optimal, or a proven gap under 0.5%, in under 10 s. Prints the solve time
(model building, solving, below-the-line reasons and greedy baseline included), the proven gap,
the value, and the value gained over the better greedy fill (by value or by value per effort).

    bench/planner.py [--candidates 2000] [--teams 10] [--seed 6] [--runs 3] [--gap 0.005] [--shares]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from headway.prioritization.planner import (
    AddCapacity,
    Candidate,
    ObjectiveShare,
    PlanProblem,
    Team,
    explain_displacement,
    greedy,
    solve,
    what_if,
)


def build_instance(candidate_count: int, team_count: int, seed: int, shares: bool = False) -> PlanProblem:
    rng = np.random.default_rng(seed)
    team_ids = [f"team-{t}" for t in range(team_count)]
    values = rng.lognormal(mean=np.log(10), sigma=1.0, size=candidate_count)
    primary = rng.integers(0, team_count, size=candidate_count)
    primary_effort = rng.uniform(0.5, 8.0, size=candidate_count)
    has_second = rng.random(candidate_count) < 0.25
    second = (primary + rng.integers(1, team_count, size=candidate_count)) % team_count
    second_effort = rng.uniform(0.5, 3.0, size=candidate_count)
    has_dependencies = (rng.random(candidate_count) < 0.2) & (np.arange(candidate_count) > 0)
    dependency_count = rng.integers(1, 3, size=candidate_count)
    must_have = set(rng.choice(np.flatnonzero(~has_dependencies), size=10, replace=False).tolist())

    demand = np.zeros(team_count)
    candidates = []
    for i in range(candidate_count):
        effort = {team_ids[primary[i]]: round(float(primary_effort[i]), 1)}
        demand[primary[i]] += effort[team_ids[primary[i]]]
        if has_second[i]:
            effort[team_ids[second[i]]] = round(float(second_effort[i]), 1)
            demand[second[i]] += effort[team_ids[second[i]]]
        depends_on: tuple[str, ...] = ()
        if has_dependencies[i]:
            earlier = rng.choice(i, size=min(i, int(dependency_count[i])), replace=False)
            depends_on = tuple(f"F{j}" for j in sorted(earlier.tolist()))
        candidates.append(
            Candidate(
                id=f"F{i}",
                value=round(float(values[i]), 2),
                effort=effort,
                must_have=i in must_have,
                depends_on=depends_on,
            )
        )
    teams = tuple(Team(team_id, round(0.4 * float(demand[t]), 1)) for t, team_id in enumerate(team_ids))
    if not shares:
        return PlanProblem(candidates=tuple(candidates), teams=teams)
    # Five objectives, each feature serving 0–2; objectives O0 and O1 get 15% and 20% of capacity.
    served = [tuple(f"O{k}" for k in rng.choice(5, size=int(rng.integers(0, 3)), replace=False)) for _ in candidates]
    return PlanProblem(
        candidates=tuple(replace(c, objectives=objectives) for c, objectives in zip(candidates, served, strict=True)),
        teams=teams,
        shares=(ObjectiveShare("O0", 0.15), ObjectiveShare("O1", 0.2)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gap", type=float, default=0.005, help="mip_rel_gap (0 for proven optimality)")
    parser.add_argument("--shares", action="store_true", help="add objectives with minimum shares")
    args = parser.parse_args()

    instance = build_instance(args.candidates, args.teams, args.seed, shares=args.shares)
    problem = replace(instance, mip_rel_gap=args.gap)
    edges = sum(len(c.depends_on) for c in problem.candidates)
    print(
        f"instance: {len(problem.candidates)} candidates, {len(problem.teams)} teams, {edges} dependencies, "
        f"{sum(c.must_have for c in problem.candidates)} must-haves, seed {args.seed}, mip_rel_gap {args.gap}"
    )
    times = []
    plan = None
    for _ in range(args.runs):
        started = time.perf_counter()
        plan = solve(problem)
        times.append(time.perf_counter() - started)
    assert plan is not None
    started = time.perf_counter()
    baseline = greedy(problem)
    greedy_seconds = time.perf_counter() - started
    gain = plan.value_over_greedy if plan.value_over_greedy is not None else float("nan")
    print(f"status: {plan.status.value}; proven gap: {100 * (plan.gap or 0.0):.4f}%")
    print(f"solve (incl. reasons and greedy baseline): median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    print(f"chosen: {len(plan.chosen)} of {len(problem.candidates)}; value {plan.total_value:.1f}")
    print(
        f"greedy baseline ({baseline.rule}): value {baseline.value:.1f}, {greedy_seconds:.2f} s; "
        f"gain {gain:.1f} ({100 * gain / baseline.value:.2f}%)"
    )
    used = sum(plan.capacity_used.values())
    print(f"capacity used: {used:.1f} of {sum(plan.capacity.values()):.1f}")
    print(f"target (< 10 s, gap < 0.5%): {'met' if max(times) < 10 and (plan.gap or 0) < 0.005 else 'MISSED'}")
    left_out = next(item.id for item in plan.below_the_line if item.reason == "capacity")
    started = time.perf_counter()
    displacement = explain_displacement(problem, plan, left_out)
    print(
        f"explain_displacement({left_out}): {time.perf_counter() - started:.2f} s, "
        f"drops {len(displacement['dropped'])} items, net value {displacement['net_value']:.2f}"  # type: ignore[arg-type]
    )
    started = time.perf_counter()
    [more] = what_if(problem, [AddCapacity(problem.teams[0].id, 6)], base=plan)
    print(
        f"what_if(+6 on {problem.teams[0].id}): {time.perf_counter() - started:.2f} s, "
        f"value {more.total_value - plan.total_value:+.1f}"
    )


if __name__ == "__main__":
    main()

"""The capacity planner (issue 6, points 5 and 6): the plan that fits the most value into capacity.

A pure function over plain data: ``solve(PlanProblem) -> Plan``. No database, no Django models;
the service layer turns features, teams and objectives into a ``PlanProblem`` and stores the
``Plan`` it gets back.

The model is a 0/1 integer program solved with ``scipy.optimize.milp`` (HiGHS):

* one binary ``x_i`` per candidate; maximise ``Σ value_i · x_i`` (the value is whatever the caller
  ranks by: a score, demand, or an objective mix it computed);
* per-team capacity: ``Σ_i effort_i,t · x_i ≤ capacity_t`` (a feature may need several teams);
* dependencies: ``x_i ≤ x_j`` for every ``j`` that ``i`` depends on (a feature only with what it
  depends on);
* must-haves: ``x_i = 1`` (and, through the dependency rows, everything they depend on);
* minimum shares: ``Σ_{i serves o} effort_i · x_i ≥ share_o · total capacity`` where effort_i is
  the candidate's effort summed over teams. **Shares are fractions of the total capacity of all
  teams in the period** (not of the capacity the plan happens to use): "at least 20% of our
  capacity goes to objective O" stays the same promise whatever else is chosen, and it is easy to
  check by hand.

Dependencies outside the candidate list: an id listed in ``PlanProblem.done`` (already delivered)
satisfies the dependency; any other unknown id makes the feature impossible to plan (and, in turn,
everything that depends on it). An id that is a candidate is always the candidate, done or not.
Dependency cycles are data errors: the features on a cycle (and what depends on them) are left out
with the cycle named, the plan is still solved for the rest, and the cycle is listed in
``Plan.warnings``; only a must-have that needs a cycle makes the whole problem infeasible.

Infeasible inputs never raise: ``solve`` returns a ``Plan`` with status ``infeasible`` and
human-readable ``reasons`` (must-haves over a team's capacity with the shortfall, a must-have that
cannot be planned and why, shares that cannot be met). Input a person typed wrongly (duplicate ids,
negative effort, a share above 100%) raises ``ValidationFailed``.

Solve status: ``optimal`` (gap 0), ``gap_proven`` (HiGHS stopped within ``mip_rel_gap``),
``time_limit_feasible``, ``no_solution`` (stopped before any plan) or ``infeasible``. When the
solver stops early, the capacity it left is filled greedily by value with candidates that fit (it
often leaves some), and ``Plan.gap`` is recomputed from the solver's proven bound for that plan.

Below the line, each candidate gets one reason: ``dependency`` (a dependency cannot be planned —
missing, on a cycle — or is not in the plan), ``capacity`` (it overflows the capacity left on some
teams: by how much, and which chosen items would make room — the lowest value per effort on those
teams first, among optional items nothing chosen depends on), ``share`` (room could only be made
by taking an objective below its minimum share) or ``value`` (it fits in the capacity left but
adds nothing: a value ≤ 0, or the solver stopped within its gap).

Around ``solve``: ``explain_displacement`` (what forcing a candidate in would push out of the
current plan, and the value lost), ``what_if`` / ``apply_changes`` with ``AddCapacity``,
``ScaleEffort`` and ``SetValues`` (scenarios, each hinted with the current plan: when the current
plan still fits a scenario, the scenario's plan is never worth less through solver noise),
``compare_plans`` (added, removed, value and capacity deltas) and ``check_plan`` (what a saved set
of ids breaks after the data changed).

The greedy baseline (``greedy``) is what a person does with a ranked list: must-haves (with their
dependencies) first, then each minimum share filled with its objective's best-ranked candidates,
then all candidates in rank order, taking one when it fits together with any of its dependencies
that are not yet taken. Two rankings are tried, by value and by value per unit of effort (effort
summed over teams), and the better one is the baseline the plan is compared with. A greedy plan
that still misses a share does not count as a baseline (``Plan.value_over_greedy`` is then None).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from headway.core.errors import ValidationFailed

# A solution value within this of 0 or 1 is that integer (HiGHS returns 0.9999999…).
_INTEGRALITY_TOLERANCE = 1e-6
# Capacity and share checks allow this much floating-point slack.
_CAPACITY_TOLERANCE = 1e-9
# Displacement is solved to optimality; this bounds it when the problem sets no time limit.
_DISPLACEMENT_TIME_LIMIT = 10.0


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A feature that could go into the plan.

    ``effort`` maps team id → effort in the period's unit (person-weeks or points); ``objectives``
    are the objective ids it serves; ``depends_on`` the ids it cannot ship without.
    """

    id: str
    value: float
    effort: Mapping[str, float]
    must_have: bool = False
    objectives: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()

    @property
    def total_effort(self) -> float:
        return float(sum(self.effort.values()))


@dataclass(frozen=True)
class Team:
    id: str
    capacity: float


@dataclass(frozen=True)
class ObjectiveShare:
    """At least ``min_share`` (0–1) of the total capacity of all teams goes to ``objective``."""

    objective: str
    min_share: float


@dataclass(frozen=True)
class PlanProblem:
    candidates: tuple[Candidate, ...]
    teams: tuple[Team, ...]
    shares: tuple[ObjectiveShare, ...] = ()
    done: frozenset[str] = frozenset()
    time_limit: float | None = None
    mip_rel_gap: float = 0.005

    @property
    def total_capacity(self) -> float:
        return float(sum(team.capacity for team in self.teams))


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


class PlanStatus(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (gap 0)
    GAP_PROVEN = "gap_proven"  # within the requested relative gap of the optimum
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"  # a feasible plan, stopped by the time limit
    NO_SOLUTION = "no_solution"  # stopped (time limit, solver error) before any feasible plan
    INFEASIBLE = "infeasible"  # no plan satisfies the constraints; see Plan.reasons


LeftOutReason = Literal["capacity", "dependency", "share", "value"]


@dataclass(frozen=True)
class LeftOut:
    """A candidate below the line and why.

    ``overflow``: team → how much more than is left it needs (reason "capacity"/"share");
    ``displaced``: the chosen items that would have to go to make room, lowest value per effort
    first; ``blocked_by``: the dependencies that are not in the plan (reason "dependency").
    """

    id: str
    reason: LeftOutReason
    message: str
    overflow: Mapping[str, float] = field(default_factory=dict)
    displaced: tuple[str, ...] = ()
    displaced_value: float = 0.0
    blocked_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class GreedyResult:
    rule: Literal["value", "value_per_effort"]
    chosen: tuple[str, ...]
    value: float
    meets_shares: bool


@dataclass(frozen=True)
class Plan:
    status: PlanStatus
    chosen: tuple[str, ...]  # in the order of PlanProblem.candidates
    total_value: float
    capacity_used: Mapping[str, float]
    capacity: Mapping[str, float]
    gap: float | None
    solve_seconds: float
    below_the_line: tuple[LeftOut, ...] = ()
    reasons: tuple[str, ...] = ()  # why the problem is infeasible / was not solved
    warnings: tuple[str, ...] = ()
    greedy: GreedyResult | None = None  # the better greedy plan that meets the shares
    value_over_greedy: float | None = None

    @property
    def feasible(self) -> bool:
        return self.status in (PlanStatus.OPTIMAL, PlanStatus.GAP_PROVEN, PlanStatus.TIME_LIMIT_FEASIBLE)


# --------------------------------------------------------------------------------------------
# Validation and the dependency graph
# --------------------------------------------------------------------------------------------


def _fmt(number: float) -> str:
    """Numbers in messages: 12, 2.5, 0.333 — no trailing zeros."""
    return f"{round(number, 3):g}"


def _validate(problem: PlanProblem) -> None:
    def fail(name: str, message: str) -> ValidationFailed:
        return ValidationFailed(f"{name}: {message}", fields={name: [message]})

    team_ids = [team.id for team in problem.teams]
    if len(set(team_ids)) != len(team_ids):
        raise fail("teams", "Each team can appear only once.")
    for team in problem.teams:
        if not math.isfinite(team.capacity) or team.capacity < 0:
            raise fail("teams", f"Team {team.id}'s capacity must be a number of at least 0.")
    known_teams = set(team_ids)
    seen: set[str] = set()
    for candidate in problem.candidates:
        if candidate.id in seen:
            raise fail("candidates", f"{candidate.id} is listed twice.")
        seen.add(candidate.id)
        if not math.isfinite(candidate.value):
            raise fail("candidates", f"{candidate.id}'s value must be a finite number.")
        for team_id, effort in candidate.effort.items():
            if team_id not in known_teams:
                raise fail(
                    "candidates", f"{candidate.id} needs effort from {team_id}, which is not a team in this plan."
                )
            if not math.isfinite(effort) or effort < 0:
                raise fail("candidates", f"{candidate.id}'s effort for {team_id} must be a number of at least 0.")
    objectives = [share.objective for share in problem.shares]
    if len(set(objectives)) != len(objectives):
        raise fail("shares", "Each objective can have only one minimum share.")
    for share in problem.shares:
        if not (0 <= share.min_share <= 1):
            raise fail("shares", f"The minimum share for {share.objective} must be between 0% and 100%.")
    if not (math.isfinite(problem.mip_rel_gap) and problem.mip_rel_gap >= 0):
        raise fail("mip_rel_gap", "The gap must be a number of at least 0.")
    if problem.time_limit is not None and not (problem.time_limit > 0):
        raise fail("time_limit", "The time limit must be more than 0 seconds.")


@dataclass
class _Graph:
    """Candidate indices, dependency edges between candidates, and what cannot be planned."""

    index: dict[str, int]
    edges_from: np.ndarray  # dependent candidate index
    edges_to: np.ndarray  # the candidate it depends on
    depends: list[list[int]]  # per candidate, the candidate indices it depends on
    blocked: dict[int, str]  # candidate index → why it cannot be planned ("depends on …")
    cycles: list[tuple[str, ...]]


def _find_cycle(start: int, members: set[int], depends: list[list[int]], ids: Sequence[str]) -> tuple[str, ...]:
    """A cycle through ``start`` inside one strongly connected component, as ids ending at start."""
    path = [start]
    position = {start: 0}
    node = start
    while True:
        node = next(j for j in depends[node] if j in members)
        if node in position:
            cycle = [*path[position[node] :], node]
            return tuple(ids[k] for k in cycle)
        position[node] = len(path)
        path.append(node)


def _build_graph(problem: PlanProblem) -> _Graph:
    ids = [candidate.id for candidate in problem.candidates]
    index = {candidate_id: i for i, candidate_id in enumerate(ids)}
    count = len(ids)
    depends: list[list[int]] = [[] for _ in range(count)]
    blocked: dict[int, str] = {}
    for i, candidate in enumerate(problem.candidates):
        for dependency in candidate.depends_on:
            j = index.get(dependency)
            if j is not None:
                if j not in depends[i]:
                    depends[i].append(j)
            elif dependency not in problem.done and i not in blocked:
                blocked[i] = f"depends on {dependency}, which is not a candidate and not marked done"
    edges_from = np.fromiter((i for i in range(count) for _ in depends[i]), dtype=np.int64)
    edges_to = np.fromiter((j for i in range(count) for j in depends[i]), dtype=np.int64)

    cycles: list[tuple[str, ...]] = []
    if len(edges_from):
        adjacency = sparse.csr_matrix((np.ones(len(edges_from)), (edges_from, edges_to)), shape=(count, count))
        _, labels = connected_components(adjacency, directed=True, connection="strong")
        sizes = np.bincount(labels)
        self_loops = set(edges_from[edges_from == edges_to].tolist())
        for label in np.unique(labels):
            members = set(np.flatnonzero(labels == label).tolist()) if sizes[label] > 1 else set()
            if not members:
                only = int(np.flatnonzero(labels == label)[0])
                if only not in self_loops:
                    continue
                members = {only}
            cycle = _find_cycle(min(members), members, depends, ids)
            cycles.append(cycle)
            text = " → ".join(cycle)
            for member in sorted(members):
                blocked[member] = f"is in a dependency cycle: {text}"

    # Whatever depends (transitively) on something blocked is blocked too.
    dependents: list[list[int]] = [[] for _ in range(count)]
    for i in range(count):
        for j in depends[i]:
            dependents[j].append(i)
    queue = sorted(blocked)
    while queue:
        j = queue.pop()
        for i in dependents[j]:
            if i not in blocked:
                blocked[i] = f"depends on {ids[j]}, which cannot be planned"
                queue.append(i)
    return _Graph(index, edges_from, edges_to, depends, blocked, cycles)


def _closure(start: Iterable[int], depends: list[list[int]]) -> set[int]:
    """``start`` and everything it depends on, transitively."""
    result = set(start)
    stack = list(result)
    while stack:
        for j in depends[stack.pop()]:
            if j not in result:
                result.add(j)
                stack.append(j)
    return result


@dataclass
class _Arrays:
    values: np.ndarray  # (n,)
    effort: np.ndarray  # (teams, n), dense: 10 × 2,000 is small and makes checks vectorised
    capacity: np.ndarray  # (teams,)
    serves: np.ndarray  # (shares, n) bool
    required: np.ndarray  # (shares,) effort each objective needs


def _arrays(problem: PlanProblem) -> _Arrays:
    team_index = {team.id: t for t, team in enumerate(problem.teams)}
    count = len(problem.candidates)
    rows = [team_index[team_id] for candidate in problem.candidates for team_id in candidate.effort]
    cols = [i for i, candidate in enumerate(problem.candidates) for _ in candidate.effort]
    data = [effort for candidate in problem.candidates for effort in candidate.effort.values()]
    effort = np.zeros((len(problem.teams), count))
    np.add.at(effort, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)), data)
    serves = np.array(
        [[share.objective in candidate.objectives for candidate in problem.candidates] for share in problem.shares],
        dtype=bool,
    ).reshape(len(problem.shares), count)
    required = np.array([share.min_share * problem.total_capacity for share in problem.shares])
    return _Arrays(
        values=np.array([candidate.value for candidate in problem.candidates], dtype=float),
        effort=effort,
        capacity=np.array([team.capacity for team in problem.teams], dtype=float),
        serves=serves,
        required=required,
    )


def _meets_shares(chosen_mask: np.ndarray, arrays: _Arrays) -> bool:
    served = (arrays.serves * arrays.effort.sum(axis=0)) @ chosen_mask
    return bool(np.all(served >= arrays.required - _CAPACITY_TOLERANCE))


# --------------------------------------------------------------------------------------------
# Greedy baseline
# --------------------------------------------------------------------------------------------


def _greedy_fill(problem: PlanProblem, graph: _Graph, arrays: _Arrays, order: Sequence[int]) -> np.ndarray:
    count = len(problem.candidates)
    chosen = np.zeros(count, dtype=bool)
    remaining = arrays.capacity.copy()
    forced = _closure((i for i, c in enumerate(problem.candidates) if c.must_have), graph.depends)
    for i in forced:
        chosen[i] = True
    remaining -= arrays.effort[:, sorted(forced)].sum(axis=1)

    def take(i: int) -> None:
        nonlocal remaining
        if chosen[i] or i in graph.blocked:
            return
        needed = sorted(j for j in _closure([i], graph.depends) if not chosen[j])
        need = arrays.effort[:, needed].sum(axis=1)
        if np.all(need <= remaining + _CAPACITY_TOLERANCE):
            chosen[needed] = True
            remaining = remaining - need

    # Minimum shares next, as a person would: each objective's best-ranked features until it has
    # its share; then everything else in rank order.
    total_effort = arrays.effort.sum(axis=0)
    for s in range(len(problem.shares)):
        for i in order:
            if float((arrays.serves[s] * total_effort) @ chosen) >= arrays.required[s] - _CAPACITY_TOLERANCE:
                break
            if arrays.serves[s, i]:
                take(i)
    for i in order:
        take(i)
    return chosen


def greedy(problem: PlanProblem) -> GreedyResult:
    """The better of two greedy fills (by value, by value per effort) that meets the shares.

    Must-haves and their dependencies go in first; then, per minimum share, the objective's
    candidates in rank order until the share is met; then all candidates in rank order. A
    candidate is taken when it fits together with those of its dependencies not yet taken. If
    neither fill meets the minimum shares, the better one is returned with ``meets_shares=False``.
    """
    _validate(problem)
    return _greedy(problem, _build_graph(problem), _arrays(problem))


def _greedy(problem: PlanProblem, graph: _Graph, arrays: _Arrays) -> GreedyResult:
    total_effort = arrays.effort.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_effort = np.where(total_effort > 0, arrays.values / np.where(total_effort > 0, total_effort, 1), np.inf)
    per_effort = np.where((total_effort == 0) & (arrays.values <= 0), arrays.values, per_effort)
    # Stable sorts: ties keep the candidates' order, so the baseline is reproducible.
    rankings: list[tuple[Literal["value", "value_per_effort"], np.ndarray]] = [
        ("value", np.argsort(-arrays.values, kind="stable")),
        ("value_per_effort", np.argsort(-per_effort, kind="stable")),
    ]
    results = []
    for rule, order in rankings:
        # A person would not take something with no value just because it fits.
        order = order[arrays.values[order] > 0]
        mask = _greedy_fill(problem, graph, arrays, order.tolist())
        results.append(
            GreedyResult(
                rule=rule,
                chosen=tuple(problem.candidates[i].id for i in np.flatnonzero(mask)),
                value=float(arrays.values @ mask),
                meets_shares=_meets_shares(mask, arrays),
            )
        )
    valid = [result for result in results if result.meets_shares] or results
    return max(valid, key=lambda result: result.value)  # max keeps the first of equals: "value"


# --------------------------------------------------------------------------------------------
# Solve
# --------------------------------------------------------------------------------------------


def _infeasible(problem: PlanProblem, reasons: list[str], warnings: list[str], started: float) -> Plan:
    return Plan(
        status=PlanStatus.INFEASIBLE,
        chosen=(),
        total_value=0.0,
        capacity_used={team.id: 0.0 for team in problem.teams},
        capacity={team.id: team.capacity for team in problem.teams},
        gap=None,
        solve_seconds=time.perf_counter() - started,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
    )


def _precheck(problem: PlanProblem, graph: _Graph, arrays: _Arrays, forced: set[int]) -> list[str]:
    """Reasons the problem is infeasible that can be named exactly without solving."""
    reasons = []
    for i, candidate in enumerate(problem.candidates):
        if candidate.must_have and i in graph.blocked:
            reasons.append(f"Must-have {candidate.id} cannot be planned: it {graph.blocked[i]}.")
    if reasons:
        return reasons
    forced_effort = arrays.effort[:, sorted(forced)].sum(axis=1)
    for t, team in enumerate(problem.teams):
        if forced_effort[t] > arrays.capacity[t] + _CAPACITY_TOLERANCE:
            reasons.append(
                f"Must-haves (with their dependencies) need {_fmt(forced_effort[t])} from {team.id}, "
                f"which has {_fmt(team.capacity)}: {_fmt(forced_effort[t] - team.capacity)} short."
            )
    plannable = np.ones(len(problem.candidates), dtype=bool)
    plannable[list(graph.blocked)] = False
    total_effort = arrays.effort.sum(axis=0)
    for s, share in enumerate(problem.shares):
        available = float(total_effort[arrays.serves[s] & plannable].sum())
        if available < arrays.required[s] - _CAPACITY_TOLERANCE:
            reasons.append(
                f"Objective {share.objective} needs at least {_fmt(arrays.required[s])} "
                f"({_fmt(share.min_share * 100)}% of the total capacity {_fmt(problem.total_capacity)}), "
                f"but the candidates serving it that can be planned need only {_fmt(available)}."
            )
    return reasons


def _run_milp(
    problem: PlanProblem,
    graph: _Graph,
    arrays: _Arrays,
    forced: set[int],
    share_rows: Sequence[int] | None = None,
) -> tuple[int, np.ndarray | None, float | None, float | None, str]:
    """(scipy status, 0/1 solution or None, gap, upper bound on the value, message). Never raises."""
    count = len(problem.candidates)
    lower = np.zeros(count)
    upper = np.ones(count)
    lower[sorted(forced)] = 1
    upper[list(graph.blocked)] = 0
    constraints = []
    if len(problem.teams):
        constraints.append(LinearConstraint(sparse.csr_matrix(arrays.effort), -np.inf, arrays.capacity))
    edge_count = len(graph.edges_from)
    if edge_count:
        rows = np.concatenate([np.arange(edge_count), np.arange(edge_count)])
        cols = np.concatenate([graph.edges_from, graph.edges_to])
        data = np.concatenate([np.ones(edge_count), -np.ones(edge_count)])
        matrix = sparse.csr_matrix((data, (rows, cols)), shape=(edge_count, count))
        constraints.append(LinearConstraint(matrix, -np.inf, 0))
    selected = list(range(len(problem.shares))) if share_rows is None else list(share_rows)
    if selected:
        share_matrix = arrays.serves[selected] * arrays.effort.sum(axis=0)
        constraints.append(LinearConstraint(sparse.csr_matrix(share_matrix), arrays.required[selected], np.inf))
    options: dict[str, float | bool] = {"disp": False, "mip_rel_gap": problem.mip_rel_gap}
    if problem.time_limit is not None:
        options["time_limit"] = problem.time_limit
    if count == 0:
        return 0, np.zeros(0), 0.0, 0.0, "empty"
    try:
        result = milp(
            c=-arrays.values,
            integrality=np.ones(count),
            bounds=Bounds(lower, upper),
            constraints=constraints,
            options=options,
        )
    except Exception as error:  # the solver must never take a plan page down
        return 4, None, None, None, f"The solver failed: {error}"
    solution = None if result.x is None else (result.x > 0.5).astype(float)
    gap = getattr(result, "mip_gap", None)
    dual_bound = getattr(result, "mip_dual_bound", None)
    bound = None if dual_bound is None or not math.isfinite(dual_bound) else -float(dual_bound)
    return int(result.status), solution, (None if gap is None else float(gap)), bound, str(result.message)


def _explain_share_infeasibility(problem: PlanProblem, graph: _Graph, arrays: _Arrays, forced: set[int]) -> list[str]:
    """Called when the solver proves infeasibility after the prechecks, which only shares cause."""
    if not problem.shares:  # the must-haves alone fit (prechecked): only numerical trouble gets here
        return ["The solver found no feasible plan although the must-haves fit; try again or report it."]
    alone = [s for s in range(len(problem.shares)) if _run_milp(problem, graph, arrays, forced, [s])[0] == 2]
    if alone:
        return [
            f"Objective {problem.shares[s].objective}'s minimum share "
            f"({_fmt(problem.shares[s].min_share * 100)}% = {_fmt(arrays.required[s])}) cannot be met "
            "within the teams' capacity alongside the must-haves."
            for s in alone
        ]
    names = ", ".join(share.objective for share in problem.shares)
    return [f"The minimum shares for {names} cannot all be met together within the teams' capacity."]


def solve(problem: PlanProblem, hint: Iterable[str] = ()) -> Plan:
    """The plan with the most value that fits, or an infeasible plan with the reasons.

    ``hint``: ids of a known plan (e.g. the current plan, for a what-if scenario). When the solver
    stops within its gap and the hint satisfies every constraint with more value, the hint is
    used instead — so a scenario that only adds room never shows a worse plan through solver noise.
    """
    started = time.perf_counter()
    _validate(problem)
    graph = _build_graph(problem)
    arrays = _arrays(problem)
    warnings = [f"Dependency cycle: {' → '.join(cycle)}." for cycle in graph.cycles]
    forced = _closure((i for i, c in enumerate(problem.candidates) if c.must_have), graph.depends)
    reasons = _precheck(problem, graph, arrays, forced)
    if reasons:
        return _infeasible(problem, reasons, warnings, started)

    status_code, solution, gap, bound, message = _run_milp(problem, graph, arrays, forced)
    if status_code == 2:
        return _infeasible(problem, _explain_share_infeasibility(problem, graph, arrays, forced), warnings, started)
    if solution is None:
        plan = _infeasible(problem, [f"No feasible plan was found: {message}"], warnings, started)
        return replace(plan, status=PlanStatus.NO_SOLUTION)
    if status_code == 0:
        status = PlanStatus.OPTIMAL if (gap is None or gap <= _INTEGRALITY_TOLERANCE) else PlanStatus.GAP_PROVEN
    else:
        status = PlanStatus.TIME_LIMIT_FEASIBLE
    chosen_mask = solution > 0.5
    if status is not PlanStatus.OPTIMAL:
        _fill_leftover_capacity(graph, arrays, chosen_mask)
        hint_ids = set(hint)
        if hint_ids and hint_ids <= set(graph.index):
            hint_mask = np.array([candidate.id in hint_ids for candidate in problem.candidates], dtype=bool)
            if not _violations(problem, graph, arrays, hint_mask):
                _fill_leftover_capacity(graph, arrays, hint_mask)
                if float(arrays.values @ hint_mask) > float(arrays.values @ chosen_mask):
                    chosen_mask = hint_mask
        value = float(arrays.values @ chosen_mask)
        if bound is not None and value > 0:
            # The same definition as HiGHS (|bound − value| / |value|), for the filled plan.
            gap = max(0.0, bound - value) / value
    return _finish(problem, graph, arrays, chosen_mask, status, gap, warnings, started)


def check_plan(problem: PlanProblem, chosen: Iterable[str]) -> list[str]:
    """What a given set of ids breaks (capacity, dependencies, must-haves, shares); [] when none.

    For a saved plan whose features, estimates or capacity changed since it was solved.
    """
    _validate(problem)
    graph = _build_graph(problem)
    chosen_ids = set(chosen)
    unknown = sorted(chosen_ids - set(graph.index))
    problems = [f"{candidate_id} is not a candidate." for candidate_id in unknown]
    mask = np.array([candidate.id in chosen_ids for candidate in problem.candidates], dtype=bool)
    return problems + _violations(problem, graph, _arrays(problem), mask)


def _violations(problem: PlanProblem, graph: _Graph, arrays: _Arrays, mask: np.ndarray) -> list[str]:
    found = []
    used = arrays.effort @ mask
    for t, team in enumerate(problem.teams):
        if used[t] > team.capacity + _CAPACITY_TOLERANCE:
            found.append(f"{team.id} is over capacity: {_fmt(used[t])} of {_fmt(team.capacity)}.")
    for i in np.flatnonzero(mask).tolist():
        candidate = problem.candidates[i]
        if i in graph.blocked:
            found.append(f"{candidate.id} {graph.blocked[i]}.")
        missing = [problem.candidates[j].id for j in graph.depends[i] if not mask[j]]
        if missing:
            found.append(f"{candidate.id} depends on {', '.join(missing)}, not in the plan.")
    for i, candidate in enumerate(problem.candidates):
        if candidate.must_have and not mask[i]:
            found.append(f"Must-have {candidate.id} is not in the plan.")
    served = (arrays.serves * arrays.effort.sum(axis=0)) @ mask
    for s, share in enumerate(problem.shares):
        if served[s] < arrays.required[s] - _CAPACITY_TOLERANCE:
            found.append(
                f"Objective {share.objective} gets {_fmt(served[s])}, below its minimum {_fmt(arrays.required[s])}."
            )
    return found


def _fill_leftover_capacity(graph: _Graph, arrays: _Arrays, chosen_mask: np.ndarray) -> None:
    """Add, by value, every candidate that still fits once its dependencies are in the plan.

    HiGHS stops as soon as the gap is proven, often with capacity left that a fitting item could
    use (on the 2,000-candidate bench, about a quarter of the items below the line). Adding them
    keeps every constraint (shares are minimums) and only raises the value; the gap is then
    recomputed against the solver's proven bound.
    """
    remaining = arrays.capacity - arrays.effort @ chosen_mask
    order = [i for i in np.argsort(-arrays.values, kind="stable").tolist() if arrays.values[i] > 0]
    added = True
    while added:  # an addition can make a dependent item eligible
        added = False
        for i in order:
            if chosen_mask[i] or i in graph.blocked or not all(chosen_mask[j] for j in graph.depends[i]):
                continue
            if np.all(arrays.effort[:, i] <= remaining + _CAPACITY_TOLERANCE):
                chosen_mask[i] = True
                remaining -= arrays.effort[:, i]
                added = True


def _finish(
    problem: PlanProblem,
    graph: _Graph,
    arrays: _Arrays,
    chosen_mask: np.ndarray,
    status: PlanStatus,
    gap: float | None,
    warnings: list[str],
    started: float,
) -> Plan:
    used = arrays.effort @ chosen_mask
    total_value = float(arrays.values @ chosen_mask)
    baseline = _greedy(problem, graph, arrays)
    return Plan(
        status=status,
        chosen=tuple(problem.candidates[i].id for i in np.flatnonzero(chosen_mask)),
        total_value=total_value,
        capacity_used={team.id: float(used[t]) for t, team in enumerate(problem.teams)},
        capacity={team.id: team.capacity for team in problem.teams},
        gap=gap,
        solve_seconds=time.perf_counter() - started,
        below_the_line=_below_the_line(problem, graph, arrays, chosen_mask),
        warnings=tuple(warnings),
        greedy=baseline if baseline.meets_shares else None,
        value_over_greedy=(total_value - baseline.value) if baseline.meets_shares else None,
    )


# --------------------------------------------------------------------------------------------
# Below the line
# --------------------------------------------------------------------------------------------


def _below_the_line(
    problem: PlanProblem, graph: _Graph, arrays: _Arrays, chosen_mask: np.ndarray
) -> tuple[LeftOut, ...]:
    ids = [candidate.id for candidate in problem.candidates]
    remaining = arrays.capacity - arrays.effort @ chosen_mask
    total_effort = arrays.effort.sum(axis=0)
    served = (arrays.serves * total_effort) @ chosen_mask
    # Items that could be dropped to make room: optional, and nothing chosen depends on them
    # (dropping those would cascade through the plan).
    depended_on = set(graph.edges_to[chosen_mask[graph.edges_from]].tolist()) if len(graph.edges_from) else set()
    droppable = [
        i for i in np.flatnonzero(chosen_mask).tolist() if not problem.candidates[i].must_have and i not in depended_on
    ]
    results = []
    for i, candidate in enumerate(problem.candidates):
        if chosen_mask[i]:
            continue
        if i in graph.blocked:
            blocker = graph.blocked[i]
            results.append(LeftOut(candidate.id, "dependency", f"{candidate.id} {blocker}."))
            continue
        missing = tuple(ids[j] for j in graph.depends[i] if not chosen_mask[j])
        if missing:
            listed = ", ".join(missing)
            verb = "is" if len(missing) == 1 else "are"
            results.append(
                LeftOut(
                    candidate.id,
                    "dependency",
                    f"{candidate.id} depends on {listed}, which {verb} not in the plan.",
                    blocked_by=missing,
                )
            )
            continue
        over = arrays.effort[:, i] - remaining
        overflowing = np.flatnonzero(over > _CAPACITY_TOLERANCE)
        if not len(overflowing):
            if candidate.value <= 0:
                why = f"but its value ({_fmt(candidate.value)}) adds nothing to the plan"
            else:
                why = "but the solver stopped within its gap tolerance before adding it"
            results.append(LeftOut(candidate.id, "value", f"{candidate.id} fits in the capacity left, {why}."))
            continue
        overflow = {problem.teams[t].id: float(over[t]) for t in overflowing}
        overflow_text = " and ".join(f"{team} by {_fmt(amount)}" for team, amount in overflow.items())
        displaced, reason = _displacement(i, overflowing, over, droppable, arrays, served, total_effort)
        displaced_ids = tuple(ids[j] for j in sorted(displaced))
        displaced_value = float(arrays.values[displaced].sum()) if displaced else 0.0
        if reason == "capacity" and displaced:
            tail = (
                f"making room would displace {', '.join(displaced_ids)} "
                f"(value {_fmt(displaced_value)}, against {candidate.id}'s {_fmt(candidate.value)})"
            )
        elif reason == "share":
            tail = "making room would take an objective below its minimum share"
        else:
            tail = "room cannot be made without dropping must-haves or items others depend on"
        results.append(
            LeftOut(
                candidate.id,
                reason,
                f"{candidate.id} would overflow {overflow_text}; {tail}.",
                overflow=overflow,
                displaced=displaced_ids if reason == "capacity" else (),
                displaced_value=displaced_value if reason == "capacity" else 0.0,
            )
        )
    return tuple(results)


def _displacement(
    candidate: int,
    overflowing: np.ndarray,
    over: np.ndarray,
    droppable: list[int],
    arrays: _Arrays,
    served: np.ndarray,
    total_effort: np.ndarray,
) -> tuple[list[int], Literal["capacity", "share"]]:
    """The lowest value-per-effort droppable items that free the overflow, skipping any whose
    removal would take an objective below its minimum share. ``share`` when only the shares stop
    room being made."""
    freed_by = arrays.effort[np.ix_(overflowing, droppable)].sum(axis=0) if droppable else np.zeros(0)
    relevant = [(j, freed) for j, freed in zip(droppable, freed_by.tolist(), strict=True) if freed > 0]
    relevant.sort(key=lambda item: (arrays.values[item[0]] / item[1], item[0]))
    need = over[overflowing].copy()
    # The candidate itself adds to the objectives it serves.
    share_level = served + arrays.serves[:, candidate] * total_effort[candidate]
    taken: list[int] = []
    skipped_for_share = False
    for j, _ in relevant:
        if np.all(need <= _CAPACITY_TOLERANCE):
            break
        after = share_level - arrays.serves[:, j] * total_effort[j]
        if np.any(after < arrays.required - _CAPACITY_TOLERANCE):
            skipped_for_share = True
            continue
        taken.append(j)
        share_level = after
        need -= arrays.effort[overflowing, j]
    if np.all(need <= _CAPACITY_TOLERANCE):
        return taken, "capacity"
    return [], "share" if skipped_for_share else "capacity"


# --------------------------------------------------------------------------------------------
# Say no, with reasons: what a candidate would displace
# --------------------------------------------------------------------------------------------


def explain_displacement(problem: PlanProblem, plan: Plan, candidate_id: str) -> dict[str, object]:
    """What forcing ``candidate_id`` into ``plan`` would displace.

    Re-solves over the plan's items plus the candidate and its dependencies, with the candidate
    forced in, to optimality: the least valuable set of chosen items that must go to make room
    (respecting capacity, dependencies, must-haves and shares). Returns ``{"candidate",
    "in_plan", "feasible", "dropped", "added", "value_lost", "value_gained", "net_value",
    "reasons"}``: ``added`` is the candidate and those of its dependencies not in the plan;
    ``net_value`` the change in total value (negative: it costs more than it brings); when it
    cannot be forced in, ``feasible`` is false and ``reasons`` says why.
    """
    known = {candidate.id for candidate in problem.candidates}
    if candidate_id not in known:
        message = f"{candidate_id} is not a candidate in this plan."
        raise ValidationFailed(f"candidate: {message}", fields={"candidate": [message]})
    values = {candidate.id: candidate.value for candidate in problem.candidates}
    if candidate_id in plan.chosen:
        return {
            "candidate": candidate_id,
            "in_plan": True,
            "feasible": True,
            "dropped": (),
            "added": (),
            "value_lost": 0.0,
            "value_gained": 0.0,
            "net_value": 0.0,
            "reasons": (),
        }
    # Only the current plan can give way: the candidate (with what it depends on) is forced in,
    # nothing else comes in, and the solver finds the drops that lose the least value.
    graph = _build_graph(problem)
    index = graph.index[candidate_id]
    allowed = set(plan.chosen) | {problem.candidates[j].id for j in _closure([index], graph.depends)}
    forced = replace(
        problem,
        candidates=tuple(
            replace(candidate, must_have=True) if candidate.id == candidate_id else candidate
            for candidate in problem.candidates
            if candidate.id in allowed
        ),
        mip_rel_gap=0.0,
        time_limit=problem.time_limit or _DISPLACEMENT_TIME_LIMIT,
    )
    with_it = solve(forced)
    if not with_it.feasible:
        return {
            "candidate": candidate_id,
            "in_plan": False,
            "feasible": False,
            "dropped": (),
            "added": (),
            "value_lost": 0.0,
            "value_gained": 0.0,
            "net_value": 0.0,
            "reasons": with_it.reasons,
        }
    comparison = compare_plans(plan, with_it)
    value_lost = sum(values[i] for i in comparison.removed)
    value_gained = sum(values[i] for i in comparison.added)
    return {
        "candidate": candidate_id,
        "in_plan": False,
        "feasible": True,
        "dropped": comparison.removed,
        "added": comparison.added,
        "value_lost": value_lost,
        "value_gained": value_gained,
        "net_value": value_gained - value_lost,
        "reasons": (),
    }


# --------------------------------------------------------------------------------------------
# What-if scenarios
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddCapacity:
    """Add a person (or any capacity) to a team: capacity + ``amount``."""

    team: str
    amount: float


@dataclass(frozen=True)
class ScaleEffort:
    """Cut (or grow) a feature's scope: every team's effort × ``factor``."""

    candidate: str
    factor: float


@dataclass(frozen=True)
class SetValues:
    """New values (e.g. after changing a weight in the scoring model), by candidate id."""

    values: Mapping[str, float]


Change = AddCapacity | ScaleEffort | SetValues


def apply_changes(problem: PlanProblem, changes: Iterable[Change]) -> PlanProblem:
    """The problem with the changes applied in order."""
    teams = {team.id: team for team in problem.teams}
    candidates = {candidate.id: candidate for candidate in problem.candidates}
    for change in changes:
        if isinstance(change, AddCapacity):
            if change.team not in teams:
                message = f"{change.team} is not a team in this plan."
                raise ValidationFailed(f"team: {message}", fields={"team": [message]})
            team = teams[change.team]
            teams[change.team] = replace(team, capacity=team.capacity + change.amount)
        elif isinstance(change, ScaleEffort):
            if change.candidate not in candidates:
                message = f"{change.candidate} is not a candidate in this plan."
                raise ValidationFailed(f"candidate: {message}", fields={"candidate": [message]})
            if not (math.isfinite(change.factor) and change.factor >= 0):
                message = "The factor must be a number of at least 0."
                raise ValidationFailed(f"factor: {message}", fields={"factor": [message]})
            candidate = candidates[change.candidate]
            scaled = {team_id: effort * change.factor for team_id, effort in candidate.effort.items()}
            candidates[change.candidate] = replace(candidate, effort=scaled)
        else:
            unknown = sorted(set(change.values) - set(candidates))
            if unknown:
                message = f"{', '.join(unknown)} not a candidate in this plan."
                raise ValidationFailed(f"values: {message}", fields={"values": [message]})
            for candidate_id, value in change.values.items():
                candidates[candidate_id] = replace(candidates[candidate_id], value=value)
    return replace(problem, teams=tuple(teams.values()), candidates=tuple(candidates.values()))


def what_if(
    problem: PlanProblem, scenarios: Sequence[Change | Sequence[Change]], base: Plan | None = None
) -> list[Plan]:
    """One plan per scenario; a scenario is one change or several applied together.

    ``base`` (the plan of ``problem``, solved if not given) is the hint for every scenario, so a
    scenario never shows a worse plan than the current one when the current one still fits.
    """
    current = base if base is not None else solve(problem)
    plans = []
    for scenario in scenarios:
        changes = list(scenario) if isinstance(scenario, Sequence) else [scenario]
        plans.append(solve(apply_changes(problem, changes), hint=current.chosen))
    return plans


@dataclass(frozen=True)
class PlanComparison:
    added: tuple[str, ...]  # in ``other`` but not in ``base``, in ``other``'s order
    removed: tuple[str, ...]  # in ``base`` but not in ``other``, in ``base``'s order
    value_delta: float
    capacity_used_delta: Mapping[str, float]  # team → other − base (teams in either plan)


def compare_plans(base: Plan, other: Plan) -> PlanComparison:
    """Side by side: what a scenario adds and removes, and what it does to value and capacity."""
    base_ids, other_ids = set(base.chosen), set(other.chosen)
    teams = list(dict.fromkeys([*base.capacity_used, *other.capacity_used]))
    return PlanComparison(
        added=tuple(i for i in other.chosen if i not in base_ids),
        removed=tuple(i for i in base.chosen if i not in other_ids),
        value_delta=other.total_value - base.total_value,
        capacity_used_delta={
            team: other.capacity_used.get(team, 0.0) - base.capacity_used.get(team, 0.0) for team in teams
        },
    )

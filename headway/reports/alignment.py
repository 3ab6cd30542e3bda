"""The strategy-alignment report, computed over plain rows (no database here: fast and testable).

For a period, the report holds the backlog's *planned* and *in-progress* work against the
objectives of that period. The rules, as a product leader reads them:

1. **Work in scope.** Features whose workflow status is *planned* (a status of the "not started"
   category: new, discovery, ready by default: accepted into the backlog, not begun) or *in
   progress* (the "in progress" category), as the backlog stands now; archived features are left
   out, and so are released, parked and won't-do ones (done or closed: no effort ahead). A
   workspace decides which of its statuses is which by choosing each status's category. With a
   product filter only that product's features count.
2. **Objectives in scope.** Objectives whose period overlaps the chosen period, not archived and not
   dropped (a dropped objective is a decision not to pursue it: work that serves only dropped
   objectives is work to question).
3. **Splitting.** A feature's effort is split equally between the in-scope objectives it serves:
   a 6-point feature serving two of them gives 3 points to each. Objectives outside the period do
   not take a share (looking at Q1, a feature serving a Q1 and a Q2 objective serves Q1 fully).
   Each feature still counts as one feature under every objective it serves, so feature counts are
   not split. A feature without an estimate adds no effort; it is counted as *unestimated*, so an
   objective whose work is not yet sized never looks empty.
4. **Roll-up.** Every objective shows its *direct* effort (its own shares) and its *rolled-up*
   effort: the direct effort of itself and of all its descendants, at any depth. Each share belongs
   to one objective only, so a roll-up never counts a feature twice, and the direct figures of
   all objectives add up to the aligned total. The chart and the share column use direct effort.
5. **Not aligned.** A feature with no objective at all is *unaligned*; one whose objectives are all
   outside the period (other periods, dropped or archived) serves *other objectives only*. Both are
   listed feature by feature, largest effort first, so a leader can decide to stop them.
6. **Objectives without work.** In-scope objectives with no planned or in-progress feature behind
   them or any of their descendants. With a product filter: only that product's own objectives.
7. **Groups.** Per initiative (a feature's one initiative, or *no initiative*), per product and per
   PM (the feature's owner, or *no owner*): total effort, and how much of it is aligned, unaligned
   or serves other objectives only (a feature's whole effort, not split).

Effort is in the workspace's unit (points or person-weeks). Figures are computed in floating
point and rounded to two decimals only when shown, so rounded parts may differ from a rounded
total by 0.01.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headway.core.errors import ValidationFailed

PLANNED = "planned"
IN_PROGRESS = "in_progress"
STAGES = (PLANNED, IN_PROGRESS)
STAGE_LABELS = {PLANNED: "Planned", IN_PROGRESS: "In progress"}

# compute's bucket kinds
ALIGNED, NONE, OTHER = 0, 1, 2

NO_OBJECTIVE = "no_objective"
OTHER_OBJECTIVES = "other_objectives"
REASON_LABELS = {
    NO_OBJECTIVE: "Serves no objective",
    OTHER_OBJECTIVES: "Serves only objectives outside this period",
}

# Objective statuses whose work does not count as aligned (strategy.ObjectiveStatus values).
DROPPED_STATUSES = frozenset({"dropped"})
# Initiatives still in play: listed even without work, so an empty bet is visible.
OPEN_INITIATIVE_STATUSES = frozenset({"proposed", "active", "paused"})


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A date range, both ends included; ``value`` is what the period filter carries."""

    value: str
    label: str
    starts_on: dt.date
    ends_on: dt.date

    def overlaps(self, starts_on: dt.date | None, ends_on: dt.date | None) -> bool:
        """Open ends (None) reach to the beginning or the end of time."""
        return (starts_on is None or starts_on <= self.ends_on) and (ends_on is None or ends_on >= self.starts_on)


_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<kind>[QqHh])(?P<n>\d))?$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MIN_YEAR, MAX_YEAR = 1900, 2999
CUSTOM = "custom"


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def quarter(year: int, n: int) -> Period:
    first = 3 * (n - 1) + 1
    return Period(f"{year}-Q{n}", f"Q{n} {year}", dt.date(year, first, 1), _month_end(year, first + 2))


def half(year: int, n: int) -> Period:
    first = 6 * (n - 1) + 1
    return Period(f"{year}-H{n}", f"H{n} {year}", dt.date(year, first, 1), _month_end(year, first + 5))


def year(value: int) -> Period:
    return Period(str(value), str(value), dt.date(value, 1, 1), dt.date(value, 12, 31))


def quarter_of(day: dt.date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def _day(value: dt.date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def custom(starts_on: dt.date, ends_on: dt.date) -> Period:
    """From one date to the other, whichever comes first (a range given backwards is read forwards)."""
    starts_on, ends_on = min(starts_on, ends_on), max(starts_on, ends_on)
    return Period(CUSTOM, f"{_day(starts_on)} – {_day(ends_on)}", starts_on, ends_on)


PERIOD_HELP = "Use a quarter (2026-Q1), a half (2026-H2) or a year (2026)."


def period_parse(
    value: str | None,
    *,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    today: dt.date,
) -> Period:
    """``2026-Q1``, ``2026-H2`` or ``2026`` (nothing: the current quarter). ``starts_on`` and
    ``ends_on`` make a custom period; the one not given is taken from the named period."""
    value = (value or "").strip()
    base = _named_period(value) if value and value != CUSTOM else quarter_of(today)
    if starts_on is not None or ends_on is not None:
        return custom(starts_on or base.starts_on, ends_on or base.ends_on)
    return base


def _named_period(value: str) -> Period:
    match = _PERIOD.match(value)
    if match is None:
        raise ValidationFailed(f"period: {PERIOD_HELP}", fields={"period": [PERIOD_HELP]})
    number = int(match["year"])
    if not MIN_YEAR <= number <= MAX_YEAR:
        message = f"The year must be between {MIN_YEAR} and {MAX_YEAR}."
        raise ValidationFailed(f"period: {message}", fields={"period": [message]})
    if match["kind"] is None:
        return year(number)
    kind, n = match["kind"].upper(), int(match["n"])
    if (kind == "Q" and not 1 <= n <= 4) or (kind == "H" and n not in (1, 2)):
        raise ValidationFailed(f"period: {PERIOD_HELP}", fields={"period": [PERIOD_HELP]})
    return quarter(number, n) if kind == "Q" else half(number, n)


def period_choices(spans: Iterable[tuple[dt.date, dt.date]], *, today: dt.date, limit: int = 12) -> list[Period]:
    """The periods worth offering: every quarter (and year) any objective touches, plus the current
    quarter; newest first, at most ``limit`` quarters."""
    quarters = {quarter_of(today).value: quarter_of(today)}
    years: dict[str, Period] = {str(today.year): year(today.year)}
    for starts_on, ends_on in spans:
        # Walk quarter by quarter through the objective's period (an objective lasts a year at most
        # in practice; the bound keeps a 100-year custom period from listing 400 quarters).
        current = quarter_of(starts_on)
        for _ in range(8):
            quarters.setdefault(current.value, current)
            years.setdefault(str(current.starts_on.year), year(current.starts_on.year))
            if current.ends_on >= ends_on:
                break
            current = quarter_of(current.ends_on + dt.timedelta(days=1))
    newest = sorted(quarters.values(), key=lambda p: p.starts_on, reverse=True)[:limit]
    chosen: list[Period] = []
    for q in newest:  # each year just before its quarters
        if not chosen or chosen[-1].starts_on.year != q.starts_on.year:
            chosen.append(years[str(q.starts_on.year)])
        chosen.append(q)
    return chosen


# --- input rows -----------------------------------------------------------------------------


@dataclass(slots=True)
class FeatureRow:
    id: int
    title: str
    product_id: int
    owner_id: int | None
    stage: str | None  # PLANNED, IN_PROGRESS, or None for work out of scope (new, parked, released…)
    status: str  # the workflow status's name, for the lists
    effort: float | None
    initiative_id: int | None = None
    objective_ids: Sequence[int] = ()
    ref: str = ""  # "CHK-12": how people name a feature (the selector fills it in for the listed ones)


@dataclass(slots=True)
class ObjectiveRow:
    id: int
    title: str
    parent_id: int | None
    owner_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    status: str
    product_id: int | None = None
    archived: bool = False
    position: int = 0


@dataclass(slots=True)
class InitiativeRow:
    id: int
    title: str
    status: str
    owner_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    product_ids: tuple[int, ...] = ()
    archived: bool = False


# --- output ---------------------------------------------------------------------------------


def r2(value: float) -> float:
    return round(value + 0.0, 2)  # + 0.0 turns -0.0 into 0.0


@dataclass(slots=True)
class Effort:
    """Effort by stage, the number of features behind it and how many of them have no estimate."""

    planned: float = 0.0
    in_progress: float = 0.0
    features: int = 0
    unestimated: int = 0

    @property
    def total(self) -> float:
        return self.planned + self.in_progress

    def add(self, stage: str, effort: float | None, share: float = 1.0) -> None:
        self.features += 1
        if effort is None:
            self.unestimated += 1
        elif stage == PLANNED:
            self.planned += effort * share
        else:
            self.in_progress += effort * share

    def add_bucket(self, bucket: list) -> None:
        """Add ``[planned, in_progress, features, unestimated]`` (compute's buckets)."""
        self.planned += bucket[0]
        self.in_progress += bucket[1]
        self.features += bucket[2]
        self.unestimated += bucket[3]

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": r2(self.planned),
            "in_progress": r2(self.in_progress),
            "total": r2(self.total),
            "features": self.features,
            "unestimated": self.unestimated,
        }


@dataclass(slots=True)
class ObjectiveLine:
    id: int
    title: str
    parent_id: int | None
    depth: int  # among the objectives shown: a shown objective whose parent is not shown is a root
    owner_id: int | None
    owner: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    product_id: int | None
    direct: Effort = field(default_factory=Effort)
    rolled_up: Effort = field(default_factory=Effort)
    share: float = 0.0  # direct total / all work in scope

    @property
    def has_work(self) -> bool:
        return self.rolled_up.features > 0


@dataclass(slots=True)
class InitiativeLine:
    id: int | None  # None: features without an initiative
    title: str
    status: str
    owner: str
    effort: Effort = field(default_factory=Effort)
    aligned: Effort = field(default_factory=Effort)
    share: float = 0.0


@dataclass(slots=True)
class GroupLine:
    """A product's or a PM's work: all of it, and how it splits by alignment."""

    id: int | None  # None: features without an owner
    name: str
    total: Effort = field(default_factory=Effort)
    aligned: Effort = field(default_factory=Effort)
    no_objective: Effort = field(default_factory=Effort)
    other_objectives: Effort = field(default_factory=Effort)

    @property
    def aligned_share(self) -> float:
        return self.aligned.total / self.total.total if self.total.total else 0.0


@dataclass(slots=True)
class FeatureLine:
    id: int
    ref: str
    title: str
    product_id: int
    product: str
    owner_id: int | None
    owner: str
    stage: str
    status: str
    effort: float | None
    reason: str  # NO_OBJECTIVE or OTHER_OBJECTIVES
    objectives: list[str]  # OTHER_OBJECTIVES: the objectives it does serve


@dataclass
class AlignmentReport:
    period: Period
    product_id: int | None
    total: Effort
    aligned: Effort
    no_objective: Effort
    other_objectives: Effort
    objectives: list[ObjectiveLine]  # tree order
    initiatives: list[InitiativeLine]  # largest effort first; "no initiative" last
    products: list[GroupLine]
    owners: list[GroupLine]
    not_aligned: list[FeatureLine]  # largest effort first
    objectives_in_period: int = 0
    # Set by the selector for the page and the API: what the filters may offer, and the unit.
    effort_unit: str = "points"
    period_choices: list[Period] = field(default_factory=list)
    product_options: list[tuple[int, str]] = field(default_factory=list)

    @property
    def objectives_without_work(self) -> list[ObjectiveLine]:
        return [o for o in self.objectives if not o.has_work]

    @property
    def aligned_share(self) -> float:
        return self.aligned.total / self.total.total if self.total.total else 0.0

    @property
    def is_empty(self) -> bool:
        return self.total.features == 0


# --- the computation ------------------------------------------------------------------------


def _by_tree(objectives: list[ObjectiveRow]) -> list[tuple[ObjectiveRow, int]]:
    """Depth-first, children by (position, id); a row whose parent is not in the list is a root."""
    ids = {o.id for o in objectives}
    children: dict[int | None, list[ObjectiveRow]] = {}
    for o in objectives:
        children.setdefault(o.parent_id if o.parent_id in ids else None, []).append(o)
    for siblings in children.values():
        siblings.sort(key=lambda o: (o.position, o.id))
    ordered: list[tuple[ObjectiveRow, int]] = []
    stack = [(o, 0) for o in reversed(children.get(None, []))]
    while stack:
        objective, depth = stack.pop()
        ordered.append((objective, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(objective.id, [])))
    return ordered


def compute(
    *,
    period: Period,
    features: Iterable[FeatureRow],
    objectives: Iterable[ObjectiveRow],
    initiatives: Iterable[InitiativeRow] = (),
    products: Mapping[int, str],
    people: Mapping[int, str],
    product_id: int | None = None,
) -> AlignmentReport:
    """The report (see the module docstring for the rules). ``objectives`` should be every objective
    of the workspace: the roll-up walks through parents outside the period too.

    One pass over the features puts each into two buckets: by the set of in-scope objectives it
    serves, and by (product, owner, initiative, alignment). Everything else is computed from the
    buckets, which are few (thousands) whatever the number of features: 50,000 features take a
    few tens of milliseconds.
    """
    all_objectives = {o.id: o for o in objectives}
    in_scope = {
        o.id
        for o in all_objectives.values()
        if not o.archived and o.status not in DROPPED_STATUSES and period.overlaps(o.starts_on, o.ends_on)
    }
    # bucket = [planned effort, in-progress effort, features, unestimated features]
    by_served: dict[tuple[int, ...], list] = {}
    by_group: dict[tuple[int, int | None, int | None, int], list] = {}  # (product, owner, initiative, kind)
    not_aligned_rows: list[tuple[FeatureRow, str]] = []
    for f in features:
        stage = f.stage
        if stage is None or stage not in STAGES or (product_id is not None and f.product_id != product_id):
            continue
        ids = f.objective_ids
        if not ids:
            served: tuple[int, ...] = ()
        elif len(ids) == 1:
            served = (ids[0],) if ids[0] in in_scope else ()
        else:
            served = tuple(sorted({oid for oid in ids if oid in in_scope}))
        if served:
            kind = ALIGNED
        else:
            kind = OTHER if ids else NONE
            not_aligned_rows.append((f, OTHER_OBJECTIVES if ids else NO_OBJECTIVE))
        effort = f.effort
        # Unrolled for speed (this loop runs once per feature): the group bucket, then the served one.
        key = (f.product_id, f.owner_id, f.initiative_id, kind)
        bucket = by_group.get(key)
        if bucket is None:
            bucket = by_group[key] = [0.0, 0.0, 0, 0]
        bucket[2] += 1
        if effort is None:
            bucket[3] += 1
        elif stage == PLANNED:
            bucket[0] += effort
        else:
            bucket[1] += effort
        if served:
            bucket = by_served.get(served)
            if bucket is None:
                bucket = by_served[served] = [0.0, 0.0, 0, 0]
            bucket[2] += 1
            if effort is None:
                bucket[3] += 1
            elif stage == PLANNED:
                bucket[0] += effort
            else:
                bucket[1] += effort

    def person(pid: int | None) -> str:
        return people.get(pid, "Unknown") if pid is not None else "No owner"

    # Groups: totals, alignment, products, owners, initiatives.
    total, aligned, no_objective, other_objectives = Effort(), Effort(), Effort(), Effort()
    by_kind = {ALIGNED: aligned, NONE: no_objective, OTHER: other_objectives}
    initiative_rows = {i.id: i for i in initiatives}
    by_product: dict[int, GroupLine] = {}
    by_owner: dict[int | None, GroupLine] = {}
    by_initiative: dict[int | None, InitiativeLine] = {}
    for (product, owner, initiative, kind), bucket in by_group.items():
        product_line = by_product.get(product)
        if product_line is None:
            product_line = by_product[product] = GroupLine(product, products.get(product, "Unknown"))
        owner_line = by_owner.get(owner)
        if owner_line is None:
            owner_line = by_owner[owner] = GroupLine(owner, person(owner))
        initiative_line = by_initiative.get(initiative)
        if initiative_line is None:
            row = initiative_rows.get(initiative) if initiative is not None else None
            initiative_line = by_initiative[initiative] = (
                InitiativeLine(row.id, row.title, row.status, person(row.owner_id))
                if row is not None
                else InitiativeLine(None, "No initiative", "", "")
            )
        for effort_line in (total, by_kind[kind], product_line.total, owner_line.total, initiative_line.effort):
            effort_line.add_bucket(bucket)
        if kind == ALIGNED:
            for effort_line in (product_line.aligned, owner_line.aligned, initiative_line.aligned):
                effort_line.add_bucket(bucket)
        elif kind == NONE:
            product_line.no_objective.add_bucket(bucket)
            owner_line.no_objective.add_bucket(bucket)
        else:
            product_line.other_objectives.add_bucket(bucket)
            owner_line.other_objectives.add_bucket(bucket)

    # Objectives: direct shares per served set; the roll-up walks up from each objective.
    ancestors_cache: dict[int, tuple[int, ...]] = {}

    def in_scope_lineage(oid: int) -> tuple[int, ...]:
        """The objective and its ancestors, those in scope only (walks through the others)."""
        cached = ancestors_cache.get(oid)
        if cached is not None:
            return cached
        chain: list[int] = []
        seen: set[int] = set()
        current = all_objectives.get(oid)
        while current is not None and current.id not in seen:  # `seen`: never loop on bad data
            seen.add(current.id)
            if current.id in in_scope:
                chain.append(current.id)
            current = all_objectives.get(current.parent_id) if current.parent_id is not None else None
        ancestors_cache[oid] = tuple(chain)
        return ancestors_cache[oid]

    direct: dict[int, Effort] = {oid: Effort() for oid in in_scope}
    rolled: dict[int, Effort] = {oid: Effort() for oid in in_scope}
    for served, (planned, in_progress, count, unestimated) in by_served.items():
        share = 1.0 / len(served)
        for oid in served:
            own = direct[oid]
            own.planned += planned * share
            own.in_progress += in_progress * share
            own.features += count
            own.unestimated += unestimated
        # A feature counts once in every objective its objectives lead up to.
        for ancestor in {a for oid in served for a in in_scope_lineage(oid)}:
            rolled[ancestor].features += count
            rolled[ancestor].unestimated += unestimated
    for oid, own in direct.items():
        for ancestor in in_scope_lineage(oid):
            rolled[ancestor].planned += own.planned
            rolled[ancestor].in_progress += own.in_progress

    shown = set(in_scope)
    if product_id is not None:
        shown = {oid for oid in in_scope if rolled[oid].features or all_objectives[oid].product_id == product_id}
    grand_total = total.total
    lines = [
        ObjectiveLine(
            id=row.id,
            title=row.title,
            parent_id=row.parent_id,
            depth=depth,
            owner_id=row.owner_id,
            owner=person(row.owner_id),
            status=row.status,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            product_id=row.product_id,
            direct=direct[row.id],
            rolled_up=rolled[row.id],
            share=direct[row.id].total / grand_total if grand_total else 0.0,
        )
        for row, depth in _by_tree([all_objectives[oid] for oid in shown])
    ]

    for row in initiative_rows.values():
        if row.id in by_initiative or row.archived or row.status not in OPEN_INITIATIVE_STATUSES:
            continue
        if not period.overlaps(row.starts_on, row.ends_on):
            continue
        if product_id is not None and product_id not in row.product_ids:
            continue
        by_initiative[row.id] = InitiativeLine(row.id, row.title, row.status, person(row.owner_id))
    initiative_lines = sorted(
        by_initiative.values(), key=lambda i: (i.id is None, -i.effort.total, -i.effort.features, i.title.lower())
    )
    for line in initiative_lines:
        line.share = line.effort.total / grand_total if grand_total else 0.0

    def group_order(g: GroupLine) -> tuple:
        return (g.id is None, -g.total.total, -g.total.features, g.name.lower())

    not_aligned = [
        FeatureLine(
            id=f.id,
            ref=f.ref,
            title=f.title,
            product_id=f.product_id,
            product=by_product[f.product_id].name,
            owner_id=f.owner_id,
            owner=by_owner[f.owner_id].name,
            stage=f.stage,  # type: ignore[arg-type]
            status=f.status,
            effort=f.effort,
            reason=reason,
            objectives=[all_objectives[o].title for o in f.objective_ids if o in all_objectives],
        )
        for f, reason in not_aligned_rows
    ]
    # Largest first; unestimated ones after the estimated (their size is unknown, not small).
    not_aligned.sort(key=lambda f: (f.effort is None, -(f.effort or 0.0), f.title.lower(), f.id))
    return AlignmentReport(
        period=period,
        product_id=product_id,
        total=total,
        aligned=aligned,
        no_objective=no_objective,
        other_objectives=other_objectives,
        objectives=lines,
        initiatives=initiative_lines,
        products=sorted(by_product.values(), key=group_order),
        owners=sorted(by_owner.values(), key=group_order),
        not_aligned=not_aligned,
        objectives_in_period=len(in_scope),
    )

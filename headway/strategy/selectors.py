"""Every read of strategy, scoped to one workspace through ``core.permissions``.

The cascade and the PM goals page load a workspace's active objectives and their key results in
two queries, whatever the depth, and compute progress in Python over those rows (``progress``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from headway.accounts.models import User
from headway.core import permissions
from headway.core.errors import ValidationFailed
from headway.core.models import AuditEvent
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.strategy import progress as rule
from headway.strategy.models import (
    CheckIn,
    Initiative,
    InitiativeObjective,
    InitiativeProduct,
    InitiativeStatus,
    KeyResult,
    Objective,
    ObjectiveStatus,
    Vision,
    VisionVersion,
)
from headway.strategy.periods import Period
from headway.workspaces.models import Membership, Role, Workspace

OBJECTIVE_ORDERINGS: dict[str, tuple[str, ...]] = {
    "position": ("parent_id", "position", "id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "starts_on": ("starts_on", "id"),
    "-starts_on": ("-starts_on", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
}
INITIATIVE_ORDERINGS: dict[str, tuple[str, ...]] = {
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "starts_on": ("starts_on", "id"),
    "-starts_on": ("-starts_on", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
}


def _order(qs: QuerySet, ordering: str, allowed: Mapping[str, tuple[str, ...]]) -> QuerySet:
    if ordering not in allowed:
        msg = f"Sort by one of {', '.join(allowed)}."
        raise ValidationFailed(f"ordering: {msg}", fields={"ordering": [msg]})
    return qs.order_by(*allowed[ordering])


def _choice(value: str, allowed: list[str], name: str) -> str:
    if value and value not in allowed:
        msg = f"Choose one of {', '.join(allowed)}."
        raise ValidationFailed(f"{name}: {msg}", fields={name: [msg]})
    return value


def _pk(value: Any) -> int | None:
    return value if value is None or isinstance(value, int) else value.pk


# --- objectives -------------------------------------------------------------------------------


def objective_list(
    *,
    actor: Any,
    workspace: Workspace,
    search: str = "",
    status: str = "",
    owner: User | int | None = None,
    parent: Objective | int | None = None,
    top_level: bool = False,
    product: Product | int | None = None,
    active_on: dt.date | None = None,
    include_archived: bool = False,
    ordering: str = "position",
) -> QuerySet[Objective]:
    """Objectives with owner, product and product line loaded (one query per page)."""
    qs = permissions.scope(
        Objective.objects.select_related("owner", "product", "product_line"), actor, workspace, Action.STRATEGY_VIEW
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if search:
        qs = qs.filter(title__icontains=search)
    if _choice(status, ObjectiveStatus.values, "status"):
        qs = qs.filter(status=status)
    if owner is not None:
        qs = qs.filter(owner_id=_pk(owner))
    if parent is not None:
        qs = qs.filter(parent_id=_pk(parent))
    if top_level:
        qs = qs.filter(parent__isnull=True)
    if product is not None:
        qs = qs.filter(product_id=_pk(product))
    if active_on is not None:
        qs = qs.filter(starts_on__lte=active_on, ends_on__gte=active_on)
    return _order(qs, ordering, OBJECTIVE_ORDERINGS)


def objective_get(*, actor: Any, workspace: Workspace, objective_id: int) -> Objective:
    qs = permissions.scope(
        Objective.objects.select_related("owner", "parent", "product", "product_line", "workspace"),
        actor,
        workspace,
        Action.STRATEGY_VIEW,
    )
    return permissions.get_or_404(qs, pk=objective_id)


def workspace_progress(workspace_id: int) -> dict[int, float | None]:
    """Progress of every active objective of a workspace, in two queries (see ``progress``).
    Not scoped: for services and selectors that have checked the caller's rights already."""
    objectives = list(
        Objective.objects.filter(workspace_id=workspace_id, archived_at__isnull=True)
        .order_by()
        .only("id", "parent_id", "status", "weight", "archived_at")
    )
    key_results = KeyResult.objects.filter(workspace_id=workspace_id, objective__archived_at__isnull=True).only(
        "objective_id", "start_value", "target_value", "current_value", "direction", "weight"
    )
    return rule.roll_up(objectives, key_results)


def progress_map(*, actor: Any, workspace: Workspace) -> dict[int, float | None]:
    """Progress of every active objective of the workspace (two queries)."""
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    return workspace_progress(workspace.pk)


@dataclass
class Cascade:
    """The objective tree of a workspace as a page shows it."""

    roots: list[Objective]
    periods: list[Period]
    shown: int
    total: int
    progress: dict[int, float | None] = field(default_factory=dict)


def _load(workspace: Workspace) -> tuple[list[Objective], dict[int, list[KeyResult]], dict[int, float | None]]:
    """Active objectives (owner, product, product line loaded), their key results, and progress: 2 queries."""
    objectives = list(
        Objective.objects.filter(workspace=workspace, archived_at__isnull=True)
        .select_related("owner", "product", "product_line")
        .order_by("position", "id")
    )
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    all_krs = list(
        KeyResult.objects.filter(workspace=workspace, objective__archived_at__isnull=True).order_by("position", "id")
    )
    for kr in all_krs:
        kr.progress = rule.kr_progress(kr)  # type: ignore[attr-defined]
        key_results[kr.objective_id].append(kr)
    progress = rule.roll_up(objectives, all_krs)
    for objective in objectives:
        objective.progress = progress.get(objective.pk)  # type: ignore[attr-defined]
        objective.tree_key_results = key_results[objective.pk]  # type: ignore[attr-defined]
    return objectives, key_results, progress


def periods_of(objectives: list[Objective]) -> list[Period]:
    """The distinct periods the objectives run in, earliest first (the period filter's choices)."""
    found = {Period(o.period_kind, o.starts_on, o.ends_on) for o in objectives}
    return sorted(found, key=lambda p: (p.starts_on, -(p.ends_on - p.starts_on).days, p.kind))


def objective_tree(
    *, actor: Any, workspace: Workspace, period: Period | None = None, owner: User | int | None = None
) -> Cascade:
    """The cascade: top objectives with ``tree_children`` to any depth, each with ``tree_key_results``,
    ``progress`` and ``depth``, in two queries (plus the permission check).

    With a period (objectives whose dates overlap it) or an owner, only matching objectives are
    shown; each hangs under its nearest shown ancestor, or at the top. Progress is always computed
    over the whole cascade, so a filter never changes a number.
    """
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    objectives, _, progress = _load(workspace)
    owner_id = _pk(owner)
    shown = [
        o
        for o in objectives
        if (period is None or period.overlaps(o.starts_on, o.ends_on)) and (owner_id is None or o.owner_id == owner_id)
    ]
    by_id = {o.pk: o for o in objectives}
    shown_ids = {o.pk for o in shown}
    for o in shown:
        o.tree_children = []  # type: ignore[attr-defined]
    roots = []
    for o in shown:
        ancestor = by_id.get(o.parent_id) if o.parent_id else None
        while ancestor is not None and ancestor.pk not in shown_ids:
            ancestor = by_id.get(ancestor.parent_id) if ancestor.parent_id else None
        if ancestor is None:
            roots.append(o)
        else:
            ancestor.tree_children.append(o)  # type: ignore[attr-defined]
    _set_depth(roots, 0)
    return Cascade(
        roots=roots, periods=periods_of(objectives), shown=len(shown), total=len(objectives), progress=progress
    )


def _set_depth(nodes: list[Objective], depth: int) -> None:
    stack = [(node, depth) for node in reversed(nodes)]
    while stack:
        node, level = stack.pop()
        node.depth = level  # type: ignore[attr-defined]
        stack.extend((child, level + 1) for child in reversed(node.tree_children))  # type: ignore[attr-defined]


def objective_ancestors(*, actor: Any, objective: Objective) -> list[Objective]:
    """The objective's parents up to the top, top first (one query; for breadcrumbs)."""
    permissions.require(actor, Action.STRATEGY_VIEW, objective.workspace_id)
    rows = {
        o.pk: o
        for o in Objective.objects.filter(workspace_id=objective.workspace_id).only(
            "id", "parent_id", "title", "archived_at"
        )
    }
    chain: list[Objective] = []
    seen = {objective.pk}
    parent_id = objective.parent_id
    while parent_id is not None and parent_id in rows and parent_id not in seen:
        seen.add(parent_id)
        chain.append(rows[parent_id])
        parent_id = rows[parent_id].parent_id
    return list(reversed(chain))


@dataclass
class ObjectiveDetail:
    objective: Objective
    progress: float | None
    key_results: list[KeyResult]
    children: list[Objective]
    archived_children: list[Objective]
    ancestors: list[Objective]
    check_ins: list[CheckIn]
    initiatives: list[Initiative]


def objective_detail(
    *, actor: Any, workspace: Workspace, objective_id: int, check_in_limit: int = 50
) -> ObjectiveDetail:
    """Everything the objective page shows, in a fixed number of queries."""
    objective = objective_get(actor=actor, workspace=workspace, objective_id=objective_id)
    progress = progress_map(actor=actor, workspace=workspace)
    key_results = list(KeyResult.objects.filter(objective=objective).order_by("position", "id"))
    for kr in key_results:
        kr.progress = rule.kr_progress(kr)  # type: ignore[attr-defined]
    children = list(
        Objective.objects.filter(parent=objective)
        .select_related("owner")
        .order_by(F("archived_at").asc(nulls_first=True), "position", "id")
    )
    for child in children:
        child.progress = progress.get(child.pk)  # type: ignore[attr-defined]
    check_ins = list(CheckIn.objects.filter(objective=objective).select_related("author")[:check_in_limit])
    initiatives = list(
        Initiative.objects.filter(objective_links__objective=objective, archived_at__isnull=True).order_by("title")
    )
    return ObjectiveDetail(
        objective=objective,
        progress=progress.get(objective.pk) if objective.archived_at is None else _own_progress(objective, key_results),
        key_results=key_results,
        children=[c for c in children if c.archived_at is None],
        archived_children=[c for c in children if c.archived_at is not None],
        ancestors=objective_ancestors(actor=actor, objective=objective),
        check_ins=check_ins,
        initiatives=initiatives,
    )


def _own_progress(objective: Objective, key_results: list[KeyResult]) -> float | None:
    """An archived objective is outside the cascade: its progress from its own key results only."""
    return rule.roll_up([objective], key_results).get(objective.pk)


def objective_history(*, actor: Any, workspace: Workspace, objective: Objective) -> QuerySet[AuditEvent]:
    """Changes to the objective, its key results and its check-ins, newest first."""
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    kr_ids = KeyResult.objects.filter(objective=objective).values("pk")
    check_in_ids = CheckIn.objects.filter(objective=objective).values("pk")
    return AuditEvent.objects.filter(
        Q(target_type="strategy.objective", target_id=objective.pk)
        | Q(target_type="strategy.keyresult", target_id__in=kr_ids)
        | Q(target_type="strategy.checkin", target_id__in=check_in_ids),
        workspace=workspace,
    ).select_related("actor")


def parent_choices(*, actor: Any, workspace: Workspace, exclude: Objective | None = None) -> list[Objective]:
    """Objectives that may become a parent (of ``exclude``: not itself nor its descendants), in
    cascade order with ``depth`` set, for a select box."""
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    objectives = list(
        Objective.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("position", "id")
    )
    children: dict[int | None, list[Objective]] = defaultdict(list)
    for o in objectives:
        children[o.parent_id].append(o)
    ordered: list[Objective] = []
    stack = [(o, 0) for o in reversed(children[None])]
    while stack:
        node, depth = stack.pop()
        if exclude is not None and node.pk == exclude.pk:
            continue  # itself and, by not descending, its descendants
        node.depth = depth  # type: ignore[attr-defined]
        ordered.append(node)
        stack.extend((child, depth + 1) for child in reversed(children[node.pk]))
    return ordered


def owner_choices(*, actor: Any, workspace: Workspace) -> QuerySet[User]:
    """People who may own an objective or initiative: the workspace's PMs, leaders and admins."""
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    return User.objects.filter(
        memberships__workspace=workspace, memberships__role__in=[Role.PM, Role.LEADER, Role.ADMIN], is_active=True
    ).order_by("full_name", "email")


# --- PM goals ---------------------------------------------------------------------------------


@dataclass
class Goals:
    """One person's objectives for the page "PM goals"."""

    person: User
    role: str
    objectives: list[Objective]
    progress: float | None
    at_risk: int
    off_track: int


def pm_goals(*, actor: Any, workspace: Workspace, period: Period | None = None) -> tuple[list[Goals], list[Period]]:
    """Every PM of the workspace with the objectives they own (in the period), each with progress,
    then any other owner (leaders, admins) who owns objectives in it. Three queries.

    A person's progress is the plain mean of their objectives that have a progress (dropped ones
    left out): how far along their goals are, not a weighted roll-up.
    """
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    objectives, _, _ = _load(workspace)
    by_id = {o.pk: o for o in objectives}
    for o in objectives:
        o.parent_title = by_id[o.parent_id].title if o.parent_id in by_id else ""  # type: ignore[attr-defined]
    shown = [o for o in objectives if period is None or period.overlaps(o.starts_on, o.ends_on)]
    owned: dict[int, list[Objective]] = defaultdict(list)
    for o in shown:
        if o.owner_id is not None:
            owned[o.owner_id].append(o)
    memberships = list(
        Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__full_name", "user__email")
    )
    groups = []
    for membership in memberships:
        if membership.role != Role.PM and not owned.get(membership.user_id):
            continue
        mine = sorted(owned.get(membership.user_id, []), key=lambda o: (o.starts_on, o.pk))
        counted = [o.progress for o in mine if o.status != ObjectiveStatus.DROPPED and o.progress is not None]  # type: ignore[attr-defined]
        groups.append(
            Goals(
                person=membership.user,
                role=membership.role,
                objectives=mine,
                progress=sum(counted) / len(counted) if counted else None,
                at_risk=sum(1 for o in mine if o.status == ObjectiveStatus.AT_RISK),
                off_track=sum(1 for o in mine if o.status == ObjectiveStatus.OFF_TRACK),
            )
        )
    groups.sort(key=lambda g: (g.role != Role.PM,))  # PMs first, then other owners; names stay in order
    return groups, periods_of(objectives)


# --- key results and check-ins ----------------------------------------------------------------


def key_result_list(
    *, actor: Any, workspace: Workspace, objective: Objective | int | None = None
) -> QuerySet[KeyResult]:
    qs = permissions.scope(KeyResult.objects.all(), actor, workspace, Action.STRATEGY_VIEW)
    if objective is not None:
        qs = qs.filter(objective_id=_pk(objective))
    return qs.order_by("objective_id", "position", "id")


def key_result_get(*, actor: Any, workspace: Workspace, key_result_id: int) -> KeyResult:
    qs = permissions.scope(
        KeyResult.objects.select_related("objective__owner", "objective__workspace", "workspace"),
        actor,
        workspace,
        Action.STRATEGY_VIEW,
    )
    return permissions.get_or_404(qs, pk=key_result_id)


def check_in_list(*, actor: Any, workspace: Workspace, objective: Objective) -> QuerySet[CheckIn]:
    qs = permissions.scope(CheckIn.objects.select_related("author"), actor, workspace, Action.STRATEGY_VIEW)
    return qs.filter(objective=objective).order_by("-date", "-id")


# --- initiatives ------------------------------------------------------------------------------


def initiative_list(
    *,
    actor: Any,
    workspace: Workspace,
    search: str = "",
    status: str = "",
    owner: User | int | None = None,
    objective: Objective | int | None = None,
    product: Product | int | None = None,
    include_archived: bool = False,
    ordering: str = "title",
) -> QuerySet[Initiative]:
    """Initiatives with owner, objectives and products loaded (three queries per page)."""
    qs = permissions.scope(Initiative.objects.select_related("owner"), actor, workspace, Action.STRATEGY_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(problem__icontains=search))
    if _choice(status, InitiativeStatus.values, "status"):
        qs = qs.filter(status=status)
    if owner is not None:
        qs = qs.filter(owner_id=_pk(owner))
    if objective is not None:
        qs = qs.filter(objective_links__objective_id=_pk(objective))
    if product is not None:
        qs = qs.filter(product_links__product_id=_pk(product))
    qs = qs.prefetch_related(*_initiative_links(owners=False))
    return _order(qs, ordering, INITIATIVE_ORDERINGS)


def _initiative_links(*, owners: bool) -> list[Prefetch]:
    """Prefetches behind ``Initiative.linked_objectives`` / ``linked_products`` (one query each)."""
    objective = ["objective__owner"] if owners else ["objective"]
    return [
        Prefetch(
            "objective_links",
            queryset=InitiativeObjective.objects.select_related(*objective).order_by(
                "objective__title", "objective_id"
            ),
        ),
        Prefetch(
            "product_links", queryset=InitiativeProduct.objects.select_related("product").order_by("product__key")
        ),
    ]


def initiative_get(*, actor: Any, workspace: Workspace, initiative_id: int) -> Initiative:
    qs = permissions.scope(
        Initiative.objects.select_related("owner", "workspace").prefetch_related(*_initiative_links(owners=True)),
        actor,
        workspace,
        Action.STRATEGY_VIEW,
    )
    return permissions.get_or_404(qs, pk=initiative_id)


def objective_choices(*, actor: Any, workspace: Workspace) -> list[Objective]:
    """Active objectives in cascade order (for linking an initiative)."""
    return parent_choices(actor=actor, workspace=workspace)


def product_choices(*, actor: Any, workspace: Workspace) -> QuerySet[Product]:
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    return Product.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("key")


# --- visions ----------------------------------------------------------------------------------


def vision_list(*, actor: Any, workspace: Workspace) -> QuerySet[Vision]:
    """The workspace's vision first, then products' visions by product key."""
    qs = permissions.scope(Vision.objects.select_related("product"), actor, workspace, Action.STRATEGY_VIEW)
    return qs.order_by(F("product__key").asc(nulls_first=True), "id")


def vision_get(*, actor: Any, workspace: Workspace, vision_id: int) -> Vision:
    qs = permissions.scope(
        Vision.objects.select_related("product", "workspace"), actor, workspace, Action.STRATEGY_VIEW
    )
    return permissions.get_or_404(qs, pk=vision_id)


def vision_of(*, actor: Any, workspace: Workspace, product: Product | None = None) -> Vision | None:
    """The vision of the workspace (no product) or of one product, or None when none is written yet."""
    qs = permissions.scope(Vision.objects.select_related("product"), actor, workspace, Action.STRATEGY_VIEW)
    return qs.filter(product=product).first() if product else qs.filter(product__isnull=True).first()


def product_by_key(*, actor: Any, workspace: Workspace, key: str) -> Product:
    qs = permissions.scope(Product.objects.select_related("owner"), actor, workspace, Action.STRATEGY_VIEW)
    return permissions.get_or_404(qs, key=key.upper())


def vision_versions(*, actor: Any, vision: Vision) -> QuerySet[VisionVersion]:
    """Every version of a vision, newest first, with its author."""
    qs = permissions.scope(
        VisionVersion.objects.select_related("author"), actor, vision.workspace_id, Action.STRATEGY_VIEW
    )
    return qs.filter(vision=vision).order_by("-number")


def products_with_visions(*, actor: Any, workspace: Workspace) -> list[Product]:
    """Active products, each with ``vision`` (or None): the vision index lists every product."""
    permissions.require(actor, Action.STRATEGY_VIEW, workspace)
    products = list(Product.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("key"))
    visions = {v.product_id: v for v in Vision.objects.filter(workspace=workspace, product__isnull=False)}
    for product in products:
        product.vision = visions.get(product.pk)  # type: ignore[attr-defined]
    return products

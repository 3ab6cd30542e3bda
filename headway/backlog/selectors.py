"""Every read of the backlog, scoped to one workspace through ``core.permissions``.

Full-text search: on PostgreSQL a ``tsvector`` over title and description, served by the GIN
index the migration creates on exactly ``SEARCH_VECTOR_SQL``; each word matches as a prefix
("notif" finds "notifications"), all words must match. On SQLite (the single-machine mode) every
word must occur in the title or the description (``LIKE``): a scan, about 5 ms over 5,000
features, which keeps SQLite free of a second, trigger-maintained FTS table. A search that looks
like a reference (``PAY-12``) also finds that feature.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL, Window
from django.db.models.functions import Lower, RowNumber

from headway.accounts.models import User
from headway.backlog.filters import FeatureFilters
from headway.backlog.models import (
    BacklogSettings,
    Feature,
    FeatureComment,
    FeatureDependency,
    FeatureLink,
    FeatureObjective,
    FeatureStatusChange,
    FeatureTag,
    Requirement,
    SavedView,
    StatusCategory,
    Tag,
    WorkflowStatus,
)
from headway.core import permissions
from headway.core.errors import NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.portfolio.models import Product
from headway.strategy.models import Initiative, Objective
from headway.workspaces.models import Workspace

SEARCH_VECTOR_SQL = (
    'to_tsvector(\'english\'::regconfig, "backlog_feature"."title" || \' \' || "backlog_feature"."description")'
)
REF_RE = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})")
PAGE_SIZE = 100
BOARD_COLUMN_LIMIT = 50

ORDERINGS: dict[str, tuple[str, ...]] = {
    "rank": ("product_id", "rank"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "title": ("title", "id"),
}


# --- workflow and settings --------------------------------------------------------------------


def workflow_statuses(*, actor: Any, workspace: Workspace) -> list[WorkflowStatus]:
    """The workspace's statuses in workflow order (empty until first use: see workflow_ensure_defaults)."""
    qs = permissions.scope(WorkflowStatus.objects.all(), actor, workspace, Action.BACKLOG_VIEW)
    return list(qs.order_by("position", "id"))


def status_get(*, actor: Any, workspace: Workspace, status_id: int) -> WorkflowStatus:
    qs = permissions.scope(WorkflowStatus.objects.select_related("workspace"), actor, workspace, Action.BACKLOG_VIEW)
    return permissions.get_or_404(qs, pk=status_id)


def status_usage(*, actor: Any, workspace: Workspace) -> dict[int, int]:
    """How many features (archived ones too) are in each status: ``{status_id: count}``."""
    qs = permissions.scope(Feature.objects.all(), actor, workspace, Action.BACKLOG_VIEW)
    return dict(qs.order_by().values_list("status_id").annotate(n=Count("id")).values_list("status_id", "n"))


def backlog_settings_of(*, actor: Any, workspace: Workspace) -> BacklogSettings:
    """The workspace's settings; an unsaved default (story points) until a leader changes them."""
    permissions.require(actor, Action.BACKLOG_VIEW, workspace)
    return BacklogSettings.objects.filter(workspace=workspace).first() or BacklogSettings(workspace=workspace)


def tag_list(*, actor: Any, workspace: Workspace, search: str = "") -> QuerySet[Tag]:
    qs = permissions.scope(Tag.objects.all(), actor, workspace, Action.BACKLOG_VIEW)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by(Lower("name"), "id")


# --- features ---------------------------------------------------------------------------------


def _search(qs: QuerySet[Feature], search: str) -> QuerySet[Feature]:
    ref = REF_RE.fullmatch(search.strip())
    by_ref = Q(product__key=ref[1].upper(), number=int(ref[2])) if ref else None
    words = re.findall(r"[^\W_]+", search)[:10]
    if not words:
        return qs.filter(by_ref) if by_ref is not None else qs.none()
    if connection.vendor == "postgresql":
        query = " & ".join(f"{word}:*" for word in words)
        sql = f"{SEARCH_VECTOR_SQL} @@ to_tsquery('english'::regconfig, %s)"
        # A constant expression (it must match the index's); the words are a bound parameter.
        by_text = Q(RawSQL(sql, [query], output_field=BooleanField()))  # noqa: S611
    else:
        by_text = Q()
        for word in words:
            by_text &= Q(title__icontains=word) | Q(description__icontains=word)
    return qs.filter(by_text | by_ref if by_ref is not None else by_text)


def _apply(qs: QuerySet[Feature], filters: FeatureFilters) -> QuerySet[Feature]:
    f = filters
    if f.product is not None:
        qs = qs.filter(product_id=f.product)
    if not f.include_archived:
        qs = qs.filter(archived_at__isnull=True)
    for name in ("initiative", "owner", "status"):
        value = getattr(f, name)
        if value == 0 and name != "status":
            qs = qs.filter(**{f"{name}__isnull": True})
        elif value is not None:
            qs = qs.filter(**{f"{name}_id": value})
    if f.category:
        if f.category not in StatusCategory.values:
            msg = f"Choose one of {', '.join(StatusCategory.values)}."
            raise ValidationFailed(f"category: {msg}", fields={"category": [msg]})
        qs = qs.filter(status__category=f.category)
    if f.objective is not None:
        links = FeatureObjective.objects.filter(feature=OuterRef("pk"))
        qs = (
            qs.filter(~Exists(links)) if f.objective == 0 else qs.filter(Exists(links.filter(objective_id=f.objective)))
        )
    if f.tag is not None:
        qs = qs.filter(Exists(FeatureTag.objects.filter(feature=OuterRef("pk"), tag_id=f.tag)))
    if f.search:
        qs = _search(qs, f.search)
    return qs


def _tags_prefetch() -> Prefetch:
    return Prefetch(
        "tag_links",
        queryset=FeatureTag.objects.select_related("tag").order_by(Lower("tag__name"), "tag_id"),
        to_attr="tag_list",
    )


def feature_list(
    *, actor: Any, workspace: Workspace, filters: FeatureFilters | None = None, ordering: str = "rank"
) -> QuerySet[Feature]:
    """Features matching the filters, with product, status, owner, component and initiative loaded
    and tags prefetched (``feature.tag_list``: FeatureTag rows with ``.tag``). Default order: each
    product's backlog rank."""
    if ordering not in ORDERINGS:
        msg = f"Sort by one of {', '.join(ORDERINGS)}."
        raise ValidationFailed(f"ordering: {msg}", fields={"ordering": [msg]})
    qs = permissions.scope(
        Feature.objects.select_related("product", "status", "owner", "component", "initiative"),
        actor,
        workspace,
        Action.BACKLOG_VIEW,
    )
    return _apply(qs, filters or FeatureFilters()).order_by(*ORDERINGS[ordering]).prefetch_related(_tags_prefetch())


def feature_get(*, actor: Any, workspace: Workspace, feature_id: int) -> Feature:
    qs = permissions.scope(
        Feature.objects.select_related("workspace", "product", "status", "owner", "component", "initiative"),
        actor,
        workspace,
        Action.BACKLOG_VIEW,
    )
    return permissions.get_or_404(qs, pk=feature_id)


def feature_by_ref(*, actor: Any, workspace: Workspace, ref: str) -> Feature:
    """A feature by its reference, such as ``PAY-12`` (the key is matched case-insensitively)."""
    match = REF_RE.fullmatch(ref.strip())
    if match is None:
        raise NotFound(f"{ref!r} is not a feature reference such as PAY-12.")
    qs = permissions.scope(
        Feature.objects.select_related("workspace", "product", "status", "owner"), actor, workspace, Action.BACKLOG_VIEW
    )
    feature = qs.filter(product__key=match[1].upper(), number=int(match[2])).first()
    if feature is None:
        raise NotFound(f"No feature {match[1].upper()}-{match[2]} in this workspace.")
    return feature


@dataclasses.dataclass
class BacklogPage:
    """One page of a product's ranked backlog; ``cursor`` continues after its last feature."""

    features: list[Feature]
    has_more: bool
    cursor: str | None
    count: int | None = None


def backlog_page(
    *,
    actor: Any,
    workspace: Workspace,
    filters: FeatureFilters,
    after: str | None = None,
    limit: int | None = None,
    with_count: bool = True,
) -> BacklogPage:
    """A product's ranked backlog, ``limit`` features at a time, in three queries (the page, its
    tags, and the total when ``with_count``), however long the backlog. ``after`` is the
    ``cursor`` of the previous page: the rank of its last feature (a keyset, so page 50 costs
    what page 1 costs)."""
    if filters.product is None:
        raise ValidationFailed("product: Choose a product.", fields={"product": ["Choose a product."]})
    limit = limit or PAGE_SIZE
    qs = feature_list(actor=actor, workspace=workspace, filters=filters)
    count = qs.count() if with_count else None
    if after:
        qs = qs.filter(rank__gt=after)
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return BacklogPage(features=rows, has_more=has_more, cursor=rows[-1].rank if has_more else None, count=count)


@dataclasses.dataclass
class BoardColumn:
    status: WorkflowStatus
    features: list[Feature]
    count: int

    @property
    def hidden(self) -> int:
        return self.count - len(self.features)


def board(
    *,
    actor: Any,
    workspace: Workspace,
    statuses: list[WorkflowStatus],
    filters: FeatureFilters,
    per_column: int = BOARD_COLUMN_LIMIT,
) -> list[BoardColumn]:
    """One column per status with its first ``per_column`` features in backlog order, and each
    column's full count: three queries (features, their tags, counts) whatever the size."""
    qs = feature_list(actor=actor, workspace=workspace, filters=filters)
    counts = dict(qs.order_by().values_list("status_id").annotate(n=Count("id")).values_list("status_id", "n"))
    features = qs.annotate(
        board_row=Window(RowNumber(), partition_by=[F("status_id")], order_by=[F("product_id").asc(), F("rank").asc()])
    ).filter(board_row__lte=per_column)
    by_status: dict[int, list[Feature]] = {}
    for feature in features:
        by_status.setdefault(feature.status_id, []).append(feature)
    return [BoardColumn(status=s, features=by_status.get(s.pk, []), count=counts.get(s.pk, 0)) for s in statuses]


# --- one feature's page -----------------------------------------------------------------------


def requirements_of(feature: Feature) -> list[Requirement]:
    return list(feature.requirements.order_by("position", "id"))


def dependencies_of(feature: Feature) -> tuple[list[FeatureDependency], list[FeatureDependency]]:
    """(what blocks this feature, what this feature blocks), with refs and statuses loaded."""
    both = ("blocker__product", "blocker__status", "blocked__product", "blocked__status")
    blocked_by = FeatureDependency.objects.filter(blocked=feature).select_related(*both)
    blocks = FeatureDependency.objects.filter(blocker=feature).select_related(*both)
    return list(blocked_by.order_by("id")), list(blocks.order_by("id"))


def comments_of(feature: Feature) -> list[FeatureComment]:
    return list(feature.comments.select_related("author").order_by("created_at", "id"))


def links_of(feature: Feature) -> list[FeatureLink]:
    return list(feature.links.order_by("created_at", "id"))


def objectives_of(feature: Feature) -> list[Objective]:
    return list(Objective.objects.filter(feature_links__feature=feature).order_by("title", "id"))


def tags_of(feature: Feature) -> list[Tag]:
    return list(Tag.objects.filter(feature_links__feature=feature).order_by(Lower("name"), "id"))


def status_history(feature: Feature) -> list[FeatureStatusChange]:
    return list(
        FeatureStatusChange.objects.filter(feature=feature)
        .select_related("from_status", "to_status", "actor")
        .order_by("changed_at", "id")
    )


def cycle_time(history: list[FeatureStatusChange]) -> dt.timedelta | None:
    """From first entering an "in progress" status to the last entry into a "done" one; None
    while the feature has not been both."""
    started = next((c.changed_at for c in history if c.to_status.category == StatusCategory.ACTIVE), None)
    finished = next((c.changed_at for c in reversed(history) if c.to_status.category == StatusCategory.DONE), None)
    if started is None or finished is None or finished < started:
        return None
    return finished - started


def _child(model: Any, actor: Any, workspace: Workspace, pk: int, *related: str) -> Any:
    qs = permissions.scope(
        model.objects.select_related("feature__workspace", "feature__product", *related),
        actor,
        workspace,
        Action.BACKLOG_VIEW,
    )
    return permissions.get_or_404(qs, pk=pk)


def requirement_get(*, actor: Any, workspace: Workspace, requirement_id: int) -> Requirement:
    return _child(Requirement, actor, workspace, requirement_id)


def comment_get(*, actor: Any, workspace: Workspace, comment_id: int) -> FeatureComment:
    return _child(FeatureComment, actor, workspace, comment_id, "author")


def link_get(*, actor: Any, workspace: Workspace, link_id: int) -> FeatureLink:
    return _child(FeatureLink, actor, workspace, link_id)


def dependency_get(*, actor: Any, workspace: Workspace, dependency_id: int) -> FeatureDependency:
    qs = permissions.scope(
        FeatureDependency.objects.select_related(
            "blocker__product", "blocker__workspace", "blocked__product", "blocked__workspace"
        ),
        actor,
        workspace,
        Action.BACKLOG_VIEW,
    )
    return permissions.get_or_404(qs, pk=dependency_id)


# --- saved views ------------------------------------------------------------------------------


def saved_views(*, actor: Any, workspace: Workspace) -> list[SavedView]:
    """The actor's own views and the ones others shared, own first."""
    qs = permissions.scope(SavedView.objects.select_related("owner"), actor, workspace, Action.BACKLOG_VIEW)
    views = list(qs.filter(Q(owner_id=actor.pk) | Q(shared=True)).order_by("name", "id"))
    return sorted(views, key=lambda v: v.owner_id != actor.pk)


def saved_view_get(*, actor: Any, workspace: Workspace, view_id: int) -> SavedView:
    """A view the actor may see: their own or a shared one (others' private views are not found)."""
    qs = permissions.scope(
        SavedView.objects.select_related("owner", "workspace"), actor, workspace, Action.BACKLOG_VIEW
    )
    return permissions.get_or_404(qs.filter(Q(owner_id=actor.pk) | Q(shared=True)), pk=view_id)


# --- choices for forms and filters ------------------------------------------------------------


def product_choices(*, actor: Any, workspace: Workspace) -> list[Product]:
    """Active products in portfolio order."""
    qs = permissions.scope(Product.objects.all(), actor, workspace, Action.BACKLOG_VIEW)
    return list(qs.filter(archived_at__isnull=True).order_by("product_line__position", "position", "id"))


def initiative_choices(*, actor: Any, workspace: Workspace) -> list[Initiative]:
    qs = permissions.scope(Initiative.objects.all(), actor, workspace, Action.STRATEGY_VIEW)
    return list(qs.filter(archived_at__isnull=True).order_by("title", "id"))


def objective_choices(*, actor: Any, workspace: Workspace) -> list[Objective]:
    qs = permissions.scope(Objective.objects.all(), actor, workspace, Action.STRATEGY_VIEW)
    return list(qs.filter(archived_at__isnull=True).order_by("-starts_on", "title", "id"))


def member_choices(*, actor: Any, workspace: Workspace) -> list[User]:
    """Everyone in the workspace (any of them may own a feature), by name."""
    permissions.require(actor, Action.BACKLOG_VIEW, workspace)
    return list(User.objects.filter(memberships__workspace=workspace, is_active=True).order_by("full_name", "email"))

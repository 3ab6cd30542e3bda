"""Features: create, edit, rank (move), archive, bulk edit.

Ranking: each feature has a string ``rank``; the backlog is ``ORDER BY rank`` within a product
(see ``headway.backlog.ranking``). A move computes a key between the new neighbours and writes
that one row. Concurrency: a move locks (``SELECT … FOR UPDATE``, in primary-key order so two
moves never deadlock) the moved feature and the two neighbours of its new place, then checks
that they are still neighbours; if another move got in between, it reads again. Two moves into
the same gap therefore queue on the shared neighbour rows and end in a total, unique order. A
move to the very bottom and a new feature (which also goes to the bottom) both lock the product
row. Only the moved rows are locked: on PostgreSQL a row lock writes the row, so locking all of
a product's 5,000 features for each move would cost 5,000 writes.

Numbers: PAY-12 is feature 12 of the product keyed PAY. Numbers are given under the product's
row lock (max + 1) and are unique per product; moving a feature to another product gives it the
next number there (its old reference stays in its history).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils import timezone

from headway.accounts.models import User
from headway.backlog import ranking
from headway.backlog.models import (
    Feature,
    FeatureObjective,
    FeatureStatusChange,
    FeatureTag,
    Tag,
    WorkflowStatus,
)
from headway.backlog.services._common import (
    UNSET,
    check_fields,
    clean,
    created,
    field_error,
    parse_effort,
    resolve_member,
    reverting,
    save,
    text,
)
from headway.backlog.services.workflow import workflow_ensure_defaults
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.core.permissions import Action
from headway.portfolio.models import Component, Product
from headway.strategy.models import Initiative, Objective
from headway.workspaces.models import Workspace

# Fields compared for the audit trail (objectives and tags are recorded as name lists).
FEATURE_FIELDS = [
    "title",
    "description",
    "product",
    "component",
    "initiative",
    "owner",
    "status",
    "effort",
    "target_release",
]
UPDATABLE = [*FEATURE_FIELDS, "objectives", "tags"]
MAX_TAGS = 20
MAX_OBJECTIVES = 20
BULK_LIMIT = 500
MOVE_ATTEMPTS = 5


# --- references -------------------------------------------------------------------------------


def _check_product(workspace: Workspace, product: Any) -> Product:
    if not isinstance(product, Product) or product.workspace_id != workspace.pk:
        raise field_error(ValidationFailed, "product", "Choose a product of this workspace.")
    if product.archived_at is not None:
        raise field_error(Conflict, "product", f"The product “{product}” is archived. Restore it or choose another.")
    return product


def _check_component(product: Product, component: Any) -> Component | None:
    if component is None:
        return None
    if not isinstance(component, Component) or component.workspace_id != product.workspace_id:
        raise field_error(ValidationFailed, "component", "Choose a component of this workspace.")
    if component.product_id != product.pk:
        raise field_error(
            ValidationFailed,
            "component",
            f"“{component.name}” is a component of another product, not of {product.key}.",
        )
    if component.archived_at is not None:
        raise field_error(Conflict, "component", f"The component “{component.name}” is archived.")
    return component


def _check_initiative(workspace: Workspace, initiative: Any) -> Initiative | None:
    if initiative is None:
        return None
    if not isinstance(initiative, Initiative) or initiative.workspace_id != workspace.pk:
        raise field_error(ValidationFailed, "initiative", "Choose an initiative of this workspace.")
    if initiative.archived_at is not None:
        raise field_error(Conflict, "initiative", f"The initiative “{initiative}” is archived.")
    return initiative


def _check_status(workspace: Workspace, status: Any) -> WorkflowStatus:
    if not isinstance(status, WorkflowStatus) or status.workspace_id != workspace.pk:
        raise field_error(ValidationFailed, "status", "Choose a status of this workspace's workflow.")
    return status


def _default_status(actor: Any, workspace: Workspace) -> WorkflowStatus:
    statuses = workflow_ensure_defaults(actor=actor, workspace=workspace)
    return next((s for s in statuses if s.is_default), statuses[0])


def _resolve_objectives(workspace: Workspace, objectives: Any) -> list[Objective]:
    """Objectives of this workspace, given as objects or ids, without duplicates, in the given order."""
    if isinstance(objectives, str | bytes) or not isinstance(objectives, Iterable):
        raise field_error(ValidationFailed, "objectives", "Give a list of objectives.")
    items = list(objectives)
    if len(items) > MAX_OBJECTIVES:
        raise field_error(ValidationFailed, "objectives", f"A feature serves at most {MAX_OBJECTIVES} objectives.")
    ids: list[int] = []
    for item in items:
        if isinstance(item, Objective):
            if item.workspace_id != workspace.pk:
                raise field_error(ValidationFailed, "objectives", "Choose objectives of this workspace.")
            ids.append(item.pk)
        elif isinstance(item, int) and not isinstance(item, bool):
            ids.append(item)
        else:
            raise field_error(ValidationFailed, "objectives", "Give objectives or objective ids.")
    ids = list(dict.fromkeys(ids))
    found = {o.pk: o for o in Objective.objects.filter(workspace=workspace, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise field_error(NotFound, "objectives", f"No objective {missing[0]} in this workspace.")
    archived = [found[i] for i in ids if found[i].archived_at is not None]
    if archived:
        raise field_error(Conflict, "objectives", f"The objective “{archived[0]}” is archived.")
    return [found[i] for i in ids]


def _tag_names(tags: Any, field: str = "tags") -> list[str]:
    """Tag names, trimmed, without case-insensitive duplicates (the first spelling wins)."""
    if isinstance(tags, str | bytes) or not isinstance(tags, Iterable):
        raise field_error(ValidationFailed, field, "Give a list of tag names.")
    names: dict[str, str] = {}
    for raw in tags:
        if not isinstance(raw, str):
            raise field_error(ValidationFailed, field, "Tags are names (text).")
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > 40:
            raise field_error(ValidationFailed, field, f"“{name[:40]}…” is longer than 40 characters.")
        names.setdefault(name.lower(), name)
    if len(names) > MAX_TAGS:
        raise field_error(ValidationFailed, field, f"A feature carries at most {MAX_TAGS} tags.")
    return list(names.values())


def _tags(workspace: Workspace, names: list[str], *, create: bool = True) -> list[Tag]:
    """The workspace's tags with these names (matched case-insensitively); missing ones are created."""
    if not names:
        return []
    lowered = [n.lower() for n in names]
    found = {
        t.lname: t
        for t in Tag.objects.filter(workspace=workspace).annotate(lname=Lower("name")).filter(lname__in=lowered)
    }
    missing = [n for n in names if n.lower() not in found]
    if missing and create:
        try:
            with transaction.atomic():
                Tag.objects.bulk_create([Tag(workspace=workspace, name=n) for n in missing])
        except IntegrityError:  # created meanwhile by someone else: read them back
            pass
        found = {
            t.lname: t
            for t in Tag.objects.filter(workspace=workspace).annotate(lname=Lower("name")).filter(lname__in=lowered)
        }
    return [found[n] for n in lowered if n in found]


def _names(items: Iterable[Any]) -> str:
    return ", ".join(sorted(str(i) for i in items))


# --- numbers and ranks ------------------------------------------------------------------------


def _lock_product(product_id: int) -> None:
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))


def _bottom(product_id: int) -> tuple[int, str]:
    """The next number and a rank below every feature of the product (call under the product lock)."""
    features = Feature.objects.filter(product_id=product_id)
    number = (features.aggregate(n=Max("number"))["n"] or 0) + 1
    last = features.order_by("-rank").values_list("rank", flat=True).first()
    key = ranking.key_between(last, None)
    if len(key) > ranking.MAX_LENGTH:
        _respace(product_id)
        last = features.order_by("-rank").values_list("rank", flat=True).first()
        key = ranking.key_between(last, None)
    return number, key


def _respace(product_id: int, place: tuple[int, int | None] | None = None) -> dict[int, str]:
    """Give every feature of the product a fresh, evenly spaced key in the current order.

    ``place=(feature_id, after_id)`` also moves one feature to just after another (None: first).
    Rare: only when keys in one spot have grown past ``ranking.MAX_LENGTH``. Two passes, because
    the new keys may equal old keys of other rows and the unique constraint is checked per row.
    """
    rows = list(
        Feature.objects.select_for_update().filter(product_id=product_id).order_by("pk").values_list("pk", "rank")
    )
    order = [pk for pk, _ in sorted(rows, key=lambda r: r[1])]
    if place is not None:
        moved, after = place
        order.remove(moved)
        order.insert(0 if after is None else order.index(after) + 1, moved)
    keys = dict(zip(order, ranking.spread(len(order)), strict=True))
    temporary = [Feature(pk=pk, rank=f"-{pk}") for pk in order]  # "-" never occurs in a real key
    Feature.objects.bulk_update(temporary, ["rank"], batch_size=1000)
    Feature.objects.bulk_update([Feature(pk=pk, rank=k) for pk, k in keys.items()], ["rank"], batch_size=1000)
    return keys


# --- create and update ------------------------------------------------------------------------


def _record_status(feature: Feature, old: WorkflowStatus | None, actor: Any) -> None:
    FeatureStatusChange.objects.create(
        workspace_id=feature.workspace_id,
        feature=feature,
        from_status=old,
        to_status=feature.status,
        actor=actor if getattr(actor, "pk", None) else None,
        changed_at=timezone.now(),
    )
    if old is not None and old.pk != feature.status_id:
        from headway.ideas.services.features import ideas_follow_feature  # local: ideas imports backlog

        ideas_follow_feature(actor=actor, feature=feature)  # linked ideas follow (and people hear of it)


@transaction.atomic
def feature_create(
    *,
    actor: Any,
    workspace: Workspace,
    product: Product,
    title: str,
    description: str = "",
    component: Component | None = None,
    initiative: Initiative | None = None,
    objectives: Iterable[Objective | int] = (),
    owner: User | int | None = None,
    status: WorkflowStatus | None = None,
    effort: Any = None,
    target_release: str = "",
    tags: Iterable[str] = (),
) -> Feature:
    """A new feature at the bottom of its product's backlog (status: the workflow's default)."""
    permissions.require_member(actor, workspace)
    _check_product(workspace, product)
    permissions.require(actor, Action.FEATURE_EDIT, workspace, product)
    component = _check_component(product, component)
    initiative = _check_initiative(workspace, initiative)
    objective_list = _resolve_objectives(workspace, objectives)
    tag_names = _tag_names(tags)
    owner_user = resolve_member(workspace, owner)
    status = _default_status(actor, workspace) if status is None else _check_status(workspace, status)
    effort_value = parse_effort(effort)
    feature = Feature(
        workspace=workspace,
        product=product,
        component=component,
        initiative=initiative,
        owner=owner_user,
        title=text(title),
        description=text(description),
        status=status,
        effort=effort_value,
        target_release=text(target_release),
        number=0,
        rank=ranking.INITIAL,
    )
    clean(feature, exclude=["workspace", "product", "component", "initiative", "owner", "status", "number", "rank"])
    _lock_product(product.pk)
    feature.number, feature.rank = _bottom(product.pk)
    save(feature, lambda: None)
    FeatureObjective.objects.bulk_create(
        FeatureObjective(workspace=workspace, feature=feature, objective=o) for o in objective_list
    )
    tag_list = _tags(workspace, tag_names)
    FeatureTag.objects.bulk_create(FeatureTag(workspace=workspace, feature=feature, tag=t) for t in tag_list)
    _record_status(feature, None, actor)
    changes = created(snapshot(feature, FEATURE_FIELDS))
    if objective_list:
        changes["objectives"] = [None, _names(objective_list)]
    if tag_list:
        changes["tags"] = [None, _names(tag_list)]
    audit_record(actor=actor, workspace=workspace, action="feature.create", target=feature, changes=changes)
    return feature


def _archived(feature: Feature, doing: str) -> None:
    if feature.archived_at is not None:
        raise field_error(Conflict, "__all__", f"{feature.ref} is archived. Restore it before {doing} it.")


_HINTS = {
    "rank": "Use feature_move to reorder the backlog.",
    "number": "Numbers are given by the product.",
    "archived_at": "Use feature_archive or feature_restore.",
    "workspace": "A feature stays in its workspace.",
}


@transaction.atomic
def feature_update(*, actor: Any, feature: Feature, **fields: Any) -> Feature:
    """Edit a feature; only what changed is recorded. Changing the product needs the right to edit
    features of both products, gives the feature the next number there and puts it at the bottom."""
    workspace = feature.workspace
    permissions.require(actor, Action.FEATURE_EDIT, workspace, feature)
    check_fields(fields, UPDATABLE, "feature", _HINTS)
    _archived(feature, "editing")
    old_product = feature.product
    old_status = feature.status
    old_objectives = list(Objective.objects.filter(feature_links__feature=feature))
    old_tags = list(Tag.objects.filter(feature_links__feature=feature))

    product = fields.pop("product", old_product)
    if product != old_product:
        _check_product(workspace, product)
        permissions.require(actor, Action.FEATURE_EDIT, workspace, product)
        if "component" not in fields and feature.component_id is not None:
            fields["component"] = None  # the old product's component does not belong to the new one
    if "component" in fields:
        fields["component"] = _check_component(product, fields["component"])
    if "initiative" in fields and fields["initiative"] != feature.initiative:
        fields["initiative"] = _check_initiative(workspace, fields["initiative"])
    if "status" in fields:
        fields["status"] = _check_status(workspace, fields["status"])
    if "owner" in fields:
        fields["owner"] = resolve_member(workspace, fields["owner"])
    if "effort" in fields:
        fields["effort"] = parse_effort(fields["effort"])
    objectives = _resolve_objectives(workspace, fields.pop("objectives")) if "objectives" in fields else None
    tag_names = _tag_names(fields.pop("tags")) if "tags" in fields else None

    before = snapshot(feature, FEATURE_FIELDS)
    old_number = feature.number
    with reverting(feature, [*FEATURE_FIELDS, "number", "rank"]):
        for name, value in fields.items():
            setattr(feature, name, text(value))
        feature.product = product
        clean(feature, exclude=["workspace", "product", "component", "initiative", "owner", "status", "number", "rank"])
        changes = diff(before, snapshot(feature, FEATURE_FIELDS))
        update_fields = list(changes)
        if product != old_product:
            _lock_product(product.pk)
            feature.number, feature.rank = _bottom(product.pk)
            update_fields += ["number", "rank"]
        if update_fields:
            save(feature, lambda: None, update_fields=[*update_fields, "updated_at"])
    if product != old_product:
        changes["ref"] = [f"{old_product.key}-{old_number}", feature.ref]
    if feature.status_id != old_status.pk:
        _record_status(feature, old_status, actor)
    if objectives is not None and {o.pk for o in objectives} != {o.pk for o in old_objectives}:
        FeatureObjective.objects.filter(feature=feature).exclude(objective__in=objectives).delete()
        kept = {o.pk for o in old_objectives}
        FeatureObjective.objects.bulk_create(
            FeatureObjective(workspace=workspace, feature=feature, objective=o) for o in objectives if o.pk not in kept
        )
        changes["objectives"] = [_names(old_objectives), _names(objectives)]
    if tag_names is not None:
        tags = _tags(workspace, tag_names)
        if {t.pk for t in tags} != {t.pk for t in old_tags}:
            FeatureTag.objects.filter(feature=feature).exclude(tag__in=tags).delete()
            kept = {t.pk for t in old_tags}
            FeatureTag.objects.bulk_create(
                FeatureTag(workspace=workspace, feature=feature, tag=t) for t in tags if t.pk not in kept
            )
            changes["tags"] = [_names(old_tags), _names(tags)]
    if changes:
        audit_record(actor=actor, workspace=workspace, action="feature.update", target=feature, changes=changes)
    return feature


# --- ranking ----------------------------------------------------------------------------------

Neighbour = tuple[int, str, int]  # pk, rank, number


def _neighbours(
    product_id: int, feature_id: int, before_id: int | None, after_id: int | None
) -> tuple[Neighbour | None, Neighbour | None] | None:
    """The features just above and below the new place (one query), or None when the anchor
    (``after``, else ``before``) is no longer in this product."""
    others = Feature.objects.filter(product_id=product_id).exclude(pk=feature_id)
    anchor_id = after_id if after_id is not None else before_id
    assert anchor_id is not None
    anchor_rank = Feature.objects.filter(pk=anchor_id, product_id=product_id).values("rank")
    if after_id is not None:
        rows = list(others.filter(rank__gte=anchor_rank).order_by("rank").values_list("pk", "rank", "number")[:2])
    else:
        rows = list(others.filter(rank__lte=anchor_rank).order_by("-rank").values_list("pk", "rank", "number")[:2])
    if not rows or rows[0][0] != anchor_id:
        return None
    rest = rows[1] if len(rows) > 1 else None
    return (rows[0], rest) if after_id is not None else (rest, rows[0])


def _check_anchor(feature: Feature, other: Any, name: str) -> None:
    if not isinstance(other, Feature) or other.workspace_id != feature.workspace_id:
        raise field_error(ValidationFailed, name, "Choose a feature of this workspace.")
    if other.pk == feature.pk:
        raise field_error(Conflict, name, f"{feature.ref} cannot be placed next to itself.")
    if other.product_id != feature.product_id:
        raise field_error(
            ValidationFailed,
            name,
            f"{other.ref} belongs to another product; features are ranked within their product's backlog.",
        )


@transaction.atomic
def feature_move(
    *, actor: Any, feature: Feature, before: Feature | None = None, after: Feature | None = None
) -> Feature:
    """Put a feature right before ``before`` or right after ``after`` in its product's backlog.

    With both, ``after`` decides and ``before`` must rank below it (what a drag and drop between
    two rows sends). Writes one row (the moved feature's rank); see the module docstring for
    locking. Neighbours that are archived or hidden by a filter still count: "before PAY-7"
    means directly before PAY-7.
    """
    workspace = feature.workspace
    permissions.require(actor, Action.FEATURE_EDIT, workspace, feature)
    if before is None and after is None:
        msg = "Say where to move it: before or after another feature of the same product."
        raise ValidationFailed(msg, fields={"before": [msg], "after": [msg]})
    if after is not None:
        _check_anchor(feature, after, "after")
    if before is not None:
        _check_anchor(feature, before, "before")
    _archived(feature, "moving")
    product_id = feature.product_id
    before_id, after_id = (before.pk if before else None), (after.pk if after else None)
    for _attempt in range(MOVE_ATTEMPTS):
        place = _neighbours(product_id, feature.pk, before_id, after_id)
        if place is None:
            anchor = after if after is not None else before
            raise Conflict(f"{anchor.ref} was moved to another product just now. Reload and try again.")  # type: ignore[union-attr]
        low, high = place
        if high is None:
            _lock_product(product_id)  # the bottom is also where new features go
        ids = {feature.pk} | {n[0] for n in place if n is not None} | ({before_id} if before_id else set())
        locked = {
            pk: (rank, pid, archived_at)
            for pk, rank, pid, archived_at in Feature.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "rank", "product_id", "archived_at")
        }
        mine = locked.get(feature.pk)
        if mine is None or mine[1] != product_id:
            raise Conflict(f"{feature.ref} was moved to another product just now. Reload and try again.")
        if mine[2] is not None:
            raise Conflict(f"{feature.ref} was archived just now. Restore it before moving it.")
        if _neighbours(product_id, feature.pk, before_id, after_id) == place:
            break
    else:  # pragma: no cover - needs five interleaved moves into the same gap
        raise Conflict("The backlog kept changing while this move was made. Reload and try again.")
    if before_id is not None and after_id is not None and locked[before_id][0] <= locked[after_id][0]:
        raise field_error(
            Conflict,
            "before",
            f"{before.ref} ranks above {after.ref}; give neighbours in backlog order.",  # type: ignore[union-attr]
        )
    old_rank = mine[0]
    if (low is None or low[1] < old_rank) and (high is None or old_rank < high[1]):
        return feature  # already there: nothing to write
    key = ranking.key_between(low[1] if low else None, high[1] if high else None)
    if len(key) > ranking.MAX_LENGTH:
        key = _respace(product_id, place=(feature.pk, low[0] if low else None))[feature.pk]
    else:
        try:
            with transaction.atomic():
                Feature.objects.filter(pk=feature.pk).update(rank=key, updated_at=timezone.now())
        except IntegrityError as exc:  # pragma: no cover - the locks above prevent it
            raise Conflict("Another change took this place in the backlog just now. Try again.") from exc
    feature.rank = key
    key_of = feature.product.key
    where = " · ".join(
        part
        for part in (
            f"after {key_of}-{low[2]}" if low else "top",
            f"before {key_of}-{high[2]}" if high else "bottom",
        )
    )
    audit_record(
        actor=actor, workspace=workspace, action="feature.move", target=feature, changes={"rank": [None, where]}
    )
    return feature


# --- archive ----------------------------------------------------------------------------------


@transaction.atomic
def feature_archive(*, actor: Any, feature: Feature) -> Feature:
    """Take a feature out of the backlog and the board; it keeps its history, rank and number."""
    permissions.require(actor, Action.FEATURE_EDIT, feature.workspace, feature)
    if feature.archived_at is not None:
        return feature
    feature.archived_at = timezone.now()
    feature.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="feature.archive",
        target=feature,
        changes={"archived_at": [None, feature.archived_at.isoformat()]},
    )
    return feature


@transaction.atomic
def feature_restore(*, actor: Any, feature: Feature) -> Feature:
    """Bring an archived feature back to its old place in the backlog (its product must be active)."""
    permissions.require(actor, Action.FEATURE_EDIT, feature.workspace, feature)
    if feature.archived_at is None:
        return feature
    if feature.product.archived_at is not None:
        raise field_error(
            Conflict, "__all__", f"Its product “{feature.product}” is archived. Restore the product first."
        )
    old = feature.archived_at
    feature.archived_at = None
    feature.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="feature.restore",
        target=feature,
        changes={"archived_at": [old.isoformat(), None]},
    )
    return feature


# --- bulk edit --------------------------------------------------------------------------------


def _refs(features: Iterable[Feature], limit: int = 5) -> str:
    refs = [f.ref for f in features]
    return ", ".join(refs[:limit]) + (f" and {len(refs) - limit} more" if len(refs) > limit else "")


@transaction.atomic
def feature_bulk_update(
    *,
    actor: Any,
    workspace: Workspace,
    features: Iterable[Feature | int],
    status: Any = UNSET,
    owner: Any = UNSET,
    initiative: Any = UNSET,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
) -> int:
    """Change status, owner, initiative and tags of many features at once: all of them or none.

    Every feature must be one the actor may edit and not archived. Leave a keyword out to keep
    that field (``owner=None`` removes the owner). Returns how many features changed; each
    changed feature gets its own audit entry and, for a new status, a status-history row.
    """
    permissions.require(actor, Action.BACKLOG_VIEW, workspace)
    if isinstance(features, str | bytes) or not isinstance(features, Iterable):
        raise field_error(ValidationFailed, "features", "Give a list of features.")
    ids: list[int] = []
    for item in features:
        if isinstance(item, Feature):
            ids.append(item.pk)
        elif isinstance(item, int) and not isinstance(item, bool):
            ids.append(item)
        else:
            raise field_error(ValidationFailed, "features", "Give features or feature ids.")
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise field_error(ValidationFailed, "features", "Choose at least one feature.")
    if len(ids) > BULK_LIMIT:
        raise field_error(ValidationFailed, "features", f"Edit at most {BULK_LIMIT} features at once.")
    add_names, remove_names = _tag_names(add_tags, "add_tags"), _tag_names(remove_tags, "remove_tags")
    if status is UNSET and owner is UNSET and initiative is UNSET and not add_names and not remove_names:
        raise field_error(ValidationFailed, "__all__", "Choose a change: status, owner, initiative or tags.")
    rows = list(
        Feature.objects.select_for_update(of=("self",))
        .select_related("product", "status", "owner", "initiative")
        .filter(workspace=workspace, pk__in=ids)
        .order_by("pk")
    )
    found = {f.pk for f in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise field_error(NotFound, "features", f"No feature {missing[0]} in this workspace.")
    denied = [f for f in rows if not permissions.can(actor, Action.FEATURE_EDIT, workspace, f)]
    if denied:
        raise PermissionDenied(
            f"You may not edit {_refs(denied)}: PMs edit the features of the products they own. Nothing was changed."
        )
    archived = [f for f in rows if f.archived_at is not None]
    if archived:
        raise field_error(Conflict, "features", f"{_refs(archived)} archived. Restore first; nothing was changed.")
    new_values: dict[str, Any] = {}
    if status is not UNSET:
        new_values["status"] = _check_status(workspace, status)
    if owner is not UNSET:
        new_values["owner"] = resolve_member(workspace, owner)
    if initiative is not UNSET:
        new_values["initiative"] = _check_initiative(workspace, initiative)
    add = _tags(workspace, add_names)
    remove = _tags(workspace, remove_names, create=False)
    if {t.pk for t in add} & {t.pk for t in remove}:
        raise field_error(Conflict, "remove_tags", "A tag cannot be added and removed at once.")
    current_tags: dict[int, set[int]] = {}
    tag_names: dict[int, str] = {t.pk: t.name for t in (*add, *remove)}
    if add or remove:
        for feature_id, tag_id, name in FeatureTag.objects.filter(feature_id__in=ids).values_list(
            "feature_id", "tag_id", "tag__name"
        ):
            current_tags.setdefault(feature_id, set()).add(tag_id)
            tag_names[tag_id] = name
    now = timezone.now()
    changed: list[Feature] = []
    history: list[FeatureStatusChange] = []
    links: list[FeatureTag] = []
    events: list[AuditEvent] = []
    actor_or_none = actor if getattr(actor, "pk", None) else None
    for feature in rows:
        changes: dict[str, list[Any]] = {}
        for name, value in new_values.items():
            old = getattr(feature, name)
            if (old.pk if old else None) != (value.pk if value else None):
                changes[name] = [str(old) if old else None, str(value) if value else None]
                if name == "status":
                    history.append(
                        FeatureStatusChange(
                            workspace=workspace,
                            feature=feature,
                            from_status=old,
                            to_status=value,
                            actor=actor_or_none,
                            changed_at=now,
                        )
                    )
                setattr(feature, name, value)
        had = current_tags.get(feature.pk, set())
        gained = [t for t in add if t.pk not in had]
        lost = [t for t in remove if t.pk in had]
        if gained or lost:
            after = (had | {t.pk for t in gained}) - {t.pk for t in lost}
            changes["tags"] = [_names(tag_names[i] for i in had), _names(tag_names[i] for i in after)]
            links += [FeatureTag(workspace=workspace, feature=feature, tag=t) for t in gained]
        if changes:
            if set(changes) - {"tags"}:
                feature.updated_at = now
                changed.append(feature)
            events.append(
                AuditEvent(
                    workspace=workspace,
                    actor=actor_or_none,
                    action="feature.update",
                    target_type=Feature._meta.label_lower,
                    target_id=feature.pk,
                    target_repr=str(feature)[:255],
                    changes=changes,
                )
            )
    if changed:
        Feature.objects.bulk_update(changed, [*new_values, "updated_at"], batch_size=500)
    FeatureStatusChange.objects.bulk_create(history)
    if history:
        from headway.ideas.services.features import ideas_follow_features  # local: ideas imports backlog

        ideas_follow_features(actor=actor, features=[change.feature for change in history])
    FeatureTag.objects.bulk_create(links)
    if remove:
        FeatureTag.objects.filter(feature_id__in=ids, tag__in=remove).delete()
    AuditEvent.objects.bulk_create(events)
    return len(events)

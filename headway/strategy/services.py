"""Every write to strategy: visions and their versions, objectives, key results, check-ins, initiatives.

Habits shared by every function here: keyword-only arguments and an explicit ``actor``; one
transaction; the permission check first (a denied call changes nothing); ``full_clean`` for field
rules, explicit checks for the rules that span fields (each naming its field), and the database's
constraints as the last word; an ``AuditEvent`` with the fields that changed (old → new).

Who may do what (decided in ``core.permissions``): leaders and admins manage the strategy
(vision, objectives, key results, initiatives). A PM checks in on the objectives they own and
updates the current values of their key results; nothing else. Contributors and viewers read.

Errors: a bad value is ``ValidationFailed`` (422); an archived objective or initiative in the way,
a vision that already exists, or a check-in on a finished objective is ``Conflict`` (409); a
referenced person, objective or product outside the workspace is ``NotFound`` (404).

The cascade: an objective may sit under a parent of the same workspace, to any depth, but never
under itself or one of its own descendants ("an objective cannot be its own ancestor"). Changes
to the cascade's shape (create, move, archive, restore) take the workspace's row lock first, so
two of them never interleave: two simultaneous moves cannot build a cycle between them. Siblings
that are not archived have dense positions ``0..n-1``; new objectives go last.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from headway.accounts.models import User
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, HeadwayError, NotFound, ValidationFailed
from headway.core.ordering import lock_workspace, renumber
from headway.core.permissions import Action
from headway.portfolio.models import Product, ProductLine
from headway.strategy import progress as rule
from headway.strategy.models import (
    MAX_WEIGHT,
    CheckIn,
    Direction,
    Health,
    Initiative,
    InitiativeObjective,
    InitiativeProduct,
    InitiativeStatus,
    KeyResult,
    Objective,
    ObjectiveStatus,
    PeriodKind,
    Vision,
    VisionVersion,
)
from headway.strategy.selectors import workspace_progress
from headway.workspaces.models import Membership, Role, Workspace

OBJECTIVE_FIELDS = [
    "title", "description", "owner", "product_line", "product", "period_kind", "starts_on", "ends_on", "status",
    "weight",
]  # fmt: skip
KEY_RESULT_FIELDS = ["title", "start_value", "target_value", "current_value", "unit", "direction", "weight"]
INITIATIVE_FIELDS = ["title", "problem", "owner", "status", "starts_on", "ends_on"]
VISION_FIELDS = list(Vision.TEXT_FIELDS)

# Who may own an objective or an initiative: people who manage products.
OWNER_ROLES = (Role.PM, Role.LEADER, Role.ADMIN)

# How long each kind of period may run, in days (both ends included): calendar and 4-4-5 quarters,
# halves and years, and 52/53-week fiscal years. Anything else is a custom period.
PERIOD_DAYS = {PeriodKind.QUARTER: (84, 95), PeriodKind.HALF: (178, 186), PeriodKind.YEAR: (360, 371)}

# Key result values: 16 digits before the point, 4 after (the column's size).
VALUE_PLACES = Decimal("0.0001")
VALUE_LIMIT = Decimal(10) ** 16


# --- shared helpers ---------------------------------------------------------------------------


def _error(field: str, message: str, cls: type[HeadwayError] = ValidationFailed) -> HeadwayError:
    label = "" if field == "__all__" else f"{field}: "
    return cls(f"{label}{message}", fields={field: [message]})


def _clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


def _check_fields(fields: Mapping[str, Any], allowed: list[str], entity: str, hints: dict[str, str]) -> None:
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        name = unknown[0]
        reason = hints.get(name, f"Not a field you can change on {entity}; use one of {', '.join(allowed)}.")
        raise ValidationFailed(f"{name}: {reason}", fields={n: [hints.get(n, reason)] for n in unknown})


@contextmanager
def _reverting(instance: models.Model, fields: list[str]) -> Iterator[None]:
    """If an edit is refused, the caller's object shows the stored values again, not the rejected ones."""
    try:
        yield
    except HeadwayError:
        instance.refresh_from_db(fields=fields)
        raise


def _snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """``core.audit.snapshot`` as people read it: choice labels ("On track", not "on_track") and
    numbers without trailing zeros ("20", not "20.0000"), so a value re-saved unchanged is no change."""
    data = snapshot(instance, fields)
    for name in fields:
        field = instance._meta.get_field(name)
        value = data[name]
        if value is None or not isinstance(field, models.Field) or field.is_relation:
            continue
        if field.choices:
            data[name] = str(dict(field.flatchoices).get(value, value))
        elif isinstance(field, models.DecimalField):
            data[name] = format(Decimal(value).normalize(), "f")
    return data


def _created(values: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [None, value] for name, value in values.items() if value not in ("", None, [])}


def _text(value: Any) -> Any:
    """Trimmed, with browser line endings (CRLF) made plain, so a re-saved form changes nothing."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _archived(obj: Any, what: str, doing: str = "changing") -> None:
    if getattr(obj, "archived_at", None) is not None:
        raise _error("__all__", f"{what} “{obj}” is archived. Restore it before {doing} it.", Conflict)


def _resolve_owner(workspace: Workspace, owner: User | int | None, *, field: str = "owner") -> User | None:
    """The owner must be someone in this workspace who manages products (PM, leader or admin)."""
    if owner is None:
        return None
    if isinstance(owner, bool) or not isinstance(owner, User | int):
        raise _error(field, "Give a user or a user id.")
    user_id = owner if isinstance(owner, int) else owner.pk
    membership = Membership.objects.select_related("user").filter(workspace=workspace, user_id=user_id).first()
    if membership is None:
        raise _error(field, f"User {user_id} is not a member of this workspace.", NotFound)
    if membership.role not in OWNER_ROLES:
        raise _error(
            field,
            f"{membership.user.display_name} is a {Role(membership.role).label.lower()}; "
            "an owner must be a product manager, product leader or admin.",
        )
    return membership.user


def _resolve_line(workspace: Workspace, line: Any) -> ProductLine | None:
    if line is None:
        return None
    if not isinstance(line, ProductLine) or line.workspace_id != workspace.pk:
        raise _error("product_line", "Choose a product line of this workspace.")
    if line.archived_at is not None:
        raise _error("product_line", f"The product line “{line}” is archived. Choose another one.", Conflict)
    return line


def _resolve_product(workspace: Workspace, product: Any, field: str = "product") -> Product | None:
    if product is None:
        return None
    if not isinstance(product, Product) or product.workspace_id != workspace.pk:
        raise _error(field, "Choose a product of this workspace.")
    if product.archived_at is not None:
        raise _error(field, f"The product “{product}” is archived. Choose another one.", Conflict)
    return product


def _check_weight(weight: Any) -> int:
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= MAX_WEIGHT:
        raise _error("weight", f"Give a whole number from 1 to {MAX_WEIGHT}.")
    return weight


def _check_dates(starts_on: dt.date | None, ends_on: dt.date | None) -> None:
    if starts_on is not None and ends_on is not None and starts_on > ends_on:
        raise _error(
            "ends_on", f"The end date ({ends_on.isoformat()}) must be on or after the start ({starts_on.isoformat()})."
        )


def _check_period(kind: str, starts_on: dt.date, ends_on: dt.date) -> None:
    _check_dates(starts_on, ends_on)
    if kind not in PERIOD_DAYS:
        return
    low, high = PERIOD_DAYS[PeriodKind(kind)]
    days = (ends_on - starts_on).days + 1
    if not low <= days <= high:
        label = PeriodKind(kind).label.lower()
        raise _error(
            "ends_on",
            f"A {label} runs {low}–{high} days; {starts_on.isoformat()} to {ends_on.isoformat()} is {days} days. "
            "Fix the dates or choose custom dates.",
        )


def parse_value(value: Any, field: str = "value") -> Decimal:
    """A key result value from an int, a float (rounded to 4 decimals), a Decimal or a text such as
    "12.5"; at most 4 decimals and 16 digits before the point."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _error(field, "Enter a number.")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _error(field, "Enter a finite number.")
        value = Decimal(str(round(value, 4)))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _error(field, f"“{value}” is not a number.") from exc
    if not amount.is_finite():
        raise _error(field, "Enter a finite number.")
    if abs(amount) >= VALUE_LIMIT:
        raise _error(field, "Enter a number with at most 16 digits before the decimal point.")
    if amount != amount.quantize(VALUE_PLACES):
        raise _error(field, "Use at most 4 decimal places.")
    return amount.quantize(VALUE_PLACES)


def _ids(items: Iterable[Any], field: str) -> list[int]:
    ids = []
    for item in items:
        pk = item if isinstance(item, int) and not isinstance(item, bool) else getattr(item, "pk", None)
        if not isinstance(pk, int):
            raise _error(field, "Give objects or ids.")
        if pk not in ids:
            ids.append(pk)
    return ids


# --- vision -----------------------------------------------------------------------------------


def _vision_version(vision: Vision, actor: Any, number: int) -> VisionVersion:
    return VisionVersion.objects.create(
        workspace_id=vision.workspace_id,
        vision=vision,
        number=number,
        author=actor if getattr(actor, "pk", None) else None,
        **{name: getattr(vision, name) for name in VISION_FIELDS},
    )


@transaction.atomic
def vision_create(
    *,
    actor: Any,
    workspace: Workspace,
    product: Product | None = None,
    statement: str = "",
    mission: str = "",
    target_customers: str = "",
    value_proposition: str = "",
    principles: str = "",
) -> Vision:
    """The vision of the workspace (no product) or of one product; saved as version 1."""
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace)
    product = _resolve_product(workspace, product)
    vision = Vision(
        workspace=workspace,
        product=product,
        statement=_text(statement),
        mission=_text(mission),
        target_customers=_text(target_customers),
        value_proposition=_text(value_proposition),
        principles=_text(principles),
    )
    _clean(vision, exclude=["workspace", "product"])
    exists = Vision.objects.filter(workspace=workspace, product=product)
    taken = f"{product} already has a vision." if product else "This workspace already has a vision."
    if exists.exists():
        raise _error("product" if product else "__all__", f"{taken} Edit it instead.", Conflict)
    try:
        with transaction.atomic():
            vision.save()
    except IntegrityError as exc:
        raise _error("product" if product else "__all__", f"{taken} Edit it instead.", Conflict) from exc
    _vision_version(vision, actor, 1)
    audit_record(
        actor=actor,
        workspace=workspace,
        action="vision.create",
        target=vision,
        changes=_created(_snapshot(vision, ["product", *VISION_FIELDS])),
    )
    return vision


@transaction.atomic
def vision_update(*, actor: Any, vision: Vision, **fields: Any) -> Vision:
    """Change the vision's text; every change that alters something is kept as a new version."""
    workspace = vision.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, vision)
    _check_fields(fields, VISION_FIELDS, "a vision", {"product": "A vision stays with its product."})
    locked = Vision.objects.select_for_update().get(pk=vision.pk)
    before = _snapshot(locked, VISION_FIELDS)
    with _reverting(vision, VISION_FIELDS):
        for name, value in fields.items():
            setattr(vision, name, _text(value))
        _clean(vision, exclude=["workspace", "product"])
        changes = diff(before, _snapshot(vision, VISION_FIELDS))
        if not changes:
            return vision
        vision.save(update_fields=[*changes, "updated_at"])
    last = VisionVersion.objects.filter(vision=vision).order_by("-number").values_list("number", flat=True).first()
    version = _vision_version(vision, actor, (last or 0) + 1)
    changes["version"] = [last, version.number]
    audit_record(actor=actor, workspace=workspace, action="vision.update", target=vision, changes=changes)
    return vision


def vision_save(*, actor: Any, workspace: Workspace, product: Product | None = None, **fields: Any) -> Vision:
    """Create the vision (of the workspace or a product) or change the one that exists."""
    with transaction.atomic():
        permissions.require(actor, Action.STRATEGY_MANAGE, workspace)
        product = _resolve_product(workspace, product)
        existing = Vision.objects.filter(workspace=workspace, product=product).first()
        if existing is not None:
            return vision_update(actor=actor, vision=existing, **fields)
        _check_fields(fields, VISION_FIELDS, "a vision", {})
        return vision_create(actor=actor, workspace=workspace, product=product, **fields)


# --- objectives -------------------------------------------------------------------------------


def _resolve_parent(workspace: Workspace, parent: Any) -> Objective | None:
    if parent is None:
        return None
    if not isinstance(parent, Objective) or parent.workspace_id != workspace.pk:
        raise _error("parent", "Choose a parent objective of this workspace.", NotFound)
    if parent.archived_at is not None:
        raise _error("parent", f"The objective “{parent}” is archived. Choose another parent.", Conflict)
    return parent


def _check_objective(objective: Objective) -> None:
    _check_weight(objective.weight)
    _check_period(objective.period_kind, objective.starts_on, objective.ends_on)
    product = objective.product if objective.product_id else None
    if product is not None and objective.product_line_id and product.product_line_id != objective.product_line_id:
        raise _error(
            "product",
            f"{product} is in the product line “{product.product_line}”, not “{objective.product_line}”.",
        )


def _active_children(workspace_id: int, parent_id: int | None) -> list[Objective]:
    qs = Objective.objects.select_for_update().filter(
        workspace_id=workspace_id, parent_id=parent_id, archived_at__isnull=True
    )
    return sorted(qs.order_by("pk"), key=lambda o: (o.position, o.pk))


@transaction.atomic
def objective_create(
    *,
    actor: Any,
    workspace: Workspace,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    period_kind: str = PeriodKind.QUARTER,
    parent: Objective | None = None,
    description: str = "",
    owner: User | int | None = None,
    product_line: ProductLine | None = None,
    product: Product | None = None,
    status: str = ObjectiveStatus.ON_TRACK,
    weight: int = 1,
) -> Objective:
    """A new objective for a period, last among its siblings (under ``parent``, or at the top)."""
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace)
    parent = _resolve_parent(workspace, parent)
    objective = Objective(
        workspace=workspace,
        parent=parent,
        title=_text(title),
        description=_text(description),
        owner=_resolve_owner(workspace, owner),
        product_line=_resolve_line(workspace, product_line),
        product=_resolve_product(workspace, product),
        period_kind=period_kind,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        weight=weight,
    )
    _check_weight(weight)
    _clean(objective, exclude=["workspace", "parent", "owner", "product_line", "product", "position"])
    _check_objective(objective)
    lock_workspace(workspace)
    objective.position = len(_active_children(workspace.pk, parent.pk if parent else None))
    objective.save()
    audit_record(
        actor=actor,
        workspace=workspace,
        action="objective.create",
        target=objective,
        changes=_created(_snapshot(objective, ["parent", *OBJECTIVE_FIELDS])),
    )
    return objective


_OBJECTIVE_HINTS = {
    "parent": "Use objective_move to put an objective under another parent.",
    "position": "Use objective_move to reorder objectives.",
    "archived_at": "Use objective_archive or objective_restore.",
}


@transaction.atomic
def objective_update(*, actor: Any, objective: Objective, **fields: Any) -> Objective:
    """Edit an objective's title, owner, period, status, weight…; records only what changed."""
    workspace = objective.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, objective)
    _check_fields(fields, OBJECTIVE_FIELDS, "an objective", _OBJECTIVE_HINTS)
    _archived(objective, "The objective", "editing")
    if "owner" in fields:
        fields["owner"] = _resolve_owner(workspace, fields["owner"])
    if "product_line" in fields and fields["product_line"] != objective.product_line:
        fields["product_line"] = _resolve_line(workspace, fields["product_line"])
    if "product" in fields and fields["product"] != objective.product:
        fields["product"] = _resolve_product(workspace, fields["product"])
    if "weight" in fields:
        _check_weight(fields["weight"])
    before = _snapshot(objective, OBJECTIVE_FIELDS)
    with _reverting(objective, OBJECTIVE_FIELDS):
        for name, value in fields.items():
            setattr(objective, name, _text(value))
        _clean(objective, exclude=["workspace", "parent", "owner", "product_line", "product", "position"])
        _check_objective(objective)
        changes = diff(before, _snapshot(objective, OBJECTIVE_FIELDS))
        if not changes:
            return objective
        objective.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, workspace=workspace, action="objective.update", target=objective, changes=changes)
    return objective


def _chain(objective_id: int, parents: dict[int, int | None]) -> list[int]:
    """The objective and its ancestors, nearest first."""
    chain, seen = [objective_id], {objective_id}
    while (parent_id := parents.get(chain[-1])) is not None and parent_id not in seen:
        chain.append(parent_id)
        seen.add(parent_id)
    return chain


@transaction.atomic
def objective_move(
    *, actor: Any, objective: Objective, parent: Objective | None, position: int | None = None
) -> Objective:
    """Put an objective under ``parent`` (None: at the top of the cascade) at ``position`` among its
    new siblings (0 = first; None or past the end = last). Its children move with it.

    Refused when the new parent is the objective itself or one of its descendants: an objective
    cannot be its own ancestor. The whole move happens under locks (the workspace's row, then the
    objective rows involved in pk order) so that it is atomic and two moves cannot build a cycle.
    """
    workspace = objective.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, objective)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
        raise _error("position", "Give a whole number of 0 or more (0 = first).")
    _archived(objective, "The objective", "moving")
    if parent is not None and isinstance(parent, Objective) and parent.pk == objective.pk:
        raise _error("parent", "An objective cannot be its own parent.")
    parent = _resolve_parent(workspace, parent)
    lock_workspace(workspace)
    involved = {pk for pk in (objective.pk, objective.parent_id, parent.pk if parent else None) if pk is not None}
    locked = {o.pk: o for o in Objective.objects.select_for_update().filter(pk__in=involved).order_by("pk")}
    current = locked.get(objective.pk)
    if current is None or current.archived_at is not None:
        raise _error("__all__", f"“{objective}” was archived by someone else just now. Reload and try again.", Conflict)
    if parent is not None:
        fresh_parent = locked.get(parent.pk)
        if fresh_parent is None or fresh_parent.archived_at is not None:
            raise _error("parent", f"The objective “{parent}” was archived just now. Choose another parent.", Conflict)
        rows = list(Objective.objects.filter(workspace_id=workspace.pk).values_list("pk", "parent_id", "title"))
        parents: dict[int, int | None] = {pk: parent_id for pk, parent_id, _ in rows}
        titles = {pk: title for pk, _, title in rows}
        ancestors = _chain(parent.pk, parents)
        if objective.pk in ancestors:
            path = list(reversed(ancestors[: ancestors.index(objective.pk) + 1]))
            raise _error(
                "parent",
                f"An objective cannot be its own ancestor: “{parent.title}” is already under "
                f"“{objective.title}” ({' › '.join(titles[pk] for pk in path)}), "
                f"so “{objective.title}” cannot go under it.",
            )
    old_parent_id, old_position = current.parent_id, current.position
    new_parent_id = parent.pk if parent else None
    changed: dict[int, Objective] = {}
    if new_parent_id != old_parent_id:
        old_siblings = [o for o in _active_children(workspace.pk, old_parent_id) if o.pk != objective.pk]
        changed.update({o.pk: o for o in renumber(old_siblings)})
        current.parent_id = new_parent_id
        changed[current.pk] = current
    siblings = [o for o in _active_children(workspace.pk, new_parent_id) if o.pk != objective.pk]
    siblings.insert(len(siblings) if position is None else min(position, len(siblings)), current)
    changed.update({o.pk: o for o in renumber(siblings)})
    Objective.objects.bulk_update(list(changed.values()), ["parent", "position"])
    old_parent_title = str(objective.parent) if objective.parent_id else None
    objective.parent, objective.position = parent, current.position
    changes: dict[str, list[Any]] = {}
    if new_parent_id != old_parent_id:
        changes["parent"] = [old_parent_title, str(parent) if parent else None]
    if old_position != objective.position or changes:
        changes["position"] = [old_position, objective.position]
    if changes:
        audit_record(actor=actor, workspace=workspace, action="objective.move", target=objective, changes=changes)
    return objective


@transaction.atomic
def objective_archive(*, actor: Any, objective: Objective) -> Objective:
    """Take an objective out of the cascade (its history stays). Refused while it has active children:
    move or archive them first, deliberately."""
    workspace = objective.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, objective)
    if objective.archived_at is not None:
        return objective
    lock_workspace(workspace)
    children = list(Objective.objects.filter(parent=objective, archived_at__isnull=True).order_by("position", "pk")[:6])
    if children:
        listed = ", ".join(f"“{c.title}”" for c in children[:5]) + (", …" if len(children) > 5 else "")
        raise _error(
            "__all__",
            f"“{objective}” still has active child objectives ({listed}). Move or archive them first.",
            Conflict,
        )
    old_position = objective.position
    objective.archived_at = timezone.now()
    objective.save(update_fields=["archived_at", "updated_at"])
    Objective.objects.bulk_update(renumber(_active_children(workspace.pk, objective.parent_id)), ["position"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="objective.archive",
        target=objective,
        changes={"archived_at": [None, objective.archived_at.isoformat()], "position": [old_position, None]},
    )
    return objective


@transaction.atomic
def objective_restore(*, actor: Any, objective: Objective) -> Objective:
    """Bring an archived objective back, last under its parent (which must be active)."""
    workspace = objective.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, objective)
    if objective.archived_at is None:
        return objective
    lock_workspace(workspace)
    parent = objective.parent
    if parent is not None and parent.archived_at is not None:
        raise _error(
            "__all__", f"Its parent “{parent}” is archived. Restore the parent first, or move this objective.", Conflict
        )
    old = objective.archived_at
    objective.archived_at = None
    objective.position = len(_active_children(workspace.pk, objective.parent_id))
    objective.save(update_fields=["archived_at", "position", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="objective.restore",
        target=objective,
        changes={"archived_at": [old.isoformat(), None], "position": [None, objective.position]},
    )
    return objective


# --- key results ------------------------------------------------------------------------------


def _check_key_result(key_result: KeyResult) -> None:
    _check_weight(key_result.weight)
    start, target = key_result.start_value, key_result.target_value
    if key_result.direction == Direction.INCREASE and not target > start:
        raise _error("target_value", f"To increase, the target must be above the start value ({start.normalize():f}).")
    if key_result.direction == Direction.DECREASE and not target < start:
        raise _error("target_value", f"To decrease, the target must be below the start value ({start.normalize():f}).")


def _values(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (parse_value(value, name) if name in ("start_value", "target_value", "current_value") else value)
        for name, value in fields.items()
    }


@transaction.atomic
def key_result_create(
    *,
    actor: Any,
    objective: Objective,
    title: str,
    target_value: Decimal | int | float | str,
    start_value: Decimal | int | float | str = 0,
    current_value: Decimal | int | float | str | None = None,
    unit: str = "",
    direction: str = Direction.INCREASE,
    weight: int = 1,
) -> KeyResult:
    """A measurable result of an objective, last in its list. The current value starts at the start value."""
    workspace = objective.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, objective)
    _archived(objective, "The objective", "adding key results to")
    start = parse_value(start_value, "start_value")
    key_result = KeyResult(
        workspace=workspace,
        objective=objective,
        title=_text(title),
        start_value=start,
        target_value=parse_value(target_value, "target_value"),
        current_value=start if current_value is None else parse_value(current_value, "current_value"),
        unit=_text(unit),
        direction=direction,
        weight=weight,
    )
    _check_weight(weight)
    _clean(key_result, exclude=["workspace", "objective", "position"])
    _check_key_result(key_result)
    Objective.objects.select_for_update().filter(pk=objective.pk).first()  # positions of its key results
    key_result.position = KeyResult.objects.filter(objective=objective).count()
    key_result.save()
    audit_record(
        actor=actor,
        workspace=workspace,
        action="key_result.create",
        target=key_result,
        changes=_created(_snapshot(key_result, ["objective", *KEY_RESULT_FIELDS])),
    )
    return key_result


@transaction.atomic
def key_result_update(*, actor: Any, key_result: KeyResult, **fields: Any) -> KeyResult:
    """Edit a key result. Changing only ``current_value`` is a check-in right (the objective's owner,
    leaders, admins); changing what is measured (title, start, target, direction…) needs strategy rights."""
    workspace = key_result.workspace
    objective = key_result.objective
    only_value = set(fields) <= {"current_value"}
    permissions.require(
        actor, Action.OBJECTIVE_CHECK_IN if only_value else Action.STRATEGY_MANAGE, workspace, key_result
    )
    _check_fields(fields, KEY_RESULT_FIELDS, "a key result", {"objective": "A key result stays with its objective."})
    _archived(objective, "The objective", "changing its key results")
    fields = _values(fields)
    if "weight" in fields:
        _check_weight(fields["weight"])
    before = _snapshot(key_result, KEY_RESULT_FIELDS)
    with _reverting(key_result, KEY_RESULT_FIELDS):
        for name, value in fields.items():
            setattr(key_result, name, _text(value))
        _clean(key_result, exclude=["workspace", "objective", "position"])
        _check_key_result(key_result)
        changes = diff(before, _snapshot(key_result, KEY_RESULT_FIELDS))
        if not changes:
            return key_result
        key_result.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, workspace=workspace, action="key_result.update", target=key_result, changes=changes)
    return key_result


@transaction.atomic
def key_result_delete(*, actor: Any, key_result: KeyResult) -> None:
    """Remove a key result that should not have been one; the history keeps what it was."""
    workspace = key_result.workspace
    objective = key_result.objective
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, key_result)
    _archived(objective, "The objective", "changing its key results")
    Objective.objects.select_for_update().filter(pk=objective.pk).first()
    # Recorded on the objective: the key result's own history ends here, the objective's goes on.
    audit_record(
        actor=actor,
        workspace=workspace,
        action="key_result.delete",
        target=objective,
        changes={"key_result": [key_result.title, None]},
    )
    key_result.delete()
    rest = list(KeyResult.objects.filter(objective=objective).order_by("position", "pk"))
    for index, item in enumerate(rest):
        item.position = index
    KeyResult.objects.bulk_update(rest, ["position"])


# --- check-ins --------------------------------------------------------------------------------


@transaction.atomic
def check_in_create(
    *,
    actor: Any,
    objective: Objective,
    health: str,
    comment: str = "",
    date: dt.date | None = None,
    values: Mapping[KeyResult | int, Any] | None = None,
) -> CheckIn:
    """Record how an objective is doing: its health, a comment and, optionally, new current values for
    its key results. The check-in keeps a snapshot of the progress and the values it saw; the latest
    check-in's health becomes the objective's status.

    The objective's owner, leaders and admins may check in. A done or dropped objective takes no
    check-ins (set its status back first).
    """
    workspace = objective.workspace
    permissions.require(actor, Action.OBJECTIVE_CHECK_IN, workspace, objective)
    _archived(objective, "The objective", "checking in on")
    if objective.status in (ObjectiveStatus.DONE, ObjectiveStatus.DROPPED):
        raise _error(
            "__all__",
            f"“{objective}” is {objective.get_status_display().lower()}. "
            "Set its status back to on track, at risk or off track to check in again.",
            Conflict,
        )
    if health not in Health.values:
        raise _error("health", f"Choose one of {', '.join(Health.values)}.")
    today = timezone.localdate()
    date = today if date is None else date
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise _error("date", "Give a date.")
    if date > today:
        raise _error("date", f"A check-in cannot be dated in the future (today is {today.isoformat()}).")
    locked = Objective.objects.select_for_update().get(pk=objective.pk)
    key_results = {kr.pk: kr for kr in KeyResult.objects.select_for_update().filter(objective=locked).order_by("pk")}
    updated: list[tuple[KeyResult, Decimal]] = []
    for ref, raw in (values or {}).items():
        pk = ref if isinstance(ref, int) and not isinstance(ref, bool) else getattr(ref, "pk", None)
        if pk not in key_results:
            raise _error("values", f"Key result {pk} does not belong to “{objective}”.")
        new = parse_value(raw, "values")
        if key_results[pk].current_value != new:
            updated.append((key_results[pk], new))
    for kr, new in updated:
        old = kr.current_value
        kr.current_value = new
        kr.save(update_fields=["current_value", "updated_at"])
        audit_record(
            actor=actor,
            workspace=workspace,
            action="key_result.update",
            target=kr,
            changes={"current_value": [format(old.normalize(), "f"), format(new.normalize(), "f")]},
        )
    progress = workspace_progress(workspace.pk).get(objective.pk)
    check_in = CheckIn(
        workspace=workspace,
        objective=locked,
        author=actor if getattr(actor, "pk", None) else None,
        date=date,
        health=health,
        comment=_text(comment),
        progress=None if progress is None else Decimal(str(round(progress, 4))),
        values={str(pk): format(kr.current_value.normalize(), "f") for pk, kr in key_results.items()},
    )
    _clean(check_in, exclude=["workspace", "objective", "author"])
    check_in.save()
    audit_record(
        actor=actor,
        workspace=workspace,
        action="check_in.create",
        target=check_in,
        changes=_created(
            {
                "health": check_in.get_health_display(),
                "progress": f"{rule.percent(progress)}%" if progress is not None else None,
                "comment": check_in.comment,
            }
        ),
    )
    # A late entry for an earlier date does not overrule a newer check-in's health.
    newest = CheckIn.objects.filter(objective=locked).order_by("-date", "-pk").values_list("pk", flat=True).first()
    if newest == check_in.pk and locked.status != health:
        old_status = locked.get_status_display()
        locked.status = objective.status = health
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            workspace=workspace,
            action="objective.update",
            target=locked,
            changes={"status": [old_status, locked.get_status_display()]},
        )
    return check_in


# --- initiatives ------------------------------------------------------------------------------


def _resolve_objectives(workspace: Workspace, items: Iterable[Any]) -> list[Objective]:
    ids = _ids(items, "objectives")
    found = {o.pk: o for o in Objective.objects.filter(workspace=workspace, pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise _error("objectives", f"No objective {missing[0]} in this workspace.", NotFound)
    archived = [o for o in found.values() if o.archived_at is not None]
    if archived:
        raise _error("objectives", f"The objective “{archived[0]}” is archived. Restore it or leave it out.", Conflict)
    return [found[pk] for pk in ids]


def _resolve_products(workspace: Workspace, items: Iterable[Any]) -> list[Product]:
    ids = _ids(items, "products")
    found = {p.pk: p for p in Product.objects.filter(workspace=workspace, pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise _error("products", f"No product {missing[0]} in this workspace.", NotFound)
    archived = [p for p in found.values() if p.archived_at is not None]
    if archived:
        raise _error("products", f"The product “{archived[0]}” is archived. Restore it or leave it out.", Conflict)
    return [found[pk] for pk in ids]


def _linked(initiative: Initiative, name: str) -> list[Any]:
    if name == "objectives":
        return [link.objective for link in InitiativeObjective.objects.filter(initiative=initiative).order_by("pk")]
    return [link.product for link in InitiativeProduct.objects.filter(initiative=initiative).order_by("pk")]


def _link(initiative: Initiative, name: str, items: list[Any]) -> None:
    """Make the initiative's links of one kind exactly ``items`` (rows kept where they stay)."""
    model: Any = InitiativeObjective if name == "objectives" else InitiativeProduct
    field = "objective" if name == "objectives" else "product"
    wanted = {item.pk for item in items}
    existing = set(model.objects.filter(initiative=initiative).values_list(f"{field}_id", flat=True))
    model.objects.filter(initiative=initiative).exclude(**{f"{field}_id__in": wanted}).delete()
    model.objects.bulk_create(
        [
            model(workspace_id=initiative.workspace_id, initiative=initiative, **{field: item})
            for item in items
            if item.pk not in existing
        ]
    )


def _titles(items: Iterable[Any]) -> list[str]:
    return sorted(str(item) for item in items)


@transaction.atomic
def initiative_create(
    *,
    actor: Any,
    workspace: Workspace,
    title: str,
    problem: str = "",
    owner: User | int | None = None,
    status: str = InitiativeStatus.PROPOSED,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    objectives: Iterable[Objective | int] = (),
    products: Iterable[Product | int] = (),
) -> Initiative:
    """A strategic bet: the problem it solves, who leads it, when, which objectives it serves and
    which products it touches."""
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace)
    initiative = Initiative(
        workspace=workspace,
        title=_text(title),
        problem=_text(problem),
        owner=_resolve_owner(workspace, owner),
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    linked_objectives = _resolve_objectives(workspace, objectives)
    linked_products = _resolve_products(workspace, products)
    _clean(initiative, exclude=["workspace", "owner"])
    _check_dates(initiative.starts_on, initiative.ends_on)
    initiative.save()
    _link(initiative, "objectives", linked_objectives)
    _link(initiative, "products", linked_products)
    changes = _created(_snapshot(initiative, INITIATIVE_FIELDS))
    changes.update(_created({"objectives": _titles(linked_objectives), "products": _titles(linked_products)}))
    audit_record(actor=actor, workspace=workspace, action="initiative.create", target=initiative, changes=changes)
    return initiative


@transaction.atomic
def initiative_update(*, actor: Any, initiative: Initiative, **fields: Any) -> Initiative:
    """Edit an initiative. ``objectives`` and ``products``, when given, replace the linked ones."""
    workspace = initiative.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, initiative)
    _check_fields(
        fields, [*INITIATIVE_FIELDS, "objectives", "products"], "an initiative", {"archived_at": "Use archive."}
    )
    _archived(initiative, "The initiative", "editing")
    links: dict[str, list[Any]] = {}
    if "objectives" in fields:
        links["objectives"] = _resolve_objectives(workspace, fields.pop("objectives"))
    if "products" in fields:
        links["products"] = _resolve_products(workspace, fields.pop("products"))
    if "owner" in fields:
        fields["owner"] = _resolve_owner(workspace, fields["owner"])
    before = _snapshot(initiative, INITIATIVE_FIELDS)
    with _reverting(initiative, INITIATIVE_FIELDS):
        for name, value in fields.items():
            setattr(initiative, name, _text(value))
        _clean(initiative, exclude=["workspace", "owner"])
        _check_dates(initiative.starts_on, initiative.ends_on)
        changes = diff(before, _snapshot(initiative, INITIATIVE_FIELDS))
        if changes:
            initiative.save(update_fields=[*changes, "updated_at"])
    for name, items in links.items():
        old = _titles(_linked(initiative, name))
        if old != _titles(items):
            _link(initiative, name, items)
            changes[name] = [old, _titles(items)]
    if changes:
        audit_record(actor=actor, workspace=workspace, action="initiative.update", target=initiative, changes=changes)
    return initiative


@transaction.atomic
def initiative_archive(*, actor: Any, initiative: Initiative) -> Initiative:
    workspace = initiative.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, initiative)
    if initiative.archived_at is not None:
        return initiative
    initiative.archived_at = timezone.now()
    initiative.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="initiative.archive",
        target=initiative,
        changes={"archived_at": [None, initiative.archived_at.isoformat()]},
    )
    return initiative


@transaction.atomic
def initiative_restore(*, actor: Any, initiative: Initiative) -> Initiative:
    workspace = initiative.workspace
    permissions.require(actor, Action.STRATEGY_MANAGE, workspace, initiative)
    if initiative.archived_at is None:
        return initiative
    old = initiative.archived_at
    initiative.archived_at = None
    initiative.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="initiative.restore",
        target=initiative,
        changes={"archived_at": [old.isoformat(), None]},
    )
    return initiative

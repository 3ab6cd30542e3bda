"""Every write to the portfolio: product lines, products, components.

Habits shared by every function here: keyword-only arguments and an explicit ``actor``; one
transaction; the permission check first (so a denied call changes nothing); ``full_clean`` for
field rules and the database's unique constraints for races; an ``AuditEvent`` with the fields
that changed (old → new).

Errors: a bad value is ``ValidationFailed`` (422); a name or key already taken, or an archived
item in the way, is ``Conflict`` (409); a referenced user who is not in the workspace is
``NotFound`` (404). Each names the field.

Ordering: siblings that are not archived (product lines of a workspace, products of a line,
components of a product) have dense positions ``0..n-1``. New items go last; archiving takes an
item out of the sequence and closes the gap; restoring puts it back at the end.

Archiving: nothing with history is deleted. A product line that still holds active products is
not archived (its products belong to PMs: move or archive them first, deliberately). Archiving a
product hides its components with it; they keep their own state and come back when the product
is restored. Archived things are read-only until restored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from headway.accounts.models import User
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, HeadwayError, NotFound, PermissionDenied, ValidationFailed
from headway.core.ordering import lock_workspace, renumber
from headway.core.permissions import Action
from headway.portfolio.models import Component, Product, ProductLine, Stage
from headway.workspaces.models import Membership, Role, Workspace

PRODUCT_LINE_FIELDS = ["name", "description"]
PRODUCT_FIELDS = ["name", "key", "description", "owner", "stage", "target_customers"]
COMPONENT_FIELDS = ["name", "description"]

# Who may own a product: people who manage products.
OWNER_ROLES = (Role.PM, Role.LEADER, Role.ADMIN)


# --- shared helpers ---------------------------------------------------------------------------


def _clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Field rules via ``full_clean``; uniqueness is left to the database (see ``_save``)."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


def _save(instance: models.Model, duplicate: Callable[[], Conflict | None], **save_kwargs: Any) -> None:
    """Save, turning a unique-constraint violation into a Conflict that names the field.

    ``duplicate`` looks for the row that holds the value; it runs only after the database
    refused, so the common path costs no extra query and races still get a clear answer.
    """
    try:
        with transaction.atomic():
            instance.save(**save_kwargs)
    except IntegrityError as exc:
        error = duplicate()
        if error is not None:
            raise error from exc
        raise Conflict("The change conflicts with another change saved at the same time. Try again.") from exc


def _holder(obj: models.Model) -> str:
    return f"“{obj}”" + (" (archived)" if getattr(obj, "archived_at", None) else "")


def _line_duplicate(line: ProductLine) -> Callable[[], Conflict | None]:
    def find() -> Conflict | None:
        other = (
            ProductLine.objects.filter(workspace_id=line.workspace_id)
            .annotate(lname=Lower("name"))
            .filter(lname=line.name.lower())
            .exclude(pk=line.pk)
            .first()
        )
        if other is None:
            return None
        msg = f"A product line named {_holder(other)} already exists in this workspace."
        return Conflict(f"name: {msg}", fields={"name": [msg]})

    return find


def _product_duplicate(product: Product) -> Callable[[], Conflict | None]:
    def find() -> Conflict | None:
        others = Product.objects.filter(workspace_id=product.workspace_id).exclude(pk=product.pk)
        other = others.filter(key=product.key).first()
        if other is not None:
            msg = f"The key {product.key} is already used by {_holder(other)}."
            return Conflict(f"key: {msg}", fields={"key": [msg]})
        other = others.annotate(lname=Lower("name")).filter(lname=product.name.lower()).first()
        if other is not None:
            msg = f"A product named {_holder(other)} already exists in this workspace."
            return Conflict(f"name: {msg}", fields={"name": [msg]})
        return None

    return find


def _component_duplicate(component: Component) -> Callable[[], Conflict | None]:
    def find() -> Conflict | None:
        other = (
            Component.objects.filter(product_id=component.product_id)
            .annotate(lname=Lower("name"))
            .filter(lname=component.name.lower())
            .exclude(pk=component.pk)
            .first()
        )
        if other is None:
            return None
        msg = f"This product already has a component named {_holder(other)}."
        return Conflict(f"name: {msg}", fields={"name": [msg]})

    return find


def _check_fields(fields: dict[str, Any], allowed: list[str], entity: str, hints: dict[str, str]) -> None:
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        name = unknown[0]
        reason = hints.get(name, f"Not a field you can change on a {entity}; use one of {', '.join(allowed)}.")
        raise ValidationFailed(f"{name}: {reason}", fields={n: [hints.get(n, reason)] for n in unknown})


@contextmanager
def _reverting(instance: models.Model, fields: list[str]) -> Iterator[None]:
    """If an edit is refused, the caller's object shows the stored values again, not the rejected ones."""
    try:
        yield
    except HeadwayError:
        instance.refresh_from_db(fields=fields)
        raise


def _created(values: dict[str, Any]) -> dict[str, list[Any]]:
    """A new object's audit changes: every field that holds something, as ``[None, value]``."""
    return {name: [None, value] for name, value in values.items() if value not in ("", None)}


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _resolve_owner(workspace: Workspace, owner: User | int | None) -> User | None:
    """The product owner must be someone in this workspace who manages products."""
    if owner is None:
        return None
    if isinstance(owner, bool) or not isinstance(owner, User | int):
        raise ValidationFailed("owner: Give a user or a user id.", fields={"owner": ["Give a user or a user id."]})
    user_id = owner if isinstance(owner, int) else owner.pk
    membership = Membership.objects.select_related("user").filter(workspace=workspace, user_id=user_id).first()
    if membership is None:
        msg = f"User {user_id} is not a member of this workspace."
        raise NotFound(f"owner: {msg}", fields={"owner": [msg]})
    if membership.role not in OWNER_ROLES:
        msg = (
            f"{membership.user.display_name} is a {Role(membership.role).label.lower()}; "
            "a product owner must be a product manager, product leader or admin."
        )
        raise ValidationFailed(f"owner: {msg}", fields={"owner": [msg]})
    return membership.user


def _check_position(position: Any) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        msg = "Give a whole number of 0 or more (0 = first)."
        raise ValidationFailed(f"position: {msg}", fields={"position": [msg]})
    return position


def _ordered[M: models.Model](items: Iterable[M]) -> list[M]:
    return sorted(items, key=lambda o: (o.position, o.pk))  # type: ignore[attr-defined]


def _archived(obj: models.Model, what: str, doing: str = "moving") -> None:
    if getattr(obj, "archived_at", None) is not None:
        msg = f"{what} “{obj}” is archived. Restore it before {doing} it."
        raise Conflict(msg, fields={"__all__": [msg]})


def _find[M: models.Model](locked: list[M], obj: M) -> M:
    """The freshly locked copy of ``obj``; absent when someone moved or archived it meanwhile."""
    for item in locked:
        if item.pk == obj.pk:
            return item
    raise Conflict(f"“{obj}” was moved or archived by someone else just now. Reload and try again.")


# --- product lines ----------------------------------------------------------------------------


def _active_lines(workspace_id: int) -> list[ProductLine]:
    return _ordered(
        ProductLine.objects.select_for_update()
        .filter(workspace_id=workspace_id, archived_at__isnull=True)
        .order_by("pk")
    )


@transaction.atomic
def product_line_create(*, actor: Any, workspace: Workspace, name: str, description: str = "") -> ProductLine:
    """A new product line, placed last in the workspace's portfolio."""
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace)
    lock_workspace(workspace)
    position = len(_active_lines(workspace.pk))
    line = ProductLine(workspace=workspace, name=_text(name), description=_text(description), position=position)
    _clean(line, exclude=["workspace"])
    _save(line, _line_duplicate(line))
    audit_record(
        actor=actor,
        workspace=workspace,
        action="product_line.create",
        target=line,
        changes=_created(snapshot(line, [*PRODUCT_LINE_FIELDS, "position"])),
    )
    return line


@transaction.atomic
def product_line_update(*, actor: Any, product_line: ProductLine, **fields: Any) -> ProductLine:
    """Change a product line's name or description; records only what changed."""
    workspace = product_line.workspace
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace, product_line)
    _check_fields(fields, PRODUCT_LINE_FIELDS, "product line", {})
    _archived(product_line, "The product line", "editing")
    before = snapshot(product_line, PRODUCT_LINE_FIELDS)
    with _reverting(product_line, PRODUCT_LINE_FIELDS):
        for name, value in fields.items():
            setattr(product_line, name, _text(value))
        _clean(product_line, exclude=["workspace"])
        changes = diff(before, snapshot(product_line, PRODUCT_LINE_FIELDS))
        if not changes:
            return product_line
        _save(product_line, _line_duplicate(product_line), update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, workspace=workspace, action="product_line.update", target=product_line, changes=changes)
    return product_line


@transaction.atomic
def product_line_archive(*, actor: Any, product_line: ProductLine) -> ProductLine:
    """Archive a product line that holds no active products (archive or move them first)."""
    workspace = product_line.workspace
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace, product_line)
    if product_line.archived_at is not None:
        return product_line
    lock_workspace(workspace)
    active = list(
        Product.objects.filter(product_line=product_line, archived_at__isnull=True).values_list("key", flat=True)[:6]
    )
    if active:
        listed = ", ".join(active[:5]) + (", …" if len(active) > 5 else "")
        msg = (
            f"“{product_line}” still has active products ({listed}). "
            "Move them to another product line or archive them first."
        )
        raise Conflict(msg, fields={"__all__": [msg]})
    old_position = product_line.position
    product_line.archived_at = timezone.now()
    product_line.save(update_fields=["archived_at", "updated_at"])
    ProductLine.objects.bulk_update(renumber(_active_lines(workspace.pk)), ["position"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="product_line.archive",
        target=product_line,
        changes={"archived_at": [None, product_line.archived_at.isoformat()], "position": [old_position, None]},
    )
    return product_line


@transaction.atomic
def product_line_restore(*, actor: Any, product_line: ProductLine) -> ProductLine:
    """Bring an archived product line back, placed last."""
    workspace = product_line.workspace
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace, product_line)
    if product_line.archived_at is None:
        return product_line
    lock_workspace(workspace)
    old = product_line.archived_at
    product_line.archived_at = None
    product_line.position = len(_active_lines(workspace.pk))
    product_line.save(update_fields=["archived_at", "position", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="product_line.restore",
        target=product_line,
        changes={"archived_at": [old.isoformat(), None], "position": [None, product_line.position]},
    )
    return product_line


@transaction.atomic
def product_line_move(*, actor: Any, product_line: ProductLine, position: int) -> ProductLine:
    """Put a product line at ``position`` (0 = first; past the end = last)."""
    workspace = product_line.workspace
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace, product_line)
    position = _check_position(position)
    _archived(product_line, "The product line")
    lock_workspace(workspace)
    lines = _active_lines(workspace.pk)
    locked = _find(lines, product_line)
    old = locked.position
    others = [line for line in lines if line.pk != product_line.pk]
    others.insert(min(position, len(others)), locked)
    ProductLine.objects.bulk_update(renumber(others), ["position"])
    product_line.position = locked.position
    if old != product_line.position:
        audit_record(
            actor=actor,
            workspace=workspace,
            action="product_line.move",
            target=product_line,
            changes={"position": [old, product_line.position]},
        )
    return product_line


# --- products ---------------------------------------------------------------------------------


def _lock_lines(*line_ids: int) -> None:
    """One writer at a time decides the order of a line's products (locks taken in pk order)."""
    list(ProductLine.objects.select_for_update().filter(pk__in=set(line_ids)).order_by("pk").values_list("pk"))


def _active_products(line_id: int) -> list[Product]:
    return _ordered(
        Product.objects.select_for_update().filter(product_line_id=line_id, archived_at__isnull=True).order_by("pk")
    )


def _check_line(workspace: Workspace, product_line: ProductLine) -> None:
    if not isinstance(product_line, ProductLine) or product_line.workspace_id != workspace.pk:
        msg = "Choose a product line of this workspace."
        raise ValidationFailed(f"product_line: {msg}", fields={"product_line": [msg]})
    if product_line.archived_at is not None:
        msg = f"The product line “{product_line}” is archived. Restore it or choose another one."
        raise Conflict(f"product_line: {msg}", fields={"product_line": [msg]})


@transaction.atomic
def product_create(
    *,
    actor: Any,
    workspace: Workspace,
    product_line: ProductLine,
    name: str,
    key: str,
    description: str = "",
    owner: User | int | None = None,
    stage: str = Stage.CONCEPT,
    target_customers: str = "",
) -> Product:
    """A new product, placed last in its product line. ``key`` is stored upper-case."""
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace)
    _check_line(workspace, product_line)
    owner_user = _resolve_owner(workspace, owner)
    _lock_lines(product_line.pk)
    product = Product(
        workspace=workspace,
        product_line=product_line,
        name=_text(name),
        key=_text(key).upper() if isinstance(key, str) else key,
        description=_text(description),
        owner=owner_user,
        stage=stage,
        target_customers=_text(target_customers),
        position=len(_active_products(product_line.pk)),
    )
    _clean(product, exclude=["workspace", "product_line", "owner"])
    _save(product, _product_duplicate(product))
    audit_record(
        actor=actor,
        workspace=workspace,
        action="product.create",
        target=product,
        changes=_created(snapshot(product, ["product_line", *PRODUCT_FIELDS, "position"])),
    )
    return product


_PRODUCT_HINTS = {
    "product_line": "Use product_move to move a product to another product line.",
    "position": "Use product_move to reorder products.",
    "archived_at": "Use product_archive or product_restore.",
}


@transaction.atomic
def product_update(*, actor: Any, product: Product, **fields: Any) -> Product:
    """Edit a product. Its owning PM (or a leader) may edit; only leaders and admins change the owner."""
    workspace = product.workspace
    permissions.require(actor, Action.PRODUCT_EDIT, workspace, product)
    _check_fields(fields, PRODUCT_FIELDS, "product", _PRODUCT_HINTS)
    _archived(product, "The product", "editing")
    before = snapshot(product, PRODUCT_FIELDS)
    if "owner" in fields:
        new_owner = _resolve_owner(workspace, fields.pop("owner"))
        if (new_owner.pk if new_owner else None) != product.owner_id:
            # Who owns what is a portfolio decision, so a PM cannot hand a product over.
            if not permissions.can(actor, Action.PORTFOLIO_MANAGE, workspace):
                raise PermissionDenied("Only product leaders and admins may change a product's owner.")
            fields["owner"] = new_owner
    if isinstance(fields.get("key"), str):
        fields["key"] = fields["key"].strip().upper()
    with _reverting(product, PRODUCT_FIELDS):
        for name, value in fields.items():
            setattr(product, name, _text(value))
        _clean(product, exclude=["workspace", "product_line", "owner"])
        changes = diff(before, snapshot(product, PRODUCT_FIELDS))
        if not changes:
            return product
        _save(product, _product_duplicate(product), update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, workspace=workspace, action="product.update", target=product, changes=changes)
    return product


@transaction.atomic
def product_archive(*, actor: Any, product: Product) -> Product:
    """Archive a product: it leaves the portfolio tree (with its components) but keeps its history."""
    workspace = product.workspace
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace, product)
    if product.archived_at is not None:
        return product
    _lock_lines(product.product_line_id)
    old_position = product.position
    product.archived_at = timezone.now()
    product.save(update_fields=["archived_at", "updated_at"])
    Product.objects.bulk_update(renumber(_active_products(product.product_line_id)), ["position"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="product.archive",
        target=product,
        changes={"archived_at": [None, product.archived_at.isoformat()], "position": [old_position, None]},
    )
    return product


@transaction.atomic
def product_restore(*, actor: Any, product: Product) -> Product:
    """Bring an archived product back, last in its product line (which must be active)."""
    workspace = product.workspace
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace, product)
    if product.archived_at is None:
        return product
    line = product.product_line
    if line.archived_at is not None:
        msg = f"Its product line “{line}” is archived. Restore the product line first."
        raise Conflict(msg, fields={"__all__": [msg]})
    _lock_lines(line.pk)
    old = product.archived_at
    product.archived_at = None
    product.position = len(_active_products(line.pk))
    product.save(update_fields=["archived_at", "position", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="product.restore",
        target=product,
        changes={"archived_at": [old.isoformat(), None], "position": [None, product.position]},
    )
    return product


@transaction.atomic
def product_move(*, actor: Any, product: Product, position: int, product_line: ProductLine | None = None) -> Product:
    """Put a product at ``position`` in ``product_line`` (default: its own line).

    Moving to another line closes the gap in the old one. A position past the end means last.
    """
    workspace = product.workspace
    permissions.require(actor, Action.PORTFOLIO_MANAGE, workspace, product)
    position = _check_position(position)
    _archived(product, "The product")
    target = product_line or product.product_line
    _check_line(workspace, target)
    old_line = product.product_line
    _lock_lines(old_line.pk, target.pk)
    source = _active_products(old_line.pk)
    locked = _find(source, product)
    old_position = locked.position
    changed: dict[int, Product] = {}
    if target.pk != old_line.pk:
        changed.update({p.pk: p for p in renumber([p for p in source if p.pk != product.pk])})
        siblings = _active_products(target.pk)
        locked.product_line = target
        changed[locked.pk] = locked
    else:
        siblings = [p for p in source if p.pk != product.pk]
    siblings.insert(min(position, len(siblings)), locked)
    changed.update({p.pk: p for p in renumber(siblings)})
    Product.objects.bulk_update(list(changed.values()), ["position", "product_line"])
    product.product_line, product.position = target, locked.position
    changes: dict[str, list[Any]] = {}
    if target.pk != old_line.pk:
        changes["product_line"] = [str(old_line), str(target)]
    if old_position != product.position or changes:
        changes["position"] = [old_position, product.position]
    if changes:
        audit_record(actor=actor, workspace=workspace, action="product.move", target=product, changes=changes)
    return product


# --- components -------------------------------------------------------------------------------


def _lock_products(*product_ids: int) -> None:
    list(Product.objects.select_for_update().filter(pk__in=set(product_ids)).order_by("pk").values_list("pk"))


def _active_components(product_id: int) -> list[Component]:
    return _ordered(
        Component.objects.select_for_update().filter(product_id=product_id, archived_at__isnull=True).order_by("pk")
    )


def _check_product(product: Product) -> None:
    if product.archived_at is not None:
        msg = f"The product “{product}” is archived. Restore it first."
        raise Conflict(f"product: {msg}", fields={"product": [msg]})


@transaction.atomic
def component_create(*, actor: Any, product: Product, name: str, description: str = "") -> Component:
    """A new component of a product, placed last. The product's owner or a leader may add one."""
    workspace = product.workspace
    permissions.require(actor, Action.PRODUCT_EDIT, workspace, product)
    _check_product(product)
    _lock_products(product.pk)
    component = Component(
        workspace=workspace,
        product=product,
        name=_text(name),
        description=_text(description),
        position=len(_active_components(product.pk)),
    )
    _clean(component, exclude=["workspace", "product"])
    _save(component, _component_duplicate(component))
    audit_record(
        actor=actor,
        workspace=workspace,
        action="component.create",
        target=component,
        changes=_created(snapshot(component, ["product", *COMPONENT_FIELDS, "position"])),
    )
    return component


_COMPONENT_HINTS = {
    "product": "Use component_move to move a component to another product.",
    "position": "Use component_move to reorder components.",
    "archived_at": "Use component_archive or component_restore.",
}


@transaction.atomic
def component_update(*, actor: Any, component: Component, **fields: Any) -> Component:
    workspace = component.workspace
    permissions.require(actor, Action.PRODUCT_EDIT, workspace, component)
    _check_fields(fields, COMPONENT_FIELDS, "component", _COMPONENT_HINTS)
    _archived(component, "The component", "editing")
    _archived(component.product, "Its product", "editing")
    before = snapshot(component, COMPONENT_FIELDS)
    with _reverting(component, COMPONENT_FIELDS):
        for name, value in fields.items():
            setattr(component, name, _text(value))
        _clean(component, exclude=["workspace", "product"])
        changes = diff(before, snapshot(component, COMPONENT_FIELDS))
        if not changes:
            return component
        _save(component, _component_duplicate(component), update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, workspace=workspace, action="component.update", target=component, changes=changes)
    return component


@transaction.atomic
def component_archive(*, actor: Any, component: Component) -> Component:
    workspace = component.workspace
    permissions.require(actor, Action.PRODUCT_EDIT, workspace, component)
    if component.archived_at is not None:
        return component
    _lock_products(component.product_id)
    old_position = component.position
    component.archived_at = timezone.now()
    component.save(update_fields=["archived_at", "updated_at"])
    Component.objects.bulk_update(renumber(_active_components(component.product_id)), ["position"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="component.archive",
        target=component,
        changes={"archived_at": [None, component.archived_at.isoformat()], "position": [old_position, None]},
    )
    return component


@transaction.atomic
def component_restore(*, actor: Any, component: Component) -> Component:
    workspace = component.workspace
    permissions.require(actor, Action.PRODUCT_EDIT, workspace, component)
    if component.archived_at is None:
        return component
    product = component.product
    if product.archived_at is not None:
        msg = f"Its product “{product}” is archived. Restore the product first."
        raise Conflict(msg, fields={"__all__": [msg]})
    _lock_products(product.pk)
    old = component.archived_at
    component.archived_at = None
    component.position = len(_active_components(product.pk))
    component.save(update_fields=["archived_at", "position", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="component.restore",
        target=component,
        changes={"archived_at": [old.isoformat(), None], "position": [None, component.position]},
    )
    return component


@transaction.atomic
def component_move(*, actor: Any, component: Component, position: int, product: Product | None = None) -> Component:
    """Put a component at ``position`` in ``product`` (default: its own product).

    Moving to another product needs the right to edit both products.
    """
    workspace = component.workspace
    permissions.require(actor, Action.PRODUCT_EDIT, workspace, component)
    position = _check_position(position)
    _archived(component, "The component")
    old_product = component.product
    target = product or old_product
    if not isinstance(target, Product) or target.workspace_id != workspace.pk:
        msg = "Choose a product of this workspace."
        raise ValidationFailed(f"product: {msg}", fields={"product": [msg]})
    if target.pk != old_product.pk:
        permissions.require(actor, Action.PRODUCT_EDIT, workspace, target)
        _check_product(target)
    _lock_products(old_product.pk, target.pk)
    source = _active_components(old_product.pk)
    locked = _find(source, component)
    old_position = locked.position
    changed: dict[int, Component] = {}
    if target.pk != old_product.pk:
        changed.update({c.pk: c for c in renumber([c for c in source if c.pk != component.pk])})
        siblings = _active_components(target.pk)
        locked.product = target
        changed[locked.pk] = locked
    else:
        siblings = [c for c in source if c.pk != component.pk]
    siblings.insert(min(position, len(siblings)), locked)
    changed.update({c.pk: c for c in renumber(siblings)})
    try:
        with transaction.atomic():
            Component.objects.bulk_update(list(changed.values()), ["position", "product"])
    except IntegrityError as exc:
        msg = f"{target} already has a component named “{component.name}”. Rename one of them first."
        raise Conflict(f"product: {msg}", fields={"product": [msg]}) from exc
    component.product, component.position = target, locked.position
    changes: dict[str, list[Any]] = {}
    if target.pk != old_product.pk:
        changes["product"] = [str(old_product), str(target)]
    if old_position != component.position or changes:
        changes["position"] = [old_position, component.position]
    if changes:
        audit_record(actor=actor, workspace=workspace, action="component.move", target=component, changes=changes)
    return component

"""Portals and the workspace's idea settings: statuses, categories, demand weights, feature mapping."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from headway.backlog.models import WorkflowStatus
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, HeadwayError, NotFound, ValidationFailed
from headway.core.ordering import lock_workspace
from headway.core.permissions import Action
from headway.customers.models import domain_validator
from headway.ideas.models import (
    DEFAULT_IDEA_STATUSES,
    CompanyBasis,
    DemandSettings,
    FeatureStatusMapping,
    IdeaCategory,
    IdeaStatus,
    Portal,
    PortalInvitation,
    PortalProduct,
    StatusCategory,
    Visibility,
)
from headway.ideas.services._common import UNSET, check_fields, clean, field_error, reverting, save, text
from headway.portfolio.models import Product
from headway.workspaces.models import Workspace

PORTAL_FIELDS = ["name", "slug", "intro", "accent_color", "visibility", "allowed_domains", "require_approval"]
PORTAL_UPDATABLE = [*PORTAL_FIELDS, "products"]
MAX_INVITES = 200


# --- portals ---------------------------------------------------------------------------------


def _domains(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise field_error(ValidationFailed, "allowed_domains", "Give domains such as example.com, one per line.")
    domains: list[str] = []
    for raw in value.replace(",", " ").split():
        domain = raw.strip().lower().lstrip("@")
        try:
            domain_validator(domain)
        except DjangoValidationError:
            raise field_error(
                ValidationFailed, "allowed_domains", f"“{raw}” is not a domain such as example.com."
            ) from None
        if domain not in domains:
            domains.append(domain)
    return "\n".join(domains)


def _products(workspace: Workspace, products: Any) -> list[Product]:
    if products is None:
        return []
    if isinstance(products, str | bytes) or not hasattr(products, "__iter__"):
        raise field_error(ValidationFailed, "products", "Give a list of products.")
    found: list[Product] = []
    for item in products:
        if isinstance(item, bool) or not isinstance(item, Product | int):
            raise field_error(ValidationFailed, "products", "Give products of this workspace (or their ids).")
        product = item if isinstance(item, Product) else Product.objects.filter(pk=item).first()
        if product is None or product.workspace_id != workspace.pk:
            raise field_error(ValidationFailed, "products", "Choose products of this workspace.")
        if product.pk not in {p.pk for p in found}:
            found.append(product)
    return found


def _check_portal_values(values: dict[str, Any]) -> None:
    if "visibility" in values and values["visibility"] not in Visibility.values:
        raise field_error(ValidationFailed, "visibility", f"Choose one of {', '.join(Visibility.values)}.")
    if "require_approval" in values and not isinstance(values["require_approval"], bool):
        raise field_error(ValidationFailed, "require_approval", "Give true or false.")
    for name in ("name", "slug", "intro", "accent_color"):
        if name in values and not isinstance(values[name], str):
            raise field_error(ValidationFailed, name, "Give text.")


def _portal_duplicate(portal: Portal) -> Any:
    def find() -> HeadwayError | None:
        if Portal.objects.filter(slug=portal.slug).exclude(pk=portal.pk).exists():
            return field_error(Conflict, "slug", "That address is taken. Choose another.")
        if (
            Portal.objects.filter(workspace_id=portal.workspace_id)
            .annotate(lname=Lower("name"))
            .filter(lname=portal.name.lower())
            .exclude(pk=portal.pk)
            .exists()
        ):
            return field_error(Conflict, "name", f"The workspace already has a portal named “{portal.name}”.")
        return None

    return find


def _set_products(portal: Portal, products: list[Product]) -> tuple[list[str], list[str]]:
    before = list(PortalProduct.objects.filter(portal=portal).select_related("product").order_by("product__name"))
    wanted = {p.pk for p in products}
    PortalProduct.objects.filter(portal=portal).exclude(product_id__in=wanted).delete()
    have = {pp.product_id for pp in before}
    PortalProduct.objects.bulk_create(
        PortalProduct(workspace_id=portal.workspace_id, portal=portal, product=p) for p in products if p.pk not in have
    )
    return sorted(pp.product.name for pp in before), sorted(p.name for p in products)


@transaction.atomic
def portal_create(
    *,
    actor: Any,
    workspace: Workspace,
    name: str,
    slug: str,
    intro: str = "",
    accent_color: str = "#4f46e5",
    visibility: str = "public",
    allowed_domains: str = "",
    require_approval: bool = False,
    products: Any = (),
) -> Portal:
    """A new portal under /p/<slug>/ covering ``products`` (none: every product of the workspace)."""
    permissions.require(actor, Action.PORTAL_MANAGE, workspace)
    values = dict(
        name=name,
        slug=slug,
        intro=intro,
        accent_color=accent_color,
        visibility=visibility,
        require_approval=require_approval,
    )
    _check_portal_values(values)
    chosen = _products(workspace, products)
    portal = Portal(
        workspace=workspace,
        name=text(name),
        slug=text(slug).lower(),
        intro=text(intro),
        accent_color=text(accent_color).lower(),
        visibility=visibility,
        allowed_domains=_domains(allowed_domains),
        require_approval=require_approval,
    )
    clean(portal, exclude=["workspace"])
    save(portal, _portal_duplicate(portal))
    _set_products(portal, chosen)
    changes = {k: [None, v] for k, v in snapshot(portal, PORTAL_FIELDS).items() if v not in ("", None, False)}
    if chosen:
        changes["products"] = [None, ", ".join(sorted(p.name for p in chosen))]
    audit_record(actor=actor, workspace=workspace, action="portal.create", target=portal, changes=changes)
    idea_statuses_ensure(workspace=workspace)
    return portal


@transaction.atomic
def portal_update(*, actor: Any, portal: Portal, **fields: Any) -> Portal:
    """Change a portal's settings; ``products`` replaces the set of products it covers."""
    workspace = portal.workspace
    permissions.require(actor, Action.PORTAL_MANAGE, workspace, portal)
    check_fields(fields, PORTAL_UPDATABLE, "portal", {})
    _check_portal_values(fields)
    chosen = _products(workspace, fields.pop("products")) if "products" in fields else None
    if "allowed_domains" in fields:
        fields["allowed_domains"] = _domains(fields["allowed_domains"])
    before = snapshot(portal, PORTAL_FIELDS)
    with reverting(portal, PORTAL_FIELDS):
        for name, value in fields.items():
            value = text(value)
            if name in ("slug", "accent_color"):
                value = value.lower()
            setattr(portal, name, value)
        clean(portal, exclude=["workspace"])
        changes = diff(before, snapshot(portal, PORTAL_FIELDS))
        if changes:
            save(portal, _portal_duplicate(portal), update_fields=[*changes, "updated_at"])
    if chosen is not None:
        old, new = _set_products(portal, chosen)
        if old != new:
            changes["products"] = [", ".join(old), ", ".join(new)]
    if changes:
        audit_record(actor=actor, workspace=workspace, action="portal.update", target=portal, changes=changes)
    return portal


@transaction.atomic
def portal_archive(*, actor: Any, portal: Portal) -> Portal:
    """Close the portal: its pages answer "not found"; nothing is deleted."""
    permissions.require(actor, Action.PORTAL_MANAGE, portal.workspace, portal)
    if portal.archived_at is None:
        from django.utils import timezone

        portal.archived_at = timezone.now()
        portal.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            workspace=portal.workspace,
            action="portal.archive",
            target=portal,
            changes={"archived": [False, True]},
        )
    return portal


@transaction.atomic
def portal_restore(*, actor: Any, portal: Portal) -> Portal:
    permissions.require(actor, Action.PORTAL_MANAGE, portal.workspace, portal)
    if portal.archived_at is not None:
        portal.archived_at = None
        portal.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            workspace=portal.workspace,
            action="portal.restore",
            target=portal,
            changes={"archived": [True, False]},
        )
    return portal


@transaction.atomic
def portal_invite(*, actor: Any, portal: Portal, emails: list[str]) -> list[PortalInvitation]:
    """Invite addresses to the portal (whatever their domain); already invited ones are skipped.
    Returns the new invitations."""
    permissions.require(actor, Action.PORTAL_MANAGE, portal.workspace, portal)
    if isinstance(emails, str) or not isinstance(emails, list | tuple):
        raise field_error(ValidationFailed, "emails", "Give a list of email addresses.")
    if len(emails) > MAX_INVITES:
        raise field_error(ValidationFailed, "emails", f"Invite at most {MAX_INVITES} addresses at a time.")
    wanted: list[str] = []
    for raw in emails:
        email = raw.strip().lower() if isinstance(raw, str) else ""
        try:
            validate_email(email)
        except DjangoValidationError:
            raise field_error(ValidationFailed, "emails", f"“{raw}” is not an email address.") from None
        if email not in wanted:
            wanted.append(email)
    existing = {e.lower() for e in portal.invitations.values_list("email", flat=True)}
    created: list[PortalInvitation] = []
    for email in wanted:
        if email in existing:
            continue
        invitation = PortalInvitation(workspace_id=portal.workspace_id, portal=portal, email=email, invited_by=actor)
        try:
            with transaction.atomic():
                invitation.save()
        except IntegrityError:  # invited at the same moment by someone else
            continue
        created.append(invitation)
    if created:
        audit_record(
            actor=actor,
            workspace=portal.workspace,
            action="portal.invite",
            target=portal,
            changes={"invited": [None, ", ".join(i.email for i in created)]},
        )
    return created


@transaction.atomic
def portal_uninvite(*, actor: Any, invitation: PortalInvitation) -> None:
    portal = invitation.portal
    permissions.require(actor, Action.PORTAL_MANAGE, portal.workspace, portal)
    audit_record(
        actor=actor,
        workspace=portal.workspace,
        action="portal.uninvite",
        target=portal,
        changes={"invited": [invitation.email, None]},
    )
    invitation.delete()


# --- idea statuses ---------------------------------------------------------------------------

STATUS_FIELDS = ["name", "public_label", "category", "is_default"]


def _statuses(workspace: Workspace | int) -> list[IdeaStatus]:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return list(IdeaStatus.objects.filter(workspace_id=workspace_id).order_by("position", "id"))


def idea_statuses_ensure(*, workspace: Workspace) -> list[IdeaStatus]:
    """The workspace's idea statuses in order; the defaults are created on first use (once, even
    when two requests ask at the same moment). One query once they exist."""
    statuses = _statuses(workspace)
    if statuses:
        return statuses
    try:
        with transaction.atomic():
            lock_workspace(workspace)
            statuses = _statuses(workspace)  # created while we waited for the lock
            if statuses:
                return statuses
            IdeaStatus.objects.bulk_create(
                IdeaStatus(
                    workspace=workspace,
                    name=name,
                    public_label=label,
                    category=category,
                    position=i,
                    is_default=i == 0,
                )
                for i, (name, label, category) in enumerate(DEFAULT_IDEA_STATUSES)
            )
    except IntegrityError:  # created at the same moment by another process (SQLite has no row locks)
        pass
    return _statuses(workspace)


def default_status(workspace: Workspace) -> IdeaStatus:
    statuses = idea_statuses_ensure(workspace=workspace)
    return next((s for s in statuses if s.is_default), statuses[0])


def _status_duplicate(status: IdeaStatus) -> Any:
    def find() -> HeadwayError | None:
        other = (
            IdeaStatus.objects.filter(workspace_id=status.workspace_id)
            .annotate(lname=Lower("name"))
            .filter(lname=status.name.lower())
            .exclude(pk=status.pk)
            .first()
        )
        if other is None:
            return None
        return field_error(Conflict, "name", f"There is already an idea status named “{other.name}”.")

    return find


def _check_category(category: Any) -> None:
    if category not in StatusCategory.values:
        raise field_error(ValidationFailed, "category", f"Choose one of {', '.join(StatusCategory.values)}.")


@transaction.atomic
def idea_status_create(
    *, actor: Any, workspace: Workspace, name: str, category: str, public_label: str = "", is_default: bool = False
) -> IdeaStatus:
    """A new status at the end of the list; the public label defaults to the name."""
    permissions.require(actor, Action.PORTAL_MANAGE, workspace)
    _check_category(category)
    if not isinstance(is_default, bool):
        raise field_error(ValidationFailed, "is_default", "Give true or false.")
    for field, value in (("name", name), ("public_label", public_label)):
        if not isinstance(value, str):
            raise field_error(ValidationFailed, field, "Give text.")
    existing = idea_statuses_ensure(workspace=workspace)
    lock_workspace(workspace)
    status = IdeaStatus(
        workspace=workspace,
        name=text(name),
        public_label=text(public_label) or text(name),
        category=category,
        position=len(existing),
    )
    clean(status, exclude=["workspace"])
    save(status, _status_duplicate(status))
    if is_default:
        IdeaStatus.objects.filter(workspace=workspace, is_default=True).update(is_default=False)
        status.is_default = True
        status.save(update_fields=["is_default", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="idea_status.create",
        target=status,
        changes={k: [None, v] for k, v in snapshot(status, STATUS_FIELDS).items() if v not in ("", None, False)},
    )
    return status


@transaction.atomic
def idea_status_update(*, actor: Any, status: IdeaStatus, **fields: Any) -> IdeaStatus:
    workspace = status.workspace
    permissions.require(actor, Action.PORTAL_MANAGE, workspace, status)
    check_fields(fields, STATUS_FIELDS, "idea status", {"position": "Use idea_status_move to reorder statuses."})
    if "category" in fields:
        _check_category(fields["category"])
    for field in ("name", "public_label"):
        if field in fields and not isinstance(fields[field], str):
            raise field_error(ValidationFailed, field, "Give text.")
    if "is_default" in fields:
        if not isinstance(fields["is_default"], bool):
            raise field_error(ValidationFailed, "is_default", "Give true or false.")
        if status.is_default and not fields["is_default"]:
            raise field_error(
                ValidationFailed, "is_default", "Make another status the default instead; one status is always it."
            )
    lock_workspace(workspace)
    status.refresh_from_db(fields=[*STATUS_FIELDS, "position"])
    before = snapshot(status, STATUS_FIELDS)
    with reverting(status, STATUS_FIELDS):
        make_default = fields.pop("is_default", False) and not status.is_default
        for name, value in fields.items():
            setattr(status, name, text(value))
        clean(status, exclude=["workspace"])
        if make_default:
            IdeaStatus.objects.filter(workspace=workspace, is_default=True).update(is_default=False)
            status.is_default = True
        changes = diff(before, snapshot(status, STATUS_FIELDS))
        if not changes:
            return status
        save(status, _status_duplicate(status), update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, workspace=workspace, action="idea_status.update", target=status, changes=changes)
    return status


@transaction.atomic
def idea_status_move(*, actor: Any, status: IdeaStatus, position: int) -> IdeaStatus:
    """Put a status at ``position`` (0 = first; past the end = last)."""
    workspace = status.workspace
    permissions.require(actor, Action.PORTAL_MANAGE, workspace, status)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise field_error(ValidationFailed, "position", "Give a whole number of 0 or more (0 = first).")
    lock_workspace(workspace)
    statuses = _statuses(workspace)
    old = next((i for i, s in enumerate(statuses) if s.pk == status.pk), None)
    if old is None:
        raise Conflict(f"“{status}” was deleted by someone else just now. Reload and try again.")
    moved = statuses.pop(old)
    statuses.insert(min(position, len(statuses)), moved)
    changed = []
    for index, item in enumerate(statuses):
        if item.position != index:
            item.position = index
            changed.append(item)
    IdeaStatus.objects.bulk_update(changed, ["position"])
    status.position = moved.position
    if old != status.position:
        audit_record(
            actor=actor,
            workspace=workspace,
            action="idea_status.move",
            target=status,
            changes={"position": [old + 1, status.position + 1]},
        )
    return status


@transaction.atomic
def idea_status_delete(*, actor: Any, status: IdeaStatus) -> None:
    """Delete a status no idea is in (and that is not the default)."""
    workspace = status.workspace
    permissions.require(actor, Action.PORTAL_MANAGE, workspace, status)
    lock_workspace(workspace)
    current = IdeaStatus.objects.filter(pk=status.pk).values_list("is_default", flat=True).first()
    if current is None:
        raise Conflict(f"“{status}” was deleted by someone else just now. Reload and try again.")
    status.is_default = current
    if status.is_default:
        raise field_error(
            Conflict, "__all__", f"“{status}” is the default status. Make another status the default first."
        )
    in_use = status.ideas.count()
    if in_use:
        raise field_error(
            Conflict,
            "__all__",
            f"{in_use} idea{'s are' if in_use != 1 else ' is'} in “{status}”. Move them to another status first.",
        )
    audit_record(
        actor=actor,
        workspace=workspace,
        action="idea_status.delete",
        target=status,
        changes={"name": [status.name, None]},
    )
    status.delete()
    remaining = _statuses(workspace)
    for index, item in enumerate(remaining):
        item.position = index
    IdeaStatus.objects.bulk_update(remaining, ["position"])


# --- idea categories -------------------------------------------------------------------------


def _category_duplicate(category: IdeaCategory) -> Any:
    def find() -> HeadwayError | None:
        other = (
            IdeaCategory.objects.filter(workspace_id=category.workspace_id)
            .annotate(lname=Lower("name"))
            .filter(lname=category.name.lower())
            .exclude(pk=category.pk)
            .first()
        )
        if other is None:
            return None
        return field_error(Conflict, "name", f"There is already a category named “{other.name}”.")

    return find


@transaction.atomic
def idea_category_create(*, actor: Any, workspace: Workspace, name: str) -> IdeaCategory:
    permissions.require(actor, Action.PORTAL_MANAGE, workspace)
    if not isinstance(name, str):
        raise field_error(ValidationFailed, "name", "Give text.")
    category = IdeaCategory(workspace=workspace, name=text(name))
    clean(category, exclude=["workspace"])
    save(category, _category_duplicate(category))
    audit_record(
        actor=actor,
        workspace=workspace,
        action="idea_category.create",
        target=category,
        changes={"name": [None, category.name]},
    )
    return category


@transaction.atomic
def idea_category_update(*, actor: Any, category: IdeaCategory, name: str) -> IdeaCategory:
    workspace = category.workspace
    permissions.require(actor, Action.PORTAL_MANAGE, workspace, category)
    if not isinstance(name, str):
        raise field_error(ValidationFailed, "name", "Give text.")
    before = category.name
    with reverting(category, ["name"]):
        category.name = text(name)
        clean(category, exclude=["workspace"])
        if category.name == before:
            return category
        save(category, _category_duplicate(category), update_fields=["name", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="idea_category.update",
        target=category,
        changes={"name": [before, category.name]},
    )
    return category


@transaction.atomic
def idea_category_delete(*, actor: Any, category: IdeaCategory) -> None:
    """Delete a category; its ideas keep existing without one."""
    workspace = category.workspace
    permissions.require(actor, Action.PORTAL_MANAGE, workspace, category)
    audit_record(
        actor=actor,
        workspace=workspace,
        action="idea_category.delete",
        target=category,
        changes={"name": [category.name, None]},
    )
    category.delete()


# --- demand weights --------------------------------------------------------------------------

DEMAND_FIELDS = [
    "nice_to_have_weight",
    "important_weight",
    "critical_weight",
    "company_basis",
    "strategic_weight",
    "key_weight",
    "standard_weight",
    "arr_step",
    "no_company_weight",
]
WEIGHT_MAX = Decimal("9999.99")


def demand_settings_get(*, workspace: Workspace | int) -> DemandSettings:
    """The workspace's demand weights (the defaults are stored on first use)."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found = DemandSettings.objects.filter(workspace_id=workspace_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return DemandSettings.objects.create(workspace_id=workspace_id)
    except IntegrityError:  # created at the same moment by another request
        return DemandSettings.objects.get(workspace_id=workspace_id)


def _decimal(field: str, value: Any, *, minimum: Decimal, maximum: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise field_error(ValidationFailed, field, "Give a number such as 2 or 1.5.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise field_error(ValidationFailed, field, f"“{value}” is not a number.") from None
    if not number.is_finite():
        raise field_error(ValidationFailed, field, f"“{value}” is not a number.")
    if number < minimum or number > maximum:
        raise field_error(ValidationFailed, field, f"Give a number from {minimum} to {maximum}.")
    if number != number.quantize(Decimal("0.01")):
        raise field_error(ValidationFailed, field, "Use at most two decimals.")
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def demand_settings_update(*, actor: Any, workspace: Workspace, **fields: Any) -> DemandSettings:
    """Change how votes weigh into demand; every idea of the workspace is recomputed at once."""
    from headway.ideas.services.votes import recompute_workspace_demand

    permissions.require(actor, Action.PORTAL_MANAGE, workspace)
    check_fields(fields, DEMAND_FIELDS, "demand settings", {})
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "company_basis":
            if value not in CompanyBasis.values:
                raise field_error(ValidationFailed, name, f"Choose one of {', '.join(CompanyBasis.values)}.")
            values[name] = value
        elif name == "arr_step":
            values[name] = _decimal(name, value, minimum=Decimal("1"), maximum=Decimal("999999999999.99"))
        else:
            values[name] = _decimal(name, value, minimum=Decimal("0"), maximum=WEIGHT_MAX)
    row = demand_settings_get(workspace=workspace)
    row = DemandSettings.objects.select_for_update().get(pk=row.pk)
    before = snapshot(row, DEMAND_FIELDS)
    for name, value in values.items():
        setattr(row, name, value)
    changes = diff(before, snapshot(row, DEMAND_FIELDS))
    if not changes:
        return row
    row.save(update_fields=[*changes, "updated_at"])
    recompute_workspace_demand(workspace.pk, row)
    audit_record(actor=actor, workspace=workspace, action="demand_settings.update", target=row, changes=changes)
    return row


# --- feature status → idea status ------------------------------------------------------------


@transaction.atomic
def feature_status_mapping_set(*, actor: Any, workspace: Workspace, mapping: dict[int, int | None]) -> None:
    """Which idea status linked ideas move to when their feature enters a workflow status
    (``None`` = they stay where they are). Statuses left out keep their mapping."""
    permissions.require(actor, Action.PORTAL_MANAGE, workspace)
    if not isinstance(mapping, dict):
        raise field_error(ValidationFailed, "mapping", "Give {workflow status id: idea status id or null}.")
    feature_statuses = {s.pk: s for s in WorkflowStatus.objects.filter(workspace=workspace)}
    idea_statuses = {s.pk: s for s in idea_statuses_ensure(workspace=workspace)}
    existing = {m.feature_status_id: m for m in FeatureStatusMapping.objects.filter(workspace=workspace)}
    changes: dict[str, list[Any]] = {}
    for raw_key, raw_value in mapping.items():
        try:
            key = int(raw_key)
        except (TypeError, ValueError):
            raise field_error(ValidationFailed, "mapping", f"“{raw_key}” is not a workflow status id.") from None
        if key not in feature_statuses:
            raise field_error(NotFound, "mapping", f"No workflow status {key} in this workspace.")
        if raw_value is not None and (isinstance(raw_value, bool) or not isinstance(raw_value, int)):
            raise field_error(ValidationFailed, "mapping", "Give an idea status id or null.")
        if raw_value is not None and raw_value not in idea_statuses:
            raise field_error(NotFound, "mapping", f"No idea status {raw_value} in this workspace.")
        current = existing.get(key)
        old = idea_statuses[current.idea_status_id].name if current else None
        if raw_value is None:
            if current is not None:
                current.delete()
        elif current is None:
            FeatureStatusMapping.objects.create(workspace=workspace, feature_status_id=key, idea_status_id=raw_value)
        elif current.idea_status_id != raw_value:
            current.idea_status_id = raw_value
            current.save(update_fields=["idea_status"])
        new = idea_statuses[raw_value].name if raw_value is not None else None
        if old != new:
            changes[feature_statuses[key].name] = [old, new]
    if changes:
        audit_record(
            actor=actor, workspace=workspace, action="feature_status_mapping.update", target=workspace, changes=changes
        )


__all__ = [
    "UNSET",
    "default_status",
    "demand_settings_get",
    "demand_settings_update",
    "feature_status_mapping_set",
    "idea_category_create",
    "idea_category_delete",
    "idea_category_update",
    "idea_status_create",
    "idea_status_delete",
    "idea_status_move",
    "idea_status_update",
    "idea_statuses_ensure",
    "portal_archive",
    "portal_create",
    "portal_invite",
    "portal_restore",
    "portal_uninvite",
    "portal_update",
]

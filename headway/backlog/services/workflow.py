"""The workspace's workflow (feature statuses) and backlog settings (the effort unit)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from headway.backlog.models import DEFAULT_WORKFLOW, BacklogSettings, EffortUnit, FeatureStatusChange, WorkflowStatus
from headway.backlog.models import StatusCategory as Category
from headway.backlog.services._common import check_fields, clean, field_error, reverting, save, text
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, HeadwayError, ValidationFailed
from headway.core.ordering import lock_workspace
from headway.core.permissions import Action
from headway.workspaces.models import Workspace

STATUS_FIELDS = ["name", "category", "is_default"]


def _statuses(workspace: Workspace) -> list[WorkflowStatus]:
    return list(WorkflowStatus.objects.filter(workspace=workspace).order_by("position", "id"))


def workflow_ensure_defaults(*, actor: Any, workspace: Workspace) -> list[WorkflowStatus]:
    """The workspace's statuses in order; on first use, the default workflow is created.

    Any member may trigger it (it happens when someone first opens the backlog); the audit
    trail names them. Costs one query once the statuses exist.
    """
    permissions.require(actor, Action.BACKLOG_VIEW, workspace)
    statuses = _statuses(workspace)
    if statuses:
        return statuses
    try:
        with transaction.atomic():
            lock_workspace(workspace)
            statuses = _statuses(workspace)  # someone may have created them while we waited
            if statuses:
                return statuses
            statuses = WorkflowStatus.objects.bulk_create(
                WorkflowStatus(workspace=workspace, name=name, category=category, position=i, is_default=i == 0)
                for i, (name, category) in enumerate(DEFAULT_WORKFLOW)
            )
            audit_record(
                actor=actor,
                workspace=workspace,
                action="workflow.create_defaults",
                target=workspace,
                changes={"statuses": [None, ", ".join(s.name for s in statuses)]},
            )
    except IntegrityError:  # created at the same moment by another process (SQLite has no row locks)
        return _statuses(workspace)
    return _statuses(workspace)


def _status_duplicate(status: WorkflowStatus) -> Any:
    def find() -> HeadwayError | None:
        other = (
            WorkflowStatus.objects.filter(workspace_id=status.workspace_id)
            .annotate(lname=Lower("name"))
            .filter(lname=status.name.lower())
            .exclude(pk=status.pk)
            .first()
        )
        if other is None:
            return None
        return field_error(Conflict, "name", f"The workflow already has a status named “{other.name}”.")

    return find


def _check_category(category: Any) -> None:
    if category not in Category.values:
        raise field_error(ValidationFailed, "category", f"Choose one of {', '.join(Category.values)}.")


@transaction.atomic
def workflow_status_create(
    *, actor: Any, workspace: Workspace, name: str, category: str, is_default: bool = False
) -> WorkflowStatus:
    """A new status at the end of the workflow; ``is_default`` makes it the status of new features."""
    permissions.require(actor, Action.WORKFLOW_MANAGE, workspace)
    _check_category(category)
    if not isinstance(is_default, bool):
        raise field_error(ValidationFailed, "is_default", "Give true or false.")
    existing = workflow_ensure_defaults(actor=actor, workspace=workspace)
    lock_workspace(workspace)
    status = WorkflowStatus(
        workspace=workspace, name=text(name), category=category, position=len(existing), is_default=False
    )
    clean(status, exclude=["workspace"])
    save(status, _status_duplicate(status))
    if is_default:
        WorkflowStatus.objects.filter(workspace=workspace, is_default=True).update(is_default=False)
        status.is_default = True
        status.save(update_fields=["is_default", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="workflow_status.create",
        target=status,
        changes={"name": [None, status.name], "category": [None, status.get_category_display()]}
        | ({"is_default": [False, True]} if is_default else {}),
    )
    return status


_STATUS_HINTS = {"position": "Use workflow_status_move to reorder statuses."}


@transaction.atomic
def workflow_status_update(*, actor: Any, status: WorkflowStatus, **fields: Any) -> WorkflowStatus:
    """Rename a status, change its category, or make it the default for new features."""
    workspace = status.workspace
    permissions.require(actor, Action.WORKFLOW_MANAGE, workspace, status)
    check_fields(fields, STATUS_FIELDS, "workflow status", _STATUS_HINTS)
    if "category" in fields:
        _check_category(fields["category"])
    if "is_default" in fields:
        if not isinstance(fields["is_default"], bool):
            raise field_error(ValidationFailed, "is_default", "Give true or false.")
        if status.is_default and not fields["is_default"]:
            raise field_error(
                ValidationFailed, "is_default", "Make another status the default instead; one status is always it."
            )
    lock_workspace(workspace)
    status.refresh_from_db(fields=[*STATUS_FIELDS, "position"])  # the default may have moved meanwhile
    before = snapshot(status, STATUS_FIELDS)
    with reverting(status, STATUS_FIELDS):
        make_default = fields.pop("is_default", False) and not status.is_default
        for name, value in fields.items():
            setattr(status, name, text(value))
        clean(status, exclude=["workspace"])
        if make_default:
            WorkflowStatus.objects.filter(workspace=workspace, is_default=True).update(is_default=False)
            status.is_default = True
        changes = diff(before, snapshot(status, STATUS_FIELDS))
        if not changes:
            return status
        save(status, _status_duplicate(status), update_fields=[*changes, "updated_at"])
    if "category" in changes:
        changes["category"] = [Category(c).label for c in changes["category"]]
    audit_record(actor=actor, workspace=workspace, action="workflow_status.update", target=status, changes=changes)
    return status


@transaction.atomic
def workflow_status_move(*, actor: Any, status: WorkflowStatus, position: int) -> WorkflowStatus:
    """Put a status at ``position`` (0 = first; past the end = last). Board columns follow this order."""
    workspace = status.workspace
    permissions.require(actor, Action.WORKFLOW_MANAGE, workspace, status)
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
    WorkflowStatus.objects.bulk_update(changed, ["position"])
    status.position = moved.position
    if old != status.position:
        audit_record(
            actor=actor,
            workspace=workspace,
            action="workflow_status.move",
            target=status,
            changes={"position": [old + 1, status.position + 1]},
        )
    return status


@transaction.atomic
def workflow_status_delete(*, actor: Any, status: WorkflowStatus) -> None:
    """Delete a status nobody uses. The default status, and statuses that features are in or have
    been in (their history needs it), are kept: rename them or change their category instead."""
    workspace = status.workspace
    permissions.require(actor, Action.WORKFLOW_MANAGE, workspace, status)
    lock_workspace(workspace)
    if status.is_default:
        raise field_error(
            Conflict, "__all__", f"“{status}” is the default status. Make another status the default first."
        )
    in_use = status.features.count()
    if in_use:
        raise field_error(
            Conflict,
            "__all__",
            f"{in_use} feature{'s are' if in_use != 1 else ' is'} in “{status}”. Move them to another status first.",
        )
    if FeatureStatusChange.objects.filter(to_status=status).exists():
        raise field_error(
            Conflict,
            "__all__",
            f"Features have been in “{status}”, and their history needs it. Rename it or change its category instead.",
        )
    audit_record(
        actor=actor,
        workspace=workspace,
        action="workflow_status.delete",
        target=status,
        changes={"name": [status.name, None]},
    )
    status.delete()
    remaining = _statuses(workspace)
    for index, item in enumerate(remaining):
        item.position = index
    WorkflowStatus.objects.bulk_update(remaining, ["position"])


@transaction.atomic
def backlog_settings_update(*, actor: Any, workspace: Workspace, effort_unit: str) -> BacklogSettings:
    """Choose how the workspace estimates. Existing estimates keep their numbers (they are not converted)."""
    permissions.require(actor, Action.WORKFLOW_MANAGE, workspace)
    if effort_unit not in EffortUnit.values:
        raise field_error(ValidationFailed, "effort_unit", f"Choose one of {', '.join(EffortUnit.values)}.")
    settings_row, _ = BacklogSettings.objects.select_for_update().get_or_create(workspace=workspace)
    if settings_row.effort_unit == effort_unit:
        return settings_row
    old = settings_row.get_effort_unit_display()
    settings_row.effort_unit = effort_unit
    settings_row.save(update_fields=["effort_unit", "updated_at"])
    audit_record(
        actor=actor,
        workspace=workspace,
        action="backlog_settings.update",
        target=settings_row,
        changes={"effort_unit": [old, settings_row.get_effort_unit_display()]},
    )
    return settings_row

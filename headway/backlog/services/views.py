"""Saved views: a person's named backlog filters, private or shared with the workspace."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from headway.backlog.filters import FeatureFilters
from headway.backlog.models import SavedView
from headway.backlog.services._common import check_fields, clean, field_error, reverting, save, text
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, HeadwayError, PermissionDenied, ValidationFailed
from headway.core.permissions import Action
from headway.workspaces.models import Workspace

VIEW_FIELDS = ["name", "filters", "shared"]


def _duplicate(view: SavedView) -> Any:
    def find() -> HeadwayError | None:
        taken = (
            SavedView.objects.filter(workspace_id=view.workspace_id, owner_id=view.owner_id)
            .annotate(lname=Lower("name"))
            .filter(lname=view.name.lower())
            .exclude(pk=view.pk)
            .exists()
        )
        return field_error(Conflict, "name", f"You already have a view named “{view.name}”.") if taken else None

    return find


def _own(actor: Any, view: SavedView) -> None:
    permissions.require(actor, Action.BACKLOG_VIEW, view.workspace_id, view)
    if view.owner_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the person who saved a view may change or delete it.")


@transaction.atomic
def saved_view_create(
    *, actor: Any, workspace: Workspace, name: str, filters: dict[str, Any], shared: bool = False
) -> SavedView:
    """Save the current filters under a name; ``shared`` shows it to everyone in the workspace."""
    permissions.require(actor, Action.BACKLOG_VIEW, workspace)
    if not isinstance(shared, bool):
        raise field_error(ValidationFailed, "shared", "Give true or false.")
    view = SavedView(
        workspace=workspace,
        owner=actor,
        name=text(name),
        filters=FeatureFilters.from_dict(filters).as_dict(),
        shared=shared,
    )
    clean(view, exclude=["workspace", "owner"])
    save(view, _duplicate(view))
    audit_record(
        actor=actor,
        workspace=workspace,
        action="saved_view.create",
        target=view,
        changes={"name": [None, view.name], "filters": [None, view.filters], "shared": [None, view.shared]},
    )
    return view


@transaction.atomic
def saved_view_update(*, actor: Any, saved_view: SavedView, **fields: Any) -> SavedView:
    _own(actor, saved_view)
    check_fields(fields, VIEW_FIELDS, "saved view", {})
    if "shared" in fields and not isinstance(fields["shared"], bool):
        raise field_error(ValidationFailed, "shared", "Give true or false.")
    if "filters" in fields:
        fields["filters"] = FeatureFilters.from_dict(fields["filters"]).as_dict()
    before = snapshot(saved_view, VIEW_FIELDS)
    with reverting(saved_view, VIEW_FIELDS):
        for name, value in fields.items():
            setattr(saved_view, name, text(value))
        clean(saved_view, exclude=["workspace", "owner"])
        changes = diff(before, snapshot(saved_view, VIEW_FIELDS))
        if not changes:
            return saved_view
        save(saved_view, _duplicate(saved_view), update_fields=[*changes, "updated_at"])
    audit_record(
        actor=actor, workspace=saved_view.workspace, action="saved_view.update", target=saved_view, changes=changes
    )
    return saved_view


@transaction.atomic
def saved_view_delete(*, actor: Any, saved_view: SavedView) -> None:
    _own(actor, saved_view)
    audit_record(
        actor=actor,
        workspace=saved_view.workspace,
        action="saved_view.delete",
        target=saved_view,
        changes={"name": [saved_view.name, None]},
    )
    saved_view.delete()

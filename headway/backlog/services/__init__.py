"""Every write to the backlog. Habits shared by every function here: keyword-only arguments and an
explicit ``actor``; one transaction; the permission check first (so a denied call changes
nothing); ``full_clean`` for field rules and the database's constraints for races; an
``AuditEvent`` with the fields that changed (old → new).

Errors name the field: a bad value is ``ValidationFailed`` (422); a name taken, an archived item
in the way or a feature in use is ``Conflict`` (409); a referenced person or object that is not
in the workspace is ``NotFound`` (404); a role that may not is ``PermissionDenied`` (403).
"""

from headway.backlog.services._common import UNSET
from headway.backlog.services.details import (
    comment_add,
    comment_delete,
    dependency_add,
    dependency_remove,
    link_add,
    link_remove,
    requirement_add,
    requirement_delete,
    requirement_move,
    requirement_update,
)
from headway.backlog.services.features import (
    BULK_LIMIT,
    feature_archive,
    feature_bulk_update,
    feature_create,
    feature_move,
    feature_restore,
    feature_update,
)
from headway.backlog.services.views import saved_view_create, saved_view_delete, saved_view_update
from headway.backlog.services.workflow import (
    backlog_settings_update,
    workflow_ensure_defaults,
    workflow_status_create,
    workflow_status_delete,
    workflow_status_move,
    workflow_status_update,
)

__all__ = [
    "BULK_LIMIT",
    "UNSET",
    "backlog_settings_update",
    "comment_add",
    "comment_delete",
    "dependency_add",
    "dependency_remove",
    "feature_archive",
    "feature_bulk_update",
    "feature_create",
    "feature_move",
    "feature_restore",
    "feature_update",
    "link_add",
    "link_remove",
    "requirement_add",
    "requirement_delete",
    "requirement_move",
    "requirement_update",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_update",
    "workflow_ensure_defaults",
    "workflow_status_create",
    "workflow_status_delete",
    "workflow_status_move",
    "workflow_status_update",
]

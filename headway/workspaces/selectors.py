"""Reads about workspaces, members, invitations and the audit trail, scoped by permissions."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from headway.core import permissions
from headway.core.models import AuditEvent
from headway.core.permissions import Action
from headway.workspaces.models import Invitation, Membership, Role, Workspace


def member_list(*, actor: Any, workspace: Workspace, search: str = "", role: str = "") -> QuerySet[Membership]:
    qs = permissions.scope(Membership.objects.select_related("user"), actor, workspace, Action.MEMBER_VIEW)
    if search:
        qs = qs.filter(Q(user__email__icontains=search) | Q(user__full_name__icontains=search))
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("user__full_name", "user__email")


def member_get(*, actor: Any, workspace: Workspace, membership_id: int) -> Membership:
    return permissions.get_or_404(member_list(actor=actor, workspace=workspace), pk=membership_id)


def assignable_roles(*, actor: Any, workspace: Workspace) -> list[tuple[str, str]]:
    """The roles the actor may hand out or take away here: all for admins, below admin for
    leaders, none for anyone else (as ``(value, label)`` pairs for a select)."""
    if not permissions.can(actor, Action.MEMBER_MANAGE, workspace):
        return []
    if permissions.role_in(actor, workspace) == Role.ADMIN:
        return list(Role.choices)
    return [(value, label) for value, label in Role.choices if value in permissions.LEADER_ASSIGNABLE]


def invitation_pending_list(*, actor: Any, workspace: Workspace) -> QuerySet[Invitation]:
    permissions.require(actor, Action.MEMBER_MANAGE, workspace)
    return Invitation.objects.filter(
        workspace=workspace, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gte=timezone.now()
    ).select_related("invited_by")


def audit_for_workspace(*, actor: Any, workspace: Workspace, action_prefix: str = "") -> QuerySet[AuditEvent]:
    permissions.require(actor, Action.AUDIT_VIEW_WORKSPACE, workspace)
    qs = AuditEvent.objects.filter(workspace=workspace).select_related("actor")
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    return qs


def audit_for_object(*, actor: Any, workspace: Workspace, target: Model) -> QuerySet[AuditEvent]:
    """The history shown on an object's own page: anyone who may see the object sees it."""
    permissions.require(actor, Action.WORKSPACE_VIEW, workspace)
    return AuditEvent.objects.filter(
        workspace=workspace, target_type=target._meta.label_lower, target_id=target.pk
    ).select_related("actor")

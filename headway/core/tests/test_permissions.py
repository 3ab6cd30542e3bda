"""The permission matrix: role × action, plus object rules and isolation."""

import pytest

from headway.core import permissions
from headway.core.errors import NotFound, PermissionDenied
from headway.core.permissions import Action

EXPECTED = {
    # action: roles that may do it
    Action.WORKSPACE_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.MEMBER_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.PORTFOLIO_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.CUSTOMER_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.FEEDBACK_ADD: {"admin", "leader", "pm", "contributor"},
    Action.COMMENT_ADD: {"admin", "leader", "pm", "contributor"},
    Action.COMMENT_DELETE: {"admin", "leader", "pm", "contributor"},
    Action.CUSTOMER_MANAGE: {"admin", "leader", "pm"},
    Action.PRODUCT_EDIT: {"admin", "leader", "pm"},
    Action.PORTFOLIO_MANAGE: {"admin", "leader"},
    Action.MEMBER_MANAGE: {"admin", "leader"},
    Action.STRATEGY_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.BACKLOG_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.FEATURE_EDIT: {"admin", "leader", "pm"},
    Action.OBJECTIVE_CHECK_IN: {"admin", "leader", "pm"},
    Action.STRATEGY_MANAGE: {"admin", "leader"},
    Action.WORKFLOW_MANAGE: {"admin", "leader"},
    Action.IDEA_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.IDEA_SUBMIT: {"admin", "leader", "pm", "contributor"},
    Action.IDEA_MANAGE: {"admin", "leader", "pm"},
    Action.INSIGHT_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.INSIGHT_MANAGE: {"admin", "leader", "pm"},
    Action.INSIGHT_RETRAIN: {"admin", "leader"},
    Action.PRIORITY_VIEW: {"admin", "leader", "pm", "contributor", "viewer"},
    Action.SCORE_EDIT: {"admin", "leader", "pm"},
    Action.SCORING_MODEL_MANAGE: {"admin", "leader"},
    Action.CAPACITY_MANAGE: {"admin", "leader"},
    Action.PLAN_MANAGE: {"admin", "leader", "pm"},
    Action.PLAN_COMMIT: {"admin", "leader"},
    Action.PORTAL_MANAGE: {"admin", "leader"},
    Action.WORKSPACE_MANAGE: {"admin"},
    Action.AUDIT_VIEW_WORKSPACE: {"admin"},
}


def test_matrix_covers_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize("role", ["admin", "leader", "pm", "contributor", "viewer"])
@pytest.mark.parametrize("action", list(Action))
def test_role_matrix(member, workspace, role, action):
    user = member(role)
    assert permissions.can(user, action, workspace) is (role in EXPECTED[action])


def test_outsider_gets_not_found_not_forbidden(outsider, workspace):
    assert permissions.role_in(outsider, workspace) is None
    with pytest.raises(NotFound):
        permissions.require(outsider, Action.WORKSPACE_VIEW, workspace)


def test_member_denied_gets_permission_denied_with_role_in_message(viewer, workspace):
    with pytest.raises(PermissionDenied, match=r"Your role \(Viewer\) may not manage customers\."):
        permissions.require(viewer, Action.CUSTOMER_MANAGE, workspace)


def test_inactive_user_has_no_role(admin, workspace):
    admin.is_active = False
    assert permissions.role_in(admin, workspace) is None


def test_leader_cannot_touch_admins(leader, workspace):
    permissions.require_role_change(leader, workspace, current="viewer", new="pm")
    with pytest.raises(PermissionDenied, match="Only an admin"):
        permissions.require_role_change(leader, workspace, current="viewer", new="admin")
    with pytest.raises(PermissionDenied, match="Only an admin"):
        permissions.require_role_change(leader, workspace, current="admin", new=None)


def test_only_the_author_deletes_a_comment(member, workspace):
    from types import SimpleNamespace

    author, admin = member("contributor"), member("admin")
    comment = SimpleNamespace(author_id=author.pk, workspace_id=workspace.pk)
    assert permissions.can(author, Action.COMMENT_DELETE, workspace, comment) is True
    assert permissions.can(admin, Action.COMMENT_DELETE, workspace, comment) is False
    with pytest.raises(
        PermissionDenied, match=r"Your role \(Admin\) may not delete this comment \(only its author may\)\."
    ):
        permissions.require(admin, Action.COMMENT_DELETE, workspace, comment)

"""Workspace selectors: scoped by permissions, exact results, pinned query counts."""

import datetime as dt

import pytest
from django.utils import timezone

from headway.core import permissions
from headway.core.errors import NotFound, PermissionDenied
from headway.core.models import AuditEvent
from headway.workspaces import selectors
from headway.workspaces.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def test_member_list_is_scoped_and_ordered_by_name(admin, leader, viewer, outsider, workspace, member):
    member("pm", email="zoe@example.com", full_name="")
    rows = selectors.member_list(actor=viewer, workspace=workspace)
    # An empty name sorts first, then names alphabetically.
    assert [m.user.email for m in rows] == [
        "zoe@example.com",
        "admin@example.com",
        "leader@example.com",
        "viewer@example.com",
    ]


def test_member_list_search_matches_name_or_email_case_insensitively(admin, leader, viewer, workspace):
    def emails(**kw):
        return [m.user.email for m in selectors.member_list(actor=admin, workspace=workspace, **kw)]

    assert emails(search="VIC") == ["viewer@example.com"]
    assert emails(search="leader@") == ["leader@example.com"]
    assert emails(search="example.com", role="admin") == ["admin@example.com"]
    assert emails(search="zzz") == []


def test_member_list_query_count_does_not_depend_on_rows(admin, member, workspace, django_assert_num_queries):
    for _ in range(20):
        member("viewer")
    permissions.forget_roles(admin)
    with django_assert_num_queries(2):  # the actor's roles, the members with their users
        rows = list(selectors.member_list(actor=admin, workspace=workspace))
        assert len({m.user.email for m in rows}) == 21


def test_member_list_for_an_outsider_is_not_found(outsider, workspace):
    with pytest.raises(NotFound):
        selectors.member_list(actor=outsider, workspace=workspace)


def test_member_get_only_in_this_workspace(admin, outsider, other_workspace, workspace):
    theirs = Membership.objects.get(user=outsider)
    with pytest.raises(NotFound, match="No membership matches that id in this workspace"):
        selectors.member_get(actor=admin, workspace=workspace, membership_id=theirs.pk)
    mine = Membership.objects.get(user=admin)
    assert selectors.member_get(actor=admin, workspace=workspace, membership_id=mine.pk) == mine


def test_assignable_roles(admin, leader, pm, outsider, workspace):
    assert [v for v, _ in selectors.assignable_roles(actor=admin, workspace=workspace)] == [
        "admin",
        "leader",
        "pm",
        "contributor",
        "viewer",
    ]
    assert selectors.assignable_roles(actor=leader, workspace=workspace) == [
        ("leader", "Product leader"),
        ("pm", "Product manager"),
        ("contributor", "Contributor"),
        ("viewer", "Viewer"),
    ]
    assert selectors.assignable_roles(actor=pm, workspace=workspace) == []
    assert selectors.assignable_roles(actor=outsider, workspace=workspace) == []


def test_invitation_pending_list(admin, workspace, other_workspace, outsider, invite):
    open_one, _ = invite("open@example.com")
    accepted, _ = invite("accepted@example.com")
    revoked, _ = invite("revoked@example.com")
    expired, _ = invite("expired@example.com")
    invite("theirs@example.com", actor=outsider, ws=other_workspace)
    now = timezone.now()
    Invitation.objects.filter(pk=accepted.pk).update(accepted_at=now)
    Invitation.objects.filter(pk=revoked.pk).update(revoked_at=now)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=now - dt.timedelta(minutes=1))
    assert list(selectors.invitation_pending_list(actor=admin, workspace=workspace)) == [open_one]


def test_invitation_pending_list_needs_member_manage(viewer, workspace):
    with pytest.raises(PermissionDenied):
        selectors.invitation_pending_list(actor=viewer, workspace=workspace)


def test_audit_for_workspace(admin, leader, workspace, other_workspace, outsider, invite):
    invite("a@example.com")
    invite("b@example.com", actor=outsider, ws=other_workspace)
    AuditEvent.objects.create(workspace=workspace, actor=admin, action="membership.update", target_type="x")
    assert [e.action for e in selectors.audit_for_workspace(actor=admin, workspace=workspace)] == [
        "membership.update",
        "invitation.create",
    ]
    assert [
        e.action for e in selectors.audit_for_workspace(actor=admin, workspace=workspace, action_prefix="invitation.")
    ] == ["invitation.create"]
    with pytest.raises(PermissionDenied, match="may not see the workspace audit log"):
        selectors.audit_for_workspace(actor=leader, workspace=workspace)
    with pytest.raises(NotFound):
        selectors.audit_for_workspace(actor=outsider, workspace=workspace)


def test_audit_for_object(admin, viewer, outsider, workspace, invite):
    invitation, _ = invite("a@example.com")
    invite("b@example.com")
    events = selectors.audit_for_object(actor=viewer, workspace=workspace, target=invitation)
    assert [(e.action, e.target_id) for e in events] == [("invitation.create", invitation.pk)]
    with pytest.raises(NotFound):
        selectors.audit_for_object(actor=outsider, workspace=workspace, target=invitation)

import pytest

from headway.accounts.tests.conftest import clock  # noqa: F401  (a fixture shared with accounts tests)


@pytest.fixture
def invite(workspace, admin):
    """``invite("new@example.com", "pm")`` → (invitation, raw token), sent by ``admin`` of ``workspace``."""
    from headway.workspaces.services import invitation_create

    def make(email: str = "new@example.com", role: str = "contributor", actor=None, ws=None):
        return invitation_create(actor=actor or admin, workspace=ws or workspace, email=email, role=role)

    return make


@pytest.fixture
def db_state():
    """``db_state()`` → everything a member or invitation action could change, to prove a denied
    action changed nothing: ``before = db_state(); …; assert db_state() == before``."""
    from django.core import mail

    from headway.accounts.models import ApiToken, User
    from headway.core.models import AuditEvent
    from headway.workspaces.models import Invitation, Membership, Workspace

    def snapshot():
        return {
            "workspaces": list(Workspace.objects.order_by("pk").values_list("pk", "name", "slug")),
            "memberships": list(Membership.objects.order_by("pk").values_list("pk", "workspace_id", "user_id", "role")),
            "invitations": list(
                Invitation.objects.order_by("pk").values_list("pk", "email", "role", "accepted_at", "revoked_at")
            ),
            "users": list(User.objects.order_by("pk").values_list("pk", "email", "password", "full_name")),
            "tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
            "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", "action")),
            "mail": len(mail.outbox),
        }

    return snapshot

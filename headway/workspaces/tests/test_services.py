"""Workspace services: creating workspaces, invitations, roles and removals, and that every
denied action changes nothing."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from headway.accounts.models import ApiToken, User, hash_token
from headway.accounts.services import api_token_authenticate, api_token_create
from headway.accounts.tests.factories import PASSWORD
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.workspaces import services
from headway.workspaces.models import Invitation, Membership, Workspace
from headway.workspaces.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ONLY_ADMIN = "Only an admin may add, change or remove an admin."
LAST_ADMIN = "A workspace needs at least one admin. Make someone else an admin first."


# --- workspace_create / rename --------------------------------------------------------------


def test_workspace_create_makes_the_creator_its_admin(admin):
    ws = services.workspace_create(actor=admin, name="  Initech Products ")
    assert (ws.name, ws.slug, ws.is_demo) == ("Initech Products", "initech-products", False)
    assert list(ws.memberships.values_list("user_id", "role")) == [(admin.pk, "admin")]
    event = AuditEvent.objects.get()
    assert (event.action, event.workspace_id, event.actor_id, event.target_repr) == (
        "workspace.create",
        ws.pk,
        admin.pk,
        "Initech Products",
    )
    from headway.core import permissions

    assert permissions.role_in(admin, ws) == "admin"  # the role cache was refreshed


def test_workspace_create_picks_a_free_slug(admin, workspace):
    assert services.workspace_create(actor=admin, name="Acme").slug == "acme-2"
    assert services.workspace_create(actor=admin, name="Acme").slug == "acme-3"
    assert services.workspace_create(actor=admin, name="!!!").slug == "workspace"


def test_workspace_create_needs_a_name(admin, db_state):
    before = db_state()
    with pytest.raises(ValidationFailed) as exc:
        services.workspace_create(actor=admin, name="   ")
    assert exc.value.fields == {"name": ["This field cannot be blank."]}
    assert db_state() == before


def test_workspace_rename(admin, workspace):
    services.workspace_rename(actor=admin, workspace=workspace, name="Acme Corp")
    workspace.refresh_from_db()
    assert workspace.name == "Acme Corp"
    assert AuditEvent.objects.get().changes == {"name": ["Acme Product", "Acme Corp"]}


@pytest.mark.parametrize("role", ["leader", "pm", "contributor", "viewer"])
def test_only_admins_rename(member, workspace, role, db_state):
    user = member(role)
    before = db_state()
    with pytest.raises(PermissionDenied, match="may not manage this workspace"):
        services.workspace_rename(actor=user, workspace=workspace, name="Mine now")
    assert db_state() == before


# --- invitation_create ----------------------------------------------------------------------


def test_invitation_create_sends_a_working_link_after_commit(
    client, admin, workspace, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation, raw = services.invitation_create(
            actor=admin, workspace=workspace, email=" New.Person@Example.com ", role="pm"
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    invitation.refresh_from_db()
    assert (invitation.email, invitation.role, invitation.invited_by, invitation.workspace) == (
        "new.person@example.com",
        "pm",
        admin,
        workspace,
    )
    assert invitation.token_hash == hash_token(raw)
    assert invitation.expires_at == clock.now + dt.timedelta(days=7)
    assert (invitation.accepted_at, invitation.revoked_at) == (None, None)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert message.subject == "Ada Admin invited you to Acme Product on Headway"
    link = f"http://127.0.0.1:8000/invitations/{raw}/"
    assert message.body == (
        "Ada Admin invited you to join Acme Product on Headway as Product manager.\n\n"
        f"Accept the invitation: {link}\n\n"
        "The link works for 7 days."
    )
    page = client.get(f"/invitations/{raw}/")
    assert page.status_code == 200
    assert "Join Acme Product" in page.content.decode()

    event = AuditEvent.objects.get()
    assert (event.action, event.changes) == (
        "invitation.create",
        {"email": [None, "new.person@example.com"], "role": [None, "pm"]},
    )


def test_invitation_mail_is_not_sent_when_the_transaction_rolls_back(
    admin, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invitation_create(actor=admin, workspace=workspace, email="x@example.com", role="viewer")
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_new_invitation_replaces_an_older_open_one(client, admin, workspace, invite):
    first, first_raw = invite("new@example.com", "viewer")
    second, second_raw = invite("NEW@example.com", "pm")
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).get() == second
    with pytest.raises(NotFound, match=re.escape("This invitation link is not valid. Ask for a new one.")):
        services.invitation_from_token(token=first_raw)
    assert services.invitation_from_token(token=second_raw) == second


def test_a_new_invitation_also_replaces_an_expired_one(admin, workspace, invite, clock):
    first, _ = invite("new@example.com")
    clock.advance(days=8)
    second, _ = invite("new@example.com")
    first.refresh_from_db()
    assert first.revoked_at == clock.now
    assert second.expires_at == clock.now + dt.timedelta(days=7)


def test_invitations_in_two_workspaces_are_independent(admin, workspace, other_workspace, outsider, invite):
    a, _ = invite("new@example.com")
    b, _ = invite("new@example.com", actor=outsider, ws=other_workspace)
    a.refresh_from_db()
    assert (a.revoked_at, b.revoked_at) == (None, None)


def test_invitation_create_refuses_existing_members(admin, viewer, workspace, db_state):
    before = db_state()
    with pytest.raises(Conflict) as exc:
        services.invitation_create(actor=admin, workspace=workspace, email="VIEWER@example.com", role="pm")
    assert exc.value.message == "viewer@example.com is already a member of Acme Product."
    assert exc.value.fields == {"email": ["Already a member."]}
    assert db_state() == before


def test_invitation_create_may_invite_a_member_of_another_workspace(admin, outsider, workspace):
    invitation, _ = services.invitation_create(actor=admin, workspace=workspace, email=outsider.email, role="viewer")
    assert invitation.email == "outsider@example.com"


@pytest.mark.parametrize(
    ("email", "role", "fields"),
    [
        ("not-an-email", "viewer", {"email": ["Enter a valid email address."]}),
        ("", "viewer", {"email": ["Enter a valid email address."]}),
        ("ok@example.com", "owner", {"role": ["Choose one of admin, leader, pm, contributor, viewer."]}),
    ],
)
def test_invitation_create_validates(admin, workspace, db_state, email, role, fields):
    before = db_state()
    with pytest.raises(ValidationFailed) as exc:
        services.invitation_create(actor=admin, workspace=workspace, email=email, role=role)
    assert exc.value.fields == fields
    assert db_state() == before


def test_leaders_invite_up_to_leader_but_not_admins(leader, workspace, db_state, invite):
    invitation, _ = invite("lead2@example.com", "leader", actor=leader)
    assert invitation.role == "leader"
    before = db_state()
    with pytest.raises(PermissionDenied) as exc:
        services.invitation_create(actor=leader, workspace=workspace, email="boss@example.com", role="admin")
    assert exc.value.message == ONLY_ADMIN
    assert db_state() == before


@pytest.mark.parametrize(
    ("role", "label"), [("pm", "Product manager"), ("contributor", "Contributor"), ("viewer", "Viewer")]
)
def test_roles_without_member_manage_cannot_invite(member, workspace, db_state, role, label):
    user = member(role)
    before = db_state()
    with pytest.raises(PermissionDenied) as exc:
        services.invitation_create(actor=user, workspace=workspace, email="x@example.com", role="viewer")
    assert exc.value.message == f"Your role ({label}) may not manage members."
    assert db_state() == before


def test_outsiders_cannot_invite_and_learn_nothing(outsider, workspace, db_state):
    before = db_state()
    with pytest.raises(NotFound, match=re.escape("No such workspace, or you are not a member of it.")):
        services.invitation_create(actor=outsider, workspace=workspace, email="x@example.com", role="viewer")
    assert db_state() == before


# --- invitation_accept ----------------------------------------------------------------------


def test_accept_as_a_new_person_creates_the_account(client, invite, workspace, clock):
    invitation, raw = invite("New.Person@example.com", "pm")
    clock.advance(hours=2)
    membership = services.invitation_accept(token=raw, user=None, password="a-fine-password-12", full_name="New Person")
    user = membership.user
    assert (user.email, user.full_name, membership.role, membership.workspace) == (
        "new.person@example.com",
        "New Person",
        "pm",
        workspace,
    )
    assert user.check_password("a-fine-password-12")
    invitation.refresh_from_db()
    assert invitation.accepted_at == clock.now
    event = AuditEvent.objects.get(action="membership.create")
    assert (event.actor_id, event.workspace_id, event.changes) == (user.pk, workspace.pk, {"role": [None, "pm"]})
    assert (
        Client()
        .post("/accounts/login/", {"email": "new.person@example.com", "password": "a-fine-password-12"})
        .status_code
        == 302
    )


def test_accept_as_a_new_person_needs_a_good_password(invite, db_state):
    _, raw = invite("new@example.com")
    before = db_state()
    with pytest.raises(ValidationFailed) as exc:
        services.invitation_accept(token=raw, user=None, password=None, full_name="N")
    assert exc.value.fields == {"password": ["This field is required."]}
    with pytest.raises(ValidationFailed) as exc:
        services.invitation_accept(token=raw, user=None, password="short", full_name="N")
    assert exc.value.fields == {"password": ["This password is too short. It must contain at least 10 characters."]}
    assert db_state() == before


def test_accept_without_signing_in_when_the_account_exists(invite, outsider, db_state):
    _, raw = invite(outsider.email)
    before = db_state()
    with pytest.raises(
        Conflict, match=re.escape("An account with this email exists already. Sign in, then open the link again.")
    ):
        services.invitation_accept(token=raw, user=None, password="a-fine-password-12")
    assert db_state() == before


def test_accept_as_the_signed_in_invitee(invite, outsider, workspace):
    _, raw = invite("OUTSIDER@example.com", "leader")
    membership = services.invitation_accept(token=raw, user=outsider)
    assert (membership.user, membership.workspace, membership.role) == (outsider, workspace, "leader")
    assert outsider.check_password(PASSWORD)  # an existing person keeps their password
    from headway.core import permissions

    assert permissions.role_in(outsider, workspace) == "leader"


def test_accept_as_the_wrong_person_is_refused(invite, outsider, db_state):
    _, raw = invite("someone.else@example.com")
    before = db_state()
    with pytest.raises(PermissionDenied) as exc:
        services.invitation_accept(token=raw, user=outsider)
    assert exc.value.message == (
        "This invitation is for someone.else@example.com, but you are signed in as outsider@example.com."
    )
    assert db_state() == before


def test_accept_an_expired_invitation(invite, outsider, clock, db_state):
    _, raw = invite(outsider.email)
    clock.advance(days=7, seconds=1)
    before = db_state()
    with pytest.raises(
        Conflict, match=re.escape("This invitation has expired. Ask the person who invited you for a new one.")
    ):
        services.invitation_accept(token=raw, user=outsider)
    assert db_state() == before


def test_accept_just_before_expiry_works(invite, outsider, clock):
    _, raw = invite(outsider.email)
    clock.advance(days=7)
    assert services.invitation_accept(token=raw, user=outsider).role == "contributor"


def test_accept_a_revoked_invitation(invite, admin, outsider, db_state):
    invitation, raw = invite(outsider.email)
    services.invitation_revoke(actor=admin, invitation=invitation)
    before = db_state()
    with pytest.raises(NotFound, match=re.escape("This invitation link is not valid. Ask for a new one.")):
        services.invitation_accept(token=raw, user=outsider)
    assert db_state() == before


def test_accept_twice(invite, outsider, db_state):
    _, raw = invite(outsider.email)
    services.invitation_accept(token=raw, user=outsider)
    before = db_state()
    with pytest.raises(Conflict, match=re.escape("This invitation has already been accepted. Sign in to continue.")):
        services.invitation_accept(token=raw, user=outsider)
    assert db_state() == before


def test_accept_an_unknown_token(outsider, db):
    with pytest.raises(NotFound, match=re.escape("This invitation link is not valid.")):
        services.invitation_accept(token="made-up", user=outsider)


def test_accept_when_already_a_member_rolls_everything_back(invite, outsider, workspace, db_state):
    invitation, raw = invite(outsider.email)
    Membership.objects.create(workspace=workspace, user=outsider, role="viewer")
    before = db_state()
    with pytest.raises(Conflict, match=re.escape("You are already a member of this workspace.")):
        services.invitation_accept(token=raw, user=outsider)
    assert db_state() == before
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- invitation_revoke ----------------------------------------------------------------------


def test_invitation_revoke(admin, invite, clock):
    invitation, _ = invite()
    services.invitation_revoke(actor=admin, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.revoked_at == clock.now
    assert AuditEvent.objects.filter(action="invitation.revoke", target_id=invitation.pk).count() == 1
    services.invitation_revoke(actor=admin, invitation=invitation)  # again: nothing more happens
    assert AuditEvent.objects.filter(action="invitation.revoke").count() == 1


def test_leader_cannot_revoke_an_admin_invitation(leader, invite, db_state):
    invitation, _ = invite("boss@example.com", "admin")
    before = db_state()
    with pytest.raises(PermissionDenied, match=ONLY_ADMIN):
        services.invitation_revoke(actor=leader, invitation=invitation)
    assert db_state() == before


# --- membership_change_role -----------------------------------------------------------------


def _membership(user, workspace) -> Membership:
    return Membership.objects.get(user=user, workspace=workspace)


def test_change_role(admin, viewer, workspace):
    m = services.membership_change_role(
        actor=admin, workspace=workspace, membership_id=_membership(viewer, workspace).pk, role="pm"
    )
    assert m.role == "pm"
    assert _membership(viewer, workspace).role == "pm"
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.changes, event.target_repr) == (
        "membership.update",
        admin.pk,
        {"role": ["viewer", "pm"]},
        "Vic Viewer in Acme Product as pm",
    )


def test_change_role_to_the_same_role_records_nothing(admin, viewer, workspace):
    services.membership_change_role(
        actor=admin, workspace=workspace, membership_id=_membership(viewer, workspace).pk, role="viewer"
    )
    assert AuditEvent.objects.count() == 0


def test_leader_changes_roles_below_admin(leader, viewer, workspace):
    mid = _membership(viewer, workspace).pk
    services.membership_change_role(actor=leader, workspace=workspace, membership_id=mid, role="leader")
    assert Membership.objects.get(pk=mid).role == "leader"


@pytest.mark.parametrize(("target", "new"), [("viewer", "admin"), ("admin", "viewer")])
def test_leader_cannot_make_or_unmake_admins(member, leader, admin, viewer, workspace, db_state, target, new):
    mid = _membership({"viewer": viewer, "admin": admin}[target], workspace).pk
    before = db_state()
    with pytest.raises(PermissionDenied, match=ONLY_ADMIN):
        services.membership_change_role(actor=leader, workspace=workspace, membership_id=mid, role=new)
    assert db_state() == before


@pytest.mark.parametrize("role", ["pm", "contributor", "viewer"])
def test_roles_without_member_manage_cannot_change_roles(member, viewer, admin, workspace, db_state, role):
    actor = member(role)
    before = db_state()
    for target in (viewer, admin, actor):
        with pytest.raises(PermissionDenied, match="may not manage members"):
            services.membership_change_role(
                actor=actor, workspace=workspace, membership_id=_membership(target, workspace).pk, role="leader"
            )
    assert db_state() == before


def test_the_last_admin_cannot_step_down(admin, workspace, db_state):
    before = db_state()
    with pytest.raises(Conflict) as exc:
        services.membership_change_role(
            actor=admin, workspace=workspace, membership_id=_membership(admin, workspace).pk, role="leader"
        )
    assert exc.value.message == LAST_ADMIN
    assert db_state() == before


def test_an_admin_may_step_down_when_another_admin_remains(admin, member, workspace):
    member("admin", email="second.admin@example.com")
    services.membership_change_role(
        actor=admin, workspace=workspace, membership_id=_membership(admin, workspace).pk, role="leader"
    )
    from headway.core import permissions

    assert permissions.role_in(admin, workspace) == "leader"  # the actor's cached role was refreshed


def test_change_role_of_another_workspaces_member_is_not_found(admin, outsider, other_workspace, workspace, db_state):
    mid = _membership(outsider, other_workspace).pk
    before = db_state()
    with pytest.raises(NotFound, match=re.escape("No such member in this workspace.")):
        services.membership_change_role(actor=admin, workspace=workspace, membership_id=mid, role="viewer")
    assert db_state() == before


def test_change_role_rejects_an_unknown_role(admin, viewer, workspace, db_state):
    before = db_state()
    with pytest.raises(ValidationFailed) as exc:
        services.membership_change_role(
            actor=admin, workspace=workspace, membership_id=_membership(viewer, workspace).pk, role="owner"
        )
    assert exc.value.message == "role: 'owner' is not a role; use one of admin, leader, pm, contributor, viewer."
    assert db_state() == before


def test_outsider_cannot_change_roles(outsider, viewer, workspace, db_state):
    before = db_state()
    with pytest.raises(NotFound):
        services.membership_change_role(
            actor=outsider, workspace=workspace, membership_id=_membership(viewer, workspace).pk, role="admin"
        )
    assert db_state() == before


# --- membership_remove ----------------------------------------------------------------------


def test_remove_a_member_revokes_their_tokens_here(admin, viewer, workspace, other_workspace, clock):
    MembershipFactory(workspace=other_workspace, user=viewer, role="viewer")
    _, here = api_token_create(actor=viewer, workspace=workspace, name="here")
    _, there = api_token_create(actor=viewer, workspace=other_workspace, name="there")
    mid = _membership(viewer, workspace).pk
    services.membership_remove(actor=admin, workspace=workspace, membership_id=mid)
    assert not Membership.objects.filter(pk=mid).exists()
    assert list(ApiToken.objects.filter(revoked_at__isnull=False).values_list("name", flat=True)) == ["here"]
    assert api_token_authenticate(raw=here) is None
    assert api_token_authenticate(raw=there) is not None
    event = AuditEvent.objects.get(action="membership.delete")
    assert (event.actor_id, event.target_id, event.changes) == (admin.pk, mid, {"role": ["viewer", None]})
    assert User.objects.filter(pk=viewer.pk).exists()  # the person stays; only the membership goes


@pytest.mark.parametrize("role", ["leader", "pm", "contributor", "viewer"])
def test_anyone_may_leave(member, admin, workspace, role):
    user = member(role)
    services.membership_remove(actor=user, workspace=workspace, membership_id=_membership(user, workspace).pk)
    from headway.core import permissions

    assert permissions.role_in(user, workspace) is None
    assert AuditEvent.objects.get().actor_id == user.pk


def test_the_last_admin_cannot_leave(admin, viewer, workspace, db_state):
    before = db_state()
    with pytest.raises(Conflict, match=LAST_ADMIN):
        services.membership_remove(actor=admin, workspace=workspace, membership_id=_membership(admin, workspace).pk)
    assert db_state() == before


def test_an_admin_may_leave_when_another_admin_remains(admin, member, workspace):
    member("admin")
    services.membership_remove(actor=admin, workspace=workspace, membership_id=_membership(admin, workspace).pk)
    assert not Membership.objects.filter(user=admin, workspace=workspace).exists()


def test_an_admin_may_remove_another_admin(admin, member, workspace):
    other = member("admin")
    services.membership_remove(actor=admin, workspace=workspace, membership_id=_membership(other, workspace).pk)
    assert list(Membership.objects.filter(role="admin").values_list("user_id", flat=True)) == [admin.pk]


def test_leader_cannot_remove_an_admin(leader, admin, member, workspace, db_state):
    member("admin")
    before = db_state()
    with pytest.raises(PermissionDenied, match=ONLY_ADMIN):
        services.membership_remove(actor=leader, workspace=workspace, membership_id=_membership(admin, workspace).pk)
    assert db_state() == before


def test_leader_removes_a_pm(leader, pm, workspace):
    services.membership_remove(actor=leader, workspace=workspace, membership_id=_membership(pm, workspace).pk)
    assert not Membership.objects.filter(user=pm).exists()


@pytest.mark.parametrize("role", ["pm", "contributor", "viewer"])
def test_roles_without_member_manage_cannot_remove_others(member, viewer, workspace, db_state, role):
    actor = member(role)
    before = db_state()
    with pytest.raises(PermissionDenied, match="may not manage members"):
        services.membership_remove(actor=actor, workspace=workspace, membership_id=_membership(viewer, workspace).pk)
    assert db_state() == before


def test_remove_another_workspaces_member_is_not_found(admin, outsider, other_workspace, workspace, db_state):
    before = db_state()
    with pytest.raises(NotFound):
        services.membership_remove(
            actor=admin, workspace=workspace, membership_id=_membership(outsider, other_workspace).pk
        )
    assert db_state() == before


def test_outsider_cannot_remove(outsider, viewer, workspace, db_state):
    before = db_state()
    with pytest.raises(NotFound):
        services.membership_remove(actor=outsider, workspace=workspace, membership_id=_membership(viewer, workspace).pk)
    assert db_state() == before
    assert Workspace.objects.count() == 2

"""Every write about workspaces and who belongs to them."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from headway.accounts.models import ApiToken, User, hash_token
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.permissions import Action
from headway.core.tasks import email_after_commit
from headway.workspaces.models import Invitation, Membership, Role, Workspace


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def workspace_create(*, actor: User, name: str, slug: str | None = None, is_demo: bool = False) -> Workspace:
    """A new workspace, with its creator as its first admin."""
    name = (name or "").strip()
    workspace = Workspace(name=name, slug=slug or _unique_slug(name), is_demo=is_demo)
    try:
        workspace.full_clean()
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc
    workspace.save()
    Membership.objects.create(workspace=workspace, user=actor, role=Role.ADMIN)
    permissions.forget_roles(actor)
    audit_record(actor=actor, workspace=workspace, action="workspace.create", target=workspace)
    return workspace


@transaction.atomic
def workspace_rename(*, actor: User, workspace: Workspace, name: str) -> Workspace:
    permissions.require(actor, Action.WORKSPACE_MANAGE, workspace)
    old = workspace.name
    workspace.name = (name or "").strip()
    try:
        workspace.full_clean()
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc
    workspace.save(update_fields=["name", "updated_at"])
    if old != workspace.name:
        audit_record(
            actor=actor,
            workspace=workspace,
            action="workspace.update",
            target=workspace,
            changes={"name": [old, workspace.name]},
        )
    return workspace


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed(
            f"role: '{role}' is not a role; use one of {', '.join(Role.values)}.",
            fields={"role": [f"Choose one of {', '.join(Role.values)}."]},
        )
    return role


@transaction.atomic
def invitation_create(*, actor: User, workspace: Workspace, email: str, role: str) -> tuple[Invitation, str]:
    """Invite someone by email; returns the invitation and the secret token in the link."""
    role = _check_role(role)
    permissions.require_role_change(actor, workspace, current=None, new=role)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "email: Enter a valid email address.", fields={"email": ["Enter a valid email address."]}
        ) from exc
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of {workspace}.", fields={"email": ["Already a member."]})
    # A new invitation replaces any open one, so the newest link is the one that works.
    Invitation.objects.filter(
        workspace=workspace, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        token_hash=hash_token(raw),
        invited_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=settings.HEADWAY_INVITATION_DAYS),
    )
    audit_record(
        actor=actor,
        workspace=workspace,
        action="invitation.create",
        target=invitation,
        changes={"email": [None, email], "role": [None, role]},
    )
    link = settings.HEADWAY_BASE_URL + reverse("invitation_accept", kwargs={"token": raw})
    email_after_commit(
        to=[email],
        subject=f"{actor.display_name} invited you to {workspace.name} on Headway",
        body=(
            f"{actor.display_name} invited you to join {workspace.name} on Headway as {Role(role).label}.\n\n"
            f"Accept the invitation: {link}\n\n"
            f"The link works for {settings.HEADWAY_INVITATION_DAYS} days."
        ),
    )
    return invitation, raw


def invitation_from_token(*, token: str) -> Invitation:
    invitation = Invitation.objects.select_related("workspace").filter(token_hash=hash_token(token)).first()
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("This invitation link is not valid. Ask for a new one.")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been accepted. Sign in to continue.")
    if invitation.expires_at < timezone.now():
        raise Conflict("This invitation has expired. Ask the person who invited you for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User | None, password: str | None = None, full_name: str = "") -> Membership:
    """Join the workspace. A signed-in user joins as themselves; otherwise an account is created
    for the invited email (which must not already have one)."""
    from headway.accounts.services import user_create

    invitation = invitation_from_token(token=token)
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise Conflict("An account with this email exists already. Sign in, then open the link again.")
        if not password:
            raise ValidationFailed(
                "password: Choose a password for your new account.", fields={"password": ["This field is required."]}
            )
        user = user_create(email=invitation.email, password=password, full_name=full_name)
    elif user.email.lower() != invitation.email.lower():
        raise PermissionDenied(f"This invitation is for {invitation.email}, but you are signed in as {user.email}.")
    # Conditional, so two clicks racing on one link cannot both succeed.
    accepted = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    if not accepted:
        raise Conflict("This invitation has already been used.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(workspace=invitation.workspace, user=user, role=invitation.role)
    except IntegrityError as exc:
        raise Conflict("You are already a member of this workspace.") from exc
    permissions.forget_roles(user)
    audit_record(
        actor=user,
        workspace=invitation.workspace,
        action="membership.create",
        target=membership,
        changes={"role": [None, membership.role]},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    permissions.require_role_change(actor, invitation.workspace, current=invitation.role, new=None)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, workspace=invitation.workspace, action="invitation.revoke", target=invitation)
    return invitation


def _lock_membership(workspace: Workspace, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership_id, workspace=workspace)
        .first()
    )
    if membership is None:
        raise NotFound("No such member in this workspace.")
    return membership


def _ensure_admin_remains(workspace: Workspace, membership: Membership) -> None:
    if membership.role == Role.ADMIN:
        admins = list(
            Membership.objects.select_for_update().filter(workspace=workspace, role=Role.ADMIN).order_by("pk")
        )
        if len(admins) <= 1:
            raise Conflict("A workspace needs at least one admin. Make someone else an admin first.")


@transaction.atomic
def membership_change_role(*, actor: User, workspace: Workspace, membership_id: int, role: str) -> Membership:
    permissions.require(actor, Action.MEMBER_MANAGE, workspace)
    role = _check_role(role)
    membership = _lock_membership(workspace, membership_id)
    permissions.require_role_change(actor, workspace, current=membership.role, new=role)
    if membership.role == role:
        return membership
    if role != Role.ADMIN:
        _ensure_admin_remains(workspace, membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    permissions.forget_roles(membership.user)
    if membership.user_id == actor.pk:
        permissions.forget_roles(actor)
    audit_record(
        actor=actor, workspace=workspace, action="membership.update", target=membership, changes={"role": [old, role]}
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, workspace: Workspace, membership_id: int) -> None:
    permissions.require_member(actor, workspace)
    membership = _lock_membership(workspace, membership_id)
    if membership.user_id != actor.pk:  # anyone may leave; removing others needs the right
        permissions.require_role_change(actor, workspace, current=membership.role, new=None)
    _ensure_admin_remains(workspace, membership)
    audit_record(
        actor=actor,
        workspace=workspace,
        action="membership.delete",
        target=membership,
        changes={"role": [membership.role, None]},
    )
    # Their API tokens for this workspace stop working for good, even if they are invited back.
    ApiToken.objects.filter(user_id=membership.user_id, workspace=workspace, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    membership.delete()
    permissions.forget_roles(actor)
    permissions.forget_roles(membership.user)

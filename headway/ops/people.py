"""Operator actions about people: the first admin, admins added from the console, API tokens.

These run from a shell on the server, so there is no signed-in actor: whoever can run the command
already controls the database. Audit events record them with no actor.
"""

from __future__ import annotations

from django.db import transaction

from headway.accounts.models import ApiToken, User
from headway.accounts.services import api_token_create, password_set, user_create
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import NotFound, ValidationFailed
from headway.workspaces.models import Membership, Role, Workspace
from headway.workspaces.services import workspace_create


def user_by_email(email: str) -> User:
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise NotFound(f"No user with email {email!r}. Create one with `headway createadmin --email {email}`.")
    return user


def workspace_by_slug(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=(slug or "").strip()).first()
    if workspace is None:
        known = ", ".join(Workspace.objects.order_by("slug").values_list("slug", flat=True)[:20]) or "none yet"
        raise NotFound(f"No workspace with slug {slug!r} (workspaces: {known}).")
    return workspace


def workspace_by_name_or_slug(value: str) -> Workspace | None:
    """The workspace with this slug, else the one with this name (case-insensitive); None if there is none."""
    value = (value or "").strip()
    workspace = Workspace.objects.filter(slug=value).first()
    if workspace is not None:
        return workspace
    matches = list(Workspace.objects.filter(name__iexact=value).order_by("slug"))
    if len(matches) > 1:
        slugs = ", ".join(w.slug for w in matches)
        raise ValidationFailed(
            f"workspace: several workspaces are named {value!r} ({slugs}); give the slug instead.",
            fields={"workspace": ["Ambiguous name."]},
        )
    return matches[0] if matches else None


@transaction.atomic
def membership_ensure(*, user: User, workspace: Workspace, role: str, title: str = "") -> Membership:
    """Give the user this role in the workspace, adding them if they are not a member yet."""
    if role not in Role.values:
        raise ValidationFailed(f"role: {role!r} is not a role; use one of {', '.join(Role.values)}.")
    membership = Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    if membership is None:
        membership = Membership.objects.create(workspace=workspace, user=user, role=role, title=title)
        audit_record(
            actor=None,
            workspace=workspace,
            action="membership.create",
            target=membership,
            changes={"role": [None, role]},
        )
    elif membership.role != role:
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        audit_record(
            actor=None,
            workspace=workspace,
            action="membership.update",
            target=membership,
            changes={"role": [old, role]},
        )
    permissions.forget_roles(user)
    return membership


@transaction.atomic
def admin_create(*, email: str, password: str | None, workspace_name: str) -> tuple[User, Workspace, bool, bool]:
    """Create (or reuse) a user and make them admin of a new or existing workspace.

    An existing user keeps their password unless a new one is given. Returns
    ``(user, workspace, user_created, workspace_created)``.
    """
    email = (email or "").strip().lower()
    workspace_name = (workspace_name or "").strip()
    if not workspace_name:
        raise ValidationFailed("workspace: give a workspace name.", fields={"workspace": ["Required."]})
    user = User.objects.filter(email__iexact=email).first()
    user_created = user is None
    if user is None:
        if not password:
            raise ValidationFailed("password: a new user needs a password.", fields={"password": ["Required."]})
        user = user_create(email=email, password=password)
    elif password:
        password_set(actor=None, user=user, new_password=password)
    workspace = workspace_by_name_or_slug(workspace_name)
    workspace_created = workspace is None
    if workspace is None:
        workspace = workspace_create(actor=user, name=workspace_name)
    else:
        membership_ensure(user=user, workspace=workspace, role=Role.ADMIN)
    return user, workspace, user_created, workspace_created


def token_create(*, email: str, workspace_slug: str | None = None, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for this user in one of their workspaces; returns the token and its secret.

    Without a slug the user's only workspace is used; with several, the slug is required.
    """
    user = user_by_email(email)
    if workspace_slug:
        workspace = workspace_by_slug(workspace_slug)
        if not permissions.is_member(user, workspace):
            raise NotFound(f"{user.email} is not a member of workspace {workspace.slug!r}.")
    else:
        slugs = list(Workspace.objects.filter(memberships__user=user).order_by("slug").values_list("slug", flat=True))
        if not slugs:
            raise NotFound(f"{user.email} is not a member of any workspace; a token belongs to one workspace.")
        if len(slugs) > 1:
            raise ValidationFailed(
                f"workspace: {user.email} belongs to several workspaces ({', '.join(slugs)}); choose one with "
                "--workspace SLUG.",
                fields={"workspace": ["Required."]},
            )
        workspace = Workspace.objects.get(slug=slugs[0])
    return api_token_create(actor=user, workspace=workspace, name=name or "Command line")

"""Every write about people: sign-in bookkeeping, profiles, passwords and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from headway.accounts.models import ApiToken, LoginFailure, User, hash_token
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import NotFound, RateLimited, ValidationFailed
from headway.core.permissions import Action
from headway.workspaces.models import Workspace


def login_lockout_remaining(*, email: str, ip_address: str | None) -> int:
    """Seconds until this email (or address) may try again; 0 when it is not locked."""
    window_start = timezone.now() - dt.timedelta(seconds=settings.HEADWAY_LOGIN_LOCKOUT_SECONDS)
    limit = settings.HEADWAY_LOGIN_MAX_FAILURES
    recent = LoginFailure.objects.filter(created_at__gte=window_start)
    by_email = list(
        recent.filter(email=email.strip().lower()).order_by("-created_at").values_list("created_at", flat=True)[:limit]
    )
    # An address gets more room than an email: an office shares one address.
    by_ip = (
        list(
            recent.filter(ip_address=ip_address)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[: limit * 4]
        )
        if ip_address
        else []
    )
    locked_since = None
    if len(by_email) >= limit:
        locked_since = by_email[-1]
    if len(by_ip) >= limit * 4:
        locked_since = max(locked_since or by_ip[-1], by_ip[-1])
    if locked_since is None:
        return 0
    unlock = locked_since + dt.timedelta(seconds=settings.HEADWAY_LOGIN_LOCKOUT_SECONDS)
    return max(0, int((unlock - timezone.now()).total_seconds()) + 1)


def login_check_allowed(*, email: str, ip_address: str | None) -> None:
    remaining = login_lockout_remaining(email=email, ip_address=ip_address)
    if remaining:
        minutes = max(1, round(remaining / 60))
        raise RateLimited(
            f"Too many failed sign-ins. Sign-in is locked for about {minutes} minute{'s' if minutes != 1 else ''}; "
            "try again later or reset your password."
        )


def login_failure_record(*, email: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(email=email.strip().lower()[:254], ip_address=ip_address)


def login_success_record(*, user: User) -> None:
    """A successful sign-in clears the failures for that email."""
    LoginFailure.objects.filter(email=user.email.lower()).delete()


def user_create(*, email: str, password: str | None, full_name: str = "", time_zone: str = "UTC") -> User:
    user = User(email=email.strip().lower(), full_name=full_name.strip(), time_zone=time_zone)
    try:
        user.full_clean(exclude=["password", "last_workspace"])
        if password:
            password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


PROFILE_FIELDS = ["full_name", "time_zone"]


@transaction.atomic
def profile_update(*, actor: User, full_name: str, time_zone: str) -> User:
    before = snapshot(actor, PROFILE_FIELDS)
    actor.full_name = full_name.strip()
    actor.time_zone = time_zone
    try:
        actor.full_clean(exclude=["password", "last_workspace"])
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc
    actor.save(update_fields=PROFILE_FIELDS)
    changes = diff(before, snapshot(actor, PROFILE_FIELDS))
    if changes:
        audit_record(actor=actor, workspace=None, action="user.update", target=actor, changes=changes)
    return actor


@transaction.atomic
def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    if not actor.check_password(old_password):
        raise ValidationFailed("Your current password is not correct.", fields={"old_password": ["Not correct."]})
    password_set(actor=actor, user=actor, new_password=new_password)


@transaction.atomic
def password_set(*, actor: User | None, user: User, new_password: str) -> None:
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields={"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    LoginFailure.objects.filter(email=user.email.lower()).delete()
    audit_record(actor=actor, workspace=None, action="user.password_change", target=user)


@transaction.atomic
def api_token_create(*, actor: User, workspace: Workspace, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown this once and never stored."""
    permissions.require(actor, Action.WORKSPACE_VIEW, workspace)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "name: Give the token a name, such as the script that will use it.",
            fields={"name": ["This field is required."]},
        )
    if len(name) > 100:
        raise ValidationFailed("name: At most 100 characters.", fields={"name": ["At most 100 characters."]})
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, workspace=workspace, name=name, token_hash=hash_token(raw), token_prefix=raw[:10]
    )
    audit_record(actor=actor, workspace=workspace, action="api_token.create", target=token)
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, workspace=token.workspace, action="api_token.revoke", target=token)
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token for a secret, with its user and workspace; records when it was last used."""
    if not raw.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write at most once a minute so a busy script does not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

"""Every write about people: sign-in bookkeeping, profiles, passwords and API tokens."""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from headway.accounts.models import ApiToken, LoginFailure, PasswordResetRequest, User, hash_token
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import NotFound, RateLimited, ValidationFailed
from headway.core.permissions import Action
from headway.core.rawsql import instance_from_row
from headway.workspaces.models import Membership, Workspace

# An address gets more room than an email: a whole office can share one address.
IP_ALLOWANCE_FACTOR = 4


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _locked_for(events: QuerySet, *, email: str, ip_address: str | None, limit: int, window: int) -> int:
    """Seconds left of a lock-out, 0 when there is none.

    Reaching ``limit`` events for one email (``limit × 4`` for one address) inside one window
    locks it for a whole window from the last of them. Nothing is recorded while locked, so the
    newest event is the one that closed the lock, and its predecessors lie at most two windows back.
    """
    now = timezone.now()
    span = dt.timedelta(seconds=window)
    recent = events.filter(created_at__gte=now - 2 * span).order_by("-created_at")
    unlock = None
    for qs, allowed in (
        (recent.filter(email=email.strip().lower()), limit),
        (recent.filter(ip_address=ip_address) if ip_address else None, limit * IP_ALLOWANCE_FACTOR),
    ):
        if qs is None:
            continue
        times = list(qs.values_list("created_at", flat=True)[:allowed])
        if len(times) >= allowed and times[0] - times[-1] <= span and times[0] + span > now:
            unlock = max(unlock or times[0] + span, times[0] + span)
    if unlock is None:
        return 0
    return int((unlock - now).total_seconds()) + 1


def login_lockout_remaining(*, email: str, ip_address: str | None) -> int:
    """Seconds until this email (or address) may try again; 0 when it is not locked."""
    return _locked_for(
        LoginFailure.objects.all(),
        email=email,
        ip_address=ip_address,
        limit=settings.HEADWAY_LOGIN_MAX_FAILURES,
        window=settings.HEADWAY_LOGIN_LOCKOUT_SECONDS,
    )


def login_check_allowed(*, email: str, ip_address: str | None) -> None:
    remaining = login_lockout_remaining(email=email, ip_address=ip_address)
    if remaining:
        raise RateLimited(
            f"Too many failed sign-ins. Sign-in is locked for about {_minutes(remaining)}; "
            "try again later or reset your password."
        )


def login_failure_record(*, email: str, ip_address: str | None) -> None:
    now = timezone.now()
    # Rows older than two windows decide nothing any more (see _locked_for); keep the table small.
    LoginFailure.objects.filter(
        created_at__lt=now - 2 * dt.timedelta(seconds=settings.HEADWAY_LOGIN_LOCKOUT_SECONDS)
    ).delete()
    LoginFailure.objects.create(email=email.strip().lower()[:254], ip_address=ip_address)


def _reset_limit() -> int:
    return getattr(settings, "HEADWAY_PASSWORD_RESET_MAX_REQUESTS", 5)


def _reset_window() -> int:
    return getattr(settings, "HEADWAY_PASSWORD_RESET_WINDOW_SECONDS", 3600)


def password_reset_request_record(*, email: str, ip_address: str | None) -> None:
    """Count one request of a reset mail, refusing when the email (5 an hour by default) or the
    address (4 times as many) asked too often, so the public form cannot be used to flood an inbox.
    Refused requests are not counted: the lock never outlasts one window."""
    remaining = _locked_for(
        PasswordResetRequest.objects.all(),
        email=email,
        ip_address=ip_address,
        limit=_reset_limit(),
        window=_reset_window(),
    )
    if remaining:
        raise RateLimited(
            f"Too many password reset requests. Try again in about {_minutes(remaining)}, "
            "or use the link in the last email you received."
        )
    now = timezone.now()
    PasswordResetRequest.objects.filter(created_at__lt=now - 2 * dt.timedelta(seconds=_reset_window())).delete()
    PasswordResetRequest.objects.create(email=email.strip().lower()[:254], ip_address=ip_address)


def login_success_record(*, user: User) -> None:
    """A successful sign-in clears the failures for that email."""
    LoginFailure.objects.filter(email=user.email.lower()).delete()


def user_create(*, email: str, password: str | None, full_name: str = "", time_zone: str = "UTC") -> User:
    """A new account; without a password it cannot sign in until a reset sets one."""
    user = User(email=(email or "").strip().lower(), full_name=(full_name or "").strip(), time_zone=time_zone)
    if user.email and User.objects.filter(email__iexact=user.email).exists():
        raise ValidationFailed(
            f"email: An account with {user.email} exists already.",
            fields={"email": ["An account with this email exists already."]},
        )
    try:
        user.full_clean(exclude=["password", "last_workspace"])
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc
    if password:
        try:
            password_validation.validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(f"password: {exc.messages[0]}", fields={"password": list(exc.messages)}) from exc
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
    actor.full_name = (full_name or "").strip()
    actor.time_zone = time_zone
    try:
        actor.full_clean(exclude=["password", "last_workspace", "email"])
    except DjangoValidationError as exc:
        # The object is usually request.user: do not leave the rejected values on it.
        actor.full_name, actor.time_zone = before["full_name"], before["time_zone"]
        raise ValidationFailed.from_django(exc) from exc
    actor.save(update_fields=PROFILE_FIELDS)
    changes = diff(before, snapshot(actor, PROFILE_FIELDS))
    if changes:
        audit_record(actor=actor, workspace=None, action="user.update", target=actor, changes=changes)
    return actor


@transaction.atomic
def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    """Change one's own password; both problems (wrong current password, weak new one) are reported at once."""
    fields: dict[str, list[str]] = {}
    if not actor.check_password(old_password):
        fields["old_password"] = ["Not correct."]
    try:
        password_validation.validate_password(new_password, actor)
    except DjangoValidationError as exc:
        fields["new_password"] = list(exc.messages)
    if "old_password" in fields:
        raise ValidationFailed("Your current password is not correct.", fields=fields)
    if fields:
        raise ValidationFailed(f"new_password: {fields['new_password'][0]}", fields=fields)
    password_set(actor=actor, user=actor, new_password=new_password)


@transaction.atomic
def password_set(*, actor: User | None, user: User, new_password: str) -> None:
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(f"new_password: {exc.messages[0]}", fields={"new_password": list(exc.messages)}) from exc
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


@functools.cache
def _token_lookup_sql() -> tuple[str, list[str], list[str]]:
    """The one statement that authenticates every API request, built once from the models.

    Compiling the equivalent ORM query costs several times more than running it, on every API
    request, so this hot path keeps its SQL. It finds an unrevoked token of an active user who is
    still a member of the token's workspace, and brings that user, workspace and role along.
    """
    q = connection.ops.quote_name
    user_fields = [f.attname for f in User._meta.concrete_fields]
    workspace_fields = [f.attname for f in Workspace._meta.concrete_fields]
    columns = [
        f"t.{q('id')}", f"t.{q('last_used_at')}", f"m.{q('role')}",
        *(f"u.{q(str(f.column))}" for f in User._meta.concrete_fields),
        *(f"w.{q(str(f.column))}" for f in Workspace._meta.concrete_fields),
    ]  # fmt: skip
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(ApiToken._meta.db_table)} t "  # noqa: S608 - quoted model names only; values are parameters
        f"JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')} "
        f"JOIN {q(Workspace._meta.db_table)} w ON w.{q('id')} = t.{q('workspace_id')} "
        f"JOIN {q(Membership._meta.db_table)} m "
        f"ON m.{q('user_id')} = t.{q('user_id')} AND m.{q('workspace_id')} = t.{q('workspace_id')} "
        f"WHERE t.{q('token_hash')} = %s AND t.{q('revoked_at')} IS NULL AND u.{q('is_active')} = %s"
    )
    return sql, user_fields, workspace_fields


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token for a secret, with its user and workspace; records when it was last used.

    A token stops working when it is revoked, when its user is deactivated and when its user is
    no longer a member of the token's workspace."""
    if not raw.startswith(ApiToken.PREFIX):
        return None
    sql, user_fields, workspace_fields = _token_lookup_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [hash_token(raw), True])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, last_used_at, role = row[:3]
    user = instance_from_row(User, user_fields, row[3 : 3 + len(user_fields)])
    workspace = instance_from_row(Workspace, workspace_fields, row[3 + len(user_fields) :])
    token_fields = ["id", "user_id", "workspace_id", "last_used_at"]
    token = instance_from_row(ApiToken, token_fields, [token_id, user.pk, workspace.pk, last_used_at])
    token.user, token.workspace = user, workspace
    # A token acts only in its own workspace, so that is the only role its requests may use, and
    # permissions need no further query.
    user._headway_roles = {workspace.pk: role}
    now = timezone.now()
    # Write at most once a minute so a busy script does not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

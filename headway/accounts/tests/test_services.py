"""Accounts services: creating people, profiles, passwords, the sign-in lock-out and API tokens."""

import datetime as dt
import hashlib
import re

import pytest
from django.conf import settings

from headway.accounts import services
from headway.accounts.models import ApiToken, LoginFailure, PasswordResetRequest, User
from headway.accounts.tests.factories import PASSWORD, UserFactory
from headway.core.errors import NotFound, RateLimited, ValidationFailed
from headway.core.models import AuditEvent
from headway.workspaces.models import Membership

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-ins. Sign-in is locked for about 15 minutes; try again later or reset your password."


# --- user_create ----------------------------------------------------------------------------


def test_user_create_normalises_email_and_name():
    user = services.user_create(
        email="  Grace.Hopper@Example.COM ", password="navy-cobol-1906", full_name="  Grace Hopper ", time_zone="UTC"
    )
    user.refresh_from_db()
    assert (user.email, user.full_name, user.time_zone) == ("grace.hopper@example.com", "Grace Hopper", "UTC")
    assert user.check_password("navy-cobol-1906") is True
    assert user.is_active is True


def test_user_create_without_password_makes_an_account_that_cannot_sign_in():
    user = services.user_create(email="nopass@example.com", password=None)
    assert user.has_usable_password() is False


def test_user_create_refuses_an_existing_email_whatever_its_case():
    UserFactory(email="ada@example.com")
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(email="ADA@example.com", password="correct-horse-battery-9")
    assert exc.value.message == "email: An account with ada@example.com exists already."
    assert exc.value.fields == {"email": ["An account with this email exists already."]}
    assert User.objects.count() == 1


def test_user_create_rejects_a_bad_email_and_time_zone_naming_the_fields():
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(email="not-an-email", password="correct-horse-battery-9", time_zone="Mars/Base")
    assert exc.value.fields == {
        "email": ["Enter a valid email address."],
        "time_zone": ["Value 'Mars/Base' is not a valid choice."],
    }
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "This password is too short. It must contain at least 10 characters."),
        ("1234567890123", "This password is entirely numeric."),
        ("password123", "This password is too common."),
    ],
)
def test_user_create_rejects_a_weak_password_under_the_password_field(password, reason):
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(email="weak@example.com", password=password)
    assert reason in exc.value.fields["password"]
    assert exc.value.message == f"password: {exc.value.fields['password'][0]}"
    assert list(exc.value.fields) == ["password"]
    assert User.objects.count() == 0


# --- profile_update -------------------------------------------------------------------------


def test_profile_update_saves_and_audits_the_diff(admin):
    services.profile_update(actor=admin, full_name="  Ada Lovelace ", time_zone="Europe/Berlin")
    admin.refresh_from_db()
    assert (admin.full_name, admin.time_zone) == ("Ada Lovelace", "Europe/Berlin")
    event = AuditEvent.objects.get()
    assert (event.action, event.workspace_id, event.actor_id) == ("user.update", None, admin.pk)
    assert (event.target_type, event.target_id) == ("accounts.user", admin.pk)
    assert event.changes == {"full_name": ["Ada Admin", "Ada Lovelace"], "time_zone": ["UTC", "Europe/Berlin"]}


def test_profile_update_records_only_the_fields_that_moved(admin):
    services.profile_update(actor=admin, full_name="Ada Admin", time_zone="Asia/Tokyo")
    assert AuditEvent.objects.get().changes == {"time_zone": ["UTC", "Asia/Tokyo"]}


def test_profile_update_without_change_records_nothing(admin):
    services.profile_update(actor=admin, full_name="Ada Admin", time_zone="UTC")
    assert AuditEvent.objects.count() == 0


def test_profile_update_rejects_an_unknown_time_zone_and_changes_nothing(admin):
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(actor=admin, full_name="Someone Else", time_zone="Mars/Base")
    assert exc.value.fields == {"time_zone": ["Value 'Mars/Base' is not a valid choice."]}
    # The in-memory user (request.user in a view) is restored, and the row is untouched.
    assert (admin.full_name, admin.time_zone) == ("Ada Admin", "UTC")
    admin.refresh_from_db()
    assert (admin.full_name, admin.time_zone) == ("Ada Admin", "UTC")
    assert AuditEvent.objects.count() == 0


# --- passwords ------------------------------------------------------------------------------


def test_password_change_with_the_right_old_password(admin):
    LoginFailure.objects.create(email=admin.email, ip_address="10.0.0.1")
    services.password_change(actor=admin, old_password=PASSWORD, new_password="a-much-better-secret-42")
    admin.refresh_from_db()
    assert admin.check_password("a-much-better-secret-42") is True
    assert admin.check_password(PASSWORD) is False
    assert LoginFailure.objects.count() == 0
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.target_id, event.changes) == (
        "user.password_change",
        admin.pk,
        admin.pk,
        {},
    )


def test_password_change_with_a_wrong_old_password_changes_nothing(admin):
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(actor=admin, old_password="not it", new_password="a-much-better-secret-42")
    assert exc.value.message == "Your current password is not correct."
    assert exc.value.fields == {"old_password": ["Not correct."]}
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD) is True
    assert AuditEvent.objects.count() == 0


def test_password_change_to_a_weak_password_changes_nothing(admin):
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(actor=admin, old_password=PASSWORD, new_password="Zq8#v")
    assert exc.value.fields == {"new_password": ["This password is too short. It must contain at least 10 characters."]}
    assert exc.value.message == "new_password: This password is too short. It must contain at least 10 characters."
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD) is True


def test_password_change_reports_both_problems_at_once(admin):
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(actor=admin, old_password="not it", new_password="Zq8#v")
    assert exc.value.message == "Your current password is not correct."
    assert exc.value.fields == {
        "old_password": ["Not correct."],
        "new_password": ["This password is too short. It must contain at least 10 characters."],
    }


def test_password_change_refuses_a_password_like_the_email(member):
    user = member("viewer", email="margaret.hamilton@example.com", full_name="Margaret Hamilton")
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(actor=user, old_password=PASSWORD, new_password="margaret.hamilton")
    assert exc.value.fields == {"new_password": ["The password is too similar to the email."]}


# --- sign-in lock-out -----------------------------------------------------------------------


def _fail(n: int, email: str = "ada@example.com", ip: str | None = "10.0.0.1") -> None:
    for _ in range(n):
        services.login_failure_record(email=email, ip_address=ip)


def test_failures_below_the_limit_do_not_lock(clock):
    _fail(settings.HEADWAY_LOGIN_MAX_FAILURES - 1)
    assert services.login_lockout_remaining(email="ada@example.com", ip_address="10.0.0.1") == 0
    services.login_check_allowed(email="ada@example.com", ip_address="10.0.0.1")


def test_the_limit_locks_the_email_for_the_whole_window_with_a_clear_message(clock):
    assert settings.HEADWAY_LOGIN_MAX_FAILURES == 5
    assert settings.HEADWAY_LOGIN_LOCKOUT_SECONDS == 900
    _fail(4)
    clock.advance(minutes=10)  # the failures may be spread out: the lock starts at the last one
    _fail(1)
    assert services.login_lockout_remaining(email="ada@example.com", ip_address=None) == 901
    with pytest.raises(RateLimited) as exc:
        services.login_check_allowed(email="ada@example.com", ip_address=None)
    assert exc.value.message == LOCKED
    assert exc.value.status == 429

    clock.advance(minutes=14)
    with pytest.raises(RateLimited) as exc:
        services.login_check_allowed(email="Ada@Example.com", ip_address=None)
    assert exc.value.message == (
        "Too many failed sign-ins. Sign-in is locked for about 1 minute; try again later or reset your password."
    )

    clock.advance(seconds=60)
    assert services.login_lockout_remaining(email="ada@example.com", ip_address=None) == 0
    services.login_check_allowed(email="ada@example.com", ip_address=None)


def test_lock_is_per_email_and_case_insensitive(clock):
    _fail(5, email="  ADA@example.com", ip=None)
    assert set(LoginFailure.objects.values_list("email", flat=True)) == {"ada@example.com"}
    with pytest.raises(RateLimited):
        services.login_check_allowed(email="ada@example.com", ip_address="10.9.9.9")
    services.login_check_allowed(email="grace@example.com", ip_address="10.9.9.9")


def test_one_address_gets_four_times_the_failures_before_it_is_locked(clock):
    for n in range(19):
        services.login_failure_record(email=f"guess{n}@example.com", ip_address="203.0.113.7")
    services.login_check_allowed(email="new@example.com", ip_address="203.0.113.7")
    services.login_failure_record(email="guess19@example.com", ip_address="203.0.113.7")
    with pytest.raises(RateLimited) as exc:
        services.login_check_allowed(email="new@example.com", ip_address="203.0.113.7")
    assert exc.value.message == LOCKED
    services.login_check_allowed(email="new@example.com", ip_address="198.51.100.1")


def test_a_successful_sign_in_clears_that_emails_failures_only(clock, admin):
    _fail(4, email="ADMIN@example.com")
    _fail(2, email="someone@example.com")
    services.login_success_record(user=admin)
    assert list(LoginFailure.objects.values_list("email", flat=True).distinct()) == ["someone@example.com"]
    assert LoginFailure.objects.count() == 2


def test_failures_older_than_two_windows_are_pruned(clock):
    _fail(3)
    clock.advance(seconds=1800)
    _fail(1, email="grace@example.com")
    assert LoginFailure.objects.count() == 4
    clock.advance(seconds=1)
    _fail(1, email="grace@example.com")
    assert list(LoginFailure.objects.values_list("email", flat=True)) == ["grace@example.com"] * 2


def test_failures_spread_over_more_than_a_window_do_not_lock(clock):
    _fail(4)
    clock.advance(minutes=16)
    _fail(1)
    assert services.login_lockout_remaining(email="ada@example.com", ip_address="10.0.0.1") == 0
    _fail(3)  # the 4 failures in the last 15 minutes plus this one make 5 in one window
    assert services.login_lockout_remaining(email="ada@example.com", ip_address="10.0.0.1") == 0
    _fail(1)
    assert services.login_lockout_remaining(email="ada@example.com", ip_address="10.0.0.1") == 901


def test_a_lock_is_not_lifted_early_by_pruning(clock):
    _fail(4)
    clock.advance(minutes=14)
    _fail(1)  # locked until minute 29
    clock.advance(minutes=2)
    _fail(1, email="grace@example.com", ip=None)  # prunes, but must keep ada's failures
    assert services.login_lockout_remaining(email="ada@example.com", ip_address=None) == 13 * 60 + 1


# --- password reset requests ----------------------------------------------------------------


def test_password_reset_requests_are_limited_per_email(clock):
    for _ in range(5):
        services.password_reset_request_record(email="ada@example.com", ip_address="10.0.0.1")
    with pytest.raises(RateLimited) as exc:
        services.password_reset_request_record(email="ADA@example.com", ip_address="10.0.0.2")
    assert exc.value.message == (
        "Too many password reset requests. Try again in about 60 minutes, "
        "or use the link in the last email you received."
    )
    assert PasswordResetRequest.objects.count() == 5  # a refused request is not counted
    services.password_reset_request_record(email="grace@example.com", ip_address="10.0.0.2")
    clock.advance(minutes=60, seconds=1)
    services.password_reset_request_record(email="ada@example.com", ip_address="10.0.0.1")
    clock.advance(minutes=60)
    services.password_reset_request_record(email="ada@example.com", ip_address="10.0.0.1")
    # Rows older than two windows were pruned when the last one was recorded.
    assert PasswordResetRequest.objects.count() == 2


def test_password_reset_requests_are_limited_per_address(clock):
    for n in range(20):
        services.password_reset_request_record(email=f"p{n}@example.com", ip_address="10.0.0.1")
    with pytest.raises(RateLimited):
        services.password_reset_request_record(email="fresh@example.com", ip_address="10.0.0.1")
    services.password_reset_request_record(email="fresh@example.com", ip_address="10.0.0.2")


def test_password_reset_limit_follows_settings(clock, settings):
    settings.HEADWAY_PASSWORD_RESET_MAX_REQUESTS = 2
    settings.HEADWAY_PASSWORD_RESET_WINDOW_SECONDS = 600
    services.password_reset_request_record(email="ada@example.com", ip_address=None)
    services.password_reset_request_record(email="ada@example.com", ip_address=None)
    with pytest.raises(RateLimited, match="about 10 minutes"):
        services.password_reset_request_record(email="ada@example.com", ip_address=None)


# --- API tokens -----------------------------------------------------------------------------


def test_api_token_create_returns_the_secret_once_and_stores_only_its_hash(admin, workspace):
    token, raw = services.api_token_create(actor=admin, workspace=workspace, name="  CRM sync ")
    assert raw.startswith("hw_")
    assert len(raw) == 3 + 43  # hw_ + 32 random bytes in url-safe base64
    token.refresh_from_db()
    assert token.name == "CRM sync"
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.token_prefix == raw[:10]
    assert (token.user_id, token.workspace_id, token.last_used_at, token.revoked_at) == (
        admin.pk,
        workspace.pk,
        None,
        None,
    )
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert raw not in stored
    event = AuditEvent.objects.get()
    assert (event.action, event.workspace_id, event.target_id, event.target_repr) == (
        "api_token.create",
        workspace.pk,
        token.pk,
        f"CRM sync ({raw[:10]}…)",
    )


def test_api_token_create_makes_a_different_secret_each_time(admin, workspace):
    _, first = services.api_token_create(actor=admin, workspace=workspace, name="a")
    _, second = services.api_token_create(actor=admin, workspace=workspace, name="a")
    assert first != second


@pytest.mark.parametrize(
    ("name", "fields"),
    [("", {"name": ["This field is required."]}), ("   ", {"name": ["This field is required."]}),
     ("x" * 101, {"name": ["At most 100 characters."]})],
)  # fmt: skip
def test_api_token_create_needs_a_name(admin, workspace, name, fields):
    with pytest.raises(ValidationFailed) as exc:
        services.api_token_create(actor=admin, workspace=workspace, name=name)
    assert exc.value.fields == fields
    assert ApiToken.objects.count() == 0


def test_api_token_create_only_in_a_workspace_of_ones_own(outsider, workspace):
    with pytest.raises(NotFound):
        services.api_token_create(actor=outsider, workspace=workspace, name="sneaky")
    assert ApiToken.objects.count() == 0


def test_every_role_may_create_a_token(viewer, workspace):
    token, _ = services.api_token_create(actor=viewer, workspace=workspace, name="report script")
    assert token.user_id == viewer.pk


def test_api_token_revoke(clock, admin, workspace):
    token, raw = services.api_token_create(actor=admin, workspace=workspace, name="old")
    clock.advance(hours=1)
    revoked = services.api_token_revoke(actor=admin, token_id=token.pk)
    assert revoked.revoked_at == clock.now
    token.refresh_from_db()
    assert token.revoked_at == clock.now
    assert token.is_active is False
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "api_token.create",
        "api_token.revoke",
    ]
    # Revoking again is harmless and not recorded twice.
    clock.advance(hours=1)
    assert services.api_token_revoke(actor=admin, token_id=token.pk).revoked_at == token.revoked_at
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1
    assert services.api_token_authenticate(raw=raw) is None


def test_api_token_revoke_someone_elses_token_is_not_found(admin, leader, workspace):
    token, _ = services.api_token_create(actor=admin, workspace=workspace, name="mine")
    with pytest.raises(NotFound, match=re.escape("No such token.")):
        services.api_token_revoke(actor=leader, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_api_token_authenticate_returns_the_token_with_user_and_workspace(clock, admin, workspace):
    token, raw = services.api_token_create(actor=admin, workspace=workspace, name="t")
    found = services.api_token_authenticate(raw=raw)
    assert found.pk == token.pk
    assert (found.user, found.workspace) == (admin, workspace)
    assert found.last_used_at == clock.now
    token.refresh_from_db()
    assert token.last_used_at == clock.now


def test_api_token_authenticate_writes_last_used_at_most_once_a_minute(
    clock, admin, workspace, django_assert_num_queries
):
    token, raw = services.api_token_create(actor=admin, workspace=workspace, name="t")
    first_use = clock.now
    with django_assert_num_queries(2):  # read + update
        services.api_token_authenticate(raw=raw)
    clock.advance(seconds=59)
    with django_assert_num_queries(1):  # read only
        assert services.api_token_authenticate(raw=raw).last_used_at == first_use
    token.refresh_from_db()
    assert token.last_used_at == first_use
    clock.advance(seconds=2)
    with django_assert_num_queries(2):
        services.api_token_authenticate(raw=raw)
    token.refresh_from_db()
    assert token.last_used_at == first_use + dt.timedelta(seconds=61)


def test_api_token_authenticate_rejects_unknown_and_malformed_secrets(admin, workspace, django_assert_num_queries):
    _, raw = services.api_token_create(actor=admin, workspace=workspace, name="t")
    assert services.api_token_authenticate(raw=raw + "x") is None
    assert services.api_token_authenticate(raw="hw_nope") is None
    with django_assert_num_queries(0):
        assert services.api_token_authenticate(raw=raw[3:]) is None
        assert services.api_token_authenticate(raw="") is None


def test_api_token_authenticate_rejects_revoked_tokens(admin, workspace):
    token, raw = services.api_token_create(actor=admin, workspace=workspace, name="t")
    services.api_token_revoke(actor=admin, token_id=token.pk)
    assert services.api_token_authenticate(raw=raw) is None
    token.refresh_from_db()
    assert token.last_used_at is None


def test_api_token_authenticate_rejects_tokens_of_people_who_left_the_workspace(
    admin, leader, workspace, other_workspace
):
    Membership.objects.create(workspace=other_workspace, user=leader, role="viewer")
    _, raw = services.api_token_create(actor=leader, workspace=workspace, name="t")
    _, other_raw = services.api_token_create(actor=leader, workspace=other_workspace, name="t")
    Membership.objects.filter(user=leader, workspace=workspace).delete()
    assert services.api_token_authenticate(raw=raw) is None
    # Their token for the workspace they are still in keeps working.
    assert services.api_token_authenticate(raw=other_raw).workspace == other_workspace


def test_api_token_authenticate_rejects_deactivated_people(admin, workspace):
    _, raw = services.api_token_create(actor=admin, workspace=workspace, name="t")
    User.objects.filter(pk=admin.pk).update(is_active=False)
    assert services.api_token_authenticate(raw=raw) is None

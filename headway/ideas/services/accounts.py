"""Portal people: sign-up, joining another portal, email verification, and the team's changes to them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from headway.accounts.models import User
from headway.accounts.services import user_create
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from headway.core.permissions import Action
from headway.core.tasks import email_after_commit
from headway.customers.models import Company, Contact
from headway.ideas import ratelimit
from headway.ideas.models import Audience, Portal, PortalAccount, Visibility
from headway.ideas.services._common import UNSET, field_error, now, resolve_company, resolve_contact

VERIFY_SALT = "headway.portal.verify"
VERIFY_MAX_AGE = 3 * 24 * 3600  # three days


def _link(workspace_id: int, email: str) -> tuple[Contact | None, Company | None]:
    """The customer contact with this email, else the company owning the email's domain."""
    email = email.strip().lower()
    contact = (
        Contact.objects.filter(workspace_id=workspace_id, email__iexact=email, archived_at__isnull=True)
        .select_related("company")
        .first()
    )
    if contact is not None:
        return contact, contact.company
    domain = email.rpartition("@")[2]
    company = Company.objects.filter(workspace_id=workspace_id, domain=domain).exclude(domain="").first()
    return None, company


def _open_for(portal: Portal, email: str) -> None:
    if portal.archived_at is not None:
        raise NotFound("No such portal, or it is not open to you.")
    if portal.visibility == Visibility.INTERNAL:
        raise PermissionDenied(
            "This portal is for the team only: sign in with your workspace account instead of signing up."
        )
    if portal.visibility == Visibility.PRIVATE and not permissions.portal_email_allowed(portal, email):
        raise PermissionDenied(
            "This portal is open to invited people only. Ask the team for an invitation, or use your work email."
        )


def _new_account(portal: Portal, user: User, *, verified: bool) -> PortalAccount:
    contact, company = _link(portal.workspace_id, user.email)
    return PortalAccount.objects.create(
        workspace_id=portal.workspace_id,
        portal=portal,
        user=user,
        audience=Audience.CUSTOMER,
        contact=contact,
        company=company,
        email_verified_at=now() if verified else None,
    )


@transaction.atomic
def portal_signup(
    *, portal: Portal, email: str, password: str, full_name: str = "", ip_address: str | None = None
) -> PortalAccount:
    """A new person in the portal: an account (unverified until they follow the emailed link),
    linked to the customer contact with their email, else to the company of their email domain."""
    if not isinstance(email, str) or not email.strip():
        raise field_error(ValidationFailed, "email", "Enter your email address.")
    email = email.strip().lower()
    _open_for(portal, email)
    if User.objects.filter(email__iexact=email).exists():
        raise field_error(
            Conflict, "email", "An account with this email exists already. Sign in instead, then join this portal."
        )
    ratelimit.check(ratelimit.SIGNUP_IP, ip_address)
    user = user_create(email=email, password=password, full_name=full_name if isinstance(full_name, str) else "")
    account = _new_account(portal, user, verified=False)
    _send(account)
    return account


@transaction.atomic
def portal_join(*, portal: Portal, user: Any) -> PortalAccount:
    """A signed-in person (from another portal, say) joins this one. Verified at once when they
    confirmed their email in another portal of the same workspace; otherwise a link is emailed."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied("Sign in first.")
    _open_for(portal, user.email)
    if permissions.is_member(user, portal.workspace_id):
        raise Conflict("You are a member of this workspace: you take part with your workspace account as it is.")
    existing = PortalAccount.objects.filter(portal=portal, user_id=user.pk).first()
    if existing is not None:
        return existing
    verified = PortalAccount.objects.filter(
        workspace_id=portal.workspace_id, user_id=user.pk, email_verified_at__isnull=False
    ).exists()
    try:
        with transaction.atomic():
            account = _new_account(portal, user, verified=verified)
    except IntegrityError:  # joined at the same moment in another tab
        return PortalAccount.objects.get(portal=portal, user_id=user.pk)
    if not verified:
        _send(account)
    return account


def portal_verification_token(account: PortalAccount) -> str:
    """A signed link token for this account and its email (valid three days)."""
    return signing.dumps({"a": account.pk, "e": account.user.email.lower()}, salt=VERIFY_SALT, compress=True)


def _send(account: PortalAccount) -> None:
    portal = account.portal
    token = portal_verification_token(account)
    link = settings.HEADWAY_BASE_URL + reverse("portal:verify", kwargs={"portal": portal.slug, "token": token})
    email_after_commit(
        to=[account.user.email],
        subject=f"Confirm your email for {portal.name}",
        body=(
            f"Hello{' ' + account.user.full_name if account.user.full_name else ''},\n\n"
            f"Confirm your email address to submit ideas, vote and comment in {portal.name}:\n\n"
            f"{link}\n\n"
            "The link works for three days. If you did not sign up, ignore this email.\n"
        ),
    )


@transaction.atomic
def portal_verification_send(*, account: PortalAccount, ip_address: str | None = None) -> None:
    """Email the confirmation link again (a few times an hour at most); nothing when confirmed."""
    if account.email_verified_at is not None:
        return
    ratelimit.check(ratelimit.VERIFY_SEND, f"account:{account.pk}")
    ratelimit.check(ratelimit.SIGNUP_IP, ip_address)
    _send(account)


@transaction.atomic
def portal_verify(*, portal: Portal, token: str) -> PortalAccount:
    """Confirm the email of the account the token names; a second click changes nothing."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise field_error(ValidationFailed, "token", "This link has expired. Sign in and ask for a new one.") from None
    except (signing.BadSignature, TypeError, ValueError):
        raise field_error(
            ValidationFailed, "token", "This link is not valid. Check that you copied all of it."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        raise field_error(ValidationFailed, "token", "This link is not valid. Check that you copied all of it.")
    account = (
        PortalAccount.objects.select_for_update()
        .select_related("user", "portal")
        .filter(pk=data["a"], portal=portal)
        .first()
    )
    if account is None or account.user.email.lower() != str(data.get("e", "")).lower():
        raise field_error(ValidationFailed, "token", "This link is not valid for this portal any more.")
    if account.email_verified_at is None:
        account.email_verified_at = now()
        account.save(update_fields=["email_verified_at", "updated_at"])
    return account


ACCOUNT_FIELDS = ["audience", "contact", "company"]


@transaction.atomic
def portal_account_update(
    *,
    actor: Any,
    account: PortalAccount,
    audience: Any = UNSET,
    contact: Any = UNSET,
    company: Any = UNSET,
    blocked: Any = UNSET,
) -> PortalAccount:
    """The team sets who a portal person is (audience, contact, company), or blocks them."""
    workspace = account.portal.workspace
    permissions.require(actor, Action.PORTAL_MANAGE, workspace, account)
    before = snapshot(account, ACCOUNT_FIELDS) | {"blocked": account.blocked_at is not None}
    if audience is not UNSET:
        if audience not in Audience.values:
            raise field_error(ValidationFailed, "audience", f"Choose one of {', '.join(Audience.values)}.")
        account.audience = audience
    if contact is not UNSET:
        account.contact = resolve_contact(workspace.pk, contact)
        if account.contact is not None and company is UNSET:
            account.company = account.contact.company
    if company is not UNSET:
        account.company = resolve_company(workspace.pk, company)
    if account.contact is not None and account.company is not None and account.contact.company_id != account.company.pk:
        raise field_error(
            ValidationFailed, "contact", f"{account.contact.name} does not work at {account.company.name}."
        )
    if blocked is not UNSET:
        if not isinstance(blocked, bool):
            raise field_error(ValidationFailed, "blocked", "Give true or false.")
        if blocked and account.blocked_at is None:
            account.blocked_at = now()
        elif not blocked:
            account.blocked_at = None
    changes = diff(before, snapshot(account, ACCOUNT_FIELDS) | {"blocked": account.blocked_at is not None})
    if changes:
        account.save()
        audit_record(actor=actor, workspace=workspace, action="portal_account.update", target=account, changes=changes)
    return account

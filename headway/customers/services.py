"""Every write about customer companies and their contacts.

Inputs are normalised the same way whether they come from a form, the API or a CSV file:
text is stripped, domains and emails are lower-cased, currencies upper-cased. Nothing with
history is deleted: companies and contacts are archived and can be restored.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from headway.accounts.models import User
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.customers.counts import forget_counts
from headway.customers.models import Company, Contact
from headway.workspaces.models import Workspace

COMPANY_FIELDS = ["name", "domain", "segment", "tier", "arr", "currency", "health"]
CONTACT_FIELDS = ["name", "email", "role", "company"]

# Which database constraint stands for which field, and what to tell the person.
_UNIQUE_VIOLATIONS = [
    ("company_name_unique", "name", "A company with this name already exists in this workspace."),
    ("company_domain_unique", "domain", "Another company in this workspace already uses this domain."),
    ("customers_company.domain", "domain", "Another company in this workspace already uses this domain."),
    ("contact_email_unique", "email", "A contact with this email already exists in this workspace."),
]

# What Company.arr (14 digits, 2 of them decimals) holds.
ARR_MAX = Decimal("999999999999.99")

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def normalise_domain(value: Any) -> str:
    """ " HTTPS://Example.com/ " → "example.com": people paste addresses, the field wants a domain."""
    return _SCHEME.sub("", str(value or "").strip()).strip().lower().rstrip("/")


def parse_arr(value: Any) -> Decimal:
    """A non-negative amount with at most two decimals, from a Decimal, an int or a text such as "1200.50"."""
    if isinstance(value, bool):  # True is an int in Python; it is not an amount
        raise ValidationFailed("arr: Enter an amount, not true or false.", fields={"arr": ["Enter an amount."]})
    if isinstance(value, str):
        value = value.strip()
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValidationFailed(
            f"arr: “{value}” is not a number.", fields={"arr": [f"“{value}” is not a number."]}
        ) from exc
    if not amount.is_finite():
        raise ValidationFailed("arr: Enter a finite amount.", fields={"arr": ["Enter a finite amount."]})
    if amount < 0:
        raise ValidationFailed("arr: ARR cannot be negative.", fields={"arr": ["ARR cannot be negative."]})
    if amount > ARR_MAX:  # before quantize, which cannot give 1e308 two decimals (InvalidOperation)
        msg = f"ARR may be at most {ARR_MAX:,}."
        raise ValidationFailed(f"arr: {msg}", fields={"arr": [msg]})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("arr: Use at most 2 decimal places.", fields={"arr": ["Use at most 2 decimal places."]})
    return amount.quantize(Decimal("0.01"))


def _normalise_company(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in ("name", "segment", "tier", "health"):
        if name in out:
            out[name] = str(out[name] if out[name] is not None else "").strip()
    if "domain" in out:
        out["domain"] = normalise_domain(out["domain"])
    if "currency" in out:
        out["currency"] = str(out["currency"] or "").strip().upper()
    if "arr" in out:
        out["arr"] = parse_arr(out["arr"])
    return out


def _normalise_contact(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in ("name", "role"):
        if name in out:
            out[name] = str(out[name] if out[name] is not None else "").strip()
    if "email" in out:
        out["email"] = str(out["email"] or "").strip().lower()
    return out


def _check_fields(fields: dict[str, Any], allowed: list[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed(
            f"{unknown[0]}: Not a field that can be changed; use {', '.join(allowed)}.",
            fields={name: ["Not a field that can be changed."] for name in unknown},
        )


def _validate(instance: Company | Contact) -> None:
    try:
        # Uniqueness is left to the database (see _save) so two people saving at once cannot both pass.
        instance.full_clean(exclude=["workspace", "company"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


def _save(instance: Company | Contact, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as exc:
        text = str(exc)
        for marker, field, message in _UNIQUE_VIOLATIONS:
            if marker in text:  # a value someone else already holds: a conflict, not a malformed value
                raise Conflict(f"{field}: {message}", fields={field: [message]}) from exc
        raise


def _require_active(company: Company) -> None:
    if company.archived_at is not None:
        raise Conflict(
            f"“{company.name}” is archived; restore it first.",
            fields={"company": ["This company is archived; restore it first."]},
        )


# --- companies ------------------------------------------------------------------------------


@transaction.atomic
def company_create(
    *,
    actor: User,
    workspace: Workspace,
    name: str,
    domain: str = "",
    segment: str = "smb",
    tier: str = "standard",
    arr: Decimal | int | str = Decimal("0"),
    currency: str = "USD",
    health: str = "neutral",
) -> Company:
    """A new customer company in the workspace."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, workspace)
    values = _normalise_company(
        {
            "name": name,
            "domain": domain,
            "segment": segment,
            "tier": tier,
            "arr": arr,
            "currency": currency,
            "health": health,
        }
    )
    company = Company(workspace=workspace, **values)
    _validate(company)
    _save(company)
    forget_counts(workspace.pk)
    after = snapshot(company, COMPANY_FIELDS)
    audit_record(actor=actor, workspace=workspace, action="company.create", target=company, changes=diff({}, after))
    return company


@transaction.atomic
def company_update(*, actor: User, company: Company, **fields: Any) -> Company:
    """Change some of a company's fields; records old → new for each field that moved."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, company.workspace_id, obj=company)
    _check_fields(fields, COMPANY_FIELDS)
    company = Company.objects.select_for_update().get(pk=company.pk)
    _require_active(company)
    before = snapshot(company, COMPANY_FIELDS)
    for name, value in _normalise_company(fields).items():
        setattr(company, name, value)
    _validate(company)
    changes = diff(before, snapshot(company, COMPANY_FIELDS))
    if changes:
        _save(company, update_fields=[*changes, "updated_at"])
        forget_counts(company.workspace_id)
        audit_record(actor=actor, workspace=company.workspace, action="company.update", target=company, changes=changes)
    return company


@transaction.atomic
def company_archive(*, actor: User, company: Company) -> Company:
    """Hide a company from lists and pickers; its contacts and history stay. Archiving twice is a no-op."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, company.workspace_id, obj=company)
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.archived_at is None:
        company.archived_at = timezone.now()
        company.save(update_fields=["archived_at", "updated_at"])
        forget_counts(company.workspace_id)
        audit_record(
            actor=actor,
            workspace=company.workspace,
            action="company.archive",
            target=company,
            changes={"archived_at": [None, company.archived_at.isoformat()]},
        )
    return company


@transaction.atomic
def company_restore(*, actor: User, company: Company) -> Company:
    """Bring an archived company back. Restoring an active company is a no-op."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, company.workspace_id, obj=company)
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.archived_at is not None:
        old = company.archived_at.isoformat()
        company.archived_at = None
        company.save(update_fields=["archived_at", "updated_at"])
        forget_counts(company.workspace_id)
        audit_record(
            actor=actor,
            workspace=company.workspace,
            action="company.restore",
            target=company,
            changes={"archived_at": [old, None]},
        )
    return company


# --- contacts -------------------------------------------------------------------------------


def _check_company(company: Any, workspace_id: int) -> Company:
    if not isinstance(company, Company) or company.workspace_id != workspace_id:
        raise NotFound("No company matches that id in this workspace.", fields={"company": ["No such company."]})
    return company


@transaction.atomic
def contact_create(*, actor: User, company: Company, name: str, email: str, role: str = "") -> Contact:
    """A new person at a company."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, company.workspace_id, obj=company)
    _require_active(company)
    values = _normalise_contact({"name": name, "email": email, "role": role})
    contact = Contact(workspace_id=company.workspace_id, company=company, **values)
    _validate(contact)
    _save(contact)
    audit_record(
        actor=actor,
        workspace=company.workspace,
        action="contact.create",
        target=contact,
        changes=diff({}, snapshot(contact, CONTACT_FIELDS)),
    )
    return contact


@transaction.atomic
def contact_update(*, actor: User, contact: Contact, **fields: Any) -> Contact:
    """Change a contact's name, email, role, or move them to another company of the workspace."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, contact.workspace_id, obj=contact)
    _check_fields(fields, CONTACT_FIELDS)
    contact = Contact.objects.select_for_update().select_related("company").get(pk=contact.pk)
    if contact.archived_at is not None:
        raise Conflict(f"{contact.name} is archived; restore them first.")
    if "company" in fields:
        new_company = _check_company(fields["company"], contact.workspace_id)
        if new_company.pk != contact.company_id:
            _require_active(new_company)
    before = snapshot(contact, CONTACT_FIELDS)
    for name, value in _normalise_contact(fields).items():
        setattr(contact, name, value)
    _validate(contact)
    changes = diff(before, snapshot(contact, CONTACT_FIELDS))
    if changes:
        _save(contact, update_fields=[*changes, "updated_at"])
        audit_record(
            actor=actor, workspace=contact.company.workspace, action="contact.update", target=contact, changes=changes
        )
    return contact


@transaction.atomic
def contact_archive(*, actor: User, contact: Contact) -> Contact:
    permissions.require(actor, Action.CUSTOMER_MANAGE, contact.workspace_id, obj=contact)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.archived_at is None:
        contact.archived_at = timezone.now()
        contact.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            workspace=contact.workspace,
            action="contact.archive",
            target=contact,
            changes={"archived_at": [None, contact.archived_at.isoformat()]},
        )
    return contact


@transaction.atomic
def contact_restore(*, actor: User, contact: Contact) -> Contact:
    permissions.require(actor, Action.CUSTOMER_MANAGE, contact.workspace_id, obj=contact)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.archived_at is not None:
        old = contact.archived_at.isoformat()
        contact.archived_at = None
        contact.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            workspace=contact.workspace,
            action="contact.restore",
            target=contact,
            changes={"archived_at": [old, None]},
        )
    return contact

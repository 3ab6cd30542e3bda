"""Helpers shared by the ideas services: references, text limits, subscriptions, portal accounts."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from headway.backlog.services._common import (  # noqa: F401  (re-exported for the ideas services)
    UNSET,
    check_fields,
    clean,
    field_error,
    reverting,
    save,
    text,
)
from headway.core.errors import ValidationFailed
from headway.customers.models import Company, Contact
from headway.ideas.models import Idea, IdeaCategory, Importance, Portal, PortalAccount, Subscription
from headway.portfolio.models import Product

TITLE_MIN = 3
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
COMMENT_MAX = 20_000


def resolve(model: type[models.Model], value: Any, workspace_id: int, field: str, what: str) -> Any:
    """A ``model`` row of this workspace given as an instance or an id; None stays None.
    Another workspace's row is "not of this workspace" (never revealed as existing)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise field_error(ValidationFailed, field, f"Choose {what} of this workspace.")
    if isinstance(value, int):
        value = model._default_manager.filter(pk=value, workspace_id=workspace_id).first()
    if not isinstance(value, model) or getattr(value, "workspace_id", None) != workspace_id:
        raise field_error(ValidationFailed, field, f"Choose {what} of this workspace.")
    return value


def resolve_product(portal: Portal, value: Any) -> Product | None:
    """A product the portal covers (any product of the workspace when it covers none)."""
    product = resolve(Product, value, portal.workspace_id, "product", "a product")
    if product is None:
        return None
    covered = list(portal.portal_products.values_list("product_id", flat=True))
    if covered and product.pk not in covered:
        raise field_error(ValidationFailed, "product", f"This portal does not cover “{product.name}”.")
    return product


def resolve_category(workspace_id: int, value: Any) -> IdeaCategory | None:
    return resolve(IdeaCategory, value, workspace_id, "category", "a category")


def resolve_company(workspace_id: int, value: Any, field: str = "company") -> Company | None:
    return resolve(Company, value, workspace_id, field, "a company")


def resolve_contact(workspace_id: int, value: Any, field: str = "contact") -> Contact | None:
    return resolve(Contact, value, workspace_id, field, "a contact")


def check_title(value: Any) -> str:
    if not isinstance(value, str):
        raise field_error(ValidationFailed, "title", "Give a title.")
    title = value.strip()
    if len(title) < TITLE_MIN:
        raise field_error(ValidationFailed, "title", f"Use at least {TITLE_MIN} characters.")
    if len(title) > TITLE_MAX:
        raise field_error(ValidationFailed, "title", f"Use at most {TITLE_MAX} characters.")
    return title


def check_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise field_error(ValidationFailed, "description", "Give text.")
    description = value.strip()
    if len(description) > DESCRIPTION_MAX:
        raise field_error(ValidationFailed, "description", f"Use at most {DESCRIPTION_MAX:,} characters.")
    return description


def check_importance(value: Any) -> str:
    if value not in Importance.values:
        raise field_error(ValidationFailed, "importance", f"Choose one of {', '.join(Importance.values)}.")
    return str(value)


def account_of(user: Any, portal: Portal) -> PortalAccount | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return PortalAccount.objects.filter(portal=portal, user_id=user.pk).select_related("contact").first()


def account_company_id(account: PortalAccount | None) -> int | None:
    """The company a portal person votes for: their contact's company, else the account's company."""
    if account is None:
        return None
    if account.contact_id is not None and account.contact is not None:
        return account.contact.company_id
    return account.company_id


def subscribe(idea: Idea, *, reason: str, user: Any = None, contact: Contact | None = None) -> Subscription | None:
    """Follow the idea for this person (or contact) unless they unfollowed it before; returns the
    subscription when they follow it now."""
    lookup = {"user_id": user.pk} if user is not None else {"contact_id": contact.pk if contact else None}
    existing = Subscription.objects.filter(idea=idea, **lookup).first()
    if existing is not None:
        return existing if existing.unsubscribed_at is None else None
    try:
        with transaction.atomic():
            return Subscription.objects.create(workspace_id=idea.workspace_id, idea=idea, reason=reason, **lookup)
    except IntegrityError:  # subscribed at the same moment by another request
        found = Subscription.objects.filter(idea=idea, **lookup).first()
        return found if found is not None and found.unsubscribed_at is None else None


def now() -> Any:
    return timezone.now()

"""Portals, portal people and ideas for tests, made through the services where it matters."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from headway.accounts.tests.factories import UserFactory
from headway.ideas import services
from headway.ideas.models import Audience, Idea, Portal, PortalAccount

_seq = itertools.count(1)


def portal(actor: Any, workspace: Any, slug: str | None = None, **fields: Any) -> Portal:
    """A portal made by ``actor`` (a leader or admin of ``workspace``); public unless told."""
    n = next(_seq)
    slug = slug or f"portal-{n}"
    fields.setdefault("name", f"Portal {slug}")
    return services.portal_create(actor=actor, workspace=workspace, slug=slug, **fields)


def portal_user(
    portal: Portal,
    email: str | None = None,
    *,
    verified: bool = True,
    blocked: bool = False,
    audience: str = Audience.CUSTOMER,
    contact: Any = None,
    company: Any = None,
    **user_fields: Any,
) -> Any:
    """A person of the portal: a User with a PortalAccount (verified unless told otherwise)."""
    user: Any = UserFactory(email=email or f"customer{next(_seq)}@customer.example", **user_fields)
    PortalAccount.objects.create(
        workspace_id=portal.workspace_id,
        portal=portal,
        user=user,
        audience=audience,
        contact=contact,
        company=company or (contact.company if contact is not None else None),
        email_verified_at=timezone.now() if verified else None,
        blocked_at=timezone.now() if blocked else None,
    )
    return user


def account(user: Any, portal: Portal) -> PortalAccount:
    return PortalAccount.objects.get(user=user, portal=portal)


def idea(actor: Any, portal: Portal, title: str = "Export to CSV", **fields: Any) -> Idea:
    """An idea submitted by ``actor`` (a portal person or a member) through ``idea_create``."""
    return services.idea_create(actor=actor, portal=portal, title=title, **fields)


def fresh(idea: Idea) -> Idea:
    return Idea.objects.select_related("portal", "status", "workspace").get(pk=idea.pk)

"""Seed a database for tests that drive a real server (API fuzzing, two-process checks, benchmarks).

Creates (or reuses) one admin user, one workspace and a fresh API token through the services,
plus a little portfolio and customer data when those apps' services exist, and prints a JSON
object with everything a caller needs: ``{"email", "password", "workspace", "token"}``.

Run with the environment of the server it seeds (DATABASE_URL / HEADWAY_VAR_DIR), after
``manage.py migrate``:  ``python scripts/seed_api.py [--email E] [--password P] [--slug S]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _optional_services(app: str):
    """The app's services module, or None while that app has no services yet."""
    try:
        return importlib.import_module(f"headway.{app}.services")
    except ModuleNotFoundError:
        return None


def seed(*, email: str, password: str, slug: str) -> dict[str, str]:
    from django.db import transaction

    from headway.accounts.models import User
    from headway.accounts.services import api_token_create, user_create
    from headway.workspaces.models import Workspace
    from headway.workspaces.services import workspace_create

    with transaction.atomic():
        user = User.objects.filter(email=email).first() or user_create(
            email=email, password=password, full_name="Fuzz Admin"
        )
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            workspace = workspace_create(actor=user, name="Fuzz Workspace", slug=slug)
            _seed_domain(user, workspace)
        _, token = api_token_create(actor=user, workspace=workspace, name="seed")
    return {"email": email, "password": password, "workspace": workspace.slug, "token": token}


def _seed_domain(user, workspace) -> None:
    """A few rows per resource so GET/PATCH/DELETE operations have something to find."""
    portfolio = _optional_services("portfolio")
    if portfolio is not None and hasattr(portfolio, "product_line_create"):
        line = portfolio.product_line_create(actor=user, workspace=workspace, name="Payments")
        for i, key in enumerate(["PAY", "BILL"]):
            product = portfolio.product_create(
                actor=user, workspace=workspace, product_line=line, name=f"Product {i}", key=key, owner=user
            )
            if hasattr(portfolio, "component_create"):
                portfolio.component_create(actor=user, product=product, name="Core")
    customers = _optional_services("customers")
    if customers is not None and hasattr(customers, "company_create"):
        for i in range(3):
            company = customers.company_create(
                actor=user, workspace=workspace, name=f"Company {i}", domain=f"company{i}.example"
            )
            if hasattr(customers, "contact_create"):
                customers.contact_create(actor=user, company=company, name=f"Contact {i}", email=f"c{i}@example.com")
    ideas = _optional_services("ideas")
    if ideas is not None and hasattr(ideas, "portal_create"):
        portal = ideas.portal_create(actor=user, workspace=workspace, name="Fuzz ideas", slug=f"{workspace.slug}-ideas")
        for title in ("Export to CSV", "Dark mode", "Single sign-on"):
            ideas.idea_create(actor=user, portal=portal, title=title, description="Seeded for the API fuzzer.")
    _seed_insights(user, workspace)


def _seed_insights(user, workspace) -> None:
    """Feedback notes (enough for themes: at least ten), themes and a highlight, so the insights operations
    find rows."""
    try:
        from headway.insights.services.highlights import highlight_create
        from headway.insights.services.notes import note_create
        from headway.insights.services.themes import themes_recompute
    except ModuleNotFoundError:
        return
    from headway.ideas.models import Idea

    texts = [
        "Please add an export to CSV of the dashboard, our finance team needs it every week.",
        "The checkout page crashes on Safari when I apply a discount code.",
        "Dark mode would be lovely for the night shift.",
        "We need single sign-on with Okta before we can roll this out.",
        "Exporting reports to CSV takes forever with a year of data.",
        "Great product, support answered in minutes.",
        "CSV export of invoices would save our accountant a day every month.",
        "The app crashes when I open the reports page on my phone.",
        "Okta SSO is a must for our security team.",
        "We use the dashboard every Monday to check last week's revenue.",
        "Dark theme please, the white screen hurts at night.",
        "Checkout on Safari fails with a blank page after the discount code.",
    ]
    notes = [
        note_create(
            actor=user,
            workspace=workspace,
            text=text,
            source="api",
            channel="Fuzz support tool",
            external_ref=f"seed-{i}",
            customer_email=f"c{i % 3}@example.com",
        )
        for i, text in enumerate(texts)
    ]

    class _Quiet:
        def start(self, total: int) -> None: ...

        def advance(self, n: int = 1) -> None: ...

    themes_recompute(workspace=workspace, progress=_Quiet(), actor=user)
    idea = Idea.objects.filter(workspace=workspace).order_by("id").first()
    if idea is not None:
        quote = "Please add an export to CSV of the dashboard"
        highlight_create(actor=user, note=notes[0], start=0, end=len(quote), importance="important", idea=idea)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", default="fuzz@example.com")
    parser.add_argument("--password", default="fuzz-password-1234")
    parser.add_argument("--slug", default="fuzz")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    print(json.dumps(seed(email=args.email, password=args.password, slug=args.slug)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

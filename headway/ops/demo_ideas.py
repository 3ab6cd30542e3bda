"""The demo's ideas portal: customers of Northwind Software asking for things, voting and hearing back.

Built through the ideas services, like the rest of the demo: a public customer portal, a private
partner portal and an internal one; ideas from customer contacts (who can sign in to the portal
with the demo password), votes with importance, official and internal comments, status changes
with public messages, one merged duplicate, ideas linked to backlog features and one idea
waiting for approval. Random choices come from the demo's seeded generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from headway.accounts.models import User
from headway.customers.models import Contact
from headway.ops import Progress
from headway.workspaces.models import Workspace

# How many customer contacts get a portal account (they sign in with the demo password).
PORTAL_PEOPLE = 18

CATEGORIES = ["Integrations", "Reporting", "Usability", "Security", "Performance"]


@dataclass(frozen=True)
class DemoIdea:
    product: str
    category: str
    title: str
    description: str
    # Final status (by name), the public message that came with it, and how popular it is (0–1).
    status: str = "New"
    message: str = ""
    popularity: float = 0.3


IDEAS = [
    DemoIdea(
        "CHK",
        "Usability",
        "Apple Pay and Google Pay in the hosted checkout",
        "Half of our shoppers are on phones; typing a card number there loses us sales.",
        "Planned",
        "We are starting on wallets next quarter, Apple Pay first.",
        0.9,
    ),
    DemoIdea(
        "CHK",
        "Usability",
        "Save the cart when a payment fails",
        "When a card is declined the cart is emptied and customers give up.",
        "In progress",
        "A fix is being built: the cart will survive a declined payment.",
        0.6,
    ),
    DemoIdea(
        "CHK",
        "Integrations",
        "Buy now, pay later at checkout",
        "Klarna or Afterpay as a payment method would lift our average order value.",
        "Under review",
        "",
        0.7,
    ),
    DemoIdea(
        "CHK",
        "Usability",
        "Custom fields on the checkout page",
        "We need a PO number field for business buyers.",
        "Shipped",
        "Custom fields are live: add up to five under Checkout → Fields.",
        0.5,
    ),
    DemoIdea(
        "CHK",
        "Performance",
        "Faster checkout page on slow mobile networks",
        "The page takes 6 seconds on 3G in rural areas.",
        "New",
        "",
        0.3,
    ),
    DemoIdea(
        "BIL",
        "Usability",
        "Prorated upgrades in the middle of a billing period",
        "Customers who upgrade mid-month are charged the full month; they complain.",
        "Planned",
        "Proration is planned; it will apply to upgrades and downgrades.",
        0.8,
    ),
    DemoIdea(
        "BIL",
        "Integrations",
        "Sync invoices to QuickBooks Online",
        "Our finance team re-keys every invoice into QuickBooks.",
        "Under review",
        "",
        0.75,
    ),
    DemoIdea(
        "BIL",
        "Integrations",
        "Xero integration for invoices",
        "Same as QuickBooks but for Xero, which most of our UK entities use.",
        "New",
        "",
        0.4,
    ),
    DemoIdea(
        "BIL",
        "Usability",
        "Pause a subscription instead of cancelling",
        "Seasonal customers cancel in winter and we lose them; let them pause for 1–3 months.",
        "Shipped",
        "Subscriptions can now be paused for up to three months.",
        0.65,
    ),
    DemoIdea(
        "BIL",
        "Reporting",
        "Dunning emails in the customer's language",
        "Failed-payment reminders only go out in English.",
        "Declined",
        "We will not translate dunning emails ourselves; templates can now be overridden per locale "
        "through the API instead.",
        0.2,
    ),
    DemoIdea(
        "FRD",
        "Security",
        "Explain why a payment was blocked",
        "Our support team cannot tell customers why a payment was flagged.",
        "In progress",
        "Block reasons are coming to the dashboard and the API.",
        0.7,
    ),
    DemoIdea(
        "FRD",
        "Security",
        "Allow-list trusted customers",
        "Repeat B2B buyers get blocked by velocity rules.",
        "Planned",
        "",
        0.55,
    ),
    DemoIdea(
        "FRD",
        "Reporting",
        "Weekly fraud summary email",
        "A short weekly email with blocked amounts and false positives.",
        "New",
        "",
        0.25,
    ),
    DemoIdea(
        "INS",
        "Reporting",
        "Export any dashboard to PDF",
        "We present dashboards to our board; screenshots look unprofessional.",
        "Planned",
        "PDF export is planned for dashboards and single charts.",
        0.85,
    ),
    DemoIdea(
        "INS",
        "Reporting",
        "Schedule a dashboard by email every Monday",
        "Our managers want the numbers in their inbox, not another login.",
        "Under review",
        "",
        0.6,
    ),
    DemoIdea(
        "INS",
        "Usability",
        "Dark mode for dashboards",
        "Our operations room runs dashboards on wall screens all night.",
        "New",
        "",
        0.35,
    ),
    DemoIdea(
        "INS",
        "Performance",
        "Dashboards load slowly with a year of data",
        "Opening a 12-month view takes 20 seconds.",
        "In progress",
        "We are moving dashboards to pre-aggregated tables; expect a big speed-up.",
        0.5,
    ),
    DemoIdea(
        "RPT",
        "Reporting",
        "Custom columns in the transactions report",
        "We need the customer's VAT number and our internal order id as columns.",
        "Shipped",
        "Custom columns shipped in Reports → Transactions → Columns.",
        0.45,
    ),
    DemoIdea(
        "RPT",
        "Integrations",
        "Send reports to a Slack channel",
        "Post the daily sales report to #sales every morning.",
        "Planned",
        "",
        0.6,
    ),
    DemoIdea(
        "RPT",
        "Reporting",
        "Excel export keeps number formats",
        "Exported amounts arrive as text in Excel.",
        "New",
        "",
        0.3,
    ),
    DemoIdea(
        "FCST",
        "Reporting",
        "Forecast by product line",
        "The revenue forecast is only available for the whole company.",
        "Under review",
        "",
        0.5,
    ),
    DemoIdea(
        "FCST",
        "Usability",
        "Compare forecast with actuals on one chart",
        "Show last quarter's forecast next to what really happened.",
        "New",
        "",
        0.4,
    ),
    DemoIdea(
        "API",
        "Integrations",
        "Webhooks for refunds and disputes",
        "We poll the API every minute to catch disputes.",
        "In progress",
        "Refund and dispute webhooks are being built now.",
        0.75,
    ),
    DemoIdea(
        "API",
        "Integrations",
        "Official Python SDK",
        "A typed Python client would save every customer from writing their own.",
        "Planned",
        "",
        0.65,
    ),
    DemoIdea(
        "API",
        "Performance",
        "Higher API rate limits for enterprise plans",
        "We hit the 100 requests/second limit during sales events.",
        "Under review",
        "",
        0.45,
    ),
    DemoIdea(
        "API",
        "Integrations",
        "Sandbox with realistic test data",
        "The sandbox is empty; our developers spend days creating fake data.",
        "New",
        "",
        0.35,
    ),
    DemoIdea(
        "IDN",
        "Security",
        "Single sign-on with Okta",
        "Our security policy requires SSO for every tool.",
        "Shipped",
        "Okta SSO is live for every plan. Azure AD follows.",
        0.9,
    ),
    DemoIdea(
        "IDN",
        "Security",
        "Azure AD single sign-on",
        "We run Microsoft 365; SSO through Azure AD (Entra ID) please.",
        "Planned",
        "",
        0.7,
    ),
    DemoIdea(
        "IDN",
        "Security",
        "Audit log export for compliance",
        "Our auditors ask for a year of admin actions as CSV.",
        "New",
        "",
        0.5,
    ),
    DemoIdea(
        "IDN",
        "Security",
        "Enforce two-factor authentication for all users",
        "Admins should be able to require 2FA for everyone in the account.",
        "Under review",
        "",
        0.6,
    ),
]

# A second wording of an idea above, which the team merges into it (votes and followers move).
DUPLICATE = DemoIdea(
    "IDN", "Security", "SSO through Microsoft Entra ID",
    "We need to sign in with our Microsoft accounts.", "New", "", 0.3,
)  # fmt: skip
DUPLICATE_OF = "Azure AD single sign-on"

# Ideas the team links to the backlog feature with this title (when the demo backlog has it).
PUBLIC_COMMENTS = [
    "This would save us hours every week.",
    "Same here, we asked our account manager about this last month.",
    "+1, this is the main reason we are evaluating other tools.",
    "Would love this. Any idea when?",
    "We built a workaround with a spreadsheet, but it is fragile.",
]
INTERNAL_NOTES = [
    "Three enterprise renewals mention this; worth sizing properly.",
    "Engineering estimate from the last spike: about two sprints.",
    "Sales promised nothing here; keep expectations low.",
]


def _portal_people(workspace: Workspace, portal: Any, password_hash: str) -> list[User]:
    """Customer contacts with a verified portal account (sign-in with the demo password)."""
    from headway.ideas.models import PortalAccount

    contacts = list(
        Contact.objects.filter(workspace=workspace).select_related("company").order_by("company__name", "id")
    )
    people = []
    seen_companies: set[int] = set()
    for contact in contacts:
        if contact.company_id in seen_companies:
            continue
        seen_companies.add(contact.company_id)
        user = User.objects.filter(email__iexact=contact.email).first()
        if user is None:
            user = User.objects.create(email=contact.email.lower(), full_name=contact.name, password=password_hash)
        PortalAccount.objects.create(
            workspace=workspace,
            portal=portal,
            user=user,
            contact=contact,
            company=contact.company,
            email_verified_at=timezone.now(),
        )
        people.append(user)
        if len(people) == PORTAL_PEOPLE:
            break
    return people


def build_ideas(
    *,
    workspace: Workspace,
    users: dict[str, User],
    products: dict[str, Any],
    rng: random.Random,
    password_hash: str,
    progress: Progress,
) -> None:
    from headway.backlog.models import Feature
    from headway.ideas import services
    from headway.ideas.models import IdeaStatus, PortalAccount

    leader, pm, contributor = users["leader"], users["pm"], users["contributor"]
    services.idea_statuses_ensure(workspace=workspace)
    statuses = {s.name: s for s in IdeaStatus.objects.filter(workspace=workspace)}
    categories = {
        name: services.idea_category_create(actor=leader, workspace=workspace, name=name) for name in CATEGORIES
    }
    portal = services.portal_create(
        actor=leader,
        workspace=workspace,
        name="Northwind Ideas",
        slug="northwind",
        intro="Tell us what would make **Northwind** better for you. Vote for the ideas you need most; "
        "we read every one and tell you what becomes of it.",
        accent_color="#4f46e5",
        visibility="public",
        products=list(products.values()),
    )
    partners = services.portal_create(
        actor=leader,
        workspace=workspace,
        name="Partner Hub",
        slug="northwind-partners",
        intro="Ideas from our integration and reseller partners.",
        accent_color="#0f766e",
        visibility="private",
        allowed_domains="lumenlabs.io\nfjordlight.no",
        require_approval=True,
        products=[products["API"], products["IDN"]],
    )
    services.portal_create(
        actor=leader,
        workspace=workspace,
        name="Team ideas",
        slug="northwind-team",
        intro="Ideas from everyone at Northwind: sales, support, engineering.",
        accent_color="#b45309",
        visibility="internal",
    )
    people = _portal_people(workspace, portal, password_hash)
    members = [users[key] for key in ("leader", "pm", "pm2", "contributor", "viewer", "admin")]

    made = {}
    for number, spec in enumerate(progress([*IDEAS, DUPLICATE], "ideas", len(IDEAS) + 1)):
        author = people[number % len(people)]
        idea = services.idea_create(
            actor=author,
            portal=portal,
            title=spec.title,
            description=spec.description,
            product=products[spec.product],
            category=categories[spec.category],
            importance=rng.choice(["important", "critical"]),
        )
        voters = [p for p in people if p != author and rng.random() < spec.popularity]
        for voter in voters:
            services.vote_cast(
                actor=voter,
                idea=idea,
                importance=rng.choices(["nice_to_have", "important", "critical"], weights=[3, 5, 2])[0],
            )
        for member in members:
            if rng.random() < spec.popularity / 3:
                services.vote_cast(actor=member, idea=idea, importance="important")
        if spec.popularity >= 0.6:
            for commenter in rng.sample(voters, min(2, len(voters))):
                services.comment_add(actor=commenter, idea=idea, body=rng.choice(PUBLIC_COMMENTS))
            services.comment_add(actor=pm, idea=idea, body=rng.choice(INTERNAL_NOTES), internal=True)
        if spec.status != "New":
            services.idea_status_change(actor=pm, idea=idea, status=statuses[spec.status], message=spec.message)
        made[spec.title] = idea

    # A strategic customer's request taken on a sales call, with a proxy vote for another company.
    contact = Contact.objects.filter(workspace=workspace, company__tier="strategic").order_by("id").first()
    if contact is not None:
        on_behalf = services.idea_create(
            actor=contributor,
            portal=portal,
            title="Multi-currency settlement for marketplaces",
            description="Asked for on a renewal call: settle sellers in their own currency.",
            product=products["CHK"],
            category=categories["Integrations"],
            on_behalf_contact=contact,
            importance="critical",
        )
        other = Contact.objects.filter(workspace=workspace).exclude(company=contact.company).order_by("id").first()
        if other is not None:
            services.vote_proxy(actor=contributor, idea=on_behalf, company=other.company, importance="important")

    services.comment_add(
        actor=pm,
        idea=made["Apple Pay and Google Pay in the hosted checkout"],
        body="Thanks everyone: this is the most requested idea on the portal, and it is on the plan.",
    )
    services.idea_merge(actor=pm, source=made[DUPLICATE.title], target=made[DUPLICATE_OF])

    # Ideas the team traced to backlog features (the demo backlog's features by product).
    for title, product_key in [
        ("Apple Pay and Google Pay in the hosted checkout", "CHK"),
        ("Export any dashboard to PDF", "INS"),
        ("Webhooks for refunds and disputes", "API"),
    ]:
        feature = Feature.objects.filter(workspace=workspace, product=products[product_key]).order_by("rank").first()
        if feature is not None:
            services.idea_link_feature(actor=pm, idea=made[title], feature=feature)

    # A partner's idea on the moderated partner portal waits for approval.
    partner_contact = Contact.objects.filter(workspace=workspace, email__iendswith="@lumenlabs.io").first()
    if partner_contact is not None:
        partner = User.objects.filter(email__iexact=partner_contact.email).first() or User.objects.create(
            email=partner_contact.email.lower(), full_name=partner_contact.name, password=password_hash
        )
        PortalAccount.objects.create(
            workspace=workspace,
            portal=partners,
            user=partner,
            audience="partner",
            contact=partner_contact,
            company=partner_contact.company,
            email_verified_at=timezone.now(),
        )
        services.idea_create(
            actor=partner,
            portal=partners,
            title="Partner sandbox accounts that never expire",
            description="Our integration tests run against a sandbox that is deleted after 90 days.",
            product=products["API"],
            category=categories["Integrations"],
        )

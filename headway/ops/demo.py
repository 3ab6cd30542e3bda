"""The demo workspace: a believable product organisation, "Northwind Software", built through the services.

Everything is written by the same portfolio, customers, strategy and backlog services the web UI
and API use, so the demo also exercises validation and the audit trail. The content is fixed and
the few random choices come from a seeded generator: two runs produce the same portfolio, customers
and backlog. The strategy (visions, objectives, initiatives, ~150 features) is in ``demo_plan``;
its objectives are those of the previous and the current quarter, so they follow the calendar.
The ideas portal is in ``demo_ideas``, the insights inbox (feedback notes, themes, evidence) in
``demo_insights`` and the prioritization (scoring models, teams, a capacity plan) in
``demo_prioritization``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from headway.accounts.models import User
from headway.core.errors import Conflict
from headway.ops import Progress, no_progress
from headway.workspaces.models import Membership, Role, Workspace

DEMO_SLUG = "demo"
DEMO_NAME = "Northwind Software"
DEMO_PASSWORD = "headway-demo"
DEMO_EMAIL_DOMAIN = "demo.headway.local"
SEED = 20240917


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str
    title: str


DEMO_USERS = [
    DemoUser(f"admin@{DEMO_EMAIL_DOMAIN}", "Avery Stone", Role.ADMIN, "Head of Product Operations"),
    DemoUser(f"leader@{DEMO_EMAIL_DOMAIN}", "Jordan Blake", Role.LEADER, "VP of Product"),
    DemoUser(f"pm@{DEMO_EMAIL_DOMAIN}", "Priya Nair", Role.PM, "Senior Product Manager, Payments"),
    DemoUser(f"pm2@{DEMO_EMAIL_DOMAIN}", "Marco Rossi", Role.PM, "Product Manager, Analytics and Platform"),
    DemoUser(f"contributor@{DEMO_EMAIL_DOMAIN}", "Sam Okafor", Role.CONTRIBUTOR, "Engineering Manager"),
    DemoUser(f"viewer@{DEMO_EMAIL_DOMAIN}", "Dana Whitfield", Role.VIEWER, "Chief Revenue Officer"),
]

PRODUCT_LINES = [
    (
        "Payments",
        "Everything that moves money for our customers: **checkout**, recurring **billing** and fraud "
        "prevention.\n\nNorth-star metric: *payment volume processed per month*.",
    ),
    (
        "Analytics",
        "Turning our customers' data into decisions: dashboards, scheduled reports and forecasts.\n\n"
        "North-star metric: *weekly active analysts*.",
    ),
    (
        "Platform",
        "The shared foundation every product is built on: the public API, identity and access.\n\n"
        "North-star metric: *API calls served within SLO*.",
    ),
]

# (line, name, key, owner email prefix, stage, target customers, description, components)
PRODUCTS = [
    (
        "Payments",
        "Checkout",
        "CHK",
        "pm",
        "mature",
        "Online retailers and marketplaces with 1k–100k orders a month",
        "Hosted and embedded checkout that converts.\n\n"
        "- One-page checkout with saved cards and wallets\n"
        "- 40+ local payment methods\n"
        "- PCI DSS level 1, so merchants never touch card data",
        [
            ("Hosted payment page", "The redirect checkout merchants can launch in a day."),
            ("Embedded card form", "Drop-in fields rendered inside the merchant's own page."),
            ("Wallets", "Apple Pay, Google Pay and PayPal."),
            ("Local payment methods", "iDEAL, SEPA Direct Debit, Bancontact, BLIK and more."),
        ],
    ),
    (
        "Payments",
        "Billing",
        "BIL",
        "pm",
        "growth",
        "SaaS companies selling subscriptions, from seed stage to mid-market",
        "Recurring billing for subscription businesses.\n\n"
        "Plans, usage-based pricing, proration and dunning. **Revenue recognition** reports are the "
        "most requested addition from finance teams.",
        [
            ("Plans and pricing", "Flat, tiered, per-seat and usage-based price models."),
            ("Invoicing", "Invoices, credit notes and tax calculation."),
            ("Dunning", "Smart retries and reminder emails for failed payments."),
        ],
    ),
    (
        "Payments",
        "Fraud Shield",
        "FRD",
        "pm",
        "development",
        "High-risk merchants: ticketing, travel, digital goods",
        "Real-time fraud scoring for every payment.\n\n"
        "A gradient-boosted model scores each transaction in under 50 ms; merchants tune rules on top. "
        "Beta with five design partners.",
        [
            ("Risk scoring", "The model and its feature store."),
            ("Rules engine", "Merchant-defined allow, block and review rules."),
            ("Review queue", "Manual review for payments held by a rule."),
        ],
    ),
    (
        "Analytics",
        "Insights",
        "INS",
        "pm2",
        "growth",
        "Operations and finance teams at mid-market and enterprise customers",
        "Self-serve dashboards on top of our customers' transaction data.\n\n"
        "Drag-and-drop charts, saved views and **row-level security** for large teams.",
        [
            ("Dashboard builder", "Charts, filters and layouts."),
            ("Semantic layer", "Metric definitions shared by every dashboard."),
            ("Sharing and permissions", "Row-level security, public links and embeds."),
            ("Alerts", "Threshold and anomaly alerts by email and Slack."),
            ("Mobile app", "Read-only dashboards on iOS and Android."),
        ],
    ),
    (
        "Analytics",
        "Reports Studio",
        "RPT",
        "pm2",
        "sunset",
        "Existing customers on the legacy reporting plan",
        "Pixel-perfect scheduled PDF reports.\n\n"
        "Being replaced by scheduled exports in *Insights*; no new customers since January. "
        "End of life is planned for the end of next year.",
        [
            ("Report designer", "The legacy WYSIWYG designer."),
            ("Scheduler", "Cron-style delivery by email and SFTP."),
        ],
    ),
    (
        "Analytics",
        "Forecasting",
        "FCST",
        "pm2",
        "concept",
        "Finance leaders who plan cash flow and revenue",
        "Cash-flow and revenue forecasts from payment history.\n\n"
        "Discovery phase: 14 customer interviews done, prototype in testing with three customers.",
        [
            ("Forecast models", "Seasonal time-series models per merchant."),
            ("Scenario planner", "What-if changes to price, churn and volume."),
        ],
    ),
    (
        "Platform",
        "Developer API",
        "API",
        "pm2",
        "mature",
        "Developers at every customer, partners building integrations",
        "The public REST API and webhooks that every product exposes.\n\n"
        "Versioned, documented with OpenAPI, with SDKs for five languages.",
        [
            ("REST API gateway", "Routing, rate limits and API keys."),
            ("Webhooks", "Signed event delivery with retries."),
            ("SDKs", "Python, Node.js, Ruby, Java and Go."),
            ("Developer portal", "Docs, API explorer and changelog."),
        ],
    ),
    (
        "Platform",
        "Identity",
        "IDN",
        "pm",
        "development",
        "Enterprise IT and security teams",
        "Single sign-on, SCIM provisioning and audit logs across all products.\n\n"
        "A prerequisite for three strategic deals in the pipeline.",
        [
            ("Single sign-on", "SAML 2.0 and OpenID Connect."),
            ("SCIM provisioning", "Automatic user and group sync."),
            ("Audit log", "Tamper-evident log of admin actions."),
        ],
    ),
]

# (name, domain, home currency)
COMPANIES = [
    ("Alder & Finch Outfitters", "alderfinch.com", "USD"),
    ("Bluefin Freight", "bluefinfreight.com", "USD"),
    ("Brightwater Health", "brightwaterhealth.com", "USD"),
    ("Cobalt Ridge Energy", "cobaltridge.com", "CAD"),
    ("Copperleaf Coffee Roasters", "copperleaf.coffee", "USD"),
    ("Driftwood Travel", "driftwoodtravel.co.uk", "GBP"),
    ("Elm Street Books", "elmstreetbooks.com", "USD"),
    ("Emberline Games", "emberline.gg", "USD"),
    ("Fjordlight Studios", "fjordlight.no", "EUR"),
    ("Foxglove Pharmacy", "foxglovepharmacy.co.uk", "GBP"),
    ("Granite Peak Insurance", "granitepeak.com", "USD"),
    ("Greenhaven Grocers", "greenhaven.com", "USD"),
    ("Harborview Hotels", "harborviewhotels.com", "USD"),
    ("Helios Solar", "helios-solar.de", "EUR"),
    ("Ironbark Construction", "ironbark.com.au", "AUD"),
    ("Juniper Lane Apparel", "juniperlane.com", "USD"),
    ("Kestrel Aviation", "kestrelaviation.com", "USD"),
    ("Lakeside Learning", "lakesidelearning.org", "USD"),
    ("Lumen Labs", "lumenlabs.io", "USD"),
    ("Maple & Main Markets", "maplemain.ca", "CAD"),
    ("Meridian Bank", "meridianbank.com", "USD"),
    ("Nimbus Cloudworks", "nimbuscloudworks.io", "USD"),
    ("Northgate Logistics", "northgatelogistics.com", "USD"),
    ("Oakmont University", "oakmont.edu", "USD"),
    ("Orchid Beauty", "orchidbeauty.fr", "EUR"),
    ("Pinecrest Property Group", "pinecrestpg.com", "USD"),
    ("Quayside Fashion", "quaysidefashion.co.uk", "GBP"),
    ("Redwood Analytics", "redwoodanalytics.com", "USD"),
    ("Saffron Kitchen", "saffronkitchen.in", "USD"),
    ("Silverline Telecom", "silverlinetelecom.com", "USD"),
    ("Stonebridge Legal", "stonebridgelegal.com", "USD"),
    ("Summit Sports", "summitsports.com", "USD"),
    ("Tidewater Marine", "tidewatermarine.com", "USD"),
    ("Trellis HR", "trellishr.com", "USD"),
    ("Umbra Security", "umbrasecurity.io", "USD"),
    ("Vantage Car Rental", "vantagecarrental.de", "EUR"),
    ("Willowbrook City Council", "willowbrook.gov.uk", "GBP"),
    ("Wavecrest Media", "wavecrestmedia.com", "USD"),
    ("Yellowstone Outdoor", "yellowstoneoutdoor.com", "USD"),
    ("Zephyr Mobility", "zephyrmobility.nl", "EUR"),
]

SEGMENT_WEIGHTS = [("enterprise", 6), ("mid_market", 12), ("smb", 12), ("startup", 6), ("public_sector", 4)]
ARR_RANGES = {
    "enterprise": (250_000, 1_800_000),
    "mid_market": (60_000, 250_000),
    "smb": (6_000, 60_000),
    "startup": (3_000, 40_000),
    "public_sector": (80_000, 600_000),
}
HEALTH_WEIGHTS = [("healthy", 18), ("neutral", 12), ("at_risk", 7), ("churned", 3)]
FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sofia", "Mateo", "Aisha", "Lucas", "Hannah", "Ethan",
    "Chloe", "Daniel", "Mei", "Samuel", "Zara", "Leo", "Ingrid", "Ravi", "Nadia", "Tomás", "Grace", "Kenji",
    "Fatima", "Jonas", "Elena", "Owen", "Yuki", "Isaac",
]  # fmt: skip
LAST_NAMES = [
    "Andersen", "Brooks", "Carter", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Kowalski",
    "Larsen", "Moreau", "Nguyen", "Okoye", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga",
    "Walsh", "Xu", "Young", "Zimmermann",
]  # fmt: skip
CONTACT_ROLES = [
    "CTO", "VP Engineering", "Head of Finance", "Product Owner", "Payments Lead", "Data Analyst",
    "Procurement Manager", "Head of E-commerce", "IT Director", "Customer Success Lead",
]  # fmt: skip


def _weighted(rng: random.Random, weights: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weights], weights=[w for _, w in weights])[0]


def _company_rows(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for name, domain, currency in COMPANIES:
        segment = _weighted(rng, SEGMENT_WEIGHTS)
        low, high = ARR_RANGES[segment]
        arr = Decimal(rng.randrange(low, high, 500))
        tier = "strategic" if arr >= 500_000 else "key" if arr >= 120_000 else "standard"
        health = _weighted(rng, HEALTH_WEIGHTS)
        if health == "churned":
            arr = Decimal(0)
        contacts = []
        for first, last in rng.sample([(f, la) for f in FIRST_NAMES for la in LAST_NAMES], rng.randint(1, 4)):
            local = f"{first}.{last}".lower().replace("á", "a")
            contacts.append(
                {"name": f"{first} {last}", "email": f"{local}@{domain}", "role": rng.choice(CONTACT_ROLES)}
            )
        rows.append(
            {
                "company": {
                    "name": name,
                    "domain": domain,
                    "segment": segment,
                    "tier": tier,
                    "arr": arr,
                    "currency": currency,
                    "health": health,
                },
                "contacts": contacts,
            }
        )
    return rows


@dataclass
class DemoResult:
    workspace: Workspace
    created: bool
    users: list[DemoUser]
    replaced: bool = False  # an earlier demo workspace was deleted first (reset)
    password: str = DEMO_PASSWORD


def demo_workspace() -> Workspace | None:
    return Workspace.objects.filter(slug=DEMO_SLUG).first()


def _delete_demo(workspace: Workspace) -> None:
    from headway.ops.backup import workspace_delete_data

    if not workspace.is_demo:
        raise Conflict(f"The workspace with slug {DEMO_SLUG!r} is not the demo workspace; it is left untouched.")
    from headway.ideas.models import PortalAccount

    # The customers who signed in to the demo's portals, as they were before the data goes.
    portal_people = list(PortalAccount.objects.filter(workspace=workspace).values_list("user_id", flat=True))
    workspace_delete_data(workspace)
    # Demo people go too, unless someone made them a member of a real workspace in the meantime
    # (or, for portal people, they have an account in another workspace's portal).
    User.objects.filter(email__in=[u.email for u in DEMO_USERS], memberships__isnull=True).delete()
    User.objects.filter(pk__in=portal_people, memberships__isnull=True, portal_accounts__isnull=True).delete()


def _demo_users(progress: Progress) -> dict[str, User]:
    from headway.accounts.services import user_create

    # One hash for all: the slow password hasher then runs once, not six times.
    password_hash = make_password(DEMO_PASSWORD)
    users = {}
    for spec in progress(DEMO_USERS, "people", len(DEMO_USERS)):
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:  # an existing one (kept by a reset because it joined a real workspace) keeps its password
            user = user_create(email=spec.email, password=None, full_name=spec.full_name)
            user.password = password_hash
            user.save(update_fields=["password"])
        users[spec.email.split("@")[0]] = user
    return users


@transaction.atomic
def demo_create(*, reset: bool = False, progress: Progress = no_progress) -> DemoResult:
    """Create the demo workspace (or delete and recreate it with ``reset``).

    Without ``reset`` an existing demo workspace is left as it is and returned with ``created=False``.
    """
    from headway.customers.services import company_create, contact_create
    from headway.ops.demo_ideas import build_ideas
    from headway.ops.demo_insights import build_insights
    from headway.ops.demo_plan import build_strategy_and_backlog
    from headway.ops.demo_prioritization import build_prioritization
    from headway.ops.people import membership_ensure
    from headway.portfolio.services import component_create, product_create, product_line_create
    from headway.workspaces.services import workspace_create

    existing = demo_workspace()
    if existing is not None:
        if not reset:
            if not existing.is_demo:
                raise Conflict(f"A workspace with slug {DEMO_SLUG!r} exists and is not the demo workspace.")
            return DemoResult(workspace=existing, created=False, users=DEMO_USERS)
        _delete_demo(existing)

    rng = random.Random(SEED)
    users = _demo_users(progress)
    admin = users["admin"]
    workspace = workspace_create(actor=admin, name=DEMO_NAME, slug=DEMO_SLUG, is_demo=True)
    for spec in DEMO_USERS:
        membership = membership_ensure(user=users[spec.email.split("@")[0]], workspace=workspace, role=spec.role)
        if membership.title != spec.title:
            Membership.objects.filter(pk=membership.pk).update(title=spec.title)
    for user in users.values():
        User.objects.filter(pk=user.pk).update(last_workspace=workspace)

    lines = {}
    products = {}
    for name, description in PRODUCT_LINES:
        lines[name] = product_line_create(actor=admin, workspace=workspace, name=name, description=description)
    for line, name, key, owner, stage, target, description, components in progress(
        PRODUCTS, "portfolio", len(PRODUCTS)
    ):
        product = product_create(
            actor=admin,
            workspace=workspace,
            product_line=lines[line],
            name=name,
            key=key,
            description=description,
            owner=users[owner],
            stage=stage,
            target_customers=target,
        )
        products[key] = product
        for component_name, component_description in components:
            component_create(actor=admin, product=product, name=component_name, description=component_description)

    rows = _company_rows(rng)
    for row in progress(rows, "customers", len(rows)):
        company = company_create(actor=admin, workspace=workspace, **row["company"])
        for contact in row["contacts"]:
            contact_create(actor=admin, company=company, **contact)

    build_strategy_and_backlog(
        workspace=workspace, users=users, products=products, lines=lines, rng=rng, today=timezone.localdate(),
        progress=progress,
    )  # fmt: skip
    build_ideas(
        workspace=workspace, users=users, products=products, rng=rng, password_hash=make_password(DEMO_PASSWORD),
        progress=progress,
    )  # fmt: skip
    build_insights(workspace=workspace, users=users, products=products, progress=progress)
    build_prioritization(workspace=workspace, users=users, products=products, progress=progress)
    return DemoResult(workspace=workspace, created=True, users=DEMO_USERS, replaced=existing is not None)

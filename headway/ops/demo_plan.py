"""The demo workspace's strategy and backlog: visions, two quarters of objectives with key results and
check-ins, initiatives and ~150 features, all written through the strategy and backlog services.

Called by ``headway.ops.demo.demo_create`` after the portfolio exists. Dates follow the calendar:
the objectives are those of the previous and the current quarter, so the strategy pages and the
alignment report open on live data whenever the demo is created. Everything else is fixed text or
comes from the demo's seeded generator, so two runs on the same day write the same content.

Who writes what, as in a real team: the VP of Product (leader) sets the visions, objectives, key
results and initiatives; each objective's owner checks in on it; each PM writes their products'
features and requirements; the leader links dependencies across products and reorders a few items.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from headway.accounts.models import User
from headway.ops import Progress
from headway.portfolio.models import Product, ProductLine
from headway.workspaces.models import Workspace

# --- visions ------------------------------------------------------------------------------------

WORKSPACE_VISION: dict[str, Any] = {
    "statement": "Every growing business can take payments, bill its customers and understand its money "
    "as well as the largest companies in the world do — without a finance engineering team.",
    "mission": "We build the payments, billing and analytics products that let small and mid-sized companies "
    "sell anywhere, get paid reliably and make decisions from their own numbers.",
    "target_customers": "- Online retailers and marketplaces with 1k–100k orders a month\n"
    "- SaaS companies selling subscriptions, from seed stage to mid-market\n"
    "- Finance and operations teams who own the numbers at those companies",
    "value_proposition": "One platform from checkout to the board report: higher conversion at checkout, fewer "
    "failed renewals, and dashboards finance trusts because they read the same data that moved the money.",
    "principles": "1. **Conversion is a feature.** Every millisecond and every field at checkout is a cost.\n"
    "2. **Money data is sacred.** Correct before fast, fast before pretty.\n"
    "3. **Self-serve first.** If a customer needs us to configure it, we have not finished building it.\n"
    "4. **Enterprise-ready by default.** SSO, audit logs and clear data boundaries are not add-ons.",
}

PRODUCT_VISIONS: dict[str, dict[str, Any]] = {
    "CHK": {
        "statement": "The fastest, most trusted way to pay online in Europe.",
        "target_customers": "Online retailers and marketplaces selling across European markets.",
        "value_proposition": "Fewer abandoned carts: one page, the shopper's own payment method, no surprises.",
        "principles": "- Never ask twice for what we already know.\n- Local methods are first-class, not fallbacks.",
    },
    "BIL": {
        "statement": "Subscription billing that never loses a customer to a failed payment.",
        "target_customers": "SaaS companies from seed stage to mid-market.",
        "value_proposition": "Pricing that changes as fast as the business, and recovered revenue on autopilot.",
    },
    "FRD": {
        "statement": "Block fraud without blocking good customers.",
        "value_proposition": "Fewer false declines than any rules-only tool, with decisions merchants can explain.",
    },
    "INS": {
        "statement": "Every team answers its own questions from trusted numbers.",
        "target_customers": "Operations and finance teams at mid-market and enterprise customers.",
        "value_proposition": "Dashboards on the data that moved the money, with the security large teams need.",
    },
    "API": {
        "statement": "The API developers recommend to other developers.",
        "value_proposition": "Predictable, versioned, fast, documented with runnable examples.",
        "principles": "- No breaking change without a dated version.\n- p95 under 250 ms, always.",
    },
}

# --- objectives -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KR:
    title: str
    start: float
    target: float
    unit: str
    direction: str = "increase"
    reach: float = 0.5  # share of the way to the target reached by the last check-in
    values: tuple[float, ...] = ()  # explicit values per check-in (keep above / keep below)


@dataclass(frozen=True)
class Goal:
    key: str
    quarter: str  # "previous" or "current"
    title: str
    owner: str
    parent: str | None = None
    line: str | None = None
    product: str | None = None
    description: str = ""
    key_results: tuple[KR, ...] = ()
    healths: tuple[str, ...] = ("on_track", "on_track", "on_track")  # one per check-in, oldest first
    final: str | None = None  # a status set after the check-ins (previous quarter: done, dropped)


OBJECTIVES: list[Goal] = [
    # Previous quarter: mostly achieved, one slipped, one dropped.
    Goal("p_foundation", "previous", "Lay the foundation for 25% payment volume growth", "leader",
         description="Wallets and the new invoicing engine are the two bets this year's growth rests on.",
         key_results=(KR("Wallet share of checkout volume", 8, 15, "%", reach=1.0),),
         healths=("on_track", "on_track", "at_risk", "on_track"), final="done"),
    Goal("p_wallets", "previous", "Launch Apple Pay and Google Pay for every merchant", "pm", "p_foundation",
         product="CHK", key_results=(KR("Merchants with wallets enabled", 0, 600, "merchants", reach=1.05),),
         healths=("on_track", "on_track", "on_track", "on_track"), final="done"),
    Goal("p_invoicing", "previous", "Move billing to the new invoicing engine", "pm", "p_foundation",
         product="BIL", key_results=(KR("Invoices generated by the new engine", 0, 100, "%", reach=0.6),),
         healths=("on_track", "at_risk", "off_track", "off_track")),
    Goal("p_adoption", "previous", "Grow analytics adoption", "leader",
         key_results=(KR("Weekly active analysts", 1400, 1800, "analysts", reach=1.0),),
         healths=("at_risk", "on_track", "on_track", "on_track"), final="done"),
    Goal("p_alerts", "previous", "Ship alerts v1", "pm2", "p_adoption", product="INS",
         key_results=(KR("Alerts sent per week", 0, 5000, "alerts", reach=1.2),),
         healths=("on_track", "on_track", "on_track", "on_track"), final="done"),
    Goal("p_scheduler", "previous", "Retire the Reports Studio scheduler", "pm2", "p_adoption", product="RPT",
         description="Dropped: three strategic customers still depend on SFTP delivery.", healths=(),
         final="dropped"),
    Goal("p_soc2", "previous", "Pass the SOC 2 Type II audit", "leader",
         key_results=(KR("Open audit findings", 14, 0, "findings", "decrease", reach=1.0),),
         healths=("at_risk", "at_risk", "on_track", "on_track"), final="done"),
    # Current quarter: company → product line → PM goals.
    Goal("c_growth", "current", "Grow payment volume 25% year over year", "leader",
         description="Volume is the number the board watches; conversion and local methods move it most.",
         key_results=(KR("Monthly payment volume", 420, 525, "M USD", reach=0.55),
                      KR("Checkout conversion rate", 61.5, 66, "%", reach=0.4)),
         healths=("on_track", "at_risk", "on_track")),
    Goal("l_checkout", "current", "Make checkout the fastest way to pay in Europe", "pm", "c_growth",
         line="Payments",
         key_results=(KR("Median checkout time", 48, 30, "s", "decrease", reach=0.5),
                      KR("Volume through local payment methods", 18, 25, "%", reach=0.3))),
    Goal("g_onepage", "current", "Ship one-page checkout to every merchant", "pm", "l_checkout", product="CHK",
         key_results=(KR("Merchants on one-page checkout", 120, 900, "merchants", reach=0.45),)),
    Goal("g_fraud", "current", "Cut false declines in half", "pm", "l_checkout", product="FRD",
         key_results=(KR("False decline rate", 2.4, 1.2, "%", "decrease", reach=0.25),),
         healths=("on_track", "at_risk", "at_risk")),
    Goal("l_subs", "current", "Win subscription businesses", "pm", "c_growth", line="Payments", product="BIL",
         key_results=(KR("New SaaS merchants on Billing", 35, 60, "merchants", reach=0.5),
                      KR("Involuntary churn from failed payments", 3.1, 2.0, "%", "decrease", reach=0.35))),
    Goal("c_analytics", "current", "Become the analytics platform finance teams rely on", "leader",
         key_results=(KR("Weekly active analysts", 1800, 2600, "analysts", reach=0.5),
                      KR("Analytics net revenue retention", 108, 110, "%", "keep_above", values=(109, 111, 112)))),
    Goal("l_selfserve", "current", "Self-serve insights for every team", "pm2", "c_analytics", line="Analytics",
         key_results=(KR("Dashboards created per week", 300, 450, "dashboards", reach=0.6),)),
    Goal("g_rls", "current", "Make row-level security generally available", "pm2", "l_selfserve", product="INS",
         key_results=(KR("Enterprise accounts using row-level security", 0, 25, "accounts", reach=0.3),),
         healths=("on_track", "on_track", "at_risk")),
    Goal("g_pilots", "current", "Prove forecasting with ten paying pilots", "pm2", "l_selfserve", product="FCST",
         key_results=(KR("Paying pilot customers", 3, 10, "customers", reach=0.4),)),
    Goal("c_enterprise", "current", "Be ready for enterprise buyers", "leader",
         description="Three strategic deals wait for SSO and a clean security review.",
         key_results=(KR("Enterprise deals blocked by security review", 7, 1, "deals", "decrease", reach=0.5),),
         healths=("off_track", "at_risk", "at_risk")),
    Goal("l_identity", "current", "Single sign-on and SCIM across every product", "pm", "c_enterprise",
         line="Platform", product="IDN",
         key_results=(KR("Enterprise workspaces with SSO", 4, 30, "workspaces", reach=0.35),)),
    Goal("g_api", "current", "Keep the API fast and available", "pm2", "c_enterprise", product="API",
         key_results=(KR("API availability", 99.9, 99.95, "%", "keep_above", values=(99.96, 99.93, 99.97)),
                      KR("p95 latency", 300, 250, "ms", "keep_below", values=(262, 251, 238)))),
    Goal("c_partners", "current", "Launch the partner program", "leader",
         description="Agencies and platforms reselling Northwind: no work planned yet.",
         key_results=(KR("Signed reseller partners", 0, 12, "partners", reach=0.0),), healths=("at_risk",)),
]  # fmt: skip

GOALS = {goal.key: goal for goal in OBJECTIVES}

CHECK_IN_COMMENTS = {
    "on_track": [
        "Moving as planned; the team shipped what it committed to this sprint.",
        "Numbers trending the right way; no blockers.",
        "Good progress after the design review; next milestone on schedule.",
        "Pilot feedback positive; scaling up the rollout.",
    ],
    "at_risk": [
        "Slower than planned: two engineers moved to an incident for a week.",
        "Dependency on the platform team is late; watching closely.",
        "Early numbers below the curve; we are testing a change to the onboarding flow.",
    ],
    "off_track": [
        "Behind: the vendor contract is not signed and the integration cannot start.",
        "The migration hit data-quality problems; replanning with finance.",
    ],
}

# --- initiatives --------------------------------------------------------------------------------

# code: (title, owner, status, problem, objective keys, product keys, starts (quarter, day offset), ends)
INITIATIVES: dict[str, tuple[str, str, str, str, tuple[str, ...], tuple[str, ...], str, str | None]] = {
    "onepage": ("One-page checkout", "pm", "active",
                "Shoppers abandon 39% of checkouts at the address and card steps; each extra page costs 4–7%.",
                ("g_onepage", "l_checkout"), ("CHK",), "previous", "current"),
    "lpm": ("Local payment methods in Europe", "pm", "active",
            "In the Netherlands, Poland and Belgium most shoppers never pay by card.",
            ("l_checkout",), ("CHK",), "previous", "current"),
    "dunning": ("Smart dunning", "pm", "active",
                "Failed renewals cause 3% monthly involuntary churn for our SaaS merchants.",
                ("l_subs",), ("BIL",), "current", "current"),
    "fraud3": ("Fraud model v3", "pm", "active",
               "Rules-only declines turn away 2.4% of good payments at high-risk merchants.",
               ("g_fraud",), ("FRD",), "current", "current"),
    "rls": ("Enterprise-grade Insights", "pm2", "active",
            "Large customers cannot roll Insights out beyond finance without row-level security.",
            ("g_rls",), ("INS",), "current", "current"),
    "pilots": ("Forecasting pilots", "pm2", "proposed",
               "We do not yet know whether finance leaders will pay for forecasts built from payment data.",
               ("g_pilots",), ("FCST",), "current", None),
    "identity": ("Enterprise identity", "leader", "active",
                 "Security reviews block enterprise deals: no SSO, no SCIM, no exportable audit log.",
                 ("l_identity", "c_enterprise"), ("IDN", "API"), "previous", "current"),
    "sunset": ("Reports Studio sunset", "pm2", "paused",
               "Two reporting products cost two teams; Reports Studio customers need a path to Insights.",
               (), ("RPT", "INS"), "previous", None),
    "devex": ("Developer portal refresh", "pm2", "proposed",
              "Developers rate our docs 3.1/5; competitors' sandboxes get integrations live in a day.",
              (), ("API",), "current", None),
}  # fmt: skip

# --- features ------------------------------------------------------------------------------------

# Per product, per status (top of the backlog first); " @code" names the feature's initiative.
FEATURES: dict[str, dict[str, list[str]]] = {
    "CHK": {
        "In progress": ["One-page checkout: address autocomplete @onepage",
                        "One-page checkout: saved cards for returning shoppers @onepage",
                        "iDEAL 2.0 migration @lpm"],
        "Ready": ["One-page checkout: express wallet buttons above the fold @onepage", "BLIK one-click payments @lpm",
                  "Checkout load time under one second on 3G @onepage",
                  "Retry a declined card without re-entering details @onepage",
                  "Localised error messages for declined cards"],
        "Discovery": ["Klarna pay-in-three @lpm", "Guest checkout without email",
                      "Merchant-side A/B tests of checkout layouts @onepage", "Accessible card form (WCAG 2.2 AA)",
                      "Pay by bank (open banking) @lpm"],
        "New": ["Dark mode for the hosted payment page", "Custom fonts on the hosted page",
                "QR code payments for in-store pickup", "Donation round-up at checkout",
                "Split payments between two cards", "Tipping on the hosted page", "Address book for business buyers"],
        "Released": ["Apple Pay on the hosted payment page", "Google Pay on the embedded card form",
                     "3-D Secure 2.2 frictionless flow", "SEPA Direct Debit mandates online", "Bancontact payments",
                     "Card brand detection as you type"],
        "Parked": ["Cryptocurrency payments"],
        "Won't do": ["Checkout in an iframe popup"],
    },
    "BIL": {
        "In progress": ["Smart retries for failed card payments @dunning", "Usage-based pricing: metered components"],
        "Ready": ["Dunning emails with one-click card update @dunning", "Proration preview before plan changes",
                  "Revenue recognition report (ASC 606)"],
        "Discovery": ["Account updater for expiring cards @dunning", "Multi-currency price books",
                      "Self-serve customer portal", "Tax calculation by address (US sales tax)"],
        "New": ["Quotes with e-signature", "Coupon stacking rules", "Invoice PDF templates per brand",
                "Billing analytics: MRR movements", "Annual plan upgrade prompts"],
        "Released": ["New invoicing engine for one-off invoices", "EU VAT reverse charge on invoices", "Credit notes",
                     "Dunning: reminder emails v1"],
        "Parked": ["Paper invoices by post"],
    },
    "FRD": {
        "In progress": ["Fraud model v3: device fingerprint features @fraud3",
                        "Review queue: bulk approve and decline"],
        "Ready": ["Fraud model v3: shadow mode scoring @fraud3", "Rules engine: velocity rules per card",
                  "Explain why a payment was declined"],
        "Discovery": ["Chargeback evidence packs", "Merchant-tuned risk thresholds @fraud3",
                      "Graph features: shared devices across cards @fraud3"],
        "New": ["Fraud alerts in Slack", "Consortium data sharing with design partners", "Fraud score for refunds",
                "Velocity rules per email domain"],
        "Released": ["Rules engine: allow and block lists", "Risk score in the payments API"],
        "Won't do": ["Manual review by Northwind staff"],
    },
    "INS": {
        "In progress": ["Row-level security: policies per team @rls", "Scheduled CSV exports to S3 @sunset",
                        "Dashboard filters on any column"],
        "Ready": ["Row-level security: audit of who saw what @rls", "Embed dashboards in customer portals",
                  "Semantic layer: shared metric definitions", "Alerts: anomaly detection on any metric",
                  "Sharing: expire public links"],
        "Discovery": ["Natural-language questions over dashboards", "Row-level security: SCIM group mapping @rls",
                      "Dashboard version history", "Drill-through from chart to rows"],
        "New": ["Dashboard themes", "PowerPoint export of a dashboard", "Comments on charts",
                "Mobile app: offline mode", "Pivot tables", "Scheduled dashboard emails @sunset", "Calculated fields"],
        "Released": ["Alerts v1: threshold alerts by email", "Alerts v1: Slack delivery", "Saved views per user",
                     "Public dashboard links"],
        "Parked": ["Jupyter notebook integration"],
    },
    "RPT": {
        "In progress": ["Migration assistant from Reports Studio to Insights @sunset"],
        "Ready": ["Export Reports Studio templates as PDF archives @sunset", "Report designer: fix table pagination"],
        "Discovery": ["New chart types in the report designer"],
        "New": ["Report designer: custom colour palettes", "SFTP delivery with key rotation",
                "Report designer: Excel output"],
        "Released": ["End-of-sale notice in the product"],
        "Won't do": ["Rewrite the report designer in React"],
    },
    "FCST": {
        "In progress": ["Cash-flow forecast prototype for pilot customers @pilots"],
        "Ready": ["Forecast accuracy dashboard @pilots", "Import bank balances from CSV"],
        "Discovery": ["Scenario planner: price change what-ifs", "Seasonality detection per merchant @pilots",
                      "Revenue forecast from subscription data", "Forecast explanations in plain language"],
        "New": ["Forecast sharing with the CFO by email", "Confidence intervals on forecasts",
                "Connect to accounting systems (Xero, QuickBooks)", "Headcount planning"],
    },
    "API": {
        "In progress": ["Rate limits per API key @identity", "Webhooks: replay failed deliveries",
                        "p95 latency: cache product catalogue lookups"],
        "Ready": ["OAuth 2.0 client credentials @identity", "Go SDK v2", "Idempotency keys on every POST",
                  "OpenAPI 3.1 spec with examples @devex", "Deprecation warnings in response headers @devex"],
        "Discovery": ["GraphQL endpoint", "API changelog RSS feed @devex",
                      "Interactive API explorer with live sandbox @devex"],
        "New": ["Webhooks: event filtering", "PHP SDK", "Terraform provider", "Postman collection",
                "Batch endpoints for bulk updates", "Webhook delivery dashboard @devex"],
        "Released": ["Webhooks signature v2", "Python SDK 3.0", "API versioning by date header",
                     "Status page integration", "Node.js SDK 4.0"],
        "Parked": ["SOAP compatibility layer"],
    },
    "IDN": {
        "In progress": ["SAML 2.0 single sign-on @identity", "SCIM 2.0 user provisioning @identity"],
        "Ready": ["OpenID Connect sign-on @identity", "Audit log: export to SIEM",
                  "Enforce SSO for all members @identity", "Audit log: filter by actor and action"],
        "Discovery": ["SCIM group provisioning @identity", "Just-in-time user creation", "Audit log retention settings",
                      "Device trust for admins"],
        "New": ["Passkeys for sign-in", "IP allow lists", "Session timeout policies", "Custom roles",
                "Delegated admin for subsidiaries", "Login history for members"],
        "Released": ["Audit log of admin actions", "Two-factor authentication for admins"],
        "Won't do": ["LDAP directory sync"],
    },
}  # fmt: skip

# The objectives of the current quarter a product's work usually serves (most specific first), and
# the previous quarter's objective its released work served.
SERVES = {
    "CHK": (("g_onepage", "l_checkout"), "p_wallets"),
    "BIL": (("l_subs",), "p_invoicing"),
    "FRD": (("g_fraud",), "p_foundation"),
    "INS": (("g_rls", "l_selfserve"), "p_alerts"),
    "RPT": ((), "p_scheduler"),
    "FCST": (("g_pilots",), None),
    "API": (("g_api", "c_enterprise"), "p_soc2"),
    "IDN": (("l_identity", "c_enterprise"), "p_soc2"),
}
# Features whose objectives are not left to chance.
PINNED = {
    "p95 latency: cache product catalogue lookups": ("g_api",),
    "Webhooks: replay failed deliveries": ("g_api",),
    "Localised error messages for declined cards": ("l_checkout", "c_growth"),
    "Dark mode for the hosted payment page": (),
}
# Chance that open work serves no objective at all, by status: untriaged ideas often do not.
UNALIGNED = {"New": 0.5, "Discovery": 0.25, "Ready": 0.12, "In progress": 0.08}
EFFORTS = [(1, 2), (2, 4), (3, 5), (5, 5), (8, 4), (13, 2), (21, 1)]
UNESTIMATED = {"New": 0.5, "Discovery": 0.3, "Ready": 0.05, "Parked": 0.5, "Won't do": 0.7}
TAGS = {
    "CHK": ["conversion", "mobile", "payment-methods", "accessibility", "performance"],
    "BIL": ["revenue", "finance", "self-serve", "compliance"],
    "FRD": ["risk", "ml", "operations"],
    "INS": ["enterprise", "self-serve", "collaboration", "mobile"],
    "RPT": ["legacy", "migration"],
    "FCST": ["ml", "finance", "discovery"],
    "API": ["developer-experience", "performance", "reliability", "sdk"],
    "IDN": ["enterprise", "security", "compliance"],
}

DESCRIPTIONS = {
    "One-page checkout: saved cards for returning shoppers": (
        "Returning shoppers re-enter their card on 64% of visits. Offer the cards they saved with any "
        "merchant on the network, after a one-time passcode.\n\n**Out of scope:** wallets (own feature)."
    ),
    "Smart retries for failed card payments": (
        "Retry soft declines at the moment the issuer is most likely to approve (model from 18 months of "
        "retry outcomes) instead of the fixed 3-5-7 day schedule."
    ),
    "Row-level security: policies per team": (
        "Admins define who sees which rows (by region, business unit or customer) once; every dashboard, "
        "export and alert applies it."
    ),
    "SAML 2.0 single sign-on": "SP-initiated and IdP-initiated SAML 2.0 for Okta, Entra ID and Google Workspace.",
    "Rate limits per API key": "Limits per key instead of per account, so one noisy integration cannot starve others.",
    "Cash-flow forecast prototype for pilot customers": (
        "A 13-week cash-flow forecast from payment and payout history, reviewed weekly with the pilot CFOs."
    ),
    "Fraud model v3: device fingerprint features": "Add device and browser fingerprint features to the model.",
}

# (feature title, [(story, acceptance criteria, done)])
REQUIREMENTS: list[tuple[str, list[tuple[str, str, bool]]]] = [
    ("One-page checkout: saved cards for returning shoppers", [
        ("As a returning shopper, I see my saved cards so that I can pay without typing my card number.",
         "- Cards saved with any network merchant are listed after passcode verification\n"
         "- The last four digits and expiry are shown, never the full number", True),
        ("As a shopper, I can remove a saved card.", "- Removing asks for confirmation\n- The card is gone on every "
         "merchant", False),
        ("As a merchant, I can turn saved cards off for my store.", "- A setting in the dashboard, on by default",
         False),
    ]),
    ("Smart retries for failed card payments", [
        ("As a billing admin, I see when the next retry of a failed payment will happen.",
         "- The invoice shows the planned retry time\n- The time is in the admin's time zone", True),
        ("As a finance lead, I see how much revenue retries recovered this month.", "- Recovered amount per month "
         "on the dunning report", False),
    ]),
    ("Row-level security: policies per team", [
        ("As an admin, I define a policy that limits a team to rows of its region.",
         "- A policy is a column and allowed values per team\n- Preview the rows a member would see", True),
        ("As an analyst, I only ever see rows my policy allows, in dashboards, exports and alerts.",
         "- Exports and alerts apply the same policy\n- Tested with 10,000 policies", False),
        ("As an auditor, I can list which policies applied to a dashboard view.", "- Logged per view", False),
    ]),
    ("SAML 2.0 single sign-on", [
        ("As an IT admin, I connect our identity provider with its metadata URL.",
         "- Okta, Entra ID and Google Workspace tested\n- Certificate expiry warning 30 days ahead", True),
        ("As a member, I sign in with my company account.", "- IdP-initiated and SP-initiated flows work", True),
        ("As an IT admin, I test the connection before enforcing it.", "- A test sign-in that does not lock anyone "
         "out", False),
    ]),
    ("Rate limits per API key", [
        ("As a developer, I see my remaining quota in response headers.",
         "- `RateLimit-Remaining` and `RateLimit-Reset` on every response", True),
        ("As an account admin, I set a lower limit for one key.", "- Limits between 1 and the plan maximum", False),
    ]),
    ("Cash-flow forecast prototype for pilot customers", [
        ("As a CFO, I see the next 13 weeks of cash in and out.", "- Weekly buckets\n- Actuals replace forecasts "
         "as weeks close", False),
        ("As a pilot customer, I flag a forecast I disagree with.", "- A comment per week, visible to the team",
         False),
    ]),
]  # fmt: skip

# (blocker title, blocked title): dependencies across the backlog, no cycles.
DEPENDENCIES = [
    ("SAML 2.0 single sign-on", "Enforce SSO for all members"),
    ("SCIM 2.0 user provisioning", "SCIM group provisioning"),
    ("SCIM group provisioning", "Row-level security: SCIM group mapping"),
    ("OAuth 2.0 client credentials", "Terraform provider"),
    ("One-page checkout: saved cards for returning shoppers", "Retry a declined card without re-entering details"),
    ("One-page checkout: address autocomplete", "Checkout load time under one second on 3G"),
    ("Fraud model v3: shadow mode scoring", "Merchant-tuned risk thresholds"),
    ("Semantic layer: shared metric definitions", "Natural-language questions over dashboards"),
    ("Usage-based pricing: metered components", "Multi-currency price books"),
    ("Migration assistant from Reports Studio to Insights", "Export Reports Studio templates as PDF archives"),
]

# (feature to move, the feature it goes right before): a leader reorders a few backlogs.
MOVES = [
    ("Retry a declined card without re-entering details", "One-page checkout: express wallet buttons above the fold"),
    ("Explain why a payment was declined", "Fraud model v3: shadow mode scoring"),
    ("Audit log: filter by actor and action", "Audit log: export to SIEM"),
]

STATUS_ORDER = ["In progress", "Ready", "Discovery", "New", "Released", "Parked", "Won't do"]
OPEN_STATUSES = {"In progress", "Ready", "Discovery", "New"}


def feature_count() -> int:
    return sum(len(titles) for statuses in FEATURES.values() for titles in statuses.values())


# --- building -------------------------------------------------------------------------------------


@dataclass
class _Quarters:
    previous: tuple[dt.date, dt.date]
    current: tuple[dt.date, dt.date]
    today: dt.date

    def span(self, quarter: str) -> tuple[dt.date, dt.date]:
        return self.previous if quarter == "previous" else self.current

    def check_in_dates(self, quarter: str, count: int) -> list[dt.date]:
        """Previous quarter: every three weeks up to its end. Current: the last four weeks, never before
        the quarter began (early in a quarter several check-ins share its first day)."""
        if quarter == "previous":
            end = self.previous[1]
            return [end - dt.timedelta(days=21 * (count - 1 - i)) for i in range(count)]
        start = self.current[0]
        return [max(start, self.today - dt.timedelta(days=14 * (count - 1 - i))) for i in range(count)]


def quarters(today: dt.date) -> _Quarters:
    from headway.strategy.periods import quarter_of

    current = quarter_of(today)
    previous = quarter_of(current.starts_on - dt.timedelta(days=1))
    return _Quarters((previous.starts_on, previous.ends_on), (current.starts_on, current.ends_on), today)


def _value(kr: KR, fraction: float) -> Decimal:
    value = kr.start + (kr.target - kr.start) * fraction
    decimals = 1 if any(x != int(x) for x in (kr.start, kr.target)) else 0
    return Decimal(str(round(value, decimals)))


@dataclass
class PlanResult:
    objectives: dict[str, Any] = field(default_factory=dict)
    initiatives: dict[str, Any] = field(default_factory=dict)
    features: dict[str, Any] = field(default_factory=dict)


def build_strategy_and_backlog(
    *,
    workspace: Workspace,
    users: dict[str, User],
    products: dict[str, Product],
    lines: dict[str, ProductLine],
    rng: random.Random,
    today: dt.date,
    progress: Progress,
) -> PlanResult:
    from headway.backlog import services as backlog
    from headway.strategy import services as strategy

    leader = users["leader"]
    result = PlanResult()
    when = quarters(today)

    strategy.vision_create(actor=leader, workspace=workspace, **WORKSPACE_VISION)
    for key, vision_text in PRODUCT_VISIONS.items():
        strategy.vision_create(actor=leader, workspace=workspace, product=products[key], **vision_text)

    for goal in progress(OBJECTIVES, "objectives", len(OBJECTIVES)):
        starts_on, ends_on = when.span(goal.quarter)
        objective = strategy.objective_create(
            actor=leader,
            workspace=workspace,
            title=goal.title,
            description=goal.description,
            starts_on=starts_on,
            ends_on=ends_on,
            parent=result.objectives[goal.parent] if goal.parent else None,
            owner=users[goal.owner],
            product_line=lines[goal.line] if goal.line else None,
            product=products[goal.product] if goal.product else None,
        )
        result.objectives[goal.key] = objective
        key_results = [
            strategy.key_result_create(
                actor=leader, objective=objective, title=kr.title, start_value=str(kr.start),
                target_value=str(kr.target), unit=kr.unit, direction=kr.direction,
            )
            for kr in goal.key_results
        ]  # fmt: skip
        owner = users[goal.owner]
        count = len(goal.healths)
        for i, (day, health) in enumerate(zip(when.check_in_dates(goal.quarter, count), goal.healths, strict=True)):
            values: dict[Any, Any] = {
                key_result: (Decimal(str(kr.values[i])) if kr.values else _value(kr, kr.reach * (i + 1) / count))
                for key_result, kr in zip(key_results, goal.key_results, strict=True)
            }
            comments = CHECK_IN_COMMENTS[health]
            strategy.check_in_create(
                actor=owner, objective=objective, health=health, date=day, values=values,
                comment=comments[rng.randrange(len(comments))],
            )  # fmt: skip
        if goal.final:
            strategy.objective_update(actor=leader, objective=objective, status=goal.final)

    for code, (title, lead, status, problem, objective_keys, product_keys, starts, ends) in INITIATIVES.items():
        result.initiatives[code] = strategy.initiative_create(
            actor=leader,
            workspace=workspace,
            title=title,
            problem=problem,
            owner=users[lead],
            status=status,
            starts_on=when.span(starts)[0],
            ends_on=when.span(ends)[1] if ends else None,
            objectives=[result.objectives[k] for k in objective_keys],
            products=[products[k] for k in product_keys],
        )

    statuses = {s.name: s for s in backlog.workflow_ensure_defaults(actor=leader, workspace=workspace)}
    rows = [
        (key, status, text)
        for key, by_status in FEATURES.items()
        for status in STATUS_ORDER
        for text in by_status.get(status, [])
    ]
    for key, status, text in progress(rows, "backlog", len(rows)):
        title, _, code = text.partition(" @")
        product = products[key]
        initiative = result.initiatives.get(code) if code else None
        result.features[title] = backlog.feature_create(
            actor=product.owner,
            workspace=workspace,
            product=product,
            title=title,
            description=DESCRIPTIONS.get(title, ""),
            initiative=initiative,
            objectives=_objectives_for(rng, key, title, status, code, result),
            owner=None if status in ("New", "Discovery") and rng.random() < 0.15 else product.owner,
            status=statuses[status],
            effort=None if rng.random() < UNESTIMATED.get(status, 0.0) else _effort(rng),
            tags=rng.sample(TAGS[key], rng.choice([0, 1, 1, 2])),
        )

    features = result.features
    for title, stories in REQUIREMENTS:
        feature = features[title]
        for story, criteria, done in stories:
            backlog.requirement_add(
                actor=feature.product.owner, feature=feature, story=story, acceptance_criteria=criteria, done=done
            )
    for blocker, blocked in DEPENDENCIES:
        backlog.dependency_add(actor=leader, blocker=features[blocker], blocked=features[blocked])
    for moved, before in MOVES:
        backlog.feature_move(actor=leader, feature=features[moved], before=features[before])
    return result


def _effort(rng: random.Random) -> int:
    return rng.choices([v for v, _ in EFFORTS], weights=[w for _, w in EFFORTS])[0]


def _objectives_for(rng: random.Random, key: str, title: str, status: str, code: str, result: PlanResult) -> list[Any]:
    """What a feature serves: its initiative's first objective, else one of its product's current
    objectives (sometimes with the company objective above it); released work served the previous
    quarter; some open work serves nothing, or only last quarter's objective (carried over)."""
    if title in PINNED:
        return [result.objectives[k] for k in PINNED[title]]
    current, previous = SERVES[key]
    if status == "Released":
        return [result.objectives[previous]] if previous and rng.random() < 0.8 else []
    if status not in OPEN_STATUSES:
        return []
    if code and INITIATIVES[code][4]:
        return [result.objectives[INITIATIVES[code][4][0]]]
    if not current or rng.random() < UNALIGNED[status]:
        return [result.objectives[previous]] if previous and rng.random() < 0.3 else []
    chosen = rng.choice(current)
    root = chosen
    while GOALS[root].parent is not None:
        root = GOALS[root].parent  # type: ignore[assignment]
    if root != chosen and rng.random() < 0.25:
        return [result.objectives[chosen], result.objectives[root]]
    return [result.objectives[chosen]]

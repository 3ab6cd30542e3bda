"""The demo's insights inbox: what Northwind's customers said, from every channel, over half a year.

About 150 feedback notes written here from templates (no data files: a fresh installation has
none): notes typed in after sales calls, support tickets and chats posted by the support tools
through the API, forwarded emails, and two finished imports (an NPS survey export and the Insights
mobile app's store reviews). Many come from the same companies, and several say the same thing as
an idea on the demo's portal through another channel, so the duplicates page has clusters.

Typed-in, emailed and API notes go through ``note_create`` (matched to companies, classified);
the imported ones are inserted in bulk and classified in one call, as an import does. Then the
themes are computed, two of them renamed and pinned the way a PM would, about 25 passages are
linked as evidence to features and ideas, two labels are corrected and the notes are triaged
(processed, archived, snoozed, assigned). Random choices come from a generator seeded here, so
every run builds the same inbox; dates follow the calendar (the last 26 weeks).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from headway.accounts.models import User
from headway.customers.models import Contact
from headway.ops import Progress
from headway.ops.demo import DEMO_EMAIL_DOMAIN
from headway.workspaces.models import Workspace

SEED = 5_2026
WEEKS = 26


@dataclass(frozen=True)
class Topic:
    """Something customers keep asking about, with the ways they say it and where it is tracked."""

    product: str
    subject: str  # a support ticket's subject line or an email's
    says: list[str]  # what customers said, one note each (sentence one is the quotable one)
    feature: str = ""  # the backlog feature a PM links the evidence to (by title)
    idea: str = ""  # or the portal idea
    enterprise: bool = False  # asked for mostly by big customers
    extra: list[str] = field(default_factory=list)


TOPICS = [
    Topic(
        "CHK",
        "Apple Pay on the hosted checkout?",
        [
            "Half of our shoppers are on phones and typing a card number there loses us sales. "
            "We need Apple Pay and Google Pay on the hosted checkout page.",
            "Mobile conversion on the hosted page is 1.9% against 3.4% on desktop. "
            "Our agency says wallets would close most of that gap.",
            "Customers keep asking why they cannot pay with Apple Pay. Every competitor of ours has it at checkout.",
            "Please add Google Pay to the hosted payment page; most of our buyers are on Android.",
            "Love the new one-page checkout, but without Apple Pay our mobile shoppers still drop off.",
        ],
        feature="One-page checkout: express wallet buttons above the fold",
        idea="Apple Pay and Google Pay in the hosted checkout",
    ),
    Topic(
        "CHK",
        "Cart emptied after a declined card",
        [
            "When a card is declined the whole cart is emptied and the customer has to start again. "
            "Most of them just leave.",
            "Bug: after a failed 3-D Secure challenge the basket is gone. This happens several times a day for us.",
            "Our support team gets angry calls from shoppers whose cart disappeared after the bank declined "
            "the payment.",
            "Declined card means an empty cart, again. Please keep the cart so people can try another card.",
        ],
        feature="Retry a declined card without re-entering details",
        idea="Save the cart when a payment fails",
    ),
    Topic(
        "CHK",
        "Klarna / Afterpay",
        [
            "We would like to offer Klarna pay-in-three at checkout. "
            "Our average order is 240 euros and customers ask to split it.",
            "Buy now, pay later is the number one request from our fashion customers; Afterpay or Klarna "
            "would both do.",
            "Is buy now pay later on your roadmap? We are talking to a competitor who has it.",
        ],
        feature="Klarna pay-in-three",
        idea="Buy now, pay later at checkout",
    ),
    Topic(
        "CHK",
        "Checkout slow on mobile data",
        [
            "The checkout page takes six seconds to load on 3G in rural areas. Shoppers think the site is broken.",
            "Our Lighthouse score for the hosted page dropped to 41 on mobile; the page is far too heavy.",
            "Checkout is very slow on the train; the card form appears long after the rest of the page.",
        ],
        feature="Checkout load time under one second on 3G",
        idea="Faster checkout page on slow mobile networks",
    ),
    Topic(
        "BIL",
        "Upgrade charged a full month",
        [
            "Customers who upgrade in the middle of the month are charged for the full month. "
            "We refund the difference by hand every week.",
            "We need proration for upgrades and downgrades; finance spends a day a month fixing invoices.",
            "A customer upgraded on the 28th and paid the whole month twice. Proration would save us these tickets.",
            "Please show what a plan change will cost before it is made; our customers hate surprises on the invoice.",
        ],
        feature="Proration preview before plan changes",
        idea="Prorated upgrades in the middle of a billing period",
    ),
    Topic(
        "BIL",
        "Invoices into QuickBooks",
        [
            "Our finance team re-keys every invoice into QuickBooks Online. A sync would save them two days a month.",
            "Do you integrate with Xero? Our UK entities all use it and we export invoices by hand.",
            "We would pay extra for a QuickBooks integration that syncs invoices and payments nightly.",
        ],
        feature="Connect to accounting systems (Xero, QuickBooks)",
        idea="Sync invoices to QuickBooks Online",
    ),
    Topic(
        "BIL",
        "Failed payment reminders",
        [
            "Dunning works well for us: the smart retries recovered about 30% of failed renewals last quarter.",
            "We use the reminder emails for every failed payment and customers update their cards within "
            "a day, mostly.",
            "The reminder email links to a login page; customers want to update their card in one click.",
        ],
        feature="Dunning emails with one-click card update",
    ),
    Topic(
        "FRD",
        "Why was this payment blocked?",
        [
            "Our support team cannot tell customers why a payment was blocked. We need the reason in the dashboard.",
            "Fraud Shield blocked a 4,000 dollar order from a long-time customer and nobody could explain why.",
            "Please expose the block reason in the API so our agents see it in our own tools.",
            "Blocked payments show only a score; our risk team wants to see which rule or signal triggered.",
        ],
        feature="Explain why a payment was declined",
        idea="Explain why a payment was blocked",
    ),
    Topic(
        "FRD",
        "Repeat buyers blocked",
        [
            "Our repeat B2B buyers get blocked by the velocity rules every Monday morning. We need to allow-list them.",
            "False positives on returning customers are costing us orders; can we trust a customer after "
            "ten good payments?",
        ],
        feature="Rules engine: velocity rules per card",
        idea="Allow-list trusted customers",
    ),
    Topic(
        "INS",
        "PDF export of a dashboard",
        [
            "We present dashboards to our board every month and screenshots look unprofessional. "
            "We need a PDF export of the whole dashboard.",
            "Can we export a dashboard to PDF or PowerPoint? Our CFO wants it in the board pack.",
            "Exporting charts one by one as PNG takes an hour before every board meeting.",
            "PDF export please, with our logo on it.",
        ],
        feature="PowerPoint export of a dashboard",
        idea="Export any dashboard to PDF",
        enterprise=True,
    ),
    Topic(
        "INS",
        "Dashboards by email",
        [
            "Our managers want the numbers in their inbox every Monday, not another login. "
            "Please let us schedule a dashboard by email.",
            "Scheduled emails were the best thing in Reports Studio; we will not move to Insights without them.",
            "Can a dashboard be sent to a distribution list every morning at 8?",
        ],
        feature="Scheduled dashboard emails",
        idea="Schedule a dashboard by email every Monday",
    ),
    Topic(
        "INS",
        "Dashboards very slow",
        [
            "Opening a dashboard with twelve months of data takes twenty seconds. Our analysts have stopped using it.",
            "The revenue dashboard times out whenever we pick last year as the date range.",
            "Dashboards got much slower after we passed a million transactions a month.",
            "Filtering by country on the main dashboard spins for half a minute and then shows an error.",
        ],
        idea="Dashboards load slowly with a year of data",
    ),
    Topic(
        "INS",
        "Row-level security for regions",
        [
            "Each regional manager must only see their own region's numbers. "
            "Without row-level security we cannot roll Insights out beyond finance.",
            "We need per-team data policies before legal lets us give dashboards to franchisees.",
            "Our SSO groups should decide which rows people see in a dashboard.",
        ],
        feature="Row-level security: policies per team",
        enterprise=True,
    ),
    Topic(
        "INS",
        "Dark mode",
        [
            "Our operations room runs dashboards on wall screens all night; a dark mode would be easier on the eyes.",
            "Dark theme for dashboards please, the white background is blinding on the big screens.",
        ],
        idea="Dark mode for dashboards",
    ),
    Topic(
        "RPT",
        "Daily report in Slack",
        [
            "We want the daily sales report posted to our #sales Slack channel every morning. "
            "Email is where reports go to die.",
            "Could scheduled reports be delivered to Slack or Microsoft Teams?",
        ],
        idea="Send reports to a Slack channel",
    ),
    Topic(
        "RPT",
        "Excel export: amounts are text",
        [
            "Exported amounts arrive as text in Excel, so none of our formulas work. We convert every column by hand.",
            "The Excel export puts the currency symbol inside the cell and Excel treats it as text.",
            "Bug: dates in the Excel export come out in American format for our German team.",
        ],
        feature="Report designer: Excel output",
        idea="Excel export keeps number formats",
    ),
    Topic(
        "API",
        "Webhooks for disputes",
        [
            "We poll the API every minute to catch disputes and refunds. Webhooks for those events would let us stop.",
            "Please send a webhook when a dispute is opened; we missed a deadline to respond last month.",
            "Our integration misses refunds made in the dashboard because there is no webhook for them.",
        ],
        feature="Webhooks: event filtering",
        idea="Webhooks for refunds and disputes",
    ),
    Topic(
        "API",
        "Rate limit during sales",
        [
            "We hit the 100 requests per second limit during Black Friday and orders failed. "
            "Enterprise plans need higher limits.",
            "Getting 429 errors from the API at peak times even though we retry with backoff.",
            "Can we have a separate rate limit per API key so our batch jobs do not starve the shop?",
        ],
        feature="Rate limits per API key",
        idea="Higher API rate limits for enterprise plans",
        enterprise=True,
    ),
    Topic(
        "API",
        "Sandbox has no data",
        [
            "The sandbox is empty and our developers spend days creating fake customers and payments. "
            "Realistic test data would help a lot.",
            "Could the sandbox come with sample transactions, disputes and refunds already in it?",
        ],
        feature="Interactive API explorer with live sandbox",
        idea="Sandbox with realistic test data",
    ),
    Topic(
        "API",
        "Python SDK",
        [
            "The Python SDK 3.0 is a big improvement; typed responses caught two bugs in our code.",
            "Great docs. Our developer had the first payment working in an afternoon.",
        ],
    ),
    Topic(
        "IDN",
        "SSO with Azure AD",
        [
            "Our security policy requires single sign-on for every tool. "
            "We run Microsoft 365, so SSO through Azure AD is a must before renewal.",
            "Okta SSO works great, thank you. When is Azure AD coming?",
            "We need SAML single sign-on with Entra ID; procurement will not sign without it.",
            "Single sign-on is a hard requirement from our CISO for all vendors from next year.",
        ],
        feature="SAML 2.0 single sign-on",
        idea="Azure AD single sign-on",
        enterprise=True,
    ),
    Topic(
        "IDN",
        "Audit log export",
        [
            "Our auditors ask for a year of admin actions as CSV. Today we copy the audit log page by page.",
            "We need the audit log streamed to our SIEM (Splunk) for SOC 2.",
            "The audit log only goes back 90 days; our compliance team needs a year.",
        ],
        feature="Audit log: export to SIEM",
        idea="Audit log export for compliance",
        enterprise=True,
    ),
    Topic(
        "IDN",
        "Require 2FA",
        [
            "Admins should be able to require two-factor authentication for everyone in the account. "
            "Right now it is optional for non-admins.",
            "Please let us enforce 2FA for all users; our insurer asks about it.",
        ],
        idea="Enforce two-factor authentication for all users",
    ),
    Topic(
        "FCST",
        "Forecast pilot",
        [
            "We used the cash-flow forecast prototype for our quarterly planning and it was within 4% of "
            "actuals. The team loved it.",
            "The forecast is only for the whole company; we plan by product line and need it split.",
            "Showing last quarter's forecast next to what really happened would build trust in the numbers.",
        ],
        feature="Cash-flow forecast prototype for pilot customers",
        idea="Forecast by product line",
    ),
]

# Short praise or blame without detail (the "rating" kind), from calls and chats.
PRAISE = [
    "Honestly the best payments provider we have worked with. Support is fantastic.",
    "Everything just works. Great product, great team.",
    "Very happy with Northwind so far, keep it up.",
    "Terrible experience this month, we are seriously considering leaving.",
    "Not impressed. Too expensive for what it does.",
    "Your support team is amazing, Ingrid solved our problem in ten minutes.",
]

# How customers use the products (the "experience" kind), told on calls.
EXPERIENCE = [
    ("INS", "Every Monday our finance team opens the revenue dashboard, filters by region and copies the numbers "
            "into the board deck."),
    ("CHK", "We run three shops on one account and switch between them with the store picker dozens of times a "
            "day."),
    ("BIL", "We bill usage monthly: our ops team uploads the meter readings on the first working day and checks "
            "the draft invoices before they go out."),
    ("API", "Our developers use the webhooks to update order status in our ERP and reconcile payouts every "
            "night."),
    ("FRD", "Our risk analyst reviews the held payments twice a day, mostly from new customers ordering "
            "high-value items."),
    ("INS", "Store managers look at the daily sales dashboard on their tablets at opening time."),
    ("RPT", "We still send the monthly PDF report to our franchisees by SFTP; they print it for their meetings."),
    ("FCST", "Our CFO compares the forecast with the bank balance every Friday before deciding on supplier "
             "payments."),
    ("IDN", "New joiners get access through Okta on their first day; leavers are removed the same afternoon."),
    ("CHK", "Most of our orders come in on Sunday evenings from phones, so that is when we watch checkout "
            "errors."),
]  # fmt: skip

# The Insights mobile app's store reviews (an import): (stars, nickname, text).
APP_REVIEWS = [
    (1, "kat_r", "Crashes every time I open a dashboard with a map since the last update."),
    (1, "OpsLead22", "App crashes on launch on my Pixel 8 after the update. Please fix."),
    (2, "mbauer", "Charts do not load when I am on the train. An offline mode would make this usable."),
    (2, "jt_finance", "Keeps logging me out every day, and our SSO login does not work in the app."),
    (5, "Sofia M.", "Love checking our sales numbers on the go. Clean and fast."),
    (5, "danielk", "Great app, exactly what I need for the morning numbers."),
    (4, "harbor_ops", "Very useful. Would be perfect with a dark mode for night shifts."),
    (3, "R. Patel", "Good but I cannot export anything from the app; please add PDF export."),
    (1, "anon_user", "Useless. Nothing loads."),
    (4, "lena.s", "I use it every morning to check yesterday's revenue before stand-up."),
    (2, "Tomás", "The app is slow with a year of data, the dashboard takes forever to open."),
    (5, "grace_h", "Five stars, the alerts on my phone saved us during a payment outage."),
    (3, "ravi", "Fine for reading dashboards but I wish I could filter by region."),
    (1, "owen_w", "Login loop after update. Cannot get in at all."),
    (4, "kenji.i", "Nice widgets on the home screen, I look at them more than the web app."),
    (2, "fatima.u", "Numbers on the phone do not match the web dashboard, which do I trust?"),
    (5, "mei_x", "Beautiful app. Our whole sales team uses it."),
    (3, "noah_b", "OK app. Push notifications for alerts arrive twenty minutes late."),
    (1, "jonas.l", "Crashes when rotating the phone on the revenue chart."),
    (4, "amelia", "Works well, please add offline mode for flights."),
    (5, "zara.q", "Simple and fast. Does what it says."),
    (2, "liam.c", "Dark mode please, I check numbers at night and it is blinding."),
    (3, "elena", "I use it to show numbers to store managers on my tablet, but it does not rotate to landscape."),
    (1, "yuki", "Worst update ever, all my saved views are gone."),
    (4, "isaac.y", "Good app, would love scheduled summaries as notifications every Monday."),
]

# NPS survey answers (an import): (score 0–10, answer).
NPS = [
    (10, "Checkout just works and our conversion went up after the move to the one-page checkout."),
    (9, "Reliable, great API docs, and support answers within the hour."),
    (9, "We rely on the dunning emails every day; they recover a lot of revenue for us."),
    (8, "Good product. Missing Apple Pay on the hosted checkout, which our mobile shoppers expect."),
    (8, "The dashboards are great, but we need to export them to PDF for the board."),
    (7, "Fine overall. Proration for mid-month upgrades is really missing."),
    (7, "Insights is useful but slow when we look at a full year."),
    (6, "We need single sign-on with Azure AD before we can roll it out to the whole company."),
    (6, "Invoices have to be typed into QuickBooks by hand, which makes finance unhappy."),
    (5, "Too many false positives from Fraud Shield and no way to see why a payment was blocked."),
    (5, "The sandbox is empty, onboarding new developers takes too long."),
    (4, "Rate limits hurt us on our biggest sales day of the year."),
    (3, "The cart is emptied when a card is declined. We lose customers because of it."),
    (2, "Price went up 20% at renewal and nothing new for us."),
    (10, "Best vendor we have. The team listens."),
    (9, "Easy to set up, the webhooks are solid."),
    (8, "Happy with Billing; the pause-subscription feature saved many seasonal customers."),
    (7, "Reports Studio is being retired and the migration path to Insights is not clear yet."),
    (6, "Our auditors want a year of audit log as CSV; today that is painful."),
    (3, "Exported numbers arrive as text in Excel, every single month."),
    (9, "The forecasting pilot has been eye-opening for our CFO."),
    (8, "Solid. Would love buy now, pay later at checkout."),
    (10, "Nothing to add, keep doing what you are doing."),
    (4, "Support was slow on our last two tickets and the answers were generic."),
]

# Clear cases a PM would correct if the model got them wrong: (phrase in the note, field, label).
CORRECTIONS = [
    ("Crashes every time I open a dashboard", "kind", "bug"),
    ("Good product. Missing Apple Pay", "kind", "feature_request"),
    ("The cart is emptied when a card is declined", "kind", "bug"),
    ("Dark theme for dashboards please", "kind", "feature_request"),
    ("Honestly the best payments provider", "sentiment", "positive"),
    ("Login loop after update", "kind", "bug"),
    ("I use it every morning to check yesterday's revenue", "kind", "experience"),
    ("Not impressed. Too expensive", "sentiment", "negative"),
    ("PDF export please, with our logo on it.", "kind", "feature_request"),
    ("Everything just works. Great product", "kind", "rating"),
    ("Great app, exactly what I need", "kind", "rating"),
    ("Worst update ever", "sentiment", "negative"),
]

CALL_OPENERS = [
    "Call with {name} ({role}) at {company}.",
    "QBR with {company}; {name} ({role}) joined.",
    "Check-in with {name}, {company}.",
    "Demo follow-up with {name} ({role}) from {company}.",
]
CALL_CLOSERS = [
    "Renewal is in {month}; they mentioned it twice.",
    "I promised nothing, said we would follow up.",
    "They have a workaround but it costs them time every week.",
    "Follow-up call booked for next month.",
    "",
]
COUNTRIES = ["GB", "US", "DE", "NL"]


@dataclass
class _Draft:
    text: str
    quote: str  # the sentence a PM highlights as evidence
    channel: str
    source: str
    product: str
    contact: Contact | None
    received_at: dt.datetime
    author: str  # demo user key
    topic: Topic | None = None
    title: str = ""
    external_ref: str = ""
    url: str = ""
    customer_name: str = ""
    rating: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    echo: bool = False  # says what a portal idea says: left in the inbox for the duplicates page


class _Silent:
    """A job progress nobody watches (``start``/``advance`` as ``services.jobs.JobProgress`` has)."""

    def start(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text if end == -1 else text[: end + 1]


def _received(rng: random.Random, now: dt.datetime) -> dt.datetime:
    # More feedback recently than half a year ago, during office hours (of the day it is days back).
    days = int(min(rng.triangular(0, WEEKS * 7, 0), WEEKS * 7 - 1))
    when = now - dt.timedelta(days=days)
    when = when.replace(hour=rng.randint(8, 17), minute=rng.randrange(0, 60, 5), second=0, microsecond=0)
    return min(when, now - dt.timedelta(minutes=10))


def _drafts(rng: random.Random, contacts: list[Contact], vocal: list[Contact], now: dt.datetime) -> list[_Draft]:
    """Every note of the demo as it will be written, in a fixed order."""
    big = [c for c in contacts if c.company.segment in ("enterprise", "public_sector", "mid_market")] or contacts
    owners = {"CHK": "pm", "BIL": "pm", "FRD": "pm", "IDN": "pm", "INS": "pm2", "RPT": "pm2", "FCST": "pm2"}
    channels = ["call", "ticket", "email", "chat"]
    drafts: list[_Draft] = []
    ticket = 48_211
    for t_index, topic in enumerate(TOPICS):
        for s_index, said in enumerate(topic.says):
            # Most feedback comes from a dozen vocal customers, the rest from anyone.
            pool = big if topic.enterprise else (vocal if rng.random() < 0.6 else contacts)
            contact = rng.choice(pool)
            company = contact.company.name
            kind = channels[(t_index + s_index) % len(channels)]
            quote = _first_sentence(said)
            when = _received(rng, now)
            if kind == "call":
                opener = rng.choice(CALL_OPENERS).format(name=contact.name, role=contact.role, company=company)
                month = (now + dt.timedelta(days=rng.randint(20, 200))).strftime("%B")
                closer = rng.choice(CALL_CLOSERS).format(month=month)
                text = f"{opener}\n\n{said}\n\n{closer}".strip()
                author = owners.get(topic.product, "contributor") if rng.random() < 0.6 else "contributor"
                drafts.append(
                    _Draft(text, quote, "Sales call", "manual", topic.product, contact, when, author, topic,
                           title=f"{company}: {topic.subject.rstrip('?')}")
                )  # fmt: skip
            elif kind == "ticket":
                ticket += rng.randint(3, 400)
                text = said
                drafts.append(
                    _Draft(text, quote, "Zendesk", "api", topic.product, contact, when, "contributor", topic,
                           title=topic.subject, external_ref=f"ZD-{ticket}",
                           url=f"https://northwind.zendesk.com/agent/tickets/{ticket}",
                           extra={"priority": rng.choice(["low", "normal", "high"]), "tags": [topic.product.lower()]})
                )  # fmt: skip
            elif kind == "email":
                # Forwarded by a teammate: the customer's words, their address as the sender.
                text = said
                author = owners.get(topic.product, "pm2")
                drafts.append(
                    _Draft(text, quote, "Email", "email", topic.product, contact, when, author, topic,
                           title=topic.subject, extra={"forwarded_by": f"{author}@{DEMO_EMAIL_DOMAIN}"})
                )  # fmt: skip
            else:
                conversation = 90_000_000 + ticket * 7 + s_index
                text = said
                drafts.append(
                    _Draft(text, quote, "Intercom", "api", topic.product, contact, when, "contributor", topic,
                           external_ref=str(conversation),
                           url=f"https://app.intercom.com/a/inbox/northwind/conversation/{conversation}")
                )  # fmt: skip
    for topic in TOPICS:  # the first note of a topic with a portal idea echoes that idea
        if topic.idea:
            next(d for d in drafts if d.topic is topic).echo = True
    for said in PRAISE:
        contact = rng.choice(vocal)
        drafts.append(
            _Draft(f"Call with {contact.name}, {contact.company.name}.\n\n{said}", said, "Sales call", "manual",
                   rng.choice(["CHK", "BIL", "INS"]), contact, _received(rng, now), "contributor")
        )  # fmt: skip
    for product, said in EXPERIENCE:
        contact = rng.choice(vocal)
        opener = rng.choice(CALL_OPENERS).format(name=contact.name, role=contact.role, company=contact.company.name)
        drafts.append(
            _Draft(f"{opener}\n\n{said}", said, "Sales call", "manual", product, contact, _received(rng, now),
                   rng.choice(["pm", "pm2", "contributor"]), title=f"{contact.company.name}: how they use it")
        )  # fmt: skip
    for number, (score, answer) in enumerate(NPS):
        contact = rng.choice(contacts)
        drafts.append(
            _Draft(answer, answer, "NPS survey", "import", "", contact, _received(rng, now), "leader",
                   external_ref=f"nps-{20_260_000 + number * 37}", extra={"score": str(score)})
        )  # fmt: skip
    for number, (stars, nickname, review) in enumerate(APP_REVIEWS):
        drafts.append(
            _Draft(review, review, "App Store reviews", "import", "INS", None, _received(rng, now), "pm2",
                   external_ref=f"as-{7_310_000 + number * 113}", customer_name=nickname, rating=stars,
                   extra={"app_version": rng.choice(["4.8.0", "4.8.1", "4.9.0"]), "country": rng.choice(COUNTRIES)})
        )  # fmt: skip
    return drafts


def build_insights(
    *,
    workspace: Workspace,
    users: dict[str, User],
    products: dict[str, Any],
    progress: Progress,
) -> None:
    from headway.backlog.models import Feature
    from headway.ideas.models import Idea
    from headway.insights.classify import model_version, predict
    from headway.insights.models import FeedbackNote, NoteImport, NoteState, Source
    from headway.insights.services.highlights import highlight_create
    from headway.insights.services.labels import note_correct_label
    from headway.insights.services.notes import note_create
    from headway.insights.services.themes import theme_pin, theme_rename, themes_recompute

    rng = random.Random(SEED)
    now = timezone.now()
    contacts = list(Contact.objects.filter(workspace=workspace).select_related("company").order_by("email"))
    companies = sorted({c.company for c in contacts}, key=lambda c: c.name)
    vocal_companies = {c.pk for c in rng.sample(companies, 12)}
    vocal = [c for c in contacts if c.company_id in vocal_companies]
    drafts = _drafts(rng, contacts, vocal, now)

    # Typed in, forwarded and posted by the support tools: one by one through the service.
    notes: list[tuple[_Draft, FeedbackNote]] = []
    typed = [d for d in drafts if d.source != "import"]
    for draft in progress(typed, "feedback", len(typed)):
        note = note_create(
            actor=users[draft.author],
            workspace=workspace,
            text=draft.text,
            source=draft.source,
            channel=draft.channel,
            title=draft.title,
            external_ref=draft.external_ref,
            url=draft.url,
            customer_name=draft.contact.name if draft.contact else draft.customer_name,
            customer_email=draft.contact.email if draft.contact else "",
            product=products.get(draft.product),
            rating=draft.rating,
            received_at=draft.received_at,
            extra=draft.extra or None,
        )
        notes.append((draft, note))

    # Two finished imports: an NPS survey export and the mobile app's store reviews.
    version = model_version()
    for channel, filename, product_key, columns in [
        ("NPS survey", "nps-survey-export.csv", "", ["Respondent email", "Score", "Comment", "Response ID", "Date"]),
        ("App Store reviews", "insights-app-reviews.csv", "INS", ["Review ID", "Author", "Rating", "Review", "Date"]),
    ]:
        rows = [d for d in drafts if d.channel == channel]
        started = max(d.received_at for d in rows) + dt.timedelta(hours=2)
        batch = NoteImport.objects.create(
            workspace=workspace,
            created_by=users[rows[0].author],
            filename=filename,
            channel=channel,
            product=products.get(product_key),
            columns=columns,
            mapping=(
                {"customer_email": "Respondent email", "text": "Comment", "external_ref": "Response ID",
                 "received_at": "Date"}
                if channel == "NPS survey"
                else {"external_ref": "Review ID", "customer_name": "Author", "rating": "Rating", "text": "Review",
                      "received_at": "Date"}
            ),
            status=NoteImport.Status.DONE,
            total=len(rows),
            done=len(rows),
            created=len(rows),
            started_at=started,
            finished_at=started + dt.timedelta(seconds=3),
        )  # fmt: skip
        predictions = predict([d.text for d in rows], [d.rating for d in rows])
        made = FeedbackNote.objects.bulk_create(
            [
                FeedbackNote(
                    workspace=workspace,
                    source=Source.IMPORT,
                    channel=channel,
                    external_ref=d.external_ref,
                    text=d.text,
                    customer_name=d.contact.name if d.contact else d.customer_name,
                    customer_email=d.contact.email if d.contact else "",
                    company=d.contact.company if d.contact else None,
                    contact=d.contact,
                    product=products.get(d.product),
                    rating=d.rating,
                    received_at=d.received_at,
                    author=users[d.author],
                    import_batch=batch,
                    extra=d.extra,
                    kind=p.kind,
                    kind_confidence=p.kind_confidence,
                    sentiment=p.sentiment,
                    sentiment_score=p.sentiment_score,
                    model_version=version,
                )
                for d, p in zip(rows, predictions, strict=True)
            ]
        )
        notes.extend(zip(rows, made, strict=True))

    # Triage: older feedback is dealt with, recent feedback waits; PMs own their products' notes.
    pm_of = {key: ("pm2" if key in ("INS", "RPT", "FCST", "API") else "pm") for key in products}
    updated = []
    for draft, note in notes:
        age = (now.date() - draft.received_at.date()).days
        roll = rng.random()
        owner = users[pm_of.get(draft.product, rng.choice(["pm", "pm2"]))]
        if draft.echo:
            pass  # still new: the duplicates page proposes it with the portal idea it repeats
        elif (age > 21 and roll < 0.7) or (age > 7 and roll < 0.35):
            note.state = NoteState.PROCESSED
            note.processed_by = owner
            note.processed_at = draft.received_at + dt.timedelta(days=rng.randint(1, 6))
        elif roll < 0.8 and age > 14:
            note.state = NoteState.ARCHIVED
            note.processed_by = owner
            note.processed_at = draft.received_at + dt.timedelta(days=rng.randint(1, 6))
        elif roll > 0.93:
            note.state = NoteState.SNOOZED
            note.snoozed_until = now + dt.timedelta(days=rng.randint(3, 30))
        if note.state != NoteState.NEW or rng.random() < 0.5:
            note.assignee = owner
        updated.append(note)
    FeedbackNote.objects.bulk_update(
        updated, ["state", "processed_by", "processed_at", "snoozed_until", "assignee"], batch_size=500
    )

    # Themes over everything (portal ideas included), then curated like a PM would.
    pm, pm2 = users["pm"], users["pm2"]
    themes = themes_recompute(workspace=workspace, progress=_Silent(), actor=pm)
    # A theme whose notes mostly talk about one thing gets the name a PM would give it (when one does).
    curated = [
        (("dashboard", "dashboards"), "Dashboards: speed and exports", pm2),
        (("sign-on", "sso", "azure ad", "entra", "okta", "2fa", "two-factor", "audit log"), "Enterprise security", pm),
    ]
    texts = list(
        FeedbackNote.objects.filter(workspace=workspace, theme__isnull=False).values_list("theme_id", "title", "text")
    )
    used: set[int] = set()
    for words, name, actor in curated:
        pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
        totals: dict[int, int] = {}
        hits: dict[int, int] = {}
        for theme_id, title, text in texts:
            totals[theme_id] = totals.get(theme_id, 0) + 1
            if pattern.search(f"{title} {text}"):
                hits[theme_id] = hits.get(theme_id, 0) + 1
        share = {pk: hits[pk] / totals[pk] for pk in sorted(hits) if pk not in used and hits[pk] >= 3}
        best = max(share, key=lambda pk: share[pk], default=None)
        if best is None or share[best] < 0.3:
            continue
        used.add(best)
        match = theme_rename(actor=actor, theme=next(t for t in themes if t.pk == best), name=name)
        theme_pin(actor=actor, theme=match, pinned=True)

    fresh_notes = FeedbackNote.objects.in_bulk([note.pk for _, note in notes])  # with their themes
    # Evidence: PMs highlight the quotable sentence of a note and link it to the feature or idea.
    features = {
        f.title: f
        for f in Feature.objects.filter(workspace=workspace, title__in=[t.feature for t in TOPICS if t.feature])
    }
    ideas = {i.title: i for i in Idea.objects.filter(workspace=workspace, title__in=[t.idea for t in TOPICS if t.idea])}
    seen: dict[str, int] = {}
    made_highlights = 0
    for draft, note in notes:
        note = fresh_notes[note.pk]
        topic = draft.topic
        if topic is None or made_highlights >= 25 or seen.get(topic.subject, 0) >= 2:
            continue
        feature = features.get(topic.feature)
        idea = None if feature is not None else ideas.get(topic.idea)
        if feature is None and idea is None:
            continue
        start = note.text.find(draft.quote)
        if start < 0:
            continue
        owner = users[pm_of.get(draft.product, "pm")]
        highlight_create(
            actor=owner,
            note=note,
            start=start,
            end=start + len(draft.quote),
            importance=rng.choices(["nice_to_have", "important", "critical"], weights=[2, 5, 3])[0],
            feature=feature,
            idea=idea,
        )
        seen[topic.subject] = seen.get(topic.subject, 0) + 1
        made_highlights += 1

    # Labels a PM disagreed with: the first two clear cases the model got wrong are corrected.
    fresh = FeedbackNote.objects.in_bulk([note.pk for _, note in notes])
    corrections = 0
    for phrase, label_field, value in CORRECTIONS:
        if corrections == 2:
            break
        for draft, note in notes:
            current = fresh[note.pk]
            if phrase in draft.text and getattr(current, label_field) != value:
                note_correct_label(actor=pm, note=current, field=label_field, value=value)
                corrections += 1
                break

"""The ideas portal: portals, ideas, votes, comments, statuses, subscriptions, events and merges.

People outside the workspace (customers, partners) are ordinary ``accounts.User`` rows with a
``PortalAccount`` per portal; they hold no workspace membership, so nothing inside ``/w/`` or the
API ever opens to them. Workspace members use the same portals with their own account.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from headway.core.models import BaseModel

accent_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour such as #4f46e5.")
slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$", "Use lower-case letters, digits and dashes (2 to 50 characters)."
)


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone reads, people sign in to post"
    PRIVATE = "private", "Private: invited people and allowed email domains"
    INTERNAL = "internal", "Internal: workspace members only"
    SUBMIT_ONLY = "submit_only", "Submit-only: people see only their own ideas"


class Audience(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    PARTNER = "partner", "Partner"
    INTERNAL = "internal", "Internal"


class StatusCategory(models.TextChoices):
    """What an idea status means to the people who asked, whatever the workspace calls it."""

    NEW = "new", "New"
    UNDER_REVIEW = "under_review", "Under review"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"
    DUPLICATE = "duplicate", "Duplicate"


# Ideas in these categories are settled: nobody needs to vote on them any more.
CLOSED_CATEGORIES = (StatusCategory.SHIPPED, StatusCategory.DECLINED, StatusCategory.DUPLICATE)

# (name, public label, category) of the statuses a workspace starts with; the first is the default.
DEFAULT_IDEA_STATUSES = [
    ("New", "New", StatusCategory.NEW),
    ("Under review", "Under review", StatusCategory.UNDER_REVIEW),
    ("Planned", "Planned", StatusCategory.PLANNED),
    ("In progress", "In progress", StatusCategory.IN_PROGRESS),
    ("Shipped", "Shipped", StatusCategory.SHIPPED),
    ("Declined", "Not planned", StatusCategory.DECLINED),
    ("Duplicate", "Merged", StatusCategory.DUPLICATE),
]


class Importance(models.TextChoices):
    NICE_TO_HAVE = "nice_to_have", "Nice to have"
    IMPORTANT = "important", "Important"
    CRITICAL = "critical", "Critical"


IMPORTANCE_ORDER = {Importance.NICE_TO_HAVE: 1, Importance.IMPORTANT: 2, Importance.CRITICAL: 3}


class Approval(models.TextChoices):
    APPROVED = "approved", "Approved"
    PENDING = "pending", "Waiting for approval"
    REJECTED = "rejected", "Rejected"


class CompanyBasis(models.TextChoices):
    NONE = "none", "Every company counts the same"
    TIER = "tier", "By the company's tier"
    ARR = "arr", "By the company's ARR"


class Portal(BaseModel):
    """A place where customers, partners or colleagues submit ideas and vote, under /p/<slug>/."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="portals")
    name = models.CharField(max_length=100)
    # Portal URLs live outside any workspace, so the slug is unique across the installation.
    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    intro = models.TextField("introduction", blank=True, help_text="Markdown, shown at the top of the portal.")
    accent_color = models.CharField("accent colour", max_length=7, default="#4f46e5", validators=[accent_validator])
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    # Private portals: people whose email ends in one of these domains may sign up (one per line).
    allowed_domains = models.TextField("allowed email domains", blank=True)
    require_approval = models.BooleanField(
        "approve new ideas", default=False, help_text="Ideas from people outside the workspace wait for approval."
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="portal_name_unique"),
            models.CheckConstraint(condition=Q(visibility__in=Visibility.values), name="portal_visibility_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def domains(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.allowed_domains.split() if d.strip()]


class PortalProduct(models.Model):
    """A portal covers a product: its ideas may be filed against it."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="portal_products")
    product = models.ForeignKey("portfolio.Product", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["portal", "product"], name="portal_product_unique")]

    def __str__(self) -> str:
        return f"portal {self.portal_id} covers product {self.product_id}"


class PortalInvitation(BaseModel):
    """An email address invited to a private portal (whatever its domain)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint("portal", Lower("email"), name="portal_invitation_unique")]

    def __str__(self) -> str:
        return self.email


class PortalAccount(BaseModel):
    """A person's membership of one portal: their audience, and the customer contact they are."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="accounts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_accounts")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.CUSTOMER)
    # Linked when the email matches a contact of the workspace (or a company's domain).
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="portal_accounts"
    )
    company = models.ForeignKey(
        "customers.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="portal_accounts"
    )
    email_verified_at = models.DateTimeField(null=True, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["portal", "user"], name="portal_account_unique"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="portal_account_audience_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.portal}"


class IdeaStatus(BaseModel):
    """A step of the workspace's idea workflow (such as "Planned"), with the label the public sees."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="idea_statuses")
    name = models.CharField(max_length=50)
    public_label = models.CharField("public label", max_length=50)
    category = models.CharField(max_length=16, choices=StatusCategory.choices)
    position = models.PositiveIntegerField(default=0)
    is_default = models.BooleanField("default for new ideas", default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "idea status"
        verbose_name_plural = "idea statuses"
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="idea_status_name_unique"),
            models.UniqueConstraint(fields=["workspace"], condition=Q(is_default=True), name="idea_status_one_default"),
            models.CheckConstraint(condition=Q(category__in=StatusCategory.values), name="idea_status_category_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class IdeaCategory(BaseModel):
    """A topic ideas are filed under (such as "Integrations" or "Reporting")."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="idea_categories")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "idea category"
        verbose_name_plural = "idea categories"
        constraints = [models.UniqueConstraint("workspace", Lower("name"), name="idea_category_name_unique")]

    def __str__(self) -> str:
        return self.name


class DemandSettings(BaseModel):
    """How a workspace weighs votes into demand: by importance, and by the voter's company."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="demand_settings")
    nice_to_have_weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    important_weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("2"))
    critical_weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("4"))
    company_basis = models.CharField(max_length=8, choices=CompanyBasis.choices, default=CompanyBasis.TIER)
    strategic_weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("3"))
    key_weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("2"))
    standard_weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    # By ARR: a vote counts 1 + ARR / arr_step (a company with 2 × arr_step of ARR counts 3 times).
    arr_step = models.DecimalField(
        "ARR per extra vote",
        max_digits=14,
        decimal_places=2,
        default=Decimal("100000"),
        validators=[MinValueValidator(1)],
    )
    # Votes of people with no company (colleagues, unknown portal users).
    no_company_weight = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))

    class Meta:
        verbose_name = "demand settings"
        verbose_name_plural = "demand settings"
        constraints = [
            models.CheckConstraint(condition=Q(company_basis__in=CompanyBasis.values), name="demand_basis_valid"),
            models.CheckConstraint(condition=Q(arr_step__gt=0), name="demand_arr_step_positive"),
        ]

    def __str__(self) -> str:
        return f"Demand settings of workspace {self.workspace_id}"


class Idea(BaseModel):
    """A request from a customer, partner or colleague, voted on in a portal."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="ideas")
    portal = models.ForeignKey(Portal, on_delete=models.PROTECT, related_name="ideas")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    product = models.ForeignKey(
        "portfolio.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas"
    )
    category = models.ForeignKey(IdeaCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas")
    status = models.ForeignKey(IdeaStatus, on_delete=models.PROTECT, related_name="ideas")
    # Who asked: a signed-in person, or a customer contact a member filed it for (after a sales call).
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submitted_ideas"
    )
    on_behalf_contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ideas",
        verbose_name="contact",
    )
    on_behalf_company = models.ForeignKey(
        "customers.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ideas",
        verbose_name="company",
    )
    # The member who typed it in, when it was filed on someone's behalf.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.CUSTOMER)
    approval = models.CharField(max_length=16, choices=Approval.choices, default=Approval.APPROVED)
    feature = models.ForeignKey(
        "backlog.Feature", null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_ideas"
    )
    # Kept exact by the vote services under a row lock (never counted on the fly on a list page).
    vote_count = models.PositiveIntegerField(default=0)
    demand = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    comment_count = models.PositiveIntegerField(default=0)  # public comments only
    # "Hot" ranking that needs no clock at read time: log10(votes) + created/45000 s (as Reddit's).
    trending = models.FloatField(default=0)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-vote_count", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="idea_audience_valid"),
            models.CheckConstraint(condition=Q(approval__in=Approval.values), name="idea_approval_valid"),
            models.CheckConstraint(condition=~Q(merged_into=models.F("id")), name="idea_not_merged_into_itself"),
            models.CheckConstraint(condition=Q(demand__gte=0), name="idea_demand_not_negative"),
        ]
        indexes = [
            models.Index(fields=["portal", "-vote_count", "-id"], name="idea_portal_votes"),
            models.Index(fields=["portal", "-trending", "-id"], name="idea_portal_trending"),
            models.Index(fields=["portal", "-created_at", "-id"], name="idea_portal_newest"),
            models.Index(fields=["workspace", "status"], name="idea_workspace_status"),
            models.Index(fields=["feature"], name="idea_feature"),
        ]

    def __str__(self) -> str:
        return self.title


class Vote(BaseModel):
    """One person's (or, by proxy, one company's) support for an idea, with how much it matters."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    # The person voting; empty for a proxy vote a member cast for a company.
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="idea_votes"
    )
    # The voter's company when the vote was cast (what demand weighs), or the company proxied for.
    company = models.ForeignKey("customers.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    importance = models.CharField(max_length=16, choices=Importance.choices, default=Importance.IMPORTANT)
    # The member who cast a proxy vote.
    proxy_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["idea", "voter"], condition=Q(voter__isnull=False), name="vote_one_per_person"
            ),
            models.UniqueConstraint(
                fields=["idea", "company"], condition=Q(voter__isnull=True), name="vote_one_proxy_per_company"
            ),
            models.CheckConstraint(
                condition=Q(voter__isnull=False) | Q(company__isnull=False, proxy_by__isnull=False),
                name="vote_has_voter_or_proxied_company",
            ),
            models.CheckConstraint(condition=Q(importance__in=Importance.values), name="vote_importance_valid"),
        ]
        indexes = [models.Index(fields=["voter", "idea"], name="vote_voter")]

    def __str__(self) -> str:
        return f"vote on idea {self.idea_id}"


class IdeaComment(BaseModel):
    """A comment on an idea: public, or internal (only workspace members ever see those)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(help_text="Markdown.")
    is_internal = models.BooleanField(default=False)
    # A reply from a workspace member on a public comment is the company speaking.
    is_official = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(is_internal=True, is_official=True), name="idea_comment_internal_not_official"
            )
        ]
        indexes = [models.Index(fields=["idea", "created_at"], name="idea_comment_idea")]

    def __str__(self) -> str:
        return f"comment on idea {self.idea_id}"


class Subscription(BaseModel):
    """Someone follows an idea and hears of its changes: a signed-in person, or a contact by email."""

    class Reason(models.TextChoices):
        SUBMITTED = "submitted", "Submitted it"
        VOTED = "voted", "Voted"
        COMMENTED = "commented", "Commented"
        FOLLOWED = "followed", "Followed"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="idea_subscriptions"
    )
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.FOLLOWED)
    # Kept (not deleted) on unfollow so that voting again does not silently re-subscribe them.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], condition=Q(user__isnull=False), name="subscription_user"),
            models.UniqueConstraint(
                fields=["idea", "contact"], condition=Q(contact__isnull=False), name="subscription_contact"
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, contact__isnull=True) | Q(user__isnull=True, contact__isnull=False),
                name="subscription_user_or_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"subscription to idea {self.idea_id}"


class EmailPreference(BaseModel):
    """How an email address wants to hear from a workspace: each event, a daily digest, or never."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", "An email for each update"
        DAILY = "daily", "A daily digest"
        OFF = "off", "No emails"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.IMMEDIATE)

    class Meta:
        constraints = [
            models.UniqueConstraint("workspace", Lower("email"), name="email_preference_unique"),
            models.CheckConstraint(
                condition=Q(mode__in=["immediate", "daily", "off"]), name="email_preference_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.mode}"


class IdeaEvent(models.Model):
    """Something that happened to an idea, kept for the notification log and for webhooks later."""

    class Kind(models.TextChoices):
        CREATED = "idea.created", "Submitted"
        APPROVED = "idea.approved", "Approved"
        VOTED = "idea.voted", "Voted"
        UNVOTED = "idea.unvoted", "Vote withdrawn"
        STATUS_CHANGED = "idea.status_changed", "Status changed"
        SHIPPED = "idea.shipped", "Shipped"
        COMMENTED = "idea.commented", "Commented"
        OFFICIAL_REPLY = "idea.official_reply", "Official reply"
        MERGED = "idea.merged", "Merged"
        UNMERGED = "idea.unmerged", "Unmerged"
        LINKED = "idea.linked", "Linked to a feature"
        UPDATED = "idea.updated", "Edited"
        DELETED = "idea.deleted", "Deleted"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    idea = models.ForeignKey(Idea, null=True, on_delete=models.SET_NULL, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # What a webhook would carry: ids and public text only (never internal comments).
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set by a later integrations issue once the event has been delivered to every webhook.
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["idea", "-created_at"], name="idea_event_idea"),
            models.Index(fields=["workspace", "delivered_at", "id"], name="idea_event_undelivered"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of idea {self.idea_id}"


class NotificationEmail(models.TextChoices):
    PENDING = "pending", "Email queued"
    SENT = "sent", "Email sent"
    DIGEST = "digest", "Waiting for the daily digest"
    DIGESTED = "digested", "Sent in a daily digest"
    UNSUBSCRIBED = "unsubscribed", "Not emailed: unsubscribed"
    NO_EMAIL = "no_email", "In the app only"
    FAILED = "failed", "Email failed"


class Notification(models.Model):
    """One person told of one event: in the app (for people with an account) and by email."""

    Email = NotificationEmail

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(IdeaEvent, on_delete=models.CASCADE, related_name="notifications")
    idea = models.ForeignKey(Idea, null=True, on_delete=models.SET_NULL, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    email = models.EmailField(max_length=254)
    message = models.TextField()
    email_status = models.CharField(max_length=16, choices=NotificationEmail.choices, default=NotificationEmail.PENDING)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One message per person per event, however many reasons they have to hear of it.
            models.UniqueConstraint("event", Lower("email"), name="notification_once_per_person"),
            models.CheckConstraint(
                condition=Q(email_status__in=NotificationEmail.values), name="notification_email_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
            models.Index(fields=["email_status", "workspace"], name="notification_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.message[:40]}"


class Merge(BaseModel):
    """Idea A merged into B, with everything needed to put A back exactly as it was."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="merges_out")
    target = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="merges_in")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # {"source": {field: value}, "moved_votes": [ids], "removed_votes": [rows], "raised_votes": {id: old},
    #  "moved_subscriptions": [ids], "removed_subscriptions": [rows]}
    snapshot = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=Q(undone_at__isnull=True), name="merge_one_open_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"idea {self.source_id} merged into {self.target_id}"


class FeatureStatusMapping(models.Model):
    """When a linked feature enters this workflow status, its ideas move to this idea status."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature_status = models.ForeignKey("backlog.WorkflowStatus", on_delete=models.CASCADE, related_name="+")
    idea_status = models.ForeignKey(IdeaStatus, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feature_status"], name="feature_status_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.feature_status_id} → {self.idea_status_id}"


class RateEvent(models.Model):
    """One guarded action (an idea posted, a sign-up) by a person or an address, counted for flood limits."""

    bucket = models.CharField(max_length=32)
    key = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["bucket", "key", "created_at"], name="rate_event_lookup")]

    def __str__(self) -> str:
        return f"{self.bucket} {self.key}"

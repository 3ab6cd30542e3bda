"""Customers: the companies that buy or use the products, and the people there we talk to."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower

from headway.core.models import BaseModel


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMB = "smb", "Small business"
    STARTUP = "startup", "Startup"
    PUBLIC_SECTOR = "public_sector", "Public sector"


class Tier(models.TextChoices):
    STRATEGIC = "strategic", "Strategic"
    KEY = "key", "Key"
    STANDARD = "standard", "Standard"


class Health(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    NEUTRAL = "neutral", "Neutral"
    AT_RISK = "at_risk", "At risk"
    CHURNED = "churned", "Churned"


currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 currency code, such as USD.")
domain_validator = RegexValidator(
    r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", "Enter a domain such as example.com (no http://)."
)


class Company(BaseModel):
    """A customer or prospect organisation, with what it is worth and how healthy it is."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="companies")
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, validators=[domain_validator])
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.SMB)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="USD", validators=[currency_validator])
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.NEUTRAL)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Health as a number in the order of its choices (healthy = 0), so "sort by health" walks an index.
    health_rank = models.GeneratedField(
        expression=models.Case(
            *[models.When(health=value, then=models.Value(rank)) for rank, value in enumerate(Health.values)],
            default=models.Value(len(Health.values)),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="company_name_unique"),
            models.UniqueConstraint(
                fields=["workspace", "domain"], condition=~models.Q(domain=""), name="company_domain_unique"
            ),
            models.CheckConstraint(condition=models.Q(arr__gte=0), name="company_arr_not_negative"),
            models.CheckConstraint(condition=models.Q(segment__in=Segment.values), name="company_segment_valid"),
            models.CheckConstraint(condition=models.Q(tier__in=Tier.values), name="company_tier_valid"),
            models.CheckConstraint(condition=models.Q(health__in=Health.values), name="company_health_valid"),
        ]
        indexes = [
            models.Index(fields=["workspace", "name", "id"], name="company_ws_name"),
            models.Index(fields=["workspace", "arr", "id"], name="company_ws_arr"),
            models.Index(fields=["workspace", "created_at", "id"], name="company_ws_created"),
            models.Index(fields=["workspace", "health_rank", "name", "id"], name="company_ws_health"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(BaseModel):
    """A person at a customer company: a buyer, a user, a champion."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="contacts")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    role = models.CharField("job title or role", max_length=100, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint("workspace", Lower("email"), name="contact_email_unique")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ImportKind(models.TextChoices):
    COMPANIES = "companies", "Companies"
    CONTACTS = "contacts", "Contacts"


class ImportBatch(BaseModel):
    """An uploaded CSV file, parsed and waiting for the person who uploaded it to confirm the import.

    The parsed rows live here (not in the browser) so the confirmation cannot be tampered with;
    the plan (create / update / error per row) is worked out again at confirmation time.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        IMPORTED = "imported", "Imported"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    # [[row number in the file (header = 1), {column: cell}], ...]
    rows = models.JSONField(default=list)
    notes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "import batches"
        indexes = [models.Index(fields=["workspace", "created_by", "status"], name="import_batch_owner")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import from {self.filename}"

"""Customers: the companies that buy or use the products, and the people there we talk to."""

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

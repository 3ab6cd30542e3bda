"""The product portfolio: product lines hold products, products hold components."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from headway.core.models import BaseModel


class Stage(models.TextChoices):
    CONCEPT = "concept", "Concept"
    DEVELOPMENT = "development", "Development"
    GROWTH = "growth", "Growth"
    MATURE = "mature", "Mature"
    SUNSET = "sunset", "Sunset"


class ProductLine(BaseModel):
    """A family of products managed together, such as "Payments" or "Analytics"."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="product_lines")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="product_line_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


product_key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$", "Use 2 to 10 capital letters or digits, starting with a letter (e.g. PAY)."
)


class Product(BaseModel):
    """Something the organisation builds and sells, owned by one product manager."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="products")
    product_line = models.ForeignKey(ProductLine, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=100)
    key = models.CharField(max_length=10, validators=[product_key_validator])
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_products"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.CONCEPT)
    target_customers = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="product_key_unique"),
            models.UniqueConstraint("workspace", Lower("name"), name="product_name_unique"),
            models.CheckConstraint(condition=models.Q(stage__in=Stage.values), name="product_stage_valid"),
        ]
        indexes = [models.Index(fields=["product_line", "position"], name="product_line_position")]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class Component(BaseModel):
    """A part of a product (a module, a service, an app) that features and feedback attach to."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="components")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="components")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint("product", Lower("name"), name="component_name_unique")]

    def __str__(self) -> str:
        return self.name

"""Strategy: the vision, objectives with key results in a cascade, check-ins and initiatives."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from headway.core.models import BaseModel

# Decimals for measured values: 20 digits with 4 after the point cover money, counts and rates.
VALUE_DIGITS = 20
VALUE_PLACES = 4
MAX_WEIGHT = 100


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", "Quarter"
    HALF = "half", "Half year"
    YEAR = "year", "Year"
    CUSTOM = "custom", "Custom dates"


class ObjectiveStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class Health(models.TextChoices):
    """How a check-in judges an objective; it becomes the objective's status."""

    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


class Direction(models.TextChoices):
    INCREASE = "increase", "Increase to"
    DECREASE = "decrease", "Decrease to"
    KEEP_ABOVE = "keep_above", "Keep at or above"
    KEEP_BELOW = "keep_below", "Keep at or below"


class InitiativeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class Objective(BaseModel):
    """A goal for a period: a company objective, or one that serves its parent in the cascade."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="objectives")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="parent"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
    )
    product_line = models.ForeignKey(
        "portfolio.ProductLine", null=True, blank=True, on_delete=models.PROTECT, related_name="objectives"
    )
    product = models.ForeignKey(
        "portfolio.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="objectives"
    )
    period_kind = models.CharField("period", max_length=16, choices=PeriodKind.choices, default=PeriodKind.QUARTER)
    starts_on = models.DateField("starts on")
    ends_on = models.DateField("ends on")
    status = models.CharField(max_length=16, choices=ObjectiveStatus.choices, default=ObjectiveStatus.ON_TRACK)
    # How much this objective counts in its parent's progress, next to the parent's key results.
    weight = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="objective_dates_ordered",
                violation_error_message="The start date must be on or before the end date.",
            ),
            models.CheckConstraint(condition=Q(status__in=ObjectiveStatus.values), name="objective_status_valid"),
            models.CheckConstraint(condition=Q(period_kind__in=PeriodKind.values), name="objective_period_valid"),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=MAX_WEIGHT),
                name="objective_weight_range",
                violation_error_message=f"The weight must be between 1 and {MAX_WEIGHT}.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="objective_not_own_parent",
                violation_error_message="An objective cannot be its own parent.",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "starts_on"], name="objective_workspace_period"),
            models.Index(fields=["workspace", "owner"], name="objective_workspace_owner"),
        ]

    def __str__(self) -> str:
        return self.title


class KeyResult(BaseModel):
    """A measurable result that shows an objective is met: from a start value to a target."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    start_value = models.DecimalField("start value", max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, default=0)
    target_value = models.DecimalField("target value", max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    current_value = models.DecimalField(
        "current value", max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, default=0
    )
    unit = models.CharField(max_length=24, blank=True)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.INCREASE)
    weight = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "key result"
        constraints = [
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="key_result_direction_valid"),
            models.CheckConstraint(
                condition=~Q(direction=Direction.INCREASE) | Q(target_value__gt=F("start_value")),
                name="key_result_increase_target_above_start",
                violation_error_message="To increase, the target value must be above the start value.",
            ),
            models.CheckConstraint(
                condition=~Q(direction=Direction.DECREASE) | Q(target_value__lt=F("start_value")),
                name="key_result_decrease_target_below_start",
                violation_error_message="To decrease, the target value must be below the start value.",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=MAX_WEIGHT),
                name="key_result_weight_range",
                violation_error_message=f"The weight must be between 1 and {MAX_WEIGHT}.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CheckIn(BaseModel):
    """An owner's dated word on an objective: its health, a comment and the progress at that moment."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField()
    health = models.CharField(max_length=16, choices=Health.choices)
    comment = models.TextField(blank=True)
    # Objective progress (0..1) when the check-in was made; null when it had no measures yet.
    progress = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    # Key result values recorded with the check-in: {"<key result id>": "<value>"}.
    values = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "check-in"
        constraints = [
            models.CheckConstraint(condition=Q(health__in=Health.values), name="check_in_health_valid"),
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__gte=0, progress__lte=1),
                name="check_in_progress_range",
            ),
        ]
        indexes = [models.Index(fields=["objective", "-date"], name="check_in_objective_date")]

    def __str__(self) -> str:
        return f"{self.objective} {self.date}"


class Initiative(BaseModel):
    """A strategic bet: a body of work that serves one or more objectives across products.

    Its objectives and products are link rows (``InitiativeObjective``, ``InitiativeProduct``), not
    ``ManyToManyField``s, so a backup carries them as ordinary rows of the workspace.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="initiatives")
    title = models.CharField(max_length=200)
    problem = models.TextField("problem statement", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_initiatives",
    )
    status = models.CharField(max_length=16, choices=InitiativeStatus.choices, default=InitiativeStatus.PROPOSED)
    starts_on = models.DateField("starts on", null=True, blank=True)
    ends_on = models.DateField("ends on", null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(starts_on__lte=F("ends_on")),
                name="initiative_dates_ordered",
                violation_error_message="The start date must be on or before the end date.",
            ),
            models.CheckConstraint(condition=Q(status__in=InitiativeStatus.values), name="initiative_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def linked_objectives(self) -> list[Objective]:
        """Its objectives (from the selectors' prefetch when there is one)."""
        return [link.objective for link in self.objective_links.all()]

    @property
    def linked_products(self) -> list[Any]:
        return [link.product for link in self.product_links.all()]


class Vision(BaseModel):
    """Where the workspace (or one product) is going and why: one current text, with versions kept."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="visions")
    product = models.ForeignKey(
        "portfolio.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="visions"
    )
    statement = models.TextField("vision statement", blank=True)
    mission = models.TextField(blank=True)
    target_customers = models.TextField("target customers", blank=True)
    value_proposition = models.TextField("value proposition", blank=True)
    principles = models.TextField(blank=True)

    TEXT_FIELDS = ("statement", "mission", "target_customers", "value_proposition", "principles")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(product__isnull=True),
                name="vision_one_per_workspace",
                violation_error_message="This workspace already has a vision.",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(product__isnull=False),
                name="vision_one_per_product",
                violation_error_message="This product already has a vision.",
            ),
        ]

    def __str__(self) -> str:
        return f"Vision of {self.product}" if self.product_id else "Workspace vision"


class VisionVersion(BaseModel):
    """One saved version of a vision: the full text as it read after a change, with who made it."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    vision = models.ForeignKey(Vision, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    statement = models.TextField("vision statement", blank=True)
    mission = models.TextField(blank=True)
    target_customers = models.TextField("target customers", blank=True)
    value_proposition = models.TextField("value proposition", blank=True)
    principles = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["vision", "-number"]
        verbose_name = "vision version"
        constraints = [
            models.UniqueConstraint(fields=["vision", "number"], name="vision_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vision} v{self.number}"


class InitiativeObjective(models.Model):
    """An initiative serves an objective (a row of the link, kept with its workspace for backups)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="objective_links")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="initiative_links")

    class Meta:
        verbose_name = "initiative objective"
        constraints = [
            models.UniqueConstraint(fields=["initiative", "objective"], name="initiative_objective_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} → objective {self.objective_id}"


class InitiativeProduct(models.Model):
    """An initiative touches a product (a row of the link, kept with its workspace for backups)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="product_links")
    product = models.ForeignKey("portfolio.Product", on_delete=models.CASCADE, related_name="initiative_links")

    class Meta:
        verbose_name = "initiative product"
        constraints = [
            models.UniqueConstraint(fields=["initiative", "product"], name="initiative_product_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} → product {self.product_id}"

"""The backlog: features of each product in a ranked order, moving through the workspace's workflow.

Every table has a ``workspace`` foreign key (scoping, and one-workspace backups). Many-to-many
relations are explicit link tables (``FeatureObjective``, ``FeatureTag``) rather than Django
``ManyToManyField``s, so the backup carries them as ordinary rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from headway.core.models import BaseModel


class StatusCategory(models.TextChoices):
    """What a workflow status means for reports, whatever the workspace calls it.

    Four categories rather than one per default status: reports ask "planned, in progress, done
    or off the table?", and a workspace may add statuses (e.g. "In review") that fit one of them.
    """

    NOT_STARTED = "not_started", "Not started"  # new, discovery, ready: planned work
    ACTIVE = "active", "In progress"
    DONE = "done", "Done"  # released
    CLOSED = "closed", "Closed"  # parked, won't do: not planned


OPEN_CATEGORIES = (StatusCategory.NOT_STARTED, StatusCategory.ACTIVE)

# (name, category) of the statuses a workspace starts with; the first is the default.
DEFAULT_WORKFLOW: list[tuple[str, str]] = [
    ("New", StatusCategory.NOT_STARTED),
    ("Discovery", StatusCategory.NOT_STARTED),
    ("Ready", StatusCategory.NOT_STARTED),
    ("In progress", StatusCategory.ACTIVE),
    ("Released", StatusCategory.DONE),
    ("Parked", StatusCategory.CLOSED),
    ("Won't do", StatusCategory.CLOSED),
]


class EffortUnit(models.TextChoices):
    POINTS = "points", "Story points"
    PERSON_WEEKS = "person_weeks", "Person-weeks"


class WorkflowStatus(BaseModel):
    """A step of the workspace's feature workflow (such as "Discovery"), mapped to a category."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="workflow_statuses")
    name = models.CharField(max_length=40)
    category = models.CharField(max_length=16, choices=StatusCategory.choices)
    position = models.PositiveIntegerField(default=0)
    is_default = models.BooleanField("default for new features", default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "workflow status"
        verbose_name_plural = "workflow statuses"
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="workflow_status_name_unique"),
            models.UniqueConstraint(fields=["workspace"], condition=Q(is_default=True), name="workflow_one_default"),
            models.CheckConstraint(
                condition=Q(category__in=StatusCategory.values), name="workflow_status_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BacklogSettings(BaseModel):
    """How a workspace estimates features: in story points or in person-weeks."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="backlog_settings")
    effort_unit = models.CharField("effort unit", max_length=16, choices=EffortUnit.choices, default=EffortUnit.POINTS)

    class Meta:
        verbose_name = "backlog settings"
        verbose_name_plural = "backlog settings"
        constraints = [
            models.CheckConstraint(condition=Q(effort_unit__in=EffortUnit.values), name="backlog_effort_unit_valid"),
        ]

    def __str__(self) -> str:
        return f"Backlog settings ({self.get_effort_unit_display()})"


class Tag(BaseModel):
    """A label for features (such as "compliance" or "quick win"), shared across the workspace."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="feature_tags")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint("workspace", Lower("name"), name="tag_name_unique")]

    def __str__(self) -> str:
        return self.name


class Feature(BaseModel):
    """A piece of product work in a product's backlog, ranked against the product's other features."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="features")
    product = models.ForeignKey("portfolio.Product", on_delete=models.PROTECT, related_name="features")
    # PAY-12 is feature 12 of the product with key PAY.
    number = models.PositiveIntegerField()
    component = models.ForeignKey(
        "portfolio.Component", null=True, blank=True, on_delete=models.PROTECT, related_name="features"
    )
    initiative = models.ForeignKey(
        "strategy.Initiative", null=True, blank=True, on_delete=models.SET_NULL, related_name="features"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_features"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.ForeignKey(WorkflowStatus, on_delete=models.PROTECT, related_name="features")
    # In the workspace's unit (BacklogSettings.effort_unit); empty means "not estimated yet".
    effort = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    target_release = models.CharField("target release", max_length=100, blank=True)
    # Backlog order within the product: see ranking.py. Not shown to people.
    rank = models.CharField(max_length=80)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["product", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["product", "rank"], name="feature_rank_unique"),
            models.UniqueConstraint(fields=["product", "number"], name="feature_number_unique"),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | Q(effort__gte=0),
                name="feature_effort_not_negative",
                violation_error_message="Effort cannot be negative.",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "status", "rank"], name="feature_board"),
            models.Index(fields=["workspace", "status"], name="feature_workspace_status"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        """The feature's reference, such as PAY-12 (loads the product unless it is already loaded)."""
        return f"{self.product.key}-{self.number}"


class FeatureObjective(models.Model):
    """A feature serves an objective."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="objective_links")
    objective = models.ForeignKey("strategy.Objective", on_delete=models.CASCADE, related_name="feature_links")

    class Meta:
        verbose_name = "feature objective"
        constraints = [models.UniqueConstraint(fields=["feature", "objective"], name="feature_objective_unique")]

    def __str__(self) -> str:
        return f"feature {self.feature_id} → objective {self.objective_id}"


class FeatureTag(models.Model):
    """A feature carries a tag."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="feature_links")

    class Meta:
        verbose_name = "feature tag"
        constraints = [models.UniqueConstraint(fields=["feature", "tag"], name="feature_tag_unique")]

    def __str__(self) -> str:
        return f"feature {self.feature_id} → tag {self.tag_id}"


class FeatureStatusChange(models.Model):
    """A feature entered a status at a moment (the first row is its creation): cycle time and throughput."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.ForeignKey(
        WorkflowStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="from"
    )
    to_status = models.ForeignKey(WorkflowStatus, on_delete=models.PROTECT, related_name="+", verbose_name="to")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = "feature status change"
        indexes = [
            models.Index(fields=["feature", "changed_at"], name="status_change_feature"),
            models.Index(fields=["workspace", "changed_at"], name="status_change_workspace"),
        ]

    def __str__(self) -> str:
        return f"feature {self.feature_id}: {self.from_status_id} → {self.to_status_id}"


class Requirement(BaseModel):
    """A user story of a feature with its acceptance criteria, ticked off when done."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="requirements")
    position = models.PositiveIntegerField(default=0)
    story = models.TextField(max_length=2000)
    acceptance_criteria = models.TextField("acceptance criteria", blank=True, max_length=20_000)
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.story[:80]


class FeatureDependency(BaseModel):
    """One feature blocks another: the blocked one cannot ship before the blocker."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    blocker = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="blocks_links")
    blocked = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="blocked_by_links")

    class Meta:
        verbose_name = "feature dependency"
        verbose_name_plural = "feature dependencies"
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="dependency_unique"),
            models.CheckConstraint(
                condition=~Q(blocker=F("blocked")),
                name="dependency_not_self",
                violation_error_message="A feature cannot block itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


class FeatureComment(BaseModel):
    """A remark on a feature by someone in the workspace (Markdown, shown sanitised)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=20_000)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "comment"

    def __str__(self) -> str:
        return f"Comment on feature {self.feature_id}"


class FeatureLink(BaseModel):
    """A link attached to a feature: a design, a spec, a ticket in the engineering tracker."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="links")
    url = models.URLField("URL", max_length=2000)
    title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "link"

    def __str__(self) -> str:
        return self.title or self.url


class SavedView(BaseModel):
    """A named set of backlog filters; its owner may share it with the whole workspace."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    filters = models.JSONField(default=dict, blank=True)
    shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "saved view"
        constraints = [models.UniqueConstraint("workspace", "owner", Lower("name"), name="saved_view_name_unique")]

    def __str__(self) -> str:
        return self.name

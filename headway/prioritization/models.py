"""Prioritization: scoring models and feature scores, teams and their capacity, and capacity plans.

The arithmetic lives in pure modules next to this one (``frameworks``, ``formula``, ``planner``,
``capacity``); these tables hold what people typed and what the planner decided. Every table has a
``workspace`` foreign key (scoping, and one-workspace backups).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from headway.core.models import BaseModel


class Framework(models.TextChoices):
    RICE = "rice", "RICE"
    ICE = "ice", "ICE"
    WSJF = "wsjf", "WSJF"
    WEIGHTED = "weighted", "Weighted scorecard"
    VALUE_EFFORT = "value_effort", "Value vs effort"
    MOSCOW = "moscow", "MoSCoW"
    KANO = "kano", "Kano"
    CUSTOM = "custom", "Custom formula"


class ScoringModel(BaseModel):
    """A way of scoring features (RICE, WSJF, a weighted scorecard, a formula…); a workspace may have several.

    ``config`` holds what the framework needs beyond its name (ICE's average or product, a
    scorecard's criteria, a formula and its inputs, inputs taken from built-in signals); it is
    validated by ``headway.prioritization.engine.spec_from_config`` before it is saved.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="scoring_models")
    name = models.CharField(max_length=80)
    framework = models.CharField(max_length=16, choices=Framework.choices)
    description = models.TextField(blank=True, max_length=2000)
    config = models.JSONField(default=dict, blank=True)
    # The workspace's default; a product may choose another (ProductScoringModel).
    is_default = models.BooleanField("workspace default", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "scoring model"
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="scoring_model_name_unique"),
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(is_default=True), name="scoring_model_one_default"
            ),
            models.CheckConstraint(condition=Q(framework__in=Framework.values), name="scoring_model_framework_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductScoringModel(models.Model):
    """The scoring model a product ranks its features by, when it is not the workspace's default."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    product = models.OneToOneField("portfolio.Product", on_delete=models.CASCADE, related_name="scoring_default")
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="product_defaults")

    class Meta:
        verbose_name = "product scoring model"

    def __str__(self) -> str:
        return f"product {self.product_id} → model {self.scoring_model_id}"


class FeatureScore(BaseModel):
    """A feature's inputs under one scoring model (reach, impact…) and the score they give.

    ``value`` is empty while inputs are missing. Models that read live signals (votes, demand…)
    are recomputed when ranked; the stored value is then the one at the last edit.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey("backlog.Feature", on_delete=models.CASCADE, related_name="scores")
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="scores")
    inputs = models.JSONField(default=dict, blank=True)
    value = models.FloatField(null=True, blank=True)
    # A category where the framework has one: a quadrant, a Kano category, a MoSCoW bucket.
    label = models.CharField(max_length=32, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "feature score"
        constraints = [
            models.UniqueConstraint(fields=["feature", "scoring_model"], name="feature_score_unique"),
        ]
        indexes = [models.Index(fields=["scoring_model", "value"], name="feature_score_model_value")]

    def __str__(self) -> str:
        return f"feature {self.feature_id} under model {self.scoring_model_id}: {self.value}"


class FeatureScoreChange(models.Model):
    """One edit of a feature's score: the inputs and the score after it, and the score before."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey("backlog.Feature", on_delete=models.CASCADE, related_name="score_changes")
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="score_changes")
    inputs = models.JSONField(default=dict, blank=True)
    value = models.FloatField(null=True, blank=True)
    previous_value = models.FloatField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = "score change"
        indexes = [models.Index(fields=["feature", "scoring_model", "-changed_at"], name="score_change_feature")]

    def __str__(self) -> str:
        return f"feature {self.feature_id}: {self.previous_value} → {self.value}"


class RankOverride(BaseModel):
    """A feature pinned at a position of a model's ranking by a person, whatever its score says."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="overrides")
    feature = models.ForeignKey("backlog.Feature", on_delete=models.CASCADE, related_name="rank_overrides")
    # 1 is the top of the ranking.
    position = models.PositiveIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "rank override"
        constraints = [
            models.UniqueConstraint(fields=["scoring_model", "feature"], name="rank_override_one_per_feature"),
            models.UniqueConstraint(fields=["scoring_model", "position"], name="rank_override_one_per_position"),
            models.CheckConstraint(
                condition=Q(position__gte=1),
                name="rank_override_position_positive",
                violation_error_message="The position must be 1 or more.",
            ),
        ]

    def __str__(self) -> str:
        return f"feature {self.feature_id} pinned at #{self.position}"


# ── capacity ──────────────────────────────────────────────────────────────────────────────────


class Team(BaseModel):
    """A delivery team whose capacity plans are fitted into, in the workspace's effort unit."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, max_length=2000)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint("workspace", Lower("name"), name="team_name_unique")]

    def __str__(self) -> str:
        return self.name


class TeamMember(BaseModel):
    """A person in a team and how much they deliver in a full week (person-weeks or points)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    # A workspace member, or just a name (a contractor, a hire to come).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=120)
    # 1 person-week per week is full time; 0.5 half time; with points, the person's weekly velocity.
    weekly_capacity = models.DecimalField("capacity per week", max_digits=8, decimal_places=2, default=1)
    # Empty: in the team for as long as there are periods.
    starts_on = models.DateField("joins on", null=True, blank=True)
    ends_on = models.DateField("leaves on", null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "team member"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekly_capacity__gte=0),
                name="team_member_capacity_not_negative",
                violation_error_message="Capacity cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(starts_on__lte=F("ends_on")),
                name="team_member_dates_ordered",
                violation_error_message="The joining date must be on or before the leaving date.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TimeOff(BaseModel):
    """Days a team member is away (holidays, leave, a conference): taken off the team's capacity."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="time_off")
    starts_on = models.DateField("from")
    ends_on = models.DateField("to")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="time_off_dates_ordered",
                violation_error_message="The first day must be on or before the last day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} away {self.starts_on}–{self.ends_on}"


class TeamAllocation(models.Model):
    """A share of a team's capacity given to a product or an initiative; its features go to that team."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="allocations")
    product = models.ForeignKey(
        "portfolio.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="team_allocations"
    )
    initiative = models.ForeignKey(
        "strategy.Initiative", null=True, blank=True, on_delete=models.CASCADE, related_name="team_allocations"
    )
    percent = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = "team allocation"
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(initiative__isnull=True))
                | (Q(product__isnull=True) & Q(initiative__isnull=False)),
                name="team_allocation_one_target",
                violation_error_message="Allocate to a product or to an initiative.",
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100),
                name="team_allocation_percent_range",
                violation_error_message="The share must be between 1% and 100%.",
            ),
            models.UniqueConstraint(fields=["team", "product"], name="team_allocation_product_unique"),
            models.UniqueConstraint(fields=["team", "initiative"], name="team_allocation_initiative_unique"),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id}: {self.percent}%"


# ── capacity plans ────────────────────────────────────────────────────────────────────────────


class PlanGoal(models.TextChoices):
    SCORE = "score", "Total score"
    DEMAND = "demand", "Customer demand"
    OBJECTIVE_MIX = "objective_mix", "Objective mix"


class PlanState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SOLVED = "solved", "Solved"
    COMMITTED = "committed", "Committed"


class CapacityPlan(BaseModel):
    """A period's plan: which candidate features fit the chosen teams' capacity for the most value.

    ``result`` keeps the solver's summary (status, value, gap, greedy baseline, capacity used,
    reasons and warnings) so a saved plan reads the same later; each candidate's outcome is a
    ``PlanItem``.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="capacity_plans")
    name = models.CharField(max_length=120)
    # Written as people say it ("2027-Q1"); it becomes the committed features' target release.
    period_label = models.CharField("period", max_length=20)
    starts_on = models.DateField("starts on")
    ends_on = models.DateField("ends on")
    goal = models.CharField(max_length=16, choices=PlanGoal.choices, default=PlanGoal.SCORE)
    scoring_model = models.ForeignKey(
        ScoringModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    # Objective mix: {objective id: weight}; a feature's value is the sum of its objectives' weights.
    objective_weights = models.JSONField(default=dict, blank=True)
    # [{"objective": id, "min_share": 0.2}]: at least that share of total capacity goes to it.
    shares = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=PlanState.choices, default=PlanState.DRAFT)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    solved_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = "capacity plan"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="plan_dates_ordered",
                violation_error_message="The start date must be on or before the end date.",
            ),
            models.CheckConstraint(condition=Q(goal__in=PlanGoal.values), name="plan_goal_valid"),
            models.CheckConstraint(condition=Q(state__in=PlanState.values), name="plan_state_valid"),
        ]
        indexes = [models.Index(fields=["workspace", "starts_on"], name="plan_workspace_period")]

    def __str__(self) -> str:
        return self.name


class PlanTeam(models.Model):
    """A team taking part in a plan, with its capacity for the period (computed, then editable)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(CapacityPlan, on_delete=models.CASCADE, related_name="plan_teams")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    capacity = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "plan team"
        constraints = [
            models.UniqueConstraint(fields=["plan", "team"], name="plan_team_unique"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="plan_team_capacity_not_negative"),
        ]

    def __str__(self) -> str:
        return f"plan {self.plan_id}: team {self.team_id} ({self.capacity})"


class LeftOutReason(models.TextChoices):
    CAPACITY = "capacity", "Over capacity"
    DEPENDENCY = "dependency", "Waits on a dependency"
    SHARE = "share", "Would break an objective's share"
    VALUE = "value", "Adds no value"


class PlanItem(models.Model):
    """A candidate feature of a plan: its team, value and effort, and whether it made the cut (and why not)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(CapacityPlan, on_delete=models.CASCADE, related_name="items")
    feature = models.ForeignKey("backlog.Feature", on_delete=models.CASCADE, related_name="plan_items")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    value = models.FloatField(default=0)
    effort = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    must_have = models.BooleanField("must have", default=False)
    chosen = models.BooleanField(default=False)
    reason = models.CharField(max_length=16, blank=True, choices=LeftOutReason.choices)
    message = models.TextField(blank=True)
    # Value order among the plan's candidates (0 first).
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "plan item"
        constraints = [
            models.UniqueConstraint(fields=["plan", "feature"], name="plan_item_unique"),
            models.CheckConstraint(condition=Q(effort__gte=0), name="plan_item_effort_not_negative"),
            models.CheckConstraint(
                condition=Q(reason="") | Q(reason__in=LeftOutReason.values), name="plan_item_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"plan {self.plan_id}: feature {self.feature_id}"


class PlanScenario(BaseModel):
    """A what-if on a plan (add a person, cut a feature's scope, change values) and the plan it gives.

    ``changes``: ``[{"kind": "add_capacity", "team": id, "amount": 4}, {"kind": "scale_effort",
    "feature": id, "factor": 0.5}, {"kind": "set_weight", "objective": id, "weight": 3}]``;
    ``result``: the scenario's plan summary, its chosen feature ids and the comparison with the plan.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(CapacityPlan, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(max_length=120)
    changes = models.JSONField(default=list)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "plan scenario"

    def __str__(self) -> str:
        return self.name

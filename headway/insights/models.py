"""The insights inbox: feedback notes from every channel, highlights linked as evidence, themes.

A note is what a customer said, kept as it was said (``text`` is never rewritten), with where it came
from and who said it. Portal ideas are mirrored as notes of source ``portal`` (one note per idea), so
triage, classification, themes and duplicate detection see every channel the same way; the idea
stays the place where people vote. Portal users hold no workspace membership, so none of this is
ever visible to them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from headway.core.models import BaseModel
from headway.ideas.models import Importance

MAX_NOTE_CHARS = 100_000  # a long email thread fits; a 10 MB cell is refused with its row number


class Source(models.TextChoices):
    """How a note reached Headway."""

    MANUAL = "manual", "Typed in"
    EMAIL = "email", "Email"
    API = "api", "API"
    IMPORT = "import", "Import"
    PORTAL = "portal", "Portal idea"


class NoteState(models.TextChoices):
    NEW = "new", "New"
    PROCESSED = "processed", "Processed"
    SNOOZED = "snoozed", "Snoozed"
    ARCHIVED = "archived", "Archived"


class Kind(models.TextChoices):
    """What sort of feedback a note is (the classes of Maalej & Nabil's app-review study)."""

    BUG = "bug", "Bug report"
    FEATURE_REQUEST = "feature_request", "Feature request"
    EXPERIENCE = "experience", "Experience"
    RATING = "rating", "Rating"


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class NoteImport(BaseModel):
    """One uploaded CSV/XLSX file of feedback: its column mapping, the rows it found, and progress.

    The file's rows are kept here (not in the browser) so nothing can be changed between preview
    and confirmation; the import itself runs as a background task that updates ``done``.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    channel = models.CharField(max_length=80, help_text="Where these notes came from, e.g. “App Store reviews”.")
    product = models.ForeignKey("portfolio.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # {"text": "content", "title": "", "external_ref": "reviewId", "rating": "score", ...}: field → column
    mapping = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list, blank=True)  # the file's header, in order
    # [[row number in the file (header = 1), [cell, ...]], ...] as read; cleared once imported
    rows = models.JSONField(default=list, blank=True)
    # [{"row": 7, "field": "text", "message": "..."}], found at preview and while importing
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEW)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)  # the same external reference seen again
    skipped = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)  # why it failed, in words

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="note_import_ws_time")]

    def __str__(self) -> str:
        return f"Import of {self.filename}"


class Theme(BaseModel):
    """A group of notes about the same thing, found by clustering and then curated by people."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    # The top terms of the cluster; ``name`` starts as this and is kept when someone renames it.
    auto_label = models.CharField(max_length=200, blank=True)
    renamed = models.BooleanField(default=False)  # a person chose the name: re-clustering keeps it
    pinned = models.BooleanField(default=False)  # kept as it is by re-clustering (members and all)
    # Three representative quotes: [{"note": id, "text": "..."}]
    quotes = models.JSONField(default=list, blank=True)
    # The theme's position in the workspace's vector space (see services/themes.py): a list of floats.
    centroid = models.JSONField(default=list, blank=True)
    note_count = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pinned", "-note_count", "name", "id"]
        indexes = [models.Index(fields=["workspace", "archived_at", "-note_count"], name="theme_ws_count")]

    def __str__(self) -> str:
        return self.name


class FeedbackNote(BaseModel):
    """One piece of customer feedback, from any channel, as it was said."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    # A finer name of the channel ("App Store reviews", "Zendesk", "sales call"); with
    # ``external_ref`` it identifies a note so that importing it again updates instead of duplicating.
    channel = models.CharField(max_length=80)
    external_ref = models.CharField("external reference", max_length=255, blank=True)
    url = models.URLField("URL", max_length=2000, blank=True)
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField(max_length=MAX_NOTE_CHARS)
    # Who gave the feedback, as the channel named them; matched to a contact or company by email.
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(max_length=254, blank=True)
    company = models.ForeignKey("customers.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey("portfolio.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )  # stars of an app-store review or survey, when the channel has them
    received_at = models.DateTimeField()
    author = models.ForeignKey(  # the teammate who typed, forwarded or imported it
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idea = models.OneToOneField(  # the portal idea this note mirrors (source = portal)
        "ideas.Idea", null=True, blank=True, on_delete=models.CASCADE, related_name="insight_note"
    )
    import_batch = models.ForeignKey(NoteImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    extra = models.JSONField(default=dict, blank=True)  # other columns or headers kept for reference

    # Triage
    state = models.CharField(max_length=16, choices=NoteState.choices, default=NoteState.NEW)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Classification: the model's answer, unless a person corrected it (``*_corrected``).
    kind = models.CharField(max_length=16, choices=Kind.choices, blank=True)
    kind_confidence = models.FloatField(null=True, blank=True)
    kind_corrected = models.BooleanField(default=False)
    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)  # −1 (negative) … +1 (positive)
    sentiment_corrected = models.BooleanField(default=False)
    model_version = models.CharField(max_length=40, blank=True)

    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes")
    theme_score = models.FloatField(null=True, blank=True)  # cosine to the theme's centroid when assigned

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "channel", "external_ref"],
                condition=~Q(external_ref=""),
                name="note_external_ref_unique",
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="note_source_valid"),
            models.CheckConstraint(condition=Q(state__in=NoteState.values), name="note_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=[*Kind.values, ""]), name="note_kind_valid"),
            models.CheckConstraint(condition=Q(sentiment__in=[*Sentiment.values, ""]), name="note_sentiment_valid"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="note_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=~Q(state=NoteState.SNOOZED) | Q(snoozed_until__isnull=False), name="note_snooze_has_date"
            ),
            models.CheckConstraint(
                condition=Q(idea__isnull=True) | Q(source=Source.PORTAL), name="note_idea_only_for_portal"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "state", "-received_at", "-id"], name="note_ws_state_time"),
            models.Index(fields=["workspace", "-received_at", "-id"], name="note_ws_time"),
            models.Index(fields=["workspace", "theme", "-received_at"], name="note_ws_theme"),
            models.Index(fields=["workspace", "kind"], name="note_ws_kind"),
            models.Index(fields=["workspace", "company"], name="note_ws_company"),
            models.Index(fields=["workspace", "assignee", "state"], name="note_ws_assignee"),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:80]


class Highlight(BaseModel):
    """A passage of a note linked to a feature or an idea as evidence, with how much it matters."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(FeedbackNote, on_delete=models.CASCADE, related_name="highlights")
    start = models.PositiveIntegerField()  # character offsets into note.text
    end = models.PositiveIntegerField()
    quote = models.TextField(max_length=5000)  # note.text[start:end] when it was highlighted
    feature = models.ForeignKey(
        "backlog.Feature", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    idea = models.ForeignKey("ideas.Idea", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    importance = models.CharField(max_length=16, choices=Importance.choices, default=Importance.IMPORTANT)
    # importance weight × the note's company weight, as votes are weighed (ideas.DemandSettings)
    demand = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["note_id", "start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="highlight_not_empty"),
            models.CheckConstraint(
                condition=(Q(feature__isnull=False) & Q(idea__isnull=True))
                | (Q(feature__isnull=True) & Q(idea__isnull=False)),
                name="highlight_one_target",
            ),
            models.CheckConstraint(condition=Q(importance__in=Importance.values), name="highlight_importance_valid"),
            models.CheckConstraint(condition=Q(demand__gte=0), name="highlight_demand_not_negative"),
            models.UniqueConstraint(
                fields=["note", "start", "end", "feature"],
                condition=Q(feature__isnull=False),
                name="highlight_once_per_feature",
            ),
            models.UniqueConstraint(
                fields=["note", "start", "end", "idea"], condition=Q(idea__isnull=False), name="highlight_once_per_idea"
            ),
        ]
        indexes = [
            models.Index(fields=["feature"], name="highlight_feature"),
            models.Index(fields=["idea"], name="highlight_idea"),
        ]

    def __str__(self) -> str:
        return self.quote[:80]


class LabelCorrection(BaseModel):
    """A person's correction of the classifier, kept to train the next model (``headway insights retrain``).

    Text is copied so the correction survives the note's deletion and feeds training as it was judged.
    """

    class Field(models.TextChoices):
        KIND = "kind", "Kind"
        SENTIMENT = "sentiment", "Sentiment"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(FeedbackNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    field = models.CharField(max_length=16, choices=Field.choices)
    text = models.TextField(max_length=MAX_NOTE_CHARS)
    predicted = models.CharField(max_length=16, blank=True)
    corrected = models.CharField(max_length=16)
    model_version = models.CharField(max_length=40, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(field__in=["kind", "sentiment"]), name="correction_field_valid"),
            models.CheckConstraint(
                condition=(Q(field="kind") & Q(corrected__in=Kind.values))
                | (Q(field="sentiment") & Q(corrected__in=Sentiment.values)),
                name="correction_label_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.predicted or '—'} → {self.corrected}"


class InsightJob(BaseModel):
    """A background job of the inbox (classify, recompute themes) with progress people can watch."""

    class Kind(models.TextChoices):
        CLASSIFY = "classify", "Classify notes"
        THEMES = "themes", "Recompute themes"
        PORTAL_SYNC = "portal_sync", "Bring in portal ideas"
        RETRAIN = "retrain", "Retrain the classifier"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "kind", "-created_at"], name="insight_job_ws_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class ThemeSpace(BaseModel):
    """A workspace's fitted text-vector space for themes (vectoriser and reduction), pickled.

    Written only by Headway's own theme recomputation and read back to place new notes in the same
    space as the themes' centroids; never built from anything uploaded as a file.
    """

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1)  # bumped at every recomputation
    blob = models.BinaryField()
    note_count = models.PositiveIntegerField(default=0)  # notes it was fitted on
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Theme space v{self.version}"

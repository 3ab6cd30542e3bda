"""API: themes (groups of feedback notes found by clustering) and the insights jobs that run in the background.

Every member reads themes; PMs and up rename, pin, merge, split and recompute them. Recomputing
answers 202 with the job to poll (``GET /insight-jobs/{id}``); a renamed or pinned theme survives
it. Archived themes (merged away, or no longer found) are listed only with ``include_archived=true``
and still answer ``GET /themes/{id}``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from headway.backlog.schemas import NOT_BLANK
from headway.core import permissions
from headway.core.api import MAX_PAGE, Id, Page, StrictIn, paginate, responses, workspace_of
from headway.core.errors import HeadwayError, NotFound
from headway.core.permissions import Action
from headway.insights.models import InsightJob, Theme
from headway.insights.selectors import themes as selectors
from headway.insights.services import jobs
from headway.insights.services import themes as services

router = Router(tags=["insights"])

# Every InsightJob.Kind / Status (a test checks these stay in step with the model).
JobKindName = Literal["classify", "themes", "portal_sync", "retrain"]
JobStatusName = Literal["queued", "running", "done", "failed"]
ThemeName = Annotated[str, Field(min_length=1, max_length=120, pattern=NOT_BLANK)]


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, never null: leave the field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


# --- schemas ----------------------------------------------------------------------------------


class ThemeQuote(Schema):
    note: int = Field(description="The id of the note quoted.")
    text: str = Field(description="The note's text, up to 300 characters.")


class ThemeOut(Schema):
    id: int
    name: str
    auto_label: str = Field(description="The top terms found by clustering; name starts as this.")
    renamed: bool = Field(description="A person chose the name: recomputation keeps it.")
    pinned: bool = Field(description="Recomputation leaves the theme and its notes exactly as they are.")
    note_count: int
    quotes: list[ThemeQuote]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_quotes(obj: Any) -> list[dict]:
        return [q for q in (obj.quotes or []) if isinstance(q, dict)]


class ThemeVolume(Schema):
    weeks: list[str] = Field(description="The Monday of each week (YYYY-MM-DD), oldest first.")
    negative: list[int]
    neutral: list[int]
    positive: list[int]
    unlabelled: list[int]


class ThemeSentiment(Schema):
    negative: int
    neutral: int
    positive: int
    unlabelled: int
    mean: float | None = Field(description="Mean sentiment score (−1…1) of the scored notes.")


class ThemeCompany(Schema):
    id: int
    name: str
    arr: Decimal
    currency: str
    notes: int


class ThemeFeature(Schema):
    id: int
    ref: str
    title: str
    highlights: int
    notes: int


class ThemeDetailOut(ThemeOut):
    volume: ThemeVolume = Field(description="Notes received per week over the last 12 weeks, by sentiment.")
    sentiment: ThemeSentiment
    companies: list[ThemeCompany] = Field(description="The top 5 companies by notes, with their ARR.")
    features: list[ThemeFeature] = Field(description="Features that have highlights from the theme's notes.")


class ThemeFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=100)
    include_archived: bool = False


class ThemePatch(StrictIn):
    name: ThemeName = _optional()
    pinned: bool = _optional()


class ThemeMergeIn(StrictIn):
    into_id: Id = Field(description="The theme that takes this one's notes.")


class ThemeSplitOut(Schema):
    theme: ThemeOut = Field(description="The theme split, with the notes it kept.")
    new_theme: ThemeOut = Field(description="The new theme, with the notes that moved.")


class InsightJobOut(Schema):
    id: int
    kind: JobKindName
    status: JobStatusName
    total: int
    done: int
    message: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_at: dt.datetime


# --- helpers ----------------------------------------------------------------------------------


def _theme(request: HttpRequest, theme_id: int) -> Theme:
    return selectors.theme_get(user=request.user, workspace=workspace_of(request), theme_id=theme_id)


def _detail(theme: Theme) -> Theme:
    """The theme with its charts as attributes, for ThemeDetailOut."""
    for key, value in selectors.theme_stats(themes=[theme])[theme.pk].items():
        setattr(theme, key, value)
    return theme


def _api_fields(exc: HeadwayError) -> HeadwayError:
    renames = {"into": "into_id", "theme": "__all__"}
    exc.fields = {renames.get(k, k): v for k, v in exc.fields.items()}
    for old, new in renames.items():
        if exc.message.startswith(f"{old}: "):
            rest = exc.message[len(old) + 2 :]
            exc.message = rest if new == "__all__" else f"{new}: {rest}"
    return exc


# --- operations -------------------------------------------------------------------------------


@router.post(
    "/themes/recompute",
    response=responses({202: InsightJobOut}),
    summary="Find themes again",
    description="PMs and up. Starts a background job (or answers the one already running) that clusters every "
    "live note again; poll GET /insight-jobs/{id} for its progress.",
)
def themes_recompute(request: HttpRequest) -> Status:
    job = jobs.job_start(actor=request.user, workspace=workspace_of(request), kind=InsightJob.Kind.THEMES)
    job.refresh_from_db()
    return Status(202, job)


@router.get("/themes", response=responses({200: Page[ThemeOut]}), summary="List themes")
def theme_list(request: HttpRequest, filters: Query[ThemeFilters]) -> dict:
    """Pinned themes first, then the biggest. Archived ones only with ``include_archived=true``."""
    qs = selectors.themes_for_workspace(
        user=request.user, workspace=workspace_of(request), include_archived=filters.include_archived
    )
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get(
    "/themes/{theme_id}",
    response=responses({200: ThemeDetailOut}),
    summary="Get a theme with its charts",
    description="With notes per week (12 weeks, by sentiment), the sentiment split, the top companies and the "
    "linked features.",
)
def theme_get(request: HttpRequest, theme_id: int) -> Theme:
    return _detail(_theme(request, theme_id))


@router.patch(
    "/themes/{theme_id}",
    response=responses({200: ThemeDetailOut}),
    summary="Rename, pin or unpin a theme",
    description="PMs and up. Send only the fields to change. A renamed theme keeps its name when themes are "
    "recomputed; a pinned one is left exactly as it is. Archived themes: 409.",
)
def theme_update(request: HttpRequest, theme_id: int, data: ThemePatch) -> Theme:
    theme = _theme(request, theme_id)
    fields = data.model_dump(exclude_unset=True)
    permissions.require(request.user, Action.INSIGHT_MANAGE, theme.workspace_id)
    try:
        if theme.archived_at is not None and fields:
            from headway.core.errors import Conflict

            raise Conflict("The theme is archived.")
        if "name" in fields and fields["name"] != theme.name:
            theme = services.theme_rename(actor=request.user, theme=theme, name=fields["name"])
        if "pinned" in fields:
            theme = services.theme_pin(actor=request.user, theme=theme, pinned=fields["pinned"])
    except HeadwayError as exc:
        raise _api_fields(exc) from exc
    return _detail(_theme(request, theme_id))


@router.post(
    "/themes/{theme_id}/merge",
    response=responses({200: ThemeDetailOut}),
    summary="Merge a theme into another",
    description="PMs and up. Every note moves to the other theme (answered, with its new count); this theme is "
    "archived.",
)
def theme_merge(request: HttpRequest, theme_id: int, data: ThemeMergeIn) -> Theme:
    theme = _theme(request, theme_id)
    into = (
        selectors.themes_for_workspace(user=request.user, workspace=workspace_of(request), include_archived=True)
        .filter(pk=data.into_id)
        .first()
    )
    if into is None:
        msg = f"No theme {data.into_id} in this workspace."
        raise NotFound(f"into_id: {msg}", fields={"into_id": [msg]})
    try:
        into = services.theme_merge(actor=request.user, theme=theme, into=into)
    except HeadwayError as exc:
        raise _api_fields(exc) from exc
    return _detail(_theme(request, into.pk))


@router.post(
    "/themes/{theme_id}/split",
    response=responses({200: ThemeSplitOut}),
    summary="Split a theme in two",
    description="PMs and up. Its notes are divided in two groups by content (2-means); the smaller group becomes "
    "a new theme with its own label and quotes. A theme needs at least 4 notes (409 otherwise).",
)
def theme_split(request: HttpRequest, theme_id: int) -> dict:
    theme = _theme(request, theme_id)
    try:
        new = services.theme_split(actor=request.user, theme=theme)
    except HeadwayError as exc:
        raise _api_fields(exc) from exc
    return {"theme": _theme(request, theme_id), "new_theme": _theme(request, new.pk)}


@router.get(
    "/insight-jobs/{job_id}",
    response=responses({200: InsightJobOut}),
    summary="Get an insights job's progress",
    description="Classification, theme recomputation or portal sync: status, and done out of total steps.",
)
def insight_job_get(request: HttpRequest, job_id: int) -> InsightJob:
    qs = permissions.scope(InsightJob.objects.all(), request.user, workspace_of(request), Action.INSIGHT_VIEW)
    job: InsightJob = permissions.get_or_404(qs, pk=job_id)
    return job

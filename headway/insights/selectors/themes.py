"""Reads of themes: the list with each theme's charts (volume over time, sentiment, top companies,
linked features), and one theme with its notes. Every figure comes from a handful of aggregate
queries over all the themes at once — the number of queries does not grow with the themes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from headway.core import permissions
from headway.core.permissions import Action
from headway.insights.models import FeedbackNote, Highlight, Kind, Sentiment, Theme
from headway.workspaces.models import Workspace

WEEKS = 12
TOP_COMPANIES = 5
TOP_FEATURES = 5
NOTES_PER_PAGE = 50


def themes_for_workspace(*, user: Any, workspace: Workspace, include_archived: bool = False) -> QuerySet[Theme]:
    """The workspace's themes, pinned first, then biggest; archived ones only when asked."""
    qs = permissions.scope(Theme.objects.all(), user, workspace, Action.INSIGHT_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("-pinned", "-note_count", "name", "id")


def theme_get(*, user: Any, workspace: Workspace, theme_id: int) -> Theme:
    """One theme of the workspace (archived ones too, so old links still open); 404 otherwise."""
    qs = permissions.scope(Theme.objects.all(), user, workspace, Action.INSIGHT_VIEW)
    theme: Theme = permissions.get_or_404(qs, pk=theme_id)
    return theme


def _week_starts(weeks: int, today: dt.date) -> list[dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, str):  # some backends hand truncated dates back as text
        return dt.date.fromisoformat(value[:10])
    return value  # type: ignore[no-any-return]


def theme_stats(*, themes: list[Theme], weeks: int = WEEKS, now: dt.datetime | None = None) -> dict[int, dict]:
    """Charts for each theme, keyed by theme id, in four aggregate queries whatever the number of themes.

    ``volume``: ``{"weeks": ["2026-08-31", ...], "negative": [..], "neutral": [..], "positive": [..],
    "unlabelled": [..]}`` — notes received per week (by ``received_at``), the last ``weeks`` weeks.
    ``sentiment``: counts per sentiment and ``mean`` of ``sentiment_score`` (None without scores).
    ``companies``: the top companies by notes, with ARR. ``features``: features that have highlights
    from the theme's notes, with how many highlights.
    """
    ids = [t.pk for t in themes]
    result: dict[int, dict] = {}
    now = now or timezone.now()
    starts = _week_starts(weeks, timezone.localtime(now).date())
    labels = [d.isoformat() for d in starts]
    index = {d: i for i, d in enumerate(starts)}
    series = ["negative", "neutral", "positive", "unlabelled"]
    for pk in ids:
        result[pk] = {
            "volume": {"weeks": labels, **{name: [0] * weeks for name in series}},
            "sentiment": {"negative": 0, "neutral": 0, "positive": 0, "unlabelled": 0, "mean": None},
            "companies": [],
            "features": [],
        }
    if not ids:
        return result
    notes = FeedbackNote.objects.filter(theme_id__in=ids)
    since = timezone.make_aware(dt.datetime.combine(starts[0], dt.time.min)) if settings.USE_TZ else starts[0]

    for row in (
        notes.filter(received_at__gte=since)
        .annotate(week=TruncWeek("received_at"))
        .values("theme_id", "week", "sentiment")
        .annotate(n=Count("id"))
        .order_by()
    ):
        position = index.get(_as_date(row["week"]))
        if position is not None:
            result[row["theme_id"]]["volume"][row["sentiment"] or "unlabelled"][position] += row["n"]

    totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for srow in (
        notes.values("theme_id", "sentiment")
        .annotate(n=Count("id"), mean=Avg("sentiment_score"), scored=Count("sentiment_score"))
        .order_by()
    ):
        sentiment = result[srow["theme_id"]]["sentiment"]
        sentiment[srow["sentiment"] or "unlabelled"] += srow["n"]
        if srow["scored"]:
            totals[srow["theme_id"]][0] += srow["mean"] * srow["scored"]
            totals[srow["theme_id"]][1] += srow["scored"]
    for pk, (total, scored) in totals.items():
        result[pk]["sentiment"]["mean"] = round(total / scored, 3) if scored else None

    companies: dict[int, list[dict]] = defaultdict(list)
    for crow in (
        notes.filter(company__isnull=False)
        .values("theme_id", "company_id", "company__name", "company__arr", "company__currency")
        .annotate(n=Count("id"))
        .order_by("theme_id", "-n", "company__name", "company_id")
    ):
        listed = companies[crow["theme_id"]]
        if len(listed) < TOP_COMPANIES:
            listed.append(
                {
                    "id": crow["company_id"],
                    "name": crow["company__name"],
                    "arr": crow["company__arr"] if crow["company__arr"] is not None else Decimal("0"),
                    "currency": crow["company__currency"],
                    "notes": crow["n"],
                }
            )
    for pk, listed in companies.items():
        result[pk]["companies"] = listed

    features: dict[int, list[dict]] = defaultdict(list)
    for frow in (
        Highlight.objects.filter(note__theme_id__in=ids, feature__isnull=False)
        .values("note__theme_id", "feature_id", "feature__title", "feature__number", "feature__product__key")
        .annotate(n=Count("id"), notes=Count("note_id", distinct=True))
        .order_by("note__theme_id", "-notes", "-n", "feature_id")
    ):
        listed = features[frow["note__theme_id"]]
        if len(listed) < TOP_FEATURES:
            listed.append(
                {
                    "id": frow["feature_id"],
                    "ref": f"{frow['feature__product__key']}-{frow['feature__number']}",
                    "title": frow["feature__title"],
                    "highlights": frow["n"],
                    "notes": frow["notes"],
                }
            )
    for pk, listed in features.items():
        result[pk]["features"] = listed
    return result


def themes_overview(*, user: Any, workspace: Workspace, weeks: int = WEEKS) -> list[dict]:
    """The themes page: each live theme with its charts (five queries in all)."""
    themes = list(themes_for_workspace(user=user, workspace=workspace))
    stats = theme_stats(themes=themes, weeks=weeks)
    return [{"theme": t, **stats[t.pk]} for t in themes]


def theme_notes(*, user: Any, theme: Theme, kind: str = "", sentiment: str = "") -> QuerySet[FeedbackNote]:
    """A theme's notes, newest first, optionally of one kind and/or sentiment."""
    qs = permissions.scope(
        FeedbackNote.objects.select_related("company", "product"), user, theme.workspace_id, Action.INSIGHT_VIEW
    ).filter(theme=theme)
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    if sentiment in Sentiment.values:
        qs = qs.filter(sentiment=sentiment)
    return qs.order_by("-received_at", "-id")


def theme_counts(*, theme: Theme) -> dict[str, int]:
    """How many of the theme's notes are of each kind (for the filter's labels), in one query."""
    agg = FeedbackNote.objects.filter(theme=theme).aggregate(
        all=Count("id"), **{k: Count("id", filter=Q(kind=k)) for k in Kind.values}
    )
    return {k: v or 0 for k, v in agg.items()}

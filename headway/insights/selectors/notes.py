"""Reads of the inbox: the notes a person triages, filtered and ordered, with counts per state.

"Inbox" is what needs a look: new notes, and snoozed notes whose date has passed (they come back
by themselves, no scheduled job needed). "Snoozed" is only those still asleep.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from headway.core import permissions
from headway.core.errors import NotFound
from headway.core.permissions import Action
from headway.customers.models import Segment
from headway.insights.models import FeedbackNote, Highlight, Kind, NoteState, Sentiment, Source
from headway.workspaces.models import Workspace

STATES = {
    "inbox": "Inbox",
    "snoozed": "Snoozed",
    "processed": "Processed",
    "archived": "Archived",
    "all": "All",
}
ORDERINGS = {"newest": "Newest first", "oldest": "Oldest first"}
_ORDER_BY = {"newest": ("-received_at", "-id"), "oldest": ("received_at", "id")}
Q_MAX = 200

_RELATED = ("company", "contact", "product", "theme", "assignee")


def _id(value: Any) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and 0 < len(value) < 12 else None


@dataclasses.dataclass
class NoteFilters:
    """What the inbox shows. ``assignee`` is "me", "nobody" or a user id; ids are ints or None."""

    state: str = "inbox"
    product: int | None = None
    source: str = ""
    channel: str = ""
    company: int | None = None
    segment: str = ""
    kind: str = ""
    sentiment: str = ""
    theme: int | None = None
    assignee: str = ""
    batch: int | None = None
    q: str = ""
    ordering: str = "newest"

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> NoteFilters:
        """From a query string; anything not understood is left out rather than refused."""

        def pick(name: str, allowed: Any, default: str = "") -> str:
            value = str(params.get(name, "") or "")
            return value if value in allowed else default

        assignee = str(params.get("assignee", "") or "")
        if assignee not in ("me", "nobody") and _id(assignee) is None:
            assignee = ""
        return cls(
            state=pick("state", STATES, "inbox"),
            product=_id(params.get("product")),
            source=pick("source", Source.values),
            channel=str(params.get("channel", "") or "").strip()[:80],
            company=_id(params.get("company")),
            segment=pick("segment", Segment.values),
            kind=pick("kind", [*Kind.values, "none"]),
            sentiment=pick("sentiment", [*Sentiment.values, "none"]),
            theme=_id(params.get("theme")),
            assignee=assignee,
            batch=_id(params.get("batch")),
            q=str(params.get("q", "") or "").strip()[:Q_MAX],
            ordering=pick("ordering", ORDERINGS, "newest"),
        )

    def as_params(self, *, state: bool = True) -> dict[str, Any]:
        """The query-string form: only what differs from the defaults."""
        defaults = NoteFilters()
        params = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(defaults, f.name)
        }
        if not state:
            params.pop("state", None)
        return params

    @property
    def narrowing(self) -> bool:
        """Does anything besides the state tab and ordering narrow the list?"""
        return bool({k for k in self.as_params() if k not in ("state", "ordering")})


def _state_q(state: str, now: Any) -> Q:
    woke = Q(state=NoteState.SNOOZED, snoozed_until__lte=now)
    if state == "inbox":
        return Q(state=NoteState.NEW) | woke
    if state == "snoozed":
        return Q(state=NoteState.SNOOZED, snoozed_until__gt=now)
    if state in (NoteState.PROCESSED, NoteState.ARCHIVED):
        return Q(state=state)
    return Q()


def _narrow(qs: QuerySet, user: Any, filters: NoteFilters) -> QuerySet:
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.segment:
        qs = qs.filter(company__segment=filters.segment)
    if filters.kind:
        qs = qs.filter(kind="" if filters.kind == "none" else filters.kind)
    if filters.sentiment:
        qs = qs.filter(sentiment="" if filters.sentiment == "none" else filters.sentiment)
    if filters.theme:
        qs = qs.filter(theme_id=filters.theme)
    if filters.assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif filters.assignee == "nobody":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.batch:
        qs = qs.filter(import_batch_id=filters.batch)
    if filters.q:
        q = filters.q
        if q.startswith("#") and q[1:].isdigit() and len(q) < 13:
            qs = qs.filter(pk=int(q[1:]))
        else:
            qs = qs.filter(Q(title__icontains=q) | Q(text__icontains=q))
    return qs


def _base(user: Any, workspace: Workspace | int, filters: NoteFilters) -> QuerySet:
    qs = permissions.scope(FeedbackNote.objects.all(), user, workspace, Action.INSIGHT_VIEW)
    return _narrow(qs, user, filters)


def notes_for_inbox(*, user: Any, workspace: Workspace | int, filters: NoteFilters | None = None) -> QuerySet:
    """The notes to show, in order, with company, contact, product, theme and assignee loaded;
    ``Paginator(qs, 50)`` costs one count and one page query."""
    filters = filters or NoteFilters()
    qs = _base(user, workspace, filters).filter(_state_q(filters.state, timezone.now()))
    return qs.select_related(*_RELATED).order_by(*_ORDER_BY[filters.ordering])


def inbox_counts(*, user: Any, workspace: Workspace | int, filters: NoteFilters | None = None) -> dict[str, int]:
    """How many notes each state tab holds under the other filters, in one query."""
    filters = filters or NoteFilters()
    now = timezone.now()
    aggregates = {
        state: Count("id", filter=_state_q(state, now)) if state != "all" else Count("id") for state in STATES
    }
    return _base(user, workspace, filters).order_by().aggregate(**aggregates)


def note_detail(*, user: Any, workspace: Workspace | int, pk: int) -> FeedbackNote:
    """One note with what its page shows; its highlights (with their targets) prefetched."""
    from django.db.models import Prefetch

    qs = permissions.scope(FeedbackNote.objects.all(), user, workspace, Action.INSIGHT_VIEW)
    highlights = Highlight.objects.select_related("feature__product", "idea", "author").order_by("start", "end", "id")
    note = (
        qs.select_related(*_RELATED, "author", "processed_by", "import_batch", "idea")
        .prefetch_related(Prefetch("highlights", queryset=highlights))
        .filter(pk=pk)
        .first()
    )
    if note is None:
        raise NotFound("No note matches that id in this workspace.")
    return note


def note_neighbours(
    *, user: Any, workspace: Workspace | int, note: FeedbackNote, filters: NoteFilters
) -> tuple[int | None, int | None]:
    """The notes before and after this one in the list as filtered (ids), for j/k on a note's page.

    The note itself may have left the list (just triaged): its place in the order still counts.
    """
    qs = _base(user, workspace, filters).filter(_state_q(filters.state, timezone.now())).exclude(pk=note.pk)
    after = Q(received_at__lt=note.received_at) | Q(received_at=note.received_at, id__lt=note.pk)
    before = Q(received_at__gt=note.received_at) | Q(received_at=note.received_at, id__gt=note.pk)
    if filters.ordering == "oldest":
        after, before = before, after
    order_next = _ORDER_BY[filters.ordering]
    order_prev = tuple(o[1:] if o.startswith("-") else f"-{o}" for o in order_next)
    nxt = qs.filter(after).order_by(*order_next).values_list("pk", flat=True).first()
    prev = qs.filter(before).order_by(*order_prev).values_list("pk", flat=True).first()
    return prev, nxt


def portal_mirror_status(*, user: Any, workspace: Any) -> dict[str, Any]:
    """How many of the workspace's portal ideas have their note in the inbox, and the portal-sync job
    running now (if any): the imports page offers to bring the missing ones in."""
    from headway.ideas.models import Idea
    from headway.insights.models import InsightJob

    permissions.require(user, Action.INSIGHT_VIEW, workspace)
    ideas = Idea.objects.filter(workspace=workspace, deleted_at__isnull=True)
    active = [InsightJob.Status.QUEUED, InsightJob.Status.RUNNING]
    return {
        "ideas": ideas.count(),
        "mirrored": ideas.filter(insight_note__isnull=False).count(),
        "job": InsightJob.objects.filter(workspace=workspace, kind=InsightJob.Kind.PORTAL_SYNC, status__in=active)
        .order_by("-id")
        .first(),
    }

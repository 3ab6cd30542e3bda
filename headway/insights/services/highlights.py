"""Highlights: a passage of a note linked to a feature or an idea as evidence, with an importance.

Evidence weighs like a vote: importance weight × the note's company weight, by the workspace's
demand settings (``headway.ideas.services.votes.demand_weight``). The stored ``demand`` is what it
weighed when written; what pages and prioritization show is computed when read
(``selectors/evidence.py``), so a company's new ARR or tier, or new demand settings, count at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from headway.backlog.models import Feature
from headway.backlog.services._common import field_error
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import Conflict, NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.ideas.models import DemandSettings, Idea, Importance
from headway.ideas.services.portals import demand_settings_get
from headway.ideas.services.votes import demand_weight
from headway.insights.models import FeedbackNote, Highlight

QUOTE_MAX = 5000


def _target(model: type[Any], value: Any, workspace_id: int, field: str, what: str) -> Any:
    """A feature or idea of the note's workspace (an instance or an id); 404 naming the field otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | model):
        raise field_error(ValidationFailed, field, f"Choose {what} of this workspace.")
    pk = value if isinstance(value, int) else value.pk
    qs = model._default_manager.filter(pk=pk, workspace_id=workspace_id)
    if model is Idea:
        qs = qs.filter(deleted_at__isnull=True)
    found = qs.first()
    if found is None:
        message = f"No {what} {pk} in this workspace."
        raise NotFound(f"{field}: {message}", fields={field: [message]})
    return found


def check_importance(value: Any) -> str:
    if value not in Importance.values:
        raise field_error(ValidationFailed, "importance", f"Choose one of {', '.join(Importance.values)}.")
    return str(value)


def check_span(note: FeedbackNote, start: Any, end: Any) -> tuple[int, int]:
    """0 ≤ start < end ≤ len(text), the passage at most QUOTE_MAX characters and not only spaces."""
    length = len(note.text)
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < length:
        raise field_error(ValidationFailed, "start", f"Give a character offset from 0 to {max(length - 1, 0)}.")
    if isinstance(end, bool) or not isinstance(end, int) or not start < end <= length:
        raise field_error(ValidationFailed, "end", f"Give a character offset after start, at most {length}.")
    if end - start > QUOTE_MAX:
        raise field_error(ValidationFailed, "end", f"Highlight at most {QUOTE_MAX} characters.")
    if not note.text[start:end].strip():
        raise field_error(ValidationFailed, "end", "Highlight some words, not only spaces.")
    return start, end


def highlight_demand(settings: DemandSettings, importance: str, note: FeedbackNote) -> Decimal:
    return demand_weight(settings, importance, note.company).quantize(Decimal("0.01"))


def highlight_create(
    *,
    actor: Any,
    note: FeedbackNote,
    start: int,
    end: int,
    importance: str = Importance.IMPORTANT,
    feature: Feature | int | None = None,
    idea: Idea | int | None = None,
) -> Highlight:
    """Link ``note.text[start:end]`` to exactly one feature or idea as evidence."""
    permissions.require(actor, Action.INSIGHT_MANAGE, note.workspace_id, note)
    if (feature is None) == (idea is None):
        message = "Link the passage to a feature or to an idea (one of them)."
        raise ValidationFailed(f"feature: {message}", fields={"feature": [message], "idea": [message]})
    importance = check_importance(importance)
    note = FeedbackNote.objects.select_related("company", "workspace").get(pk=note.pk)  # the text as stored now
    start, end = check_span(note, start, end)
    feature_row: Feature | None = _target(Feature, feature, note.workspace_id, "feature", "feature")
    idea_row: Idea | None = _target(Idea, idea, note.workspace_id, "idea", "idea")
    settings = demand_settings_get(workspace=note.workspace_id)
    highlight = Highlight(
        workspace_id=note.workspace_id,
        note=note,
        start=start,
        end=end,
        quote=note.text[start:end],
        feature=feature_row,
        idea=idea_row,
        importance=importance,
        demand=highlight_demand(settings, importance, note),
        author=actor if getattr(actor, "pk", None) else None,
    )
    target: Any = feature_row if feature_row is not None else idea_row
    what = feature_row.ref if feature_row is not None else f"idea #{target.pk}"
    duplicate = Conflict(f"This passage is already evidence for {what}.")
    with transaction.atomic():
        lookup: dict[str, Any] = {"feature": feature_row} if feature_row is not None else {"idea": idea_row}
        if Highlight.objects.filter(note=note, start=start, end=end, **lookup).exists():
            raise duplicate
        try:
            with transaction.atomic():
                highlight.save()
        except IntegrityError as exc:
            raise duplicate from exc
        audit_record(
            actor=actor,
            workspace=note.workspace,
            action="highlight.create",
            target=highlight,
            changes={
                "note": [None, note.pk],
                "target": [None, str(target)],
                "importance": [None, importance],
            },
        )
    return highlight


def highlight_delete(*, actor: Any, highlight: Highlight) -> None:
    permissions.require(actor, Action.INSIGHT_MANAGE, highlight.workspace_id, highlight)
    with transaction.atomic():
        audit_record(
            actor=actor,
            workspace=highlight.workspace,
            action="highlight.delete",
            target=highlight,
            changes={"note": [highlight.note_id, None], "quote": [highlight.quote[:200], None]},
        )
        Highlight.objects.filter(pk=highlight.pk).delete()


def highlight_update_importance(*, actor: Any, highlight: Highlight, importance: str) -> Highlight:
    permissions.require(actor, Action.INSIGHT_MANAGE, highlight.workspace_id, highlight)
    importance = check_importance(importance)
    with transaction.atomic():
        locked = Highlight.objects.select_for_update(of=("self",)).select_related("note__company").get(pk=highlight.pk)
        if locked.importance != importance:
            before = locked.importance
            locked.importance = importance
            settings = demand_settings_get(workspace=locked.workspace_id)
            locked.demand = highlight_demand(settings, importance, locked.note)
            locked.save(update_fields=["importance", "demand", "updated_at"])
            audit_record(
                actor=actor,
                workspace=highlight.workspace,
                action="highlight.update",
                target=locked,
                changes={"importance": [before, importance]},
            )
    highlight.importance, highlight.demand = locked.importance, locked.demand
    return highlight


def highlights_refresh_demand(*, note_ids: Iterable[int]) -> int:
    """Re-weigh the stored demand of these notes' highlights (after a note's company changed).

    Pages read demand live; this keeps the stored snapshot honest for exports and the API.
    """
    rows = list(Highlight.objects.filter(note_id__in=list(note_ids)).select_related("note__company"))
    if not rows:
        return 0
    settings = {ws: demand_settings_get(workspace=ws) for ws in {h.workspace_id for h in rows}}
    for h in rows:
        h.demand = highlight_demand(settings[h.workspace_id], h.importance, h.note)
    Highlight.objects.bulk_update(rows, ["demand"])
    return len(rows)

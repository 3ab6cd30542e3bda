"""Acting on a cluster of duplicate feedback: link its notes to one idea, or to one feature.

Each note of the cluster gets a highlight of its whole text (up to the longest passage a highlight
holds) linked to the idea or feature, as evidence with the chosen importance, and is marked
processed. All or nothing: the first note or idea that cannot be linked stops the whole batch and
nothing is changed.

Portal ideas in the cluster (mirror notes, or ideas not mirrored yet) are merged into the target
idea only when asked (``merge_ideas``: "merge the portal ideas too"); otherwise the mirror notes are
simply linked as evidence and the ideas keep their own votes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.ideas.models import Idea, Importance, Portal
from headway.insights.models import FeedbackNote, Highlight, NoteState
from headway.insights.services.highlights import QUOTE_MAX, check_importance, highlight_create
from headway.insights.services.triage import note_triage

CLUSTER_MAX = 100  # notes (or ideas) acted on at once


def _field(exc: type, field: str, message: str) -> Exception:
    return exc(f"{field}: {message}", fields={field: [message]})


def _ids(values: Any, field: str) -> list[int]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise _field(ValidationFailed, field, "Give a list of ids.")
    ids: list[int] = []
    for value in values:
        pk = getattr(value, "pk", value)
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise _field(ValidationFailed, field, "Give ids (whole numbers).")
        ids.append(pk)
    ids = list(dict.fromkeys(ids))
    if len(ids) > CLUSTER_MAX:
        raise _field(ValidationFailed, field, f"Choose at most {CLUSTER_MAX} at once.")
    return ids


def _notes(workspace_id: int, note_ids: Any) -> list[FeedbackNote]:
    ids = _ids(note_ids, "note_ids")
    notes = {
        n.pk: n
        for n in FeedbackNote.objects.select_for_update(of=("self",))
        .select_related("idea")
        .filter(workspace_id=workspace_id, pk__in=ids)
    }
    missing = [pk for pk in ids if pk not in notes]
    if missing:
        raise _field(NotFound, "note_ids", f"No note {missing[0]} in this workspace. Nothing was changed.")
    return [notes[pk] for pk in ids]


def _passage(note: FeedbackNote) -> tuple[int, int] | None:
    """The whole text, without surrounding spaces, cut at QUOTE_MAX characters."""
    text = note.text
    start = len(text) - len(text.lstrip())
    end = min(len(text.rstrip()), start + QUOTE_MAX)
    return (start, end) if end > start else None


def _link(
    actor: Any, notes: list[FeedbackNote], importance: str, *, idea: Idea | None = None, feature: Feature | None = None
) -> list[Highlight]:
    """Highlights for each note (skipping one already there) and the notes marked processed."""
    created = []
    lookup: dict[str, Any] = {"idea": idea} if idea is not None else {"feature": feature}
    for note in notes:
        # The target idea's own mirror note is the idea: nothing to link.
        span = None if idea is not None and note.idea_id == idea.pk else _passage(note)
        if span is not None and not Highlight.objects.filter(note=note, start=span[0], end=span[1], **lookup).exists():
            created.append(
                highlight_create(actor=actor, note=note, start=span[0], end=span[1], importance=importance, **lookup)
            )
        if note.state != NoteState.PROCESSED:
            note_triage(actor=actor, note=note, state=NoteState.PROCESSED)
    return created


@transaction.atomic
def cluster_to_idea(
    *,
    actor: Any,
    workspace: Any,
    note_ids: Iterable[int],
    idea: Idea | int | None = None,
    portal: Portal | int | None = None,
    title: str | None = None,
    idea_ids: Iterable[int] = (),
    merge_ideas: bool = False,
    importance: str = Importance.IMPORTANT,
) -> Idea:
    """Link the notes to one idea: ``idea`` (an existing one), or a new idea titled ``title`` in
    ``portal`` (submitted by the actor for the team, as ``idea_create`` does for staff). With
    ``merge_ideas``, the portal ideas of the cluster (those the notes mirror, and ``idea_ids``) are
    merged into it. Returns the idea. Needs INSIGHT_MANAGE (and IDEA_MANAGE to merge)."""
    from headway.ideas import services as ideas

    permissions.require(actor, Action.INSIGHT_MANAGE, workspace)
    importance = check_importance(importance)
    notes = _notes(workspace.pk, note_ids)
    other_ids = _ids(idea_ids, "idea_ids")
    if not notes and not other_ids:
        raise _field(ValidationFailed, "note_ids", "Choose at least one note.")
    if (idea is None) == (portal is None):
        message = "Choose an existing idea, or a portal to create the idea in."
        raise ValidationFailed(f"idea: {message}", fields={"idea": [message], "portal": [message]})
    if idea is not None:
        pk = getattr(idea, "pk", idea)
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise _field(ValidationFailed, "idea", "Choose an idea.")
        target = Idea.objects.filter(pk=pk, workspace_id=workspace.pk, deleted_at__isnull=True).first()
        if target is None:
            raise _field(NotFound, "idea", f"No idea {pk} in this workspace.")
        if target.merged_into_id is not None:
            raise _field(
                ValidationFailed, "idea", f"Idea #{pk} was merged into #{target.merged_into_id}; choose that one."
            )
        created = False
    else:
        pk = getattr(portal, "pk", portal)
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise _field(ValidationFailed, "portal", "Choose a portal.")
        chosen = Portal.objects.filter(pk=pk, workspace_id=workspace.pk).first()
        if chosen is None:
            raise _field(NotFound, "portal", f"No portal {pk} in this workspace.")
        if not (title or "").strip():
            raise _field(ValidationFailed, "title", "Give the new idea a title.")
        target = ideas.idea_create(actor=actor, portal=chosen, title=title or "")
        created = True
    merged: list[int] = []
    if merge_ideas:
        sources = [n.idea_id for n in notes if n.idea_id is not None] + other_ids
        sources = [s for s in dict.fromkeys(sources) if s != target.pk]
        live = set(
            Idea.objects.filter(
                pk__in=sources, workspace_id=workspace.pk, deleted_at__isnull=True, merged_into__isnull=True
            ).values_list("pk", flat=True)
        )
        gone = [s for s in sources if s not in live]
        if gone:
            raise _field(NotFound, "idea_ids", f"Idea {gone[0]} was deleted or merged already. Nothing was changed.")
        if sources:
            ideas.ideas_merge_bulk(actor=actor, sources=sources, target=target)
            merged = sources
    highlights = _link(actor, notes, importance, idea=target)
    audit_record(
        actor=actor,
        workspace=workspace,
        action="insight.cluster_to_idea",
        target=target,
        changes={
            "notes": [None, [n.pk for n in notes]],
            "highlights": [None, len(highlights)],
            "created": [None, created],
            "merged_ideas": [None, merged],
        },
    )
    target.refresh_from_db()
    return target


@transaction.atomic
def cluster_link_feature(
    *,
    actor: Any,
    workspace: Any,
    note_ids: Iterable[int],
    feature: Feature | int,
    importance: str = Importance.IMPORTANT,
) -> list[Highlight]:
    """Link the notes to one feature (a highlight of each note's text) and mark them processed.
    Returns the highlights created. Needs INSIGHT_MANAGE."""
    permissions.require(actor, Action.INSIGHT_MANAGE, workspace)
    importance = check_importance(importance)
    notes = _notes(workspace.pk, note_ids)
    if not notes:
        raise _field(ValidationFailed, "note_ids", "Choose at least one note.")
    pk = getattr(feature, "pk", feature)
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise _field(ValidationFailed, "feature", "Choose a feature.")
    target = Feature.objects.filter(pk=pk, workspace_id=workspace.pk).first()
    if target is None:
        raise _field(NotFound, "feature", f"No feature {pk} in this workspace.")
    highlights = _link(actor, notes, importance, feature=target)
    audit_record(
        actor=actor,
        workspace=workspace,
        action="insight.cluster_link_feature",
        target=target,
        changes={"notes": [None, [n.pk for n in notes]], "highlights": [None, len(highlights)]},
    )
    return highlights

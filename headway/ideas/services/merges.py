"""Merging duplicate ideas, and undoing a merge exactly.

Merging A (the source) into B (the target) moves A's supporters to B: one vote per person (and
one proxy vote per company), keeping the higher importance, and A's subscriptions. A becomes a
"duplicate" of B (``merged_into``), its followers are told, and both ideas are recounted.

Everything the merge changes is written to ``Merge.snapshot`` so that ``idea_unmerge`` can put A
back as it was, down to the ids and timestamps of the rows:

``source``
    A's fields before the merge (``status``, ``merged_into``, ``vote_count``, ``demand``,
    ``trending``, ``status_changed_at``, ``updated_at``), by attribute name.
``moved_votes`` / ``moved_subscriptions``
    ids of A's rows now on B (the rows keep their ids and timestamps: a queryset update).
``removed_votes`` / ``removed_subscriptions``
    full rows of A that duplicated a row of B (same person or proxied company), deleted from A;
    ``kept_id`` names the row of B that absorbed each.
``raised_votes``
    ``{vote id on B: {"importance": old, "updated_at": old}}`` for B's votes that took the higher
    importance of the person's vote on A.

Concurrency: both ideas are locked (``SELECT … FOR UPDATE`` in primary-key order); the vote
services take the same idea row lock before touching an idea's votes, so no vote is lost or
counted twice while a merge runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from headway.core import permissions
from headway.core.audit import audit_record, plain_value
from headway.core.errors import Conflict, HeadwayError, NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.ideas.events import record_event
from headway.ideas.models import (
    IMPORTANCE_ORDER,
    Idea,
    IdeaEvent,
    IdeaStatus,
    Merge,
    StatusCategory,
    Subscription,
    Vote,
)
from headway.ideas.services._common import field_error

# Fields of the source idea a merge changes (restored by an unmerge).
SOURCE_FIELDS = [
    "status_id",
    "merged_into_id",
    "vote_count",
    "demand",
    "trending",
    "status_changed_at",
    "updated_at",
]
BULK_MERGE_LIMIT = 100


# --- rows as JSON and back --------------------------------------------------------------------


def _row(obj: models.Model) -> dict[str, Any]:
    """Every column of the row, JSON-safe (datetimes as ISO text with microseconds and offset)."""
    return {f.attname: plain_value(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def _value(model: type[models.Model], attname: str, value: Any) -> Any:
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return field.to_python(value)


def _recreate(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert rows with their original ids and timestamps (``auto_now`` fields would otherwise
    stamp them with the current time, so the timestamps are written by a plain update after)."""
    if not rows:
        return
    objs = [model(**{k: _value(model, k, v) for k, v in row.items()}) for row in rows]
    model._default_manager.bulk_create(objs)
    for row in rows:
        model._default_manager.filter(pk=row["id"]).update(
            created_at=_value(model, "created_at", row["created_at"]),
            updated_at=_value(model, "updated_at", row["updated_at"]),
        )


# --- checks and locks -------------------------------------------------------------------------


def _label(idea: Idea) -> str:
    return f"#{idea.pk} “{idea.title}”"


def _lock(ids: Iterable[int]) -> dict[int, Idea]:
    """Lock the ideas (in primary-key order, so two merges never deadlock) and read them fresh."""
    rows = Idea.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {idea.pk: idea for idea in rows}


def _check_pair(source: Idea, target: Idea) -> None:
    """Refuse merges that make no sense (on freshly locked rows)."""
    if source.pk == target.pk:
        raise field_error(ValidationFailed, "target", "An idea cannot be merged into itself.")
    if source.deleted_at is not None:
        raise field_error(Conflict, "source", f"Idea {_label(source)} is deleted.")
    if target.deleted_at is not None:
        raise field_error(Conflict, "target", f"Idea {_label(target)} is deleted.")
    if source.merged_into_id is not None:
        raise field_error(Conflict, "source", f"Idea {_label(source)} is already merged into #{source.merged_into_id}.")
    if target.merged_into_id is not None:
        raise field_error(
            Conflict,
            "target",
            f"Idea {_label(target)} is itself merged into #{target.merged_into_id}; merge into that one instead.",
        )


def _duplicate_status(workspace_id: int) -> IdeaStatus:
    status = (
        IdeaStatus.objects.filter(workspace_id=workspace_id, category=StatusCategory.DUPLICATE)
        .order_by("position", "id")
        .first()
    )
    if status is None:
        raise field_error(
            Conflict, "status", "The workspace has no idea status in the “Duplicate” category; add one first."
        )
    return status


def _checked_idea(value: Any, workspace_id: int, field: str) -> Idea:
    if not isinstance(value, Idea) or value.workspace_id != workspace_id:
        raise field_error(NotFound, field, "Choose an idea of this workspace.")
    return value


# --- merge ------------------------------------------------------------------------------------


def _move_votes(source: Idea, target: Idea, now: dt.datetime) -> dict[str, Any]:
    """Move A's votes to B: one per person, one proxy per company, keeping the higher importance."""
    theirs = list(Vote.objects.filter(idea_id=target.pk))
    by_voter: dict[int | None, Vote] = {v.voter_id: v for v in theirs if v.voter_id is not None}
    by_company: dict[int | None, Vote] = {v.company_id: v for v in theirs if v.voter_id is None}
    moved: list[int] = []
    removed: list[dict[str, Any]] = []
    raised: dict[str, dict[str, Any]] = {}
    for vote in Vote.objects.filter(idea_id=source.pk).order_by("pk"):
        if vote.voter_id is not None:
            kept = by_voter.get(vote.voter_id)
        else:  # a proxy vote whose company was deleted since counts as nobody's duplicate
            kept = by_company.get(vote.company_id) if vote.company_id is not None else None
        if kept is None:
            moved.append(vote.pk)
            continue
        removed.append({**_row(vote), "kept_id": kept.pk})
        if IMPORTANCE_ORDER[vote.importance] > IMPORTANCE_ORDER[kept.importance]:  # type: ignore[index]
            raised[str(kept.pk)] = {"importance": kept.importance, "updated_at": plain_value(kept.updated_at)}
            Vote.objects.filter(pk=kept.pk).update(importance=vote.importance, updated_at=now)
    if removed:
        Vote.objects.filter(pk__in=[r["id"] for r in removed]).delete()
    if moved:
        Vote.objects.filter(pk__in=moved).update(idea_id=target.pk)
    return {"moved_votes": moved, "removed_votes": removed, "raised_votes": raised}


def _move_subscriptions(source: Idea, target: Idea) -> dict[str, Any]:
    """Move A's subscriptions to B; one per person or contact (B's own row wins, as it stands)."""
    theirs = list(Subscription.objects.filter(idea_id=target.pk))
    by_user: dict[int | None, Subscription] = {s.user_id: s for s in theirs if s.user_id is not None}
    by_contact: dict[int | None, Subscription] = {s.contact_id: s for s in theirs if s.contact_id is not None}
    moved: list[int] = []
    removed: list[dict[str, Any]] = []
    for sub in Subscription.objects.filter(idea_id=source.pk).order_by("pk"):
        kept = by_user.get(sub.user_id) if sub.user_id is not None else by_contact.get(sub.contact_id)
        if kept is None:
            moved.append(sub.pk)
        else:
            removed.append({**_row(sub), "kept_id": kept.pk})
    if removed:
        Subscription.objects.filter(pk__in=[r["id"] for r in removed]).delete()
    if moved:
        Subscription.objects.filter(pk__in=moved).update(idea_id=target.pk)
    return {"moved_subscriptions": moved, "removed_subscriptions": removed}


def _merge_locked(actor: Any, source: Idea, target: Idea) -> Merge:
    """The merge itself, on rows the caller locked and checked."""
    from headway.ideas.services.votes import idea_recount

    _check_pair(source, target)
    duplicate = _duplicate_status(source.workspace_id)
    before = {name: plain_value(getattr(source, name)) for name in SOURCE_FIELDS}
    old_status = source.status
    now = timezone.now()

    source.status = duplicate
    source.merged_into = target
    source.status_changed_at = now
    source.updated_at = now
    Idea.objects.filter(pk=source.pk).update(
        status=duplicate, merged_into=target, status_changed_at=now, updated_at=now
    )
    merge = Merge.objects.create(
        workspace_id=source.workspace_id, source=source, target=target, merged_by=actor if actor.pk else None
    )
    # Before anything moves: A's voters and followers (still on A) hear "merged into B", once each.
    record_event(
        idea=source,
        kind=IdeaEvent.Kind.MERGED,
        actor=actor,
        payload={"merge": merge.pk, "target": target.pk, "target_title": target.title},
    )
    votes = _move_votes(source, target, now)
    subscriptions = _move_subscriptions(source, target)
    idea_recount(source.pk)
    idea_recount(target.pk)
    merge.snapshot = {"source": before, **votes, **subscriptions}
    merge.save(update_fields=["snapshot", "updated_at"])
    audit_record(
        actor=actor,
        workspace=source.workspace,
        action="idea.merge",
        target=source,
        changes={
            "merged_into": [None, str(target)],
            "status": [str(old_status), str(duplicate)],
            "votes": [
                None,
                f"{len(votes['moved_votes'])} moved, {len(votes['removed_votes'])} already on the target"
                f" ({len(votes['raised_votes'])} raised in importance)",
            ],
            "subscriptions": [
                None,
                f"{len(subscriptions['moved_subscriptions'])} moved,"
                f" {len(subscriptions['removed_subscriptions'])} already on the target",
            ],
        },
    )
    return merge


@transaction.atomic
def idea_merge(*, actor: Any, source: Idea, target: Idea) -> Merge:
    """Merge ``source`` (A) into ``target`` (B); see the module docstring. Returns the ``Merge``.

    Needs IDEA_MANAGE; both ideas in the actor's workspace, neither deleted, A not already merged,
    B not merged itself. The caller's ``source`` and ``target`` objects are refreshed.
    """
    workspace_id = getattr(source, "workspace_id", None)
    permissions.require(actor, Action.IDEA_MANAGE, workspace_id)
    _checked_idea(source, workspace_id, "source")  # type: ignore[arg-type]
    _checked_idea(target, workspace_id, "target")  # type: ignore[arg-type]
    if source.pk == target.pk:
        raise field_error(ValidationFailed, "target", "An idea cannot be merged into itself.")
    locked = _lock([source.pk, target.pk])
    if source.pk not in locked or target.pk not in locked:
        raise NotFound("The idea was removed just now.")
    merge = _merge_locked(actor, locked[source.pk], locked[target.pk])
    source.refresh_from_db()
    target.refresh_from_db()
    return merge


@transaction.atomic
def ideas_merge_bulk(*, actor: Any, sources: Iterable[Idea | int], target: Idea | int) -> list[Merge]:
    """Merge several ideas into one, all or none: the first idea that cannot be merged stops the
    whole batch with an error naming it (and nothing is changed)."""
    workspace_id = target.workspace_id if isinstance(target, Idea) else None
    if workspace_id is None:
        if isinstance(target, bool) or not isinstance(target, int):
            raise field_error(ValidationFailed, "target", "Choose an idea.")
        workspace_id = Idea.objects.filter(pk=target).values_list("workspace_id", flat=True).first()
        if workspace_id is None:
            raise field_error(NotFound, "target", f"No idea {target}.")
    permissions.require(actor, Action.IDEA_MANAGE, workspace_id)
    if isinstance(sources, str | bytes) or not isinstance(sources, Iterable):
        raise field_error(ValidationFailed, "sources", "Give a list of ideas.")
    ids: list[int] = []
    for item in sources:
        if isinstance(item, Idea):
            ids.append(item.pk)
        elif isinstance(item, int) and not isinstance(item, bool):
            ids.append(item)
        else:
            raise field_error(ValidationFailed, "sources", "Give ideas or idea ids.")
    ids = list(dict.fromkeys(ids))
    target_id = target.pk if isinstance(target, Idea) else target
    if not ids:
        raise field_error(ValidationFailed, "sources", "Choose at least one idea to merge.")
    if len(ids) > BULK_MERGE_LIMIT:
        raise field_error(ValidationFailed, "sources", f"Merge at most {BULK_MERGE_LIMIT} ideas at once.")
    if target_id in ids:
        raise field_error(ValidationFailed, "sources", f"Idea #{target_id} is the target; it cannot merge into itself.")
    locked = _lock([*ids, target_id])
    locked = {pk: idea for pk, idea in locked.items() if idea.workspace_id == workspace_id}
    if target_id not in locked:
        raise field_error(NotFound, "target", f"No idea {target_id} in this workspace.")
    missing = [i for i in ids if i not in locked]
    if missing:
        raise field_error(NotFound, "sources", f"No idea {missing[0]} in this workspace. Nothing was merged.")
    merges = []
    for pk in ids:
        try:
            merges.append(_merge_locked(actor, locked[pk], locked[target_id]))
        except HeadwayError as exc:
            raise type(exc)(
                f"Idea {_label(locked[pk])} cannot be merged: {exc.message} Nothing was merged.",
                fields={"sources": [f"#{pk}: {exc.message}"]},
            ) from exc
    return merges


# --- unmerge ----------------------------------------------------------------------------------


def _restore_votes(snap: dict[str, Any], source: Idea, target: Idea, skipped: list[str]) -> None:
    on_source = list(Vote.objects.filter(idea_id=source.pk).values_list("voter_id", "company_id"))
    taken_voters = {v for v, _ in on_source if v is not None}
    taken_companies = {c for v, c in on_source if v is None}

    def free(voter_id: int | None, company_id: int | None) -> bool:
        if voter_id is not None:
            return voter_id not in taken_voters
        return company_id is None or company_id not in taken_companies

    moved = snap.get("moved_votes", [])
    back: list[int] = []
    rows = {v.pk: v for v in Vote.objects.filter(pk__in=moved, idea_id=target.pk)}
    gone = [pk for pk in moved if pk not in rows]
    if gone:
        skipped.append(f"{len(gone)} moved vote(s) were withdrawn after the merge and stay withdrawn")
    for pk in moved:
        vote = rows.get(pk)
        if vote is None:
            continue
        if free(vote.voter_id, vote.company_id):
            back.append(pk)
        else:
            skipped.append(f"vote {pk} stays on #{target.pk}: the same person voted on #{source.pk} meanwhile")
    if back:
        Vote.objects.filter(pk__in=back).update(idea_id=source.pk)

    raised = snap.get("raised_votes", {})
    by_id = {v.pk: v for v in Vote.objects.filter(pk__in=[int(k) for k in raised], idea_id=target.pk)}
    removed = snap.get("removed_votes", [])
    new_importance = {r["kept_id"]: r["importance"] for r in removed}
    for key, old in raised.items():
        kept = by_id.get(int(key))
        if kept is None:
            continue
        if kept.importance != new_importance.get(kept.pk):
            skipped.append(f"vote {kept.pk} on #{target.pk} was changed after the merge and keeps its importance")
            continue
        Vote.objects.filter(pk=kept.pk).update(
            importance=old["importance"], updated_at=_value(Vote, "updated_at", old["updated_at"])
        )

    alive = set(Vote.objects.filter(pk__in=[r["kept_id"] for r in removed]).values_list("pk", flat=True))
    restore = []
    for row in removed:
        if row["kept_id"] not in alive:
            skipped.append(f"vote {row['id']} is not restored: its voter withdrew their vote on #{target.pk}")
        elif not free(row["voter_id"], row["company_id"]):
            skipped.append(f"vote {row['id']} is not restored: the same person voted on #{source.pk} meanwhile")
        else:
            restore.append({k: v for k, v in row.items() if k != "kept_id"})
    _recreate(Vote, restore)


def _restore_subscriptions(snap: dict[str, Any], source: Idea, target: Idea, skipped: list[str]) -> None:
    on_source = list(Subscription.objects.filter(idea_id=source.pk).values_list("user_id", "contact_id"))
    taken_users = {u for u, _ in on_source if u is not None}
    taken_contacts = {c for _, c in on_source if c is not None}

    def free(user_id: int | None, contact_id: int | None) -> bool:
        return user_id not in taken_users if user_id is not None else contact_id not in taken_contacts

    moved = snap.get("moved_subscriptions", [])
    rows = {s.pk: s for s in Subscription.objects.filter(pk__in=moved, idea_id=target.pk)}
    back = []
    for pk in moved:
        sub = rows.get(pk)
        if sub is None:
            skipped.append(f"subscription {pk} no longer exists")
        elif free(sub.user_id, sub.contact_id):
            back.append(pk)
        else:
            skipped.append(f"subscription {pk} stays on #{target.pk}: the person follows #{source.pk} again")
    if back:
        Subscription.objects.filter(pk__in=back).update(idea_id=source.pk)
    restore = []
    for row in snap.get("removed_subscriptions", []):
        if free(row["user_id"], row["contact_id"]):
            restore.append({k: v for k, v in row.items() if k != "kept_id"})
        else:
            skipped.append(f"subscription {row['id']} is not restored: the person follows #{source.pk} again")
    _recreate(Subscription, restore)


@transaction.atomic
def idea_unmerge(*, actor: Any, idea: Idea) -> Idea:
    """Undo the open merge of ``idea`` (the source): put it back exactly as it was.

    Its moved votes and subscriptions go back (same rows), the rows removed as duplicates are
    re-created with their original ids and timestamps, importances raised on the target are
    lowered again, and the idea's status, counters and timestamps are restored; both ideas are
    then recounted from their rows (the same numbers, unless demand weights changed meanwhile).

    Changes people made on the merged idea in between are respected rather than overwritten:
    a moved vote that was withdrawn stays withdrawn (and so does the duplicate vote it absorbed);
    a raised vote whose importance was changed again keeps it; a vote or subscription that would
    collide with one made on the source since stays where it is. Each such case is listed in
    ``idea.unmerge_skipped`` (a list of sentences) and in the audit entry.

    Needs IDEA_MANAGE. Refused (409) when the idea is not merged, is deleted, or when its target
    has since been merged elsewhere (unmerge that one first: merges undo in reverse order).
    """
    from headway.ideas.services.votes import idea_recount

    permissions.require(actor, Action.IDEA_MANAGE, getattr(idea, "workspace_id", None))
    _checked_idea(idea, idea.workspace_id, "idea")
    merge = Merge.objects.filter(source_id=idea.pk, undone_at__isnull=True).first()
    if merge is None:
        raise field_error(Conflict, "idea", f"Idea {_label(idea)} is not merged into another idea.")
    locked = _lock([merge.source_id, merge.target_id])
    source, target = locked[merge.source_id], locked.get(merge.target_id)
    if target is None:  # pragma: no cover - ideas are soft-deleted; the merge row cascades otherwise
        raise NotFound("The idea it was merged into no longer exists.")
    if source.deleted_at is not None:
        raise field_error(Conflict, "idea", f"Idea {_label(source)} is deleted; restore it first.")
    if source.merged_into_id != target.pk:  # pragma: no cover - only merges set merged_into
        raise field_error(Conflict, "idea", f"Idea {_label(source)} is no longer merged into #{target.pk}.")
    if target.merged_into_id is not None:
        raise field_error(
            Conflict,
            "idea",
            f"Idea {_label(target)} was merged into #{target.merged_into_id} since; unmerge it first.",
        )
    snap = merge.snapshot
    skipped: list[str] = []
    _restore_votes(snap, source, target, skipped)
    _restore_subscriptions(snap, source, target, skipped)

    fields = {name: _value(Idea, name, value) for name, value in snap["source"].items()}
    if not IdeaStatus.objects.filter(pk=fields["status_id"], workspace_id=source.workspace_id).exists():
        status = IdeaStatus.objects.filter(workspace_id=source.workspace_id).order_by("-is_default", "position")
        fields["status_id"] = status.values_list("pk", flat=True).first()
        skipped.append("its former status was deleted; it takes the default status")
    updated_at = fields.pop("updated_at")
    Idea.objects.filter(pk=source.pk).update(**fields)
    idea_recount(source.pk)
    idea_recount(target.pk)
    Idea.objects.filter(pk=source.pk).update(updated_at=updated_at)

    now = timezone.now()
    merge.undone_at = now
    merge.snapshot = {**snap, "undo": {"at": now.isoformat(), "by": actor.pk, "skipped": skipped}}
    merge.save(update_fields=["undone_at", "snapshot", "updated_at"])
    idea.refresh_from_db()
    record_event(
        idea=idea,
        kind=IdeaEvent.Kind.UNMERGED,
        actor=actor,
        payload={"merge": merge.pk, "target": target.pk, "target_title": target.title},
    )
    changes: dict[str, list[Any]] = {"merged_into": [str(target), None]}
    if skipped:
        changes["skipped"] = [None, "; ".join(skipped)]
    audit_record(actor=actor, workspace=idea.workspace, action="idea.unmerge", target=idea, changes=changes)
    idea.unmerge_skipped = skipped  # type: ignore[attr-defined]
    return idea

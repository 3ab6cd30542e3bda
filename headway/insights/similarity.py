"""Similar feedback: for a text, the workspace's most similar feedback notes and portal ideas.

The scoring is the ideas portal's (:class:`headway.ideas.similarity.TextIndex`: TF-IDF word 1–2-grams
plus character 3–5-grams, the same thresholds) and so is the caching: one index per workspace, kept
in the process, over

* every feedback note that is not archived, under its note id, and
* every live portal idea that has no mirror note yet (before the portal sync ran), under the
  negative of its idea id, so both live in one id space.

A note that mirrors a portal idea (``source = portal``, ``idea`` set) is reported as that idea
(``Match("idea", idea id, score)``), so an idea is never reported twice, whether or not it has been
mirrored yet.

Keeping the index current (as :func:`headway.ideas.similarity.similar_ideas` does):

* every call runs one indexed query (primary-key ranges, a ``UNION`` of notes and ideas) for rows
  above the highest ids indexed and appends them with the fitted vocabulary: a note is found right
  after it is created;
* every ``REFRESH_SECONDS`` notes and ideas changed since the last check (``updated_at``) are looked
  at: archived notes and deleted or merged ideas leave the index, edited text is indexed again, a
  newly mirrored idea is swapped for its note; once appended rows pass ``REFIT_FRACTION`` of the
  fitted ones the vocabulary is refitted. Workspaces of ``BACKGROUND_MIN_ROWS`` rows or more do both
  in a background thread and keep answering from the previous index meanwhile;
* candidates are checked against the database before they are returned (the note not archived, the
  idea neither deleted nor merged), so nothing stale is ever suggested even before a check.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from headway.ideas.similarity import (
    BACKGROUND_MIN_ROWS,
    REFIT_ALWAYS_BELOW,
    REFIT_FRACTION,
    REFRESH_MARGIN,
    REFRESH_SECONDS,
    TextIndex,
    _digest,
    _run,
    _usable,
    idea_text,
)

CACHED_WORKSPACES = 8
INDEXED_NOTE_CHARS = 2000  # of a long note (an email thread) compared; the start says what it is about


@dataclass(frozen=True)
class Match:
    kind: Literal["note", "idea"]
    id: int
    score: float


# A row to index: (index id, text, live, idea id the row stands for or None).
Row = tuple[int, str, bool, int | None]


@dataclass
class _WorkspaceIndex:
    key: tuple
    index: TextIndex
    digests: dict[int, bytes]  # index id → digest of its indexed text (live rows only)
    mirrors: dict[int, int]  # idea id → index id of the row that stands for it (note id, or −idea id)
    fitted: int
    high_note: int
    high_idea: int
    since: Any  # datetime: rows changed after this (minus the margin) are looked at next check
    checked: float = field(default_factory=time.monotonic)


_cache: OrderedDict[tuple, _WorkspaceIndex] = OrderedDict()
_lock = threading.RLock()
_build_locks: dict[tuple, threading.Lock] = {}


def note_text(title: str, text: str) -> str:
    text = (text or "")[:INDEXED_NOTE_CHARS]
    title = (title or "").strip()
    return f"{title}\n{text}" if title and title not in text else text


def _key(workspace: Any) -> tuple:
    return ("insights", workspace.pk, getattr(workspace, "created_at", None))


def _note_rows(workspace_id: int, **filters: Any) -> list[Row]:
    from headway.insights.models import FeedbackNote, NoteState

    return [
        (pk, note_text(title, text), state != NoteState.ARCHIVED, idea_id)
        for pk, title, text, state, idea_id in FeedbackNote.objects.filter(workspace_id=workspace_id, **filters)
        .order_by()
        .values_list("id", "title", "text", "state", "idea_id")
    ]


def _idea_rows(workspace_id: int, **filters: Any) -> list[Row]:
    """Ideas as rows of their own; ``live`` is False for deleted, merged or mirrored ones."""
    from headway.ideas.models import Idea

    return [
        (-pk, idea_text(title, description), deleted is None and merged is None and mirror is None, pk)
        for pk, title, description, deleted, merged, mirror in Idea.objects.filter(workspace_id=workspace_id, **filters)
        .order_by()
        .values_list("id", "title", "description", "deleted_at", "merged_into_id", "insight_note")
    ]


def _new_rows(workspace_id: int, high_note: int, high_idea: int) -> tuple[list[Row], list[Row]]:
    """Notes and ideas above the highest ids indexed: one query (a UNION of two primary-key ranges)."""
    from django.db.models import DateTimeField, F, IntegerField, TextField, Value

    from headway.ideas.models import Idea
    from headway.insights.models import FeedbackNote

    notes = (
        FeedbackNote.objects.filter(workspace_id=workspace_id, id__gt=high_note)
        .order_by()
        .values_list(
            Value("n", output_field=TextField()),
            "id",
            "title",
            "text",
            "state",
            "idea_id",
            Value(None, output_field=DateTimeField()),
            Value(None, output_field=IntegerField()),
            Value(None, output_field=IntegerField()),
        )
    )
    ideas = (
        Idea.objects.filter(workspace_id=workspace_id, id__gt=high_idea)
        .order_by()
        .values_list(
            Value("i", output_field=TextField()),
            "id",
            "title",
            "description",
            Value("", output_field=TextField()),
            F("id"),
            "deleted_at",
            "merged_into_id",
            "insight_note",
        )
    )
    note_rows: list[Row] = []
    idea_rows: list[Row] = []
    for tag, pk, title, text, state, idea_id, deleted, merged, mirror in notes.union(ideas, all=True).order_by():
        if tag == "n":
            note_rows.append((pk, note_text(title, text), state != "archived", idea_id))
        else:
            live = deleted is None and merged is None and mirror is None
            idea_rows.append((-pk, idea_text(title, text), live, pk))
    return note_rows, idea_rows


def _build(key: tuple) -> _WorkspaceIndex:
    from django.utils import timezone

    since = timezone.now()
    workspace_id = key[1]
    notes, ideas = _note_rows(workspace_id), _idea_rows(workspace_id)
    live = [row for row in [*notes, *ideas] if row[2]]
    index = TextIndex([row[0] for row in live], [row[1] for row in live])
    return _WorkspaceIndex(
        key,
        index,
        {row[0]: _digest(row[1]) for row in live},
        {row[3]: row[0] for row in live if row[3] is not None},
        len(live),
        max((row[0] for row in notes), default=0),
        max((row[3] or 0 for row in ideas), default=0),
        since,
    )


def _apply(entry: _WorkspaceIndex, notes: list[Row], ideas: list[Row]) -> None:
    """New, edited, archived, deleted, merged or newly mirrored rows into the index (lock held).
    Ideas go first so that a note mirroring an idea replaces the idea's own row."""
    dead: list[int] = []
    add: dict[int, str] = {}
    for rows in (ideas, notes):
        for pk, text, live, idea_id in rows:
            if pk > 0:
                entry.high_note = max(entry.high_note, pk)
            elif idea_id is not None:
                entry.high_idea = max(entry.high_idea, idea_id)
            digest = _digest(text)
            known = entry.digests.get(pk)
            if live and known == digest:
                continue
            if known is not None:
                dead.append(pk)
                del entry.digests[pk]
                add.pop(pk, None)
                if idea_id is not None and entry.mirrors.get(idea_id) == pk:
                    del entry.mirrors[idea_id]
            if live:
                if pk > 0 and idea_id is not None:  # a mirror note: the idea's own row goes
                    own = -idea_id
                    if entry.digests.pop(own, None) is not None:
                        dead.append(own)
                    add.pop(own, None)
                add[pk] = text
                entry.digests[pk] = digest
                if idea_id is not None:
                    entry.mirrors[idea_id] = pk
    if dead:
        entry.index.drop(dead)
    entry.index.append(list(add), list(add.values()))


def _stale(entry: _WorkspaceIndex) -> bool:
    appended = len(entry.index) - entry.fitted
    return appended > REFIT_FRACTION * entry.fitted or (appended > 0 and len(entry.index) < REFIT_ALWAYS_BELOW)


def _store(entry: _WorkspaceIndex) -> None:
    with _lock:
        _cache[entry.key] = entry
        _cache.move_to_end(entry.key)
        while len(_cache) > CACHED_WORKSPACES:
            _cache.popitem(last=False)


def _refit(key: tuple) -> None:
    _store(_build(key))


def _check(key: tuple) -> None:
    """Notes and ideas changed since the last check (archived, deleted, merged, edited, mirrored)."""
    from django.utils import timezone

    with _lock:
        entry = _cache.get(key)
        if entry is None:
            return
        since = entry.since
    started = timezone.now()
    changed = since - REFRESH_MARGIN
    notes = _note_rows(key[1], updated_at__gte=changed)
    ideas = _idea_rows(key[1], updated_at__gte=changed)
    with _lock:
        entry = _cache.get(key)
        if entry is None:
            return
        _apply(entry, notes, ideas)
        entry.since, entry.checked = started, time.monotonic()
        refit = _stale(entry)
    if refit:
        _refit(key)


def _entry(workspace: Any) -> _WorkspaceIndex:
    key = _key(workspace)
    with _lock:
        entry = _cache.get(key)
        building = _build_locks.setdefault(key, threading.Lock())
    if entry is None:
        with building:  # one build per process and workspace
            with _lock:
                entry = _cache.get(key)
            if entry is None:
                entry = _build(key)
                _store(entry)
    notes, ideas = _new_rows(workspace.pk, entry.high_note, entry.high_idea)
    background = len(entry.index) >= BACKGROUND_MIN_ROWS
    with _lock:
        entry = _cache.get(key, entry)
        if notes or ideas:
            _apply(entry, notes, ideas)
        due = time.monotonic() - entry.checked >= REFRESH_SECONDS
        refit = _stale(entry)
    if refit:
        _run(key, lambda: _refit(key), background)
    elif due:
        _run(key, lambda: _check(key), background)
    with _lock:
        return _cache.get(key, entry)


def workspace_index(workspace: Any) -> TextIndex:
    """The workspace's current index (its fitted vectorizers also serve duplicate clustering)."""
    return _entry(workspace).index


def warm(workspace: Any) -> None:
    """Build the workspace's index now rather than on the first lookup."""
    _entry(workspace)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _build_locks.clear()


def similar_feedback(
    *,
    workspace: Any,
    text: str,
    limit: int = 10,
    exclude_note_ids: Iterable[int] = (),
    exclude_idea_ids: Iterable[int] = (),
) -> list[Match]:
    """The notes and portal ideas of ``workspace`` most similar to ``text``, best first (ties: by
    kind and id). Archived notes, deleted and merged ideas are never returned; a note that mirrors
    an idea is returned as the idea. No permission check: callers scope (see :func:`similar_to_note`)."""
    from headway.ideas.models import Idea
    from headway.insights.models import FeedbackNote, NoteState

    if not text or not _usable(text) or limit <= 0:
        return []
    entry = _entry(workspace)
    excluded_notes = {int(pk) for pk in exclude_note_ids}
    excluded_ideas = {int(pk) for pk in exclude_idea_ids}
    with _lock:
        mirrors = dict(entry.mirrors)
    excluded = set(excluded_notes) | {-pk for pk in excluded_ideas}
    excluded |= {mirrors[pk] for pk in excluded_ideas if pk in mirrors}
    wanted = limit * 2 + 5
    while True:
        picked = entry.index.search(text, wanted, exclude_ids=excluded)
        note_ids = [pk for pk, _ in picked if pk > 0]
        idea_ids = [-pk for pk, _ in picked if pk < 0]
        # By primary key only, the workspace compared here: with ``workspace_id`` in the WHERE clause
        # the planner may walk the workspace's index (every note) instead of the few primary keys.
        notes = {
            pk: idea_id
            for pk, idea_id, ws, state in FeedbackNote.objects.filter(pk__in=note_ids).values_list(
                "id", "idea_id", "workspace_id", "state"
            )
            if ws == workspace.pk and state != NoteState.ARCHIVED
        }
        mirrored = [i for i in notes.values() if i is not None]
        live_ideas = {
            pk
            for pk, ws, deleted, merged in Idea.objects.filter(pk__in=[*idea_ids, *mirrored]).values_list(
                "id", "workspace_id", "deleted_at", "merged_into_id"
            )
            if ws == workspace.pk and deleted is None and merged is None
        }
        found: dict[tuple[str, int], Match] = {}
        for pk, score in picked:
            if pk > 0:
                if pk not in notes:
                    continue
                idea_id = notes[pk]
                if idea_id is None:
                    match = Match("note", pk, score)
                elif idea_id in live_ideas and idea_id not in excluded_ideas:
                    match = Match("idea", idea_id, score)
                else:
                    continue
            elif -pk in live_ideas:
                match = Match("idea", -pk, score)
            else:
                continue
            best = found.get((match.kind, match.id))
            if best is None or best.score < match.score:
                found[(match.kind, match.id)] = match
        ranked = sorted(found.values(), key=lambda m: (-m.score, m.kind, m.id))
        if len(ranked) >= limit or len(picked) < wanted:
            return ranked[:limit]
        wanted *= 4  # many of the best were archived, deleted or merged: look further


# --- for display ---------------------------------------------------------------------------------


@dataclass
class SimilarItem:
    """A match loaded for display: a note (with company and channel) or a portal idea."""

    kind: Literal["note", "idea"]
    id: int
    score: float
    note: Any = None  # FeedbackNote, for notes and for ideas that have a mirror note
    idea: Any = None  # Idea, for ideas

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def channel(self) -> str:
        if self.kind == "idea":
            return f"Portal: {self.idea.portal.name}"
        return self.note.channel

    @property
    def company(self) -> Any:
        if self.kind == "idea":
            return self.idea.on_behalf_company or (self.note.company if self.note else None)
        return self.note.company

    @property
    def title(self) -> str:
        if self.kind == "idea":
            return self.idea.title
        return self.note.title or self.note.text[:120]

    @property
    def excerpt(self) -> str:
        text = self.idea.description if self.kind == "idea" else self.note.text
        return text[:280]


def load_matches(workspace: Any, matches: list[Match]) -> list[SimilarItem]:
    """Notes and ideas of ``matches`` loaded for display, in order (at most two queries)."""
    from headway.ideas.models import Idea
    from headway.insights.models import FeedbackNote

    note_ids = [m.id for m in matches if m.kind == "note"]
    idea_ids = [m.id for m in matches if m.kind == "idea"]
    notes = (
        {
            n.pk: n
            for n in FeedbackNote.objects.filter(workspace_id=workspace.pk, pk__in=note_ids).select_related("company")
        }
        if note_ids
        else {}
    )
    ideas = (
        {
            i.pk: i
            for i in Idea.objects.filter(pk__in=idea_ids).select_related(
                "portal", "status", "on_behalf_company", "insight_note__company"
            )
        }
        if idea_ids
        else {}
    )
    # Loaded by primary key (see similar_feedback); another workspace's row is never shown.
    notes = {pk: n for pk, n in notes.items() if n.workspace_id == workspace.pk}
    ideas = {pk: i for pk, i in ideas.items() if i.workspace_id == workspace.pk}
    items = []
    for m in matches:
        if m.kind == "note" and m.id in notes:
            items.append(SimilarItem("note", m.id, m.score, note=notes[m.id]))
        elif m.kind == "idea" and m.id in ideas:
            idea = ideas[m.id]
            items.append(SimilarItem("idea", m.id, m.score, idea=idea, note=getattr(idea, "insight_note", None)))
    return items


def similar_to_note(*, user: Any, note: Any, limit: int = 10) -> list[SimilarItem]:
    """The notes and portal ideas most similar to ``note`` (never itself, nor the idea it mirrors),
    loaded for display. Needs INSIGHT_VIEW in the note's workspace (404 for outsiders)."""
    from headway.core import permissions
    from headway.core.permissions import Action

    permissions.require(user, Action.INSIGHT_VIEW, note.workspace_id)
    workspace = note.workspace
    matches = similar_feedback(
        workspace=workspace,
        text=note_text(note.title, note.text),
        limit=limit,
        exclude_note_ids=[note.pk],
        exclude_idea_ids=[note.idea_id] if note.idea_id else [],
    )
    return load_matches(workspace, matches)

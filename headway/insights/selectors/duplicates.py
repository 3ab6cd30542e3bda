"""Duplicates across channels: clusters of near-identical feedback waiting in the inbox.

The inbox's most recent notes (new or snoozed; ``SCAN_LIMIT`` at most, the page says so) and the
live portal ideas that have no mirror note yet are vectorised with the workspace's similarity index
(:mod:`headway.insights.similarity`, the vocabulary fitted on all its feedback), every pair is
scored with one sparse matrix product in chunks, and pairs from *different* channels (a note's
source and channel, a portal idea counting as the portal's channel) that score at least
``CLUSTER_THRESHOLD`` are joined with union-find. A cluster therefore always spans two channels or
more; same-channel notes join it only through a match in another channel.

Scoring is the similarity index's: ``WORD_WEIGHT × word cosine + (1 − WORD_WEIGHT) × character
cosine``. With a threshold above ``1 − WORD_WEIGHT`` a pair must share words (word cosine at least
``(threshold − (1 − WORD_WEIGHT)) / WORD_WEIGHT``), so the word product picks the candidates and the
character cosine is computed for those pairs only: no dense 5,000 × 5,000 matrix is ever built.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from headway.core import permissions
from headway.core.permissions import Action
from headway.ideas.similarity import WORD_WEIGHT, _digest, idea_text

# Tuned on the Spotify reviews (shared data: the first 5,000, spread at random over three channels,
# /tmp experiments reproduced in the report). At 0.55 chaining makes a 64-note cluster of loosely
# related praise ("Nice app for music", "I could listen all favorite music", "Best music app"); at
# 0.60 "Good app for music" still joins the "best music app" cluster; at 0.65 each cluster reads as
# one statement said again ("Too many ads! I get one every 2 songs" / "Because of ads after every 3
# songs" joins only at 0.60; "I love the selection of podcasts!" / "Good selection of podcasts",
# "Best music streaming app!" / "Best music streaming apps for now" at 0.65) and unrelated notes
# stay apart (largest cluster: 9 rephrasings of "good app for listening to music"); 0.70 starts to
# split real rephrasings. So 0.65.
CLUSTER_THRESHOLD = 0.65
# Feedback too short to say anything is left out of clustering: "Good", "Great app", "Nice 👍" are
# identical across channels by the thousand and there is nothing to merge into an idea. Kept: at
# least two distinct content words (English stop words aside) and 20 letters or digits.
MIN_CONTENT_WORDS = 2
MIN_CONTENT_CHARS = 20
SCAN_LIMIT = 5000  # the most recent inbox notes looked at (the page says so)
CHUNK = 1000  # rows of the pair product at a time
CACHE_SECONDS = 30.0
CLUSTER_LIMIT = 100  # clusters shown, most recent first
EXCERPT_CHARS = 240


@dataclass
class Member:
    kind: str  # "note" or "idea" (a portal idea without a mirror note)
    id: int
    channel: str
    source: str
    text: str
    title: str
    received_at: Any
    note: Any = None  # FeedbackNote (for notes, including portal mirrors)
    idea: Any = None  # Idea (for ideas, and the idea a mirror note stands for)

    @property
    def company(self) -> Any:
        if self.note is not None and self.note.company is not None:
            return self.note.company
        return getattr(self.idea, "on_behalf_company", None) if self.idea is not None else None

    @property
    def excerpt(self) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


@dataclass
class Cluster:
    members: list[Member]
    title: str  # a suggested idea title
    latest: Any
    channels: list[str] = field(default_factory=list)

    @property
    def note_ids(self) -> list[int]:
        return [m.id for m in self.members if m.kind == "note"]

    @property
    def idea_ids(self) -> list[int]:
        """Portal ideas in the cluster: without a mirror note, or the idea a mirror note stands for."""
        return [m.idea.pk for m in self.members if m.idea is not None]

    @property
    def key(self) -> str:
        return "-".join(f"{m.kind[0]}{m.id}" for m in self.members)


@dataclass
class Clusters:
    clusters: list[Cluster]
    scanned: int  # notes and ideas looked at
    limit: int  # SCAN_LIMIT
    capped: bool  # the inbox holds more notes than were looked at
    seconds: float


_cache: dict[tuple, tuple[float, Clusters]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _rows_cache.clear()
        _usable_cache.clear()


# Per (workspace, "word" | "char"): the index whose vocabulary made the rows, (kind, id) → (text
# digest, row), and the rows. Only feedback not seen before (or edited) is transformed again: the
# character n-grams of 5,000 texts take about a second.
_rows_cache: dict[tuple[int, str], tuple[Any, dict[tuple[str, int], tuple[bytes, int]], Any]] = {}


def _cached_rows(
    workspace_id: int, part: str, index: Any, keys: list[tuple[str, int]], texts: list[str], digests: list[bytes]
) -> Any:
    """Rows (in the order of ``keys``) of ``part`` for the texts; cached rows are reused. The cache
    keeps exactly the rows asked for this time."""
    import scipy.sparse as sp

    vectorizer = index.word if part == "word" else index.char
    with _lock:
        cached = _rows_cache.get((workspace_id, part))
    known: dict[tuple[str, int], tuple[bytes, int]] = {}
    old = None
    if cached is not None and cached[0] is index:
        _, known, old = cached
    positions = np.empty(len(texts), dtype=np.int64)
    fresh: list[str] = []
    base = old.shape[0] if old is not None else 0
    for k, (key, digest) in enumerate(zip(keys, digests, strict=True)):
        hit = known.get(key)
        if hit is not None and hit[0] == digest:
            positions[k] = hit[1]
        else:
            positions[k] = base + len(fresh)
            fresh.append(texts[k])
    if fresh:
        new = (
            vectorizer.transform(fresh) if vectorizer.vocabulary_ else sp.csr_matrix((len(fresh), 0), dtype=np.float32)
        )
        every = sp.vstack([old, new]).tocsr() if old is not None else new  # one index: one vocabulary
    else:
        every = old
    rows = every[positions]
    mapping = {key: (digest, k) for k, (key, digest) in enumerate(zip(keys, digests, strict=True))}
    with _lock:
        _rows_cache[(workspace_id, part)] = (index, mapping, rows)
    return rows


_usable_cache: dict[int, dict[bytes, bool]] = {}


def _usable(workspace_id: int, index: Any, rows: list[Any]) -> list[int]:
    """Positions of the rows with enough to say (``MIN_CONTENT_CHARS``, ``MIN_CONTENT_WORDS``); the
    answer depends on the text only, so it is remembered by the text's digest between computations."""
    from headway.ideas.similarity import _digest

    with _lock:
        known = _usable_cache.get(workspace_id, {})
    analyzer = None
    seen: dict[bytes, bool] = {}
    keep = []
    for k, row in enumerate(rows):
        digest = _digest(row.text)
        ok = known.get(digest)
        if ok is None:
            ok = seen.get(digest)
        if ok is None:
            if analyzer is None:
                analyzer = index.word.build_analyzer()
            ok = len(_NOT_ALNUM.sub("", row.text)) >= MIN_CONTENT_CHARS and (
                len({t for t in analyzer(row.text) if " " not in t}) >= MIN_CONTENT_WORDS
            )
        seen[digest] = ok
        if ok:
            keep.append(k)
    with _lock:
        _usable_cache[workspace_id] = seen
    return keep


def candidate_pairs(
    index: Any,
    texts: list[str],
    channels: list[Any],
    threshold: float,
    rows: Any = None,
) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, score)``, ``i < j``, of ``texts`` from different ``channels`` scoring at least
    ``threshold`` with ``index``'s vectorizers; one chunked sparse product (see the module docstring).

    ``rows(part, positions)`` gives the ``"word"`` or ``"char"`` rows of those texts (default: transform
    them). Character rows are asked only for the texts of a candidate pair, usually a fraction."""
    n = len(texts)
    if n < 2:
        return []
    if rows is None:

        def rows(part: str, positions: np.ndarray) -> Any:
            chosen = [texts[k] for k in positions.tolist()]
            return (index.word if part == "word" else index.char).transform(chosen)

    word = rows("word", np.arange(n))
    if not word.shape[1]:
        return []
    lowest_word = max((threshold - (1 - WORD_WEIGHT)) / WORD_WEIGHT, 1e-9)
    keys = np.unique(np.asarray([str(c) for c in channels]), return_inverse=True)[1]
    word_t = word.T.tocsr()
    found_i, found_j, found_w = [], [], []
    for start in range(0, n, CHUNK):
        product = (word[start : start + CHUNK] @ word_t).tocoo()
        i, j, w = product.row + start, product.col, product.data
        keep = (j > i) & (w >= lowest_word) & (keys[i] != keys[j])
        found_i.append(i[keep])
        found_j.append(j[keep])
        found_w.append(w[keep])
    i, j, w = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_w)
    if not len(i):
        return []
    needed = np.unique(np.concatenate([i, j]))
    char = rows("char", needed)
    at = np.searchsorted(needed, i), np.searchsorted(needed, j)
    c = np.asarray(char[at[0]].multiply(char[at[1]]).sum(axis=1)).ravel() if char.shape[1] else np.zeros(len(i))
    score = WORD_WEIGHT * w + (1 - WORD_WEIGHT) * c
    ok = score >= threshold - 1e-6
    found = list(zip(i[ok].tolist(), j[ok].tolist(), score[ok].tolist(), strict=True))
    return found


def _union_find(n: int, pairs: list[tuple[int, int, float]]) -> list[list[int]]:
    """Connected components of the pair graph (union-find, done by scipy), groups of two or more."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    if not pairs:
        return []
    i = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    j = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    graph = sp.coo_matrix((np.ones(len(pairs), dtype=np.int8), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    groups: dict[int, list[int]] = {}
    for x in np.flatnonzero(sizes[labels] > 1).tolist():
        groups.setdefault(int(labels[x]), []).append(x)
    return list(groups.values())


_NOT_ALNUM = re.compile(r"[\W_]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def suggest_title(texts: list[str], titles: list[str], scores: dict[int, float]) -> str:
    """A title for the idea: a member's own title when one has it, else the first sentence of the
    member most similar to the others (``scores``: summed pair scores by position)."""
    for title in titles:
        if title.strip():
            return title.strip()[:200]
    best = max(range(len(texts)), key=lambda k: (scores.get(k, 0.0), -k))
    sentence = _SENTENCE.split(texts[best].strip(), maxsplit=1)[0].strip() or texts[best].strip()
    sentence = " ".join(sentence.split())
    if len(sentence) > 120:
        sentence = sentence[:119].rsplit(" ", 1)[0] + "…"
    sentence = sentence.rstrip(" .!?…,;:") or sentence  # a title, not an exclamation
    return sentence[:1].upper() + sentence[1:]


@dataclass
class _Row:
    """One scanned item, read as plain values (5,000 model instances would cost most of the budget)."""

    kind: str
    id: int
    channel: str
    source: str
    text: str
    title: str
    received_at: Any


def _inbox(workspace: Any) -> tuple[list[_Row], bool]:
    from headway.ideas.models import Idea
    from headway.insights.models import FeedbackNote, NoteState
    from headway.insights.similarity import note_text

    inbox = FeedbackNote.objects.filter(workspace_id=workspace.pk, state__in=[NoteState.NEW, NoteState.SNOOZED])
    notes = list(
        inbox.order_by("-received_at", "-id").values_list(
            "id", "source", "channel", "title", "text", "received_at", "idea__deleted_at", "idea__merged_into_id"
        )[: SCAN_LIMIT + 1]
    )
    capped = len(notes) > SCAN_LIMIT
    rows = [
        _Row("note", pk, channel, source, note_text(title, text), title, received)
        for pk, source, channel, title, text, received, deleted, merged in notes[:SCAN_LIMIT]
        # Mirror notes of deleted or merged ideas are not proposed (the idea is gone).
        if deleted is None and merged is None
    ]
    ideas = (
        Idea.objects.filter(
            workspace_id=workspace.pk, deleted_at__isnull=True, merged_into__isnull=True, insight_note__isnull=True
        )
        .order_by("-created_at", "-id")
        .values_list("id", "portal__name", "title", "description", "created_at")[: max(0, SCAN_LIMIT - len(rows))]
    )
    rows += [
        _Row("idea", pk, f"Portal: {portal}", "portal", idea_text(title, description), title, created)
        for pk, portal, title, description, created in ideas
    ]
    return rows, capped


def _members(workspace: Any, rows: list[_Row]) -> list[Member]:
    """Clustered rows with their notes and ideas loaded for display (two queries)."""
    from headway.ideas.models import Idea
    from headway.insights.models import FeedbackNote

    note_ids = [r.id for r in rows if r.kind == "note"]
    idea_ids = [r.id for r in rows if r.kind == "idea"]
    notes = FeedbackNote.objects.filter(pk__in=note_ids).select_related(
        "company", "idea__portal", "idea__on_behalf_company"
    )
    ideas = Idea.objects.filter(pk__in=idea_ids).select_related("portal", "on_behalf_company")
    by_note = {n.pk: n for n in notes} if note_ids else {}
    by_idea = {i.pk: i for i in ideas} if idea_ids else {}
    members = []
    for r in rows:
        note = by_note.get(r.id) if r.kind == "note" else None
        idea = by_idea.get(r.id) if r.kind == "idea" else (note.idea if note is not None else None)
        members.append(Member(r.kind, r.id, r.channel, r.source, r.text, r.title, r.received_at, note=note, idea=idea))
    return members


def _signature(workspace: Any) -> tuple:
    """Changes when the inbox does: newest note, last edit and size (one query)."""
    from django.db.models import Count, Max

    from headway.ideas.models import Idea
    from headway.insights.models import FeedbackNote

    notes = FeedbackNote.objects.filter(workspace_id=workspace.pk).aggregate(
        n=Count("id"), high=Max("id"), changed=Max("updated_at")
    )
    ideas = Idea.objects.filter(workspace_id=workspace.pk).aggregate(
        n=Count("id"), high=Max("id"), changed=Max("updated_at")
    )
    return (workspace.pk, *notes.values(), *ideas.values())


def _compute(workspace: Any, threshold: float) -> Clusters:
    from headway.insights.similarity import workspace_index

    started = time.perf_counter()
    members, capped = _inbox(workspace)
    if len(members) < 2:
        return Clusters([], len(members), SCAN_LIMIT, capped, time.perf_counter() - started)
    index = workspace_index(workspace)
    usable = _usable(workspace.pk, index, members)
    texts = [members[k].text for k in usable]
    # A note vs a portal idea counts as different channels even when a channel happens to be named alike.
    channels = [(members[k].source == "portal", members[k].source, members[k].channel.lower()) for k in usable]
    keys = [(members[k].kind, members[k].id) for k in usable]
    digests = [_digest(t) for t in texts]

    def rows(part: str, positions: np.ndarray) -> Any:
        at = positions.tolist()
        return _cached_rows(
            workspace.pk, part, index, [keys[k] for k in at], [texts[k] for k in at], [digests[k] for k in at]
        )

    pairs = candidate_pairs(index, texts, channels, threshold, rows)
    strength: dict[int, float] = {}
    for i, j, s in pairs:
        strength[i] = strength.get(i, 0.0) + s
        strength[j] = strength.get(j, 0.0) + s
    groups = []
    for group in _union_find(len(texts), pairs):
        group.sort(key=lambda k: (members[usable[k]].received_at, members[usable[k]].id), reverse=True)
        groups.append(group)
    groups.sort(key=lambda g: (members[usable[g[0]]].received_at, members[usable[g[0]]].id), reverse=True)
    groups = groups[:CLUSTER_LIMIT]
    loaded = _members(workspace, [members[usable[k]] for g in groups for k in g])
    by_key = {(m.kind, m.id): m for m in loaded}
    clusters = []
    for group in groups:
        chosen = [by_key[(members[usable[k]].kind, members[usable[k]].id)] for k in group]
        title = suggest_title(
            [m.text for m in chosen],
            [m.title for m in chosen],
            {pos: strength.get(k, 0.0) for pos, k in enumerate(group)},
        )
        channels_seen = list(dict.fromkeys(m.channel for m in chosen))
        clusters.append(Cluster(chosen, title, chosen[0].received_at, channels_seen))
    return Clusters(clusters, len(members), SCAN_LIMIT, capped, time.perf_counter() - started)


def duplicate_clusters(
    *, user: Any, workspace: Any, threshold: float = CLUSTER_THRESHOLD, fresh: bool = False
) -> Clusters:
    """Clusters of near-identical inbox feedback from different channels, most recent first.

    Needs INSIGHT_VIEW. The answer is kept for ``CACHE_SECONDS`` per workspace while the inbox does
    not change (a new, edited or triaged note or idea recomputes it); ``fresh`` skips the cache."""
    permissions.require(user, Action.INSIGHT_VIEW, workspace)
    key = (_signature(workspace), threshold)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and not fresh and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    result = _compute(workspace, threshold)
    with _lock:
        for old in [k for k, (t, _) in _cache.items() if now - t >= CACHE_SECONDS or k[0][0] == workspace.pk]:
            del _cache[old]
        _cache[key] = (now, result)
    return result

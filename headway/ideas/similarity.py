"""Similar ideas while a title is typed: offline TF-IDF text similarity, cached per portal.

Each text becomes two TF-IDF vectors (scikit-learn): word unigrams and bigrams (English stop words
removed, sublinear tf) and character 3–5-grams inside word boundaries (``char_wb``: they survive
typos, plurals and "adds" for "ads"). The score is ``WORD_WEIGHT × word cosine + (1 − WORD_WEIGHT)
× character cosine``, in [0, 1]. A text counts as similar only when it shares a word and scores at
least ``MIN_SCORE``, or when its characters alone are close (``CHAR_ONLY_SCORE``: a misspelling), so
unrelated text gives nothing.

:class:`TextIndex` is the pure part (lists in, ``(id, score)`` out; the quality test runs it on the
10,000 real reviews). :func:`similar_ideas` keeps one index per portal in a process-local cache:

* the matrices are kept transposed (features × ideas), so a query costs the length of the posting
  lists of its own n-grams, not the size of the portal (a few ms at 100,000 ideas; ~20 ms for the
  whole call with its database reads, see docs/benchmarks.md);
* every call runs one indexed query for ideas with an id above the highest one indexed and appends
  them, transformed with the fitted vocabulary, to a small side matrix (~2 ms): a new idea is found
  right after it is created;
* every ``REFRESH_SECONDS`` the ideas changed since the last check (``updated_at``) are compared
  with the indexed text: edited text is re-indexed, deleted and merged ideas are dropped; once
  appended rows pass ``REFIT_FRACTION`` of the fitted ones (any change, under ``REFIT_ALWAYS_BELOW``
  ideas) the vocabulary is refitted from scratch.
  Big portals do both in a background thread and keep answering from the previous index meanwhile;
* candidates are fetched from the database with ``deleted_at``/``merged_into`` filters and scored
  again on their current text, so a deleted or merged idea is never suggested and the scores shown
  are exact even before the cache catches up with an edit.

The cache is only a cache: each process builds its own from the database (the first call for a
portal of 100,000 ideas takes ~20 s; :func:`warm` does it ahead of time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

if TYPE_CHECKING:
    from headway.ideas.models import Idea, Portal

# Tuned on bench/data/similar_ideas.json (see docs/benchmarks.md, "Issue 4 — ideas portal").
WORD_WEIGHT = 0.5
MIN_SCORE = 0.15  # with at least one word in common
CHAR_ONLY_SCORE = 0.5  # character cosine alone that counts (no word in common: typos, "adds" for "ads")
MIN_QUERY_CHARS = 3
DESCRIPTION_CHARS = 1000  # of an idea's description indexed after its title

REFRESH_SECONDS = 10.0  # how often a portal's index looks for edited, deleted and merged ideas
REFRESH_MARGIN = dt.timedelta(minutes=2)  # overlap for transactions that commit late
REFIT_FRACTION = 0.2  # appended rows (new or edited ideas) beyond this share of the fitted rows: refit
REFIT_ALWAYS_BELOW = 2000  # portals smaller than this refit on every change (a tiny vocabulary misses words)
BACKGROUND_MIN_ROWS = 5000  # portals at least this big rebuild in a background thread
CACHED_PORTALS = 16


def idea_text(title: str, description: str = "") -> str:
    """What is compared: the title, then the start of the description."""
    description = (description or "").strip()[:DESCRIPTION_CHARS]
    return f"{title.strip()}\n{description}" if description else title.strip()


def _usable(text: str) -> bool:
    return sum(c.isalnum() for c in text) >= MIN_QUERY_CHARS


class TextIndex:
    """TF-IDF (word 1–2-grams + char_wb 3–5-grams) over a list of texts with integer ids.

    Both parts are kept as transposed matrices (features × texts): a query walks the posting lists
    of its own n-grams only. ``append`` and ``drop`` swap one tuple, so a search running in another
    thread always sees a consistent state.
    """

    def __init__(self, ids: Sequence[int], texts: Sequence[str]):
        self.word = TfidfVectorizer(
            ngram_range=(1, 2), stop_words="english", sublinear_tf=True, strip_accents="unicode", dtype=np.float32
        )
        self.char = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, strip_accents="unicode", dtype=np.float32
        )
        texts = list(texts)
        word, char = self._fit(self.word, texts), self._fit(self.char, texts)
        empty = sp.csr_matrix((0, 0), dtype=np.float32)
        # (word, char) fitted matrices transposed; rows appended since, not transposed (small);
        # ids of fitted then appended rows; which rows are live.
        self.state = (
            word.T.tocsr(),
            char.T.tocsr(),
            empty,
            empty,
            np.asarray(ids, dtype=np.int64),
            np.ones(len(texts), dtype=bool),
        )

    @staticmethod
    def _fit(vectorizer: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
        try:
            return vectorizer.fit_transform(texts)
        except ValueError:  # no texts, or nothing but stop words: an empty vocabulary
            vectorizer.vocabulary_ = {}
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.state[4])

    def vectors(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Word and character rows for texts, with the fitted vocabulary (unknown n-grams drop out)."""
        return tuple(  # type: ignore[return-value]
            v.transform(texts) if v.vocabulary_ else sp.csr_matrix((len(texts), 0), dtype=np.float32)
            for v in (self.word, self.char)
        )

    def append(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Index more texts with the fitted vocabulary and idf (a refit is the caller's decision).
        They go to a small side matrix: the big one is never copied."""
        if not len(ids):
            return
        word_t, char_t, extra_word, extra_char, known, alive = self.state
        word, char = self.vectors(texts)
        self.state = (
            word_t,
            char_t,
            sp.vstack([extra_word, word]).tocsr() if extra_word.shape[0] else word,
            sp.vstack([extra_char, char]).tocsr() if extra_char.shape[0] else char,
            np.concatenate([known, np.asarray(ids, dtype=np.int64)]),
            np.concatenate([alive, np.ones(len(ids), dtype=bool)]),
        )

    def drop(self, ids: Iterable[int]) -> None:
        *matrices, known, alive = self.state
        self.state = (*matrices, known, alive & ~np.isin(known, np.fromiter(ids, dtype=np.int64)))  # type: ignore[assignment]

    def search(
        self, text: str, limit: int = 5, *, exclude_ids: Iterable[int] = (), candidates: Iterable[int] | None = None,
        min_score: float | None = None,
    ) -> list[tuple[int, float]]:  # fmt: skip
        """The best ``limit`` ``(id, score)`` that pass :func:`_combine`, best first (ties: lower id first)."""
        word_t, char_t, extra_word, extra_char, ids, alive = self.state
        if not _usable(text) or limit <= 0 or not len(ids):
            return []
        query_word, query_char = self.vectors([text])
        fitted = word_t.shape[1]
        word = np.concatenate([_dot(query_word, word_t, fitted), _dot_rows(extra_word, query_word)])
        char = np.concatenate([_dot(query_char, char_t, fitted), _dot_rows(extra_char, query_char)])
        scores = _combine(word, char, min_score)
        keep = alive & (scores > 0)
        if candidates is not None:
            keep &= np.isin(ids, np.fromiter(candidates, dtype=np.int64))
        excluded = np.fromiter(exclude_ids, dtype=np.int64)
        if excluded.size:
            keep &= ~np.isin(ids, excluded)
        above = np.flatnonzero(keep)
        if above.size > limit:
            above = above[np.argpartition(-scores[above], limit - 1)[:limit]]
        best = sorted(above.tolist(), key=lambda i: (-scores[i], ids[i]))
        return [(int(ids[i]), float(scores[i])) for i in best]

    def score_texts(self, text: str, texts: Sequence[str]) -> np.ndarray:
        """Scores of ``texts`` against ``text`` (0 where they do not pass), without indexing them."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        query_word, query_char = self.vectors([text])
        word, char = self.vectors(texts)
        return _combine((word @ query_word.T).toarray().ravel(), (char @ query_char.T).toarray().ravel(), None)


def _dot(query: sp.csr_matrix, matrix_t: sp.csr_matrix, n: int) -> np.ndarray:
    if not matrix_t.shape[0] or not query.shape[1] or not n:
        return np.zeros(n, dtype=np.float32)
    return (query @ matrix_t).toarray().ravel()


def _dot_rows(rows: sp.csr_matrix, query: sp.csr_matrix) -> np.ndarray:
    if not rows.shape[0] or not rows.shape[1]:
        return np.zeros(rows.shape[0], dtype=np.float32)
    return (rows @ query.T).toarray().ravel()


def _combine(word: np.ndarray, char: np.ndarray, min_score: float | None) -> np.ndarray:
    """The weighted score where it passes, else 0: a shared word and ``MIN_SCORE``, or character
    n-grams alone at ``CHAR_ONLY_SCORE`` (the same words misspelt). Sharing only common letter
    sequences ("ing", "the") with a text is not similarity."""
    floor = MIN_SCORE if min_score is None else min_score
    score = WORD_WEIGHT * word + (1 - WORD_WEIGHT) * char
    passes = ((word > 0) & (score >= floor)) | (char >= CHAR_ONLY_SCORE)
    return np.where(passes, score, 0).astype(np.float32)


# --- per portal, from the database ---------------------------------------------------------------


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


@dataclass
class _PortalIndex:
    key: tuple
    index: TextIndex
    digests: dict[int, bytes]  # id → digest of the indexed text (live rows only)
    fitted: int  # rows when the vocabulary was fitted
    high: int  # highest idea id indexed
    since: dt.datetime  # database ideas changed after this (minus the margin) are looked at next check
    checked: float = field(default_factory=time.monotonic)
    # Dropped as deleted or merged: looked at again at each check (an unmerge restores the old
    # updated_at, so the changed-since query would not see it come back).
    dropped: set[int] = field(default_factory=set)


_cache: OrderedDict[tuple, _PortalIndex] = OrderedDict()
_lock = threading.RLock()
_busy: set[tuple] = set()  # portals with a background rebuild or check running
_build_locks: dict[tuple, threading.Lock] = {}


def _key(portal: Portal) -> tuple:
    # created_at too: a test database that rolled back may hand the same id to another portal.
    return (portal.pk, portal.created_at)


def _rows(portal_id: int, **filters) -> list[tuple[int, str, str, bool]]:
    from headway.ideas.models import Idea

    return [
        (pk, title, description, deleted is None and merged is None)
        for pk, title, description, deleted, merged in Idea.objects.filter(portal_id=portal_id, **filters)
        .order_by()
        .values_list("id", "title", "description", "deleted_at", "merged_into_id")
    ]


def _build(key: tuple) -> _PortalIndex:
    from django.utils import timezone

    since = timezone.now()
    rows = _rows(key[0])
    high = max((row[0] for row in rows), default=0)  # ids above: the next call's catch-up query
    live = [(pk, idea_text(title, description)) for pk, title, description, alive in rows if alive]
    index = TextIndex([pk for pk, _ in live], [text for _, text in live])
    return _PortalIndex(key, index, {pk: _digest(text) for pk, text in live}, len(live), high, since)


def _apply(entry: _PortalIndex, rows: list[tuple[int, str, str, bool]]) -> None:
    """New, edited, deleted or merged ideas into the index (caller holds the lock)."""
    dead, add_ids, add_texts = [], [], []
    for pk, title, description, live in rows:
        entry.high = max(entry.high, pk)
        text = idea_text(title, description)
        known = entry.digests.get(pk)
        if live and known == _digest(text):
            continue
        if known is not None:
            dead.append(pk)
            del entry.digests[pk]
            if not live:
                entry.dropped.add(pk)
        if live:
            entry.dropped.discard(pk)
            add_ids.append(pk)
            add_texts.append(text)
            entry.digests[pk] = _digest(text)
    if dead:
        entry.index.drop(dead)
    entry.index.append(add_ids, add_texts)


def _stale(entry: _PortalIndex) -> bool:
    """Enough rows were appended with the old vocabulary and idf that a refit pays."""
    appended = len(entry.index) - entry.fitted
    return appended > REFIT_FRACTION * entry.fitted or (appended > 0 and len(entry.index) < REFIT_ALWAYS_BELOW)


def _store(entry: _PortalIndex) -> None:
    with _lock:
        _cache[entry.key] = entry
        _cache.move_to_end(entry.key)
        while len(_cache) > CACHED_PORTALS:
            _cache.popitem(last=False)


def _run(key: tuple, work, background: bool) -> None:
    """Run ``work()`` now, or in a daemon thread (one at a time per portal)."""
    if not background:
        work()
        return
    with _lock:
        if key in _busy:
            return
        _busy.add(key)

    def target() -> None:
        from django.db import connections

        try:
            work()
        finally:
            with _lock:
                _busy.discard(key)
            connections.close_all()  # this thread's connections only

    threading.Thread(target=target, name=f"similar-ideas-{key[0]}", daemon=True).start()


def _refit(key: tuple) -> None:
    _store(_build(key))


def _check(key: tuple) -> None:
    """Edited, deleted, merged (and late-committed) ideas since the last check."""
    from django.utils import timezone

    with _lock:
        entry = _cache.get(key)
        if entry is None:
            return
        since, dropped = entry.since, list(entry.dropped)
    started = timezone.now()
    rows = _rows(key[0], updated_at__gte=since - REFRESH_MARGIN)
    if dropped:
        rows += _rows(key[0], pk__in=dropped, deleted_at__isnull=True, merged_into__isnull=True)
    with _lock:
        entry = _cache.get(key)
        if entry is None:
            return
        _apply(entry, rows)
        entry.since, entry.checked = started, time.monotonic()
        refit = _stale(entry)
    if refit:
        _refit(key)


def _entry(portal: Portal) -> _PortalIndex:
    key = _key(portal)
    with _lock:
        entry = _cache.get(key)
        building = _build_locks.setdefault(key, threading.Lock())
    if entry is None:
        with building:  # one build per process and portal; other portals are not held up
            with _lock:
                entry = _cache.get(key)
            if entry is None:
                entry = _build(key)
                _store(entry)
    # New ideas: one indexed query (primary key range) on every call.
    new = _rows(portal.pk, id__gt=entry.high)
    background = len(entry.index) >= BACKGROUND_MIN_ROWS
    with _lock:
        entry = _cache.get(key, entry)
        if new:
            _apply(entry, new)  # already applied by another thread: same digest, skipped
        due = time.monotonic() - entry.checked >= REFRESH_SECONDS
        refit = _stale(entry)
    if refit:
        _run(key, lambda: _refit(key), background)
    elif due:
        _run(key, lambda: _check(key), background)
    with _lock:
        return _cache.get(key, entry)


def warm(portal: Portal) -> None:
    """Build the portal's index now (for example when a process starts), not on the first keystroke."""
    _entry(portal)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _build_locks.clear()


def similar_ideas(
    *,
    portal: Portal,
    text: str,
    limit: int = 5,
    exclude_ids: Iterable[int] = (),
    candidates: Iterable[int] | None = None,
) -> list[tuple[Idea, float]]:
    """The portal's ideas most similar to ``text``, best first, each with its score in [0, 1].

    ``candidates`` (ids, or a queryset of ideas or ids) restricts the answer to ideas the caller may
    show: visibility is the caller's job. Deleted and merged ideas are never suggested; text with
    fewer than three letters gives ``[]``.
    """
    from headway.ideas.models import Idea

    if not text or not _usable(text) or limit <= 0:
        return []
    if candidates is not None:
        candidates = _ids(candidates)
        if not candidates:
            return []
    index = _entry(portal).index
    excluded = list(exclude_ids)
    wanted = limit * 3 + 5
    while True:
        # Stored scores pick the candidates (a little below the bar: an edit since the last check may
        # raise a score); the database says which are still live, and their current text is scored.
        picked = index.search(text, wanted, exclude_ids=excluded, candidates=candidates, min_score=MIN_SCORE * 0.8)
        ideas = list(
            Idea.objects.filter(
                pk__in=[pk for pk, _ in picked], portal_id=portal.pk, deleted_at__isnull=True, merged_into__isnull=True
            ).select_related("status")
        )
        for idea in ideas:
            idea.portal = portal  # callers check visibility with idea.portal: no query per idea
        current = index.score_texts(text, [idea_text(idea.title, idea.description) for idea in ideas])
        scored = sorted(
            ((idea, float(s)) for idea, s in zip(ideas, current, strict=True) if s > 0), key=lambda p: (-p[1], p[0].pk)
        )
        if len(scored) >= limit or len(picked) < wanted:
            return scored[:limit]
        wanted *= 4  # many of the best were deleted or merged: look further


def _ids(candidates: Iterable) -> list[int]:
    from django.db.models import QuerySet

    if isinstance(candidates, QuerySet):
        return list(candidates.order_by().values_list("pk", flat=True))
    return [getattr(c, "pk", c) for c in candidates]

"""Themes: notes grouped by what they are about, found by clustering and then curated by people.

Recomputation (:func:`themes_recompute`, run as a background job) places every live note of a
workspace in one text-vector space — TF-IDF over words and word pairs, reduced by truncated SVD
and L2-normalised, so a dot product is a cosine — and groups the notes with k-means. The fitted
space is kept in :class:`ThemeSpace` so that a note arriving later is placed in the same space and
given the nearest theme (:func:`themes_assign`) without clustering again.

What people decided survives recomputation: a pinned theme keeps its notes and name exactly (its
notes stay out of the clustering; only its centroid is recomputed in the new space), and a new
cluster that overlaps an old theme (Jaccard of members ≥ 0.3) takes that theme's row, so a
renamed theme keeps its name and links to it stay valid. Old themes no cluster matches are
archived, never deleted.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from typing import Any

import joblib
import numpy as np
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import Conflict, ValidationFailed
from headway.core.permissions import Action
from headway.insights.models import FeedbackNote, NoteState, Theme, ThemeSpace
from headway.workspaces.models import Workspace

MIN_NOTES = 10  # fewer notes than this make no useful themes
MIN_THEMES, MAX_THEMES = 4, 40
DIMENSIONS = 100
MAX_FEATURES = 30_000
MAX_TEXT_CHARS = 5_000  # the start of a long email thread says what it is about
THRESHOLD = 0.2  # cosine to a centroid below which a note stays without a theme (noise)
MATCH_JACCARD = 0.3
QUOTE_CHARS = 300
BATCH = 2_000
SEED = 0

_NAME_MAX = Theme._meta.get_field("name").max_length or 120


# --- vectors ----------------------------------------------------------------------------------


def _text(title: str, text: str) -> str:
    body = f"{title}\n{text}" if title else text
    return body[:MAX_TEXT_CHARS]


def _themes_count(n: int) -> int:
    k = round((n / 4) ** 0.5)
    return max(MIN_THEMES, min(MAX_THEMES, k, n // 2))


def _fit(texts: list[str]) -> tuple[Any, Any, Any, np.ndarray]:
    """Fit the space on ``texts``: (vectoriser, svd, tf-idf matrix, unit vectors)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(texts)
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        stop_words="english",
        sublinear_tf=True,
        min_df=2 if n < 2_000 else 3,
        max_features=MAX_FEATURES,
        dtype=np.float32,
        strip_accents="unicode",
    )
    try:
        tfidf = vectorizer.fit_transform(texts)
    except ValueError:  # every word is a stop word or too rare: retry keeping everything
        vectorizer.set_params(min_df=1, stop_words=None)
        tfidf = vectorizer.fit_transform(texts)
    vectorizer.stop_words_ = None  # only kept for introspection; it can be huge
    dims = max(1, min(DIMENSIONS, tfidf.shape[1] - 1, n - 1))
    svd = TruncatedSVD(n_components=dims, random_state=SEED, n_iter=4)
    vectors = _unit(svd.fit_transform(tfidf))
    return vectorizer, svd, tfidf, vectors


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _centroid(vectors: np.ndarray) -> np.ndarray:
    return _unit(vectors.mean(axis=0, keepdims=True))[0]


def _cluster(vectors: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if len(vectors) > 20_000:
        model: Any = MiniBatchKMeans(n_clusters=k, random_state=SEED, n_init=1, batch_size=4096, max_iter=50)
    else:
        model = KMeans(n_clusters=k, random_state=SEED, n_init=1)
    return np.asarray(model.fit_predict(vectors))


def _labels(tfidf: Any, clusters: np.ndarray, k: int, vocabulary: np.ndarray, top: int = 3) -> list[str]:
    """The top terms of each cluster by class-based TF-IDF: frequent in it, rare in the others."""
    from scipy import sparse

    member = clusters >= 0
    rows = np.flatnonzero(member)
    indicator = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (clusters[rows], rows)), shape=(k, tfidf.shape[0])
    )
    weight = np.asarray((indicator @ tfidf).todense(), dtype=np.float64)  # k × terms
    tf = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-12)
    average = weight.sum() / max(k, 1)
    idf = np.log1p(average / np.maximum(weight.sum(axis=0), 1e-12))
    scores = tf * idf
    labels = []
    for c in range(k):
        chosen: list[str] = []
        words: set[str] = set()
        for term_index in np.argsort(-scores[c])[:50]:
            if scores[c, term_index] <= 0:
                break
            term = str(vocabulary[term_index])
            parts = {_stem(w) for w in term.split()}
            if parts & words:
                continue
            chosen.append(term)
            words |= parts
            if len(chosen) == top:
                break
        labels.append(" · ".join(chosen))
    return labels


def _stem(word: str) -> str:
    """Enough stemming to keep "song" and "songs" from both being a theme's label."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _quotes(note_ids: Sequence[int], texts: Sequence[str], scores: np.ndarray, count: int = 3) -> list[dict]:
    """Representative notes: closest to the centroid, distinct, preferably 30–300 characters."""
    order = np.argsort(-scores, kind="stable")
    fitting = [i for i in order if 30 <= len(texts[i].strip()) <= QUOTE_CHARS]
    others = [i for i in order if not 30 <= len(texts[i].strip()) <= QUOTE_CHARS]
    quotes: list[dict] = []
    seen: set[str] = set()
    for i in [*fitting[:200], *others[:200]]:
        key = re.sub(r"\W+", " ", texts[i].lower()).strip()
        if not key or key in seen:
            continue
        seen.add(key)
        quotes.append({"note": int(note_ids[i]), "text": texts[i].strip()[:QUOTE_CHARS]})
        if len(quotes) == count:
            break
    return quotes


def _dump(obj: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=1)
    return buffer.getvalue()


def _name(label: str) -> str:
    return (label or "Unnamed theme")[:_NAME_MAX]


# --- recomputation ----------------------------------------------------------------------------


def themes_recompute(*, workspace: Workspace, progress: Any, actor: Any = None) -> list[Theme]:
    """Cluster the workspace's live notes into themes again; returns the live themes, biggest first."""
    if actor is not None:
        permissions.require(actor, Action.INSIGHT_MANAGE, workspace)
    rows = list(
        FeedbackNote.objects.filter(workspace=workspace)
        .exclude(state=NoteState.ARCHIVED)
        .order_by("id")
        .values_list("id", "title", "text", "theme_id")
    )
    n = len(rows)
    batches = (n + BATCH - 1) // BATCH
    progress.start(5 + batches)
    pinned = {
        t.pk: t for t in Theme.objects.filter(workspace=workspace, pinned=True, archived_at__isnull=True).order_by("id")
    }
    free_rows = [i for i, r in enumerate(rows) if r[3] not in pinned]
    if len(free_rows) < MIN_NOTES:
        progress.advance(5 + batches)
        return list(Theme.objects.filter(workspace=workspace, archived_at__isnull=True))

    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    texts = [_text(r[1], r[2]) for r in rows]
    old_theme = np.fromiter((r[3] or 0 for r in rows), dtype=np.int64, count=n)
    progress.advance()

    vectorizer, svd, tfidf, vectors = _fit(texts)
    progress.advance()

    free = np.asarray(free_rows, dtype=np.int64)
    k = _themes_count(len(free))
    free_clusters = _cluster(vectors[free], k)
    centroids = np.vstack([_centroid(vectors[free][free_clusters == c]) for c in range(k)])
    free_scores = np.einsum("ij,ij->i", vectors[free], centroids[free_clusters])
    free_clusters = np.where(free_scores >= THRESHOLD, free_clusters, -1)
    clusters = np.full(n, -2, dtype=np.int64)  # -2: pinned, -1: noise
    clusters[free] = free_clusters
    scores = np.zeros(n, dtype=np.float32)
    scores[free] = free_scores
    # Empty clusters (all noise) are dropped; the rest are numbered again 0..k'-1, biggest first.
    sizes = np.bincount(free_clusters[free_clusters >= 0], minlength=k)
    keep = [c for c in sorted(range(k), key=lambda c: (-sizes[c], c)) if sizes[c] > 0]
    renumber = np.full(k + 1, -1, dtype=np.int64)
    for new, c in enumerate(keep):
        renumber[c] = new
    clusters[free] = renumber[free_clusters]  # noise (-1) maps to renumber[-1] == -1
    centroids = centroids[keep]
    k = len(keep)
    progress.advance()

    labels = _labels(tfidf, np.where(clusters >= 0, clusters, -1), k, vectorizer.get_feature_names_out())
    plain = [r[2] for r in rows]
    quotes = []
    for c in range(k):
        members = np.flatnonzero(clusters == c)
        quotes.append(_quotes(ids[members].tolist(), [plain[i] for i in members], scores[members]))
    pinned_centroids = {}
    for pk in pinned:
        members = np.flatnonzero(old_theme == pk)
        if len(members):
            pinned_centroids[pk] = _centroid(vectors[members])
            scores[members] = vectors[members] @ pinned_centroids[pk]
    progress.advance()

    # Match new clusters to old, unpinned themes by member overlap, best overlaps first.
    old_members: dict[int, set[int]] = {}
    for i in np.flatnonzero((old_theme > 0) & (clusters != -2)):
        old_members.setdefault(int(old_theme[i]), set()).add(int(ids[i]))
    live_old = set(
        Theme.objects.filter(workspace=workspace, pinned=False, archived_at__isnull=True).values_list("id", flat=True)
    )
    new_members: list[set[int]] = [set(ids[clusters == c].tolist()) for c in range(k)]
    pairs = []
    for c, cluster_ids in enumerate(new_members):
        for pk, old in old_members.items():
            if pk not in live_old:
                continue
            inter = len(cluster_ids & old)
            if inter:
                jaccard = inter / (len(cluster_ids) + len(old) - inter)
                if jaccard >= MATCH_JACCARD:
                    pairs.append((-jaccard, c, pk))
    match: dict[int, int] = {}
    used: set[int] = set()
    for _, c, pk in sorted(pairs):
        if c not in match and pk not in used:
            match[c] = pk
            used.add(pk)

    now = timezone.now()
    with transaction.atomic():
        space = ThemeSpace.objects.select_for_update().filter(workspace=workspace).first()
        blob = _dump({"vectorizer": vectorizer, "svd": svd})
        if space is None:
            space = ThemeSpace.objects.create(workspace=workspace, blob=blob, note_count=n, computed_at=now)
        else:
            space.version += 1
            space.blob = blob
            space.note_count = n
            space.computed_at = now
            space.save(update_fields=["version", "blob", "note_count", "computed_at", "updated_at"])
        existing = Theme.objects.in_bulk(list(match.values()))
        themes: list[Theme] = []
        for c in range(k):
            theme = existing.get(match.get(c, 0))
            if theme is None:
                theme = Theme(workspace=workspace)
            theme.auto_label = labels[c][:200]
            if not theme.renamed:
                theme.name = _name(labels[c])
            theme.quotes = quotes[c]
            theme.centroid = [round(float(x), 6) for x in centroids[c]]
            theme.note_count = len(new_members[c])
            theme.archived_at = None
            theme.save()
            themes.append(theme)
        for pk, theme in pinned.items():
            if pk in pinned_centroids:
                theme.centroid = [round(float(x), 6) for x in pinned_centroids[pk]]
                theme.save(update_fields=["centroid", "updated_at"])
        Theme.objects.filter(pk__in=live_old - used).update(archived_at=now, updated_at=now)
        theme_of = [t.pk for t in themes]
        assignments: list[tuple[int, int | None, float | None]] = []
        for j in range(n):
            cluster = int(clusters[j])
            if cluster == -2:
                assignments.append((int(ids[j]), int(old_theme[j]), round(float(scores[j]), 4)))
            elif cluster == -1:
                assignments.append((int(ids[j]), None, None))
            else:
                assignments.append((int(ids[j]), theme_of[cluster], round(float(scores[j]), 4)))
        _write_assignments(assignments, progress)
        themes_recount(workspace_id=workspace.pk)
        if actor is not None:
            audit_record(actor=actor, workspace=workspace, action="theme.recompute", target=space)
    progress.advance()
    _forget(workspace.pk)
    return list(Theme.objects.filter(workspace=workspace, archived_at__isnull=True))


def _write_assignments(rows: list[tuple[int, int | None, float | None]], progress: Any) -> None:
    """Set theme and score on many notes at once: the rows go into a temporary table, then one
    UPDATE … FROM (SQLite ≥ 3.33 and PostgreSQL) — far faster than bulk_update's CASE per row."""
    table = connection.ops.quote_name(FeedbackNote._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS headway_theme_assign")
        cursor.execute(
            "CREATE TEMPORARY TABLE headway_theme_assign "
            "(id bigint PRIMARY KEY, theme_id bigint NULL, score double precision NULL)"
        )
        raw = getattr(cursor, "cursor", None)
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3: COPY, far faster
                with raw.copy("COPY headway_theme_assign (id, theme_id, score) FROM STDIN") as copy:  # type: ignore[union-attr]
                    for row in chunk:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO headway_theme_assign (id, theme_id, score) VALUES (%s, %s, %s)", chunk)
            progress.advance()
        # The table name is the model's own, quoted; every value went in as a parameter above.
        update = f"UPDATE {table} SET theme_id = a.theme_id, theme_score = a.score FROM headway_theme_assign a "  # noqa: S608
        cursor.execute(update + f"WHERE {table}.id = a.id")
        cursor.execute("DROP TABLE headway_theme_assign")


def themes_recount(*, workspace_id: int, theme_ids: Sequence[int | None] | None = None) -> None:
    """Theme.note_count = the notes that name the theme (exact, from the database): after a
    recomputation, or notes added or placed outside one (a note typed in, an import, the portal
    sync); ``theme_ids`` limits it to those themes."""
    qs = Theme.objects.filter(workspace_id=workspace_id)
    if theme_ids is not None:
        pks = [pk for pk in theme_ids if pk is not None]
        if not pks:
            return
        qs = qs.filter(pk__in=pks)
    counts = dict(
        FeedbackNote.objects.filter(workspace_id=workspace_id, theme__in=qs)
        .values_list("theme_id")
        .annotate(n=Count("id"))
        .values_list("theme_id", "n")
    )
    stale = [t for t in qs.only("id", "note_count") if t.note_count != counts.get(t.pk, 0)]
    for theme in stale:
        theme.note_count = counts.get(theme.pk, 0)
    Theme.objects.bulk_update(stale, ["note_count"])


# --- assignment of new notes ------------------------------------------------------------------

_cache: dict[int, tuple[int, Any, Any]] = {}
_cache_lock = threading.Lock()


def _forget(workspace_id: int) -> None:
    with _cache_lock:
        _cache.pop(workspace_id, None)


def _space(workspace_id: int) -> tuple[Any, Any] | None:
    """The workspace's fitted space, loaded once per process and version."""
    version = ThemeSpace.objects.filter(workspace_id=workspace_id).values_list("version", flat=True).first()
    if version is None:
        return None
    cached = _cache.get(workspace_id)
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    row = ThemeSpace.objects.filter(workspace_id=workspace_id).values_list("version", "blob").first()
    if row is None:
        return None
    # The blob is written only by themes_recompute above, never uploaded: loading it is safe.
    fitted = joblib.load(io.BytesIO(bytes(row[1])))
    with _cache_lock:
        _cache[workspace_id] = (row[0], fitted["vectorizer"], fitted["svd"])
    return fitted["vectorizer"], fitted["svd"]


def _vectors(workspace_id: int, texts: list[str]) -> np.ndarray | None:
    space = _space(workspace_id)
    if space is None:
        return None
    vectorizer, svd = space
    return _unit(svd.transform(vectorizer.transform(texts)))


def _live_centroids(workspace_id: int, dims: int) -> tuple[list[int], np.ndarray]:
    pks, rows = [], []
    for pk, centroid in Theme.objects.filter(workspace_id=workspace_id, archived_at__isnull=True).values_list(
        "id", "centroid"
    ):
        if isinstance(centroid, list) and len(centroid) == dims:
            pks.append(pk)
            rows.append(centroid)
    return pks, np.asarray(rows, dtype=np.float32).reshape(len(rows), dims)


def themes_assign(workspace_id: int, notes: list[FeedbackNote]) -> None:
    """Give each note the nearest live theme (in memory, no save) when it is close enough.

    A note no theme is near enough to keeps ``theme`` empty; without a theme space yet (themes were
    never computed) the notes are left as they are.
    """
    if not notes:
        return
    space = _space(workspace_id)
    if space is None:
        return
    vectorizer, svd = space
    pks, centroids = _live_centroids(workspace_id, svd.n_components)
    if not pks:
        for note in notes:
            note.theme, note.theme_score = None, None
        return
    vectors = _unit(svd.transform(vectorizer.transform([_text(n.title, n.text) for n in notes])))
    similarity = vectors @ centroids.T
    best = similarity.argmax(axis=1)
    best_score = similarity[np.arange(len(notes)), best]
    for note, index, score in zip(notes, best.tolist(), best_score.tolist(), strict=True):
        if score >= THRESHOLD:
            note.theme_id = pks[index]
            note.theme_score = round(float(score), 4)
        else:
            note.theme, note.theme_score = None, None


# --- people's curation ------------------------------------------------------------------------


def _locked(theme: Theme) -> Theme:
    locked = Theme.objects.select_for_update().get(pk=theme.pk)
    return locked


def _require_live(theme: Theme, field: str = "theme") -> None:
    if theme.archived_at is not None:
        msg = "The theme is archived."
        raise Conflict(f"{field}: {msg}", fields={field: [msg]})


def theme_rename(*, actor: Any, theme: Theme, name: str) -> Theme:
    """Give a theme a person's name; recomputation keeps it from then on."""
    permissions.require(actor, Action.INSIGHT_MANAGE, theme.workspace_id)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name: Give the theme a name.", fields={"name": ["Give the theme a name."]})
    if "\x00" in name:
        msg = "Null characters are not allowed."
        raise ValidationFailed(f"name: {msg}", fields={"name": [msg]})
    if len(name) > _NAME_MAX:
        msg = f"Use at most {_NAME_MAX} characters."
        raise ValidationFailed(f"name: {msg}", fields={"name": [msg]})
    with transaction.atomic():
        theme = _locked(theme)
        old = theme.name
        theme.name = name
        theme.renamed = True
        theme.save(update_fields=["name", "renamed", "updated_at"])
        audit_record(
            actor=actor, workspace=theme.workspace, action="theme.rename", target=theme, changes={"name": [old, name]}
        )
    return theme


def theme_pin(*, actor: Any, theme: Theme, pinned: bool = True) -> Theme:
    """Pin a theme (recomputation leaves it and its notes exactly as they are) or unpin it."""
    permissions.require(actor, Action.INSIGHT_MANAGE, theme.workspace_id)
    with transaction.atomic():
        theme = _locked(theme)
        if pinned:
            _require_live(theme)
        if theme.pinned != pinned:
            theme.pinned = pinned
            theme.save(update_fields=["pinned", "updated_at"])
            audit_record(
                actor=actor,
                workspace=theme.workspace,
                action="theme.pin" if pinned else "theme.unpin",
                target=theme,
                changes={"pinned": [not pinned, pinned]},
            )
    return theme


def theme_archive(*, actor: Any, theme: Theme) -> Theme:
    """Archive a theme: its notes lose it (they can be grouped again); the row stays for links."""
    permissions.require(actor, Action.INSIGHT_MANAGE, theme.workspace_id)
    with transaction.atomic():
        theme = _locked(theme)
        if theme.archived_at is not None:
            return theme
        FeedbackNote.objects.filter(theme=theme).update(theme=None, theme_score=None)
        theme.archived_at = timezone.now()
        theme.pinned = False
        theme.note_count = 0
        theme.save(update_fields=["archived_at", "pinned", "note_count", "updated_at"])
        audit_record(actor=actor, workspace=theme.workspace, action="theme.archive", target=theme)
    return theme


def _note_vectors(workspace: Workspace, note_ids: list[int]) -> tuple[list[int], list[str], np.ndarray | None]:
    rows = list(FeedbackNote.objects.filter(pk__in=note_ids).order_by("id").values_list("id", "title", "text"))
    ids = [r[0] for r in rows]
    texts = [r[2] for r in rows]
    vectors = _vectors(workspace.pk, [_text(r[1], r[2]) for r in rows]) if rows else None
    return ids, texts, vectors


def _refresh_centroid(theme: Theme, ids: list[int], vectors: np.ndarray | None) -> None:
    if vectors is not None and len(ids):
        centroid = _centroid(vectors)
        theme.centroid = [round(float(x), 6) for x in centroid]
        scores = vectors @ centroid
        FeedbackNote.objects.bulk_update(
            [
                FeedbackNote(pk=pk, theme_id=theme.pk, theme_score=round(float(s), 4))
                for pk, s in zip(ids, scores, strict=True)
            ],
            ["theme", "theme_score"],
            batch_size=BATCH,
        )


def theme_merge(*, actor: Any, theme: Theme, into: Theme) -> Theme:
    """Move every note of ``theme`` into ``into``; ``theme`` is archived. Returns ``into``."""
    permissions.require(actor, Action.INSIGHT_MANAGE, theme.workspace_id)
    if into.workspace_id != theme.workspace_id:
        raise ValidationFailed("into: No such theme in this workspace.", fields={"into": ["No such theme."]})
    if into.pk == theme.pk:
        msg = "A theme cannot be merged into itself."
        raise ValidationFailed(f"into: {msg}", fields={"into": [msg]})
    with transaction.atomic():
        locked = {t.pk: t for t in Theme.objects.select_for_update().filter(pk__in=[theme.pk, into.pk]).order_by("pk")}
        theme, into = locked[theme.pk], locked[into.pk]
        _require_live(theme)
        _require_live(into, "into")
        moved = FeedbackNote.objects.filter(theme=theme).update(theme=into)
        ids = list(FeedbackNote.objects.filter(theme=into).values_list("id", flat=True))
        ids, _, vectors = _note_vectors(theme.workspace, ids)
        _refresh_centroid(into, ids, vectors)
        into.note_count = len(ids)
        into.save(update_fields=["centroid", "note_count", "updated_at"])
        theme.archived_at = timezone.now()
        theme.pinned = False
        theme.note_count = 0
        theme.save(update_fields=["archived_at", "pinned", "note_count", "updated_at"])
        audit_record(
            actor=actor,
            workspace=theme.workspace,
            action="theme.merge",
            target=theme,
            changes={"into": [None, into.pk], "notes": [None, moved]},
        )
    return into


def theme_split(*, actor: Any, theme: Theme) -> Theme:
    """Split a theme in two by 2-means over its notes; returns the new theme (the smaller half)."""
    permissions.require(actor, Action.INSIGHT_MANAGE, theme.workspace_id)
    from sklearn.cluster import KMeans

    with transaction.atomic():
        theme = _locked(theme)
        _require_live(theme)
        ids = list(FeedbackNote.objects.filter(theme=theme).values_list("id", flat=True))
        if len(ids) < 4:
            msg = "A theme needs at least 4 notes to be split."
            raise Conflict(f"theme: {msg}", fields={"theme": [msg]})
        ids, texts, vectors = _note_vectors(theme.workspace, ids)
        if vectors is None:
            msg = "Find themes first: this workspace has no theme space yet."
            raise Conflict(f"theme: {msg}", fields={"theme": [msg]})
        halves = KMeans(n_clusters=2, random_state=SEED, n_init=3).fit_predict(vectors)
        sizes = np.bincount(halves, minlength=2)
        if sizes.min() == 0:
            msg = "The theme's notes are too alike to split."
            raise Conflict(f"theme: {msg}", fields={"theme": [msg]})
        small = int(np.argmin(sizes)) if sizes[0] != sizes[1] else 1
        parts: list[Theme] = []
        for half in (1 - small, small):
            member = np.flatnonzero(halves == half)
            part_ids = [ids[i] for i in member]
            part_texts = [texts[i] for i in member]
            centroid = _centroid(vectors[member])
            label = _split_label(part_texts, [texts[i] for i in np.flatnonzero(halves != half)])
            target = theme if half != small else Theme(workspace=theme.workspace, name=_name(label))
            target.auto_label = label[:200]
            if half == small or not theme.renamed:
                target.name = _name(label)
            target.quotes = _quotes(part_ids, part_texts, vectors[member] @ centroid)
            target.note_count = len(part_ids)
            target.save()
            _refresh_centroid(target, part_ids, vectors[member])
            target.save(update_fields=["centroid", "updated_at"])
            parts.append(target)
        new = parts[1]
        audit_record(
            actor=actor,
            workspace=theme.workspace,
            action="theme.split",
            target=theme,
            changes={"new_theme": [None, new.pk], "notes": [None, [parts[0].note_count, new.note_count]]},
        )
    return new


def _split_label(texts: list[str], other: list[str]) -> str:
    """The top terms of one half against the other (class-based TF-IDF over two classes)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", sublinear_tf=True, dtype=np.float32)
    try:
        tfidf = vectorizer.fit_transform([*texts, *other])
    except ValueError:
        return "Unnamed theme"
    clusters = np.asarray([0] * len(texts) + [1] * len(other))
    return _labels(tfidf, clusters, 2, vectorizer.get_feature_names_out())[0] or "Unnamed theme"

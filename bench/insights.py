"""Insights inbox benchmark (issue 5): ``.venv/bin/python bench/insights.py`` (part of ``make bench``).

For each database (SQLite, then PostgreSQL when one is reachable), in a fresh database with one
workspace, in child processes:

1. **Classification alone**: ``headway.insights.classify.predict`` over the ``--notes`` texts with
   their ratings (notes/s; loading the model file timed apart).
2. **Import**: the 10,000 reviews of ``../shared/data/spotify-reviews.csv`` repeated ×10 with
   variations (copy 0 as it is; the others with a word before or after, or their sentences in
   another order, each with its own reviewId) written to one CSV file (reviewId, content, score,
   date), then imported through the real path: the import service reads and previews the file,
   it is confirmed, and ``services.imports.import_run`` runs it (what the background task does):
   classification and theme assignment included (the workspace has themes: see 3). Then the same
   file again (idempotent: no note added). **Baselines in the same run**: the same rows written by
   a plain ``executemany`` INSERT (one transaction, reading the CSV included) and by
   ``bulk_create`` (model objects, no classification), each into a scratch workspace, deleted after.
3. **Themes** over ``--theme-notes`` notes (the first rows of the file, bulk-inserted with their
   predicted labels): ``themes_recompute`` with a real job row for progress; baselines: the TF-IDF
   ``fit_transform`` of the same texts alone and one k-means pass on that matrix (as many clusters
   as themes were made). These notes are then deleted (their themes and fitted space stay) so the
   import of step 2 — which runs after this — lands in a workspace that has themes, and the lookup
   of step 4 runs over exactly ``--notes`` notes.
4. **Similar feedback** at ``--notes`` notes: ``similar_feedback`` — the first call (builds the
   index) apart, then p50/p95/p99 over ``--queries`` review texts; baselines: one trivial indexed
   query (a note by primary key), the same TF-IDF index searched alone (``TextIndex.search``, no
   database), and a brute-force scan (the query's vectors dotted with all 100,000 rows).

Targets (issue 5): import of 100,000 notes including classification under 60 s; themes over
50,000 notes under 60 s; similar-feedback lookup under 50 ms. The results replace this
benchmark's section of docs/benchmarks.md (not with ``--quick`` or ``--no-write``).

    bench/insights.py [--databases sqlite,postgres] [--notes 100000] [--theme-notes 50000]
                      [--queries 200] [--quick] [--no-write]
    bench/insights.py report     (rewrite the section from var/bench-insights.json)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `bench.common` imports when run as `python bench/x.py`
from bench.common import DOC, load_module, percentile, shared_data, write_doc  # noqa: E402
from bench.common import child as common_child  # noqa: E402

SECTION = "insights"
EMAIL, PASSWORD, SLUG = "bench@example.com", "bench-password-1234", "bench"
CHANNEL = "Google Play reviews"
TARGET_IMPORT_S, TARGET_THEMES_S, TARGET_SIMILAR_MS = 60.0, 60.0, 50.0
CHILD_TIMEOUT = 1800
PREFIXES = ["Honestly,", "Update:", "Well,", "So", "Again,", "Hi,", "Ok", "Also,", "Sadly,"]
SUFFIXES = ["Thanks.", "please", "!!", "Fix it.", "Cheers", "ok?", "5 stars.", "smh", "Regards"]


# --- the data: 10,000 reviews × 10 with variations ------------------------------------------------


def load_reviews() -> list[dict]:
    with (shared_data() / "spotify-reviews.csv").open(newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["content"].strip()]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def vary(text: str, copy: int) -> str:
    """Copy 0 as it is; the others: sentences in another order when there are several, else a word
    before (odd copies) or after (even copies)."""
    if copy == 0:
        return text
    parts = _sentences(text)
    if copy % 3 == 0 and len(parts) > 1:
        shift = copy // 3 % (len(parts) - 1) + 1
        return " ".join(parts[shift:] + parts[:shift])
    if copy % 2:
        return f"{PREFIXES[copy % len(PREFIXES)]} {text}"
    return f"{text} {SUFFIXES[copy % len(SUFFIXES)]}"


def rows(n: int) -> list[tuple[str, str, int, str]]:
    """(reviewId, content, score, date) for n notes: the reviews, then their variants."""
    reviews = load_reviews()
    rng = random.Random(20261122)
    end = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    out = []
    for i in range(n):
        review, copy = reviews[i % len(reviews)], i // len(reviews)
        rid = review["reviewId"] if copy == 0 else f"{review['reviewId']}-v{copy}"
        when = end - dt.timedelta(seconds=rng.uniform(0, 730 * 86400))
        out.append((rid, vary(review["content"].strip(), copy), int(review["score"]), when.isoformat()))
    return out


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["reviewId", "content", "score", "date"])
        writer.writerows(rows(n))


def read_csv(path: Path) -> list[tuple[str, str, int, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        return [(r[0], r[1], int(r[2]), r[3]) for r in reader]


# --- inside a database (child processes) ------------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def _csv_path() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "bench-notes.csv"


def _latency(times: list[float]) -> dict:
    return {
        "n": len(times),
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "max": max(times),
    }


def _workspace(slug: str):
    from headway.accounts.models import User
    from headway.workspaces.models import Workspace

    return User.objects.get(email=EMAIL), Workspace.objects.get(slug=slug)


def setup(n: int) -> dict:
    """Migrate, the user and the workspaces, and the CSV file."""
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    from headway.accounts.services import user_create
    from headway.workspaces.services import workspace_create

    with transaction.atomic():
        user = user_create(email=EMAIL, password=PASSWORD, full_name="Bench Mark")
        workspace_create(actor=user, name="Benchmark Inc", slug=SLUG)
        workspace_create(actor=user, name="Raw inserts", slug="bench-raw")
    t = time.perf_counter()
    path = _csv_path()
    write_csv(path, n)
    return {"csv_seconds": time.perf_counter() - t, "csv_mb": path.stat().st_size / 1e6, "rows": n}


def classify(n: int) -> dict:
    """``predict`` alone over the file's texts; the model file's loading apart (the first call)."""
    from headway.insights import classify as classifier

    data = read_csv(_csv_path())[:n]
    texts, ratings = [r[1] for r in data], [r[2] for r in data]
    t = time.perf_counter()
    classifier.predict(["warming up: loads the model file"], [3])
    load = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    predictions = classifier.predict(texts, ratings)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    kinds: dict[str, int] = {}
    sentiments: dict[str, int] = {}
    for p in predictions:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
        sentiments[p.sentiment] = sentiments.get(p.sentiment, 0) + 1
    return {
        "notes": len(texts),
        "load_seconds": load,
        "seconds": seconds,
        "rate": len(texts) / seconds,
        "cpu_seconds": cpu,
        "model_version": classifier.model_version(),
        "kinds": kinds,
        "sentiments": sentiments,
    }


_COLUMNS = [
    "workspace_id", "source", "channel", "external_ref", "url", "title", "text", "customer_name",
    "customer_email", "rating", "received_at", "extra", "state", "kind", "kind_confidence", "kind_corrected",
    "sentiment", "sentiment_score", "sentiment_corrected", "model_version", "created_at", "updated_at",
]  # fmt: skip


def _raw_insert(workspace_id: int, data: list[tuple], *, channel: str, labels: list | None = None) -> None:
    """A plain executemany INSERT of the rows into the notes table, in one transaction."""
    from django.db import connection, transaction

    vendor = connection.vendor
    now = dt.datetime.now(dt.UTC)
    stamp = now.isoformat() if vendor == "sqlite" else now
    table = connection.ops.quote_name("insights_feedbacknote")
    sql = f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    extra = "{}"
    if vendor == "postgresql":
        from psycopg.types.json import Jsonb

        extra = Jsonb({})
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for i, (rid, text, score, when) in enumerate(data):
            label = labels[i] if labels else None
            received = when if vendor == "sqlite" else dt.datetime.fromisoformat(when)
            batch.append(
                (
                    workspace_id, "import", channel, rid, "", "", text, "", "", score, received, extra, "new",
                    label.kind if label else "", label.kind_confidence if label else None, False,
                    label.sentiment if label else "", label.sentiment_score if label else None, False,
                    "", stamp, stamp,
                )
            )  # fmt: skip
            if len(batch) >= 10_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def baseline(n: int) -> dict:
    """The same rows written without classification: executemany, then bulk_create (each timed with
    reading the CSV; each deleted after, untimed)."""
    from django.db import transaction

    from headway.insights.models import FeedbackNote, Source

    _, workspace = _workspace("bench-raw")
    path = _csv_path()
    t, cpu = time.perf_counter(), time.process_time()
    data = read_csv(path)[:n]
    _raw_insert(workspace.pk, data, channel=CHANNEL)
    raw, raw_cpu = time.perf_counter() - t, time.process_time() - cpu
    count = FeedbackNote.objects.filter(workspace=workspace).count()
    FeedbackNote.objects.filter(workspace=workspace).delete()

    t, cpu = time.perf_counter(), time.process_time()
    data = read_csv(path)[:n]
    with transaction.atomic():
        FeedbackNote.objects.bulk_create(
            (
                FeedbackNote(
                    workspace=workspace, source=Source.IMPORT, channel=CHANNEL, external_ref=rid, text=text,
                    rating=score, received_at=dt.datetime.fromisoformat(when),
                )
                for rid, text, score, when in data
            ),
            batch_size=2000,
        )  # fmt: skip
    bulk, bulk_cpu = time.perf_counter() - t, time.process_time() - cpu
    bulk_count = FeedbackNote.objects.filter(workspace=workspace).count()
    FeedbackNote.objects.filter(workspace=workspace).delete()
    return {
        "rows": len(data),
        "raw_seconds": raw,
        "raw_rate": count / raw,
        "raw_count": count,
        "raw_cpu_seconds": raw_cpu,
        "bulk_cpu_seconds": bulk_cpu,
        "bulk_seconds": bulk,
        "bulk_rate": bulk_count / bulk,
        "bulk_count": bulk_count,
    }


class _Progress:
    """Counts what a service reports (when no job row is wanted)."""

    def __init__(self) -> None:
        self.total = self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, n: int = 1) -> None:
        self.done += n


def themes(n: int) -> dict:
    """Seed n notes (bulk, with predicted labels), recompute themes through the service, baselines,
    then delete the seed notes (themes and the fitted space stay)."""
    import numpy as np
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    from headway.insights.models import FeedbackNote, InsightJob, Theme, ThemeSpace
    from headway.insights.services.jobs import JobProgress
    from headway.insights.services.themes import themes_recompute

    user, workspace = _workspace(SLUG)
    data = read_csv(_csv_path())[:n]
    labels = None
    try:
        from headway.insights.classify import predict

        labels = predict([r[1] for r in data], [r[2] for r in data])
    except ImportError:
        pass
    _raw_insert(workspace.pk, data, channel="Seed for themes", labels=labels)
    job = InsightJob.objects.create(workspace=workspace, kind=InsightJob.Kind.THEMES, started_by=user)
    progress = JobProgress(job)
    t, cpu = time.perf_counter(), time.process_time()
    made = themes_recompute(workspace=workspace, progress=progress)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    live = Theme.objects.filter(workspace=workspace, archived_at__isnull=True)
    counts = sorted(live.values_list("note_count", flat=True), reverse=True)
    assigned = FeedbackNote.objects.filter(workspace=workspace, theme__isnull=False).count()
    labels_sample = list(live.order_by("-note_count").values_list("name", flat=True)[:8])
    space = ThemeSpace.objects.filter(workspace=workspace).first()

    # Baselines: the same arithmetic without the database (TF-IDF with the service's settings; then
    # the reduction and one mini-batch k-means pass with as many clusters as themes were made).
    texts = [r[1] for r in data]
    t = time.perf_counter()
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), stop_words="english", sublinear_tf=True, min_df=3, max_features=30_000,
        dtype=np.float32, strip_accents="unicode",
    )  # fmt: skip
    matrix = vectorizer.fit_transform(texts)
    tfidf = time.perf_counter() - t
    k = max(2, len(counts) or len(made or []) or 20)
    t = time.perf_counter()
    vectors = TruncatedSVD(n_components=100, random_state=0, n_iter=4).fit_transform(matrix)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    svd = time.perf_counter() - t
    t = time.perf_counter()
    MiniBatchKMeans(n_clusters=k, random_state=0, n_init=1, batch_size=4096, max_iter=50).fit(vectors)
    kmeans = time.perf_counter() - t
    FeedbackNote.objects.filter(workspace=workspace, channel="Seed for themes").delete()
    return {
        "notes": len(data),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "themes": len(counts),
        "largest": counts[:5],
        "smallest": counts[-3:] if counts else [],
        "assigned": assigned,
        "space_kb": len(bytes(space.blob)) / 1024 if space else 0,
        "names": labels_sample,
        "job_done": InsightJob.objects.get(pk=job.pk).done,
        "tfidf_seconds": tfidf,
        "tfidf_shape": list(matrix.shape),
        "svd_seconds": svd,
        "kmeans_seconds": kmeans,
        "kmeans_k": k,
    }


def _import_file(user, workspace, path: Path):
    """Upload (read + guess/check the mapping), preview and confirm the file through the import
    service, as the page does; returns the queued NoteImport (its run is timed by the caller) and the
    seconds this took. Confirming enqueues the task on commit; nothing runs it in this process."""
    from headway.insights.services import imports

    mapping = {"text": "content", "external_ref": "reviewId", "rating": "score", "received_at": "date"}
    t = time.perf_counter()
    note_import = imports.import_upload(
        actor=user, workspace=workspace, data=path.read_bytes(), filename=path.name, channel=CHANNEL, mapping=mapping
    )
    imports.import_preview(note_import=note_import)
    note_import = imports.import_confirm(actor=user, note_import=note_import)
    return note_import, time.perf_counter() - t


def import_(n: int) -> dict:
    """Import the CSV through the real path, then the same file again."""
    from headway.insights.models import FeedbackNote, NoteImport, ThemeSpace
    from headway.insights.services.imports import import_run

    user, workspace = _workspace(SLUG)
    path = _csv_path()
    out: dict = {"has_themes": ThemeSpace.objects.filter(workspace=workspace).exists()}
    for name in ("first", "again"):
        t, cpu = time.perf_counter(), time.process_time()
        note_import, prepare = _import_file(user, workspace, path)
        t_run = time.perf_counter()
        status = import_run(import_id=note_import.pk)
        end, cpu = time.perf_counter(), time.process_time() - cpu
        row = NoteImport.objects.get(pk=note_import.pk)
        notes = FeedbackNote.objects.filter(workspace=workspace)
        out[name] = {
            "status": str(status),
            "prepare_seconds": prepare,
            "run_seconds": end - t_run,
            "seconds": end - t,
            "cpu_seconds": cpu,
            "rate": n / (end - t),
            "created": row.created,
            "updated": row.updated,
            "skipped": row.skipped,
            "errors": len(row.errors or []),
            "error_sample": (row.errors or [])[:2],
            "notes": notes.count(),
            "classified": notes.exclude(kind="").count(),
            "themed": notes.filter(theme__isnull=False).count(),
        }
    return out


def similar(queries: int) -> dict:
    import numpy as np

    from headway.ideas.similarity import TextIndex, _combine
    from headway.insights.models import FeedbackNote
    from headway.insights.similarity import similar_feedback

    _, workspace = _workspace(SLUG)
    notes = FeedbackNote.objects.filter(workspace=workspace)
    count = notes.count()
    rng = random.Random(5)
    reviews = [r["content"].strip() for r in load_reviews()]
    texts = rng.sample(reviews, queries)

    t = time.perf_counter()
    similar_feedback(workspace=workspace, text=texts[0], limit=10)
    first = time.perf_counter() - t
    times, empty, found = [], 0, 0
    for text in texts:
        t = time.perf_counter()
        matches = similar_feedback(workspace=workspace, text=text, limit=10)
        times.append((time.perf_counter() - t) * 1000)
        empty += not matches
        found += len(matches)

    # Baselines: one trivial indexed query; the same kind of index searched alone; a brute-force scan.
    ids = list(notes.values_list("id", flat=True))
    trivial = []
    for _ in range(queries):
        pk = rng.choice(ids)
        t = time.perf_counter()
        FeedbackNote.objects.filter(workspace=workspace, pk=pk).values_list("id", "text").first()
        trivial.append((time.perf_counter() - t) * 1000)
    pairs = list(notes.values_list("id", "text"))
    t = time.perf_counter()
    index = TextIndex([p[0] for p in pairs], [p[1] for p in pairs])
    index_build = time.perf_counter() - t
    alone = []
    for text in texts:
        t = time.perf_counter()
        index.search(text, 10)
        alone.append((time.perf_counter() - t) * 1000)
    word_rows, char_rows = index.state[0].T.tocsr(), index.state[1].T.tocsr()
    brute = []
    for text in texts:
        t = time.perf_counter()
        qw, qc = index.vectors([text])
        scores = _combine((word_rows @ qw.T).toarray().ravel(), (char_rows @ qc.T).toarray().ravel(), None)
        np.argpartition(-scores, 10)[:10]
        brute.append((time.perf_counter() - t) * 1000)
    return {
        "notes": count,
        "first_seconds": first,
        "lookup": _latency(times),
        "empty": empty,
        "mean_matches": found / len(texts),
        "trivial": _latency(trivial),
        "index_build_seconds": index_build,
        "index_alone": _latency(alone),
        "brute": _latency(brute),
    }


# --- around the database ------------------------------------------------------------------------------


def child(command: str, env: dict[str, str], *extra: str) -> dict:
    """One step of this script in a fresh process (``bench.common.child``)."""
    return common_child(__file__, command, env, *extra, timeout=CHILD_TIMEOUT)


def machine() -> dict:
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    versions = subprocess.run(
        [sys.executable, "-c", "import django, sklearn, numpy, sqlite3; print(django.get_version(), "
         "sklearn.__version__, numpy.__version__, sqlite3.sqlite_version)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024),
        "cpu": cpu[1].strip() if cpu else platform.processor(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "django": versions[0],
        "sklearn": versions[1],
        "numpy": versions[2],
        "commit": (commit.stdout.strip() or "?") + (" + uncommitted changes" if dirty.stdout.strip() else ""),
    }


def run_database(kind: str, args: argparse.Namespace, run_module) -> dict:
    n, m, q = str(args.notes), str(args.theme_notes), str(args.queries)
    with run_module.database(kind) as (env, label):
        out: dict = {"label": label}
        steps = [
            ("setup", ("setup", n)),
            ("classify", ("classify", n)),
            ("baseline", ("baseline", n)),
            ("themes", ("themes", m)),
            ("import", ("import_", n)),
            ("similar", ("similar", q)),
        ]
        for name, (command, *extra) in steps:
            print(f"[{kind}] {name}…", flush=True)
            out[name] = child(command, env, *extra)
            print(f"[{kind}] {name}: {json.dumps(out[name])[:600]}", flush=True)
            if name == "setup" and "error" in out[name]:
                break
        return out


# --- the report --------------------------------------------------------------------------------------


def _cpu(step: dict, key: str = "cpu_seconds") -> str:
    """The process's own CPU time next to the wall time: on a shared machine the wall time also
    counts the waits for a core (the database server's CPU is not in it on PostgreSQL)."""
    return f", {step[key]:.1f} s CPU" if key in step else ""


def _arith(th: dict) -> float:
    return th["tfidf_seconds"] + th.get("svd_seconds", 0) + th["kmeans_seconds"]


def _verdict(ok: bool, target: str) -> str:
    return f"{'met' if ok else '**missed**'} ({target})"


def _err(step: dict) -> str | None:
    return f"not measured: {step['error']}" if "error" in step else None


def report(runs: dict[str, dict], args: argparse.Namespace, info: dict) -> str:
    misses: list[str] = []
    lines = ["| database | measure | result | baseline (same run) | ratio | target |", "|---|---|---|---|---:|---|"]
    for run in runs.values():
        label = run["label"]
        c, b, th, im, si = (run.get(k, {"error": "not run"}) for k in ("classify", "baseline", "themes", "import",
                                                                         "similar"))  # fmt: skip
        if _err(c):
            lines.append(f"| {label} | `predict` alone | {_err(c)} | — | — | — |")
        else:
            ok = c["seconds"] < 20 * c["notes"] / 100_000
            lines.append(
                f"| {label} | `predict` alone, {c['notes']:,} texts with ratings | {c['rate']:,.0f} notes/s "
                f"({c['seconds']:.1f} s{_cpu(c)}; model loaded in {c['load_seconds']:.2f} s) | — | — | "
                f"{_verdict(ok, '100,000 well under 20 s')} |"
            )
            if not ok:
                misses.append(f"{label}: classification {c['seconds']:.1f} s for {c['notes']:,} texts")
        base = None if _err(b) else b
        if base:
            lines.append(
                f"| {label} | raw `executemany` INSERT of the {base['rows']:,} rows (one transaction, CSV read) | "
                f"{base['raw_rate']:,.0f} rows/s ({base['raw_seconds']:.1f} s{_cpu(base, 'raw_cpu_seconds')}) | "
                "— | baseline | — |"
            )
            lines.append(
                f"| {label} | `bulk_create` of the same rows (model objects, no classification) | "
                f"{base['bulk_rate']:,.0f} rows/s ({base['bulk_seconds']:.1f} s{_cpu(base, 'bulk_cpu_seconds')}) | — | "
                f"{base['bulk_rate'] / base['raw_rate']:.2f}× raw rate | — |"
            )
        else:
            lines.append(f"| {label} | raw insert baseline | {_err(b)} | — | — | — |")
        if _err(im):
            lines.append(f"| {label} | import through the service | {_err(im)} | — | — | — |")
            misses.append(f"{label}: import not measured ({im['error'][:120]})")
        else:
            for name, title in (("first", "import"), ("again", "re-import of the same file (idempotent)")):
                r = im[name]
                # Against the faster of the two plain inserts (on PostgreSQL ``executemany`` is one round
                # trip per row, and bulk_create's multi-row INSERT is the faster one).
                fast = max(("raw", "bulk"), key=lambda k: base[f"{k}_rate"]) if base else "raw"
                name_of = {"raw": "executemany", "bulk": "bulk_create"}[fast]
                base_txt = f"{base[f'{fast}_rate']:,.0f} rows/s ({name_of})" if base else "—"
                ratio = f"{r['rate'] / base[f'{fast}_rate']:.2f}× the {name_of} rate" if base else "—"
                extra = (
                    f"; {r['created']:,} created, {r['updated']:,} updated, {r['skipped']:,} skipped, "
                    f"{r['errors']} errors; notes {r['notes']:,} ({r['classified']:,} classified, "
                    f"{r['themed']:,} with a theme)"
                )
                ok = r["seconds"] < TARGET_IMPORT_S * args.notes / 100_000 and r["status"].endswith("done")
                if name == "again":
                    ok = ok and r["notes"] == im["first"]["notes"]
                lines.append(
                    f"| {label} | {title}: {args.notes:,} rows, read + preview + confirm + `import_run` "
                    f"(classification and theme assignment{'' if im['has_themes'] else ': **no themes yet**'}) | "
                    f"{r['rate']:,.0f} rows/s ({r['seconds']:.1f} s{_cpu(r)}: preview {r['prepare_seconds']:.1f} s, "
                    f"run {r['run_seconds']:.1f} s){extra} | {base_txt} | {ratio} | "
                    f"{_verdict(ok, f'under {TARGET_IMPORT_S:.0f} s')} |"
                )
                if not ok:
                    misses.append(f"{label}: {title} {r['seconds']:.1f} s (status {r['status']})")
        if _err(th):
            lines.append(f"| {label} | `themes_recompute` | {_err(th)} | — | — | — |")
            misses.append(f"{label}: themes not measured ({th['error'][:120]})")
        else:
            ok = th["seconds"] < TARGET_THEMES_S
            lines.append(
                f"| {label} | `themes_recompute` over {th['notes']:,} notes | {th['seconds']:.1f} s{_cpu(th)}: "
                f"{th['themes']} themes (largest {', '.join(map(str, th['largest']))} notes), "
                f"{th['assigned']:,} notes assigned | TF-IDF `fit_transform` {th['tfidf_seconds']:.1f} s "
                f"({th['tfidf_shape'][1]:,} terms); + SVD to 100 dimensions ({th.get('svd_seconds', 0):.1f} s) "
                f"+ one mini-batch k-means pass, k={th['kmeans_k']} ({th['kmeans_seconds']:.1f} s): "
                f"{_arith(th):.1f} s | {th['seconds'] / th['tfidf_seconds']:.1f}× TF-IDF, "
                f"{th['seconds'] / _arith(th):.1f}× the arithmetic alone | "
                f"{_verdict(ok, f'under {TARGET_THEMES_S:.0f} s')} |"
            )
            if not ok:
                misses.append(f"{label}: themes {th['seconds']:.1f} s over {th['notes']:,} notes")
        if _err(si):
            lines.append(f"| {label} | `similar_feedback` | {_err(si)} | — | — | — |")
            misses.append(f"{label}: similar feedback not measured ({si['error'][:120]})")
        else:
            lk, tr, al, br = si["lookup"], si["trivial"], si["index_alone"], si["brute"]
            ok = lk["p99"] < TARGET_SIMILAR_MS
            lines.append(
                f"| {label} | `similar_feedback` at {si['notes']:,} notes, {lk['n']} review texts, limit 10 | "
                f"p50 {lk['p50']:.1f} ms, p95 {lk['p95']:.1f} ms, p99 {lk['p99']:.1f} ms, max {lk['max']:.1f} ms; "
                f"{si['empty']} with no match, {si['mean_matches']:.1f} matches on average | "
                f"note by primary key p50 {tr['p50']:.2f} ms; brute-force dot over all rows p50 {br['p50']:.1f} ms, "
                f"p99 {br['p99']:.1f} ms; `TextIndex.search` alone p50 {al['p50']:.1f} ms | "
                f"{lk['p50'] / tr['p50']:.0f}× trivial, {lk['p50'] / br['p50']:.2f}× brute force | "
                f"{_verdict(ok, f'p99 under {TARGET_SIMILAR_MS:.0f} ms')} |"
            )
            lines.append(
                f"| {label} | … the first call (builds the index from the database) | {si['first_seconds']:.1f} s | "
                f"`TextIndex` over the same texts alone {si['index_build_seconds']:.1f} s | "
                f"{si['first_seconds'] / si['index_build_seconds']:.2f}× | — |"
            )
            if not ok:
                misses.append(f"{label}: similar feedback p99 {lk['p99']:.1f} ms")
    verdict = (
        "All targets met."
        if not misses
        else "Targets missed or not measured:\n\n" + "\n".join(f"- {m}" for m in misses)
    )
    return f"""## Issue 5 — insights inbox

{info["date"]} · commit {info["commit"]} · {info["cores"]} cores ({info["cpu"]}), {info["ram_gib"]} GiB RAM ·
load average at start {info["load"]} · Python {info["python"]}, Django {info["django"]}, scikit-learn
{info["sklearn"]}, numpy {info["numpy"]}. `bench/insights.py --notes {args.notes} --theme-notes {args.theme_notes}
--queries {args.queries}`.

Data: the 10,000 reviews of `../shared/data/spotify-reviews.csv` ×{max(1, args.notes // 10_000)} (copy 0 as
it is; the others with a word before or after, or their sentences in another order; each its own
reviewId; a received date spread over two years) in one CSV file. Each step runs in its own process
in a fresh database. Order: classification alone; the baselines (into a scratch workspace, deleted);
themes over the first {args.theme_notes:,} rows (bulk-inserted with predicted labels, deleted afterwards:
the themes and the fitted space stay, so the import assigns themes); the import and the re-import;
the lookups at {args.notes:,} notes.

{chr(10).join(lines)}

Targets: import of 100,000 notes including classification under {TARGET_IMPORT_S:.0f} s; themes over
50,000 notes under {TARGET_THEMES_S:.0f} s; similar-feedback lookup under {TARGET_SIMILAR_MS:.0f} ms. {verdict}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "report", "setup", "classify", "baseline", "themes", "import_", "similar"],
    )
    parser.add_argument("sizes", nargs="*", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--theme-notes", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10,000 notes, 5,000 for themes, 50 queries; SQLite only")
    parser.add_argument("--no-write", action="store_true", help="print the results; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    commands: dict[str, Callable[..., dict]] = {
        "setup": setup, "classify": classify, "baseline": baseline, "themes": themes, "import_": import_,
        "similar": similar,
    }  # fmt: skip
    if args.command in commands:
        _django()
        try:
            print(json.dumps(commands[args.command](*args.sizes)))
        except Exception:
            traceback.print_exc()
            return 1
        return 0
    saved = ROOT / "var" / "bench-insights.json"  # the raw figures: `bench/insights.py report` rewrites the text
    if args.command == "report":
        data = json.loads(saved.read_text())
        text = report(data["runs"], argparse.Namespace(**data["args"]), data["info"])
        print(text)
        if not args.no_write:
            write_doc(SECTION, text)
        return 0
    if args.quick:
        args.notes, args.theme_notes, args.queries, args.databases = 10_000, 5_000, 50, "sqlite"
    run_module = load_module("headway_bench_run", ROOT / "bench" / "run.py")
    info = machine()
    saved.parent.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict] = {}
    for kind in args.databases.split(","):
        try:
            runs[kind] = run_database(kind, args, run_module)
        except SystemExit as exc:
            if kind != "postgres":
                raise
            print(f"[postgres] skipped: {str(exc)[:300]}", flush=True)
        if not args.quick:
            saved.write_text(json.dumps({"runs": runs, "info": info, "args": vars(args)}, indent=1))
    text = report(runs, args, info)
    print("\n" + text)
    if not (args.no_write or args.quick):
        write_doc(SECTION, text)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ideas portal benchmark (issue 4): ``.venv/bin/python bench/ideas.py`` (part of ``make bench``).

**Quality of similar-idea detection** (no database): the 10,000 reviews of
``../shared/data/spotify-reviews.csv`` are the ideas; ``bench/data/similar_ideas.json`` holds 101
queries, each with the reviews a person would call the same request (how it was built:
docs/benchmarks.md). precision@5 and recall@5 (macro averages; precision counts the 5 slots, so
an empty slot is a miss) of ``headway.ideas.similarity.TextIndex`` (the code ``similar_ideas``
runs), next to two plain keyword (``icontains``) baselines: all the query's words ANDed, and the
query's most selective word alone (the one matching the fewest reviews, at least one); English stop
words are dropped from the query; both list their matches in the data set's order (id order), the
order such a search has without a ranking. ``headway/ideas/tests/test_similarity.py`` asserts the
same figures, also through ``similar_ideas`` and the database.

**Speed**, for each database (SQLite, then PostgreSQL when one is reachable), in a fresh database:
one workspace and one public portal with 100,000 ideas (review texts, 10 variants of each) and
1,000,000 votes from 20,011 people (a long-tailed spread: a few ideas with thousands of votes, most
with a handful), bulk-inserted (raw SQL / ``bulk_create``: no events or audit rows), then

* the portal's idea list ``GET /p/<slug>/?sort=votes|trending|newest`` (and a deep page) served by
  granian (WSGI, 2 workers) and driven by wrk (32 connections, 2 threads, interleaved rounds,
  medians), against the trivial endpoint ``GET /healthz`` measured in the same run; the selector
  ``portal_idea_page`` alone is timed in one process too;
* vote casting through the real service ``vote_cast`` from 4 processes at once (new voters with
  portal accounts; half the votes go to the 20 most voted ideas, so rows are contended): votes/s
  over the wall time, then no vote lost or doubled (the rows equal the successful calls, and every
  touched idea's ``vote_count`` equals its rows);
* similar-idea suggestions ``similar_ideas`` at 100,000 ideas: build time of the cache, then p50/p99
  over 200 queries (the 101 labelled ones and 99 review openings), an idea created afterwards is
  suggested at once, and the htmx endpoint ``GET /p/<slug>/similar/?title=…`` through the test client.

Targets: list p99 < 100 ms at 32 connections; ≥ 300 votes/s on SQLite with no lost votes;
suggestions < 50 ms. The results replace this benchmark's section of docs/benchmarks.md.

    bench/ideas.py [--databases sqlite,postgres] [--ideas 100000] [--votes 1000000] [--no-write]
    bench/ideas.py quality      (the quality table only; no database)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `bench.common` imports when run as `python bench/x.py`
from bench.common import DOC, load_module, percentile, shared_data, write_doc  # noqa: E402

SECTION = "ideas"


REVIEWS_NAME = "spotify-reviews.csv"
SAMPLE = ROOT / "bench" / "data" / "similar_ideas.json"
EMAIL, PASSWORD, SLUG, PORTAL = "bench@example.com", "bench-password-1234", "bench", "bench-ideas"
VOTERS = 20_011
CAST_PROCESSES, CAST_PER_PROCESS, CAST_USERS = 4, 300, 40
TARGET_LIST_P99_MS, TARGET_VOTES_PER_S, TARGET_SIMILAR_MS = 100.0, 300.0, 50.0
K = 5


# --- quality (pure Python: used by the test too) -------------------------------------------------


def load_reviews() -> list[tuple[str, str]]:
    """(reviewId, content) of every review, in the file's order."""
    with (shared_data() / REVIEWS_NAME).open(newline="", encoding="utf-8") as f:
        return [(row["reviewId"], row["content"]) for row in csv.DictReader(f)]


def load_sample() -> list[dict]:
    return json.loads(SAMPLE.read_text())["queries"]


def keywords(query: str) -> list[str]:
    """The words a keyword search would look for: lower-case, English stop words left out."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = [w for w in re.findall(r"\w+", query.lower()) if len(w) > 1 and w not in ENGLISH_STOP_WORDS]
    return list(dict.fromkeys(words))


class KeywordSearch:
    """``icontains`` over the texts (lower-cased substring), results in the texts' order."""

    def __init__(self, ids: Sequence, texts: Sequence[str]):
        self.ids, self.texts = list(ids), [t.lower() for t in texts]

    def all_words(self, query: str, limit: int = K) -> list:
        words = keywords(query)
        if not words:
            return []
        return [i for i, t in zip(self.ids, self.texts, strict=True) if all(w in t for w in words)][:limit]

    def rarest_word(self, query: str, limit: int = K) -> list:
        counts = {w: sum(w in t for t in self.texts) for w in keywords(query)}
        found = [w for w, n in counts.items() if n]
        if not found:
            return []
        word = min(found, key=lambda w: counts[w])
        return [i for i, t in zip(self.ids, self.texts, strict=True) if word in t][:limit]


def evaluate(search: Callable[[str], Sequence], sample: list[dict], k: int = K) -> dict:
    """Macro-averaged precision@k (hits / k) and recall@k (hits / relevant) of ``search(query)``,
    which returns reviewIds best first."""
    precision = recall = 0.0
    for item in sample:
        relevant = set(item["relevant"])
        hits = sum(1 for rid in list(search(item["query"]))[:k] if rid in relevant)
        precision += hits / k
        recall += hits / len(relevant)
    return {"precision": precision / len(sample), "recall": recall / len(sample)}


def quality() -> dict:
    from headway.ideas.similarity import TextIndex

    reviews, sample = load_reviews(), load_sample()
    review_ids = [rid for rid, _ in reviews]
    started = time.perf_counter()
    index = TextIndex(range(len(reviews)), [text for _, text in reviews])
    build = time.perf_counter() - started
    keyword = KeywordSearch(review_ids, [text for _, text in reviews])
    return {
        "reviews": len(reviews),
        "queries": len(sample),
        "judgements": sum(len(item["relevant"]) for item in sample),
        "build_seconds": build,
        "tfidf": evaluate(lambda q: [review_ids[i] for i, _ in index.search(q, K)], sample),
        "all_words": evaluate(keyword.all_words, sample),
        "rarest_word": evaluate(keyword.rarest_word, sample),
        # The best any method could score: the labelled reviews first (few queries have 5 or fewer).
        "ceiling": evaluate(lambda q: next(item["relevant"] for item in sample if item["query"] == q), sample),
    }


# --- inside a database: build, measure (child processes) -------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def _idea_texts(n: int, rng) -> list[tuple[str, str]]:
    """(title, description) for n ideas: the reviews, then variants (two words swapped)."""
    reviews = [text.strip() for _, text in load_reviews() if len(text.strip()) >= 3]
    out = []
    for i in range(n):
        text = reviews[i % len(reviews)]
        if i >= len(reviews):
            words = text.split()
            if len(words) > 2:
                a, b = rng.sample(range(len(words)), 2)
                words[a], words[b] = words[b], words[a]
            text = " ".join(words)
        title = text if len(text) <= 120 else text[:120].rsplit(" ", 1)[0] or text[:120]
        out.append((title[:200], text if len(text) > len(title) else ""))
    return out


def build(n_ideas: int, n_votes: int) -> dict:
    import datetime as dt
    import random

    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)

    from headway.accounts.models import User
    from headway.accounts.services import user_create
    from headway.ideas import services
    from headway.ideas.models import Approval, Idea, Importance, StatusCategory
    from headway.ideas.services.votes import recompute_workspace_demand, trending_score
    from headway.workspaces.services import workspace_create

    rng = random.Random(20261122)
    nrng = np.random.default_rng(20261122)
    started = time.monotonic()
    with transaction.atomic():
        user = user_create(email=EMAIL, password=PASSWORD, full_name="Bench Mark")
        workspace = workspace_create(actor=user, name="Benchmark Inc", slug=SLUG)
        portal = services.portal_create(actor=user, workspace=workspace, name="Benchmark ideas", slug=PORTAL)
        statuses = {s.category: s for s in services.idea_statuses_ensure(workspace=workspace)}

    # Voters: plain rows (they never sign in); the casting benchmark makes its own with accounts.
    User.objects.bulk_create(
        (User(email=f"voter{i:05d}@bench.example", password="!", full_name=f"Voter {i}") for i in range(VOTERS)),
        batch_size=5000,
    )
    voter_ids = np.array(
        User.objects.filter(email__endswith="@bench.example").order_by("id").values_list("id", flat=True)
    )

    # A long tail of votes: Pareto weights, scaled to n_votes, at most one vote per person per idea.
    weights = nrng.pareto(1.1, n_ideas) + 0.05
    counts = np.minimum(np.floor(weights / weights.sum() * n_votes).astype(np.int64), VOTERS)
    short = n_votes - int(counts.sum())
    room = np.flatnonzero(counts < VOTERS)
    counts[nrng.choice(room, short, replace=False)] += 1

    now = timezone.now()
    created = sorted(now - dt.timedelta(seconds=rng.uniform(3600, 730 * 86400)) for _ in range(n_ideas))
    categories = [
        (StatusCategory.NEW, 60), (StatusCategory.UNDER_REVIEW, 15), (StatusCategory.PLANNED, 8),
        (StatusCategory.IN_PROGRESS, 5), (StatusCategory.SHIPPED, 7), (StatusCategory.DECLINED, 5),
    ]  # fmt: skip
    texts = _idea_texts(n_ideas, rng)
    stamp = Idea._meta.get_field("created_at")
    stamp.auto_now_add = False  # this process only: the ideas get a spread of ages
    for start in range(0, n_ideas, 5000):
        Idea.objects.bulk_create(
            [
                Idea(
                    workspace=workspace, portal=portal, title=texts[i][0], description=texts[i][1],
                    status=statuses[rng.choices([c for c, _ in categories], [w for _, w in categories])[0]],
                    submitter=user, approval=Approval.PENDING if rng.random() < 0.01 else Approval.APPROVED,
                    vote_count=int(counts[i]), trending=trending_score(int(counts[i]), created[i]),
                    created_at=created[i], updated_at=created[i],
                    deleted_at=now if rng.random() < 0.005 else None,
                )
                for i in range(start, min(n_ideas, start + 5000))
            ],
            batch_size=2500,
        )  # fmt: skip
    stamp.auto_now_add = True
    idea_ids = np.array(Idea.objects.filter(portal=portal).order_by("id").values_list("id", flat=True))

    importances = np.array([Importance.NICE_TO_HAVE, Importance.IMPORTANT, Importance.CRITICAL])
    table = connection.ops.quote_name("ideas_vote")
    columns = "workspace_id, idea_id, voter_id, importance, created_at, updated_at"
    when = now.isoformat() if connection.vendor == "sqlite" else now
    batch: list[tuple] = []

    def flush() -> None:
        if not batch:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)", batch)
        batch.clear()

    with transaction.atomic():
        for idea_id, k in zip(idea_ids.tolist(), counts.tolist(), strict=True):
            if not k:
                continue
            offset = int(nrng.integers(VOTERS))
            voters = voter_ids[(offset + np.arange(k)) % VOTERS]
            chosen = importances[nrng.choice(3, k, p=[0.3, 0.5, 0.2])]
            batch.extend(
                (workspace.pk, idea_id, int(v), str(c), when, when) for v, c in zip(voters, chosen, strict=True)
            )
            if len(batch) >= 100_000:
                flush()
        flush()
    recompute_workspace_demand(workspace.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from headway.ideas.models import Vote

    return {
        "seconds": round(time.monotonic() - started, 1),
        "ideas": Idea.objects.filter(portal=portal).count(),
        "votes": Vote.objects.filter(idea__portal=portal).count(),
        "max_votes": int(counts.max()),
        "median_votes": float(np.median(counts)),
    }


def _timed(fn: Callable[[], object], n: int) -> dict:
    fn()  # warm-up
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"p50": statistics.median(times), "p99": percentile(times, 0.99), "n": n}


def measure_selector(requests: int) -> dict:
    """portal_idea_page in one process (anonymous reader of the public portal), per sort."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from headway.core.permissions import portal_access
    from headway.ideas.models import Portal
    from headway.ideas.selectors import portal_idea_page

    portal = Portal.objects.get(slug=PORTAL)
    anonymous = AnonymousUser()
    access = portal_access(anonymous, portal)

    def page(sort: str, number: int = 1) -> Callable[[], object]:
        return lambda: portal_idea_page(user=anonymous, portal=portal, access=access, sort=sort, page=number)

    out: dict[str, object] = {sort: _timed(page(sort), requests) for sort in ("votes", "trending", "newest")}
    out["votes_page_1000"] = _timed(page("votes", 1000), requests)
    from django.test import Client

    web = Client()  # the whole page in one process: its CPU cost bounds what 2 cores can serve
    out["page_server"] = _timed(lambda: web.get(f"/p/{PORTAL}/?sort=votes"), requests)
    out["healthz_server"] = _timed(lambda: web.get("/healthz"), requests)
    with CaptureQueriesContext(connection) as ctx:
        page("votes")()
    out["queries"] = len(ctx)
    return out


def measure_similar(queries: int) -> dict:
    import random

    from django.test import Client

    from headway.accounts.models import User
    from headway.ideas import services, similarity
    from headway.ideas.models import Idea, Portal

    portal = Portal.objects.get(slug=PORTAL)
    started = time.perf_counter()
    similarity.warm(portal)
    build = time.perf_counter() - started
    rng = random.Random(4)
    texts = [item["query"] for item in load_sample()]
    reviews = [text for _, text in load_reviews() if len(text.split()) >= 6]
    texts += [" ".join(rng.choice(reviews).split()[:6]) for _ in range(queries - len(texts))]
    times, empty = [], 0
    for text in texts[:queries]:
        t = time.perf_counter()
        found = similarity.similar_ideas(portal=portal, text=text, limit=5)
        times.append((time.perf_counter() - t) * 1000)
        empty += not found
    # A new idea is suggested at once (the catch-up query appends it to the cached index).
    user = User.objects.get(email=EMAIL)
    idea = services.idea_create(actor=user, portal=portal, title="Crossfade between podcast episodes please")
    t = time.perf_counter()
    found = similarity.similar_ideas(portal=portal, text="crossfade between podcast episodes", limit=5)
    first_after_create = (time.perf_counter() - t) * 1000
    new_found = any(i.pk == idea.pk for i, _ in found)
    Idea.objects.filter(pk=idea.pk).delete()
    web = Client()
    url = f"/p/{PORTAL}/similar/"
    http = _timed(lambda: web.get(url, {"title": rng.choice(texts)}), 50)
    assert web.get(url, {"title": "Too many ads"}).status_code == 200
    return {
        "build_seconds": build,
        "p50": statistics.median(times),
        "p99": percentile(times, 0.99),
        "max": max(times),
        "queries": len(times),
        "empty": empty,
        "new_found": new_found,
        "after_create_ms": first_after_create,
        "http": http,
    }


def cast(first_user: int, count: int, start_at: float) -> dict:
    """Cast ``count`` votes through ``vote_cast`` as users first_user… (made by prepare_cast)."""
    import random

    from django.db import OperationalError, connection

    from headway.accounts.models import User
    from headway.core.errors import HeadwayError
    from headway.ideas.models import Approval, Idea, Portal
    from headway.ideas.services import vote_cast

    portal = Portal.objects.get(slug=PORTAL)
    users = list(User.objects.filter(email__startswith="caster").order_by("id")[first_user : first_user + CAST_USERS])
    open_ideas = Idea.objects.filter(portal=portal, deleted_at__isnull=True, approval=Approval.APPROVED)
    ideas = list(open_ideas.order_by("id").values_list("id", flat=True))
    hot = list(open_ideas.order_by("-vote_count", "-id")[:20])
    rng = random.Random(first_user)
    plan: list[tuple] = []
    used: set[tuple[int, int]] = set()
    while len(plan) < count:
        user = users[len(plan) % len(users)]
        idea = rng.choice(hot) if rng.random() < 0.5 else Idea(pk=rng.choice(ideas))
        if (user.pk, idea.pk) in used:
            continue
        used.add((user.pk, idea.pk))
        plan.append((user, idea))
    # Load the ideas once (vote_cast needs .portal); not timed.
    loaded = {i.pk: i for i in Idea.objects.filter(pk__in={i.pk for _, i in plan}).select_related("portal")}
    connection.close()
    time.sleep(max(0.0, start_at - time.time()))
    began, ok, errors = time.time(), 0, []
    for user, idea in plan:
        try:
            vote_cast(actor=user, idea=loaded[idea.pk], importance="important")
            ok += 1
        except (HeadwayError, OperationalError) as exc:  # refused, or SQLite's "database is locked"
            errors.append(f"{type(exc).__name__}: {str(exc)[:100]}")
    return {"ok": ok, "errors": errors[:5], "error_count": len(errors), "began": began, "ended": time.time()}


def prepare_cast() -> dict:
    """Voters with verified portal accounts for the casting benchmark; the counts before it."""
    from django.utils import timezone

    from headway.accounts.models import User
    from headway.ideas.models import Portal, PortalAccount, Vote

    portal = Portal.objects.get(slug=PORTAL)
    users = User.objects.bulk_create(
        User(email=f"caster{i:03d}@bench.example", password="!") for i in range(CAST_PROCESSES * CAST_USERS)
    )
    users = list(User.objects.filter(email__startswith="caster").order_by("id"))
    PortalAccount.objects.bulk_create(
        PortalAccount(workspace_id=portal.workspace_id, portal=portal, user=u, email_verified_at=timezone.now())
        for u in users
    )
    return {"votes_before": Vote.objects.filter(idea__portal=portal).count()}


def verify_cast() -> dict:
    from django.db.models import Count, F

    from headway.ideas.models import Idea, Portal, Vote

    portal = Portal.objects.get(slug=PORTAL)
    casters = Vote.objects.filter(voter__email__startswith="caster")
    touched = set(casters.values_list("idea_id", flat=True))
    wrong = (
        Idea.objects.filter(pk__in=touched)
        .annotate(rows=Count("votes"))
        .exclude(vote_count=F("rows"))
        .values_list("pk", flat=True)
    )
    return {
        "caster_votes": casters.count(),
        "votes_after": Vote.objects.filter(idea__portal=portal).count(),
        "touched": len(touched),
        "wrong_counts": list(wrong[:10]),
    }


# --- around: per database, report ----------------------------------------------------------------


def child(command: str, env: dict[str, str], *extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, command, *extra], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"bench ideas {command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_casting(env: dict[str, str]) -> dict:
    before = child("prepare_cast", env)
    start_at = time.time() + 8  # every process has set Django up by then
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "cast", str(p * CAST_USERS), str(CAST_PER_PROCESS), str(start_at)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(CAST_PROCESSES)
    ]
    results = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode:
            raise SystemExit(f"bench ideas cast failed:\n{out[-2000:]}\n{err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    after = child("verify_cast", env)
    ok = sum(r["ok"] for r in results)
    wall = max(r["ended"] for r in results) - min(r["began"] for r in results) or 1e-9
    return {
        "processes": CAST_PROCESSES,
        "ok": ok,
        "errors": sum(r["error_count"] for r in results),
        "error_samples": [e for r in results for e in r["errors"]][:3],
        "seconds": wall,
        "rate": ok / wall,
        "lost": ok - after["caster_votes"],
        "added": after["votes_after"] - before["votes_before"],
        "touched": after["touched"],
        "wrong_counts": after["wrong_counts"],
    }


def settle(url: str, limit: float = 90.0) -> None:
    """Wait until the server has worked off the requests a slow endpoint left queued (wrk hangs up,
    the server still answers them), so the next endpoint is measured on an idle server."""
    import urllib.request

    deadline, quick = time.monotonic() + limit, 0
    while quick < 3 and time.monotonic() < deadline:
        t = time.perf_counter()
        urllib.request.urlopen(url + "/healthz", timeout=limit).read()
        quick = quick + 1 if time.perf_counter() - t < 0.05 else 0


def run_database(kind: str, args: argparse.Namespace, run_module) -> dict:
    with run_module.database(kind) as (env, label):
        print(f"[{kind}] building {args.ideas:,} ideas and {args.votes:,} votes…", flush=True)
        built = child("build", env, str(args.ideas), str(args.votes))
        print(f"[{kind}] built in {built['seconds']} s; selector, suggestions…", flush=True)
        # The whole-page timing in this child must render each time, not read the anonymous microcache.
        selector = child("selector", {**env, "HEADWAY_PORTAL_ANONYMOUS_CACHE_SECONDS": "0"}, str(args.requests))
        similar = child("similar", env, "200")
        # Anonymous readers with no cookies share one rendering for 10 s (the portal's microcache);
        # a cookie (any but csrftoken) turns it off, so the same URLs with one show the full cost.
        fresh = "Cookie: hw_bench=1"
        pages = [
            ("GET /healthz (baseline)", "/healthz", r'"ok"', None),
            ("GET /p/<slug>/?sort=votes (anonymous, shared rendering)", f"/p/{PORTAL}/?sort=votes", r"idea", None),
            (
                "GET /p/<slug>/?sort=trending (anonymous, shared rendering)",
                f"/p/{PORTAL}/?sort=trending",
                r"idea",
                None,
            ),
            ("GET /p/<slug>/?sort=newest (anonymous, shared rendering)", f"/p/{PORTAL}/?sort=newest", r"idea", None),
            ("GET /p/<slug>/?sort=votes (rendered each time)", f"/p/{PORTAL}/?sort=votes", r"idea", fresh),
            ("GET /p/<slug>/?sort=trending (rendered each time)", f"/p/{PORTAL}/?sort=trending", r"idea", fresh),
            ("GET /p/<slug>/?sort=newest (rendered each time)", f"/p/{PORTAL}/?sort=newest", r"idea", fresh),
            (
                "GET /p/<slug>/?sort=votes&page=1000 (rendered each time)",
                f"/p/{PORTAL}/?sort=votes&page=1000",
                r"idea",
                fresh,
            ),
        ]
        per_round = max(2, round(args.duration / args.rounds))
        with run_module.granian(env, args.workers) as url:
            for _name, path, expect, header in pages:
                run_module.check_endpoint(url + path, header, expect)
                run_module.warm_up(url + path, header, connections=args.connections, threads=args.threads)
                settle(url)
            rounds: dict[str, list[dict]] = {name: [] for name, *_ in pages}
            for r in range(args.rounds):
                for name, path, _, header in pages:
                    print(f"[{kind}] round {r + 1}/{args.rounds}: wrk {name}…", flush=True)
                    rounds[name].append(
                        run_module.wrk(
                            url + path, header, duration=per_round, connections=args.connections, threads=args.threads
                        )
                    )
                    settle(url)
            http = {name: run_module.combine(runs) for name, runs in rounds.items()}
        print(f"[{kind}] casting votes from {CAST_PROCESSES} processes…", flush=True)
        casting = run_casting(env)
        return {"label": label, "built": built, "selector": selector, "similar": similar, "http": http, "cast": casting}


def _ratio(value: float, base: float, spec: str) -> str:
    return format(value / base, spec) if base else "—"


def report(q: dict, runs: dict[str, dict], args: argparse.Namespace, info: dict) -> str:
    misses = []
    quality_rows = [
        "| method | precision@5 | recall@5 |",
        "|---|---:|---:|",
        f"| `similar_ideas` (TF-IDF words 1–2 + char_wb 3–5) | **{q['tfidf']['precision']:.3f}** | "
        f"**{q['tfidf']['recall']:.3f}** |",
        f"| keyword `icontains`, all words ANDed | {q['all_words']['precision']:.3f} | "
        f"{q['all_words']['recall']:.3f} |",
        f"| keyword `icontains`, most selective word | {q['rarest_word']['precision']:.3f} | "
        f"{q['rarest_word']['recall']:.3f} |",
        f"| (ceiling: the labelled reviews themselves) | {q['ceiling']['precision']:.3f} | "
        f"{q['ceiling']['recall']:.3f} |",
    ]
    lines = [
        "| database | measure | result | × trivial | target |",
        "|---|---|---|---:|---|",
    ]
    for run in runs.values():
        label, http = run["label"], run["http"]
        base = next(iter(http.values()))
        for i, (name, r) in enumerate(http.items()):
            errors = f" ({r['non_2xx']} non-2xx, {r['socket_errors']} socket errors)" if (
                r["non_2xx"] or r["socket_errors"]) else ""  # fmt: skip
            if i == 0:
                verdict = "baseline"
            else:
                met = r["p99"] < TARGET_LIST_P99_MS and not errors
                verdict = ("met" if met else "**missed**") + f" (p99 < {TARGET_LIST_P99_MS:.0f} ms)"
                if not met:
                    misses.append(f"{label}: {name}: p99 {r['p99']:.1f} ms{errors}")
            lines.append(
                f"| {label} | `{name}` | {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms{errors} | "
                f"{_ratio(r['rps'], base['rps'], '.0%')} of req/s, p99 {_ratio(r['p99'], base['p99'], '.1f')}× | "
                f"{verdict} |"
            )
        s = run["selector"]
        lines.append(
            f"| {label} | `portal_idea_page` alone (one process; votes / trending / newest / page 1000) | "
            f"p50 {s['votes']['p50']:.1f} / {s['trending']['p50']:.1f} / {s['newest']['p50']:.1f} / "
            f"{s['votes_page_1000']['p50']:.1f} ms; p99 {s['votes']['p99']:.1f} / {s['trending']['p99']:.1f} / "
            f"{s['newest']['p99']:.1f} / {s['votes_page_1000']['p99']:.1f} ms; {s['queries']} queries | — | — |"
        )
        if "page_server" in s:
            lines.append(
                f"| {label} | whole page `?sort=votes` through the test client (one process, no network) | "
                f"p50 {s['page_server']['p50']:.1f} ms, p99 {s['page_server']['p99']:.1f} ms (`/healthz`: "
                f"{s['healthz_server']['p50']:.2f} ms) | "
                f"{_ratio(s['page_server']['p50'], s['healthz_server']['p50'], '.0f')}× the server time | — |"
            )
        c = run["cast"]
        no_loss = c["lost"] == 0 and c["added"] == c["ok"] and not c["wrong_counts"] and not c["errors"]
        met = no_loss and (c["rate"] >= TARGET_VOTES_PER_S or not label.startswith("SQLite"))
        if not met:
            misses.append(
                f"{label}: votes {c['rate']:.0f}/s, lost {c['lost']}, added {c['added']} for {c['ok']} calls, "
                f"wrong counts on ideas {c['wrong_counts']}"
            )
        target = f"≥ {TARGET_VOTES_PER_S:.0f}/s, none lost" if label.startswith("SQLite") else "none lost"
        lines.append(
            f"| {label} | `vote_cast`, {c['processes']} processes, {c['ok']:,} votes ({c['errors']} failed"
            f"{': ' + c['error_samples'][0][:60] if c['error_samples'] else ''}) | "
            f"{c['rate']:.0f} votes/s over {c['seconds']:.1f} s; rows added {c['added']:,}, lost "
            f"{c['lost']}, ideas with a wrong count {len(c['wrong_counts'])} of {c['touched']} | — | "
            f"{'met' if met else '**missed**'} ({target}) |"
        )
        m = run["similar"]
        ok = m["p99"] < TARGET_SIMILAR_MS and m["new_found"]
        if not ok:
            misses.append(f"{label}: suggestions p99 {m['p99']:.1f} ms, new idea found: {m['new_found']}")
        lines += [
            f"| {label} | `similar_ideas`, {m['queries']} queries at {run['built']['ideas']:,} ideas (cache built "
            f"in {m['build_seconds']:.1f} s) | p50 {m['p50']:.1f} ms, p99 {m['p99']:.1f} ms, max {m['max']:.1f} ms; "
            f"{m['empty']} with no suggestion | — | {'met' if ok else '**missed**'} (< {TARGET_SIMILAR_MS:.0f} ms) |",
            f"| {label} | … an idea created after the cache was built | "
            f"{'suggested' if m['new_found'] else '**not suggested**'} by the next call ({m['after_create_ms']:.1f} ms)"
            f" | — | {'met' if m['new_found'] else '**missed**'} |",
            f"| {label} | `GET /p/<slug>/similar/?title=…` (test client, htmx fragment) | "
            f"p50 {m['http']['p50']:.1f} ms, p99 {m['http']['p99']:.1f} ms | — | — |",
        ]
    builds = ", ".join(
        f"{r['label']} {r['built']['seconds']} s ({r['built']['ideas']:,} ideas, {r['built']['votes']:,} votes, "
        f"at most {r['built']['max_votes']:,} on one idea, median {r['built']['median_votes']:.0f})"
        for r in runs.values()
    )
    verdict = "All targets met." if not misses else "Targets missed:\n\n" + "\n".join(f"- {m}" for m in misses)
    return f"""## Issue 4 — ideas portal

{info["date"]} · {info["cores"]} cores ({info["cpu"]}), {info["ram_gib"]} GiB RAM · load average at start
{info["load"]} · Python {info["python"]}, Django {info["django"]}, granian {info["granian"]}
(`--interface wsgi --workers {args.workers}`), wrk {info["wrk"]} on the same machine.

### Quality of similar-idea detection

{q["reviews"]:,} reviews of `../shared/data/spotify-reviews.csv` as the ideas; {q["queries"]} labelled queries
(`bench/data/similar_ideas.json`, {q["judgements"]:,} relevant reviews in all); macro averages; precision@5
counts the 5 slots (fewer suggestions count as misses). Index built in {q["build_seconds"]:.1f} s.

{chr(10).join(quality_rows)}

### Speed

Data: one public portal; built with bulk inserts: {builds}. wrk `-t{args.threads} -c{args.connections}`,
{args.rounds} interleaved rounds of {max(2, round(args.duration / args.rounds))} s per endpoint after a 2 s
warm-up (medians); the list pages are read anonymously (50 ideas a page). Selector timings: {args.requests}
calls per sort in one process.

{chr(10).join(lines)}

Targets: list p99 under {TARGET_LIST_P99_MS:.0f} ms at {args.connections} connections; at least
{TARGET_VOTES_PER_S:.0f} votes/s on SQLite with no vote lost; suggestions under {TARGET_SIMILAR_MS:.0f} ms. {verdict}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "quality", "report", "build", "selector", "similar", "prepare_cast", "cast", "verify_cast"],
    )
    parser.add_argument("sizes", nargs="*", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="selector calls per sort")
    parser.add_argument("--duration", type=int, default=12, help="seconds of load per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print the results; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    sizes = [int(s) if s == int(s) else s for s in args.sizes]
    commands: dict[str, Callable[..., object]] = {
        "build": build, "selector": measure_selector, "similar": measure_similar, "prepare_cast": prepare_cast,
        "cast": cast, "verify_cast": verify_cast,
    }  # fmt: skip
    if args.command in commands:
        _django()
        print(json.dumps(commands[args.command](*sizes)))
        return 0
    if args.command == "report":
        data = json.loads((ROOT / "var" / "bench-ideas.json").read_text())
        text = report(data["quality"], data["runs"], argparse.Namespace(**data["args"]), data["info"])
        print(text)
        if not args.no_write:
            write_doc(SECTION, text)
        return 0
    q = quality()
    if args.command == "quality":
        print(json.dumps(q, indent=1))
        return 0
    run_module = load_module("headway_bench_run", ROOT / "bench" / "run.py")
    run_module.ensure_wrk()
    info = run_module.machine()
    saved = ROOT / "var" / "bench-ideas.json"  # the raw figures: `bench/ideas.py report` rewrites the text
    saved.parent.mkdir(parents=True, exist_ok=True)
    runs = {}
    for kind in args.databases.split(","):
        try:
            runs[kind] = run_database(kind, args, run_module)
        except SystemExit as exc:
            if kind != "postgres":
                raise
            print(f"[postgres] skipped: {str(exc)[:300]}", flush=True)
        saved.write_text(json.dumps({"quality": q, "runs": runs, "info": info, "args": vars(args)}, indent=1))
    text = report(q, runs, args, info)
    print("\n" + text)
    if not args.no_write:
        write_doc(SECTION, text)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

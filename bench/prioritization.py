"""Prioritization benchmark (issue 6): ``.venv/bin/python bench/prioritization.py`` (part of ``make bench``).

For each database (SQLite, then PostgreSQL when one is reachable), in a fresh database, in child
processes:

1. **Build** (untimed for the target; its time is reported): one workspace with 10 products and
   ``--features`` open features (5,000 per product, 80% with an effort estimate), 3,000 companies
   with a lognormal ARR (median 40,000) and tiers, 50,000 voters (70% at a company), one portal
   with ``--ideas`` ideas linked to features (a feature has 0–several ideas) and ``--votes`` votes
   spread Zipf-like over the ideas (exponent 1, at most one vote per person per idea: a few ideas
   with tens of thousands of votes, most with a handful), each idea's demand recomputed as the vote
   services keep it; 25,000 feedback notes from companies with ``--highlights`` evidence highlights
   (80% linked to a feature, 20% to an idea); 12 objectives served by 30% of the features. Ideas,
   votes, notes and highlights are bulk-inserted (votes by raw ``executemany`` on SQLite, ``COPY``
   on PostgreSQL; the others by ``bulk_create``): no audit rows. Then two scoring models through
   the service: **RICE** with inputs for every feature (reach lognormal, impact and confidence from
   their scales, effort 0.5–12 person-months; bulk-inserted, values computed by the engine) and a
   **custom formula** ``demand * reach / max(effort, 0.5)`` reading two built-in signals (its one
   input, reach, filled in for every feature).
2. **Rank**: ``ranked_features(per_page=50)`` end to end (signals from the database, scores,
   sorting, overrides, the page's Feature objects), p50/p95 of ``--runs`` calls per model after
   one warm-up call (timed apart). Where the time goes: ``feature_signals`` alone,
   ``engine.score_many`` alone (on the inputs, already loaded) and the rest. **Baselines in the
   same run**: the raw SQL ``SELECT feature_id, SUM(vote_count) FROM ideas … GROUP BY feature_id``
   (votes per feature, fetched), and a numpy ``argsort`` of 50,000 floats.

Also the capacity planner's instance (``bench/planner.py``: 2,000 candidates, 10 teams; no
database), re-run in this run.

Target (issue 6): score and rank 50,000 features with 1,000,000 votes and evidence under 1 s.
The results replace this benchmark's section of docs/benchmarks.md (not with ``--quick`` or
``--no-write``).

    bench/prioritization.py [--databases sqlite,postgres] [--features 50000] [--ideas 20000]
                            [--votes 1000000] [--highlights 50000] [--runs 7] [--quick] [--no-write]
    bench/prioritization.py report     (rewrite the section from var/bench-prioritization.json)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `bench.common` imports when run as `python bench/x.py`
from bench.common import DOC, load_module, percentile, write_doc  # noqa: E402
from bench.common import child as common_child  # noqa: E402

SECTION = "prioritization"
EMAIL, PASSWORD, SLUG = "bench@example.com", "bench-password-1234", "bench"
TARGET_RANK_S = 1.0
CHILD_TIMEOUT = 3600
PRODUCTS = 10
COMPANIES = 3000
VOTERS = 50_000
NOTES = 25_000
OBJECTIVES = 12
SEED = 20261122
RICE = "RICE (bench)"
CUSTOM = "Demand × reach ÷ effort (bench)"
FORMULA = "demand * reach / max(effort, 0.5)"


# --- inside a database (child processes) ------------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def _copy_or_executemany(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Raw rows into a table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL (its fast path)."""
    from django.db import connection

    name = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)


def build(n_features: int, n_ideas: int, n_votes: int, n_highlights: int) -> dict:
    """The workspace and its data (see the module docstring); returns counts and the build time."""
    import datetime as dt
    from decimal import Decimal

    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)

    from headway.accounts.models import User
    from headway.accounts.services import user_create
    from headway.backlog.models import Feature, FeatureObjective, WorkflowStatus
    from headway.backlog.services.workflow import workflow_ensure_defaults
    from headway.customers.models import Company
    from headway.ideas.models import Idea, Importance
    from headway.ideas.services.portals import idea_statuses_ensure, portal_create
    from headway.ideas.services.votes import recompute_workspace_demand
    from headway.insights.models import FeedbackNote, Highlight
    from headway.portfolio.services import product_create, product_line_create
    from headway.prioritization import engine
    from headway.prioritization.models import FeatureScore
    from headway.prioritization.services.scoring import scoring_model_create
    from headway.strategy.models import Objective
    from headway.workspaces.services import workspace_create

    rng = np.random.default_rng(SEED)
    started = time.monotonic()
    timings: dict[str, float] = {}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        timings[name] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()

    now = timezone.now()
    with transaction.atomic():
        user = user_create(email=EMAIL, password=PASSWORD, full_name="Bench Mark")
        workspace = workspace_create(actor=user, name="Benchmark Inc", slug=SLUG)
        line = product_line_create(actor=user, workspace=workspace, name="Everything")
        products = [
            product_create(actor=user, workspace=workspace, product_line=line, name=f"Product {p}", key=f"P{p}")
            for p in range(PRODUCTS)
        ]
        workflow_ensure_defaults(actor=user, workspace=workspace)
        portal = portal_create(actor=user, workspace=workspace, name="Benchmark ideas", slug="bench-ideas")
        idea_status = idea_statuses_ensure(workspace=workspace)[0]
    open_statuses = list(
        WorkflowStatus.objects.filter(workspace=workspace, category__in=["not_started", "active"]).order_by("position")
    )

    # Features: all open, spread over the open statuses; 80% estimated; ages up to two years.
    per_product = n_features // PRODUCTS
    stamp = Feature._meta.get_field("created_at")
    stamp.auto_now_add = False  # this process only: the features get a spread of ages
    efforts = np.round(rng.uniform(0.5, 13, n_features) * 2) / 2
    estimated = rng.random(n_features) < 0.8
    ages = rng.uniform(0, 730, n_features)
    with transaction.atomic():
        for p, product in enumerate(products):
            Feature.objects.bulk_create(
                (
                    Feature(
                        workspace=workspace, product=product, number=i + 1, title=f"Feature {p}-{i + 1}",
                        status=open_statuses[(i * 7 + p) % len(open_statuses)], rank=f"{i + 1:08d}",
                        effort=Decimal(str(efforts[p * per_product + i])) if estimated[p * per_product + i] else None,
                        created_at=now - dt.timedelta(days=float(ages[p * per_product + i])),
                        updated_at=now,
                    )
                    for i in range(per_product)
                ),
                batch_size=5000,
            )  # fmt: skip
    stamp.auto_now_add = True
    feature_ids = np.array(Feature.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True))
    lap("features")

    # Companies with ARR (lognormal, median 40,000) and a tier from it; voters, 70% at a company.
    arr = np.round(rng.lognormal(np.log(40_000), 1.2, COMPANIES), -2)
    Company.objects.bulk_create(
        (
            Company(
                workspace=workspace, name=f"Company {c:04d}", arr=Decimal(str(arr[c])),
                tier="strategic" if arr[c] >= 500_000 else "key" if arr[c] >= 120_000 else "standard",
            )
            for c in range(COMPANIES)
        ),
        batch_size=3000,
    )  # fmt: skip
    company_ids = np.array(Company.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True))
    User.objects.bulk_create(
        (User(email=f"voter{i:05d}@bench.example", password="!", full_name=f"Voter {i}") for i in range(VOTERS)),
        batch_size=5000,
    )
    voter_ids = np.array(
        User.objects.filter(email__endswith="@bench.example").order_by("id").values_list("id", flat=True)
    )
    voter_company = np.where(rng.random(VOTERS) < 0.7, company_ids[rng.integers(0, COMPANIES, VOTERS)], 0)
    lap("companies and voters")

    # Ideas, each linked to a feature (Zipf-ish too: some features gather several ideas).
    popularity = 1.0 / np.arange(1, n_features + 1) ** 0.7
    rng.shuffle(popularity)
    idea_feature = feature_ids[rng.choice(n_features, n_ideas, p=popularity / popularity.sum())]
    with transaction.atomic():
        Idea.objects.bulk_create(
            (
                Idea(
                    workspace=workspace, portal=portal, title=f"Idea {i}", status=idea_status, submitter=user,
                    feature_id=int(idea_feature[i]),
                )
                for i in range(n_ideas)
            ),
            batch_size=5000,
        )  # fmt: skip
    idea_ids = np.array(Idea.objects.filter(portal=portal).order_by("id").values_list("id", flat=True))
    lap("ideas")

    # Votes: Zipf over the ideas (exponent 1), scaled to n_votes, at most one per person per idea.
    weights = 1.0 / np.arange(1, n_ideas + 1)
    rng.shuffle(weights)
    counts = np.minimum(np.floor(weights / weights.sum() * n_votes).astype(np.int64), VOTERS)
    while (short := n_votes - int(counts.sum())) > 0:
        room = np.flatnonzero(counts < VOTERS)
        counts[rng.choice(room, min(short, len(room)), replace=False)] += 1
    importances = np.array([Importance.NICE_TO_HAVE, Importance.IMPORTANT, Importance.CRITICAL])
    when = now.isoformat() if connection.vendor == "sqlite" else now
    columns = ["workspace_id", "idea_id", "voter_id", "company_id", "importance", "created_at", "updated_at"]
    batch: list[tuple] = []
    with transaction.atomic():
        for idea_id, k in zip(idea_ids.tolist(), counts.tolist(), strict=True):
            if not k:
                continue
            offset = int(rng.integers(VOTERS))
            chosen = (offset + np.arange(k)) % VOTERS
            kinds = importances[rng.choice(3, k, p=[0.3, 0.5, 0.2])]
            batch.extend(
                (workspace.pk, idea_id, int(voter_ids[v]), int(voter_company[v]) or None, str(kind), when, when)
                for v, kind in zip(chosen.tolist(), kinds, strict=True)
            )
            if len(batch) >= 100_000:
                _copy_or_executemany("ideas_vote", columns, batch)
                batch.clear()
        _copy_or_executemany("ideas_vote", columns, batch)
        batch.clear()
    lap("votes")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ideas_idea SET vote_count = (SELECT COUNT(*) FROM ideas_vote v WHERE v.idea_id = ideas_idea.id) "
            "WHERE workspace_id = %s",
            [workspace.pk],
        )
        recompute_workspace_demand(workspace.pk)
    lap("idea counts and demand")

    # Feedback notes from companies; highlights (evidence): 80% on a feature, 20% on an idea.
    note_company = company_ids[rng.integers(0, COMPANIES, NOTES)]
    text = "The export is far too slow on big reports and we need it for the month-end close."
    with transaction.atomic():
        FeedbackNote.objects.bulk_create(
            (
                FeedbackNote(
                    workspace=workspace, source="manual", channel="Sales call", text=text,
                    company_id=int(note_company[n]), received_at=now - dt.timedelta(days=n % 180),
                )
                for n in range(NOTES)
            ),
            batch_size=5000,
        )  # fmt: skip
    note_ids = np.array(FeedbackNote.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True))
    on_feature = rng.random(n_highlights) < 0.8
    targets = feature_ids[rng.integers(0, n_features, n_highlights)]
    target_ideas = idea_ids[rng.integers(0, n_ideas, n_highlights)]
    kinds = importances[rng.choice(3, n_highlights, p=[0.3, 0.5, 0.2])]
    with transaction.atomic():
        Highlight.objects.bulk_create(
            (
                Highlight(
                    workspace=workspace, note_id=int(note_ids[h % NOTES]), start=4 * (h // NOTES),
                    end=4 * (h // NOTES) + 20, quote=text[4 * (h // NOTES): 4 * (h // NOTES) + 20],
                    feature_id=int(targets[h]) if on_feature[h] else None,
                    idea_id=None if on_feature[h] else int(target_ideas[h]), importance=str(kinds[h]), author=user,
                )
                for h in range(n_highlights)
            ),
            batch_size=5000,
        )  # fmt: skip
    lap("notes and highlights")

    objectives = Objective.objects.bulk_create(
        Objective(
            workspace=workspace, title=f"Objective {o}", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 12, 31),
            weight=int(rng.integers(1, 6)),
        )
        for o in range(OBJECTIVES)
    )  # fmt: skip
    served = np.flatnonzero(rng.random(n_features) < 0.3)
    FeatureObjective.objects.bulk_create(
        (
            FeatureObjective(
                workspace=workspace, feature_id=int(feature_ids[f]), objective=objectives[int(rng.integers(OBJECTIVES))]
            )
            for f in served
        ),
        batch_size=5000,
    )

    # The two models, through the service; their inputs in bulk (as typed: parsed by the engine).
    rice = scoring_model_create(actor=user, workspace=workspace, name=RICE, framework="rice", is_default=True)
    custom = scoring_model_create(
        actor=user,
        workspace=workspace,
        name=CUSTOM,
        framework="custom",
        config={"formula": FORMULA, "inputs": ["reach"]},
    )
    reach = np.round(rng.lognormal(np.log(800), 1.5, n_features)).astype(int)
    impact = rng.choice([3, 2, 1, 0.5, 0.25], n_features, p=[0.05, 0.2, 0.4, 0.25, 0.1])
    confidence = rng.choice([100, 80, 50], n_features, p=[0.3, 0.5, 0.2])
    rice_effort = np.round(rng.uniform(0.5, 12, n_features) * 2) / 2
    rice_spec, custom_spec = engine.spec_of(rice), engine.spec_of(custom)
    rice_inputs = [
        engine.parse_inputs(
            rice_spec,
            {"reach": int(reach[f]), "impact": float(impact[f]), "confidence": int(confidence[f]),
             "effort": float(rice_effort[f])},
            partial=False,
        )
        for f in range(n_features)
    ]  # fmt: skip
    custom_inputs = [engine.parse_inputs(custom_spec, {"reach": int(reach[f])}) for f in range(n_features)]
    rice_values = engine.score_many(rice_spec, rice_inputs, {})
    with transaction.atomic():
        FeatureScore.objects.bulk_create(
            (
                FeatureScore(
                    workspace=workspace, feature_id=int(feature_ids[f]), scoring_model=rice, inputs=rice_inputs[f],
                    value=float(rice_values[f]), updated_by=user,
                )
                for f in range(n_features)
            ),
            batch_size=5000,
        )  # fmt: skip
        FeatureScore.objects.bulk_create(
            (
                FeatureScore(
                    workspace=workspace, feature_id=int(feature_ids[f]), scoring_model=custom,
                    inputs=custom_inputs[f], value=None, updated_by=user,
                )
                for f in range(n_features)
            ),
            batch_size=5000,
        )  # fmt: skip
    lap("objectives and scores")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lap("analyze")

    from headway.ideas.models import Vote

    return {
        "seconds": round(time.monotonic() - started, 1),
        "steps": timings,
        "features": Feature.objects.filter(workspace=workspace).count(),
        "ideas": len(idea_ids),
        "features_with_ideas": len(set(idea_feature.tolist())),
        "votes": Vote.objects.filter(workspace_id=workspace.pk).count(),
        "max_votes": int(counts.max()),
        "median_votes": float(np.median(counts)),
        "highlights": Highlight.objects.filter(workspace=workspace).count(),
        "notes": len(note_ids),
        "companies": COMPANIES,
        "objective_links": len(served),
        "scores": FeatureScore.objects.filter(workspace=workspace).count(),
    }


def _timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any, list[float]]:
    """Wall times, the last result and this process's CPU times of ``runs`` calls."""
    times: list[float] = []
    cpu: list[float] = []
    result: Any = None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return times, result, cpu


def _stats(times: list[float], cpu: list[float] | None = None) -> dict:
    out = {
        "n": len(times),
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "min": min(times),
        "max": max(times),
    }
    if cpu:
        out["cpu_p50"] = statistics.median(cpu)
    return out


def rank(runs: int) -> dict:
    """ranked_features per model (first call apart, then ``runs`` calls), its steps one by one as the
    selector runs them (each its own p50), the baselines."""
    import numpy as np
    from django.db import connection

    from headway.accounts.models import User
    from headway.backlog.models import Feature
    from headway.prioritization import engine
    from headway.prioritization.models import FeatureScore, ScoringModel
    from headway.prioritization.selectors.ranking import _stored_inputs as stored_inputs
    from headway.prioritization.selectors.ranking import ranked_features
    from headway.prioritization.selectors.signals import feature_signals
    from headway.workspaces.models import Workspace

    user = User.objects.get(email=EMAIL)
    workspace = Workspace.objects.get(slug=SLUG)
    parts_runs = max(3, runs // 2)
    out: dict = {}

    def candidates() -> list[int]:
        qs = Feature.objects.filter(workspace=workspace, archived_at__isnull=True)
        return list(
            qs.exclude(status__category__in=["done", "closed"]).order_by("rank", "id").values_list("id", flat=True)
        )

    for key, name in (("rice", RICE), ("custom", CUSTOM)):
        model = ScoringModel.objects.get(workspace=workspace, name=name)
        spec = engine.spec_of(model)

        def call(model: ScoringModel = model) -> Any:
            return ranked_features(user=user, workspace=workspace, model=model, per_page=50)

        t = time.perf_counter()
        first = call()
        first_s = time.perf_counter() - t
        times, ranking, cpu = _timed(call, runs)
        items = ranking.items
        # Where the time goes: the selector's steps alone, in its order.
        parts: dict[str, dict] = {}
        ids_t, ids, ids_c = _timed(candidates, parts_runs)
        parts["candidate ids (one query)"] = _stats(ids_t, ids_c)
        if spec.signals:
            only = set(spec.signals)

            def signals_of(ids: list[int] = ids, only: set[str] = only) -> Any:
                return feature_signals(workspace_id=workspace.pk, feature_ids=ids, only=only)

            sig_t, table, sig_c = _timed(signals_of, parts_runs)
            parts[f"`feature_signals` of every candidate ({', '.join(sorted(only))})"] = _stats(sig_t, sig_c)

            def load_inputs(model: ScoringModel = model) -> dict:
                return stored_inputs(FeatureScore.objects.filter(scoring_model=model))

            in_t, by_feature, in_c = _timed(load_inputs, parts_runs)
            parts["stored inputs (one JSON decode)"] = _stats(in_t, in_c)
            inputs = [by_feature.get(fid) or {} for fid in ids]

            def score_all(inputs: list = inputs, columns: dict = table.columns, spec: Any = spec) -> Any:
                return engine.score_many(spec, inputs, columns)

            sc_t, scores, sc_c = _timed(score_all, parts_runs)
            parts["`engine.score_many`"] = _stats(sc_t, sc_c)
            scored = int(np.isfinite(scores).sum())
        else:

            def load_values(model: ScoringModel = model) -> list:
                return list(
                    FeatureScore.objects.filter(scoring_model=model).values_list("feature_id", "value", "label")
                )

            va_t, values, va_c = _timed(load_values, parts_runs)
            parts["stored scores (value, label)"] = _stats(va_t, va_c)
            scored = sum(1 for _, value, _ in values if value is not None)

        if spec.signals:

            def page_signals(
                page_ids: list[int] = [i.feature.pk for i in items],  # noqa: B006
                only: frozenset[str] = spec.signals,
            ) -> Any:
                return feature_signals(workspace_id=workspace.pk, feature_ids=page_ids, only=only)

            pg_t, _, pg_c = _timed(page_signals, parts_runs)
            parts["the page's 50 features: the signals it reads"] = _stats(pg_t, pg_c)
        out[key] = {
            "model": name,
            "first_seconds": first_s,
            "rank": _stats(times, cpu),
            "total": ranking.total,
            "unscored": ranking.unscored,
            "page": len(items),
            "top": [(i.feature.ref, None if i.score is None else round(i.score, 2)) for i in items[:3]],
            "first_page_matches": first.total == ranking.total,
            "parts": parts,
            "scored": scored,
            "reads_signals": bool(spec.signals),
        }

    # Baselines: the plain aggregate every "most voted" list runs, and sorting 50,000 floats.
    def raw_sum() -> list:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT feature_id, SUM(vote_count) FROM ideas_idea WHERE workspace_id = %s AND feature_id IS NOT NULL "
                "GROUP BY feature_id",
                [workspace.pk],
            )
            return cursor.fetchall()

    raw_times, raw_rows, raw_cpu = _timed(raw_sum, runs)
    values = np.random.default_rng(SEED).random(out["rice"]["total"] or 50_000)
    sort_times, _, sort_cpu = _timed(lambda: np.argsort(-values, kind="stable"), runs)
    out["baseline_sql"] = {**_stats(raw_times, raw_cpu), "rows": len(raw_rows)}
    out["baseline_argsort"] = {**_stats(sort_times, sort_cpu), "n": len(values)}
    out["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return out


# --- around the database ------------------------------------------------------------------------------


def child(command: str, env: dict[str, str], *extra: str) -> dict:
    """One step of this script in a fresh process (``bench.common.child``)."""
    return common_child(__file__, command, env, *extra, timeout=CHILD_TIMEOUT)


def planner_figures() -> dict:
    """bench/planner.py's default instance, run as it is; its printed lines kept."""
    t = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "planner.py")], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if result.returncode:
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return {"error": " | ".join(tail[-3:])[:400]}
    return {"lines": result.stdout.strip().splitlines(), "wall": time.monotonic() - t}


def run_database(kind: str, args: argparse.Namespace, run_module) -> dict:
    sizes = [str(args.features), str(args.ideas), str(args.votes), str(args.highlights)]
    with run_module.database(kind) as (env, label):
        out: dict = {"label": label}
        for name, command, extra in (("build", "build", sizes), ("rank", "rank", [str(args.runs)])):
            print(f"[{kind}] {name}…", flush=True)
            out[name] = child(command, env, *extra)
            print(f"[{kind}] {name}: {json.dumps(out[name])[:800]}", flush=True)
            if "error" in out[name]:
                break
        return out


# --- the report --------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def _err(step: dict) -> str | None:
    return f"not measured: {step['error']}" if "error" in step else None


def report(runs: dict[str, dict], args: argparse.Namespace, info: dict, planner: dict) -> str:
    misses: list[str] = []
    lines = ["| database | measure | result | baseline (same run) | ratio | target |", "|---|---|---|---|---:|---|"]
    builds = []
    for run in runs.values():
        label = run["label"]
        b, r = run.get("build", {"error": "not run"}), run.get("rank", {"error": "not run"})
        if _err(b):
            lines.append(f"| {label} | build | {_err(b)} | — | — | — |")
            misses.append(f"{label}: not built ({b['error'][:160]})")
            continue
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in b["steps"].items())
        builds.append(
            f"- {label}: {b['features']:,} features, {b['ideas']:,} ideas on {b['features_with_ideas']:,} features, "
            f"{b['votes']:,} votes (most on one idea {b['max_votes']:,}, median {b['median_votes']:.0f}), "
            f"{b['highlights']:,} highlights on {b['notes']:,} notes from {b['companies']:,} companies, "
            f"{b['objective_links']:,} objective links, {b['scores']:,} stored scores; built in {b['seconds']:.0f} s "
            f"({steps})."
        )
        if _err(r):
            lines.append(f"| {label} | `ranked_features` | {_err(r)} | — | — | — |")
            misses.append(f"{label}: ranking not measured ({r['error'][:160]})")
            continue
        sql, srt = r["baseline_sql"], r["baseline_argsort"]
        for key in ("rice", "custom"):
            m = r[key]
            rk = m["rank"]
            ok = rk["p50"] < TARGET_RANK_S
            what = (
                "RICE (its stored scores)" if key == "rice" else f"custom formula `{FORMULA}` (signals demand, effort)"
            )
            lines.append(
                f"| {label} | `ranked_features(per_page=50)` over {m['total']:,} features, {what} | "
                f"p50 {_ms(rk['p50'])} ({_ms(rk.get('cpu_p50', 0))} CPU in this process), p95 {_ms(rk['p95'])} "
                f"({rk['n']} calls; first call {_ms(m['first_seconds'])}); "
                f"{m['unscored']:,} unscored; top {', '.join(f'{ref} ({score})' for ref, score in m['top'])} | "
                f"SQL `SUM(vote_count) … GROUP BY feature_id` p50 {_ms(sql['p50'])} ({sql['rows']:,} rows); "
                f"numpy `argsort` of {srt['n']:,} floats p50 {_ms(srt['p50'])} | "
                f"{rk['p50'] / sql['p50']:.1f}× the SQL aggregate | "
                f"{'met' if ok else '**missed**'} (under {TARGET_RANK_S:.0f} s) |"
            )
            listed = "; ".join(
                f"{part} {_ms(v['p50'])}" + (f" ({_ms(v['cpu_p50'])} CPU)" if "cpu_p50" in v else "")
                for part, v in m["parts"].items()
            )
            summed = sum(v["p50"] for v in m["parts"].values())
            lines.append(
                f"| {label} | … its steps alone, each timed apart ({m['scored']:,} features scored) | {listed} | — | "
                f"{summed / rk['p50']:.0%} of the call's p50 | — |"
            )
            if not ok:
                misses.append(f"{label}: {m['model']} ranked in {rk['p50']:.2f} s (p50)")
    if "error" in planner:
        planner_text = f"Capacity planner (`bench/planner.py`): not measured: {planner['error']}"
    else:
        planner_text = "Capacity planner, `bench/planner.py` re-run in this run (no database):\n\n" + "\n".join(
            f"    {line}" for line in planner["lines"]
        )
    verdict = (
        "Target met." if not misses else "Target missed or not measured:\n\n" + "\n".join(f"- {m}" for m in misses)
    )
    return f"""## Issue 6 — prioritization: score and rank

{info["date"]} · commit {info["commit"]} · {info["cores"]} cores ({info["cpu"]}), {info["ram_gib"]} GiB RAM ·
load average at start {info["load"]} · Python {info["python"]}, Django {info["django"]}, numpy {info["numpy"]}.
`bench/prioritization.py --features {args.features} --ideas {args.ideas} --votes {args.votes}
--highlights {args.highlights} --runs {args.runs}`.

Data, in a fresh database per run (bulk-inserted; each step in its own process):

{chr(10).join(builds) or "- (not built)"}

Two models through the scoring service: RICE (the workspace default, every feature's four inputs
filled in) and a custom formula `{FORMULA}` whose demand (votes' demand + evidence) and effort
come from the built-in signals, computed from the database at every call. "Rank" is the selector
the ranking page and `GET /api/v1/features/ranked` call: every open feature's signals and inputs
loaded, scored, sorted with the pins kept, and the first page's 50 features read.

{chr(10).join(lines)}

Each "… its steps alone" row times the selector's steps one by one, in its order, outside the call
(each its own p50; "CPU" is this process's CPU time, so on PostgreSQL the server's work shows as the
difference between wall and CPU time): the candidates' ids in backlog order, then the stored scores
(a model that reads no signal) or the signals it reads, every stored input (one JSON decode)
and the vectorised scoring, and last the signals it reads for the page's 50 features.

{planner_text}

Target: score and rank 50,000 features with 1,000,000 votes and evidence under {TARGET_RANK_S:.0f} s.
{verdict}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "report", "build", "rank"])
    parser.add_argument("sizes", nargs="*", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--features", type=int, default=50_000)
    parser.add_argument("--ideas", type=int, default=20_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--highlights", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="5,000 features, 100,000 votes; SQLite only")
    parser.add_argument("--no-write", action="store_true", help="print the results; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    commands: dict[str, Callable[..., dict]] = {"build": build, "rank": rank}
    if args.command in commands:
        _django()
        try:
            print(json.dumps(commands[args.command](*args.sizes)))
        except Exception:
            traceback.print_exc()
            return 1
        return 0
    saved = ROOT / "var" / "bench-prioritization.json"  # the raw figures: `… report` rewrites the text
    if args.command == "report":
        data = json.loads(saved.read_text())
        text = report(data["runs"], argparse.Namespace(**data["args"]), data["info"], data["planner"])
        print(text)
        if not args.no_write:
            write_doc(SECTION, text)
        return 0
    if args.quick:
        args.features, args.ideas, args.votes, args.highlights, args.runs = 5_000, 2_000, 100_000, 5_000, 3
        args.databases = "sqlite"
    run_module = load_module("headway_bench_run", ROOT / "bench" / "run.py")
    insights = load_module("headway_bench_insights", ROOT / "bench" / "insights.py")
    info = insights.machine()
    saved.parent.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict] = {}
    for kind in args.databases.split(","):
        try:
            runs[kind] = run_database(kind, args, run_module)
        except SystemExit as exc:
            if kind != "postgres":
                raise
            print(f"[postgres] skipped: {str(exc)[:300]}", flush=True)
    print("[planner]…", flush=True)
    planner = planner_figures()
    if not args.quick:
        saved.write_text(json.dumps({"runs": runs, "info": info, "args": vars(args), "planner": planner}, indent=1))
    text = report(runs, args, info, planner)
    print("\n" + text)
    if not (args.no_write or args.quick):
        write_doc(SECTION, text)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

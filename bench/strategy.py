"""Strategy and backlog benchmark (issue 3): ``make bench`` (or ``.venv/bin/python bench/strategy.py``).

For each database (SQLite, then PostgreSQL) it builds, in a fresh database, one workspace with
21 products and 50,000 features: product BIG holds 5,000, product SMALL 10, the others the rest;
500 objectives over four quarters in a cascade (20 company → 80 product line → 400 PM goals);
40 initiatives; each open feature serves 0–3 objectives. People, the workspace, products and the
workflow go through the services; features, objectives and links are bulk-inserted (no audit
events: fine for measuring reads, and minutes faster). Then, in one process, through Django's test
client (the whole request/response cycle of the server, without the network):

* **ranked backlog page** ``GET /w/bench/backlog/?product=<BIG>``: p50/p99 over ``--requests``
  requests after a warm-up, and SQL queries per request, also for SMALL (must be equal);
  baseline: ``GET /api/v1/ping`` in the same run;
* **move**: ``backlog.services.feature_move`` of a random BIG feature before another, ``--moves``
  times: statements per move, and how many write ``backlog_feature`` (target: one UPDATE);
* **alignment report** over all 50,000 features and 500 objectives (the year, so every objective
  is in scope): the selector (load + compute) and the API endpoint, p50 and max over ``--runs``;
  baselines in the same run: one raw SQL aggregate over the same rows (effort by category and
  product, a GROUP BY with the status join) and a numpy pass (effort summed per objective over the
  feature–objective pairs, i.e. the arithmetic without Python objects).

Targets (issue 3): backlog page under 150 ms server time (p99) with a constant number of queries;
a move is one UPDATE; the alignment report under 1 s (p50, selector). The results replace this
benchmark's section of docs/benchmarks.md.

    bench/strategy.py [--databases sqlite,postgres] [--features 50000] [--requests 60] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `bench.common` imports when run as `python bench/x.py`
from bench.common import DOC, load_module, percentile, write_doc  # noqa: E402

SECTION = "strategy"
EMAIL, PASSWORD, SLUG = "bench@example.com", "bench-password-1234", "bench"
BIG_FEATURES, SMALL_FEATURES, PRODUCTS, OBJECTIVES, INITIATIVES = 5000, 10, 21, 500, 40
TARGET_PAGE_MS, TARGET_REPORT_S = 150.0, 1.0


def _bench_run():
    """bench/run.py: its database, machine and report helpers are shared by both benchmarks."""
    return load_module("headway_bench_run", ROOT / "bench" / "run.py")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


# --- inside a database: build, measure (child processes) ----------------------------------------


def build(features: int) -> dict:
    import datetime as dt
    import random
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)

    from headway.accounts.services import user_create
    from headway.backlog import ranking
    from headway.backlog import services as backlog
    from headway.backlog.models import Feature, FeatureObjective
    from headway.portfolio import services as portfolio
    from headway.strategy.models import Initiative, InitiativeObjective, Objective
    from headway.workspaces.services import workspace_create

    rng = random.Random(20261122)
    started = time.monotonic()
    with transaction.atomic():
        user = user_create(email=EMAIL, password=PASSWORD, full_name="Bench Mark")
        workspace = workspace_create(actor=user, name="Benchmark Inc", slug=SLUG)
        lines = [portfolio.product_line_create(actor=user, workspace=workspace, name=f"Line {i}") for i in range(4)]
        keys = ["BIG", "SMALL"] + [f"P{i:02d}" for i in range(PRODUCTS - 2)]
        products = [
            portfolio.product_create(
                actor=user, workspace=workspace, product_line=lines[i % 4], name=f"Product {key}", key=key, owner=user
            )
            for i, key in enumerate(keys)
        ]
        statuses = backlog.workflow_ensure_defaults(actor=user, workspace=workspace)

    # 500 objectives: four quarters of 5 company objectives → 4 line objectives each → 5 PM goals each.
    year = dt.date.today().year
    quarters = [(dt.date(year, m, 1), dt.date(year + (m == 10), (m + 3) % 12 or 12, 1) - dt.timedelta(days=1))
                for m in (1, 4, 7, 10)]  # fmt: skip
    objectives: list[Objective] = []

    def add(title: str, parent: Objective | None, span: tuple, position: int) -> Objective:
        objective = Objective(
            workspace=workspace, parent=parent, title=title, owner=user, starts_on=span[0], ends_on=span[1],
            position=position,
        )  # fmt: skip
        objective.save()
        objectives.append(objective)
        return objective

    with transaction.atomic():
        for q, span in enumerate(quarters):
            for c in range(5):
                company = add(f"Q{q + 1} company objective {c}", None, span, c)
                for li in range(4):
                    line = add(f"Q{q + 1} line objective {c}.{li}", company, span, li)
                    for g in range(5):
                        add(f"Q{q + 1} PM goal {c}.{li}.{g}", line, span, g)
        initiatives = Initiative.objects.bulk_create(
            Initiative(workspace=workspace, title=f"Initiative {i:02d}", owner=user, status="active")
            for i in range(INITIATIVES)
        )
        InitiativeObjective.objects.bulk_create(
            InitiativeObjective(workspace=workspace, initiative=i, objective=rng.choice(objectives))
            for i in initiatives
        )

    counts = {products[0].pk: BIG_FEATURES, products[1].pk: SMALL_FEATURES}
    rest = features - BIG_FEATURES - SMALL_FEATURES
    for i, product in enumerate(products[2:]):
        counts[product.pk] = rest // (PRODUCTS - 2) + (1 if i < rest % (PRODUCTS - 2) else 0)
    weights = [30, 10, 10, 10, 10, 15, 15]  # new, discovery, ready, in progress, released, parked, won't do
    efforts = [None, 1, 2, 3, 5, 8, 13]
    for product in products:
        rows = [
            Feature(
                workspace=workspace, product=product, number=n + 1, title=f"{product.key} feature {n + 1}",
                status=rng.choices(statuses, weights=weights)[0], effort=(
                    None if (e := rng.choice(efforts)) is None else Decimal(e)
                ), owner=user if rng.random() < 0.8 else None,
                initiative=rng.choice(initiatives) if rng.random() < 0.4 else None, rank=rank,
            )
            for n, rank in enumerate(ranking.spread(counts[product.pk]))
        ]  # fmt: skip
        created = Feature.objects.bulk_create(rows, batch_size=2000)
        links = [
            FeatureObjective(workspace=workspace, feature=f, objective=o)
            for f in created
            for o in rng.sample(objectives, rng.choice([0, 1, 1, 2, 3]))
        ]
        FeatureObjective.objects.bulk_create(links, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "seconds": round(time.monotonic() - started, 1),
        "features": Feature.objects.count(),
        "links": FeatureObjective.objects.count(),
        "objectives": Objective.objects.count(),
        "big": products[0].pk,
        "small": products[1].pk,
    }


def measure(big: int, small: int, requests: int, moves: int, runs: int) -> dict:
    import random

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from headway.accounts.models import User
    from headway.backlog import services as backlog
    from headway.backlog.models import Feature
    from headway.reports.alignment import year
    from headway.reports.selectors import alignment_report
    from headway.workspaces.models import Workspace

    user = User.objects.get(email=EMAIL)
    workspace = Workspace.objects.get(slug=SLUG)
    web = Client()
    web.force_login(user)

    def timed(url: str, n: int, expect: bytes) -> dict:
        response = web.get(url)  # warm-up: caches, connection, template loading
        assert response.status_code == 200 and expect in response.content, (url, response.status_code)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            response = web.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            web.get(url)
        return {"p50": statistics.median(times), "p99": percentile(times, 0.99), "queries": len(ctx)}

    page = f"/w/{SLUG}/backlog/?product="
    results = {
        "ping": timed("/api/v1/ping", requests, b'"ok"'),
        "backlog_big": timed(page + str(big), requests, b"BIG feature 1<"),
        "backlog_small": timed(page + str(small), requests, b"SMALL feature 1<"),
    }

    rng = random.Random(7)
    ids = list(Feature.objects.filter(product_id=big).values_list("pk", flat=True))
    per_move, writes, times = [], [], []
    for _ in range(moves):
        feature, anchor = (Feature.objects.get(pk=pk) for pk in rng.sample(ids, 2))
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            backlog.feature_move(actor=user, feature=feature, before=anchor)
            times.append((time.perf_counter() - t) * 1000)
        statements = [q["sql"].lstrip().upper() for q in ctx.captured_queries]
        per_move.append(len(statements))
        writes.append(
            sum(1 for s in statements if s.startswith(("UPDATE", "INSERT", "DELETE")) and '"BACKLOG_FEATURE"' in s[:40])
        )
    results["move"] = {
        "p50": statistics.median(times),
        "queries": statistics.median(per_move),
        "queries_max": max(per_move),
        "feature_writes": sorted(set(writes)),
        "moves": moves,
    }

    from headway.strategy.models import Objective

    period = year(Objective.objects.order_by("starts_on").values_list("starts_on", flat=True)[0].year)
    report_times, sizes = [], {}
    for _ in range(runs):
        t = time.perf_counter()
        report = alignment_report(actor=user, workspace=workspace, period=period)
        report_times.append(time.perf_counter() - t)
        sizes = {"features": report.total.features, "objectives": report.objectives_in_period}
    with CaptureQueriesContext(connection) as ctx:
        alignment_report(actor=user, workspace=workspace, period=period)
    report_queries = len(ctx)  # now: the next test-client request empties the query log
    api = Client(HTTP_X_HEADWAY_WORKSPACE=SLUG)
    api.force_login(user)
    api_times = []
    url = f"/api/v1/reports/alignment?period={period.value}"
    for _ in range(runs):
        t = time.perf_counter()
        response = api.get(url)
        api_times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.content[:300]
    results["alignment"] = {
        "p50": statistics.median(report_times),
        "max": max(report_times),
        "api_p50": statistics.median(api_times),
        "queries": report_queries,
        **sizes,
        "compute": _compute_only(user, workspace, period, runs),
        "sql_baseline": _sql_baseline(workspace.pk, runs),
        "numpy_baseline": _numpy_baseline(workspace.pk, runs),
    }
    return results


def _compute_only(user, workspace, period, runs: int) -> float:
    """The selector's pure part alone, on rows already loaded (where the time goes)."""
    from unittest import mock

    from headway.reports import alignment, selectors

    captured = {}
    real = alignment.compute

    def keep(**kwargs):
        captured.update(kwargs)
        return real(**kwargs)

    with mock.patch.object(selectors, "compute", keep):
        selectors.alignment_report(actor=user, workspace=workspace, period=period)
    times = []
    for _ in range(runs):
        with selectors._collector_paused():  # as the selector runs it
            t = time.perf_counter()
            real(**captured)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def _sql_baseline(workspace_id: int, runs: int) -> float:
    """One aggregate query over the same rows: effort by category and product (the database's share)."""
    from django.db import connection

    sql = (
        "SELECT s.category, f.product_id, COUNT(*), SUM(f.effort) FROM backlog_feature f "
        "JOIN backlog_workflowstatus s ON s.id = f.status_id WHERE f.workspace_id = %s AND f.archived_at IS NULL "
        "AND s.category IN ('not_started', 'active') GROUP BY s.category, f.product_id"
    )
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            t = time.perf_counter()
            cursor.execute(sql, [workspace_id])
            cursor.fetchall()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def _numpy_baseline(workspace_id: int, runs: int) -> float:
    """The arithmetic alone: effort split over feature–objective pairs and summed per objective."""
    import numpy as np
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.feature_id, l.objective_id, COALESCE(f.effort, 0) FROM backlog_featureobjective l "
            "JOIN backlog_feature f ON f.id = l.feature_id WHERE l.workspace_id = %s",
            [workspace_id],
        )
        rows = np.array(cursor.fetchall(), dtype=float)
    features, objectives, efforts = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        _, inverse, per_feature = np.unique(features, return_inverse=True, return_counts=True)
        np.bincount(objectives, weights=efforts / per_feature[inverse])
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# --- around: per database, report ----------------------------------------------------------------


class _NoWrk:
    """subprocess for bench/run.py's machine(): answers "wrk --version" with nothing when wrk is absent."""

    def run(self, command, **kwargs):
        if command[:1] == ["wrk"]:
            return subprocess.CompletedProcess(command, 0, stdout="", stderr="")
        return subprocess.run(command, **kwargs)


def child(command: str, env: dict[str, str], *extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, command, *extra], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"bench strategy {command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_database(kind: str, args: argparse.Namespace, run_module) -> dict:
    with run_module.database(kind) as (env, label):
        print(f"[{kind}] building {args.features:,} features, {OBJECTIVES} objectives…", flush=True)
        built = child("build", env, str(args.features))
        print(f"[{kind}] built in {built['seconds']} s; measuring…", flush=True)
        measured = child(
            "measure", env, str(built["big"]), str(built["small"]), str(args.requests), str(args.moves), str(args.runs)
        )
        return {"label": label, "built": built, **measured}


def report(runs: dict[str, dict], args: argparse.Namespace, info: dict) -> str:
    lines = [
        "| database | measure | p50 | p99 / max | queries | × baseline | target |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    misses = []
    for run in runs.values():
        label, ping, big, small = run["label"], run["ping"], run["backlog_big"], run["backlog_small"]
        constant = big["queries"] == small["queries"]
        ok = big["p99"] < TARGET_PAGE_MS and constant
        if not ok:
            misses.append(f"{label}: backlog page p99 {big['p99']:.1f} ms, queries {big['queries']}/{small['queries']}")
        lines += [
            f"| {label} | `GET /api/v1/ping` (baseline) | {ping['p50']:.1f} ms | {ping['p99']:.1f} ms | "
            f"{ping['queries']} | 1× | baseline |",
            f"| {label} | backlog page, {BIG_FEATURES:,} features (`?product=BIG`) | {big['p50']:.1f} ms | "
            f"{big['p99']:.1f} ms | {big['queries']} (SMALL, {SMALL_FEATURES} features: {small['queries']}) | "
            f"{big['p50'] / ping['p50']:.0f}× | {'met' if ok else '**missed**'} (p99 < {TARGET_PAGE_MS:.0f} ms, "
            "constant queries) |",
        ]
        move = run["move"]
        one_update = move["feature_writes"] == [1]
        if not one_update:
            misses.append(f"{label}: a move wrote backlog_feature {move['feature_writes']} times")
        lines.append(
            f"| {label} | move (`feature_move`, {move['moves']} random moves in BIG) | {move['p50']:.1f} ms | — | "
            f"{move['queries']:.0f} (max {move['queries_max']}); writes to `backlog_feature`: "
            f"{', '.join(map(str, move['feature_writes']))} | — | "
            f"{'met' if one_update else '**missed**'} (one UPDATE) |"
        )
        a = run["alignment"]
        ok = a["p50"] < TARGET_REPORT_S
        if not ok:
            misses.append(f"{label}: alignment report p50 {a['p50']:.2f} s")
        lines += [
            f"| {label} | alignment baseline: SQL `GROUP BY` over the same features | "
            f"{a['sql_baseline'] * 1000:.0f} ms | — | 1 | 1× | baseline |",
            f"| {label} | alignment baseline: numpy split-and-sum over the feature–objective pairs | "
            f"{a['numpy_baseline'] * 1000:.0f} ms | — | — | "
            f"{a['numpy_baseline'] / a['sql_baseline']:.1f}× | baseline |",
            f"| {label} | alignment report (selector: load + compute), {a['features']:,} features in scope, "
            f"{a['objectives']} objectives | {a['p50'] * 1000:.0f} ms | {a['max'] * 1000:.0f} ms | {a['queries']} | "
            f"{a['p50'] / a['sql_baseline']:.1f}× | {'met' if ok else '**missed**'} (< {TARGET_REPORT_S:.0f} s) |",
            f"| {label} | … of which `compute` on loaded rows | {a['compute'] * 1000:.0f} ms | — | 0 | "
            f"{a['compute'] / a['sql_baseline']:.1f}× | — |",
            f"| {label} | `GET /api/v1/reports/alignment` (JSON, 200 not-aligned features) | "
            f"{a['api_p50'] * 1000:.0f} ms | — | — | {a['api_p50'] / a['sql_baseline']:.1f}× | — |",
        ]
    builds = ", ".join(
        f"{r['label']} {r['built']['seconds']} s ({r['built']['features']:,} features, "
        f"{r['built']['links']:,} objective links)"
        for r in runs.values()
    )
    verdict = "All targets met." if not misses else "Targets missed:\n\n" + "\n".join(f"- {m}" for m in misses)
    return f"""## Strategy and backlog at scale (issue 3)

{info["date"]} · {info["cores"]} cores ({info["cpu"]}), {info["ram_gib"]} GiB RAM · load average at start
{info["load"]} · Python {info["python"]}, Django {info["django"]}.

Data: one workspace, {PRODUCTS} products (BIG with {BIG_FEATURES:,} features, SMALL with {SMALL_FEATURES}),
{args.features:,} features in all, {OBJECTIVES} objectives in a four-quarter cascade, {INITIATIVES} initiatives;
bulk-inserted (build: {builds}). Server time is measured through Django's test client in one process (the
whole request/response cycle without the network): {args.requests} requests after a warm-up for pages,
{args.runs} runs for the report. The alignment report covers the whole year, so all {OBJECTIVES} objectives and
every planned or in-progress feature are in scope.

{chr(10).join(lines)}

Targets: the ranked backlog page under {TARGET_PAGE_MS:.0f} ms server time (p99) with the same number of
queries for {BIG_FEATURES:,} and {SMALL_FEATURES} features; a move writes one row (one UPDATE of
`backlog_feature`; the other statements lock the neighbours and write the audit event); the alignment
report under {TARGET_REPORT_S:.0f} s. {verdict}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "build", "measure"])
    parser.add_argument("sizes", nargs="*", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--features", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=60, help="requests per page (p50/p99)")
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5, help="runs of the alignment report")
    parser.add_argument("--no-write", action="store_true", help="print the results; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.command == "build":
        _django()
        print(json.dumps(build(*args.sizes)))
        return 0
    if args.command == "measure":
        _django()
        print(json.dumps(measure(*args.sizes)))
        return 0
    if args.features < BIG_FEATURES + SMALL_FEATURES + PRODUCTS:
        parser.error(f"--features must be at least {BIG_FEATURES + SMALL_FEATURES + PRODUCTS}")
    run_module = _bench_run()
    try:
        info = run_module.machine()
    except FileNotFoundError:  # machine() also asks wrk for its version; this benchmark does not need wrk
        run_module.subprocess = _NoWrk()
        info = run_module.machine()
    runs = {kind: run_database(kind, args, run_module) for kind in args.databases.split(",")}
    text = report(runs, args, info)
    print("\n" + text)
    if not args.no_write:
        write_doc(SECTION, text)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

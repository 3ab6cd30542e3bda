"""Customers list benchmark: ``make bench`` (or ``.venv/bin/python bench/run.py``).

For each database (SQLite, then PostgreSQL) it builds one workspace with 10,000 products in
100 product lines and 100,000 companies (a quarter of them with a contact), starts granian
(WSGI, 2 workers) on a free loopback port, and drives it with wrk (32 connections, 2 threads,
3 interleaved rounds of 4 s per endpoint, medians reported) against:

* ``GET /api/v1/ping`` — the trivial JSON endpoint: the baseline, measured in the same run;
* ``GET /api/v1/companies?page_size=50`` with a Bearer token;
* ``GET /w/<slug>/customers/`` — the HTML page, with a signed-in session cookie.

It reports requests/s, p50 and p99 latency, the ratio to the baseline, and the SQL queries per
request (counted through Django's test client with CaptureQueriesContext at page sizes 10 and
200, which must be equal), then replaces this benchmark's section of docs/benchmarks.md.

Targets (issue 2): list endpoints ≥ 40% of the trivial endpoint's throughput, p99 < 100 ms.

    bench/run.py [--databases sqlite,postgres] [--duration 10] [--products 10000] [--companies 100000]
                 [--no-write]   (print only; leave docs/benchmarks.md alone)

PostgreSQL: a fresh database on 127.0.0.1:5432 (user postgres), dropped afterwards; when no
server answers there, a throwaway cluster (see scripts/pg.py). wrk is installed from Debian
when missing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `bench.common` imports when run as `python bench/x.py`
from bench.common import DOC, write_doc  # noqa: E402

SECTION = "customers-list"
NEW_DOC = "# Benchmarks\n\nResults of `make bench` (bench/run.py); each run replaces its own section.\n"
SECRET_KEY = "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
EMAIL, PASSWORD, SLUG = "bench@example.com", "bench-password-1234", "bench"
TARGET_RATIO, TARGET_P99_MS = 0.40, 100.0


def _load_pg():
    spec = importlib.util.spec_from_file_location("headway_scripts_pg", ROOT / "scripts" / "pg.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- inside a database: build the data, count queries (run as child processes) -----------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def build(products: int, companies: int) -> dict:
    """Migrate and fill the database. People, the workspace and product lines go through the
    services; the 10,000 products and 100,000 companies are bulk-inserted, which skips the
    per-row audit events: fine for measuring reads, and minutes faster."""
    import random
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)

    from headway.accounts.services import api_token_create, user_create
    from headway.customers.models import Company, Contact, Health, Segment, Tier
    from headway.portfolio import services as portfolio
    from headway.portfolio.models import Product, Stage
    from headway.workspaces.services import workspace_create

    rng = random.Random(20261121)
    started = time.monotonic()
    with transaction.atomic():
        user = user_create(email=EMAIL, password=PASSWORD, full_name="Bench Mark")
        workspace = workspace_create(actor=user, name="Benchmark Inc", slug=SLUG)
        _, token = api_token_create(actor=user, workspace=workspace, name="bench")
        lines = [
            portfolio.product_line_create(actor=user, workspace=workspace, name=f"Line {i:03d}")
            for i in range(max(1, products // 100))
        ]
    stages = list(Stage.values)
    rows = [
        Product(
            workspace=workspace,
            product_line=lines[i % len(lines)],
            name=f"Product {i:05d}",
            key=f"P{i:05d}",
            description="A product of the benchmark portfolio.",
            owner=user,
            stage=stages[i % len(stages)],
            position=i // len(lines),
        )
        for i in range(products)
    ]
    Product.objects.bulk_create(rows, batch_size=2000)

    words = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne"]
    kinds = ["Labs", "Systems", "Retail", "Health", "Logistics", "Energy", "Media", "Foods", "Capital", "Works"]
    segments, tiers, healths = list(Segment.values), list(Tier.values), list(Health.values)
    currencies = ["USD", "EUR", "GBP", "CHF", "JPY"]
    for start in range(0, companies, 5000):
        batch = []
        for i in range(start, min(companies, start + 5000)):
            name = f"{rng.choice(words)} {rng.choice(kinds)} {i:06d}"
            batch.append(
                Company(
                    workspace=workspace,
                    name=name,
                    domain=f"c{i:06d}.example.com",
                    segment=rng.choice(segments),
                    tier=rng.choice(tiers),
                    arr=Decimal(rng.randrange(0, 5_000_000_00)) / 100,
                    currency=rng.choice(currencies),
                    health=rng.choice(healths),
                )
            )
        created = Company.objects.bulk_create(batch, batch_size=2500)
        contacts = [
            Contact(
                workspace=workspace, company=c, name=f"Contact of {c.name}", email=f"buyer@{c.domain}", role="Buyer"
            )
            for c in created[::4]
        ]
        Contact.objects.bulk_create(contacts, batch_size=2500)
    # A live database has planner statistics (autovacuum, `PRAGMA optimize`); a bulk load has
    # none yet, and without them PostgreSQL sorts all 100,000 rows instead of using the index.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"token": token, "seconds": round(time.monotonic() - started, 1)}


def count_queries() -> dict:
    """SQL queries per request, after one warm-up request (which fills the cached counts)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from headway.accounts.models import User
    from headway.accounts.services import api_token_create
    from headway.workspaces.models import Workspace

    user = User.objects.get(email=EMAIL)
    _, token = api_token_create(actor=user, workspace=Workspace.objects.get(slug=SLUG), name="queries")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    web = Client()
    web.force_login(user)

    def measure(client: Client, url: str) -> int:
        assert client.get(url).status_code == 200, url  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(ctx)

    page = f"/w/{SLUG}/customers/"
    return {
        "api": {size: measure(api, f"/api/v1/companies?page_size={size}") for size in (10, 200)},
        "api_page_1000": measure(api, "/api/v1/companies?page_size=50&page=1000"),
        "html": {n: measure(web, f"{page}?page={n}") for n in (1, 2000)},
    }


# --- around the database: server, wrk, report --------------------------------------------------


def machine() -> dict:
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    versions = subprocess.run(
        [sys.executable, "-c", "import django, granian, sqlite3; print(django.get_version(), granian.__version__, "
         "sqlite3.sqlite_version)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout or ""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024),
        "cpu": cpu[1].strip() if cpu else platform.processor(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "django": versions[0],
        "granian": versions[1],
        "sqlite": versions[2],
        "wrk": wrk.split()[1] if wrk.startswith("wrk") else "?",
    }


def ensure_wrk() -> None:
    if not shutil.which("wrk"):
        _load_pg().apt_install(["wrk"])


def child(command: str, env: dict[str, str], *extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, command, *extra], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"bench {command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def database(kind: str) -> Iterator[tuple[dict[str, str], str]]:
    """An environment pointing Headway at a fresh, empty database; removed afterwards."""
    base = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "HEADWAY_SECRET_KEY": SECRET_KEY,
        "HEADWAY_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "HEADWAY_LOG_LEVEL": "ERROR",
    }
    with tempfile.TemporaryDirectory(prefix="headway-bench-") as tmp:
        base["HEADWAY_VAR_DIR"] = tmp
        if kind == "sqlite":
            import sqlite3

            yield base, f"SQLite {sqlite3.sqlite_version} (file, WAL)"
            return
        pg = _load_pg()
        server = pg.server("127.0.0.1", 5432, "postgres")
        host, port, user = server["PG_HOST"], int(server["PG_PORT"]), server["PG_USER"]
        name = f"headway_bench_{os.getpid()}"
        args = argparse.Namespace(host=host, port=port, user=user, name=name)
        pg.create(args)
        try:
            import psycopg

            with psycopg.connect(host=host, port=port, user=user, dbname=name) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            yield {**base, "DATABASE_URL": f"postgres://{user}@{host}:{port}/{name}"}, f"PostgreSQL {version}"
        finally:
            pg.drop(args)
            if server["PG_CLUSTER"]:
                pg.cluster_stop(server["PG_CLUSTER"])


@contextlib.contextmanager
def granian(env: dict[str, str], workers: int) -> Iterator[str]:
    pg = _load_pg()
    port = pg.free_port()
    url = f"http://127.0.0.1:{port}"
    # The same server `headway serve` runs, minus its migrate step.
    from headway.cli import granian_argv

    command = granian_argv(host="127.0.0.1", port=port, workers=workers, threads=2)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/api/v1/ping", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        output = log.read().decode(errors="replace")[-3000:]
                        raise SystemExit(f"granian did not start:\n{output}") from None
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def session_cookie(url: str) -> str:
    """Sign in through the real login form; returns the Cookie header value."""
    import requests

    with requests.Session() as browser:
        browser.get(f"{url}/accounts/login/", timeout=30).raise_for_status()
        response = browser.post(
            f"{url}/accounts/login/",
            data={"email": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302 or "sessionid" not in browser.cookies:
            raise SystemExit(f"could not sign in for the benchmark: HTTP {response.status_code}")
        return f"sessionid={browser.cookies['sessionid']}"


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _wrk_command(header: str | None, *, duration: int, connections: int, threads: int) -> list[str]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    return [*cmd, "-H", header] if header else cmd


def warm_up(url: str, header: str | None, *, connections: int, threads: int) -> None:
    """2 s of load first: every server thread opens its database connection and fills its caches."""
    command = _wrk_command(header, duration=2, connections=connections, threads=threads)
    subprocess.run([*command, url], capture_output=True, check=True)


def combine(runs: list[dict]) -> dict:
    """Medians over the rounds; errors add up."""
    import statistics

    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
    }


def wrk(url: str, header: str | None, *, duration: int, connections: int, threads: int) -> dict:
    command = _wrk_command(header, duration=duration, connections=connections, threads=threads)
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out)[1]),  # type: ignore[index]
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out)[1]),  # type: ignore[index]
        "requests": int(re.search(r"(\d+) requests in", out)[1]),  # type: ignore[index]
        "non_2xx": int(bad[1]) if bad else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
    }


def check_endpoint(url: str, header: str | None, expect: str) -> None:
    """One request before the load: it must succeed and show the benchmark's data (``expect`` regex)."""
    request = urllib.request.Request(url, headers=dict([header.split(": ", 1)]) if header else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read().decode()
    if not re.search(expect, body):
        raise SystemExit(f"{url} answered without {expect!r}: {body[:300]}")


def run_database(kind: str, args: argparse.Namespace) -> dict:
    with database(kind) as (env, label):
        print(f"[{kind}] building {args.products:,} products and {args.companies:,} companies…", flush=True)
        built = child("build", env, str(args.products), str(args.companies))
        print(f"[{kind}] built in {built['seconds']} s; counting queries…", flush=True)
        queries = child("queries", env)
        per_round = max(2, round(args.duration / args.rounds))
        with granian(env, args.workers) as url:
            auth = f"Authorization: Bearer {built['token']}"
            cookie = f"Cookie: {session_cookie(url)}"
            endpoints = [
                ("GET /api/v1/ping (baseline)", "/api/v1/ping", None, r'"ok":\s*true'),
                ("GET /api/v1/companies?page_size=50", "/api/v1/companies?page_size=50", auth,
                 rf'"count":\s*{args.companies}\b'),
                ("GET /w/<slug>/customers/ (HTML)", f"/w/{SLUG}/customers/", cookie, r"Companies"),
            ]  # fmt: skip
            for _name, path, header, expect in endpoints:
                check_endpoint(url + path, header, expect)
                warm_up(url + path, header, connections=args.connections, threads=args.threads)
            # Interleaved rounds: the machine may be shared, so every endpoint sees the same conditions.
            rounds: dict[str, list[dict]] = {name: [] for name, *_ in endpoints}
            for r in range(args.rounds):
                for name, path, header, _ in endpoints:
                    print(f"[{kind}] round {r + 1}/{args.rounds}: wrk {name}…", flush=True)
                    rounds[name].append(
                        wrk(url + path, header, duration=per_round, connections=args.connections, threads=args.threads)
                    )
            results = {name: combine(runs) for name, runs in rounds.items()}
        return {"label": label, "build_seconds": built["seconds"], "queries": queries, "results": results}


def table(runs: dict[str, dict], args: argparse.Namespace) -> tuple[str, list[str]]:
    lines = [
        "| database | endpoint | req/s | × trivial | p50 ms | p99 ms | queries/request | targets |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    misses = []
    for run in runs.values():
        base = next(iter(run["results"].values()))["rps"]
        q = run["queries"]
        query_text = {
            0: "—",
            1: f"{q['api']['10']} (size 10) / {q['api']['200']} (size 200)",
            2: f"{q['html']['1']} (page 1) / {q['html']['2000']} (page 2000)",
        }
        for i, (name, r) in enumerate(run["results"].items()):
            ratio = r["rps"] / base
            ok = "baseline"
            if i:
                met = ratio >= TARGET_RATIO and r["p99"] < TARGET_P99_MS
                ok = "met" if met else f"**missed** (≥{TARGET_RATIO:.0%}, p99 < {TARGET_P99_MS:.0f} ms)"
                if not met:
                    misses.append(f"{run['label']}: {name}: {ratio:.0%} of trivial, p99 {r['p99']:.1f} ms")
            if r["non_2xx"] or r["socket_errors"]:
                ok += f" ({r['non_2xx']} non-2xx, {r['socket_errors']} socket errors)"
                misses.append(f"{run['label']}: {name}: {r['non_2xx']} non-2xx, {r['socket_errors']} socket errors")
            lines.append(
                f"| {run['label']} | `{name}` | {r['rps']:,.0f} | {ratio:.0%} | {r['p50']:.1f} | {r['p99']:.1f} | "
                f"{query_text[i]} | {ok} |"
            )
        if q["api"]["10"] != q["api"]["200"]:
            misses.append(f"{run['label']}: API queries depend on page size: {q['api']}")
        if q["html"]["1"] != q["html"]["2000"]:
            misses.append(f"{run['label']}: customers page queries depend on the page: {q['html']}")
    return "\n".join(lines), misses


def report(runs: dict[str, dict], args: argparse.Namespace, info: dict) -> str:
    rows, misses = table(runs, args)
    builds = ", ".join(f"{r['label']} {r['build_seconds']} s" for r in runs.values())
    verdict = "All targets met." if not misses else "Targets missed:\n\n" + "\n".join(f"- {m}" for m in misses)
    return f"""## Customers list at scale (issue 2)

{info["date"]} · {info["cores"]} cores ({info["cpu"]}), {info["ram_gib"]} GiB RAM · load average at start
{info["load"]} · Python {info["python"]}, Django {info["django"]}, granian {info["granian"]}
(`--interface wsgi --workers {args.workers}`), wrk {info["wrk"]} on the same machine
(`-t{args.threads} -c{args.connections}`, {args.rounds} interleaved rounds of
{max(2, round(args.duration / args.rounds))} s per endpoint after a 2 s warm-up; medians).

Data: one workspace with {args.products:,} products in {max(1, args.products // 100)} product lines and
{args.companies:,} companies ({args.companies // 4:,} contacts); bulk-inserted (build: {builds}).
Queries per request are counted with Django's test client after one warm-up request: the API at
page sizes 10 and 200, the HTML page (50 rows) on page 1 and page 2000.

{rows}

Targets: list endpoints at least {TARGET_RATIO:.0%} of the trivial endpoint's throughput and p99 under
{TARGET_P99_MS:.0f} ms at {args.connections} connections; queries per request independent of page size.
{verdict}

wrk and the server share the machine's {info["cores"]} cores, so absolute figures are lower than on a
dedicated server; the ratios compare endpoints under the same conditions.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "build", "queries"])
    parser.add_argument("sizes", nargs="*", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=12, help="seconds of load per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per endpoint (medians reported)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print the results; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    if args.command == "build":
        _django()
        print(json.dumps(build(*args.sizes)))
        return 0
    if args.command == "queries":
        _django()
        print(json.dumps(count_queries()))
        return 0

    ensure_wrk()
    info = machine()
    runs = {kind: run_database(kind, args) for kind in args.databases.split(",")}
    text = report(runs, args, info)
    print("\n" + text)
    if not args.no_write:
        write_doc(SECTION, text, new_file=NEW_DOC)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

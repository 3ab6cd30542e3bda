"""The ``headway`` command. Thin: parses arguments, calls services, prints results."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterable
from typing import Any


class CliError(Exception):
    """A problem with the command line itself (a missing value): printed, exit code 2."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django
    from django.apps import apps

    if apps.ready:  # already set up (tests, or called from Python)
        return

    django.setup()


def granian_argv(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """The production server: granian speaking WSGI (about twice gunicorn's throughput here)."""
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host, "--port", str(port),
        "--workers", str(workers),
        # A few threads per worker process: Python runs one at a time anyway, and hundreds of
        # threads only contend for the GIL and the database (measured in docs/benchmarks.md).
        "--blocking-threads", str(threads),
        "--no-ws", "config.wsgi:application",
    ]  # fmt: skip


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"Headway on http://{args.host}:{args.port}/  (Ctrl+C stops it)", flush=True)
    granian = granian_argv(host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    os.execv(sys.executable, granian)  # noqa: S606 - replace this process with the server
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    call_command("db_worker", *(["--batch"] if args.batch else []))
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    """Run once a day (cron or a systemd timer): each address gets one email with its waiting updates."""
    _setup_django()
    from headway.ideas.notify import digest_send

    sent = digest_send()
    print(f"Sent {sent} daily digest email{'' if sent == 1 else 's'}.")
    return 0


def _progress[T](items: Iterable[T], label: str, total: int) -> Iterable[T]:
    """A progress bar on a terminal; silent when output goes to a file or a pipe."""
    from tqdm import tqdm

    return tqdm(items, desc=label, total=total, unit=" rows", leave=False, disable=None, dynamic_ncols=True)


def _migrate_if_needed() -> None:
    """Apply missing migrations quietly (a fresh HEADWAY_VAR_DIR has an empty database)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("Preparing the database (migrations)…", file=sys.stderr, flush=True)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=1)
    call_command("createcachetable", verbosity=0)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from headway.ops.demo import demo_create

    _migrate_if_needed()
    result = demo_create(reset=args.reset, progress=_progress)
    ws = result.workspace
    if result.created:
        print(f'Created the demo workspace "{ws.name}"{" again" if result.replaced else ""}.')
    else:
        print(f'The demo workspace "{ws.name}" exists already (use --reset to recreate it).')
    print(f"\nOpen {settings.HEADWAY_BASE_URL}/ and sign in as one of:\n")
    rows = [[u.role, u.email, result.password, u.full_name] for u in result.users]
    print(_table(rows, ["role", "email", "password", "name"]))
    print("\n(`headway serve` starts the server.)")
    return 0


def _ask(value: str | None, option: str, prompt: str, *, secret: bool = False, default: str = "") -> str:
    if value:
        return value
    if not sys.stdin.isatty():
        raise CliError(f"{option} is required when the command does not run in a terminal.")
    if secret:
        first = getpass.getpass(f"{prompt}: ")
        if first != getpass.getpass(f"{prompt} (again): "):
            raise CliError("The two passwords differ.")
        return first
    answer = input(f"{prompt}{f' [{default}]' if default else ''}: ").strip()
    return answer or default


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup_django()
    from headway.accounts.models import User
    from headway.ops.people import admin_create

    _migrate_if_needed()
    email = _ask(args.email, "--email", "Email")
    password = args.password
    if not password and not User.objects.filter(email__iexact=email.strip()).exists():
        password = _ask(None, "--password", "Password (10 characters or more)", secret=True)
    workspace = _ask(args.workspace, "--workspace", "Workspace name", default="Product")
    user, ws, user_created, ws_created = admin_create(email=email, password=password, workspace_name=workspace)
    print(
        f"{'Created' if user_created else 'Found'} user {user.email}; admin of {'new ' if ws_created else ''}"
        f'workspace "{ws.name}" (slug {ws.slug}).'
    )
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup_django()
    from headway.ops.people import token_create

    token, raw = token_create(email=args.email, workspace_slug=args.workspace, name=args.name)
    print(
        f'API token "{token.name}" for {token.user.email} in workspace {token.workspace.slug}. '
        "It is shown only now; store it safely:",
        file=sys.stderr,
    )
    print(raw)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    _setup_django()
    from headway.ops.backup import backup_to_file, describe_counts

    archive = backup_to_file(args.file, workspace_slug=args.workspace, progress=_progress)
    counts = describe_counts(archive["counts"])
    scope = "workspace " + ", ".join(archive["workspaces"]) if args.workspace else "all workspaces"
    print(f"Backed up {scope} to {args.file}: {counts}.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup_django()
    from headway.ops.backup import archive_read, describe_counts, restore_from_archive

    archive = archive_read(args.file)
    _migrate_if_needed()
    restored = restore_from_archive(archive, progress=_progress)
    workspaces = ", ".join(archive.get("workspaces") or []) or "none"
    print(f"Restored {args.file} (workspaces: {workspaces}): {describe_counts(restored)}.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup_django()
    from headway.ops.checks import ERROR, OK, exit_code, run_all

    findings = run_all(deploy=args.deploy)
    for finding in findings:
        if finding.level != OK or args.verbose:
            print(finding)
    errors = sum(f.level == ERROR for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    print(f"{errors} error(s), {warnings} warning(s).")
    return exit_code(findings)


def cmd_import_features(args: argparse.Namespace) -> int:
    _setup_django()
    from pathlib import Path

    from headway.ops.feature_import import import_actor, import_features, summary_lines

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}: no such file.")
    data = path.read_bytes()
    _migrate_if_needed()
    actor, workspace = import_actor(email=args.as_email, workspace_slug=args.workspace)
    print(f"Importing features from {path.name} into workspace {workspace.slug} as {actor.email}.", flush=True)
    result = import_features(
        actor=actor, workspace=workspace, data=data, filename=path.name, only_good_rows=args.only_good,
        dry_run=args.dry_run, progress=_progress,
    )  # fmt: skip
    lines, ok = summary_lines(result, dry_run=args.dry_run, only_good_rows=args.only_good)
    print("\n".join(lines))
    return 0 if ok else 1


class _BarProgress:
    """``start(total)`` / ``advance(n)`` (as background jobs report progress) drawn as a terminal bar."""

    def __init__(self, label: str, unit: str = " notes"):
        self.label, self.unit, self.bar = label, unit, None

    def start(self, total: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=self.label, unit=self.unit, leave=False, disable=None, dynamic_ncols=True)

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_insights_retrain(args: argparse.Namespace) -> int:
    _setup_django()
    from headway.insights.services.labels import retrain

    _migrate_if_needed()
    progress = _BarProgress("Training", unit=" steps")
    try:
        report = retrain(data_path=args.data, progress=progress)
    finally:
        progress.close()
    for name in ("kind", "sentiment"):
        part = report[name]
        rows = [
            [label, f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['f1']:.3f}", str(c["support"])]
            for label, c in part["classes"].items()
        ]
        rows.append(["macro", "", "", f"{part['macro_f1']:.3f}", str(part["test_count"])])
        print(f"\n{name.capitalize()} on the held-out 20 % ({part['train_count']} training rows):\n")
        print(_table(rows, ["class", "precision", "recall", "F1", "support"]))
    corrections = report["corrections"]
    print(
        f"\nModel {report['version']} written ({report['size_bytes'] / 1e6:.2f} MB) with "
        f"{corrections['kind']} kind and {corrections['sentiment']} sentiment corrections; it is now active."
    )
    return 0


def cmd_insights_classify(args: argparse.Namespace) -> int:
    _setup_django()
    from headway.insights.classify import model_version
    from headway.insights.services.labels import notes_classify
    from headway.workspaces.models import Workspace

    workspace = Workspace.objects.filter(slug=args.workspace).first()
    if workspace is None:
        raise CliError(f"no workspace with the slug {args.workspace!r}.")
    progress = _BarProgress("Classifying")
    try:
        # without --all: only notes never classified, or classified by another model
        count = notes_classify(workspace=workspace, progress=progress, stale_only=not args.all)
    finally:
        progress.close()
    print(f"Classified {count} note{'' if count == 1 else 's'} in {workspace.slug} with model {model_version()}.")
    return 0


def _feedback_actor(args: argparse.Namespace) -> tuple:
    from headway.ops.feature_import import import_actor

    return import_actor(email=args.as_email, workspace_slug=args.workspace)


def _read_file(name: str) -> bytes:
    from pathlib import Path

    path = Path(name)
    if not path.is_file():
        raise CliError(f"{name}: no such file.")
    return path.read_bytes()


def cmd_ingest_email(args: argparse.Namespace) -> int:
    """One email (an .eml file) as a feedback note, as the inbound endpoint would file it."""
    _setup_django()
    from headway.insights.services.notes import note_from_email

    raw = _read_file(args.file)
    _migrate_if_needed()
    actor, workspace = _feedback_actor(args)
    note = note_from_email(actor=actor, workspace=workspace, raw=raw)
    who = note.customer_email or note.customer_name or "an unknown sender"
    verb = "Added" if note.was_created else "Updated"  # type: ignore[attr-defined]
    print(
        f"{verb} note #{note.pk} in workspace {workspace.slug}: “{note.title or note.text[:60]}” from {who} "
        f"({note.get_kind_display() or 'unclassified'}, {note.get_sentiment_display() or 'no sentiment'})."
    )
    return 0


def _mapping_arg(value: str | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        field, sep, column = part.partition("=")
        if not sep or not field.strip():
            raise CliError(f"--map: “{part}” is not field=column (e.g. --map text=Comment,external_ref=Ticket).")
        mapping[field.strip()] = column.strip()
    return mapping


PROBLEMS_PRINTED = 50


def cmd_import_feedback(args: argparse.Namespace) -> int:
    """A CSV/XLSX file of feedback: the same preview, checks and run as the web import."""
    _setup_django()
    from headway.insights.importing.mapping import FIELDS
    from headway.insights.models import NoteImport
    from headway.insights.services.imports import (
        import_cancel,
        import_confirm,
        import_preview,
        import_run,
        import_upload,
    )

    data = _read_file(args.file)
    mapping = _mapping_arg(args.map)
    _migrate_if_needed()
    actor, workspace = _feedback_actor(args)
    imp = import_upload(actor=actor, workspace=workspace, data=data, filename=os.path.basename(args.file),
                        channel=args.channel, mapping=mapping)  # fmt: skip
    preview = import_preview(note_import=imp)
    print(f"{imp.filename}: {imp.total:,} rows into channel “{imp.channel}” of workspace {workspace.slug}.")
    print("Columns: " + ", ".join(f"{FIELDS[f][0].lower()} ← {c}" for f, c in imp.mapping.items()))
    for note in preview.notes:
        print(f"Note: {note}")
    for problem in preview.file_errors:
        print(f"Error: {problem}", file=sys.stderr)
    if preview.file_errors:
        import_cancel(actor=actor, note_import=imp)
        return 1
    for p in preview.problems[:PROBLEMS_PRINTED]:
        print(f"Row {p['row']}: {p['field']}: {p['message']}", file=sys.stderr)
    if len(preview.problems) > PROBLEMS_PRINTED:
        print(f"… and {len(preview.problems) - PROBLEMS_PRINTED:,} more problems.", file=sys.stderr)
    if preview.skipped and not args.yes:
        import_cancel(actor=actor, note_import=imp)
        print(f"{preview.skipped:,} rows have problems; nothing was imported. Fix the file, or run again with --yes "
              f"to import the {preview.valid:,} valid rows and skip them.", file=sys.stderr)  # fmt: skip
        return 1
    import_confirm(actor=actor, note_import=imp, skip_errors=args.yes, enqueue=False)
    bar = _progress(iter(()), "Importing", imp.total)
    bar.update(preview.skipped)  # type: ignore[attr-defined]
    status = import_run(import_id=imp.pk, tick=bar.update)  # type: ignore[attr-defined]
    bar.close()  # type: ignore[attr-defined]
    imp.refresh_from_db()
    if status != NoteImport.Status.DONE:
        print(f"Import failed: {imp.message}", file=sys.stderr)
        return 1
    unchanged = imp.total - imp.created - imp.updated - imp.skipped
    print(f"Imported: {imp.created:,} created, {imp.updated:,} updated, {unchanged:,} unchanged, "
          f"{imp.skipped:,} skipped.")  # fmt: skip
    return 0


def _plan_actor(email: str | None, slug: str) -> tuple:
    """``--as EMAIL``, else the workspace's first admin (the one who joined first)."""
    from headway.accounts.models import User
    from headway.core import permissions
    from headway.ops.people import user_by_email, workspace_by_slug
    from headway.workspaces.models import Role

    workspace = workspace_by_slug(slug)
    if email:
        user = user_by_email(email)
        if not permissions.is_member(user, workspace):
            raise CliError(f"{user.email} is not a member of workspace {workspace.slug!r}.")
        return user, workspace
    admin = (
        User.objects.filter(memberships__workspace=workspace, memberships__role=Role.ADMIN)
        .order_by("memberships__created_at", "memberships__id")
        .first()
    )
    if admin is None:
        raise CliError(f"workspace {workspace.slug!r} has no admin; say who plans with --as EMAIL.")
    return admin, workspace


def _plan_inputs(args: argparse.Namespace, actor: Any, workspace: Any) -> dict:
    """Team names, the model's name and must-have references → the ids plan_create takes."""
    from django.db.models.functions import Lower

    from headway.backlog.selectors import feature_by_ref
    from headway.prioritization.models import ScoringModel, Team

    teams = {t.name.lower(): t for t in Team.objects.filter(workspace=workspace, archived_at__isnull=True)}
    team_ids = []
    for name in args.team:
        team = teams.get(name.strip().lower())
        if team is None:
            known = ", ".join(sorted(t.name for t in teams.values())) or "none"
            raise CliError(f"--team: no team {name!r} in {workspace.slug} (teams: {known}).")  # type: ignore[attr-defined]
        team_ids.append(team.pk)
    model = None
    if args.model:
        model = (
            ScoringModel.objects.filter(workspace=workspace, archived_at__isnull=True)
            .annotate(lower=Lower("name"))
            .filter(lower=args.model.strip().lower())
            .first()
        )
        if model is None:
            raise CliError(f"--model: no scoring model {args.model!r} in {workspace.slug}.")  # type: ignore[attr-defined]
    musts = [feature_by_ref(actor=actor, workspace=workspace, ref=ref).pk for ref in args.must]  # type: ignore[arg-type]
    return {"team_ids": team_ids, "scoring_model": model, "must_have_ids": musts}


def _plan_text(detail: dict, plan: object) -> str:
    """The solved plan as a person reads it: chosen, below the line, capacity, value vs greedy."""
    unit = detail["unit"]
    status = detail["status"]
    lines = [
        f"{plan.name} — {plan.period_label} ({plan.starts_on:%Y-%m-%d} to {plan.ends_on:%Y-%m-%d}), "  # type: ignore[attr-defined]
        f"goal: {plan.get_goal_display().lower()}"  # type: ignore[attr-defined]
        + (f" ({plan.scoring_model.name})" if plan.scoring_model_id else "")  # type: ignore[attr-defined]
        + f", status: {status}.",
    ]
    num = _num
    if not detail["feasible"]:
        lines.append("\nNo plan fits:")
        lines += [f"  - {reason}" for reason in detail["reasons"]]
    else:
        rows = [
            [r["ref"], r["title"][:48], r["team"], num(r["value"]), num(r["effort"]), "yes" if r["must_have"] else ""]
            for r in detail["chosen"]
        ]
        lines.append(f"\nChosen ({len(rows)}):\n")
        lines.append(
            _table(rows, ["feature", "title", "team", "value", f"effort ({unit})", "must"]) if rows else "  none"
        )
        below = [[r["ref"], r["title"][:40], num(r["value"]), num(r["effort"]), r["reason"], r["message"]]
                 for r in detail["below"]]  # fmt: skip
        lines.append(f"\nBelow the line ({len(below)}):\n")
        lines.append(_table(below, ["feature", "title", "value", "effort", "reason", "why"]) if below else "  none")
    teams = [[t["name"], num(t["capacity"]), num(t["used"]), f"{t['percent']:g}%"] for t in detail["teams"]]
    lines.append(f"\nCapacity ({unit}):\n")
    lines.append(_table(teams, ["team", "capacity", "used", "used %"]))
    if detail["feasible"]:
        greedy = detail["greedy"]
        total = f"\nTotal value {num(detail['total_value'])}"
        if greedy is not None and greedy.get("value_over_greedy") is not None:
            rule = "value" if greedy["rule"] == "value" else "value per effort"
            gain = greedy["value_over_greedy"]
            tail = f": +{num(gain)} for the plan." if gain > 1e-9 else ", as much as the plan."
            total += f"; a greedy fill by {rule} reaches {num(greedy['value'])} ({greedy['chosen']} features){tail}"
        else:
            total += "."
        lines.append(total)
    for warning in detail["warnings"]:
        lines.append(f"Warning: {warning}")
    if detail["moscow_warning"]:
        lines.append(f"Warning: {detail['moscow_warning']}")
    return "\n".join(lines)


def _num(value: float) -> str:
    return f"{round(float(value), 3):g}"


def cmd_plan(args: argparse.Namespace) -> int:
    """Solve a capacity plan for a period and teams; --save keeps it (as a draft others can open)."""
    _setup_django()
    import json

    from django.db import transaction

    from headway.prioritization.selectors.plans import plan_detail
    from headway.prioritization.services.plans import plan_create, plan_solve

    _migrate_if_needed()
    actor, workspace = _plan_actor(args.as_email, args.workspace)
    inputs = _plan_inputs(args, actor, workspace)
    with transaction.atomic():
        plan = plan_create(actor=actor, workspace=workspace, name=args.name or "", period=args.period,
                           goal=args.goal, **inputs)  # fmt: skip
        plan = plan_solve(actor=actor, plan=plan)
        detail = plan_detail(user=actor, workspace=workspace, plan=plan)
        if not args.save:
            transaction.set_rollback(True)  # solved to show, not kept
    if args.json:
        print(json.dumps(_plan_json(detail, plan, saved=args.save), indent=2))
    else:
        print(_plan_text(detail, plan))
        if args.save:
            print(f"\nSaved as plan #{plan.pk} “{plan.name}” by {actor.email}.")
    return 0 if detail["feasible"] else 1


def _plan_json(detail: dict, plan: object, *, saved: bool) -> dict:
    def item(row: dict) -> dict:
        keys = ("id", "ref", "title", "product", "team", "value", "effort", "must_have", "reason", "message")
        return {k: row[k] for k in keys}

    return {
        "id": plan.pk if saved else None,  # type: ignore[attr-defined]
        "name": plan.name,  # type: ignore[attr-defined]
        "period": plan.period_label,  # type: ignore[attr-defined]
        "starts_on": plan.starts_on.isoformat(),  # type: ignore[attr-defined]
        "ends_on": plan.ends_on.isoformat(),  # type: ignore[attr-defined]
        "goal": plan.goal,  # type: ignore[attr-defined]
        "status": detail["status"],
        "feasible": detail["feasible"],
        "unit": detail["unit"],
        "total_value": detail["total_value"],
        "greedy": detail["greedy"],
        "teams": [{k: t[k] for k in ("id", "name", "capacity", "used", "percent")} for t in detail["teams"]],
        "chosen": [item(r) for r in detail["chosen"]],
        "below": [item(r) for r in detail["below"]],
        "reasons": detail["reasons"],
        "warnings": detail["warnings"],
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="headway", description="Headway product management")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then serve with granian")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    serve.add_argument("--threads", type=int, default=2, help="threads per process (default 2)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run background tasks (mail, recomputation)")
    worker.add_argument("--batch", action="store_true", help="drain the queue once and exit")
    worker.set_defaults(func=cmd_worker)

    digest = sub.add_parser(
        "digest",
        help="email the daily digest of idea updates (run it once a day from cron or a systemd timer)",
    )
    digest.set_defaults(func=cmd_digest)

    migrate = sub.add_parser("migrate", help="create or update the database tables")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="create the demo workspace with realistic data and print the logins")
    demo.add_argument("--reset", action="store_true", help="delete the demo workspace and create it again")
    demo.set_defaults(func=cmd_demo)

    createadmin = sub.add_parser(
        "createadmin",
        help="create a user who is admin of a new or existing workspace",
        description="Create a user (or reuse one by email) and make them admin of the workspace with this name "
        "or slug, creating it when there is none. Missing values are asked for on a terminal.",
    )
    createadmin.add_argument("--email")
    createadmin.add_argument("--password", help="for a new user; for an existing one, sets a new password")
    createadmin.add_argument("--workspace", metavar="NAME", help="workspace name (or slug of an existing one)")
    createadmin.set_defaults(func=cmd_createadmin)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    token_create = token_sub.add_parser("create", help="print a new API token for a user")
    token_create.add_argument("email", metavar="EMAIL")
    token_create.add_argument("--workspace", metavar="SLUG", help="needed when the user is in several workspaces")
    token_create.add_argument("--name", default="", help='what the token is for (default "Command line")')
    token_create.set_defaults(func=cmd_token_create)

    backup = sub.add_parser(
        "backup",
        help="write a JSON archive of one or all workspaces (gzip when FILE ends in .gz)",
    )
    backup.add_argument("file", metavar="FILE")
    backup.add_argument("--workspace", metavar="SLUG", help="only this workspace (default: everything)")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="restore an archive into an EMPTY database (same ids, same timestamps)",
        description="Restore a backup into an empty database: primary keys and timestamps are kept exactly, "
        "so the database must not hold any users or workspaces yet (a new HEADWAY_VAR_DIR or DATABASE_URL).",
    )
    restore.add_argument("file", metavar="FILE")
    restore.set_defaults(func=cmd_restore)

    importing = sub.add_parser("import", help="import data from CSV files")
    import_sub = importing.add_subparsers(dest="import_command", required=True)
    features = import_sub.add_parser(
        "features",
        help="add features to product backlogs from a CSV file",
        description="Columns: title and product (key) are required; description, component, status, owner "
        "(email), effort, initiative, objectives (semicolon separated), tags (semicolon separated), target_release "
        "are optional. Every row is checked; if any row is bad nothing is imported (unless --only-good).",
    )
    features.add_argument("file", metavar="FILE.csv")
    features.add_argument("--workspace", metavar="SLUG", help="needed when there are several workspaces")
    features.add_argument(
        "--as", dest="as_email", metavar="EMAIL", help="who imports (default: the workspace's only admin)"
    )
    features.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    features.add_argument("--only-good", action="store_true", help="import the good rows even if others are bad")
    features.set_defaults(func=cmd_import_features)

    feedback = import_sub.add_parser(
        "feedback",
        help="import feedback notes from a CSV or XLSX file (app reviews, surveys, support tickets)",
        description="Columns are recognised by name (text ← content/text/review/comment/…, external_ref ← id/"
        "reviewId/ticket, rating ← rating/score/stars, …); --map chooses others. Every row is checked first; rows "
        "with problems are listed and nothing is imported unless --yes says to skip them. The same channel and "
        "external reference again updates the note instead of duplicating it.",
    )
    feedback.add_argument("file", metavar="FILE")
    feedback.add_argument("--workspace", metavar="SLUG", help="needed when there are several workspaces")
    feedback.add_argument(
        "--channel", required=True, metavar="NAME", help='where the feedback came from, e.g. "Play Store"'
    )
    feedback.add_argument(
        "--map", metavar="FIELD=COLUMN,...", help="choose columns, e.g. text=Comment,external_ref=Ticket"
    )
    feedback.add_argument(
        "--as", dest="as_email", metavar="EMAIL", help="who imports (default: the workspace's only admin)"
    )
    feedback.add_argument("--yes", action="store_true", help="import the valid rows and skip those with problems")
    feedback.set_defaults(func=cmd_import_feedback)

    ingest = sub.add_parser("ingest", help="bring feedback in")
    ingest_sub = ingest.add_subparsers(dest="ingest_command", required=True)
    ingest_email = ingest_sub.add_parser(
        "email",
        help="file one email (.eml) as a feedback note",
        description="The subject becomes the title, the body the text, the Message-ID the reference (the same "
        "message twice is one note). A member's forward of a customer's email is filed under the customer.",
    )
    ingest_email.add_argument("file", metavar="FILE.eml")
    ingest_email.add_argument("--workspace", metavar="SLUG", help="needed when there are several workspaces")
    ingest_email.add_argument(
        "--as", dest="as_email", metavar="EMAIL", help="who files it (default: the workspace's only admin)"
    )
    ingest_email.set_defaults(func=cmd_ingest_email)

    insights = sub.add_parser("insights", help="the feedback classifier")
    insights_sub = insights.add_subparsers(dest="insights_command", required=True)
    retrain = insights_sub.add_parser(
        "retrain",
        help="train the next classifier version from the labelled reviews and people's corrections",
        description="Trains kind and sentiment on the labelled app reviews (../shared/data) plus every label "
        "correction, prints the held-out figures and makes the new model (in HEADWAY_VAR_DIR/models) active.",
    )
    retrain.add_argument("--data", metavar="FILE", help="the labelled reviews CSV (default: the shared data folder)")
    retrain.set_defaults(func=cmd_insights_retrain)
    classify = insights_sub.add_parser(
        "classify", help="classify a workspace's notes with the active model (corrected labels stay)"
    )
    classify.add_argument("--workspace", metavar="SLUG", required=True)
    classify.add_argument(
        "--all", action="store_true", help="every note, not only those not yet classified by the active model"
    )
    classify.set_defaults(func=cmd_insights_classify)

    plan = sub.add_parser(
        "plan",
        help="solve a capacity plan: the features that fit the teams' capacity in a period for the most value",
    )
    plan.add_argument("--workspace", metavar="SLUG", required=True)
    plan.add_argument("--period", required=True, help="2027-Q1, 2027-H2, 2027, 2027-03 or 2027-01-05..2027-02-20")
    plan.add_argument("--team", action="append", required=True, metavar="NAME", help="a team (repeat for several)")
    plan.add_argument("--goal", choices=["score", "demand", "objective_mix"], default="score",
                      help="what to maximise (default: the total score)")  # fmt: skip
    plan.add_argument("--model", metavar="NAME", help="the scoring model (default: the workspace's default)")
    plan.add_argument(
        "--must", nargs="+", action="extend", default=[], metavar="REF", help="must-have features (PAY-12 …)"
    )
    plan.add_argument("--name", help='the plan\'s name (default "<period> plan")')
    plan.add_argument("--save", action="store_true", help="keep the plan (otherwise it is only shown)")
    plan.add_argument("--as", dest="as_email", metavar="EMAIL", help="who plans (default: the workspace's first admin)")
    plan.add_argument("--json", action="store_true", help="print JSON instead of tables")
    plan.set_defaults(func=cmd_plan)

    check = sub.add_parser("check", help="explain configuration problems (exit code 1 on errors)")
    check.add_argument("--deploy", action="store_true", help="also run Django's deployment checks")
    check.add_argument("-v", "--verbose", action="store_true", help="also list what is fine")
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from headway.core.errors import HeadwayError

    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        parser.exit(2, f"headway {args.command}: {exc}\n")
    except HeadwayError as exc:
        print(f"headway {args.command}: {exc.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `headway … | head`: the reader left; not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

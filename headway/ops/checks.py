"""``headway check``: configuration problems explained in plain words, with what to do about each.

An *error* stops Headway from working safely (the command exits with 1); a *warning* is worth
knowing but Headway runs (exit 0).
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

ERROR = "error"
WARNING = "warning"
OK = "ok"

VENDOR_FILES = ["htmx.min.js", "alpine.min.js", "sortable.min.js", "echarts.min.js"]
MINIMUM_PYTHON = (3, 12)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


@dataclass(frozen=True)
class Finding:
    level: str  # error, warning or ok
    topic: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():8} {self.topic}: {self.message}"


def check_python(version_info: tuple[int, ...] | None = None) -> list[Finding]:
    found = tuple(version_info or sys.version_info[:3])
    version = ".".join(map(str, found))
    if found < MINIMUM_PYTHON:
        return [Finding(ERROR, "python", f"Python {version} is too old; Headway needs Python 3.12 or newer.")]
    return [Finding(OK, "python", f"Python {version}.")]


def check_secret_key() -> list[Finding]:
    key = settings.SECRET_KEY or ""
    from_env = os.environ.get("HEADWAY_SECRET_KEY", "")
    level = WARNING if settings.DEBUG else ERROR
    advice = (
        "Set HEADWAY_SECRET_KEY to a long random string, for example the output of "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`, and keep it secret."
    )
    if not from_env:
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            return [
                Finding(
                    OK,
                    "secret key",
                    f"Using the random key generated for this installation in {settings.VAR_DIR / 'secret_key'}.",
                )
            ]
        return [
            Finding(
                WARNING,
                "secret key",
                "HEADWAY_SECRET_KEY is not set, so this machine uses its own generated key. Every server "
                f"process of one installation must share the same key. {advice}",
            )
        ]
    if len(key) < 50 or len(set(key)) < 5 or "insecure" in key:
        return [
            Finding(
                level,
                "secret key",
                f"HEADWAY_SECRET_KEY is too easy to guess ({len(key)} characters, {len(set(key))} different). "
                + advice,
            )
        ]
    return [Finding(OK, "secret key", "HEADWAY_SECRET_KEY is set and long enough.")]


def _sqlite_path(alias: str = DEFAULT_DB_ALIAS) -> Path | None:
    db = settings.DATABASES[alias]
    if not db["ENGINE"].endswith("sqlite3"):
        return None
    name = str(db["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def check_database(alias: str = DEFAULT_DB_ALIAS) -> list[Finding]:
    db = settings.DATABASES[alias]
    findings: list[Finding] = []
    path = _sqlite_path(alias)
    if path is not None:
        folder = path.parent
        if not folder.exists():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                return [
                    Finding(
                        ERROR,
                        "database",
                        f"The SQLite folder {folder} does not exist and cannot be created ({exc.strerror}). "
                        "Set HEADWAY_VAR_DIR to a folder this user may write to.",
                    )
                ]
        if not _writable(folder):
            return [
                Finding(
                    ERROR,
                    "database",
                    f"The SQLite folder {folder} is not writable by this user; SQLite needs to create its "
                    "journal files next to the database. Fix the permissions or set HEADWAY_VAR_DIR.",
                )
            ]
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            return [Finding(ERROR, "database", f"The SQLite database {path} is not readable and writable.")]
    try:
        connections[alias].ensure_connection()
    except Exception as exc:
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the database"
        return [
            Finding(
                ERROR,
                "database",
                f"Cannot connect to {where} ({_describe(db)}): "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}. "
                "Check that the server runs and that the URL's host, port, user, password and database are right.",
            )
        ]
    if path is not None:
        findings.append(
            Finding(
                OK,
                "database",
                f"SQLite at {path} (fine for one machine; set DATABASE_URL=postgres://… for a team server).",
            )
        )
    else:
        findings.append(Finding(OK, "database", f"Connected to {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}."))
    return findings


def _describe(db: Any) -> str:
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    if db.get("HOST"):
        return f"{engine} at {db['HOST']}{':' + str(db['PORT']) if db.get('PORT') else ''}, database {db['NAME']}"
    return f"{engine} {db['NAME']}"


def _writable(folder: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".headway-check-"):
            return True
    except OSError:
        return False


def check_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[Finding]:
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return [Finding(WARNING, "migrations", f"Could not read the migration state ({exc}).")]
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5]) + (" …" if len(plan) > 5 else "")
        return [
            Finding(
                WARNING,
                "migrations",
                f"{len(plan)} database migration(s) are not applied yet ({names}). Run `headway migrate` "
                "(`headway serve` also applies them when it starts).",
            )
        ]
    return [Finding(OK, "migrations", "The database schema is up to date.")]


def check_email() -> list[Finding]:
    url = os.environ.get("EMAIL_URL", "")
    if not url:
        return [
            Finding(
                WARNING,
                "email",
                "EMAIL_URL is not set, so invitations and password-reset mails are printed to the console "
                "instead of being sent. Set EMAIL_URL=smtp+tls://user:password@mail.example.com:587.",
            )
        ]
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtp+tls", "smtps"} or not parsed.hostname:
        return [
            Finding(
                ERROR,
                "email",
                f"EMAIL_URL must look like smtp://host:25, smtp+tls://user:password@host:587 or "
                f"smtps://user:password@host:465 (it starts with {parsed.scheme or 'nothing'}://).",
            )
        ]
    return [Finding(OK, "email", f"Mail goes out through {parsed.hostname}:{parsed.port or 25}.")]


def check_hosts() -> list[Finding]:
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts:
        return [
            Finding(
                ERROR,
                "allowed hosts",
                "HEADWAY_ALLOWED_HOSTS is empty, so every request is refused. Set it to the host names people "
                "use, separated by commas (e.g. headway.example.com).",
            )
        ]
    if "*" in hosts:
        return [
            Finding(
                WARNING,
                "allowed hosts",
                "HEADWAY_ALLOWED_HOSTS contains '*', so any Host header is accepted and password-reset links "
                "could point to a forged host. List the real host names instead.",
            )
        ]
    findings: list[Finding] = []
    from urllib.parse import urlparse

    base_host = urlparse(settings.HEADWAY_BASE_URL).hostname or ""
    if base_host and not _host_allowed(base_host, hosts):
        findings.append(
            Finding(
                ERROR,
                "allowed hosts",
                f"HEADWAY_BASE_URL uses the host {base_host!r}, which HEADWAY_ALLOWED_HOSTS ({', '.join(hosts)}) "
                "does not allow; links in mails would lead to a refused page. Add it to HEADWAY_ALLOWED_HOSTS.",
            )
        )
    if all(h in LOCAL_HOSTS for h in hosts) and not settings.DEBUG:
        findings.append(
            Finding(
                WARNING,
                "allowed hosts",
                "Headway answers only to localhost. To reach it from other machines set HEADWAY_ALLOWED_HOSTS "
                "(and HEADWAY_BASE_URL) to its public name.",
            )
        )
    return findings or [Finding(OK, "allowed hosts", f"Serving {', '.join(hosts)}.")]


def _host_allowed(host: str, allowed: list[str]) -> bool:
    from django.http.request import validate_host

    return validate_host(host, allowed) or (f"[{host}]" in allowed)


def check_static() -> list[Finding]:
    vendor = Path(settings.BASE_DIR) / "static" / "vendor"
    missing = [name for name in VENDOR_FILES if not (vendor / name).is_file()]
    if missing:
        return [
            Finding(
                ERROR,
                "static files",
                f"{', '.join(missing)} missing from {vendor}: pages would load without their scripts. "
                "Run `make install` (it copies them from the npm packages).",
            )
        ]
    return [Finding(OK, "static files", "Front-end packages are in place.")]


def check_django(*, deploy: bool = False, database: bool = True) -> list[Finding]:
    """Django's own system checks; with ``database`` also those that ask the database (its version, features)."""
    from django.core import checks

    try:
        messages = checks.run_checks(include_deployment_checks=deploy, databases=list(connections) if database else [])
    except Exception as exc:
        return [Finding(ERROR, "django", f"Django's system checks could not run: {exc}")]
    findings = []
    for message in messages:
        if message.is_silenced() or message.level < checks.WARNING:
            continue
        level = ERROR if message.is_serious() else WARNING
        text = str(message.msg) + (f" HINT: {message.hint}" if message.hint else "")
        findings.append(Finding(level, f"django {message.id}", text))
    return findings or [Finding(OK, "django", "Django's system checks pass.")]


def run_all(*, deploy: bool = False) -> list[Finding]:
    """Every check, in the order a person would fix them. Checks that need the database are skipped when it
    cannot be reached."""
    findings = [*check_python(), *check_secret_key(), *check_hosts(), *check_email(), *check_static()]
    database = check_database()
    findings += database
    reachable = not any(f.level == ERROR for f in database)
    if reachable:
        findings += check_migrations()
    findings += check_django(deploy=deploy, database=reachable)
    return findings


def exit_code(findings: list[Finding]) -> int:
    return 1 if any(f.level == ERROR for f in findings) else 0

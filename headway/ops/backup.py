"""Backup and restore: one JSON archive (gzip-compressed when the file name ends in ``.gz``).

An archive holds one or all workspaces with everything that belongs to them, row by row with primary
keys and every column as stored (password and token hashes, ``created_at``/``updated_at``), so that
restoring it reproduces the database exactly.

Restore needs an EMPTY database (no users, workspaces or any other archived row; run it on a new
``HEADWAY_VAR_DIR`` or a new PostgreSQL database). Merging into a database that already holds data
cannot keep the primary keys, and keeping them is what makes a restore exact; so it is refused rather
than half done. Restore runs in one transaction and then moves PostgreSQL's id sequences past the
restored ids.

Every model in ``headway.*`` must be listed in ``BACKUP_MODELS`` (in the order rows are restored,
referenced tables first) or in ``NOT_BACKED_UP`` with the reason; a test enforces it. Django's own
tables (sessions, cache, task queue, auth groups and permissions, which Headway does not use) are not
archived: after a restore people sign in again.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.metadata
import json
import os
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from headway.core.errors import HeadwayError
from headway.ops import Progress, no_progress

FORMAT = "headway-backup"
VERSION = 1

# Restore order: a row's foreign keys point to tables earlier in the list (User.last_workspace is
# the one exception; it is nullable and the database checks foreign keys at commit).
BACKUP_MODELS = [
    "accounts.User",
    "workspaces.Workspace",
    "workspaces.Membership",
    "workspaces.Invitation",
    "accounts.ApiToken",
    "portfolio.ProductLine",
    "portfolio.Product",
    "portfolio.Component",
    "customers.Company",
    "customers.Contact",
    "customers.ImportBatch",
    "strategy.Vision",
    "strategy.VisionVersion",
    "strategy.Objective",
    "strategy.KeyResult",
    "strategy.CheckIn",
    "strategy.Initiative",
    "strategy.InitiativeObjective",
    "strategy.InitiativeProduct",
    "backlog.WorkflowStatus",
    "backlog.BacklogSettings",
    "backlog.Tag",
    "backlog.Feature",
    "backlog.FeatureObjective",
    "backlog.FeatureTag",
    "backlog.FeatureStatusChange",
    "backlog.Requirement",
    "backlog.FeatureDependency",
    "backlog.FeatureComment",
    "backlog.FeatureLink",
    "backlog.SavedView",
    "ideas.Portal",
    "ideas.PortalProduct",
    "ideas.PortalInvitation",
    "ideas.PortalAccount",
    "ideas.IdeaStatus",
    "ideas.IdeaCategory",
    "ideas.DemandSettings",
    "ideas.Idea",
    "ideas.Vote",
    "ideas.IdeaComment",
    "ideas.Subscription",
    "ideas.EmailPreference",
    "ideas.IdeaEvent",
    "ideas.Notification",
    "ideas.Merge",
    "ideas.FeatureStatusMapping",
    "insights.NoteImport",
    "insights.Theme",
    "insights.FeedbackNote",
    "insights.Highlight",
    "insights.LabelCorrection",
    "insights.ThemeSpace",
    "prioritization.ScoringModel",
    "prioritization.ProductScoringModel",
    "prioritization.FeatureScore",
    "prioritization.FeatureScoreChange",
    "prioritization.RankOverride",
    "prioritization.Team",
    "prioritization.TeamMember",
    "prioritization.TimeOff",
    "prioritization.TeamAllocation",
    "prioritization.CapacityPlan",
    "prioritization.PlanTeam",
    "prioritization.PlanItem",
    "prioritization.PlanScenario",
    "core.AuditEvent",
]
NOT_BACKED_UP = {
    "accounts.LoginFailure": "failed sign-ins only matter inside the lock-out window of a few minutes",
    "accounts.PasswordResetRequest": "reset requests are only counted for an hour to limit reset mails",
    "ideas.RateEvent": "flood-limit counts only matter inside their window of minutes to an hour",
    "insights.InsightJob": "progress of background jobs only matters while they run",
}


class ArchiveError(HeadwayError):
    """The archive cannot be written or restored; the message says why and what to do."""

    status = 400
    code = "bad_archive"


def backup_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in BACKUP_MODELS]


def headway_models() -> list[type[models.Model]]:
    """Every concrete model of a headway.* app (what the archive must cover)."""
    return [m for m in apps.get_models() if m.__module__.startswith("headway.") and not m._meta.proxy]


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.generated]


def _workspace_fk(model: type[models.Model]) -> models.Field | None:
    workspace_model = apps.get_model("workspaces.Workspace")
    for field in model._meta.concrete_fields:
        if field.name == "workspace" and field.is_relation and field.related_model is workspace_model:
            return field
    return None


def _encode(field: models.Field, value: Any) -> Any:
    """A JSON value that ``field.to_python`` turns back into exactly the stored value."""
    if value is None or isinstance(field, models.JSONField) or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()  # full precision: Django's JSON encoder would cut microseconds
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _decode(field: models.Field, value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.BinaryField):
        return bytes.fromhex(value)
    return field.to_python(value)


# --- backup -------------------------------------------------------------------------------------


def _headway_version() -> str:
    try:
        return importlib.metadata.version("headway")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def _dump(
    workspace_ids: set[int] | None, using: str, progress: Progress
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, set[Any]]]:
    from headway.workspaces.models import Workspace

    user_model = apps.get_model("accounts.User")
    data: dict[str, list[dict[str, Any]]] = {}
    ids: dict[str, set[Any]] = {}
    wanted_users: set[int] = set()
    # Users go last while dumping: in a one-workspace archive they are the people its rows refer to.
    dump_order = [m for m in backup_models() if m is not user_model] + [user_model]
    for model in dump_order:
        label = model._meta.label
        qs = model._base_manager.using(using).order_by("pk")
        if workspace_ids is not None:
            if model is Workspace:
                qs = qs.filter(pk__in=workspace_ids)
            elif model is user_model:
                qs = qs.filter(pk__in=wanted_users)
            elif _workspace_fk(model) is not None:
                qs = qs.filter(workspace_id__in=workspace_ids)
            else:
                raise ArchiveError(
                    f"{label} has no workspace; a one-workspace backup cannot decide which rows to keep."
                )
        fields = _fields(model)
        user_fks = [f for f in fields if f.is_relation and f.related_model is user_model]
        rows = []
        for obj in progress(qs.iterator(chunk_size=2000), label, qs.count()):
            rows.append({f.attname: _encode(f, f.value_from_object(obj)) for f in fields})
            for f in user_fks:
                if getattr(obj, f.attname) is not None:
                    wanted_users.add(getattr(obj, f.attname))
        data[label] = rows
        ids[label] = {row[model._meta.pk.attname] for row in rows}

    return data, ids


def backup_build(
    *, workspace_slug: str | None = None, using: str = DEFAULT_DB_ALIAS, progress: Progress = no_progress
) -> dict[str, Any]:
    """The archive as a dict: one workspace (by slug) or, without a slug, the whole database."""
    from headway.workspaces.models import Workspace

    workspace_ids: set[int] | None = None  # None: everything
    if workspace_slug:
        workspace = Workspace._base_manager.using(using).filter(slug=workspace_slug).first()
        if workspace is None:
            raise ArchiveError(f"No workspace with slug {workspace_slug!r} to back up.")
        workspace_ids = {workspace.pk}

    connection = connections[using]
    outermost = not connection.in_atomic_block
    # One transaction so every table is read at the same moment (on PostgreSQL one snapshot).
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        data, ids = _dump(workspace_ids, using, progress)
    _cut_dangling_references(data, ids)
    return {
        "format": FORMAT,
        "version": VERSION,
        "headway_version": _headway_version(),
        "created_at": timezone.now().isoformat(),
        "workspaces": sorted(r["slug"] for r in data["workspaces.Workspace"]),
        "scope": "workspace" if workspace_ids is not None else "all",
        "migrations": _applied_migrations(using),
        "counts": {label: len(data[label]) for label in BACKUP_MODELS},
        "data": {label: data[label] for label in BACKUP_MODELS},
    }


def _cut_dangling_references(data: dict[str, list[dict[str, Any]]], ids: dict[str, set[Any]]) -> None:
    """In a one-workspace archive a nullable reference outside it (a user's last workspace) becomes empty;
    a required one would make the archive unrestorable, so it is an error."""
    for model in backup_models():
        label = model._meta.label
        for field in _fields(model):
            target = field.related_model if field.is_relation else None
            if target is None or target._meta.label not in ids:
                continue
            known = ids[target._meta.label]
            for row in data[label]:
                value = row[field.attname]
                if value is not None and value not in known:
                    if not field.null:
                        raise ArchiveError(
                            f"{label} {row[model._meta.pk.attname]} refers to {target._meta.label} "
                            f"{value}, which is outside the archive."
                        )
                    row[field.attname] = None


def backup_write(archive: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the archive; gzip when the name ends in .gz. Written to a temporary file first, so an
    interrupted backup never leaves a truncated archive under the real name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if path.name.endswith(".gz") else raw
            stream.write(json.dumps(archive, ensure_ascii=False, separators=(",", ":")).encode())
            if stream is not raw:
                stream.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def backup_to_file(
    path: str | os.PathLike[str],
    *,
    workspace_slug: str | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    archive = backup_build(workspace_slug=workspace_slug, using=using, progress=progress)
    backup_write(archive, path)
    return archive


# --- restore ------------------------------------------------------------------------------------


def archive_read(path: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ArchiveError(f"No such file: {path}") from exc
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        archive = json.loads(raw)
    except (OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"{path} is not a Headway backup (not readable JSON: {exc}).") from exc
    return archive


def archive_validate(archive: Any, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Refuse anything that is not a complete archive this version can restore."""
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise ArchiveError("This file is not a Headway backup (its 'format' is not 'headway-backup').")
    version = archive.get("version")
    if version != VERSION:
        raise ArchiveError(
            f"This backup has format version {version!r}; this Headway restores version {VERSION} only. "
            "Restore it with the Headway release that wrote it."
        )
    data, counts = archive.get("data"), archive.get("counts")
    if not isinstance(data, dict) or not isinstance(counts, dict):
        raise ArchiveError("The backup is damaged: 'data' or 'counts' is missing.")
    unknown = sorted(set(data) - set(BACKUP_MODELS))
    if unknown:
        raise ArchiveError(f"The backup holds tables this Headway does not know: {', '.join(unknown)}.")
    for label, rows in data.items():
        if not isinstance(rows, list) or counts.get(label) != len(rows):
            raise ArchiveError(
                f"The backup is damaged: {label} should have {counts.get(label)} rows, "
                f"it has {len(rows) if isinstance(rows, list) else 'none'}."
            )
        model = apps.get_model(label)
        known = {f.attname for f in _fields(model)}
        for number, row in enumerate(rows, start=1):
            extra = sorted(set(row) - known)
            if extra:
                raise ArchiveError(
                    f"{label} row {number} has fields this Headway does not know ({', '.join(extra)}); "
                    "the backup was made by a newer release."
                )
    applied = _applied_migrations(using)
    installed = {config.label for config in apps.get_app_configs()}
    missing = [
        f"{app}.{name}"
        for app, names in (archive.get("migrations") or {}).items()
        if app in installed
        for name in names
        if name not in applied.get(app, [])
    ]
    if missing:
        raise ArchiveError(
            f"The backup was made with database migrations this database lacks ({', '.join(missing[:5])}). "
            "Run `headway migrate` with the same or a newer release, then restore."
        )


def database_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    return {m._meta.label: m._base_manager.using(using).count() for m in backup_models()}


def describe_counts(counts: dict[str, int]) -> str:
    """``{"accounts.User": 6, "workspaces.Workspace": 1}`` → ``"6 users, 1 workspace"`` (empty tables left out)."""
    parts = []
    for label, n in counts.items():
        if n:
            meta = apps.get_model(label)._meta
            parts.append(f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}")
    return ", ".join(parts) or "nothing"


def _instances(model: type[models.Model], rows: list[dict[str, Any]], progress: Progress) -> list[models.Model]:
    label = model._meta.label
    fields = _fields(model)
    objs = []
    for number, row in enumerate(progress(rows, label, len(rows)), start=1):
        values = {}
        for field in fields:
            if field.attname not in row:
                continue  # written before this column existed: the model's default applies
            try:
                values[field.attname] = _decode(field, row[field.attname])
            except (DjangoValidationError, ValueError, TypeError) as exc:
                reason = "; ".join(exc.messages) if isinstance(exc, DjangoValidationError) else str(exc)
                raise ArchiveError(f"{label} row {number}, field {field.attname}: {reason}") from exc
        objs.append(model(**values))
    return objs


def restore_from_archive(
    archive: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS, progress: Progress = no_progress
) -> dict[str, int]:
    """Insert every row of the archive with its primary key, unchanged, in one transaction.

    Returns the number of rows restored per table. Nothing is written when anything fails.
    """
    archive_validate(archive, using=using)
    connection = connections[using]
    restored: dict[str, int] = {}
    try:
        with transaction.atomic(using=using):
            present = {label: n for label, n in database_counts(using).items() if n}
            if present:
                raise ArchiveError(
                    f"The database is not empty ({describe_counts(present)}). Restore keeps every primary key, "
                    "so it needs an empty database: point HEADWAY_VAR_DIR or DATABASE_URL at a new one, then "
                    "restore (the tables are created automatically)."
                )
            for model in backup_models():
                label = model._meta.label
                objs = _instances(model, archive["data"].get(label, []), progress)
                fields = _fields(model)
                batch = max(1, connection.ops.bulk_batch_size(fields, objs)) if objs else 1
                for start in range(0, len(objs), batch):
                    # raw=True stores auto_now/auto_now_add values as given instead of "now".
                    queryset: Any = model._base_manager.using(using)
                    queryset._insert(objs[start : start + batch], fields=fields, raw=True)
                restored[label] = len(objs)
            statements = connection.ops.sequence_reset_sql(no_style(), backup_models())
            if statements:
                with connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
    except IntegrityError as exc:
        raise ArchiveError(
            f"The backup is inconsistent and was not restored (nothing was changed): {str(exc).strip()}"
        ) from exc
    return restored


def restore_from_file(
    path: str | os.PathLike[str], *, using: str = DEFAULT_DB_ALIAS, progress: Progress = no_progress
) -> dict[str, int]:
    return restore_from_archive(archive_read(path), using=using, progress=progress)


# --- deleting a workspace's data (the demo's --reset) ---------------------------------------------


@transaction.atomic
def workspace_delete_data(workspace: Any) -> None:
    """Delete a workspace and everything in it, children before parents (several links are PROTECT)."""
    models = [model for model in reversed(backup_models()) if _workspace_fk(model) is not None]
    for model in models:
        # A PROTECT link from a table to itself (an objective's parent) refuses deleting parent and
        # child in one batch: detach them first.
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is model and field.null:
                model._base_manager.filter(workspace=workspace).update(**{field.name: None})
    for model in models:
        model._base_manager.filter(workspace=workspace).delete()
    workspace.delete()

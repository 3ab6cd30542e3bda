"""``headway import features FILE.csv``: features from a spreadsheet, through the backlog services.

The file is read like a customers import (same size, encoding, delimiter and header rules, same
row numbers as a spreadsheet shows them: the header is row 1). Each row is checked, then written
by ``backlog.services.feature_create`` inside a savepoint, so every rule of the backlog (effort,
tags, permissions, archived products…) applies exactly as in the web UI and the API, and every
feature gets its audit event. If any row is bad nothing is written (the whole import is one
transaction, rolled back), unless ``only_good_rows`` asks to keep the good ones. A dry run does
everything and rolls back, so its report (with the references the features would get) is exact.

Columns (header names, any order, case-insensitive):

* ``title`` and ``product`` (the product's key, such as CHK) are required;
* ``description`` (Markdown), ``component`` (name, within the product), ``status`` (a workflow
  status name; empty: the workflow's default), ``owner`` (a member's email), ``effort`` (a number
  in the workspace's unit), ``initiative`` (title, or ``#id``), ``objectives`` (titles or ``#id``,
  separated by semicolons), ``tags`` (separated by semicolons), ``target_release``.

A row whose title already exists in the same product (in Headway, or earlier in the file) is an
error: importing the same file twice does not duplicate the backlog.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from headway.accounts.models import User
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import HeadwayError, PermissionDenied
from headway.core.permissions import Action
from headway.customers.importing.planning import RowError, _cell
from headway.customers.importing.reading import (
    ImportFileError,
    _check_header,
    _decode,
    _delimiter,
    check_size,
    max_rows,
)
from headway.ops import Progress, no_progress
from headway.workspaces.models import Membership, Workspace

REQUIRED = ["title", "product"]
OPTIONAL = [
    "description", "component", "status", "owner", "effort", "initiative", "objectives", "tags", "target_release",
]  # fmt: skip
SPEC = {"required": REQUIRED, "optional": OPTIONAL}
# Columns a backlog export may carry; reading one back ignores them without a note.
EXPORT_ONLY = {"id", "ref", "rank", "archived", "created_at", "updated_at"}
# A service error about one of these fields is reported against that column.
SERVICE_FIELDS = {*REQUIRED, *OPTIONAL}

EXAMPLE = (
    "title,product,description,status,owner,effort,initiative,objectives,tags\r\n"
    "One-page checkout,CHK,Fewer steps from cart to paid.,Ready,pm@example.com,8,Checkout revamp,"
    "Grow revenue;Faster checkout,conversion;mobile\r\n"
    "Dark mode,INS,,Discovery,,3,,,ui\r\n"
)


@dataclass
class ParsedFeatures:
    rows: list[tuple[int, dict[str, str], int]]  # (row number, {column: cell}, extra non-empty cells)
    notes: list[str] = field(default_factory=list)


def read_features_csv(data: bytes) -> ParsedFeatures:
    """The rows of a CSV file, or ImportFileError naming what is wrong with the file as a whole."""
    check_size(len(data))
    text, notes = _decode(data) if data.strip() else ("", [])
    if not text.strip():
        raise ImportFileError("The file is empty.")
    delimiter = _delimiter(text.lstrip().splitlines()[0])
    if delimiter != ",":
        notes.append(f"Columns are separated by {'semicolons' if delimiter == ';' else 'tabs'}.")
    records = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), start=1)
    number = 0
    rows: list[tuple[int, dict[str, str], int]] = []
    try:
        for number, header in records:  # noqa: B007 (number is read after the loop, for errors)
            if any(cell.strip() for cell in header):
                break
        else:
            raise ImportFileError("The file is empty.")
        names = [cell.strip().lower().lstrip("\ufeff") for cell in header]
        _check_header(names, SPEC)
        known = set(REQUIRED) | set(OPTIONAL)
        ignored = [n for n in names if n and n not in known and n not in EXPORT_ONLY]
        if ignored:
            notes.append(f"Ignored columns: {', '.join(ignored)}.")
        for number, record in records:
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= max_rows():
                raise ImportFileError(
                    f"The file has more than {max_rows():,} data rows; the limit is {max_rows():,} per import. "
                    "Split it into smaller files."
                )
            cells = {name: record[i] if i < len(record) else "" for i, name in enumerate(names) if name in known}
            rows.append((number, cells, sum(1 for cell in record[len(names) :] if cell.strip())))
    except csv.Error as exc:
        problem = (
            'a cell opened with a double quote (") is never closed'
            if "unexpected end of data" in str(exc)
            else f"{exc} (usually a stray double quote)"
        )
        raise ImportFileError(f"Row {number + 1} could not be read: {problem}. Fix that row and try again.") from exc
    if not rows:
        raise ImportFileError("The file has a header row but no data rows.")
    return ParsedFeatures(rows=rows, notes=notes)


@dataclass
class FeatureImportResult:
    total: int  # data rows in the file
    created: list[str]  # references of the features created (or that a dry run would create)
    errors: list[RowError]
    notes: list[str]
    written: bool  # False: a dry run, or errors without only_good_rows

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


class _Lookups:
    """Everything the rows refer to, loaded in a fixed number of queries."""

    def __init__(self, workspace: Workspace, rows: list[tuple[int, dict[str, str], int]]):
        from headway.backlog.models import Feature, WorkflowStatus
        from headway.portfolio.models import Component, Product
        from headway.strategy.models import Initiative, Objective

        self.products = {p.key.upper(): p for p in Product.objects.filter(workspace=workspace)}
        self.statuses = {s.name.lower(): s for s in WorkflowStatus.objects.filter(workspace=workspace)}
        emails = {_cell(cells, "owner").lower() for _, cells, _ in rows} - {""}
        self.members = {
            m.user.email.lower(): m.user
            for m in Membership.objects.filter(workspace=workspace)
            .annotate(lemail=Lower("user__email"))
            .filter(lemail__in=emails)
            .select_related("user")
        }
        self.components: dict[tuple[int, str], Any] = {
            (c.product_id, c.name.lower()): c
            for c in Component.objects.filter(workspace=workspace, archived_at__isnull=True)
        }
        self.initiatives: dict[int, Any] = {i.pk: i for i in Initiative.objects.filter(workspace=workspace)}
        self.objectives: dict[int, Any] = {o.pk: o for o in Objective.objects.filter(workspace=workspace)}
        titles = {_cell(cells, "title").lower() for _, cells, _ in rows} - {""}
        self.existing: dict[tuple[int, str], str] = {}
        for product_id, key, number, title in (
            Feature.objects.filter(workspace=workspace)
            .annotate(ltitle=Lower("title"))
            .filter(ltitle__in=titles)
            .values_list("product_id", "product__key", "number", "ltitle")
        ):
            self.existing[(product_id, title)] = f"{key}-{number}"

    @staticmethod
    def by_title(items: dict[int, Any], value: str, what: str) -> tuple[Any, str | None]:
        """One item by ``#id`` or by title (case-insensitive, archived ones last); (item, error)."""
        if value.startswith("#") and value[1:].isdigit():
            item = items.get(int(value[1:]))
            return (item, None) if item is not None else (None, f"No {what} {value} in this workspace.")
        matches = [i for i in items.values() if i.title.lower() == value.lower()]
        active = [i for i in matches if i.archived_at is None] or matches
        if not active:
            return None, f"No {what} titled “{value}” in this workspace."
        if len(active) > 1:
            ids = ", ".join(f"#{i.pk}" for i in sorted(active, key=lambda i: i.pk))
            return None, f"Several {what}s are titled “{value}” ({ids}); write the one you mean as #id."
        return active[0], None


def _resolve(
    number: int, cells: dict[str, str], extra: int, lookups: _Lookups, seen: dict[tuple[int, str], int]
) -> tuple[dict[str, Any], list[RowError]]:
    """The keyword arguments for feature_create, or the row's errors (column by column)."""
    from headway.backlog.services._common import parse_effort

    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def error(column: str, reason: str) -> None:
        errors.append(RowError(number, column, reason, _cell(cells, column) if column else ""))

    if extra:
        error("", f"This row has {extra} more cell(s) than the header has columns.")
    title = _cell(cells, "title")
    if not title:
        error("title", "Title is required.")
    values["title"] = title
    key = _cell(cells, "product").upper()
    product = lookups.products.get(key)
    if not key:
        error("product", "Product is required (its key, such as CHK).")
    elif product is None:
        known = ", ".join(sorted(lookups.products)) or "none yet"
        error("product", f"No product with key {key} (products: {known}).")
    else:
        values["product"] = product
        if title:
            existing = lookups.existing.get((product.pk, title.lower()))
            if existing:
                error("title", f"{existing} already has this title in {product.key}.")
            elif (product.pk, title.lower()) in seen:
                error("title", f"Same title and product as row {seen[(product.pk, title.lower())]}.")
            else:
                seen[(product.pk, title.lower())] = number
    for column in ("description", "target_release"):
        if _cell(cells, column):
            values[column] = _cell(cells, column)
    effort = _cell(cells, "effort")
    if effort:
        try:  # checked here too, so a row with other problems still reports a bad effort
            values["effort"] = parse_effort(effort)
        except HeadwayError as exc:
            error("effort", (exc.fields.get("effort") or [exc.message])[0])
    component = _cell(cells, "component")
    if component and product is not None:
        found = lookups.components.get((product.pk, component.lower()))
        if found is None:
            error("component", f"{product.key} has no component named “{component}”.")
        values["component"] = found
    status = _cell(cells, "status")
    if status:
        found = lookups.statuses.get(status.lower())
        if found is None:
            names = ", ".join(s.name for s in sorted(lookups.statuses.values(), key=lambda s: s.position))
            error("status", f"No workflow status named “{status}” (statuses: {names}).")
        values["status"] = found
    owner = _cell(cells, "owner").lower()
    if owner:
        user: User | None = lookups.members.get(owner)
        if user is None:
            error("owner", f"{owner} is not a member of this workspace.")
        values["owner"] = user
    initiative = _cell(cells, "initiative")
    if initiative:
        found, problem = lookups.by_title(lookups.initiatives, initiative, "initiative")
        if problem:
            error("initiative", problem)
        values["initiative"] = found
    objectives = []
    for name in _split(_cell(cells, "objectives")):
        found, problem = lookups.by_title(lookups.objectives, name, "objective")
        if problem:
            error("objectives", problem)
        objectives.append(found)
    if objectives:
        values["objectives"] = objectives
    tags = _split(_cell(cells, "tags"))
    if tags:
        values["tags"] = tags
    return values, errors


def _service_errors(number: int, exc: HeadwayError, cells: dict[str, str]) -> list[RowError]:
    """A service's refusal, reported against the file's columns."""
    if isinstance(exc, PermissionDenied):
        return [RowError(number, "product", exc.message, _cell(cells, "product"))]
    placed = [
        RowError(number, name, message, _cell(cells, name))
        for name, messages in exc.fields.items()
        if name in SERVICE_FIELDS
        for message in messages
    ]
    return placed or [RowError(number, "", exc.message)]


class _Rollback(Exception):
    """Leaves the import's transaction without writing anything."""


def import_features(
    *,
    actor: User,
    workspace: Workspace,
    data: bytes,
    filename: str = "",
    only_good_rows: bool = False,
    dry_run: bool = False,
    progress: Progress = no_progress,
) -> FeatureImportResult:
    """Import the features of a CSV file (see the module docstring); returns what happened, row by row."""
    from headway.backlog import services

    permissions.require(actor, Action.FEATURE_EDIT, workspace)  # a PM may; their products are checked per row
    parsed = read_features_csv(data)
    result = FeatureImportResult(total=len(parsed.rows), created=[], errors=[], notes=parsed.notes, written=False)
    try:
        with transaction.atomic():
            services.workflow_ensure_defaults(actor=actor, workspace=workspace)  # so statuses can be named
            lookups = _Lookups(workspace, parsed.rows)
            seen: dict[tuple[int, str], int] = {}
            for number, cells, extra in progress(parsed.rows, "features", len(parsed.rows)):
                values, errors = _resolve(number, cells, extra, lookups, seen)
                if errors:
                    result.errors += errors
                    continue
                try:
                    with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                        feature = services.feature_create(actor=actor, workspace=workspace, **values)
                except HeadwayError as exc:
                    result.errors += _service_errors(number, exc, cells)
                    continue
                result.created.append(f"{values['product'].key}-{feature.number}")
            result.errors.sort(key=lambda e: (e.row, e.column))
            if dry_run or not result.created or (result.errors and not only_good_rows):
                raise _Rollback
            audit_record(
                actor=actor,
                workspace=workspace,
                action="feature.import",
                target=workspace,
                changes={
                    "file": [None, filename],
                    "created": [None, len(result.created)],
                    "skipped": [None, result.error_rows],
                },
            )
            result.written = True
    except _Rollback:
        pass
    return result


def summary_lines(result: FeatureImportResult, *, dry_run: bool, only_good_rows: bool) -> tuple[list[str], bool]:
    """What the command prints, and whether it succeeded."""
    lines = [*result.notes]
    for e in result.errors:
        where = f"Row {e.row}" + (f", {e.column}" if e.column else "")
        lines.append(f"{where}: {e.reason}")
    good, bad = len(result.created), result.error_rows
    refs = _ref_ranges(result.created)
    if dry_run:
        verdict = f"Dry run: {good} of {result.total} rows would be imported ({refs})" if good else "Dry run: no row"
        verdict += f"; {bad} row(s) have errors." if bad else "; no errors."
        if bad and not only_good_rows and good:
            verdict += " Without --only-good nothing would be imported."
        return [*lines, verdict + " Nothing was written."], bad == 0
    if result.written:
        skipped = f" Skipped {bad} row(s) with errors (listed above)." if bad else ""
        return [*lines, f"Imported {good} feature(s): {refs}.{skipped}"], True
    if not good:
        return [*lines, f"None of the {result.total} rows can be imported, so nothing was imported."], False
    return [
        *lines,
        f"{bad} row(s) have errors, so nothing was imported. Fix the file and run the command again, "
        f"or add --only-good to import the {good} good row(s).",
    ], False


def _ref_ranges(refs: Iterable[str]) -> str:
    """["CHK-4", "CHK-5", "CHK-6", "INS-2"] → "CHK-4…CHK-6, INS-2" (per product, in file order)."""
    by_key: dict[str, list[int]] = {}
    for ref in refs:
        key, number = ref.rsplit("-", 1)
        by_key.setdefault(key, []).append(int(number))
    parts = []
    for key, numbers in by_key.items():
        numbers.sort()
        start = prev = numbers[0]
        for n in [*numbers[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            parts.append(f"{key}-{start}" if start == prev else f"{key}-{start}…{key}-{prev}")
            if n is not None:
                start = prev = n
    return ", ".join(parts)


def import_actor(*, email: str | None, workspace_slug: str | None) -> tuple[User, Workspace]:
    """Who imports into which workspace. Without ``--workspace``: the only workspace (of that user);
    without ``--as``: the workspace's only admin. Anything ambiguous is an error naming the choices."""
    from headway.core.errors import NotFound, ValidationFailed
    from headway.ops.people import user_by_email, workspace_by_slug
    from headway.workspaces.models import Role

    user = user_by_email(email) if email else None
    if workspace_slug:
        workspace = workspace_by_slug(workspace_slug)
    else:
        candidates = Workspace.objects.filter(memberships__user=user) if user else Workspace.objects.all()
        slugs = list(candidates.order_by("slug").values_list("slug", flat=True).distinct())
        if len(slugs) != 1:
            whose = f"{user.email} belongs to" if user else "there are"
            raise ValidationFailed(
                f"workspace: {whose} {len(slugs)} workspaces ({', '.join(slugs) or 'none'}); choose one with "
                "--workspace SLUG.",
                fields={"workspace": ["Required."]},
            )
        workspace = Workspace.objects.get(slug=slugs[0])
    if user is not None:
        if not permissions.is_member(user, workspace):
            raise NotFound(f"{user.email} is not a member of workspace {workspace.slug!r}.")
        return user, workspace
    admins = list(User.objects.filter(memberships__workspace=workspace, memberships__role=Role.ADMIN).order_by("email"))
    if len(admins) != 1:
        emails = ", ".join(a.email for a in admins) or "none"
        raise ValidationFailed(
            f"as: workspace {workspace.slug!r} has {len(admins)} admins ({emails}); say who imports with --as EMAIL.",
            fields={"as": ["Required."]},
        )
    return admins[0], workspace

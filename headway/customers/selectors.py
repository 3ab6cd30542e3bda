"""Reads about customer companies and contacts, scoped by permissions.

Lists must stay fast at 100,000 companies in one workspace: each ordering walks an index
(``workspace, name, id`` / ``workspace, arr, id`` / ``workspace, created_at, id``) and ends on
``id`` so pages never repeat or skip a row when many rows share a value.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.db.models import Case, Prefetch, Q, QuerySet, When
from django.utils import timezone

from headway.core import permissions
from headway.core.errors import ValidationFailed
from headway.core.models import AuditEvent
from headway.core.permissions import Action
from headway.core.rawsql import row_converter
from headway.customers.counts import cached_count
from headway.customers.models import Company, Contact, ImportBatch
from headway.workspaces.models import Workspace
from headway.workspaces.selectors import audit_for_object

COMPANY_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "arr": ("arr", "id"),
    "-arr": ("-arr", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    # Health in the order of its choices (healthy first), then by name.
    "health": ("health_rank", "name", "id"),
    "-health": ("-health_rank", "-name", "-id"),
}
CONTACT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "email": ("email", "id"),
    "-email": ("-email", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
}


def _check_ordering(ordering: str, allowed: dict[str, Any]) -> tuple[Any, ...]:
    if ordering not in allowed:
        raise ValidationFailed(
            f"ordering: “{ordering}” is not a sort order; use one of {', '.join(allowed)}.",
            fields={"ordering": [f"Use one of {', '.join(allowed)}."]},
        )
    return allowed[ordering]


def company_list(
    *,
    actor: Any,
    workspace: Workspace,
    search: str = "",
    segment: str = "",
    tier: str = "",
    health: str = "",
    include_archived: bool = False,
    ordering: str = "name",
) -> QuerySet[Company]:
    """Companies of the workspace; ``search`` matches the name or the domain."""
    order_by = _check_ordering(ordering, COMPANY_ORDERINGS)
    qs = permissions.scope(Company.objects.all(), actor, workspace, Action.CUSTOMER_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(domain__icontains=search.lower()))
    if segment:
        qs = qs.filter(segment=segment)
    if tier:
        qs = qs.filter(tier=tier)
    if health:
        qs = qs.filter(health=health)
    return qs.order_by(*order_by)


def company_count(
    *,
    actor: Any,
    workspace: Workspace,
    search: str = "",
    segment: str = "",
    tier: str = "",
    health: str = "",
    include_archived: bool = False,
) -> int:
    """How many companies ``company_list`` returns for these filters (cached without a search)."""
    permissions.require(actor, Action.CUSTOMER_VIEW, workspace)

    def count() -> int:
        sql, params = _company_list_query(
            workspace, (), "name", search, segment, tier, health, include_archived, count=True
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    if search.strip():
        return count()
    return cached_count(count, workspace_id=workspace.pk, filters=(segment, tier, health, include_archived))


@functools.cache
def _company_list_sql(
    vendor: str, columns: tuple[str, ...], order_by: tuple[str, ...], *, search: bool, segment: bool, tier: bool,
    health: bool, include_archived: bool, count: bool,
) -> str:  # fmt: skip
    """SQL of ``company_list`` for one shape of filters, compiled once per process.

    Compiling the ORM query costs several times more than running it, and this list is the
    hottest read of the product, so it keeps its SQL. ``test_company_page_matches_the_orm`` holds
    it to ``company_list`` for every ordering and filter on both databases. Only model column
    names (quoted) and whitelisted orderings reach the text; every value is a parameter.
    """
    q = connection.ops.quote_name
    column = {f.attname: q(str(f.column)) for f in Company._meta.concrete_fields}
    where = [f"{column['workspace_id']} = %s"]
    if not include_archived:
        where.append(f"{column['archived_at']} IS NULL")
    if search:  # as the ORM's icontains: case-insensitive, with the pattern's own % and _ escaped
        where.append(f"(LOWER({column['name']}) LIKE %s ESCAPE '\\' OR {column['domain']} LIKE %s ESCAPE '\\')")
    where += [
        f"{column[name]} = %s" for name, used in (("segment", segment), ("tier", tier), ("health", health)) if used
    ]
    table = q(Company._meta.db_table)
    if count:
        return f"SELECT COUNT(*) FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608 - see docstring
    order = ", ".join(f"{column[o.lstrip('-')]} {'DESC' if o.startswith('-') else 'ASC'}" for o in order_by)
    select = ", ".join(column[c] for c in columns)
    return f"SELECT {select} FROM {table} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s OFFSET %s"  # noqa: S608


def _like_pattern(search: str) -> str:
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _company_list_query(
    workspace: Workspace, columns: tuple[str, ...], ordering: str, search: str, segment: str, tier: str,
    health: str, include_archived: bool, *, count: bool,
) -> tuple[str, list[Any]]:  # fmt: skip
    search = search.strip()
    sql = _company_list_sql(
        connection.vendor, columns, _check_ordering(ordering, COMPANY_ORDERINGS),
        search=bool(search), segment=bool(segment), tier=bool(tier), health=bool(health),
        include_archived=include_archived, count=count,
    )  # fmt: skip
    params: list[Any] = [workspace.pk]
    if search:
        params += [_like_pattern(search), _like_pattern(search)]
    params += [value for value in (segment, tier, health) if value]
    return sql, params


def company_page(
    *,
    actor: Any,
    workspace: Workspace,
    columns: tuple[str, ...],
    offset: int,
    limit: int,
    search: str = "",
    segment: str = "",
    tier: str = "",
    health: str = "",
    include_archived: bool = False,
    ordering: str = "name",
) -> list[tuple[Any, ...]]:
    """One page of ``company_list`` as tuples of ``columns``, in one query without ORM overhead."""
    permissions.require(actor, Action.CUSTOMER_VIEW, workspace)
    sql, params = _company_list_query(
        workspace, columns, ordering, search, segment, tier, health, include_archived, count=False
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        rows = cursor.fetchall()
    convert = row_converter(Company, columns)
    return [tuple(convert(row)) for row in rows]


def company_get(*, actor: Any, workspace: Workspace, company_id: int) -> Company:
    """One company (archived or not) with its contacts, active ones first, each by name."""
    qs = permissions.scope(Company.objects.all(), actor, workspace, Action.CUSTOMER_VIEW)
    contacts = Contact.objects.order_by(Case(When(archived_at__isnull=True, then=0), default=1), "name", "id")
    return permissions.get_or_404(qs.prefetch_related(Prefetch("contacts", queryset=contacts)), pk=company_id)


def company_history(*, actor: Any, workspace: Workspace, company: Company) -> QuerySet[AuditEvent]:
    """The company's own changes and those of its contacts, newest first (one query)."""
    contact_ids = [c.pk for c in company.contacts.all()]  # prefetched by company_get
    own = audit_for_object(actor=actor, workspace=workspace, target=company)
    of_contacts = AuditEvent.objects.filter(
        workspace=workspace, target_type=Contact._meta.label_lower, target_id__in=contact_ids
    )
    return (own | of_contacts).select_related("actor")


def contact_list(
    *,
    actor: Any,
    workspace: Workspace,
    search: str = "",
    company_id: int | None = None,
    include_archived: bool = False,
    ordering: str = "name",
) -> QuerySet[Contact]:
    """Contacts of the workspace with their company; ``search`` matches name, email or company name.

    Contacts of an archived company stay listed (``company.archived_at`` tells the reader)."""
    order_by = _check_ordering(ordering, CONTACT_ORDERINGS)
    qs = permissions.scope(Contact.objects.select_related("company"), actor, workspace, Action.CUSTOMER_VIEW)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search) | Q(company__name__icontains=search))
    return qs.order_by(*order_by)


def contact_get(*, actor: Any, workspace: Workspace, contact_id: int) -> Contact:
    qs = permissions.scope(Contact.objects.select_related("company"), actor, workspace, Action.CUSTOMER_VIEW)
    return permissions.get_or_404(qs, pk=contact_id)


def import_batch_get(*, actor: Any, workspace: Workspace, batch_id: int) -> ImportBatch:
    """An upload waiting for confirmation: only the person who uploaded it sees it, and only until it expires."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, workspace)
    qs = ImportBatch.objects.filter(workspace=workspace, created_by_id=actor.pk, expires_at__gt=timezone.now())
    return permissions.get_or_404(qs, pk=batch_id)

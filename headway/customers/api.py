"""API: companies and contacts of the token's workspace. Nothing is deleted; archive instead.

The list endpoints are the hot path (``GET /companies?page_size=50`` is benchmarked), so they
read only the output columns with ``.values()`` (one COUNT and one page query) and serialise
with pydantic-core directly instead of per-object resolvers.
"""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from pydantic_core import to_json

from headway.core.api import responses, workspace_of
from headway.core.errors import NotFound
from headway.customers import selectors, services
from headway.customers.models import Company, Contact
from headway.customers.schemas import (
    CompanyDetailOut,
    CompanyFilters,
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyPatch,
    ContactFilters,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
)

router = Router(tags=["customers"])

COMPANY_COLUMNS = (
    "id",
    "name",
    "domain",
    "segment",
    "tier",
    "arr",
    "currency",
    "health",
    "archived_at",
    "created_at",
    "updated_at",
)
CONTACT_COLUMNS = (
    "id",
    "name",
    "email",
    "role",
    "archived_at",
    "created_at",
    "updated_at",
    "company_id",
    "company__name",
    "company__archived_at",
)


def _company_row(row: dict[str, Any]) -> dict[str, Any]:
    row["arr"] = f"{row['arr']:.2f}"
    row["archived"] = row.pop("archived_at") is not None
    return row


def _contact_row(row: dict[str, Any]) -> dict[str, Any]:
    row["archived"] = row.pop("archived_at") is not None
    row["company"] = {
        "id": row.pop("company_id"),
        "name": row.pop("company__name"),
        "archived": row.pop("company__archived_at") is not None,
    }
    return row


def _company_dict(company: Company) -> dict[str, Any]:
    return _company_row({name: getattr(company, name) for name in COMPANY_COLUMNS})


def _contact_dict(contact: Contact) -> dict[str, Any]:
    company = contact.company
    return _contact_row(
        {
            **{name: getattr(contact, name) for name in CONTACT_COLUMNS[:7]},
            "company_id": company.pk,
            "company__name": company.name,
            "company__archived_at": company.archived_at,
        }
    )


def _json(model: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(model.model_dump_json(), content_type="application/json", status=status)


def _page_of(items: list[dict[str, Any]], *, count: int, page: int, size: int) -> dict[str, Any]:
    return {"items": items, "count": count, "page": page, "page_size": size, "pages": max(1, math.ceil(count / size))}


def _page(rows: Any, *, count: int, page: int, page_size: int, convert: Any, schema: Any) -> HttpResponse:
    """One page query whatever the page size; JSON straight from pydantic-core."""
    start = (page - 1) * page_size
    items = [convert(row) for row in rows[start : start + page_size]]
    return _json(schema.model_validate(_page_of(items, count=count, page=page, size=page_size)))


def _company_for_contact(request: HttpRequest, company_id: int) -> Company:
    try:
        return selectors.company_get(actor=request.user, workspace=workspace_of(request), company_id=company_id)
    except NotFound as exc:
        message = "No company with this id in this workspace."
        # Like every id in a body that names nothing here: 404, with the field named (as portfolio does).
        raise NotFound(f"company_id: {message}", fields={"company_id": [message]}) from exc


# --- companies ------------------------------------------------------------------------------


@router.get("/companies", response=responses({200: CompanyPage}), summary="List companies")
def company_list(request: HttpRequest, filters: Query[CompanyFilters]) -> HttpResponse:
    """Companies of the workspace, one page at a time. ``count`` is the number matching the filters."""
    workspace = workspace_of(request)
    where = {
        "search": filters.search,
        "segment": filters.segment,
        "tier": filters.tier,
        "health": filters.health,
        "include_archived": filters.include_archived,
    }
    count = selectors.company_count(actor=request.user, workspace=workspace, **where)
    rows = selectors.company_page(
        actor=request.user,
        workspace=workspace,
        columns=COMPANY_COLUMNS,
        offset=(filters.page - 1) * filters.page_size,
        limit=filters.page_size,
        ordering=filters.ordering,
        **where,
    )
    items = [_company_row(dict(zip(COMPANY_COLUMNS, row, strict=True))) for row in rows]
    # Serialised without a validation pass: the rows come typed from the database and the
    # documented schema is held by test_api and the CI's schemathesis run.
    page = _page_of(items, count=count, page=filters.page, size=filters.page_size)
    return HttpResponse(to_json(page), content_type="application/json")


@router.post("/companies", response=responses({201: CompanyOut}), summary="Create a company")
def company_create(request: HttpRequest, data: CompanyIn) -> HttpResponse:
    company = services.company_create(actor=request.user, workspace=workspace_of(request), **data.model_dump())
    return _json(CompanyOut.model_validate(_company_dict(company)), status=201)


@router.get("/companies/{company_id}", response=responses({200: CompanyDetailOut}), summary="Get a company")
def company_get(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=workspace_of(request), company_id=company_id)
    data = _company_dict(company)
    data["contacts"] = [
        {"id": c.pk, "name": c.name, "email": c.email, "role": c.role, "archived": c.archived_at is not None}
        for c in company.contacts.all()
    ]
    return _json(CompanyDetailOut.model_validate(data))


@router.patch("/companies/{company_id}", response=responses({200: CompanyOut}), summary="Change a company")
def company_update(request: HttpRequest, company_id: int, data: CompanyPatch) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=workspace_of(request), company_id=company_id)
    company = services.company_update(actor=request.user, company=company, **data.model_dump(exclude_unset=True))
    return _json(CompanyOut.model_validate(_company_dict(company)))


@router.post("/companies/{company_id}/archive", response=responses({200: CompanyOut}), summary="Archive a company")
def company_archive(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=workspace_of(request), company_id=company_id)
    company = services.company_archive(actor=request.user, company=company)
    return _json(CompanyOut.model_validate(_company_dict(company)))


@router.post(
    "/companies/{company_id}/restore", response=responses({200: CompanyOut}), summary="Restore an archived company"
)
def company_restore(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(actor=request.user, workspace=workspace_of(request), company_id=company_id)
    company = services.company_restore(actor=request.user, company=company)
    return _json(CompanyOut.model_validate(_company_dict(company)))


# --- contacts -------------------------------------------------------------------------------


@router.get("/contacts", response=responses({200: ContactPage}), summary="List contacts")
def contact_list(request: HttpRequest, filters: Query[ContactFilters]) -> HttpResponse:
    qs = selectors.contact_list(
        actor=request.user,
        workspace=workspace_of(request),
        search=filters.search,
        company_id=filters.company_id,
        include_archived=filters.include_archived,
        ordering=filters.ordering,
    )
    return _page(
        qs.values(*CONTACT_COLUMNS),
        count=qs.count(),
        page=filters.page,
        page_size=filters.page_size,
        convert=_contact_row,
        schema=ContactPage,
    )


@router.post("/contacts", response=responses({201: ContactOut}), summary="Add a contact to a company")
def contact_create(request: HttpRequest, data: ContactIn) -> HttpResponse:
    company = _company_for_contact(request, data.company_id)
    contact = services.contact_create(
        actor=request.user, company=company, name=data.name, email=data.email, role=data.role
    )
    return _json(ContactOut.model_validate(_contact_dict(contact)), status=201)


@router.get("/contacts/{contact_id}", response=responses({200: ContactOut}), summary="Get a contact")
def contact_get(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, workspace=workspace_of(request), contact_id=contact_id)
    return _json(ContactOut.model_validate(_contact_dict(contact)))


@router.patch("/contacts/{contact_id}", response=responses({200: ContactOut}), summary="Change a contact")
def contact_update(request: HttpRequest, contact_id: int, data: ContactPatch) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, workspace=workspace_of(request), contact_id=contact_id)
    fields = data.model_dump(exclude_unset=True)
    if "company_id" in fields:
        fields["company"] = _company_for_contact(request, fields.pop("company_id"))
    contact = services.contact_update(actor=request.user, contact=contact, **fields)
    return _json(ContactOut.model_validate(_contact_dict(contact)))


@router.post("/contacts/{contact_id}/archive", response=responses({200: ContactOut}), summary="Archive a contact")
def contact_archive(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, workspace=workspace_of(request), contact_id=contact_id)
    contact = services.contact_archive(actor=request.user, contact=contact)
    return _json(ContactOut.model_validate(_contact_dict(contact)))


@router.post(
    "/contacts/{contact_id}/restore", response=responses({200: ContactOut}), summary="Restore an archived contact"
)
def contact_restore(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(actor=request.user, workspace=workspace_of(request), contact_id=contact_id)
    contact = services.contact_restore(actor=request.user, contact=contact)
    return _json(ContactOut.model_validate(_contact_dict(contact)))

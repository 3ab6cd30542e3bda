"""Planning an import: what each row of an uploaded file would create, update or fail on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from headway.accounts.models import User
from headway.core import permissions
from headway.core.errors import ValidationFailed
from headway.core.permissions import Action
from headway.customers import services
from headway.customers.models import Company, Contact, Health, ImportBatch, ImportKind, Segment, Tier
from headway.workspaces.models import Workspace

ARR_MAX = Decimal("999999999999.99")


@dataclass
class RowError:
    row: int
    column: str
    reason: str
    value: str = ""


@dataclass
class PlannedRow:
    row: int
    action: str  # "create", "update" or "unchanged"
    values: dict[str, Any]  # create: every field; update: the changed fields only
    label: str  # the company name or contact email, for the preview
    target_id: int | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)  # update: {field: [old, new]} as text
    shown: dict[str, str] = field(default_factory=dict)  # create: the other values, as text


@dataclass
class Plan:
    kind: str
    rows: list[PlannedRow]
    errors: list[RowError]
    notes: list[str]
    total: int

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def good_rows(self) -> int:
        return len(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def creates(self) -> int:
        return self.count("create")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


def _cell(cells: dict[str, str], name: str) -> str:
    value = (cells.get(name) or "").strip()
    # Undo the apostrophe our exports put before = + - @ (formula-injection guard).
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        value = value[1:]
    return value


def _choice(value: str, choices: type[Segment] | type[Tier] | type[Health]) -> str | None:
    """A choice by value or label, ignoring case, spaces and dashes ("Mid-market" → "mid_market")."""
    key = re.sub(r"[\s-]+", "_", value.strip().lower())
    for choice_value, label in choices.choices:
        if key in (choice_value, re.sub(r"[\s-]+", "_", str(label).lower())):
            return choice_value
    return None


_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def _arr(value: str) -> Decimal:
    text = re.sub(r"[\s$€£¥]", "", value)
    if "," in text:
        if not _THOUSANDS.match(text):
            raise ValueError(f"“{value}” is not a number; use a dot for decimals, such as 1200.50.")
        text = text.replace(",", "")
    try:
        amount = services.parse_arr(text)
    except ValidationFailed as exc:
        reason = exc.fields["arr"][0]
        raise ValueError(f"“{value}” is not a number." if "not a number" in reason else reason) from exc
    if amount > ARR_MAX:
        raise ValueError(f"ARR may be at most {ARR_MAX:,}.")
    return amount


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _companies_by_name(workspace: Workspace, names: set[str]) -> dict[str, Company]:
    found: dict[str, Company] = {}
    for chunk in _chunks(sorted(names)):
        for company in (
            Company.objects.filter(workspace=workspace).annotate(lname=Lower("name")).filter(lname__in=chunk)
        ):
            found[company.name.lower()] = company
    return found


def _companies_by_domain(workspace: Workspace, domains: set[str]) -> dict[str, Company]:
    found: dict[str, Company] = {}
    for chunk in _chunks(sorted(d for d in domains if d)):
        for company in Company.objects.filter(workspace=workspace, domain__in=chunk):
            found[company.domain] = company
    return found


def _model_errors(instance: Company | Contact, row: int, cells: dict[str, str]) -> list[RowError]:
    """Anything the model itself rejects (lengths, formats), reported against the file's column."""
    try:
        instance.full_clean(exclude=["workspace", "company"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        return [
            RowError(row, name, str(message), cells.get(name, ""))
            for name, errors in exc.message_dict.items()
            for message in errors
        ]
    return []


def _plan_companies(workspace: Workspace, rows: list[list[Any]]) -> tuple[list[PlannedRow], list[RowError]]:
    names = {_cell(cells, "name").lower() for _, cells, _ in rows}
    domains = {services.normalise_domain(_cell(cells, "domain")) for _, cells, _ in rows}
    by_name = _companies_by_name(workspace, names - {""})
    by_domain = _companies_by_domain(workspace, domains)
    planned: list[PlannedRow] = []
    errors: list[RowError] = []
    first_name: dict[str, int] = {}
    first_domain: dict[str, int] = {}
    for number, cells, extra in rows:
        row_errors: list[RowError] = []
        if extra:
            row_errors.append(RowError(number, "", f"This row has {extra} more cell(s) than the header has columns."))
        values: dict[str, Any] = {}
        name = _cell(cells, "name")
        if not name:
            row_errors.append(RowError(number, "name", "Name is required."))
        elif name.lower() in first_name:
            row_errors.append(RowError(number, "name", f"Same company name as row {first_name[name.lower()]}.", name))
        else:
            first_name[name.lower()] = number
        values["name"] = name
        domain = services.normalise_domain(_cell(cells, "domain"))
        if domain:
            if domain in first_domain:
                row_errors.append(RowError(number, "domain", f"Same domain as row {first_domain[domain]}.", domain))
            else:
                first_domain[domain] = number
            values["domain"] = domain
        for column, choices in (("segment", Segment), ("tier", Tier), ("health", Health)):
            raw = _cell(cells, column)
            if raw:
                choice = _choice(raw, choices)
                if choice is None:
                    allowed = ", ".join(choices.values)
                    row_errors.append(
                        RowError(number, column, f"“{raw}” is not a {column}; use one of {allowed}.", raw)
                    )
                else:
                    values[column] = choice
        raw_arr = _cell(cells, "arr")
        if raw_arr:
            try:
                values["arr"] = _arr(raw_arr)
            except ValueError as exc:
                row_errors.append(RowError(number, "arr", str(exc), raw_arr))
        raw_currency = _cell(cells, "currency")
        if raw_currency:
            values["currency"] = raw_currency.upper()
        existing = by_name.get(name.lower()) if name else None
        if existing is not None and existing.archived_at is not None:
            row_errors.append(
                RowError(number, "name", f"“{existing.name}” is archived in Headway; restore it before importing it.")
            )
        owner = by_domain.get(domain) if domain else None
        if owner is not None and owner != existing:
            row_errors.append(RowError(number, "domain", f"{domain} already belongs to “{owner.name}”.", domain))
        checked = Company(workspace=workspace, **{**_company_defaults(existing), **values})
        row_errors += [
            e for e in _model_errors(checked, number, cells) if e.column not in {x.column for x in row_errors}
        ]
        if row_errors:
            errors += row_errors
            continue
        planned.append(_company_plan(number, name, values, existing))
    return planned, errors


def _company_defaults(existing: Company | None) -> dict[str, Any]:
    if existing is None:
        return {"segment": "smb", "tier": "standard", "arr": Decimal("0"), "currency": "USD", "health": "neutral"}
    return {f: getattr(existing, f) for f in services.COMPANY_FIELDS}


def _company_shown(values: dict[str, Any]) -> dict[str, str]:
    """A new company's other values as a person reads them: labels, and ARR with its currency."""
    shown = {"domain": values["domain"]} if values["domain"] else {}
    shown["segment"] = Segment(values["segment"]).label
    shown["tier"] = Tier(values["tier"]).label
    shown["ARR"] = f"{values['arr']:,.2f} {values['currency']}"
    shown["health"] = Health(values["health"]).label
    return shown


def _company_plan(number: int, name: str, values: dict[str, Any], existing: Company | None) -> PlannedRow:
    if existing is None:
        full = {**_company_defaults(None), "domain": "", **values}
        return PlannedRow(number, "create", full, name, shown=_company_shown(full))
    # The name is what matched (ignoring case): an import never renames a company.
    changes = {f: [getattr(existing, f), v] for f, v in values.items() if f != "name" and getattr(existing, f) != v}
    return PlannedRow(
        number,
        "update" if changes else "unchanged",
        {f: new for f, (_, new) in changes.items()},
        existing.name,
        target_id=existing.pk,
        changes={f: [str(old), str(new)] for f, (old, new) in changes.items()},
    )


def _plan_contacts(workspace: Workspace, rows: list[list[Any]]) -> tuple[list[PlannedRow], list[RowError]]:
    refs = {_cell(cells, "company") for _, cells, _ in rows}
    by_name = _companies_by_name(workspace, {r.lower() for r in refs if r})
    by_domain = _companies_by_domain(workspace, {services.normalise_domain(r) for r in refs if r})
    emails = sorted({_cell(cells, "email").lower() for _, cells, _ in rows} - {""})
    existing_contacts: dict[str, Contact] = {}
    for chunk in _chunks(emails):
        for contact in (
            Contact.objects.filter(workspace=workspace)
            .annotate(lemail=Lower("email"))
            .filter(lemail__in=chunk)
            .select_related("company")
        ):
            existing_contacts[contact.email.lower()] = contact
    planned: list[PlannedRow] = []
    errors: list[RowError] = []
    first_email: dict[str, int] = {}
    for number, cells, extra in rows:
        row_errors: list[RowError] = []
        if extra:
            row_errors.append(RowError(number, "", f"This row has {extra} more cell(s) than the header has columns."))
        name, email, role, ref = (_cell(cells, c) for c in ("name", "email", "role", "company"))
        email = email.lower()
        if not name:
            row_errors.append(RowError(number, "name", "Name is required."))
        if not email:
            row_errors.append(RowError(number, "email", "Email is required."))
        else:
            try:
                validate_email(email)
            except DjangoValidationError:
                row_errors.append(RowError(number, "email", f"“{email}” is not a valid email address.", email))
            else:
                if email in first_email:
                    row_errors.append(RowError(number, "email", f"Same email as row {first_email[email]}.", email))
                else:
                    first_email[email] = number
        company = None
        if not ref:
            row_errors.append(RowError(number, "company", "Company is required (its name or domain)."))
        else:
            company = by_name.get(ref.lower()) or by_domain.get(services.normalise_domain(ref))
            if company is None:
                row_errors.append(
                    RowError(
                        number, "company", f"No company named “{ref}” or with that domain. Add the company first.", ref
                    )
                )
            elif company.archived_at is not None:
                row_errors.append(
                    RowError(
                        number, "company", f"“{company.name}” is archived; restore it before adding contacts.", ref
                    )
                )
        existing = existing_contacts.get(email) if email else None
        if existing is not None and existing.archived_at is not None:
            row_errors.append(RowError(number, "email", f"{email} belongs to an archived contact; restore them first."))
        values = {"name": name, "email": email, "role": role}
        checked = Contact(workspace=workspace, company=company, **values)
        row_errors += [
            e for e in _model_errors(checked, number, cells) if e.column not in {x.column for x in row_errors}
        ]
        if row_errors or company is None:
            errors += row_errors
            continue
        if existing is None:
            shown = (
                {"name": name, "role": role, "company": company.name}
                if role
                else {"name": name, "company": company.name}
            )
            planned.append(PlannedRow(number, "create", {**values, "company_id": company.pk}, email, shown=shown))
            continue
        changes: dict[str, list[Any]] = {}
        for f in ("name", "role"):
            if values[f] and values[f] != getattr(existing, f):
                changes[f] = [getattr(existing, f), values[f]]
        if company.pk != existing.company_id:
            changes["company"] = [existing.company.name, company.name]
        update = {f: new for f, (_, new) in changes.items() if f != "company"}
        if "company" in changes:
            update["company_id"] = company.pk
        planned.append(
            PlannedRow(
                number, "update" if changes else "unchanged", update, email, target_id=existing.pk, changes=changes
            )
        )
    return planned, errors


def import_plan(*, actor: User, batch: ImportBatch) -> Plan:
    """What confirming this upload would do, row by row, against the workspace as it is now."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, batch.workspace_id)
    planner = _plan_companies if batch.kind == ImportKind.COMPANIES else _plan_contacts
    rows, errors = planner(batch.workspace, batch.rows)
    errors.sort(key=lambda e: (e.row, e.column))
    return Plan(kind=batch.kind, rows=rows, errors=errors, notes=list(batch.notes), total=len(batch.rows))

"""CSV import of companies and contacts: upload → preview → confirm.

1. ``import_upload`` reads the file (checks size, encoding, header, row count) and keeps its
   rows in an ``ImportBatch`` that only the uploader can see, for ``BATCH_HOURS`` hours. Problems
   with the whole file (not CSV, missing columns, empty, too big) raise ``ImportFileError`` and
   nothing is kept.
2. ``import_plan`` works out, row by row, what confirming would do: create, update (a company
   with the same name, or a contact with the same email, already exists) or nothing (unchanged),
   and which rows are bad and why (row number as a spreadsheet shows it: the header is row 1).
3. ``import_confirm`` plans again (the workspace may have changed since the preview) and writes
   everything in one transaction through the same services as the forms and the API, so every
   row is validated and audited like any other change, plus one ``<kind>.import`` audit event.
   If any row is bad nothing is written, unless the person chose to import only the good rows.

Decisions: a file that is not UTF-8 is read as Windows-1252 (what older Excel versions save)
with a note in the preview; a file that is neither is refused with a clear message. Empty
cells in a row that updates a company keep the current value. Cells that an export escaped
against formula injection (``'=…``) are read back without the apostrophe.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from headway.accounts.models import User
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import Conflict, HeadwayError, ValidationFailed
from headway.core.permissions import Action
from headway.customers import services
from headway.customers.counts import counts_forgotten_once
from headway.customers.importing.planning import Plan, PlannedRow, RowError, import_plan
from headway.customers.importing.reading import (
    COLUMNS,
    ImportFileError,
    ParsedFile,
    check_size,
    max_rows,
    max_size_text,
    parse_csv,
)
from headway.customers.models import Company, Contact, ImportBatch, ImportKind
from headway.workspaces.models import Workspace

BATCH_HOURS = 2

__all__ = [
    "BATCH_HOURS",
    "COLUMNS",
    "EXAMPLES",
    "ImportFileError",
    "ParsedFile",
    "Plan",
    "PlannedRow",
    "RowError",
    "import_cancel",
    "import_confirm",
    "import_plan",
    "import_upload",
    "max_rows",
    "max_size_text",
    "parse_csv",
]


@transaction.atomic
def import_upload(*, actor: User, workspace: Workspace, kind: str, upload: File) -> ImportBatch:
    """Read an uploaded CSV file and keep its rows for the preview. Writes no customer data."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, workspace)
    if kind not in ImportKind.values:
        raise ValidationFailed(
            f"kind: Choose {' or '.join(ImportKind.values)}.", fields={"kind": ["Choose companies or contacts."]}
        )
    check_size(upload.size or 0)  # before reading: a huge file is never loaded
    parsed = parse_csv(upload.read(), kind=kind)
    filename = Path(upload.name or "upload.csv").name
    now = timezone.now()
    # Uploads nobody confirmed in time are of no further use.
    ImportBatch.objects.filter(
        workspace=workspace, created_by=actor, status=ImportBatch.Status.PENDING, expires_at__lte=now
    ).delete()
    return ImportBatch.objects.create(
        workspace=workspace,
        created_by=actor,
        kind=kind,
        filename=filename[:255],
        rows=parsed.rows,
        notes=parsed.notes,
        expires_at=now + dt.timedelta(hours=BATCH_HOURS),
    )


def import_cancel(*, actor: User, batch: ImportBatch) -> None:
    """Forget an upload that was not imported."""
    permissions.require(actor, Action.CUSTOMER_MANAGE, batch.workspace_id)
    if batch.status == ImportBatch.Status.PENDING:
        batch.delete()


def import_confirm(*, actor: User, batch: ImportBatch, only_good_rows: bool = False, expected_rows: int) -> Plan:
    """Import the planned rows in one transaction.

    ``expected_rows`` is the number of good rows the person saw in the preview: if the plan
    changed since (someone else edited customers meanwhile), nothing is written.
    """
    permissions.require(actor, Action.CUSTOMER_MANAGE, batch.workspace_id)
    with counts_forgotten_once(), transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("workspace").get(pk=batch.pk)
        if batch.status != ImportBatch.Status.PENDING:
            raise Conflict("This file was already imported.")
        plan = import_plan(actor=actor, batch=batch)
        if plan.good_rows != expected_rows:
            raise Conflict(
                f"The customers changed since the preview: {plan.good_rows} rows can be imported now, not "
                f"{expected_rows}. Check the preview again."
            )
        if plan.errors and not only_good_rows:
            raise ValidationFailed(
                f"{plan.error_rows} row(s) have errors, so nothing was imported. Fix the file and upload it again, "
                f"or import only the {plan.good_rows} good rows."
            )
        if not plan.rows:
            raise ValidationFailed("There are no good rows to import.")
        write = _write_company if batch.kind == ImportKind.COMPANIES else _write_contact
        companies = (
            {c.pk: c for c in Company.objects.filter(pk__in={r.values.get("company_id") for r in plan.rows})}
            if batch.kind == ImportKind.CONTACTS
            else {}
        )
        for planned in plan.rows:
            try:
                write(actor, batch.workspace, planned, companies)
            except HeadwayError as exc:
                raise type(exc)(f"Row {planned.row}: {exc.message} Nothing was imported.", fields=exc.fields) from exc
        result = {
            "created": plan.creates,
            "updated": plan.updates,
            "unchanged": plan.unchanged,
            "skipped": plan.error_rows,
        }
        batch.status = ImportBatch.Status.IMPORTED
        batch.result = result
        batch.rows = []  # the rows are now customers; keep only the summary
        batch.save(update_fields=["status", "result", "rows", "updated_at"])
        audit_record(
            actor=actor,
            workspace=batch.workspace,
            action=f"{'company' if batch.kind == ImportKind.COMPANIES else 'contact'}.import",
            target=batch,
            changes={"file": [None, batch.filename], **{k: [None, v] for k, v in result.items()}},
        )
    return plan


def _write_company(actor: User, workspace: Workspace, planned: PlannedRow, companies: dict) -> None:
    if planned.action == "create":
        services.company_create(actor=actor, workspace=workspace, **planned.values)
    elif planned.action == "update":
        assert planned.target_id is not None
        company = Company.objects.get(pk=planned.target_id, workspace=workspace)
        services.company_update(actor=actor, company=company, **planned.values)


def _write_contact(actor: User, workspace: Workspace, planned: PlannedRow, companies: dict) -> None:
    values = dict(planned.values)
    if "company_id" in values:
        values["company"] = companies[values.pop("company_id")]
    if planned.action == "create":
        services.contact_create(actor=actor, **values)
    elif planned.action == "update":
        assert planned.target_id is not None
        contact = Contact.objects.get(pk=planned.target_id, workspace=workspace)
        services.contact_update(actor=actor, contact=contact, **values)


# --- examples -------------------------------------------------------------------------------

EXAMPLES: dict[str, str] = {
    ImportKind.COMPANIES: (
        "name,domain,segment,tier,arr,currency,health\r\n"
        "Northwind Traders,northwind.example,enterprise,strategic,1250000.00,USD,healthy\r\n"
        "Contoso Pharmaceuticals,contoso.example,mid_market,key,340000,EUR,at_risk\r\n"
        "Fabrikam Studio,fabrikam.example,smb,standard,18500.50,GBP,neutral\r\n"
        "Tailspin Toys,,startup,,0,USD,\r\n"
    ),
    ImportKind.CONTACTS: (
        "name,email,role,company\r\n"
        "Maria Anders,maria.anders@northwind.example,VP Operations,Northwind Traders\r\n"
        "Ana Trujillo,ana@contoso.example,Head of IT,contoso.example\r\n"
        "Thomas Hardy,thomas.hardy@fabrikam.example,,Fabrikam Studio\r\n"
    ),
}

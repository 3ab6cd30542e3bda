"""Which column holds which field of a note, and every row checked against that mapping.

A problem names the row as the spreadsheet shows it (the header is row 1), the field and what is
wrong; a row with a problem is skipped (only when the person confirms skipping such rows).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator

from headway.insights.models import MAX_NOTE_CHARS

# field → (label, column names it is guessed from, in order of preference)
FIELDS: dict[str, tuple[str, list[str]]] = {
    "text": ("Text", ["content", "text", "review", "comment", "body", "feedback", "message", "description"]),
    "title": ("Title", ["title", "subject"]),
    "external_ref": ("Reference (id)", ["id", "reviewid", "review id", "ticket id", "ticket", "ref", "reference"]),
    "rating": ("Rating (1–5)", ["rating", "score", "stars"]),
    "customer_email": ("Customer email", ["email", "customer email", "e mail"]),
    "customer_name": ("Customer name", ["name", "customer", "customer name", "user name", "username", "author"]),
    "company": ("Company", ["company", "account", "organisation", "organization"]),
    "received_at": ("Received", ["date", "created", "created at", "submitted", "at", "received", "timestamp"]),
    "url": ("Link", ["url", "link"]),
    "product": ("Product", ["product"]),
}
LIMITS = {"title": 300, "external_ref": 255, "customer_name": 200, "customer_email": 254, "company": 200, "url": 2000}
EXTRA_CELL_CHARS = 1000

_email_validator = EmailValidator()
_url_validator = URLValidator(schemes=["http", "https"])


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.]+", " ", name.strip().lower()).strip()


# --- dates ----------------------------------------------------------------------------------------

_DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%d-%b-%Y",
]


def parse_date(value: str) -> dt.datetime | None:
    """A date or date-time in ISO or a common spreadsheet format (naive times are UTC); None if not one."""
    value = value.strip()
    if not value or not any(ch.isdigit() for ch in value):
        return None
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = dt.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            try:
                parsed = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
    if parsed is None or not 1900 <= parsed.year <= 2200:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


# --- mapping --------------------------------------------------------------------------------------


def guess_mapping(columns: list[str], rows: list[list[Any]]) -> tuple[dict[str, str], list[str]]:
    """The column each field most likely comes from (by its header), and notes on what was not used."""
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(_norm(column), column)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    notes: list[str] = []
    for name, (_label, synonyms) in FIELDS.items():
        for synonym in synonyms:
            found = by_name.get(_norm(synonym))
            if found is not None and found not in used:
                column = found
                if name == "received_at" and not _looks_like_dates(columns.index(column), rows):
                    notes.append(
                        f"Column “{column}” was not used as the received date: most of its values are not dates. "
                        "Notes get the time of the import unless another column is chosen."
                    )
                    continue
                mapping[name] = column
                used.add(column)
                break
    return mapping, notes


def _looks_like_dates(index: int, rows: list[list[Any]]) -> bool:
    values = [r[1][index] for r in rows[:2000] if index < len(r[1]) and r[1][index].strip()][:200]
    if not values:
        return True
    good = sum(1 for v in values if parse_date(v) is not None)
    return good * 2 >= len(values)


def check_mapping(columns: list[str], mapping: dict[str, Any]) -> dict[str, str]:
    """The mapping with unknown fields and columns dropped (a column used for one field only)."""
    clean: dict[str, str] = {}
    for name in FIELDS:
        column = mapping.get(name)
        if isinstance(column, str) and column in columns and column not in clean.values():
            clean[name] = column
    return clean


# --- rows -----------------------------------------------------------------------------------------


@dataclass
class RowValues:
    row: int
    text: str
    title: str = ""
    external_ref: str = ""
    rating: int | None = None
    customer_email: str = ""
    customer_name: str = ""
    company: str = ""
    received_at: dt.datetime | None = None
    url: str = ""
    product_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Checked:
    rows: list[RowValues]
    errors: list[dict[str, Any]]  # {"row", "field", "message"}
    error_rows: int


def check_rows(
    columns: list[str],
    rows: list[list[Any]],
    mapping: dict[str, str],
    *,
    products: dict[str, int],
    default_product_id: int | None = None,
) -> Checked:
    """Every row as note values, or the problems that keep it out. ``products``: lower-case name → id."""
    index = {name: columns.index(column) for name, column in mapping.items()}
    mapped = set(index.values())
    others = [(i, c) for i, c in enumerate(columns) if i not in mapped]
    good: list[RowValues] = []
    errors: list[dict[str, Any]] = []
    bad_rows: set[int] = set()
    dates: dict[str, dt.datetime | None] = {}
    text_i = index.get("text")

    def cell(cells: list[str], name: str) -> str:
        i = index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    for number, cells in rows:
        problems: list[tuple[str, str]] = []
        text = cells[text_i].replace("\x00", "").strip() if text_i is not None and text_i < len(cells) else ""
        if not text:
            problems.append(("text", "The text is empty; the row is skipped."))
        elif len(text) > MAX_NOTE_CHARS:
            problems.append(("text", f"The text is longer than the limit of {MAX_NOTE_CHARS:,} characters."))
        values = RowValues(row=number, text=text, product_id=default_product_id)
        for name, limit in LIMITS.items():
            value = cell(cells, name).replace("\x00", "")
            if len(value) > limit:
                problems.append((name, f"{len(value):,} characters; the limit is {limit:,}."))
            else:
                setattr(values, name, value)
        raw_rating = cell(cells, "rating")
        if raw_rating:
            try:
                number_value = float(raw_rating.replace(",", "."))
            except ValueError:
                number_value = -1.0
            if number_value.is_integer() and 1 <= number_value <= 5:
                values.rating = int(number_value)
            else:
                problems.append(("rating", f"“{raw_rating[:20]}” is not a rating: give a whole number from 1 to 5."))
        raw_date = cell(cells, "received_at")
        if raw_date:
            if raw_date not in dates:
                dates[raw_date] = parse_date(raw_date)
            values.received_at = dates[raw_date]
            if values.received_at is None:
                problems.append(
                    ("received_at", f"“{raw_date[:40]}” is not a date (use e.g. 2024-05-31 or 2024-05-31 14:05).")
                )
        if values.customer_email:
            try:
                _email_validator(values.customer_email)
            except DjangoValidationError:
                problems.append(("customer_email", f"“{values.customer_email[:60]}” is not an email address."))
        if values.url:
            try:
                _url_validator(values.url)
            except DjangoValidationError:
                problems.append(("url", f"“{values.url[:60]}” is not an http:// or https:// address."))
        product_name = cell(cells, "product")
        if product_name:
            product_id = products.get(product_name.lower())
            if product_id is None:
                problems.append(("product", f"No product named “{product_name[:80]}” in this workspace."))
            values.product_id = product_id
        for i, column in others:
            if i < len(cells) and cells[i].strip():
                values.extra[column] = cells[i][:EXTRA_CELL_CHARS]
        if problems:
            bad_rows.add(number)
            errors.extend({"row": number, "field": f, "message": m} for f, m in problems)
        else:
            good.append(values)
    # The same reference twice in one file: the later row wins (it is the newer export line).
    last: dict[str, int] = {}
    for position, values in enumerate(good):
        if values.external_ref:
            last[values.external_ref] = position
    kept: list[RowValues] = []
    for position, values in enumerate(good):
        if values.external_ref and last[values.external_ref] != position:
            later = good[last[values.external_ref]].row
            errors.append(
                {
                    "row": values.row,
                    "field": "external_ref",
                    "message": f"The same reference “{values.external_ref[:60]}” appears again in row {later}, "
                    "which is imported instead.",
                }
            )
            bad_rows.add(values.row)
        else:
            kept.append(values)
    errors.sort(key=lambda e: e["row"])
    return Checked(rows=kept, errors=errors, error_rows=len(bad_rows))

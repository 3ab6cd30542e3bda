"""CSV export of companies and contacts, streamed so 100,000 rows never sit in memory.

The columns are the import columns first, so an exported file can be edited and imported back.
Cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return)
get a leading apostrophe (OWASP's advice against CSV injection); the import removes it again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

COMPANY_HEADER = ["name", "domain", "segment", "tier", "arr", "currency", "health", "archived", "created_at"]
CONTACT_HEADER = ["name", "email", "role", "company", "company_domain", "archived", "created_at"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never evaluates."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def stream_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # byte-order mark: Excel then opens the file as UTF-8
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def company_rows(queryset: QuerySet) -> Iterator[list[Any]]:
    columns = ("name", "domain", "segment", "tier", "arr", "currency", "health", "archived_at", "created_at")
    for name, domain, segment, tier, arr, currency, health, archived_at, created_at in queryset.values_list(
        *columns
    ).iterator(chunk_size=2000):
        yield [
            name,
            domain,
            segment,
            tier,
            f"{arr:.2f}",
            currency,
            health,
            "yes" if archived_at else "",
            created_at.date().isoformat(),
        ]


def contact_rows(queryset: QuerySet) -> Iterator[list[Any]]:
    columns = ("name", "email", "role", "company__name", "company__domain", "archived_at", "created_at")
    for name, email, role, company, domain, archived_at, created_at in queryset.values_list(*columns).iterator(
        chunk_size=2000
    ):
        yield [name, email, role, company, domain, "yes" if archived_at else "", created_at.date().isoformat()]

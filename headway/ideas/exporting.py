"""CSV export of the team's idea list, streamed so a big portal never sits in memory.

Only the idea's own fields: no comment of any kind (internal notes must never leave the app this
way). Cells a spreadsheet would run as a formula get a leading apostrophe, as in customers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from headway.customers.exporting import safe_cell, stream_csv

__all__ = ["IDEA_HEADER", "idea_rows", "safe_cell", "stream_csv"]

IDEA_HEADER = ["id", "portal", "title", "status", "votes", "demand", "product", "submitter_company", "created"]


def idea_rows(queryset: QuerySet) -> Iterator[list[Any]]:
    """Rows of an idea queryset from ``selectors.staff.staff_idea_list`` (it annotates the company)."""
    columns = (
        "pk",
        "portal__name",
        "title",
        "status__name",
        "vote_count",
        "demand",
        "product__key",
        "on_behalf_company__name",
        "submitter_company",
        "created_at",
    )
    for pk, portal, title, status, votes, demand, product, behalf, company, created in queryset.values_list(
        *columns
    ).iterator(chunk_size=2000):
        yield [
            pk,
            portal,
            title,
            status,
            votes,
            f"{demand:.2f}",
            product or "",
            behalf or company or "",
            created.date().isoformat(),
        ]

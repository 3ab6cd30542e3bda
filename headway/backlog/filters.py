"""Backlog filters: one shape for the selectors, the pages' query strings, saved views and the API."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from headway.backlog.models import StatusCategory
from headway.core.errors import ValidationFailed

ID_FILTERS = ("product", "initiative", "objective", "owner", "status", "tag")
MAX_SEARCH = 200


def _is_set(value: Any) -> bool:
    """0 is a real filter value ("none"); None, "" and False are not."""
    return value is not None and value != "" and value is not False


@dataclasses.dataclass(frozen=True)
class FeatureFilters:
    """Which features to show. Ids are database ids; None (or "") means "any".

    ``initiative=0`` / ``objective=0`` / ``owner=0`` mean "none": features without an
    initiative, serving no objective, without an owner.
    """

    product: int | None = None
    initiative: int | None = None
    objective: int | None = None
    owner: int | None = None
    status: int | None = None
    category: str = ""
    tag: int | None = None
    search: str = ""
    include_archived: bool = False

    @property
    def narrowing(self) -> bool:
        """Does anything besides the product hide features? (Then reordering is by neighbours.)"""
        return any(name != "product" for name in self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """Only what is set, e.g. ``{"product": 3, "search": "export"}`` (what a saved view stores)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if _is_set(getattr(self, f.name))}

    def with_product(self, product: int | None) -> FeatureFilters:
        return dataclasses.replace(self, product=product)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FeatureFilters:
        """From a page's query string (``?status=3&q=export``): anything malformed is ignored."""

        def number(name: str) -> int | None:
            value = str(params.get(name, "") or "").strip()
            return int(value) if value.isdigit() and len(value) < 19 else None

        category = str(params.get("category", "") or "")
        return cls(
            product=number("product"),
            initiative=number("initiative"),
            objective=number("objective"),
            owner=number("owner"),
            status=number("status"),
            category=category if category in StatusCategory.values else "",
            tag=number("tag"),
            search=str(params.get("q", "") or "").strip()[:MAX_SEARCH],
            include_archived=str(params.get("archived", "")) == "1",
        )

    def as_params(self) -> dict[str, str]:
        """The query string form (the inverse of ``from_params``)."""
        params: dict[str, str] = {}
        for name, value in self.as_dict().items():
            if name == "search":
                params["q"] = value
            elif name == "include_archived":
                params["archived"] = "1"
            else:
                params[name] = str(value)
        return params

    @classmethod
    def from_dict(cls, data: Any, field: str = "filters") -> FeatureFilters:
        """From a saved view's JSON (or an API body): strict, with a message naming the bad key."""
        if not isinstance(data, Mapping):
            raise ValidationFailed(
                f"{field}: Give an object of filters.", fields={field: ["Give an object of filters."]}
            )
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                msg = f"Unknown filter “{key}”; use {', '.join(sorted(known))}."
                raise ValidationFailed.on(field, msg)
            if value is None or value == "":
                continue
            if key in ID_FILTERS:
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
                    msg = f"The {key} filter is an id (a whole number)."
                    raise ValidationFailed.on(field, msg)
            elif key == "category":
                if value not in StatusCategory.values:
                    msg = f"The category filter is one of {', '.join(StatusCategory.values)}."
                    raise ValidationFailed.on(field, msg)
            elif key == "search":
                if not isinstance(value, str) or len(value) > MAX_SEARCH:
                    msg = f"The search filter is text of at most {MAX_SEARCH} characters."
                    raise ValidationFailed.on(field, msg)
                value = value.strip()
            elif key == "include_archived" and not isinstance(value, bool):
                msg = "include_archived is true or false."
                raise ValidationFailed.on(field, msg)
            values[key] = value
        return cls(**values)
